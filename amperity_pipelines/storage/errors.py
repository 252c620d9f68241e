"""Errors of the lakehouse storage, each with a message a user can act on."""

from __future__ import annotations


class StorageError(RuntimeError):
    """A lakehouse write or read that could not be done as asked."""


class LockTimeout(StorageError):
    """Another run of the same tenant held a table's write lock for too long."""


class ConcurrentWriteError(StorageError):
    """Another writer committed to the same Delta table between this run's read and its commit."""
