"""The nightly job serves an experiment's arms; `adaptive experiment analyze` reads its outputs."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

from adaptive.batch.job import run_daily_job
from adaptive.cli import run as cli_run
from adaptive.errors import ConfigError
from adaptive.experiment.analyze import analyze_logs
from adaptive.experiment.assign import Assignment, AssignmentError, assign
from adaptive.registry import promote, train_model
from adaptive.simulation.district import simulate_district, write_district

MODEL = "experiment-test-district"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("exp")
    sim = simulate_district(600, 5, responses_per_student=20, max_school_days=30)
    write_district(sim, root / "files")
    log = sim.response_log()
    uri = f"sqlite:///{root / 'mlflow.db'}"
    result = train_model("irt", log, registered_name=MODEL, folds=2, tracking_uri=uri)
    assert promote(MODEL, result.version, log, tracking_uri=uri).promoted
    (root / "new.toml").write_text('exploration = "softmax"\n[weights]\ninterest = 0.0\n')
    (root / "control.toml").write_text("")
    profiles = root / "files" / "profiles.jsonl"
    a = assign(profiles, {"control": root / "control.toml", "new": root / "new.toml"},
               unit="class", seed=1)  # fmt: skip
    a.save(root / "exp.json")
    start = log.frame["timestamp"].min().normalize()
    nights = [(start + pd.Timedelta(days=d)).strftime("%Y-%m-%d") for d in (10, 20)]
    for night in nights:
        run_daily_job(
            night, root / "out", model_name=MODEL, data=log, catalog=root / "files" / "catalog.json",
            profiles=profiles, tracking_uri=uri, show_progress=False, k=3,
            experiment=root / "exp.json",
        )  # fmt: skip
    return root, nights, a


def test_each_class_is_served_its_arms_policy(served) -> None:
    root, nights, a = served
    recs = pd.read_parquet(root / "out" / "recommendations" / f"date={nights[0]}")
    assert set(recs["arm"]) == {"control", "new"}
    new, control = recs[recs["arm"] == "new"], recs[recs["arm"] == "control"]
    assert (new["c_interest"] == 0).all() and (control["c_interest"] != 0).any()
    assert (control["propensity"] == 1).all() and (new["propensity"] < 1).any()
    expected = a.arm_of(recs["class_id"].to_numpy(), recs["school_id"].to_numpy())
    assert (recs["arm"].to_numpy() == expected).all()
    students = pd.read_parquet(root / "out" / "students" / f"date={nights[0]}")
    assert set(students["arm"]) == {"control", "new"}


def test_analyze_reads_the_outputs(served) -> None:
    root, nights, _ = served
    effects = analyze_logs(
        root / "exp.json", root / "out", start=nights[0], end=nights[1],
        data=str(root / "files" / "responses.parquet"), catalog=root / "files" / "catalog.json",
        profiles=root / "files" / "profiles.jsonl", permutations=50,
    )  # fmt: skip
    assert set(effects["outcome"]) == {"normalized_gain", "correct_rate"}
    assert effects[["effect", "ci_low", "ci_high", "p_randomization"]].notna().all().all()
    assert (effects["ci_low"] <= effects["ci_high"]).all()


def test_cli_analyze_reads_a_district_folder_as_its_files(served, capsys) -> None:
    """`--district DIR` (as `adaptive simulate --out` writes it) instead of --data, --catalog
    and --profiles: the same table; without either, one error naming what is missing."""
    root, nights, _ = served
    files = root / "files"
    base = ["experiment", "analyze", "--assignment", str(root / "exp.json"), "--log",
            str(root / "out"), "--start", nights[0], "--end", nights[1]]  # fmt: skip
    given = ["--data", str(files / "responses.parquet"), "--catalog",
             str(files / "catalog.json"), "--profiles", str(files / "profiles.jsonl")]  # fmt: skip
    assert cli_run([*base, *given]) == 0
    by_files, err = capsys.readouterr()
    # the fixture's log is a simulated district's (truth_mastery.parquet beside it): a fixed
    # history no arm changed, which the analyst is told in one warning (a trial read its
    # correct_rate -0.0427 [-0.0685, -0.0170], p 0.001, as a finding)
    assert " ".join(err.split()).count("a simulated district's response log") == 1
    assert "are chance, not the policies" in " ".join(err.split())
    assert cli_run([*base, "--district", str(files)]) == 0
    assert capsys.readouterr().out == by_files and "effect against the reference" in by_files
    # each outcome is defined under the table, as `ope` defines its metrics (a district analyst
    # could not tell what normalized_gain was, nor why its students outnumber correct_rate's)
    said = " ".join(by_files.split())
    assert "normalized_gain: (post - pre) / (1 - pre) of the model's mean mastery" in said
    assert "for every student served on both nights, with answers in the window or none" in said
    assert "correct_rate: share of the student's answers from the start night" in said
    assert cli_run([*base, *given[:4]]) == 2
    assert "--profiles FILE (or --district DIR) is needed" in capsys.readouterr().err
    # few redraws: the caption says how coarse the randomization p is (an evaluation lead read
    # "p (randomization) 1.000" from 3 redraws as a finding)
    assert cli_run([*base, "--district", str(files), "--permutations", "3"]) == 0
    assert "from 3 redraws (two-sided): the smallest it can be is 0.250" in " ".join(
        capsys.readouterr().out.split()
    )


def test_cli_assign_writes_the_same_bytes_and_bad_arms_exit_2(served, tmp_path, capsys) -> None:
    root, _, a = served
    args = ["experiment", "assign", "--profiles", str(root / "files" / "profiles.jsonl"),
            "--arm", f"control={root / 'control.toml'}", "--arm", f"new={root / 'new.toml'}",
            "--unit", "class", "--seed", "1", "--out", str(tmp_path / "e.json")]  # fmt: skip
    assert cli_run(args) == 0
    assert " classes in " in capsys.readouterr().out
    assert (tmp_path / "e.json").read_bytes() == (root / "exp.json").read_bytes()
    # the fixture's district has one school: two arms cannot both get one (trial 2: this wrote
    # an experiment with an empty arm, exit 0); the plural "schools" is checked on a district
    # with several schools in test_experiment_assign_checks.py
    assert cli_run([*args[:9], "school", *args[10:13], str(tmp_path / "s.json")]) == 2
    assert "too few units for the arms" in capsys.readouterr().err
    assert cli_run([*args[:6], "--arm", "broken", "--out", str(tmp_path / "f.json")]) == 2
    assert "NAME=POLICY.toml" in capsys.readouterr().err
    assert Assignment.load(tmp_path / "e.json").sha256 == a.sha256


def _analyze(root, log_dir, start: str, end: str, assignment=None, data=None, **extra):
    """analyze_logs on the fixture's district files (the served assignment unless given)."""
    files = root / "files"
    return analyze_logs(
        assignment or root / "exp.json", log_dir, start=start, end=end,
        data=str(data or files / "responses.parquet"), catalog=files / "catalog.json",
        profiles=files / "profiles.jsonl", **extra,
    )  # fmt: skip


