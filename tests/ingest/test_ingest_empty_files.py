"""A file with no rows loads nothing and says so: a warning on the load result naming the file, or
a failed load when its file spec says `empty_file: fail`."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest

from amperity_pipelines.ingest import IngestError, load_feed


@pytest.fixture
def people(make_feed):
    return make_feed(("id", "Integer", {"tags": ["pk"]}), ("name", "String"))


def load(con, feed, pairs):
    result = load_feed(con, feed, pairs)
    return result, result.table.read_all().to_pylist()


@pytest.mark.parametrize(
    ("relpath", "content", "options", "warning"),
    [
        ("shop/x.csv", b"", {}, "shop/x.csv: empty file (0 bytes), no rows loaded"),
        ("shop/x.csv.gz", gzip.compress(b""), {}, "shop/x.csv.gz: empty file (0 bytes once decompressed), no rows loaded"),
        ("shop/x.csv.gz", b"", {}, "shop/x.csv.gz: empty file (0 bytes), no rows loaded"),
        ("shop/x.ndjson", b"", {}, "shop/x.ndjson: empty file (0 bytes), no rows loaded"),
        ("shop/x.json", b"", {}, "shop/x.json: empty file (0 bytes), no rows loaded"),
        ("shop/x.parquet", b"", {}, "shop/x.parquet: empty file (0 bytes), no rows loaded"),
        ("shop/x.csv", b"id,name\n", {}, "shop/x.csv: no rows in the file (only a header, or no records)"),
        ("shop/x.json", b"[]", {}, "shop/x.json: no rows in the file (only a header, or no records)"),
        ("shop/x.csv", "".encode("utf-16"), {"encoding": "utf-16"}, "shop/x.csv: no rows in the file (only a header, or no records)"),
    ],
)
def test_a_file_without_rows_is_a_warning_naming_it(con, landed, make_spec, people, relpath, content, options, warning):
    spec = make_spec(f"'{relpath}'", **options)
    result, rows = load(con, people, [(landed(relpath, content), spec)])
    assert rows == [] and result.warnings == [warning]
    assert [(s.file, s.rows_read) for s in result.files] == [(relpath, 0)]


def test_an_empty_zip_member_is_a_warning_naming_the_member(con, landed, make_spec, people):
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        archive.writestr("part1.csv", b"")
        archive.writestr("part2.csv", b"id,name\n1,Ann\n")
    result, rows = load(con, people, [(landed("drop/data.zip", sink.getvalue()), make_spec("'drop/data.zip'", format="csv"))])
    assert rows == [{"id": 1, "name": "Ann"}]
    assert result.warnings == ["drop/data.zip!part1.csv: empty file (0 bytes), no rows loaded"]


def test_files_with_rows_give_no_warning(con, landed, make_spec, people):
    result, rows = load(con, people, [(landed("x.csv", b"id,name\n1,Ann\n"), make_spec("'x.csv'"))])
    assert rows == [{"id": 1, "name": "Ann"}] and result.warnings == []


def test_empty_file_fail_fails_the_load_naming_the_file(con, landed, make_spec, people):
    good = (landed("a.csv", b"id,name\n1,Ann\n"), make_spec("'a.csv'", empty_file="fail"))
    for content, what in [(b"", "empty file (0 bytes)"), (b"id,name\n", "no rows in the file")]:
        empty = (landed("shop/b.csv", content), make_spec("'shop/b.csv'", empty_file="fail"))
        with pytest.raises(IngestError) as caught:
            load_feed(con, people, [good, empty])
        assert str(caught.value).startswith(f"shop/b.csv: {what}")
        assert "`empty_file: fail`" in str(caught.value) and caught.value.file == "shop/b.csv"


def test_empty_file_allow_says_nothing(con, landed, make_spec, people):
    result, rows = load(con, people, [(landed("x.csv", b""), make_spec("'x.csv'", empty_file="allow"))])
    assert rows == [] and result.warnings == []


def test_an_ingest_query_that_returns_no_rows_is_named(con, landed, make_spec, people):
    spec = make_spec("'x.csv'")
    result = load_feed(con, people, [(landed("x.csv", b"id,name\n1,Ann\n"), spec)], ingest_query_sql="SELECT * FROM raw WHERE false")
    assert result.table.read_all().num_rows == 0
    assert result.warnings == ["x.csv: the ingest query returned no rows"]
