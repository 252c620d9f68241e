"""Whole-unit date differences over every pair of dates around month ends and leap days.

The references below restate Joda-Time's (Trino's date_diff) and java.time's (Spark's
timestampdiff) algorithms; the transpiled SQL must agree with them on every pair.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta

import pyarrow as pa
import pytest


def joda_months(start: date, end: date) -> int:
    """BasicMonthOfYearDateTimeField.getDifferenceAsLong on dates."""
    if end < start:
        return -joda_months(end, start)
    difference = (end.year - start.year) * 12 + end.month - start.month
    start_day = start.day
    # Adding months clamps to the month's last day, so a last-day end counts the month as whole.
    if end.day == calendar.monthrange(end.year, end.month)[1] and start_day > end.day:
        start_day = end.day
    return difference - 1 if end.day < start_day else difference


def joda_years(start: date, end: date) -> int:
    """BasicChronology.getYearDifference on dates (Feb 29 balanced against non-leap years)."""
    if end < start:
        return -joda_years(end, start)
    end_rem = (end - date(end.year, 1, 1)).days
    start_rem = (start - date(start.year, 1, 1)).days
    feb_29 = 31 + 28
    if start_rem >= feb_29:
        if calendar.isleap(start.year):
            if not calendar.isleap(end.year):
                start_rem -= 1
        elif end_rem >= feb_29 and calendar.isleap(end.year):
            end_rem -= 1
    difference = end.year - start.year
    return difference - 1 if end_rem < start_rem else difference


def java_months(start: date, end: date) -> int:
    """LocalDate.until(end, MONTHS)."""
    total = (end.year * 12 + end.month) - (start.year * 12 + start.month)
    days = end.day - start.day
    if total > 0 and days < 0:
        return total - 1
    if total < 0 and days > 0:
        return total + 1
    return total


def _dates() -> list[date]:
    windows = [(date(2019, 2, 20), 14), (date(2020, 1, 25), 42), (date(2021, 1, 25), 40), (date(2023, 12, 28), 66)]
    return [first + timedelta(days=offset) for first, length in windows for offset in range(length)]


@pytest.fixture(scope="module")
def pairs(engine):
    dates = _dates()
    starts = [a for a in dates for _ in dates]
    ends = [b for _ in dates for b in dates]
    engine.register_arrow("date_pairs", pa.table({"a": starts, "b": ends}))
    return list(zip(starts, ends))


def test_trino_date_diff_matches_joda(engine, pairs):
    result = engine.query(
        """
        SELECT date_diff('day', a, b) AS d, date_diff('week', a, b) AS w, date_diff('month', a, b) AS m,
               date_diff('quarter', a, b) AS q, date_diff('year', a, b) AS y
        FROM date_pairs
        """,
        dialect="presto",
    ).to_pylist()
    mismatches = []
    for (a, b), row in zip(pairs, result):
        months = joda_months(a, b)
        expected = {
            "d": (b - a).days,
            "w": math.trunc((b - a).days / 7),
            "m": months,
            "q": math.trunc(months / 3),
            "y": joda_years(a, b),
        }
        if row != expected:
            mismatches.append((a, b, row, expected))
    assert len(pairs) > 20_000
    assert mismatches == []


def test_spark_timestampdiff_matches_java_time(engine, pairs):
    result = engine.query(
        """
        SELECT timestampdiff(MONTH, a, b) AS m, timestampdiff(QUARTER, a, b) AS q, timestampdiff(YEAR, a, b) AS y,
               timestampdiff(DAY, a, b) AS d
        FROM date_pairs
        """,
        dialect="spark",
    ).to_pylist()
    mismatches = []
    for (a, b), row in zip(pairs, result):
        months = java_months(a, b)
        expected = {"m": months, "q": math.trunc(months / 3), "y": math.trunc(months / 12), "d": (b - a).days}
        if row != expected:
            mismatches.append((a, b, row, expected))
    assert mismatches == []
