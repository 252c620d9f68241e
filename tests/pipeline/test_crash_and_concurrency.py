"""Trust under crashes and concurrency, with real processes (issue: nothing lost, nothing twice).

- kill -9 of a real `amperity-pipelines materialize` right after each commit point of a load,
  of Stitch and of an export (the commit points are instrumented, see crash_harness.py), then a
  normal rerun: the result equals a clean run's, with no row lost, none doubled, nothing stray;
- two and three `materialize` processes of one tenant at once: every file loaded once;
- the CLI's --lakehouse/--landing/--exports are where a run reads and writes.
"""

from __future__ import annotations

import signal

import pytest

from tests.pipeline.trust_helpers import cli_process, differences, make_tenant, snapshot, storage_args


def _run(tmp_path, name: str, *, points=None, kill_after: int = 0, timeout: int = 600):
    lakehouse, exports = tmp_path / name / "lakehouse", tmp_path / name / "exports"
    folder, landing = tmp_path / "tenants" / "shop", tmp_path / "landing"
    args = ["materialize", str(folder), *storage_args(lakehouse, landing, exports)]
    process = cli_process(args, cwd=tmp_path, points=points, kill_after=kill_after)
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output, lakehouse / "shop", exports / "shop"


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The shop tenant, and the snapshot and commit points of one uninterrupted run."""
    root = tmp_path_factory.mktemp("trust")
    make_tenant(root)
    points = root / "clean-points.txt"
    code, output, lakehouse, exports = _run(root, "clean", points=points)
    assert code == 0, output
    names = [line.split(" ", 1)[1] for line in points.read_text().splitlines()]
    return root, snapshot(lakehouse, exports), names


def _kill_points(names: list[str]) -> list[int]:
    """Every commit point of the loads and of Stitch, and the export's file renames (the steps
    in between are overwrites of whole tables, which the database tables' points stand for)."""
    chosen = []
    for number, name in enumerate(names, start=1):
        layer = name.split("/", 1)[0]
        if layer in ("quarantine", "domain", "system", "stitch") or name.startswith("file Send_Emails"):
            chosen.append(number)
        elif layer == "database" and not any(names[n - 1].startswith("database/") for n in chosen):
            chosen.append(number)  # the first customer 360 table
    return chosen


def test_commit_points_are_where_expected(clean):
    _, state, names = clean
    assert names[:5] == [
        "quarantine/Shop_Customers", "domain/Shop_Customers", "system/loaded_files",
        "domain/Shop_Orders", "system/loaded_files (merge)",
    ] or names[:5] == [
        "domain/Shop_Orders", "system/loaded_files", "quarantine/Shop_Customers",
        "domain/Shop_Customers", "system/loaded_files (merge)",
    ]
    assert names.count("system/published") == 1
    assert state["stray"] == []
    assert len(state["tables"]["system/loaded_files"]) == 3
    assert len(state["tables"]["quarantine/Shop_Customers"]) == 1


@pytest.mark.slow
def test_kill_at_every_commit_point_then_rerun_equals_a_clean_run(clean):
    root, expected, names = clean
    failures = []
    for number in _kill_points(names):
        name = f"kill-{number}"
        code, output, _, _ = _run(root, name, points=root / f"{name}.txt", kill_after=number)
        assert code == -signal.SIGKILL, f"the run was meant to die after commit point {number}: {output[-2000:]}"
        code, output, lakehouse, exports = _run(root, name)
        assert code == 0, f"rerun after a kill at point {number} ({names[number - 1]}) failed: {output[-3000:]}"
        found = differences(expected, snapshot(lakehouse, exports))
        if found:
            failures.append(f"killed after {number} ({names[number - 1]}): " + "; ".join(found))
    assert not failures, "\n".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("runs", [2, 3])
def test_concurrent_runs_load_each_file_once(clean, runs):
    root, expected, _ = clean
    lakehouse, exports = root / f"concurrent-{runs}" / "lakehouse", root / f"concurrent-{runs}" / "exports"
    folder, landing = root / "tenants" / "shop", root / "landing"
    args = ["materialize", str(folder), *storage_args(lakehouse, landing, exports)]
    processes = [cli_process(args, cwd=root) for _ in range(runs)]
    outputs = [process.communicate(timeout=900)[0] for process in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-3000:]
    assert differences(expected, snapshot(lakehouse / "shop", exports / "shop")) == []
    # Flags are obeyed: nothing went to the working directory's default folders.
    assert not (root / "lakehouse").exists() and not (root / "exports").exists()
