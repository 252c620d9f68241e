"""Type raw rows by a feed's fields, in DuckDB SQL, and say why a row is rejected.

(Named casting.py, not typing.py, so that it never shadows the standard library's `typing`.)

Field types follow Amperity: Boolean, Date, Datetime, Decimal(38,s), Float, Integer, String. An
empty value is NULL. A value that does not convert makes its row a rejection, and so does an empty
primary key; the reasons travel with the row in an `_errors` list of {column, value, reason}
structs, which is NULL for good rows (nearly all of them), so the check costs a few null tests per
row and the reasons are only built for bad rows.

Date and Datetime parsing uses the field's Joda `format`, else the feed's `datetime_format`, else
ISO 8601. Values with a UTC offset become UTC; without one, they are taken as UTC (the load runs
with the DuckDB session time zone set to UTC). Datetime is a timestamp without time zone, in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

from amperity_pipelines.config.datetime_patterns import EPOCH_MILLIS, EPOCH_SECONDS, joda_to_strptime
from amperity_pipelines.config.models import FeedSpec, FieldSpec
from amperity_pipelines.ingest.errors import IngestError
from amperity_pipelines.ingest.readers import ROW_COLUMN, sql_identifier, sql_string

ERRORS_COLUMN = "_errors"
ERROR_STRUCT = "STRUCT(\"column\" VARCHAR, \"value\" VARCHAR, reason VARCHAR)"
# Epoch values beyond year 9999 make DuckDB raise instead of returning NULL; keep them out.
_MAX_EPOCH_SECONDS = 253_402_300_799

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
_FLOAT_TYPES = {"FLOAT", "DOUBLE"}
_TEMPORAL_TYPES = {"DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE"}
_NESTED = re.compile(r"^(STRUCT|MAP|UNION)\(|\[\d*\]$")


def duckdb_type(field: FieldSpec) -> str:
    scale = field.decimal_scale
    if scale is not None:
        return f"DECIMAL(38,{scale})"
    return {
        "Boolean": "BOOLEAN",
        "Date": "DATE",
        "Datetime": "TIMESTAMP",
        "Float": "DOUBLE",
        "Integer": "BIGINT",
        "String": "VARCHAR",
    }[field.type]


def arrow_type(field: FieldSpec) -> pa.DataType:
    scale = field.decimal_scale
    if scale is not None:
        return pa.decimal128(38, scale)
    return {
        "Boolean": pa.bool_(),
        "Date": pa.date32(),
        "Datetime": pa.timestamp("us"),
        "Float": pa.float64(),
        "Integer": pa.int64(),
        "String": pa.string(),
    }[field.type]


def arrow_schema(feed: FeedSpec) -> pa.Schema:
    """The schema of the feed's domain table: its fields, in order, nothing else."""
    return pa.schema([pa.field(f.name, arrow_type(f)) for f in feed.fields])


def date_format(field: FieldSpec, feed: FeedSpec) -> str | None:
    return field.format or feed.datetime_format


def expectation(field: FieldSpec, feed: FeedSpec) -> str:
    """What a good value looks like, for rejection reasons: "expected Date in format yyyy-MM-dd"."""
    if field.type in ("Date", "Datetime"):
        fmt = date_format(field, feed)
        if fmt is None:
            iso = "yyyy-MM-dd" if field.type == "Date" else "yyyy-MM-dd'T'HH:mm:ss[.SSS][Z]"
            return f"expected {field.type} in ISO 8601 format ({iso})"
        if fmt.lower() in EPOCH_SECONDS:
            return f"expected {field.type} as seconds since 1970-01-01 UTC"
        if fmt.lower() in EPOCH_MILLIS:
            return f"expected {field.type} as milliseconds since 1970-01-01 UTC"
        return f"expected {field.type} in format {fmt}"
    if field.type == "Boolean":
        return "expected Boolean (true/false, t/f, yes/no, y/n, 1/0)"
    if field.decimal_scale is not None:
        return f"expected Decimal(38,{field.decimal_scale})"
    return f"expected {field.type}"


def _text_expr(column: str, source_type: str) -> str:
    """A source column as text, for parsing and for quoting a bad value back to the user."""
    if source_type == "VARCHAR":
        return column
    if source_type == "JSON":
        return f"({column} ->> '$')"
    if _NESTED.search(source_type):
        return f"to_json({column})::VARCHAR"
    return f"CAST({column} AS VARCHAR)"


def _utc(timestamptz: str) -> str:
    """A TIMESTAMPTZ as a UTC timestamp without zone: it holds UTC microseconds already, and
    reading them back is ~10x cheaper than timezone('UTC', ...), which goes through ICU."""
    return f"make_timestamp(epoch_us({timestamptz}))"


