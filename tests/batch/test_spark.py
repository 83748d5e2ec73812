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
