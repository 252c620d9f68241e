"""load_feed: error threshold and quarantine, upsert tie-breaks, truncate-load, ingest queries."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from datetime import date, datetime, timezone
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amperity_pipelines.ingest import QUARANTINE_SCHEMA, IngestError, arrow_schema, load_feed

LOADED_AT = datetime(2020, 4, 11, 6, 0, tzinfo=timezone.utc)


@pytest.fixture
def customers(make_feed):
    return make_feed(
        ("id", "Integer", {"tags": ["pk"]}),
        ("name", "String"),
        ("updated", "Datetime", {"format": "yyyy-MM-dd HH:mm"}),
        last_updated="updated",
    )


def load(con, feed, pairs, **options):
    result = load_feed(con, feed, pairs, loaded_at=LOADED_AT, **options)
    table = result.table.read_all()
    assert table.schema == arrow_schema(feed)  # exactly the fields, typed, no lineage
    return result, sorted(table.to_pylist(), key=lambda r: (r[feed.fields[0].name] is None, r[feed.fields[0].name]))


def test_good_file_loads_typed_rows_and_stats(con, landed, make_spec, customers):
    csv = "id,name,updated,extra\n1,Ann,2020-04-10 09:00,x\n2,Bob,2020-04-10 10:00,y\n"
    result, rows = load(con, customers, [(landed("in/c.csv", csv), make_spec("'in/c.csv'"))])
    assert rows == [
        {"id": 1, "name": "Ann", "updated": datetime(2020, 4, 10, 9)},
        {"id": 2, "name": "Bob", "updated": datetime(2020, 4, 10, 10)},
    ]
    (stats,) = result.files
    assert (stats.file, stats.file_date, stats.rows_read, stats.rows_loaded, stats.rows_rejected) == ("in/c.csv", date(2020, 4, 10), 2, 2, 0)
    assert stats.extra_columns == ("extra",) and stats.operation == "load"
    assert result.quarantine.num_rows == 0 and result.quarantine.schema == QUARANTINE_SCHEMA
    assert not result.merged and not result.truncated


def test_bad_rows_under_threshold_go_to_quarantine(con, landed, make_spec, make_feed):
    feed = make_feed(("id", "Integer", {"tags": ["pk"]}), ("born", "Date", {"format": "yyyy-MM-dd"}), error_threshold="50%")
    csv = "id,born\n1,2000-01-01\n2,2000-13-01\n,2000-01-02\n4,2000-01-04\n"
    result, rows = load(con, feed, [(landed("c.csv", csv), make_spec("'c.csv'"))])
    assert [r["id"] for r in rows] == [1, 4]
    assert result.quarantine.to_pylist() == [
        {"file": "c.csv", "row": 2, "column": "born", "value": "2000-13-01", "reason": "expected Date in format yyyy-MM-dd", "loaded_at": LOADED_AT},
        {"file": "c.csv", "row": 3, "column": "id", "value": None, "reason": "primary key id is empty", "loaded_at": LOADED_AT},
    ]
    assert (result.files[0].rows_read, result.files[0].rows_loaded, result.files[0].rows_rejected) == (4, 2, 2)
    assert result.rows_rejected == 2


def test_bad_rows_over_threshold_fail_the_file_naming_rows(con, landed, make_spec, make_feed):
    feed = make_feed(("id", "Integer"), ("born", "Date", {"format": "yyyy-MM-dd"}))  # default threshold 1%
    csv = "id,born\n1,2000-01-01\n2,2000-13-01\nthree,2000-01-03\n"
    with pytest.raises(IngestError) as caught:
        load_feed(con, feed, [(landed("in/c.csv", csv), make_spec("'in/c.csv'"))])
    message = str(caught.value)
    assert message.startswith("in/c.csv: 2 of 3 rows rejected (66.67%), over the error threshold of feed Customers (1.00%)")
    assert "row 2 column born value '2000-13-01': expected Date in format yyyy-MM-dd" in message
    assert "row 3 column id value 'three': expected Integer" in message
    assert caught.value.file == "in/c.csv"


def test_threshold_zero_rejects_any_bad_row_and_one_accepts_all(con, landed, make_spec, make_feed):
    csv = "n\n1\nx\n"
    with pytest.raises(IngestError, match="1 of 2 rows rejected"):
        load_feed(con, make_feed(("n", "Integer"), error_threshold=0), [(landed("c.csv", csv), make_spec("'c.csv'"))])
    result, rows = load(con, make_feed(("n", "Integer"), error_threshold=1), [(landed("c.csv", csv), make_spec("'c.csv'"))])
    assert rows == [{"n": 1}] and result.quarantine.num_rows == 1


def test_many_bad_rows_are_filtered_out(con, landed, make_spec, make_feed):
    # more bad rows than the slicing shortcut handles: the filter path
    lines = "\n".join("x" if i % 2 else str(i) for i in range(10_000))
    result, rows = load(con, make_feed(("n", "Integer"), error_threshold=0.6), [(landed("c.csv", "n\n" + lines + "\n"), make_spec("'c.csv'"))])
    assert len(rows) == 5_000 and result.quarantine.num_rows == 5_000
    assert result.quarantine.column("row").to_pylist()[:2] == [2, 4]


def test_missing_column_and_malformed_file_fail_naming_the_file(con, landed, make_spec, customers):
    with pytest.raises(IngestError, match=r"^c\.csv: missing column updated \(feed Customers\); columns found: id, name$"):
        load_feed(con, customers, [(landed("c.csv", "id,name\n1,a\n"), make_spec("'c.csv'"))])
    with pytest.raises(IngestError, match=r"^d\.csv: line 3: "):
        load_feed(con, customers, [(landed("d.csv", "id,name,updated\n1,a,\n2,b,c,d\n"), make_spec("'d.csv'"))])


@pytest.mark.parametrize(("ids", "merged"), [("1 2 3", False), ("3 2 1", False), ("2 3 1", False), ("2 1 2", True)])
def test_merge_runs_only_when_a_key_repeats(con, landed, make_spec, make_feed, ids, merged):
    feed = make_feed(("id", "Integer", {"tags": ["pk"]}))
    csv = "id\n" + "\n".join(ids.split()) + "\n"
    result, rows = load(con, feed, [(landed("c.csv", csv), make_spec("'c.csv'"))])
    assert result.merged is merged and sorted(r["id"] for r in rows) == sorted(set(map(int, ids.split())))


def test_duplicate_keys_last_updated_wins_then_row_order(con, landed, make_spec, customers):
    csv = (
        "id,name,updated\n"
        "1,newest,2020-04-10 12:00\n"
        "1,older,2020-04-10 08:00\n"
        "2,first,2020-04-10 08:00\n"
        "2,second,2020-04-10 08:00\n"  # same last_updated: the later row wins
        "3,dated,2020-04-10 08:00\n"
        "3,undated,\n"  # a NULL last_updated loses (nulls last)
    )
    result, rows = load(con, customers, [(landed("c.csv", csv), make_spec("'c.csv'"))])
    assert [(r["id"], r["name"]) for r in rows] == [(1, "newest"), (2, "second"), (3, "dated")]
    assert result.merged


def test_ties_break_on_file_date_then_file_order(con, landed, make_spec, customers):
    same = "2020-04-10 08:00"
    later_day = landed("d/11.csv", f"id,name,updated\n1,later-day,{same}\n", file_date=date(2020, 4, 11))
    earlier_day = landed("d/10.csv", f"id,name,updated\n1,earlier-day,{same}\n2,first-file,{same}\n", file_date=date(2020, 4, 10))
    same_day = landed("d/10b.csv", f"id,name,updated\n2,second-file,{same}\n", file_date=date(2020, 4, 10))
    spec = make_spec("'d/'*'.csv'")
    # the later file date wins even when listed first; on the same date the later file wins
    _, rows = load(con, customers, [(later_day, spec), (earlier_day, spec), (same_day, spec)])
    assert [(r["id"], r["name"]) for r in rows] == [(1, "later-day"), (2, "second-file")]


def test_without_last_updated_file_order_and_row_order_decide(con, landed, make_spec, make_feed):
    feed = make_feed(("id", "Integer", {"tags": ["pk"]}), ("v", "String"))
    one = landed("a.csv", "id,v\n1,a1\n1,a2\n2,a3\n")
    two = landed("b.csv", "id,v\n2,b1\n")
    _, rows = load(con, feed, [(one, make_spec("'a.csv'")), (two, make_spec("'b.csv'"))])
    assert rows == [{"id": 1, "v": "a2"}, {"id": 2, "v": "b1"}]


def test_upsert_into_existing_rows(con, landed, make_spec, customers):
    existing = pa.table({
        "id": [1, 2, 3],
        "name": ["old-1", "old-2", "old-3"],
        "updated": pa.array([datetime(2020, 4, 1), datetime(2020, 4, 1), datetime(2020, 4, 30)], pa.timestamp("us")),
    })
    csv = "id,name,updated\n1,new-1,2020-04-10 00:00\n3,stale-3,2020-04-10 00:00\n4,new-4,2020-04-10 00:00\n"
    result, rows = load(con, customers, [(landed("c.csv", csv), make_spec("'c.csv'"))], existing=existing)
    # new rows replace existing ones unless the existing row was updated later; untouched keys stay
    assert [(r["id"], r["name"]) for r in rows] == [(1, "new-1"), (2, "old-2"), (3, "old-3"), (4, "new-4")]
    assert result.merged and not result.truncated


def test_new_rows_win_ties_with_existing_rows(con, landed, make_spec, make_feed):
    feed = make_feed(("id", "Integer", {"tags": ["pk"]}), ("v", "String"))
    existing = pa.table({"id": pa.array([1, 2], pa.int64()), "v": ["old", "kept"]})
    _, rows = load(con, feed, [(landed("c.csv", "id,v\n1,new\n"), make_spec("'c.csv'"))], existing=existing)
    assert rows == [{"id": 1, "v": "new"}, {"id": 2, "v": "kept"}]


def test_existing_as_duckdb_relation_with_older_schema(con, landed, make_spec, make_feed):
    feed = make_feed(("id", "Integer", {"tags": ["pk"]}), ("v", "String"), ("added", "Integer"))
    existing = con.sql("SELECT 5::INTEGER AS id, 'from-db' AS v, 'dropped' AS gone")
    _, rows = load(con, feed, [(landed("c.csv", "id,v,added\n6,new,1\n"), make_spec("'c.csv'"))], existing=existing)
    assert rows == [{"id": 5, "v": "from-db", "added": None}, {"id": 6, "v": "new", "added": 1}]
    assert con.sql("SELECT 1").fetchall() == [(1,)]  # the connection is free again once the table is read


def test_truncate_load_drops_existing_rows_wherever_it_appears(con, landed, make_spec, make_feed):
    feed = make_feed(("id", "Integer", {"tags": ["pk"]}), ("v", "String"))
    existing = pa.table({"id": pa.array([1, 9], pa.int64()), "v": ["old", "old"]})
    delta = landed("delta.csv", "id,v\n1,delta\n")
    full = landed("full.csv", "id,v\n1,full\n2,full\n", file_date=date(2020, 4, 9))
    pairs = [(full, make_spec("'full.csv'", operation="truncate-load")), (delta, make_spec("'delta.csv'"))]
    result, rows = load(con, feed, pairs, existing=existing)
    assert rows == [{"id": 1, "v": "delta"}, {"id": 2, "v": "full"}]
    assert result.truncated and [f.operation for f in result.files] == ["truncate-load", "load"]


def test_no_primary_key_appends(con, landed, make_spec, make_feed):
    feed = make_feed(("v", "Integer"))
    existing = pa.table({"v": pa.array([1], pa.int64())})
    result, rows = load(con, feed, [(landed("c.csv", "v\n1\n2\n"), make_spec("'c.csv'"))], existing=existing)
    assert rows == [{"v": 1}, {"v": 1}, {"v": 2}] and not result.merged


def test_no_files_keeps_existing_rows(con, make_feed):
    feed = make_feed(("id", "Integer", {"tags": ["pk"]}))
    result, rows = load(con, feed, [], existing=pa.table({"id": pa.array([3], pa.int64())}))
    assert rows == [{"id": 3}] and result.files == []
    _, rows = load(con, feed, [])
    assert rows == []


def test_headerless_file_maps_columns_by_position(con, landed, make_spec, make_feed):
    feed = make_feed(("id", "Integer"), {"name": "email", "source_column": "mail"})
    _, rows = load(con, feed, [(landed("c.psv", "1|a@x|ignored\n"), make_spec("'c.psv'", header_rows=0))])
    assert rows == [{"id": 1, "email": "a@x"}]


def test_empty_file_loads_nothing(con, landed, make_spec, customers):
    result, rows = load(con, customers, [(landed("c.csv", ""), make_spec("'c.csv'"))])
    assert rows == [] and result.files[0].rows_read == 0


def test_zip_members_are_sources_with_their_own_stats_and_lineage(con, landed, make_spec, make_feed):
    feed = make_feed(("id", "Integer", {"tags": ["pk"]}), ("v", "String"), error_threshold=0.5)
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        archive.writestr("a.csv", "id,v\n1,a\n2,a\n")
        archive.writestr("b.csv", "id,v\n2,b\nx,b\n")
    result, rows = load(con, feed, [(landed("in.zip", sink.getvalue()), make_spec("'in.zip'", format="csv"))])
    assert rows == [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]  # the later member wins
    assert [(f.file, f.rows_read, f.rows_rejected) for f in result.files] == [("in.zip!a.csv", 2, 0), ("in.zip!b.csv", 2, 1)]
    assert result.quarantine.select(["file", "row", "value"]).to_pylist() == [{"file": "in.zip!b.csv", "row": 2, "value": "x"}]


def test_gzip_json_and_parquet_sources(con, landed, make_spec, make_feed, tmp_path):
    feed = make_feed(("id", "Integer", {"tags": ["pk"]}), ("amount", "Decimal(38,2)"))
    records = "\n".join(json.dumps({"id": i, "amount": f"{i}.5"}) for i in range(3))
    _, rows = load(con, feed, [(landed("c.ndjson.gz", gzip.compress(records.encode())), make_spec("'c.ndjson.gz'"))])
    assert [r["amount"] for r in rows] == [Decimal("0.50"), Decimal("1.50"), Decimal("2.50")]

    sink = io.BytesIO()
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int32()), "amount": [1.25, 2.0]}), sink)
    result, rows = load(con, feed, [(landed("c.parquet", sink.getvalue()), make_spec("'c.parquet'"))])
    assert [r["id"] for r in rows] == [1, 2] and result.files[0].rows_read == 2


def test_ingest_query_flattens_nested_json(con, landed, make_spec, make_feed):
    feed = make_feed(
        ("order_id", "Integer", {"tags": ["pk"]}), ("customer_email", "String"), ("sku", "String", {"tags": ["pk"]}), ("quantity", "Integer"),
    )
    orders = [
        {"id": 1, "customer": {"email": "a@x"}, "items": [{"sku": "S1", "qty": 2}, {"sku": "S2", "qty": "lots"}]},
        {"id": 2, "customer": {"email": "b@x"}, "items": [{"sku": "S1", "qty": 1}]},
    ]
    query = """
        SELECT id AS order_id, customer.email AS customer_email, item.sku AS sku, item.qty AS quantity, _row
        FROM (SELECT *, unnest(items) AS item FROM raw)
    """
    spec = make_spec("'orders.json'")
    result, rows = load(con, feed.model_copy(update={"error_threshold": 0.5}), [(landed("orders.json", json.dumps(orders)), spec)],
                        ingest_query_sql=query)
    assert [(r["order_id"], r["sku"], r["quantity"]) for r in rows] == [(1, "S1", 2), (2, "S1", 1)]
    # the quarantined element keeps the raw row number of its order
    assert result.quarantine.select(["row", "column", "value"]).to_pylist() == [{"row": 1, "column": "quantity", "value": "lots"}]
    assert con.sql("SELECT count(*) FROM duckdb_views() WHERE view_name = 'raw'").fetchone() == (0,)


def test_ingest_query_errors_name_the_file(con, landed, make_spec, make_feed):
    feed = make_feed(("a", "String"))
    with pytest.raises(IngestError, match=r"^q\.json: .*no_such_column"):
        load_feed(con, feed, [(landed("q.json", '[{"a": "x"}]'), make_spec("'q.json'"))], ingest_query_sql="SELECT no_such_column AS a FROM raw")


def test_load_restores_session_settings(con, landed, make_spec, make_feed):
    con.execute("SET TimeZone = 'America/Los_Angeles'")
    con.execute("SET preserve_insertion_order = false")
    feed = make_feed(("t", "Datetime"))
    _, rows = load(con, feed, [(landed("c.csv", "t\n2020-04-10 10:00\n"), make_spec("'c.csv'"))])
    assert rows == [{"t": datetime(2020, 4, 10, 10)}]  # a time without an offset is UTC, whatever the session zone
    settings = dict(con.sql("SELECT name, value FROM duckdb_settings() WHERE name IN ('TimeZone', 'preserve_insertion_order')").fetchall())
    assert settings == {"TimeZone": "America/Los_Angeles", "preserve_insertion_order": "false"}
