"""The daily job: incremental = full recompute, idempotent, resumable, quarantine, MLflow summary."""

from __future__ import annotations

import errno
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from adaptive.batch import run_daily_job
from adaptive.batch.history import StudentHistory
from adaptive.batch.snapshot import load_snapshot
from adaptive.curriculum import Catalog
from adaptive.data import load_log_report
from adaptive.errors import ArtifactError, ConfigError, DataValidationError, NightWarning
from adaptive.policy.adapter import history_features
from adaptive.registry.store import tracking

DAY_1, DAY_2 = "2026-09-28", "2026-10-05"


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_incremental_update_equals_recompute_from_full_history(district, tmp_path, monkeypatch):
    monkeypatch.setattr("adaptive.batch.job.CHUNK_STUDENTS", 300)  # absorb in chunks of students
    incremental = tmp_path / "incremental"
    first = run_daily_job(DAY_1, incremental, **district.job_args())
    second = run_daily_job(DAY_2, incremental, **district.job_args())
    assert first.state_rebuilt and not second.state_rebuilt and second.previous_snapshot == DAY_1
    cut1, cut2 = (pd.Timestamp(d, tz="UTC") for d in (DAY_1, DAY_2))
    ts = district.log.frame["timestamp"]
    assert second.new_responses == int(((ts >= cut1) & (ts < cut2)).sum()) > 0  # only the new ones

    full = tmp_path / "full"
    recomputed = run_daily_job(DAY_2, full, **district.job_args())
    assert recomputed.state_rebuilt and recomputed.previous_snapshot is None
    a, b = load_snapshot(incremental / "state", DAY_2), load_snapshot(full / "state", DAY_2)
    assert a.tracer.students == b.tracer.students
    for name, values in a.tracer.arrays.items():
        np.testing.assert_allclose(values, b.tracer.arrays[name], rtol=0, atol=1e-12)
    for name in ("n_responses", "streak", "last_practiced", "outcomes", "first_correct"):
        np.testing.assert_array_equal(getattr(a.history, name), getattr(b.history, name))
    same = {k: v for k, v in files(incremental / "recommendations").items() if f"date={DAY_2}" in k}
    assert same and same == {k: v for k, v in files(full / "recommendations").items()}


def test_next_night_reads_only_new_parquet_rows_and_equals_recompute(district, tmp_path):
    """With a reusable snapshot the Parquet log is read from its cutoff on only; the output is
    still byte-identical to a full recompute from the whole file."""
    args = district.job_args(data=district.responses)
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    run_daily_job(DAY_1, incremental, **args)
    second = run_daily_job(DAY_2, incremental, **args)
    recomputed = run_daily_job(DAY_2, full, **args)
    assert not second.state_rebuilt and recomputed.state_rebuilt
    for table in ("recommendations", "students"):
        got = {k: v for k, v in files(incremental / table).items() if f"date={DAY_2}" in k}
        assert got and got == files(full / table)

    cut = pd.Timestamp(DAY_1, tz="UTC")
    log, report = load_log_report(district.responses, since=cut.value)
    ts = district.log.frame["timestamp"]
    assert report.rows_read == len(log) == int((ts >= cut).sum()) < len(ts)
    want = district.log.take_rows((ts >= cut).to_numpy()).frame
    for column in ("student_id", "item_id", "correct", "timestamp"):
        assert log.frame[column].tolist() == want[column].tolist()


@pytest.mark.parametrize("source", ["parquet", "parts", "memory"])
def test_answers_that_arrive_late_dated_before_the_snapshot_are_not_skipped(
    district, tmp_path, source
):
    """A device that syncs late: rows dated before the last snapshot's cutoff reach the log
    after that night. The next night read only the rows after the cutoff and never traced
    them, without a word. Now the night notices that the log before the cutoff changed (the
    Parquet rows from the file's statistics; the responses of a log read in full), says so and
    rebuilds the state from every response: the same output as a recompute."""
    ts = district.log.frame["timestamp"]
    cut1 = pd.Timestamp(DAY_1, tz="UTC")
    late = np.flatnonzero((ts < cut1).to_numpy())[-40:]  # answered before night 1, synced after
    early = np.ones(len(ts), bool)
    early[late] = False
    logs = {"night 1": district.log.take_rows(early), "night 2": district.log}
    path = tmp_path / "responses.parquet"

    def data(night: str):
        if source == "memory":
            return logs[night]
        if source == "parts":  # a warehouse's folder: the late answers come as a new part
            folder = tmp_path / "log"
            folder.mkdir(exist_ok=True)
            first = logs["night 1"].frame
            for i, rows in enumerate(np.array_split(np.arange(len(first)), 2)):
                first.iloc[rows].to_parquet(folder / f"part-{i}.parquet", index=False)
            if night == "night 2":
                district.log.frame.iloc[late].to_parquet(folder / "part-2.parquet", index=False)
            return folder
        logs[night].frame.to_parquet(path)
        return path

    incremental, full = tmp_path / "incremental", tmp_path / "full"
    run_daily_job(DAY_1, incremental, **district.job_args(data=data("night 1")))
    with pytest.warns(NightWarning, match=r"before the last snapshot's cutoff .* changed .*\+40"):
        second = run_daily_job(DAY_2, incremental, **district.job_args(data=data("night 2")))
    assert second.state_rebuilt
    recomputed = run_daily_job(DAY_2, full, **district.job_args(data=data("night 2")))
    assert second.new_responses == recomputed.new_responses
    for table in ("recommendations", "students"):
        got = {k: v for k, v in files(incremental / table).items() if f"date={DAY_2}" in k}
        assert got and got == files(full / table)
    # a night with nothing late reuses its snapshot again
    third = run_daily_job("2026-10-08", incremental, **district.job_args(data=data("night 2")))
    assert not third.state_rebuilt


