"""Stitch checks: figures over the Stitch tables, computed in DuckDB, each judged against the
tenant's thresholds (`quality.stitch`).

They follow Amperity's Stitch QA (combined statistics, cluster-size distribution, many values
per Amperity ID, NULL Amperity IDs) and its benchmarks (e.g. the share of IDs with more than
three given names). Only aggregates and a few example rows leave DuckDB, so the checks of a
run with millions of records cost a handful of scans. No Dagster here: `assets/checks.py`
turns each outcome into an asset check result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from amperity_pipelines.config.loader import Tenant
from amperity_pipelines.config.quality_models import VALUES_PER_ID_CHECKS, StitchQualitySpec, ValuesPerIdLimit
from amperity_pipelines.engines.duckdb_engine import connect
from amperity_pipelines.stitch.result import SIZE_BUCKETS
from amperity_pipelines.storage.lakehouse import Lakehouse

EXAMPLES = 5

# How a Unified Coalesced value is compared when counting distinct values per Amperity ID:
# case, spacing and phone punctuation do not make a value "different".
NORMALIZED = {
    "given_name": "nullif(upper(trim({c})), '')",
    "surname": "nullif(upper(trim({c})), '')",
    "email": "nullif(lower(trim({c})), '')",
    "phone": "nullif(right(regexp_replace({c}, '[^0-9]', '', 'g'), 10), '')",
    "address": "nullif(upper(trim({c})), '')",
    "postal": "nullif(upper(regexp_replace({c}, '[^0-9A-Za-z]', '', 'g')), '')",
    "birthdate": "{c}",
}


@dataclass(frozen=True)
class StitchCheckOutcome:
    name: str
    passed: bool
    description: str
    figures: dict[str, Any] = field(default_factory=dict)
    examples: list[dict] = field(default_factory=list)
    applicable: bool = True
    """False when the tables this check reads are not there (e.g. first run): it then passes."""


@dataclass
class _Tables:
    """The DuckDB session the checks share, with what is registered in it."""

    con: duckdb.DuckDBPyConnection
    tenant: Tenant
    lakehouse: Lakehouse
    spec: StitchQualitySpec
    uc_previous: int | None
    """Unified_Coalesced's version in the previously published Stitch set (None on a first run)."""
    uc_columns: set[str]
    records: int = 0
    ids: int = 0

    def one(self, sql: str, params: list | None = None) -> tuple:
        return self.con.execute(sql, params or []).fetchone()

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        return [{k: _plain(v) for k, v in row.items()} for row in self.con.execute(sql, params or []).to_arrow_table().to_pylist()]


def _plain(value: Any) -> Any:
    """JSON-friendly example values for Dagster metadata (dates as text, lists kept)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def check_names(spec: StitchQualitySpec, present_columns: Iterable[str] | None = None) -> list[str]:
    """Checks this tenant runs; `ids_with_many_*` only for columns some stitched table fills."""
    present = None if present_columns is None else set(present_columns)
    return [
        name
        for name in spec.check_names()
        if present is None or not name.startswith("ids_with_many_") or _column_of(name) in present
    ]


def _column_of(check: str) -> str:
    return next(column for column, name in VALUES_PER_ID_CHECKS.items() if name == check)


def run_stitch_checks(tenant: Tenant, lakehouse: Lakehouse, names: Iterable[str] | None = None) -> list[StitchCheckOutcome]:
    """Run the named checks (default: all configured ones) over the tenant's current Stitch tables."""
    spec = tenant.spec.quality.stitch
    wanted = list(names) if names is not None else spec.check_names()
    if not lakehouse.exists("stitch", "Unified_Coalesced"):
        raise FileNotFoundError("Unified_Coalesced does not exist yet: run Stitch before its checks")
    con = connect()
    try:
        lakehouse.register(con, "uc", "stitch", "Unified_Coalesced")
        tables = _Tables(
            con=con,
            tenant=tenant,
            lakehouse=lakehouse,
            spec=spec,
            uc_previous=lakehouse.previously_published("stitch", "Unified_Coalesced"),
            uc_columns={c.lower() for c in con.sql("SELECT * FROM uc LIMIT 0").columns},
        )
        tables.records, tables.ids = tables.one("SELECT count(*), count(DISTINCT amperity_id) FROM uc")
        con.execute("CREATE TEMP TABLE sizes AS SELECT amperity_id, count(*) AS size FROM uc WHERE amperity_id IS NOT NULL GROUP BY 1")
        outcomes = []
        for name in wanted:
            check = CHECKS.get(name)
            if check is not None:
                outcomes.append(check(tables))
            elif name.startswith("ids_with_many_"):
                column = _column_of(name)
                outcomes.append(_many_values(tables, name, column, spec.values_per_id[column]))
            else:
                raise KeyError(f"unknown Stitch check {name!r}")
        return outcomes
    finally:
        con.close()


