"""Load time and peak memory of `adaptive.data.load_log` on the shared public datasets.

Each measurement runs in a fresh Python process, so peak memory (`ru_maxrss`) is that load's
own: the process imports the library, records its resident size, loads the dataset once
(reading, validating every row, merging multi-skill rows, coding ids) and reports the wall time
and the peak resident size. The peer in the same run is a bare `pandas.read_csv` of the same
file (no validation, no codes), also in its own process. Median over `--repeats` processes.

    python -m experiments.bench_load [--repeats 3] [DATASET ...]

Writes `experiments/results/10_load.md`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from experiments.settings import add_out, write_section

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "10_load.md"
DEFAULT = [
    "assist2009",
    "assist2017",
    "assist2015",
    "statics2011",
    "assist2009-gervet-train",
    "statics2011-gervet-train",
]

_OURS = """
import json, resource, time
from adaptive.data import load_log_report
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0, c0 = time.perf_counter(), time.process_time()
log, report = load_log_report({name!r})
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": seconds, "cpu": cpu, "peak_kb": peak, "import_kb": before,
                  "rows": report.rows_read, "responses": len(log)}}))
"""

_PANDAS = """
import json, resource, time
import pandas as pd
from adaptive.data.descriptors import load_descriptor
desc = load_descriptor({name!r})
sep = desc.mapping.get("sep", ",")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0, c0 = time.perf_counter(), time.process_time()
frame = pd.read_csv(desc.path, sep=sep, keep_default_na=False)
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": seconds, "cpu": cpu, "peak_kb": peak, "import_kb": before,
                  "rows": len(frame)}}))
"""


def run_once(code: str) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=HERE.parent,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(name: str, repeats: int) -> dict:
    ours = [run_once(_OURS.format(name=name)) for _ in range(repeats)]
    peer = [run_once(_PANDAS.format(name=name)) for _ in range(repeats)]
    return {
        "name": name,
        "rows": ours[0]["rows"],
        "responses": ours[0]["responses"],
        "seconds": statistics.median(r["seconds"] for r in ours),
        "cpu": statistics.median(r["cpu"] for r in ours),
        "peak_mb": max(r["peak_kb"] for r in ours) / 1024,
        "delta_mb": max(r["peak_kb"] - r["import_kb"] for r in ours) / 1024,
        "pandas_seconds": statistics.median(r["seconds"] for r in peer),
        "pandas_cpu": statistics.median(r["cpu"] for r in peer),
        "pandas_peak_mb": max(r["peak_kb"] for r in peer) / 1024,
    }


def render(rows: list[dict], repeats: int, argv: list[str]) -> str:
    cmd = "python -m experiments.bench_load" + ("" if not argv else " " + " ".join(argv))
    lines = [
        "## Loading the public datasets (data layer)",
        "",
        "`load_log(NAME)`: read + validate every row + merge multi-skill rows + integer codes,",
        "in a fresh process per run. Median wall and CPU time (`time.process_time`, less",
        f"sensitive to other work on the machine) of {repeats} run(s); peak resident memory of",
        "the whole process (`ru_maxrss`, library imports included) and the part the load added.",
        "Beside it, a bare `pandas.read_csv` of the same file (no validation, no codes), measured",
        f"in the same run. Machine: {platform.platform()}, {os.cpu_count()} CPU cores, shared",
        "with other work while measured: wall times are noisy, CPU times less so.",
        "",
        "| dataset | rows | responses | load wall (s) | load CPU (s) | rows/s (CPU) "
        "| peak RSS (MB) | added by load (MB) | pandas.read_csv wall / CPU (s) "
        "| pandas peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['rows']:,} | {r['responses']:,} | {r['seconds']:.2f} | "
            f"{r['cpu']:.2f} | {r['rows'] / r['cpu']:,.0f} | {r['peak_mb']:.0f} | "
            f"{r['delta_mb']:.0f} | {r['pandas_seconds']:.2f} / {r['pandas_cpu']:.2f} | "
            f"{r['pandas_peak_mb']:.0f} |"
        )
    lines += ["", f"Reproduce: `{cmd}`", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=DEFAULT)
    parser.add_argument("--repeats", type=int, default=3)
    add_out(parser, OUT)
    args = parser.parse_args(argv)
    rows = []
    for name in args.datasets:
        row = measure(name, args.repeats)
        print(
            f"{name}: {row['seconds']:.2f} s (CPU {row['cpu']:.2f} s), "
            f"peak {row['peak_mb']:.0f} MB "
            f"(pandas.read_csv {row['pandas_seconds']:.2f} s)",
            flush=True,
        )
        rows.append(row)
    write_section(args.out, render(rows, args.repeats, sys.argv[1:] if argv is None else argv))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
