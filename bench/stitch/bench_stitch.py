"""Our Stitch and Splink side by side on the same records, in the same run.

    bash bench/stitch/setup.sh                                              # once: bench dependencies
    .venv/bin/python bench/stitch/bench_stitch.py --dataset febrl3
    .venv/bin/python bench/stitch/bench_stitch.py --dataset febrl4 --repeat 5
    .venv/bin/python bench/stitch/bench_stitch.py --dataset multisource --people 50000   # ~100k records
    .venv/bin/python bench/stitch/bench_stitch.py --dataset febrl3 febrl4 multisource --engines ours

For each data set (see datasets.py) every engine runs `--repeat` times (default 3), each run in a
process of its own, alternating which engine goes first; wall time is the whole child process
(interpreter start, imports, reading the records, writing the clusters), peak memory its own
peak RSS; both are medians over the repeats. Quality figures (metrics.py) are those of the last
repeat; `quality_stable` says whether every repeat gave the same ones.

"ours" goes through `amperity-pipelines stitch RECORDS --out DIR` when that command exists, else
through `amperity_pipelines.stitch.stitch_records` (see run_ours.py; `--ours` forces one);
`--ours-preset NAME` runs a named settings preset (Python route) instead of the defaults.
Splink is configured as its tutorials do (see run_splink.py).

Prints one table and writes bench/results/stitch_<dataset>.json per data set
(stitch_<dataset>_<preset>.json with --ours-preset).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from bench.stitch.datasets import DATASETS, StitchDataset, load_dataset  # noqa: E402
from bench.stitch.metrics import evaluate  # noqa: E402
from bench.stitch.run_ours import VIAS, run_ours  # noqa: E402
from bench.stitch.run_splink import DEFAULT_THRESHOLD, run_splink, splink_available  # noqa: E402

RESULTS = REPO / "bench" / "results"
ENGINES = ("ours", "splink")


def align(dataset: StitchDataset, clusters) -> np.ndarray:
    """Cluster id of every record of `dataset`, in its row order; every record must have one."""
    keys = pd.MultiIndex.from_arrays([dataset.records.column("datasource").to_numpy(zero_copy_only=False),
                                      dataset.records.column("pk").to_numpy(zero_copy_only=False)])
    got = pd.MultiIndex.from_arrays([clusters.column("datasource").to_numpy(zero_copy_only=False),
                                     clusters.column("pk").to_numpy(zero_copy_only=False)])
    position = got.get_indexer(keys)
    if (position < 0).any():
        raise RuntimeError(f"{int((position < 0).sum())} records came back without a cluster")
    return clusters.column("cluster_id").to_numpy(zero_copy_only=False)[position]


def run_engine(engine: str, dataset: StitchDataset, records: Path, work: Path, args) -> dict:
    out = work / f"{engine}-{len(list(work.glob(f'{engine}-*')))}"
    if engine == "ours":
        run = run_ours(records, out, engine=args.engine, via=args.ours, preset=args.ours_preset)
        extra = {"via": run.via, "engine": args.engine, "preset": args.ours_preset}
        if (out / "run.json").is_file():
            extra["child"] = json.loads((out / "run.json").read_text())
    else:
        run = run_splink(records, out, profile=dataset.name, threshold=args.threshold)
        extra = {"child": run.stages}
    metrics = evaluate(np.arange(dataset.records.num_rows), align(dataset, run.clusters), dataset.entity, dataset.trap_pairs)
    return {
        "wall_seconds": round(run.wall_seconds, 2),
        "cpu_seconds": round(run.cpu_seconds, 2),
        "peak_rss_mib": round(run.peak_rss_mib),
        "metrics": metrics.as_dict(),
        **extra,
    }


def bench_dataset(dataset: StitchDataset, engines: list[str], args) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"stitch-bench-{dataset.name}-") as tmp:
        work = Path(tmp)
        records = work / "records.parquet"
        pq.write_table(dataset.records, records)
        runs: dict[str, list[dict]] = {engine: [] for engine in engines}
        for repeat in range(args.repeat):
            order = engines if repeat % 2 == 0 else engines[::-1]
            for engine in order:
                print(f"  {dataset.name}: {engine} run {repeat + 1}/{args.repeat} ...", flush=True)
                runs[engine].append(run_engine(engine, dataset, records, work, args))
    summary = {}
    for engine, done in runs.items():
        last = done[-1]
        summary[engine] = {
            "wall_seconds": round(statistics.median(r["wall_seconds"] for r in done), 2),
            "peak_rss_mib": round(statistics.median(r["peak_rss_mib"] for r in done)),
            "cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in done), 2),
            "metrics": last["metrics"],
            "quality_stable": all(r["metrics"] == last["metrics"] for r in done),
            **{k: v for k, v in last.items() if k in ("via", "engine", "preset")},
            "runs": done,
        }
    if "ours" in summary and "splink" in summary:
        summary["ours_vs_splink"] = {
            "wall_ratio": round(summary["ours"]["wall_seconds"] / summary["splink"]["wall_seconds"], 3),
            "peak_rss_ratio": round(summary["ours"]["peak_rss_mib"] / summary["splink"]["peak_rss_mib"], 3),
        }
    return summary


def table(rows: list[tuple[str, str, dict]]) -> str:
    header = (f"{'dataset':<12} {'engine':<30} {'pw P':>6} {'pw R':>6} {'pw F1':>6} {'B3 F1':>6} "
              f"{'hh merged':>9} {'largest':>7} {'wall s':>7} {'peak MiB':>8}")
    lines = [header, "-" * len(header)]
    for dataset, engine, figures in rows:
        m = figures["metrics"]
        merged = m["trap_pairs_merged"]
        lines.append(
            f"{dataset:<12} {engine:<30} {m['pairwise']['precision']:>6.4f} {m['pairwise']['recall']:>6.4f} "
            f"{m['pairwise']['f1']:>6.4f} {m['bcubed']['f1']:>6.4f} "
            f"{'-' if merged is None else f'{merged:.2%}':>9} {m['largest_cluster']:>7,} "
            f"{figures['wall_seconds']:>7.1f} {figures['peak_rss_mib']:>8,}"
        )
    return "\n".join(lines)


def _versions() -> dict:
    out = {}
    for package in ("splink", "duckdb", "recordlinkage", "pandas", "numpy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def _git() -> dict:
    def git(*command):
        return subprocess.run(["git", *command], cwd=REPO, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "amperity_pipelines"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Our Stitch vs Splink: quality, wall time, peak memory")
    parser.add_argument("--dataset", nargs="+", choices=DATASETS, required=True)
    parser.add_argument("--people", type=int, default=50_000, help="multisource: people (about 2 records each)")
    parser.add_argument("--seed", type=int, default=7, help="multisource: generator seed")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine; time and memory are medians")
    parser.add_argument("--engines", default="ours,splink", help="comma list of: ours, splink")
    parser.add_argument("--ours", choices=VIAS, default="auto", help="our Stitch through the CLI or the Python API")
    parser.add_argument("--engine", default="duckdb", help="our Stitch's engine (CLI route: duckdb or spark)")
    parser.add_argument("--ours-preset", help="our Stitch with a named settings preset (stitch.settings.PRESETS)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="Splink's clustering match probability")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for stitch_<dataset>.json")
    args = parser.parse_args(argv)

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown or not engines:
        parser.error(f"--engines takes some of {', '.join(ENGINES)}; got {args.engines!r}")
    if "splink" in engines and not splink_available():
        raise SystemExit("Splink is not installed: run `bash bench/stitch/setup.sh` (or pass --engines ours)")

    rows = []
    args.results.mkdir(parents=True, exist_ok=True)
    for name in args.dataset:
        dataset = load_dataset(name, people=args.people, seed=args.seed)
        print(dataset.describe(), flush=True)
        summary = bench_dataset(dataset, engines, args)
        result = {
            "benchmark": f"stitch_{name}",
            "dataset": {"name": name, "records": dataset.records.num_rows,
                        "true_entities": int(len(np.unique(dataset.entity))),
                        "trap_kind": dataset.trap_kind, "trap_pairs": int(len(dataset.trap_pairs)), **dataset.info},
            "repeat": args.repeat,
            "splink_threshold": args.threshold,
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "git": _git(),
            "versions": _versions(),
            "machine": {"cpus": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)),
                        "python": platform.python_version(), "platform": platform.platform()},
            "engines": summary,
        }
        path = args.results / (f"stitch_{name}_{args.ours_preset}.json" if args.ours_preset else f"stitch_{name}.json")
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"  wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}", flush=True)
        for engine in engines:
            route = ", ".join(filter(None, (summary[engine].get("via", "?"), summary[engine].get("preset"))))
            label = engine if engine == "splink" else f"ours ({route})"
            rows.append((name, label, summary[engine]))
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