def test_history_absorbed_day_by_day_equals_history_features(district):
    catalog = Catalog.from_json(district.catalog)
    log = district.log
    day = log.frame["timestamp"].dt.floor("D").to_numpy()
    history = StudentHistory.empty(catalog)
    for d in np.unique(day):
        history.absorb(log.take_rows(day == d), catalog)
    ids = list(log.students)
    got, want = history.fields(ids), history_features(log, ids, catalog)
    for name in ("n_responses", "streak", "last_practiced", "progress"):
        np.testing.assert_allclose(got[name], getattr(want, name), rtol=0, atol=1e-12)
    for name in ("completed", "recent"):
        assert ((got[name] > 0) != (getattr(want, name) > 0)).nnz == 0
    # each skill's first answer, kept across days (the curriculum order's evidence)
    kept, first = history.first_answers(ids), want.first_answers
    assert len(kept[0]) == int((want.n_responses > 0).sum()) > 0
    key = np.lexsort((kept[1], kept[0])), np.lexsort((first[1], first[0]))
    for a, b in zip(kept, first, strict=True):
        np.testing.assert_array_equal(a[key[0]], b[key[1]])


def test_a_night_reads_the_curriculum_order_as_the_vendor_path_does(district, tmp_path):
    """Where the model's check says the district's knowledge follows the curriculum order, a
    night's batch (its history kept across nights, no log) carries the same level beliefs as
    `batch_from_model` given the whole log; a history saved before first answers were kept
    loads with none."""
    from adaptive.batch.job import student_batch
    from adaptive.curriculum import read_profiles
    from adaptive.placement.level import MIN_CHECK_ANSWERS, LevelFit
    from adaptive.policy import PolicyConfig
    from adaptive.policy.adapter import batch_from_model
    from adaptive.registry import load_version

    catalog = Catalog.from_json(district.catalog)
    log, profiles = district.log, read_profiles(district.profiles)
    model = load_version(
        district.job_args()["model_name"], version="1", tracking_uri=district.uri
    ).model
    model.curriculum_level_ = LevelFit(0.03, MIN_CHECK_ANSWERS, 0.004)
    ids = list(log.students)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state = model.init_state(ids)
        model.update(state, log)
    day = log.frame["timestamp"].dt.floor("D").to_numpy()
    history = StudentHistory.empty(catalog)
    for d in np.unique(day):
        history.absorb(log.take_rows(day == d), catalog)
    config = PolicyConfig.default()
    night = student_batch(model, state, history, catalog, profiles, ids, config)
    vendor = batch_from_model(model, state, catalog, profiles, log=log, student_ids=ids)
    assert night.level_known is not None and np.isfinite(night.level_known).any()
    np.testing.assert_allclose(night.level_known, vendor.level_known, rtol=0, atol=1e-6)
    history.save(tmp_path / "h.npz")
    np.testing.assert_array_equal(
        StudentHistory.load(tmp_path / "h.npz").first_correct, history.first_correct
    )
    # a snapshot saved before first answers were kept, then one more night: a skill answered
    # before keeps no first answer (tonight's is not its first), one first answered tonight does
    days = np.unique(day)
    before = StudentHistory.empty(catalog)
    for d in days[:-1]:
        before.absorb(log.take_rows(day == d), catalog)
    before.save(tmp_path / "h.npz")
    older = dict(np.load(tmp_path / "h.npz"))
    del older["first_correct"]
    np.savez(tmp_path / "old.npz", **older)
    upgraded = StudentHistory.load(tmp_path / "old.npz")
    assert (upgraded.first_correct == -1).all()
    upgraded.absorb(log.take_rows(day == days[-1]), catalog)
    answered_before = before.fields(upgraded.students)["n_responses"] > 0
    assert (upgraded.first_correct[answered_before] == -1).all()
    new_here = (upgraded.n_responses > 0) & ~answered_before
    assert new_here.any()
    np.testing.assert_array_equal(
        upgraded.first_correct[new_here],
        history.first_correct[history.rows(upgraded.students)][new_here],
    )


