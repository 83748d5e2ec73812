"""What a policy that sees only answers could reach: model filters beside the shipped policy (issue 16).

    python -m experiments.bench_policy_bound [--simulators junyi,junyi-cold,prerequisite,...]
        [--students 1000] [--seeds 1] [--first-seed 100]

Issue 16 asks the shipped policy for half of the ceiling policy's gain@50 in every simulator.
The ceiling reads the simulator's true knowledge every day; no policy that sees only answers
can. This bench asks how much of the ceiling such a policy *could* reach, with the model
filters of `adaptive.evaluation.model_filter`: reference policies that know the simulator's
model and filter each student's knowledge from their answers alone (completed or not, right
or wrong), serving each day the activity with the highest expected learning. Three degrees of
knowledge, each a row:

- **adaptive, reading the population filter's belief**: the shipped policy, each day handed
  the next row's belief in place of its tracer's (`mastery_source="population-filter"`): the
  tracer's share of the gap between the shipped row and the filter's is what this row closes,
  the rest is the policy's scoring;
- **model filter, population**: the model's form and every trait at its population mean (what
  could be known of the learners before meeting them);
- **model filter, population, probing 10 days** (junyi families): the same, its first 10
  activities chosen for what their answers tell of the learner's depth reach (a filter that
  plans rather than greedily teaching from day one; the 10 count among the 50);
- **model filter, no reach** (junyi families): each learner's own traits, but every skill's
  prior on its own: answers on other skills say nothing of a skill never answered;
- **model filter**: each learner's own traits (ability, learning and engagement rates, a
  low-prior flag) and each skill's learn rate: everything but the knowledge state.

Every row runs on the same cohorts as the shipped policy and the ceiling (paired), through
`evaluate_policies`; the shipped row is the shipped path (fitted bkt, grade placement,
`update`, `batch_from_model`, the default policy). Cohort seeds default to 100 (disjoint from
the matrix's 0-2). Writes `experiments/results/54_policy_bound.md`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

from adaptive.evaluation.policy_eval import (  # noqa: E402
    OURS,
    EvalSettings,
    run_matrix,
    split_kind,
    summarize,
)
from experiments.settings import add_out, write_section  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "54_policy_bound.md"
#: the shipped policy reading the population filter's belief instead of the tracer's
#: (`EvalSettings.mastery_source`): the tracer's share of the gap to that filter
FILTER_BELIEF = "adaptive-filter-belief"
#: (policy name, row label) in the order the table shows them
ROWS = (
    ("adaptive", "**adaptive, shipped path**"),
    (FILTER_BELIEF, "adaptive, reading the population filter's belief"),
    ("model-filter-population", "model filter, population"),
    ("model-filter-population-probe", "model filter, population, probing 10 days"),
    ("model-filter-independent", "model filter, no reach"),
    ("model-filter", "model filter"),
    ("ceiling", "ceiling (reads the truth)"),
)
METRICS = ("skills_gained", "over_practice", "on_unready")
#: rows of the junyi families only: the district learners have no depth reach to locate
GRAPH_ONLY = ("model-filter-population-probe", "model-filter-independent")


def run(args: argparse.Namespace) -> pd.DataFrame:
    """The summary table (`evaluate_policies`) of every row's policy on every simulator."""
    simulators = tuple(args.simulators.split(","))
    graph = tuple(k for k in simulators if not split_kind(k)[0].district)
    district = tuple(k for k in simulators if k not in graph)
    started = time.perf_counter()
    policies = [n for n, _ in ROWS if n != FILTER_BELIEF]
    longs = []
    for kinds, names in ((district, [n for n in policies if n not in GRAPH_ONLY]),
                         (graph, policies)):  # fmt: skip
        if kinds:
            settings = EvalSettings(
                students=args.students, seeds=args.seeds, activities=(50,), simulators=kinds,
                policies=tuple(names), first_seed=args.first_seed, n_boot=500,
            )  # fmt: skip
            longs.append(run_matrix(settings))
            belief = replace(settings, policies=(OURS,), mastery_source="population-filter")
            longs.append(run_matrix(belief).assign(policy=FILTER_BELIEF))
    args.minutes = (time.perf_counter() - started) / 60
    table = summarize(pd.concat(longs, ignore_index=True), 500, seed=args.first_seed)
    return table[table["metric"].isin(METRICS)]


def report(table: pd.DataFrame, args: argparse.Namespace) -> str:
    lines = [
        "## What a policy that sees only answers could reach: model filters (issue 16)",
        "",
        f"{args.students:,} students x {args.seeds} seed(s) from cohort seed {args.first_seed} "
        f"per simulator, 50 activities, one a day; every row on the same students (paired). "
        "A *model filter* knows the simulator's model and filters each student's knowledge from "
        "their answers alone, serving the activity with the highest expected learning "
        "(`adaptive.evaluation.model_filter`): *reading the population filter's belief* is the "
        "shipped policy handed that filter's belief each day in place of its tracer's (what a "
        "better tracer alone could give it); *population* with every trait at its population "
        "mean (and the low-prior share); *probing 10 days* (junyi) the same, its first 10 "
        "activities chosen for what their answers tell of the learner's reach (a filter that "
        "plans; counted among the 50); *no reach* (junyi) with the learner's own traits but no "
        "depth reach inferred across skills; *model filter* with the learner's own traits and "
        "each skill's learn rate. Ratio: gain@50 over the ceiling's; the difference is the "
        "row's gain minus the shipped policy's, with its paired 95% interval.",
        "",
        "| simulator | policy | gain@50 [95% CI] | ratio to ceiling | row − shipped "
        "[paired 95% CI] | over-practice | on unready |",
        "|---|---|---|---:|---|---:|---:|",
    ]
    for kind in args.simulators.split(","):
        part = table[table["simulator"] == kind]
        for name, label in ROWS:
            rows = part[part["policy"] == name].set_index("metric")
            if rows.empty:
                continue
            gain = rows.loc["skills_gained"]
            diff = ""
            if name not in ("adaptive",):  # the paired difference is adaptive - row
                diff = (
                    f"{-gain['diff_mean']:+.3f} [{-gain['diff_ci_high']:+.3f}, "
                    f"{-gain['diff_ci_low']:+.3f}]"
                )
            lines.append(
                f"| {kind} | {label} | {gain['mean']:.3f} [{gain['ci_low']:.3f}, "
                f"{gain['ci_high']:.3f}] | {gain['ceiling_ratio']:.2f} | {diff} "
                f"| {rows.loc['over_practice', 'mean']:.2f} "
                f"| {rows.loc['on_unready', 'mean']:.2f} |"
            )
    lines += [
        "",
        f"Reproduce: `{shlex.join(['python', '-m', 'experiments.bench_policy_bound'])}"
        f"{' ' + args.argv if args.argv else ''}` "
        f"({args.minutes:.1f} min on this machine).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--simulators",
        default="junyi,junyi-cold,prerequisite,prerequisite-cold,bkt,bkt-cold",
        help="binary-knowledge simulators only (bkt, prerequisite, junyi, graph; -cold)",
    )
    ap.add_argument("--students", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--first-seed", type=int, default=100)
    add_out(ap, OUT)
    args = ap.parse_args(argv)
    args.argv = shlex.join(argv)
    table = run(args)
    write_section(args.out, report(table, args))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
