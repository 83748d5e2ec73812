"""`adaptive ope`: a candidate policy's value from the nightly job's logs, without deploying it.

A thin wrapper over `adaptive.evaluation.ope.logs.evaluate_logs` (see it for the inputs, the
outcomes and the MLflow run). Its first line says how the candidate differs from the policy that
served the logged nights (`evaluation.ope.changes`: a candidate file's missing keys take the
defaults, not the logging policy's values). Refuses, with the numbers, when the logs cannot support the
candidate: the estimated overlap below `--min-overlap` or the effective sample size below
`--min-ess` (the point estimates decide, whatever `--n-boot`; the overlap's bootstrap interval
is shown beside); exit code 2 then, as for any bad input. `--candidate` takes a policy TOML or a
simulation baseline's name (`n-correct`: `evaluation.ope.logs.read_candidate`). Refuses as well a response log,
catalog or profiles that are not those the logged nights were served from
(`evaluation.ope.served`); a profiles file of another sha256 than the nights recorded unless
`--allow-other-profiles`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from adaptive.cli.options import (
    AllowOtherProfiles,
    CatalogFile,
    DistrictDir,
    ProfilesFile,
    Quiet,
    TrackingUri,
    district_or_files,
    parse_day,
    reads_log,
)
from adaptive.cli.output import console, definitions, info
from adaptive.policy.baselines import BASELINES


def register(app: typer.Typer) -> None:
    """Add `ope` to the main app."""
    app.command("ope")(ope)


@reads_log
def ope(
    log: Annotated[
        Path,
        typer.Option(
            "--log", exists=True, file_okay=False, help="Output folder of `adaptive batch`."
        ),
    ],
    candidate: Annotated[
        str,
        typer.Option(
            "--candidate",
            metavar="<toml|baseline>",
            help="Candidate: a policy TOML, or a simulation baseline of `adaptive policy-eval` "
            f"({', '.join(BASELINES)}), evaluated as the deterministic rule it is.",
        ),
    ],
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Response log with the outcomes: dataset name or file; the log the nights were "
            "served from (with --catalog and --profiles: checked against what they recorded).",
        ),
    ] = None,
    catalog: CatalogFile = None,
    profiles: ProfilesFile = None,
    district: DistrictDir = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            help="correct (share of decisions whose recommended skill's first answer within "
            "the horizon was right), engagement (followed by any answer on it), mastery_gain "
            "(repeatable; default all but mastery_gain; defined under the table).",
        ),
    ] = None,
    horizon_days: Annotated[
        float, typer.Option("--horizon-days", min=0.01, help="Days after a night that count.")
    ] = 7.0,
    state_dir: Annotated[
        Path | None,
        typer.Option("--state-dir", file_okay=False, help="Snapshots (default: LOG/state)."),
    ] = None,
    n_boot: Annotated[
        int,
        typer.Option(
            "--n-boot",
            min=50,
            help="Bootstrap replicates, for the intervals (whether the candidate is refused "
            "does not depend on them: --min-overlap and --min-ess compare point estimates).",
        ),
    ] = 500,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Seed of the bootstrap and folds.")
    ] = 0,
    min_overlap: Annotated[
        float,
        typer.Option(
            "--min-overlap",
            help="Refuse when the estimated overlap (the share of the candidate's probability "
            "mass the logging policy supported, estimated by the mean importance weight and "
            "clipped to [0, 1], as its printed interval is) is below this share, in [0, 1]; 0 "
            "turns the check off.",
        ),
    ] = 0.9,
    min_ess: Annotated[
        float,
        typer.Option(
            "--min-ess",
            help="Refuse when the effective sample size (Kish, in decisions) is below this "
            "number, >= 0; 0 turns the check off.",
        ),
    ] = 100.0,
    start: Annotated[
        str | None,
        typer.Option(
            "--start", callback=parse_day, help="First night to use, a served one (default: all)."
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--end", callback=parse_day, help="Last night to use, a served one (default: all)."
        ),
    ] = None,
    allow_other_profiles: AllowOtherProfiles = False,
    tracking_uri: TrackingUri = None,
    quiet: Quiet = False,
    mapping: dict | None = None,
) -> None:
    """Estimate a candidate policy's value (IPS, SNIPS, doubly robust) from logged nights."""
    from adaptive.errors import ConfigError
    from adaptive.evaluation.ope.logs import evaluate_logs

    data, catalog, profiles = district_or_files(district, catalog, profiles, data, mapping=mapping)
    for flag, value, what in (("--data", data, "the response log with the outcomes"),
                              ("--catalog", catalog, "the catalog the nights were served from")):  # fmt: skip
        if value is None:
            raise ConfigError(f"{flag} FILE (or --district DIR) is needed: {what}")
    result = evaluate_logs(
        log, candidate, data=data, catalog=catalog, profiles=profiles,
        metrics=tuple(metric or ("correct", "engagement")), horizon_days=horizon_days,
        state_dir=state_dir, n_boot=n_boot, seed=seed, min_overlap=min_overlap,
        min_ess=min_ess, tracking_uri=tracking_uri, start=start, end=end,
        allow_other_profiles=allow_other_profiles, mapping=mapping,
    )  # fmt: skip
    d = result.diagnostics
    console.print(result.candidate_vs_logged, soft_wrap=True, markup=False)
    console.print(
        f"{len(result.nights)} night(s), {d.n_decisions} decisions, {d.n_students} students; "
        f"effective sample size {d.ess:.0f}; overlap {d.overlap:.3f} "
        f"(95% interval {d.overlap_ci_low:.3f}-{d.overlap_ci_high:.3f}); "
        f"{_bootstrap_words(result)}",
        soft_wrap=True,
    )
    unit = result.bootstrap_unit
    table = Table(
        title=f"{Path(candidate).name}: estimated value (95% interval, clustered by {unit})",
        caption=_meanings(result.estimates["metric"], horizon_days),
    )
    for col in ("metric", "estimator", "value", "interval"):
        table.add_column(col)
    for row in result.estimates.itertuples(index=False):
        table.add_row(row.metric, row.estimator, f"{row.value:.4f}",
                      f"[{row.ci_low:.4f}, {row.ci_high:.4f}]")  # fmt: skip
    console.print(table)
    for metric_name, why in result.skipped.items():
        console.print(f"{metric_name}: {why}")
    info(f"MLflow run {result.run_id}; inputs sha256 {result.fingerprint['sha256'][:16]}")


def _bootstrap_words(result) -> str:
    """What the bootstrap resampled: "bootstrap over 137 classes (the experiment's
    randomization unit)", or over the students (`ope.logs.bootstrap_clusters`)."""
    from adaptive.errors import counted

    unit = result.bootstrap_unit
    n = int(result.fingerprint["bootstrap_clusters"])
    said = f"bootstrap over {counted(n, unit, 'classes' if unit == 'class' else None)}"
    if unit == "student":
        return said
    return f"{said} (the experiment's randomization unit: its students are not independent)"


def _meanings(metrics, horizon_days: float) -> str:
    """What each metric of the table is (`METRIC_MEANINGS`), its horizon in days said."""
    from adaptive.evaluation.ope.logs import METRIC_MEANINGS

    return definitions(METRIC_MEANINGS, metrics, f" (horizon {horizon_days:g} days)")
