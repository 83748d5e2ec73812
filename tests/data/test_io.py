"""Reading response files: every bad-input case names file, line, column, value and expectation."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adaptive.data import read_responses, read_responses_report
from adaptive.errors import DataValidationError

HEADER = "student_id,item_id,skill_ids,correct,timestamp\n"
GOOD = [
    "s1,i1,k1,1,2024-01-01T10:00:00Z",
    "s1,i2,k2,0,2024-01-01T10:05:00Z",
    "s2,i1,k1,0,2024-01-02T09:00:00Z",
    "s2,i3,k1,1,2024-01-02T09:01:00Z",
]


def write(tmp_path: Path, lines: list[str], name: str = "log.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def only_problem(path: Path, **kw):
    with pytest.raises(DataValidationError) as info:
        read_responses(path, **kw)
    assert info.value.total == 1, str(info.value)
    return info.value.problems[0]


def test_good_file_loads_in_canonical_form(tmp_path):
    log = read_responses(write(tmp_path, GOOD))
    assert len(log) == 4 and list(log.students) == ["s1", "s2"]
    assert str(log.frame["timestamp"].dt.tz) == "UTC"
    assert log.frame["correct"].tolist() == [1, 0, 0, 1]


def test_missing_column_names_the_column_and_the_header(tmp_path):
    path = write(tmp_path, ["s1,i1,1,2024-01-01"], header="student_id,item_id,correct,timestamp\n")
    problem = only_problem(path)
    assert (problem.line, problem.column) == (1, "skill_ids")
    assert "--skills-col" in problem.expected and "student_id, item_id" in problem.expected


def test_row_with_extra_field_is_reported_at_its_line(tmp_path):
    path = write(tmp_path, [GOOD[0], GOOD[1] + ",surplus", GOOD[2]])
    problem = only_problem(path)
    assert problem.line == 3
    assert "extra columns: got 6" in problem.expected and "surplus" in problem.value


def test_row_with_missing_field_is_reported_at_its_line(tmp_path):
    path = write(tmp_path, [GOOD[0], GOOD[1], "s2,i1,k1,0"])
    problem = only_problem(path)
    assert problem.line == 4 and "missing columns: got 4" in problem.expected


def test_non_binary_correct(tmp_path):
    path = write(tmp_path, [GOOD[0], "s1,i2,k2,2,2024-01-01T10:05:00Z"])
    problem = only_problem(path)
    assert (problem.line, problem.column, problem.value, problem.expected) == (
        3,
        "correct",
        "2",
        "0 or 1 (or true / false); for scores (partial credit such as 0.5, or points) say which "
        "count as right with correct_threshold=T (--correct-threshold T): a score >= T is a "
        "right answer; for points out of each row's maximum, max_score=COLUMN (--max-score-col "
        "COLUMN), which makes correct_threshold a fraction of the row's maximum (default 0.5)",
    )
    assert str(problem).startswith(f"{path}, line 3, column 'correct': got '2'; expected 0 or 1")


def test_bad_timestamp(tmp_path):
    path = write(tmp_path, [GOOD[0], "s1,i2,k2,0,yesterday"])
    problem = only_problem(path)
    assert (problem.line, problem.column, problem.value) == (3, "timestamp", "yesterday")
    assert "ISO 8601" in problem.expected


def test_empty_student_id(tmp_path):
    path = write(tmp_path, [GOOD[0], " ,i2,k2,0,2024-01-01T10:05:00Z"])
    problem = only_problem(path)
    assert (problem.line, problem.column, problem.value, problem.expected) == (
        3,
        "student_id",
        "",
        "a non-empty id",
    )


def test_empty_skills(tmp_path):
    path = write(tmp_path, [GOOD[0], "s1,i2,,0,2024-01-01T10:05:00Z"])
    problem = only_problem(path)
    assert (problem.line, problem.column) == (3, "skill_ids") and "skill" in problem.expected


def test_invalid_utf8_names_the_line_and_column(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        HEADER.encode() + b"s1,i1,k1,1,2024-01-01T10:00:00Z\ns1,caf\xe9,k2,0,2024-01-01T10:05:00Z\n"
    )
    problem = only_problem(path)
    assert (problem.line, problem.column) == (3, "item_id")
    assert problem.expected.startswith("UTF-8 text") and "\\xe9" in problem.value


def test_text_that_is_not_utf8_is_shown_escaped_once_with_how_to_read_it(tmp_path):
    """A user's cp1252 export said `got 'G\\\\xe9om...'; expected UTF-8 text`: each byte's
    escape doubled, and no word on what to do. The value is escaped once, and the
    message says to re-save the file as UTF-8 or give its encoding."""
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + "s1,i1,Géométrie,1,2024-01-01T10:00:00Z\n".encode("cp1252"))
    text = str(pytest.raises(DataValidationError, read_responses, path).value)
    assert "got 'G\\xe9om\\xe9trie'; expected UTF-8 text; re-save it as UTF-8" in text
    assert "--encoding cp1252" in text and "mapping={'encoding': 'cp1252'}" in text
    head = tmp_path / "head.csv"
    head.write_bytes(HEADER.replace("student_id", "élève").encode("cp1252"))
    text = str(pytest.raises(DataValidationError, read_responses, head).value)
    assert "got '\\xe9l\\xe8ve,item_id" in text and "--encoding cp1252" in text


def test_an_encoding_reads_a_windows_export_in_every_command(tmp_path):
    """`--encoding cp1252` (mapping key `encoding`) reads such a file, gzipped too: its
    header, its cells and the lines of a row after a quoted cell spanning two lines; every
    command that reads a log takes the option. An unknown encoding is refused at once."""
    from typer.testing import CliRunner

    from adaptive.cli import app
    from adaptive.cli.options import LOG_OPTIONS
    from adaptive.errors import ConfigError

    rows = [
        "s1,i1,Géométrie,1,2024-01-01T10:00:00Z",
        's1,i2,"Algèbre\nélémentaire",0,2024-01-01T10:05:00Z',
        "s1,i3,Géométrie,2,2024-01-01T10:10:00Z",
    ]
    data = (HEADER.replace("student_id", "élève") + "\n".join(rows) + "\n").encode("cp1252")
    path = tmp_path / "windows.csv.gz"
    path.write_bytes(gzip.compress(data))
    mapping = {"student_id": "élève", "encoding": "cp1252"}
    with pytest.raises(DataValidationError) as info:
        read_responses(path, mapping)
    (problem,) = info.value.problems
    assert (problem.line, problem.value) == (5, "2")  # the quoted cell spans lines 3 and 4
    log = read_responses(path, mapping, quarantine=tmp_path / "rejected.csv")
    assert sorted(log.skills.tolist()) == ["Algèbre\nélémentaire", "Géométrie"]
    assert "encoding" in LOG_OPTIONS
    result = CliRunner().invoke(
        app, ["datasets", "describe", str(path), "--student-col", "élève", "--encoding", "cp1252",
              "--quarantine", str(tmp_path / "rejected.csv")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with pytest.raises(ConfigError, match="encoding 'cp9999' is not a text encoding"):
        read_responses(path, {**mapping, "encoding": "cp9999"})


def test_duplicate_response_points_to_the_first(tmp_path):
    path = write(tmp_path, [GOOD[0], GOOD[1], GOOD[0]])
    problem = only_problem(path)
    assert (problem.line, problem.column) == (4, "timestamp")
    assert "repeat line 2" in problem.expected and "i1" in problem.value


def test_out_of_time_order_within_a_student_when_sorting_is_required(tmp_path):
    path = write(tmp_path, [GOOD[1], GOOD[0], GOOD[2]])
    problem = only_problem(path, require_sorted=True)
    assert (problem.line, problem.column) == (3, "timestamp")
    assert problem.value.startswith("2024-01-01T10:00:00") and "10:05:00" in problem.expected


def test_students_interleaved_in_the_file_are_fine(tmp_path):
    log = read_responses(write(tmp_path, [GOOD[0], GOOD[2], GOOD[1], GOOD[3]]))
    assert log.frame["item_id"].tolist() == ["i1", "i2", "i1", "i3"]


def test_allow_unsorted_sorts_instead_of_rejecting(tmp_path):
    log = read_responses(write(tmp_path, [GOOD[1], GOOD[0]]), {"allow_unsorted": True})
    assert log.frame["item_id"].tolist() == ["i1", "i2"]


def test_message_lists_first_20_and_the_total(tmp_path):
    bad = [f"s{i},i1,k1,7,2024-01-01T10:00:00Z" if i % 2 else f"s{i},i1,k1,1,x" for i in range(25)]
    bad.append(GOOD[0])
    with pytest.raises(DataValidationError) as info:
        read_responses(write(tmp_path, bad))
    message = str(info.value)
    assert info.value.total == 25 and len(info.value.problems) == 25
    assert message.startswith("25 problems") and "... and 5 more" in message
    assert "line 21," in message and "line 22," not in message
    assert "To load the other rows" in message  # a few bad rows: they can be set aside


def test_one_mistake_on_every_row_is_said_once_not_as_bad_rows(tmp_path):
    """A data scientist's export without --time-format: all 50,582 rows refused, 20 identical
    lines listed, then the advice to set the rows aside with --quarantine (the whole file).
    Problems of one kind list 3 and count the rest; every row refused says how to read the file
    instead."""
    bad = [f"s{i},i1,k1,1,03.09.2026 09:46:0{i % 10}" for i in range(30)]
    with pytest.raises(DataValidationError) as info:
        read_responses(write(tmp_path, bad))
    message = str(info.value)
    assert info.value.total == 30 and message.count("\n  - ") == 3
    assert "... and 27 more alike (column 'timestamp')" in message
    assert "Every one of the 30 rows was refused, 30 for column 'timestamp'" in message
    assert "--time-format" in message
    assert "To load the other rows" not in message


def test_blank_lines_do_not_shift_line_numbers(tmp_path):
    path = write(tmp_path, [GOOD[0], "", GOOD[2], "s2,i3,k1,x,2024-01-02T09:01:00Z"])
    problem = only_problem(path)
    assert problem.line == 5
    _, report = read_responses_report(path, quarantine=tmp_path / "q.csv")
    assert report.blank_lines == 1 and report.rows_read == 3


def _ten_thousand_refused_rows(tmp_path: Path) -> Path:
    """A log of 10,000 rows, each refused: unreadable answers ('maybe', a score on line 5),
    a time on line 9, a line repeating the header (11) and one of six fields (14)."""
    rows = [
        f"s{i % 40},i{i},k1,{'0.5' if i % 1000 == 3 else 'maybe'},"
        f"2024-01-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z"
        for i in range(10_000)
    ]
    rows[7] = "s1,i7,k1,1,yesterday"
    rows[9] = HEADER.strip()
    rows[12] = "s1,i12,k1,1,2024-01-01T10:00:00Z,extra"
    return write(tmp_path, rows)


def test_a_refusal_of_every_one_of_10000_rows_names_the_first_lines_and_counts_them_all(
    tmp_path,
):
    """Pins the words of a large refusal (built from the issues' columns, a `Problem` only for
    the lines it names): the first 20 problems in line order, the refused cells, the unsplit
    row and the header line among them, the count of the others, and the commonest problem;
    with a quarantine, every row written there with its reason."""
    path = _ten_thousand_refused_rows(tmp_path)
    answer = "column 'correct': got '{}'; expected 0 or 1 (or true / false)"
    iso = (
        "an ISO 8601 date-time such as 2024-09-01T08:30:00Z (naive times are read as UTC; "
        "another format: --time-format / time_format; epoch numbers: --time-unit / time_unit)"
    )
    special = {
        5: answer.format("0.5"),
        9: f"column 'timestamp': got 'yesterday'; expected {iso}",
        11: "expected a row of data; the line repeats the header (concatenated exports?)",
        14: (
            "got 's1,i12,k1,1,2024-01-01T10:00:00Z,extra'; expected 5 fields separated by ',' "
            "(extra columns: got 6)"
        ),
    }
    listed = [
        f"  - {path}, line {n}{'; ' if n == 11 else ': ' if n == 14 else ', '}"
        + special.get(n, answer.format("maybe"))
        for n in range(2, 22)
    ]
    every = (
        "Every one of the 10,000 rows was refused{}, 9,997 for column 'correct': expected 0 or 1 "
        "(or true / false). The file is read otherwise than it is written (a column's format: "
        "--time-format, --time-unit, the answers' words; the column mapping), not a few bad "
        "rows to set aside with --quarantine."
    )
    qpath = tmp_path / "rejected.csv"
    for quarantine, aside in ((None, ""), (qpath, f" (written to {qpath} with their reasons)")):
        with pytest.raises(DataValidationError) as info:
            read_responses(path, quarantine=quarantine)
        assert str(info.value) == "\n".join(
            ["10,000 problems in the input:", *listed, "  ... and 9,980 more", every.format(aside)]
        )
        problems = info.value.problems
        assert info.value.total == len(problems) == 10_000  # every one, built as it is read
        assert str(problems[-1]) == f"{path}, line 10001, {answer.format('maybe')}"
        assert [p.line for p in problems[8:11]] == [10, 11, 12]
    rejected = pd.read_csv(qpath, dtype=str, keep_default_na=False)
    assert rejected["line"].astype(int).tolist() == list(range(2, 10_002))
    reasons = {2: answer.format("maybe"), 11: "row; " + special[11], 14: "row: " + special[14]}
    reasons |= {n: special[n] for n in (5, 9)}
    assert rejected["reason"].tolist()[:13] == [
        reasons.get(n, answer.format("maybe")) for n in range(2, 15)
    ]
    assert (rejected["reason"][13:] == answer.format("maybe")).sum() == 10_000 - 13 - 9
    assert rejected["correct"].tolist()[:4] == ["maybe", "maybe", "maybe", "0.5"]
    extra = path.read_text().splitlines()[13]  # line 14, a field too many
    assert rejected["raw_text"].tolist()[9:13] == [HEADER.strip(), "", "", extra]


def test_a_refusal_of_10000_rows_builds_a_problem_for_the_lines_it_names_only(
    tmp_path, monkeypatch
):
    """The refusal counts and tallies its 10,000 refused rows from the issues' columns: one
    `Problem` object per row made 2,000,000 refused rows take 18 s before any message."""
    import adaptive.data.validate as validate

    built = []

    class Counted(validate.Problem):
        def __init__(self, *args, **kwargs) -> None:
            built.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(validate, "Problem", Counted)
    with pytest.raises(DataValidationError) as info:
        read_responses(_ten_thousand_refused_rows(tmp_path))
    assert info.value.total == 10_000 and "... and 9,980 more" in str(info.value)
    assert len(built) <= 2 * DataValidationError.MAX_LISTED


# -- quarantine -------------------------------------------------------------------------------
MIXED = [
    GOOD[0],
    "s1,i2,k2,2,2024-01-01T10:05:00Z",  # line 3: non-binary
    "s1,i3,k2,1,not-a-date",  # line 4: bad timestamp
    ",i3,k2,1,2024-01-01T11:00:00Z",  # line 5: empty id
    GOOD[0],  # line 6: duplicate of line 2
    "s1,i4,k1,1,2023-12-31T00:00:00Z",  # line 7: out of order
    GOOD[2] + ",extra",  # line 8: extra field
    GOOD[2],
    GOOD[3],
]


def test_quarantine_loses_nothing_and_says_why(tmp_path):
    qpath = tmp_path / "out" / "rejected.csv"
    qpath.parent.mkdir()
    log, report = read_responses_report(
        write(tmp_path, MIXED), quarantine=qpath, require_sorted=True
    )
    assert report.rows_read == len(MIXED) == report.rows_loaded + report.rows_quarantined
    assert (report.rows_loaded, report.rows_quarantined, len(log)) == (3, 6, 3)
    rejected = pd.read_csv(qpath, dtype=str, keep_default_na=False)
    assert rejected["line"].astype(int).tolist() == [3, 4, 5, 6, 7, 8]
    reasons = dict(zip(rejected["line"].astype(int), rejected["reason"], strict=True))
    assert "column 'correct': got '2'; expected 0 or 1" in reasons[3]
    assert "column 'timestamp'" in reasons[4] and "ISO 8601" in reasons[4]
    assert "column 'student_id'" in reasons[5]
    assert "repeat line 2" in reasons[6]
    assert "earlier response" in reasons[7]
    assert "extra columns" in reasons[8]
    assert rejected.loc[rejected["line"] == "8", "raw_text"].item().endswith(",extra")
    assert rejected.loc[rejected["line"] == "3", "correct"].item() == "2"
    assert list(qpath.parent.iterdir()) == [qpath]  # atomic: no temporary file left behind
    # the file's own column order (a data scientist's trial: the answer came before the skill)
    assert list(rejected.columns) == ["line", "reason", *HEADER.strip().split(","), "raw_text"]


def test_row_problems_say_how_to_load_the_other_rows(tmp_path):
    """Without a quarantine the rows' problems are an error that ends by saying how to set
    them aside and load the rest (a user facing thousands of listed rows had no way to know)."""
    with pytest.raises(DataValidationError) as caught:
        read_responses_report(write(tmp_path, MIXED), require_sorted=True)
    message = str(caught.value)
    assert "line 3" in message
    assert message.endswith(
        "To load the other rows and write these aside with their reasons: quarantine=FILE "
        "(--quarantine FILE); for --engine spark, `adaptive validate LOG --quarantine FILE` first."
    )


def test_the_readme_words_the_quarantine_opt_in_as_both_readers_do():
    """Re-read 52 #9: the README said "`quarantine=PATH` / `--placement-quarantine FILE`" and
    the log reader "quarantine=PATH (in a command: --quarantine FILE ...)", where the placement
    reader's README entry "quarantine=FILE (--placement-quarantine FILE)". One formatter words
    them (`keyword_beside_flag`; a placement reader's messages name one spelling, its user's:
    `OptionNames`)."""
    from pathlib import Path

    from adaptive.data.refusals import QUARANTINE_HINT, keyword_beside_flag

    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text().split())
    placement = keyword_beside_flag("quarantine", "placement_quarantine", "FILE")
    assert f"`{placement}`" in readme
    assert placement == "quarantine=FILE (--placement-quarantine FILE)"
    assert keyword_beside_flag("quarantine", "quarantine", "FILE") in QUARANTINE_HINT
    assert "quarantine=PATH" not in readme


def test_quarantine_of_a_clean_file_is_empty(tmp_path):
    qpath = tmp_path / "q.csv"
    _, report = read_responses_report(write(tmp_path, GOOD), quarantine=qpath)
    assert report.rows_quarantined == 0 and len(pd.read_csv(qpath)) == 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    corrupt=st.lists(
        st.tuples(st.integers(0, 39), st.sampled_from(["correct", "time", "id", "dup", "fields"])),
        max_size=15,
    )
)
def test_quarantine_row_accounting_holds_for_any_corruption(tmp_path, corrupt):
    rows = [f"s{i % 4},i{i},k{i % 3},{i % 2},2024-01-01T{i // 4:02d}:00:00Z" for i in range(40)]
    for pos, kind in corrupt:
        parts = rows[pos].split(",")
        if kind == "correct":
            parts[3] = "yes"
        elif kind == "time":
            parts[4] = "soon"
        elif kind == "id":
            parts[0] = ""
        elif kind == "dup":
            parts = rows[(pos + 4) % 40].split(",")
        else:
            parts.append("x")
        rows[pos] = ",".join(parts)
    qpath = tmp_path / "q.csv"
    log, report = read_responses_report(write(tmp_path, rows), quarantine=qpath)
    quarantined = pd.read_csv(qpath, dtype=str, keep_default_na=False)
    assert report.rows_read == 40 == report.rows_loaded + report.rows_quarantined
    assert len(quarantined) == report.rows_quarantined and len(log) == report.rows_loaded
    assert quarantined["line"].is_unique


# -- formats and mappings --------------------------------------------------------------------
def test_tsv_gzip_and_parquet_give_the_same_log(tmp_path):
    csv_log = read_responses(write(tmp_path, GOOD))
    tsv = (HEADER + "".join(line + "\n" for line in GOOD)).replace(",", "\t")
    (tmp_path / "log.tsv.gz").write_bytes(gzip.compress(tsv.encode()))
    tsv_log = read_responses(tmp_path / "log.tsv.gz")
    frame = pd.read_csv(tmp_path / "log.csv")
    frame["skill_ids"] = frame["skill_ids"].map(lambda s: [s])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "log.parquet")
    pq_log = read_responses(tmp_path / "log.parquet")
    for other in (tsv_log, pq_log):
        pd.testing.assert_frame_equal(other.frame, csv_log.frame, check_dtype=False)
        np.testing.assert_array_equal(other.skill, csv_log.skill)


def test_tab_separated_file_named_csv_is_sniffed(tmp_path):
    path = tmp_path / "tabs.csv"
    path.write_text((HEADER + GOOD[0] + "\n").replace(",", "\t"))
    assert len(read_responses(path)) == 1


def test_parquet_problem_line_is_the_row_number(tmp_path):
    frame = pd.DataFrame(
        {
            "student_id": ["a", "a"],
            "item_id": ["x", "y"],
            "skill_ids": [["k"], ["k"]],
            "correct": [1, 3],
            "order": [0, 1],
        }
    )
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "p.parquet")
    problem = only_problem(tmp_path / "p.parquet")
    assert (problem.line, problem.column, problem.value) == (2, "correct", "3")


def test_a_parquet_row_is_named_as_the_placement_reader_names_it(tmp_path):
    """A Parquet log's bad cell was "line 2" where a Parquet placement table's was "row 2": a
    Parquet file has rows, not lines. Both name it "row N" (from 1); a CSV keeps its line
    (the header is line 1), and a Parquet file's missing column names no line."""
    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.placement.table import read_placement

    frame = pd.DataFrame({"student_id": ["a", "a"], "item_id": ["x", "y"],
                          "skill_ids": ["k", "k"], "correct": [1, 3], "order": [0, 1]})  # fmt: skip
    frame.to_parquet(tmp_path / "log.parquet", index=False)
    frame.to_csv(tmp_path / "log.csv", index=False)
    logged = only_problem(tmp_path / "log.parquet")
    assert str(logged).startswith(f"{tmp_path / 'log.parquet'}, row 2, column 'correct'")
    assert str(only_problem(tmp_path / "log.csv")).startswith(f"{tmp_path / 'log.csv'}, line 3")
    catalog = Catalog([Skill("k", "K", grade=3)], [Activity("k.p", "K", ("k",), grade=3)])
    table = pd.DataFrame({"student_id": ["a", "b"], "skill_id": ["k", "k"], "mastery": [0.5, 3]})
    table.to_parquet(tmp_path / "placed.parquet", index=False)
    with pytest.raises(DataValidationError) as placed:
        read_placement(tmp_path / "placed.parquet", catalog)
    assert str(placed.value.problems[0]).startswith(
        f"{tmp_path / 'placed.parquet'}, row 2, column 'mastery'"
    )
    frame.drop(columns="correct").to_parquet(tmp_path / "nocol.parquet", index=False)
    assert str(only_problem(tmp_path / "nocol.parquet")).startswith(
        f"{tmp_path / 'nocol.parquet'}, column 'correct'"
    )


