"""A date column written day/month and read month/day (or the other way round) is one error
naming the format that reads it, even with a quarantine: the values a day of 12 or less would
load as other dates (a data scientist's trial loaded 40% of a dd/mm export that way, exit 0)."""

from __future__ import annotations

import pandas as pd
import pytest

from adaptive.cli import run
from adaptive.data import read_responses
from adaptive.errors import DataValidationError

COLUMNS = {"student_id": "Learner", "item_id": "Task", "skill_ids": "KC", "correct": "Score",
           "time": "When"}  # fmt: skip


def export(path, days: list[pd.Timestamp], fmt: str) -> None:
    pd.DataFrame({
        "Learner": [f"s{i % 7}" for i in range(len(days))],
        "Task": [f"i{i % 5}" for i in range(len(days))],
        "KC": "k1",
        "Score": [i % 2 for i in range(len(days))],
        "When": [d.strftime(fmt) for d in days],
    }).to_csv(path, index=False)  # fmt: skip


def every_day(n: int = 60) -> list[pd.Timestamp]:
    start = pd.Timestamp("2026-09-01 08:00")
    return [start + pd.Timedelta(days=i, minutes=i) for i in range(n)]


def test_a_day_month_export_read_month_day_is_refused_with_the_format_that_reads_it(
    tmp_path, capsys
) -> None:
    path = tmp_path / "export.csv"
    export(path, every_day(), "%d/%m/%Y %H:%M")
    mapping = {**COLUMNS, "time_format": "%m/%d/%Y %H:%M"}
    for quarantine in (None, tmp_path / "aside.csv"):
        with pytest.raises(DataValidationError) as caught:
            read_responses(path, mapping, quarantine=quarantine)
        said = str(caught.value)
        assert "36 values read only with --time-format '%d/%m/%Y %H:%M'" in said, said
        assert "none only with '%m/%d/%Y %H:%M', whose 24 values" in said, said
        assert "expected a date-time in the format '%d/%m/%Y %H:%M', not" in said, said
        assert "line 14, column 'When': got '13/09/2026 08:12'" in said, (
            said
        )  # day 13, after the header
    assert not (tmp_path / "aside.csv").exists()  # nothing set aside: nothing loaded either
    code = run(["validate", str(path), "--student-col", "Learner", "--item-col", "Task",
                "--skills-col", "KC", "--correct-col", "Score", "--time-col", "When",
                "--time-format", "%m/%d/%Y %H:%M", "--quarantine", str(tmp_path / "q.csv")])  # fmt: skip
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "written with day and month the other way round" in err, err
    # a user trial: the hint ended "--quarantine would load them", said to a run given
    # --quarantine and still refused: the format loads them, a quarantine never takes them
    assert "--quarantine would load them" not in err, err
    assert err.endswith(
        "Give that format; --quarantine sets none of these rows aside, since it would load the "
        "swapped ones as other dates."
    ), err
    # read with the format it was written in: every row, the right days
    log = read_responses(path, {**COLUMNS, "time_format": "%d/%m/%Y %H:%M"})
    assert len(log) == 60
    assert pd.Timestamp(int(log.time.max()), tz="UTC") == pd.Timestamp("2026-10-30 08:59", tz="UTC")


def test_a_month_day_export_with_a_few_bad_dates_sets_them_aside(tmp_path) -> None:
    """Not a swap: values only the given format reads (a day above 12) say the file is
    written as given; the few it cannot read go to the quarantine, the rest load."""
    path = tmp_path / "export.csv"
    export(path, every_day(), "%m/%d/%Y %H:%M")
    frame = pd.read_csv(path)
    frame.loc[[3, 40], "When"] = ["31/09/2026 08:03", "next tuesday"]
    frame.to_csv(path, index=False)
    mapping = {**COLUMNS, "time_format": "%m/%d/%Y %H:%M"}
    log = read_responses(path, mapping, quarantine=tmp_path / "aside.csv")
    assert len(log) == 58
    assert len(pd.read_csv(tmp_path / "aside.csv")) == 2


def test_an_export_whose_days_are_all_12_or_less_cannot_be_told_and_loads(tmp_path) -> None:
    path = tmp_path / "export.csv"
    days = [d for d in every_day(120) if d.day <= 12]
    export(path, days, "%d/%m/%Y %H:%M")
    log = read_responses(path, {**COLUMNS, "time_format": "%m/%d/%Y %H:%M"})
    assert len(log) == len(days)


def test_one_day_above_12_is_enough_and_rows_neither_format_reads_are_not_counted(tmp_path):
    """A review: a dd/mm file of 49 rows with one day above 12 loaded the other 48 swapped under
    --quarantine (a tenth of the rows had to read only swapped), and the hint said "every value
    reads" of a column with rows that read with neither format."""
    path = tmp_path / "export.csv"
    days = [d for d in every_day(200) if d.day <= 12][:48] + [pd.Timestamp("2026-09-13 09:00")]
    export(path, days, "%d/%m/%Y %H:%M")
    frame = pd.read_csv(path)
    frame.loc[5, "When"] = "next tuesday"
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as caught:
        read_responses(path, {**COLUMNS, "time_format": "%m/%d/%Y %H:%M"},
                       quarantine=tmp_path / "aside.csv")  # fmt: skip
    said = str(caught.value)
    assert "1 value reads only with --time-format '%d/%m/%Y %H:%M'" in said, said
    assert "whose 47 values (a day of 12 or less)" in said, said
