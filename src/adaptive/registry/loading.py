"""Loading registered models back for in-process use.

    model = adaptive.load_champion("demo-district")   # the KnowledgeTracer behind @champion
    state = model.init_state(["s1"]); model.update(state, responses); model.mastery(state)

The registered artifact is an MLflow pyfunc (models-from-code) whose `tracer` artifact holds our
checksummed `model.json` + `arrays.npz` (+ `weights.safetensors` for deep models); here we read
that folder directly with `KnowledgeTracer.load`, so nothing is executed or unpickled. A damaged or
altered artifact is an `ArtifactError` naming the registered model and version (not the temporary
folder it was downloaded to); an unreachable server is a `TrackingServerError`, never reported as
a missing version or alias.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException

from adaptive.errors import ArtifactError
from adaptive.registry.pyfunc_model import TRACER_ARTIFACT
from adaptive.registry.store import CHAMPION_ALIAS, is_not_found, tracking
from adaptive.tracing.base import KnowledgeTracer


@dataclass(frozen=True)
class LoadedModel:
    """A registered model version loaded for use: the tracer and where it came from."""

    name: str
    version: str
    model: KnowledgeTracer
    spec: str | None
    run_id: str | None


def load_version(
    name: str,
    version: str | None = None,
    *,
    alias: str | None = None,
    tracking_uri: str | None = None,
) -> LoadedModel:
    """Load version `version` (or the one behind `alias`) of registered model `name`."""
    with tracking(tracking_uri) as client:
        try:
            if alias is not None:
                mv = client.get_model_version_by_alias(name, alias)
            elif version is not None:
                mv = client.get_model_version(name, str(version))
            else:
                raise ValueError("give a version or an alias")
        except MlflowException as exc:
            if not is_not_found(exc):
                raise  # a network failure: `tracking` reports it as such
            which = f"alias @{alias}" if alias else f"version {version}"
            raise ArtifactError(
                f"registered model {name!r} has no {which} in {mlflow.get_tracking_uri()} "
                "(train and promote a model first, e.g. `adaptive demo`)"
            ) from exc
        with tempfile.TemporaryDirectory() as tmp:
            local = mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{mv.version}", dst_path=tmp
            )
            tracer_dir = Path(local) / "artifacts" / TRACER_ARTIFACT
            label = f"registered model {name!r} version {mv.version}"
            if not tracer_dir.is_dir():
                raise ArtifactError(f"{label} has no {TRACER_ARTIFACT!r} artifact")
            model = KnowledgeTracer.load(tracer_dir, label=label)
    return LoadedModel(name, str(mv.version), model, mv.tags.get("adaptive.spec"), mv.run_id)


def load_champion(name: str, tracking_uri: str | None = None) -> KnowledgeTracer:
    """The promoted (`@champion`) version of registered model `name`, ready for in-process use."""
    return load_version(name, alias=CHAMPION_ALIAS, tracking_uri=tracking_uri).model
