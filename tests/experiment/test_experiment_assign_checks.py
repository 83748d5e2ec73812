"""`experiment assign` refuses what would make a broken or silently replaced experiment (trial 2):
an arm left without a unit, an existing assignment written over, and says which sha256 it prints."""

from __future__ import annotations

import hashlib
import json
import re

import pandas as pd
import pytest

from adaptive.cli import run as cli_run
from adaptive.curriculum.profile import read_profiles
from adaptive.errors import ConfigError, DataNoteWarning
from adaptive.experiment.assign import Assignment, AssignmentError, assign
from adaptive.policy import PolicyConfig

ARMS = {"control": PolicyConfig(), "new": PolicyConfig(weights={"interest": 0.0})}


def _people(n_schools: int, classes: int, per: int = 5) -> pd.DataFrame:
    """`per` students in each of `classes` classes (grades 3, 4, ...) of `n_schools` schools."""
    rows = [
        (f"s{s}-c{c}-{i}", f"sch{s}", f"sch{s}-c{c}", 3 + c)
        for s in range(n_schools)
        for c in range(classes)
        for i in range(per)
    ]
    return pd.DataFrame(rows, columns=["student_id", "school_id", "class_id", "grade"])


def test_one_school_for_two_arms_is_too_few_units_and_suggests_classes() -> None:
    """Was: `control 1 / new 0`, exit 0 (an experiment with an empty arm)."""
    with pytest.raises(AssignmentError) as caught:
        assign(_people(1, 4), ARMS, unit="school")
    message = str(caught.value)
    assert "too few units for the arms: the profiles hold 1 school for 2 arms" in message
    assert "['control', 'new'] would get fewer than 2" in message
    assert "--unit class: the profiles hold 4 classes" in message


def test_one_school_per_arm_is_refused_for_it_has_no_interval() -> None:
    """An evaluation lead's trial: two schools for two arms were accepted, and the analysis
    printed a zero-width interval with p = 0.000 (false certainty). Two units per arm at least."""
    with pytest.raises(AssignmentError, match="expected at least 2 schools per arm"):
        assign(_people(2, 4), ARMS, unit="school")
    a = assign(_people(4, 1), ARMS, unit="school", seed=0)
    assert a.units["arm"].value_counts().tolist() == [2, 2]


def test_an_analysis_without_degrees_of_freedom_gives_no_interval() -> None:
    """An assignment of one school per arm (written before the rule above): the effect is
    given without an interval or p-value, and a warning says why."""
    import numpy as np

    from adaptive.errors import ExperimentWarning
    from adaptive.experiment.analyze import estimate_effects

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"arm": ["a"] * 20 + ["b"] * 20, "unit_id": ["s1"] * 20 + ["s2"] * 20,
                          "stratum": "all", "y": rng.normal(size=40)})  # fmt: skip
    with pytest.warns(ExperimentWarning, match="leave no degree of freedom"):
        (effect,) = estimate_effects(frame, "y")
    assert np.isfinite(effect.effect)
    assert np.isnan([effect.ci_low, effect.ci_high, effect.p_value]).all()


def test_an_arm_left_short_by_the_draw_is_refused() -> None:
    """Six strata of one class each: seed 3 deals no class to 'new', seed 4 one (pinned)."""
    with pytest.raises(
        AssignmentError, match=r"arm\(s\) \['new'\] got too few classes \(new 0\): 6"
    ):
        assign(_people(6, 1), ARMS, unit="class", seed=3)
    with pytest.raises(AssignmentError, match=r"\(new 1\).*another --seed"):
        assign(_people(6, 1), ARMS, unit="class", seed=4)
    a = assign(_people(6, 1), ARMS, unit="class", seed=5)  # another seed fills both arms
    assert a.units["arm"].value_counts().to_dict() == {"control": 3, "new": 3}


