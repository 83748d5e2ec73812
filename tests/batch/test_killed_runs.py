"""A batch run killed (`kill -9`: a timeout, the OOM killer) or stopped (SIGTERM: `timeout`,
systemd, a cron wrapper) leaves no process behind, no lock held, and the same command resumes it.

The end-to-end tests start a real `adaptive batch` in another process, signal it right after it
wrote its first partition (its worker processes are then alive), then look for any process
still running with its `--out` folder on its command line (its forked children have the same).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from adaptive.batch import run_daily_job
from adaptive.batch.lock import BatchLockedError, date_lock, lock_path, serving_lock_path
from adaptive.batch.partition import OUTPUT_TABLES
from adaptive.errors import NightWarning, counted

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc; prctl is Linux's")

# `adaptive batch ...` (sys.argv[2:]) that sends itself the signal named by sys.argv[1] once its
# first partition is written: in the main process, while its worker processes serve the others
BATCH_SIGNALLED = textwrap.dedent(
    """
    import os, signal, sys
    import adaptive.batch.job as job
    from adaptive.cli import main

    sig = signal.Signals[sys.argv.pop(1)]
    real = job.run_daily_job
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal

    def run_daily_job(*args, **kwargs):
        kwargs["on_partition"] = lambda school: os.kill(os.getpid(), sig)
        return real(*args, **kwargs)

    job.run_daily_job = run_daily_job
    main()
    """
)
BATCH = "from adaptive.cli import main; main()"

# `adaptive batch ...` that is sent SIGTERM while its night's summary run is logged: after the
# night's outputs and `_SUCCESS.json` are complete (the registry's process signals its parent)
BATCH_STOPPED_WHEN_COMPLETE = textwrap.dedent(
    """
    import os, signal
    import adaptive.batch.job as job
    from adaptive.cli import main

    def _log_summary(*args, **kwargs):
        os.kill(os.getppid(), signal.SIGTERM)
        return "never"

    job._log_summary = _log_summary
    main()
    """
)


def signalled_on_entering(module: str, function: str, sig: str) -> str:
    """`adaptive batch ...` that sends itself `sig` as it enters `module.function` (a step of the
    night), then runs that step, with Ctrl-C's handler as in a terminal."""
    return textwrap.dedent(
        f"""
        import os, signal
        import {module} as where
        from adaptive.cli import main

        real = where.{function}

        def {function}(*args, **kwargs):
            os.kill(os.getpid(), signal.{sig})
            return real(*args, **kwargs)

        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
        where.{function} = {function}
        main()
        """
    )


# SIGTERM once the date is locked, before any partition
BATCH_STOPPED_BEFORE_OUTPUT = signalled_on_entering("adaptive.batch.job", "_serve_date", "SIGTERM")
# Ctrl-C while it reads its inputs, before the date is locked
BATCH_STOPPED_WHILE_READING = signalled_on_entering(
    "adaptive.batch.job", "district_inputs", "SIGINT"
)
# Ctrl-C once every school is written, before the night's `_SUCCESS.json` is
BATCH_STOPPED_BEFORE_MARKER = signalled_on_entering(
    "adaptive.batch.writer", "finish_date_listing", "SIGINT"
)

# holds a date's lock (or the folder's: sys.argv[3]) with a forked child that is not told to
# die with it (as any fork would)
HOLD_LOCK_WITH_A_CHILD = textwrap.dedent(
    """
    import multiprocessing, sys, time
    from pathlib import Path
    from adaptive.batch import lock

    take = getattr(lock, sys.argv[3])  # date_lock, or serving_lock
    with take(Path(sys.argv[1]), sys.argv[2], {"k": 1}):
        child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(600,))
        child.start()
        print(child.pid, flush=True)
        time.sleep(600)
    """
)

