"""Splits without leakage: no student on both sides, every response tested once, seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adaptive.data.log import ResponseLog
from adaptive.data.splits import student_folds, student_kfold, time_split, train_test_split
from adaptive.errors import AdaptiveError, ConfigError


def make_log(n_students: int = 23, per_student: int = 5, timestamps: bool = False) -> ResponseLog:
    rng = np.random.default_rng(1)
    n = n_students * per_student
    frame = pd.DataFrame(
        {
            "student_id": [f"s{i // per_student:03d}" for i in range(n)],
            "item_id": [f"i{j}" for j in rng.integers(0, 7, n)],
            "skill_ids": [f"k{j}" for j in rng.integers(0, 3, n)],
            "correct": rng.integers(0, 2, n),
        }
    )
    if timestamps:
        frame["timestamp"] = pd.Timestamp("2024-09-01", tz="UTC") + pd.to_timedelta(
            np.arange(n), unit="h"
        )
    else:
        frame["order"] = np.arange(n) % per_student
    return ResponseLog.from_frame(frame)


def keys(log: ResponseLog) -> set[tuple]:
    return set(zip(log.frame["student_id"], log.frame["order"], strict=True))


def test_kfold_puts_each_student_on_one_side_and_tests_every_response_once():
    log = make_log()
    folds = list(student_kfold(log, k=5, seed=3))
    assert len(folds) == 5
    tested: list[tuple] = []
    for train, test in folds:
        assert not set(train.students) & set(test.students)
        assert len(train) + len(test) == len(log)
        tested += list(keys(test))
    assert len(tested) == len(log) and set(tested) == keys(log)
    sizes = [te.n_students for _, te in folds]
    assert max(sizes) - min(sizes) <= 1


def test_kfold_is_seeded():
    log = make_log()
    a = [list(te.students) for _, te in student_kfold(log, 4, seed=7)]
    b = [list(te.students) for _, te in student_kfold(log, 4, seed=7)]
    c = [list(te.students) for _, te in student_kfold(log, 4, seed=8)]
    assert a == b and a != c
    np.testing.assert_array_equal(student_folds(log, 4, 7), student_folds(log, 4, 7))


def test_kfold_rejects_too_few_students():
    with pytest.raises(AdaptiveError, match="3 student"):
        list(student_kfold(make_log(n_students=3), k=5))


def test_kfold_names_the_folds_a_user_gave():
    """`train_model(..., folds=1)` said "k must be ..." of a `k` the user never wrote."""
    for folds in (1, 2.5, "3"):
        with pytest.raises(ConfigError, match=r"folds: expected a whole number >= 2"):
            student_folds(make_log(n_students=10), folds)


def test_train_test_split_by_student_share():
    log = make_log(n_students=50)
    train, test = train_test_split(log, test_size=0.2, seed=0)
    assert test.n_students == 10 and train.n_students == 40
    assert not set(train.students) & set(test.students)
    again = train_test_split(log, test_size=0.2, seed=0)[1]
    assert list(again.students) == list(test.students)
    with pytest.raises(AdaptiveError, match="test_size"):
        train_test_split(log, test_size=1.5)


def test_time_split_with_timestamps():
    log = make_log(timestamps=True)
    cutoff = "2024-09-03T00:00:00"
    before, after = time_split(log, cutoff)
    assert len(before) + len(after) == len(log)
    assert (
        before.frame["timestamp"].max()
        < pd.Timestamp(cutoff, tz="UTC")
        <= after.frame["timestamp"].min()
    )
    assert len(before) == 48
    with pytest.raises(AdaptiveError, match="date/time"):
        time_split(log, 3)


def test_time_split_with_order():
    log = make_log()
    before, after = time_split(log, 2)
    assert set(before.frame["order"]) == {0, 1} and set(after.frame["order"]) == {2, 3, 4}
    with pytest.raises(AdaptiveError, match="integer"):
        time_split(log, "2024-01-01")


def test_split_sides_keep_the_logs_row_order():
    """Evaluation scatters test-fold predictions back by mask: row order must be kept."""
    log = make_log(timestamps=True)
    fold = student_folds(log, 4, seed=2)[log.student]
    for f, (train, test) in enumerate(student_kfold(log, 4, seed=2)):
        np.testing.assert_array_equal(test.frame["timestamp"], log.frame["timestamp"][fold == f])
        np.testing.assert_array_equal(test.correct, log.correct[fold == f])
        np.testing.assert_array_equal(train.correct, log.correct[fold != f])


def test_time_splits_after_part_is_predicted_with_each_students_history_as_documented():
    """`time_split`'s docstring says how to predict the later part from each student's earlier
    answers (a trial took `predict_proba(after)`, which starts every student afresh, for the
    nightly-job setting): absorbing `before`, then `update(state, after)`, gives the whole
    log's predictions of those rows, in their order."""
    import warnings

    from adaptive.simulation.district import simulate_district
    from adaptive.tracing.bkt import BKT

    log = simulate_district(120, 2, responses_per_student=20, max_school_days=20).response_log()
    cut = log.frame["timestamp"].quantile(0.7)
    before, after = time_split(log, cut)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a small district's fit
        model = BKT(seed=0).fit(before)
    state = model.init_state()
    model.update(state, before)
    later = (log.frame["timestamp"] >= cut).to_numpy()
    np.testing.assert_allclose(model.update(state, after), model.predict_proba(log)[later])
    assert not np.allclose(model.predict_proba(after), model.predict_proba(log)[later])
