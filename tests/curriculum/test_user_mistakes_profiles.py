"""Profiles and catalogs given the wrong way (users' reports): a goal given as one string, a
missing file, a roster saved with `;`, profiles passed as a file name to the diagnostic."""

from __future__ import annotations

import json

import pytest

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill, read_profiles
from adaptive.errors import ConfigError
from adaptive.placement import PlacementDiagnostic


def small_catalog() -> Catalog:
    skills = (Skill("a", "A", grade=1), Skill("b", "B", ("a",), grade=2))
    acts = tuple(Activity(f"{s.id}-0", s.name, (s.id,)) for s in skills)
    return Catalog(skills=skills, activities=acts)


@pytest.mark.parametrize("field", ["goal_skills", "career_clusters"])
def test_one_string_where_a_list_goes_is_refused(field) -> None:
    with pytest.raises(
        ConfigError, match=rf"profile 'a': {field} = 'sci.hypothesis' \(expected a list"
    ):
        LearnerProfile("a", grade=2, **{field: "sci.hypothesis"})


def test_a_list_of_goals_is_kept_as_a_tuple() -> None:
    p = LearnerProfile("a", goal_skills=["k1", "k2"], career_clusters=("health",))
    assert p.goal_skills == ("k1", "k2") and p.career_clusters == ("health",)
    assert p == LearnerProfile("a", goal_skills=("k1", "k2"), career_clusters=("health",))
    with pytest.raises(ConfigError, match=r"goal_skills = \('k1', 3\)"):
        LearnerProfile("a", goal_skills=("k1", 3))


def test_a_missing_catalog_file_is_a_config_error(tmp_path) -> None:
    with pytest.raises(
        ConfigError, match=r"catalog file .*nowhere\.json not found; expected a catalog JSON"
    ):
        Catalog.from_json(tmp_path / "nowhere.json")


@pytest.mark.parametrize("name", ["profiles.jsonl", "roster.csv", "roster.parquet"])
def test_a_missing_profiles_file_is_a_config_error(tmp_path, name) -> None:
    with pytest.raises(
        ConfigError, match=rf"profiles file .*{name} not found; expected learner profiles"
    ):
        read_profiles(tmp_path / name)


