"""An ed-tech vendor's trial of the answer-sheet import (`PlacementDiagnostic.replay`).

A sheet with an unknown question, an empty id, a "maybe", a wrong-case id, bad times, a
question answered twice and a student the prior lacks was refused one batch at a time: the
cells' problems first; once fixed, the order's; then the twice-answered question; then the
student outside the prior (named by the role, 'student_id', not the file's own column)."""

from __future__ import annotations

import pytest
from diagnostic_fixtures import grades_catalog

from adaptive.curriculum import LearnerProfile
from adaptive.errors import DataValidationError
from adaptive.placement import DiagnosticError, PlacementDiagnostic

IDS = ("L-01", "L-02", "0042")
COLUMNS = {"student_id": "Learner", "question": "Item", "correct": "Right", "order": "Answered at"}


def diagnostic() -> PlacementDiagnostic:
    profiles = [LearnerProfile(s, grade=4) for s in IDS]
    return PlacementDiagnostic(grades_catalog(), profiles, max_questions=6)


def refusal(tmp_path, text: str) -> str:
    path = tmp_path / "app_export.csv"
    path.write_text("Learner,Item,Right,Answered at\n" + text)
    with pytest.raises(DataValidationError) as refused:
        diagnostic().replay(path, columns=COLUMNS, correct_values="Yes", incorrect_values="No")
    return str(refused.value)


def test_every_problem_of_every_row_is_one_error(tmp_path) -> None:
    message = refusal(
        tmp_path,
        "L-01,g4.a1,Yes,2027-01-10 10:00:01\n"  # 2
        "L-01,g4.x9,Yes,2027-01-10 10:00:02\n"  # 3 unknown question
        ",g4.a1,Yes,2027-01-10 10:00:03\n"  # 4 empty id
        "L-02,g4.a1,maybe,2027-01-10 10:00:04\n"  # 5 neither yes nor no
        "L-02,G4.a2,Yes,2027-01-10 10:00:05\n"  # 6 wrong case
        "L-02,g4.a3,Yes,\n"  # 7 no time
        "L-02,g4.a4,Yes,yesterday\n"  # 8 no time
        "L-01,g4.a1,No,2027-01-10 10:01:00\n"  # 9 answered twice
        "L-99,g4.a1,Yes,2027-01-10 10:02:00\n",  # 10 not in the prior
    )
    for said in (
        "line 3, column 'Item': got 'g4.x9'",
        "line 4, column 'Learner': got ''; expected a non-empty id",
        "line 5, column 'Right': got 'maybe'",
        "line 6, column 'Item': got 'G4.a2'",
        "line 7, column 'Answered at': got ''; expected a number",
        "line 8, column 'Answered at': got 'yesterday'",
        "line 9, column 'Item': got 'g4.a1'; expected each question once per student (line 2",
        "line 10, column 'Learner'; expected a student of the diagnostic's prior placement",
    ):
        assert said in message, message
    assert "9 problems" not in message and "8 problems in the input" in message, message
    assert "L-99" not in message and "L-01" not in message


def test_bad_rows_do_not_make_problems_of_their_own(tmp_path) -> None:
    """Two unknown questions of one student are no question answered twice, and two answers
    without a time are no two answers at one time."""
    message = refusal(
        tmp_path,
        "L-01,g4.x8,Yes,2027-01-10 10:00:01\n"
        "L-01,g4.x9,Yes,2027-01-10 10:00:02\n"
        "L-02,g4.a1,Yes,\n"
        "L-02,g4.a2,Yes,\n",
    )
    assert "4 problems in the input" in message, message
    assert "once per student" not in message and "one answer of the student per order" not in (
        message
    )


def test_a_student_whose_leading_zero_was_lost_is_said_so_without_the_id(tmp_path) -> None:
    """'42' for the profile '0042' was "expected a student of the diagnostic's prior
    placement", with no word of the leading zero the roster and placement readers give."""
    message = refusal(tmp_path, "42,g4.a1,Yes,1\nL-99,g4.a1,Yes,2\n")
    lost, other = message.splitlines()[1:3]
    assert "line 2, column 'Learner'; expected a student of the diagnostic's prior" in lost
    assert "leading zeros" in lost and "keep ids as text" in lost, lost
    assert "line 3, column 'Learner'" in other and "leading zero" not in other, other
    assert "0042" not in message and "L-99" not in message


def test_starting_a_student_whose_id_lost_its_leading_zeros_says_so() -> None:
    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("00123", grade=4)])
    with pytest.raises(DiagnosticError, match="leading zeros") as refused:
        diag.start(123)
    assert "00123" not in str(refused.value)
    with pytest.raises(DiagnosticError) as refused:
        diag.start("777")
    assert "leading zero" not in str(refused.value)
