"""One batch run per output date: an exclusive lock, `OUT/_locks/date=YYYY-MM-DD.lock`.

Two runs writing the same date into the same `--out` would mix their partitions (and race on the
snapshot and the `_SUCCESS.json` marker). `date_lock` takes an exclusive `flock` on the date's
lock file for the whole run and writes the holder into it (pid, host, start time, command and the
run's main inputs). A second run fails at once with `BatchLockedError` naming the holder.

The lock file, its holder record and its protection from forked children (a child that outlived
a `kill -9` of its run would keep the lock) are `adaptive.locking`'s. The holder record stays in
the file when the run is killed (a run that ends, even with an error or stopped by SIGTERM,
empties it): the next run finds it, says it is taking over from a killed run (and whether that
process is gone), and goes on. Partitions the killed run completed are reused only
when the inputs match (`writer.prepare_date`). A run that fails before writing anything (an
input error) removes the lock file it created (`date_lock`'s `discard`), so it leaves nothing,
and so does a drop of the night (`remove_after`).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from adaptive.errors import AdaptiveError, NightWarning
from adaptive.locking import LOCK_DIR, LockFile, LockHolder


class BatchLockedError(AdaptiveError):
    """Another run holds the output date's lock."""


def lock_path(out: Path, date: str) -> Path:
    return Path(out) / LOCK_DIR / f"date={date}.lock"


@contextmanager
def date_lock(
    out: Path,
    date: str,
    inputs: dict[str, Any],
    discard: Callable[[], bool] | None = None,
    remove_after: bool = False,
) -> Iterator[LockHolder | None]:
    """Hold the exclusive lock of `date` in `out` for a block; yields the holder record left by
    a run that did not finish (taken over), else None. Raises `BatchLockedError` at once when a
    live run holds it. When the block fails and `discard()` says the run left nothing (an input
    error before any output), a lock file this run created is removed, and so is `_locks` when
    that leaves it empty: a failed run leaves nothing behind. `remove_after`: the block done,
    remove the lock file (and an emptied `_locks`) too: a dropped night leaves no lock file."""
    path = lock_path(out, date)
    lock, created = _open_locked(out, date, path)
    try:
        previous = lock.holder()
        if previous is not None:
            state = {False: "that process no longer exists", None: "it ran on another host"}
            warnings.warn(  # a `warning:` line on the command line, as the README says
                f"taking over the lock of date {date} in {out} from a run that was killed "
                f"({previous}; {state.get(previous.alive(), 'its pid now belongs to another process')})",
                NightWarning,
                stacklevel=3,
            )
        lock.write(LockHolder.me(inputs))
        try:
            yield previous
            if remove_after:
                _remove_lock_file(path)  # still held: a run waiting on it retries
        except BaseException:
            if lock.mine and created and discard is not None and discard():
                _remove_lock_file(path)  # still held: a run waiting on it retries (`_open_locked`)
            raise
        finally:
            lock.clear()  # ended (done, failed, stopped), not killed: no record left
    finally:
        lock.close()  # releases the flock


def _open_locked(out: Path, date: str, path: Path) -> tuple[LockFile, bool]:
    """The lock file, locked, and whether this run created it. A file removed or replaced
    between its opening and its locking (a failed run removes the lock file it created) is
    opened again, so that two runs never hold locks on two different files."""
    while True:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock, created = LockFile.open(path, new=True), True
        except FileNotFoundError:
            continue  # its folder removed meanwhile
        except FileExistsError:
            try:
                lock, created = LockFile.open(path, create=False), False
            except FileNotFoundError:
                continue  # removed meanwhile
        try:
            locked = lock.try_lock()
        except BaseException:
            lock.close()
            raise
        if not locked:
            holder = lock.holder()
            lock.close()
            raise BatchLockedError(_locked_message(out, date, path, holder))
        if _same_file(lock.fd, path):
            return lock, created
        lock.close()


def _same_file(fd: int, path: Path) -> bool:
    """Whether `path` still names the file open as `fd`."""
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _remove_lock_file(path: Path) -> None:
    """Remove a lock file, and its folder when that leaves it empty (best effort)."""
    with contextlib.suppress(OSError):
        path.unlink()
        path.parent.rmdir()


def _locked_message(out: Path, date: str, path: Path, holder: LockHolder | None) -> str:
    """The error of a date locked by another run: who holds it, and how to check on it."""
    locked = f"{Path(out)}: date {date} is being written by another batch run"
    holders = f"`fuser -v {path}` (or `lsof {path}`)"
    if holder is None:
        return (
            f"{locked} (its record is not readable yet); wait for it to finish ({holders} "
            "lists the processes holding the lock file)"
        )
    alive = holder.alive()
    if alive is False:  # its forked children would no longer keep it: something else does
        return (
            f"{locked} ({holder}), yet pid {holder.pid} no longer exists: a process it started "
            f"still holds the lock file; {holders} names it: end it, then run again"
        )
    where = "" if alive else f" on {holder.host}"
    return (
        f"{locked} ({holder}); wait for it to finish (check it{where} with "
        f"`ps -o pid,etime,args -p {holder.pid}`; lock file {path})"
    )
