"""Each scoring term on its own: small arrays with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.policy import PolicyConfig, terms
from adaptive.policy.base import StudentBatch, catalog_arrays
from adaptive.policy.explain import failing_dependent


def test_missing_prerequisites_counts_unmastered_direct_prerequisites() -> None:
    # skill 2 needs 0 and 1; skill 1 needs 0
    p = sparse.csr_matrix(np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0]], float))
    m = np.array([[0.99, 0.5, 0.0], [np.nan, 0.99, 0.99]])
    missing = terms.missing_prerequisites(m, p.T.toarray(), 0.95)
    assert missing.tolist() == [[0, 0, 1], [0, 1, 1]]


def test_answers_show_a_skill_after_the_last_right_ones() -> None:
    n = np.array([0, 1, 1, 2, 5, 5, 5])
    streak = np.array([0, 1, 0, 1, 2, 1, 5])
    assert terms.shown_by_answers(n, streak, 2).tolist() == [
        True, True, False, False, True, False, True
    ]  # fmt: skip
    assert terms.shown_by_answers(n, streak, 0).all()
    # a practised prerequisite above the threshold, last answer wrong: not met
    p_t = np.array([[0.0, 1.0], [0.0, 0.0]])  # skill 0 is a prerequisite of skill 1
    m = np.array([[0.9, 0.1]])
    shown = terms.shown_by_answers(np.array([[4, 0]]), np.array([[0, 0]]), 2)
    assert terms.missing_prerequisites(m, p_t, 0.65).tolist() == [[0, 0]]
    assert terms.missing_prerequisites(m, p_t, 0.65, shown).tolist() == [[0, 1]]
    assert terms.is_mastered(m, np.array([[4, 0]]), 0.65, 3).tolist() == [[True, False]]


def test_a_skill_waiting_for_right_answers_keeps_room_to_be_served() -> None:
    """Its estimate says mastered (1 - P near 0), its answers do not: it must be served again,
    or what builds on it waits for answers that never come."""
    met, mastered = np.array([[True]]), np.array([[False]])
    mastery = np.array([[0.99]])
    assert terms.readiness(met, mastered, mastery)[0, 0] == pytest.approx(0.01)
    waiting = terms.readiness(met, mastered, mastery, unconfirmed=np.array([[True]]))
    assert waiting[0, 0] == terms.UNCONFIRMED_ROOM


def test_readiness_is_the_fringe() -> None:
    met = np.array([[True, True, False]])
    mastered = np.array([[True, False, False]])
    mastery = np.array([[0.97, 0.3, 0.1]])
    assert terms.readiness(met, mastered, mastery).tolist() == [[0.0, 0.7, 0.0]]


def test_edge_of_difficulty_peaks_at_target() -> None:
    p = np.array([0.3, 0.6, 0.7, 0.8, 0.99])
    v = terms.edge_of_difficulty(p, 0.7, 0.15)
    assert v[2] == pytest.approx(1.0)
    assert np.argmax(v) == 2
    assert v[1] == pytest.approx(v[3])
    assert v[0] < v[1] and v[4] < v[3]
    # the target is configurable
    assert np.argmax(terms.edge_of_difficulty(p, 0.3, 0.15)) == 0


def test_activity_p_correct_shifts_by_difficulty() -> None:
    lg = terms.logit(np.array([[0.7]]))
    assert terms.activity_p_correct(lg, np.array([0.0]))[0, 0] == pytest.approx(0.7)
    assert terms.activity_p_correct(lg, np.array([1.0]))[0, 0] < 0.7


def test_interest_match_is_mean_weight_over_topics() -> None:
    topic_mean = sparse.csr_matrix(np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 0.0]]))
    interests = np.array([[1.0, 0.0]])
    assert terms.interest_match(interests, topic_mean).tolist() == [[1.0, 0.5, 0.0]]


def test_goal_relevance_follows_the_prerequisite_graph() -> None:
    # closure[g, s]: s is g or an ancestor; chain 0 -> 1 -> 2, skill 3 apart
    closure = sparse.csr_matrix(
        np.array([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 1]], float)
    )
    goals = np.array([[False, False, True, False]])
    mastery = np.array([[1.0, 0.5, 0.0, 0.0]])
    v = terms.goal_relevance(goals, closure, mastery)
    assert v.tolist() == [[0.0, 0.5, 1.0, 0.0]]
    assert terms.goal_relevance(np.zeros_like(goals), closure, mastery).sum() == 0


def test_retrievability_matches_fsrs() -> None:
    from datetime import UTC, datetime, timedelta

    from fsrs import Card, Scheduler

    s = np.array([1.0, 5.0, 30.0])
    t = np.array([1.0, 5.0, 30.0])
    assert terms.retrievability(t, s) == pytest.approx(0.9)  # R(S) = 0.9 by FSRS's definition
    assert terms.retrievability(np.array([0.0, np.nan]), np.array([2.0, 2.0])).tolist() == [1, 1]
    # same curve as py-fsrs for a card of stability 4 reviewed 10 days ago
    now = datetime(2026, 1, 11, tzinfo=UTC)
    card = Card(stability=4.0, difficulty=5.0, last_review=now - timedelta(days=10))
    expected = Scheduler().get_card_retrievability(card, current_datetime=now)
    assert terms.retrievability(np.array([10.0]), np.array([4.0]))[0] == pytest.approx(
        expected, abs=1e-6
    )


def test_review_need_only_for_mastered_fading_skills() -> None:
    recall = np.array([0.95, 0.85, 0.5, 0.3])
    mastered = np.array([True, True, True, False])
    v = terms.review_need(recall, mastered, 0.9)
    assert v[0] == 0 and v[3] == 0
    assert 0.5 <= v[1] < v[2] == 1.0


def test_stability_grows_with_practice() -> None:
    s = terms.stability_days(np.array([0, 1, 4, 16]), 2.0, 0.7)
    assert s[0] == s[1] == 2.0
    assert np.all(np.diff(s[1:]) > 0)


def test_progress_exploration_and_flags() -> None:
    assert terms.learning_progress(np.array([-0.3, 0.0, 0.25, 0.9])).tolist() == [0, 0, 0.5, 1]
    bonus = terms.exploration_bonus(np.array([0, 3, 99]))
    assert bonus[0] == 1.0 and bonus[1] == 0.5 and bonus[2] == pytest.approx(0.1)
    m = np.array([0.96, 0.96, 0.5, 0.5])
    n = np.array([5, 1, 12, 12])
    mastered = terms.is_mastered(m, n, 0.95, 3)
    assert mastered.tolist() == [True, False, False, False]  # min responses guards false mastery
    stuck = terms.is_stuck(m, n, np.array([0, 0, 0.0, 0.3]), mastered, 10, 0.05)
    assert stuck.tolist() == [False, False, True, False]
    assert terms.variety_penalty(np.array([0, 2]), 0.3).tolist() == [0, 0.6]


def test_thompson_noise_is_seeded() -> None:
    a = terms.thompson_noise((2, 3), 0.1, seed=1, now=5.0)
    b = terms.thompson_noise((2, 3), 0.1, seed=1, now=5.0)
    c = terms.thompson_noise((2, 3), 0.1, seed=2, now=5.0)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert not terms.thompson_noise((2, 3), 0.0, seed=1, now=5.0).any()


def test_where_learning_is_gradual_a_skill_needs_enough_answers_to_be_shown() -> None:
    """Before, two right answers showed a skill whatever the district: where accuracy grows
    step by step, BKT then called it mastered too early (issue 16). Now a gradual verdict
    (`gradual_hold`) holds a practised skill until `at_least` answers; an untouched skill is
    read from its placement as before, and without the verdict nothing changes."""
    n = np.array([[0, 1, 2, 3, 4, 6]])
    streak = n.copy()  # every answer right
    hold = terms.gradual_hold(np.array([8.0]), 3.0, 4)
    assert hold.tolist() == [[4]]
    assert terms.shown_by_answers(n, streak, 2, hold).tolist() == [
        [True, False, False, False, True, True]
    ]
    not_gradual = terms.gradual_hold(np.array([1.9, np.nan]), 3.0, 4)
    assert not_gradual.tolist() == [[0], [0]]
    both = np.vstack([n, n])
    assert terms.shown_by_answers(both, both, 2, not_gradual).all()


def test_review_interest_scale_lifts_review_by_the_strongest_interest() -> None:
    interests = np.array([[0.0, 0.0], [0.5, 1.0]])
    scale = terms.review_interest_scale(interests, review_weight=3.0, interest_weight=1.5)
    np.testing.assert_allclose(scale, [[1.0], [1.5]])  # 3.0 * 1.5 = 3.0 + 1.5 * 1.0
    off = terms.review_interest_scale(interests, review_weight=0.0, interest_weight=1.5)
    np.testing.assert_allclose(off, [[1.0], [1.0]])  # reviews turned off stay off
    assert terms.review_interest_scale(np.zeros((2, 0)), 3.0, 1.5).shape == (2, 1)


def test_time_ago_does_not_overstate_months() -> None:
    """A trial's student last answered 78 days before the night (2.6 months, in a log 2.7
    months long) and was told "you mastered it 3 months ago": weeks now run to 13."""
    from adaptive.policy.explain import time_ago

    assert time_ago(78) == "11 weeks ago"
    assert time_ago(60) == "9 weeks ago"
    assert time_ago(5) == "5 days ago" and time_ago(20) == "3 weeks ago"
    assert time_ago(100) == "3 months ago" and time_ago(210) == "7 months ago"
    assert time_ago(700) == "2 years ago" and time_ago(0.2) == "today"


def test_first_best_of_each_skill_keeps_one_eligible_activity_per_skill() -> None:
    """Ties go to the lowest index; an ineligible activity is never the best."""
    from adaptive.policy.terms import first_best_of_each_skill

    primary = np.array([0, 1, 0, 2, 1, 0])
    score = np.array([[1.0, 5.0, 1.0, 3.0, 5.0, 0.5], [2.0, 2.0, 2.0, 1.0, 1.0, 1.0]])
    eligible = np.ones(score.shape, bool)
    eligible[1, 0] = False
    best = first_best_of_each_skill(score, eligible, primary)
    np.testing.assert_array_equal(best, [[1, 1, 0, 1, 0, 0], [0, 1, 1, 1, 0, 0]])


def random_dag_catalog(n_skills: int, seed: int) -> Catalog:
    """A catalog of `n_skills` skills, each with up to 4 earlier prerequisites, one activity each."""
    rng = np.random.default_rng(seed)
    skills = [
        Skill(f"s{i}", f"Skill {i}", tuple(sorted({f"s{j}" for j in rng.integers(0, i, rng.integers(0, 5))})) if i else ())
        for i in range(n_skills)
    ]  # fmt: skip
    acts = [Activity(f"{s.id}.a", s.name, (s.id,)) for s in skills]
    return Catalog(tuple(skills), tuple(acts))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_prerequisite_products_equal_the_dense_formula(seed: int) -> None:
    """The catalog's arrays keep the prerequisite graph sparse (a dense (S, S) product per
    request grew 10x with 4x the skills): the terms read from them equal the dense formula."""
    catalog = random_dag_catalog(300, seed)
    ctx = catalog_arrays(catalog)
    rng = np.random.default_rng(seed)
    n, n_s = 7, len(catalog.skills)
    mastery = np.where(rng.random((n, n_s)) < 0.1, np.nan, rng.random((n, n_s)))
    shown = rng.random((n, n_s)) < 0.8
    dense_t = catalog.prerequisite_matrix.T.toarray().astype(np.float32)
    for given in (None, shown):
        unmet = ~terms.prerequisite_met(mastery, 0.6, given)
        old = np.rint(unmet.astype(np.float32) @ dense_t).astype(np.int32)
        new = terms.missing_prerequisites(mastery, ctx.prerequisite_t, 0.6, given)
        assert new.dtype == old.dtype and np.array_equal(new, old)
    goals = rng.random((n, n_s)) < 0.02
    goals[0] = False  # a student without goals
    old_goal = terms.goal_relevance(goals, catalog.prerequisite_closure.astype(np.float32), mastery)
    new_goal = terms.goal_relevance(goals, ctx.closure, mastery)
    assert new_goal.dtype == old_goal.dtype and np.array_equal(new_goal, old_goal)
    # a sentence's "the skill built on it that you are failing": the same dependents, in order
    batch = StudentBatch.build(
        catalog, [f"u{i}" for i in range(n)], mastery,
        n_responses=rng.integers(0, 8, (n, n_s)).astype(np.int32),
        streak=np.zeros((n, n_s), np.int32),
        last_practiced=rng.uniform(0, 30, (n, n_s)),
    )  # fmt: skip
    config = PolicyConfig()
    named = 0
    for skill in rng.integers(0, n_s, 40):
        dependents = np.flatnonzero(dense_t[skill])
        failing = dependents[
            terms.is_failing(
                batch.mastery[0, dependents], batch.n_responses[0, dependents],
                batch.streak[0, dependents], config.check_prerequisites_after,
                config.mastery_threshold,
            )
        ]  # fmt: skip
        expected = ""
        if len(failing):
            latest = np.nan_to_num(batch.last_practiced[0, failing], nan=-np.inf)
            expected = str(ctx.skill_names[failing[int(np.argmax(latest))]])
        assert failing_dependent(ctx, batch, 0, int(skill), config) == expected
        named += expected != ""
    assert named  # some skills do have a failing dependent to name
