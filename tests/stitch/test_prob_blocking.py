"""Blocking keys per strategy, candidate pairs, the block-size cap and its report."""

import duckdb
import pyarrow as pa
import pytest
from prob_helpers import person, stitch

from amperity_pipelines.engines.sql_templates import fill, render
from amperity_pipelines.stitch.blocking import (
    STRATEGY_FIELDS,
    block_sizes_query,
    oversized_query,
    pairs_query,
    strategy_bit,
    strategy_key,
)
from amperity_pipelines.stitch.settings import STRATEGIES

RECORD = {
    "rid": 0,
    "given_name": "JUSTIN",
    "surname": "CURRY",
    "birthdate": "1980-02-03",
    "postal": "98101",
    "address_key": "12 NORTH MAIN STREET 4",
    "phone": "2065550100",
    "email": "jcurry@mail.test",
    "company": "ACME",
    "po_box": "77",
    "city": "SEATTLE",
}


@pytest.mark.parametrize(
    ("strategy", "key"),
    [
        ("dnf1", "JUS:C:1980-02-03"),
        ("dnf2", "JUSTIN:jcurry@mail.test"),
        ("dnf3", "JUS:CUR:98101"),
        ("dnf4", "JUS:12 NORTH MAIN STREET 4"),
        ("dnf5", "JUS:2065550100"),
        ("dnf6", "JUS:CUR:jcurry"),
        ("dnf7", "JUS:ACME"),
        ("dnf8", "JUS:CUR:77"),
        ("dnf9", "CUR:12 NORTH MAIN STREET 4"),
        ("dnf10", "2065550100:98101"),
        ("email", "jcurry@mail.test"),
        ("phone", "2065550100"),
        ("address", "12 NORTH MAIN STREET 4"),
        ("company", "ACME"),
        ("name", "CURRY:JUSTIN"),
        ("birthdate-postal", "1980-02-03:98101"),
        ("birthdate-city", "1980-02-03:SEATTLE"),
        ("surname-birthdate", "CUR:1980-02-03"),
        ("given-birthdate", "JUS:1980-02-03"),
        ("initials-birthdate", "C:J:1980-02-03"),
        ("names-postal", "CUR:JUS:98101"),
        ("names-city", "CUR:JUS:SEATTLE"),
        ("house-postal", "12:98101"),
        ("house-street", "12:NOR"),
    ],
)
def test_strategy_keys(strategy, key):
    con = duckdb.connect()
    con.register("m", pa.table({k: [v] for k, v in RECORD.items()}))
    assert con.execute(render(fill("SELECT $k FROM m", k=strategy_key(strategy)))).fetchone()[0] == key


@pytest.mark.parametrize("strategy", ["initials-birthdate", "names-postal", "names-city"])
def test_name_keys_do_not_care_which_field_holds_which_name(strategy):
    con = duckdb.connect()
    swapped = {**RECORD, "given_name": RECORD["surname"], "surname": RECORD["given_name"]}
    con.register("m", pa.table({k: [RECORD[k], swapped[k]] for k in RECORD}))
    keys = [row[0] for row in con.execute(render(fill("SELECT $k FROM m", k=strategy_key(strategy)))).fetchall()]
    assert keys[0] == keys[1] and keys[0] is not None


def test_house_keys_need_a_house_number():
    con = duckdb.connect()
    con.register("m", pa.table({**{k: [v] for k, v in RECORD.items()}, "address_key": ["NORTH MAIN STREET"]}))
    for strategy in ("house-postal", "house-street"):
        assert con.execute(render(fill("SELECT $k FROM m", k=strategy_key(strategy)))).fetchone()[0] is None


def test_a_key_with_a_missing_part_is_null():
    con = duckdb.connect()
    con.register("m", pa.table({**{k: [v] for k, v in RECORD.items()}, "birthdate": pa.array([None], pa.string())}))
    assert con.execute(render(fill("SELECT $k FROM m", k=strategy_key("dnf1")))).fetchone()[0] is None


def test_strategy_key_golden():
    assert render(strategy_key("dnf3")) == (
        "CASE WHEN NOT CAST(LEFT(given_name, 3) AS TEXT) IS NULL AND NOT CAST(LEFT(surname, 3) AS TEXT) IS NULL "
        "AND NOT CAST(postal AS TEXT) IS NULL THEN CAST(LEFT(given_name, 3) AS TEXT) || ':' || "
        "CAST(LEFT(surname, 3) AS TEXT) || ':' || CAST(postal AS TEXT) END"
    )


def test_every_strategy_has_fields_and_a_bit():
    assert set(STRATEGY_FIELDS) == set(STRATEGIES)
    assert len({strategy_bit(s) for s in STRATEGIES}) == len(STRATEGIES)


def test_pairs_are_unique_ordered_and_oversized_blocks_skipped():
    con = duckdb.connect()
    keys = [(0, "email", "a"), (1, "email", "a"), (1, "phone", "p"), (0, "phone", "p"), (2, "phone", "p")]
    keys += [(10 + i, "dnf3", "big") for i in range(5)]
    con.register("k", pa.table({"rid": [k[0] for k in keys], "strategy": [k[1] for k in keys], "bk": [k[2] for k in keys]}))
    con.execute(render(fill("CREATE TABLE s AS $q", q=block_sizes_query("k"))))
    pairs = sorted(con.execute(render(pairs_query("k", "s", 4))).fetchall())
    both = strategy_bit("email") | strategy_bit("phone")
    assert pairs == [(0, 1, both), (0, 2, strategy_bit("phone")), (1, 2, strategy_bit("phone"))]
    assert con.execute(render(oversized_query("s", 4))).fetchall() == [("dnf3", "big", 5, 10)]


def test_oversized_blocks_are_reported_in_the_result_and_stats():
    con = duckdb.connect()
    crowd = [person("pos", f"z{i}", given_name="Zack", surname="Zeller", postal="98765-0001", email=f"z{i}@mail.test")
             for i in range(6)]
    result = stitch(con, crowd, with_background=False, block_size_cap=5)
    oversized = result.oversized_blocks.to_pylist()
    assert {"strategy": "dnf3", "bk": "ZAC:ZEL:98765", "size": 6, "pairs_skipped": 15} in oversized
    assert result.stats.oversized_blocks == len(oversized) and result.stats.pairs_skipped >= 15
    keys = result.blocking_keys.to_pylist()
    assert {"datasource": "pos", "pk": "z0", "strategy": "dnf3", "bk": "ZAC:ZEL:98765", "is_oversized": True} in keys
    assert {"datasource": "pos", "pk": "z0", "strategy": "email", "bk": "z0@mail.test", "is_oversized": False} in keys


def test_configured_strategies_only():
    con = duckdb.connect()
    rows = [person("pos", "1", given_name="Al", surname="Bo", email="al@mail.test"),
            person("web", "1", given_name="Al", surname="Bo", email="al@mail.test")]
    result = stitch(con, rows, with_background=False, strategies=("email",), trivial_duplicates=False)
    assert {k["strategy"] for k in result.blocking_keys.to_pylist()} == {"email"}
