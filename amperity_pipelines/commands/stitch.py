"""`amperity-pipelines stitch RECORDS --out DIR`: Stitch outside a tenant, on one file of records.

The contract for evaluating Stitch on any data: RECORDS (Parquet or CSV) has `datasource`, `pk`
and any profile columns; DIR receives one Parquet file per Stitch table of the probabilistic
engine (plus its settings and figures as JSON). Every input problem, the --config file's
included, is reported before any work starts, and DIR is replaced only when the whole run
succeeded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from amperity_pipelines.quality.stitch_report import write_stitch_report
from amperity_pipelines.stitch import (
    PROFILE_COLUMNS,
    SparkBackend,
    StitchInputError,
    StitchSettings,
    StitchStats,
    explain,
    save_result,
    stitch_records,
)
from amperity_pipelines.stitch.settings_yaml import StitchSettingsError, load_settings_file

PROFILE_NAMES = tuple(name for name, _ in PROFILE_COLUMNS) + ("create_dt", "update_dt")
KEY_PREFIXES = ("fk_", "sk_")
TYPED = {"birthdate": "DATE", "create_dt": "TIMESTAMP", "update_dt": "TIMESTAMP"}
ENGINES = ("duckdb", "spark")

__all__ = ["StitchInputError", "StitchRun", "format_explanation", "format_summary", "run"]


@dataclass
class StitchRun:
    out: Path
    tables: dict[str, int]
    """Rows per table written (file name without .parquet)."""
    stats: StitchStats
    seconds: dict[str, float]
    """Wall time per stage: read, the engine's stages, write, report."""
    report: Path | None = None
    """The Stitch QA report (HTML) written beside the tables."""

    @property
    def records(self) -> int:
        return self.stats.records

    @property
    def amperity_ids(self) -> int:
        return self.stats.amperity_ids


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
    # Dates stay as the file has them: Stitch nulls and counts those that do not parse
    # (stitch.unparseable) and refuses the file only past the error threshold.
    projections = [f'"{c}"' if c in TYPED else f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in known]
    con.execute(f"CREATE OR REPLACE TABLE records AS SELECT {', '.join(projections)} FROM {source}")
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


def read_side_table(path: Path | None, option: str, required: tuple[str, ...]) -> pa.Table | None:
    """A labels or blocklist file (Parquet or CSV), checked for its columns."""
    if path is None:
        return None
    if not path.is_file():
        raise StitchInputError(f"{option} {path}: no such file")
    if path.name.lower().endswith(".parquet"):
        data = pq.read_table(path)
    elif path.name.lower().endswith((".csv", ".csv.gz")):
        data = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    else:
        raise StitchInputError(f"{option} {path}: expected a .parquet or .csv file")
    missing = [c for c in required if c not in data.column_names]
    if missing:
        raise StitchInputError(f"{option} {path}: missing column(s) {', '.join(missing)}; found {', '.join(data.column_names)}")
    return data.cast(pa.schema([pa.field(f.name, pa.string() if f.name in required else f.type) for f in data.schema]))


