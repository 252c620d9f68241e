"""Stitch layer: union every stitched domain table into aligned semantic columns, then resolve
identities and write the Stitch tables.

The union follows the semantic tags: a column tagged `email` becomes `email`, `fk-pos-customer`
becomes `fk_pos_customer`, and so on; a table without a tag simply contributes NULLs there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from amperity_pipelines.config.loader import DomainTable, Tenant
from amperity_pipelines.config.tags import PROFILE_TAGS, profile_column
from amperity_pipelines.layers.session import connect
from amperity_pipelines.stitch import DeterministicSettings, stitch_deterministic
from amperity_pipelines.storage.lakehouse import Lakehouse

# Unified Coalesced column order (product notes 3.8); fk_* columns follow `ck`.
PROFILE_COLUMNS = tuple(profile_column(tag) for tag in PROFILE_TAGS if tag not in ("create-dt", "update-dt"))
TYPED_COLUMNS = {"birthdate": "DATE", "create_dt": "TIMESTAMP", "update_dt": "TIMESTAMP"}


@dataclass
class StitchReport:
    tables: list[str]
    records: int
    amperity_ids: int
    dedupe_rate: float
    cluster_sizes: dict[str, int] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)


def column_map(table: DomainTable) -> dict[str, str]:
    """Stitch column -> domain table column, from the table's semantic tags (first tag wins)."""
    mapping: dict[str, str] = {}
    for column, tags in table.tags.items():
        for tag in tags:
            target = profile_column(tag)
            if target and not target.startswith("sk_") and target not in mapping:
                mapping[target] = column
    if "update_dt" not in mapping and table.last_updated:
        mapping["update_dt"] = table.last_updated
    return mapping


def stitch_columns(tables: list[DomainTable]) -> list[str]:
    """Every stitch column any table fills, in Unified Coalesced order."""
    present = {target for table in tables for target in column_map(table)}
    ordered = [c for c in PROFILE_COLUMNS if c in present and c != "ck"]
    ordered += ["ck"] if "ck" in present else []
    ordered += sorted(c for c in present if c.startswith("fk_"))
    ordered += [c for c in ("create_dt", "update_dt") if c in present]
    return ordered


def _pk_expression(table: DomainTable) -> exp.Expression:
    parts = [exp.cast(exp.column(key, quoted=True), "VARCHAR") for key in table.primary_key]
    if len(parts) == 1:
        return parts[0]
    return exp.func("concat_ws", exp.Literal.string("-"), *parts)


def table_select(table: DomainTable, columns: list[str]) -> exp.Select:
    """SELECT datasource, pk, <stitch columns> FROM "<table>" for one stitched table."""
    mapping = column_map(table)
    projections: list[exp.Expression] = [
        exp.alias_(exp.Literal.string(table.name), "datasource"),
        exp.alias_(_pk_expression(table), "pk"),
    ]
    for target in columns:
        kind = TYPED_COLUMNS.get(target, "VARCHAR")
        if target in mapping:
            value = exp.TryCast(this=exp.column(mapping[target], quoted=True), to=exp.DataType.build(kind))
        else:
            value = exp.cast(exp.null(), kind)
        projections.append(exp.alias_(value, target))
    return exp.select(*projections).from_(exp.to_table(f'"{table.name}"', dialect="duckdb"))


def records_sql(tables: list[DomainTable]) -> str:
    """The union of every stitched table, aligned on stitch columns, as DuckDB SQL."""
    if not tables:
        raise ValueError("no domain table is marked for Stitch: set `stitch: true` on a feed or list stitch.tables")
    columns = stitch_columns(tables)
    selects = [table_select(table, columns) for table in tables]
    union = selects[0]
    for select in selects[1:]:
        union = exp.union(union, select, distinct=False)
    return union.sql(dialect="duckdb")


def run_stitch(tenant: Tenant, lakehouse: Lakehouse) -> StitchReport:
    tables = tenant.stitched_tables()
    con = connect()
    for table in tables:
        lakehouse.register(con, table.name, "domain", table.key)
    con.execute(f"CREATE OR REPLACE TEMP VIEW records AS {records_sql(tables)}")
    duplicates = con.sql("SELECT datasource, pk, count(*) AS n FROM records GROUP BY ALL HAVING n > 1 LIMIT 5").fetchall()
    if duplicates:
        shown = ", ".join(f"{d}:{p} ({n}x)" for d, p, n in duplicates)
        raise ValueError(f"Stitch input has duplicate (datasource, pk): {shown}; every stitched table needs a unique primary key")
    previous = None
    if lakehouse.exists("stitch", "Unified_Coalesced"):
        lakehouse.register(con, "__previous_uc", "stitch", "Unified_Coalesced")
        previous = "__previous_uc"
    result = stitch_deterministic(con, "records", previous=previous, settings=_settings(tenant))
    versions = {
        "Unified_Coalesced": lakehouse.write("stitch", "Unified_Coalesced", result.unified_coalesced),
        "Unified_Changes_Pks": lakehouse.write("stitch", "Unified_Changes_Pks", result.unified_changes_pks),
    }
    stats = result.stats
    return StitchReport(
        tables=[t.name for t in tables],
        records=stats.records,
        amperity_ids=stats.amperity_ids,
        dedupe_rate=stats.dedupe_rate,
        cluster_sizes=dict(stats.cluster_sizes),
        versions=versions,
    )


def _settings(tenant: Tenant) -> DeterministicSettings:
    return DeterministicSettings(match_on=tuple(tenant.spec.stitch.match_on))
