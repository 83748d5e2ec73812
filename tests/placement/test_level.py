"""The diagnostic's level model: one point per student in the curriculum's sequence, its prior
from the grade table, answers that move every graded skill, the choice by information, and which
students it serves (those placed from their grade)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.errors import ConfigError
from adaptive.placement import (
    DiagnosticError,
    Placement,
    PlacementDiagnostic,
    combine,
    grade_placement,
)
from adaptive.placement.level import CurriculumLevel

# two branches per grade: a1 -> a2 -> a3 (grade 3 from a2 on) and b1 -> b2 -> b3, x ungraded
GRADES = {"a1": 2, "a2": 3, "a3": 3, "b1": 2, "b2": 3, "b3": 3, "x": None}
PREREQS = {"a2": ("a1",), "a3": ("a2",), "b2": ("b1",), "b3": ("b2",)}


def two_branch_catalog() -> Catalog:
    skills = tuple(Skill(s, s, PREREQS.get(s, ()), grade=g) for s, g in GRADES.items())
    activities = tuple(Activity(f"{s}@0", s, (s,), difficulty=0.0) for s in GRADES)
    return Catalog(skills, activities)


def grade_prior(grade: int = 3, n: int = 1) -> Placement:
    profiles = [LearnerProfile(f"s{i}", grade=grade) for i in range(n)]
    return grade_placement(two_branch_catalog(), profiles)


def after(skill: str, correct: int, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Beliefs before and after one answer to `skill` (asked whatever the choice)."""
    diag = PlacementDiagnostic(two_branch_catalog(), grade_prior(), **kwargs)
    batch = diag.start_batch(["s0"])
    before = batch.beliefs[0].copy()
    batch._pending = (np.array([0]), np.array([diag.skills.index(skill)]))
    batch.answer([correct])
    return before, batch.beliefs[0]


def col(name: str) -> int:
    return list(GRADES).index(name)


def test_grade_placement_carries_grades_and_combine_drops_them() -> None:
    prior = grade_prior(3, 2)
    assert prior.grades.tolist() == [3.0, 3.0]
    assert prior.subset(["s1"]).grades.tolist() == [3.0]
    assert combine(prior).grades is None
    with pytest.raises(ConfigError, match="grades for"):
        Placement(("a",), ("k",), np.zeros((1, 1)), grades=np.array([1.0, 2.0]))


def test_prior_of_the_point_follows_the_grade_table() -> None:
    """At 0 questions the level model's beliefs keep the grade table's order: earlier grades
    mostly known, own grade falling along its prerequisite order, the ungraded skill untouched."""
    prior = grade_prior()
    diag = PlacementDiagnostic(two_branch_catalog(), prior)
    start = diag.start_batch(["s0"]).beliefs[0]
    assert start[col("a1")] > 0.75 and start[col("b1")] > 0.75
    assert start[col("a1")] > start[col("a2")] > start[col("a3")]
    assert start[col("a2")] == pytest.approx(start[col("b2")])
    assert start[col("x")] == pytest.approx(0.5)  # no grade: the population prior


def test_a_correct_answer_late_in_the_grade_raises_every_earlier_skill_on_any_branch() -> None:
    before, now = after("a3", 1)
    assert now[col("a3")] > before[col("a3")]
    # b2 is not a prerequisite of a3 (another branch), yet comes earlier in the sequence
    for skill in ("a1", "a2", "b1", "b2"):
        assert now[col(skill)] > before[col(skill)], skill
    assert now[col("x")] == before[col("x")]


def test_a_wrong_answer_early_lowers_every_later_skill() -> None:
    before, now = after("b2", 0)
    for skill in ("a2", "a3", "b2", "b3"):
        assert now[col(skill)] < before[col(skill)], skill


def test_an_ungraded_skill_gets_bayes_on_its_own_answer_only() -> None:
    before, now = after("x", 1)
    assert now[col("x")] > before[col("x")]
    graded = [col(s) for s in GRADES if GRADES[s] is not None]
    assert np.allclose(now[graded], before[graded])


@pytest.mark.parametrize("grade", [3, 8, 12])
def test_wrong_answers_place_a_student_low_whatever_their_grade(grade: int) -> None:
    """Every answer wrong places the student low on the catalog, their grade past its end
    included: a twelfth grader on a grade 2-3 catalog (or a "12" typed for "2") had no prior
    weight on any cell of it, and a trial's 15 wrong answers out of 15 left every skill at
    0.98, served nothing."""
    diag = PlacementDiagnostic(two_branch_catalog(), grade_prior(grade), max_questions=6)
    session = diag.start("s0")
    while (q := session.next_question()) is not None:
        session.answer(0, question=q.skill)
    graded = [col(s) for s in GRADES if GRADES[s] is not None]
    assert session.placement().mastery[0, graded].mean() < 0.5  # 0.98 at 8 and 12 before


