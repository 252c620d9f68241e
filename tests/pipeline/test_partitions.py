"""Daily partitions of dated feeds: keys per feed, sensor runs per file date, backfills of a
range, missing days, courier-group ticks, and days outside the partitions."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from amperity_pipelines.assets.partitions import is_partitioned, tenant_partitions
from amperity_pipelines.definitions import build_definitions
from amperity_pipelines.runner import materialize_tenant
from amperity_pipelines.tenant_check import load_tenant
from tests.pipeline.conftest import CUSTOMERS_HEADER, drop_file

UNDATED = """\
source: Web
feeds:
  - name: Events
    fields:
      - {name: email}
      - {name: kind}
couriers:
  - name: Web_Events
    location: {path: web}
    files:
      - {pattern: "'events.csv'", feed: Events}
"""
CUSTOMERS = "/customers-1.csv"
KEY = dg.AssetKey(["shop", "domain", "Shop_Customers"])


def customers_on(landing, *days: str) -> None:
    for number, day in enumerate(days, start=1):
        path = f"customers/{day.replace('-', '/')}{CUSTOMERS}"
        drop_file(landing, path, CUSTOMERS_HEADER + f"{number},Al{number},Lee,al{number}@x.org,,,{day} 10:00:00\n")


def test_dated_feeds_are_partitioned_by_day_and_undated_ones_are_not(shop):
    tenant, resource, _ = shop
    (tenant.folder / "sources" / "web.yaml").write_text(UNDATED)
    tenant = load_tenant(tenant.folder)
    graph = build_definitions([tenant], resource).resolve_asset_graph()
    partitions = tenant_partitions(tenant)
    assert isinstance(partitions, dg.DailyPartitionsDefinition) and partitions.timezone == "UTC"
    assert partitions.start == datetime(2025, 1, 1, tzinfo=ZoneInfo("UTC"))
    assert graph.get(KEY).partitions_def == partitions
    assert graph.get(dg.AssetKey(["shop", "domain", "Shop_Orders"])).partitions_def == partitions
    assert graph.get(dg.AssetKey(["shop", "domain", "Web_Events"])).partitions_def is None
    assert not is_partitioned(tenant, tenant.domain_table("Web:Events"))
    assert graph.get(dg.AssetKey(["shop", "stitch", "Unified_Coalesced"])).partitions_def is None


def test_sensor_asks_for_one_run_per_file_date(shop):
    tenant, resource, landing = shop
    customers_on(landing, "2026-11-23", "2026-11-24", "2026-11-26")
    drop_file(landing, "customers/2024/01/01/customers-9.csv", CUSTOMERS_HEADER)  # before partitions.start_date
    defs = build_definitions([tenant], resource)
    sensor = defs.resolve_sensor_def("shop__Shop_Customers__files")
    with dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), resources={"lakehouse": resource}, definitions=defs) as context:
        result = sensor.evaluate_tick(context)
    assert [r.partition_key for r in result.run_requests] == ["2026-11-23", "2026-11-24", "2026-11-26"]
    assert all(r.asset_selection == [KEY] for r in result.run_requests)
    assert "2024/01/01/customers-9.csv" not in str([r.run_config for r in result.run_requests])


def test_a_backfill_of_three_days_loads_exactly_those_files_and_a_missing_day_shows(shop):
    tenant, resource, landing = shop
    customers_on(landing, "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-24", "2026-11-25")
    instance = dg.DagsterInstance.ephemeral()
    job = build_definitions([tenant], resource).resolve_job_def("shop__Shop_Customers__ingest")
    backfill = job.execute_in_process(
        instance=instance,
        tags={"dagster/asset_partition_range_start": "2026-11-21", "dagster/asset_partition_range_end": "2026-11-23"},
    )
    assert backfill.success
    ledger = resource.for_tenant("shop").read("system", "loaded_files").column("file").to_pylist()
    assert sorted(ledger) == [f"shop/customers/2026/11/{d}{CUSTOMERS}" for d in ("21", "22")]
    for day in ("2026-11-24", "2026-11-25"):  # what a courier's sensor does: a run per file date
        assert job.execute_in_process(instance=instance, partition_key=day).success
    done = instance.get_materialized_partitions(KEY)
    assert {"2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25"} == done
    assert "2026-11-20" not in done  # a day never asked for is missing in the UI
    assert resource.for_tenant("shop").row_count("domain", "Shop_Customers") == 4


def test_materialize_days_and_pending_files(shop, capsys):
    tenant, resource, landing = shop
    customers_on(landing, "2026-11-20", "2026-11-21")
    summary = materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", window={"day": "2026-11-21"}, progress=False)
    assert summary.success and resource.for_tenant("shop").row_count("domain", "Shop_Customers") == 1
    summary = materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", progress=False)  # the rest
    assert summary.success and resource.for_tenant("shop").row_count("domain", "Shop_Customers") == 2
    again = materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", progress=False)
    assert again.success and "no new files: nothing to run" in again.warnings
    with pytest.raises(ValueError, match=r"outside tenant shop's partitions \(2025-01-01\.\."):
        materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", window={"day": "2024-12-31"}, progress=False)
    drop_file(landing, "customers/2024/06/01/customers-1.csv", CUSTOMERS_HEADER + "9,Old,Timer,,,,2024-06-01 10:00:00\n")
    with pytest.raises(ValueError, match=r"dated before tenant shop's partitions start \(2025-01-01\): shop/customers/2024/06/01"):
        materialize_tenant(tenant, resource, job="shop__Shop_Customers__ingest", progress=False)


def test_courier_group_tick_covers_its_lookback_days(shop):
    tenant, resource, _ = shop
    schedule = build_definitions([tenant], resource).resolve_schedule_def("shop__Daily__schedule")
    tick = datetime(2026, 11, 26, 6, tzinfo=ZoneInfo("UTC"))
    with dg.build_schedule_context(scheduled_execution_time=tick) as context:
        [request] = schedule.evaluate_tick(context).run_requests
    assert request.tags["dagster/asset_partition_range_start"] == "2026-11-25"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-11-26"
    early = datetime(2024, 3, 1, 6, tzinfo=ZoneInfo("UTC"))
    with dg.build_schedule_context(scheduled_execution_time=early) as context:
        assert schedule.evaluate_tick(context).skip_message.startswith("2024-03-01 is outside")


def test_courier_groups_in_two_time_zones_need_a_partitions_timezone(tmp_path):
    from amperity_pipelines.config.loader import ConfigError

    folder = tmp_path / "t"
    (folder / "sources").mkdir(parents=True)
    (folder / "sources" / "web.yaml").write_text(UNDATED)
    groups = "courier_groups:\n  - {name: A, couriers: [Web_Events], cron: '0 6 * * *', timezone: UTC}\n" \
             "  - {name: B, couriers: [Web_Events], cron: '0 7 * * *', timezone: Europe/Paris}\n"
    (folder / "tenant.yaml").write_text("tenant: t\n" + groups)
    with pytest.raises(ConfigError, match="set partitions.timezone"):
        load_tenant(folder)
    (folder / "tenant.yaml").write_text("tenant: t\npartitions: {timezone: Europe/Paris, start_date: 2026-01-01}\n" + groups)
    assert load_tenant(folder).spec.partition_timezone == "Europe/Paris"
