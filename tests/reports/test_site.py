"""The report site without a browser: pages per unit, privacy, scope, determinism, bad input."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adaptive.cli import run
from adaptive.errors import ConfigWarning, NightWarning
from adaptive.policy.progression import Progression
from adaptive.reports.growth import Growth, Norm, baseline_of
from adaptive.reports.site import ReportInputError, build_site, student_groups
from adaptive.reports.site.html import CSP
from adaptive.reports.teacher import GROUPS


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


SECTION = re.compile(r'<section class="student" id="s-([^"]+)"')


def class_pages(site: Path) -> list[Path]:
    return sorted(site.glob("schools/*/*/index.html"))


def test_every_class_and_student_has_a_page_holding_only_its_own_students(report_district):
    students = report_district.students()
    pages = class_pages(report_district.site)
    assert len(pages) == students["class_id"].nunique()
    for page in pages:
        klass = page.parent.name
        mine = set(students.loc[students["class_id"] == klass, "student_id"])
        shown = set(re.findall(r'data-student="([^"]+)"', page.read_text()))
        sections = set(SECTION.findall((page.parent / "students.html").read_text()))
        assert shown == mine and sections == mine, klass
        assert sorted(p.name for p in page.parent.iterdir()) == ["index.html", "students.html"]
        others = set(students["student_id"]) - mine
        assert not any(sid in page.read_text() for sid in list(others)[:50])


def test_pages_are_self_contained_and_make_no_network_request(report_district):
    for path in report_district.site.rglob("*.html"):
        text = path.read_text()
        assert f'content="{CSP}"' in text
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path
        assert "style=" not in text and "<script>" not in text  # nothing inline the CSP forbids


def test_rerun_is_byte_identical_and_replaces_the_site(report_district, tmp_path):
    d = report_district
    again = tmp_path / "site"
    (again).mkdir()
    args = {"catalog": d.catalog, "profiles": d.profiles, "evaluation": True, "tracking_uri": d.uri}
    build_site(d.batch, d.day, again, **args)
    assert files(again) == files(d.site)
    build_site(d.batch, d.day, again, **args)  # replaces it whole
    assert files(again) == files(d.site)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site")]  # no staging left


def test_class_scope_writes_only_that_class(report_district, tmp_path):
    d = report_district
    klass = sorted(d.students()["class_id"].unique())[1]
    result = build_site(d.batch, d.day, tmp_path / "one", catalog=d.catalog, class_id=klass)
    written = files(tmp_path / "one")
    pages = sorted(k for k in written if k.endswith(".html"))
    mine = set(d.students().query("class_id == @klass")["student_id"])
    folder = f"schools/{d.students()['school_id'].iloc[0]}/{klass}"
    assert pages == [f"{folder}/index.html", f"{folder}/students.html"]
    assert set(SECTION.findall(written[f"{folder}/students.html"].decode())) == mine
    assert result.classes == 1 and result.students == len(mine)
    school = d.students()["school_id"].iloc[0]
    build_site(d.batch, d.day, tmp_path / "school", catalog=d.catalog, school=school)
    assert not (tmp_path / "school" / "index.html").exists()
    assert (tmp_path / "school" / "schools" / school / "index.html").is_file()


def test_roster_names_replace_ids_on_pages_only(report_district, tmp_path, capsys):
    d = report_district
    ids = sorted(d.students()["student_id"])
    roster = tmp_path / "roster.csv"
    text = "student_id,name\n" + "".join(f"{s},Ada Zed{i}\n" for i, s in enumerate(ids))
    roster.write_text(text)
    out = tmp_path / "named"
    build_site(d.batch, d.day, out, catalog=d.catalog, profiles=d.profiles, roster=roster)
    page = class_pages(out)[0].read_text()
    assert "Ada Zed" in page
    # Excel's "CSV UTF-8" starts with a byte-order mark: the same roster, the same pages
    excel = tmp_path / "roster_excel.csv"
    excel.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    build_site(d.batch, d.day, tmp_path / "excel", catalog=d.catalog, profiles=d.profiles,
               roster=excel)  # fmt: skip
    assert class_pages(tmp_path / "excel")[0].read_text() == page
    # a district's own export: other columns, another order, Excel's ';' (a coordinator's
    # trial: "line 2: 3 field(s)" and "header 'student_id;name'"), and two students the
    # night does not serve, counted (never named) in the result and by the command
    own = tmp_path / "roster_own.csv"
    own.write_text("grade;name;student_id\n" + "".join(
        f"4;Ada Zed{i};{s}\n" for i, s in enumerate(ids)) + "4;X;gone1\n5;Y;gone2\n")  # fmt: skip
    result = build_site(d.batch, d.day, tmp_path / "own", catalog=d.catalog,
                        profiles=d.profiles, roster=own)  # fmt: skip
    assert class_pages(tmp_path / "own")[0].read_text() == page
    assert result.roster_unmatched == 2
    code = run(["report", "--date", d.day, "--batch", str(d.batch), "--out",
                str(tmp_path / "cli"), "--catalog", str(d.catalog), "--profiles",
                str(d.profiles), "--roster", str(own)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0 and "2 students of the roster are not in this night's output" in err, err
    assert "gone1" not in err
    # --quiet keeps the result (the page to open) and the warnings; the counts line went on
    # being printed (a helper's review of the report site)
    code = run(["report", "-q", "--date", d.day, "--batch", str(d.batch), "--out",
                str(tmp_path / "quiet"), "--catalog", str(d.catalog), "--profiles",
                str(d.profiles), "--roster", str(own)])  # fmt: skip
    quiet = capsys.readouterr()
    assert code == 0 and quiet.out.startswith("open ") and "report:" not in quiet.out + quiet.err
    assert "2 students of the roster are not in this night's output" in quiet.err
    for path in out.rglob("*"):  # names in pages only: the manifest and assets have none
        if path.suffix != ".html" and path.is_file():
            assert "Ada Zed" not in path.read_text()
    for path in d.batch.rglob("*.parquet"):
        assert b"Ada Zed" not in path.read_bytes()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,name\ns1,A\n", "line 1: header 'id,name' lacks 'student_id'; expected the columns"),
        ("student_id,name\ns1,A\ns1,B\n", "line 3: column 'student_id': student 's1' listed twice"),
        ("student_id,name\ns1,\n", "line 2, column name: empty; expected a non-empty name"),
    ],
)
def test_roster_errors_name_file_line_and_value(report_district, tmp_path, content, message):
    roster = tmp_path / "roster.csv"
    roster.write_text(content)
    d = report_district
    with pytest.raises(ReportInputError) as err:
        build_site(d.batch, d.day, tmp_path / "x", catalog=d.catalog, roster=roster)
    assert str(roster) in str(err.value) and message in str(err.value)


@pytest.mark.parametrize(
    "repeated", ["student_id,name", "\ufeffstudent_id,name", '\ufeff student_id ,"name"']
)
def test_a_roster_line_repeating_the_header_is_refused(tmp_path, repeated):
    """Two rosters joined into one, each with its header (the second "CSV UTF-8" export's
    starting with a byte order mark), gave a student "\ufeffstudent_id" named "name". The
    line is refused as `adaptive profiles` refuses it: file, line, what was expected."""
    from adaptive.reports.site.data import read_roster

    roster = tmp_path / "roster.csv"
    roster.write_bytes(f"\ufeffstudent_id,name\ns1,A\n{repeated}\ns2,B\n".encode())
    with pytest.raises(ReportInputError) as err:
        read_roster(roster)
    assert str(err.value) == (
        f"{roster}, line 3: expected a row of data; the line repeats the header "
        "(concatenated exports?)"
    )


def typo(sid: str) -> str:
    """`sid` with its first zero dropped, as a typist does: 'stu0000006' -> 'stu000006'."""
    at = sid.index("0")
    return sid[:at] + sid[at + 1 :]


def test_roster_warnings_give_its_lines_and_name_a_typo_with_its_likely_match(
    report_district, tmp_path, capsys
):
    """A re-check: `--roster` with a row removed, a student added and a typo'd id
    (`stu000006` for `stu0000006`) warned "2 students of the roster are not in this night's
    output" and "1 of the 1,500 students written have no name in the roster", with no line:
    the rows could not be found. The warnings now give the roster's lines, and a typo'd id is
    named as typed with the roster's lines of the id it likely means, never a served student's
    id (a first version of this named it: a warning may reach a job's log)."""
    d = report_district
    ids = sorted(d.students()["student_id"])
    removed, named_twice, typo_only = ids[5], ids[6], ids[7]
    kept = [s for s in ids if s not in (removed, typo_only)]
    rows = [f"Ms Smith;Kid {i};{s}" for i, s in enumerate(kept)]
    rows += ["Ms Smith;New Kid;new0001", f"Ms Smith;Typo Kid;{typo(named_twice)}"]
    rows += [f"Ms Smith;Other Kid;{typo(typo_only)}"]
    roster = tmp_path / "names.csv"
    roster.write_text("Teacher;name;student_id\n" + "\n".join(rows) + "\n")
    first = len(kept) + 2  # the line of the first row after the served students'
    code = run(["report", "--date", d.day, "--batch", str(d.batch), "--out", str(tmp_path / "s"),
                "--catalog", str(d.catalog), "--roster", str(roster)])  # fmt: skip
    err = " ".join(capsys.readouterr().err.split())
    assert code == 0
    assert (
        f"{roster}, lines {first}, {first + 1} and {first + 2}: 3 students of the roster are not "
        "in this night's output" in err
    ), err
    assert (
        f"{roster}, line {first + 1}, column student_id: got '{typo(named_twice)}'; no student of "
        f"this night has this id, and it reads like the id on line "
        f"{kept.index(named_twice) + 2} (mistyped?)" in err
    ), err
    assert (
        f"{roster}, line {first + 2}, column student_id: got '{typo(typo_only)}'; no student of "
        "this night has this id, and it reads like the id of a student served with no name in "
        "the roster" in err
    ), err
    for served in (named_twice, typo_only, removed):  # typed ids only, never a served one
        assert f"'{served}'" not in err
    n = len(ids)
    assert (
        f"2 of the {n:,} students written have no name in the roster {roster} (1 likely typo "
        "in the roster: below)" in err
    ), err


def test_a_roster_whose_ids_lost_their_leading_zeros_says_so(report_district, tmp_path, capsys):
    """A district evaluator's trial: Excel dropped every id's leading zeros ('7' for '0000007')
    and `report --roster` said only "2,400 of the 2,400 students written have no name in the
    roster ... check that its student_id column holds the ids". Now one line counts the ids
    that are a written student's once the zeros are restored, with the spreadsheet hint (no
    id); a roster of other ids keeps the old advice."""
    d = report_district
    ids = sorted(d.students()["student_id"])
    n = len(ids)
    roster = tmp_path / "names.csv"
    for written, said in (
        (
            [re.sub(r"(?<![0-9])0+(?=[0-9])", "", s) for s in ids],
            f"{n:,} of the roster's ids that match no student written are a written student's "
            "id once leading zeros or case are restored (a spreadsheet that dropped them",
        ),
        ([f"other{i}" for i in range(n)], "check that its student_id column holds the ids"),
    ):
        roster.write_text("student_id,name\n" + "".join(f"{s},Kid {s}\n" for s in written))
        code = run(["report", "--date", d.day, "--batch", str(d.batch), "--out",
                    str(tmp_path / "s"), "--catalog", str(d.catalog), "--roster", str(roster)])  # fmt: skip
        err = " ".join(capsys.readouterr().err.split())
        assert code == 0 and not any(f"'{s}'" in err for s in ids)  # no served id
        assert (
            f"{n:,} of the {n:,} students written have no name in the roster {roster}: their "
            f"pages show pseudonymous ids; {said}" in err
        ), err


def test_a_roster_counts_ids_written_otherwise_as_its_words_say_zeros_or_case_only() -> None:
    """A review: the count "N of the roster's ids ... once leading zeros or case are restored"
    also took look-alike letters ('stul' for 'stu1'), which those words do not say and no
    spreadsheet writes. The nightly job's warning says the same words: both count so."""
    from adaptive.batch.night_checks import written_otherwise
    from adaptive.reports.site.data import Roster, RosterMatch

    unnamed = [f"stu000000{i}" for i in range(1, 6)]
    typed = ["stul", "STU2", "stu3", "stu04", "stu0000009"]  # 'l' for '1', case, zeros, another
    roster = Roster(
        Path("names.csv"), {s: s for s in typed}, {s: i + 2 for i, s in enumerate(typed)}
    )
    warned = " ".join(RosterMatch.of(roster, [], unnamed, whole=False).warnings())
    assert "3 of the roster's ids that match no student written are a written student's id " \
        "once leading zeros or case are restored" in warned, warned  # fmt: skip
    assert written_otherwise(["63", "O63", "000063"], {"0063": 1}) == 2


def test_a_roster_header_is_quoted_as_written_with_a_case_hint_only_where_true(
    report_district, tmp_path
):
    """A re-check: a `;` roster with the header `Teacher;Name;ID` was said to have the header
    'Teacher,Name,ID' (re-joined with commas), with no word that `Name` is `name` but for
    case. `ID` is not `student_id` but for case: nothing is said of it."""
    d = report_district
    roster = tmp_path / "names.csv"
    roster.write_text("Teacher;Name;ID\nMs Smith;Anna;s1\n")
    with pytest.raises(ReportInputError) as err:
        build_site(d.batch, d.day, tmp_path / "x", catalog=d.catalog, roster=roster)
    assert str(err.value) == (
        f"{roster}, line 1: header 'Teacher;Name;ID' lacks 'student_id' and 'name' (its 'Name' "
        "differs from 'name' only in case: column names are case-sensitive); expected the "
        "columns student_id and name (others are ignored)"
    )
    roster.write_text("Student ID,Name\ns1,Ada\n")  # not only case: said as it is
    with pytest.raises(ReportInputError) as err:
        build_site(d.batch, d.day, tmp_path / "x", catalog=d.catalog, roster=roster)
    assert (
        "header 'Student ID,Name' lacks 'student_id' and 'name' (its 'Student ID' is 'student_id' "
        "written with other case or spaces: rename it; its 'Name' differs from 'name' only in "
        "case: column names are case-sensitive)" in str(err.value)
    )
    roster.write_text("student_id;name\ns1;Ada;x\n")
    with pytest.raises(ReportInputError, match="line 2: 3 fields; expected 2 \\(the header's "
                       "'student_id;name'\\)"):  # fmt: skip
        build_site(d.batch, d.day, tmp_path / "x", catalog=d.catalog, roster=roster)


def test_missing_batch_output_is_one_error_and_exit_2(report_district, tmp_path, capsys):
    d = report_district
    code = run(["report", "--date", "2001-01-01", "--batch", str(d.batch), "--out",
                str(tmp_path / "x"), "--catalog", str(d.catalog)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "no complete batch output for 2001-01-01" in err
    assert "Traceback" not in err and not (tmp_path / "x").exists()
    # the folder's complete nights are named (a date typed a day off is plain to see)
    said = " ".join(err.split())
    assert f"its complete nights: {d.day}; 2001-01-01 is before the school year" in said, said
    day_before = str((pd.Timestamp(d.day) - pd.Timedelta(days=1)).date())
    assert run(["report", "--date", day_before, "--batch", str(d.batch), "--out",
                str(tmp_path / "x"), "--catalog", str(d.catalog)]) == 2  # fmt: skip
    said = " ".join(capsys.readouterr().err.split())
    assert f"its complete nights: {d.day}: give one, or run `adaptive batch" in said, said
    empty = tmp_path / "empty"  # another folder: it holds no night
    empty.mkdir()
    code = run(["report", "--date", d.day, "--batch", str(empty), "--out", str(tmp_path / "y"),
                "--catalog", str(d.catalog)])  # fmt: skip
    assert code == 2 and "the folder holds no complete night" in capsys.readouterr().err


def test_refuses_to_replace_a_folder_that_is_not_a_site(report_district, tmp_path):
    d = report_district
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("keep me")
    with pytest.raises(ReportInputError, match="not a report site"):
        build_site(d.batch, d.day, tmp_path / "docs", catalog=d.catalog)
    assert (tmp_path / "docs" / "notes.txt").read_text() == "keep me"


#: Progression codes of the skills in `student_groups`' tests: one per per-skill group code
#: (accelerate: mastered; on_track: in progress; remediate: in progress; stuck: stuck)
STATES = np.array(
    [Progression.MASTERED, Progression.IN_PROGRESS, Progression.IN_PROGRESS, Progression.STUCK]
)


def states_of(group: np.ndarray) -> np.ndarray:
    """The progression codes that go with the per-skill codes `group` (-1: mastered, with
    nothing ready to build on)."""
    return np.where(group < 0, Progression.MASTERED, STATES[group]).astype(np.int8)


def test_student_groups_follow_the_documented_rule():
    """Without growth (not judged yet, or no grade), the skills alone decide."""
    a, o, r, s = range(4)
    group = np.array([[a, a, o], [a, o, o], [r, a, a], [s, a, a], [-1, -1, -1]], dtype=np.int8)
    n_stuck = np.array([0, 0, 0, 1, 0])
    got = [GROUPS[g] for g in student_groups(group, progression=states_of(group), n_stuck=n_stuck)]
    assert got == ["accelerate", "on_track", "remediate", "stuck", "on_track"]


def test_student_groups_takes_its_arrays_by_name():
    """`student_groups` was `(group, n_stuck, no_answer=None, growth=None)` and became
    `(group, progression, n_stuck, growth=None)`: an old call `(group, n_stuck, no_answer)`
    passed n_stuck as the progression codes and gave wrong groups without a word. Its arrays
    after `group` are named, so such a call is an error."""
    group = np.array([[0, 1]], dtype=np.int8)
    with pytest.raises(TypeError):
        student_groups(group, np.array([0]), np.array([False]))
    named = student_groups(group, progression=states_of(group), n_stuck=np.array([0]))
    assert [GROUPS[g] for g in named] == ["on_track"]


def test_current_work_is_one_set_of_states_for_the_batch_and_the_pages():
    """The skills of current work (in progress, due for review) that the batch's per-skill
    `remediate` code is given on and that the pages count were two tuples that could drift
    apart: one constant, `teacher.CURRENT_WORK`."""
    from adaptive.reports import teacher
    from adaptive.reports.site import pages

    assert pages.CURRENT_WORK is teacher.CURRENT_WORK
    assert set(teacher.CURRENT_WORK) == {Progression.IN_PROGRESS, Progression.NEEDS_REVIEW}


def test_one_gap_in_much_current_work_is_not_remediation_before_growth_is_judged():
    """A trial (instructional coach and teachers): on the demo night, in a district's first
    weeks (growth not judged yet), 2,901 of 3,000 students were "Needs remediation", 24 of 25
    in one class: any skill of current work on a weak prerequisite put a student there, and
    students had a median of 4 among 13 skills of current work. Now, until growth is judged,
    remediation is for a student whose skills of current work on a weak prerequisite
    outnumber those without one (as acceleration is for more skills ready to build on than
    in progress)."""
    a, o, r, s = range(4)
    review = Progression.NEEDS_REVIEW
    group = np.array(
        [
            [r, o, o, o, o, -1],  # 1 of 5 skills of current work on a weak prerequisite
            [r, r, r, o, o, -1],  # 3 of 5
            [r, r, o, o, -1, -1],  # 2 of 4: a tie is not most
            [r, r, -1, -1, a, a],  # 2 of 4, the others due for review (no gap): not most
            [r, -1, -1, -1, -1, -1],  # the one skill of current work
        ],
        dtype=np.int8,
    )
    states = states_of(group)
    states[3, 2:4] = review
    got = [GROUPS[g] for g in student_groups(group, progression=states, n_stuck=np.zeros(5, int))]
    assert got == ["on_track", "remediate", "on_track", "on_track", "remediate"]


def judged_growth(years_per_year: list[float], known: list[bool] | None = None) -> Growth:
    """Growth on 2027-02-12 (judged: months after the year's start) at the given pace, in
    school years per year (1 = the norm's, 1.5 = on track)."""
    baseline = baseline_of(Norm(), "2027-02-12", None)
    pace = np.array(years_per_year)
    months = pace * baseline.elapsed
    known = np.ones(len(pace), bool) if known is None else np.array(known)
    return Growth(
        months=np.where(known, months, np.nan),
        se=np.full(len(pace), 0.5),
        annualized=np.where(known, pace * 12, np.nan),
        on_track=known & (months >= baseline.target),
        p_on_track=np.full(len(pace), 0.5),
        known=known,
        placed=np.zeros(len(pace), bool),
        graded=np.ones(len(pace), bool),
        baseline=baseline,
        left_out=np.zeros(len(pace), np.int8),
        start_date=np.full(len(pace), baseline.date, dtype=object),
        elapsed=np.full(len(pace), baseline.elapsed),
        target=np.full(len(pace), baseline.target),
        judged=np.ones(len(pace), bool),
        late_start=np.zeros(len(pace), np.int8),
    )


def test_a_gap_is_remediation_only_for_a_student_behind_the_norms_pace():
    """A trial: on a February night 1,470 of 1,500 students were "Needs remediation" and none
    "Ready to accelerate", and a student page read "Needs remediation" beside "on track for
    1.5 years (probability 95%)": months into the year nearly every student works on some
    skill whose prerequisite is weak (learning both), so one such skill put them all there.
    Now a gap is remediation for a student whose growth is under the norm's pace; one growing
    on track without a gap is ready to accelerate; the others are progressing."""
    a, o, r, s = range(4)
    gap, none = [r, o, o], [o, o, -1]  # a skill in progress on a weak prerequisite, or none
    group = np.array([gap, gap, gap, none, none, gap, [a, a, o]], dtype=np.int8)
    n_stuck = np.array([0, 0, 0, 0, 0, 1, 0])
    growth = judged_growth([0.6, 1.2, 2.0, 2.0, 0.6, 0.6, 0.8], [True] * 6 + [False])
    got = [
        GROUPS[g]
        for g in student_groups(group, progression=states_of(group), n_stuck=n_stuck, growth=growth)
    ]
    assert got == [
        "remediate",  # a gap, and under a school year per year
        "on_track",  # a gap, but keeping (more than) the norm's pace
        "on_track",  # a gap, though on track: not ahead with a weak prerequisite
        "accelerate",  # on track, no gap
        "on_track",  # behind, but no gap to remediate
        "stuck",
        "accelerate",  # growth not judged: the skills decide (more to build on than in progress)
    ]


def test_district_page_names_the_champion_with_its_evaluation(report_district, tmp_path):
    page = (report_district.site / "index.html").read_text()
    assert f"<strong>{report_district.model}</strong> version 1" in page
    assert 'src="data:image/png;base64,' in page and "AUC 0." in page and "ECE 0." in page
    # the diagram's table fallback: its bins, predicted against observed, with counts
    assert "Reliability diagram as a table" in page and "Observed fraction correct" in page
    d = report_district
    # a store that does not hold the champion (a data scientist's trial: `report` without
    # --tracking-uri made an empty store in the data folder and said nothing): named on the
    # page and in a warning, and not created
    missing = tmp_path / "empty.db"
    with pytest.warns(ConfigWarning, match=f"no offline evaluation of the champion: .*{missing}"):
        build_site(d.batch, d.day, tmp_path / "s", catalog=d.catalog, evaluation=True,
                   tracking_uri=f"sqlite:///{missing}")  # fmt: skip
    page = (tmp_path / "s" / "index.html").read_text()
    assert "Offline evaluation not available from the tracking store" in page
    assert f"no tracking store at sqlite:///{missing}" in page and not missing.exists()


def test_batch_with_report_writes_the_site_and_prints_its_page(report_district, tmp_path, capsys):
    d = report_district
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    night = (pd.Timestamp(d.day) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    code = run(["batch", "--date", night, "--out", str(batch), "--data",
                str(d.files / "responses.parquet"), "--catalog", str(d.catalog), "--profiles",
                str(d.profiles), "--name", d.model, "--tracking-uri", d.uri, "--policy",
                str(d.policy), "--report", str(tmp_path / "site"), "--quiet"])  # fmt: skip
    out = capsys.readouterr().out
    index = (tmp_path / "site" / "index.html").resolve()
    assert code == 0 and index.is_file() and f"open {index}" in out
    assert not any(sid in out for sid in d.students()["student_id"])  # counts only, no ids
    assert f"Report for {night}" in index.read_text()


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ({"school": "nowhere"}, "--school 'nowhere': not in the batch output of"),
        ({"class_id": "no-class"}, "--class 'no-class': no such class in the batch output of"),
    ],
)
def test_unknown_unit_is_one_clear_error(report_district, tmp_path, scope, message):
    d = report_district
    with pytest.raises(ReportInputError, match=message):
        build_site(d.batch, d.day, tmp_path / "x", catalog=d.catalog, **scope)
    assert not (tmp_path / "x").exists()


def test_a_mistyped_class_gets_the_closest_class_of_the_night(report_district, tmp_path):
    """An ops trial: `report --class sch0004-g4Z` said only "no such class"."""
    d = report_district
    real = str(d.students()["class_id"].dropna().iloc[0])
    with pytest.raises(ReportInputError, match=f"did you mean {real!r}"):
        build_site(d.batch, d.day, tmp_path / "x", catalog=d.catalog, class_id=real.upper())


def test_a_mistyped_school_gets_the_school_it_means(report_district, tmp_path):
    """A district evaluator's trial: `report --school 104` listed the schools (0104 among
    them) with no "did you mean '0104'?", although a mistyped --class gets one."""
    d = report_district
    real = str(d.students()["school_id"].dropna().iloc[0])
    assert re.search(r"(?<![0-9])0+[0-9]", real), real  # a number with leading zeros
    for typed in (re.sub(r"(?<![0-9])0+(?=[0-9])", "", real), real.upper()):
        with pytest.raises(ReportInputError, match=f"; did you mean {real!r}\\?$"):
            build_site(d.batch, d.day, tmp_path / "x", catalog=d.catalog, school=typed)
    with pytest.raises(ReportInputError, match=r"\)$"):  # nothing close: no guess
        build_site(d.batch, d.day, tmp_path / "x", catalog=d.catalog, school="nowhere")


def test_small_groups_say_which_group_of_the_skill_each_is():
    """A coordinator read a bare "1" in the Group column; it is the group's place among the
    groups one skill's students were split into. A teacher then read "the only one" on every
    row: with no skill split, the column is left out."""
    from adaptive.reports.site.pages import ClassData, next_skill_list
    from adaptive.simulation.district import district_catalog

    catalog = district_catalog(0)
    a, b = catalog.skills[0].id, catalog.skills[1].id
    groups = pd.DataFrame({
        "class_id": ["c1"] * 3, "skill_id": [a, a, b], "group": [1, 2, 1],
        "n_students": [2, 2, 2], "student_ids": ["s1;s2", "s3;s4", "s5;s6"],
    })  # fmt: skip
    ids = [f"s{i}" for i in range(1, 7)]
    c = ClassData.__new__(ClassData)
    c.student_ids, c.labels, c.next_groups = ids, ids, groups
    html = next_skill_list(c, catalog)
    assert '<th scope="col">Group</th>' in html and "are split into groups" in html
    assert html.count("group 1 of 2") == 1 and html.count("group 2 of 2") == 1
    assert "one group" in html and "the only one" not in html
    c.next_groups = groups.iloc[[0, 2]].assign(n_students=[2, 2])  # no skill split
    html = next_skill_list(c, catalog)
    assert "Group" not in html and "the only one" not in html and "split" not in html
    assert html.count("<tr>") == 3  # the header and two groups


def edited_catalog(source: Path, out: Path) -> Path:
    """The catalog with the same ids, one activity's title and one skill's prerequisites
    changed (another district's simulated catalog looks alike: the same ids, other contents)."""
    doc = json.loads(source.read_text())
    doc["activities"][0]["title"] = "Another title"
    skill = next(s for s in doc["skills"] if s.get("prerequisites"))
    skill["prerequisites"] = []
    out.write_text(json.dumps(doc))
    return out


def test_another_catalog_with_the_same_ids_is_refused_naming_both_digests(
    report_district, tmp_path, capsys
):
    """A trial: `report --catalog` with another district's catalog (the same skill, activity
    and topic ids, other titles and prerequisites) exited 0 and showed other activity titles
    on the class pages, though the night's _SUCCESS.json records the catalog's sha256."""
    d = report_district
    other = edited_catalog(d.catalog, tmp_path / "other.json")
    code = run(["report", "--date", d.day, "--batch", str(d.batch), "--out",
                str(tmp_path / "site"), "--catalog", str(other), "--profiles", str(d.profiles)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and not (tmp_path / "site").exists()
    said = " ".join(err.split())
    assert f"the night {d.day} in {d.batch} was served with another catalog than --catalog " in said
    assert f"{other}: its _SUCCESS.json records catalog_sha256" in said
    assert "in the same order) with other contents (prerequisites" in said
    assert "Pass the catalog that night served" in said


def reseal_marker(batch: Path, day: str, drop: tuple[str, ...]) -> None:
    """The night's _SUCCESS.json as a job written before it recorded `drop` wrote it."""
    from adaptive.files import sealed_json

    marker = batch / "recommendations" / f"date={day}" / "_SUCCESS.json"
    doc = {k: v for k, v in json.loads(marker.read_text()).items() if k not in drop}
    marker.write_bytes(sealed_json(doc))


def test_a_night_that_recorded_no_catalog_digest_is_checked_by_its_skills(
    report_district, tmp_path
):
    """An old night (no catalog_sha256): a catalog of the same skills is read (nothing else to
    compare it with); one of other skill ids is refused naming them; with no skill ids
    recorded either, a catalog of another width is refused by the lists' width."""
    d = report_district
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    reseal_marker(batch, d.day, ("catalog_sha256",))
    other = edited_catalog(d.catalog, tmp_path / "other.json")
    build_site(batch, d.day, tmp_path / "site", catalog=other, profiles=d.profiles)
    last = json.loads(d.catalog.read_text())["skills"][-1]["id"]
    renamed = tmp_path / "renamed.json"  # the last skill's id, wherever it is named
    renamed.write_text(d.catalog.read_text().replace(f'"{last}"', '"renamed.skill"'))
    said = f"another catalog than --catalog {renamed} (--catalog has 1 skill it did not serve "
    with pytest.raises(ReportInputError, match=re.escape(said + "(renamed.skill)")):
        build_site(batch, d.day, tmp_path / "x", catalog=renamed)
    reseal_marker(batch, d.day, ("catalog_sha256", "skills"))
    doc = json.loads(d.catalog.read_text())
    doc["skills"].append({"id": "new.skill", "name": "New skill"})
    wider = tmp_path / "wider.json"
    wider.write_text(json.dumps(doc))
    with pytest.raises(ReportInputError, match="skills per student; expected"):
        build_site(batch, d.day, tmp_path / "y", catalog=wider)


def test_nights_that_recorded_neither_digest_nor_skill_ids_build_from_the_reports_own_night(
    report_district, judged_site, tmp_path
):
    """Every night of an output written before `_SUCCESS.json` recorded catalog_sha256 and
    skills: the report's own night is read as the catalog's (checked by its lists' width), the
    earlier one is left out with a warning, as a night of another catalog is; the growth from
    it read no skill at all and failed with a numpy shape mismatch."""
    d = report_district
    batch = tmp_path / "batch"
    shutil.copytree(judged_site.parent / "batch", batch)
    first, day = sorted(p.name.removeprefix("date=") for p in batch.glob("recommendations/*"))
    assert day == d.day
    for night in (first, day):
        reseal_marker(batch, night, ("catalog_sha256", "skills"))
    with pytest.warns(NightWarning, match=rf"1 earlier night \({first}\) served another"):
        build_site(batch, d.day, tmp_path / "site", catalog=d.catalog, profiles=d.profiles)
    pages = list((tmp_path / "site").glob("schools/*/*/students.html"))
    assert pages and "Mastery over time" in pages[0].read_text()


def other_roster(profiles: Path, out: Path, moved: int | None = None, new: int = 0) -> Path:
    """The profiles with `moved` students (all when None) put in the class and school of the
    student after them (another district's roster: the same ids, other classes), and `new`
    students the night did not serve appended."""
    rows = [json.loads(line) for line in profiles.read_text().splitlines() if line.strip()]
    n = len(rows) if moved is None else moved
    places = [(r["class_id"], r["school_id"], r["grade"]) for r in rows]
    for i in range(n):
        r = rows[i]
        r["class_id"], r["school_id"], r["grade"] = next(
            p for p in places[i + 1 :] + places if p[0] != r["class_id"]
        )
    extra = [{**rows[0], "student_id": f"new{i:04d}"} for i in range(new)]
    out.write_text("".join(json.dumps(r) + "\n" for r in rows + extra))
    return out


def test_profiles_of_another_roster_are_refused_naming_the_counts(
    report_district, tmp_path, capsys
):
    """A trial: `report --profiles` with another roster exited 0 and showed other children's
    grades, interests and goals (and a teacher's-mode sentence that contradicted itself);
    `ope` and `experiment analyze` refuse such profiles."""
    d = report_district
    other = other_roster(d.profiles, tmp_path / "other.jsonl")
    code = run(["report", "--date", d.day, "--batch", str(d.batch), "--out",
                str(tmp_path / "site"), "--catalog", str(d.catalog), "--profiles", str(other)])  # fmt: skip
    said = " ".join(capsys.readouterr().err.split())
    served = len(d.students())
    assert code == 2 and not (tmp_path / "site").exists()
    assert f"--profiles {other}: not the profiles" in said
    assert f"{served:,} of {served:,} students of the night {d.day} are in another class" in said
    assert not any(sid in said for sid in d.students()["student_id"])  # counts, classes: no id


def test_a_roster_updated_since_the_night_is_read_with_a_warning(report_district, tmp_path):
    """New students (not served that night) are not looked at; a few students in another class
    (moved since) are a warning with their count, as in `ope`."""
    from adaptive.evaluation.ope.served import ServedInputWarning

    d = report_district
    updated = other_roster(d.profiles, tmp_path / "updated.jsonl", moved=2, new=5)
    with pytest.warns(
        ServedInputWarning, match=f"2 of {len(d.students()):,} students of the night"
    ):
        build_site(d.batch, d.day, tmp_path / "site", catalog=d.catalog, profiles=updated,
                   allow_other_profiles=True)  # fmt: skip
    assert (tmp_path / "site" / "index.html").is_file()


def test_profiles_edited_since_the_night_are_refused_unless_allowed(
    report_district, tmp_path, capsys
):
    """A rollover trial: `report --profiles` with an older roster than the night's (grades
    corrected since, every student in the same class) exited 0, and growth was recomputed on
    the wrong grades. The file's sha256 is compared with the one the night recorded, as `ope`
    compares it: refused, naming the night and both checksums; `--allow-other-profiles` warns."""
    from adaptive.files import file_sha256

    d = report_district
    rows = [json.loads(line) for line in d.profiles.read_text().splitlines() if line.strip()]
    rows[0]["grade"] = int(rows[0]["grade"]) + 1  # a grade typed otherwise: no one moved
    older = tmp_path / "older.jsonl"
    older.write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ["report", "--date", d.day, "--batch", str(d.batch), "--out", str(tmp_path / "site"),
            "--catalog", str(d.catalog), "--profiles", str(older)]  # fmt: skip
    code = run(args)
    said = " ".join(capsys.readouterr().err.split())
    assert code == 2 and not (tmp_path / "site").exists()
    assert (
        f"--profiles {older}: not the profiles file the night {d.day} was served from (its "
        f"sha256 is {file_sha256(older)[:16]}...; recorded in _SUCCESS.json 'inputs.profiles': "
        f"{file_sha256(d.profiles)[:16]}...)" in said
    )
    assert "--allow-other-profiles proceeds anyway" in said
    assert run([*args, "--allow-other-profiles"]) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert f"warning: --profiles {older}: not the profiles file the night {d.day}" in said
    assert (tmp_path / "site" / "index.html").is_file()


SUMMARY = re.compile(r'<p class="summary">(.*?)</p>')


def test_the_student_page_says_why_and_agrees_with_growth(judged_site):
    """A trial: "stu0000040 is in the group Needs remediation. Growth: 9.9 ± 2.1 months; on
    track for 1.5 years (probability 95%)", and a class of 25 all in remediation. Each page
    now says why the student is in their group, never remediation beside on track, and the
    district's students are told apart (no group holds nearly everyone)."""
    groups = {}
    for page in judged_site.glob("schools/*/*/students.html"):
        for line in SUMMARY.findall(page.read_text()):
            text = re.sub("<[^>]+>", "", line)
            found = re.search(r"is in the group ([A-Z][a-z ]+)(: [^.]+)?\.", text)
            if found is None:
                continue  # no answers yet
            assert found.group(2), text  # the reason
            group = found.group(1)
            groups[group] = groups.get(group, 0) + 1
            if group == "Needs remediation":
                assert "; on track for" not in text and "under a school year" in text, text
            if group == "Ready to accelerate":
                assert "; not on track for" not in text, text
    assert max(groups.values()) < 0.8 * sum(groups.values()), groups


GAPS = re.compile(r"(only )?(\d+) of the (\d+) skills in current work \(.+\) builds? on a prereq")


def test_before_growth_is_judged_the_page_says_how_much_of_current_work_has_a_gap(
    report_district,
):
    """A trial's demo night (growth not judged yet): 2,901 of 3,000 students "Needs
    remediation", a page saying only that "a prerequisite of" one skill "is practised and
    still weak". Now the page says how many of the skills in current work build on a weak
    prerequisite, and that is what decides: more than half for remediation, and a student
    with fewer is progressing, told so."""
    groups = {}
    for page in report_district.site.glob("schools/*/*/students.html"):
        for line in SUMMARY.findall(page.read_text()):
            text = unescape(re.sub("<[^>]+>", "", line))
            found = re.search(r"is in the group ([A-Z][a-z ]+)(: [^.]+)?\.", text)
            if found is None:
                continue  # no answers yet
            group, gaps = found.group(1), GAPS.search(text)
            groups[group] = groups.get(group, 0) + 1
            if group == "Needs remediation":
                assert "growth is not judged yet" in text, text
                assert "the one skill in current work" in text or (
                    gaps and not gaps.group(1) and 2 * int(gaps[2]) > int(gaps[3])
                ), text
            elif gaps is not None:
                assert group == "Progressing" and gaps.group(1), text
                assert 2 * int(gaps[2]) <= int(gaps[3]), text
    assert groups.get("Needs remediation") and groups.get("Progressing"), groups
    assert max(groups.values()) < 0.9 * sum(groups.values()), groups


def test_counts_on_pages_say_one_student_not_one_students():
    """A trial: the district page said "Most stuck: Grade 5 fractions and ratios 2 (1
    students)"."""
    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.reports.site.pages import stuck_skills

    catalog = Catalog((Skill("f2", "Fractions 2"),), (Activity("f2.p", "Practice", ("f2",)),))
    assert "Most stuck: Fractions 2 (1 student)." in stuck_skills(
        pd.Series({"f2": 1}), catalog, "district"
    )
    assert "Most stuck: Fractions 2 (1,200 students)." in stuck_skills(
        pd.Series({"f2": 1200}), catalog, "district"
    )


def card(cards: str, group: str) -> str:
    """One group's card of `group_cards`, as text."""
    start = cards.index(f'id="grp-{group}"')
    return re.sub(r"<[^>]+>", "", cards[start : cards.index("</section>", start)])


def ready_class(progression: list[list[int]], recs: list[tuple[int, int, int]] = ()):
    """A class whose students are all ready to accelerate, with these per-skill states
    (Progression codes) on the skills A..E of `ready_catalog`, no per-skill group code (the
    batch's `accelerate` code needs a mastered skill not due for review), and these
    recommendations (student row, skill code, activity code)."""
    from adaptive.reports.site.pages import ClassData

    n = len(progression)
    c = ClassData.__new__(ClassData)
    c.student_ids = np.array([f"s{i}" for i in range(n)], dtype=object)
    c.labels = list(c.student_ids)
    c.progression = np.array(progression, dtype=np.int8)
    c.group = np.full(c.progression.shape, -1, np.int8)
    c.student_group = np.full(n, GROUPS.index("accelerate"), np.int8)
    c.placement = np.full(n, "", dtype=object)
    c.rec_student, c.rec_skill, c.rec_activity = (
        np.array([r[k] for r in recs], dtype=np.int64) for k in range(3)
    )
    return c


def ready_catalog():
    """A -> B -> D, A -> C, and E apart; one activity per skill."""
    from adaptive.curriculum import Activity, Catalog, Skill

    skills = (
        Skill("A", "Skill A"), Skill("B", "Skill B", ("A",)), Skill("C", "Skill C", ("A",)),
        Skill("D", "Skill D", ("B",)), Skill("E", "Skill E"),
    )  # fmt: skip
    return Catalog(
        skills, tuple(Activity(f"{s.id}.p", f"Practice {s.id}", (s.id,)) for s in skills)
    )


def test_ready_to_accelerate_card_says_what_they_are_ready_to_move_on_to():
    """A re-check: in February the "Ready to accelerate" card of most classes read "Shared
    skills: none in common": its skills were those with the per-skill code `accelerate`, a
    mastered skill not due for review, and by then most are due (↻). A teacher grouping these
    students wants what to teach them next: the card now says the skills they are ready to move
    on to (every prerequisite mastered, ✓ or ↻; not mastered yet), and how many of them are."""
    from adaptive.policy.progression import Progression as P
    from adaptive.reports.site.pages import group_cards

    catalog = ready_catalog()
    rev, ns, ip = P.NEEDS_REVIEW, P.NOT_STARTED, P.IN_PROGRESS
    # February: A mastered and due for review for all three; B started by one, D needs B
    c = ready_class([[rev, ns, ns, ns, ns], [rev, ip, ns, ns, ns], [rev, rev, ns, ns, ns]],
                    recs=[(0, 2, 2), (1, 2, 2), (2, 4, 4)])  # fmt: skip
    text = card(group_cards(c, catalog), "accelerate")
    assert "none in common" not in text
    assert (
        "Ready to move on to: Skill C (3 of 3), Skill B (2 of 3): every prerequisite mastered "
        "(✓, or ↻ due for review), the skill itself not yet." in text
    ), text
    assert "Suggested small-group activity: Practice C (C.p, recommended to 2 of them)" in text
    # nothing in common: what each is ready for, said so (s0 is ready for D, s1 for B)
    c = ready_class([[rev, rev, rev, ns, ns], [rev, ns, rev, ns, rev]])
    text = card(group_cards(c, catalog), "accelerate")
    assert (
        "Ready to move on to: no skill in common: Skill B (1 of 2), Skill D (1 of 2); teach them "
        "apart: their pages say what comes next." in text
    ), text
    assert "Practice B (B.p, an activity of Skill B; not among tonight's recommendations)" in text
    # nothing ready at all: said so, not "none in common"
    text = card(group_cards(ready_class([[ns] * 5, [ip, ns, ns, ns, ns]]), catalog), "accelerate")
    assert (
        "Ready to move on to: none yet: no skill builds only on skills they have mastered (✓ or "
        "↻ in the heatmap) and is not mastered itself." in text
    ), text


def test_student_page_counts_say_one_skill_and_one_activity():
    """A re-check found "1 student(s)" on the district page; the student page still said
    "1 skills practised" and "0 of tonight's 1 activities are above grade level"."""
    from adaptive.batch.overrides import StudentOverride
    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.reports.site.pages import _timeline, mode_effect, percent_codes

    catalog = ready_catalog()
    history = np.array([[0.9, 0.1, 0.1, 0.1, 0.1]], dtype=np.float32)
    line = _timeline(catalog, np.arange(5), np.array([2, 0, 0, 0, 0]), history,
                     percent_codes(history), ["2026-10-02"])  # fmt: skip
    assert "1 skill practised." in line
    graded = Catalog((Skill("f4", "Fractions 4", grade=4),),
                     (Activity("f4.p", "Practice", ("f4",), grade=4),))  # fmt: skip
    said = mode_effect(StudentOverride(mode="accelerate"), {"grade": 3}, np.array([0]), graded)
    assert "1 of tonight's 1 activity is above grade level (grade 4)" in said


def test_below_grade_level_lists_only_the_grades_below_the_students():
    """A grade 4 teacher read "2 of tonight's 3 activities are below grade level (grades 3,
    4)": grade 4 is the student's own grade, not below it."""
    from adaptive.batch.overrides import StudentOverride
    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.reports.site.pages import mode_effect

    catalog = Catalog(
        (Skill("g3", "Geometry 3", grade=3), Skill("g4", "Geometry 4", grade=4)),
        (Activity("g3.a", "Practice", ("g3",), grade=3),
         Activity("g3.b", "Check", ("g3",), grade=3),
         Activity("g4.a", "Practice", ("g4",), grade=4)),
    )  # fmt: skip
    remediate = StudentOverride(mode="remediate")
    said = mode_effect(remediate, {"grade": 4}, np.array([0, 1, 2]), catalog)
    assert "2 of tonight's 3 activities are below grade level (grade 3)" in said
    assert "grades 3, 4" not in said
    none_below = mode_effect(remediate, {"grade": 4}, np.array([2]), catalog)
    assert "0 of tonight's 1 activity are below grade level." in none_below
    assert "(grade 4)" not in none_below


def test_the_teachers_mode_is_said_in_one_plain_sentence():
    """A coach read "The mode bars other grades but puts no grade first, and the nightly output
    does not record the list without it: whether it changed tonight's list is not known." as
    jargon: the sentence now says what the mode did tonight."""
    from adaptive.batch.overrides import StudentOverride
    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.reports.site.pages import mode_effect

    catalog = Catalog(
        (Skill("g4", "Geometry 4", grade=4), Skill("g5", "Geometry 5", grade=5)),
        (Activity("g4.a", "Practice", ("g4",), grade=4),
         Activity("g5.a", "Practice", ("g5",), grade=5)),
    )  # fmt: skip
    said = mode_effect(StudentOverride(mode="remediate"), {"grade": 4}, np.array([0]), catalog)
    assert said == (
        "Teacher's mode: remediate: tonight it allowed only activities of grades 2 to 4, and "
        "grade 3 skills the student has not answered yet are checked before the grade 4 work "
        "built on them; 0 of tonight's 1 activity are below grade level."
    )
    said = mode_effect(StudentOverride(mode="accelerate"), {"grade": 4}, np.array([1]), catalog)
    assert said == (
        "Teacher's mode: accelerate: tonight it allowed only activities of grades 4 to 5, so "
        "grade 5 work may come once the student is ready for it; 1 of tonight's 1 activity is "
        "above grade level (grade 5)."
    )


def test_mastery_and_the_chance_of_remembering_are_each_named():
    """A teacher read "Mastery 99% ↻" beside the reason "recall is fading (65%)" for one skill:
    two unnamed percentages. The reason names its percentage and the page says which is which."""
    from adaptive.policy.explain import sentence
    from adaptive.reports.site.pages import _timeline, percent_codes

    said = sentence("review", "Geometry 4", "Practice", elapsed=120.0, recall=0.65)
    assert said == (
        "Geometry 4: time to review it: you mastered it 4 months ago, and the chance you "
        "remember it today is down to 65%."
    )
    catalog = ready_catalog()
    history = np.array([[0.99, 0.9, 0.1, 0.1, 0.1]], dtype=np.float32)
    line = _timeline(catalog, np.arange(5), np.array([3, 2, 0, 0, 0]), history,
                     percent_codes(history), ["2026-10-02"])  # fmt: skip
    assert "mastery: how sure we are the skill was learned" in line
    assert (
        "A skill marked needs review was learned (its mastery stays high), but time has passed: "
        "its reason gives the chance the student remembers it today, a different percentage."
    ) in line
    mastered_only = _timeline(catalog, np.arange(5), np.array([2, 2, 0, 0, 0]), history,
                              percent_codes(history), ["2026-10-02"])  # fmt: skip
    assert "needs review" not in mastered_only


def test_district_growth_states_one_headline_figure_and_labels_both_bars():
    """A coach could not tell whether "24% ... on track (95% interval 23% to 26%; 27% expected
    when each student's measurement uncertainty is counted)" meant 24% or 27%, and read "on
    track means at least 8.5 months" beside the chart's "18 months or more is on track" as two
    bars (a total so far and a yearly pace)."""
    from adaptive.reports.growth import GrowthSummary, Norm, baseline_of
    from adaptive.reports.site.build import _method
    from adaptive.reports.site.pages import growth_section

    norm = Norm()
    baseline = baseline_of(norm, "2027-02-20", None)
    summary = GrowthSummary(3000, 0.24, 0.23, 0.26, 0.27, 14.2, (10, 20, 30, 40, 50))
    html = growth_section(summary, norm, baseline, "district")
    assert (
        "<strong>24%</strong> of 3,000 students of this district are on track for 1.5 "
        "years of growth this school year (95% interval 23% to 26%: the range the true share "
        "most likely lies in). This is the headline figure. A second check, for comparison only: "
        "each student's growth is measured with some error, and allowing for that error, about "
        "27% would be on track." in html
    )
    assert "expected when each student's measurement uncertainty is counted" not in html
    so_far = f"so on track means at least {baseline.target:.1f} months of growth so far, since "
    assert so_far + "the baseline (the pace of 18 months per school year)." in html
    assert (
        "(a yearly pace, the same bar as the months so far said above): 18 months or more per "
        "school year is on track." in html
    )
    method = _method(norm)
    assert "Bernoulli trial: like a coin toss weighted by that chance" in method
    assert "Wilson interval over the unit's students (a standard way to give the range" in method
    assert "standard error (the typical size of the error in their measured growth" in method


def test_student_page_lists_goals_and_topics_the_catalog_lacks_as_not_used():
    """A district's trial: a student whose survey goal was '8.g.a.4' (the catalog's code is
    '8.G.A.4') got "No goal skills." on their page, and a goal the catalog lacks was dropped
    without a word. Each goal is listed as given, one the catalog lacks marked not used (with
    the catalog's code where only the case differs), and so is an interest topic it lacks."""
    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.reports.site.pages import _interests

    catalog = Catalog(
        (Skill("8.G.A.4", "Geometry 8.4"), Skill("8.NS.A.4", "Number sense 8.4")),
        (Activity("g.p", "Practice", ("8.G.A.4",), topics=("animals",)),),
    )
    mastery = np.array([0.5, 0.25])
    profile = {"interests": {"dinosaurs": 0.9, "animals": 0.6},
               "goals": ["8.g.a.4", "8.NS.A.4", "8.NS.Z.9"]}  # fmt: skip
    text = re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", _interests(profile, catalog, mastery)))
    assert "No goal skills" not in text
    assert "8.g.a.4: not in the catalog: not used (the catalog writes it 8.G.A.4)" in text
    assert "Number sense 8.4: 25% mastered" in text
    assert (
        "8.NS.Z.9: not in the catalog: not used" in text
        and "8.NS.Z.9: not in the catalog: not used (" not in text
    )
    assert "dinosaurs (not in the catalog: not used) 0.90" in text
    assert "animals 0.60" in text and "animals (not" not in text
    profile["goals"] = []
    assert "No goal skills." in _interests(profile, catalog, mastery)


@pytest.mark.parametrize(
    ("policy", "known"),
    [
        ({"config": {"assumed_known": 0.9}}, 0.9),
        ({"config": {"assumed_known": "high"}}, 0.95),  # was a bare ValueError
        ({"config": {"mastery_threshold": 0.9}}, 0.95),  # recorded before the setting
        ({"source": "shipped default"}, 0.95),
        (None, 0.95),
    ],
)
def test_the_report_reads_the_nights_assumed_known_as_the_night_checks_do(
    tmp_path, policy, known
) -> None:
    """The site dug `policy.config.assumed_known` out of the night's record itself, and a
    value that does not read (a string) crashed `float()`. Now it reads the record's settings
    as `night_checks.recorded_settings` does: the shipped policy's value where none reads."""
    from adaptive.batch.writer import date_dir
    from adaptive.files import sealed_json
    from adaptive.reports.site.data import BatchRun

    marker = date_dir(tmp_path, "recommendations", "2027-02-19") / "_SUCCESS.json"
    marker.parent.mkdir(parents=True)
    doc = {"partitions": {}, "model": "m", "model_version": "1"}
    marker.write_bytes(sealed_json(doc if policy is None else {**doc, "policy": policy}))
    assert BatchRun.open(tmp_path, "2027-02-19").assumed_known == known


def test_the_reports_read_of_the_nights_policy_says_no_warning_of_its_settings(tmp_path) -> None:
    """A review: `night_policy` read the recorded policy twice, the second time outside
    `recorded_settings`' `catch_warnings`, so a setting the night had already warned of
    (exploration_epsilon without epsilon exploration) reached every report build as a
    `ConfigWarning`. It is read once now (`night_checks.recorded_config`), as the night read it."""
    import warnings

    from adaptive.batch.writer import date_dir
    from adaptive.errors import ConfigWarning
    from adaptive.files import sealed_json
    from adaptive.reports.site.data import BatchRun

    marker = date_dir(tmp_path, "recommendations", "2027-02-19") / "_SUCCESS.json"
    marker.parent.mkdir(parents=True)
    policy = {"config": {"exploration": "none", "exploration_epsilon": 0.2, "assumed_known": 0.9}}
    doc = {"partitions": {}, "model": "m", "model_version": "1", "policy": policy}
    marker.write_bytes(sealed_json(doc))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConfigWarning)
        run = BatchRun.open(tmp_path, "2027-02-19")
    assert run.assumed_known == 0.9 and run.policy.exploration_epsilon == 0.2


HEATMAP_HEADS = re.compile(r'<th scope="col"><button type="button">([^<]*)</button></th>')
HEATMAP_COUNTS = re.compile(
    r'<tr data-student="([^"]+)"[^>]*><th scope="row">.*?</th><td class="g\d">.*?</td>'
    r'<td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>'
)


def test_the_mastered_column_counts_skills_due_for_review_as_mastered(report_district):
    """A trial: in February the class page's "✓ Mastered" column read 0 for every student
    while "↻ Review" read 1-4 with reasons saying "you mastered it 4 months ago": a teacher
    read "nobody has mastered anything". The README says ↻ cells count as mastered; the
    column now counts ✓ and ↻ (the batch's n_mastered + n_needs_review) and says so, and
    "↻ Review" is the part of them due for review."""
    students = report_district.students().set_index("student_id")
    assert (students["n_needs_review"] > 0).any()  # the night has skills due for review
    seen = 0
    for page in class_pages(report_district.site):
        text = page.read_text()
        assert HEATMAP_HEADS.findall(text)[2:5] == ["✓+↻ Mastered", "↻ Review", "! Stuck"]
        for sid, mastered, review, stuck in HEATMAP_COUNTS.findall(text):
            want = students.loc[sid]
            assert int(mastered) == want["n_mastered"] + want["n_needs_review"], sid
            assert [int(review), int(stuck)] == [want["n_needs_review"], want["n_stuck"]], sid
            seen += 1
        assert "<strong>✓+↻ Mastered</strong>: skills mastered by practice" in text
    assert seen == len(students)


def test_growth_uncertainty_is_labelled_a_95_percent_interval(report_district):
    """A trial: the student page said "Growth: 6.2 ± 1.6 months; not on track for 1.5 years
    (probability 0%)", the ± being 1.96 standard errors, unlabelled: a reader taking it for
    one standard deviation computes another probability. The page now gives the interval and
    says it is 95%, and no page of the site has an unlabelled ±."""
    from adaptive.reports.site.pages import StudentGrowth

    baseline = baseline_of(Norm(), "2027-02-12", None)
    growth = StudentGrowth(6.2, 1.6 / 1.96, 0.0, False, False, baseline)
    assert growth.sentence(1.5) == (
        "Growth: 6.2 months (95% interval 4.6 to 7.8 months); not on track for 1.5 years "
        "(probability 0%)."
    )
    pages = sorted(report_district.site.rglob("*.html"))
    assert any("Growth: " in p.read_text() for p in pages)
    assert not [p.name for p in pages if "±" in p.read_text()]


def test_main_terms_name_the_untried_skill_bonus_not_exploration(report_district):
    """A trial: the student page's "Main terms" said "exploration +0.30" under the default
    exploration mode "none" (no random draws), while `adaptive ope` prints the mode as
    "exploration 'softmax' -> 'none'": one word, two meanings. The weight rewards a skill the
    student has answered rarely or never (`terms.exploration_bonus`), and the pages say that;
    the Parquet column stays `c_exploration`."""
    recs = report_district.recommendations()
    assert (recs["c_exploration"] != 0).any()
    text = "".join(p.read_text() for p in report_district.site.rglob("students.html"))
    assert re.search(r"new or rarely tried skill \+0\.\d\d", text)
    assert not re.search(r"exploration [+-]\d", text)


def test_a_skill_at_the_bar_but_not_mastered_says_what_it_still_needs():
    """A teacher read "99%, in progress" on a student's page with nothing saying why the skill
    was not mastered. Its row now says what the progression rule still asks, in the policy's
    own words (`explain.still_needed`, read with the night's policy and the answers, run of
    right answers and gradual hold the night read); nothing for a mastered skill, one below
    the bar, a night written before it recorded those, or an experiment arm's student (whose
    policy the night does not record)."""
    from adaptive.policy import PolicyConfig
    from adaptive.reports.site.pages import ClassData, _timeline, percent_codes

    catalog = ready_catalog()
    c = ClassData.__new__(ClassData)
    c.mastery = np.array([[0.99, 0.99, 0.99, 0.4, 0.1], [0.99] * 5], dtype=np.float32)
    c.progression = np.array([[1, 1, 2, 1, 0], [1] * 5], dtype=np.int8)
    c.n_responses = np.array([[1, 4, 5, 2, 0], [1] * 5], dtype=np.int32)
    c.streak = np.array([[1, 0, 5, 0, 0], [1] * 5], dtype=np.int32)
    c.gradual_hold, c.in_arm = np.array([0, 0]), np.array([False, True])
    config = PolicyConfig.default()
    still = c.still_needed(0, config)
    assert still.tolist() == [
        "3 answers (1 so far)",
        "2 right answers in a row (0 so far)",
        "",
        "",
        "",
    ]
    line = _timeline(catalog, np.arange(5), c.progression[0], c.mastery[:1],
                     percent_codes(c.mastery[:1]), ["2027-02-20"], still)  # fmt: skip
    assert (
        '<tr><th scope="row">Skill A</th><td>99%</td><td>in progress: it counts as mastered after 3 '
        "answers (1 so far)</td></tr>"
    ) in line
    assert "in progress: it counts as mastered after 2 right answers in a row (0 so far)" in line
    assert line.count("counts as mastered") == 2
    # a district's own rule, and where learning is gradual the hold the night read
    own = config.with_(min_responses_mastered=5, mastery_streak=3)
    assert c.still_needed(0, own)[:2].tolist() == [
        "5 answers (1 so far)", "5 answers (4 so far) and 3 right answers in a row (0 so far)"
    ]  # fmt: skip
    c.gradual_hold = np.array([6, 0])
    assert c.still_needed(0, config)[1] == (
        "6 answers (4 so far) and 2 right answers in a row (0 so far)"
    )
    assert (c.still_needed(1, config) == "").all()  # an experiment arm's student
    c.n_responses = c.streak = None  # a night written before the students table carried them
    assert (c.still_needed(0, config) == "").all()
    assert "counts as mastered" not in _timeline(
        catalog, np.arange(5), c.progression[0], c.mastery[:1], percent_codes(c.mastery[:1]),
        ["2027-02-20"], c.still_needed(0, config),
    )  # fmt: skip


STILL_ROW = re.compile(
    r'<tr><th scope="row">([^<]*)</th><td>[^<]*</td><td>(?:in progress|stuck): it counts as '
    r"mastered after ([^<]*)</td></tr>"
)
CLOSE = re.compile(
    r"<td class=\"reason\">([^<:]*): your mastery is at the bar, and it counts as mastered after ([^.]*)\."
)


def _sections(site: Path) -> dict[str, str]:
    """Every student's section of the site's students pages, by its anchor."""
    out = {}
    for page in site.glob("schools/*/*/students.html"):
        for part in page.read_text().split('<section class="student" id="')[1:]:
            anchor, _, rest = part.partition('"')
            out[anchor] = rest.split("</section>")[0]
    return out


def test_the_student_page_says_what_a_skill_at_the_bar_still_needs_by_the_nights_rule(
    report_district, tmp_path, policy_toml
):
    """The student page's skill rows say what a skill at the mastery bar still needs exactly
    where the night's own rule says so, with the night's policy file (a district asking for 4
    answers and 3 right in a row sees those, not the shipped 3 and 2), in the words of the
    student's own recommendation for that skill ("your mastery is at the bar, and ..."); a night written before
    the students table carried the rule's inputs builds as before and says nothing more."""
    from adaptive.batch import run_daily_job
    from adaptive.curriculum import Catalog
    from adaptive.policy import PolicyConfig
    from adaptive.policy.explain import still_needed
    from adaptive.policy.progression import Progression
    from adaptive.reports.site.pages import student_anchor

    d = report_district
    policy = tmp_path / "own.toml"
    policy.write_text(policy_toml(min_responses_mastered=4, mastery_streak=3))
    config = PolicyConfig.from_toml(policy)
    batch, site = tmp_path / "batch", tmp_path / "site"
    run_daily_job(d.day, batch, **d.job_args(policy_config=policy))
    build_site(batch, d.day, site, catalog=d.catalog, profiles=d.profiles)
    catalog = Catalog.from_json(d.catalog)
    names = {s.id: s.name for s in catalog.skills}
    want: dict[str, set[tuple[str, str]]] = {}
    students = pd.read_parquet(batch / "students" / f"date={d.day}")
    for row in students.itertuples():
        for s, skill in enumerate(catalog.skill_index):
            if row.progression[s] in (Progression.IN_PROGRESS, Progression.STUCK):
                said = still_needed(float(row.mastery[s]), int(row.n_responses[s]),
                                    int(row.streak[s]), config, int(row.gradual_hold))  # fmt: skip
                if said:
                    want.setdefault(student_anchor(row.student_id), set()).add((names[skill], said))
    sections = _sections(site)
    got = {a: set(STILL_ROW.findall(text)) for a, text in sections.items()}
    assert {a: rows for a, rows in got.items() if rows} == want
    assert any("3 right answers in a row" in said for rows in want.values() for _, said in rows)
    assert any("4 answers" in said for rows in want.values() for _, said in rows)
    close = {a: set(CLOSE.findall(text)) for a, text in sections.items()}
    assert any(close.values())  # recommendations that say it too: the same words
    assert all(rows <= got[a] for a, rows in close.items()), close

    # a night written before the students table carried the rule's inputs
    import pyarrow.parquet as pq

    for part in (batch / "students").rglob("*.parquet"):
        table = pq.read_table(part)
        pq.write_table(table.drop_columns(["n_responses", "streak", "gradual_hold"]), part)
    build_site(batch, d.day, tmp_path / "older", catalog=d.catalog, profiles=d.profiles)
    pages = list((tmp_path / "older").glob("schools/*/*/students.html"))
    assert pages and not any(STILL_ROW.search(p.read_text()) for p in pages)


def _class_and_next_night(d, n_students: int) -> tuple[str, list[str], str]:
    """A class of the report district, its first `n_students` students and the night after."""
    students = d.students()
    klass = str(students["class_id"].dropna().iloc[0])
    chosen = sorted(students.loc[students["class_id"] == klass, "student_id"])[:n_students]
    return klass, chosen, (pd.Timestamp(d.day) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")


def _class_page_after_exports(
    d, tmp_path, klass: str, night: str, files: dict[str, tuple[str, dict]]
) -> tuple[str, str]:
    """The class page (its HTML and its text) after a night served with the class's exports
    `files` (name: (date, students' choices)) in its overrides folder; one of them is set aside
    (the night warns)."""
    site = _site_after_exports(d, tmp_path, klass, night, files)
    html = next(site.glob(f"**/{klass}/index.html")).read_text()
    return html, " ".join(re.sub(r"<[^>]+>", "", html).split())


def _site_after_exports(
    d, tmp_path, klass: str, night: str, files: dict[str, tuple[str, dict] | str]
) -> Path:
    """The class's report site after a night served with its exports `files` (as
    `_class_page_after_exports`; a file given as a string is written as it is)."""
    from adaptive.batch import run_daily_job

    exports = tmp_path / "exports"
    exports.mkdir()
    for name, given in files.items():
        if isinstance(given, str):
            (exports / name).write_text(given)
            continue
        date, chosen = given
        doc = {"format": "adaptive-overrides", "version": 1, "class_id": klass, "date": date,
               "students": chosen}  # fmt: skip
        (exports / name).write_text(json.dumps(doc))
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    with pytest.warns(Warning):  # the night sets a file aside, saying so
        run_daily_job(night, batch, **d.job_args(overrides=exports))
    site = tmp_path / "site"
    build_site(batch, night, site, catalog=d.catalog, profiles=d.profiles, class_id=klass)
    return site


def test_a_class_form_is_filled_by_the_file_applied_when_its_set_aside_file_is_older(
    report_district, tmp_path
):
    """A review: a class's export with a slip ('Remediate'), set aside, left in the folder
    beside the fixed export the night applied: the class page filled its form with the old
    file's choices (set-aside choices won whatever their date). The newest fills it: here the
    choices the night applied, the older file named as left out."""
    d = report_district
    klass, (a,), night = _class_and_next_night(d, 1)
    html, said = _class_page_after_exports(
        d, tmp_path, klass, night,
        {"typo.json": (d.day, {a: {"mode": "Remediate"}}),
         "fixed.json": (night, {a: {"mode": "remediate"}})},
    )  # fmt: skip
    row = re.search(rf'<tr data-student="{re.escape(a)}">.*?</tr>', html, re.S).group(0)
    assert '<option value="remediate" selected>' in row and 'class="bad"' not in row
    assert f"The night applied a newer file of the class (dated {night})" in said
    # said once (a sentence before it said "A newer file of the class was applied: the form
    # below shows its choices")
    assert said.count("newer file") == 1 and said.count("the form below") == 1
    assert "whose choices differ from typo.json's" in said
    assert f"typo.json (dated {d.day}), older, is not in it" in said


def test_a_newer_set_aside_file_fills_the_whole_class_form_not_the_older_applied_one(
    report_district, tmp_path
):
    """A review: the class's newer export, set aside for a slip ('Remediate'), fills the form,
    but a student it does not name (cleared by the teacher) got the older applied file's
    choices back in the form, and exporting again wrote them again. A file that fills the
    form fills every row: a student it does not name has no choices."""
    d = report_district
    klass, (a, b), night = _class_and_next_night(d, 2)
    html, said = _class_page_after_exports(
        d, tmp_path, klass, night,
        {"older.json": (d.day, {a: {"mode": "remediate"}, b: {"mode": "accelerate"}}),
         "newer.json": (night, {a: {"mode": "Remediate"}})},
    )  # fmt: skip
    assert "newer.json, the newer, fills the form below" in said
    rows = {s: re.search(rf'<tr data-student="{re.escape(s)}">.*?</tr>', html, re.S).group(0)
            for s in (a, b)}  # fmt: skip
    assert 'class="bad"' in rows[a]  # the newer file's slip, marked
    assert " selected>" not in rows[b]  # the older file's 'accelerate' not brought back


def test_a_student_named_in_a_set_aside_file_is_told_its_choices_were_not_applied(
    report_district, tmp_path
):
    """A trial: the class's export had a mode typo ('Accelerate') and an activity the catalog
    lacks, so the night set it aside and the class page said "Not applied tonight", but the
    pages of the students it named said "What the teacher overrode: Nothing", and a skill the
    file set aside was back on a list with no word why. Their pages now say the file was not
    applied tonight, name it, link the class page and list what it asked for; a classmate the
    file does not name still reads that nothing was overridden."""
    d = report_district
    klass, (a, b, c, other), night = _class_and_next_night(d, 4)
    skill = str(d.recommendations().query("student_id == @b")["skill_id"].iloc[0])
    site = _site_after_exports(
        d, tmp_path, klass, night,
        {"overrides.json": (night, {a: {"mode": "Accelerate"},
                                    b: {"excluded_skills": [skill]},
                                    c: {"assigned": ["no.such.activity"]}})},
    )  # fmt: skip
    sections = _sections(site)

    def overrode(sid: str) -> str:
        html = sections[f"s-{sid}"].split("What the teacher overrode</h3>")[1]
        text = re.sub(r"<[^>]+>", "", re.sub(r"</(p|li)>", " ", html))
        return " ".join(unescape(text).split())

    for sid in (a, b, c):
        said = overrode(sid)
        assert "Nothing" not in said, said
        assert said.startswith(
            f"Not applied tonight: the teacher's choices for {sid} are in this class's "
            "overrides file (overrides.json), which had problems, so the night set it aside: "
            "tonight's list is the policy's own, without them."
        ), said
        assert 'href="index.html#teacher-overrides"' in sections[f"s-{sid}"]
    assert "Mode: 'Accelerate' is no mode (did you mean accelerate?)" in overrode(a)
    assert f"({skill})" in overrode(b) and "Skills set aside" in overrode(b)
    assert "no.such.activity (not in the catalog: not used)" in overrode(c)
    assert overrode(other).startswith("Nothing: the recommendations are the policy's own.")


def test_a_class_file_that_cannot_be_read_is_said_on_each_of_its_students_pages(
    report_district, tmp_path
):
    """A class's export that does not read as JSON is set aside for the class its name gives;
    which students it named cannot be read, so each of the class's student pages says that
    any choices it held for them were not applied tonight (not "Nothing")."""
    d = report_district
    klass, (a,), night = _class_and_next_night(d, 1)
    name = f"overrides-{klass}.json"
    site = _site_after_exports(d, tmp_path, klass, night, {name: '{"students": {'})
    said = _sections(site)[f"s-{a}"].split("What the teacher overrode</h3>")[1]
    said = " ".join(unescape(re.sub(r"<[^>]+>", "", said)).split())
    assert said.startswith(
        f"Not applied tonight: this class's overrides file ({name}) had problems, so the "
        f"night set it aside: any choices it held for {a} were not applied"
    ), said
    assert "Nothing" not in said


def test_report_without_catalog_reads_the_nights_catalog_not_the_demos(
    report_district, tmp_path, capsys, monkeypatch
):
    """`report --batch` of a district's night without --catalog said "catalog file
    .../demo-district/catalog.json not found": it read the demo's catalog whatever the night
    served. The night's _SUCCESS.json records its catalog's sha256: the demo's catalog is read
    only when it is that one (said in a line), else one error asks for the night's catalog."""
    d = report_district
    monkeypatch.setenv("ADAPTIVE_DATA_DIR", str(tmp_path / "data"))  # no demo district there
    args = ["report", "--date", d.day, "--batch", str(d.batch), "--out", str(tmp_path / "site")]
    code = run([*args, "--profiles", str(d.profiles)])
    said = " ".join(capsys.readouterr().err.split())
    assert code == 2 and not (tmp_path / "site").exists(), said
    assert f"no --catalog, and the night {d.day} in {d.batch} was not served with the demo " in said
    assert "its _SUCCESS.json records catalog_sha256 " in said
    assert "Pass the catalog that night served: --catalog FILE" in said
    assert "demo-district" not in said and "with --profiles FILE" not in said
    assert run(args) == 2 and "with --profiles FILE, its profiles" in capsys.readouterr().err
    demo = tmp_path / "data" / "demo-district"  # the night served the demo's catalog: read
    demo.mkdir(parents=True)
    shutil.copy(d.catalog, demo / "catalog.json")
    shutil.copy(d.profiles, demo / "profiles.jsonl")
    code = run(args)
    said = " ".join(capsys.readouterr().err.split())
    assert code == 0, said
    assert (
        f"report: no --catalog: the demo district's {demo / 'catalog.json'} (the catalog the "
        f"night {d.day} served, its _SUCCESS.json says) and --profiles {demo / 'profiles.jsonl'}"
    ) in said
    given = ["--out", str(tmp_path / "given"), "--catalog", str(d.catalog)]
    assert run([*args[:-2], *given, "--profiles", str(d.profiles)]) == 0
    assert files(tmp_path / "site") == files(tmp_path / "given")


def _student_notices(
    tmp_path, files: dict[str, str], applied: str = "", overrides: dict | None = None
) -> dict[str, str]:
    """What the pages of a class's two students s1 and s2 say of its set-aside `files` (name:
    the file's text), the night having applied a file of the class dated `applied` ("" none),
    whose choices were `overrides` (student id: their override)."""
    from types import SimpleNamespace

    from adaptive.batch.overrides import SetAsideFile, set_aside_form
    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.reports.site.pages import set_aside_text

    skills = tuple(Skill(f"g{g}", f"G{g}", grade=g) for g in range(6))
    acts = tuple(Activity(f"a{s.id}", s.name, (s.id,), grade=s.grade) for s in skills)
    aside = []
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        aside.append(SetAsideFile(str(tmp_path / name), ("c1",), ("a problem",)))
    ids = ["s1", "s2"]
    c = SimpleNamespace(
        set_aside=tuple(aside), set_aside_form=set_aside_form(aside, set(ids), applied, {}),
        student_ids=ids, labels=ids, grades=np.array([4.0, 4.0]), overrides=overrides or {},
    )  # fmt: skip
    catalog = Catalog(skills, acts)
    said = {sid: set_aside_text(c, i, catalog) for i, sid in enumerate(ids)}
    return {sid: " ".join(unescape(re.sub(r"<[^>]+>", "", s)).split()) for sid, s in said.items()}


def _export_naming_s1(date: str = "2027-02-24") -> str:
    """A class's export that names only its student s1 (with a slip: an unknown activity)."""
    return json.dumps(
        {"format": "adaptive-overrides", "version": 1, "class_id": "c1", "date": date,
         "students": {"s1": {"assigned": ["nope"], "mode": "accelerate"}}}
    )  # fmt: skip


def test_a_set_aside_export_saved_twice_is_one_file_on_the_student_pages(tmp_path):
    """A review: the same export saved twice ('a.json', 'a (1).json'), naming only s1, both
    set aside: the class page reads the copy once, and s2's page said the copy "had problems
    ...: any choices it held for s2 were not applied", as if it could not be read. A copy
    names the students its original names: s1's page names both files, s2's says nothing."""
    said = _student_notices(tmp_path, {"a.json": _export_naming_s1(),
                                       "a (1).json": _export_naming_s1()})  # fmt: skip
    assert said["s1"].startswith(
        "Not applied tonight: the teacher's choices for s1 are in this class's overrides files "
        "(a.json, a (1).json), which had problems, so the night set them aside"
    ), said["s1"]
    assert "any choices it held" not in said["s1"]
    assert said["s2"] == ""


def test_a_set_aside_export_naming_none_of_a_students_is_not_said_on_their_page(tmp_path):
    """A set-aside export that reads but names none of the class's students held no choice
    for them: their pages say nothing of it (it was read as one that could not be read)."""
    nobody = json.dumps({"format": "adaptive-overrides", "version": 1, "class_id": "c1",
                         "date": "2027-02-24", "students": {}})  # fmt: skip
    assert _student_notices(tmp_path, {"a.json": nobody}) == {"s1": "", "s2": ""}


def test_a_set_aside_export_superseded_by_a_newer_applied_one_is_not_said(tmp_path):
    """A review: a set-aside export (saved twice) older than the file the night applied for
    the class is the teacher's earlier export: the form shows what the night applied, yet
    both students' pages said the copy was set aside and "tonight's list is the policy's
    own", which is false (the newer file was applied). Neither page says anything of it."""
    files = {"a.json": _export_naming_s1(), "a (1).json": _export_naming_s1()}
    assert _student_notices(tmp_path, files, "2027-03-01") == {"s1": "", "s2": ""}
    one = _student_notices(tmp_path, {"b.json": _export_naming_s1()}, "2027-03-01")
    assert one == {"s1": "", "s2": ""}


def test_a_set_aside_file_that_cannot_be_read_is_said_beside_a_read_one(tmp_path):
    """Only a file that cannot be read says "any choices it held": beside a read export
    naming s1, s2's page names the unreadable file alone."""
    said = _student_notices(tmp_path, {"a.json": _export_naming_s1(), "b.json": '{"students"'})
    assert said["s2"].startswith(
        "Not applied tonight: this class's overrides file (b.json) had problems, so the night "
        "set it aside: any choices it held for s2 were not applied"
    ), said["s2"]


def test_a_student_whose_applied_choices_stand_is_not_told_the_list_is_the_policys_own(tmp_path):
    """A review: beside an unreadable file, a student the night's applied file names read
    "tonight's list is the policy's own", while their page shows the applied choices below."""
    from adaptive.batch.overrides import StudentOverride

    said = _student_notices(
        tmp_path, {"b.json": '{"students"'}, overrides={"s2": StudentOverride(mode="remediate")}
    )
    assert said["s2"].endswith(
        "were not applied: tonight's list follows the applied file's choices shown below. See "
        "the class page: it says what to fix, and its form exports the file again."
    ), said["s2"]
    assert "tonight's list is the policy's own" in said["s1"]


def test_a_student_who_changed_school_or_left_keeps_their_mastery_history(
    report_district, tmp_path
):
    """A trial: a student moved to another school (and one who left, served in `unassigned`
    after) showed "–" on every earlier night of their mastery over time, and "mastery rose on 0
    and fell on 0", while the output read them on each night at their old school. Their readings
    are looked up by student id across schools, as growth's are."""
    import warnings

    from adaptive.batch import run_daily_job
    from adaptive.batch.partition import UNASSIGNED_SCHOOL
    from adaptive.reports.site.pages import student_anchor

    d = report_district
    rows = [json.loads(line) for line in d.profiles.read_text().splitlines() if line.strip()]
    mover, leaver = rows[0], rows.pop(1)["student_id"]  # the second student left
    mover.update(school_id="sch-new", class_id="new-4A")  # the district's one school: a new one
    moved = tmp_path / "moved.jsonl"
    moved.write_text("".join(json.dumps(r) + "\n" for r in rows))
    before = d.students().set_index("student_id")
    assert before.loc[mover["student_id"], "school_id"] != mover["school_id"]
    batch, night = tmp_path / "batch", (pd.Timestamp(d.day) + pd.Timedelta(days=1)).strftime("%F")
    shutil.copytree(d.batch, batch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the leaver is in the log alone
        run_daily_job(night, batch, **d.job_args(profiles=moved))
        build_site(batch, night, tmp_path / "site", catalog=d.catalog, profiles=moved)
    sections = _sections(tmp_path / "site")
    served = pd.read_parquet(batch / "students" / f"date={night}").set_index("student_id")
    for sid, school in ((mover["student_id"], "sch-new"), (leaver, UNASSIGNED_SCHOOL)):
        assert served.loc[sid, "school_id"] == school
        section = sections[student_anchor(sid)]
        assert f"Mastery ({d.day} → {night})" in section, sid
        assert "– →" not in section, sid  # read at their school of that night


@pytest.mark.parametrize("case", ["same date", "dated later"])
def test_a_class_file_read_but_not_applied_is_said_on_its_page_and_recorded(
    report_district, tmp_path, case
):
    """A trial: two different exports of one class with the same date, or a file dated after
    the night, were not applied, said in the night's log alone: the class page showed no
    notice, the record no entry, and the form no longer held the teacher's choices (a
    re-export lost them). Now each is recorded beside the files set aside, with why, and its
    class page says so as for a file set aside, a lone file filling the form."""
    from adaptive.batch.overrides import set_aside_files

    d = report_district
    klass, (a, b), night = _class_and_next_night(d, 2)
    later = (pd.Timestamp(night) + pd.Timedelta(days=3)).strftime("%F")
    files = (
        {"one.json": (night, {a: {"mode": "remediate"}}),
         "two.json": (night, {b: {"mode": "accelerate"}})}
        if case == "same date"
        else {"one.json": (later, {a: {"mode": "remediate"}})}
    )  # fmt: skip
    html, said = _class_page_after_exports(d, tmp_path, klass, night, files)
    recorded = set_aside_files(tmp_path / "batch", night)
    assert sorted(Path(f.path).name for f in recorded) == sorted(files)
    assert "Not applied tonight: this class's overrides file" in said
    row = re.search(rf'<tr data-student="{re.escape(a)}">.*?</tr>', html, re.S).group(0)
    if case == "same date":
        assert "has other choices than another file of the class with the same date" in said
        assert "their dates cannot tell which is your last" in said
    else:
        assert "(one.json) is dated after the night (a file applies from its date on)" in said
        assert f"dated {later}, after the night of {night}" in said
        assert 'value="remediate" selected' in row  # the file's choices fill the form


def test_a_class_page_names_the_choices_the_night_dropped_for_students_gone_from_the_class(
    report_district, tmp_path
):
    """A trial: an export naming a student who left the district and one now in another class
    was applied without them, said in the night's log alone ("lines 18 and 23: 1 student in no
    profile ... and 1 student in class ..."). The class page says which of its choices were
    dropped and why (its own students' ids: the teacher's page)."""
    d = report_district
    klass, (a,), night = _class_and_next_night(d, 1)
    students = d.students()
    other = students.loc[students["class_id"] != klass].iloc[0]
    choices = {a: {"mode": "remediate"}, "gone-00001": {"mode": "accelerate"},
               other["student_id"]: {"mode": "remediate"}}  # fmt: skip
    html, said = _class_page_after_exports(
        d, tmp_path, klass, night, {"export.json": (night, choices)}
    )
    assert "Dropped tonight: the class's overrides file named 2 students not in this class" in said
    assert "gone-00001: in no profile (left the district?)" in said
    assert (
        f"{other['student_id']}: now in class '{other['class_id']}' per the profiles"
        in unescape(said)
    )


def test_a_student_page_says_when_the_teachers_assignments_overrun_the_days_minutes(
    report_district, tmp_path
):
    """A trial: a list the teacher's assignments took past the day's minutes (`minutes_left`
    -68 in the output) was not mentioned on the student page. It is now, with the minutes."""
    import warnings

    from adaptive.batch import run_daily_job
    from adaptive.curriculum import Catalog

    d = report_district
    klass, (a,), night = _class_and_next_night(d, 1)
    acts = sorted(Catalog.from_json(d.catalog).activities, key=lambda x: -x.expected_minutes)[:12]
    exports = tmp_path / "exports"
    exports.mkdir()
    doc = {"class_id": klass, "date": night, "students": {a: {"assigned": [x.id for x in acts]}}}
    (exports / "export.json").write_text(json.dumps(doc))
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # far assignments
        run_daily_job(night, batch, **d.job_args(overrides=exports))
    left = pd.read_parquet(batch / "students" / f"date={night}").set_index("student_id")
    over = -float(left.loc[a, "minutes_left"])
    assert over > 1
    build_site(batch, night, tmp_path / "site", catalog=d.catalog, class_id=klass)
    said = " ".join(re.sub(r"<[^>]+>", "", _sections(tmp_path / "site")[f"s-{a}"]).split())
    assert (
        f"the teacher's assignments take {round(over)} minutes more than the day's budget" in said
    )


def test_a_school_of_the_profiles_served_on_no_night_is_listed_on_the_district_page(
    report_district, tmp_path
):
    """A coordinator's trial: a school of the profiles that the night wrote no output for was
    missing from the district table, as if it were not the district's. It is listed, its
    counts 0 and "not served", and a line above the table says so."""
    d = report_district
    rows = [json.loads(line) for line in d.profiles.read_text().splitlines() if line.strip()]
    extra = [dict(rows[0], student_id=f"unserved{i}", school_id="sch-unserved",
                  class_id="sch-unserved-4A") for i in range(3)]  # fmt: skip
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text("".join(json.dumps(r) + "\n" for r in rows + extra))
    with pytest.warns(UserWarning, match="not the profiles file the night"):  # written after it
        build_site(d.batch, d.day, tmp_path / "site", catalog=d.catalog, profiles=profiles,
                   allow_other_profiles=True)  # fmt: skip
    html = (tmp_path / "site" / "index.html").read_text()
    row = re.search(r"<tr><th scope=\"row\">sch-unserved</th>.*?</tr>", html)
    assert row is not None, "the unserved school is missing from the district table"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0))
    assert [re.sub(r"<[^>]+>", "", c) for c in cells] == [
        "0", "0", "0", "not served", "–", "–", "0"
    ]  # fmt: skip
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    assert f"1 school of the profiles (sch-unserved; 3 students) was not served on {d.day}" in text
    assert not (tmp_path / "site" / "schools" / "sch-unserved").exists()  # no page to link


def test_two_same_date_files_leave_the_form_with_the_choices_the_night_before_applied(
    report_district, tmp_path
):
    """A teacher's trial: the night before applied the class's export; tonight the folder held
    two exports of the class with the same date, neither applied (which one the teacher meant
    cannot be told), and the class page's form came up empty: an export from it would clear
    every choice. The form holds the choices last applied, and the page still says why
    tonight's files were not applied."""
    import warnings

    from adaptive.batch import run_daily_job

    d = report_district
    klass, (a, b), night = _class_and_next_night(d, 2)
    tonight = (pd.Timestamp(night) + pd.Timedelta(days=1)).strftime("%F")
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    for day, files in (
        (night, {"export.json": {a: {"mode": "remediate"}}}),
        (
            tonight,
            {"one.json": {a: {"mode": "accelerate"}}, "two.json": {b: {"mode": "remediate"}}},
        ),
    ):
        exports = tmp_path / f"exports-{day}"
        exports.mkdir()
        for name, chosen in files.items():
            doc = {"format": "adaptive-overrides", "version": 1, "class_id": klass, "date": day,
                   "students": chosen}  # fmt: skip
            (exports / name).write_text(json.dumps(doc))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tonight's two files are set aside, said so
            run_daily_job(day, batch, **d.job_args(overrides=exports))
    site = tmp_path / "site"
    build_site(batch, tonight, site, catalog=d.catalog, profiles=d.profiles, class_id=klass)
    html = next(site.glob(f"**/{klass}/index.html")).read_text()
    said = " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())
    assert "has other choices than another file of the class with the same date" in said
    assert "their dates cannot tell which is your last" in said
    assert f"it shows the choices the night of {night} applied" in said
    row = re.search(rf'<tr data-student="{re.escape(a)}">.*?</tr>', html, re.S).group(0)
    assert 'value="remediate" selected' in row  # the night before's choice, not tonight's
    other = re.search(rf'<tr data-student="{re.escape(b)}">.*?</tr>', html, re.S).group(0)
    assert " selected" not in other
