"""Quality checks inside real Dagster runs: a clean run materializes everything and passes every
check; a failing blocking Stitch check stops the customer 360 and exports and says why; a feed
check catches a bad file and shows the failing rows."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import dagster as dg

from amperity_pipelines.assets.checks import FEED_CHECK, tenant_checks
from amperity_pipelines.definitions import build_definitions
from amperity_pipelines.runner import materialize_tenant
from amperity_pipelines.tenant_check import load_tenant
from tests.pipeline.conftest import CUSTOMERS_HEADER, drop_file

CUSTOMERS = CUSTOMERS_HEADER + """\
1,Robert,Smith,bob@example.org,(206) 555-0143,01/02/1980,2026-11-25 10:00:00
2,Bob,Smith,BOB@example.org,,01/02/1980,2026-11-25 11:00:00
3,Ann,Lee,ann@example.org,206.555.0199,03/04/1990,2026-11-25 12:00:00
4,Cy,Young,,+1 206 555 0199,,2026-11-25 12:00:00
"""
ORDERS = """\
{"order_id": "A1", "line": 1, "customer": "1", "product": "P1", "qty": 2, "amount": "20.00", "returned": false, "cancelled": false, "at": "2026-11-25 10:00:00"}
{"order_id": "A2", "line": 1, "customer": "3", "product": "P2", "qty": 1, "amount": "5.50", "returned": false, "cancelled": false, "at": "2026-11-25 12:00:00"}
"""

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def with_quality(tenant, yaml_text: str):
    """The tenant reloaded with a `quality:` section appended to its tenant.yaml."""
    path = tenant.folder / "tenant.yaml"
    path.write_text(path.read_text() + yaml_text)
    return load_tenant(tenant.folder)


def run(tenant, resource, job: str, day: str = "2026-11-25") -> tuple[dg.ExecuteInProcessResult, dg.DagsterInstance]:
    """Run `job` for one day of the dated feeds (the files below are dated 2026-11-25)."""
    defs = build_definitions([tenant], resource)
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def(job).execute_in_process(run_config=QUIET, instance=instance, raise_on_error=False, partition_key=day)
    return result, instance


def materialized(result) -> set[tuple]:
    return {tuple(e.asset_key.path) for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}


def log_messages(result, instance) -> list[str]:
    """What the run's event log shows, Dagster's own events and the ops' log lines alike."""
    return [entry.user_message for entry in instance.all_logs(result.run_id)]


def evaluations(result) -> dict[tuple, dg.AssetCheckEvaluation]:
    return {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}


def test_clean_run_materializes_everything_and_passes_every_check(shop):
    tenant, resource, landing = shop
    drop_file(landing, "customers/2026/11/25/customers-1.csv", CUSTOMERS)
    drop_file(landing, "orders/2026-11-25.ndjson", ORDERS)
    result, instance = run(tenant, resource, "shop__all")
    assert result.success
    job = build_definitions([tenant], resource).resolve_job_def("shop__all")
    assert materialized(result) == {tuple(k.path) for k in job.asset_layer.asset_graph.get_all_asset_keys()}
    checks = evaluations(result)
    assert ("Shop_Customers", FEED_CHECK) in checks and ("Unified_Coalesced", "dedupe_rate") in checks
    assert [key for key, e in checks.items() if not e.passed] == []
    # Nothing to compare with on a first run: skipped (planned, never evaluated), not a green pass.
    assert ("Unified_Coalesced", "id_stability") not in checks and ("Unified_Coalesced", "dedupe_rate_jump") not in checks
    skipped = [line for line in log_messages(result, instance) if "skipped: first Stitch run" in line]
    assert len(skipped) == 2
    docs = checks[("Shop_Customers", FEED_CHECK)].metadata["data_docs"].value
    assert docs.startswith("file://") and Path(docs.removeprefix("file://")).is_file()
    assert str(Path(resource.root).absolute() / "shop" / "quality") in docs


def test_failing_blocking_stitch_check_stops_customer_360_and_exports(shop):
    tenant, resource, landing = shop
    tenant = with_quality(tenant, "quality:\n  stitch:\n    dedupe_rate: [90%, 100%]\n")
    drop_file(landing, "customers/2026/11/25/customers-1.csv", CUSTOMERS)
    drop_file(landing, "orders/2026-11-25.ndjson", ORDERS)
    result, instance = run(tenant, resource, "shop__Daily")  # the courier group's Full run: checks included
    assert not result.success
    done = materialized(result)
    assert ("shop", "stitch", "Unified_Coalesced") in done
    assert not [key for key in done if key[1] in ("database", "query", "export")], done
    assert not (resource.exports_for("shop") / "drop").exists()

    failed = evaluations(result)[("Unified_Coalesced", "dedupe_rate")]
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR and failed.blocking
    rate = failed.metadata["dedupe_rate"].value
    assert rate < 0.9 and f"{rate:.2%}" in failed.description and "[90.00%, 100.00%]" in failed.description
    # The run says which check stopped it and why.
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "shop__stitch_checks" and "dedupe_rate" in failure.event_specific_data.error.message
    logged = log_messages(result, instance)
    assert any("Blocking Stitch check dedupe_rate failed" in m and f"{rate:.2%}" in m for m in logged), logged
    not_run = "Dependencies for step shop__database__Customer_360__Merged_Customers failed: ['shop__stitch_checks']"
    assert any(m.startswith(not_run) for m in logged)
    assert any(m.startswith("Dependencies for step shop__export__Send_Emails were not executed") for m in logged)


