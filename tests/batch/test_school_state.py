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


def test_a_schools_snapshot_keeps_each_skills_first_answer() -> None:
    """The first answers the curriculum order is read from (`StudentHistory.first_correct`)
    travel in the school's table like the other history arrays; a table written before they
    were kept reads as none (-1)."""
    import pandas as pd

    from adaptive.data.log import ResponseLog

    catalog = Catalog(
        (Skill("k1"), Skill("k2")),
        (Activity("k1@0", "k1", ("k1",)), Activity("k2@0", "k2", ("k2",))),
    )
    frame = pd.DataFrame({
        "student_id": ["a", "a", "b"], "item_id": ["k1@0", "k1@0", "k2@0"],
        "skill_ids": ["k1", "k1", "k2"], "correct": [0, 1, 1],
        "timestamp": pd.to_datetime(["2026-10-01 09:00", "2026-10-01 09:05", "2026-10-01 09:00"]),
    })  # fmt: skip
    history = StudentHistory.empty(catalog)
    history.absorb(ResponseLog.from_frame(frame), catalog)
    assert history.first_correct.tolist() == [[0, -1], [-1, 1]]  # a's first answer on k1: wrong
    empty = TracingState([], {"p_known": np.zeros((0, 2))})
    tracer = TracingState(["a", "b"], {"p_known": np.zeros((2, 2))})
    table = encode_state(tracer, history, ["b", "a"])
    _, decoded = decode_state(table, catalog, 4, empty)
    assert decoded.first_correct.tolist() == [[-1, 1], [0, -1]]
    older = table.drop_columns(["h_first_correct"])
    assert (decode_state(older, catalog, 4, empty)[1].first_correct == -1).all()