def run(
    records: Path,
    out: Path,
    *,
    config: Path | None = None,
    previous: Path | None = None,
    labels: Path | None = None,
    blocklist: Path | None = None,
    engine: str = "duckdb",
    run_type: str | None = None,
    error_threshold: str | float | None = None,
) -> StitchRun:
    """Check every input, stitch, then write DIR whole (the earlier DIR stays until then).

    error_threshold (0.05 or "5%") overrides the config's: the share of records whose
    birthdate, create_dt or update_dt may fail to parse (set to NULL and reported) before the
    file is refused.
    """
    if engine not in ENGINES:
        raise StitchInputError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    started = time.monotonic()
    try:
        settings = load_settings_file(config) if config is not None else StitchSettings()
        if run_type is not None:
            settings = replace(settings, run_type=run_type)
        if error_threshold is not None:
            settings = replace(settings, error_threshold=error_threshold)
    except (StitchSettingsError, ValueError) as err:
        raise StitchInputError(str(err)) from None
    con = duckdb.connect()
    read_records(con, records)
    previous_table = read_previous(previous)
    labels_table = read_side_table(labels, "--labels", ("label_id", "partition_id", "datasource", "pk"))
    blocklist_table = read_side_table(blocklist, "--blocklist", ("datasource", "semantic", "value"))
    loaded = time.monotonic()
    target = _backend(con, engine)
    try:
        result = stitch_records(target, "records", previous=previous_table, settings=settings, labels=labels_table, blocklist=blocklist_table)
    finally:
        if engine == "spark":
            target.drop("records")
    stitched = time.monotonic()
    save_result(result, out)
    written = time.monotonic()
    report = write_stitch_report(result.tables(), result.stats.as_dict(), out, title=f"Stitch: {records.name}")
    finished = time.monotonic()
    stats = result.stats
    return StitchRun(
        out=out,
        tables={name: table.num_rows for name, table in result.tables().items()},
        stats=stats,
        seconds={"read": loaded - started, **stats.stage_seconds, "write": written - stitched, "report": finished - written},
        report=report,
    )


def _backend(con: duckdb.DuckDBPyConnection, engine: str):
    """The checked records on the chosen engine: the DuckDB table itself, or a Spark temp view."""
    if engine == "duckdb":
        return con
    from amperity_pipelines.engines.spark_session import local_spark  # starts a JVM: only when asked

    backend = SparkBackend(local_spark(short_lived=True))
    backend.register("records", con.sql("SELECT * FROM records").to_arrow_table())
    return backend


def _quote(path: Path) -> str:
    return str(path.absolute()).replace("'", "''")


def format_summary(run_: StitchRun) -> str:
    stats = run_.stats
    lines = [
        f"Stitch: {stats.records:,} records -> {stats.amperity_ids:,} Amperity IDs (dedupe rate {stats.dedupe_rate:.1%})",
        "Cluster sizes: " + ", ".join(f"{size}: {n:,}" for size, n in stats.cluster_sizes.items() if n),
    ]
    figures = [
        ("pairs scored", stats.pairs_scored), ("pairs kept", stats.pairs_kept), ("largest cluster", stats.largest_cluster),
        ("supersized clusters", stats.supersized_clusters), ("supersized split", stats.supersized_split),
        ("bad values", stats.bad_values),
        ("trivial duplicates", stats.trivial_duplicates), ("split components", stats.split_components),
    ]  # fmt: skip
    lines.append(", ".join(f"{name} {value:,}" for name, value in figures if value is not None))
    for name, found in stats.unparseable_values.items():
        shown = ", ".join(f"{ds}:{pk} {value!r}" for ds, pk, value in found["sample"])
        lines.append(f"Unparseable {name} set to NULL: {found['count']:,} ({found['share']:.4%}), e.g. {shown}")
    if stats.oversized_blocks:
        lines.append(
            f"Oversized blocks skipped: {stats.oversized_blocks:,} ({stats.pairs_skipped:,} pairs not compared; "
            "see oversized_blocks.parquet)"
        )
    lines.append("Time per stage: " + ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in run_.seconds.items()))
    lines.append(f"Wrote {run_.out}:")
    lines += [f"  {name}.parquet  {rows:,} rows" for name, rows in run_.tables.items()]
    if run_.report is not None:
        lines.append(f"  {run_.report.name}  (Stitch QA report: open it in a browser)")
    return "\n".join(lines)


def format_explanation(directory: Path, record1: str, record2: str) -> str:
    """`stitch explain DIR SOURCE1:PK1 SOURCE2:PK2`, as printed."""
    pair = [_record(text) for text in (record1, record2)]
    return str(explain(directory, pair[0], pair[1]))


def _record(text: str) -> tuple[str, str]:
    datasource, sep, pk = text.rpartition(":")
    if not sep or not datasource or not pk:
        raise StitchInputError(f"{text!r}: expected DATASOURCE:PK (the pk after the last colon, e.g. POS:Customers:1042)")
    return datasource, pk
