"""Trivial duplicates: records whose preprocessed PII is identical are compared once.

Every record gets a representative (`rep`, the smallest rid with the same PII); only
representatives are blocked, scored and clustered, and each duplicate follows its
representative at the end. Foreign keys are not part of the identity (each record's keys are
kept, on its representative, see blocking.fk_values_query), and a record must carry enough PII
to be collapsed at all: an email, a phone, or a full name with an address or a birthdate. Two
name-only "JOHN SMITH" records stay apart, as scoring would keep them.

A labelled record is never collapsed (a label may want it apart from its twin), and in an
incremental run a record's previous Amperity ID is part of its identity.
"""

from __future__ import annotations

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, table
from amperity_pipelines.stitch.comparisons import TF_COLUMNS

IDENTITY_COLUMNS: tuple[str, ...] = (
    "given_name", "surname", "generational_suffix", "email", "phone", "address_key", "po_box", "city", "state",
    "postal", "birthdate", "gender", "company",
)  # fmt: skip


def qualified() -> exp.Expression:
    """Enough PII for identical values to mean one person."""
    return fill(
        """
        email IS NOT NULL OR phone IS NOT NULL
        OR (given_name IS NOT NULL AND surname IS NOT NULL AND (address_key IS NOT NULL OR birthdate IS NOT NULL))
        """
    )


def identity(sk_columns: tuple[str, ...], extra: list[exp.Expression]) -> exp.Expression:
    """md5 of every identity value (NULL written as an unprintable marker) and `extra`."""
    parts = [
        fill("COALESCE(CAST($c AS VARCHAR), CHR(0))", c=column(name))
        for name in (*IDENTITY_COLUMNS, *sk_columns)
    ]
    parts += [fill("COALESCE(CAST($e AS VARCHAR), CHR(0))", e=e) for e in extra]
    return exp.func("MD5", exp.func("CONCAT_WS", exp.func("CHR", exp.Literal.number(31)), *parts))


def reps_query(
    flagged: str,
    *,
    sk_columns: tuple[str, ...],
    enabled: bool,
    labelled: str | None,
    previous_ids: str | None,
) -> exp.Expression:
    """(rid, rep) for every record; rep = rid when the record is not a trivial duplicate."""
    if not enabled:
        return fill("SELECT rid, rid AS rep FROM $f", f=table(flagged))
    extra: list[exp.Expression] = []
    source = fill("SELECT f.* FROM $f AS f", f=table(flagged))
    if labelled is not None:
        source = source.join(
            fill("SELECT DISTINCT rid AS labelled_rid FROM $lab", lab=table(labelled)).subquery("lab"),
            on=fill("lab.labelled_rid = f.rid"),
            join_type="left",
        )
        source = source.select(column("labelled_rid", "lab"))
        extra.append(column("labelled_rid"))
    if previous_ids is not None:
        source = source.join(
            table(previous_ids).as_("prev"), on=fill("prev.rid = f.rid"), join_type="left"
        ).select(fill("prev.amperity_id AS previous_id"))
        extra.append(column("previous_id"))
    return fill(
        """
        SELECT rid, CASE WHEN $qualified THEN MIN(rid) OVER (PARTITION BY $identity) ELSE rid END AS rep
        FROM ($source)
        """,
        qualified=qualified(),
        identity=identity(sk_columns, extra),
        source=source,
    )


def tf_query(flagged: str, reps: str, name: str) -> exp.Expression:
    """(v, <name>): each value's share of the representatives that have one (TF_COLUMNS[name])."""
    value = TF_COLUMNS[name]("f")
    return fill(
        """
        SELECT v, c / SUM(c) OVER () AS $name FROM (
          SELECT $value AS v, COUNT(*)::DOUBLE AS c FROM $f AS f
          WHERE $value IS NOT NULL AND f.rid IN (SELECT rep FROM $d) GROUP BY 1
        )
        """,
        name=exp.to_identifier(name),
        value=value,
        f=table(flagged),
        d=table(reps),
    )


def matching_query(flagged: str, reps: str, known_names: str, tfs: dict[str, str]) -> exp.Expression:
    """The representatives with their preprocessed values, term frequencies and name codes.

    `tfs` maps each TF column to its `tf_query` table; given_name_code is the sound code of a
    known given name, NULL for names the lists lack.
    """
    query = fill(
        """
        SELECT f.*, k.code AS given_name_code
        FROM $f AS f LEFT JOIN $known AS k ON k.name = f.given_name
        WHERE f.rid IN (SELECT rep FROM $d)
        """,
        f=table(flagged),
        known=table(known_names),
        d=table(reps),
    )
    for name, tf_table in tfs.items():
        alias = f"t_{name}"
        query = query.join(
            table(tf_table).as_(alias),
            on=fill("$a.v = $value", a=exp.to_identifier(alias), value=TF_COLUMNS[name]("f")),
            join_type="left",
        ).select(column(name, alias))
    return query