def test_a_roster_separated_by_semicolons_is_read(tmp_path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text('student_id;grade;interests;goal_skills\ns1;4;animals:0.5;"k1;k2"\ns2;K;;\n')
    profiles = read_profiles(path)
    assert profiles["s1"] == LearnerProfile(
        "s1", grade=4, interests={"animals": 0.5}, goal_skills=("k1", "k2")
    )
    assert profiles["s2"].grade == 0


@pytest.mark.parametrize(
    ("prior", "got"),
    [("profiles.jsonl", "str"), ([1, 2], "list of int"), ({"s1": {"grade": 2}}, "dict of dict")],
)
def test_a_diagnostic_prior_of_another_kind_is_a_type_error(prior, got) -> None:
    with pytest.raises(
        TypeError, match=rf"prior: expected a Placement, learner profiles .*got {got}"
    ):
        PlacementDiagnostic(small_catalog(), prior=prior)


def test_a_diagnostic_prior_of_profiles_is_still_accepted(tmp_path) -> None:
    profiles = {"s1": LearnerProfile("s1", grade=2)}
    (tmp_path / "p.jsonl").write_text(json.dumps(profiles["s1"].to_dict()) + "\n")
    for prior in (profiles, list(profiles.values()), read_profiles(tmp_path / "p.jsonl"), None):
        PlacementDiagnostic(small_catalog(), prior=prior, max_questions=1).start("s1")


def roster_error(tmp_path, text: str):
    """(path, the one error's text) of a roster CSV holding `text`."""
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        read_profiles(path)
    return path, str(caught.value)


def test_every_bad_row_of_a_roster_is_in_one_error_and_a_workbook_is_named(tmp_path) -> None:
    """The trial of stop 39: a roster with 26 bad grades took 26 runs, one line each; an .xlsx
    roster was "not JSON"."""
    path, text = roster_error(tmp_path, "student_id,grade\ns1,fourth\ns2,4\ns3,4.5\ns2,5\n")
    assert text.startswith(f"3 problems in {path}:"), text
    assert "line 2: grade = 'fourth'" in text and "line 4: grade = '4.5'" in text
    assert "line 5: the same student id as line 3" in text
    workbook = tmp_path / "roster.xlsx"
    workbook.write_bytes(b"PK\x03\x04")
    with pytest.raises(
        ConfigError, match=r"roster.xlsx: an Excel workbook.*Save the roster as CSV"
    ):
        read_profiles(workbook)


def test_a_roster_export_is_read_with_its_own_column_names(tmp_path) -> None:
    """The trial of stop 39: a student information system's roster ('SIS ID', 'Grade Level',
    'Homeroom', names) had to be rewritten by hand: every column had to be a profile field."""
    from adaptive.cli import run

    roster = tmp_path / "roster.csv"
    roster.write_text("SIS ID,First Name,Grade Level,Homeroom\n004501,Ana,3rd,4A\n004502,Bo,,4A\n")
    columns = {"student_id": "SIS ID", "grade": "Grade Level", "class_id": "Homeroom"}
    read = read_profiles(roster, columns)
    assert {s: (p.grade, p.class_id) for s, p in read.items()} == {
        "004501": (3, "4A"), "004502": (None, "4A"),
    }  # fmt: skip
    with pytest.raises(ConfigError, match=r"no column 'SIS Id' \(did you mean 'SIS ID'\?\)"):
        read_profiles(roster, {"student_id": "SIS Id"})
    # every missing column at once (a trial fixed one, then met the next)
    with pytest.raises(
        ConfigError,
        match=r"no column 'SIS_ID' \(did you mean 'SIS ID'\?\), 'Grade' "
        r"\(did you mean 'Grade Level'\?\);",
    ):
        read_profiles(roster, {"student_id": "SIS_ID", "grade": "Grade"})
    # a bad cell names the file's own column, not only the field it is read as
    bad = tmp_path / "bad_grade.csv"
    bad.write_text("SIS ID,Grade Level\n004501,fourth\n")
    with pytest.raises(ConfigError, match=r"line 2: column 'Grade Level' \(grade\) = 'fourth'"):
        read_profiles(bad, {"student_id": "SIS ID", "grade": "Grade Level"})
    with pytest.raises(ConfigError, match="unknown field 'studentid'"):
        read_profiles(roster, {"studentid": "SIS ID"})
    with pytest.raises(ConfigError, match="columns .*First Name"):  # without: refused as before
        read_profiles(roster)
    out = tmp_path / "profiles.jsonl"
    code = run(["profiles", str(roster), "--out", str(out), "--columns",
                "student_id=SIS ID,grade=Grade Level,class_id=Homeroom"])  # fmt: skip
    assert code == 0 and read_profiles(out) == read
    assert run(["profiles", str(roster), "--out", str(out), "--columns", "SIS ID"]) == 2


def test_a_column_whose_name_holds_a_comma_is_quoted_where_the_header_is_listed(
    tmp_path,
) -> None:
    """A district evaluator's trial: a roster's `Last, First` column was listed "columns
    Student Number, Last, First, School Code" (three columns, read so)."""
    roster = tmp_path / "roster.csv"
    roster.write_text('Student Number,"Last, First",Grade Level\n004501,"Doe, J",4\n')
    _, text = roster_error(tmp_path, roster.read_text())
    assert "columns Student Number, 'Last, First', Grade Level are no profile fields" in text
    with pytest.raises(ConfigError) as caught:
        read_profiles(roster, {"student_id": "Student Nr"})
    said = "the header has: Student Number, 'Last, First', Grade Level"
    assert str(caught.value).endswith(said), caught.value


def test_one_student_written_two_ways_in_a_roster_is_refused(tmp_path) -> None:
    """A data steward's trial: a roster holding "S0013" and "s0013" (or "004501" and "4501")
    passed, and both were served and listed on their class page as two students."""
    path, text = roster_error(
        tmp_path, "student_id,grade\nS0013,4\n004501,5\ns0013,4\n4501,5\nS0014,4\n"
    )
    assert text.startswith(f"2 problems in {path}:"), text
    assert (
        "line 4: student 's0013' differs from 'S0013' on line 2 only in case or leading zeros"
        in text
    )
    assert "line 5: student '4501' differs from '004501' on line 3" in text
    path.write_text("student_id,grade\nS0013,4\nS013,4\n")  # another student: not zeros alone
    assert len(read_profiles(path)) == 2


def test_a_student_in_two_schools_is_told_what_to_do(tmp_path) -> None:
    """A placement trial: a student on two roster lines differing only in school (and class)
    read "line 4: the same student id as line 2", with no word of dual enrolment. A district
    engineer's: a student who moved school mid-year is the usual case, and "keep the line of
    their home school" did not say which line that is (the school they are in now)."""
    path, text = roster_error(
        tmp_path,
        "student_id,grade,school_id,class_id\nstu05,8,sch0,sch0-g8A\nstu06,8,sch0,sch0-g8A\n"
        "stu05,8,sch1,sch1-g4A\nstu06,7,sch0,sch0-g8A\n",
    )
    assert text.startswith(f"2 problems in {path}:"), text
    assert (
        f"{path}, line 4: the same student id as line 2, in another school ('sch1'; line 2: "
        "'sch0'): a mid-year transfer, or enrolled in two schools? expected one line per "
        "student: keep the line of the school they are in now (a transfer: the new school; "
        "two schools at once: their home school). The other school can go in a column the "
        "reader does not read"
    ) in text
    assert f"{path}, line 5: the same student id as line 3; expected one line per" in text
    assert "stu05" not in text and "stu06" not in text


def test_a_roster_with_a_names_column_is_told_about_columns(tmp_path) -> None:
    """A data steward's trial: an extra `name` column was an error that did not say how to
    read a roster with other columns."""
    path = tmp_path / "roster.csv"
    path.write_text("student_id,grade,name\ns1,4,Ada\n")
    with pytest.raises(
        ConfigError, match=r"column name is no profile field.*--columns 'student_id=SIS ID"
    ):
        read_profiles(path)
    assert (
        read_profiles(path, columns={"student_id": "student_id", "grade": "grade"})["s1"].grade == 4
    )


def test_a_placement_table_given_as_profiles_is_named_with_its_whole_header(tmp_path) -> None:
    """Before, a saved placement given as --profiles listed only its unknown columns ("columns
    ['skill_id', 'mastery', 'source']") and advised `adaptive profiles placed.csv --columns`."""
    path = tmp_path / "placed.csv"
    path.write_text("student_id,skill_id,mastery,source\ns1,g5.NS.1,0.8,placed by diagnostic\n")
    with pytest.raises(ConfigError) as caught:
        read_profiles(path)
    message = str(caught.value)
    assert "placed.csv, line 1: columns skill_id, mastery, source are no profile fields (the " in (
        message
    )
    assert "(the header: student_id, skill_id, mastery, source)" in message
    assert message.endswith(
        "this looks like a placement table (student_id, skill_id, mastery): give it as "
        "--placement (read_placement)"
    )
    assert "adaptive profiles" not in message


def test_a_catalog_given_as_profiles_is_one_error_naming_it(tmp_path) -> None:
    """A user trial: `--profiles district_catalog.json` gave "2,162 problems ... line 1: not a
    learner profile (not JSON ...)", one a line of the pretty-printed catalog, and no word of
    what the file is. Every way a profiles file is read says it in one error."""
    from adaptive.curriculum.profile import iter_profiles

    path = tmp_path / "district_catalog.json"
    small_catalog().to_json(path)
    expected = (
        f"{path}: not learner profiles; expected learner profiles, one JSON object per line (or "
        "a CSV / Parquet table); this looks like a catalog (skills, activities): give it as "
        "--catalog"
    )
    for read in (read_profiles, lambda p: list(iter_profiles(p))):
        with pytest.raises(ConfigError) as caught:
            read(path)
        assert str(caught.value) == expected
    bad = tmp_path / "bad.jsonl"  # profiles with a bad first line: their own problems
    bad.write_text('{"student_id": "s1", "grade": "six"}\n{"student_id": "s2"}\n')
    with pytest.raises(ConfigError, match=r"bad\.jsonl, line 1: ") as caught:
        read_profiles(bad)
    assert "this looks like" not in str(caught.value)


def test_students_with_a_class_and_no_school_are_counted(tmp_path, capsys) -> None:
    """A data steward's trial: a blank school id beside a class was accepted without a count,
    and the class then appeared twice in the report (its school's, and school 'unassigned')."""
    from adaptive.cli import run
    from adaptive.errors import CoverageWarning
    from adaptive.policy.adapter import check_profiles

    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,grade,school_id,class_id\ns1,4,sch5,g6A\ns2,4,,g6A\n")
    out = tmp_path / "profiles.jsonl"
    assert run(["profiles", str(roster), "--out", str(out)]) == 0
    assert "1 with a class but no school" in " ".join(capsys.readouterr().err.split())
    with pytest.warns(CoverageWarning, match="1 student has a class but no school"):
        coverage = check_profiles(read_profiles(out), Catalog((Skill("k", grade=4),)))
    assert coverage.class_without_school == 1


def test_profiles_with_a_catalog_warn_of_grades_far_outside_it_with_their_lines(
    tmp_path, capsys
) -> None:
    """The placement office's trial (L19): a grade-12 student (a typo for "2"?) and
    kindergartners on a grade 3-8 catalog were only counted by the night, "grades the catalog
    has no skill of: 12 (1), K (2)": the grade 12 was served nothing and the kindergartners
    grade 3 work. `adaptive profiles --catalog` now says so, once, with the roster's lines and
    no ids; a grade one outside the catalog's (2, 9) is placed by its distance, unsaid there
    (the night's count, said first since trial C, names it among the others)."""
    from adaptive.cli import run

    skills = tuple(Skill(f"g{g}", f"G{g}", grade=g) for g in range(3, 9))
    catalog = tmp_path / "catalog.json"
    Catalog(skills, tuple(Activity(f"{s.id}-0", s.name, (s.id,)) for s in skills)).to_json(catalog)
    roster = tmp_path / "roster.csv"
    roster.write_text("SIS ID,Grade\nID01,12\nID02,K\nID03,4\nID04,K\nID05,2\nID06,9\n")
    args = ["profiles", str(roster), "--out", str(tmp_path / "p.jsonl"), "--catalog", str(catalog),
            "--columns", "student_id=SIS ID,grade=Grade"]  # fmt: skip
    assert run(args) == 0
    err = " ".join(capsys.readouterr().err.split())
    # the night's count of every grade outside (`check_profiles`), then these grades in detail
    night, far = err.split("warning: ")[1:]
    assert night.startswith("profiles: 5 students are in grades the catalog has no skill of")
    assert (
        "roster.csv: 3 students are in grades more than 1 grade outside the catalog's (3-8): "
        "grade K (2 students, lines 3 and 5): served the catalog's lowest grade, 3" in err
    ), err
    assert (
        "grade 12 (1 student, line 2): every skill they never answered assumed known and not "
        "served: only skills their answers show not mastered are served" in err
    ), err
    assert "ID0" not in err and "grade 2 " not in far and "grade 9" not in far
    roster.write_text("SIS ID,Grade\nID03,4\nID05,2\n")
    assert run(args) == 0
    assert "more than 1 grade outside" not in capsys.readouterr().err  # 2: the night's count


def test_the_spark_drivers_check_of_a_profiles_file_refuses_what_read_profiles_refuses(
    tmp_path,
) -> None:
    """`iter_profiles` keeps 8 bytes per student, not the profiles: a file that
    `read_profiles` refuses (a student on two lines, one written two ways, a bad line) is the
    same error; a good one passes."""
    from adaptive.curriculum.profile import iter_profiles

    good = [json.dumps({"student_id": f"s{i:04d}", "grade": 4}) for i in range(50)]
    files = {
        "good": good,
        "twice": [*good, good[7]],
        "two ways": [*good, json.dumps({"student_id": "S0007", "grade": 4})],
        "bad line": [*good[:3], json.dumps({"student_id": "x", "grade": "fourth"}), *good[3:]],
    }
    for name, lines in files.items():
        path = tmp_path / f"{name.replace(' ', '_')}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        if name == "good":
            assert len(list(iter_profiles(path))) == 50
            continue
        with pytest.raises(ConfigError) as theirs:
            read_profiles(path)
        with pytest.raises(ConfigError, match=r"line (4|51)\b") as ours:
            list(iter_profiles(path))
        assert str(ours.value) == str(theirs.value), name


def test_the_spark_drivers_pass_says_a_class_written_two_ways_once(tmp_path, monkeypatch) -> None:
    """A review: `iter_profiles` says classes written two ways itself where no two ids' hashes
    meet, and leaves it to `read_profiles`' own check where they do (ids meeting by chance
    alone, which that check passes). Either way the note is said once, as `read_profiles`
    says it."""
    import warnings

    from adaptive.curriculum import profile
    from adaptive.errors import DataNoteWarning

    path = tmp_path / "roster.csv"
    rows = [f"s{i},4,sch1,{'g4a' if i == 0 else 'G4A'}" for i in range(5)]
    path.write_text("student_id,grade,school_id,class_id\n" + "\n".join(rows) + "\n")
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        read_profiles(path)
    assert [w.category for w in theirs] == [DataNoteWarning]
    for met in (False, True):  # two hashes met (by chance) or not
        monkeypatch.setattr(profile, "_repeats", lambda hashes, met=met: met)
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            assert len(list(profile.iter_profiles(path))) == 5
        assert [str(w.message) for w in ours] == [str(w.message) for w in theirs], met


@pytest.mark.parametrize("name, text", [("empty.jsonl", ""), ("blank.jsonl", "\n\n"),
                                        ("header.csv", "student_id,grade\n")])  # fmt: skip
def test_a_roster_without_one_student_is_refused(tmp_path, name, text, capsys) -> None:
    """An ops trial: a 0-byte JSON-lines roster (or a table's header alone) was read as no
    profile, and the night served all 3,000 students of the log in school 'unassigned',
    without grade, class or interests, exit 0. Refused by every reader of a roster (the Spark
    driver's check, `adaptive profiles`)."""
    from adaptive.cli import run
    from adaptive.curriculum.profile import iter_profiles

    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match="no student in it"):
        read_profiles(path)
    if name.endswith(".jsonl"):
        with pytest.raises(ConfigError, match="no student in it"):
            list(iter_profiles(path))
    assert run(["profiles", str(path), "--out", str(tmp_path / "p.jsonl")]) == 2
    assert "no student in it" in capsys.readouterr().err
    assert not (tmp_path / "p.jsonl").exists()


