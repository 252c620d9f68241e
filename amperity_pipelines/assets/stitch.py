"""The Stitch multi-asset: one computation over every stitched domain table writes the Stitch tables."""


import dagster as dg

from amperity_pipelines.assets.keys import domain_key, stitch_key
from amperity_pipelines.assets.metadata import table_metadata
from amperity_pipelines.assets.pools import DUCKDB_POOL
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.layers.stitching import StitchReport, run_stitch, write_report
from amperity_pipelines.resources import LakehouseResource
from amperity_pipelines.reports_server import report_url

STITCH_OUTPUTS = {
    "Unified_Preprocessed_Raw": "Preprocessed (normalised) values per record, bad values nulled; what the model compared.",
    "Stitch_Bad_Values": "Values ignored for matching (detected as shared by too many people, or from the blocklist).",
    "Stitch_Blocking_Keys": "Which blocking key put which record into which block, per strategy; oversized blocks flagged.",
    "Unified_Scores": "Scored pairs inside each cluster: source1, pk1, source2, pk2, score 0-5, match category and type.",
    "Unified_Coalesced": "One row per stitched source record with its amperity_id (original PII values, bad-value flags, component).",
    "Unified_Changes_Pks": "Per-record changes against the previous Stitch run: added, deleted, updated (moved).",
    "Unified_Changes_Clusters": "Per-Amperity-ID changes against the previous run: added, deleted, merged, split, updated.",
}
"""In the order Stitch makes them (and yields them)."""

STITCH_STAGES = {
    "Unified_Preprocessed_Raw": ("domain",),
    "Stitch_Bad_Values": ("Unified_Preprocessed_Raw", "blocklist"),
    "Stitch_Blocking_Keys": ("Unified_Preprocessed_Raw", "Stitch_Bad_Values"),
    "Unified_Scores": ("Stitch_Blocking_Keys", "labels"),
    "Unified_Coalesced": ("Unified_Scores",),
    "Unified_Changes_Pks": ("Unified_Coalesced",),
    "Unified_Changes_Clusters": ("Unified_Changes_Pks",),
}
"""What each Stitch output is made from, for the lineage graph: the stitched domain tables enter
once (preprocessing), the labels at scoring and the blocklist at bad values."""


def stitch_assets(tenant: Tenant) -> list[dg.AssetsDefinition]:
    tables = tenant.stitched_tables()
    if not tables:
        return []
    spec = tenant.spec.stitch
    inputs = {"domain": [domain_key(tenant.name, t.key) for t in tables]}
    for role in ("labels", "blocklist"):
        name = getattr(spec, role)
        inputs[role] = [domain_key(tenant.name, tenant.domain_table(name).key)] if name else []

    def deps(name: str) -> list[dg.AssetKey]:
        found = []
        for upstream in STITCH_STAGES[name]:
            found += inputs.get(upstream, [stitch_key(tenant.name, upstream)] if upstream in STITCH_OUTPUTS else [])
        return found

    specs = [
        dg.AssetSpec(
            stitch_key(tenant.name, name),
            deps=deps(name),
            description=description,
            group_name=f"{tenant.name}_stitch",
            kinds={"delta", "duckdb"},
            skippable=name != "Unified_Coalesced",
        )
        for name, description in STITCH_OUTPUTS.items()
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
        for name in STITCH_OUTPUTS:
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
        deps=[stitch_key(tenant.name, "Unified_Coalesced"), stitch_key(tenant.name, "Unified_Scores")],
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
