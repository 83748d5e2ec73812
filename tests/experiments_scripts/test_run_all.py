"""`python -m experiments.run_all`: which benchmarks it runs and when it rewrites RESULTS.md.

Every test points RESULTS_MD (and the sections folder) at a temporary copy: the tracked
experiments/RESULTS.md is never written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

run_all = pytest.importorskip(
    "experiments.run_all",
    reason="no experiments/ beside the tests: a source distribution ships the package and its tests only",
)


@pytest.fixture
def results_md(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary RESULTS.md (and one section beside it) in place of the tracked files; the
    benchmarks run_all would start are recorded, not run."""
    sections = tmp_path / "results"
    sections.mkdir()
    (sections / "10_load.md").write_text("## Load\n\nfigures\n")
    target = tmp_path / "RESULTS.md"
    target.write_text("as it was\n")
    monkeypatch.setattr(run_all, "RESULTS", sections)
    monkeypatch.setattr(run_all, "RESULTS_MD", target)
    return target


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The benchmarks run_all started (none really runs); each succeeds."""
    started: list[str] = []

    def fake_run(names: list[str]) -> list[str]:
        started.extend(names)
        return []

    monkeypatch.setattr(run_all, "run_benchmarks", fake_run)
    return started


def test_help_prints_usage_and_runs_nothing(results_md, ran, capsys):
    """Before: `run_all --help` ran a benchmark named 'experiments.--help', failed, and then
    rewrote RESULTS.md with today's date and this machine."""
    with pytest.raises(SystemExit) as exit_:
        run_all.main(["--help"])
    assert exit_.value.code == 0
    assert "BENCHMARK" in capsys.readouterr().out
    assert ran == []
    assert results_md.read_text() == "as it was\n"


def test_unknown_benchmark_is_a_usage_error_naming_the_closest(results_md, ran, capsys):
    """Before: a mistyped `run_all bench_bkk` failed to import 'experiments.bench_bkk' and then
    reassembled RESULTS.md anyway."""
    with pytest.raises(SystemExit) as exit_:
        run_all.main(["bench_bkt", "bench_bkk"])
    assert exit_.value.code == 2
    assert "unknown benchmark 'bench_bkk' (did you mean 'bench_bkt'?)" in capsys.readouterr().err
    assert ran == []  # not even the well-spelled one
    assert results_md.read_text() == "as it was\n"


def test_a_failed_benchmark_leaves_results_md_as_it_was(results_md, monkeypatch, capsys):
    """Before: RESULTS.md was reassembled (a new date and machine line) after a failure."""
    monkeypatch.setattr(run_all, "run_benchmarks", lambda names: ["bench_load"])
    assert run_all.main(["bench_load"]) == 1
    assert "bench_load" in capsys.readouterr().err
    assert results_md.read_text() == "as it was\n"


def test_a_named_benchmark_runs_alone_then_results_md_is_assembled(results_md, ran):
    assert run_all.main(["bench_load"]) == 0
    assert ran == ["bench_load"]
    text = results_md.read_text()
    assert text.startswith("# Measured results") and "## Load" in text


def test_no_name_runs_every_bench_module(results_md, ran):
    assert run_all.main([]) == 0
    assert ran == run_all.benchmark_names()
    assert "bench_bkt" in ran and "run_all" not in ran and "tune_deep" not in ran
