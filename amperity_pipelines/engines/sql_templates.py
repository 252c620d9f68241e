"""SQL templates with named placeholders, filled with sqlglot expressions (never with strings).

A template is plain SQL in the DuckDB dialect where every variable part is a placeholder
(`$name`, DuckDB's own parameter syntax). It is parsed once; `fill` substitutes syntax-tree
nodes, so a table name, a column or a literal can never change the shape of the statement.
Stitch (`stitch/`) and the customer 360 builders (`c360/`) build all their SQL this way.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"


@lru_cache(maxsize=256)
def _parse(template: str) -> exp.Expression:
    return sqlglot.parse_one(template, dialect=DIALECT)


def fill(template: str, **values: object) -> exp.Expression:
    """Parse `template` and replace each `$name` placeholder by `values[name]`.

    Expressions are inserted as they are; a list or tuple of expressions is spliced into the
    list the placeholder stands in (a select list, a GROUP BY); Python scalars become literals (a
    str becomes a string literal: wrap table and column names with `table()` / `column()`).
    """
    tree = _parse(template).copy()
    placeholders = list(tree.find_all(exp.Placeholder))
    missing = {p.name for p in placeholders} - set(values)
    if missing:
        raise KeyError(f"template placeholders without a value: {', '.join(sorted(missing))}")
    for node in placeholders:
        value = values[node.name]
        if isinstance(value, (list, tuple)):
            _splice(node, value)
    scalars = {
        k: v if isinstance(v, exp.Expression) else exp.convert(v)
        for k, v in values.items()
        if not isinstance(v, (list, tuple))
    }
    return exp.replace_placeholders(tree, **scalars)


def _splice(node: exp.Placeholder, items: list | tuple) -> None:
    siblings = node.parent.args.get(node.arg_key) if node.parent else None
    if not isinstance(siblings, list):
        raise TypeError(f"placeholder ${node.name} does not stand in a list, so it cannot take a list")
    at = next(i for i, sibling in enumerate(siblings) if sibling is node)
    node.parent.set(node.arg_key, [*siblings[:at], *(item.copy() for item in items), *siblings[at + 1 :]])


def table(name: str) -> exp.Table:
    """A table or view name, possibly qualified (schema.table)."""
    return exp.to_table(name, dialect=DIALECT)


def column(name: str, source: str | None = None) -> exp.Column:
    """A column reference, quoted when the name needs it."""
    return exp.column(name, table=source, quoted=None)


def strings(values: tuple[str, ...] | list[str]) -> exp.Tuple:
    """A parenthesised list of string literals, for `x IN $values`.

    An empty list becomes `(NULL)`, which matches nothing (use it with IN, never with NOT IN).
    """
    if not values:
        return exp.Tuple(expressions=[exp.Null()])
    return exp.Tuple(expressions=[exp.Literal.string(v) for v in values])


def union_all(parts: list[exp.Expression]) -> exp.Expression:
    """parts[0] UNION ALL parts[1] ...; a single part stands alone."""
    if not parts:
        raise ValueError("union_all needs at least one query")
    return parts[0] if len(parts) == 1 else exp.union(*parts, distinct=False)


def render(expression: exp.Expression) -> str:
    return expression.sql(dialect=DIALECT)


def identifier_key(value: exp.Expression) -> exp.Expression:
    """Foreign keys and loyalty IDs as Stitch matches them: trimmed and upper-cased (FK matches
    are case-insensitive). The customer 360 joins transactions to Unified Coalesced on the same key."""
    return fill("NULLIF(UPPER(TRIM(CAST($v AS VARCHAR))), '')", v=value)
