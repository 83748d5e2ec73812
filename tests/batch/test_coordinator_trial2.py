"""What a school data coordinator, a newcomer and a policy researcher found running the nightly
job (each test failed on the code before its fix): overrides files without a date, with an
activity assigned twice or a class id in the wrong case; a night before the last one served;
responses "dated after today" counted against the wall clock; the state folder misnamed; a failed
run leaving folders and a lock file; placement, short lists, students outside the experiment and
a re-run with another policy, all unsaid."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from adaptive.batch import run_daily_job
from adaptive.batch.job import read_profiles
from adaptive.batch.lock import LOCK_DIR
from adaptive.batch.overrides import OverridesError, read_overrides
from adaptive.cli import run
from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.errors import ConfigError, NightWarning
from adaptive.experiment.assign import assign
from adaptive.policy import PolicyConfig

DAY_1, DAY_2 = "2026-09-28", "2026-10-05"

CATALOG = Catalog(
    [Skill("s1", "one", grade=3), Skill("s2", "two", grade=4)],
    [Activity("a1", "A1", ("s1",), grade=3), Activity("a2", "A2", ("s2",), grade=4)],
)
PROFILES = {
    "st1": LearnerProfile("st1", grade=4, class_id="sch0-g4A"),
    "st2": LearnerProfile("st2", grade=4, class_id="sch0-g4B"),
}


def export(tmp_path: Path, students: dict, **top) -> Path:
    """A class page's export (what `adaptive.reports.site` writes), with `top` changed; a
    value None drops the field."""
    doc = {"format": "adaptive-overrides", "version": 1, "class_id": "sch0-g4A",
           "date": "2027-02-18", "students": students, **top}  # fmt: skip
    path = tmp_path / "overrides-sch0-g4A.json"
    path.write_text(json.dumps({k: v for k, v in doc.items() if v is not None}, indent=1))
    return path


def served(out: Path, table: str, day: str) -> pd.DataFrame:
    return pd.read_parquet(out / table / f"date={day}")


def cli_batch(district, day: str, out: Path, *extra: str) -> list[str]:
    return ["batch", "--date", day, "--out", str(out), "--data", str(district.responses),
            "--catalog", str(district.catalog), "--profiles", str(district.profiles),
            "--name", district.model, "--tracking-uri", district.uri, "--workers", "1",
            *extra]  # fmt: skip


def said(capsys) -> str:
    captured = capsys.readouterr()
    return " ".join((captured.out + captured.err).split())


# --- 1-3. overrides files ---


def test_an_overrides_file_without_a_date_is_one_error_naming_the_field(tmp_path):
    """A file with no `date` was applied to any night, even one 8 days before the teacher made
    it. The class page always writes its report's date."""
    path = export(tmp_path, {"st1": {"assigned": ["a2"]}}, date=None)
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES, night="2027-02-10")
    assert str(err.value).startswith(
        f"{path}, line 1, column 1, field date: missing from this object; expected a day in ISO"
    )


def test_the_class_page_export_carries_a_date():
    """What the product writes is read: the export's JSON names the form's date."""
    from adaptive.reports.site.assets import SITE_JS

    assert "date: form.dataset.date" in SITE_JS
    # and its school: two schools may name a homeroom alike (a class is school and class id)
    assert "doc.school_id = form.dataset.school" in SITE_JS


def test_an_activity_assigned_twice_is_an_error_naming_line_and_field(tmp_path):
    """It was served once, without a word."""
    path = export(tmp_path, {"st1": {"assigned": ["a2", "a1", "a2"]}})
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    assert str(err.value).startswith(
        f"{path}, line 11, column 5, field students.st1.assigned[2]: got 'a2'; expected each "
        "activity once"
    )
    assert "it is also assigned[0]" in str(err.value)


