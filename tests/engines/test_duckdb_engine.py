from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from amperity_pipelines.engines import DuckDBEngine, Engine, SqlError


def test_is_an_engine():
    with DuckDBEngine() as engine:
        assert isinstance(engine, Engine)
        assert engine.name == "duckdb"


def test_resource_settings_are_applied(tmp_path):
    spill = tmp_path / "spill"
    with DuckDBEngine(memory_limit="256MB", threads=1, temp_directory=spill) as engine:
        settings = engine.query(
            "SELECT current_setting('memory_limit') AS memory, current_setting('threads') AS threads, "
            "current_setting('temp_directory') AS temp",
            dialect="native",
        ).to_pylist()[0]
    assert settings["memory"] in ("256.0 MiB", "244.1 MiB")  # DuckDB reports MiB
    assert settings["threads"] == 1
    assert settings["temp"] == str(spill)
    assert spill.is_dir()


def test_query_each_dialect(engine):
    spark = engine.query("SELECT customer_id FROM `POS:Customers` ORDER BY 1 LIMIT 1", dialect="spark")
    presto = engine.query('SELECT customer_id FROM "POS:Customers" ORDER BY 1 LIMIT 1', dialect="presto")
    native = engine.query('SELECT customer_id FROM "POS:Customers" ORDER BY 1 LIMIT 1', dialect="native")
    assert isinstance(spark, pa.Table)
    assert spark.to_pylist() == presto.to_pylist() == native.to_pylist() == [{"customer_id": "c1"}]


def test_division_setting_follows_the_dialect(engine):
    assert engine.query("SELECT 7 / 2 AS x", dialect="presto").to_pylist() == [{"x": 3}]
    assert engine.query("SELECT 7 / 2 AS x", dialect="spark").to_pylist() == [{"x": 3.5}]
    assert engine.query("SELECT 7 / 2 AS x", dialect="native").to_pylist() == [{"x": 3.5}]


def test_stream_yields_batches():
    with DuckDBEngine() as engine:
        reader = engine.stream("SELECT range AS i FROM range(10000)", dialect="native", batch_size=2048)
        assert isinstance(reader, pa.RecordBatchReader)
        sizes = [batch.num_rows for batch in reader]
    assert sum(sizes) == 10000
    assert max(sizes) <= 2048


def test_register_arrow_table_and_reader():
    with DuckDBEngine() as engine:
        engine.register_arrow("Shop:Items", pa.table({"sku": ["a", "b"], "price": [1.5, 2.5]}))
        batches = pa.table({"n": [1, 2, 3]}).to_batches()
        engine.register_arrow("numbers", pa.RecordBatchReader.from_batches(batches[0].schema, batches))
        assert engine.query("SELECT SUM(price) AS total FROM `Shop:Items`", dialect="spark").to_pylist() == [{"total": 4.0}]
        assert engine.query("SELECT SUM(n) AS total FROM numbers", dialect="presto").to_pylist() == [{"total": 6}]


def test_column_types_reach_the_rewrites():
    with DuckDBEngine() as engine:
        engine.register_arrow(
            "POS:Profiles",
            pa.table(
                {
                    "joined": pa.array([date(2020, 1, 31)]),
                    "attributes": pa.array([[("a", "1"), ("b", "2")]], type=pa.map_(pa.string(), pa.string())),
                    "tags": pa.array([["x"]]),
                }
            ),
        )
        row = engine.query(
            """
            SELECT date_add('month', 1, joined) AS next_month, date_trunc('month', joined) AS month,
                   cardinality(attributes) AS n_attributes, cardinality(tags) AS n_tags
            FROM "POS:Profiles"
            """,
            dialect="presto",
        ).to_pylist()
    assert row == [{"next_month": date(2020, 2, 29), "month": date(2020, 1, 1), "n_attributes": 2, "n_tags": 1}]


def test_errors_name_the_statement_file(engine):
    with pytest.raises(SqlError, match=r"^queries/q\.sql: DuckDB cannot run the statement: .*Missing:Table"):
        engine.query('SELECT * FROM "Missing:Table"', dialect="presto", source="queries/q.sql")
    with pytest.raises(SqlError, match="only SELECT"):
        engine.query('DROP TABLE "POS:Customers"', dialect="presto")
    with pytest.raises(SqlError, match="DuckDB: "):
        engine.execute("SELEC 1")


def test_relation_is_lazy_and_composable(engine):
    relation = engine.relation("SELECT customer_id, loyalty_points FROM `POS:Customers`", dialect="spark")
    assert relation.filter("loyalty_points > 50").order("customer_id").to_arrow_table().column(0).to_pylist() == ["c1", "c4"]
