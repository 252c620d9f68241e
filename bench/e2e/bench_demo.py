"""End to end: the demo tenant at scale, layer by layer, wall time and peak memory per layer.

    .venv/bin/python bench/e2e/bench_demo.py --people 100000
    .venv/bin/python bench/e2e/bench_demo.py                      # 1M people, 10 order lines each
    .venv/bin/python bench/e2e/bench_demo.py --people 1000000 --repeat 3

Target (the issue): 1M people (~2M profile records) and 10M order lines through every layer in
under 10 minutes on 2 cores. Generates the landing files once (cached under
bench/data/e2e-<people>-<lines>/, seed fixed; generation time is reported, not counted), then
materializes the tenant into a fresh lakehouse one layer at a time, each layer in its own process
so its peak RSS is its own: (1) domain tables, feeds and custom, (2) Stitch, (3) customer 360
database, (4) queries, (5) exports. A layer's wall time is its whole process, interpreter and
Dagster start-up included (`startup` shows that part); a layer during which other processes took
over 10% of the machine is flagged BUSY. `--repeat N` runs the pipeline N times,
each into a fresh lakehouse, and reports medians. Writes bench/results/e2e_demo.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATA = REPO / "bench" / "data"
RESULTS = REPO / "bench" / "results" / "e2e_demo.json"
TENANT = REPO / "tenants" / "demo"
TARGET_SECONDS = 600
SEED = 7
LAYERS = (
    ("domain", "domain tables"),
    ("stitch", "Stitch"),
    ("database", "customer 360"),
    ("query", "queries"),
    ("export", "exports"),
)


def generate(people: int, lines_per_person: float) -> tuple[Path, dict]:
    """The cached landing root for (people, lines) and how its generation went; generated if missing.

    The generator runs in its own process (its peak RSS is reported too) into a `.partial`
    folder that is renamed only once complete, so an interrupted run never leaves a half cache.
    """
    name = f"e2e-{people}-{lines_per_person:g}"
    root = DATA / name
    summary = root / "generation.json"
    if summary.is_file():
        return root, json.loads(summary.read_text()) | {"cached": True}
    partial = DATA / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    command = [
        sys.executable, "-m", "amperity_pipelines.demo.generator", str(partial / "demo"),
        "--people", str(people), "--order-lines-per-person", f"{lines_per_person:g}", "--seed", str(SEED),
    ]
    print(f"generating {name} (once): {' '.join(command[1:])}", flush=True)
    figures = _run(command, _child_env())
    if figures["exit_code"]:
        raise SystemExit(f"the generator failed (exit {figures['exit_code']})")
    generation = {
        "people": people,
        "order_lines_per_person": lines_per_person,
        "seed": SEED,
        "seconds": round(figures["seconds"], 2),
        "peak_rss_mib": round(figures["peak_rss_mib"]),
        "bytes": sum(f.stat().st_size for f in (partial / "demo").rglob("*") if f.is_file()),
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    (partial / "generation.json").write_text(json.dumps(generation, indent=2) + "\n")
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    return root, generation | {"cached": False}


def _run(command: list[str], env: dict[str, str] | None = None) -> dict:
    """Run `command` to completion: wall seconds, exit code and the child's own peak RSS.

    os.wait4 gives the rusage of that one child, where RUSAGE_CHILDREN would be the largest of
    every child waited for so far.
    """
    started, busy = time.perf_counter(), _machine_busy_seconds()
    process = subprocess.Popen(command, cwd=REPO, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "seconds": time.perf_counter() - started,
        "exit_code": process.returncode,
        "peak_rss_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "cpu_seconds": cpu,
        "other_cpu_seconds": max(0.0, _machine_busy_seconds() - busy - cpu) if busy else None,
    }


def _machine_busy_seconds() -> float:
    """CPU seconds every process of the machine has used since boot (Linux /proc/stat), 0 if unknown.

    The machine's use during a layer minus the layer's own is what other processes took from it:
    figures from a machine that was not otherwise idle are flagged, not silently kept.
    """
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _child_env() -> dict[str, str]:
    """The environment of a layer process: an ephemeral Dagster instance (no DAGSTER_HOME), and
    compiled bytecode cached under bench/data/ even where PYTHONDONTWRITEBYTECODE is set, so each
    layer's start-up is that of an installed deployment (imports from .pyc, ~3 s) rather than
    compiling Dagster's sources again (~10 s)."""
    env = {key: value for key, value in os.environ.items() if key not in ("DAGSTER_HOME", "PYTHONDONTWRITEBYTECODE")}
    env.setdefault("PYTHONPYCACHEPREFIX", str(DATA / ".pycache"))
    return env


