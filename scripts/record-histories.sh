#!/usr/bin/env bash
# Records the replay histories of a release: every FR workflow branch and the poller, run by
# test/workflows/fr-workflow.test.ts against the time-skipping test server, written as binary protobuf to
# test/fixtures/histories/<release>/. Run it on the released commit (the tag), commit the folder, and never
# re-record a released folder: test/workflows/replay.test.ts replays every release's histories against the
# current workflow code, which is how a change to the command sequence without patched() is caught.
#
#   bash scripts/record-histories.sh v0.2.0
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
release="${1:-}"
if ! [[ "$release" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "usage: $0 <release, e.g. v0.2.0>" >&2
  exit 2
fi
dir="$ROOT/test/fixtures/histories/$release"
if [ -d "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null | grep -v '^e2e-' || true)" ] && [ "${FORCE:-0}" != "1" ]; then
  echo "$dir already holds recorded histories; a released folder is never re-recorded (FORCE=1 to override)" >&2
  exit 1
fi
cd "$ROOT"
TEMPORAL_TEST_SERVER_PATH="${TEMPORAL_TEST_SERVER_PATH:-$(bash scripts/temporal.sh test-server-path)}"
export TEMPORAL_TEST_SERVER_PATH
RECORD_HISTORIES="$release" npx vitest run --project workflows test/workflows/fr-workflow.test.ts
echo "[record] $(ls "$dir" | wc -l) histories in $dir" >&2
