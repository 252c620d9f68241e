"""A sensor per courier: new or changed files in its landing folder start an ingest run.

The cursor maps each file (relative to the tenant's landing folder) to its size and modification
time. It is saved by Dagster after every tick, so after a restart the sensor resumes from what it
last requested: a file is requested once, and a file that changes is requested again. The run
itself consults the load ledger too, so a file is never loaded twice even if requested twice.
"""


import hashlib
import json
from pathlib import Path

import dagster as dg

from amperity_pipelines.assets.keys import domain_key, op_name
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.config.models import CourierSpec, SourceSpec
from amperity_pipelines.ingest import discover
from amperity_pipelines.resources import LakehouseResource


def scan_courier(tenant: Tenant, source: SourceSpec, courier: CourierSpec, landing_root: Path) -> dict[str, tuple[str, str]]:
    """Every file the courier's patterns match now: relative path -> (feed, 'size:mtime_ns')."""
    root = tenant.landing_folder(landing_root) / courier.location.path
    found: dict[str, tuple[str, str]] = {}
    for spec in courier.files:
        for landed in discover(root, spec):
            relative = str(Path(courier.location.path) / landed.relpath)
            found[relative] = (spec.feed, f"{landed.size}:{landed.mtime_ns}")
    return found


def new_files(cursor: str | None, found: dict[str, tuple[str, str]]) -> tuple[dict[str, list[str]], str]:
    """Files that are new or changed since the cursor, grouped by feed, and the next cursor."""
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    by_feed: dict[str, list[str]] = {}
    for relative, (feed, fingerprint) in sorted(found.items()):
        if seen.get(relative) != fingerprint:
            by_feed.setdefault(feed, []).append(relative)
            seen[relative] = fingerprint
    return by_feed, json.dumps(seen, sort_keys=True, separators=(",", ":"))


def courier_sensor(tenant: Tenant, source: SourceSpec, courier: CourierSpec, job) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{tenant.name}__{courier.name}__files",
        job=job,
        minimum_interval_seconds=30,
        description=f"Starts {job.name} when new files land in courier {courier.name}'s folder ({courier.location.path}).",
    )
    def _sensor(context: dg.SensorEvaluationContext, lakehouse: LakehouseResource):
        found = scan_courier(tenant, source, courier, lakehouse.landing)
        by_feed, cursor = new_files(context.cursor, found)
        if not by_feed:
            return dg.SkipReason(f"no new files for courier {courier.name}")
        ops = {
            op_name(domain_key(tenant.name, f"{source.source}_{feed}")): {"config": {"files": files}}
            for feed, files in by_feed.items()
        }
        run_key = hashlib.sha256(json.dumps(ops, sort_keys=True).encode()).hexdigest()[:32]
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=run_key, run_config={"ops": ops}, tags={"courier": courier.name})],
            cursor=cursor,
        )

    return _sensor
