"""Domain layer: land a feed's new files (found by its couriers) into `Source:Feed`.

A load ledger (Delta table system/loaded_files) records every file that landed, with its size
and modification time (its fingerprint), so a file is never loaded twice and none is skipped
after a restart.

Commit order of one load, and what a failure at each point leaves behind:
1. quarantine rows of the loaded files, replacing any rows with the same file fingerprints (a
   retry after a crash writes them again instead of doubling them);
2. the domain table, whose commit carries the loaded files' fingerprints (`amperity.load`);
3. the ledger rows of those files, inserted only where absent.
Killed before 2: the domain table keeps its last good version and the files load again next
time (step 1 is idempotent). Killed between 2 and 3: the next load of the table first replays
the ledger rows from the domain commit's metadata, so the files are not loaded a second time
(which would double the rows of a feed without a primary key). A load holds the table's lock
from reading the ledger until its last commit, so two runs at once load each file once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from amperity_pipelines.config.loader import DomainTable, Tenant
from amperity_pipelines.config.models import FileSpec
from amperity_pipelines.engines.sql import transpile
from amperity_pipelines.ingest import LandedFile, discover, load_feed
from amperity_pipelines.layers.session import connect, open_session
from amperity_pipelines.storage.lakehouse import Lakehouse

LEDGER = "loaded_files"
LEDGER_KEY = ("domain_table", "file", "size", "mtime_ns")
LOAD_METADATA = "amperity.load"
"""Key of a domain commit's custom metadata that lists the files it loaded (JSON)."""
FINGERPRINT = "file_fingerprint"
"""Quarantine column naming the landed file a rejected row came from: path|size|mtime_ns."""
STREAM_BATCH_ROWS = 1 << 17
LEDGER_SCHEMA = pa.schema(
    [
        ("domain_table", pa.string()),
        ("courier", pa.string()),
        ("file", pa.string()),
        ("file_date", pa.date32()),
        ("size", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
        ("domain_version", pa.int64()),
    ]
)


@dataclass(frozen=True)
class LoadWindow:
    """Which files a run looks at: one day, a [start, end) range, explicit files, or all new ones."""

    day: date | None = None
    start: date | None = None
    end: date | None = None
    files: tuple[str, ...] = ()
    reload: bool = False


@dataclass(frozen=True)
class PendingFile:
    courier: str
    relative: str
    """Path relative to the tenant's landing folder: the name the ledger and sensors use."""
    landed: LandedFile
    spec: FileSpec


@dataclass
class DomainLoadReport:
    table: str
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rows: int = 0
    rows_before: int = 0
    rows_read: int = 0
    rows_rejected: int = 0
    truncated: bool = False
    version: int | None = None
    columns: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    """Files an earlier, interrupted run had loaded whose ledger rows this run wrote."""


def pending_files(
    tenant: Tenant,
    table: DomainTable,
    lakehouse: Lakehouse,
    landing_root: str | Path,
    window: LoadWindow,
) -> tuple[list[PendingFile], list[str]]:
    """Files to load for `table`, in load order, and the already-loaded ones that were skipped."""
    landing = tenant.landing_folder(landing_root)
    loaded = _ledger_keys(lakehouse, table.name) if not window.reload else set()
    wanted = set(window.files)
    found: list[PendingFile] = []
    skipped: list[str] = []
    for source, courier in tenant.couriers():
        if source.source != table.source:
            continue
        root = landing / courier.location.path
        for spec in courier.files:
            if spec.feed != table.feed.name:
                continue
            for landed in discover(root, spec, day=window.day, start=window.start, end=window.end):
                relative = str(Path(courier.location.path) / landed.relpath)
                if wanted and relative not in wanted:
                    continue
                if (relative, landed.size, landed.mtime_ns) in loaded:
                    skipped.append(relative)
                    continue
                found.append(PendingFile(courier.name, relative, landed, spec))
    found.sort(key=lambda entry: (entry.landed.file_date or date.min, entry.relative))
    return found, skipped


def load_domain_table(
    tenant: Tenant,
    table: DomainTable,
    lakehouse: Lakehouse,
    landing_root: str | Path,
    window: LoadWindow = LoadWindow(),
    *,
    on_wait=None,
) -> DomainLoadReport:
    """Load the table's pending files (see the module's commit order); one load of a table at a time."""
    with lakehouse.lock(f"load-{table.key}", what=f"load of {table.name}", on_wait=on_wait):
        report = DomainLoadReport(table=table.name)
        report.recovered = _replay_ledger(lakehouse, table)
        _load(tenant, table, lakehouse, landing_root, window, report)
        return report


def _load(
    tenant: Tenant,
    table: DomainTable,
    lakehouse: Lakehouse,
    landing_root: str | Path,
    window: LoadWindow,
    report: DomainLoadReport,
) -> None:
    entries, report.skipped = pending_files(tenant, table, lakehouse, landing_root, window)
    exists = lakehouse.exists("domain", table.key)
    if not entries and exists:
        report.rows = report.rows_before = lakehouse.row_count("domain", table.key)
        report.version = lakehouse.table("domain", table.key).version()
        report.columns = _columns(lakehouse.schema("domain", table.key))
        return

    ingest_sql = None
    if table.feed.ingest_query:
        ingest_sql = transpile(tenant.sql_files[table.feed.ingest_query], read="spark")
    con = connect()
    existing = None
    if exists:
        report.rows_before = lakehouse.row_count("domain", table.key)
        lakehouse.register(con, "__existing", "domain", table.key)
        existing = con.table("__existing")
    result = load_feed(
        con,
        table.feed,
        [(entry.landed, entry.spec) for entry in entries],
        existing=existing,
        ingest_query_sql=ingest_sql,
    )
    if entries:
        _write_quarantine(lakehouse, table, entries, result.quarantine)
    loaded = [_ledger_row(table.name, entry) for entry in entries]
    report.version = lakehouse.write(
        "domain",
        table.key,
        result.table,
        description=f"Domain table {table.name}",
        metadata={LOAD_METADATA: json.dumps(loaded, default=str)},
    )
    _record_loaded(lakehouse, loaded, report.version)
    report.files = [entry.relative for entry in entries]
    report.rows = lakehouse.row_count("domain", table.key)
    report.rows_read = sum(s.rows_read for s in result.files)
    report.rows_rejected = result.rows_rejected
    report.truncated = result.truncated
    report.columns = _columns(lakehouse.schema("domain", table.key))
    report.warnings = list(result.warnings)


def build_custom_domain_table(tenant: Tenant, table: DomainTable, lakehouse: Lakehouse) -> DomainLoadReport:
    """Run a custom domain table's Spark SQL over the current domain tables and land the result."""
    con = open_session(tenant, lakehouse)
    relation = con.sql(transpile(table.sql, read="spark"))
    produced = relation.columns  # known before the query runs
    missing = [key for key in table.primary_key if key not in produced]
    if missing:
        raise ValueError(
            f"custom domain table {table.name}: primary key column(s) {', '.join(missing)} are not produced by "
            f"{table.custom.sql} (its columns: {', '.join(produced)})"
        )
    untagged = [column for column in table.tags if column not in produced]
    if untagged:
        raise ValueError(
            f"custom domain table {table.name}: tags name column(s) {', '.join(untagged)} that {table.custom.sql} "
            f"does not produce (its columns: {', '.join(produced)})"
        )
    # Streamed into Delta batch by batch rather than held whole as Arrow first.
    result = relation.to_arrow_reader(STREAM_BATCH_ROWS)
    version = lakehouse.write("domain", table.key, result, description=f"Custom domain table {table.name}")
    rows = lakehouse.row_count("domain", table.key)
    return DomainLoadReport(table=table.name, rows=rows, version=version, columns=_columns(result.schema))


def _ledger_keys(lakehouse: Lakehouse, table: str) -> set[tuple[str, int, int]]:
    if not lakehouse.exists("system", LEDGER):
        return set()
    ledger = lakehouse.read("system", LEDGER, columns=["domain_table", "file", "size", "mtime_ns"]).to_pylist()
    return {(row["file"], row["size"], row["mtime_ns"]) for row in ledger if row["domain_table"] == table}


def fingerprint(entry: PendingFile) -> str:
    return f"{entry.relative}|{entry.landed.size}|{entry.landed.mtime_ns}"


def _write_quarantine(lakehouse: Lakehouse, table: DomainTable, entries: list[PendingFile], quarantine: pa.Table) -> None:
    """Quarantine rows of this load, replacing rows an interrupted attempt at the same files wrote."""
    by_name = {entry.landed.relpath: fingerprint(entry) for entry in entries}
    names = quarantine.column("file").to_pylist()
    prints = [by_name.get(name.split("!", 1)[0], name) for name in names]
    rows = quarantine.append_column(FINGERPRINT, pa.array(prints, pa.string()))
    known = lakehouse.exists("quarantine", table.key) and FINGERPRINT in lakehouse.schema("quarantine", table.key).names
    if not known:
        if rows.num_rows:
            lakehouse.write("quarantine", table.key, rows, mode="append")
        return
    listed = ", ".join("'" + value.replace("'", "''") + "'" for value in sorted({fingerprint(e) for e in entries}))
    previous = lakehouse.read("quarantine", table.key, columns=[FINGERPRINT]).column(FINGERPRINT)
    if rows.num_rows or _any_in(previous, [fingerprint(e) for e in entries]):
        lakehouse.write("quarantine", table.key, rows, mode="append", predicate=f"{FINGERPRINT} IN ({listed})")


def _any_in(values: pa.ChunkedArray, wanted: list[str]) -> bool:
    return bool(pc.any(pc.is_in(values, value_set=pa.array(wanted, pa.string()))).as_py())


def _ledger_row(table: str, entry: PendingFile) -> dict:
    return {
        "domain_table": table,
        "courier": entry.courier,
        "file": entry.relative,
        "file_date": entry.landed.file_date.isoformat() if entry.landed.file_date else None,
        "size": entry.landed.size,
        "mtime_ns": entry.landed.mtime_ns,
    }


def _record_loaded(lakehouse: Lakehouse, rows: list[dict], version: int) -> None:
    if not rows:
        return
    now = datetime.now(timezone.utc)
    records = [
        {**row, "file_date": date.fromisoformat(row["file_date"]) if row["file_date"] else None, "loaded_at": now, "domain_version": version}
        for row in rows
    ]
    lakehouse.insert_new("system", LEDGER, pa.Table.from_pylist(records, schema=LEDGER_SCHEMA), on=LEDGER_KEY)


def _replay_ledger(lakehouse: Lakehouse, table: DomainTable) -> list[str]:
    """Write the ledger rows of domain commits whose own ledger write never happened (a run
    killed between the two commits); returns the files so recovered."""
    if not lakehouse.exists("domain", table.key):
        return []
    recorded = -1
    if lakehouse.exists("system", LEDGER):
        versions = lakehouse.read("system", LEDGER, columns=["domain_table", "domain_version"]).to_pylist()
        recorded = max((row["domain_version"] for row in versions if row["domain_table"] == table.name), default=-1)
    recovered: list[str] = []
    for commit in lakehouse.commits("domain", table.key, after=recorded):
        listed = commit.get(LOAD_METADATA)
        if not listed:
            continue
        rows = json.loads(listed)
        _record_loaded(lakehouse, rows, commit["version"])
        recovered += [row["file"] for row in rows]
    return recovered


def _columns(schema: pa.Schema) -> list[tuple[str, str]]:
    return [(f.name, str(f.type)) for f in schema]
