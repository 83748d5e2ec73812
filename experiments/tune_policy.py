"""Tune a few of the policy's weights and thresholds on the TUNING simulators only (issue 16).

    python -m experiments.tune_policy                           # 16 trials, 300 students, 1 seed
    python -m experiments.tune_policy --trials 40 --students 500 --seeds 2
    python -m experiments.tune_policy --check "mastery_threshold=0.65" --check "..."   # configs

"Choose every default weight on some simulators and check it on the others, and report both":
this script searches on `adaptive.evaluation.policy_eval.TUNING_SIMULATORS` (bkt, logistic)
with cohort seeds from 100 up, disjoint from the seeds the benchmark reports (0-2), and never
runs a held-out simulator. Trial 0 is the shipped `specs/policy.toml`; the others draw each
searched knob from its range (seeded). The objective is the mean over the tuning simulators of
adaptive's gain@50 (skills newly mastered) as a ratio to the ceiling's in the same cohort.

It writes every trial to `experiments/results/tune_policy/trials.csv` and a summary with the
best configuration as a TOML fragment to `experiments/results/52_policy_tuning.md` (`--check`:
`52_policy_checks.md`; `--out PATH`: the section at PATH, `tune_policy/` in its folder). It does not
change the shipped defaults: whoever owns `src/adaptive/specs/policy.toml` decides, then
`python -m experiments.bench_policy --skip-speed` checks the choice on the held-out simulators.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from adaptive.evaluation.policy_eval import (  # noqa: E402
    TUNING_SIMULATORS,
    EvalSettings,
    run_matrix,
)
from adaptive.policy.config import PolicyConfig  # noqa: E402
from experiments.settings import add_out, out_flag, shown_path, write_section  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT_MD = HERE / "results" / "52_policy_tuning.md"
OUT_CHECKS = HERE / "results" / "52_policy_checks.md"
TRIALS = "tune_policy"  # the folder of trials.csv, beside the section

#: knob -> (low, high); weights are under "weights.<term>".
SPACE: dict[str, tuple[float, float]] = {
    "weights.readiness": (0.5, 4.0),
    "weights.difficulty": (0.2, 2.0),
    "weights.interest": (0.2, 2.0),
    "weights.review": (0.0, 1.5),
    "weights.exploration": (0.0, 1.0),
    "target_p_correct": (0.55, 0.85),
    "prerequisite_threshold": (0.6, 0.9),
    "mastery_threshold": (0.8, 0.97),
}


def config_of(base: PolicyConfig, values: dict[str, float]) -> PolicyConfig:
    d = base.to_dict()
    d["weights"] = dict(d["weights"])
    for k, v in values.items():
        if k.startswith("weights."):
            d["weights"][k.split(".", 1)[1]] = float(v)
        else:  # an integer knob (mastery_streak) stays an integer
            d[k] = int(v) if isinstance(getattr(base, k), int) else float(v)
    return PolicyConfig.from_dict(d)


def draw(rng: np.random.Generator) -> dict[str, float]:
    return {k: round(float(rng.uniform(lo, hi)), 3) for k, (lo, hi) in SPACE.items()}


def objective(long: pd.DataFrame, at: int) -> dict[str, float]:
    """Per tuning simulator: adaptive's mean gain@at over the ceiling's, and the mean ratio."""
    part = long[long.metric == f"skills_gained@{at}"]
    means = part.groupby(["simulator", "policy"])["value"].mean()
    out = {}
    for sim in sorted(part.simulator.unique()):
        out[f"ratio_{sim}"] = float(means[(sim, "adaptive")] / max(means[(sim, "ceiling")], 1e-9))
        out[f"gain_{sim}"] = float(means[(sim, "adaptive")])
    out["objective"] = float(np.mean([v for k, v in out.items() if k.startswith("ratio_")]))
    return out


def parse_check(text: str) -> dict[str, float]:
    """`"mastery_threshold=0.65,weights.review=3"` -> {knob: value}."""
    pairs = (item.split("=", 1) for item in text.split(",") if item.strip())
    return {k.strip(): float(v) for k, v in pairs}


def check_configs(args: argparse.Namespace, base: PolicyConfig) -> int:
    """Evaluate given configurations (shipped defaults with a few knobs changed) on the tuning
    simulators, same cohorts for each; writes `52_policy_checks.md`."""
    common = dict(
        students=args.students, seeds=args.seeds, activities=(args.activities,),
        simulators=TUNING_SIMULATORS, first_seed=100, n_boot=10,
    )  # fmt: skip
    ceiling = run_matrix(EvalSettings(**common, policies=("adaptive", "ceiling")))
    ceiling = ceiling[ceiling.policy == "ceiling"]
    lines = [
        "## Policy configurations checked on the tuning simulators (issue 16 item 6)", "",
        f"{args.students} students x {args.seeds} seed(s) from cohort seed 100 on "
        f"{', '.join(TUNING_SIMULATORS)}, {args.activities} activities; each row is the shipped "
        "configuration with the knobs shown changed; objective = mean ratio of adaptive's "
        f"gain@{args.activities} to the ceiling's (same cohorts).", "",
        "| configuration | objective | "
        + " | ".join(f"gain_{s} (ratio)" for s in sorted(TUNING_SIMULATORS)) + " |",
        "|---|---:|" + "---:|" * len(TUNING_SIMULATORS),
    ]  # fmt: skip
    for text in args.check:
        cfg = config_of(base, parse_check(text))
        ours = run_matrix(EvalSettings(**common, policies=("adaptive",), policy_config=cfg))
        score = objective(pd.concat([ours, ceiling], ignore_index=True), args.activities)
        cells = [f"{score[f'gain_{s}']:.2f} ({score[f'ratio_{s}']:.2f})"
                 for s in sorted(TUNING_SIMULATORS)]  # fmt: skip
        lines.append(f"| `{text}` | {score['objective']:.3f} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    checks = " ".join(f"--check {c!r}" for c in args.check)
    lines += ["", f"Command: `python -m experiments.tune_policy --students {args.students} "
              f"--seeds {args.seeds} {checks}{out_flag(args.out, OUT_CHECKS)}`", ""]  # fmt: skip
    write_section(args.out, "\n".join(lines))
    print(f"wrote {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--activities", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0, help="seed of the search")
    ap.add_argument(
        "--check", action="append", default=[],
        help="instead of a search, evaluate the shipped config with these knobs changed, e.g. "
        "'mastery_threshold=0.65,prerequisite_threshold=0.65' (repeatable)",
    )  # fmt: skip
    add_out(
        ap,
        None,
        companions=f"the search's {TRIALS}/trials.csv goes",
        default_text=f"experiments/results/{OUT_MD.name}, with --check {OUT_CHECKS.name}",
    )
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = OUT_CHECKS if args.check else OUT_MD
    base = PolicyConfig.default()
    if args.check:
        return check_configs(args, base)
    rng = np.random.default_rng(args.seed)
    common = dict(
        students=args.students, seeds=args.seeds, activities=(args.activities,),
        simulators=TUNING_SIMULATORS, first_seed=100, n_boot=10,
    )  # fmt: skip
    t0 = time.perf_counter()
    # the ceiling does not depend on the policy's config: run it once, beside trial 0
    first = run_matrix(EvalSettings(**common, policies=("adaptive", "ceiling"), policy_config=base))
    ceiling = first[first.policy == "ceiling"]
    rows = []
    trials_csv = args.out.parent / TRIALS / "trials.csv"
    for trial in range(args.trials):
        values = {} if trial == 0 else draw(rng)
        cfg = config_of(base, values)
        if trial == 0:
            long = first
        else:
            ours = run_matrix(EvalSettings(**common, policies=("adaptive",), policy_config=cfg))
            long = pd.concat([ours, ceiling], ignore_index=True)
        score = objective(long, args.activities)
        flat = {k: (cfg.weights[k.split(".", 1)[1]] if k.startswith("weights.")
                    else getattr(cfg, k)) for k in SPACE}  # fmt: skip
        rows.append({"trial": trial, **flat, **score})
        print(f"trial {trial}: objective {score['objective']:.3f} "
              f"({time.perf_counter() - t0:.0f}s)", flush=True)  # fmt: skip
        write_section(trials_csv, pd.DataFrame(rows).to_csv(index=False, float_format="%.4g"))
    trials = pd.DataFrame(rows).sort_values("objective", ascending=False)
    best = trials.iloc[0]
    toml = [f"{k} = {best[k]:.3g}" for k in SPACE if not k.startswith("weights.")]
    toml += ["", "[weights]"] + [f"{k.split('.', 1)[1]} = {best[k]:.3g}" for k in SPACE
                                 if k.startswith("weights.")]  # fmt: skip
    cols = ["trial", "objective", *[c for c in trials.columns if c.startswith(("ratio_", "gain_"))],
            *SPACE]  # fmt: skip
    lines = [
        "## Policy tuning on the tuning simulators only (issue 16 item 6)", "",
        f"Search: {args.trials} trials (trial 0 = the shipped `specs/policy.toml`), "
        f"{args.students} students x {args.seeds} seed(s) from seed 100 on "
        f"{', '.join(TUNING_SIMULATORS)}, {args.activities} activities; objective = mean ratio of "
        f"adaptive's gain@{args.activities} to the ceiling's; {(time.perf_counter() - t0) / 60:.1f} "
        "min. Held-out simulators were not run.",
        f"Command: `python -m experiments.tune_policy --trials {args.trials} --students "
        f"{args.students} --seeds {args.seeds}{out_flag(args.out, OUT_MD)}`; every trial in "
        f"`{shown_path(trials_csv)}`.", "",
        "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols),
        *("| " + " | ".join(f"{r[c]:.3g}" if isinstance(r[c], float) else str(r[c]) for c in cols)
          + " |" for _, r in trials.head(8).iterrows()),
        "", f"Best trial {int(best.trial)} as a `policy.toml` fragment (not applied):", "",
        "```toml", *toml, "```", "",
    ]  # fmt: skip
    write_section(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