def _pct(value: float) -> str:
    return f"{value:.2%}"


def one_id_per_record(t: _Tables) -> StitchCheckOutcome:
    repeated = t.one("SELECT count(*) FROM (SELECT 1 FROM uc GROUP BY datasource, pk HAVING count(*) > 1)")[0]
    several = t.one("SELECT count(*) FROM (SELECT 1 FROM uc GROUP BY datasource, pk HAVING count(DISTINCT amperity_id) > 1)")[0]
    in_uc = dict(t.con.sql("SELECT datasource, count(DISTINCT pk) FROM uc GROUP BY 1").fetchall())
    expected = {
        table.name: t.lakehouse.row_count("domain", table.key) if t.lakehouse.exists("domain", table.key) else 0
        for table in t.tenant.stitched_tables()
    }
    mismatched = {
        name: {"domain_rows": expected.get(name, 0), "unified_coalesced_records": in_uc.get(name, 0)}
        for name in sorted(set(expected) | set(in_uc))
        if expected.get(name, 0) != in_uc.get(name, 0)
    }
    examples = t.rows(
        f"SELECT datasource, pk, count(*) AS rows, count(DISTINCT amperity_id) AS amperity_ids FROM uc "
        f"GROUP BY ALL HAVING count(*) > 1 ORDER BY rows DESC, datasource, pk LIMIT {EXAMPLES}"
    )
    passed = repeated == 0 and several == 0 and not mismatched
    parts = []
    if repeated:
        parts.append(f"{repeated:,} records appear on more than one row ({several:,} of them with different Amperity IDs)")
    for name, counts in mismatched.items():
        parts.append(f"{name}: {counts['domain_rows']:,} input records but {counts['unified_coalesced_records']:,} in Unified_Coalesced")
    description = "; ".join(parts) if parts else f"all {t.records:,} input records have exactly one row and one Amperity ID"
    figures = {"records": t.records, "records_on_several_rows": repeated, "records_with_several_ids": several,
               "input_records": sum(expected.values()), "tables_not_matching_input": mismatched}  # fmt: skip
    return StitchCheckOutcome("one_id_per_record", passed, description, figures, examples)


def no_null_ids(t: _Tables) -> StitchCheckOutcome:
    nulls = t.one("SELECT count(*) FROM uc WHERE amperity_id IS NULL")[0]
    examples = t.rows(f"SELECT datasource, pk FROM uc WHERE amperity_id IS NULL ORDER BY datasource, pk LIMIT {EXAMPLES}")
    description = f"{nulls:,} of {t.records:,} records have no Amperity ID" if nulls else f"no null Amperity ID among {t.records:,} records"
    return StitchCheckOutcome("no_null_ids", nulls == 0, description, {"null_amperity_ids": nulls, "records": t.records}, examples)


