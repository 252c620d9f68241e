"""A DuckDB session over a tenant's lakehouse, with every existing table visible by its SQL name.

Domain tables appear as `Source:Feed` (quote them: `POS:Customers` in Spark SQL backticks,
"POS:Customers" in Presto), custom domain tables and database tables by their own names.
Views are lazy, so registering every table costs nothing until a query reads it.

The session runs tenant SQL, so once its tables are registered it is locked: DuckDB may then open
the Parquet files of those tables and nothing else (`allowed_paths`, then
`enable_external_access = false`), and `lock_configuration` keeps any statement from changing
that back. A query that reads a file, installs an extension, attaches a database or writes a
file fails with DuckDB's permission error even if it got past the SQL check (`engines.sql`).
Spilling to `temp_directory` still works. Internal steps that read landing files (ingest) or
write scratch tables (Stitch) use `engines.duckdb_engine.connect` without the lock.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from amperity_pipelines.config.loader import STANDARD_DATABASE_TABLES, STITCH_TABLES, Tenant
from amperity_pipelines.engines.duckdb_engine import EngineSettings, connect
from amperity_pipelines.storage.lakehouse import Lakehouse


def database_storage_name(database: str, table: str) -> str:
    return f"{database}__{table}"


def open_session(
    tenant: Tenant,
    lakehouse: Lakehouse,
    *,
    database: str | None = None,
    settings: EngineSettings | None = None,
    sql_settings: Mapping[str, object] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Connect, register every Delta table of the tenant that exists now, and lock the session.

    `sql_settings` (e.g. `engines.sql.duckdb_settings("presto")`) are applied before the lock:
    nothing can change a setting afterwards."""
    con = connect(settings)
    files: list[str] = []
    for table in tenant.domain_tables():
        if lakehouse.exists("domain", table.key):
            files += lakehouse.register(con, table.name, "domain", table.key)
    for name in STITCH_TABLES:
        if lakehouse.exists("stitch", name):
            files += lakehouse.register(con, name, "stitch", name)
    database = database or tenant.spec.databases[0].name
    spec = next((d for d in tenant.spec.databases if d.name == database), None)
    if spec is not None:
        for name in [*STANDARD_DATABASE_TABLES, *(t.name for t in spec.tables)]:
            stored = database_storage_name(database, name)
            if name not in STITCH_TABLES and lakehouse.exists("database", stored):
                files += lakehouse.register(con, name, "database", stored)
    for setting, value in (sql_settings or {}).items():
        con.execute(f"SET {setting} = ?", [value])
    lock(con, allowed_files=files)
    return con


def lock(con: duckdb.DuckDBPyConnection, *, allowed_files: list[str]) -> None:
    """From now on `con` opens `allowed_files` and no other file, URL, extension or database,
    and its settings cannot change (DuckDB refuses to turn external access back on)."""
    con.execute("SET allowed_paths = ?", [sorted(set(allowed_files))])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