def test_mapping_renames_columns_and_splits_skills(tmp_path):
    path = tmp_path / "own.csv"
    path.write_text(
        "user;question;tags;score;when\nu1;q1;fractions| decimals;1;3\nu1;q2;decimals;0;7\n"
    )
    log = read_responses(
        path,
        {
            "student_id": "user",
            "item_id": "question",
            "skill_ids": "tags",
            "skills_sep": "|",
            "correct": "score",
            "time": "when",
            "sep": ";",
        },
    )
    assert log.frame["order"].tolist() == [3, 7]
    assert log.frame["skill_ids"].tolist()[0] == ["fractions", "decimals"]
    assert log.summary()["multi_skill_responses"] == 1


def test_timestamps_are_converted_to_utc(tmp_path):
    path = write(
        tmp_path, ["s1,i1,k1,1,2024-01-01T10:00:00+02:00", "s1,i2,k1,1,2024-01-01 09:00:00Z"]
    )  # a naive time beside zoned ones is an error (test_user_mistakes_data)
    times = read_responses(path).frame["timestamp"]
    assert times.tolist() == [
        pd.Timestamp("2024-01-01T08:00:00Z"),
        pd.Timestamp("2024-01-01T09:00:00Z"),
    ]


def test_without_a_time_column_file_order_is_the_order(tmp_path):
    path = write(
        tmp_path,
        ["s1,i2,k,1", "s2,i1,k,0", "s1,i1,k,0"],
        header="student_id,item_id,skill_ids,correct\n",
    )
    log = read_responses(path)
    assert log.frame["item_id"].tolist() == ["i2", "i1", "i1"] and not log.has_timestamps


