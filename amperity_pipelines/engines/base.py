"""The interface every execution engine implements (DuckDB embedded now, Spark distributed later).

An engine runs tenant SQL written in a tenant dialect (`spark` or `presto`) and returns Arrow data;
how it gets there (transpiling, session settings, spilling) stays inside the engine. Business logic
receives an `Engine` and never asks which one it is.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

import pyarrow as pa

QueryDialect = Literal["spark", "presto", "trino", "native"]
"""Dialect of a statement given to an engine: a tenant dialect, or `native` for the engine's own SQL."""

ArrowData = pa.Table | pa.RecordBatchReader


@runtime_checkable
class Engine(Protocol):
    name: str

    def execute(self, sql: str) -> None:
        """Run a statement in the engine's native SQL (setup, views); its result is discarded."""
        ...

    def query(self, sql: str, *, dialect: QueryDialect, source: str | None = None) -> pa.Table:
        """Run a SELECT and return its whole result. `source` names the statement's file in errors."""
        ...

    def stream(
        self, sql: str, *, dialect: QueryDialect, source: str | None = None, batch_size: int = 100_000
    ) -> pa.RecordBatchReader:
        """Run a SELECT and return its result as record batches, for results larger than memory."""
        ...

    def register_arrow(self, name: str, data: ArrowData) -> None:
        """Make Arrow data queryable as table `name` (a reader can be scanned only once)."""
        ...

    def close(self) -> None: ...
