"""One promotion at a time per registered model: a lock beside a local store.

Two `promote` runs at once (two analysts, or a cron retrain overlapping a manual promote) both
read the same champion, both compared with it, and the last to finish moved the alias: a worse
model replaced a better one it was never compared with. With a local SQLite store, `model_lock`
holds an exclusive `flock` on `mlflow/_locks/model=NAME.lock` (beside the database) for the
whole promote or rollback of one registered model: a second run waits for the first (saying
so), then reads the champion the first left and compares with it. A run that waits longer than
`LOCK_WAIT_S` gives up with `RegistryLockedError` naming the holder. The kernel releases the
lock when its process dies, however it dies.

A server (or another database) has no file both runs can lock: there promotes converge instead
(`promotion.Contender`: the alias ends on the best candidate of the promotes that passed the
same gate at the same time, whichever writes last), and a champion moved by anything else is
refused (`ChampionChangedError`). Both hold with a local store too, for a change made without the lock
(the MLflow UI, an older version).

The lock file, its holder record and its protection from forked children (a child forked by a
promote, outliving its `kill -9`, would keep the lock) are `adaptive.locking`'s, as the nightly
job's `date_lock` uses them; that one fails at once (a night must not wait), this one waits.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from adaptive.errors import AdaptiveError
from adaptive.locking import LOCK_DIR, LockFile, LockHolder
from adaptive.registry.store import local_store_path

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
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = LockFile.open(path)
    try:
        if not lock.try_lock():
            _wait(lock, name, action, wait_s)
        lock.write(LockHolder.me({"registered_model": name, "action": action}))
        try:
            yield
        finally:
            lock.clear()  # done: no holder record left
    finally:
        lock.close()  # releases the flock


def _wait(lock: LockFile, name: str, action: str, wait_s: float) -> None:
    """Wait until `lock` is taken (`waiting` said once); `RegistryLockedError` after `wait_s`."""
    holder = lock.holder()
    waiting(name, holder)
    deadline = time.monotonic() + wait_s
    while not lock.try_lock():
        if time.monotonic() > deadline:
            raise RegistryLockedError(
                f"registered model {name!r}: another promote or rollback ("
                f"{holder or 'its record is not readable'}) still holds {lock.path} after "
                f"{wait_s:g} s; check it with `fuser -v {lock.path}`, then run {action} again"
            )
        time.sleep(POLL_S)


def waiting(name: str, holder: LockHolder | None) -> None:
    """Say that this run waits for another promote or rollback of `name` (a warning: a
    `warning:` line on the command line)."""
    by = f" ({holder})" if holder is not None else ""
    warnings.warn(
        f"waiting for another promote or rollback of registered model {name!r}{by} to finish: "
        "this one then compares with the champion it leaves",
        LockWaitWarning,
        stacklevel=5,  # the `with model_lock(...)` (through `_wait`, the generator, contextlib)
    )
