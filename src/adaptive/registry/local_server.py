"""A real `mlflow server` on loopback, started and stopped by the caller: for the tests of the
registry and for the benchmarks, which talk to the registry as a district's deployment does (over
HTTP, to a tracking server), not to a SQLite file in the job's own process.

    with running_mlflow_server(Path("/tmp/mlflow")) as server:
        train_model(spec, log, registered_name="demo", tracking_uri=server.uri)

The server keeps its runs in `root/mlflow.db` and its artifacts in `root/artifacts`; it runs in a
session of its own and is stopped by its process group afterwards (also when the caller fails).
"""

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

from adaptive.registry.store import TrackingServerError

STARTUP_SECONDS = 60.0  # measured: 5-12 s on a 2-core machine (../shared/SETUP.md)


@dataclass
class LocalServer:
    """A running `mlflow server`: its URI, and a way to kill it (as a crash would)."""

    uri: str
    proc: subprocess.Popen
    log: Path

    def kill(self) -> None:
        """SIGKILL the server and its workers (its own process group), as a crash would."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@contextmanager
def running_mlflow_server(root: str | Path) -> Iterator[LocalServer]:
    """A real `mlflow server` on a free loopback port (SQLite backend and artifacts under
    `root`), healthy when yielded; stopped (SIGTERM, then SIGKILL after 15 s) afterwards. A
    server that exits or stays unhealthy for `STARTUP_SECONDS` is a `TrackingServerError` quoting
    the end of its log."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
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
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "MLFLOW_TRACKING_URI": ""},
        )
        server = LocalServer(f"http://127.0.0.1:{port}", proc, log_path)
        try:
            _wait_healthy(server)
            yield server
        finally:
            _stop(proc)


def _wait_healthy(server: LocalServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if server.proc.poll() is not None:
            raise TrackingServerError(
                f"mlflow server exited ({server.proc.returncode}): {_tail(server.log)}"
            )
        try:
            with urllib.request.urlopen(f"{server.uri}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TrackingServerError(
                f"mlflow server not healthy after {STARTUP_SECONDS:.0f} s: {_tail(server.log)}"
            )
        time.sleep(0.5)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the server and its workers
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(log: Path, chars: int = 2000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.is_file() else "(no log)"
