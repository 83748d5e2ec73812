"""Where in a file a message points: one line, a few, or the first ten and a count."""

from adaptive.errors import line_words


def test_lines_are_sorted_once_each_and_cut_after_ten_with_a_count() -> None:
    assert line_words([1502]) == "line 1502"
    assert line_words([1502, 1501, 1502]) == "lines 1501 and 1502"
    assert line_words([9, 2, 5]) == "lines 2, 5 and 9"
    assert line_words(range(2, 702)) == (
        "lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 690 more (700 lines)"
    )
    assert line_words([]) == ""


def test_problems_are_said_alike_only_when_every_one_was_seen() -> None:
    """A review: a reader that keeps the first 20 of 5,000 problems said '... and 4,997 more
    alike', of 4,980 it never looked at."""
    from adaptive.errors import DataValidationError, Problem

    same = [Problem("log.csv", i, "timestamp", "03.09.2026", "an ISO date") for i in range(2, 22)]
    seen = str(DataValidationError(same))
    assert seen.startswith("20 problems in the input") and "... and 17 more alike" in seen
    partial = str(DataValidationError(same, total=5000))
    assert partial.startswith("5,000 problems in the input")
    assert "... and 4,980 more" in partial and "alike" not in partial
    assert str(DataValidationError(same[:1])).startswith("1 problem in the input")


def test_passed_positions_names_students_by_position_never_by_id() -> None:
    """The one wording of `adaptive.errors`' rule for ids a caller passed: by position and
    count, the verb agreeing (before, the state and the service listed the ids themselves)."""
    from adaptive.errors import passed_positions

    assert passed_positions([0], 1) == "the student id passed is"
    assert passed_positions([3], 40) == "1 of the 40 student ids passed (the 4th) is"
    assert passed_positions([2, 16], 40) == "2 of the 40 student ids passed (the 3rd and 17th) are"


def test_lines_can_be_rows_and_the_first_ones_of_a_count() -> None:
    """A placement table's drop warning listed its first lines with a copy of this helper, the
    plural made by hand; the helper now names rows too, and the first lines of a total."""
    assert line_words([8, 3], unit="row") == "rows 3 and 8"
    assert line_words([3], unit="row label") == "row label 3"
    assert line_words([3, 6, 9, 12, 15], 5, total=17) == (
        "lines 3, 6, 9, 12, 15 and 12 more (17 lines)"
    )
    assert line_words([4], 5, total=2) == "lines 4 and 1 more (2 lines)"
