"""adaptive: knowledge tracing and personalized learning paths at district scale."""

from __future__ import annotations

__version__ = "0.1.0"
