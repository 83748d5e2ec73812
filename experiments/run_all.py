"""`make bench`: run every `experiments/bench_*.py` in turn, then assemble RESULTS.md.

Each benchmark writes its own section to `experiments/results/NAME.md` (figures beside the peer
measured in the same run, and the command that reproduces them). This script concatenates the
sections in a fixed order under a header naming the machine and date.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def machine_line() -> str:
    return f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPU cores"


def run_benchmarks(names: list[str]) -> int:
    failures = 0
    for name in names:
        print(f"== {name}", flush=True)
        rc = subprocess.call([sys.executable, "-m", f"experiments.{name}"], cwd=HERE.parent)
        failures += rc != 0
    return failures


def assemble() -> None:
    sections = sorted(RESULTS.glob("*.md"))
    header = (
        "# Measured results\n\n"
        "Every figure below was measured by the benchmark named in its section; the command under\n"
        "each section reproduces it. `make bench` reruns them all and rewrites this file.\n\n"
        f"Assembled {dt.date.today().isoformat()} on {machine_line()}.\n"
    )
    body = "\n".join(p.read_text().rstrip() + "\n" for p in sections)
    (HERE / "RESULTS.md").write_text(header + "\n" + body)


def main() -> int:
    wanted = sys.argv[1:] or sorted(p.stem for p in HERE.glob("bench_*.py"))
    failures = run_benchmarks(wanted)
    assemble()
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
