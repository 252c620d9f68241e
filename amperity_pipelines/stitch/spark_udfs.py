"""The functions Stitch's Spark SQL calls that Spark lacks, installed per SparkSession.

Kept apart from `spark_dialect` because it needs pandas and pyspark at import time (pandas UDF
type hints are read from this module), while rendering SQL for Spark needs neither.
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql.functions import pandas_udf

from amperity_pipelines.stitch.jaro_winkler import jaro_winkler_many
from amperity_pipelines.stitch.spark_dialect import JARO_WINKLER_FUNCTION, session_statements


def jaro_winkler_series(left: pd.Series, right: pd.Series) -> pd.Series:
    """Element-wise similarity of two string columns; None where a side is NULL.

    None, not NaN: Spark orders NaN above every number, so NaN >= 0.9 would hold.
    """
    return pd.Series(jaro_winkler_many(left.tolist(), right.tolist()), dtype="object")


def register_functions(spark: SparkSession) -> None:
    """Define stitch_strip_accents (SQL) and stitch_jaro_winkler (pandas UDF) in `spark`."""
    for statement in session_statements():
        spark.sql(statement)
    spark.udf.register(JARO_WINKLER_FUNCTION, pandas_udf(jaro_winkler_series, "double"))
