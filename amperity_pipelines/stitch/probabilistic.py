"""Probabilistic Stitch: records in, stable Amperity IDs and the Stitch tables out.

The run (each stage timed in `stats.stage_seconds`), all in SQL on the backend (DuckDB, or Spark
through `stitch.backends`) except where numpy says so:
1. preprocess: type the input, normalise every PII column, drop built-in bad values;
2. bad_values: detect values shared by too many people, add the blocklist, void them;
3. duplicates: collapse records with identical preprocessed PII onto one representative;
4. blocking: blocking keys per strategy, candidate pairs, oversized blocks reported;
5. model: u from value counts and random pairs, m by EM over the candidate pairs (numpy);
6. scoring: levels, overrides, rules and the 0-5 score of every candidate pair;
7. clustering: components of the kept edges (numpy union-find), split where values conflict,
   clusters over the supersized threshold split along their weakest links;
8. ids: Amperity IDs carried over from `previous`, new ones hashed from the smallest record;
9. output: Unified Coalesced, Scores, Preprocessed Raw, Blocking Keys, changes.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amperity_pipelines.engines.sql_templates import fill, strings, table, union_all
from amperity_pipelines.stitch import blocking, conflicts, duplicates, outputs, preprocess, scoring, unparseable
from amperity_pipelines.stitch.backends import as_backend
from amperity_pipelines.stitch.bad_values import (
    bad_values_query,
    blocklist_query,
    check_blocklist,
    flagged_query,
    flags_query,
    unknown_semantics_query,
)
from amperity_pipelines.stitch.clustering import cap_clusters, split_components
from amperity_pipelines.stitch.coalesced import InputColumns, output_query
from amperity_pipelines.stitch.comparisons import COMPARISONS, TF_COLUMNS
from amperity_pipelines.stitch.components import connected_components
from amperity_pipelines.stitch.deterministic import CHANGES_SCHEMA, _check_keys, _utc_naive
from amperity_pipelines.stitch.exceptions import StitchInputError
from amperity_pipelines.stitch.inputs import labels_query, previous_ids_query, unsettled_pairs_query
from amperity_pipelines.stitch.model import (
    Model,
    Patterns,
    comparable_pairs,
    fit,
    free_strategies_mask,
    frequency_query,
    u_probabilities,
)
from amperity_pipelines.stitch.reference import known_names_table, nickname_table
from amperity_pipelines.stitch.result import StitchResult, StitchStats, bucket_counts
from amperity_pipelines.stitch.scratch import Scratch
from amperity_pipelines.stitch.settings import StitchSettings
from amperity_pipelines.stitch.stable_ids import (
    assign_previous_ids,
    changes_query,
    cluster_ids,
    previous_query,
    seed_ids_query,
)

FORCED_RULES = (scoring.FK_OVERRIDE, scoring.LABEL_TOGETHER)
TRANSITIVE_LARGEST = 20
"""Clusters up to this size get their transitive pairs scored (Stitch QA's 11-20 bucket)."""


def _sorted(data: pa.Table, first: tuple[str, ...] = ()) -> pa.Table:
    """`data` ordered by the columns `first`, then by every other column: a total order on its values."""
    keys = [*first, *(name for name in data.column_names if name not in first)]
    return data.take(pc.sort_indices(data, [(name, "ascending", "at_end") for name in keys]))


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + now - self._last, 3)
        self._last = now


def stitch_records(
    engine: object,
    records: str,
    *,
    previous: pa.Table | str | None = None,
    settings: StitchSettings = StitchSettings(),  # noqa: B008 - immutable value object
    labels: pa.Table | str | None = None,
    blocklist: pa.Table | str | None = None,
    job_id: str | None = None,
    run_timestamp: datetime | None = None,
) -> StitchResult:
    """Stitch the table or view `records` on `engine` (input contract: see the package docstring).

    engine: a DuckDB connection, or a backend (`stitch.backends`: DuckDBBackend, SparkBackend)
    on which `records` is a table or view. previous: the Unified Coalesced of the last run
    (Arrow or a table name on the engine): IDs carry
    over and the changes are listed; an incremental run needs it. labels: Stitch labels (label_id,
    partition_id, datasource, pk). blocklist: bad values (datasource, semantic, value[,
    is_preprocessed]); datasource '*' means every source. Raises StitchInputError before any
    work when the input breaks the contract.
    """
    if settings.run_type == "incremental" and previous is None:
        raise StitchInputError("an incremental run needs the previous run's Unified Coalesced (previous=...)")
    timer = _Timer()
    backend = as_backend(engine)
    columns = InputColumns.of(backend.columns(records))
    stamp = _utc_naive(run_timestamp or datetime.now(UTC))
    with Scratch(backend, prefix="pstitch") as s:
        run = _Run(s, columns, settings, timer)
        run.prepare(records, previous, labels, blocklist)
        if settings.run_type == "one-to-one":
            run.one_to_one()
        else:
            run.match()
        return run.finish(records, job_id, stamp)


