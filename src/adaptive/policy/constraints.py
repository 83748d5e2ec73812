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
from scipy import sparse

from adaptive.policy.base import CatalogArrays, StudentBatch, check_k

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
    out_of_band = constraint_masks_grade(batch, ctx)
    return {
        "excluded": batch.excluded.toarray() > 0,
        "completed": batch.completed.toarray() > 0,
        "recent": batch.recent.toarray() > 0,
        "out_of_scope": ~in_scope,
        "out_of_grade_band": out_of_band,
    }


def hard_mask(
    batch: StudentBatch,
    ctx: CatalogArrays,
    recent: bool = True,
    band: bool = True,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """(n, A) bool: True where the activity may be recommended at all (same rules as
    `constraint_masks`, computed without densifying the sparse inputs). `recent=False`: the
    last session's activities count as allowed (a one-session pause, not a rule). `band=False`:
    the teacher's grade band is lifted (what it alone keeps out: `recommender.band_lifted`).
    `rows`: only those students' ((len(rows), A)), the others' never read (a few students'
    mask in a district's batch costs a few rows)."""
    pick = slice(None) if rows is None else rows
    n, n_a = len(batch) if rows is None else len(rows), len(ctx.activity_ids)
    allowed = np.ones((n, n_a), bool)
    for m in (batch.excluded, batch.completed, batch.recent if recent else None):
        if m is None or not m.nnz:  # most students have nothing excluded or completed
            continue
        at, cols = stored_entries(m.tocsr(), rows)
        allowed[at, cols] = False
    if not batch.scope.all():
        n_act_skills = np.asarray(ctx.activity_skill_bin.sum(axis=1)).ravel()
        scope = batch.scope[pick].astype(np.float64)
        allowed &= np.asarray((ctx.activity_skill_bin @ scope.T).T) >= n_act_skills - 1e-9
    if band and has_grade_band(batch):
        allowed &= ~constraint_masks_grade(batch, ctx, rows)
    return allowed


def stored_entries(m: sparse.csr_matrix, rows: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """(row, column) of each positive entry of `m` ((n, A) CSR), of the rows `rows` only
    (rows numbered by their place in `rows`; None: every row). The CSR arrays are read
    directly: a COO copy, or scipy's own row indexing, costs more than the look-up."""
    if rows is None:
        at, pos = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr)), slice(None)
    else:
        rows = np.asarray(rows, dtype=np.intp)  # [] is a float array: no index
        starts = m.indptr[rows]
        counts = m.indptr[rows + 1] - starts
        at = np.repeat(np.arange(len(counts)), counts)
        pos = np.arange(len(at)) + np.repeat(starts - (np.cumsum(counts) - counts), counts)
    hit = m.data[pos] > 0
    return at[hit], m.indices[pos][hit]


def grade_banded(batch: StudentBatch) -> np.ndarray:
    """(n,) True where a teacher set a grade band (`min_grade` or `max_grade`) for the student."""
    return ~(np.isnan(batch.min_grade) & np.isnan(batch.max_grade))


def has_grade_band(batch: StudentBatch) -> bool:
    """Whether a teacher set a grade band (`min_grade`, `max_grade`) for any student."""
    return bool(grade_banded(batch).any())


def constraint_masks_grade(
    batch: StudentBatch, ctx: CatalogArrays, rows: np.ndarray | None = None
) -> np.ndarray:
    """(n, A) True where the activity lies outside the student's grade band (if one is set);
    `rows`: only those students' ((len(rows), A))."""
    pick = slice(None) if rows is None else rows
    g = ctx.grade[None, :]
    low = batch.min_grade[pick, None]
    high = batch.max_grade[pick, None]
    band = ~np.isnan(low) | ~np.isnan(high)  # as Catalog.in_scope: no grade = outside any band
    with np.errstate(invalid="ignore"):
        out = band & (np.isnan(g) | (g < np.where(np.isnan(low), -np.inf, low)))
        out |= band & (g > np.where(np.isnan(high), np.inf, high))
    return out


