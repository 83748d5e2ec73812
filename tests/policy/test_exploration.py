"""Exploration with logged propensities (issue 19, item 1): sampled lists, their probabilities,
determinism of re-runs, and the deterministic default."""

from __future__ import annotations

import numpy as np
import pytest
from policy_fixtures import SKILLS, make_catalog

from adaptive.errors import ConfigError
from adaptive.policy import AdaptivePolicy, PolicyConfig, StudentBatch
from adaptive.policy.constraints import check_selection
from adaptive.policy.exploration import draw, first_slot_distribution, slot_probabilities

NOW = 20_000.0


def _batch(n: int = 300, seed: int = 0) -> StudentBatch:
    rng = np.random.default_rng(seed)
    cat = make_catalog()
    mastery = rng.uniform(0.0, 1.0, (n, len(SKILLS)))
    return StudentBatch.build(
        cat,
        [f"st{i}" for i in range(n)],
        mastery,
        n_responses=rng.integers(0, 8, (n, len(SKILLS))),
        daily_minutes=np.full(n, 40.0),
    )


def test_default_is_deterministic_and_has_no_propensity() -> None:
    cat = make_catalog()
    assert PolicyConfig().exploration == "none"
    assert PolicyConfig.default().exploration == "none"
    sel = AdaptivePolicy(cat).select(_batch(), 3, NOW)
    assert sel.propensity is None
    frame = AdaptivePolicy(cat).recommend_batch(_batch(20), k=3, now=NOW)
    assert "propensity" not in frame.columns


def test_softmax_probabilities_by_hand() -> None:
    value = np.array([[1.0, 0.0, 5.0, -1.0]])
    feasible = np.array([[True, True, False, True]])
    p = slot_probabilities(
        value, feasible, PolicyConfig(exploration="softmax", exploration_temperature=0.5)
    )
    e = np.exp(np.array([1.0, 0.0, -1.0]) / 0.5)
    np.testing.assert_allclose(p[0], [e[0] / e.sum(), e[1] / e.sum(), 0.0, e[2] / e.sum()])


def test_epsilon_greedy_floor_by_hand() -> None:
    value = np.array([[1.0, 3.0, 2.0], [0.0, 0.0, 0.0]])
    feasible = np.array([[True, True, True], [False, False, False]])
    p = slot_probabilities(
        value, feasible, PolicyConfig(exploration="epsilon", exploration_epsilon=0.3)
    )
    np.testing.assert_allclose(p[0], [0.1, 0.8, 0.1])
    np.testing.assert_allclose(p[1], 0.0)


def test_draw_follows_the_probabilities() -> None:
    p = np.tile([[0.2, 0.0, 0.5, 0.3]], (200_000, 1))
    u = np.random.default_rng(0).random(len(p))
    freq = np.bincount(draw(p, u), minlength=4) / len(p)
    np.testing.assert_allclose(freq, [0.2, 0.0, 0.5, 0.3], atol=0.005)
    assert draw(np.zeros((1, 4)), np.array([0.5]))[0] == -1


@pytest.mark.parametrize("mode", ["softmax", "epsilon"])
def test_sampled_lists_keep_every_constraint_and_log_probabilities(mode: str) -> None:
    cat = make_catalog()
    cfg = PolicyConfig(exploration=mode, exploration_temperature=0.3, exploration_epsilon=0.2)
    batch = _batch()
    sel = AdaptivePolicy(cat, cfg).select(batch, 4, NOW)
    from adaptive.policy.base import catalog_arrays

    assert (
        sum(check_selection(sel.activity, batch, catalog_arrays(cat), cfg.max_per_skill).values())
        == 0
    )
    chosen = sel.activity >= 0
    assert np.all((sel.propensity[chosen] > 0) & (sel.propensity[chosen] <= 1))
    assert np.isnan(sel.propensity[~chosen]).all()
    # exploration actually moves some first picks away from the deterministic ranking
    det = AdaptivePolicy(cat).select(batch, 4, NOW)
    assert (det.activity[:, 0] != sel.activity[:, 0]).any()


def test_first_slot_propensity_is_the_first_slot_distribution() -> None:
    cat = make_catalog()
    cfg = PolicyConfig(exploration="softmax", exploration_temperature=0.3)
    policy = AdaptivePolicy(cat, cfg)
    batch = _batch()
    sel = policy.select(batch, 3, NOW)
    dist = first_slot_distribution(policy, batch, NOW)
    served = sel.activity[:, 0] >= 0  # a student who knows every skill has nothing to draw
    assert served.mean() > 0.9
    np.testing.assert_allclose(dist[served].sum(axis=1), 1.0)
    assert not dist[~served].any()
    rows = np.flatnonzero(served)
    np.testing.assert_allclose(dist[rows, sel.activity[rows, 0]], sel.propensity[rows, 0])


def test_empirical_first_slot_frequencies_match_the_logged_probabilities() -> None:
    """Same student, many dates: the drawn first activity's frequencies match the distribution."""
    cat = make_catalog()
    cfg = PolicyConfig(exploration="softmax", exploration_temperature=0.5)
    policy = AdaptivePolicy(cat, cfg)
    one = _batch(1, seed=3)
    dist = first_slot_distribution(policy, one, NOW)[0]
    picks = np.array([policy.select(one, 1, NOW + d * 1e-6).activity[0, 0] for d in range(3000)])
    freq = np.bincount(picks, minlength=len(dist)) / len(picks)
    # the scores move by far less than the temperature over 3 ms of "time": one distribution
    np.testing.assert_allclose(freq, dist, atol=0.03)


def test_reruns_are_identical_and_independent_of_the_batch() -> None:
    cat = make_catalog()
    cfg = PolicyConfig(exploration="softmax", exploration_temperature=0.3, exploration_seed=7)
    batch = _batch()
    a = AdaptivePolicy(cat, cfg).recommend_batch(batch, k=4, now=NOW, chunk_size=50)
    b = AdaptivePolicy(cat, cfg).recommend_batch(batch, k=4, now=NOW, chunk_size=300)
    assert a.equals(b)
    alone = AdaptivePolicy(cat, cfg).recommend_batch(batch.take(slice(5, 6)), k=4, now=NOW)
    assert alone.reset_index(drop=True).equals(a[a["student_id"] == "st5"].reset_index(drop=True))
    other_day = AdaptivePolicy(cat, cfg).recommend_batch(batch, k=4, now=NOW + 1, chunk_size=300)
    assert not other_day["activity_id"].equals(a["activity_id"])


def test_in_process_recommendations_carry_their_propensity() -> None:
    from policy_fixtures import view

    cat = make_catalog()
    cfg = PolicyConfig(exploration="epsilon", exploration_epsilon=0.5)
    recs = AdaptivePolicy(cat, cfg).recommend(view({"add": 0.95}, {"add": 5}), k=3, now=NOW)
    assert recs and all(0 < r.propensity <= 1 for r in recs)
    assert AdaptivePolicy(cat).recommend(view(), k=3, now=NOW)[0].propensity is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"exploration": "boltzmann"}, "exploration"),
        ({"exploration_temperature": 0.0}, "exploration_temperature"),
        ({"exploration_epsilon": 1.5}, "exploration_epsilon"),
    ],
)
def test_bad_exploration_settings_are_named(changes: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        PolicyConfig(**changes)
