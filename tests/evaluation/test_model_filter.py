"""Model filters: exact-model beliefs from answers alone, and the reference policy they drive."""

from __future__ import annotations

import numpy as np
import pytest

from adaptive.errors import ConfigError
from adaptive.evaluation import policy_eval as pe
from adaptive.evaluation.model_filter import GraphFilter, model_filter
from adaptive.evaluation.policy_eval import EvalSettings, evaluate_policies, make_cohort
from adaptive.policy.base import catalog_arrays
from adaptive.simulation.junyi import synthetic_graph_catalog
from adaptive.simulation.schedule import Responses


@pytest.fixture(scope="module")
def graph_cohort():
    return make_cohort(synthetic_graph_catalog(), "graph-cold", 200, seed=3, warmup_days=0)


def _answers(sim, bound, skills: np.ndarray, day: float) -> None:
    """Every student answers one activity of each skill (its middle difficulty), in turn."""
    acts = np.array([np.flatnonzero(sim._act_codes[:, 0] == k)[1] for k in skills])
    rows = np.arange(sim.n_students)
    for i, act in enumerate(acts):
        correct, done = sim.respond(rows, np.full(len(rows), act), day + i / 100)
        bound.absorb(rows, np.full(len(rows), act), correct, done)


def test_the_reach_is_read_from_answers_on_other_skills(graph_cohort) -> None:
    """A student's answers across depths locate their depth reach: the belief on skills never
    answered ranks the truth far better than the prior does, and a skill answered right is
    believed known more than one answered wrong."""
    sim = graph_cohort.simulator()
    prereq = catalog_arrays(graph_cohort.catalog).prerequisite
    bound = GraphFilter(sim, prereq, "learner")
    prior = bound.p_known()
    depth = sim.depth
    asked = np.concatenate([np.flatnonzero(depth == d)[:2] for d in range(depth.max() + 1)])
    _answers(sim, bound, asked, 0.0)
    truth = sim.is_mastered(1.0)
    unasked = np.setdiff1d(np.arange(sim.n_skills), asked)
    # inside the students' own prior grade, where the prior leaves the reach uncertain
    band = (prior[:, unasked] > 0.01) & (prior[:, unasked] < 0.94)
    after, before = bound.p_known()[:, unasked][band], prior[:, unasked][band]
    known = truth[:, unasked][band]
    assert _auc(after, known) > _auc(before, known) + 0.1
    assert _auc(after, known) > 0.85
    weights = bound.weights(np.arange(sim.n_students))
    assert weights.max(axis=1).mean() > 1.5 / weights.shape[1]  # the reach posterior narrows


def test_the_answer_model_is_the_simulators_own(graph_cohort) -> None:
    """What the learner filter expects of a known and of an unknown skill is what the
    simulator answers: P(right) and P(complete) read back from the simulator itself."""
    sim = graph_cohort.simulator()
    bound = GraphFilter(sim, catalog_arrays(graph_cohort.catalog).prerequisite, "learner")
    rows = np.arange(sim.n_students)
    act = np.full(len(rows), 7)
    skill = bound.skill_of[7]
    prereq = bound.prerequisite_beliefs(rows)[rows, :, skill]
    pk, pu, ck, cu, _ = bound.outcome_model(rows, act, prereq)
    for known, p_right, p_done in ((True, pk, ck), (False, pu, cu)):
        sim.known[:, skill] = known
        assert np.allclose(sim.p_correct(rows, act, 0.0), p_right)
        assert np.allclose(sim.p_complete(rows, act, 0.0), p_done)


def test_one_outcome_is_bayes_rule_then_the_practice(graph_cohort) -> None:
    """The update by hand: b' = b Lk / (b Lk + (1 - b) Lu), then (1 - b') x P(learn) x P(ready)
    learned, for a right, a wrong and an unfinished practice."""
    sim = graph_cohort.simulator()
    bound = GraphFilter(sim, catalog_arrays(graph_cohort.catalog).prerequisite, "learner")
    rows = np.arange(3)
    act = np.full(3, 40)
    skill = bound.skill_of[40]
    b = bound.belief[rows, :, skill].copy()
    prereq = bound.prerequisite_beliefs(rows)[rows, :, skill]
    pk, pu, ck, cu, learn = (x[:, None] for x in bound.outcome_model(rows, act, prereq))
    like_k = np.stack([ck[0] * pk[0], ck[1] * (1 - pk[1]), 1 - ck[2]])
    like_u = np.stack([cu[0] * pu[0], cu[1] * (1 - pu[1]), 1 - cu[2]])
    after = b * like_k / (b * like_k + (1 - b) * like_u)
    after[:2] += (1 - after[:2]) * learn[:2] * prereq[:2]  # the unfinished one teaches nothing
    bound.absorb(rows, act, np.array([1, 0, 0], np.int8), np.array([True, True, False]))
    assert np.allclose(bound.belief[rows, :, skill], after)
    with pytest.raises(ConfigError, match="one single-skill outcome per student"):
        bound.absorb(np.array([0, 0]), np.array([40, 41]), np.ones(2, np.int8), np.ones(2, bool))


