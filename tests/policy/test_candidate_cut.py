"""The greedy's candidate cut stays exact and cheap: ties and a spent budget do not send every
student back to a full pass over the catalog (what made the nightly job slow)."""

from __future__ import annotations

import numpy as np

import adaptive.policy.constraints as constraints
from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.policy import StudentBatch
from adaptive.policy.base import catalog_arrays
from adaptive.policy.constraints import select_top_k


def wide_catalog(n_skills: int = 40, per_skill: int = 10) -> Catalog:
    skills = tuple(Skill(f"s{i}") for i in range(n_skills))
    acts = tuple(
        Activity(f"s{i}.a{j}", f"a{j}", (f"s{i}",), expected_minutes=5.0 + j % 3)
        for i in range(n_skills)
        for j in range(per_skill)
    )
    return Catalog(skills, acts)


def full_greedy(score, eligible, batch, ctx, k, cap, variety):
    """Reference: the same greedy with every activity a candidate."""
    n, n_a = score.shape
    base = np.where(eligible, score, -np.inf)
    state = (
        np.full((n, k), -1, np.int64), np.zeros((n, k)), np.zeros((n, k)),
        batch.daily_minutes.astype(float).copy(),
        np.zeros((n, int(ctx.primary_skill.max()) + 1), np.int64), np.zeros(n, np.int64),
    )  # fmt: skip
    full = np.broadcast_to(np.arange(n_a), (n, n_a))
    constraints._greedy(base, full, None, state, np.arange(n), ctx.primary_skill, ctx.minutes,
                        k, cap, variety)  # fmt: skip
    return state[0]


def test_ties_and_a_spent_budget_need_no_full_pass(monkeypatch) -> None:
    cat = wide_catalog()
    ctx = catalog_arrays(cat)
    rng = np.random.default_rng(0)
    n, k = 40, 20
    score = np.round(rng.random((n, len(cat.activities))), 1)  # many exact ties
    eligible = np.ones_like(score, bool)
    batch = StudentBatch.build(
        cat, [f"x{i}" for i in range(n)], np.zeros((n, 40)), daily_minutes=np.full(n, 30.0)
    )
    calls = []
    real = constraints._greedy

    def counted(base, cand, *args):
        calls.append(cand.shape[1])
        return real(base, cand, *args)

    monkeypatch.setattr(constraints, "_greedy", counted)
    picks = select_top_k(score, eligible, batch, ctx, k, 3, 0.3)[0]
    assert calls == [max(8 * k, 64)]  # one pass on the candidates, no full redo
    np.testing.assert_array_equal(picks, full_greedy(score, eligible, batch, ctx, k, 3, 0.3))
