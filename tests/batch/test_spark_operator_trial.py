"""The operator trial's guards (test_operator_trial.py) on the Spark engine, as in-process: a
catalog that changed since the snapshot rebuilds, a log that lost most of its rows is refused,
and the summary names why, the unassigned, far-future rows and a replaced model version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from adaptive.batch import run_daily_job
from adaptive.curriculum import Activity, Catalog
from adaptive.errors import ConfigError, NightWarning

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


@pytest.fixture(scope="module")
def spark_ready():
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the Spark engine needs a JVM (Java 17)")
    from adaptive.batch.spark import spark_session

    session = spark_session("local[2]", "adaptive-test-operator-trial")
    yield session
    session.stop()


def test_a_catalog_that_changed_rebuilds_on_spark_as_in_process(spark_ready, district, tmp_path):
    """The Spark snapshot records the catalog's layout; the next night on a catalog that gained
    an activity warns, rebuilds and equals the in-process engine's same two nights byte for
    byte, with the same summary (reason, unassigned, far-future rows). A re-run of that night after another
    version served it says which version it replaces."""
    from adaptive.batch.snapshot import snapshot_meta
    from adaptive.files import atomic_write_bytes, read_sealed_json, sealed_json
    from adaptive.policy.base import catalog_layout

    catalog = Catalog.from_json(district.catalog)
    extra = Activity("extra.practice", "Extra practice", (catalog.skills[0].id,), grade=3)
    grown = Catalog(catalog.skills, (*catalog.activities, extra), topics=catalog.topics)
    grown_path = tmp_path / "grown.json"
    grown.to_json(grown_path)
    frame = district.log.frame.copy()
    frame.loc[frame.index[:3], "timestamp"] = pd.Timestamp("2062-01-05 10:00", tz="UTC")
    data = tmp_path / "log.parquet"
    frame.to_parquet(data)
    args = district.job_args(data=data, k=5)
    spark = tmp_path / "spark"
    first = run_daily_job(DAY_1, spark, engine="spark", master="local[2]", **args)
    assert first.rebuild_reason == "first night (no earlier snapshot)"
    assert snapshot_meta(spark / "state", DAY_1)["catalog"] == catalog_layout(catalog)

    grown_args = {**args, "catalog": grown_path}
    with pytest.warns(NightWarning, match="the catalog changed since the snapshot"):
        ours = run_daily_job(DAY_2, spark, engine="spark", master="local[2]", **grown_args)
    run_daily_job(DAY_1, tmp_path / "local", **args)
    with pytest.warns(NightWarning, match="the catalog changed since the snapshot"):
        theirs = run_daily_job(DAY_2, tmp_path / "local", **grown_args)
    assert ours.state_rebuilt and ours.rebuild_reason == theirs.rebuild_reason
    assert ours.rebuild_reason == "the catalog changed"
    assert ours.students_unassigned == theirs.students_unassigned > 0
    assert ours.responses_in_future == theirs.responses_in_future == 3
    assert ours.replaced_version is None
    got, want = parquet_files(spark, DAY_2), parquet_files(tmp_path / "local", DAY_2)
    assert got and [k for k in want if got.get(k) != want[k]] == []  # byte for byte

    # the night was served by another version (its listing says so): a re-run says it replaces it
    marker = spark / "recommendations" / f"date={DAY_2}" / "_SUCCESS.json"
    listing = read_sealed_json(marker, str(marker))
    atomic_write_bytes(marker, sealed_json({**listing, "model_version": "0"}))
    with pytest.warns(NightWarning, match="served by model version 0; this re-run"):
        again = run_daily_job(DAY_2, spark, engine="spark", master="local[2]", **grown_args)
    assert again.replaced_version == "0" and again.partitions_written == 0
    assert again.rebuild_reason == "the catalog changed"  # DAY_1's snapshot still is


def test_an_empty_or_partial_export_is_refused_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A Parquet log that lost most of the rows the last Spark snapshot recorded before its
    cutoff (an empty export, a third of it) is refused before any work, not rebuilt from."""
    frame = district.log.frame
    data = tmp_path / "log.parquet"
    frame.to_parquet(data)
    out = tmp_path / "spark"
    args = district.job_args(data=data, k=5)
    run_daily_job(DAY_1, out, engine="spark", master="local[2]", **args)
    frame.iloc[:0].to_parquet(data)
    with pytest.raises(ConfigError, match="a failed or partial export"):
        run_daily_job(DAY_2, out, engine="spark", master="local[2]", **args)
    frame.iloc[: len(frame) // 3].to_parquet(data)
    with pytest.raises(ConfigError, match="--state-dir NEW"):
        run_daily_job(DAY_2, out, engine="spark", master="local[2]", **args)
    assert not (out / "recommendations" / f"date={DAY_2}").exists()
    assert not (out / "state" / f"date={DAY_2}").exists()