def test_rerun_is_byte_identical_and_serves_everyone_once(district, tmp_path):
    out = tmp_path / "out"
    summary = run_daily_job(district.last_day, out, **district.job_args(k=5))
    before = files(out / "recommendations")
    time.sleep(2.1)  # snapshot files written later differ in their zip timestamps, not in content
    again = run_daily_job(district.last_day, out, **district.job_args(k=5))
    assert files(out / "recommendations") == before
    assert again.partitions_resumed == summary.schools  # nothing recomputed, nothing duplicated

    recs = pd.read_parquet(out / "recommendations" / f"date={district.last_day}")
    students = pd.read_parquet(out / "students" / f"date={district.last_day}")
    roster = set(district.log.students) | {
        line.split('"student_id": "')[1].split('"')[0]
        for line in district.profiles.read_text().splitlines()
    }
    assert len(students) == summary.students_served == len(roster)
    assert students["student_id"].is_unique and set(students["student_id"]) == roster
    assert recs.groupby("student_id")["rank"].max().max() <= 5
    assert set(recs["student_id"]) <= roster and recs["sentence"].str.len().min() > 0
    assert summary.students_without_profile > 0 and "unassigned" in set(students["school_id"])
    assert summary.schools == 3

    # teacher tables: class x skill groups, and small groups sharing the next skill
    class_skills = pd.read_parquet(out / "class_skills" / f"date={district.last_day}")
    assert {"n_accelerate", "n_on_track", "n_remediate", "n_stuck"} <= set(class_skills.columns)
    assert set(class_skills["class_id"]) <= set(students["class_id"])
    groups = pd.read_parquet(out / "groups" / f"date={district.last_day}")
    assert len(groups) and groups["n_students"].between(2, 6).all()
    members = groups["student_ids"].str.split(";").explode()
    assert members.is_unique and set(members) <= roster
    first = recs[recs["rank"] == 1].set_index("student_id")["skill_id"]
    assert (
        first[members.to_numpy()].to_numpy() == groups.loc[members.index, "skill_id"].to_numpy()
    ).all()


def test_students_with_nothing_to_do_tonight_are_counted_not_lost(district, tmp_path):
    """A student whose weekly minutes fit no activity gets no recommendation: they had no row
    in the recommendations table and nothing said so (the summary counted them as served).
    Now the students table says `recommended` for everyone, the summary and its MLflow run
    count those with none, and the counts are the same when the night is resumed."""
    import json

    lines = district.profiles.read_text().splitlines()
    records = [json.loads(line) for line in lines]
    short = {r["student_id"] for r in records[:3]}
    for r in records[:3]:
        r["weekly_minutes"] = 1.0  # a fifth of a minute a day: no activity fits
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    out = tmp_path / "out"
    summary = run_daily_job(district.last_day, out, **district.job_args(k=3, profiles=profiles))
    students = pd.read_parquet(out / "students" / f"date={district.last_day}")
    recs = pd.read_parquet(out / "recommendations" / f"date={district.last_day}")
    per_student = recs.groupby("student_id").size()
    n = students.set_index("student_id")["recommended"]
    assert (n.reindex(per_student.index) == per_student).all() and n.sum() == len(recs)
    assert set(n.index[n == 0]) == short and not short & set(recs["student_id"])
    assert summary.students_without_recommendations == 3
    run = MlflowClient(tracking_uri=district.uri).get_run(summary.run_id)
    assert run.data.metrics["students_without_recommendations"] == 3
    again = run_daily_job(district.last_day, out, **district.job_args(k=3, profiles=profiles))
    assert again.partitions_resumed == again.schools
    assert again.students_without_recommendations == 3


def test_killed_midway_the_next_run_completes_without_duplicates(district, tmp_path):
    reference = tmp_path / "reference"
    run_daily_job(district.last_day, reference, **district.job_args(k=5))

    out = tmp_path / "crashy"

    def crash_after_first(school: str) -> None:
        raise KeyboardInterrupt(f"killed after {school}")

    with pytest.raises(KeyboardInterrupt):
        run_daily_job(
            district.last_day,
            out,
            **district.job_args(k=5, on_partition=crash_after_first, workers=1),
        )
    done = len(list((out / "recommendations").rglob("*.parquet")))
    assert done == 1 and not list((out / "recommendations").rglob("_SUCCESS.json"))
    resumed = run_daily_job(district.last_day, out, **district.job_args(k=5))
    assert (
        resumed.partitions_resumed == done and resumed.partitions_written == resumed.schools - done
    )
    assert files(out / "recommendations") == files(reference / "recommendations")
    assert files(out / "students") == files(reference / "students")


def test_bad_rows_stop_the_job_or_go_to_quarantine(district, tmp_path):
    frame = pd.read_parquet(district.responses)
    frame.loc[3, "correct"] = 7
    bad = tmp_path / "responses.parquet"
    frame.to_parquet(bad)
    with pytest.raises(DataValidationError, match="correct"):
        run_daily_job(district.last_day, tmp_path / "stop", **district.job_args(data=bad))
    quarantine = tmp_path / "quarantine.csv"
    summary = run_daily_job(
        district.last_day, tmp_path / "q", **district.job_args(data=bad, quarantine=quarantine)
    )
    assert summary.rows_quarantined == 1 and quarantine.is_file()


