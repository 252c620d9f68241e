"""Courier groups and cron orchestrations as Dagster schedules."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from amperity_pipelines.assets.keys import op_name
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.config.models import CourierGroupSpec, OrchestrationSpec
from amperity_pipelines.jobs import courier_feed_keys


def group_run_config(tenant: Tenant, group: CourierGroupSpec, tick_date) -> dict:
    """Load files dated from `lookback_days` before the tick's date through the tick's date."""
    start = tick_date - timedelta(days=group.lookback_days)
    end = tick_date + timedelta(days=1)
    window = {"start": start.isoformat(), "end": end.isoformat()}
    return {"ops": {op_name(key): {"config": window} for key in courier_feed_keys(tenant, group.couriers)}}


def courier_group_schedule(tenant: Tenant, group: CourierGroupSpec, job) -> dg.ScheduleDefinition:
    def run_config(context: dg.ScheduleEvaluationContext) -> dict:
        return group_run_config(tenant, group, context.scheduled_execution_time.date())

    return dg.ScheduleDefinition(
        name=f"{tenant.name}__{group.name}__schedule",
        job=job,
        cron_schedule=group.cron,
        execution_timezone=group.timezone,
        run_config_fn=run_config,
        default_status=dg.DefaultScheduleStatus.RUNNING if group.active else dg.DefaultScheduleStatus.STOPPED,
        description=f"Courier group {group.name}: {group.run_type} run at '{group.cron}' ({group.timezone}).",
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
