#!/usr/bin/env bash
# Delta Lake's jars for Spark (--engine spark, the Spark tests) into ~/.m2. Safe to run again.
# The demo and the embedded engine do not need them.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mvn >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-spark: mvn is missing; as root: apt-get install maven" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends maven >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends maven >/dev/null; }
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
  echo "setup: fetching $group:$artifact:$version into ~/.m2 for Spark"
  transitive=true
  [ "$deps" = with-dependencies ] || transitive=false
  mvn -B -q dependency:get -Dartifact="$group:$artifact:$version" -Dtransitive=$transitive
done
