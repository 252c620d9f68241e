"""Landed files -> the local files DuckDB reads: unpacked, verified, transcoded to UTF-8.

A landed file becomes one `RawSource`, or one per member of a zip archive (named
`archive.zip!member.csv`). Every compressed byte is verified before anything is read, because
DuckDB's readers stop quietly where a gzip stream ends without its trailer: a file cut off in
transfer at a line boundary would load as far as it goes. A gzip stream is decompressed to its
end (every member's CRC-32 and length; ~0.3 s per 100 MB of text, in 1 MiB chunks) and a zip
member's CRC-32 is checked as it is unpacked.

Temporary copies, removed when `open_sources` exits, are made only when needed: zip members,
gzipped Parquet (Parquet compresses inside; the outer gzip has to come off), text in another
encoding than UTF-8 (transcoded, `encodings.py`) and JSON starting with a UTF-8 byte-order mark
(DuckDB's JSON reader refuses it). A verified gzip file stays as it is: DuckDB decompresses it
again as it reads, which is cheaper than writing the whole text out.
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from amperity_pipelines.config.models import FileSpec
from amperity_pipelines.ingest.encodings import transcode
from amperity_pipelines.ingest.errors import IngestError
from amperity_pipelines.ingest.lines import LongLines
from amperity_pipelines.ingest.patterns import LandedFile

CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_JSON_FORMATS = ("json", "ndjson")
# Member names a zip may hold for each format; anything else in the archive is ignored.
_MEMBER_SUFFIXES = {
    "csv": (".csv", ".txt"),
    "tsv": (".tsv", ".tab", ".txt"),
    "psv": (".psv", ".txt"),
    "json": (".json",),
    "ndjson": (".ndjson", ".jsonl", ".json"),
    "parquet": (".parquet", ".pq"),
}
# What zipfile raises for a damaged archive or member, besides BadZipFile: zlib.error from a
# corrupt deflate stream, NotImplementedError for an unknown compression method, RuntimeError
# for an encrypted member.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError, ValueError)


@dataclass(frozen=True)
class RawSource:
    """One readable unit of a landed file: the file itself, or one member of a zip archive."""

    landed: LandedFile
    path: Path
    """The local file DuckDB reads (a temporary copy for zip members, gzipped Parquet and transcoded text)."""
    compression: Literal["none", "gzip"]
    size: int
    """Bytes of content once decompressed (before transcoding): 0 is an empty file."""
    member: str | None = None
    long_line: int | None = None
    """Where the first line over MAX_LINE_BYTES starts (a byte offset in the content), when measured."""
    lines_measured: bool = False
    """`long_line` was measured on the way (a gzip file's verification); else measure `chunks()`."""

    @property
    def name(self) -> str:
        """How messages and lineage name this source: the relative path, plus `!member` for zips."""
        return f"{self.landed.relpath}!{self.member}" if self.member else self.landed.relpath

    def chunks(self) -> Iterator[bytes]:
        """The content of `path`, decompressed, in 1 MiB chunks."""
        return gzip_chunks(self.path, self.name) if self.compression == "gzip" else file_chunks(self.path)


def resolve_compression(spec: FileSpec, filename: str) -> Literal["none", "gzip", "zip"]:
    if spec.compression != "auto":
        return spec.compression
    lowered = filename.lower()
    if lowered.endswith(".gz") or lowered.endswith(".gzip"):
        return "gzip"
    if lowered.endswith(".zip"):
        return "zip"
    return "none"


@contextmanager
def open_sources(landed: LandedFile, spec: FileSpec) -> Iterator[list[RawSource]]:
    """The readable sources of a landed file, verified; temporary copies are removed on exit."""
    with ExitStack() as stack:
        workdir: Path | None = None

        def scratch() -> Path:
            nonlocal workdir
            if workdir is None:
                workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ingest-")))
            return workdir

        compression = resolve_compression(spec, landed.path.name)
        if compression == "zip":
            yield _unzip(landed, spec, scratch())
        else:
            yield [_prepare(landed, spec, landed.path, gzipped=compression == "gzip", member=None, scratch=scratch)]


def _prepare(
    landed: LandedFile, spec: FileSpec, path: Path, *, gzipped: bool, member: str | None, scratch: Callable[[], Path]
) -> RawSource:
    """Verify one file (a landed file or an unpacked member) and copy it where DuckDB needs a copy."""
    name = f"{landed.relpath}!{member}" if member else landed.relpath
    text = spec.format != "parquet"
    content = (lambda: gzip_chunks(path, name)) if gzipped else (lambda: file_chunks(path))
    if text and not gzipped:
        _refuse_compressed(path, name)
    if (gzipped and not text) or (text and spec.encoding != "utf-8"):
        target = _copy_path(scratch(), path)
        counted = _Counted(content())
        if text:
            transcode(counted, target, spec.encoding, name)
        else:
            with target.open("wb") as plain:
                for chunk in counted:
                    plain.write(chunk)
        return RawSource(landed, target, "none", counted.size, member)
    lines = LongLines() if gzipped and text else None
    if gzipped:
        size, head = verify_gzip(path, name, lines=lines)
    else:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(len(codecs.BOM_UTF8))
    if spec.format in _JSON_FORMATS and head.startswith(codecs.BOM_UTF8):
        target = _copy_path(scratch(), path)
        skip = len(codecs.BOM_UTF8)  # the mark may straddle chunks (a gzip member of 2 bytes)
        with target.open("wb") as plain:
            for chunk in content():
                dropped, skip = min(skip, len(chunk)), skip - min(skip, len(chunk))
                plain.write(chunk[dropped:])
        return RawSource(landed, target, "none", size, member)
    measured = {"long_line": lines.first(), "lines_measured": True} if lines else {}
    return RawSource(landed, path, "gzip" if gzipped else "none", size, member, **measured)


def _refuse_compressed(path: Path, name: str) -> None:
    """A compressed file read as text would fail on its first bytes with a message about encodings."""
    with path.open("rb") as handle:
        head = handle.read(len(_ZIP_MAGIC))
    if head.startswith((_GZIP_MAGIC, _ZIP_MAGIC)):
        kind, suffix = ("gzip", "gz") if head.startswith(_GZIP_MAGIC) else ("zip", "zip")
        raise IngestError(
            f"{name}: the file is {kind}-compressed (it starts with {head[:2].hex(' ')}) but is read as plain "
            f"text: set `compression: {kind}` on the file, or give it a .{suffix} name",
            file=name,
        )


def _copy_path(workdir: Path, original: Path) -> Path:
    return workdir / f"copy-{uuid.uuid4().hex[:12]}-{original.name.removesuffix('.gz')}"


class _Counted:
    """Chunks passed through, their bytes counted."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.size += len(chunk)
            yield chunk


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def gzip_chunks(path: Path, name: str) -> Iterator[bytes]:
    """The decompressed content of a gzip file (every member, one after another), verified to its
    end: a missing trailer, a CRC-32 or length mismatch or bytes that are not gzip raise IngestError."""
    produced = 0
    with path.open("rb") as handle:
        pending = handle.read(CHUNK)
        if not pending:
            return  # 0 bytes: an empty file, which the load reports as such
        decompressor = None
        while True:
            if decompressor is None:
                if len(pending) < len(_GZIP_MAGIC):
                    pending += handle.read(CHUNK)
                if not pending.startswith(_GZIP_MAGIC):
                    if produced:
                        raise _gzip_error(name, produced, "bytes after the end of the gzip stream are not gzip data")
                    raise _gzip_error(name, produced, "not a gzip file (it does not start with 1f 8b)")
                decompressor = zlib.decompressobj(wbits=31)
            try:
                chunk = decompressor.decompress(pending)
            except zlib.error as exc:
                raise _gzip_error(name, produced, _zlib_reason(exc)) from None
            produced += len(chunk)
            if chunk:
                yield chunk
            if decompressor.eof:
                # One gzip member ends; another may follow (concatenated gzip is valid gzip).
                pending = decompressor.unused_data or handle.read(CHUNK)
                decompressor = None
                if not pending:
                    return
                continue
            pending = handle.read(CHUNK)
            if not pending:
                raise IngestError(
                    f"{name}: truncated gzip file (no end-of-stream marker): the data stops after "
                    f"{produced:,} bytes of content; the file was probably cut off in transfer",
                    file=name,
                )


def verify_gzip(path: Path, name: str, *, lines: LongLines | None = None) -> tuple[int, bytes]:
    """(bytes of content, its first bytes) of a gzip file read to its end; IngestError if damaged.
    Given `lines`, its line lengths are measured in the same pass (decompressing again costs ~0.2 s
    per 100 MB)."""
    size = 0
    head = b""
    for chunk in gzip_chunks(path, name):
        if len(head) < 4:
            head += chunk[: 4 - len(head)]
        size += len(chunk)
        if lines is not None:
            lines.feed(chunk)
    return size, head


def _zlib_reason(exc: zlib.error) -> str:
    text = str(exc)
    if "incorrect data check" in text:
        return "the CRC-32 in the trailer does not match the content"
    if "incorrect length check" in text:
        return "the length in the trailer does not match the content"
    if "incorrect header check" in text or "unknown compression method" in text:
        return "not a gzip file"
    return text.removeprefix("Error -3 while decompressing data: ")


def _gzip_error(name: str, produced: int, reason: str) -> IngestError:
    where = f" (after {produced:,} bytes of content)" if produced else ""
    return IngestError(f"{name}: corrupt gzip file: {reason}{where}", file=name)


def _unzip(landed: LandedFile, spec: FileSpec, workdir: Path) -> list[RawSource]:
    suffixes = _MEMBER_SUFFIXES[spec.format]
    sources: list[RawSource] = []
    try:
        archive = zipfile.ZipFile(landed.path)
    except _ZIP_ERRORS as exc:
        raise IngestError(f"{landed.relpath}: cannot read zip archive: {exc}", file=landed.relpath) from None
    with archive:
        members = [
            info for info in archive.infolist()
            if not info.is_dir()
            and not info.filename.startswith("__MACOSX/")
            and not Path(info.filename).name.startswith(".")
        ]
        wanted = [info for info in members if info.filename.lower().removesuffix(".gz").endswith(suffixes)]
        if not wanted:
            found = ", ".join(m.filename for m in members) or "no files"
            raise IngestError(
                f"{landed.relpath}: zip archive has no {spec.format} member (expected names ending in "
                f"{', '.join(suffixes)}; found {found})",
                file=landed.relpath,
            )
        for index, info in enumerate(wanted):
            # Numbered flat names: member paths never escape the temporary folder.
            target = workdir / f"member-{index:05d}-{Path(info.filename).name}"
            name = f"{landed.relpath}!{info.filename}"
            try:
                # Reading a member to its end checks its CRC-32 (zipfile raises BadZipFile).
                with archive.open(info) as packed, target.open("wb") as plain:
                    shutil.copyfileobj(packed, plain, CHUNK)
            except _ZIP_ERRORS as exc:
                raise IngestError(f"{name}: corrupt zip member: {exc}", file=name) from None
            gzipped = info.filename.lower().endswith(".gz")
            sources.append(_prepare(landed, spec, target, gzipped=gzipped, member=info.filename, scratch=lambda: workdir))
    return sources
