"""`adaptive recommend` and `adaptive policy-eval` on a tiny simulated district."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from adaptive.cli import app, run
from adaptive.policy.service import load_district, recommend_students
from adaptive.simulation.district import simulate_district, write_district

runner = CliRunner()


@pytest.fixture(scope="module")
def district_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("district")
    write_district(simulate_district(30, seed=3, responses_per_student=20), out)
    return out


def test_recommend_json_and_table(district_dir) -> None:
    sid = load_district(district_dir).log.students[0]
    res = runner.invoke(
        app, ["recommend", "--student", sid, "--k", "4", "--json", "--district", str(district_dir)]
    )
    assert res.exit_code == 0, res.output
    recs = json.loads(res.output)[sid]["recommendations"]
    assert 1 <= len(recs) <= 4
    assert all(r["sentence"] and r["reasons"] for r in recs)
    assert [r["rank"] for r in recs] == list(range(1, len(recs) + 1))
    table = runner.invoke(app, ["recommend", "--student", sid, "--district", str(district_dir)])
    assert table.exit_code == 0 and "Next activities" in table.output
    # the library call behind the command gives the same activities
    same = recommend_students([sid], 4, district=district_dir)[sid]
    assert [r.activity_id for r in same] == [r["activity_id"] for r in recs]


def test_recommend_explains_and_rejects_unknown_students(district_dir, capsys) -> None:
    d = load_district(district_dir)
    sid = d.log.students[0]
    blocked = d.catalog.activities[-1].id  # a top-grade project
    res = runner.invoke(app, ["recommend", "--student", sid, "--explain", blocked, "--json",
                              "--district", str(district_dir)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["status"] in {"blocked", "eligible", "over_budget", "recommended",
                                                "skill_cap", "completed", "stuck"}  # fmt: skip
    code = run(["recommend", "--student", sid, "--explain", "no-such-activity",
                "--district", str(district_dir)])  # fmt: skip
    assert code == 2 and "--explain 'no-such-activity': not an activity" in capsys.readouterr().err
    from adaptive.errors import ConfigError

    with pytest.raises(ConfigError, match="the student id passed is not in the district's"):
        recommend_students(["nobody"], district=district_dir)


def test_recommend_students_names_unknown_ids_by_position_not_by_id(district_dir) -> None:
    """A vendor's request error goes to the vendor's logs: it said "unknown student id(s)
    'nobody', 'stu9'" (and "did you mean" another student's id); now positions and counts."""
    from adaptive.errors import ConfigError

    known = load_district(district_dir).log.students[:3]
    with pytest.raises(ConfigError) as refused:
        recommend_students(  # "nobody-9", not "stu9": that reads as a student's id (stu...09)
            [known[0], "nobody", known[1], "nobody-9", known[2]], district=district_dir
        )
    message = str(refused.value)
    assert message == (
        "2 of the 5 student ids passed (the 2nd and 4th) are not in the district's profiles or "
        "responses"
    )
    assert refused.value.positions == (1, 3)  # every one, 0-based, for the caller to find


def test_checking_students_does_not_walk_the_district(district_dir, monkeypatch) -> None:
    """`check_students_known` built the set of every profile and logged student on each
    `recommend_students` call, a per-request cost growing with the district; now each passed id
    is looked up (the profiles' dict, the log's hashed student index). A refused request too:
    its "differs only in case" hint read every known id at each request (a second at 400,000
    students, for each new student a vendor sent); the district's ids are now read once, at the
    first refused request, and each later one looks its id up."""
    from adaptive.data import codes
    from adaptive.errors import UnknownStudentsError
    from adaptive.policy.service import District, check_students_known

    class Counted(dict):
        walks = 0

        def __iter__(self):
            self.walks += 1
            return super().__iter__()

    d = load_district(district_dir)
    sid = d.log.students[0]
    counted = District(d.catalog, Counted(d.profiles), d.log)
    check_students_known(counted, [sid, next(iter(d.profiles))])
    assert counted.profiles.walks == 0
    refused = r"^1 of the 2 student ids passed \(the 2nd\) is not in"
    with pytest.raises(UnknownStudentsError, match=refused):
        check_students_known(counted, [sid, "nobody"])
    assert counted.profiles.walks == 1  # once, for the hint's look-up by reading
    for new in ("nobody-else", "a-new-student", sid.upper()):
        with pytest.raises(UnknownStudentsError, match=refused) as again:
            check_students_known(counted, [sid, new])
    assert counted.profiles.walks == 1
    assert again.value.likely_matches == {1: sid}  # the hint still found
    read, look_alike = [], codes.look_alike  # KnownIds reads ids there
    monkeypatch.setattr(codes, "look_alike", lambda name: read.append(name) or look_alike(name))
    with pytest.raises(UnknownStudentsError, match=refused):
        check_students_known(counted, [sid, "one-more-new-student"])
    assert read == ["one-more-new-student"]  # nor is any other id read
    counted.profiles["NEW-PROFILE"] = d.profiles[next(iter(d.profiles))]  # the district grew
    with pytest.raises(UnknownStudentsError) as grown:
        check_students_known(counted, ["new-profile"])
    assert grown.value.likely_matches == {0: "NEW-PROFILE"}  # read again, with the new one


