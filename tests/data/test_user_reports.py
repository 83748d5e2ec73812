"""User reports on their own exports: a forgotten skill separator, a duplicated row beside
rows merged per skill, a folder of CSV files, a missing column named in Python. Each mistake is
said once, naming the file, the line and the option (or mapping key) that fixes it; nothing is
misread without a word."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from test_field_data import HEADER, write
from typer.testing import CliRunner

from adaptive.cli import app
from adaptive.data import load_log, load_log_report, read_responses_report
from adaptive.errors import DataNoteWarning, DataValidationError

runner = CliRunner()


def timed_rows(skills: list[str]) -> list[str]:
    """One row per skill cell, each a response of its own (student s0, s1, ...; ten minutes
    apart): only the skill column matters here."""
    return [
        f"s{n % 7},i{n},{cell},{n % 2},{pd.Timestamp('2024-09-01T08:00Z') + pd.Timedelta(minutes=10 * n)}"
        for n, cell in enumerate(skills)
    ]


# -- a forgotten skill separator -------------------------------------------------------------------
LISTS = ["k1;k2", "k2", "k1;k3", "k3", "k2;k3", "k1", "k1;k2", "k2", "k3", "k1"]  # 40 % lists


def test_skill_lists_read_without_a_separator_get_a_note(tmp_path):
    """An export whose skill column holds ';'-separated lists, read without `skills_sep`, made
    every "k1;k2" a skill of its own ("No problems found", no multi-skill response). The lists
    are still read as asked (one skill per cell), and the note says how many rows hold such a
    value and which option reads them as lists."""
    path = write(tmp_path, timed_rows(LISTS))
    log, report = read_responses_report(path)
    assert len(log.skills) == 6  # read as asked: "k1;k2" is one skill
    (note,) = [n for n in report.notes if "skills_sep" in n]
    assert note.startswith("4 rows (40%) of column 'skill_ids' hold a skill with ';' in it")
    assert "3 such skills" in note and "'k1;k2'" in note
    assert "--skills-sep ';'" in note and "skills_sep" in note
    log, report = read_responses_report(path, {"skills_sep": ";"})
    assert len(log.skills) == 3 and not report.notes  # given: no note


def test_the_python_path_warns_with_the_skill_list_note(tmp_path):
    """`load_log(..., mapping=...)` says it too (a `DataNoteWarning` naming the file and the
    mapping key), as `adaptive validate` prints it."""
    header = "Learner,Question,Standards,Outcome,When\n"
    path = write(tmp_path, timed_rows(LISTS), header=header)
    mapping = {"student_id": "Learner", "item_id": "Question", "skill_ids": "Standards",
               "correct": "Outcome", "time": "When"}  # fmt: skip
    with pytest.warns(DataNoteWarning, match=r"log\.csv: 4 rows .* 'Standards' .*skills_sep"):
        load_log(path, mapping=mapping)
    flags = ["--student-col", "Learner", "--item-col", "Question", "--skills-col", "Standards",
             "--correct-col", "Outcome", "--time-col", "When"]  # fmt: skip
    result = runner.invoke(app, ["validate", str(path), *flags])
    out = " ".join(result.output.split())
    assert result.exit_code == 0 and "note: 4 rows (40%)" in out and "--skills-sep ';'" in out


def _lists_frame() -> pd.DataFrame:
    """`LISTS` as a DataFrame in the canonical columns, as a notebook renames an export's."""
    times = pd.Timestamp("2024-09-01T08:00Z") + pd.to_timedelta(range(len(LISTS)), unit="min")
    return pd.DataFrame({"student_id": [f"s{n % 7}" for n in range(len(LISTS))],
                         "item_id": [f"i{n}" for n in range(len(LISTS))], "skill_ids": LISTS,
                         "correct": [n % 2 for n in range(len(LISTS))], "timestamp": times})  # fmt: skip


