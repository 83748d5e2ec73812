"""Catalog and profile records from JSON: every value checked, never misread (issue 17)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.errors import ConfigError
from adaptive.records import RecordError


def test_good_records_convert_lists_and_ints() -> None:
    p = LearnerProfile.from_dict(
        {"student_id": "s1", "grade": 4.0, "interests": {"space": 1}, "goal_skills": ["k1"]}
    )
    assert p.grade == 4 and isinstance(p.grade, int)
    assert p.interests == {"space": 1.0} and p.goal_skills == ("k1",)
    assert LearnerProfile.from_dict(p.to_dict()) == p  # round trip
    a = Activity.from_dict({"id": "a", "title": "A", "skills": ["k"], "difficulty": 1})
    assert a.skills == ("k",) and a.difficulty == 1.0
    assert Skill.from_dict({"id": "k", "grade": None}).grade is None


@pytest.mark.parametrize(
    "record, message",
    [
        (
            {"student_id": "s1", "grade": "four"},
            "grade = 'four' (expected a whole number from 1 to 13, K",
        ),
        ({"student_id": "s1", "grade": 4.5}, "grade = 4.5"),
        ({"student_id": "s1", "interests": ["math", 2]}, "interests = ['math', 2] (expected an"),
        ({"student_id": "s1", "interests": {"math": "a lot"}}, "interests = "),
        ({"student_id": "s1", "goal_skills": "k1"}, "goal_skills = 'k1' (expected a list"),
        ({"student_id": "s1", "weekly_minutes": True}, "weekly_minutes = True"),
        (
            {"student_id": ""},
            "student_id = '' (expected a non-empty id: text or an integer, 12 or \"12\", not 12.0)",
        ),
        ({"grade": 4}, "missing field 'student_id'"),
        ({"student_id": "s1", "grde": 4}, "unknown field 'grde'"),
        (["s1", 4], "expected an object of fields"),
    ],
)
def test_a_bad_profile_names_the_field_value_and_expectation(record, message) -> None:
    with pytest.raises(RecordError) as err:
        LearnerProfile.from_dict(record)
    assert message in str(err.value)
    assert isinstance(err.value, ConfigError)  # exit 2 from the command line


def test_kindergarten_and_text_grades_read_the_same_everywhere(tmp_path) -> None:
    """A K-12 district's exports write kindergarten as "K" and grades as text ("05"): a
    profiles file with one kindergartner failed as a whole, and `LearnerProfile(grade="K")`
    was accepted, then a ValueError in placement. Now every reader takes "K" as grade 0 (and
    "PK" as -1), and the reasons say "grade K"; 4.5 or "fourth" is an error naming the value."""
    from adaptive.curriculum import read_profiles
    from adaptive.grades import grade_label, parse_grade
    from adaptive.placement import GradeTable, grade_placement

    assert [parse_grade(v) for v in ("K", "kg", " Kindergarten ", "PK", "Pre-K", "05", "-1", 3.0, "4.0")] \
        == [0, 0, 0, -1, -1, 5, -1, 3, 4]  # fmt: skip
    assert parse_grade(None) is None and (grade_label(0), grade_label(-1), grade_label(4.0)) == (
        "K",
        "PK",
        "4",
    )
    # a student information system's forms (the trial of stop 39: "3rd" and "Grade 3" failed a
    # roster one line per run)
    assert [parse_grade(v) for v in ("5th", "3rd", "Grade 3", "Gr. 3", "3rd grade", "Grade K")] \
        == [5, 3, 3, 3, 3, 0]  # fmt: skip
    for bad in ("fourth", 4.5, "4.5", True, "5x", float("nan"), "nan", "grade"):
        with pytest.raises(ConfigError, match="expected a whole number from 1 to 13, K"):
            parse_grade(bad)
    path = tmp_path / "profiles.jsonl"
    lines = [{"student_id": "k1", "grade": "K"}, {"student_id": "s5", "grade": "05"}]
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    profiles = read_profiles(path)
    assert {s: p.grade for s, p in profiles.items()} == {"k1": 0, "s5": 5}
    # a student on two lines (two enrollment records) took the last line without a word
    twice = tmp_path / "twice.jsonl"
    twice.write_text(path.read_text() + json.dumps({"student_id": "k1", "grade": 1}) + "\n")
    with pytest.raises(ConfigError, match=r"twice.jsonl, line 3: the same student id as line 1"):
        read_profiles(twice)
    assert LearnerProfile("k2", grade="K") == LearnerProfile("k2", grade=0)
    with pytest.raises(ConfigError, match="profile 'x': grade 4.5"):
        LearnerProfile("x", grade=4.5)
    catalog = Catalog.from_dict(
        {"skills": [{"id": "count", "grade": "K"}, {"id": "add", "grade": 1,
                                                     "prerequisites": ["count"]}],
         "activities": [{"id": "a", "title": "A", "skills": ["count"], "grade": "K"}]}
    )  # fmt: skip
    assert catalog.skills[0].grade == 0 and catalog.activities[0].grade == 0
    with pytest.raises(ConfigError, match="skill 'k': grade 'fourth'"):
        Skill("k", grade="fourth")
    placed = grade_placement(catalog, profiles)
    assert placed.sources == ("placed from grade K", "placed from grade 5")
    # a grade table read from TOML or JSON has text keys: the same gaps as the numbers
    text_keys = GradeTable({"-1": 0.8, "0": 0.3, "+1": 0.1})
    assert text_keys == GradeTable({-1: 0.8, 0: 0.3, 1: 0.1})
    assert np.allclose(
        grade_placement(catalog, profiles, text_keys).mastery,
        grade_placement(catalog, profiles, GradeTable({-1: 0.8, 0: 0.3, 1: 0.1})).mastery,
        equal_nan=True,
    )
    for bad, message in (({0.5: 0.3}, "gap 0.5"), ({"one": 0.3}, "gap 'one'"),
                         ({0: "high"}, "gap 0 = 'high' (expected a number")):  # fmt: skip
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            GradeTable(bad)


def test_a_bad_catalog_file_names_the_record(tmp_path) -> None:
    good_skill = {"id": "k0"}
    cases = {
        "grade": ({"skills": [{"id": "k0", "grade": "four"}]}, "skills[0] ('k0'): grade = 'four'"),
        "difficulty": (
            {"skills": [good_skill],
             "activities": [{"id": "a0", "title": "A", "skills": ["k0"], "difficulty": "hard"}]},
            "activities[0] ('a0'): difficulty = 'hard' (expected a number)",
        ),
        "kind": (
            {"skills": [good_skill],
             "activities": [{"id": "a0", "title": "A", "skills": ["k0"], "kind": "game"}]},
            "kind = 'game' (expected one of",
        ),
        "no title": (
            {"skills": [good_skill], "activities": [{"id": "a0", "skills": ["k0"]}]},
            "activities[0] ('a0'): missing field 'title'",
        ),
        "not a list": ({"skills": {"k0": {}}}, 'a list of "skills"'),
    }  # fmt: skip
    for name, (content, message) in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(content))
        with pytest.raises(ConfigError) as err:
            Catalog.from_json(path)
        assert str(path) in str(err.value) and message in str(err.value), name


def test_to_record_is_the_json_form_of_asdict_without_shared_state() -> None:
    """`to_record` (the records' `to_dict`) gives exactly the JSON `dataclasses.asdict` gave,
    tuples as lists, and a copy of the profile's interests (editing it leaves the profile)."""
    from dataclasses import asdict

    from adaptive.records import to_record

    records = [
        Skill("k2", "Two", prerequisites=("k1",), grade=3, standard="3.OA"),
        Activity("a", "A", ("k1", "k2"), difficulty=0.5, topics=("space",), grade=3),
        LearnerProfile("s1", 4, {"space": 0.5}, ("k2",), ("stem",), 90.0, "sch", "c1"),
    ]
    for record in records:
        got = to_record(record)
        assert json.dumps(got, sort_keys=True) == json.dumps(asdict(record), sort_keys=True)
        assert not any(isinstance(v, tuple) for v in got.values())
        assert got == record.to_dict()
    got = to_record(records[2])
    got["interests"]["space"] = 0.0
    assert records[2].interests == {"space": 0.5}


def test_profiles_from_a_districts_roster_table(tmp_path) -> None:
    """A district's roster export is a table, not JSON lines: `read_profiles` reads a CSV or
    Parquet file with a column per field (list cells "k1;k2", interests "animals:0.8;music"),
    names a bad cell by its line, refuses a column that is no field (a misspelt "Grade" left
    every student without a grade), and `write_profiles` writes the JSON lines back."""
    from adaptive.batch.spark_job import _profiles_path
    from adaptive.curriculum import read_profiles, write_profiles

    csv_path = tmp_path / "roster.csv"
    csv_path.write_text(
        "student_id,grade,school_id,class_id,weekly_minutes,interests,goal_skills\n"
        "s1,K,sch1,K-A,90,animals:0.8;music,k1;k2\n"
        "s2,05,sch1,,,,\n"
    )
    profiles = read_profiles(csv_path)
    assert profiles["s1"] == LearnerProfile(
        "s1", grade=0, interests={"animals": 0.8, "music": 1.0}, goal_skills=("k1", "k2"),
        weekly_minutes=90.0, school_id="sch1", class_id="K-A",
    )  # fmt: skip
    assert profiles["s2"] == LearnerProfile("s2", grade=5, school_id="sch1")
    frame = pd.DataFrame(
        {"student_id": ["s1", "s2"], "grade": [0, 5], "interests": ["art:0.5", None]}
    )
    frame.to_parquet(tmp_path / "roster.parquet")
    from_parquet = read_profiles(tmp_path / "roster.parquet")
    assert from_parquet["s1"].interests == {"art": 0.5} and from_parquet["s2"].grade == 5
    frame.assign(student_id=[1001, 1002]).to_parquet(tmp_path / "numeric_ids.parquet")
    assert list(read_profiles(tmp_path / "numeric_ids.parquet")) == ["1001", "1002"]
    write_profiles(profiles, tmp_path / "back.jsonl")
    assert read_profiles(tmp_path / "back.jsonl") == profiles

    cases = {
        "student_id,Grade\ns1,4\n": r"column Grade is no profile field \(the header: student_id, "
        r"Grade\); expected the profile's fields.*"
        r"`adaptive profiles \S*bad.csv --columns",  # the command that takes them (batch does not)
        "grade\n4\n": r"line 1: no student_id column \(the header: grade\).*student_id among them",
        "student_id,grade\ns1,4\ns2,fourth\n": r"bad.csv, line 3: grade = 'fourth'",
        "student_id,weekly_minutes\ns1,lots\n": r"bad.csv, line 2: weekly_minutes = 'lots'",
        "student_id,interests\ns1,art:80\n": r"bad.csv, line 2: .*percentages",
        "student_id,grade\ns1,4\ns1,5\n": r"bad.csv, line 3: the same student id as line 2",
    }
    for text, message in cases.items():
        (tmp_path / "bad.csv").write_text(text)
        with pytest.raises(ConfigError, match=message):
            read_profiles(tmp_path / "bad.csv")
    with pytest.raises(ConfigError, match="Spark engine reads learner profiles from a JSON-lines"):
        _profiles_path(csv_path)


def test_one_field_of_a_roster_table_reads_its_column_and_the_ids_alone(tmp_path) -> None:
    """A review: `profile_field` (the experiment check's pass over a roster before the night
    reads its log) read a Parquet roster whole and built every profile, interests and goals
    parsed: 1 GB of a 400,000-student roster's wide columns. Of a table it now reads only the
    field's column and the student ids (the field read as `read_profiles` reads it: numeric
    ids as text, ids trimmed; the header checked as there; a bad id or field cell is its
    error); a bad cell of another column is `read_profiles`' to name."""
    import tracemalloc

    from adaptive.curriculum import read_profiles
    from adaptive.curriculum.profile import profile_field

    n = 20_000
    wide = ";".join(f"topic{k:02d}:0.5" for k in range(40))  # ~500 bytes a row
    frame = pd.DataFrame({
        "student_id": [f" s{i:05d}" for i in range(n)],
        "grade": ["4"] * (n - 1) + ["fourth"],  # the last row: another column's bad cell
        "class_id": np.arange(n) // 25 + 100,  # numeric ids: text, as `read_profiles` reads them
        "interests": [wide] * n,
    })  # fmt: skip
    path, csv_path = tmp_path / "roster.parquet", tmp_path / "roster.csv"
    frame.to_parquet(path)
    frame.to_csv(csv_path, index=False)
    good = frame.iloc[:-1]
    good.to_parquet(tmp_path / "good.parquet")
    want = [p.class_id for p in read_profiles(tmp_path / "good.parquet").values()]
    assert want[:2] == ["100", "100"]
    tracemalloc.start()
    try:
        got = list(profile_field(path, "class_id"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == [*want, str(n // 25 + 99)]
    assert peak < 8 * 2**20, peak  # the whole roster as Python values: 17 MB
    assert list(profile_field(csv_path, "class_id")) == got
    assert list(profile_field(path, "student_id"))[:2] == ["s00000", "s00001"]  # trimmed
    with pytest.raises(ConfigError, match="grade = 'fourth'"):
        read_profiles(path)
    # the header as `read_profiles` checks it, and a bad cell of the ids or the field
    frame.rename(columns={"grade": "Grade"}).to_parquet(bad := tmp_path / "bad.parquet")
    with pytest.raises(ConfigError, match="column Grade is no profile field"):
        next(profile_field(bad, "class_id"))
    (bad_csv := tmp_path / "bad.csv").write_text("student_id,class_id,grade\n,c1,4\n")
    with pytest.raises(ConfigError, match=r"bad.csv, line 2: ") as caught:
        next(profile_field(bad_csv, "class_id"))
    with pytest.raises(ConfigError) as theirs:
        read_profiles(bad_csv)
    assert str(caught.value) in str(theirs.value)
