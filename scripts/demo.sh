#!/usr/bin/env bash
# One command: install everything, generate the demo retailer's files and materialize the whole
# demo tenant on the embedded engine (delta-rs + DuckDB), then print where the results are.
# Extra arguments go to `amperity-pipelines demo` (e.g. --people 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
mkdir -p "$DAGSTER_HOME" && cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"
exec .venv/bin/amperity-pipelines demo "$@"
