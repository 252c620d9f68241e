"""Helpers for the customer 360 tests: typed Unified Coalesced rows from dicts."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from amperity_pipelines.stitch import PROFILE_COLUMNS

_ARROW = {"VARCHAR": pa.string(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us")}


def unified_coalesced(con: duckdb.DuckDBPyConnection, rows: list[dict], *, fks=(), name="unified_coalesced") -> str:
    """Register rows as a Unified Coalesced table; columns not given are NULL."""
    columns = [("amperity_id", "VARCHAR"), ("datasource", "VARCHAR"), ("pk", "VARCHAR"), *PROFILE_COLUMNS]
    columns += [(fk, "VARCHAR") for fk in fks] + [("create_dt", "TIMESTAMP"), ("update_dt", "TIMESTAMP")]
    data = pa.table({c: pa.array([row.get(c) for row in rows], type=_ARROW[t]) for c, t in columns})
    con.register(name, data)
    return name


def by_id(relation) -> dict[str, dict]:
    rows = relation.to_arrow_table().to_pylist()
    return {row["amperity_id"]: row for row in rows}
