"""The data fingerprint and the promotion holdout."""

from __future__ import annotations

import numpy as np
import pandas as pd

from adaptive.data.log import ResponseLog
from adaptive.registry import data_fingerprint, holdout_mask, split_holdout


def test_fingerprint_changes_with_any_response_and_names_no_student(small_log, student_prefix):
    fp = data_fingerprint(small_log)
    assert fp == data_fingerprint(ResponseLog.from_frame(small_log.frame.copy()))
    changed = small_log.frame.copy()
    changed.loc[5, "correct"] = 1 - changed.loc[5, "correct"]
    assert data_fingerprint(ResponseLog.from_frame(changed))["data_sha256"] != fp["data_sha256"]
    assert fp["data_responses"] == len(small_log) and fp["data_students"] == small_log.n_students
    assert not any(student_prefix in f"{k}{v}" for k, v in fp.items())


def test_holdout_is_stable_and_splits_by_student(small_log):
    ids = pd.Index([f"s{i}" for i in range(20_000)])
    mask = holdout_mask(ids)
    assert 0.18 < mask.mean() < 0.22
    np.testing.assert_array_equal(
        mask[5000:6000], holdout_mask(ids[5000:6000])
    )  # roster-independent
    train, held = split_holdout(small_log)
    assert set(train.students).isdisjoint(held.students)
    assert len(train) + len(held) == len(small_log)
