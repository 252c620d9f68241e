"""Typing raw values by field type, with rejection reasons; missing and extra columns."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from amperity_pipelines.ingest import IngestError, arrow_schema, typed_select


def type_values(con, feed, columns: dict[str, list], *, types: dict[str, str] | None = None):
    """Type one table of raw values; returns (typed rows, _errors per row)."""
    types = types or {}
    data = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    view = con.from_arrow(data)
    cast = ", ".join(f'CAST("{n}" AS {types[n]}) AS "{n}"' if n in types else f'"{n}"' for n in columns)
    view = con.sql(f"SELECT {cast} FROM view")
    source_columns = dict(zip(view.columns, map(str, view.types), strict=True))
    con.execute("SET TimeZone = 'UTC'")
    select = typed_select(feed, source_columns, "view", source_name="data.csv")
    rows = con.sql(select.sql).to_arrow_table().to_pylist()
    errors = [row.pop("_errors") for row in rows]
    return rows, errors, select


def single(con, make_feed, kind, values, **field_options):
    feed = make_feed(("v", kind, field_options))
    rows, errors, _ = type_values(con, feed, {"v": values})
    return [r["v"] for r in rows], errors


def test_boolean_words_any_case_and_bad_values(con, make_feed):
    values = ["true", "T", "Yes", "y", "1", "FALSE", "f", "no", "N", "0", " yes ", "", None, "maybe", "2"]
    typed, errors = single(con, make_feed, "Boolean", values)
    assert typed == [True] * 5 + [False] * 5 + [True, None, None, None, None]
    assert errors[:13] == [None] * 13
    assert errors[13] == [{"column": "v", "value": "maybe", "reason": "expected Boolean (true/false, t/f, yes/no, y/n, 1/0)"}]


def test_integer_rejects_fractions_instead_of_rounding(con, make_feed):
    typed, errors = single(con, make_feed, "Integer", ["42", " -7 ", "12.0", "1e3", "12.5", "1,000", "x", "", "9223372036854775808"])
    assert typed == [42, -7, 12, 1000, None, None, None, None, None]
    assert [e[0]["value"] if e else None for e in errors] == [None, None, None, None, "12.5", "1,000", "x", None, "9223372036854775808"]
    assert errors[4][0]["reason"] == "expected Integer"


def test_float(con, make_feed):
    typed, errors = single(con, make_feed, "Float", ["1.5", "-2e-3", " 3 ", "abc"])
    assert typed == [1.5, -0.002, 3.0, None]
    assert errors[3][0]["reason"] == "expected Float"


def test_decimal_scale_rounding_and_wide_values(con, make_feed):
    typed, errors = single(con, make_feed, "Decimal(38,2)", ["12.345", "-0.015", "12345678901234567890123.45", "$5", "1e2"])
    assert typed == [Decimal("12.35"), Decimal("-0.02"), Decimal("12345678901234567890123.45"), None, Decimal("100.00")]
    assert errors[3][0]["reason"] == "expected Decimal(38,2)"
    typed, _ = single(con, make_feed, "Decimal", ["1.239"])  # Decimal without a scale is (38,2)
    assert typed == [Decimal("1.24")]
    typed, _ = single(con, make_feed, "Decimal(38,20)", ["1.00000000000000000001"])
    assert typed == [Decimal("1.00000000000000000001")]


def test_string_empty_is_null_and_whitespace_is_kept(con, make_feed):
    typed, errors = single(con, make_feed, "String", ["a", "", " ", None])
    assert typed == ["a", None, " ", None] and errors == [None] * 4


def test_date_iso_and_joda_formats(con, make_feed):
    typed, errors = single(con, make_feed, "Date", ["2020-04-10", "2020-04-10 13:45:00", "2020-13-01", "04/10/2020"])
    assert typed == [date(2020, 4, 10), date(2020, 4, 10), None, None]
    assert errors[2][0]["reason"] == "expected Date in ISO 8601 format (yyyy-MM-dd)"

    typed, errors = single(con, make_feed, "Date", ["04/10/2020", "4/1/2020", " 12/31/1999 ", "2020-04-10"], format="MM/dd/yyyy")
    assert typed == [date(2020, 4, 10), date(2020, 4, 1), date(1999, 12, 31), None]
    assert errors[3] == [{"column": "v", "value": "2020-04-10", "reason": "expected Date in format MM/dd/yyyy"}]


def test_datetime_iso_converts_offsets_to_utc(con, make_feed):
    values = ["2020-04-10T13:45:00", "2020-04-10 13:45:00.123", "2020-04-10T13:45:00Z", "2020-04-10T13:45:00+02:00", "2020-04-10", "soon"]
    typed, errors = single(con, make_feed, "Datetime", values)
    assert typed == [
        datetime(2020, 4, 10, 13, 45), datetime(2020, 4, 10, 13, 45, 0, 123000), datetime(2020, 4, 10, 13, 45),
        datetime(2020, 4, 10, 11, 45), datetime(2020, 4, 10), None,
    ]
    assert errors[5][0]["reason"].startswith("expected Datetime in ISO 8601 format")


@pytest.mark.parametrize(
    ("joda", "value", "expected"),
    [
        ("yyyy-MM-dd HH:mm:ss", "2020-04-10 13:45:09", datetime(2020, 4, 10, 13, 45, 9)),
        ("MM/dd/yyyy hh:mm a", "04/10/2020 01:45 PM", datetime(2020, 4, 10, 13, 45)),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2020-04-10T13:45:09.250-0700", datetime(2020, 4, 10, 20, 45, 9, 250000)),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2020-04-10T13:45:09.250Z", datetime(2020, 4, 10, 13, 45, 9, 250000)),
        ("yyyyMMddHHmmss", "20200410134509", datetime(2020, 4, 10, 13, 45, 9)),
        ("dd MMM yyyy", "10 Apr 2020", datetime(2020, 4, 10)),
        ("epoch", "1586526309", datetime(2020, 4, 10, 13, 45, 9)),
        ("epoch_ms", "1586526309250", datetime(2020, 4, 10, 13, 45, 9, 250000)),
    ],
)
def test_datetime_formats(con, make_feed, joda, value, expected):
    typed, errors = single(con, make_feed, "Datetime", [value], format=joda)
    assert typed == [expected] and errors == [None]


def test_datetime_bad_values_name_the_format(con, make_feed):
    typed, errors = single(con, make_feed, "Datetime", ["2020-04-10", "1e30"], format="yyyy-MM-dd HH:mm:ss")
    assert typed == [None, None]
    assert errors[0][0]["reason"] == "expected Datetime in format yyyy-MM-dd HH:mm:ss"
    typed, errors = single(con, make_feed, "Datetime", ["1e30", "12x"], format="epoch")
    assert typed == [None, None] and errors[0][0]["reason"] == "expected Datetime as seconds since 1970-01-01 UTC"


def test_feed_datetime_format_applies_where_a_field_has_none(con, make_feed):
    feed = make_feed(("a", "Date"), ("b", "Date", {"format": "yyyy-MM-dd"}), datetime_format="dd.MM.yyyy")
    rows, errors, _ = type_values(con, feed, {"a": ["10.04.2020"], "b": ["2020-04-10"]})
    assert rows == [{"a": date(2020, 4, 10), "b": date(2020, 4, 10)}] and errors == [None]


def test_several_bad_values_in_one_row_and_null_primary_key(con, make_feed):
    feed = make_feed(("id", "Integer", {"tags": ["pk"]}), ("born", "Date"), ("n", "Integer"))
    rows, errors, _ = type_values(con, feed, {"id": ["1", "", "3"], "born": ["x", "2020-01-01", "y"], "n": ["z", "2", "3"]})
    assert errors[0] == [
        {"column": "born", "value": "x", "reason": "expected Date in ISO 8601 format (yyyy-MM-dd)"},
        {"column": "n", "value": "z", "reason": "expected Integer"},
    ]
    assert errors[1] == [{"column": "id", "value": None, "reason": "primary key id is empty"}]
    assert [e["column"] for e in errors[2]] == ["born"]


def test_string_primary_key_empty_is_rejected(con, make_feed):
    feed = make_feed(("email", "String", {"tags": ["pk"]}))
    _, errors, _ = type_values(con, feed, {"email": ["a@x", "", None]})
    assert errors[0] is None
    assert errors[1] == errors[2] == [{"column": "email", "value": None, "reason": "primary key email is empty"}]


def test_source_column_renames_and_extra_columns_are_reported(con, make_feed):
    feed = make_feed({"name": "customer_id", "type": "Integer", "source_column": "CustID"}, ("email", "String"))
    rows, _, select = type_values(con, feed, {"CustID": ["7"], "EMAIL": ["a@x"], "junk": ["?"]})
    assert rows == [{"customer_id": 7, "email": "a@x"}]  # case-insensitive fallback for email
    assert select.columns == {"customer_id": "CustID", "email": "EMAIL"} and select.extra_columns == ("junk",)


def test_missing_column_names_file_column_and_found_columns(con, make_feed):
    feed = make_feed(("id", "Integer"), {"name": "email", "source_column": "EmailAddress"})
    with pytest.raises(IngestError) as caught:
        type_values(con, feed, {"id": ["1"], "mail": ["a@x"]})
    assert str(caught.value) == "data.csv: missing column EmailAddress (feed Customers); columns found: id, mail"
    assert caught.value.column == "EmailAddress" and caught.value.file == "data.csv"


def test_typed_sources_convert_directly(con, make_feed):
    feed = make_feed(
        ("i", "Integer"), ("f", "Float"), ("d", "Decimal(38,2)"), ("b", "Boolean"),
        ("day", "Date", {"format": "MM/dd/yyyy"}), ("ts", "Datetime"), ("s", "String"),
    )
    columns = {"i": ["3.0", "3.5"], "f": ["2", "2"], "d": ["1.239", "1"], "b": ["true", "false"],
               "day": ["2020-04-10", "2020-04-11"], "ts": ["2020-04-10 10:00:00+02", "2020-04-10 10:00:00+00"], "s": ["5", "6"]}
    types = {"i": "DOUBLE", "f": "INTEGER", "d": "DOUBLE", "b": "BOOLEAN", "day": "DATE", "ts": "TIMESTAMPTZ", "s": "BIGINT"}
    rows, errors, _ = type_values(con, feed, columns, types=types)
    # a DATE column ignores the text format; a DOUBLE with a fraction is no Integer
    assert rows[0] == {"i": 3, "f": 2.0, "d": Decimal("1.24"), "b": True, "day": date(2020, 4, 10),
                       "ts": datetime(2020, 4, 10, 8), "s": "5"}
    assert rows[1]["i"] is None and errors[1] == [{"column": "i", "value": "3.5", "reason": "expected Integer"}]


def test_arrow_schema_maps_types(make_feed):
    feed = make_feed(("a", "Boolean"), ("b", "Date"), ("c", "Datetime"), ("d", "Decimal(38,4)"),
                     ("e", "Float"), ("f", "Integer"), ("g", "String"))
    assert arrow_schema(feed) == pa.schema([
        ("a", pa.bool_()), ("b", pa.date32()), ("c", pa.timestamp("us")), ("d", pa.decimal128(38, 4)),
        ("e", pa.float64()), ("f", pa.int64()), ("g", pa.string()),
    ])
