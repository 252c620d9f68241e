"""One SQL dialect layer: tenant SQL (Spark SQL or Presto/Trino SQL) -> DuckDB SQL.

Tenant SQL comes in two dialects: Spark SQL for custom domain tables and database tables, Presto
(Trino) SQL for queries. Both name tables `Source:Feed`, quoted (`` `POS:Customers` ``,
`"POS:Customers"`). Statements are parsed with sqlglot, checked to be a single SELECT (or WITH ...
SELECT) that reads tables only (`sql_reads.py`), rewritten where sqlglot's translation would
change the result (`rewrites.py`), and generated as DuckDB SQL. Errors name the file, line and column.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.errors import ErrorLevel, ParseError, TokenError, UnsupportedError
from sqlglot.optimizer.scope import traverse_scope

from amperity_pipelines.config.datetime_patterns import java_to_strftime
from amperity_pipelines.engines.errors import SqlError
from amperity_pipelines.engines.expression_types import TableSchemas, infer_types
from amperity_pipelines.engines.rewrites import SourceDialect, rewrite_for_duckdb
from amperity_pipelines.engines.sql_reads import check_reads_only_tables, is_file_reader, refusal

Dialect = Literal["spark", "presto", "trino"]
"""A tenant SQL dialect; `presto` and `trino` are the same (Amperity's queries are Presto SQL)."""

__all__ = ["Dialect", "duckdb_settings", "parse", "referenced_tables", "transpile"]


class _SparkSql(Spark):
    """Spark 3 as read here: datetime patterns go through our java.time converter.

    sqlglot's own mapping keeps quoted literals quoted (`'T'` comes out as `'T'`) and maps letters
    inside them; our converter handles quotes and refuses letters it cannot render the same way.
    """

    @classmethod
    def format_time(cls, expression: str | exp.Expr | None) -> exp.Expr | None:
        if isinstance(expression, str):  # a dialect default, e.g. "'yyyy-MM-dd HH:mm:ss'"
            return exp.Literal.string(java_to_strftime(expression[1:-1]))
        if isinstance(expression, exp.Literal) and expression.is_string:
            return exp.Literal.string(java_to_strftime(expression.this))
        return expression


_READERS: dict[str, type[sqlglot.Dialect] | str] = {"spark": _SparkSql, "presto": "trino", "trino": "trino"}


def duckdb_settings(read: Dialect) -> dict[str, object]:
    """DuckDB settings the SQL from `transpile(..., read=read)` assumes.

    Trino divides integers as integers (7 / 2 = 3); DuckDB does so only with `integer_division`.
    The column types are unknown when transpiling, so the setting, not a rewrite, carries it.
    """
    return {"integer_division": _normalize(read) == "trino"}


def _not_too_deep(function):
    """SQL nested deeper than Python's recursion limit (sqlglot parses and walks recursively)
    becomes a SqlError naming the statement's file, not a RecursionError traceback."""

    @functools.wraps(function)
    def guarded(sql: str, *args, source: str | None = None, **kwargs):
        try:
            return function(sql, *args, source=source, **kwargs)
        except RecursionError:
            raise SqlError("the statement is nested too deeply to analyse (parentheses or subqueries)", source=source) from None

    return guarded


@_not_too_deep
def parse(sql: str, *, read: Dialect, source: str | None = None) -> exp.Query:
    """Parse one SELECT (or WITH ... SELECT) statement over tables; anything else raises `SqlError`.

    A table function, a file named in FROM or a write is refused (`sql_reads`): tenant SQL reads
    the tenant's tables only."""
    dialect = _normalize(read)
    try:
        statements = [s for s in sqlglot.parse(sql, read=_READERS[dialect]) if s is not None]
    except ParseError as error:
        raise _parse_error(error, source) from None
    except TokenError as error:
        raise _token_error(error, sql, source) from None
    except ValueError as error:  # a datetime pattern the converter refuses
        raise SqlError(str(error), source=source) from None
    if not statements:
        raise SqlError("empty statement: expected a SELECT", source=source)
    if len(statements) > 1:
        raise SqlError(f"expected one statement, found {len(statements)}", source=source)
    (statement,) = statements
    if not isinstance(statement, exp.Query):
        kind = statement.key.upper()
        raise SqlError(f"only SELECT (or WITH ... SELECT) statements are allowed, found {kind}", source=source)
    check_reads_only_tables(statement, sql, source=source)
    return statement


@_not_too_deep
def transpile(
    sql: str, *, read: Dialect, source: str | None = None, schema: TableSchemas | None = None
) -> str:
    """`sql` in DuckDB SQL with the result `read`'s engine would give (see `duckdb_settings`).

    `schema` (table -> column -> DuckDB type) lets the rewrites that depend on a column's type
    (a DATE staying a DATE, cardinality of a map) apply to columns too, not only to literals.
    """
    dialect = _normalize(read)
    tree = parse(sql, read=dialect, source=source)
    try:
        types = infer_types(tree, read=_READERS[dialect], schema=schema)
        tree = rewrite_for_duckdb(tree, read=dialect, types=types)
        return tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
    except SqlError as error:
        raise SqlError(error.detail, source=source) from None
    except UnsupportedError as error:
        raise SqlError(f"not supported on DuckDB: {error}", source=source) from None


@_not_too_deep
def referenced_tables(sql: str, *, read: Dialect, source: str | None = None) -> list[str]:
    """Names of the tables `sql` reads (CTE names excluded), in order of first appearance."""
    tree = parse(sql, read=read, source=source)
    cte_references: set[int] = set()
    for scope in traverse_scope(tree):
        for table in scope.tables:
            if not table.args.get("db") and table.name in scope.cte_sources:
                cte_references.add(id(table))
    tables = [
        table
        for table in tree.find_all(exp.Table)
        if id(table) not in cte_references and isinstance(table.this, exp.Identifier)
    ]
    tables.sort(key=lambda table: table.this.meta.get("start", 0))  # the parser records offsets
    return list(dict.fromkeys(".".join(part.name for part in table.parts) for table in tables))


def _normalize(read: str) -> SourceDialect:
    if read not in _READERS:
        raise ValueError(f"unknown SQL dialect {read!r}: expected one of spark, presto, trino")
    return "spark" if read == "spark" else "trino"


# sqlglot's wording for a clause or operator left without its operand.
_REQUIRED = re.compile(r"Required keyword: '\w+' missing for <class '[\w.]+\.(\w+)'>")


def _parse_error(error: ParseError, source: str | None) -> SqlError:
    first = error.errors[0] if error.errors else {}
    description = first.get("description") or str(error)
    if (match := _REQUIRED.match(description)) and is_file_reader(match.group(1)):
        # sqlglot parses glob('/etc/*') as its GLOB operator, missing an operand
        description = refusal(match.group(1).lower())
        return SqlError(description, source=source, line=first.get("line"))
    if match:
        description = f"incomplete {match.group(1).upper()}: expected an expression"
    if first.get("highlight"):
        description += f" (at {first['highlight']!r})"
    return SqlError(description, source=source, line=first.get("line"), column=first.get("col"))


_MISSING = re.compile(r"Missing (.+) from (\d+):(\d+)")


def _token_error(error: TokenError, sql: str, source: str | None) -> SqlError:
    cause = error.__cause__
    if isinstance(cause, TokenError) and (match := _MISSING.match(str(cause))):
        offset = int(match.group(3))
        line = sql.count("\n", 0, offset) + 1
        column = offset - (sql.rfind("\n", 0, offset) + 1) + 1
        expected = f"unterminated literal: expected a closing {match.group(1)}"
        return SqlError(expected, source=source, line=line, column=column)
    return SqlError(f"cannot read the statement: {cause or error}", source=source)