def test_save_refuses_to_replace_another_assignment(tmp_path) -> None:
    """Was: a second `assign --out exp.json` silently re-assigned the classes of served nights."""
    people = _people(2, 4)
    path = assign(people, ARMS, seed=19).save(tmp_path / "exp.json")
    sealed = path.read_bytes()
    assign(people, ARMS, seed=19).save(path)  # the same bytes again: nothing changes
    other = assign(people, ARMS, seed=0)
    with pytest.raises(AssignmentError, match=r"exp\.json exists and holds another assignment"):
        other.save(path)
    assert path.read_bytes() == sealed
    other.save(path, overwrite=True)
    assert Assignment.load(path).sha256 == other.sha256


def _write_profiles(path, people: pd.DataFrame) -> None:
    with path.open("w") as fh:
        for row in people.itertuples(index=False):
            fh.write(json.dumps({"student_id": row.student_id, "grade": int(row.grade),
                                 "school_id": row.school_id, "class_id": row.class_id}) + "\n")  # fmt: skip


def _cli_args(tmp_path, out, *extra: str) -> list[str]:
    (tmp_path / "control.toml").write_text("")
    (tmp_path / "new.toml").write_text("[weights]\ninterest = 0.0\n")
    return ["experiment", "assign", "--profiles", str(tmp_path / "profiles.jsonl"),
            "--arm", f"control={tmp_path / 'control.toml'}", "--arm",
            f"new={tmp_path / 'new.toml'}", "--out", str(out), *extra]  # fmt: skip


def test_cli_assign_refuses_overwrite_without_force_and_an_empty_arm(tmp_path, capsys) -> None:
    _write_profiles(tmp_path / "profiles.jsonl", _people(4, 4))
    out = tmp_path / "exp.json"
    assert cli_run(_cli_args(tmp_path, out, "--seed", "19")) == 0
    sealed = out.read_bytes()
    capsys.readouterr()
    assert cli_run(_cli_args(tmp_path, out)) == 2  # seed 0: another draw
    err = capsys.readouterr().err
    assert "exists and holds another assignment" in err and "--force" in err
    assert "Traceback" not in err and out.read_bytes() == sealed
    assert cli_run(_cli_args(tmp_path, out, "--force")) == 0
    assert out.read_bytes() != sealed
    assert cli_run(_cli_args(tmp_path, tmp_path / "s.json", "--unit", "school")) == 0
    assert " schools in " in capsys.readouterr().out  # not "schooles"
    _write_profiles(tmp_path / "profiles.jsonl", _people(1, 4))
    capsys.readouterr()
    school = tmp_path / "school.json"
    assert cli_run(_cli_args(tmp_path, school, "--unit", "school")) == 2
    err = capsys.readouterr().err
    assert "too few units for the arms" in err and "--unit class" in err
    assert not school.exists()


def test_cli_assign_prints_the_files_sha256_and_says_which_it_is(tmp_path, capsys) -> None:
    """Was: `sha256 9c5c65a4f112720b` printed while the file's "sha256" field held another
    digest, both called sha256. Now the full digest of the file (= `sha256sum`, what nights
    record) is printed, labelled, beside a word on the file's own field."""
    _write_profiles(tmp_path / "profiles.jsonl", _people(2, 4))
    out = tmp_path / "exp.json"
    assert cli_run(_cli_args(tmp_path, out)) == 0
    printed = " ".join(capsys.readouterr().out.split())
    file_sha = hashlib.sha256(out.read_bytes()).hexdigest()
    assert f"sha256 of the file {file_sha}" in printed
    assert file_sha == Assignment.load(out).sha256
    inner = json.loads(out.read_text())["sha256"]
    assert inner != file_sha and inner not in printed
    assert 'own "sha256" field is the checksum of its content' in printed