# a pool of workers and a one-process pool tied afterwards (as the registry's), then `kill -9`
POOLS_THEN_KILLED = textwrap.dedent(
    """
    import multiprocessing, os, signal
    from concurrent.futures import ProcessPoolExecutor
    from adaptive.batch.processes import forked_pool, tie_to_this_process

    workers = forked_pool(2)
    workers.submit(os.getpid).result()
    registry = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    tie_to_this_process(registry).result()
    print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting for its reaper is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def processes_naming(text: str) -> list[int]:
    """Live processes whose command line contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and running(int(entry.name)):
            found.append(int(entry.name))
    return found


def wait_until_gone(pids: list[int] | None = None, naming: str = "", seconds: float = 5) -> list:
    """The processes (of `pids`, or naming `naming`) still alive after waiting up to `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        alive = [p for p in pids if running(p)] if pids is not None else processes_naming(naming)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def kill_all(pids: list[int]) -> None:
    """SIGKILL what a test started and left behind (each pid is one of its own processes)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def batch_args(district, out: Path) -> list[str]:
    return [
        "batch",
        "--date",
        district.last_day,
        "--out",
        str(out),
        "--data",
        str(district.responses),
        "--catalog",
        str(district.catalog),
        "--profiles",
        str(district.profiles),
        "--name",
        district.model,
        "--tracking-uri",
        district.uri,
    ]


def run_batch(script: str, *args: str) -> subprocess.CompletedProcess:
    """Run `script` in a new Python process to its end; its output goes to files, not pipes: a
    child process it left behind would hold a pipe open, and the test would wait on it."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        cmd = [sys.executable, "-c", script, *args]
        done = subprocess.run(cmd, stdout=stdout, stderr=stderr, text=True, timeout=300)
        stdout.seek(0)
        stderr.seek(0)
        return subprocess.CompletedProcess(cmd, done.returncode, stdout.read(), stderr.read())


def written(out: Path) -> dict[str, tuple[int, int]]:
    """Each partition file of `out`: (inode, mtime), which a rewrite would change."""
    files = sorted((out / "recommendations").rglob("*.parquet"))
    return {str(p.relative_to(out)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in files}


def counts(stdout: str) -> tuple[int, int]:
    """(partitions written, already done) from the command's summary line."""
    found = re.search(r"(\d+) partitions? written, (\d+) already done", stdout)
    assert found, stdout
    return int(found[1]), int(found[2])


# -- the lock ---------------------------------------------------------------------------------
def hold_lock_with_a_child(
    folder: Path, serving: bool = False, day: str = "2026-10-15"
) -> tuple[subprocess.Popen, int]:
    """A process holding the lock of `day` in `folder` (or the folder's, `serving` that day),
    and the pid of a child it forked."""
    which = "serving_lock" if serving else "date_lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK_WITH_A_CHILD, str(folder), day, which],
        stdout=subprocess.PIPE,
        text=True,
    )
    child = int(holder.stdout.readline())
    path = serving_lock_path(folder) if serving else lock_path(folder, day)
    _wait_until_child_closed(child, path)
    return holder, child


def _wait_until_child_closed(pid: int, lock: Path, timeout: float = 30.0) -> None:
    """Until the forked child has run its at-fork handler (closing its copy of the lock's
    descriptor): on a loaded machine the parent can print the child's pid before the child is
    first scheduled, and the test would then find the lock held by the child's copy."""
    fds = Path(f"/proc/{pid}/fd")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if not any(os.readlink(fd) == str(lock) for fd in fds.iterdir()):
                return
        time.sleep(0.05)


def test_a_held_locks_error_says_how_to_check_its_holder(tmp_path):
    """The operator is told which command shows whether the holder still runs."""
    holder, child = hold_lock_with_a_child(tmp_path)
    try:
        with pytest.raises(BatchLockedError) as caught, date_lock(tmp_path, "2026-10-15", {}):
            pass
    finally:
        kill_all([holder.pid, child])
        holder.wait()
    said = str(caught.value)
    assert f"pid {holder.pid} on " in said and "being written by another batch run" in said
    assert f"check it with `ps -o pid,etime,args -p {holder.pid}`" in said


def test_a_lock_held_under_a_dead_pid_says_which_process_to_look_for(tmp_path):
    """The record names a process that no longer exists, yet the lock is held: the message says
    so and names the command that finds the holder, instead of "wait for it to finish"."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    path = lock_path(tmp_path, "2026-10-15")
    path.parent.mkdir(parents=True)
    record = {"pid": dead.pid, "host": socket.gethostname(), "started": "2026-10-15T01:00:00"}
    path.write_text(json.dumps({**record, "command": "adaptive batch", "inputs": {}}))
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(BatchLockedError) as caught, date_lock(tmp_path, "2026-10-15", {}):
            pass
    finally:
        os.close(fd)
    said = str(caught.value)
    assert f"pid {dead.pid} no longer exists" in said and f"`fuser -v {path}`" in said
    assert "wait for it" not in said


def test_a_forked_child_does_not_keep_the_lock_of_a_killed_run(tmp_path):
    """A child forked while the lock is held (not told to die with its parent) outlives the
    `kill -9` of the run: the lock is still the run's alone, and the next run takes it over."""
    holder, child = hold_lock_with_a_child(tmp_path)
    try:
        holder.kill()
        holder.wait()
        assert running(child)
        with (
            pytest.warns(NightWarning, match="taking over") as caught,
            date_lock(tmp_path, "2026-10-15", {}) as previous,
        ):
            assert previous is not None and previous.pid == holder.pid
    finally:
        kill_all([child])
    (taken,) = [str(w.message) for w in caught if "taking over" in str(w.message)]
    assert f"pid {holder.pid}" in taken and "that process no longer exists" in taken


