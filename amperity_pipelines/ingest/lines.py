"""Line lengths of delimited text, measured as the bytes stream past (no Python per line).

DuckDB's read_csv (1.5) rejects a line over its `max_line_size` only while the line fits its read
buffer (16 times that): a longer last line is dropped without a word by the parallel reader, and
a longer line mid-file fails with "does not support a full read on this file", no line given.
So lines are measured before DuckDB reads: `LongLines` searches backwards from the end of each
window of MAX_LINE_BYTES for a line ending, which finds one at once in ordinary text, making the
pass memchr-speed (~15 ms per 100 MB). LF, CRLF and CR each end a line.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_LINE_BYTES = 2_000_000
"""The longest line read_csv is given to accept, its ending not counted (DuckDB's default)."""


class LongLines:
    """Fed the content chunk by chunk: where the first line over `limit` bytes starts, if any."""

    def __init__(self, limit: int = MAX_LINE_BYTES):
        self.limit = limit
        self._offset = 0  # of the next chunk in the stream
        self._start = 0  # of the current line in the stream
        self._found: int | None = None

    def feed(self, chunk: bytes) -> None:
        if self._found is not None:
            return
        size, searched = len(chunk), 0
        while True:
            # The current line is short enough if it ends before stream offset start + limit + 1.
            bound = self._start + self.limit + 1 - self._offset
            if bound <= searched:
                self._found = self._start
                return
            window = min(size, bound)
            end = max(chunk.rfind(b"\n", searched, window), chunk.rfind(b"\r", searched, window))
            if end == -1:
                if bound <= size:
                    self._found = self._start
                    return
                break
            self._start, searched = self._offset + end + 1, end + 1
        self._offset += size

    @property
    def found(self) -> bool:
        """A long line is found: the rest of the content need not be fed."""
        return self._found is not None

    def first(self) -> int | None:
        """The byte offset of the first long line (once every chunk is fed), or None."""
        if self._found is None and self._offset - self._start > self.limit:
            return self._start
        return self._found


def first_long_line(chunks: Iterable[bytes], limit: int = MAX_LINE_BYTES) -> int | None:
    """The byte offset where the first line longer than `limit` bytes starts, or None."""
    lines = LongLines(limit)
    for chunk in chunks:
        lines.feed(chunk)
        if lines.found:
            break
    return lines.first()


def line_at(chunks: Iterable[bytes], offset: int) -> int:
    """The 1-based line on which byte `offset` falls."""
    line, seen, carry = 1, 0, b""
    for chunk in chunks:
        part = chunk[: max(offset - seen, 0)]
        line += part.count(b"\n") + part.count(b"\r") - (carry + part).count(b"\r\n")
        seen += len(chunk)
        if seen >= offset:
            break
        carry = part[-1:]
    return line