def test_analyze_refuses_an_assignment_the_nights_were_not_served_with(served, capsys) -> None:
    """Another seed's assignment: the arms logged disagree with it; the error counts the
    classes, names one, and no student id."""
    root, nights, _ = served
    other = assign(root / "files" / "profiles.jsonl",
                   {"control": root / "control.toml", "new": root / "new.toml"},
                   unit="class", seed=2).save(root / "other.json")  # fmt: skip
    with pytest.raises(AssignmentError, match=r"disagree with .*other\.json for \d+ of \d+ "
                                              r"classes \(e\.g\. class '[^']+': served"):  # fmt: skip
        _analyze(root, root / "out", *nights, assignment=other)
    args = ["experiment", "analyze", "--assignment", str(other), "--log", str(root / "out"),
            "--start", nights[0], "--end", nights[1], "--district", str(root / "files")]  # fmt: skip
    assert cli_run(args) == 2
    err = capsys.readouterr().err
    assert "disagree with" in err and "internal error" not in err
    students = pd.read_json(root / "files" / "profiles.jsonl", lines=True)["student_id"]
    assert not any(s in err for s in students)


def test_a_school_served_both_arms_is_said_so_with_the_unit_the_nights_were_randomized_by(
    served,
) -> None:
    """A district analyst's trial: a school-unit file against nights randomized by class said
    "school '0042': served 'control', assigned 'adaptive'", while the school was served both
    arms. It says so now, with each arm's students (counts: no student id) and the unit the
    nights were randomized by."""
    import dataclasses

    root, nights, a = served
    students = pd.read_parquet(root / "out" / "students" / f"date={nights[0]}")
    (school,) = students["school_id"].unique()
    units = pd.DataFrame({"unit_id": [school], "school_id": [school], "grade": [0],
                          "stratum": ["all"], "arm": ["new"]})  # fmt: skip
    by_school = dataclasses.replace(a, unit="school", units=units, source="sch.json")
    counts = students["arm"].value_counts()
    with pytest.raises(AssignmentError) as caught:
        _analyze(root, root / "out", *nights, assignment=by_school)
    said = str(caught.value)
    assert f"school {school!r} was served both arms (" in said
    for arm, n in counts.items():
        assert f"{arm!r} to {n:,} students" in said
    assert "the nights were randomized by class, sch.json by school" in said
    assert not any(s in said for s in students["student_id"])


def test_analyze_refuses_an_assignment_with_the_same_arms_but_other_policies(served) -> None:
    """Re-issued with the same seed (the same arm for each class) but an arm's policy edited:
    the arms agree, yet that is not what was served. Each night's `_SUCCESS.json` names the
    assignment it served (its sha256), and analyze compares it."""
    root, nights, a = served
    edited = root / "new_edited.toml"
    edited.write_text((root / "new.toml").read_text() + "\n# edited after the nights\n")
    reissued = assign(root / "files" / "profiles.jsonl",
                      {"control": root / "control.toml", "new": edited},
                      unit="class", seed=1).save(root / "reissued.json")  # fmt: skip
    assert Assignment.load(reissued).sha256 != a.sha256
    with pytest.raises(AssignmentError, match="was served with another assignment"):
        _analyze(root, root / "out", *nights, assignment=reissued)


