"""Factories: every tenant loads into Definitions with the expected keys, deps, jobs, schedules, sensors."""

from __future__ import annotations

import dagster as dg
import pytest

from amperity_pipelines.definitions import REPO_TENANTS, build_definitions, load_tenants
from amperity_pipelines.tenant_check import load_tenant


def test_definitions_load_for_every_tenant():
    tenants = load_tenants(REPO_TENANTS)
    assert tenants, "no tenant under tenants/"
    defs = build_definitions(tenants)
    assert defs.resolve_asset_graph().get_all_asset_keys()
    dg.Definitions.validate_loadable(defs)


def test_module_level_defs_load():
    from amperity_pipelines.definitions import defs

    assert isinstance(defs(), dg.Definitions) if callable(defs) else defs


@pytest.fixture(scope="module")
def demo():
    tenant = load_tenant(REPO_TENANTS / "demo")
    return tenant, build_definitions([tenant])


def test_asset_keys_follow_tenant_layer_table(demo):
    tenant, defs = demo
    keys = {tuple(k.path) for k in defs.resolve_asset_graph().get_all_asset_keys()}
    for table in tenant.domain_tables():
        assert ("demo", "domain", table.key) in keys
    assert ("demo", "stitch", "Unified_Coalesced") in keys
    for table in ("Merged_Customers", "Unified_Itemized_Transactions", "Unified_Transactions", "Transaction_Attributes", "Customer_360"):
        assert ("demo", "database", "Customer_360", table) in keys
    for name in tenant.queries:
        assert ("demo", "query", name) in keys
    for orchestration in tenant.spec.orchestrations:
        assert ("demo", "export", orchestration.name) in keys
    assert all(k[0] == "demo" and (len(k) == 3 or (len(k) == 4 and k[1] == "database")) for k in keys)


def test_lineage_deps(demo):
    tenant, defs = demo
    graph = defs.resolve_asset_graph()
    parents = lambda *path: {tuple(k.path) for k in graph.get(dg.AssetKey(list(path))).parent_keys}  # noqa: E731
    stitched = {("demo", "domain", t.key) for t in tenant.stitched_tables()}
    # The stitched tables enter Stitch once, at preprocessing; its outputs follow its stages.
    assert parents("demo", "stitch", "Unified_Preprocessed_Raw") == stitched
    assert parents("demo", "stitch", "Unified_Coalesced") == {("demo", "stitch", "Unified_Scores")}
    assert parents("demo", "stitch", "Unified_Scores") == {("demo", "stitch", "Stitch_Blocking_Keys")}
    crossing = [k for k in graph.get_all_asset_keys() if k.path[1] == "stitch" and stitched & parents(*k.path)]
    assert [k.path[2] for k in crossing] == ["Unified_Preprocessed_Raw"]
    assert ("demo", "stitch", "Unified_Coalesced") in parents("demo", "database", "Customer_360", "Merged_Customers")
    uit = parents("demo", "database", "Customer_360", "Unified_Itemized_Transactions")
    assert ("demo", "domain", "POS_Transactions") in uit and ("demo", "domain", "Ecommerce_Itemized") in uit
    custom = tenant.domain_table("Ecommerce_Itemized")
    assert parents("demo", "domain", custom.key) == {("demo", "domain", "Ecommerce_Orders"), ("demo", "domain", "Ecommerce_OrderLines")}
    for orchestration in tenant.spec.orchestrations:
        [upstream] = parents("demo", "export", orchestration.name)
        assert upstream[1] in ("query", "database", "stitch")


def test_schedules_follow_courier_groups_and_cron_orchestrations(demo):
    tenant, defs = demo
    schedules = {s.name: s for s in defs.schedules}
    for group in tenant.spec.courier_groups:
        schedule = schedules[f"demo__{group.name}__schedule"]
        assert schedule.cron_schedule == group.cron
        assert schedule.execution_timezone == group.timezone
    cron = [o for o in tenant.spec.orchestrations if o.trigger == "cron"]
    assert cron and all(f"demo__{o.name}__schedule" in schedules for o in cron)


def test_courier_group_run_types_select_the_right_layers(demo):
    tenant, defs = demo
    graph = defs.resolve_asset_graph()
    for group in tenant.spec.courier_groups:
        job = defs.resolve_job_def(f"demo__{group.name}")
        layers = {key.path[1] for key in job.asset_layer.selected_asset_keys}
        if group.run_type == "Source":
            assert layers == {"domain"}
        else:
            assert {"domain", "stitch", "database"} <= layers
        exports = {key.path[2] for key in job.asset_layer.selected_asset_keys if key.path[1] == "export"}
        expected = {o.name for o in tenant.spec.orchestrations if group.run_type == "Full" and o.courier_group == group.name and o.trigger == "after_courier_group"}
        assert exports == expected
    assert graph


def test_one_sensor_per_courier(demo):
    tenant, defs = demo
    names = {s.name for s in defs.sensors}
    assert names == {f"demo__{c.name}__files" for _, c in tenant.couriers()}


def test_every_schedule_and_sensor_starts_switched_off(demo):
    _, defs = demo
    assert defs.schedules and defs.sensors
    for schedule in defs.schedules:
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED, schedule.name
    for sensor in defs.sensors:
        assert sensor.default_status == dg.DefaultSensorStatus.STOPPED, sensor.name


def test_duckdb_steps_share_one_pool(demo):
    _, defs = demo
    graph = defs.resolve_asset_graph()
    pools: dict[str, set] = {}
    for key in graph.get_all_asset_keys():
        pools.setdefault(key.path[1], set()).update(graph.get(key).pools or {None})
    assert pools["domain"] == pools["stitch"] == pools["database"] == pools["query"] == {"duckdb"}
    assert pools["export"] == {None}  # writing files: no DuckDB work to serialise
