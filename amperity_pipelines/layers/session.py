"""A DuckDB session over a tenant's lakehouse, with every existing table visible by its SQL name.

Domain tables appear as `Source:Feed` (quote them: `POS:Customers` in Spark SQL backticks,
"POS:Customers" in Presto), custom domain tables and database tables by their own names.
Views are lazy, so registering every table costs nothing until a query reads it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import duckdb

from amperity_pipelines.config.loader import STANDARD_DATABASE_TABLES, STITCH_TABLES, Tenant
from amperity_pipelines.storage.lakehouse import Lakehouse


@dataclass(frozen=True)
class EngineSettings:
    threads: int | None = None
    memory_limit: str | None = None
    temp_directory: str | None = None

    @classmethod
    def from_env(cls) -> EngineSettings:
        threads = os.environ.get("AMPERITY_DUCKDB_THREADS")
        return cls(
            threads=int(threads) if threads else None,
            memory_limit=os.environ.get("AMPERITY_DUCKDB_MEMORY_LIMIT"),
            temp_directory=os.environ.get("AMPERITY_DUCKDB_TEMP"),
        )


def connect(settings: EngineSettings | None = None) -> duckdb.DuckDBPyConnection:
    settings = settings or EngineSettings.from_env()
    con = duckdb.connect()
    if settings.threads:
        con.execute(f"SET threads = {int(settings.threads)}")
    if settings.memory_limit:
        con.execute("SET memory_limit = ?", [settings.memory_limit])
    if settings.temp_directory:
        con.execute("SET temp_directory = ?", [settings.temp_directory])
    con.execute("SET preserve_insertion_order = false")
    return con


def database_storage_name(database: str, table: str) -> str:
    return f"{database}__{table}"


def open_session(
    tenant: Tenant,
    lakehouse: Lakehouse,
    *,
    database: str | None = None,
    settings: EngineSettings | None = None,
) -> duckdb.DuckDBPyConnection:
    """Connect and register every Delta table of the tenant that exists now."""
    con = connect(settings)
    for table in tenant.domain_tables():
        if lakehouse.exists("domain", table.key):
            lakehouse.register(con, table.name, "domain", table.key)
    for name in STITCH_TABLES:
        if lakehouse.exists("stitch", name):
            lakehouse.register(con, name, "stitch", name)
    database = database or tenant.spec.databases[0].name
    spec = next((d for d in tenant.spec.databases if d.name == database), None)
    if spec is not None:
        for name in [*STANDARD_DATABASE_TABLES, *(t.name for t in spec.tables)]:
            stored = database_storage_name(database, name)
            if name not in STITCH_TABLES and lakehouse.exists("database", stored):
                lakehouse.register(con, name, "database", stored)
    return con
