"""`python -m experiments.NAME --help` of every experiments module prints its usage and exits 0
at once, running nothing: a README trial found `bench_bkt --help` starting its several-minute
benchmark (it had no argument parser) and `bench_simulator --help` crashing on int('--help')."""

from __future__ import annotations

import importlib
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip(
    "experiments",
    reason="no experiments/ beside the tests: a source distribution ships the package and its tests only",
)
EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
#: the scripts: every module run as `python -m experiments.NAME` (helpers such as
#: `experiments.settings` have no `__main__` block)
MODULES = sorted(
    p.stem for p in EXPERIMENTS.glob("*.py") if 'if __name__ == "__main__"' in p.read_text()
)
SECONDS = 10  # an argument parser answers --help in milliseconds; a benchmark runs for minutes


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail the test (rather than run a benchmark for minutes) when main() has not returned
    within SECONDS."""

    def expired(signum, frame):
        raise TimeoutError(f"main(['--help']) still running after {SECONDS} s: it ran the module")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def written() -> dict[Path, int]:
    """Every file under experiments/ with its modification time: what a run would change."""
    return {p: p.stat().st_mtime_ns for p in EXPERIMENTS.rglob("*") if p.is_file()}


def test_every_module_is_checked():
    assert {"run_all", "bench_bkt", "bench_simulator", "tune_policy"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_help_prints_usage_and_runs_nothing(name, deadline, capsys):
    module = importlib.import_module(f"experiments.{name}")
    before = written()
    with pytest.raises(SystemExit) as exit_:
        module.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:") and "--help" in out
    assert written() == before
