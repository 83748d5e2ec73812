"""Where the gap to the ceiling is: the shipped policy from better starts and truer mastery (issue 16).

    python -m experiments.bench_placement_effect [--simulators junyi,junyi-cold,bkt,bkt-cold]
        [--students 300] [--seeds 1] [--first-seed 100] [--questions 10] [--reach-errors 1,3]

The policy matrix (`bench_policy`) drives the shipped path, which starts every student from their
grade. Here the same path (same fitted tracer, same cohorts, `adaptive` and the `ceiling`) runs
once per row, changing only where the tracer starts the cohort (`policy_eval.PLACEMENTS`):

- **grade**: the shipped placement, from each profile's grade;
- **diagnostic**: the adaptive placement diagnostic (`PlacementDiagnostic`, `--questions`
  questions each, answered by the simulated students the evening before; not counted among the
  50 activities, so this row is generous to the diagnostic);
- **truth**: the simulator's true state when the policies take over (P = 0.95 / 0.05), a
  ceiling on what any placement can give; the tracer then absorbs every answer as usual;
- **truth in the grade band**: the truth on the skills of the student's grade band only (the
  grade placement below and above it): whether a true start helps through the skills the
  policy may serve or through their prerequisites below the band;
- **reach** (graph families only): each learner's depth reach without the scattered 5% gaps
  below it, what a diagnostic that located the reach exactly would give (no short test finds
  the gaps, which the truth row knows and the ceiling policy serves first);
- **reach, off by ~N levels** (`--reach-errors`; `EvalSettings.reach_error`): the same with a
  seeded normal error of standard deviation N depth levels on each learner's reach: how close a
  placement must locate the frontier for its gain to hold;
- **truth, every day** (`mastery_source="truth"`): the policy reads the simulator's true mastery
  every day instead of the tracer's: a ceiling on tracing.

It splits the gap between `adaptive` and the ceiling policy: what a better start would close,
what better tracing would close, and what remains for the policy's scoring. Cohort seeds default to 100 (disjoint
from the matrix's 0-2). Writes `experiments/results/53_placement_effect.md`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

from adaptive.errors import ConfigError  # noqa: E402
from adaptive.evaluation.policy_eval import (  # noqa: E402
    EvalSettings,
    check_diagnostic_settings,
    evaluate_policies,
    split_kind,
)
from experiments.settings import add_out, name_values, write_section  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "53_placement_effect.md"
METRICS = ("skills_gained", "over_practice", "on_unready", "served")
#: (row label, EvalSettings.placement, EvalSettings.mastery_source)
RUNS = (
    ("grade", "grade", "tracer"),
    ("diagnostic", "diagnostic", "tracer"),
    ("truth", "truth", "tracer"),
    ("truth in the grade band", "truth-band", "tracer"),
    ("reach", "reach", "tracer"),
    ("truth, every day", "truth", "truth"),
)


def runs(reach_errors: tuple[float, ...]) -> tuple[tuple[str, str, str, float], ...]:
    """(row label, placement, mastery source, reach error) of each row group: `RUNS`, the
    reach rows with each error after the exact one."""
    out = []
    for label, placement, source in RUNS:
        out.append((label, placement, source, 0.0))
        if placement == "reach":
            out += [(f"reach, off by ~{e:g} levels", placement, source, e) for e in reach_errors]
    return tuple(out)


def run(args: argparse.Namespace) -> pd.DataFrame:
    """One summary row per (simulator, placement, policy) with the reported metrics."""
    rows = []
    for label, placement, source, error in runs(args.reach_errors):
        simulators = tuple(args.simulators.split(","))
        if placement == "reach":  # the graph families' learners only have a depth reach
            simulators = tuple(s for s in simulators if not split_kind(s)[0].district)
            if not simulators:
                continue
        settings = EvalSettings(
            students=args.students, seeds=args.seeds, activities=(50,),
            simulators=simulators, policies=("adaptive", "ceiling"),
            first_seed=args.first_seed, n_boot=200, placement=placement,
            diagnostic_questions=args.questions, mastery_source=source, reach_error=error,
            diagnostic_settings=args.diagnostic if placement == "diagnostic" else {},
        )  # fmt: skip
        started = time.perf_counter()
        table = evaluate_policies(settings)
        print(f"{label}: {time.perf_counter() - started:.0f} s", flush=True)
        table = table[table["metric"].isin(METRICS)]
        for (kind, policy), part in table.groupby(["simulator", "policy"], sort=False):
            row = {"simulator": kind, "placement": label, "policy": policy}
            for _, r in part.iterrows():
                row[r["metric"]] = r["mean"]
                if r["metric"] == "skills_gained":
                    row["ci"] = f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}]"
            rows.append(row)
    return pd.DataFrame(rows)


def settings_note(settings: dict[str, object]) -> str:
    """ " (strength 0.8, model graph)": the diagnostic's settings where not its defaults."""
    if not settings:
        return ""
    return " (" + ", ".join(f"{k} {v}" for k, v in settings.items()) + ")"


