"""Stitch SQL on Spark: the DuckDB-built trees, rewritten where Spark lacks a function or differs.

Stitch builds every statement once, in DuckDB's dialect (`engines.sql_templates`). sqlglot's Spark generator
translates most of it; what it cannot, or translates into something Spark runs differently, is
rewritten here on the tree before generating, one small function per construct (each
golden-tested in tests/stitch/test_backends.py):

- `strip_accents`: Spark has no such function; a session SQL function TRANSLATEs every character
  whose canonical decomposition carries marks (the same Unicode rule as DuckDB's);
- `jaro_winkler`: a pandas UDF over `stitch.jaro_winkler`, which equals DuckDB's to the bit;
- `map_lookup`, `list_index`: DuckDB returns NULL for a missing key or an index out of range,
  Spark (ANSI mode) raises: TRY_ELEMENT_AT, which also counts from 1 and from the end as DuckDB;
- `list_slice`: DuckDB slices by (begin, end), Spark by (start, length);
- `full_match`: RLIKE searches, so the pattern is anchored at both ends of the input;
- `ordered_row_number`: Spark numbers rows only in a window with an order; numbering by
  monotonically_increasing_id keeps the input order, which is what DuckDB gives on one thread
  (and Spark's numbers are INT, DuckDB's BIGINT).

`session_statements` defines strip-accents; `stitch.spark_udfs` installs both in a session.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache

from sqlglot import exp

SPARK = "spark"
STRIP_ACCENTS_FUNCTION = "stitch_strip_accents"
JARO_WINKLER_FUNCTION = "stitch_jaro_winkler"
MARK_CATEGORIES = ("Mn", "Mc", "Me")
"""Unicode categories of the marks DuckDB's strip_accents removes (nonspacing, spacing, enclosing)."""


def _function(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _anonymous_named(node: exp.Expression, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and str(node.this).upper() == name


def strip_accents(node: exp.Expression) -> exp.Expression:
    if _anonymous_named(node, "STRIP_ACCENTS"):
        return _function(STRIP_ACCENTS_FUNCTION, *node.expressions)
    return node


def jaro_winkler(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.JarowinklerSimilarity):
        return _function(JARO_WINKLER_FUNCTION, node.this, node.expression)
    return node


def map_lookup(node: exp.Expression) -> exp.Expression:
    if _anonymous_named(node, "MAP_EXTRACT_VALUE"):
        return _function("TRY_ELEMENT_AT", *node.expressions)
    return node


def _duckdb_index(index: exp.Expression) -> exp.Expression:
    """The 1-based DuckDB index of a parsed bracket (sqlglot stores literal indexes 0-based)."""
    negative = isinstance(index, exp.Neg)
    literal = index.this if negative else index
    if not (isinstance(literal, exp.Literal) and not literal.is_string):
        raise ValueError(f"list index {index.sql('duckdb')!r}: only literal indexes are translated to Spark")
    value = -int(literal.this) if negative else int(literal.this)
    return exp.Literal.number(value + 1)


def list_index(node: exp.Expression) -> exp.Expression:
    """list[i] -> TRY_ELEMENT_AT(list, i); list[b:] and list[b:e] -> SLICE."""
    if not isinstance(node, exp.Bracket) or len(node.expressions) != 1:
        return node
    (index,) = node.expressions
    if isinstance(index, exp.Slice):
        begin, end = index.this, index.expression
        if end is None:  # to the end: SIZE(list) - begin + 1 elements
            end = exp.func("SIZE", node.this.copy())
        return _slice(node.this, begin, end)
    return _function("TRY_ELEMENT_AT", node.this, _duckdb_index(index))


def _slice(values: exp.Expression, begin: exp.Expression, end: exp.Expression) -> exp.Expression:
    """DuckDB's inclusive 1-based [begin, end] as Spark's SLICE(values, start, length >= 0)."""
    length = exp.Add(this=exp.Sub(this=end.copy(), expression=begin.copy()), expression=exp.Literal.number(1))
    return _function("SLICE", values, begin.copy(), exp.func("GREATEST", length, exp.Literal.number(0)))


def list_slice(node: exp.Expression) -> exp.Expression:
    if _anonymous_named(node, "LIST_SLICE") and len(node.expressions) == 3:
        values, begin, end = node.expressions
        return _slice(values, begin, end)
    return node


def full_match(node: exp.Expression) -> exp.Expression:
    """REGEXP_FULL_MATCH(s, p) -> s RLIKE '\\A(?:p)\\z' (Java regex, whole input)."""
    if not isinstance(node, exp.RegexpFullMatch):
        return node
    pattern = node.expression
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        anchored: exp.Expression = exp.Literal.string(rf"\A(?:{pattern.this})\z")
    else:
        anchored = exp.func("CONCAT", exp.Literal.string(r"\A(?:"), pattern, exp.Literal.string(r")\z"))
    return exp.RegexpLike(this=node.this, expression=anchored)


def ordered_row_number(node: exp.Expression) -> exp.Expression:
    """ROW_NUMBER() OVER (... ORDER BY MONOTONICALLY_INCREASING_ID()) as a BIGINT, as DuckDB types it."""
    if not (isinstance(node, exp.Window) and isinstance(node.this, exp.RowNumber)):
        return node
    if not node.args.get("order"):
        node.set("order", exp.Order(expressions=[exp.Ordered(this=_function("MONOTONICALLY_INCREASING_ID"))]))
    return exp.cast(node, "BIGINT")


REWRITES: tuple[Callable[[exp.Expression], exp.Expression], ...] = (
    strip_accents,
    jaro_winkler,
    map_lookup,
    list_index,
    list_slice,
    full_match,
    ordered_row_number,
)


def to_spark(expression: exp.Expression) -> exp.Expression:
    """A copy of `expression` with every rewrite applied, innermost nodes first."""
    tree = expression.copy()
    for node in reversed(list(tree.dfs())):  # pre-order reversed: children before parents
        new = node
        for rewrite in REWRITES:
            new = rewrite(new)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def render(expression: exp.Expression) -> str:
    return to_spark(expression).sql(dialect=SPARK)


# --- session functions ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def accent_translation() -> tuple[str, str]:
    """(from, to) for TRANSLATE: precomposed characters -> their base; marks at the end, deleted.

    Characters of the Basic Multilingual Plane whose canonical decomposition is one base
    character plus marks map to that base; marks themselves map to nothing (TRANSLATE deletes
    characters of `from` beyond the length of `to`).
    """
    bases, targets, marks = [], [], []
    for code in range(0x80, 0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        if unicodedata.category(char) in MARK_CATEGORIES:
            marks.append(char)
            continue
        kept = "".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) not in MARK_CATEGORIES)
        if kept != char and len(kept) == 1:
            bases.append(char)
            targets.append(kept)
    return "".join(bases + marks), "".join(targets)


def session_statements() -> list[str]:
    """Spark SQL that defines the session's SQL functions (idempotent)."""
    source, target = accent_translation()
    body = exp.func("TRANSLATE", exp.column("s"), exp.Literal.string(source), exp.Literal.string(target))
    return [
        f"CREATE OR REPLACE TEMPORARY FUNCTION {STRIP_ACCENTS_FUNCTION}(s STRING) RETURNS STRING "
        f"RETURN {body.sql(dialect=SPARK)}"
    ]
