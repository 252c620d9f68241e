"""The one exception family of the ingest package.

Every error a tenant can cause with a file or a file pattern is an `IngestError` whose message
names the file (relative to the landing folder) and, when known, the line and column, so the
message alone is enough to find and fix the problem.
"""

from __future__ import annotations

from amperity_pipelines.config.datetime_patterns import PatternError  # noqa: F401 - re-exported: the patterns' error


class IngestError(Exception):
    """A landed file cannot be loaded: malformed, missing columns, too many bad rows."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, column: str | None = None):
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column


class MissingFileError(IngestError):
    """A required (non-optional) file of a courier's fileset is not in the landing folder."""
