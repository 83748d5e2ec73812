"""DKT (Piech et al. 2015): an LSTM over (skill, correct) interactions predicts every skill.

Input at step t: the embedding of the pair (skill, correct) of response t (mean over its skills);
the LSTM state after step t-1 gives a logit per skill through a linear layer, and the response's
P(correct) is the sigmoid of the mean of its skills' logits (a skill never seen in training reads
the mean logit over all skills).

Item-aware variant (`items=True`, as the DKT of Gervet et al. 2020): the input also adds an
embedding of the pair (item, correct), and the per-skill layer is replaced by a query-conditioned
head, logit_t = MLP([h_{t-1}, q_t]) with the query q_t = mean skill embedding of response t +
embedding of its item (what is being asked, not its answer, so causality holds). The item tables
start at zero, so training starts from the skill-only model and an item seen a handful of times
stays close to its skills' typical item (ASSIST2009 has a median of 8 responses per item); `l2`
adds a penalty on them. Items and skills never seen in training embed as zero vectors.

Windows: training runs over chunks of `window` responses, each preceded by the previous window as
burn-in (no loss, no gradient: backpropagation is truncated at the window's start), so the
network learns from states with long histories. Prediction and the online state carry the LSTM
state `(h, c)` across the whole sequence: `predict_proba` runs each student's full sequence
(packed, bucketed by length), and `update` continues from the stored `(h, c)`, so replaying
responses one by one gives the same predictions. A single `Response` takes
a numpy path (`LSTMStep`: one LSTM step and the head on cached weights; no torch dispatch), for a
low per-response latency in-process.

Online state arrays: `h`, `c` of shape (n_students, num_layers, hidden_size).
`predict_skill_proba(state)` = P(correct) on a typical item of each skill from the current state
(`mastery` is the latent BKT traced beside the network, see `tracer`): the sigmoid
of the per-skill logits, or with `items=True` the head queried with the skill's embedding and a
zero item embedding, i.e. the prediction for an item of that skill never seen in training (the
`l2` penalty pulls item embeddings towards that zero).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from adaptive.data.log import Response, ResponseLog
from adaptive.errors import ConfigError
from adaptive.tracing.base import TracingState
from adaptive.tracing.deep.layers import (
    KTNetwork,
    interaction_codes,
    mean_embedding,
    mean_over_skills,
    zero_unknown_rows,
)
from adaptive.tracing.deep.sequences import Batch, Chunks, Encoded, iter_batches
from adaptive.tracing.deep.tracer import DeepTracer

MASTERY_CHUNK = 4096  # students per block in `mastery` (bounds the item head's memory)


def embedding_table(n_ids: int, size: int) -> nn.Embedding:
    """A table for codes 0 (padding), 1..n_ids, n_ids + 1 (unknown: kept at zero)."""
    table = nn.Embedding(n_ids + 2, size, padding_idx=0)
    zero_unknown_rows(table, n_ids + 1)
    return table


def item_table(n_rows: int, size: int) -> nn.Embedding:
    """An item table that starts at zero: the network starts as the skill-only model, and an
    item moves away from its skills' typical item only as far as its own responses pull it
    (items seen a handful of times stay close to it)."""
    table = nn.Embedding(n_rows, size, padding_idx=0)
    nn.init.zeros_(table.weight)
    return table


class SkillHead(nn.Linear):
    """Per-skill logits from the state by a linear layer; a response reads the mean of its
    skills' logits. (A `Linear` itself, so the weights keep their names `out.weight`, `out.bias`.)"""

    def __init__(self, n_skills: int, hidden_size: int, dropout: float):
        super().__init__(hidden_size, n_skills)
        self.dropout = nn.Dropout(dropout)

    def skill_logits(self, h: torch.Tensor) -> torch.Tensor:
        """(..., hidden) -> (..., n_skills) logit of a typical item of each skill."""
        return self(self.dropout(h))

    def response_logits(
        self, h: torch.Tensor, skills: torch.Tensor, item: torch.Tensor
    ) -> torch.Tensor:
        """(n, hidden) states before n responses, their (n, K) skills -> (n,) logits (`item`
        is not read: the skill-only head)."""
        return mean_over_skills(self.skill_logits(h), skills)


