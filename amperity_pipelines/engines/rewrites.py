"""sqlglot expression rewrites that close the gaps sqlglot leaves between Trino/Spark and DuckDB.

Each rewrite maps one source-dialect construct to DuckDB SQL with the *source* engine's result, and
each has a golden test (tests/engines/test_sql_golden.py) that runs it on DuckDB. Rewrites work on
parsed expressions, never on SQL strings.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Literal

import sqlglot
from sqlglot import exp

from amperity_pipelines.config.datetime_patterns import joda_to_strftime
from amperity_pipelines.engines.errors import SqlError
from amperity_pipelines.engines.expression_types import ExpressionTypes

SourceDialect = Literal["spark", "trino"]
Rewrite = Callable[[exp.Expr, ExpressionTypes], exp.Expr | None]

# Units whose length never varies (on UTC timestamps): whole-unit differences are exact divisions,
# which DuckDB's DATE_SUB computes (DATE_DIFF counts boundaries crossed instead).
_FIXED_UNITS = frozenset({"MICROSECOND", "MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK"})
_CALENDAR_UNITS = frozenset({"MONTH", "QUARTER", "YEAR"})
# Spark's TRUNC/DATE_TRUNC accept format aliases DuckDB does not know.
_SPARK_TRUNC_UNITS = {
    "YYYY": "YEAR", "YY": "YEAR", "YEAR": "YEAR",
    "MM": "MONTH", "MON": "MONTH", "MONTH": "MONTH",
    "DD": "DAY", "DAY": "DAY",
    "QUARTER": "QUARTER", "WEEK": "WEEK", "HOUR": "HOUR", "MINUTE": "MINUTE", "SECOND": "SECOND",
    "MILLISECOND": "MILLISECOND", "MICROSECOND": "MICROSECOND",
}  # fmt: skip


def rewrite_for_duckdb(tree: exp.Expr, *, read: SourceDialect, types: ExpressionTypes) -> exp.Expr:
    """Apply the rewrites of `read` to `tree` (modified in place, innermost nodes first)."""
    rules = (_TRINO_RULES if read == "trino" else _SPARK_RULES) + _COMMON_RULES
    # Reversed pre-order visits every child before its parent, so a rewritten parent is built from
    # already rewritten arguments (map_agg(k, format_datetime(...))).
    for node in reversed(list(tree.walk())):
        for rule in rules:
            replacement = rule(node, types)
            if replacement is not None and replacement is not node:
                if node is tree:
                    tree = replacement
                else:
                    node.replace(replacement)
                break
    return tree


# --- Trino ------------------------------------------------------------------------------------


def _trino_format_datetime(node: exp.Expr, types: ExpressionTypes) -> exp.Expr | None:
    """format_datetime(ts, 'joda') -> strftime(ts, '%...'); sqlglot leaves it untranslated."""
    if not _is_anonymous(node, "FORMAT_DATETIME"):
        return None
    value, pattern = _two_args(node, "format_datetime")
    return exp.Anonymous(this="STRFTIME", expressions=[value, _strftime_literal(pattern, "format_datetime")])


def _trino_parse_datetime(node: exp.Expr, types: ExpressionTypes) -> exp.Expr | None:
    """parse_datetime(s, 'joda') -> strptime(s, '%...'); sqlglot keeps the Joda pattern as is."""
    if not isinstance(node, exp.ParseDatetime):
        return None
    pattern = node.args.get("format")
    return exp.Anonymous(
        this="STRPTIME", expressions=[node.this, _strftime_literal(pattern, "parse_datetime")]
    )


_MAP_AGG = """
CASE
  WHEN COUNT(__key) = COUNT(DISTINCT __key)
    THEN MAP_FROM_ENTRIES(LIST(STRUCT_PACK(k := __key, v := __value)) FILTER (WHERE __key IS NOT NULL))
  ELSE MAP_FROM_ENTRIES(LIST_FILTER(
    LIST(STRUCT_PACK(k := __key, v := __value)) FILTER (WHERE __key IS NOT NULL),
    (entry, i) -> LIST_POSITION(LIST(__key) FILTER (WHERE __key IS NOT NULL), entry.k) = i))
