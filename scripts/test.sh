#!/usr/bin/env bash
# `npm test`: installs what is missing, then lint, typecheck and every test suite against a real
# Temporal dev server (started by test/global-setup.ts) and, where needed, a real PostgreSQL.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=ensure-deps.sh
source "$ROOT/scripts/ensure-deps.sh"
cd "$ROOT"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
npx tsc --noEmit -p tsconfig.json
npx vitest run "$@"
