"""Feeds in Latin-1, Windows-1252 and UTF-16 load through `encoding:`; a byte that does not decode
fails naming the file, the line and what was expected."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import pytest

from amperity_pipelines.ingest import IngestError, load_feed

TEXT = "id,name,city\n1,José,Zürich\n2,Zoë,Kraków\n"


@pytest.fixture
def people(make_feed):
    return make_feed(("id", "Integer", {"tags": ["pk"]}), ("name", "String"), ("city", "String"))


def load_rows(con, feed, landed_file, spec) -> list[dict]:
    result = load_feed(con, feed, [(landed_file, spec)])
    return sorted(result.table.read_all().to_pylist(), key=lambda row: row["id"])


@pytest.mark.parametrize(
    ("encoding", "content"),
    [
        ("latin-1", "id,name\n1,José\n2,Zoë\n".encode("latin-1")),
        ("iso-8859-1", "id,name\n1,José\n2,Zoë\n".encode("latin-1")),
        ("cp1252", "id,name\n1,José\n2,Zoë\n".encode("cp1252")),
        ("windows-1252", "id,name\n1,José\n2,Zoë\n".encode("cp1252")),
        ("utf-16", "id,name\n1,José\n2,Zoë\n".encode("utf-16")),  # with its byte-order mark
        ("utf-16", b"\xfe\xff" + "id,name\n1,José\n2,Zoë\n".encode("utf-16-be")),
        ("utf-16le", "id,name\n1,José\n2,Zoë\n".encode("utf-16-le")),
        ("utf-16be", "id,name\n1,José\n2,Zoë\n".encode("utf-16-be")),
        ("utf-8", "id,name\n1,José\n2,Zoë\n".encode("utf-8")),
    ],
)
def test_delimited_files_in_each_encoding_load(con, landed, make_spec, make_feed, encoding, content):
    feed = make_feed(("id", "Integer"), ("name", "String"))
    rows = load_rows(con, feed, landed("c.csv", content), make_spec("'c.csv'", encoding=encoding))
    assert rows == [{"id": 1, "name": "José"}, {"id": 2, "name": "Zoë"}]


def test_windows_1252_letters_latin_1_lacks(con, landed, make_spec, make_feed):
    feed = make_feed(("id", "Integer"), ("price", "String"))
    content = "id,price\n1,€ 5 – “special”\n".encode("cp1252")
    rows = load_rows(con, feed, landed("c.csv", content), make_spec("'c.csv'", encoding="cp1252"))
    assert rows == [{"id": 1, "price": "€ 5 – “special”"}]


def test_json_ndjson_gzip_and_zip_members_are_transcoded(con, landed, make_spec, people):
    records = [{"id": 1, "name": "José", "city": "Zürich"}, {"id": 2, "name": "Zoë", "city": "Kraków"}]
    ndjson = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    # Kraków is not Latin-1: UTF-16 for that file, Latin-1 names only in the others
    latin = ndjson.replace("Kraków", "Krakow")
    expected = sorted(records, key=lambda r: r["id"])
    assert load_rows(con, people, landed("a.json", json.dumps(records, ensure_ascii=False).encode("utf-16")),
                     make_spec("'a.json'", encoding="utf-16")) == expected
    assert load_rows(con, people, landed("b.ndjson.gz", gzip.compress(latin.encode("latin-1"))),
                     make_spec("'b.ndjson.gz'", encoding="latin-1"))[0] == expected[0]
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        archive.writestr("part.csv", TEXT.encode("utf-16"))
    rows = load_rows(con, people, landed("c.zip", sink.getvalue()), make_spec("'c.zip'", format="csv", encoding="utf-16"))
    assert rows == expected


def test_invalid_utf8_names_file_line_and_byte(con, landed, make_spec, people):
    lines = ["id,name,city"] + [f"{i},n{i},c{i}" for i in range(1, 16)]
    content = ("\n".join(lines) + "\n").encode() + b"16,Jos\xe9,Z\xfcrich\n17,x,y\n"
    with pytest.raises(IngestError) as caught:
        load_feed(con, people, [(landed("shop/c.csv", content), make_spec("'shop/c.csv'"))])
    assert str(caught.value) == "shop/c.csv: line 17: byte 0xe9 is not valid utf-8 (set `encoding:` on the file, e.g. latin-1)"
    assert (caught.value.file, caught.value.line) == ("shop/c.csv", 17)


def test_invalid_utf8_line_counts_lines_not_records(con, landed, make_spec, people):
    # A quoted value over two lines: DuckDB would say record 3; an editor shows line 4.
    content = b'id,name,city\n1,"two\nlines",x\n2,Jos\xe9,y\n'
    with pytest.raises(IngestError, match=r"^c\.csv: line 4: byte 0xe9 is not valid utf-8"):
        load_feed(con, people, [(landed("c.csv", content), make_spec("'c.csv'"))])


def test_invalid_utf8_in_the_header_and_in_gzip_json(con, landed, make_spec, people):
    with pytest.raises(IngestError, match=r"^h\.csv: line 1: byte 0xe9 is not valid utf-8"):
        load_feed(con, people, [(landed("h.csv", b"id,nam\xe9,city\n1,a,b\n"), make_spec("'h.csv'"))])
    # The decoder reads ahead of the first row: the line is still the bad byte's.
    content = b"id,name,city\n" + b"1,a,b\n" * 100 + b"2,\xff,c\n"
    with pytest.raises(IngestError, match=r"^ahead\.csv: line 102: byte 0xff is not valid utf-8"):
        load_feed(con, people, [(landed("ahead.csv", content), make_spec("'ahead.csv'", header_rows=1))])
    ndjson = b'{"id": 1, "name": "a", "city": "b"}\n{"id": 2, "name": "Jos\xe9", "city": "c"}\n'
    with pytest.raises(IngestError, match=r"^j\.ndjson\.gz: line 2: byte 0xe9 is not valid utf-8"):
        load_feed(con, people, [(landed("j.ndjson.gz", gzip.compress(ndjson)), make_spec("'j.ndjson.gz'"))])


def test_bytes_undefined_in_the_declared_encoding_name_the_line(con, landed, make_spec, people):
    with pytest.raises(IngestError) as caught:
        load_feed(con, people, [(landed("w.csv", b"id,name,city\n1,a,b\n2,\x81,c\n"), make_spec("'w.csv'", encoding="cp1252"))])
    assert str(caught.value) == "w.csv: line 3: byte 0x81 is not valid cp1252 (check the file's `encoding: cp1252`)"
    assert caught.value.line == 3


def test_utf16_problems_are_named(con, landed, make_spec, people):
    with pytest.raises(IngestError, match=r"^u\.csv: line 1: no utf-16 byte-order mark .* utf-16le or utf-16be"):
        load_feed(con, people, [(landed("u.csv", TEXT.encode("utf-16-le")), make_spec("'u.csv'", encoding="utf-16"))])
    odd = TEXT.encode("utf-16")[:-1]
    with pytest.raises(IngestError, match=r"^o\.csv: line 3: the file ends inside a utf-16 character \(0x0a\)"):
        load_feed(con, people, [(landed("o.csv", odd), make_spec("'o.csv'", encoding="utf-16"))])
    lone_surrogate = "id,name,city\n1,a,b\n".encode("utf-16-le") + b"\x00\xd8" + "x,y\n".encode("utf-16-le")
    with pytest.raises(IngestError, match=r"^s\.csv: line 3: bytes? 0x00 0xd8 .*not valid utf-16le"):
        load_feed(con, people, [(landed("s.csv", lone_surrogate), make_spec("'s.csv'", encoding="utf-16le"))])


def test_utf8_byte_order_mark_in_json_is_read(con, landed, make_spec, people):
    records = b'[{"id": 1, "name": "Ann", "city": "x"}]'
    assert load_rows(con, people, landed("b.json", b"\xef\xbb\xbf" + records), make_spec("'b.json'")) == [
        {"id": 1, "name": "Ann", "city": "x"}
    ]
    ndjson = b'\xef\xbb\xbf{"id": 2, "name": "Bo", "city": "y"}\n'
    assert load_rows(con, people, landed("b.ndjson.gz", gzip.compress(ndjson)), make_spec("'b.ndjson.gz'")) == [
        {"id": 2, "name": "Bo", "city": "y"}
    ]