def test_the_folders_lock_of_a_killed_night_is_taken_over_by_the_next_one(district, tmp_path):
    """A night killed while it served 2026-09-01 (a forked child outliving it) leaves its record
    in the folder's lock: the next night, of another date, takes it over with one warning naming
    the killed run, is served, and leaves the lock released."""
    out = tmp_path / "out"
    holder, child = hold_lock_with_a_child(out, serving=True, day="2026-09-01")
    try:
        holder.kill()
        holder.wait()
        assert running(child)
        with pytest.warns(NightWarning, match="taking over") as caught:
            summary = run_daily_job(district.last_day, out, **district.job_args(k=1))
    finally:
        kill_all([child])
    (taken,) = [str(w.message) for w in caught if "taking over" in str(w.message)]
    assert taken.startswith(f"taking over the serving lock of {out} from a run that was killed")
    assert f"pid {holder.pid}" in taken and "that process no longer exists" in taken
    assert summary.students_served > 0
    assert serving_lock_path(out).read_text() == ""  # released: no holder record


# -- worker processes -------------------------------------------------------------------------
@linux_only
def test_worker_processes_die_with_their_parent():
    """`kill -9` of the parent: its pool's workers and the tied registry process die too."""
    done = run_batch(POOLS_THEN_KILLED)
    assert done.returncode == -signal.SIGKILL, done.stderr
    children = [int(pid) for pid in done.stdout.split()]
    assert len(children) == 3
    try:
        assert wait_until_gone(children) == []
    finally:
        kill_all(children)


# -- a real `adaptive batch` ------------------------------------------------------------------
@linux_only
def test_a_killed_batch_leaves_no_process_and_the_rerun_takes_its_lock_over(district, tmp_path):
    out = tmp_path / "out"
    args = batch_args(district, out)
    killed = run_batch(BATCH_SIGNALLED, "SIGKILL", *args)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    try:
        assert wait_until_gone(naming=str(out)) == []
    finally:
        kill_all(processes_naming(str(out)))
    holder = json.loads(lock_path(out, district.last_day).read_text())

    again = run_batch(BATCH, *args)
    assert again.returncode == 0, again.stderr
    assert "being written by another batch run" not in again.stderr
    (taken,) = [line for line in again.stderr.splitlines() if "taking over the lock" in line]
    assert taken.startswith("warning:")  # an operator's trial: it had no prefix
    assert f"pid {holder['pid']} " in taken and "that process no longer exists" in taken
    assert counts(again.stdout)[1] >= 1  # the killed run's partitions are kept


@linux_only
@pytest.mark.parametrize("sig, by", [("SIGTERM", "SIGTERM"), ("SIGINT", "Ctrl-C (SIGINT)")])
def test_a_stop_signal_stops_the_batch_in_one_line_and_the_same_command_resumes(
    district, tmp_path, sig, by
):
    """Ctrl-C exited 130 without a word (typer's own answer to a KeyboardInterrupt); it now
    says what SIGTERM says."""
    out = tmp_path / "out"
    args = batch_args(district, out)
    stopped = run_batch(BATCH_SIGNALLED, sig, *args)
    try:
        left = wait_until_gone(naming=str(out))
    finally:
        kill_all(processes_naming(str(out)))
    assert stopped.returncode == 128 + signal.Signals[sig], stopped.stderr
    said = [line for line in stopped.stderr.splitlines() if "stopped" in line]
    # the schools the workers finished while the pool shut down are written too: the line and
    # the progress bar count them from the disk (a user's bar stopped at 0/5 with 5 written)
    schools = schools_written(out, district.last_day)
    assert said == [
        f"stopped: by {by}; the night {district.last_day} is not complete (no _SUCCESS.json): "
        f"the partitions of {counted(schools, 'school')} are written and kept: run the same "
        "command again to resume from them"
    ], stopped.stderr
    assert re.findall(r"schools\b.* (\d+)/3\b", stopped.stderr)[-1] == str(schools)
    assert "Traceback" not in stopped.stderr
    assert left == []
    assert lock_path(out, district.last_day).read_text() == ""  # released, no killed-run record
    kept = written(out)
    assert kept and not list(out.rglob("_SUCCESS.json"))

    again = run_batch(BATCH, *args)
    assert again.returncode == 0, again.stderr
    assert "taking over" not in again.stderr
    assert counts(again.stdout)[1] == len(kept)
    assert {name: written(out)[name] for name in kept} == kept  # the same files, not rewritten
    assert list(out.rglob("_SUCCESS.json"))


