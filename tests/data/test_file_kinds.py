"""`adaptive.data.kinds`: what a refused file looks like, told from its header or first bytes,
for the hint a reader gives (a placement table given as --profiles: give it as --placement)."""

from __future__ import annotations

import pandas as pd
import pytest

from adaptive.data.kinds import (
    ANSWER_SHEET,
    CATALOG,
    CSV_TABLE,
    LOG,
    PLACEMENT,
    PROFILES,
    ROSTER,
    file_kind,
    header_kind,
    refusal_hint,
)


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        (["student_id", "skill_id", "mastery", "source"], PLACEMENT),
        (["Learner Ref", "Skill Code", "Mastery %"], PLACEMENT),
        (["Student ID", "Standard", "Score"], PLACEMENT),
        (["student_id", "item_id", "skill_ids", "correct", "timestamp"], LOG),
        (["SIS ID", "Last Name", "Grade Level", "Homeroom"], ROSTER),
        (["student_id", "grade", "class_id"], ROSTER),
        (["StudentNumber", "Course", "FinalGrade"], None),  # a transcript: a course grade
        (["student_id", "question", "correct"], ANSWER_SHEET),  # review #22: not a log
        (["Student", "Question", "Correct", "Answered at"], ANSWER_SHEET),
        (["student_id", "question_id", "correct", "timestamp"], LOG),  # a log of questions
        # a trial's log: a placement table's student, standard and score, and an item, a time
        (["StudentID", "ItemCode", "StandardCode", "Score", "Timestamp"], LOG),
        (["Student ID", "Standard", "Score", "Timestamp"], None),  # a log of skills, not placed
        # a trial's LMS export: a question and a correct column, and a skill column beside
        # them (a sheet's question is its skill): a log, not a diagnostic's answer sheet
        (["Learner ID", "Question ID", "Standard Code", "Correct?", "Submitted At"], LOG),
        (["student_id", "question", "skill_id", "correct"], LOG),
    ],
)
def test_a_header_says_its_kind(header, kind) -> None:
    assert header_kind(header) is kind


def test_a_files_kind_is_told_from_its_header_or_first_bytes(tmp_path) -> None:
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text('{"grade": 6, "student_id": "s1"}\n{"student_id": "s2"}\n')
    catalog = tmp_path / "catalog.json"
    catalog.write_text('{\n "skills": [\n  {"id": "a"}\n ],\n "activities": []\n}\n')
    log = tmp_path / "log.parquet"
    pd.DataFrame({"student_id": ["s1"], "item_id": ["q"], "correct": [1]}).to_parquet(log)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    assert file_kind(profiles) is PROFILES and file_kind(catalog) is CATALOG
    assert file_kind(log) is LOG and file_kind(other) is CSV_TABLE
    assert file_kind(tmp_path / "missing.csv") is None


def test_the_hint_is_silent_for_the_kind_read(tmp_path) -> None:
    """A placement table refused as a placement table has problems of its own: no hint. (The
    test read a missing file, which has no kind: it passed whatever the rule said.)"""
    placed = tmp_path / "placed.csv"
    placed.write_text("student_id,skill_id,mastery\ns1,a,0.8\n")
    assert file_kind(placed) is PLACEMENT
    assert refusal_hint(file_kind(placed), "placement") == ""
    assert refusal_hint(file_kind(placed), "profiles").startswith("this looks like a placement")


def test_the_hint_is_silent_for_a_file_of_no_kind_another_option_reads(tmp_path) -> None:
    """Review #8: any CSV of two columns was hinted "it is a CSV file", as if that helped."""
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    assert file_kind(other) is CSV_TABLE
    for reading in ("placement", "profiles", "catalog", "log"):
        assert refusal_hint(file_kind(other), reading) == ""
    assert refusal_hint(None, "placement") == ""


def test_the_hint_names_the_kind_and_the_option(tmp_path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("SIS ID,Grade Level\n1,6\n")
    assert refusal_hint(file_kind(roster), "placement") == (
        "this looks like a roster (student and grade columns): make profiles of it, naming its "
        "columns (`adaptive profiles ROSTER --columns 'student_id=...,grade=...' --out "
        "profiles.jsonl`), and give them as --profiles (read_profiles(path, columns={...}))"
    )
    assert refusal_hint(file_kind(roster), "profiles") == ""  # read by naming its columns


def test_an_answer_sheet_given_as_a_placement_is_sent_to_replay(tmp_path) -> None:
    """Review #22: an answer sheet was called a response log: give it as --data."""
    sheet = tmp_path / "answers.csv"
    sheet.write_text("student_id,question,correct\ns1,a,1\n")
    assert refusal_hint(file_kind(sheet), "placement") == (
        "this looks like a diagnostic's answer sheet (student, question, correct): give it to "
        "PlacementDiagnostic.replay"
    )


def test_no_two_readers_of_the_data_package_share_a_public_name():
    """`validate.refusal_hint(cells, n_rows, ...)` (a log's refused cells) and
    `kinds.refusal_hint(kind, reading, ...)` (a file of another kind) were two public functions
    of one name: a reader of `io.py` could not tell which one it called without its import.
    The first is `refusals.refused_cells_hint` now."""
    import importlib
    import inspect
    import pkgutil
    from collections import defaultdict

    import adaptive.data

    defined = defaultdict(list)
    for info in pkgutil.iter_modules(adaptive.data.__path__, "adaptive.data."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            own = getattr(obj, "__module__", None) == module.__name__
            if own and not name.startswith("_") and inspect.isfunction(obj):
                defined[name].append(module.__name__)
    assert {name: where for name, where in defined.items() if len(where) > 1} == {}
