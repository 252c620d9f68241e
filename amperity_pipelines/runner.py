"""Materialize a tenant outside the UI (the CLI's `materialize` and `demo`) through the same
Dagster asset graph the UI shows, and summarise what landed where."""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME
from dagster._core.storage.tags import REPOSITORY_LABEL_TAG

from amperity_pipelines.assets.keys import op_name
from amperity_pipelines.assets.partitions import is_partitioned, partition_keys, partition_tags, tenant_partitions
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.definitions import CODE_LOCATION, build_definitions
from amperity_pipelines.instance.run_launcher import HOST_TAG
from amperity_pipelines.jobs import all_assets_job_name
from amperity_pipelines.layers.domain import LoadWindow, pending_files
from amperity_pipelines.resources import LakehouseResource
from amperity_pipelines.storage.lakehouse import LAYERS


@dataclass
class RunSummary:
    success: bool
    seconds: float
    tables: list[tuple[str, str, int]] = field(default_factory=list)
    """(layer, table, rows) for every Delta table of the tenant."""
    stitch: dict = field(default_factory=dict)
    exports: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class DayPlan:
    """Which days of the dated feeds a run covers: its partition tags, and the dated feeds it
    leaves out (no day to load)."""

    tags: dict[str, str] = field(default_factory=dict)
    skip: list[dg.AssetKey] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def selection(self, job_def) -> list[dg.AssetKey]:
        return [key for key in job_def.asset_layer.selected_asset_keys if key not in self.skip]


def plan_days(tenant: Tenant, resource: LakehouseResource, feeds: list[dg.AssetKey], window: dict) -> DayPlan:
    """The days a run loads: `day`, or `[start, end)`, or else the days of the files not loaded yet.

    Raises ValueError for a day outside the tenant's partitions or a file dated before them."""
    partitions = tenant_partitions(tenant)
    dated = [key for key in feeds if is_partitioned(tenant, tenant.domain_table(key.path[2]))]
    asked = any(window.get(name) for name in ("day", "start", "end"))
    if partitions is None or not dated:
        if asked:
            raise ValueError(f"--day/--start/--end choose days of dated feeds; this run loads none (tenant {tenant.name})")
        return DayPlan()
    first_day, last_day = partition_keys(partitions)
    if asked:
        if window.get("day"):
            first = last = date.fromisoformat(window["day"])
        else:
            if not (window.get("start") and window.get("end")):
                raise ValueError("give both --start and --end (a [start, end) range of file dates), or --day")
            first, last = date.fromisoformat(window["start"]), date.fromisoformat(window["end"]) - timedelta(days=1)
            if last < first:
                raise ValueError(f"--end {window['end']} must be after --start {window['start']}")
        if first < first_day or last > last_day:
            raise ValueError(
                f"days {first}..{last} are outside tenant {tenant.name}'s partitions ({first_day}..{last_day}; "
                "partitions.start_date in tenant.yaml sets the first)"
            )
        return DayPlan(tags=partition_tags(first, last))
    lakehouse = resource.for_tenant(tenant.name)
    pending = []
    for key in dated:
        found, _ = pending_files(tenant, tenant.domain_table(key.path[2]), lakehouse, resource.landing, LoadWindow(files=tuple(window.get("files", ()))))
        pending += [(entry.landed.file_date, entry.relative) for entry in found]
    early = sorted(f"{name} ({day})" for day, name in pending if day < first_day)
    if early:
        raise ValueError(
            f"{len(early)} file(s) are dated before tenant {tenant.name}'s partitions start ({first_day}): "
            f"{', '.join(early[:5])}; set partitions.start_date in tenant.yaml to an earlier day"
        )
    late = sorted(f"{name} ({day})" for day, name in pending if day > last_day)
    warnings = [f"{len(late)} file(s) dated after today wait for their day: {', '.join(late[:5])}"] if late else []
    days = sorted(day for day, _ in pending if day <= last_day)
    if not days:
        return DayPlan(skip=dated, warnings=warnings)  # nothing new: the dated feeds keep their tables
    return DayPlan(tags=partition_tags(days[0], days[-1]), warnings=warnings)


class _ProgressHandler(logging.Handler):
    """Prints one line per materialized asset or failed step while a run goes on."""

    def __init__(self, started: float):
        super().__init__()
        self.started = started

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        event = meta.get("dagster_event") if isinstance(meta, dict) else None
        if event is None:
            return
        elapsed = time.monotonic() - self.started
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            rows = materialization.metadata.get("dagster/row_count")
            shown = f"{rows.value:>12,} rows" if rows is not None else ""
            print(f"  [{elapsed:6.1f}s] {'/'.join(materialization.asset_key.path):<58} {shown}", flush=True)
        elif event.event_type_value == "STEP_FAILURE":
            print(f"  [{elapsed:6.1f}s] FAILED {event.step_key}", flush=True)