def test_missing_named_time_column_is_reported(tmp_path):
    problem = only_problem(write(tmp_path, GOOD), mapping={"time": "when"})
    assert (problem.line, problem.column) == (1, "when") and "--time-col" in problem.expected


def test_merge_skill_rows_makes_one_response_with_several_skills(tmp_path):
    header = "user_id,seq_idx,problem_id,skill_name,correct\n"
    rows = [
        "7,0,p1,Circle Graph,0",
        "7,1,p1,Percent Of,0",
        "7,2,p2,Circle Graph,1",
        "7,3,p2,Circle Graph,1",
        "8,0,p1,Circle Graph,1",
    ]
    path = write(tmp_path, rows, header=header)
    mapping = {
        "student_id": "user_id",
        "item_id": "problem_id",
        "skill_ids": "skill_name",
        "time": "seq_idx",
        "merge_skill_rows": True,
    }
    log, report = read_responses_report(path, mapping)
    assert report.rows_read == 5 and report.responses == len(log) == 4
    assert log.frame["skill_ids"].tolist() == [
        ["Circle Graph", "Percent Of"],
        ["Circle Graph"],
        ["Circle Graph"],
        ["Circle Graph"],
    ]
    assert read_responses(path, {**mapping, "merge_skill_rows": False}).summary()["responses"] == 5


