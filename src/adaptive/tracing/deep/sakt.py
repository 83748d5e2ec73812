"""SAKT (Pandey & Karypis 2019): self-attention of the next exercise over past interactions.

At position t the query is the embedding of response t's skills (mean over its skills); keys and
values are the embeddings of the (skill, correct) interactions at positions before t, plus a
learned position embedding (position within the chunk, see `windowed`). One attention block is
SAKT's: attention -> residual + layer norm -> feed-forward -> residual + layer norm; further blocks
(`num_blocks > 1`) refine the query against the same interactions. A linear layer gives the logit.
The causal mask is strict (`j < t`), so response t's own answer never reaches its prediction.
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
from adaptive.tracing.deep.tracer import store_params
from adaptive.tracing.deep.windowed import WindowedAttentionTracer


class SAKTBlock(nn.Module):
    def __init__(self, d_model: int, n_heads: int, dropout: float):
        super().__init__()
        self.attention = CausalAttention(
            d_model, n_heads, dropout, shared_qk=False, monotonic=False
        )
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d_model)
        self.ffn = FeedForward(d_model, d_model, dropout)

    def forward(
        self, query: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        h = self.norm(query + self.dropout(self.attention(query, memory, memory, mask)))
        return self.ffn(h)


class SAKTNetwork(KTNetwork):
    def __init__(
        self,
        n_skills: int,
        d_model: int,
        n_heads: int,
        num_blocks: int,
        dropout: float,
        max_len: int,
    ):
        super().__init__()
        self.exercise = nn.Embedding(n_skills + 2, d_model, padding_idx=0)
        self.interaction = nn.Embedding(2 * (n_skills + 2), d_model, padding_idx=0)
        zero_unknown_rows(self.exercise, n_skills + 1)
        zero_unknown_rows(self.interaction, 2 * (n_skills + 1))
        self.position = nn.Embedding(max_len, d_model)
        self.blocks = nn.ModuleList(SAKTBlock(d_model, n_heads, dropout) for _ in range(num_blocks))
        self.out = nn.Linear(d_model, 1)

    def forward(self, batch: Batch) -> torch.Tensor:
        length = batch.item.shape[1]
        positions = torch.arange(length, device=batch.item.device)
        query = mean_embedding(self.exercise, batch.skills)
        memory = mean_embedding(self.interaction, interaction_codes(batch.skills, batch.correct))
        memory = memory + self.position(positions)
        mask = causal_mask(length, strict=True, device=batch.item.device)
        for block in self.blocks:
            query = block(query, memory, mask)
        return self.out(query).squeeze(-1)


class SAKT(WindowedAttentionTracer):
    """Self-Attentive Knowledge Tracing. Hyperparameters as in `models/sakt.toml`."""

    name = "sakt"

    def __init__(
        self,
        d_model: int = 64,
        n_heads: int = 4,
        num_blocks: int = 1,
        dropout: float = 0.2,
        window: int = 200,
        max_skills: int = 4,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        max_epochs: int = 50,
        patience: int = 5,
        validation_fraction: float = 0.1,
        seed: int = 0,
        device: str = "cpu",
        progress: bool = True,
    ):
        store_params(self, locals())

    def _network(self) -> SAKTNetwork:
        return SAKTNetwork(
            self.n_skills_,
            self.d_model,
            self.n_heads,
            self.num_blocks,
            self.dropout,
            2 * self.window,
        )
