"""The Stitch multi-asset: one computation over every stitched domain table writes the Stitch tables."""


import dagster as dg

from amperity_pipelines.assets.keys import domain_key, stitch_key
from amperity_pipelines.assets.metadata import table_metadata
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.layers.stitching import run_stitch
from amperity_pipelines.resources import LakehouseResource

STITCH_OUTPUTS = {
    "Unified_Coalesced": "One row per stitched source record with its amperity_id (original PII values).",
    "Unified_Changes_Pks": "Per-record changes against the previous Stitch run: added, deleted, updated (moved).",
}


def stitch_assets(tenant: Tenant) -> list[dg.AssetsDefinition]:
    tables = tenant.stitched_tables()
    if not tables:
        return []
    deps = [domain_key(tenant.name, t.key) for t in tables]
    specs = [
        dg.AssetSpec(
            stitch_key(tenant.name, name),
            deps=deps,
            description=description,
            group_name=f"{tenant.name}_stitch",
            kinds={"delta", "duckdb"},
            skippable=name != "Unified_Coalesced",
        )
        for name, description in STITCH_OUTPUTS.items()
    ]

    @dg.multi_asset(name=f"{tenant.name}__stitch", specs=specs, description="Stitch: identity resolution across every stitched domain table.")
    def _stitch(context: dg.AssetExecutionContext, lakehouse: LakehouseResource):
        store = lakehouse.for_tenant(tenant.name)
        report = run_stitch(tenant, store)
        context.log.info(
            f"Stitch: {report.records} records from {len(report.tables)} tables -> {report.amperity_ids} Amperity IDs "
            f"(dedupe rate {report.dedupe_rate:.1%})"
        )
        for name in STITCH_OUTPUTS:
            if name not in report.versions:
                continue
            extra = {}
            if name == "Unified_Coalesced":
                extra = {
                    "records": report.records,
                    "amperity_ids": report.amperity_ids,
                    "dedupe_rate": dg.MetadataValue.float(round(report.dedupe_rate, 6)),
                    "cluster_size_buckets": dg.MetadataValue.json(report.cluster_sizes),
                    "stitched_tables": dg.MetadataValue.json(report.tables),
                }
            yield dg.MaterializeResult(
                asset_key=stitch_key(tenant.name, name),
                metadata=table_metadata(
                    store.row_count("stitch", name),
                    [(f.name, str(f.type)) for f in store.schema("stitch", name)],
                    delta_version=report.versions[name],
                    **extra,
                ),
            )

    return [_stitch]
