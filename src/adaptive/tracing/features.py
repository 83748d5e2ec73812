"""Count features for the logistic knowledge-tracing family (IRT, PFA, Best-LR / DAS3H).

Every logistic model here predicts `sigmoid(intercept + x . coef)` where `x` is a sparse row
built from one response and the counts of that student's *earlier* responses. The same features
come from two places, and they must agree exactly (the contract test checks 1e-9):

* batch (`batch_counts`): cumulative sums grouped by student or (student, skill), all rows at
  once, no per-row Python loop;
* online (`OnlineCounts`): the same counts kept in per-student state arrays and read/updated one
  "round" at a time (one response per student per round, all students of a batch together).

Both produce a `Counts` record; `assemble` turns a `Counts` into COO triplets, so the column
layout and the count transform exist once. Feature blocks (see `FeatureLayout`):

* `items` - item one-hot (an unseen item has no column: zero item effect);
* `skills` - skill multi-hot (every skill tagged on the response; unseen skills are dropped);
* `skill_counts` - per-skill counts of earlier responses tagged with that skill:
  `"wins_fails"` (PFA) or `"attempts_wins"` (Best-LR);
* `total_counts` - attempts and wins over all earlier responses;
* `windows` - DAS3H time windows: per-skill attempts and wins in the last `w` seconds, looking
  back over the student's last `history` (response, skill) events (the online state keeps those
  in a ring buffer, so the batch features use the same horizon);
* `ability` - an online ability estimate (IRT, see `adaptive.tracing.logistic.IRT`), optionally
  with a per-item slope (`discrimination`, 2PL-style).

Counts go through `transform` (`"log1p"`: log(1 + x), as in Gervet et al. 2020; `"none"`: raw,
as in the original PFA).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

from adaptive.errors import ConfigError

TRANSFORMS = ("log1p", "none")
SKILL_COUNTS = ("none", "wins_fails", "attempts_wins")
NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class FeatureLayout:
    """Which feature blocks a model uses and where their columns start."""

    n_items: int
    n_skills: int
    items: bool = False
    skills: bool = False
    skill_counts: str = "none"
    total_counts: bool = False
    windows: tuple[int, ...] = ()
    history: int = 0
    ability: bool = False
    discrimination: bool = False
    transform: str = "log1p"

    def __post_init__(self) -> None:
        if self.transform not in TRANSFORMS:
            raise ConfigError(f"count transform {self.transform!r}; expected one of {TRANSFORMS}")
        if self.skill_counts not in SKILL_COUNTS:
            raise ConfigError(f"skill_counts {self.skill_counts!r}; expected one of {SKILL_COUNTS}")
        if self.windows and self.history < 1:
            raise ConfigError(
                f"time windows need a history of at least 1 event, got {self.history}"
            )

    # -- column offsets (blocks in a fixed order) ------------------------------------------------
    def _sizes(self) -> list[tuple[str, int]]:
        k = self.n_skills
        return [
            ("item", self.n_items if self.items else 0),
            ("disc", self.n_items if self.discrimination else 0),
            ("ability", 1 if self.ability else 0),
            ("skill", k if self.skills else 0),
            ("count_a", k if self.skill_counts != "none" else 0),
            ("count_b", k if self.skill_counts != "none" else 0),
            ("total", 2 if self.total_counts else 0),
            ("window", 2 * k * len(self.windows)),
        ]

    @cached_property
    def offsets(self) -> dict[str, int]:
        """First column of each block."""
        out, start = {}, 0
        for name, size in self._sizes():
            out[name] = start
            start += size
        return out

    def offset(self, block: str) -> int:
        return self.offsets[block]

    @property
    def n_features(self) -> int:
        return sum(size for _, size in self._sizes())

    def phi(self, x: np.ndarray) -> np.ndarray:
        return np.log1p(x) if self.transform == "log1p" else np.asarray(x, dtype=np.float64)


@dataclass
class Counts:
    """Per-response inputs of the features: codes and counts of earlier responses.

    `pair_row`/`pair_skill` list every (response, skill) pair (skill -1 if unseen at fit).
    """

    item: np.ndarray  # (R,) item code or -1
    pair_row: np.ndarray  # (P,)
    pair_skill: np.ndarray  # (P,) skill code or -1
    skill_att: np.ndarray | None = None  # (P,)
    skill_wins: np.ndarray | None = None  # (P,)
    window_att: np.ndarray | None = None  # (P, W)
    window_wins: np.ndarray | None = None  # (P, W)
    total_att: np.ndarray | None = None  # (R,)
    total_wins: np.ndarray | None = None  # (R,)
    theta: np.ndarray | None = None  # (R,)


def assemble(layout: FeatureLayout, counts: Counts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """COO triplets (row, column, value) of the feature matrix for `counts`."""
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []

    def add(r: np.ndarray, c: np.ndarray, v: np.ndarray | float) -> None:
        rows.append(r)
        cols.append(c)
        vals.append(np.broadcast_to(np.asarray(v, dtype=np.float64), r.shape))

    n = len(counts.item)
    all_rows = np.arange(n, dtype=np.int64)
    seen_item = counts.item >= 0
    item_rows = all_rows[seen_item]
    if layout.items:
        add(item_rows, layout.offset("item") + counts.item[seen_item], 1.0)
    if layout.ability:
        add(all_rows, np.full(n, layout.offset("ability")), counts.theta)
    if layout.discrimination:
        add(item_rows, layout.offset("disc") + counts.item[seen_item], counts.theta[seen_item])
    known = counts.pair_skill >= 0
    prow, pskill = counts.pair_row[known], counts.pair_skill[known]
    if layout.skills:
        add(prow, layout.offset("skill") + pskill, 1.0)
    if layout.skill_counts != "none":
        att, wins = counts.skill_att[known], counts.skill_wins[known]
        first, second = (wins, att - wins) if layout.skill_counts == "wins_fails" else (att, wins)
        add(prow, layout.offset("count_a") + pskill, layout.phi(first))
        add(prow, layout.offset("count_b") + pskill, layout.phi(second))
    if layout.total_counts:
        add(all_rows, np.full(n, layout.offset("total")), layout.phi(counts.total_att))
        add(all_rows, np.full(n, layout.offset("total") + 1), layout.phi(counts.total_wins))
    k = layout.n_skills
    for w in range(len(layout.windows)):
        base = layout.offset("window") + 2 * k * w
        add(prow, base + pskill, layout.phi(counts.window_att[known, w]))
        add(prow, base + k + pskill, layout.phi(counts.window_wins[known, w]))
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    return (
        np.concatenate(rows).astype(np.int64),
        np.concatenate(cols).astype(np.int64),
        np.concatenate(vals),
    )


def design_matrix(layout: FeatureLayout, counts: Counts) -> sparse.csr_matrix:
    """The sparse feature matrix (n_responses, n_features) for fitting."""
    r, c, v = assemble(layout, counts)
    shape = (len(counts.item), layout.n_features)
    return sparse.csr_matrix((v, (r, c)), shape=shape)


def decision(
    layout: FeatureLayout, counts: Counts, coef: np.ndarray, intercept: float
) -> np.ndarray:
    """intercept + x . coef for every response, straight from the triplets (no matrix built)."""
    r, c, v = assemble(layout, counts)
    return intercept + np.bincount(r, weights=coef[c] * v, minlength=len(counts.item))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# -- batch: cumulative counts by group -----------------------------------------------------------
def exclusive_group_cumsum(values: np.ndarray, group_start: np.ndarray) -> np.ndarray:
    """Sum of `values` over the earlier rows of the same group (rows sorted by group).

    `group_start[i]` is the first row of row i's group.
    """
    total = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    return total[:-1] - total[group_start]


def group_starts(keys: np.ndarray) -> np.ndarray:
    """For rows sorted by `keys`, the index of the first row of each row's group."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    is_start = np.empty(n, dtype=bool)
    is_start[0] = True
    np.not_equal(keys[1:], keys[:-1], out=is_start[1:])
    return np.maximum.accumulate(np.where(is_start, np.arange(n), 0))


