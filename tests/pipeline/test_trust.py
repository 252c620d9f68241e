"""Regression tests of the trust defects, in process: storage flags, the load's three commits,
Stitch tables published as one set, export temporaries, locks."""

from __future__ import annotations

import threading
import time

import pytest

from amperity_pipelines import cli
from amperity_pipelines.destinations.export import remove_stale_temporaries
from amperity_pipelines.layers import domain as domain_layer
from amperity_pipelines.layers import stitching
from amperity_pipelines.layers.activation import run_sql
from amperity_pipelines.layers.domain import load_domain_table
from amperity_pipelines.runner import materialize_tenant
from amperity_pipelines.storage.errors import LockTimeout
from amperity_pipelines.storage.lakehouse import Lakehouse
from amperity_pipelines.storage.locks import exclusive
from amperity_pipelines.tenant_check import load_tenant
from tests.pipeline.conftest import drop_file
from tests.pipeline.trust_helpers import CUSTOMERS_1, CUSTOMERS_2, ORDERS

EVENTS_SOURCE = """\
source: Web
feeds:
  - name: Events
    error_threshold: 50%
    fields:
      - {name: email}
      - {name: kind}
      - {name: at, type: Integer}
couriers:
  - name: Web_Events
    location: {path: web}
    files:
      - {pattern: "'events-'yyyy-MM-dd'.csv'", feed: Events}
"""


def test_materialize_obeys_storage_flags(shop, tmp_path, monkeypatch):
    tenant, _, _ = shop
    landing = tmp_path / "elsewhere" / "landing"
    drop_file(landing / "shop" / "shop", "customers/2026/11/25/customers-1.csv", CUSTOMERS_1)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AMPERITY_LAKEHOUSE", raising=False)
    args = cli.build_parser().parse_args([
        "materialize", str(tenant.folder), "--job", "shop__Shop_Customers__ingest",
        "--lakehouse", str(tmp_path / "elsewhere" / "lh"), "--landing", str(landing),
        "--exports", str(tmp_path / "elsewhere" / "exports"),
    ])
    assert cli.cmd_materialize(args) == 0
    assert Lakehouse(str(tmp_path / "elsewhere" / "lh"), "shop").row_count("domain", "Shop_Customers") == 4
    assert not (tmp_path / "lakehouse").exists()


@pytest.fixture
def web(shop):
    """The shop tenant plus a feed without a primary key (a repeat load would double its rows)."""
    tenant, resource, _ = shop
    (tenant.folder / "sources" / "web.yaml").write_text(EVENTS_SOURCE)
    tenant = load_tenant(tenant.folder)
    landing = resource.landing / "shop" / "web"
    drop_file(landing, "events-2026-11-25.csv", "email,kind,at\na@x.org,view,1\nb@x.org,buy,oops\nc@x.org,view,3\n")
    return tenant, resource, tenant.domain_table("Web:Events")


def test_kill_between_domain_and_ledger_commits_loads_nothing_twice(web, monkeypatch):
    tenant, resource, table = web
    store = resource.for_tenant("shop")

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt("killed between the domain commit and the ledger commit")

    monkeypatch.setattr(domain_layer, "_record_loaded", killed)
    with pytest.raises(KeyboardInterrupt):
        load_domain_table(tenant, table, store, resource.landing)
    monkeypatch.undo()
    assert store.row_count("domain", "Web_Events") == 2 and not store.exists("system", "loaded_files")

    report = load_domain_table(tenant, table, store, resource.landing)
    assert report.recovered == ["web/events-2026-11-25.csv"] and report.files == []
    assert store.row_count("domain", "Web_Events") == 2, "the file was loaded a second time"
    assert store.row_count("system", "loaded_files") == 1
    assert store.row_count("quarantine", "Web_Events") == 1


def test_quarantine_rows_are_replaced_not_doubled_when_a_load_is_retried(web, monkeypatch):
    tenant, resource, table = web
    store = resource.for_tenant("shop")
    real_write = Lakehouse.write

    def fail_domain_commit(self, layer, name, *args, **kwargs):
        if layer == "domain":
            raise KeyboardInterrupt("killed between the quarantine commit and the domain commit")
        return real_write(self, layer, name, *args, **kwargs)

    monkeypatch.setattr(Lakehouse, "write", fail_domain_commit)
    with pytest.raises(KeyboardInterrupt):
        load_domain_table(tenant, table, store, resource.landing)
    monkeypatch.undo()
    assert store.row_count("quarantine", "Web_Events") == 1
    load_domain_table(tenant, table, store, resource.landing)
    [bad] = store.read("quarantine", "Web_Events").to_pylist()
    assert bad["value"] == "oops" and bad["file_fingerprint"].startswith("web/events-2026-11-25.csv|")
    assert store.row_count("domain", "Web_Events") == 2