class QueryHead(nn.Module):
    """logit = MLP([dropout(h), query]); the first layer is split into its state and query parts
    (the same map as one linear layer on the concatenation) so that `skill_logits` crosses every
    state with every skill's query without building their concatenations."""

    def __init__(self, n_skills: int, n_items: int, size: int, hidden_size: int, dropout: float):
        super().__init__()
        self.skill = embedding_table(n_skills, size)
        self.item = item_table(n_items + 2, size)
        self.dropout = nn.Dropout(dropout)
        self.from_state = nn.Linear(hidden_size, hidden_size)
        self.from_query = nn.Linear(size, hidden_size, bias=False)
        self.logit = nn.Linear(hidden_size, 1)

    def _mlp(self, state_part: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(state_part + self.from_query(query))
        return self.logit(self.dropout(hidden)).squeeze(-1)

    def skill_logits(self, h: torch.Tensor) -> torch.Tensor:
        """(n, hidden) -> (n, n_skills) logit of each skill's typical item (zero item embedding)."""
        skills = self.skill.weight[1:-1]
        return self._mlp(self.from_state(self.dropout(h)).unsqueeze(-2), skills)

    def response_logits(
        self, h: torch.Tensor, skills: torch.Tensor, item: torch.Tensor
    ) -> torch.Tensor:
        """(n, hidden) states before n responses, their (n, K) skills and (n,) items -> (n,)
        logits."""
        query = mean_embedding(self.skill, skills) + self.item(item)
        return self._mlp(self.from_state(self.dropout(h)), query)


class DKTNetwork(KTNetwork):
    def __init__(
        self,
        n_skills: int,
        n_items: int,
        embedding_size: int,
        hidden_size: int,
        num_layers: int,
        dropout: float,
        items: bool,
        l2: float,
    ):
        super().__init__()
        self.l2 = l2
        self.interaction = nn.Embedding(2 * (n_skills + 2), embedding_size, padding_idx=0)
        zero_unknown_rows(self.interaction, 2 * (n_skills + 1))
        self.item_interaction = None
        if items:
            self.item_interaction = item_table(2 * (n_items + 2), embedding_size)
        self.lstm = nn.LSTM(
            embedding_size,
            hidden_size,
            num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.out = (
            QueryHead(n_skills, n_items, embedding_size, hidden_size, dropout)
            if items
            else SkillHead(n_skills, hidden_size, dropout)
        )

    def inputs(self, batch: Batch) -> torch.Tensor:
        """(B, L, embedding) input of each interaction."""
        x = mean_embedding(self.interaction, interaction_codes(batch.skills, batch.correct))
        if self.item_interaction is not None:
            codes = interaction_codes(batch.item.unsqueeze(-1), batch.correct)
            x = x + self.item_interaction(codes.squeeze(-1))
        return x

    def run(
        self,
        batch: Batch,
        state: tuple[torch.Tensor, torch.Tensor] | None = None,
        final_state: bool = True,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Logits of the batch's target positions (in `batch.rows` order) and the state after
        each block.

        The batch's context positions (a training chunk's burn-in) only move the state, without
        gradient: backpropagation is truncated at the window's start, and the head runs on the
        target positions only. Blocks of unequal length are packed only when `final_state` is
        asked for (prediction, online state): on CPU, torch's backward through a packed LSTM is
        about 50x slower than through a padded one, and padding after a block's end cannot
        change its earlier outputs (the LSTM is causal), so training runs padded; the state it
        returns is then meaningless.
        """
        x = self.inputs(batch)
        b, length, _ = x.shape
        if state is None:
            zeros = x.new_zeros(self.lstm.num_layers, b, self.lstm.hidden_size)
            state = (zeros, zeros)
        if batch.context:
            with torch.no_grad():
                _, state = self.lstm(x[:, : batch.context], state)
            x = x[:, batch.context :]
            length -= batch.context
        lengths = batch.lengths - batch.context
        if not final_state or bool((lengths == length).all()):
            out, (h, c) = self.lstm(x, state)
        else:
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, (h, c) = self.lstm(packed, state)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=length)
        before = torch.cat([state[0][-1].unsqueeze(1), out[:, :-1]], dim=1)
        target = batch.query_target
        skills = batch.skills[:, batch.context :][target]
        item = batch.item[:, batch.context :][target]
        return self.out.response_logits(before[target], skills, item), (h, c)

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.run(batch, final_state=False)[0]

    def penalty(self) -> torch.Tensor:
        if self.item_interaction is None or not self.l2:
            return super().penalty()
        item_weights = (self.out.item.weight**2).sum() + (self.item_interaction.weight**2).sum()
        return self.l2 * item_weights


class LSTMStep:
    """One step of a fitted `DKTNetwork` for one response, in numpy float32 like the network
    (eval mode: no dropout): the network's own computation without torch's per-call overhead.
    Built from the network's weights; `net` is kept so that a new network (fit, load) is
    noticed."""

    def __init__(self, net: DKTNetwork):
        self.net = net
        w = {k: v.detach().cpu().float().numpy() for k, v in net.state_dict().items()}
        self.interaction = w["interaction.weight"]
        self.item_interaction = w.get("item_interaction.weight")
        # torch's gate order: input, forget, cell (g), output; both biases add up
        self.layers = [
            (
                w[f"lstm.weight_ih_l{k}"],
                w[f"lstm.weight_hh_l{k}"],
                w[f"lstm.bias_ih_l{k}"] + w[f"lstm.bias_hh_l{k}"],
            )
            for k in range(net.lstm.num_layers)
        ]
        if self.item_interaction is None:
            # rows: padding (unused), one per skill, then the unknown skill = mean over skills
            out_w, out_b = w["out.weight"], w["out.bias"]
            self.skill_w = np.vstack([out_w[:1] * 0, out_w, out_w.mean(0, keepdims=True)])
            self.skill_b = np.concatenate([out_b[:1] * 0, out_b, [out_b.mean()]])
        else:
            self.skill, self.item = w["out.skill.weight"], w["out.item.weight"]
            self.from_state = (w["out.from_state.weight"], w["out.from_state.bias"])
            self.from_query = w["out.from_query.weight"]
            self.logit = (w["out.logit.weight"][0], float(w["out.logit.bias"][0]))

    def __call__(
        self, item: int, skills: np.ndarray, correct: int, h: np.ndarray, c: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """(P(correct) from the state (h, c) before the response, h and c after it); `skills`
        are the response's nonzero skill codes; `h`, `c` of shape (num_layers, hidden)."""
        logit = self._logit(item, skills, h[-1])
        x = self.interaction[2 * skills + correct].sum(0) / len(skills)
        if self.item_interaction is not None:
            x = x + self.item_interaction[2 * item + correct]
        size = h.shape[1]
        h_new, c_new = np.empty_like(h), np.empty_like(c)
        for k, (w_ih, w_hh, bias) in enumerate(self.layers):
            gates = w_ih @ x + w_hh @ h[k] + bias
            act = sigmoid(gates)  # the cell candidate g (third quarter) takes tanh instead
            c_new[k] = act[size : 2 * size] * c[k] + act[:size] * np.tanh(
                gates[2 * size : 3 * size]
            )
            h_new[k] = x = act[3 * size :] * np.tanh(c_new[k])
        return float(sigmoid(logit)), h_new, c_new

    def _logit(self, item: int, skills: np.ndarray, h: np.ndarray) -> float:
        if self.item_interaction is None:
            return float((self.skill_w[skills] @ h + self.skill_b[skills]).sum() / len(skills))
        query = self.skill[skills].sum(0) / len(skills) + self.item[item]
        w_s, b_s = self.from_state
        hidden = np.maximum(w_s @ h + b_s + self.from_query @ query, 0.0)
        w_o, b_o = self.logit
        return float(w_o @ hidden + b_o)


@functools.cache
def lstm_runs_in_bfloat16() -> bool:
    """Whether torch can run an LSTM under CPU bfloat16 autocast here: its oneDNN kernel refuses
    CPUs without AVX512 or AMX ("could not create a primitive descriptor"). Probed once on a
    one-unit LSTM."""
    probe = nn.LSTM(1, 1, batch_first=True)
    try:
        with torch.autocast("cpu", torch.bfloat16):
            probe(torch.zeros(1, 1, 1))
    except RuntimeError:
        return False
    return True


def sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-x))


