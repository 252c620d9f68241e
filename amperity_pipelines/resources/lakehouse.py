"""The Dagster resource that hands each asset its tenant's lakehouse and landing folder."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from amperity_pipelines.storage.lakehouse import Lakehouse


class LakehouseResource(dg.ConfigurableResource):
    """Where Delta tables live (`root`, a path or URI), where couriers find files
    (`landing_root`/<tenant>/) and where filesystem destinations write (`exports_root`/<tenant>/)."""

    root: str = "lakehouse"
    landing_root: str = "landing"
    exports_root: str = "exports"
    storage_options: dict[str, str] = {}
    reports_url: str = ""
    """Base URL of `amperity-pipelines serve-reports` for this root; links in the UI point there
    (empty: file:// links, which browsers do not open from a web page)."""

    def for_tenant(self, tenant: str) -> Lakehouse:
        return Lakehouse(self.root, tenant, storage_options=self.storage_options)

    @property
    def landing(self) -> Path:
        return Path(self.landing_root)

    def exports_for(self, tenant: str) -> Path:
        return Path(self.exports_root) / tenant
