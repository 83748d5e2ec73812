"""A high-school district's trial of the correctness column (issue 71): an export of points
(items worth 1, 2 or 3: `points_earned` beside `points_possible`) with a few cells written as
percentages ("67%"). Points beside percentages were told to write the percentages as numbers
and give a threshold of 50, which read every point as wrong without a word; a threshold in
points (1.5) read every 1-of-1 answer as wrong; points without a threshold were told only of
--quarantine, which set every 2- and 3-point answer aside. Each is now told, or read as meant
(`max_score`: each row's maximum)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from adaptive.cli import run
from adaptive.cli.options import LOG_OPTIONS, column_mapping
from adaptive.data import load_log, load_log_report
from adaptive.data.mapping import ColumnMapping
from adaptive.errors import ConfigError, DataNoteWarning, DataValidationError

HEADER = "student_id,item_id,skill_ids,points_earned,points_possible,timestamp\n"
#: (points earned, points possible) of the trial's export: items worth 1, 2 or 3
SCORES = [(1, 1), (0, 1), (2, 2), (3, 3), (0, 2), (1, 2), (1, 3), (2, 3), (0, 3), (1, 1)]


def write(
    tmp_path: Path, cells: list[tuple[object, object]], name: str = "log.csv", students: int = 5
) -> Path:
    """A log of `cells` (earned, possible), one answer each, of `students` students."""
    rows = [
        f"s{n % students},i{n % 7},k{n % 3},{e},{p},2024-09-{1 + n // 100:02d}T08:{n % 60:02d}:00Z"
        for n, (e, p) in enumerate(cells)
    ]
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


POINTS = {"correct": "points_earned"}


def test_points_beside_percentages_are_told_the_column_mixes_scales(tmp_path):
    """The trial's points (0 to 3) beside a few "67%" were told to write the percentages as
    numbers (85) and give correct_threshold=50, which read every point as wrong. The advice
    says the column mixes scales, names the per-row maximum column and gives no threshold of 50,
    with a threshold in points as without one."""
    path = write(tmp_path, [*SCORES * 3, ("67%", 3), ("100%", 1)])
    for mapping in (POINTS, {**POINTS, "correct_threshold": 1.5}):
        with pytest.raises(DataValidationError) as info:
            load_log(path, mapping)
        percent = next(p for p in info.value.problems if p.value == "67%")
        assert "the column mixes scales: its numbers run from 0 to 3" in percent.expected
        assert "max_score=points_possible (--max-score-col points_possible)" in percent.expected
        assert "write them as numbers (85)" not in percent.expected
    # a column of percentages, some with a % sign: the numbers are the same scale
    percents = write(tmp_path, [(85, 1), ("67%", 1), (0, 1), (100, 1)], name="pct.csv")
    with pytest.raises(DataValidationError) as info:
        load_log(percents, {**POINTS, "correct_threshold": 50})
    (problem,) = info.value.problems
    assert "write them as numbers (85)" in problem.expected


def test_an_extreme_share_of_right_answers_is_a_data_note(tmp_path, capsys):
    """Following the old advice (the percentages written as numbers, correct_threshold=50) read
    1.57% of the trial's answers as right and validate said "No problems found". A share of
    right answers under 5% or over 97% is a note naming the share and a threshold on the
    column's scale: printed by validate, a `DataNoteWarning` from the readers."""
    path = write(tmp_path, [*SCORES * 12, (67, 3), (100, 1)])
    mapping = {**POINTS, "correct_threshold": 50}
    _, report = load_log_report(path, mapping)
    (note,) = [n for n in report.notes if "answers read as right" in n]
    assert note.startswith("2% of the 122 answers read as right (column 'points_earned', "
                           "with correct_threshold=50")  # fmt: skip
    assert "most of the column's scores run from 0 to 3, a few up to 100" in note
    with pytest.warns(DataNoteWarning, match="answers read as right"):
        load_log(path, mapping)
    assert run(["validate", str(path), "--correct-col", "points_earned",
                "--correct-threshold", "50"]) == 0  # fmt: skip
    assert "answers read as right" in " ".join(capsys.readouterr().out.split())
    # a column of one scale read with a threshold above its scores: the threshold to give
    fractions = [(0.5, 1), (0.25, 1), (0.75, 1), (0.6, 1)] * 30 + [(1, 1)]
    fractions = write(tmp_path, fractions, name="f.csv")
    _, report = load_log_report(fractions, {**POINTS, "correct_threshold": 0.9})
    (note,) = [n for n in report.notes if "answers read as right" in n]
    assert (
        "the column's scores run from 0.25 to 1: give a threshold on that scale, e.g. "
        "correct_threshold=0.625"
    ) in note
    # a plausible share, or a small log: no note
    _, report = load_log_report(write(tmp_path, SCORES * 12, name="ok.csv"), {
        **POINTS, "correct_threshold": 1})  # fmt: skip
    assert not [n for n in report.notes if "answers read as right" in n]


