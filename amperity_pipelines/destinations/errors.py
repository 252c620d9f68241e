"""Errors raised while shaping or writing an export."""

from __future__ import annotations


class DestinationError(Exception):
    """Base class of destination errors."""


class TemplateError(DestinationError, ValueError):
    """A data template that does not fit the data it is applied to."""


class ExportError(DestinationError):
    """An export that could not be written; nothing new is left at the destination."""
