"""One promotion at a time per registered model: a lock beside a local store.

Two `promote` runs at once (two analysts, or a cron retrain overlapping a manual promote) both
read the same champion, both compared with it, and the last to finish moved the alias: a worse
model replaced a better one it was never compared with. With a local SQLite store, `model_lock`
holds an exclusive `flock` on `mlflow/_locks/model=NAME.lock` (beside the database) for the
whole promote or rollback of one registered model: a second run waits for the first (saying
so), then reads the champion the first left and compares with it. A run that waits longer than
`LOCK_WAIT_S` gives up with `RegistryLockedError` naming the holder. The kernel releases the
lock when its process dies, however it dies.

A server (or another database) has no file both runs can lock: there `promotion.py` re-reads the
champion just before moving the alias and refuses when it changed (`ChampionChangedError`); it
does so with a local store too, for a change made without the lock (the MLflow UI, an older
version).

The holder record is the nightly job's (`adaptive.batch.lock.LockHolder`: pid, host, start,
command), read and written with its helpers; its `date_lock` itself does not fit: it fails at
once (a night must not wait), while a promotion should wait for the one before it, and its
files and messages name a batch date.
"""

from __future__ import annotations

import fcntl
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from adaptive.errors import AdaptiveError
from adaptive.registry.store import local_store_path

if TYPE_CHECKING:
    from adaptive.batch.lock import LockHolder

LOCK_DIR = "_locks"
#: How long a promote or rollback waits for another one of the same model: a promotion loads
#: two models and scores them on the held-out students (seconds; minutes for a deep model on a
#: large district), so ten minutes is a stuck run, not a slow one.
LOCK_WAIT_S = 600.0
POLL_S = 0.2


class RegistryLockedError(AdaptiveError):
    """Another promote or rollback of the registered model held its lock for too long."""


class LockWaitWarning(UserWarning):
    """This promote or rollback waits for another one of the same registered model to finish."""


def model_lock_path(tracking_uri: str, name: str) -> Path | None:
    """The lock file of registered model `name` in a local store; None for a server."""
    db = local_store_path(tracking_uri)
    if db is None:
        return None
    return db.parent / LOCK_DIR / f"model={quote(name, safe='')}.lock"


@contextmanager
def model_lock(
    tracking_uri: str, name: str, *, action: str = "promote", wait_s: float = LOCK_WAIT_S
) -> Iterator[None]:
    """Hold registered model `name`'s lock in a local store for a block (nothing for a server).
    Another holder is waited for, `waiting` said once, up to `wait_s` seconds."""
    path = model_lock_path(tracking_uri, name)
    if path is None:
        yield
        return
    # here, not at the top: `adaptive.batch` imports the whole nightly job
    from adaptive.batch.lock import LockHolder, _read_holder, _write_holder

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        if not _try_lock(fd):
            holder = _read_holder(fd)
            waiting(name, holder)
            deadline = time.monotonic() + wait_s
            while not _try_lock(fd):
                if time.monotonic() > deadline:
                    raise RegistryLockedError(
                        f"registered model {name!r}: another promote or rollback ("
                        f"{holder or 'its record is not readable'}) still holds {path} after "
                        f"{wait_s:g} s; check it with `fuser -v {path}`, then run {action} again"
                    )
                time.sleep(POLL_S)
        _write_holder(fd, LockHolder.me({"registered_model": name, "action": action}))
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # done: no holder record left
    finally:
        os.close(fd)  # releases the flock


def waiting(name: str, holder: LockHolder | None) -> None:
    """Say that this run waits for another promote or rollback of `name` (a warning: a
    `warning:` line on the command line)."""
    by = f" ({holder})" if holder is not None else ""
    warnings.warn(
        f"waiting for another promote or rollback of registered model {name!r}{by} to finish: "
        "this one then compares with the champion it leaves",
        LockWaitWarning,
        stacklevel=3,
    )


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
