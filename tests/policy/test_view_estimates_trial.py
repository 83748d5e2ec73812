"""Defects a vendor's trial met on the per-request path (`recommend` with a `StudentView`):
the app's own estimate was called a placement, and a student placed from their grade was
told no placement."""

from __future__ import annotations

import pytest

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.policy import AdaptivePolicy, PolicyConfig, StudentView

SKILLS = (
    Skill("counting", "Counting to 20", grade=0),
    Skill("add10", "Addition within 10", ("counting",), grade=1),
    Skill("add100", "Addition within 100", ("add10",), grade=2),
    Skill("mul", "Multiplication", ("add100",), grade=3),
    Skill("frac", "Fractions", ("mul",), grade=4),
)
CATALOG = Catalog(SKILLS, tuple(Activity(f"{s.id}@0", f"{s.name} 0", (s.id,)) for s in SKILLS))
NOW = "2027-02-20"


def readiness_sentence(mastery: dict[str, float]) -> str:
    """The sentence of 'add10' for a grade-1 student whose view gives `mastery`."""
    view = StudentView("u-001", LearnerProfile("u-001", grade=1), mastery)
    recs = AdaptivePolicy(CATALOG, PolicyConfig.default()).recommend(view, k=3, now=NOW)
    return next(r.sentence for r in recs if r.activity_id == "add10@0")


def test_the_apps_own_estimate_is_not_called_a_placement() -> None:
    """A vendor's 0.9 on 'counting' was said to be one "which your placement counts as
    known"."""
    assert readiness_sentence({"counting": 0.9}) == (
        "Addition within 10: you are ready for it: it builds on Counting to 20, which is "
        "estimated as known."
    )


def test_a_skill_the_view_leaves_unknown_is_still_the_placements() -> None:
    assert readiness_sentence({}) == (
        "Addition within 10: you are ready for it: it builds on Counting to 20, which your "
        "placement counts as known."
    )


def test_explaining_a_skill_of_the_apps_estimate_names_no_placement() -> None:
    policy = AdaptivePolicy(CATALOG, PolicyConfig.default())
    profile = LearnerProfile("u-002", grade=4)
    given = policy.explain(StudentView("u-002", profile, {"counting": 0.97}), "counting@0", NOW)
    assert "placed from" not in given.sentence and "(97%)" in given.sentence
    placed = policy.explain(StudentView("u-002", profile, {}), "counting@0", NOW)
    assert "placed from grade 4" in placed.sentence


@pytest.mark.parametrize(
    ("profile", "mastery", "answers", "said"),
    [
        (LearnerProfile("u-002", grade=4), {}, {}, "placed from grade 4"),
        (LearnerProfile("u-002", grade=0), {"counting": 0.9}, {}, "placed from grade K"),
        (LearnerProfile("u-002", grade=4), {s.id: 0.5 for s in SKILLS}, {}, ""),  # all the app's
        (LearnerProfile("u-002", grade=4), {}, {"counting": 3}, ""),  # answered: as the model's
        (LearnerProfile("u-002"), {}, {}, ""),  # no grade: nothing placed
    ],
)
def test_a_views_placement_says_where_the_student_was_placed(
    profile: LearnerProfile, mastery: dict, answers: dict, said: str
) -> None:
    """`.placement` was '' for a grade-4 student whose view left every skill to the grade
    placement, while `batch_from_model` said "placed from grade 4" of the same student."""
    view = StudentView("u-002", profile, mastery, n_responses=answers or None)
    recs = AdaptivePolicy(CATALOG, PolicyConfig.default()).recommend(view, k=5, now=NOW)
    assert recs.placement == said


def test_a_view_that_leaves_only_ungraded_skills_unknown_was_not_placed() -> None:
    """A review: "placed from grade 4" was said of a view that left unknown only a skill
    without a grade, which the grade placement leaves unknown too: nothing was placed."""
    skills = (*SKILLS, Skill("puzzles", "Logic puzzles"))
    catalog = Catalog(skills, tuple(Activity(f"{s.id}@0", s.name, (s.id,)) for s in skills))
    given = {s.id: 0.5 for s in SKILLS}  # every graded skill the app's own estimate
    view = StudentView("u-002", LearnerProfile("u-002", grade=4), given)
    recs = AdaptivePolicy(catalog, PolicyConfig.default()).recommend(view, k=5, now=NOW)
    assert recs.placement == ""
    del given["frac"]  # a graded skill left to the placement
    view = StudentView("u-002", LearnerProfile("u-002", grade=4), given)
    assert AdaptivePolicy(catalog, PolicyConfig.default()).recommend(
        view, k=5, now=NOW
    ).placement == ("placed from grade 4")
