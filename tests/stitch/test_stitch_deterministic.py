"""Deterministic Stitch end to end on hand-made records."""

import uuid

import pyarrow as pa
import pytest
from stitch_helpers import groups, ids_by_record, stitch

from amperity_pipelines.stitch import DeterministicSettings, StitchInputError, stitch_deterministic


def person(ds, pk, **values):
    return {"datasource": ds, "pk": pk, **values}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"email": "Ann@X.com"}, {"email": " ann+shop@x.com"}),
        ({"phone": "(206) 555-0100"}, {"phone": "+1 206 555 0100"}),
        ({"fk_pos_customer": "c-1"}, {"fk_pos_customer": " C-1 "}),
        ({"loyalty_id": "l9"}, {"loyalty_id": "L9"}),
    ],
    ids=["email", "phone", "fk", "loyalty_id"],
)
def test_each_key_connects(con, a, b):
    result = stitch(con, [person("pos", "1", **a), person("web", "1", **b)])
    assert groups(result) == {frozenset({"pos:1", "web:1"})}


def test_matching_is_transitive(con):
    rows = [
        person("pos", "1", email="a@x.com"),
        person("web", "1", email="a@x.com", phone="2065550100"),
        person("crm", "1", phone="206-555-0100", fk_crm="K1"),
        person("crm", "2", fk_crm="k1"),
        person("crm", "3", email="b@x.com"),
    ]
    assert groups(stitch(con, rows)) == {
        frozenset({"pos:1", "web:1", "crm:1", "crm:2"}),
        frozenset({"crm:3"}),
    }


def test_different_fk_columns_do_not_match_each_other(con):
    rows = [person("pos", "1", fk_pos="42"), person("web", "1", fk_web="42")]
    assert len(groups(stitch(con, rows))) == 2


@pytest.mark.parametrize(
    "shared",
    [
        {"email": "test@x.com"},
        {"email": "nobody@noemail.com"},
        {"email": "not-an-email"},
        {"phone": "000-000-0000"},
        {"phone": "1234567890"},
        {"phone": "555-0100"},
        {"fk_pos": "  "},
    ],
)
def test_junk_values_do_not_connect(con, shared):
    rows = [person("pos", "1", given_name="Ann", **shared), person("pos", "2", given_name="Bob", **shared)]
    result = stitch(con, rows)
    assert len(groups(result)) == 2
    assert result.unified_coalesced.column("has_blv").to_pylist() == [False, False]


def test_match_on_limits_the_keys(con):
    rows = [
        person("pos", "1", email="a@x.com", phone="2065550100"),
        person("web", "1", email="a@x.com"),
        person("web", "2", phone="2065550100"),
    ]
    assert groups(stitch(con, rows, match_on=("phone",))) == {
        frozenset({"pos:1", "web:2"}),
        frozenset({"web:1"}),
    }
    assert len(groups(stitch(con, rows, match_on=()))) == 3


def shared_email_rows(given_names: int):
    rows = [person("pos", str(i), given_name=f"Name{i}", email="info@shop.com") for i in range(given_names)]
    rows += [person("web", "x", given_name="Name0", email="info@shop.com", phone="2065550100")]
    rows += [person("web", "y", given_name="Other", phone="2065550100")]
    return rows


def test_bad_value_guard_ignores_an_email_with_too_many_given_names(con):
    result = stitch(con, shared_email_rows(21))
    # the email connects nobody; the phone still connects web:x and web:y
    assert groups(result) == {frozenset({"web:x", "web:y"})} | {frozenset({f"pos:{i}"}) for i in range(21)}
    flags = {r["pk"]: (r["blv_email"], r["blv_phone"], r["has_blv"]) for r in result.unified_coalesced.to_pylist()}
    assert flags["x"] == (True, False, True)
    assert flags["y"] == (False, False, False)
    assert flags["0"] == (True, False, True)
    assert result.bad_values.to_pylist() == [
        {"semantic": "email", "value": "info@shop.com", "num_records": 22, "num_given_names": 21}
    ]
    assert result.stats.bad_values == 1
    # original value stays in the output
    assert set(result.unified_coalesced.column("email").to_pylist()) == {"info@shop.com", None}


def test_bad_value_guard_threshold_is_configurable(con):
    assert len(groups(stitch(con, shared_email_rows(20)))) == 1  # 20 names is not more than 20
    assert len(groups(stitch(con, shared_email_rows(21), bad_value_max_given_names=None))) == 1
    result = stitch(con, shared_email_rows(3), bad_value_max_given_names=2)
    assert len(groups(result)) == 4


