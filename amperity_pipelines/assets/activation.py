"""Factories for queries (Presto SQL, results kept as Delta tables) and destination exports."""


from datetime import datetime, timezone

import dagster as dg

from amperity_pipelines.assets.keys import database_key, domain_key, export_key, query_key
from amperity_pipelines.assets.metadata import table_metadata
from amperity_pipelines.assets.pools import DUCKDB_POOL
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.engines.sql import referenced_tables
from amperity_pipelines.layers.activation import run_orchestration, run_query
from amperity_pipelines.resources import LakehouseResource


def table_key(tenant: Tenant, name: str) -> dg.AssetKey:
    """The asset behind a table name a SQL statement reads: a domain table or a database table."""
    try:
        return domain_key(tenant.name, tenant.domain_table(name).key)
    except KeyError:
        return database_key(tenant.name, tenant.spec.databases[0].name, name)


def query_asset(tenant: Tenant, name: str) -> dg.AssetsDefinition:
    query = tenant.queries[name]
    deps = [table_key(tenant, table) for table in referenced_tables(query.sql, read="presto")]

    @dg.asset(
        pool=DUCKDB_POOL,
        key=query_key(tenant.name, name),
        deps=deps,
        group_name=f"{tenant.name}_queries",
        kinds={"delta", "sql"},
        description=f"Query {name} (Presto SQL, {query.path.name}).",
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{query.sql}\n```")},
    )
    def _query(lakehouse: LakehouseResource):
        report = run_query(tenant, lakehouse.for_tenant(tenant.name), name)
        return dg.MaterializeResult(metadata=table_metadata(report.rows, report.columns, delta_version=report.version))

    return _query


def export_asset(tenant: Tenant, orchestration) -> dg.AssetsDefinition:
    if orchestration.query:
        upstream = query_key(tenant.name, orchestration.query)
    else:
        database, _, table = orchestration.database_table.partition(".")
        upstream = database_key(tenant.name, database, table)

    @dg.asset(
        key=export_key(tenant.name, orchestration.name),
        deps=[upstream],
        group_name=f"{tenant.name}_destinations",
        kinds={"file"},
        description=(
            f"Orchestration {orchestration.name}: {orchestration.query or orchestration.database_table} "
            f"-> destination {orchestration.destination}"
            + (f" through template {orchestration.template}" if orchestration.template else "")
        ),
        metadata={"trigger": orchestration.trigger, "destination": orchestration.destination},
    )
    def _export(context: dg.AssetExecutionContext, lakehouse: LakehouseResource):
        report = run_orchestration(
            tenant,
            lakehouse.for_tenant(tenant.name),
            orchestration,
            run_time=datetime.now(timezone.utc),
            base_dir=lakehouse.exports_for(tenant.name),
        )
        context.log.info(f"{orchestration.name}: {report.rows} rows to {len(report.files)} file(s)")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": report.rows,
                "files": dg.MetadataValue.json(report.files),
                "bytes": report.bytes,
                "destination": report.destination,
            }
        )

    return _export


def activation_assets(tenant: Tenant) -> list[dg.AssetsDefinition]:
    assets = [query_asset(tenant, name) for name in tenant.queries]
    assets += [export_asset(tenant, orchestration) for orchestration in tenant.spec.orchestrations]
    return assets
