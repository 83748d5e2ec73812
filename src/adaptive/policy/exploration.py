"""Exploration with logged propensities: a policy that samples its choice and says how likely it was.

A deterministic ranking cannot be evaluated off-policy: a candidate that would pick another
activity has no logged evidence. With `exploration = "softmax"` (or `"epsilon"`) in the policy
config, each slot of a student's list is *drawn* among the activities still feasible for that
slot (eligible, not yet chosen, fitting the remaining minutes and the per-skill cap), and the
probability of the drawn activity is recorded beside it (`Selection.propensity`, the
`propensity` column of the batch output):

    softmax   P(a) = exp((s_a - max s) / T) / sum over feasible     (T = exploration_temperature)
    epsilon   P(a) = (1 - eps) * [a = best] + eps / n_feasible      (eps = exploration_epsilon,
                                                                     the floor every action keeps)

where s is the policy's own score of the slot (the variety penalty included), so slot 1's
propensity is the exact marginal probability of the student's next activity and a later slot's is
the exact probability given the earlier slots (the list's probability is their product). Teacher
assignments are placed first, deterministically (propensity 1).

Draws come from `student_uniforms(student_ids, k, exploration_seed, now)`: a hash of the seed,
the date, the student and the slot, so a re-run (any chunking, any order of schools) gives the
same lists byte for byte, and one student's list does not depend on who else is in the batch.
"""

from __future__ import annotations

import numpy as np

from adaptive.policy.base import CatalogArrays, Policy, StudentBatch, catalog_arrays
from adaptive.policy.config import EXPLORATION_MODES, PolicyConfig  # noqa: F401 (re-export)
from adaptive.policy.constraints import select_top_k


def is_exploring(config: PolicyConfig) -> bool:
    """True when the config samples its lists (exploration other than "none")."""
    return config.exploration != "none"


def slot_probabilities(value: np.ndarray, feasible: np.ndarray, config: PolicyConfig) -> np.ndarray:
    """(n, A) probability of each activity for one slot: `value` the slot's scores, `feasible`
    the activities allowed in it (rows with none feasible are all zero)."""
    any_ok = feasible.any(axis=1, keepdims=True)
    v = np.where(feasible, np.asarray(value, dtype=np.float64), -np.inf)
    if config.exploration == "softmax":
        top = np.where(any_ok, v.max(axis=1, keepdims=True), 0.0)
        with np.errstate(invalid="ignore", over="ignore"):
            w = np.where(feasible, np.exp((v - top) / config.exploration_temperature), 0.0)
        total = w.sum(axis=1, keepdims=True)
        return np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    eps = config.exploration_epsilon
    n_ok = feasible.sum(axis=1, keepdims=True)
    best = np.zeros_like(feasible)
    best[np.arange(len(v)), np.argmax(v, axis=1)] = True  # ties: the lowest activity index
    p = eps / np.maximum(n_ok, 1) * feasible + (1.0 - eps) * (best & feasible)
    return np.where(any_ok, p, 0.0)


def draw(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """(n,) activity drawn from each row of `p` with the uniforms `u` (inverse CDF; -1 where a
    row has no mass)."""
    cdf = np.cumsum(p, axis=1)
    total = cdf[:, -1] if p.shape[1] else np.zeros(len(p))
    pick = (cdf <= (u * total)[:, None]).sum(axis=1)
    # cumsum round-off may leave u * total past the last positive entry: take the last feasible
    last = p.shape[1] - 1 - np.argmax(p[:, ::-1] > 0, axis=1)
    pick = np.minimum(pick, last)
    return np.where(total > 0, pick, -1)


def explore_top_k(
    score: np.ndarray,
    eligible: np.ndarray,
    batch: StudentBatch,
    ctx: CatalogArrays,
    k: int,
    config: PolicyConfig,
    now: float,
    variety: float,
) -> tuple[np.ndarray, ...]:
    """`select_top_k`'s constrained list, each slot drawn (see the module docstring).

    Returns (activity (n, k) with -1 for empty slots, adjusted score, assigned flag, variety
    penalty, propensity (n, k): the probability of each slot's activity given the earlier ones,
    NaN for empty slots, 1 for teacher assignments)."""
    from adaptive.policy.baselines import student_uniforms

    n, n_a = score.shape
    cap = config.max_per_skill
    none = np.zeros_like(eligible)
    picks, picked, assigned, penalty = select_top_k(score, none, batch, ctx, k, cap, variety)
    propensity = np.where(picks >= 0, 1.0, np.nan)
    rows = np.arange(n)
    chosen = np.zeros((n, n_a), bool)
    valid = picks >= 0
    chosen[np.repeat(rows, k)[valid.ravel()], picks[valid]] = True
    n_skills = int(ctx.primary_skill.max()) + 1 if n_a else 1
    count = np.zeros((n, n_skills), np.int64)
    np.add.at(count, (np.repeat(rows, k)[valid.ravel()], ctx.primary_skill[picks[valid]]), 1)
    remaining = batch.daily_minutes - np.where(
        valid, ctx.minutes[np.where(valid, picks, 0)], 0
    ).sum(axis=1)
    slot = valid.sum(axis=1)
    u = student_uniforms(batch.student_ids, k, config.exploration_seed, now)
    skill = ctx.primary_skill
    for r in range(k):
        open_ = slot < k
        if not open_.any():
            break
        same = count[:, skill]
        value = score - variety * same
        feasible = (
            eligible & ~chosen & (same < cap) & (ctx.minutes[None, :] <= remaining[:, None] + 1e-9)
        )
        feasible &= open_[:, None]
        p = slot_probabilities(value, feasible, config)
        act = draw(p, u[:, r])
        who = rows[act >= 0]
        if not len(who):
            break
        a, s = act[who], slot[who]
        picks[who, s] = a
        picked[who, s] = value[who, a]
        penalty[who, s] = variety * same[who, a]
        propensity[who, s] = p[who, a]
        chosen[who, a] = True
        count[who, skill[a]] += 1
        remaining[who] -= ctx.minutes[a]
        slot[who] += 1
    return picks, picked, assigned, penalty, propensity


def first_slot_distribution(policy: Policy, batch: StudentBatch, now: float) -> np.ndarray:
    """(n, A) probability that `policy` puts each activity first in a student's list.

    A deterministic policy (exploration "none") gives a one-hot row at its own first pick (all
    zeros when it picks nothing); an exploring one its slot-1 distribution; a teacher assignment
    in slot 1 is one-hot. This is pi(a | x) for off-policy evaluation of the next activity."""
    n, n_a = len(batch), len(policy.catalog.activities)
    out = np.zeros((n, n_a))
    if not is_exploring(policy.config) or not hasattr(policy, "score_matrix"):
        first = policy.select(batch, 1, now).activity[:, 0]
        rows = np.flatnonzero(first >= 0)
        out[rows, first[rows]] = 1.0
        return out
    score, eligible = policy.score_matrix(batch, now)
    ctx = catalog_arrays(policy.catalog)
    cfg = policy.config
    none = np.zeros_like(eligible)
    assigned = select_top_k(score, none, batch, ctx, 1, cfg.max_per_skill, 0.0)[0][:, 0]
    feasible = eligible & (ctx.minutes[None, :] <= batch.daily_minutes[:, None] + 1e-9)
    out = slot_probabilities(score, feasible, cfg)
    rows = np.flatnonzero(assigned >= 0)
    out[rows] = 0.0
    out[rows, assigned[rows]] = 1.0
    return out
