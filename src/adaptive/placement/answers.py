"""Diagnostic answers imported from a table: sessions an office ran in another app or on paper.

An answer sheet has one row per answer: `student_id`, `question` (a skill id, or the id of a
catalog activity of one skill, as `Question.activity` gives it), `correct` (1 or 0; true or
false) and optionally `order` (a number or a date-time: each student's answers in that order;
without it, in the file's order). `PlacementDiagnostic.replay(sheet)` replays each student's
answers through the same steps as a live run and returns the same `Placement`.

A file is read as a placement table is (`adaptive.placement.table`: CSV with `,`, `;` or tab,
an Excel export's BOM and CRLF, blank lines, `.csv.gz`, or Parquet); a frame is read as it is.
Every row is checked and the problems are one `DataValidationError` naming the file, line (a
Parquet file's row, a frame's row label or position: `frame_rows`), column and value, never a
student id: an empty id, a question that is no skill or one-skill activity of the catalog ("did
you mean"), an answer that is not 0/1, an order that is no number or date-time, two answers of
a student at the same order, a question a student answers twice (naming the earlier line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog
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
CORRECT_EXPECTED = "1 (correct) or 0 (wrong); true or false"
ORDER_EXPECTED = "a number (the answer's place) or a date-time"
#: The cells an answer may be written as, trimmed and lower-cased.
CORRECT_WORDS = {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0}
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


def read_answer_sheet(
    source: str | Path | pd.DataFrame, catalog: Catalog, columns: Mapping[str, str] | None = None
) -> AnswerSheet:
    """The answer sheet at `source` (a CSV or Parquet file, or a frame), checked against
    `catalog`; `columns` names the file's own columns where they differ ({"student_id":
    "Student", "question": "Item", "correct": "Score", "order": "Answered at"})."""
    columns = _answer_columns(columns)
    if isinstance(source, pd.DataFrame):
        frame, rows = frame_rows(source, "<frame>")
        frame, found = _frame_roles(frame, columns, rows.file), {"rows": ([], 0)}
    elif isinstance(source, str | Path):
        rows, frame, found = _read_file(Path(source), columns)
    else:
        raise TypeError(
            f"answers: expected a file path or a DataFrame, got {type(source).__name__}; "
            f"{ANSWER_TABLE.expected()}"
        )
    sheet = _checked(frame, rows, catalog, found, columns)
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


def _checked(
    frame: pd.DataFrame,
    rows: Rows,
    catalog: Catalog,
    found: dict[str, Found],
    columns: Mapping[str, str],
) -> AnswerSheet:
    """Every row checked, all problems in one error (named by the file's own columns), then
    each student's answers put in order."""
    for kind in ("student_id", "question", "correct", ORDER_COLUMN):
        found.setdefault(kind, ([], 0))
    student = trimmed_ids(frame["student_id"])
    question = trimmed_ids(frame["question"])
    add_found(found, "student_id", id_problems(student, "student_id", rows))
    skill, more = _skills(question, rows, catalog)
    add_found(found, "question", more)
    correct, more = _answers(frame["correct"], rows)
    add_found(found, "correct", more)
    order = np.arange(len(frame), dtype=np.int64)
    if ORDER_COLUMN in frame:
        order, more = _order(frame[ORDER_COLUMN], rows)
        add_found(found, ORDER_COLUMN, more)
    raise_problems(list(found.values()), columns)
    code, students = pd.factorize(student)  # students in the order they first appear
    sorted_rows = np.lexsort((order, code))  # stable: the file's order where orders tie
    at = frame.index.to_numpy()[sorted_rows]
    code, skill, order = code[sorted_rows], skill[sorted_rows], order[sorted_rows]
    first = np.r_[True, code[1:] != code[:-1]] if len(code) else np.zeros(0, bool)
    start = np.maximum.accumulate(np.where(first, np.arange(len(code)), 0))
    sheet = AnswerSheet(
        rows, tuple(students), code, np.arange(len(code)) - start, skill,
        correct[sorted_rows], at, question.to_numpy()[sorted_rows],
    )  # fmt: skip
    raise_problems([_same_order(sheet, order, first), _twice(sheet)], columns)
    return sheet


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


def _answers(raw: pd.Series, rows: Rows) -> tuple[np.ndarray, Found]:
    """Each answer as 0/1 int8 and the rows that are none (a score, a blank, "yes"). A boolean
    column is read as it is unless it has a blank (pandas' nullable "boolean", as
    `convert_dtypes()` gives it): then its cells are read as text, the blank a problem."""
    if pd.api.types.is_bool_dtype(raw.dtype) and not raw.isna().any():
        return raw.to_numpy(np.int8), ([], 0)
    text = raw.map(lambda v: cell_text(v).strip().lower())
    value = text.map(CORRECT_WORDS)
    bad = np.flatnonzero(value.isna().to_numpy())
    listed = [
        rows.problem(raw.index[i], "correct", cell_text(raw.iloc[i]), CORRECT_EXPECTED)
        for i in bad[:MAX_LISTED]
    ]
    return value.fillna(0).to_numpy(np.int8), (listed, len(bad))


def _order(raw: pd.Series, rows: Rows) -> tuple[np.ndarray, Found]:
    """Each answer's place as a dense rank (equal orders equal: `_same_order` refuses those of
    one student) and the rows whose order is missing or neither a number nor a date-time. The
    column is read as numbers when most filled cells are numbers, else as date-times."""
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
    value[bad] = 0.0
    return np.unique(value, return_inverse=True)[1].astype(np.int64), (listed, len(bad))


def _same_order(sheet: AnswerSheet, order: np.ndarray, first: np.ndarray) -> Found:
    """Answers of a student at the order of their previous answer: which came first?"""
    if not len(order):
        return [], 0
    tie = np.flatnonzero(~first & (np.r_[0, np.diff(order)] == 0))
    expected = "one answer of the student per order ({} has the same student and order)"
    listed = [
        sheet.problem(i, ORDER_COLUMN, expected.format(sheet.rows.name(sheet.at[i - 1])), None)
        for i in tie[:MAX_LISTED]
    ]
    return listed, len(tie)


def _twice(sheet: AnswerSheet) -> Found:
    """Answers to a question the student answered before (a diagnostic asks each skill
    once), each naming the earlier line."""
    key = sheet.student.astype(np.int64) * (int(sheet.skill.max(initial=0)) + 1) + sheet.skill
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    earlier = first[inverse]
    again = np.flatnonzero(earlier != np.arange(len(key)))
    listed = [
        sheet.problem(
            i, "question",
            f"each question once per student ({sheet.rows.name(sheet.at[earlier[i]])} has "
            "the same student and question)",
        )
        for i in again[:MAX_LISTED]
    ]  # fmt: skip
    return listed, len(again)
