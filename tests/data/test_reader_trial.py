"""A data scientist's trial of the response-log readers with their own export (issue 69): a
percent-score column given as the answers, epoch seconds read as milliseconds, a footer line
counted as blank, and a frame's 'TRUE' / 'FALSE' answers. Each was read silently otherwise than
it is written, or told unclearly; each is now one clear error, or read as the file readers do."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from adaptive.cli import run
from adaptive.data import load_log, load_log_report
from adaptive.data.log import ResponseLog
from adaptive.errors import DataValidationError

HEADER = "student_id,item_id,skill_ids,correct,timestamp\n"


def write(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def percent_rows() -> list[str]:
    """An export's score_pct column (0, 25, 50, 100) given as the answers: most rows are not 0."""
    scores = ["25", "0", "100", "50", "0", "100", "25", "100"]
    return [f"s{n % 3},i{n},k,{s},2024-09-01T08:0{n}:00Z" for n, s in enumerate(scores)]


def test_a_column_of_scores_is_refused_with_a_quarantine_too(tmp_path, capsys):
    """The trial's `--correct-col score_pct --quarantine q.csv` set aside every non-0 score
    (24,910 of 30,000 rows) and loaded the 0s alone (pct correct 0.0), exit 0; `train` then
    registered a model of AUC nan. Scores are a column read otherwise than it is written, not
    bad rows: the refusal names --correct-threshold with a quarantine as without, and nothing
    is set aside."""
    path = write(tmp_path, percent_rows())
    aside = tmp_path / "q.csv"
    with pytest.raises(DataValidationError) as info:
        load_log(path, quarantine=aside)
    hint = str(info.value).splitlines()[-1]
    assert hint.startswith("6 rows (75%) of column 'correct' hold a score other than 0 and 1 "
                           "(such as 25): to read them as answers, give correct_threshold=T "
                           "(--correct-threshold T) rather than set them aside")  # fmt: skip
    assert "not bad rows to set aside with --quarantine" in hint
    assert not aside.exists()
    assert run(["validate", str(path), "--quarantine", str(aside)]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "--correct-threshold T) rather than set them aside" in said
    log = load_log(path, mapping={"correct_threshold": 50}, quarantine=aside)
    assert len(log) == 8 and log.correct.sum() == 4  # 50 and 100 are right answers


#: Epoch seconds of September 2024 (the trial's `export_epoch.csv`).
SECONDS_ROWS = [f"s{n % 2},i{n},k,{n % 2},{1726000000 + 60 * n}" for n in range(6)]
TS_HEADER = "student_id,item_id,skill_ids,correct,ts\n"


def test_seconds_read_as_milliseconds_are_refused_naming_seconds(tmp_path, capsys):
    """The trial's epoch seconds read with `--time-unit ms` were told in a note that their
    typical time is 1970-01-21, then "No problems found", exit 0, and `--out` wrote times of
    1970; milliseconds read as seconds were refused. Both are refused, naming the unit that
    reads them as dates, with a quarantine too (a column read in the wrong unit, not bad rows)."""
    path = write(tmp_path, SECONDS_ROWS, header=TS_HEADER)
    for quarantine in (None, tmp_path / "q.csv"):
        with pytest.raises(DataValidationError) as info:
            load_log(path, {"time": "ts", "time_unit": "ms"}, quarantine=quarantine)
        (problem,) = info.value.problems
        assert problem.column == "ts" and problem.value == "1726000000"
        assert problem.expected.endswith(
            "read as milliseconds the column's typical time is 1970-01-20 23:26, before 1980; "
            "read as seconds it is 2024-09-10: try --time-unit s (time_unit 's')"
        )
    out = tmp_path / "out.parquet"
    args = ["validate", str(path), "--time-col", "ts", "--time-unit", "ms", "--out", str(out)]
    assert run(args) == 2 and not out.exists()
    assert "try --time-unit s" in " ".join(capsys.readouterr().err.split())
    assert load_log(path, {"time": "ts", "time_unit": "s"}).frame["timestamp"].min().year == 2024
    millis = write(tmp_path, [r.replace(",1726", ",1726000") for r in SECONDS_ROWS], TS_HEADER)
    with pytest.raises(DataValidationError, match="try --time-unit ms"):
        load_log(millis, {"time": "ts", "time_unit": "s"})


def test_a_footer_in_an_unused_column_is_a_refused_row_not_a_blank_line(tmp_path):
    """The trial's export ended in "Total: 30000,,,,,,,," under an unused first column
    (event_id): it was counted as "blank lines skipped 1". It is a row with empty required
    cells, refused naming its line as any such row; a line of empty fields is still blank."""
    header = "event_id," + HEADER
    rows = [f"{n},s1,i{n},k,{n % 2},2024-09-01T08:0{n}:00Z" for n in range(3)]
    path = write(tmp_path, [*rows, ",,,,,", "Total: 3,,,,,"], header=header)
    with pytest.raises(DataValidationError) as info:
        load_log(path)
    assert {p.line for p in info.value.problems} == {6}
    assert {p.column for p in info.value.problems} >= {"student_id", "correct"}
    log, report = load_log_report(path, quarantine=tmp_path / "q.csv")
    assert (len(log), report.blank_lines, report.rows_quarantined) == (3, 1, 1)


def test_from_frame_reads_true_and_false_as_the_file_readers_do(tmp_path):
    """The trial's frame of 'TRUE' / 'FALSE' answers (a spreadsheet's, as its CSV writes
    them) was refused by `ResponseLog.from_frame` ("expected 0 or 1") while the file readers
    read them. `from_frame` reads the same words, in any case and trimmed; other text is still
    refused."""
    answers = ["TRUE", "FALSE", "true", " false ", "True", 1, 0.0, "1"]
    frame = pd.DataFrame(
        {
            "student_id": "s",
            "item_id": [f"i{n}" for n in range(len(answers))],
            "skill_ids": "k",
            "correct": pd.Series(answers, dtype=object),
            "order": range(len(answers)),
        }
    )
    log = ResponseLog.from_frame(frame)
    assert log.correct.tolist() == [1, 0, 1, 0, 1, 1, 0, 1]
    rows = [f"s,i{n},k,{a},{n}" for n, a in enumerate(answers)]
    path = write(tmp_path, rows, "student_id,item_id,skill_ids,correct,order\n")
    assert load_log(path).correct.tolist() == log.correct.tolist()
    with pytest.raises(DataValidationError, match="expected 0 or 1") as info:
        ResponseLog.from_frame(frame.assign(correct=["yes", None, *answers[2:]]))
    assert [p.value for p in info.value.problems] == ["yes", ""]
