"""Off-policy evaluation in simulation (issue 19, item 4): do IPS, SNIPS and DR find the truth?

    python -m experiments.bench_ope                                  # -> results/57_ope.md
    python -m experiments.bench_ope --students 300 --days 5 --seeds 1   # a quick look
    python -m experiments.bench_ope --speed 400000                   # + the 400,000-student night
    python -m experiments.bench_ope --aa 40 --students 400           # A/A check -> 57_ope_aa.md

Per (simulator, seed): a cohort of `--students` students (`policy_eval.make_cohort`, the
shipped tracer fitted on other students, placement and 20 warm days) is served for `--days` days
through the shipped path (`batch_from_model` -> `Policy.select`, k = 1) by a *stochastic deployed
policy*: the adaptive policy with `exploration = "softmax"` at `--log-temperature`, its propensity
logged. The simulator answers; the tracer absorbs the day. On the same students, at the same
moments, every candidate is run on the same batch (`first_slot_distribution`): its probability of
the logged activity goes to the estimators, and its *true* value is read from the simulator
(the expected outcome of the candidate's own choice for that student at that moment: P(correct)
x P(complete) for `correct`, P(complete) for `engagement`). The estimand is thus the
candidate's value on the logged students' states: what the students would have scored had the
candidate chosen their next activity (the one-step value the logs identify; a 20-day rollout of
the candidate would also move the states, which no log can show).

Candidates: the adaptive policy deterministic, with other weights, and sampled at another
temperature; the baselines `random`, `zpdes`, `greedy-target`, `curriculum-mastery`. Each case
(policy, simulator, seed) reports IPS, SNIPS and DR with a 95% student-clustered bootstrap
interval, the effective sample size and the overlap; the summary gives bias, RMSE and coverage
per estimator over the cases the tool accepts (overlap and ESS above the `adaptive ope`
defaults) and over all of them. A case's `obp` column runs Open Bandit Pipeline 0.5.7 (in its
own venv, `--obp-python`) on the same arrays.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from adaptive.evaluation.ope import Decisions, check_support, estimate  # noqa: E402
from adaptive.evaluation.ope.estimators import SupportError  # noqa: E402
from adaptive.evaluation.ope.evaluate import Contexts, score_contexts  # noqa: E402
from adaptive.evaluation.ope.outcome import cross_fit_outcome  # noqa: E402
from adaptive.evaluation.policy_eval import (  # noqa: E402
    FAMILIES,
    START,
    fit_tracer,
    make_cohort,
    split_kind,
)
from adaptive.placement import grade_placement  # noqa: E402
from adaptive.placement.prior import placement_table  # noqa: E402
from adaptive.policy import AdaptivePolicy, PolicyConfig, to_days  # noqa: E402
from adaptive.policy.adapter import batch_from_model  # noqa: E402
from adaptive.policy.baselines import make_policy  # noqa: E402
from adaptive.policy.exploration import first_slot_distribution  # noqa: E402
from adaptive.simulation.schedule import LogBuilder, Responses  # noqa: E402
from experiments.settings import add_out, out_flag, write_section  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "57_ope.md"
METRICS = ("correct", "engagement")
MIN_OVERLAP, MIN_ESS = 0.9, 100.0
#: The candidate's support kept for the DR model term (a sampled candidate at temperature 0.5
#: spreads over many activities; `dropped_mass` reports what is left out).
MAX_ACTIONS = 256
OUT_SPEED = HERE / "results" / "57_ope_speed.md"
OUT_AA = HERE / "results" / "57_ope_aa.md"


def candidates(catalog, base: PolicyConfig) -> dict:
    """The policies to evaluate off-policy (none of them is the logging policy)."""
    w = base.weights
    return {
        "adaptive": AdaptivePolicy(catalog, base),
        "adaptive-T0.5": AdaptivePolicy(
            catalog, base.with_(exploration="softmax", exploration_temperature=0.5)
        ),
        "adaptive-no-interest": AdaptivePolicy(catalog, base.with_(weights={"interest": 0.0})),
        "adaptive-difficulty-x4": AdaptivePolicy(
            catalog, base.with_(weights={"difficulty": 4 * w["difficulty"]})
        ),
        "random": make_policy("random", catalog, base, 1),
        "zpdes": make_policy("zpdes", catalog, base, 1),
        "greedy-target": make_policy("greedy-target", catalog, base, 1),
        "curriculum-mastery": make_policy("curriculum-mastery", catalog, base, 1),
    }


def simulate_logs(kind: str, seed: int, students: int, days: int, temperature: float) -> dict:
    """Serve a cohort with the exploring policy; per candidate: contexts and true values."""
    family, _ = split_kind(kind)
    catalog = family.catalog()
    model = fit_tracer(
        catalog, family.name, 1000, 50, seed=10_000 + list(FAMILIES).index(family.name)
    )
    cohort = make_cohort(catalog, kind, students, seed)
    base = PolicyConfig.default()
    logging_cfg = base.with_(exploration="softmax", exploration_temperature=temperature,
                             exploration_seed=seed)  # fmt: skip
    logging = AdaptivePolicy(catalog, logging_cfg)
    cands = candidates(catalog, base)
    sim = cohort.simulator()
    ids = list(cohort.student_ids)
    table = placement_table(base.grade_table, model)  # as the nightly job places them
    state = model.init_state(ids, prior=grade_placement(catalog, cohort.profiles, table))
    builder = LogBuilder(catalog, ids, START)
    frames = []
    if len(cohort.warm):
        frames.append(builder.frame(cohort.warm))
        model.update(state, builder.log(frames[0]))
    log = {"cluster": [], "act": [], "p0": [], "correct": [], "engagement": []}
    per = {name: {"contexts": [], "truth_correct": [], "truth_engagement": []} for name in cands}
    for t in range(days):
        day = cohort.first_day + t
        stamp = START + pd.Timedelta(days=day)
        now = to_days(stamp)
        batch = batch_from_model(
            model, state, catalog, cohort.profiles, log=builder.log(frames), now=stamp,
            config=base, min_grade=cohort.min_grade, max_grade=cohort.max_grade,
        )  # fmt: skip
        sel = logging.select(batch, 1, now)
        who = np.flatnonzero(sel.activity[:, 0] >= 0)
        act = sel.activity[who, 0]
        sub = batch.take(who)
        for name, pol in cands.items():
            dist = first_slot_distribution(pol, sub, now)
            ctx = score_contexts(pol, sub, now, act, max_actions=MAX_ACTIONS, dist=dist)
            r, a = np.nonzero(dist > 0)  # the truth over the candidate's whole distribution
            pc = sim.p_correct(who[r], a, day)
            pk = sim.p_complete(who[r], a, day)
            tc, te = np.zeros(len(who)), np.zeros(len(who))
            np.add.at(tc, r, dist[r, a] * pc * pk)
            np.add.at(te, r, dist[r, a] * pk)
            per[name]["contexts"].append(ctx)
            per[name]["truth_correct"].append(tc)
            per[name]["truth_engagement"].append(te)
        correct, done = sim.respond(who, act, day)
        log["cluster"].append(who)
        log["act"].append(act)
        log["p0"].append(sel.propensity[who, 0])
        log["correct"].append(correct.astype(float))
        log["engagement"].append(done.astype(float))
        today = Responses(who[done], act[done], correct[done], np.full(int(done.sum()), day))
        frames.append(builder.frame(today))
        model.update(state, builder.log(frames[-1]))
    out = {k: np.concatenate(v) for k, v in log.items()}
    out["candidates"] = {
        name: {
            "contexts": Contexts.concat(v["contexts"]),
            "truth_correct": float(np.concatenate(v["truth_correct"]).mean()),
            "truth_engagement": float(np.concatenate(v["truth_engagement"]).mean()),
        }
        for name, v in per.items()
    }
    return out


def evaluate_case(logs: dict, name: str, metric: str, n_boot: int, seed: int) -> tuple[dict, dict]:
    """One (candidate, metric): the three estimates, diagnostics and truth; obp's inputs."""
    cand = logs["candidates"][name]
    ctx: Contexts = cand["contexts"]
    reward = logs[metric]
    q_logged, q_target, q_support = cross_fit_outcome(
        ctx.phi_logged, reward, logs["cluster"], ctx.phi_support, ctx.prob_support, True, seed=seed
    )
    d = Decisions.build(logs["cluster"], reward, logs["p0"], ctx.target_p, q_logged, q_target)
    estimates, diag = estimate(d, n_boot=n_boot, seed=seed)
    try:
        check_support(diag, MIN_OVERLAP, MIN_ESS)
        accepted = True
    except SupportError:
        accepted = False
    truth = cand[f"truth_{metric}"]
    row = {"policy": name, "metric": metric, "truth": truth, "ess": diag.ess,
           "overlap": diag.overlap, "accepted": accepted,
           "dropped_mass": float(ctx.dropped.mean())}  # fmt: skip
    for e in estimates:
        row[e.estimator] = e.value
        row[f"{e.estimator}_lo"], row[f"{e.estimator}_hi"] = e.ci_low, e.ci_high
        row[f"{e.estimator}_covered"] = bool(e.ci_low <= truth <= e.ci_high)
    return row, obp_inputs(d, ctx, q_support, logs["act"])


