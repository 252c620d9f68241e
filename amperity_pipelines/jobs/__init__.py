"""Jobs: the whole tenant, each courier group (by run type), each courier's ingest, each orchestration."""

from __future__ import annotations

import dagster as dg

from amperity_pipelines.assets.keys import domain_key, export_key, query_key
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.config.models import CourierGroupSpec

__all__ = ["all_assets_job_name", "courier_feed_keys", "tenant_jobs"]


def all_assets_job_name(tenant: Tenant) -> str:
    return f"{tenant.name}__all"


def courier_feed_keys(tenant: Tenant, courier_names: list[str]) -> list[dg.AssetKey]:
    keys = []
    for source, courier in tenant.couriers():
        if courier.name in courier_names:
            for file in courier.files:
                key = domain_key(tenant.name, f"{source.source}_{file.feed}")
                if key not in keys:
                    keys.append(key)
    return keys


def courier_group_selection(tenant: Tenant, group: CourierGroupSpec) -> dg.AssetSelection:
    """Source: domain tables only. Refresh: and everything downstream but destinations. Full: plus
    the orchestrations that run after this group."""
    feeds = dg.AssetSelection.assets(*courier_feed_keys(tenant, group.couriers))
    if group.run_type == "Source":
        return feeds
    exports = [export_key(tenant.name, o.name) for o in tenant.spec.orchestrations]
    selection = feeds.downstream()
    if exports:
        selection = selection - dg.AssetSelection.assets(*exports)
    if group.run_type == "Full":
        after = [o for o in tenant.spec.orchestrations if o.trigger == "after_courier_group" and o.courier_group == group.name]
        if after:
            selection = selection | dg.AssetSelection.assets(*(export_key(tenant.name, o.name) for o in after))
    return selection


def tenant_jobs(tenant: Tenant) -> dict[str, dg.UnresolvedAssetJobDefinition]:
    jobs = {
        all_assets_job_name(tenant): dg.define_asset_job(
            all_assets_job_name(tenant),
            selection=dg.AssetSelection.key_prefixes([tenant.name]),
            description=f"Everything in tenant {tenant.name}: domain tables, Stitch, databases, queries, exports.",
        )
    }
    for group in tenant.spec.courier_groups:
        name = f"{tenant.name}__{group.name}"
        jobs[name] = dg.define_asset_job(
            name,
            selection=courier_group_selection(tenant, group),
            description=f"Courier group {group.name} ({group.run_type} run): couriers {', '.join(group.couriers)}.",
            tags={"courier_group": group.name, "run_type": group.run_type},
        )
    for _, courier in tenant.couriers():
        name = f"{tenant.name}__{courier.name}__ingest"
        jobs[name] = dg.define_asset_job(
            name,
            selection=dg.AssetSelection.assets(*courier_feed_keys(tenant, [courier.name])),
            description=f"Courier {courier.name}: load its new files into their domain tables.",
            tags={"courier": courier.name},
        )
    for orchestration in tenant.spec.orchestrations:
        name = f"{tenant.name}__{orchestration.name}"
        keys = [export_key(tenant.name, orchestration.name)]
        if orchestration.query:
            keys.insert(0, query_key(tenant.name, orchestration.query))
        jobs[name] = dg.define_asset_job(
            name,
            selection=dg.AssetSelection.assets(*keys),
            description=f"Orchestration {orchestration.name} ({orchestration.trigger}).",
            tags={"orchestration": orchestration.name},
        )
    return jobs