def test_output_contract(con):
    rows = [
        person(
            "pos",
            "1",
            given_name="Ann",
            surname="Lee",
            email=" ANN@X.COM ",
            phone="(206) 555-0100",
            birthdate="1980-02-03",
            update_dt="2024-05-06 07:08:09",
            fk_pos_customer="c1",
            extra_column="dropped",
        ),
        person("web", "7", full_name="Acme Corp", email="ann@x.com", fk_web="w1"),
    ]
    table = stitch(con, rows).unified_coalesced
    assert table.column_names == [
        "amperity_id", "datasource", "pk", "given_name", "surname", "full_name", "generational_suffix",
        "title", "email", "phone", "address", "address2", "city", "state", "postal", "country",
        "birthdate", "gender", "company", "loyalty_id", "ck", "fk_pos_customer", "fk_web",
        "create_dt", "update_dt", "component_id", "is_supersized", "has_blv", "blv_email", "blv_phone",
    ]  # fmt: skip
    assert table.schema.field("birthdate").type == pa.date32()
    assert table.schema.field("update_dt").type == pa.timestamp("us")
    assert table.schema.field("is_supersized").type == pa.bool_()
    rows_out = {row["pk"]: row for row in table.to_pylist()}
    assert rows_out["1"]["email"] == " ANN@X.COM "  # original, not normalised
    assert rows_out["1"]["phone"] == "(206) 555-0100"
    assert rows_out["1"]["full_name"] == "Ann Lee"
    assert rows_out["7"]["full_name"] == "Acme Corp"
    assert rows_out["7"]["given_name"] is None
    assert rows_out["1"]["amperity_id"] == rows_out["7"]["amperity_id"]
    assert rows_out["1"]["component_id"] == rows_out["7"]["component_id"]
    assert str(rows_out["1"]["birthdate"]) == "1980-02-03"


def test_amperity_ids_are_uuid4_shaped_and_deterministic(con):
    rows = [person("pos", str(i), email=f"p{i % 3}@x.com") for i in range(9)]
    first = ids_by_record(stitch(con, rows))
    again = ids_by_record(stitch(con, list(reversed(rows))))
    assert first == again
    for value in first.values():
        parsed = uuid.UUID(value)
        assert str(parsed) == value and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    reseeded = ids_by_record(stitch(con, rows, id_seed="other"))
    assert set(reseeded.values()).isdisjoint(first.values())


def test_missing_optional_columns_and_non_string_keys(con):
    con.execute("CREATE TABLE typed AS SELECT 'pos' AS datasource, 42 AS pk UNION ALL SELECT 'pos', 43")
    result = stitch_deterministic(con, "typed")
    assert result.unified_coalesced.column("pk").to_pylist() in (["42", "43"], ["43", "42"])
    assert result.unified_coalesced.column("email").null_count == 2
    assert result.stats.amperity_ids == 2


def test_a_cluster_over_the_supersized_threshold_is_not_one_amperity_id(con):
    # Shared keys are equally strong: the four records sharing a phone stand alone past the threshold.
    rows = [person("pos", str(i), phone="2065550100", given_name="Ann") for i in range(4)] + [person("pos", "z")]
    over = stitch(con, rows, supersized_threshold=3)
    assert groups(over) == {frozenset({f"pos:{pk}"}) for pk in ("0", "1", "2", "3", "z")}
    assert (over.stats.supersized_split, over.stats.supersized_clusters) == (1, 0)
    assert not any(over.unified_coalesced.column("is_supersized").to_pylist())
    at = stitch(con, rows, supersized_threshold=4)
    assert frozenset({"pos:0", "pos:1", "pos:2", "pos:3"}) in groups(at)
    assert (at.stats.supersized_split, at.stats.supersized_clusters) == (0, 0)


def test_stats_and_cluster_size_buckets(con):
    rows = []
    for size, count in ((1, 3), (2, 2), (5, 1), (7, 1), (64, 1)):
        for c in range(count):
            rows += [person("pos", f"{size}-{c}-{i}", email=f"s{size}c{c}@x.com") for i in range(size)]
    stats = stitch(con, rows).stats
    assert stats.records == 3 + 4 + 5 + 7 + 64
    assert stats.amperity_ids == 8
    assert stats.dedupe_rate == pytest.approx((83 - 8) / 83)
    assert stats.cluster_sizes == {
        "1": 3, "2": 2, "3": 0, "4": 0, "5": 1, "6-10": 1, "11-20": 0, "21-63": 0, "64+": 1,
    }  # fmt: skip
    assert stats.as_dict()["dedupe_rate"] == stats.dedupe_rate


def test_empty_input(con):
    con.execute("CREATE TABLE empty (datasource VARCHAR, pk VARCHAR, email VARCHAR)")
    result = stitch_deterministic(con, "empty")
    assert result.unified_coalesced.num_rows == 0
    assert result.stats.records == 0 and result.stats.dedupe_rate == 0.0


def test_input_errors(con):
    with pytest.raises(StitchInputError, match="pk"):
        stitch(con, [{"datasource": "pos", "email": "a@x.com"}])
    with pytest.raises(StitchInputError, match=r"\('pos', '1'\) x2"):
        stitch(con, [person("pos", "1"), person("pos", "1")])
    with pytest.raises(StitchInputError, match="non-null"):
        stitch(con, [person("pos", None)])
    with pytest.raises(ValueError, match="unknown match key"):
        DeterministicSettings(match_on=("ssn",))
    assert DeterministicSettings(match_on=["email"]).match_on == ("email",)  # lists from YAML config


def test_leaves_no_scratch_tables_behind(con):
    first = stitch(con, [person("pos", "1", email="a@x.com")])
    stitch(con, [person("pos", "1", email="a@x.com")], previous=first.unified_coalesced)
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '%stitch%'").fetchall()
    views = con.execute("SELECT view_name FROM duckdb_views() WHERE view_name LIKE '%stitch%'").fetchall()
    assert tables == [] and views == []
