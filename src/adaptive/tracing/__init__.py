"""Knowledge tracing: the models (`bkt`, `logistic`, `deep`) behind one interface
(`base.KnowledgeTracer`) and the per-student state they keep (`base.TracingState`).

Every model is importable from here (`from adaptive.tracing import BKT`), as from its module
(`adaptive.tracing.bkt`), and `build_model` with them; each module is loaded when first asked
for, so importing this package stays cheap (the deep models bring torch only then).
"""

from __future__ import annotations

import importlib
from typing import Any

from adaptive.tracing.base import KnowledgeTracer, TracingState

#: name -> the module that defines it, loaded on first use.
_LAZY = {
    "BKT": "adaptive.tracing.bkt",
    "IRT": "adaptive.tracing.logistic",
    "PFA": "adaptive.tracing.logistic",
    "BestLR": "adaptive.tracing.logistic",
    "DKT": "adaptive.tracing.deep",
    "SAKT": "adaptive.tracing.deep",
    "AKT": "adaptive.tracing.deep",
    "build_model": "adaptive.tracing.specs",
}

__all__ = ["KnowledgeTracer", "TracingState", *_LAZY]


def __getattr__(name: str) -> Any:
    """The models and `build_model`, from their modules, imported only when asked for."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
