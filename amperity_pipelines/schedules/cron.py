"""Courier groups and cron orchestrations as Dagster schedules."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from amperity_pipelines.assets.partitions import is_partitioned, partition_keys, partition_tags, tenant_partitions
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.config.models import CourierGroupSpec, OrchestrationSpec
from amperity_pipelines.jobs import courier_feed_keys


def group_days(tenant: Tenant, group: CourierGroupSpec, tick_date: date) -> tuple[date, date] | None:
    """The days a tick loads: from `lookback_days` before the tick's date through that date,
    within the tenant's partitions (None when the group loads no dated feed, or no day is left)."""
    partitions = tenant_partitions(tenant)
    dated = [key for key in courier_feed_keys(tenant, group.couriers) if is_partitioned(tenant, tenant.domain_table(key.path[2]))]
    if partitions is None or not dated:
        return None
    first_day, last_day = partition_keys(partitions)
    first, last = max(tick_date - timedelta(days=group.lookback_days), first_day), min(tick_date, last_day)
    return (first, last) if first <= last else None


def courier_group_schedule(tenant: Tenant, group: CourierGroupSpec, job) -> dg.ScheduleDefinition:
    def request(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time.date()
        days = group_days(tenant, group, tick)
        if days is None and tenant_partitions(tenant) and any(
            is_partitioned(tenant, tenant.domain_table(key.path[2])) for key in courier_feed_keys(tenant, group.couriers)
        ):
            return dg.SkipReason(f"{tick} is outside tenant {tenant.name}'s partitions (partitions.start_date)")
        return dg.RunRequest(tags=partition_tags(*days) if days else {})

    return dg.ScheduleDefinition(
        name=f"{tenant.name}__{group.name}__schedule",
        job=job,
        cron_schedule=group.cron,
        execution_timezone=group.timezone,
        execution_fn=request,
        default_status=dg.DefaultScheduleStatus.RUNNING if group.active else dg.DefaultScheduleStatus.STOPPED,
        description=(
            f"Courier group {group.name}: {group.run_type} run at '{group.cron}' ({group.timezone}), "
            f"loading the files dated from {group.lookback_days} day(s) before the tick's date through that date."
        ),
    )


def orchestration_schedule(tenant: Tenant, orchestration: OrchestrationSpec, job) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=f"{tenant.name}__{orchestration.name}__schedule",
        job=job,
        cron_schedule=orchestration.cron,
        execution_timezone=orchestration.timezone,
        description=f"Orchestration {orchestration.name} at '{orchestration.cron}' ({orchestration.timezone}).",
    )


def tenant_schedules(tenant: Tenant, jobs: dict) -> list[dg.ScheduleDefinition]:
    schedules = [courier_group_schedule(tenant, g, jobs[f"{tenant.name}__{g.name}"]) for g in tenant.spec.courier_groups]
    schedules += [
        orchestration_schedule(tenant, o, jobs[f"{tenant.name}__{o.name}"])
        for o in tenant.spec.orchestrations
        if o.trigger == "cron"
    ]
    return schedules