def test_population_knowledge_reads_no_learners_own_flag(graph_cohort) -> None:
    """The population filter's prior is the same whichever students are low-prior: it knows
    the share, not the flag (the learner filter reads the flag)."""
    prereq = catalog_arrays(graph_cohort.catalog).prerequisite
    sim = graph_cohort.simulator()
    flipped = graph_cohort.simulator()
    flipped.low_prior = ~flipped.low_prior
    for knowledge, same in (("population", True), ("learner", False)):
        a, b = GraphFilter(sim, prereq, knowledge), GraphFilter(flipped, prereq, knowledge)
        assert np.array_equal(a.p_known(), b.p_known()) is same
    from adaptive.simulation.district import district_catalog

    cohort = make_cohort(district_catalog(0), "bkt-cold", 30, seed=2, warmup_days=0)
    prereq = catalog_arrays(cohort.catalog).prerequisite
    sim, flipped = cohort.simulator(), cohort.simulator()
    flipped.low_prior = ~flipped.low_prior
    for knowledge, same in (("population", True), ("learner", False)):
        a = model_filter(sim, cohort, knowledge, prereq).p_known()
        b = model_filter(flipped, cohort, knowledge, prereq).p_known()
        assert np.array_equal(a, b) is same


def test_a_warm_cohort_is_absorbed_and_picks_are_single_skill_and_repeatable() -> None:
    """A warm cohort's own history moves the beliefs of the skills it practised; a filter never
    serves a two-skill project (its model reads one skill); the same cohort, the same picks."""
    from adaptive.simulation.district import district_catalog

    cohort = make_cohort(district_catalog(0), "prerequisite", 40, seed=4, warmup_days=5)
    prereq = catalog_arrays(cohort.catalog).prerequisite
    cold = make_cohort(district_catalog(0), "prerequisite", 40, seed=4, warmup_days=0)
    warm = model_filter(cohort.simulator(), cohort, "learner", prereq)
    unwarmed = model_filter(cold.simulator(), cold, "learner", prereq)
    practised = np.zeros(warm.belief.shape[2], bool)
    practised[warm.skill_of[cohort.warm.activity]] = True
    moved = ~np.isclose(warm.p_known(), unwarmed.p_known())
    assert moved[:, practised].any() and not moved[:, ~practised].any()
    allowed = np.ones((40, len(cohort.catalog.activities)), bool)
    project = int(np.flatnonzero(~warm.single_skill)[0])  # a warm-up's fallback practice
    before = warm.p_known()
    warm.absorb_responses(Responses(np.array([0]), np.array([project]), np.ones(1, np.int8),
                                    np.array([9.0])))  # fmt: skip
    assert np.array_equal(warm.p_known(), before)  # not read, not refused
    allowed[:10] = ~warm.single_skill  # these ten may be given projects only
    picks = warm.picks(allowed)
    assert (picks[:10] == -1).all()  # none: its model reads one skill an activity
    assert (picks[10:] >= 0).all() and warm.single_skill[picks[10:]].all()
    again = model_filter(cohort.simulator(), cohort, "learner", prereq)
    assert np.array_equal(again.picks(allowed), picks)


def test_information_is_what_an_answer_tells_of_the_hypotheses() -> None:
    """An answer right under one hypothesis and wrong under the other tells most (ln 2 nats
    from even weights), one equally likely under both tells nothing, and a settled student
    has nothing left to learn of."""
    from adaptive.evaluation.model_filter import information

    even, settled = np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]])
    assert information(even, np.array([[1.0, 0.0]]))[0] == pytest.approx(np.log(2))
    assert information(even, np.array([[0.7, 0.7]]))[0] == pytest.approx(0.0, abs=1e-12)
    assert information(settled, np.array([[0.9, 0.1]]))[0] == pytest.approx(0.0, abs=1e-9)
    assert 0 < information(even, np.array([[0.8, 0.3]]))[0] < np.log(2)


