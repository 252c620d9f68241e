"""Asset checks: Great Expectations on every domain table and the Stitch checks.

Each kind is one `multi_asset_check` per tenant, one check per asset, so a run imports Great
Expectations once and opens one DuckDB session for Stitch, even under the multiprocess executor
(one process per step); `can_subset` lets a job that loads two feeds check just those two.
A Stitch check listed in `quality.stitch.blocking` is a blocking check with ERROR severity: when
it fails, Dagster skips the customer 360 tables (downstream of Unified_Coalesced) and every query
and export after them in the same run. Other failures are warnings.
"""

import json

import dagster as dg

from amperity_pipelines.assets.keys import domain_key, stitch_key
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.layers.stitching import stitch_columns
from amperity_pipelines.quality.feed_checks import FeedCheckReport, run_feed_check
from amperity_pipelines.quality.stitch_checks import StitchCheckOutcome, check_names, run_stitch_checks
from amperity_pipelines.resources import LakehouseResource
from amperity_pipelines.reports_server import report_url

__all__ = ["FEED_CHECK", "STITCH_CHECK_DESCRIPTIONS", "feed_checks", "stitch_checks", "tenant_checks"]

FEED_CHECK = "feed_expectations"

STITCH_CHECK_DESCRIPTIONS = {
    "one_id_per_record": "Every stitched input record is in Unified_Coalesced exactly once, with one Amperity ID.",
    "no_null_ids": "No Unified_Coalesced record lacks an Amperity ID.",
    "cluster_sizes": "Cluster-size distribution in Amperity's buckets; few Amperity IDs with more than 20 records.",
    "supersized_clusters": "Clusters of supersized_min_size+ records (or flagged is_supersized) stay under the limit.",
    "dedupe_rate": "(records - Amperity IDs) / records lies within the configured band.",
    "dedupe_rate_jump": "The dedupe rate moved no more than allowed since the previous Stitch run.",
    "id_stability": "Share of the previous run's records whose Amperity ID changed (jitter) stays under the limit.",
    "blocking_coverage": "Share of records with at least one blocking key that is not oversized.",
    "ids_with_many_given_names": "Share of Amperity IDs with too many distinct given names (Amperity benchmark: >3).",
    "ids_with_many_surnames": "Share of Amperity IDs with too many distinct surnames.",
    "ids_with_many_emails": "Share of Amperity IDs with too many distinct emails.",
    "ids_with_many_phones": "Share of Amperity IDs with too many distinct phone numbers.",
    "ids_with_many_addresses": "Share of Amperity IDs with too many distinct addresses.",
    "ids_with_many_postal_codes": "Share of Amperity IDs with too many distinct postal codes.",
    "ids_with_many_birthdates": "Share of Amperity IDs with too many distinct birthdates.",
}


def feed_checks(tenant: Tenant) -> dg.AssetChecksDefinition | None:
    tables = {domain_key(tenant.name, t.key): t for t in tenant.domain_tables()}
    if not tables:
        return None
    quality = tenant.spec.quality.feeds
    severity = dg.AssetCheckSeverity.ERROR if quality.blocking else dg.AssetCheckSeverity.WARN
    specs = [
        dg.AssetCheckSpec(FEED_CHECK, asset=key, blocking=quality.blocking, description=_feed_check_description(table))
        for key, table in tables.items()
    ]

    @dg.multi_asset_check(
        specs=specs,
        name=f"{tenant.name}__feed_checks",
        can_subset=True,
        description="Great Expectations suites of the domain tables; results and Data Docs under <lakehouse>/<tenant>/quality/.",
    )
    def _feed_checks(context: dg.AssetCheckExecutionContext, lakehouse: LakehouseResource):
        store = lakehouse.for_tenant(tenant.name)
        for check in sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.to_user_string()):
            table = tables[check.asset_key]
            try:
                report = run_feed_check(tenant, table, store, run_name=context.run.run_id)
            except Exception as err:  # one table's problem must not hide the other tables' results
                context.log.error(f"Feed check of {table.name} could not run: {type(err).__name__}: {err}")
                yield dg.AssetCheckResult(
                    asset_key=check.asset_key, check_name=FEED_CHECK, passed=False, severity=severity,
                    description=f"{table.name}: could not run: {err}", metadata={"error": f"{type(err).__name__}: {err}"},
                )  # fmt: skip
                continue
            if not report.passed:
                context.log.warning(f"Feed check failed: {report.description()}")
            yield dg.AssetCheckResult(
                asset_key=check.asset_key,
                check_name=FEED_CHECK,
                passed=report.passed,
                severity=severity,
                description=report.description()[:2000],
                metadata=feed_metadata(report, link=lambda path: report_url(lakehouse.reports_url, lakehouse.root, path)),
            )

    return _feed_checks


def _feed_check_description(table) -> str:
    parts = ["feed field types"] if table.feed is not None else []
    parts += ["primary key not null and unique", "email/phone/birthdate/postal formats", "row count vs the previous load"]
    if table.feed is not None and table.feed.expectations:
        parts.append(f"{len(table.feed.expectations)} tenant expectation(s)")
    return f"Great Expectations suite of {table.name}: " + ", ".join(parts) + "."


