"""A killed run is failed by the daemon's run monitoring, and the run queue and pool move on.

Real processes throughout: `amperity-pipelines materialize` on a persistent instance, killed
with SIGKILL while its run is STARTED; then `dagster-daemon run` with this repository's
dagster.yaml (only the poll interval shortened) fails it, and a run queued with `dagster job
launch` behind it (one run at a time) is launched and succeeds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter

from amperity_pipelines.instance.run_launcher import process_status
from dagster._core.launcher import WorkerStatus
from tests.pipeline.trust_helpers import REPO, make_tenant

BIN = Path(sys.executable).parent


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def test_process_status_tells_dead_and_recycled_pids():
    me = os.getpid()
    assert process_status(me, started_by=time.time()).status == WorkerStatus.RUNNING
    assert process_status(me, started_by=0.0).status == WorkerStatus.FAILED  # pid "reused" since
    child = subprocess.Popen(["true"])
    child.wait()
    assert process_status(child.pid, started_by=time.time()).status == WorkerStatus.FAILED


@pytest.mark.slow
def test_killed_run_is_failed_and_the_queue_moves_on(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    config = (REPO / "dagster.yaml").read_text()
    faster = {  # the repository's settings, with shorter waits and a one-run queue
        "poll_interval_seconds: 30": "poll_interval_seconds: 2",
        "free_slots_after_run_end_seconds: 30": "free_slots_after_run_end_seconds: 1",
        "max_concurrent_runs: 2": "max_concurrent_runs: 1",
    }
    for setting, shorter in faster.items():
        assert setting in config
        config = config.replace(setting, shorter)
    (home / "dagster.yaml").write_text(config)
    make_tenant(tmp_path)
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path), "DAGSTER_HOME": str(home),
        "AMPERITY_TENANTS": str(tmp_path / "tenants"), "AMPERITY_LAKEHOUSE": str(tmp_path / "lakehouse"),
        "AMPERITY_LANDING": str(tmp_path / "landing"), "AMPERITY_EXPORTS": str(tmp_path / "exports"),
    }
    instance = dg.DagsterInstance.from_config(str(home))

    run = subprocess.Popen(
        [sys.executable, "-m", "amperity_pipelines.cli", "materialize", str(tmp_path / "tenants" / "shop")],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    [started] = _wait(lambda: instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED])), 180, "a STARTED run")
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert instance.get_run_by_id(started.run_id).status == DagsterRunStatus.STARTED  # what used to stall the queue

    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", str(REPO / "workspace.yaml")],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        _wait(lambda: instance.get_run_by_id(started.run_id).status == DagsterRunStatus.FAILURE, 240, "the killed run to fail")
        failure = instance.get_records_for_run(started.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
        assert "is gone" in failure[-1].event_log_entry.dagster_event.message

        launch = subprocess.run(
            [str(BIN / "dagster"), "job", "launch", "-w", str(REPO / "workspace.yaml"), "-j", "shop__Shop_Orders__ingest",
             "--tags", '{"dagster/partition": "2026-11-25"}'],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
        )
        assert launch.returncode == 0, launch.stdout + launch.stderr
        queued = _wait(lambda: instance.get_runs(RunsFilter(job_name="shop__Shop_Orders__ingest")), 60, "the launched run")
        status = _wait(
            lambda: instance.get_run_by_id(queued[0].run_id).status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE)
            and instance.get_run_by_id(queued[0].run_id).status,
            300, "the queued run to finish",
        )
        assert status == DagsterRunStatus.SUCCESS
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
