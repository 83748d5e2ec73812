"""`--engine spark` refuses what it cannot run with one clear error, before any work."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from adaptive.batch import run_daily_job
from adaptive.batch.spark import SparkUnavailableError, check_master, check_spark_available
from adaptive.errors import AdaptiveError, ConfigError


@pytest.mark.parametrize(
    "master", ["local", "local[2]", "local[*]", "spark://127.0.0.1:7077", "yarn"]
)
def test_master_urls_spark_accepts(master):
    assert check_master(master) == master


@pytest.mark.parametrize("master", ["", "local[0]", "localhost", "spark://host", "http://x:1"])
def test_a_bad_master_url_is_one_error(master):
    with pytest.raises(SparkUnavailableError, match="expected a Spark master URL"):
        check_master(master)


def test_no_java_is_one_error(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(SparkUnavailableError, match="Java runtime"):
        check_spark_available()


def test_no_pyspark_is_one_error(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pyspark(name, *args, **kwargs):
        if name == "pyspark" or name.startswith("pyspark."):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    with pytest.raises(SparkUnavailableError, match="needs pyspark"):
        check_spark_available()


def test_the_job_refuses_before_taking_the_lock(district, tmp_path):
    """Each refusal names the option as the Python caller wrote it (`run_daily_job`'s keywords,
    not the command's flags: "--engine 'flink'" told a caller of the function to use a flag)."""
    args = district.job_args(data=district.responses)
    with pytest.raises(ConfigError, match=r"engine='flink': expected one of local, spark"):
        run_daily_job(district.last_day, tmp_path / "a", engine="flink", **args)
    with pytest.raises(ConfigError, match=r"master='local\[2\]' is for engine='spark'"):
        run_daily_job(district.last_day, tmp_path / "b", master="local[2]", **args)
    with pytest.raises(SparkUnavailableError, match=r"master='spark:/oops': expected a Spark"):
        run_daily_job(
            district.last_day, tmp_path / "c", engine="spark", master="spark:/oops", **args
        )
    with pytest.raises(ConfigError, match=r"quarantine=FILE is not supported with engine='spark'.*"
                       r"or use engine='local'"):  # fmt: skip
        run_daily_job(
            district.last_day,
            tmp_path / "d",
            engine="spark",
            **{**args, "quarantine": tmp_path / "q.csv"},
        )
    from adaptive.placement import Placement

    in_memory = Placement(("s",), ("k",), np.array([[0.5]]), ("placed from memory",))
    with pytest.raises(ConfigError, match="reads a placement table from a file.*engine='local'"):
        run_daily_job(
            district.last_day, tmp_path / "e", engine="spark", placement=in_memory, **args
        )
    with pytest.raises(ConfigError, match=r"placement_drop_blank_and_identical=True is "
                       r"not supported with engine='spark'.* then placement='CLEAN.csv'"):  # fmt: skip
        run_daily_job(
            district.last_day, tmp_path / "f", engine="spark", placement=tmp_path / "p.csv",
            placement_drop_blank_and_identical=True, **args,
        )  # fmt: skip
    assert not any((tmp_path / name).exists() for name in "abcdef")
    # the Spark helpers a Python caller reaches directly speak its words too
    with pytest.raises(SparkUnavailableError, match=r"^master='spark:/oops': expected"):
        check_master("spark:/oops")


def test_the_cli_names_its_flags(district, tmp_path, capsys):
    """The command's refusals name its flags, as typed: one line, exit 2."""
    from adaptive.cli import run

    common = ["batch", "--date", district.last_day, "--data", str(district.responses),
              "--catalog", str(district.catalog), "--tracking-uri", district.uri,
              "--name", "batch-test-district"]  # fmt: skip
    cases = {
        ("--master", "local[2]"): "--master local[2] is for --engine spark",
        ("--engine", "spark", "--quarantine", str(tmp_path / "q.csv")):
            "--quarantine FILE is not supported with --engine spark",
    }  # fmt: skip
    for i, (extra, said) in enumerate(cases.items()):
        code = run([*common, "--out", str(tmp_path / f"o{i}"), *extra])
        text = " ".join(capsys.readouterr().err.split())
        assert code == 2, text
        assert said in text, text
        assert "='" not in text and "Traceback" not in text
    # a malformed master is a usage error that names the flag once
    assert run([*common, "--out", str(tmp_path / "m"), "--engine", "spark", "--master", "x:/"]) == 2
    text = " ".join(capsys.readouterr().err.split())
    assert "'x:/': expected a Spark master URL" in text and text.count("--master") == 1, text


def test_the_cli_says_so_and_exits_2(district, tmp_path):
    from adaptive.cli import app

    result = CliRunner().invoke(
        app,
        [
            "batch",
            "--date",
            district.last_day,
            "--out",
            str(tmp_path / "out"),
            "--data",
            str(district.responses),
            "--catalog",
            str(district.catalog),
            "--engine",
            "spark",
            "--master",
            "bogus://x",
            "--tracking-uri",
            district.uri,
        ],
    )
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.replace("│", " ").split())  # the error box, unwrapped
    assert "expected a Spark master URL" in text
    assert "Traceback" not in text


