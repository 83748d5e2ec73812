"""Teacher overrides files: read and checked against the catalog and profiles, clear errors,
applied through the per-school batch fields."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest

from adaptive.batch.overrides import OverridesError, StudentOverride, read_overrides
from adaptive.cli import run
from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.errors import NightWarning

CATALOG = Catalog(
    [Skill("s1", "one", grade=3), Skill("s2", "two", grade=4)],
    [Activity("a1", "A1", ("s1",), grade=3), Activity("a2", "A2", ("s2",), grade=4),
     Activity("a3", "A3", ("s2",), grade=4)],
)  # fmt: skip
PROFILES = {
    "st1": LearnerProfile("st1", grade=4, class_id="c1"),
    "st2": LearnerProfile("st2", grade=4, class_id="c1"),
    "st3": LearnerProfile("st3", grade=3, class_id="c2"),
}


#: every export is dated (the class page writes its report's date)
DATED = "2026-09-01"


def write(tmp_path, students: dict, name: str = "o.json", **top) -> object:
    doc = {"format": "adaptive-overrides", "version": 1, "class_id": "c1", "students": students,
           "date": DATED}  # fmt: skip
    doc.update(top)
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=1))
    return path


def test_read_and_batch_fields(tmp_path):
    path = write(
        tmp_path,
        {"st1": {"assigned": ["a3", "a1"], "excluded": ["a2"], "mode": "accelerate"},
         "st2": {"mode": "remediate"}},
    )  # fmt: skip
    got = read_overrides(path, CATALOG, PROFILES)
    assert got.students["st1"].assigned == ("a3", "a1") and got.students["st2"].mode == "remediate"
    fields = got.batch_fields(CATALOG, PROFILES, ["st0", "st1", "st2"])
    assert fields["assigned"].toarray().tolist()[1] == [2.0, 0.0, 1.0]  # 1-based order
    assert fields["excluded"].toarray().tolist()[1] == [0.0, 1.0, 0.0]
    np.testing.assert_array_equal(fields["min_grade"], [np.nan, 4, 2])
    np.testing.assert_array_equal(fields["max_grade"], [np.nan, 5, 4])
    assert got.batch_fields(CATALOG, PROFILES, ["st3"]) == {}
    assert read_overrides(tmp_path, CATALOG, PROFILES) == got  # a folder of files
    assert got.sha256 == read_overrides(path, CATALOG, PROFILES).sha256


@pytest.mark.parametrize(
    ("students", "top", "message"),
    [
        (
            {"st1": {"assigned": ["a1", "zz"]}},
            {},
            "field students.st1.assigned[1]: got 'zz'; expected an activity id",
        ),
        (  # the trial of stop 39: a typo, and a skill id, got no hint
            {"st1": {"excluded": ["a33"]}},
            {},
            "got 'a33'; expected an activity id of the catalog (did you mean 'a3'?)",
        ),
        (
            {"st1": {"mode": "faster"}},
            {},
            "field students.st1.mode: got 'faster'; expected null or one of",
        ),
        (
            {"st1": {"colour": 1}},
            {},
            "field students.st1.colour: got 'colour'; expected one of a student's keys assigned, "
            "excluded, mode",
        ),
        (  # a user trial: no "did you mean", which the export's own keys get
            {"st1": {"exluded": ["a2"]}},
            {},
            "line 7, column 4, field students.st1.exluded: got 'exluded'; expected one of a "
            "student's keys assigned, excluded, mode, excluded_skills (did you mean 'excluded'?)",
        ),
        ({"st1": 3}, {}, "line 6, column 10, field students.st1: got 3; expected an object"),
        ({}, {"format": "x"}, "field format: got 'x'; expected 'adaptive-overrides'"),
        ({}, {"version": 2}, "field version: got 2; expected 1"),
    ],
)
def test_errors_name_file_line_field_value_and_expectation(tmp_path, students, top, message):
    path = write(tmp_path, students, **top)
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    assert str(err.value).startswith(str(path)) and message in str(err.value)
    if students:
        assert ", line " in str(err.value)


def test_not_json_names_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "adaptive-overrides",\n "students": {,}}')
    with pytest.raises(OverridesError, match=r"bad.json, line 2, column 15: not JSON"):
        read_overrides(path, CATALOG, PROFILES)


@pytest.mark.parametrize(
    ("text", "where", "of"),
    [
        ('{"format": "adaptive-overrides",\n "version": 1,\n}', "line 2, column 14", "an object"),
        ('{"students": {"st1": {"assigned": ["a1",\n  ]}}}', "line 1, column 40", "a list"),
    ],
)
def test_a_comma_after_the_last_item_is_named_where_it_is(tmp_path, text, where, of):
    """A user trial: a trailing comma (a file edited by hand) said "not JSON (Expecting
    property name enclosed in double quotes)" at the brace after it, with "(a table of
    overrides is not read)", which did not apply. The comma is named, where it is."""
    path = tmp_path / "o.json"
    path.write_text(text)
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    assert str(err.value) == (
        f"{path}, {where}: not JSON: a comma after the last item of {of}, which JSON does not "
        'allow; expected the JSON file that a class page\'s "Export overrides (JSON)" button '
        "downloads (remove the comma)"
    )


def test_a_student_in_two_files_is_read_once_or_by_the_newest_never_stopping_the_night(tmp_path):
    """A student in a class's export and in a hand-written file without `class_id` stopped
    every school's night ("student 'st1' is also in ..."). As a class's two files are: the same
    choices read once; different ones, the newest by date; the same date, none. Each said with
    a count and the two files, no student id."""
    write(tmp_path, {"st1": {}, "st2": {"mode": "remediate"}}, "a.json")
    write(tmp_path, {"st1": {"mode": "remediate"}, "st2": {"mode": "remediate"}}, "b.json",
          class_id=None)  # fmt: skip
    with pytest.warns(NightWarning) as said:
        got = read_overrides(tmp_path, CATALOG, PROFILES)
    text = " | ".join(str(w.message) for w in said)
    assert "1 student is in" in text and "the same choices, read once" in text
    assert "different choices and the same date" in text and "st1" not in text
    assert "st1" not in got.students and got.students["st2"].mode == "remediate"
    write(tmp_path, {"st1": {"mode": "remediate"}}, "b.json", class_id=None, date="2026-09-02")
    with pytest.warns(NightWarning, match="the newest by its date applies, .*b.json"):
        got = read_overrides(tmp_path, CATALOG, PROFILES)
    assert got.students["st1"].mode == "remediate" and got.sources["st1"].endswith("b.json")


def test_students_who_left_or_moved_are_skipped_with_a_warning(tmp_path):
    """A teacher's trial: one student who left the district, named in one teacher's file,
    stopped every school's night (exit 2). Students who left, or are now in another class, are
    skipped with a warning (counts and lines, no id); the others are applied."""
    path = write(tmp_path, {"st1": {"mode": "remediate"}, "nobody": {}, "st3": {}})
    with pytest.warns(NightWarning) as caught:
        got = read_overrides(path, CATALOG, PROFILES)
    assert list(got.students) == ["st1"]
    said = str(caught[0].message)
    assert (
        "1 student in no profile (left the district?) and 1 student in class 'c2' per the " in said
    )
    assert "o.json, lines " in said and "nobody" not in said and "st3" not in said
    bad = write(tmp_path, {"nobody": {"assigned": ["zz"]}}, "bad.json")  # still checked
    with pytest.raises(OverridesError, match="got 'zz'"):
        read_overrides(bad, CATALOG, PROFILES)


def test_a_bad_file_is_set_aside_by_the_night_and_refused_by_validate(district, tmp_path, capsys):
    """A teacher's trial: one class's file with a typo'd activity id (or a mode `Remediate`, a
    date `20/02/2027`, a UTF-16 or CSV file) stopped every school's night (exit 2, nothing
    served for 3,000 students). The night sets that file aside: its students are served
    without it, every other file is applied, a warning names the file and lists every problem
    (no student id), and the record says so for the report. `adaptive validate --overrides`
    stays strict: every problem, exit 2."""
    import pandas as pd

    from adaptive.batch.job import read_profiles
    from adaptive.batch.overrides import set_aside_files

    profiles = read_profiles(district.profiles)
    of_class: dict[str, list[str]] = {}
    for sid, p in sorted(profiles.items()):
        if p.class_id:
            of_class.setdefault(p.class_id, []).append(sid)
    (bad_class, bad), (good_class, good) = list(of_class.items())[:2]
    exports = tmp_path / "exports"
    exports.mkdir()

    def export(name: str, klass: str, students: dict, date: str = district.last_day) -> Path:
        doc = {"format": "adaptive-overrides", "version": 1, "class_id": klass, "date": date,
               "students": students}  # fmt: skip
        path = exports / name
        path.write_text(json.dumps(doc, indent=1))
        return path

    catalog = Catalog.from_json(district.catalog)
    grade = profiles[bad[2]].grade
    far = next(
        a.id for a in catalog.activities if a.grade is not None and abs(a.grade - grade) >= 3
    )
    bad_file = export("bad.json", bad_class, {bad[0]: {"mode": "Remediate"},
                                              bad[1]: {"assigned": ["nope"]},
                                              bad[2]: {"assigned": [far]}}, "20/02/2027")  # fmt: skip
    export("good.json", good_class, {good[0]: {"mode": "remediate"}})
    (exports / "notes.csv").write_text("student_id,excluded\n")  # set aside too
    args = ["--date", district.last_day, "--data", str(district.responses), "--catalog",
            str(district.catalog), "--profiles", str(district.profiles), "--name",
            district.model, "--tracking-uri", district.uri]  # fmt: skip
    out = tmp_path / "out"
    code = run(["batch", "--out", str(out), "--overrides", str(exports), *args])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    served = pd.read_parquet(out / "students" / f"date={district.last_day}")
    assert set(bad) <= set(served["student_id"])  # the class's students served all the same
    said = " ".join(err.split())
    assert f"bad.json (class '{bad_class}'): set aside, not applied tonight" in said
    assert "3 problems" in said and "did you mean 'remediate'?" in said
    assert "field date: got '20/02/2027'" in said and "did you mean '" in said
    assert "field students.<student id>.assigned[0]: got 'nope'" in said
    assert "notes.csv: set aside" in said
    assert not [sid for sid in (*bad, *good) if sid in err]  # no student id in the night's log
    assert "applied overrides for 1 student from 1 file; 2 files with problems set aside" in said
    aside = set_aside_files(out, district.last_day)
    assert [(Path(f.path).name, f.classes, len(f.problems)) for f in aside] == [
        ("bad.json", ((profiles[bad[0]].school_id, bad_class),), 3), ("notes.csv", (), 1)
    ]  # fmt: skip
    # the strict check before the night: every problem, with the file, exit 2
    code = run(["validate", "--overrides", str(bad_file), "--catalog", str(district.catalog),
                "--profiles", str(district.profiles)])  # fmt: skip
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "3 problems in the teacher overrides" in err
    assert f"field students.{bad[1]}.assigned[0]: got 'nope'" in err
    code = run(["validate", "--overrides", str(exports / "good.json"), "--catalog",
                str(district.catalog), "--profiles", str(district.profiles)])  # fmt: skip
    assert code == 0 and "No problems found" in capsys.readouterr().out
    # the teacher who exported it reads it on their class page the next morning
    from adaptive.reports.site.build import build_site

    site = tmp_path / "site"
    build_site(out, district.last_day, site, catalog=district.catalog,
               profiles=district.profiles, class_id=bad_class)  # fmt: skip
    page = next(site.rglob(f"{bad_class}/index.html")).read_text()
    notice = page[page.index("Not applied tonight") :].split("</div>")[0]
    assert "bad.json</code>: 3 problems" in notice and "did you mean" in notice
    # in the teacher's terms: the student as the page names them (its own class), the choice
    mine = notice.split("<details>")[0]
    assert f"<li>{bad[0]}: mode: &#x27;Remediate&#x27; is no mode (did you mean remediate?)" in mine
    assert "line" not in mine and "&lt;student id&gt;" not in mine
    # the form holds the file's choices: the valid ones, and 'nope' to be marked by the page
    row = page[page.index(f'<tr data-student="{bad[1]}">') :].split("</tr>")[0]
    assert 'value="nope"' in row
    # a choice of the file far from the student's grade is flagged where it is shown
    row = page[page.index(f'<tr data-student="{bad[2]}">') :].split("</tr>")[0]
    assert f'value="{far}"' in row and 'class="far"' in row and "check the assignment" in row


