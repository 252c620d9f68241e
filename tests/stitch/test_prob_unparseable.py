"""The engine reads birthdate and timestamps that are not dates as NULL, counts them, and
refuses them past `error_threshold`."""

from __future__ import annotations

import pytest
from prob_helpers import background, person, register

from amperity_pipelines.stitch import StitchInputError, StitchSettings, stitch_records


def rows():
    return background(60) + [
        person("pos", "leap", given_name="Ann", surname="Lee", birthdate="1986-02-29", update_dt="2024-01-01"),
        person("pos", "ok", given_name="Ann", surname="Lee", birthdate="1986-02-28", update_dt="yesterday"),
    ]


def test_impossible_dates_become_null_with_a_sample(con):
    result = stitch_records(con, register(con, rows()))
    by_pk = {r["pk"]: r for r in result.unified_coalesced.to_pylist() if r["datasource"] == "pos"}
    assert by_pk["leap"]["birthdate"] is None and str(by_pk["ok"]["birthdate"]) == "1986-02-28"
    assert by_pk["ok"]["update_dt"] is None
    found = result.stats.unparseable_values
    assert found["birthdate"]["count"] == 1 and found["birthdate"]["sample"] == [["pos", "leap", "1986-02-29"]]
    assert found["update_dt"]["sample"] == [["pos", "ok", "yesterday"]]
    assert found["birthdate"]["share"] == pytest.approx(1 / result.stats.records)


def test_over_the_threshold_the_run_is_refused(con):
    with pytest.raises(StitchInputError, match=r"birthdate: 1 value\(s\) .* pos:leap '1986-02-29'.*error threshold of 0.10%"):
        stitch_records(con, register(con, rows()), settings=StitchSettings(error_threshold="0.1%"))


@pytest.mark.parametrize(("given", "share"), [("5%", 0.05), (0.2, 0.2), ("0", 0.0)])
def test_the_threshold_reads_shares_and_percentages(given, share):
    assert StitchSettings(error_threshold=given).error_threshold == share


@pytest.mark.parametrize("given", ["150%", -0.1, "some", True])
def test_the_threshold_refuses_what_is_no_share(given):
    with pytest.raises(ValueError, match="error_threshold"):
        StitchSettings(error_threshold=given)