def test_a_class_id_in_another_case_is_an_error_on_the_class_id(tmp_path):
    """The error blamed the first student ("expected a student of class 'sch0-g4a'")."""
    path = export(tmp_path, {"st1": {"assigned": ["a2"]}}, class_id="sch0-g4a")
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    assert str(err.value) == (
        f"{path}, line 4, column 14, field class_id: got 'sch0-g4a'; expected a class of the "
        "profiles (did you mean 'sch0-g4A'?)"
    )
    with pytest.raises(OverridesError, match="expected a class of the profiles$"):
        read_overrides(export(tmp_path, {}, class_id="elsewhere-9Z"), CATALOG, PROFILES)
    # a student of another class than the file's (a real one, moved since the export) is
    # skipped with a warning naming the file's line, no longer an error that stops the night
    with pytest.warns(NightWarning, match=r"1 student in class '\S+' per the profiles, not "):
        got = read_overrides(export(tmp_path, {"st2": {}}), CATALOG, PROFILES)
    assert not got.students


# --- 4. a night before the last one served ---


def test_a_night_before_the_last_served_is_refused_unless_backfilled(district, tmp_path, capsys):
    """It was served as a "first night (no earlier snapshot)" beside the later nights."""
    out, state = tmp_path / "out", tmp_path / "elsewhere" / "state"
    run_daily_job(DAY_2, out, **district.job_args(state_dir=state))
    with pytest.raises(ConfigError) as err:
        run_daily_job(DAY_1, out, **district.job_args(state_dir=state))
    assert f"--date {DAY_1}: before {DAY_2}, the last night served in {out}" in str(err.value)
    assert "--backfill" in str(err.value) and f"give --date {DAY_2}" in str(err.value)
    assert not (out / "recommendations" / f"date={DAY_1}").exists()
    # the snapshots alone say it too (a new --out, the same --state-dir)
    with pytest.raises(ConfigError, match=f"before {DAY_2}"):
        run_daily_job(DAY_1, tmp_path / "other", **district.job_args(state_dir=state))
    assert not (tmp_path / "other").exists()
    # the same date again resumes (as documented), and a back-fill is served
    again = run_daily_job(DAY_2, out, **district.job_args(state_dir=state))
    assert again.partitions_resumed == again.schools and again.partitions_written == 0
    back = run_daily_job(DAY_1, out, **district.job_args(state_dir=state, backfill=True))
    assert back.students_served > 0
    assert run(cli_batch(district, "2026-09-21", out, "--state-dir", str(state))) == 2
    assert f"the last night served in {out}" in said(capsys)


def test_a_later_night_after_an_unfinished_one_is_refused(district, tmp_path):
    """An operator's trial: a night killed mid-way (partitions, no _SUCCESS.json) was skipped
    by the next night without a word (it started from the killed night's snapshot), and the
    killed night could then not be served again (a date before the last). The next night is
    refused until the unfinished one is served again, which resumes it."""
    out = tmp_path / "out"
    run_daily_job(DAY_1, out, **district.job_args())
    (out / "recommendations" / f"date={DAY_1}" / "_SUCCESS.json").unlink()  # killed mid-way
    with pytest.raises(ConfigError, match=f"the night {DAY_1} in .* did not finish"):
        run_daily_job(DAY_2, out, **district.job_args())
    assert not (out / "recommendations" / f"date={DAY_2}").exists()
    run_daily_job(DAY_1, out, **district.job_args())  # served again: resumes, completes
    assert run_daily_job(DAY_2, out, **district.job_args()).students_served > 0


# --- 5. responses dated after the night ---


