"""Delta Lake storage for a tenant: one Delta table per (layer, table) under a root URI.

Every write is one atomic Delta commit made by delta-rs, so a reader sees either the previous
version or the new one, never half a table; earlier versions stay readable (time travel).
Reads for SQL go through DuckDB's Parquet reader over the files of the current version, which
streams and parallelises far better than materialising Arrow tables in Python.

Tables written as a set (the Stitch tables, layer `stitch`) are read as a set: their writer
commits each table, then publishes the versions of all of them in one commit of the
`system/published` table (`publish`). Readers of that layer see the published versions only,
so a run killed between two of its commits leaves the previous set readable, never a mix; a
table that was never published does not exist for them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError

from amperity_pipelines.storage import locks
from amperity_pipelines.storage.errors import ConcurrentWriteError

if TYPE_CHECKING:
    import duckdb

LAYERS = ("domain", "quarantine", "stitch", "database", "query", "export", "system")
PUBLISHED_LAYERS = ("stitch",)
"""Layers whose tables are read only at the versions their writer published as one set."""
PUBLISHED = "published"
PUBLISHED_SCHEMA = pa.schema(
    [
        ("layer", pa.string()),
        ("table_name", pa.string()),
        ("version", pa.int64()),
        ("run_id", pa.string()),
        ("published_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass(frozen=True)
class Lakehouse:
    """Delta tables of one tenant under `root` (a local path or an s3:// / az:// URI)."""

    root: str
    tenant: str
    storage_options: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return "://" not in self.root or self.root.startswith("file://")

    def table_uri(self, layer: str, name: str) -> str:
        if layer not in LAYERS:
            raise ValueError(f"unknown lakehouse layer {layer!r}: expected one of {', '.join(LAYERS)}")
        base = self.root.removeprefix("file://") if self.is_local else self.root.rstrip("/")
        if self.is_local:
            return str(Path(base).absolute() / self.tenant / layer / name)
        return f"{base}/{self.tenant}/{layer}/{name}"

    def _options(self) -> dict[str, str] | None:
        return dict(self.storage_options) or None

    def exists(self, layer: str, name: str) -> bool:
        if layer in PUBLISHED_LAYERS:
            return name in self.published(layer)
        return DeltaTable.is_deltatable(self.table_uri(layer, name), storage_options=self._options())

    def table(self, layer: str, name: str, *, version: int | None = None) -> DeltaTable:
        """The table at `version`; by default its current version, or for a published layer
        (Stitch) the version last published."""
        uri = self.table_uri(layer, name)
        if version is None and layer in PUBLISHED_LAYERS:
            version = self.published(layer).get(name)
            if version is None:
                raise FileNotFoundError(f"no published Delta table {layer}/{name} under {self.root} (tenant {self.tenant})")
        if not DeltaTable.is_deltatable(uri, storage_options=self._options()):
            raise FileNotFoundError(f"no Delta table {layer}/{name} under {self.root} (tenant {self.tenant})")
        return DeltaTable(uri, version=version, storage_options=self._options())

    def latest_version(self, layer: str, name: str) -> int | None:
        """The newest committed version, published or not (None when there is no table)."""
        uri = self.table_uri(layer, name)
        if not DeltaTable.is_deltatable(uri, storage_options=self._options()):
            return None
        return DeltaTable(uri, storage_options=self._options()).version()

    def published(self, layer: str) -> dict[str, int]:
        """Table -> version of the set last published for `layer`."""
        uri = self.table_uri("system", PUBLISHED)
        if not DeltaTable.is_deltatable(uri, storage_options=self._options()):
            return {}
        rows = DeltaTable(uri, storage_options=self._options()).to_pyarrow_table().to_pylist()
        return {row["table_name"]: row["version"] for row in rows if row["layer"] == layer}

    def previously_published(self, layer: str, name: str) -> int | None:
        """The version of `name` in the set published before the current one (None if none was)."""
        uri = self.table_uri("system", PUBLISHED)
        if not DeltaTable.is_deltatable(uri, storage_options=self._options()):
            return None
        current = self.published(layer).get(name)
        latest = DeltaTable(uri, storage_options=self._options()).version()
        for version in range(latest - 1, -1, -1):
            rows = DeltaTable(uri, version=version, storage_options=self._options()).to_pyarrow_table().to_pylist()
            earlier = {row["table_name"]: row["version"] for row in rows if row["layer"] == layer}.get(name)
            if earlier is not None and earlier != current:
                return earlier
        return None

    def publish(self, layer: str, versions: Mapping[str, int], *, run_id: str) -> None:
        """Make `versions` (table -> version) the set readers of `layer` see, in one commit.

        Tables of the layer not named keep no published version (they vanish for readers)."""
        now = datetime.now(UTC)
        rows = [
            {"layer": layer, "table_name": name, "version": int(version), "run_id": run_id, "published_at": now}
            for name, version in sorted(versions.items())
        ]
        data = pa.Table.from_pylist(rows, schema=PUBLISHED_SCHEMA)
        self.write("system", PUBLISHED, data, predicate=f"layer = '{_sql_text(layer)}'", metadata={"run_id": run_id})

    def lock(self, name: str, *, what: str, on_wait=None) -> AbstractContextManager[None]:
        """An exclusive lock of this tenant named `name`, held by one run at a time (see locks.py)."""
        return locks.exclusive(locks.lock_folder(self.root, self.tenant), name, what=what, on_wait=on_wait)

    def _table_lock(self, layer: str, name: str) -> AbstractContextManager[None]:
        """Held for the length of one commit: two runs writing one table commit one after the
        other (the last one wins) instead of one failing on a conflicting commit."""
        return self.lock(f"table-{layer}-{name}", what=f"write of Delta table {layer}/{name}")

    def write(
        self,
        layer: str,
        name: str,
        data: pa.Table | pa.RecordBatchReader,
        *,
        mode: str = "overwrite",
        predicate: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> int:
        """Write `data` as one Delta commit and return the new version number.

        With `predicate` (SQL over the table's columns), only the rows matching it are replaced
        by `data`, whose rows must all match it: writing the same rows twice leaves them once."""
        uri = self.table_uri(layer, name)
        if self.is_local:
            folder = Path(uri)
            folder.parent.mkdir(parents=True, exist_ok=True)
            if folder.exists() and not DeltaTable.is_deltatable(uri):
                # A first commit that was killed half way: files but no version. Nothing can read
                # them (no log names them), so start the table afresh.
                shutil.rmtree(folder)
        try:
            with self._table_lock(layer, name):
                replace_rows = predicate is not None and DeltaTable.is_deltatable(uri, storage_options=self._options())
                write_deltalake(
                    uri,
                    data,
                    mode="overwrite" if replace_rows else mode,
                    predicate=predicate if replace_rows else None,
                    schema_mode="overwrite" if mode == "overwrite" and not replace_rows else "merge",
                    description=description,
                    storage_options=self._options(),
                    commit_properties=CommitProperties(custom_metadata=dict(metadata or {})),
                )
        except CommitFailedError as err:
            raise ConcurrentWriteError(
                f"another writer committed to Delta table {layer}/{name} of tenant {self.tenant} while this run was "
                f"writing it, so this run's commit was refused and the table keeps the other run's version; "
                f"run again ({err})"
            ) from None
        return DeltaTable(uri, storage_options=self._options()).version()

    def insert_new(self, layer: str, name: str, data: pa.Table, *, on: tuple[str, ...]) -> int:
        """Append the rows of `data` whose `on` columns match no existing row, in one commit:
        appending the same rows again adds nothing."""
        uri = self.table_uri(layer, name)
        if not DeltaTable.is_deltatable(uri, storage_options=self._options()):
            return self.write(layer, name, data, mode="append")
        condition = " AND ".join(f"target.{column} = source.{column}" for column in on)
        try:
            with self._table_lock(layer, name):
                (
                    DeltaTable(uri, storage_options=self._options())
                    .merge(data, condition, source_alias="source", target_alias="target")
                    .when_not_matched_insert_all()
                    .execute()
                )
        except CommitFailedError as err:
            raise ConcurrentWriteError(
                f"another writer committed to Delta table {layer}/{name} of tenant {self.tenant} at the same time; run again ({err})"
            ) from None
        return DeltaTable(uri, storage_options=self._options()).version()

    def commits(self, layer: str, name: str, *, after: int) -> Iterator[dict]:
        """Commit infos (with their custom metadata) of the versions newer than `after`, oldest first."""
        latest = self.latest_version(layer, name)
        if latest is None or latest <= after:
            return iter(())
        history = DeltaTable(self.table_uri(layer, name), storage_options=self._options()).history(latest - after)
        return iter(sorted((c for c in history if c.get("version", -1) > after), key=lambda c: c["version"]))

    def read(self, layer: str, name: str, *, version: int | None = None, columns: list[str] | None = None) -> pa.Table:
        return self.table(layer, name, version=version).to_pyarrow_table(columns=columns)

    def stream(
        self, layer: str, name: str, *, version: int | None = None, columns: list[str] | None = None
    ) -> pa.RecordBatchReader:
        """The rows of `read`, batch by batch in file order, never all in memory at once."""
        return self.table(layer, name, version=version).to_pyarrow_dataset().scanner(columns=columns).to_reader()

    def files(self, layer: str, name: str, *, version: int | None = None) -> list[str]:
        return self.table(layer, name, version=version).file_uris()

    def schema(self, layer: str, name: str) -> pa.Schema:
        return pa.schema(self.table(layer, name).schema())

    def register(
        self, con: duckdb.DuckDBPyConnection, view: str, layer: str, name: str, *, version: int | None = None
    ) -> list[str]:
        """Make the current (or given) version of a Delta table queryable in DuckDB as `view`.

        Returns the files DuckDB reads for the view (none when the table was loaded into Arrow):
        a session that locks DuckDB's file access allows exactly these."""
        table = self.table(layer, name, version=version)
        files = table.file_uris()
        quoted = '"' + view.replace('"', '""') + '"'
        if files and self.is_local:
            file_list = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            con.execute(f"CREATE OR REPLACE VIEW {quoted} AS SELECT * FROM read_parquet([{file_list}], union_by_name = true)")
            return files
        con.register(f"__arrow_{view}", table.to_pyarrow_table())
        con.execute(f'CREATE OR REPLACE VIEW {quoted} AS SELECT * FROM "__arrow_{view}"')
        return []

    def row_count(self, layer: str, name: str) -> int:
        table = self.table(layer, name)
        actions = table.get_add_actions(flatten=True)
        counts = pa.table(actions).column("num_records").to_pylist() if actions.num_rows else []
        if counts and all(c is not None for c in counts):
            return int(sum(counts))
        return table.to_pyarrow_dataset().count_rows()

    def history(self, layer: str, name: str) -> list[dict]:
        return self.table(layer, name).history()


def _sql_text(value: str) -> str:
    return value.replace("'", "''")


def default_root() -> str:
    """The lakehouse root: $AMPERITY_LAKEHOUSE or ./lakehouse."""
    return os.environ.get("AMPERITY_LAKEHOUSE", "lakehouse")