def obp_inputs(d: Decisions, ctx: Contexts, q_support: np.ndarray, logged: np.ndarray) -> dict:
    """The same decisions in obp's form. Per decision the action space is relabelled: action 0
    = the logged activity, 1..M = the candidate's support (its mass moved to action 0 where it is
    the logged one), M+1 = the candidate's dropped mass with q = 0 (as ours), so every row of
    action_dist sums to 1."""
    n, m = ctx.prob_support.shape
    act_dist = np.zeros((n, m + 2))
    q = np.zeros((n, m + 2))
    act_dist[:, 0] = d.target_p
    q[:, 0] = d.q_logged
    act_dist[:, 1 : m + 1] = np.where(ctx.support_act == logged[:, None], 0.0, ctx.prob_support)
    q[:, 1 : m + 1] = q_support
    act_dist[:, m + 1] = np.clip(1.0 - act_dist[:, : m + 1].sum(axis=1), 0.0, None)
    return {"reward": d.reward, "pscore": d.logging_p, "action_dist": act_dist, "q": q}


def run_obp(python: str, cases: list[dict]) -> list[dict]:
    """obp's IPS, SNIPS and DR on each case's decisions (one process in obp's own venv)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, case in enumerate(cases):
            paths.append(str(Path(tmp) / f"case{i}.npz"))
            np.savez(paths[-1], **case)
        proc = subprocess.run([python, "-c", OBP_SCRIPT, *paths], capture_output=True, text=True,
                              timeout=1200)  # fmt: skip
    if proc.returncode != 0:
        error = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return [{"obp_error": error} for _ in cases]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    return [{f"obp_{k}": v for k, v in r.items()} for r in results]


OBP_SCRIPT = """
import json, sys, warnings
import numpy as np
warnings.filterwarnings("ignore")
from obp.ope import DoublyRobust, InverseProbabilityWeighting, SelfNormalizedInverseProbabilityWeighting
out = []
for path in sys.argv[1:]:
    z = np.load(path)
    n = len(z["reward"])
    kw = dict(reward=z["reward"], action=np.zeros(n, int), pscore=z["pscore"],
              action_dist=z["action_dist"][:, :, None], position=np.zeros(n, int))
    out.append({"ips": float(InverseProbabilityWeighting().estimate_policy_value(**kw)),
                "snips": float(SelfNormalizedInverseProbabilityWeighting().estimate_policy_value(**kw)),
                "dr": float(DoublyRobust().estimate_policy_value(
                    estimated_rewards_by_reg_model=z["q"][:, :, None], **kw))})
