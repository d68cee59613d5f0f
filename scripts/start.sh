#!/usr/bin/env bash
# `npm start`: installs what is missing (npm packages, the Temporal CLI), then runs the whole system on
# embedded defaults (scripts/dev-stack.ts). Ctrl-C stops everything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=ensure-deps.sh
source "$ROOT/scripts/ensure-deps.sh"
cd "$ROOT"
exec node --import tsx scripts/dev-stack.ts
