"""Compressed input is verified to its end before a load returns: a cut-off or corrupt gzip stream
or zip member fails naming the file instead of loading the rows before the damage."""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib

import pytest

from amperity_pipelines.ingest import IngestError, load_feed, open_sources

ROWS = "id,name\n" + "".join(f"{i},name{i}\n" for i in range(1, 2001))


def gzip_cut_at_line(text: str, lines: int) -> bytes:
    """A gzip stream of `text` cut off after its first `lines` lines, at a flush point: what a
    transfer that stopped there leaves. The data decompresses cleanly up to a line boundary and
    has no trailer (no CRC-32, no length)."""
    head = "".join(text.splitlines(keepends=True)[:lines])
    packer = zlib.compressobj(wbits=31)
    return packer.compress(head.encode()) + packer.flush(zlib.Z_SYNC_FLUSH)


@pytest.fixture
def people(make_feed):
    return make_feed(("id", "Integer", {"tags": ["pk"]}), ("name", "String"))


def test_gzip_cut_at_a_line_boundary_fails_naming_the_file(con, landed, make_spec, people):
    cut = gzip_cut_at_line(ROWS, 1001)
    assert zlib.decompressobj(wbits=31).decompress(cut).decode().endswith("1000,name1000\n")
    file = landed("shop/customers.csv.gz", cut)
    with pytest.raises(IngestError) as caught:
        load_feed(con, people, [(file, make_spec("'shop/customers.csv.gz'"))])
    assert str(caught.value).startswith("shop/customers.csv.gz: truncated gzip file (no end-of-stream marker): ")
    assert caught.value.file == "shop/customers.csv.gz"


def test_gzip_ndjson_cut_at_a_line_boundary_fails(con, landed, make_spec, people):
    lines = "".join(f'{{"id": {i}, "name": "n{i}"}}\n' for i in range(1, 500))
    file = landed("shop/orders.ndjson.gz", gzip_cut_at_line(lines, 250))
    with pytest.raises(IngestError, match=r"^shop/orders\.ndjson\.gz: truncated gzip file"):
        load_feed(con, people, [(file, make_spec("'shop/orders.ndjson.gz'"))])


def test_gzip_without_its_trailer_fails(con, landed, make_spec, people):
    file = landed("c.csv.gz", gzip.compress(ROWS.encode())[:-8])  # all the data, no CRC-32 and length
    with pytest.raises(IngestError, match=r"^c\.csv\.gz: truncated gzip file \(no end-of-stream marker\)"):
        load_feed(con, people, [(file, make_spec("'c.csv.gz'"))])


def test_gzip_with_a_wrong_crc_fails(con, landed, make_spec, people):
    packed = bytearray(gzip.compress(ROWS.encode()))
    packed[-6] ^= 0xFF  # inside the trailer's CRC-32
    file = landed("c.csv.gz", bytes(packed))
    with pytest.raises(IngestError, match=r"^c\.csv\.gz: corrupt gzip file: the CRC-32 in the trailer does not match"):
        load_feed(con, people, [(file, make_spec("'c.csv.gz'"))])


def test_bytes_after_the_gzip_stream_fail(con, landed, make_spec, people):
    file = landed("c.csv.gz", gzip.compress(ROWS.encode()) + b"garbage")
    with pytest.raises(IngestError, match=r"^c\.csv\.gz: corrupt gzip file: bytes after the end of the gzip stream"):
        load_feed(con, people, [(file, make_spec("'c.csv.gz'"))])


def test_whole_and_concatenated_gzip_load_every_row(con, landed, make_spec, people):
    body = ROWS.splitlines(keepends=True)
    concatenated = gzip.compress("".join(body[:1000]).encode()) + gzip.compress("".join(body[1000:]).encode())
    for name, content in [("one.csv.gz", gzip.compress(ROWS.encode())), ("two.csv.gz", concatenated)]:
        result = load_feed(con, people, [(landed(name, content), make_spec(f"'{name}'"))])
        assert result.table.read_all().num_rows == 2000 and result.warnings == []


def _zip(members: dict[str, bytes]) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return sink.getvalue()


def test_zip_member_with_a_bad_crc_fails_naming_the_member(con, landed, make_spec, people):
    archive = bytearray(_zip({"part1.csv": ROWS.encode()}))
    info = zipfile.ZipFile(io.BytesIO(bytes(archive))).getinfo("part1.csv")
    # The CRC-32 of the member, in its local header (offset 14) and the central directory.
    crc = info.CRC.to_bytes(4, "little")
    archive = bytes(archive).replace(crc, bytes(b ^ 0xFF for b in crc))
    file = landed("drop/data.zip", archive)
    with pytest.raises(IngestError, match=r"^drop/data\.zip!part1\.csv: corrupt zip member: Bad CRC-32"):
        load_feed(con, people, [(file, make_spec("'drop/data.zip'", format="csv"))])


def test_truncated_gzip_inside_a_zip_fails_naming_the_member(con, landed, make_spec, people):
    file = landed("data.zip", _zip({"a.csv": b"id,name\n1,Ann\n", "b.csv.gz": gzip_cut_at_line(ROWS, 10)}))
    with pytest.raises(IngestError, match=r"^data\.zip!b\.csv\.gz: truncated gzip file"):
        load_feed(con, people, [(file, make_spec("'data.zip'", format="csv"))])


def test_truncated_zip_fails_naming_the_file(con, landed, make_spec):
    archive = _zip({"a.csv": ROWS.encode()})
    file = landed("data.zip", archive[: len(archive) // 2])
    with pytest.raises(IngestError, match=r"^data\.zip: cannot read zip archive"):
        with open_sources(file, make_spec("'data.zip'", format="csv")):
            pass


def test_gzipped_parquet_cut_off_fails(con, landed, make_spec):
    file = landed("data.parquet.gz", gzip.compress(b"PAR1" + b"x" * 5000 + b"PAR1")[:-4])
    with pytest.raises(IngestError, match=r"^data\.parquet\.gz: truncated gzip file"):
        with open_sources(file, make_spec("'data.parquet.gz'")):
            pass


def test_a_compressed_file_read_as_plain_text_says_so(con, landed, make_spec, people):
    file = landed("c.csv", gzip.compress(ROWS.encode()))
    with pytest.raises(IngestError, match=r"^c\.csv: the file is gzip-compressed \(it starts with 1f 8b\).*`compression: gzip`"):
        load_feed(con, people, [(file, make_spec("'c.csv'"))])
    file = landed("z.csv", _zip({"a.csv": ROWS.encode()}))
    with pytest.raises(IngestError, match=r"^z\.csv: the file is zip-compressed"):
        load_feed(con, people, [(file, make_spec("'z.csv'", encoding="latin-1"))])