def test_analyze_refuses_nights_served_without_the_experiment(served, tmp_path) -> None:
    """A night of the window (first, or one between) served without --experiment has no `arm`
    column: refused, naming that night."""
    root, nights, _ = served
    files = root / "files"
    run_daily_job(
        nights[0], tmp_path / "plain", model_name=MODEL, data=str(files / "responses.parquet"),
        catalog=files / "catalog.json", profiles=files / "profiles.jsonl",
        tracking_uri=f"sqlite:///{root / 'mlflow.db'}", show_progress=False, k=3,
    )  # fmt: skip
    with pytest.raises(AssignmentError, match=f"night {nights[0]} was served without an exp"):
        _analyze(root, tmp_path / "plain", *nights)
    mixed = tmp_path / "mixed"
    shutil.copytree(root / "out", mixed)
    middle = (pd.Timestamp(nights[0]) + pd.Timedelta(days=3)).strftime("%Y-%m-%d")
    shutil.copytree(tmp_path / "plain" / "students" / f"date={nights[0]}",
                    mixed / "students" / f"date={middle}")  # fmt: skip
    with pytest.raises(AssignmentError, match=f"night {middle} was served without an exp"):
        _analyze(root, mixed, *nights)


def test_analyze_before_any_outcome_is_one_named_error(served, tmp_path, capsys) -> None:
    """Nights after the log's last response: no outcomes yet (was a ValueError from numpy);
    a single night: refused with the reason."""
    root, nights, _ = served
    late = tmp_path / "late"
    last = pd.read_parquet(root / "files" / "responses.parquet", columns=["timestamp"]).max()
    days = [(last.iloc[0] + pd.Timedelta(days=d)).strftime("%Y-%m-%d") for d in (2, 9)]
    for night, day in zip(nights, days, strict=True):
        for table in ("students", "recommendations"):  # the latter holds the night's marker
            shutil.copytree(root / "out" / table / f"date={night}", late / table / f"date={day}")
    with pytest.raises(ConfigError, match=f"no responses between {days[0]} and {days[1]} yet"):
        _analyze(root, late, *days)
    args = ["experiment", "analyze", "--assignment", str(root / "exp.json"), "--log", str(late),
            "--start", days[0], "--end", days[1], "--district", str(root / "files")]  # fmt: skip
    assert cli_run(args) == 2
    err = capsys.readouterr().err
    assert "no responses between" in err and "Warning" not in err and "internal" not in err
    with pytest.raises(ConfigError, match="the same night.*from its second night on"):
        _analyze(root, root / "out", nights[0], nights[0])


def test_analyze_counts_only_the_windows_responses_from_any_file_format(served, tmp_path) -> None:
    """A CSV log is read in full (only Parquet skips the rows before --start): the responses
    before the first night must not enter the correct rate."""
    root, nights, _ = served
    frame = pd.read_parquet(root / "files" / "responses.parquet")
    frame["skill_ids"] = frame["skill_ids"].map(lambda skills: skills[0])
    csv = tmp_path / "responses.csv"
    frame[["student_id", "item_id", "skill_ids", "correct", "timestamp"]].to_csv(csv, index=False)
    by_parquet = _analyze(root, root / "out", *nights)
    by_csv = _analyze(root, root / "out", *nights, data=csv)
    pd.testing.assert_frame_equal(by_csv, by_parquet)


@pytest.mark.parametrize(
    ("given", "named"),
    [(["--icc", "1.5"], "--icc 1.5"), (["--sd", "0"], "--sd 0"), (["--power", "80"], "0.8")],
)
def test_cli_power_out_of_range_exits_2_naming_the_parameter(given, named, capsys) -> None:
    assert cli_run(["experiment", "power", "--clusters", "400", *given]) == 2
    err = capsys.readouterr().err
    assert named in err and "--share-treated" not in err and "internal error" not in err


# -- the files given are those the assignment was drawn from and the nights served from ------------
@pytest.fixture(scope="module")
def other_district(tmp_path_factory: pytest.TempPathFactory):
    """Another simulated district: the same kind of ids (students, classes), other data."""
    folder = tmp_path_factory.mktemp("other") / "files"
    write_district(simulate_district(150, 11, responses_per_student=10, max_school_days=30), folder)
    return folder


def _analyze_files(root, nights, **files):
    given = {"data": str(root / "files" / "responses.parquet"),
             "catalog": root / "files" / "catalog.json",
             "profiles": root / "files" / "profiles.jsonl", **files}  # fmt: skip
    return analyze_logs(root / "exp.json", root / "out", start=nights[0], end=nights[1], **given)


