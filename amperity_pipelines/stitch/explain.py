"""Why two records were (or were not) stitched together.

`explain` recomputes the pair's comparison levels from Unified Preprocessed Raw with the run's
own model and settings (the same SQL the run used), and reads the run's Unified Scores for the
path that connects the two records inside their cluster. Stitch labels are not stored with a
run, so a pair that a label decided shows the label only as the run's stored score.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, render
from amperity_pipelines.stitch.blocking import strategy_bit
from amperity_pipelines.stitch.comparisons import COMPARISONS, TF_COLUMNS
from amperity_pipelines.stitch.exceptions import StitchInputError
from amperity_pipelines.stitch.model import CATEGORY_NAMES, Model, level_weight
from amperity_pipelines.stitch.reference import nickname_table
from amperity_pipelines.stitch.result import StitchResult
from amperity_pipelines.stitch.result_files import load_tables
from amperity_pipelines.stitch.scoring import level_column, levels_query, model_score, scores_query
from amperity_pipelines.stitch.settings import STRATEGIES, StitchSettings

Record = tuple[str, str]


@dataclass(frozen=True)
class ComparisonExplained:
    name: str
    value1: object
    value2: object
    level: str | None
    """Level name, None when a value is missing (the comparison then adds nothing)."""
    weight: float
    """Bits added to the match weight (term-frequency adjusted where the model does)."""


@dataclass(frozen=True)
class Explanation:
    record1: Record
    record2: Record
    amperity_id1: str | None
    amperity_id2: str | None
    comparisons: tuple[ComparisonExplained, ...]
    prior: float
    match_weight: float
    model_score: float
    rule: str | None
    """What decided the score (an override or rule name); None when the model did."""
    score: float
    category: str
    blocked_by: tuple[str, ...]
    """Strategies whose blocking key the two records share (empty: never compared directly)."""
    run_score: float | None
    """The score the run stored for the pair, when the pair is in Unified Scores."""
    path: tuple[tuple[Record, float], ...] | None
    """Records from record1 to record2 inside their cluster, each with the score of the edge
    that leads to the next; None when they are in different clusters."""
    same_component: bool

    @property
    def same_cluster(self) -> bool:
        return self.amperity_id1 is not None and self.amperity_id1 == self.amperity_id2

    def __str__(self) -> str:
        def name(record: Record) -> str:
            return f"{record[0]}:{record[1]}"

        lines = [f"{name(self.record1)} vs {name(self.record2)}"]
        lines.append(
            "same Amperity ID " + str(self.amperity_id1)
            if self.same_cluster
            else f"different Amperity IDs ({self.amperity_id1} / {self.amperity_id2})"
            + (", same component: split by a conflict" if self.same_component else "")
        )
        lines.append(f"blocked by: {', '.join(self.blocked_by) or 'no shared blocking key'}")
        lines.append(f"  {'prior':<12} {self.prior:+7.2f} bits")
        for c in self.comparisons:
            level = c.level or "-"
            lines.append(f"  {c.name:<12} {c.weight:+7.2f} bits  {level:<12} {c.value1!s} | {c.value2!s}")
        lines.append(f"match weight {self.match_weight:+.2f} bits -> model score {self.model_score:.2f}")
        decided = f"rule {self.rule}" if self.rule else "the model"
        lines.append(f"score {self.score:.2f} ({self.category}), decided by {decided}")
        if self.run_score is not None and abs(self.run_score - self.score) > 1e-9:
            lines.append(f"the run stored {self.run_score:.2f} for this pair (a Stitch label decided it)")
        if self.path:
            hops = " -> ".join(f"{name(r)} ({s:.2f})" if i < len(self.path) - 1 else name(r) for i, (r, s) in enumerate(self.path))
            lines.append(f"path: {hops}")
        return "\n".join(lines)


def explain(result_or_dir: StitchResult | str | Path, record1: Record, record2: Record) -> Explanation:
    """Explain the pair (datasource, pk) x (datasource, pk) of a run (a result or its saved folder)."""
    if isinstance(result_or_dir, StitchResult):
        tables, settings = result_or_dir.tables(), result_or_dir.settings
    else:
        tables, settings = load_tables(result_or_dir)
    if not isinstance(settings, StitchSettings) or "model" not in tables or "unified_preprocessed_raw" not in tables:
        raise StitchInputError("explain needs a probabilistic Stitch run (its model, settings and preprocessed records)")
    model = Model.from_table(tables["model"])
    con = duckdb.connect()
    try:
        return _explain(con, tables, settings, model, record1, record2)
    finally:
        con.close()


def _explain(con, tables: dict[str, pa.Table], settings: StitchSettings, model: Model, record1: Record, record2: Record):
    con.register("raw", tables["unified_preprocessed_raw"])
    rows = {}
    for rid, (ds, pk) in enumerate((record1, record2)):
        found = con.execute("SELECT * FROM raw WHERE datasource = ? AND pk = ?", [ds, pk]).to_arrow_table()
        if found.num_rows == 0:
            raise StitchInputError(f"no record {ds}:{pk} in this Stitch run")
        rows[rid] = found.append_column("rid", pa.array([rid], pa.int64()))
    con.register("matching", pa.concat_tables([rows[0], rows[1]]))
    shared = _shared_strategies(con, tables.get("blocking_keys"), record1, record2)
    fk_equal = _fk_equal(rows[0], rows[1])
    bits = sum(strategy_bit(s) for s in shared) | (strategy_bit("fk") if fk_equal else 0)
    con.register("pair", pa.table({"l": [0], "r": [1], "blocked_by": [bits]}))
    con.register("nicknames", nickname_table(settings.nickname_changes))
    sk_columns = tuple(c for c in rows[0].column_names if c.startswith("sk_"))
    levels = levels_query("pair", "matching", "nicknames", None, fk_bit=strategy_bit("fk"), sk_columns=sk_columns, settings=settings)
    con.execute(render(fill("CREATE TEMP TABLE levels AS $q", q=levels)))
    tfs = {name: column(name) for name in TF_COLUMNS}
    weights = [level_weight(model, c, column(level_column(c.name)), tfs).as_(f"w_{c.name}") for c in COMPARISONS]
    con.execute(render(fill("CREATE TEMP TABLE scored AS $q", q=scores_query("levels", model, settings))))
    query = fill(
        """
        SELECT l.*, $weights, s.match_weight, s.score, s.rule, $model_score AS model_score
        FROM (SELECT *, match_weight AS w FROM scored) AS s, levels AS l
        """,
        weights=weights,
        model_score=_on(model_score(weak_cap=settings.cap_weak_without_unique), "l", keep={"w": "s"}),
    )
    row = con.execute(render(query)).fetchone()
    names = [d[0] for d in con.description]
    result = dict(zip(names, row, strict=True))
    comparisons = tuple(
        ComparisonExplained(
            name=c.name,
            value1=_shown(rows[0], c.name),
            value2=_shown(rows[1], c.name),
            level=None if result[level_column(c.name)] is None else c.levels[result[level_column(c.name)]],
            weight=float(result[f"w_{c.name}"]),
        )
        for c in COMPARISONS
    )
    ids = {rid: rows[rid].column("amperity_id")[0].as_py() for rid in (0, 1)}
    components = {rid: rows[rid].column("component_id")[0].as_py() for rid in (0, 1)}
    scores = tables.get("unified_scores")
    score = float(result["score"])
    return Explanation(
        record1=record1,
        record2=record2,
        amperity_id1=ids[0],
        amperity_id2=ids[1],
        comparisons=comparisons,
        prior=model.prior,
        match_weight=float(result["match_weight"]),
        model_score=float(result["model_score"]),
        rule=result["rule"],
        score=score,
        category=CATEGORY_NAMES[min(5, int(score))],
        blocked_by=tuple(shared) + (("fk",) if fk_equal and "fk" not in shared else ()),
        run_score=_run_score(scores, record1, record2),
        path=_path(scores, ids[0], record1, record2, settings.threshold) if ids[0] == ids[1] else None,
        same_component=components[0] == components[1],
    )


def _on(expression: exp.Expression, alias: str, keep: dict[str, str]) -> exp.Expression:
    """`expression` with every unqualified column read from `alias` (or from keep[column])."""
    copy = expression.copy()
    for col in copy.find_all(exp.Column):
        if not col.table:
            col.set("table", exp.to_identifier(keep.get(col.name, alias)))
    return copy


SHOWN = {"address": "address_key"}


def _shown(row: pa.Table, comparison: str) -> object:
    name = SHOWN.get(comparison, comparison)
    return row.column(name)[0].as_py() if name in row.column_names else None


def _fk_equal(a: pa.Table, b: pa.Table) -> bool:
    keys = [c for c in a.column_names if c.startswith("fk_") or c == "loyalty_id"]
    return any(a.column(k)[0].as_py() is not None and a.column(k)[0].as_py() == b.column(k)[0].as_py() for k in keys)


def _shared_strategies(con, keys: pa.Table | None, record1: Record, record2: Record) -> list[str]:
    if keys is None:
        return []
    con.register("keys", keys)
    rows = con.execute(
        """
        SELECT DISTINCT a.strategy FROM keys a JOIN keys b ON a.strategy = b.strategy AND a.bk = b.bk
        WHERE a.datasource = ? AND a.pk = ? AND b.datasource = ? AND b.pk = ? AND NOT a.is_oversized
        """,
        [*record1, *record2],
    ).fetchall()
    return sorted((r[0] for r in rows), key=STRATEGIES.index)


def _run_score(scores: pa.Table | None, record1: Record, record2: Record) -> float | None:
    if scores is None:
        return None
    con = duckdb.connect()
    try:
        con.register("scores", scores)
        row = con.execute(
            """
            SELECT MAX(score) FROM scores
            WHERE (source1, pk1, source2, pk2) IN ((?, ?, ?, ?), (?, ?, ?, ?))
            """,
            [*record1, *record2, *record2, *record1],
        ).fetchone()
    finally:
        con.close()
    return None if row[0] is None else float(row[0])


def _path(scores: pa.Table | None, amperity_id: str, start: Record, goal: Record, threshold: int):
    """Strongest-first BFS over the cluster's kept edges (and trivial duplicates)."""
    if scores is None:
        return None
    con = duckdb.connect()
    try:
        con.register("scores", scores)
        edges = con.execute(
            "SELECT source1, pk1, source2, pk2, score FROM scores WHERE amperity_id = ? AND score >= ? ORDER BY score DESC",
            [amperity_id, float(threshold)],
        ).fetchall()
    finally:
        con.close()
    graph: dict[Record, list[tuple[Record, float]]] = {}
    for s1, p1, s2, p2, score in edges:
        graph.setdefault((s1, p1), []).append(((s2, p2), score))
        graph.setdefault((s2, p2), []).append(((s1, p1), score))
    previous: dict[Record, tuple[Record, float] | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for nxt, score in graph.get(node, []):
            if nxt not in previous:
                previous[nxt] = (node, score)
                queue.append(nxt)
    if goal not in previous:
        return None
    nodes, edge_scores = [goal], []
    while previous[nodes[-1]] is not None:
        parent, score = previous[nodes[-1]]
        nodes.append(parent)
        edge_scores.append(score)
    nodes.reverse()
    edge_scores.reverse()
    # Each record with the score of the edge to the next one (0.0 for the last).
    return tuple((node, edge_scores[i] if i < len(edge_scores) else 0.0) for i, node in enumerate(nodes))
