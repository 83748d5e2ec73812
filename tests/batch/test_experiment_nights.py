"""Nights of an experiment as an evaluation office runs them (the trial of stop 38): a student
whose class changed across arms is served the other arm without a word otherwise."""

from __future__ import annotations

import dataclasses
import json
import shutil
import warnings

import pytest

from adaptive.batch import run_daily_job
from adaptive.batch.job import read_profiles
from adaptive.errors import NightWarning
from adaptive.experiment.assign import assign
from adaptive.policy import PolicyConfig


def test_a_student_moved_into_the_other_arm_is_counted(district, tmp_path) -> None:
    profiles = read_profiles(district.profiles)
    arms = {"control": PolicyConfig.default(), "new": PolicyConfig.default()}
    a = assign(profiles, arms, seed=1)
    path = a.save(tmp_path / "exp.json")
    out = tmp_path / "out"
    run_daily_job("2026-09-29", out, **district.job_args(experiment=path))
    ids = list(profiles)
    arm_of = dict(zip(a.units["unit_id"], a.units["arm"], strict=True))
    mover = ids[0]
    other = next(p.class_id for p in profiles.values()
                 if p.school_id == profiles[mover].school_id
                 and arm_of.get(p.class_id) not in (None, arm_of.get(profiles[mover].class_id)))  # fmt: skip
    moved = dict(profiles)
    moved[mover] = dataclasses.replace(profiles[mover], class_id=other)
    roster = tmp_path / "profiles.jsonl"
    roster.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in moved.values()))
    args = district.job_args(experiment=path, profiles=roster)
    with pytest.warns(NightWarning, match="1 student is served another arm of the experiment"):
        run_daily_job("2026-09-30", out, **args)


@pytest.mark.spark
def test_a_student_moved_into_the_other_arm_is_counted_on_spark_as_in_process(
    district, tmp_path
) -> None:
    """The Spark engine did not count them (its driver holds no profiles); it counts them on
    the cluster, joining the two nights' students tables (only the count reaches the driver,
    which held a dict of the district's classes and schools for this in stops 43-44)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the Spark engine needs a JVM (Java 17)")
    profiles = read_profiles(district.profiles)
    arms = {"control": PolicyConfig.default(), "new": PolicyConfig.default()}
    a = assign(profiles, arms, seed=1)
    path = a.save(tmp_path / "exp.json")
    arm_of = dict(zip(a.units["unit_id"], a.units["arm"], strict=True))
    movers = list(profiles)[:2]
    moved = dict(profiles)
    for mover in movers:
        other = next(p.class_id for p in profiles.values()
                     if p.school_id == profiles[mover].school_id
                     and arm_of.get(p.class_id) not in (None, arm_of.get(profiles[mover].class_id)))  # fmt: skip
        moved[mover] = dataclasses.replace(profiles[mover], class_id=other)
    roster = tmp_path / "profiles.jsonl"
    roster.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in moved.values()))
    for engine in ("spark", "local"):
        out = tmp_path / engine
        first = district.job_args(data=district.responses, experiment=path)
        run_daily_job("2026-09-29", out, engine=engine, **first)
        args = district.job_args(data=district.responses, experiment=path, profiles=roster)
        with pytest.warns(NightWarning, match="2 students are served another arm"):
            run_daily_job("2026-09-30", out, engine=engine, **args)


@pytest.mark.spark
def test_an_assignment_of_another_roster_is_warned_of_on_spark_as_in_process(
    district, tmp_path
) -> None:
    """A district evaluator's trial: an assignment drawn from another district's profiles was
    served with only a count of students outside it ("a new class or school?"). Both engines
    now say it was drawn from other profiles than tonight's, with the same count."""
    from adaptive.errors import ExperimentWarning

    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the Spark engine needs a JVM (Java 17)")
    profiles = read_profiles(district.profiles)
    first_class = sorted({p.class_id for p in profiles.values()})[0]
    roster = tmp_path / "drawn_from.jsonl"
    roster.write_text(
        "".join(
            json.dumps(p.to_dict()) + "\n" for p in profiles.values() if p.class_id != first_class
        )
    )
    arms = {"control": PolicyConfig.default(), "new": PolicyConfig(weights={"interest": 0.0})}
    path = assign(roster, arms, seed=1).save(tmp_path / "exp.json")
    in_class = sum(p.class_id == first_class for p in profiles.values())
    said = {}
    for engine in ("spark", "local"):
        args = district.job_args(data=district.responses, experiment=path)
        with pytest.warns(ExperimentWarning, match="drawn from other profiles than tonight's") as w:
            s = run_daily_job("2026-09-29", tmp_path / engine, engine=engine, **args)
        said[engine] = [str(m.message) for m in w if "drawn from other" in str(m.message)]
        outside, served = s.students_outside_experiment, s.students_served
        assert outside >= in_class  # and the log's students without a profile
        without = s.students_without_profile
        assert said[engine][0].startswith(f"{outside - without:,} of tonight's {served:,} students")
    assert said["spark"] == said["local"]


