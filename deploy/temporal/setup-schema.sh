#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases (persistence and SQL visibility). Idempotent: a
# database already set up is only brought to the schema version of this server release.
# Run by docker-compose.yml (temporalio/admin-tools image, defaults below) and by
# scripts/temporal-cluster.sh (the sql tool built from the same server release), so both set up alike.
#
# Environment: SQL_TOOL (default temporal-sql-tool), SCHEMA_DIR (default the admin-tools image's
# /etc/temporal/schema/postgresql/v12), POSTGRES_SEEDS (host), DB_PORT (default 5432), POSTGRES_USER,
# POSTGRES_PWD (may be empty).
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (PostgreSQL host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
SQL_TOOL="${SQL_TOOL:-temporal-sql-tool}"
SCHEMA_DIR="${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"
DB_PORT="${DB_PORT:-5432}"
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

sql() {
  # The sql tool reads the password from SQL_PASSWORD, which keeps it out of the process list.
  SQL_PASSWORD="${POSTGRES_PWD:-}" "$SQL_TOOL" --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" \
    -u "$POSTGRES_USER" "$@"
}

setup() {
  db="$1"
  versioned="$2"
  sql --db "$db" create-database >/dev/null 2>&1 || true
  # setup-schema refuses a database that already has the schema; that is the normal second start.
  if ! sql --db "$db" setup-schema -v 0.0 >"$LOG" 2>&1; then
    grep -qi "already exists" "$LOG" || {
      cat "$LOG" >&2
      echo "setup-schema for $db failed" >&2
      exit 1
    }
  fi
  sql --db "$db" update-schema -d "$versioned" >"$LOG" 2>&1 || {
    cat "$LOG" >&2
    echo "update-schema for $db failed" >&2
    exit 1
  }
  echo "schema of $db is current"
}

setup temporal "$SCHEMA_DIR/temporal/versioned"
setup temporal_visibility "$SCHEMA_DIR/visibility/versioned"
