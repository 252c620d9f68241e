"""A run launcher whose runs the daemon's run monitoring can check, so a killed run is failed.

Dagster's DefaultRunLauncher cannot tell whether a run's worker is alive, so a run whose process
was killed (kill -9, out of memory, a reboot) stays STARTED for ever, and with a limit on
concurrent runs no scheduled or sensor run starts again. This launcher launches exactly as the
default one does and adds the health check: the process that emitted the run's RUN_START event
(its pid is on every Dagster event) must still exist, and must have started before that event
(so a recycled pid is not mistaken for the run). Runs started by `amperity-pipelines
materialize` (in-process, not launched) are checked the same way.

The embedded engine runs every run on this machine; a run that carries another host's name in
its `amperity/host` tag is left alone.
"""

from __future__ import annotations

import socket

import psutil
from dagster import DagsterEventType
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun

HOST_TAG = "amperity/host"
_CLOCK_SLACK_SECONDS = 1.0


class LocalRunLauncher(DefaultRunLauncher):
    """DefaultRunLauncher plus a run-worker health check by process id (see the module)."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        host = run.tags.get(HOST_TAG)
        if host and host != socket.gethostname():
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker on host {host}, not checked here")
        records = self._instance.get_records_for_run(run.run_id, of_type=DagsterEventType.RUN_START, limit=1).records
        if not records or records[0].event_log_entry.dagster_event is None:
            # Started but its first event not written yet: give it the benefit of the doubt.
            return CheckRunHealthResult(WorkerStatus.RUNNING, "run worker has not reported its process yet")
        entry = records[0].event_log_entry
        return process_status(entry.dagster_event.pid, started_by=entry.timestamp)


def process_status(pid: int | None, *, started_by: float) -> CheckRunHealthResult:
    """RUNNING if `pid` is a live process created no later than `started_by` (a Unix time)."""
    if pid is None:
        return CheckRunHealthResult(WorkerStatus.RUNNING, "run worker process unknown")
    try:
        process = psutil.Process(pid)
        alive = process.status() != psutil.STATUS_ZOMBIE
        created = process.create_time()
    except psutil.NoSuchProcess:
        return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker process {pid} is gone (killed or crashed)")
    except psutil.AccessDenied:
        return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker process {pid} exists (not ours to inspect)")
    if not alive:
        return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker process {pid} has exited (zombie)")
    if created > started_by + _CLOCK_SLACK_SECONDS:
        return CheckRunHealthResult(
            WorkerStatus.FAILED, f"run worker process {pid} is gone; that pid now belongs to a newer process"
        )
    return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker process {pid} is alive")
