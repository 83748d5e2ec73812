"""Vectorized checks that turn the raw columns of a file into canonical response columns.

Each check works on whole Arrow/numpy columns and records the rows it rejects in an `Issues`
table (row positions, column, bad values, what was expected). Python only touches the rejected
rows, to name them; the happy path has no per-row loop.

Two stages: `check_values` checks each row on its own (ids, correctness, time, skills, optional
columns); then each student's rows are checked together: `reject_repeated_rows` rejects copies
of a row (named by the line they copy), multi-skill rows are merged (`group_responses`, with
`merge_skill_rows`), and `check_sequences` checks the responses (a response written one row per
skill without the option; time order where it is required). Every rule gives the same log for
the same rows whatever their order in the file: with dates only, identical rows (a second
attempt of the day, or a row loaded twice: nothing tells them apart) are kept and counted in
the load report (`repeat_notes`), never judged by whether they stand on next lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from adaptive.data.log import (
    RIGHT_WORDS,
    SKILL_LIST_TYPE,
    WRONG_WORDS,
    ResponseLog,
    among,
    clean_skill_lists,
    whole_floats_as_integers,
)
from adaptive.data.mapping import CANONICAL_DEFAULTS, OPTIONAL_FIELDS, ColumnMapping
from adaptive.data.readers import TIME_DEFAULTS, RawTable, locate_line, locate_lines
from adaptive.data.refusals import (
    MIXED_SCALES,
    SCORES_HINT,
    SMALL_SCALE_MAX,
    RefusedCells,
    max_score_words,
    option_words,
    refused_cells_hint,
)
from adaptive.data.skill_lists import SKILL_LIST_SHARE, skill_separator_notes
from adaptive.data.times import (
    NAIVE_EXPECTED,
    NS_MAX,
    NS_MIN,
    RANGE_EXPECTED,
    naive_among_zoned,
    read_day_month_swapped,
    text_times,
    times_ns,
)
from adaptive.dates import SPREADSHEET_SERIALS
from adaptive.errors import ConfigError, DataValidationError, Problem, share_words

ISO_EXPECTED = (
    "an ISO 8601 date-time such as 2024-09-01T08:30:00Z (naive times are read as UTC; "
    "another format: --time-format / time_format; epoch numbers: --time-unit / time_unit)"
)
EPOCH_UNITS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}
NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
EPOCH_EXPECTED = (
    "dates, or numbers with a unit: these are whole numbers, which are read as times only when "
    "--time-unit s|ms|us|ns (time_unit) says what they count (as an integer order: time_kind "
    "'order'; digits such as 20240901 as dates: --time-format %Y%m%d)"
)
EPOCH_SECONDS_FROM = 10**8  # 1973-03-03 in epoch seconds: larger whole numbers look like times
EPOCH_NS_PLAUSIBLE = (pd.Timestamp("1980-01-01").value, pd.Timestamp("2100-01-01").value)
TIME_TYPES_EXPECTED = (
    "a timestamp, date, text date or integer order column (epoch numbers: --time-unit "
    "s|ms|us|ns / time_unit says what they count)"
)
_INT_PATTERN = r"^\s*[+-]?\d+\s*$"


#: How a problem names where it is: a CSV file's "line" or a Parquet file's "row".
RowUnit = Literal["line", "row"]


@dataclass
class Issues:
    """Rejected rows with their reasons, kept as columns until someone needs `Problem`s."""

    source: str
    lines: np.ndarray
    rows: list[np.ndarray] = field(default_factory=list)
    #: a folder of parts (`RawTable.parts`): a Problem names the part and its own line
    parts: tuple[tuple[str, int], ...] = ()
    #: (column, the rows' values as quoted, expected: one, or one per row), as `add` got them
    entries: list[tuple[str | None, Sequence[str], str | list[str]]] = field(default_factory=list)
    #: a CSV's lines as an editor shows them, for an array of lines counted one per record
    #: (`RawTable.physical_lines`); None: as counted
    line_of: Callable[[np.ndarray], np.ndarray] | None = None
    #: how a problem names its row: "line" (a CSV file's, as an editor shows it) or "row" (a
    #: Parquet file's, from 1, which has rows and no lines: as the placement table's reader
    #: names them, `placement.table.Rows`)
    unit: RowUnit = "line"

    def _editor_lines(self, lines: np.ndarray) -> np.ndarray:
        lines = np.asarray(lines, np.int64)
        return self.line_of(lines) if self.line_of is not None else lines

    def add(
        self,
        rows: np.ndarray,
        column: str | None,
        values: Sequence[str],
        expected: str | list[str],
    ) -> None:
        """Record `rows` (positions) rejected for `column`; `expected` may differ per row."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows):
            self.rows.append(rows)
            self.entries.append((column, values, expected))

    def add_mask(
        self, mask: np.ndarray, column: str, values: pa.Array | list, expected: str
    ) -> None:
        """Record the rows where `mask` is true; `values` is the column they were read from."""
        rows = np.flatnonzero(mask)
        if len(rows) == 0:
            return
        if isinstance(values, pa.Array | pa.ChunkedArray):
            self.add(rows, column, _shown_cells(values.take(pa.array(rows))), expected)
        else:
            self.add(rows, column, [_show(values[i]) for i in rows], expected)

    def __len__(self) -> int:
        return int(sum(len(r) for r in self.rows))

    def rejected(self, n: int) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        for rows in self.rows:
            mask[rows] = True
        return mask

    def line_text(self, line: int) -> str:
        """'line 12' of a CSV file, 'row 12' of a Parquet file, or 'row 12 of
        day=2/part-0.parquet' in a folder of parts."""
        (editor,) = self._editor_lines(np.array([line]))
        source, own = locate_line(self.source, self.parts, int(editor))
        return (
            f"{self.unit} {own}"
            if not self.parts
            else f"{self.unit} {own} of {Path(source).relative_to(self.source)}"
        )

    def problem(self, source: str, line: int, column, value, expected: str) -> Problem:
        """The problem of the row at `line` of `source`: a Parquet file's (`unit` "row") keeps
        its number in `line` and is named "row N" (`Problem.row`)."""
        row = f"{self.unit} {line}" if self.unit != "line" else None
        return Problem(source, line, column, value, expected, row)

    def cells(self) -> IssueCells:
        """Every issue as columns, in line order (`IssueCells`): no `Problem` per row."""
        counts = [len(r) for r in self.rows]
        rows = np.concatenate(self.rows) if self.rows else np.zeros(0, np.int64)
        entry = np.repeat(np.arange(len(counts)), counts)
        starts = np.cumsum([0, *counts])[:-1]
        index = np.arange(len(rows)) - np.repeat(starts, counts).astype(np.int64)
        order = np.argsort(self.lines[rows], kind="stable")
        part, line = locate_lines(self.parts, self._editor_lines(self.lines[rows[order]]))
        named = replace(self, line_of=None)  # no reader kept (pickled with an error)
        return IssueCells(named, rows[order], entry[order], index[order], part, line)

    def problems(self, first: int | None = None) -> list[tuple[int, Problem]]:
        """(row, Problem) for every issue, or the `first` ones, in line order: a Python object
        each, for the rows a caller names (`cells` counts and tallies the others)."""
        cells = self.cells()
        shown = len(cells) if first is None else min(first, len(cells))
        return [(int(cells.rows[i]), cells.problem(i)) for i in range(shown)]


@dataclass(frozen=True)
class IssueCells:
    """The issues of an `Issues` as arrays, in line order (stably: issues of one line in the
    order they were found), so that a refusal of 2,000,000 rows counts, tallies and lists them
    with a `Problem` for the few it names only (one each made such a refusal take 18 s)."""

    issues: Issues
    #: each issue's row (position in the table)
    rows: np.ndarray
    #: the `Issues.entries` it was recorded in, and its place among that entry's values
    entry: np.ndarray
    index: np.ndarray
    #: the part of a folder that holds it (index into `Issues.parts`; 0 for a file)
    part: np.ndarray
    #: its line as its `Problem` names it: the editor's, in its part's own counting
    line: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def problem(self, i: int) -> Problem:
        """The `Problem` of the `i`th issue, as `Issues.problems` names it."""
        issues = self.issues
        column, values, expected = issues.entries[int(self.entry[i])]
        k = int(self.index[i])
        exp = expected if isinstance(expected, str) else expected[k]
        source = issues.parts[int(self.part[i])][0] if issues.parts else issues.source
        return issues.problem(source, int(self.line[i]), column, values[k], exp)

    def values(self) -> np.ndarray:
        """Each issue's value as its problem quotes it (object array)."""
        return self.per_issue([np.asarray(v, dtype=object) for _, v, _ in self.issues.entries])

    def kinds(self) -> tuple[list[tuple[str | None, str]], np.ndarray]:
        """(the issues' kinds, (column, expected), each once; each issue's index among them):
        an entry of one expectation is one kind, one of an expectation per row (a repeated
        row names the line it repeats) is factorized without a Python call per row."""
        kinds: dict[tuple[str | None, str], int] = {}
        codes = []
        for column, values, expected in self.issues.entries:
            if isinstance(expected, str):
                code = kinds.setdefault((column, expected), len(kinds))
                codes.append(np.full(len(values), code, np.int64))
            else:
                found, names = pd.factorize(np.asarray(expected, dtype=object))
                mapped = [kinds.setdefault((column, e), len(kinds)) for e in names]
                codes.append(np.asarray(mapped, np.int64)[found])
        return list(kinds), self.per_issue(codes).astype(np.int64)

    def per_issue(self, per_entry: list[np.ndarray]) -> np.ndarray:
        """Each issue's item of `per_entry` (an array for each of `Issues.entries`, an item
        for each of its rows), in line order, at once."""
        if not per_entry:
            return np.zeros(0, dtype=object)
        starts = np.cumsum([0, *(len(a) for a in per_entry)])[:-1]
        return np.concatenate(per_entry)[starts[self.entry] + self.index]


class RefusedProblems(Sequence[Problem]):
    """Every problem of a refused log, in line order, as a list reads them (`len`, an index, a
    slice, iteration), each `Problem` built when it is read: the issues' (`IssueCells`) and the
    `others` (rows the reader could not split, lines repeating the header), ordered by
    `order` (positions in the issues, then the others). A refusal's message reads the first
    twenty; a caller may still read every one (`DataValidationError.problems`)."""

    def __init__(self, cells: IssueCells, others: list[Problem], order: np.ndarray) -> None:
        self.cells, self.others, self.order = cells, others, order

    def __len__(self) -> int:
        return len(self.order)

    @overload
    def __getitem__(self, i: int) -> Problem: ...
    @overload
    def __getitem__(self, i: slice) -> list[Problem]: ...
    def __getitem__(self, i: int | slice) -> Problem | list[Problem]:
        if isinstance(i, slice):
            return [self._at(k) for k in self.order[i].tolist()]
        return self._at(int(self.order[i]))

    def _at(self, k: int) -> Problem:
        n = len(self.cells)
        return self.cells.problem(k) if k < n else self.others[k - n]

    def __eq__(self, other: object) -> bool:
        """Equal to a sequence of the same problems; every problem is built to compare (lengths
        first: two refusals of other sizes build none)."""
        if not isinstance(other, Sequence) or len(self) != len(other):
            return False
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # a list's: equal by content

    def __repr__(self) -> str:
        return f"RefusedProblems({len(self):,} problems, first: {self[:1]!r})"


