"""The Stitch tables of a probabilistic run, as queries over the run's scratch tables.

Scratch tables they read: `typed` (rid, datasource, pk), `flagged` (preprocessed values with bad
values voided and blv_* flags), `reps` (rid, rep), `clusters` (rid, label, cluster_size,
component), `ids` (label, amperity_id) and `component_ids` (component, component_id).
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, table
from amperity_pipelines.stitch.comparisons import TF_COLUMNS
from amperity_pipelines.stitch.model import category_name
from amperity_pipelines.stitch.settings import BAD_VALUE_SEMANTICS

# blv_* columns of Unified Coalesced, in Amperity's (alphabetical) order.
BLV_COLUMNS: tuple[str, ...] = tuple(sorted(BAD_VALUE_SEMANTICS))
TRIVIAL_DUPLICATE, SCORED, SCORED_TRANSITIVE = "trivial_duplicate", "scored", "scored_transitive"
PREPROCESSED_COLUMNS: tuple[str, ...] = (
    "given_name", "surname", "generational_suffix", "title", "email", "phone", "address", "address2", "address_key",
    "po_box", "city", "state", "postal", "birthdate", "gender", "company", "loyalty_id", "ck",
)  # fmt: skip

CHANGES_CLUSTERS_SCHEMA = pa.schema(
    [("amperity_id", pa.string()), ("change_type", pa.string()), ("job_id", pa.string()), ("timestamp", pa.timestamp("us"))]
)
SCORES_SCHEMA = pa.schema(
    [
        ("amperity_id", pa.string()),
        ("source1", pa.string()),
        ("pk1", pa.string()),
        ("source2", pa.string()),
        ("pk2", pa.string()),
        ("score", pa.float64()),
        ("match_category", pa.string()),
        ("match_type", pa.string()),
    ]
)


def component_ids_query(seeds: str) -> exp.Expression:
    """(component, component_id): a component is named like a cluster, from its smallest record."""
    return fill("SELECT label AS component, seed_id AS component_id FROM $s", s=table(seeds))


def assignment_query(typed: str, flagged: str, clusters: str, ids: str, component_ids: str, supersized: int) -> exp.Expression:
    """Per record: Amperity ID, component ID, supersized flag and blv_* flags."""
    flags = [column(f"blv_{name}", "f").as_(f"blv_{name}") for name in BLV_COLUMNS]
    return fill(
        """
        SELECT t.datasource, t.pk, i.amperity_id, ci.component_id, c.cluster_size > $supersized AS is_supersized, $flags
        FROM $t AS t
        JOIN $c AS c ON c.rid = t.rid
        JOIN $ids AS i ON i.label = c.label
        JOIN $ci AS ci ON ci.component = c.component
        JOIN $f AS f ON f.rid = t.rid
        """,
        supersized=supersized,
        flags=flags,
        t=table(typed),
        c=table(clusters),
        ids=table(ids),
        ci=table(component_ids),
        f=table(flagged),
    )


def transitive_pairs_query(scores: str, clusters: str, reps: str, largest: int) -> exp.Expression:
    """(l, r, blocked_by) of representatives that share a cluster but were never compared.

    Such pairs met only through other records (Amperity's `scored_transitive`); scoring them
    shows the weakest links inside a cluster. Clusters of more than `largest` records are left
    out: their pairs grow with the square of the size.
    """
    return fill(
        """
        WITH members AS (
          SELECT c.rid, c.label FROM $c AS c JOIN $d AS d ON d.rid = c.rid
          WHERE d.rep = d.rid AND c.cluster_size BETWEEN 3 AND $largest
        )
        SELECT a.rid AS l, b.rid AS r, CAST(0 AS BIGINT) AS blocked_by
        FROM members AS a JOIN members AS b ON a.label = b.label AND a.rid < b.rid
        WHERE NOT EXISTS (SELECT 1 FROM $s AS s WHERE s.l = a.rid AND s.r = b.rid)
        """,
        c=table(clusters),
        d=table(reps),
        s=table(scores),
        largest=largest,
    )


def unified_scores_query(
    scores: str, typed: str, clusters: str, ids: str, reps: str, transitive: str | None = None
) -> exp.Expression:
    """Scored pairs whose records share a final cluster, every trivial duplicate with its
    representative, and (when given) the scored transitive pairs."""
    query = fill(
        """
        SELECT i.amperity_id, ta.datasource AS source1, ta.pk AS pk1, tb.datasource AS source2, tb.pk AS pk2,
               s.score, $category AS match_category, $scored AS match_type
        FROM $s AS s
        JOIN $c AS ca ON ca.rid = s.l
        JOIN $c AS cb ON cb.rid = s.r AND cb.label = ca.label
        JOIN $ids AS i ON i.label = ca.label
        JOIN $t AS ta ON ta.rid = s.l
        JOIN $t AS tb ON tb.rid = s.r
        UNION ALL
        SELECT i.amperity_id, ta.datasource, ta.pk, tb.datasource, tb.pk, 5.0, 'Exact', $dup
        FROM $d AS d
        JOIN $c AS c ON c.rid = d.rid
        JOIN $ids AS i ON i.label = c.label
        JOIN $t AS ta ON ta.rid = d.rep
        JOIN $t AS tb ON tb.rid = d.rid
        WHERE d.rid <> d.rep
        """,
        category=category_name(column("score", "s")),
        scored=SCORED,
        dup=TRIVIAL_DUPLICATE,
        s=table(scores),
        c=table(clusters),
        ids=table(ids),
        t=table(typed),
        d=table(reps),
    )
    if transitive is None:
        return query
    extra = fill(
        """
        SELECT i.amperity_id, ta.datasource, ta.pk, tb.datasource, tb.pk, s.score, $category, $kind
        FROM $s AS s
        JOIN $c AS c ON c.rid = s.l
        JOIN $ids AS i ON i.label = c.label
        JOIN $t AS ta ON ta.rid = s.l
        JOIN $t AS tb ON tb.rid = s.r
        """,
        category=category_name(column("score", "s")),
        kind=SCORED_TRANSITIVE,
        s=table(transitive),
        c=table(clusters),
        ids=table(ids),
        t=table(typed),
    )
    return exp.union(query, extra, distinct=False)


def preprocessed_raw_query(
    flagged: str, matching: str, reps: str, typed: str, assignment: str, key_columns: tuple[str, ...]
) -> exp.Expression:
    """Unified Preprocessed Raw: preprocessed values (bad values NULL) per record, with its
    representative (rep_ds, rep_pk), int_id (this run's rid, not stable) and the TFs scoring used."""
    values = [column(n, "f") for n in (*PREPROCESSED_COLUMNS, *key_columns)]
    tfs = [column(n, "m") for n in ("given_name_code", *TF_COLUMNS)]
    return fill(
        """
        SELECT a.amperity_id, f.datasource, f.pk, f.rid AS int_id, rt.datasource AS rep_ds, rt.pk AS rep_pk,
               $values, $tfs, a.component_id
        FROM $f AS f
        JOIN $d AS d ON d.rid = f.rid
        JOIN $m AS m ON m.rid = d.rep
        JOIN $t AS rt ON rt.rid = d.rep
        JOIN $a AS a ON a.datasource = f.datasource AND a.pk = f.pk
        """,
        values=values,
        tfs=tfs,
        f=table(flagged),
        d=table(reps),
        m=table(matching),
        t=table(typed),
        a=table(assignment),
    )


def changes_clusters_query(current: str, previous: str, *, job_id: str | None, timestamp: datetime) -> exp.Expression:
    """Unified Changes Clusters: one row per Amperity ID that was added, deleted, merged (holds
    records of several previous IDs), split (a previous ID whose records now have several IDs)
    or updated (kept its ID, gained or lost records)."""
    return fill(
        """
        WITH cur AS (SELECT DISTINCT amperity_id, datasource, pk FROM $cur),
        prev AS (SELECT DISTINCT amperity_id, datasource, pk FROM $prev),
        overlap AS (
          SELECT DISTINCT c.amperity_id AS new_id, p.amperity_id AS old_id
          FROM cur AS c JOIN prev AS p ON p.datasource = c.datasource AND p.pk = c.pk
        ),
        merged AS (SELECT new_id AS amperity_id FROM overlap GROUP BY new_id HAVING COUNT(*) > 1),
        split AS (SELECT old_id AS amperity_id FROM overlap GROUP BY old_id HAVING COUNT(*) > 1),
        moved AS (
          SELECT COALESCE(c.amperity_id, p.amperity_id) AS amperity_id
          FROM cur AS c FULL OUTER JOIN prev AS p ON p.datasource = c.datasource AND p.pk = c.pk
          WHERE c.amperity_id IS DISTINCT FROM p.amperity_id
          UNION SELECT p.amperity_id FROM cur AS c JOIN prev AS p ON p.datasource = c.datasource AND p.pk = c.pk
          WHERE c.amperity_id IS DISTINCT FROM p.amperity_id
        ),
        changes AS (
          SELECT amperity_id, 'added' AS change_type FROM (SELECT DISTINCT amperity_id FROM cur)
          WHERE amperity_id NOT IN (SELECT amperity_id FROM prev)
          UNION ALL
          SELECT amperity_id, 'deleted' FROM (SELECT DISTINCT amperity_id FROM prev)
          WHERE amperity_id NOT IN (SELECT amperity_id FROM cur)
          UNION ALL SELECT amperity_id, 'merged' FROM merged
          UNION ALL SELECT amperity_id, 'split' FROM split
          UNION ALL
          SELECT DISTINCT amperity_id, 'updated' FROM moved
          WHERE amperity_id IN (SELECT amperity_id FROM cur) AND amperity_id IN (SELECT amperity_id FROM prev)
            AND amperity_id NOT IN (SELECT amperity_id FROM merged) AND amperity_id NOT IN (SELECT amperity_id FROM split)
        )
        SELECT amperity_id, change_type, CAST($job AS VARCHAR) AS job_id, CAST($ts AS TIMESTAMP) AS timestamp
        FROM changes ORDER BY change_type, amperity_id
        """,
        cur=table(current),
        prev=table(previous),
        job=job_id,
        ts=timestamp.isoformat(sep=" "),
    )


def one_to_one_raw_query(flagged: str, assignment: str, key_columns: tuple[str, ...]) -> exp.Expression:
    """Unified Preprocessed Raw of a one-to-one run (no representatives, no TFs)."""
    return fill(
        """
        SELECT a.amperity_id, f.datasource, f.pk, f.rid AS int_id, $values, a.component_id
        FROM $f AS f JOIN $a AS a ON a.datasource = f.datasource AND a.pk = f.pk
        """,
        values=[column(c, "f") for c in (*PREPROCESSED_COLUMNS, *key_columns)],
        f=table(flagged),
        a=table(assignment),
    )