@dataclass
class BatchInput:
    """Arrays of a response log in the model's codes (rows sorted by student then time)."""

    student: np.ndarray  # (R,) any int code, rows grouped by it
    item: np.ndarray  # (R,) fitted item code or -1
    correct: np.ndarray  # (R,) 0/1
    skill_offsets: np.ndarray  # (R+1,)
    pair_group_skill: np.ndarray  # (P,) skill code used for grouping (the log's own codes)
    pair_skill: np.ndarray  # (P,) fitted skill code or -1
    time_s: np.ndarray | None = None  # (R,) seconds, when the log has timestamps
    item_logit0: np.ndarray | None = None  # (R,) IRT prior logit of the item, for `ability`


def batch_counts(layout: FeatureLayout, data: BatchInput, ability_prior: float = 1.0) -> Counts:
    """`Counts` for every row of a log at once (cumulative sums of earlier rows, no row loop)."""
    n = len(data.student)
    y = data.correct.astype(np.float64)
    pair_row = np.repeat(np.arange(n, dtype=np.int64), np.diff(data.skill_offsets))
    counts = Counts(item=data.item, pair_row=pair_row, pair_skill=data.pair_skill)
    sstart = group_starts(data.student)
    if layout.total_counts:
        counts.total_att = np.arange(n, dtype=np.float64) - sstart
        counts.total_wins = exclusive_group_cumsum(y, sstart)
    if layout.ability:
        p0 = sigmoid(data.item_logit0)
        num = exclusive_group_cumsum(y - p0, sstart)
        den = exclusive_group_cumsum(p0 * (1.0 - p0), sstart)
        counts.theta = num / (den + ability_prior)
    if layout.skill_counts != "none" or layout.windows:
        n_group_skills = int(data.pair_group_skill.max()) + 1 if len(pair_row) else 1
        key = data.student[pair_row].astype(np.int64) * n_group_skills + data.pair_group_skill
        order = np.argsort(key, kind="stable")
        skey = key[order]
        start = group_starts(skey)
        yp = y[pair_row[order]]
        att = np.empty(len(order))
        wins = np.empty(len(order))
        att[order] = np.arange(len(order)) - start
        wins[order] = exclusive_group_cumsum(yp, start)
        counts.skill_att, counts.skill_wins = att, wins
        if layout.windows:
            counts.window_att, counts.window_wins = _window_counts(
                layout, data, pair_row, order, skey, sstart
            )
    return counts


