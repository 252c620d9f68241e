"""What each file format holds: quoting, separators, line endings, value rendering, compression."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amperity_pipelines.destinations import ExportError, write_export

RUN_TIME = datetime(2020, 5, 6, 7, 15, 0)

# Values that need quoting (separator, quote, line break), an empty string, NULLs, a negative number.
QUOTING = pa.table(
    {
        "n": pa.array([1, None, 3, 4, -5, 6], pa.int64()),
        "s": ["a,b", 'say "hi"', "multi\nline", "", None, "plain"],
        "d": [date(2020, 1, 31), None, date(2020, 2, 29), date(2020, 3, 1), date(2020, 3, 2), date(2020, 3, 3)],
    }
)

EXPECTED_QUOTING = {
    "all": '"n","s","d"\n"1","a,b","2020-01-31"\n"","say ""hi""",""\n"3","multi\nline","2020-02-29"\n'
    '"4","","2020-03-01"\n"-5","","2020-03-02"\n"6","plain","2020-03-03"\n',
    "non-null": '"n","s","d"\n"1","a,b","2020-01-31"\n,"say ""hi""",\n"3","multi\nline","2020-02-29"\n'
    '"4","","2020-03-01"\n"-5",,"2020-03-02"\n"6","plain","2020-03-03"\n',
    # Only what must be quoted; an empty string is quoted so it differs from NULL.
    "special": 'n,s,d\n1,"a,b",2020-01-31\n,"say ""hi""",\n3,"multi\nline",2020-02-29\n'
    '4,"",2020-03-01\n-5,,2020-03-02\n6,plain,2020-03-03\n',
    "non-numeric": '"n","s","d"\n1,"a,b","2020-01-31"\n,"say ""hi""",\n3,"multi\nline","2020-02-29"\n'
    '4,"","2020-03-01"\n-5,,"2020-03-02"\n6,"plain","2020-03-03"\n',
    # Never quoted: backslash escapes keep separators and line breaks from breaking the row.
    "none": 'n,s,d\n1,a\\,b,2020-01-31\n,say "hi",\n3,multi\\nline,2020-02-29\n4,,2020-03-01\n-5,,2020-03-02\n6,plain,2020-03-03\n',
}


def export(data, spec, tmp_path):
    return write_export(data, spec, base_dir=tmp_path, run_time=RUN_TIME, name="Audience")