print(json.dumps(out))
"""


def md_table(frame: pd.DataFrame, digits: int = 4) -> str:
    """A markdown table (no tabulate dependency): floats to `digits` decimals."""

    def cell(v) -> str:
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else f"{v:.{digits}f}"
        return str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def summarize(cases: pd.DataFrame, accepted_only: bool) -> pd.DataFrame:
    """Bias, RMSE and coverage per estimator and metric."""
    part = cases[cases["accepted"]] if accepted_only else cases
    rows = []
    for metric, g in part.groupby("metric"):
        for est in ("ips", "snips", "dr"):
            err = g[est] - g["truth"]
            rows.append({
                "metric": metric, "estimator": est, "cases": len(g),
                "bias": err.mean(), "rmse": float(np.sqrt((err**2).mean())),
                "coverage": g[f"{est}_covered"].mean(),
                "mean_interval_width": (g[f"{est}_hi"] - g[f"{est}_lo"]).mean(),
            })  # fmt: skip
    return pd.DataFrame(rows)


def speed(n_students: int, n_activities: int = 630, seed: int = 0) -> dict:
    """OPE on one night of `n_students` decisions, from the per-decision arrays `score_contexts`
    produces (candidate probability, outcome features): cross-fitted DR model, three estimators,
    500 clustered bootstrap replicates. Time and peak memory of this process."""
    import resource

    rng = np.random.default_rng(seed)
    n, m, p = n_students, 32, 5
    ctx = Contexts(
        target_p=rng.random(n) * 0.5, phi_logged=rng.normal(size=(n, p)),
        phi_support=rng.normal(size=(n, m, p)), prob_support=np.full((n, m), 1.0 / m),
        dropped=np.zeros(n), support_act=rng.integers(0, n_activities, (n, m)),
        logged_in_support=np.ones(n, bool),
    )  # fmt: skip
    reward = (rng.random(n) < 0.6).astype(float)
    p0 = np.clip(rng.random(n), 0.05, 1.0)
    t0 = time.perf_counter()
    from adaptive.evaluation.ope.evaluate import estimate_value

    table, diag = estimate_value(ctx, p0, np.arange(n), {"correct": reward}, {"correct": True},
                                 n_boot=500, refuse=False)  # fmt: skip
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    return {"step": "estimators", "students": n, "seconds": seconds, "peak_gb": peak,
            "n_boot": 500}  # fmt: skip


def speed_policy(n_students: int) -> dict:
    """The candidate's side at district scale: `first_slot_distribution` + `score_contexts` for
    `n_students` students of the district catalog (630 activities), state from placement only."""
    from adaptive.policy import StudentBatch
    from adaptive.simulation.district import district_catalog

    catalog = district_catalog(0)
    rng = np.random.default_rng(0)
    n_s = len(catalog.skills)
    policy = AdaptivePolicy(catalog, PolicyConfig.default())
    t0 = time.perf_counter()
    step = 20_000
    for start in range(0, n_students, step):
        n = min(step, n_students - start)
        batch = StudentBatch.build(
            catalog, [f"s{start + i}" for i in range(n)], rng.uniform(0, 1, (n, n_s)),
            n_responses=rng.integers(0, 6, (n, n_s)), grade=rng.integers(3, 9, n).astype(float),
            daily_minutes=np.full(n, 30.0),
        )  # fmt: skip
        score_contexts(policy, batch, 20_000.0, rng.integers(0, len(catalog.activities), n))
    import resource

    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    return {"step": "candidate (score_contexts)", "students": n_students, "seconds": seconds,
            "peak_gb": peak, "n_boot": 0}  # fmt: skip


def end_to_end(n_students: int, work: Path, profile: bool = False) -> dict:
    """`evaluate_logs` (what `adaptive ope` runs) on one night of a simulated district served by
    the exploring job: snapshot, the job's student_batch, the candidate, the outcomes from the
    response log, the estimators and the MLflow run. Setup (simulate, train the champion on at
    most 10,000 of the students as bench_batch does, serve the night) is not timed, and is kept
    in `work` (a served night there is reused); the evaluation runs in its own process, whose
    time and peak memory are reported (under cProfile with `profile`: the profile goes to
    stderr, and the profiler slows the Python-heavy parts)."""
    import json as _json
    import sys

    uri = f"sqlite:///{work / 'mlflow.db'}"
    if not (work / "served.json").is_file():
        serve_night(n_students, work, uri)
    code = EVALUATE.format(work=str(work), uri=uri, profile=profile)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    print(proc.stderr[-6000:], file=sys.stderr)  # the evaluation's profile, for the log
    out = _json.loads(proc.stdout.strip().splitlines()[-1])
    how = "under cProfile" if profile else "no profiler"
    return {"step": f"adaptive ope end to end (evaluate_logs, own process, {how})", **out,
            "n_boot": 500}  # fmt: skip


def serve_night(n_students: int, work: Path, uri: str) -> None:
    """The end-to-end run's inputs in `work`: a simulated district's files, a champion trained
    on at most 10,000 of its students, and one night served by the exploring job."""
    from adaptive.batch.job import run_daily_job
    from adaptive.registry import promote, train_model
    from adaptive.simulation.district import simulate_district, write_district

    sim = simulate_district(n_students, 5, responses_per_student=50)
    write_district(sim, work / "files")
    log = sim.response_log()
    train = log.take_students(log.students[: min(10_000, log.n_students)])
    trained = train_model("bkt", train, registered_name="ope-speed", folds=2, tracking_uri=uri)
    promote("ope-speed", trained.version, train, tracking_uri=uri)
    night = (log.frame["timestamp"].min().normalize() + pd.Timedelta(days=30)).strftime("%Y-%m-%d")
    del sim, train
    exploring = PolicyConfig.default().with_(exploration="softmax", exploration_temperature=1.0)
    run_daily_job(night, work / "out", model_name="ope-speed", data=log, k=5,
                  catalog=work / "files" / "catalog.json", policy_config=exploring,
                  profiles=work / "files" / "profiles.jsonl", tracking_uri=uri,
                  show_progress=False)  # fmt: skip
    (work / "served.json").write_text(json.dumps({"students": n_students, "night": night}))


EVALUATE = """
import cProfile, io, json, pstats, sys, time
from pathlib import Path
from adaptive.evaluation.ope.logs import evaluate_logs
from adaptive.policy import PolicyConfig
work = Path({work!r})
prof = cProfile.Profile() if {profile!r} else None
t0 = time.perf_counter()
if prof:
    prof.enable()
