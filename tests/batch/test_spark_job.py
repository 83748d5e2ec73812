"""The whole night on Spark (local[2]) writes the in-process job's Parquet bytes, night after night."""

from __future__ import annotations

import json
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adaptive.batch import run_daily_job
from adaptive.batch.job import JobSummary
from adaptive.batch.snapshot import SPARK_FORMAT, snapshot_format
from adaptive.batch.writer import school_dir
from adaptive.curriculum import Activity, Catalog
from adaptive.errors import ConfigError, NightWarning

pytestmark = pytest.mark.spark

DAY_1, DAY_2, DAY_3 = "2026-09-28", "2026-10-05", "2026-10-12"
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


def same_bytes_on_both_engines(args: dict, tmp_path: Path) -> tuple:
    """The night of DAY_1 on Spark (into tmp_path/spark) and in-process (tmp_path/local),
    their NightWarnings ignored; asserts the same Parquet bytes. Their summaries."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NightWarning)
        ours = run_daily_job(DAY_1, tmp_path / "spark", engine="spark", **args)
        theirs = run_daily_job(DAY_1, tmp_path / "local", **args)
    got, want = parquet_files(tmp_path / "spark", DAY_1), parquet_files(tmp_path / "local", DAY_1)
    assert got and got.keys() == want.keys()
    assert [k for k in want if got[k] != want[k]] == []
    return ours, theirs


@pytest.fixture(scope="module")
def spark_ready():
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the Spark engine needs a JVM (Java 17)")
    from adaptive.batch.spark import spark_session

    session = spark_session("local[2]", "adaptive-test-night")
    yield session
    session.stop()


@dataclass
class FirstNight:
    """The night of DAY_1 with the district's own files (k=5), on Spark (into `spark`) and
    in-process (into `local`), with their summaries: run once for the module's tests that
    start from it (each copies the folders it adds nights to: `copied_to`)."""

    spark: Path
    local: Path
    ours: JobSummary
    theirs: JobSummary

    def copied_to(self, folder: Path) -> tuple[Path, Path]:
        """Copies of the two output folders under `folder` (spark, local), to run on from."""
        spark, local = folder / "spark", folder / "local"
        shutil.copytree(self.spark, spark)
        shutil.copytree(self.local, local)
        return spark, local


@pytest.fixture(scope="module")
def first_night(spark_ready, district, tmp_path_factory) -> FirstNight:
    root = tmp_path_factory.mktemp("first-night")
    args = district.job_args(data=district.responses, k=5)
    ours = run_daily_job(DAY_1, root / "spark", engine="spark", master="local[2]", **args)
    theirs = run_daily_job(DAY_1, root / "local", **args)
    return FirstNight(root / "spark", root / "local", ours, theirs)


def test_three_nights_on_spark_equal_the_in_process_job_byte_for_byte(
    first_night, district, tmp_path
):
    args = district.job_args(data=district.responses, k=5)
    spark, local = first_night.copied_to(tmp_path)  # the first night's outputs
    untraced = []
    for day in (DAY_1, DAY_2, district.last_day):  # the last: answers on skills it lacks
        if day == DAY_1:
            ours, theirs = first_night.ours, first_night.theirs
        else:
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
        # answers on skills the champion lacks: counted on the executors, said once
        assert ours.responses_untraced == theirs.responses_untraced
        untraced.append(ours.responses_untraced)
    # a later night traced only the new responses, from the night before's Parquet snapshot
    assert not ours.state_rebuilt and ours.previous_snapshot == DAY_2
    assert ours.new_responses == theirs.new_responses > 0
    assert sum(untraced) > 0, untraced  # else the count was never compared
    assert snapshot_format(spark / "state" / f"date={district.last_day}") == SPARK_FORMAT


@pytest.mark.parametrize("source", ["file", "parts"])
def test_answers_that_arrive_late_are_traced_on_spark_as_in_process(
    spark_ready, district, tmp_path, source
):
    """Rows dated before the last Spark snapshot's cutoff that reached the Parquet log after
    it: the Spark night notices it (the file's statistics), says so and rebuilds, and equals
    the in-process job's night recomputed from the whole file, byte for byte. The same for a
    log kept as a folder of parts (Hive-style `day=` folders), the late rows in a new part.
    The parts are a log's frame written by pandas: times in nanoseconds, a Parquet type Spark
    refuses (PARQUET_TYPE_ILLEGAL), read as the integers they are."""
    import numpy as np

    ts = district.log.frame["timestamp"]
    assert str(ts.dtype) == "datetime64[ns, UTC]"  # what to_parquet writes as TIMESTAMP(NANOS)
    late = np.flatnonzero((ts < pd.Timestamp(DAY_1, tz="UTC")).to_numpy())[-40:]
    early = np.ones(len(ts), bool)
    early[late] = False
    path = tmp_path / ("responses.parquet" if source == "file" else "log")
    args = district.job_args(data=path, k=5)
    if source == "file":
        district.log.take_rows(early).frame.to_parquet(path)
    else:
        (path / "day=1").mkdir(parents=True)
        district.log.take_rows(early).frame.to_parquet(path / "day=1" / "part-0.parquet")
    run_daily_job(DAY_1, tmp_path / "spark", engine="spark", master="local[2]", **args)
    if source == "file":  # the late rows arrive
        district.log.frame.to_parquet(path)
    else:
        (path / "day=2").mkdir()
        district.log.frame.iloc[late].to_parquet(path / "day=2" / "part-0.parquet")
    rebuilt_as_in_process(tmp_path, args, r"snapshot's cutoff .* changed .*\+40 parquet rows")


def test_answers_regraded_before_the_spark_snapshot_are_noticed_as_in_process(
    spark_ready, district, tmp_path
):
    """A re-export of the Parquet log with answers before the last Spark snapshot's cutoff
    regraded (the same row count): the Spark night notices it (the snapshot's digest of those
    rows), says so and rebuilds, and equals the in-process job's fresh night byte for byte."""
    import numpy as np

    frame = district.log.frame
    path = tmp_path / "responses.parquet"
    args = district.job_args(data=path, k=5)
    frame.to_parquet(path)
    run_daily_job(DAY_1, tmp_path / "spark", engine="spark", master="local[2]", **args)
    before = np.flatnonzero((frame["timestamp"] < pd.Timestamp(DAY_1, tz="UTC")).to_numpy())
    flipped = frame.index[before[::40]]
    regraded = frame.copy()
    regraded.loc[flipped, "correct"] = 1 - regraded.loc[flipped, "correct"]
    regraded.to_parquet(path)
    rebuilt_as_in_process(tmp_path, args, r"answers before the snapshot's cutoff changed")


def rebuilt_as_in_process(tmp_path, args, warning: str) -> None:
    """DAY_2 on Spark warns and rebuilds, and equals the in-process night byte for byte."""
    from adaptive.errors import NightWarning

    with pytest.warns(NightWarning, match=warning):
        ours = run_daily_job(DAY_2, tmp_path / "spark", engine="spark", master="local[2]", **args)
    theirs = run_daily_job(DAY_2, tmp_path / "local", **args)
    assert ours.state_rebuilt and ours.new_responses == theirs.new_responses
    got, want = parquet_files(tmp_path / "spark", DAY_2), parquet_files(tmp_path / "local", DAY_2)
    assert got and [k for k in want if got.get(k) != want[k]] == []


def test_a_second_run_resumes_every_school_and_changes_no_byte(first_night, district, tmp_path):
    args = district.job_args(data=district.responses, k=5)
    out, _ = first_night.copied_to(tmp_path)
    first = first_night.ours
    before = parquet_files(out, DAY_1)
    again = run_daily_job(DAY_1, out, engine="spark", **args)
    assert first.partitions_written == first.schools and first.partitions_resumed == 0
    assert again.partitions_resumed == again.schools and again.partitions_written == 0
    assert parquet_files(out, DAY_1) == before


def test_a_night_from_the_last_snapshot_logs_no_stack_trace_even_with_debug(
    first_night, district, tmp_path
):
    """`adaptive --debug batch --engine spark` from the last Spark snapshot: Spark's log (its
    warnings shown, as --debug shows them) holds no Java stack trace. It was asked to read the
    pattern `state/date=D/school=*`, and its streaming-sink check logged, with a stack trace,
    that no folder of that name exists. (Without --debug Spark logs nothing at all on a night
    that succeeds: test_spark.py.) The command runs in a process of its own: the JVM's stderr
    is that process's."""
    import os
    import subprocess
    import sys

    out, _ = first_night.copied_to(tmp_path)  # the night of DAY_1 on Spark
    files = ["--data", district.responses, "--catalog", district.catalog, "--profiles", district.profiles]  # fmt: skip
    command = [
        sys.executable, "-c", "from adaptive.cli import main; main()", "--debug",
        "batch", "--date", DAY_2, "--out", out, *files, "--name", district.model,
        "--tracking-uri", district.uri, "--k", "5", "--engine", "spark", "-q",
    ]  # fmt: skip
    done = subprocess.run(
        list(map(str, command)), capture_output=True, text=True, timeout=300,
        env={**os.environ, "ADAPTIVE_DEBUG": "0"},  # the option alone
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"state updated from snapshot {DAY_1}" in " ".join(done.stdout.split())
    assert "FileStreamSink" not in done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith(("java.", "\tat "))] == []


def test_a_truncated_part_is_the_in_process_readers_error(district, tmp_path):
    """A folder of parts with one part cut short (a copy that stopped): the Spark engine names
    that part as the in-process engine does (exit 2 on the command line), before Spark starts,
    rather than an internal error naming no file."""
    parts = tmp_path / "log"
    parts.mkdir()
    frame = district.log.frame
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(parts / f"part-{i:05d}.parquet")
    cut = parts / "part-00001.parquet"
    cut.write_bytes(cut.read_bytes()[:20_000])
    args = district.job_args(data=parts)
    errors = refusals(args, tmp_path)
    assert errors[0] == errors[1]
    assert f"{cut}; expected a Parquet file (Parquet magic bytes not found" in errors[0]


def test_a_placement_table_on_spark_equals_the_in_process_job(spark_ready, district, tmp_path):
    """`placement=FILE` on Spark: a new student with a profile, one with a profile and answers,
    and one only in the log (no profile) start from the table's values on the skills it has and
    from their grade on the others; both nights equal the in-process job byte for byte. A bad
    table is one error with file, line, column and value, found before any output."""
    from adaptive.curriculum import Catalog
    from adaptive.errors import ConfigError, DataValidationError, PlacementWarning

    lines = district.profiles.read_text().splitlines()
    first = json.loads(lines[0])
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text("\n".join([*lines, json.dumps({**first, "student_id": "newcomer"})]))
    profile_less = next(s for s in map(str, district.log.students) if s.endswith("07"))
    skills = [s.id for s in Catalog.from_json(district.catalog).skills]
    table = tmp_path / "last_year.csv"
    rows = [(sid, skill, 0.97) for sid in ("newcomer", profile_less) for skill in skills[:5]]
    rows.append((first["student_id"], skills[0], 0.03))
    rows.append(("NEW0001", skills[0], 0.5))  # a student no roster names: counted, not placed
    frame = pd.DataFrame(rows, columns=["Student", "Skill", "Mastery"])
    # the newcomer took the diagnostic: its saved words are their reason (the others': the file)
    diagnosed = "placed by diagnostic (12 questions)"
    frame["source"] = np.where(frame["Student"] == "newcomer", diagnosed, "")
    frame.to_csv(table, index=False)
    names = {"student_id": "Student", "skill_id": "Skill", "mastery": "Mastery"}
    args = district.job_args(
        data=district.responses, k=5, profiles=profiles, placement=table, placement_columns=names
    )
    local, spark = tmp_path / "local", tmp_path / "spark"
    for day in (DAY_1, DAY_2):
        with pytest.warns(PlacementWarning, match="1 of its 4 students is in no profile"):
            run_daily_job(day, spark, engine="spark", master="local[2]", **args)
        with pytest.warns(PlacementWarning, match="1 of its 4 students is in no profile"):
            run_daily_job(day, local, **args)
        got, want = parquet_files(spark, day), parquet_files(local, day)
        assert got and got.keys() == want.keys()
        assert [k for k in want if got[k] != want[k]] == []  # byte for byte
    recs = pd.read_parquet(spark / "recommendations" / f"date={DAY_1}")
    placed = recs.drop_duplicates("student_id").set_index("student_id")["placement"]
    assert placed["newcomer"] == diagnosed
    assert placed[profile_less] == "placed from last_year.csv"
    # a night not given the table keeps its students' words on both engines (Spark's school
    # snapshot dropped them: a trial's second night read '')
    for engine, out in (("spark", spark), ("in-process", local)):
        with pytest.warns(NightWarning, match="keep that placement"):
            run_daily_job(DAY_3, out, **{**args, "placement": None, "placement_columns": None},
                          **({"engine": "spark", "master": "local[2]"} if engine == "spark" else {}))  # fmt: skip
    got, want = parquet_files(spark, DAY_3), parquet_files(local, DAY_3)
    assert got and [k for k in want if got[k] != want[k]] == []
    later = pd.read_parquet(spark / "recommendations" / f"date={DAY_3}")
    assert set(later.loc[later["student_id"] == profile_less, "placement"]) == {
        "placed from last_year.csv"
    }
    assert not (spark / "_placement").exists()
    # a value out of range (found by the driver), a repeated (student, skill) (found by Spark):
    # each one error with file, line, column and value, before any output
    out_of_range = tmp_path / "percent.csv"
    frame.assign(Mastery=frame["Mastery"].where(frame.index != 2, 97.0)).to_csv(
        out_of_range, index=False
    )
    twice = tmp_path / "twice.csv"
    pd.concat([frame, frame.iloc[[1]]]).to_csv(twice, index=False)
    two_sources = tmp_path / "two_sources.csv"  # the newcomer's 3rd row says another source
    frame.assign(source=frame["source"].where(frame.index != 2, "placed from grade 4")).to_csv(
        two_sources, index=False
    )
    for bad, where in ((out_of_range, "line 4, column 'Mastery': got '97.0'"),
                       (twice, f"line {len(frame) + 2}, column 'Skill': got '{skills[1]}'"),
                       (two_sources, "line 4, column 'source': got 'placed from grade 4'; "
                        f"expected one source per student (an earlier row of theirs says "
                        f"{diagnosed!r})")):  # fmt: skip
        with pytest.raises(DataValidationError) as caught:
            run_daily_job(DAY_1, tmp_path / bad.stem, engine="spark", **{**args, "placement": bad})
        assert f"{bad.name}, {where}" in str(caught.value), str(caught.value)
        assert not list((tmp_path / bad.stem).rglob("*.parquet"))
    # a table of none of the night's students (another term's file) places nobody: refused
    others = tmp_path / "other_term.csv"
    frame.assign(Student="X" + frame["Student"]).to_csv(others, index=False)
    with pytest.raises(ConfigError, match="none of its 4 students is in a profile"):
        run_daily_job(DAY_1, tmp_path / "others", engine="spark", **{**args, "placement": others})
    assert not list((tmp_path / "others").rglob("*.parquet"))


def test_answers_written_as_words_are_converted_before_spark(tmp_path):
    """Spark reads correctness as 0/1 or true/false: a log whose answers are words, named with
    --correct-values, is one error saying how to convert it (never misread). No JVM needed."""
    from adaptive.batch.spark_job import _parquet_log
    from adaptive.errors import ConfigError

    path = tmp_path / "log.parquet"
    pd.DataFrame(
        {"student_id": ["a"], "item_id": ["i"], "skill_ids": [["k"]], "correct": ["Correct"],
         "timestamp": pd.to_datetime(["2024-09-01"], utc=True)}
    ).to_parquet(path)  # fmt: skip
    words = {"correct_values": "Correct", "incorrect_values": "Incorrect"}
    with pytest.raises(ConfigError, match="convert the words or scores first"):
        _parquet_log(path, words)
    with pytest.raises(ConfigError, match="--correct-threshold"):
        _parquet_log(path, {"correct_threshold": 0.5})  # scores: the same
    assert _parquet_log(path, None)[1]["correct"] == "correct"


# -- the night's guards, as in-process (a data engineer's trial) ------------------------------
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
    after = pd.Timestamp(DAY_2, tz="UTC") + pd.Timedelta(days=1)  # dated after the night
    assert ours.responses_in_future == theirs.responses_in_future
    assert ours.responses_in_future == int((frame["timestamp"] >= after).sum()) >= 3
    assert ours.replaced_version is None
    got, want = parquet_files(spark, DAY_2), parquet_files(tmp_path / "local", DAY_2)
    assert got and [k for k in want if got.get(k) != want[k]] == []  # byte for byte

    # the night was served by another version (its listing says so): a re-run says it replaces it
    marker = spark / "recommendations" / f"date={DAY_2}" / "_SUCCESS.json"
    listing = read_sealed_json(marker, str(marker))
    atomic_write_bytes(marker, sealed_json({**listing, "model_version": "0"}))
    with pytest.warns(
        NightWarning, match="served with model version 0; this re-run serves it with model version"
    ):
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


def test_the_policys_grade_table_on_spark_equals_the_in_process_job(
    spark_ready, district, tmp_path
):
    """A `[grade_table]` in the policy: the executors place new students with it, the snapshot
    records it, and another table the next night rebuilds, as the in-process engine does, byte
    for byte."""
    from adaptive.policy import PolicyConfig

    high = PolicyConfig.default().with_(grade_table={"-1": 0.99, "0": 0.9, "1": 0.5})
    low = PolicyConfig.default().with_(grade_table={"-1": 0.3, "0": 0.05, "1": 0.01})
    args = district.job_args(data=district.responses, k=5)
    spark, local = tmp_path / "spark", tmp_path / "local"
    run_daily_job(DAY_1, spark, engine="spark", master="local[2]", policy_config=high, **args)
    run_daily_job(DAY_1, local, policy_config=high, **args)
    with pytest.warns(NightWarning, match="is not the one the snapshot"):
        ours = run_daily_job(
            DAY_2, spark, engine="spark", master="local[2]", policy_config=low, **args
        )
    with pytest.warns(NightWarning, match="is not the one the snapshot"):
        theirs = run_daily_job(DAY_2, local, policy_config=low, **args)
    assert ours.rebuild_reason == theirs.rebuild_reason
    assert ours.rebuild_reason == "another grade table than the last snapshot's"
    for day in (DAY_1, DAY_2):
        got, want = parquet_files(spark, day), parquet_files(local, day)
        assert got and [k for k in want if got.get(k) != want[k]] == []  # byte for byte


def test_ids_the_catalog_lacks_are_named_on_spark_as_in_process(spark_ready, district, tmp_path):
    """Each school's executor counts its responses on ids the catalog lacks; the driver names
    them once, as the in-process night does (the trial of stop 39's 'g3.NS.l')."""
    frame = district.log.frame.copy()
    skill = frame["skill_ids"].iloc[0][0]
    frame["skill_ids"] = frame["skill_ids"].astype(object)
    typo = pd.Series([[skill + "x"]] * 4, index=frame.index[:4])
    frame.loc[frame.index[:4], "skill_ids"] = typo
    data = tmp_path / "log.parquet"
    frame.to_parquet(data)
    ours, theirs = night_warnings(district, tmp_path, data, "the catalog does not have")
    ours, theirs = ([t.split(": ", 1)[1] for t in w] for w in (ours, theirs))  # after the log
    assert ours == theirs and len(ours) == 1
    assert f"4 responses on 1 skill id the catalog does not have: {skill + 'x'!r} (4" in ours[0]


def test_log_ids_written_otherwise_are_counted_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """Students of the log whose id is a profile's once case (or leading zeros) is restored:
    counted by the Spark driver from its executors' students without a profile, as the
    in-process night counts them."""
    data = district.log_with_ids_in_capitals(tmp_path)
    ours, theirs = night_warnings(district, tmp_path, data, "of the log have no profile")
    assert ours == theirs and ours[0].startswith("2 students of the log")


def night_warnings(district, tmp_path, data, words: str) -> tuple[list[str], list[str]]:
    """The night's warnings holding `words`, on Spark and in-process, for the log `data`."""

    def said(folder: str, **engine) -> list[str]:
        with pytest.warns(NightWarning) as caught:
            run_daily_job(DAY_1, tmp_path / folder, **engine, **district.job_args(data=data, k=5))
        return [str(w.message) for w in caught if words in str(w.message)]

    return said("spark", engine="spark", master="local[2]"), said("local")


def refusals(args: dict, out: Path) -> list[str]:
    """The `DataValidationError` of the night of DAY_1 with `args` on Spark, then in-process,
    as text (each engine writing under `out / engine`)."""
    from adaptive.errors import DataValidationError

    errors = []
    for engine in ("spark", "local"):
        with pytest.raises(DataValidationError) as caught:
            run_daily_job(DAY_1, out / engine, engine=engine, **args)
        errors.append(str(caught.value))
    return errors


def test_a_night_dated_long_after_the_log_is_refused_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A mistyped year (2030 for 2026) is refused on Spark too, naming the newest answer's day,
    before the night writes anything: from the log's last row groups, or, when they hold none
    in the window, its whole time column."""
    data = tmp_path / "log.parquet"
    district.log.frame.to_parquet(data, row_group_size=500)
    out = tmp_path / "spark"
    args = district.job_args(data=data, k=5)
    newest = district.log.frame["timestamp"].max().date().isoformat()
    with pytest.raises(ConfigError, match=f"after the newest response of .* \\(on {newest}\\)"):
        run_daily_job("2030-01-01", out, engine="spark", master="local[2]", **args)
    assert not (out / "recommendations" / "date=2030-01-01").exists()
    run_daily_job(DAY_1, out, engine="spark", master="local[2]", **args)


def test_the_driver_reads_the_logs_oldest_and_newest_times_group_by_group(tmp_path):
    """The driver's date checks keep one number per row group instead of gathering the time
    column (its memory is measured by experiments/bench_spark.py): they find the same times
    as pandas, for a log sorted by student in many groups, a folder of parts, another unit."""
    from adaptive.batch.spark_job import _newest_before, _oldest_time, _times_after

    rng = np.random.default_rng(3)
    times = pd.Timestamp("2026-09-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 40 * 86_400, 5_000), unit="s"
    )
    frame = pd.DataFrame({"student_id": rng.integers(0, 50, 5_000).astype(str), "timestamp": times})
    frame = frame.sort_values("student_id")  # every day in every row group
    one = tmp_path / "log.parquet"
    frame.to_parquet(one, row_group_size=300)
    parts = tmp_path / "parts"
    parts.mkdir()
    frame.iloc[:2_000].to_parquet(parts / "part-0.parquet", row_group_size=300)
    frame.iloc[2_000:].astype({"timestamp": "datetime64[ms, UTC]"}).to_parquet(
        parts / "part-1.parquet", row_group_size=300
    )
    ns = frame["timestamp"].dt.as_unit("ns").astype("int64").to_numpy()
    cutoff = int(pd.Timestamp("2026-09-20", tz="UTC").value)
    for path in (one, parts):
        assert _oldest_time(path, "timestamp") == ns.min()
        assert _newest_before(path, "timestamp", cutoff, {"count": 1}) == ns[ns < cutoff].max()
        assert sorted(_times_after(path, "timestamp", cutoff)) == sorted(ns[ns >= cutoff])
    before_all = int(pd.Timestamp("2026-08-01", tz="UTC").value)
    assert _newest_before(one, "timestamp", before_all, {"count": 1}) is None
    assert _oldest_time(one, "student_id") is None  # not a timestamp: nothing to compare


def test_a_first_night_before_every_response_is_said_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A first night dated before the log's first answer is served from placement alone and
    said so on both engines, naming the first answer's day (the driver reads the oldest time
    group by group)."""
    data = tmp_path / "later.parquet"
    later = district.log.frame.assign(
        timestamp=district.log.frame["timestamp"] + pd.Timedelta(days=60)
    )
    later.to_parquet(data, row_group_size=500)
    ours, theirs = night_warnings(district, tmp_path, data, "comes before every response")
    first = later["timestamp"].min().date().isoformat()
    assert ours == theirs and len(ours) == 1 and first in ours[0]


def test_students_who_lost_their_profile_are_counted_on_spark_as_in_process(
    first_night, district, tmp_path
):
    out, _ = first_night.copied_to(tmp_path)  # the night of DAY_1 on Spark
    args = district.job_args(data=district.responses, k=5)
    lines = district.profiles.read_text().splitlines()
    served = set(pd.read_parquet(out / "students" / f"date={DAY_1}")["student_id"])
    dropped = [ln for ln in lines if json.loads(ln)["student_id"] in served][:4]
    older = tmp_path / "older.jsonl"
    older.write_text("\n".join(ln for ln in lines if ln not in dropped) + "\n")
    with pytest.warns(NightWarning, match=f"4 students served in a school on the night of {DAY_1}"):
        run_daily_job(DAY_2, out, engine="spark", master="local[2]", **{**args, "profiles": older})


def test_students_with_nothing_left_to_learn_are_counted_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """The placement office's trial (L19): a grade-12 student on a grade 3-8 catalog is placed
    at the top of every skill and served nothing; the Spark night said only "1 student got no
    recommendation" (the in-process night said why: "placed from grade 12 (1)")."""
    lines = district.profiles.read_text().splitlines()
    senior = {**json.loads(lines[0]), "student_id": "senior", "grade": 12}
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text("\n".join([*lines, json.dumps(senior)]) + "\n")
    args = district.job_args(data=district.responses, k=5, profiles=profiles)
    ours, theirs = same_bytes_on_both_engines(args, tmp_path)
    assert theirs.students_all_known == {"placed from grade 12": 1}
    assert ours.students_all_known == theirs.students_all_known


def test_the_mastery_rules_answers_and_runs_are_written_on_spark_as_in_process(first_night):
    """The report's student page says what a skill at the mastery bar still needs from the
    students table's per-skill answers and runs of right answers and per-student gradual hold
    (`partition.skill_columns`): the Spark night writes them as the in-process night does, the
    same bytes, so the page says the same whatever engine served the night."""
    got, want = parquet_files(first_night.spark, DAY_1), parquet_files(first_night.local, DAY_1)
    assert got and got.keys() == want.keys()
    assert [k for k in want if got[k] != want[k]] == []
    students = pd.read_parquet(first_night.spark / "students" / f"date={DAY_1}")
    answers = np.stack(students["n_responses"].to_numpy())
    runs = np.stack(students["streak"].to_numpy())
    assert answers.dtype == runs.dtype == students["gradual_hold"].dtype == np.int32
    assert answers.sum() > 0 and (runs <= answers).all() and (runs < answers).any()


def test_an_interrupted_spark_night_resumed_with_an_unserved_student_equals_an_uninterrupted_one(
    spark_ready, district, tmp_path
):
    """A Spark night interrupted after the school of a student served nothing (a grade-12
    senior) was written, then run again: the resumed school's counts are read back from its
    files (its students file read once, the per-skill lists with it: `job._counted_students`)
    and the other schools served; the outputs equal an uninterrupted in-process night's byte
    for byte, and the summary still says why the senior got nothing."""
    lines = district.profiles.read_text().splitlines()
    senior = {**json.loads(lines[0]), "student_id": "senior", "grade": 12}
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text("\n".join([*lines, json.dumps(senior)]) + "\n")
    args = district.job_args(data=district.responses, k=5, profiles=profiles)
    spark = tmp_path / "spark"
    run_daily_job(DAY_1, spark, engine="spark", **args)
    # the interruption: no _SUCCESS.json nor snapshot, only the senior's school written
    (spark / "recommendations" / f"date={DAY_1}" / "_SUCCESS.json").unlink()
    shutil.rmtree(spark / "state" / f"date={DAY_1}")
    kept = school_dir(senior["school_id"])
    for table in TABLES:
        for school in (spark / table / f"date={DAY_1}").glob("school=*"):
            if school.name != kept:
                shutil.rmtree(school)
    ours, theirs = same_bytes_on_both_engines(args, tmp_path)
    assert ours.partitions_resumed == 1 and ours.partitions_written == ours.schools - 1 > 0
    assert theirs.students_all_known == {"placed from grade 12": 1}
    assert ours.students_all_known == theirs.students_all_known


def test_the_spark_driver_keeps_no_arm_of_an_experiment_and_serves_its_arms_as_in_process(
    spark_ready, district, tmp_path, monkeypatch
):
    """The Spark driver held the experiment's assignment (every class's arm: it grows with the
    district) through the night, and shipped it inside every school's task: its memory grew
    with the district's students (stop 45: +23% from 10,000 to 400,000). Now the executors
    read the arms from the shipped file; the driver keeps the assignment's digest and words
    only, the one it loaded gone before any school is served. Both engines still serve the
    same arms, byte for byte."""
    import gc
    import weakref

    from adaptive.batch import spark_job
    from adaptive.batch.job import read_profiles
    from adaptive.experiment.assign import Assignment, assign
    from adaptive.policy import PolicyConfig

    arms = {"control": PolicyConfig.default(), "new": PolicyConfig(weights={"interest": 0.0})}
    path = assign(read_profiles(district.profiles), arms, seed=1).save(tmp_path / "exp.json")
    loaded, held = [], []
    original_load, run_schools = Assignment.load, spark_job._run_schools

    def load(given):
        assignment = original_load(given)
        loaded.append(weakref.ref(assignment))
        return assignment

    def watched(session, night, *rest):
        gc.collect()
        held.append([ref() is not None for ref in loaded])
        return run_schools(session, night, *rest)

    monkeypatch.setattr(Assignment, "load", staticmethod(load))
    monkeypatch.setattr(spark_job, "_run_schools", watched)
    args = district.job_args(data=district.responses, k=5, experiment=path)
    ours, theirs = same_bytes_on_both_engines(args, tmp_path)
    assert held == [[False]]  # the driver's one load, dropped before the schools
    recs = pd.read_parquet(tmp_path / "spark" / "recommendations" / f"date={DAY_1}")
    assert set(recs["arm"]) >= {"control", "new"}
    assert ours.students_outside_experiment == theirs.students_outside_experiment
    # a review: the Spark summary counted no students by arm, so a night served by the arms'
    # policies still read "policy shipped default; experiment exp.json" there
    assert ours.students_by_arm == theirs.students_by_arm
    assert list(ours.students_by_arm) == ["control", "new"] and all(ours.students_by_arm.values())


def test_integer_and_padded_log_ids_are_text_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A Spark operator's trial: a log of integer ids (4500123) beside a roster spelling some of
    them "004500123" was joined by casting the roster's ids to numbers, so students without a
    profile were written inside real schools' partitions; ids ending in a space failed the
    night ("given twice"). Ids are text, trimmed, on both engines: the same bytes."""
    frame = district.log.frame.copy()
    number = {s: 4_500_000 + i for i, s in enumerate(sorted(frame["student_id"].unique()))}
    frame["student_id"] = frame["student_id"].map(number).astype("int64")
    data = tmp_path / "numeric.parquet"
    frame.to_parquet(data)
    roster = tmp_path / "padded.jsonl"
    lines = []
    padded = set(sorted(number)[:3])  # a few: a log none of whose ids match is refused
    for line in district.profiles.read_text().splitlines():
        doc = json.loads(line)
        if doc["student_id"] in number:
            width = 9 if doc["student_id"] in padded else 0  # "004500123" / "4500123"
            doc["student_id"] = f"{number[doc['student_id']]:0{width}d}"
        lines.append(json.dumps(doc))
    roster.write_text("\n".join(lines) + "\n")
    spaced = district.log.frame.copy()
    first = spaced["student_id"] == spaced["student_id"].iloc[0]
    spaced.loc[first, "student_id"] = spaced.loc[first, "student_id"] + " "
    spaced_path = tmp_path / "spaced.parquet"
    spaced.to_parquet(spaced_path)
    for name, args in (
        ("numeric", district.job_args(data=data, profiles=roster, k=5)),
        ("spaced", district.job_args(data=spaced_path, k=5)),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NightWarning)
            run_daily_job(
                DAY_1, tmp_path / f"{name}-spark", engine="spark", master="local[2]", **args
            )
            run_daily_job(DAY_1, tmp_path / f"{name}-local", **args)
        ours, theirs = (parquet_files(tmp_path / f"{name}-{e}", DAY_1) for e in ("spark", "local"))
        assert ours and ours == theirs, name
    schools = {p.split("/")[2] for p in parquet_files(tmp_path / "numeric-spark", DAY_1)}
    assert "school=unassigned" in schools


def test_a_log_none_of_whose_ids_are_the_rosters_is_refused_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A Spark operator's trial: a log none of whose students has a profile (another district's
    export, ids with a prefix) was refused in-process, but served whole on Spark (every student
    in school 'unassigned', the roster's from their grade alone), then only warned of. Both
    engines now refuse it with the same words, counts and no ids, before anything is written."""
    other = district.log.frame.assign(student_id="x" + district.log.frame["student_id"].astype(str))
    data = tmp_path / "other.parquet"
    other.to_parquet(data)
    args = district.job_args(data=data, k=5)
    said = []
    for engine in ("spark", "local"):
        out = tmp_path / engine
        with pytest.raises(ConfigError, match="none of them is a profile's id") as refused:
            run_daily_job(DAY_1, out, engine=engine, **args)
        said.append(str(refused.value))
        assert not out.exists(), engine
    assert said[0] == said[1]
    assert not any(s in said[0] for s in other["student_id"].unique())
    # two students written two ways on the last day: the same words, their rows' count and
    # dates too (Spark said neither), and no ids
    frame = district.log.frame.copy()
    frame["student_id"] = frame["student_id"].astype(str)
    last = frame["timestamp"].dt.normalize() == frame["timestamp"].max().normalize()
    two = sorted(frame.loc[last, "student_id"].unique())[:2]
    frame.loc[last & frame["student_id"].isin(two), "student_id"] = [
        s.upper() for s in frame.loc[last & frame["student_id"].isin(two), "student_id"]
    ]
    frame.to_parquet(data)
    said = []
    for engine in ("spark", "local"):
        with pytest.raises(ConfigError, match="written two ways in it \\(their ") as refused:
            run_daily_job(DAY_1, tmp_path / f"two-{engine}", engine=engine, **args)
        said.append(str(refused.value))
    assert said[0] == said[1]
    assert not any(s in said[0] for s in [*two, *(t.upper() for t in two)])


def test_a_first_night_of_an_empty_log_is_said_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A Spark operator's trial: a first night with a header-only Parquet log was served from
    placement alone with no word on Spark (the in-process night says it)."""
    data = tmp_path / "empty.parquet"
    district.log.frame.iloc[:0].to_parquet(data)
    ours, theirs = night_warnings(district, tmp_path, data, "holds no responses")
    assert ours == theirs and len(ours) == 1


# -- correctness read as the in-process reader reads it ---------------------------------------
# a spreadsheet's, pandas', a CSV's, a decimal comma's
RIGHT_SPELLINGS = np.array(["TRUE", " true ", "1", "1.0", "1,0"])
WRONG_SPELLINGS = np.array(["FALSE", "False", "0", " 0.0", "0,00"])


def test_answers_as_booleans_or_words_are_read_on_spark_as_in_process(
    first_night, district, tmp_path
):
    """A Spark operator's trial: a log whose `correct` is a boolean column, or text a
    spreadsheet wrote (TRUE / FALSE, any case, trimmed, beside 1 / 0.0), ended the Spark night
    in an internal error on the executors, though the in-process engine reads them. Both now
    read them alike: the same bytes as the in-process night of the log written with 0 / 1."""
    frame = district.log.frame
    right = frame["correct"].to_numpy() == 1
    spelling = np.arange(len(frame)) % len(RIGHT_SPELLINGS)
    logs = {
        "booleans": frame.assign(correct=right),
        "words": frame.assign(
            correct=np.where(right, RIGHT_SPELLINGS[spelling], WRONG_SPELLINGS[spelling])
        ),
    }
    want = parquet_files(first_night.local, DAY_1)  # the log written with 0 / 1
    for name, log in logs.items():
        data = tmp_path / f"{name}.parquet"
        log.to_parquet(data)
        args = district.job_args(data=data, k=5)
        run_daily_job(DAY_1, tmp_path / name, engine="spark", master="local[2]", **args)
        got = parquet_files(tmp_path / name, DAY_1)
        assert got and [k for k in want if got.get(k) != want[k]] == [], name


def test_an_answer_neither_engine_reads_is_named_on_spark_with_its_file_and_line(
    spark_ready, district, tmp_path, capsys
):
    """A Spark operator's trial: "yes" in one row of `correct` ended the night in an error
    without file or line, counting only the school whose executor failed first. It is now the
    in-process reader's error, before any school is served: exit 2 on the command line, one
    line naming the file, the line, the column and the value."""
    from adaptive.cli import run as cli_run

    frame = district.log.frame.assign(correct=district.log.frame["correct"].astype(str))
    frame.loc[frame.index[4321], "correct"] = "yes"
    data = tmp_path / "log.parquet"
    frame.to_parquet(data)
    out = tmp_path / "spark"
    code = cli_run([
        "batch", "--date", DAY_1, "--out", str(out), "--data", str(data),
        "--catalog", str(district.catalog), "--profiles", str(district.profiles),
        "--name", district.model, "--tracking-uri", district.uri, "--k", "5",
        "--engine", "spark", "--master", "local[2]", "-q",
    ])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    said = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(said) == 1 and "1 problem in the input" in said[0], err
    assert f"{data}, row 4322, column 'correct': got 'yes'; expected 0 or 1" in err
    assert "Traceback" not in err
    assert not list(out.rglob("*.parquet"))  # no school was served


def test_answers_neither_engine_reads_are_all_counted_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """Scores (0.5, 2) and an empty value in two parts of a folder log: Spark's error lists
    the in-process reader's problems word for word (each part's path and own line), and counts
    every such row of the log."""
    frame = district.log.frame.assign(correct=district.log.frame["correct"].astype(float))
    frame.loc[frame.index[[10, 7000, 15000]], "correct"] = [0.5, 2.0, np.nan]
    parts = tmp_path / "log"
    halves = np.array_split(np.arange(len(frame)), 2)
    for i, rows in enumerate(halves):
        (parts / f"day={i}").mkdir(parents=True)
        frame.iloc[rows].to_parquet(parts / f"day={i}" / "part-0.parquet")
    args = district.job_args(data=parts, k=5)
    errors = refusals(args, tmp_path)
    assert sorted(errors[0].splitlines()) == sorted(errors[1].splitlines())
    assert errors[0].startswith("3 problems in the input")
    assert f"{parts / 'day=1' / 'part-0.parquet'}, row {15001 - len(halves[0])}" in errors[0]


def test_an_empty_item_id_is_named_on_spark_with_its_file_and_line(spark_ready, district, tmp_path):
    """An empty item id was found by its school's executor, counted there only and named by no
    line: it is now the in-process reader's error, word for word, found by the driver (which
    re-reads the log's checked columns to name it)."""
    frame = district.log.frame.copy()
    frame["item_id"] = frame["item_id"].astype(object)
    frame.loc[frame.index[[5, 9000]], "item_id"] = None
    data = tmp_path / "log.parquet"
    frame.to_parquet(data)
    args = district.job_args(data=data, k=5)
    errors = refusals(args, tmp_path)
    assert errors[0] == errors[1]
    assert f"{data}, row 9001, column 'item_id': got ''; expected a non-empty id" in errors[0]


