"""Benchmark: the nightly batch job at 10k, 100k and 400k simulated students.

For each size: simulate the district (120 skills; its catalog extended to 2,000 activities),
train BKT on 10,000 of its students, register and promote it in a throw-away MLflow store, then
time two nights of `run_daily_job` (k = 20), each in its own process so its peak memory (max RSS)
is its own:
  - first night: no snapshot yet, every student's state is built from the full history;
  - next night: yesterday's snapshot + one school day of new responses (the steady state).
Each night includes reading the Parquet log, the model update, the snapshot, recommending for
every student and writing the Parquet output. Target (issue 6): <= 10 min and <= 8 GB on 2 cores;
issue 20: cost per student within +-20% from 10k to 400k.

The registry is a real `mlflow server` on loopback (`--tracking server`, the default), as a
district's deployment has, over the size's own SQLite file; `--tracking sqlite` has the job open
that file itself (MLflow's SQL store then costs the job ~1.5 s of imports a night, at any size).
Each size runs `--rounds` pairs of nights (first, then next), the sizes taking turns within a
round, and keeps each night's least-disturbed round (the host's load comes and goes).

    python -m experiments.bench_batch                      # 10k, 100k, 400k
    python -m experiments.bench_batch --sizes 10000        # a quick run
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.simulation.district import PRIORS
from experiments.settings import add_out, write_section

HERE = Path(__file__).resolve().parent
RESULT = HERE / "results" / "60_batch.md"
N_ACTIVITIES = 2000
K = 20
TRAIN_STUDENTS = 10_000
SEED = 60


def extended_catalog(catalog, n_activities: int, seed: int):
    """The district catalog plus seeded practice variants until it has `n_activities`."""
    from adaptive.curriculum import Activity, Catalog

    rng = np.random.default_rng(seed)
    extra = []
    skills = [s.id for s in catalog.skills]
    topics = list(catalog.topics)
    for i in range(max(0, n_activities - len(catalog.activities))):
        skill = skills[i % len(skills)]
        chosen = tuple(rng.choice(topics, size=int(rng.integers(1, 3)), replace=False).tolist())
        extra.append(
            Activity(
                id=f"{skill}.variant{i // len(skills)}",
                title=f"{skill} variant {i // len(skills)}",
                skills=(skill,),
                difficulty=float(rng.normal(0.0, 0.6)),
                topics=chosen,
                expected_minutes=float(rng.choice([5.0, 10.0, 15.0])),
            )
        )
    return Catalog(
        skills=catalog.skills, activities=catalog.activities + tuple(extra), topics=catalog.topics
    )


def setup(
    n_students: int,
    work: Path,
    champion: str,
    train_students: int,
    max_epochs: int | None,
    prior: str = "grade",
) -> dict:
    """Simulate (students' prior knowledge from `prior`, `simulate_district`), write the
    inputs, train and promote `champion` (a spec shipped in `adaptive/specs/models/`) on the
    first `train_students` students with the catalog and the profiles, as `adaptive train
    --district` does (the model checks whether knowledge follows the curriculum order: where
    it does, the nights read each student's level); returns facts about the district."""
    from adaptive.curriculum import read_profiles
    from adaptive.registry import promote, train_model
    from adaptive.simulation.district import simulate_district, write_district

    t0 = time.perf_counter()
    district = simulate_district(n_students, SEED, prior=prior)
    simulate_s = time.perf_counter() - t0
    write_district(district, work / "district")
    catalog = extended_catalog(district.catalog, N_ACTIVITIES, SEED)
    catalog.to_json(work / "catalog.json")
    log = district.response_log()
    train = log.take_students(log.students[:train_students])
    # trained through the file itself: its runs' artifacts are then local paths, which both
    # the SQLite and the server registry find (`--work-root` reuses a size in either mode)
    uri = sqlite_uri(work)
    t0 = time.perf_counter()
    spec = capped_spec(champion, max_epochs, work) if max_epochs else champion
    profiles = read_profiles(work / "district" / "profiles.jsonl")
    result = train_model(
        spec, train, registered_name="bench", folds=2, tracking_uri=uri, catalog=catalog,
        profiles=profiles,
    )  # fmt: skip
    train_s = time.perf_counter() - t0
    promote("bench", result.version, train, tracking_uri=uri)
    days = np.unique(log.frame["timestamp"].dt.floor("D").to_numpy())
    return {
        "students": n_students,
        "responses": len(log),
        "skills": len(catalog.skills),
        "activities": len(catalog.activities),
        "simulate_s": simulate_s,
        "prior": prior,
        "curriculum_level": str(result.model.curriculum_level_),
        "reads_level": result.model.curriculum_level_.holds,
        "champion": champion,
        "train_students": train_students,
        "train_s": train_s,
        "max_epochs": max_epochs,
        "first_night": str(pd.Timestamp(days[-1]).date()),
        "next_night": str((pd.Timestamp(days[-1]) + pd.Timedelta(days=1)).date()),
    }


def capped_spec(name: str, max_epochs: int, work: Path) -> Path:
    """A copy of spec `name` with `max_epochs` capped (deep champions: setup time only)."""
    from adaptive.tracing.specs import load_spec

    spec = load_spec(name)
    params = {**spec["params"], "max_epochs": max_epochs, "progress": False}
    lines = [f'name = "{spec["name"]}"', f'model = "{spec["model"]}"', "", "[params]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in params.items()]
    path = work / f"{spec['name']}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def sqlite_uri(work: Path) -> str:
    """The size's registry file (the loopback server's store too)."""
    return f"sqlite:///{work / 'mlflow.db'}"


def job_inputs(work: Path, tracking_uri: str | None = None) -> dict:
    """`run_daily_job`'s arguments for the benchmark district under `work` (both engines);
    the registry at `tracking_uri` (default: the size's SQLite file)."""
    return {
        "model_name": "bench",
        "data": work / "district" / "responses.parquet",
        "catalog": work / "catalog.json",
        "profiles": work / "district" / "profiles.jsonl",
        "k": K,
        "tracking_uri": tracking_uri or sqlite_uri(work),
        "show_progress": False,
    }


def night(work: Path, date: str, tracking_uri: str, placement: str | None = None) -> dict:
    """One nightly run (in this process); its time, peak memory and counts. `placement`: a
    placement table new students start from (`--placement`)."""
    from adaptive.batch import run_daily_job

    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    s = run_daily_job(date, work / "out", **job_inputs(work, tracking_uri), placement=placement)
    seconds = time.perf_counter() - t0
    # CPU seconds of the night itself, in the job and its school workers (the process's
    # start-up and imports before it are not the night's): the work done, much less
    # sensitive than wall time to other jobs sharing the cores
    cpu = _cpu_seconds() - cpu0
    peak_gb = own_peak_gb()
    # the schools are served by forked worker processes: the largest one's peak (its RSS counts
    # the pages it shares with the parent, so parent + worker is an upper bound)
    worker_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    return {
        "cpu_seconds": cpu,
        "seconds": seconds,
        "peak_gb": peak_gb,
        "worker_peak_gb": worker_gb,
        "served": s.students_served,
        "new_responses": s.new_responses,
        "rebuilt": s.state_rebuilt,
    }


def own_peak_gb() -> float:
    """This process's peak resident memory since it started its program (GB): Linux's VmHWM.
    Not `ru_maxrss`, which Linux carries across `exec` from the process that spawned it: a
    night started by a benchmark that had just written a 48 M-row placement table with pandas
    reported that benchmark's 8.6 GB as its own (6.4 GB measured here). Elsewhere, `ru_maxrss`."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children."""
    return sum(
        u.ru_utime + u.ru_stime
        for u in (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "experiments.bench_batch", *args],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "2"},
    )
    if out.returncode != 0:
        raise RuntimeError(f"{args}: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,400000")
    parser.add_argument("--champion", default="bkt", help="the spec trained and promoted")
    parser.add_argument("--train-students", type=int, default=TRAIN_STUDENTS)
    parser.add_argument("--max-epochs", type=int, help="cap a deep champion's training epochs")
    parser.add_argument(
        "--tracking",
        choices=("server", "sqlite"),
        default="server",
        help="the registry: a loopback mlflow server (default) or the SQLite file itself",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="pairs of nights per size; the fastest is kept"
    )
    add_out(
        parser,
        None,
        "--result",
        default_text="by champion: experiments/results/60_batch.md for bkt, 61_batch_SPEC.md "
        "for another, with _PRIOR before .md for a --prior other than grade",
    )
    parser.add_argument("--work-root", help="keep (and reuse) each size's district and model here")
    parser.add_argument(
        "--merge", nargs="+", help="write the section from the logs of earlier runs"
    )
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument(
        "--with-placement",
        action="store_true",
        help="also a first night whose new students start from a placement table of every "
        "student and skill (issue 16: <= 10 min and 8 GB at 400,000)",
    )
    parser.add_argument(
        "--prior",
        choices=PRIORS,
        default="grade",
        help="the district's prior knowledge (`adaptive simulate --prior`): with curriculum, "
        "the champion's check holds and the nights read each student's level",
    )
    parser.add_argument("--night", help=argparse.SUPPRESS)
    parser.add_argument("--placement", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--tracking-uri", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup:
        work = Path(args.work)
        facts = setup(
            int(args.setup),
            work,
            args.champion,
            args.train_students,
            args.max_epochs,
            args.prior,
        )
        print(json.dumps(facts))
        return 0
    if args.night:
        work = Path(args.work)
        uri = args.tracking_uri or sqlite_uri(work)
        print(json.dumps(night(work, args.night, uri, args.placement)))
        return 0
    if args.merge:  # rows printed by earlier runs (e.g. sizes run separately)
        lines = [line for log in args.merge for line in Path(log).read_text().splitlines()]
        rows = [json.loads(line) for line in lines if line.startswith('{"students"')]
        write_result(rows, result_path(args))
        return 0
    root = Path(args.work_root) if args.work_root else Path(tempfile.mkdtemp(prefix="bench-"))
    sizes = [int(x) for x in args.sizes.split(",")]
    works = {n: root / str(n) for n in sizes}
    try:
        facts = {}
        for n, work in works.items():
            work.mkdir(parents=True, exist_ok=True)
            facts[n] = setup_once(work, n, args)
        with contextlib.ExitStack() as stack:
            uris = {
                n: stack.enter_context(registry_for(w, args.tracking)) for n, w in works.items()
            }
            # rounds interleave the sizes, so that every size meets the host's load of each
            # period alike (the cost-per-student ratios compare sizes)
            rounds: dict[int, list] = {n: [] for n in sizes}
            for _ in range(max(1, args.rounds)):
                for n in sizes:
                    rounds[n].append(nights(works[n], facts[n], uris[n]))
            placed = {
                n: placed_first_night(works[n], facts[n], uris[n])
                for n in (sizes if args.with_placement else [])
            }
        rows = [size_row(facts[n], rounds[n], args.tracking) for n in sizes]
        for row in rows:
            if row["students"] in placed:
                row["placed_first"] = placed[row["students"]]
        for row in rows:
            print(json.dumps(row), flush=True)
    finally:
        if not args.work_root:
            shutil.rmtree(root, ignore_errors=True)
    write_result(rows, result_path(args))
    return 0


def size_row(facts: dict, rounds: list[tuple[dict, dict]], tracking: str) -> dict:
    """One size's result: each night's fastest round, and every round's seconds."""
    return {
        **facts,
        "tracking": tracking,
        "first": min((r[0] for r in rounds), key=lambda night: night["seconds"]),
        "next": min((r[1] for r in rounds), key=lambda night: night["seconds"]),
        "first_rounds": [round(r[0]["seconds"], 2) for r in rounds],
        "next_rounds": [round(r[1]["seconds"], 2) for r in rounds],
    }


@contextlib.contextmanager
def registry_for(work: Path, tracking: str) -> Iterator[str]:
    """The registry's URI for the size under `work`: its SQLite file, or a loopback server
    over that file (started here, stopped after)."""
    if tracking == "sqlite":
        yield sqlite_uri(work)
        return
    from adaptive.registry.local_server import running_mlflow_server

    with running_mlflow_server(work) as server:
        yield server.uri


def setup_once(work: Path, n: int, args: argparse.Namespace) -> dict:
    """The size's district and champion: simulated and trained once, reused with --work-root."""
    cached = work / "setup.json"
    if cached.is_file():
        facts = json.loads(cached.read_text())
        kept = (facts.get("prior", "grade"), facts.get("champion", "bkt"))
        if kept != (args.prior, args.champion):
            raise SystemExit(
                f"{work}: --work-root holds a district of prior {kept[0]!r} with a {kept[1]!r} "
                f"champion, not --prior {args.prior} --champion {args.champion}: give another "
                "--work-root"
            )
        shutil.rmtree(work / "out", ignore_errors=True)
        return facts
    extra = ["--max-epochs", str(args.max_epochs)] if args.max_epochs else []
    facts = child(
        "--setup",
        str(n),
        "--work",
        str(work),
        "--champion",
        args.champion,
        "--train-students",
        str(args.train_students),
        "--prior",
        args.prior,
        *extra,
    )
    cached.write_text(json.dumps(facts))
    return facts


def nights(work: Path, facts: dict, uri: str) -> tuple[dict, dict]:
    """A first night (no output yet) and the next one, each in its own process. Each starts
    with the disk idle, as a real night does (a day after the last): the files the setup or the
    night before wrote (GBs at 400,000) are flushed first, not during the next timed night."""
    shutil.rmtree(work / "out", ignore_errors=True)
    os.sync()
    first = child("--night", facts["first_night"], "--work", str(work), "--tracking-uri", uri)
    os.sync()
    nxt = child("--night", facts["next_night"], "--work", str(work), "--tracking-uri", uri)
    return first, nxt


def placed_first_night(work: Path, facts: dict, uri: str) -> dict:
    """A first night (in its own process) whose new students start from a placement table of
    every student of the profiles and every skill of the catalog (written once, seeded)."""
    table = work / "placement.parquet"
    if not table.is_file():
        students = [
            json.loads(line)["student_id"]
            for line in (work / "district" / "profiles.jsonl").read_text().splitlines()
            if line.strip()
        ]
        skills = [s["id"] for s in json.loads((work / "catalog.json").read_text())["skills"]]
        rng = np.random.default_rng(SEED)
        pd.DataFrame(
            {
                "student_id": np.repeat(students, len(skills)),
                "skill_id": np.tile(skills, len(students)),
                "mastery": rng.random(len(students) * len(skills)).round(3),
            }
        ).to_parquet(table)
    shutil.rmtree(work / "out", ignore_errors=True)
    os.sync()
    facts_night = child(
        "--night", facts["first_night"], "--work", str(work), "--tracking-uri", uri,
        "--placement", str(table),
    )  # fmt: skip
    facts_night["placement_rows"] = pq_rows(table)
    return facts_night


def pq_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def registry_line(tracking: str, rows: list[dict]) -> str:
    """How the registry was reached and how many rounds each night's figure is the best of."""
    rounds = len(rows[0].get("first_rounds", [0])) if rows else 1
    where = (
        "a loopback `mlflow server` over the size's SQLite store (as a deployment reaches it)"
        if tracking == "server"
        else "the size's SQLite file, opened by the job itself"
    )
    each = "; ".join(
        f"{r['students']:,}: first {', '.join(map(str, r.get('first_rounds', [])))}, "
        f"next {', '.join(map(str, r.get('next_rounds', [])))}"
        for r in rows
    )
    return (
        f"Registry: {where}. Each night's figures are its fastest of {rounds} round(s); a round "
        f"runs every size in turn, so the sizes meet the host's load alike (seconds of every "
        f"round: {each})."
    )


def linearity_lines(rows: list[dict]) -> list[str]:
    """Cost per student at each size against the largest's (issue 20: within +-20%)."""
    if len(rows) < 2:
        return []
    largest = rows[-1]
    out = []
    for measure, key in (("wall", "seconds"), ("CPU", "cpu_seconds")):
        for which in ("first", "next"):
            if any(key not in r[which] for r in rows):
                continue
            ref = largest[which][key] / largest["students"]
            ratios = [r[which][key] / r["students"] / ref for r in rows]
            shown = ", ".join(
                f"{r['students']:,}: {ratio - 1:+.0%}"
                for r, ratio in zip(rows, ratios, strict=True)
            )
            met = all(abs(ratio - 1) <= 0.2 for ratio in ratios)
            out.append(
                f"Cost per student ({measure} seconds), {which} night, against "
                f"{largest['students']:,} students: {shown} "
                f"(target within +-20%: {'met' if met else 'NOT met'})."
            )
    return out


def placement_lines(rows: list[dict]) -> list[str]:
    """The first night with a placement table of every student and skill (`--with-placement`)."""
    out = []
    for r in rows:
        placed = r.get("placed_first")
        if placed:
            met = placed["seconds"] <= 600 and placed["peak_gb"] <= 8
            out.append(
                f"First night with a placement table of every student and skill "
                f"({r['students']:,} students, {placed['placement_rows']:,} rows; one round): "
                f"{placed['seconds']:.1f} s, peak {placed['peak_gb']:.2f} / "
                f"{placed.get('worker_peak_gb', 0.0):.2f} GB (job / largest worker; issue 16 "
                f"target <= 10 min and 8 GB: {'met' if met else 'NOT met'})."
            )
    return out


def level_lines(rows: list[dict]) -> list[str]:
    """The district's prior knowledge and the champion's curriculum-order check (whether the
    nights read each student's level from their first answers)."""
    out = []
    for r in rows:
        if "curriculum_level" not in r:
            continue
        reading = (
            "read each student's level from their first answers"
            if r["reads_level"]
            else "read the placement"
        )
        out.append(
            f"District prior `{r['prior']}` ({r['students']:,} students): the champion's check "
            f"reads {r['curriculum_level']}; the nights {reading}."
        )
    return out


def result_path(args: argparse.Namespace) -> Path:
    """`--out`, or 60_batch.md for the BKT champion and 61_batch_<spec>.md for another."""
    if args.out:
        return args.out
    name = "60_batch" if args.champion == "bkt" else f"61_batch_{args.champion}"
    suffix = "" if args.prior == "grade" else f"_{args.prior}"
    return RESULT.with_name(f"{name}{suffix}.md")


def write_result(rows: list[dict], result: Path) -> None:
    """The markdown section for RESULTS.md, one row per size."""
    rows = sorted(rows, key=lambda r: r["students"])
    champion = rows[0].get("champion", "bkt") if rows else "bkt"
    trained = rows[0].get("train_students", TRAIN_STUDENTS) if rows else TRAIN_STUDENTS
    epochs = rows[0].get("max_epochs") if rows else None
    flags = "" if champion == "bkt" else f" --champion {champion} --train-students {trained}"
    flags += f" --max-epochs {epochs}" if epochs else ""
    prior = rows[0].get("prior", "grade") if rows else "grade"
    heading = f"## Nightly batch job (issue 6): {champion} champion"
    if prior == "curriculum":
        heading = (
            f"## Nightly batch job (issues 6, 16): {champion} champion, a district whose "
            "knowledge follows the curriculum order"
        )
    lines = [
        heading,
        "",
        f"`{champion}` champion (trained on {trained:,} of the students), k = {K} recommendations per student, {N_ACTIVITIES:,} activities, 120 skills; "
        "each night in its own process (peak = max RSS). *First night*: no snapshot, state from the "
        "full history. *Next night*: yesterday's snapshot + one day of new responses. Both include "
        "reading the Parquet log, writing the snapshot and the Parquet output; the disk is flushed "
        "before each night. Measured on a 2-core machine (its load: see the section above). "
        "Target: <= 10 min, <= 8 GB.",
        "",
        "| students | responses | first night (s) | first: us/student | first: CPU s "
        "| first night peak (GB): job / largest worker | next night (s) | next: us/student "
        "| next: CPU s | next night peak (GB): job / largest worker | new responses "
        "| simulate (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        simulate = "n/a" if r.get("simulate_s") is None else f"{r['simulate_s']:.0f}"
        first, nxt = r["first"], r["next"]
        per = [1e6 * night["seconds"] / r["students"] for night in (first, nxt)]
        peaks = [
            f"{night['peak_gb']:.2f} / {night.get('worker_peak_gb', 0.0):.2f}"
            for night in (first, nxt)
        ]
        cpu = [
            f"{night['cpu_seconds']:.1f}" if "cpu_seconds" in night else "n/a"
            for night in (first, nxt)
        ]
        lines.append(
            f"| {r['students']:,} | {r['responses']:,} | {first['seconds']:.1f} | {per[0]:.0f} "
            f"| {cpu[0]} | {peaks[0]} | {nxt['seconds']:.1f} | {per[1]:.0f} | {cpu[1]} "
            f"| {peaks[1]} | {nxt['new_responses']:,} | {simulate} |"
        )
    tracking = rows[0].get("tracking", "sqlite") if rows else "sqlite"
    flags += " --tracking sqlite" if tracking == "sqlite" else ""
    flags += " --with-placement" if any("placed_first" in r for r in rows) else ""
    flags += f" --prior {prior}" if prior != "grade" else ""
    lines += ["", registry_line(tracking, rows), *linearity_lines(rows), *placement_lines(rows)]
    lines += level_lines(rows)
    lines += [
        "",
        f"Reproduce: `python -m experiments.bench_batch --sizes "
        f"{','.join(str(r['students']) for r in rows)}{flags}`",
        "",
    ]
    # the file's hand-written sections (the district-scale analysis above this table) are kept
    kept = result.read_text().split(lines[0])[0] if result.is_file() else ""
    write_section(result, kept + "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
