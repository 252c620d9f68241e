"""The Stitch multi-asset: one computation over every stitched domain table writes the Stitch tables."""


import dagster as dg

from amperity_pipelines.assets.keys import domain_key, stitch_key
from amperity_pipelines.assets.metadata import table_metadata
from amperity_pipelines.assets.pools import DUCKDB_POOL
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.config.standard_tables import standard_table, stitch_inputs
from amperity_pipelines.layers.stitching import REPORTED_TABLES, StitchReport, run_stitch, write_report
from amperity_pipelines.resources import LakehouseResource
from amperity_pipelines.reports_server import report_url


def stitch_assets(tenant: Tenant) -> list[dg.AssetsDefinition]:
    tables = tenant.stitched_tables()
    if not tables:
        return []
    spec = tenant.spec.stitch
    inputs = {"domain": [domain_key(tenant.name, t.key) for t in tables]}
    for role in ("labels", "blocklist"):
        name = getattr(spec, role)
        inputs[role] = [domain_key(tenant.name, tenant.domain_table(name).key)] if name else []

    # The tables this matching writes, in the order Stitch makes (and yields) them; lineage from
    # the catalogue's inputs: the stitched tables enter once (preprocessing), the labels at
    # scoring and the blocklist at bad values.
    outputs = [table.name for table in tenant.standard_tables() if table.layer == "stitch"]

    def deps(name: str) -> list[dg.AssetKey]:
        found = []
        for upstream in stitch_inputs(name, spec.matching):
            found += inputs.get(upstream, [stitch_key(tenant.name, upstream)] if upstream in outputs else [])
        return found

    specs = [
        dg.AssetSpec(
            stitch_key(tenant.name, name),
            deps=deps(name),
            description=standard_table(name).description,
            group_name=f"{tenant.name}_stitch",
            kinds={"delta", "duckdb"},
            skippable=name != "Unified_Coalesced",
        )
        for name in outputs
    ]

    @dg.multi_asset(
        pool=DUCKDB_POOL,
        name=f"{tenant.name}__stitch",
        specs=specs,
        description=f"Stitch ({spec.matching}): identity resolution across every stitched domain table.",
    )
    def _stitch(context: dg.AssetExecutionContext, lakehouse: LakehouseResource):
        store = lakehouse.for_tenant(tenant.name)
        report = run_stitch(tenant, store, on_wait=context.log.warning)
        context.log.info(
            f"Stitch: {report.records} records from {len(report.tables)} tables -> {report.amperity_ids} Amperity IDs "
            f"(dedupe rate {report.dedupe_rate:.1%}); seconds per stage {report.stats.stage_seconds}"
        )
        for name in outputs:
            if name not in report.versions:
                continue
            extra = _figures(report) if name == "Unified_Coalesced" else {}
            yield dg.MaterializeResult(
                asset_key=stitch_key(tenant.name, name),
                metadata=table_metadata(
                    report.rows[name],
                    [(f.name, str(f.type)) for f in store.schema("stitch", name)],
                    delta_version=report.versions[name],
                    **extra,
                ),
            )

    return [_stitch, stitch_report_asset(tenant)]


def _figures(report: StitchReport) -> dict:
    """The Stitch page's figures, shown on Unified Coalesced in the UI."""
    stats = report.stats
    figures = {
        "matching": report.matching,
        "records": stats.records,
        "amperity_ids": stats.amperity_ids,
        "dedupe_rate": dg.MetadataValue.float(round(stats.dedupe_rate, 6)),
        "cluster_size_buckets": dg.MetadataValue.json(dict(stats.cluster_sizes)),
        "supersized_clusters": stats.supersized_clusters,
        "bad_values": stats.bad_values,
        "stitched_tables": dg.MetadataValue.json(report.tables),
    }
    for name in ("pairs_scored", "pairs_kept", "largest_cluster", "trivial_duplicates", "split_components", "oversized_blocks", "pairs_skipped"):
        value = getattr(stats, name)
        if value is not None:
            figures[name] = int(value)
    if stats.stage_seconds:
        figures["seconds_per_stage"] = dg.MetadataValue.json(dict(stats.stage_seconds))
    return figures


def stitch_report_asset(tenant: Tenant) -> dg.AssetsDefinition:
    """The Stitch QA report of the published run, written after Stitch as its own step (an HTML
    file, not a table: a report that fails to render never holds back the customer 360)."""

    @dg.asset(
        key=dg.AssetKey([tenant.name, "reports", "Stitch_QA_Report"]),
        deps=[stitch_key(tenant.name, name) for name in REPORTED_TABLES if tenant.spec.stitch.matching in standard_table(name).matchings],
        group_name=f"{tenant.name}_stitch",
        kinds={"html"},
        description="Stitch QA report: headline figures, cluster sizes, source overlap, scores and example clusters.",
    )
    def _report(lakehouse: LakehouseResource):
        path = write_report(tenant, lakehouse.for_tenant(tenant.name))
        url = report_url(lakehouse.reports_url, lakehouse.root, path)
        return dg.MaterializeResult(
            metadata={"stitch_report": dg.MetadataValue.url(url), "stitch_report_file": dg.MetadataValue.path(str(path))}
        )

    return _report