#: Score step per activity index that orders exact ties for the candidate cut (far below any
#: difference the scoring terms make).
TIE_STEP = 1e-12


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

    Teacher assignments first, in order: a teacher's choice is served whatever the time budget
    and the per-skill cap say (only an exclusion and the k slots stop it; a coordinator found
    the second of two assignments dropped by a 12-minute budget without a word), and it uses
    up the budget. Then repeatedly the best eligible activity that fits the minutes left and
    the per-skill cap, its score lowered by `variety` for each activity of the same skill
    already chosen.

    Ties go to the lowest activity index. For speed on large batches (and on a single student,
    whose rounds run on 1-D arrays in `_greedy_row`) the greedy runs on each student's best
    `max(8k, 64)` candidates; a student for whom an activity outside them could have won a round
    (its score reaches the round's best) is redone on every activity, so the result is exactly
    the greedy over all activities.

    Returns (activity (n, k) with -1 for empty slots, adjusted score (n, k), assigned (n, k),
    variety penalty (n, k)).
    """
    k = check_k(k)
    n, n_a = score.shape
    picks = np.full((n, k), -1, np.int64)
    picked_score = np.zeros((n, k))
    assigned_flag = np.zeros((n, k), bool)
    penalty_out = np.zeros((n, k))
    remaining = batch.daily_minutes.astype(np.float64).copy()
    n_skills = max(len(ctx.skill_ids), 1)  # every primary skill is a catalog skill
    count = np.zeros((n, n_skills), np.int64)
    skill = ctx.primary_skill
    minutes = ctx.minutes
    slot = np.zeros(n, np.int64)
    base = np.where(eligible, score, -np.inf)

    # 1. teacher assignments, in order
    assigned = batch.assigned.tocsr()
    if assigned.nnz:
        excluded = batch.excluded.tocsr()
        order_rows, order_cols = assigned.nonzero()
        order_vals = np.asarray(assigned[order_rows, order_cols]).ravel()
        srt = np.lexsort((order_vals, order_rows))
        for who, act in zip(order_rows[srt].tolist(), order_cols[srt].tolist(), strict=True):
            if slot[who] < k and not excluded[who, act] and act not in picks[who, : slot[who]]:
                picks[who, slot[who]] = act
                picked_score[who, slot[who]] = score[who, act]
                assigned_flag[who, slot[who]] = True
                slot[who] += 1
                remaining[who] -= minutes[act]
                count[who, skill[act]] += 1
        taken = picks[picks >= 0]
        base[np.nonzero(picks >= 0)[0], taken] = -np.inf

    # 2. greedy by score under the budget and the per-skill cap
    state = (picks, picked_score, penalty_out, remaining, count, slot)
    greedy = _greedy_row if n == 1 else _greedy
    n_cand = min(n_a, max(8 * k, 64))
    if n_cand < n_a and (n > 16 or n == 1):
        outside, cand = _candidates(base, n_cand)
        redo = greedy(
            base, cand, outside, state, np.arange(n), skill, minutes, k, max_per_skill, variety
        )
        if redo.any():
            who = np.flatnonzero(redo)
            full = np.broadcast_to(np.arange(n_a), (len(who), n_a))
            greedy(base, full, None, state, who, skill, minutes, k, max_per_skill, variety)
    elif n_a:
        full = np.broadcast_to(np.arange(n_a), (n, n_a))
        greedy(base, full, None, state, np.arange(n), skill, minutes, k, max_per_skill, variety)
    return picks, picked_score, assigned_flag, penalty_out


def _candidates(base: np.ndarray, n_cand: int) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Each row's best `n_cand` activities (sorted by index) and the best one left out, as
    (its score, its index) for the greedy's check.

    One student: ties ordered by a float64 key, to the lower activity index (the greedy's own
    order), so that an activity tied with the candidates is left out only when the greedy would
    not take it. Many students: the scores themselves (float32) are partitioned, about a third
    faster than the (n, A) float64 key; ties at the cut then fall in no particular order, so
    the best activity left out carries index -1: a round whose best it ties sends the student to
    the full redo. Either way the greedy's result is exactly the greedy over all activities."""
    n = base.shape[0]
    if n == 1:
        key = base - np.arange(base.shape[1]) * TIE_STEP
        order = np.argpartition(-key, n_cand, axis=1)
        left_out = order[:, n_cand]
    else:
        order = np.argpartition(-base, n_cand, axis=1)
        left_out = np.full(n, -1, np.int64)
    cand = np.sort(order[:, :n_cand], axis=1)
    return (base[np.arange(n), order[:, n_cand]], left_out), cand


def _greedy(
    base: np.ndarray,
    cand: np.ndarray,
    outside: np.ndarray | None,
    state: tuple[np.ndarray, ...],
    who: np.ndarray,
    skill: np.ndarray,
    minutes: np.ndarray,
    k: int,
    cap: int,
    variety: float,
) -> np.ndarray:
    """Greedy rounds for rows `who` over candidate columns `cand` (len(who), L), in place.

    With `outside` (the best score left out of the candidates and its activity), rows where it
    beats a round's best (a higher score, or the same score at a lower activity index; index -1:
    any tie) are flagged (returned mask over all rows) and left untouched for a full redo.
    """
    picks, picked_score, penalty_out, remaining, count, slot = state
    shortest = minutes.min() if len(minutes) else 0.0
    cb = base[who[:, None], cand]
    c_skill = skill[cand]
    c_min = minutes[cand]
    rem, cnt, sl = remaining[who].copy(), count[who].copy(), slot[who].copy()
    pk = picks[who].copy()
    ps = picked_score[who].copy()
    pen_out = penalty_out[who].copy()
    flagged = np.zeros(len(who), bool)
    # rows still choosing: a row that found nothing feasible in a round (and was not flagged)
    # finds nothing in any later one either (its budget, counts and candidates are unchanged),
    # so each round scores only the rows that picked in the round before
    r = np.flatnonzero(sl < k)
    for _ in range(k):
        if not len(r):
            break
        same = cnt[r[:, None], c_skill[r]]
        pen = variety * same
        feasible = (same < cap) & (c_min[r] <= rem[r, None] + 1e-9)
        value = np.where(feasible, cb[r] - pen, -np.inf)
        j = np.argmax(value, axis=1)
        best = value[np.arange(len(r)), j]
        ok = np.isfinite(best)
        if outside is not None:
            out_score, out_act = outside[0][r], outside[1][r]
            wins = (out_score > best) | ((out_score == best) & (out_act < cand[r, j]))
            # nothing left out can win once even the shortest activity no longer fits
            fits = rem[r] + 1e-9 >= shortest
            flag = wins & np.isfinite(out_score) & fits
            flagged[r[flag]] = True
            ok &= ~flag
        r, j, best, pen = r[ok], j[ok], best[ok], pen[ok]
        act = cand[r, j]
        pk[r, sl[r]] = act
        ps[r, sl[r]] = best
        pen_out[r, sl[r]] = pen[np.arange(len(r)), j]
        sl[r] += 1
        rem[r] -= minutes[act]
        cnt[r, skill[act]] += 1
        cb[r, j] = -np.inf
        r = r[sl[r] < k]
    keep = ~flagged
    rows = who[keep]
    picks[rows], picked_score[rows], penalty_out[rows] = pk[keep], ps[keep], pen_out[keep]
    remaining[rows], count[rows], slot[rows] = rem[keep], cnt[keep], sl[keep]
    mask = np.zeros(len(slot), bool)
    mask[who[flagged]] = True
    return mask


def _greedy_row(
    base: np.ndarray,
    cand: np.ndarray,
    outside: np.ndarray | None,
    state: tuple[np.ndarray, ...],
    who: np.ndarray,
    skill: np.ndarray,
    minutes: np.ndarray,
    k: int,
    cap: int,
    variety: float,
) -> np.ndarray:
    """`_greedy` for a one-student batch (`who` = [0]): the same rounds, ties and flag on 1-D
    arrays and numpy scalars, since on one row the per-call overhead of the (n, L) form dominates
    (the single-student latency target). Scalars keep numpy's dtypes so every comparison and
    sum is the one `_greedy` makes."""
    picks, picked_score, penalty_out, remaining, count, slot = state
    cand = cand[0]
    cb = base[0, cand]
    c_skill, c_min = skill[cand], minutes[cand]
    cnt, rem, sl = count[0].copy(), remaining[0], int(slot[0])
    shortest = minutes.min()
    chosen: list[tuple[int, float, float]] = []  # (activity, adjusted score, penalty)
    while sl + len(chosen) < k:
        same = cnt[c_skill]
        pen = variety * same
        value = np.where((same < cap) & (c_min <= rem + 1e-9), cb - pen, -np.inf)
        j = int(np.argmax(value))
        best = value[j]
        if outside is not None and np.isfinite(outside[0][0]) and rem + 1e-9 >= shortest:
            out_score, out_act = outside[0][0], outside[1][0]
            if out_score > best or (out_score == best and out_act < cand[j]):
                return np.ones(1, bool)  # an activity outside the candidates could win: redo
        if not np.isfinite(best):
            break
        act = int(cand[j])
        chosen.append((act, best, pen[j]))
        rem -= minutes[act]
        cnt[skill[act]] += 1
        cb[j] = -np.inf
    end = sl + len(chosen)
    if chosen:
        acts, scores, pens = zip(*chosen, strict=True)
        picks[0, sl:end], picked_score[0, sl:end], penalty_out[0, sl:end] = acts, scores, pens
    remaining[0], count[0], slot[0] = rem, cnt, end
    return np.zeros(1, bool)


def check_selection(
    picks: np.ndarray, batch: StudentBatch, ctx: CatalogArrays, max_per_skill: int
) -> dict[str, int]:
    """Count violations of every hard constraint in a selection (each must be 0). A teacher's
    assignment is exempt from all but the exclusions (`select_top_k`): the budget and the
    per-skill cap bind the activities the policy chose, with the assignments' minutes and
    skills counted against them."""
    n, k = picks.shape
    valid = picks >= 0
    rows = np.repeat(np.arange(n), k).reshape(n, k)
    act = np.where(valid, picks, 0)
    masks = constraint_masks(batch, ctx)
    by_teacher = (batch.assigned.toarray() > 0)[rows, act] & valid
    chosen = valid & ~by_teacher  # what the policy chose
    out: dict[str, int] = {}
    for name, m in masks.items():
        hit = m[rows, act] & valid
        if name != "excluded":  # a teacher assignment may bring back completed / out-of-scope work
            hit &= ~by_teacher
        out[name] = int(hit.sum())
    minutes = np.where(valid, ctx.minutes[act], 0.0).sum(axis=1)
    over = minutes > batch.daily_minutes + 1e-9
    out["time_budget"] = int((over & chosen.any(axis=1)).sum())
    skill = np.where(valid, ctx.primary_skill[act], -1)
    same_skill = (skill[:, :, None] == skill[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    out["max_per_skill"] = int(
        ((same_skill.sum(axis=2) > max_per_skill) & chosen).any(axis=1).sum()
    )
    same_act = (picks[:, :, None] == picks[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    out["duplicates"] = int(((same_act.sum(axis=2) > 1).any(axis=1)).sum())
    return out