def test_reload_does_not_duplicate_ledger_rows(web):
    tenant, resource, table = web
    store = resource.for_tenant("shop")
    load_domain_table(tenant, table, store, resource.landing)
    load_domain_table(tenant, table, store, resource.landing, domain_layer.LoadWindow(reload=True))
    assert store.row_count("system", "loaded_files") == 1
    assert store.row_count("quarantine", "Web_Events") == 1


def _stitch_figures(tenant, resource):
    store = resource.for_tenant("shop")
    [row] = run_sql(tenant, store, "SELECT count(*) AS records, count(DISTINCT amperity_id) AS ids FROM Unified_Coalesced").to_pylist()
    scores = run_sql(tenant, store, "SELECT count(*) AS n FROM Unified_Scores").to_pylist()[0]["n"]
    return row["records"], row["ids"], scores


def test_stitch_tables_are_published_as_one_set(shop, monkeypatch):
    tenant, resource, landing = shop
    drop_file(landing, "customers/2026/11/25/customers-1.csv", CUSTOMERS_1)
    assert materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", progress=False).success
    store = resource.for_tenant("shop")

    real_write = Lakehouse.write
    written = []

    def die_midway(self, layer, name, *args, **kwargs):
        if layer == "stitch" and len(written) == 3:
            raise KeyboardInterrupt("killed after three of the Stitch tables")
        version = real_write(self, layer, name, *args, **kwargs)
        written.append(name)
        return version

    # A first Stitch run that dies half way leaves no Stitch table readable at all.
    monkeypatch.setattr(Lakehouse, "write", die_midway)
    with pytest.raises(KeyboardInterrupt):
        stitching.run_stitch(tenant, store)
    monkeypatch.undo()
    assert len(written) == 3 and all(store.latest_version("stitch", name) == 0 for name in written)
    assert not any(store.exists("stitch", name) for name in written) and store.published("stitch") == {}
    with pytest.raises(ValueError, match="Unified_Coalesced"):
        run_sql(tenant, store, "SELECT count(*) FROM Unified_Coalesced")

    stitching.run_stitch(tenant, store)
    before = _stitch_figures(tenant, resource)
    assert before == (4, 3, 1)

    # New data, and a run that dies after three tables: readers keep the previous set.
    drop_file(landing, "customers/2026/11/25/customers-2.csv", CUSTOMERS_2)
    assert materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", progress=False).success
    written.clear()
    monkeypatch.setattr(Lakehouse, "write", die_midway)
    with pytest.raises(KeyboardInterrupt):
        stitching.run_stitch(tenant, store)
    monkeypatch.undo()
    assert all(store.latest_version("stitch", name) == 2 and store.published("stitch")[name] == 1 for name in written)
    assert _stitch_figures(tenant, resource) == before

    stitching.run_stitch(tenant, store)
    assert _stitch_figures(tenant, resource)[0] == 8


def test_first_commit_killed_half_way_leaves_no_empty_table(tmp_path):
    store = Lakehouse(str(tmp_path / "lh"), "t")
    half = tmp_path / "lh" / "t" / "query" / "q"
    (half / "_delta_log").mkdir(parents=True)
    (half / "part-0.parquet").write_bytes(b"PAR1 torn")
    import pyarrow as pa

    assert store.write("query", "q", pa.table({"a": [1]})) == 0
    assert store.read("query", "q").to_pylist() == [{"a": 1}]
    assert not (half / "part-0.parquet").exists()


def test_an_export_removes_temporaries_a_killed_export_left(shop):
    tenant, resource, landing = shop
    drop_file(landing, "customers/2026/11/25/customers-1.csv", CUSTOMERS_1)
    drop_file(landing, "orders/2026-11-25.ndjson", ORDERS)
    folder = resource.exports_for("shop") / "drop"
    folder.mkdir(parents=True)
    stale = folder / ".Send_Emails_20261125.csv.0123456789ab.tmp"
    stale.write_text("half an export")
    keep = folder / "notes.tmp"
    keep.write_text("not ours")
    assert materialize_tenant(tenant, resource, progress=False).success
    assert not stale.exists() and keep.exists()
    assert remove_stale_temporaries(folder) == []


