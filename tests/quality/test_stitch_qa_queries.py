"""The demo tenant's Stitch QA queries (tenants/demo/queries/stitch_qa_*.sql, Presto SQL) run
through our Presto -> DuckDB layer and return the right figures: exactly, on hand-made Stitch
tables whose answers are known, and consistently with StitchStats on a real probabilistic run."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from stitch_qa_people import stitch_population

from amperity_pipelines.config.standard_tables import STITCH_TABLES
from amperity_pipelines.engines import DuckDBEngine
from amperity_pipelines.engines.sql import referenced_tables
from amperity_pipelines.tenant_check import load_tenant

TENANT = Path(__file__).resolve().parents[2] / "tenants" / "demo"
QA_QUERIES = sorted(p.stem for p in (TENANT / "queries").glob("stitch_qa_*.sql")) + ["cluster_size_distribution"]
SQL_NAMES = {
    "unified_coalesced": "Unified_Coalesced",
    "unified_scores": "Unified_Scores",
    "unified_preprocessed_raw": "Unified_Preprocessed_Raw",
    "unified_changes_pks": "Unified_Changes_Pks",
    "unified_changes_clusters": "Unified_Changes_Clusters",
    "blocking_keys": "Stitch_Blocking_Keys",
    "bad_values": "Stitch_Bad_Values",
}

# Hand-made run: (amperity_id, component_id, datasource, pk, given, surname, email, phone, birthdate, fk_pos, fk_ecom)
# A: one person in three sources. B: an FK reused by a different person (bad FK). C and D: one email,
# split on birthdates (same component). E: shares C's phone, never connected. F: four given names.
RECORDS = [
    ("A", "A", "POS", "p1", "Ann", "Quill", "ann@x.test", "2065550101", "1980-01-02", "P1", None),
    ("A", "A", "Ecommerce", "w1", "Ann", "Quill", "ann@x.test", None, None, None, "E1"),
    ("A", "A", "Loyalty", "l1", "Annie", "Quill", "ann@x.test", "2065550101", None, None, None),
    ("B", "B", "POS", "p2", "Ben", "Orsay", "ben@x.test", None, None, "P2", None),
    ("B", "B", "Ecommerce", "w2", "Carl", "Vance", "carl@x.test", None, None, "P2", "E2"),
    ("C", "CD", "POS", "p3", "Dana", "Kim", "dana@x.test", "3125550103", "1990-05-05", "P3", None),
    ("D", "CD", "Ecommerce", "w3", "Dana", "Kim", "dana@x.test", None, "1960-05-05", None, "E3"),
    ("E", "E", "Loyalty", "l5", "Eve", "Stone", "eve@x.test", "3125550103", None, None, None),
    ("F", "F", "POS", "p6", "Frank", "Moss", "frank@x.test", None, None, "P6", None),
    ("F", "F", "POS", "p7", "Fred", "Moss", "frank@x.test", None, None, "P7", None),
    ("F", "F", "Ecommerce", "w6", "Finn", "Moss", "frank@x.test", None, None, None, "E6"),
    ("F", "F", "Ecommerce", "w7", "Felix", "Moss", "frank@x.test", None, None, None, "E7"),
    ("F", "F", "Loyalty", "l6", "Frank", "Moss", "frank@x.test", None, None, None, None),
]
SCORES = [
    ("A", "POS", "p1", "Ecommerce", "w1", 5.0, "Exact", "scored"),
    ("A", "POS", "p1", "Loyalty", "l1", 4.2, "Excellent", "scored"),
    ("A", "Ecommerce", "w1", "Loyalty", "l1", 3.4, "High", "scored_transitive"),
    ("B", "POS", "p2", "Ecommerce", "w2", 5.0, "Exact", "scored"),
    ("F", "POS", "p6", "Loyalty", "l6", 5.0, "Exact", "trivial_duplicate"),
    ("F", "POS", "p6", "POS", "p7", 3.1, "High", "scored"),
    ("F", "POS", "p7", "Ecommerce", "w6", 3.6, "High", "scored"),
    ("F", "Ecommerce", "w6", "Ecommerce", "w7", 3.9, "High", "scored"),
]


def hand_made_tables() -> dict[str, pa.Table]:
    keys = ("amperity_id", "component_id", "datasource", "pk", "given_name", "surname", "email", "phone",
            "birthdate", "fk_pos_customer", "fk_ecom_account")  # fmt: skip
    rows = [dict(zip(keys, r, strict=True)) for r in RECORDS]
    for row in rows:
        row["birthdate"] = date.fromisoformat(row["birthdate"]) if row["birthdate"] else None
        row.update(ck=None, is_supersized=False, address="1 Main Street" if row["pk"] == "p1" else None, postal=None)
    coalesced = pa.Table.from_pylist(rows)
    upper = ("given_name", "surname", "address")
    preprocessed = pa.Table.from_pylist([{**r, **{k: r[k].upper() if r[k] else None for k in upper}} for r in rows])
    score_keys = ("amperity_id", "source1", "pk1", "source2", "pk2", "score", "match_category", "match_type")
    return {
        "unified_coalesced": coalesced,
        "unified_preprocessed_raw": preprocessed,
        "unified_scores": pa.Table.from_pylist([dict(zip(score_keys, s, strict=True)) for s in SCORES]),
    }


def run(tables: dict[str, pa.Table], name: str) -> list[dict]:
    path = TENANT / "queries" / f"{name}.sql"
    with DuckDBEngine() as engine:
        for table, data in tables.items():
            engine.register_arrow(SQL_NAMES[table], data)
        return engine.query(path.read_text(), dialect="presto", source=str(path)).to_pylist()


@pytest.fixture(scope="module")
def hand():
    return hand_made_tables()


def test_the_loader_picks_up_every_qa_query_and_they_read_stitch_tables_only():
    queries = load_tenant(TENANT).queries
    assert {"stitch_qa_combined_statistics", "stitch_qa_connections_across_sources", "stitch_qa_many_ids_per_value",
            "stitch_qa_many_values_per_id", "stitch_qa_split_clusters", "stitch_qa_weakest_matches",
            "stitch_qa_bad_foreign_keys"} <= set(queries)  # fmt: skip
    for name in QA_QUERIES:
        assert set(referenced_tables(queries[name].sql, read="presto")) <= set(STITCH_TABLES), name


def test_combined_statistics(hand):
    assert run(hand, "stitch_qa_combined_statistics") == [{
        "records": 13, "accounts": 13, "datasources": 3, "amperity_ids": 6, "singletons": 3,
        "multi_record_clusters": 3, "records_in_multi_record_clusters": 10, "largest_cluster": 5,
        "supersized_records": 0, "dedupe_rate": 0.5385, "records_per_amperity_id": 2.167,
    }]  # fmt: skip


def test_combined_statistics_of_an_empty_run(hand):
    empty = {name: table.slice(0, 0) for name, table in hand.items()}
    (row,) = run(empty, "stitch_qa_combined_statistics")
    assert (row["records"], row["amperity_ids"], row["singletons"], row["largest_cluster"]) == (0, 0, 0, 0)
    assert row["dedupe_rate"] is None


def test_connections_across_sources(hand):
    assert run(hand, "stitch_qa_connections_across_sources") == [
        {"datasource_a": "Ecommerce", "datasource_b": "POS", "shared_amperity_ids": 3, "amperity_ids_a": 4,
         "amperity_ids_b": 4, "pct_of_a": 75.0, "pct_of_b": 75.0},
        {"datasource_a": "Ecommerce", "datasource_b": "Loyalty", "shared_amperity_ids": 2, "amperity_ids_a": 4,
         "amperity_ids_b": 3, "pct_of_a": 50.0, "pct_of_b": 66.67},
        {"datasource_a": "Loyalty", "datasource_b": "POS", "shared_amperity_ids": 2, "amperity_ids_a": 3,
         "amperity_ids_b": 4, "pct_of_a": 66.67, "pct_of_b": 50.0},
    ]  # fmt: skip


def test_many_ids_per_value(hand):
    assert run(hand, "stitch_qa_many_ids_per_value") == [
        {"semantic": "email", "value": "dana@x.test", "amperity_ids": 2, "records": 2, "datasources": 2},
        {"semantic": "phone", "value": "3125550103", "amperity_ids": 2, "records": 2, "datasources": 2},
    ]


def test_many_values_per_id(hand):
    assert run(hand, "stitch_qa_many_values_per_id") == [
        {"amperity_id": "F", "records": 5, "given_names": 4, "surnames": 1, "emails": 1, "phones": 0,
         "addresses": 0, "birthdates": 0, "most_values": 4},
    ]  # fmt: skip


def test_split_clusters_tell_a_split_component_from_a_missed_match(hand):
    assert run(hand, "stitch_qa_split_clusters") == [
        {"semantic": "email", "value": "dana@x.test", "amperity_id_a": "C", "amperity_id_b": "D",
         "same_component": True, "records_a": 1, "records_b": 1, "name_a": "DANA KIM", "name_b": "DANA KIM"},
        {"semantic": "phone", "value": "3125550103", "amperity_id_a": "C", "amperity_id_b": "E",
         "same_component": False, "records_a": 1, "records_b": 1, "name_a": "DANA KIM", "name_b": "EVE STONE"},
    ]  # fmt: skip


def test_weakest_matches_one_pair_per_cluster_weakest_first(hand):
    rows = run(hand, "stitch_qa_weakest_matches")
    assert [(r["amperity_id"], r["score"], r["cluster_records"]) for r in rows] == [("F", 3.1, 5), ("A", 3.4, 3), ("B", 5.0, 2)]
    first = rows[0]
    assert (first["pk_a"], first["given_name_a"], first["pk_b"], first["given_name_b"]) == ("p6", "Frank", "p7", "Fred")
    assert rows[1]["match_type"] == "scored_transitive"
    assert rows[1]["birthdate_a"] is None and rows[1]["email_b"] == "ann@x.test"


def test_bad_foreign_keys(hand):
    assert run(hand, "stitch_qa_bad_foreign_keys") == [
        {"fk": "fk_pos_customer", "value": "P2", "amperity_id": "B", "records": 2, "given_names": 2, "surnames": 2,
         "emails": 2, "name_example_1": "BEN ORSAY", "name_example_2": "CARL VANCE",
         "email_example_1": "ben@x.test", "email_example_2": "carl@x.test"},
    ]  # fmt: skip


def test_cluster_size_distribution(hand):
    rows = run(hand, "cluster_size_distribution")
    assert [(r["cluster_size"], r["clusters"], r["records"]) for r in rows] == [("1", 3, 3), ("2", 1, 2), ("3", 1, 3), ("5", 1, 5)]


@pytest.fixture(scope="module")
def stitched():
    return stitch_population()


def test_queries_agree_with_a_probabilistic_run(stitched):
    tables = {name: t for name, t in stitched.tables().items() if name in SQL_NAMES}
    stats = stitched.stats
    (combined,) = run(tables, "stitch_qa_combined_statistics")
    assert (combined["records"], combined["amperity_ids"]) == (stats.records, stats.amperity_ids)
    assert combined["singletons"] == stats.cluster_sizes["1"]
    assert combined["largest_cluster"] == stats.largest_cluster
    assert combined["dedupe_rate"] == round(stats.dedupe_rate, 4)

    sizes = {r["cluster_size"]: r["clusters"] for r in run(tables, "cluster_size_distribution")}
    assert sizes == {bucket: n for bucket, n in stats.cluster_sizes.items() if n}

    records = stitched.unified_coalesced.select(["amperity_id", "datasource"]).to_pylist()
    sources_of: dict[str, set[str]] = {}
    for r in records:
        sources_of.setdefault(r["amperity_id"], set()).add(r["datasource"])
    shared = Counter((a, b) for s in sources_of.values() for a in s for b in s if a < b)
    connections = run(tables, "stitch_qa_connections_across_sources")
    assert {(r["datasource_a"], r["datasource_b"]): r["shared_amperity_ids"] for r in connections} == dict(shared)

    weakest = {r["amperity_id"]: r["score"] for r in run(tables, "stitch_qa_weakest_matches")}
    expected: dict[str, float] = {}
    for s in stitched.unified_scores.to_pylist():
        expected[s["amperity_id"]] = min(s["score"], expected.get(s["amperity_id"], 5.0))
    assert weakest == expected

    bad = run(tables, "stitch_qa_bad_foreign_keys")
    assert [(r["fk"], r["value"], r["name_example_2"]) for r in bad] == [("fk_pos_customer", "P0-0", "QUENTIN ZABEL")]

    for name in ("stitch_qa_many_ids_per_value", "stitch_qa_many_values_per_id", "stitch_qa_split_clusters"):
        run(tables, name)  # they run on a real run's tables (their figures are pinned by the hand-made case)
