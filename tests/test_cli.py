"""The command line, run as a user runs it: a real process, its output and its exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd: Path, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "amperity_pipelines.cli", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(cwd)},
    )


def test_validate_demo(tmp_path):
    result = cli("validate", str(REPO / "tenants" / "demo"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "tenant demo is valid" in result.stdout


def test_validate_reports_file_and_line(tmp_path):
    folder = tmp_path / "t"
    (folder / "sources").mkdir(parents=True)
    (folder / "tenant.yaml").write_text("tenant: t\ncourier_groups:\n  - {name: G, couriers: [X], cron: '0 6 * * *'}\n")
    (folder / "sources" / "s.yaml").write_text("source: S\nfeeds:\n  - name: F\n    fields:\n      - {name: a, type: Text}\n")
    result = cli("validate", str(folder), cwd=tmp_path)
    assert result.returncode == 2
    assert "s.yaml:5: feeds[0].fields[0].type: unknown field type 'Text'" in result.stderr


def test_list_shows_feeds_and_assets(tmp_path):
    result = cli("list", str(REPO / "tenants" / "demo"), "--assets", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "POS:Customers [stitch]" in result.stdout
    assert "demo/stitch/Unified_Coalesced" in result.stdout


@pytest.mark.slow
def test_demo_then_query(tmp_path):
    result = cli("demo", "--people", "300", cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Succeeded" in result.stdout and "Amperity IDs" in result.stdout
    assert (tmp_path / "lakehouse" / "demo" / "stitch" / "Unified_Coalesced" / "_delta_log").is_dir()
    query = cli("query", "SELECT count(DISTINCT amperity_id) AS ids FROM Customer_360", cwd=tmp_path)
    assert query.returncode == 0, query.stderr
    assert "ids" in query.stdout and "(1 row)" in query.stdout
    bad = cli("query", "SELECT FROM WHERE", cwd=tmp_path)
    assert bad.returncode != 0 and "error" in bad.stderr.lower()


def test_stitch_and_explain_as_commands(tmp_path):
    (tmp_path / "records.csv").write_text(
        "datasource,pk,given_name,surname,email,birthdate\n"
        "POS,1,Robert,Smith,rob@shopmail.net,1980-01-02\n"
        "Web,a,Bob,Smith,ROB@shopmail.net,1980-01-02\n"
        "Web,b,Ann,Lee,ann@shopmail.net,\n"
    )
    result = cli("stitch", "records.csv", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 records -> 2 Amperity IDs" in result.stdout and "unified_scores.parquet" in result.stdout
    explained = cli("stitch", "explain", "out", "POS:1", "Web:a", cwd=tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert "same Amperity ID" in explained.stdout and "given_name" in explained.stdout
    missing = cli("stitch", "explain", "out", "POS:1", "Web:zz", cwd=tmp_path)
    assert missing.returncode == 2 and "Web:zz" in missing.stderr
    (tmp_path / "stitch.yaml").write_text("threshold: 9\n")
    bad = cli("stitch", "records.csv", "--out", "out", "--config", "stitch.yaml", cwd=tmp_path)
    assert bad.returncode == 2 and "stitch.yaml:1: threshold: threshold must be one of 1, 2, 3, 4, 5" in bad.stderr


def test_query_sql_may_follow_options_and_be_long():
    from amperity_pipelines.cli import parse_args

    long_sql = "SELECT count(*) AS n FROM Unified_Coalesced WHERE pk IN (" + ", ".join(f"'{i}'" for i in range(300)) + ")"
    args = parse_args(["query", "--lakehouse", "lh", long_sql])
    assert args.sql == long_sql and args.tenant is None
    args = parse_args(["query", "tenants/demo", "--lakehouse", "lh", "SELECT 1"])
    assert args.tenant == "tenants/demo" and args.sql == "SELECT 1" and args.lakehouse == "lh"
    with pytest.raises(SystemExit):
        parse_args(["validate", "tenants/demo", "stray"])


def test_bad_dates_and_deep_sql_are_one_line_errors(tmp_path):
    bad_day = cli("materialize", str(REPO / "tenants" / "demo"), "--day", "2026-13-45", cwd=tmp_path)
    assert bad_day.returncode == 2 and "argument --day: expected a date YYYY-MM-DD, got '2026-13-45'" in bad_day.stderr
    deep = cli("query", "--lakehouse", str(tmp_path / "lh"), "SELECT " + "(" * 300 + "1" + ")" * 300 + " AS x", cwd=tmp_path)
    assert deep.returncode != 0 and "Traceback" not in deep.stderr
    assert "nested too deeply" in deep.stderr
