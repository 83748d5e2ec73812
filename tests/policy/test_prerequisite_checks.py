"""A skill the student keeps failing has its never-answered prerequisites checked first
(`PolicyConfig.check_prerequisites_after`, `features.prerequisites_in_doubt`; issue 16 item 3:
"readiness does not trust unmeasured skills"). In the simulation matrix a third to a half of
the adaptive policy's days went to skills whose prerequisites the learner lacked, the placement
having called them known (stop 53's count: their believed mastery averaged 0.86)."""

from __future__ import annotations

import numpy as np
import pytest
from policy_fixtures import GRADE_4_PLACED, GRADE_CHAIN

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.errors import ConfigError
from adaptive.policy import AdaptivePolicy, PolicyConfig, StudentBatch, StudentView
from adaptive.policy.base import catalog_arrays
from adaptive.policy.baselines import CurriculumMastery
from adaptive.policy.features import compute_features

CATALOG, PLACED = GRADE_CHAIN, GRADE_4_PLACED


#: the chain with a second skill built on Three B
WITH_SIBLING = Catalog(
    (*GRADE_CHAIN.skills, Skill("g4.c", "Four C", ("g3.b",), grade=4)),
    (
        *GRADE_CHAIN.activities,
        Activity("g4.c.p", "Four C", ("g4.c",), topics=("numbers",), grade=4),
    ),
    topics=("numbers",),
)


def student(
    answers: dict[str, tuple[int, int]],
    mastery: dict[str, float] | None = None,
    recent: tuple[str, ...] = (),
) -> StudentView:
    """Grade 4, placed; `answers`: {skill: (responses, right answers in a row now)}."""
    return StudentView(
        "kid", LearnerProfile("kid", grade=4), {**PLACED, **(mastery or {})},
        n_responses={s: n for s, (n, _) in answers.items()},
        streak={s: run for s, (_, run) in answers.items()},
        last_practiced={s: 9.0 for s in answers}, recent=recent,
    )  # fmt: skip


def first(
    view: StudentView | StudentBatch, catalog: Catalog = CATALOG, **config: object
) -> tuple[str, str]:
    policy = AdaptivePolicy(catalog, PolicyConfig(**config))
    rec = policy.recommend(view, k=1, now=10.0)[0]
    return rec.skill_id, rec.sentence


def test_a_failed_skill_has_its_never_answered_prerequisite_checked_first() -> None:
    assert first(student({"g4.a": (2, 0)}))[0] == "g4.a"  # two answers: not yet
    skill, sentence = first(student({"g4.a": (3, 0)}))
    assert skill == "g3.b"
    assert sentence == (
        "Three B: a quick check before Four A, which builds on it (your last answer on Four A "
        "was wrong)."
    )
    # a right last answer on it: no doubt
    assert first(student({"g4.a": (3, 1)}))[0] == "g4.a"
    # the setting off: the placement's guess stands
    assert first(student({"g4.a": (3, 0)}), check_prerequisites_after=0)[0] == "g4.a"
    assert first(student({"g4.a": (1, 0)}), check_prerequisites_after=1)[0] == "g3.b"


def test_a_check_takes_one_place_in_a_days_list() -> None:
    """One answer is the check: a second activity of the checked skill is not served beside it
    (the demo district's list held the check's assessment and a practice of it)."""
    skills = (*GRADE_CHAIN.skills,)
    two = Catalog(
        skills,
        (*GRADE_CHAIN.activities, Activity("g3.b.q", "Three B again", ("g3.b",),
                                           topics=("numbers",), grade=3)),
        topics=("numbers",),
    )  # fmt: skip
    policy = AdaptivePolicy(two, PolicyConfig.default())
    view = student({"g4.a": (3, 0)})
    served = [r.activity_id for r in policy.recommend(view, k=5, now=10.0)]
    assert sum(a.startswith("g3.b") for a in served) == 1, served
    spare = ({"g3.b.p", "g3.b.q"} - set(served)).pop()
    why = policy.explain(view, spare, now=10.0)
    assert (why.status, why.sentence) == (
        "one_check",
        f"{'Three B again' if spare == 'g3.b.q' else 'Three B'} waits: Three B is being "
        "checked, and one activity is the check.",
    )
    # without the checks, the skill's activities may share the list (max_per_skill)
    unchecked = AdaptivePolicy(two, PolicyConfig(check_prerequisites_after=0))
    served = [r.activity_id for r in unchecked.recommend(student({"g3.b": (1, 0)}), k=5, now=10.0)]
    assert sum(a.startswith("g3.b") for a in served) == 2, served