@dataclass
class RowValues:
    """Canonical values of every raw row (meaningful where the row was not rejected)."""

    student_id: pa.Array
    item_id: pa.Array
    skill_ids: pa.Array
    correct: np.ndarray
    time: np.ndarray
    time_kind: str
    optional: dict[str, pa.Array | np.ndarray]
    #: the time column as the file has it (None without one), so that a problem found after
    #: parsing (a response out of order) quotes the cell as written, not its ISO reading
    time_cells: pa.ChunkedArray | pa.Array | None = None

    def time_as_written(self, rows: np.ndarray) -> list[str]:
        """The time cells of `rows` as the file writes them (`09/29/2016 08:57:00`); a column
        not of text (a Parquet timestamp, an integer order) as read (`_fmt_time`)."""
        cells = self.time_cells
        if cells is None or not (
            pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type)
        ):
            return [_fmt_time(t, self.time_kind) for t in self.time[rows]]
        return [_show(v) for v in cells.take(pa.array(rows)).to_pylist()]


NS_PER_DAY = 86_400 * 10**9


def check_values(
    raw: RawTable, mapping: ColumnMapping, q_matrix: QMatrix | None, issues: Issues
) -> RowValues:
    """Check every row's cells; record problems in `issues`; return the canonical columns."""
    table = raw.table
    for p in raw.cell_problems:
        issues.add(np.array([p.row]), p.column, [p.value], p.expected)
    student = None
    for col in mapping.student_id:
        ids = _check_id(table.column(col), col, issues)
        student = ids if student is None else pc.binary_join_element_wise(student, ids, "-")
    item = _check_id(table.column(mapping.item_id), mapping.item_id, issues)
    maxima = None if mapping.max_score is None else table.column(mapping.max_score)
    correct = _check_correct(
        table.column(mapping.correct),
        mapping.correct,
        issues,
        mapping,
        _decimal_comma(raw),
        maxima=maxima,
        max_like=max_score_like(raw.header, {raw.time_column, *raw.optional.values()}, mapping),
    )
    time, kind = _check_time(raw, mapping, issues)
    if q_matrix is not None:
        skills = _skills_from_items(item, q_matrix, mapping.item_id, issues)
    else:
        skills = _check_skills(
            table.column(mapping.skill_ids), mapping.skill_ids, mapping.skills_sep, issues
        )
    optional = {}
    for key, col in raw.optional.items():
        optional[key] = _check_optional(key, table.column(col), col, issues)
    cells = None if raw.time_column is None else table.column(raw.time_column)
    return RowValues(student, item, skills, correct, time, kind, optional, cells)


def parquet_problems(
    path: Path, columns: Mapping[str, str], mapping: ColumnMapping | None = None
) -> DataValidationError | None:
    """The in-process reader's error for the cells of a Parquet log's `columns` (each
    canonical field to check, of student_id, item_id, skill_ids, correct and timestamp, to its
    source column), or None when they hold none it refuses: for an engine that reads the log
    otherwise (Spark) and found rows to refuse. `mapping`: how cells are read (the words of a
    right and a wrong answer, the skills' separator); default the plain rules.

    Only those columns are read, the file or each part of a folder batch by batch, so memory
    stays one batch's. Each problem names its part and the part's own line, with the reader's
    wording; every one of the log is counted, the first `DataValidationError.MAX_LISTED` are
    listed, in line order."""
    from adaptive.data.readers import PARQUET_BATCH_ROWS, parquet_parts, streamed_parquet

    mapping = mapping if mapping is not None else ColumnMapping.from_dict(None)
    listed: list[Problem] = []
    total, rows_read, rows_refused, refused = 0, 0, 0, RefusedCells()
    for part in parquet_parts(path) if path.is_dir() else [path]:
        line = 1
        pfile = streamed_parquet(part)
        max_like = max_score_like(pfile.schema_arrow.names, set(columns.values()), mapping)
        for batch in pfile.iter_batches(
            PARQUET_BATCH_ROWS, columns=list(dict.fromkeys(columns.values()))
        ):
            rows = np.arange(line, line + batch.num_rows, dtype=np.int64)
            issues = Issues(str(part), rows, unit="row")
            for name, source in columns.items():
                cells = pa.chunked_array([batch.column(source)])
                _check_cells(name, cells, source, issues, mapping, max_like)
            total += len(issues)
            refused.add_issues(issues)
            rows_refused += int(issues.rejected(batch.num_rows).sum()) if len(issues) else 0
            if len(issues) and len(listed) < DataValidationError.MAX_LISTED:
                listed += [p for _, p in issues.problems(first=DataValidationError.MAX_LISTED)]
                del listed[DataValidationError.MAX_LISTED :]
            line += batch.num_rows
            rows_read += batch.num_rows
    if not total:
        return None
    every_row = rows_refused == rows_read
    return DataValidationError(
        listed, total, hint=refused_cells_hint(refused, rows_read, every_row)
    )


def _decimal_comma(raw: RawTable) -> bool:
    """Whether "1,0" in a cell is a number with a decimal comma: everywhere but in a
    comma-separated file, where it would be two fields (a Parquet cell, or a ';'- or
    tab-separated field, holds one value)."""
    return raw.csv_format is None or raw.csv_format[0] != ","


def read_answers(
    arr: pa.ChunkedArray,
    column: str,
    issues: Issues,
    mapping: ColumnMapping,
    decimal_comma: bool = True,
) -> np.ndarray:
    """(n,) 0/1 of a column of answers, read as `check_values` reads a log's `correct` (the
    mapping's `correct_values` / `incorrect_values` and `correct_threshold` too; "1,0" as a
    decimal comma unless the cells come from a comma-separated file); the cells it refuses are
    problems in `issues`, and 0 here. The one reader of a correctness column: a Parquet log's
    digest and the diagnostic's answer sheet (`placement.answers`) read answers with it."""
    return _check_correct(arr, column, issues, mapping, decimal_comma)


def _check_cells(
    name: str,
    arr: pa.ChunkedArray,
    column: str,
    issues: Issues,
    mapping: ColumnMapping,
    max_like: str | None = None,
) -> None:
    """The cell checks of the canonical field `name` in a Parquet file, as `check_values`
    makes them (`max_like`: the file's column that looks like each row's maximum score)."""
    if name == "correct":
        _check_correct(arr, column, issues, mapping, True, max_like=max_like)
    elif name == "timestamp":
        cells = RawTable(
            issues.source, True, [column], pa.table({column: arr}), issues.lines, column, {}
        )
        _check_time(cells, mapping, issues)
    elif name == "skill_ids":
        _check_skills(arr, column, mapping.skills_sep, issues)
    else:
        _check_id(arr, column, issues)


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _shown_cells(cells: pa.Array | pa.ChunkedArray) -> Sequence[str]:
    """Cells as their problems quote them (`_show`): text as it is (a missing cell '') without
    a Python call per cell (2,000,000 refused cells of text); other types one by one. A
    quarantine writes its cells otherwise (`io._cells_text`: as `str` writes them)."""
    if pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type):
        return pc.fill_null(cells, "").to_numpy(zero_copy_only=False)
    return [_show(v) for v in cells.to_pylist()]


def _to_string(arr: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Any id-like column as trimmed strings ("" for nulls); integral floats lose their '.0'."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_floating(arr.type):
        as_int = pc.cast(arr, pa.int64(), safe=False)
        if pc.all(pc.equal(pc.cast(as_int, arr.type), arr)).as_py() in (True, None):
            arr = as_int
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return whole_floats_as_integers(pc.utf8_trim_whitespace(arr.fill_null("")))


def _check_id(arr: pa.ChunkedArray, column: str, issues: Issues) -> pa.Array:
    ids = _to_string(arr)
    empty = pc.equal(pc.utf8_length(ids), 0).to_numpy(zero_copy_only=False)
    issues.add_mask(empty, column, ids, "a non-empty id")
    return ids


def _check_correct(
    arr: pa.ChunkedArray,
    column: str,
    issues: Issues,
    mapping: ColumnMapping,
    decimal_comma: bool = False,
    *,
    maxima: pa.ChunkedArray | None = None,
    max_like: str | None = None,
) -> np.ndarray:
    """(n,) 0/1 of a correctness column: booleans, the numbers 0 and 1 (as text written any
    way: "1", "1.00", and "1,0" where `decimal_comma`), true / false, the mapping's words, or
    scores with `correct_threshold` (of each row's maximum, `maxima`, with `max_score`);
    anything else is a problem in `issues`. `max_like`: an unused column of the file that looks
    like each row's maximum, which the advice for a column of points names."""
    arr = arr.combine_chunks()
    if pa.types.is_boolean(arr.type):
        issues.add_mask(arr.is_null().to_numpy(zero_copy_only=False), column, arr, "0 or 1")
        return arr.fill_null(False).cast(pa.int8()).to_numpy(zero_copy_only=False)
    if mapping.correct_threshold is not None:
        return _scores_at_threshold(arr, column, issues, mapping, decimal_comma, maxima, max_like)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        ok = pc.fill_null(pc.is_in(pc.cast(arr, pa.float64()), pa.array([0.0, 1.0])), False)
        if not pc.all(ok).as_py():
            padded = pc.any(pc.equal(pc.cast(arr, pa.float64()), -1.0)).as_py()
            expected = f"0 or 1; {PADDING_HINT if padded else scores_hint(max_like)}"
            issues.add_mask(~ok.to_numpy(zero_copy_only=False), column, arr, expected)
        return (
            pc.fill_null(pc.equal(pc.cast(arr, pa.float64()), 1.0), False)
            .cast(pa.int8())
            .to_numpy(zero_copy_only=False)
        )
    text = _to_string(arr)
    # the export's own words too when the mapping names them (`correct_values`,
    # `incorrect_values`); anything else is an error
    right_words = [*RIGHT_WORDS, *mapping.correct_values]
    wrong_words = [*WRONG_WORDS, *mapping.incorrect_values]
    word = pc.utf8_lower(text)
    right, wrong = among(word, right_words), among(word, wrong_words)
    bad = ~(right | wrong)
    if bad.any():  # 0 and 1 written otherwise ("1.00", "0,0"), read by value as Spark reads them
        number = _number_text(word, decimal_comma)
        right |= among(number, list(RIGHT_WORDS))
        bad = ~(right | wrong | among(number, list(WRONG_WORDS)))
        if bad.any():
            expected = _correct_expected(_number_text(text, decimal_comma), bad, mapping, max_like)
            issues.add_mask(bad, column, text, expected)
    return right.astype(np.int8)


def _decimal_point(text: pa.Array) -> pa.Array:
    """Numbers written with a decimal comma ("0,5") written with a point ("0.5")."""
    return pc.replace_substring_regex(text, r"^([+-]?\d+),(\d+)$", r"\1.\2")


def _number_text(word: pa.Array, decimal_comma: bool) -> pa.Array:
    """Correctness text with a whole number written as a decimal read as the number ("1.00",
    and "1,0" where `decimal_comma`, as "1"), so 0 and 1 read by value in any mix; the Spark
    engine's reader does the same (`batch.spark_job._correct_number`)."""
    if decimal_comma:
        word = _decimal_point(word)
    return pc.replace_substring_regex(word, r"^(\d+)\.0+$", r"\1")


def _score_numbers(
    arr: pa.Array, mapping: ColumnMapping, decimal_comma: bool
) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray]:
    """(the cells as problems quote them, their numbers (NaN: not a number), the cells that are
    a word of a right answer, those of a wrong one) of a column of scores. With
    `decimal_comma` (a file not separated by commas), "0,5" is the number 0.5."""
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        scores = pc.cast(arr, pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False)
        return arr, scores, np.zeros(len(scores), bool), np.zeros(len(scores), bool)
    shown = _to_string(arr)  # text: numbers, or the words of a right and a wrong answer
    numbers = _decimal_point(shown) if decimal_comma else shown
    scores = pd.to_numeric(pd.Series(numbers.to_pandas(), dtype=object), errors="coerce")
    word = pc.utf8_lower(shown)
    right = among(word, ["true", *mapping.correct_values])
    wrong = among(word, ["false", *mapping.incorrect_values])
    return shown, scores.to_numpy(np.float64), right, wrong


