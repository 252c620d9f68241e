"""The engine boundary of Stitch: the few operations a run needs, on DuckDB or on Spark.

Stitch's logic is written once, as sqlglot trees in DuckDB's dialect plus numpy; a backend only
renders a tree in its own SQL and moves tables in and out. `DuckDBBackend` runs on a DuckDB
connection (the default: `stitch_records(con, ...)` wraps one); `SparkBackend` runs on a
SparkSession, with the rewrites of `stitch.spark_dialect`.

Tables a backend creates are session-scoped and named by the caller (`Scratch` makes the names
unique per run); `drop` frees them. Arrow is the exchange format both ways.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pyarrow as pa
from sqlglot import exp

from amperity_pipelines.engines.sql_templates import fill, render, table
from amperity_pipelines.stitch import spark_dialect

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import DataFrame, SparkSession

STREAM_BATCH_ROWS = 100_000


@runtime_checkable
class Backend(Protocol):
    name: str

    def render(self, expression: exp.Expression) -> str:
        """The statement in this engine's SQL."""
        ...

    def create(self, name: str, query: exp.Expression) -> None:
        """Store the result of `query` as a new table `name`."""
        ...

    def register(self, name: str, data: pa.Table) -> None:
        """Make an Arrow table queryable as `name`."""
        ...

    def drop(self, name: str) -> None:
        """Forget table `name` (created or registered); no error when it does not exist."""
        ...

    def arrow(self, query: exp.Expression) -> pa.Table:
        """Run a query and return its whole result."""
        ...

    def fetch(self, query: exp.Expression) -> pa.Table:
        """`arrow` for results too large to build in one piece (the Stitch tables)."""
        ...

    def columns(self, name: str) -> list[str]:
        """Column names of table or view `name`."""
        ...


class DuckDBBackend:
    """Stitch on a DuckDB connection: temporary tables, Arrow registered without a copy."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._registered: set[str] = set()

    def render(self, expression: exp.Expression) -> str:
        return render(expression)

    def create(self, name: str, query: exp.Expression) -> None:
        self.con.execute(self.render(fill("CREATE TEMP TABLE $t AS $q", t=table(name), q=query)))

    def register(self, name: str, data: pa.Table) -> None:
        self.con.register(name, data)
        self._registered.add(name)

    def drop(self, name: str) -> None:
        if name in self._registered:
            self.con.unregister(name)
            self._registered.discard(name)
        else:
            self.con.execute(self.render(fill("DROP TABLE IF EXISTS $t", t=table(name))))

    def arrow(self, query: exp.Expression) -> pa.Table:
        return self.con.execute(self.render(query)).to_arrow_table()

    def fetch(self, query: exp.Expression) -> pa.Table:
        """Stored in a table first, then read as a stream of batches.

        With duckdb 1.5.5, running a large join (a million rows) as a plain SELECT sometimes
        never finishes, every worker idle, whether fetched whole or streamed; CREATE TABLE AS
        with the same query has not hung once.
        """
        name = f"__stitch_fetch_{uuid.uuid4().hex[:12]}"
        self.create(name, query)
        try:
            cursor = self.con.execute(self.render(fill("SELECT * FROM $t", t=table(name))))
            return cursor.fetch_record_batch(STREAM_BATCH_ROWS).read_all()
        finally:
            self.drop(name)

    def columns(self, name: str) -> list[str]:
        return self.con.sql(self.render(fill("SELECT * FROM $t LIMIT 0", t=table(name)))).columns


class SparkBackend:
    """Stitch on a SparkSession: each table a locally checkpointed DataFrame behind a temp view.

    A local checkpoint materialises the result on the executors and cuts its lineage, so the
    plan of every later query starts from stored data instead of growing with each stage of
    the run. Dropping a view releases the data when the JVM collects the DataFrame.
    """

    name = "spark"

    def __init__(self, spark: SparkSession) -> None:
        from amperity_pipelines.stitch.spark_udfs import register_functions

        self.spark = spark
        self._frames: dict[str, DataFrame] = {}
        register_functions(spark)

    def render(self, expression: exp.Expression) -> str:
        return spark_dialect.render(expression)

    def _keep(self, name: str, frame: DataFrame) -> None:
        frame = frame.localCheckpoint(eager=True)
        frame.createTempView(name)
        self._frames[name] = frame

    def create(self, name: str, query: exp.Expression) -> None:
        self._keep(name, self.spark.sql(self.render(query)))

    def register(self, name: str, data: pa.Table) -> None:
        if data.num_columns == 0:
            raise ValueError(f"cannot register {name!r}: an Arrow table without columns")
        self._keep(name, self.spark.createDataFrame(data))

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self._frames.pop(name, None)

    def arrow(self, query: exp.Expression) -> pa.Table:
        return _nullable(self.spark.sql(self.render(query)).toArrow())

    def fetch(self, query: exp.Expression) -> pa.Table:
        return self.arrow(query)

    def columns(self, name: str) -> list[str]:
        return list(self.spark.table(name).columns)


def _nullable(data: pa.Table) -> pa.Table:
    """Every field nullable, as DuckDB returns them: Spark marks columns it proves non-NULL."""
    if all(f.nullable for f in data.schema):
        return data
    return data.cast(pa.schema([f.with_nullable(True) for f in data.schema], metadata=data.schema.metadata))


def as_backend(engine: object) -> Backend:
    """`engine` itself when it is a backend; a DuckDB connection wrapped in `DuckDBBackend`."""
    if isinstance(engine, Backend):
        return engine
    import duckdb

    if isinstance(engine, duckdb.DuckDBPyConnection):
        return DuckDBBackend(engine)
    raise TypeError(
        f"Stitch runs on a DuckDB connection or a backend (DuckDBBackend, SparkBackend), not {type(engine).__name__}"
    )