class DKT(DeepTracer):
    """Deep Knowledge Tracing (LSTM). Hyperparameters as in `adaptive/specs/models/dkt.toml`; `items=True`
    for the item-aware variant of `adaptive/specs/models/dkt-items.toml`."""

    name = "dkt"

    def __init__(
        self,
        embedding_size: int = 64,
        hidden_size: int = 100,
        num_layers: int = 1,
        dropout: float = 0.2,
        items: bool = False,
        l2: float = 0.0,
        window: int = 200,
        max_skills: int = 4,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        lr_decay: float = 1.0,
        max_epochs: int = 50,
        patience: int = 5,
        validation_fraction: float = 0.1,
        seed: int = 0,
        device: str = "cpu",
        precision: str = "auto",
        progress: bool = True,
    ):
        self._accept_params(locals())

    def _check_machine(self) -> None:
        super()._check_machine()
        on_cpu = self.torch_device.type == "cpu"
        if on_cpu and self.precision == "bfloat16" and not lstm_runs_in_bfloat16():
            raise ConfigError(
                "precision='bfloat16': this CPU cannot run the LSTM in bfloat16 (torch's "
                "oneDNN kernel needs AVX512 or AMX); use precision='auto' or 'float32'"
            )

    def _network(self) -> DKTNetwork:
        return DKTNetwork(
            self.n_skills_,
            self.n_items_,
            self.embedding_size,
            self.hidden_size,
            self.num_layers,
            self.dropout,
            bool(self.items),
            self.l2,
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
                p[batch.rows] = torch.sigmoid(logits).double().cpu().numpy()
                h_out[which] = h.transpose(0, 1).cpu().numpy()
                c_out[which] = c.transpose(0, 1).cpu().numpy()
        return p, h_out, c_out

    def _step_one(
        self, enc: Encoded, h: np.ndarray, c: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`_run_blocks` for one response of one student from its state `h`, `c` (num_layers,
        hidden), on the numpy `LSTMStep` (the in-process per-response path); the step's weights
        are rebuilt when `net_` is a new network (after fit or load)."""
        step = getattr(self, "_step", None)
        if step is None or step.net is not self.net_:
            step = self._step = LSTMStep(self.net_)
        skills = enc.skills[0]
        p, h, c = step(int(enc.item[0]), skills[skills > 0], int(enc.correct[0]), h, c)
        return np.array([p]), h, c

    def _predict_encoded(self, enc: Encoded) -> np.ndarray:
        return self._run_blocks(enc, None)[0]

    def _initial_row(self) -> dict[str, np.ndarray]:
        blank = np.zeros((self.num_layers, self.hidden_size), np.float32)
        return {"h": blank, "c": blank}

    def _update(
        self, state: TracingState, responses: ResponseLog | Response, rows: np.ndarray
    ) -> np.ndarray:
        enc = self._responses(responses)
        h, c = state.arrays["h"], state.arrays["c"]
        if len(enc) == 1:
            p, h[rows[0]], c[rows[0]] = self._step_one(enc, h[rows[0]], c[rows[0]])
        else:
            p, h[rows], c[rows] = self._run_blocks(enc, np.stack([h[rows], c[rows]]))
        return p

    def _skill_proba(self, state: TracingState, rows: np.ndarray) -> np.ndarray:
        """P(correct) of each skill from the last layer's state (the skill head)."""
        h = state.arrays["h"][rows, -1]
        out = np.empty((len(h), self.n_skills_), dtype=np.float64)
        with torch.no_grad():
            for start in range(0, len(h), MASTERY_CHUNK):
                block = torch.from_numpy(h[start : start + MASTERY_CHUNK]).to(self.torch_device)
                logits = self.net_.out.skill_logits(block)
                out[start : start + MASTERY_CHUNK] = torch.sigmoid(logits).double().cpu().numpy()
        return out