def test_a_second_holder_waits_for_the_lock_and_a_timeout_is_clear(tmp_path):
    messages = []
    order = []

    def hold():
        with exclusive(tmp_path, "load-X", what="load of X"):
            order.append("first in")
            time.sleep(1.0)
            order.append("first out")

    thread = threading.Thread(target=hold)
    thread.start()
    time.sleep(0.3)
    with exclusive(tmp_path, "load-X", what="load of X", on_wait=messages.append):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]
    assert messages and "waiting for another run of the load of X" in messages[0]

    with exclusive(tmp_path, "load-X", what="load of X"):
        with pytest.raises(LockTimeout, match="another run has held the load of X"):
            import multiprocessing

            context = multiprocessing.get_context("fork")
            queue = context.Queue()

            def try_lock():
                try:
                    with exclusive(tmp_path, "load-X", what="load of X", wait_seconds=0.5):
                        queue.put("got it")
                except LockTimeout as err:
                    queue.put(str(err))

            child = context.Process(target=try_lock)
            child.start()
            child.join(30)
            raise LockTimeout(queue.get(timeout=5))


def test_domain_metadata_shows_feed_types_and_rows_that_add_up(shop):
    import dagster as dg

    from amperity_pipelines.definitions import build_definitions

    tenant, resource, landing = shop
    job = build_definitions([tenant], resource).resolve_job_def("shop__Shop_Customers__ingest")

    def load(day):
        result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), partition_key=day)
        [event] = [e for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
        return event.event_specific_data.materialization.metadata

    drop_file(landing, "customers/2026/11/25/customers-1.csv", CUSTOMERS_1)
    first = load("2026-11-25")
    drop_file(landing, "customers/2026/11/26/customers-1.csv", CUSTOMERS_2.replace("8,Amy", "2,Amy"))  # a newer id 2
    second = load("2026-11-26")
    types = {c.name: c.type for c in second["dagster/column_schema"].schema.columns}
    assert types["born"] == "Date" and types["updated"] == "Datetime" and types["id"] == "String"
    figures = {k: second[k].value for k in ("rows_before", "rows_dropped_by_truncate", "rows_read", "rows_quarantined", "rows_replaced_by_upsert")}
    assert figures == {"rows_before": 4, "rows_dropped_by_truncate": 0, "rows_read": 5, "rows_quarantined": 1, "rows_replaced_by_upsert": 1}
    # Zed is quarantined (a bad birthdate); the new id 2 replaces the old one; 3 new people.
    assert second["dagster/row_count"].value == 4 + 5 - 1 - 1 == 7
    assert first["rows_before"].value == 0 and first["dagster/row_count"].value == 4


def test_a_commit_lost_to_another_writer_says_so_in_one_sentence(tmp_path, monkeypatch):
    import pyarrow as pa
    from deltalake.exceptions import CommitFailedError

    from amperity_pipelines.storage import lakehouse as storage
    from amperity_pipelines.storage.errors import ConcurrentWriteError

    store = Lakehouse(str(tmp_path / "lh"), "t")
    store.write("query", "q", pa.table({"a": [1]}))

    def conflicting(*_args, **_kwargs):
        raise CommitFailedError("Transaction failed: version already exists")

    monkeypatch.setattr(storage, "write_deltalake", conflicting)
    with pytest.raises(ConcurrentWriteError, match="another writer committed to Delta table query/q of tenant t"):
        store.write("query", "q", pa.table({"a": [2]}))
    monkeypatch.undo()
    assert store.read("query", "q").to_pylist() == [{"a": 1}]


def test_load_warnings_reach_the_run_summary(shop):
    tenant, resource, landing = shop
    drop_file(landing, "customers/2026/11/25/customers-1.csv", CUSTOMERS_1)
    drop_file(landing, "customers/2026/11/25/customers-2.csv", "")
    summary = materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", progress=False)
    assert summary.success
    assert any("customers-2.csv: empty file (0 bytes)" in warning for warning in summary.warnings), summary.warnings
