"""Errors raised by the engines package."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of engine errors."""


class SqlError(EngineError, ValueError):
    """A statement that cannot be parsed, transpiled or run.

    The message names the statement's file (`source`) and, when known, the line and column, so a
    tenant author can find the mistake without reading a traceback.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.detail = message
        self.source = source
        self.line = line
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.source or "<sql>"
        if self.line is not None:
            where += f", line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        return f"{where}: {self.detail}"
