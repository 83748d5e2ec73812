"""A response log's refused cells, tallied once, and the hint that closes its refusal.

Every reader of responses refuses a log the same way: `RefusedCells` counts its refused cells
by kind (a column, an expectation) and the answers among them that hold a score other than 0
and 1 (partial credit), and the hint after the problems is chosen from that tally: for a file
(the in-process reader's `io._refuse`, the Spark engine's `validate.parquet_problems`),
`refused_cells_hint`; for a frame (`ResponseLog.from_frame`), `frame_refusal_hint`. A frame's
tally also keeps its first problems, built for the first rows of each kind only
(`RefusedCells.add_rows`), so that a frame of 2,000,000 bad scores builds no object per row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from adaptive.data.readers import REPEATED_HEADER_EXPECTED
from adaptive.errors import DataValidationError, Problem, counted, share_words

if TYPE_CHECKING:
    from adaptive.data.validate import Issues


def keyword_beside_flag(keyword: str, option: str, value: str = "") -> str:
    """A reader's keyword beside the commands' flag for the same opt-in (`option`: the keyword
    whose flag it is, a night's for a placement table), in `option_words`' shape, the one way
    both readers and the README word an opt-in: "quarantine=FILE (--placement-quarantine
    FILE)"; a switch (no `value`) as set in Python: "drop_blank_and_identical=True
    (--placement-drop-blank-and-identical)"."""
    flag = "--" + option.replace("_", "-")
    return f"{keyword}={value} ({flag} {value})" if value else f"{keyword}=True ({flag})"


def option_words(keyword: str, value: str = "") -> str:
    """An option of the correctness reader as each of its users writes it: the keyword (Python:
    `load_log`'s mapping, the diagnostic's `replay`, which has no command) and, beside it, the
    command's flag: "correct_threshold=T (--correct-threshold T)"."""
    flag = "--" + keyword.replace("_", "-")
    return f"{keyword}={value} ({flag} {value})" if value else f"{keyword} ({flag})"


#: After a log's row problems: the way to load its other rows (a data scientist's export with
#: thousands of rows missing a skill met the list and nothing saying rows can be set aside). The
#: Spark engine reads no quarantine; its errors are the in-process reader's, word for word.
QUARANTINE_HINT = (
    "To load the other rows and write these aside with their reasons: "
    f"{keyword_beside_flag('quarantine', 'quarantine', 'FILE')}; for --engine spark, "
    "`adaptive validate LOG --quarantine FILE` first."
)

#: A log file with a header and no row of responses under it, as its problem quotes it, and
#: what it expected (`io.refuse_header_only`; `header_only_hint`: its lines all repeat the
#: header).
HEADER_ONLY = "a header and no rows"
NO_ROWS_EXPECTED = (
    "rows of responses under the header (an export of the wrong term, or a filter left on?)"
)

#: What a file's answer cell holding a number other than 0 and 1 expected: a file reader
#: says it in such cells' problems, and `RefusedCells` counts the scores of those cells.
SCORES_HINT = (
    "for scores (partial credit such as 0.5, or points) say which count as right with "
    f"{option_words('correct_threshold', 'T')}: a score >= T is a right answer"
)


def max_score_words(column: str) -> str:
    """The option that reads points out of each row's maximum, as its users write it (the
    keyword, then the flag: "max_score=COLUMN (--max-score-col COLUMN), which makes ..."), and
    what it does to the threshold."""
    return (
        f"max_score={column} (--max-score-col {column}), which makes correct_threshold a "
        "fraction of the row's maximum (default 0.5)"
    )


#: The largest score of a column of points (or fractions): above it, scores are percentages or
#: marks out of 100, which no per-row maximum (`max_score`) is advised for.
SMALL_SCALE_MAX = 10.0


def points_scale(high: float) -> bool:
    """Whether scores up to `high` are points (above 1, at most `SMALL_SCALE_MAX`)."""
    return 1 < high <= SMALL_SCALE_MAX


#: How an answer cell's problem begins its advice where the column mixes points (or fractions)
#: and percentages ("67%"): such cells are scores to read, as `SCORES_HINT`'s are.
MIXED_SCALES = "the column mixes scales"


