"""Uniquely named temporary tables of one Stitch run, dropped when the run ends."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pyarrow as pa
from sqlglot import exp

from amperity_pipelines.stitch.sql import fill, render, table

if TYPE_CHECKING:
    import duckdb


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

    def run(self, statement: exp.Expression) -> duckdb.DuckDBPyConnection:
        return self.con.execute(render(statement))

    def scalar(self, query: exp.Expression):
        return self.run(query).fetchone()[0]

    def arrow(self, query: exp.Expression) -> pa.Table:
        return self.run(query).to_arrow_table()

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
