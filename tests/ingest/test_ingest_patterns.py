"""File patterns (Joda dates, quoted literals, wildcards), Joda -> strptime, and discovery."""

from __future__ import annotations

import os
from datetime import date, datetime

import pytest

from amperity_pipelines.config.datetime_patterns import Field, Literal, Wildcard, tokenize
from amperity_pipelines.config.models import FileSpec
from amperity_pipelines.ingest import (
    FilePattern,
    MissingFileError,
    PatternError,
    discover,
    discover_fileset,
    feeds_of,
    joda_to_strptime,
)

AMPERITY_EXAMPLE = "'files/'yyyy'/'MM'/'dd'/customers-*.csv'"


def test_tokenize_fields_literals_and_escaped_quotes():
    assert tokenize("yyyy-MM-dd'T'HH") == [
        Field("y", 4), Literal("-"), Field("M", 2), Literal("-"), Field("d", 2), Literal("T"), Field("H", 2),
    ]
    assert tokenize("'it''s 'yy") == [Literal("it's "), Field("y", 2)]
    assert tokenize("''yyyy''") == [Literal("'"), Field("y", 4), Literal("'")]


def test_wildcards_only_in_file_patterns_and_also_inside_quotes():
    assert tokenize("'a-*.csv'", wildcards=True) == [Literal("a-"), Wildcard(), Literal(".csv")]
    assert tokenize("*'b'", wildcards=True) == [Wildcard(), Literal("b")]
    assert tokenize("'a-*'") == [Literal("a-*")]


def test_unterminated_quote_is_an_error():
    with pytest.raises(PatternError, match="unterminated quote"):
        tokenize("'files/yyyy")


@pytest.mark.parametrize(
    ("joda", "expected"),
    [
        ("yyyy-MM-dd HH:mm:ss", ("%Y-%m-%d %H:%M:%S",)),
        ("MM/dd/yyyy", ("%m/%d/%Y",)),
        ("M/d/yy", ("%-m/%-d/%y",)),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", ("%Y-%m-%dT%H:%M:%S.%g%z", "%Y-%m-%dT%H:%M:%S.%gZ")),
        ("dd MMM yyyy hh:mm a", ("%d %b %Y %I:%M %p",)),
        ("EEEE, MMMM d, yyyy", ("%A, %B %-d, %Y",)),
        ("yyyyMMdd'100%'", ("%Y%m%d100%%",)),
        ("HH:mm:ss.SSSSSS", ("%H:%M:%S.%f",)),
    ],
)
def test_joda_to_strptime(joda, expected):
    assert joda_to_strptime(joda) == expected


def test_joda_to_strptime_rejects_unknown_fields():
    with pytest.raises(PatternError, match="unsupported Joda-Time field 'QQ'"):
        joda_to_strptime("yyyy-QQ")


def test_amperity_example_for_date_and_match():
    pattern = FilePattern.compile(AMPERITY_EXAMPLE)
    assert pattern.for_date(date(2020, 4, 10)) == "files/2020/04/10/customers-*.csv"
    found = pattern.match("files/2020/04/10/customers-1.csv")
    assert found is not None and found.file_date == date(2020, 4, 10) and found.file_datetime is None
    assert pattern.match("files/2020/04/10/customers-.csv").file_date == date(2020, 4, 10)


@pytest.mark.parametrize(
    "relpath",
    [
        "files/2020/04/10/sub/customers-1.csv",  # * does not cross /
        "files/2020/4/10/customers-1.csv",  # MM needs two digits
        "files/2020/13/10/customers-1.csv",  # not a calendar date
        "files/2020/04/10/customers-1.csv.gz",
        "other/2020/04/10/customers-1.csv",
    ],
)
def test_match_rejects(relpath):
    assert FilePattern.compile(AMPERITY_EXAMPLE).match(relpath) is None


def test_single_letter_fields_two_digit_years_and_times():
    pattern = FilePattern.compile("'orders_'yyMd'_'HHmmss'.csv'")
    found = pattern.match("orders_2041_235959.csv")
    assert found.file_datetime == datetime(2020, 4, 1, 23, 59, 59)
    assert FilePattern.compile("'x_'M'-'d'.csv'").match("x_12-31.csv").file_date == date(1970, 12, 31)
    # time fields are wildcards when only a day is known, filled in for a datetime
    assert pattern.for_date(date(2020, 4, 1)) == "orders_2041_[0-9][0-9][0-9][0-9][0-9][0-9].csv"
    assert pattern.for_date(datetime(2020, 4, 1, 7, 5, 3)) == "orders_2041_070503.csv"


