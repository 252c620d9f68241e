"""Run one engine in a child process and measure it: wall seconds, CPU seconds, peak RSS.

Each engine gets a process of its own so its peak memory is its own (interpreter and imports
included, which every deployment pays too), and engines cannot leak memory or caches into each
other's figures.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessFigures:
    exit_code: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    log: Path


def run_measured(command: list[str], *, log: Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> ProcessFigures:
    """Run `command` to completion with stdout and stderr to `log`.

    os.wait4 gives the rusage of that one child (ru_maxrss is KiB on Linux), where
    RUSAGE_CHILDREN would report the largest of every child waited for so far.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return ProcessFigures(
        exit_code=process.returncode,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=usage.ru_maxrss / 1024,
        log=log,
    )


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