def run_layer(layer: str, landing: Path, workdir: Path, result_file: Path) -> dict:
    """Child process: materialize every asset of one layer; writes its figures to `result_file`."""
    began = time.perf_counter()
    import dagster as dg

    sys.path.insert(0, str(REPO))
    from amperity_pipelines.tenant_check import load_tenant
    from amperity_pipelines.definitions import build_definitions
    from amperity_pipelines.resources import LakehouseResource

    tenant = load_tenant(TENANT)
    resource = LakehouseResource(
        root=str(workdir / "lakehouse"), landing_root=str(landing), exports_root=str(workdir / "exports")
    )
    job_name = f"bench__{layer}"
    job = dg.define_asset_job(job_name, selection=dg.AssetSelection.key_prefixes([tenant.name, layer]))
    defs = dg.Definitions.merge(build_definitions([tenant], resource), dg.Definitions(jobs=[job]))
    job_def = defs.resolve_job_def(job_name)
    run_config = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    instance = dg.DagsterInstance.ephemeral()
    started = time.perf_counter()
    result = job_def.execute_in_process(run_config=run_config, instance=instance, raise_on_error=False)
    finished = time.perf_counter()

    assets: dict[str, dict] = {}
    step_started: dict[str, float] = {}
    failures = []
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type_value == "STEP_START":
            step_started[event.step_key] = entry.timestamp
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            rows = materialization.metadata.get("dagster/row_count")
            assets["/".join(materialization.asset_key.path[1:])] = {
                "rows": rows.value if rows is not None else None,
                "seconds": round(entry.timestamp - step_started.get(event.step_key, entry.timestamp), 2),
            }
        elif event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            failures.append(f"{event.step_key}: {error.message.strip() if error else 'failed'}")
    figures = {
        "layer": layer,
        "success": result.success,
        "startup_seconds": round(started - began, 2),
        "run_seconds": round(finished - started, 2),
        "rows_written": sum(a["rows"] or 0 for a in assets.values()),
        "assets": assets,
        "failures": failures,
    }
    result_file.write_text(json.dumps(figures))
    return figures


def run_pipeline(landing: Path, workdir: Path, repetition: int) -> list[dict]:
    """Every layer in order, each in a fresh process, into a fresh lakehouse under `workdir`."""
    env = _child_env()
    layers = []
    for layer, label in LAYERS:
        result_file = workdir / f"{layer}.json"
        command = [
            sys.executable, __file__, "--child", layer,
            "--landing", str(landing), "--workdir", str(workdir), "--result-file", str(result_file),
        ]
        process = _run(command, env)
        figures = json.loads(result_file.read_text()) if result_file.is_file() else {"success": False, "assets": {}}
        figures.update(
            layer=layer,
            label=label,
            wall_seconds=round(process["seconds"], 2),
            cpu_seconds=round(process["cpu_seconds"], 2),
            peak_rss_mib=round(process["peak_rss_mib"]),
            other_cpu_seconds=None if process["other_cpu_seconds"] is None else round(process["other_cpu_seconds"], 1),
            exit_code=process["exit_code"],
        )
        layers.append(figures)
        print(
            f"  run {repetition} {label:<14} {figures['wall_seconds']:8.1f}s  cpu {figures['cpu_seconds']:8.1f}s  "
            f"rss {figures['peak_rss_mib']:6,} MiB  rows {figures.get('rows_written', 0):>12,}"
            + _contention_note(figures["other_cpu_seconds"], figures["wall_seconds"]),
            flush=True,
        )
        for failure in figures.get("failures", []):
            print(f"      FAILED {failure[:400]}", flush=True)
        if not figures.get("success") or process["exit_code"]:
            raise SystemExit(f"layer {layer} failed (exit code {process['exit_code']}); see above")
    return layers


def _contention_note(other_cpu_seconds: float | None, wall_seconds: float) -> str:
    """A warning when other processes used over 10% of the machine while a layer ran."""
    cores = len(os.sched_getaffinity(0))
    if other_cpu_seconds is None or other_cpu_seconds <= 0.1 * wall_seconds * cores:
        return ""
    return f"  (BUSY MACHINE: other processes used {other_cpu_seconds:.0f} CPU s meanwhile)"


