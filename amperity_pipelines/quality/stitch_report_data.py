"""The figures of the Stitch QA report, aggregated in DuckDB over a run's Arrow tables.

Only aggregates and a bounded number of example records leave DuckDB, so the report of a run
with millions of records costs a few scans and stays as small as the report of a demo run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from amperity_pipelines.stitch.result import SIZE_BUCKETS

MATCH_CATEGORIES = ("Exact", "Excellent", "High", "Moderate", "Weak", "None")
SCORE_BINS_PER_POINT = 10
"""Score histogram resolution: bins 0.1 wide, 50 of them from 0 to 5."""
EXAMPLE_COLUMNS = (
    "datasource", "pk", "given_name", "surname", "full_name", "email", "phone", "address", "city", "state",
    "postal", "birthdate",
)  # fmt: skip
REQUIRED_COLUMNS = {
    "unified_coalesced": ("amperity_id", "datasource", "pk"),
    "unified_scores": ("amperity_id", "source1", "pk1", "source2", "pk2", "score", "match_category", "match_type"),
}
RANDOM_SEED = "stitch-report-1"
"""Salt of the hash that orders clusters for the random sample: same run, same examples."""


@dataclass(frozen=True)
class Overlap:
    sources: tuple[str, ...]
    amperity_ids: int
    """Amperity IDs whose records come from exactly these datasources."""


@dataclass(frozen=True)
class CategoryScores:
    category: str
    match_type: str
    pairs: int
    lowest: float
    highest: float


@dataclass(frozen=True)
class ExampleCluster:
    amperity_id: str
    reason: str
    """Why it was picked: largest, weakest pair or random sample."""
    size: int
    records: list[dict[str, object]]
    """At most `max_records`, ordered by datasource and pk."""
    pairs: list[dict[str, object]]
    """Scored pairs, weakest first, at most `max_pairs`."""
    pair_count: int


@dataclass(frozen=True)
class ReportData:
    records: int
    amperity_ids: int
    singletons: int
    largest_cluster: int
    size_buckets: dict[str, int]
    """Clusters per size bucket (every bucket of SIZE_BUCKETS, in order)."""
    bucket_records: dict[str, int]
    source_ids: dict[str, int]
    """Amperity IDs holding at least one record of each datasource, largest first."""
    overlaps: list[Overlap]
    """The largest exact-set combinations of datasources, largest first."""
    other_overlaps: Overlap | None
    """The combinations beyond the shown ones, summed (sources empty), or None."""
    has_scores: bool
    category_scores: list[CategoryScores] = field(default_factory=list)
    score_bins: dict[tuple[int, str], int] = field(default_factory=dict)
    """Pairs per (bin i, match category): scores from i / SCORE_BINS_PER_POINT up to the next bin."""
    examples: list[ExampleCluster] = field(default_factory=list)

    @property
    def dedupe_rate(self) -> float:
        return (self.records - self.amperity_ids) / self.records if self.records else 0.0


def check_tables(tables: Mapping[str, pa.Table]) -> None:
    """Raise ValueError naming the table and columns when an input cannot make a report."""
    if "unified_coalesced" not in tables:
        raise ValueError(f"stitch report: no 'unified_coalesced' table among {sorted(tables)}")
    for name, required in REQUIRED_COLUMNS.items():
        table = tables.get(name)
        if table is None:
            continue
        if not isinstance(table, pa.Table):
            raise ValueError(f"stitch report: table {name!r} is a {type(table).__name__}, expected a pyarrow.Table")
        missing = [c for c in required if c not in table.schema.names]
        if missing:
            raise ValueError(
                f"stitch report: table {name!r} lacks column(s) {', '.join(missing)}; expected {', '.join(required)}"
            )


def collect(tables: Mapping[str, pa.Table], *, examples: int, max_combinations: int = 20,
            max_records: int = 40, max_pairs: int = 60) -> ReportData:  # fmt: skip
    """Every figure of the report; `tables` as StitchResult.tables() names them."""
    check_tables(tables)
    con = duckdb.connect()
    try:
        con.register("uc", tables["unified_coalesced"])
        con.execute("CREATE TEMP TABLE sizes AS SELECT amperity_id, COUNT(*) AS n FROM uc GROUP BY amperity_id")
        scores = tables.get("unified_scores")
        if scores is not None:
            con.register("us", scores)
        records, ids, singletons, largest = con.execute(
            "SELECT (SELECT COUNT(*) FROM uc), COUNT(*), COUNT(*) FILTER (WHERE n = 1), COALESCE(MAX(n), 0) FROM sizes"
        ).fetchone()
        buckets, bucket_records = _size_buckets(con)
        source_ids, overlaps, other = _overlaps(con, max_combinations)
        data = ReportData(
            records=records, amperity_ids=ids, singletons=singletons, largest_cluster=largest,
            size_buckets=buckets, bucket_records=bucket_records, source_ids=source_ids,
            overlaps=overlaps, other_overlaps=other, has_scores=scores is not None,
        )  # fmt: skip
        if scores is not None:
            data.category_scores.extend(_category_scores(con))
            data.score_bins.update(_score_bins(con))
        present = set(tables["unified_coalesced"].schema.names)
        data.examples.extend(_examples(con, examples, present, scores is not None, max_records, max_pairs))
        return data
    finally:
        con.close()


def _size_buckets(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], dict[str, int]]:
    cases = " ".join(f"WHEN n >= {low} THEN '{label}'" for label, low in reversed(SIZE_BUCKETS))
    rows = con.execute(f"SELECT CASE {cases} END AS bucket, COUNT(*), SUM(n) FROM sizes GROUP BY bucket").fetchall()
    found = {bucket: (clusters, int(total)) for bucket, clusters, total in rows}
    clusters = {label: found.get(label, (0, 0))[0] for label, _ in SIZE_BUCKETS}
    members = {label: found.get(label, (0, 0))[1] for label, _ in SIZE_BUCKETS}
    return clusters, members


def _overlaps(con: duckdb.DuckDBPyConnection, limit: int) -> tuple[dict[str, int], list[Overlap], Overlap | None]:
    """Exact source sets per Amperity ID, as bit masks (one bit per datasource) when there are at
    most 63 datasources: an integer per ID groups several times faster than a list of names."""
    names = [row[0] for row in con.execute("SELECT DISTINCT datasource FROM uc ORDER BY datasource").fetchall()]
    if len(names) <= 63:
        bits = pa.table({"datasource": pa.array(names, pa.string()), "bit": pa.array(range(len(names)), pa.int8())})
        con.register("source_bits", bits)
        rows = con.execute(
            """
            WITH masks AS (
              SELECT amperity_id, BIT_OR(CAST(1 AS UBIGINT) << bit) AS mask
              FROM uc JOIN source_bits USING (datasource) GROUP BY amperity_id
            )
            SELECT mask, COUNT(*) FROM masks GROUP BY mask
            """
        ).fetchall()
        overlaps = [Overlap(tuple(n for b, n in enumerate(names) if mask >> b & 1), ids) for mask, ids in rows]
    else:
        rows = con.execute(
            """
            WITH sets AS (SELECT amperity_id, list_sort(list_distinct(list(datasource))) AS sources FROM uc GROUP BY amperity_id)
            SELECT sources, COUNT(*) FROM sets GROUP BY sources
            """
        ).fetchall()
        overlaps = [Overlap(tuple(sources), ids) for sources, ids in rows]
    overlaps.sort(key=lambda o: (-o.amperity_ids, len(o.sources), o.sources))
    totals = {name: sum(o.amperity_ids for o in overlaps if name in o.sources) for name in names}
    source_ids = dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))
    rest = overlaps[limit:]
    other = Overlap((), sum(o.amperity_ids for o in rest)) if rest else None
    return source_ids, overlaps[:limit], other


def _category_scores(con: duckdb.DuckDBPyConnection) -> list[CategoryScores]:
    rows = con.execute(
        "SELECT match_category, match_type, COUNT(*), MIN(score), MAX(score) FROM us GROUP BY ALL"
    ).fetchall()
    order = {c: i for i, c in enumerate(MATCH_CATEGORIES)}
    rows.sort(key=lambda r: (order.get(r[0], len(order)), str(r[0]), str(r[1])))
    return [CategoryScores(str(c), str(t), n, float(lo), float(hi)) for c, t, n, lo, hi in rows]


def _score_bins(con: duckdb.DuckDBPyConnection) -> dict[tuple[int, str], int]:
    last = 5 * SCORE_BINS_PER_POINT - 1  # a 5.0 belongs to the last bin, not a bin of its own
    # The epsilon keeps a score on a bin edge (4.9) in the bin it starts, whatever its binary rounding.
    rows = con.execute(
        f"""
        SELECT LEAST(CAST(FLOOR(score * {SCORE_BINS_PER_POINT} + 1e-9) AS INTEGER), {last}) AS bin, match_category, COUNT(*)
        FROM us WHERE score IS NOT NULL GROUP BY ALL
        """
    ).fetchall()
    return {(int(b), str(category)): n for b, category, n in rows}


def _examples(con, wanted: int, present: set[str], has_scores: bool, max_records: int, max_pairs: int) -> list[ExampleCluster]:
    """Largest clusters, clusters with the weakest pair, then a seeded random sample, no repeats."""
    if wanted <= 0:
        return []
    quotas = [("largest", math.ceil(wanted / 3)), ("weakest pair", math.ceil(wanted / 3) if has_scores else 0)]
    quotas.append(("random sample", wanted - sum(q for _, q in quotas)))
    candidates = {
        "largest": "SELECT amperity_id FROM sizes WHERE n > 1 ORDER BY n DESC, amperity_id LIMIT ?",
        "weakest pair": "SELECT amperity_id FROM us GROUP BY amperity_id ORDER BY MIN(score), amperity_id LIMIT ?",
        "random sample": f"SELECT amperity_id FROM sizes WHERE n > 1 ORDER BY md5(amperity_id || '{RANDOM_SEED}') LIMIT ?",
    }
    chosen: dict[str, str] = {}
    for reason, quota in quotas:
        if quota <= 0:
            continue
        taken = 0
        for (amperity_id,) in con.execute(candidates[reason], [quota + wanted]).fetchall():
            if taken == quota:
                break
            if amperity_id not in chosen:
                chosen[amperity_id] = reason
                taken += 1
    if not chosen:
        return []
    con.register("chosen", pa.table({"amperity_id": pa.array(list(chosen), pa.string())}))
    columns = ", ".join(f'"{c}"' for c in EXAMPLE_COLUMNS if c in present)
    records: dict[str, list[dict]] = {aid: [] for aid in chosen}
    relation = con.execute(
        f"""
        SELECT amperity_id, {columns} FROM uc SEMI JOIN chosen USING (amperity_id)
        QUALIFY ROW_NUMBER() OVER (PARTITION BY amperity_id ORDER BY datasource, pk) <= ?
        ORDER BY amperity_id, datasource, pk
        """,
        [max_records],
    ).to_arrow_table()
    for row in relation.to_pylist():
        records[row.pop("amperity_id")].append(row)
    pairs: dict[str, list[dict]] = {aid: [] for aid in chosen}
    pair_counts: dict[str, int] = {}
    if has_scores:
        scored = con.execute(
            """
            SELECT amperity_id, source1, pk1, source2, pk2, score, match_category, match_type,
                   COUNT(*) OVER (PARTITION BY amperity_id) AS pair_count
            FROM us SEMI JOIN chosen USING (amperity_id)
            QUALIFY ROW_NUMBER() OVER (PARTITION BY amperity_id ORDER BY score, source1, pk1, source2, pk2) <= ?
            ORDER BY amperity_id, score, source1, pk1, source2, pk2
            """,
            [max_pairs],
        ).to_arrow_table()
        for row in scored.to_pylist():
            aid = row.pop("amperity_id")
            pair_counts[aid] = row.pop("pair_count")
            pairs[aid].append(row)
    sizes = dict(con.execute("SELECT amperity_id, n FROM sizes SEMI JOIN chosen USING (amperity_id)").fetchall())
    return [
        ExampleCluster(aid, reason, sizes[aid], records[aid], pairs[aid], pair_counts.get(aid, 0))
        for aid, reason in chosen.items()
    ]