def _scores_at_threshold(
    arr: pa.Array,
    column: str,
    issues: Issues,
    mapping: ColumnMapping,
    decimal_comma: bool,
    maxima: pa.ChunkedArray | None = None,
    max_like: str | None = None,
) -> np.ndarray:
    """A score column read with `correct_threshold`: a score at or above it is 1, below 0 (with
    `maxima`, the `max_score` column: a score over the row's maximum); a cell that is not a
    number (nor one of the mapping's words, nor true / false) is an error. With
    `decimal_comma` (a file not separated by commas), "0,5" is the score 0.5."""
    shown, scores, right, wrong = _score_numbers(arr, mapping, decimal_comma)
    negative = scores < 0
    if negative.any():  # pyKT pads its sequences with -1: no answer, never a wrong one
        issues.add_mask(negative, column, shown, f"a score >= 0; {PADDING_HINT}")
        scores = np.where(negative, np.nan, scores)
        wrong = wrong | negative
    bad = np.isnan(scores) & ~right & ~wrong
    if maxima is not None and bad.any():  # "67%": refused, never guessed a share of the maximum
        percent = bad & _percent_cells(shown)
        if percent.any():
            issues.add_mask(percent, column, shown, _percent_of_points(shown, percent, mapping))
            bad &= ~percent
    if bad.any():
        words = pc.unique(shown.filter(pa.array(bad))).to_pylist()
        hint = _numbers_written_otherwise([str(w) for w in words], scores[~bad], max_like)
        of = "" if maxima is None else f" of the row's maximum in column '{mapping.max_score}'"
        expected = (
            f"a score (a number; read as right at or above {mapping.correct_threshold:g}{of})"
        )
        issues.add_mask(bad, column, shown, f"{expected}; {hint}" if hint else expected)
    if maxima is not None:  # fractions: a share of right answers out of bounds is a note
        fractions = _out_of_maximum(scores, maxima, column, issues, mapping, decimal_comma)
        return ((fractions >= mapping.correct_threshold) & ~wrong | right).astype(np.int8)
    check_threshold_splits(
        scores[~bad & ~right & ~wrong], mapping.correct_threshold, column, issues.source, max_like
    )
    return ((scores >= mapping.correct_threshold) & ~wrong | right).astype(np.int8)


def _percent_cells(shown: pa.Array) -> np.ndarray:
    """(n,) True where a cell of a score column is a percentage with a % sign ("67%")."""
    if not (pa.types.is_string(shown.type) or pa.types.is_large_string(shown.type)):
        return np.zeros(len(shown), bool)
    found = pc.match_substring_regex(pc.utf8_trim_whitespace(shown), _PERCENT.pattern)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def _percent_of_points(shown: pa.Array, percent: np.ndarray, mapping: ColumnMapping) -> str:
    """What a percentage in a column of points read out of each row's maximum (`max_score`)
    is told, the same for each of the column's percentages (the first quoted): refused, not
    read as that share of the maximum, which would be a guess of what it is a share of."""
    example = str(shown.filter(pa.array(percent))[0].as_py()).strip()
    return (
        f"points, a number read as right at or above {mapping.correct_threshold:g} of the row's "
        f"maximum in column '{mapping.max_score}': a percentage ('{example}') is not read as a "
        "share of that maximum; write the row's points instead (67% of a maximum of 3 is 2)"
    )


def _out_of_maximum(
    scores: np.ndarray,
    maxima: pa.ChunkedArray,
    column: str,
    issues: Issues,
    mapping: ColumnMapping,
    decimal_comma: bool,
) -> np.ndarray:
    """Each row's score as a fraction of its maximum (the `max_score` column); a maximum that
    is not a number above 0, or is below the row's score, is a problem in `issues` naming the
    maximum's cell (the row's fraction NaN: read as a wrong answer, and refused)."""
    shown, top, _, _ = _score_numbers(maxima.combine_chunks(), ColumnMapping(), decimal_comma)
    refused = ~(top > 0)  # NaN (blank, text) too
    below = ~refused & (scores > top)
    issues.add_mask(refused, mapping.max_score, shown, MAX_SCORE_EXPECTED)
    issues.add_mask(
        below, mapping.max_score, shown, f"a maximum at or above the row's score in '{column}'"
    )
    return np.where(refused | below, np.nan, scores / np.where(refused, 1.0, top))


#: What a cell of the `max_score` column holds.
MAX_SCORE_EXPECTED = "a maximum score above 0 (the most points the row's item gives)"

#: Words of a column name that say it holds each row's maximum score (`points_possible`,
#: `max_score`, `out_of`, `total_points`): named where a column of points is read.
_MAX_WORDS = frozenset({"possible", "max", "maximum", "maxscore", "maxpoints", "outof"})
_TOTAL_WORDS = frozenset({"total", "full"})
_POINT_WORDS = frozenset({"points", "point", "pts", "score", "marks", "mark"})


def max_score_like(
    header: Sequence[str], read: set[str | None], mapping: ColumnMapping
) -> str | None:
    """The first column of the file's `header`, other than the ones the mapping reads and those
    `read` otherwise (time, optional columns), whose name says it holds each row's maximum
    score (`points_possible`, `max_score`, `out_of`, `total_points`); None with `max_score`
    given or without such a column."""
    if mapping.max_score is not None:
        return None
    used = {*mapping.student_id, mapping.item_id, mapping.correct, mapping.skill_ids, *read}
    for name in header:
        words = column_words(str(name))
        joined = {"".join(words), "".join(words[:2])}
        if name in used or not words:
            continue
        if _MAX_WORDS & (set(words) | joined) or (
            _TOTAL_WORDS & set(words) and _POINT_WORDS & set(words)
        ):
            return str(name)
    return None


def scores_hint(max_like: str | None) -> str:
    """`SCORES_HINT` and the option that reads points out of each row's maximum, naming the
    file's column `max_like` that looks like one, if any. The same for every cell of a column
    whatever the others hold, so that both engines, which read a log in other batches, say it
    word for word."""
    if max_like is not None:
        return f"{SCORES_HINT}; column '{max_like}' looks like each row's maximum: " + (
            max_score_words(max_like)
        )
    return f"{SCORES_HINT}; for points out of each row's maximum, {max_score_words('COLUMN')}"


def check_threshold_splits(
    scores: np.ndarray, threshold: float, column: str, source: str, max_like: str | None = None
) -> None:
    """A threshold that cannot be meant: a fraction (0.5) on a column of points or
    percentages (any score above 0 would read as right), or one that reads every score of a
    column of several scores as right (or every one as wrong): a `ConfigError` saying the
    column's range, where the log would otherwise be read with one answer throughout. Where
    the file has a column that looks like each row's maximum (`max_like`), the fraction's
    advice is that column (`max_score`), not one threshold in points: 1.5 read every 1-of-1
    answer of a trial's export as wrong."""
    scores = scores[~np.isnan(scores)]
    if len(scores) == 0:
        return
    low, high = float(scores.min()), float(scores.max())
    where = f"{source}, column '{column}': {option_words('correct_threshold', f'{threshold:g}')}"
    if 0 < threshold < 1 < high and low >= 0:
        raise ConfigError(
            f"{where} is a fraction, but the column's scores run from {low:g} to {high:g} "
            "(points or percentages): every score above 0 would read as right. "
            + (
                f"Column '{max_like}' looks like each row's maximum score: "
                f"{max_score_words(max_like)}, keeping the fraction {threshold:g} (one "
                "threshold in points reads a 1-of-1 answer as a 1-of-3 one)"
                if max_like
                else "Give the threshold on the column's own scale, e.g. "
                f"{option_words('correct_threshold', f'{threshold * high:g}')}"
            )
        )
    if low < high and not low < threshold <= high:
        side = "right" if threshold <= low else "wrong"
        raise ConfigError(
            f"{where} reads every answer as {side}: the column's scores run from {low:g} to "
            f"{high:g}. Give a threshold within them (a score at or above it is a right answer)"
        )


def _correct_expected(
    text: pa.Array, bad: np.ndarray, mapping: ColumnMapping, max_like: str | None = None
) -> str:
    """What a correctness cell should hold; when the column writes answers as a few words
    ("Correct" / "Incorrect"), how to name them; when it holds scores, how to read them (the
    file's column `max_like` named where it looks like each row's maximum)."""
    if mapping.correct_values:
        named = ", ".join((*mapping.correct_values, *mapping.incorrect_values))
        return f"0 or 1 (or true / false, or one of the words given: {named})"
    # what the filled cells hold: an empty cell (no answer) beside scores of 0.5 hid that the
    # others are scores, and the error named no --correct-threshold
    words = [w for w in pc.unique(text.filter(pa.array(bad))).to_pylist() if w]
    if words and all(_SEQUENCE.match(w) for w in words[:20]):
        return f"0 or 1 (or true / false); {WIDE_HINT}"
    if "-1" in words:
        return f"0 or 1 (or true / false); {PADDING_HINT}"
    written = _numbers_written_otherwise(words, _numbers(text), max_like)
    if written:
        return f"0 or 1 (or true / false); {written}"
    if any(_is_number(w) and float(w) > 1 for w in words):  # points (0 to 3) beside a word
        return f"0 or 1 (or true / false); {scores_hint(max_like)}"
    if 2 <= len(words) <= 4 and not any(w.replace(".", "", 1).isdigit() for w in words):
        shown = ", ".join(f"'{w}'" for w in sorted(words))
        return (
            f"0 or 1 (or true / false); the column writes its answers as {shown}: say which "
            f"words are right and which wrong with {option_words('correct_values')} and "
            f"{option_words('incorrect_values')}"
        )
    if words and all(_is_number(w) for w in words):
        return f"0 or 1 (or true / false); {scores_hint(max_like)}"
    return "0 or 1 (or true / false)"


PADDING_HINT = (
    "-1 marks a padded position in pyKT's sequences, not an answer: drop those rows (pyKT's own "
    "files: adaptive.data.pykt.read_pykt)"
)
WIDE_HINT = (
    "the cells hold comma-joined sequences (pyKT's wide format, one row per student): read it "
    "with adaptive.data.pykt.read_pykt, or write one row per response"
)
_SEQUENCE = re.compile(r"^-?\d+(?:\s*,\s*-?\d+){2,}$")  # "1,0,1": three values or more
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_PERCENT = re.compile(r"^[+-]?\d+(?:[.,]\d+)?\s*%$")


def _numbers(text: pa.Array) -> np.ndarray:
    """The numbers of a column of text (NaN: not a number)."""
    return pd.to_numeric(pd.Series(text.to_pandas(), dtype=object), errors="coerce").to_numpy(
        np.float64
    )


