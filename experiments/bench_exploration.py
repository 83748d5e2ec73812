"""The cost of exploration in simulated learning (issue 19, item 1).

    python -m experiments.bench_exploration               # -> results/59_exploration.md
    python -m experiments.bench_exploration --out /tmp/x/59.md   # elsewhere

The adaptive policy drives each simulator through the shipped path
(`adaptive.evaluation.policy_eval.run_policy`: the tracer, placement, `batch_from_model`,
`select`), deterministic and with softmax exploration at several temperatures (and
epsilon-greedy), on the same cohorts (same students, same random stream: paired). Reported:
skills newly mastered after 50 activities (gain@50), its loss against the deterministic policy
as a share of the deterministic gain, with a paired 95% bootstrap interval over students. The
target: at the default exploration temperature (`PolicyConfig.exploration_temperature`) the loss
is at most 5% of the deterministic gain@50.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from adaptive.evaluation.policy_eval import (  # noqa: E402
    FAMILIES,
    fit_tracer,
    make_cohort,
    run_policy,
    split_kind,
)
from adaptive.policy import PolicyConfig  # noqa: E402
from experiments.settings import add_out, out_flag, write_section  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "59_exploration.md"


def variants(temperatures: list[float], epsilon: float) -> dict[str, PolicyConfig]:
    base = PolicyConfig.default()
    out = {"deterministic": base}
    for t in temperatures:
        out[f"softmax T={t:g}"] = base.with_(exploration="softmax", exploration_temperature=t)
    out[f"epsilon {epsilon:g}"] = base.with_(exploration="epsilon", exploration_epsilon=epsilon)
    return out


def run(
    kinds: list[str], students: int, seeds: int, configs: dict[str, PolicyConfig]
) -> pd.DataFrame:
    rows = []
    for kind in kinds:
        family, _ = split_kind(kind)
        catalog = family.catalog()
        model = fit_tracer(catalog, family.name, 1000, 50,
                           seed=10_000 + list(FAMILIES).index(family.name))  # fmt: skip
        for seed in range(seeds):
            cohort = make_cohort(catalog, kind, students, seed)
            for name, cfg in configs.items():
                cfg = cfg.with_(exploration_seed=seed)
                values = run_policy("adaptive", cohort, model, (50,), 30.0, cfg, seed)
                rows.append(pd.DataFrame({"simulator": kind, "seed": seed, "variant": name,
                                          "student": np.arange(students),
                                          "gain": values["skills_gained@50"]}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def summarize(long: pd.DataFrame, n_boot: int = 1000) -> pd.DataFrame:
    """Per simulator and variant: gain@50, loss share against deterministic, paired CI."""
    out = []
    rng = np.random.default_rng(0)
    for kind, part in long.groupby("simulator", sort=False):
        wide = part.pivot_table(index=["seed", "student"], columns="variant", values="gain")
        det = wide["deterministic"].to_numpy()
        idx = rng.integers(0, len(wide), (n_boot, len(wide)))
        for name in wide.columns:
            v = wide[name].to_numpy()
            loss = (det.mean() - v.mean()) / det.mean()
            reps = (det[idx].mean(axis=1) - v[idx].mean(axis=1)) / det[idx].mean(axis=1)
            out.append({"simulator": kind, "variant": name, "gain@50": v.mean(),
                        "loss share": loss, "ci_low": np.quantile(reps, 0.025),
                        "ci_high": np.quantile(reps, 0.975)})  # fmt: skip
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--simulators", default="bkt,logistic,prerequisite")
    ap.add_argument("--temperatures", default="0.02,0.05,0.1,0.3,1.0")
    ap.add_argument("--epsilon", type=float, default=0.1)
    add_out(ap, OUT)
    args = ap.parse_args(argv)
    from experiments.bench_ope import md_table

    t0 = time.perf_counter()
    temps = [float(t) for t in args.temperatures.split(",")]
    long = run(args.simulators.split(","), args.students, args.seeds, variants(temps, args.epsilon))
    table = summarize(long)
    default_t = PolicyConfig().exploration_temperature
    text = "\n".join([
        "# The cost of exploration in simulated learning (issue 19)", "",
        f"`python -m experiments.bench_exploration --students {args.students} --seeds "
        f"{args.seeds} --simulators {args.simulators} --temperatures {args.temperatures}"
        f"{out_flag(args.out, OUT)}`", "",
        "Skills newly mastered after 50 activities (gain@50), the adaptive policy through the "
        "shipped path, paired cohorts; loss share = (deterministic - variant) / deterministic, "
        "95% paired bootstrap interval over students. Default exploration temperature: "
        f"{default_t:g} (target: loss share <= 5% there). Run time "
        f"{time.perf_counter() - t0:.0f} s on a shared 2-core machine.", "",
        md_table(table, 4), "",
    ])  # fmt: skip
    write_section(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
