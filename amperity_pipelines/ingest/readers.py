"""Read one landed file into DuckDB, untyped: the raw rows a feed then types.

Delimited files are read with every column as VARCHAR so that typing (casting.py) is ours and
reports bad values row by row; JSON keeps nested objects as DuckDB structs and lists (for ingest
queries that flatten them) but reads top-level scalars as text; Parquet keeps its own types.
All the reading is DuckDB's (`read_csv`, `read_json`, `read_parquet`): parallel, no Python per row.

The sources come from `sources.py` (zip members unpacked, gzip verified, text transcoded to
UTF-8); gzip is read by DuckDB directly. A source of 0 bytes reads as no rows, whatever its format.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from amperity_pipelines.config.models import FileSpec
from amperity_pipelines.ingest.encodings import first_undecodable
from amperity_pipelines.ingest.errors import IngestError
from amperity_pipelines.ingest.lines import MAX_LINE_BYTES, first_long_line, line_at
from amperity_pipelines.ingest.sources import RawSource, open_sources, resolve_compression  # noqa: F401 - re-exported

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

ROW_COLUMN = "_row"
"""1-based row number within the source: the n-th record (not counting the header line)."""

_NESTED_TYPE = re.compile(r"^(STRUCT|MAP|UNION)\(|\[\d*\]$")


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_raw(
    con: duckdb.DuckDBPyConnection,
    source: RawSource,
    spec: FileSpec,
    *,
    names: Sequence[str] | None = None,
    row_numbers: bool = True,
) -> duckdb.DuckDBPyRelation:
    """A DuckDB relation over the raw rows of one source.

    `names` names the columns of a file without a header row, by position (columns beyond them
    are called column<N>). With `row_numbers`, a 1-based `_row` column is added; for delimited and
    JSON files that numbering serialises the scan (WITH ORDINALITY), so bulk loads leave it off and
    number rows by position instead (DuckDB preserves insertion order).

    DuckDB reads lazily: errors in the body of the file surface when the relation runs; pass them
    through `translate_error` (or use `read_raw_table`).
    """
    try:
        return con.sql(raw_sql(con, source, spec, names=names, row_numbers=row_numbers))
    except IngestError:
        raise
    except Exception as exc:  # duckdb raises many subclasses of duckdb.Error at bind time
        raise translate_error(exc, source, spec) from None


def read_raw_table(
    con: duckdb.DuckDBPyConnection,
    source: RawSource,
    spec: FileSpec,
    *,
    names: Sequence[str] | None = None,
) -> pa.Table:
    """The raw rows of one source as an Arrow table, with `_row`; malformed files raise IngestError."""
    relation = read_raw(con, source, spec, names=names, row_numbers=True)
    try:
        return relation.to_arrow_table()
    except Exception as exc:
        raise translate_error(exc, source, spec) from None


def raw_sql(
    con: duckdb.DuckDBPyConnection,
    source: RawSource,
    spec: FileSpec,
    *,
    names: Sequence[str] | None = None,
    row_numbers: bool = True,
    expected: Sequence[str] = (),
) -> str:
    """The SELECT that reads one source; see `read_raw`.

    `expected` names columns the caller needs (compared case-insensitively): a JSON file whose
    sampled records lack one of them is looked at whole before its columns are settled.
    """
    if source.size == 0:
        return _empty_sql(list(names or []) if spec.header_rows == 0 else [])
    if spec.format in ("csv", "tsv", "psv"):
        return _delimited_sql(source, spec, names, row_numbers)
    if spec.format in ("json", "ndjson"):
        return _json_sql(con, source, spec, row_numbers, expected)
    path = sql_string(str(source.path))
    if row_numbers:
        return f"SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS {ROW_COLUMN} FROM read_parquet({path}, file_row_number = true)"
    return f"SELECT * FROM read_parquet({path})"


def _ordinality(table_function: str, row_numbers: bool) -> str:
    if not row_numbers:
        return f"SELECT * FROM {table_function}"
    return f"SELECT * EXCLUDE (ordinality), ordinality AS {ROW_COLUMN} FROM {table_function} WITH ORDINALITY"


def _delimited_sql(source: RawSource, spec: FileSpec, names: Sequence[str] | None, row_numbers: bool) -> str:
    first, blank_lines = _first_record(source, spec)
    if first is None:  # an empty file (or blank lines only): no header, no rows
        columns = list(names or []) if spec.header_rows == 0 else []
        return _empty_sql(columns)
    if spec.header_rows == 1:
        _refuse_nul(first, source, f"line {blank_lines + 1}: column name", line=blank_lines + 1)
        _refuse_repeated_names(first, source, line=blank_lines + 1)
        columns = _unique([name.strip() or f"column{i}" for i, name in enumerate(first)])
    else:
        given = list(names or [])[: len(first)]
        columns = _unique(given + [f"column{i}" for i in range(len(given), len(first))])
    # auto_detect off and columns given: the sniffer cannot hide a ragged row behind a vague
    # "could not detect the dialect"; the parser reports the line instead.
    as_text = ", ".join(f"{sql_string(c)}: 'VARCHAR'" for c in columns)
    options = [
        f"columns = {{{as_text}}}",
        "auto_detect = false",
        f"header = {'true' if spec.header_rows else 'false'}",
        f"delim = {sql_string(spec.separator)}",
        f"quote = {sql_string(spec.quote)}",
        f"escape = {sql_string(spec.quote)}",
        f"compression = {sql_string(source.compression)}",
        "strict_mode = true",
        "null_padding = false",
        f"max_line_size = {MAX_LINE_BYTES}",
    ]
    if blank_lines:
        # DuckDB would take the first blank line for the header; skipping them is safe only
        # when every line ends alike (DuckDB skips lines of mixed endings wrongly, silently:
        # measured on 1.5, it then returned no rows at all).
        odd = _first_odd_line_ending(source.chunks())
        if odd is not None:
            raise _mixed_endings_error(source, *odd)
        options.append(f"skip = {blank_lines}")
    _refuse_long_lines(source)
    function = f"read_csv({sql_string(str(source.path))}, {', '.join(options)})"
    return _ordinality(function, row_numbers)


def _refuse_long_lines(source: RawSource) -> None:
    """Refuse a file with a line over MAX_LINE_BYTES, naming the line (see lines.py for why
    DuckDB is not left to it). A record longer than that over several short lines (a quoted value
    with line breaks) DuckDB rejects itself, with the line."""
    offset = source.long_line if source.lines_measured else first_long_line(source.chunks())
    if offset is not None:
        line = line_at(source.chunks(), offset)
        raise IngestError(
            f"{source.name}: line {line}: the line is longer than the maximum line size of "
            f"{MAX_LINE_BYTES:,} bytes (a value too long, or a missing line break?); it cannot be loaded",
            file=source.name,
            line=line,
        )


def _refuse_repeated_names(names: Sequence[str], source: RawSource, *, line: int) -> None:
    """A header naming a column twice is ambiguous: columns are found by name, ignoring case, so
    one of the two would be read and the other silently ignored."""
    first_at: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        key = name.strip().lower()
        if not key:
            continue
        if key in first_at:
            raise IngestError(
                f"{source.name}: line {line}: the header names column {name.strip()!r} twice (columns "
                f"{first_at[key]} and {position}; names match ignoring case): rename or remove one",
                file=source.name,
                line=line,
                column=name.strip(),
            )
        first_at[key] = position


def _refuse_nul(names: Sequence[str], source: RawSource, what: str, *, line: int | None = None) -> None:
    """DuckDB's SQL parser stops at a NUL character: a column name holding one cannot be read
    (and is a sign of UTF-16 text read as UTF-8)."""
    for name in names:
        if "\x00" in name:
            raise IngestError(
                f"{source.name}: {what} {name.replace(chr(0), '<NUL>')!r} contains a NUL byte "
                "(a UTF-16 file? set `encoding:` on the file)",
                file=source.name,
                line=line,
            )


def _empty_sql(columns: Sequence[str]) -> str:
    """No rows; the columns of an empty headerless file are the given names (`_row` keeps it non-empty)."""
    selected = [f"NULL::VARCHAR AS {sql_identifier(c)}" for c in columns] + [f"NULL::BIGINT AS {ROW_COLUMN}"]
    return f"SELECT {', '.join(selected)} WHERE false"


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        candidate = name
        while candidate.lower() in seen:
            seen[name.lower()] += 1
            candidate = f"{name}_{seen[name.lower()]}"
        seen.setdefault(candidate.lower(), 0)
        unique.append(candidate)
    return unique


def _first_record(source: RawSource, spec: FileSpec) -> tuple[list[str] | None, int]:
    """The first non-blank record of a delimited file (the header, or the first row's width) and
    the number of blank lines before it; (None, 0) when the file has no record at all."""
    opener = gzip.open if source.compression == "gzip" else open
    try:
        with opener(source.path, "rt", encoding="utf-8-sig", newline="") as handle:
            if len(spec.separator) == 1:
                quoting = {"quotechar": spec.quote} if spec.quote else {"quoting": csv.QUOTE_NONE}
                records = csv.reader(handle, delimiter=spec.separator, **quoting)
            else:
                records = (
                    [part.strip(spec.quote or None) for part in line.split(spec.separator)] if line else []
                    for line in (raw.rstrip("\r\n") for raw in handle)
                )
            # A blank line is one empty record: its index is the count of blank lines before.
            for blank_lines, record in enumerate(records):
                if record:
                    return record, blank_lines
            return None, 0
    except UnicodeDecodeError as exc:
        # The decoder reads ahead: the bad byte may be lines further down than the first row.
        found = first_undecodable(source.chunks(), "utf-8", source.name)
        raise found or IngestError(f"{source.name}: cannot read the first row: {exc}", file=source.name) from None
    except (csv.Error, OSError, EOFError) as exc:
        raise IngestError(f"{source.name}: line 1: cannot read the first row: {exc}", file=source.name, line=1) from None


def _json_sql(
    con: duckdb.DuckDBPyConnection, source: RawSource, spec: FileSpec, row_numbers: bool, expected: Sequence[str]
) -> str:
    path = sql_string(str(source.path))
    layout = "newline_delimited" if spec.format == "ndjson" else "auto"
    compression = "uncompressed" if source.compression == "none" else source.compression  # read_json's spelling
    base = f"{path}, format = {sql_string(layout)}, compression = {sql_string(compression)}"
    describe = f"DESCRIBE SELECT * FROM read_json({base}, records = 'true'{{sample}})"
    try:
        detected = con.sql(describe.format(sample="")).fetchall()
        if {name.lower() for name in expected} - {name.lower() for name, *_ in detected}:
            # DuckDB settles the columns on the first 20,480 records; a key only later records
            # carry (a field added to the export mid-file) shows up when every record is read,
            # which costs a full parse (~7 s for 150 MB), so only when the sample falls short.
            detected = con.sql(describe.format(sample=", sample_size = -1")).fetchall()
    except Exception as exc:
        if "expected records" in str(exc) and _json_is_empty(con, base):
            return _empty_sql([])
        if "expected records" in str(exc):
            raise IngestError(f"{source.name}: expected JSON objects (one per row), found other JSON values", file=source.name) from None
        raise translate_error(exc, source, spec) from None
    # Scalars as text, whatever the sample suggested: a later "12a" in a column sampled as numbers
    # becomes a typing rejection of one row instead of a failed file.
    # Nested keys show in the types: STRUCT("key" VARCHAR).
    _refuse_nul([part for name, kind, *_ in detected for part in (name, kind)], source, "JSON key")
    columns = ", ".join(
        f"{sql_string(name)}: {sql_string(kind if _NESTED_TYPE.search(kind) else 'VARCHAR')}"
        for name, kind, *_ in detected
    )
    return _ordinality(f"read_json({base}, records = 'true', columns = {{{columns}}})", row_numbers)


def _json_is_empty(con: duckdb.DuckDBPyConnection, base: str) -> bool:
    try:
        return con.sql(f"SELECT count(*) FROM read_json({base}, records = 'false')").fetchone()[0] == 0
    except Exception:
        return False


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_JSON_LINE = re.compile(r"in (line|record/value) (\d+)")
_ERROR_PREFIX = re.compile(r"^[A-Za-z ]*Error: ")
_INVALID_UTF8 = re.compile(r"invalid unicode|invalid utf-8|not utf-8 encoded", re.IGNORECASE)


def translate_error(exc: BaseException, source: RawSource, spec: FileSpec | None = None) -> IngestError:
    """An IngestError naming the source (not DuckDB's temporary path) and the line, when known.

    Given the file spec, a CSV error's line is the physical line (DuckDB counts a quoted value
    spanning lines as one).
    """
    if isinstance(exc, IngestError):
        return exc
    text = str(exc).replace(str(source.path), source.name)
    if _INVALID_UTF8.search(text):
        # DuckDB counts records, not lines, and shows the bad byte as "?": find it ourselves.
        # The source is UTF-8 here (sources.py transcodes other encodings).
        found = first_undecodable(source.chunks(), "utf-8", source.name)
        if found is not None:
            return found
    if "state machine reached an invalid state" in text:
        # DuckDB's strict parser says no more when lines end differently (\n, then \r\n).
        odd = _first_odd_line_ending(source.chunks())
        if odd is not None:
            return _mixed_endings_error(source, *odd)
    lines = [line.strip() for line in text.splitlines()]
    first = _ERROR_PREFIX.sub("", lines[0]) if lines else type(exc).__name__
    csv_line = _CSV_LINE.search(text)
    if csv_line:
        line = int(csv_line.group(1))
        if spec is not None:
            line = _physical_line(source, spec, line)
        detail = []
        for entry in lines[1:]:
            if entry.startswith("Possible fixes"):
                break
            if entry:
                detail.append(entry[:200])
        return IngestError(f"{source.name}: line {line}: {'; '.join(detail) or first}", file=source.name, line=line)
    json_line = _JSON_LINE.search(text)
    if json_line:
        # DuckDB 1.5 reports the line (or array element) after the bad one; checked by
        # test_malformed_json_names_file_and_line, which fails if a release corrects it.
        line = max(int(json_line.group(2)) - 1, 1)
        where = f"line {line}" if json_line.group(1) == "line" else f"record {line}"
        reason = first.split(": ", 1)[-1] if "Malformed JSON" in first else first
        return IngestError(f"{source.name}: invalid JSON at {where}: {reason}", file=source.name, line=line)
    return IngestError(f"{source.name}: {first}", file=source.name)


_LINE_END = re.compile(rb"\r\n|\r|\n")
_ENDINGS = {b"\n": "LF (\\n)", b"\r\n": "CRLF (\\r\\n)", b"\r": "CR (\\r)"}


def _first_odd_line_ending(chunks: Iterator[bytes]) -> tuple[int, bytes, bytes] | None:
    """(line, its ending, the first line's ending) for the first line not ending like line 1."""
    usual = None
    line = 1
    carry = b""
    for chunk in chunks:
        data, carry = carry + chunk, b""
        if data.endswith(b"\r"):  # maybe the first half of a \r\n split between chunks
            data, carry = data[:-1], b"\r"
        for match in _LINE_END.finditer(data):
            ending = match.group()
            if usual is None:
                usual = ending
            elif ending != usual:
                return line, ending, usual
            line += 1
    if carry and usual is not None and usual != carry:
        return line, carry, usual
    return None


def _mixed_endings_error(source: RawSource, line: int, ending: bytes, usual: bytes) -> IngestError:
    return IngestError(
        f"{source.name}: line {line}: the line ends with {_ENDINGS[ending]} but line 1 with "
        f"{_ENDINGS[usual]}; mixed line endings cannot be read: convert the file to one kind",
        file=source.name,
        line=line,
    )


def _physical_line(source: RawSource, spec: FileSpec, record: int) -> int:
    """The line on which DuckDB's `record`-th CSV record starts (it counts the header and blank
    lines as records, and a record spanning lines as one). Reads the records before it again,
    in Python: only when a load has already failed."""
    if len(spec.separator) != 1 or not spec.quote:
        return record  # without quotes a record is one line; multi-character separators: as DuckDB says
    opener = gzip.open if source.compression == "gzip" else open
    try:
        with opener(source.path, "rt", encoding="utf-8-sig", newline="") as handle:
            records = csv.reader(handle, delimiter=spec.separator, quotechar=spec.quote)
            for _ in range(record - 1):
                if next(records, None) is None:
                    return record
            return records.line_num + 1
    except (UnicodeDecodeError, csv.Error, OSError, EOFError):
        return record
