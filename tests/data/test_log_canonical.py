"""`ResponseLog.from_canonical` (the readers' fast path) gives exactly what `from_frame` gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adaptive.data.log import ResponseLog

ARRAYS = ("student", "item", "correct", "skill_offsets", "skill")


def assert_same(a: ResponseLog, b: ResponseLog) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).dtype == getattr(b, name).dtype
    for name in ("students", "items", "skills"):
        pd.testing.assert_index_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize("timestamps", [False, True])
def test_from_canonical_matches_from_frame(timestamps):
    rng = np.random.default_rng(0)
    n = 500
    frame = pd.DataFrame(
        {
            "student_id": [f"s{i}" for i in rng.integers(0, 40, n)],
            "item_id": [f"i{i}" for i in rng.integers(0, 30, n)],
            "skill_ids": [
                [f"k{j}" for j in rng.choice(9, rng.integers(1, 4), replace=False)]
                for _ in range(n)
            ],
            "correct": rng.integers(0, 2, n),
        }
    )
    if timestamps:
        frame["timestamp"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(
            rng.integers(0, 99, n), "min"
        )
    else:
        frame["order"] = rng.integers(0, 50, n)
    reference = ResponseLog.from_frame(frame)
    shuffled = reference.frame.sample(frac=1, random_state=1)
    assert_same(ResponseLog.from_canonical(shuffled), ResponseLog.from_frame(shuffled))
    subset = reference.frame["correct"].to_numpy() == 1
    assert_same(
        ResponseLog.from_canonical(reference.frame.loc[subset]), reference.take_rows(subset)
    )


def test_compacted_ids_code_row_subsets_as_the_plain_log_does():
    """`compact_ids` keeps the ids as categoricals (the nightly job's memory): every row subset
    of a compacted log has the same codes, vocabularies (plain text indexes) and values."""
    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame(
        {
            "student_id": [f"s{i:02d}" for i in rng.integers(0, 40, n)],
            "item_id": [f"i{i}" for i in rng.integers(0, 30, n)],
            "skill_ids": [[f"k{i}"] for i in rng.integers(0, 9, n)],
            "correct": rng.integers(0, 2, n),
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 999, n), "min"),
        }
    )
    plain, compact = ResponseLog.from_frame(frame), ResponseLog.from_frame(frame)
    compact.compact_ids()
    assert isinstance(compact.frame["student_id"].dtype, pd.CategoricalDtype)
    assert compact.frame["item_id"].astype(str).tolist() == plain.frame["item_id"].tolist()
    for subset in (rng.random(n) < 0.3, plain.frame["student_id"].isin(["s03", "s17"]).to_numpy()):
        a, b = plain.take_rows(subset), compact.take_rows(subset)
        for name in (*ARRAYS, "time"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        for name in ("students", "items", "skills"):
            pd.testing.assert_index_equal(getattr(a, name), getattr(b, name))
