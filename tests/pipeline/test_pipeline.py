"""The pipeline end to end on a small tenant: loads, upserts, the ledger, bad input, sensors."""

from __future__ import annotations

from pathlib import Path

import textwrap

import dagster as dg
import pytest

from amperity_pipelines.assets.keys import op_name
from amperity_pipelines.definitions import build_definitions
from amperity_pipelines.layers.activation import run_sql
from amperity_pipelines.runner import materialize_tenant
from tests.pipeline.conftest import CUSTOMERS_HEADER, drop_file

DAY1 = CUSTOMERS_HEADER + """\
1,Robert,Smith,bob@shopmail.net,(206) 555-0143,01/02/1980,2026-11-25 10:00:00
2,Bob,Smith,BOB@shopmail.net,,01/02/1980,2026-11-25 11:00:00
3,Ann,Lee,ann@shopmail.net,206.555.0199,03/04/1990,2026-11-25 12:00:00
4,Cy,Young,,+1 206 555 0199,,2026-11-25 12:00:00
"""

ORDERS = """\
{"order_id": "A1", "line": 1, "customer": "1", "product": "P1", "qty": 2, "amount": "20.00", "returned": false, "cancelled": false, "at": "2026-11-25 10:00:00"}
{"order_id": "A2", "line": 1, "customer": "3", "product": "P2", "qty": 1, "amount": "5.50", "returned": false, "cancelled": false, "at": "2026-11-25 12:00:00"}
"""


def rows(tenant, resource, sql):
    return run_sql(tenant, resource.for_tenant(tenant.name), sql).to_pylist()


def test_tenant_materializes_end_to_end(shop):
    tenant, resource, landing = shop
    drop_file(landing, "customers/2026/11/25/customers-1.csv", DAY1)
    drop_file(landing, "orders/2026-11-25.ndjson", ORDERS)
    summary = materialize_tenant(tenant, resource, progress=False)
    assert summary.success, summary.failures
    # Bob/Robert share an email, surname and birthdate: one person. Ann and Cy share only a phone
    # (a household): two people. 4 records, 3 Amperity IDs.
    assert summary.stitch == {"records": 4, "amperity_ids": 3, "dedupe_rate": 0.25}
    [pair] = rows(tenant, resource, "SELECT pk1, pk2, match_category FROM Unified_Scores")
    assert {pair["pk1"], pair["pk2"]} == {"1", "2"} and pair["match_category"] in ("Excellent", "Exact")
    stitch_tables = {name for layer, name, _ in summary.tables if layer == "stitch"}
    [report] = (Path(resource.root) / "shop" / "reports" / "stitch").glob("stitch_report_*.html")
    assert ("reports", "Stitch_QA_Report") not in {(layer, name) for layer, name, _ in summary.tables}  # a file, not a table
    assert 'data-figure="amperity_ids" data-value="3"' in report.read_text()
    assert {"Unified_Preprocessed_Raw", "Stitch_Blocking_Keys", "Stitch_Bad_Values", "Unified_Changes_Clusters"} <= stitch_tables
    [(bob_ids,)] = [tuple(r.values()) for r in rows(tenant, resource,
                    "SELECT count(DISTINCT amperity_id) FROM Unified_Coalesced WHERE pk IN ('1', '2')")]
    assert bob_ids == 1
    revenue = rows(tenant, resource, "SELECT lifetime_order_revenue AS r FROM Transaction_Attributes ORDER BY r")
    assert [float(r["r"]) for r in revenue] == [5.5, 20.0]
    exported = sorted(p.name for p in (resource.exports_for("shop") / "drop").iterdir())
    assert len(exported) == 2 and exported[0].endswith(".DONE") or exported[1].endswith(".DONE")
    layers = {layer for layer, _, _ in summary.tables}
    assert {"domain", "stitch", "database", "query", "export", "system"} - {"export"} <= layers