@pytest.mark.parametrize(
    ("date", "said"),
    [
        ("12/03/2027", "got '12/03/2027'; expected a day in ISO 8601, year-month-day (a date "
         "such as 02/03/2027 reads as a different day in different countries) (2027-03-12 or "
         "2027-12-03? write the day meant as year-month-day)"),
        (46438, "got 46438; expected a day in ISO 8601, year-month-day (a date such as "
         "02/03/2027 reads as a different day in different countries) (did you mean "
         "'2027-02-20'? 46438 is a spreadsheet's number for that day)"),
    ],
    ids=["two-days", "spreadsheet-number"],
)  # fmt: skip
def test_a_date_that_is_two_days_or_a_spreadsheet_number_is_said_so(tmp_path, date, said):
    """A teacher's trial: "12/03/2027" and the spreadsheet number 46438 (2027-02-20) were told
    "expected a day in ISO 8601 such as 2027-02-12", which read as a day to copy."""
    path = write(tmp_path, {"st1": {"mode": "accelerate"}}, date=date)
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    assert said in str(err.value) and "2027-02-12" not in str(err.value)


def test_every_problem_of_a_file_is_named_at_once(tmp_path):
    """A file with 3 bad ids named only the first: fixed, it failed again on the next."""
    path = write(
        tmp_path,
        {"st1": {"assigned": ["A3", "zz"], "mode": "Accelerate"},
         "st2": {"excluded": ["a22"], "colour": 1}},
        date="20/02/2027",
    )  # fmt: skip
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    assert len(err.value.problems) == 6
    message = str(err.value)
    assert message.startswith("6 problems in the teacher overrides")
    for part in (
        "field date: got '20/02/2027'",
        "did you mean '2027-02-20'?",
        "field students.st1.assigned[0]: got 'A3'; expected an activity id of the catalog "
        "(did you mean 'a3'?)",
        "field students.st1.assigned[1]: got 'zz'",
        "field students.st1.mode: got 'Accelerate'; expected null or one of accelerate, "
        "remediate (did you mean 'accelerate'?)",
        "field students.st2.colour: got 'colour'",
        "field students.st2.excluded[0]: got 'a22'",
    ):
        assert part in message
    assert all("st1" not in p and "st2" not in p for p in err.value.anonymous)
    # the night's reading: set aside with a warning listing them, no student id
    with pytest.warns(NightWarning) as caught:
        got = read_overrides(tmp_path, CATALOG, PROFILES, strict=False)
    assert len(got) == 0 and got.files == ()
    assert [f.classes for f in got.set_aside] == [(("", "c1"),)]
    said = str(caught[0].message)
    assert "o.json (class 'c1'): set aside" in said and "6 problems" in said
    assert "st1" not in said and "st2" not in said


def test_record_is_written_and_removed_by_a_run_without_overrides(tmp_path):
    from adaptive.batch.overrides import applied_overrides, overrides_path, record_overrides

    got = read_overrides(write(tmp_path, {"st1": {"excluded": ["a2"]}}), CATALOG, PROFILES)
    record_overrides(tmp_path / "out", "2027-02-20", got)
    assert applied_overrides(tmp_path / "out", "2027-02-20") == got.students
    record_overrides(tmp_path / "out", "2027-02-20", None)
    assert not overrides_path(tmp_path / "out", "2027-02-20").exists()
    assert applied_overrides(tmp_path / "out", "2027-02-20") == {}


def test_forked_workers_apply_the_overrides_as_one_process_does(district, tmp_path):
    """Two schools served by forked workers get the night's overrides (through `Night`)."""
    import pandas as pd

    from adaptive.batch import run_daily_job
    from adaptive.batch.job import read_profiles

    profiles = read_profiles(district.profiles)
    by_school: dict[str, str] = {}
    for sid, p in sorted(profiles.items()):
        by_school.setdefault(p.school_id, sid)
    assert len(by_school) >= 2
    first = run_daily_job(district.last_day, tmp_path / "plain", **district.job_args(workers=1))
    recs = pd.read_parquet(first.out / "recommendations" / f"date={district.last_day}")
    top = recs[recs["rank"] == 1].set_index("student_id")["activity_id"]
    docs = {sid: {"excluded": [top[sid]]} for sid in by_school.values() if sid in top.index}
    path = tmp_path / "o.json"
    path.write_text(json.dumps({"format": "adaptive-overrides", "version": 1,
                                "date": district.last_day, "students": docs}))  # fmt: skip
    outs = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        run_daily_job(district.last_day, out, **district.job_args(workers=workers, overrides=path))
        outs[workers] = pd.read_parquet(out / "recommendations" / f"date={district.last_day}")
    pd.testing.assert_frame_equal(outs[1], outs[2])
    for sid, doc in docs.items():
        assert doc["excluded"][0] not in set(
            outs[2].loc[outs[2]["student_id"] == sid, "activity_id"]
        )


# --- a folder of exports: what it may hold, and what the night says it applied ---


def test_a_folder_reads_a_json_file_whatever_the_case_of_its_extension(tmp_path):
    """A class's file saved as `.JSON` was skipped without a word (its exclusion lost)."""
    write(tmp_path, {"st1": {"excluded": ["a2"]}}, "overrides-c1.JSON")
    write(tmp_path, {"st3": {"mode": "remediate"}}, "overrides-c2.json", class_id="c2")
    (tmp_path / ".DS_Store").write_bytes(b"\0")  # hidden files and file-manager markers: skipped
    (tmp_path / "Thumbs.db").write_bytes(b"\0")
    got = read_overrides(tmp_path, CATALOG, PROFILES)
    assert got.students["st1"].excluded == ("a2",) and sorted(got.students) == ["st1", "st3"]
    assert [Path(f).name for f in got.files] == ["overrides-c1.JSON", "overrides-c2.json"]
    assert got.summary() == "applied overrides for 2 students from 2 files"


@pytest.mark.parametrize("other", ["notes.csv", "overrides-c2.json.crdownload", "exports-2026"])
def test_any_other_file_in_a_folder_is_an_error_naming_it(tmp_path, other):
    write(tmp_path, {"st1": {"excluded": ["a2"]}})
    if other.startswith("exports"):
        (tmp_path / other).mkdir()  # not read recursively: its files would be lost
    else:
        (tmp_path / other).write_text("student_id,excluded\nst2,a1\n")
    with pytest.raises(OverridesError) as err:
        read_overrides(tmp_path, CATALOG, PROFILES)
    message = str(err.value)
    assert message.startswith(str(tmp_path / other)) and "expected" in message
    assert "only the class pages' JSON exports" in message


def test_the_night_says_how_many_students_and_files_it_applied(district, tmp_path):
    from adaptive.batch import run_daily_job
    from adaptive.batch.job import read_profiles

    profiles = read_profiles(district.profiles)
    klass, sid = next((p.class_id, s) for s, p in sorted(profiles.items()) if p.class_id)
    doc = {"format": "adaptive-overrides", "version": 1, "class_id": klass,
           "date": district.last_day, "students": {sid: {"mode": "remediate"}}}  # fmt: skip
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / f"overrides-{klass}.JSON").write_text(json.dumps(doc))
    summary = run_daily_job(
        district.last_day, tmp_path / "out", **district.job_args(overrides=tmp_path / "exports")
    )
    assert (summary.override_students, summary.override_files) == (1, 1)
    plain = run_daily_job(district.last_day, tmp_path / "plain", **district.job_args())
    assert plain.override_students is None
    # a standing drop folder, empty until a teacher exports: no overrides tonight (it was "no
    # overrides file in this folder", exit 2, every night nobody exported: the README's re-check)
    (tmp_path / "empty").mkdir()
    quiet = run_daily_job(
        district.last_day, tmp_path / "quiet", **district.job_args(overrides=tmp_path / "empty")
    )
    assert (quiet.override_students, quiet.override_files) == (0, 0)


# --- one file: each student once, ids trimmed, nothing both assigned and excluded ---


def test_the_same_student_twice_in_one_file_is_an_error_naming_it_and_its_lines(tmp_path):
    """JSON keeps the last of two entries: the first one's exclusion was lost without a word."""
    path = tmp_path / "o.json"
    path.write_text(
        '{"format": "adaptive-overrides", "version": 1, "class_id": "c1", "date": "2027-02-20",'
        ' "students": {\n'
        ' "st1": {"excluded": ["a2"]},\n'
        ' "st2": {},\n'
        ' "st1": {}\n'
        "}}\n"
    )
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    assert str(err.value).startswith(f"{path}, lines 2 and 4, field students.st1: got 2 entries")
    assert "expected one entry per student" in str(err.value)