def test_assign_quiet_prints_only_the_written_line(tmp_path, capsys) -> None:
    """`experiment assign -q` printed its table of arms anyway."""
    from adaptive.cli import run

    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text(
        "".join(
            f'{{"student_id": "s{i}", "grade": 3, "school_id": "a", "class_id": "c{i % 4}"}}\n'
            for i in range(8)
        )
    )
    policy = tmp_path / "p.toml"
    policy.write_text("[weights]\nreadiness = 2.0\n")
    args = ["experiment", "assign", "--profiles", str(profiles), "--arm", f"a={policy}",
            "--arm", f"b={policy}", "--out", str(tmp_path / "e.json"), "-q"]  # fmt: skip
    assert run(args) == 0
    out = capsys.readouterr().out
    assert "wrote" in out and "strata" not in out and "policy sha256" not in out


def test_arms_with_a_grade_table_are_compared_not_crashed_on() -> None:
    """An evaluation lead's trial: any arm whose policy had a `[grade_table]` crashed `assign`
    (unhashable dict, exit 1). The same table in every arm is an experiment on the weights;
    tables that differ are refused (the night places its new students once, for every arm)."""
    table = {"-1": 0.9, "0": 0.5, "1": 0.1}
    same = {"control": PolicyConfig().with_(grade_table=table),
            "new": PolicyConfig(weights={"interest": 0.0}).with_(grade_table=table)}  # fmt: skip
    assert set(assign(_people(4, 4), same, unit="class").units["arm"]) == {"control", "new"}
    differ = {"control": PolicyConfig(), "new": PolicyConfig().with_(grade_table=table)}
    with pytest.raises(
        ConfigError, match="differ in what a night's batch is built with.*grade table"
    ):
        assign(_people(4, 4), differ, unit="class")


def test_a_class_in_two_schools_is_counted() -> None:
    """An evaluation lead's trial: one student of a class put in another school was served
    under the other school's arm, without a word. Now a warning with the count where schools
    are randomized; randomizing classes, a class is its school and class id (a roster names
    homerooms without the school), so no "roster slip" is said there."""
    import warnings

    from adaptive.errors import ExperimentWarning

    people = _people(4, 2)
    people.loc[0, "school_id"] = "sch1"  # a student of sch0-c0 in sch1
    with pytest.warns(ExperimentWarning, match="1 class id has students in more than one"):
        assign(people, ARMS, unit="school")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExperimentWarning)
        units = assign(people, ARMS, unit="class").units
    assert (units["unit_id"] == "sch0-c0").sum() == 2  # sch0's class, and sch1's of one student


def test_a_class_partly_without_a_school_is_counted() -> None:
    """A class id some of whose students have no school_id is randomized as two classes (a
    class is its school and class id): a likely slip, said with a count."""
    from adaptive.errors import ExperimentWarning

    people = _people(4, 2)
    people.loc[0, "school_id"] = ""  # a student of sch0-c0 without a school
    with pytest.warns(ExperimentWarning, match="1 class id has students with a school_id and"):
        assign(people, ARMS, unit="class")


def _roster_csv(path, people: pd.DataFrame) -> None:
    """`people` as a district's roster export (CSV, a header on line 1)."""
    people.to_csv(path, index=False)


def test_a_roster_row_without_a_class_names_file_line_and_column_not_the_student(tmp_path) -> None:
    """A district evaluator's trial: "profiles, field 'class_id': 1 student(s) have none (e.g.
    'stu0000003')": no file, no line, and a student id in a message bound for cron logs."""
    people = _people(4, 4)
    people.loc[3, "class_id"] = ""  # line 5 of the CSV (header on line 1)
    roster = tmp_path / "roster_noclass.csv"
    _roster_csv(roster, people)
    with pytest.raises(AssignmentError) as err:
        assign(roster, ARMS)
    assert str(err.value) == (
        f"{roster}, line 5, column class_id: empty; expected every student to have a class to "
        "be randomized with"
    )
    people.loc[[7, 9] + list(range(20, 30)), "class_id"] = ""  # 13 rows in all
    _roster_csv(roster, people)
    with pytest.raises(AssignmentError) as err:
        assign(roster, ARMS)
    message = str(err.value)
    assert message.startswith(
        f"{roster}, lines 5, 9, 11, 22, 23, 24, 25, 26, 27, 28 and 3 more (13 lines), column "
        "class_id: empty"
    )
    assert not any(sid in message for sid in people["student_id"])


