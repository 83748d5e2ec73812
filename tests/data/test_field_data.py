"""A data scientist's own export (issue 17): unsorted rows, date-only times, epoch numbers,
Excel habits, broken files and quarantine paths. Nothing is lost or misread silently; every bad
input is one clear `DataValidationError` (or `AdaptiveError`) naming the file and column."""

from __future__ import annotations

import gzip
import io
import logging
import re
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from adaptive.cli import app, run
from adaptive.cli.options import column_mapping
from adaptive.data import load_log, load_log_report, read_responses, read_responses_report
from adaptive.data.log import ResponseLog
from adaptive.errors import AdaptiveError, ConfigError, DataNoteWarning, DataValidationError

HEADER = "student_id,item_id,skill_ids,correct,timestamp\n"
runner = CliRunner()


def write(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def shuffled_export(tmp_path: Path, n_students: int = 40, per_student: int = 25) -> Path:
    """A timestamped export in random row order, as a database dump often is."""
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2024-09-01T08:00:00Z")
    rows = [
        f"s{s},i{rng.integers(50)},k{rng.integers(5)},{rng.integers(2)},"
        f"{(start + pd.Timedelta(minutes=int(m))).isoformat()}"
        for s in range(n_students)
        for m in rng.choice(100_000, per_student, replace=False)
    ]
    rng.shuffle(rows)
    return write(tmp_path, rows)


# -- item 1: unsorted files keep every row ---------------------------------------------------------
def test_an_unsorted_timestamped_file_loses_no_row(tmp_path):
    path = shuffled_export(tmp_path)
    qpath = tmp_path / "q.csv"
    log, report = load_log_report(path, quarantine=qpath)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (1000, 1000, 0)
    assert len(log) == 1000 and len(pd.read_csv(qpath)) == 0
    frame = log.frame
    assert (frame.groupby("student_id")["timestamp"].diff().dropna() >= pd.Timedelta(0)).all()
    source = pd.read_csv(path, dtype=str)
    assert sorted(source["item_id"] + source["student_id"]) == sorted(
        frame["item_id"] + frame["student_id"]
    )


def whole_rows(frame: pd.DataFrame) -> list[tuple]:
    """Each response as one tuple (student, item, skills, answer, time), in sorted order."""
    return sorted(
        zip(
            frame["student_id"].astype(str),
            frame["item_id"].astype(str),
            [";".join(s) for s in frame["skill_ids"]],
            frame["correct"].astype(int),
            pd.to_datetime(frame["timestamp"], utc=True),
            strict=True,
        )
    )


def test_interleaved_students_keep_each_rows_skills(tmp_path):
    """Rows regrouped by student that end on the file's last row (b, a, b, a): every column
    moves with its row. The skills stayed in file order before, each response silently given
    another row's skills."""
    rows = ["b,i1,k1,1,2024-09-01T08:00:00Z", "a,i2,k2,0,2024-09-01T08:01:00Z",
            "b,i3,k3,0,2024-09-01T08:02:00Z", "a,i4,k4,1,2024-09-01T08:03:00Z"]  # fmt: skip
    path = write(tmp_path, rows)
    source = pd.read_csv(path, dtype={"correct": int}).assign(
        skill_ids=lambda f: f.skill_ids.str.split(";")
    )
    assert whole_rows(load_log(path).frame) == whole_rows(source)


@pytest.mark.parametrize("seed", range(12))
def test_every_row_is_read_whole_whatever_the_file_order(tmp_path, seed):
    """A shuffled export of a few students (each item with its own skills): the responses read
    are the file's rows, whole."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-09-01T08:00:00Z")
    rows = [
        f"s{rng.integers(2, 9) if r else 0},i{item},k{item};k{item + 1},{rng.integers(2)},"
        f"{(start + pd.Timedelta(minutes=r)).isoformat()}"
        for r, item in enumerate(rng.integers(0, 30, 60))
    ]
    rng.shuffle(rows)
    path = write(tmp_path, rows, header=HEADER.replace("skill_ids", "skills"))
    log = load_log(path, mapping={"skill_ids": "skills", "skills_sep": ";"})
    source = pd.read_csv(path, dtype={"correct": int}).rename(columns={"skills": "skill_ids"})
    source["skill_ids"] = source["skill_ids"].str.split(";")
    assert whole_rows(log.frame) == whole_rows(source)


SPLIT_ROWS = [  # a and b answer item i1, tagged k1 and k2, written one row per skill
    "a,i1,k2,1,2024-09-01T10:00:00Z", "b,i1,k1,0,2024-09-01T10:00:00Z",
    "a,i2,k1,0,2024-09-01T10:05:00Z", "b,i1,k2,0,2024-09-01T10:00:00Z",
    "a,i1,k1,1,2024-09-01T10:00:00Z",
]  # fmt: skip


def test_one_row_per_skill_is_not_called_a_duplicate(tmp_path):
    """Rows that repeat a response with another skill: an error naming the option that reads
    them (they were called "a duplicated row"; read as two responses they would count one
    answer twice)."""
    with pytest.raises(DataValidationError) as info:
        load_log(write(tmp_path, SPLIT_ROWS))
    expected = {p.expected for p in info.value.problems}
    assert all("--merge-skill-rows" in e and "duplicated" not in e for e in expected)


def test_shuffled_skill_rows_merge_into_one_response(tmp_path):
    log = load_log(write(tmp_path, SPLIT_ROWS), mapping={"merge_skill_rows": True})
    got = {(s, i, tuple(sorted(k)), c) for s, i, k, c in
           log.frame[["student_id", "item_id", "skill_ids", "correct"]].itertuples(index=False)}  # fmt: skip
    assert got == {
        ("a", "i1", ("k1", "k2"), 1),
        ("a", "i2", ("k1",), 0),
        ("b", "i1", ("k1", "k2"), 0),
    }
    assert len(log) == 3


def test_merge_skill_rows_is_a_command_line_option(tmp_path):
    path = write(tmp_path, SPLIT_ROWS)
    result = runner.invoke(app, ["validate", str(path), "--quiet"])  # `main`: exit code 2
    assert isinstance(result.exception, DataValidationError)
    assert "--merge-skill-rows" in str(result.exception)
    r = runner.invoke(app, ["validate", str(path), "--merge-skill-rows", "--quiet"])
    assert r.exit_code == 0, r.output


def test_equal_times_keep_file_order(tmp_path):
    day = "2024-09-02"
    rows = [f"a,i3,k,1,{day}", "a,i1,k,0,2024-09-01", f"a,i2,k,0,{day}", f"a,i1,k,1,{day}"]
    log = read_responses(write(tmp_path, rows))
    assert log.frame["item_id"].tolist() == ["i1", "i3", "i2", "i1"]


def test_require_sorted_asks_for_the_strict_check(tmp_path):
    path = write(tmp_path, ["a,i1,k,1,2024-09-02", "a,i2,k,0,2024-09-01"])
    assert len(load_log(path)) == 2
    with pytest.raises(DataValidationError) as info:
        load_log(path, require_sorted=True)
    problem = info.value.problems[0]
    assert (problem.line, problem.column) == (3, "timestamp") and "require_sorted" in str(problem)
    with pytest.raises(DataValidationError):
        load_log(path, mapping={"require_sorted": True})


def test_an_integer_order_out_of_order_is_an_error_unless_allowed(tmp_path):
    header = "student_id,item_id,skill_ids,correct,seq\n"
    path = write(tmp_path, ["a,i1,k,1,2", "a,i2,k,0,1"], header=header)
    with pytest.raises(DataValidationError) as info:
        load_log(path, mapping={"time": "seq"})
    expected = info.value.problems[0].expected
    assert "--allow-unsorted" in expected and "--time-unit" in expected
    log = load_log(path, mapping={"time": "seq", "allow_unsorted": True})
    assert log.frame["item_id"].tolist() == ["i2", "i1"]


def test_require_sorted_and_allow_unsorted_contradict(tmp_path):
    path = write(tmp_path, ["a,i1,k,1,2024-09-02"])
    with pytest.raises(ConfigError, match="contradict"):
        load_log(path, mapping={"allow_unsorted": True, "require_sorted": True})
    with pytest.raises(ConfigError, match="contradict"):
        load_log(path, mapping={"allow_unsorted": True}, require_sorted=True)


# -- item 6 of the issue: same-day repeated attempts ---------------------------------------------
def test_same_day_repeated_attempts_are_kept_in_file_order(tmp_path):
    rows = ["a,i1,k,0,2024-09-01", "a,i1,k,1,2024-09-01", "a,i1,k,0,2024-09-01"]
    log = read_responses(write(tmp_path, rows))
    assert log.frame["correct"].tolist() == [0, 1, 0]


def test_with_dates_only_an_identical_row_is_an_attempt_counted_in_a_note(tmp_path):
    """With dates only, the same answer twice on a day cannot be told from a row loaded twice:
    both stay (a row on the next line was rejected before, the same row further down was not),
    and the load report says how many such repeats there are and how to drop copies. With
    times of day the same rows are a duplicate, as before."""
    rows = ["a,i1,k,0,2024-09-01", "a,i1,k,1,2024-09-01", "a,i1,k,1,2024-09-01"]
    log, report = read_responses_report(write(tmp_path, rows))
    assert log.frame["correct"].tolist() == [0, 1, 1]
    (note,) = [n for n in report.notes if "repeat" in n]
    assert note.startswith("1 response repeats another of the same student, item, skills, day")
    assert "drop_duplicates" in note and "times of day" in note
    timed = [r.replace("2024-09-01", "2024-09-01T10:00:00Z") for r in rows]
    with pytest.raises(DataValidationError) as info:
        read_responses(write(tmp_path, timed))
    (problem,) = info.value.problems
    assert problem.line == 4 and "repeat line 3" in problem.expected
    assert "duplicated row" in problem.expected


def test_a_duplicated_export_of_an_unsorted_file_is_found(tmp_path):
    rows = ["a,i1,k,0,2024-09-01T10:00", "a,i2,k,1,2024-09-01T09:00"]
    with pytest.raises(DataValidationError) as info:
        read_responses(write(tmp_path, rows + rows))
    assert sorted(p.line for p in info.value.problems) == [4, 5]
    assert not any("times of day" in p.expected for p in info.value.problems)  # times given


# -- friction: --time-format and --time-unit ---------------------------------------------------
def test_time_format_reads_day_first_dates(tmp_path):
    path = write(tmp_path, ["a,i1,k,1,02/09/2024", "a,i2,k,0,01/09/2024"])
    with pytest.raises(DataValidationError, match="--time-format"):
        read_responses(path)
    log = read_responses(path, {"time_format": "%d/%m/%Y"})
    assert log.frame["timestamp"].tolist() == [
        pd.Timestamp("2024-09-01", tz="UTC"),
        pd.Timestamp("2024-09-02", tz="UTC"),
    ]


def test_time_format_reads_digits_as_dates_not_as_an_order(tmp_path):
    header = "student_id,item_id,skill_ids,correct,day\n"
    path = write(tmp_path, ["a,i1,k,1,20240902", "a,i2,k,0,20240901"], header=header)
    log = read_responses(path, {"time": "day", "time_format": "%Y%m%d"})
    assert log.has_timestamps and log.frame["item_id"].tolist() == ["i2", "i1"]
    frame = pd.DataFrame(
        {
            "student_id": ["a"],
            "item_id": ["i"],
            "skill_ids": ["k"],
            "correct": [1],
            "day": [20240901],
        }
    )
    frame.to_parquet(tmp_path / "d.parquet")
    parquet = read_responses(tmp_path / "d.parquet", {"time": "day", "time_format": "%Y%m%d"})
    assert parquet.frame["timestamp"].tolist() == [pd.Timestamp("2024-09-01", tz="UTC")]


@pytest.mark.parametrize(
    ("unit", "values"),
    [("s", ["1725177600", "1725177660"]), ("ms", ["1725177600000", "1725177660000.0"])],
)
def test_time_unit_reads_epoch_numbers_as_times(tmp_path, unit, values):
    header = "student_id,item_id,skill_ids,correct,ts\n"
    path = write(tmp_path, [f"a,i1,k,1,{values[1]}", f"a,i2,k,0,{values[0]}"], header=header)
    log = read_responses(path, {"time": "ts", "time_unit": unit})
    assert log.frame["timestamp"].tolist() == [
        pd.Timestamp("2024-09-01T08:00:00Z"),
        pd.Timestamp("2024-09-01T08:01:00Z"),
    ]


def test_epoch_numbers_in_parquet_with_a_unit(tmp_path):
    frame = pd.DataFrame(
        {
            "student_id": ["a", "a"],
            "item_id": ["i", "j"],
            "skill_ids": ["k", "k"],
            "correct": [1, 0],
            "ts": [1725177600.5, 1725177600.0],
        }
    )
    frame.to_parquet(tmp_path / "e.parquet")
    with pytest.raises(DataValidationError, match="--time-unit") as info:
        read_responses(tmp_path / "e.parquet", {"time": "ts"})
    assert info.value.total == 1 and info.value.problems[0].column == "ts"
    log = read_responses(tmp_path / "e.parquet", {"time": "ts", "time_unit": "s"})
    assert log.frame["item_id"].tolist() == ["j", "i"]
    assert log.frame["timestamp"].iloc[1] == pd.Timestamp("2024-09-01T08:00:00.5Z")


def test_integers_are_never_silently_times(tmp_path):
    header = "student_id,item_id,skill_ids,correct,ts\n"
    path = write(tmp_path, ["a,i1,k,1,1725177600", "a,i2,k,0,1725177660"], header=header)
    log, report = read_responses_report(path, {"time": "ts"})
    assert not log.has_timestamps and log.frame["order"].tolist() == [1725177600, 1725177660]
    assert any("--time-unit" in note for note in report.notes)
    with pytest.raises(DataValidationError, match="--time-unit") as info:
        read_responses(path, {"time": "ts", "time_kind": "timestamp"})
    assert info.value.total == 1
    frame = pd.read_csv(path)
    frame.to_parquet(tmp_path / "i.parquet")
    with pytest.raises(DataValidationError, match="--time-unit"):
        read_responses(tmp_path / "i.parquet", {"time": "ts", "time_kind": "timestamp"})


def test_a_wrong_time_unit_gets_a_note(tmp_path):
    """Numbers that no unit reads as dates from 1980 to 2100 are loaded as asked, with a note
    (those another unit reads as dates are refused: test_reader_trial)."""
    header = "student_id,item_id,skill_ids,correct,ts\n"
    path = write(tmp_path, ["a,i1,k,1,12345"], header=header)
    _, report = read_responses_report(path, {"time": "ts", "time_unit": "s"})
    assert any("check the unit" in note for note in report.notes)


#: Epoch milliseconds of September 2024 (a trial's export), read with time_unit 's'.
MS_ROWS = [f"s{i},i{i},k,1,{1725177600000 + 60_000 * i}" for i in range(4)]
TS_HEADER = "student_id,item_id,skill_ids,correct,ts\n"


def test_milliseconds_read_as_seconds_are_told_far_in_the_future_and_to_try_ms(tmp_path):
    """A data scientist's trial: epoch milliseconds read with time_unit 's' were refused as
    "expected a number of seconds since 1970", which they look like, without a word that as
    seconds they are past the year 50,000 nor that 'ms' reads them. Each row's problem and the
    refusal of every row say both."""
    path = write(tmp_path, MS_ROWS, header=TS_HEADER)
    with pytest.raises(DataValidationError) as info:
        read_responses(path, {"time": "ts", "time_unit": "s"})
    expected = info.value.problems[0].expected
    assert "far in the future, after 2262-04-11" in expected
    assert "read as milliseconds it is a date from 1980 to 2100" in expected
    assert "try --time-unit ms (time_unit 'ms')" in expected
    message = " ".join(str(info.value).split())
    assert "Every one of the 4 rows was refused, 4 for column 'ts'" in message


def test_a_quarantine_that_takes_every_row_is_an_error_naming_the_file(tmp_path):
    """The same trial with a quarantine: `load_log` returned a log of 0 rows without an error,
    every row in the quarantine file, and the warning put the typical time at 1970-01-01 (the
    placeholder of a refused row). Every row refused is an error with a quarantine too: how many,
    the commonest reason, the unit to try and the file the rows were written to; the rows are
    still written there, each with its reason."""
    path = write(tmp_path, MS_ROWS, header=TS_HEADER)
    aside = tmp_path / "rejected.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)  # no note of a 1970 typical time
        with pytest.raises(DataValidationError) as info:
            load_log(path, {"time": "ts", "time_unit": "s"}, quarantine=aside)
    message = " ".join(str(info.value).split())
    assert f"Every one of the 4 rows was refused (written to {aside} with their reasons)" in message
    assert "try --time-unit ms" in message
    reasons = pd.read_csv(aside)["reason"]
    assert len(reasons) == 4 and reasons.str.contains("try --time-unit ms").all()


def test_a_quarantine_of_most_rows_notes_no_1970_time(tmp_path):
    """With some rows loaded, the note reads only their times: the refused rows' placeholder 0
    once put the typical time at 1970-01-01, which none of the file's times is."""
    seconds = ["t1,i1,k,1,1725177600", "t1,i2,k,0,1725177660"]
    path = write(tmp_path, [*MS_ROWS, *seconds], header=TS_HEADER)
    log, report = read_responses_report(
        path, {"time": "ts", "time_unit": "s"}, quarantine=tmp_path / "q.csv"
    )
    assert (len(log), report.rows_quarantined) == (2, 4)
    assert not any("1970" in note for note in report.notes)


def test_every_row_refused_is_one_clear_error_of_each_command(tmp_path, capsys):
    """The commands that read a log (validate, evaluate, train) say it once and exit 2: with
    a quarantine, evaluate went on to "cannot split 0 students into 5 folds"."""
    path = write(tmp_path, MS_ROWS, header=TS_HEADER)
    columns = ["--time-col", "ts", "--time-unit", "s"]
    for command in (
        ["validate", str(path)],
        ["evaluate", "--data", str(path), "--models", "bkt"],
        ["train", "--model", "bkt", "--data", str(path)],
    ):
        aside = tmp_path / f"{command[0]}-q.csv"
        assert run([*command, *columns, "--quarantine", str(aside)]) == 2
        err = " ".join(capsys.readouterr().err.split())
        assert err.count("error:") == 1 and "Traceback" not in err
        assert "Every one of the 4 rows was refused" in err and str(aside) in err
        assert "try --time-unit ms" in err and "folds" not in err


def test_an_epoch_number_out_of_range_is_a_row_problem(tmp_path):
    header = "student_id,item_id,skill_ids,correct,ts\n"
    path = write(tmp_path, ["a,i1,k,1,1725177600", "a,i2,k,1,99999999999999", "a,i3,k,1,x"], header)
    with pytest.raises(DataValidationError) as info:
        read_responses(path, {"time": "ts", "time_unit": "s"})
    assert [p.line for p in info.value.problems] == [3, 4]
    assert "seconds since 1970" in info.value.problems[0].expected


@pytest.mark.parametrize(
    "mapping",
    [
        {"time_unit": "days"},
        {"time_unit": "s", "time_format": "%Y"},
        {"time_unit": "s", "time_kind": "order"},
        {"time_format": "%Y", "time_kind": "file"},
    ],
)
def test_contradictory_time_settings_are_config_errors(tmp_path, mapping):
    with pytest.raises(ConfigError):
        read_responses(write(tmp_path, ["a,i1,k,1,2024-09-01"]), mapping)


def test_column_mapping_keeps_its_positional_signature():
    assert column_mapping("u", None, None, None, None, "t", ";") == {
        "student_id": "u",
        "time": "t",
        "sep": ";",
    }
    assert column_mapping(time_format="%d/%m/%Y", time_unit=None, require_sorted=False) == {
        "time_format": "%d/%m/%Y"
    }
    assert column_mapping(time_unit="ms", allow_unsorted=True, require_sorted=True) == {
        "time_unit": "ms",
        "allow_unsorted": True,
        "require_sorted": True,
    }


def test_validate_cli_takes_the_time_and_order_flags(tmp_path):
    header = "student_id,item_id,skill_ids,correct,ts\n"
    path = write(tmp_path, ["a,i1,k,1,1725177660", "a,i2,k,0,1725177600"], header=header)
    base = ["validate", str(path), "--time-col", "ts"]
    result = runner.invoke(app, base)  # the CLI's `main` turns this error into exit code 2
    assert isinstance(result.exception, DataValidationError)
    assert "--allow-unsorted" in str(result.exception)
    result = runner.invoke(app, [*base, "--allow-unsorted"])
    assert result.exit_code == 0, result.output
    assert "epoch" in result.output and "--time-unit" in result.output  # the note
    result = runner.invoke(app, [*base, "--time-unit", "s"])
    assert result.exit_code == 0 and "2024-09-01T08:00:00" in result.output
    result = runner.invoke(app, [*base, "--time-unit", "s", "--require-sorted"])
    assert isinstance(result.exception, DataValidationError)
    assert "require_sorted" in str(result.exception)
    assert runner.invoke(app, [*base, "--time-unit", "days"]).exit_code == 2
    dates = write(tmp_path, ["a,i1,k,1,01/09/2024"], name="d.csv")
    result = runner.invoke(app, ["validate", str(dates), "--time-format", "%d/%m/%Y"])
    assert result.exit_code == 0 and "2024-09-01T00:00:00" in result.output


# -- Excel habits --------------------------------------------------------------------------------
def test_excel_export_with_bom_crlf_padded_header_and_empty_trailing_columns(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeffstudent_id , item_id,skill_ids,correct,timestamp ,,\r\n"
        "a ,i1,k,1,2024-09-01 ,,\r\na,i2, k ,0,2024-09-02,,\r\n".encode()
    )
    log = read_responses(path)
    assert log.frame["student_id"].tolist() == ["a", "a"]
    assert log.frame["skill_ids"].tolist() == [["k"], ["k"]] and log.has_timestamps


def test_a_boolean_column_written_as_text_is_read_as_answers(tmp_path):
    """TRUE / FALSE from a spreadsheet, True / False from pandas: the booleans they were;
    other words stay errors (never a guess: 'yes' is not read as right)."""
    rows = ["a,i1,k,TRUE,2024-09-01", "a,i2,k,False,2024-09-02", "a,i3,k,true,2024-09-03"]
    assert read_responses(write(tmp_path, rows)).frame["correct"].tolist() == [1, 0, 1]
    with pytest.raises(DataValidationError) as info:
        read_responses(write(tmp_path, ["a,i1,k,yes,2024-09-01"], name="yes.csv"))
    problem = info.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (2, "correct", "yes")
    assert "true / false" in problem.expected


def test_semicolon_separated_export_is_sniffed(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("student_id;item_id;skill_ids;correct;timestamp\na;i1;k;1;2024-09-01\n")
    assert len(read_responses(path)) == 1


# -- broken files: one clear error, never a traceback ------------------------------------------
def test_a_truncated_gzip_file_is_one_clear_error(tmp_path):
    rows = "".join(f"s{i % 7},i{i},k,1,2024-09-01T00:00:{i % 60:02d}\n" for i in range(20_000))
    data = gzip.compress((HEADER + rows).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataValidationError) as info:
        read_responses(path)
    assert info.value.total == 1 and "truncated" in str(info.value) and str(path) in str(info.value)
    # the line where the text stops (it said "near line 2": the reader's first block)
    readable = zlib.decompressobj(wbits=31).decompress(data[: len(data) // 2]).count(b"\n") + 1
    (line,) = re.findall(r"stopped near line (\d+)", str(info.value))
    assert readable > 5_000 and abs(int(line) - readable) <= readable // 100


def test_a_file_named_gz_that_is_not_gzip_is_one_clear_error(tmp_path):
    path = tmp_path / "plain.csv.gz"
    path.write_text(HEADER + "a,i,k,1,2024-09-01\n")
    with pytest.raises(DataValidationError, match="gzip"):
        read_responses(path)


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("log.csv", "gzip", "the file is gzip-compressed: name it log.csv.gz"),
        ("log.csv", "parquet", "the file is a Parquet file: name it log.parquet"),
        ("log.tsv.gz", "parquet", "the file is a Parquet file: name it log.parquet"),
        (
            "log.csv.gz",
            "csv",
            "the file is not gzip-compressed at all (plain text): name it log.csv",
        ),
        ("log.parquet", "csv", "the file is text, not Parquet (a CSV file?): name it log.csv"),
        ("log.parquet", "gzip", "gzipped CSV? name it log.csv.gz"),
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_told_what_it_is(
    tmp_path, name, content, said
):
    """A user's trial: a gzip file named .csv said `got "b'\\x1f\\x8b\\x08..."; expected a
    UTF-8 header line`, a Parquet file named .csv the same with b'PAR1', and a plain CSV
    named .csv.gz "incorrect header check". The first bytes say what the file is, and the
    error says so, with the name to give it."""
    text = HEADER + "a,i,k,1,2024-09-01\n"
    path = tmp_path / name
    if content == "parquet":
        pd.read_csv(io.StringIO(text)).to_parquet(path)
    else:
        path.write_bytes(gzip.compress(text.encode()) if content == "gzip" else text.encode())
    with pytest.raises(DataValidationError) as info:
        read_responses(path)
    (problem,) = info.value.problems
    assert problem.file == str(path) and problem.value is None
    assert said in problem.expected and "as its name says" in problem.expected
    assert run(["validate", str(path)]) == 2


def test_a_truncated_parquet_file_is_one_clear_error(tmp_path):
    frame = pd.DataFrame(
        {"student_id": ["a"], "item_id": ["i"], "skill_ids": ["k"], "correct": [1]}
    )
    frame.to_parquet(tmp_path / "ok.parquet")
    data = (tmp_path / "ok.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataValidationError, match="Parquet"):
        read_responses(tmp_path / "cut.parquet")


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        ("correct", [[1], [0]], "boolean, 0/1 or text"),
        ("timestamp", [1.5, 2.5], "--time-unit"),
        ("timestamp", [[1], [2]], "timestamp"),
        ("item_id", [True, False], "id"),
    ],
)
def test_a_parquet_column_of_the_wrong_type_is_one_clear_error(tmp_path, column, values, expected):
    frame = pd.DataFrame(
        {
            "student_id": ["a", "a"],
            "item_id": ["i", "j"],
            "skill_ids": ["k", "k"],
            "correct": [1, 0],
            "timestamp": pd.to_datetime(["2024-09-01", "2024-09-02"]),
        }
    )
    frame[column] = values
    path = tmp_path / "typed.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    with pytest.raises(DataValidationError) as info:
        read_responses(path)
    problem = info.value.problems[0]
    assert info.value.total == 1 and problem.column == column and problem.line is None
    assert expected in problem.expected and problem.file == str(path)


def test_an_empty_file_is_one_clear_error(tmp_path):
    for name, data in (("e.csv", b""), ("e.csv.gz", gzip.compress(b"")), ("e.parquet", b"")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DataValidationError) as info:
            read_responses(tmp_path / name)
        assert info.value.total == 1 and name in str(info.value)


def test_broken_files_are_library_errors_on_the_command_line(tmp_path):
    data = gzip.compress((HEADER + "a,i,k,1,2024-09-01\n" * 5000).encode())
    (tmp_path / "cut.csv.gz").write_bytes(data[:100])
    result = runner.invoke(app, ["validate", str(tmp_path / "cut.csv.gz")])
    assert isinstance(result.exception, DataValidationError)  # `main` prints it, exit code 2


# -- quarantine paths and counts -----------------------------------------------------------------
def test_a_quarantine_path_that_is_a_directory_fails_before_reading(tmp_path):
    path = tmp_path / "missing.csv"  # not even read: the quarantine path is checked first
    with pytest.raises(AdaptiveError, match="is a directory"):
        read_responses(path, quarantine=tmp_path)
    with pytest.raises(AdaptiveError, match="does not exist"):
        read_responses(path, quarantine=tmp_path / "no" / "q.csv")
    assert not (tmp_path / "no").exists()


def test_the_quarantine_cannot_overwrite_the_file_being_read(tmp_path):
    path = write(tmp_path, ["a,i1,k,1,2024-09-01", "a,i2,k,7,2024-09-02"])
    before = path.read_text()
    with pytest.raises(AdaptiveError, match="the file being read"):
        read_responses(path, quarantine=tmp_path / "." / "log.csv")
    assert path.read_text() == before


def test_bad_quarantine_paths_are_usage_errors_on_the_command_line(tmp_path):
    path = write(tmp_path, ["a,i1,k,1,2024-09-01"])
    for bad in (tmp_path, tmp_path / "no" / "q.csv"):
        result = runner.invoke(app, ["validate", str(path), "--quarantine", str(bad)])
        assert result.exit_code == 2 and "--quarantine" in result.output


def test_the_quarantined_count_is_reported_and_logged(tmp_path, caplog):
    """The count is in the report (commands print it once) and in the INFO log line."""
    rows = ["a,i1,k,1,2024-09-01", "a,i2,k,7,2024-09-02", "b,i1,k,x,2024-09-01"]
    with caplog.at_level(logging.INFO, logger="adaptive"):
        log, report = load_log_report(write(tmp_path, rows), quarantine=tmp_path / "q.csv")
    assert (len(log), report.rows_quarantined) == (1, 2)
    assert any("2 quarantined" in r.getMessage() for r in caplog.records)


def test_datasets_describe_takes_the_time_flags_and_prints_notes(tmp_path):
    header = "student_id,item_id,skill_ids,correct,ts\n"
    path = write(tmp_path, ["a,i1,k,1,1725177600"], header=header)
    result = runner.invoke(app, ["datasets", "describe", str(path), "--time-col", "ts"])
    assert result.exit_code == 0 and "note:" in result.output and "--time-unit" in result.output
    result = runner.invoke(
        app, ["datasets", "describe", str(path), "--time-col", "ts", "--time-unit", "s"]
    )
    assert result.exit_code == 0 and "2024-09-01T08:00:00" in result.output


def test_a_shuffled_date_only_export_keeps_every_same_day_attempt(tmp_path):
    """Item 6 on a shuffled file: the same correct answer twice on a day is two attempts,
    wherever the second stands (on the next line too: it was a "duplicated row" there)."""
    rows = ["a,i1,k,1,2024-09-01", "b,i2,k,0,2024-09-01", "a,i1,k,1,2024-09-01",
            "a,i1,k,1,2024-09-02", "a,i1,k,1,2024-09-02"]  # fmt: skip
    log, report = read_responses_report(write(tmp_path, rows))
    assert len(log) == 5
    assert any(n.startswith("2 responses repeat another") for n in report.notes)


def test_load_log_of_a_dataframe_points_to_from_frame():
    """A data scientist's first try: a clear pointer, not 'expected str, bytes or os.PathLike'."""
    frame = pd.DataFrame(
        {"student_id": ["a"], "item_id": ["i"], "skill_ids": ["k"], "correct": [1], "order": [0]}
    )
    with pytest.raises(TypeError, match=r"ResponseLog.from_frame\(frame\)"):
        load_log(frame)
    assert len(ResponseLog.from_frame(frame)) == 1  # the pointer works


def test_validate_writes_the_checked_log_as_canonical_parquet(tmp_path):
    """`validate --out LOG.parquet`: a user's export once checked, in the columns every command
    (and the Spark engine, which reads Parquet only) reads without column options."""
    path = shuffled_export(tmp_path)
    source = pd.read_csv(path).rename(columns={"skill_ids": "skills"})
    own = tmp_path / "own.csv"
    source.to_csv(own, index=False)
    out = tmp_path / "checked.parquet"
    result = runner.invoke(app, ["validate", str(own), "--skills-col", "skills", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pq.read_schema(out).names == [
        "student_id",
        "item_id",
        "skill_ids",
        "correct",
        "timestamp",
    ]
    assert whole_rows(load_log(out).frame) == whole_rows(load_log(path).frame)
    bad = runner.invoke(
        app, ["validate", str(own), "--skills-col", "skills", "--out", str(tmp_path / "x.csv")]
    )
    assert bad.exit_code == 2 and ".parquet" in bad.output


def test_a_checked_date_only_log_reads_back_whole(tmp_path):
    """A shuffled date-only export where a student tried one item twice on a day with the same
    answer, on lines apart: two attempts, not a duplicate. `validate --out` sorts them onto
    next lines; read back, the checked log keeps both (before: every such pair was called a
    duplicate row, so the file `validate` had just written failed in every command). A file of
    the same rows not written by the library reads the same: with dates only, repeats are
    never judged by their lines."""
    header = "Learner,Question,Standard,Score,Day\n"
    rows = [
        "a,i1,k,1,2024-09-02",
        "a,i2,k,0,2024-09-01",
        "a,i1,k,1,2024-09-02",
        "b,i1,k,0,2024-09-02",
    ]
    own = write(tmp_path, rows, header=header, name="own.csv")
    columns = ["--student-col", "Learner", "--item-col", "Question", "--skill-col", "Standard"]
    columns += ["--correct-col", "Score", "--time-col", "Day"]
    out = tmp_path / "checked.parquet"
    result = runner.invoke(app, ["validate", str(own), *columns, "--out", str(out)])
    assert result.exit_code == 0, result.output
    back = load_log(out)
    assert back.frame["item_id"].tolist() == ["i2", "i1", "i1", "i1"]
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
    unmarked = tmp_path / "unmarked.parquet"
    pq.write_table(pq.read_table(out).replace_schema_metadata(None), unmarked)
    assert whole_rows(load_log(unmarked).frame) == whole_rows(back.frame)


@pytest.mark.parametrize("unit", ["ms", "us", "ns"])
def test_a_time_ordered_log_read_from_a_cutoff_skips_the_row_groups_before_it(
    tmp_path, monkeypatch, unit
):
    """A log appended day by day keeps its row groups in time order: the next night reads the
    groups that may hold a row at or after the cutoff only, and gets exactly the rows (and file
    lines) a full scan keeps. A group with a missing time is always read (its row is an error)."""
    n = 60
    times = pd.date_range("2026-09-01", periods=n, freq="6h", tz="UTC")
    frame = pd.DataFrame(
        {
            "student_id": [f"s{i % 7}" for i in range(n)],
            "item_id": [f"i{i % 5}" for i in range(n)],
            "skill_ids": [["k1"]] * n,
            "correct": [i % 2 for i in range(n)],
            "timestamp": times,
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(
        4, "timestamp", table.column("timestamp").cast(pa.timestamp(unit, "UTC"))
    )
    path = tmp_path / "log.parquet"
    pq.write_table(table, path, row_group_size=10)
    cut = times[37]  # inside the fourth group
    read_groups: list[int] = []
    original = pq.ParquetFile.iter_batches

    def counted(self, *args, row_groups=None, **kwargs):
        read_groups.extend(row_groups or [])
        return original(self, *args, row_groups=row_groups, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", counted)
    log, report = load_log_report(path, since=cut.value)
    assert read_groups == [3, 4, 5]
    assert report.rows_read == len(log) == n - 37
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", original)
    whole = load_log(path)
    kept = whole.take_rows((whole.frame["timestamp"] >= cut).to_numpy()).frame
    for column in ("student_id", "item_id", "correct", "timestamp"):
        assert log.frame[column].tolist() == kept[column].tolist()
    # a missing time in an early group: that group is read, and the row is reported
    with_gap = table.set_column(
        4,
        "timestamp",
        pa.array([None, *table.column("timestamp").to_pylist()[1:]], table.schema.field(4).type),
    )
    pq.write_table(with_gap, path, row_group_size=10)
    with pytest.raises(DataValidationError, match="row 1, column 'timestamp'"):
        load_log_report(path, since=cut.value)
    # the rows dated before any time, counted from the groups' statistics (the nightly job's
    # check for answers that arrive late): equal to a count of the read times
    from adaptive.batch.log_digest import parquet_before

    def rows_before(data, at: int) -> int | None:
        record = parquet_before(data, None, [at])
        return None if record is None else record[0]["count"]

    pq.write_table(table, path, row_group_size=10)
    for at in (times[0], times[9], times[10], times[37], times[-1], times[-1] + pd.Timedelta(1)):
        want = int((pd.Series(times) < at).sum())
        assert rows_before(path, at.value) == want
    pq.write_table(with_gap, path, row_group_size=10)  # no statistics to trust: read, not counted
    assert rows_before(path, cut.value) == 36
    frame.to_csv(tmp_path / "log.csv", index=False)
    assert rows_before(tmp_path / "log.csv", cut.value) is None


def test_responses_sharing_a_time_are_counted_in_a_note(tmp_path):
    """A date-only export ties a day's answers: their order is then the file's, which a
    shuffled export does not keep. The load report says how many responses share a time, and
    says nothing when times tell every response apart."""
    rows = [
        "a,i1,k,0,2024-09-01",
        "a,i2,k,1,2024-09-01",
        "a,i3,k,1,2024-09-02",
        "b,i1,k,1,2024-09-01",
    ]
    _, report = read_responses_report(write(tmp_path, rows))
    (note,) = [n for n in report.notes if "its time" in n]
    assert note.startswith("1 response shares its time")
    assert "dates without a time of day" in note
    timed = [
        "a,i1,k,0,2024-09-01T08:00:00Z",
        "a,i2,k,1,2024-09-01T08:00:00Z",
        "a,i3,k,1,2024-09-01T09:00:00Z",
    ]
    _, report = read_responses_report(write(tmp_path, timed, name="timed.csv"))
    (note,) = [n for n in report.notes if "its time" in n]
    assert "dates without" not in note
    apart = ["a,i1,k,0,2024-09-01", "a,i2,k,1,2024-09-02", "b,i1,k,1,2024-09-01"]
    _, report = read_responses_report(write(tmp_path, apart, name="apart.csv"))
    assert not report.notes
    order = "student_id,item_id,skill_ids,correct,order\n"
    _, report = read_responses_report(write(tmp_path, ["a,i1,k,0,1", "a,i2,k,1,2"], order, "o.csv"))
    assert not report.notes  # an integer order: no times to share
    result = runner.invoke(app, ["validate", str(tmp_path / "log.csv")])
    assert result.exit_code == 0 and "shares its time" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("times", "holds", "advice"),
    [
        (["2024-09-01", "2024-09-01"], "dates without a time of day",
         "give a column with the time of day, or an order (--time-col)"),
        (["2024-09-01T08:05:00Z", "2024-09-01T08:05:00Z"], "times to the minute",
         "give a column with finer times, or an order (--time-col)"),
        (["2024-09-01T08:05:07Z", "2024-09-01T08:05:07Z"], "times to the second",
         "give a column with finer times, or an order (--time-col)"),
        (["2024-09-01T08:05:07.25Z", "2024-09-01T08:05:07.25Z"], None,
         "give an order (--time-col)"),
    ],
)  # fmt: skip
def test_the_same_time_note_advises_by_what_the_time_column_holds(tmp_path, times, holds, advice):
    """A trial's times to the second, two answers of one student at one second: the note
    said "give a column with the time of day", which the column already was. It says what
    the column holds, and what to give instead: the time of day for dates, finer times (or
    an order) for times to the minute or second, an order for finer times."""
    rows = [f"a,i{i},k,{i % 2},{t}" for i, t in enumerate(times)]
    _, report = read_responses_report(write(tmp_path, rows))
    (note,) = [n for n in report.notes if "its time" in n]
    assert note.startswith("1 response shares its time in column 'timestamp'")
    assert note.endswith(f"if the file is not in the order they were answered, {advice}")
    if holds:
        assert f"(the column holds {holds}: each student's responses" in note
    else:
        assert "(each student's responses at one time keep the file's order)" in note


def test_readers_that_do_not_print_the_report_warn_with_its_notes(tmp_path, capsys):
    """A data scientist who goes straight to `adaptive evaluate` (or train, batch, recommend)
    with a date-only export never sees `validate`'s notes: every such reader warns with them,
    naming the file (before, only validate and datasets describe said it)."""
    from adaptive.errors import DataNoteWarning

    rows = [f"s{s},i{i},k{i % 3},{(s + i) % 2},2024-09-0{1 + i // 4}" for s in range(8)
            for i in range(12)]  # fmt: skip
    path = write(tmp_path, rows)
    with pytest.warns(DataNoteWarning, match=r"log\.csv: .* share their time .*dates without"):
        load_log(path)
    timed = write(tmp_path, [r.replace("2024-09-01", "2024-09-01T08:00:00Z") for r in rows[:1]],
                  name="one.csv")  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        load_log(timed)  # nothing to note: no warning
    out = ["--out", str(tmp_path / "evaluation")]
    code = run(["evaluate", "--data", str(path), "--models", "irt", "--folds", "2", *out])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 0 and "warning:" in err and "share their time" in err, err


def test_partial_credit_scores_read_with_a_threshold(tmp_path):
    """An export with partial credit (0.5) or points (75): one clear error that names
    --correct-threshold; with it, a score at or above the threshold is a right answer, in a
    CSV's text and a Parquet's numbers alike; a cell that is no number is still an error."""
    header = "student_id,item_id,skill_ids,correct,timestamp\n"
    rows = ["a,i1,k,0.5,2024-09-01T08:00:00Z", "a,i2,k,0.25,2024-09-01T09:00:00Z",
            "b,i1,k,1,2024-09-01T08:00:00Z", "b,i2,k,0,2024-09-01T09:00:00Z"]  # fmt: skip
    path = write(tmp_path, rows, header)
    with pytest.raises(DataValidationError, match="line 2, column 'correct'.*--correct-threshold"):
        load_log(path)
    log = load_log(path, mapping={"correct_threshold": 0.5})
    assert log.frame.sort_values(["student_id", "item_id"])["correct"].tolist() == [1, 0, 1, 0]
    parquet = tmp_path / "scores.parquet"
    frame = pd.read_csv(path)
    frame["correct"] = [50.0, 25.0, 100.0, None]
    frame.to_parquet(parquet)
    with pytest.raises(DataValidationError, match="row 4, column 'correct'.*a score"):
        load_log(parquet, mapping={"correct_threshold": "60"})  # text, as from a command line
    frame.loc[3, "correct"] = 0.0
    frame.to_parquet(parquet)
    assert load_log(parquet, mapping={"correct_threshold": 60}).correct.tolist() == [0, 0, 1, 0]
    assert run(["validate", str(path), "--correct-threshold", "0.5"]) == 0
    assert run(["validate", str(path), "--correct-threshold", "half"]) == 2
    words = write(tmp_path, [*rows, "c,i1,k,TRUE,2024-09-01T08:00:00Z"], header, "words.csv")
    assert load_log(words, mapping={"correct_threshold": 0.5}).correct.tolist()[-1] == 1
    bad = write(tmp_path, [*rows, "c,i1,k,n/a,2024-09-01T08:00:00Z"], header, "bad.csv")
    with pytest.raises(DataValidationError, match="line 6, column 'correct': got 'n/a'"):
        load_log(bad, mapping={"correct_threshold": 0.5})


def test_a_threshold_that_cannot_be_meant_is_refused(tmp_path):
    """A data scientist's trial: `--correct-threshold 60` on scores of 0-1 read every answer as
    wrong (training logged AUC nan, accuracy 1.0, exit 0), 0.5 on a 0-100 column read 1 as
    right, both without a word. Now each is one error with the column's range (exit 2)."""
    header = "student_id,item_id,skill_ids,correct,timestamp\n"
    rows = ["a,i1,k,0.5,2024-09-01T08:00:00Z", "a,i2,k,0.25,2024-09-01T09:00:00Z",
            "b,i1,k,1,2024-09-01T08:00:00Z", "b,i2,k,0,2024-09-01T09:00:00Z"]  # fmt: skip
    path = write(tmp_path, rows, header)
    with pytest.raises(
        ConfigError, match="reads every answer as wrong: the column's scores run from 0 to 1"
    ):
        load_log(path, mapping={"correct_threshold": 60})
    with pytest.raises(ConfigError, match="reads every answer as right"):
        load_log(path, mapping={"correct_threshold": 0})
    scored = ["a,i1,k,50,2024-09-01T08:00:00Z", "a,i2,k,1,2024-09-01T09:00:00Z",
              "b,i1,k,100,2024-09-01T08:00:00Z", "b,i2,k,0,2024-09-01T09:00:00Z"]  # fmt: skip
    percent = write(tmp_path, scored, header, "pct.csv")
    with pytest.raises(
        ConfigError,
        match="is a fraction, but the column's scores run from 0 to 100.*--correct-threshold 50",
    ):
        load_log(percent, mapping={"correct_threshold": 0.5})
    assert load_log(percent, mapping={"correct_threshold": 50}).correct.sum() == 2
    assert run(["validate", str(path), "--correct-threshold", "60"]) == 2


def test_an_export_that_writes_its_answers_as_words(tmp_path):
    """ "Correct" / "Incorrect" in the correctness column: one clear error that says how to name
    the words; named (any case, on the command line too), they read as 1 and 0; a word outside
    both lists is still an error; the two lists must come together and must not overlap."""
    header = "student_id,item_id,skill_ids,correct,timestamp\n"
    rows = ["a,i1,k,Correct,2024-09-01T08:00:00Z", "a,i2,k,Incorrect,2024-09-01T09:00:00Z"]
    path = write(tmp_path, rows, header)
    with pytest.raises(
        DataValidationError,
        match=r"correct_values \(--correct-values\) and incorrect_values \(--incorrect-values\)",
    ):
        read_responses(path)
    words = {"correct_values": ["correct"], "incorrect_values": "INCORRECT, wrong"}
    assert read_responses(path, words).frame["correct"].tolist() == [1, 0]
    odd = write(tmp_path, [*rows, "a,i3,k,Maybe,2024-09-01T10:00:00Z"], header, "odd.csv")
    with pytest.raises(DataValidationError) as info:
        read_responses(odd, words)
    assert info.value.total == 1 and "one of the words given: correct, incorrect" in str(info.value)
    with pytest.raises(ConfigError, match="give both"):
        read_responses(path, {"correct_values": "Correct"})
    with pytest.raises(ConfigError, match="both a correct and an incorrect value"):
        read_responses(path, {"correct_values": "Correct", "incorrect_values": "correct"})
    flags = ["--correct-values", "Correct", "--incorrect-values", "Incorrect"]
    assert run(["validate", str(path), *flags]) == 0
    assert run(["validate", str(path)]) == 2


def _warehouse_export(tmp_path: Path, frame: pd.DataFrame, parts: int = 3) -> Path:
    """The export a Spark or warehouse job writes: Hive-style folders of parts in other column
    names, `_SUCCESS` and hidden checksum files beside them."""
    folder = tmp_path / "export"
    for i, chunk in enumerate(np.array_split(np.arange(len(frame)), parts)):
        day = folder / f"day=2024-09-0{i + 1}"
        day.mkdir(parents=True)
        frame.iloc[chunk].to_parquet(day / f"part-{i:05d}.snappy.parquet", index=False)
        (day / f".part-{i:05d}.snappy.parquet.crc").write_bytes(b"\0")
    (folder / "_SUCCESS").write_text("")
    return folder


def test_a_folder_of_parquet_parts_reads_as_its_one_file(tmp_path):
    """A log exported in parts reads as the same rows in one file (its own column names), on
    every path that reads a log; a bad cell is named by its part and that part's own line, in
    errors and in the quarantine (was: "'DIR' is neither a file nor a dataset name")."""
    export = pd.read_csv(shuffled_export(tmp_path))
    export.columns = ["Learner", "Question", "Standard", "Score", "When"]
    export["When"] = pd.to_datetime(export["When"], utc=True)
    folder = _warehouse_export(tmp_path, export)
    (tmp_path / "one").mkdir()
    export.to_parquet(tmp_path / "one" / "all.parquet", index=False)
    flags = ["--student-col", "Learner", "--item-col", "Question", "--skills-col", "Standard",
             "--correct-col", "Score", "--time-col", "When"]  # fmt: skip
    mapping = column_mapping(**{"student_col": ["Learner"], "item_col": "Question",
                                "skills_col": "Standard", "correct_col": "Score",
                                "time_col": "When"})  # fmt: skip
    from_parts = load_log(folder, mapping)
    from_file = load_log(tmp_path / "one" / "all.parquet", mapping)
    pd.testing.assert_frame_equal(from_parts.frame, from_file.frame)
    out = runner.invoke(app, ["validate", str(folder), *flags])
    assert out.exit_code == 0, out.output

    # one bad cell in the second part: named by that part and its own line, nothing dropped
    bad = export.copy()
    second = np.array_split(np.arange(len(bad)), 3)[1]
    bad.loc[second[4], "Score"] = 7
    folder = _warehouse_export(tmp_path / "bad", bad)
    with pytest.raises(DataValidationError) as caught:
        load_log(folder, mapping)
    (problem,) = caught.value.problems
    assert Path(problem.file).name == "part-00001.snappy.parquet" and problem.line == 5
    assert problem.column == "Score" and problem.value == "7"
    quarantine = tmp_path / "q.csv"
    log, report = load_log_report(folder, mapping, quarantine)
    assert len(log) == len(bad) - 1 and report.rows_quarantined == 1
    q = pd.read_csv(quarantine)
    assert q[["file", "line"]].values.tolist() == [["day=2024-09-02/part-00001.snappy.parquet", 5]]

    # a folder is read only when it holds Parquet parts and nothing else
    (folder / "day=2024-09-01" / "notes.csv").write_text("a,b\n")
    with pytest.raises(DataValidationError, match="only Parquet parts in a log's folder"):
        load_log(folder, mapping)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataValidationError, match="a folder holding Parquet parts"):
        load_log(tmp_path / "empty")
    other = _warehouse_export(tmp_path / "renamed", export)
    renamed = pd.read_parquet(other / "day=2024-09-02" / "part-00001.snappy.parquet")
    renamed.rename(columns={"Score": "Points"}).to_parquet(
        other / "day=2024-09-02" / "part-00001.snappy.parquet", index=False
    )
    with pytest.raises(DataValidationError, match="part-00001.snappy.parquet, column 'Score'"):
        load_log(other, mapping)


def test_a_row_repeated_across_two_parts_is_named_by_both(tmp_path):
    """The parts are one log in path order: a row repeated on the first line of the next part
    is the duplicate the data layer rejects in one file, and the message names each part by
    its path inside the folder (Hive folders repeat part names)."""
    rows = pd.DataFrame(
        {
            "student_id": ["a", "a", "b", "b"],
            "item_id": ["i1", "i2", "i1", "i1"],
            "skill_ids": ["k", "k", "k", "k"],
            "correct": [1, 0, 1, 1],
            "timestamp": pd.to_datetime(["2024-09-01T08:00Z", "2024-09-01T09:00Z"] * 2),
        }
    )
    folder = tmp_path / "log"
    for day, part in (("day=1", rows.iloc[:3]), ("day=2", rows.iloc[3:])):
        (folder / day).mkdir(parents=True)
        part.to_parquet(folder / day / "part-0.parquet", index=False)
    rows.loc[3, "timestamp"] = rows.loc[2, "timestamp"]
    rows.iloc[3:].to_parquet(folder / "day=2" / "part-0.parquet", index=False)
    with pytest.raises(DataValidationError) as caught:
        load_log(folder)
    (problem,) = caught.value.problems
    assert Path(problem.file).relative_to(folder) == Path("day=2/part-0.parquet")
    assert problem.line == 1 and problem.row == "row 1" and ", row 1, " in str(problem)
    assert "does not repeat row 3 of day=1/part-0.parquet" in problem.expected


# -- user trials: one rule whatever the file's order or format ------------------------------------
def date_only_export(tmp_path: Path) -> pd.DataFrame:
    """A date-only export with genuine same-day repeats (the same answer to one item twice on
    a day, as practice gives them)."""
    rng = np.random.default_rng(3)
    rows = pd.DataFrame(
        {
            "student_id": [f"s{s}" for s in rng.integers(0, 30, 600)],
            "item_id": [f"i{i}" for i in rng.integers(0, 8, 600)],
            "skill_ids": "k",
            "correct": rng.integers(0, 2, 600),
            "timestamp": [f"2024-09-{d:02d}" for d in rng.integers(1, 6, 600)],
        }
    )
    return rows.sort_values(["student_id", "timestamp"], kind="stable")


def test_date_only_rows_give_the_same_log_in_any_order(tmp_path):
    """The same date-only rows sorted by student were refused (same-day repeats on next lines
    called duplicated rows) while shuffled they loaded, and rows loaded twice into a shuffled
    file loaded without a word. Now: the same log, and the same note counting the repeats,
    whatever the order; a file with rows loaded twice says how many more there are."""
    rows = date_only_export(tmp_path)
    key = ["student_id", "item_id", "skill_ids", "correct", "timestamp"]
    repeats = int(rows.duplicated(key).sum())
    assert repeats > 10  # genuine same-day repeats, some on adjacent lines
    logs = []
    for name, frame in (
        ("sorted.csv", rows),
        ("shuffled.csv", rows.sample(frac=1, random_state=4)),
    ):
        frame.to_csv(tmp_path / name, index=False)
        log, report = read_responses_report(tmp_path / name)
        (note,) = [n for n in report.notes if "repeat another" in n]
        assert note.startswith(f"{repeats} responses repeat another")
        logs.append(log)
    assert len(logs[0]) == len(rows)
    assert logs[0].frame.equals(logs[1].frame) or whole_rows(logs[0].frame) == whole_rows(
        logs[1].frame
    )
    doubled = pd.concat([rows, rows.sample(40, random_state=1)]).sample(frac=1, random_state=3)
    doubled.to_csv(tmp_path / "doubled.csv", index=False)
    log, report = read_responses_report(tmp_path / "doubled.csv")
    assert len(log) == len(rows) + 40
    assert any(n.startswith(f"{repeats + 40} responses repeat another") for n in report.notes)
    with pytest.warns(DataNoteWarning, match="drop_duplicates"):
        load_log(tmp_path / "doubled.csv")


def test_date_only_rows_of_one_response_per_skill_are_found_in_any_order(tmp_path):
    """With dates only, a response written one row per skill (same student, item, day and
    answer, other skills) was found only on the next line; now wherever the rows stand, and
    the same rows are rejected whatever the order (the first skills in text order stay)."""
    rows = ["a,i1,k2,1,2024-09-01", "a,i2,k1,0,2024-09-01", "a,i1,k1,1,2024-09-01",
            "b,i1,k1,1,2024-09-01"]  # fmt: skip
    for order in ([0, 1, 2, 3], [2, 3, 1, 0]):
        path = write(tmp_path, [rows[i] for i in order], name=f"o{order[0]}.csv")
        with pytest.raises(DataValidationError) as info:
            read_responses(path)
        (problem,) = info.value.problems
        assert "--merge-skill-rows" in problem.expected
        log = read_responses(path, quarantine=tmp_path / "q.csv")
        assert sorted(tuple(k) for k in log.frame["skill_ids"]) == [("k1",), ("k1",), ("k1",)]


def test_a_skill_named_twice_in_one_cell_counts_once(tmp_path):
    """A cell "k1;k1" (or a Parquet list naming k1 twice, or skill rows merged) was kept as
    two skills: one answer counted twice as evidence of k1."""
    rows = ["a,i1,k1;k1,1,2024-09-01T10:00Z", "a,i2,k2; k1;k2 ,0,2024-09-01T11:00Z",
            "a,i3,k3,1,2024-09-01T12:00Z"]  # fmt: skip
    path = write(tmp_path, rows)
    log = load_log(path, mapping={"skills_sep": ";"})
    assert [list(k) for k in log.frame["skill_ids"]] == [["k1"], ["k2", "k1"], ["k3"]]
    frame = pd.DataFrame(
        {
            "student_id": ["a", "a"],
            "item_id": ["i1", "i2"],
            "skill_ids": [["k1", "k1"], ["k2"]],
            "correct": [1, 0],
            "timestamp": pd.to_datetime(["2024-09-01T10:00Z", "2024-09-01T11:00Z"]),
        }
    )
    frame.to_parquet(tmp_path / "lists.parquet", index=False)
    log = load_log(tmp_path / "lists.parquet")
    assert [list(k) for k in log.frame["skill_ids"]] == [["k1"], ["k2"]]
    split = ["a,i1,k1,1,2024-09-01T10:00Z", "a,i1,k2,1,2024-09-01T10:00Z",
             "a,i1,k1;k3,1,2024-09-01T10:00Z"]  # fmt: skip
    merged = load_log(
        write(tmp_path, split, name="split.csv"),
        mapping={"skills_sep": ";", "merge_skill_rows": True},
    )
    assert [list(k) for k in merged.frame["skill_ids"]] == [["k1", "k2", "k3"]]


@pytest.mark.parametrize(
    ("words", "options"),
    [
        ({1: "1", 0: "0"}, {}),
        ({1: "TRUE", 0: "FALSE"}, {}),
        ({1: "Correct", 0: "Incorrect"}, {"correct_values": ["Correct"], "incorrect_values": ["Incorrect"]}),
    ],
)  # fmt: skip
def test_parquet_text_correctness_reads_as_in_a_csv_file(tmp_path, words, options):
    """An all-text Parquet export ("0" / "1"), or one that writes "Correct" / "Incorrect", was
    refused ("text is not read as correctness in Parquet") while the same values loaded from
    CSV; --correct-values was ignored for Parquet."""
    frame = pd.DataFrame(
        {
            "student_id": ["a", "a", "b"],
            "item_id": ["i1", "i2", "i1"],
            "skill_ids": ["k", "k", "k"],
            "correct": [words[1], words[0], words[1]],
            "timestamp": ["2024-09-01T10:00Z", "2024-09-01T11:00Z", "2024-09-01T10:00Z"],
        }
    ).astype(str)
    frame.to_parquet(tmp_path / "text.parquet", index=False)
    frame.to_csv(tmp_path / "text.csv", index=False)
    from_parquet = load_log(tmp_path / "text.parquet", mapping=options)
    assert from_parquet.frame["correct"].tolist() == [1, 0, 1]
    from_csv = load_log(tmp_path / "text.csv", options)
    assert whole_rows(from_parquet.frame) == whole_rows(from_csv.frame)
    if options:  # without the words named: the CSV's error, naming the options
        with pytest.raises(DataValidationError, match="--correct-values"):
            load_log(tmp_path / "text.parquet")


def test_the_checked_log_opens_in_plain_pandas_and_pyarrow(tmp_path):
    """`validate --out` wrote pandas metadata naming the dtype 'list<item: string>[pyarrow]':
    pandas.read_parquet failed with a TypeError. The file now opens in pandas and pyarrow, and
    still reads back in adaptive as the log it was."""
    path = shuffled_export(tmp_path)
    out = tmp_path / "checked.parquet"
    assert runner.invoke(app, ["validate", str(path), "--out", str(out)]).exit_code == 0
    plain = pd.read_parquet(out)
    assert list(plain.columns) == ["student_id", "item_id", "skill_ids", "correct", "timestamp"]
    assert len(plain) == 1000 and list(plain["skill_ids"].iloc[0]) == [
        load_log(path).frame["skill_ids"].iloc[0][0]
    ]
    assert pq.read_table(out).to_pandas().shape == (1000, 5)
    assert whole_rows(load_log(out).frame) == whole_rows(load_log(path).frame)
    assert load_log(out).frame["skill_ids"].tolist() == load_log(path).frame["skill_ids"].tolist()


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_date_beyond_the_range_of_a_log_is_an_error_not_another_date(tmp_path, kind):
    """3000-01-01 (a typo for 2000, or a "no end" date) was read as 1830-11-23: a time held
    as nanoseconds wrapped around without a word."""
    import datetime as dt

    frame = pd.DataFrame(
        {
            "student_id": ["a", "a"],
            "item_id": ["i1", "i2"],
            "skill_ids": ["k", "k"],
            "correct": [1, 0],
            "timestamp": [dt.date(2024, 9, 1), dt.date(3000, 1, 1)],
        }
    )
    path = tmp_path / f"far.{kind}"
    if kind == "csv":
        frame.to_csv(path, index=False)
    else:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    assert (
        pq.read_schema(path).field("timestamp").type == pa.date32() if kind == "parquet" else True
    )
    with pytest.raises(DataValidationError) as info:
        read_responses(path)
    (problem,) = info.value.problems
    assert problem.line == (3 if kind == "csv" else 2) and problem.column == "timestamp"
    assert "between 1677-09-22 and 2262-04-11" in problem.expected


def test_date_only_skill_rows_merge_wherever_the_days_other_answers_stand(tmp_path):
    """With dates only a day's answers share one time, so the rows of one response (one per
    skill) may have other answers of the day between them: `merge_skill_rows` merged them only
    when they stood together, and otherwise loaded one answer as two responses. Now they merge
    in any order, and the day's answers keep the file's order (by their first row)."""
    rows = ["a,i1,k1,1,2024-09-01", "a,i2,k3,0,2024-09-01", "a,i1,k2,1,2024-09-01",
            "b,i1,k2,0,2024-09-01", "b,i9,k1,1,2024-09-01", "b,i1,k1,0,2024-09-01"]  # fmt: skip
    got = []
    for name, order in (("a.csv", [0, 1, 2, 3, 4, 5]), ("b.csv", [5, 2, 4, 1, 3, 0])):
        path = write(tmp_path, [rows[i] for i in order], name=name)
        log = load_log(path, mapping={"merge_skill_rows": True})
        got.append(
            [
                (s, i, sorted(k))
                for s, i, k in log.frame[["student_id", "item_id", "skill_ids"]].itertuples(
                    index=False
                )
            ]  # fmt: skip
        )
    assert sorted(got[0]) == sorted(got[1]) == [
        ("a", "i1", ["k1", "k2"]), ("a", "i2", ["k3"]), ("b", "i1", ["k1", "k2"]),
        ("b", "i9", ["k1"]),
    ]  # fmt: skip
    assert [i for _, i, _ in got[0]] == ["i1", "i2", "i1", "i9"]  # file order of first rows
    assert [i for _, i, _ in got[1]] == ["i1", "i2", "i1", "i9"]


def test_ids_written_as_whole_floats_read_as_the_parquet_numbers(tmp_path):
    """A data scientist's trial: pandas wrote an id column with a gap as '14.0'; the CSV kept
    '14.0' while the same column from Parquet read '14', so the roster's student '14' and the
    log's '14.0' were served as two students. A column of whole floats now reads as integers;
    a column that also holds other ids ('14.5', 'x') keeps its text."""
    header = "student_id,item_id,skill_ids,correct,timestamp\n"
    rows = ["14.0,i1,k,1,2024-09-01T08:00:00Z", "15.0,3.0,k,0,2024-09-01T08:00:00Z"]
    path = write(tmp_path, rows, header)
    log = load_log(path)
    assert log.students.tolist() == ["14", "15"] and log.items.tolist() == [
        "3.0",
        "i1",
    ]  # not all whole floats
    frame = pd.read_csv(path)
    frame.to_parquet(tmp_path / "log.parquet")
    assert load_log(tmp_path / "log.parquet").students.tolist() == ["14", "15"]
    mixed = write(tmp_path, [*rows, "14.5,i1,k,1,2024-09-01T08:00:00Z"], header, "mixed.csv")
    assert load_log(mixed).students.tolist() == ["14.0", "14.5", "15.0"]


def test_one_column_given_for_two_fields_is_refused(tmp_path):
    """A data scientist's trial: `--student-col Item --item-col Item` read every item as its
    own student (exit 0, 'students 6,109 | items 6,109'). Now one error naming both fields; an
    item's column may still name its skill (each item its own skill)."""
    header = "student_id,item_id,skill_ids,correct,timestamp\n"
    path = write(tmp_path, ["a,i1,k,1,2024-09-01T08:00:00Z"], header)
    with pytest.raises(ConfigError, match="'item_id' is given for both student_id and item_id"):
        load_log(path, mapping={"student_id": "item_id"})
    assert load_log(path, mapping={"skill_ids": "item_id"}).skills.tolist() == ["i1"]
    assert run(["validate", str(path), "--student-col", "item_id"]) == 2


def test_a_forgotten_time_column_is_named(tmp_path):
    """A data scientist's trial: without `--time-col`, a shuffled export was traced in file
    order (BKT AUC 0.636 against 0.678) and train, evaluate and batch said nothing. A column
    named like one holding times is now named in a note, with the option to give."""
    header = "student_id,item_id,skill_ids,correct,Submitted\n"
    path = write(tmp_path, ["a,i1,k,1,16/09/2024 08:04", "a,i2,k,0,16/09/2024 08:05"], header)
    with pytest.warns(
        DataNoteWarning, match="column 'Submitted' may hold their times: give --time-col"
    ):
        load_log(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        load_log(path, mapping={"time": "Submitted", "time_format": "%d/%m/%Y %H:%M"})


def test_a_forgotten_order_column_is_named(tmp_path):
    """A data scientist's trial (stop 54): an ASSISTments 2017 export (`user_id, seq_idx,
    problem_id, skill_name, correct, ...`) evaluated without `--time-col` was read in file
    order without a word: the note named only columns called like times. An order column
    (ASSIST2017's `seq_idx`, ASSIST2009's `order_id`, a `sequence_number`) is named too; ids
    and places that are no order of answers (a `sequence_id`, a `position`, a `border_color`)
    and durations (ASSIST2009's `overlap_time`) are not."""
    header = "user_id,seq_idx,problem_id,skill_name,akt_skill_idx,correct\n"
    path = write(tmp_path, ["8,0,1118,geo,1,0", "8,1,1119,geo,1,1"], header)
    mapping = {"student_id": "user_id", "item_id": "problem_id", "skill_ids": "skill_name"}
    with pytest.warns(DataNoteWarning, match=r"; column 'seq_idx' may hold their order: give "
                      r"--time-col 'seq_idx'"):  # fmt: skip
        load_log(path, mapping=mapping)
    # ASSIST2009's own header: order_id, not the duration overlap_time nor the problem set
    assist = (
        "order_id,assignment_id,user_id,problem_id,correct,sequence_id,position,"
        "base_sequence_id,skill_name,overlap_time,border_color,subsequent_hint\n"
    )
    path = write(tmp_path, ["1,2,8,1118,0,5,1,5,geo,31,red,0"], assist, "assist.csv")
    with pytest.warns(DataNoteWarning) as seen:
        load_log(path, mapping=mapping)
    said = " ".join(str(w.message) for w in seen)
    assert "column 'order_id' may hold their order: give --time-col 'order_id'" in said, said
    for name in ("overlap_time", "sequence_id", "position", "border_color", "subsequent_hint"):
        assert f"'{name}'" not in said, name
    # a time column and an order column: both named, in one sentence
    both = write(tmp_path, ["8,0,2024-09-01,1118,geo,0"], header.replace(
        "problem_id", "Submitted,problem_id").replace(",akt_skill_idx", ""), "both.csv")  # fmt: skip
    with pytest.warns(DataNoteWarning, match=r"columns 'Submitted', 'seq_idx' may hold their "
                      r"times or order: give --time-col 'Submitted'"):  # fmt: skip
        load_log(both, mapping=mapping)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        load_log(write(tmp_path, ["8,0,1118,geo,1,0"], header, "ok.csv"),
                 mapping={**mapping, "time": "seq_idx"})  # fmt: skip


def test_no_time_column_hint_where_the_files_order_was_asked_for(tmp_path):
    """A data scientist's trial: `--file-order` (and the shipped Statics dataset, whose
    `timestamp` is a placeholder of zeros) still said "column 'timestamp' may hold their
    times: give --time-col": following it would order the answers by the placeholder."""
    header = "student_id,item_id,skill_ids,correct,Submitted\n"
    path = write(tmp_path, ["a,i1,k,1,0", "a,i2,k,0,0"], header)
    with pytest.warns(DataNoteWarning, match="column 'Submitted' may hold their times"):
        load_log(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        log = load_log(path, mapping={"time_kind": "file"})
    assert log.correct.tolist() == [1, 0]


def test_a_frame_is_checked_as_a_file_is(tmp_path):
    """A data scientist's trial: `ResponseLog.from_frame` kept a row repeated whole (same
    student, item, time of day, answer) that the CSV reader rejects, and read '14.0' text as
    another student than the reader's '14'. Now both as the readers do; with dates only a
    repeat is a second attempt of the day, kept."""
    from adaptive.data import ResponseLog

    frame = pd.DataFrame({"student_id": ["14.0", "14.0", "15.0"], "item_id": ["i", "i", "j"],
                          "skill_ids": "k", "correct": [1, 1, 0],
                          "timestamp": "2024-09-01T08:00:00Z"})  # fmt: skip
    with pytest.raises(DataValidationError, match="row label 1, .*does not repeat row label 0 "):
        ResponseLog.from_frame(frame)
    assert ResponseLog.from_frame(frame.iloc[[0, 2]]).students.tolist() == ["14", "15"]
    assert len(ResponseLog.from_frame(frame.assign(timestamp="2024-09-01"))) == 3


def test_scores_written_with_a_decimal_comma_or_a_percent_sign_say_so(tmp_path):
    """A data scientist's trial: '0,5' and '100%' got the advice for words (--correct-values),
    which then split '1,0' at its comma. Now each says what the cells are and how to write them."""
    header = "student_id,item_id,skill_ids,correct,timestamp\n"
    comma = write(tmp_path, ['a,i1,k,"0,5",2024-09-01T08:00:00Z'], header, "comma.csv")
    with pytest.raises(DataValidationError, match="writes scores with a decimal comma"):
        load_log(comma)
    with pytest.raises(DataValidationError, match="a score .*writes scores with a decimal comma"):
        load_log(comma, mapping={"correct_threshold": 0.5})
    percent = write(tmp_path, ["a,i1,k,85%,2024-09-01T08:00:00Z"], header, "percent.csv")
    with pytest.raises(DataValidationError, match="writes percentages with a % sign"):
        load_log(percent)


def test_zero_and_one_are_read_by_value_in_any_mix_of_writings(tmp_path):
    """A user's trial: answers 1, 1.00, 0 were refused at '1.00' ("expected 0 or 1"), though a
    column of 1.00 and 0.00 alone, or 1.0 beside 0, loaded. 0 and 1 are read by value however
    each is written; a score such as 0.5 still needs --correct-threshold."""
    answers = ["1", "1.00", "0", "0.0", "1.0", "0.000", " 1.00 "]
    rows = [f"a,i{n},k,{a},2024-09-01T08:0{n}:00Z" for n, a in enumerate(answers)]
    log = load_log(write(tmp_path, rows))
    assert log.correct.tolist() == [1, 1, 0, 0, 1, 0, 1]
    half = write(tmp_path, [*rows, "a,i9,k,0.50,2024-09-01T09:00:00Z"], name="half.csv")
    with pytest.raises(DataValidationError) as info:
        load_log(half)
    (problem,) = info.value.problems
    assert problem.value == "0.50" and "--correct-threshold" in problem.expected


def test_scores_beside_empty_answers_name_the_threshold_before_the_quarantine(tmp_path, capsys):
    """A trial's export (`sept.csv`): scores of 0.5 beside empty answers were told "expected 0
    or 1 (or true / false)" and, after them, --quarantine alone, which would have dropped 5% of
    the answers. The empty cells hid that the others are scores: the expectation names
    --correct-threshold, and so does the closing hint, before --quarantine."""
    answers = ["1", "0", "", "0.5", "1", "0.5", "0", "1", "", "0.5"]
    rows = [f"a,i{n},k,{a},2024-09-01T08:0{n}:00Z" for n, a in enumerate(answers)]
    path = write(tmp_path, rows)
    with pytest.raises(DataValidationError) as info:
        load_log(path)
    assert info.value.total == 5
    assert all("correct_threshold=T (--correct-threshold T)" in p.expected
               for p in info.value.problems)  # fmt: skip
    hint = str(info.value).splitlines()[-1]
    assert hint.startswith("3 rows (30%) of column 'correct' hold a score other than 0 and 1 (such "
                           "as 0.5): to read them as answers, give correct_threshold=T "
                           "(--correct-threshold T) rather than set them aside. ")  # fmt: skip
    assert hint.index("--correct-threshold") < hint.index("--quarantine")
    assert run(["validate", str(path)]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "give correct_threshold=T (--correct-threshold T) rather than" in said


def test_a_semicolon_files_decimal_commas_are_read_as_numbers(tmp_path):
    """A user's trial: a European spreadsheet's export (';'-separated, answers 1,0 and 0,0)
    had every row refused, each told to write its numbers with a point. In a file not separated
    by commas "1,0" cannot be two fields: it is the number 1, and "0,5" a score, read with
    --correct-threshold (given as 0,5 too)."""
    header = "student_id;item_id;skill_ids;correct;timestamp\n"
    rows = [f"a;i{n};k;{a};2024-09-01T08:0{n}:00Z" for n, a in enumerate(["1,0", "0,0", "1"])]
    path = tmp_path / "excel.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8-sig")
    assert load_log(path).correct.tolist() == [1, 0, 1]
    path.write_text(header + "\n".join([*rows, "a;i9;k;0,5;2024-09-01T09:00:00Z"]) + "\n")
    with pytest.raises(DataValidationError) as info:
        load_log(path)
    (problem,) = info.value.problems
    assert problem.value == "0,5" and "--correct-threshold" in problem.expected
    assert "write them with a point" not in problem.expected
    log = load_log(path, mapping={"correct_threshold": "0,5"})  # as typed in such a locale
    assert log.correct.tolist() == [1, 0, 1, 1]
    assert run(["validate", str(path), "--correct-threshold", "0,5"]) == 0


def test_a_parquet_text_columns_decimal_commas_are_read_as_numbers(tmp_path):
    """A user's trial: a Parquet log whose answers a European spreadsheet wrote as text ("1,0",
    "0,0") had every row refused, told to write scores with a point and give a threshold. A
    Parquet cell holds one value: "1,0" is the number 1 there, as in a ';'-separated file, and
    "0,5" a score with --correct-threshold; the streamed check names only the rows it refuses."""
    from adaptive.data.validate import parquet_problems

    frame = pd.DataFrame({"student_id": "a", "item_id": ["i1", "i2", "i3"], "skill_ids": "k",
                          "correct": ["1,0", "0,0", "1"], "order": [1, 2, 3]})  # fmt: skip
    path = tmp_path / "excel.parquet"
    frame.to_parquet(path)
    assert load_log(path).correct.tolist() == [1, 0, 1]
    frame.loc[3] = ["a", "i4", "k", "0,5", 4]
    frame.to_parquet(path)
    log = load_log(path, mapping={"correct_threshold": "0,5"})
    assert log.correct.tolist() == [1, 0, 1, 1]
    frame.loc[3, "correct"] = "yes"
    frame.to_parquet(path)
    found = parquet_problems(path, {"correct": "correct"})
    assert [(p.line, p.value) for p in found.problems] == [(4, "yes")]


def test_answer_words_split_on_their_commas_say_so(tmp_path):
    """`--correct-values '1,0' --incorrect-values '0,0'` said "0 is both a correct and an
    incorrect value": the lists are split on commas, which the message now says, with how to
    give such a word and that numbers with a decimal comma need none."""
    path = write(tmp_path, ["a,i1,k,1,2024-09-01T08:00:00Z"])
    mapping = {"correct_values": "1,0", "incorrect_values": "0,0"}
    with pytest.raises(ConfigError, match="0 is both") as info:
        load_log(path, mapping=mapping)
    assert "split on commas" in str(info.value) and "decimal comma" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_log(path, mapping={"correct_values": ["ok"], "incorrect_values": ["ok"]})
    assert "split on commas" not in str(info.value)


def test_a_spreadsheets_serial_dates_are_named(tmp_path):
    """A data scientist's trial: times exported as Excel serial numbers (45551.33) got the ISO
    advice only. Now the error says what they are and how to export them."""
    header = "student_id,item_id,skill_ids,correct,timestamp\n"
    path = write(tmp_path, ["a,i1,k,1,45551.33", "a,i2,k,0,45551.34"], header)
    with pytest.raises(DataValidationError, match="a spreadsheet's serial dates"):
        load_log(path)


def test_a_wrong_skill_separator_still_gets_the_note(tmp_path):
    """A data scientist's trial: `--skills-sep ','` on a '~'-separated column split names at
    their commas, and the separator note was gone. The note now names the '~' left in them."""
    header = "student_id,item_id,skill_ids,correct,timestamp\n"
    rows = ['a,i1,"A~B",1,2024-09-01T08:00:00Z', 'a,i2,"A~C",0,2024-09-01T09:00:00Z']
    path = write(tmp_path, rows, header)
    with pytest.warns(DataNoteWarning, match="once split at ','.*is the export's separator '~'"):
        load_log(path, mapping={"skills_sep": ","})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        load_log(path, mapping={"skills_sep": "~"})


def test_a_few_rows_listing_the_columns_own_skills_are_noted(tmp_path):
    """My own trial: a district export whose projects list two skills ("g7.OA.3;g7.OA.4", 0.5%
    of the rows) was read with 143 skills for 120, each list a skill of its own, without a
    word (the note waited for 5% of the rows, so that ASSIST2009's comma names stay quiet).
    A list whose parts are each a skill of the column is noted however few its rows; a name
    with a comma whose parts are no skills is not."""
    header = "student_id,item_id,skill_ids,correct,timestamp\n"
    rows = [f"s{i % 7},i{i},k{i % 5},{i % 2},2024-09-01T08:{i % 60:02d}:00Z" for i in range(300)]
    listed = [*rows, "s0,p1,k1;k2,1,2024-09-02T08:00:00Z"]
    with pytest.warns(DataNoteWarning, match=r"1 row \(under 1%\) of column 'skill_ids' hold a skill "
                      r"with ';' in it .*'k1;k2'.*--skills-sep ';'"):  # fmt: skip
        load_log(write(tmp_path, listed, header))
    named = [*rows, 's0,p1,"Angles - Obtuse, Acute, and Right",1,2024-09-02T08:00:00Z']
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        load_log(write(tmp_path, named, header, name="named.csv"))


def test_one_row_per_skill_read_as_responses_is_noted(tmp_path):
    """A researcher's trial: ASSISTments' one row per skill of a response, read without
    --merge-skill-rows and ordered by a running index (no tie to spot), counted each answer once
    per skill without a word (dkt AUC 0.756 against 0.691 merged). Now a note names the option."""
    header = "student_id,item_id,skill_ids,correct,order\n"
    rows = ["a,i1,k1,1,1", "a,i1,k2,1,2", "a,i2,k1,0,3", "a,i2,k3,0,4"]
    path = write(tmp_path, rows, header)
    with pytest.warns(DataNoteWarning, match="repeat the row above's student, item and answer"):
        load_log(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        load_log(path, mapping={"merge_skill_rows": True, "allow_unsorted": True})


def test_pykt_padding_is_never_read_as_a_wrong_answer(tmp_path):
    """A researcher's trial: -1 (pyKT's padding) got the scores advice, and with
    --correct-threshold 0.5 it loaded as wrong answers on a skill '-1'. Now an error that says
    what -1 is, with or without a threshold."""
    header = "student_id,item_id,skill_ids,correct,timestamp\n"
    rows = ["a,i1,k,1,2024-09-01T08:00:00Z", "a,-1,-1,-1,2024-09-01T09:00:00Z"]
    path = write(tmp_path, rows, header)
    for mapping in (None, {"correct_threshold": 0.5}):
        with pytest.raises(DataValidationError, match="line 3, column 'correct'.*padded position"):
            load_log(path, mapping=mapping)


def test_pykt_concepts_joined_with_underscores_are_noted(tmp_path):
    """A researcher's trial: pyKT's '33_7' (two concepts) was read as one skill without a note,
    where '33;7' got one. Numeric ids joined by '_' are noted; names with '_' are not."""
    header = "student_id,item_id,skill_ids,correct,timestamp\n"
    rows = ["a,i1,33_7,1,2024-09-01T08:00:00Z", "a,i2,33,0,2024-09-01T09:00:00Z"]
    with pytest.warns(DataNoteWarning, match="--skills-sep '_'"):
        load_log(write(tmp_path, rows, header))
    named = ["a,i1,place_value,1,2024-09-01T08:00:00Z", "a,i2,place_value,0,2024-09-01T09:00:00Z"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        load_log(write(tmp_path, named, header, "named.csv"))


def test_a_placeholder_time_column_points_to_file_order(tmp_path, capsys):
    """A researcher's trial: the Gervet splits' all-zero `timestamp` was read as the time, every
    retry a duplicated row; no command-line option read file order. `--file-order` does, and
    the duplicate error names it."""
    header = "student_id,item_id,skill_ids,correct,timestamp\n"
    path = write(tmp_path, ["a,i1,k,1,0", "a,i2,k,0,0", "a,i1,k,1,0"], header)
    with pytest.raises(DataValidationError, match="holds one value for every row .*--file-order"):
        load_log(path)
    assert run(["validate", str(path), "--file-order"]) == 0
    assert len(load_log(path, mapping={"time_kind": "file"})) == 3


def test_pykt_wide_rows_are_named_as_such(tmp_path):
    """A researcher's trial: pyKT's one row per student with comma-joined sequences got a
    problem per line and no diagnosis."""
    header = "student_id,item_id,skill_ids,correct,order\n"
    path = write(tmp_path, ['a,"1,2,3","4,5,6","1,0,1",1'], header)
    with pytest.raises(DataValidationError, match="comma-joined sequences .*read_pykt"):
        load_log(path)


def test_lines_after_a_cell_on_two_lines_are_the_editors(tmp_path):
    """A data scientist's trial: after a quoted comment written on two lines, every error named
    the line before the bad row's (the records were counted, not the lines)."""
    header = "student_id,item_id,skill_ids,correct,timestamp,comment\n"
    rows = ['a,i1,k,1,2024-09-01T08:00:00Z,"two\nlines"', "", "a,i2,k,7,2024-09-01T09:00:00Z,x"]
    path = write(tmp_path, rows, header)
    with pytest.raises(DataValidationError, match="log.csv, line 5, column 'correct': got '7'"):
        load_log(path)
    crlf = tmp_path / "crlf.csv"  # one line per record: the counted lines are the editor's
    crlf.write_bytes(
        (header + "\n\na,i2,k,7,2024-09-01T09:00:00Z,x\n").replace("\n", "\r\n").encode()
    )
    with pytest.raises(DataValidationError, match="crlf.csv, line 4, column 'correct'"):
        load_log(crlf)


def test_an_empty_parquet_export_reads_as_no_rows_as_a_header_only_csv(tmp_path, capsys):
    """An operator's trial: pandas' empty frame written to Parquet (columns of type null) said
    "column 'skill_ids': got 'Parquet type null'", not that the export was empty; a data
    steward's: refused as "no rows", a first night of a new year could not be served from
    last year's placement alone, while a header-only CSV could. Both read as no rows now (a
    night's first, before any answer), and `validate` refuses both as a header and no rows."""
    path = tmp_path / "empty.parquet"
    pd.DataFrame({"student_id": [], "item_id": [], "skill_ids": [], "correct": [],
                  "timestamp": []}).to_parquet(path)  # fmt: skip
    log = load_log(path)
    assert len(log) == 0 and log.has_timestamps
    from adaptive.cli import run

    assert run(["validate", str(path)]) == 2
    assert f"{path}: got 'a header and no rows'" in " ".join(capsys.readouterr().err.split())


def test_item_and_skill_columns_given_the_other_s_name_are_noted(tmp_path):
    """A data scientist's trial: an export read with --item-col and --skills-col exchanged
    loaded and trained without error (the model traced items as skills); the only note said
    --merge-skill-rows, which would have merged a student's consecutive items. Now the note
    says the columns look swapped, and the misleading one is not given; the same file read
    the right way round gets no note."""
    rng = np.random.default_rng(0)
    skill = rng.integers(0, 8, 600)
    item = skill * 5 + rng.integers(0, 5, 600)  # 40 items inside 8 skills
    rows = [
        f"s{r // 20},i{i},k{k},{r % 2},2024-09-{1 + r % 28:02d}T08:{r % 60:02d}:00Z"
        for r, (i, k) in enumerate(zip(item, skill, strict=True))
    ]
    _assert_swap_noted_only_when_swapped(
        write(tmp_path, rows, "student,item,skill,correct,timestamp\n")
    )


def test_swapped_columns_are_noted_when_some_items_carry_two_skills(tmp_path):
    """A district data scientist's trial: with --item-col and --skill-col exchanged, 90 items
    and 1,889 'skills' loaded without the swap note (only 82 % of the skills sat on one item:
    a fifth of the export's items carry two skills), and the one note given advised
    --merge-skill-rows for a student's separate answers at other times. Now the swap is
    noted, and the merge advice is not; read the right way round, neither is."""
    rng = np.random.default_rng(1)
    item = rng.integers(0, 40, 800)  # 40 items inside 8 skills; items 0-9 carry two skills
    skill = np.where((item < 10) & (rng.random(800) < 0.5), (item // 5 + 1) % 8, item // 5)
    rows = [
        f"s{r // 40},i{i},k{k},1,2024-09-{1 + r % 28:02d}T08:{r % 40:02d}:00Z"
        for r, (i, k) in enumerate(zip(item, skill, strict=True))
    ]
    _assert_swap_noted_only_when_swapped(
        write(tmp_path, rows, "student,item,skill,correct,timestamp\n")
    )


def test_the_merge_note_counts_only_rows_the_option_would_merge(tmp_path):
    """A district data scientist's trial: "13 % of rows repeat the row above's student, item
    and answer with another skill ... give --merge-skill-rows" counted rows at other times,
    which --merge-skill-rows never merges (one response's rows share its time). Rows of one
    item and answer at other times are separate answers now, and get no note."""
    rows = [
        f"a,i{r // 4},k{r % 2},1,2024-09-01T08:{r:02d}:00Z" for r in range(40)
    ]  # each item answered 4 times in a row, alternating skills, a minute apart
    path = write(tmp_path, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        load_log(path)


def test_a_row_out_of_order_quotes_its_time_as_written(tmp_path):
    """A district data scientist's trial: with --require-sorted, a reversed student's line 3
    (`09/29/2016 08:57:00`) was quoted as got '2016-09-29T08:57:00+00:00', a text the file
    does not hold. The cell is quoted as written now, its reading named beside the earlier
    response's time."""
    rows = ["a,i1,k,1,09/29/2016 08:58:30", "a,i2,k,0,09/29/2016 08:57:00"]
    path = write(tmp_path, rows)
    mapping = {"time_format": "%m/%d/%Y %H:%M:%S", "require_sorted": True}
    with pytest.raises(DataValidationError) as info:
        load_log(path, mapping=mapping)
    assert (
        "line 3, column 'timestamp': got '09/29/2016 08:57:00'; expected a time not before "
        "this student's earlier response at 2016-09-29T08:58:30+00:00 (this cell reads as "
        "2016-09-29T08:57:00+00:00; "
    ) in str(info.value)


def test_a_repeated_header_line_is_quarantined_with_its_text(tmp_path):
    """A district data scientist's trial: an export concatenated from parts repeats its header
    mid-file; that line was set aside with every column filled but raw_text empty. Its
    raw_text is the line's text now; a row with a bad value keeps its cells only."""
    header = "learner;question;kc;answered_at;is_right;school\n"
    rows = ["s1;q1;k1;2016-09-20T08:00:00Z;1;HS-0", "learner;question;kc;answered_at;is_right;school",
            "s1;q2;k1;2016-09-20T08:01:00Z;maybe;HS-0", "s1;q3;k1;2016-09-20T08:02:00Z;0;HS-0"]  # fmt: skip
    path = write(tmp_path, rows, header)
    mapping = {"student_id": "learner", "item_id": "question", "skill_ids": "kc",
               "correct": "is_right", "time": "answered_at", "sep": ";"}  # fmt: skip
    read_responses(path, mapping, quarantine=tmp_path / "aside.csv")
    aside = pd.read_csv(tmp_path / "aside.csv", dtype=str, keep_default_na=False)
    assert aside["line"].tolist() == ["3", "4"]
    assert aside["school"].tolist() == ["school", "HS-0"]
    assert aside["raw_text"].tolist() == ["learner;question;kc;answered_at;is_right;school", ""]


def test_a_quarantined_csv_row_keeps_the_exports_other_columns(tmp_path):
    """A data scientist's trial: the quarantine held only the columns the reader reads, so a
    fixed row could not be pasted back into the export (its `Minutes` was gone). Each set-aside
    row now carries every column of the file, in the file's order, past a row the parser could
    not split, a blank line and a quoted cell spanning two lines."""
    from adaptive.data import read_responses

    text = (
        "Learner;Note;Task;KC;Score;When;Minutes\n"
        "s1;ok;i1;k1;1;2026-09-01T08:00:00Z;3\n"
        's1;"two\nlines";i2;k1;maybe;2026-09-01T08:05:00Z;4\n'  # a bad answer, after a 2-line cell
        "s2;short;i1\n"  # too few fields: not split
        "\n"
        "s2;ok;i1;k1;0;2026-09-02T08:00:00Z;5\n"
        "s3;late;i3;;1;2026-09-03T08:00:00Z;6\n"  # no skill
        "s3;ok;i3;k1;1;yesterday;7\n"  # no date
    )
    path = tmp_path / "export.csv"
    path.write_text(text)
    mapping = {"student_id": "Learner", "item_id": "Task", "skill_ids": "KC", "correct": "Score",
               "time": "When", "sep": ";"}  # fmt: skip
    log = read_responses(path, mapping, quarantine=tmp_path / "aside.csv")
    assert len(log) == 2
    aside = pd.read_csv(tmp_path / "aside.csv", dtype=str, keep_default_na=False)
    assert list(aside.columns) == ["line", "reason", "Learner", "Note", "Task", "KC", "Score",
                                   "When", "Minutes", "raw_text"]  # fmt: skip
    by_score = aside[aside["Score"] != ""].set_index("Learner")
    assert by_score.loc["s1", "Note"] == "two\nlines" and by_score.loc["s1", "Minutes"] == "4"
    assert sorted(aside["Minutes"]) == ["", "4", "6", "7"]  # the unsplit row keeps its raw_text
    assert aside.loc[aside["Minutes"] == "", "raw_text"].tolist() == ["s2;short;i1"]


def _assert_swap_noted_only_when_swapped(path) -> None:
    """A log of 40 items inside 8 skills read with its item and skill columns exchanged gets
    the swap note and no --merge-skill-rows advice; read the right way round, no note."""
    swapped = {"student_id": "student", "item_id": "skill", "skill_ids": "item"}
    with pytest.warns(DataNoteWarning, match="the skill column 'item' has 40 values") as seen:
        load_log(path, mapping={**swapped, "allow_unsorted": True})
    assert not any("--merge-skill-rows" in str(w.message) for w in seen)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        right = {"student_id": "student", "item_id": "item", "skill_ids": "skill"}
        load_log(path, mapping={**right, "allow_unsorted": True})


@pytest.mark.parametrize("every_row", [True, False])
def test_spark_and_the_in_process_reader_close_a_refusal_with_one_hint(tmp_path, every_row):
    """Spark's check of a Parquet log (`parquet_problems`) closed with the hint for loading the
    other rows where every row was refused (there are none: the in-process reader says the
    file is read otherwise than it is written). Both now choose the hint by one rule
    (`refused_cells_hint`), from one tally of the refused cells."""
    from adaptive.data.io import read_responses
    from adaptive.data.validate import parquet_problems
    from adaptive.errors import DataValidationError

    path = tmp_path / "log.parquet"
    pd.DataFrame({
        "student_id": list("aabbcc"), "item_id": ["i"] * 6, "skill_ids": ["s"] * 6,
        "correct": [0.5] * 6 if every_row else [0.5, 1, 0, 1, 0, 1],
        "timestamp": pd.date_range("2026-01-01", periods=6, freq="h", tz="UTC"),
    }).to_parquet(path)  # fmt: skip
    with pytest.raises(DataValidationError) as err:
        read_responses(path)
    spark = parquet_problems(path, {"correct": "correct"})
    assert spark is not None and str(spark) == str(err.value)
    opening = "Every one of the 6 rows was refused" if every_row else "1 row (17%) of column"
    assert opening in str(spark)


def _concatenated_export(tmp_path: Path) -> Path:
    """Two exports joined into one file (each with its BOM, CRLF line ends and header), as a
    district data scientist's trial had them: its header repeated at line 4."""
    header = "StudentID,ProblemID,ProblemSkill,Outcome,Attempted_At,Teacher\r\n"
    first = ["s1,p1,k1,CORRECT,2024-09-18T15:54:00-05:00,Doe", "s1,p2,k1,INCORRECT,2024-09-18T15:55:00-05:00,Doe"]  # fmt: skip
    second = ["s2,p1,k1,CORRECT,2024-09-19T09:00:00-05:00,Roe", "s2,p3,k2,CORRECT,2024-09-19T09:01:00-05:00,Roe"]  # fmt: skip
    text = "\ufeff" + header + "".join(r + "\r\n" for r in first)
    text += "\ufeff" + header + "".join(r + "\r\n" for r in second)
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


EXPORT_OPTIONS = ["--student-col", "StudentID", "--item-col", "ProblemID", "--skill-col",
                  "ProblemSkill", "--correct-col", "Outcome", "--time-col", "Attempted_At"]  # fmt: skip


def test_a_line_repeating_the_header_is_one_problem_saying_so(tmp_path, capsys):
    """A district data scientist's trial: an export concatenated from two (the header repeated
    mid-file) was reported as bad answers: without --correct-values the header's own word was
    offered as an answer word ("writes its answers as 'CORRECT', 'INCORRECT', 'Outcome'");
    with them, the line was two problems ('Outcome' not 0 or 1, 'Attempted_At' no date). It is
    one problem now, saying the line repeats the header, with how to handle it."""
    path = _concatenated_export(tmp_path)
    assert run(["validate", str(path), *EXPORT_OPTIONS]) == 2
    output = " ".join(capsys.readouterr().err.split())
    assert "as 'CORRECT', 'INCORRECT':" in output and "got 'Outcome'" not in output
    words = ["--correct-values", "CORRECT", "--incorrect-values", "INCORRECT"]
    assert run(["validate", str(path), *EXPORT_OPTIONS, *words]) == 2
    output = " ".join(capsys.readouterr().err.split())
    assert "line 4" in output and "repeats the header (concatenated exports?)" in output
    assert "'Attempted_At'" not in output and "expected 0 or 1" not in output
    assert "--quarantine" in output and "delete" in output


def test_a_line_repeating_the_header_is_set_aside_by_the_quarantine(tmp_path):
    """The quarantine sets such a line aside like any refused row: its cells (the header's
    names, every column of the file) and its text, with the reason; the rest loads."""
    path = _concatenated_export(tmp_path)
    mapping = {"student_id": "StudentID", "item_id": "ProblemID", "skill_ids": "ProblemSkill",
               "correct": "Outcome", "time": "Attempted_At", "correct_values": ["CORRECT"],
               "incorrect_values": ["INCORRECT"]}  # fmt: skip
    log, report = load_log_report(path, mapping, quarantine=tmp_path / "aside.csv")
    assert (len(log), report.rows_read, report.rows_quarantined) == (4, 5, 1)
    aside = pd.read_csv(tmp_path / "aside.csv", dtype=str, keep_default_na=False)
    assert aside["line"].tolist() == ["4"]
    assert "repeats the header" in aside["reason"][0]
    assert aside["Teacher"].tolist() == ["Teacher"]
    assert aside["raw_text"].tolist() == [
        "StudentID,ProblemID,ProblemSkill,Outcome,Attempted_At,Teacher"
    ]


def test_a_row_whose_read_cells_are_the_header_names_but_not_the_others_is_data(tmp_path, capsys):
    """A repeated header is a line whose every field is the header's: one whose other columns
    hold data is read as a row (here a bad one: 'Outcome' is no answer)."""
    rows = ["s1,p1,k1,1,2024-09-18T15:54:00Z,Doe",
            "StudentID,ProblemID,ProblemSkill,Outcome,Attempted_At,Roe"]  # fmt: skip
    path = write(tmp_path, rows, "StudentID,ProblemID,ProblemSkill,Outcome,Attempted_At,Teacher\n")
    assert run(["validate", str(path), *EXPORT_OPTIONS]) == 2
    output = capsys.readouterr().err
    assert "repeats the header" not in output and "got 'Outcome'" in output


@pytest.mark.parametrize("repeats", [1, 2])
@pytest.mark.parametrize("aside", [False, True], ids=["refused", "quarantine"])
def test_a_file_of_its_header_repeated_is_said_to_hold_no_rows(tmp_path, repeats, aside):
    """A file whose lines under the header all repeat it (empty exports joined into one) was
    told "To load the other rows ... quarantine" (there are none), and with a quarantine
    "Every one of the 1 row was refused ... read otherwise than it is written (a column's
    format: --time-format...)". It holds a header and no rows, and is said so as a file of a
    header alone is."""
    header = "\ufeffStudentID,ProblemID,ProblemSkill,Outcome,Attempted_At,Teacher\r\n"
    path = tmp_path / "export.csv"
    path.write_bytes((header * (1 + repeats) + "\r\n").encode("utf-8"))
    mapping = {"student_id": "StudentID", "item_id": "ProblemID", "skill_ids": "ProblemSkill",
               "correct": "Outcome", "time": "Attempted_At"}  # fmt: skip
    quarantine = tmp_path / "aside.csv" if aside else None
    with pytest.raises(DataValidationError) as refused:
        load_log_report(path, mapping, quarantine=quarantine)
    said = " ".join(str(refused.value).split())
    lines = "the line under it repeats it" if repeats == 1 else "the 2 lines under it repeat it"
    written = f" (written to {quarantine} with {'its reason' if repeats == 1 else 'their reasons'})"
    assert (
        f"The file holds a header and no rows: {lines}{written if aside else ''}; expected rows "
        "of responses under the header (an export of the wrong term, or a filter left on?)."
    ) in said, said
    assert "line 2; expected a row of data; the line repeats the header" in said
    assert "quarantine" not in said.replace(str(quarantine), "")
    assert "Every one" not in said and "otherwise than it is written" not in said


def test_a_pykt_split_is_named_before_its_missing_columns(tmp_path, capsys):
    """A data scientist's trial: pyKT's test.csv.gz given to `adaptive validate` without column
    options listed four missing columns; the read_pykt advice came only once `--correct-col
    responses` was given. Its header (uid, concepts, responses) is told first, as one problem."""
    header = "fold,uid,concepts,responses,cidxs\n"
    path = write(tmp_path, ['-1,6256,"54,54,3","1,1,0","0,1,2"'], header)
    with pytest.raises(DataValidationError) as info:
        load_log(path)
    assert info.value.total == 1
    assert "pyKT's preprocessed split" in info.value.problems[0].expected
    assert "adaptive.data.pykt.read_pykt" in info.value.problems[0].expected
    assert run(["validate", str(path)]) == 2
    said = capsys.readouterr().err
    assert "read_pykt" in said and "for student_id" not in said


def test_a_canonical_column_the_mapping_reads_elsewhere_is_noted(tmp_path):
    """A data scientist's trial: `--correct-col original` on a file that also has a column
    named `correct` loaded without a word about the file's own `correct`. A note says which
    of the file's columns named as a canonical field are not read, and where each field is
    read from; none where the mapping reads the canonical columns themselves."""
    header = "student_id,item_id,skill_ids,correct,original,seq_idx,timestamp\n"
    rows = [f"s{i % 3},i{i},k{i % 2},{i % 2},{(i + 1) % 2},{i},2024-01-01" for i in range(9)]
    path = write(tmp_path, rows, header)
    _, report = load_log_report(path, {"correct": "original", "time": "seq_idx"})
    (note,) = [n for n in report.notes if "not read" in n]
    assert note == (
        "the file's columns 'correct', 'timestamp' are not read: the mapping reads correct "
        "from 'original', the time from 'seq_idx'"
    )
    with pytest.warns(DataNoteWarning, match="column.*'correct'.* not read"):
        load_log(path, mapping={"correct": "original", "time": "seq_idx"})
    _, plain = load_log_report(path, {"time": "seq_idx"})
    assert [n for n in plain.notes if "'correct'" in n] == []
