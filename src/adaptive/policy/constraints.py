"""Hard constraints and the constrained top-k selection every policy shares.

Hard constraints are never violated, whatever the scores: teacher exclusions, curriculum scope,
grade band, content already completed, no repeat of the last session's activities (these five
form `hard_mask`), and, during selection, the day's time budget in expected minutes and the
maximum number of activities per skill. Teacher assignments are placed first, in the teacher's
order, when they fit the budget and the per-skill cap and are not excluded.

`check_selection` re-checks a selection against every constraint; the simulation counts its
violations (they must be 0).
"""

from __future__ import annotations

import numpy as np

from adaptive.policy.base import CatalogArrays, StudentBatch

#: Names of the hard-mask constraints, in the order `explain` reports them.
MASK_CONSTRAINTS: tuple[str, ...] = (
    "excluded",
    "completed",
    "recent",
    "out_of_scope",
    "out_of_grade_band",
)


def constraint_masks(batch: StudentBatch, ctx: CatalogArrays) -> dict[str, np.ndarray]:
    """(n, A) bool per constraint: True where the constraint forbids the activity."""
    n_act_skills = np.asarray(ctx.activity_skill_bin.sum(axis=1)).ravel()
    in_scope = (
        np.asarray((ctx.activity_skill_bin @ batch.scope.T.astype(np.float64)).T)
        >= n_act_skills - 1e-9
    )
    g = ctx.grade[None, :]
    low = batch.min_grade[:, None]
    high = batch.max_grade[:, None]
    band = ~np.isnan(low) | ~np.isnan(high)  # as Catalog.in_scope: no grade = outside any band
    with np.errstate(invalid="ignore"):
        out_of_band = band & (np.isnan(g) | (g < np.where(np.isnan(low), -np.inf, low)))
        out_of_band |= band & (g > np.where(np.isnan(high), np.inf, high))
    return {
        "excluded": batch.excluded.toarray() > 0,
        "completed": batch.completed.toarray() > 0,
        "recent": batch.recent.toarray() > 0,
        "out_of_scope": ~in_scope,
        "out_of_grade_band": out_of_band,
    }


def hard_mask(batch: StudentBatch, ctx: CatalogArrays) -> np.ndarray:
    """(n, A) bool: True where the activity may be recommended at all."""
    masks = constraint_masks(batch, ctx)
    allowed = np.ones((len(batch), len(ctx.activity_ids)), bool)
    for m in masks.values():
        allowed &= ~m
    return allowed


def select_top_k(
    score: np.ndarray,
    eligible: np.ndarray,
    batch: StudentBatch,
    ctx: CatalogArrays,
    k: int,
    max_per_skill: int,
    variety: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Greedy constrained top-k for every student at once.

    Teacher assignments first (in order; only the exclusions, budget and cap stop them), then
    repeatedly the best eligible activity that fits the remaining minutes and the per-skill cap,
    its score lowered by `variety` for each activity of the same skill already chosen.

    Returns (activity (n, k) with -1 for empty slots, adjusted score (n, k), assigned (n, k),
    variety penalty (n, k)).
    """
    n, n_a = score.shape
    rows = np.arange(n)
    picks = np.full((n, k), -1, np.int64)
    picked_score = np.zeros((n, k))
    assigned_flag = np.zeros((n, k), bool)
    penalty_out = np.zeros((n, k))
    remaining = batch.daily_minutes.astype(np.float64).copy()
    n_skills = int(ctx.primary_skill.max()) + 1 if n_a else 0
    count = np.zeros((n, max(n_skills, 1)), np.int64)
    skill = ctx.primary_skill
    minutes = ctx.minutes
    excluded = batch.excluded.toarray() > 0
    taken = np.zeros((n, n_a), bool)
    slot = np.zeros(n, np.int64)

    def place(
        who: np.ndarray, act: np.ndarray, value: np.ndarray, pen: np.ndarray, is_assigned: bool
    ) -> None:
        picks[who, slot[who]] = act
        picked_score[who, slot[who]] = value
        penalty_out[who, slot[who]] = pen
        assigned_flag[who, slot[who]] = is_assigned
        slot[who] += 1
        remaining[who] -= minutes[act]
        count[who, skill[act]] += 1
        taken[who, act] = True

    # 1. teacher assignments, in order
    assigned = batch.assigned.tocsr()
    if assigned.nnz:
        order_rows, order_cols = assigned.nonzero()
        order_vals = np.asarray(assigned[order_rows, order_cols]).ravel()
        srt = np.lexsort((order_vals, order_rows))
        order_rows, order_cols = order_rows[srt], order_cols[srt]
        for who, act in zip(order_rows.tolist(), order_cols.tolist(), strict=True):
            if (
                slot[who] < k
                and not excluded[who, act]
                and not taken[who, act]
                and minutes[act] <= remaining[who] + 1e-9
                and count[who, skill[act]] < max_per_skill
            ):
                w = np.array([who])
                place(w, np.array([act]), score[w, act], np.zeros(1), True)

    # 2. greedy by score under the budget and the per-skill cap
    base = np.where(eligible & ~taken, score, -np.inf)
    for _ in range(k):
        open_ = slot < k
        if not open_.any():
            break
        same = count[:, skill]
        pen = variety * same
        feasible = (same < max_per_skill) & (minutes[None, :] <= remaining[:, None] + 1e-9)
        value = np.where(feasible, base - pen, -np.inf)
        best = np.argmax(value, axis=1)
        best_value = value[rows, best]
        ok = open_ & np.isfinite(best_value)
        if not ok.any():
            break
        who = rows[ok]
        act = best[ok]
        place(who, act, best_value[ok], pen[who, act], False)
        base[who, act] = -np.inf
    return picks, picked_score, assigned_flag, penalty_out


def check_selection(
    picks: np.ndarray, batch: StudentBatch, ctx: CatalogArrays, max_per_skill: int
) -> dict[str, int]:
    """Count violations of every hard constraint in a selection (each must be 0)."""
    n, k = picks.shape
    valid = picks >= 0
    rows = np.repeat(np.arange(n), k).reshape(n, k)
    act = np.where(valid, picks, 0)
    masks = constraint_masks(batch, ctx)
    assigned = batch.assigned.toarray() > 0
    out: dict[str, int] = {}
    for name, m in masks.items():
        hit = m[rows, act] & valid
        if name != "excluded":  # a teacher assignment may bring back completed / out-of-scope work
            hit &= ~assigned[rows, act]
        out[name] = int(hit.sum())
    minutes = np.where(valid, ctx.minutes[act], 0.0).sum(axis=1)
    out["time_budget"] = int((minutes > batch.daily_minutes + 1e-9).sum())
    skill = np.where(valid, ctx.primary_skill[act], -1)
    same_skill = (skill[:, :, None] == skill[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    out["max_per_skill"] = int((same_skill.sum(axis=2) > max_per_skill).any(axis=1).sum())
    same_act = (picks[:, :, None] == picks[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    out["duplicates"] = int(((same_act.sum(axis=2) > 1).any(axis=1)).sum())
    return out
