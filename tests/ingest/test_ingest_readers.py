"""Reading landed files: every format and compression, row numbers, and errors naming the file."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amperity_pipelines.ingest import IngestError, open_sources, read_raw_table
from amperity_pipelines.ingest.readers import raw_sql


def rows(con, landed_file, spec, **options):
    with open_sources(landed_file, spec) as sources:
        return [read_raw_table(con, source, spec, **options).to_pylist() for source in sources]


CSV = 'id,name,note\n1,Ann,"likes, commas"\n2,Bob,"two\nlines"\n3,"Cy ""the"" Third",\n'


def test_csv_with_header_reads_text_with_quotes_and_row_numbers(con, landed, make_spec):
    (table,) = rows(con, landed("data.csv", CSV), make_spec())
    assert table == [
        {"id": "1", "name": "Ann", "note": "likes, commas", "_row": 1},
        {"id": "2", "name": "Bob", "note": "two\nlines", "_row": 2},
        {"id": "3", "name": 'Cy "the" Third', "note": None, "_row": 3},
    ]


@pytest.mark.parametrize(("fmt", "separator"), [("tsv", "\t"), ("psv", "|")])
def test_tsv_and_psv(con, landed, make_spec, fmt, separator):
    content = f"id{separator}city\n7{separator}Portland, OR\n"
    (table,) = rows(con, landed(f"data.{fmt}", content), make_spec(f"'data.{fmt}'"))
    assert table == [{"id": "7", "city": "Portland, OR", "_row": 1}]


def test_custom_separator_and_quote(con, landed, make_spec):
    spec = make_spec("'data.txt'", format="csv", separator=";", quote="'")
    (table,) = rows(con, landed("data.txt", "a;b\n'x;y';2\n"), spec)
    assert table == [{"a": "x;y", "b": "2", "_row": 1}]


def test_no_header_names_columns_by_position(con, landed, make_spec):
    spec = make_spec(header_rows=0)
    file = landed("data.csv", "1,Ann,extra\n2,Bob,more\n")
    (named,) = rows(con, file, spec, names=["id", "name"])
    assert named[0] == {"id": "1", "name": "Ann", "column2": "extra", "_row": 1}
    (unnamed,) = rows(con, file, spec)
    assert list(unnamed[1]) == ["column0", "column1", "column2", "_row"] and unnamed[1]["_row"] == 2


def test_numbers_stay_text_in_delimited_files(con, landed, make_spec):
    (table,) = rows(con, landed("data.csv", "zip,amount\n01234,1.50\n"), make_spec())
    assert table == [{"zip": "01234", "amount": "1.50", "_row": 1}]


def test_empty_and_header_only_files(con, landed, make_spec):
    assert rows(con, landed("data.csv", ""), make_spec()) == [[]]
    assert rows(con, landed("data.csv", "id,name\n"), make_spec()) == [[]]


def test_gzip_csv(con, landed, make_spec):
    file = landed("data.csv.gz", gzip.compress(CSV.encode()))
    (table,) = rows(con, file, make_spec("'data.csv.gz'"))
    assert [r["name"] for r in table] == ["Ann", "Bob", 'Cy "the" Third']


def test_json_array_single_object_and_ndjson(con, landed, make_spec):
    array = [{"id": 1, "name": "Ann", "address": {"city": "Portland"}}, {"id": "x2", "name": None, "tags": [1, 2]}]
    (table,) = rows(con, landed("data.json", json.dumps(array)), make_spec("'data.json'"))
    # scalars arrive as text whatever the sample suggested; nested values keep their structure
    assert table[0]["id"] == "1" and table[1]["id"] == "x2" and table[1]["name"] is None
    assert table[0]["address"] == {"city": "Portland"} and table[1]["tags"] == [1, 2]
    assert [r["_row"] for r in table] == [1, 2]

    (single,) = rows(con, landed("one.json", '{"id": 5, "ok": true}'), make_spec("'one.json'"))
    assert single == [{"id": "5", "ok": "true", "_row": 1}]

    lines = '{"id": 1}\n{"id": 2, "extra": "e"}\n'
    (nd,) = rows(con, landed("data.ndjson", lines), make_spec("'data.ndjson'"))
    assert nd == [{"id": "1", "extra": None, "_row": 1}, {"id": "2", "extra": "e", "_row": 2}]

    (empty,) = rows(con, landed("empty.json", "[]"), make_spec("'empty.json'"))
    assert empty == []


def test_ndjson_key_first_seen_after_the_sample_is_found_when_expected(con, landed, make_spec):
    # DuckDB infers JSON columns from the first 20,480 records: older records first, a field
    # added later, as in an export whose old accounts only have a full name.
    lines = '{"id": 1}\n' * 25_000 + '{"id": 2, "First_Name": "Ann"}\n'
    spec = make_spec("'late.ndjson'", format="ndjson")
    with open_sources(landed("late.ndjson", lines), spec) as (source,):
        assert "First_Name" not in con.sql(raw_sql(con, source, spec, row_numbers=False)).columns
        table = con.sql(raw_sql(con, source, spec, row_numbers=False, expected=["id", "first_name"])).to_arrow_table()
    assert table.column_names == ["id", "First_Name"]
    assert table.column("First_Name").drop_null().to_pylist() == ["Ann"]


def test_gzip_ndjson(con, landed, make_spec):
    file = landed("data.ndjson.gz", gzip.compress(b'{"id": 1}\n{"id": 2}\n'))
    (table,) = rows(con, file, make_spec("'data.ndjson.gz'"))
    assert [r["id"] for r in table] == ["1", "2"]


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_parquet_keeps_types_and_numbers_rows(con, landed, make_spec):
    data = pa.table({"id": [10, 20], "when": pa.array([1, 2], pa.timestamp("s"))})
    (table,) = rows(con, landed("data.parquet", _parquet_bytes(data)), make_spec("'data.parquet'"))
    assert [(r["id"], r["_row"]) for r in table] == [(10, 1), (20, 2)]

    gzipped = landed("data.parquet.gz", gzip.compress(_parquet_bytes(data)))
    (again,) = rows(con, gzipped, make_spec("'data.parquet.gz'"))
    assert [r["id"] for r in again] == [10, 20]


def _zip(members: dict[str, bytes]) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return sink.getvalue()


def test_zip_with_several_members_reads_each_and_names_them(con, landed, make_spec):
    archive = _zip({
        "part1.csv": b"id\n1\n2\n",
        "sub/part2.csv": b"id\n3\n",
        "part3.csv.gz": gzip.compress(b"id\n4\n"),
        "README.md": b"not data",
        "__MACOSX/._part1.csv": b"junk",
    })
    file = landed("data.zip", archive)
    spec = make_spec("'data.zip'", format="csv")
    with open_sources(file, spec) as sources:
        assert [s.name for s in sources] == ["data.zip!part1.csv", "data.zip!sub/part2.csv", "data.zip!part3.csv.gz"]
        assert [[r["id"] for r in read_raw_table(con, s, spec).to_pylist()] for s in sources] == [["1", "2"], ["3"], ["4"]]
        workdir = sources[0].path.parent
    assert not workdir.exists()  # extracted members are cleaned up


def test_zip_without_matching_members_is_an_error_naming_the_file(con, landed, make_spec):
    file = landed("in/data.zip", _zip({"notes.txt": b"x"}))
    with pytest.raises(IngestError, match=r"in/data\.zip: zip archive has no json member .*found notes\.txt"):
        with open_sources(file, make_spec("'in/data.zip'", format="json")):
            pass


def test_corrupt_zip_and_gzip(con, landed, make_spec):
    with pytest.raises(IngestError, match="bad.zip: cannot read zip archive"):
        with open_sources(landed("bad.zip", b"not a zip"), make_spec("'bad.zip'", format="csv")):
            pass
    with pytest.raises(IngestError, match="bad.csv.gz"):
        rows(con, landed("bad.csv.gz", b"not gzip at all"), make_spec("'bad.csv.gz'"))


@pytest.mark.parametrize(
    ("content", "line", "detail"),
    [
        ("a,b\n1,2\n3,4,5\n6,7\n", 3, "Expected Number of Columns: 2 Found: 3"),
        ("a,b\n1,2\n3\n6,7\n", 3, "Expected Number of Columns: 2 Found: 1"),
        ('a,b\n1,2\n3,"open\n6,7\n', 3, "unterminated quote"),
    ],
)
def test_malformed_csv_names_file_and_line(con, landed, make_spec, content, line, detail):
    with pytest.raises(IngestError) as caught:
        rows(con, landed("drop/bad.csv", content), make_spec("'drop/bad.csv'"))
    message = str(caught.value)
    assert message.startswith(f"drop/bad.csv: line {line}: ") and detail in message
    assert caught.value.file == "drop/bad.csv" and caught.value.line == line


def test_malformed_json_names_file_and_line(con, landed, make_spec):
    with pytest.raises(IngestError, match=r"^bad\.ndjson: invalid JSON at line 2") as caught:
        rows(con, landed("bad.ndjson", '{"a": 1}\n{"a": x}\n{"a": 3}\n'), make_spec("'bad.ndjson'"))
    assert caught.value.line == 2
    with pytest.raises(IngestError, match=r"^bad\.json: invalid JSON at record 2: unexpected character"):
        rows(con, landed("bad.json", '[{"a": 1},\n {"a": x},\n {"a": 3}]'), make_spec("'bad.json'"))
    with pytest.raises(IngestError, match=r"^cut\.json: "):
        rows(con, landed("cut.json", '[{"a": 1}, {"a": '), make_spec("'cut.json'"))
    with pytest.raises(IngestError, match="expected JSON objects"):
        rows(con, landed("scalars.json", "[1, 2]"), make_spec("'scalars.json'"))


def test_malformed_parquet_names_file(con, landed, make_spec):
    with pytest.raises(IngestError, match=r"^broken\.parquet: "):
        rows(con, landed("broken.parquet", b"PAR1 nope"), make_spec("'broken.parquet'"))


# Found by the fuzz tests (tests/fuzz): inputs that made the reader build SQL DuckDB could not parse.


def test_blank_lines_before_the_header_are_skipped(con, landed, make_spec):
    (table,) = rows(con, landed("data.csv", "\n\nid,name\n1,Ann\n"), make_spec())
    assert table == [{"id": "1", "name": "Ann", "_row": 1}]
    (table,) = rows(con, landed("crlf.csv", "\r\nid,name\r\n1,Ann\r\n"), make_spec("'crlf.csv'"))
    assert table == [{"id": "1", "name": "Ann", "_row": 1}]
    # DuckDB drops every row when it skips lines of mixed endings: refused, never silent
    with pytest.raises(IngestError, match=r"^mixed\.csv: line 2: the line ends with CRLF"):
        rows(con, landed("mixed.csv", "\n\r\nid,name\n1,Ann\n"), make_spec("'mixed.csv'"))
    assert rows(con, landed("blank.csv", "\n\n"), make_spec()) == [[]]
    with pytest.raises(IngestError, match=r"^ragged\.csv: line 4: "):
        rows(con, landed("ragged.csv", "\nid,name\n1,Ann\n2,Bo,x\n"), make_spec("'ragged.csv'"))


def test_nul_in_a_column_name_is_named(con, landed, make_spec):
    with pytest.raises(IngestError, match=r"^u\.csv: line 1: column name 'i<NUL>d<NUL>' contains a NUL byte \(a UTF-16 file\?"):
        rows(con, landed("u.csv", "id\n1\n".encode("utf-16-le")), make_spec("'u.csv'"))
    with pytest.raises(IngestError, match=r"^k\.ndjson: JSON key 'a<NUL>' contains a NUL byte"):
        rows(con, landed("k.ndjson", '{"a\\u0000": 1}\n'), make_spec("'k.ndjson'"))


def test_mixed_line_endings_name_the_first_odd_line(con, landed, make_spec):
    with pytest.raises(IngestError) as caught:
        rows(con, landed("m.csv", b"id,name\n1,Ann\n2,Bo\r\n3,Cy\n"), make_spec("'m.csv'"))
    assert str(caught.value).startswith("m.csv: line 3: the line ends with CRLF (\\r\\n) but line 1 with LF (\\n)")
    assert caught.value.line == 3


def test_csv_errors_name_the_physical_line_after_multi_line_values(con, landed, make_spec):
    # DuckDB says "Line: 5": it counts the quoted value over three lines as one record.
    content = 'id,note\n1,"three\nline\nnote"\n\n2,ok\n3,x,y\n'
    with pytest.raises(IngestError) as caught:
        rows(con, landed("n.csv", content), make_spec("'n.csv'"))
    assert str(caught.value).startswith("n.csv: line 7: ") and caught.value.line == 7
    with pytest.raises(IngestError, match=r"^n\.csv\.gz: line 7: "):
        rows(con, landed("n.csv.gz", gzip.compress(content.encode())), make_spec("'n.csv.gz'"))
