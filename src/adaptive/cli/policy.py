"""`adaptive recommend` and `adaptive policy-eval`: thin wrappers over the policy library.

    adaptive recommend --student stu0000042 --k 10 [--json] [--model DIR] [--district DIR]
    adaptive recommend --student stu0000042 --explain g5.NF.3.practice2
    adaptive policy-eval --students 2000 --seeds 10 --activities 5,10,20,50 --out DIR

`recommend` calls `adaptive.policy.service.recommend_students` (demo district and BKT fitted on
its responses unless a saved model is given); `policy-eval` calls
`adaptive.evaluation.policy_eval.evaluate_policies` and writes `DIR/policy_eval.csv` and a plot
per metric.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from adaptive.errors import ConfigError

console = Console()


def register(app: typer.Typer) -> None:
    """Add `recommend` and `policy-eval` to the main app."""
    app.command("recommend")(recommend)
    app.command("policy-eval")(policy_eval)


def recommend(
    student: Annotated[list[str], typer.Option("--student", help="Student id (repeatable).")],
    k: Annotated[int, typer.Option("--k", min=1, help="How many activities.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="A saved knowledge-tracing model folder (default: fit BKT)."),
    ] = None,
    district: Annotated[
        Path | None,
        typer.Option(
            "--district", help="Folder with catalog.json, profiles.jsonl, responses.parquet."
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="Policy weights TOML (default models/policy.toml)."),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            "--now", help="Date of the recommendation (default: day after last response)."
        ),
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option("--explain", help="Explain why this activity is (not) recommended."),
    ] = None,
) -> None:
    """Print a student's next activities with the reasons for each."""
    import pandas as pd

    from adaptive.policy import PolicyConfig
    from adaptive.policy.service import (
        DEMO_DISTRICT,
        explain_activity,
        load_district,
        recommend_students,
    )
    from adaptive.tracing.base import KnowledgeTracer

    d = load_district(district or DEMO_DISTRICT)
    tracer = KnowledgeTracer.load(model) if model is not None else None
    config = PolicyConfig.from_toml(policy) if policy is not None else None
    when = pd.Timestamp(now, tz="UTC") if now else None
    if explain is not None:
        if len(student) != 1:
            raise ConfigError("--explain takes exactly one --student")
        why = explain_activity(
            student[0], explain, district=d, model=tracer, now=when, config=config, k=k
        )
        if as_json:
            typer.echo(json.dumps(why.to_dict(), indent=1))
        else:
            console.print(
                f"[bold]{why.activity_id}[/]: {why.status}. {why.sentence}", highlight=False
            )
            for r in why.reasons:
                console.print(f"  - {r.term}: {r.detail} ({r.contribution:+.3f})", highlight=False)
        return
    recs = recommend_students(student, k, district=d, model=tracer, now=when, config=config)
    if as_json:
        payload = {sid: [r.to_dict() for r in rs] for sid, rs in recs.items()}
        typer.echo(json.dumps(payload, indent=1))
        return
    for sid, rs in recs.items():
        table = Table(title=f"Next activities for {sid}", show_lines=False)
        for col in ("#", "activity", "skill", "score", "P(correct)", "why"):
            table.add_column(col, overflow="fold")
        for r in rs:
            top = sorted(r.reasons, key=lambda x: -abs(x.contribution))[:3]
            terms = ", ".join(f"{x.term} {x.contribution:+.2f}" for x in top)
            table.add_row(
                str(r.rank), r.activity_id, r.skill_id, f"{r.score:.2f}", f"{r.p_correct:.2f}",
                f"{r.sentence}\n[dim]{terms}[/]",
            )  # fmt: skip
        console.print(table)


def policy_eval(
    students: Annotated[int, typer.Option("--students", min=1, help="Students per cell.")] = 2000,
    seeds: Annotated[
        int, typer.Option("--seeds", min=1, help="Seeds (cohorts) per simulator.")
    ] = 10,
    activities: Annotated[
        str,
        typer.Option("--activities", help="Checkpoints (activities per student), comma-separated."),
    ] = "5,10,20,50",
    out: Annotated[
        Path, typer.Option("--out", help="Folder for policy_eval.csv and the plots.")
    ] = Path("policy_eval"),
    simulators: Annotated[
        str, typer.Option("--simulators", help="Ground-truth learner kinds, comma-separated.")
    ] = "bkt,logistic,prerequisite",
    policies: Annotated[
        str | None,
        typer.Option("--policies", help="Policies (default: adaptive and every baseline)."),
    ] = None,
    n_boot: Annotated[
        int, typer.Option("--bootstrap", min=10, help="Bootstrap replicates.")
    ] = 1000,
    first_seed: Annotated[int, typer.Option("--first-seed", help="First cohort seed.")] = 0,
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="Folder caching finished cells (resume a long run)."),
    ] = None,
) -> None:
    """Run the simulation matrix (policies x simulators x seeds) and write policy_eval.csv."""
    from adaptive.evaluation.policy_eval import POLICY_NAMES, EvalSettings, evaluate_policies

    try:
        checkpoints = tuple(int(x) for x in activities.split(",") if x.strip())
    except ValueError as exc:
        raise ConfigError(
            f"--activities {activities!r}: expected comma-separated integers"
        ) from exc
    settings = EvalSettings(
        students=students, seeds=seeds, activities=checkpoints,
        simulators=tuple(s.strip() for s in simulators.split(",") if s.strip()),
        policies=tuple(p.strip() for p in policies.split(",")) if policies else POLICY_NAMES,
        n_boot=n_boot, first_seed=first_seed,
    )  # fmt: skip
    started = time.perf_counter()

    def progress(message: str) -> None:
        console.print(f"[dim]{time.perf_counter() - started:7.1f}s[/] {message}", highlight=False)

    table = evaluate_policies(settings, out, progress=progress, cache_dir=cache)
    last = max(checkpoints)
    gain = table[(table["metric"] == "normalized_gain") & (table["n_activities"] == last)]
    view = Table(title=f"Normalized learning gain after {last} activities (adaptive minus policy)")
    for col in ("simulator", "policy", "mean [95% CI]", "adaptive - policy [95% CI]"):
        view.add_column(col)
    for row in gain.itertuples():
        diff = (
            ""
            if row.policy == "adaptive"
            else f"{row.diff_mean:+.4f} [{row.diff_ci_low:+.4f}, {row.diff_ci_high:+.4f}]"
        )
        view.add_row(
            row.simulator, row.policy, f"{row.mean:.4f} [{row.ci_low:.4f}, {row.ci_high:.4f}]", diff
        )
    console.print(view)
    console.print(
        f"wrote {Path(out) / 'policy_eval.csv'} and plots in {time.perf_counter() - started:.0f}s"
    )