def report(frame: pd.DataFrame, args: argparse.Namespace) -> str:
    lines = [
        "## Where the gap to the ceiling is: placement, tracing, scoring (issue 16)",
        "",
        f"The shipped path (`bkt` fitted on a burn-in, `update`, `batch_from_model`, the default "
        f"policy), {args.students} students x {args.seeds} seed(s) from cohort seed "
        f"{args.first_seed} per simulator, k = 1 a day; only the tracer's starting placement "
        "changes (`EvalSettings.placement`). *diagnostic*: the placement diagnostic, "
        f"{args.questions} questions{settings_note(args.diagnostic)}, not counted among the 50 "
        "activities; *truth*: the "
        "simulator's true state at the start (0.95 / 0.05), a ceiling on placement; *truth in "
        "the grade band*: the same on the skills of the student's grade band only, the grade "
        "placement below and above it; *reach* (graph "
        "families): the learner's depth reach without the 5% gaps below it, what a diagnostic "
        "that located the reach exactly would give, and *off by ~N levels* with a normal error of "
        "standard deviation N depth levels (a grade is 6) on each learner's reach; *truth, every "
        "day*: the policy reads the true mastery every day, a ceiling on tracing. Ratio = "
        "adaptive's gain@50 over the ceiling policy's in the same cohort.",
        "",
        "| simulator | placement | adaptive gain@50 [95% CI] | ceiling gain@50 | ratio "
        "| over-practice | on unready | served |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    ours = frame[frame["policy"] == "adaptive"]
    ceiling = frame[frame["policy"] == "ceiling"].set_index(["simulator", "placement"])
    for _, r in ours.iterrows():
        top = ceiling.loc[(r["simulator"], r["placement"]), "skills_gained"]
        lines.append(
            f"| {r['simulator']} | {r['placement']} | {r['skills_gained']:.2f} {r['ci']} "
            f"| {top:.2f} | {r['skills_gained'] / top:.2f} | {r['over_practice']:.2f} "
            f"| {r['on_unready']:.2f} | {r['served']:.2f} |"
        )
    lines += ["", f"Reproduce: `python -m experiments.bench_placement_effect {args.argv}`", ""]
    return "\n".join(lines)


def diagnostic_settings(pairs: list[str], ap: argparse.ArgumentParser) -> dict[str, object]:
    """`--diagnostic NAME=VALUE` options as `EvalSettings.diagnostic_settings`
    (`experiments.settings`); a key the diagnostic lacks is a usage error."""
    settings = name_values(pairs, ap, "--diagnostic")
    try:
        check_diagnostic_settings(settings)
    except ConfigError as e:
        ap.error(f"--diagnostic: {e}")
    return settings


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--simulators", default="junyi,junyi-cold,bkt,bkt-cold")
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--first-seed", type=int, default=100)
    ap.add_argument("--questions", type=int, default=10)
    ap.add_argument(
        "--diagnostic", action="append", default=[], metavar="KEY=VALUE",
        help="a PlacementDiagnostic setting for the diagnostic rows (repeatable), e.g. "
        "strength=0.8 or model=graph; numbers are read as numbers",
    )  # fmt: skip
    ap.add_argument(
        "--reach-errors", default="1,3",
        help="depth levels: the reach rows again with this error (comma-separated; '' none)",
    )  # fmt: skip
    add_out(ap, OUT)
    args = ap.parse_args(argv)
    args.reach_errors = tuple(float(e) for e in args.reach_errors.split(",") if e.strip())
    args.diagnostic = diagnostic_settings(args.diagnostic, ap)
    args.argv = shlex.join(argv)
    frame = run(args)
    write_section(args.out, report(frame, args))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
