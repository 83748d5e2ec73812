"""A vendor's trial of `DiagnosticSession.answer`: `answer(1.0)` and `answer(np.float64(0.0))`
were refused while `np.int64` and `np.bool_` were taken (and the sheet readers take "1.0"); a
stateless per-request server that saved a session after `next_question()` and resumed it to
absorb the answer got "no question is pending", the question it showed named or not."""

from __future__ import annotations

import json

import numpy as np
import pytest
from diagnostic_fixtures import grades_catalog

from adaptive.curriculum import LearnerProfile
from adaptive.placement import DiagnosticError, PlacementDiagnostic
from adaptive.placement.diagnostic import DiagnosticSession, Question


def diagnostic() -> PlacementDiagnostic:
    return PlacementDiagnostic(grades_catalog(), [LearnerProfile("s", grade=4)], max_questions=5)


def answered_once(diag: PlacementDiagnostic) -> tuple[DiagnosticSession, Question]:
    """A session of student "s" whose first question is answered right, and that question."""
    session = diag.start("s")
    first = session.next_question()
    session.answer(1, question=first)
    return session, first


@pytest.mark.parametrize("correct", [1.0, 0.0, np.float64(1.0), np.float32(0.0)])
def test_a_float_that_is_exactly_0_or_1_is_an_answer(correct) -> None:
    session = diagnostic().start("s")
    q = session.next_question()
    session.answer(correct, question=q.skill)
    assert session.answers == [(q, int(correct))]


@pytest.mark.parametrize("correct", [0.5, np.float64(np.nan), 2.0])
def test_another_float_is_refused_saying_what_is_expected(correct) -> None:
    session = diagnostic().start("s")
    session.next_question()
    with pytest.raises(DiagnosticError, match=r"expected 0 \(wrong\) or 1 \(correct\)"):
        session.answer(correct)
    assert session.n_answered == 0


def test_a_session_saved_with_its_question_pending_is_answered_after_resume() -> None:
    diag = diagnostic()
    session, first = answered_once(diag)
    shown = session.next_question()
    saved = json.loads(json.dumps(session.to_dict()))  # request 1 ends: saved
    assert saved["pending"] == shown.skill
    resumed = diag.resume(**saved)  # request 2: the student's answer arrives
    resumed.answer(0, question=shown.skill)
    assert resumed.answers == [(first, 1), (shown, 0)]
    session.answer(0, question=shown.skill)
    assert resumed.next_question() == session.next_question()
    retried = diag.resume(**saved)  # a retried request 2 on the saved session: still pending
    with pytest.raises(DiagnosticError, match="pending question is"):
        retried.answer(0, question=first.skill)


def test_a_saved_pending_question_is_checked() -> None:
    diag = diagnostic()
    session, q = answered_once(diag)
    data = session.to_dict()
    assert "pending" not in data  # none asked since
    with pytest.raises(DiagnosticError, match="pending question .* was already answered"):
        diag.resume(**data, pending=q.skill)
    with pytest.raises(DiagnosticError, match="did you mean 'g4.a1'"):
        diag.resume(**data, pending="G4.a1")
