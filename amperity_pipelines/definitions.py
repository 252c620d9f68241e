"""The code location: every tenant folder -> factories -> one Definitions.

Tenants are read from $AMPERITY_TENANTS (default: the repository's tenants/ folder); storage
roots from $AMPERITY_LAKEHOUSE, $AMPERITY_LANDING and $AMPERITY_EXPORTS. This is the only
place that decides which resources bind.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from amperity_pipelines.assets import tenant_assets
from amperity_pipelines.assets.checks import tenant_checks
from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.jobs import tenant_jobs
from amperity_pipelines.resources import LakehouseResource
from amperity_pipelines.schedules import courier_sensor, tenant_schedules
from amperity_pipelines.tenant_check import load_tenant

REPO_TENANTS = Path(__file__).resolve().parent.parent / "tenants"
DEFAULT_REPORTS_URL = "http://127.0.0.1:3001"
"""Where scripts/dagster-dev.sh serves the lakehouse's reports (`amperity-pipelines serve-reports`)."""
CODE_LOCATION = "amperity_pipelines"
"""The code location's name in workspace.yaml (and pyproject's [tool.dagster])."""


def tenants_folder() -> Path:
    return Path(os.environ.get("AMPERITY_TENANTS", REPO_TENANTS))


def load_tenants(folder: Path | None = None) -> list[Tenant]:
    folder = folder or tenants_folder()
    return [load_tenant(path) for path in sorted(folder.iterdir()) if (path / "tenant.yaml").is_file()]


def lakehouse_resource(
    *, root: str | None = None, landing_root: str | None = None, exports_root: str | None = None
) -> LakehouseResource:
    """The storage roots: the arguments given, else the environment, else ./lakehouse, ./landing, ./exports.

    A new resource is built rather than copied: a ConfigurableResource copied with
    `model_copy(update=...)` keeps the configuration it resolved first, so overrides were lost."""
    return LakehouseResource(
        root=root or os.environ.get("AMPERITY_LAKEHOUSE", "lakehouse"),
        landing_root=landing_root or os.environ.get("AMPERITY_LANDING", "landing"),
        exports_root=exports_root or os.environ.get("AMPERITY_EXPORTS", "exports"),
        reports_url=os.environ.get("AMPERITY_REPORTS_URL", DEFAULT_REPORTS_URL),
    )


def tenant_definitions(tenant: Tenant) -> dg.Definitions:
    jobs = tenant_jobs(tenant)
    sensors = [
        courier_sensor(tenant, source, courier, jobs[f"{tenant.name}__{courier.name}__ingest"])
        for source, courier in tenant.couriers()
    ]
    return dg.Definitions(
        assets=tenant_assets(tenant),
        asset_checks=tenant_checks(tenant),
        jobs=list(jobs.values()),
        schedules=tenant_schedules(tenant, jobs),
        sensors=sensors,
    )


def build_definitions(tenants: list[Tenant] | None = None, resource: LakehouseResource | None = None) -> dg.Definitions:
    tenants = load_tenants() if tenants is None else tenants
    merged = dg.Definitions.merge(*(tenant_definitions(t) for t in tenants)) if tenants else dg.Definitions()
    return dg.Definitions.merge(merged, dg.Definitions(resources={"lakehouse": resource or lakehouse_resource()}))


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