def test_skills_from_a_q_matrix(tmp_path):
    (tmp_path / "q.csv").write_text("item_id,skill_index\n0,3\n0,4\n1,4\n")
    path = write(tmp_path, ["u\t0\t1", "u\t1\t0", "u\t2\t0"], header="user_id\titem_id\tcorrect\n")
    mapping = {
        "student_id": "user_id",
        "sep": "\t",
        "skills_from": {"file": "q.csv", "item": "item_id", "skill": "skill_index"},
    }
    with pytest.raises(DataValidationError) as info:
        read_responses(path, mapping)
    assert info.value.problems[0].line == 4 and "Q-matrix" in info.value.problems[0].expected
    log = read_responses(path, mapping, quarantine=tmp_path / "rej.csv")
    assert log.frame["skill_ids"].tolist() == [["3", "4"], ["4"]]


def test_student_id_from_several_columns(tmp_path):
    path = write(
        tmp_path,
        ["train,0,0,q1,s,1", "test,0,0,q1,s,0"],
        header="split,seq_no,seq_idx,qid,skill_id,correct\n",
    )
    log = read_responses(
        path,
        {
            "student_id": ["split", "seq_no"],
            "item_id": "qid",
            "skill_ids": "skill_id",
            "time": "seq_idx",
        },
    )
    assert list(log.students) == ["test-0", "train-0"]


