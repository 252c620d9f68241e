"""Text encodings of landed files: transcoding to UTF-8, and the line of the first bad byte.

DuckDB reads UTF-8 only. A delimited or JSON file in another encoding (the file spec's
`encoding:`) is decoded and written out as a temporary UTF-8 copy before DuckDB reads it,
streaming in 1 MiB chunks. Newlines stay newlines, so line 17 of the copy is line 17 of the
landed file. A byte that does not decode fails the file with its line: the 1-based physical line,
newlines before the byte plus one (a quoted value spanning lines counts every line, as an
editor does).

UTF-8 files are not decoded up front: DuckDB checks them as it reads, at no extra cost, and when
it reports invalid UTF-8, `first_undecodable` finds the byte and its line for the message.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from pathlib import Path

from amperity_pipelines.ingest.errors import IngestError

# The Python codec of each encoding name of the config (config/models.py ENCODINGS); `utf-16`
# takes its byte order from the byte-order mark.
_CODECS = {"utf-8": "utf-8", "latin-1": "latin-1", "cp1252": "cp1252", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be"}
_UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}
_TRUNCATED = ("unexpected end of data", "truncated data")


def transcode(chunks: Iterable[bytes], target: Path, encoding: str, name: str) -> None:
    """Write the text of `chunks` (in `encoding`) to `target` as UTF-8, without a byte-order mark."""
    with target.open("wb") as out:
        for text in decoded(chunks, encoding, name):
            out.write(text.encode("utf-8"))


def first_undecodable(chunks: Iterable[bytes], encoding: str, name: str) -> IngestError | None:
    """The error for the first byte of `chunks` that does not decode, or None when all of it does."""
    try:
        for _ in decoded(chunks, encoding, name):
            pass
    except IngestError as err:
        return err
    return None


def decoded(chunks: Iterable[bytes], encoding: str, name: str) -> Iterator[str]:
    """The text of `chunks`, piece by piece, without a leading byte-order mark.

    Raises IngestError naming `name` and the line of the first byte that does not decode.
    """
    chunks = iter(chunks)
    head = b""
    codec = _CODECS.get(encoding)
    if encoding == "utf-16":
        while len(head) < 2 and (chunk := next(chunks, None)) is not None:
            head += chunk
        if not head:
            return
        codec = _UTF16_BOMS.get(head[:2])
        if codec is None:
            raise IngestError(
                f"{name}: line 1: no utf-16 byte-order mark (FF FE or FE FF) at the start of the file; "
                "set `encoding:` on the file to utf-16le or utf-16be",
                file=name,
                line=1,
            )
        head = head[2:]
    elif codec is None:
        raise ValueError(f"unknown encoding {encoding!r}")
    decoder = codecs.getincrementaldecoder(codec)("strict")
    newlines = 0
    first = True
    try:
        for chunk in _chain(head, chunks):
            text = decoder.decode(chunk)
            if first and text:
                text = text.removeprefix("\ufeff")
                first = False
            newlines += text.count("\n")
            yield text
        yield decoder.decode(b"", final=True)
    except UnicodeDecodeError as err:
        # The failing input starts on a character boundary (the decoder's held-back bytes, then
        # the chunk), so what precedes the bad byte decodes on its own.
        before = err.object[: err.start].decode(codec, "replace")
        line = newlines + before.count("\n") + 1
        raise IngestError(_message(name, line, err, encoding), file=name, line=line) from None


def _chain(head: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    yield from chunks


def _message(name: str, line: int, err: UnicodeDecodeError, encoding: str) -> str:
    bad = err.object[err.start : max(err.end, err.start + 1)][:4]
    shown = " ".join(f"0x{byte:02x}" for byte in bad)
    if err.reason in _TRUNCATED:
        problem = f"the file ends inside a {encoding} character ({shown})"
    elif len(bad) == 1:
        problem = f"byte {shown} is not valid {encoding}"
    else:
        problem = f"bytes {shown} are not valid {encoding}"
    if encoding == "utf-8":
        hint = "set `encoding:` on the file, e.g. latin-1"
    else:
        hint = f"check the file's `encoding: {encoding}`"
    return f"{name}: line {line}: {problem} ({hint})"