def _window_counts(
    layout: FeatureLayout,
    data: BatchInput,
    pair_row: np.ndarray,
    order: np.ndarray,
    skey: np.ndarray,
    sstart: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pair attempts/wins in each time window, within the last `history` events.

    In (student, skill) groups sorted by time, the earlier events that count form a suffix of
    the group: those at or after `t - w` *and* within the student's last `history` pairs. Each
    bound is found with one `searchsorted` on a composite (group, value) key.
    """
    n_pairs = len(order)
    # exploded position of each response's first pair within its student
    first_pair = data.skill_offsets[:-1]
    q_first = first_pair - first_pair[sstart]
    y = data.correct.astype(np.float64)[pair_row[order]]
    cum = np.concatenate([[0.0], np.cumsum(y)])
    group_id = np.cumsum(np.concatenate([[0], skey[1:] != skey[:-1]])) if n_pairs else skey
    idx = np.arange(n_pairs)
    srow = pair_row[order]
    # pair's exploded position within the student (pairs are in row order within a student)
    q_pair = np.arange(n_pairs, dtype=np.int64) - first_pair[sstart][pair_row]
    q_sorted = q_pair[order]
    span_q = int(q_sorted.max()) + 1 if n_pairs else 1
    key_q = group_id * span_q + q_sorted
    oldest_q = np.maximum(q_first[srow] - layout.history, 0)
    lo_q = np.searchsorted(key_q, group_id * span_q + oldest_q, "left")
    t = data.time_s[srow]
    t0 = int(t.min()) if n_pairs else 0
    span_t = int(t.max()) - t0 + 1 if n_pairs else 1
    key_t = group_id * span_t + (t - t0)
    att = np.empty((n_pairs, len(layout.windows)))
    wins = np.empty((n_pairs, len(layout.windows)))
    for w, width in enumerate(layout.windows):
        oldest_t = np.maximum(t - t0 - width, 0)
        lo_t = np.searchsorted(key_t, group_id * span_t + oldest_t, "left")
        lo = np.maximum(lo_q, lo_t)
        att[order, w] = idx - lo
        wins[order, w] = cum[idx] - cum[lo]
    return att, wins


# -- online: the same counts kept in per-student state arrays ------------------------------------
def state_arrays(layout: FeatureLayout) -> dict[str, np.ndarray]:
    """One student's initial state rows (empty history, zero counts)."""
    k, h = layout.n_skills, layout.history
    init: dict[str, np.ndarray] = {}
    if layout.skill_counts != "none":
        init["skill_attempts"] = np.zeros(k)
        init["skill_wins"] = np.zeros(k)
    if layout.total_counts:
        init["total_counts"] = np.zeros(2)
    if layout.ability:
        init["ability_stats"] = np.zeros(2)
    if layout.windows:
        init["history_skill"] = np.full(h, -1, dtype=np.int32)
        init["history_time"] = np.zeros(h, dtype=np.int64)
        init["history_correct"] = np.zeros(h, dtype=np.int8)
        init["history_count"] = np.zeros((), dtype=np.int64)
    return init


@dataclass
class RoundInput:
    """One round of the online path: at most one response per student."""

    row: np.ndarray  # (R,) state row of each response's student (distinct)
    item: np.ndarray  # (R,)
    correct: np.ndarray  # (R,)
    pair_row: np.ndarray  # (P,) index into this round's responses
    pair_skill: np.ndarray  # (P,) fitted skill code or -1
    time_s: np.ndarray | None = None
    item_logit0: np.ndarray | None = None


def state_counts(
    layout: FeatureLayout, arrays: dict[str, np.ndarray], rnd: RoundInput, ability_prior: float
) -> Counts:
    """`Counts` for this round's responses, read from the state before they are absorbed."""
    counts = Counts(item=rnd.item, pair_row=rnd.pair_row, pair_skill=rnd.pair_skill)
    pu = rnd.row[rnd.pair_row]
    ps = np.where(rnd.pair_skill >= 0, rnd.pair_skill, 0)
    if layout.skill_counts != "none":
        known = rnd.pair_skill >= 0
        counts.skill_att = np.where(known, arrays["skill_attempts"][pu, ps], 0.0)
        counts.skill_wins = np.where(known, arrays["skill_wins"][pu, ps], 0.0)
    if layout.total_counts:
        tot = arrays["total_counts"][rnd.row]
        counts.total_att, counts.total_wins = tot[:, 0].copy(), tot[:, 1].copy()
    if layout.ability:
        stats = arrays["ability_stats"][rnd.row]
        counts.theta = stats[:, 0] / (stats[:, 1] + ability_prior)
    if layout.windows:
        counts.window_att, counts.window_wins = _state_window_counts(layout, arrays, rnd, pu)
    return counts


def _state_window_counts(
    layout: FeatureLayout, arrays: dict[str, np.ndarray], rnd: RoundInput, pu: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pair window attempts/wins from the students' history ring buffers.

    Only the filled part of the buffers is read, in chunks of pairs, so memory stays bounded.
    """
    n_w = len(layout.windows)
    att = np.zeros((len(pu), n_w))
    wins = np.zeros((len(pu), n_w))
    count = arrays["history_count"]
    width = int(min(layout.history, count[pu].max())) if len(pu) else 0
    if width == 0:
        return att, wins
    widths = np.asarray(layout.windows)
    chunk = max(1, 4_000_000 // width)
    for lo in range(0, len(pu), chunk):
        sl = slice(lo, lo + chunk)
        u, skill = pu[sl], rnd.pair_skill[sl]
        hs = arrays["history_skill"][u, :width]
        ht = arrays["history_time"][u, :width]
        hc = arrays["history_correct"][u, :width].astype(np.float64)
        filled = np.arange(width)[None, :] < count[u][:, None]
        same = filled & (hs == skill[:, None]) & (skill[:, None] >= 0)
        t = rnd.time_s[rnd.pair_row[sl]][:, None]
        for w in range(n_w):
            inside = same & (ht >= t - widths[w])
            att[sl, w] = inside.sum(axis=1)
            wins[sl, w] = (inside * hc).sum(axis=1)
    return att, wins


def absorb(
    layout: FeatureLayout, arrays: dict[str, np.ndarray], rnd: RoundInput, pair_rank: np.ndarray
) -> None:
    """Add this round's responses to the state in place (after their prediction was made).

    `pair_rank[p]` is pair p's index within its response (0, 1, ...), for the history order.
    """
    y = rnd.correct.astype(np.float64)
    pu = rnd.row[rnd.pair_row]
    yp = y[rnd.pair_row]
    known = rnd.pair_skill >= 0
    if layout.skill_counts != "none":
        np.add.at(arrays["skill_attempts"], (pu[known], rnd.pair_skill[known]), 1.0)
        np.add.at(arrays["skill_wins"], (pu[known], rnd.pair_skill[known]), yp[known])
    if layout.total_counts:
        arrays["total_counts"][rnd.row, 0] += 1.0
        arrays["total_counts"][rnd.row, 1] += y
    if layout.ability:
        p0 = sigmoid(rnd.item_logit0)
        arrays["ability_stats"][rnd.row, 0] += y - p0
        arrays["ability_stats"][rnd.row, 1] += p0 * (1.0 - p0)
    if layout.windows:
        count = arrays["history_count"]
        slot = (count[pu] + pair_rank) % layout.history
        arrays["history_skill"][pu, slot] = rnd.pair_skill
        arrays["history_time"][pu, slot] = rnd.time_s[rnd.pair_row]
        arrays["history_correct"][pu, slot] = rnd.correct[rnd.pair_row]
        np.add.at(count, pu, 1)


def skill_decision(
    layout: FeatureLayout,
    arrays: dict[str, np.ndarray],
    coef: np.ndarray,
    intercept: float,
    typical_item: np.ndarray,
    typical_disc: np.ndarray,
    ability_prior: float,
) -> np.ndarray:
    """(n_students, n_skills) logit of a correct answer on a typical item of each skill, now.

    The hypothetical response is tagged with that skill only; its item effect is the skill's
    typical one (`typical_item[k]`: mean fitted item effect over the skill's training items).
    Time windows are read at the student's most recent response.
    """
    n = len(next(iter(arrays.values()))) if arrays else 0
    k = layout.n_skills
    z = np.full((n, k), float(intercept))
    if layout.items:
        z += typical_item[None, :]
    if layout.ability:
        stats = arrays["ability_stats"]
        theta = stats[:, 0] / (stats[:, 1] + ability_prior)
        slope = coef[layout.offset("ability")] + (typical_disc if layout.discrimination else 0.0)
        z += theta[:, None] * np.broadcast_to(slope, (k,))[None, :]
    if layout.skills:
        z += coef[layout.offset("skill") : layout.offset("skill") + k][None, :]
    if layout.skill_counts != "none":
        att, wins = arrays["skill_attempts"], arrays["skill_wins"]
        first, second = (wins, att - wins) if layout.skill_counts == "wins_fails" else (att, wins)
        a, b = layout.offset("count_a"), layout.offset("count_b")
        z += layout.phi(first) * coef[a : a + k] + layout.phi(second) * coef[b : b + k]
    if layout.total_counts:
        tot, c = arrays["total_counts"], layout.offset("total")
        z += (layout.phi(tot[:, 0]) * coef[c] + layout.phi(tot[:, 1]) * coef[c + 1])[:, None]
    if layout.windows and n:
        chunk = max(1, 2_000_000 // layout.history)  # bounded memory for large states
        for lo in range(0, n, chunk):
            z[lo : lo + chunk] += _window_decision(layout, arrays, coef, slice(lo, lo + chunk))
    return z


def update_one(
    layout: FeatureLayout,
    arrays: dict[str, np.ndarray],
    coef: np.ndarray,
    intercept: float,
    row: int,
    item: int,
    skills: list[int],
    correct: int,
    time_s: int | None,
    item_logit0: float | None,
    ability_prior: float,
) -> float:
    """One response of one student, in scalar code: predict, then absorb; returns P(correct).

    The single-event fast path (`model.update(state, Response(...))`): the same features and
    state changes as `state_counts` + `decision` + `absorb`, without building arrays per call.
    """
    phi = math.log1p if layout.transform == "log1p" else float
    off = layout.offsets
    z = float(intercept)
    if layout.items and item >= 0:
        z += coef[off["item"] + item]
    if layout.ability:
        stats = arrays["ability_stats"][row]
        theta = stats[0] / (stats[1] + ability_prior)
        z += coef[off["ability"]] * theta
        if layout.discrimination and item >= 0:
            z += coef[off["disc"] + item] * theta
    known = [s for s in skills if s >= 0]
    k = layout.n_skills
    if layout.skills:
        for s in known:
            z += coef[off["skill"] + s]
    if layout.skill_counts != "none":
        att_row, wins_row = arrays["skill_attempts"][row], arrays["skill_wins"][row]
        a, b = off["count_a"], off["count_b"]
        for s in known:
            att, wins = att_row[s], wins_row[s]
            first, second = (
                (wins, att - wins) if layout.skill_counts == "wins_fails" else (att, wins)
            )
            z += coef[a + s] * phi(first) + coef[b + s] * phi(second)
    if layout.total_counts:
        tot, c = arrays["total_counts"][row], off["total"]
        z += coef[c] * phi(tot[0]) + coef[c + 1] * phi(tot[1])
    if layout.windows:
        count = int(arrays["history_count"][row])
        filled = min(count, layout.history)
        hs = arrays["history_skill"][row, :filled]
        ht = arrays["history_time"][row, :filled]
        hc = arrays["history_correct"][row, :filled].astype(np.float64)
        lower = time_s - np.asarray(layout.windows)[:, None]
        for s in known:
            inside = (hs == s)[None, :] & (ht[None, :] >= lower)  # (W, filled)
            att, wins = inside.sum(axis=1).tolist(), (inside @ hc).tolist()
            for w in range(len(layout.windows)):
                base = off["window"] + 2 * k * w
                z += coef[base + s] * phi(float(att[w])) + coef[base + k + s] * phi(float(wins[w]))
    p = 1.0 / (1.0 + math.exp(-z))
    # absorb
    if layout.skill_counts != "none":
        for s in known:
            arrays["skill_attempts"][row, s] += 1.0
            arrays["skill_wins"][row, s] += correct
    if layout.total_counts:
        arrays["total_counts"][row, 0] += 1.0
        arrays["total_counts"][row, 1] += correct
    if layout.ability:
        p0 = 1.0 / (1.0 + math.exp(-item_logit0))
        arrays["ability_stats"][row, 0] += correct - p0
        arrays["ability_stats"][row, 1] += p0 * (1.0 - p0)
    if layout.windows:
        count = int(arrays["history_count"][row])
        for rank, s in enumerate(skills):
            slot = (count + rank) % layout.history
            arrays["history_skill"][row, slot] = s
            arrays["history_time"][row, slot] = time_s
            arrays["history_correct"][row, slot] = correct
        arrays["history_count"][row] = count + len(skills)
    return p


def _window_decision(
    layout: FeatureLayout, arrays: dict[str, np.ndarray], coef: np.ndarray, rows: slice
) -> np.ndarray:
    """Window-feature part of `skill_decision` for a block of students, at their last response."""
    hs, ht = arrays["history_skill"][rows], arrays["history_time"][rows]
    hc = arrays["history_correct"][rows].astype(np.float64)
    count = arrays["history_count"][rows]
    n, k, h = len(count), layout.n_skills, layout.history
    filled = (np.arange(h)[None, :] < count[:, None]) & (hs >= 0)
    last_slot = (count - 1) % h
    now = np.where(count > 0, ht[np.arange(n), last_slot], 0)
    flat = np.arange(n)[:, None] * k + np.where(hs >= 0, hs, 0)
    z = np.zeros((n, k))
    for w, width in enumerate(layout.windows):
        inside = filled & (ht >= now[:, None] - width)
        att = np.bincount(flat[inside], minlength=n * k).reshape(n, k)
        wins = np.bincount(flat[inside], weights=hc[inside], minlength=n * k).reshape(n, k)
        base = layout.offset("window") + 2 * k * w
        z += (
            layout.phi(att) * coef[base : base + k]
            + layout.phi(wins) * coef[base + k : base + 2 * k]
        )
    return z