def test_the_same_student_twice_once_with_a_space_is_an_error_too(tmp_path):
    path = write(tmp_path, {"st1": {"excluded": ["a2"]}, "st1 ": {}})
    with pytest.raises(OverridesError, match=r"lines 6 and 11, field students.st1: got 2 entries"):
        read_overrides(path, CATALOG, PROFILES)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"date": "2027-02-20", "date": "2027-02-21"', "line 1, field date: got 2 values"),
        ('"date": "2027-02-20", "students": {"st1": {"excluded": ["a2"], "excluded": []}}',
         "line 1, field students.st1.excluded: got 2 values"),
    ],
)  # fmt: skip
def test_any_field_given_twice_is_an_error(tmp_path, text, message):
    path = tmp_path / "o.json"
    path.write_text('{"format": "adaptive-overrides", "version": 1, ' + text + "}")
    with pytest.raises(OverridesError, match=re.escape(message)):
        read_overrides(path, CATALOG, PROFILES)


def test_ids_are_trimmed_as_everywhere_else(tmp_path):
    """An id with a trailing space was an error whose message hid the space."""
    path = write(tmp_path, {" st1 ": {"assigned": ["a3 "], "excluded": [" a2"]}}, class_id="c1 ")
    got = read_overrides(path, CATALOG, PROFILES)
    assert got.students == {"st1": StudentOverride(("a3",), ("a2",), None)}


def test_an_activity_both_assigned_and_excluded_is_an_error(tmp_path):
    """The exclusion won without a word: the teacher's assignment was never served."""
    path = write(tmp_path, {"st1": {"assigned": ["a1", "a3"], "excluded": ["a2", "a3 "]}})
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    assert str(err.value).startswith(
        f"{path}, line 13, column 5, field students.st1.excluded[1]: got 'a3'"
    )
    assert "also in students.st1.assigned" in str(err.value)
    two = write(tmp_path, {"st1": {"assigned": ["zz", "yy"]}}, "two.json")  # unknown, not twice
    with pytest.raises(OverridesError) as err:
        read_overrides(two, CATALOG, PROFILES)
    assert "assigned[1]: got 'yy'; expected an activity id" in str(err.value)
    assert "once" not in str(err.value)


def test_the_same_export_downloaded_twice_is_read_once_with_a_warning(tmp_path):
    """A user trial: a class's export dropped twice (a browser names the second download
    "overrides-c1 (1).json", byte-identical) stopped the whole district's night (exit 2). It is
    read once, with a warning naming both files; so is a copy laid out another way."""
    write(tmp_path, {"st1": {"mode": "remediate"}}, "overrides-c1.json")
    write(tmp_path, {"st1": {"mode": "remediate"}}, "overrides-c1 (1).json")
    doc = json.loads((tmp_path / "overrides-c1.json").read_text())
    (tmp_path / "overrides-c1 (2).json").write_text(json.dumps(doc))  # another layout
    write(tmp_path, {"st3": {"mode": "accelerate"}}, "overrides-c2.json", class_id="c2")
    with pytest.warns(NightWarning) as caught:
        got = read_overrides(tmp_path, CATALOG, PROFILES)
    assert got.students == {
        "st1": StudentOverride(mode="remediate"), "st3": StudentOverride(mode="accelerate")
    }  # fmt: skip
    assert [Path(f).name for f in got.files] == ["overrides-c1 (1).json", "overrides-c2.json"]
    assert [str(w.message) for w in caught] == [
        f"{tmp_path / name}: the same overrides as {tmp_path / 'overrides-c1 (1).json'} (the same "
        "export downloaded twice?): read once; remove one of the two files"
        for name in ("overrides-c1 (2).json", "overrides-c1.json")
    ]


def test_two_different_files_of_one_class_and_one_date_hold_back_that_class(tmp_path):
    """Two different exports of one class dated alike (a teacher who changed their mind and
    exported again from the same report): which one is meant cannot be told. That class is
    served without overrides, with a warning naming both files; the other classes' files apply
    (the night was stopped for every school, exit 2)."""
    write(tmp_path, {"st1": {"mode": "remediate"}}, "overrides-c1.json")
    write(tmp_path, {"st2": {"mode": "accelerate"}}, "overrides-c1 (1).json")
    write(tmp_path, {"st3": {"mode": "accelerate"}}, "overrides-c2.json", class_id="c2")
    with pytest.warns(NightWarning) as caught:
        got = read_overrides(tmp_path, CATALOG, PROFILES)
    assert list(got.students) == ["st3"] and got.held_back == (("", "c1"),)
    assert list(got.classes) == [("", "c2")]
    assert [str(w.message) for w in caught] == [
        f"class 'c1' has 2 different overrides files, {tmp_path / 'overrides-c1 (1).json'} "
        f"(dated {DATED}) and {tmp_path / 'overrides-c1.json'} (dated {DATED}): which one the "
        "teacher meant cannot be told from their dates, so none is applied: the class is served "
        "without overrides tonight; keep the class's last export in the folder and remove the "
        "other"
    ]


def test_of_two_different_files_of_one_class_the_newest_by_date_applies(tmp_path):
    """Exports of two reports of one class: the newer report's choices are the teacher's last
    ones (a student cleared since would otherwise still be served the older choices)."""
    write(tmp_path, {"st1": {"mode": "remediate"}, "st2": {}}, "old.json", date="2027-02-19")
    write(tmp_path, {"st1": {"mode": "accelerate"}}, "new.json", date="2027-02-20")
    with pytest.warns(NightWarning) as caught:
        got = read_overrides(tmp_path, CATALOG, PROFILES)
    assert got.students == {"st1": StudentOverride(mode="accelerate")}
    assert got.files == (str(tmp_path / "new.json"),) and got.held_back == ()
    assert str(caught[0].message) == (
        f"class 'c1' has 2 different overrides files, {tmp_path / 'new.json'} (dated 2027-02-20)"
        f" and {tmp_path / 'old.json'} (dated 2027-02-19): the night applies the newest by its "
        f"date, {tmp_path / 'new.json'}, and not the other; keep the class's last export in the "
        "folder and remove the other"
    )


# --- the file's date against the night ---


@pytest.mark.parametrize("date", ["02/20/2027", "not a date", "2027-02-30", 20270220])
def test_a_date_that_is_not_iso_is_an_error(tmp_path, date):
    path = write(tmp_path, {"st1": {}}, date=date)
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES, night="2027-02-20")
    expected = f"{path}, line 8, column 10, field date: got {date!r}; expected a day in ISO 8601"
    assert expected in str(err.value)


def test_overrides_apply_from_their_date_on(tmp_path, recwarn):
    path = write(tmp_path, {"st1": {"excluded": ["a2"]}}, date="2027-02-20")
    for night in ("2027-02-20", "2027-03-01"):  # that night and the next ones
        assert len(read_overrides(path, CATALOG, PROFILES, night=night)) == 1
    assert not recwarn.list
    with pytest.warns(NightWarning, match=r"o.json: dated 2027-02-20, after the night of 2027-"):
        got = read_overrides(path, CATALOG, PROFILES, night="2027-02-19")  # a re-run of a night
    assert len(got) == 0 and got.files == ()


def test_a_file_a_month_old_is_applied_with_a_warning(tmp_path):
    path = write(tmp_path, {"st1": {"excluded": ["a2"]}}, date="2026-09-01")
    with pytest.warns(NightWarning, match=r"dated 2026-09-01, 172 days before the night"):
        got = read_overrides(path, CATALOG, PROFILES, night="2027-02-20")
    assert got.students["st1"].excluded == ("a2",)


def test_named_students_lists_the_trimmed_ids_of_every_file(tmp_path):
    """What the Spark driver keeps of the profiles: the students of `.JSON` files too."""
    from adaptive.batch.overrides import named_students

    write(tmp_path, {"st1 ": {}}, "a.JSON")
    write(tmp_path, {"st3": {}}, "b.json", class_id="c2")
    assert named_students(tmp_path) == {"st1", "st3"}


def test_named_students_and_classes_read_the_good_files_beside_a_stray_entry(tmp_path):
    """A folder with good.json and notes.csv: the night (in process) applied good.json's
    student, the Spark driver none (the stray entry made it name no student, so it kept no
    profile and skipped every student as one who left)."""
    from adaptive.batch.overrides import named_classes, named_students

    write(tmp_path, {"st1": {}}, "good.json")
    (tmp_path / "notes.csv").write_text("student_id,excluded\n")
    (tmp_path / "old").mkdir()
    assert named_students(tmp_path) == {"st1"}
    assert named_classes(tmp_path) == {"c1"}


def test_batch_command_says_how_many_students_and_files_it_applied(district, tmp_path, capsys):
    """A coordinator could not tell whether the night read their teachers' files at all (a
    `.JSON` file was skipped without a word): the command now says what it applied."""
    profile = json.loads(Path(district.profiles).read_text().splitlines()[0])
    path = write(tmp_path, {profile["student_id"]: {"mode": "remediate"}},
                 class_id=profile["class_id"])  # fmt: skip
    code = run(["batch", "--date", district.last_day, "--out", str(tmp_path / "out"),
                "--data", str(district.responses), "--catalog", str(district.catalog),
                "--profiles", str(district.profiles), "--name", district.model,
                "--tracking-uri", district.uri, "--overrides", str(path)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "applied overrides for 1 student from 1 file" in err


def test_a_night_given_no_overrides_after_a_night_with_some_says_so(district, tmp_path):
    """The trial of stop 39: a night served without `--overrides` after one that applied them
    undid every teacher's choice without a word (the class page then started empty), and a
    re-run of a served night without them did the same."""
    import warnings

    import pandas as pd

    from adaptive.batch import run_daily_job
    from adaptive.batch.job import read_profiles

    profiles = read_profiles(district.profiles)
    klass, sid = next((p.class_id, s) for s, p in sorted(profiles.items()) if p.class_id)
    doc = {"format": "adaptive-overrides", "version": 1, "class_id": klass,
           "date": district.last_day, "students": {sid: {"mode": "remediate"}}}  # fmt: skip
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "overrides.json").write_text(json.dumps(doc))
    out = tmp_path / "out"
    day = pd.Timestamp(district.last_day)
    first, second = (str((day + pd.Timedelta(days=d)).date()) for d in (0, 1))
    run_daily_job(first, out, **district.job_args(overrides=tmp_path / "exports"))
    with pytest.warns(
        NightWarning, match=f"the night {first} applied the teachers' overrides of 1 student "
    ):
        run_daily_job(second, out, **district.job_args())
    rerun = tmp_path / "rerun"
    run_daily_job(first, rerun, **district.job_args(overrides=tmp_path / "exports"))
    with pytest.warns(NightWarning, match=f"this re-run of {first} is given none"):
        run_daily_job(first, rerun, **district.job_args())
    with warnings.catch_warnings():  # given again: nothing to say
        warnings.simplefilter("error", NightWarning)
        run_daily_job(
            second, tmp_path / "fresh", **district.job_args(overrides=tmp_path / "exports")
        )
    # a teacher's trial: the folder given, but one class's file gone from it: the same undoing
    other_class, other = next(
        (p.class_id, s) for s, p in sorted(profiles.items()) if p.class_id not in ("", klass)
    )
    doc2 = {**doc, "class_id": other_class, "students": {other: {"mode": "accelerate"}}}
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "a.json").write_text(json.dumps(doc))
    (tmp_path / "two" / "b.json").write_text(json.dumps(doc2))
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "a.json").write_text(json.dumps(doc))
    partial = tmp_path / "partial"
    run_daily_job(first, partial, **district.job_args(overrides=tmp_path / "two"))
    with pytest.warns(NightWarning, match=f"overrides of 1 student of class '{other_class}', "):
        run_daily_job(second, partial, **district.job_args(overrides=tmp_path / "one"))


