"""The training log's learning curve (`adaptive.tracing.learning_curve`): is learning gradual?"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from adaptive.data.log import ResponseLog
from adaptive.errors import ArtifactError
from adaptive.tracing.learning_curve import LearningCurve, learning_curve, logistic_slope


def practice_log(
    gain: float, n_students: int = 600, n_skills: int = 3, seed: int = 0
) -> ResponseLog:
    """Students answer each skill 6 times; P(correct) on the k-th practice is the logistic of
    -0.5 + gain * k, whatever came before (gain 0: flat, as all-or-none learners who just
    missed the skill)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_students):
        order = 0
        for k in range(n_skills):
            for practice in range(1, 7):
                p = 1.0 / (1.0 + math.exp(-(-0.5 + gain * practice)))
                rows.append((f"stu{s}", f"item{k}", [f"k{k}"], int(rng.random() < p), order))
                order += 1
    frame = pd.DataFrame(rows, columns=["student_id", "item_id", "skill_ids", "correct", "order"])
    return ResponseLog.from_frame(frame)


def test_a_rising_curve_is_measured_gradual_and_a_flat_one_not():
    """Before, nothing measured whether a district learns gradually: the policy treated a
    district of step-by-step learners like one of all-or-none learners."""
    rising = learning_curve(practice_log(0.3))
    flat = learning_curve(practice_log(0.0))
    assert rising.slope == pytest.approx(0.3, abs=0.08)
    assert rising.z > 5 and rising.is_gradual(3.0)
    assert abs(flat.z) < 3 and not flat.is_gradual(3.0)
    assert rising.n > 1000 and flat.n > 1000


def test_only_answers_after_a_wrong_one_on_the_same_skill_count():
    """The practice count is per student and skill; only answers right after a wrong one enter."""
    frame = pd.DataFrame(
        {
            "student_id": ["a"] * 5 + ["b"] * 2,
            "item_id": "i",
            "skill_ids": [["x"], ["y"], ["x"], ["x"], ["x"], ["x"], ["x"]],
            "correct": [0, 0, 1, 0, 1, 1, 0],
            "order": range(7),
        }
    )
    curve = learning_curve(ResponseLog.from_frame(frame))
    assert curve.n == 2  # a's 2nd x (after a wrong x) and a's 4th x; b's 2nd follows a right one


def test_the_fit_matches_a_logistic_regression():
    """Newton's slope and z equal the textbook logistic regression's on grouped data."""
    x = np.repeat([2, 3, 4, 5], [100, 80, 60, 40])
    y = np.concatenate([np.r_[np.ones(a), np.zeros(100 - a)][:n] for a, n in
                        [(40, 100), (40, 80), (36, 60), (28, 40)]])  # fmt: skip
    slope, z = logistic_slope(x, y)
    # statsmodels Logit on the same data: slope 0.41360, z 3.494
    assert slope == pytest.approx(0.41360, abs=1e-4)
    assert z == pytest.approx(3.494, abs=1e-3)


def test_too_little_evidence_is_not_measured():
    """One practice count, or every answer alike, identifies no slope: not gradual."""
    assert math.isnan(logistic_slope(np.array([2, 2, 2]), np.array([0, 1, 0]))[1])
    assert math.isnan(logistic_slope(np.array([2, 3, 4]), np.array([1, 1, 1]))[1])
    assert not LearningCurve().is_gradual(3.0)


def test_json_round_trip_and_a_damaged_value_is_refused():
    curve = LearningCurve(0.1, 4.0, 12)
    assert LearningCurve.from_json(curve.to_json()) == curve
    assert LearningCurve.from_json(None) == LearningCurve()
    with pytest.raises(ArtifactError, match="fitted.learning_curve"):
        LearningCurve.from_json({"slope": "x", "z": 1.0, "n": 3})