r = evaluate_logs(work / "out", PolicyConfig.default(), data=str(work / "files" / "responses.parquet"),
                  catalog=work / "files" / "catalog.json", profiles=work / "files" / "profiles.jsonl",
                  tracking_uri={uri!r}, min_overlap=0.0, min_ess=0.0)
if prof:
    prof.disable()
seconds = time.perf_counter() - t0
if prof:
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
    print(buf.getvalue(), file=sys.stderr)
print(r.estimates.to_csv(index=False), file=sys.stderr)
# VmHWM: this process's own peak (ru_maxrss survives exec, so it would report the parent's
# peak when that was larger, e.g. right after the setup served the night)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({{"students": r.diagnostics.n_decisions, "seconds": seconds,
                  "peak_gb": hwm / 1e6}}))
"""


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=2000)
    ap.add_argument("--days", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument(
        "--first-seed", type=int, default=0, help="cohort seeds first-seed .. first-seed+seeds-1"
    )
    ap.add_argument("--simulators", default="bkt,logistic,prerequisite")
    ap.add_argument("--log-temperature", type=float, default=1.0)
    ap.add_argument("--n-boot", type=int, default=500)
    ap.add_argument("--obp-python", default="/tmp/obp-venv/bin/python")
    ap.add_argument("--speed", type=int, default=0, help="students of the speed run (0 = skip)")
    ap.add_argument(
        "--end-to-end",
        type=int,
        default=0,
        help="students of a timed `evaluate_logs` run on a served night (0 = skip)",
    )
    ap.add_argument(
        "--aa",
        type=int,
        default=0,
        help="exploration seeds of the A/A check: `adaptive ope`'s library call on the logging "
        "policy's own nights, whose true dr_minus_logged is 0 (0 = skip; with --students, "
        "--log-temperature)",
    )
    ap.add_argument(
        "--aa-district", type=int, default=3, help="seed of the A/A check's simulated district"
    )
    ap.add_argument(
        "--work",
        type=Path,
        default=None,
        help="folder that keeps the end-to-end run's served night for reuse (default: temporary)",
    )
    add_out(
        ap,
        None,
        companions="its table of cases (the same name, .csv) goes",
        default_text=f"experiments/results/{OUT.name}, with --speed {OUT_SPEED.name}, with "
        f"--aa {OUT_AA.name}",
    )
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = OUT_SPEED if args.speed else OUT_AA if args.aa else OUT
    obp = args.obp_python if args.obp_python and Path(args.obp_python).exists() else None
    if args.speed:
        rows = [with_load(speed, args.speed), with_load(speed_policy, args.speed)]
        if args.end_to_end:
            with tempfile.TemporaryDirectory() as tmp:
                work = args.work or Path(tmp)
                work.mkdir(parents=True, exist_ok=True)
                if not (work / "served.json").is_file():  # setup, not timed
                    serve_night(args.end_to_end, work, f"sqlite:///{work / 'mlflow.db'}")
                for profile in (False, True):
                    rows.append(with_load(end_to_end, args.end_to_end, work, profile=profile))
        work = f" --work {args.work}" if args.work else ""
        command = f"--speed {args.speed} --end-to-end {args.end_to_end}{work}"
        write_speed(rows, command + out_flag(args.out, OUT_SPEED), args.out)
        return
    if args.aa:
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            runs = aa_runs(
                args.aa,
                args.students,
                args.log_temperature,
                Path(args.work or tmp),
                args.aa_district,
            )
        write_aa(pd.DataFrame(runs), args, time.perf_counter() - t0)
        return
    rows = []
    t0 = time.perf_counter()
    for kind in args.simulators.split(","):
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            t1 = time.perf_counter()
            logs = simulate_logs(kind, seed, args.students, args.days, args.log_temperature)
            cell, inputs = [], []
            for name in logs["candidates"]:
                for metric in METRICS:
                    row, obp_case = evaluate_case(logs, name, metric, args.n_boot, seed)
                    cell.append({"simulator": kind, "seed": seed, **row})
                    inputs.append(obp_case)
            if obp and seed == 0:
                for row, extra in zip(cell, run_obp(obp, inputs), strict=True):
                    row.update(extra)
            rows += cell
            print(f"{kind} seed {seed}: {time.perf_counter() - t1:.0f}s", flush=True)
    write(pd.DataFrame(rows), args, time.perf_counter() - t0, obp)


def aa_runs(
    n_seeds: int, n_students: int, temperature: float, work: Path, district: int = 3
) -> list[dict]:
    """The A/A check a user runs, `n_seeds` times: a simulated district (seed `district`, 3 as
    the tests' fixture; 20 responses per student, an IRT champion) served two nights (days 12
    and 15) by the exploring policy with exploration seed s, then `evaluate_logs` of that same
    policy on those nights (bootstrap and fold seed s). Every weight is 1, so the true
    `dr_minus_logged` is 0: one row per (seed, metric) with its estimate, interval and bootstrap
    standard error."""
    import warnings

    from adaptive.batch.job import run_daily_job
    from adaptive.evaluation.ope.estimators import DIFFERENCE
    from adaptive.evaluation.ope.logs import evaluate_logs
    from adaptive.registry import promote, train_model
    from adaptive.simulation.district import simulate_district, write_district

    warnings.filterwarnings("ignore")  # "a simulated district's log is a fixed history": known
    files, uri = work / "files", f"sqlite:///{work / 'mlflow.db'}"
    sim = simulate_district(n_students, district, responses_per_student=20, max_school_days=30)
    write_district(sim, files)
    log = sim.response_log()
    trained = train_model("irt", log, registered_name="ope-aa", folds=2, tracking_uri=uri)
    promote("ope-aa", trained.version, log, tracking_uri=uri)
    start = log.frame["timestamp"].min().normalize()
    nights = [(start + pd.Timedelta(days=d)).strftime("%Y-%m-%d") for d in (12, 15)]
    inputs = {"catalog": files / "catalog.json", "profiles": files / "profiles.jsonl",
              "tracking_uri": uri}  # fmt: skip
    rows = []
    for seed in range(n_seeds):
        config = PolicyConfig.default().with_(exploration="softmax", exploration_seed=seed,
                                              exploration_temperature=temperature)  # fmt: skip
        out = work / f"out{seed}"
        for night in nights:
            run_daily_job(night, out, model_name="ope-aa", data=log, k=3, policy_config=config,
                          show_progress=False, **inputs)  # fmt: skip
        result = evaluate_logs(out, config, data=str(files / "responses.parquet"), seed=seed,
                               min_overlap=0.9, min_ess=10, **inputs)  # fmt: skip
        table = result.estimates.set_index(["metric", "estimator"])
        for metric in METRICS:
            e = table.loc[(metric, DIFFERENCE)]
            diag = result.diagnostics
            rows.append({"seed": seed, "metric": metric, "decisions": diag.n_decisions,
                         "mean_weight": diag.mean_weight, "value": e["value"],
                         "ci_low": e["ci_low"], "ci_high": e["ci_high"],
                         "std_error": e["std_error"]})  # fmt: skip
    return rows


def aa_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per metric: the mean of `dr_minus_logged` over the seeds, its standard error across seeds
    and their ratio (z), the spread across seeds beside the bootstrap's mean standard error, and
    how many 95% intervals exclude 0 (above / below). Unbiased and calibrated: |z| under about 2,
    spread near the bootstrap's, misses near 5% and on both sides."""
    rows = []
    for metric, g in runs.groupby("metric", sort=False):
        v, sd = g["value"], g["value"].std(ddof=1)
        se = sd / np.sqrt(len(g))
        above, below = int((g["ci_low"] > 0).sum()), int((g["ci_high"] < 0).sum())
        rows.append({"metric": metric, "runs": len(g), "mean": v.mean(),
                     "se_across_seeds": se, "z": v.mean() / se,
                     "sd_across_seeds": sd, "mean_bootstrap_se": g["std_error"].mean(),
                     "misses": above + below, "miss_share": (above + below) / len(g),
                     "above_0": above, "below_0": below})  # fmt: skip
    return pd.DataFrame(rows)


