#!/usr/bin/env bash
# Installs everything the project needs into .venv (Python 3.11, locked dependencies).
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

# Debian's Chromium, headless: tests open the Stitch QA report in it (tests/quality). apt needs
# root; elsewhere the step only says what is missing and those tests skip.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: /usr/bin/chromium is missing; as root: apt-get install chromium (the report tests skip without it)" >&2
  else
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache show chromium >/dev/null 2>&1; then
      apt-get update -qq
    fi
    # A stale package list names versions the mirror no longer has: refresh once and retry.
    apt-get install -y -qq --no-install-recommends chromium >/dev/null \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
    echo "setup: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) installed"
  fi
fi

# Delta Lake's jars for the local Spark session (amperity_pipelines/engines/spark_session.py):
# Spark's resolver reads ~/.m2 first, so with them there a session starts without a repository.
# Maven fetches delta-spark and delta-storage with their dependencies (the POMs Spark's resolver
# reads); where Spark's resolver settles a version conflict differently from Maven, it asks for
# a jar Maven left out: those are listed after them, fetched alone. Keep the versions in step with
# spark_session.py (DELTA_JAR_VERSION).
DELTA_JARS=4.4.0
M2="${HOME}/.m2/repository"
SPARK_JARS="
io.delta:delta-spark_4.2_2.13:$DELTA_JARS:with-dependencies
io.delta:delta-storage:$DELTA_JARS:with-dependencies
org.xerial.snappy:snappy-java:1.1.10.7
org.slf4j:slf4j-api:2.0.13
org.roaringbitmap:RoaringBitmap:0.9.25
com.fasterxml.jackson.core:jackson-databind:2.13.5
org.apache.hadoop:hadoop-client-api:3.4.2
org.apache.hadoop:hadoop-client-runtime:3.4.2
org.apache.parquet:parquet-column:1.16.0
org.apache.parquet:parquet-encoding:1.16.0
org.apache.parquet:parquet-hadoop:1.16.0
org.apache.parquet:parquet-jackson:1.16.0
io.airlift:aircompressor:2.0.2
com.github.luben:zstd-jni:1.5.7-3
commons-logging:commons-logging:1.3.0
commons-pool:commons-pool:1.6
org.apache.logging.log4j:log4j-api:2.25.3
org.apache.logging.log4j:log4j-core:2.25.3
org.apache.logging.log4j:log4j-slf4j2-impl:2.25.3
"
for coordinate in $SPARK_JARS; do
  IFS=: read -r group artifact version deps <<<"$coordinate"
  jar="$M2/${group//.//}/$artifact/$version/$artifact-$version.jar"
  [ -f "$jar" ] && continue
  if ! command -v mvn >/dev/null 2>&1; then
    echo "setup: mvn is missing, so $artifact $version cannot be fetched into ~/.m2 (Spark tests need it)" >&2
    continue
  fi
  echo "setup: fetching $group:$artifact:$version into ~/.m2 for Spark"
  transitive=true
  [ "$deps" = with-dependencies ] || transitive=false
  mvn -B -q dependency:get -Dartifact="$group:$artifact:$version" -Dtransitive=$transitive
done
