"""Diagnostic answers imported from a table: sessions an office ran in another app or on paper.

An answer sheet has one row per answer: `student_id`, `question` (a skill id, or the id of a
catalog activity of one skill, as `Question.activity` gives it), `correct` (read as a response
log's `correct` column is, `adaptive.data.validate.read_answers`: 1 or 0, true or false, and with
`correct_values` / `incorrect_values` an export's own words, "Yes" / "No", or with
`correct_threshold` scores) and optionally `order` (a number or a date-time: each student's
answers in that order; without it, in the file's order). `PlacementDiagnostic.replay(sheet)`
replays each student's answers through the same steps as a live run and returns the same
`Placement`.

A file is read as a placement table is (`adaptive.placement.table`: CSV with `,`, `;` or tab,
an Excel export's BOM and CRLF, blank lines, `.csv.gz`, or Parquet); a frame is read as it is.
Every row is checked and the problems are one `DataValidationError` naming the file, line (a
Parquet file's row, a frame's row label or position: `frame_rows`), column and value, never a
student id: an empty id, a question that is no skill or one-skill activity of the catalog ("did
you mean"), an answer that is not 0/1 (with the log reader's hints: which option reads the
column's words or scores), an order that is no number or date-time, two answers of a student at
the same order (an order column of dates only, or of 0/1 answers, says so), a question a student
answers twice (naming the earlier line), and what the diagnostic's own `check` finds (a student
its prior lacks, more answers than its `max_questions`): every problem of every row at once, not
one kind at a time (a trial's sheet was refused four times before its last kind was said).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from adaptive.curriculum import Catalog
from adaptive.data.mapping import ColumnMapping
from adaptive.data.readers import file_format, read_header
from adaptive.data.validate import Issues, read_answers
from adaptive.errors import ConfigError, Problem, closest_name
from adaptive.placement.table import (
    MAX_LISTED,
    Found,
    Rows,
    TableForm,
    add_found,
    cell_text,
    frame_rows,
    id_problems,
    named_roles,
    placement_batches,
    raise_problems,
    role_names,
    rows_of,
    trimmed_ids,
)

ANSWER_COLUMNS = ("student_id", "question", "correct")
#: An optional column: each student's answers in its order (a number or a date-time).
ORDER_COLUMN = "order"
QUESTION_EXPECTED = "a skill of the catalog, or an activity of one skill"
ORDER_EXPECTED = "a number (the answer's place) or a date-time"
#: An answer sheet, as the placement table's reading pieces read one (`role_names`).
ANSWER_TABLE = TableForm(
    "answers",
    ANSWER_COLUMNS,
    ORDER_COLUMN,
    "a column of the answer sheet",
    "for other column names pass columns= (PlacementDiagnostic.replay(sheet, "
    "columns={'question': 'Item'}))",
)


@dataclass(frozen=True)
class AnswerSheet:
    """A checked answer sheet, each student's answers in order: `students` in the order they
    first appear, and per answer its student (a position in `students`), its place among the
    student's answers (`step`, from 0), its skill code in the catalog, 0/1, and where it is in
    the file (`rows` names it in a problem)."""

    rows: Rows
    students: tuple[str, ...]
    student: np.ndarray
    step: np.ndarray
    skill: np.ndarray
    correct: np.ndarray
    at: np.ndarray  # each answer's line (a Parquet file's row, a frame's row label or position)
    question: np.ndarray  # each answer's question as written (for problems)

    def problem(self, i: int, column: str, expected: str, value: str | None = "") -> Problem:
        """The problem of answer `i`, in `column`; `value` None shows no value (a student id:
        never shown), "" the answer's question."""
        shown = str(self.question[i]) if value == "" else value
        return self.rows.problem(self.at[i], column, shown, expected)


#: A reader's own checks of a sheet whose rows may still hold problems (`AnswerSheet.skill` -1
#: where the question is no skill): `PlacementDiagnostic.replay`'s students its prior lacks and
#: answers past its max_questions, added to the sheet's problems in one error.
SheetCheck = Callable[[AnswerSheet], Found]