def size_distribution(t: _Tables) -> dict[str, int]:
    """Amperity IDs per cluster-size bucket (1, 2, 3, 4, 5, 6-10, 11-20, 21-63, 64+)."""
    counts = {label: 0 for label, _ in SIZE_BUCKETS}
    for size, ids in t.con.sql("SELECT size, count(*) FROM sizes GROUP BY 1").fetchall():
        label = [name for name, low in SIZE_BUCKETS if size >= low][-1]
        counts[label] += ids
    return counts


def cluster_sizes(t: _Tables) -> StitchCheckOutcome:
    buckets = size_distribution(t)
    over = t.one("SELECT count(*) FROM sizes WHERE size > 20")[0]
    share = over / t.ids if t.ids else 0.0
    limit = t.spec.max_share_ids_over_20
    passed = share <= limit
    largest = t.rows(f"SELECT amperity_id, size FROM sizes ORDER BY size DESC, amperity_id LIMIT {EXAMPLES}")
    description = (
        f"{over:,} of {t.ids:,} Amperity IDs ({_pct(share)}) have more than 20 records "
        f"({'within' if passed else 'above'} the {_pct(limit)} allowed); buckets "
        + ", ".join(f"{k}: {v:,}" for k, v in buckets.items())
    )
    figures = {"buckets": buckets, "ids_over_20_records": over, "share_ids_over_20": round(share, 6), "max_share_ids_over_20": limit}
    return StitchCheckOutcome("cluster_sizes", passed, description, figures, largest)


def supersized_clusters(t: _Tables) -> StitchCheckOutcome:
    flagged = "OR amperity_id IN (SELECT amperity_id FROM uc WHERE is_supersized)" if "is_supersized" in t.uc_columns else ""
    where = f"size >= {int(t.spec.supersized_min_size)} {flagged}"
    count = t.one(f"SELECT count(*) FROM sizes WHERE {where}")[0]
    examples = t.rows(f"SELECT amperity_id, size FROM sizes WHERE {where} ORDER BY size DESC, amperity_id LIMIT {EXAMPLES}")
    limit = t.spec.max_supersized_clusters
    description = (
        f"{count:,} supersized clusters ({t.spec.supersized_min_size}+ records"
        + (" or flagged is_supersized" if flagged else "") + f"); at most {limit:,} allowed"
    )
    figures = {"supersized_clusters": count, "max_supersized_clusters": limit, "supersized_min_size": t.spec.supersized_min_size}
    return StitchCheckOutcome("supersized_clusters", count <= limit, description, figures, examples)


def _dedupe_rate(records: int, ids: int) -> float:
    return (records - ids) / records if records else 0.0


def dedupe_rate(t: _Tables) -> StitchCheckOutcome:
    rate = _dedupe_rate(t.records, t.ids)
    low, high = t.spec.dedupe_rate
    per_source = {
        ds: round(_dedupe_rate(n, ids), 6)
        for ds, n, ids in t.con.sql("SELECT datasource, count(*), count(DISTINCT amperity_id) FROM uc GROUP BY 1 ORDER BY 1").fetchall()
    }
    passed = t.records > 0 and low <= rate <= high
    where = "within" if passed else "outside"
    description = (
        f"dedupe rate {_pct(rate)} ({t.records:,} records -> {t.ids:,} Amperity IDs) is {where} [{_pct(low)}, {_pct(high)}]"
        if t.records else "Unified_Coalesced is empty: Stitch produced no records"
    )
    figures = {"dedupe_rate": round(rate, 6), "records": t.records, "amperity_ids": t.ids, "band": [low, high], "per_datasource": per_source}
    return StitchCheckOutcome("dedupe_rate", passed, description, figures)


