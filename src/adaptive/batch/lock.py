"""One batch run per output date: an exclusive lock, `OUT/_locks/date=YYYY-MM-DD.lock`.

Two runs writing the same date into the same `--out` would mix their partitions (and race on the
snapshot and the `_SUCCESS.json` marker). `date_lock` takes an exclusive `flock` on the date's
lock file for the whole run and writes the holder into it (pid, host, start time, command and the
run's main inputs). A second run fails at once with `BatchLockedError` naming the holder.

The kernel releases a `flock` when the last descriptor of the locked file closes, that is when
its process dies, however it dies, so a killed run never blocks the next one. A forked child
would share that descriptor (and keep the lock after a `kill -9` of its parent): every forked
child closes its copies at once (`_close_inherited_locks`), so only the run itself holds the
lock. Its holder record stays in the file (a run that ends, even with an error or stopped by
SIGTERM, empties it): the next run finds it, says it is taking over from a killed run (and
whether that process is gone), and goes on. Partitions the killed run completed are reused only
when the inputs match (`writer.prepare_date`). A run that fails before writing anything (an
input error) removes the lock file it created (`date_lock`'s `discard`), so it leaves nothing,
and so does a drop of the night (`remove_after`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import socket
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from adaptive.errors import AdaptiveError, NightWarning

LOCK_DIR = "_locks"

# descriptors of the date locks this process holds (closed in a forked child)
_HELD: set[int] = set()


class BatchLockedError(AdaptiveError):
    """Another run holds the output date's lock."""


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or held) a date's lock."""

    pid: int
    host: str
    started: str
    command: str
    inputs: dict[str, Any]

    @classmethod
    def me(cls, inputs: dict[str, Any]) -> LockHolder:
        return cls(
            os.getpid(),
            socket.gethostname(),
            pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
            shlex.join(sys.argv),
            inputs,
        )

    def alive(self) -> bool | None:
        """Whether the process still exists: None when it ran on another host."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started}: {self.command}"


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
    fd, created = _open_locked(out, date, path)
    owner = os.getpid()
    _HELD.add(fd)
    try:
        previous = _read_holder(fd)
        if previous is not None:
            state = {False: "that process no longer exists", None: "it ran on another host"}
            warnings.warn(  # a `warning:` line on the command line, as the README says
                f"taking over the lock of date {date} in {out} from a run that was killed "
                f"({previous}; {state.get(previous.alive(), 'its pid now belongs to another process')})",
                NightWarning,
                stacklevel=3,
            )
        _write_holder(fd, LockHolder.me(inputs))
        try:
            yield previous
            if remove_after:
                _remove_lock_file(path)  # still held: a run waiting on it retries
        except BaseException:
            if os.getpid() == owner and created and discard is not None and discard():
                _remove_lock_file(path)  # still held: a run waiting on it retries (`_open_locked`)
            raise
        finally:
            if os.getpid() == owner:  # not in a forked child, where `fd` is closed already
                os.ftruncate(fd, 0)  # ended (done, failed, stopped), not killed: no record left
    finally:
        if os.getpid() == owner:
            _HELD.discard(fd)
            os.close(fd)  # releases the flock


def _open_locked(out: Path, date: str, path: Path) -> tuple[int, bool]:
    """The lock file's descriptor, locked, and whether this run created the file. A file
    removed or replaced between its opening and its locking (a failed run removes the lock file
    it created) is opened again, so that two runs never hold locks on two different files."""
    flags = os.O_RDWR | getattr(os, "O_CLOEXEC", 0)
    while True:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd, created = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o666), True
        except FileNotFoundError:
            continue  # its folder removed meanwhile
        except FileExistsError:
            try:
                fd, created = os.open(path, flags), False
            except FileNotFoundError:
                continue  # removed meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise BatchLockedError(_locked_message(out, date, path, holder)) from None
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):
            return fd, created
        os.close(fd)


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


def _close_inherited_locks() -> None:
    """In a newly forked child: close its copies of the parent's lock descriptors, so the lock
    stays the parent's alone (released when the parent dies, whatever becomes of the child)."""
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):  # POSIX: runs in every child forked from this process
    os.register_at_fork(after_in_child=_close_inherited_locks)


def _read_holder(fd: int) -> LockHolder | None:
    """The holder record in the lock file, None when empty or unreadable."""
    try:
        size = os.fstat(fd).st_size
        doc = json.loads(os.pread(fd, size, 0)) if size else None
        return LockHolder(**doc) if isinstance(doc, dict) else None
    except (OSError, ValueError, TypeError):
        return None


def _write_holder(fd: int, holder: LockHolder) -> None:
    """Replace the record in place (the locked file itself: renaming would drop the lock)."""
    blob = json.dumps(asdict(holder), sort_keys=True).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, blob, 0)
    os.fsync(fd)