def test_summary_run_in_mlflow(district, tmp_path):
    summary = run_daily_job(district.last_day, tmp_path / "out", **district.job_args(k=3))
    run = MlflowClient(tracking_uri=district.uri).get_run(summary.run_id)
    assert run.data.metrics["students_served"] == summary.students_served
    assert 0.0 <= run.data.metrics["share_stuck"] <= 1.0
    assert run.data.params["date"] == district.last_day
    assert run.info.status == "FINISHED" and run.info.run_name == f"batch-{district.last_day}"
    text = " ".join([*run.data.params.values(), *run.data.tags.values()])
    assert not any(s in text for s in district.log.students[:50])
    assert summary.skill_counts.sum() == len(pd.read_parquet(tmp_path / "out" / "recommendations"))


def test_a_failed_night_leaves_no_summary_run(district, tmp_path, monkeypatch):
    """The summary run is opened while the night is read; a night that fails deletes it, so the
    batch experiment lists only nights that completed: here a failure while serving, and a
    model without a champion (the registry answered, the run was opened after it)."""
    import adaptive.batch.job as job

    def failing_serve(*args, **kwargs):
        time.sleep(2)  # the registry's process opens the run meanwhile
        raise RuntimeError("disk full")

    def runs() -> int:
        client = MlflowClient(tracking_uri=district.uri)
        experiment = client.get_experiment_by_name(job.BATCH_EXPERIMENT)
        return 0 if experiment is None else len(client.search_runs([experiment.experiment_id]))

    before = runs()
    with pytest.raises(ArtifactError, match="no alias @champion"):
        run_daily_job(district.last_day, tmp_path / "a", **district.job_args(model_name="nobody"))
    monkeypatch.setattr(job, "_serve_date", failing_serve)
    with pytest.raises(RuntimeError, match="disk full"):
        run_daily_job(district.last_day, tmp_path / "b", **district.job_args())
    assert runs() == before


def _batch_runs(uri: str) -> list:
    """Every run of the batch experiment, deleted ones too (MLflow keeps them, with their
    status, until a garbage collection)."""
    from mlflow.entities import ViewType

    import adaptive.batch.job as job

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(job.BATCH_EXPERIMENT)
    if experiment is None:
        return []
    return client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL)


def test_a_night_refused_on_its_inputs_leaves_no_mlflow_run(district, tmp_path, monkeypatch):
    """A trial: every night refused on its inputs (a missing log, a renamed column, a raw
    roster as --profiles, no such model) left a run RUNNING in the store (deleted, never
    ended), which later nights never cleaned up. The run is now opened once the inputs are
    checked: such a night leaves none. A night that fails after (here while serving) ends its
    run FAILED with the reason before deleting it."""
    from adaptive.batch import writer
    from adaptive.errors import AdaptiveError

    before = {r.info.run_id for r in _batch_runs(district.uri)}
    csv = tmp_path / "log.csv"
    district.log.frame.to_csv(csv, index=False)
    roster = tmp_path / "sis_roster.csv"
    roster.write_text("SIS ID,Grade Level\n000001,3\n")
    refused = [
        {"data": tmp_path / "missing.csv"},
        {"data": csv, "mapping": {"student_id": "StudentID"}},
        {"profiles": roster},
        {"model_name": "nosuch"},
    ]
    for i, given in enumerate(refused):
        with pytest.raises(AdaptiveError):
            run_daily_job(district.last_day, tmp_path / f"out{i}", **district.job_args(**given))
    assert {r.info.run_id for r in _batch_runs(district.uri)} == before

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/out/students/school=s1")

    monkeypatch.setattr(writer, "prepare_date", disk_full)
    with pytest.raises(OSError, match="No space left on device"):
        run_daily_job(district.last_day, tmp_path / "full", **district.job_args())
    (failed,) = [r for r in _batch_runs(district.uri) if r.info.run_id not in before]
    assert failed.info.status == "FAILED" and failed.info.lifecycle_stage == "deleted"
    reason = failed.data.tags["adaptive.failed_reason"]
    assert reason == "the night failed: OSError: No space left on device"


def test_a_failed_nights_mlflow_reason_names_no_student(district, tmp_path, monkeypatch):
    """Review: a failed night's run recorded its error's first line in the tag
    `adaptive.failed_reason`, and not every error keeps ids out (a profile's error names its
    student, a KeyError prints its key). The tag now holds the error's type only."""
    from adaptive.batch import writer
    from adaptive.curriculum.profile import ProfileValueError

    student = str(district.log.students[0])
    before = {r.info.run_id for r in _batch_runs(district.uri)}

    def refused(*args, **kwargs):
        raise ProfileValueError(student, "weight 2.0 outside [0, 1]")

    monkeypatch.setattr(writer, "prepare_date", refused)
    with pytest.raises(ProfileValueError):
        run_daily_job(district.last_day, tmp_path / "out", **district.job_args())
    (failed,) = [r for r in _batch_runs(district.uri) if r.info.run_id not in before]
    reason = failed.data.tags["adaptive.failed_reason"]
    assert reason == "the night failed: ProfileValueError" and student not in reason
    from adaptive.batch.job import failed_reason

    assert failed_reason(KeyError(student)) == "KeyError"
    assert failed_reason(SystemExit(143)) == "SystemExit(143)"