def dedupe_rate_jump(t: _Tables) -> StitchCheckOutcome:
    rate = _dedupe_rate(t.records, t.ids)
    if t.uc_previous is None:
        return StitchCheckOutcome("dedupe_rate_jump", True, "first Stitch run: no previous dedupe rate to compare with",
                                  {"dedupe_rate": round(rate, 6)}, applicable=False)  # fmt: skip
    t.lakehouse.register(t.con, "uc_previous", "stitch", "Unified_Coalesced", version=t.uc_previous)
    records, ids = t.one("SELECT count(*), count(DISTINCT amperity_id) FROM uc_previous")
    previous = _dedupe_rate(records, ids)
    jump = abs(rate - previous)
    limit = t.spec.max_dedupe_rate_jump
    passed = jump <= limit + 1e-12
    description = (
        f"dedupe rate moved {jump * 100:.2f} points, from {_pct(previous)} to {_pct(rate)} "
        f"({'within' if passed else 'more than'} the {limit * 100:.2f} allowed)"
    )
    figures = {"dedupe_rate": round(rate, 6), "previous_dedupe_rate": round(previous, 6), "jump": round(jump, 6),
               "max_dedupe_rate_jump": limit, "previous_version": t.uc_previous}  # fmt: skip
    return StitchCheckOutcome("dedupe_rate_jump", passed, description, figures)


def _many_values(t: _Tables, name: str, column: str, limit: ValuesPerIdLimit) -> StitchCheckOutcome:
    if column not in t.uc_columns:
        return StitchCheckOutcome(name, True, f"Unified_Coalesced has no {column} column", applicable=False)
    source = '"birthdate"' if column == "birthdate" else f'CAST("{column}" AS VARCHAR)'
    skip_bad = f"AND NOT coalesce(blv_{column}, false)" if f"blv_{column}" in t.uc_columns else ""
    t.con.execute(
        f"CREATE OR REPLACE TEMP VIEW id_values AS SELECT amperity_id, {NORMALIZED[column].format(c=source)} AS v "
        f"FROM uc WHERE amperity_id IS NOT NULL {skip_bad}"
    )
    t.con.execute("CREATE OR REPLACE TEMP TABLE per_id AS SELECT amperity_id, count(DISTINCT v) AS n FROM id_values GROUP BY 1")
    over = t.one("SELECT count(*) FROM per_id WHERE n > ?", [limit.more_than])[0]
    share = over / t.ids if t.ids else 0.0
    passed = share <= limit.max_share
    examples = t.rows(
        f"""
        WITH top AS (SELECT amperity_id, n FROM per_id WHERE n > ? ORDER BY n DESC, amperity_id LIMIT {EXAMPLES})
        SELECT top.amperity_id, top.n AS distinct_values, list_slice(list_sort(list(DISTINCT CAST(v AS VARCHAR))), 1, 5) AS some_values
        FROM top JOIN id_values USING (amperity_id) WHERE v IS NOT NULL
        GROUP BY top.amperity_id, top.n ORDER BY top.n DESC, top.amperity_id
        """,
        [limit.more_than],
    )
    label = column.replace("_", " ")
    description = (
        f"{over:,} of {t.ids:,} Amperity IDs ({_pct(share)}) have more than {limit.more_than} distinct {label} values "
        f"({'within' if passed else 'above'} the {_pct(limit.max_share)} allowed)"
    )
    figures = {"ids_over_limit": over, "amperity_ids": t.ids, "share": round(share, 6), "more_than": limit.more_than, "max_share": limit.max_share}
    return StitchCheckOutcome(name, passed, description, figures, examples)


