"""`adaptive validate` and `adaptive datasets`: counts on good input, exit code 2 on bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from adaptive.cli import app, run
from adaptive.data import load_log
from adaptive.errors import DataNoteWarning, DataValidationError

runner = CliRunner()
GOOD = "user,item,tags,ok,t\nu1,i1,a;b,1,1\nu1,i2,b,0,2\nu2,i1,a,1,1\n"


def test_validate_with_column_flags_prints_counts(tmp_path):
    path = tmp_path / "own.csv"
    path.write_text(GOOD)
    result = runner.invoke(
        app,
        [
            "validate",
            str(path),
            "--student-col",
            "user",
            "--item-col",
            "item",
            "--skills-col",
            "tags",
            "--skills-sep",
            ";",
            "--correct-col",
            "ok",
            "--time-col",
            "t",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rows read" in result.output and "No problems found" in result.output
    assert "multi skill responses" in result.output


def test_validate_quarantine_reports_both_counts(tmp_path):
    path = tmp_path / "own.csv"
    path.write_text(GOOD + "u2,i2,a,maybe,2\n")
    qpath = tmp_path / "rejected.csv"
    result = runner.invoke(
        app,
        [
            "validate",
            str(path),
            "--student-col",
            "user",
            "--item-col",
            "item",
            "--skills-col",
            "tags",
            "--correct-col",
            "ok",
            "--time-col",
            "t",
            "--quarantine",
            str(qpath),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rows quarantined" in result.output and "1 row written" in result.output
    assert pd.read_csv(qpath)["line"].tolist() == [5]


def test_validate_bad_file_raises_the_library_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("student_id,item_id,skill_ids,correct\ns,i,k,5\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert isinstance(result.exception, DataValidationError)


def test_validate_exits_2_with_the_problem_list_and_no_traceback(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("student_id,item_id,skill_ids,correct\ns,i,k,5\n")
    proc = subprocess.run(
        [sys.executable, "-c", "from adaptive.cli import main; main()", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert proc.returncode == 2
    assert "line 2, column 'correct': got '5'; expected 0 or 1" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_datasets_list_and_describe(shared_datasets):
    listed = runner.invoke(app, ["datasets", "list"])
    assert listed.exit_code == 0 and "statics2011" in listed.output
    described = runner.invoke(app, ["datasets", "describe", "statics2011-gervet-test"])
    assert described.exit_code == 0, described.output
    assert "33,600" in described.output and "pct correct" in described.output


def test_validate_a_file_with_a_dataset_descriptor(shared_datasets, tmp_path):
    src = shared_datasets / "statics2011/gervet2020/preprocessed_data_test.csv"
    sample = tmp_path / "sample.tsv"
    sample.write_text("".join(src.read_text().splitlines(keepends=True)[:101]))
    result = runner.invoke(app, ["validate", str(sample), "--dataset", "statics2011-gervet-test"])
    assert result.exit_code == 0, result.output
    assert "100" in result.output


def test_validate_a_dataset_by_name_without_a_file(shared_datasets):
    result = runner.invoke(app, ["validate", "--dataset", "statics2011-gervet-test"])
    assert result.exit_code == 0, result.output
    assert "33,600" in result.output


def test_validate_needs_a_file_or_a_dataset():
    result = runner.invoke(app, ["validate"])
    assert "give a FILE" in str(result.exception)


def test_validate_writes_through_a_link_and_refuses_a_pipe_for_quarantine_or_out(tmp_path, capsys):
    """A user's trial: `--quarantine PATH` replaced a symlink by a plain file (its target left
    as it was), a FIFO by a plain file and, as root, /dev/full by a CSV file (exit 0). Now the
    link's target gets the rows and the link stays; a pipe or device is one error, exit 2."""
    from adaptive.cli import run

    path = tmp_path / "own.csv"
    path.write_text("student_id,item_id,skill_ids,correct\nu1,i1,a,1\nu1,i2,b,maybe\n")
    (tmp_path / "rejected.csv").write_text("old\n")
    (tmp_path / "link.csv").symlink_to("rejected.csv")
    assert run(["validate", str(path), "--quarantine", str(tmp_path / "link.csv")]) == 0
    assert (tmp_path / "link.csv").is_symlink()
    assert pd.read_csv(tmp_path / "rejected.csv")["line"].tolist() == [3]
    capsys.readouterr()
    for option, name in (("--quarantine", "pipe.csv"), ("--out", "pipe.parquet")):
        os.mkfifo(tmp_path / name)
        assert run(["validate", str(path), option, str(tmp_path / name)]) == 2
        err = " ".join(capsys.readouterr().err.split())
        assert (
            f"{tmp_path / name} is not a regular file (a device or pipe): give a file path" in err
        )
        assert (tmp_path / name).is_fifo() and "Traceback" not in err