def test_snapshot_of_another_model_is_not_reused(district, tmp_path):
    """The tracer state of a snapshot belongs to the model that made it: a new champion (here the
    same weights registered under another name) rebuilds it; the history is still reused."""
    other = f"{district.model}-copy"
    with tracking(district.uri) as client:
        mv = client.get_model_version_by_alias(district.model, "champion")
        client.create_registered_model(other)
        copy = client.create_model_version(other, mv.source, run_id=mv.run_id, model_id=mv.model_id)
        client.set_registered_model_alias(other, "champion", copy.version)

    out = tmp_path / "out"
    run_daily_job(DAY_1, out, **district.job_args())
    switched = run_daily_job(DAY_2, out, **district.job_args(model_name=other))
    assert switched.previous_snapshot == DAY_1 and switched.state_rebuilt
    run_daily_job(DAY_2, tmp_path / "fresh", **district.job_args())

    def parquet(root: Path) -> dict[str, bytes]:
        return {
            k: v
            for k, v in files(root / "recommendations" / f"date={DAY_2}").items()
            if k.endswith(".parquet")
        }

    assert parquet(out) and parquet(out) == parquet(tmp_path / "fresh")
    # and with answers that arrived late too: the reused history would miss them; rebuilt
    ts = district.log.frame["timestamp"]
    early = np.ones(len(ts), bool)
    early[np.flatnonzero((ts < pd.Timestamp(DAY_1, tz="UTC")).to_numpy())[-40:]] = False
    late_out = tmp_path / "late"
    run_daily_job(DAY_1, late_out, **district.job_args(data=district.log.take_rows(early)))
    with pytest.warns(NightWarning, match="changed"):
        run_daily_job(DAY_2, late_out, **district.job_args(model_name=other))
    assert parquet(late_out) == parquet(tmp_path / "fresh")


def _newcomer_placed_at(mastery: float, district, tmp_path) -> tuple[dict, Path, Path]:
    """A profile 'newcomer' (the first student's, renamed) added to the district's profiles,
    and a placement table giving them `mastery` on every skill: (profile, profiles, table)."""
    import json

    lines = district.profiles.read_text().splitlines()
    newcomer = {**json.loads(lines[0]), "student_id": "newcomer"}
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text("\n".join([*lines, json.dumps(newcomer)]) + "\n")
    skills = [s.id for s in Catalog.from_json(district.catalog).skills]
    table = tmp_path / "placed.csv"
    pd.DataFrame({"student_id": "newcomer", "skill_id": skills, "mastery": mastery}).to_csv(
        table, index=False
    )
    return newcomer, profiles, table


def test_a_student_assumed_to_know_every_skill_is_counted_not_served(district, tmp_path):
    """A placement table at 0.99 on every skill (a prior year's record of a student past the
    catalog) leaves nothing to learn: the policy serves no skill never answered whose estimate
    is 0.95 or more, not even to fill the day. The night keeps the student in its students
    table with no recommendation, and its summary counts them."""
    _, profiles, table = _newcomer_placed_at(0.99, district, tmp_path)
    args = district.job_args(profiles=profiles)
    summary = run_daily_job(district.last_day, tmp_path / "a", **args, placement=table)
    students = pd.read_parquet(tmp_path / "a" / "students").set_index("student_id")
    served = pd.read_parquet(tmp_path / "a" / "recommendations")
    assert students.loc["newcomer", "recommended"] == 0
    assert "newcomer" not in set(served["student_id"])
    assert summary.students_without_recommendations >= 1


def test_the_warning_of_a_grade_past_the_catalog_says_what_the_night_serves(district, tmp_path):
    """A trial's `adaptive profiles` warned of grade-12 students "every skill assumed known, so
    nothing is served", but the night served them 3 and 4 activities from their answers. The
    words now say what the night does, checked here against a night: a grade-12 student with
    answers is served the skills their answers show not mastered; one without answers,
    nothing."""
    import json

    from adaptive.cli.data import _far_grade_effect

    catalog = Catalog.from_json(district.catalog)
    frame = district.log.frame
    wrong = frame.assign(wrong=1 - frame["correct"]).groupby("student_id")["wrong"].sum()
    answered = str(wrong.idxmax())  # the student whose answers leave most not mastered
    lines = [json.loads(line) for line in district.profiles.read_text().splitlines()]
    for line in lines:
        if line["student_id"] == answered:
            line["grade"] = 12
    fresh = {**lines[0], "student_id": "newcomer12", "grade": 12}
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text("\n".join(json.dumps(line) for line in [*lines, fresh]) + "\n")
    run_daily_job(district.last_day, tmp_path / "a", **district.job_args(profiles=profiles))
    served = pd.read_parquet(tmp_path / "a" / "recommendations")["student_id"].value_counts()
    assert served.get(answered, 0) > 0 and "newcomer12" not in served
    words = _far_grade_effect(catalog, 12, 3)
    assert "nothing is served" not in words
    assert "only skills their answers show not mastered are served" in words
    assert "nothing to a student without answers" in words