def _may_hold_scores(expected: str) -> bool:
    """Whether a refused cell's expectation says that its column may hold scores."""
    return SCORES_HINT in expected or MIXED_SCALES in expected


@dataclass
class RefusedCells:
    """What a log's refused cells hold, tallied for the hint that closes its error: the
    problems by (column, expected), and the answer cells holding a score other than 0 and 1
    (partial credit: a threshold reads them), with the first one's column and value.

    Filled from `Problem`s (`add_problems`: the in-process reader), from `Issues`' columns
    (`add_issues`: Spark's `parquet_problems`, which lists only the first problems but counts
    all), or from a frame's columns (`add_rows`, `add_one`: `ResponseLog.from_frame`, which
    keeps the first problems of each kind in `listed`, named `source`, for `error`)."""

    told: Counter = field(default_factory=Counter)
    scores: int = 0
    score_column: str | None = None
    score_value: str = ""
    #: a frame's name, for the problems `add_rows` lists
    source: str = ""
    #: the first `DataValidationError.MAX_LISTED` problems of each kind (`add_rows`, `add_one`)
    listed: list[Problem] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many cells were refused, of every kind."""
        return sum(self.told.values())

    def add_scores(self, column: str | None, values: Sequence[object] | pd.Series) -> None:
        """Count the refused answer cells of `column` among `values` that hold a number (a
        score other than 0 and 1), in one pass (one `pd.to_numeric` per cell made 2,000,000
        cells of 0.5 take minutes); the first one is the hint's example."""
        cells = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
        numeric = pd.to_numeric(cells, errors="coerce").notna().to_numpy()
        if numeric.any():
            if not self.scores:
                self.score_column = column
                self.score_value = _cell_text(cells.iloc[int(numeric.argmax())])
            self.scores += int(numeric.sum())

    def _add_kind(
        self, column: str | None, expected: str, values: Sequence[str | None] | pd.Series
    ) -> None:
        """The refused cells `values` of one kind (a column, an expectation), at once; the
        scores of those that a file reader said may be scores (`SCORES_HINT`)."""
        self.told[(column, expected)] += len(values)
        if _may_hold_scores(expected):
            cells = pd.Series(values, dtype=object)
            self.add_scores(column, cells[cells.astype(bool).to_numpy()])

    def add_problems(self, problems: Iterable[Problem]) -> None:
        """The cells of `problems`, gathered by kind (in the order each kind first appears)."""
        kinds: dict[tuple[str | None, str], int] = {}
        codes, values = [], []
        for p in problems:
            codes.append(kinds.setdefault((p.column, p.expected), len(kinds)))
            values.append(p.value)
        self.add_cells(list(kinds), np.asarray(codes, np.int64), np.asarray(values, object))

    def add_cells(
        self, kinds: Sequence[tuple[str | None, str]], codes: np.ndarray, values: np.ndarray
    ) -> None:
        """Refused cells as columns, in the order their problems are listed: cell i of kind
        `kinds[codes[i]]` (column, expected), holding `values[i]`; tallied as `add_problems`
        tallies their problems (kinds in the order each first appears), without a `Problem`
        per cell (a refusal of 2,000,000 rows: `io._refuse`)."""
        if not len(codes):
            return
        counts = np.bincount(codes, minlength=len(kinds))
        found, first = np.unique(codes, return_index=True)
        for kind in found[np.argsort(first)].tolist():
            column, expected = kinds[kind]
            if _may_hold_scores(expected):  # the cells of the few kinds that may hold scores
                self._add_kind(column, expected, values[codes == kind])
            else:
                self.told[(column, expected)] += int(counts[kind])

    def add_issues(self, issues: Issues) -> None:
        """The cells of `issues` (its columns: no `Problem` per refused row)."""
        for column, values, expected in issues.entries:
            if isinstance(expected, str):
                self._add_kind(column, expected, values)
            else:
                self.told.update((column, e) for e in expected)

    def add_rows(
        self,
        values: pd.Series,
        mask: np.ndarray,
        column: str,
        expected: str,
        shown: str | None = None,
    ) -> None:
        """A frame's rows of `values` in `mask`, refused for `column`: every one counted, the
        first `DataValidationError.MAX_LISTED` listed, each named by its row label with its
        value (or `shown`). One `Problem` for each row made a frame of 2,000,000 bad scores
        take 34 s and +1 GB, not 4 s and +340 MB."""
        count = int(np.count_nonzero(mask))
        if count == 0:
            return
        rows = np.flatnonzero(mask)[: DataValidationError.MAX_LISTED]
        cells = values.iloc[rows].tolist() if shown is None else [shown] * len(rows)
        self.listed += [
            Problem(self.source, None, column, _cell_text(value), expected, f"row label {label}")
            for value, label in zip(cells, values.index[rows], strict=True)
        ]
        self.told[(column, expected)] += count

    def add_one(self, problem: Problem) -> None:
        """A problem of a frame's whole column (its dtype), not of its rows."""
        self.listed.append(problem)
        self.told[(problem.column, problem.expected)] += 1

    def error(self, hint: str = "") -> DataValidationError:
        """The error listing a frame's first problems and counting all, by kind (so that one
        kind's reads "... and 1,999,997 more alike", as a file's does)."""
        return DataValidationError(self.listed, total=self.total, hint=hint, kinds=len(self.told))