END
"""


def _trino_map_agg(node: exp.Expr, types: ExpressionTypes) -> exp.Expr | None:
    """map_agg(k, v) -> a DuckDB map with Trino's rules.

    Trino skips rows whose key is NULL and keeps the first value of a repeated key; DuckDB's
    MAP_FROM_ENTRIES fails on repeated keys. The quadratic de-duplication only runs for groups
    that do repeat a key (CASE evaluates a branch only for the groups that take it).
    """
    if not _is_anonymous(node, "MAP_AGG"):
        return None
    if isinstance(node.parent, (exp.Window, exp.Filter)):
        raise SqlError("map_agg with OVER (...) or FILTER (...) is not supported on DuckDB")
    key, value = _two_args(node, "map_agg")
    return _fill(_template(_MAP_AGG), __key=key, __value=value)


def _trino_date_diff(node: exp.Expr, types: ExpressionTypes) -> exp.Expr | None:
    """date_diff(unit, a, b) -> DATE_SUB(unit, a, b): Trino counts whole units, as DATE_SUB does.

    Both clamp month ends the same way (Joda): 2020-01-31 -> 2020-02-29 is one month.
    """
    if not isinstance(node, exp.DateDiff):
        return None
    return _date_sub(_unit(node), node.expression, node.this)


def _trino_regexp_extract(node: exp.Expr, types: ExpressionTypes) -> exp.Expr | None:
    """regexp_extract without a match is NULL in Trino and '' in DuckDB."""
    if not isinstance(node, exp.RegexpExtract):
        return None
    matches = exp.RegexpLike(this=node.this.copy(), expression=node.expression.copy())
    return exp.If(this=matches, true=node.copy())


_DATE_UNITS = frozenset({"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"})


def _trino_date_stays_date(node: exp.Expr, types: ExpressionTypes) -> exp.Expr | None:
    """date_add/date_trunc of a DATE by whole days or more is a DATE in Trino, a TIMESTAMP in DuckDB."""
    if not isinstance(node, (exp.DateAdd, exp.DateTrunc, exp.TimestampTrunc)) or _unit(node) not in _DATE_UNITS:
        return None
    kind = types.of(node)
    if kind is None or not kind.is_type(exp.DataType.Type.DATE):
        return None
    return exp.cast(node.copy(), exp.DataType.Type.DATE)


_TRINO_RULES: tuple[Rewrite, ...] = (
    _trino_format_datetime,
    _trino_parse_datetime,
    _trino_map_agg,
    _trino_date_diff,
    _trino_regexp_extract,
    _trino_date_stays_date,
)


# --- Spark ------------------------------------------------------------------------------------

# java.time's until(): whole months from the year-month difference, less one when the end's
# day-and-time is earlier than the start's; DuckDB's AGE borrows the same way.
_SPARK_MONTHS = "DATE_PART('year', AGE(__end, __start)) * 12 + DATE_PART('month', AGE(__end, __start))"


def _spark_timestamp_diff(node: exp.Expr, types: ExpressionTypes) -> exp.Expr | None:
    """timestampdiff(unit, a, b) / datediff(unit, a, b) -> whole units, as Spark counts them.

    The two-argument datediff(end, start) works on dates, where DuckDB's DATE_DIFF already agrees.
    """
    if isinstance(node, exp.DateDiff) and _unit(node) == "DAY":
        return None
    if not isinstance(node, (exp.TimestampDiff, exp.DateDiff)):
        return None
    unit, start, end = _unit(node), node.expression, node.this
    if unit in _FIXED_UNITS:
        return _date_sub(unit, start, end)
    if unit not in _CALENDAR_UNITS:
        raise SqlError(f"timestampdiff unit {unit} is not supported")
    months = exp.paren(_fill(_template(_SPARK_MONTHS), __start=start, __end=end), copy=False)
    divisor = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[unit]
    # Java's long division truncates toward zero, as DuckDB's // does.
    whole = months if divisor == 1 else exp.IntDiv(this=months, expression=exp.Literal.number(divisor))
    return exp.cast(whole, exp.DataType.Type.BIGINT)


def _spark_trunc(node: exp.Expr, types: ExpressionTypes) -> exp.Expr | None:
    """TRUNC(d, 'MM') / DATE_TRUNC('YY', ts): Spark's unit aliases -> DuckDB's unit names.

    TRUNC returns a DATE in Spark; DuckDB's DATE_TRUNC returns a TIMESTAMP.
    """
    if not isinstance(node, (exp.DateTrunc, exp.TimestampTrunc)):
        return None
    unit = node.args.get("unit")
    if isinstance(unit, (exp.Literal, exp.Var)):
        name = _SPARK_TRUNC_UNITS.get(unit.name.upper())
        if name is None:
            raise SqlError(f"unknown truncation unit {unit.name!r}")
        node.set("unit", exp.Literal.string(name) if isinstance(unit, exp.Literal) else exp.var(name))
    if isinstance(node, exp.DateTrunc):
        return exp.cast(node.copy(), exp.DataType.Type.DATE)
    return node


def _spark_date_arithmetic(node: exp.Expr, types: ExpressionTypes) -> exp.Expr | None:
    """date_add/date_sub/add_months return a DATE in Spark; DATE + INTERVAL is a TIMESTAMP in DuckDB."""
    if not isinstance(node, (exp.TsOrDsAdd, exp.AddMonths)):
        return None
    return exp.cast(node.copy(), exp.DataType.Type.DATE)


def _spark_day_of_week(node: exp.Expr, types: ExpressionTypes) -> exp.Expr | None:
    """dayofweek counts Sunday = 1 in Spark, Sunday = 0 in DuckDB."""
    if not isinstance(node, exp.DayOfWeek):
        return None
    return exp.Add(this=node.copy(), expression=exp.Literal.number(1))


_SPARK_RULES: tuple[Rewrite, ...] = (
    _spark_timestamp_diff,
    _spark_trunc,
    _spark_date_arithmetic,
    _spark_day_of_week,
)


# --- both -------------------------------------------------------------------------------------


def _cardinality_of_map(node: exp.Expr, types: ExpressionTypes) -> exp.Expr | None:
    """cardinality/size of a MAP: DuckDB's ARRAY_LENGTH takes lists only, CARDINALITY maps only."""
    if not isinstance(node, exp.ArraySize):
        return None
    kind = types.of(node)
    if kind is None or not kind.is_type(exp.DataType.Type.MAP):
        return None
    return exp.Anonymous(this="CARDINALITY", expressions=[node.this])


