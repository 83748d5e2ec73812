"""Fixtures for the lifecycle tests: a small synthetic log, a tmp SQLite store, a real server."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adaptive.data.log import ResponseLog
from adaptive.registry.local_server import running_mlflow_server

STUDENT_PREFIX = "pupil-zq"  # distinctive, so a leak into MLflow is easy to find


def synthetic_log(
    n_students: int = 160, n_per_student: int = 24, seed: int = 0, shuffle_labels: bool = False
) -> ResponseLog:
    """Students with an ability, 6 skills of different difficulty, responses over 10 days."""
    rng = np.random.default_rng(seed)
    student = np.repeat(np.arange(n_students), n_per_student)
    ability = rng.normal(0.0, 1.2, n_students)[student]
    skill = rng.integers(0, 6, len(student))
    item = skill * 4 + rng.integers(0, 4, len(student))
    difficulty = np.linspace(-1.5, 1.5, 24)[item]
    practice = np.concatenate([np.arange(n_per_student)] * n_students)
    p = 1 / (1 + np.exp(-(ability - difficulty + 0.08 * practice)))
    correct = (rng.random(len(student)) < p).astype(int)
    if shuffle_labels:
        correct = rng.permutation(correct)
    t0 = pd.Timestamp("2026-09-01", tz="UTC")
    when = t0 + pd.to_timedelta(
        practice * 10 * 3600 + rng.integers(0, 3000, len(student)), unit="s"
    )
    return ResponseLog.from_frame(
        pd.DataFrame(
            {
                "student_id": [f"{STUDENT_PREFIX}{s:05d}" for s in student],
                "item_id": [f"item-{i}" for i in item],
                "skill_ids": [f"skill-{k}" for k in skill],
                "correct": correct,
                "timestamp": when,
            }
        )
    )


@pytest.fixture(scope="session")
def small_log() -> ResponseLog:
    return synthetic_log()


@pytest.fixture(scope="session")
def make_log():
    """The synthetic log factory (e.g. `make_log(shuffle_labels=True)` for a useless model)."""
    return synthetic_log


@pytest.fixture(scope="session")
def student_prefix() -> str:
    return STUDENT_PREFIX


@pytest.fixture
def sqlite_uri(tmp_path: Path, mlflow_schema) -> str:
    """A new, empty SQLite tracking store of this test's own (its schema written beforehand by
    `mlflow_schema`, also for the tests that open it first in another process)."""
    mlflow_schema.write(tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory, mlflow_schema):
    """A real `mlflow server` shared by the session's tests (`adaptive.registry.local_server`;
    one that does not start is the test's error, quoting its log); yields its URI. Its store
    is given MLflow's schema beforehand (`mlflow_schema`: the server's migrations are slow)."""
    root = tmp_path_factory.mktemp("mlflow-server")
    mlflow_schema.write(root / "mlflow.db")
    with running_mlflow_server(root) as server:
        yield server.uri


@pytest.fixture
def doomed_mlflow_server(tmp_path: Path, mlflow_schema):
    """A real `mlflow server` of this test's own, which the test may kill (`server.kill()`);
    its store given MLflow's schema beforehand, as `mlflow_server`'s."""
    root = tmp_path / "doomed-server"
    root.mkdir()
    mlflow_schema.write(root / "mlflow.db")
    with running_mlflow_server(root) as server:
        yield server