def test_a_skill_id_where_an_activity_goes_names_its_activities(tmp_path):
    """The trial of stop 39: `"excluded": ["g4.NS.1"]` (the skill) got no hint."""
    catalog = Catalog(
        [Skill("g4.NS.1", "one", grade=4)],
        [Activity(f"g4.NS.1.{k}", k, ("g4.NS.1",), grade=4) for k in ("practice1", "review")],
    )
    path = write(tmp_path, {"st1": {"excluded": ["g4.NS.1"]}})
    with pytest.raises(OverridesError, match=r"not a skill's \('g4.NS.1' has g4.NS.1.practice1, "):
        read_overrides(path, catalog, PROFILES)


def test_overrides_built_in_python_are_checked_as_a_file_is():
    """The vendor trial of stop 39: `StudentOverride(assigned=("g4.NF.2.practic1",))` (a typo)
    assigned the catalog's last activity without a word; a plain string did the same; a mode
    typo was a bare KeyError; an id with spaces dropped the override."""
    from adaptive.batch.overrides import OverrideSet
    from adaptive.errors import ConfigError

    bad = OverrideSet({"st1": StudentOverride(assigned=("a33",))})
    with pytest.raises(ConfigError, match=r"^overrides: 'a33': expected an activity id .*'a3'"):
        bad.batch_fields(CATALOG, PROFILES, ["st1"])
    with pytest.raises(ConfigError, match="expected a list of activity ids"):
        StudentOverride(assigned="a1")
    with pytest.raises(ConfigError, match="mode = 'accelerated': expected None or one of"):
        StudentOverride(mode="accelerated")
    with pytest.raises(ConfigError, match="either assigned or excluded"):
        StudentOverride(assigned=("a1",), excluded=("a1",))
    spaced = OverrideSet({" st1 ": StudentOverride(excluded=(" a2 ",))})
    fields = spaced.batch_fields(CATALOG, PROFILES, ["st1"])
    assert fields["excluded"].toarray()[0].tolist() == [0.0, 1.0, 0.0]


def test_a_misspelt_or_missing_key_of_an_export_is_named(tmp_path):
    """A teacher's trial: `"student": {...}` (a key misspelt by hand) said `field students: got
    'NoneType'`, and an unknown key was accepted without a word."""
    path = tmp_path / "o.json"
    doc = {"format": "adaptive-overrides", "version": 1, "class_id": "c1", "date": DATED}
    path.write_text(json.dumps({**doc, "student": {"st1": {}}}))
    with pytest.raises(
        OverridesError, match=r"field student: got 'student'; .*did you mean 'students'"
    ):
        read_overrides(path, CATALOG, PROFILES)
    path.write_text(json.dumps(doc))
    with pytest.raises(
        OverridesError, match=r"line 1, column 1, field students: missing from this object; "
    ):
        read_overrides(path, CATALOG, PROFILES)
    path.write_text(json.dumps({**doc, "students": ["st1"]}))
    with pytest.raises(OverridesError, match=r"field students: got a list; expected an object"):
        read_overrides(path, CATALOG, PROFILES)


# --- a user trial: a typo'd student id, a present file called missing, far assignments ---


def line_of(path: Path, key: str) -> int:
    """The line of a file where `key` is written."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if f'"{key}"' in line)


#: a class of zero-padded ids, as a district's roster writes them
PADDED = {
    sid: LearnerProfile(sid, grade=3, class_id=klass)
    for sid, klass in [("stu0000002", "g3A"), ("stu0000027", "g3A"), ("stu0000297", "g3A"),
                       ("stu0000028", "g3B")]
}  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "klass"),
    [("stu000027", "g3A"), ("STU0000027", "g3A"), ("stu000027", None)],
)
def test_a_typod_student_id_is_an_error_naming_the_classmate_it_means(tmp_path, typed, klass):
    """A user trial: "stu000027" typed for "stu0000027" in a class's file only warned "1
    student in no profile (left the district?)" with no value and no near match, and the
    teacher's choices for that student were lost (exit 0). Now one error naming the file, line,
    the id as typed and the classmate it most likely means (a dropped zero: not 'stu0000297',
    which difflib finds as close), as a typo'd activity id is; in a file without `class_id`,
    among the class of its other students."""
    path = write(tmp_path, {"stu0000002": {"mode": "remediate"}, typed: {"excluded": ["a1"]}},
                 class_id=klass)  # fmt: skip
    if klass is None:  # left out, as the format allows
        path.write_text(json.dumps({k: v for k, v in json.loads(path.read_text()).items()
                                    if k != "class_id"}, indent=1))  # fmt: skip
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PADDED)
    assert str(err.value) == (
        f"{path}, line {line_of(path, typed)}, column 3, field students.{typed}: got '{typed}'; "
        "expected "
        "a student id of the profiles: no student has this one (did you mean 'stu0000027' of "
        "class 'g3A'?)"
    )


def test_an_id_of_the_class_form_in_no_profile_still_reads_as_a_student_who_left(tmp_path):
    """Sequential ids are all close ("stu0000099" and "stu0000098" differ by one digit): an id
    of the class's form in no profile is a student who left since the export, skipped with the
    warning (no id in it), not an error that would stop every school's night."""
    path = write(tmp_path, {"stu0000002": {}, "stu0000099": {}}, class_id="g3A")
    with pytest.warns(NightWarning) as caught:
        got = read_overrides(path, CATALOG, PADDED)
    said = str(caught[0].message)
    assert f"line {line_of(path, 'stu0000099')}: 1 student in no profile (left the dist" in said
    assert "stu0" not in said
    assert list(got.students) == ["stu0000002"]


def test_a_student_of_another_class_is_said_to_be_in_that_class_not_moved(tmp_path):
    """A user trial: a student of another class added to a class's file got "1 student now in
    another class than 'g3A'", as if they had moved; they were never in it. The warning now
    says what the profiles say."""
    path = write(tmp_path, {"stu0000002": {}, "stu0000028": {}}, class_id="g3A")
    with pytest.warns(NightWarning) as caught:
        read_overrides(path, CATALOG, PADDED)
    assert str(caught[0].message) == (
        f"{path}, line {line_of(path, 'stu0000028')}: 1 student in class 'g3B' per the profiles, not 'g3A': their overrides "
        "are not applied (the class page leaves them out of its next export)"
    )


def test_a_csv_given_as_overrides_is_named_a_table_and_the_export_button_named(tmp_path):
    """A user trial: a CSV of overrides got "line 1, column 1: not JSON (Expecting value);
    expected the file a class page exports". It now says the file reads as a table and names
    the class page's button, by its label on the page (`pages.overrides_form`)."""
    import inspect

    from adaptive.reports.site import pages

    path = tmp_path / "overrides.csv"
    path.write_text("\ufeffstudent_id,mode,assigned,excluded\nstu0000027,,g3.NF.1.practice1,\n")
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PADDED)
    assert str(err.value) == (
        f"{path}, line 1, column 1: not JSON: it reads as a table (CSV, its first line has 4 "
        "','-separated fields); expected the JSON file that a class page's \"Export overrides "
        '(JSON)" button downloads (a table of overrides is not read)'
    )
    assert ">Export overrides (JSON)</button>" in inspect.getsource(pages.overrides_form)


def test_assignments_far_from_the_students_grade_are_served_with_a_warning(tmp_path):
    """A user trial: "g7.NS.1.practice1" assigned to a grade-3 student (a "g7" typed for
    "g3") was served first with no notice anywhere. It is still served (the teacher's choice),
    and the night warns with a count and the files, no student id; an assignment within the
    mode's band (two grades below, in remediate) or one grade away is not counted."""
    catalog = Catalog(
        [Skill(f"s{g}", f"grade {g}", grade=g) for g in (1, 2, 3, 4, 7)],
        [Activity(f"g{g}", f"G{g}", (f"s{g}",), grade=g) for g in (1, 2, 3, 4, 7)],
    )
    write(tmp_path, {"stu0000002": {"assigned": ["g7", "g4", "g2"]},
                     "stu0000027": {"assigned": ["g1", "g3"], "mode": "remediate"}},
          "a.json", class_id="g3A")  # fmt: skip
    write(tmp_path, {"stu0000028": {"assigned": ["g1"]}}, "b.json", class_id="g3B")
    with pytest.warns(NightWarning) as caught:
        got = read_overrides(tmp_path, catalog, PADDED)
    said = [str(w.message) for w in caught]
    assert said == [
        f"2 teacher assignments are more than one grade from their student's grade, beyond the "
        f"mode's band (2 files: {tmp_path / 'a.json'}, {tmp_path / 'b.json'}): served first as "
        "the teacher asked; check them (a 'g7' typed for 'g3'?)"
    ]
    assert got.students["stu0000002"].assigned == ("g7", "g4", "g2")


