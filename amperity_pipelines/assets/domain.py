"""Factories for domain tables: one asset per feed (`Source:Feed`) and per custom domain table."""


from datetime import date

import dagster as dg

from amperity_pipelines.assets.keys import domain_key
from amperity_pipelines.assets.metadata import table_metadata
from amperity_pipelines.assets.partitions import days_of, is_partitioned, tenant_partitions
from amperity_pipelines.assets.pools import DUCKDB_POOL
from amperity_pipelines.config.loader import DomainTable, Tenant
from amperity_pipelines.engines.sql import referenced_tables
from amperity_pipelines.layers.domain import LoadWindow, build_custom_domain_table, load_domain_table
from amperity_pipelines.resources import LakehouseResource


class CourierRunConfig(dg.Config):
    """Which files a run loads, within its partitions' days (a dated feed) or all of them:
    `files` limits the run to those files (a courier's sensor names what it saw), `reload`
    loads files again that the ledger says were loaded."""

    files: list[str] = []
    reload: bool = False

    def window(self, days: tuple[date, date] | None) -> LoadWindow:
        start, end = days or (None, None)
        return LoadWindow(start=start, end=end, files=tuple(self.files), reload=self.reload)


def feed_asset(tenant: Tenant, table: DomainTable) -> dg.AssetsDefinition:
    feed = table.feed
    partitions = tenant_partitions(tenant) if is_partitioned(tenant, table) else None

    @dg.asset(
        pool=DUCKDB_POOL,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions else None,
        key=domain_key(tenant.name, table.key),
        group_name=f"{tenant.name}_domain",
        kinds={"delta", "duckdb"},
        description=(feed.description or f"Domain table {table.name}: feed {feed.name} of source {table.source}."),
        metadata={"domain_table": table.name, "primary_key": ", ".join(table.primary_key), "stitched": table.stitch},
        tags={"source": table.source},
    )
    def _load(context: dg.AssetExecutionContext, config: CourierRunConfig, lakehouse: LakehouseResource):
        days = days_of(context.partition_time_window) if partitions else None
        report = load_domain_table(
            tenant, table, lakehouse.for_tenant(tenant.name), lakehouse.landing, config.window(days), on_wait=context.log.warning
        )
        if report.recovered:
            context.log.warning(
                f"{table.name}: an earlier run was stopped after committing {len(report.recovered)} file(s) but before "
                f"recording them in the load ledger; recorded them now, they are not loaded again"
            )
        for warning in report.warnings:
            context.log.warning(f"{table.name}: {warning}")
        context.log.info(
            f"{table.name}: loaded {len(report.files)} file(s), {report.rows_read} rows read, "
            f"{report.rows_rejected} quarantined, {report.rows} rows now; skipped {len(report.skipped)} already loaded"
        )
        extra = row_accounting(report)
        if report.warnings:
            extra["warnings"] = dg.MetadataValue.json(report.warnings)
        if report.recovered:
            extra["files_recovered"] = dg.MetadataValue.json(report.recovered)
        return dg.MaterializeResult(
            metadata=table_metadata(
                report.rows,
                feed_columns(table),
                files_loaded=dg.MetadataValue.json(report.files),
                files_skipped=len(report.skipped),
                delta_version=report.version,
                **extra,
            )
        )

    return _load


def feed_columns(table: DomainTable) -> list[tuple[str, str]]:
    """The feed's fields with the feed's own types (String, Date, Decimal(38,2), ...)."""
    return [(f.name, f.type) for f in table.feed.fields]


def row_accounting(report) -> dict:
    """Where the rows of a load went; the figures add up:
    rows_before - rows_dropped_by_truncate + rows_read - rows_quarantined - rows_replaced_by_upsert = rows."""
    dropped = report.rows_before if report.truncated else 0
    accepted = report.rows_read - report.rows_rejected
    replaced = report.rows_before - dropped + accepted - report.rows
    return {
        "rows_before": report.rows_before,
        "rows_dropped_by_truncate": dropped,
        "rows_read": report.rows_read,
        "rows_quarantined": report.rows_rejected,
        "rows_replaced_by_upsert": replaced,
    }


def custom_domain_asset(tenant: Tenant, table: DomainTable) -> dg.AssetsDefinition:
    reads = referenced_tables(table.sql, read="spark")
    deps = [domain_key(tenant.name, tenant.domain_table(name).key) for name in reads]

    @dg.asset(
        pool=DUCKDB_POOL,
        key=domain_key(tenant.name, table.key),
        group_name=f"{tenant.name}_domain",
        kinds={"delta", "sql"},
        deps=deps,
        description=table.description or f"Custom domain table {table.name} ({table.custom.sql}).",
        metadata={"domain_table": table.name, "sql": dg.MetadataValue.md(f"```sql\n{table.sql}\n```"), "stitched": table.stitch},
    )
    def _build(context: dg.AssetExecutionContext, lakehouse: LakehouseResource):
        report = build_custom_domain_table(tenant, table, lakehouse.for_tenant(tenant.name))
        return dg.MaterializeResult(metadata=table_metadata(report.rows, report.columns, delta_version=report.version))

    return _build


def domain_assets(tenant: Tenant) -> list[dg.AssetsDefinition]:
    return [
        feed_asset(tenant, table) if table.feed is not None else custom_domain_asset(tenant, table)
        for table in tenant.domain_tables()
    ]
