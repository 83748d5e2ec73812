"""DKT (Piech et al. 2015): an LSTM over (skill, correct) interactions predicts every skill.

Input at step t: the embedding of the pair (skill, correct) of response t (mean over its skills);
the LSTM state after step t-1 gives a logit per skill through a linear layer, and the response's
P(correct) is the sigmoid of the mean of its skills' logits (a skill never seen in training reads
the mean logit over all skills).

Windows: training runs over chunks of `window` responses, each preceded by the previous window as
burn-in (no loss), so the network learns from states with long histories. Prediction and the
online state carry the LSTM state `(h, c)` across the whole sequence: `predict_proba` runs each
student's full sequence (packed, bucketed by length), and `update` continues from the stored
`(h, c)`, so replaying responses one by one gives the same predictions.

Online state arrays: `h`, `c` of shape (n_students, num_layers, hidden_size).
`mastery(state)` = sigmoid of the per-skill logits from the current state: P(correct) on a
typical item of each skill (DKT has no item parameters).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from adaptive.data.log import Response, ResponseLog
from adaptive.tracing.base import TracingState
from adaptive.tracing.deep.layers import (
    KTNetwork,
    interaction_codes,
    mean_embedding,
    mean_over_skills,
    zero_unknown_rows,
)
from adaptive.tracing.deep.sequences import Batch, Chunks, Encoded, iter_batches
from adaptive.tracing.deep.tracer import DeepTracer, store_params


class DKTNetwork(KTNetwork):
    def __init__(
        self, n_skills: int, embedding_size: int, hidden_size: int, num_layers: int, dropout: float
    ):
        super().__init__()
        self.interaction = nn.Embedding(2 * (n_skills + 2), embedding_size, padding_idx=0)
        zero_unknown_rows(self.interaction, 2 * (n_skills + 1))
        self.lstm = nn.LSTM(
            embedding_size,
            hidden_size,
            num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size, n_skills)

    def skill_logits(self, h: torch.Tensor) -> torch.Tensor:
        """(..., hidden) -> (..., n_skills) logit of a typical item of each skill."""
        return self.out(self.dropout(h))

    def run(
        self, batch: Batch, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Logit of every position from the state before it, and the state after each block."""
        x = mean_embedding(self.interaction, interaction_codes(batch.skills, batch.correct))
        b, length, _ = x.shape
        if state is None:
            zeros = x.new_zeros(self.lstm.num_layers, b, self.lstm.hidden_size)
            state = (zeros, zeros)
        if bool((batch.lengths == length).all()):
            out, (h, c) = self.lstm(x, state)
        else:
            packed = pack_padded_sequence(x, batch.lengths, batch_first=True, enforce_sorted=False)
            out, (h, c) = self.lstm(packed, state)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=length)
        before = torch.cat([state[0][-1].unsqueeze(1), out[:, :-1]], dim=1)
        return mean_over_skills(self.skill_logits(before), batch.skills), (h, c)

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.run(batch)[0]


class DKT(DeepTracer):
    """Deep Knowledge Tracing (LSTM). Hyperparameters as in `models/dkt.toml`."""

    name = "dkt"

    def __init__(
        self,
        embedding_size: int = 64,
        hidden_size: int = 100,
        num_layers: int = 1,
        dropout: float = 0.2,
        window: int = 200,
        max_skills: int = 4,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        max_epochs: int = 50,
        patience: int = 5,
        validation_fraction: float = 0.1,
        seed: int = 0,
        device: str = "cpu",
        progress: bool = True,
    ):
        store_params(self, locals())

    def _network(self) -> DKTNetwork:
        return DKTNetwork(
            self.n_skills_, self.embedding_size, self.hidden_size, self.num_layers, self.dropout
        )

    # -- batch and online prediction share one routine --------------------------------------------
    def _run_blocks(
        self, enc: Encoded, h0: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Run every student block of `enc` from its initial state (zeros, or `h0` = (2, n, layers,
        hidden) stacked h and c); returns (P(correct) per row, final h, final c)."""
        n_blocks = len(enc.offsets) - 1
        layers, hidden = self.num_layers, self.hidden_size
        p = np.zeros(len(enc), dtype=np.float64)
        h_out = np.zeros((n_blocks, layers, hidden), dtype=np.float32)
        c_out = np.zeros((n_blocks, layers, hidden), dtype=np.float32)
        whole = Chunks(start=enc.offsets[:-1], target=enc.offsets[:-1], end=enc.offsets[1:])
        device = self.torch_device
        with torch.no_grad():
            for which, batch in iter_batches(enc, whole, self.batch_size):
                batch = batch.to(device)
                state = None
                if h0 is not None:
                    state = tuple(
                        torch.from_numpy(np.ascontiguousarray(h0[i, which].transpose(1, 0, 2))).to(
                            device
                        )
                        for i in (0, 1)
                    )
                logits, (h, c) = self.net_.run(batch, state)
                p[batch.rows] = torch.sigmoid(logits[batch.target]).double().cpu().numpy()
                h_out[which] = h.transpose(0, 1).cpu().numpy()
                c_out[which] = c.transpose(0, 1).cpu().numpy()
        return p, h_out, c_out

    def _step_one(self, enc: Encoded, h0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`_run_blocks` for one response of one student, without the batching machinery (the
        in-process per-response path)."""
        batch = Batch(
            item=torch.from_numpy(enc.item[None]),
            skills=torch.from_numpy(enc.skills[None]),
            correct=torch.from_numpy(enc.correct[None]),
            lengths=torch.ones(1, dtype=torch.int64),
            target=torch.ones(1, 1, dtype=torch.bool),
            rows=np.zeros(1, dtype=np.int64),
        ).to(self.torch_device)
        state = tuple(
            torch.from_numpy(h0[i].transpose(1, 0, 2).copy()).to(self.torch_device) for i in (0, 1)
        )
        with torch.no_grad():
            logits, (h, c) = self.net_.run(batch, state)
            p = torch.sigmoid(logits[0]).double().cpu().numpy()
        return p, h.transpose(0, 1).cpu().numpy(), c.transpose(0, 1).cpu().numpy()

    def _predict_encoded(self, enc: Encoded) -> np.ndarray:
        return self._run_blocks(enc, None)[0]

    def init_state(self, student_ids: Iterable[str] = ()) -> TracingState:
        self._check_fitted()
        ids = [str(s) for s in student_ids]
        shape = (len(ids), self.num_layers, self.hidden_size)
        return TracingState(
            ids, {"h": np.zeros(shape, np.float32), "c": np.zeros(shape, np.float32)}
        )

    def update(self, state: TracingState, responses: ResponseLog | Response) -> np.ndarray:
        self._check_fitted()
        ids, enc = self._responses(responses)
        blank = np.zeros((self.num_layers, self.hidden_size), np.float32)
        rows = self._state_rows(state, ids, {"h": blank, "c": blank})
        h0 = np.stack([state.arrays["h"][rows], state.arrays["c"][rows]])
        if len(enc) == 1:
            p, h, c = self._step_one(enc, h0)
        else:
            p, h, c = self._run_blocks(enc, h0)
        state.arrays["h"][rows] = h
        state.arrays["c"][rows] = c
        return p

    def mastery(self, state: TracingState) -> np.ndarray:
        self._check_fitted()
        with torch.no_grad():
            h = torch.from_numpy(state.arrays["h"][:, -1]).to(self.torch_device)
            return torch.sigmoid(self.net_.skill_logits(h)).double().cpu().numpy()