def _mixed_scales(words: list[str], numbers: np.ndarray, max_like: str | None) -> str | None:
    """Where a column's numbers are points or fractions (at most `SMALL_SCALE_MAX`) and some
    cells are percentages ("67%"): the column mixes scales, which one threshold cannot read
    (a trial's points 0 to 3 beside a few "67%", told to write them as 67 and give 50, read
    every point as wrong); None otherwise. `max_like`: the file's column that looks like each
    row's maximum, named in the advice."""
    percents = [w for w in words if _PERCENT.match(w)]
    numbers = numbers[np.isfinite(numbers)]
    if not percents or not len(numbers) or numbers.max() > SMALL_SCALE_MAX:
        return None
    return (
        f"{MIXED_SCALES}: its numbers run from {numbers.min():g} to "
        f"{numbers.max():g} (points or fractions) and some cells are percentages with a % sign "
        f"('{percents[0]}'), which one threshold cannot read (50 reads every point as wrong): "
        "write every answer on one scale first (each as a fraction of its maximum: 67% as "
        f"0.67, 2 of 3 points as 0.67), then give {option_words('correct_threshold', '0.5')}; "
        f"points out of each row's maximum: {max_score_words(max_like or 'COLUMN')}"
    )


def _numbers_written_otherwise(
    words: list[str], numbers: np.ndarray | None = None, max_like: str | None = None
) -> str | None:
    """How to fix scores a spreadsheet wrote as text ("0,5" with a decimal comma, "85%" with
    a percent sign), which the words advice would misdirect (`--correct-values '1,0'` is read
    as two words); None when the cells are not such numbers. `numbers`: the column's other
    cells read as numbers, where percentages beside points are two scales (`_mixed_scales`)."""
    if not words:
        return None
    mixed = _mixed_scales(words, numbers, max_like) if numbers is not None else None
    if mixed:
        return mixed
    if all(_DECIMAL_COMMA.match(w) for w in words):
        return (
            f"the column writes scores with a decimal comma ('{words[0]}'): write them with a "
            f"point (0.5), then say which count as right with "
            f"{option_words('correct_threshold', 'T')}"
        )
    if all(_PERCENT.match(w) for w in words):
        return (
            f"the column writes percentages with a % sign ('{words[0]}'): write them as numbers "
            "(85), then say which count as right with "
            f"{option_words('correct_threshold', '50')}"
        )
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_time(raw: RawTable, mapping: ColumnMapping, issues: Issues) -> tuple[np.ndarray, str]:
    """(int64 time, 'timestamp' | 'order'): ns since epoch (UTC) or an integer order.

    Numbers are read as times only when `time_unit` says what they count, and digits as dates
    only with a `time_format`: otherwise integers are an order, never silently times.
    """
    n = raw.table.num_rows
    col = raw.time_column
    if col is None:
        return np.arange(n, dtype=np.int64), "order"
    arr = raw.table.column(col).combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
        if pa.types.is_date(arr.type):
            arr = arr.cast(pa.timestamp("s"))
        unit_ns = NS_PER_UNIT[arr.type.unit]
        issues.add_mask(arr.is_null().to_numpy(zero_copy_only=False), col, arr, "a date-time")
        ints = arr.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        outside = np.abs(ints) > np.iinfo(np.int64).max // unit_ns  # would wrap around
        if outside.any():
            issues.add_mask(outside, col, arr, RANGE_EXPECTED)
            ints = np.where(outside, 0, ints)
        return ints * unit_ns, "timestamp"  # timezone-aware values are stored as UTC already
    if mapping.time_unit is not None:
        return _epoch_times(arr, col, mapping.time_unit, issues), "timestamp"
    if mapping.time_format is not None:
        return _text_times(_to_string(arr), col, mapping.time_format, issues), "timestamp"
    kind = mapping.time_kind
    if pa.types.is_floating(arr.type):
        raise DataValidationError(
            [Problem(raw.source, None, col, f"numbers of type {arr.type}", TIME_TYPES_EXPECTED)]
        )
    if pa.types.is_integer(arr.type):
        if kind == "timestamp":
            raise DataValidationError([Problem(raw.source, None, col, None, EPOCH_EXPECTED)])
        issues.add_mask(arr.is_null().to_numpy(zero_copy_only=False), col, arr, "an integer order")
        return arr.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False), "order"
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise DataValidationError(
            [Problem(raw.source, None, col, f"values of type {arr.type}", TIME_TYPES_EXPECTED)]
        )
    text = _to_string(arr)
    looks_int = pc.match_substring_regex(text, _INT_PATTERN).to_numpy(zero_copy_only=False)
    if kind == "auto":
        kind = "order" if len(looks_int) and looks_int.mean() > 0.5 else "timestamp"
    if kind == "timestamp" and len(looks_int) and looks_int.mean() > 0.5:
        raise DataValidationError([Problem(raw.source, None, col, None, EPOCH_EXPECTED)])
    if kind == "order":
        issues.add_mask(~looks_int, col, text, "an integer order (a whole number)")
        cleaned = pc.if_else(pa.array(looks_int), text, "0")
        return pc.cast(cleaned, pa.int64()).to_numpy(zero_copy_only=False), "order"
    return _text_times(text, col, None, issues), "timestamp"


def time_notes(
    values: RowValues, time_column: str | None, mapping: ColumnMapping, kept: np.ndarray
) -> list[str]:
    """Hints for the load report when the time column was probably meant another way.

    Whole numbers in the epoch range read as an order, or epoch numbers whose unit puts the
    typical time before 1980 or after 2100 (a wrong `time_unit`) where no unit reads them as
    dates of those years (where one does, the reader refused them:
    `_refuse_unit_of_no_dates`), are loaded as asked; the note says how to ask otherwise. Only the `kept` rows count (a rejected row's time is a placeholder 0, which once
    put the typical time of milliseconds read as seconds at 1970-01-01); the median ignores the
    odd bad row.
    """
    time = values.time[kept]
    if time_column is None or len(time) == 0:
        return []
    median = float(np.median(time))
    if values.time_kind == "order" and median >= EPOCH_SECONDS_FROM:
        return [
            f"the whole numbers in column '{time_column}' look like epoch times but were read "
            "as an integer order; to read them as times give --time-unit s|ms|us|ns (time_unit)"
        ]
    unit = mapping.time_unit
    if unit is not None and not EPOCH_NS_PLAUSIBLE[0] <= median < EPOCH_NS_PLAUSIBLE[1]:
        when = pd.Timestamp(int(median), unit="ns").isoformat()
        return [
            f"column '{time_column}' read with time_unit {unit!r} puts its typical "
            f"time at {when}: check the unit"
        ]
    return []


def plausible_units(numbers: np.ndarray, unit: str) -> np.ndarray:
    """For each epoch number of `numbers`, read in `unit`, the other unit of s, ms, us and ns
    that reads it as a time from 1980 to 2100 (`EPOCH_NS_PLAUSIBLE`), or "" where none does:
    the unit a wrong `time_unit` was meant to be (milliseconds read as seconds are times past
    the year 40,000). Whole columns at once; at most one unit fits a number, the units being a
    thousand apart."""
    found = np.full(len(numbers), "", dtype=object)
    with np.errstate(invalid="ignore", over="ignore"):
        for other, per_unit in NS_PER_UNIT.items():
            if other == unit:
                continue
            ns = numbers * per_unit
            fits = (ns >= EPOCH_NS_PLAUSIBLE[0]) & (ns < EPOCH_NS_PLAUSIBLE[1])
            found[fits & (found == "")] = other
    return found


def unit_words(unit: str) -> str:
    """How to ask for epoch numbers in `unit`, on the command line and in a mapping, as every
    message suggests one: "try --time-unit ms (time_unit 'ms')"."""
    return f"try --time-unit {unit} (time_unit {unit!r})"


#: Column names that say they hold times ("Submitted", "answered_at", "Start Time").
_TIME_LIKE_NAME = re.compile(
    r"time|date|stamp|submitted|created|started|finished|completed|answered|_at$|^when$", re.I
)


#: Words of a column that holds how long an answer took, not when it was given (ASSIST2009's
#: `overlap_time`, a `time_taken`): never a time column to order by.
_DURATION_WORDS = frozenset({"overlap", "duration", "elapsed", "spent", "taken", "latency"})
#: A column that numbers each student's answers: its first word, and the words that may follow
#: (ASSIST2009's `order_id`, ASSIST2017's `seq_idx`, a `sequence_number`); not a `sequence_id`
#: (ASSISTments' problem sets) nor a `position` (a problem's place in its assignment).
_NUMBER_WORDS = frozenset({"idx", "index", "no", "nr", "num", "number"})
_ORDER_HEADS = {"order": _NUMBER_WORDS | {"id"}, "seq": _NUMBER_WORDS, "sequence": _NUMBER_WORDS}


def column_words(name: str) -> list[str]:
    """A column name's words, case folded: "LearnerID", "learner_id" and "Learner ID" are
    learner, id."""
    return [w.casefold() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)]


def _is_time_like(name: str) -> bool:
    return bool(_TIME_LIKE_NAME.search(name)) and not _DURATION_WORDS & set(column_words(name))


def _is_order_like(name: str) -> bool:
    words = column_words(name)
    tails = _ORDER_HEADS.get(words[0]) if words else None
    return tails is not None and set(words[1:]) <= tails


def unused_time_notes(
    time_column: str | None, unused: list[str], file_order: bool = False
) -> list[str]:
    """Without a time column the log is in file order: a hint when a column the mapping does not
    use is named like one that holds the answers' times or order (a forgotten `--time-col`), since
    a shuffled or merged export would then be traced out of order without a word. None where
    the file's order was asked for (`file_order`: time_kind 'file', e.g. a dataset whose time
    column is a placeholder): following the hint would order the answers by that column."""
    if time_column is not None or file_order:
        return []
    timed = [c for c in unused if _is_time_like(str(c))]
    ordered = [c for c in unused if _is_order_like(str(c))]
    named = (timed + [c for c in ordered if c not in timed])[:3]
    if not named:
        return []
    shown = ", ".join(f"'{c}'" for c in named)
    kinds = {"times" if c in timed else "order" for c in named}
    holds = "their times or order" if len(kinds) == 2 else f"their {kinds.pop()}"
    return [
        f"no time column: each student's answers are in the order of the file's rows; "
        f"{'column' if len(named) == 1 else 'columns'} {shown} may hold {holds}: give "
        f"--time-col '{named[0]}' (in Python: mapping={{'time': {named[0]!r}}}) to order them "
        "by it"
    ]


def shadowed_column_notes(raw: RawTable, mapping: ColumnMapping, used: set[str]) -> list[str]:
    """A note naming the file's columns named as a canonical field (`correct`, a `timestamp`)
    that the mapping reads from another column (`--correct-col original`): read without a
    mapping they would be that field, so a user may think the file's own is read. One line,
    with where each field is read from; none where no such column is left unread."""
    sources = {
        "student_id": ", ".join(f"'{c}'" for c in mapping.student_id),
        "item_id": f"'{mapping.item_id}'",
        "skill_ids": "the Q-matrix (skills_from)"
        if mapping.skills_from is not None
        else f"'{mapping.skill_ids}'",
        "correct": f"'{mapping.correct}'",
        **{key: f"'{col}'" for key, col in raw.optional.items()},
    }
    shadowed = {name: name for name in (*CANONICAL_DEFAULTS, *OPTIONAL_FIELDS)}  # column: field
    if mapping.time is not None and raw.time_column is not None:
        shadowed.update({name: "time" for name in TIME_DEFAULTS})
        sources["time"] = f"'{raw.time_column}'"
    unread = [c for c in raw.header if c in shadowed and c not in used and shadowed[c] in sources]
    if not unread:
        return []
    fields = dict.fromkeys(shadowed[c] for c in unread)
    read_from = ", ".join(f"{'the time' if f == 'time' else f} from {sources[f]}" for f in fields)
    columns = ", ".join(f"'{c}'" for c in unread)
    return [
        f"the file's {'column' if len(unread) == 1 else 'columns'} {columns} "
        f"{'is' if len(unread) == 1 else 'are'} not read: the mapping reads {read_from}"
    ]