@linux_only
def test_sigterm_after_the_night_is_complete_says_it_is_complete(district, tmp_path):
    """An operator's trial: a SIGTERM while the night's summary run was logged said "the
    partitions written so far are kept: run the same command again to resume" of a night whose
    outputs and `_SUCCESS.json` were complete. It says the night is complete now."""
    out = tmp_path / "out"
    said = stopped_by(BATCH_STOPPED_WHEN_COMPLETE, signal.SIGTERM, district, out)
    assert said.startswith(f"stopped: by SIGTERM; the night {district.last_day} was complete")
    assert "run the same command again to resume" not in said
    assert list(out.rglob("_SUCCESS.json"))


@linux_only
def test_sigterm_before_any_output_says_nothing_was_written(district, tmp_path):
    """A user trial: a SIGTERM before the night wrote anything said "the partitions written so
    far are kept" of none. It says nothing was written, and the run leaves no output."""
    out = tmp_path / "out"
    said = stopped_by(BATCH_STOPPED_BEFORE_OUTPUT, signal.SIGTERM, district, out)
    assert said == (
        f"stopped: by SIGTERM; nothing of the night {district.last_day} was written: run the "
        "same command again"
    )
    assert written(out) == {}


@linux_only
def test_ctrl_c_while_the_inputs_are_read_says_nothing_was_written(district, tmp_path):
    """A user trial: Ctrl-C while the batch read its log said "any partitions written so far are
    kept" of a night with no output at all (the README says it reports that nothing was
    written). It says so, read from the disk."""
    out = tmp_path / "out"
    said = stopped_by(BATCH_STOPPED_WHILE_READING, signal.SIGINT, district, out)
    assert said == (
        f"stopped: by Ctrl-C (SIGINT); nothing of the night {district.last_day} was written: run "
        "the same command again"
    )
    assert not out.exists()


@linux_only
def test_ctrl_c_once_every_school_is_written_says_so_and_the_rerun_completes_the_night(
    district, tmp_path
):
    """A user trial: Ctrl-C once the workers had written every school, before the night's
    `_SUCCESS.json`: the line said "any partitions written so far are kept", and the re-run
    said "the night was already served" of a night it completed. Both say what happened."""
    out = tmp_path / "out"
    said = stopped_by(BATCH_STOPPED_BEFORE_MARKER, signal.SIGINT, district, out)
    assert said == (
        f"stopped: by Ctrl-C (SIGINT); the night {district.last_day} is not complete (no "
        "_SUCCESS.json): the partitions of 3 schools are written and kept: run the same command "
        "again to resume from them"
    )
    assert schools_written(out, district.last_day) == 3 and not list(out.rglob("_SUCCESS.json"))
    again = run_batch(BATCH, *batch_args(district, out))
    assert again.returncode == 0, again.stderr
    assert counts(again.stdout) == (0, 3)
    summary = " ".join(again.stdout.split())
    assert "already served" not in summary
    assert "the night is complete now: a stopped run had written all its partitions" in summary
    assert list(out.rglob("_SUCCESS.json"))
    served = run_batch(BATCH, *batch_args(district, out))  # a re-run of the complete night
    assert "the night was already served" in " ".join(served.stdout.split()), served.stderr


def schools_written(out: Path, day: str) -> int:
    """The schools of the night `day` with each of its tables' partitions in `out`."""
    folders = [
        {p.parent.name for p in (out / t / f"date={day}").glob("*/*.parquet")}
        for t in OUTPUT_TABLES
    ]
    return len(set.intersection(*folders))


def stopped_by(script: str, sig: signal.Signals, district, out: Path) -> str:
    """Run `script` (a batch that sends itself `sig`) into `out`; check it ended with the
    signal's exit code and left no process; return its one `stopped:` line."""
    stopped = run_batch(script, *batch_args(district, out))
    try:
        assert wait_until_gone(naming=str(out)) == []
    finally:
        kill_all(processes_naming(str(out)))
    assert stopped.returncode == 128 + sig, stopped.stderr
    assert "Traceback" not in stopped.stderr
    (said,) = [line for line in stopped.stderr.splitlines() if line.startswith("stopped")]
    return said


def test_the_last_night_before_is_the_last_complete_one(tmp_path):
    """A night killed mid-run (some schools' outputs, no `_SUCCESS.json`) served no one: the
    checks that compare tonight with the last night served (an experiment ended or replaced,
    arms changed) read the complete night before it, not the partial one."""
    from adaptive.batch.night_checks import last_night_before

    for night, complete in (("2026-09-29", True), ("2026-09-30", False)):
        for table in OUTPUT_TABLES:
            school = tmp_path / table / f"date={night}" / "school=s1"
            school.mkdir(parents=True)
            (school / "part-0.parquet").write_bytes(b"")
        if complete:
            (tmp_path / "recommendations" / f"date={night}" / "_SUCCESS.json").write_text("{}")
    assert last_night_before(tmp_path, "2026-10-01") == "2026-09-29"
    assert last_night_before(tmp_path, "2026-09-29") is None
