"""Fixtures for the lifecycle tests: a small synthetic log, a tmp SQLite store, a real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adaptive.data.log import ResponseLog

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
def sqlite_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running `mlflow server`: its URI, and a way to kill it (as a crash would)."""

    uri: str
    proc: subprocess.Popen

    def kill(self) -> None:
        """SIGKILL the server and its workers (its own process group), as a crash would."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@contextmanager
def running_mlflow_server(root: Path) -> Iterator[Server]:
    """A real `mlflow server` on a free localhost port (SQLite backend under `root`); stopped by
    its own process id (group) afterwards."""
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend-store-uri",
        f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination",
        str(root / "artifacts"),
        "--workers",
        "1",
    ]
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(
        cmd,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "MLFLOW_TRACKING_URI": ""},
    )
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"mlflow server exited ({proc.returncode}): {(root / 'server.log').read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"mlflow server not healthy after 60 s: {(root / 'server.log').read_text()[-2000:]}"
                )
            time.sleep(0.5)
        yield Server(uri, proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: the server and its workers
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory):
    """A real `mlflow server` shared by the session's tests; yields its URI."""
    with running_mlflow_server(tmp_path_factory.mktemp("mlflow-server")) as server:
        yield server.uri


@pytest.fixture
def doomed_mlflow_server(tmp_path: Path):
    """A real `mlflow server` of this test's own, which the test may kill (`server.kill()`)."""
    root = tmp_path / "doomed-server"
    root.mkdir()
    with running_mlflow_server(root) as server:
        yield server