def test_the_first_question_is_where_the_student_stands_not_a_certain_skill() -> None:
    diag = PlacementDiagnostic(two_branch_catalog(), grade_prior())
    q = diag.start("s0").next_question()
    assert q is not None and GRADES[q.skill] == 3  # own grade, not grade 2 (known) or ungraded
    info = diag.level.information(
        diag.level.start(np.array([3.0])), diag.answers.guess, diag.answers.slip
    )[0]
    assert info[col("x")] == 0.0 and info[diag.skills.index(q.skill)] == info.max()


def test_students_without_a_grade_follow_the_graph_model() -> None:
    """`auto`: a prior that is not grade level alone (here combined) runs the graph model, the
    same beliefs as asking for it; "level" needs a grade, and a graded catalog."""
    catalog = two_branch_catalog()
    combined = combine(grade_prior())
    runs = []
    for model in ("auto", "graph"):
        diag = PlacementDiagnostic(catalog, combined, model=model, max_questions=3)
        runs.append(diag.run(["s0"], lambda rows, codes: np.ones(len(rows), np.int8)).mastery)
    assert np.array_equal(runs[0], runs[1])
    with pytest.raises(DiagnosticError, match="needs each student's grade"):
        PlacementDiagnostic(catalog, combined, model="level").start("s0")
    ungraded = Catalog(tuple(Skill(s, s) for s in "ab"))
    with pytest.raises(ConfigError, match="no skill of the catalog has a grade"):
        PlacementDiagnostic(ungraded, model="level")
    assert PlacementDiagnostic(ungraded).level is None  # auto: the graph model for everyone
    with pytest.raises(ConfigError, match="expected one of"):
        PlacementDiagnostic(catalog, model="levels")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="level noise"):
        CurriculumLevel.of(catalog, noise=0.5)


def simulated_answers(sim, acts: np.ndarray, rng: np.random.Generator):
    """answer_fn: the simulator's P(correct) on each question's activity, drawn from `rng`."""

    def answer(rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
        return (rng.random(len(rows)) < sim.p_correct(rows, acts[codes], 0.0)).astype(np.int8)

    return answer


def test_level_model_places_better_than_the_graph_model_on_a_generated_map() -> None:
    """On a generated Junyi-like map (150 skills) with the simulator's depth-reach learners,
    10 questions: the level model ranks true mastery better than the grade prior and than the
    graph model, pooled over students (where a student stands is what the prior cannot know),
    and both rank the own grade's skills, which the prior ties."""
    from adaptive.simulation.junyi import JunyiLearners, synthetic_graph_catalog

    catalog = synthetic_graph_catalog(150, 30, seed=1)
    n = 150
    grades = np.random.default_rng(2).choice([2, 3, 4], n)
    sim = JunyiLearners(catalog, n, 11, grades=grades)
    known = sim.known.copy()
    own = catalog.skill_grades[None, :] == grades[:, None]
    ids = [f"s{i}" for i in range(n)]
    profiles = [LearnerProfile(s, grade=int(g)) for s, g in zip(ids, grades, strict=True)]
    prior = grade_placement(catalog, profiles)
    activity = {a.id: i for i, a in enumerate(catalog.activities)}
    auc = {"prior": roc_auc_score(known.ravel(), prior.mastery.ravel())}
    for model in ("level", "graph"):
        diag = PlacementDiagnostic(catalog, prior, model=model)
        acts = np.array([activity[a] for a in diag.question_activities])
        answer = simulated_answers(sim, acts, np.random.default_rng(4))
        placed = diag.run(ids, answer, 10).mastery
        auc[model] = roc_auc_score(known.ravel(), placed.ravel())
        assert roc_auc_score(known[own], placed[own]) > 0.7, model
    assert auc["level"] > auc["graph"] > auc["prior"] + 0.003, auc


def test_one_student_s_start_is_their_own_copy() -> None:
    """`start` for one student skips the grouping by grade; what a caller absorbs into it
    (the diagnostic does so in place) must not move the next student's prior."""
    level = CurriculumLevel.of(two_branch_catalog())
    first = level.start(np.array([3.0]))
    before = level.start(np.array([3.0])).copy()
    level.absorb(first, np.array([col("a3")]), np.array([1]), np.array([0.2]), np.array([0.1]))
    np.testing.assert_array_equal(level.start(np.array([3.0])), before)
