from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adaptive.data.log import Response, ResponseLog
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


# -- times and skills of an in-memory frame: the rules of Response and the file readers ----------
def _timed(times: list) -> pd.DataFrame:
    n = len(times)
    return pd.DataFrame(
        {
            "student_id": ["a"] * n,
            "item_id": [f"i{k}" for k in range(n)],
            "skill_ids": ["k"] * n,
            "correct": [1] * n,
            "timestamp": times,
        }
    )


def test_from_frame_reads_any_iso_8601_text_as_the_file_readers_do(tmp_path):
    """Dates and date-times mixed in one column (a raw pandas ValueError before), offsets and
    fractions: the same times as the CSV reader gives for the same text."""
    from adaptive.data import read_responses

    text = ["2024-10-01", "2024-10-01T10:00:00Z", " 2024-10-01T12:00:00.5+02:00", "20241002"]
    log = ResponseLog.from_frame(_timed(text))
    path = tmp_path / "log.csv"
    _timed(text).to_csv(path, index=False)
    assert log.frame["timestamp"].tolist() == read_responses(path).frame["timestamp"].tolist()
    assert str(log.frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert log.frame["timestamp"].iloc[1] == pd.Timestamp("2024-10-01T10:00:00Z")


@pytest.mark.parametrize(
    "times",
    [
        [1727776800, 1727776860],  # epoch seconds were read as nanoseconds (1970-01-01)
        [1.7277768e9, 1.7277769e9],
        [True, False],
    ],
)
def test_from_frame_refuses_numbers_saying_how_to_convert_them(times):
    with pytest.raises(DataValidationError) as info:
        ResponseLog.from_frame(_timed(times))
    (problem,) = info.value.problems
    assert problem.column == "timestamp" and "unit='s'" in problem.expected


def test_from_frame_names_the_row_of_a_number_among_dates():
    with pytest.raises(DataValidationError) as info:
        ResponseLog.from_frame(_timed(["2024-10-01", 1727776800]))
    (problem,) = info.value.problems
    assert problem.value == "1727776800" and problem.row == "row label 1"
    assert "unit='s'" in problem.expected


@pytest.mark.parametrize("missing", [pd.NaT, None, float("nan")])
def test_from_frame_refuses_a_missing_time_naming_its_row(missing):
    """A missing time was kept and sorted last (its int64 time the minimum: a skill practiced
    106,752 days ago downstream)."""
    for times in ([pd.Timestamp("2024-10-01T10:00Z"), missing], ["2024-10-01", missing]):
        with pytest.raises(DataValidationError) as info:
            ResponseLog.from_frame(_timed(times))
        (problem,) = info.value.problems
        assert problem.column == "timestamp" and problem.row == "row label 1"
        assert "a time for every response" in problem.expected


@pytest.mark.parametrize("text", ["01/10/2024", "1 Oct 2024", "not a date"])
def test_from_frame_refuses_text_that_is_not_iso_8601(text):
    with pytest.raises(DataValidationError) as info:
        ResponseLog.from_frame(_timed(["2024-10-01", text]))
    (problem,) = info.value.problems
    assert problem.value == text and "ISO 8601" in problem.expected
    assert problem.row == "row label 1"


def test_from_frame_takes_date_time_columns_and_objects_of_any_kind():
    """A date-time column (numbers only as its storage) of any unit, naive (UTC) or aware, and
    date-time objects, as `Response` takes them."""
    import datetime as dt

    want = [pd.Timestamp("2024-10-01T08:00Z"), pd.Timestamp("2024-10-02T08:00Z")]
    columns = [
        pd.to_datetime(["2024-10-01T08:00", "2024-10-02T08:00"]).as_unit("s"),
        pd.to_datetime(["2024-10-01T10:00+02:00", "2024-10-02T10:00+02:00"]),
        [dt.datetime(2024, 10, 1, 8), pd.Timestamp("2024-10-02T04:00", tz="America/New_York")],
        [np.datetime64("2024-10-01T08:00"), "2024-10-02T08:00:00Z"],
    ]
    for times in columns:
        log = ResponseLog.from_frame(_timed(times))
        assert log.frame["timestamp"].tolist() == want
        assert str(log.frame["timestamp"].dtype) == "datetime64[ns, UTC]"


def test_from_frame_refuses_a_date_beyond_the_range_of_a_log():
    """3024-09-01 (a typo) cannot be held as nanoseconds: an error, not a wrapped-around time."""
    with pytest.raises(DataValidationError, match="between 1677-09-22 and 2262-04-11"):
        ResponseLog.from_frame(_timed(["2024-10-01", "3024-09-01"]))


@pytest.mark.parametrize("order", [[0, 1.5], [0, None], [0, "x"]])
def test_from_frame_order_must_be_whole_numbers(order):
    """1.5 was truncated to 1 without a word; a missing order was a raw pandas error."""
    frame = _frame().iloc[:2].assign(order=order)
    with pytest.raises(DataValidationError) as info:
        ResponseLog.from_frame(frame)
    (problem,) = info.value.problems
    assert problem.column == "order" and problem.row == "row label 1"


def test_from_frame_keeps_a_skill_named_twice_in_one_answer_once():
    """["k1", "k1"] was kept as is: one answer counted twice as evidence of k1. Ids are
    trimmed and empty ones dropped, as a file's; the Arrow list column (the fast path) too."""
    import pyarrow as pa

    from adaptive.data.log import SKILL_LIST_TYPE

    frame = _frame().assign(skill_ids=[["x", "x"], ["y", " x ", "y", ""], "z"])
    want = [["z"], ["y", "x"], ["x"]]  # sorted by student then order: rows 2, 1, 0
    log = ResponseLog.from_frame(frame)
    assert [list(k) for k in log.frame["skill_ids"]] == want
    assert log.n_skills_per_response.tolist() == [1, 2, 1]
    arrow = pd.Series(
        pa.array([["x", "x"], ["y", "x", "y"], ["z"]], SKILL_LIST_TYPE),
        dtype=pd.ArrowDtype(SKILL_LIST_TYPE),
    )
    log = ResponseLog.from_frame(frame.assign(skill_ids=arrow))
    assert [list(k) for k in log.frame["skill_ids"]] == want


def test_from_frame_reads_ids_as_response_and_the_file_readers_do(tmp_path):
    """A frame's ids as a file's are read: integer ids held as floats (pandas' integers beside
    a missing value elsewhere) were "123.0", another student than `Response(123)`'s "123", and
    " stu010" kept its space. A missing id is still an error naming its row."""
    from adaptive.data import load_log
    from adaptive.data.log import Response

    frame = pd.DataFrame({
        "student_id": [123.0, 123.0, 7.0], "item_id": [" i1", "i2 ", "i1"],
        "skill_ids": [["k"]] * 3, "correct": [1, 0, 1],
        "timestamp": pd.to_datetime(["2026-01-01 10:00", "2026-01-01 11:00", "2026-01-02 09:00"], utc=True),
    })  # fmt: skip
    log = ResponseLog.from_frame(frame)
    assert list(log.students) == ["123", "7"] and list(log.items) == ["i1", "i2"]
    assert Response(123, "i1", ("k",), 1).student_id in set(log.students)
    frame.assign(student_id=[123, 123, 7]).to_csv(tmp_path / "log.csv", index=False)
    from_file = load_log(tmp_path / "log.csv", mapping={"skills_sep": ";"})
    assert list(from_file.students) == list(log.students)
    with pytest.raises(DataValidationError, match="student_id.*non-empty id"):
        ResponseLog.from_frame(frame.assign(student_id=[123.0, None, 7.0]))


def test_a_frames_problems_are_counted_in_full_and_summed_up_as_a_files(tmp_path):
    """A trial's notebook: `from_frame` said "20 problems in the input" and listed 20 rows of a
    frame with 3,980 bad answers (the first 20 of each kind were all it kept), where the
    command line says "3,980 problems ... and 3,977 more alike". Every problem is counted now,
    each named by its row label, with the file readers' summary."""
    from adaptive.data import load_log

    n = 40
    frame = pd.DataFrame({
        "student_id": [f"s{i % 4}" for i in range(n)], "item_id": [f"i{i}" for i in range(n)],
        "skill_ids": ["k"] * n, "correct": [0.5 if i % 3 else None for i in range(n)],
        "timestamp": pd.Timestamp("2024-09-01T08:00Z") + pd.to_timedelta(range(n), unit="min"),
    })  # fmt: skip
    with pytest.raises(DataValidationError) as caught:
        ResponseLog.from_frame(frame)
    said = str(caught.value).splitlines()
    assert caught.value.total == n and len(caught.value.problems) == DataValidationError.MAX_LISTED
    assert said[0] == "40 problems in the input:" and len(said) == 6
    assert said[1] == "  - <memory>, row label 0, column 'correct': got ''; expected 0 or 1"
    assert said[2] == "  - <memory>, row label 1, column 'correct': got '0.5'; expected 0 or 1"
    assert said[-2] == "  ... and 37 more alike (column 'correct')"
    assert said[-1].startswith("26 rows (65%) of column 'correct' hold a score other than 0")
    frame.to_csv(tmp_path / "log.csv", index=False)  # the file path's summary, for comparison
    with pytest.raises(DataValidationError) as from_file:
        load_log(tmp_path / "log.csv")
    assert "40 problems in the input" in str(from_file.value)
    assert "... and 37 more alike (column 'correct')" in str(from_file.value)


def test_a_frames_problems_of_several_kinds_are_listed_not_called_alike():
    """Only the first rows of each mistake are built as problems (one `Problem` for each of
    2,000,000 bad scores took 34 s and +1 GB), yet every row is counted, and rows of two
    mistakes are listed, the first of each, without "alike"."""
    n = 60
    frame = pd.DataFrame({
        "student_id": [f"s{i % 4}" for i in range(n)], "item_id": [f"i{i}" for i in range(n)],
        "skill_ids": ["k"] * n, "correct": [0.5] * 50 + [1] * 10,
        "timestamp": [None] * 5 + ["2024-09-01T08:00Z"] * 55,
    })  # fmt: skip
    with pytest.raises(DataValidationError) as caught:
        ResponseLog.from_frame(frame)
    said = str(caught.value)
    assert caught.value.total == 55 and "55 problems in the input" in said
    assert "... and 35 more\n" in said + "\n" and "alike" not in said
    listed = [p.column for p in caught.value.problems]
    assert listed == ["correct"] * DataValidationError.MAX_LISTED + ["timestamp"] * 5


def test_a_frames_scores_are_told_how_to_read_them_as_a_files_are(tmp_path):
    """`from_frame` tallied its refused cells apart from the file readers (a second tally,
    `_Refused`), which never reached their hint: a frame of 0.5 scores got "2 problems in the
    input" and nothing on reading scores, where the same rows in a file name
    `correct_threshold`. One tally (`RefusedCells`) now closes both, the frame's worded for a
    frame (no threshold, no quarantine in `from_frame`)."""
    from adaptive.data import load_log

    frame = pd.DataFrame({
        "student_id": ["a", "a", "b"], "item_id": ["i1", "i2", "i1"], "skill_ids": "k",
        "correct": [0.5, 1, 0.5],
        "timestamp": pd.date_range("2024-09-01T08:00Z", periods=3, freq="h"),
    })  # fmt: skip
    with pytest.raises(DataValidationError) as caught:
        ResponseLog.from_frame(frame)
    said = str(caught.value).splitlines()
    scores = "2 rows (67%) of column 'correct' hold a score other than 0 and 1 (such as 0.5)"
    assert said[-1] == (
        f"{scores}: from_frame reads answers as 0 and 1 and has no correct_threshold; to read a "
        "score >= T as a right answer, as a file's correct_threshold=T does, drop the rows "
        "with no answer first (a blank, or pyKT's -1: never a wrong answer), "
        "frame = frame[frame['correct'] >= 0], then give "
        "frame['correct'] = (frame['correct'] >= T).astype(int)"
    )
    # the recipe as said keeps a blank answer out, never reads it as a wrong one
    blank = frame.assign(correct=[0.5, 1, np.nan])
    blank = blank[blank["correct"] >= 0]
    blank["correct"] = (blank["correct"] >= 0.5).astype(int)
    assert ResponseLog.from_frame(blank).correct.tolist() == [1, 1]
    frame.to_csv(tmp_path / "log.csv", index=False)
    with pytest.raises(DataValidationError) as from_file:
        load_log(tmp_path / "log.csv")
    assert str(from_file.value).splitlines()[-1].startswith(f"{scores}: to read them as answers")
    padded = frame.assign(correct=[-1, 1, "x"])  # no score: pyKT's padding, a word
    with pytest.raises(DataValidationError) as no_scores:
        ResponseLog.from_frame(padded)
    assert str(no_scores.value).splitlines()[-1].endswith("expected 0 or 1")


def test_response_from_dict_names_a_key_that_is_not_text():
    """A mapping built in code (not read from JSON) may hold a key that is not text: it is an
    unknown field named in the `DataValidationError`, not a `KeyError` of its text form."""
    d = Response("s1", "i1", ("k1",), 1, "2027-02-19T10:15:00Z").to_dict()
    with pytest.raises(DataValidationError, match="1"):
        Response.from_dict({**d, 1: "x"})
