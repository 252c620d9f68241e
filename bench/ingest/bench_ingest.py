"""Ingest throughput: our typed load into Delta against DuckDB's own CSV -> Parquet.

    .venv/bin/python bench/ingest/bench_ingest.py --size-mb 1024 --repeat 3

Generates (once, cached under bench/data/) a deterministic customer CSV of about --size-mb, then
times, alternately and each in a fresh process (so peak RSS is per method):
  (a) baseline: DuckDB `COPY (SELECT * FROM read_csv(...)) TO '...parquet'`
  (b) ours: `load_feed` (read, type 17 fields, quarantine, key check) + `write_deltalake` of the result
      with delta-rs's default writer settings, and (c) the same with ZSTD-1 and no dictionary pages
Prints medians, MB/s, the ratio of our throughput to the baseline's (target >= 0.7), CPU seconds and
peak RSS, and writes bench/results/ingest.json. On a shared machine wall times are noisy: compare
medians, and the CPU-time ratio, which other load on the machine disturbs much less.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATA = REPO / "bench" / "data"
RESULTS = REPO / "bench" / "results" / "ingest.json"
TARGET_RATIO = 0.7
METHODS = ("baseline", "ours", "ours_tuned")

# One row in ~2,000 carries a bad date, so the quarantine path runs (well under the 1% threshold).
_ROWS_SQL = """
SELECT
    i AS customer_id,
    'First' || (i * 7919 + {seed}) % 5003 AS first_name,
    'Last' || (i * 104729 + {seed}) % 20011 AS last_name,
    'user' || i || '@example' || (i % 97) || '.com' AS email,
    '+1-555-' || lpad(((i * 48271 + {seed}) % 10000000)::VARCHAR, 7, '0') AS phone,
    CASE WHEN i % 1999 = 0 THEN '13/45/1990'
         ELSE strftime(DATE '1940-01-01' + ((i * 2654435761 + {seed}) % 25000)::INTEGER, '%m/%d/%Y') END AS birthdate,
    strftime(TIMESTAMP '2015-01-01' + to_seconds((i * 40503 + {seed}) % 250000000), '%Y-%m-%dT%H:%M:%SZ') AS created_at,
    strftime(TIMESTAMP '2020-01-01' + to_seconds((i * 69069 + {seed}) % 150000000), '%Y-%m-%d %H:%M:%S') AS updated_at,
    (((i * 1103515245 + {seed}) % 10000000) / 100.0)::DECIMAL(12, 2)::VARCHAR AS lifetime_value,
    ['true', 'false', 'yes', 'no', 'Y', 'N'][(i % 6) + 1] AS is_active,
    round(((i * 22695477 + {seed}) % 100000) / 997.0, 4) AS score,
    (i * 31 + {seed}) % 500 AS orders,
    ((i * 16807) % 9999 + 1) || ' ' || ['Main', 'Oak', 'Pine', 'Maple', 'Cedar'][(i % 5) + 1] || ' St, Apt ' || (i % 300) AS address,
    ['Springfield', 'Portland', 'Seattle', 'Austin', 'Boston'][(i % 5) + 1] AS city,
    ['WA', 'OR', 'TX', 'MA', 'IL'][(i % 5) + 1] AS state,
    lpad(((i * 7) % 99999)::VARCHAR, 5, '0') AS zip,
    ['gold', 'silver', 'bronze', ''][(i % 4) + 1] AS loyalty_tier