def id_stability(t: _Tables) -> StitchCheckOutcome:
    if t.uc_previous is None or not t.lakehouse.exists("stitch", "Unified_Changes_Pks"):
        return StitchCheckOutcome("id_stability", True, "first Stitch run: no previous Amperity IDs to compare with", applicable=False)
    t.lakehouse.register(t.con, "changes", "stitch", "Unified_Changes_Pks")
    t.con.execute('CREATE TEMP VIEW latest AS SELECT * FROM changes WHERE "timestamp" = (SELECT max("timestamp") FROM changes)')
    added, deleted, updated = t.one(
        "SELECT count(*) FILTER (WHERE change_type = 'added'), count(*) FILTER (WHERE change_type = 'deleted'), "
        "count(*) FILTER (WHERE change_type = 'updated') FROM latest"
    )
    previous = t.records - added + deleted
    share = updated / previous if previous else 0.0
    limit = t.spec.max_share_ids_changed
    passed = share <= limit
    examples = t.rows(
        f"SELECT datasource, pk, amperity_id_prev, amperity_id FROM latest WHERE change_type = 'updated' "
        f"ORDER BY datasource, pk LIMIT {EXAMPLES}"
    )
    description = (
        f"{updated:,} of the previous run's {previous:,} records ({_pct(share)}) changed Amperity ID "
        f"({'within' if passed else 'above'} the {_pct(limit)} allowed); {added:,} added, {deleted:,} deleted"
    )
    figures = {"records_changed_id": updated, "previous_records": previous, "share_changed": round(share, 6),
               "added": added, "deleted": deleted, "max_share_ids_changed": limit}  # fmt: skip
    return StitchCheckOutcome("id_stability", passed, description, figures, examples)


def blocking_coverage(t: _Tables) -> StitchCheckOutcome:
    deterministic = getattr(t.tenant.spec.stitch, "matching", "probabilistic") == "deterministic"
    if deterministic or not t.lakehouse.exists("stitch", "Stitch_Blocking_Keys"):
        why = "deterministic matching uses no blocking keys" if deterministic else "no Stitch_Blocking_Keys table"
        return StitchCheckOutcome("blocking_coverage", True, f"not applicable: {why}", applicable=False)
    t.lakehouse.register(t.con, "blocking_keys", "stitch", "Stitch_Blocking_Keys")
    columns = {c.lower() for c in t.con.sql("SELECT * FROM blocking_keys LIMIT 0").columns}
    usable = "NOT coalesce(is_oversized, false)" if "is_oversized" in columns else "true"
    t.con.execute(f"CREATE TEMP TABLE keyed AS SELECT datasource, pk, bool_or({usable}) AS usable FROM blocking_keys GROUP BY ALL")
    covered, any_key = t.one(
        "SELECT count(*) FILTER (WHERE k.usable), count(k.pk) FROM uc LEFT JOIN keyed AS k "
        "ON k.datasource = uc.datasource AND k.pk = uc.pk"
    )
    coverage = covered / t.records if t.records else 0.0
    limit = t.spec.min_blocking_coverage
    passed = coverage >= limit
    examples = t.rows(
        f"SELECT uc.datasource, uc.pk FROM uc LEFT JOIN keyed AS k ON k.datasource = uc.datasource AND k.pk = uc.pk "
        f"WHERE k.usable IS NOT TRUE ORDER BY 1, 2 LIMIT {EXAMPLES}"
    )
    description = (
        f"{covered:,} of {t.records:,} records ({_pct(coverage)}) have a blocking key that is not oversized "
        f"({'at least' if passed else 'below'} the {_pct(limit)} required); {any_key:,} have any key"
    )
    figures = {"coverage": round(coverage, 6), "records_with_usable_key": covered, "records_with_any_key": any_key,
               "records": t.records, "min_blocking_coverage": limit}  # fmt: skip
    return StitchCheckOutcome("blocking_coverage", passed, description, figures, examples)


CHECKS: dict[str, Callable[[_Tables], StitchCheckOutcome]] = {
    "one_id_per_record": one_id_per_record,
    "no_null_ids": no_null_ids,
    "cluster_sizes": cluster_sizes,
    "supersized_clusters": supersized_clusters,
    "dedupe_rate": dedupe_rate,
    "dedupe_rate_jump": dedupe_rate_jump,
    "id_stability": id_stability,
    "blocking_coverage": blocking_coverage,
}
