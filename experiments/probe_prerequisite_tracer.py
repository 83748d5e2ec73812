"""Probes of issue 16 on the prerequisite family: where the shipped tracer's reading differs from
the truth, and whether a prerequisite-aware reading of the answers would move the policy.

Results: `experiments/results/56_prerequisite_tracer.md`. Each probe runs the shipped
path (`policy_eval.run_matrix`, adaptive policy, cohort seed 100, 50 activities) with one
piece monkeypatched, and compares it, student by student, with cached runs of the unchanged
path (`base_<sim>_<n>_100.csv`) and of the ceiling (`ceiling_<sim>_<n>_100.csv`) in `--cache`
(one `value` column of skills_gained@50 per student, in student order).

    python -m experiments.probe_prerequisite_tracer calib --out snap.parquet
    python -m experiments.probe_prerequisite_tracer coupled --lam 0.5 --mu 0.95 --prop
    python -m experiments.probe_prerequisite_tracer graph --mode none --sims prerequisite,bkt
    python -m experiments.probe_prerequisite_tracer raise --value 0.5 --against 1 --sims logistic

Diagnostics, not shippable code: `coupled` sets its strengths by hand (the simulator's own form
and values), which is what a fit on the district's log could at best recover.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pandas as pd

import adaptive.evaluation.policy_eval as pe
import adaptive.policy.adapter as adapter
from adaptive.placement.graph import graph_propagation
from adaptive.policy import PolicyConfig
from adaptive.tracing.bkt_tables import GUESS, LEARN, SLIP

M = "skills_gained@50"


def run(sim: str, students: int, graph_raise: float | None = None) -> pd.DataFrame:
    """The shipped adaptive policy on one family, as the probes patch it (`graph_raise`: the
    policy's raise from answered dependents, `PolicyConfig.graph_raise`; None: the default)."""
    config = PolicyConfig.default()
    if graph_raise is not None:
        config = config.with_(graph_raise=graph_raise)
    return pe.run_matrix(
        pe.EvalSettings(
            students=students, seeds=1, activities=(50,), simulators=(sim,), first_seed=100,
            n_boot=10, policies=("adaptive",), policy_config=config,
        )
    )  # fmt: skip


def gains(df: pd.DataFrame) -> np.ndarray:
    """Each student's gain@50, in student order."""
    return df[df.metric == M].sort_values("student")["value"].to_numpy()


def paired_line(
    tag: str, sim: str, students: int, df: pd.DataFrame, cache: Path,
    base: np.ndarray | None = None,
) -> str:  # fmt: skip
    """gain@50, its ratio to the ceiling, and the paired difference with the unchanged path
    (the cached run of the path before this stop, or `base`: a run made here)."""
    v = gains(df)
    ceiling = cache / f"ceiling_{sim}_{students}_100.csv"
    ratio = v.mean() / pd.read_csv(ceiling)["value"].mean() if ceiling.exists() else np.nan
    if base is None:
        base = pd.read_csv(cache / f"base_{sim}_{students}_100.csv")["value"].to_numpy()
    d = v - base
    se = d.std(ddof=1) / np.sqrt(len(d))
    mm = df.groupby("metric")["value"].mean()
    return (
        f"{tag:>10} {sim} n={students} gain@50 {v.mean():.3f} ratio {ratio:.3f} "
        f"vs shipped {d.mean():+.3f} [{d.mean() - 1.96 * se:+.3f},{d.mean() + 1.96 * se:+.3f}] "
        f"over {mm['over_practice']:.2f} unready {mm['on_unready']:.2f}"
    )


# -- calib: the policy's mastery against the truth ---------------------------------------------
def calib(a: argparse.Namespace) -> None:
    """Snapshots (days 5, 15, 30, 50) of every answered (student, skill): the mastery the policy
    reads, the truth, and whether the skill's direct prerequisites are truly mastered; and each
    day's picks' prerequisites (answered or not)."""
    seen: dict[str, np.ndarray] = {}
    unmet = pe._unmet_prerequisites

    def keep_truth(ctx, truly):
        seen["truly"], seen["ctx"] = truly, ctx
        return unmet(ctx, truly)

    snaps, pre_rows = [], []

    class Recorder:
        def __init__(self, inner):
            self.inner, self.day = inner, 0

        def select(self, batch, k, now):
            self.day += 1
            ctx, truly = seen["ctx"], seen["truly"]
            p = ctx.prerequisite
            sel = self.inner.select(batch, k, now)
            act = sel.activity[:, 0]
            who = np.flatnonzero(act >= 0)
            pr, pc = np.nonzero(p[ctx.primary_skill[act[who]]].toarray() > 0)
            w = who[pr]
            pre_rows.append(pd.DataFrame(dict(m=batch.mastery[w, pc], n=batch.n_responses[w, pc],
                                              truth=truly[w, pc])))  # fmt: skip
            if self.day in (5, 15, 30, 50):
                npre = np.asarray(p.sum(1)).ravel()
                n_unmet = np.asarray((p @ (~truly).T.astype(np.float32)).T)
                st, sk = np.nonzero(batch.n_responses > 0)
                snaps.append(pd.DataFrame(dict(day=self.day, m=batch.mastery[st, sk],
                                               truth=truly[st, sk], npre=npre[sk],
                                               unmet=n_unmet[st, sk])))  # fmt: skip
            return sel

    make = pe.make_policy
    pe._unmet_prerequisites = keep_truth
    pe.make_policy = lambda name, *x: (
        Recorder(make(name, *x)) if name == "adaptive" else make(name, *x)
    )
    run(a.sims.split(",")[0], a.students)
    out = pd.concat(snaps)
    out.to_parquet(a.out)
    out["mastery"] = pd.cut(out.m, [0, 0.2, 0.4, 0.5, 0.6, 0.8, 0.95, 1.0001], right=False)
    out["prerequisites"] = np.where(out.npre == 0, "none", np.where(out.unmet > 0, "unmet", "met"))
    by = out.groupby(["prerequisites", "mastery"], observed=True)
    print(by.agg(k=("m", "size"), read=("m", "mean"), truth=("truth", "mean")).to_string())
    pre = pd.concat(pre_rows)
    pre["answers"] = pd.cut(
        pre.n, [-1, 0, 2, 5, 10, 10**6], labels=["0", "1-2", "3-5", "6-10", "11+"]
    )
    print("prerequisites of the picked skills, by their answers:")
    by = pre.groupby("answers", observed=True)
    print(by.agg(k=("m", "size"), read=("m", "mean"), truth=("truth", "mean")).to_string())


# -- coupled: the BKT update read with the prerequisites' traced P(known) ----------------------
def coupled_update(a, model, pre_of: np.ndarray, state, log) -> None:
    """One response per student, in place: b = the mean traced P(known) of the skill's direct
    prerequisites; right-when-known = guess + (1 - slip - guess) (1 - lam (1 - b)); learning
    p_learn (1 - mu + mu b^2); with `prop`, Bayes on each prerequisite's K_j as well (the
    others at their means)."""
    e = model._entries(log, items=False)
    ok = e.skill >= 0
    rows = np.array([state.row(s) for s in log.students])[e.student[ok]]
    s, c = e.skill[ok], e.correct[ok].astype(bool)
    params = model.tables_.skill_params
    g, span, learn = params[s, GUESS], 1.0 - params[s, SLIP] - params[s, GUESS], params[s, LEARN]
    pk, counts = state.arrays["p_known"], state.arrays["n_responses"]
    known = pk[rows, s].astype(np.float64)
    pre = pre_of[s]
    has = pre >= 0
    n_pre = has.sum(1)
    bj = np.where(has, pk[rows[:, None], np.maximum(pre, 0)], 0.0)
    b = np.where(n_pre > 0, bj.sum(1) / np.maximum(n_pre, 1), 1.0)

    def right_if_known(share: np.ndarray) -> np.ndarray:
        """P(right | known) at a share of the prerequisites known ((m,) or (m, P))."""
        if share.ndim == 1:
            return g + span * (1.0 - a.lam * (1.0 - share))
        return g[:, None] + span[:, None] * (1.0 - a.lam * (1.0 - share))

    ek = right_if_known(b)
    like_k, like_u = np.where(c, ek, 1 - ek), np.where(c, g, 1 - g)
    post = known * like_k / (known * like_k + (1 - known) * like_u)
    if a.prop:
        rest, n_ = bj.sum(1)[:, None] - bj, np.maximum(n_pre, 1)[:, None]

        def like(kj: float) -> np.ndarray:
            pc = (
                known[:, None] * right_if_known((kj + rest) / n_)
                + (1 - known[:, None]) * g[:, None]
            )
            return np.where(c[:, None], pc, 1 - pc)

        l1, l0 = like(1.0), like(0.0)
        rr, kk = np.nonzero(has)
        pk[rows[rr], pre[rr, kk]] = (bj * l1 / (bj * l1 + (1 - bj) * l0))[rr, kk]
    pk[rows, s] = post + (1 - post) * learn * (1.0 - a.mu + a.mu * b**2)
    np.add.at(counts, (rows, s), 1)


def coupled(a: argparse.Namespace) -> None:
    """The fitted tracer's daily updates (one answer per student) read with `coupled_update`."""
    fit = pe.fit_tracer

    def fit_coupled(catalog, *x, **k):
        model = fit(catalog, *x, **k)
        pos = {sk: i for i, sk in enumerate(model.skills_.astype(str))}
        to_model = np.array([pos[sk.id] for sk in catalog.skills])
        codes = np.asarray(catalog.prerequisite_codes)
        pre_of = np.full((len(model.skills_), codes.shape[1]), -1)
        pre_of[to_model] = np.where(codes >= 0, to_model[np.maximum(codes, 0)], -1)
        update = model.update

        def one_a_student(state, log, *x, **k):
            if len(np.unique(log.student)) == len(log) and (log.n_skills_per_response == 1).all():
                return coupled_update(a, model, pre_of, state, log)
            return update(state, log, *x, **k)  # the warm-up's log: as shipped

        model.update = one_a_student
        return model

    pe.fit_tracer = fit_coupled
    for sim in a.sims.split(","):
        print(paired_line(a.tag, sim, a.students, run(sim, a.students), a.cache), flush=True)


# -- graph: the policy's graph evidence changed ------------------------------------------------
def graph(a: argparse.Namespace) -> None:
    """`adapter._propagated` with only one bound of `GraphPropagation` ("up": the raise from
    answered dependents; "down": the cap from answered prerequisites) or neither ("none")."""

    def propagate(catalog, mastery, evidence, strength=1.0):
        if a.mode == "none":
            return mastery
        m = np.asarray(mastery, dtype=np.float64)
        up, down = graph_propagation(catalog)._by_levels(np.where(np.isnan(m), 0.0, m), evidence)
        if a.mode == "down":
            return np.where(evidence, m, np.minimum(m, down))
        return np.where(evidence, m, np.fmax(m, np.where(up > 0, up, np.nan)))

    adapter.propagate = propagate
    for sim in a.sims.split(","):
        print(paired_line(a.tag, sim, a.students, run(sim, a.students), a.cache), flush=True)


# -- raise: the policy's graph_raise ---------------------------------------------------------------
def graph_raise(a: argparse.Namespace) -> None:
    """The shipped path with `PolicyConfig.graph_raise` at `--value`, paired with the cached
    path before it was a knob (a whole raise, 1), or with a run here at `--against`."""
    for sim in a.sims.split(","):
        base = None if a.against is None else gains(run(sim, a.students, a.against))
        df = run(sim, a.students, a.value)
        print(paired_line(a.tag, sim, a.students, df, a.cache, base), flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="probe", required=True)
    for name in ("calib", "coupled", "graph", "raise"):
        p = sub.add_parser(name)
        p.add_argument("--sims", default="prerequisite")
        p.add_argument("--students", type=int, default=1000)
        p.add_argument("--cache", type=Path, default=Path("/tmp/p71/scoring"))
        p.add_argument("--tag", default=name)
    sub.choices["calib"].add_argument("--out", default="snap.parquet")
    sub.choices["coupled"].add_argument("--lam", type=float, default=0.0)
    sub.choices["coupled"].add_argument("--mu", type=float, default=0.0)
    sub.choices["coupled"].add_argument("--prop", action="store_true")
    sub.choices["graph"].add_argument("--mode", choices=("none", "up", "down"), default="none")
    sub.choices["raise"].add_argument("--value", type=float, default=None)
    sub.choices["raise"].add_argument("--against", type=float, default=None)
    a = ap.parse_args(argv)
    t0 = time.time()
    probes = {"calib": calib, "coupled": coupled, "graph": graph, "raise": graph_raise}
    probes[a.probe](a)
    print(f"({time.time() - t0:.0f}s)")


if __name__ == "__main__":
    main()
