"""Amperity IDs that survive from one Stitch run to the next, and the per-record change log.

A cluster of this run inherits the ID of a previous cluster it shares records with. Candidate
pairs (new cluster, old ID) are weighted by the number of shared (datasource, pk) and ranked by
weight desc, old ID asc, cluster asc; the greedy one-to-one assignment over that order is computed
in rounds of SQL: a pair ranked first among the pairs of its cluster *and* among the pairs of its
old ID is exactly a pair the greedy pass takes, so each round keeps those pairs and removes every
pair touching their ends. Clusters left over get a fresh ID.
"""

from __future__ import annotations

from datetime import datetime

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import fill, table, union_all
from amperity_pipelines.stitch.scratch import Scratch


def uuid_text(hex32: exp.Expression) -> exp.Expression:
    """Format 32 hex digits as a version-4, RFC 4122 variant UUID string."""
    return fill(
        """
        SUBSTR($h, 1, 8) || '-' || SUBSTR($h, 9, 4) || '-4' || SUBSTR($h, 14, 3) || '-'
        || SUBSTR('89ab', (STRPOS('0123456789abcdef', SUBSTR($h, 17, 1)) - 1) % 4 + 1, 1)
        || SUBSTR($h, 18, 3) || '-' || SUBSTR($h, 21, 12)
        """,
        h=hex32,
    )


def record_hash(seed: str, datasource: exp.Expression, pk: exp.Expression) -> exp.Expression:
    """md5 hex of seed, datasource and pk; datasource and pk are never NULL."""
    return fill("MD5(CONCAT_WS(CHR(31), $seed, $ds, $pk))", seed=seed, ds=datasource, pk=pk)


def seed_ids_query(base: str, clusters: str, seed: str) -> exp.Expression:
    """One row per cluster: its smallest (datasource, pk) and the ID hashed from it.

    The smallest record, not the cluster label, names the cluster: labels are row numbers of
    this run only, while (datasource, pk) means the same record in every run.
    """
    smallest = fill(
        """
        SELECT c.label, MIN({'datasource': b.datasource, 'pk': b.pk}) AS rep
        FROM $clusters AS c JOIN $base AS b ON b.rid = c.rid
        GROUP BY c.label
        """,
        clusters=table(clusters),
        base=table(base),
    )
    hashed = fill(
        "SELECT label, rep.datasource AS datasource, rep.pk AS pk, $hash AS h FROM ($q)",
        hash=record_hash(seed, exp.column("datasource", "rep"), exp.column("pk", "rep")),
        q=smallest,
    )
    return fill("SELECT label, datasource, pk, $id AS seed_id FROM ($q)", id=uuid_text(exp.column("h")), q=hashed)


def overlap_query(base: str, clusters: str, seeds: str, previous: str) -> exp.Expression:
    """(cluster, old ID, records they share), ranked in the order of the greedy assignment.

    Ties on weight go to the smaller old ID, then to the cluster with the smaller (datasource, pk).
    """
    return fill(
        """
        SELECT o.label, o.old_id,
               ROW_NUMBER() OVER (ORDER BY o.weight DESC, o.old_id, s.datasource, s.pk) AS rank
        FROM (
          SELECT c.label, p.amperity_id AS old_id, COUNT(*) AS weight
          FROM $previous AS p
          JOIN $base AS b ON b.datasource = p.datasource AND b.pk = p.pk
          JOIN $clusters AS c ON c.rid = b.rid
          GROUP BY c.label, p.amperity_id
        ) AS o
        JOIN $seeds AS s ON s.label = o.label
        """,
        previous=table(previous),
        base=table(base),
        clusters=table(clusters),
        seeds=table(seeds),
    )


def dominant_pairs_query(candidates: str) -> exp.Expression:
    """Pairs ranked first for both their cluster and their old ID."""
    return fill(
        """
        SELECT label, old_id FROM $c
        QUALIFY rank = MIN(rank) OVER (PARTITION BY label) AND rank = MIN(rank) OVER (PARTITION BY old_id)
        """,
        c=table(candidates),
    )


def assign_previous_ids(scratch: Scratch, base: str, clusters: str, seeds: str, previous: str) -> str:
    """Table (label, old_id) of clusters that keep a previous ID, one-to-one.

    Each round stores the pairs it keeps and the candidates left as new tables (no UPDATE or
    DELETE, which Spark's temporary views do not have); the rounds' picks are unioned at the end.
    """
    candidates = scratch.create("candidates_0", overlap_query(base, clusters, seeds, previous))
    picked: list[str] = []
    while scratch.scalar(fill("SELECT COUNT(*) FROM $c", c=table(candidates))):
        round_ = len(picked)
        kept = scratch.create(f"kept_{round_}", dominant_pairs_query(candidates))
        left = scratch.create(f"candidates_{round_ + 1}", remaining_pairs_query(candidates, kept))
        scratch.drop(candidates)
        candidates, picked = left, [*picked, kept]
    scratch.drop(candidates)
    parts = [fill("SELECT label, old_id FROM $k", k=table(k)) for k in picked]
    empty = fill("SELECT CAST(NULL AS BIGINT) AS label, CAST(NULL AS VARCHAR) AS old_id WHERE FALSE")
    kept_all = scratch.create("kept", union_all([empty, *parts]))
    for name in picked:
        scratch.drop(name)
    return kept_all