def test_a_probing_filter_first_asks_what_locates_the_reach(graph_cohort) -> None:
    """model-filter-population-probe spends its first days on the answers that narrow the
    reach most, then serves as the greedy filter does: after them, its reach is surer."""
    from adaptive.evaluation.model_filter import FILTER_POLICIES

    prereq = catalog_arrays(graph_cohort.catalog).prerequisite
    spec = FILTER_POLICIES["model-filter-population-probe"]
    assert spec.probe_days == 10 and spec.knowledge == "population"
    runs = {}
    for name in ("model-filter-population", "model-filter-population-probe"):
        sim = graph_cohort.simulator()
        bound = model_filter(sim, graph_cohort, FILTER_POLICIES[name], prereq)
        allowed = np.ones((sim.n_students, len(graph_cohort.catalog.activities)), bool)
        for day in range(10):
            act = bound.picks(allowed)
            correct, done = sim.respond(np.arange(sim.n_students), act, float(day))
            bound.absorb(np.arange(sim.n_students), act, correct, done)
        runs[name] = bound.weights(np.arange(sim.n_students)).max(axis=1).mean()
    assert runs["model-filter-population-probe"] > runs["model-filter-population"] + 0.05
    with pytest.raises(ConfigError, match="junyi, graph simulators alone"):
        EvalSettings(simulators=("bkt",), policies=("adaptive", "model-filter-population-probe"))


def test_population_knowledge_is_a_weaker_filter(graph_cohort) -> None:
    """Without the learner's own traits the filter still learns from answers, less sharply."""
    prereq = catalog_arrays(graph_cohort.catalog).prerequisite
    aucs = {}
    for knowledge in ("learner", "population", "independent"):
        sim = graph_cohort.simulator()
        bound = GraphFilter(sim, prereq, knowledge)
        asked = np.array([np.flatnonzero(sim.depth == d)[0] for d in range(0, 30, 2)])
        _answers(sim, bound, asked, 0.0)
        truth = sim.is_mastered(1.0)
        aucs[knowledge] = _auc(bound.p_known().ravel(), truth.ravel())
    assert aucs["learner"] >= aucs["population"] - 0.01
    assert aucs["learner"] > aucs["independent"]


def test_a_district_filter_believes_what_answers_show() -> None:
    """bkt learners: right answers raise the belief, wrong ones lower it, by Bayes' rule."""
    from adaptive.simulation.district import district_catalog

    cohort = make_cohort(district_catalog(0), "prerequisite-cold", 50, seed=1, warmup_days=0)
    sim = cohort.simulator()
    bound = model_filter(sim, cohort, "learner", catalog_arrays(cohort.catalog).prerequisite)
    before = bound.p_known()
    rows = np.arange(10)
    act = np.full(10, 0)
    skill = bound.skill_of[0]
    bound.absorb(rows, act, np.r_[np.ones(5), np.zeros(5)].astype(np.int8), np.ones(10, bool))
    after = bound.p_known()
    assert (after[:5, skill] > before[:5, skill]).all()
    assert (after[5:, skill] < before[5:, skill] + 1e-9).all()
    untouched = np.delete(np.arange(sim.n_skills), skill)
    assert np.array_equal(after[:, untouched], before[:, untouched])


def test_the_model_filter_runs_in_the_matrix_as_a_reference() -> None:
    """Asked for beside the shipped policy, a model filter is driven day by day from the
    simulator's answers; it is refused on learners without binary knowledge."""
    settings = EvalSettings(
        students=40, seeds=1, activities=(8,), simulators=("graph-cold",),
        policies=("adaptive", "random", "ceiling", "model-filter"), n_boot=50,
        fit_students=60, fit_days=10, warmup_days=0,
    )  # fmt: skip
    table = evaluate_policies(settings)
    gain = table[table.metric == "skills_gained"].set_index("policy")
    assert gain.loc["model-filter", "mean"] > gain.loc["random", "mean"]
    assert gain.loc["model-filter", "mean"] <= gain.loc["ceiling", "mean"] * 1.2
    assert "model-filter" not in set(table[table.metric == "constraint_violations"].policy)
    with pytest.raises(
        ConfigError,
        match="reads the learners of the bkt, prerequisite, junyi, graph simulators alone",
    ):
        EvalSettings(simulators=("logistic",), policies=("adaptive", "model-filter"))
    assert "model-filter" not in pe.POLICY_NAMES  # not in the default matrix


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    from adaptive.evaluation.metrics import auc

    return float(auc(label.astype(int), score))
