#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, from Debian's server binaries.
#
#   scripts/postgres.sh start [--port N] [--dir D]   initdb if needed, start, create database `flxpoint`,
#                                                    print the connection URL on stdout (only that)
#   scripts/postgres.sh stop  [--dir D]              fast shutdown; harmless if not running
#   scripts/postgres.sh url   [--dir D]              print the URL of a started cluster
#
# Defaults: --dir .data/postgres (git-ignored), --port 55432 (clear of a system server on 5432).
# Listens on 127.0.0.1 only, trust authentication for loopback and the cluster's own socket: a throwaway
# cluster, never a production setup. Binaries: $PG_BIN, else the newest /usr/lib/postgresql/*/bin, else
# initdb on PATH; if none and running as root, `apt-get install postgresql` (CI does the same).
# initdb and the server refuse to run as root, so as root they run as the `postgres` OS user.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DB_NAME="flxpoint"
DB_USER="postgres"

log() { echo "[postgres] $*" >&2; }
die() {
  log "$*"
  exit 1
}

find_bin() {
  [ -n "${PG_BIN:-}" ] && { echo "$PG_BIN"; return 0; }
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$d" ] && [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  d="$(command -v initdb 2>/dev/null || true)"
  [ -n "$d" ] && { dirname "$(readlink -f "$d")"; return 0; }
  return 1
}

ensure_bin() {
  local bin
  # An explicit choice is never second-guessed (no install behind the user's back).
  if [ -n "${PG_BIN:-}" ] && [ ! -x "$PG_BIN/initdb" ]; then
    die "PG_BIN=$PG_BIN has no initdb; unset it or point it at PostgreSQL's bin directory"
  fi
  if bin="$(find_bin)"; then
    echo "$bin"
    return 0
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "PostgreSQL server binaries not found; installing Debian's postgresql package"
    # Only the binaries are wanted: keep the package from creating and starting its own cluster on 5432.
    if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
      mkdir -p /etc/postgresql-common
      echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2 ||
      die "apt-get install postgresql failed; install PostgreSQL's server package yourself and retry"
    bin="$(find_bin)" || die "postgresql installed but no initdb under /usr/lib/postgresql/*/bin"
    echo "$bin"
    return 0
  fi
  die "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them: 'sudo apt-get install -y postgresql'" \
    "on Debian/Ubuntu (any PostgreSQL >= 13 works), or set PG_BIN=/path/to/postgresql/bin."
}

# Runs a command as the cluster's OS user: ourselves, or `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" != "0" ]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u postgres -- "$@"
  else
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  fi
}

ensure_owner() {
  [ "$(id -u)" = "0" ] || return 0
  if ! id postgres >/dev/null 2>&1; then
    log "creating the 'postgres' system user (initdb refuses to run as root)"
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres ||
      die "could not create the 'postgres' user; run this script as a non-root user instead"
  fi
  chown -R postgres: "$DIR"
  as_owner test -w "$DIR" -a -x "$DIR" ||
    die "user 'postgres' cannot reach $DIR (a parent directory is not traversable); use --dir under /tmp"
}

PORT=55432
DIR="$ROOT/.data/postgres"
cmd="${1:-}"
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT="${2:?--port needs a value}"; shift 2 ;;
    --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
    *) die "unknown option $1 (usage: $0 start|stop|url [--port N] [--dir D])" ;;
  esac
done
case "$PORT" in '' | *[!0-9]*) die "--port must be a number, got '$PORT'" ;; esac
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
PGDATA="$DIR/data"

url_for() { echo "postgresql://$DB_USER@127.0.0.1:$1/$DB_NAME"; }

case "$cmd" in
  start)
    BIN="$(ensure_bin)"
    ensure_owner
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      log "initdb $PGDATA ($("$BIN/initdb" --version))"
      # --no-sync: a throwaway cluster need not survive an OS crash during its own creation.
      if ! as_owner "$BIN/initdb" -D "$PGDATA" -U "$DB_USER" -E UTF8 --locale=C.UTF-8 --auth=trust --no-sync \
        >"$DIR/initdb.log" 2>&1; then
        cat "$DIR/initdb.log" >&2
        die "initdb failed (output above, also in $DIR/initdb.log)"
      fi
      # Loopback and the socket only; the server also listens on 127.0.0.1 alone (below).
      as_owner sh -c "printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' 'host all all ::1/128 trust' >'$PGDATA/pg_hba.conf'"
    fi
    if as_owner "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      PORT="$(cat "$DIR/port" 2>/dev/null || echo "$PORT")"
      log "already running on port $PORT ($PGDATA)"
    else
      as_owner sh -c "echo '$PORT' >'$DIR/port'"
      as_owner "$BIN/pg_ctl" -D "$PGDATA" -l "$DIR/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k '$DIR'" start >&2 || {
        tail -n 20 "$DIR/postgres.log" >&2 || true
        die "server did not start on 127.0.0.1:$PORT (port taken? see $DIR/postgres.log)"
      }
    fi
    exists="$(as_owner "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")"
    if [ "$exists" != "1" ]; then
      as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$DB_USER" "$DB_NAME" ||
        die "createdb $DB_NAME failed"
    fi
    log "up: 127.0.0.1:$PORT, data $PGDATA, log $DIR/postgres.log"
    url_for "$PORT"
    ;;
  stop)
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      log "no cluster in $PGDATA; nothing to stop"
      exit 0
    fi
    BIN="$(find_bin)" || die "PostgreSQL binaries not found; cannot stop $PGDATA"
    if as_owner "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      as_owner "$BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >&2
    else
      log "not running ($PGDATA)"
    fi
    ;;
  url)
    [ -f "$DIR/port" ] || die "no cluster started in $DIR"
    url_for "$(cat "$DIR/port")"
    ;;
  *)
    die "usage: $0 start|stop|url [--port N] [--dir D]"
    ;;
esac