def test_responses_after_the_night_are_counted_over_the_whole_log_every_night(
    district, tmp_path, capsys
):
    """The count used the wall clock and only the rows after the snapshot's cutoff (a number
    that changed night to night), and said "no night uses them" of rows the night used."""
    frame = district.log.frame.copy()
    frame.loc[frame.index[:3], "timestamp"] = pd.Timestamp("2062-01-05 10:00", tz="UTC")
    data = tmp_path / "log.parquet"
    frame.to_parquet(data)
    after = {
        day: int((frame["timestamp"] >= pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1)).sum())
        for day in (DAY_1, DAY_2)
    }
    assert after[DAY_1] > after[DAY_2] > 3
    out = tmp_path / "out"
    for day in (DAY_1, DAY_2):  # a first night, then one from the snapshot
        with pytest.warns(NightWarning) as caught:
            summary = run_daily_job(day, out, **district.job_args(data=data))
        assert summary.responses_in_future == after[day]
        text = " ".join(str(w.message) for w in caught)
        assert (
            f"{after[day]:,} responses are dated after the night of {day} (up to 2062-01-05)"
            in text
        )
        assert "this night does not use them" in text and "no night uses them" not in text
        # the day's own answers are said too (a vendor's trial: neither used nor counted)
        start = pd.Timestamp(day, tz="UTC")
        own = int(frame["timestamp"].between(start, start + pd.Timedelta(days=1), "left").sum())
        assert own > 0 and f"the {own:,} responses of {day} itself are the next night's" in text
        metrics = MlflowClient(tracking_uri=district.uri).get_run(summary.run_id).data.metrics
        assert metrics["responses_in_future"] == after[day]
    # rows before the night are never called ahead of it, whatever the wall clock says
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        late = run_daily_job("2062-01-06", tmp_path / "late", **district.job_args(data=data))
    assert late.responses_in_future == 0
    assert not [w for w in caught if "dated after" in str(w.message)]


# --- 6-7. the summary's paths; a failed run leaves nothing ---


def test_the_summary_names_the_state_folder_it_wrote(district, tmp_path, capsys):
    state = tmp_path / "snapshots"
    assert run(cli_batch(district, DAY_1, tmp_path / "out", "--state-dir", str(state))) == 0
    text = said(capsys)
    assert f"state: {state / f'date={DAY_1}'}" in text and "(and students/, state/)" not in text
    assert (state / f"date={DAY_1}" / "meta.json").is_file()


def test_a_failed_run_leaves_no_folder_and_no_lock_file(district, tmp_path, capsys):
    """`--overrides afile.txt` and a bad `--data` left `OUT/_locks/date=....lock` (0 bytes)
    and empty folders. (A teacher's file that is no export is now set aside by the night,
    which goes on: `test_overrides`; a missing `--overrides` path still stops it.)"""
    notes = tmp_path / "afile.txt"  # not there
    new = tmp_path / "m" / "b7"
    assert run(cli_batch(district, DAY_1, new, "--overrides", str(notes))) == 2
    assert not (tmp_path / "m").exists()
    bad = [*cli_batch(district, DAY_1, new)]
    bad[bad.index("--data") + 1] = str(district.catalog)  # not a log
    assert run(bad) == 2
    assert not (tmp_path / "m").exists()
    # an output folder of earlier nights keeps them (and the folder's serving lock, as the
    # nights' own), and gets no lock file for the failed date
    out = tmp_path / "out"
    assert run(cli_batch(district, DAY_1, out)) == 0
    bad = [*cli_batch(district, DAY_2, out)]
    bad[bad.index("--data") + 1] = str(district.catalog)  # not a log
    assert run(bad) == 2
    assert sorted(p.name for p in (out / LOCK_DIR).iterdir()) == [
        f"date={DAY_1}.lock",
        "serving.lock",
    ]
    assert not (out / "recommendations" / f"date={DAY_2}").exists()
    assert run(cli_batch(district, DAY_2, out)) == 0  # and the next run takes the date's lock
    said(capsys)


# --- 8. placement ---


