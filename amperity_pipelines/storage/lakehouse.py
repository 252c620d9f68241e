"""Delta Lake storage for a tenant: one Delta table per (layer, table) under a root URI.

Every write is one atomic Delta commit made by delta-rs, so a reader sees either the previous
version or the new one, never half a table; earlier versions stay readable (time travel).
Reads for SQL go through DuckDB's Parquet reader over the files of the current version, which
streams and parallelises far better than materialising Arrow tables in Python.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, write_deltalake

if TYPE_CHECKING:
    import duckdb

LAYERS = ("domain", "quarantine", "stitch", "database", "query", "export", "system")


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
        return DeltaTable.is_deltatable(self.table_uri(layer, name), storage_options=self._options())

    def table(self, layer: str, name: str, *, version: int | None = None) -> DeltaTable:
        uri = self.table_uri(layer, name)
        if not DeltaTable.is_deltatable(uri, storage_options=self._options()):
            raise FileNotFoundError(f"no Delta table {layer}/{name} under {self.root} (tenant {self.tenant})")
        return DeltaTable(uri, version=version, storage_options=self._options())

    def write(
        self,
        layer: str,
        name: str,
        data: pa.Table | pa.RecordBatchReader,
        *,
        mode: str = "overwrite",
        description: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> int:
        """Write `data` as one Delta commit and return the new version number."""
        uri = self.table_uri(layer, name)
        if self.is_local:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        write_deltalake(
            uri,
            data,
            mode=mode,
            schema_mode="overwrite" if mode == "overwrite" else "merge",
            description=description,
            storage_options=self._options(),
            commit_properties=CommitProperties(custom_metadata=dict(metadata or {})),
        )
        return DeltaTable(uri, storage_options=self._options()).version()

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


def default_root() -> str:
    """The lakehouse root: $AMPERITY_LAKEHOUSE or ./lakehouse."""
    return os.environ.get("AMPERITY_LAKEHOUSE", "lakehouse")
