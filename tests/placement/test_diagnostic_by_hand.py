"""Defects a policy researcher met driving the placement diagnostic by hand (one student, one
question at a time): answers that moved nothing, a grade table placing a grade's last skill
below the next grade's, and the message after the last question."""

from __future__ import annotations

import numpy as np
import pytest

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.errors import ConfigError
from adaptive.placement import DiagnosticError, PlacementDiagnostic, grade_placement
from adaptive.placement.prior import GradeTable

# the researcher's own map: reading and science, grades 1-3
SKILLS = (
    Skill("phonics", grade=1),
    Skill("fluency", prerequisites=("phonics",), grade=1),
    Skill("main_idea", prerequisites=("fluency",), grade=2),
    Skill("inference", prerequisites=("main_idea",), grade=3),
    Skill("observe", grade=1),
    Skill("measure", prerequisites=("observe",), grade=2),
    Skill("hypothesis", prerequisites=("measure", "main_idea"), grade=3),
)


def catalog() -> Catalog:
    return Catalog(SKILLS, tuple(Activity(f"{s.id}@0", s.id, (s.id,)) for s in SKILLS))


def test_correct_answers_on_a_grades_last_skills_raise_them() -> None:
    """A second grader who answers every question right: the grade's last skill and the next
    grade's rise above where the grade alone placed them (they stayed at the noise floor: the
    level prior gave them no weight any answer could move)."""
    cat = catalog()
    profile = LearnerProfile("kid", grade=2)
    diag = PlacementDiagnostic(cat, prior=[profile], max_questions=7)
    session = diag.start("kid")
    start = session.beliefs.copy()
    while session.next_question() is not None:
        session.answer(1)
    end = session.beliefs
    for skill in ("main_idea", "inference", "hypothesis"):
        assert end[skill] > start[skill] + 0.02, skill


def test_a_grades_last_skill_is_placed_no_lower_than_the_next_grades() -> None:
    cat = catalog()
    placed = grade_placement(cat, [LearnerProfile("kid", grade=2)]).mastery[0]
    skill = {s.id: i for i, s in enumerate(SKILLS)}
    assert placed[skill["main_idea"]] >= placed[skill["inference"]]


@pytest.mark.parametrize(
    ("by_gap", "own", "match"),
    [
        ({-1: 0.5, 0: 0.6, 1: 0.1}, None, "gap 0 has P\\(known\\) 0.6 above gap -1"),
        ({-1: 0.9, 0: 0.4, 1: 0.1}, (0.2, 0.3), "first >= last"),
    ],
)
def test_a_grade_table_that_rises_with_the_grade_is_refused(by_gap, own, match) -> None:
    with pytest.raises(ConfigError, match=match):
        GradeTable(by_gap, own_grade=own)


def test_the_own_grade_line_stays_between_the_neighbouring_grades() -> None:
    table = GradeTable({-1: 0.9, 0: 0.4, 1: 0.1}, own_grade=(0.95, 0.05))
    np.testing.assert_allclose(table.own_grade_line(np.array([0.0, 0.5, 1.0])), [0.9, 0.5, 0.1])


def test_answering_after_the_last_question_says_the_diagnostic_is_finished() -> None:
    diag = PlacementDiagnostic(catalog(), prior=[LearnerProfile("kid", grade=2)], max_questions=2)
    session = diag.start("kid")
    while session.next_question() is not None:
        session.answer(0)
    with pytest.raises(DiagnosticError, match="finished \\(2 questions answered\\).*placement"):
        session.answer(1)
    assert np.isfinite(session.placement().mastery).all()
