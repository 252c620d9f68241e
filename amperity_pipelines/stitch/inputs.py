"""Side inputs of a Stitch run: Stitch labels and the previous run's IDs, tied to this run's rids."""

from __future__ import annotations

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import fill, table
from amperity_pipelines.stitch.backends import as_backend
from amperity_pipelines.stitch.exceptions import StitchInputError


def read_columns(engine: object, name: str) -> list[str]:
    """Column names of a table or view on `engine` (a backend or a DuckDB connection)."""
    return as_backend(engine).columns(name)


def labels_query(labels: str, typed: str, columns: list[str]) -> exp.Expression:
    """(rid, label_id, partition_id) of every labelled record of this run.

    Labels come as (label_id, partition_id, datasource, pk), or in Amperity's feed shape
    (label_id, partition_id, datasource, semantic, value) with semantic 'pk'. Records a label
    names but the run does not have are ignored.
    """
    lower = {c.lower() for c in columns}
    needed = {"label_id", "partition_id", "datasource"}
    if not needed <= lower or not ({"pk"} <= lower or {"semantic", "value"} <= lower):
        raise StitchInputError(
            "Stitch labels need label_id, partition_id, datasource and pk (or semantic and value with semantic 'pk')"
        )
    if "pk" in lower:
        pk, where = fill("CAST(l.pk AS VARCHAR)"), exp.true()
    else:
        pk, where = fill("CAST(l.value AS VARCHAR)"), fill("LOWER(CAST(l.semantic AS VARCHAR)) = 'pk'")
    return fill(
        """
        SELECT DISTINCT t.rid, CAST(l.label_id AS VARCHAR) AS label_id, CAST(l.partition_id AS VARCHAR) AS partition_id
        FROM $l AS l JOIN $t AS t ON t.datasource = CAST(l.datasource AS VARCHAR) AND t.pk = $pk
        WHERE $where AND l.label_id IS NOT NULL AND l.partition_id IS NOT NULL
        """,
        l=table(labels),
        t=table(typed),
        pk=pk,
        where=where,
    )


def previous_ids_query(typed: str, previous: str) -> exp.Expression:
    """(rid, amperity_id) of the records the previous run already had."""
    return fill(
        "SELECT t.rid, p.amperity_id FROM $t AS t JOIN $p AS p ON p.datasource = t.datasource AND p.pk = t.pk",
        t=table(typed),
        p=table(previous),
    )


def unsettled_pairs_query(pairs: str, previous_ids: str) -> exp.Expression:
    """Candidate pairs (l, r, ...) that an incremental run still scores: not both records known.

    Two records the previous run already placed are settled by their previous IDs.
    """
    return fill(
        """
        SELECT p.* FROM $p AS p
        LEFT JOIN (SELECT DISTINCT rid FROM $prev) AS a ON a.rid = p.l
        LEFT JOIN (SELECT DISTINCT rid FROM $prev) AS b ON b.rid = p.r
        WHERE a.rid IS NULL OR b.rid IS NULL
        """,
        p=table(pairs),
        prev=table(previous_ids),
    )