def test_command_line_summary_says_which_check_stopped_the_run(shop):
    tenant, resource, landing = shop
    tenant = with_quality(tenant, "quality:\n  stitch:\n    dedupe_rate: [90%, 100%]\n")
    drop_file(landing, "customers/2026/11/25/customers-1.csv", CUSTOMERS)
    summary = materialize_tenant(tenant, resource, job="shop__Daily", progress=False)
    assert not summary.success
    [reason, step] = sorted(summary.failures)
    assert step.startswith("shop__stitch_checks: ") and "1 blocking asset check failed" in step and step.endswith("dedupe_rate")
    assert reason.startswith("shop/stitch/Unified_Coalesced:dedupe_rate: dedupe rate ") and "outside [90.00%, 100.00%]" in reason


def test_feed_check_catches_a_bad_file_with_examples(shop):
    tenant, resource, landing = shop
    # Two malformed emails of three (over the 5% allowed), a 2-digit phone, a birthdate in 1890;
    # the row without an id goes to quarantine at load (primary keys are never empty).
    drop_file(landing, "customers/2026/11/25/customers-1.csv", CUSTOMERS_HEADER + textwrap.dedent("""\
        1,Ann,Lee,ann@example.org,2065550143,03/04/1990,2026-11-25 10:00:00
        2,Bo,Ek,not-an-email,2065550144,03/04/1890,2026-11-25 10:00:00
        3,Cy,Oh,cy at example.org,12,03/04/1991,2026-11-25 10:00:00
        ,Di,Yu,di@example.org,2065550145,03/04/1992,2026-11-25 10:00:00
        """))
    result, instance = run(tenant, resource, "shop__Shop_Customers__ingest")
    assert result.success, "a failing feed check is a warning unless quality.feeds.blocking"
    check = evaluations(result)[("Shop_Customers", FEED_CHECK)]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    failing = {(f["expectation"], f["column"]): f for f in check.metadata["failing_expectations"].value}
    email = failing[("expect_column_values_to_match_regex", "email")]
    assert email["unexpected_count"] == 2 and {"email": "not-an-email", "id": "2"} in email["examples"]
    assert failing[("expect_column_values_to_match_regex", "phone")]["examples"] == [{"phone": "12", "id": "3"}]
    assert ("expect_column_values_to_be_between", "born") in failing
    assert "not-an-email" in check.metadata["failing_examples"].value
    assert "email" in check.description and "2 failing" in check.description
    result_file = Path(check.metadata["validation_result"].value)
    assert json.loads(result_file.read_text())["success"] is False


def test_blocking_feed_check_stops_stitch(shop):
    tenant, resource, landing = shop
    tenant = with_quality(tenant, "quality:\n  feeds:\n    blocking: true\n    email_valid_share: 100%\n")
    drop_file(landing, "customers/2026/11/25/customers-1.csv", CUSTOMERS.replace("ann@example.org", "ann.example.org"))
    drop_file(landing, "orders/2026-11-25.ndjson", ORDERS)
    result, instance = run(tenant, resource, "shop__all")
    assert not result.success
    assert ("shop", "domain", "Shop_Customers") in materialized(result)
    assert ("shop", "stitch", "Unified_Coalesced") not in materialized(result)
    assert not evaluations(result)[("Shop_Customers", FEED_CHECK)].passed


def test_jobs_carry_the_checks_of_their_assets():
    from amperity_pipelines.definitions import REPO_TENANTS

    tenant = load_tenant(REPO_TENANTS / "demo")
    defs = build_definitions([tenant])

    def checks(job: str) -> set[str]:
        return {k.to_user_string() for k in defs.resolve_job_def(job).asset_layer.asset_graph.asset_check_keys}

    daily = checks("demo__Daily")
    assert {f"demo/domain/{t.key}:{FEED_CHECK}" for t in tenant.domain_tables()} <= daily
    assert {"demo/stitch/Unified_Coalesced:dedupe_rate", "demo/stitch/Unified_Coalesced:ids_with_many_given_names"} <= daily
    assert checks("demo__Hourly_POS") == {f"demo/domain/POS_Customers:{FEED_CHECK}", f"demo/domain/POS_Transactions:{FEED_CHECK}"}
    assert checks("demo__all") >= daily
    specs = {spec.key.to_user_string(): spec for check in tenant_checks(tenant) for spec in check.check_specs}
    assert specs["demo/stitch/Unified_Coalesced:dedupe_rate"].blocking
    assert not specs["demo/stitch/Unified_Coalesced:id_stability"].blocking
    assert not specs[f"demo/domain/POS_Customers:{FEED_CHECK}"].blocking


def test_report_and_data_docs_links_point_at_the_report_server(shop):
    from amperity_pipelines.resources import LakehouseResource

    tenant, resource, landing = shop
    served = LakehouseResource(
        root=resource.root, landing_root=resource.landing_root, exports_root=resource.exports_root,
        reports_url="http://127.0.0.1:3001",
    )
    drop_file(landing, "customers/2026/11/25/customers-1.csv", CUSTOMERS)
    result, _ = run(tenant, served, "shop__all")
    assert result.success
    [report] = [
        e.event_specific_data.materialization.metadata for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key.path[-1] == "Stitch_QA_Report"
    ]
    url = report["stitch_report"].value
    assert url.startswith("http://127.0.0.1:3001/shop/reports/stitch/stitch_report_") and url.endswith(".html")
    assert Path(report["stitch_report_file"].value).is_file()
    docs = evaluations(result)[("Shop_Customers", FEED_CHECK)].metadata["data_docs"].value
    assert docs.startswith("http://127.0.0.1:3001/shop/quality/data_docs/")