def test_students_a_placement_table_places_say_so_every_night(district, tmp_path):
    """With `--placement FILE` the `placement` column was '' for every student who had answered
    (on a first night, every student placed from the table): nothing said which students the
    file placed. It says so now, on every night the table is given, the same on a night from
    the snapshot as on a recompute (students placed from their grade who have answered since
    say nothing, as with `adaptive recommend`)."""
    profiles = read_profiles(district.profiles)
    answered = [s for s in district.log.students if s in profiles]
    ids = sorted(answered)[:5]
    skill = Catalog.from_json(district.catalog).skills[0].id
    pd.DataFrame({"student_id": ids, "skill_id": skill, "mastery": 0.9}).to_csv(
        tmp_path / "last_year.csv", index=False
    )
    args = district.job_args(placement=tmp_path / "last_year.csv")
    for day in (DAY_1, DAY_2):
        run_daily_job(day, tmp_path / "out", **args)
        recs = served(tmp_path / "out", "recommendations", day).set_index("student_id")
        shown = recs.groupby(level=0)["placement"].first()
        assert set(shown[shown.index.isin(ids)]) == {"placed from last_year.csv"}
        others = shown[~shown.index.isin(ids) & shown.index.isin(answered)]
        assert len(others) and set(others) <= {""}
    run_daily_job(DAY_2, tmp_path / "full", **args)  # a recompute: the same bytes
    assert (tmp_path / "out" / "recommendations" / f"date={DAY_2}" / "school=sch0000").is_dir()
    for school in (tmp_path / "full" / "recommendations" / f"date={DAY_2}").glob("school=*"):
        got = tmp_path / "out" / "recommendations" / f"date={DAY_2}" / school.name
        assert (got / "part-0.parquet").read_bytes() == (school / "part-0.parquet").read_bytes()


# --- 9-10. short lists; students outside the experiment ---


def test_students_given_fewer_than_k_are_counted_and_said(district, tmp_path, capsys):
    """Two trials: "1,500 students got fewer than 20 recommendations" was said every night for
    every student with the defaults, where the day's time budget is what keeps a list short by
    design, so operators learned to skip the night's lines. Each student's `minutes_left` is
    written; the line counts only lists cut short with time left in the budget."""
    out = tmp_path / "out"
    assert run(cli_batch(district, DAY_1, out)) == 0
    students = served(out, "students", DAY_1)
    assert (students["recommended"] < 20).all()  # every list is short, nearly all by budget
    short = re.search(r"([\d,]+) students? got fewer than 20 recommendations with time left",
                      said(capsys))  # fmt: skip
    with_time = (students["recommended"] < 20) & (students["minutes_left"] >= min(
        a.expected_minutes for a in Catalog.from_json(district.catalog).activities))  # fmt: skip
    # said only for the few whose list ran out of what may be served with time left
    assert int(with_time.sum()) <= len(students) // 100
    assert (int(short.group(1).replace(",", "")) if short else 0) == int(with_time.sum())
    shortest = min(a.expected_minutes for a in Catalog.from_json(district.catalog).activities)
    planned = students["minutes_left"] < shortest
    assert planned.mean() > 0.9, students["minutes_left"].describe()

    profiles = [json.loads(line) for line in district.profiles.read_text().splitlines()]
    for p in profiles[::50]:
        p["weekly_minutes"] = 3000.0  # days long enough that k, or what may be served, ends them
    roomy = tmp_path / "profiles.jsonl"
    roomy.write_text("".join(json.dumps(p) + "\n" for p in profiles))
    args = [
        a if a != str(district.profiles) else str(roomy)
        for a in cli_batch(district, DAY_1, tmp_path / "roomy", "--k", "40")
    ]
    assert run(args) == 0
    students = served(tmp_path / "roomy", "students", DAY_1)
    with_time = int(((students["recommended"] < 40) & (students["minutes_left"] >= shortest)).sum())
    assert 0 < with_time <= len(profiles[::50])
    assert (
        f"{with_time} student{'s' if with_time > 1 else ''} got fewer than 40 recommendations with time left"
        in said(capsys)
    )
    summary = run_daily_job(
        DAY_1, tmp_path / "lib", **{**district.job_args(k=40), "profiles": roomy}
    )
    assert summary.students_short_with_time_left == with_time
    assert summary.students_below_k == int((students["recommended"] < 40).sum())
    metrics = MlflowClient(tracking_uri=district.uri).get_run(summary.run_id).data.metrics
    assert metrics["students_short_with_time_left"] == with_time


