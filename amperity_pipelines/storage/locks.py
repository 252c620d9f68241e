"""Per-tenant write locks, so that two runs of one tenant never write the same tables at once.

Delta commits are atomic, but a load is three of them (quarantine, domain table, ledger) built
on what the ledger said before the load began: two runs that both read "file not loaded yet"
would both load it. A load (and a Stitch run, and an export) therefore holds an exclusive lock
named after what it writes, from before it reads the ledger until after its last commit; a
second run waits for it and then sees the first run's ledger.

The locks are POSIX advisory locks (flock) on files under the lakehouse (`<root>/<tenant>/_locks/`)
when it is a local folder, else under the machine's temporary folder: the embedded engine runs
on one machine. The kernel drops a lock when its process dies, even by kill -9, so a crashed run
never leaves a stale lock behind.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from amperity_pipelines.storage.errors import LockTimeout

DEFAULT_WAIT_SECONDS = 6 * 3600.0
"""How long a run waits for another run of the same tenant before giving up (a full load of a
large tenant can take hours; a run that waits that long has a problem worth reporting)."""
_POLL_SECONDS = 0.2


def lock_folder(root: str, tenant: str) -> Path:
    """Where a tenant's lock files live."""
    if "://" not in root or root.startswith("file://"):
        return Path(root.removeprefix("file://")).absolute() / tenant / "_locks"
    digest = hashlib.sha256(root.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "amperity-locks" / digest / tenant


@contextmanager
def exclusive(folder: Path, name: str, *, what: str, wait_seconds: float = DEFAULT_WAIT_SECONDS, on_wait=None) -> Iterator[None]:
    """Hold the lock `name` in `folder` for the block; wait up to `wait_seconds` for it.

    `what` says in errors what the lock protects ("load of POS:Customers"); `on_wait` is called
    once with a message when the lock is busy, so a run can say why it is waiting.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.lock"
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if not told and on_wait is not None:
                on_wait(f"waiting for another run of the {what} to finish (lock {path})")
                told = True
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"another run has held the {what} for more than {wait_seconds:.0f} s (lock {path}); "
                    "it is still running, so this run stopped without writing anything: run it again when that run ends"
                )
            time.sleep(_POLL_SECONDS)
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)
