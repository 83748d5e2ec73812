"""Benchmark: the nightly job on Spark (a standalone cluster on loopback) at 10k, 100k, 400k.

For each size, the district, catalog and champion of `bench_batch` (same seed; simulated and
trained here when `--work-root` has none yet) are served by `run_daily_job(engine="spark")` on a
standalone cluster this script starts (`adaptive.batch.standalone`: a master and `--workers`
one-core workers) and stops. Two nights, each from its own driver process: the first (no
snapshot) and the next (yesterday's Parquet snapshot + one day). While a night runs, the memory
of every process is sampled from /proc (VmHWM, the kernel's peak RSS per process): the driver's
Python process, the driver's JVM, each executor JVM and each Python worker.

When `bench_batch` left the in-process outputs of the same nights in the work folder, the Spark
outputs are compared with them byte for byte. Writes `experiments/results/63_spark.md`
(or `--out PATH`; `--result` is its older name).

    python -m experiments.bench_spark --sizes 10000 --work-root /tmp/bench-work

With `--experiment`, both nights serve a randomized experiment of two arms (classes drawn by
`adaptive.experiment.assign`, seed 0, both arms the default policy) and the next night counts the
students served another arm than the night before, as an operator's nights do: what the
driver's memory is then (its outputs carry each student's arm, so they are not compared with the
in-process reference).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from experiments.bench_batch import K, job_inputs
from experiments.settings import add_out, write_section

HERE = Path(__file__).resolve().parent
RESULT = HERE / "results" / "63_spark.md"
TABLES = ("recommendations", "students", "class_skills", "groups")


def night(
    work: Path,
    date: str,
    master: str,
    out: Path,
    tracking_uri: str | None,
    experiment: str | None = None,
) -> dict:
    """One night on Spark from this (driver) process: time, counts, per-school seconds."""
    from adaptive.batch import run_daily_job

    t0 = time.perf_counter()
    s = run_daily_job(
        date, out, **job_inputs(work, tracking_uri), engine="spark", master=master,
        experiment=experiment,
    )  # fmt: skip
    return {
        "seconds": time.perf_counter() - t0,
        "driver_python_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "served": s.students_served,
        "schools": s.schools,
        "new_responses": s.new_responses,
        "rebuilt": s.state_rebuilt,
        "partition_seconds": sorted(s.partition_seconds),
    }


class Sampler(threading.Thread):
    """Peak RSS (VmHWM) of every process under the given roots, by role, every 0.5 s."""

    def __init__(self, driver: int, workers: list[int]):
        super().__init__(daemon=True)
        self.driver, self.workers = driver, workers
        self.peaks: dict[int, tuple[str, float]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            time.sleep(0.5)

    def sample(self) -> None:
        children = _children()
        for pid in _tree(self.driver, children):
            self._keep(pid, "driver_python" if pid == self.driver else "driver_jvm")
        for worker in self.workers:
            for pid in _tree(worker, children):
                if pid == worker:
                    continue
                self._keep(pid, "executor_jvm" if _is_java(pid) else "python_worker")

    def _keep(self, pid: int, role: str) -> None:
        if role == "driver_jvm" and not _is_java(pid):
            role = "driver_python"  # e.g. a shell between the driver and its JVM
        hwm = _vm_hwm_gb(pid)
        if hwm is not None:
            self.peaks[pid] = (role, max(hwm, self.peaks.get(pid, (role, 0.0))[1]))

    def summary(self) -> dict:
        out: dict[str, float] = {}
        for role, gb in self.peaks.values():
            out[f"{role}_gb"] = max(out.get(f"{role}_gb", 0.0), gb)
            if role in ("executor_jvm", "python_worker"):
                out["executors_total_gb"] = out.get("executors_total_gb", 0.0) + gb
        return out


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _tree(root: int, children: dict[int, list[int]]) -> list[int]:
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _is_java(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/exe").resolve().name == "java"
    except OSError:
        return False


def _vm_hwm_gb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        return None
    return None


def run_night(
    work: Path,
    date: str,
    master: str,
    out: Path,
    workers: list[int],
    tracking_uri: str,
    experiment: Path | None = None,
) -> dict:
    """A night in a child driver process, its processes' memory sampled meanwhile."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments.bench_spark", "--night", date, "--work", str(work)]
        + ["--master", master, "--night-out", str(out), "--tracking-uri", tracking_uri]
        + (["--experiment-file", str(experiment)] if experiment else []),
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = Sampler(proc.pid, workers)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{date}: {stderr[-3000:]}")
    return {**json.loads(stdout.strip().splitlines()[-1]), **sampler.summary()}