def _parse_temporal(value: str, field: FieldSpec, feed: FeedSpec) -> str:
    fmt = date_format(field, feed)
    target = "DATE" if field.type == "Date" else "TIMESTAMP"
    if fmt is None:
        if field.type == "Date":
            return f"TRY_CAST({value} AS DATE)"
        return _utc(f"TRY_CAST({value} AS TIMESTAMPTZ)")
    if fmt.lower() in EPOCH_SECONDS:
        seconds = f"TRY_CAST({value} AS DOUBLE)"
        parsed = f"CASE WHEN abs({seconds}) <= {_MAX_EPOCH_SECONDS} THEN {_utc(f'to_timestamp({seconds})')} END"
    elif fmt.lower() in EPOCH_MILLIS:
        millis = f"TRY_CAST({value} AS BIGINT)"
        parsed = f"CASE WHEN abs({millis}) <= {_MAX_EPOCH_SECONDS * 1000} THEN epoch_ms({millis}) END"
    else:
        formats = joda_to_strptime(fmt)
        argument = sql_string(formats[0]) if len(formats) == 1 else "[" + ", ".join(map(sql_string, formats)) + "]"
        parsed = f"try_strptime({value}, {argument})"
        if any("%z" in f or "%Z" in f for f in formats):
            parsed = _utc(parsed)
    return f"CAST({parsed} AS {target})" if target == "DATE" else parsed


def _parse_text(value: str, field: FieldSpec, feed: FeedSpec) -> str:
    """SQL turning a text `value` into the field's type, NULL when it does not convert."""
    if field.type == "String":
        return value
    if field.type == "Boolean":
        # DuckDB's own cast accepts exactly Amperity's words (true/t/yes/y/1, false/f/no/n/0, any case).
        return f"TRY_CAST({value} AS BOOLEAN)"
    if field.type in ("Date", "Datetime"):
        return _parse_temporal(value, field, feed)
    if field.type == "Float":
        return f"TRY_CAST({value} AS DOUBLE)"
    if field.type == "Integer":
        # DuckDB rounds '12.5' to 13 when casting to BIGINT; a fractional part must reject instead.
        exact = f"TRY_CAST({value} AS DECIMAL(38,9))"
        return (
            f"CASE WHEN NOT contains({value}, '.') AND NOT contains({value}, 'e') AND NOT contains({value}, 'E') "
            f"THEN TRY_CAST({value} AS BIGINT) WHEN {exact} = trunc({exact}) THEN TRY_CAST({exact} AS BIGINT) END"
        )
    scale = field.decimal_scale
    wide = f"TRY_CAST({value} AS DECIMAL(38,{scale}))"
    if scale <= 17:
        # Parsing into a 128-bit decimal is ~15x slower than into a 64-bit one: take the fast
        # road for the values that fit in 18 digits, the wide one only for the rest.
        return f"COALESCE(CAST(TRY_CAST({value} AS DECIMAL(18,{scale})) AS DECIMAL(38,{scale})), {wide})"
    return wide


def _convert(column: str, source_type: str, field: FieldSpec, feed: FeedSpec) -> str:
    """SQL converting a source column to the field's type; NULL for empty and for bad values."""
    target = duckdb_type(field)
    if source_type == target and field.type != "String":
        return column
    if field.type in ("Date", "Datetime") and source_type in _TEMPORAL_TYPES:
        value = _utc(column) if source_type == "TIMESTAMP WITH TIME ZONE" else column
        return f"CAST({value} AS {target})"
    numeric_source = source_type in _INTEGER_TYPES or source_type in _FLOAT_TYPES or source_type.startswith("DECIMAL")
    if numeric_source and (field.type in ("Float", "Decimal") or field.decimal_scale is not None):
        return f"TRY_CAST({column} AS {target})"
    if source_type in _INTEGER_TYPES and field.type == "Integer":
        return f"TRY_CAST({column} AS BIGINT)"
    text = _text_expr(column, source_type)
    if field.type == "String":
        return f"NULLIF({text}, '')"
    parsed = _parse_text(text, field, feed)
    # DuckDB's numeric and ISO date casts skip surrounding blanks; its boolean cast and strptime
    # do not. trim() on every value costs as much as the cast, so only those values that fail
    # are trimmed and parsed again.
    if field.type == "Boolean" or (field.type in ("Date", "Datetime") and date_format(field, feed)):
        return f"COALESCE({parsed}, {_parse_text(f'trim({text})', field, feed)})"
    return parsed