def progress_logger(started: float) -> dg.LoggerDefinition:
    @dg.logger
    def _progress(_init_context):
        log = logging.Logger("amperity_pipelines.progress", level=logging.DEBUG)
        log.addHandler(_ProgressHandler(started))
        return log

    return _progress


def instance() -> dg.DagsterInstance:
    """The persistent instance under $DAGSTER_HOME when set (runs then show in the UI), else ephemeral."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def run_tags() -> dict[str, str]:
    """Tags that make an in-process run one of the code location's own: the UI lists runs on a
    job's page by job name and this repository label, and run monitoring checks this host."""
    return {
        REPOSITORY_LABEL_TAG: f"{SINGLETON_REPOSITORY_NAME}@{CODE_LOCATION}",
        HOST_TAG: socket.gethostname(),
    }


def materialize_tenant(
    tenant: Tenant,
    resource: LakehouseResource,
    *,
    job: str | None = None,
    window: dict | None = None,
    log_level: str = "CRITICAL",
    progress: bool = True,
) -> RunSummary:
    """Run a job of the tenant (default: every asset) in this process and summarise the result.

    Dagster's own console log is kept at `log_level`; with `progress`, one line per materialized
    asset is printed instead.
    """
    started = time.monotonic()
    defs = build_definitions([tenant], resource)
    if progress:
        defs = dg.Definitions.merge(
            defs, dg.Definitions(loggers={"progress": progress_logger(started), "console": dg.colored_console_logger})
        )
    job_def = defs.resolve_job_def(job or all_assets_job_name(tenant))
    run_config: dict = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if progress:
        run_config["loggers"]["progress"] = {}
    window = window or {}
    feeds = [key for key in job_def.asset_layer.selected_asset_keys if key.path[1] == "domain" and tenant.domain_table(key.path[2]).feed]
    plan = plan_days(tenant, resource, feeds, window)
    if window.get("files"):
        run_config["ops"] = {op_name(key): {"config": {"files": list(window["files"])}} for key in feeds if key not in plan.skip}
    selection = plan.selection(job_def) if plan.skip else None
    if selection == []:  # a job of dated feeds only, with no file to load
        summary = RunSummary(success=True, seconds=time.monotonic() - started, warnings=[*plan.warnings, "no new files: nothing to run"])
        summarise(tenant, resource, summary)
        return summary
    result = job_def.execute_in_process(
        run_config=run_config,
        instance=instance(),
        raise_on_error=False,
        tags={**run_tags(), **plan.tags},
        asset_selection=selection,
    )
    summary = RunSummary(success=result.success, seconds=time.monotonic() - started, warnings=plan.warnings)
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            while error is not None and error.cause is not None:
                error = error.cause  # the user-code exception, not Dagster's wrapper
            message = error.message.strip() if error else "failed"
            summary.failures.append(f"{event.step_key}: {message}")
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            # A load's named warnings (an empty file, say) belong in the run's summary too.
            warnings = event.event_specific_data.materialization.metadata.get("warnings")
            summary.warnings += list(warnings.value) if warnings is not None else []
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data  # a failed blocking check: say why, with its figures
            if not check.passed and check.blocking and check.severity == dg.AssetCheckSeverity.ERROR:
                summary.failures.append(f"{check.asset_key.to_user_string()}:{check.check_name}: {check.description}")
    summarise(tenant, resource, summary)
    return summary


def summarise(tenant: Tenant, resource: LakehouseResource, summary: RunSummary) -> None:
    lakehouse = resource.for_tenant(tenant.name)
    if lakehouse.is_local:
        base = Path(lakehouse.table_uri("domain", "x")).parent.parent
        for layer_dir in sorted(p for p in base.iterdir() if p.is_dir() and p.name in LAYERS) if base.exists() else []:
            for table_dir in sorted(p for p in layer_dir.iterdir() if (p / "_delta_log").is_dir()):
                if lakehouse.exists(layer_dir.name, table_dir.name):  # published, with a first commit
                    summary.tables.append((layer_dir.name, table_dir.name, lakehouse.row_count(layer_dir.name, table_dir.name)))
    if lakehouse.exists("stitch", "Unified_Coalesced"):
        import duckdb

        con = duckdb.connect()
        lakehouse.register(con, "uc", "stitch", "Unified_Coalesced")
        records, ids = con.sql("SELECT count(*), count(DISTINCT amperity_id) FROM uc").fetchone()
        summary.stitch = {"records": records, "amperity_ids": ids, "dedupe_rate": (records - ids) / records if records else 0.0}
    exports = resource.exports_for(tenant.name)
    if exports.exists():
        # Hidden names are other exports' temporaries, still being written (export.py).
        summary.exports = sorted(str(p) for p in exports.rglob("*") if p.is_file() and not p.name.startswith("."))
