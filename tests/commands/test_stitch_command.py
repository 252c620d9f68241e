"""`amperity-pipelines stitch RECORDS --out DIR`: checks input first, writes DIR whole or not at all."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amperity_pipelines.commands.stitch import StitchInputError, run

RECORDS = pa.table(
    {
        "datasource": ["POS", "POS", "Web", "Web"],
        "pk": ["1", "2", "a", "b"],
        "given_name": ["Ann", "Bo", "Ann", "Cy"],
        "email": ["ann@x.org", None, "ANN@x.org", "cy@x.org"],
        "birthdate": ["1990-01-02", None, "1990-01-02", None],
        "unrelated": [1, 2, 3, 4],
    }
)


def write(tmp_path, table, name="records.parquet"):
    path = tmp_path / name
    if name.endswith(".csv"):
        import pyarrow.csv as pc

        pc.write_csv(table, path)
    else:
        pq.write_table(table, path)
    return path


def test_stitches_parquet_and_csv(tmp_path):
    for name in ("records.parquet", "records.csv"):
        result = run(write(tmp_path, RECORDS, name), tmp_path / f"out-{name}")
        assert (result.records, result.amperity_ids) == (4, 3)
        coalesced = pq.read_table(tmp_path / f"out-{name}" / "unified_coalesced.parquet")
        assert coalesced.num_rows == 4 and "unrelated" not in coalesced.column_names


def test_previous_keeps_ids_and_records_changes(tmp_path):
    first = tmp_path / "first"
    run(write(tmp_path, RECORDS), first)
    more = pa.concat_tables([RECORDS, pa.table({"datasource": ["Web"], "pk": ["c"], "given_name": ["Ann"], "email": ["ann@x.org"],
                                                "birthdate": [None], "unrelated": [5]}, schema=RECORDS.schema)])
    run(write(tmp_path, more, "more.parquet"), tmp_path / "second", previous=first)
    ids = lambda folder: {(r["datasource"], r["pk"]): r["amperity_id"] for r in pq.read_table(folder / "unified_coalesced.parquet").to_pylist()}  # noqa: E731
    before, after = ids(first), ids(tmp_path / "second")
    assert {k: after[k] for k in before} == before
    assert after[("Web", "c")] == before[("POS", "1")]
    changes = pq.read_table(tmp_path / "second" / "unified_changes_pks.parquet").to_pylist()
    assert [(c["pk"], c["change_type"]) for c in changes] == [("c", "added")]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (RECORDS.drop(["pk"]), "missing required column(s) pk"),
        (pa.concat_tables([RECORDS, RECORDS.slice(0, 1)]), "repeated: POS:1 (2 times)"),
        (RECORDS.slice(0, 0), "no records"),
        (RECORDS.set_column(4, "birthdate", pa.array(["02/01/1990", None, None, None])), "not ISO dates"),
    ],
)
def test_bad_input_is_reported_before_any_work(tmp_path, table, message):
    out = tmp_path / "out"
    with pytest.raises(StitchInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(write(tmp_path, table), out)
    assert not out.exists()


def test_failed_run_leaves_previous_output_intact(tmp_path):
    out = tmp_path / "out"
    run(write(tmp_path, RECORDS), out)
    before = (out / "unified_coalesced.parquet").read_bytes()
    with pytest.raises(StitchInputError):
        run(write(tmp_path, RECORDS.drop(["datasource"]), "bad.parquet"), out)
    assert (out / "unified_coalesced.parquet").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


def test_unknown_engine(tmp_path):
    with pytest.raises(StitchInputError, match="engine 'spark' is not available yet"):
        run(write(tmp_path, RECORDS), tmp_path / "out", engine="spark")
