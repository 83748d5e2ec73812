"""Exclusive file locks held by one process alone, with a record of who holds them.

The nightly job holds one per output date (`adaptive.batch.lock.date_lock`: a second run fails
at once) and a promotion one per registered model in a local store
(`adaptive.registry.lock.model_lock`: a second promote waits for the first). Both are an
exclusive `flock` on a file under a `_locks` folder (`LockFile`), with the holder written into
it (`LockHolder`: pid, host, start, command and what the run works on), so that the next run can
say who holds it or who held it and was killed.

The kernel releases a `flock` when the last descriptor of the locked file closes, that is when
its process dies, however it dies, so a killed run never blocks the next one. A forked child
would share that descriptor, and keep the lock after a `kill -9` of its parent: every child
forked from this process closes its copies of the open lock files at once
(`_close_inherited_locks`), so only the process that opened a lock ever holds it, and only that
process empties the record or closes the file (`LockFile.mine`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import socket
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOCK_DIR = "_locks"

# descriptors of the lock files this process has open (closed in a forked child)
_HELD: set[int] = set()


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or held) a lock: the process, where and since when it ran, its command line
    and `inputs`, what it works on (a night's inputs, a promotion's model and action)."""

    pid: int
    host: str
    started: str
    command: str
    inputs: dict[str, Any]

    @classmethod
    def me(cls, inputs: dict[str, Any]) -> LockHolder:
        """This process, now."""
        return cls(
            os.getpid(),
            socket.gethostname(),
            datetime.now(UTC).isoformat(timespec="seconds"),
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


@dataclass
class LockFile:
    """A lock file this process opened (`open`): lock it with `try_lock`, read and write its
    holder record, then `clear` the record and `close` it (which releases the lock). Its
    descriptor is closed in every child forked while it is open; `clear` and `close` do nothing
    there (`mine`: in the process that opened it)."""

    path: Path
    fd: int
    owner: int = field(default_factory=os.getpid)

    @classmethod
    def open(cls, path: Path, *, create: bool = True, new: bool = False) -> LockFile:
        """Open `path` for locking: created when missing (`create`), or only created (`new`:
        `FileExistsError` when it exists); without either, `FileNotFoundError` when missing."""
        flags = os.O_RDWR | getattr(os, "O_CLOEXEC", 0)
        if create or new:
            flags |= os.O_CREAT | (os.O_EXCL if new else 0)
        fd = os.open(path, flags, 0o666)
        _HELD.add(fd)  # before it is locked: a child forked from now on never shares the lock
        return cls(Path(path), fd)

    @property
    def mine(self) -> bool:
        """In the process that opened it (not in a forked child, whose copy is closed)."""
        return os.getpid() == self.owner

    def try_lock(self) -> bool:
        """Take the exclusive lock if no one holds it; False when another open file does."""
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def holder(self) -> LockHolder | None:
        """The holder record in the file, None when empty or unreadable."""
        try:
            size = os.fstat(self.fd).st_size
            doc = json.loads(os.pread(self.fd, size, 0)) if size else None
            return LockHolder(**doc) if isinstance(doc, dict) else None
        except (OSError, ValueError, TypeError):
            return None

    def write(self, holder: LockHolder) -> None:
        """Replace the record in place (the locked file itself: renaming would drop the lock)."""
        blob = json.dumps(asdict(holder), sort_keys=True).encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, blob, 0)
        os.fsync(self.fd)

    def clear(self) -> None:
        """Empty the record: the run ended (done, failed, stopped), it was not killed."""
        if self.mine:
            os.ftruncate(self.fd, 0)

    def close(self) -> None:
        """Close the file, which releases the lock (in the process that opened it only)."""
        if self.mine:
            _HELD.discard(self.fd)
            os.close(self.fd)


def _close_inherited_locks() -> None:
    """In a newly forked child: close its copies of the parent's lock descriptors, so each lock
    stays the parent's alone (released when the parent dies, whatever becomes of the child)."""
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):  # POSIX: runs in every child forked from this process
    os.register_at_fork(after_in_child=_close_inherited_locks)
