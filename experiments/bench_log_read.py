"""Benchmark: the next night's read of a time-ordered Parquet log (issue 20).

The nightly job reads the log from the previous snapshot's cutoff on (`load_log_report(path,
since=...)`). A district's log appended day by day keeps its row groups in time order, and the
reader skips every group whose statistics say all its times are earlier. This times that read
(one school day of a long log) against the same read with every group scanned, alternating,
`--runs` times each, in fresh processes' state (the file is read from the page cache either way).

    python -m experiments.bench_log_read                                  # a synthetic log
    python -m experiments.bench_log_read --log /tmp/bw/400000/district/responses.parquet

`--log` uses a real log (bench_batch's district), sorted by time into a temporary copy first.
Writes `experiments/results/64_log_read.md`.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import adaptive.data.readers as readers
from adaptive.data import load_log_report
from experiments.settings import add_out, write_section

OUT = Path(__file__).resolve().parent / "results" / "64_log_read.md"


def synthetic_log(path: Path, students: int, per_student: int, days: int, seed: int) -> None:
    """`students` x `per_student` responses spread over `days`, written in time order."""
    rng = np.random.default_rng(seed)
    n = students * per_student
    start = pd.Timestamp("2026-09-01", tz="UTC").value
    times = np.sort(start + rng.integers(0, days * 86_400, n) * 1_000_000_000)
    table = pa.table(
        {
            "student_id": pa.array(rng.integers(0, students, n).astype(str)),
            "item_id": pa.array(rng.integers(0, 2000, n).astype(str)),
            "skill_ids": pa.array([[f"k{k}"] for k in rng.integers(0, 120, n)]),
            "correct": rng.integers(0, 2, n).astype(np.int8),
            "timestamp": pa.array(times, pa.timestamp("ns", "UTC")),
        }
    )
    pq.write_table(table, path)


def time_ordered_copy(log: Path, path: Path) -> None:
    table = pq.read_table(log)
    pq.write_table(table.take(pc.sort_indices(table, [("timestamp", "ascending")])), path)


def timed_read(path: Path, since: int, skip: bool) -> tuple[float, int]:
    original = readers._row_groups_from
    if not skip:  # every group scanned (the rows are filtered either way)
        readers._row_groups_from = lambda pfile, col, _since: original(pfile, col, None)
    try:
        t0 = time.perf_counter()
        log, _ = load_log_report(path, since=since)
        return time.perf_counter() - t0, len(log)
    finally:
        readers._row_groups_from = original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, help="a real log to sort by time (default: synthetic)")
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    add_out(parser, OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.parquet"
        if args.log:
            time_ordered_copy(args.log, path)
        else:
            synthetic_log(path, args.students, 50, 165, seed=64)
        meta = pq.ParquetFile(path).metadata
        stamps = pq.read_table(path, columns=["timestamp"]).column("timestamp")
        last = pd.Timestamp(pc.max(stamps).as_py())
        since = pd.Timestamp(last.date(), tz="UTC").value  # the last school day's rows
        results = {True: [], False: []}
        for _ in range(args.runs):
            for skip in (False, True):
                results[skip].append(timed_read(path, since, skip))
    rows = [results[skip][0][1] for skip in (False, True)]
    assert rows[0] == rows[1], rows
    scanned, skipped = (min(s for s, _ in results[k]) for k in (False, True))
    lines = [
        "## The next night's read of a time-ordered log (issue 20)",
        "",
        f"{'A real log sorted by time' if args.log else 'A synthetic log'}: {meta.num_rows:,} "
        f"responses in {meta.num_row_groups} row groups; the read keeps the last day's "
        f"{rows[0]:,} rows (`load_log_report(path, since=...)`, as the next night). Fastest of "
        f"{args.runs} runs each, alternating, on a {platform.machine()} machine with {os.cpu_count()} cores (shared host: noisy).",
        "",
        "| read | seconds |",
        "|---|---:|",
        f"| every row group scanned (before) | {scanned:.2f} |",
        f"| row groups before the cutoff skipped (now) | {skipped:.2f} |",
        "",
        f"Reproduce: `python -m experiments.bench_log_read {shlex.join(sys.argv[1:])}`",
    ]
    write_section(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
