from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adaptive.data.log import ResponseLog
from adaptive.errors import DataValidationError


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "student_id": ["b", "a", "a"],
            "item_id": ["i1", "i2", "i1"],
            "skill_ids": [["x", "y"], ["x"], ["y"]],
            "correct": [1, 0, 1],
            "order": [0, 1, 0],
        }
    )


def test_from_frame_sorts_by_student_then_time_and_codes_everything():
    log = ResponseLog.from_frame(_frame())
    assert log.frame["student_id"].tolist() == ["a", "a", "b"]
    assert log.frame["order"].tolist() == [0, 1, 0]
    assert list(log.students) == ["a", "b"]
    np.testing.assert_array_equal(log.student, [0, 0, 1])
    np.testing.assert_array_equal(log.skill_offsets, [0, 1, 2, 4])
    assert [log.skills[c] for c in log.skill[2:4]] == ["x", "y"]
    np.testing.assert_array_equal(log.position_in_student(), [0, 1, 0])


def test_from_frame_rejects_non_binary_correct_naming_the_value():
    frame = _frame()
    frame.loc[1, "correct"] = 3
    with pytest.raises(DataValidationError, match="column 'correct': got '3'; expected 0 or 1"):
        ResponseLog.from_frame(frame)


def test_take_students_keeps_only_those_students():
    log = ResponseLog.from_frame(_frame())
    sub = log.take_students(["b"])
    assert list(sub.students) == ["b"] and len(sub) == 1


def test_a_skill_column_mixing_plain_ids_and_lists_keeps_each_plain_id_whole():
    """A hand-built frame often holds a plain id on some rows and a list on others; the plain
    id is ONE skill there too (before, a mixed column spelled it out: "k-new" became the five
    skills k, -, n, e, w). Numbers read as their digits; a missing cell is an error."""
    frame = pd.DataFrame(
        {
            "student_id": ["a", "a", "b"],
            "item_id": ["i1", "i2", "i3"],
            "skill_ids": [["x", "y"], "k-new", 7],
            "correct": [1, 0, 1],
            "order": [0, 1, 2],
        }
    )
    log = ResponseLog.from_frame(frame)
    assert sorted(log.skills) == ["7", "k-new", "x", "y"]
    assert log.n_skills_per_response.tolist() == [2, 1, 1]
    frame.loc[2, "skill_ids"] = None
    with pytest.raises(DataValidationError, match="skill_ids.*at least one skill"):
        ResponseLog.from_frame(frame)
