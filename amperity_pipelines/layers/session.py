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

from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.config.standard_tables import STANDARD_TABLES, database_storage_name
from amperity_pipelines.engines.duckdb_engine import EngineSettings, connect
from amperity_pipelines.storage.lakehouse import Lakehouse


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
    database = database or tenant.spec.databases[0].name
    spec = next((d for d in tenant.spec.databases if d.name == database), None)
    # (SQL name, layer, storage name): the Stitch tables, then the database's tables, if it exists.
    stored = [(t.name, t.layer, t.storage_name(database)) for t in STANDARD_TABLES if t.layer == "stitch" or spec]
    stored += [(t.name, "database", database_storage_name(database, t.name)) for t in spec.tables] if spec else []
    for name, layer, storage_name in stored:
        if lakehouse.exists(layer, storage_name):
            files += lakehouse.register(con, name, layer, storage_name)
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
