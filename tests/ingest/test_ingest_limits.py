"""Files past what the reader can take: a line over the maximum line size, a column named twice.

Each must fail naming the file and the line; none may load with a row or a column silently lost.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from amperity_pipelines.ingest import IngestError, load_feed

LOADED_AT = datetime(2020, 4, 11, 6, 0, tzinfo=timezone.utc)
ROWS = "id,name,n,d\n" + "".join(f"r{i},n{i},{i},2020-01-01\n" for i in range(50))


@pytest.fixture
def feed(make_feed):
    return make_feed(("id", "String", {"tags": ["pk"]}), ("name", "String"), ("n", "Integer"), ("d", "Date", {"format": "yyyy-MM-dd"}))


def load(con, feed, landed_file, spec):
    return load_feed(con, feed, [(landed_file, spec)], loaded_at=LOADED_AT)


# 50 MB is past DuckDB's 32 MB read buffer, where its parallel reader dropped a last line unseen
# and failed a mid-file one with "does not support a full read"; 3 MB it always rejected.
@pytest.mark.parametrize("size", [3_000_000, 50_000_000])
@pytest.mark.parametrize("after", ["", "last,a,1,2020-01-01\n"], ids=["last-line", "mid-file"])
def test_line_over_maximum_size_fails_naming_the_line(con, landed, make_spec, feed, size, after):
    content = ROWS + "rbig," + "x" * size + ",1,2020-01-01\n" + after
    with pytest.raises(IngestError) as caught:
        load(con, feed, landed("big.csv", content), make_spec("'big.csv'"))
    message = str(caught.value)
    assert message.startswith("big.csv: line 52: the line is longer than the maximum line size of 2,000,000 bytes")
    assert (caught.value.file, caught.value.line) == ("big.csv", 52)
    assert "full read" not in message


def test_long_line_without_final_line_break_and_gzip(con, landed, make_spec, feed):
    import gzip

    content = (ROWS + "rbig," + "x" * 40_000_000 + ",1,2020-01-01").encode()
    with pytest.raises(IngestError, match=r"^big.csv.gz: line 52: the line is longer than the maximum"):
        load(con, feed, landed("big.csv.gz", gzip.compress(content, compresslevel=1)), make_spec("'big.csv.gz'"))


def test_lines_up_to_the_maximum_size_load(con, landed, make_spec, feed):
    # A line of 1.9 MB (with CRLF endings) is within the limit: every row loads.
    content = (ROWS + "rbig," + "x" * 1_900_000 + ",1,2020-01-01\n").replace("\n", "\r\n")
    result = load(con, feed, landed("ok.csv", content), make_spec("'ok.csv'"))
    assert result.files[0].rows_read == 51 and result.table.read_all().num_rows == 51


@pytest.mark.parametrize("header", ["id,name,n,d,name", "id,name,n,d,NAME ", "id,Name,n,d,name"])
def test_column_named_twice_in_header_fails(con, landed, make_spec, feed, header):
    content = header + "\nr1,first,1,2020-01-01,second\n"
    with pytest.raises(IngestError) as caught:
        load(con, feed, landed("dup.csv", content), make_spec("'dup.csv'"))
    assert str(caught.value).startswith("dup.csv: line 1: the header names column ")
    assert "twice (columns 2 and 5" in str(caught.value)
    assert caught.value.line == 1 and caught.value.column.lower() == "name"


def test_long_lines_found_across_chunk_boundaries():
    # Every split into chunks agrees with measuring each line (LF, CRLF, CR) directly.
    import random
    import re

    from amperity_pipelines.ingest.lines import first_long_line, line_at

    def expected(data: bytes, limit: int) -> int | None:
        for match in re.finditer(rb"[^\r\n]*(?:\r\n|\r|\n|$)", data):
            if len(match.group().rstrip(b"\r\n")) > limit:
                return match.start()
            if match.end() == len(data):
                return None
        return None

    chooser = random.Random(7)
    for _ in range(3000):
        data = bytes(chooser.choice(b"a\r\n") if chooser.random() < 0.3 else 97 for _ in range(chooser.randint(0, 30)))
        limit, size = chooser.randint(0, 5), chooser.randint(1, 7)
        found = first_long_line((data[i : i + size] for i in range(0, len(data), size)), limit)
        assert found == expected(data, limit), (data, limit, size)
        if found is not None:
            line = line_at((data[i : i + size] for i in range(0, len(data), size)), found)
            assert line == 1 + len(re.findall(rb"\r\n|\r|\n", data[:found]))