def test_a_json_profile_without_a_school_names_its_line_and_field(tmp_path) -> None:
    """The same for JSON lines and `--unit school`; profiles in memory are counted, never
    named by a student id."""
    people = _people(4, 2)
    people.loc[2, "school_id"] = ""
    path = tmp_path / "profiles.jsonl"
    _write_profiles(path, people)
    path.write_text(path.read_text().replace('"school_id": ""', '"school_id": null'))
    with pytest.raises(
        AssignmentError, match=r"profiles\.jsonl, line 3, field school_id: null or absent; "
    ):
        assign(path, ARMS, unit="school")
    with pytest.raises(AssignmentError) as err:
        assign(people, ARMS, unit="school")
    assert str(err.value) == (
        "profiles, field 'school_id': 1 student(s) have none; expected every student to have a "
        "school to be randomized with"
    )


def test_two_arms_with_one_policy_warn_of_an_a_a_test(tmp_path, capsys) -> None:
    """A district evaluator's trial: `--arm control=policy.toml --arm new=policy.toml` wrote the
    assignment without a word, both arms showing one sha256: a slip that costs a semester."""
    from adaptive.errors import ExperimentWarning

    same = {"control": PolicyConfig(), "new": PolicyConfig()}
    with pytest.warns(ExperimentWarning, match=r"arms 'control' and 'new' have the same policy"):
        assign(_people(4, 4), same)
    policy = tmp_path / "policy.toml"
    policy.write_text("[weights]\ninterest = 0.5\n")
    copy = tmp_path / "copy.toml"
    copy.write_text("# the same settings\n[weights]\ninterest = 0.5\n")
    with pytest.warns(ExperimentWarning, match=r"\(policy\.toml and copy\.toml give the same"):
        assign(_people(4, 4), {"control": policy, "new": copy})
    _write_profiles(tmp_path / "profiles.jsonl", _people(4, 4))
    args = ["experiment", "assign", "--profiles", str(tmp_path / "profiles.jsonl"), "--arm",
            f"control={policy}", "--arm", f"new={policy}", "--out", str(tmp_path / "e.json")]  # fmt: skip
    assert cli_run(args) == 0
    err = " ".join(capsys.readouterr().err.split())
    sha = hashlib.sha256(policy.read_bytes()).hexdigest()
    assert (
        f"arms 'control' and 'new' have the same policy (sha256 {sha[:12]}...): an A/A test?" in err
    )


def test_different_policies_do_not_warn() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assign(_people(4, 4), ARMS)


def test_assign_says_its_seed_and_whether_it_was_the_default(tmp_path, capsys) -> None:
    """A district evaluator's trial: a left-out `--seed` was 0 without a word; the protocol
    write-up needs the seed."""
    _write_profiles(tmp_path / "profiles.jsonl", _people(4, 4))
    assert cli_run(_cli_args(tmp_path, tmp_path / "a.json")) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "(seed 0, the default)" in out
        and f"wrote {tmp_path / 'a.json'} (seed 0, the default)" in out
    )
    assert cli_run(_cli_args(tmp_path, tmp_path / "b.json", "--seed", "19", "-q")) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"wrote {tmp_path / 'b.json'} (seed 19):" in out and "default" not in out


