"""Asset factories: a loaded tenant in, its whole asset graph out."""

from __future__ import annotations

import dagster as dg

from amperity_pipelines.assets.activation import activation_assets
from amperity_pipelines.assets.database import database_assets
from amperity_pipelines.assets.domain import domain_assets
from amperity_pipelines.assets.stitch import stitch_assets
from amperity_pipelines.config.loader import Tenant

__all__ = ["tenant_assets"]


def tenant_assets(tenant: Tenant) -> list[dg.AssetsDefinition]:
    return [*domain_assets(tenant), *stitch_assets(tenant), *database_assets(tenant), *activation_assets(tenant)]
