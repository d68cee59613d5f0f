#!/usr/bin/env bash
# Installs what `npm start` / `npm test` need and is missing: npm packages and the Temporal CLI.
# Sourced by scripts/start.sh and scripts/test.sh; safe to run repeatedly.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -d node_modules/@temporalio/worker ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: npm 11.19 writes lock files without other platforms' optional
  # packages and then refuses them in `npm ci` ("Missing: @swc/core-darwin-arm64 from lock file").
  echo "[setup] installing npm dependencies (npm install, versions pinned by package-lock.json)" >&2
  npm install --no-audit --no-fund >&2
fi
TEMPORAL_CLI_PATH="$(bash scripts/temporal.sh path)"
export TEMPORAL_CLI_PATH