FROM range(1, {rows} + 1) AS t(i)
"""

FEED = {
    "name": "Customers",
    "last_updated": "updated_at",
    "fields": [
        {"name": "customer_id", "type": "Integer", "tags": ["pk"]},
        {"name": "first_name"},
        {"name": "last_name"},
        {"name": "email"},
        {"name": "phone"},
        {"name": "birthdate", "type": "Date", "format": "MM/dd/yyyy"},
        {"name": "created_at", "type": "Datetime"},
        {"name": "updated_at", "type": "Datetime", "format": "yyyy-MM-dd HH:mm:ss"},
        {"name": "lifetime_value", "type": "Decimal(38,2)"},
        {"name": "is_active", "type": "Boolean"},
        {"name": "score", "type": "Float"},
        {"name": "orders", "type": "Integer"},
        {"name": "address"},
        {"name": "city"},
        {"name": "state"},
        {"name": "zip"},
        {"name": "loyalty_tier"},
    ],
}


def generate(size_mb: int, seed: int) -> Path:
    """The cached CSV for (size, seed), written by DuckDB the first time it is asked for."""
    import duckdb

    path = DATA / f"customers_{size_mb}mb_seed{seed}.csv"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    sample = DATA / f".sample_{seed}.csv"
    con.execute(f"COPY ({_ROWS_SQL.format(seed=seed, rows=20000)}) TO '{sample}' (HEADER)")
    bytes_per_row = sample.stat().st_size / 20000
    sample.unlink()
    rows = int(size_mb * 1024 * 1024 / bytes_per_row)
    partial = path.with_suffix(".partial")
    # preserve_insertion_order keeps the file in customer_id order, so it is the same every time.
    con.execute(f"COPY ({_ROWS_SQL.format(seed=seed, rows=rows)}) TO '{partial}' (HEADER)")
    partial.rename(path)
    return path


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_baseline(csv_path: Path, workdir: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    out = workdir / "baseline.parquet"
    started, cpu = time.perf_counter(), _cpu_seconds()
    con.execute(f"COPY (SELECT * FROM read_csv('{csv_path}')) TO '{out}' (FORMAT parquet)")
    return {"seconds": time.perf_counter() - started, "cpu_seconds": _cpu_seconds() - cpu}


def run_ours(csv_path: Path, workdir: Path, *, tuned: bool = False) -> dict:
    import duckdb
    import pyarrow as pa
    from deltalake import ColumnProperties, DeltaTable, WriterProperties, write_deltalake

    sys.path.insert(0, str(REPO))
    from amperity_pipelines.config.models import FeedSpec, FileSpec
    from amperity_pipelines.ingest import LandedFile, load_feed

    feed = FeedSpec.model_validate(FEED)
    spec = FileSpec(pattern="'customers_'*'.csv'", feed=feed.name)
    stat = csv_path.stat()
    landed = LandedFile(csv_path, csv_path.name, date(2020, 4, 10), stat.st_size, stat.st_mtime_ns)
    con = duckdb.connect()
    table_uri = workdir / "delta"
    started, cpu = time.perf_counter(), _cpu_seconds()
    result = load_feed(con, feed, [(landed, spec)])
    loaded = time.perf_counter()
    # tuned: ZSTD level 1 without dictionary pages, which halves delta-rs's single-threaded
    # encoding time and the file size against the defaults on this data (see the module doc).
    properties = (
        WriterProperties(compression="ZSTD", compression_level=1, default_column_properties=ColumnProperties(dictionary_enabled=False))
        if tuned else None
    )
    write_deltalake(str(table_uri), result.table, mode="overwrite", writer_properties=properties)
    finished = time.perf_counter()
    cpu = _cpu_seconds() - cpu
    file_stats = result.files[0]
    delta = DeltaTable(str(table_uri))
    rows = sum(pa.table(delta.get_add_actions(flatten=True)).column("num_records").to_pylist())
    return {
        "table_mb": round(sum(p.stat().st_size for p in table_uri.glob("*.parquet")) / 1024 / 1024, 1),
        "seconds": finished - started,
        "cpu_seconds": cpu,
        "load_seconds": loaded - started,
        "write_seconds": finished - loaded,
        "rows_read": file_stats.rows_read,
        "rows_rejected": file_stats.rows_rejected,
        "rows_written": rows,
        "merged": result.merged,
    }


def _child(method: str, csv_path: Path) -> dict:
    """Run one measurement in a fresh interpreter; returns its figures plus its peak RSS."""
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as workdir:
        completed = subprocess.run(
            [sys.executable, __file__, "--child", method, "--csv", str(csv_path), "--workdir", workdir],
            check=True, capture_output=True, text=True,
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        # DuckDB's Python client imports pandas the first time it is handed an Arrow object; a
        # long-running Dagster process has long paid that (~3 s here, where no .pyc is written),
        # so import it before the clock starts in both children.
        import pandas  # noqa: F401

        if args.child == "baseline":
            figures = run_baseline(args.csv, args.workdir)
        else:
            figures = run_ours(args.csv, args.workdir, tuned=args.child == "ours_tuned")
        figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return

    started = time.perf_counter()
    csv_path = generate(args.size_mb, args.seed)
    size_mb = csv_path.stat().st_size / 1024 / 1024
    print(f"data: {csv_path.relative_to(REPO)} ({size_mb:.0f} MB, ready in {time.perf_counter() - started:.1f}s)")

    runs: dict[str, list[dict]] = {method: [] for method in METHODS}
    for repetition in range(args.repeat):
        for method in METHODS:  # alternate, so drift on a shared machine hits all of them
            figures = _child(method, csv_path)
            runs[method].append(figures)
            split = f"  (load {figures['load_seconds']:.2f}s + write {figures['write_seconds']:.2f}s)" if "load_seconds" in figures else ""
            print(f"  run {repetition + 1} {method:10s} {figures['seconds']:6.2f}s  cpu {figures['cpu_seconds']:6.2f}s  "
                  f"rss {figures['peak_rss_mb']:6.0f} MB{split}", flush=True)

    summary = {}
    for method, figures in runs.items():
        seconds = statistics.median(f["seconds"] for f in figures)
        summary[method] = {
            "median_seconds": round(seconds, 3),
            "best_seconds": round(min(f["seconds"] for f in figures), 3),
            "median_cpu_seconds": round(statistics.median(f["cpu_seconds"] for f in figures), 3),
            "mb_per_second": round(size_mb / seconds, 1),
            "peak_rss_mb": round(max(f["peak_rss_mb"] for f in figures), 0),
            "runs": figures,
        }
    for method in METHODS[1:]:
        summary[method]["throughput_ratio"] = round(summary["baseline"]["median_seconds"] / summary[method]["median_seconds"], 3)
        summary[method]["cpu_ratio"] = round(summary["baseline"]["median_cpu_seconds"] / summary[method]["median_cpu_seconds"], 3)
        # best-of-N: what each method does when the shared machine leaves it alone
        summary[method]["best_ratio"] = round(summary["baseline"]["best_seconds"] / summary[method]["best_seconds"], 3)
    ratio = summary["ours"]["throughput_ratio"]
    report = {
        "benchmark": "ingest",
        "csv": str(csv_path.relative_to(REPO)),
        "size_mb": round(size_mb, 1),
        "rows": runs["ours"][0]["rows_read"],
        "repeat": args.repeat,
        "seed": args.seed,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "baseline": summary["baseline"],
        "ours": summary["ours"],
        "ours_tuned": summary["ours_tuned"],
        "throughput_ratio": ratio,
        "cpu_ratio": summary["ours"]["cpu_ratio"],
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    labels = {
        "baseline": "baseline (DuckDB read_csv -> Parquet)",
        "ours": "ours (load_feed -> write_deltalake)",
        "ours_tuned": "ours, writer ZSTD-1 no dictionary",
    }
    for method, label in labels.items():
        figures = summary[method]
        ratios = (f"  ratio {figures['throughput_ratio']:.2f} (best-of {figures['best_ratio']:.2f}, "
                  f"CPU time {figures['cpu_ratio']:.2f})" if method != "baseline" else "")
        print(f"{label:40s} median {figures['median_seconds']:6.2f}s {figures['mb_per_second']:6.1f} MB/s  "
              f"best {figures['best_seconds']:6.2f}s  peak RSS {figures['peak_rss_mb']:5.0f} MB{ratios}")
    print(f"target: ratio >= {TARGET_RATIO} -> {'met' if ratio >= TARGET_RATIO else 'NOT met'} with default writer settings")
    print(f"wrote {args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output}")


if __name__ == "__main__":
    main()