# -- ids and times read as the in-process reader reads them -----------------------------------
#: What the in-process reader trims besides ASCII spaces (`str.strip`): a no-break space (a
#: spreadsheet's), an em space, an ideographic space, a unit separator (U+001F).
PADDINGS = np.array([" ", "\t", "\u00a0", "\u2003", "\u3000", "\x1f"], dtype=object)


def test_spark_trims_what_the_in_process_reader_trims():
    """`spark_job.WHITE_SPACE` (a Java and Python regular expression) matches exactly the
    characters `str.strip` and Arrow's `utf8_trim_whitespace` remove. No JVM needed."""
    import re

    from adaptive.batch.spark_job import WHITE_SPACE

    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert re.findall(WHITE_SPACE, every) == [c for c in every if c.isspace()]


def test_ids_padded_with_any_white_space_are_read_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A Spark operator's trial: a log whose item ids and skill ids were padded (" i1 "),
    or whose student ids or answers ended in a no-break space or a unit separator, traced
    other items and skills on Spark than in-process, which trims them: students were served
    without their profile, and such answers ended the night in an error. Both now read them
    alike (a skill list's empty ids dropped, a skill named twice kept once): the same bytes."""
    frame = district.log.frame.copy()
    turn = np.arange(len(frame))
    before, after = PADDINGS[turn % len(PADDINGS)], PADDINGS[(turn + 1) % len(PADDINGS)]
    for name in ("student_id", "item_id", "correct"):
        frame[name] = before + frame[name].astype(str).to_numpy(object) + after
    frame["skill_ids"] = pd.Series(
        [
            [f"{b}{s}{a}" for s in skills] + [a, f" {skills[0]}"]
            for b, skills, a in zip(before, frame["skill_ids"], after, strict=True)
        ],
        index=frame.index,
        dtype=object,
    )
    data = tmp_path / "padded.parquet"
    frame.to_parquet(data)
    args = district.job_args(data=data, k=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NightWarning)
        ours = run_daily_job(DAY_1, tmp_path / "spark", engine="spark", master="local[2]", **args)
        theirs = run_daily_job(DAY_1, tmp_path / "local", **args)
    got, want = parquet_files(tmp_path / "spark", DAY_1), parquet_files(tmp_path / "local", DAY_1)
    assert got and [k for k in want if got.get(k) != want[k]] == [] and got.keys() == want.keys()
    assert ours.responses_untraced == theirs.responses_untraced
    assert ours.students_without_profile == theirs.students_without_profile


def test_ids_of_spaces_and_rows_without_a_time_are_refused_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A Spark operator's trial: an item id of spaces only and a student id of a no-break
    space were served on Spark, and rows without a time silently dropped (the cutoff compared
    nothing), where the in-process reader refuses them. The Spark error is now that reader's,
    word for word (each row's file and line), found by the driver before any school is served
    (`_log_reading`'s one aggregate)."""
    frame = district.log.frame.copy()
    for name in ("student_id", "item_id"):
        frame[name] = frame[name].astype(object)
    frame.loc[frame.index[7], "item_id"] = "   "
    frame.loc[frame.index[8000], "student_id"] = "\u00a0"
    timeless = frame.copy()
    tonight = (frame["timestamp"] < pd.Timestamp(DAY_1, tz="UTC")).to_numpy()
    rows = [np.flatnonzero(tonight)[12], np.flatnonzero(~tonight)[3]]  # read tonight, and not
    timeless.loc[frame.index[rows], "timestamp"] = pd.NaT
    for name, log in (("ids", frame), ("times", timeless)):
        data = tmp_path / f"{name}.parquet"
        log.to_parquet(data)
        args = district.job_args(data=data, k=5)
        errors = refusals(args, tmp_path / name)
        assert errors[0] == errors[1], name
        assert not list((tmp_path / name / "spark").rglob("*.parquet")), name  # none served
    assert errors[0].startswith("4 problems in the input")
    said = f"{data}, row {rows[1] + 1}, column 'timestamp': got ''; expected a date-time"
    assert said in errors[0]


def test_empty_ids_and_float_ids_with_a_fraction_are_refused_before_any_school_is_served(
    spark_ready, district, tmp_path
):
    """A Spark operator's trial: an empty skill list or item id in a row dated after the night
    was never seen on Spark (its executors read tonight's rows only), so the night was served
    where the in-process reader refuses the log; an empty id of tonight was found by its
    school's executor, once other schools could be served. Both are now found by the driver,
    before any school is served, with the in-process reader's error word for word. A float id
    column with a fraction (14.5), which that reader keeps as Arrow writes it and Spark would
    write otherwise, is one `ConfigError` saying how to convert it."""

    frame = district.log.frame.copy()
    frame["item_id"] = frame["item_id"].astype(object)
    frame["skill_ids"] = frame["skill_ids"].astype(object)
    later = np.flatnonzero((frame["timestamp"] >= pd.Timestamp(DAY_1, tz="UTC")).to_numpy())
    frame.loc[frame.index[later[5]], "item_id"] = "\u3000"
    frame.at[frame.index[later[9]], "skill_ids"] = [" ", ""]
    data = tmp_path / "later.parquet"
    frame.to_parquet(data)
    args = district.job_args(data=data, k=5)
    errors = refusals(args, tmp_path)
    assert errors[0] == errors[1]
    assert errors[0].startswith("2 problems in the input")
    assert f"row {later[9] + 1}, column 'skill_ids': got '[ , ]'" in errors[0]
    assert not list((tmp_path / "spark").rglob("*.parquet"))

    numbers = {s: float(i) for i, s in enumerate(sorted(district.log.frame["item_id"].unique()))}
    fraction = district.log.frame.assign(item_id=district.log.frame["item_id"].map(numbers))
    fraction.loc[fraction.index[3], "item_id"] = 14.5
    data = tmp_path / "fraction.parquet"
    fraction.to_parquet(data)
    out = tmp_path / "fraction"
    with pytest.raises(ConfigError, match=r"column 'item_id' holds ids .* fraction \(e\.g\. 14\.5"):
        run_daily_job(DAY_1, out, engine="spark", **district.job_args(data=data, k=5))
    assert not list(out.rglob("*.parquet"))


def test_text_skills_and_ids_written_as_floats_are_read_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A Spark operator's trial: a log whose skill column is text (one skill a row, or several
    split at --skills-sep) ended the Spark night in an internal error on the executors (no
    cast from text to a list), and ids written as floats (an item column of 14.0, student ids
    "4500123.0" beside the roster's "4500123") were other items and students on Spark, where
    the in-process reader reads a column of whole numbers as "14". Both engines now read them
    alike: the same bytes."""
    frame = district.log.frame.copy()
    students = sorted(frame["student_id"].unique())
    number = {s: 4_500_000 + i for i, s in enumerate(students)}
    items = {s: float(i) for i, s in enumerate(sorted(frame["item_id"].unique()))}
    frame["student_id"] = [f" {number[s]}.0" for s in frame["student_id"]]
    frame["item_id"] = frame["item_id"].map(items).astype("float64")
    roster = tmp_path / "roster.jsonl"
    lines = []
    for line in district.profiles.read_text().splitlines():
        doc = json.loads(line)
        doc["student_id"] = str(number.get(doc["student_id"], doc["student_id"]))
        lines.append(json.dumps(doc))
    roster.write_text("\n".join(lines) + "\n")
    one = frame.assign(skill_ids=[f" {skills[0]}" for skills in frame["skill_ids"]])
    joined = frame.assign(skill_ids=[" ; ".join(skills) + ";" for skills in frame["skill_ids"]])
    for name, log, mapping in (("one", one, None), ("joined", joined, {"skills_sep": ";"})):
        data = tmp_path / f"{name}.parquet"
        log.to_parquet(data)
        args = district.job_args(data=data, profiles=roster, mapping=mapping, k=5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NightWarning)
            ours = run_daily_job(DAY_1, tmp_path / f"{name}-spark", engine="spark", **args)
            theirs = run_daily_job(DAY_1, tmp_path / f"{name}-local", **args)
        got = parquet_files(tmp_path / f"{name}-spark", DAY_1)
        want = parquet_files(tmp_path / f"{name}-local", DAY_1)
        assert got and got.keys() == want.keys(), name
        assert [k for k in want if got[k] != want[k]] == [], name
        assert ours.students_without_profile == theirs.students_without_profile, name
    served = pd.read_parquet(tmp_path / "one-spark" / "students" / f"date={DAY_1}")
    assert f"{number[students[0]]}" in set(served["student_id"])


def test_profiles_with_padded_student_ids_are_read_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A Spark operator's trial: a roster whose student ids were padded (" s1 ", a no-break
    space from a spreadsheet) matched the log's "s1" in-process (`LearnerProfile` trims them),
    not on Spark: such a student was served twice, in the profile's school without the log's
    answers and as unassigned with them, and a teacher's override for them was skipped as
    for a student who left. Both engines now read them alike: the same bytes, the override
    applied."""
    lines = []
    for i, line in enumerate(district.profiles.read_text().splitlines()):
        doc = json.loads(line)
        pad = PADDINGS[i % len(PADDINGS)]
        doc["student_id"] = f"{pad}{doc['student_id']}{PADDINGS[(i + 1) % len(PADDINGS)]}"
        lines.append(json.dumps(doc, ensure_ascii=i % 2 == 0))
    roster = tmp_path / "padded.jsonl"
    roster.write_text("\n".join(lines) + "\n")
    student = json.loads(lines[1])["student_id"].strip()
    overrides = tmp_path / "overrides.json"
    doc = {"format": "adaptive-overrides", "version": 1, "date": DAY_1,
           "students": {student: {"mode": "remediate"}}}  # fmt: skip
    overrides.write_text(json.dumps(doc))
    args = district.job_args(data=district.responses, profiles=roster, overrides=overrides, k=5)
    ours, theirs = same_bytes_on_both_engines(args, tmp_path)
    assert ours.students_without_profile == theirs.students_without_profile
    assert ours.students_served == theirs.students_served
    assert ours.override_students == theirs.override_students == 1


def test_a_log_column_of_a_type_the_reader_refuses_is_its_error_before_spark(tmp_path):
    """A boolean student column (a wrong export) was served on Spark as text of its own; the
    in-process reader refuses it. Spark now checks the file's footer as that reader does, with
    its error, before Spark starts. No JVM needed."""
    from adaptive.batch.spark_job import _parquet_log
    from adaptive.data import read_responses
    from adaptive.errors import DataValidationError

    path = tmp_path / "log.parquet"
    pd.DataFrame(
        {"student_id": [True], "item_id": ["i"], "skill_ids": [["k"]], "correct": [1],
         "timestamp": pd.to_datetime(["2024-09-01"], utc=True)}
    ).to_parquet(path)  # fmt: skip
    errors = []
    for read in (_parquet_log, read_responses):
        with pytest.raises(DataValidationError) as caught:
            read(path, None)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert "column 'student_id': got 'Parquet type bool'; expected a text" in errors[0]


def test_a_bad_profiles_file_is_refused_on_spark_as_in_process_before_any_school(
    spark_ready, district, tmp_path
):
    """A Spark operator's trial: a roster with one student on two lines (two enrollment
    records, in two schools) was served on Spark, that student twice, once in each school, and
    a line that is no profile ended the night on an executor, after other schools were
    written. In-process both are one error naming the lines. Spark now checks the file on the
    driver first: the same error, and no school's folder written."""
    lines = district.profiles.read_text().splitlines()
    moved = {**json.loads(lines[0]), "school_id": "another-school"}
    bad = {**json.loads(lines[1]), "grade": "fourth"}
    rosters = {
        "twice": [*lines, json.dumps(moved)],
        "not a profile": [json.dumps(bad), *lines[2:]],
    }
    for name, rows in rosters.items():
        roster = tmp_path / f"{name}.jsonl"
        roster.write_text("\n".join(rows) + "\n")
        args = district.job_args(data=district.responses, profiles=roster, k=5)
        errors = []
        for engine in ("spark", "local"):
            out = tmp_path / engine / name
            with pytest.raises(ConfigError) as caught:
                run_daily_job(DAY_1, out, engine=engine, **args)
            errors.append(str(caught.value))
            assert not list(out.glob("recommendations/date=*/*")), (engine, name)
        assert errors[0] == errors[1], name
        assert f"{roster}, line {len(lines) + 1 if name == 'twice' else 1}" in errors[0], name


def test_a_profiles_file_with_a_byte_order_mark_is_read_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A roster saved by a spreadsheet as "UTF-8 with BOM": the in-process reader skips the
    mark, and so does Spark's text reader (Hadoop's line reader): the same bytes. A check
    left open by an earlier trial, found to hold; kept so that it goes on holding."""
    roster = tmp_path / "bom.jsonl"
    roster.write_bytes(b"\xef\xbb\xbf" + district.profiles.read_bytes())
    args = district.job_args(data=district.responses, profiles=roster, k=5)
    ours, theirs = same_bytes_on_both_engines(args, tmp_path)
    assert ours.students_without_profile == theirs.students_without_profile


def test_a_log_with_times_as_text_or_numbers_is_refused_on_spark_with_the_conversion(
    spark_ready, district, tmp_path
):
    """A Spark operator's trial: a Parquet log whose times are text ("28/09/2026 10:00:00",
    read in-process with --time-format) or epoch seconds (--time-unit s) ended the Spark night
    in a Spark cast error. It is refused now before Spark starts, naming the column and the
    command that converts it; the converted log is served as the in-process engine serves
    the original."""
    from typer.testing import CliRunner

    from adaptive.cli import app

    frame = district.log.frame.copy()
    times = pd.to_datetime(frame["timestamp"], utc=True)
    logs = {
        "text": (times.dt.strftime("%d/%m/%Y %H:%M:%S"), {"time_format": "%d/%m/%Y %H:%M:%S"}),
        "epoch": (times.astype("int64") // 10**9, {"time_unit": "s"}),
    }
    for name, (column, mapping) in logs.items():
        data = tmp_path / f"{name}.parquet"
        frame.assign(timestamp=column).to_parquet(data)
        for given in (mapping, None):
            args = district.job_args(data=data, mapping=given, k=5)
            with pytest.raises(ConfigError, match="column 'timestamp': got .* convert it first"):
                run_daily_job(DAY_1, tmp_path / f"{name}-spark", engine="spark", **args)
        assert not (tmp_path / f"{name}-spark" / "recommendations").exists()
    converted = tmp_path / "converted.parquet"
    option = ["--time-format", "%d/%m/%Y %H:%M:%S"]
    done = CliRunner().invoke(app, ["validate", str(tmp_path / "text.parquet"), *option, "--out", str(converted), "-q"])  # fmt: skip
    assert done.exit_code == 0, done.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NightWarning)
        run_daily_job(DAY_1, tmp_path / "spark", engine="spark", **district.job_args(data=converted, k=5))  # fmt: skip
        args = district.job_args(data=tmp_path / "text.parquet", mapping=logs["text"][1], k=5)
        run_daily_job(DAY_1, tmp_path / "local", **args)
    got, want = parquet_files(tmp_path / "spark", DAY_1), parquet_files(tmp_path / "local", DAY_1)
    assert got and got.keys() == want.keys()
    assert [k for k in want if got[k] != want[k]] == []


def test_the_spark_driver_reads_overrides_as_in_process_typos_classes_and_later_files(tmp_path):
    """The Spark driver keeps only the profiles of the students a file names: a typo'd id
    ("stu000027" for "stu0000027") could not be matched to a classmate there, a file without
    `class_id` must still count as its class's, and a file dated after the night is said once,
    by the night's check (`classes_dropped`). Both engines now read them alike. No JVM
    needed."""
    from adaptive.batch.overrides import OverridesError, read_overrides
    from adaptive.batch.spark_job import _overrides
    from adaptive.curriculum import LearnerProfile, Skill

    catalog = Catalog([Skill("s3", "three", grade=3)], [Activity("a3", "A3", ("s3",), grade=3)])
    ids = ["stu0000002", "stu0000027", "stu0000040"]
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text(
        "".join(json.dumps({"student_id": s, "grade": 3, "class_id": "g3A"}) + "\n" for s in ids)
    )
    in_process = {s: LearnerProfile(s, grade=3, class_id="g3A") for s in ids}
    doc = {"format": "adaptive-overrides", "version": 1, "date": DAY_1,
           "students": {"stu0000002": {"mode": "remediate"}, "stu000027": {"excluded": ["a3"]}}}  # fmt: skip
    for klass in ("g3A", None):
        path = tmp_path / f"typo-{klass}.json"
        path.write_text(json.dumps({**doc, **({"class_id": klass} if klass else {})}))
        with pytest.raises(OverridesError) as caught:  # strict: the check before a night
            read_overrides(path, catalog, in_process, night=DAY_1)
        assert "did you mean 'stu0000027' of " in str(caught.value)
        said = []  # each night sets the file aside, saying the same (no student id)
        for read in (
            lambda p: _overrides(p, catalog, profiles, DAY_1),
            lambda p: read_overrides(p, catalog, in_process, night=DAY_1, strict=False),
        ):
            with pytest.warns(NightWarning) as caught_warnings:
                got = read(path)
            assert len(got) == 0 and [f.classes for f in got.set_aside] == [(("", "g3A"),)]
            said.append(str(caught_warnings[0].message))
        assert said[0] == said[1] and "did you mean '<student id>' of " in said[0]
        assert "stu00000" not in said[0]
    no_class = tmp_path / "no_class.json"
    no_class.write_text(json.dumps({**doc, "students": {"stu0000027": {}}}))
    assert _overrides(no_class, catalog, profiles, DAY_1).classes == {("", "g3A"): ("stu0000027",)}
    later = tmp_path / "later.json"
    later.write_text(json.dumps({**doc, "class_id": "g3A", "date": DAY_2,
                                 "students": {"stu0000027": {}}}))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error", NightWarning)
        got = _overrides(later, catalog, profiles, DAY_1)
    assert len(got) == 0 and [(f.classes, f.warned) for f in got.later] == [((("", "g3A"),), False)]
    # a folder with a stray entry beside a good file: both engines apply the good file
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "good.json").write_text(json.dumps({**doc, "class_id": "g3A",
                                                  "students": {"stu0000027": {}}}))  # fmt: skip
    (folder / "notes.csv").write_text("student_id,excluded\n")
    for read in (
        lambda p: _overrides(p, catalog, profiles, DAY_1),
        lambda p: read_overrides(p, catalog, in_process, night=DAY_1, strict=False),
    ):
        with pytest.warns(NightWarning, match="notes.csv"):
            got = read(folder)
        assert list(got.students) == ["stu0000027"] and len(got.set_aside) == 1


def test_an_experiment_of_none_of_the_districts_classes_is_refused_on_both_engines(
    spark_ready, district, tmp_path
):
    """The in-process engine refused a night whose assignment holds none of the profiles'
    classes (another year's file), but the Spark engine served it under the experiment's
    name with a warning: both refuse it now, before anything is written, with the same words."""
    from adaptive.batch.job import read_profiles
    from adaptive.experiment.assign import AssignmentError, assign
    from adaptive.policy import PolicyConfig

    roster = tmp_path / "last_year.jsonl"
    lines = []
    for line in district.profiles.read_text().splitlines():
        doc = json.loads(line)
        doc["class_id"] = f"y2025-{doc['class_id']}"
        lines.append(json.dumps(doc))
    roster.write_text("\n".join(lines) + "\n")
    arms = {"control": PolicyConfig.default(), "new": PolicyConfig(weights={"interest": 0.0})}
    ghost = assign(read_profiles(roster), arms, seed=1).save(tmp_path / "ghost.json")
    args = district.job_args(data=district.responses, k=5, experiment=ghost)
    said = []
    for engine in ("spark", "local"):
        out = tmp_path / engine
        with pytest.raises(AssignmentError) as caught:
            if engine == "spark":
                run_daily_job(DAY_1, out, engine="spark", master="local[2]", **args)
            else:
                run_daily_job(DAY_1, out, **args)
        said.append(str(caught.value))
        assert not (out / "recommendations").exists()
    assert said[0] == said[1] and "0 of the profiles'" in said[0], said


def test_a_first_night_answering_for_few_of_the_roster_is_said_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A user trial: a first night on a log of one student served the rest of the roster from
    placement alone without a word; both engines say it in the same words."""
    frame = district.log.frame
    data = tmp_path / "one.parquet"
    frame[frame["student_id"] == frame["student_id"].iloc[0]].to_parquet(data)
    ours, theirs = night_warnings(district, tmp_path, data, "holds answers for 1 of the")
    assert ours == theirs and len(ours) == 1


def said_on_both(district, tmp_path, words: str, **args) -> tuple[list[str], list[str]]:
    """Every warning (of any kind, as "Kind: message") holding `words` of the night of DAY_1,
    on Spark and in-process, with the district's inputs and `args`."""

    def said(folder: str, **engine) -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run_daily_job(DAY_1, tmp_path / folder, **engine, **district.job_args(k=5, **args))
        return [f"{w.category.__name__}: {w.message}" for w in caught if words in str(w.message)]

    return said("spark", engine="spark", master="local[2]"), said("local")


@pytest.mark.parametrize("written", ["naive times", "dates"])
def test_a_logs_naive_times_or_dates_in_another_zone_are_said_on_spark_as_in_process(
    spark_ready, district, tmp_path, written
):
    """A night cut at midnight in Chicago of a log whose times carry no offset (a Parquet
    timestamp without a zone: read as UTC), or of dates alone: the Spark driver said neither
    (it never read the log's times for it). Now the one check of both engines, from the
    footer's type and the times until one is no date."""
    frame = district.log.frame.copy()
    stamps = frame["timestamp"]
    frame["timestamp"] = stamps.dt.tz_localize(None) if written == "naive times" else stamps
    if written == "dates":
        frame["timestamp"] = stamps.dt.normalize()
        frame = frame.drop_duplicates(["student_id", "item_id", "timestamp"])
    data = tmp_path / "log.parquet"
    frame.to_parquet(data, row_group_size=2_000)
    words = "no UTC offset" if written == "naive times" else "dated by its day alone"
    ours, theirs = said_on_both(district, tmp_path, words, data=data, timezone="America/Chicago")
    assert ours == theirs and len(ours) == 1 and ours[0].startswith("NightWarning: ")


def test_profile_topics_and_goals_the_catalog_lacks_are_said_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A roster whose interests say 'SPORTS' where the catalog says 'sports' (and a goal on a
    misspelt skill): the in-process night names them with the name each likely means, the
    Spark driver said nothing. Now the same `check_profiles`, in the driver's one streamed
    pass over the roster."""
    catalog = Catalog.from_json(district.catalog)
    topic, skill = catalog.topics[0], catalog.skills[0].id
    lines = district.profiles.read_text().splitlines()
    edited = []
    for i, line in enumerate(lines):
        profile = json.loads(line)
        if i < 3:
            profile["interests"] = {topic.upper(): 1.0}
            profile["goal_skills"] = [skill + "x"]
        edited.append(json.dumps(profile))
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text("\n".join(edited) + "\n")
    ours, theirs = said_on_both(
        district, tmp_path, "interest topic", data=district.responses, profiles=profiles
    )
    assert ours == theirs and len(ours) == 1, (ours, theirs)
    assert ours[0].startswith("CoverageWarning: profiles: "), ours[0]
    assert f"{topic.upper()!r} (3 students; did you mean {topic!r}?)" in ours[0], ours[0]
    assert f"{skill + 'x'!r} (3 students; did you mean {skill!r}?)" in ours[0], ours[0]


def test_students_placed_from_a_mistaken_roster_are_not_served_on_spark_as_in_process(
    spark_ready, district, tmp_path
):
    """A night served with last year's roster placed graduates the log never heard of; on the
    next nights with the right roster they are kept in the state and not served, on Spark as
    in-process (each school partition finds its own), with the same warning and bytes."""
    data = tmp_path / "log.parquet"
    district.log.frame.to_parquet(data)
    args = district.job_args(data=data, k=5)
    lines = district.profiles.read_text().splitlines()
    ids = [f"ly{i:05d}" for i in range(5)]
    last_year = tmp_path / "ly.jsonl"
    last_year.write_text(
        "\n".join([*lines, *(json.dumps({**json.loads(lines[0]), "student_id": s}) for s in ids)])
        + "\n"
    )
    said: dict[str, list[str]] = {}
    for engine, out in (("spark", tmp_path / "spark"), ("local", tmp_path / "local")):
        on = {"engine": "spark", "master": "local[2]"} if engine == "spark" else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NightWarning)
            run_daily_job(DAY_1, out, **on, **{**args, "profiles": last_year})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run_daily_job(DAY_2, out, **on, **args)
        said[engine] = [
            str(w.message).replace(str(out), "OUT")
            for w in caught
            if "earlier night's roster" in str(w.message)
        ]
        served = pd.read_parquet(out / "students" / f"date={DAY_2}")["student_id"]
        assert not set(ids) & set(served)
    assert said["spark"] == said["local"] and len(said["local"]) == 1
    assert said["local"][0].startswith(f"5 students the state holds from an earlier night's "
                                       f"roster (first served on the night of {DAY_1})")  # fmt: skip
    got, want = parquet_files(tmp_path / "spark", DAY_2), parquet_files(tmp_path / "local", DAY_2)
    assert got and got.keys() == want.keys()
    assert [k for k in want if got[k] != want[k]] == []
