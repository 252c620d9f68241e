"""Helpers shared by the Stitch tests: records from dicts, clusters as sets."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from amperity_pipelines.stitch import DeterministicSettings, stitch_deterministic


def records(con: duckdb.DuckDBPyConnection, rows: list[dict], name: str = "records") -> str:
    """Register `rows` (dicts; missing keys are NULL, all columns strings) as a view."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    data = pa.table({c: pa.array([row.get(c) for row in rows], type=pa.string()) for c in columns})
    con.register(name, data)
    return name


def stitch(con, rows, *, previous=None, **settings):
    return stitch_deterministic(con, records(con, rows), previous=previous, settings=DeterministicSettings(**settings))


def ids_by_record(result) -> dict[tuple[str, str], str]:
    table = result.unified_coalesced
    return {
        (ds, pk): aid
        for aid, ds, pk in zip(
            table.column("amperity_id").to_pylist(),
            table.column("datasource").to_pylist(),
            table.column("pk").to_pylist(),
            strict=True,
        )
    }


def groups(result) -> set[frozenset[str]]:
    """The clusters as sets of 'datasource:pk', independent of the IDs' values."""
    by_id: dict[str, set[str]] = {}
    for (ds, pk), aid in ids_by_record(result).items():
        by_id.setdefault(aid, set()).add(f"{ds}:{pk}")
    return {frozenset(members) for members in by_id.values()}