#: A log's share of answers read as right below the first or above the second bound is seldom
#: real: a column read on another scale than it is written (points read with a threshold of
#: 50, 1.57% right) says so in a note (`right_share_notes`), in logs of `SHARE_NOTE_ANSWERS`
#: answers or more.
RIGHT_SHARE_BOUNDS = (0.05, 0.97)
SHARE_NOTE_ANSWERS = 100


def right_share_notes(
    raw: RawTable, correct: np.ndarray, kept: np.ndarray, mapping: ColumnMapping
) -> list[str]:
    """A note for the load report when the share of the log's answers read as right (`correct`,
    the loaded responses') is outside `RIGHT_SHARE_BOUNDS` in a column read as scores (with a
    threshold): the share, and a threshold on the column's own scale (from its numbers in the
    `kept` rows). A 0 / 1 column is read as written: many tests and drills are all right."""
    if mapping.correct_threshold is None:
        return []
    n = len(correct)
    share = float(np.mean(correct)) if n else 0.5
    low, high = RIGHT_SHARE_BOUNDS
    if n < SHARE_NOTE_ANSWERS or low <= share <= high:
        return []
    said = (
        f"{share_words(share)} of the {n:,} answers read as right (column '{mapping.correct}'"
        f"{_read_with(mapping)}); a log's share is seldom under {low:.0%} or over {high:.0%}: "
    )
    if mapping.max_score is not None:
        return [
            f"{said}check the threshold (a fraction of each row's maximum: 0.5 is half the "
            f"points) and that column '{mapping.max_score}' holds each row's maximum"
        ]
    arr = raw.table.column(mapping.correct).combine_chunks()
    _, scores, _, _ = _score_numbers(arr, mapping, _decimal_comma(raw))
    return [said + _scale_words(scores[kept & np.isfinite(scores)])]


def _read_with(mapping: ColumnMapping) -> str:
    """How a correctness column was read, for a note: ", with correct_threshold=50"."""
    given = f", with {option_words('correct_threshold', f'{mapping.correct_threshold:g}')}"
    return given + (f" of column '{mapping.max_score}'" if mapping.max_score else "")


def _scale_words(scores: np.ndarray) -> str:
    """A threshold on the scale of a column's `scores`; where most of them are on a small scale
    and a few far above it (points 0 to 3 beside percentages 0 to 100), that it mixes scales."""
    if not len(scores):
        return "the threshold may be on another scale than the column's scores"
    low, high = float(scores.min()), float(scores.max())
    most = float(np.quantile(scores, 0.95))
    if high > 1 and most <= high / 10:
        return (
            f"most of the column's scores run from {low:g} to {most:g}, a few up to {high:g}: "
            "it mixes scales (points and percentages?); write every answer on one scale first "
            f"(or give each row's maximum: {max_score_words('COLUMN')})"
        )
    return (
        f"the column's scores run from {low:g} to {high:g}: give a threshold on that scale, "
        f"e.g. {option_words('correct_threshold', f'{(low + high) / 2:g}')}"
    )


def skill_list_notes(raw: RawTable, values: RowValues, mapping: ColumnMapping) -> list[str]:
    """A hint for the load report when a text skill column holds values that look like lists
    of skills read as one (`skill_lists.skill_separator_notes`, naming `--skills-sep` and
    `skills_sep`); nothing to say with a Q-matrix, or when the column is a list already
    (Parquet)."""
    if mapping.skills_from is None:
        dtype = raw.table.schema.field(mapping.skill_ids).type
        if pa.types.is_dictionary(dtype):
            dtype = dtype.value_type
        if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
            return skill_separator_notes(
                values.skill_ids,
                raw.table.num_rows,
                mapping.skill_ids,
                mapping.skills_sep,
                lambda sep: f"--skills-sep '{sep}' (skills_sep)",
            )
    return []


def skill_row_notes(log: ResponseLog, mapping: ColumnMapping) -> list[str]:
    """A hint when an export writes one row per skill of a response (ASSISTments 2009: the same
    student, item and answer on consecutive rows, another skill each) but the rows were read as
    responses of their own: each answer then counts once per skill, and a model's AUC is
    inflated (dkt 0.756 where the merged log gives 0.691). Said from 5 % of the responses on,
    with the option that merges them; nothing when `merge_skill_rows` was given. Only rows
    that option would merge are counted: with timestamps, those at the row above's time too
    (`_same_answer_as_previous`), since rows of one item at other times are other answers (a
    student's run of one skill's items, read with the columns swapped). Read off the loaded
    log's integer codes (in student and time order: the rows of one response stay next to
    each other), so it costs a few array comparisons."""
    n = len(log)
    if mapping.merge_skill_rows or n < 2:
        return []
    first_skill = log.skill[log.skill_offsets[:-1]]
    repeats = (
        (log.student[1:] == log.student[:-1])
        & (log.item[1:] == log.item[:-1])
        & (log.correct[1:] == log.correct[:-1])
        & (first_skill[1:] != first_skill[:-1])
    )
    if log.has_timestamps:
        repeats &= log.time[1:] == log.time[:-1]
    rows = int(np.count_nonzero(repeats))
    if rows < SKILL_LIST_SHARE * n:
        return []
    same = "student, item, time and answer" if log.has_timestamps else "student, item and answer"
    return [
        f"{rows:,} rows ({rows / n:.0%}) repeat the row above's {same} with "
        "another skill (an export of one row per skill of a response?): each was read as a "
        "response of its own, so the answer counts once per skill; if they are one response's "
        "skills, give --merge-skill-rows (merge_skill_rows)"
    ]


#: From this many distinct skills on, a log whose skill column looks like its item column's
#: (`swapped_column_notes`) is said: below it the shape tells nothing (a skill per item is
#: also how a small item bank is tagged).
SWAP_MIN_SKILLS = 20

#: The share of skills answered on one item only from which a log with many more skills than
#: items is said to look swapped (`swapped_column_notes`): most, not nearly all, since a real
#: export tags some items with two skills (ASSISTments 2017: 18 % of problems), and each of
#: them, read as a skill, then sits on two 'items'.
SWAP_SINGLE_ITEM_SHARE = 0.5