@pytest.mark.parametrize("tonight", ["no_class", "later"])
def test_a_class_file_without_class_id_or_dated_later_is_not_called_missing(
    district, tmp_path, tonight
):
    """A user trial: the night after one that applied a class's file warned that the
    --overrides folder "has no file for" the class (a file deleted or moved?) while it did: (a)
    the export without its `class_id` (which the format allows), whose overrides were applied,
    and (b) the export dated after the night, which also got its own date warning. Now (a)
    warns nothing: the file's class is its students' class; (b) gets one warning: the file's
    date, and that it drops the class's choices of the night before."""
    import warnings

    import pandas as pd

    from adaptive.batch import run_daily_job
    from adaptive.batch.job import read_profiles

    profiles = read_profiles(district.profiles)
    klass, sid = next((p.class_id, s) for s, p in sorted(profiles.items()) if p.class_id)
    day = pd.Timestamp(district.last_day)
    first, second, later = (str((day + pd.Timedelta(days=d)).date()) for d in (0, 1, 9))
    doc = {"format": "adaptive-overrides", "version": 1, "class_id": klass, "date": first,
           "students": {sid: {"mode": "remediate"}}}  # fmt: skip
    changes = {"no_class": {"class_id": None}, "later": {"date": later}}[tonight]
    for name, text in [("export", doc), (tonight, {**doc, **changes})]:
        (tmp_path / name).mkdir()
        text = {k: v for k, v in text.items() if v is not None}  # no class_id: left out
        (tmp_path / name / "overrides.json").write_text(json.dumps(text))
    out = tmp_path / "out"
    run_daily_job(first, out, **district.job_args(overrides=tmp_path / "export"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NightWarning)
        summary = run_daily_job(second, out, **district.job_args(overrides=tmp_path / tonight))
    said = [str(w.message) for w in caught if "overrides" in str(w.message)]
    if tonight == "no_class":
        assert summary.override_students == 1
        assert said == []
    else:
        assert summary.override_students == 0
        assert said == [
            f"{tmp_path / 'later' / 'overrides.json'}: dated {later}, after the night of "
            f"{second}: not applied (overrides apply from their date on), so the overrides "
            f"the night {first} applied to 1 student of class {klass!r} are dropped tonight "
            "(served without them); check --date, or the file's date"
        ]


def test_a_rerun_with_a_class_file_without_class_id_resumes_in_silence(district, tmp_path):
    """A pure re-run of a night served with an overrides file without `class_id` (the night's
    record lists the classes its students are in) and one covering two classes: the same files
    compare equal, so the night resumes ("0 partitions written") with no word of replacing it."""
    import warnings

    import pandas as pd

    from adaptive.batch import run_daily_job
    from adaptive.batch.job import read_profiles

    profiles = read_profiles(district.profiles)
    by_class: dict[str, str] = {}
    for sid, p in sorted(profiles.items()):
        if p.class_id:
            by_class.setdefault(p.class_id, sid)
    (klass, sid), (_, other) = list(by_class.items())[:2]
    day = pd.Timestamp(district.last_day)
    first, second = (str((day + pd.Timedelta(days=d)).date()) for d in (0, 1))
    students = {sid: {"mode": "remediate"}, other: {"mode": "accelerate"}}
    for name, doc in [("export", {"class_id": klass, "students": {sid: students[sid]}}),
                      ("no_class", {"students": students})]:  # fmt: skip
        (tmp_path / name).mkdir()
        doc = {"format": "adaptive-overrides", "version": 1, "date": first, **doc}
        (tmp_path / name / "overrides.json").write_text(json.dumps(doc))
    out = tmp_path / "out"
    run_daily_job(first, out, **district.job_args(overrides=tmp_path / "export"))
    run_daily_job(second, out, **district.job_args(overrides=tmp_path / "no_class"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = run_daily_job(second, out, **district.job_args(overrides=tmp_path / "no_class"))
    assert again.partitions_written == 0 and again.replaced_inputs == {}
    assert again.override_students == 2
    assert not [w for w in caught if "replacing" in str(w.message)]


def test_a_night_with_two_different_files_of_a_class_serves_every_school(district, tmp_path):
    """The user trial's night: two different exports of one class, dated alike, stopped every
    school's night (exit 2). The night is served, that class without overrides, and says so
    once: not also that the folder has no file for the class whose choices the night before
    applied."""
    import warnings

    import pandas as pd

    from adaptive.batch import run_daily_job
    from adaptive.batch.job import read_profiles

    profiles = read_profiles(district.profiles)
    klass, sid = next((p.class_id, s) for s, p in sorted(profiles.items()) if p.class_id)
    first, second = (
        str((pd.Timestamp(district.last_day) + pd.Timedelta(days=d)).date()) for d in (0, 1)
    )
    doc = {"format": "adaptive-overrides", "version": 1, "class_id": klass, "date": first,
           "students": {sid: {"mode": "remediate"}}}  # fmt: skip
    for name, modes in [("export", ["remediate"]), ("twice", ["remediate", "accelerate"])]:
        (tmp_path / name).mkdir()
        for i, mode in enumerate(modes):
            text = json.dumps({**doc, "students": {sid: {"mode": mode}}})
            (tmp_path / name / f"overrides-{klass}{f' ({i})' if i else ''}.json").write_text(text)
    out = tmp_path / "out"
    run_daily_job(first, out, **district.job_args(overrides=tmp_path / "export"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NightWarning)
        summary = run_daily_job(second, out, **district.job_args(overrides=tmp_path / "twice"))
    assert summary.override_students == 0 and summary.students_served > 0
    said = [str(w.message) for w in caught if "overrides" in str(w.message)]
    assert len(said) == 1 and said[0].startswith(f"class {klass!r} has 2 different overrides")


def test_an_error_in_a_students_entry_names_the_line_and_column_of_the_value(tmp_path):
    """A user trial: a `"mode": "remediat"` on line 15 was reported at line 7 (where the
    student's object opens), and so was a bad activity id on line 10: in a class's file of
    many students, the teacher looked at the wrong line. The line and column of the value."""
    head = ('{\n "format": "adaptive-overrides",\n "version": 1,\n "class_id": "c1",\n'
            ' "date": "2027-02-20",\n "students": {\n')  # fmt: skip
    entry = (
        '  "st1": {\n'  # line 7
        '   "assigned": [\n'
        '    "a1",\n'
        "    {activity}\n"  # line 10
        "   ],\n"
        '   "excluded": [\n'
        "   ],\n"
        '   "mode":\n'
        "      {mode}\n"  # line 15
        "  }\n }\n}\n"
    )
    path = tmp_path / "o.json"
    for activity, mode, message in [
        ('"a3"', '"remediat"', "line 15, column 7, field students.st1.mode: got 'remediat'"),
        ('"zz"', "null", "line 10, column 5, field students.st1.assigned[1]: got 'zz'"),
        ("[]", "null", "line 10, column 5, field students.st1.assigned[1]: got []"),
    ]:
        path.write_text(head + entry.replace("{activity}", activity).replace("{mode}", mode))
        with pytest.raises(OverridesError) as err:
            read_overrides(path, CATALOG, PROFILES)
        assert str(err.value).startswith(f"{path}, {message}; expected ")


def test_an_unknown_activity_at_apply_time_names_the_file_not_a_row(tmp_path):
    """The nightly job serves a school at a time: "the 48,213th student: overrides: 'a3'" was
    a row of that batch, which no teacher or operator can use. An override read from a file
    now names the file, the field and the unknown ids (never the student id)."""
    from adaptive.batch.overrides import OverrideSet
    from adaptive.errors import ConfigError

    path = write(tmp_path, {"st2": {"assigned": ["a1", "a3"], "excluded": ["a2"]}})
    got = read_overrides(path, CATALOG, PROFILES)  # read against the catalog that has a3
    smaller = Catalog(CATALOG.skills, CATALOG.activities[:2])  # the night's: no a3
    with pytest.raises(OverridesError) as caught:
        got.batch_fields(smaller, PROFILES, ["st0", "st1", "st2"])
    said = str(caught.value)
    assert said.startswith(f"{path}, field assigned of a student's overrides: got 'a3'; ")
    assert "st2" not in said and "student:" not in said and "3rd" not in said
    built = OverrideSet({"st2": StudentOverride(assigned=("a3",))})  # no file: the position
    with pytest.raises(ConfigError, match=r"^the 3rd student: overrides: 'a3': expected"):
        built.batch_fields(smaller, PROFILES, ["st0", "st1", "st2"])


def test_a_file_that_cannot_be_read_is_set_aside_not_stopping_the_night(tmp_path, monkeypatch):
    """One file the night's account may not read (permission denied) stopped the whole night
    with a traceback; only an `--overrides` path that does not exist may stop it."""
    import adaptive.batch.overrides as module

    write(tmp_path, {"st1": {"mode": "remediate"}}, "a.json")
    locked = write(tmp_path, {"st2": {}}, "b.json")
    read = module.read_user_text

    def denied(path, expected):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return read(path, expected)

    monkeypatch.setattr(module, "read_user_text", denied)
    with pytest.warns(NightWarning, match="b.json"):
        got = read_overrides(tmp_path, CATALOG, PROFILES, strict=False)
    assert set(got.students) == {"st1"}
    [aside] = got.set_aside
    assert aside.problems == (f"{locked}: cannot be read: Permission denied",)
    with pytest.raises(OverridesError, match="b.json: cannot be read: Permission denied"):
        read_overrides(tmp_path, CATALOG, PROFILES)


def test_the_nights_warning_hides_each_student_id_as_written_and_nothing_else(tmp_path):
    """The night's warning hid ids by looking for them in the problem's text afterwards: a key
    written with a tab ("\\tST1") showed as `got '\\tST1'` (its repr escapes the tab, so the
    id was not found), and with numeric ids ("12") "line 12" became "line <student id>". The
    anonymous text is now written as the problem is."""
    path = tmp_path / "o.json"
    profiles = {**PROFILES, "12": LearnerProfile("12", grade=4, class_id="c1")}
    path.write_text(
        '{"format": "adaptive-overrides", "version": 1, "class_id": "c1",\n'
        + "\n" * 9
        + '"date": "2026-09-01", "students": {\n'  # line 11
        + '"12": {"mode": "Remediate"},\n'  # line 12
        + '"\\tST1": {}}}\n'  # line 13: a typo of st1, a tab before it
    )
    with pytest.warns(NightWarning):
        got = read_overrides(path, CATALOG, profiles, strict=False)
    [aside] = got.set_aside
    assert aside.problems == (
        f"{path}, line 12, column 16, field students.<student id>.mode: got 'Remediate'; "
        "expected null or one of accelerate, remediate (did you mean 'remediate'?)",
        f"{path}, line 13, column 1, field students.<student id>: got '<student id>'; expected "
        "a student id of the profiles: no student has this one (did you mean '<student id>' "
        "of class 'c1'?)",
    )


def test_a_files_problems_are_listed_in_its_order_by_line_and_column(tmp_path):
    """A typo'd id is found after every entry is read: its problem came after those of the
    entries below it (line 11 listed before line 7). Now by line, then column."""
    path = write(tmp_path, {"ST1": {}, "st2": {"mode": "Remediate", "assigned": ["zz"]}})
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    said = [re.search(r"line (\d+), column (\d+)", p) for p in err.value.problems]
    places = [(int(m[1]), int(m[2])) for m in said]
    assert len(places) == 3 and places == sorted(places)
    assert "field students.ST1: got 'ST1'" in err.value.problems[0]


def test_a_file_that_does_not_read_as_an_export_is_set_aside_for_the_class_it_is_named_for(
    tmp_path,
):
    """A CSV, a UTF-16 file or a JSON syntax error names no class: its "Not applied tonight"
    notice was on no class page, and the teacher never learnt. A file named as the class
    page's download names it (`overrides-<class>.json`, a browser's " (1)" too) is that
    class's."""
    (tmp_path / "overrides-c1.json").write_text("student_id,excluded\nst1,a1\n")
    (tmp_path / "overrides-c2 (1).json").write_bytes('{"class_id": "c2"'.encode("utf-16"))
    (tmp_path / "overrides-c1.csv").write_text("student_id,excluded\n")
    (tmp_path / "overrides-c9.json").write_text("{")  # no such class
    (tmp_path / "notes.json").write_text("{")
    with pytest.warns(NightWarning):
        got = read_overrides(tmp_path, CATALOG, PROFILES, strict=False)
    assert {Path(f.path).name: f.classes for f in got.set_aside} == {
        "notes.json": (), "overrides-c1.csv": (("", "c1"),), "overrides-c1.json": (("", "c1"),),
        "overrides-c2 (1).json": (("", "c2"),), "overrides-c9.json": (),
    }  # fmt: skip


def test_a_set_aside_file_is_its_classs_by_the_whole_name_first() -> None:
    """A review: the name without its extension was tried first, so `overrides-math.7` (a
    stray entry of class `math.7`) went to class `math`; and `overrides-c1 (1).json` went to
    `c1` where a class is named `c1 (1)`."""
    from adaptive.batch.overrides import _class_of_name

    classes = {c: {"s1"} for c in ("math", "math.7", "c1", "c1 (1)", "c2")}
    assert _class_of_name("overrides-math.7", classes) == (("s1", "math.7"),)
    assert _class_of_name("overrides-math.json", classes) == (("s1", "math"),)
    assert _class_of_name("overrides-c1 (1).json", classes) == (("s1", "c1 (1)"),)
    assert _class_of_name("overrides-c2 (1).json", classes) == (("s1", "c2"),)
    assert _class_of_name("notes.json", classes) == ()
    # this version's download names the school too; two schools' class of one id: both
    classes = {"Room 4": {"s1", "s2"}}
    assert _class_of_name("overrides-s2-Room 4.json", classes) == (("s2", "Room 4"),)
    assert _class_of_name("overrides-Room 4.json", classes) == (("s1", "Room 4"), ("s2", "Room 4"))


def test_a_set_aside_files_students_matched_to_no_classmate_are_counted_on_the_page(tmp_path):
    """A review: a set-aside file's student matched to no classmate (or to several alike) was
    left out of the pre-filled form without a word, so the file exported again dropped their
    choices. Counted, and the class page's notice says how many (no id)."""
    from adaptive.batch.overrides import set_aside_choices
    from adaptive.reports.site.pages import _unmatched_words

    path = tmp_path / "overrides-c1.json"
    path.write_text(json.dumps({"format": "adaptive-overrides", "version": 1, "class_id": "c1",
                                "date": "2026-10-01", "students": {
                                    "stu0001": {"mode": "remediate"},
                                    "stu0O02": {"mode": "accelerate"},  # a letter for a digit
                                    "nobody-here": {"assigned": ["A1"]}}}))  # fmt: skip
    unmatched: list[int] = []
    got = set_aside_choices(path, {"stu0001", "stu0002", "stu0003"}, unmatched)
    assert set(got) == {"stu0001", "stu0002"} and unmatched == [1]
    said = _unmatched_words(sum(unmatched))
    assert "1 student of the file has no match among this class's students" in said
    assert "nobody-here" not in said and _unmatched_words(0) == ""


def test_a_classs_several_set_aside_files_fill_its_form_by_the_nights_rule(tmp_path):
    """A review: where a class had several set-aside files, their choices were merged in name
    order, so an older export's choices replaced a newer one's for the same student, without a
    word. The night's rule for a class's several files applies (the newest by its date; none
    where that date is shared or unreadable; the same choices once), and the page says which
    file fills the form (file names, no student id)."""
    from adaptive.batch.overrides import SetAsideFile, set_aside_form
    from adaptive.reports.site.pages import _form_source_words

    def aside(name: str, date: str, mode: str) -> SetAsideFile:
        write(tmp_path, {"stu0001": {"mode": mode, "assigned": ["zz"]}}, name, date=date)
        return SetAsideFile(str(tmp_path / name), ("c1",), ())

    newer = aside("a.json", "2026-10-05", "remediate")  # named first: replaced before
    older = aside("b.json", "2026-09-01", "accelerate")
    form = set_aside_form([newer, older], {"stu0001"})
    assert form.choices["stu0001"].mode == "remediate"
    assert form.chosen is not None and form.chosen.path == newer.path
    assert [f.path for f in form.left_out] == [older.path]
    said = _form_source_words(form)
    assert "the newest by its date is <code>a.json</code> (dated 2026-10-05)" in said
    assert "<code>b.json</code> is older" in said and "stu0001" not in said
    assert "<code>a.json</code> fills the form below" in said
    # the same date: which one the teacher meant cannot be told, so none fills the form
    same = aside("c.json", "2026-10-05", "accelerate")
    form = set_aside_form([newer, same], {"stu0001"})
    assert form.choices == {} and form.chosen is None and len(form.left_out) == 2
    assert "None fills the form" in _form_source_words(form)
    # a date that does not read as one cannot be compared either
    undated = aside("d.json", "20/10/2026", "accelerate")
    assert set_aside_form([newer, undated], {"stu0001"}).chosen is None
    # the same export downloaded twice: read once, nothing to say
    twice = aside("a (1).json", "2026-10-05", "remediate")
    form = set_aside_form([newer, twice], {"stu0001"})
    assert form.choices["stu0001"].mode == "remediate" and form.left_out == ()
    assert _form_source_words(form) == ""


def test_the_set_aside_notice_says_only_what_it_compared_with_what_the_night_applied(tmp_path):
    """A review: beside the files the night applied, the notice said the class's files had
    "different choices" without comparing them (the applied entry held none), and in the
    common case (a new export with a slip set aside, an older file applied) that the set-aside
    file fills the form "as the night would apply it", though the night set it aside. And a
    lone set-aside file whose date does not read no longer filled the form. The set-aside
    file is compared with what the night applied to the class's students."""
    from adaptive.batch.overrides import SetAsideFile, set_aside_form
    from adaptive.reports.site.pages import _form_source_words

    def aside(name: str, date: str, mode: str) -> SetAsideFile:
        write(tmp_path, {"st1": {"mode": mode, "assigned": ["zz"]}}, name, date=date)
        return SetAsideFile(str(tmp_path / name), ("c1",), ())

    roster = {"st1", "st2"}
    newer = aside("new.json", "2026-10-05", "remediate")  # its slip: an unknown activity
    older = {"st1": StudentOverride(mode="accelerate")}
    form = set_aside_form([newer], roster, "2026-10-01", older)
    said = _form_source_words(form)
    assert form.choices["st1"].mode == "remediate" and form.chosen.path == newer.path
    assert (
        "The night applied an older file of the class (dated 2026-10-01), whose choices differ "
        "from <code>new.json</code>'s: <code>new.json</code>, the newer, fills the form below"
    ) in said
    assert "would apply" not in said and "set-aside files" not in said
    same = {"st1": StudentOverride(assigned=("zz",), mode="remediate")}
    said = _form_source_words(set_aside_form([newer], roster, "2026-10-01", same))
    assert "with the same choices as <code>new.json</code>" in said and "differ" not in said
    # exclusions in another order are the same choices (the night records them sorted)
    write(
        tmp_path,
        {"st1": {"mode": "remediate", "excluded": ["a2", "a1"]}},
        "o.json",
        date="2026-10-05",
    )
    ordered = SetAsideFile(str(tmp_path / "o.json"), ("c1",), ())
    sorted_ = {"st1": StudentOverride(excluded=("a1", "a2"), mode="remediate")}
    said = _form_source_words(set_aside_form([ordered], roster, "2026-10-01", sorted_))
    assert "with the same choices as <code>o.json</code>" in said and "differ" not in said
    # a skill set aside is a choice too: the night applied it, the file does not hold it
    aside_too = {
        "st1": StudentOverride(assigned=("zz",), mode="remediate", excluded_skills=("s2",))
    }
    said = _form_source_words(set_aside_form([newer], roster, "2026-10-01", aside_too))
    assert "whose choices differ from <code>new.json</code>'s" in said
    # a lone file whose date does not read fills the form, as before the dates were recorded
    undated = aside("undated.json", "5 October", "remediate")
    form = set_aside_form([undated], roster, "2026-10-01", older)
    assert form.choices["st1"].mode == "remediate" and form.chosen.path == undated.path
    said = _form_source_words(form)
    assert "does not read as a date" in said and "<code>undated.json</code> fills the form" in said
    assert set_aside_form([undated], roster).choices["st1"].mode == "remediate"


def test_an_overrides_file_sets_whole_skills_aside_and_names_an_unknown_one(tmp_path):
    """A file's `excluded_skills`: every activity on the skill excluded, recorded and read back;
    an unknown skill is a problem with the closest id; an activity assigned on it is one too."""
    path = write(tmp_path, {"st1": {"excluded_skills": [" s2"]}, "st2": {}})
    got = read_overrides(path, CATALOG, PROFILES)
    assert got.students["st1"] == StudentOverride(excluded_skills=("s2",))
    assert got.students["st1"].to_dict()["excluded_skills"] == ["s2"]
    assert "excluded_skills" not in got.students["st2"].to_dict()  # as before
    fields = got.batch_fields(CATALOG, PROFILES, ["st1", "st2"])
    assert fields["excluded"].toarray().tolist() == [[0.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    bad = write(tmp_path, {"st1": {"excluded_skills": ["S2"], "assigned": ["a1", "zz", "yy"]},
                           "st2": {"excluded_skills": ["s2"], "assigned": ["a3"]}}, "b.json")  # fmt: skip
    with pytest.raises(OverridesError) as err:
        read_overrides(bad, CATALOG, PROFILES)
    said = str(err.value)
    assert (
        "field students.st1.excluded_skills[0]: got 'S2'; expected a skill id of the catalog "
        "(did you mean 's2'?)" in said
    )
    assert "field students.st1.assigned[2]: got 'yy'" in said  # unknown ids, each named
    assert (
        "field students.st2.assigned[0]: got 'a3'; expected an activity on no skill of "
        "students.st2.excluded_skills (this one is on 's2'" in said
    )


def test_a_files_skills_set_aside_fill_the_class_pages_form_back(tmp_path):
    """The class page's form could not write `excluded_skills`: a file with them, set aside or
    applied, came back with them dropped, so exporting again took the skills back without a
    word. Both fill the form's Set aside field (as written, the page's check marking a slip,
    as for activities), and the student's overrides name the skill."""
    from adaptive.batch.overrides import (
        SetAsideFile,
        applied_overrides,
        record_overrides,
        set_aside_form,
    )
    from adaptive.reports.site.pages import _override_text

    write(tmp_path, {"st1": {"excluded_skills": ["S2", "s1"], "mode": "Remediate"},
                     "st2": {"excluded_skills": "s2; s1"}}, "typo.json")  # fmt: skip
    form = set_aside_form([SetAsideFile(str(tmp_path / "typo.json"), ("c1",), ())], {"st1", "st2"})
    assert form.choices["st1"].excluded_skills == ("S2", "s1")  # the slip marked on the page
    assert form.choices["st2"].excluded_skills == ("s2", "s1")  # ids as typed in one string
    bad = write(tmp_path, {"st1": {"excluded_skills": {"s2": True}}}, "bad.json")
    form = set_aside_form([SetAsideFile(str(bad), ("c1",), ())], {"st1"})
    got = form.choices["st1"]
    assert got.wrong == ("Set aside: got an object, expected a list of skills",)
    assert got.excluded_skills == ()
    # applied: recorded by the night, read back as the form's and the student page's choices
    path = write(tmp_path, {"st1": {"excluded_skills": ["s2"]}}, "fixed.json")
    out = tmp_path / "out"
    record_overrides(out, "2026-10-06", read_overrides(path, CATALOG, PROFILES))
    applied = applied_overrides(out, "2026-10-06")
    assert applied["st1"].excluded_skills == ("s2",)
    said = _override_text(applied["st1"], 4, CATALOG)
    assert "Skills set aside (none of their activities): " in said and "(s2)" in said


def test_a_skill_set_aside_in_python_is_refused_naming_the_students_place_in_the_batch():
    """An `OverrideSet` built in Python with an unknown skill set aside, or an activity
    assigned on one, was refused naming the student's position among the overridden students
    only ("the 2nd student" for the batch's 4th): it now says the position in the
    `student_ids` passed, as an unknown activity's error does (never the id)."""
    from adaptive.batch.overrides import OverrideSet
    from adaptive.errors import ConfigError

    ids = ["st0", "st1", "st2", "st3"]
    unknown = OverrideSet(
        {"st1": StudentOverride(), "st3": StudentOverride(excluded_skills=("s9",))}
    )
    with pytest.raises(ConfigError, match=r"^the 4th student: excluded_skills: "):
        unknown.batch_fields(CATALOG, PROFILES, ids)
    pinned = StudentOverride(assigned=("a2",), excluded_skills=("s2",))
    both = OverrideSet({"st1": StudentOverride(), "st3": pinned})
    with pytest.raises(ConfigError, match=r"^the 4th student: assigned\[0\] 'a2': expected an "):
        both.batch_fields(CATALOG, PROFILES, ids)


def test_a_set_aside_file_older_than_the_one_applied_does_not_fill_the_form(tmp_path):
    """A review: a teacher's export with a slip, set aside, then the fixed export the night
    applied: both left in the folder, the class page filled its form with the old file's
    choices (the set-aside choices won whatever their date), so exporting again undid the
    fix. The night records the date of the files it applies for each class, and the newest
    of those and the set-aside files fills the form, by the night's rule for a class's several
    files (the newest by its date; none where that date is shared)."""
    from adaptive.batch.overrides import (
        applied_dates,
        record_overrides,
        set_aside_files,
        set_aside_form,
    )
    from adaptive.reports.site.pages import _form_source_words

    exports, out, night = tmp_path / "exports", tmp_path / "out", "2026-10-06"
    exports.mkdir()
    write(exports, {"st1": {"mode": "Remediate"}}, "typo.json", date="2026-10-01")
    write(exports, {"st1": {"mode": "remediate"}}, "fixed.json", date="2026-10-05")
    with pytest.warns(NightWarning, match="typo.json .*set aside"):
        got = read_overrides(exports, CATALOG, PROFILES, night=night, strict=False)
    assert got.students["st1"].mode == "remediate" and got.class_dates == {("", "c1"): "2026-10-05"}
    record_overrides(out, night, got)
    applied, aside = applied_dates(out, night), set_aside_files(out, night)
    assert applied == {("", "c1"): "2026-10-05"} and len(aside) == 1
    form = set_aside_form(aside, {"st1", "st2"}, applied[("", "c1")])
    assert form.choices == {} and form.chosen is not None and form.chosen.applied
    said = _form_source_words(form)
    assert "The night applied a newer file of the class (dated 2026-10-05)" in said
    assert "the form below shows what the night applied" in said
    assert "<code>typo.json</code> (dated 2026-10-01), older, is not in it" in said
    assert "st1" not in said
    # a set-aside file newer than the one applied is the teacher's last: it fills the form
    newer = write(exports, {"st1": {"mode": "Accelerate"}}, "later.json", date="2026-10-06")
    later = [dataclasses.replace(aside[0], path=str(newer))]
    form = set_aside_form(later, {"st1", "st2"}, applied[("", "c1")])
    assert form.chosen is not None and form.chosen.path == str(newer)
    assert form.choices["st1"].bad_mode and form.left_out == () and form.applied is not None
    assert "The night applied an older file of the class (dated 2026-10-05)" in (
        _form_source_words(form)
    )
    # the same date: which one the teacher meant cannot be told; none fills the form
    form = set_aside_form(later, {"st1", "st2"}, "2026-10-06")
    assert form.choices == {} and form.chosen is None and len(form.left_out) == 1
    assert "share the date 2026-10-06" in _form_source_words(form)
    assert "the form below shows what the night applied" in _form_source_words(form)
    # a record written before the dates were: the set-aside file fills the form, as before
    assert set_aside_form(aside, {"st1", "st2"}).choices["st1"].bad_mode


# --- a user trial: a hand-written file, a missing key, the dropped-overrides warning ---


def test_a_hand_written_file_without_format_and_version_is_read_as_version_1(tmp_path):
    """A user trial: `{"date": ..., "students": {...}}` written by hand, as nothing said the
    export's `format` and `version` were needed, was refused with "field format: got None". A
    file that gives them must still give the right ones."""
    path = tmp_path / "min.json"
    path.write_text(json.dumps({"date": DATED, "students": {"st1": {"mode": "remediate"}}}))
    got = read_overrides(path, CATALOG, PROFILES)
    assert got.students == {"st1": StudentOverride(mode="remediate")}
    for top, message in [
        ({"format": "adaptive-override"}, "field format: got 'adaptive-override'; expected"),
        ({"version": 2}, "field version: got 2; expected 1"),
        ({"version": True}, "field version: got true; expected 1"),
        ({"format": None}, "field format: got null; expected 'adaptive-overrides'"),
    ]:
        with pytest.raises(OverridesError, match=re.escape(message)):
            read_overrides(write(tmp_path, {}, **top), CATALOG, PROFILES)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{\n "format": "adaptive-overrides",\n "version": 1,\n "date": "%s",\n'
         ' "studnets": {"st1": {}}\n}', "line 1, column 1"),
        ('\n\n  {"date": "%s", "student": {}}', "line 3, column 3"),
    ],
)  # fmt: skip
def test_a_missing_key_is_said_missing_at_the_object_it_belongs_in(tmp_path, text, where):
    """A user trial: a misspelt `"studnets"` was named with its line and column, but the
    `students` it left missing was "got no 'students'" with no line or column (and a missing
    `format`, "got None"). A missing key is said missing, at the object it belongs in."""
    path = tmp_path / "o.json"
    path.write_text(text % DATED)
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    assert (
        f"{path}, {where}, field students: missing from this object; expected an object of "
        "student id -> overrides"
    ) in str(err.value)
    assert "None" not in str(err.value)
    path.write_text(text.replace('"date": "%s",', "") % ())
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    assert f"{path}, {where}, field date: missing from this object; expected a day" in str(
        err.value
    )


def test_a_null_where_a_value_goes_is_said_null_not_none(tmp_path):
    """A value given as JSON's null is said as the file writes it, never Python's None."""
    path = write(tmp_path, {"st1": {"assigned": None}}, date=None)
    with pytest.raises(OverridesError) as err:
        read_overrides(path, CATALOG, PROFILES)
    assert "field date: got null; expected a day" in str(err.value)
    assert "field students.st1.assigned: got null; expected a list" in str(err.value)
    assert "None" not in str(err.value)
    path = write(tmp_path, None)
    with pytest.raises(OverridesError, match=r"field students: got null; expected an object"):
        read_overrides(path, CATALOG, PROFILES)


def test_the_readmes_overrides_file_reads_as_it_says(tmp_path):
    """The README's example of an overrides file (a user trial: the README never listed its
    keys, so a file written by hand failed) reads against the demo catalog, and names every
    key the reader takes."""
    from adaptive.batch.overrides import STUDENT_KEYS, TOP_KEYS
    from adaptive.simulation.district import district_catalog

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = [b for b in re.findall(r"```json\n(.*?)```", readme, re.S) if '"students"' in b]
    assert blocks, "the README shows an overrides file"
    for block in blocks:
        doc = json.loads(block)
        klass = doc.get("class_id", "sch0004-g4A")
        school = doc.get("school_id")
        profiles = {
            s: LearnerProfile(s, grade=4, class_id=klass, school_id=school) for s in doc["students"]
        }
        path = tmp_path / "readme.json"
        path.write_text(block)
        got = read_overrides(path, district_catalog(0), profiles)
        assert set(got.students) == set(doc["students"])
    section = readme[readme.index("**The overrides file.**") :][:6000]
    for key in (*TOP_KEYS, *STUDENT_KEYS):
        assert f"`{key}`" in section, key


def test_the_dropped_overrides_warning_names_every_kind_of_choice(tmp_path):
    """A user trial: a night given no `--overrides` after one that applied a student's skills
    set aside said the night before applied "assigned or excluded activities, modes"."""
    from adaptive.batch.night_checks import overrides_dropped
    from adaptive.batch.overrides import OverrideSet, record_overrides

    out, state = tmp_path / "out", tmp_path / "state"
    (state / f"date={DATED}").mkdir(parents=True)
    (state / f"date={DATED}" / "meta.json").write_text("{}")  # the night before, served
    record_overrides(out, DATED, OverrideSet({"st1": StudentOverride(excluded_skills=("s1",))}))
    with pytest.warns(NightWarning) as said:
        overrides_dropped(out, state, "2026-09-02", None)
    (text,) = [str(w.message) for w in said]
    assert (
        "overrides of 1 student (assigned activities, excluded activities, modes or skills set aside)"
        in text
    )


def test_last_school_years_file_is_not_applied_on_the_new_years_nights(tmp_path, recwarn):
    """A rollover trial: a June file for a held-back student was applied on the new year's
    first night ("assigned by your teacher") with only a "forgotten file?" warning, and one
    assigning an activity retired in the new catalog was set aside every night as "expected an
    activity id of the catalog". A file dated before the night's school year (the growth
    norm's year_start, 09-01 in the shipped norm) is not applied, whatever it holds, and is
    said to be last year's; the night before the year starts still applies it."""
    from adaptive.batch.overrides import WHY_LAST_YEAR
    from adaptive.school_year import school_year_start

    assert school_year_start("2027-09-01") == "2027-09-01"
    assert school_year_start("2027-08-31") == "2026-09-01"
    path = write(tmp_path, {"st1": {"assigned": ["a1", "retired.practice3"]}}, date="2027-06-01")
    with pytest.warns(NightWarning) as said:
        got = read_overrides(path, CATALOG, PROFILES, night="2027-09-01", strict=False)
    texts = [str(w.message) for w in said]
    words = (
        "dated 2027-06-01, in the school year before the night's (it starts 2027-09-01, the "
        "growth norm's year_start): not applied; remove it from the folder"
    )
    assert texts == [f"{path}: {words}"]  # no problem of its contents, no "forgotten file"
    assert len(got) == 0 and got.files == () and got.set_aside == ()
    assert [(f.path, f.classes, f.problems, f.why) for f in got.not_applied] == [
        (str(path), (("", "c1"),), (words,), WHY_LAST_YEAR)
    ]
    assert "is last school year's" in got.to_json().decode()  # recorded for the class page
    recwarn.clear()
    path = write(tmp_path, {"st1": {"assigned": ["a1"]}}, date="2027-06-01")
    assert len(read_overrides(path, CATALOG, PROFILES, night="2027-08-31")) == 1  # its year
    assert len(read_overrides(path, CATALOG, PROFILES)) == 1  # no night: no year to compare
    # `adaptive validate --overrides --date` says it as a problem (exit 2)
    with pytest.raises(OverridesError, match=r"school year before that of 2027-09-01 \(it"):
        read_overrides(path, CATALOG, PROFILES, year_of="2027-09-01")


def test_last_years_file_is_said_on_the_night_in_validate_and_on_its_class_page(
    district, tmp_path, capsys
):
    """The same trial end to end: the night's log, `adaptive validate --overrides --date`, and
    the class page's notice say the file is last school year's; the class page gives no
    "fix them here" advice, and its form is not filled with last year's choices."""
    import pandas as pd

    from adaptive.batch.job import read_profiles
    from adaptive.reports.site.build import build_site
    from adaptive.school_year import school_year_start

    profiles = read_profiles(district.profiles)
    sid, p = next((s, p) for s, p in sorted(profiles.items()) if p.class_id)
    start = school_year_start(district.last_day)
    june = (pd.Timestamp(start) - pd.Timedelta(days=92)).strftime("%Y-%m-%d")
    exports = tmp_path / "exports"
    exports.mkdir()
    path = write(exports, {sid: {"assigned": ["retired.practice3"], "mode": "remediate"}},
                 "june.json", class_id=p.class_id, school_id=p.school_id, date=june)  # fmt: skip
    files = ["--catalog", str(district.catalog), "--profiles", str(district.profiles)]
    out = tmp_path / "out"
    code = run(["batch", "--date", district.last_day, "--out", str(out), "--overrides",
                str(exports), "--data", str(district.responses), *files, "--name",
                district.model, "--tracking-uri", district.uri])  # fmt: skip
    said = " ".join(capsys.readouterr().err.split())
    words = (
        f"dated {june}, in the school year before the night's (it starts {start}, the growth "
        "norm's year_start): not applied; remove it from the folder"
    )
    assert code == 0 and f"{path}: {words}" in said
    assert "expected an activity id" not in said and "forgotten file" not in said
    code = run(["validate", "--overrides", str(exports), *files, "--date", district.last_day])
    said = " ".join(capsys.readouterr().err.split())
    assert code == 2 and f"{path}: dated {june}, in the school year before that of " in said
    site = tmp_path / "site"
    build_site(out, district.last_day, site, catalog=district.catalog,
               profiles=district.profiles, class_id=p.class_id)  # fmt: skip
    page = next(site.rglob(f"{p.class_id}/index.html")).read_text()
    notice = page[page.index("Not applied tonight") :].split("</div>")[0]
    assert "<code>june.json</code>) is last school year&#x27;s" in notice
    assert "nothing to fix here" in notice and words.replace("'", "&#x27;") in notice
    assert "Fix them here" not in page and "retired.practice3" not in page  # no form filled
    student = next(site.rglob(f"{p.class_id}/students.html")).read_text()
    assert "june.json" not in student


def test_a_file_of_a_class_split_since_the_export_says_where_its_students_are(tmp_path):
    """A district's trial: a class split mid-year (g4B into g4B1 and g4B2); its file, exported
    before, was set aside with "expected a class of the profiles (did you mean 'g4B2'?)", the
    wrong advice, and said on no page (its class has none). It says where its students are now,
    and is for their classes too (their pages say it). Not applied, as a student who moved
    class is skipped: the teacher exports the new classes' pages again."""
    split = {
        "st1": LearnerProfile("st1", grade=4, class_id="c1a"),
        "st2": LearnerProfile("st2", grade=4, class_id="c1b"),
        "st3": LearnerProfile("st3", grade=3, class_id="c2"),
    }
    path = write(tmp_path, {"st1": {"mode": "remediate"}, "st2": {"assigned": ["a2"]}})
    with pytest.warns(NightWarning) as said:
        got = read_overrides(path, CATALOG, split, strict=False)
    words = (
        "class 'c1' is no longer in the profiles: its 2 students are now in 'c1a' and 'c1b' (a "
        "class split or renamed?): export the overrides again from the new classes' pages"
    )
    assert (
        len(got) == 0
        and words in str(said[0].message)
        and "did you mean" not in str(said[0].message)
    )
    (aside,) = got.set_aside
    assert aside.classes == (("", "c1"), ("", "c1a"), ("", "c1b"))
    assert aside.reason == (
        "is still of class 'c1', no longer in the profiles: its 2 students are now in 'c1a' "
        "and 'c1b' (a class split or renamed?)"
    )
    # renamed, with a student who left: one class, counted of the file's students
    path = write(tmp_path, {"st1": {}, "gone": {}}, "renamed.json", class_id="Room 4")
    with pytest.raises(OverridesError, match=re.escape(
        "class 'Room 4' is no longer in the profiles: 1 of its 2 students is now in 'c1a' (a class "
        "renamed?): export the overrides again from the new class's page"
    )):  # fmt: skip
        read_overrides(path, CATALOG, split)
    # a class id typed wrong (its students still in their class) is still said so
    path = write(tmp_path, {"st1": {}}, "typo.json", class_id="C1A")
    with pytest.raises(OverridesError, match="did you mean 'c1a'"):
        read_overrides(path, CATALOG, split)


def test_a_split_classs_file_is_said_on_the_new_classes_and_students_pages(
    district, tmp_path, capsys
):
    """The same trial end to end: after the split, no page said "Not applied tonight", and the
    students' pages said "Nothing: the recommendations are the policy's own". Each new class's
    page says the file was not applied and why, its form holds the file's choices for its
    students (to export again), and each named student's page says what the file asked."""
    from adaptive.reports.site.build import build_site

    lines = [json.loads(line) for line in district.profiles.read_text().splitlines()]
    klass = next(p["class_id"] for p in lines if p.get("class_id"))
    of_class = [p for p in lines if p.get("class_id") == klass]
    for i, p in enumerate(of_class):  # the split: every other student to each new class
        p["class_id"] = f"{klass}-{1 + i % 2}"
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text("".join(json.dumps(p) + "\n" for p in lines))
    first, second = of_class[0], of_class[1]
    exports = tmp_path / "exports"
    exports.mkdir()
    write(exports, {first["student_id"]: {"mode": "remediate"},
                    second["student_id"]: {"mode": "accelerate"}}, "old.json",
          class_id=klass, school_id=first["school_id"], date=district.last_day)  # fmt: skip
    out = tmp_path / "out"
    code = run(["batch", "--date", district.last_day, "--out", str(out), "--overrides",
                str(exports), "--data", str(district.responses), "--catalog",
                str(district.catalog), "--profiles", str(profiles), "--name", district.model,
                "--tracking-uri", district.uri])  # fmt: skip
    said = " ".join(capsys.readouterr().err.split())
    assert code == 0 and f"class {klass!r} is no longer in the profiles: its 2 students" in said
    assert "did you mean" not in said
    site = tmp_path / "site"
    build_site(out, district.last_day, site, catalog=district.catalog, profiles=profiles)
    for new, student, mode in ((f"{klass}-1", first, "remediate"), (f"{klass}-2", second,
                                                                     "accelerate")):  # fmt: skip
        page = next(site.rglob(f"{new}/index.html")).read_text()
        notice = " ".join(page[page.index("Not applied tonight") :].split("</div>")[0].split())
        assert f"is still of class &#x27;{klass}&#x27;, no longer in the profiles" in notice
        row = page[page.index(f'<tr data-student="{student["student_id"]}">') :]
        assert f'value="{mode}" selected' in row.split("</tr>")[0]  # to export again
        pupils = " ".join(next(site.rglob(f"{new}/students.html")).read_text().split())
        mine = pupils[pupils.index(f'id="s-{student["student_id"]}"') :].split("<section")[0]
        assert "Not applied tonight:</strong> the teacher's choices for" in mine
        assert f"<li>Mode: {mode}</li>" in mine and "the policy's own.</p>" not in mine