def test_a_k_beyond_the_catalogs_activities_serves_at_most_the_catalog(district, tmp_path):
    """A user's trial: `--k 100000` (typed for 10) took a worker past 11 GB and ended in "a worker
    died (killed, or out of memory) ... run the same command again", which failed again. No list
    holds more than the catalog's activities: the night serves k = their count, in the memory
    of that k."""
    n = len(Catalog.from_json(district.catalog).activities)
    summary = run_daily_job(DAY_1, tmp_path / "out", **district.job_args(k=100_000))
    assert summary.k == n
    assert served(tmp_path / "out", "students", DAY_1)["recommended"].max() <= n


def test_students_outside_the_experiment_are_counted_and_warned(district, tmp_path, capsys):
    """A new class (not in the assignment) was served with arm '' and no word. It is counted
    in one warning; the students without a profile (outside it too) are said once, in the line
    of those served in school 'unassigned'."""
    profiles = read_profiles(district.profiles)
    classes = sorted({p.class_id for p in profiles.values()})
    kept = {s: p for s, p in profiles.items() if p.class_id != classes[0]}
    arms = {"control": PolicyConfig.default(), "new": PolicyConfig.default()}
    path = assign(kept, arms, seed=1).save(tmp_path / "exp.json")
    out = tmp_path / "out"
    assert run(cli_batch(district, DAY_1, out, "--experiment", str(path))) == 0
    students = served(out, "students", DAY_1)
    outside = int((students["arm"] == "").sum())
    in_class = sum(p.class_id == classes[0] for p in profiles.values())
    assert outside > in_class  # + no profile
    text = said(capsys)
    assert (
        f"warning: {in_class:,} of tonight's {len(students):,} students "
        f"({in_class / len(students):.0%}) are in no class of the experiment {path} (besides "
        f"the {outside - in_class:,} without a profile, said apart)"
    ) in text
    assert "served the night's own policy (shipped default)" in text
    assert "those without a profile are outside the experiment exp.json (arm '')" in text
    assert "experiment exp.json" in text.split("outputs:")[0]  # the summary line names it


# --- 11. a re-run with another policy ---


def test_a_rerun_with_another_policy_is_recorded_and_warned(district, tmp_path, capsys):
    """The night logged with exploration lost its propensity column without a word, and
    `_SUCCESS.json` did not record the policy."""
    policy = tmp_path / "explore.toml"
    policy.write_text('exploration = "softmax"\nexploration_temperature = 0.3\n')
    out = tmp_path / "out"
    assert run(cli_batch(district, DAY_1, out, "--policy", str(policy))) == 0
    assert "policy explore.toml (exploration softmax);" in said(capsys)
    marker = out / "recommendations" / f"date={DAY_1}" / "_SUCCESS.json"
    record = json.loads(marker.read_text())["policy"]
    assert record["source"] == "explore.toml" and record["exploration"] == "softmax"
    assert len(record["sha256"]) == 64
    with pytest.warns(NightWarning) as caught:
        again = run_daily_job(DAY_1, out, **district.job_args())
    text = " ".join(str(w.message) for w in caught)
    assert (
        f"the night {DAY_1} was served with policy explore.toml (exploration softmax); this "
        "re-run serves it with policy shipped default, replacing what its students were shown "
        "and the propensities logged for them"
    ) in text
    assert again.replaced_policy == "explore.toml (exploration softmax)"
    with warnings.catch_warnings(record=True) as caught:  # the same policy again: no warning
        warnings.simplefilter("always")
        assert run_daily_job(DAY_1, out, **district.job_args()).replaced_policy is None
    assert not [w for w in caught if "served with policy" in str(w.message)]


