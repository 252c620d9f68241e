"""The embedded engine: one DuckDB connection with bounded memory, threads and a spill folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from amperity_pipelines.engines.base import ArrowData, QueryDialect
from amperity_pipelines.engines.errors import EngineError, SqlError
from amperity_pipelines.engines.expression_types import TableSchemas
from amperity_pipelines.engines.sql import duckdb_settings, referenced_tables, transpile

_NATIVE_SETTINGS: dict[str, object] = {"integer_division": False}


class DuckDBEngine:
    """Runs Spark SQL and Presto SQL on DuckDB (transpiled by `engines.sql`) and native DuckDB SQL.

    `memory_limit` is a DuckDB size ("4GB"); beyond it, sorts, joins and aggregates spill to
    `temp_directory`. `None` keeps DuckDB's default (80% of RAM, one thread per core). One engine
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
        config: dict[str, str | int] = {}
        if memory_limit is not None:
            config["memory_limit"] = memory_limit
        if threads is not None:
            config["threads"] = threads
        if temp_directory is not None:
            Path(temp_directory).mkdir(parents=True, exist_ok=True)
            config["temp_directory"] = str(temp_directory)
        # `connection` is public so storage code can register Delta tables on it (Lakehouse.register).
        try:
            self.connection = duckdb.connect(str(database), config=config)
        except duckdb.Error as error:
            raise EngineError(f"cannot open DuckDB {database} with {config}: {error}") from None

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