def test_a_frame_of_skill_lists_gets_the_note_and_a_separator():
    """A data scientist's trial: `ResponseLog.from_frame` read "7.RP.1|7.RP.2" as one skill
    without a word, where the command line notes it, and had no separator to give. It takes
    `skills_sep` now, and says the file readers' note (the same check) naming that argument."""
    from adaptive.data.log import ResponseLog

    with pytest.warns(DataNoteWarning) as said:
        log = ResponseLog.from_frame(_lists_frame())
    assert len(log.skills) == 6  # read as asked: "k1;k2" is one skill
    (note,) = [str(w.message) for w in said]
    assert note.startswith("<memory>: 4 rows (40%) of column 'skill_ids' hold a skill with ';'")
    assert note.endswith("give the separator: from_frame(..., skills_sep=';')")
    assert "--skills-sep" not in note  # no option on the Python path
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log = ResponseLog.from_frame(_lists_frame(), skills_sep=";")
    assert list(log.skills) == ["k1", "k2", "k3"] and log.n_skills_per_response.max() == 2
    with pytest.warns(DataNoteWarning, match=r"still hold a skill with ';'.*skills_sep=';'"):
        ResponseLog.from_frame(_lists_frame(), skills_sep="|")


def test_a_small_frames_odd_skill_name_gets_no_note_and_internal_callers_none():
    """A review: a one-row frame with ASSISTments' "Angles - Obtuse, Acute, and Right" warned
    "1 row (100%) ... from_frame(..., skills_sep=',')": the 5% share was made for whole
    exports. A frame's share speaks from `SKILL_LIST_MIN_ROWS` rows on (lists whose parts are
    each a skill of the column are said at any size), and MLflow serving, which reads each
    request with `from_frame` and cannot pass `skills_sep`, says nothing per request."""
    from adaptive.data.log import ResponseLog
    from adaptive.data.skill_lists import SKILL_LIST_MIN_ROWS
    from adaptive.registry.pyfunc_model import predict_in_input_order
    from adaptive.tracing.bkt import BKT

    named = _lists_frame().head(1).assign(skill_ids="Angles - Obtuse, Acute, and Right")
    n = SKILL_LIST_MIN_ROWS
    many = pd.DataFrame({
        "student_id": [f"s{i % 7}" for i in range(n)], "item_id": [f"i{i}" for i in range(n)],
        "skill_ids": ["a,b" if i % 10 == 0 else "k" for i in range(n)], "correct": 1,
        "timestamp": pd.Timestamp("2024-09-01T08:00Z") + pd.to_timedelta(range(n), unit="min"),
    })  # fmt: skip
    model = BKT().fit(ResponseLog.from_frame(_lists_frame(), skills_sep=";"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        ResponseLog.from_frame(named)
        ResponseLog.from_frame(many.head(n - 1))  # 10% of the rows, too few rows to say it
        ResponseLog.from_frame(_lists_frame(), notes=False)
        predict_in_input_order(model, _lists_frame())
    with pytest.warns(DataNoteWarning, match=r"10 rows \(10%\).*skills_sep=','"):
        ResponseLog.from_frame(many)


@pytest.mark.parametrize("sep", [",", "|", "~", "+"])
def test_other_separator_like_characters_are_named(tmp_path, sep):
    cells = [cell.replace(";", sep) for cell in LISTS]
    path = write(tmp_path, timed_rows([f'"{c}"' if sep == "," else c for c in cells]))
    _, report = read_responses_report(path)
    (note,) = report.notes
    assert f"--skills-sep '{sep}'" in note


def test_a_few_odd_skill_names_get_no_note(tmp_path):
    """Skill names that hold a comma or a plus in a few rows (ASSIST2009's 'Order of Operations
    +,-,/,* () positive reals': about 1 % of its rows) are names, not lists: no note."""
    cells = ["k1"] * 30 + ['"Angles - Obtuse, Acute, and Right"'] + ["k2"] * 29
    _, report = read_responses_report(write(tmp_path, timed_rows(cells)))
    assert not report.notes
    parquet = tmp_path / "lists.parquet"  # a list column is read as lists: nothing to say
    frame = pd.read_csv(write(tmp_path, timed_rows(LISTS), name="l.csv"))
    frame.assign(skill_ids=frame["skill_ids"].str.split(";")).to_parquet(parquet, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        assert len(load_log(parquet).skills) == 3


# -- a duplicated row beside rows merged per skill -------------------------------------------------
SKILL_ROWS = [  # i2 tagged k1 and k2, one row per skill; then its two rows written again
    "a,i1,k1,1,2024-09-01T10:00:00Z",
    "a,i2,k1,1,2024-09-01T10:01:00Z",
    "a,i2,k2,1,2024-09-01T10:01:00Z",
    "a,i2,k2,1,2024-09-01T10:01:00Z",
    "a,i2,k1,1,2024-09-01T10:01:00Z",
]


@pytest.mark.parametrize("merge", [True, False])
def test_a_duplicated_row_names_the_row_it_repeats(tmp_path, merge):
    """With `merge_skill_rows`, an exact copy of a row (same student, item, time, answer and
    skill) was "a row that does not repeat line 3 with another skill (... --merge-skill-rows
    ...)": the wrong line, and the option already given. Each copy is now a duplicated row
    naming the line it copies; with or without the option, whatever the rows' order."""
    path = write(tmp_path, SKILL_ROWS)
    with pytest.raises(DataValidationError) as info:
        load_log(path, mapping={"merge_skill_rows": merge})
    problems = {p.line: p.expected for p in info.value.problems}
    assert "repeat line 4 (" in problems[5] and "duplicated row" in problems[5]
    assert "repeat line 3 (" in problems[6] and "duplicated row" in problems[6]
    if merge:  # the first two rows of i2 are one response: nothing else to say
        assert sorted(problems) == [5, 6]
        assert not any("--merge-skill-rows" in e for e in problems.values())
    else:  # the second skill row of i2 is still named, with the option that reads it
        assert sorted(problems) == [4, 5, 6] and "--merge-skill-rows" in problems[4]
    log, report = load_log_report(path, {"merge_skill_rows": merge}, tmp_path / "q.csv")
    assert report.rows_quarantined == (2 if merge else 3)
    if merge:
        assert [sorted(k) for k in log.frame["skill_ids"]] == [["k1"], ["k1", "k2"]]


def test_a_duplicated_row_in_parquet_with_merged_skill_rows(tmp_path):
    """The user's file: epoch milliseconds in Parquet, `--merge-skill-rows` given. Exit 2, and
    the message names the copied rows' lines and no option."""
    ms = 1253319646000
    frame = pd.DataFrame(
        {
            "sid": ["S1"] * 5,
            "qid": ["P1", "P2", "P2", "P2", "P2"],
            "kc": ["Median", "Median", "Box and Whisker", "Box and Whisker", "Median"],
            "score": ["1.0"] * 5,
            "event_ms": [ms - 60000, ms, ms, ms, ms],
        }
    )
    path = tmp_path / "dup.parquet"
    frame.to_parquet(path, index=False)
    flags = ["--student-col", "sid", "--item-col", "qid", "--skills-col", "kc", "--correct-col",
             "score", "--time-col", "event_ms", "--time-unit", "ms", "--merge-skill-rows"]  # fmt: skip
    result = runner.invoke(app, ["validate", str(path), *flags, "--quiet"])
    assert isinstance(result.exception, DataValidationError)
    problems = {p.line: p.expected for p in result.exception.problems}
    assert sorted(problems) == [4, 5]  # a Parquet file's rows, from 1 ("row 4")
    assert "repeat row 3 (" in problems[4] and "repeat row 2 (" in problems[5]
    assert not any("--merge-skill-rows" in e for e in problems.values())


@pytest.mark.parametrize("merge", [True, False])
def test_rows_of_one_response_apart_are_found(tmp_path, merge):
    """The rows of one response (same student, item, time and answer, other skills) with
    another item's row between them at the same time loaded as two responses without a word:
    each row was compared with its neighbour in time only. Now they are named, with the
    option when it was not given, and how to place the rows when it was."""
    header = "student_id,item_id,skill_ids,correct,seq\n"
    path = write(tmp_path, ["a,i1,k1,0,0", "a,i2,k3,0,0", "a,i1,k2,0,0"], header=header)
    with pytest.raises(DataValidationError) as info:
        load_log(path, mapping={"time": "seq", "merge_skill_rows": merge})
    (problem,) = info.value.problems
    assert problem.line == 4 and "repeat line 2 with" in problem.expected
    assert ("put them together" in problem.expected) == merge
    assert ("--merge-skill-rows / merge_skill_rows reads" in problem.expected) == (not merge)


def test_date_only_attempts_of_a_multi_skill_item_merge_in_any_order(tmp_path):
    """With dates only, two attempts of a day at an item tagged k1 and k2, one row per skill,
    are two responses of both skills, however their rows are interleaved (k1, k2, k2, k1
    became k1+k2, k2 and k1, then refused as "another skill ... --merge-skill-rows", the
    option given)."""
    for order in (["k1", "k2", "k1", "k2"], ["k1", "k2", "k2", "k1"], ["k2", "k1", "k1", "k2"]):
        rows = [f"a,i1,{k},1,2024-09-01" for k in order] + ["a,i2,k1,0,2024-09-01"]
        path = write(tmp_path, rows, name=f"{''.join(order)}.csv")
        log, report = read_responses_report(path, {"merge_skill_rows": True})
        assert [sorted(k) for k in log.frame["skill_ids"]] == [["k1", "k2"]] * 2 + [["k1"]]
        assert any(n.startswith("1 response repeats another") for n in report.notes)


@pytest.mark.parametrize("merge", [True, False])
@pytest.mark.parametrize("time", ["2024-10-20T15:47:05-08:00", "7"])
def test_a_duplicate_listing_the_skills_in_another_order_is_a_duplicate(tmp_path, merge, time):
    """A copy of a multi-skill row whose cell lists the same skills in another order
    ("Percent Of~~Circle Graph" for "Circle Graph~~Percent Of") was "a row that does not repeat
    line 2 with another skill (one response written one row per skill? --merge-skill-rows
    ...)", and with the option it was merged into the response it copies without a word. The
    skills are compared as sets: it is a duplicated row, with or without the option, with
    times of day or an integer order, another row standing between them."""
    header = "student_id,item_id,skill_ids,correct,when\n"
    rows = [f"a,i1,Circle Graph~~Percent Of,0,{time}", f"b,i2,k1,1,{time}",
            f"a,i1,Percent Of~~Circle Graph,0,{time}"]  # fmt: skip
    mapping = {"time": "when", "skills_sep": "~~", "merge_skill_rows": merge}
    with pytest.raises(DataValidationError) as info:
        load_log(write(tmp_path, rows, header=header), mapping=mapping)
    (problem,) = info.value.problems
    assert problem.line == 4 and "does not repeat line 2 (" in problem.expected
    assert "duplicated row" in problem.expected and "--merge-skill-rows" not in problem.expected


@pytest.mark.parametrize("merge", [True, False])
def test_a_duplicate_is_shown_with_its_time_as_written(tmp_path, merge):
    """A duplicate's message showed its time in UTC ("at 2024-10-21T04:47:05+00:00") where the
    file says 2024-10-20T20:47:05-08:00: a search of the file found nothing. It is shown as
    the file writes it, for a whole copy and for a copy with another skill alike."""
    rows = ["a,i1,k1,0,2024-10-20T20:47:05-08:00", "a,i1,k1,0,2024-10-20T20:47:05-08:00",
            "a,i2,k1,1,2024-10-20T21:00:00-08:00", "a,i2,k2,1,2024-10-20T21:00:00-08:00",
            "a,i2,k1,1,2024-10-20T21:00:00-08:00"]  # fmt: skip
    with pytest.raises(DataValidationError) as info:
        load_log(write(tmp_path, rows), mapping={"merge_skill_rows": merge})
    shown = {p.line: p.value for p in info.value.problems}
    assert shown[3] == "item i1 at 2024-10-20T20:47:05-08:00"
    assert shown[6] == "item i2 at 2024-10-20T21:00:00-08:00"
    if not merge:  # the second skill row: "another skill", shown the same way
        assert shown[5] == "item i2 at 2024-10-20T21:00:00-08:00"


def test_a_frame_row_listing_the_skills_in_another_order_is_a_duplicate():
    """`ResponseLog.from_frame` compares the skills of repeated rows as sets, as the file
    readers do: "k2|k1" after "k1|k2" (same student, item, time and answer) is a copy."""
    from adaptive.data import ResponseLog

    frame = pd.DataFrame({"student_id": "a", "item_id": "i", "skill_ids": ["k1|k2", "k2|k1"],
                          "correct": 1, "timestamp": "2024-09-01T08:00:00Z"})  # fmt: skip
    with pytest.raises(DataValidationError, match="row label 1, .*does not repeat row label 0 "):
        ResponseLog.from_frame(frame, skills_sep="|")


def test_date_only_skills_in_another_order_are_an_attempt_of_the_day(tmp_path):
    """With dates only, a row naming an earlier row's skills in another order is the same
    answer again (kept as an attempt and counted, as an identical row is), never a row "with
    other skills"."""
    rows = ["a,i1,k2;k1,1,2024-09-01", "a,i2,k3,0,2024-09-01", "a,i1,k1;k2,1,2024-09-01"]
    for merge in (True, False):
        log, report = read_responses_report(
            write(tmp_path, rows), {"skills_sep": ";", "merge_skill_rows": merge}
        )
        assert len(log) == 3
        assert any(n.startswith("1 response repeats another") for n in report.notes)


def test_with_merged_skill_rows_a_part_of_a_response_is_not_sent_to_the_option(tmp_path):
    """With dates only and `merge_skill_rows`, an attempt of the day that names only some of
    the skills of the item's other attempt is still refused, but the message no longer tells
    the user to give the option they gave."""
    rows = ["a,i1,k1,1,2024-09-01", "a,i1,k2,1,2024-09-01", "a,i1,k1,1,2024-09-01"]
    with pytest.raises(DataValidationError) as info:
        load_log(write(tmp_path, rows), mapping={"merge_skill_rows": True})
    problems = info.value.problems
    assert problems and all("with other skills" in p.expected for p in problems)
    assert not any("one row per skill?" in p.expected for p in problems)


# -- a folder of CSV files; a missing column named in Python ---------------------------------------
def test_a_folder_of_csv_files_is_one_error_saying_what_to_give(tmp_path):
    """A folder of CSV exports given as the log was one "expected only Parquet parts" error
    per file; now one error naming the folder, its CSV files and what a log is instead."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("a.csv", "b.csv", "c.csv.gz"):
        (folder / name).write_text(HEADER)
    with pytest.raises(DataValidationError) as info:
        load_log(folder)
    (problem,) = info.value.problems
    assert problem.file == str(folder) and problem.value == "a.csv, b.csv, c.csv.gz"
    assert "holds 3 CSV files" in problem.expected
    assert "one CSV file" in problem.expected and "Parquet parts" in problem.expected
    result = runner.invoke(app, ["validate", str(folder)])
    assert isinstance(result.exception, DataValidationError)
    assert str(result.exception).startswith("1 problem in")


def test_a_district_folder_given_as_the_log_counts_its_csv_files_by_name(tmp_path):
    """A trial gave `--data` the district folder: the error said "this folder holds 5 CSV
    files" and listed catalog.json and profiles.jsonl among them (any name not Parquet was
    counted as CSV). The count now says the folder's files and which of them are CSV."""
    folder = tmp_path / "district"
    folder.mkdir()
    for name in ("catalog.json", "profiles.jsonl", "responses.csv", "roster.csv"):
        (folder / name).write_text(HEADER)
    with pytest.raises(DataValidationError) as info:
        load_log(folder)
    (problem,) = info.value.problems
    assert problem.value == "catalog.json, profiles.jsonl, responses.csv, roster.csv"
    assert "this folder holds 4 files, 2 of them CSV (responses.csv, roster.csv): give one " in (
        problem.expected
    )


def test_a_stray_file_among_parquet_parts_is_one_error_naming_it(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    pd.read_csv(write(tmp_path, timed_rows(["k"] * 3))).to_parquet(folder / "part-0.parquet")
    for name in ("notes.csv", "readme.txt"):
        (folder / name).write_text("a\n")
    with pytest.raises(DataValidationError) as info:
        load_log(folder)
    (problem,) = info.value.problems
    assert problem.value == "notes.csv, readme.txt"
    assert "only Parquet parts in a log's folder" in problem.expected


def test_a_part_whose_column_has_another_type_is_named_with_the_column(parts_one_retyped):
    """A trial's folder whose one part had int64 ids, the others text: "parts_intid; expected
    parts whose columns have one type (Unable to merge: ...)" named the folder, not the part.
    Now the part, the column, its type and the other parts' type, from the footers alone."""
    folder, odd = parts_one_retyped
    with pytest.raises(DataValidationError) as info:
        load_log(folder)
    (problem,) = info.value.problems
    assert (problem.file, problem.column, problem.value) == (str(odd), "student_id", "int64")
    assert "string, as in day=1/part-0.parquet)" in problem.expected


def test_a_missing_column_names_the_mapping_key_too(tmp_path):
    """`load_log(mapping={"student_id": "Learner Id"})` with no such column said "name another
    with --student-col": a command-line option to a Python caller. The hint names both the
    option and the mapping key."""
    path = write(tmp_path, timed_rows(["k"] * 3), header=HEADER.replace("student_id", "Learner ID"))
    with pytest.raises(DataValidationError) as info:
        load_log(path, mapping={"student_id": "Learner Id"})
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (1, "Learner Id")
    assert "--student-col" in problem.expected
    assert "mapping={'student_id': ...}" in problem.expected
    with pytest.raises(DataValidationError) as info:
        load_log(path, mapping={"student_id": "Learner ID", "time": "When"})
    assert "mapping={'time': ...}" in info.value.problems[0].expected


def test_a_column_named_almost_as_the_files_says_which_it_means(tmp_path, capsys):
    """A trial's `--student-col StudentNum` on a file whose column is `StudentNumber`: the
    error says "did you mean 'StudentNumber'?" (`closest_name`, as `adaptive profiles` does).
    An optional column named in the mapping (`duration_s`: no option names one) said only
    "a column 'DurationSecs' for duration_s", without the header's columns or a guess."""
    from adaptive.cli import run

    header = HEADER.replace("student_id", "StudentNumber").rstrip("\n") + ",DurationSec\n"
    path = write(tmp_path, [f"{row},30" for row in timed_rows(["k"] * 3)], header=header)
    assert run(["validate", str(path), "--student-col", "StudentNum"]) == 2
    assert "(did you mean 'StudentNumber'?)" in capsys.readouterr().err
    with pytest.raises(DataValidationError) as info:
        load_log(path, mapping={"student_id": "StudentNumber", "duration_s": "DurationSecs"})
    (problem,) = info.value.problems
    assert problem.expected == (
        "a column 'DurationSecs' for duration_s (did you mean 'DurationSec'?) (header has: "
        "StudentNumber, item_id, skill_ids, correct, timestamp, DurationSec)"
    )


# -- a time format with a UTC offset; a time format without a time column -------------------------
@pytest.mark.parametrize(
    ("fmt", "times"),
    [
        ("%d/%m/%Y %H:%M %z", ["27/09/2024 14:22 +0200", "27/09/2024 13:00 +0000"]),
        ("%Y-%m-%d %H:%M:%S%z", ["2024-09-27 14:22:00+0200", "2024-09-27 13:00:00+0000"]),
        ("%Y-%m-%d %H:%M:%S %Z", ["2024-09-27 14:22:00 UTC", "2024-09-27 13:00:00 UTC"]),
    ],
)
def test_a_time_format_with_a_utc_offset_reads_each_time_as_its_instant(tmp_path, fmt, times):
    """`--time-format '%d/%m/%Y %H:%M %z'` was refused as "not a strptime format": the format
    was tried on a sample time without an offset, which `%z` cannot read back. It is a format,
    and each time is read as the instant its offset says (14:22 +0200 is 12:22 UTC)."""
    header = "student_id,item_id,skill_ids,correct,Submitted At\n"
    path = write(tmp_path, [f"a,i1,k,1,{times[0]}", f"a,i2,k,0,{times[1]}"], header)
    log = load_log(path, mapping={"time": "Submitted At", "time_format": fmt})
    first = "12:22" if "+0200" in times[0] else "14:22"  # the UTC times are at 14:22 UTC
    assert sorted(log.frame["timestamp"].tolist()) == sorted(
        [pd.Timestamp(f"2024-09-27 {first}", tz="UTC"), pd.Timestamp("2024-09-27 13:00", tz="UTC")]
    )
    result = runner.invoke(app, ["validate", str(path), "--time-col", "Submitted At",
                                 "--time-format", fmt])  # fmt: skip
    assert result.exit_code == 0, result.output


def test_a_zone_abbreviation_read_with_percent_z_says_to_write_the_offset(tmp_path):
    header = "student_id,item_id,skill_ids,correct,t\n"
    path = write(tmp_path, ["a,i1,k,1,2024-09-27 14:22:00 CEST"], header)
    with pytest.raises(DataValidationError) as info:
        load_log(path, mapping={"time": "t", "time_format": "%Y-%m-%d %H:%M:%S %Z"})
    assert "not an abbreviation such as CEST" in info.value.problems[0].expected


@pytest.mark.parametrize("setting", [{"time_format": "%d/%m/%Y"}, {"time_unit": "s"}])
def test_a_time_format_without_a_time_column_is_an_error_naming_the_mapping_key(tmp_path, setting):
    """`load_log(mapping={..., "time_format": "%d/%m/%Y"})` on a file whose time column has no
    default name, and no "time" key, read the answers in file order and ignored the format
    without a word. It is an error naming the setting, the header and how to name the column."""
    header = "student_id,item_id,skill_ids,correct,Submitted At\n"
    path = write(tmp_path, ["a,i1,k,1,27/09/2024"], header)
    with pytest.raises(DataValidationError) as info:
        load_log(path, mapping=setting)
    (problem,) = info.value.problems
    assert problem.line == 1 and next(iter(setting)) in problem.expected
    assert "--time-col" in problem.expected and "mapping={'time': ...}" in problem.expected


def test_the_forgotten_time_column_note_names_the_mapping_key_too(tmp_path):
    """The note on a column named like a time told a Python caller to "give --time-col"."""
    header = "student_id,item_id,skill_ids,correct,Submitted\n"
    path = write(tmp_path, ["a,i1,k,1,2024-09-16", "a,i2,k,0,2024-09-17"], header)
    with pytest.warns(
        DataNoteWarning,
        match=r"--time-col 'Submitted' \(in Python: mapping=\{'time': 'Submitted'\}\)",
    ):
        load_log(path)