def test_nothing_logged_names_a_student(tmp_path, caplog):
    rows = [line.replace("s1", "STUDENT_SECRET_1") for line in MIXED]
    with caplog.at_level(logging.DEBUG, logger="adaptive"):
        read_responses(write(tmp_path, rows), quarantine=tmp_path / "q.csv")
    assert caplog.records, "the reader is expected to log its counts"
    assert all("STUDENT_SECRET" not in r.getMessage() for r in caplog.records)


def test_sequence_problems_do_not_name_the_student(tmp_path):
    rows = [line.replace("s1", "STUDENT_SECRET_1") for line in [GOOD[1], GOOD[0], GOOD[1]]]
    with pytest.raises(DataValidationError) as info:
        read_responses(write(tmp_path, rows), require_sorted=True)
    assert info.value.total == 2 and "STUDENT_SECRET" not in str(info.value)


def test_a_rejected_merged_response_quarantines_all_its_rows(tmp_path):
    header = "user_id,problem_id,skill_name,correct,timestamp\n"
    t1, t2 = "2024-01-01T10:00:00Z", "2024-01-01T10:01:00Z"
    rows = [
        f"7,p1,A,0,{t1}",
        f"7,p1,B,0,{t1}",
        f"7,p2,A,1,{t2}",
        f"7,p1,A,0,{t1}",
        f"7,p1,B,0,{t1}",
    ]
    mapping = {
        "student_id": "user_id",
        "item_id": "problem_id",
        "skill_ids": "skill_name",
        "merge_skill_rows": True,
        "allow_unsorted": True,
    }
    qpath = tmp_path / "q.csv"
    log, report = read_responses_report(write(tmp_path, rows, header=header), mapping, qpath)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (5, 3, 2)
    assert len(log) == 2 and log.frame["skill_ids"].tolist()[0] == ["A", "B"]
    assert pd.read_csv(qpath)["line"].tolist() == [5, 6]


