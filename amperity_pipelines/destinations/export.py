"""Write an export to a filesystem destination: named files, optional parts and a `.DONE` marker.

Every file is written under a hidden temporary name in the destination folder and renamed into
place only when all parts are complete, so a reader never sees a partial file; the `.DONE` marker
is written last. On failure the temporary files are removed and nothing new is left behind; a
process killed mid-export cannot remove its own, so each export first removes the temporary
files a dead export left in its folder (callers run one export per folder at a time: the
activation layer holds the destination's lock).
"""

from __future__ import annotations

import gzip
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from amperity_pipelines.config.models import DestinationSpec
from amperity_pipelines.destinations.encoders import FORMAT_EXTENSIONS, Encoder, open_encoder
from amperity_pipelines.destinations.errors import ExportError

BATCH_ROWS = 65_536
"""Rows rendered at a time: bounds the memory an export uses whatever its size."""

DONE_SUFFIX = ".DONE"
_TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp$")
"""Names of the temporary files below (`.<final name>.<12 hex>.tmp`)."""


@dataclass(frozen=True)
class ExportResult:
    files: tuple[Path, ...]
    """Data files in part order (the `.DONE` marker is not one of them)."""
    rows: int
    bytes: int
    """Bytes of the data files on disk (after compression)."""
    done_marker: Path | None = None


def write_export(
    data: pa.Table | pa.RecordBatchReader,
    spec: DestinationSpec,
    *,
    base_dir: Path,
    run_time: datetime,
    name: str,
) -> ExportResult:
    """Write `data` to the folder `spec.path` (relative to `base_dir`) as `spec` describes.

    `name` and `run_time` fill the `{name}` and `{date}` fields of `spec.filename_template`.
    """
    folder = Path(base_dir) / spec.path
    names = _FileNames(spec, name=name, run_time=run_time)
    schema = data.schema
    if spec.format in ("json", "ndjson", "parquet") and len(set(schema.names)) < len(schema.names):
        raise ExportError(f"destination {spec.name!r}: {spec.format} needs distinct column names, got {schema.names}")
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)

    parts: list[_PartFile] = []
    rows = 0
    try:
        current: _PartFile | None = None
        for batch in _batches(data):
            offset = 0
            while offset < batch.num_rows:
                if current is None or (spec.split_rows and current.rows == spec.split_rows):
                    if current is not None:
                        current.finish()
                    file_name = names.data_file(len(parts) + 1)
                    if any(part.final.name == file_name for part in parts):
                        raise ExportError(f"destination {spec.name!r}: filename_template names two parts {file_name!r}")
                    current = _PartFile(folder, file_name, spec, schema)
                    parts.append(current)
                take = batch.num_rows - offset
                if spec.split_rows:
                    take = min(take, spec.split_rows - current.rows)
                current.write(batch.slice(offset, take))
                offset += take
                rows += take
        if current is None:  # no rows: still one file (with its header), so downstream sees the run
            current = _PartFile(folder, names.data_file(1), spec, schema)
            parts.append(current)
        current.finish()
        marker = folder / (names.stem(parts[0].final.name) + DONE_SUFFIX) if spec.done_marker else None
        _publish(parts, marker)
    except BaseException:
        for part in parts:
            part.discard()
        raise
    files = tuple(part.final for part in parts)
    return ExportResult(files=files, rows=rows, bytes=sum(f.stat().st_size for f in files), done_marker=marker)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files an export killed before it finished left in `folder`."""
    removed = []
    for path in folder.iterdir():
        if _TEMPORARY.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


class _FileNames:
    """File names from `filename_template` (fields: name, date, part) plus the format's extension."""

    def __init__(self, spec: DestinationSpec, *, name: str, run_time: datetime) -> None:
        self._spec = spec
        self._fields = {"name": name, "date": run_time}
        template = spec.filename_template
        if spec.split_rows and "{part" not in template:
            template += "_part{part:03d}"
        self._template = template
        compressed = spec.compression == "gzip" and spec.format != "parquet"  # Parquet compresses inside
        self._extension = FORMAT_EXTENSIONS[spec.format] + (".gz" if compressed else "")
        self.data_file(1)  # a broken template fails before anything is written

    def data_file(self, part: int) -> str:
        try:
            rendered = self._template.format(part=part, **self._fields)
        except (KeyError, IndexError, ValueError, AttributeError) as error:
            raise ExportError(
                f"destination {self._spec.name!r}: filename_template {self._spec.filename_template!r} "
                f"cannot be filled ({type(error).__name__}: {error}); its fields are name, date and part"
            ) from None
        if not rendered or "/" in rendered or "\\" in rendered or rendered in (".", ".."):
            raise ExportError(
                f"destination {self._spec.name!r}: filename_template gives {rendered!r}, which is not a file name"
            )
        return rendered if rendered.endswith(self._extension) else rendered + self._extension

    def stem(self, file_name: str) -> str:
        return file_name.removesuffix(self._extension)


