"""Our Stitch on a records file, in a child process, through whichever entry point exists.

`run_ours(records, out_dir, via=...)` runs
- "cli": the command-line contract `amperity-pipelines stitch RECORDS --out DIR --engine E`;
- "python": this file as a script, which calls `amperity_pipelines.stitch.stitch_records`
  (probabilistic Stitch, default settings) and writes DIR/unified_coalesced.parquet the way the
  command does;
- "auto" (default): the command when `amperity-pipelines stitch --help` succeeds, else Python.
Either way the clusters are read back from DIR/unified_coalesced.parquet (amperity_id per
datasource, pk), so the benchmark does not care which one ran. `preset` (Python route only) runs
a named settings preset (`amperity_pipelines.stitch.settings.PRESETS`) instead of the defaults.

    .venv/bin/python bench/stitch/run_ours.py RECORDS.parquet --out DIR     # the Python route
    .venv/bin/python bench/stitch/run_ours.py RECORDS.parquet --out DIR --preset record-linkage
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VIAS = ("auto", "cli", "python")


@dataclass(frozen=True)
class OursRun:
    clusters: "pa.Table"  # noqa: F821 - datasource, pk, cluster_id
    via: str
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mib: float


def _cli() -> Path:
    return Path(sys.executable).with_name("amperity-pipelines")


@functools.cache
def stitch_cli_available() -> bool:
    """True when the installed `amperity-pipelines` has the `stitch` command."""
    try:
        done = subprocess.run([str(_cli()), "stitch", "--help"], capture_output=True, timeout=120, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def resolve_via(via: str) -> str:
    if via not in VIAS:
        raise ValueError(f"unknown route {via!r}: expected one of {', '.join(VIAS)}")
    if via == "auto":
        return "cli" if stitch_cli_available() else "python"
    if via == "cli" and not stitch_cli_available():
        raise SystemExit("`amperity-pipelines stitch` is not available in this checkout: use --ours python (or auto)")
    return via


def ours_command(
    records: Path, out_dir: Path, *, engine: str = "duckdb", via: str = "auto", preset: str | None = None
) -> tuple[list[str], str]:
    """The command line that stitches `records` into `out_dir`, and the route it takes."""
    via = resolve_via(via)
    if preset is not None and via == "cli":
        raise SystemExit(f"a settings preset ({preset!r}) runs through the Python route only: use --ours python")
    if via == "cli":
        return [str(_cli()), "stitch", str(records), "--out", str(out_dir), "--engine", engine], via
    if engine != "duckdb":
        raise SystemExit(f"the Python route runs probabilistic Stitch on DuckDB only, not {engine!r}")
    command = [sys.executable, str(Path(__file__).resolve()), str(records), "--out", str(out_dir)]
    return command + (["--preset", preset] if preset else []), via


def run_ours(records: Path, out_dir: Path, *, engine: str = "duckdb", via: str = "auto", preset: str | None = None) -> OursRun:
    import pyarrow.parquet as pq

    from bench.stitch.measure import run_measured, tail

    command, via = ours_command(records, out_dir, engine=engine, via=via, preset=preset)
    figures = run_measured(command, log=out_dir.with_name(out_dir.name + ".log"), cwd=REPO)
    if figures.exit_code:
        raise RuntimeError(f"our Stitch ({via}) failed (exit {figures.exit_code}); last lines of {figures.log}:\n{tail(figures.log)}")
    coalesced = pq.read_table(out_dir / "unified_coalesced.parquet", columns=["datasource", "pk", "amperity_id"])
    return OursRun(
        clusters=coalesced.rename_columns(["datasource", "pk", "cluster_id"]),
        via=via,
        wall_seconds=figures.wall_seconds,
        cpu_seconds=figures.cpu_seconds,
        peak_rss_mib=figures.peak_rss_mib,
    )


def main(argv: list[str] | None = None) -> int:
    """The Python route: stitch_records over RECORDS, Unified Coalesced to DIR."""
    parser = argparse.ArgumentParser(description="Probabilistic Stitch (stitch_records, default settings) on a records file")
    parser.add_argument("records", type=Path, help="Parquet or CSV with datasource, pk and profile columns")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--preset", help="a named settings preset (stitch.settings.PRESETS) instead of the defaults")
    args = parser.parse_args(argv)

    began = time.perf_counter()
    import duckdb
    import pyarrow.parquet as pq

    sys.path.insert(0, str(REPO))
    from amperity_pipelines.stitch import StitchSettings, stitch_records
    from amperity_pipelines.stitch.settings import preset

    con = duckdb.connect()
    reader = "read_parquet" if args.records.suffix == ".parquet" else "read_csv_auto"
    con.execute(f"CREATE VIEW records AS SELECT * FROM {reader}('{args.records}')")
    imported = time.perf_counter()
    settings = preset(args.preset) if args.preset else StitchSettings()
    result = stitch_records(con, "records", settings=settings)
    stitched = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    pq.write_table(result.unified_coalesced, args.out / "unified_coalesced.parquet")
    pq.write_table(result.bad_values, args.out / "bad_values.parquet")
    run = {
        "engine": "stitch_records",
        "preset": args.preset,
        "stats": result.stats.as_dict(),
        "seconds": {"import": round(imported - began, 3), "stitch": round(stitched - imported, 3),
                    "write": round(time.perf_counter() - stitched, 3)},
    }
    (args.out / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    print(json.dumps(run))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