def test_reruns_load_nothing_twice_and_keep_ids(shop):
    tenant, resource, landing = shop
    drop_file(landing, "customers/2026/11/25/customers-1.csv", DAY1)
    drop_file(landing, "orders/2026-11-25.ndjson", ORDERS)
    assert materialize_tenant(tenant, resource, progress=False).success
    before = {r["pk"]: r["amperity_id"] for r in rows(tenant, resource, "SELECT pk, amperity_id FROM Unified_Coalesced")}
    store = resource.for_tenant("shop")
    version = store.table("domain", "Shop_Customers").version()

    assert materialize_tenant(tenant, resource, progress=False).success
    assert store.table("domain", "Shop_Customers").version() == version, "an already-loaded file was loaded again"

    # Day 2: Bob's record is updated (newer timestamp wins), a new person arrives.
    drop_file(landing, "customers/2026/11/26/customers-1.csv", CUSTOMERS_HEADER + textwrap.dedent("""\
        2,Bob,Smith,bob@shopmail.net,,01/02/1980,2026-11-26 09:00:00
        5,Dee,Nguyen,dee@shopmail.net,,,2026-11-26 09:00:00
        """))
    assert materialize_tenant(tenant, resource, progress=False).success
    after = {r["pk"]: r["amperity_id"] for r in rows(tenant, resource, "SELECT pk, amperity_id FROM Unified_Coalesced")}
    assert {pk: after[pk] for pk in before} == before, "Amperity IDs must survive a rerun"
    assert len(after) == 5
    [bob] = rows(tenant, resource, 'SELECT email, updated FROM "Shop:Customers" WHERE id = \'2\'')
    assert bob["email"] == "bob@shopmail.net"
    changes = rows(tenant, resource, "SELECT pk, change_type FROM Unified_Changes_Pks")
    assert {"pk": "5", "change_type": "added"} in changes
    # Time travel: the first version of the domain table is still readable.
    assert store.read("domain", "Shop_Customers", version=0).num_rows == 4


def test_bad_rows_under_threshold_go_to_quarantine(shop):
    tenant, resource, landing = shop
    drop_file(landing, "customers/2026/11/25/customers-1.csv", DAY1 + "9,Eve,Bad,eve@shopmail.net,,31/31/1999,2026-11-25 10:00:00\n")
    summary = materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", progress=False)
    assert summary.success, summary.failures
    [bad] = resource.for_tenant("shop").read("quarantine", "Shop_Customers").to_pylist()
    assert bad["column"] == "born" and bad["value"] == "31/31/1999" and bad["row"] == 5
    assert "customers-1.csv" in bad["file"] and "MM/dd/yyyy" in bad["reason"]
    assert resource.for_tenant("shop").row_count("domain", "Shop_Customers") == 4


def test_bad_file_over_threshold_fails_and_keeps_last_good_version(shop):
    tenant, resource, landing = shop
    drop_file(landing, "customers/2026/11/25/customers-1.csv", DAY1)
    assert materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", progress=False).success
    store = resource.for_tenant("shop")
    version = store.table("domain", "Shop_Customers").version()
    drop_file(landing, "customers/2026/11/26/customers-1.csv", CUSTOMERS_HEADER + textwrap.dedent("""\
        7,Al,One,a@x.org,,13/13/2000,2026-11-26 09:00:00
        8,Bo,Two,b@x.org,,14/14/2000,2026-11-26 09:00:00
        """))
    summary = materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", progress=False)
    assert not summary.success
    [failure] = summary.failures
    assert "customers/2026/11/26/customers-1.csv" in failure and "born" in failure and "13/13/2000" in failure
    assert store.table("domain", "Shop_Customers").version() == version
    assert store.row_count("domain", "Shop_Customers") == 4


def test_missing_column_names_the_file_and_column(shop):
    tenant, resource, landing = shop
    drop_file(landing, "customers/2026/11/25/customers-1.csv", "id,first,last,email,phone,updated\n1,A,B,a@b.org,,2026-11-25 10:00:00\n")
    summary = materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", progress=False)
    assert not summary.success
    assert "customers-1.csv" in summary.failures[0] and "born" in summary.failures[0]


