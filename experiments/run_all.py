"""`make bench`: run every `experiments/bench_*.py` in turn, then assemble RESULTS.md.

Each benchmark writes its own section to `experiments/results/NAME.md` (figures beside the peer
measured in the same run, and the command that reproduces them). This script concatenates the
sections in a fixed order under a header naming the machine and date.

    python -m experiments.run_all                  # every benchmark, then RESULTS.md
    python -m experiments.run_all bench_bkt        # one benchmark, then RESULTS.md

A name that is no `bench_*` module is a usage error (exit 2, naming the closest) before anything
runs; when a benchmark fails, RESULTS.md is left as it was (exit 1), so that it never gets a new
date and machine over figures that were not re-measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

from adaptive.errors import unknown_key

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
RESULTS_MD = HERE / "RESULTS.md"


def machine_line() -> str:
    return f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPU cores"


def benchmark_names() -> list[str]:
    """The benchmarks run_all knows: the `bench_*.py` modules beside it, sorted."""
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def run_benchmarks(names: list[str]) -> list[str]:
    """Run each benchmark in its own process, in turn; the names of those that failed."""
    failed = []
    for name in names:
        print(f"== {name}", flush=True)
        rc = subprocess.call([sys.executable, "-m", f"experiments.{name}"], cwd=HERE.parent)
        if rc != 0:
            failed.append(name)
    return failed


def assemble() -> None:
    sections = sorted(RESULTS.glob("*.md"))
    header = (
        "# Measured results\n\n"
        "Every figure below was measured by the benchmark named in its section; the command under\n"
        "each section reproduces it. `make bench` reruns them all and rewrites this file.\n\n"
        f"Assembled {dt.date.today().isoformat()} on {machine_line()}.\n"
    )
    body = "\n".join(p.read_text().rstrip() + "\n" for p in sections)
    RESULTS_MD.write_text(header + "\n" + body)


def parse_args(argv: list[str] | None) -> list[str]:
    """The benchmarks to run (all of them when none is named); a name that is no benchmark
    module exits 2 with the usage and its closest name, before any benchmark runs."""
    known = benchmark_names()
    parser = argparse.ArgumentParser(
        prog="python -m experiments.run_all",
        description="Run the benchmarks (each writes experiments/results/NAME.md), then "
        "assemble experiments/RESULTS.md from every section. Nothing is reassembled when a "
        "benchmark fails.",
    )
    parser.add_argument(
        "benchmarks",
        nargs="*",
        metavar="BENCHMARK",
        help=f"a bench_* module to run (default: all {len(known)}: {', '.join(known)})",
    )
    names = parser.parse_args(argv).benchmarks
    for name in names:
        if name not in known:
            parser.error(unknown_key(name, known, "benchmark"))
    return names or known


def main(argv: list[str] | None = None) -> int:
    names = parse_args(argv)
    failed = run_benchmarks(names)
    if failed:
        print(
            f"{len(failed)} of {len(names)} benchmark(s) failed ({', '.join(failed)}): "
            f"{RESULTS_MD.name} was not reassembled; fix them and rerun "
            f"`python -m experiments.run_all {' '.join(failed)}`",
            file=sys.stderr,
        )
        return 1
    assemble()
    print(f"assembled {RESULTS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