def read_answer_sheet(
    source: str | Path | pd.DataFrame,
    catalog: Catalog,
    columns: Mapping[str, str] | None = None,
    correct_reading: ColumnMapping | None = None,
    check: SheetCheck | None = None,
) -> AnswerSheet:
    """The answer sheet at `source` (a CSV or Parquet file, or a frame), checked against
    `catalog`; `columns` names the file's own columns where they differ ({"student_id":
    "Student", "question": "Item", "correct": "Score", "order": "Answered at"});
    `correct_reading` says how the `correct` column is read, as a response log's mapping does
    (its `correct_values` / `incorrect_values` and `correct_threshold`; default 0/1,
    true/false). Users give those as `PlacementDiagnostic.replay`'s keywords, which build it.
    `check` adds its problems to the sheet's, all in one `DataValidationError`."""
    columns = _answer_columns(columns)
    correct_reading = correct_reading if correct_reading is not None else ColumnMapping()
    if isinstance(source, pd.DataFrame):
        frame, rows = frame_rows(source, "<frame>")
        frame, found = _frame_roles(frame, columns, rows.file), {"rows": ([], 0)}
        decimal_comma = True  # a frame's cell holds one value: "1,0" is a decimal comma
    elif isinstance(source, str | Path):
        rows, frame, found = _read_file(Path(source), columns)
        decimal_comma = _one_value_per_cell(Path(source))
    else:
        raise TypeError(
            f"answers: expected a file path or a DataFrame, got {type(source).__name__}; "
            f"{ANSWER_TABLE.expected()}"
        )
    reading = (correct_reading, decimal_comma)
    sheet = _checked(frame, rows, catalog, found, columns, reading, check)
    if not len(sheet.student):
        raise ConfigError(
            f"{rows.file}: the answer sheet has no answers (a header only): it places nobody. "
            "Give the sheet with its rows"
        )
    return sheet


def _answer_columns(given: Mapping[str, str] | None) -> dict[str, str]:
    """The roles a user named (`columns=`), checked."""
    return named_roles(given, ANSWER_COLUMNS, ORDER_COLUMN, "answer sheet columns")


def _frame_roles(frame: pd.DataFrame, columns: Mapping[str, str], file: str) -> pd.DataFrame:
    """A frame's role columns, named by role, its index kept (what names its rows)."""
    names = role_names([str(c) for c in frame.columns], columns, file, None, ANSWER_TABLE)
    return pd.DataFrame({role: frame[name] for role, name in names.items()}, index=frame.index)


def _read_file(path: Path, columns: Mapping[str, str]) -> tuple[Rows, pd.DataFrame, dict]:
    """The roles' cells of a CSV (as text, each row's line as the index) or Parquet file (each
    row from 1), read as a placement table is (`placement_batches`), and the rows the file
    could not give ("rows" problems)."""
    found: dict[str, Found] = {"rows": ([], 0)}
    parts = list(placement_batches(path, columns, found, form=ANSWER_TABLE))
    frame = pd.concat(parts) if parts else pd.DataFrame(columns=list(ANSWER_COLUMNS))
    return rows_of(path), frame, found


def _one_value_per_cell(path: Path) -> bool:
    """Whether "1,0" in a cell of the file is a number with a decimal comma, as the log reader
    decides it: everywhere but in a comma-separated file."""
    kind, compression = file_format(path)
    return kind == "parquet" or read_header(path, compression, None, kind)[1] != ","


def _checked(
    frame: pd.DataFrame,
    rows: Rows,
    catalog: Catalog,
    found: dict[str, Found],
    columns: Mapping[str, str],
    reading: tuple[ColumnMapping, bool],
    check: SheetCheck | None,
) -> AnswerSheet:
    """Every row checked, then each student's answers put in order and checked together (two
    at one order, a question twice, `check`'s), all problems in one error named by the file's
    own columns. A row's bad cell keeps it out of the checks it would spoil (an unknown
    question is no question answered twice, a missing time no tie). `reading`: how the
    `correct` column is read, and whether "1,0" in it is a number with a decimal comma."""
    for kind in ("student_id", "question", "correct", ORDER_COLUMN):
        found.setdefault(kind, ([], 0))
    student = trimmed_ids(frame["student_id"])
    question = trimmed_ids(frame["question"])
    add_found(found, "student_id", id_problems(student, "student_id", rows))
    skill, more = _skills(question, rows, catalog)
    add_found(found, "question", more)
    correct, more = _answers(frame["correct"], rows, *reading)
    add_found(found, "correct", more)
    order, zero_one = np.arange(len(frame), dtype=np.float64), False
    if ORDER_COLUMN in frame:
        order, more = _order(frame[ORDER_COLUMN], rows)
        add_found(found, ORDER_COLUMN, more)
        zero_one = _holds_answers(frame[ORDER_COLUMN])
    sheet, order = _in_order(rows, frame.index, student, question, skill, correct, order)
    found["same order"] = _same_order(sheet, order, zero_one)
    found["twice"] = _twice(sheet)
    if check is not None:
        found["check"] = check(sheet)
    raise_problems(list(found.values()), columns)
    return sheet


