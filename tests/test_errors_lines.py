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
