"""Where MLflow keeps runs and registered models for `adaptive`.

Default: an embedded SQLite store under the project's data folder (`data/mlflow/mlflow.db`,
artifacts in `data/mlflow/artifacts/`), so no server is needed. `--tracking-uri` on the CLI, the
`tracking_uri=` argument of the library functions, or the `MLFLOW_TRACKING_URI` environment
variable point at a real MLflow server (or another store) instead. `ADAPTIVE_DATA_DIR` moves the
data folder.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow
from mlflow import MlflowClient

PROJECT_ROOT = Path(__file__).resolve().parents[3]
CHAMPION_ALIAS = "champion"


def data_dir() -> Path:
    """The project's data folder (gitignored): `$ADAPTIVE_DATA_DIR` or `<project>/data`."""
    return Path(os.environ.get("ADAPTIVE_DATA_DIR", PROJECT_ROOT / "data"))


def default_tracking_uri() -> str:
    """The embedded SQLite store under the data folder."""
    return f"sqlite:///{(data_dir() / 'mlflow' / 'mlflow.db').resolve()}"


def resolve_tracking_uri(tracking_uri: str | None = None) -> str:
    """The explicit URI, else `$MLFLOW_TRACKING_URI`, else the embedded SQLite store."""
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return uri


def local_artifact_root(tracking_uri: str) -> str | None:
    """For a SQLite store: a file URI beside the database (MLflow would use `./mlruns` of the
    current directory otherwise). For a server: None, the server decides."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    db = Path(tracking_uri.removeprefix("sqlite:///"))
    root = db.parent / "artifacts"
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve().as_uri()


@contextmanager
def tracking(tracking_uri: str | None = None) -> Iterator[MlflowClient]:
    """Point MLflow's fluent API at the store for the duration of a block; restores it after."""
    uri = resolve_tracking_uri(tracking_uri)
    env = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    previous = mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield MlflowClient(tracking_uri=uri, registry_uri=uri)
    finally:
        mlflow.set_tracking_uri(previous)
        mlflow.set_registry_uri(None)
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def experiment_id(client: MlflowClient, name: str) -> str:
    """The id of experiment `name`, created (with a local artifact root if needed) when absent."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    root = local_artifact_root(client.tracking_uri)
    if root is None:
        return client.create_experiment(name)
    return client.create_experiment(name, artifact_location=f"{root}/{name}")


@contextmanager
def quiet_mlflow() -> Iterator[None]:
    """Silence MLflow's advisory warnings (signature, input example) for a block."""
    logger = logging.getLogger("mlflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        logger.setLevel(level)
