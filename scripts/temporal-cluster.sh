#!/usr/bin/env bash
# A real Temporal cluster on this machine, without Docker: the Temporal server built from its Go module,
# PostgreSQL (Debian's binaries, via scripts/postgres.sh) for persistence and SQL visibility, and the four
# services (frontend, history, matching, worker) as separate processes, as a production cluster runs them.
#
#   scripts/temporal-cluster.sh build              go install server + sql tool into .tools/ (once, ~10 min)
#   scripts/temporal-cluster.sh start              postgres, schema, 4 services, namespace, search attributes;
#                                                  prints the frontend address (only that) on stdout
#   scripts/temporal-cluster.sh stop               stop the services, then postgres
#   scripts/temporal-cluster.sh status             which services run
#   scripts/temporal-cluster.sh kill <service>     SIGKILL one service (chaos); `start-service <service>` restarts it
#   scripts/temporal-cluster.sh address            print the frontend address
#
# With the cluster comes the Temporal Web UI server (temporalio/ui-server, also built from its Go module
# into .tools/ on first start): http://127.0.0.1:$TEMPORAL_CLUSTER_UI_PORT (default 8080; `off` to skip it).
#
# Environment: TEMPORAL_CLUSTER_DIR (default .data/temporal-cluster), TEMPORAL_CLUSTER_PORT (frontend gRPC,
# default 17233; the other services use the next ports), TEMPORAL_CLUSTER_PG_PORT (default 55433),
# TEMPORAL_CLUSTER_UI_PORT (default 8080, or off), TEMPORAL_CODEC_ENDPOINT (the UI's codec server, if any).
# docker-compose.yml pins the same server and UI versions (below) and the same settings.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPORAL_SERVER_VERSION="1.32.0"
TEMPORAL_UI_VERSION="2.54.1"
BIN_DIR="$ROOT/.tools/temporal-server-$TEMPORAL_SERVER_VERSION"
UI_DIR="$ROOT/.tools/temporal-ui-$TEMPORAL_UI_VERSION"
UI_PORT="${TEMPORAL_CLUSTER_UI_PORT:-8080}"
DIR="${TEMPORAL_CLUSTER_DIR:-$ROOT/.data/temporal-cluster}"
PORT="${TEMPORAL_CLUSTER_PORT:-17233}"
PG_PORT="${TEMPORAL_CLUSTER_PG_PORT:-55433}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
SERVICES=(history matching frontend worker)

log() { echo "[temporal-cluster] $*" >&2; }
die() {
  log "$*"
  exit 1
}

# gRPC and membership ports per service. Membership ports are stored in a PostgreSQL smallint, so they
# must stay ≤ 32767: they live at PORT - 10300 (17233 → 6933…).
grpc_port() {
  case "$1" in
    frontend) echo "$PORT" ;;
    history) echo $((PORT + 1)) ;;
    matching) echo $((PORT + 2)) ;;
    worker) echo $((PORT + 6)) ;;
  esac
}
membership_port() { echo $(($(grpc_port "$1") - 10300)); }

build() {
  if [ ! -x "$BIN_DIR/server" ] || [ ! -x "$BIN_DIR/sql" ]; then
    command -v go >/dev/null 2>&1 || die "Go is needed to build the Temporal server (go install from the Go module proxy)"
    mkdir -p "$BIN_DIR"
    log "building go.temporal.io/server@v$TEMPORAL_SERVER_VERSION (server and sql tool; ~10 minutes on 2 cores, once)"
    GOBIN="$BIN_DIR" go install "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" >&2
    GOBIN="$BIN_DIR" go install "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION" >&2
  fi
  [ -d "$BIN_DIR/schema/postgresql/v12" ] && [ -f "$BIN_DIR/config/docker.yaml" ] && return 0
  # The SQL schema and the image's config template ship inside the module; keep copies beside the
  # binaries so start needs no Go.
  command -v go >/dev/null 2>&1 || die "Go is needed to copy the server's schema and config from its module"
  local mod
  mod="$(go env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION"
  [ -d "$mod/schema/postgresql/v12" ] || GOFLAGS=-mod=mod go mod download "go.temporal.io/server@v$TEMPORAL_SERVER_VERSION" >&2
  [ -d "$mod/schema/postgresql/v12" ] || die "schema not found in $mod (module cache cleaned?)"
  rm -rf "$BIN_DIR/schema" "$BIN_DIR/config"
  mkdir -p "$BIN_DIR/schema/postgresql" "$BIN_DIR/config"
  cp -r "$mod/schema/postgresql/v12" "$BIN_DIR/schema/postgresql/"
  cp "$mod/config/docker.yaml" "$BIN_DIR/config/docker.yaml"
  chmod -R u+w "$BIN_DIR/schema" "$BIN_DIR/config"
}

