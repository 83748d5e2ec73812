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

from __future__ import annotations

import importlib
from typing import Any

#: The models, importable from here (`from adaptive.tracing.deep import DKT`); each is loaded,
#: with torch, when first asked for.
_MODELS = {"DKT": "dkt", "SAKT": "sakt", "AKT": "akt"}
__all__ = list(_MODELS)


def __getattr__(name: str) -> Any:
    """`DKT`, `SAKT`, `AKT` from their modules, importing torch only then."""
    if name in _MODELS:
        return getattr(importlib.import_module(f"{__name__}.{_MODELS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
