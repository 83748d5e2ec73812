"""Ground-truth learners: shapes, determinism, learning, forgetting, engagement, prerequisites."""

from __future__ import annotations

import numpy as np
import pytest

from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.errors import ConfigError
from adaptive.simulation import SIMULATORS, make_learners
from adaptive.simulation.learners import CALIBRATION_FILE, LearningParams, load_calibration

KINDS = sorted(SIMULATORS)
LEVELS = (("easy", -1.0, "space"), ("medium", 0.0, "sports"), ("hard", 1.5, "art"))
N = 4000


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """base <- mid <- top; per skill an easy, a medium and a hard activity on different topics."""
    skills = (Skill("base"), Skill("mid", prerequisites=("base",)),
              Skill("top", prerequisites=("base", "mid")))  # fmt: skip
    acts = [
        Activity(f"{s}.{lvl}", f"{s} {lvl}", (s,), difficulty=d, topics=(topic,))
        for s in ("base", "mid", "top")
        for lvl, d, topic in (
            ("easy", -1.0, "space"),
            ("medium", 0.0, "sports"),
            ("hard", 1.5, "art"),
        )
    ]
    acts.append(
        Activity("project", "both", ("mid", "top"), topics=("space", "art"), kind="project")
    )
    return Catalog(skills, tuple(acts))


def act(catalog: Catalog, activity_id: str, n: int = N) -> np.ndarray:
    return np.full(n, catalog.activity_index.get_loc(activity_id))


def practise(sim, catalog, activity_id, days, start=0.0, students=None):
    students = np.arange(sim.n_students) if students is None else students
    for day in range(days):
        sim.respond(students, act(catalog, activity_id, len(students)), start + day)


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_and_types(catalog: Catalog, kind: str) -> None:
    sim = make_learners(kind, catalog, 50, seed=1)
    students = np.arange(0, 50, 2)
    correct, completed = sim.respond(students, act(catalog, "project", 25), 1.0)
    assert correct.dtype == np.int8 and completed.dtype == bool and correct.shape == (25,)
    assert set(np.unique(correct)) <= {0, 1} and not correct[~completed].any()
    truth = sim.true_mastery(2.0)
    assert truth.shape == (50, 3) and truth.dtype == np.float32
    assert ((truth >= 0) & (truth <= 1)).all()
    assert sim.true_mastery(2.0, students=np.array([3, 4])).shape == (2, 3)
    assert sim.is_mastered(2.0).dtype == bool
    p = sim.p_correct(np.arange(50), act(catalog, "mid.easy", 50), 2.0)
    assert p.shape == (50,) and ((p > 0) & (p < 1)).all()
    traits = sim.traits()
    assert list(traits.columns[:2]) == ["slow_learner", "low_prior"] and len(traits) == 50
    profiles = sim.learner_profiles([f"s{i}" for i in range(50)])
    assert set(profiles[0].interests) <= set(catalog.topics) and profiles[0].interests


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic_for_a_seed(catalog: Catalog, kind: str) -> None:
    runs = []
    for seed in (3, 3, 4):
        sim = make_learners(kind, catalog, 300, seed=seed)
        out = [sim.respond(np.arange(300), act(catalog, a, 300), t)
               for t, a in enumerate(["base.easy", "mid.medium", "project"])]  # fmt: skip
        runs.append((out, sim.true_mastery(5.0)))
    (out_a, truth_a), (out_b, truth_b), (out_c, truth_c) = runs
    for (ca, da), (cb, db) in zip(out_a, out_b, strict=True):
        assert np.array_equal(ca, cb) and np.array_equal(da, db)
    assert np.array_equal(truth_a, truth_b)
    assert not np.array_equal(truth_a, truth_c)


def test_same_seed_same_students_across_kinds(catalog: Catalog) -> None:
    """Paired comparisons: the traits stream does not depend on the kind or on the calls."""
    sims = [make_learners(kind, catalog, 500, seed=9) for kind in KINDS]
    for sim in sims[1:]:
        assert np.array_equal(sim.slow_learner, sims[0].slow_learner)
        assert np.array_equal(sim.interests, sims[0].interests)


def test_bad_calls_raise(catalog: Catalog) -> None:
    sim = make_learners("bkt", catalog, 10, seed=0)
    with pytest.raises(ConfigError, match="more than once"):
        sim.respond(np.array([1, 1]), np.array([0, 1]), 0.0)
    with pytest.raises(ConfigError, match="outside"):
        sim.respond(np.array([10]), np.array([0]), 0.0)
    with pytest.raises(ConfigError, match="interests shape"):
        make_learners("bkt", catalog, 10, seed=0, interests=np.zeros((10, 1)))
    with pytest.raises(ConfigError, match="learner kind"):
        make_learners("irt", catalog, 10, seed=0)
    with pytest.raises(ConfigError, match=r"unknown learner kind 'BKT' \(did you mean 'bkt'\?\)"):
        make_learners("BKT", catalog, 10, seed=0)


