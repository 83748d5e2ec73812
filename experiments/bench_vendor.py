"""The vendor's per-request path, end to end through the public API, at district state sizes.

One request = one student's answer in, that student's top-10 out:

    model.update(state, response)                           # absorb the answer
    recent.append(response)                                 # the student's last 30 answers
    batch = batch_from_model(model, state, catalog, profiles, log=recent,
                             student_ids=[sid])              # placement, graph, ability
    recs = policy.recommend(batch, 10, now)                 # the one-student path

with a BKT model fitted on 2,000 simulated students, a catalog of 200 skills x 10 activities
(2,000 activities, up to 2 prerequisites per skill, graph propagation on), and a shared state
holding 1, 10,000 or 400,000 students (placed from their grade). The student's own history
(their last 30 responses, a `deque` of `Response`, the new answer appended) is the `log`, as a
vendor keeps it per student in memory. Each size: p50 / p99 over `--calls` requests, wall time
and the thread's CPU time (CPU excludes time the machine gave to other jobs). Target (issues 16
and 17): p99 <= 2 ms at 400,000 students. Peers, in the same run: the same request with
`mastery` for the whole state, as `batch_from_model` did before (at N <= 10,000), and with the
history turned into a `ResponseLog` per request (at N = 1: what the README showed before).
Beside them, the same request where the model's check found the district's knowledge to follow
the curriculum order (`curriculum_level_` set to hold: `batch_from_model` then places the student
from their first answers, and the policy reads their never-answered skills from it).

Then the same request on a large catalog (`--large-skills`, 864 skills x 3 activities, as the
vendor's trial catalog: about as many activities, 4.3x the skills) at `--large-sizes` students,
so that the cost's growth with the catalog is measured (a vendor read 10x the time at 4x the
skills, from dense (S, S) prerequisite products per request).

    python -m experiments.bench_vendor [--sizes 1,10000,400000] [--calls 2000]
        [--large-skills 864] [--large-sizes 1,10000] [--out PATH]

Writes `experiments/results/55_vendor.md` (or `--out`).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import platform
import resource
import shlex
import sys
import time
from collections import deque
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.curriculum import LearnerProfile
from adaptive.data.log import Response, ResponseLog
from adaptive.placement import grade_placement
from adaptive.placement.level import MIN_CHECK_ANSWERS, LevelFit
from adaptive.policy import AdaptivePolicy, PolicyConfig
from adaptive.policy.adapter import batch_from_model
from adaptive.tracing.bkt import BKT
from experiments.bench_policy import synthetic_catalog
from experiments.settings import add_out, write_section

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "55_vendor.md"
K = 10
HISTORY = 30  # the student's last responses the vendor keeps
NEW_STUDENTS = 30  # students new to the state, each giving a first answer
#: students whose answers were replayed into the state without a placement (`update` adds them
#: at the population prior), each then requested once: that request places them from their grade
REPLAYED = 200
RESERVED = 50_000  # room made with `state.reserve` before the second group of new students
LARGE_PER_SKILL = 3  # activities per skill of the large catalog (the vendor's trial catalog's)


def training_log(catalog, n_students: int, seed: int) -> ResponseLog:
    """Students practising random skills of their grade, BKT-like (known / learning)."""
    rng = np.random.default_rng(seed)
    skills = [s.id for s in catalog.skills]
    per = 40
    student = np.repeat(np.arange(n_students), per)
    skill = rng.integers(0, len(skills), len(student))
    known = rng.random(len(student)) < 0.5
    correct = np.where(known, rng.random(len(student)) < 0.9, rng.random(len(student)) < 0.25)
    frame = pd.DataFrame(
        {
            "student_id": [f"train{i}" for i in student],
            "item_id": [
                f"{skills[k]}.a{v}"
                for k, v in zip(skill, rng.integers(0, 10, len(skill)), strict=True)
            ],
            "skill_ids": [[skills[k]] for k in skill],
            "correct": correct.astype(int),
            "timestamp": pd.Timestamp("2026-09-01", tz="UTC")
            + pd.to_timedelta(np.tile(np.arange(per), n_students) * 3600, unit="s"),
        }
    )
    return ResponseLog.from_frame(frame)


def student_history(catalog, sid: str, n: int, seed: int) -> ResponseLog:
    rng = np.random.default_rng(seed)
    acts = catalog.activities
    pick = rng.integers(0, len(acts), n)
    frame = pd.DataFrame(
        {
            "student_id": sid,
            "item_id": [acts[a].id for a in pick],
            "skill_ids": [list(acts[a].skills) for a in pick],
            "correct": (rng.random(n) < 0.7).astype(int),
            "timestamp": pd.Timestamp("2026-10-01", tz="UTC") + pd.to_timedelta(np.arange(n), "h"),
        }
    )
    return ResponseLog.from_frame(frame)


def as_responses(log: ResponseLog) -> list[Response]:
    return [
        Response(r.student_id, r.item_id, tuple(r.skill_ids), int(r.correct), r.timestamp)
        for r in log.frame.itertuples()
    ]


def responses_frame(responses) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "student_id": [r.student_id for r in responses],
            "item_id": [r.item_id for r in responses],
            "skill_ids": [list(r.skill_ids) for r in responses],
            "correct": [r.correct for r in responses],
            "timestamp": [r.timestamp for r in responses],
        }
    )


def district_state(model, catalog, n: int):
    """A state of `n` students placed from their grade, by the README's start-up path
    (`init_state(ids, prior=grade_placement(catalog, profiles))`), with its seconds and how far
    it raised the process's peak memory (MB; 0 where an earlier, larger step set the peak)."""
    ids = [f"stu{i:07d}" for i in range(n)]
    profiles = [LearnerProfile(s, grade=3 + i % 6) for i, s in enumerate(ids)]
    peak_before = peak_rss_mb()
    t0 = time.perf_counter()
    state = model.init_state(ids, prior=grade_placement(catalog, profiles))
    startup = {
        "startup_s": time.perf_counter() - t0,
        "startup_peak_rise_mb": peak_rss_mb() - peak_before,
    }
    return state, ids, profiles, startup


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_requests(request, calls: int) -> tuple[np.ndarray, np.ndarray]:
    for _ in range(50):
        request(0)
    wall, cpu = np.empty(calls), np.empty(calls)
    for i in range(calls):
        t0, c0 = time.perf_counter(), time.thread_time()
        request(i)
        wall[i], cpu[i] = time.perf_counter() - t0, time.thread_time() - c0
    return wall * 1e3, cpu * 1e3


