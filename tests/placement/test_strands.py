"""A vendor's maths catalog whose strands start in different grades (a trial of stop 58):
operations from kindergarten, fractions from grade 3. A skill's place in its grade was its depth
in the whole graph, so every grade opened with fractions and closed with operations, and a grade's
last skills shared the next grade's first place: a grade 4 student who answered every grade 4
question right was placed at 0.12 on half of them, and one who failed a skill was placed at 0.67
on it, above the policy's thresholds ("prerequisites mastered")."""

from __future__ import annotations

import numpy as np
import pytest

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.placement import PlacementDiagnostic, grade_placement
from adaptive.placement.prior import GRADE_END_ROOM, curriculum_positions, position_in_grade

GRADES = (0, 1, 2, 3, 4, 5)


def strands() -> Catalog:
    """Two skills a grade in each strand; a strand's first skill of a grade builds on its last
    of the grade before; fractions (NF) start in grade 3."""
    skills = []
    for g in GRADES:
        for strand in ("OA", "NBT", "NF"):
            if strand == "NF" and g < 3:
                continue
            for i in (1, 2):
                before = (f"{g}.{strand}.1",) if i == 2 else ()
                if i == 1 and g > 0 and not (strand == "NF" and g == 3):
                    before = (f"{g - 1}.{strand}.2",)
                skills.append(Skill(f"{g}.{strand}.{i}", prerequisites=before, grade=g))
    acts = [Activity(f"{s.id}-a", s.id, (s.id,)) for s in skills]
    return Catalog(tuple(skills), tuple(acts))


def grade_of(skill_id: str) -> int:
    return int(skill_id.split(".")[0])


def test_every_strand_opens_its_grade() -> None:
    """Each grade's first skill of every strand sits at its start, its second at its end, a
    cell short of the next grade's first in the curriculum's sequence."""
    cat = strands()
    place = dict(zip(cat.skill_index, position_in_grade(cat), strict=True))
    sequence = dict(zip(cat.skill_index, curriculum_positions(cat), strict=True))
    for strand in ("OA", "NBT", "NF"):
        assert place[f"4.{strand}.1"] == 0.0 and place[f"4.{strand}.2"] == 1.0
        assert sequence[f"4.{strand}.2"] == pytest.approx(5.0 - GRADE_END_ROOM)
        assert sequence[f"4.{strand}.2"] < sequence[f"5.{strand}.1"] == 5.0
    placed = grade_placement(cat, [LearnerProfile("x", grade=4)]).to_frame()
    mastery = placed.set_index("skill_id")["mastery"]
    assert mastery["4.OA.1"] == mastery["4.NF.1"] > mastery["4.OA.2"] == mastery["4.NF.2"]


@pytest.mark.parametrize("knows_up_to", [2, 3, 4, 5])
def test_the_diagnostic_places_each_answered_skill_as_answered(knows_up_to: int) -> None:
    """A grade 4 student who knows every skill up to a grade and none after: after 10 questions
    each skill answered right is placed above each one answered wrong, every wrong one below
    the policy's mastery threshold, and what lies two grades behind the known one as known."""
    cat = strands()
    diag = PlacementDiagnostic(cat, prior=[LearnerProfile("x", grade=4)], max_questions=10)
    session = diag.start("x")
    while (q := session.next_question()) is not None:
        session.answer(int(grade_of(q.skill) <= knows_up_to), question=q.skill)
    mastery = session.placement().to_frame().set_index("skill_id")["mastery"]
    right = [q.skill for q, a in session.answers if a]
    wrong = [q.skill for q, a in session.answers if not a]
    assert right and (wrong or knows_up_to == 5)  # a grade 4 student knowing grade 5: all right
    if wrong:
        assert mastery[right].min() > mastery[wrong].max()
    assert (mastery[wrong] < 0.65).all()
    behind = [s for s in cat.skill_index if grade_of(s) <= knows_up_to - 2]
    assert (mastery[behind] > 0.65).all()
    assert np.isfinite(mastery.to_numpy()).all()