def test_analyze_refuses_profiles_the_assignment_was_not_drawn_from(served, other_district,
                                                                    capsys) -> None:  # fmt: skip
    """Was: `analyze --district OTHER` reported effects computed from the other district's
    classes and log, exit 0. The assignment records its profiles' sha256: another file is
    warned of (a roster changes over a semester), and the classes the nights served each
    student in decide: another district's are refused."""
    from adaptive.evaluation.ope.served import ServedInputError, ServedInputWarning

    root, nights, a = served
    with (
        pytest.warns(ServedInputWarning, match=r"--profiles .*profiles\.jsonl: not the file "
                     rf".*exp\.json was drawn from .*'profiles_sha256' is "
                     rf"{a.profiles_sha256[:16]}"),
        pytest.raises(ServedInputError, match=r"are in another class or school"),
    ):  # fmt: skip
        _analyze_files(root, nights, profiles=other_district / "profiles.jsonl")
    args = ["experiment", "analyze", "--assignment", str(root / "exp.json"), "--log",
            str(root / "out"), "--start", nights[0], "--end", nights[1], "--district",
            str(other_district)]  # fmt: skip
    assert cli_run(args) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "served from" in err and "Traceback" not in err


def test_analyze_refuses_another_log_or_catalog_than_the_nights_were_served_from(
    served, other_district, tmp_path
) -> None:
    """The right profiles, but another district's response log (the snapshots record the rows
    before each night's cutoff) or a catalog laid out otherwise (they record its layout)."""
    from adaptive.evaluation.ope.served import ServedInputError

    root, nights, _ = served
    with pytest.raises(ServedInputError, match=rf"not the response log the night {nights[0]} "
                                               r"was served from"):  # fmt: skip
        _analyze_files(root, nights, data=str(other_district / "responses.parquet"))
    doc = json.loads((root / "files" / "catalog.json").read_text())
    doc["activities"] = doc["activities"][::-1]
    (tmp_path / "catalog.json").write_text(json.dumps(doc))
    with pytest.raises(ServedInputError, match="not the catalog the night .* was served from"):
        _analyze_files(root, nights, catalog=tmp_path / "catalog.json")


