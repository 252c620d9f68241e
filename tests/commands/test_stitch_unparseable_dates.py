"""Impossible dates in a records file: set to NULL and reported, refused only past the error threshold."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from amperity_pipelines.commands.stitch import StitchInputError, format_summary, run

IMPOSSIBLE = {"17": "1986-02-29", "42": "1990-13-01"}


def records(n: int = 300, bad: dict[str, str] = IMPOSSIBLE, bad_update: dict[str, str] | None = None) -> pa.Table:
    pks = [str(i) for i in range(n)]
    return pa.table(
        {
            "datasource": ["POS"] * n,
            "pk": pks,
            "given_name": [f"Name{i % 97}" for i in range(n)],
            "email": [f"p{i}@x.org" for i in range(n)],
            "birthdate": [bad.get(pk, f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}") for i, pk in enumerate(pks)],
            "update_dt": [(bad_update or {}).get(pk, "2024-05-01 10:00:00") for pk in pks],
        }
    )


def write(tmp_path, table: pa.Table):
    path = tmp_path / "records.csv"
    pacsv.write_csv(table, path)
    return path


def test_impossible_dates_under_the_threshold_become_null_and_are_reported(tmp_path):
    result = run(write(tmp_path, records(bad_update={"5": "2024-02-30 10:00:00"})), tmp_path / "out")
    assert result.records == 300
    coalesced = {r["pk"]: r for r in pq.read_table(tmp_path / "out" / "unified_coalesced.parquet").to_pylist()}
    assert coalesced["17"]["birthdate"] is None and coalesced["42"]["birthdate"] is None
    assert coalesced["18"]["birthdate"] is not None and coalesced["5"]["update_dt"] is None
    stats = json.loads((tmp_path / "out" / "stitch_stats.json").read_text())
    assert stats["unparseable_values"]["birthdate"] == {
        "count": 2,
        "share": 2 / 300,
        "sample": [["POS", "17", "1986-02-29"], ["POS", "42", "1990-13-01"]],
    }
    assert stats["unparseable_values"]["update_dt"]["count"] == 1
    summary = format_summary(result)
    assert "Unparseable birthdate set to NULL: 2 (0.6667%), e.g. POS:17 '1986-02-29', POS:42 '1990-13-01'" in summary


def test_past_the_threshold_the_file_is_refused_naming_column_count_share_and_sample(tmp_path):
    bad = {str(i): "2001-02-29" for i in range(0, 300, 50)}  # 6 of 300: 2%
    with pytest.raises(StitchInputError) as caught:
        run(write(tmp_path, records(bad=bad)), tmp_path / "out")
    message = str(caught.value)
    assert "birthdate: 6 value(s) (2.0000%) are not valid dates" in message
    assert "POS:0 '2001-02-29', POS:100 '2001-02-29'" in message and "error threshold of 1.00%" in message
    assert not (tmp_path / "out").exists()


def test_the_threshold_is_a_flag_and_a_stitch_yaml_key(tmp_path):
    bad = {str(i): "2001-02-29" for i in range(0, 300, 50)}
    path = write(tmp_path, records(bad=bad))
    assert run(path, tmp_path / "flag", error_threshold="5%").stats.unparseable_values["birthdate"]["count"] == 6
    config = tmp_path / "stitch.yaml"
    config.write_text("error-threshold: 2%\n")
    assert run(path, tmp_path / "yaml", config=config).records == 300
    with pytest.raises(StitchInputError, match="above the error threshold of 1.50%"):
        run(path, tmp_path / "strict", config=config, error_threshold=0.015)
    with pytest.raises(StitchInputError, match="error_threshold 'lots'"):
        run(path, tmp_path / "nonsense", error_threshold="lots")


def test_blank_dates_are_missing_not_errors(tmp_path):
    result = run(write(tmp_path, records(bad={"1": "", "2": "  "})), tmp_path / "out")
    assert result.stats.unparseable_values == {}


def test_the_command_line_takes_error_threshold(tmp_path, capsys):
    from amperity_pipelines.cli import build_parser

    def stitch(*argv: str) -> int:  # cli.main ends the process (os._exit): call the command itself
        args = build_parser().parse_args(["stitch", *argv])
        return args.func(args)

    bad = {str(i): "2001-02-29" for i in range(0, 300, 50)}
    path = str(write(tmp_path, records(bad=bad)))
    assert stitch(path, "--out", str(tmp_path / "refused")) == 2
    assert "birthdate: 6 value(s) (2.0000%) are not valid dates" in capsys.readouterr().err
    assert stitch(path, "--out", str(tmp_path / "out"), "--error-threshold", "5%") == 0
    assert "Unparseable birthdate set to NULL: 6 (2.0000%)" in capsys.readouterr().out
