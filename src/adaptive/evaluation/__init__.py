"""Evaluation of knowledge-tracing models: metrics, calibration, cross-validation, comparison.

>>> from adaptive.evaluation import evaluate_models          # doctest: +SKIP
>>> cmp = evaluate_models(["bkt", "pfa", "best-lr"], log, folds=5, out_dir="out")  # doctest: +SKIP
"""

from __future__ import annotations

from adaptive.evaluation.calibration import plot_reliability, reliability_table
from adaptive.evaluation.compare import Comparison, evaluate_models
from adaptive.evaluation.crossval import CrossValResult, cross_validate
from adaptive.evaluation.metrics import (
    accuracy,
    auc,
    bootstrap_ci,
    compute_metrics,
    expected_calibration_error,
    log_loss,
    paired_bootstrap,
    per_skill_metrics,
    rmse,
)

__all__ = [
    "Comparison",
    "CrossValResult",
    "accuracy",
    "auc",
    "bootstrap_ci",
    "compute_metrics",
    "cross_validate",
    "evaluate_models",
    "expected_calibration_error",
    "log_loss",
    "paired_bootstrap",
    "per_skill_metrics",
    "plot_reliability",
    "reliability_table",
    "rmse",
]
