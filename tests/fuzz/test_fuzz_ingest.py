"""Fuzz the real load (`load_feed`) with damaged files: whatever the bytes, the load either
succeeds or raises an IngestError whose message starts with the file's name; never another
exception, never a traceback from inside DuckDB, zlib or the csv module.

Inputs: CSV/TSV/PSV/JSON/NDJSON built from cells full of quotes, separators, newlines, blanks and
non-ASCII letters (or plain random bytes), encoded in a random encoding (sometimes not the one
the file spec declares), then cut at a random byte, gzipped (whole, cut, or with a flipped
byte) or zipped; sometimes loaded twice in one load, so that repeated keys go through the merge.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tempfile
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from amperity_pipelines.config.models import ENCODINGS, FeedSpec, FileSpec
from amperity_pipelines.ingest import IngestError, LandedFile, load_feed

FIELDS = [
    {"name": "id", "type": "Integer", "tags": ["pk"]},
    {"name": "name", "type": "String"},
    {"name": "born", "type": "Date", "format": "MM/dd/yyyy"},
    {"name": "seen", "type": "Datetime"},
    {"name": "vip", "type": "Boolean"},
    {"name": "spent", "type": "Decimal(38,2)"},
]
OUR_BUGS = ("syntax error", "at or near", "Binder Error", "Catalog Error", "Referenced column", "INTERNAL", "Conversion Error", "not implemented")
SEPARATORS = {"csv": ",", "tsv": "\t", "psv": "|"}
CODECS = {"utf-8": "utf-8", "latin-1": "latin-1", "cp1252": "cp1252", "utf-16": "utf-16", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be"}

cell = st.one_of(
    st.sampled_from(["", " ", "1", "-7", "12.5", "1e3", "01/31/2020", "2020-13-45", "2020-01-01T10:00:00Z", "true", "no", "x"]),
    st.text(alphabet=st.sampled_from(list('ab,|\t"\'\n\r\\ é€ü\x00{}[]:') + ["\ufeff", "\u2028"]), max_size=8),
)
GOOD = {
    "id": st.integers(-99, 10**6).map(str),
    "born": st.dates(date(1900, 1, 1), date(2100, 1, 1)).map(lambda d: d.strftime("%m/%d/%Y")),
    "seen": st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)).map(lambda d: d.isoformat(sep=" ")),
    "vip": st.sampled_from(["true", "F", "yes", "n", "1"]),
    "spent": st.decimals(-(10**6), 10**6, places=2, allow_nan=False, allow_infinity=False).map(str),
}
columns = st.lists(st.sampled_from(["id", "name", "born", "seen", "vip", "spent", "ID", "extra", "", '"q"']), min_size=1, max_size=7)


@st.composite
def header_of(draw, names: list[str]) -> list[str]:
    """Mostly the feed's columns (shuffled, with extras), sometimes anything."""
    if draw(st.integers(0, 4)) == 0:
        return draw(columns)
    extra = draw(st.lists(st.sampled_from(["extra", "ID", "", "name"]), max_size=2))
    return draw(st.permutations(names + extra))


@st.composite
def delimited_text(draw, separator: str, names: list[str], *, quote: str, header: bool) -> str:
    columns = draw(header_of(names))
    # Mostly a good value for the column, so that rows load and typing runs; sometimes ragged.
    row = st.tuples(*[GOOD.get(column, cell) if draw(st.integers(0, 5)) else cell for column in columns]).map(list)
    rows = draw(st.lists(st.one_of(row, row, row, st.lists(cell, max_size=len(columns) + 1)), max_size=12))
    # Mostly the quote the file spec declares, sometimes another one.
    quote = quote if draw(st.integers(0, 4)) else draw(st.sampled_from(['"', "'", ""]))

    def render(value: str) -> str:
        if quote and (draw(st.booleans()) or any(c in value for c in (separator, quote, "\n", "\r"))):
            return quote + value.replace(quote, quote * 2) + quote
        return value

    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    lines = ([separator.join(map(render, columns))] if header else []) + [separator.join(map(render, r)) for r in rows]
    return newline.join(lines) + draw(st.sampled_from([newline, ""]))


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(allow_nan=False), cell),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["id", "name", "a"]), inner, max_size=3),
    max_leaves=6,
)
json_record = st.dictionaries(st.sampled_from(["id", "name", "born", "seen", "vip", "spent", "x", "ID"]), json_value, max_size=6)


@st.composite
def json_text(draw, fmt: str, names: list[str]) -> str:
    typical = st.fixed_dictionaries({name: st.one_of(GOOD.get(name, cell), json_value) for name in names}, optional={"x": json_value})
    records = draw(st.lists(st.one_of(typical, typical, json_record, json_value), max_size=8))
    if fmt == "ndjson":
        return "".join(json.dumps(r, ensure_ascii=draw(st.booleans())) + "\n" for r in records)
    return json.dumps(records if draw(st.booleans()) or not records else records[0], ensure_ascii=draw(st.booleans()))


