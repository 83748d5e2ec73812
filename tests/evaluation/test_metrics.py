"""Metrics against scikit-learn, the student bootstrap, per-skill metrics and reliability plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.metrics import roc_auc_score

from adaptive.data.log import ResponseLog
from adaptive.errors import DataValidationError
from adaptive.evaluation import (
    accuracy,
    auc,
    bootstrap_ci,
    compute_metrics,
    expected_calibration_error,
    log_loss,
    per_skill_metrics,
    plot_reliability,
    reliability_table,
    rmse,
)


@pytest.fixture(scope="module")
def predictions():
    rng = np.random.default_rng(0)
    n = 4000
    y = rng.integers(0, 2, n).astype(float)
    p = np.clip(np.round(0.5 + 0.25 * (y - 0.5) + rng.normal(0, 0.2, n), 2), 0.01, 0.99)
    students = rng.integers(0, 80, n)
    return y, p, students


def test_point_metrics_match_scikit_learn(predictions):
    y, p, _ = predictions
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)  # with many ties
    assert log_loss(y, p) == pytest.approx(sk_log_loss(y, p), abs=1e-12)
    assert rmse(y, p) == pytest.approx(np.sqrt(np.mean((p - y) ** 2)))
    assert accuracy(y, p) == pytest.approx(np.mean((p >= 0.5) == y))
    w = np.random.default_rng(1).integers(0, 4, len(y)).astype(float)
    assert auc(y, p, w) == pytest.approx(roc_auc_score(y, p, sample_weight=w), abs=1e-12)
    assert log_loss(y, p, w) == pytest.approx(sk_log_loss(y, p, sample_weight=w), abs=1e-12)


def test_ece_by_hand():
    y = np.array([1, 0, 1, 1, 0, 0])
    p = np.array([0.15, 0.15, 0.95, 0.95, 0.95, 0.55])
    # bins: [0.1,0.2): mean p .15 vs y .5 (2 rows); [0.9,1]: .95 vs 2/3 (3); [0.5,0.6): .55 vs 0 (1)
    expected = (2 * 0.35 + 3 * abs(0.95 - 2 / 3) + 1 * 0.55) / 6
    assert expected_calibration_error(y, p) == pytest.approx(expected)
    table = reliability_table(y, p)
    assert table["count"].sum() == len(y)
    assert list(table["count"]) == [2, 1, 3]


def test_bad_predictions_are_reported():
    with pytest.raises(DataValidationError, match="probabilities"):
        auc(np.array([0, 1]), np.array([0.2, 1.5]))
    with pytest.raises(DataValidationError, match="one prediction per answer"):
        rmse(np.array([0, 1]), np.array([0.2]))


def test_bootstrap_over_students(predictions):
    y, p, students = predictions
    ci = bootstrap_ci(y, p, students, n_boot=300, seed=4)
    point = compute_metrics(y, p)
    for metric in ("auc", "rmse", "logloss", "ece", "accuracy"):
        low, high = ci[metric]
        assert low < high
        assert low <= point[metric] <= high or metric == "ece"  # ECE is biased upwards
    assert bootstrap_ci(y, p, students, n_boot=300, seed=4) == ci  # seeded
    assert bootstrap_ci(y, p, students, n_boot=300, seed=5) != ci
    # the chunked AUC path gives the same replicates as one big chunk
    assert bootstrap_ci(y, p, students, n_boot=300, seed=4, chunk=7)["auc"] == pytest.approx(
        ci["auc"]
    )


def test_bootstrap_resamples_students_not_responses():
    """One student answers everything right with p=0.9: student resampling keeps that block."""
    rng = np.random.default_rng(0)
    y = np.concatenate([np.ones(500), rng.integers(0, 2, 500)])
    p = np.concatenate([np.full(500, 0.9), np.full(500, 0.5)])
    students = np.concatenate([np.zeros(500), np.arange(1, 501)])
    wide = bootstrap_ci(y, p, students, n_boot=400, seed=0)["rmse"]
    per_response = bootstrap_ci(y, p, np.arange(1000), n_boot=400, seed=0)["rmse"]
    assert wide[1] - wide[0] > 2 * (per_response[1] - per_response[0])


def test_per_skill_metrics_count_every_tagged_skill():
    frame = pd.DataFrame({
        "student_id": ["a", "a", "b", "b"], "item_id": ["i", "j", "i", "j"],
        "skill_ids": [["x"], ["x", "y"], ["y"], ["x"]], "correct": [1, 0, 1, 0],
        "order": [0, 1, 0, 1],
    })  # fmt: skip
    log = ResponseLog.from_frame(frame)
    p = np.array([0.8, 0.3, 0.6, 0.4])
    table = per_skill_metrics(log.skill_offsets, log.skill, log.skills, log.correct, p)
    assert dict(zip(table["skill_id"], table["n_responses"], strict=True)) == {"x": 3, "y": 2}


def test_reliability_plot_is_a_png(predictions, tmp_path):
    y, p, _ = predictions
    path = plot_reliability({"model": (y, p), "other": (y, 1 - p)}, tmp_path / "r.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("heavy", [2**24, 2**31])
def test_bootstrap_auc_counts_negatives_exactly_past_float32_range(heavy, monkeypatch):
    """The paired bootstrap's AUC sums each draw's counts of negatives below each positive;
    summed in float32 they stopped counting at 2**24 (a held-out set of 16.7 million negatives
    biased every replicate). Such a draw, without building the set: one student drawn `heavy`
    times comes first, and the 1,000 students drawn once after it were lost (AUC 0.5 instead
    of 0.500015). `heavy` 2**31: a sum past int32 too."""
    from adaptive.evaluation import metrics

    n_light = 1000
    # student 0: one negative at 0.1; students 1..1000: one negative each at 0.5; student 1001:
    # one positive at 0.6; student 1002: one negative at 0.9; drawn heavy, 1, ..., 1, 1, heavy
    p = np.concatenate([[0.1], np.full(n_light, 0.5), [0.6, 0.9]])
    y = np.zeros(len(p))
    y[n_light + 1] = 1
    students = np.arange(len(p))
    counts = np.ones((1, len(p)), np.int64)
    counts[0, [0, -1]] = heavy
    monkeypatch.setattr(metrics, "_group_draws", lambda groups, n_boot, seed: (students, counts))
    constant = np.full(len(p), 0.5)  # AUC 0.5 in every draw
    got = metrics.paired_bootstrap(y, p, constant, students, "auc", n_boot=1)
    expected = (heavy + n_light) / (2 * heavy + n_light)
    assert got[0] + 0.5 == pytest.approx(expected, rel=1e-12)
    assert got[0] + 0.5 == pytest.approx(auc(y, p, weight=counts[0]), rel=1e-12)


def test_bootstrap_auc_interval_is_the_weighted_auc_of_each_draw():
    """One AUC computation serves `auc`, `bootstrap_ci` and `paired_bootstrap`: each bootstrap
    replicate's AUC is `auc` with the draw's counts as response weights (ties included)."""
    from adaptive.evaluation import metrics

    rng = np.random.default_rng(3)
    n, n_students, n_boot = 600, 40, 50
    students = rng.integers(0, n_students, n)
    p = rng.random(n).round(1)  # many ties
    y = (rng.random(n) < p).astype(float)
    g, counts = metrics._group_draws(students, n_boot, seed=7)
    each = np.array([auc(y, p, weight=counts[b][g]) for b in range(n_boot)])
    low, high = metrics.bootstrap_ci(y, p, students, n_boot=n_boot, seed=7, chunk=7)["auc"]
    assert (low, high) == pytest.approx((np.nanquantile(each, 0.025), np.nanquantile(each, 0.975)))


def test_paired_interval_is_the_percentile_interval_of_the_finite_replicates():
    """The one reading of a paired bootstrap's replicates (`evaluate`'s difference from the
    best model and `promote`'s improvement): the point estimate and the 95 % percentile
    interval of the replicates a draw could score, zeros never "-0.0000"."""
    from adaptive.evaluation.metrics import paired_interval

    reps = np.concatenate([np.linspace(-1.0, 1.0, 401), [np.nan] * 7])
    estimate, low, high = paired_interval(-0.0, reps)
    assert (low, high) == pytest.approx(tuple(np.quantile(reps[:401], [0.025, 0.975])))
    assert str(estimate) == "0.0"
    _, low, high = paired_interval(0.5, np.array([-0.0, -0.0, -0.0]))
    assert (str(low), str(high)) == ("0.0", "0.0")


def test_paired_interval_of_no_finite_replicate_is_nan():
    """No draw could be scored (a log of one kind of answer: no AUC): the difference cannot be
    measured, and its interval is NaN, not (0, 0), which `promote` read as a gain of exactly
    0 (its gate passed it at `--margin 0`) and `evaluate` did not."""
    from adaptive.evaluation.metrics import paired_interval

    for reps in (np.full(50, np.nan), np.array([])):
        estimate, low, high = paired_interval(0.01, reps)
        assert estimate == 0.01 and np.isnan(low) and np.isnan(high)