def test_the_night_says_why_students_got_no_recommendation(district, tmp_path):
    """A trial's night said only "1 student got no recommendation" of a student placed from
    grade 12 (every skill assumed known). Now the summary counts those with nothing left in
    the catalog by their placement's words (no ids), and the command's warning says so."""
    from adaptive.cli.lifecycle import _unserved_words

    _, profiles, table = _newcomer_placed_at(0.99, district, tmp_path)
    args = district.job_args(profiles=profiles)
    summary = run_daily_job(district.last_day, tmp_path / "a", **args, placement=table)
    assert summary.students_all_known.get("placed from placed.csv") == 1
    said = _unserved_words(summary.students_without_recommendations, summary.students_all_known)
    assert "every skill mastered or assumed known" in said
    assert "placed from placed.csv (1)" in said and "newcomer" not in said
    # a resumed night reads the same counts back from its files
    again = run_daily_job(district.last_day, tmp_path / "a", **args, placement=table)
    assert again.students_all_known == summary.students_all_known


def test_a_resumed_night_reads_each_students_file_once_with_the_lists_only_where_needed(
    district, tmp_path, monkeypatch
):
    """A resumed school's counts read back its students' `mastery` and `progression` lists (S
    values per student) for every school, though only the count of unserved students who know
    every skill needs them; and a school with someone unserved then read its students file
    twice (the counts, then again with the lists). Now each file is read once, with the lists
    only where someone went unserved (its footer's statistics say so)."""
    import pyarrow.parquet as pq

    from adaptive.batch import job

    _, profiles, table = _newcomer_placed_at(0.99, district, tmp_path)
    args = district.job_args(profiles=profiles)
    summary = run_daily_job(district.last_day, tmp_path / "a", **args, placement=table)
    parts = sorted((tmp_path / "a" / "students").rglob("*.parquet"))
    unserved = {p for p in parts if (pd.read_parquet(p)["recommended"] == 0).any()}
    assert unserved and unserved != set(parts)
    reads: dict[Path, list[set[str]]] = {}

    def seen(path, columns) -> None:
        if "students" in str(path):
            reads.setdefault(Path(str(path)), []).append(set(columns or ["every column"]))

    class ParquetFile(pq.ParquetFile):
        def __init__(self, source, *more, **kw):
            super().__init__(source, *more, **kw)
            self.source = source

        def read(self, columns=None, **kw):
            seen(self.source, columns)
            return super().read(columns=columns, **kw)

    def read_table(path, columns=None, **kw):
        seen(path, columns)
        return original(path, columns=columns, **kw)

    original = pq.read_table
    monkeypatch.setattr(job.pq, "read_table", read_table)  # seen in this process: 1 worker
    monkeypatch.setattr(job.pq, "ParquetFile", ParquetFile)
    again = run_daily_job(district.last_day, tmp_path / "a", **args, placement=table, workers=1)
    assert again.partitions_resumed == again.schools
    assert again.students_all_known == summary.students_all_known
    assert {p: len(r) for p, r in reads.items()} == dict.fromkeys(parts, 1)
    assert {p for p, r in reads.items() if "mastery" in r[0]} == unserved


def test_the_students_table_says_where_a_student_served_nothing_was_placed(district, tmp_path):
    """A student served nothing has no row in `recommendations`, which alone carried the
    placement: the students table had none, so the report told a student placed from grade 12
    that they had no grade. Now every student's placement is in the students table."""
    _, profiles, table = _newcomer_placed_at(0.99, district, tmp_path)
    run_daily_job(district.last_day, tmp_path / "a", **district.job_args(profiles=profiles),
                  placement=table)  # fmt: skip
    students = pd.read_parquet(tmp_path / "a" / "students").set_index("student_id")
    served = pd.read_parquet(tmp_path / "a" / "recommendations")
    assert students.loc["newcomer", "recommended"] == 0
    assert students.loc["newcomer", "placement"] == "placed from placed.csv"
    # the same words as the recommendations of the students who have rows
    said = served.drop_duplicates("student_id").set_index("student_id")["placement"]
    assert (students.loc[said.index, "placement"] == said).all()