def write_aa(runs: pd.DataFrame, args, seconds: float) -> None:
    """`57_ope_aa.md` (or `--out`): the A/A summary; every run in the .csv beside it."""
    district = "" if args.aa_district == 3 else f" --aa-district {args.aa_district}"
    command = (f"--aa {args.aa} --students {args.students} --log-temperature "
               f"{args.log_temperature}{district}" + out_flag(args.out, OUT_AA))  # fmt: skip
    text = "\n".join([
        "# Off-policy evaluation: the A/A check (the logging policy on its own nights)", "",
        f"`python -m experiments.bench_ope {command}`", "",
        f"A simulated district of {args.students} students (seed {args.aa_district}), served two "
        f"nights by the adaptive policy exploring at temperature {args.log_temperature} (k = 3), "
        f"once per exploration seed 0..{args.aa - 1}; `evaluate_logs` (`adaptive ope`) of that "
        "same policy on those nights, bootstrap and outcome-model folds seeded alike. Every "
        "importance weight is 1, so the true `dr_minus_logged` is exactly 0. z = the mean over seeds / its "
        "standard error across seeds. Unbiased and calibrated: |z| under about 2, the spread "
        "across seeds near the bootstrap's standard error, about 5% of the 95% intervals "
        f"excluding 0, on both sides. Run time {seconds:.0f} s on a shared 2-core machine.", "",
        md_table(aa_summary(runs), 5), "",
    ])  # fmt: skip
    write_section(args.out, text)
    write_section(args.out.with_suffix(".csv"), runs.to_csv(index=False, float_format="%.6g"))
    print(text)


