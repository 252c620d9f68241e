"""Uniquely named temporary tables of one Stitch run, dropped when the run ends."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pyarrow as pa
from sqlglot import exp

from amperity_pipelines.stitch.sql import fill, render, table

if TYPE_CHECKING:
    import duckdb


STREAM_BATCH_ROWS = 100_000


class Scratch:
    """Names, creates and finally drops the intermediate tables of a run on one connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, prefix: str = "stitch") -> None:
        self.con = con
        self._prefix = f"__{prefix}_{uuid.uuid4().hex[:8]}"
        self._tables: list[str] = []
        self._arrow: list[str] = []

    def name(self, role: str) -> str:
        return f"{self._prefix}_{role}"

    def create(self, role: str, query: exp.Expression) -> str:
        """CREATE TEMP TABLE <run>_<role> AS <query>; returns the table name."""
        name = self.name(role)
        self.run(fill("CREATE TEMP TABLE $t AS $q", t=table(name), q=query))
        self._tables.append(name)
        return name

    def register(self, role: str, data: pa.Table) -> str:
        """Expose an Arrow table to SQL as <run>_<role> (no copy)."""
        name = self.name(role)
        self.con.register(name, data)
        self._arrow.append(name)
        return name

    def drop(self, name: str) -> None:
        """Drop a table of this run early, to free its memory."""
        if name in self._tables:
            self.run(fill("DROP TABLE IF EXISTS $t", t=table(name)))
            self._tables.remove(name)

    def run(self, statement: exp.Expression) -> duckdb.DuckDBPyConnection:
        return self.con.execute(render(statement))

    def scalar(self, query: exp.Expression):
        return self.run(query).fetchone()[0]

    def arrow(self, query: exp.Expression) -> pa.Table:
        return self.run(query).to_arrow_table()

    def arrow_via_table(self, query: exp.Expression) -> pa.Table:
        """`arrow`, but the result is first stored in a table of this run (dropped after).

        With duckdb 1.5.5, running a large join (a million rows) as a plain SELECT sometimes
        never finishes, every worker idle, whether fetched whole or streamed; CREATE TABLE AS
        with the same query has not hung once. The table is then read as a stream.
        """
        name = self.create(f"fetch_{len(self._tables)}", query)
        try:
            return self.run(fill("SELECT * FROM $t", t=table(name))).fetch_record_batch(STREAM_BATCH_ROWS).read_all()
        finally:
            self.drop(name)

    def close(self) -> None:
        for name in reversed(self._tables):
            self.run(fill("DROP TABLE IF EXISTS $t", t=table(name)))
        for name in self._arrow:
            self.con.unregister(name)
        self._tables.clear()
        self._arrow.clear()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