def _in_order(
    rows: Rows,
    at: pd.Index,
    student: pd.Series,
    question: pd.Series,
    skill: np.ndarray,
    correct: np.ndarray,
    order: np.ndarray,
) -> tuple[AnswerSheet, np.ndarray]:
    """The sheet of the rows with a student id, each student's answers in `order` (NaN, no
    order read: after the others), the file's order where orders tie; and each answer's
    order, in the sheet's order."""
    keep = (student != "").to_numpy()
    code, students = pd.factorize(student[keep])  # students in the order they first appear
    order = order[keep]
    sorted_rows = np.lexsort((np.nan_to_num(order, nan=np.inf), code))  # stable
    code = code[sorted_rows]
    first = np.r_[True, code[1:] != code[:-1]] if len(code) else np.zeros(0, bool)
    start = np.maximum.accumulate(np.where(first, np.arange(len(code)), 0))
    sheet = AnswerSheet(
        rows, tuple(students), code, np.arange(len(code)) - start, skill[keep][sorted_rows],
        correct[keep][sorted_rows], at.to_numpy()[keep][sorted_rows],
        question.to_numpy()[keep][sorted_rows],
    )  # fmt: skip
    return sheet, order[sorted_rows]


def _skills(question: pd.Series, rows: Rows, catalog: Catalog) -> tuple[np.ndarray, Found]:
    """Each question's skill code: a skill id, or an activity of one skill (the activity a
    `Question` names); problems for the others (the catalog's likely id said)."""
    skills = catalog.skill_index.astype(str)
    by_activity = {a.id: a.skills[0] for a in catalog.activities if len(a.skills) == 1}
    as_skill = question.map(by_activity).fillna(question)
    code = skills.get_indexer(as_skill)
    bad = np.flatnonzero((code < 0) & (question != "").to_numpy())
    names = [*skills, *(a.id for a in catalog.activities)]
    listed = []
    for i in bad[:MAX_LISTED]:
        value = question.iloc[i]
        close = closest_name(value, names)
        hint = f" (did you mean {close!r}?)" if close else ""
        several = value in {a.id for a in catalog.activities}
        expected = QUESTION_EXPECTED + (" (this activity practises several)" if several else hint)
        listed.append(rows.problem(question.index[i], "question", value, expected))
    empty = id_problems(question, "question", rows)
    return code, (empty[0] + listed, empty[1] + len(bad))


def _answers(
    raw: pd.Series, rows: Rows, correct_reading: ColumnMapping, decimal_comma: bool
) -> tuple[np.ndarray, Found]:
    """Each answer as 0/1 int8, read by the response log's reader of a `correct` column
    (`read_answers`: the same words, scores and hints), and the rows it refuses (a blank, a
    word or score no option reads), each named by its line."""
    issues = Issues(rows.file, np.arange(len(raw), dtype=np.int64))
    correct = read_answers(
        pa.chunked_array([_arrow_cells(raw)]), "correct", issues, correct_reading, decimal_comma
    )
    listed = [
        rows.problem(raw.index[r], "correct", p.value, p.expected)
        for r, p in issues.problems(first=MAX_LISTED)
    ]
    return correct, (listed, len(issues))


