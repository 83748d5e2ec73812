"""Forked worker processes that never outlive the run that started them.

The nightly job forks processes (`forked_pool`: the workers serving schools; `registry_process`:
the one talking to MLflow). A worker waits for its next task on a pipe that it holds open
itself, so it never notices on its own that its parent is gone: after a `kill -9` of the run
(a timeout, the OOM killer) it would wait, re-parented to pid 1, forever. So every worker
starts with `start_worker`:

- on Linux it asks the kernel to SIGKILL it when its parent dies (`prctl(PR_SET_PDEATHSIG)`),
  then checks that the parent did not die before that request (elsewhere: a no-op);
- it leaves Ctrl-C to its parent (SIGINT ignored: the parent alone reacts and stops the pool,
  with no traceback from each worker) and dies at once on SIGTERM (the default action),
  whatever handler the parent had installed before forking.

Linux sends the death signal when the *thread* that forked the worker ends: a pool is to be
used, and shut down, by the thread that created it (as `with forked_pool(...)` does).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def forked_pool(workers: int, initializer: Callable[[], None] | None = None) -> ProcessPoolExecutor:
    """A pool of `workers` forked processes that die with this process; `initializer` (if any)
    runs in each worker after `start_worker`."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=start_worker,
        initargs=(os.getpid(), initializer),
    )


def tie_to_this_process(pool: ProcessPoolExecutor) -> Future:
    """Make the worker of a one-process pool created elsewhere (`registry_process`) die with this
    process: `start_worker` is submitted first, so it runs before any other task there."""
    return pool.submit(start_worker, os.getpid())


def start_worker(parent: int, then: Callable[[], None] | None = None) -> None:
    """The first thing a forked worker does (see the module docstring); `parent` is the pid of
    the process that forked it, taken there before the fork. Then runs `then`, if given."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    one_torch_thread()
    if then is not None:
        then()


def one_torch_thread() -> None:
    """Run torch on one thread in a forked worker where the parent has imported it: a thread
    pool the parent started (OpenMP's, once a deep champion had predicted there) is not
    copied by `fork`, and the worker's first parallel region waited on it forever (a trial's
    night with a DKT champion stalled at "schools 0/2" with its 2 workers; `--workers 1`
    served it in 10 s). Each worker serves a school on one core anyway: the pool has as many
    workers as cores to use."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when `parent` dies (Linux; elsewhere nothing is
    requested); exit now if `parent` is already gone (it died between the fork and this call,
    which the request does not cover)."""
    _request_death_signal(signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)  # orphaned already: nobody will ever send this process a task


def _request_death_signal(sig: signal.Signals) -> bool:
    """`prctl(PR_SET_PDEATHSIG, sig)` through the C library: True when the kernel accepted it;
    False off Linux or when the call is not available (never raises: a worker must start)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