# The Web UI server and the config template of its image (config/docker.yaml, read from environment
# variables, as docker-compose.yml's temporalio/ui runs it).
build_ui() {
  [ -x "$UI_DIR/server" ] && [ -f "$UI_DIR/config/docker.yaml" ] && return 0
  command -v go >/dev/null 2>&1 || {
    log "Go is needed to build the Web UI server; starting without it"
    return 1
  }
  log "building github.com/temporalio/ui-server/v2@v$TEMPORAL_UI_VERSION (Web UI; ~2 minutes, once)"
  mkdir -p "$UI_DIR/config"
  GOBIN="$UI_DIR" go install "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION" >&2 || return 1
  cp "$(go env GOMODCACHE)/github.com/temporalio/ui-server/v2@v$TEMPORAL_UI_VERSION/config/docker.yaml" \
    "$UI_DIR/config/docker.yaml"
  chmod u+w "$UI_DIR/config/docker.yaml"
}

start_ui() {
  [ "$UI_PORT" = "off" ] && return 0
  running ui && return 0
  build_ui || {
    log "Web UI not started (build failed); the cluster runs without it"
    return 0
  }
  (
    export TEMPORAL_ADDRESS="127.0.0.1:$PORT" TEMPORAL_UI_PORT="$UI_PORT" \
      TEMPORAL_CORS_ORIGINS="http://127.0.0.1:$UI_PORT" TEMPORAL_CODEC_ENDPOINT="${TEMPORAL_CODEC_ENDPOINT:-}"
    setsid "$UI_DIR/server" --root "$UI_DIR" --env docker start >>"$DIR/logs/ui.log" 2>&1 </dev/null &
    echo $! >"$DIR/pids/ui.pid"
  )
  local deadline=$((SECONDS + 20))
  until curl -fsS -o /dev/null "http://127.0.0.1:$UI_PORT/" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ] || ! running ui; then
      tail -n 10 "$DIR/logs/ui.log" >&2 || true
      log "Web UI did not answer on 127.0.0.1:$UI_PORT (log $DIR/logs/ui.log); the cluster runs without it"
      return 0
    fi
    sleep 0.3
  done
  log "Web UI: http://127.0.0.1:$UI_PORT"
}

# Schema setup is the same script docker-compose.yml runs in the admin-tools image.
ensure_schema() {
  SQL_TOOL="$BIN_DIR/sql" SCHEMA_DIR="$BIN_DIR/schema/postgresql/v12" POSTGRES_SEEDS=127.0.0.1 \
    DB_PORT="$PG_PORT" POSTGRES_USER=postgres POSTGRES_PWD= \
    sh "$ROOT/deploy/temporal/setup-schema.sh" >"$DIR/logs/schema.log" 2>&1 || {
    cat "$DIR/logs/schema.log" >&2
    die "schema setup failed (deploy/temporal/setup-schema.sh)"
  }
}

