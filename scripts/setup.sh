#!/usr/bin/env bash
# Installs the Python environment into .venv (Python 3.11, locked dependencies): all the demo and
# the embedded engine need. The tests also need scripts/setup-spark.sh and scripts/setup-chromium.sh.
# Safe to run again: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] in ((3, 11), (3, 12)) else 1)'; then
  echo "setup: Python 3.11 or 3.12 is needed, found $("$PYTHON" --version 2>&1) at $PYTHON" >&2
  exit 1
fi
if ! command -v uv >/dev/null 2>&1 && ! "$PYTHON" -m uv --version >/dev/null 2>&1; then
  echo "setup: installing uv from PyPI"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check uv
fi
UV="uv"
command -v uv >/dev/null 2>&1 || UV="$PYTHON -m uv"

if [ ! -x .venv/bin/python ]; then
  $UV venv --quiet --python "$PYTHON" .venv
fi
export VIRTUAL_ENV="$PWD/.venv"
$UV pip sync --quiet requirements.lock
$UV pip install --quiet --no-deps -e .
echo "setup: .venv ready ($(.venv/bin/python --version))"