@st.composite
def landed_input(draw):
    fmt = draw(st.sampled_from(["csv", "tsv", "psv", "json", "ndjson"]))
    fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=6, unique_by=lambda f: f["name"]))
    names = [f["name"] for f in fields]
    declared = draw(st.sampled_from(sorted(set(ENCODINGS.values()))))
    options = {"format": fmt, "encoding": declared, "empty_file": draw(st.sampled_from(["warn", "fail", "allow"]))}
    if fmt in SEPARATORS:
        options["quote"] = draw(st.sampled_from(['"', '"', "'", ""]))
        options["header_rows"] = draw(st.sampled_from([1, 1, 1, 0]))
    if draw(st.integers(0, 9)) == 0:
        content = draw(st.binary(max_size=300))
    else:
        if fmt in SEPARATORS:
            header = bool(options["header_rows"]) if draw(st.integers(0, 5)) else draw(st.booleans())
            text = draw(delimited_text(SEPARATORS[fmt], names, quote=options["quote"], header=header))
        else:
            text = draw(json_text(fmt, names))
        actual = declared if draw(st.integers(0, 7)) else draw(st.sampled_from(sorted(CODECS)))
        content = text.encode(CODECS[actual], errors="replace")
    if draw(st.integers(0, 5)) == 0:
        content = content[: draw(st.integers(0, len(content)))]
    if draw(st.integers(0, 7)) == 0 and content:
        at = draw(st.integers(0, len(content) - 1))
        content = content[:at] + bytes([content[at] ^ draw(st.integers(1, 255))]) + content[at + 1 :]
    packing = draw(st.sampled_from(["none", "none", "none", "gzip", "gzip", "gzip-cut", "gzip-flipped", "zip"]))
    suffix = {"csv": ".csv", "tsv": ".tsv", "psv": ".psv", "json": ".json", "ndjson": ".ndjson"}[fmt]
    name = "drop/in" + suffix
    if packing.startswith("gzip"):
        name += ".gz"
        content = gzip.compress(content)
        if packing == "gzip-cut":
            content = content[: draw(st.integers(0, len(content) - 1))]
        elif packing == "gzip-flipped":
            at = draw(st.integers(0, len(content) - 1))
            content = content[:at] + bytes([content[at] ^ draw(st.integers(1, 255))]) + content[at + 1 :]
    elif packing == "zip":
        name = "drop/in.zip"
        sink = io.BytesIO()
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("part" + suffix, content)
            if draw(st.booleans()):
                archive.writestr("more" + suffix, content[: len(content) // 2])
        content = sink.getvalue()
        if draw(st.integers(0, 3)) == 0:
            content = content[: draw(st.integers(0, len(content)))]
    threshold = draw(st.sampled_from([0.0, 0.01, 0.5, 1.0, 1.0]))
    copies = draw(st.sampled_from([1, 1, 2]))  # the file twice: repeated keys, so the merge runs
    return name, content, options, fields, threshold, copies


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@given(landed_input())
def test_any_file_loads_or_fails_naming_itself(example):
    name, content, options, fields, threshold, copies = example
    feed = FeedSpec(name="Customers", fields=fields, error_threshold=threshold)
    spec = FileSpec(pattern=f"'{name}'", feed="Customers", **options)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        landed = LandedFile(path, name, date(2020, 4, 10), len(content), 0)
        con = duckdb.connect()
        try:
            result = load_feed(con, feed, [(landed, spec)] * copies)
            table = result.table.read_all()
        except IngestError as err:
            assert str(err).startswith(name), f"the message does not start with the file's name: {err}"
            assert err.file is not None and err.file.startswith(name)
            assert folder not in str(err), f"the message shows a temporary path: {err}"
            # DuckDB complaining about the SQL we built is our bug, not the file's.
            assert not any(sign in str(err) for sign in OUR_BUGS), f"the load built bad SQL: {err}"
            event("IngestError: " + re.sub(r"\d+", "N", str(err).split(": ", 2)[1])[:40])
            return
        finally:
            con.close()
    assert table.column_names == [f["name"] for f in fields]
    assert all(message.startswith(name) for message in result.warnings)
    event(f"loaded ({'no rows' if table.num_rows == 0 else 'rows'}{', merged' if result.merged else ''})")


@given(st.text(alphabet=st.sampled_from(list("yMdDHhmsSaEZzQGkKwxeu'T -:./%[]")), max_size=14))
def test_accepted_date_formats_compile_in_duckdb(fmt):
    """A format the config accepts must never fail inside DuckDB at load time."""
    from amperity_pipelines.config.datetime_patterns import PatternError, check_date_format, joda_to_strptime

    try:
        check_date_format(fmt)
    except PatternError:
        return
    con = duckdb.connect()
    try:
        for strptime_format in joda_to_strptime(fmt):
            con.execute("SELECT try_strptime('2020-01-01', ?)", [strptime_format]).fetchall()
    finally:
        con.close()