def _checks(field: FieldSpec, feed: FeedSpec, column: str, source_type: str, typed: str, kept: str) -> list[tuple[str, str]]:
    """(guard, reason struct) pairs for one field: a value that did not convert, an empty key.

    `typed` is the converted value and `kept` the source value (kept only for non-String fields).
    """
    checks = []
    name = sql_string(column)
    blank = f"trim({kept}) = ''" if source_type == "VARCHAR" else "false"
    if field.type != "String":
        text = _text_expr(kept, source_type)
        checks.append((
            f"({typed} IS NULL AND {kept} IS NOT NULL)",
            f"CASE WHEN {typed} IS NULL AND {kept} IS NOT NULL AND NOT {blank} "
            f"THEN {{'column': {name}, 'value': {text}, 'reason': {sql_string(expectation(field, feed))}}} END",
        ))
    if field.name in feed.primary_key:
        empty = f"({kept} IS NULL OR {blank})" if field.type != "String" else "true"
        reason = sql_string(f"primary key {field.name} is empty")
        checks.append((
            f"{typed} IS NULL",
            f"CASE WHEN {typed} IS NULL AND {empty} THEN {{'column': {name}, 'value': NULL::VARCHAR, 'reason': {reason}}} END",
        ))
    return checks


@dataclass(frozen=True)
class TypedSelect:
    """SQL typing one source, and what it learnt about the source's columns."""

    sql: str
    """SELECT <fields in feed order>, _errors[, _row] FROM <source>."""
    columns: Mapping[str, str]
    """Field name -> the source column it reads."""
    extra_columns: tuple[str, ...]
    """Source columns no field reads (ignored)."""
    has_row_number: bool


def resolve_columns(feed: FeedSpec, available: list[str], *, source_name: str) -> dict[str, str]:
    """Field name -> source column; exact name first, then a unique case-insensitive match."""
    by_lower: dict[str, list[str]] = {}
    for name in available:
        by_lower.setdefault(name.lower(), []).append(name)
    resolved: dict[str, str] = {}
    missing: list[str] = []
    for field in feed.fields:
        wanted = field.file_column
        if wanted in available:
            resolved[field.name] = wanted
        elif len(by_lower.get(wanted.lower(), [])) == 1:
            resolved[field.name] = by_lower[wanted.lower()][0]
        else:
            missing.append(wanted)
    if missing:
        found = ", ".join(available) or "none"
        plural = "columns" if len(missing) > 1 else "column"
        raise IngestError(
            f"{source_name}: missing {plural} {', '.join(missing)} (feed {feed.name}); columns found: {found}",
            file=source_name,
            column=missing[0],
        )
    return resolved


def typed_select(feed: FeedSpec, source_columns: Mapping[str, str], source: str, *, source_name: str) -> TypedSelect:
    """Build the typing SELECT over `source` (a view name or a parenthesised subquery).

    `source_columns` maps the source's column names to their DuckDB types, in order. A source
    with no columns but `_row` is an empty file: it types to zero rows instead of failing.
    """
    has_row = ROW_COLUMN in source_columns
    available = [c for c in source_columns if c != ROW_COLUMN]
    if not available:
        nulls = ", ".join(f"NULL::{duckdb_type(f)} AS {sql_identifier(f.name)}" for f in feed.fields)
        row = f", {ROW_COLUMN}" if has_row else ""
        return TypedSelect(f"SELECT {nulls}, NULL::{ERROR_STRUCT}[] AS {ERRORS_COLUMN}{row} FROM {source}", {}, (), has_row)
    resolved = resolve_columns(feed, available, source_name=source_name)
    inner: list[str] = []
    outer: list[str] = []
    guards: list[str] = []
    details: list[str] = []
    for index, field in enumerate(feed.fields):
        column = resolved[field.name]
        typed, kept = f"__t{index}", f"__s{index}"
        inner.append(f"{_convert(sql_identifier(column), source_columns[column], field, feed)} AS {typed}")
        outer.append(f"{typed} AS {sql_identifier(field.name)}")
        if field.type != "String":
            inner.append(f"{sql_identifier(column)} AS {kept}")
        checks = _checks(field, feed, column, source_columns[column], typed, kept)
        guards.extend(guard for guard, _ in checks)
        details.extend(detail for _, detail in checks)
    if has_row:
        inner.append(ROW_COLUMN)
        outer.append(ROW_COLUMN)
    if details:
        # Cheap null tests screen every row; only rows that pass build the list of reasons. A row
        # that passed only because a value was blanks gets an empty list: not an error.
        errors = (
            f"nullif(CASE WHEN {' OR '.join(guards)} THEN "
            f"list_filter([{', '.join(details)}], e -> e IS NOT NULL) END, [])"
        )
    else:
        errors = f"NULL::{ERROR_STRUCT}[]"
    sql = f"SELECT {', '.join(outer)}, {errors} AS {ERRORS_COLUMN} FROM (SELECT {', '.join(inner)} FROM {source})"
    used = set(resolved.values())
    extra = tuple(c for c in available if c not in used)
    return TypedSelect(sql, resolved, extra, has_row)
