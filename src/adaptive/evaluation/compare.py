"""Compare several knowledge-tracing models on one log with the same student folds.

`evaluate_models(["bkt", "pfa", "best-lr"], log, folds=5, out_dir="out")` cross-validates each
model on identical splits and writes:

* `metrics.csv` - one row per model and fold plus one `all` row per model (pooled out-of-fold
  predictions); columns `model, fold, auc, rmse, logloss, ece, n_responses` then bootstrap 95 %
  intervals over students (`auc_ci_low, auc_ci_high, rmse_ci_low, rmse_ci_high`, on `all` rows),
  then each model's AUC minus the best model's (`auc_vs_best`, blank on the best's row) with its
  paired 95 % interval (`auc_vs_best_ci_low, auc_vs_best_ci_high`) and `vs_best`: "best",
  "difference shown" (the interval excludes 0), "no difference shown" (it includes 0), or blank
  where the difference cannot be measured (no AUC: answers all of one kind);
* `metrics.md` - the same as a readable table (with accuracy);
* `per_skill.csv` - metrics per model and skill (pooled out-of-fold predictions);
* `reliability.png` - reliability curves of every model, and `reliability_<model>.png` each.

Two models' own intervals overlapping says little about their difference (the students easy
for one model are easy for the other), so the ranking is tested in pairs: each model against the
best by AUC, on the same out-of-fold predictions of the same responses, with `paired_bootstrap`
over students (the same seeded draws as the per-model intervals; the interval is
`paired_interval`'s, as `promote`'s). The students show a difference where its interval
excludes 0. That is all `evaluate` asks, with no margin; its words are not `promote`'s
"established", which asks more of the same interval: its lower end must reach the margin.

Outputs are deterministic for a seed (no timings in the files) and written atomically; a run
into an earlier run's folder removes that run's `reliability_<model>.png` of models it does not score.

A model that cannot be evaluated on the log (an `AdaptiveError` while fitting or predicting, e.g.
a fold whose training students answered only right for a model that needs both) does not cost
the others: they are scored and written, `metrics.md` names the model and its reason, and
`Comparison.failed` holds it (`adaptive evaluate` then exits 2 after writing). Only when no
model could be scored is the first error raised.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adaptive.data.log import ResponseLog
from adaptive.errors import AdaptiveError, ModelFailedWarning
from adaptive.evaluation.calibration import plot_reliability
from adaptive.evaluation.crossval import (
    CrossValResult,
    Progress,
    cross_validate,
    model_label,
    warn_unseen_skills,
)
from adaptive.evaluation.metrics import (
    bootstrap_ci,
    paired_bootstrap,
    paired_interval,
    per_skill_metrics,
)
from adaptive.files import make_folder
from adaptive.tracing.base import KnowledgeTracer, atomic_write_bytes

CSV_COLUMNS = [
    "model",
    "fold",
    "auc",
    "rmse",
    "logloss",
    "ece",
    "n_responses",
    "auc_ci_low",
    "auc_ci_high",
    "rmse_ci_low",
    "rmse_ci_high",
    "auc_vs_best",
    "auc_vs_best_ci_low",
    "auc_vs_best_ci_high",
    "vs_best",
    "seed",  # the folds' and the bootstrap's
    "data_sha256",  # the log's fingerprint (`registry.fingerprint.log_sha256`), as MLflow's
]

#: `vs_best`'s words: the best model's own row, and whether the students show a difference from
#: it (its paired 95 % interval excludes 0); not `promote`'s "established", which needs a margin
BEST, SHOWN, NOT_SHOWN = "best", "difference shown", "no difference shown"


@dataclass
class Comparison:
    """The comparison table (`metrics.csv` rows) and each model's cross-validation result."""

    table: pd.DataFrame
    results: dict[str, CrossValResult]
    files: list[Path]
    #: the models that could not be scored -> why (the error's message)
    failed: dict[str, str] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """The `all` rows only, best AUC first."""
        return ranked(self.table)


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    """The pooled (`all`) rows of a comparison table, best AUC first (ties: the order given)."""
    rows = table[table["fold"] == "all"]
    return rows.sort_values("auc", ascending=False, kind="stable").reset_index(drop=True)


