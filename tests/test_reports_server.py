"""`amperity-pipelines serve-reports`: reports and Data Docs open over HTTP; tables never do."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from amperity_pipelines.reports_server import is_served, report_url

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("relative", "served"),
    [
        ("demo/reports/stitch/stitch_report_1.html", True),
        ("demo/quality/data_docs/index.html", True),
        ("demo/domain/POS_Customers/part-0.parquet", False),
        ("demo/quarantine/POS_Customers/_delta_log/00000.json", False),
        ("demo/reports/../domain/x.parquet", False),
        ("demo/reports", False),
        ("demo/_locks/load-x.lock", False),
        ("", False),
    ],
)
def test_only_reports_are_served(relative, served):
    assert is_served(relative) is served


def test_report_url(tmp_path):
    report = tmp_path / "demo" / "reports" / "stitch" / "r 1.html"
    assert report_url("http://127.0.0.1:3001/", tmp_path, report) == "http://127.0.0.1:3001/demo/reports/stitch/r%201.html"
    assert report_url("", tmp_path, report) == report.as_uri()
    assert report_url("http://x", tmp_path / "other", report) == report.as_uri()


def test_serve_reports_as_a_process(tmp_path):
    (tmp_path / "lh" / "demo" / "reports" / "stitch").mkdir(parents=True)
    (tmp_path / "lh" / "demo" / "reports" / "stitch" / "r.html").write_text("<html>report</html>")
    (tmp_path / "lh" / "demo" / "domain" / "T").mkdir(parents=True)
    (tmp_path / "lh" / "demo" / "domain" / "T" / "part.parquet").write_bytes(b"PAR1 secret")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "amperity_pipelines.cli", "serve-reports", "--lakehouse", str(tmp_path / "lh"), "--port", str(port)],
        cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                body = urllib.request.urlopen(f"{base}/demo/reports/stitch/r.html", timeout=5).read()
                break
            except urllib.error.URLError:
                assert server.poll() is None and time.monotonic() < deadline, "serve-reports did not start"
                time.sleep(0.3)
        assert body == b"<html>report</html>"
        for path in ("/demo/domain/T/part.parquet", "/demo/reports/stitch/", "/demo/reports/%2e%2e/domain/T/part.parquet", "/"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=5)
            assert refused.value.code == 404, path
    finally:
        server.terminate()
        server.wait(10)