_COMMON_RULES: tuple[Rewrite, ...] = (_cardinality_of_map,)


# --- building blocks --------------------------------------------------------------------------


def _is_anonymous(node: exp.Expr, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.upper() == name


def _two_args(node: exp.Expr, function: str) -> tuple[exp.Expr, exp.Expr]:
    args = node.expressions
    if len(args) != 2:
        raise SqlError(f"{function} takes 2 arguments, got {len(args)}")
    return args[0], args[1]


def _strftime_literal(pattern: exp.Expr | None, function: str) -> exp.Literal:
    if not isinstance(pattern, exp.Literal) or not pattern.is_string:
        raise SqlError(f"{function} needs its Joda pattern as a string literal to run on DuckDB")
    try:
        return exp.Literal.string(joda_to_strftime(pattern.this))
    except ValueError as error:
        raise SqlError(f"{function}: {error}") from None


def _unit(node: exp.Expr) -> str:
    unit = node.args.get("unit")
    return unit.name.upper() if unit is not None else "DAY"


def _date_sub(unit: str, start: exp.Expr, end: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="DATE_SUB", expressions=[exp.Literal.string(unit.lower()), start, end])


@cache
def _template(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read="duckdb")


def _fill(template: exp.Expr, **arguments: exp.Expr) -> exp.Expr:
    """A copy of `template` with each column named like an argument replaced by that expression."""

    def substitute(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in arguments:
            return arguments[node.name].copy()
        return node

    return template.transform(substitute)