def first_answer_ms(model, state, answers, prefix: str) -> list[float]:
    """`update(state, Response)` of NEW_STUDENTS students new to the state, one after another."""
    out = []
    for i in range(NEW_STUDENTS):
        answer = dataclasses.replace(answers[i], student_id=f"{prefix}{i:03d}")
        t0 = time.perf_counter()
        model.update(state, answer)
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def first_request_ms(model, state, catalog, profiles, policy, answers, now_d) -> list[float]:
    """The first request of each of `REPLAYED` students whose answer reached the state by a
    replay (`update` of a list: no placement), each with a grade: `batch_from_model` places them
    in that request (a vendor's trial read such first requests at twice the others)."""
    replayed = [
        dataclasses.replace(answers[i % len(answers)], student_id=f"replayed{i:04d}")
        for i in range(REPLAYED)
    ]
    for r in replayed:
        profiles[r.student_id] = LearnerProfile(r.student_id, grade=5)
    model.update(state, replayed)
    out = []
    for r in replayed:
        t0 = time.perf_counter()
        batch = batch_from_model(
            model, state, catalog, profiles, log=[r], student_ids=[r.student_id],
            config=policy.config,
        )  # fmt: skip
        policy.recommend(batch, K, now_d)
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def bench_size(model, catalog, n: int, calls: int) -> dict[str, float]:
    state, ids, plist, startup = district_state(model, catalog, n)
    profiles = {p.student_id: p for p in plist}  # every student's, as the service holds them
    gc.freeze()  # the README's start-up: no request pays for a collection of what was loaded
    policy = AdaptivePolicy(catalog, PolicyConfig.default())
    sid = ids[n // 2]
    profiles.setdefault(sid, LearnerProfile(sid, grade=5, interests={"topic1": 1.0}))
    history = student_history(catalog, sid, 30, seed=3)
    acts = catalog.activities
    rng = np.random.default_rng(5)
    answers = [
        Response(sid, acts[a].id, acts[a].skills, int(c), pd.Timestamp("2026-10-03", tz="UTC"))
        for a, c in zip(rng.integers(0, len(acts), calls + 50), rng.random(calls + 50) < 0.7, strict=True)
    ]  # fmt: skip
    now = pd.Timestamp("2026-10-03", tz="UTC")
    now_d = now.value / 86_400e9

    recent = deque(as_responses(history), maxlen=HISTORY)  # what the vendor keeps per student

    def request(i: int) -> None:
        model.update(state, answers[i])
        recent.append(answers[i])
        batch = batch_from_model(
            model, state, catalog, profiles, log=recent, student_ids=[sid], config=policy.config
        )
        recs = policy.recommend(batch, K, now_d)
        assert len(recs) >= 1, "no recommendation"

    wall, cpu = time_requests(request, calls)
    out = {
        "students": n,
        **startup,
        "p50_ms": float(np.percentile(wall, 50)),
        "p99_ms": float(np.percentile(wall, 99)),
        "cpu_p99_ms": float(np.percentile(cpu, 99)),
    }
    # the same request where the model's check held: the student read from the curriculum order
    measured, model.curriculum_level_ = (
        model.curriculum_level_,
        LevelFit(0.03, MIN_CHECK_ANSWERS, 0.004),
    )
    try:
        level_wall, _ = time_requests(request, calls)
    finally:
        model.curriculum_level_ = measured
    out["level_p50_ms"] = float(np.percentile(level_wall, 50))
    out["level_p99_ms"] = float(np.percentile(level_wall, 99))
    # a new student's first answer (not in the state yet): the state grows into spare rows
    first_answers = first_answer_ms(model, state, answers, "new")
    out["new_student_median_ms"] = float(np.median(first_answers))
    out["new_student_max_ms"] = float(np.max(first_answers))
    # the same after `state.reserve` made room off the request path (a vendor's start-up)
    t0 = time.perf_counter()
    state.reserve(len(state) + RESERVED)
    out["reserve_ms"] = (time.perf_counter() - t0) * 1e3
    out["reserved_max_ms"] = float(np.max(first_answer_ms(model, state, answers, "reserved")))
    if n == 1:  # the other peer: the history as a ResponseLog built per request

        def log_per_request(i: int) -> None:
            model.update(state, answers[i])
            recent.append(answers[i])
            log = ResponseLog.from_frame(responses_frame(recent))
            batch = batch_from_model(
                model, state, catalog, profiles, log=log, student_ids=[sid], config=policy.config
            )
            policy.recommend(batch, K, now_d)

        peer, _ = time_requests(log_per_request, min(calls, 200))
        out["log_peer_p99_ms"] = float(np.percentile(peer, 99))

        def as_table(i: int) -> None:  # the one student through the many-student table
            model.update(state, answers[i])
            recent.append(answers[i])
            batch = batch_from_model(
                model, state, catalog, profiles, log=recent, student_ids=[sid],
                config=policy.config,
            )  # fmt: skip
            policy.recommend_batch(batch, K, now_d)

        peer, _ = time_requests(as_table, min(calls, 500))
        out["table_peer_p50_ms"] = float(np.percentile(peer, 50))
        out["table_peer_p99_ms"] = float(np.percentile(peer, 99))
    if n <= 10_000:  # the peer: mastery of the whole state per request (the old adapter)

        def whole_state(i: int) -> None:
            model.update(state, answers[i])
            model.mastery(state)
            model.predict_skill_proba(state)
            request(i)

        peer, _ = time_requests(whole_state, min(calls, 200))
        out["peer_p99_ms"] = float(np.percentile(peer, 99))
    if n == 1:  # last: its students join the state (the peers above keep their earlier size)
        first = first_request_ms(model, state, catalog, profiles, policy, answers, now_d)
        out["replayed_p50_ms"] = float(np.percentile(first, 50))
        out["replayed_p99_ms"] = float(np.percentile(first, 99))
    return out


def bench_catalog(catalog, sizes: list[int], calls: int) -> list[dict[str, float]]:
    """`bench_size` at each state size, with a BKT model fitted on the catalog."""
    model = BKT(forgets=True, seed=0).fit(training_log(catalog, 2000, seed=1), catalog=catalog)
    rows = []
    for n in sizes:
        r = bench_size(model, catalog, n, calls)
        print(r, flush=True)
        rows.append(r)
    return rows


def sizes_of(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


TABLE_HEAD = (
    "| students in state | p50 (ms) | p99 (ms) | p99 CPU (ms) | peer p99 (ms) | "
    "log-per-request p99 (ms) | target | curriculum order read: p50 / p99 (ms) | "
    "new student's first answer: median / max (ms) | reserve (ms) | after it: max (ms) | "
    "start-up: placed in (s) / peak memory rise (MB) |",
    "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
)


def table_rows(rows: list[dict[str, float]]) -> list[str]:
    """One line of the page's table per state size."""
    lines = []
    for r in rows:
        peer = f"{r['peer_p99_ms']:.2f}" if "peer_p99_ms" in r else "-"
        log_peer = f"{r['log_peer_p99_ms']:.2f}" if "log_peer_p99_ms" in r else "-"
        met = "met" if r["p99_ms"] <= 2.0 else "NOT met"
        lines.append(
            f"| {r['students']:,} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
            f"{r['cpu_p99_ms']:.2f} | {peer} | {log_peer} | p99 <= 2 ms: {met} | "
            f"{r['level_p50_ms']:.2f} / {r['level_p99_ms']:.2f} | "
            f"{r['new_student_median_ms']:.3f} / {r['new_student_max_ms']:.1f} | "
            f"{r['reserve_ms']:.0f} | {r['reserved_max_ms']:.2f} | "
            f"{r['startup_s']:.1f} / {r['startup_peak_rise_mb']:,.0f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10000,400000")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument(
        "--large-skills", type=int, default=864, help="skills of the large catalog (0: none)"
    )
    parser.add_argument("--large-sizes", default="1,10000", help="state sizes on the large catalog")
    add_out(parser, OUT)
    args = parser.parse_args(argv)
    rows = bench_catalog(synthetic_catalog(), sizes_of(args.sizes), args.calls)
    large = []
    if args.large_skills > 0:
        big = synthetic_catalog(args.large_skills, per_skill=LARGE_PER_SKILL)
        large = bench_catalog(big, sizes_of(args.large_sizes), args.calls)
    lines = [
        "## Vendor path: one answer in, one student's top-10 out (issues 16, 17)",
        "",
        "`update(Response)` + `batch_from_model` (placement, graph propagation, ability, the "
        "student's last 30 responses, kept as a list of `Response`) + "
        "`policy.recommend(batch)`, BKT (forgets), 200 skills x 10 activities, shared state of N "
        "placed students. Target: p99 <= 2 ms at 400,000. Peers: the same request plus mastery "
        "of the whole state (what `batch_from_model` computed before), at N <= 10,000; the "
        "history turned into a `ResponseLog` per request, at N = 1. Last columns: "
        f"`update(state, Response)` of {NEW_STUDENTS} students new to the state, one after "
        "another (the state grows into spare rows: the first one may make the room); then "
        f"`state.reserve(len(state) + {RESERVED:,})` (its time) and {NEW_STUDENTS} more; "
        "the start-up: `init_state(ids, prior=grade_placement(catalog, profiles))` of the N "
        "students in one call (the README's path), its seconds and how far it raised the "
        "process's peak resident memory (0: under an earlier step's peak); every student's "
        "profile is held in a dict and `gc.freeze()` called after start-up, as the README "
        "advises. "
        f"{platform.processor() or platform.machine()}, one "
        "thread, a shared machine (wall times are upper bounds; CPU time excludes preemption).",
        "",
        *TABLE_HEAD,
    ]
    lines += table_rows(rows)
    table = [r for r in rows if "table_peer_p50_ms" in r]
    if table:  # one student through `recommend_batch`, the many-student table (at N = 1)
        r = table[0]
        lines += [
            "",
            f"The same request with `recommend_batch(batch, {K})` (a table for many students) "
            f"in place of `recommend`, at N = 1: p50 {r['table_peer_p50_ms']:.2f} ms, p99 "
            f"{r['table_peer_p99_ms']:.2f} ms (`recommend`: {r['p50_ms']:.2f} / "
            f"{r['p99_ms']:.2f}). The first request of each of {REPLAYED} students whose "
            "answer reached the state by a replay (`update` of a list: no placement), which "
            "places them from their grade: p50 "
            f"{r['replayed_p50_ms']:.2f} ms, p99 {r['replayed_p99_ms']:.2f} ms.",
        ]
    if large:
        n_s = args.large_skills
        lines += [
            "",
            f"The same on a large catalog: {n_s} skills x {LARGE_PER_SKILL} activities "
            f"({n_s * LARGE_PER_SKILL:,} activities, `synthetic_catalog({n_s}, "
            f"per_skill={LARGE_PER_SKILL})`, seed 0), the cost's growth with the skills:",
            "",
            *TABLE_HEAD,
            *table_rows(large),
        ]
    lines += ["", f"Reproduce: `python -m experiments.bench_vendor {shlex.join(sys.argv[1:])}`"]
    write_section(args.out, "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