def test_empty_file_with_header_gives_an_empty_log(tmp_path):
    log, report = read_responses_report(write(tmp_path, ["", ""]))
    assert len(log) == 0 and report.blank_lines == 2 and report.rows_read == 0


def test_file_without_header_is_reported(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataValidationError, match="line 1.*header"):
        read_responses(path)


def test_a_refusal_counts_its_scores_once_per_column_with_the_same_hint(tmp_path, monkeypatch):
    """The in-process reader's refusal counted the scores of its refused cells one cell at a
    time (a pandas Series and `pd.to_numeric` per cell: 20,000 cells of 0.5 took 8 s, the
    2,000,000 rows that `from_frame` was made fast for took minutes). The cells are now
    gathered by column and counted at once; the hint says the same: how many rows, their
    share, the first score in line order."""
    from adaptive.data.refusals import RefusedCells

    rows = [f"s{i % 7},i{i},k1,{'0.5' if i % 2 else i % 4 // 2},2024-01-01T10:{i:02d}:00Z"
            for i in range(40)]  # fmt: skip
    rows[1] = "s1,i1,k1,0.25,2024-01-01T10:01:00Z"
    rows[3] = "s3,i3,,0.5,2024-01-01T10:03:00Z"  # a missing skill beside a score
    rows[5] = "s5,i5,k1,,2024-01-01T10:05:00Z"  # an empty answer: no score
    calls = []
    count = RefusedCells.add_scores
    monkeypatch.setattr(
        RefusedCells, "add_scores", lambda self, *a: calls.append(a) or count(self, *a)
    )
    with pytest.raises(DataValidationError) as info:
        read_responses(write(tmp_path, rows))
    said = str(info.value)
    assert said.startswith("21 problems in the input:\n")
    assert said.splitlines()[-1].startswith(
        "19 rows (48%) of column 'correct' hold a score other than 0 and 1 (such as 0.25): to "
        "read them as answers, give correct_threshold=T (--correct-threshold T) rather than "
        "set them aside. To load the other rows"
    )
    assert [column for column, _ in calls] == ["correct"]


