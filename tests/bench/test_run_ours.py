"""The benchmark's Python route: probabilistic Stitch on a records file, optionally with a preset."""

import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.stitch.run_ours import main, ours_command


def test_python_route_command_carries_the_preset(tmp_path):
    command, via = ours_command(tmp_path / "r.parquet", tmp_path / "out", via="python", preset="record-linkage")
    assert via == "python" and command[0] == sys.executable
    assert command[-2:] == ["--preset", "record-linkage"]
    plain, _ = ours_command(tmp_path / "r.parquet", tmp_path / "out", via="python")
    assert "--preset" not in plain


def test_a_preset_needs_the_python_route(tmp_path, monkeypatch):
    monkeypatch.setattr("bench.stitch.run_ours.stitch_cli_available", lambda: True)
    with pytest.raises(SystemExit, match="Python route only"):
        ours_command(tmp_path / "r.parquet", tmp_path / "out", via="cli", preset="record-linkage")


@pytest.mark.parametrize("preset", [None, "record-linkage"])
def test_python_route_writes_unified_coalesced(tmp_path, preset):
    rows = [
        ("pos", "1", "Ada", "Lovelace", "ada@mail.test"),
        ("web", "1", "ADA", "LOVELACE", "Ada@Mail.test"),
        ("web", "2", "Charles", "Babbage", "cb@mail.test"),
    ]
    names = ("datasource", "pk", "given_name", "surname", "email")
    records = tmp_path / "records.parquet"
    pq.write_table(pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)}), records)
    assert main([str(records), "--out", str(tmp_path / "out")] + (["--preset", preset] if preset else [])) == 0
    coalesced = pq.read_table(tmp_path / "out" / "unified_coalesced.parquet").to_pylist()
    ids = {(r["datasource"], r["pk"]): r["amperity_id"] for r in coalesced}
    assert ids[("pos", "1")] == ids[("web", "1")] != ids[("web", "2")]