class _Run:
    """The scratch tables and figures of one run, stage by stage."""

    def __init__(self, scratch: Scratch, columns: InputColumns, settings: StitchSettings, timer: _Timer) -> None:
        self.s, self.columns, self.settings, self.timer = scratch, columns, settings, timer
        self.key_columns = columns.fk_columns + columns.sk_columns
        self.labels = self.previous = self.previous_ids = None
        self.scores = self.keys = self.sizes = None
        self.oversized = None
        self.model: Model | None = None
        self.figures: dict[str, int] = {}
        self.unparseable: dict[str, unparseable.Unparseable] = {}

    # -- 1-3 ------------------------------------------------------------------------------------

    def prepare(self, records: str, previous, labels, blocklist) -> None:
        s, settings = self.s, self.settings
        self.typed = s.create("typed", preprocess.typed_query(records, self.columns))
        self.n = s.scalar(fill("SELECT COUNT(*) FROM $t", t=table(self.typed)))
        if self.n == 0:
            raise StitchInputError("Stitch received no records")
        _check_keys(s, self.typed)
        self.unparseable = unparseable.check(s, records, self.columns, self.n, settings.error_threshold)
        blocklist_source = self._blocklist(blocklist)
        if labels is not None:
            source = labels if isinstance(labels, str) else s.register("labels_input", labels)
            self.labels = s.create("labels", labels_query(source, self.typed, s.columns(source)))
        if previous is not None:
            source = previous if isinstance(previous, str) else s.register("previous_input", previous)
            self.previous = s.create("previous", previous_query(source))
            if settings.run_type == "incremental":
                self.previous_ids = s.create("previous_ids", previous_ids_query(self.typed, self.previous))

        self.maps = s.create("maps", preprocess.maps_query())
        lists = preprocess.normalised_bad_values(s.backend, allow_business_email=settings.allow_business_email)
        cleaned = s.create("cleaned", preprocess.cleaned_query(self.typed, self.maps, self.columns, lists))
        base = s.create("base", fill("SELECT rid, datasource, pk FROM $t", t=table(self.typed)))
        s.drop(self.typed)  # the wide raw values are read again, once, for Unified Coalesced
        self.typed = base
        self.pre = s.create("pre", preprocess.preprocessed_query(cleaned, self.maps, self.columns, lists))
        s.drop(cleaned)
        self.timer.lap("preprocess")

        blq = None
        if blocklist_source is not None:
            blq = blocklist_query(blocklist_source[0], self.maps, preprocessed_flag=blocklist_source[1])
        self.bad = s.create("bad_values", bad_values_query(self.pre, settings.bad_value_rules, blq))
        flags = s.create("bad_flags", flags_query(self.bad))
        self.flagged = s.create("flagged", flagged_query(self.pre, flags, self.key_columns))
        s.drop(self.pre)
        self.timer.lap("bad_values")

    def _blocklist(self, blocklist) -> tuple[str, bool] | None:
        if blocklist is None:
            return None
        source = blocklist if isinstance(blocklist, str) else self.s.register("blocklist_input", blocklist)
        flag = check_blocklist(self.s.columns(source))
        unknown = [row[0] for row in self.s.rows(unknown_semantics_query(source))]
        if unknown:
            raise StitchInputError(
                f"blocklist semantic(s) {', '.join(map(repr, unknown))} unknown: expected given_name, surname, email, "
                "phone or address"
            )
        return source, flag

    # -- 4-7 ------------------------------------------------------------------------------------

    def match(self) -> None:
        s, settings = self.s, self.settings
        self.reps = s.create(
            "reps",
            duplicates.reps_query(
                self.flagged,
                sk_columns=self.columns.sk_columns,
                enabled=settings.trivial_duplicates,
                labelled=self.labels,
                previous_ids=self.previous_ids,
            ),
        )
        self.known_names = s.register("known_names", known_names_table())
        tfs = {name: s.create(name, duplicates.tf_query(self.flagged, self.reps, name)) for name in TF_COLUMNS}
        self.matching = s.create("matching", duplicates.matching_query(self.flagged, self.reps, self.known_names, tfs))
        for tf_table in tfs.values():
            s.drop(tf_table)
        self.n_reps = s.scalar(fill("SELECT COUNT(*) FROM $m", m=table(self.matching)))
        self.figures["trivial_duplicates"] = self.n - self.n_reps
        self.timer.lap("duplicates")

        pairs = self._block()
        self.timer.lap("blocking")
        self.nicknames = s.register("nicknames", nickname_table(settings.nickname_changes))
        levels = s.create(
            "levels",
            scoring.levels_query(
                pairs,
                self.matching,
                self.nicknames,
                self.label_pairs,
                fk_bit=blocking.strategy_bit("fk"),
                sk_columns=self.columns.sk_columns,
                settings=settings,
            ),
        )
        self.timer.lap("scoring")
        self.model = self._fit(levels)
        self.timer.lap("model")
        self.scores = s.create("scores", scoring.scores_query(levels, self.model, settings))
        s.drop(levels)
        s.drop(pairs)
        self.figures["pairs_scored"] = s.scalar(fill("SELECT COUNT(*) FROM $t", t=table(self.scores)))
        self.timer.lap("scoring")
        self._cluster()
        self.timer.lap("clustering")

    def _block(self) -> str:
        s, settings = self.s, self.settings
        fk_values = s.create(
            "fk_values", blocking.fk_values_query(self.flagged, self.reps, self.columns.fk_columns)
        )
        self.fk_values = fk_values
        self.keys = s.create("keys", blocking.keys_query(self.matching, settings.strategies, fk_values))
        self.sizes = s.create("block_sizes", blocking.block_sizes_query(self.keys))
        self.oversized = s.arrow(blocking.oversized_query(self.sizes, settings.block_size_cap))
        pairs = s.create("pairs", blocking.pairs_query(self.keys, self.sizes, settings.block_size_cap))
        self.label_pairs = None
        if self.labels is not None:
            self.rep_labels = self._rep_labels()
            self.label_pairs = s.create("label_pairs", blocking.label_pairs_query(self.rep_labels))
            pairs = s.create("pairs_labelled", blocking.with_label_pairs_query(pairs, self.label_pairs))
        if self.previous_ids is not None:  # incremental: pairs of two known records are settled
            open_pairs = s.create("pairs_open", unsettled_pairs_query(pairs, self.previous_ids))
            s.drop(pairs)
            pairs = open_pairs
        return pairs

    def _rep_labels(self) -> str:
        return self.s.create(
            "rep_labels",
            fill(
                "SELECT DISTINCT d.rep AS rid, l.label_id, l.partition_id FROM $lab AS l JOIN $d AS d ON d.rid = l.rid",
                lab=table(self.labels),
                d=table(self.reps),
            ),
        )

    def _fit(self, levels: str) -> Model:
        s, settings = self.s, self.settings
        sampled = self._sampled_levels()
        u = u_probabilities(self._shared_values(), sampled)
        # Rows arrive in the engine's order; sorted, EM sums its floats in the same order every run.
        data = _sorted(s.arrow(scoring.patterns_query(levels)))
        patterns = Patterns(
            levels=np.stack([data.column(scoring.level_column(c.name)).to_numpy() for c in COMPARISONS], axis=1).astype(np.int64)
            if data.num_rows
            else np.zeros((0, len(COMPARISONS)), np.int64),
            blocked_by=data.column("blocked_by").to_numpy().astype(np.int64),
            counts=data.column("n").to_numpy().astype(np.float64),
        )
        masks = {
            c.name: free_strategies_mask(c.name, settings.strategies, blocking.STRATEGY_FIELDS, blocking.strategy_bit)
            for c in COMPARISONS
        }
        return fit(
            patterns,
            u,
            masks,
            candidate_pairs=int(patterns.counts.sum()),
            records=self.n_reps,
            iterations=settings.em_iterations,
            tf_adjusted=settings.tf_adjusted,
            comparable=comparable_pairs(sampled, self.n_reps, settings.u_sample_pairs),
        )

    def _shared_values(self) -> dict[str, dict[int, float]]:
        """Comparison -> level -> chance that two random representatives share the level's value.

        One query for all of them: on Spark every query costs a job, whatever its size.
        """
        parts = [
            fill(
                "SELECT $name AS comparison, $level AS level, u FROM ($q)",
                name=c.name,
                level=level,
                q=frequency_query(self.matching, value("a")),
            )
            for c in COMPARISONS
            for level, value in c.frequency.items()
        ]
        shared: dict[str, dict[int, float]] = {c.name: {} for c in COMPARISONS}
        for name, level, u in self.s.rows(union_all(parts)):
            shared[name][level] = float(u)
        return shared

    def _sampled_levels(self) -> dict[str, np.ndarray]:
        """Level counts per comparison over random pairs of representatives."""
        s = self.s
        rids = s.arrow(fill("SELECT rid FROM $m ORDER BY rid", m=table(self.matching))).column("rid").to_numpy()
        if len(rids) < 2:
            return {}
        rng = np.random.default_rng(self.settings.seed)
        count = int(min(self.settings.u_sample_pairs, len(rids) * (len(rids) - 1) // 2))
        left, right = rng.integers(0, len(rids), count), rng.integers(0, len(rids) - 1, count)
        right = np.where(right >= left, right + 1, right)  # uniform over the other records
        registered = s.register(
            "u_sample", pa.table({"l": rids[left], "r": rids[right], "blocked_by": np.zeros(count, np.int64)})
        )
        # A stored table: DuckDB scores pairs read from registered Arrow about half as fast.
        sample = s.create("u_pairs", fill("SELECT * FROM $t", t=table(registered)))
        s.drop(registered)
        levels = s.create(
            "u_levels",
            scoring.levels_query(
                sample, self.matching, self.nicknames, None, fk_bit=0, sk_columns=(), settings=StitchSettings(rules=())
            ),
        )
        out: dict[str, np.ndarray] = {c.name: np.zeros(len(c.levels)) for c in COMPARISONS}
        for comparison, level, n in s.rows(scoring.sampled_levels_query(levels)):
            out[comparison][level] = n
        s.drop(levels)
        return out

    def _cluster(self) -> None:
        s, settings = self.s, self.settings
        edges = s.arrow(
            fill(
                "SELECT l, r, score, COALESCE(rule IN $forced, FALSE) AS forced FROM $t WHERE score >= $th",
                forced=strings(FORCED_RULES),
                t=table(self.scores),
                th=float(settings.threshold),
            )
        )
        left, right = edges.column("l").to_numpy(), edges.column("r").to_numpy()
        score, force = edges.column("score").to_numpy(), edges.column("forced").to_numpy(zero_copy_only=False)
        self.figures["pairs_kept"] = len(left)
        if self.previous_ids is not None:  # known records stay with their previous cluster
            stars = s.arrow(
                fill(
                    """
                    SELECT rid, root FROM (
                      SELECT p.rid, MIN(p.rid) OVER (PARTITION BY p.amperity_id) AS root
                      FROM $prev AS p WHERE p.rid IN (SELECT rid FROM $m)
                    ) WHERE rid <> root
                    """,
                    prev=table(self.previous_ids),
                    m=table(self.matching),
                )
            )
            left = np.concatenate([left, stars.column("root").to_numpy()])
            right = np.concatenate([right, stars.column("rid").to_numpy()])
            score = np.concatenate([score, np.full(stars.num_rows, 5.0)])
            force = np.concatenate([force, np.ones(stars.num_rows, bool)])
        components = connected_components(self.n, left, right)
        sizes = np.bincount(components, minlength=self.n)
        comp_table = s.register(
            "components", pa.table({"rid": np.arange(self.n, dtype=np.int64), "component": components, "size": sizes[components]})
        )
        semantics = self._conflict_semantics()
        values = s.create("conflict_values", conflicts.values_query(semantics))
        per_component = s.create("component_values", conflicts.component_values_query(values, comp_table))
        pairs = s.create("conflict_pairs", conflicts.pairs_query(per_component, self.nicknames, self.known_names, semantics))
        to_split = s.arrow(fill("SELECT DISTINCT component FROM $p", p=table(pairs))).column("component").to_numpy()
        self.figures["split_components"] = len(to_split)
        data = conflicts.intern(
            s.arrow(conflicts.split_values_query(values, comp_table, pairs)), s.arrow(fill("SELECT * FROM $p", p=table(pairs))), semantics
        )
        labels = split_components(self.n, components, to_split, left, right, score, force.astype(bool), data)
        for name in (values, per_component, pairs):
            s.drop(name)
        rep = s.arrow(fill("SELECT rid, rep FROM $d ORDER BY rid", d=table(self.reps))).column("rep").to_numpy()
        labels, self.figures["supersized_split"] = cap_clusters(
            labels, np.bincount(rep, minlength=self.n), left, right, score, force.astype(bool), settings.supersized_threshold
        )
        self.labels_final = labels[rep]  # duplicates follow their representative
        self.components = components[rep]

    def _conflict_semantics(self) -> list[conflicts.ConflictSemantic]:
        semantics = [
            conflicts.rule_semantic(i, rule, self.matching)
            for i, rule in enumerate(self.settings.rules)
            if rule.action == "separate"
        ]
        semantics += [conflicts.different_values(sk, self.matching, sk, hard=False) for sk in self.columns.sk_columns]
        if self.labels is not None:
            rep_labels = self.s.create(
                "label_values",
                fill(
                    "SELECT rid, label_id || $sep || partition_id AS label FROM $l",
                    sep=conflicts.LABEL_SEPARATOR,
                    l=table(self.rep_labels),
                ),
            )
            semantics.append(conflicts.label_semantic(rep_labels))
        if self.previous_ids is not None:
            semantics.append(conflicts.different_values("previous", self.previous_ids, "amperity_id", hard=True))
        return semantics

    def one_to_one(self) -> None:
        """One Amperity ID per ck value; records without a ck stand alone."""
        ck = self.s.arrow(
            fill(
                "SELECT rid, CASE WHEN ck IS NULL THEN rid ELSE MIN(rid) OVER (PARTITION BY ck) END AS label FROM $f ORDER BY rid",
                f=table(self.flagged),
            )
        )
        self.labels_final = ck.column("label").to_numpy()
        self.components = self.labels_final
        self.reps = self.s.create("reps", fill("SELECT rid, rid AS rep FROM $f", f=table(self.flagged)))
        self.timer.lap("clustering")

    # -- 8-9 ------------------------------------------------------------------------------------

    def finish(self, records: str, job_id: str | None, stamp: datetime) -> StitchResult:
        s, settings = self.s, self.settings
        n, labels = self.n, self.labels_final
        sizes = np.bincount(labels, minlength=n)
        clusters = s.register(
            "clusters",
            pa.table(
                {
                    "rid": np.arange(n, dtype=np.int64),
                    "label": labels,
                    "cluster_size": sizes[labels],
                    "component": self.components,
                }
            ),
        )
        seeds = s.create("seeds", seed_ids_query(self.typed, clusters, settings.id_seed))
        component_clusters = s.register(
            "component_clusters", pa.table({"rid": np.arange(n, dtype=np.int64), "label": self.components})
        )
        component_seeds = s.create("component_seeds", seed_ids_query(self.typed, component_clusters, settings.id_seed))
        component_ids = s.create("component_ids", outputs.component_ids_query(component_seeds))
        kept = None
        if self.previous is not None:
            kept = assign_previous_ids(s, self.typed, clusters, seeds, self.previous)
        ids = cluster_ids(s, seeds, kept, self.previous, settings.id_seed)
        self.timer.lap("ids")

        assignment = s.create(
            "assignment",
            outputs.assignment_query(self.typed, self.flagged, clusters, ids, component_ids, settings.supersized_threshold),
        )
        # Largest outputs first, each scratch table dropped as soon as nothing else reads it.
        keys = unified_scores = None
        if self.scores is not None:
            keys = s.fetch(
                blocking.blocking_keys_output_query(self.keys, self.reps, self.typed, self.sizes, settings.block_size_cap)
            )
            s.drop(self.keys)
            raw = s.fetch(
                outputs.preprocessed_raw_query(self.flagged, self.matching, self.reps, self.typed, assignment, self.key_columns)
            )
            transitive = self._transitive_scores(clusters)
            s.drop(self.matching)
            unified_scores = s.fetch(
                outputs.unified_scores_query(self.scores, self.typed, clusters, ids, self.reps, transitive)
            ).cast(outputs.SCORES_SCHEMA)
            s.drop(transitive)
            s.drop(self.scores)
        else:  # one-to-one: no matching, so no scores, keys or TFs
            raw = s.fetch(outputs.one_to_one_raw_query(self.flagged, assignment, self.key_columns))
        s.drop(self.flagged)
        unified = s.fetch(output_query(records, assignment, self.columns, outputs.BLV_COLUMNS))
        changes, changes_clusters = CHANGES_SCHEMA.empty_table(), outputs.CHANGES_CLUSTERS_SCHEMA.empty_table()
        if self.previous is not None:
            current = s.register("current", unified)
            changes = s.arrow(changes_query(current, self.previous, job_id=job_id, timestamp=stamp)).cast(CHANGES_SCHEMA)
            changes_clusters = s.arrow(
                outputs.changes_clusters_query(current, self.previous, job_id=job_id, timestamp=stamp)
            ).cast(outputs.CHANGES_CLUSTERS_SCHEMA)
        bad_values = _sorted(s.arrow(fill("SELECT * FROM $b", b=table(self.bad))), ("semantic", "value", "datasource"))
        self.timer.lap("output")
        return StitchResult(
            unified_coalesced=unified,
            unified_changes_pks=changes,
            bad_values=bad_values,
            stats=self._stats(sizes, bad_values.num_rows),
            unified_scores=unified_scores if unified_scores is not None else outputs.SCORES_SCHEMA.empty_table(),
            unified_preprocessed_raw=raw,
            blocking_keys=keys,
            unified_changes_clusters=changes_clusters,
            oversized_blocks=self.oversized,
            model=self.model.table() if self.model is not None else None,
            settings=settings,
        )

    def _transitive_scores(self, clusters: str) -> str:
        """Scores of representatives that share a cluster without having shared a block."""
        s = self.s
        pairs = s.create("transitive_pairs", outputs.transitive_pairs_query(self.scores, clusters, self.reps, TRANSITIVE_LARGEST))
        levels = s.create(
            "transitive_levels",
            scoring.levels_query(
                pairs,
                self.matching,
                self.nicknames,
                self.label_pairs,
                fk_bit=blocking.strategy_bit("fk"),
                sk_columns=self.columns.sk_columns,
                settings=self.settings,
            ),
        )
        s.drop(pairs)
        scores = s.create("transitive_scores", scoring.scores_query(levels, self.model, self.settings))
        s.drop(levels)
        return scores

    def _stats(self, sizes: np.ndarray, bad_values: int) -> StitchStats:
        cluster_sizes = sizes[sizes > 0]
        oversized = self.oversized
        return StitchStats(
            records=self.n,
            amperity_ids=int(cluster_sizes.size),
            cluster_sizes=bucket_counts(cluster_sizes),
            supersized_clusters=int((cluster_sizes > self.settings.supersized_threshold).sum()),
            bad_values=bad_values,
            pairs_scored=self.figures.get("pairs_scored"),
            pairs_kept=self.figures.get("pairs_kept"),
            trivial_duplicates=self.figures.get("trivial_duplicates"),
            oversized_blocks=None if oversized is None else oversized.num_rows,
            pairs_skipped=None if oversized is None else int(sum(oversized.column("pairs_skipped").to_pylist())),
            split_components=self.figures.get("split_components"),
            largest_cluster=int(cluster_sizes.max()),
            supersized_split=self.figures.get("supersized_split"),
            unparseable_values={name: u.as_dict() for name, u in self.unparseable.items()},
            stage_seconds=dict(self.timer.seconds),
        )