def refused_cells_hint(
    cells: RefusedCells, n_rows: int, every_row: bool, quarantine: Path | None = None
) -> str:
    """The hint that closes a log file's refusal, the same on both engines: where every one of
    its `n_rows` rows was refused (and there is more than one, or a `quarantine` was given),
    `every_row_hint`; else how to load the other rows (`refused_rows_hint`). A file whose
    every row repeats the header holds no rows at all: `header_only_hint`; one whose answers
    hold scores, refused with a `quarantine` too, is told to read them (`scores_aside_hint`)."""
    if every_row and _header_lines(cells) == sum(cells.told.values()):
        return header_only_hint(cells, quarantine)
    if cells.scores and quarantine is not None:
        return scores_aside_hint(cells, n_rows, quarantine)
    if every_row and (n_rows > 1 or quarantine is not None):
        return every_row_hint(cells, n_rows, quarantine)
    return refused_rows_hint(cells, n_rows)


def refused_rows_hint(cells: RefusedCells, n_rows: int) -> str:
    """What to do about a log file's refused rows (of `n_rows` rows): set them aside
    (`QUARANTINE_HINT`), after, where some hold scores other than 0 and 1 (partial credit),
    the threshold that reads them: a trial's export of 0.5 scores was told of --quarantine
    alone, which would have dropped 5% of its answers. Lines repeating the header (files
    joined into one) are said first: they hold no data, to delete or set aside."""
    hint = QUARANTINE_HINT
    if cells.scores:
        hint = (
            f"{_scores_words(cells, n_rows)}: to read them as answers, give "
            f"{option_words('correct_threshold', 'T')} rather than set them aside"
            f"{_points_words(cells)}. {hint}"
        )
    return _header_lines_words(cells) + hint


def scores_aside_hint(cells: RefusedCells, n_rows: int, quarantine: Path) -> str:
    """What a log file whose answers hold scores other than 0 and 1 is told with a `quarantine`:
    the threshold that reads them, as without one; nothing is set aside, since a column of
    scores is read otherwise than it is written, not bad rows. A trial's percent scores
    (0 to 100) went to the quarantine but for the 0s, which loaded as a log of wrong answers."""
    return (
        f"{_scores_words(cells, n_rows)}: to read them as answers, give "
        f"{option_words('correct_threshold', 'T')} rather than set them aside (nothing was "
        f"written to {quarantine}){_points_words(cells)}: a column of scores is read otherwise "
        "than it is written, not bad rows to set aside with --quarantine."
    )


def _points_words(cells: RefusedCells) -> str:
    """Where the refused scores are points (the first one above 1, `points_scale`), the option
    that reads them out of each row's maximum (`max_score_words`); "" for fractions (0.5) and
    percentages (85)."""
    value = pd.to_numeric(pd.Series([cells.score_value]), errors="coerce").iloc[0]
    if not points_scale(float(value)):
        return ""
    return f"; or, for points out of each row's maximum, {max_score_words('COLUMN')}"