def test_known_ids_reads_as_same_as_read() -> None:
    """`KnownIds` answers what `same_as_read` says over the same ids, in one look-up: a case
    slip first (the first in order of several), else the first look-alike, else None."""
    from adaptive.data.codes import KnownIds
    from adaptive.errors import same_as_read

    ids = ["stu0000001", "STU0000002", "Stu0000002", "stu002", "0042", "42b", "O", "stu0000010"]
    known = KnownIds(ids)
    for name in ["STU0000001", "stu1", "stu0000002", "sTu002", "stu2", "42", "o", "0", "stul0",
                 "stuo000010", "nobody", "", "stu0000003"]:  # fmt: skip
        assert known.reads_as(name) == same_as_read(name, ids), name


def test_recommend_starts_each_student_from_their_grade(district_dir) -> None:
    """As the nightly job does: a student is traced from their grade's placement, not from the
    population prior, so a skill they never answered keeps the grade's value, and a student
    with a profile and no response yet is recommended from it (and told so)."""
    import dataclasses

    import numpy as np

    from adaptive.curriculum import LearnerProfile
    from adaptive.placement import grade_placement
    from adaptive.policy import PolicyConfig
    from adaptive.policy.service import default_model, student_batch, traced_students

    d = load_district(district_dir)
    model = default_model(d.log, d.catalog)  # BKT: a placed P(known) stays until answered
    sid = d.log.students[0]
    log, state = traced_students(model, d, [sid])
    answered = set(log.skills[np.unique(log.exploded()[1])])
    grade = grade_placement(d.catalog, [d.profiles[sid]])
    mastery = pd.Series(model.mastery(state, np.array([0]))[0], index=model.skills_)
    unanswered = [s for s in model.skills_ if s not in answered]
    placed = pd.Series(grade.mastery[0], index=grade.skills)[unanswered]
    assert unanswered and np.allclose(mastery[unanswered], placed)

    newcomer = LearnerProfile("newcomer", grade=d.profiles[sid].grade)
    with_newcomer = dataclasses.replace(d, profiles={**d.profiles, "newcomer": newcomer})
    batch, _ = student_batch("newcomer", with_newcomer, model, PolicyConfig.default())
    assert list(batch.placement) == [f"placed from grade {newcomer.grade}"]
    grade_row = grade_placement(d.catalog, [newcomer]).aligned(list(d.catalog.skill_index))[0]
    known = ~np.isnan(grade_row)
    assert np.allclose(batch.mastery[0][known], grade_row[known], atol=0.05)


