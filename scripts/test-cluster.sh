#!/usr/bin/env bash
# `npm run test:cluster`: the end-to-end, chaos and cluster-only suites against a real Temporal cluster
# (scripts/temporal-cluster.sh: server 1.32.0, four services as separate processes, PostgreSQL persistence
# and visibility) instead of the dev server. Builds the server once per machine (~10 minutes on 2 cores,
# cached in .tools/), starts a throwaway cluster on its own ports and data directory, stops it at the end.
# Extra arguments go to vitest (e.g. a file name to run one suite).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=ensure-deps.sh
source "$ROOT/scripts/ensure-deps.sh"
cd "$ROOT"

export TEMPORAL_CLUSTER_DIR="${TEMPORAL_CLUSTER_DIR:-$(mktemp -d /tmp/flxpoint-cluster-XXXXXX)}"
export TEMPORAL_CLUSTER_PORT="${TEMPORAL_CLUSTER_PORT:-17233}"
export TEMPORAL_CLUSTER_PG_PORT="${TEMPORAL_CLUSTER_PG_PORT:-55433}"
# The suites need no Web UI (npm run temporal:cluster starts one).
export TEMPORAL_CLUSTER_UI_PORT="${TEMPORAL_CLUSTER_UI_PORT:-off}"
cleanup() { bash scripts/temporal-cluster.sh stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
TEMPORAL_ADDRESS="$(bash scripts/temporal-cluster.sh start)"
export TEMPORAL_ADDRESS
echo "[test-cluster] Temporal cluster at $TEMPORAL_ADDRESS (data $TEMPORAL_CLUSTER_DIR)" >&2
[ $# -gt 0 ] || set -- test/e2e test/chaos test/cluster
npx vitest run --project workflows "$@"
