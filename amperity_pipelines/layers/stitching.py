"""Stitch layer: union every stitched domain table into aligned semantic columns, then resolve
identities and write the Stitch tables.

The union follows the semantic tags: a column tagged `email` becomes `email`, `fk-pos-customer`
becomes `fk_pos_customer`, and so on; a table without a tag simply contributes NULLs there.

Commit order: the Stitch tables of a run are committed one by one (a Delta commit each), then
published together in one commit of system/published (`Lakehouse.publish`). Readers, the next
Stitch run's stable IDs included, see only published versions: a run that dies before it
publishes leaves the previous run's seven tables readable, as a set. One Stitch run of a tenant
writes at a time (the tenant's `stitch` lock).
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlglot import exp

from amperity_pipelines.config.loader import DomainTable, Tenant
from amperity_pipelines.config.standard_tables import STITCH_TABLES, standard_table
from amperity_pipelines.config.tags import PROFILE_TAGS, profile_column
from amperity_pipelines.layers.session import connect
from amperity_pipelines.quality.stitch_report import write_stitch_report
from amperity_pipelines.stitch import DeterministicSettings, StitchStats, stitch_deterministic, stitch_records
from amperity_pipelines.storage.lakehouse import Lakehouse
from amperity_pipelines.tenant_check import stitch_settings

# Unified Coalesced column order (product notes 3.8); fk_* columns follow `ck`.
PROFILE_COLUMNS = tuple(profile_column(tag) for tag in PROFILE_TAGS if tag not in ("create-dt", "update-dt"))
TYPED_COLUMNS = {"birthdate": "DATE", "create_dt": "TIMESTAMP", "update_dt": "TIMESTAMP"}


STATS_METADATA = "stitch_stats"
"""Key of Unified_Coalesced's commit metadata holding the run's figures (StitchStats as JSON)."""
REPORTED_TABLES = ("Unified_Coalesced", "Unified_Scores")
"""What the Stitch QA report reads (the other tables would only be held in memory for nothing)."""


@dataclass
class StitchReport:
    tables: list[str]
    stats: StitchStats
    matching: str
    versions: dict[str, int] = field(default_factory=dict)
    """Delta version written per Stitch table."""
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return self.stats.records

    @property
    def amperity_ids(self) -> int:
        return self.stats.amperity_ids

    @property
    def dedupe_rate(self) -> float:
        return self.stats.dedupe_rate

    @property
    def cluster_sizes(self) -> dict[str, int]:
        return dict(self.stats.cluster_sizes)


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


def run_stitch(tenant: Tenant, lakehouse: Lakehouse, *, on_wait=None) -> StitchReport:
    """Stitch every stitched domain table, write the Stitch tables and publish them as one set."""
    with lakehouse.lock("stitch", what=f"Stitch of tenant {tenant.name}", on_wait=on_wait):
        return _run_stitch(tenant, lakehouse)


def _run_stitch(tenant: Tenant, lakehouse: Lakehouse) -> StitchReport:
    spec = tenant.spec.stitch
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
    if spec.matching == "deterministic":
        result = stitch_deterministic(con, "records", previous=previous, settings=DeterministicSettings(match_on=tuple(spec.match_on)))
    else:
        side = {name: _side_table(tenant, lakehouse, con, getattr(spec, name)) for name in ("labels", "blocklist")}
        settings = stitch_settings(tenant)  # parsed once, by tenant_check.load_tenant
        result = stitch_records(con, "records", previous=previous, settings=settings, **side)
    produced = result.tables()
    run_id = uuid.uuid4().hex
    versions, rows = {}, {}
    for name in STITCH_TABLES:
        key = standard_table(name).result_key
        if key in produced:
            metadata = {"stitch_run_id": run_id}
            if name == "Unified_Coalesced":  # the run's figures, for the QA report written after
                metadata[STATS_METADATA] = json.dumps(result.stats.as_dict(), default=str)
            versions[name] = lakehouse.write("stitch", name, produced[key], metadata=metadata)
            rows[name] = produced[key].num_rows
    lakehouse.publish("stitch", versions, run_id=run_id)
    return StitchReport(tables=[t.name for t in tables], stats=result.stats, matching=spec.matching, versions=versions, rows=rows)


def write_report(tenant: Tenant, lakehouse: Lakehouse) -> Path:
    """Write the Stitch QA report (HTML) of the published Stitch run and return its path."""
    published = lakehouse.published("stitch")
    if "Unified_Coalesced" not in published:
        raise FileNotFoundError(f"tenant {tenant.name} has no published Stitch run to report on")
    version = published["Unified_Coalesced"]
    commit = next((c for c in lakehouse.commits("stitch", "Unified_Coalesced", after=version - 1) if c["version"] == version), {})
    stats = json.loads(commit.get(STATS_METADATA, "{}"))
    tables = {standard_table(name).result_key: lakehouse.read("stitch", name) for name in REPORTED_TABLES if name in published}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return write_stitch_report(
        tables, stats, report_folder(lakehouse) / f"stitch_report_{stamp}.html", title=f"{tenant.name}: Stitch run {stamp}"
    )


def report_folder(lakehouse: Lakehouse) -> Path:
    """Where a tenant's Stitch reports go: beside its tables when the lakehouse is a local folder,
    else under $AMPERITY_REPORTS (default ./reports) on this machine."""
    if lakehouse.is_local:
        return Path(lakehouse.root.removeprefix("file://")).absolute() / lakehouse.tenant / "reports" / "stitch"
    return Path(os.environ.get("AMPERITY_REPORTS", "reports")).absolute() / lakehouse.tenant / "stitch"


def _side_table(tenant: Tenant, lakehouse: Lakehouse, con, name: str | None) -> str | None:
    """Register the labels or blocklist domain table; None when the tenant names none."""
    if name is None:
        return None
    table = next(t for t in tenant.domain_tables() if t.name == name)
    if not lakehouse.exists("domain", table.key):
        raise ValueError(f"Stitch needs domain table {name!r} (stitch labels/blocklist), which has not been loaded yet")
    view = f"__stitch_{table.key}"
    lakehouse.register(con, view, "domain", table.key)
    return view