def test_a_class_written_two_ways_is_refused_not_randomized_as_two(tmp_path, capsys) -> None:
    """A trial: one student's class written 'SCH0-C1' in a roster where the others read
    'sch0-c1' made 'SCH0-C1' a class of its own, dealt to the other arm than its classmates
    (exit 0, "138 classes" for 137). Reading the profiles says so; assign refuses, naming
    both ids (no student)."""
    people = _people(4, 4)
    people.loc[people["class_id"] == "sch0-c1", "class_id"] = ["SCH0-C1"] + ["sch0-c1"] * 4
    _write_profiles(tmp_path / "profiles.jsonl", people)
    out = tmp_path / "exp.json"
    assert cli_run(_cli_args(tmp_path, out)) == 2
    err = capsys.readouterr().err
    assert "line 7, class_id: class 'sch0-c1' differs from 'SCH0-C1' (line 6) only in case" in err
    assert (
        "'sch0-c1' (line 7, 4 students) and 'SCH0-C1' (line 6, 1 student) differ only in case"
        in err
    )
    assert "s0-c1-0" not in err and "Traceback" not in err and not out.exists()
    with pytest.raises(AssignmentError, match="differ only in case"):
        assign(people, ARMS)
    with pytest.warns(DataNoteWarning, match="one class written two ways"):
        read_profiles(tmp_path / "profiles.jsonl")


def test_a_class_id_written_otherwise_at_another_school_is_another_class(tmp_path) -> None:
    """A class is its school and class id: "Room g4A" at one school and "room g4A" at another
    are two classes (a SIS names homerooms without the school), neither refused by `assign`
    nor said to be one class written two ways by the profiles' reader."""
    import warnings

    people = _people(4, 4)
    schools = sorted(people["school_id"].unique())[:2]
    for school, name in zip(schools, ("Room g4A", "room g4A"), strict=True):
        first = sorted(people.loc[people["school_id"] == school, "class_id"].unique())[0]
        people.loc[people["class_id"] == first, "class_id"] = name
    _write_profiles(tmp_path / "profiles.jsonl", people)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        read_profiles(tmp_path / "profiles.jsonl")
    drawn = assign(people, ARMS)
    assert {"Room g4A", "room g4A"} <= set(drawn.units["unit_id"])


def test_codes_that_lost_their_leading_zeros_are_refused_not_randomized_as_two(
    tmp_path, capsys
) -> None:
    """A district evaluator's trial: Excel dropped the leading zero of "School Code" and "Class
    Section" on some rows; `experiment assign --unit school` printed "10 schools" for a district
    of 5 and put school '0104' in control and '104' in adaptive (exit 0). Reading the profiles
    says so; assign refuses, naming both ids and their first lines (no student), per unit."""
    people = _people(4, 4)
    people["school_id"] = people["school_id"].str.replace("sch", "010")  # '0100' ... '0103'
    people["class_id"] = people["school_id"] + "-G" + people["class_id"].str[-1] + "A"
    lost = people.index[20:23]  # lines 21-23: three students of '0101-G0A'
    for key in ("school_id", "class_id"):
        people.loc[lost, key] = people.loc[lost, key].str.lstrip("0")
    _write_profiles(tmp_path / "profiles.jsonl", people)
    out = tmp_path / "exp.json"
    for unit, said in (
        ("school", "'0101' (line 24, 17 students) and '101' (line 21, 3 students)"),
        ("class", "'101-G0A' (line 21, 3 students) and '0101-G0A' (line 24, 2 students)"),
    ):
        assert cli_run(_cli_args(tmp_path, out, "--unit", unit)) == 2
        err = " ".join(capsys.readouterr().err.split())
        assert f"{said} differ only in leading zeros: one {unit} written two ways" in err, err
        assert "a spreadsheet that dropped them" in err
        assert "s1-c0-0" not in err and "Traceback" not in err and not out.exists()
    key = "'0101-G0A' differs from '101-G0A' (line 21) only in leading zeros"
    with pytest.warns(DataNoteWarning, match=re.escape(key)):
        read_profiles(tmp_path / "profiles.jsonl")
    people.loc[lost[0], "class_id"] = "101-g0a"  # case and zeros at once, in memory: no lines
    with pytest.raises(AssignmentError, match=r"differ only in case and leading zeros"):
        assign(people, ARMS)
    people.loc[lost, ["school_id", "class_id"]] = ["0101", "0101-G0A"]
    within = people.index[people["class_id"] == "0103-G3A"][:2]
    people.loc[within, "class_id"] = "0103-G03A"  # a zero before a number within the code
    with pytest.raises(AssignmentError, match=r"'0103-G3A' \(3 students\) and '0103-G03A' \(2"):
        assign(people, ARMS)


