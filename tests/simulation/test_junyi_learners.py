"""The graph family (issue 16 item 6): Junyi-like catalogs, ability-driven learners, schedules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.simulation import SIMULATORS, make_learners
from adaptive.simulation.junyi import (
    DIFFICULTIES,
    JunyiLearners,
    grade_of_depth,
    junyi_catalog,
    synthetic_graph_catalog,
)
from adaptive.simulation.schedule import curriculum_practice, practice_table, responses_log

N = 3000


@pytest.fixture(scope="module")
def chain() -> Catalog:
    """base <- top, each at difficulty -1, 0, +1 on its own topic."""
    skills = (Skill("base", grade=1), Skill("top", prerequisites=("base",), grade=2))
    acts = tuple(
        Activity(f"{s}@{d:+.0f}", f"{s} {d}", (s,), difficulty=d, topics=(f"t_{s}",))
        for s in ("base", "top")
        for d in DIFFICULTIES
    )
    return Catalog(skills, acts)


def idx(catalog: Catalog, activity_id: str, n: int = N) -> np.ndarray:
    return np.full(n, catalog.activity_index.get_loc(activity_id))


def practise(sim, catalog, activity_id, days, start=1.0):
    students = np.arange(sim.n_students)
    for d in range(days):
        sim.respond(students, idx(catalog, activity_id, sim.n_students), start + d)


def test_registered_and_graded_by_depth() -> None:
    assert SIMULATORS["junyi"] is JunyiLearners
    cat = synthetic_graph_catalog(n_skills=80, n_levels=18, seed=3)
    depth = cat.prerequisite_depth
    pos = {s: i for i, s in enumerate(cat.skill_index)}
    for i, s in enumerate(cat.skills):  # deeper than every prerequisite
        assert all(depth[i] > depth[pos[p]] for p in s.prerequisites)
    assert (cat.skill_grades == grade_of_depth(depth)).all()
    assert len(cat.activities) == 3 * len(cat.skills)
    assert sorted({a.difficulty for a in cat.activities}) == list(DIFFICULTIES)
    assert all(len(a.topics) == 1 for a in cat.activities)
    assert grade_of_depth(np.array([0, 5, 6, 65, 200])).tolist() == [1, 1, 2, 11, 11]


def test_no_learning_without_prerequisites(chain: Catalog) -> None:
    prior = np.zeros((N, 2))
    sim = make_learners("junyi", chain, N, seed=0, prior_mastery=prior)
    practise(sim, chain, "top@+0", 15)
    assert not sim.is_mastered(16.0)[:, 1].any()  # base unknown: top is never learned
    prior[:, 0] = 1.0
    sim = make_learners("junyi", chain, N, seed=0, prior_mastery=prior)
    practise(sim, chain, "top@+0", 15)
    assert sim.is_mastered(16.0)[:, 1].mean() > 0.3


def test_learning_is_fastest_near_ability(chain: Catalog) -> None:
    learned = {}
    for d in DIFFICULTIES:
        sim = make_learners("junyi", chain, N, seed=1, prior_mastery=np.zeros((N, 2)))
        sim.ability[:] = -1.0  # every student's ability sits at the easiest activity
        sim.engagement_base[:] = 5.0  # everyone completes: isolate the learning rate
        practise(sim, chain, f"base@{d:+.0f}", 2)
        learned[d] = sim.is_mastered(3.0)[:, 0].mean()
    assert learned[-1.0] > learned[0.0] + 0.05 > learned[1.0] + 0.1
    fit = sim.learning_fit(np.zeros(3, int), np.arange(3), 3.0)
    assert fit[0] == pytest.approx(1.0) and fit[0] > fit[1] > fit[2]


def test_forgetting_over_a_gap(chain: Catalog) -> None:
    sim = make_learners("junyi", chain, N, seed=2, prior_mastery=np.zeros((N, 2)))
    practise(sim, chain, "base@+0", 6)
    soon, later = sim.true_mastery(7.0)[:, 0].mean(), sim.true_mastery(187.0)[:, 0].mean()
    assert soon > 0.3 and later < 0.8 * soon
    assert sim.is_mastered(187.0)[:, 0].mean() < sim.is_mastered(7.0)[:, 0].mean()


def test_engagement_rises_with_interest(chain: Catalog) -> None:
    interests = np.zeros((N, 2), np.float32)
    interests[: N // 2, chain.topic_index.get_loc("t_base")] = 1.0
    sim = make_learners("junyi", chain, N, seed=3, interests=interests)
    p = sim.p_complete(np.arange(N), idx(chain, "base@+0"), 1.0)
    assert p[: N // 2].mean() > p[N // 2 :].mean() + 0.1
    _, done = sim.respond(np.arange(N), idx(chain, "base@+0"), 1.0)
    assert done[: N // 2].mean() > done[N // 2 :].mean() + 0.1


def test_seeded_and_prior_knowledge_by_depth() -> None:
    cat = synthetic_graph_catalog(seed=0)
    grades = np.random.default_rng(0).integers(2, 5, 400)
    a = make_learners("junyi", cat, 400, seed=5, grades=grades)
    b = make_learners("junyi", cat, 400, seed=5, grades=grades)
    act = np.random.default_rng(1).integers(0, len(cat.activities), 400)
    np.testing.assert_array_equal(a.known, b.known)
    out_a, out_b = (sim.respond(np.arange(400), act, 1.0) for sim in (a, b))
    np.testing.assert_array_equal(out_a[0], out_b[0])
    np.testing.assert_array_equal(out_a[1], out_b[1])
    ra = curriculum_practice(a, cat, grades, 5, 2.0, seed=9)
    rb = curriculum_practice(b, cat, grades, 5, 2.0, seed=9)
    np.testing.assert_array_equal(ra.correct, rb.correct)
    # prior knowledge: skills of earlier grades mostly known, later grades not at all
    c = make_learners("junyi", cat, 400, seed=6, grades=grades)
    m = c.is_mastered(0.0)
    below = cat.skill_grades[None, :] < grades[:, None] - 1
    above = cat.skill_grades[None, :] > grades[:, None]
    assert m[below].mean() > 0.9 and m[above].mean() == 0.0
    assert m[c.low_prior].mean() < m[~c.low_prior].mean()


def test_curriculum_practice_writes_a_log() -> None:
    cat = synthetic_graph_catalog(seed=0)
    grades = np.full(200, 3)
    sim = make_learners("junyi", cat, 200, seed=0, grades=grades)
    r = curriculum_practice(sim, cat, grades, days=8, first_day=1.0, seed=0)
    assert 0 < len(r) <= 200 * 8
    log = responses_log(cat, [f"x{i}" for i in range(200)], r, pd.Timestamp("2026-09-07", tz="UTC"))
    assert len(log) == len(r) and log.has_timestamps
    assert set(log.items) <= set(cat.activity_index)
    assert practice_table(cat).shape == (len(cat.skills), 3)


def test_junyi_catalog(shared_datasets) -> None:
    cat = junyi_catalog(shared_datasets / "junyi")
    assert len(cat.skills) == 835 and len(cat.activities) == 3 * 835
    assert np.nanmin(cat.skill_grades) == 1 and np.nanmax(cat.skill_grades) == 11
    assert "N/A" not in cat.topics and len(cat.topics) > 30