def _arrow_cells(raw: pd.Series) -> pa.Array:
    """A column of cells as Arrow holds it (numbers, booleans, text; a blank as null); a column
    of mixed kinds (a frame's 1 and "yes") as the text its cells show."""
    try:
        return pa.array(raw, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(raw.map(cell_text), pa.string())


def _order(raw: pd.Series, rows: Rows) -> tuple[np.ndarray, Found]:
    """Each answer's place as a number (equal orders equal: `_same_order` refuses those of one
    student; NaN where none is read) and the rows whose order is missing or neither a number
    nor a date-time. The column is read as numbers when most filled cells are numbers, else as
    date-times."""
    number = pd.to_numeric(raw, errors="coerce")
    filled = raw.notna() & (raw.astype(str).str.strip() != "")
    if filled.any() and number[filled].notna().mean() > 0.5:
        value = number.to_numpy(np.float64, na_value=np.nan)
    else:
        times = pd.to_datetime(raw.where(filled), errors="coerce", utc=True, format="mixed")
        value = (times - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(np.float64)
    value = np.array(value, dtype=np.float64)  # a copy: pandas may lend a read-only array
    bad = np.flatnonzero(np.isnan(value))
    listed = [
        rows.problem(raw.index[i], ORDER_COLUMN, cell_text(raw.iloc[i]), ORDER_EXPECTED)
        for i in bad[:MAX_LISTED]
    ]
    return value, (listed, len(bad))


def _holds_answers(raw: pd.Series) -> bool:
    """Whether an order column holds only 0 and 1, as a `correct` column does (the answers'
    column given as the order: `columns={"order": "correct"}`)."""
    number = pd.to_numeric(raw, errors="coerce")
    return bool(number.notna().all() and number.isin([0, 1]).all())


#: After a tie in an order column that holds only 0 and 1.
ORDER_OF_ANSWERS_HINT = (
    "the order column holds only 0 and 1, as answers do (is it the correct column?): name the "
    "column of each answer's place or time, or none to use the file's order"
)
#: After a tie of a student all of whose answers share one order (dates without times).
ORDER_OF_ONE_VALUE_HINT = (
    "all of the student's answers have this order (a date without a time?): drop the order "
    "column to use the file's order"
)


def _same_order(sheet: AnswerSheet, order: np.ndarray, zero_one: bool) -> Found:
    """Answers of a student at the order of their previous answer: which came first? (An
    answer without an order, NaN, ties with none: its own problem says it.) Where the column
    cannot order them at all (`zero_one`: it holds answers; or every answer of the student has
    one order, a date), the problem says what to do."""
    if not len(order):
        return [], 0
    first = sheet.step == 0
    tie = np.flatnonzero(~first & (np.r_[np.nan, order[:-1]] == order))
    starts = np.flatnonzero(first)  # sorted by student code: start j is student j's
    ends = np.r_[starts[1:], len(order)] - 1
    one_value = order[starts] == order[ends]
    expected = "one answer of the student per order ({} has the same student and order)"
    listed = []
    for i in tie[:MAX_LISTED]:
        said = expected.format(sheet.rows.name(sheet.at[i - 1]))
        if zero_one:
            said += f"; {ORDER_OF_ANSWERS_HINT}"
        elif one_value[sheet.student[i]]:
            said += f"; {ORDER_OF_ONE_VALUE_HINT}"
        listed.append(sheet.problem(i, ORDER_COLUMN, said, None))
    return listed, len(tie)


def _twice(sheet: AnswerSheet) -> Found:
    """Answers to a question the student answered before (a diagnostic asks each skill
    once), each naming the earlier line; a question that is no skill (-1) is its own problem."""
    known = np.flatnonzero(sheet.skill >= 0)
    n_skills = int(sheet.skill.max(initial=0)) + 1
    key = sheet.student[known].astype(np.int64) * n_skills + sheet.skill[known]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    earlier = np.arange(len(sheet.skill))
    earlier[known] = known[first[inverse]]
    again = np.flatnonzero(earlier != np.arange(len(earlier)))
    listed = [
        sheet.problem(
            i, "question",
            f"each question once per student ({sheet.rows.name(sheet.at[earlier[i]])} has "
            "the same student and question)",
        )
        for i in again[:MAX_LISTED]
    ]  # fmt: skip
    return listed, len(again)
