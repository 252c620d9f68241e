"""A local SparkSession with Delta Lake: the Spark engine of tests and single-machine runs.

The delta-spark wheel carries no jars; the session asks Spark's resolver for them with
`spark.jars.packages`, and the resolver looks in ~/.m2 first, where `scripts/setup-spark.sh` puts them
with Maven, so a session starts without reaching any repository.

Why the jar version differs from the wheel's (4.4.1): Maven Central serves Delta's jars for Spark
4.2 only up to 4.4.0. The Python side of delta-spark only calls into the jar's classes;
tests/stitch/test_spark_parity.py writes, reads and inspects a Delta table with this pair.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DELTA_JAR_VERSION = "4.4.0"
SPARK_SCALA = "4.2_2.13"
"""Spark major.minor and Scala version of the installed pyspark, as Delta names its artifact."""
DELTA_PACKAGES: tuple[str, ...] = (
    f"io.delta:delta-spark_{SPARK_SCALA}:{DELTA_JAR_VERSION}",
    f"io.delta:delta-storage:{DELTA_JAR_VERSION}",
)


def local_spark(
    *,
    app_name: str = "amperity-pipelines",
    cores: int = 2,
    shuffle_partitions: int = 4,
    driver_memory: str = "2g",
    warehouse: str | None = None,
    short_lived: bool = False,
    conf: dict[str, str] | None = None,
) -> SparkSession:
    """Start (or return the running) local SparkSession with Delta Lake enabled.

    Small shuffle partition counts suit one machine: Spark's default of 200 makes every small
    query schedule 200 tasks (and Delta's snapshot state, 50). Times are UTC so that TIMESTAMP values read back as written. The
    UI is off and the driver binds to the loopback address: nothing listens outside.

    short_lived (tests, one-off runs): the JVM compiles with its quick tier only. Its optimising
    tier spends more CPU than it gives back within a few minutes; on 2 busy cores a session
    started in 14 s instead of 27 s and a first small Stitch run took 72 s instead of 109 s.
    It applies only when this call starts the JVM.
    """
    from pyspark.sql import SparkSession

    # pandas UDFs start Python workers: they must use this interpreter (and its pyarrow).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    settings = {
        "spark.master": f"local[{cores}]",
        "spark.app.name": app_name,
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.memory": driver_memory,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        # Delta rebuilds a table's state with 50 partitions by default: reading a tiny table took
        # 25 s instead of 3 s on 2 cores.
        "spark.databricks.delta.snapshotPartitions": str(shuffle_partitions),
        "spark.default.parallelism": str(cores),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.jars.packages": ",".join(DELTA_PACKAGES),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    }
    if warehouse is not None:
        settings["spark.sql.warehouse.dir"] = warehouse
    if short_lived:
        settings["spark.driver.extraJavaOptions"] = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    settings.update(conf or {})
    builder = SparkSession.builder
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