def test_the_students_table_carries_the_answers_and_runs_the_mastery_rule_read(district, tmp_path):
    """A teacher read "99%, in progress" on a student's page with nothing saying why the skill
    was not mastered: the night's output had no answer counts or runs of right answers, so the
    report could not say what the progression rule still asks (`explain.still_needed`). The
    students table now carries, per skill, the answers so far and the current run of right
    answers (those of the log before the night), and per student the answers a skill needs
    where learning is gradual; with the night's policy they give back the night's verdict on
    every skill, so a page and the night cannot disagree."""
    from adaptive.curriculum import Catalog
    from adaptive.policy import PolicyConfig, terms
    from adaptive.policy.progression import Progression

    run_daily_job(DAY_1, tmp_path / "a", **district.job_args())
    students = pd.read_parquet(tmp_path / "a" / "students").sort_values("student_id")
    catalog = Catalog.from_json(district.catalog)
    n_s = len(catalog.skills)
    lists = {
        name: np.stack(students[name].to_numpy()).reshape(len(students), n_s)
        for name in ("mastery", "progression", "n_responses", "streak")
    }
    assert students["gradual_hold"].dtype == np.int32 and lists["streak"].dtype == np.int32
    # the log's answers before the night, per student and skill: how many, and the last run
    frame = district.log.frame
    before = frame.loc[frame["timestamp"] < pd.Timestamp(DAY_1, tz="UTC")]
    answers = before.assign(skill_id=before["skill_ids"]).explode("skill_id")
    answers = answers.loc[answers["skill_id"].isin(catalog.skill_index)]
    answers = answers.sort_values(["student_id", "skill_id", "timestamp"], kind="stable")
    keys = ["student_id", "skill_id"]
    run = answers.iloc[::-1].groupby(keys, sort=False)["correct"].cumprod()
    want = answers.assign(run=run).groupby(keys)[["correct", "run"]].agg(["size", "sum"])
    rows = pd.Index(students["student_id"]).get_indexer(want.index.get_level_values(0))
    cols = catalog.skill_index.get_indexer(want.index.get_level_values(1))
    expected = {name: np.zeros((len(students), n_s), np.int64) for name in ("n", "streak")}
    expected["n"][rows, cols] = want[("correct", "size")].to_numpy()
    expected["streak"][rows, cols] = want[("run", "sum")].to_numpy()
    assert expected["n"].sum() > 0 and (expected["streak"] < expected["n"]).any()
    np.testing.assert_array_equal(lists["n_responses"], expected["n"])
    np.testing.assert_array_equal(lists["streak"], expected["streak"])
    # the rule on what the night wrote is the night's verdict on every skill
    config = PolicyConfig.default()
    hold = students["gradual_hold"].to_numpy()[:, None]
    mastered = terms.is_mastered(
        lists["mastery"].astype(np.float64), lists["n_responses"], config.mastery_threshold,
        config.min_responses_mastered,
    ) & terms.shown_by_answers(lists["n_responses"], lists["streak"], config.mastery_streak, hold)  # fmt: skip
    said = np.isin(lists["progression"], (Progression.MASTERED, Progression.NEEDS_REVIEW))
    np.testing.assert_array_equal(mastered, said)
    at_bar = (lists["mastery"] >= config.mastery_threshold) & (lists["n_responses"] > 0)
    assert (at_bar & ~said).any()  # skills the page says something of


