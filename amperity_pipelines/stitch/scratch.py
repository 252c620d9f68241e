"""Uniquely named temporary tables of one Stitch run, dropped when the run ends."""

from __future__ import annotations

import uuid

import pyarrow as pa
from sqlglot import exp

from amperity_pipelines.stitch.backends import Backend, as_backend


class Scratch:
    """Names, creates and finally drops the intermediate tables of a run on one backend.

    `engine` is a backend (`stitch.backends`) or a DuckDB connection, wrapped on the way in.
    """

    def __init__(self, engine: object, prefix: str = "stitch") -> None:
        self.backend: Backend = as_backend(engine)
        self._prefix = f"__{prefix}_{uuid.uuid4().hex[:8]}"
        self._tables: list[str] = []

    def name(self, role: str) -> str:
        return f"{self._prefix}_{role}"

    def create(self, role: str, query: exp.Expression) -> str:
        """Store `query` as the table <run>_<role>; returns its name."""
        name = self.name(role)
        self.backend.create(name, query)
        self._tables.append(name)
        return name

    def register(self, role: str, data: pa.Table) -> str:
        """Expose an Arrow table to SQL as <run>_<role>."""
        name = self.name(role)
        self.backend.register(name, data)
        self._tables.append(name)
        return name

    def drop(self, name: str) -> None:
        """Drop a table of this run early, to free its memory."""
        if name in self._tables:
            self.backend.drop(name)
            self._tables.remove(name)

    def arrow(self, query: exp.Expression) -> pa.Table:
        return self.backend.arrow(query)

    def rows(self, query: exp.Expression) -> list[tuple]:
        result = self.arrow(query)
        return list(zip(*(column.to_pylist() for column in result.columns), strict=True))

    def scalar(self, query: exp.Expression):
        """The first column of the first row (None for no rows)."""
        result = self.arrow(query)
        return result.column(0)[0].as_py() if result.num_rows else None

    def columns(self, name: str) -> list[str]:
        return self.backend.columns(name)

    def fetch(self, query: exp.Expression) -> pa.Table:
        """`arrow` for large results (the Stitch tables): see `Backend.fetch`."""
        return self.backend.fetch(query)

    def close(self) -> None:
        for name in reversed(self._tables):
            self.backend.drop(name)
        self._tables.clear()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