def remaining_pairs_query(candidates: str, kept: str) -> exp.Expression:
    """Candidate pairs touching neither a cluster nor an old ID that a kept pair took."""
    return fill(
        """
        SELECT c.* FROM $c AS c
        WHERE c.label NOT IN (SELECT label FROM $k) AND c.old_id NOT IN (SELECT old_id FROM $k)
        """,
        c=table(candidates),
        k=table(kept),
    )


def cluster_ids(scratch: Scratch, seeds: str, kept: str | None, previous: str | None, seed: str) -> str:
    """Table (label, amperity_id, component_id): inherited IDs, else the seed ID.

    A fresh ID that happens to equal an ID of the previous run (its smallest record once named a
    cluster that lives on under that ID) is re-hashed with a numbered salt until it is unused.
    """
    if kept is None:
        return scratch.create(
            "ids", fill("SELECT label, seed_id AS amperity_id, seed_id AS component_id FROM $s", s=table(seeds))
        )
    ids = scratch.create(
        "ids_0",
        fill(
            """
            SELECT s.label, s.datasource, s.pk, k.old_id IS NULL AS fresh,
                   COALESCE(k.old_id, s.seed_id) AS amperity_id, s.seed_id AS component_id
            FROM $s AS s LEFT JOIN $k AS k ON k.label = s.label
            """,
            s=table(seeds),
            k=table(kept),
        ),
    )
    clash = fill("fresh AND amperity_id IN (SELECT amperity_id FROM $p)", p=table(previous))
    attempt = 0
    while scratch.scalar(fill("SELECT COUNT(*) FROM $ids WHERE $clash", ids=table(ids), clash=clash)):
        attempt += 1
        salted = scratch.create(f"ids_{attempt}", rehashed_ids_query(ids, previous, f"{seed}#{attempt}"))
        scratch.drop(ids)
        ids = salted
    return ids


def rehashed_ids_query(ids: str, previous: str, salted_seed: str) -> exp.Expression:
    """`ids` with every fresh ID that a previous run used hashed again from `salted_seed`."""
    rehash = uuid_text(record_hash(salted_seed, exp.column("datasource", "i"), exp.column("pk", "i")))
    return fill(
        """
        SELECT i.label, i.datasource, i.pk, i.fresh,
               CASE WHEN i.fresh AND p.amperity_id IS NOT NULL THEN $rehash ELSE i.amperity_id END AS amperity_id,
               i.component_id
        FROM $ids AS i
        LEFT JOIN (SELECT DISTINCT amperity_id FROM $p) AS p ON p.amperity_id = i.amperity_id
        """,
        rehash=rehash,
        ids=table(ids),
        p=table(previous),
    )


def changes_query(current: str, previous: str, *, job_id: str | None, timestamp: datetime) -> exp.Expression:
    """Unified Changes PKS: records added, deleted or moved to another Amperity ID since `previous`."""
    return fill(
        """
        SELECT
          n.amperity_id,
          o.amperity_id AS amperity_id_prev,
          COALESCE(n.datasource, o.datasource) AS datasource,
          COALESCE(n.pk, o.pk) AS pk,
          CASE WHEN o.pk IS NULL THEN 'added' WHEN n.pk IS NULL THEN 'deleted' ELSE 'updated' END AS change_type,
          CAST($job AS VARCHAR) AS job_id,
          CAST($ts AS TIMESTAMP) AS timestamp
        FROM $current AS n
        FULL OUTER JOIN $previous AS o ON n.datasource = o.datasource AND n.pk = o.pk
        WHERE n.amperity_id IS DISTINCT FROM o.amperity_id
        ORDER BY datasource, pk
        """,
        job=job_id,
        ts=timestamp.isoformat(sep=" "),
        current=table(current),
        previous=table(previous),
    )


def previous_query(previous: str) -> exp.Expression:
    """The three columns of a previous Unified Coalesced that stable IDs need."""
    return fill(
        """
        SELECT CAST(amperity_id AS VARCHAR) AS amperity_id, CAST(datasource AS VARCHAR) AS datasource,
               CAST(pk AS VARCHAR) AS pk
        FROM $p
        """,
        p=table(previous),
    )