running() {
  local pid
  pid="$(cat "$DIR/pids/$1.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# The server reads the release's own config/docker.yaml (the file the temporalio/server image runs with,
# templated from environment variables), so docker-compose.yml and this cluster share one configuration;
# only addresses and ports differ.
start_service() {
  local s="$1"
  running "$s" && return 0
  mkdir -p "$DIR/logs" "$DIR/pids"
  (
    export DB=postgres12 POSTGRES_SEEDS=127.0.0.1 DB_PORT="$PG_PORT" POSTGRES_PORT="$PG_PORT" \
      POSTGRES_USER=postgres POSTGRES_PWD= NUM_HISTORY_SHARDS=4 LOG_LEVEL=warn \
      BIND_ON_IP=127.0.0.1 TEMPORAL_BROADCAST_ADDRESS=127.0.0.1 \
      FRONTEND_GRPC_PORT="$(grpc_port frontend)" FRONTEND_HTTP_PORT=$((PORT + 10)) \
      FRONTEND_MEMBERSHIP_PORT="$(membership_port frontend)" \
      HISTORY_GRPC_PORT="$(grpc_port history)" HISTORY_MEMBERSHIP_PORT="$(membership_port history)" \
      MATCHING_GRPC_PORT="$(grpc_port matching)" MATCHING_MEMBERSHIP_PORT="$(membership_port matching)" \
      WORKER_GRPC_PORT="$(grpc_port worker)" WORKER_MEMBERSHIP_PORT="$(membership_port worker)" \
      DYNAMIC_CONFIG_FILE_PATH="$ROOT/deploy/temporal/dynamicconfig.yaml"
    # setsid: the service outlives this script and is not hit by the caller's Ctrl-C or process group.
    setsid "$BIN_DIR/server" --config-file "$BIN_DIR/config/docker.yaml" --allow-no-auth start --service "$s" \
      >>"$DIR/logs/$s.log" 2>&1 </dev/null &
    echo $! >"$DIR/pids/$s.pid"
  )
}

cli() {
  local path
  path="$(bash "$ROOT/scripts/temporal.sh" path)"
  "$path" "$@" --address "127.0.0.1:$PORT"
}

wait_frontend() {
  local deadline=$((SECONDS + ${TEMPORAL_CLUSTER_START_TIMEOUT:-120}))
  until cli operator cluster health >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && {
      tail -n 30 "$DIR/logs/frontend.log" >&2 || true
      die "frontend did not answer on 127.0.0.1:$PORT (logs in $DIR/logs)"
    }
    sleep 0.5
  done
}

setup_namespace() {
  local sas
  mapfile -t sas < <(bash "$ROOT/scripts/temporal.sh" search-attributes)
  TEMPORAL_BIN="$(bash "$ROOT/scripts/temporal.sh" path)" TEMPORAL_ADDRESS="127.0.0.1:$PORT" \
    TEMPORAL_NAMESPACE="$NAMESPACE" sh "$ROOT/deploy/temporal/setup-namespace.sh" "${sas[@]}" >&2
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  build)
    build
    echo "$BIN_DIR"
    ;;
  start)
    build
    mkdir -p "$DIR"
    # PostgreSQL runs as its own user when we are root and must traverse the directory (mktemp -d is 0700).
    chmod a+x "$DIR" 2>/dev/null || true
    TEMPORAL_PG="$(bash "$ROOT/scripts/postgres.sh" start --dir "$DIR/postgres" --port "$PG_PORT")"
    log "postgres: $TEMPORAL_PG"
    mkdir -p "$DIR/logs" "$DIR/pids"
    ensure_schema
    for s in "${SERVICES[@]}"; do start_service "$s"; done
    wait_frontend
    setup_namespace
    start_ui
    log "up: frontend 127.0.0.1:$PORT, namespace $NAMESPACE, services ${SERVICES[*]}, logs $DIR/logs"
    echo "127.0.0.1:$PORT"
    ;;
  start-service)
    start_service "${1:?service name}"
    ;;
  kill)
    s="${1:?service name: ${SERVICES[*]}}"
    if running "$s"; then
      kill -KILL "$(cat "$DIR/pids/$s.pid")"
      # Gone before returning, so an immediate start-service starts a new process.
      for _ in $(seq 1 100); do running "$s" || break; sleep 0.1; done
    fi
    ;;
  stop)
    if running ui; then kill -TERM "$(cat "$DIR/pids/ui.pid")" || true; fi
    rm -f "$DIR/pids/ui.pid"
    for s in frontend worker matching history; do
      if running "$s"; then kill -TERM "$(cat "$DIR/pids/$s.pid")" || true; fi
    done
    for s in "${SERVICES[@]}"; do
      for _ in $(seq 1 100); do running "$s" || break; sleep 0.1; done
      running "$s" && kill -KILL "$(cat "$DIR/pids/$s.pid")" || true
      rm -f "$DIR/pids/$s.pid"
    done
    bash "$ROOT/scripts/postgres.sh" stop --dir "$DIR/postgres" || true
    ;;
  status)
    for s in "${SERVICES[@]}"; do
      if running "$s"; then echo "$s running (pid $(cat "$DIR/pids/$s.pid"))"; else echo "$s stopped"; fi
    done
    if running ui; then echo "ui running (pid $(cat "$DIR/pids/ui.pid")), http://127.0.0.1:$UI_PORT"; fi
    ;;
  address)
    echo "127.0.0.1:$PORT"
    ;;
  *)
    die "usage: $0 build|start|stop|status|kill <service>|start-service <service>|address"
    ;;
esac