def test_a_column_without_a_name_is_shown_as_one(tmp_path):
    """A data scientist's trial: a pandas index saved with the data (an empty header cell) was
    a blank under "columns not used"."""
    path = tmp_path / "indexed.csv"
    path.write_text(",student_id,item_id,skill_ids,correct,order\n0,u1,i1,a,1,1\n1,u2,i1,a,0,1\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "(a column without a name)" in result.output


def _catalog_file(tmp_path, **changes) -> str:
    """A two-skill catalog file (skills 'a' and 'b'), with `changes` to its JSON."""
    from adaptive.curriculum import Activity, Catalog, Skill

    catalog = Catalog(
        (Skill("a", "A", grade=3), Skill("b", "B", ("a",), grade=4)),
        (Activity("a1", "A one", ("a",), topics=("art",)),
         Activity("b1", "B one", ("b",), topics=("space",), kind="review")),
    )  # fmt: skip
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({**catalog.to_dict(), **changes}))
    return str(path)


def test_validate_checks_a_catalog_alone_and_prints_what_it_holds(tmp_path):
    """A district's trial: no command checked a catalog file on its own (`validate` had no
    --catalog); a catalog was checked only beside a log, by a command that then used it."""
    result = runner.invoke(app, ["validate", "--catalog", _catalog_file(tmp_path)])
    assert result.exit_code == 0, result.output
    for shown in ("2 (1 prerequisite link)", "3, 4", "practice 1, review 1", "2: art, space"):
        assert shown in result.output


