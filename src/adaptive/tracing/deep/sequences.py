"""Response logs as padded integer tensors, cut into windows, bucketed into batches.

Codes. Every table the deep models read reserves `0` for padding and `n + 1` for an id the model
never saw (cold start): a fitted skill with code `c` in `skills_` is `c + 1`, same for items.

Windowing (shared by training, `predict_proba` and `update`, so that they compute the same thing).
A student's responses are numbered from 0 and grouped into windows of `W` responses
(window `k` holds positions `[kW, (k+1)W)`). The prediction for every response of window `k` is
made by running the network from scratch over positions `[max(0, (k-1)W), t]`: the previous window
is context (no loss), the current window up to the response is the history. Attention models
therefore need only a bounded buffer of the last `W..2W-1` interactions as online state, and a
batch prediction gives exactly what replaying the buffer gives. DKT trains on the same chunks (the
previous window as burn-in) but at prediction carries its LSTM state over the whole sequence.

Batches never mix chunks of different context lengths (0 or `W` in training), so a network can
treat a batch's context positions apart: attention models ask queries only after it, DKT runs its
burn-in without gradient (training times before and after: `experiments/RESULTS.md`).

Multi-skill responses keep their first `max_skills` skills, in the order of the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from adaptive.data.log import ResponseLog
from adaptive.tracing.base import index_codes


@dataclass(frozen=True)
class Encoded:
    """Rows of responses as model codes; `offsets` delimit students (rows sorted by student)."""

    item: np.ndarray  # (N,) int64; 0 pad, 1..n_items, n_items + 1 unknown
    skills: np.ndarray  # (N, K) int64; 0 pad, 1..n_skills, n_skills + 1 unknown
    correct: np.ndarray  # (N,) int64 0/1
    offsets: np.ndarray  # (n_students + 1,) int64

    def __len__(self) -> int:
        return len(self.item)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def take(self, rows: np.ndarray, offsets: np.ndarray) -> Encoded:
        """Rows at positions `rows` (grouped by new students delimited by `offsets`)."""
        return Encoded(self.item[rows], self.skills[rows], self.correct[rows], offsets)


def codes_with_unknown(vocabulary: pd.Index, ids: pd.Index | np.ndarray) -> np.ndarray:
    """Model codes of `ids`: 1-based position in `vocabulary`, `len(vocabulary) + 1` if unseen."""
    codes = index_codes(vocabulary, ids) + 1
    codes[codes == 0] = len(vocabulary) + 1
    return codes


def skill_matrix(offsets: np.ndarray, codes: np.ndarray, max_skills: int) -> np.ndarray:
    """CSR skill lists -> (N, K) padded matrix, K = min(max_skills, longest list)."""
    counts = np.diff(offsets)
    width = int(min(max_skills, counts.max())) if len(counts) else 1
    rows = np.repeat(np.arange(len(counts)), counts)
    slot = np.arange(len(codes)) - offsets[rows]
    keep = slot < width
    out = np.zeros((len(counts), max(width, 1)), dtype=np.int64)
    out[rows[keep], slot[keep]] = codes[keep]
    return out


def encode_log(log: ResponseLog, skills: pd.Index, items: pd.Index, max_skills: int) -> Encoded:
    """A log's responses as model codes (rows stay in the log's order: by student, then time)."""
    skill_codes = codes_with_unknown(skills, log.skills)[log.skill]
    item_codes = codes_with_unknown(items, log.items)[log.item]
    return Encoded(
        item=item_codes.astype(np.int64),
        skills=skill_matrix(log.skill_offsets, skill_codes, max_skills),
        correct=log.correct.astype(np.int64),
        offsets=log.student_offsets,
    )


# -- windows ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chunks:
    """Slices of encoded rows to run the network over: rows `[start, end)`; loss/predictions on
    rows `[target, end)`; the rows before `target` are context."""

    start: np.ndarray
    target: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.start)


def plan_chunks(
    offsets: np.ndarray,
    window: int,
    history: np.ndarray | None = None,
    first_target: np.ndarray | None = None,
) -> Chunks:
    """Chunks for every student block of rows.

    `history[i]`: global position (responses absorbed before) of block i's first row (0 for a
    whole sequence; a multiple of `window` for an online buffer). `first_target[i]`: local index of
    the first row to predict (0, or the buffer length online).
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    n = np.diff(offsets)
    history = np.zeros_like(n) if history is None else np.asarray(history, dtype=np.int64)
    first_target = (
        np.zeros_like(n) if first_target is None else np.asarray(first_target, dtype=np.int64)
    )
    g_first = history + first_target
    g_end = history + n
    has = g_end > g_first
    k_first = np.where(has, g_first // window, 0)
    k_last = np.where(has, (g_end - 1) // window, -1)
    count = np.maximum(k_last - k_first + 1, 0)
    block = np.repeat(np.arange(len(n)), count)
    k = k_first[block] + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    base = offsets[block] - history[block]  # row index of global position 0
    g_start = np.maximum(history[block], (k - 1) * window)
    g_tgt = np.maximum(g_first[block], k * window)
    g_stop = np.minimum(g_end[block], (k + 1) * window)
    return Chunks(start=base + g_start, target=base + g_tgt, end=base + g_stop)


PAD_MULTIPLE = 16  # batch widths are multiples of this: few tensor shapes (see `make_batch`)


@dataclass(frozen=True)
class Batch:
    """Padded tensors for a batch of chunks (right-padded), with the rows they came from."""

    item: torch.Tensor  # (B, L)
    skills: torch.Tensor  # (B, L, K)
    correct: torch.Tensor  # (B, L)
    lengths: torch.Tensor  # (B,) int64, on CPU
    target: torch.Tensor  # (B, L) bool: positions to predict (score / train on)
    rows: np.ndarray  # (n_target,) encoded row of each target position, in `target` order
    context: int  # positions [0, context) are context in every chunk: nothing to predict there

    def to(self, device: torch.device) -> Batch:
        return Batch(
            self.item.to(device),
            self.skills.to(device),
            self.correct.to(device),
            self.lengths,
            self.target.to(device),
            self.rows,
            self.context,
        )

    @property
    def query_target(self) -> torch.Tensor:
        """(B, L - context) bool: `target` over the positions after the shared context."""
        return self.target[:, self.context :]


def make_batch(enc: Encoded, chunks: Chunks, which: np.ndarray, longest: int) -> Batch:
    """Gather the chunks `which` into one right-padded batch, its width rounded up to a multiple
    of `PAD_MULTIPLE` but at most `longest` (the longest chunk of the plan).

    Why round: oneDNN, torch's CPU kernel library, caches a compiled kernel per tensor shape, with
    its buffers; one shape per bucket length made that cache grow for the whole fit (bfloat16
    AKT on pyKT's ASSIST2015 folds: 3.2 GB peak after one epoch, 4.3 GB after 21; rounded, 2.4 GB
    after one). Padding after a chunk's end never reaches its outputs (every network is causal).
    """
    start, target, end = chunks.start[which], chunks.target[which], chunks.end[which]
    lengths = end - start
    width = min(-(-int(lengths.max()) // PAD_MULTIPLE) * PAD_MULTIPLE, longest)
    pos = np.arange(width)
    valid = pos[None, :] < lengths[:, None]
    idx = np.where(valid, start[:, None] + pos[None, :], 0)
    is_target = valid & (idx >= target[:, None])
    item = np.where(valid, enc.item[idx], 0)
    skills = np.where(valid[..., None], enc.skills[idx], 0)
    correct = np.where(valid, enc.correct[idx], 0)
    return Batch(
        item=torch.from_numpy(item),
        skills=torch.from_numpy(skills),
        correct=torch.from_numpy(correct),
        lengths=torch.from_numpy(lengths.astype(np.int64)),
        target=torch.from_numpy(is_target),
        rows=idx[is_target],
        context=int((target - start).min()),
    )


def iter_batches(
    enc: Encoded,
    chunks: Chunks,
    batch_size: int,
    rng: np.random.Generator | None = None,
    max_cells: int | None = None,
) -> Iterator[tuple[np.ndarray, Batch]]:
    """(chunk indices, batch) for batches of chunks of similar length (bucketing: little padding).

    Chunks are grouped by their context length first (a batch never mixes two: its context
    positions are then the same for every chunk, and a network may skip or run them apart),
    then by length. A batch holds at most `batch_size` chunks and, with `max_cells`, at most
    `max_cells` cells of a (batch, length, length) attention matrix, so that memory stays
    bounded on long sequences. With `rng` (training) the order inside ties and the order of
    batches are shuffled.
    """
    groups = _groups(chunks, batch_size, max_cells, rng)
    if rng is not None:
        groups = [groups[i] for i in rng.permutation(len(groups))]
    longest = int((chunks.end - chunks.start).max()) if len(chunks) else 0
    for which in groups:
        yield which, make_batch(enc, chunks, which, longest)


def count_batches(chunks: Chunks, batch_size: int, max_cells: int | None = None) -> int:
    """How many batches `iter_batches` yields for these chunks (for progress bars)."""
    return len(_groups(chunks, batch_size, max_cells, None))


def _groups(
    chunks: Chunks, batch_size: int, max_cells: int | None, rng: np.random.Generator | None
) -> list[np.ndarray]:
    """Chunk indices of each batch: sorted by (context, length), cut within the size and cell
    budgets and wherever the context length changes."""
    lengths = chunks.end - chunks.start
    context = chunks.target - chunks.start
    ties = np.arange(len(lengths)) if rng is None else rng.random(len(lengths))
    order = np.lexsort((ties, lengths, context))
    lengths, context = lengths[order], context[order]
    context_end = np.searchsorted(context, context, side="right")
    groups, start, n = [], 0, len(order)
    while start < n:
        stop = min(start + batch_size, int(context_end[start]))
        if max_cells is not None:
            fits = max(1, int(max_cells // max(int(lengths[stop - 1]) ** 2, 1)))
            while stop - start > fits:
                stop = start + fits
                fits = max(1, int(max_cells // max(int(lengths[stop - 1]) ** 2, 1)))
        groups.append(order[start:stop])
        start = stop
    return groups


def split_students(n_students: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of student indices into (train, validation); validation holds >= 1 student
    when there are at least 2 students."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n_students)
    n_val = int(round(fraction * n_students))
    n_val = min(max(n_val, 1), n_students - 1) if n_students >= 2 else 0
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def take_students(enc: Encoded, students: np.ndarray) -> Encoded:
    """The rows of the given student blocks, as a new Encoded."""
    lengths = enc.lengths[students]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    rows = np.repeat(enc.offsets[students] - offsets[:-1], lengths) + np.arange(offsets[-1])
    return enc.take(rows.astype(np.int64), offsets)
