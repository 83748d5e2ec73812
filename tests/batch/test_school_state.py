"""The Spark engine's per-school snapshot (`batch.school_state`) keeps what the in-process one
keeps: here, where each student was placed from."""

from __future__ import annotations

import numpy as np

from adaptive.batch.history import StudentHistory
from adaptive.batch.school_state import decode_state, encode_state
from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.tracing.base import PLACED_FROM, TracingState


def test_a_schools_snapshot_keeps_where_each_student_was_placed_from() -> None:
    """Spark's school snapshot reset every placement code to "unsaid" (the codes index a
    vocabulary the table did not hold), so on Spark a night not given last night's
    `--placement` table lost the table's words in its students' reasons, which the in-process
    job keeps. The words now travel in the table."""
    catalog = Catalog((Skill("k1"),), (Activity("k1@0", "k1", ("k1",)),))
    tracer = TracingState(["a", "b", "c"], {"p_known": np.zeros((3, 1))})
    tracer.record_placement(np.array([0, 2]), ["placed from last_year.csv", "placed by diagnostic"])
    empty = TracingState([], {"p_known": np.zeros((0, 1)), PLACED_FROM: np.zeros(0, np.int32)})
    table = encode_state(tracer, StudentHistory.empty(catalog), ["c", "b", "a", "gone"])
    decoded, _ = decode_state(table, catalog, 4, empty)
    assert decoded.students == ["c", "b", "a"]
    assert decoded.placed_from(np.arange(3)).tolist() == [
        "placed by diagnostic", "", "placed from last_year.csv",
    ]  # fmt: skip
