"""`amperity-pipelines stitch RECORDS --out DIR`: checks input first, writes DIR whole or not at all."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amperity_pipelines.commands.stitch import StitchInputError, format_explanation, format_summary, run

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
        (RECORDS.set_column(4, "birthdate", pa.array(["02/01/1990", None, None, None])), "birthdate: 1 value(s) (25.0000%) are not valid dates, e.g. POS:1 '02/01/1990'"),
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


def test_writes_every_stitch_table_settings_and_figures(tmp_path):
    out = tmp_path / "out"
    result = run(write(tmp_path, RECORDS), out)
    names = {path.name for path in out.iterdir()}
    for table in ("unified_coalesced", "unified_scores", "unified_preprocessed_raw", "blocking_keys", "bad_values", "model"):
        assert f"{table}.parquet" in names
    assert {"stitch_settings.json", "stitch_stats.json"} <= names
    assert result.tables["unified_coalesced"] == 4
    summary = format_summary(result)
    assert "4 records -> 3 Amperity IDs (dedupe rate 25.0%)" in summary
    assert "pairs scored" in summary and "preprocess" in summary and "clustering" in summary


def test_config_file_settings_are_used_and_errors_name_the_line(tmp_path):
    config = tmp_path / "stitch.yaml"
    config.write_text("threshold: Exact\nblock-size-cap: 50\nnicknames:\n  add: [[robert, bobbo]]\n")
    run(write(tmp_path, RECORDS), tmp_path / "out", config=config)
    settings = json.loads((tmp_path / "out" / "stitch_settings.json").read_text())
    assert settings["threshold"] == 5 and settings["block_size_cap"] == 50
    assert settings["nickname_changes"] == [["robert", "bobbo", "ADD"]]

    config.write_text("threshold: 3\nstrategies: [dnf1, dnf99]\nwobble: 1\n")
    with pytest.raises(StitchInputError) as caught:
        run(write(tmp_path, RECORDS), tmp_path / "out2", config=config)
    message = str(caught.value)
    assert f"{config}:2: strategies: unknown blocking strategy dnf99" in message
    assert f"{config}:3: wobble: unknown Stitch setting 'wobble'" in message
    assert not (tmp_path / "out2").exists()


def test_labels_force_apart_and_blocklist_voids_a_value(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("label_id,partition_id,datasource,pk\nL1,1,POS,1\nL1,2,Web,a\n")
    run(write(tmp_path, RECORDS), tmp_path / "apart", labels=labels)
    ids = {(r["datasource"], r["pk"]): r["amperity_id"] for r in pq.read_table(tmp_path / "apart" / "unified_coalesced.parquet").to_pylist()}
    assert ids[("POS", "1")] != ids[("Web", "a")]

    blocklist = tmp_path / "blocklist.csv"
    blocklist.write_text("datasource,semantic,value\n*,email,ann@x.org\n")
    run(write(tmp_path, RECORDS.drop(["birthdate"])), tmp_path / "blocked", blocklist=blocklist)
    coalesced = pq.read_table(tmp_path / "blocked" / "unified_coalesced.parquet").to_pylist()
    assert len({r["amperity_id"] for r in coalesced if r["given_name"] == "Ann"}) == 2
    assert all(r["blv_email"] for r in coalesced if r["given_name"] == "Ann")

    with pytest.raises(StitchInputError, match="--labels .*missing column\\(s\\) partition_id"):
        labels.write_text("label_id,datasource,pk\nL1,POS,1\n")
        run(write(tmp_path, RECORDS), tmp_path / "bad", labels=labels)


def test_explain_names_the_rule_and_the_path(tmp_path):
    out = tmp_path / "out"
    run(write(tmp_path, RECORDS), out)
    merged = format_explanation(out, "POS:1", "Web:a")
    assert "same Amperity ID" in merged and "email" in merged and "path: POS:1" in merged
    apart = format_explanation(out, "POS:1", "Web:b")
    assert "different Amperity IDs" in apart
    with pytest.raises(StitchInputError, match="expected DATASOURCE:PK"):
        format_explanation(out, "POS1", "Web:a")


@pytest.mark.spark
def test_spark_engine_gives_the_duckdb_clusters(tmp_path):
    records = write(tmp_path, RECORDS)
    on_duckdb = run(records, tmp_path / "duckdb")
    on_spark = run(records, tmp_path / "spark", engine="spark")
    ids = lambda folder: sorted((r["datasource"], r["pk"], r["amperity_id"]) for r in pq.read_table(folder / "unified_coalesced.parquet").to_pylist())  # noqa: E731
    assert ids(tmp_path / "spark") == ids(tmp_path / "duckdb")
    assert (on_spark.records, on_spark.amperity_ids) == (on_duckdb.records, on_duckdb.amperity_ids)


def test_writes_the_stitch_qa_report(tmp_path):
    result = run(write(tmp_path, RECORDS), tmp_path / "out")
    assert result.report == tmp_path / "out" / "stitch_report.html"
    html = result.report.read_text()
    assert 'data-figure="records"' in html and 'data-value="4"' in html
    assert "stitch_report.html" in format_summary(result)
