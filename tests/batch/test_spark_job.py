"""The whole night on Spark (local[2]) writes the in-process job's Parquet bytes, night after night."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from adaptive.batch import run_daily_job
from adaptive.batch.snapshot import SPARK_FORMAT, snapshot_format

pytestmark = pytest.mark.spark

DAY_1, DAY_2 = "2026-09-28", "2026-10-05"
TABLES = ("recommendations", "students", "class_skills", "groups")


def parquet_files(root: Path, date: str) -> dict[str, bytes]:
    """Every output Parquet file of `date` (not the state), by path under `root`."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for table in TABLES
        for p in sorted((root / table).glob(f"date={date}/*/*.parquet"))
    }


def success_partitions(root: Path, date: str) -> dict:
    return json.loads((root / "recommendations" / f"date={date}" / "_SUCCESS.json").read_text())


@pytest.fixture(scope="module")
def spark_ready():
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the Spark engine needs a JVM (Java 17)")
    from adaptive.batch.spark import spark_session

    session = spark_session("local[2]", "adaptive-test-night")
    yield session
    session.stop()


def test_two_nights_on_spark_equal_the_in_process_job_byte_for_byte(
    spark_ready, district, tmp_path
):
    args = district.job_args(data=district.responses, k=5)
    local, spark = tmp_path / "local", tmp_path / "spark"
    for day in (DAY_1, DAY_2):
        ours = run_daily_job(day, spark, engine="spark", master="local[2]", **args)
        theirs = run_daily_job(day, local, **args)
        got, want = parquet_files(spark, day), parquet_files(local, day)
        assert got and got.keys() == want.keys()
        assert [k for k in want if got[k] != want[k]] == []  # byte for byte
        assert (
            success_partitions(spark, day)["partitions"]
            == (success_partitions(local, day)["partitions"])
        )
        assert ours.students_served == theirs.students_served
        assert ours.students_without_profile == theirs.students_without_profile > 0
        assert ours.skill_counts.to_dict() == theirs.skill_counts.to_dict()
    # the second night traced only the new responses, from the first night's Parquet snapshot
    assert not ours.state_rebuilt and ours.previous_snapshot == DAY_1
    assert ours.new_responses == theirs.new_responses > 0
    assert snapshot_format(spark / "state" / f"date={DAY_2}") == SPARK_FORMAT


def test_a_second_run_resumes_every_school_and_changes_no_byte(spark_ready, district, tmp_path):
    args = district.job_args(data=district.responses, k=5)
    out = tmp_path / "spark"
    first = run_daily_job(DAY_1, out, engine="spark", **args)
    before = parquet_files(out, DAY_1)
    again = run_daily_job(DAY_1, out, engine="spark", **args)
    assert first.partitions_written == first.schools and first.partitions_resumed == 0
    assert again.partitions_resumed == again.schools and again.partitions_written == 0
    assert parquet_files(out, DAY_1) == before
