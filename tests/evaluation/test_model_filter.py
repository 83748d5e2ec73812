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
    with pytest.raises(ConfigError, match="knowledge is binary"):
        EvalSettings(simulators=("logistic",), policies=("adaptive", "model-filter"))
    assert "model-filter" not in pe.POLICY_NAMES  # not in the default matrix


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    from adaptive.evaluation.metrics import auc

    return float(auc(label.astype(int), score))