def test_the_check_is_an_activity_that_fits_the_day() -> None:
    """The checked skill's best-scored activity is too long for the student's day: its other
    activity is the check, not none."""
    long_first = Catalog(
        GRADE_CHAIN.skills,
        (
            *[a for a in GRADE_CHAIN.activities if a.id != "g3.b.p"],
            Activity("g3.b.long", "Three B project", ("g3.b",), topics=("numbers",), grade=3,
                     expected_minutes=90.0),
            Activity("g3.b.p", "Three B", ("g3.b",), topics=("numbers",), grade=3),
        ),
        topics=("numbers",),
    )  # fmt: skip
    policy = AdaptivePolicy(long_first, PolicyConfig.default())
    served = [r.activity_id for r in policy.recommend(student({"g4.a": (3, 0)}), k=3, now=10.0)]
    assert served[0] == "g3.b.p", served


def test_a_right_answer_on_the_check_gives_the_skill_back() -> None:
    assert first(student({"g4.a": (3, 0)}))[0] == "g3.b"  # checked first
    checked = student({"g4.a": (3, 0), "g3.b": (1, 1)}, {"g3.b": 0.97})
    assert first(checked)[0] == "g4.a"


def test_where_learning_is_gradual_the_check_needs_the_answers_any_skill_needs() -> None:
    """The gradual hold (`gradual_min_responses`, 5) is the one rule for a practised skill:
    a checked prerequisite answered right once is kept open like any other."""
    config = PolicyConfig.default()

    def gradual(right_answers: int) -> str:
        view = student({"g4.a": (3, 0), "g3.b": (right_answers, right_answers)}, {"g3.b": 0.97})
        batch = StudentBatch.from_views(CATALOG, [view], config)
        batch.learning_z[:] = 5.0  # the model measured gradual learning
        return first(batch)[0]

    assert gradual(1) == "g3.b"
    assert gradual(config.gradual_min_responses) == "g4.a"


def test_a_slip_on_a_skill_the_answers_have_shown_is_not_failing() -> None:
    """One wrong answer after a run of right ones, the estimate still above the threshold
    (a review, say), sends nobody back to a grade-3 check."""
    slipped = student({"g4.a": (10, 0)}, {"g4.a": 0.85})
    skill, sentence = first(slipped)
    assert skill != "g3.b" and "quick check" not in sentence


def test_a_mastered_skill_built_on_the_prerequisite_vouches_for_it() -> None:
    """Four C, built on Three B and mastered by answers, says Three B is known: Four A's
    failure is its own."""
    vouched = student({"g4.a": (3, 0), "g4.c": (4, 4)}, {"g4.c": 0.95})
    assert first(vouched, WITH_SIBLING)[0] == "g4.a"
    unvouched = student({"g4.a": (3, 0), "g4.c": (1, 1)}, {"g4.c": 0.6})
    assert first(unvouched, WITH_SIBLING)[0] == "g3.b"
    # a high estimate whose last answer was wrong is not mastered by answers: no vouching
    slipped = student({"g4.a": (3, 0), "g4.c": (4, 0)}, {"g4.c": 0.95})
    assert first(slipped, WITH_SIBLING)[0] == "g3.b"


def test_the_sentence_names_the_skill_being_failed_not_one_slipped_on() -> None:
    """Three B is checked for Four A (failing); Four C, answered wrong last but still
    estimated mastered, is a slip and is not named."""
    view = student({"g4.a": (3, 0), "g4.c": (6, 0)}, {"g4.c": 0.9})
    view = StudentView(
        view.student_id, view.profile, view.mastery, n_responses=view.n_responses,
        streak=view.streak, last_practiced={"g4.a": 8.0, "g4.c": 9.0},
    )  # fmt: skip
    skill, sentence = first(view, WITH_SIBLING)
    assert skill == "g3.b"
    assert "before Four A" in sentence and "Four C" not in sentence


