"""A reason's lead sentence and the clauses added to it: why a skill below the student's grade
(`explain.earlier_grade`) and what a teacher's mode chose (`explain.as_teacher_asked`).

A user trial (teachers reading the demo night's reasons): 85 of 6,564 reasons named the skill
twice ("Grade 3 geometry 4: review (cooking): it is about cooking, which interests you. Grade 3
geometry 4: a check of a grade 3 skill, ..."), and a student whose teacher chose "accelerate" was
served next grade's work, and a skill past the policy's own prerequisite check, with no word
that the teacher asked for it (remediate's checks say "as your teacher asked")."""

from __future__ import annotations

import pytest

from adaptive.policy import explain as text

SKILL = "Grade 3 geometry 4"
TITLE = "Grade 3 geometry 4: review (cooking)"  # the demo catalog's own title of the activity


@pytest.mark.parametrize("term", text.WHY_NOT_THE_SKILL)
def test_an_earlier_grades_clause_names_the_skill_once(term: str) -> None:
    """Every lead that says why the activity, not why the skill, takes the earlier grade's
    clause into its one sentence: the skill (or the activity's title) named once."""
    said = text.sentence(
        term, SKILL, TITLE, p_correct=0.8, answered=0, mastery=0.92, skill_grade=3.0,
        grade=5.0, topic="cooking", goal="Grade 5 geometry 1", work_grade=3.0,
    )  # fmt: skip
    assert said.count(SKILL) == 1, said
    assert said.count(".") == 1 and said.endswith(
        "; a check of a grade 3 skill, below your grade: likely known already (92% by your "
        "placement), so a few answers confirm it."
    ), said


def test_the_trials_reason_reads_as_one_sentence() -> None:
    said = text.sentence(
        "interest", SKILL, TITLE, answered=0, mastery=0.92, skill_grade=3.0, grade=5.0,
        topic="cooking",
    )  # fmt: skip
    assert said == (
        "Grade 3 geometry 4: review (cooking): it is about cooking, which interests you; a check "
        "of a grade 3 skill, below your grade: likely known already (92% by your placement), so "
        "a few answers confirm it."
    )
