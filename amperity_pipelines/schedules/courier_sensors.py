"""A sensor per courier: new or changed files in its landing folder start an ingest run.

Dated feeds are partitioned by day (assets/partitions.py): the sensor asks for one run per file
date, with that day's partition key, so the UI shows which days have arrived. The cursor maps
each file (relative to the tenant's landing folder) to its size and modification time. It is
saved by Dagster after every tick, so after a restart the sensor resumes from what it last
requested: a file is requested once, and a file that changes is requested again. The run itself
consults the load ledger too, so a file is never loaded twice even if requested twice.
"""


import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg

from amperity_pipelines.assets.keys import domain_key, op_name
from amperity_pipelines.assets.partitions import DAY_FORMAT, is_partitioned, partition_keys, tenant_partitions
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.config.models import CourierSpec, SourceSpec
from amperity_pipelines.ingest import discover
from amperity_pipelines.resources import LakehouseResource


def scan_courier(
    tenant: Tenant, source: SourceSpec, courier: CourierSpec, landing_root: Path
) -> dict[str, tuple[str, str, date | None]]:
    """Every file the courier's patterns match now: relative path -> (feed, 'size:mtime_ns', file date)."""
    root = tenant.landing_folder(landing_root) / courier.location.path
    found: dict[str, tuple[str, str, date | None]] = {}
    for spec in courier.files:
        for landed in discover(root, spec):
            relative = str(Path(courier.location.path) / landed.relpath)
            found[relative] = (spec.feed, f"{landed.size}:{landed.mtime_ns}", landed.file_date)
    return found


def new_files(cursor: str | None, found: dict[str, tuple]) -> tuple[dict[str, list[str]], str]:
    """Files that are new or changed since the cursor, grouped by feed, and the next cursor."""
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    by_feed: dict[str, list[str]] = {}
    for relative, (feed, fingerprint, *_) in sorted(found.items()):
        if seen.get(relative) != fingerprint:
            by_feed.setdefault(feed, []).append(relative)
            seen[relative] = fingerprint
    return by_feed, json.dumps(seen, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Request:
    """One run to ask for: the feeds' files, and the day they are dated (None: undated feeds)."""

    day: date | None
    files: dict[dg.AssetKey, list[str]]


def plan_requests(
    tenant: Tenant, source: SourceSpec, by_feed: dict[str, list[str]], dates: dict[str, date | None]
) -> tuple[list[Request], list[str]]:
    """A run per file date for dated feeds (its partition), one run for undated feeds; and the
    files left out because their date is outside the tenant's partitions (said, never dropped silently)."""
    partitions = tenant_partitions(tenant)
    first, last = partition_keys(partitions) if partitions else (None, None)
    by_day: dict[date | None, dict[dg.AssetKey, list[str]]] = {}
    outside: list[str] = []
    for feed, files in sorted(by_feed.items()):
        table = tenant.domain_table(f"{source.source}:{feed}")
        key = domain_key(tenant.name, table.key)
        dated = is_partitioned(tenant, table)
        for relative in files:
            day = dates.get(relative) if dated else None
            if dated and (day is None or not first <= day <= last):
                outside.append(f"{relative} ({day})")
                continue
            by_day.setdefault(day, {}).setdefault(key, []).append(relative)
    requests = [Request(day, files) for day, files in sorted(by_day.items(), key=lambda item: (item[0] is not None, item[0] or date.min))]
    return requests, outside


def courier_sensor(tenant: Tenant, source: SourceSpec, courier: CourierSpec, job) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{tenant.name}__{courier.name}__files",
        job=job,
        minimum_interval_seconds=30,
        description=f"Starts {job.name} when new files land in courier {courier.name}'s folder ({courier.location.path}), one run per file date.",
    )
    def _sensor(context: dg.SensorEvaluationContext, lakehouse: LakehouseResource):
        found = scan_courier(tenant, source, courier, lakehouse.landing)
        by_feed, cursor = new_files(context.cursor, found)
        if not by_feed:
            return dg.SkipReason(f"no new files for courier {courier.name}")
        requests, outside = plan_requests(tenant, source, by_feed, {relative: entry[2] for relative, entry in found.items()})
        if outside:
            context.log.warning(
                f"courier {courier.name}: {len(outside)} file(s) dated outside tenant {tenant.name}'s partitions "
                f"(partitions.start_date .. today) are not requested: {', '.join(outside[:10])}"
            )
        run_requests = []
        for request in requests:
            ops = {op_name(key): {"config": {"files": files}} for key, files in request.files.items()}
            run_key = hashlib.sha256(json.dumps(ops, sort_keys=True).encode()).hexdigest()[:32]
            run_requests.append(
                dg.RunRequest(
                    run_key=run_key,
                    run_config={"ops": ops},
                    tags={"courier": courier.name},
                    asset_selection=list(request.files),
                    partition_key=request.day.strftime(DAY_FORMAT) if request.day else None,
                )
            )
        return dg.SensorResult(run_requests=run_requests, cursor=cursor)

    return _sensor