def evaluate_models(
    models: Sequence[str | Path | KnowledgeTracer],
    log: ResponseLog,
    folds: int = 5,
    out_dir: str | Path | None = None,
    seed: int = 0,
    n_boot: int = 1000,
    progress: Progress | None = None,
) -> Comparison:
    """Cross-validate every model on the same student folds; write the outputs to `out_dir`.

    A model that fails with an `AdaptiveError` is left out with a `ModelFailedWarning` and kept
    in `Comparison.failed`; the error itself is raised only when every model failed."""
    results: dict[str, CrossValResult] = {}
    failed: dict[str, str] = {}
    first_error: AdaptiveError | None = None
    tables = []
    for model in models:
        try:
            res = cross_validate(
                model, log, folds=folds, seed=seed, progress=progress, warn_unseen=False
            )
        except AdaptiveError as err:
            first_error = first_error or err
            failed[model_label(model)] = str(err)
            continue
        if res.model in results:  # the same class twice: keep both, numbered
            res.model = f"{res.model}-{len(results)}"
            res.metrics["model"] = res.model
        results[res.model] = res
        table = res.metrics.copy()
        ci = bootstrap_ci(res.y, res.p, res.student, n_boot=n_boot, seed=seed)
        is_all = table["fold"] == "all"
        for metric in ("auc", "rmse"):
            table.loc[is_all, f"{metric}_ci_low"] = ci[metric][0]
            table.loc[is_all, f"{metric}_ci_high"] = ci[metric][1]
        tables.append(table)
    if not results and first_error is not None:
        raise first_error
    _warn_unseen_once(results, folds)
    table = vs_best(pd.concat(tables, ignore_index=True), results, n_boot, seed)
    # what decides the figures, on every row: two tables of other folds or logs tell apart
    from adaptive.registry.fingerprint import log_sha256  # the registry imports this module

    table = table.assign(seed=seed, data_sha256=log_sha256(log))
    full = table.copy()
    table = table[CSV_COLUMNS]
    files: list[Path] = []
    if out_dir is not None:
        files = write_outputs(Path(out_dir), table, full, results, log, failed)
    if failed:
        warnings.warn(ModelFailedWarning(failed_message(failed)), stacklevel=2)
    return Comparison(table=table, results=results, files=files, failed=failed)


def vs_best(
    table: pd.DataFrame, results: dict[str, CrossValResult], n_boot: int, seed: int
) -> pd.DataFrame:
    """`table` with each model's AUC minus the best model's on its `all` row and the paired 95 %
    interval of that difference (`paired_bootstrap` over students: `bootstrap_ci`'s unit,
    replicates and seed; `paired_interval`), and `vs_best` saying whether the students show a
    difference (`difference_words`). The best model's row: `vs_best` "best", the difference
    blank. Every model predicted the same responses out of fold (rows of the one log), so the
    pairing is exact."""
    table = table.assign(
        auc_vs_best=np.nan, auc_vs_best_ci_low=np.nan, auc_vs_best_ci_high=np.nan, vs_best=""
    )
    pooled = ranked(table)
    best = results[pooled["model"].iloc[0]]
    for r in pooled.itertuples():
        row = (table["model"] == r.model) & (table["fold"] == "all")
        if r.Index == 0:
            table.loc[row, "vs_best"] = BEST
            continue
        res = results[r.model]
        reps = paired_bootstrap(res.y, res.p, best.p, res.student, "auc", n_boot, seed)
        difference = paired_interval(r.auc - pooled["auc"].iloc[0], reps)
        table.loc[row, ["auc_vs_best", "auc_vs_best_ci_low", "auc_vs_best_ci_high"]] = list(
            difference
        )
        table.loc[row, "vs_best"] = difference_words(*difference[1:])
    return table


