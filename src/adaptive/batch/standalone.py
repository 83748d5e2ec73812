"""A throw-away Spark standalone cluster on loopback, for tests and benchmarks.

    with standalone_cluster(tmp_dir, workers=2) as url:       # spark://127.0.0.1:PORT
        run_daily_job(day, out, engine="spark", master=url, ...)

It runs what `sbin/start-master.sh` and `sbin/start-worker.sh` run (the pip distribution of
pyspark ships neither): `spark-class org.apache.spark.deploy.master.Master` and one
`...deploy.worker.Worker` per worker, each bound to 127.0.0.1 on free ports, in its own process
group; on leaving the block (also after an error) every one of them is stopped by its process id.
`pids` of the yielded url's `Cluster` lets a benchmark sample each process's memory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from adaptive.batch.spark import check_spark_available


@dataclass
class Cluster:
    """A running standalone cluster: its master URL and the process ids of its daemons."""

    url: str
    master_pid: int
    worker_pids: list[int] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def standalone_cluster(
    root: Path, workers: int = 2, cores: int = 1, memory: str = "1500m", timeout: float = 90
) -> Iterator[Cluster]:
    """A master and `workers` workers (`cores` and `memory` each) on loopback, logs in `root`."""
    check_spark_available()
    import pyspark

    home = Path(pyspark.__file__).parent
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
    }
    port = free_port()
    url = f"spark://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> tuple[subprocess.Popen, Path]:
        log = root / f"{name}.log"
        with log.open("w") as fh:
            proc = subprocess.Popen(
                [str(home / "bin" / "spark-class"), *args],
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopped with anything it started
            )
        procs.append(proc)
        return proc, log

    try:
        master, master_log = start(
            "master",
            "org.apache.spark.deploy.master.Master",
            *("--host", "127.0.0.1", "--port", str(port), "--webui-port", str(free_port())),
        )
        _wait_for(master_log, "I have been elected leader", 1, master, timeout)
        for i in range(1, workers + 1):
            start(
                f"worker{i}",
                "org.apache.spark.deploy.worker.Worker",
                *("--host", "127.0.0.1", "--cores", str(cores), "--memory", memory),
                *("--webui-port", str(free_port()), "--work-dir", str(root / f"work{i}"), url),
            )
        _wait_for(master_log, "Registering worker", workers, master, timeout)
        yield Cluster(url, master.pid, [p.pid for p in procs[1:]])
    finally:
        _stop(procs)


def _wait_for(log: Path, text: str, count: int, proc: subprocess.Popen, timeout: float) -> None:
    """Until `text` appears `count` times in `log` (the process must stay alive meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.is_file() and log.read_text(errors="replace").count(text) >= count:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{log.name}: exited with {proc.returncode}:\n{log.read_text()}")
        time.sleep(0.25)
    raise TimeoutError(f"{log.name}: no {text!r} after {timeout:.0f} s:\n{log.read_text()}")


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM each daemon's process group, then SIGKILL what is still there after 20 s."""
    for proc in reversed(procs):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
