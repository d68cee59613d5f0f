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
# Environment: TEMPORAL_CLUSTER_DIR (default .data/temporal-cluster), TEMPORAL_CLUSTER_PORT (frontend gRPC,
# default 17233; the other services use the next ports), TEMPORAL_CLUSTER_PG_PORT (default 55433).
# docker-compose.yml pins the same server version (TEMPORAL_SERVER_VERSION below) and the same settings.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPORAL_SERVER_VERSION="1.32.0"
BIN_DIR="$ROOT/.tools/temporal-server-$TEMPORAL_SERVER_VERSION"
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
  if [ -x "$BIN_DIR/server" ] && [ -x "$BIN_DIR/sql" ] && [ -d "$BIN_DIR/schema/postgresql/v12" ]; then
    return 0
  fi
  command -v go >/dev/null 2>&1 || die "Go is needed to build the Temporal server (go install from the Go module proxy)"
  mkdir -p "$BIN_DIR"
  log "building go.temporal.io/server@v$TEMPORAL_SERVER_VERSION (server and sql tool; ~10 minutes on 2 cores, once)"
  GOBIN="$BIN_DIR" go install "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" >&2
  GOBIN="$BIN_DIR" go install "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION" >&2
  # The SQL schema ships inside the module; keep a copy beside the binaries so start needs no Go.
  local mod
  mod="$(go env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION"
  [ -d "$mod/schema/postgresql/v12" ] || die "schema not found in $mod (module cache cleaned?)"
  rm -rf "$BIN_DIR/schema"
  mkdir -p "$BIN_DIR/schema/postgresql"
  cp -r "$mod/schema/postgresql/v12" "$BIN_DIR/schema/postgresql/"
  chmod -R u+w "$BIN_DIR/schema"
}

sql_tool() {
  "$BIN_DIR/sql" --plugin postgres12 --ep 127.0.0.1 -p "$PG_PORT" -u postgres "$@"
}

write_config() {
  mkdir -p "$DIR/logs" "$DIR/pids"
  cat >"$DIR/dynamicconfig.yaml" <<EOF
# One partition per task queue: a per-source API queue's rate limit (maxTaskQueueActivitiesPerSecond) is
# enforced per partition, so one partition makes it one limit (docs/operations.md, scaling).
matching.numTaskqueueReadPartitions:
  - value: 1
matching.numTaskqueueWritePartitions:
  - value: 1
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
EOF
  local svc_block=""
  for s in "${SERVICES[@]}"; do
    svc_block+="  $s:
    rpc:
      grpcPort: $(grpc_port "$s")
      membershipPort: $(membership_port "$s")
      bindOnIP: 127.0.0.1
"
    [ "$s" = frontend ] && svc_block+="      httpPort: $((PORT + 10))
"
  done
  cat >"$DIR/config.yaml" <<EOF
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: 127.0.0.1:$PG_PORT
        connectProtocol: tcp
        user: postgres
        password: ""
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    postgres-visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: 127.0.0.1:$PG_PORT
        connectProtocol: tcp
        user: postgres
        password: ""
        maxConns: 5
        maxIdleConns: 5
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
$svc_block
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:$PORT
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: $DIR/dynamicconfig.yaml
  pollInterval: 10s
EOF
}

ensure_schema() {
  local versioned="$BIN_DIR/schema/postgresql/v12"
  for db in temporal temporal_visibility; do
    local dir="$versioned/temporal/versioned"
    [ "$db" = temporal_visibility ] && dir="$versioned/visibility/versioned"
    sql_tool --db "$db" create-database >/dev/null 2>&1 || true
    if ! sql_tool --db "$db" setup-schema -v 0.0 >"$DIR/logs/schema-$db.log" 2>&1; then
      # Already set up: setup-schema refuses a second time; update-schema below is idempotent.
      grep -qi "already exists" "$DIR/logs/schema-$db.log" || {
        cat "$DIR/logs/schema-$db.log" >&2
        die "setup-schema for $db failed"
      }
    fi
    sql_tool --db "$db" update-schema -d "$dir" >>"$DIR/logs/schema-$db.log" 2>&1 || {
      cat "$DIR/logs/schema-$db.log" >&2
      die "update-schema for $db failed"
    }
  done
}

running() {
  local pid
  pid="$(cat "$DIR/pids/$1.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

start_service() {
  local s="$1"
  running "$s" && return 0
  # setsid: the service outlives this script and is not hit by the caller's Ctrl-C or process group.
  setsid "$BIN_DIR/server" --config-file "$DIR/config.yaml" --allow-no-auth start --service "$s" \
    >>"$DIR/logs/$s.log" 2>&1 </dev/null &
  echo $! >"$DIR/pids/$s.pid"
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
  if ! cli operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
    cli operator namespace create --namespace "$NAMESPACE" --retention 72h >/dev/null
  fi
  local sa name type
  while read -r sa; do
    name="${sa%%=*}"
    type="${sa#*=}"
    # Retried: a new namespace takes a moment to reach every frontend cache.
    for _ in $(seq 1 30); do
      if cli operator search-attribute list --namespace "$NAMESPACE" 2>/dev/null | grep -q "$name"; then break; fi
      cli operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type" \
        >/dev/null 2>&1 && break
      sleep 1
    done
  done < <(bash "$ROOT/scripts/temporal.sh" search-attributes)
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
    TEMPORAL_PG="$(bash "$ROOT/scripts/postgres.sh" start --dir "$DIR/postgres" --port "$PG_PORT")"
    log "postgres: $TEMPORAL_PG"
    write_config
    ensure_schema
    for s in "${SERVICES[@]}"; do start_service "$s"; done
    wait_frontend
    setup_namespace
    log "up: frontend 127.0.0.1:$PORT, namespace $NAMESPACE, services ${SERVICES[*]}, logs $DIR/logs"
    echo "127.0.0.1:$PORT"
    ;;
  start-service)
    start_service "${1:?service name}"
    ;;
  kill)
    s="${1:?service name: ${SERVICES[*]}}"
    running "$s" && kill -KILL "$(cat "$DIR/pids/$s.pid")"
    ;;
  stop)
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
    ;;
  address)
    echo "127.0.0.1:$PORT"
    ;;
  *)
    die "usage: $0 build|start|stop|status|kill <service>|start-service <service>|address"
    ;;
esac