def _header_lines(cells: RefusedCells) -> int:
    """The refused lines that repeat the header (`readers.repeats_header`)."""
    return cells.told[(None, REPEATED_HEADER_EXPECTED)]


def header_only_hint(cells: RefusedCells, quarantine: Path | None = None) -> str:
    """What a log file whose every line under the header repeats it (empty exports joined
    into one) is refused for: a header and no rows, as a file of a header alone is
    (`NO_ROWS_EXPECTED`), not rows to set aside (there are none) nor a file read otherwise
    than it is written; with a `quarantine`, the file its lines went to."""
    n = _header_lines(cells)
    lines = "the line under it repeats it" if n == 1 else f"the {n:,} lines under it repeat it"
    reasons = "its reason" if n == 1 else "their reasons"
    aside = f" (written to {quarantine} with {reasons})" if quarantine is not None else ""
    return f"The file holds {HEADER_ONLY}: {lines}{aside}; expected {NO_ROWS_EXPECTED}."


def _header_lines_words(cells: RefusedCells) -> str:
    """What to do about the lines that repeat the header (`readers.repeats_header`), if any."""
    n = _header_lines(cells)
    if not n:
        return ""
    them = "it" if n == 1 else "them"
    return (
        f"{counted(n, 'line')} {'repeats' if n == 1 else 'repeat'} the header, as files joined "
        f"into one do: no data; delete {them} from the file, or set {them} aside with the "
        "other refused rows. "
    )


def frame_refusal_hint(cells: RefusedCells, n_rows: int) -> str:
    """The hint that closes a frame's refusal (`ResponseLog.from_frame`, of `n_rows` rows):
    where answers hold scores other than 0 and 1, how to read them as answers. `from_frame`
    has no threshold of its own (nor a quarantine): the caller turns the scores into 0 and 1
    with the rule a file's `correct_threshold` applies. "" for other problems."""
    if not cells.scores:
        return ""
    column = cells.score_column
    return (
        f"{_scores_words(cells, n_rows)}: from_frame reads answers as 0 and 1 and has no "
        "correct_threshold; to read a score >= T as a right answer, as a file's "
        f"correct_threshold=T does, drop the rows with no answer first (a blank, or pyKT's -1: "
        f"never a wrong answer), frame = frame[frame['{column}'] >= 0], then give "
        f"frame['{column}'] = (frame['{column}'] >= T).astype(int)"
    )


def _scores_words(cells: RefusedCells, n_rows: int) -> str:
    """'3 rows (30%) of column 'correct' hold a score other than 0 and 1 (such as 0.5)'."""
    return (
        f"{counted(cells.scores, 'row')} ({share_words(cells.scores / max(n_rows, 1))}) of "
        f"column '{cells.score_column}' {'holds' if cells.scores == 1 else 'hold'} a score "
        f"other than 0 and 1 (such as {cells.score_value})"
    )


def every_row_hint(cells: RefusedCells, n_rows: int, quarantine: Path | None = None) -> str:
    """What to do about a log file whose every row (`n_rows`) was refused, with `cells` its
    problems: not rows to set aside (--quarantine would set aside the whole file) but a way of
    reading the file to change, led by the commonest problem (how many rows, and why: a wrong
    --time-unit says which unit reads them as dates) and, with a `quarantine`, the file the
    rows went to. A quarantine once loaded such a file as an empty log, without a word."""
    (column, expected), k = cells.told.most_common(1)[0]
    where = f"column '{column}'" if column else "row"
    aside = f" (written to {quarantine} with their reasons)" if quarantine is not None else ""
    return (
        f"Every one of the {counted(n_rows, 'row')} was refused{aside}, {k:,} for {where}: "
        f"expected {expected}. The file is read otherwise than it is written (a column's "
        "format: --time-format, --time-unit, the answers' words; the column mapping), not a "
        "few bad rows to set aside with --quarantine."
    )


def _cell_text(value: object) -> str:
    """A cell as a problem quotes it: a missing one as a file's empty cell, ''."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)