class _PartFile:
    """One data file being written under a temporary name next to its final name."""

    def __init__(self, folder: Path, file_name: str, spec: DestinationSpec, schema: pa.Schema) -> None:
        self.final = folder / file_name
        self.temporary = folder / f".{file_name}.{uuid.uuid4().hex[:12]}.tmp"
        self.rows = 0
        self._finished = False
        self._published = False
        self._raw: BinaryIO = open(self.temporary, "xb")  # noqa: SIM115 - closed in finish()/discard()
        self._stream: BinaryIO = self._raw
        try:
            if spec.compression == "gzip" and spec.format != "parquet":
                # The gzip header names the final file (without .gz), not the temporary one.
                self._stream = gzip.GzipFile(
                    filename=file_name.removesuffix(".gz"), mode="wb", fileobj=self._raw, compresslevel=6
                )
            self._encoder: Encoder = open_encoder(spec, schema, self._stream)
        except BaseException:
            self.discard()
            raise

    def write(self, batch: pa.RecordBatch) -> None:
        self._encoder.write(batch)
        self.rows += batch.num_rows

    def finish(self) -> None:
        self._finished = True
        self._encoder.close()
        if self._stream is not self._raw:
            self._stream.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()

    def publish(self) -> None:
        os.replace(self.temporary, self.final)
        self._published = True

    def discard(self) -> None:
        # Already failing: the original error is the one to report, so cleanup errors are ignored.
        closers = [self._stream.close, self._raw.close]
        if not self._finished and hasattr(self, "_encoder"):
            closers.insert(0, self._encoder.close)  # e.g. Parquet's writer, before its stream goes
        for close in closers:
            try:
                close()
            except Exception:  # noqa: BLE001
                pass
        self.temporary.unlink(missing_ok=True)
        if self._published:
            self.final.unlink(missing_ok=True)


def _publish(parts: list[_PartFile], marker: Path | None) -> None:
    """Rename every finished part into place, then write the marker."""
    if marker is not None:
        marker.unlink(missing_ok=True)  # a previous run's marker must not vouch for files being replaced
    for part in parts:
        part.publish()
    if marker is not None:
        temporary = marker.with_name(f".{marker.name}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            temporary.write_bytes(b"")
            os.replace(temporary, marker)
        finally:
            temporary.unlink(missing_ok=True)
    _sync_directory(parts[0].final.parent)


def _sync_directory(folder: Path) -> None:
    """Make the renames durable (POSIX); a no-op where directories cannot be opened."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _batches(data: pa.Table | pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    source = data.to_batches(max_chunksize=BATCH_ROWS) if isinstance(data, pa.Table) else data
    for batch in source:
        for offset in range(0, batch.num_rows, BATCH_ROWS):
            yield batch.slice(offset, BATCH_ROWS)
