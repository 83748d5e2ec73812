"""Building blocks shared by the deep models: multi-skill embeddings, causal attention.

Multi-skill rule (all deep models): a response tagged with several skills is embedded as the
*mean* of its skills' embeddings (padding slots, code 0, excluded); a per-skill output is
turned into the response's logit as the *mean over its skills* of the per-skill logits.
"""

from __future__ import annotations

import math

import torch
from torch import nn

NEG = -1e9  # finite "minus infinity": a fully masked row stays finite, then gets zeroed


class KTNetwork(nn.Module):
    """A network whose `forward(batch)` gives the logit of each target position of the batch
    (in `batch.rows` order); `penalty()` is added to the mean training loss (0 unless the model
    regularises something)."""

    def penalty(self) -> torch.Tensor:
        return torch.zeros((), device=next(self.parameters()).device)


def interaction_codes(skills: torch.Tensor, correct: torch.Tensor) -> torch.Tensor:
    """(skill, correct) pair codes: `2 * skill + correct`; padding slots stay 0."""
    return torch.where(skills > 0, 2 * skills + correct.unsqueeze(-1), torch.zeros_like(skills))


def mean_embedding(table: nn.Embedding, codes: torch.Tensor) -> torch.Tensor:
    """(..., K) codes -> (..., d): mean of the embeddings of the non-padding codes (zero when
    all are padding). One `embedding_bag` call: no (..., K, d) intermediate, a fast backward."""
    flat = codes.reshape(-1, codes.shape[-1])
    mean = nn.functional.embedding_bag(flat, table.weight, mode="mean", padding_idx=0)
    return mean.view(*codes.shape[:-1], table.embedding_dim)


def mean_over_skills(per_skill: torch.Tensor, skills: torch.Tensor) -> torch.Tensor:
    """(..., S) logits per fitted skill, (..., K) skill codes -> (...) logit of each response
    (mean over its skills).

    Code `S + 1` (a skill the model never saw) reads the mean logit over all skills.
    """
    pad = torch.zeros_like(per_skill[..., :1])
    extended = torch.cat([pad, per_skill, per_skill.mean(-1, keepdim=True)], dim=-1)
    picked = extended.gather(-1, skills)
    present = (skills > 0).to(per_skill.dtype)
    return (picked * present).sum(-1) / present.sum(-1).clamp(min=1.0)


def zero_unknown_rows(table: nn.Embedding, first_unknown: int) -> None:
    """Rows from `first_unknown` on are for ids never seen in training: keep them at zero
    (they get no gradient, so they stay zero)."""
    with torch.no_grad():
        table.weight[first_unknown:] = 0.0


def causal_mask(length: int, strict: bool, device: torch.device) -> torch.Tensor:
    """(L, L) bool: query t may attend key j iff j < t (strict) or j <= t."""
    pos = torch.arange(length, device=device)
    return pos[None, :] < pos[:, None] if strict else pos[None, :] <= pos[:, None]


class CausalAttention(nn.Module):
    """Multi-head attention under a causal mask; rows with no visible key output zero.

    With `monotonic=True` it is AKT's monotonic attention: each head's scores are multiplied by
    `exp(-theta * d(t, j))`, where the context-aware distance `d` is `|t - j|` weighted by the
    attention mass that lies between key j and the query (computed without gradient), so that
    older interactions count less, at a learned rate `theta > 0` per head.
    """

    def __init__(
        self, d_model: int, n_heads: int, dropout: float, *, shared_qk: bool, monotonic: bool
    ):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not a multiple of n_heads={n_heads}")
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.query = nn.Linear(d_model, d_model)
        self.key = self.query if shared_qk else nn.Linear(d_model, d_model)
        self.value = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)
        self.monotonic = monotonic
        if monotonic:
            self.decay = nn.Parameter(torch.zeros(n_heads, 1, 1))
            nn.init.xavier_uniform_(self.decay)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.n_heads, self.d_head).transpose(1, 2)

    def forward(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        b, n, d = q.shape
        qh, kh, vh = (
            self._heads(self.query(q)),
            self._heads(self.key(k)),
            self._heads(self.value(v)),
        )
        scores = qh @ kh.transpose(-1, -2) / math.sqrt(self.d_head)
        if self.monotonic:
            scores = scores * self._decay_factor(scores, mask)
        weights = torch.softmax(scores.masked_fill(~mask, NEG), dim=-1)
        weights = weights * mask.any(-1, keepdim=True).to(weights.dtype)
        context = self.dropout(weights) @ vh
        return self.out(context.transpose(1, 2).reshape(b, n, d))

    def _decay_factor(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n = scores.shape[-1]
        with torch.no_grad():
            p = torch.softmax(scores.masked_fill(~mask, NEG), dim=-1) * mask.to(scores.dtype)
            # mass on the keys after j (up to t): an exclusive cumulative sum from the right,
            # summed from the last key so that padding (exact zeros) never changes the rounding
            from_right = p.flip(-1).cumsum(-1).flip(-1)
            after = torch.cat([from_right[..., 1:], torch.zeros_like(from_right[..., :1])], dim=-1)
            pos = torch.arange(n, device=scores.device, dtype=scores.dtype)
            gap = (pos[:, None] - pos[None, :]).abs()
            distance = (after * gap).clamp(min=0.0).sqrt()
        theta = nn.functional.softplus(self.decay)
        return torch.exp(-theta * distance).clamp(1e-5, 1e5)


class FeedForward(nn.Module):
    """Position-wise two-layer perceptron with a residual connection and layer norm."""

    def __init__(self, d_model: int, d_ff: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_model, d_ff), nn.ReLU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model)
        )
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x + self.dropout(self.net(x)))
