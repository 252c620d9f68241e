"""Run the real CLI in this process with its commit points instrumented, and die at one of them.

A commit point is every Delta commit (delta-rs `write_deltalake`, a merge's `execute`) and every
rename that publishes an export file (`os.replace`). Instrumenting them (rather than sleeping and
killing at a guessed moment) lets a test kill the process at exactly the n-th point:

    python tests/pipeline/crash_harness.py POINTS_FILE KILL_AFTER -- materialize TENANT ...

appends one line per commit point to POINTS_FILE as it passes it ("3 domain/Shop_Customers"),
and sends itself SIGKILL right after point number KILL_AFTER (1-based; 0 = never).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def instrument(points_file: Path, kill_after: int) -> None:
    import deltalake
    import deltalake.table as delta_table
    import deltalake.writer as delta_writer

    passed = 0

    def point(name: str) -> None:
        nonlocal passed
        passed += 1
        with points_file.open("a") as handle:
            handle.write(f"{passed} {name}\n")
            handle.flush()
            os.fsync(handle.fileno())
        if passed == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    def table_name(uri) -> str:
        return "/".join(Path(str(uri)).parts[-2:])

    real_write = delta_writer.write_deltalake

    def write_deltalake(table_or_uri, *args, **kwargs):
        result = real_write(table_or_uri, *args, **kwargs)
        point(table_name(table_or_uri))
        return result

    deltalake.write_deltalake = write_deltalake
    delta_writer.write_deltalake = write_deltalake
    import amperity_pipelines.storage.lakehouse as lakehouse

    lakehouse.write_deltalake = write_deltalake

    real_execute = delta_table.TableMerger.execute

    def execute(self, *args, **kwargs):
        result = real_execute(self, *args, **kwargs)
        point(table_name(self._table.table_uri()) + " (merge)")
        return result

    delta_table.TableMerger.execute = execute

    real_replace = os.replace

    def replace(source, target, *args, **kwargs):
        result = real_replace(source, target, *args, **kwargs)
        point("file " + Path(target).name)
        return result

    os.replace = replace


def main() -> None:
    points_file, kill_after, separator, *argv = sys.argv[1:]
    assert separator == "--", "usage: crash_harness.py POINTS_FILE KILL_AFTER -- CLI ARGS"
    instrument(Path(points_file), int(kill_after))
    from amperity_pipelines.cli import main as cli_main

    cli_main(argv)


if __name__ == "__main__":
    main()
