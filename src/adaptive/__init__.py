"""adaptive: knowledge tracing and personalized learning paths at district scale."""

from __future__ import annotations

import os


def _installed_version() -> str:
    """The installed distribution's version, pyproject's `version` (the one place it is
    written: `adaptive --version`, a logged model's requirement and its runs all read it);
    "unknown" for a source tree on `sys.path` that was never installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("adaptive")
    except PackageNotFoundError:
        return "unknown"


__version__ = _installed_version()

#: MLflow 3 sends anonymous usage telemetry by default (and writes an installation id to
#: ~/.config/mlflow/telemetry.json when it is imported). A school district's tool does not phone
#: home unless asked: off here, before anything of ours imports MLflow, for the command line and
#: for an application embedding the library alike; a user's own MLFLOW_DISABLE_TELEMETRY (false
#: turns it back on) wins.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def __getattr__(name: str):
    """Lazy top-level API (keeps `import adaptive` light: MLflow loads only when used)."""
    if name == "load_champion":
        from adaptive.registry.loading import load_champion

        return load_champion
    raise AttributeError(f"module 'adaptive' has no attribute {name!r}")
