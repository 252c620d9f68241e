"""Asset keys: `[tenant, layer, table]`, the same names the lakehouse stores tables under; a
database table's key also names its database, `[tenant, "database", database, table]`, so the
UI labels it with the table's own short name."""

from __future__ import annotations

import dagster as dg

from amperity_pipelines.config.standard_tables import STITCH_TABLES


def domain_key(tenant: str, table_key: str) -> dg.AssetKey:
    return dg.AssetKey([tenant, "domain", table_key])


def stitch_key(tenant: str, table: str) -> dg.AssetKey:
    return dg.AssetKey([tenant, "stitch", table])


def database_key(tenant: str, database: str, table: str) -> dg.AssetKey:
    """A table a database holds: a Stitch table is the tenant's one Stitch asset whatever the database."""
    if table in STITCH_TABLES:
        return stitch_key(tenant, table)
    return dg.AssetKey([tenant, "database", database, table])


def query_key(tenant: str, query: str) -> dg.AssetKey:
    return dg.AssetKey([tenant, "query", query])


def export_key(tenant: str, orchestration: str) -> dg.AssetKey:
    return dg.AssetKey([tenant, "export", orchestration])


def op_name(key: dg.AssetKey) -> str:
    """The op name Dagster derives from an asset key: run config for an asset goes under it."""
    return "__".join(key.path)
