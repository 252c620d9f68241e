#!/usr/bin/env bash
# One command: install everything and run the whole test suite (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-spark.sh
bash scripts/setup-chromium.sh
exec .venv/bin/python -m pytest "$@"