def test_a_rerun_with_another_k_says_it_replaces_the_night_naming_k(district, tmp_path, capsys):
    """A night served with `--k 5` and re-run with `--k 20` was re-served ("3 partitions
    written") without a word, replacing what its students were shown; only another policy
    warned. A pure re-run still resumes, in silence."""
    out = tmp_path / "out"
    assert run(cli_batch(district, DAY_1, out, "--k", "5", "--quiet")) == 0
    said(capsys)
    assert run(cli_batch(district, DAY_1, out, "--k", "20", "--quiet")) == 0
    text = said(capsys)
    assert (
        f"warning: the night {DAY_1} was served with k 5; this re-run serves it with k 20, "
        "replacing what its students were shown"
    ) in text
    assert text.count("replacing what its students were shown") == 1
    with warnings.catch_warnings(record=True) as caught:  # the same inputs: it resumes
        warnings.simplefilter("always")
        again = run_daily_job(DAY_1, out, **district.job_args(data=district.responses, k=20))
    assert again.partitions_written == 0 and again.replaced_inputs == {}
    assert not [w for w in caught if "replacing" in str(w.message)]


def _night_record(**changed) -> dict:
    """A night's `_SUCCESS.json` record as both engines write it, with `changed` inputs."""
    from adaptive.batch.night_checks import policy_record, served_inputs

    inputs = {"engine": "local", "k": 5, "profiles": "a" * 64, "overrides": None,
              "placement": None, "log": {"unit": "responses", "count": 1200, "digest": "d1"},
              "state": "s" * 64}  # fmt: skip
    inputs.update({key: changed.pop(key) for key in list(changed) if key in inputs})
    return {
        "model": "district", "model_version": "1", "catalog_sha256": "c" * 64,
        "policy": policy_record("{}", "shipped default", "none"),
        "inputs": served_inputs(**inputs), **changed,
    }  # fmt: skip


def test_every_input_a_rerun_changes_is_named_in_one_line(tmp_path):
    """Only another model version or policy was said of a re-served night; k, the profiles,
    the catalog, the overrides, the placement table and the log re-served it without a word."""
    from adaptive.batch import writer
    from adaptive.batch.night_checks import night_served_before
    from adaptive.batch.partition import OUTPUT_TABLES

    out = tmp_path / "out"
    writer.finish_date_listing(out, OUTPUT_TABLES, DAY_1, {}, _night_record())
    with pytest.warns(NightWarning) as caught:
        replaced = night_served_before(
            out, DAY_1,
            _night_record(model_version="2", k=20, profiles="b" * 64, placement="e" * 64,
                          log={"unit": "responses", "count": 1200, "digest": "d2"}),
        )  # fmt: skip
    assert [str(w.message) for w in caught] == [
        f"the night {DAY_1} was served with model version 1, k 5, profiles sha256 "
        "aaaaaaaaaaaa..., no placement table and 1,200 responses in the log before it; this "
        "re-run serves it with model version 2, k 20, profiles sha256 bbbbbbbbbbbb..., "
        "placement table sha256 eeeeeeeeeeee... and the same 1,200 responses in the log before "
        "it, some changed, replacing what its students were shown"
    ]
    assert replaced.version == "1" and replaced.policy is None
    assert replaced.inputs["k"] == "k 5" and list(replaced.inputs) == [
        "model", "k", "profiles", "placement", "log"
    ]  # fmt: skip
    with warnings.catch_warnings():  # the same inputs, or another engine (the same bytes)
        warnings.simplefilter("error")
        assert not night_served_before(out, DAY_1, _night_record()).changes
        assert not night_served_before(out, DAY_1, _night_record(engine="spark", state="t")).changes
    with pytest.warns(NightWarning, match=r"with no overrides; .* with overrides sha256 o{12}\."):
        night_served_before(out, DAY_1, _night_record(overrides="o" * 64))
    with pytest.warns(NightWarning, match=r"with state sha256 t{12}\.\.\. \(traced from other"):
        night_served_before(out, DAY_1, _night_record(state="t" * 64))
    old = {key: value for key, value in _night_record().items() if key != "inputs"}
    writer.finish_date_listing(out, OUTPUT_TABLES, DAY_1, {}, old)  # served before inputs were
    with warnings.catch_warnings():  # recorded: only its model and policy are compared
        warnings.simplefilter("error")
        assert not night_served_before(out, DAY_1, _night_record(k=20)).changes
