"""One batch run per output date, and one night served at a time into a folder: exclusive locks,
`OUT/_locks/date=YYYY-MM-DD.lock` and `OUT/_locks/serving.lock`.

Two runs writing the same date into the same `--out` would mix their partitions (and race on the
snapshot and the `_SUCCESS.json` marker). `date_lock` takes an exclusive `flock` on the date's
lock file for the whole run and writes the holder into it (pid, host, start time, command and the
run's main inputs). A second run fails at once with `BatchLockedError` naming the holder.
Two runs of different dates started together would both pass the date-order check (each saw
the same last night) and serve from the same snapshot, the later date first (a district
operator's trial): `serving_lock` is the folder's, taken after the date's, held by the night
(and by a drop) of any date, its holder record naming the date served; the date-order check
runs under it, so a second run fails at once, or sees the first one's night.

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
import functools
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


def serving_lock_path(out: Path) -> Path:
    """The lock file of the night being served into `out` (any date)."""
    return Path(out) / LOCK_DIR / "serving.lock"


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
    locked = f"{Path(out)}: date {date} is being written by another batch run"
    refusal = functools.partial(_locked_message, locked, path)
    what = f"the lock of date {date} in {out}"
    with _held(path, what, inputs, refusal, discard=discard, remove_after=remove_after) as taken:
        yield taken


@contextmanager
def serving_lock(
    out: Path,
    date: str,
    inputs: dict[str, Any],
    discard: Callable[[], bool] | None = None,
    dropping: bool = False,
) -> Iterator[LockHolder | None]:
    """Hold the exclusive lock of the night being served into `out` (any date) for a block, as
    `date_lock` holds a date's (same holder record, takeover and `discard`; the file stays:
    it is the folder's). The record's inputs name the night's `date`. A live holder is one
    `BatchLockedError` naming its night, pid and start, and what to do: wait, then run this
    night (a back-fill when dated before it), or drop it again (`dropping`: a drop's lock).
    A killed holder of the same date is taken over quietly (its date's lock says so)."""
    with _held(
        serving_lock_path(out),
        f"the serving lock of {out}",
        {"date": date, **inputs},
        functools.partial(_serving_message, out, date, dropping),
        discard=discard,
        warn=lambda previous: previous.inputs.get("date") != date,
    ) as taken:
        yield taken


@contextmanager
def night_locks(
    out: Path,
    state_dir: Path,
    date: str,
    inputs: dict[str, Any],
    discard: Callable[[], bool],
    dropping: bool = False,
) -> Iterator[None]:
    """Every lock of a night of `date` (and of its drop, `dropping`), in one order, each failing
    at once when held: the date's, then the folder's (`serving_lock`), in `out`, then in a
    state folder outside it (two runs of one night into two output folders sharing a state
    folder wrote the same snapshot at once: an operator's trial). `discard` as `date_lock`'s;
    a drop removes its date's lock files once done (`remove_after`)."""
    inside = Path(state_dir).resolve().is_relative_to(Path(out).resolve())
    with contextlib.ExitStack() as locks:
        for folder in [out] if inside else [out, state_dir]:
            locks.enter_context(
                date_lock(folder, date, inputs, discard=discard, remove_after=dropping)
            )
            locks.enter_context(
                serving_lock(folder, date, inputs, discard=discard, dropping=dropping)
            )
        yield


@contextmanager
def _held(
    path: Path,
    what: str,
    inputs: dict[str, Any],
    refusal: Callable[[LockHolder | None], str],
    *,
    discard: Callable[[], bool] | None = None,
    remove_after: bool = False,
    warn: Callable[[LockHolder], bool] = lambda previous: True,
) -> Iterator[LockHolder | None]:
    """The lock file `path` held for a block (`date_lock`'s and `serving_lock`'s): a live
    holder is a `BatchLockedError` (`refusal(holder)`: its message), a killed one's record is
    taken over, with a warning naming `what` when `warn(previous)`."""
    lock, created = _open_locked(path, refusal)
    try:
        previous = lock.holder()
        if previous is not None and warn(previous):
            state = {False: "that process no longer exists", None: "it ran on another host"}
            warnings.warn(  # a `warning:` line on the command line, as the README says
                f"taking over {what} from a run that was killed "
                f"({previous}; {state.get(previous.alive(), 'its pid now belongs to another process')})",
                NightWarning,
                stacklevel=5,
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


def _open_locked(path: Path, refusal: Callable[[LockHolder | None], str]) -> tuple[LockFile, bool]:
    """The lock file, locked, and whether this run created it; held by another run, one
    `BatchLockedError` (`refusal(holder)`). A file removed or replaced
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
            raise BatchLockedError(refusal(holder))
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


def _serving_message(out: Path, date: str, dropping: bool, holder: LockHolder | None) -> str:
    """The error of a folder where another run serves a night: which night, who serves it
    (`_locked_message`), and what to do once it is done: run this night (a back-fill when
    dated before the night served; not before a night being dropped, which will be gone), or
    this drop (`dropping`) again."""
    serving = holder.inputs.get("date") if holder is not None else None
    night = f"the night {serving}" if serving else "a night"
    held_by_drop = holder is not None and "drop" in holder.inputs
    doing = "dropped from" if held_by_drop else "served into"
    locked = f"{Path(out)}: {night} is being {doing} it by another batch run"
    then = "run this drop again" if dropping else "run this night"
    backfill = ""
    if serving and date < serving and not dropping and not held_by_drop:
        backfill = f"; dated before {serving}, {date} is then a back-fill: add --backfill"
    said = _locked_message(locked, serving_lock_path(out), holder)
    return f"{said}, then {then} (a folder is served one night at a time{backfill})"


def _locked_message(locked: str, path: Path, holder: LockHolder | None) -> str:
    """The error of a lock file held by another run (`locked`: what it does, in words): who
    holds it, and how to check on it."""
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
