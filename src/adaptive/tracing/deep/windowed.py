"""Attention models' prediction and online state: a bounded buffer of recent interactions.

The prediction for response `t` (in window `k = t // W`) is the network run from scratch over the
student's positions `[max(0, (k-1)W), t]` (see `sequences`). The online state therefore keeps the
interactions from the start of the previous window: between `W` and `2W - 1` of them once a
student has `W` responses. `update` runs the network over buffer + new responses with the buffer
as context; `predict_proba` runs the same chunks over whole sequences; both agree to float
rounding.

State arrays (first axis = student): `item` (n, 2W) int32, `skills` (n, 2W, K) int32,
`correct` (n, 2W) int8, `length` (n,) buffer fill, `seen` (n,) responses absorbed in all.

`predict_skill_proba(state)` per skill = P(correct) on that skill's typical item, predicted as
the next response: a query for the skill with the item left unknown (AKT's item difficulty offset
0, the Rasch mean), after the buffer; `mastery` is the latent BKT traced beside the network
(`DeepTracer`).
"""

from __future__ import annotations

import numpy as np
import torch

from adaptive.data.log import Response, ResponseLog
from adaptive.tracing.base import TracingState
from adaptive.tracing.deep.sequences import Chunks, Encoded, iter_batches, plan_chunks
from adaptive.tracing.deep.tracer import DeepTracer


def concat_blocks(first: Encoded, second: Encoded) -> tuple[Encoded, np.ndarray]:
    """Block i of `first` followed by block i of `second`, for every i; also returns the row
    index of each row of `second` in the result."""
    n1, n2 = first.lengths, second.lengths
    offsets = np.concatenate([[0], np.cumsum(n1 + n2)]).astype(np.int64)
    src1 = np.repeat(offsets[:-1] - first.offsets[:-1], n1) + np.arange(len(first))
    src2 = np.repeat(offsets[:-1] + n1 - second.offsets[:-1], n2) + np.arange(len(second))
    total = int(offsets[-1])
    width = max(first.skills.shape[1], second.skills.shape[1])
    item = np.zeros(total, np.int64)
    skills = np.zeros((total, width), np.int64)
    correct = np.zeros(total, np.int64)
    for src, part in ((src1, first), (src2, second)):
        item[src] = part.item
        skills[src, : part.skills.shape[1]] = part.skills
        correct[src] = part.correct
    return Encoded(item, skills, correct, offsets), src2


class WindowedAttentionTracer(DeepTracer):
    """Shared prediction and online state of SAKT and AKT."""

    prediction_batch: int = 256
    # about 4 * 16 MB per (batch, head, length, length) float32 tensor with 4 heads
    max_attention_cells: int | None = 4_000_000

    def _predict_chunks(self, enc: Encoded, chunks: Chunks) -> np.ndarray:
        p = np.zeros(len(enc), dtype=np.float64)
        with torch.no_grad():
            for _, batch in iter_batches(
                enc, chunks, self.prediction_batch, max_cells=self.max_attention_cells
            ):
                batch = batch.to(self.torch_device)
                logits = self.net_(batch)
                p[batch.rows] = torch.sigmoid(logits).double().cpu().numpy()
        return p

    def _predict_encoded(self, enc: Encoded) -> np.ndarray:
        return self._predict_chunks(enc, plan_chunks(enc.offsets, self.window))

    # -- online state ----------------------------------------------------------------------------
    def _initial_row(self) -> dict[str, np.ndarray]:
        cap = 2 * self.window
        return {
            "item": np.zeros(cap, np.int32),
            "skills": np.zeros((cap, self.max_skills_), np.int32),
            "correct": np.zeros(cap, np.int8),
            "length": np.zeros((), np.int64),
            "seen": np.zeros((), np.int64),
        }

    def _buffers(self, state: TracingState, rows: np.ndarray) -> Encoded:
        """The buffered interactions of the given state rows as encoded blocks."""
        length = state.arrays["length"][rows].astype(np.int64)
        offsets = np.concatenate([[0], np.cumsum(length)]).astype(np.int64)
        student = np.repeat(rows, length)
        slot = np.arange(offsets[-1]) - np.repeat(offsets[:-1], length)
        return Encoded(
            item=state.arrays["item"][student, slot].astype(np.int64),
            skills=state.arrays["skills"][student, slot].astype(np.int64),
            correct=state.arrays["correct"][student, slot].astype(np.int64),
            offsets=offsets,
        )

    def _update(
        self, state: TracingState, responses: ResponseLog | Response, rows: np.ndarray
    ) -> np.ndarray:
        new = self._responses(responses)
        buffered = self._buffers(state, rows)
        joined, new_rows = concat_blocks(buffered, new)
        seen = state.arrays["seen"][rows].astype(np.int64)
        length = buffered.lengths
        chunks = plan_chunks(
            joined.offsets, self.window, history=seen - length, first_target=length
        )
        p = self._predict_chunks(joined, chunks)[new_rows]
        self._keep_recent(state, rows, joined, seen - length)
        return p

    def _keep_recent(
        self, state: TracingState, rows: np.ndarray, joined: Encoded, history: np.ndarray
    ) -> None:
        """Store, per student, the joined interactions from the start of the previous window."""
        total = joined.lengths
        seen = history + total
        keep_from = np.maximum(0, (seen // self.window - 1) * self.window) - history
        keep = total - keep_from
        cap = 2 * self.window
        slot = np.arange(cap)
        valid = slot[None, :] < keep[:, None]
        src = np.where(valid, joined.offsets[:-1, None] + keep_from[:, None] + slot[None, :], 0)
        k = state.arrays["skills"].shape[2]
        state.arrays["item"][rows] = np.where(valid, joined.item[src], 0)
        state.arrays["skills"][rows] = np.where(valid[..., None], joined.skills[src][..., :k], 0)
        state.arrays["correct"][rows] = np.where(valid, joined.correct[src], 0)
        state.arrays["length"][rows] = keep
        state.arrays["seen"][rows] = seen

    def _skill_proba(self, state: TracingState, rows: np.ndarray) -> np.ndarray:
        n_students, n_skills = len(rows), self.n_skills_
        out = np.zeros((n_students, n_skills), dtype=np.float64)
        if n_students == 0:
            return out
        buffered = self._buffers(state, np.repeat(rows, n_skills))
        queries = Encoded(
            item=np.zeros(n_students * n_skills, np.int64),
            skills=np.tile(np.arange(1, n_skills + 1), n_students)[:, None].astype(np.int64),
            correct=np.zeros(n_students * n_skills, np.int64),
            offsets=np.arange(n_students * n_skills + 1, dtype=np.int64),
        )
        joined, query_rows = concat_blocks(buffered, queries)
        chunks = Chunks(start=joined.offsets[:-1], target=query_rows, end=joined.offsets[1:])
        return self._predict_chunks(joined, chunks)[query_rows].reshape(n_students, n_skills)