def test_a_placement_table_starts_new_students_where_it_knows_them(district, tmp_path, capsys):
    """`placement=FILE`: a student new to the state whom the table knows starts from it (the
    output says so), the others from their grade; the table is part of the night's fingerprint."""
    import json

    newcomer, profiles, table = _newcomer_placed_at(0.9, district, tmp_path)
    args = district.job_args(profiles=profiles)
    run_daily_job(district.last_day, tmp_path / "a", **args, placement=table)
    run_daily_job(district.last_day, tmp_path / "b", **args)

    def first_rows(out: str, table: str) -> pd.DataFrame:
        frame = pd.read_parquet(tmp_path / out / table)
        return frame.drop_duplicates("student_id").set_index("student_id")

    placed, graded = (first_rows(out, "recommendations") for out in "ab")
    assert placed.loc["newcomer", "placement"] == "placed from placed.csv"
    assert graded.loc["newcomer", "placement"] == f"placed from grade {newcomer['grade']}"
    others = placed.index.drop("newcomer")
    assert placed.loc[others, "placement"].equals(graded.loc[others, "placement"])
    mastery = [np.mean(first_rows(out, "students").loc["newcomer", "mastery"]) for out in "ab"]
    assert mastery[0] > mastery[1] + 0.1, mastery  # the table's 0.9 over the grade's prior
    fingerprints = [
        json.loads(next((tmp_path / out).rglob("_SUCCESS.json")).read_text())["fingerprint"]
        for out in "ab"
    ]
    assert fingerprints[0] != fingerprints[1]
    bad = tmp_path / "bad.csv"
    bad.write_text("student_id,skill_id,mastery\nnewcomer,no-such-skill,0.5\n")
    with pytest.raises(DataValidationError, match="bad.csv, line 2, column 'skill_id'"):
        run_daily_job(district.last_day, tmp_path / "c", **args, placement=bad)
    # the command line: the same error in one message, exit 2, nothing written
    from adaptive.cli import run

    code = run(
        ["batch", "--date", district.last_day, "--out", str(tmp_path / "d"), "--name",
         district.model, "--data", str(district.responses), "--catalog", str(district.catalog),
         "--profiles", str(profiles), "--tracking-uri", district.uri, "--placement", str(bad),
         "--quiet"]
    )  # fmt: skip
    text = " ".join(capsys.readouterr().err.split())
    assert code == 2, text
    assert "bad.csv, line 2, column 'skill_id': got 'no-such-skill'" in text, text
    assert "Traceback" not in text and not list((tmp_path / "d").rglob("*.parquet"))
    # a district's export with its own column names: --placement-columns names them
    export = tmp_path / "export.csv"
    pd.read_csv(table).rename(
        columns={"student_id": "Student ID", "skill_id": "Standard", "mastery": "Mastery"}
    ).to_csv(export, index=False)
    argv = ["batch", "--date", district.last_day, "--name", district.model, "--data",
            str(district.responses), "--catalog", str(district.catalog), "--profiles",
            str(profiles), "--tracking-uri", district.uri, "--placement", str(export), "--quiet"]  # fmt: skip
    code = run([*argv, "--out", str(tmp_path / "e"), "--placement-columns",
                "Student ID,Standard,Mastery"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert first_rows("e", "recommendations").loc["newcomer", "placement"] == (
        "placed from export.csv"
    )
    capsys.readouterr()
    assert run([*argv, "--out", str(tmp_path / "f"), "--placement-columns", "Student ID"]) == 2
    assert "expected three column names" in capsys.readouterr().err
    # its own name for the source column too: the fourth name
    pd.read_csv(export).assign(**{"Placed by": "placed by the fall check-in"}).to_csv(
        export, index=False
    )
    code = run([*argv, "--out", str(tmp_path / "g"), "--placement-columns",
                "Student ID,Standard,Mastery,Placed by"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert first_rows("g", "recommendations").loc["newcomer", "placement"] == (
        "placed by the fall check-in"
    )


def test_a_data_scientists_usual_job_arguments_and_mistakes(district, tmp_path):
    """`run_daily_job` from Python: profiles as a list of LearnerProfile (as batch_from_model
    takes them) serve the same night as the file; a DataFrame as data and a file as out are
    one error each. Before: TypeErrors from os.fspath and a NotADirectoryError."""
    from adaptive.curriculum import read_profiles

    args = district.job_args(k=3)
    by_file = run_daily_job(district.last_day, tmp_path / "file", **args)
    listed = {**args, "profiles": list(read_profiles(district.profiles).values())}
    by_list = run_daily_job(district.last_day, tmp_path / "list", **listed)
    assert by_list.students_served == by_file.students_served
    parquet = {  # the partitions; the markers differ: they fingerprint the profiles' source
        name: blob
        for name, blob in files(tmp_path / "file" / "recommendations").items()
        if name.endswith(".parquet")
    }
    assert parquet and all(
        (tmp_path / "list" / "recommendations" / name).read_bytes() == blob
        for name, blob in parquet.items()
    )
    with pytest.raises(TypeError, match="data: expected a file.*ResponseLog.from_frame"):
        run_daily_job(district.last_day, tmp_path / "frame", **{**args, "data": district.log.frame})
    with pytest.raises(ConfigError, match="a file; expected the folder"):
        run_daily_job(district.last_day, district.catalog, **args)


def test_a_student_without_a_grade_is_said_to_start_from_the_population(district, tmp_path):
    """An ops trial: a newcomer whose roster row has no grade had an empty `placement` in the
    night's output, where Python's `grade_placement` says "population prior (no grade)"."""
    import json

    from adaptive.placement.prior import NO_GRADE_SOURCE

    lines = district.profiles.read_text().splitlines()
    newcomer = {**json.loads(lines[0]), "student_id": "gradeless"}
    newcomer.pop("grade", None)
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text("\n".join([*lines, json.dumps(newcomer)]) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the students without a grade are counted: not here
        run_daily_job(district.last_day, tmp_path / "a", **district.job_args(profiles=profiles))
    served = pd.read_parquet(tmp_path / "a" / "recommendations")
    said = served.loc[served["student_id"] == "gradeless", "placement"]
    assert len(said) and (said == NO_GRADE_SOURCE).all(), said.unique()


def test_a_districts_own_log_without_a_model_name_is_refused(district, tmp_path, monkeypatch):
    """A review: `adaptive batch` refused a district's own files without --name, but the
    README's Python path, `run_daily_job(day, out, data=..., catalog=..., profiles=...)`,
    still served them with the demo's registered model (its default). Refused before anything
    is written; the demo's own log, by name or by its file, still takes the demo's model."""
    from adaptive.batch.job import DEMO_MODEL, demo_model_serves, is_demo_log
    from adaptive.errors import ConfigError

    args = district.job_args(data=district.responses)
    del args["model_name"]
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=r"no model_name given: .* the demo's \('demo-district'"):
        run_daily_job(district.last_day, out, **args)
    assert not out.exists()
    monkeypatch.setenv("ADAPTIVE_DATA_DIR", str(tmp_path / "data"))
    demo = tmp_path / "data" / "demo-district"
    demo.mkdir(parents=True)
    (demo / "responses.parquet").write_bytes(Path(district.responses).read_bytes())
    spelt_otherwise = tmp_path / "data" / ".." / "data" / "demo-district" / "responses.parquet"
    for log in ("demo", demo / "responses.parquet", spelt_otherwise):
        assert is_demo_log(log) and demo_model_serves(None, log) == DEMO_MODEL
    assert not is_demo_log(district.responses) and not is_demo_log(tmp_path / "none.parquet")
    assert demo_model_serves("own", district.responses) == "own"
