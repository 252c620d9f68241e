"""What tenant SQL may read: the tenant's tables, by name, and nothing else.

A query, a custom domain table or a database table is a SELECT over tables. DuckDB would also run
table functions (`read_text('/etc/passwd')`, `read_parquet(...)`, `glob(...)`), read a file named
in FROM (`FROM '/etc/passwd'`, DuckDB's replacement scan) and Spark reads `csv.`/path``; this
check refuses all of them in the parsed statement, before anything runs, and names the function
and where it is. It is the first of two layers: sessions that run tenant SQL also switch DuckDB's
external access off (`layers/session.py`), so what slips past this check still cannot read a file.
"""

from __future__ import annotations

import re

from sqlglot import exp

from amperity_pipelines.engines.errors import SqlError

__all__ = ["check_reads_only_tables", "is_file_reader", "refusal"]

_ONLY_TABLES = "queries may read only the tenant's tables"

# DuckDB (and extension) table functions that read files or URLs, so the message can say so.
# Every other function in FROM is refused too, as a table function.
_FILE_READERS = frozenset(
    {
        "read_text", "read_blob", "read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json",
        "read_json_auto", "read_json_objects", "read_json_objects_auto", "read_ndjson", "read_ndjson_auto",
        "read_ndjson_objects", "glob", "sniff_csv", "parquet_metadata", "parquet_schema", "parquet_file_metadata",
        "parquet_kv_metadata", "read_xlsx", "st_read", "delta_scan", "iceberg_scan", "read_avro",
    }
)  # fmt: skip

# Spark SQL's `format.`path`` reads a file directly.
_SPARK_FILE_FORMATS = frozenset({"csv", "json", "parquet", "orc", "text", "avro", "binaryfile", "delta", "jdbc", "libsvm", "xml"})

# A table name DuckDB would take for a file (replacement scan): a path, a URL or a file extension.
_PATH_LIKE = re.compile(
    r"[/\\]|^~|\.(csv|tsv|txt|parquet|json|jsonl|ndjson|gz|zst|xlsx|arrow|avro|db|duckdb|sqlite)$", re.IGNORECASE
)

# Statements inside a SELECT that write or change state (some dialects nest them in CTEs).
_WRITES = (exp.DML, exp.DDL, exp.Command, exp.Copy, exp.Set, exp.Pragma, exp.Into)


def check_reads_only_tables(tree: exp.Expr, sql: str, *, source: str | None = None) -> None:
    """Raise `SqlError` when `tree` (parsed from `sql`) calls a table function, reads a file or writes."""
    for node in tree.walk():
        if isinstance(node, _WRITES):
            kind = "SELECT ... INTO" if isinstance(node, exp.Into) else node.key.upper()
            raise SqlError(f"{kind} is not allowed: {_ONLY_TABLES}", source=source)
        if isinstance(node, exp.Table):
            _check_table(node, sql, source)
        elif isinstance(node, exp.Lateral) and isinstance(node.this, exp.Anonymous):
            _refuse_function(node.this, sql, source)


def is_file_reader(function: str) -> bool:
    return function.lower() in _FILE_READERS


def _check_table(table: exp.Table, sql: str, source: str | None) -> None:
    if not isinstance(table.this, exp.Identifier):
        _refuse_function(table.this, sql, source)
    name = table.name
    db = table.args.get("db")
    if isinstance(db, exp.Identifier) and db.name.lower() in _SPARK_FILE_FORMATS:
        line, column = _position(table.this, sql)
        raise SqlError(
            f"reads a file with {db.name}.`{name}`: {_ONLY_TABLES}", source=source, line=line, column=column
        )
    if _PATH_LIKE.search(name):
        line, column = _position(table.this, sql)
        raise SqlError(f"reads a file with FROM '{name}': {_ONLY_TABLES}", source=source, line=line, column=column)


def _refuse_function(function: exp.Expr, sql: str, source: str | None) -> None:
    written, line, column = _written_name(function, sql)
    if written.lower() == "table" and isinstance(function, exp.Anonymous) and function.expressions:
        inner = function.expressions[0]  # TABLE(f(...)): name the function inside
        if isinstance(inner, exp.Func):
            written, line, column = _written_name(inner, sql)
    raise SqlError(refusal(written), source=source, line=line, column=column)


def refusal(function: str) -> str:
    """Why a call of the table function `function` (as written) is refused."""
    what = "reads a file with" if function.lower() in _FILE_READERS else "calls the table function"
    return f"{what} {function}(): {_ONLY_TABLES}"


def _written_name(function: exp.Expr, sql: str) -> tuple[str, int | None, int | None]:
    """The function's name as the author wrote it and its line and column (1-based) in `sql`.

    sqlglot keeps no position for a function call, so the name is looked up in the text: the
    first call of any of its spellings.
    """
    if isinstance(function, exp.Anonymous):
        names = [function.name]
    elif isinstance(function, exp.Func):
        names = list(function.sql_names())
    else:
        names = [function.key]
    for name in names:
        match = re.search(rf"(?<![\w.]){re.escape(name)}\s*\(", sql, re.IGNORECASE)
        if match:
            start = match.start()
            line = sql.count("\n", 0, start) + 1
            return match.group(0).rstrip("( \t\n").strip(), line, start - (sql.rfind("\n", 0, start) + 1) + 1
    return names[0].lower(), None, None


def _position(identifier: exp.Expr, sql: str) -> tuple[int | None, int | None]:
    """Line and column (1-based) where the parser saw `identifier` start."""
    start = identifier.meta.get("start") if isinstance(identifier, exp.Identifier) else None
    if start is None:
        return None, None
    return sql.count("\n", 0, start) + 1, start - (sql.rfind("\n", 0, start) + 1) + 1
