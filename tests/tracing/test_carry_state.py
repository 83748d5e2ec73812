"""A state saved under last year's model carried to this year's (`KnowledgeTracer.carry_state`):
a vendor keeps each student's state and last answers, not their year, and the retrained model
traces other skills (some added, some retired), so it refuses the old state and replaying the
history the vendor kept would lose the rest of the year's evidence."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_contract import synthetic_log
from test_state_skills import renamed

from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.data.log import Response, ResponseLog
from adaptive.errors import ConfigError, RepeatedAnswerWarning
from adaptive.placement import Placement
from adaptive.policy.adapter import batch_from_model
from adaptive.tracing.base import CARRIED_SOURCE
from adaptive.tracing.bkt import BKT
from adaptive.tracing.logistic import PFA

SOURCE = "carried from last year's model"


def answers(log: ResponseLog, student: str) -> list[Response]:
    """A student's answers as the vendor's app sends them, one `Response` each."""
    frame = log.frame[log.frame["student_id"] == student]
    return [
        Response(r.student_id, r.item_id, tuple(r.skill_ids), int(r.correct), r.timestamp)
        for r in frame.itertuples()
    ]


def last_years_state(log: ResponseLog, students: list[str]):
    """Last year's BKT and its state of `students`, their answers absorbed one at a time (the
    vendor's per-answer path), and each student's kept recent answers."""
    old = BKT(seed=0).fit(log)
    state = old.init_state(students)
    kept = {}
    for sid in students:
        mine = answers(log, sid)
        old.update(state, mine)
        kept[sid] = mine[-8:]  # as many as the state's ring of recent answers
    return old, state, kept


def catalog_of(model) -> Catalog:
    """A catalog of the model's skills, an activity each (what a policy batch needs)."""
    every = [str(s) for s in model.skills_]
    return Catalog(
        tuple(Skill(s, grade=3) for s in every), tuple(Activity(f"{s}@0", s, (s,)) for s in every)
    )


def grade_prior(students: list[str], skill: str, value: float) -> Placement:
    """A grade's placement of `students` on one skill (what `grade_placement` gives there)."""
    n = len(students)
    return Placement(
        tuple(students),
        (skill,),
        np.full((n, 1), value),
        ("placed from grade 3",) * n,
        grades=np.full(n, 3.0),
    )


@pytest.mark.parametrize("make", [lambda: BKT(seed=0), lambda: PFA()], ids=["bkt", "pfa"])
def test_a_state_of_last_years_model_carries_to_this_years(make) -> None:
    """This year's model adds 'a1' and retires 'k1': the carried state holds every student of
    the old one, with the old model's mastery on the skills both trace, the prior's value on the
    added one, where it came from and the prior's grade; a request passing the kept answers as
    `log` is not warned that the state never saw them and moves no mastery, and one of them
    sent again is a retry, not absorbed twice."""
    log = synthetic_log(30)
    students = [str(s) for s in log.students[:4]]
    old, state, kept = last_years_state(log, students)
    new = make().fit(renamed(log, "k1", "a1"))
    with pytest.raises(ConfigError, match="model.carry_state\\(earlier_model, state"):
        new.mastery(state)
    carried = new.carry_state(old, state, prior=grade_prior(students, "a1", 0.42), source=SOURCE)
    assert carried.students == students and carried.skills == tuple(new.skills_)
    mastery = new.mastery(carried)
    shared = [k for k in old.skills_ if k in set(new.skills_)]
    np.testing.assert_allclose(
        mastery[:, [list(new.skills_).index(k) for k in shared]],
        old.mastery(state)[:, [list(old.skills_).index(k) for k in shared]],
        atol=1e-6,  # a placement is kept as float32 by a model without exact placement
    )
    np.testing.assert_allclose(mastery[:, list(new.skills_).index("a1")], 0.42, atol=1e-6)
    rows = carried.rows(students)
    assert carried.placed_from(rows).tolist() == [SOURCE] * len(students)
    np.testing.assert_array_equal(carried.placed_grade(rows), 3.0)
    np.testing.assert_array_equal(carried.latest_answer_days(rows), state.latest_answer_days(rows))
    recent = [r for sid in students for r in kept[sid]]
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        batch_from_model(new, carried, catalog_of(new), None, log=recent, student_ids=students)
    assert not [w for w in said if "never saw them" in str(w.message)]
    np.testing.assert_array_equal(new.mastery(carried), mastery)
    again = next(r for r in reversed(kept[students[0]]) if "k1" not in r.skill_ids)
    with pytest.warns(RepeatedAnswerWarning):
        new.update(carried, again)
    np.testing.assert_array_equal(new.mastery(carried), mastery)


def test_carry_state_without_a_prior_or_a_shared_skill() -> None:
    """Without a prior the added skill keeps the population prior and no grade is recorded;
    models without a skill in common carry nothing, and say so."""
    log = synthetic_log(30)
    students = [str(s) for s in log.students[:2]]
    old, state, _ = last_years_state(log, students)
    new = BKT(seed=0).fit(renamed(log, "k1", "a1"))
    carried = new.carry_state(old, state)
    fresh = new.init_state(students)
    column = list(new.skills_).index("a1")
    np.testing.assert_array_equal(new.mastery(carried)[:, column], new.mastery(fresh)[:, column])
    assert np.isnan(carried.placed_grade(carried.rows(students))).all()
    other = log
    for k in ("k0", "k1", "k2", "k3"):
        other = renamed(other, k, f"z{k}")
    with pytest.raises(ConfigError, match="none in common"):
        BKT(seed=0).fit(other).carry_state(old, state)


def test_a_carried_students_corrected_grade_moves_only_the_grades_skills() -> None:
    """A carried student whose grade changes in September: the grade's guess on the skill the
    earlier model lacked moves to the new grade's; the carried readings stay (they were left
    as placed, with advice to give records the vendor no longer had)."""
    from adaptive.curriculum import LearnerProfile

    log = synthetic_log(30)
    students = [str(s) for s in log.students[:2]]
    old, state, _ = last_years_state(log, students)
    new = BKT(seed=0).fit(renamed(log, "k1", "a1"))
    carried = new.carry_state(old, state, prior=grade_prior(students, "a1", 0.3))
    before = new.mastery(carried).copy()
    skills = [str(s) for s in new.skills_]
    a1 = skills.index("a1")
    cat = Catalog(
        tuple(Skill(s, grade=4 if s == "a1" else 3) for s in skills),
        tuple(Activity(f"{s}@0", s, (s,)) for s in skills),
    )
    profiles = {s: LearnerProfile(s, grade=5) for s in students}  # the grade moved on
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batch_from_model(new, carried, cat, profiles)
    after = new.mastery(carried)
    others = [k for k in range(len(skills)) if k != a1]
    np.testing.assert_array_equal(after[:, others], before[:, others])
    assert (after[:, a1] != before[:, a1]).all()
    assert any("placed again from the profile's grade" in str(w.message) for w in caught)
    assert carried.placed_from(carried.rows(students)).tolist() == [CARRIED_SOURCE] * 2
