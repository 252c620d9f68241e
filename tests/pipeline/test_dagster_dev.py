"""`dagster dev -w workspace.yaml` serves every tenant's assets, schedules and sensors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from amperity_pipelines.definitions import build_definitions
from tests.pipeline.trust_helpers import make_tenant

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


@contextmanager
def dagster_dev(tmp_path: Path, **env_vars: str) -> Iterator[tuple[int, dict]]:
    """`dagster dev` on a free port with a fresh DAGSTER_HOME (this repository's dagster.yaml);
    yields the port and the environment it runs with."""
    port = free_port()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    env = {**os.environ, "DAGSTER_HOME": str(home), "AMPERITY_LAKEHOUSE": str(tmp_path / "lh"), **env_vars}
    dagster = Path(sys.executable).parent / "dagster"
    process = subprocess.Popen(
        [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5)
                break
            except OSError:
                assert process.poll() is None, "dagster dev exited"
                assert time.monotonic() < deadline, "dagster dev did not start in 180 s"
                time.sleep(1)
        yield port, env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.slow
def test_dagster_dev_shows_every_asset_schedule_and_sensor(tmp_path):
    with dagster_dev(tmp_path) as (port, _):
        expected = build_definitions()
        keys = {tuple(node["assetKey"]["path"]) for node in graphql(port, "{ assetNodes { assetKey { path } } }")["assetNodes"]}
        assert keys == {tuple(k.path) for k in expected.resolve_asset_graph().get_all_asset_keys()}
        repository = graphql(
            port,
            "{ repositoriesOrError { ... on RepositoryConnection { nodes { schedules { name } sensors { name } } } } }",
        )["repositoriesOrError"]["nodes"][0]
        assert {s["name"] for s in repository["schedules"]} == {s.name for s in expected.schedules}
        assert {s["name"] for s in repository["sensors"]} == {s.name for s in expected.sensors}


@pytest.mark.slow
def test_a_cli_run_shows_on_its_job_page(tmp_path):
    make_tenant(tmp_path)
    with dagster_dev(tmp_path, AMPERITY_TENANTS=str(tmp_path / "tenants")) as (port, env):
        run = subprocess.run(
            [sys.executable, "-m", "amperity_pipelines.cli", "materialize", str(tmp_path / "tenants" / "shop"),
             "--job", "shop__Shop_Orders__ingest", "--landing", str(tmp_path / "landing")],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        job = graphql(
            port,
            '{ pipelineOrError(params: {repositoryLocationName: "amperity_pipelines", repositoryName: "__repository__", '
            'pipelineName: "shop__Shop_Orders__ingest"}) { ... on Pipeline { runs { runId status } } } }',
        )["pipelineOrError"]
        assert [r["status"] for r in job["runs"]] == ["SUCCESS"]