def test_recommend_a_kindergartner_without_answers_says_where_they_start(
    district_dir, tmp_path
) -> None:
    """A profiles file written by a K-12 district: "K" and "05" as grades, a student with no
    answer yet. The command reads them (it failed on the "K" line), and the table says where
    the newcomer was started (the JSON's placement reason was not in the table)."""
    d = load_district(district_dir)
    profiles = tmp_path / "profiles.jsonl"
    lines = [json.dumps(p.to_dict()) for p in d.profiles.values()]
    lines += ['{"student_id": "kid1", "grade": "K"}', '{"student_id": "new5", "grade": "05"}']
    profiles.write_text("\n".join(lines) + "\n")
    args = ["recommend", "--data", str(district_dir / "responses.parquet"), "--catalog",
            str(district_dir / "catalog.json"), "--profiles", str(profiles), "--student", "kid1",
            "--student", "new5", "--k", "2"]  # fmt: skip
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "placed from grade K" in table.output and "placed from grade 5" in table.output
    payload = json.loads(runner.invoke(app, [*args, "--json"]).output)
    reasons = [r for rec in payload["kid1"]["recommendations"] for r in rec["reasons"]]
    assert {"term": "placement", "contribution": 0.0, "detail": "placed from grade K"} in reasons
    # the same two students as a roster CSV export: the same recommendations as their lines
    # alone (with every student's profile, the model fitted here reads where the district's
    # students start from their first answers: `adaptive.placement.calibrate`)
    profiles.write_text("\n".join(lines[-2:]) + "\n")
    payload = json.loads(runner.invoke(app, [*args, "--json"]).output)
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,grade\nkid1,K\nnew5,05\n")
    as_csv = [
        *args[: args.index("--profiles") + 1],
        str(roster),
        *args[args.index("--profiles") + 2 :],
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        same = json.loads(runner.invoke(app, [*as_csv, "--json"]).output)
    assert same["kid1"] == payload["kid1"] and same["new5"] == payload["new5"]
    # a roster of the requested students alone is no roster of another year (a review: the
    # model fitted here warned that 100% of the log's students had no profile)
    assert not [w for w in caught if "have no profile with a grade" in str(w.message)]


def test_policy_eval_command(tmp_path) -> None:
    res = runner.invoke(app, [
        "policy-eval", "--students", "20", "--seeds", "1", "--activities", "2,3",
        "--simulators", "bkt", "--policies", "adaptive,greedy-target", "--bootstrap", "20",
        "--out", str(tmp_path),
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    csv = pd.read_csv(tmp_path / "policy_eval.csv")
    assert {"simulator", "policy", "metric", "n_activities", "mean", "ci_low", "ci_high"} <= set(
        csv
    )
    assert set(csv.policy) == {"adaptive", "greedy-target"}
    # the gain@N, said tuned on or held out (a trial read the normalized gain's
    # negative junyi means as adaptive doing worst where it gained most skills)
    said = " ".join(res.output.split())
    assert "Skills newly mastered after 3 activities (gain@3" in said and "tuned on" in said
    assert "20 (seed, student) units a cell: intervals from so few are rough" in said
    settings = json.loads((tmp_path / "policy_eval_settings.json").read_text())
    assert settings["adaptive_version"]
    # a negative seed was numpy's internal error (exit 1)
    bad = runner.invoke(app, ["policy-eval", "--first-seed", "-1", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_policy_eval_quiet_prints_no_warning_about_its_own_burn_in_fit(tmp_path, capsys) -> None:
    """A researcher's `policy-eval -q` printed "warning: BKT fit on sparse or unusual data ...
    (every skill's parameters: model.params_table())" about the simulator's burn-in tracer, a
    model they never held. Its fit's words go to the progress line, which -q hides."""
    args = ["policy-eval", "--students", "20", "--seeds", "1", "--activities", "3",
            "--simulators", "bkt", "--policies", "adaptive", "--bootstrap", "20"]  # fmt: skip
    assert run([*args, "-q", "--out", str(tmp_path / "q")]) == 0
    quiet = capsys.readouterr()
    assert "params_table" not in quiet.out + quiet.err and "gain@3" in quiet.out
    assert run([*args, "--out", str(tmp_path / "v")]) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert "its fit on the bkt simulator's burn-in students warned: BKT fit" in said


def test_a_ceiling_whose_gain_is_not_above_0_gives_no_ratio() -> None:
    """A trial's junyi normalized gains read ratios of -1.1 to -3.9 over a ceiling of 0.003
    [-0.01, 0.02]: no ratio is read over a ceiling whose gain is not shown above 0."""
    from adaptive.evaluation.policy_eval import ceiling_ratios

    table = pd.DataFrame({
        "simulator": ["s"] * 4, "metric": ["skills_gained"] * 2 + ["normalized_gain"] * 2,
        "n_activities": [5] * 4, "policy": ["adaptive", "ceiling"] * 2,
        "mean": [0.5, 2.0, -0.03, 0.003], "ci_low": [0.4, 1.5, -0.05, -0.01],
    })  # fmt: skip
    assert ceiling_ratios(table)[:2].tolist() == [0.25, 1.0]
    assert np.isnan(ceiling_ratios(table)[2:]).all()


def test_policy_eval_runs_a_model_filter_beside_the_policies_and_refuses_it_where_it_cannot(
    tmp_path, capsys
) -> None:
    """A model filter is asked for by name, as the baselines are; on learners whose knowledge
    is not binary (logistic) the command says so, exit 2."""
    args = ["policy-eval", "--students", "20", "--seeds", "1", "--activities", "3",
            "--bootstrap", "20"]  # fmt: skip
    res = runner.invoke(app, [*args, "--simulators", "bkt-cold", "--policies",
                              "adaptive,model-filter", "--out", str(tmp_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert set(pd.read_csv(tmp_path / "policy_eval.csv").policy) == {"adaptive", "model-filter"}
    code = run([*args, "--simulators", "logistic", "--policies", "adaptive,model-filter",
                "--out", str(tmp_path / "b")])  # fmt: skip
    err = capsys.readouterr().err
    assert (
        code == 2
        and "reads the learners of the bkt, prerequisite" in err
        and "Traceback" not in err
    )


def test_recommend_for_a_past_moment_reads_only_the_answers_before_it(district_dir) -> None:
    """A coordinator's `recommend --now 2026-10-01` (found in their trial) read every answer,
    those given after it too: "ready now that you know X" for an X first answered weeks later,
    and another list than `batch --date` for that day. Now the command, its `--explain` and
    the library calls read the district as it stood then: the same as a log cut by hand."""
    from adaptive.policy.service import District, explain_activity

    d = load_district(district_dir)
    times = pd.to_datetime(d.log.time, utc=True)
    moment = times.min() + (times.max() - times.min()) / 2
    earlier = d.log.take_rows(d.log.time < moment.value)
    assert 0 < len(earlier) < len(d.log)
    cut = District(d.catalog, d.profiles, earlier)
    sid = next(s for s in earlier.students if (d.log.take_students([s]).time >= moment.value).any())
    args = ["recommend", "--student", sid, "--k", "4", "--json", "--district", str(district_dir)]
    res = runner.invoke(app, [*args, "--now", moment.isoformat()])
    assert res.exit_code == 0, res.output
    got = [r["activity_id"] for r in json.loads(res.stdout)[sid]["recommendations"]]
    assert got == [
        r.activity_id for r in recommend_students([sid], 4, district=cut, now=moment)[sid]
    ]
    from adaptive.policy.service import default_model

    model = default_model(earlier, d.catalog)
    for dist in (d, cut):  # the whole district, given `now`, reads as the one cut by hand
        recs = recommend_students([sid], 4, district=dist, model=model, now=moment)[sid]
        why = explain_activity(sid, got[0], district=dist, model=model, now=moment)
        assert [r.activity_id for r in recs] == got and why.status in {"recommended", "assigned"}
        assert why.sentence
    assert d.as_of(None) is d and d.as_of(times.max() + pd.Timedelta(days=1)) is d


def test_recommend_reads_ids_trimmed_as_everywhere(district_dir) -> None:
    """`recommend --student " stu0000461 "` was "unknown student id(s)" and `--explain
    "g3.NS.1.review "` not an activity, while the README says ids are text, trimmed."""
    d = load_district(district_dir)
    sid = d.log.students[0]
    act = d.catalog.activities[0].id
    base = ["recommend", "--json", "--district", str(district_dir)]
    spaced = runner.invoke(app, [*base, "--student", f" {sid} ", "--k", "3"])
    plain = runner.invoke(app, [*base, "--student", sid, "--k", "3"])
    assert spaced.exit_code == 0, spaced.output
    assert json.loads(spaced.stdout) == json.loads(plain.stdout)
    why = runner.invoke(app, [*base, "--student", f"{sid} ", "--explain", f"{act} "])
    assert why.exit_code == 0, why.output
    assert json.loads(why.stdout)["activity_id"] == act
    # an id a spreadsheet stripped of its zeros (the trial of stop 39): named with its match
    lost = runner.invoke(app, [*base, "--student", "0000" + sid, "--k", "3"])
    assert f"did you mean {sid!r}" in str(lost.exception), lost.output


def test_recommend_applies_the_teachers_overrides_as_the_night_does(district_dir, tmp_path) -> None:
    """A coordinator could not check a teacher's override with `recommend`: it had no
    `--overrides`, so a student's reasons differed from the night's and `--explain` could not
    say the teacher excluded an activity. Now the same file gives the same effect."""
    d = load_district(district_dir)
    sid = d.log.students[0]
    base = ["recommend", "--student", sid, "--k", "4", "--json", "--district", str(district_dir)]
    before = [r["activity_id"] for r in json.loads(runner.invoke(app, base).stdout)[sid][
        "recommendations"]]  # fmt: skip
    assign = next(a.id for a in d.catalog.activities if a.id not in before)
    doc = {"format": "adaptive-overrides", "version": 1, "date": "2026-09-01",
           "class_id": d.profiles[sid].class_id,
           "students": {sid: {"excluded": [before[0]], "assigned": [assign]}}}  # fmt: skip
    (tmp_path / "o.json").write_text(json.dumps(doc))
    res = runner.invoke(app, [*base, "--overrides", str(tmp_path / "o.json")])
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)[sid]["recommendations"]
    assert recs[0]["activity_id"] == assign and recs[0]["assigned_by_teacher"]
    assert before[0] not in [r["activity_id"] for r in recs]
    why = runner.invoke(app, [*base, "--overrides", str(tmp_path / "o.json"), "--explain",
                              before[0]])  # fmt: skip
    assert json.loads(why.stdout)["status"] == "excluded", why.output


def test_recommend_reads_a_placement_table_as_the_nightly_job(
    district_dir, tmp_path, capsys
) -> None:
    """`--placement FILE` starts students as `adaptive batch --placement FILE` does (the vendor
    trial of stop 38: recommend said "placed from grade 4" where the nightly job said "placed
    from lastyear.csv", and could not be given the table)."""
    d = load_district(district_dir)
    profiles = tmp_path / "profiles.jsonl"
    lines = [json.dumps(p.to_dict()) for p in d.profiles.values()]
    profiles.write_text("\n".join([*lines, '{"student_id": "NEW001", "grade": 4}']) + "\n")
    skills = [s.id for s in d.catalog.skills if s.grade == 4]
    pd.DataFrame(
        {"Student ID": "NEW001", "Standard": skills, "Mastery": 0.98}  # grade 4 already known
    ).to_csv(tmp_path / "lastyear.csv", index=False)
    args = ["recommend", "--data", str(district_dir / "responses.parquet"), "--catalog",
            str(district_dir / "catalog.json"), "--profiles", str(profiles), "--student",
            "NEW001", "--k", "3", "--json"]  # fmt: skip
    by_grade = json.loads(runner.invoke(app, args).output)["NEW001"]["recommendations"]
    res = runner.invoke(
        app,
        [
            *args,
            "--placement",
            str(tmp_path / "lastyear.csv"),
            "--placement-columns",
            "Student ID,Standard,Mastery",
        ],  # fmt: skip
    )
    assert res.exit_code == 0, res.output
    placed = json.loads(res.output)["NEW001"]["recommendations"]
    details = {r["detail"] for rec in placed for r in rec["reasons"] if r["term"] == "placement"}
    assert details == {"placed from lastyear.csv"}
    assert [r["skill_id"] for r in placed] != [r["skill_id"] for r in by_grade]
    assert not {r["skill_id"] for r in placed} & set(skills)  # grade 4 is known: not served
    bad = runner.invoke(app, [*args, "--placement-columns", "Student ID"])
    assert bad.exit_code == 2 and "--placement-columns" in bad.output  # a usage error
    # rows of a student no profile names (a leading zero lost): counted as the night counts
    # them (an evaluation lead's trial: recommend said nothing); none of them known: refused
    table = pd.read_csv(tmp_path / "lastyear.csv")
    pd.concat([table, table.assign(**{"Student ID": "0NEW001"})]).to_csv(
        tmp_path / "two.csv", index=False
    )
    table.assign(**{"Student ID": "0NEW001"}).to_csv(tmp_path / "others.csv", index=False)
    from adaptive.cli import run

    with_columns = ["--placement-columns", "Student ID,Standard,Mastery"]
    code = run([*args, "--placement", str(tmp_path / "two.csv"), *with_columns])
    assert (
        code == 0
        and "1 of its 2 students is in no profile and has no answer" in capsys.readouterr().err
    )
    code = run([*args, "--placement", str(tmp_path / "others.csv"), *with_columns])
    assert code == 2 and "its 1 student is in no profile" in capsys.readouterr().err


def test_recommend_says_where_a_student_served_nothing_was_placed(district_dir, tmp_path) -> None:
    """A student placed at 0.99 on every skill (a grade 12 student on a grade 3-8 catalog) is
    served nothing: `--json` had no placement field at all, and the text output an empty table
    with no word of where the student was placed. Now both say it, per student."""
    d = load_district(district_dir)
    profiles = tmp_path / "profiles.jsonl"
    lines = [json.dumps(p.to_dict()) for p in d.profiles.values()]
    profiles.write_text("\n".join([*lines, '{"student_id": "NEW001", "grade": 4}']) + "\n")
    skills = [s.id for s in d.catalog.skills]
    pd.DataFrame({"student_id": "NEW001", "skill_id": skills, "mastery": 0.99}).to_csv(
        tmp_path / "past.csv", index=False
    )
    sid = d.log.students[0]  # a student with answers, placed from their grade
    args = ["recommend", "--data", str(district_dir / "responses.parquet"), "--catalog",
            str(district_dir / "catalog.json"), "--profiles", str(profiles), "--student",
            "NEW001", "--student", sid, "--k", "3", "--placement", str(tmp_path / "past.csv")]  # fmt: skip
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["NEW001"]["recommendations"] == []
    assert payload["NEW001"]["placement"] == "placed from past.csv"
    assert payload[sid]["placement"] == ""  # their answers speak, as in the nightly job
    text = runner.invoke(app, args)
    assert text.exit_code == 0 and "placed from past.csv" in text.stdout


def test_recommend_students_says_where_each_student_was_placed_in_process(
    district_dir, tmp_path
) -> None:
    """A vendor calling the service gets what `recommend --json` prints: each student's
    placement words from the batch the recommendations came from, even for a student served
    nothing, and why a list is short. Before, that took a second function with the same
    arguments (`placed_recommendations`); `recommend_students` gave the bare list."""
    from adaptive.curriculum import LearnerProfile
    from adaptive.placement import read_placement
    from adaptive.policy.service import District

    d = load_district(district_dir)
    newcomer = LearnerProfile("NEW001", grade=4)
    d = District(d.catalog, {**d.profiles, "NEW001": newcomer}, d.log)
    skills = [s.id for s in d.catalog.skills]
    pd.DataFrame({"student_id": "NEW001", "skill_id": skills, "mastery": 0.99}).to_csv(
        tmp_path / "past.csv", index=False
    )
    sid = d.log.students[0]
    placed = recommend_students(
        ["NEW001", sid], 3, district=d, placement=read_placement(tmp_path / "past.csv", d.catalog)
    )
    assert placed["NEW001"].recommendations == [] and len(placed["NEW001"]) == 0
    assert placed["NEW001"].placement == "placed from past.csv"
    assert placed["NEW001"].shortfall.returned == 0  # says why nothing came back
    assert placed[sid].placement == "" and placed[sid].recommendations  # their answers speak
    # still reads as the list it was: iterate, index, len
    assert list(placed[sid]) == placed[sid].recommendations == placed[sid][:]
    assert placed[sid][0] is placed[sid].recommendations[0] and len(placed[sid]) <= 3


def test_recommend_students_lists_are_still_the_plain_lists(district_dir) -> None:
    """The lists grew `placement` and `shortfall` as a frozen dataclass that only iterated,
    indexed and counted like a list: `== [r1, r2]` was False, `+ [x]` and `json.dumps` raised,
    `isinstance(..., list)` was False. Now they are lists, with the two attributes."""
    import pickle

    from adaptive.policy.base import Recommendation
    from adaptive.policy.service import StudentRecommendations

    sid = load_district(district_dir).log.students[0]
    one = recommend_students([sid], 3, district=district_dir)[sid]
    plain = [*one]
    assert isinstance(one, list) and isinstance(one, StudentRecommendations)
    assert one == plain and plain == one and one[:] == plain and one + [] == plain
    assert json.dumps(one, default=Recommendation.to_dict) == json.dumps(
        plain, default=Recommendation.to_dict
    )
    empty = StudentRecommendations([], "placed from grade 4")
    assert json.dumps(empty) == "[]" and empty == [] and empty.placement == "placed from grade 4"
    back = pickle.loads(pickle.dumps(one))
    assert back == one and (back.placement, back.shortfall) == (one.placement, one.shortfall)
    old = StudentRecommendations.__new__(StudentRecommendations)  # pickled before it was lazy
    old.__setstate__({"placement": "placed from grade 4", "shortfall": None})
    assert (old.placement, old.shortfall) == ("placed from grade 4", None)


def test_placed_recommendations_is_a_deprecated_name_for_recommend_students(district_dir) -> None:
    """The README once named `placed_recommendations`: it still answers, as
    `recommend_students` does, with a DeprecationWarning."""
    from adaptive.policy.service import placed_recommendations

    sid = load_district(district_dir).log.students[0]
    with pytest.warns(DeprecationWarning, match="call recommend_students"):
        placed = placed_recommendations([sid], 3, district=district_dir)
    assert placed == recommend_students([sid], 3, district=district_dir)


def test_recommend_places_with_the_policys_grade_table(district_dir, tmp_path) -> None:
    """`--policy` with a `[grade_table]`: a new student starts from that table, as the nightly
    job starts them (recommend placed from the default table whatever the policy said)."""
    d = load_district(district_dir)
    profiles = tmp_path / "profiles.jsonl"
    lines = [json.dumps(p.to_dict()) for p in d.profiles.values()]
    profiles.write_text("\n".join([*lines, '{"student_id": "NEW001", "grade": 4}']) + "\n")
    (tmp_path / "ahead.toml").write_text(
        '[grade_table]\n-1 = 0.99\n0 = 0.98\n1 = 0.02\nown_grade = "flat"\n'
    )
    args = ["recommend", "--data", str(district_dir / "responses.parquet"), "--catalog",
            str(district_dir / "catalog.json"), "--profiles", str(profiles), "--student",
            "NEW001", "--k", "3", "--json"]  # fmt: skip
    by_default = json.loads(runner.invoke(app, args).output)["NEW001"]["recommendations"]
    res = runner.invoke(app, [*args, "--policy", str(tmp_path / "ahead.toml")])
    assert res.exit_code == 0, res.output
    placed = json.loads(res.output)["NEW001"]["recommendations"]
    grade_4 = {s.id for s in d.catalog.skills if s.grade == 4}
    assert {r["skill_id"] for r in by_default} & grade_4  # grade 4 served by default
    assert not {r["skill_id"] for r in placed} & grade_4  # the table says it is known
    details = {r["detail"] for rec in placed for r in rec["reasons"] if r["term"] == "placement"}
    assert details == {"placed from grade 4"}


def test_recommend_before_the_first_answer_says_so(district_dir, capsys) -> None:
    """A vendor's trial: `--now` before the log's first answer said "cannot fit BKT on an empty
    response log"."""
    d = load_district(district_dir)
    sid = d.log.students[0]
    first = pd.Timestamp(int(d.log.time.min()), tz="UTC")
    before = (first - pd.Timedelta(days=5)).date().isoformat()
    code = run(["recommend", "--student", sid, "--now", before, "--district", str(district_dir)])
    said = " ".join(capsys.readouterr().err.split())
    assert code == 2, said
    assert (
        f"no responses before {before} in the district (its log starts on {first.date()})" in said
    )
    # `--explain` and the library's explain_activity said "cannot fit BKT on an empty log"
    act = d.catalog.activities[0].id
    code = run(["recommend", "--student", sid, "--now", before, "--explain", act,
                "--district", str(district_dir)])  # fmt: skip
    said = " ".join(capsys.readouterr().err.split())
    assert code == 2 and f"no responses before {before} in the district" in said, said
    from adaptive.errors import ConfigError, UnknownStudentsError
    from adaptive.policy.service import explain_activity

    with pytest.raises(ConfigError, match=f"no responses before {before} in the district"):
        explain_activity(sid, act, district=d, now=before)
    # an unknown student is refused as recommend_students refuses one, before any fit
    with pytest.raises(UnknownStudentsError):
        explain_activity("nobody-here", act, district=d)


def test_recommend_students_hints_an_id_in_the_wrong_case_by_position(district_dir) -> None:
    """The CLI says "did you mean" for an id in the wrong case or with dropped zeros; in Python
    the error only said the id was missing (a trial's vendor could not tell a case bug from a
    new student). It now says so by position, never echoing an id, and `likely_matches` gives
    the caller the known id."""
    from adaptive.errors import UnknownStudentsError

    known = str(load_district(district_dir).log.students[1])  # stu...1: "stu1" reads as it
    digits = known.lstrip("abcdefghijklmnopqrstuvwxyz")
    dropped = known[: len(known) - len(digits)] + digits.lstrip("0")
    ids = [known, known.upper(), "nobody-at-all", dropped]
    with pytest.raises(UnknownStudentsError) as refused:
        recommend_students(ids, district=district_dir)
    message = str(refused.value)
    assert message.startswith("3 of the 4 student ids passed (the 2nd, 3rd and 4th) are not in")
    assert message.endswith(
        "; the 2nd differs only in case from a known student's id (likely_matches on the error "
        "maps each position to the known id)"
    )  # the first unknown only, as the CLI: each match reads every known id
    assert known.upper() not in message and dropped not in message and known not in message
    assert refused.value.likely_matches == {1: known}
    with pytest.raises(UnknownStudentsError) as zeros:
        recommend_students([dropped], district=district_dir)
    assert str(zeros.value).startswith(
        "the student id passed is not in the district's profiles or responses; it differs from a "
        "known student's id only in zeros or look-alike characters (O for 0, l for 1)"
    )
    assert zeros.value.likely_matches == {0: known}
    with pytest.raises(UnknownStudentsError, match="; it differs only in case from a known"):
        recommend_students([known.upper()], district=district_dir)


def test_a_policy_file_is_paired_with_the_shipped_weights(tmp_path) -> None:
    """A researcher's trial could only subtract two runs' means to compare a policy file with
    the shipped weights. `--policies adaptive,shipped` pairs them on the same students: the
    shipped policy scored beside itself differs by exactly 0, and a file that drops interest
    does not."""
    args = ["policy-eval", "--students", "20", "--seeds", "1", "--activities", "4",
            "--simulators", "bkt-cold", "--policies", "adaptive,shipped", "--bootstrap", "20"]  # fmt: skip

    def shipped_row(out: Path) -> pd.Series:
        csv = pd.read_csv(out / "policy_eval.csv")
        rows = csv[(csv.policy == "shipped") & (csv.metric == "over_practice")]
        return rows.iloc[0]

    res = runner.invoke(app, [*args, "--out", str(tmp_path / "same")])
    assert res.exit_code == 0, res.output
    assert "'shipped' without --policy: adaptive is the shipped policy too" in " ".join(
        res.output.split()
    )
    same = shipped_row(tmp_path / "same")
    assert same.diff_mean == 0 and same.diff_ci_low == 0 and same.diff_ci_high == 0
    mine = tmp_path / "mine.toml"
    mine.write_text("[weights]\ninterest = 0.0\nreadiness = 4.0\n")
    res = runner.invoke(app, [*args, "--policy", str(mine), "--out", str(tmp_path / "mine")])
    assert res.exit_code == 0, res.output
    assert shipped_row(tmp_path / "mine").diff_mean != 0