def test_sensor_cursor_survives_restarts(shop):
    tenant, resource, landing = shop
    defs = build_definitions([tenant], resource)
    sensor = defs.resolve_sensor_def("shop__Shop_Customers__files")
    instance = dg.DagsterInstance.ephemeral()

    def tick(cursor):
        with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"lakehouse": resource}, definitions=defs) as context:
            result = sensor.evaluate_tick(context)
        return result.run_requests, result.cursor

    requests, cursor = tick(None)
    assert requests == []
    drop_file(landing, "customers/2026/11/25/customers-1.csv", DAY1, mtime=1_700_000_000_000_000_000)
    drop_file(landing, "customers/2026/11/25/customers-2.csv", DAY1, mtime=1_700_000_000_000_000_000)
    [request], cursor = tick(cursor)
    files = request.run_config["ops"][op_name(dg.AssetKey(["shop", "domain", "Shop_Customers"]))]["config"]["files"]
    assert files == ["shop/customers/2026/11/25/customers-1.csv", "shop/customers/2026/11/25/customers-2.csv"]
    assert request.partition_key == "2026-11-25"

    # A restarted daemon starts from the saved cursor: nothing is requested twice...
    requests, cursor = tick(cursor)
    assert requests == []
    # ...and nothing that arrived meanwhile is skipped, even with an older modification time.
    drop_file(landing, "customers/2026/11/24/customers-1.csv", DAY1, mtime=1_600_000_000_000_000_000)
    [request], cursor = tick(cursor)
    assert request.run_config["ops"][op_name(dg.AssetKey(["shop", "domain", "Shop_Customers"]))]["config"]["files"] == [
        "shop/customers/2026/11/24/customers-1.csv"
    ]
    assert request.partition_key == "2026-11-24"


def test_sensor_requested_files_load_once(shop):
    tenant, resource, landing = shop
    drop_file(landing, "customers/2026/11/25/customers-1.csv", DAY1)
    window = {"files": ["shop/customers/2026/11/25/customers-1.csv"]}
    for _ in range(2):
        assert materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", window=window, progress=False).success
    ledger = resource.for_tenant("shop").read("system", "loaded_files").to_pylist()
    assert [r["file"] for r in ledger] == ["shop/customers/2026/11/25/customers-1.csv"]


def test_day_window_loads_only_that_day(shop):
    tenant, resource, landing = shop
    drop_file(landing, "customers/2026/11/25/customers-1.csv", DAY1)
    drop_file(landing, "customers/2026/11/26/customers-1.csv", CUSTOMERS_HEADER + "5,Dee,Nguyen,dee@shopmail.net,,,2026-11-26 09:00:00\n")
    summary = materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", window={"day": "2026-11-26"}, progress=False)
    assert summary.success, summary.failures
    assert resource.for_tenant("shop").row_count("domain", "Shop_Customers") == 1


@pytest.mark.slow
def test_demo_tenant_end_to_end(tmp_path, monkeypatch):
    from amperity_pipelines.tenant_check import load_tenant
    from amperity_pipelines.definitions import REPO_TENANTS
    from amperity_pipelines.demo.generator import generate_demo_data
    from amperity_pipelines.resources import LakehouseResource

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    tenant = load_tenant(REPO_TENANTS / "demo")
    resource = LakehouseResource(root=str(tmp_path / "lh"), landing_root=str(tmp_path / "landing"), exports_root=str(tmp_path / "exports"))
    generate_demo_data(tmp_path / "landing" / "demo", people=400, seed=3)
    summary = materialize_tenant(tenant, resource, progress=False)
    assert summary.success, summary.failures
    tables = {(layer, name): n for layer, name, n in summary.tables}
    assert tables[("stitch", "Unified_Coalesced")] == sum(
        tables[("domain", t.key)] for t in tenant.stitched_tables()
    )
    assert 0.1 < summary.stitch["dedupe_rate"] < 0.8
    for table in ("Merged_Customers", "Unified_Transactions", "Transaction_Attributes", "Customer_360"):
        assert tables[("database", f"Customer_360__{table}")] > 0
    for name in tenant.queries:
        assert ("query", name) in tables
    assert any(path.endswith(".DONE") for path in summary.exports)
    assert any(path.endswith(".parquet") for path in summary.exports)
