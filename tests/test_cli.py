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
