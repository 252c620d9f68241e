"""Execution engines behind one small interface (`Engine`), and the SQL dialect layer they share."""

from amperity_pipelines.engines.base import Engine, QueryDialect
from amperity_pipelines.engines.duckdb_engine import DuckDBEngine
from amperity_pipelines.engines.errors import EngineError, SqlError
from amperity_pipelines.engines.sql import Dialect, duckdb_settings, parse, referenced_tables, transpile

__all__ = [
    "Dialect",
    "DuckDBEngine",
    "Engine",
    "EngineError",
    "QueryDialect",
    "SqlError",
    "duckdb_settings",
    "parse",
    "referenced_tables",
    "transpile",
]
