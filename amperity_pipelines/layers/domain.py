"""Domain layer: land a feed's new files (found by its couriers) into `Source:Feed`.

A load ledger (Delta table system/loaded_files) records every file that landed, with its size
and modification time, so a file is never loaded twice and none is skipped after a restart.
The domain table, its quarantine rows and the ledger are each written as one Delta commit,
in that order; a failure before the first commit leaves the last good version untouched, and a
failure after it is repaired by the next run (upserts are idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa

from amperity_pipelines.config.loader import DomainTable, Tenant
from amperity_pipelines.config.models import FileSpec
from amperity_pipelines.engines.sql import transpile
from amperity_pipelines.ingest import LandedFile, discover, load_feed
from amperity_pipelines.layers.session import connect, open_session
from amperity_pipelines.storage.lakehouse import Lakehouse

LEDGER = "loaded_files"
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
    rows_read: int = 0
    rows_rejected: int = 0
    version: int | None = None
    columns: list[tuple[str, str]] = field(default_factory=list)


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
) -> DomainLoadReport:
    report = DomainLoadReport(table=table.name)
    entries, report.skipped = pending_files(tenant, table, lakehouse, landing_root, window)
    exists = lakehouse.exists("domain", table.key)
    if not entries and exists:
        report.rows = lakehouse.row_count("domain", table.key)
        report.version = lakehouse.table("domain", table.key).version()
        report.columns = _columns(lakehouse.schema("domain", table.key))
        return report

    ingest_sql = None
    if table.feed.ingest_query:
        ingest_sql = transpile(tenant.sql_files[table.feed.ingest_query], read="spark")
    con = connect()
    existing = None
    if exists:
        lakehouse.register(con, "__existing", "domain", table.key)
        existing = con.table("__existing")
    result = load_feed(
        con,
        table.feed,
        [(entry.landed, entry.spec) for entry in entries],
        existing=existing,
        ingest_query_sql=ingest_sql,
    )
    report.version = lakehouse.write(
        "domain",
        table.key,
        result.table,
        description=f"Domain table {table.name}",
        metadata={"files": ",".join(entry.relative for entry in entries)[:4000]},
    )
    if result.quarantine.num_rows:
        lakehouse.write("quarantine", table.key, result.quarantine, mode="append")
    _record_loaded(lakehouse, table.name, entries, report.version)
    report.files = [entry.relative for entry in entries]
    report.rows = lakehouse.row_count("domain", table.key)
    report.rows_read = sum(s.rows_read for s in result.files)
    report.rows_rejected = result.rows_rejected
    report.columns = _columns(lakehouse.schema("domain", table.key))
    return report


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


def _record_loaded(lakehouse: Lakehouse, table: str, entries: list[PendingFile], version: int) -> None:
    if not entries:
        return
    now = datetime.now(timezone.utc)
    rows = [
        {
            "domain_table": table,
            "courier": entry.courier,
            "file": entry.relative,
            "file_date": entry.landed.file_date,
            "size": entry.landed.size,
            "mtime_ns": entry.landed.mtime_ns,
            "loaded_at": now,
            "domain_version": version,
        }
        for entry in entries
    ]
    lakehouse.write("system", LEDGER, pa.Table.from_pylist(rows, schema=LEDGER_SCHEMA), mode="append")


def _columns(schema: pa.Schema) -> list[tuple[str, str]]:
    return [(f.name, str(f.type)) for f in schema]