def test_max_score_reads_points_out_of_each_rows_maximum(tmp_path):
    """A threshold in points (1.5, as advised) read every 1-of-1 answer as wrong. `max_score`
    names each row's maximum: an answer is right when score / maximum >= the threshold, a
    fraction (default 0.5)."""
    path = write(tmp_path, SCORES, students=1)
    log = load_log(path, {**POINTS, "max_score": "points_possible"})
    assert log.correct.tolist() == [1, 0, 1, 1, 0, 1, 0, 1, 0, 1]
    full = load_log(path, {**POINTS, "max_score": "points_possible", "correct_threshold": 1})
    assert full.correct.tolist() == [1, 0, 1, 1, 0, 0, 0, 0, 0, 1]
    with pytest.raises(ConfigError, match="correct_threshold is a fraction of each row's max"):
        load_log(path, {**POINTS, "max_score": "points_possible", "correct_threshold": 1.5})


def test_a_maximum_of_0_or_below_the_score_is_refused_naming_its_line(tmp_path):
    """A maximum that is not a number above 0, or that is below the row's score, is a problem
    naming the line, the maximum's column and its value."""
    path = write(tmp_path, [(1, 1), (1, 0), (3, 2), (0, ""), (1, 2)])
    with pytest.raises(DataValidationError) as info:
        load_log(path, {**POINTS, "max_score": "points_possible"})
    got = [(p.line, p.column, p.value) for p in info.value.problems]
    assert got == [(3, "points_possible", "0"), (4, "points_possible", "2"),
                   (5, "points_possible", "")]  # fmt: skip
    assert "a maximum at or above the row's score" in info.value.problems[1].expected
    missing = load_log_report
    with pytest.raises(DataValidationError, match="--max-score-col"):
        missing(path, {**POINTS, "max_score": "possible"})


def test_max_score_is_an_option_of_every_command_and_refused_by_spark(tmp_path, capsys):
    """`--max-score-col` is one of the shared log options (validate, train, batch, recommend,
    evaluate ...); the Spark engine, which reads 0/1 answers only, refuses it naming it."""
    from adaptive.batch.spark_job import _parquet_log

    assert "max_score_col" in LOG_OPTIONS
    assert column_mapping(max_score_col="points_possible") == {"max_score": "points_possible"}
    path = write(tmp_path, SCORES * 12)
    args = ["validate", str(path), "--correct-col", "points_earned"]
    assert run([*args, "--max-score-col", "points_possible"]) == 0
    assert "60.0" in capsys.readouterr().out
    parquet = tmp_path / "log.parquet"
    pd.read_csv(path).assign(timestamp=lambda f: pd.to_datetime(f["timestamp"])).to_parquet(parquet)
    with pytest.raises(ConfigError, match="--max-score-col"):
        _parquet_log(parquet, {**POINTS, "max_score": "points_possible"})


