"""Student-level k-fold cross-validation of one knowledge-tracing model.

Each fold's model is a fresh clone fitted on the other folds' students only; its predictions for
the held-out students use each student's earlier responses only (`predict_proba`'s contract), so
every response of the log gets exactly one out-of-fold prediction. Splits come from
`adaptive.data.splits` (seeded; a student is in exactly one test fold).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.data.log import ResponseLog
from adaptive.data.splits import student_folds, student_kfold
from adaptive.errors import (
    AdaptiveError,
    CoverageWarning,
    FitWarning,
    counted,
    fit_notes,
    line_words,
    verb,
)
from adaptive.evaluation.metrics import compute_metrics
from adaptive.tracing.base import KnowledgeTracer
from adaptive.tracing.specs import build_model

# progress(model label, folds done, folds in all)
Progress = Callable[[str, int, int], None]


@dataclass
class CrossValResult:
    """Out-of-fold predictions of one model on one log, and their metrics.

    `fold`, `p`, `y` and `student` are aligned with the rows of the evaluated log.
    `metrics` has one row per fold and one `all` row (pooled out-of-fold predictions).
    """

    model: str
    fold: np.ndarray
    p: np.ndarray
    y: np.ndarray
    student: np.ndarray
    metrics: pd.DataFrame
    fit_seconds: list[float] = field(default_factory=list)
    predict_seconds: list[float] = field(default_factory=list)
    #: fold -> (its test responses, skills) on skills its training folds never had
    unseen: dict[int, tuple[int, list[str]]] = field(default_factory=dict)


def resolve_model(model_or_spec: KnowledgeTracer | str | Path) -> tuple[str, KnowledgeTracer]:
    """(label, unfitted model) from a model instance (cloned) or a spec name / TOML path."""
    if isinstance(model_or_spec, KnowledgeTracer):
        return model_label(model_or_spec), model_or_spec.clone()
    return model_label(model_or_spec), build_model(model_or_spec)


def model_label(model_or_spec: KnowledgeTracer | str | Path) -> str:
    """A model's name in metrics and messages: its class's name ("pfa"), a spec's name
    ("bkt-forgets"), or a spec file's stem."""
    if isinstance(model_or_spec, KnowledgeTracer):
        return type(model_or_spec).name
    spec = str(model_or_spec)
    return Path(spec).stem if spec.endswith(".toml") else spec


def cross_validate(
    model_or_spec: KnowledgeTracer | str | Path,
    log: ResponseLog,
    folds: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
    label: str | None = None,
    warn_unseen: bool = True,
) -> CrossValResult:
    """Fit on `folds - 1` folds of students, predict the held-out fold, for every fold.

    Parameters
    ----------
    model_or_spec : a model (its hyperparameters are cloned; it is not fitted) or a spec name
        shipped in `adaptive/specs/models/` (e.g. "bkt-forgets") or a spec file.
    log : the response log to evaluate on.
    folds, seed : the student-level split (`adaptive.data.splits.student_kfold`).
    progress : called after each fold with (label, folds done, folds).
    label : the model's name in the metrics and warnings (default: the spec's name, or the
        model's class name for an instance; `adaptive train` gives its spec's, "bkt-forgets").
    warn_unseen : warn of test responses on skills their training folds never had (`unseen`
        holds them either way; `evaluate_models` says it once for all its models).
    """
    named, template = resolve_model(model_or_spec)
    label = label or named
    response_fold = student_folds(log, folds, seed)[log.student]
    p = np.full(len(log), np.nan)
    fit_s: list[float] = []
    predict_s: list[float] = []
    rows = []
    unseen: dict[int, tuple[int, list[str]]] = {}  # fold -> (test responses, skills) unseen at fit
    fit_notes_by_fold: dict[int, str] = {}  # fold -> its fit's FitWarning
    for f, (train, test) in enumerate(student_kfold(log, folds, seed)):
        model = template.clone()
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(train)
        t1 = time.perf_counter()
        said = fit_notes(caught)  # the first kept for `_warn_fold_fits`
        if said:
            fit_notes_by_fold.setdefault(f, said[0])
        p_test = model.predict_proba(test, warn_untraced=False)  # said once: warn_unseen
        found = _unseen_skills(model, test)
        if found is not None:
            unseen[f] = found
        fit_s.append(t1 - t0)
        predict_s.append(time.perf_counter() - t1)
        bad = ~np.isfinite(p_test) | (p_test < 0) | (p_test > 1)
        if bad.any():
            raise AdaptiveError(
                f"model {label!r}, fold {f}: {int(bad.sum())} of {len(p_test)} predictions are "
                "not probabilities (NaN or outside [0, 1]); expected P(correct) for every response"
            )
        held_out = response_fold == f
        if not np.array_equal(test.correct, log.correct[held_out]):  # split must keep row order
            raise AdaptiveError("student_kfold changed the row order of a test fold")
        p[held_out] = p_test
        rows.append({"model": label, "fold": str(f), **compute_metrics(test.correct, p_test)})
        if progress is not None:
            progress(label, f + 1, folds)
    if warn_unseen:
        warn_unseen_skills(unseen, [label], folds)
    _warn_fold_fits(fit_notes_by_fold, label, folds)
    y = log.correct.astype(np.float64)
    rows.append({"model": label, "fold": "all", **compute_metrics(y, p)})
    return CrossValResult(
        model=label,
        fold=response_fold,
        p=p,
        y=y,
        student=log.student.copy(),
        metrics=pd.DataFrame(rows),
        fit_seconds=fit_s,
        predict_seconds=predict_s,
        unseen=unseen,
    )


