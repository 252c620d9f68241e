"""The embedded engine: one DuckDB connection with bounded memory, threads and a spill folder.

`connect` is the one place a DuckDB connection is set up (threads, memory limit, spill folder,
insertion order); the pipeline's sessions (`layers.session`), the quality checks and
`DuckDBEngine` all open theirs with it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from amperity_pipelines.engines.base import ArrowData, QueryDialect
from amperity_pipelines.engines.errors import EngineError, SqlError
from amperity_pipelines.engines.expression_types import TableSchemas
from amperity_pipelines.engines.sql import duckdb_settings, referenced_tables, transpile

_NATIVE_SETTINGS: dict[str, object] = {"integer_division": False}


@dataclass(frozen=True)
class EngineSettings:
    """DuckDB's resources: `None` keeps DuckDB's default (one thread per core, 80% of RAM, a
    spill folder beside the database)."""

    threads: int | None = None
    memory_limit: str | None = None
    """A DuckDB size ("4GB"); beyond it, sorts, joins and aggregates spill to `temp_directory`."""
    temp_directory: str | None = None

    @classmethod
    def from_env(cls) -> EngineSettings:
        threads = os.environ.get("AMPERITY_DUCKDB_THREADS")
        return cls(
            threads=int(threads) if threads else None,
            memory_limit=os.environ.get("AMPERITY_DUCKDB_MEMORY_LIMIT"),
            temp_directory=os.environ.get("AMPERITY_DUCKDB_TEMP"),
        )


def connect(settings: EngineSettings | None = None, *, database: str | Path = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with `settings` (default: `EngineSettings.from_env()`).

    Insertion order is not preserved: every step that needs an order says ORDER BY, and without
    the guarantee DuckDB streams large scans and writes with less memory."""
    settings = settings or EngineSettings.from_env()
    config: dict[str, str | int] = {"preserve_insertion_order": False}
    if settings.threads:
        config["threads"] = int(settings.threads)
    if settings.memory_limit:
        config["memory_limit"] = settings.memory_limit
    if settings.temp_directory:
        Path(settings.temp_directory).mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(settings.temp_directory)
    try:
        return duckdb.connect(str(database), config=config)
    except duckdb.Error as error:
        raise EngineError(f"cannot open DuckDB {database} with {config}: {error}") from None


class DuckDBEngine:
    """Runs Spark SQL and Presto SQL on DuckDB (transpiled by `engines.sql`) and native DuckDB SQL.

    `memory_limit`, `threads` and `temp_directory` are those of `EngineSettings`. One engine
    holds one connection: use it from one thread at a time.
    """

    name = "duckdb"

    def __init__(
        self,
        *,
        database: str | Path = ":memory:",
        memory_limit: str | None = None,
        threads: int | None = None,
        temp_directory: str | Path | None = None,
    ) -> None:
        settings = EngineSettings(threads, memory_limit, None if temp_directory is None else str(temp_directory))
        # `connection` is public so storage code can register Delta tables on it (Lakehouse.register).
        self.connection = connect(settings, database=database)

    def execute(self, sql: str) -> None:
        try:
            self._apply(_NATIVE_SETTINGS)
            self.connection.execute(sql)
        except duckdb.Error as error:
            raise SqlError(f"DuckDB: {error}") from None

    def relation(self, sql: str, *, dialect: QueryDialect, source: str | None = None) -> duckdb.DuckDBPyRelation:
        """A lazy DuckDB relation over the statement (bound now, run when fetched)."""
        if dialect == "native":
            statement, settings = sql, _NATIVE_SETTINGS
        else:
            schema = self._schemas(referenced_tables(sql, read=dialect, source=source))
            statement = transpile(sql, read=dialect, source=source, schema=schema)
            settings = duckdb_settings(dialect)
        try:
            self._apply(settings)
            return self.connection.sql(statement)
        except duckdb.Error as error:
            raise SqlError(f"DuckDB cannot run the statement: {error}", source=source) from None

    def query(self, sql: str, *, dialect: QueryDialect, source: str | None = None) -> pa.Table:
        relation = self.relation(sql, dialect=dialect, source=source)
        try:
            return relation.to_arrow_table()
        except duckdb.Error as error:
            raise SqlError(f"DuckDB failed while running the statement: {error}", source=source) from None

    def stream(
        self, sql: str, *, dialect: QueryDialect, source: str | None = None, batch_size: int = 100_000
    ) -> pa.RecordBatchReader:
        relation = self.relation(sql, dialect=dialect, source=source)
        try:
            return relation.to_arrow_reader(batch_size)
        except duckdb.Error as error:
            raise SqlError(f"DuckDB failed while running the statement: {error}", source=source) from None

    def _apply(self, settings: dict[str, object]) -> None:
        """Session settings a dialect's semantics need; set before every statement (they persist)."""
        for setting, value in settings.items():
            self.connection.execute(f"SET {setting} = {_literal(value)}")

    def _schemas(self, tables: list[str]) -> TableSchemas:
        """Column types of the tables a statement reads, for the type-dependent rewrites."""
        schemas = {}
        for table in tables:
            quoted = ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))
            try:
                described = self.connection.execute(f"DESCRIBE SELECT * FROM {quoted}").fetchall()
            except duckdb.Error:
                continue  # unknown here: running the statement reports it
            schemas[table] = {row[0]: row[1] for row in described}
        return schemas

    def register_arrow(self, name: str, data: ArrowData) -> None:
        self.connection.register(name, data)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
