"""Conflict semantics: which values may never share a cluster, as SQL over distinct values.

Each `ConflictSemantic` names the values a record carries (`values_query`) and the predicate
that makes two of them conflict (`pairs_query`, evaluated only on distinct values within one
component). Separate rules and separation keys are soft (a forced edge may override them);
Stitch labels apart and an incremental run's previous IDs are hard.

The given-name rule's value is the given name and the surname together ('JOHN<US>SMITH'), so that
the rule sees a swap (SMITH JOHN) exactly as scoring does, instead of calling JOHN and SMITH two
incompatible given names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, table, union_all
from amperity_pipelines.stitch.clustering import Conflicts
from amperity_pipelines.stitch.comparisons import rule_predicate
from amperity_pipelines.stitch.settings import Rule

LABEL_SEPARATOR = "\x1f"
NAME_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class ConflictSemantic:
    key: str
    """Name in the conflict tables: rule<i>, an sk_* column, 'label' or 'previous'."""
    source: str
    """Table holding (rid, <column>)."""
    column: str
    predicate: exp.Expression
    """Over aliases a and b (and n, the nickname join on given_name), reading `column`."""
    type_: str = "VARCHAR"
    hard: bool = False
    with_surname: bool = False
    """The value is given_name<US>surname and the predicate reads both (the given-name rule)."""


def rule_semantic(index: int, rule: Rule, matching: str) -> ConflictSemantic:
    type_ = "DATE" if rule.semantic == "birthdate" else "VARCHAR"
    names = rule.condition == "incompatible-names"
    return ConflictSemantic(f"rule{index}", matching, rule.semantic, rule_predicate(rule), type_, with_surname=names)


def different_values(key: str, source: str, name: str, *, hard: bool) -> ConflictSemantic:
    return ConflictSemantic(key, source, name, fill("$x <> $y", x=column(name, "a"), y=column(name, "b")), hard=hard)


def label_semantic(labels: str) -> ConflictSemantic:
    """Values 'label_id<US>partition_id': same label, other partition = apart."""
    x, y = column("label", "a"), column("label", "b")
    predicate = fill(
        "SPLIT_PART($x, $sep, 1) = SPLIT_PART($y, $sep, 1) AND SPLIT_PART($x, $sep, 2) <> SPLIT_PART($y, $sep, 2)",
        x=x,
        y=y,
        sep=LABEL_SEPARATOR,
    )
    return ConflictSemantic("label", labels, "label", predicate, hard=True)


_NO_VALUES = (
    "SELECT CAST(NULL AS BIGINT) AS rid, CAST(NULL AS VARCHAR) AS semantic, CAST(NULL AS VARCHAR) AS value WHERE FALSE"
)
_NO_PAIRS = (
    "SELECT CAST(NULL AS BIGINT) AS component, CAST(NULL AS VARCHAR) AS semantic, CAST(NULL AS VARCHAR) AS v1, "
    "CAST(NULL AS VARCHAR) AS v2 WHERE FALSE"
)


def values_query(semantics: list[ConflictSemantic]) -> exp.Expression:
    """(rid, semantic, value) of every conflict semantic, values as text (no rows without any)."""
    if not semantics:  # settings without separate rules, separation keys or labels
        return fill(_NO_VALUES)
    parts = [
        fill(
            "SELECT rid, $key AS semantic, $value AS value FROM $t WHERE $c IS NOT NULL",
            key=s.key,
            value=_value(s),
            c=column(s.column),
            t=table(s.source),
        )
        for s in semantics
    ]
    return union_all(parts)


def _value(s: ConflictSemantic) -> exp.Expression:
    if s.with_surname:
        return fill("$g || $sep || COALESCE($s, '')", g=column(s.column), s=column("surname"), sep=NAME_SEPARATOR)
    return fill("CAST($c AS VARCHAR)", c=column(s.column))


def _side_columns(s: ConflictSemantic) -> list[exp.Expression]:
    """The columns a conflict value stands for, read back from its text (cv.value)."""
    value = column("value", "cv")
    if s.with_surname:
        return [
            fill("SPLIT_PART($v, $sep, 1)", v=value, sep=NAME_SEPARATOR).as_(s.column),
            fill("NULLIF(SPLIT_PART($v, $sep, 2), '')", v=value, sep=NAME_SEPARATOR).as_("surname"),
        ]
    return [exp.cast(value, s.type_, dialect="duckdb").as_(s.column)]


def component_values_query(values: str, components: str) -> exp.Expression:
    """Distinct (component, semantic, value) in components of more than one record."""
    return fill(
        """
        SELECT DISTINCT c.component, v.semantic, v.value
        FROM $v AS v JOIN $c AS c ON c.rid = v.rid
        WHERE c.size > 1
        """,
        v=table(values),
        c=table(components),
    )


def pairs_query(
    component_values: str, nicknames: str, known_names: str, semantics: list[ConflictSemantic]
) -> exp.Expression:
    """(component, semantic, v1, v2) of conflicting values inside a component, v1 < v2.

    Given names carry their sound code (given_name_code), as in the matching table.
    """
    if not semantics:
        return fill(_NO_PAIRS)
    parts = []
    for s in semantics:
        typed = _side_columns(s)
        given = typed[0].this.copy() if s.column == "given_name" else exp.null()
        side = fill(
            "SELECT cv.component, cv.value, $typed, k.code AS given_name_code FROM $cv AS cv "
            "LEFT JOIN $known AS k ON k.name = $given "
            "WHERE cv.semantic = $key",
            typed=typed,
            cv=table(component_values),
            known=table(known_names),
            given=given,
            key=s.key,
        )
        nick_on = (
            fill("n.name = a.given_name AND n.other = b.given_name")
            if s.column == "given_name"
            else exp.false()
        )
        parts.append(
            fill(
                """
                SELECT a.component, $key AS semantic, a.value AS v1, b.value AS v2
                FROM ($side) AS a JOIN ($side) AS b ON a.component = b.component AND a.value < b.value
                LEFT JOIN $nick AS n ON $nick_on
                WHERE $predicate
                """,
                key=s.key,
                side=side,
                nick=table(nicknames),
                nick_on=nick_on,
                predicate=s.predicate,
            )
        )
    return union_all(parts)


def split_values_query(values: str, components: str, pairs: str) -> exp.Expression:
    """(rid, semantic, value) of the records in components that hold a conflicting pair."""
    return fill(
        """
        SELECT v.rid, v.semantic, v.value
        FROM $v AS v JOIN $c AS c ON c.rid = v.rid
        WHERE c.component IN (SELECT component FROM $p)
        """,
        v=table(values),
        c=table(components),
        p=table(pairs),
    )


def intern(values: pa.Table, pairs: pa.Table, semantics: list[ConflictSemantic]) -> Conflicts:
    """Conflict data with values and semantics as integers, for `split_components`."""
    ids: dict[tuple[str, str], int] = {}
    sem_ids = {s.key: i for i, s in enumerate(semantics)}

    def value_id(semantic: str, value: str) -> int:
        return ids.setdefault((semantic, value), len(ids))

    sems = values.column("semantic").to_pylist()
    vals = values.column("value").to_pylist()
    interned = [value_id(s, v) for s, v in zip(sems, vals, strict=True)]
    conflict_pairs = {
        (value_id(s, a), value_id(s, b))
        for s, a, b in zip(
            pairs.column("semantic").to_pylist(), pairs.column("v1").to_pylist(), pairs.column("v2").to_pylist(), strict=True
        )
    }
    return Conflicts(
        rid=values.column("rid").to_numpy().astype(np.int64),
        value=np.asarray(interned, dtype=np.int64),
        semantic=np.asarray([sem_ids[s] for s in sems], dtype=np.int64),
        pairs=conflict_pairs,
        hard={sem_ids[s.key]: s.hard for s in semantics},
    )
