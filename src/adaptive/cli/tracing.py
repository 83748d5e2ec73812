"""`adaptive evaluate`: cross-validate knowledge-tracing models on a dataset or a user's file.

A thin wrapper over `adaptive.evaluation.evaluate_models` (the same call a data scientist makes
in-process): loads the log with `adaptive.data.load_log` (a dataset name, or a file with the
column flags), prints the comparison table and each model's AUC difference from the best
(paired bootstrap), and writes `metrics.csv`, `metrics.md`,
`per_skill.csv` and the reliability plots into `--out`.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from adaptive.cli.options import (
    DistrictLog,
    Quarantine,
    Quiet,
    Threads,
    log_and_catalog,
    reads_log,
)
from adaptive.cli.output import console, err_console, info
from adaptive.data import load_log_report, warn_notes
from adaptive.data.io import refuse_header_only
from adaptive.data.splits import student_folds
from adaptive.errors import AdaptiveError, ConfigError, ModelFailedWarning
from adaptive.evaluation import evaluate_models
from adaptive.evaluation.compare import (
    VS_BEST_NOTE,
    Comparison,
    failed_message,
    vs_best_cells,
)
from adaptive.files import check_output_folder
from adaptive.tracing.deep.threads import torch_threads
from adaptive.tracing.specs import build_model

DEFAULT_MODELS = "bkt,bkt-forgets,irt,pfa,best-lr"


def register(app: typer.Typer) -> None:
    """Add `evaluate` to the main app."""
    app.command("evaluate")(evaluate)


@reads_log
def evaluate(
    data: Annotated[
        str | None,
        typer.Option("--data", help="Dataset name (see `adaptive datasets list`) or a file."),
    ] = None,
    models: Annotated[
        str,
        typer.Option("--models", help="Comma-separated model spec names (or .toml paths)."),
    ] = DEFAULT_MODELS,
    folds: Annotated[int, typer.Option("--folds", min=2, help="Student-level folds.")] = 5,
    out: Annotated[
        Path,
        typer.Option(
            "--out", file_okay=False, help="Folder for metrics.csv, metrics.md and plots."
        ),
    ] = Path("evaluation"),
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Seed of the folds and the bootstrap.")
    ] = 0,
    n_boot: Annotated[
        int, typer.Option("--bootstrap", min=10, help="Bootstrap replicates for the CIs.")
    ] = 1000,
    threads: Threads = None,
    district: DistrictLog = None,
    mapping: dict | None = None,
    quarantine: Quarantine = None,
    quiet: Quiet = False,
) -> None:
    """Cross-validate models by student and compare them (AUC, RMSE, log-loss, calibration).

    `--district DIR` reads the folder's log."""
    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise ConfigError("--models is empty; expected e.g. 'bkt,pfa,best-lr'")
    for name in names:  # every name checked before any data is read or model fitted
        build_model(name)
    check_output_folder(out)  # and --out: not under a file, as one error
    data, _ = log_and_catalog(district, data, None, mapping)
    log, report = load_log_report(data, mapping or None, quarantine)
    refuse_header_only(log)
    warn_notes(report)
    s = log.summary()
    info(
        f"Loaded {s['responses']:,} responses, {s['students']:,} students, {s['items']:,} items, "
        f"{s['skills']:,} skills; {folds}-fold cross-validation by student."
    )
    if quarantine is not None:
        console.print(
            f"{report.rows_quarantined:,} row(s) quarantined to {quarantine}", soft_wrap=True
        )
    student_folds(log, folds, seed)  # too few students: one error before the progress bar
    with (
        torch_threads(threads),
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
            disable=quiet,
        ) as bar,
    ):
        task = bar.add_task("folds", total=len(names) * folds)

        def on_fold(label: str, done: int, total: int) -> None:
            bar.update(task, advance=1, description=f"{label} fold {done}/{total}")

        with warnings.catch_warnings():  # said once below, as the command's error
            warnings.simplefilter("ignore", ModelFailedWarning)
            comparison = evaluate_models(
                names, log, folds=folds, out_dir=out, seed=seed, n_boot=n_boot, progress=on_fold
            )
    console.print(comparison_table(comparison, folds))
    if len(comparison.results) > 1:
        console.print(differences_table(comparison))
        console.print(VS_BEST_NOTE, soft_wrap=True, highlight=False)
    # where the files went, as a result (under --quiet too), as `report` and `batch` say theirs:
    # without --out they go to ./evaluation, which the info line (relative, quiet) hid
    if comparison.files:
        names = ", ".join(p.name for p in comparison.files[:3])
        console.print(
            f"wrote {names} and reliability plots to {escape(str(out.resolve()))}",
            soft_wrap=True,
            highlight=False,
        )
    if comparison.failed:  # the others' outputs are written: exit 2 for the ones left out
        raise AdaptiveError(failed_message(comparison.failed))


def comparison_table(comparison: Comparison, folds: int) -> Table:
    """The pooled rows, best AUC first, each model's metrics with its own intervals."""
    table = Table(title=f"Out-of-fold comparison ({folds} folds, 95 % bootstrap CI over students)")
    for col in ("model", "AUC", "AUC 95% CI", "RMSE", "log-loss", "ECE", "responses", "fit s/fold"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in comparison.summary().itertuples():
        res = comparison.results[r.model]
        table.add_row(
            r.model,
            f"{r.auc:.4f}",
            f"[{r.auc_ci_low:.4f}, {r.auc_ci_high:.4f}]",
            f"{r.rmse:.4f}",
            f"{r.logloss:.4f}",
            f"{r.ece:.4f}",
            f"{r.n_responses:,}",
            f"{sum(res.fit_seconds) / len(res.fit_seconds):.2f}",
        )
    return table


def differences_table(comparison: Comparison) -> Table:
    """Each model's AUC minus the best's, with the paired interval and whether the students
    show a difference: a table of its own, narrow enough for an 80-column terminal, whose
    words no column squeezes ("no differ…")."""
    pooled = comparison.summary()
    table = Table(
        title=f"AUC difference from the best, {pooled['model'].iloc[0]} "
        "(paired 95 % bootstrap CI over students)"
    )
    for col in ("model", "AUC - best", "its paired 95% CI", "difference"):
        table.add_column(col, justify="right" if col.startswith(("AUC", "its")) else "left")
    for r in pooled.itertuples():
        table.add_row(r.model, *vs_best_cells(r))
    return table