@pytest.mark.parametrize("kind", KINDS)
def test_learners_learn_with_practice(catalog: Catalog, kind: str) -> None:
    practised = make_learners(kind, catalog, N, seed=5)
    control = make_learners(kind, catalog, N, seed=5)
    base = catalog.skill_index.get_loc("base")
    practise(practised, catalog, "base.medium", days=8)
    gain = practised.true_mastery(8.0)[:, base].mean() - control.true_mastery(8.0)[:, base].mean()
    assert gain > 0.1, gain
    # slow learners gain less than the others from the same practice
    start = control.true_mastery(8.0)[:, base]
    per_student = practised.true_mastery(8.0)[:, base] - start
    slow = practised.slow_learner
    assert per_student[slow].mean() < per_student[~slow].mean()


@pytest.mark.parametrize("kind", KINDS)
def test_forgetting_lowers_true_mastery_over_a_gap(catalog: Catalog, kind: str) -> None:
    sim = make_learners(kind, catalog, N, seed=6, learning=LearningParams(forget_scale=1.0))
    practise(sim, catalog, "base.medium", days=6)
    now = sim.true_mastery(6.0)[:, 0]
    later = sim.true_mastery(66.0)[:, 0]
    assert later.mean() < now.mean() - 0.02
    assert (later <= now + 1e-6).all()
    # and the answers after the gap show it
    right_now = sim.p_correct(np.arange(N), act(catalog, "base.medium"), 6.0).mean()
    after_gap = sim.p_correct(np.arange(N), act(catalog, "base.medium"), 66.0).mean()
    assert after_gap < right_now


@pytest.mark.parametrize("kind", KINDS)
def test_completion_rises_with_interest(catalog: Catalog, kind: str) -> None:
    """Engagement measured: half the students care only about space, half only about art."""
    interests = np.zeros((N, len(catalog.topics)), dtype=np.float32)
    space, art = catalog.topic_index.get_loc("space"), catalog.topic_index.get_loc("art")
    half = N // 2
    interests[:half, space] = 1.0
    interests[half:, art] = 1.0
    sim = make_learners(kind, catalog, N, seed=7, interests=interests)
    # everyone does the easy (space) activity of `base`: the space fans complete it more often
    _, completed = sim.respond(np.arange(N), act(catalog, "base.easy"), 0.0)
    assert completed[:half].mean() > completed[half:].mean() + 0.1
    match = sim.interest_match(np.arange(N), act(catalog, "base.easy"))
    assert np.allclose(match[:half], 1.0) and np.allclose(match[half:], 0.0)


def test_prerequisites_speed_up_learning(catalog: Catalog) -> None:
    """The prerequisite kind: learning `mid` is far slower when `base` is not known."""
    gains = {}
    for known in (0.0, 1.0):
        prior = np.zeros((N, 3))
        prior[:, 0] = known
        exact = LearningParams(low_prior_fraction=0.0)  # keep the prior exactly as given
        sim = make_learners("prerequisite", catalog, N, seed=8, prior_mastery=prior, learning=exact)
        practise(sim, catalog, "mid.easy", days=6)
        gains[known] = sim.true_mastery(6.0)[:, 1].mean()
    assert gains[1.0] > 3 * gains[0.0], gains


@pytest.mark.parametrize("kind", KINDS)
def test_harder_activities_are_answered_correctly_less_often(catalog: Catalog, kind: str) -> None:
    sim = make_learners(kind, catalog, 500, seed=2)
    students = np.arange(500)
    p = [sim.p_correct(students, act(catalog, f"mid.{lvl}", 500), 0.0).mean()
         for lvl in ("easy", "medium", "hard")]  # fmt: skip
    assert p[0] > p[1] > p[2]


@pytest.mark.parametrize("kind", KINDS)
def test_low_prior_students_know_less_at_the_start(catalog: Catalog, kind: str) -> None:
    sim = make_learners(kind, catalog, N, seed=4)
    truth = sim.true_mastery(0.0).mean(axis=1)
    assert truth[sim.low_prior].mean() < truth[~sim.low_prior].mean() - 0.05


def test_bkt_kind_draws_calibrated_skill_parameters(catalog: Catalog) -> None:
    fits = load_calibration(CALIBRATION_FILE)
    assert len(fits) >= 50 and fits["usable"].all()
    for p in ("p_init", "p_learn", "p_guess", "p_slip", "p_forget"):
        assert fits[p].between(0, 1).all()
    assert (fits["p_guess"] < 0.5).all() and (fits["p_slip"] < 0.5).all()
    sim = make_learners("bkt", catalog, 10, seed=0)
    assert set(sim.p_learn) <= set(fits["p_learn"])
