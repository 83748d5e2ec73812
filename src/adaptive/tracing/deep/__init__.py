"""Deep knowledge tracing in torch, behind the `KnowledgeTracer` interface.

- `dkt.DKT` (LSTM), `sakt.SAKT` (self-attention), `akt.AKT` (monotonic attention, Rasch items);
  registered as `dkt`, `sakt`, `akt` in `adaptive.tracing.specs` (specs in `adaptive/specs/models/*.toml`).
- `sequences`: logs as padded code tensors, windows of `window` responses, length buckets.
- `layers`: the multi-skill rule (mean of skill embeddings in, mean of skill logits out) and
  causal attention.
- `tracer`: fitting with early stopping on held-out students, weights in the checksummed npz.
- `windowed`: attention models' bounded online state (the recent interactions).

Importing this package does not import torch; the model modules do.
"""
