"""`Response` checks its values at construction, with the file readers' rules (issue 17, item 2),
and the values it keeps work in every model's single-event `update`."""

from __future__ import annotations

import datetime as dt
import timeit

import numpy as np
import pandas as pd
import pytest

from adaptive.data import Response
from adaptive.data.log import ResponseLog
from adaptive.errors import DataValidationError
from adaptive.tracing.bkt import BKT
from adaptive.tracing.logistic import BestLR

GOOD = {"student_id": "s1", "item_id": "item9", "skill_ids": ("Fractions",), "correct": 1}


def response(**changes) -> Response:
    return Response(**{**GOOD, **changes})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("correct", "0"),
        ("correct", "false"),
        ("correct", "1"),
        ("correct", float("nan")),
        ("correct", 2),
        ("correct", -1),
        ("correct", 1.5),
        ("correct", None),
        ("skill_ids", ()),
        ("skill_ids", ("a", 3)),
        ("skill_ids", ("a", " ")),
        ("skill_ids", ""),
        ("skill_ids", 7),
        ("skill_ids", {"a"}),
        ("student_id", ""),
        ("student_id", "  "),
        ("student_id", None),
        ("student_id", True),
        ("item_id", 1.5),
        ("timestamp", "not a date"),
        ("timestamp", "01/10/2024"),
        ("timestamp", "10/01/2024 14:00"),
        ("timestamp", "1 Oct 2024"),
        ("timestamp", 1725177600),
        ("timestamp", pd.NaT),
    ],
)
def test_a_bad_value_is_a_data_validation_error_naming_it(field, value):
    with pytest.raises(DataValidationError) as info:
        response(**{field: value})
    problem = info.value.problems[0]
    assert (problem.file, problem.column, problem.value) == ("<response>", field, repr(value))
    assert str(problem).startswith(f"<response>, column '{field}': got ")


def test_every_bad_field_is_listed_at_once():
    with pytest.raises(DataValidationError) as info:
        Response("", "i", "k", 2)
    assert [p.column for p in info.value.problems] == ["student_id", "correct"]


@pytest.mark.parametrize(
    ("field", "value", "kept"),
    [
        ("correct", True, 1),
        ("correct", False, 0),
        ("correct", np.int8(1), 1),
        ("correct", np.int64(0), 0),
        ("correct", np.bool_(True), 1),
        ("correct", 1.0, 1),
        ("skill_ids", "g4.NS.1", ("g4.NS.1",)),
        ("skill_ids", ["a", " b "], ("a", "b")),
        ("skill_ids", np.array(["a", "b"]), ("a", "b")),
        ("student_id", 17, "17"),
        ("student_id", np.int32(5), "5"),
        ("student_id", " s1 ", "s1"),
        ("item_id", 1234, "1234"),
    ],
)
def test_accepted_values_are_normalised(field, value, kept):
    got = getattr(response(**{field: value}), field)
    assert got == kept and type(got) is type(kept)
    if isinstance(kept, tuple):
        assert all(type(s) is str for s in got)


