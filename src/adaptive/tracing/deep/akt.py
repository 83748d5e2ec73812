"""AKT (Ghosh et al. 2020): monotonic attention with Rasch-style item embeddings.

Embeddings (mean over a response's skills): question `x_t = c_s + mu_q * d_s` and interaction
`y_t = e_(s,r) + mu_q * f_(s,r)`, where `mu_q` is a scalar difficulty per item (L2-penalised by
`l2`, so an unseen item or a skill's typical item has `mu = 0`) and `d`, `f` are per-skill
variation vectors: items of one skill share parameters but their difficulty still counts.

Layers (`num_blocks` of each, monotonic attention, see `layers.CausalAttention`):
- knowledge encoder: self-attention over interactions, `j <= t` (it may see its own answer,
  but its output at t is only read by later positions);
- question encoder: self-attention over questions, `j <= t`;
- knowledge retriever: query and keys = encoded questions, values = encoded interactions, strict
  `j < t`, so response t's answer never reaches its prediction.
Output: an MLP on [retrieved knowledge, question embedding] gives the logit.
"""

from __future__ import annotations

import torch
from torch import nn

from adaptive.tracing.deep.layers import (
    CausalAttention,
    FeedForward,
    KTNetwork,
    causal_mask,
    interaction_codes,
    mean_embedding,
    zero_unknown_rows,
)
from adaptive.tracing.deep.sequences import Batch
from adaptive.tracing.deep.windowed import WindowedAttentionTracer


class AKTLayer(nn.Module):
    """Monotonic attention -> residual + layer norm (-> feed-forward when `with_ffn`)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float, with_ffn: bool):
        super().__init__()
        self.attention = CausalAttention(d_model, n_heads, dropout, shared_qk=True, monotonic=True)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d_model)
        self.ffn = FeedForward(d_model, d_ff, dropout) if with_ffn else None

    def forward(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        h = self.norm(q + self.dropout(self.attention(q, k, v, mask)))
        return self.ffn(h) if self.ffn is not None else h


class AKTNetwork(KTNetwork):
    def __init__(
        self,
        n_skills: int,
        n_items: int,
        d_model: int,
        n_heads: int,
        num_blocks: int,
        d_ff: int,
        final_size: int,
        dropout: float,
        l2: float,
    ):
        super().__init__()
        self.l2 = l2
        self.concept = nn.Embedding(n_skills + 2, d_model, padding_idx=0)
        self.concept_variation = nn.Embedding(n_skills + 2, d_model, padding_idx=0)
        self.interaction = nn.Embedding(2 * (n_skills + 2), d_model, padding_idx=0)
        self.interaction_variation = nn.Embedding(2 * (n_skills + 2), d_model, padding_idx=0)
        for table, first_unknown in (
            (self.concept, n_skills + 1),
            (self.concept_variation, n_skills + 1),
            (self.interaction, 2 * (n_skills + 1)),
            (self.interaction_variation, 2 * (n_skills + 1)),
        ):
            zero_unknown_rows(table, first_unknown)
        self.difficulty = nn.Embedding(n_items + 2, 1, padding_idx=0)
        nn.init.zeros_(self.difficulty.weight)
        self.knowledge_encoder = nn.ModuleList(
            AKTLayer(d_model, n_heads, d_ff, dropout, with_ffn=True) for _ in range(num_blocks)
        )
        self.question_encoder = nn.ModuleList(
            AKTLayer(d_model, n_heads, d_ff, dropout, with_ffn=False) for _ in range(num_blocks)
        )
        self.retriever = nn.ModuleList(
            AKTLayer(d_model, n_heads, d_ff, dropout, with_ffn=True) for _ in range(num_blocks)
        )
        self.head = nn.Sequential(
            nn.Linear(2 * d_model, final_size),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(final_size, final_size // 2),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(final_size // 2, 1),
        )

    def forward(self, batch: Batch) -> torch.Tensor:
        length = batch.item.shape[1]
        device = batch.item.device
        mu = self.difficulty(batch.item)
        pairs = interaction_codes(batch.skills, batch.correct)
        question = mean_embedding(self.concept, batch.skills) + mu * mean_embedding(
            self.concept_variation, batch.skills
        )
        y = mean_embedding(self.interaction, pairs) + mu * mean_embedding(
            self.interaction_variation, pairs
        )
        peek = causal_mask(length, strict=False, device=device)
        strict = causal_mask(length, strict=True, device=device)
        for layer in self.knowledge_encoder:
            y = layer(y, y, y, peek)
        x = question
        for encode, retrieve in zip(self.question_encoder, self.retriever, strict=True):
            x = encode(x, x, x, peek)
            x = retrieve(x, x, y, strict)
        return self.head(torch.cat([x, question], dim=-1)).squeeze(-1)[batch.target]

    def penalty(self) -> torch.Tensor:
        return self.l2 * (self.difficulty.weight**2).sum()


class AKT(WindowedAttentionTracer):
    """Attentive Knowledge Tracing. Hyperparameters as in `adaptive/specs/models/akt.toml`."""

    name = "akt"

    def __init__(
        self,
        d_model: int = 64,
        n_heads: int = 4,
        num_blocks: int = 1,
        d_ff: int = 128,
        final_size: int = 256,
        dropout: float = 0.1,
        l2: float = 1e-5,
        window: int = 200,
        max_skills: int = 4,
        batch_size: int = 64,
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

    @property
    def uses_items(self) -> bool:
        """Always: each item's difficulty scales its skill's variation vector."""
        return True

    def _network(self) -> AKTNetwork:
        return AKTNetwork(
            self.n_skills_,
            self.n_items_,
            self.d_model,
            self.n_heads,
            self.num_blocks,
            self.d_ff,
            self.final_size,
            self.dropout,
            self.l2,
        )
