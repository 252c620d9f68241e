#!/usr/bin/env bash
# Start the Dagster UI on http://127.0.0.1:3000 with every tenant loaded, and the report server
# on http://127.0.0.1:3001 that the UI's Stitch QA report and Data Docs links open.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
mkdir -p "$DAGSTER_HOME" && cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"
REPORTS_PORT="${REPORTS_PORT:-3001}"
export AMPERITY_REPORTS_URL="${AMPERITY_REPORTS_URL:-http://127.0.0.1:$REPORTS_PORT}"
.venv/bin/amperity-pipelines serve-reports --port "$REPORTS_PORT" &
reports=$!
trap 'kill "$reports" 2>/dev/null || true' EXIT
.venv/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p "${PORT:-3000}"
