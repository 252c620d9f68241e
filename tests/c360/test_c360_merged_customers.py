"""Merged Customers: which row wins each attribute group, on hand-made Unified Coalesced rows."""

from datetime import datetime

import pytest
from c360_helpers import by_id, unified_coalesced

from amperity_pipelines.c360 import MERGE_GROUPS, merged_customers
from amperity_pipelines.c360.merged_customers import completion, priority
from amperity_pipelines.engines.sql_templates import render

FULL_ADDRESS = {"address": "9 Elm St", "city": "Portland", "state": "OR", "postal": "97201"}


def merge(con, rows, source_priority=None, field_priority=None):
    view = unified_coalesced(con, rows)
    return by_id(
        merged_customers(con, view, source_priority=source_priority or {}, field_priority=field_priority or {})
    )


def test_output_columns(con):
    relation = merged_customers(
        con,
        unified_coalesced(con, [{"amperity_id": "A", "datasource": "pos", "pk": "1"}]),
        source_priority={},
        field_priority={},
    )
    expected = ["amperity_id"]
    for group, values in MERGE_GROUPS.items():
        expected += [*values] + [f"{group}_{p}" for p in ("datasource", "pk", "update_dt", "priority", "completion")]
    assert relation.columns == expected


def test_completeness_beats_priority(con):
    rows = [
        {"amperity_id": "A", "datasource": "pos", "pk": "1", "address": "1 Main St", "email": None},
        {"amperity_id": "A", "datasource": "web", "pk": "1", **FULL_ADDRESS, "email": "a@x.com"},
    ]
    (a,) = merge(con, rows, source_priority={"pos": 1, "web": 5}).values()
    assert (a["address"], a["city"], a["address_datasource"]) == ("9 Elm St", "Portland", "web")
    assert (a["address_completion"], a["address_priority"]) == (4, 5)
    assert (a["email"], a["email_datasource"], a["email_completion"]) == ("a@x.com", "web", 1)


def test_field_priority_beats_source_priority(con):
    rows = [
        {"amperity_id": "A", "datasource": "pos", "pk": "1", "email": "pos@x.com", "phone": "1111"},
        {"amperity_id": "A", "datasource": "web", "pk": "1", "email": "web@x.com", "phone": "2222"},
    ]
    (a,) = merge(con, rows, source_priority={"pos": 1, "web": 2}, field_priority={"email": {"web": 0}}).values()
    assert (a["email"], a["email_priority"]) == ("web@x.com", 0)
    assert (a["phone"], a["phone_priority"]) == ("1111", 1)


def test_unlisted_sources_get_999(con):
    rows = [
        {"amperity_id": "A", "datasource": "crm", "pk": "1", "gender": "F"},
        {"amperity_id": "A", "datasource": "web", "pk": "1", "gender": "M"},
    ]
    assert merge(con, rows, source_priority={"web": 998})["A"]["gender"] == "M"
    winner = merge(con, rows, source_priority={"web": 1000})["A"]
    assert (winner["gender"], winner["gender_priority"]) == ("F", 999)
    assert merge(con, rows)["A"]["gender_priority"] == 999


def test_update_dt_breaks_ties_latest_first_nulls_last(con):
    rows = [
        {"amperity_id": "A", "datasource": "pos", "pk": "1", "phone": "old", "update_dt": datetime(2023, 1, 1)},
        {"amperity_id": "A", "datasource": "pos", "pk": "2", "phone": "new", "update_dt": datetime(2024, 1, 1)},
        {"amperity_id": "A", "datasource": "pos", "pk": "3", "phone": "undated", "update_dt": None},
    ]
    a = merge(con, rows)["A"]
    assert (a["phone"], a["phone_pk"], a["phone_update_dt"]) == ("new", "2", datetime(2024, 1, 1))


def test_pk_breaks_the_last_tie(con):
    rows = [
        {"amperity_id": "A", "datasource": "pos", "pk": "b", "birthdate": "1990-01-02"},
        {"amperity_id": "A", "datasource": "pos", "pk": "a", "birthdate": "1980-01-02"},
    ]
    rows = [r | {"birthdate": datetime.fromisoformat(r["birthdate"]).date()} for r in rows]
    a = merge(con, rows)["A"]
    assert (str(a["birthdate"]), a["birthdate_pk"]) == ("1980-01-02", "a")


def test_whole_address_group_comes_from_one_row(con):
    rows = [
        {
            "amperity_id": "A",
            "datasource": "pos",
            "pk": "1",
            "address": "1 Main St",
            "city": "Seattle",
            "state": "WA",
            "postal": "98101",
        },
        {"amperity_id": "A", "datasource": "web", "pk": "1", **FULL_ADDRESS, "address2": "Apt 2", "country": "US"},
    ]
    a = merge(con, rows, source_priority={"pos": 1, "web": 2})["A"]
    assert [a[c] for c in MERGE_GROUPS["address"]] == ["1 Main St", None, "Seattle", "WA", "98101", None]


def test_name_completeness(con):
    rows = [
        {"amperity_id": "A", "datasource": "pos", "pk": "1", "given_name": "Ann", "full_name": "Ann"},
        {
            "amperity_id": "A",
            "datasource": "web",
            "pk": "1",
            "given_name": "Ann",
            "surname": "Lee",
            "full_name": "Ann Lee",
        },
        {"amperity_id": "B", "datasource": "pos", "pk": "2", "surname": "Lee", "full_name": "Lee"},
        {"amperity_id": "B", "datasource": "web", "pk": "2", "full_name": "Acme Corp"},
        {"amperity_id": "C", "datasource": "pos", "pk": "3"},
    ]
    merged = merge(con, rows, source_priority={"pos": 1, "web": 2})
    assert (merged["A"]["surname"], merged["A"]["name_completion"]) == ("Lee", 2)
    assert (merged["B"]["full_name"], merged["B"]["surname"], merged["B"]["name_completion"]) == ("Acme Corp", None, 2)
    assert (merged["C"]["given_name"], merged["C"]["name_completion"]) == (None, 0)


def test_fragments_golden():
    assert render(priority("email", {"pos": 1, "web": 2}, {"email": {"web": 0}, "name": {"pos": 7}})) == (
        "CASE datasource WHEN 'pos' THEN 1 WHEN 'web' THEN 0 ELSE 999 END"
    )
    assert render(priority("phone", {}, {})) == "999"
    assert render(completion("address")) == (
        "CAST(NOT address IS NULL AS INT) + CAST(NOT city IS NULL AS INT) "
        "+ CAST(NOT state IS NULL AS INT) + CAST(NOT postal IS NULL AS INT)"
    )
    assert render(completion("gender")) == "CAST(NOT gender IS NULL AS INT)"


def test_unknown_field_priority_group(con):
    with pytest.raises(ValueError, match="unknown field priority group"):
        merged_customers(con, "uc", source_priority={}, field_priority={"shoe_size": {"pos": 1}})