def test_repeated_fields_must_agree():
    pattern = FilePattern.compile("yyyy'/'yyyyMMdd'.csv'")
    assert pattern.match("2020/20200410.csv").file_date == date(2020, 4, 10)
    assert pattern.match("2019/20200410.csv") is None


def test_pattern_without_date_matches_with_no_date():
    pattern = FilePattern.compile("'exports/customers-*.csv'")
    assert pattern.match("exports/customers-all.csv").file_date is None
    assert pattern.match("exports/orders.csv") is None
    assert pattern.for_date(date(2020, 1, 1)) == "exports/customers-*.csv"


def test_unquoted_letters_are_an_error_that_says_to_quote_them():
    with pytest.raises(PatternError, match="single quotes"):
        FilePattern.compile("customers_yyyyMMdd.csv")


def test_glob_special_characters_in_literals_are_escaped():
    assert FilePattern.compile("'data[1]?.csv'").for_date(date(2020, 1, 1)) == "data[[]1][?].csv"


def _touch(root, relpath, content="a\n1\n"):
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


@pytest.fixture
def landing(tmp_path):
    for day in (8, 9, 10, 11):
        _touch(tmp_path, f"files/2020/04/{day:02d}/customers-b.csv")
        _touch(tmp_path, f"files/2020/04/{day:02d}/customers-a.csv")
    _touch(tmp_path, "files/2020/04/10/orders-a.csv")
    _touch(tmp_path, "files/2020/04/10/nested/customers-x.csv")
    _touch(tmp_path, "elsewhere/2020/04/10/customers-a.csv")
    return tmp_path


def test_discover_one_day_ordered_by_path(landing):
    spec = FileSpec(pattern=AMPERITY_EXAMPLE, feed="Customers")
    found = discover(landing, spec, day=date(2020, 4, 10))
    assert [f.relpath for f in found] == ["files/2020/04/10/customers-a.csv", "files/2020/04/10/customers-b.csv"]
    first = found[0]
    assert first.path == landing / first.relpath and first.path.is_absolute()
    assert first.file_date == date(2020, 4, 10)
    assert first.size == os.path.getsize(first.path) and first.mtime_ns == os.stat(first.path).st_mtime_ns


def test_discover_range_is_end_exclusive_and_ordered_by_date_then_path(landing):
    spec = FileSpec(pattern=AMPERITY_EXAMPLE, feed="Customers")
    found = discover(landing, spec, start=date(2020, 4, 9), end=date(2020, 4, 11))
    assert [(f.file_date.day, f.relpath.rsplit("/", 1)[1]) for f in found] == [
        (9, "customers-a.csv"), (9, "customers-b.csv"), (10, "customers-a.csv"), (10, "customers-b.csv"),
    ]
    assert len(discover(landing, spec, start=date(2020, 4, 11))) == 2
    assert len(discover(landing, spec, end=date(2020, 4, 9))) == 2
    assert len(discover(landing, spec)) == 8
    with pytest.raises(ValueError, match="not both"):
        discover(landing, spec, day=date(2020, 4, 10), start=date(2020, 4, 9))


def test_discover_fileset_groups_feeds_and_reports_missing_files(landing):
    customers = FileSpec(pattern=AMPERITY_EXAMPLE, feed="Customers")
    orders = FileSpec(pattern="'files/'yyyy'/'MM'/'dd'/orders-*.csv'", feed="Orders")
    pairs = discover_fileset(landing, [customers, orders], day=date(2020, 4, 10))
    grouped = feeds_of(pairs)
    assert [f.relpath for f, _ in grouped["Customers"]] == [
        "files/2020/04/10/customers-a.csv", "files/2020/04/10/customers-b.csv",
    ]
    assert [f.relpath for f, _ in grouped["Orders"]] == ["files/2020/04/10/orders-a.csv"]

    with pytest.raises(MissingFileError, match=r"files/2020/04/09/orders-\*\.csv \(for 2020-04-09\)"):
        discover_fileset(landing, [customers, orders], day=date(2020, 4, 9))
    optional = orders.model_copy(update={"optional": True})
    assert len(discover_fileset(landing, [customers, optional], day=date(2020, 4, 9))) == 2
