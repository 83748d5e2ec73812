"""adaptive: knowledge tracing and personalized learning paths at district scale."""

from __future__ import annotations

__version__ = "0.1.0"


def __getattr__(name: str):
    """Lazy top-level API (keeps `import adaptive` light: MLflow loads only when used)."""
    if name == "load_champion":
        from adaptive.registry.loading import load_champion

        return load_champion
    raise AttributeError(f"module 'adaptive' has no attribute {name!r}")