def test_a_spark_that_cannot_start_is_one_error_line_not_an_internal_error(district, tmp_path):
    """A Spark operator's trial: a `JAVA_HOME` naming no Java (java still on PATH), `--master
    yarn` or an unreachable master ended in "internal error: Py4JJavaError / PySparkRuntimeError"
    with a Java stack, exit 1: one `error:` line now, exit 2."""
    import os
    import shutil
    import subprocess
    import sys

    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the Spark engine needs a JVM (Java 17)")
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java-here")}
    args = ["batch", "--date", district.last_day, "--out", str(tmp_path / "out"),
            "--data", str(district.responses), "--catalog", str(district.catalog),
            "--profiles", str(district.profiles), "--name", district.model,
            "--engine", "spark", "--tracking-uri", district.uri]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", "from adaptive.cli import main; main()", *args],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    said = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(said) == 1 and "the Spark job failed" in said[0], done.stderr[-2000:]
    assert "internal error" not in done.stderr
    out = tmp_path / "out"  # no date folder nor lock left for the next night to trip on
    assert not (out / "recommendations").exists() or not any((out / "recommendations").iterdir())
    assert not list(out.rglob("*.lock")) or all(p.read_text() == "" for p in out.rglob("*.lock"))


def refused_before_spark(data, tmp_path, monkeypatch) -> Exception:
    """The error of a Spark night of the log `data`, raised before any session starts (one
    that starts fails the test): the driver's checks of the log's footers, from
    `spark_job._parquet_log`, come before the catalog is read or the champion fetched."""
    from adaptive.batch import spark, spark_job

    def no_session(*args, **kwargs):
        raise AssertionError("Spark started")

    monkeypatch.setattr(spark, "spark_session", no_session)
    with pytest.raises(AdaptiveError) as info:
        spark_job.run_spark_night(
            "2026-10-05", tmp_path / "out", model_name="m", data=data,
            catalog=tmp_path / "catalog.json", profiles=tmp_path / "profiles.jsonl",
            state_dir=None, k=3, config=None, mapping=None, tracking_uri=None, master=None,
        )  # fmt: skip
    return info.value


def test_a_part_of_another_type_is_refused_before_spark_starts(
    parts_one_retyped, tmp_path, monkeypatch
):
    """A trial's folder of parts, one with int64 ids: Spark failed after 25 s with "An error
    occurred while calling o183.collectToPython", naming nothing. The driver now refuses it
    from the parts' footers (`check_parts_types`, the in-process reader's check) before any
    session starts, naming the part and the column."""
    folder, odd = parts_one_retyped
    (problem,) = refused_before_spark(folder, tmp_path, monkeypatch).problems
    assert (problem.file, problem.column, problem.value) == (str(odd), "student_id", "int64")


def test_a_csv_named_parquet_and_a_log_without_times_are_said_as_in_process(
    parts_one_retyped, tmp_path, monkeypatch
):
    """A trial: a CSV named .parquet was "expected a Parquet file (Parquet magic bytes not
    found in footer...)" on Spark, "the file is text, not Parquet (a CSV file?): name it
    fake.csv" in-process; a log without a time column was told what Spark needs of any log.
    Both are the in-process words now, before Spark starts."""
    import pandas as pd

    from adaptive.data import load_log

    fake = tmp_path / "fake.parquet"
    fake.write_text("student_id,item_id,skill_ids,correct,timestamp\n1,i,k,1,2026-10-01\n")
    with pytest.raises(AdaptiveError) as local:
        load_log(fake)
    said = str(refused_before_spark(fake, tmp_path, monkeypatch))
    assert said == str(local.value) and "name it fake.csv" in said
    untimed = tmp_path / "untimed.parquet"
    pd.read_parquet(parts_one_retyped[0] / "day=1").drop(columns="timestamp").to_parquet(untimed)
    said = str(refused_before_spark(untimed, tmp_path, monkeypatch))
    assert said.startswith(f"{untimed}: the daily job needs response timestamps (this log has")
    assert "name its time column with --time-col" in said