def swapped_column_notes(log: ResponseLog, mapping: ColumnMapping) -> list[str]:
    """A hint when the item and skill columns look exchanged: items sit inside skills (many
    items to a skill), so a log with more skills than items, most skills answered on one
    item only (`SWAP_SINGLE_ITEM_SHARE`) and the items each spanning several skills was most
    likely read with its columns swapped (`--item-col` and `--skill-col` given the other's
    name). Such a log loads and trains without error, but a model then traces items as skills: its mastery, coverage
    and recommendations read item ids as skill names. Nothing when items come from a Q-matrix
    (`skills_from`). Read off the loaded log's integer codes: two bincounts decide for nearly
    every log (fewer skills than items); only a log with many more skills pairs them up."""
    if mapping.skills_from is not None or len(log) == 0:
        return []
    n_skills = int(np.count_nonzero(np.bincount(log.skill)))
    n_items = int(np.count_nonzero(np.bincount(log.item)))
    if n_skills < SWAP_MIN_SKILLS or n_skills <= 2 * n_items:
        return []
    item = np.repeat(log.item, np.diff(log.skill_offsets)).astype(np.int64)
    width = int(item.max()) + 1
    pairs = np.unique(log.skill.astype(np.int64) * width + item)  # each (skill, item) once
    items_per_skill = np.bincount(pairs // width)
    single = np.count_nonzero(items_per_skill == 1) / n_skills
    if single < SWAP_SINGLE_ITEM_SHARE:
        return []
    return [
        f"the skill column {mapping.skill_ids!r} has {n_skills:,} values and the item column "
        f"{mapping.item_id!r} {n_items:,}, and {single:.0%} of the skills were answered on "
        "one item only: items usually sit inside skills, so the two columns may be swapped "
        "(--item-col / --skills-col, item_id / skill_ids); a model would trace items as skills"
    ]


def tie_notes(student: np.ndarray, time: np.ndarray, time_column: str | None) -> list[str]:
    """A hint for the load report when some of a student's responses share one time (a log
    with dates only ties all of a day's answers): the loader keeps such responses in the
    file's order, which is their true order only when the file was written in it. `student`
    and `time` are the loaded log's, sorted by student and time. What to give instead depends
    on what the column holds (`_time_grain`): dates, a column with the time of day; times to
    the minute or second, finer times; finer ones, an order (a trial's times to the second
    were told to give "a column with the time of day", which they were)."""
    if time_column is None or len(time) < 2:
        return []
    tied = int(np.count_nonzero((student[1:] == student[:-1]) & (time[1:] == time[:-1])))
    if not tied:
        return []
    grain = _time_grain(time)
    if grain == "day":
        why = "the column holds dates without a time of day: "
        instead = "a column with the time of day, or an order"
    elif grain is not None:
        why = f"the column holds times to the {grain}: "
        instead = "a column with finer times, or an order"
    else:
        why, instead = "", "an order"
    return [
        f"{tied:,} {'response shares its' if tied == 1 else 'responses share their'} time "
        f"in column '{time_column}' with the same student's response before "
        f"({why}each student's responses at one time keep the file's order): if the file is "
        f"not in the order they were answered, give {instead} (--time-col)"
    ]


#: The grains a time column's values are said to hold, coarsest first (ns in each).
_TIME_GRAINS = (("day", NS_PER_DAY), ("minute", 60 * 10**9), ("second", 10**9))


def _time_grain(time: np.ndarray) -> str | None:
    """The coarsest grain every one of `time` (ns since the epoch) falls on: "day" (dates
    only), "minute", "second", or None (finer)."""
    return next((name for name, ns in _TIME_GRAINS if not np.any(time % ns)), None)


def repeat_notes(log: ResponseLog, time_column: str | None) -> list[str]:
    """A hint for the load report when a log with dates only holds responses that repeat
    another of the same student, item, skills, day and answer: they were kept as attempts of
    the day (nothing tells them from a row loaded twice), whatever the file's order; the note
    says how many, and how to drop them if they are copies. Counted whatever the rows' order,
    over the responses that share a day with a neighbour only."""
    if time_column is None or not log.has_timestamps or len(log) < 2:
        return []
    time, student = log.time, log.student
    if np.any(time % NS_PER_DAY):
        return []  # times of day: an identical repeat was rejected as a duplicate
    tied = (student[1:] == student[:-1]) & (time[1:] == time[:-1])
    if not tied.any():
        return []
    rows = np.flatnonzero(np.append(tied, False) | np.append(False, tied))
    skills = pa.array(log.frame["skill_ids"], type=SKILL_LIST_TYPE)
    if isinstance(skills, pa.ChunkedArray):
        skills = skills.combine_chunks()
    skills = skills.take(pa.array(rows))
    key = pd.DataFrame(
        {
            "student": student[rows],
            "time": time[rows],
            "item": log.item[rows],
            "correct": log.correct[rows],
            "skills": _skill_set_codes(skills),
        }
    )
    repeats = int(key.duplicated().sum())
    if not repeats:
        return []
    many = "responses repeat" if repeats > 1 else "response repeats"
    return [
        f"{repeats:,} {many} another of the same student, item, skills, day and answer "
        f"({repeats / len(log):.0%} of the responses; column '{time_column}' holds dates "
        "without a time of day, so a second attempt of the day with the same answer looks the "
        "same as a row loaded twice): they are kept as attempts; if the file holds rows loaded "
        "twice, drop the repeated rows before reading it (e.g. pandas "
        "DataFrame.drop_duplicates()), or give the times of day"
    ]


def _text_times(text: pa.Array, col: str, fmt: str | None, issues: Issues) -> np.ndarray:
    """Text dates as ns since the epoch (UTC): ISO 8601, or `fmt` (a `strptime` format); a
    date outside the nanosecond range (3024-09-01) is an error, never a wrapped-around time."""
    series = pd.Series(text.to_pandas(), dtype=str)
    parsed, outside = text_times(series, fmt)
    bad = parsed.isna().to_numpy() & ~outside
    if fmt is not None and bad.any():
        refuse_day_month_swapped(series, col, fmt, ~bad & ~outside, outside, issues)
    expected = ISO_EXPECTED if fmt is None else f"a date-time in the format {fmt!r}"
    if fmt is not None and "%Z" in fmt:
        expected += ZONE_NAME_HINT
    if bad.any() and _excel_serial_days(series[bad]):
        expected += EXCEL_HINT
    issues.add_mask(bad, col, text, expected)
    issues.add_mask(outside, col, text, RANGE_EXPECTED)
    if fmt is None:  # a format says how every value reads
        issues.add_mask(naive_among_zoned(text) & ~bad & ~outside, col, text, NAIVE_EXPECTED)
    return times_ns(parsed)


def refuse_day_month_swapped(
    series: pd.Series, col: str, fmt: str, read: np.ndarray, outside: np.ndarray, issues: Issues
) -> None:
    """One error, before any row is set aside, where the column was written with day and month
    the other way round from `fmt` (`times.read_day_month_swapped`): a quarantine would load
    the values `fmt` reads, each with day and month swapped. Names each value only the other
    format reads, with that format as the one expected."""
    found = read_day_month_swapped(series, fmt, read, outside)
    if found is None:
        return
    other, only_other = found
    swapped = Issues(issues.source, issues.lines, parts=issues.parts, line_of=issues.line_of,
                     unit=issues.unit)  # fmt: skip
    expected = (
        f"a date-time in the format {other!r}, not {fmt!r}: day and month the other way round"
    )
    swapped.add_mask(only_other, col, series.tolist(), expected)
    n_other, n_read = int(only_other.sum()), int(read.sum())
    raise DataValidationError(
        [p for _, p in swapped.problems()],
        hint=(
            f"Column '{col}' is written with day and month the other way round: "
            f"{n_other:,} {'value reads' if n_other == 1 else 'values read'} only with "
            f"--time-format {other!r} (time_format) and none only with {fmt!r}, whose "
            f"{n_read:,} {'value' if n_read == 1 else 'values'} (a day of 12 or less) would be "
            "read with day and month swapped. Give that format; --quarantine sets none of these "
            "rows aside, since it would load the swapped ones as other dates."
        ),
    )


#: pandas reads `%Z` as UTC, GMT or a zone's name; an abbreviation such as CEST is not one.
ZONE_NAME_HINT = (
    " (%Z reads UTC, GMT or a zone name such as Europe/Paris, not an abbreviation such as CEST: "
    "write the offset, +0200, and read it with %z)"
)
EXCEL_HINT = (
    "; these look like a spreadsheet's serial dates (days since 1899-12-30, e.g. 45551.33 is "
    "2024-09-16 07:55): format the column as dates (yyyy-mm-dd hh:mm) before exporting"
)


def _excel_serial_days(values: pd.Series) -> bool:
    """Whether most of `values` are numbers in the range of a spreadsheet's serial dates from
    1954 to 2119 (20,000 to 80,000 days): a date column exported as its numbers."""
    days = pd.to_numeric(values, errors="coerce")
    return bool(days.between(*SPREADSHEET_SERIALS).mean() > 0.5)


def _epoch_times(arr: pa.Array, col: str, unit: str, issues: Issues) -> np.ndarray:
    """Epoch numbers (integers, decimals, or text of them) in `unit` as ns since the epoch."""
    per_unit = NS_PER_UNIT[unit]
    expected = f"a number of {EPOCH_UNITS[unit]} since 1970-01-01 UTC (time_unit {unit!r})"
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        shown: pa.Array | list = arr
        nums = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
        ints = arr.cast(pa.int64(), safe=False).fill_null(0).to_numpy(zero_copy_only=False)
        exact = pa.types.is_integer(arr.type) & ~np.isnan(nums)
    else:
        shown = _to_string(arr)
        looks_int = pc.match_substring_regex(shown, _INT_PATTERN).to_numpy(zero_copy_only=False)
        text = pd.Series(shown.to_numpy(zero_copy_only=False), dtype=object)
        nums = pd.to_numeric(text, errors="coerce").to_numpy(np.float64)
        cleaned = pc.if_else(pa.array(looks_int), shown, "0")
        ints = pc.cast(pc.utf8_trim_whitespace(cleaned), pa.int64()).to_numpy(zero_copy_only=False)
        exact = looks_int
    limit = np.iinfo(np.int64).max // per_unit
    with np.errstate(invalid="ignore"):
        in_range = np.where(exact, np.abs(ints) <= limit, np.abs(nums) <= limit)
    not_number = ~exact & ~np.isfinite(nums)
    bad = ~in_range | not_number
    issues.add_mask(not_number, col, shown, expected)
    _beyond_range(bad & ~not_number, nums, unit, col, shown, expected, issues)
    with np.errstate(invalid="ignore", over="ignore"):
        approx = np.round(np.where(bad | exact, 0.0, nums) * per_unit).astype(np.int64)
    times = np.where(bad, 0, np.where(exact, ints * per_unit, approx)).astype(np.int64)
    _refuse_unit_of_no_dates(times, ~bad, unit, col, shown, expected, issues.source)
    return times


def _refuse_unit_of_no_dates(
    times: np.ndarray,
    read: np.ndarray,
    unit: str,
    col: str,
    shown: pa.Array,
    expected: str,
    source: str,
) -> None:
    """Refuse a column of epoch numbers whose typical time (the median of the `read` rows'
    `times`, ns), read in `unit`, is before 1980 or after 2100 where another unit reads it as
    a date of those years (`plausible_units`): the column is read in the wrong unit, one
    problem naming the unit that reads it as dates. Epoch seconds read as milliseconds were
    loaded as times of 1970-01-21 with a note alone (their opposite, milliseconds read as
    seconds, is past the times a log holds: refused row by row, `_beyond_range`)."""
    if not read.any():
        return
    median = float(np.median(times[read]))
    if EPOCH_NS_PLAUSIBLE[0] <= median < EPOCH_NS_PLAUSIBLE[1]:
        return
    number = median / NS_PER_UNIT[unit]
    other = plausible_units(np.array([number]), unit)[0]
    if not other:
        return  # no unit reads them as dates: the load report's note says to check the unit
    when = pd.Timestamp(int(median), unit="ns")
    date = pd.Timestamp(int(number * NS_PER_UNIT[other]), unit="ns").date()
    end = "before 1980" if median < EPOCH_NS_PLAUSIBLE[0] else "after 2100"
    raise DataValidationError(
        [
            Problem(
                source,
                None,
                col,
                str(shown[int(np.argmax(read))].as_py()),
                f"{expected}: read as {EPOCH_UNITS[unit]} the column's typical time is "
                f"{when:%Y-%m-%d %H:%M}, {end}; read as {EPOCH_UNITS[other]} it is {date}: "
                f"{unit_words(other)}",
            )
        ]
    )


def _beyond_range(
    beyond: np.ndarray,
    nums: np.ndarray,
    unit: str,
    col: str,
    shown: pa.Array | list,
    expected: str,
    issues: Issues,
) -> None:
    """Record the rows of `beyond`: epoch numbers that, read in `unit`, fall outside the
    times a log holds (nanoseconds since 1970: `RANGE_EXPECTED`), each saying which end it
    passes and, where another unit reads it as a date from 1980 to 2100, that unit
    (`plausible_units`): milliseconds read as seconds were refused as "a number of seconds"
    alone, which they are. Grouped by what they are told (a few groups, never a row loop)."""
    if not beyond.any():
        return
    other = plausible_units(np.where(beyond, nums, np.nan), unit)
    late = nums > 0
    for is_late in (True, False):
        end = (
            f"far in the future, after {NS_MAX.date()}, the latest time a log holds"
            if is_late
            else f"before {NS_MIN.date() + pd.Timedelta(days=1)}, the earliest time a log holds"
        )
        for suggested in ("", *NS_PER_UNIT):
            rows = beyond & (late == is_late) & (other == suggested)
            instead = (
                f"; read as {EPOCH_UNITS[suggested]} it is a date from 1980 to 2100: "
                f"{unit_words(suggested)}"
                if suggested
                else ""
            )
            told = f"{expected}: read as {EPOCH_UNITS[unit]} it is {end}{instead}"
            issues.add_mask(rows, col, shown, told)


def _check_skills(arr: pa.ChunkedArray, column: str, sep: str | None, issues: Issues) -> pa.Array:
    arr = arr.combine_chunks()
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        lists = arr.cast(pa.list_(pa.string()))
        shown = lists
    else:
        text = _to_string(arr)  # trimmed already
        shown = text
        if sep is None:  # one skill per cell: only an empty cell can be wrong
            empty = pc.equal(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False)
            issues.add_mask(empty, column, shown, "at least one skill id")
            return _singleton_lists(text).cast(SKILL_LIST_TYPE)
        lists = pc.split_pattern(text, sep)
    lists = clean_skill_lists(lists)  # trimmed, no empty id, none twice in a list
    empty = pc.equal(pc.fill_null(pc.list_value_length(lists), 0), 0).to_numpy(zero_copy_only=False)
    expected = "at least one skill id" + (f" (separated by {sep!r})" if sep else "")
    issues.add_mask(empty, column, shown, expected)
    return lists


def _singleton_lists(text: pa.Array) -> pa.Array:
    offsets = pa.array(np.arange(len(text) + 1, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, text)


def _skills_from_items(item: pa.Array, q_matrix: QMatrix, column: str, issues: Issues) -> pa.Array:
    """Each response's skills from its item's row of the Q-matrix."""
    pos = pc.index_in(item, value_set=q_matrix.items)
    missing = pos.is_null().to_numpy(zero_copy_only=False)
    issues.add_mask(missing, column, item, "an item listed in the Q-matrix (skills_from)")
    return q_matrix.skills.take(pos.fill_null(0))


def _check_optional(
    key: str, arr: pa.ChunkedArray, column: str, issues: Issues
) -> pa.Array | np.ndarray:
    arr = arr.combine_chunks()
    if key in ("school_id", "class_id"):
        return _to_string(arr)
    integral = key == "attempt"
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        values = pc.cast(arr, pa.float64())
        shown = arr
    else:
        shown = _to_string(arr)
        values = pa.array(
            pd.to_numeric(
                pd.Series(shown.to_numpy(zero_copy_only=False)).replace("", None), errors="coerce"
            ),
            type=pa.float64(),
        )
        given = pc.not_equal(pc.utf8_length(shown), 0).to_numpy(zero_copy_only=False)
        unparsed = given & values.is_null().to_numpy(zero_copy_only=False)
        issues.add_mask(unparsed, column, shown, _optional_expected(key))
    nums = values.to_numpy(zero_copy_only=False).astype(np.float64)
    bad = nums < 0
    if integral:
        bad |= np.isfinite(nums) & (nums != np.round(nums))
    issues.add_mask(bad, column, shown, _optional_expected(key))
    return nums


def _optional_expected(key: str) -> str:
    return (
        "a whole number >= 0 (or empty)"
        if key == "attempt"
        else "a number of seconds >= 0 (or empty)"
    )


# -- stage 2: each student's sequence ------------------------------------------------------------
def dates_only(time_kind: str, time: np.ndarray) -> bool:
    """True when every time is a whole day (a date-only export): the same answer twice on a day
    is then a second attempt as likely as a row loaded twice, and is kept."""
    return time_kind == "timestamp" and bool((time % NS_PER_DAY == 0).all())


def reject_repeated_rows(
    values: RowValues, ok: np.ndarray, time_label: str, issues: Issues
) -> None:
    """Reject each accepted row that repeats an earlier row whole: same student, item, time,
    answer and skills (an export written twice), wherever the copy stands; the message names
    the line it copies. Run on rows, before skill rows are merged (`group_responses`), so a
    copy of one skill row of a response is named by that row's line, and is never merged into
    the response or taken for a row of another skill. With dates only such a repeat is kept
    (a second attempt of the day looks the same; `repeat_notes` counts them)."""
    rows = np.flatnonzero(ok)
    if len(rows) < 2 or dates_only(values.time_kind, values.time[rows]):
        return
    tied = _rows_sharing_a_time(values, rows)
    if len(tied) < 2:
        return
    take = pa.array(tied)
    whole_row = pd.DataFrame(
        {
            "student": _codes(values.student_id.take(take)),
            "time": values.time[tied],
            "item": _codes(values.item_id.take(take)),
            "correct": values.correct[tied],
            "skills": _skill_set_codes(values.skill_ids.take(take)),
        }
    )
    group = whole_row.groupby(list(whole_row.columns), sort=False).ngroup().to_numpy()
    _, first = np.unique(group, return_index=True)  # `tied` is in file order: the original
    original = first[group]
    copies = np.flatnonzero(original != np.arange(len(tied)))
    if len(copies) == 0:
        return
    shown = _item_at_time(values, tied[copies])
    placeholder = len(np.unique(values.time[rows])) == 1  # one time for every row: no times
    hint = (
        f"; column '{time_label}' holds one value for every row (a placeholder?): --file-order "
        "(time_kind 'file') reads the answers in the file's order"
        if placeholder
        else ""
    )
    expected = [
        f"a row that does not repeat {issues.line_text(issues.lines[tied[o]])} (same student, "
        f"item, time, answer and skills: a duplicated row){hint}"
        for o in original[copies]
    ]
    issues.add(tied[copies], time_label, shown, expected)


def _item_at_time(values: RowValues, rows: np.ndarray) -> list[str]:
    """How a duplicate is shown: "item P93401 at 2024-10-20T15:47:05-08:00", the time as the
    file writes it (`RowValues.time_as_written`), so that a search of the file finds it."""
    items = values.item_id.take(pa.array(rows)).to_pylist()
    times = values.time_as_written(rows)
    return [f"item {item} at {time}" for item, time in zip(items, times, strict=True)]


def _rows_sharing_a_time(values: RowValues, rows: np.ndarray) -> np.ndarray:
    """The rows among `rows` (file order) whose student has another of them at the same time:
    the only ones that can repeat a row. A file whose rows are grouped by student with times
    increasing (the usual export) is seen in one pass; otherwise the rows that share a time
    with any row are found first (one sort of the times), and only those are sorted by
    student."""
    student = _codes(_take(values.student_id, rows, len(rows) == len(values.student_id)))
    time = values.time[rows]
    same_student = np.diff(student) == 0
    if (np.diff(student) >= 0).all() and not (same_student & (np.diff(time) <= 0)).any():
        return rows[:0]
    shared = _in_runs(time, np.argsort(time))
    student, time, rows = student[shared], time[shared], rows[shared]
    tied = _in_runs(student, np.lexsort((time, student)), time)
    return rows[tied]


def _in_runs(key: np.ndarray, order: np.ndarray, key2: np.ndarray | None = None) -> np.ndarray:
    """Mask of the positions whose `key` (and `key2`) another position shares; `order` sorts
    them by those keys."""
    equal = np.diff(key[order]) == 0
    if key2 is not None:
        equal &= np.diff(key2[order]) == 0
    mask = np.zeros(len(key), dtype=bool)
    mask[order[1:][equal]] = True
    mask[order[:-1][equal]] = True
    return mask


@dataclass
class Responses:
    """Responses after merging multi-skill rows, in student then file order (then time, then
    file order when skill rows were merged by time: `group_responses`).

    `first_row[r]` is the raw row of response r; `members` maps response -> its raw rows in
    `member_rows[member_offsets[r]:member_offsets[r+1]]`.
    """

    first_row: np.ndarray
    member_offsets: np.ndarray
    member_rows: np.ndarray
    student_code: np.ndarray
    item_code: np.ndarray
    skill_ids: pa.Array


def group_responses(
    values: RowValues, ok: np.ndarray, merge_skill_rows: bool, by_time: bool = False
) -> Responses:
    """Order the accepted rows by student (stable: file order within a student) and merge
    consecutive multi-skill rows into one response when asked. With `by_time` (times or an
    integer order whose file order is not checked) rows to merge are looked for in (student,
    time, item, answer) order, so that the rows of one response need not be next to each
    other in a shuffled file (nor in a date-only one, where a day's other answers stand
    between them), and the responses are then put back in (student, time, file) order.
    Either way a run of rows giving one answer (same student, item and answer, and time with
    timestamps) is one response per attempt (`_attempts`: the k-th row of each skill is the
    k-th attempt, so the same item answered twice in a row is two responses). Copies of a
    timed row must have been rejected before (`reject_repeated_rows`), so that no copy is
    merged into the response it copies."""
    rows = np.flatnonzero(ok)  # ascending: every row in file order when none was rejected
    in_file_order = len(rows) == len(values.student_id)
    student_code = _codes(_take(values.student_id, rows, in_file_order))
    order = None
    merged_by_time = merge_skill_rows and by_time
    if merged_by_time:  # stable: ties keep file order
        items = _codes(_take(values.item_id, rows, in_file_order))
        order = _stable_order([student_code, values.time[rows], items, values.correct[rows]])
    elif np.any(np.diff(student_code) < 0):  # students interleaved in the file
        order = np.argsort(student_code, kind="stable")
    if order is not None:
        rows = rows[order]
        student_code = student_code[order]
        in_file_order = False
    item_code = _codes(_take(values.item_id, rows, in_file_order))
    skills = _take(values.skill_ids, rows, in_file_order)
    n = len(rows)
    new = np.ones(n, dtype=bool)
    if merge_skill_rows and n > 1:
        same_answer = _same_answer_as_previous(values, rows, student_code, item_code)
        joined = _skill_set_codes(skills)
        if same_answer.any():  # each run's rows are put in attempts, each one response
            within, attempt = _attempts(same_answer, joined)
            rows, student_code, item_code = rows[within], student_code[within], item_code[within]
            skills = skills.take(pa.array(within))
            new[1:] = ~(same_answer & (attempt[1:] == attempt[:-1]))
    starts = np.flatnonzero(new)
    member_offsets = np.append(starts, n).astype(np.int64)
    if len(starts) < n:
        lengths = pc.list_value_length(skills).to_numpy(zero_copy_only=False).astype(np.int64)
        flat = pc.list_flatten(skills)
        cum = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=cum[1:])
        merged = pa.ListArray.from_arrays(pa.array(cum[member_offsets].astype(np.int32)), flat)
        skills = clean_skill_lists(merged)  # a skill on two merged rows is counted once
    resp = Responses(
        first_row=rows[starts],
        member_offsets=member_offsets,
        member_rows=rows,
        student_code=student_code[starts],
        item_code=item_code[starts],
        skill_ids=skills,
    )
    return _in_time_then_file_order(resp, values.time) if merged_by_time else resp


def _same_answer_as_previous(
    values: RowValues, rows: np.ndarray, student_code: np.ndarray, item_code: np.ndarray
) -> np.ndarray:
    """For each row after the first of `rows`: does it give the same answer as the row before
    (same student, item and correctness, and time when the log has timestamps)? Such rows with
    other skills are the rows of one response, written one per skill."""
    correct = values.correct[rows]
    same = (
        (student_code[1:] == student_code[:-1])
        & (item_code[1:] == item_code[:-1])
        & (correct[1:] == correct[:-1])
    )
    if values.time_kind == "timestamp":
        time = values.time[rows]
        same &= time[1:] == time[:-1]
    return same


def _attempts(same_answer: np.ndarray, skills: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of each run of one answer (`same_answer[i]`: row i + 1 continues row i's run)
    as attempts: the k-th row of each skill in the run belongs to the k-th attempt, so a
    response written one row per skill, twice on a day (k1, k2, k2, k1), is two attempts of
    both skills whatever the rows' order (copies of a timed row were rejected before:
    `reject_repeated_rows`). `skills` codes each row's skills.

    Returns (positions reordered: run by run, attempt by attempt, an attempt's rows in the
    order their skills first appear in the run, so that equal attempts list equal skills;
    the attempt of each reordered position). Rows alone in their run stay where they are."""
    n = len(skills)
    run = np.cumsum(np.append(True, ~same_answer))
    in_run = np.zeros(n, dtype=bool)
    in_run[1:] |= same_answer
    in_run[:-1] |= same_answer
    members = np.flatnonzero(in_run)
    by_skill = pd.DataFrame({"run": run[members], "skills": skills[members]}).groupby(
        ["run", "skills"], sort=False
    )
    attempt = np.zeros(n, dtype=np.int64)
    attempt[members] = by_skill.cumcount().to_numpy()
    first_seen = np.arange(n)
    first_seen[members] = by_skill.ngroup().to_numpy()  # numbered in order of first appearance
    order = np.lexsort((first_seen, attempt, run))
    return order, attempt[order]


def _in_time_then_file_order(resp: Responses, time: np.ndarray) -> Responses:
    """`resp` reordered by (student, time, first file row): the order a log keeps for answers
    that share a time, after they were grouped by item to merge their skill rows."""
    first = resp.first_row
    perm = np.lexsort((first, time[first], resp.student_code))
    if np.array_equal(perm, np.arange(len(perm))):
        return resp
    lengths = np.diff(resp.member_offsets)[perm]
    offsets = np.zeros(len(perm) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    shift = np.repeat(resp.member_offsets[:-1][perm] - offsets[:-1], lengths)
    return Responses(
        first_row=first[perm],
        member_offsets=offsets,
        member_rows=resp.member_rows[np.arange(offsets[-1]) + shift],
        student_code=resp.student_code[perm],
        item_code=resp.item_code[perm],
        skill_ids=resp.skill_ids.take(pa.array(perm)),
    )


def _stable_order(keys: list[np.ndarray]) -> np.ndarray:
    """Positions ordered by `keys[0]`, then `keys[1]`, ... (stable: ties keep their order), as
    `np.lexsort(keys[::-1])`; as one int64 key when the keys' ranges multiply within it (a
    date-only log's day, item and answer: ten times faster than `lexsort`)."""
    if len(keys[0]) == 0:
        return np.zeros(0, dtype=np.int64)
    lows = [int(k.min()) for k in keys]
    spans = [int(k.max()) - lo + 1 for k, lo in zip(keys, lows, strict=True)]
    if np.prod([float(span) for span in spans]) >= 2.0**62:
        return np.lexsort(keys[::-1])
    key = np.zeros(len(keys[0]), dtype=np.int64)
    for k, lo, span in zip(keys, lows, spans, strict=True):
        key = key * span + (k.astype(np.int64) - lo)
    return np.argsort(key, kind="stable")


def _take(arr: pa.Array, rows: np.ndarray, in_file_order: bool) -> pa.Array:
    """`arr[rows]`, without a copy when `rows` is every row in file order (the caller knows:
    every row in *some* order is not enough, and checking it would cost a pass per column)."""
    return arr if in_file_order else arr.take(pa.array(rows))


def _skill_set_codes(skills: pa.Array) -> np.ndarray:
    """Integer codes of equal skill SETS, as `_codes` (for grouping and equality only): a cell
    "Percent Of~~Circle Graph" names the skills of "Circle Graph~~Percent Of", so a row that
    lists them in another order repeats the other, never a row "with another skill"."""
    return _codes(pc.binary_join(_sorted_skill_lists(skills), "\x1f"))


def _sorted_skill_lists(skills: pa.Array) -> pa.Array:
    """Each list of `skills` with its ids in text order, so that equal sets are equal lists
    whatever the file's order of rows or of ids in a cell. Lists of one skill (the common
    log) are returned as they are, without a sort; the text is sorted over the distinct ids
    only."""
    parent = pc.list_parent_indices(skills).to_numpy(zero_copy_only=False)
    if not (np.diff(parent) == 0).any():  # no list of two skills: no order to differ
        return skills
    values = pc.list_flatten(skills)
    encoded = pc.dictionary_encode(values)
    distinct = encoded.dictionary.to_numpy(zero_copy_only=False)
    rank = np.argsort(np.argsort(distinct))  # each distinct id's place in text order
    ids = encoded.indices.to_numpy(zero_copy_only=False)
    order = np.lexsort((rank[ids], parent))
    offsets = np.zeros(len(skills) + 1, dtype=np.int32)
    np.cumsum(np.bincount(parent, minlength=len(skills)), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(order)))


def _codes(arr: pa.Array) -> np.ndarray:
    """Integer codes of equal values (not sorted: for grouping and equality only)."""
    return pc.dictionary_encode(arr).indices.to_numpy(zero_copy_only=False).astype(np.int64)


def check_sequences(
    values: RowValues,
    resp: Responses,
    time_label: str,
    check_order: bool,
    issues: Issues,
    order_hint: str = "rows of a student in time order",
    merged: bool = False,
) -> np.ndarray:
    """True duplicates and (when `check_order`) responses out of order, per student.

    Each student's responses are taken in (time, file line) order, as the log will hold them.
    With times of day (or an integer order) a duplicate is a response that repeats another:
    same item, same time and same answer (an exported row written twice), wherever the copy
    stands (a row that repeats another whole was rejected before: `reject_repeated_rows`).
    With dates only such a repeat cannot be told from a second attempt of the day: it
    is kept whatever the file's order, and the load report counts it (`repeat_notes`). The
    same item at the same time with another answer is always a repeated attempt. With
    `check_order`, a response whose time is before an earlier line's of the same student is
    rejected; `order_hint` says why order matters and how to lift the check. `merged`: skill
    rows were merged (`merge_skill_rows`), so a message never suggests it. Returns a boolean
    mask over responses that were rejected (their rows are in `issues`). Messages name the
    item and time, never the student.
    """
    n = len(resp.first_row)
    rejected = np.zeros(n, dtype=bool)
    if n == 0:
        return rejected
    t = values.time[resp.first_row]
    lines = issues.lines[resp.first_row]
    # Rows are grouped by student in file order. On the happy path times strictly increase
    # within a student (one diff shows it) and no duplicate can exist; otherwise order each
    # student's responses by time, stably (ties keep file order), and compare neighbours.
    same_student = np.diff(resp.student_code) == 0
    dt = np.diff(t)
    decreasing = (dt < 0) & same_student
    if ((dt <= 0) & same_student).any():
        by_time = not check_order and values.time_kind == "timestamp"
        split_hint = _split_hint(merged, by_time)
        _reject_duplicates(values, resp, t, lines, time_label, issues, rejected, split_hint)
    if check_order and decreasing.any():  # the grouped running maximum only when needed
        keep = ~rejected
        cummax = (
            pd.Series(np.where(keep, t, np.iinfo(np.int64).min)).groupby(resp.student_code).cummax()
        )
        late = keep & (t < cummax.to_numpy())
        if late.any():
            idx = np.flatnonzero(late)
            shown = values.time_as_written(resp.first_row[idx])
            what = "time" if values.time_kind == "timestamp" else "value"
            expected = [
                f"a {what} not before this student's earlier response at "
                f"{_fmt_time(m, values.time_kind)} (this cell reads as "
                f"{_fmt_time(tt, values.time_kind)}; {order_hint})"
                for m, tt in zip(cummax.to_numpy()[idx], t[idx], strict=True)
            ]
            _reject(issues, resp, idx, time_label, shown, expected)
            rejected[idx] = True
    return rejected


def _reject_duplicates(
    values: RowValues,
    resp: Responses,
    t: np.ndarray,
    lines: np.ndarray,
    time_label: str,
    issues: Issues,
    rejected: np.ndarray,
    split_hint: str,
) -> None:
    """Reject the responses that repeat another of the same student, item, time and answer.

    With times of day (or an integer order), the same item, instant and answer twice is a
    duplicate wherever the copy stands (an export written twice): each response that repeats
    the first of its group in (student, time, file) order is rejected. With dates only (every
    time a whole day) a second attempt of the day with the same answer looks the same as a
    copy, so such identical repeats are kept, whatever the file's order (the load report
    counts them).

    A repeat with *other skills* is no duplicate: it is a response tagged with several skills
    written one row per skill, rejected with `split_hint` (the option that reads it,
    `merge_skill_rows`, unless it was given), since two responses would count one answer
    twice. With dates only the rows of a student, item, day and answer are compared as a
    group, whatever their order: those whose skills are not the group's first (in text order)
    are rejected.
    """
    day_only = dates_only(values.time_kind, t)
    correct = values.correct[resp.first_row]
    if day_only:
        by_time = _stable_order([resp.student_code, t // NS_PER_DAY, resp.item_code, correct])
    else:  # stable: a group's responses keep their file order, whatever stands between them
        by_time = np.lexsort((correct, resp.item_code, t, resp.student_code))
    same = (
        (np.diff(resp.student_code[by_time]) == 0)
        & (np.diff(resp.item_code[by_time]) == 0)
        & (np.diff(t[by_time]) == 0)
        & (np.diff(correct[by_time]) == 0)
    )
    if not same.any():
        return
    if day_only:
        by_time, skills = _groups_by_skills(resp.skill_ids, by_time, same)
    else:
        skills = _skill_set_codes(resp.skill_ids.take(pa.array(by_time)))
    n = len(t)
    run_start = np.maximum.accumulate(np.where(np.append(True, ~same), np.arange(n), 0))
    split = same & (skills[1:] != skills[run_start[1:]])  # another skill than the group's first
    if day_only:  # identical repeats of a day are attempts
        same = split
    if not same.any():
        return
    first_of = np.empty(n, dtype=np.int64)
    first_of[by_time] = by_time[run_start]
    idx = np.sort(by_time[1:][same])
    shown = _item_at_time(values, resp.first_row[idx])
    split_at = np.zeros(n, dtype=bool)
    split_at[by_time[1:][split]] = True
    repeated = [issues.line_text(lines[first_of[i]]) for i in idx]
    expected = [
        f"a row that does not repeat {line} {split_hint}"
        if split_at[i]
        else f"a row that does not repeat {line} (same student, item, time and answer: a "
        "duplicated row)"
        for i, line in zip(idx, repeated, strict=True)
    ]
    _reject(issues, resp, idx, time_label, shown, expected)
    rejected[idx] = True


def _split_hint(merged: bool, by_time: bool) -> str:
    """What a row that gives another row's answer (same student, item, time) with other skills
    is, and what to do: without `merge_skill_rows`, probably one response written one row per
    skill (the option reads it); with it, rows it could not merge: apart in a file whose order
    counts (merged only where they stand together), or, with dates only (`by_time`), an
    attempt of the day that names other skills than the item's first attempt."""
    if not merged:
        return (
            "with another skill (one response written one row per skill? --merge-skill-rows / "
            "merge_skill_rows reads them as one response tagged with their skills)"
        )
    if by_time:
        return (
            "with other skills (same student, item, day and answer: --merge-skill-rows reads "
            "the n-th row of each skill on a day as the n-th attempt, and each attempt names "
            "the same skills; drop the extra row, or give the times of day)"
        )
    return (
        "with other skills (same student, item, time and answer: --merge-skill-rows merges "
        "the rows of one response where they stand together among the student's rows, as "
        "this file's order counts; put them together)"
    )


def _groups_by_skills(
    skill_ids: pa.Array, order: np.ndarray, same: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`order` with the members of each group (a run of `same` neighbours) sorted by the text
    of their skills (stably: equal skills keep file order), and each position's skills as
    text ("" outside groups): a group's first is then the same whatever the file's order."""
    n = len(order)
    in_group = np.zeros(n, dtype=bool)
    in_group[1:] |= same
    in_group[:-1] |= same
    members = np.flatnonzero(in_group)
    text = pc.binary_join(_sorted_skill_lists(skill_ids.take(pa.array(order[members]))), "\x1f")
    names, rank = np.unique(text.to_numpy(zero_copy_only=False), return_inverse=True)
    key = np.zeros(n, dtype=np.int64)
    key[members] = rank
    run = np.cumsum(np.append(True, ~same))
    resort = np.lexsort((key, run))  # runs stay in place; members by skill text
    skills = np.full(n, "", dtype=object)
    skills[members] = names[rank]
    return order[resort], skills[resort]


def _reject(
    issues: Issues,
    resp: Responses,
    idx: np.ndarray,
    column: str,
    shown: list[str],
    expected: list[str],
) -> None:
    """Record responses `idx` as rejected: every raw row merged into them carries the reason."""
    counts = resp.member_offsets[idx + 1] - resp.member_offsets[idx]
    rows = np.concatenate(
        [resp.member_rows[resp.member_offsets[i] : resp.member_offsets[i + 1]] for i in idx]
    )
    issues.add(
        rows,
        column,
        list(np.repeat(np.array(shown, dtype=object), counts)),
        list(np.repeat(np.array(expected, dtype=object), counts)),
    )


def _fmt_time(value: int, kind: str) -> str:
    if kind == "timestamp":
        return pd.Timestamp(int(value), unit="ns", tz="UTC").isoformat()
    return str(int(value))


@dataclass(frozen=True)
class QMatrix:
    """Each item's skills: `skills[k]` (a list) belongs to `items[k]`."""

    items: pa.Array
    skills: pa.Array


def q_matrix_from_edges(table: pd.DataFrame, item: str, skill: str) -> QMatrix:
    """A `QMatrix` from an edge list (one row per item-skill pair; repeats dropped)."""
    edges = pd.DataFrame(
        {
            "item": table[item].astype(str).str.strip(),
            "skill": table[skill].astype(str).str.strip(),
        }
    ).drop_duplicates()
    codes, items = pd.factorize(edges["item"], sort=True)
    order = np.argsort(codes, kind="stable")
    offsets = np.zeros(len(items) + 1, dtype=np.int32)
    np.cumsum(np.bincount(codes, minlength=len(items)), out=offsets[1:])
    values = pa.array(edges["skill"].to_numpy(dtype=object)[order], type=pa.string())
    skills = pa.ListArray.from_arrays(pa.array(offsets), values).cast(SKILL_LIST_TYPE)
    return QMatrix(pa.array(np.asarray(items, dtype=object), type=pa.string()), skills)