#: Where the hand-written part of `57_ope_speed.md` starts (before/after figures, kept when the
#: benchmark rewrites the table above it).
HISTORY = "## Before and after"


def with_load(step, *args, **kwargs) -> dict:
    """`step(*args, **kwargs)`'s row with the 1-minute load average when it started."""
    load = os.getloadavg()[0]
    return {**step(*args, **kwargs), "load_1min": load}


def write_speed(rows: list[dict], command: str, out: Path = OUT_SPEED) -> None:
    """`57_ope_speed.md` (or `out`): the estimators, the candidate's side and the end-to-end
    night; the file's hand-written `HISTORY` section is kept."""
    old = out.read_text() if out.is_file() else ""
    kept = old[old.index(HISTORY) :] if HISTORY in old else ""
    text = "\n".join([
        "# Off-policy evaluation: one night of a 400,000-student district (issue 19)", "",
        f"`flock /tmp/adaptive-heavy.lock python -m experiments.bench_ope {command}`", "",
        "Row 1: the estimators on 400,000 decisions (cross-fitted DR outcome model, IPS, SNIPS, "
        "DR, 500 student-clustered bootstrap replicates), from the per-decision arrays. Row 2: "
        "the candidate's side, `score_contexts` (the candidate policy's first-slot distribution "
        "and the outcome features) for 400,000 students of the district catalog (630 "
        "activities), in chunks. Rows 3 and 4: `adaptive ope`'s library call (`evaluate_logs`, "
        "metrics correct and engagement) end to end on one night of a simulated district "
        "(`--end-to-end` students) served by the exploring job (temperature 1.0, k = 5), setup "
        "not timed, in a process of its own: row 3 as it runs, row 4 under cProfile (profile in "
        "the log; the profiler slows the Python-heavy parts). Peak = max resident memory of the "
        "process. load_1min = the machine's 1-minute load average when the step started (2 "
        "cores, shared by other engineers' jobs): times are upper bounds.", "",
        md_table(pd.DataFrame(rows), 2), "",
    ])  # fmt: skip
    text += ("\n" + kept) if kept else ""
    write_section(out, text)
    print(text)


