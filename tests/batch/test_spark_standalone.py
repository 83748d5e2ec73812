"""The nightly job on a real Spark standalone cluster (a master and two workers on loopback,
started here and stopped after, even on failure) equals the in-process job byte for byte.

The pip distribution of pyspark ships no `sbin/start-master.sh` / `start-worker.sh`; those
scripts only daemonize `spark-class org.apache.spark.deploy.master.Master` / `...worker.Worker`,
which this test runs itself through `adaptive.batch.standalone` (it holds their process ids and
stops them by id).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from adaptive.batch import run_daily_job

pytestmark = pytest.mark.spark

DAY = "2026-09-28"
TABLES = ("recommendations", "students", "class_skills", "groups")


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """spark://127.0.0.1:PORT with two one-core workers; every process stopped after."""
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: a Spark cluster needs a JVM (Java 17)")
    from adaptive.batch.standalone import standalone_cluster

    with standalone_cluster(tmp_path_factory.mktemp("standalone"), workers=2) as cluster:
        yield cluster.url
    for pid in (cluster.master_pid, *cluster.worker_pids):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # stopped


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
