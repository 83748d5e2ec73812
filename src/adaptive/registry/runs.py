"""Training runs that never stay RUNNING: who owns a run, ending it on a signal, stale clean-up.

A training run records its owner (`adaptive.host`, `adaptive.pid`, and the process's start time
`adaptive.pid_start` where the OS gives it, so a reused pid is not mistaken for the owner).
- A `train` stopped by SIGTERM or SIGHUP (`signals_end_runs`) raises `SystemExit` in the main
  thread, so the open run is ended as FAILED on the way out (exit status 128 + signal).
- A `train` killed outright (SIGKILL, power loss) cannot end its run. The next `train` in the same
  experiment marks such runs FAILED (`fail_stale_runs`), with the tag `adaptive.failed_reason`.

A RUNNING run is stale when its owner is on this host and that process no longer exists (or is
another process with the same pid), or when it started more than `STALE_AFTER` ago, wherever it
ran (a run on another host cannot be checked more precisely).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import LifecycleStage, Run, ViewType

HOST_TAG, PID_TAG, PID_START_TAG = "adaptive.host", "adaptive.pid", "adaptive.pid_start"
REASON_TAG = "adaptive.failed_reason"
STALE_AFTER_S = 24 * 3600.0
logger = logging.getLogger(__name__)


def process_start(pid: int) -> str | None:
    """The start time of process `pid` in clock ticks since boot (Linux `/proc`), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22: starttime (after the comm field)


def owner_tags() -> dict[str, str]:
    """Tags naming this process as a run's owner."""
    tags = {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}
    start = process_start(os.getpid())
    if start is not None:
        tags[PID_START_TAG] = start
    return tags


def owner_alive(tags: dict[str, str]) -> bool | None:
    """Whether the process that owns a run still exists: None when it ran on another host (or
    recorded no owner), so it cannot be told from here."""
    if tags.get(HOST_TAG) != socket.gethostname() or not tags.get(PID_TAG, "").isdigit():
        return None
    pid = int(tags[PID_TAG])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    recorded, current = tags.get(PID_START_TAG), process_start(pid)
    return recorded is None or current is None or recorded == current


def stale_reason(run: Run, now_s: float | None = None) -> str | None:
    """Why a RUNNING run is stale (see the module docstring), or None when it may be live."""
    tags = run.data.tags
    alive = owner_alive(tags)
    if alive is False:
        return (
            f"process {tags[PID_TAG]} on {tags[HOST_TAG]} ended without finishing the run "
            "(killed); marked FAILED by a later run of its kind"
        )
    age_s = (now_s if now_s is not None else time.time()) - run.info.start_time / 1000
    if age_s > STALE_AFTER_S:
        return (
            f"still RUNNING {age_s / 3600:.1f} h after it started (limit "
            f"{STALE_AFTER_S / 3600:g} h); marked FAILED by a later run of its kind"
        )
    return None


def fail_stale_runs(client: MlflowClient, experiment_id: str, kind: str) -> list[str]:
    """Mark the stale RUNNING runs of `kind` (tag `adaptive.kind`) FAILED, each with the reason
    as a tag; returns their ids. Deleted ones too (a failed night's run was deleted while still
    RUNNING before its run was ended first: `end_failed`), deleted again after."""
    runs = client.search_runs(
        [experiment_id],
        filter_string=f"attributes.status = 'RUNNING' and tags.`adaptive.kind` = '{kind}'",
        run_view_type=ViewType.ALL,
        max_results=1000,
    )
    failed = []
    for run in runs:
        reason = stale_reason(run)
        if reason is None:
            continue
        deleted = run.info.lifecycle_stage == LifecycleStage.DELETED
        if deleted:  # a deleted run cannot be changed
            client.restore_run(run.info.run_id)
        end_failed(client, run.info.run_id, reason, delete=deleted)
        logger.warning("MLflow run %s marked FAILED: %s", run.info.run_id, reason)
        failed.append(run.info.run_id)
    return failed


def end_failed(client: MlflowClient, run_id: str, reason: str, *, delete: bool = False) -> None:
    """End a run FAILED with `reason` (tag `adaptive.failed_reason`; no student id in it), then
    delete it where asked: a deleted run keeps its status, and one deleted RUNNING stayed so."""
    client.set_tag(run_id, REASON_TAG, reason)
    client.set_terminated(run_id, status="FAILED")
    if delete:
        client.delete_run(run_id)


@contextmanager
def signals_end_runs() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise `SystemExit(128 + signal)`, so open MLflow
    runs end as FAILED instead of staying RUNNING: only where the signal's default action is in
    place, as the CLI's own handlers are installed (a handler of the caller's, such as the
    CLI's, which raises its own `SystemExit` and says the "stopped:" line, answers as it would;
    a SIGHUP that `nohup` ignores stays ignored). Only in the main thread (where Python
    delivers signals); elsewhere a no-op. The previous handlers are restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:  # noqa: ARG001
        raise SystemExit(128 + signum)

    previous = {
        sig: signal.signal(sig, stop)
        for sig in (signal.SIGTERM, signal.SIGHUP)
        if signal.getsignal(sig) is signal.SIG_DFL
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