def test_points_without_a_threshold_name_it_and_the_maximum_not_the_quarantine(tmp_path):
    """Points (2, 3) beside "67%" without a threshold were told "expected 0 or 1 (or true /
    false)" and --quarantine alone, which loaded the log without its 2- and 3-point answers.
    The problems name --correct-threshold and the maximum's column, and a quarantine refuses
    the column as scores, setting nothing aside."""
    path = write(tmp_path, [*SCORES * 10, ("67%", 3)])
    with pytest.raises(DataValidationError) as info:
        load_log(path, POINTS)
    three = next(p for p in info.value.problems if p.value == "3")
    assert "--correct-threshold" in three.expected and "--max-score-col" in three.expected
    aside = tmp_path / "q.csv"
    with pytest.raises(DataValidationError) as info:
        load_log(path, POINTS, quarantine=aside)
    hint = str(info.value).splitlines()[-1]
    assert "give correct_threshold=T (--correct-threshold T) rather than set them aside" in hint
    assert "--max-score-col" in hint and not aside.exists()
    # points alone, beside their maximum's column: that column is named
    with pytest.raises(DataValidationError) as info:
        load_log(write(tmp_path, SCORES, name="points.csv"), POINTS)
    assert "column 'points_possible' looks like each row's maximum: max_score=points_possible" in (
        info.value.problems[0].expected
    )


def test_a_fraction_on_points_names_the_maximums_column(tmp_path):
    """correct_threshold=0.5 on points (0 to 3) advised "e.g. correct_threshold=1.5"; beside a
    column that looks like each row's maximum, the advice is that column."""
    with pytest.raises(ConfigError) as info:
        load_log(write(tmp_path, SCORES), {**POINTS, "correct_threshold": 0.5})
    assert "max_score=points_possible (--max-score-col points_possible)" in str(info.value)
    assert "correct_threshold=1.5" not in str(info.value)


def test_a_percent_threshold_suggests_the_fraction_and_the_percentage(tmp_path, capsys):
    """`--correct-threshold 67%` said "must be a number such as 0.5": it names 0.67 and 67."""
    with pytest.raises(ConfigError) as info:
        ColumnMapping.from_dict({"correct_threshold": "67%"})
    assert "0.67 for scores that are fractions" in str(info.value)
    assert "67 for a column of percentages" in str(info.value)
    path = write(tmp_path, SCORES)
    assert run(["validate", str(path), "--correct-threshold", "67%"]) == 2
    assert "0.67 for scores that are fractions" in " ".join(capsys.readouterr().err.split())


def test_a_percentage_among_points_out_of_each_rows_maximum_is_refused_saying_to_write_points(
    tmp_path, capsys
):
    """With max_score, "67%" was refused with the advice for a column without it: give
    max_score (given already) and write 67% as 0.67, which max_score reads as 0.67 points of
    3, a wrong answer, without a word. A percentage is not guessed a share of the row's
    maximum: it is refused, naming its line, column and value, and told to write the row's
    points; the other cells are read as before."""
    path = write(tmp_path, [*SCORES * 3, ("67%", 3), (" 100 % ", 1)])
    with pytest.raises(DataValidationError) as info:
        load_log(path, {**POINTS, "max_score": "points_possible"})
    percent = {p.value.strip(): p for p in info.value.problems}
    assert set(percent) == {"67%", "100 %"}
    assert percent["67%"].line == 32 and percent["67%"].column == "points_earned"
    said = percent["67%"].expected
    assert said == percent["100 %"].expected  # the same words for every cell of the column
    assert "maximum in column 'points_possible'" in said
    assert "a percentage ('67%') is not read as a share of that maximum" in said
    assert "write the row's points instead" in said
    assert "0.67" not in said and "max_score=" not in said  # not the advice without max_score
    assert run(["validate", str(path), "--correct-col", "points_earned",
                "--max-score-col", "points_possible"]) == 2  # fmt: skip
    err = " ".join(capsys.readouterr().err.split())
    assert "line 32, column 'points_earned': got '67%'; expected points" in err