@pytest.mark.parametrize(
    "value",
    [
        "2024-09-01T10:00:00+02:00",
        "2024-09-01 08:00",
        dt.datetime(2024, 9, 1, 8, 0),
        dt.datetime(2024, 9, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        pd.Timestamp("2024-09-01T08:00"),
        pd.Timestamp("2024-09-01T04:00", tz="America/New_York"),
        np.datetime64("2024-09-01T08:00"),
    ],
)
def test_timestamps_become_utc_like_a_logs_timestamps(value):
    stamp = response(timestamp=value).timestamp
    assert type(stamp) is pd.Timestamp and stamp == pd.Timestamp("2024-09-01T08:00:00Z")
    log = ResponseLog.from_frame(pd.DataFrame([{**GOOD, "timestamp": "2024-09-01T08:00:00Z"}]))
    assert stamp.tz == log.frame["timestamp"].dt.tz


def test_text_that_is_not_iso_8601_is_refused_as_now_is():
    """Text such as 01/10/2024 was read month first (10 January) while `now="01/10/2024"` is
    refused as ambiguous: text is ISO 8601 here too, and the message says why."""
    from adaptive.policy.base import to_days

    with pytest.raises(DataValidationError, match="ISO 8601") as info:
        response(timestamp="01/10/2024")
    assert "different day in different countries" in info.value.problems[0].expected
    with pytest.raises(Exception, match="ISO 8601"):
        to_days("01/10/2024")
    stamp = response(timestamp=" 2024-10-01 ").timestamp  # ISO 8601, spaces trimmed: as `now`
    assert stamp == pd.Timestamp("2024-10-01", tz="UTC")


@pytest.mark.parametrize(
    ("skills", "kept"),
    [(("a", "a"), ("a",)), (["b", "a", "b", " a"], ("b", "a")), (("a", "b"), ("a", "b"))],
)
def test_a_skill_named_twice_in_one_answer_is_kept_once(skills, kept):
    """One answer is evidence of a skill once: ("num.add", "num.add") moved mastery as two
    answers. The canonical fast path must not let a repeated skill through either."""
    assert response(skill_ids=skills).skill_ids == kept


def test_a_skill_named_twice_moves_mastery_as_one_answer(log):
    model = BKT(seed=0).fit(log)
    skill = log.skills[0]
    stamp = pd.Timestamp("2024-10-01T10:00:00Z")
    once, twice = model.init_state(), model.init_state()
    model.update(once, Response("s1", "i1", (skill,), 1, stamp))
    model.update(twice, Response("s1", "i1", (skill, skill), 1, stamp))
    np.testing.assert_array_equal(model.mastery(once), model.mastery(twice))
    assert model.responses_seen(once).tolist() == model.responses_seen(twice).tolist()


def test_a_date_is_midnight_utc():
    assert response(timestamp=dt.date(2024, 9, 1)).timestamp == pd.Timestamp("2024-09-01", tz="UTC")


def test_canonical_values_are_kept_as_given():
    stamp = pd.Timestamp("2024-09-01T08:00:00Z")
    skills = ("a", "b")
    r = response(skill_ids=skills, timestamp=stamp)
    assert r.skill_ids is skills and r.timestamp is stamp


def test_construction_stays_cheap():
    stamp = pd.Timestamp("2024-09-01T08:00:00Z")
    n = 20_000
    per_call = min(
        timeit.repeat(lambda: Response("s1", "item9", ("Fractions",), 1, stamp), number=n, repeat=3)
    )
    assert per_call / n < 20e-6  # a few microseconds; generous for a busy machine


# -- the models read the checked values ----------------------------------------------------------
@pytest.fixture(scope="module")
def log() -> ResponseLog:
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame(
        {
            "student_id": [f"s{i % 20}" for i in range(n)],
            "item_id": [f"i{j}" for j in rng.integers(0, 15, n)],
            "skill_ids": [("g4.NS.1",) if j % 2 else ("g4.NS.2",) for j in range(n)],
            "correct": rng.integers(0, 2, n),
            "timestamp": pd.Timestamp("2024-09-01T08:00Z") + pd.to_timedelta(np.arange(n), "min"),
        }
    )
    return ResponseLog.from_frame(frame)


def test_bkt_reads_a_plain_string_as_one_skill_and_numpy_correct_as_0_or_1(log):
    model = BKT(seed=0).fit(log)
    ref_state, state = model.init_state(), model.init_state()
    ref = model.update(ref_state, Response("new", "i1", ("g4.NS.1",), 0))
    got = model.update(state, Response("new", "i1", "g4.NS.1", np.int64(0)))
    np.testing.assert_allclose(got, ref)
    np.testing.assert_allclose(model.mastery(state), model.mastery(ref_state))


def test_a_time_window_model_without_a_timestamp_uses_now(log):
    """The README's example `Response("s1", "item9", ("Fractions",), 1)` on Best-LR with windows."""
    model = BestLR(max_iter=100, history=5).fit(log)
    assert model.windows_
    state = model.init_state()
    before = pd.Timestamp.now(tz="UTC").value // 10**9
    p = model.update(state, Response("s1", "item9", ("g4.NS.1",), 1))
    after = pd.Timestamp.now(tz="UTC").value // 10**9
    assert p.shape == (1,) and 0 < p[0] < 1
    row = state.row("s1")
    assert before <= state.arrays["history_time"][row, 0] <= after


def test_a_log_prints_its_counts_never_its_ids() -> None:
    """A data scientist's trial: `print(log)` printed every array of the dataclass, student
    ids among them (ids stay out of logs and consoles)."""
    frame = pd.DataFrame(
        {"student_id": ["stu0000001", "stu0000001", "stu0000002"], "item_id": ["i1", "i2", "i1"],
         "skill_ids": [["k1"], ["k1"], ["k2"]], "correct": [1, 0, 1], "order": [0, 1, 0]}
    )  # fmt: skip
    text = repr(ResponseLog.from_frame(frame, source="mine.csv"))
    assert "stu000000" not in text
    assert (
        text == "ResponseLog(3 responses, 2 students, 2 items, 2 skills, an order; from mine.csv)"
    )