@pytest.mark.parametrize(("text", "got"), [("", "an empty file"), (" \n\n", "blank space only")])
def test_an_empty_json_file_is_one_error_naming_it_and_what_it_should_hold(
    tmp_path, capsys, text, got
):
    """A trial's empty catalog file (0 bytes, or blank lines) was told the JSON parser's
    "Expecting value: line 1 column 1 (char 0)". The shared reader of a user's text file says
    it is empty and what was expected, for a catalog and a placement skill map alike; a
    sealed experiment file says it is empty too."""
    from adaptive.experiment.assign import Assignment, AssignmentError
    from adaptive.placement.table import read_skill_map

    path = tmp_path / "catalog.json"
    path.write_text(text)
    assert run(["validate", "--catalog", str(path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{path}: got '{got}'; expected a catalog JSON file: one object of \"skills\"" in err
    assert "Expecting value" not in err
    with pytest.raises(DataValidationError, match=f"got '{got}'; expected a skill map: a CSV"):
        read_skill_map(path)
    with pytest.raises(AssignmentError, match=": an empty file; the file is truncated"):
        Assignment.load(path)


def test_validate_a_bad_catalog_alone_is_one_error_exit_2(tmp_path, capsys):
    path = _catalog_file(tmp_path, topics=["art"])
    assert run(["validate", "--catalog", path]) == 2
    err = capsys.readouterr().err
    assert f"Invalid value for '--catalog': {path}: not a valid catalog file (activities[1]" in err
    assert "topic 'space' is not in the catalog's" in err and "Traceback" not in err


def test_validate_a_log_against_a_catalog_names_the_skill_ids_it_lacks(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("student_id,item_id,skill_ids,correct\ns1,i1,A,1\ns1,i2,b,0\n")
    with pytest.warns(DataNoteWarning, match=r"1 skill id the catalog does not have: 'A' \(1; "
                      r"did you mean 'a'\?\)"):  # fmt: skip
        result = runner.invoke(app, ["validate", str(log), "--catalog", _catalog_file(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "rows read" in result.output and "Every skill id of the log" not in result.output
    # a trial's: "No problems found." came before the warning; it is not said beside one now
    assert "No problems found" not in result.output
    assert "No errors; 1 warning above: read it before serving this log." in result.output
    log.write_text("student_id,item_id,skill_ids,correct\ns1,i1,a,1\ns1,i2,b,0\n")
    result = runner.invoke(app, ["validate", str(log), "--catalog", _catalog_file(tmp_path)])
    assert result.exit_code == 0 and "Every skill id of the log is a skill of" in result.output
    assert result.output.rstrip().endswith("No problems found.")


def test_answers_on_an_activity_tagged_with_other_skills_than_the_catalogs_are_said(tmp_path):
    """A high-school district's trial: 699 answers on the catalog's "mixed review" activities
    tagged other skills than the catalog gives those activities, and `validate --catalog` said
    "Every skill id of the log is a skill of catalog.json." and nothing else: the model learns
    from the log's tags while the recommendations read the catalog's. A tag more, or one
    missing, is counted, with the commonest activity's two lists; an item that is no activity
    (a question id) is not."""
    log = tmp_path / "log.csv"
    log.write_text(
        "student_id,item_id,skill_ids,correct\n"
        "s1,a1,a,1\ns1,b1,a;b,0\ns2,b1,a,1\ns2,b1,b,1\ns2,q7,a;b,1\ns3,a1,a;zz,1\n"
    )  # s3's 'zz' is no catalog skill: the other warning's, not counted here
    with pytest.warns(DataNoteWarning, match=r"2 of the 4 answers on catalog activities tag other "
                      r"skills than the catalog gives their activity \(the commonest, 'b1': the "
                      r"log tags 'a; b', the catalog 'b'\)"):  # fmt: skip
        result = runner.invoke(
            app, ["validate", str(log), "--catalog", _catalog_file(tmp_path), "--skills-sep", ";"]
        )
    assert result.exit_code == 0, result.output
    assert "No errors; 2 warnings above" in result.output  # and one of zz and q7 (no activity)


def test_a_few_multi_skill_cells_read_as_one_skill_are_named_with_the_separator(tmp_path):
    """A data scientist's trial: an export joining a response's skills with ';' in a few rows
    (3 of 90,000: too few for the load report's separator note) read those cells as one skill
    each, and the catalog warning said "Correct the export (or the catalog)". Each part is a
    catalog skill: the warning says which option reads the cell as a list."""
    log = tmp_path / "log.csv"
    rows = "".join(f"s{i},i{i},a,1\n" for i in range(40))
    log.write_text("student_id,item_id,skill_ids,correct\n" + rows + "s1,p1,a;b,1\n")
    with pytest.warns(DataNoteWarning, match=r"'a;b' \(1; a list of catalog skills: read the "
                      r"column with --skills-sep ';' \(skills_sep\)\)"):  # fmt: skip
        result = runner.invoke(app, ["validate", str(log), "--catalog", _catalog_file(tmp_path)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "option", [["--out", "x.parquet"], ["--quarantine", "q.csv"], ["--timezone", "UTC"]]
)
def test_validate_a_catalog_alone_refuses_options_about_a_log(tmp_path, capsys, option):
    code = run(["validate", "--catalog", _catalog_file(tmp_path), option[0],
                str(tmp_path / option[1])])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert f"{option[0]} goes with a response log" in err, err


def placement_files(tmp_path):
    """A catalog of three skills, two profiles, and a vendor's table with its own columns."""
    from adaptive.curriculum import Activity, Catalog, Skill

    catalog = Catalog(
        tuple(Skill(s, grade=5) for s in ("g5.A", "g5.B", "g5.C")),
        (Activity("a1", "Practise A", ("g5.A",)),),
    )
    (tmp_path / "catalog.json").write_text(json.dumps(catalog.to_dict()))
    (tmp_path / "profiles.jsonl").write_text(
        '{"student_id": "s1", "grade": 5}\n{"student_id": "s2", "grade": 5}\n'
    )
    table = tmp_path / "vendor.csv"
    table.write_text(
        "Learner Ref,Skill Code,Mastery\ns1,g5.A,0.9\ns1,g5.B,0.2\ns2,g5.A,0.5\ns3,g5.C,0.4\n"
    )
    return table, ["--catalog", str(tmp_path / "catalog.json")]


def test_validate_checks_a_placement_table_as_a_night_reads_it(tmp_path, capsys):
    """`validate` had no way to check a placement table: it read one as a response log, and
    advised --student-col, --item-col... The office could only run a night to find out."""
    table, catalog = placement_files(tmp_path)
    columns = ["--placement-columns", "student_id=Learner Ref,skill_id=Skill Code,mastery=Mastery"]
    profiles = ["--profiles", str(tmp_path / "profiles.jsonl")]
    code = run(["validate", "--placement", str(table), *columns, *catalog, *profiles])
    out, err = capsys.readouterr()
    assert code == 0, err
    for measure, value in (("rows", "4"), ("students", "3"), ("skills", "3 of the catalog's 3"),
                           ("students in no profile", "1"), ("mastery", "0.2 to 0.9")):  # fmt: skip
        assert measure in out and value in out, out
    assert "'placed from vendor.csv': 3" in out
    assert "1 of its 3 students is in no profile" in err  # the night's warning, counted
    # a mistake is the reader's one error, exit 2
    table.write_text("Learner Ref,Skill Code,Mastery\ns1,g5.A,85,5 %\n")
    assert run(["validate", "--placement", str(table), *columns, *catalog]) == 2
    assert "line 2" in capsys.readouterr().err
    assert run(["validate", "--placement", str(table), *columns]) == 2  # no catalog
    assert "give --catalog CATALOG too" in capsys.readouterr().err


def test_a_placement_table_given_as_a_log_gets_the_placement_hint(tmp_path, capsys):
    """`validate vendor.csv` gave a log's four missing-column problems and no word that it is
    a placement table."""
    table, catalog = placement_files(tmp_path)
    assert run(["validate", str(table), *catalog]) == 2
    err = capsys.readouterr().err
    assert f"{table}: this looks like a placement table" in err
    assert "give it as --placement (read_placement)" in err


#: A district's log: its answers are a "Score", its skills a standard (a placement table's
#: words), beside an item and a time, and the columns that name them.
DISTRICT_LOG_COLUMNS = [
    "--student-col", "StudentID", "--item-col", "ItemCode", "--skill-col", "StandardCode",
    "--correct-col", "Score", "--time-col", "Timestamp",
]  # fmt: skip


@pytest.mark.parametrize(
    ("cells", "hint"),
    [
        (
            ["0,09/08/2026 08:19", "1,09/08/2026 08:51"],
            "Every one of the 2 rows was refused",
        ),  # US dates
        (
            ["N,2026-09-08T08:19", "Y,2026-09-08T08:51"],
            "Every one of the 2 rows was refused",
        ),  # Y/N
        (  # points: the threshold first, then the quarantine
            ["0,2026-09-08T08:19", "85,2026-09-08T08:51"],
            "1 row (50%) of column 'Score' holds a score other than 0 and 1 (such as 85): to "
            "read them as answers, give correct_threshold=T (--correct-threshold T) rather than "
            "set them aside. To load the other rows",
        ),
    ],
)
def test_a_logs_bad_values_get_the_logs_hint_not_a_placement_tables(
    tmp_path, capsys, cells, hint
) -> None:
    """A user trial: a log whose values were written otherwise (US dates, Y/N, points) was
    refused well, then called "a placement table (student_id, skill_id, mastery): give it as
    --placement" for its student, standard and score columns, though it has an item and a
    time; `batch` gave the right hint. Both now give the log reader's own."""
    log = tmp_path / "log.csv"
    rows = [f"s{k},K.G.1-q{k},K.G.1,{cell}" for k, cell in enumerate(cells)]
    log.write_text("StudentID,ItemCode,StandardCode,Score,Timestamp\n" + "\n".join(rows) + "\n")
    assert run(["validate", str(log), *DISTRICT_LOG_COLUMNS]) == 2
    err = capsys.readouterr().err
    assert err.rstrip().splitlines()[-1].startswith(hint), err
    assert "placement" not in err
    with pytest.raises(DataValidationError) as caught:  # what `batch` reads a log with
        load_log(log, COLUMN_MAPPING)
    assert str(caught.value).rstrip().splitlines()[-1].startswith(hint)


#: `DISTRICT_LOG_COLUMNS` as a mapping.
COLUMN_MAPPING = {
    "student_id": "StudentID",
    "item_id": "ItemCode",
    "skill_ids": "StandardCode",
    "correct": "Score",
    "time": "Timestamp",
}


def test_a_placement_table_given_to_the_log_reader_is_named_by_it(tmp_path) -> None:
    """The hint was made by `validate` alone: `batch --data vendor.csv` (the same reader) said
    nothing of what the file is."""
    table, _ = placement_files(tmp_path)
    with pytest.raises(DataValidationError) as caught:
        load_log(table)
    assert str(caught.value).rstrip().splitlines()[-1] == (
        f"{table}: this looks like a placement table (student_id, skill_id, mastery): give it "
        "as --placement (read_placement)"
    )


def test_a_roster_given_as_the_log_says_how_to_make_profiles_of_it(tmp_path, capsys) -> None:
    """A user trial: `--data sis_roster.csv` listed the log's missing columns and, where it
    said the file was a roster, "give it as --profiles", which refuses a roster's own column
    names. It now says how to make profiles of it."""
    roster = tmp_path / "sis_roster.csv"
    roster.write_text(
        "SIS ID,Last Name,First Name,Grade Level,School Code,Homeroom\n"
        "000001,Last0,First0,2,SCH082,SCH082-2B\n"
    )
    assert run(["validate", str(roster), *DISTRICT_LOG_COLUMNS]) == 2
    last = capsys.readouterr().err.rstrip().splitlines()[-1]
    assert last == (
        f"{roster}: this looks like a roster (student and grade columns): make profiles of it, "
        "naming its columns (`adaptive profiles ROSTER --columns 'student_id=...,grade=...' "
        "--out profiles.jsonl`), and give them as --profiles (read_profiles(path, "
        "columns={...}))"
    )


def test_an_lms_export_with_its_own_column_names_gets_the_column_options_not_replay(
    tmp_path, capsys
) -> None:
    """A user trial: `validate lms_responses.csv` without column options listed the missing
    columns and ended "this looks like a diagnostic's answer sheet ... give it to
    PlacementDiagnostic.replay": its Question ID and Correct? columns were taken for a sheet's,
    beside a Standard Code column no sheet has. The column options are the answer."""
    lms = tmp_path / "lms_responses.csv"
    lms.write_text(
        "Learner ID,Question ID,Standard Code,Correct?,Submitted At,Section\n"
        "004649,M4.NF.3-prac2,M4.NF.3,Y,09/26/2026 07:52:00 AM,0102-4B\n"
    )
    assert run(["validate", str(lms)]) == 2
    err = capsys.readouterr().err
    assert "--student-col" in err and "--item-col" in err
    assert "answer sheet" not in err and "replay" not in err


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('{"grade": 6, "student_id": "stu0000042"}\n', "JSON lines of learner profiles"),
        ('{\n "skills": [],\n "activities": []\n}\n', "a catalog (skills, activities)"),
    ],
)
def test_json_given_as_the_log_is_one_problem_naming_it_never_quoted(tmp_path, text, kind) -> None:
    """Profiles given as --data were read as a CSV whose header was their first line: five
    problems each quoting a whole profile, its student id among it; a catalog's five each
    said "line 1 has one field: a title line above the header?"."""
    path = tmp_path / "given.json"
    path.write_text(text)
    with pytest.raises(DataValidationError) as caught:
        load_log(path, COLUMN_MAPPING)
    message = str(caught.value)
    assert len(caught.value.problems) == 1 and "stu0000042" not in message
    assert "given.json, line 1; expected a response log: a CSV or Parquet table" in message
    assert f"this looks like {kind}: give it as --" in message


def test_validate_reads_a_placement_table_through_its_skill_map(tmp_path, capsys):
    """Last year's export named last year's codes ("5.A" for "g5.A") and a retired skill: the
    whole table was refused, and nothing could read it as a night would without hand-editing.
    --placement-skill-map reads it as the night does, the retired rows counted."""
    table, catalog = placement_files(tmp_path)
    table.write_text(
        "student_id,skill_id,mastery\ns1,5.A,0.9\ns1,g5.B,0.2\ns2,5.A,0.5\ns2,2.Z,0.4\n"
    )
    skill_map = tmp_path / "renames.csv"
    skill_map.write_text("code,skill_id\n5.A,g5.A\n2.Z,\n")
    code = run(["validate", "--placement", str(table), *catalog,
                "--placement-skill-map", str(skill_map)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "rows" in out and "students" in out and "2 of the catalog's 3" in out, out
    said = " ".join(err.split())
    assert f"1 row of 1 retired skill (2.Z) left out, as skill map {skill_map} says" in said, said
    # a map in another form: one error naming its file and line, exit 2
    skill_map.write_text("5.A,g5.A\n")
    code = run(["validate", "--placement", str(table), *catalog,
                "--placement-skill-map", str(skill_map)])  # fmt: skip
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and f"{skill_map}, line 1: got '5.A,g5.A'; expected the header" in err, err
    # a map written the wrong way round says so; a map of a header only is no map (re-check
    # N1, N5: both were read on, into one unknown-code error per row advising a map)
    for text, said in (("code,skill_id\ng5.A,5.A\n", "the columns look swapped"),
                       ("code,skill_id\n", "has no entries (a header only)")):  # fmt: skip
        skill_map.write_text(text)
        code = run(["validate", "--placement", str(table), *catalog,
                    "--placement-skill-map", str(skill_map)])  # fmt: skip
        err = " ".join(capsys.readouterr().err.split())
        assert code == 2 and f"skill map {skill_map}" in err and said in err, err
    # the map goes with --placement
    assert run(["validate", *catalog, "--placement-skill-map", str(skill_map)]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert (
        "--placement-skill-map is for reading a placement file given as --placement: pass the "
        "file too"
    ) in said


def test_validate_does_not_print_a_source_column_of_whole_numbers(tmp_path, capsys):
    """A source column of whole numbers (the student number column named as the source) was
    printed by `validate --placement`, three values, ids perhaps, though the table's own
    warning refuses to quote them; now counted, not shown. `--profiles` alone says 'goes'."""
    table, catalog = placement_files(tmp_path)
    table.write_text("Learner Ref,Skill Code,Mastery,Number\ns1,g5.A,0.9,4501\ns2,g5.A,0.5,4502\n")
    columns = ["--placement-columns", "Learner Ref,Skill Code,Mastery,Number"]
    assert run(["validate", "--placement", str(table), *columns, *catalog]) == 0
    out = capsys.readouterr().out
    assert "2 sources, all whole numbers (not shown)" in out and "4501" not in out
    # a table none of whose students a night knows passes, but not in silence (re-check N6)
    assert "not checked against the roster: give --profiles" in " ".join(out.split())
    assert run(["validate", *catalog, "--profiles", str(tmp_path / "profiles.jsonl")]) == 2
    assert "--profiles is for --placement FILE" in capsys.readouterr().err


def test_validate_leaves_out_blank_and_identical_placement_rows_only_when_asked(tmp_path, capsys):
    """A vendor export with blanks ("not assessed") and a double export was refused whole:
    still refused without the flag, naming it; with --placement-quarantine the rows are left
    out, counted in one warning (no student id) and written aside with their reasons."""
    table, catalog = placement_files(tmp_path)
    columns = ["--placement-columns", "Learner Ref,Skill Code,Mastery"]
    table.write_text("Learner Ref,Skill Code,Mastery\ns1,g5.A,0.9\ns1,g5.B,\ns1,g5.A,0.9\n")
    base = ["validate", "--placement", str(table), *columns, *catalog]
    assert run(base) == 2
    assert "--placement-drop-blank-and-identical" in " ".join(capsys.readouterr().err.split())
    quarantine = tmp_path / "rejected.csv"
    assert run([*base, "--placement-quarantine", str(quarantine)]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "2 rows left out, as asked" in err and "s1" not in err.replace(str(tmp_path), ""), err
    assert pd.read_csv(quarantine)["line"].tolist() == [3, 4]
    assert run([*base, "--placement-drop-blank-and-identical"]) == 0
    # a conflicting copy is still refused
    table.write_text("Learner Ref,Skill Code,Mastery\ns1,g5.A,0.9\ns1,g5.A,0.3\n")
    assert run([*base, "--placement-drop-blank-and-identical"]) == 2
    # the flags go with --placement
    assert run(["validate", *catalog, "--placement-drop-blank-and-identical"]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "--placement-drop-blank-and-identical is for reading a placement file" in said


def test_placement_options_without_a_file_are_refused_in_one_wording_everywhere(
    tmp_path, capsys
) -> None:
    """The rule "these options read a --placement file" was written three times: the night,
    `recommend` ("go with a --placement file", whatever the count) and `validate` ("goes/go
    with --placement FILE"), in two error classes. Now one `ConfigError` with one wording, and
    `recommend` says it before it reads the log and fits a model; each in its user's terms
    (trial 53): the commands' flags, the night's keywords."""
    from adaptive.batch import run_daily_job
    from adaptive.errors import ConfigError

    _, catalog = placement_files(tmp_path)
    options = ["--placement-columns", "A,B,C", "--placement-quarantine", str(tmp_path / "q.csv")]
    said = (
        "--placement-columns and --placement-quarantine are for reading a placement file given "
        "as --placement: pass the file too"
    )
    for argv in (["validate", *catalog, *options], ["recommend", "--student", "s1", *options]):
        assert run(argv) == 2
        assert said in " ".join(capsys.readouterr().err.split()), argv
    columns = {"student_id": "A", "skill_id": "B", "mastery": "C"}
    said = (
        "placement_columns= and placement_quarantine= are for reading a placement file given as "
        "placement=: pass the file too"
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(said)}$"):
        run_daily_job("2026-09-01", tmp_path / "out", placement_columns=columns,
                      placement_quarantine=tmp_path / "q.csv")  # fmt: skip


def test_a_quarantine_path_that_is_an_input_of_the_command_is_refused_before_it_is_written(
    tmp_path, capsys
):
    """`--placement-quarantine` (and the log's `--quarantine`) given the path of the catalog
    replaced the catalog with the rejected rows, exit 0: only the file being read was
    checked. Now a quarantine path that is any input of the command, or inside a folder it
    uses, is one error naming both options, exit 2, and nothing is written."""
    table, catalog = placement_files(tmp_path)
    catalog_path = tmp_path / "catalog.json"
    before = catalog_path.read_bytes()
    columns = ["--placement-columns", "Learner Ref,Skill Code,Mastery"]
    base = ["validate", "--placement", str(table), *columns, *catalog]
    assert run([*base, "--placement-quarantine", str(tmp_path / "." / "catalog.json")]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "--placement-quarantine" in said and "the same file as --catalog" in said, said
    log = tmp_path / "log.csv"
    log.write_text(GOOD)
    assert run(["validate", str(log), *catalog, "--quarantine", str(catalog_path)]) == 2
    assert "--quarantine" in capsys.readouterr().err
    assert run(["validate", str(log), "--quarantine", str(log)]) == 2
    assert "the same file as FILE" in " ".join(capsys.readouterr().err.split())
    assert catalog_path.read_bytes() == before and log.read_text() == GOOD


def test_one_path_for_both_quarantines_is_refused(tmp_path, capsys):
    """`--quarantine Q --placement-quarantine Q`: the log's quarantine, written last,
    replaced the placement's rejected rows with its header alone, exit 0. Now refused."""
    table, catalog = placement_files(tmp_path)
    log = tmp_path / "log.csv"
    log.write_text(GOOD)
    both = str(tmp_path / "rejected.csv")
    argv = ["validate", str(log), "--placement", str(table), *catalog, "--placement-columns",
            "Learner Ref,Skill Code,Mastery", "--quarantine", both, "--placement-quarantine", both]  # fmt: skip
    assert run(argv) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "--quarantine" in said and "the same file as --placement-quarantine" in said, said
    assert not (tmp_path / "rejected.csv").exists()


def test_validate_writes_the_placement_table_as_read_to_out(tmp_path, capsys):
    """`validate --placement ... --out CLEAN` ignored --out without a word (exit 0, no file),
    and the Spark engine's advice to write the table without its blank and repeated rows
    named no command that writes it. Now --out writes the rows read, after the drops, in the
    columns --placement reads back with no option; another suffix is refused first."""
    table, catalog = placement_files(tmp_path)
    table.write_text("Learner Ref,Skill Code,Mastery\ns1,g5.A,0.9\ns1,g5.B,\ns1,g5.A,0.9\n")
    clean = tmp_path / "clean.csv"
    base = ["validate", "--placement", str(table), *catalog, "--placement-columns",
            "Learner Ref,Skill Code,Mastery", "--placement-drop-blank-and-identical"]  # fmt: skip
    assert run([*base, "--out", str(tmp_path / "clean.parquet")]) == 2
    assert "give a path ending in .csv" in capsys.readouterr().err
    assert run([*base, "--out", str(clean)]) == 0
    written = pd.read_csv(clean, dtype=str)
    assert written[["student_id", "skill_id", "mastery"]].values.tolist() == [["s1", "g5.A", "0.9"]]
    assert run(["validate", "--placement", str(clean), *catalog]) == 0
    # --out never replaces an input: the table itself (a re-read's trial), nor the catalog
    before = table.read_bytes()
    assert run([*base, "--out", str(table.with_suffix(".csv"))]) == 2
    assert "is the same file as --placement" in capsys.readouterr().err
    assert table.read_bytes() == before


def test_validate_refuses_a_blank_mastery_naming_its_own_flags_never_pandas(tmp_path, capsys):
    """L2a of the field trial: `validate --placement` refused a blank mastery advising
    "frame.dropna(subset=['mastery'])" to an office with a CSV. Now exit 2, what to fix in the
    file, and the command's flags."""
    table, catalog = placement_files(tmp_path)
    table.write_text("student_id,skill_id,mastery\ns1,g5.A,\ns1,g5.B,0.2\n")
    assert run(["validate", "--placement", str(table), *catalog]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Traceback" not in err and "dropna" not in err, err
    assert "line 2, column 'mastery': got ''" in err, err
    assert "write the mastery, or delete the row" in err, err
    assert "--placement-drop-blank-and-identical" in err and "--placement-quarantine FILE" in err


def test_a_refused_placement_file_names_the_command_flags_only(tmp_path, capsys):
    """Trial 53: a command's refusal of a placement table's blank and repeated rows said
    "placement_drop_blank_and_identical (--placement-drop-blank-and-identical)", a Python
    keyword first, to a user at the command line. Now exit 2, no traceback, and the options
    as the command takes them: its flags, never a keyword; so does the rule that they go with
    --placement."""
    table, catalog = placement_files(tmp_path)
    table.write_text("Learner Ref,Skill Code,Mastery\ns1,g5.A,0.9\ns1,g5.B,\ns1,g5.A,0.9\n")
    columns = ["--placement-columns", "Learner Ref,Skill Code,Mastery"]
    assert run(["validate", "--placement", str(table), *columns, *catalog]) == 2
    err = " ".join(capsys.readouterr().err.replace(str(tmp_path), "").split())
    assert "Traceback" not in err, err
    assert (
        "have them left out and counted with --placement-drop-blank-and-identical; "
        "--placement-quarantine FILE writes them aside" in err
    ), err
    assert "placement_" not in err and "drop_blank_and_identical" not in err, err
    assert run(["validate", *catalog, *columns, "--placement-drop-blank-and-identical"]) == 2
    err = " ".join(capsys.readouterr().err.replace(str(tmp_path), "").split())
    assert (
        "--placement-columns and --placement-drop-blank-and-identical are for reading a "
        "placement file given as --placement: pass the file too" in err
    ), err