def write(cases: pd.DataFrame, args, seconds: float, obp: str | None) -> None:
    fmt = "%.4f"
    acc = summarize(cases, True)
    allc = summarize(cases, False)
    lines = [
        "# Off-policy evaluation in simulation (issue 19)",
        "",
        f"`python -m experiments.bench_ope --students {args.students} --days {args.days} "
        f"--seeds {args.seeds}"
        + (f" --first-seed {args.first_seed}" if args.first_seed else "")
        + f" --simulators {args.simulators} --log-temperature {args.log_temperature}"
        + out_flag(args.out, OUT)
        + "`",
        "",
        f"Deployed (logging) policy: the adaptive policy, softmax exploration at temperature "
        f"{args.log_temperature}; {args.students} students x {args.days} days per "
        f"(simulator, seed); truth = the simulator's expected outcome of each candidate's own "
        f"choice on the same students at the same moments. 95% intervals, {args.n_boot} "
        f"student-clustered bootstrap replicates. Accepted = overlap >= {MIN_OVERLAP} and "
        f"ESS >= {MIN_ESS:g} (the `adaptive ope` defaults; overlap = the mean importance "
        "weight clipped to [0, 1], as `adaptive ope` prints it). Run time "
        f"{seconds:.0f} s on a shared 2-core machine.",
        "",
        "## Summary over the accepted cases",
        "",
        md_table(acc, 4),
        "",
        "## Summary over all cases (refused ones included)",
        "",
        md_table(allc, 4),
        "",
        "## Every case",
        "",
    ]
    cols = ["simulator", "seed", "policy", "metric", "truth", "ips", "snips", "dr",
            "dr_lo", "dr_hi", "ess", "overlap", "dropped_mass", "accepted"]  # fmt: skip
    obp_cols = [c for c in ("obp_ips", "obp_snips", "obp_dr", "obp_error") if c in cases.columns]
    lines.append(md_table(cases[cols + obp_cols], 4))
    if obp_cols:
        sub = cases.dropna(subset=[c for c in ("obp_ips",) if c in cases.columns])
        if len(sub):
            diffs = {
                e: float((sub[e] - sub[f"obp_{e}"]).abs().max()) for e in ("ips", "snips", "dr")
            }
            lines += ["", f"Largest |ours - obp| over the {len(sub)} cases run through obp "
                      f"({obp}): " + ", ".join(f"{k} {v:.2e}" for k, v in diffs.items())]  # fmt: skip
    else:
        lines += ["", "obp: not run (no obp venv found; see the notes)."]
    write_section(args.out, "\n".join(lines) + "\n")
    write_section(args.out.with_suffix(".csv"), cases.to_csv(index=False, float_format=fmt))
    print("\n".join(lines[:40]))


if __name__ == "__main__":
    main()
