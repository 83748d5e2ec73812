"""Wrong argument types to the data API (users' reports): one error naming the argument."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adaptive.data import load_log
from adaptive.data.log import ResponseLog
from adaptive.data.splits import student_kfold, time_split, train_test_split


def small_log() -> ResponseLog:
    return ResponseLog.from_frame(
        pd.DataFrame(
            {
                "student_id": [f"s{i // 2}" for i in range(20)],
                "item_id": ["i"] * 20,
                "skill_ids": ["k"] * 20,
                "correct": np.arange(20) % 2,
                "order": np.arange(20) % 2,
            }
        )
    )


@pytest.mark.parametrize("mapping", [["user"], "user", [("student_id", "user")]])
def test_a_mapping_that_is_not_a_dict_is_named(tmp_path, mapping) -> None:
    path = tmp_path / "export.csv"
    path.write_text("user,problem,kc,ok\nu1,p1,k1,1\n")
    with pytest.raises(TypeError, match=r"mapping: expected a dict \{field: column\}"):
        load_log(path, mapping=mapping)


@pytest.mark.parametrize("test_size", ["0.2", None, True, [0.2]])
def test_a_test_size_that_is_not_a_number_is_named(test_size) -> None:
    with pytest.raises(TypeError, match=r"test_size: expected a share of students"):
        train_test_split(small_log(), test_size=test_size)


@pytest.mark.parametrize("seed", ["0", 1.5, None])
def test_a_seed_that_is_not_an_integer_is_named(seed) -> None:
    with pytest.raises(TypeError, match=r"seed: expected an integer"):
        train_test_split(small_log(), seed=seed)
    with pytest.raises(TypeError, match=r"seed: expected an integer"):
        next(student_kfold(small_log(), k=2, seed=seed))


def test_a_frame_where_a_log_goes_says_how_to_make_one() -> None:
    for split in (train_test_split, lambda log: time_split(log, 1)):
        with pytest.raises(TypeError, match=r"log: expected a ResponseLog.*load_log"):
            split(small_log().frame)


def test_good_arguments_still_split() -> None:
    train, test = train_test_split(small_log(), test_size=np.float64(0.2), seed=np.int64(1))
    assert len(train) + len(test) == 20
