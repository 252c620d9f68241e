"""Errors raised by the Stitch engine."""

from __future__ import annotations


class StitchInputError(ValueError):
    """The records handed to Stitch break the input contract (missing keys, duplicate pk...)."""