def read_text(path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return handle.read().decode("utf-8")


@pytest.mark.parametrize("mode", list(EXPECTED_QUOTING))
def test_quote_modes(tmp_path, destination, mode):
    result = export(QUOTING, destination(quote_mode=mode), tmp_path)
    assert read_text(result.files[0]) == EXPECTED_QUOTING[mode]


@pytest.mark.parametrize("mode", ["all", "non-null", "special", "non-numeric"])
def test_quoted_csv_reads_back_with_a_csv_parser(tmp_path, destination, mode):
    result = export(QUOTING, destination(quote_mode=mode), tmp_path)
    with open(result.files[0], newline="", encoding="utf-8") as handle:
        parsed = list(csv.reader(handle))
    assert parsed[0] == ["n", "s", "d"]
    assert [row[1] for row in parsed[1:]] == ["a,b", 'say "hi"', "multi\nline", "", "", "plain"]


def test_separators(tmp_path, destination):
    data = pa.table({"a": ["x|y", "t\tu"], "b": [1, 2]})
    tsv = export(data, destination(format="tsv", filename_template="t"), tmp_path)
    psv = export(data, destination(format="psv", filename_template="p"), tmp_path)
    custom = export(data, destination(format="csv", separator=";", filename_template="c"), tmp_path)
    assert tsv.files[0].name == "t.tsv" and psv.files[0].name == "p.psv" and custom.files[0].name == "c.csv"
    assert read_text(tsv.files[0]) == 'a\tb\nx|y\t1\n"t\tu"\t2\n'
    assert read_text(psv.files[0]) == 'a|b\n"x|y"|1\nt\tu|2\n'
    assert read_text(custom.files[0]) == "a;b\nx|y;1\nt\tu;2\n"


def test_separator_inside_numbers_is_quoted(tmp_path, destination):
    data = pa.table({"amount": [1.5], "n": [2]})
    result = export(data, destination(separator="."), tmp_path)
    assert read_text(result.files[0]) == 'amount.n\n"1.5".2\n'


def test_crlf_and_header_off(tmp_path, destination):
    result = export(QUOTING.slice(0, 3), destination(line_ending="CRLF", header=False), tmp_path)
    raw = result.files[0].read_bytes()
    # Line breaks inside a quoted value are data and stay as they were.
    assert raw == b'1,"a,b",2020-01-31\r\n,"say ""hi""",\r\n3,"multi\nline",2020-02-29\r\n'


def test_an_unusable_separator_is_refused(tmp_path, destination):
    with pytest.raises(ExportError, match="separator"):
        export(QUOTING, destination(separator='"'), tmp_path)
    assert not any((tmp_path / "out").iterdir())


TYPED = pa.table(
    {
        "id": pa.array([1, None], pa.int64()),
        "amount": pa.array([Decimal("0.0000001"), Decimal("-12345678901234567890.5")], pa.decimal128(38, 7)),
        "score": [1e20, 0.1],
        "birthdate": [date(1990, 1, 31), None],
        "seen_at": pa.array([datetime(2020, 1, 1, 23), datetime(2020, 2, 29, 8, 30, 15, 120000)], pa.timestamp("us")),
        "seen_utc": pa.array([datetime(2020, 1, 1, 23, tzinfo=timezone.utc), None], pa.timestamp("ms", "America/New_York")),
        "active": [True, None],
        "tags": [["vip", 'q"'], None],
        "attributes": pa.array([[("size", 1)], []], pa.map_(pa.string(), pa.int64())),
    }
)


def test_delimited_values_are_iso_and_plain(tmp_path, destination):
    result = export(TYPED, destination(), tmp_path)
    lines = read_text(result.files[0]).splitlines()
    assert lines == [
        "id,amount,score,birthdate,seen_at,seen_utc,active,tags,attributes",
        '1,0.0000001,100000000000000000000,1990-01-31,2020-01-01T23:00:00,2020-01-01T23:00:00Z,true,"[""vip"",""q\\""""]","{""size"":1}"',
        ",-12345678901234567890.5000000,0.1,,2020-02-29T08:30:15.12,,,,{}",
    ]


def test_json_is_one_array_with_typed_values(tmp_path, destination):
    result = export(TYPED, destination(format="json"), tmp_path)
    assert result.files[0].name == "Audience.json"
    text = read_text(result.files[0])
    assert text.startswith("[\n{") and text.endswith("}\n]\n")
    rows = json.loads(text, parse_float=Decimal)
    assert rows == [
        {
            "id": 1,
            "amount": Decimal("1E-7"),
            "score": 100000000000000000000,
            "birthdate": "1990-01-31",
            "seen_at": "2020-01-01T23:00:00",
            "seen_utc": "2020-01-01T23:00:00Z",
            "active": True,
            "tags": ["vip", 'q"'],
            "attributes": {"size": 1},
        },
        {
            "id": None,
            "amount": Decimal("-12345678901234567890.5000000"),
            "score": Decimal("0.1"),
            "birthdate": None,
            "seen_at": "2020-02-29T08:30:15.12",
            "seen_utc": None,
            "active": None,
            "tags": None,
            "attributes": {},
        },
    ]


def test_ndjson_is_one_object_per_line(tmp_path, destination):
    data = pa.table({"name": ["Ann", "line\nbreak", None], "n": [1, 2, 3]})
    result = export(data, destination(format="ndjson", line_ending="CRLF"), tmp_path)
    raw = read_text(result.files[0])
    assert raw == '{"name":"Ann","n":1}\r\n{"name":"line\\nbreak","n":2}\r\n{"name":null,"n":3}\r\n'
    assert [json.loads(line) for line in raw.splitlines()] == data.to_pylist()


def test_json_of_no_rows_is_an_empty_array(tmp_path, destination):
    result = export(TYPED.slice(0, 0), destination(format="json"), tmp_path)
    assert json.loads(read_text(result.files[0])) == []


def test_parquet_keeps_the_arrow_schema(tmp_path, destination):
    result = export(TYPED, destination(format="parquet"), tmp_path)
    assert result.files[0].name == "Audience.parquet"
    assert pq.read_table(result.files[0]).equals(TYPED)


def test_parquet_gzip_compresses_inside_the_file(tmp_path, destination):
    result = export(TYPED, destination(format="parquet", compression="gzip"), tmp_path)
    assert result.files[0].name == "Audience.parquet"
    assert pq.ParquetFile(result.files[0]).metadata.row_group(0).column(0).compression == "GZIP"
    assert pq.read_table(result.files[0]).equals(TYPED)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "ndjson"])
def test_gzip_round_trip(tmp_path, destination, fmt):
    plain = export(QUOTING, destination(format=fmt, filename_template="plain"), tmp_path)
    zipped = export(QUOTING, destination(format=fmt, compression="gzip", filename_template="zipped"), tmp_path)
    assert zipped.files[0].name == f"zipped.{fmt}.gz"
    assert read_text(zipped.files[0]) == read_text(plain.files[0])
    header = zipped.files[0].read_bytes()[:64]
    assert header[:2] == b"\x1f\x8b"
    assert header[10:].split(b"\0")[0] == f"zipped.{fmt}".encode()  # the final name, not the temporary one


def test_large_results_stream_in_batches(tmp_path, destination):
    rows = 150_000
    schema = pa.schema([("i", pa.int64()), ("label", pa.string())])

    def batches():
        for start in range(0, rows, 10_000):
            values = list(range(start, start + 10_000))
            yield pa.record_batch([values, [f"row {v}" for v in values]], schema=schema)

    reader = pa.RecordBatchReader.from_batches(schema, batches())
    result = export(reader, destination(compression="gzip"), tmp_path)
    assert result.rows == rows
    with gzip.open(result.files[0], "rt", newline="") as handle:
        parsed = list(csv.reader(handle))
    assert len(parsed) == rows + 1
    assert parsed[-1] == [str(rows - 1), f"row {rows - 1}"]


def test_text_is_utf8(tmp_path, destination):
    data = pa.table({"name": ["Zoë", "渡辺"]})
    result = export(data, destination(format="csv"), tmp_path)
    assert result.files[0].read_bytes().decode("utf-8") == "name\nZoë\n渡辺\n"
    result = export(data, destination(format="ndjson"), tmp_path)
    assert [json.loads(line)["name"] for line in io.StringIO(read_text(result.files[0]))] == ["Zoë", "渡辺"]