def test_ids_that_differ_in_a_zero_after_a_decimal_point_are_two_units() -> None:
    """A review: 'Room 1.05' and 'Room 1.5' (two rooms), '8:05' and '8:5' were refused as one
    class written two ways: the leading-zeros rule dropped zeros a spreadsheet never drops."""
    people = _people(2, 4)
    names = {"c0": "Room 1.05", "c1": "Room 1.5", "c2": "8:05", "c3": "8:5"}
    people["class_id"] = people["school_id"] + " " + people["class_id"].str[-2:].map(names)
    units = set(assign(people, ARMS).units["unit_id"])
    assert len(units) == 8 and {"sch0 Room 1.05", "sch0 Room 1.5", "sch1 8:5"} <= units


def test_an_arm_given_a_share_says_arms_are_equal(tmp_path, capsys) -> None:
    """A trial: `--arm control=policy.toml:0.7` (an evaluator asking for unequal arms) said only
    "policy file policy.toml:0.7 not found"."""
    _write_profiles(tmp_path / "profiles.jsonl", _people(4, 4))
    args = _cli_args(tmp_path, tmp_path / "exp.json")
    args[args.index(f"control={tmp_path / 'control.toml'}")] += ":0.7"
    assert cli_run(args) == 2
    err = capsys.readouterr().err
    assert "with a share of 0.7 after it" in err and "unequal allocation is not supported" in err


def test_students_served_without_a_profile_are_left_out_not_counted_against_the_assignment() -> (
    None
):
    """An analyst's trial: a pilot in 4 schools, its nights served on the whole district's log,
    was refused: "1,500 of the 2,500 students ... (1 of 5 schools) are in no school of
    s4.json (60%, more than 25%)". The 1,500 had no profile: the night served them in school
    'unassigned', class ''. They are not in the experiment, and said so with their count."""
    from adaptive.batch.partition import UNASSIGNED_SCHOOL
    from adaptive.errors import ExperimentWarning
    from adaptive.experiment.analyze import check_share_outside

    a = assign(_people(4, 2), ARMS, unit="school", seed=0)
    piloted = _people(4, 2)
    nobody = pd.DataFrame({"student_id": [f"x{i}" for i in range(60)],
                           "school_id": UNASSIGNED_SCHOOL, "class_id": "", "grade": 4})  # fmt: skip
    merged = pd.concat([piloted, nobody], ignore_index=True)
    merged["arm"] = a.arm_of(merged["class_id"], merged["school_id"])
    with pytest.warns(ExperimentWarning) as said:
        check_share_outside(merged, a, None, "2026-10-05")
    words = [str(w.message) for w in said]
    assert len(words) == 1
    assert words[0].startswith("60 students of the start night 2026-10-05 were served without")
    assert "school 'unassigned'" in words[0] and "left out of the effects" in words[0]
    # a school of another roster is still counted against the assignment, and refused
    other = merged.assign(school_id=merged["school_id"].replace({"sch0": "elsewhere"}))
    other["arm"] = a.arm_of(other["class_id"], other["school_id"])
    extra = _people(2, 2).assign(school_id="elsewhere", arm="")
    with pytest.warns(ExperimentWarning), pytest.raises(AssignmentError, match=r"no school of"):
        check_share_outside(pd.concat([other, extra]), a, None, "2026-10-05")
