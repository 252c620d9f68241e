"""`amperity-pipelines stitch RECORDS --out DIR`: Stitch outside a tenant, on one file of records.

The contract for evaluating Stitch on any data: RECORDS (Parquet or CSV) has `datasource`, `pk`
and any profile columns; DIR receives one Parquet file per Stitch table. Every input problem is
reported before any work starts, and DIR is replaced only when the whole run succeeded.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from amperity_pipelines.stitch import PROFILE_COLUMNS, stitch_deterministic

PROFILE_NAMES = tuple(name for name, _ in PROFILE_COLUMNS) + ("create_dt", "update_dt")
KEY_PREFIXES = ("fk_", "sk_")
TYPED = {"birthdate": "DATE", "create_dt": "TIMESTAMP", "update_dt": "TIMESTAMP"}


class StitchInputError(ValueError):
    """The records file cannot be stitched; the message names the file and what is wrong."""


@dataclass
class StitchRun:
    out: Path
    tables: dict[str, int]
    records: int
    amperity_ids: int
    dedupe_rate: float
    cluster_sizes: dict[str, int]
    seconds: dict[str, float]


def read_records(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Load RECORDS into the DuckDB table `records` after checking it; returns ignored columns."""
    if not path.is_file():
        raise StitchInputError(f"{path}: no such file")
    name = path.name.lower()
    if name.endswith(".parquet"):
        source = f"read_parquet('{_quote(path)}')"
    elif name.endswith((".csv", ".csv.gz")):
        source = f"read_csv('{_quote(path)}', header = true, all_varchar = true)"
    else:
        raise StitchInputError(f"{path}: expected a .parquet, .csv or .csv.gz file")
    try:
        columns = {row[0]: row[1] for row in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    except duckdb.Error as err:
        raise StitchInputError(f"{path}: cannot be read: {err}") from None
    missing = [c for c in ("datasource", "pk") if c not in columns]
    if missing:
        raise StitchInputError(f"{path}: missing required column(s) {', '.join(missing)}; found {', '.join(columns)}")
    known = [c for c in columns if c in ("datasource", "pk", *PROFILE_NAMES) or c.startswith(KEY_PREFIXES)]
    ignored = [c for c in columns if c not in known]
    if "birthdate" in columns and columns["birthdate"] not in ("DATE", "VARCHAR", "TIMESTAMP"):
        raise StitchInputError(f"{path}: column birthdate is {columns['birthdate']}: expected a DATE or an ISO date string")
    projections = []
    for column in known:
        if column in TYPED:
            projections.append(f"TRY_CAST({column} AS {TYPED[column]}) AS {column}")
        else:
            projections.append(f'CAST("{column}" AS VARCHAR) AS "{column}"')
    con.execute(f"CREATE OR REPLACE TABLE records AS SELECT {', '.join(projections)} FROM {source}")
    if "birthdate" in columns and columns["birthdate"] == "VARCHAR":
        bad = con.sql(
            f"SELECT count(*), any_value(b.birthdate) FROM {source} AS b WHERE b.birthdate IS NOT NULL AND b.birthdate <> '' "
            "AND TRY_CAST(b.birthdate AS DATE) IS NULL"
        ).fetchone()
        if bad[0]:
            raise StitchInputError(f"{path}: {bad[0]} birthdate value(s) are not ISO dates (yyyy-MM-dd), e.g. {bad[1]!r}")
    count, null_keys = con.sql("SELECT count(*), count(*) FILTER (datasource IS NULL OR pk IS NULL) FROM records").fetchone()
    if count == 0:
        raise StitchInputError(f"{path}: no records")
    if null_keys:
        raise StitchInputError(f"{path}: {null_keys} record(s) have an empty datasource or pk")
    duplicates = con.sql(
        "SELECT datasource, pk, count(*) AS n FROM records GROUP BY ALL HAVING n > 1 ORDER BY n DESC, datasource, pk LIMIT 5"
    ).fetchall()
    if duplicates:
        shown = ", ".join(f"{d}:{p} ({n} times)" for d, p, n in duplicates)
        raise StitchInputError(f"{path}: (datasource, pk) must be unique; repeated: {shown}")
    return ignored


def read_previous(path: Path | None) -> pa.Table | None:
    if path is None:
        return None
    coalesced = path / "unified_coalesced.parquet"
    if not coalesced.is_file():
        raise StitchInputError(f"--previous {path}: expected an earlier Stitch output folder with unified_coalesced.parquet")
    return pq.read_table(coalesced)


def run(records: Path, out: Path, *, previous: Path | None = None, engine: str = "duckdb") -> StitchRun:
    if engine != "duckdb":
        raise StitchInputError(f"engine {engine!r} is not available yet: use duckdb")
    started = time.monotonic()
    con = duckdb.connect()
    read_records(con, records)
    previous_table = read_previous(previous)
    loaded = time.monotonic()
    result = stitch_deterministic(con, "records", previous=previous_table)
    stitched = time.monotonic()
    tables = {
        "unified_coalesced": result.unified_coalesced,
        "bad_values": result.bad_values,
    }
    if previous_table is not None:
        tables["unified_changes_pks"] = result.unified_changes_pks
    _write_atomically(out, tables)
    finished = time.monotonic()
    stats = result.stats
    return StitchRun(
        out=out,
        tables={name: table.num_rows for name, table in tables.items()},
        records=stats.records,
        amperity_ids=stats.amperity_ids,
        dedupe_rate=stats.dedupe_rate,
        cluster_sizes=dict(stats.cluster_sizes),
        seconds={"read": loaded - started, "stitch": stitched - loaded, "write": finished - stitched},
    )


def _write_atomically(out: Path, tables: dict[str, pa.Table]) -> None:
    """Write every table into a sibling temp folder, then swap it in: DIR is never half-written."""
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, table in tables.items():
            pq.write_table(table, staging / f"{name}.parquet")
        if out.exists():
            retired = out.with_name(f".{out.name}.old")
            shutil.rmtree(retired, ignore_errors=True)
            out.rename(retired)
            staging.rename(out)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _quote(path: Path) -> str:
    return str(path.absolute()).replace("'", "''")


def format_summary(run_: StitchRun) -> str:
    lines = [
        f"Stitch: {run_.records:,} records -> {run_.amperity_ids:,} Amperity IDs (dedupe rate {run_.dedupe_rate:.1%})",
        "Cluster sizes: " + ", ".join(f"{size}: {n:,}" for size, n in run_.cluster_sizes.items() if n),
        "Time per stage: " + ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in run_.seconds.items()),
        f"Wrote {run_.out}:",
    ]
    lines += [f"  {name}.parquet  {rows:,} rows" for name, rows in run_.tables.items()]
    return "\n".join(lines)