def difference_words(low: float, high: float) -> str:
    """`vs_best` of a difference with the paired interval [low, high]: "difference shown" where
    it excludes 0, "no difference shown" where it includes 0, blank where the difference cannot
    be measured (NaN: no draw of the students could be scored)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return ""
    return SHOWN if low > 0 or high < 0 else NOT_SHOWN


def failed_message(failed: dict[str, str]) -> str:
    """'2 models not scored (the others were):' then '- dkt: <why>', one line a model."""
    noun = "model" if len(failed) == 1 else "models"
    reasons = "".join(f"\n- {name}: {why}" for name, why in failed.items())
    return f"{len(failed)} {noun} not scored (the others were):{reasons}"


def _warn_unseen_once(results: dict[str, CrossValResult], folds: int) -> None:
    """The test responses on skills their training folds never had, said once for the models
    that met the same ones (every model meets the same folds)."""
    groups: dict[str, tuple[dict, list[str]]] = {}  # the unseen, as text -> (it, its models)
    for name, res in results.items():
        if res.unseen:
            groups.setdefault(repr(sorted(res.unseen.items())), (res.unseen, []))[1].append(name)
    for unseen, names in groups.values():
        warn_unseen_skills(unseen, names, folds)


def write_outputs(
    out_dir: Path,
    table: pd.DataFrame,
    full: pd.DataFrame,
    results: dict[str, CrossValResult],
    log: ResponseLog,
    failed: dict[str, str] | None = None,
) -> list[Path]:
    """Write the comparison's files into `out_dir` (the module's list). A run into the folder
    of an earlier one leaves only its own outputs: the per-model plots the earlier run wrote
    for models this run does not score are removed (`_earlier_models`), so none looks
    current; no other file of the folder is touched."""
    make_folder(out_dir)
    stale = _earlier_models(out_dir) - set(results)
    files = [out_dir / "metrics.csv", out_dir / "metrics.md", out_dir / "per_skill.csv"]
    atomic_write_bytes(files[0], table.to_csv(index=False, float_format="%.6f").encode())
    atomic_write_bytes(files[1], markdown_report(full, log, failed).encode())
    per_skill = [
        per_skill_metrics(log.skill_offsets, log.skill, log.skills, r.y, r.p).assign(model=name)
        for name, r in results.items()
    ]
    skill_table = pd.concat(per_skill, ignore_index=True)
    skill_table = skill_table[["model", *[c for c in skill_table.columns if c != "model"]]]
    atomic_write_bytes(files[2], skill_table.to_csv(index=False, float_format="%.6f").encode())
    curves = {name: (r.y, r.p) for name, r in results.items()}
    files.append(
        plot_reliability(curves, out_dir / "reliability.png", title="Out-of-fold reliability")
    )
    for name, curve in curves.items():
        path = out_dir / f"reliability_{name}.png"
        files.append(
            plot_reliability({name: curve}, path, title=f"{name}: out-of-fold reliability")
        )
    for name in stale:
        (out_dir / f"reliability_{name}.png").unlink(missing_ok=True)
    return files


def _earlier_models(out_dir: Path) -> set[str]:
    """The models whose plots an earlier run wrote into `out_dir`: the `model` column of its
    `metrics.csv` (every model scored, each with its `reliability_<model>.png`). None when the
    folder holds no such file, or one this command did not write; a name that is not a plain
    file name is never taken, so nothing outside the folder is named."""
    try:
        earlier = pd.read_csv(out_dir / "metrics.csv", usecols=["model"], dtype=str)["model"]
    except (OSError, ValueError):  # none yet, or not a table of ours (pandas' errors too)
        return set()
    return {name for name in earlier.dropna() if name and Path(name).name == name}


#: what the difference columns hold, said under the table on screen and in metrics.md
VS_BEST_NOTE = (
    "AUC - best: a model's AUC minus the best model's, with its 95 % interval from a paired "
    'bootstrap over students (the same students drawn for both models): "difference shown" '
    'where that interval excludes 0, "no difference shown" where it includes 0. Overlapping '
    "intervals of two models' own AUCs do not mean that they are alike. No margin is asked "
    "here: adaptive promote asks more before a model replaces the champion (the lower end of "
    "the interval of its gain must reach the margin)."
)


def vs_best_cells(row: Any) -> tuple[str, str, str]:
    """A pooled row's (`itertuples`) difference from the best model as printed: (AUC - best,
    its paired interval, "best" / "difference shown" / "no difference shown"); the best's own
    row: blank, blank, "best"; a difference that cannot be measured (no AUC): blank."""
    low, high = row.auc_vs_best_ci_low, row.auc_vs_best_ci_high
    if row.vs_best == BEST or not (np.isfinite(low) and np.isfinite(high)):
        return "", "", row.vs_best
    return f"{row.auc_vs_best:+.4f}", f"[{low:+.4f}, {high:+.4f}]", row.vs_best


def markdown_report(
    full: pd.DataFrame, log: ResponseLog, failed: dict[str, str] | None = None
) -> str:
    """Readable comparison: pooled metrics with 95 % student-bootstrap intervals, then per fold,
    then the models that could not be scored and why."""
    s = log.summary()
    source = f"{log.source}, " if log.source else ""
    lines = [
        "# Model comparison",
        "",
        f"Data: {source}fingerprint {full['data_sha256'].iloc[0][:12]}: {s['responses']} "
        f"responses, {s['students']} students, {s['items']} items, {s['skills']} skills. "
        f"Student-level {full['fold'].nunique() - 1}-fold cross-validation, seed "
        f"{full['seed'].iloc[0]}; intervals: 95 % bootstrap over students. {VS_BEST_NOTE}",
        "",
        "| model | AUC | AUC 95 % CI | AUC - best | its paired 95 % CI | difference | RMSE "
        "| RMSE 95 % CI | log-loss | accuracy | ECE | responses |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ranked(full).itertuples():
        diff, interval, words = vs_best_cells(r)
        lines.append(
            f"| {r.model} | {r.auc:.4f} | [{r.auc_ci_low:.4f}, {r.auc_ci_high:.4f}] "
            f"| {diff} | {interval} | {words} | {r.rmse:.4f} | "
            f"[{r.rmse_ci_low:.4f}, {r.rmse_ci_high:.4f}] | {r.logloss:.4f} | {r.accuracy:.4f} | "
            f"{r.ece:.4f} | {r.n_responses} |"
        )
    lines += [
        "",
        "## Per fold",
        "",
        "| model | fold | AUC | RMSE | log-loss | ECE | responses |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in full[full["fold"] != "all"].itertuples():
        lines.append(
            f"| {r.model} | {r.fold} | {r.auc:.4f} | {r.rmse:.4f} | {r.logloss:.4f} | "
            f"{r.ece:.4f} | {r.n_responses} |"
        )
    if failed:
        lines += ["", "## Not scored", ""]
        lines += [f"- {name}: {why}" for name, why in failed.items()]
    return "\n".join(lines) + "\n"