def test_a_roster_cell_with_another_separator_is_refused_naming_its_column(
    tmp_path, capsys
) -> None:
    """A district's trial: `adaptive profiles`, the roster checker, accepted interests written
    "sports=0.8,music" and goals "8.NS.A.4, 8.OA.A.4" with exit 0, each cell read as ONE
    topic (or skill) id: the students lost their interests and goals without a word. Each
    such cell is now a problem of the one error, naming the file, line, column and value with
    the form expected; a comma in a career cluster's name is still read."""
    from adaptive.cli import run

    roster = tmp_path / "roster.csv"
    roster.write_text(
        "SIS ID,Interests,Goals,Cluster\n"
        's1,animals:0.8;music,k1;k2,"Arts, A/V Technology & Communications"\n'
        's2,"sports=0.8,music",k1,\n'
        's3,art,"8.NS.A.4, 8.OA.A.4",\n'
        "s4,art|music,k1+k2,\n"
    )
    columns = {"student_id": "SIS ID", "interests": "Interests", "goal_skills": "Goals",
               "career_clusters": "Cluster"}  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        read_profiles(roster, columns)
    text = str(caught.value)
    assert text.startswith(f"3 problems in {roster}:"), text
    assert (
        f"{roster}, line 3, column 'Interests': 'sports=0.8,music': expected topic:weight;topic "
        "(';' between topics, ':' before a weight: 'animals:0.8;music'), not ',' or '='" in text
    )
    assert (
        f"{roster}, line 4, column 'Goals': '8.NS.A.4, 8.OA.A.4': expected skill;skill (';' "
        "between skill ids: '8.NS.A.4;8.OA.A.4'), not ','" in text
    )
    assert "line 5, column 'Interests': 'art|music'" in text and "not '|'" in text
    assert "line 5, column 'Goals': 'k1+k2'" not in text  # one problem a row: the first
    out = tmp_path / "profiles.jsonl"
    mapping = ",".join(f"{field}={column}" for field, column in columns.items())
    assert run(["profiles", str(roster), "--columns", mapping, "--out", str(out)]) == 2
    assert "column 'Interests': 'sports=0.8,music'" in capsys.readouterr().err
    assert not out.exists()
    roster.write_text(
        roster.read_text().splitlines()[0] + "\n" + roster.read_text().splitlines()[1]
    )
    assert read_profiles(roster, columns)["s1"] == LearnerProfile(
        "s1", interests={"animals": 0.8, "music": 1.0}, goal_skills=("k1", "k2"),
        career_clusters=("Arts, A/V Technology & Communications",),
    )  # fmt: skip