def test_the_nightly_table_says_the_check_too() -> None:
    """`recommend_batch`, the nightly job's path, carries the same sentence as `recommend`."""
    policy = AdaptivePolicy(CATALOG, PolicyConfig.default())
    batch = StudentBatch.from_views(CATALOG, [student({"g4.a": (3, 0)})], policy.config)
    table = policy.recommend_batch(batch, 1, now=10.0)
    sentence = table.iloc[0][[c for c in table.columns if "sentence" in c][0]]
    assert sentence.startswith("Three B: a quick check before Four A")


def test_a_paused_check_leaves_a_student_with_nothing_else_the_failed_skill() -> None:
    """A grade-4 band with one open skill: the check paused for the session (served last
    session) must not strand the student with "a teacher can widen the grade band"."""
    policy = AdaptivePolicy(CATALOG, PolicyConfig.default())
    view = student({"g4.a": (3, 0)}, recent=("g3.b.p",))
    batch = StudentBatch.from_views(CATALOG, [view], policy.config)
    batch.min_grade[:] = 3.0
    batch.max_grade[:] = 4.0
    batch.excluded = batch.excluded.tolil()
    batch.excluded[0, CATALOG.activity_index.get_loc("g3.a.p")] = 1
    batch.excluded = batch.excluded.tocsr()
    rec = policy.recommend(batch, k=1, now=10.0)[0]
    assert rec.skill_id == "g4.a"
    assert "widen the grade band" not in rec.sentence


def test_a_check_served_last_session_waits_a_session() -> None:
    """The last session's activities are not served again the next one; the failed skill
    waits for its check rather than taking turns with it."""
    policy = AdaptivePolicy(CATALOG, PolicyConfig.default())
    view = student({"g4.a": (3, 0)}, recent=("g3.b.p",))
    served = [r.skill_id for r in policy.recommend(view, k=3, now=10.0)]
    assert "g4.a" not in served and "g3.b" not in served
    assert policy.explain(view, "g4.a.p", now=10.0).status == "blocked"


def test_a_failed_check_walks_down_one_level() -> None:
    """The prerequisite answered wrong is the next thing to learn (its own prerequisites keep
    the placement's word until it too is failed three times)."""
    failed_once = student({"g4.a": (3, 0), "g3.b": (1, 0)}, {"g3.b": 0.5})
    assert first(failed_once)[0] == "g3.b"  # not yet shown: Four A still waits
    assert first(failed_once, check_prerequisites_after=0)[0] == "g3.b"  # (so without checks)
    failed_thrice = student({"g4.a": (3, 0), "g3.b": (3, 0)}, {"g3.b": 0.3})
    skill, sentence = first(failed_thrice)
    assert skill == "g3.a"
    assert "a quick check before Three B" in sentence


def test_a_prerequisite_outside_the_grade_band_is_not_checked() -> None:
    """A check the student may not be given would leave the failed skill blocked for good."""
    config = PolicyConfig.default()
    batch = StudentBatch.from_views(CATALOG, [student({"g4.a": (3, 0)})], config)
    batch.min_grade[:] = 4.0
    assert first(batch)[0] == "g4.a"


def test_explain_names_the_check_that_blocks_the_failed_skill() -> None:
    policy = AdaptivePolicy(CATALOG, PolicyConfig.default())
    why = policy.explain(student({"g4.a": (3, 0)}), "g4.a.p", now=10.0)
    assert why.status == "blocked"
    assert why.sentence == "Four A is blocked: first take a quick check of Three B."
    assert any(
        "Three B (g3.b), never answered, is checked first: the last answer on Four A was wrong"
        in r.detail
        for r in why.reasons
    ), why.reasons


def test_the_baselines_read_the_placement_as_it_is() -> None:
    """A baseline is measured as its textbook rule: no checks."""
    config = PolicyConfig.default()
    batch = StudentBatch.from_views(CATALOG, [student({"g4.a": (3, 0)})], config)
    feats = compute_features(batch, catalog_arrays(CATALOG), config, 10.0)
    assert feats.in_doubt is None
    assert feats.mastery[0, CATALOG.skill_index.get_loc("g3.b")] == pytest.approx(0.88)
    pick = CurriculumMastery(CATALOG, config).select(batch, 1, 10.0).activity[0, 0]
    assert CATALOG.activities[pick].skills == ("g4.a",)