def test_analyze_refuses_an_unrelated_older_longer_log_by_its_students(served, tmp_path) -> None:
    """As `ope` (a data scientist's trial): an unrelated export, every answer years before the
    nights and more rows than they read, was taken for answers that arrived late (a warning
    saying another district's log would be refused: it was not). Now one refusal, with the
    counts, before any warning."""
    import warnings

    from adaptive.evaluation.ope.served import ServedInputError, ServedInputWarning

    root, nights, _ = served
    frame = pd.read_parquet(root / "files" / "responses.parquet")
    frame["student_id"] = "U" + frame["student_id"].astype(str)
    frame["skill_ids"] = frame["skill_ids"].map(lambda skills: [f"X{s}" for s in skills])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True) - pd.Timedelta(days=3650)
    frame.to_parquet(tmp_path / "company.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ServedInputWarning)
        with pytest.raises(ServedInputError, match=r"company\.parquet: not the response log the "
                           r"nights were served from: none of its [\d,]+ students \(whose "
                           r"answers all date before the nights\)"):  # fmt: skip
            _analyze_files(root, nights, data=str(tmp_path / "company.parquet"))


def test_analyze_refuses_profiles_in_memory_that_put_students_in_other_classes(
    served, other_district
) -> None:
    """Profiles in memory have no digest to compare: the classes the nights served each student
    in (the students output) are compared instead."""
    from adaptive.batch.job import read_profiles
    from adaptive.evaluation.ope.served import ServedInputError

    root, nights, _ = served
    with pytest.raises(ServedInputError, match=rf"of [\d,]+ students of the night {nights[0]} "
                                               r"are in another class or school"):  # fmt: skip
        _analyze_files(root, nights, profiles=read_profiles(other_district / "profiles.jsonl"))


def test_a_student_who_moved_class_stays_in_the_arm_they_were_randomized_into(served) -> None:
    """The profiles given to analyze decided each student's arm: one moved into a class of the
    other arm was counted there, and every student of a new class was dropped without a count
    (the evaluation office's trial of stop 38). The start night's class decides now (intention
    to treat), the move is said, and each effect says its students and raw means per arm."""
    import dataclasses
    import warnings

    from adaptive.batch.job import read_profiles
    from adaptive.evaluation.ope.served import ServedInputWarning

    root, nights, a = served
    profiles = read_profiles(root / "files" / "profiles.jsonl")
    plain = _analyze_files(root, nights, profiles=profiles)
    arms = a.arm_of(
        pd.Series([p.class_id or "" for p in profiles.values()]),
        pd.Series([p.school_id or "" for p in profiles.values()]),
    )
    ids = list(profiles)
    mover = ids[0]
    other = next(p.class_id for p, arm in zip(profiles.values(), arms, strict=True)
                 if arm != arms[0] and p.school_id == profiles[mover].school_id)  # fmt: skip
    moved = dict(profiles)
    moved[mover] = dataclasses.replace(profiles[mover], class_id=other)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        again = _analyze_files(root, nights, profiles=moved)
    assert any(
        issubclass(w.category, ServedInputWarning)
        and "1 student is in another class" in str(w.message)
        for w in said
    )
    pd.testing.assert_frame_equal(again, plain)  # the same arms: the start night's
    row = plain.iloc[0]
    assert row["n_arm"] + row["n_reference"] == row["n_students"]
    assert row["mean_arm"] == row["mean_arm"] and row["mean_reference"] == row["mean_reference"]


def test_analyze_of_a_night_not_served_lists_the_served_nights(served, capsys) -> None:
    """A district evaluator's trial: `--start` a day off gave "no students output for the night
    2026-10-06; expected a night the job served", leaving them to `ls` the folder; `report`
    lists them. The same words now ("its complete nights: ...: give one")."""
    root, nights, _ = served
    off = (pd.Timestamp(nights[0]) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    with pytest.raises(AssignmentError) as err:
        _analyze(root, root / "out", off, nights[1])
    message = str(err.value)
    assert message.startswith(f"--start {off}: {root / 'out'} holds no students output")
    assert (
        f"its complete nights: {nights[0]}, {nights[1]}: give one, or run `adaptive batch "
        in message
    )
    # a day between served nights: the job refuses it without --backfill, so the advice has it
    assert message.endswith(f"--experiment {root / 'exp.json'} --backfill`"), message
    args = ["experiment", "analyze", "--assignment", str(root / "exp.json"), "--log",
            str(root / "out"), "--start", nights[0], "--end", off, "--district",
            str(root / "files")]  # fmt: skip
    later = pd.Timestamp(nights[1]) + pd.Timedelta(days=1)
    args[args.index(off)] = later.strftime("%Y-%m-%d")
    assert cli_run(args) == 2
    err_text = " ".join(capsys.readouterr().err.split())
    assert (
        f"--end {later:%Y-%m-%d}:" in err_text and f"{nights[0]}, {nights[1]}: give one" in err_text
    )


# -- an assignment drawn from another roster than the one the nights served ------------------------
def test_analyze_refuses_a_night_that_did_not_finish(served, tmp_path) -> None:
    """A night killed mid-run leaves some schools' outputs and no `_SUCCESS.json`: given as
    `--end`, its partial students table was read as the whole district's (an estimate over the
    schools written before the kill, without a word). It is refused, with what to do."""
    root, nights, _ = served
    out = tmp_path / "out"
    shutil.copytree(root / "out", out)
    marker = out / "recommendations" / f"date={nights[1]}" / "_SUCCESS.json"
    marker.unlink()
    with pytest.raises(AssignmentError) as err:
        _analyze(root, out, nights[0], nights[1])
    message = str(err.value)
    assert message.startswith(f"--end {nights[1]}: the night did not finish in {out}"), message
    assert "serve it again" in message and f"its complete nights: {nights[0]}" in message


def _drawn_without(root, tmp_path, n_classes: int) -> tuple:
    """An assignment drawn from the fixture's profiles less the students of its first
    `n_classes` classes (another roster's: its classes only partly the district's), saved; and
    the classes left out."""
    people = pd.read_json(root / "files" / "profiles.jsonl", lines=True, dtype={"student_id": str})
    gone = sorted(people["class_id"].unique())[:n_classes]
    roster = tmp_path / "other_profiles.jsonl"
    lines = (root / "files" / "profiles.jsonl").read_text().splitlines()
    kept = [line for line in lines if json.loads(line)["class_id"] not in gone]
    roster.write_text("\n".join(kept) + "\n")
    a = assign(roster, {"control": root / "control.toml", "new": root / "new.toml"}, seed=1)
    return a.save(tmp_path / "exp_other.json"), gone


def _serve_nights(root, nights, out, assignment) -> None:
    for night in nights:
        run_daily_job(
            night, out, model_name=MODEL, data=str(root / "files" / "responses.parquet"),
            catalog=root / "files" / "catalog.json", profiles=root / "files" / "profiles.jsonl",
            tracking_uri=f"sqlite:///{root / 'mlflow.db'}", show_progress=False, k=3,
            experiment=assignment,
        )  # fmt: skip


def test_another_rosters_assignment_is_warned_of_by_batch_and_refused_by_analyze(
    served, tmp_path, capsys
) -> None:
    """A district evaluator's trial: an assignment drawn from another district's profiles was
    served with only "591 students are outside the experiment (a new class or school?)" and
    analysed with "a roster updated since?", effects printed over 37 of 69 classes. Now the
    night says the assignment was drawn from other profiles and how many it leaves out, and
    analyze refuses when more than a quarter of the students are outside it."""
    from adaptive.errors import ExperimentWarning

    root, nights, _ = served
    path, gone = _drawn_without(root, tmp_path, n_classes=len(_classes(root)) // 2)
    out = tmp_path / "out"
    with pytest.warns(ExperimentWarning) as said:
        _serve_nights(root, nights[:1], out, path)
    roster = [str(w.message) for w in said if "drawn from other profiles" in str(w.message)]
    assert len(roster) == 1
    outside = _students_in(root, gone)
    assert re.search(
        rf"^{outside:,} of tonight's [\d,]+ students \(\d+%\) are in no class of the "
        rf"experiment .*exp_other\.json, which was drawn from other profiles",
        roster[0],
    )
    _serve_nights(root, nights[1:], out, path)
    with pytest.raises(AssignmentError) as err:
        _analyze(root, out, *nights, assignment=path)
    message = str(err.value)
    assert f"are in no class of {path}" in message and "more than 25%" in message
    assert f"({len(gone)} of {len(_classes(root))} classes)" in message
    assert "drawn from other profiles than --profiles" in message
    args = ["experiment", "analyze", "--assignment", str(path), "--log", str(out), "--start",
            nights[0], "--end", nights[1], "--district", str(root / "files")]  # fmt: skip
    assert cli_run(args) == 2
    assert "more than 25%" in capsys.readouterr().err


def test_a_roster_update_of_a_few_new_students_is_analysed_with_a_count(served, tmp_path) -> None:
    """A class new since the draw (a roster updated: a few students) is served the night's own
    policy and left out of the effects, counted in a warning; the analysis goes on."""
    from adaptive.errors import ExperimentWarning

    root, nights, _ = served
    path, gone = _drawn_without(root, tmp_path, n_classes=1)
    out = tmp_path / "out"
    _serve_nights(root, nights, out, path)
    with pytest.warns(ExperimentWarning, match=rf"{_students_in(root, gone):,} of the [\d,]+ "
                                               r"students of the start night .* \(1 of \d+ "
                                               r"classes\) are in no class of .*left out"):  # fmt: skip
        effects = _analyze(root, out, *nights, assignment=path)
    assert set(effects["outcome"]) == {"normalized_gain", "correct_rate"}


def _classes(root) -> list[str]:
    people = pd.read_json(root / "files" / "profiles.jsonl", lines=True)
    return sorted(people["class_id"].unique())


def _students_in(root, classes: list[str]) -> int:
    people = pd.read_json(root / "files" / "profiles.jsonl", lines=True)
    return int(people["class_id"].isin(classes).sum())


def _cli_batch(root, night: str, out, assignment) -> list[str]:
    """`adaptive batch` of one night of the fixture's district with `assignment`."""
    files = root / "files"
    return ["batch", "--date", night, "--out", str(out), "--data",
            str(files / "responses.parquet"), "--catalog", str(files / "catalog.json"),
            "--profiles", str(files / "profiles.jsonl"), "--name", MODEL, "--tracking-uri",
            f"sqlite:///{root / 'mlflow.db'}", "--workers", "1", "--k", "3", "--experiment",
            str(assignment), "--quiet"]  # fmt: skip


def test_students_outside_the_assignment_are_one_warning_a_night_with_advice_for_its_stage(
    served, tmp_path, capsys
) -> None:
    """A user trial: each night of an experiment whose roster gained a class printed two
    warnings about the same students ("drawn from other profiles than tonight's ... does not
    cover 20 of tonight's 1,520 students" and "20 students are outside the experiment ... (a new
    class or school?)"), and the first advised to "draw it again from tonight's profiles before
    the experiment's first night" on nights after the experiment had begun. One warning a night
    now, whose advice fits: before the first night, draw it again; after, keep it."""
    root, nights, _ = served
    path, gone = _drawn_without(root, tmp_path, n_classes=1)
    outside = _students_in(root, gone)
    out = tmp_path / "out"
    for night in nights:
        assert cli_run(_cli_batch(root, night, out, path)) == 0
        said = capsys.readouterr().err
        about = [line for line in said.split("warning: ")[1:] if f"{outside:,} " in line]
        assert len(about) == 1, said
        text = " ".join(about[0].split())
        assert f"{outside:,} of tonight's " in text and "drawn from other profiles" in text
        assert "outside the experiment" not in said
        if night == nights[0]:
            assert "draw it again from tonight's profiles before serving the experiment's" in text
        else:
            assert (
                f"The experiment began on the night {nights[0]} with this assignment: keep it"
            ) in text
            assert "draw it again" not in text


def test_profiles_other_than_the_nights_are_refused_as_the_grades_of_the_outcome(
    served, tmp_path, capsys
) -> None:
    """A user trial: grades +1 in --profiles moved normalized_gain, with only the roster
    warning. The nights' recorded sha256 of their profiles decides, as in `ope`."""
    import warnings

    from adaptive.evaluation.ope.served import OtherProfilesError, ServedInputWarning

    root, nights, _ = served
    lines = (root / "files" / "profiles.jsonl").read_text().splitlines()
    regraded = tmp_path / "grades.jsonl"
    regraded.write_text("".join(
        json.dumps({**p, "grade": (p.get("grade") or 0) + 1}) + "\n"
        for p in map(json.loads, lines)
    ))  # fmt: skip
    with pytest.raises(OtherProfilesError) as refused:
        _analyze_files(root, nights, profiles=regraded)
    said = " ".join(str(refused.value).split())
    # the start night's file alone: the grades the outcome starts from
    assert f"the night {nights[0]} was served from" in said
    assert "normalized_gain is computed from these profiles' grades" in said
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _analyze_files(root, nights, profiles=regraded, allow_other_profiles=True)
    assert any(issubclass(w.category, ServedInputWarning)
               and "normalized_gain is computed" in str(w.message) for w in caught)  # fmt: skip
    args = ["experiment", "analyze", "--assignment", str(root / "exp.json"), "--log",
            str(root / "out"), "--start", nights[0], "--end", nights[1], "--district",
            str(root / "files")]  # fmt: skip
    assert (
        cli_run(
            [
                *args[:-2],
                "--data",
                str(root / "files" / "responses.parquet"),
                "--catalog",
                str(root / "files" / "catalog.json"),
                "--profiles",
                str(regraded),
            ]
        )
        == 2
    )
    assert "--allow-other-profiles" in capsys.readouterr().err


def test_students_new_since_the_profiles_given_are_not_said_to_have_left(served, tmp_path):
    """A user trial: nights served with a roster that gained a class, analysed with the older
    roster, warned "20 ... not in the profiles at all (left since?) ...: students who moved
    since?": new students called leavers, and the roster given called the newer. Which of the
    two is newer the files do not tell: the warning says both ways, and both digests."""
    import warnings

    from adaptive.evaluation.ope.served import ServedInputWarning
    from adaptive.files import file_sha256

    root, nights, _ = served
    older = root / "files" / "profiles.jsonl"
    lines = older.read_text().splitlines()
    first = json.loads(lines[0])
    new = [json.dumps({**first, "student_id": f"new{i:03d}", "class_id": "new-class"})
           for i in range(5)]  # fmt: skip
    newer = tmp_path / "profiles.jsonl"
    newer.write_text("\n".join([*lines, *new]) + "\n")
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for night in nights:
            run_daily_job(
                night, out, model_name=MODEL, data=str(root / "files" / "responses.parquet"),
                catalog=root / "files" / "catalog.json", profiles=newer,
                tracking_uri=f"sqlite:///{root / 'mlflow.db'}", show_progress=False, k=3,
                experiment=root / "exp.json",
            )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _analyze(root, out, *nights, allow_other_profiles=True)
    said = [" ".join(str(w.message).split()) for w in caught
            if issubclass(w.category, ServedInputWarning) and "--profiles" in str(w.message)
            and "not the profiles file" not in str(w.message)]  # fmt: skip
    assert said, [str(w.message) for w in caught]
    for text in said:
        assert re.search(
            r"5 of [\d,]+ students of the night \S+ are in none of these profiles \(enrolled "
            r"after they were exported, or left before\)", text
        )  # fmt: skip
        assert (
            f"(the night's: sha256 {file_sha256(newer)[:12]}...; these: "
            f"{file_sha256(older)[:12]}...)"
        ) in text
        assert "left since" not in text and "moved since" not in text


def test_the_whole_log_fallback_reads_once_by_the_jobs_reader(served, older_unrelated_log):
    """The "read the whole log" fallback of the students' check read the log here with
    `load_log` (its optional columns too) and in `ope` with the job's reader. One reader for
    both (`served.read_whole_log`): read once, each load note said once."""
    import warnings

    from adaptive.errors import DataNoteWarning
    from adaptive.evaluation.ope.served import ServedInputError

    root, nights, _ = served
    path, whole = older_unrelated_log(root / "files" / "responses.parquet")
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        with pytest.raises(ServedInputError, match="whose answers all date before the nights"):
            _analyze_files(root, nights, data=str(path))
    notes = [str(w.message) for w in said if issubclass(w.category, DataNoteWarning)]
    assert len(whole) == 1
    assert notes and len(notes) == len(set(notes)) and "share their time" in " ".join(notes)


def test_an_experiment_of_none_of_the_districts_classes_is_refused_before_serving(
    served, tmp_path, capsys
) -> None:
    """A district trial: `batch --experiment ghost.json` (every class another year's) only
    warned and served the night, exit 0. Now exit 2, nothing written, the file named, what
    matched counted (0 of N classes) and the likely cause said."""
    root, nights, _ = served
    lines = (root / "files" / "profiles.jsonl").read_text().splitlines()
    renamed = []
    for line in lines:
        profile = json.loads(line)
        profile["class_id"] = "y2025-" + profile["class_id"]
        renamed.append(json.dumps(profile))
    last_year = tmp_path / "last_year.jsonl"
    last_year.write_text("\n".join(renamed) + "\n")
    ghost = assign(last_year, {"control": root / "control.toml", "new": root / "new.toml"},
                   seed=1).save(tmp_path / "ghost.json")  # fmt: skip
    out = tmp_path / "out"
    assert cli_run(_cli_batch(root, nights[0], out, ghost)) == 2
    err = " ".join(capsys.readouterr().err.split())
    n = len(_classes(root))
    assert f"--experiment {ghost}: 0 of the profiles' {n} classes" in err
    assert "another year's or another district's ids" in err and "Traceback" not in err
    assert not (out / "recommendations").exists()


def test_the_summary_says_which_policy_each_student_was_served(served, tmp_path, capsys):
    """A district trial: nights where every student was served an arm's policy said "policy
    shipped default; experiment design.json". Now the arms and their students, in the
    assignment's order."""
    root, nights, a = served
    args = [arg for arg in _cli_batch(root, nights[0], tmp_path / "out", root / "exp.json")
            if arg != "--quiet"]  # fmt: skip
    assert cli_run(args) == 0
    said = " ".join(capsys.readouterr().out.split())
    students = pd.read_parquet(root / "out" / "students" / f"date={nights[0]}")
    n = students["arm"].value_counts()
    assert (
        f"policies: experiment exp.json arms control ({n['control']:,} students), "
        f"new ({n['new']:,} students);" in said
    )
    assert "policy shipped default" not in said


def test_analyze_counts_the_crossovers_and_analyzes_them_as_assigned(
    served, tmp_path, capsys
) -> None:
    """A research office's trial: students moved after the draw into a class of the other arm
    (served there on a later night) were analysed in their assigned arm without a word, with
    the draw's profiles given. Now the output counts them (crossovers; intention to treat),
    without an id."""
    import json

    root, nights, a = served
    files = root / "files"
    lines = [json.loads(line) for line in (files / "profiles.jsonl").read_text().splitlines()]
    arm_of = dict(zip(a.units["unit_id"], a.units["arm"], strict=True))
    target = {arm: unit for unit, arm in arm_of.items()}  # one class of each arm
    movers = [p for p in lines if arm_of.get(p["class_id"]) == "control"][:5]
    for p in movers:
        p["class_id"] = target["new"]
    moved = tmp_path / "moved.jsonl"
    moved.write_text("".join(json.dumps(p) + "\n" for p in lines))
    out = tmp_path / "out"
    shutil.copytree(root / "out", out)
    later = (pd.Timestamp(nights[1]) + pd.Timedelta(days=3)).strftime("%Y-%m-%d")
    run_daily_job(
        later, out, model_name=MODEL, data=str(files / "responses.parquet"),
        catalog=files / "catalog.json", profiles=moved, show_progress=False, k=3,
        tracking_uri=f"sqlite:///{root / 'mlflow.db'}", experiment=root / "exp.json",
    )  # fmt: skip
    args = ["experiment", "analyze", "--assignment", str(root / "exp.json"), "--log", str(out),
            "--start", nights[0], "--end", later, "--district", str(files)]  # fmt: skip
    assert cli_run(args) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert (
        "5 students were served in the other arm on some night (crossovers); analyzed as "
        "assigned (intention to treat" in said
    )
    assert not any(p["student_id"] in said for p in movers)
    assert cli_run([*args[:9], nights[1], *args[10:]]) == 0
    assert "crossovers" not in capsys.readouterr().out  # the window before the move: none


def test_ope_on_class_randomized_nights_resamples_the_classes(served, capsys) -> None:
    """A research office's trial: `adaptive ope` on nights served under a class-randomized
    experiment resampled students, whose classmates share a teacher (intervals too narrow).
    Now the bootstrap resamples the experiment's unit, and the output says so."""
    root, nights, a = served
    files = root / "files"
    args = ["ope", "--log", str(root / "out"), "--candidate", str(root / "new.toml"),
            "--district", str(files), "--tracking-uri", f"sqlite:///{root / 'mlflow.db'}",
            "--n-boot", "50", "--min-ess", "0", "--min-overlap", "0", "--metric", "correct",
            "--end", nights[0]]  # fmt: skip
    assert cli_run(args) == 0
    said = " ".join(capsys.readouterr().out.split())
    served_classes = pd.read_parquet(root / "out" / "students" / f"date={nights[0]}")
    n = served_classes[["school_id", "class_id"]].drop_duplicates().shape[0]
    assert f"{len(served_classes):,} students; " in said
    assert f"bootstrap over {n} classes (the experiment's randomization unit" in said
    assert "clustered by class" in said


def test_a_folder_whose_first_night_had_no_experiment_keeps_the_later_arms(
    served, tmp_path
) -> None:
    """A research office's trial: the first night served without --experiment, the next with
    it; the folder read as one dataset (`pd.read_parquet(out / "students")`, whose columns are
    the first night's files') lost the `arm` column. Every night writes it now: null without an
    experiment. `experiment analyze` still refuses such a night as served without one."""
    root, nights, _ = served
    files = root / "files"
    out = tmp_path / "out"
    for night, experiment in ((nights[0], None), (nights[1], root / "exp.json")):
        run_daily_job(
            night, out, model_name=MODEL, data=str(files / "responses.parquet"),
            catalog=files / "catalog.json", profiles=files / "profiles.jsonl",
            tracking_uri=f"sqlite:///{root / 'mlflow.db'}", show_progress=False, k=3,
            experiment=experiment,
        )  # fmt: skip
    for table in ("recommendations", "students"):
        read = pd.read_parquet(out / table)
        assert "arm" in read.columns, table
        by_night = {str(d): g["arm"] for d, g in read.groupby("date", observed=True)}
        assert by_night[nights[0]].isna().all()
        assert set(by_night[nights[1]]) == {"control", "new"}
    with pytest.raises(AssignmentError, match=f"night {nights[0]} was served without an exp"):
        _analyze(root, out, *nights)
