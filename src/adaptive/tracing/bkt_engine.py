"""The vectorized BKT engine: forward filtering and Baum-Welch EM for many sequences at once.

BKT is a two-state hidden Markov model per (student, skill) sequence. The engine processes every
sequence of every skill (and every random restart) together: sequences are ranked by length
(longest first) and their entries laid out *time-major*, so that the k-th responses of all
sequences still running at step k form one contiguous block, and those sequences are exactly ranks
`0 .. n_k - 1`. The only Python loop is over k (the longest sequence, ~300 on ASSIST2009), each
iteration a handful of numpy operations on whole blocks; everything else (emissions, smoothing
statistics, M-step sums) is a vectorized gather or `bincount` over all entries.

Conventions follow pyBKT, the reference the tests compare against:

* `p_learn` / `p_forget` of an entry is the transition applied *after* that entry (with
  multilearn, the class of the item just practised);
* P(correct) = p_guess + P(known) * (1 - p_slip - p_guess), with P(known) the prediction before
  the response (filtered on earlier responses, then one transition);
* EM maximizes the exact log-likelihood sum_t log P(o_t | o_<t) by the standard E/M steps.

Arrays of per-entry values are shaped (n_entries, n_restarts) in time-major order.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

PARAMS = ("p_init", "p_learn", "p_forget", "p_guess", "p_slip")
_TINY = 1e-300
_EPS = 1e-10


@dataclass(frozen=True)
class SequenceLayout:
    """Time-major layout of sequences.

    Attributes
    ----------
    order : (N,) input entry index at each time-major position.
    offsets : (L+1,) block of step k is positions `offsets[k]:offsets[k+1]`; the entry at
        `offsets[k] + j` belongs to the sequence of rank j.
    seq_length : (n_seq,) length of each sequence, by rank (non-increasing).

    What only EM reads (`seq_last_pos`, `has_next`, `next_pos`) is derived on first use: an
    online update never pays for it.
    """

    order: np.ndarray
    offsets: np.ndarray
    seq_length: np.ndarray

    @property
    def n_entries(self) -> int:
        return len(self.order)

    @property
    def n_sequences(self) -> int:
        return len(self.seq_length)

    @property
    def n_steps(self) -> int:
        return len(self.offsets) - 1

    @property
    def seq_first_entry(self) -> np.ndarray:
        """(n_seq,) input index of the first entry of each sequence (by rank): block 0."""
        return self.order[: self.n_sequences]

    @cached_property
    def seq_last_pos(self) -> np.ndarray:
        """(n_seq,) time-major position of each sequence's last entry: rank j ends in block
        `length_j - 1`."""
        return self.offsets[self.seq_length - 1] + np.arange(self.n_sequences, dtype=np.int64)

    @cached_property
    def has_next(self) -> np.ndarray:
        """(N,) whether the entry at a position has a successor in its sequence."""
        has_next = np.ones(self.n_entries, dtype=bool)
        has_next[self.seq_last_pos] = False
        return has_next

    @cached_property
    def next_pos(self) -> np.ndarray:
        """(n_has_next,) position of that successor, for positions where `has_next`: every
        entry but a last one continues n_k positions on (same rank)."""
        n_per_step = np.diff(self.offsets)
        step_size = np.repeat(n_per_step, n_per_step)
        return (np.arange(self.n_entries, dtype=np.int64) + step_size)[self.has_next]

    def to_time_major(self, values: np.ndarray) -> np.ndarray:
        """Reorder a per-entry array (input order) into time-major order."""
        return values[self.order]

    def to_input(self, values: np.ndarray) -> np.ndarray:
        """Reorder a time-major per-entry array back into input order."""
        out = np.empty_like(values)
        out[self.order] = values
        return out


def build_layout(seq_key: np.ndarray, group: np.ndarray | None = None) -> SequenceLayout:
    """Layout for entries given in time order within each sequence; `seq_key` names the sequence.

    Entries of one sequence keep their relative input order (the response log is sorted by
    student then time, so keying by (student, skill) gives each student's per-skill sequence).

    `group` (optional, small non-negative integer codes, one per entry, the same for every entry
    of a sequence) is a shortcut for the grouping sort: when, among the entries of one group
    value, each sequence's entries are already contiguous (the skill of each entry of a
    student-sorted log), one stable counting sort by `group` replaces the sort of the whole key.
    Sequences then come in another order (ties between equal lengths rank differently), so the
    forward pass gives the same value for every entry, but sums over time-major arrays (EM's)
    would not be bit-identical: EM passes no `group`.
    """
    seq_key = np.asarray(seq_key, dtype=np.int64)
    n = len(seq_key)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return SequenceLayout(empty, np.zeros(1, np.int64), empty)
    if group is not None and _NATIVE is not None:
        return _native_layout(seq_key, np.asarray(group))
    # one stable sort groups each sequence's entries, in input (= time) order
    by_key = np.argsort(seq_key, kind="stable") if group is None else stable_order(group)
    sorted_keys = seq_key[by_key]
    new_seq = np.empty(n, dtype=bool)
    new_seq[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new_seq[1:])
    starts = np.flatnonzero(new_seq)
    lengths = np.empty_like(starts)
    np.subtract(starts[1:], starts[:-1], out=lengths[:-1])
    lengths[-1] = n - starts[-1]
    n_seq = len(starts)
    # ranks: longest first, ties in sorted order (a stable sort of max - length, not -length:
    # non-negative small codes take the counting sort)
    longest = int(lengths.max())
    rank_to_seq = stable_order(longest - lengths)
    seq_length = lengths[rank_to_seq]  # non-increasing
    # sequences running at step k: those longer than k
    n_per_step = n_seq - np.cumsum(np.bincount(lengths, minlength=longest + 1))[:-1]
    offsets = np.zeros(longest + 1, np.int64)
    np.cumsum(n_per_step, out=offsets[1:])
    # block k holds ranks 0 .. n_k - 1 in order, so each entry's position is known directly:
    # offsets[its step] + its sequence's rank
    rank = np.empty(n_seq, np.int64)
    rank[rank_to_seq] = np.arange(n_seq)
    step = np.arange(n, dtype=np.int64)
    step -= np.repeat(starts, lengths)
    position = offsets.take(step)
    position += np.repeat(rank, lengths)
    order = np.empty(n, np.int64)
    order[position] = by_key
    return SequenceLayout(order=order, offsets=offsets, seq_length=seq_length)


def _native_layout(seq_key: np.ndarray, group: np.ndarray) -> SequenceLayout:
    """`build_layout(seq_key, group)` in C (`bkt_layout`): the same arrays, O(N) counting sorts
    in one call instead of a dozen array passes."""
    n = len(seq_key)
    seq_key = np.ascontiguousarray(seq_key, dtype=np.int64)
    group = np.ascontiguousarray(group, dtype=np.int64)
    if len(group) != n or group.min() < 0:  # the C code indexes by them: checked first
        raise ValueError("build_layout: `group` needs one non-negative code per entry")
    order, seq_length, offsets = (
        np.empty(n, np.int64),
        np.empty(n, np.int64),
        np.empty(n + 1, np.int64),
    )
    n_steps = ctypes.c_int64(0)
    n_groups = int(group.max()) + 1
    n_seq = _NATIVE.bkt_layout(
        n,
        seq_key.ctypes.data,
        group.ctypes.data,
        n_groups,
        order.ctypes.data,
        offsets.ctypes.data,
        seq_length.ctypes.data,
        ctypes.addressof(n_steps),
    )
    if n_seq < 0:
        raise MemoryError("bkt_layout: out of memory")
    return SequenceLayout(order, offsets[: n_steps.value + 1], seq_length[:n_seq])


def stable_order(codes: np.ndarray) -> np.ndarray:
    """`np.argsort(codes, kind="stable")` for non-negative integer codes; codes below 2**16 go
    through numpy's radix sort (its stable sort of 8- and 16-bit integers, one or two passes over
    the data) instead of a comparison sort. The permutation is the same either way."""
    codes = np.asarray(codes)
    top = int(codes.max()) if len(codes) else 0
    for small in (np.uint8, np.uint16):
        if top <= np.iinfo(small).max:
            return np.argsort(codes.astype(small), kind="stable")
    return np.argsort(codes, kind="stable")


def emissions(
    correct_tm: np.ndarray, guess: np.ndarray, slip: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """P(observation | known), P(observation | not known) per entry; inputs (N,) / (N, R)."""
    obs = correct_tm.astype(bool)[:, None]
    like_known = np.where(obs, 1.0 - slip, slip)
    like_unknown = np.where(obs, guess, 1.0 - guess)
    return like_known, like_unknown


def emission_tables(guess: np.ndarray, slip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`emissions` per parameter class: (P(obs | known), P(obs | not known)) tables, row
    `2 * class + correct` (row 2c a wrong answer, 2c+1 a right one); `guess`, `slip` (C,) or
    (C, R). Gathering rows by each entry's code gives `emissions`' values bit for bit."""
    r = guess.shape[1:]
    like_known = np.stack([slip, 1.0 - slip], axis=1).reshape(2 * len(slip), *r)
    like_unknown = np.stack([1.0 - guess, guess], axis=1).reshape(2 * len(guess), *r)
    return like_known, like_unknown


