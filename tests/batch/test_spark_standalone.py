"""The nightly job on a real Spark standalone cluster (a master and two workers on loopback,
started here and stopped after, even on failure) equals the in-process job byte for byte.

The pip distribution of pyspark ships no `sbin/start-master.sh` / `start-worker.sh`; those
scripts only daemonize `spark-class org.apache.spark.deploy.master.Master` / `...worker.Worker`,
which this test runs itself (so it holds their process ids and stops them by id).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adaptive.batch import run_daily_job

pytestmark = pytest.mark.spark

DAY = "2026-09-28"
TABLES = ("recommendations", "students", "class_skills", "groups")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(log: Path, text: str, count: int, proc: subprocess.Popen, timeout: float) -> None:
    """Until `text` appears `count` times in `log` (the process must stay alive meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.is_file() and log.read_text(errors="replace").count(text) >= count:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{log.name}: exited with {proc.returncode}:\n{log.read_text()}")
        time.sleep(0.25)
    raise TimeoutError(f"{log.name}: no {text!r} after {timeout:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """spark://127.0.0.1:PORT with two one-core workers; every process stopped after."""
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: a Spark cluster needs a JVM (Java 17)")
    import pyspark

    home = Path(pyspark.__file__).parent
    root = tmp_path_factory.mktemp("standalone")
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
        wait_for(master_log, "I have been elected leader", 1, master, 90)
        for i in (1, 2):
            start(
                f"worker{i}",
                "org.apache.spark.deploy.worker.Worker",
                *("--host", "127.0.0.1", "--cores", "1", "--memory", "1500m"),
                *("--webui-port", str(free_port()), "--work-dir", str(root / f"work{i}"), url),
            )
        wait_for(master_log, "Registering worker", 2, master, 90)
        yield url
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_a_night_on_a_standalone_cluster_equals_the_in_process_job(standalone, district, tmp_path):
    from adaptive.batch.spark import spark_session

    spark = spark_session(standalone, "adaptive-standalone-test", {"spark.executor.memory": "1g"})
    try:
        assert spark.sparkContext.master == standalone
        args = district.job_args(data=district.responses, k=5)
        ours = run_daily_job(DAY, tmp_path / "spark", engine="spark", master=standalone, **args)
    finally:
        spark.stop()
    theirs = run_daily_job(DAY, tmp_path / "local", **args)
    for table in TABLES:
        got = {
            str(p.relative_to(tmp_path / "spark")): p.read_bytes()
            for p in sorted((tmp_path / "spark" / table).rglob("*.parquet"))
        }
        want = {
            str(p.relative_to(tmp_path / "local")): p.read_bytes()
            for p in sorted((tmp_path / "local" / table).rglob("*.parquet"))
        }
        assert got and got == want, table
    assert ours.students_served == theirs.students_served
