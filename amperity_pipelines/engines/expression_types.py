"""Static types of the expressions in a statement, for the rewrites whose DuckDB form depends on them.

Trino keeps a DATE a DATE through `date_add('day', 1, d)` and `date_trunc('week', d)`; DuckDB turns it
into a TIMESTAMP. `cardinality` takes arrays and maps in Trino, but only maps in DuckDB. Types come
from sqlglot's optimizer run on a *copy* of the statement (qualifying columns rewrites names and
aliases, which must not leak into the SQL we run), mapped back to the original nodes through a
marker in each node's `meta`. A type sqlglot cannot infer stays unknown and the rewrite is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

TableSchemas = Mapping[str, Mapping[str, str]]
"""Table name (as written in SQL, e.g. `POS:Customers`) -> column name -> DuckDB type."""

_MARK = "amperity_node"
_TYPED_NODES = (exp.DateAdd, exp.DateTrunc, exp.TimestampTrunc, exp.ArraySize)
# sqlglot knows these only as anonymous functions; their result type is all a rewrite needs.
_FUNCTION_TYPES = {"MAP_AGG": "MAP(VARCHAR, VARCHAR)"}


class ExpressionTypes:
    """Answers 'what type is this argument' for nodes of the original statement."""

    def __init__(self, annotated: dict[int, exp.Expr]) -> None:
        self._annotated = annotated

    def of(self, node: exp.Expr, arg: str = "this") -> exp.DataType | None:
        """The type of argument `arg` of `node`, or None when unknown."""
        twin = self._annotated.get(node.meta.get(_MARK, -1))
        child = twin.args.get(arg) if twin is not None else None
        kind = child.type if isinstance(child, exp.Expr) else None
        return None if kind is None or kind.is_type(exp.DataType.Type.UNKNOWN) else kind


def infer_types(tree: exp.Expr, *, read: str | type[sqlglot.Dialect], schema: TableSchemas | None) -> ExpressionTypes:
    marked = [node for node in tree.walk() if isinstance(node, _TYPED_NODES)]
    if not marked:
        return ExpressionTypes({})
    for index, node in enumerate(marked):
        node.meta[_MARK] = index
    mapping = MappingSchema(
        {exp.to_identifier(table).sql("duckdb"): dict(columns) for table, columns in (schema or {}).items()},
        dialect="duckdb",
        udf_mapping=_FUNCTION_TYPES,
    )
    # Types only sharpen a few rewrites, so an optimizer failure (sqlglot raises more than its own
    # error classes on unusual statements) leaves them unknown instead of failing the statement.
    copy = tree.copy()
    try:
        copy = qualify(
            copy, schema=mapping, dialect=read, validate_qualify_columns=False, quote_identifiers=False, identify=False
        )
    except Exception:  # noqa: BLE001 - unresolved columns: literals, casts, functions still get types
        pass
    try:
        annotated = annotate_types(copy, schema=mapping, dialect=read)
    except Exception:  # noqa: BLE001
        return ExpressionTypes({})
    return ExpressionTypes({node.meta[_MARK]: node for node in annotated.walk() if _MARK in node.meta})
