"""Benchmark: time and peak memory to simulate and write a district of 10k, 100k, 400k students.

    python -m experiments.bench_simulator            # all sizes (about 5 minutes on 2 cores)
    python -m experiments.bench_simulator 10000      # chosen sizes

Each size runs in its own fresh process (so its peak resident memory is its own), simulates
about 50 responses per student with the BKT-style ground truth (`simulate_district`), writes
the files (`write_district`) into a temporary folder, and reports wall time of both steps, the
responses produced and the process's peak RSS. Writes `experiments/results/20_simulator.md`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from experiments.settings import add_out, write_section

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "20_simulator.md"
SIZES = (10_000, 100_000, 400_000)
SEED = 1
RESPONSES = 50


def measure(n_students: int) -> dict:
    """Run in the child process: simulate + write one district, report figures as JSON."""
    from adaptive.simulation.district import simulate_district, write_district

    t0 = time.perf_counter()
    district = simulate_district(n_students, SEED, responses_per_student=RESPONSES)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_district(district, tmp)
        t2 = time.perf_counter()
        size = sum(p.stat().st_size for p in paths)
    return {
        "students": n_students,
        "responses": district.responses.num_rows,
        "school_days": district.meta["school_days"],
        "simulate_s": round(t1 - t0, 1),
        "write_s": round(t2 - t1, 1),
        "files_mb": round(size / 2**20, 1),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }


def run(sizes: list[int]) -> list[dict]:
    rows = []
    for n in sizes:
        load = os.getloadavg()[0]
        cmd = [sys.executable, "-m", "experiments.bench_simulator", "--child", str(n)]
        done = subprocess.run(cmd, cwd=HERE.parent, capture_output=True, text=True, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row["load_before"] = round(load, 1)
        print(row, flush=True)
        rows.append(row)
    return rows


def report(rows: list[dict]) -> str:
    lines = [
        "## District simulator: 400,000 students x ~50 responses",
        "",
        "`simulate_district(N, seed=1, responses_per_student=50)` (BKT-style ground truth,",
        "120 skills, 630 activities, day-by-day vectorized over all students), then",
        "`write_district` (responses.parquet, catalog, profiles, truth, ...). Each size ran in a",
        "fresh process; peak RSS is that process's maximum resident memory. Machine:",
        f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPU cores.",
        "`load` is the 1-minute load average just before the run: the 2 cores were shared with",
        "other work, so times are upper bounds for an idle machine.",
        "",
        "| students | responses | school days | simulate (s) | write (s) | files (MB) "
        "| peak RSS (GB) | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['students']:,} | {r['responses']:,} | {r['school_days']} | {r['simulate_s']} "
            f"| {r['write_s']} | {r['files_mb']} | {r['peak_rss_gb']} | {r['load_before']} |"
        )
    lines += ["", "Reproduce: `python -m experiments.bench_simulator` (or `make bench`).", ""]
    return "\n".join(lines)


def student_count(text: str) -> int:
    """A district size on the command line: a whole number of students, at least 1."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of students >= 1, got {text!r}")
    return n


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.bench_simulator",
        description=__doc__.splitlines()[0]
        + " Writes experiments/results/20_simulator.md or --out.",
    )
    parser.add_argument(
        "sizes",
        nargs="*",
        type=student_count,
        metavar="STUDENTS",
        help="district sizes to measure (default: "
        + ", ".join(f"{n:,}" for n in SIZES)
        + "; about 5 minutes on 2 cores)",
    )
    # one size measured in this process, its row printed as JSON: how `run` starts each size
    parser.add_argument("--child", type=student_count, help=argparse.SUPPRESS)
    add_out(parser, OUT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure(args.child)))
        return 0
    rows = run(args.sizes or list(SIZES))
    write_section(args.out, report(rows))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