def test_a_night_that_forgets_the_experiment_says_it_ends_it(district, tmp_path) -> None:
    """A trial: the night after an experiment's night, served without `--experiment` (a cron
    line that lost it), put every student back on the policy without arms with no word (a
    re-run of a served night warned; a next night did not); `experiment analyze` then refused
    the window."""
    profiles = read_profiles(district.profiles)
    arms = {"control": PolicyConfig.default(), "new": PolicyConfig.default()}
    path = assign(profiles, arms, seed=1).save(tmp_path / "exp.json")
    out = tmp_path / "out"
    run_daily_job("2026-09-29", out, **district.job_args(experiment=path))
    with pytest.warns(NightWarning, match=r"the night 2026-09-29 served an experiment .* "
                      r"tonight \(2026-09-30\) serves none"):  # fmt: skip
        run_daily_job("2026-09-30", out, **district.job_args())


def test_a_redrawn_assignment_is_named_not_blamed_on_class_changes(district, tmp_path) -> None:
    """A trial: an assignment drawn again (`assign --force`, another seed) and served the next
    night moved half the district across arms, and the warning said "their class or school
    changed across arms" (no student had). The night now names both assignments, and the
    count says why."""
    profiles = read_profiles(district.profiles)
    arms = {"control": PolicyConfig.default(), "new": PolicyConfig.default()}
    first = assign(profiles, arms, seed=1).save(tmp_path / "exp.json")
    out = tmp_path / "out"
    run_daily_job("2026-09-29", out, **district.job_args(experiment=first))
    redrawn = assign(profiles, arms, seed=5).save(tmp_path / "exp5.json")
    with pytest.warns(NightWarning) as said:
        run_daily_job("2026-09-30", out, **district.job_args(experiment=redrawn))
    text = " | ".join(str(w.message) for w in said)
    assert "is another than the night 2026-09-29's" in text
    assert "tonight's assignment is another than that night's" in text
    assert "class or school changed" not in text
    # the same assignment the next night says nothing of either
    with warnings.catch_warnings(record=True) as quiet:
        warnings.simplefilter("always")
        run_daily_job("2026-10-01", out, **district.job_args(experiment=redrawn))
    assert not [w for w in quiet if "assignment" in str(w.message)]


@pytest.mark.parametrize("roster_kind", ["jsonl", "csv"])
def test_an_assignment_of_none_of_the_classes_is_refused_before_the_log_is_read(
    district, tmp_path, monkeypatch, roster_kind
) -> None:
    """A review: the in-process night refused an assignment of none of the district's classes
    (another year's file) only after reading the log, the night's peak of time and memory;
    the Spark driver refused it first. Refused before the log is read, from the profiles file
    read one row at a time (a JSON-lines or CSV roster alike); a profiles file with a bad row
    still gets `read_profiles`' own error, not a traceback."""
    import pandas as pd

    import adaptive.batch.job as job
    from adaptive.errors import ConfigError
    from adaptive.experiment.assign import AssignmentError

    profiles = read_profiles(district.profiles)
    last_year = {s: dataclasses.replace(p, class_id=f"y2025-{p.class_id}")
                 for s, p in profiles.items()}  # fmt: skip
    arms = {"control": PolicyConfig.default(), "new": PolicyConfig.default()}
    ghost = assign(last_year, arms, seed=1).save(tmp_path / "ghost.json")

    def log_read(*args, **kwargs):
        raise AssertionError("the log was read before the assignment was checked")

    monkeypatch.setattr(job, "_read_log_and_records", log_read)
    roster = district.profiles
    if roster_kind == "csv":
        roster = tmp_path / "profiles.csv"
        rows = [{"student_id": p.student_id, "grade": p.grade, "school_id": p.school_id,
                 "class_id": p.class_id} for p in profiles.values()]  # fmt: skip
        pd.DataFrame(rows).to_csv(roster, index=False)
    args = district.job_args(experiment=ghost, profiles=roster)
    with pytest.raises(AssignmentError, match="0 of the profiles' .* classes"):
        run_daily_job("2026-09-29", tmp_path / "out", **args)
    assert not (tmp_path / "out" / "recommendations").exists()
    monkeypatch.undo()  # a file that does not read: the check waits for read_profiles
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n" + district.profiles.read_text())
    with pytest.raises(ConfigError, match=f"{bad}, line 1"):
        run_daily_job(
            "2026-09-29", tmp_path / "out", **district.job_args(experiment=ghost, profiles=bad)
        )