def feed_metadata(report: FeedCheckReport, *, link=lambda path: path.as_uri()) -> dict:
    """The check's metadata; `link` turns a Data Docs file into the URL the UI shows."""
    outcome = report.validation
    failing = [
        {
            "expectation": f.type,
            "column": f.column,
            "origin": f.origin,
            "unexpected_count": f.unexpected_count,
            "unexpected_percent": None if f.unexpected_percent is None else round(f.unexpected_percent, 4),
            "observed_value": _jsonable(f.observed_value),
            "error": f.error,
            "examples": f.examples,
        }
        for f in outcome.failures
    ]
    metadata: dict = {
        "rows": report.rows,
        "rows_validated": report.rows_validated,
        "sampled": report.sampled,
        "delta_version": report.version,
        "expectations_evaluated": outcome.evaluated,
        "expectations_failed": outcome.evaluated - outcome.successful,
        "failing_expectations": dg.MetadataValue.json(failing),
    }
    if report.previous_rows is not None:
        metadata["previous_rows"] = report.previous_rows
    if report.problems:
        metadata["whole_table_problems"] = dg.MetadataValue.json(report.problems)
    if report.key_examples:
        metadata["repeated_keys"] = dg.MetadataValue.json(report.key_examples)
    examples = _examples_markdown(failing)
    if examples:
        metadata["failing_examples"] = dg.MetadataValue.md(examples)
    if outcome.data_docs is not None:
        metadata["data_docs"] = dg.MetadataValue.url(link(outcome.data_docs))
    if outcome.docs_index is not None:
        metadata["data_docs_index"] = dg.MetadataValue.url(link(outcome.docs_index))
    if outcome.result_file is not None:
        metadata["validation_result"] = dg.MetadataValue.path(str(outcome.result_file))
    return metadata


def _examples_markdown(failing: list[dict]) -> str:
    blocks = []
    for item in failing:
        rows = item["examples"]
        if not rows:
            continue
        columns = list(dict.fromkeys(k for row in rows for k in row))
        lines = [f"**{item['expectation']}** on `{item['column']}` ({item['origin']})", "",
                 "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]  # fmt: skip
        lines += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _cell(value) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def stitch_checks(tenant: Tenant) -> dg.AssetChecksDefinition | None:
    stitched = tenant.stitched_tables()
    if not stitched:
        return None
    spec = tenant.spec.quality.stitch
    names = check_names(spec, stitch_columns(stitched))
    target = stitch_key(tenant.name, "Unified_Coalesced")
    specs = [
        dg.AssetCheckSpec(name, asset=target, blocking=name in spec.blocking, description=STITCH_CHECK_DESCRIPTIONS[name])
        for name in names
    ]

    @dg.multi_asset_check(
        specs=specs,
        name=f"{tenant.name}__stitch_checks",
        can_subset=True,
        description="Stitch QA figures over the Stitch tables (DuckDB); blocking ones gate the customer 360 and exports.",
    )
    def _stitch_checks(context: dg.AssetCheckExecutionContext, lakehouse: LakehouseResource):
        selected = {k.name for k in context.selected_asset_check_keys}
        outcomes = run_stitch_checks(tenant, lakehouse.for_tenant(tenant.name), [n for n in names if n in selected])
        for outcome in outcomes:
            blocking = outcome.name in spec.blocking
            if not outcome.applicable:
                # No result: Dagster shows the planned check as skipped, not as a green pass.
                context.log.info(f"Stitch check {outcome.name} skipped: {outcome.description}")
                continue
            if not outcome.passed:
                if blocking:
                    context.log.error(
                        f"Blocking Stitch check {outcome.name} failed: {outcome.description}. "
                        "The customer 360 tables and the exports after them will not run."
                    )
                else:
                    context.log.warning(f"Stitch check {outcome.name} failed: {outcome.description}")
            yield dg.AssetCheckResult(
                asset_key=target,
                check_name=outcome.name,
                passed=outcome.passed,
                severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
                description=outcome.description,
                metadata=stitch_metadata(outcome, blocking),
            )

    return _stitch_checks


def stitch_metadata(outcome: StitchCheckOutcome, blocking: bool) -> dict:
    metadata: dict = {"blocking": blocking, "applicable": outcome.applicable}
    for name, value in outcome.figures.items():
        if isinstance(value, bool):
            metadata[name] = value
        elif isinstance(value, int):
            metadata[name] = dg.MetadataValue.int(value)
        elif isinstance(value, float):
            metadata[name] = dg.MetadataValue.float(value)
        else:
            metadata[name] = dg.MetadataValue.json(value)
    if outcome.examples:
        metadata["examples"] = dg.MetadataValue.json(outcome.examples)
    return metadata


def tenant_checks(tenant: Tenant) -> list[dg.AssetChecksDefinition]:
    return [check for check in (feed_checks(tenant), stitch_checks(tenant)) if check is not None]
