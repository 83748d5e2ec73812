"""SAKT (Pandey & Karypis 2019): self-attention of the next exercise over past interactions.

At position t the query is the embedding of response t's exercise; keys and values are the
embeddings of the interactions (exercise, correct) at positions before t, plus a learned position
embedding (position within the chunk, see `windowed`). One attention block is SAKT's:
attention -> residual + layer norm -> feed-forward -> residual + layer norm; further blocks
(`num_blocks > 1`) refine the query against the same interactions. A linear layer gives the logit.
The causal mask is strict (`j < t`), so response t's own answer never reaches its prediction.

Exercises. The exercise embedding is the mean of the response's skill embeddings and the
interaction embedding the mean of its (skill, correct) embeddings. With `items = true` (Gervet et
al. 2020's item-input SAKT) an item embedding is added to the first and an (item, correct)
embedding to the second, so that items of one skill may differ in difficulty and in what an answer
to them tells. Item embeddings start at zero and are L2-penalised (`l2`), so an item is its
skill's typical item until the data say otherwise; an item never seen in training (and the
padding) has the zero vector. With `items = false` (the default, and pyKT's set-up, where items
are skills) the network has no item tables at all.

`predict_skill_proba(state)` per skill is P(correct) on the skill's typical item: the query is
the skill's embedding with a zero item embedding (see `windowed`); `mastery` is the latent BKT
traced beside the network (see `tracer`).
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


class ItemEmbeddings(nn.Module):
    """Per-item offsets of the exercise and interaction embeddings, zero at the start and for
    padding and unseen items (codes 0 and `n_items + 1`)."""

    def __init__(self, n_items: int, d_model: int):
        super().__init__()
        self.exercise = nn.Embedding(n_items + 2, d_model, padding_idx=0)
        self.interaction = nn.Embedding(2 * (n_items + 2), d_model, padding_idx=0)
        nn.init.zeros_(self.exercise.weight)
        nn.init.zeros_(self.interaction.weight)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(exercise, interaction) offsets, each (B, L, d)."""
        pairs = interaction_codes(batch.item.unsqueeze(-1), batch.correct).squeeze(-1)
        return self.exercise(batch.item), self.interaction(pairs)

    def squared_norm(self) -> torch.Tensor:
        return (self.exercise.weight**2).sum() + (self.interaction.weight**2).sum()


class SAKTNetwork(KTNetwork):
    def __init__(
        self,
        n_skills: int,
        n_items: int | None,
        d_model: int,
        n_heads: int,
        num_blocks: int,
        dropout: float,
        max_len: int,
        l2: float,
    ):
        """`n_items=None`: skills only, no item tables."""
        super().__init__()
        self.l2 = l2
        self.exercise = nn.Embedding(n_skills + 2, d_model, padding_idx=0)
        self.interaction = nn.Embedding(2 * (n_skills + 2), d_model, padding_idx=0)
        zero_unknown_rows(self.exercise, n_skills + 1)
        zero_unknown_rows(self.interaction, 2 * (n_skills + 1))
        self.items = None if n_items is None else ItemEmbeddings(n_items, d_model)
        self.position = nn.Embedding(max_len, d_model)
        self.blocks = nn.ModuleList(SAKTBlock(d_model, n_heads, dropout) for _ in range(num_blocks))
        self.out = nn.Linear(d_model, 1)

    def forward(self, batch: Batch) -> torch.Tensor:
        """Queries only after the batch's context (their outputs would be discarded); keys and
        values over the whole chunk."""
        length, context = batch.item.shape[1], batch.context
        positions = torch.arange(length, device=batch.item.device)
        query = mean_embedding(self.exercise, batch.skills[:, context:])
        memory = mean_embedding(self.interaction, interaction_codes(batch.skills, batch.correct))
        if self.items is not None:
            item_query, item_memory = self.items(batch)
            query, memory = query + item_query[:, context:], memory + item_memory
        memory = memory + self.position(positions)
        mask = causal_mask(length, strict=True, device=batch.item.device)[context:]
        for block in self.blocks:
            query = block(query, memory, mask)
        return self.out(query).squeeze(-1)[batch.query_target]

    def penalty(self) -> torch.Tensor:
        if self.items is None:
            return super().penalty()
        return self.l2 * self.items.squared_norm()


class SAKT(WindowedAttentionTracer):
    """Self-Attentive Knowledge Tracing. Hyperparameters as in `adaptive/specs/models/sakt.toml`; `items` adds
    item embeddings (`adaptive/specs/models/sakt-items.toml`), `l2` penalises them."""

    name = "sakt"

    def __init__(
        self,
        d_model: int = 64,
        n_heads: int = 4,
        num_blocks: int = 1,
        dropout: float = 0.2,
        items: bool = False,
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

    def _network(self) -> SAKTNetwork:
        return SAKTNetwork(
            self.n_skills_,
            self.n_items_ if self.items else None,
            self.d_model,
            self.n_heads,
            self.num_blocks,
            self.dropout,
            2 * self.window,
            self.l2,
        )