def forward(
    layout: SequenceLayout,
    init: np.ndarray,
    like_known: np.ndarray,
    like_unknown: np.ndarray,
    learn: np.ndarray,
    keep: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Forward filtering.

    Parameters: `init` (n_seq, R) P(known) before each sequence's first entry; the other arrays
    (N, R) time-major, `keep` = 1 - p_learn - p_forget (`transition_keep`). Returns (P(known)
    before each entry (N, R), P(known) after each sequence's last entry and its transition
    (n_seq, R): the state for the next response).
    """
    state = np.array(init, dtype=np.float64, copy=True)
    pred = np.empty(like_known.shape, dtype=np.float64)
    offsets = layout.offsets.tolist()
    # the same operations in the same order as `known / (known + (1 - x) * like_unknown)`, into
    # two scratch buffers: no allocation per step (bit-identical results, fewer cycles per step)
    known_buf, other_buf = np.empty_like(state), np.empty_like(state)
    mul, sub, add, div = np.multiply, np.subtract, np.add, np.divide
    for k in range(len(offsets) - 1):
        lo, hi = offsets[k], offsets[k + 1]
        m = hi - lo
        x = state[:m]
        pred[lo:hi] = x
        known, other = known_buf[:m], other_buf[:m]
        mul(x, like_known[lo:hi], out=known)
        sub(1.0, x, out=other)
        mul(other, like_unknown[lo:hi], out=other)
        add(known, other, out=other)
        div(known, other, out=known)
        mul(known, keep[lo:hi], out=known)
        add(learn[lo:hi], known, out=x)
    return pred, state


def transition_keep(learn: np.ndarray, forget: np.ndarray) -> np.ndarray:
    """P(known stays known and is not re-learned): the factor on P(known | answers) in a
    transition, `1 - p_learn - p_forget` (so P(known next) = p_learn + keep * posterior)."""
    return 1.0 - learn - forget


def filtered(
    pred: np.ndarray, like_known: np.ndarray, like_unknown: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(P(known | responses up to and including this one), P(this response | earlier ones))."""
    known = pred * like_known
    evidence = known + (1.0 - pred) * like_unknown
    post = np.divide(known, evidence, out=pred.copy(), where=evidence > 0)
    return post, evidence


def p_correct(pred: np.ndarray, guess: np.ndarray, slip: np.ndarray) -> np.ndarray:
    """P(correct) from P(known) before the response."""
    return guess + pred * (1.0 - slip - guess)


def filter_classes(
    layout: SequenceLayout, init: np.ndarray, code: np.ndarray, params: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of one parameter set (no restarts) for entries named by parameter class.

    `code` (N,) time-major `2 * class + correct`; `params` (C, 5) columns `PARAMS` per class;
    `init` (n_seq,) P(known) before each sequence. Returns (P(correct) of each entry, in input
    order (N,); P(known) after each sequence's last entry and its transition (n_seq,)).

    The online path (prediction and `update`). One step of filtering and transition,
    `learn + keep * x lk / (x lk + (1 - x) lu)`, is written as `learn + x gain / (x lk +
    (1 - x) lu)` with `gain = keep lk` computed once per class and read by code, and capped at
    1 (the sum can round one ulp above it). Not as `x (lk - lu) + lu`: that form cancels at
    x = 1 after a near-impossible answer (P(slip) 1e-10 on a wrong one) and P(known) left
    [0, 1]. The loop runs in C (`_bkt_filter.c`) when the install built it, else in numpy
    (`_filter_steps`); both give the same bits. The same values as `forward` up to rounding (a
    few ulp); EM keeps `forward`, whose per-entry terms its E-step shares.
    """
    _, learn, forget, guess, slip = (np.repeat(col, 2) for col in params.T)
    table_known, table_unknown = emission_tables(guess[::2], slip[::2])
    terms = np.column_stack(
        [
            table_known * transition_keep(learn, forget),  # gain
            table_known,
            table_unknown,
            learn,
            1.0 - slip - guess,  # P(correct) = guess + P(known) * (1 - slip - guess)
            guess,
        ]
    )
    if _NATIVE is not None:
        return _native_filter(layout, init, code, terms)
    pred, final = _filter_steps(layout, init, *(terms[:, j].take(code) for j in range(4)))
    pred *= terms[:, 4].take(code)
    pred += terms[:, 5].take(code)  # as `p_correct`
    p = np.empty_like(pred)
    p[layout.order] = pred
    return p, final


def _native_filter(
    layout: SequenceLayout, init: np.ndarray, code: np.ndarray, terms: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`filter_classes`' loop in C: one call, P(correct) written straight in input order."""
    n = layout.n_entries
    if len(code) != n or len(init) != layout.n_sequences:
        raise ValueError("filter_classes: `code` and `init` must match the layout")
    if n and (code.min() < 0 or code.max() >= len(terms)):  # the C code indexes by them
        raise ValueError(f"filter_classes: codes must lie in [0, {len(terms)})")
    final = np.array(init, dtype=np.float64, copy=True)
    p = np.empty(n, dtype=np.float64)
    arrays = (
        np.ascontiguousarray(layout.offsets, dtype=np.int64),
        np.ascontiguousarray(code, dtype=np.int64),
        np.ascontiguousarray(layout.order, dtype=np.int64),
        np.ascontiguousarray(terms, dtype=np.float64),
        final,
        p,
    )
    _NATIVE.bkt_filter(layout.n_steps, *(a.ctypes.data for a in arrays))
    return p, final


def _filter_steps(
    layout: SequenceLayout,
    init: np.ndarray,
    gain: np.ndarray,
    like_known: np.ndarray,
    like_unknown: np.ndarray,
    learn: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(P(known) before each entry, time-major; P(known) after each sequence): the step
    `x -> min(1, learn + x gain / (x like_known + (1 - x) like_unknown))` over the layout's
    blocks, per-entry arrays (N,), in the C loop's order of operations (the same bits)."""
    n_seq = layout.n_sequences
    pred = np.empty(layout.n_entries, dtype=np.float64)
    final = np.empty(n_seq, dtype=np.float64)
    pred[:n_seq] = init  # block 0: every sequence's first entry
    offsets = layout.offsets.tolist() + [layout.n_entries]
    num_buf, den_buf, rest_buf = np.empty(n_seq), np.empty(n_seq), np.empty(n_seq)
    mul, add, sub, div, cap = np.multiply, np.add, np.subtract, np.divide, np.minimum
    for k in range(len(offsets) - 2):
        lo, hi = offsets[k], offsets[k + 1]
        m, going_on = hi - lo, offsets[k + 2] - hi  # sequences at step k, and at step k + 1
        x, num, den, rest = pred[lo:hi], num_buf[:m], den_buf[:m], rest_buf[:m]
        mul(x, like_known[lo:hi], out=den)
        sub(1.0, x, out=rest)
        mul(rest, like_unknown[lo:hi], out=rest)
        add(den, rest, out=den)
        mul(x, gain[lo:hi], out=num)
        div(num, den, out=num)
        add(num, learn[lo:hi], out=num)
        cap(num, 1.0, out=num)
        pred[hi : hi + going_on] = num[:going_on]
        if going_on < m:  # ranks going_on .. m - 1 end here
            final[going_on:m] = num[going_on:]
    return pred, final


def _load_native() -> ctypes.CDLL | None:
    """The C library built beside this module (`_bkt_filter.c`: `bkt_filter`, `bkt_layout`),
    or None where the install did not build it or `ADAPTIVE_NATIVE=0` asks for numpy."""
    if os.environ.get("ADAPTIVE_NATIVE", "1") == "0":
        return None
    here = Path(__file__).parent
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = here / f"_bkt_filter{suffix}"
        if path.is_file():
            try:
                library = ctypes.CDLL(str(path))
                filter_, layout = library.bkt_filter, library.bkt_layout
            except (OSError, AttributeError):
                return None
            filter_.restype = None
            filter_.argtypes = [ctypes.c_int64] + [ctypes.c_void_p] * 6
            layout.restype = ctypes.c_int64
            layout.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
            layout.argtypes += [ctypes.c_void_p] * 4
            return library
    return None


_NATIVE = _load_native()


# -- EM ---------------------------------------------------------------------
@dataclass(frozen=True)
class ClassMap:
    """Which parameter class each entry uses (one class per skill for standard BKT).

    Entry arrays are in input order. `prior_class` is read at each sequence's first entry.
    `*_skill` maps a class to its skill: restarts are chosen, and convergence is checked, per skill.
    """

    emit_class: np.ndarray
    trans_class: np.ndarray
    prior_class: np.ndarray
    entry_skill: np.ndarray
    emit_skill: np.ndarray
    trans_skill: np.ndarray
    prior_skill: np.ndarray
    n_skills: int


@dataclass(frozen=True)
class EMResult:
    """Fitted class parameters (1-D arrays) and the per-skill log-likelihood."""

    p_init: np.ndarray
    p_learn: np.ndarray
    p_forget: np.ndarray
    p_guess: np.ndarray
    p_slip: np.ndarray
    loglik_per_skill: np.ndarray
    n_iter: int


class _WorkingSet:
    """The entries of the skills still being fitted, laid out for the E-step.

    Per-class sums use flattened `class * R + restart` indices (one `bincount` each); emission
    sums are split by the observed outcome, so one `bincount` of P(known) gives all four.
    """

    def __init__(
        self, seq_key: np.ndarray, correct: np.ndarray, classes: ClassMap, keep: np.ndarray | None
    ):
        sel = np.arange(len(seq_key)) if keep is None else np.flatnonzero(keep)
        self.layout = layout = build_layout(seq_key[sel])
        tm = sel[layout.order]
        self.correct = correct[tm]
        self.emit = classes.emit_class[tm]
        self.emit_obs = self.emit.astype(np.int64) * 2 + self.correct
        self.trans = classes.trans_class[tm]
        self.skill = classes.entry_skill[tm]
        self.prior = classes.prior_class[tm[: layout.n_sequences]]
        self.cur = np.flatnonzero(layout.has_next)
        self.trans_next = self.trans[self.cur]
        self.n_entries = len(sel)
        self._index: dict[int, tuple[np.ndarray, ...]] = {}
        self._counts: dict[tuple[int, ...], tuple[np.ndarray, ...]] = {}

    def indices(self, r: int) -> tuple[np.ndarray, ...]:
        if r not in self._index:
            self._index = {
                r: tuple(
                    _flat_index(c, r)
                    for c in (self.emit_obs, self.trans_next, self.prior, self.skill)
                )
            }
        return self._index[r]

    def counts(self, r: int, n_emit: int, n_trans: int, n_prior: int) -> tuple[np.ndarray, ...]:
        """Entries per (emission class, outcome), transitions per class, sequences per class."""
        key = (r, n_emit, n_trans, n_prior)
        if key not in self._counts:
            emit_idx, trans_idx, prior_idx, _ = self.indices(r)
            self._counts = {
                key: (
                    np.bincount(emit_idx, minlength=2 * n_emit * r).reshape(n_emit, 2, r),
                    np.bincount(trans_idx, minlength=n_trans * r).reshape(n_trans, r),
                    np.bincount(prior_idx, minlength=n_prior * r).reshape(n_prior, r),
                )
            }
        return self._counts[key]


def _class_sum(index: np.ndarray, weights: np.ndarray, n_classes: int) -> np.ndarray:
    """Sum (M, R) weights by class; `index` is the flattened class*R + restart index."""
    r = weights.shape[1]
    return np.bincount(index, weights.ravel(), minlength=n_classes * r).reshape(n_classes, r)


def _flat_index(classes: np.ndarray, r: int) -> np.ndarray:
    return (classes[:, None].astype(np.int64) * r + np.arange(r)).ravel()


def fit_em(
    seq_key: np.ndarray,
    correct: np.ndarray,
    classes: ClassMap,
    *,
    forgets: bool,
    fixed: dict[str, np.ndarray],
    num_fits: int,
    max_iter: int,
    tol: float,
    seed: int,
    shrinkage: float = 0.0,
    burn_in: int = 3,
) -> EMResult:
    """Baum-Welch EM with `num_fits` seeded random restarts, all restarts run together.

    Entries are given in input order (time order within each sequence, named by `seq_key`).
    After `burn_in` iterations the best restart of each skill (highest log-likelihood) is kept and
    EM continues on it alone. A skill stops when its log-likelihood changes by less than `tol`
    between two iterations (its entries then leave the working set), or after `max_iter`
    iterations in all. `fixed[name]` is a per-class array of values (NaN = free), held fixed.
    `shrinkage` > 0 makes item-level classes MAP estimates: each class gets that many
    pseudo-observations at its skill's pooled value (0 = maximum likelihood, as pyBKT).
    """
    rng = np.random.default_rng(seed)
    n_emit, n_trans, n_prior = (
        len(classes.emit_skill),
        len(classes.trans_skill),
        len(classes.prior_skill),
    )
    n_skills = classes.n_skills
    r = max(1, int(num_fits))
    params = {
        "p_init": rng.uniform(0.0, 1.0, (n_prior, r)),
        "p_learn": rng.uniform(0.0, 0.4, (n_trans, r)),
        "p_forget": rng.uniform(0.0, 0.2, (n_trans, r)) if forgets else np.zeros((n_trans, r)),
        "p_guess": rng.uniform(0.0, 0.4, (n_emit, r)),
        "p_slip": rng.uniform(0.0, 0.3, (n_emit, r)),
    }
    _apply_fixed(params, fixed)
    seq_key = np.asarray(seq_key, dtype=np.int64)
    correct = np.asarray(correct, dtype=np.int8)
    work = _WorkingSet(seq_key, correct, classes, None)
    active = np.bincount(classes.entry_skill, minlength=n_skills) > 0
    loglik = np.full((n_skills, r), -np.inf)
    prev = None
    n_iter = 0
    for it in range(max_iter):
        n_iter = it + 1
        r = params["p_init"].shape[1]
        ll, new = _em_step(work, params, r, forgets, classes, float(shrinkage))
        loglik[active] = ll[active]
        if prev is not None:
            # skills without entries (a refit of some skills) stay at -inf: never active
            with np.errstate(invalid="ignore"):
                active &= ~(np.abs(loglik - prev) < tol).all(axis=1)
        prev = loglik.copy()
        for name, values in new.items():
            params[name] = np.where(
                _active_classes(classes, name, active)[:, None], values, params[name]
            )
        _apply_fixed(params, fixed)
        if r > 1 and n_iter >= burn_in:
            params = _best_restart(params, loglik, classes)
            loglik = loglik.max(axis=1, keepdims=True)
            prev = None
        if not active.any():
            break
        keep = active[classes.entry_skill]
        if keep.sum() < 0.6 * work.n_entries:
            work = _WorkingSet(seq_key, correct, classes, keep)
    if params["p_init"].shape[1] > 1:
        params = _best_restart(params, loglik, classes)
    out = {k: v[:, 0] for k, v in params.items()}
    return EMResult(**out, loglik_per_skill=loglik.max(axis=1), n_iter=n_iter)


def _active_classes(classes: ClassMap, name: str, active: np.ndarray) -> np.ndarray:
    skill_of = {
        "p_init": classes.prior_skill,
        "p_learn": classes.trans_skill,
        "p_forget": classes.trans_skill,
        "p_guess": classes.emit_skill,
        "p_slip": classes.emit_skill,
    }[name]
    return active[skill_of]


def _em_step(
    work: _WorkingSet,
    params: dict[str, np.ndarray],
    r: int,
    forgets: bool,
    classes: ClassMap,
    shrinkage: float,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One E-step on the working set: (log-likelihood per skill, re-estimated parameters)."""
    n_emit, n_trans, n_prior = (
        len(classes.emit_skill),
        len(classes.trans_skill),
        len(classes.prior_skill),
    )
    n_skills = classes.n_skills

    def ratio(num: np.ndarray, den: np.ndarray, previous: np.ndarray, skill_of: np.ndarray):
        return _estimate(num, den, previous, skill_of, n_skills, shrinkage)

    emit_idx, trans_idx, prior_idx, skill_idx = work.indices(r)
    layout = work.layout
    guess, slip = params["p_guess"], params["p_slip"]
    table_known, table_unknown = emission_tables(guess, slip)
    like_known, like_unknown = table_known[work.emit_obs], table_unknown[work.emit_obs]
    learn, forget = params["p_learn"][work.trans], params["p_forget"][work.trans]
    keep = transition_keep(learn, forget)
    pred, _ = forward(layout, params["p_init"][work.prior], like_known, like_unknown, learn, keep)
    post, evidence = filtered(pred, like_known, like_unknown)
    with np.errstate(divide="ignore"):
        loglik = _class_sum(skill_idx, np.log(evidence), n_skills)
    gamma = _smooth(layout, pred, post, forget, forgets)
    nxt, cur = layout.next_pos, work.cur
    g_next = gamma[nxt]
    gamma_cur = gamma[cur]
    if forgets:
        post_cur = post[cur]
        xi01 = (1.0 - post_cur) * learn[cur] * g_next / np.maximum(pred[nxt], _TINY)
    else:  # nothing is forgotten: P(known at t and t+1) = P(known at t)
        xi01 = g_next - gamma_cur
    count_outcome, ones_cur, ones_prior = work.counts(r, n_emit, n_trans, n_prior)
    known_cur = _class_sum(trans_idx, gamma_cur, n_trans)
    first = gamma[: layout.n_sequences]
    by_outcome = _class_sum(emit_idx, gamma, 2 * n_emit).reshape(n_emit, 2, r)
    known = by_outcome.sum(axis=1)
    unknown = count_outcome.sum(axis=1) - known
    c = classes
    new = {
        "p_init": ratio(
            _class_sum(prior_idx, first, n_prior), ones_prior, params["p_init"], c.prior_skill
        ),
        "p_learn": ratio(
            _class_sum(trans_idx, xi01, n_trans),
            ones_cur - known_cur,
            params["p_learn"],
            c.trans_skill,
        ),
        # guess/slip stay in [eps, 1 - eps]: every answer keeps a non-zero likelihood
        "p_guess": np.clip(
            ratio(count_outcome[:, 1] - by_outcome[:, 1], unknown, guess, c.emit_skill),
            _EPS,
            1 - _EPS,
        ),
        "p_slip": np.clip(ratio(by_outcome[:, 0], known, slip, c.emit_skill), _EPS, 1 - _EPS),
    }
    if forgets:
        inv_pred0 = 1.0 / np.maximum(1.0 - pred[nxt], _TINY)
        xi10 = post_cur * forget[cur] * (1.0 - g_next) * inv_pred0
        new["p_forget"] = ratio(
            _class_sum(trans_idx, xi10, n_trans), known_cur, params["p_forget"], c.trans_skill
        )
    for name in ("p_init", "p_learn", "p_forget"):  # round-off may step just outside [0, 1]
        if name in new:
            new[name] = np.clip(new[name], 0.0, 1.0)
    if forgets:  # learn + forget <= 1 keeps every P(known) a probability
        new["p_forget"] = np.minimum(new["p_forget"], 1.0 - new["p_learn"])
    return loglik, new


def _smooth(
    layout: SequenceLayout, pred: np.ndarray, post: np.ndarray, forget: np.ndarray, forgets: bool
) -> np.ndarray:
    """Backward pass: P(known at t | the whole sequence) for every entry."""
    gamma = post.copy()
    inv_pred = 1.0 / np.maximum(pred, _TINY)
    stay = post * (1.0 - forget) if forgets else post
    if forgets:
        inv_pred0 = 1.0 / np.maximum(1.0 - pred, _TINY)
        drop = post * forget
    offsets = layout.offsets.tolist()
    for k in range(len(offsets) - 3, -1, -1):
        lo = offsets[k]
        nlo, nhi = offsets[k + 1], offsets[k + 2]
        n = nhi - nlo
        g = gamma[nlo:nhi]
        if forgets:
            gamma[lo : lo + n] = (
                stay[lo : lo + n] * g * inv_pred[nlo:nhi]
                + drop[lo : lo + n] * (1.0 - g) * inv_pred0[nlo:nhi]
            )
        else:
            gamma[lo : lo + n] = stay[lo : lo + n] * (g * inv_pred[nlo:nhi])
    return gamma


def _estimate(
    num: np.ndarray,
    den: np.ndarray,
    previous: np.ndarray,
    class_skill: np.ndarray,
    n_skills: int,
    shrinkage: float,
) -> np.ndarray:
    """num / den per class; with `shrinkage`, plus that many pseudo-counts at the skill's ratio.

    One class per skill (standard BKT) is left alone: its skill ratio is its own ratio.
    """
    if shrinkage > 0 and len(class_skill) != n_skills:
        r = num.shape[1]
        idx = _flat_index(class_skill, r)
        skill_num = np.bincount(idx, num.ravel(), n_skills * r).reshape(n_skills, r)
        skill_den = np.bincount(idx, den.ravel(), n_skills * r).reshape(n_skills, r)
        pooled = _ratio(skill_num, skill_den, np.zeros_like(skill_num))[class_skill]
        num, den = num + shrinkage * pooled, den + shrinkage
    return _ratio(num, den, previous)


def _ratio(num: np.ndarray, den: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """num / den, keeping the previous value where a class had no expected count."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, previous)


def _apply_fixed(params: dict[str, np.ndarray], fixed: dict[str, np.ndarray]) -> None:
    for name, values in fixed.items():
        mask = ~np.isnan(values)
        if mask.any():
            params[name][mask] = values[mask][:, None]


def _best_restart(
    params: dict[str, np.ndarray], loglik: np.ndarray, classes: ClassMap
) -> dict[str, np.ndarray]:
    """Keep, for every skill, the restart with the highest log-likelihood."""
    best = np.argmax(loglik, axis=1)
    out = {}
    for name, values in params.items():
        skill_of = {
            "p_init": classes.prior_skill,
            "p_learn": classes.trans_skill,
            "p_forget": classes.trans_skill,
            "p_guess": classes.emit_skill,
            "p_slip": classes.emit_skill,
        }[name]
        out[name] = values[np.arange(len(values)), best[skill_of]][:, None].copy()
    return out
