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


def test_a_time_without_an_offset_among_zoned_times_is_an_error_naming_its_line(tmp_path):
    """The trial of stop 39: a log whose times mostly carry a UTC offset, one without, loaded
    with no word; the naive one was read as UTC, six hours off, and sorted before the student's
    earlier answers. It is now an error naming the line (file) or row label (frame)."""
    from adaptive.data import read_responses
    from adaptive.errors import DataValidationError

    path = tmp_path / "mixed.csv"
    path.write_text(
        "student_id,item_id,skill_ids,correct,timestamp\n"
        "s1,i1,k,0,2027-02-22T10:13:18-06:00\n"
        "s1,i2,k,1,2027-02-22 10:17:33\n"
        "s1,i3,k,1,2027-02-22T10:20:00-06:00\n"
    )
    with pytest.raises(
        DataValidationError, match=r"mixed.csv, line 3, column 'timestamp'.*UTC offset"
    ):
        read_responses(path)
    frame = pd.read_csv(path)
    with pytest.raises(DataValidationError, match=r"row label 1"):
        ResponseLog.from_frame(frame)
    # every time zoned, every time naive, or dates beside zoned times: read as before
    for times in (["2027-02-22T10:13:18Z"] * 3, ["2027-02-22 10:13"] * 3,
                  ["2027-02-22", "2027-02-22T10:00-06:00", "2027-02-23"],
                  ["2027-02-22 10:13", "2027-02-22 11:00:00", "2027-02-23"]):  # fmt: skip
        ok = frame.assign(timestamp=times)
        assert len(ResponseLog.from_frame(ok)) == 3
        ok.to_csv(path, index=False)
        assert len(read_responses(path)) == 3


def test_a_column_named_in_another_case_or_a_title_line_above_the_header_is_said(tmp_path):
    """The trial of stop 39: `--student-col 'Learner Id'` for 'Learner ID' got no hint, and a
    title line above the header gave one "missing column" per column without saying why."""
    from adaptive.data import read_responses
    from adaptive.errors import DataValidationError

    path = tmp_path / "export.csv"
    path.write_text("Learner ID,item_id,skill_ids,correct\ns1,i1,k,1\n")
    with pytest.raises(
        DataValidationError, match=r"'Learner Id' for student_id \(did you mean 'Learner ID'\?\)"
    ):
        read_responses(path, {"student_id": "Learner Id"})
    path.write_text("Export of 2027-02\nstudent_id,item_id,skill_ids,correct\ns1,i1,k,1\n")
    with pytest.raises(DataValidationError, match=r"a title line above the header\?"):
        read_responses(path)


@pytest.mark.parametrize(
    ("header", "sep", "found"),
    [
        ("student_id;item_id;skill_ids;correct", ",", ";"),
        ("student_id,item_id,skill_ids,correct", "\\t", ","),
        ("student_id\titem_id\tskill_ids\tcorrect", ";", "\t"),
        ("student_id|item_id|skill_ids|correct", ",", "|"),
    ],
)
def test_a_wrong_separator_is_said_once_naming_the_one_the_header_holds(
    tmp_path, header, sep, found
):
    """A user's trial: `--sep ','` on a ';'-separated file (or `--sep '\\t'` on a comma file)
    got one "missing column" per column, each asking about a title line above the header. It
    is one problem naming the delimiter the header holds and how to give it."""
    from adaptive.cli import run
    from adaptive.data import read_responses
    from adaptive.errors import DataValidationError

    path = tmp_path / "export.csv"
    path.write_text(header + "\n" + header.replace("student_id", "s1") + "\n")
    with pytest.raises(DataValidationError) as info:
        read_responses(path, {"sep": sep})
    (problem,) = info.value.problems
    assert problem.line == 1 and "title line" not in problem.expected
    assert f"the header holds {found!r}" in problem.expected
    assert f"is the separator {found!r}? (--sep {found!r}" in problem.expected
    assert f"mapping={{'sep': {found!r}}}" in problem.expected
    assert run(["validate", str(path), "--sep", sep]) == 2