def same_bytes(a: Path, b: Path, date: str) -> bool | None:
    """Whether both folders hold the same output Parquet bytes for `date` (None: no reference)."""
    files = {}
    for root in (a, b):
        files[root] = {
            str(p.relative_to(root)): p.read_bytes()
            for t in TABLES
            for p in sorted((root / t).glob(f"date={date}/*/*.parquet"))
        }
    if not files[b]:
        return None
    return files[a] == files[b]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,400000")
    parser.add_argument("--work-root", help="bench_batch's work root (districts reused)")
    parser.add_argument("--workers", type=int, default=2, help="one-core workers")
    parser.add_argument("--worker-memory", default="3g")
    add_out(parser, RESULT, "--result")
    parser.add_argument(
        "--experiment", action="store_true", help="serve a two-arm experiment (see the module)"
    )
    parser.add_argument("--night", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--master", help=argparse.SUPPRESS)
    parser.add_argument("--night-out", help=argparse.SUPPRESS)
    parser.add_argument("--tracking-uri", help=argparse.SUPPRESS)
    parser.add_argument("--experiment-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.night:
        result = night(
            Path(args.work), args.night, args.master, Path(args.night_out), args.tracking_uri,
            args.experiment_file,
        )  # fmt: skip
        print(json.dumps(result))
        return 0
    from adaptive.batch.standalone import standalone_cluster
    from experiments.bench_batch import child, registry_for

    rows = []
    root = Path(args.work_root) if args.work_root else Path(tempfile.mkdtemp(prefix="bench-spark-"))
    for n in [int(x) for x in args.sizes.split(",")]:
        work = root / str(n)
        cached = work / "setup.json"
        if cached.is_file():
            facts = json.loads(cached.read_text())
        else:
            work.mkdir(parents=True, exist_ok=True)
            facts = child("--setup", str(n), "--work", str(work))
            cached.write_text(json.dumps(facts))
        out = work / ("out-spark-experiment" if args.experiment else "out-spark")
        shutil.rmtree(out, ignore_errors=True)
        experiment = two_arms(work) if args.experiment else None
        memory = args.worker_memory
        # the registry as bench_batch reaches it (a loopback mlflow server over the size's
        # store): its runs' artifacts are the server's, which a bare SQLite URI cannot write
        with (
            registry_for(work, "server") as uri,
            standalone_cluster(work / "cluster", args.workers, 1, memory) as cluster,
        ):
            nights = {}
            for key in ("first_night", "next_night"):
                date = facts[key]
                got = run_night(work, date, cluster.url, out, cluster.worker_pids, uri, experiment)
                got["equal_to_in_process"] = (
                    None if experiment else same_bytes(out, work / "out", date)
                )
                nights[key] = got
        rows.append({**facts, "workers": args.workers, "worker_memory": memory, **nights})
        print(json.dumps(rows[-1]), flush=True)
    write_result(rows, args.out, args.experiment)
    return 0


def two_arms(work: Path) -> Path:
    """The size's experiment (two arms of classes, both the default policy; drawn once)."""
    from adaptive.experiment.assign import assign
    from adaptive.policy import PolicyConfig

    path = work / "experiment.json"
    if not path.is_file():
        arms = {"control": PolicyConfig.default(), "new": PolicyConfig.default()}
        assign(job_inputs(work)["profiles"], arms, seed=0).save(path)
    return path


def write_result(rows: list[dict], result: Path, experiment: bool = False) -> None:
    """The markdown section: time, cost per student, memory by process role, equality."""
    lines = [
        "## The nightly job on Spark (issue 20): a standalone cluster on this machine"
        + (", serving a two-arm experiment" if experiment else ""),
        "",
        f"Same districts and champion as `bench_batch` (k = {K}). A standalone cluster on loopback "
        "(master + one-core workers, started and stopped by the benchmark), each night from its "
        "own driver process. Peak memory per process (VmHWM, sampled every 0.5 s): the driver's "
        "Python process and JVM, the largest executor JVM, the largest Python worker, and the sum "
        "over all executor-side processes. Measured on a shared 2-core machine (other engineers' "
        "jobs running): times are upper bounds; the cluster's JVMs and the driver share the same "
        "2 cores.",
        "",
        "| students | night | s | us/student | driver Python (GB) | driver JVM (GB) | executor JVM "
        "max (GB) | Python worker max (GB) | executors total (GB) | schools | school s: median / "
        "max | equal to in-process |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in sorted(rows, key=lambda r: r["students"]):
        for key, label in (("first_night", "first"), ("next_night", "next")):
            x = r[key]
            secs = x["partition_seconds"] or [0.0]
            equal = {None: "n/a", True: "yes", False: "NO"}[x.get("equal_to_in_process")]
            lines.append(
                f"| {r['students']:,} | {label} | {x['seconds']:.0f} "
                f"| {1e6 * x['seconds'] / r['students']:.0f} "
                f"| {x.get('driver_python_gb', 0):.2f} | {x.get('driver_jvm_gb', 0):.2f} "
                f"| {x.get('executor_jvm_gb', 0):.2f} | {x.get('python_worker_gb', 0):.2f} "
                f"| {x.get('executors_total_gb', 0):.2f} | {x['schools']} "
                f"| {secs[len(secs) // 2]:.1f} / {secs[-1]:.1f} | {equal} |"
            )
    sizes = ",".join(str(r["students"]) for r in rows)
    lines += [
        "",
        f"Reproduce: `python -m experiments.bench_batch --sizes {sizes} --work-root W` (the "
        f"in-process reference), then `python -m experiments.bench_spark --sizes {sizes} "
        f"--work-root W{' --experiment' if experiment else ''}`.",
        "",
    ]
    write_section(result, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    raise SystemExit(main())
