"""The pure partition function on a local Spark session gives what it gives in-process."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pytest

from adaptive.batch.partition import PartitionContext, recommend_partition
from adaptive.policy import PolicyConfig

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the Spark runner test needs a JVM (Java 17)")
    from adaptive.batch.spark import local_spark

    session = local_spark("adaptive-test")
    yield session
    session.stop()


def test_partition_function_on_spark_matches_in_process(spark, district_table):
    from adaptive.batch.spark import run_on_spark

    catalog, table = district_table
    context = PartitionContext.build(catalog, PolicyConfig(), k=4, now_days=20_400.0)

    got = run_on_spark(spark, table, context).sort_by(
        [("student_id", "ascending"), ("rank", "ascending")]
    )
    local = pa.concat_tables(
        recommend_partition(table.filter(pa.compute.equal(table["school_id"], school)), context)
        for school in sorted(set(table["school_id"].to_pylist()))
    ).sort_by([("student_id", "ascending"), ("rank", "ascending")])
    assert got.num_rows == local.num_rows > 0
    assert got.column_names == local.column_names
    for name in local.column_names:
        assert got[name].to_pylist() == local[name].to_pylist(), name


#: The one line the JVM itself prints at start-up (Spark 4 starts Java with this module; Java
#: has no switch to silence it): not Spark's log, which the shipped configuration sets.
JVM_INCUBATOR_LINE = "WARNING: Using incubator modules: jdk.incubator.vector"


@pytest.mark.parametrize("debug", [False, True])
def test_spark_logs_nothing_without_debug_and_a_failed_task_is_its_python_exception(debug):
    """The nightly job's stderr carries what its reader can act on. Spark's start-up banner
    ("Setting default log level ...") and the native Hadoop library notice are never printed;
    Spark's warnings, and the failed task's ERROR lines (a Java and a Python trace each), only
    with --debug (ADAPTIVE_DEBUG=1). The failure is one line: the Python exception's own, from
    the traceback Spark wraps. The session is started in a process of its own: the JVM's
    stderr is that process's."""
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the Spark runner test needs a JVM (Java 17)")
    import os
    import subprocess
    import sys

    script = (
        "from adaptive.batch.spark import local_spark\n"
        "from adaptive.batch.spark_job import _driver_error\n"
        "s = local_spark('adaptive-quiet')\n"
        "s.sparkContext._jvm.org.apache.log4j.LogManager.getLogger('adaptive.check')"
        ".warn('a warning of Spark')\n"
        "def fail(batches):\n"
        "    for _ in batches:\n"
        "        raise ValueError('shapes (3,120) (3,121) differ')\n"
        "    yield from ()\n"
        "try:\n"
        "    s.range(4).mapInArrow(fail, 'id long').collect()\n"
        "except Exception as exc:\n"
        "    print(_driver_error(exc))\n"
        "s.stop()\n"
    )
    env = {**os.environ, "ADAPTIVE_DEBUG": "1" if debug else "0"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "the Spark job failed: ValueError: shapes (3,120) (3,121) differ\n"
    assert "Setting default log level" not in done.stderr
    assert "NativeCodeLoader" not in done.stderr
    logged = [line for line in done.stderr.splitlines() if line != JVM_INCUBATOR_LINE]
    if debug:
        assert "a warning of Spark" in done.stderr
        assert "ERROR Executor: Exception in task" in done.stderr
        assert "Traceback (most recent call last)" in done.stderr
    else:
        assert logged == [], done.stderr[-2000:]


def test_a_users_own_spark_log_configuration_is_kept(tmp_path, monkeypatch):
    """The shipped log file is used only where the user has none of their own."""
    from adaptive.batch.spark import LOG_CONFIG, _user_log_config

    assert LOG_CONFIG.is_file()  # shipped beside the module (package data)
    monkeypatch.delenv("SPARK_HOME", raising=False)
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    assert not _user_log_config()
    (tmp_path / "log4j2.properties").write_text("rootLogger.level = info\n")
    assert _user_log_config()
    monkeypatch.delenv("SPARK_CONF_DIR")
    monkeypatch.setenv("SPARK_HOME", str(tmp_path))
    assert not _user_log_config()  # SPARK_HOME/conf/log4j2.properties: none
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "log4j2.properties").write_text("rootLogger.level = info\n")
    assert _user_log_config()
