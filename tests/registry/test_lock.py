"""The lock of a registered model in a local store (`adaptive.registry.lock.model_lock`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap

from adaptive.registry.lock import model_lock

# holds a model's lock, forks a child that is not told to die with it (as any fork would) and
# prints the child's pid, said by the child itself once it runs (its at-fork handlers are done)
HOLD_MODEL_LOCK_WITH_A_CHILD = textwrap.dedent(
    """
    import os, sys, time
    from adaptive.registry.lock import model_lock

    with model_lock(sys.argv[1], "district"):
        if os.fork() == 0:
            print(os.getpid(), flush=True)
            time.sleep(600)
            os._exit(0)
        time.sleep(600)
    """
)


def test_a_forked_child_does_not_keep_the_model_lock_of_a_killed_promote(tmp_path) -> None:
    """A promote's forked child (a data loader's worker) outlived the `kill -9` of the promote
    and kept its lock: every later promote of the model waited 10 minutes, then failed. The
    lock is the promote's alone: the next one takes it at once."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_MODEL_LOCK_WITH_A_CHILD, uri],
        stdout=subprocess.PIPE,
        text=True,
    )
    child = int(holder.stdout.readline())
    try:
        holder.kill()
        holder.wait()
        os.kill(child, 0)  # still running
        with model_lock(uri, "district", wait_s=5):
            pass
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
        holder.stdout.close()