def _median_layers(runs: list[list[dict]]) -> list[dict]:
    out = []
    for index, (layer, label) in enumerate(LAYERS):
        per_run = [run[index] for run in runs]
        median = lambda key: statistics.median(r[key] for r in per_run)  # noqa: E731
        assets = {
            name: {
                "rows": per_run[-1]["assets"][name]["rows"],
                "seconds": round(statistics.median(r["assets"][name]["seconds"] for r in per_run), 2),
            }
            for name in per_run[-1]["assets"]
        }
        out.append(
            {
                "layer": layer,
                "label": label,
                "wall_seconds": round(median("wall_seconds"), 2),
                "startup_seconds": round(median("startup_seconds"), 2),
                "run_seconds": round(median("run_seconds"), 2),
                "cpu_seconds": round(median("cpu_seconds"), 2),
                "other_cpu_seconds": max((r["other_cpu_seconds"] or 0.0) for r in per_run),
                "peak_rss_mib": round(median("peak_rss_mib")),
                "max_peak_rss_mib": max(r["peak_rss_mib"] for r in per_run),
                "rows_written": per_run[-1]["rows_written"],
                "assets": assets,
            }
        )
    return out


def _git_commit() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--order-lines-per-person", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=1, help="pipeline runs (fresh lakehouse each); medians are reported")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--workdir", type=Path, help="where lakehouses go (default: a temporary folder, removed after)")
    parser.add_argument("--keep", action="store_true", help="keep the last run's lakehouse and exports")
    parser.add_argument("--child", choices=[layer for layer, _ in LAYERS], help=argparse.SUPPRESS)
    parser.add_argument("--landing", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        run_layer(args.child, args.landing, args.workdir, args.result_file)
        return

    landing, generation = generate(args.people, args.order_lines_per_person)
    state = "cached" if generation["cached"] else "generated"
    print(
        f"data: {landing.relative_to(REPO)} ({generation['bytes'] / 1e6:,.0f} MB, {state}; generation took "
        f"{generation['seconds']:.1f}s, peak RSS {generation['peak_rss_mib']:,} MiB, not counted)",
        flush=True,
    )

    base = args.workdir or Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    runs = []
    try:
        for repetition in range(1, args.repeat + 1):
            workdir = base / f"run-{repetition}"
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir(parents=True)
            runs.append(run_pipeline(landing, workdir, repetition))
            if not args.keep or repetition < args.repeat:
                shutil.rmtree(workdir, ignore_errors=True)
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(base, ignore_errors=True)

    layers = _median_layers(runs)
    totals = [sum(layer["wall_seconds"] for layer in run) for run in runs]
    total = statistics.median(totals)
    report = {
        "benchmark": "e2e_demo",
        "people": args.people,
        "order_lines_per_person": args.order_lines_per_person,
        "seed": SEED,
        "repeat": args.repeat,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git": _git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "cpus_usable": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "generation": generation,
        "layers": layers,
        "total_wall_seconds": round(total, 2),
        "total_wall_seconds_runs": [round(t, 2) for t in totals],
        "target_seconds": TARGET_SECONDS,
        "meets_target": total <= TARGET_SECONDS,
        "runs": runs,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")

    medians = " (medians of %d runs)" % args.repeat if args.repeat > 1 else ""
    print(f"\n{args.people:,} people, {args.order_lines_per_person:g} order lines per person, "
          f"{os.cpu_count()} cores{medians}")
    print(f"{'layer':<14} {'wall s':>8} {'startup s':>10} {'CPU s':>8} {'peak RSS MiB':>13} {'rows written':>14}")
    for layer in layers:
        print(f"{layer['label']:<14} {layer['wall_seconds']:8.1f} {layer['startup_seconds']:10.1f} "
              f"{layer['cpu_seconds']:8.1f} {layer['peak_rss_mib']:13,} {layer['rows_written']:14,}"
              + _contention_note(layer["other_cpu_seconds"], layer["wall_seconds"]))
    verdict = "meets" if total <= TARGET_SECONDS else "MISSES"
    print(f"{'total':<14} {total:8.1f}   {verdict} the {TARGET_SECONDS} s target")
    shown = args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output
    print(f"wrote {shown}")


if __name__ == "__main__":
    main()