ORDER_MAPPING = {
    "student_id": "user_id",
    "item_id": "problem_id",
    "skill_ids": "skill_name",
    "time": "seq_idx",
    "merge_skill_rows": True,
    "allow_unsorted": True,
}
ORDER_ROWS = [  # assist2009's raw export: one row per skill, each with its own order number
    "7,0,p1,A,0",
    "7,1,p1,B,0",
    "7,2,p2,A,1",
    "7,3,p1,A,1",  # p1 again, later: another response
    "7,4,p1,B,1",
    "7,5,p1,A,1",  # and again at once, the same answer: a third attempt, not the same one
    "7,6,p1,B,1",
    "8,0,p1,B,1",
    "8,1,p1,A,1",
]


def _order_log(tmp_path: Path, rows: list[str], name: str):
    header = "user_id,seq_idx,problem_id,skill_name,correct\n"
    return read_responses(write(tmp_path, rows, name=name, header=header), ORDER_MAPPING)


def test_merged_skill_rows_by_an_order_column_do_not_depend_on_the_file_order(tmp_path):
    """An integer order column with `allow_unsorted`: the rows of one response are merged in
    (student, order) order, wherever they stand in the file (a shuffled export gave 126
    multi-skill responses where the sorted one gave 6,421)."""
    expected = _order_log(tmp_path, ORDER_ROWS, "sorted.csv").frame
    shuffled = [ORDER_ROWS[i] for i in np.random.default_rng(0).permutation(len(ORDER_ROWS))]
    by_item = sorted(ORDER_ROWS, key=lambda r: (r.split(",")[0], r.split(",")[2]))
    for name, rows in [("shuffled.csv", shuffled), ("by_item.csv", by_item)]:
        pd.testing.assert_frame_equal(_order_log(tmp_path, rows, name).frame, expected)


@pytest.mark.parametrize("allow_unsorted", [True, False])
def test_a_repeated_skill_starts_another_attempt(tmp_path, allow_unsorted):
    """Two attempts of one item with the same skills and answer in a row (order 3-4 and 5-6)
    are two responses, as on the timestamp path (`_attempts`: the k-th row of each skill is
    the k-th attempt), not one: in a file whose order is checked too (rows merged where they
    stand), where they were merged because each row named another skill than the row before."""
    header = "user_id,seq_idx,problem_id,skill_name,correct\n"
    path = write(tmp_path, ORDER_ROWS, header=header)
    frame = read_responses(path, {**ORDER_MAPPING, "allow_unsorted": allow_unsorted}).frame
    assert frame["order"].tolist() == [0, 2, 3, 5, 0]
    assert frame["skill_ids"].tolist() == [["A", "B"], ["A"], ["A", "B"], ["A", "B"], ["B", "A"]]
