"""Factories for customer 360 database tables: the standard ones and the tenant's custom SQL tables."""


import dagster as dg

from amperity_pipelines.assets.keys import database_key, domain_key
from amperity_pipelines.assets.metadata import table_metadata
from amperity_pipelines.assets.pools import DUCKDB_POOL
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.config.models import DatabaseSpec
from amperity_pipelines.config.standard_tables import C360_TABLES, standard_table
from amperity_pipelines.engines.sql import referenced_tables
from amperity_pipelines.layers.database import build_database_table, transaction_tables
from amperity_pipelines.resources import LakehouseResource


def _standard_deps(tenant: Tenant, database: DatabaseSpec, table: str) -> list[dg.AssetKey]:
    deps = []
    for upstream in standard_table(table).inputs:
        if upstream == "transactions":
            deps += [domain_key(tenant.name, t.key) for t in transaction_tables(tenant)]
        else:
            deps.append(database_key(tenant.name, database.name, upstream))
    return deps


def _custom_deps(tenant: Tenant, database: DatabaseSpec, sql: str) -> list[dg.AssetKey]:
    deps = []
    for name in referenced_tables(sql, read="spark"):
        try:
            deps.append(domain_key(tenant.name, tenant.domain_table(name).key))
        except KeyError:
            deps.append(database_key(tenant.name, database.name, name))
    return deps


def database_table_asset(tenant: Tenant, database: DatabaseSpec, table: str, deps, description: str, sql: str | None = None):
    metadata = {"database": database.name, "table": table}
    if sql:
        metadata["sql"] = dg.MetadataValue.md(f"```sql\n{sql}\n```")

    @dg.asset(
        pool=DUCKDB_POOL,
        key=database_key(tenant.name, database.name, table),
        deps=deps,
        group_name=f"{tenant.name}_{database.name.lower()}",
        kinds={"delta", "duckdb"},
        description=description,
        metadata=metadata,
    )
    def _build(lakehouse: LakehouseResource):
        report = build_database_table(tenant, lakehouse.for_tenant(tenant.name), database, table)
        return dg.MaterializeResult(metadata=table_metadata(report.rows, report.columns, delta_version=report.version))

    return _build


def database_assets(tenant: Tenant) -> list[dg.AssetsDefinition]:
    if not tenant.stitched_tables():
        return []
    assets = []
    for database in tenant.spec.databases:
        for table in C360_TABLES:
            deps = _standard_deps(tenant, database, table)
            assets.append(database_table_asset(tenant, database, table, deps, standard_table(table).description))
        for custom in database.tables:
            sql = tenant.sql_files[custom.sql]
            assets.append(
                database_table_asset(
                    tenant, database, custom.name, _custom_deps(tenant, database, sql),
                    custom.description or f"Custom table {custom.name} ({custom.sql}).", sql,
                )
            )
    return assets