def _warn_fold_fits(notes: dict[int, str], label: str, folds: int) -> None:
    """Say once which folds' fits warned, with the first one's words: each fold's fit said
    nearly the same (BKT's degenerate skills), one long line per fold above the table (a data
    scientist's trial: six lines on `train`)."""
    if not notes:
        return
    first = min(notes)
    warnings.warn(
        f"model {label!r}: the fits of {fold_words(notes, folds)} warned; fold {first}'s: "
        f"{notes[first]}",
        FitWarning,
        stacklevel=3,
    )


def fold_words(named: Collection[int], folds: int) -> str:
    """Which of the `folds` a message is about, counted, then named as the per-fold table and
    the run's metrics name them (from 0): "1 of the 5 folds (fold 0)", "2 of the 5 folds
    (folds 1 and 3)", "all 3 folds". A data scientist's trial read "(folds 0 of 5)" as none of
    them."""
    if len(named) == folds:
        return f"all {counted(folds, 'fold')}"
    return f"{len(named):,} of the {counted(folds, 'fold')} ({line_words(named, unit='fold')})"


def _unseen_skills(model, test: ResponseLog) -> tuple[int, list[str]] | None:
    """(responses, skills) of a test fold on skills its training folds never had (None: none,
    or a model that cannot tell)."""
    untraced = getattr(model, "untraced", None)
    found = untraced(test) if untraced is not None else None
    if not found or not found.responses:
        return None
    return int(found.responses), list(found.skills)


def warn_unseen_skills(
    unseen: dict[int, tuple[int, list[str]]], labels: list[str], folds: int
) -> None:
    """Say, once for the whole cross-validation, how many test responses were on skills their
    training folds never had: the models predict them from their defaults (no skill
    parameters), and they count in the folds' metrics (a researcher's trial: `predict_proba`
    said nothing; then a data steward's: one warning per fold was noise in every `train`, and
    a data scientist's: `evaluate` said the same words once per model)."""
    if not unseen:
        return
    label = ", ".join(repr(m) for m in labels)
    responses = sum(n for n, _ in unseen.values())
    skills = sorted({s for _, names in unseen.values() for s in names})
    warnings.warn(
        f"{'models' if len(labels) > 1 else 'model'} {label}: {counted(responses, 'test response')} "
        f"in {fold_words(unseen, folds)} {verb(responses, 'is')} on "
        f"{counted(len(skills), 'skill')} their training folds never had (e.g. {skills[0]!r}): "
        "predicted from the model's defaults, and counted in the folds' metrics",
        CoverageWarning,
        stacklevel=3,
    )