def test_many_students_at_once_match_each_alone() -> None:
    views = [
        student({"g4.a": (3, 0)}),
        student({"g4.a": (3, 2)}),
        student({"g4.a": (3, 0), "g3.b": (1, 1)}, {"g3.b": 0.97}),
    ]
    views = [
        StudentView(f"s{i}", LearnerProfile(f"s{i}", grade=4), v.mastery,
                    n_responses=v.n_responses, streak=v.streak, last_practiced=v.last_practiced)
        for i, v in enumerate(views)
    ]  # fmt: skip
    policy = AdaptivePolicy(CATALOG, PolicyConfig.default())
    together = StudentBatch.from_views(CATALOG, views, policy.config)
    picks = policy.select(together, 1, 10.0).activity[:, 0]
    alone = [policy.select(together.take([i]), 1, 10.0).activity[0, 0] for i in range(3)]
    np.testing.assert_array_equal(picks, alone)
    assert [CATALOG.activities[a].skills[0] for a in picks] == ["g3.b", "g4.a", "g4.a"]


@pytest.mark.parametrize("value", [-1, 1.5, "3"])
def test_a_wrong_setting_is_refused(value: object) -> None:
    with pytest.raises(ConfigError, match="check_prerequisites_after"):
        PolicyConfig(check_prerequisites_after=value)


def test_a_prerequisite_practised_only_beside_the_failed_skill_is_not_checked() -> None:
    """An activity that also practises the failed skill waits for the check itself: it cannot
    be the check. Doubting Three B with no other activity left Four A blocked for good (the
    student was served the grades below instead, and a one-grade band told them to widen it)."""
    activities = tuple(a for a in CATALOG.activities if a.id != "g3.b.p") + (
        Activity("mix", "Three B and Four A", ("g4.a", "g3.b"), topics=("numbers",), grade=4),
    )
    mixed = Catalog(CATALOG.skills, activities, topics=("numbers",))
    rec = AdaptivePolicy(mixed, PolicyConfig.default()).recommend(
        student({"g4.a": (3, 0)}), k=1, now=10.0
    )[0]
    assert rec.skill_id == "g4.a", rec.sentence


def test_a_prerequisite_whose_only_activity_is_blocked_is_not_checked() -> None:
    """Three B's one activity also practises Four X, whose own prerequisite the student has not
    met: the activity is blocked, so no check of Three B can be served today. Doubting Three B
    all the same held Four A for a check that could not come (review 53 #1, second half)."""
    skills = (*CATALOG.skills, Skill("g3.z", "Three Z", grade=3),
              Skill("g4.x", "Four X", ("g3.z",), grade=4))  # fmt: skip
    activities = tuple(a for a in CATALOG.activities if a.id != "g3.b.p") + (
        Activity("mix", "Three B and Four X", ("g3.b", "g4.x"), topics=("numbers",), grade=4),
    )
    mixed = Catalog(skills, activities, topics=("numbers",))
    view = student({"g4.a": (3, 0)}, mastery={"g3.z": 0.2, "g4.x": 0.1})
    rec = AdaptivePolicy(mixed, PolicyConfig.default()).recommend(view, k=1, now=10.0)[0]
    assert rec.skill_id == "g4.a", rec.sentence
    # once Four X's prerequisite is met, the activity can be the check again
    view = student({"g4.a": (3, 0)}, mastery={"g3.z": 0.9, "g4.x": 0.1})
    rec = AdaptivePolicy(mixed, PolicyConfig.default()).recommend(view, k=1, now=10.0)[0]
    assert rec.activity_id == "mix", rec.sentence


def test_a_check_whose_own_prerequisite_is_unmet_walks_down_first() -> None:
    """The check's own prerequisite being unmet does not drop the check: the walk goes down
    (Three A, then the check of Three B, then Four A). Only an activity that also practises
    *another* blocked skill cannot be the check (a review of stop 54's first version)."""
    for view in (
        student({"g4.a": (3, 0), "g3.a": (1, 0)}, mastery={"g3.a": 0.6}),  # answered wrong
        student({"g4.a": (3, 0)}, mastery={"g3.a": 0.5}),  # placed below the threshold
    ):
        assert first(view)[0] == "g3.a"
        # Three A shown: now the check of Three B, before Four A
        shown = student({"g4.a": (3, 0), "g3.a": (3, 3)}, mastery={"g3.a": 0.9})
        assert first(shown)[0] == "g3.b"
