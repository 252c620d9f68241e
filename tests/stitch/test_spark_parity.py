"""One Stitch, two engines: DuckDB and Spark give the same clusters, IDs, scores and tables.

A small case (background people plus a household, nicknames, typos, accents, a junk email, FK
keys, a separation-key conflict, Jr/Sr, a detected and a listed bad value, Stitch labels, and a
previous run whose IDs must carry over) runs once on each engine. Spark runs it once: a
SparkSession takes 15-40 s to start and a first Stitch run on it a minute or more on 2 cores.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pytest
from prob_helpers import background, person

from amperity_pipelines.engines.sql_templates import fill
from amperity_pipelines.stitch import BadValueRule, StitchSettings, stitch_records
from amperity_pipelines.stitch.backends import SparkBackend
from amperity_pipelines.stitch.settings import DEFAULT_BAD_VALUE_RULES

pytestmark = pytest.mark.spark

SCORE_TOLERANCE = 1e-6
SETTINGS = StitchSettings(bad_value_rules=(*DEFAULT_BAD_VALUE_RULES, BadValueRule("phone", "given_name", 3)))
SHARED_PHONE = "4255550199"
STAMP = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

CASE = [
    # a household at one address: father (Sr), son (Jr), mother; the father twice (nickname, FK)
    person("pos", "h1", given_name="Michael", surname="Jones", generational_suffix="Sr", email="mjones@x.com",
           address="12 Oak St", postal="98101", birthdate="1960-03-04", fk_cust="C1"),
    person("web", "h2", given_name="Mike", surname="Jones", email="MJones@x.com", address="12 Oak Street",
           postal="98101", fk_cust="c1"),
    person("pos", "h3", given_name="Michael", surname="Jones", generational_suffix="Jr", address="12 Oak St",
           postal="98101", birthdate="1991-07-01", phone="2065550188"),
    person("crm", "h5", given_name="Michael", surname="Jones", address="12 Oak St", postal="98101",
           phone="2065550188", email="mjones@x.com"),
    person("web", "h4", given_name="Jennifer", surname="Jones", address="12 Oak St", postal="98101",
           email="test@test.com"),
    # same person by every field but two store separation keys
    person("pos", "s1", given_name="Ana", surname="Lopez", email="ana@y.com", sk_store="A"),
    person("web", "s2", given_name="Ana", surname="Lopez", email="ana@y.com", sk_store="B"),
    # typos and a full name to split
    person("web", "t1", given_name="Jonathon", surname="Smyth", phone="2065550111"),
    person("pos", "t2", full_name="Smith, Jonathan", phone="(206) 555-0111"),
    # accents
    person("pos", "a1", given_name="José", surname="Núñez", email="jose@z.com", city="Málaga"),
    person("web", "a2", given_name="Jose", surname="Nunez", email="jose@z.com", city="Malaga"),
    # a labelled pair the model would not join
    person("pos", "l1", given_name="Zoe", surname="Quinn", postal="80202"),
    person("web", "l2", given_name="Zoey", surname="Quin", phone="3035550123"),
    # one phone written by four different people: a detected bad value
    *(person("crm", f"p{i}", given_name=g, surname="Park", phone=SHARED_PHONE) for i, g in enumerate(("Al", "Bo", "Cy", "Di"))),
    # a listed bad value
    person("crm", "b1", given_name="Lee", surname="Wong", email="shared@family.test"),
    person("crm", "b2", given_name="Kim", surname="Wong", email="shared@family.test"),
]  # fmt: skip
ADDED = [
    person("app", "n1", given_name="Michael", surname="Jones", email="mjones@x.com", postal="98101"),
    person("app", "n2", given_name="Nora", surname="Nguyen", email="nora@n.test"),
]
LABELS = pa.table(
    {"label_id": ["L1", "L1"], "partition_id": ["1", "1"], "datasource": ["pos", "web"], "pk": ["l1", "l2"]}
)
BLOCKLIST = pa.table({"datasource": ["*"], "semantic": ["email"], "value": ["Shared@Family.test"]})


def as_arrow(rows: list[dict]) -> pa.Table:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return pa.table({c: pa.array([row.get(c) for row in rows], pa.string()) for c in columns})


def stitch_both(spark, rows: list[dict], previous: pa.Table):
    """(DuckDB result, Spark result) of the same run."""
    data = as_arrow(rows)
    con = duckdb.connect()
    con.register("records", data)
    options = {"settings": SETTINGS, "labels": LABELS, "blocklist": BLOCKLIST, "previous": previous}
    options |= {"job_id": "parity", "run_timestamp": STAMP}
    on_duckdb = stitch_records(con, "records", **options)
    backend = SparkBackend(spark)
    backend.register("records", data)
    try:
        on_spark = stitch_records(backend, "records", **options)
    finally:
        backend.drop("records")
    return on_duckdb, on_spark


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from amperity_pipelines.engines.spark_session import local_spark

    session = local_spark(app_name="stitch-parity", warehouse=str(tmp_path_factory.mktemp("warehouse")), short_lived=True)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def earlier() -> pa.Table:
    """Unified Coalesced of an earlier run (DuckDB) without the ADDED records."""
    con = duckdb.connect()
    con.register("records", as_arrow(background(50, seed=23) + CASE))
    result = stitch_records(con, "records", settings=SETTINGS, labels=LABELS, blocklist=BLOCKLIST, run_timestamp=STAMP)
    return result.unified_coalesced


@pytest.fixture(scope="module")
def runs(spark, earlier):
    """(DuckDB result, Spark result) of the run with ADDED, after `earlier`."""
    return stitch_both(spark, background(50, seed=23) + CASE + ADDED, previous=earlier)


def ids_of(uc: pa.Table) -> dict[tuple[str, str], str]:
    records = zip(uc.column("datasource").to_pylist(), uc.column("pk").to_pylist(), strict=True)
    return dict(zip(records, uc.column("amperity_id").to_pylist(), strict=True))


def ids(result) -> dict[tuple[str, str], str]:
    return ids_of(result.unified_coalesced)


def rows_of(table: pa.Table) -> list[tuple]:
    return sorted(tuple(row.values()) for row in table.to_pylist())


def test_the_case_is_not_trivial(runs):
    on_duckdb, _ = runs
    by_record = ids(on_duckdb)
    assert by_record[("pos", "h1")] == by_record[("web", "h2")]  # nickname + FK
    assert by_record[("pos", "h1")] != by_record[("pos", "h3")]  # Sr and Jr
    assert by_record[("pos", "s1")] != by_record[("web", "s2")]  # separation keys
    assert by_record[("pos", "a1")] == by_record[("web", "a2")]  # accents
    assert by_record[("pos", "l1")] == by_record[("web", "l2")]  # label
    assert on_duckdb.stats.split_components >= 1  # h5 bridges Sr and Jr
    assert {("email", "shared@family.test"), ("phone", SHARED_PHONE)} <= {
        (row["semantic"], row["value"]) for row in on_duckdb.bad_values.to_pylist()
    }


def test_same_clusters_and_amperity_ids(runs):
    on_duckdb, on_spark = runs
    assert ids(on_spark) == ids(on_duckdb)
    assert on_spark.stats.amperity_ids == on_duckdb.stats.amperity_ids
    assert on_spark.stats.pairs_scored == on_duckdb.stats.pairs_scored
    assert on_spark.stats.split_components == on_duckdb.stats.split_components


def test_same_scores(runs):
    on_duckdb, on_spark = runs

    def by_pair(result):
        return {(r["source1"], r["pk1"], r["source2"], r["pk2"]): r for r in result.unified_scores.to_pylist()}

    duck, spark = by_pair(on_duckdb), by_pair(on_spark)
    assert spark.keys() == duck.keys()
    for pair, row in duck.items():
        other = spark[pair]
        assert other["score"] == pytest.approx(row["score"], abs=SCORE_TOLERANCE), pair
        assert (other["amperity_id"], other["match_category"], other["match_type"]) == (
            row["amperity_id"],
            row["match_category"],
            row["match_type"],
        )
    for duck_row, spark_row in zip(on_duckdb.model.to_pylist(), on_spark.model.to_pylist(), strict=True):
        for key, value in duck_row.items():
            assert spark_row[key] == (pytest.approx(value, abs=SCORE_TOLERANCE) if isinstance(value, float) else value)


def test_same_bad_values(runs):
    on_duckdb, on_spark = runs
    assert on_spark.bad_values.schema == on_duckdb.bad_values.schema
    assert on_spark.bad_values.to_pylist() == on_duckdb.bad_values.to_pylist()


@pytest.mark.parametrize("name", ["unified_coalesced", "unified_preprocessed_raw", "blocking_keys", "oversized_blocks"])
def test_same_stitch_tables(runs, name):
    on_duckdb, on_spark = runs
    duck, spark = getattr(on_duckdb, name), getattr(on_spark, name)
    assert spark.schema == duck.schema
    assert rows_of(spark) == rows_of(duck)


def test_same_changes_since_the_previous_run(runs, earlier):
    on_duckdb, on_spark = runs
    now = ids(on_duckdb)
    assert all(now[record] == amperity_id for record, amperity_id in ids_of(earlier).items())
    assert {(r["datasource"], r["pk"], r["change_type"]) for r in on_duckdb.unified_changes_pks.to_pylist()} == {
        ("app", "n1", "added"),
        ("app", "n2", "added"),
    }
    for name in ("unified_changes_pks", "unified_changes_clusters"):
        duck, spark = getattr(on_duckdb, name), getattr(on_spark, name)
        assert spark.schema == duck.schema
        assert rows_of(spark) == rows_of(duck)


def test_spark_backend_operations(spark):
    backend = SparkBackend(spark)
    backend.register("parity_src", pa.table({"a": [1, 2, 3], "b": ["x", None, "é"]}))
    backend.create("parity_made", fill("SELECT a * 2 AS a2, STRIP_ACCENTS(b) AS b, ROW_NUMBER() OVER () AS n FROM parity_src"))
    assert backend.columns("parity_made") == ["a2", "b", "n"]
    made = backend.fetch(fill("SELECT * FROM parity_made ORDER BY a2"))
    assert made.schema == pa.schema([("a2", pa.int64()), ("b", pa.string()), ("n", pa.int64())])
    assert made.to_pylist() == [{"a2": 2, "b": "x", "n": 1}, {"a2": 4, "b": None, "n": 2}, {"a2": 6, "b": "e", "n": 3}]
    assert backend.arrow(fill("SELECT JARO_WINKLER_SIMILARITY(b, 'x') AS s FROM parity_src ORDER BY a")).column(
        "s"
    ).to_pylist() == [1.0, None, 0.0]
    assert backend.arrow(fill("SELECT STRIP_ACCENTS($v) AS s", v="Cre\u0300me Ångström Łódź")).to_pylist() == [
        {"s": "Creme Angstrom Łodz"}
    ]
    backend.register("parity_empty", pa.table({"a": pa.array([], pa.int64())}))
    assert backend.arrow(fill("SELECT COUNT(*) AS n FROM parity_empty")).to_pylist() == [{"n": 0}]
    for name in ("parity_made", "parity_src", "parity_empty", "never_made"):
        backend.drop(name)
    assert not {"parity_made", "parity_src", "parity_empty"} & {t.name for t in spark.catalog.listTables()}


def test_the_session_writes_and_reads_delta(spark, tmp_path):
    """local_spark's Delta jars (4.4.0) work with the delta-spark wheel's Python API (4.4.1)."""
    from delta.tables import DeltaTable

    path = str(tmp_path / "people")
    spark.createDataFrame(pa.table({"pk": ["a", "b"], "n": [1, 2]})).write.format("delta").save(path)
    assert spark.read.format("delta").load(path).toArrow().sort_by("pk").to_pylist() == [
        {"pk": "a", "n": 1},
        {"pk": "b", "n": 2},
    ]
    assert [row.operation for row in DeltaTable.forPath(spark, path).history().collect()] == ["WRITE"]
