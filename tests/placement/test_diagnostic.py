"""The adaptive placement diagnostic: propagation, question choice, limits, determinism, the
vectorized run against one-by-one sessions, bad usage (placement quality: test_level.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.errors import ConfigError
from adaptive.placement import (
    DiagnosticError,
    Placement,
    PlacementDiagnostic,
    Question,
)

# a -> b -> c -> d (a chain), a -> e, and f unrelated to all
EDGES = {"a": (), "b": ("a",), "c": ("b",), "d": ("c",), "e": ("a",), "f": ()}
GRADES = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 2, "f": 3}


def small_catalog() -> Catalog:
    skills = tuple(Skill(s, s.upper(), pre, grade=GRADES[s]) for s, pre in EDGES.items())
    activities = tuple(
        Activity(f"{s}@{d:+.0f}", f"{s} {d}", (s,), difficulty=d)
        for s in EDGES
        for d in (1.0, 0.0, -1.0)
    )
    return Catalog(skills, activities)


def flat_prior(value: float = 0.5, students: tuple[str, ...] = ("s1",)) -> Placement:
    return Placement(students, tuple(EDGES), np.full((len(students), len(EDGES)), value))


def beliefs_after(correct: int, skill: str = "c", order_strength: float = 0.0) -> pd.Series:
    """Beliefs after one answer; the graph alone unless `order_strength` is given."""
    diag = PlacementDiagnostic(small_catalog(), flat_prior(), order_strength=order_strength)
    batch = diag.start_batch(["s1"])
    code = diag.catalog.skill_index.get_loc(skill)
    batch._pending = (np.array([0]), np.array([code]))  # ask `skill` whatever the choice
    batch.answer([correct])
    return pd.Series(batch.beliefs[0], index=list(EDGES))


def test_correct_answer_raises_the_skill_and_its_ancestors_only() -> None:
    after = beliefs_after(1, "c")
    assert after["c"] > 0.6
    assert after["b"] > 0.55 and after["a"] > 0.55  # prerequisites, direct and indirect
    assert after["d"] == pytest.approx(0.5) and after["e"] == pytest.approx(0.5)  # one-way
    assert after["f"] == pytest.approx(0.5)  # unrelated


def test_wrong_answer_lowers_the_skill_and_its_descendants_only() -> None:
    after = beliefs_after(0, "b")
    assert after["b"] < 0.4
    assert after["c"] < 0.4 and after["d"] < 0.4  # dependents, direct and indirect
    assert after["a"] == pytest.approx(0.5) and after["e"] == pytest.approx(0.5)
    assert after["f"] == pytest.approx(0.5)


def test_progression_within_a_grade_moves_skills_taught_before_or_after() -> None:
    """f (grade 3, depth 0) is taught before c (grade 3, depth 2) without being its
    prerequisite: a correct answer on c raises f; a wrong one on f lowers c (and, through the
    graph, d). Other grades do not move."""
    right = beliefs_after(1, "c", order_strength=0.3)
    assert right["f"] > 0.55 and right["e"] == pytest.approx(0.5)
    assert right["f"] < right["b"]  # softer than the prerequisite implication (0.7)
    wrong = beliefs_after(0, "f", order_strength=0.3)
    assert wrong["c"] < 0.45 and wrong["b"] == pytest.approx(0.5)
    assert beliefs_after(1, "c")["f"] == pytest.approx(0.5)  # off: the graph only


def test_secondary_moves_follow_jeffreys_rule_when_enabled() -> None:
    diag = PlacementDiagnostic(small_catalog(), flat_prior(), secondary=1.0)
    batch = diag.start_batch(["s1"])
    batch._pending = (np.array([0]), np.array([diag.catalog.skill_index.get_loc("b")]))
    batch.answer([1])
    after = pd.Series(batch.beliefs[0], index=list(EDGES))
    assert after["c"] > 0.5 and after["d"] > 0.5  # a correct answer makes dependents likelier


def test_the_question_chosen_is_informative_not_an_already_certain_skill() -> None:
    mastery = np.array([[0.999, 0.999, 0.5, 0.5, 0.999, 0.001]])
    prior = Placement(("s1",), tuple(EDGES), mastery)
    # the graph alone: this prior puts f (taught before c in grade 3) far below c, which the
    # progression link would read as news about c
    diag = PlacementDiagnostic(small_catalog(), prior, order_strength=0.0)
    gains = pd.Series(diag.gains(diag.initial_beliefs(["s1"], None))[0], index=list(EDGES))
    question = diag.start("s1").next_question()
    assert question is not None and question.skill in ("c", "d")
    assert gains[question.skill] > 10 * gains[["a", "b", "e", "f"]].max()


def test_question_names_the_activity_of_typical_difficulty() -> None:
    diag = PlacementDiagnostic(small_catalog(), flat_prior())
    question = diag.start("s1").next_question()
    assert isinstance(question, Question)
    assert question.activity == f"{question.skill}@+0"


def test_at_most_n_questions_then_done_and_placed() -> None:
    diag = PlacementDiagnostic(small_catalog(), flat_prior(), max_questions=3)
    session = diag.start("s1")
    asked = []
    while (q := session.next_question()) is not None:
        assert session.next_question() == q  # the same until answered
        asked.append(q.skill)
        session.answer(len(asked) % 2)
    assert len(asked) == 3 == len(set(asked)) and session.done
    placement = session.placement()
    assert placement.students == ("s1",) and placement.skills == tuple(EDGES)
    assert placement.sources == ("placed by diagnostic (3 questions)",)
    assert [a for a, _ in session.answers] == [diag.question(diag.skills.index(s)) for s in asked]


def test_every_skill_asked_ends_the_diagnostic_early() -> None:
    diag = PlacementDiagnostic(small_catalog(), flat_prior(), max_questions=50)
    session = diag.start("s1")
    while session.next_question() is not None:
        session.answer(1)
    assert session.n_answered == len(EDGES)


def truth_and_answers(n: int, seed: int) -> tuple[np.ndarray, object]:
    """Down-set truths on the small graph (a student knows a skill only with its prerequisites)
    and a seeded noisy answer function over them."""
    rng = np.random.default_rng(seed)
    known = rng.random((n, len(EDGES))) < 0.6
    for i, pre in enumerate(EDGES.values()):
        for p in pre:
            known[:, i] &= known[:, list(EDGES).index(p)]
    noise = np.random.default_rng(seed + 1).random((n, len(EDGES)))

    def answer(rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
        p = np.where(known[rows, codes], 0.85, 0.2)
        return (noise[rows, codes] < p).astype(np.int8)

    return known, answer


def test_determinism_same_seed_same_questions_and_placement() -> None:
    ids = [f"s{i}" for i in range(20)]
    _, answer = truth_and_answers(20, 0)
    batches = []
    for _ in range(2):
        diag = PlacementDiagnostic(small_catalog(), flat_prior(0.5, tuple(ids)), seed=3)
        batches.append(diag.start_batch(ids))
        batches[-1].run(answer, 4)
    assert np.array_equal(batches[0].beliefs, batches[1].beliefs)
    for (r0, c0, v0), (r1, c1, v1) in zip(batches[0].history, batches[1].history, strict=True):
        assert np.array_equal(r0, r1) and np.array_equal(c0, c1) and np.array_equal(v0, v1)


@pytest.mark.parametrize("model", ["auto", "graph"])
def test_vectorized_run_equals_sessions_stepped_one_by_one(model: str) -> None:
    ids = [f"s{i}" for i in range(25)]
    known, answer = truth_and_answers(len(ids), 7)
    profiles = [LearnerProfile(s, grade=1 + i % 4) for i, s in enumerate(ids)]
    diag = PlacementDiagnostic(small_catalog(), profiles, max_questions=4, model=model)
    batch = diag.start_batch(ids)
    batch.run(answer)
    for row, sid in enumerate(ids):
        session = diag.start(sid)
        while (q := session.next_question()) is not None:
            code = diag.skills.index(q.skill)
            session.answer(int(answer(np.array([row]), np.array([code]))[0]))
        assert np.array_equal(session.placement().mastery[0], batch.beliefs[row]), sid
    placed = diag.run(ids, answer)
    assert np.array_equal(placed.mastery, batch.beliefs)
    assert set(placed.sources) == {"placed by diagnostic (4 questions)"}


def test_run_with_fewer_questions_and_random_baseline() -> None:
    ids = [f"s{i}" for i in range(10)]
    _, answer = truth_and_answers(len(ids), 1)
    diag = PlacementDiagnostic(small_catalog(), flat_prior(0.5, tuple(ids)))
    batch = diag.start_batch(ids)
    batch.run(answer, 2, random=np.random.default_rng(0))
    assert (batch.n_asked == 2).all() and (batch.asked.sum(axis=1) == 2).all()
    assert diag.run(ids, answer, 0).mastery == pytest.approx(0.5)


def test_params_from_a_bkt_table_and_degenerate_ones_warn() -> None:
    table = pd.DataFrame(
        {
            "skill": ["a", "b", "zzz"],  # b: guess + slip >= 0.8; zzz: not in the catalog
            "p_init": [0.8, 0.4, 0.5],
            "p_guess": [0.15, 0.6, 0.1],
            "p_slip": [0.05, 0.5, 0.1],
        }
    )
    with pytest.warns(UserWarning, match="degenerate"):
        diag = PlacementDiagnostic(small_catalog(), params=table)
    assert diag.answers.guess[:2].tolist() == [0.15, 0.3]  # b fell back to the default
    assert diag.answers.slip[:2].tolist() == [0.05, 0.2]
    start = diag.initial_beliefs(["anyone"], None)[0]
    assert start[:3].tolist() == pytest.approx([0.8, 0.4, 0.5])  # population prior, no prior


def test_bad_usage_raises_clear_errors() -> None:
    diag = PlacementDiagnostic(small_catalog(), flat_prior())
    session = diag.start("s1")
    with pytest.raises(DiagnosticError, match="no question is pending"):
        session.answer(1)
    session.next_question()
    for bad in (2, 0.5, "1", None):
        with pytest.raises(DiagnosticError, match="expected 0"):
            session.answer(bad)  # type: ignore[arg-type]
    session.answer(True)
    with pytest.raises(DiagnosticError, match="not in the prior placement"):
        diag.start("nobody")
    with pytest.raises(DiagnosticError, match="unique"):
        diag.start_batch(["s1", "s1"])
    batch = diag.start_batch(["s1"])
    batch.next_questions()
    with pytest.raises(DiagnosticError, match="one per pending question"):
        batch.answer([1, 0])
    for kwargs in ({"max_questions": -1}, {"strength": 1.5}, {"criterion": "gini"}):
        with pytest.raises(ConfigError):
            PlacementDiagnostic(small_catalog(), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="guess"):
        PlacementDiagnostic(small_catalog(), guess=0.6, slip=0.5)


def test_variance_criterion_also_picks_informative_questions() -> None:
    mastery = np.array([[0.999, 0.999, 0.5, 0.5, 0.999, 0.001]])
    diag = PlacementDiagnostic(
        small_catalog(), Placement(("s1",), tuple(EDGES), mastery), criterion="variance"
    )
    question = diag.start("s1").next_question()
    assert question is not None and question.skill in ("c", "d")


def test_junyi_session_places_all_835_skills(shared_datasets) -> None:
    from adaptive.simulation.junyi import junyi_catalog

    catalog = junyi_catalog(shared_datasets / "junyi")
    profiles = [LearnerProfile("s1", grade=5)]
    diag = PlacementDiagnostic(catalog, profiles)
    session = diag.start("s1")
    while (q := session.next_question()) is not None:
        session.answer(int(catalog.skill(q.skill).grade < 5))
    placement = session.placement()
    assert placement.mastery.shape == (1, 835) and session.n_answered == 15
    assert placement.sources == ("placed by diagnostic (15 questions)",)


def test_prior_is_aligned_to_the_catalog_and_gaps_start_at_the_population_prior() -> None:
    skills = ("f", "d", "a")  # another order, and b, c, e missing
    prior = Placement(("s2", "s1"), skills, np.array([[0.1, 0.2, 0.3], [0.7, 0.8, 0.9]]))
    diag = PlacementDiagnostic(small_catalog(), prior, default_prior=0.4)
    start = pd.Series(diag.start("s1").beliefs)
    assert start.to_dict() == pytest.approx(
        {"a": 0.9, "b": 0.4, "c": 0.4, "d": 0.8, "e": 0.4, "f": 0.7}
    )