def test_a_bad_profile_value_names_the_line_not_the_student(tmp_path, capsys) -> None:
    """A district's trial: the nightly job's and `adaptive profiles`' error for a weight in
    percent read "line 5: profile 'S004505': interests ...": a student id in the job's log,
    where the file and line name the row. The id is left out there (kept in Python, where a
    profile built by hand has no line), and so for a student on two lines."""
    from adaptive.cli import run

    lines = [{"student_id": "S004501", "grade": 4},
             {"student_id": "S004505", "interests": {"sports": 80, "music": 50}},
             {"student_id": "S004506", "weekly_minutes": -5},
             {"student_id": "S004501", "grade": 5}]  # fmt: skip
    path = tmp_path / "profiles.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    with pytest.raises(ConfigError) as caught:
        read_profiles(path)
    text = str(caught.value)
    assert (
        f"{path}, line 2: interests {{'sports': 80.0, 'music': 50.0}}: expected weights in "
        "[0, 1] (percentages? divide by 100)" in text
    )
    assert f"{path}, line 3: weekly_minutes -5.0: expected minutes >= 0" in text
    assert f"{path}, line 4: the same student id as line 1" in text
    assert not any(r["student_id"] in text for r in lines), text
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,interests\nS004505,sports:80\n")
    assert run(["profiles", str(roster), "--out", str(tmp_path / "p.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "roster.csv, line 2: interests {'sports': 80.0}" in err and "S004505" not in err
    with pytest.raises(ConfigError, match=r"profile 'S9': interests \{'art': 80\}"):
        LearnerProfile("S9", interests={"art": 80})


def test_several_misspelt_profile_columns_are_one_sentence_with_the_fields_once(tmp_path) -> None:
    """`columns={"studnet_id": ..., "grdae": ...}` repeated the whole list of fields after each
    misspelt key; now it is the library's one "unknown key" sentence (`unknown_keys`)."""
    path = tmp_path / "roster.csv"
    path.write_text("id,g\ns1,4\n")
    with pytest.raises(ConfigError) as err:
        read_profiles(path, columns={"studnet_id": "id", "grdae": "g"})
    message = str(err.value)
    assert message.startswith(
        "profile columns: unknown fields 'studnet_id' (did you mean 'student_id'?) and 'grdae' "
        "(did you mean 'grade'?); valid fields: "
    ), message
    assert message.count("valid fields") == 1


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_roster_naming_a_field_twice_is_refused_with_both_columns(tmp_path, kind):
    """A roster exported with `class_id` twice: the Parquet reader raised a bare ValueError
    (its cells out of line with its names), the CSV reader kept the last cell without a word.
    Both, and the one-field pass the night makes first (`profile_field`), now refuse it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from adaptive.curriculum.profile import profile_field

    path = tmp_path / f"roster.{kind}"
    if kind == "csv":
        path.write_text("student_id,class_id,grade,class_id\ns1,c1,4,c9\n")
    else:
        cells = [pa.array(v) for v in (["s1"], ["c1"], ["4"], ["c9"])]
        pq.write_table(
            pa.Table.from_arrays(cells, ["student_id", "class_id", "grade", "class_id"]), path
        )
    for read in (lambda: read_profiles(path), lambda: list(profile_field(path, "class_id"))):
        with pytest.raises(ConfigError) as err:
            read()
        assert str(err.value) == (
            f"{path}, line 1: columns 2 ('class_id') and 4 ('class_id') are both read as the "
            "profile field 'class_id'; expected each field once: drop or rename one of them"
        )
