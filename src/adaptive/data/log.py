"""The response log: the one in-memory table every model and policy reads.

A `ResponseLog` is a pandas frame in the canonical schema, sorted stably by student then time,
plus integer codes for students, items and skills, so that models get numpy arrays without
copying per row. Multi-skill responses keep all their skills: `skill_offsets` / `skill` hold them
in compressed sparse row form (response `i` has skills `skill[skill_offsets[i]:skill_offsets[i+1]]`).

Build one with `ResponseLog.from_frame` (in memory) or `adaptive.data.read_responses` (files).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from adaptive.errors import DataValidationError, Problem

REQUIRED_COLUMNS = ("student_id", "item_id", "skill_ids", "correct")
TIME_COLUMNS = ("timestamp", "order")
OPTIONAL_COLUMNS = ("duration_s", "attempt", "school_id", "class_id")
SKILL_LIST_TYPE = pa.list_(pa.string())


RESPONSE_SOURCE = "<response>"


@dataclass(frozen=True)
class Response:
    """One response, for the single-event online path (`model.update(state, response)`).

    Checked at construction with the file readers' rules, so a model never sees a value a file
    could not hold; a bad value raises `DataValidationError` naming "<response>", the field, the
    value and what was expected (every bad field at once). Accepted values are normalised:

    - `student_id`, `item_id`: non-empty text, trimmed; an integer (a database key) becomes its
      digits, as a file's integer ids are read, so it finds the same student or item.
    - `skill_ids`: a tuple of non-empty, trimmed skill ids (text). A single string is ONE skill
      (`"g4.NS.1"` -> `("g4.NS.1",)`); a list becomes a tuple. Non-text entries (e.g. integer
      skill codes of a model) are an error.
    - `correct`: 0 or 1 as an `int`: a Python or numpy int or bool, or a float equal to 0 or 1.
      Text ("0", "false"), nan, 2, -1 or 1.5 are errors.
    - `timestamp`: None (no time: models with time windows use the current time), or a
      `pd.Timestamp`, `datetime`, `date`, `numpy.datetime64` or ISO 8601 text, normalised to a
      UTC-aware `pd.Timestamp` like a log's `timestamp` column (naive times are UTC). Numbers
      are an error: say their unit with `pd.Timestamp(x, unit="s")`.

    Construction stays cheap (about a microsecond) for already-canonical values: no pandas call
    when `timestamp` is None or a UTC `pd.Timestamp`.
    """

    student_id: str
    item_id: str
    skill_ids: tuple[str, ...]
    correct: int
    timestamp: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        if not _canonical_response(self):
            self._normalise()

    def _normalise(self) -> None:
        """Check every field; set the normalised values or raise with every problem."""
        checked = (
            ("student_id", _response_id(self.student_id, "student_id")),
            ("item_id", _response_id(self.item_id, "item_id")),
            ("skill_ids", _response_skills(self.skill_ids)),
            ("correct", _response_correct(self.correct)),
            ("timestamp", _response_timestamp(self.timestamp)),
        )
        problems = [value for _, value in checked if type(value) is Problem]
        if problems:
            raise DataValidationError(problems)
        for name, value in checked:
            if value is not getattr(self, name):
                object.__setattr__(self, name, value)


def _canonical_response(r: Response) -> bool:
    """True when every field already has its normalised form (the vendor's hot path)."""
    s, i, k, c, t = r.student_id, r.item_id, r.skill_ids, r.correct, r.timestamp
    if not (type(s) is str and type(i) is str and type(k) is tuple and type(c) is int):
        return False
    if not (s and i and k and (c == 0 or c == 1)) or s.strip() is not s or i.strip() is not i:
        return False
    for skill in k:
        if type(skill) is not str or not skill or skill.strip() is not skill:
            return False
    return t is None or (type(t) is pd.Timestamp and t.tzinfo is dt.UTC)


def _bad(column: str, value: object, expected: str) -> Problem:
    return Problem(RESPONSE_SOURCE, None, column, repr(value), expected)


def _response_id(value: object, column: str) -> str | Problem:
    """A trimmed non-empty id; integers (not bools) become their digits."""
    if isinstance(value, str):
        text = str(value).strip()  # the same object when `value` is already a trimmed str
        if text:
            return text
    elif isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return str(int(value))
    return _bad(column, value, "a non-empty text id (or an integer)")


def _response_skills(value: object) -> tuple[str, ...] | Problem:
    """A tuple of trimmed, non-empty skill ids; a plain string is one skill."""
    if isinstance(value, str):
        items: tuple = (value,)
    elif isinstance(value, tuple | list | np.ndarray):
        items = tuple(value)
    else:
        return _bad("skill_ids", value, "a tuple of skill ids (text), or one skill id")
    if not items:
        return _bad("skill_ids", value, "at least one skill id")
    out = []
    for skill in items:
        text = str(skill).strip() if isinstance(skill, str) else ""
        if not text:
            return _bad("skill_ids", value, "skill ids that are non-empty text")
        out.append(text)
    out_t = tuple(out)
    return value if type(value) is tuple and out_t == value else out_t


def _response_correct(value: object) -> int | Problem:
    """0 or 1 as an int, from an int, bool, numpy int/bool or a float equal to 0 or 1."""
    if type(value) is int and (value == 0 or value == 1):
        return value
    if isinstance(value, int | float | np.integer | np.floating | np.bool_) and value in (0, 1):
        return int(value)
    return _bad("correct", value, "0 or 1 (an int or bool; not text)")


def _response_timestamp(value: object) -> pd.Timestamp | None | Problem:
    """None, or a UTC-aware `pd.Timestamp` (naive times are read as UTC)."""
    if value is None:
        return None
    if type(value) is pd.Timestamp:
        tz = value.tzinfo
        if tz is dt.UTC:
            return value
        return value.tz_localize("UTC") if tz is None else value.tz_convert("UTC")
    if isinstance(value, bool | int | float | np.number):
        return _bad(
            "timestamp",
            value,
            "a date-time; a number is ambiguous: give pd.Timestamp(x, unit='s') (or 'ms')",
        )
    if isinstance(value, str | dt.date | np.datetime64):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            stamp = pd.NaT
        if stamp is not pd.NaT:
            return _response_timestamp(stamp)
    return _bad(
        "timestamp",
        value,
        "None, a pd.Timestamp, datetime or ISO 8601 text such as 2024-09-01T08:30:00Z",
    )


@dataclass(frozen=True, eq=False)
class ResponseLog:
    """A validated response log with integer codes.

    Attributes
    ----------
    frame : canonical columns, sorted by student then time, RangeIndex.
    students, items, skills : code -> id (`students[code]` is the id); sorted, unique.
    student, item : int32 code of each response.
    correct : int8 0/1 of each response.
    skill_offsets, skill : skills of each response in CSR form (int64 offsets, int32 codes).
    """

    frame: pd.DataFrame
    students: pd.Index
    items: pd.Index
    skills: pd.Index
    student: np.ndarray
    item: np.ndarray
    correct: np.ndarray
    skill_offsets: np.ndarray
    skill: np.ndarray
    source: str = field(default="<memory>")

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str = "<memory>") -> ResponseLog:
        """Build a log from a frame in the canonical schema.

        `skill_ids` may hold lists/tuples of skill ids, an Arrow list column, or plain strings
        (one skill each). The frame is sorted stably by student then time; its values are checked
        (the readers in `adaptive.data.io` report file positions; this check reports row labels).
        """
        frame = _canonical_frame(frame, source)
        time_col = "timestamp" if "timestamp" in frame.columns else "order"
        frame = frame.sort_values(["student_id", time_col], kind="stable").reset_index(drop=True)
        student, students = pd.factorize(frame["student_id"], sort=True)
        item, items = pd.factorize(frame["item_id"], sort=True)
        offsets, skill_values = skill_lists(frame["skill_ids"])
        skill, skills = pd.factorize(pd.Series(skill_values, dtype=object), sort=True)
        return cls(
            frame=frame,
            students=pd.Index(students, name="student_id"),
            items=pd.Index(items, name="item_id"),
            skills=pd.Index(skills, name="skill_id"),
            student=student.astype(np.int32),
            item=item.astype(np.int32),
            correct=frame["correct"].to_numpy(np.int8),
            skill_offsets=offsets,
            skill=skill.astype(np.int32),
            source=source,
        )

    @classmethod
    def from_canonical(cls, frame: pd.DataFrame, source: str = "<memory>") -> ResponseLog:
        """Sort and code a frame that is ALREADY canonical and checked; same result as `from_frame`.

        For frames whose columns already have the canonical dtypes (`skill_ids` an Arrow
        list<string> column, `correct` 0/1): what the readers in `adaptive.data.io` build, or a
        row subset of another log's `frame`. It skips the value checks and Python-object
        conversions of `from_frame`, which matters at a million responses.
        """
        time_col = "timestamp" if "timestamp" in frame.columns else "order"
        student, students = _factorize_sorted(frame["student_id"])
        col = frame[time_col]
        if time_col == "timestamp":
            t = col.to_numpy("datetime64[ns]").view(np.int64)
        else:
            t = col.to_numpy(np.int64)
        order = np.lexsort((t, student))
        if not np.array_equal(order, np.arange(len(order))):
            frame = frame.take(order)
            student = student[order]
        frame = frame.reset_index(drop=True)
        item, items = _factorize_sorted(frame["item_id"])
        skills_arr = pa.array(frame["skill_ids"], type=SKILL_LIST_TYPE, from_pandas=True)
        if isinstance(skills_arr, pa.ChunkedArray):
            skills_arr = skills_arr.combine_chunks()
        offsets = skills_arr.offsets.to_numpy().astype(np.int64)
        offsets = offsets - offsets[0]
        flat = pd.Series(skills_arr.flatten().to_pandas(), dtype=str)
        skill, skills = pd.factorize(flat, sort=True)
        return cls(
            frame=frame,
            students=pd.Index(students, name="student_id"),
            items=pd.Index(items, name="item_id"),
            skills=pd.Index(np.asarray(skills, dtype=object), dtype=object, name="skill_id"),
            student=student.astype(np.int32),
            item=item.astype(np.int32),
            correct=frame["correct"].to_numpy(np.int8),
            skill_offsets=offsets,
            skill=skill.astype(np.int32),
            source=source,
        )

    # -- views --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.frame)

    @property
    def n_students(self) -> int:
        return len(self.students)

    @property
    def time_column(self) -> str:
        return "timestamp" if "timestamp" in self.frame.columns else "order"

    @property
    def has_timestamps(self) -> bool:
        return self.time_column == "timestamp"

    @cached_property
    def time(self) -> np.ndarray:
        """Response time as int64: nanoseconds since epoch (UTC) or the integer order.

        Computed once per log (the log is immutable; the vendor's per-request path reads it)."""
        col = self.frame[self.time_column]
        if self.has_timestamps:
            out = col.to_numpy("datetime64[ns]").view(np.int64)
        else:
            out = col.to_numpy(np.int64)
        out = out.view()  # read-only view: a caller cannot change the log's times
        out.flags.writeable = False
        return out

    @property
    def n_skills_per_response(self) -> np.ndarray:
        return np.diff(self.skill_offsets)

    @property
    def student_offsets(self) -> np.ndarray:
        """Start of each student's block of rows (length n_students + 1)."""
        return np.searchsorted(self.student, np.arange(self.n_students + 1)).astype(np.int64)

    def exploded(self) -> tuple[np.ndarray, np.ndarray]:
        """(response row, skill code) for every skill of every response, in row order."""
        rows = np.repeat(np.arange(len(self), dtype=np.int64), self.n_skills_per_response)
        return rows, self.skill

    def position_in_student(self) -> np.ndarray:
        """0-based index of each response within its student's sequence."""
        starts = self.student_offsets[:-1]
        return np.arange(len(self), dtype=np.int64) - np.repeat(
            starts, np.diff(self.student_offsets)
        )

    # -- subsets ------------------------------------------------------------------------------
    def take_students(self, student_ids: Sequence[str] | pd.Index | np.ndarray) -> ResponseLog:
        """The responses of the given students (ids), re-coded; order and time kept."""
        keep = self.frame["student_id"].isin(pd.Index(student_ids))
        return self.take_rows(keep.to_numpy())

    def compact_ids(self) -> None:
        """Hold the frame's student and item ids as categoricals over `students` / `items` (the
        same values, coded once) instead of one string per row: at 20 M responses the two text
        columns take 0.86 GB, their codes 0.16 GB. Row subsets (`take_rows`) stay compact and
        code the same way. In place; for a large log that is only sliced and traced (the
        nightly job's first night)."""
        self.frame["student_id"] = pd.Categorical.from_codes(self.student, categories=self.students)
        self.frame["item_id"] = pd.Categorical.from_codes(self.item, categories=self.items)

    def take_rows(self, mask: np.ndarray) -> ResponseLog:
        """A sub-log of the rows where `mask` is true (or the given row positions)."""
        return ResponseLog.from_canonical(self.frame.iloc[np.asarray(mask)], source=self.source)

    def summary(self) -> dict[str, float | int]:
        """Counts a data scientist checks first (no student identifiers)."""
        return {
            "responses": len(self),
            "students": self.n_students,
            "items": len(self.items),
            "skills": len(self.skills),
            "pct_correct": round(100.0 * float(self.correct.mean()), 2) if len(self) else 0.0,
            "multi_skill_responses": int((self.n_skills_per_response > 1).sum()),
        }


def _factorize_sorted(col: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """`pd.factorize(col, sort=True)`; for a categorical column with sorted categories (see
    `ResponseLog.compact_ids`) the same codes and ids from its codes, as a plain Index."""
    if isinstance(col.dtype, pd.CategoricalDtype) and col.cat.categories.is_monotonic_increasing:
        codes = col.cat.codes.to_numpy()
        used = np.unique(codes)
        return np.searchsorted(used, codes), pd.Index(col.cat.categories[used])
    return pd.factorize(col, sort=True)


def skill_lists(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """CSR form of a skill-list column: (int64 offsets of length n+1, flat object array of ids)."""
    arr = pa.array(series, type=SKILL_LIST_TYPE, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets = arr.offsets.to_numpy().astype(np.int64)
    offsets = offsets - offsets[0]
    values = arr.flatten().to_numpy(zero_copy_only=False).astype(object)
    return offsets, values


def as_skill_list_column(values: pd.Series) -> pd.Series:
    """Coerce strings or list-likes into the canonical Arrow list<string> column."""
    if isinstance(values.dtype, pd.ArrowDtype) and values.dtype.pyarrow_dtype == SKILL_LIST_TYPE:
        return values
    arr = pa.array(values.map(_skill_list).tolist(), type=SKILL_LIST_TYPE)
    return pd.Series(arr, index=values.index, dtype=pd.ArrowDtype(SKILL_LIST_TYPE))


def _skill_list(value: object) -> list[str]:
    """One cell of a frame's `skill_ids` as a list of ids: a plain string is ONE skill (in a
    column that mixes strings and lists too, where iterating it would split it into letters),
    a list-like its entries as text, a number its digits (as a file's integer ids are read);
    a missing or blank cell no skill (reported as "at least one skill")."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, list | tuple | np.ndarray | pd.Series):
        return [str(s) for s in value]
    return [str(value)]


def _canonical_frame(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check columns and values of an in-memory frame; coerce dtypes."""
    problems: list[Problem] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        problems.append(
            Problem(source, None, ",".join(missing), None, "columns " + ", ".join(REQUIRED_COLUMNS))
        )
    if not any(c in frame.columns for c in TIME_COLUMNS):
        problems.append(
            Problem(source, None, "timestamp|order", None, "a 'timestamp' or 'order' column")
        )
    if problems:
        raise DataValidationError(problems)
    keep = [c for c in (*REQUIRED_COLUMNS, *TIME_COLUMNS, *OPTIONAL_COLUMNS) if c in frame.columns]
    out = frame[keep].copy()
    out["student_id"] = out["student_id"].astype(str)
    out["item_id"] = out["item_id"].astype(str)
    out["skill_ids"] = as_skill_list_column(out["skill_ids"])
    correct = pd.to_numeric(out["correct"], errors="coerce")
    bad = ~correct.isin([0, 1])
    for label in out.index[bad.to_numpy()][: DataValidationError.MAX_LISTED]:
        problems.append(
            Problem(
                source,
                None,
                "correct",
                str(frame.at[label, "correct"]),
                f"0 or 1 (row label {label})",
            )
        )
    for col in ("student_id", "item_id"):
        empty = out[col].str.strip().eq("") | frame[col].isna()
        for label in out.index[empty.to_numpy()][: DataValidationError.MAX_LISTED]:
            problems.append(Problem(source, None, col, "", f"a non-empty id (row label {label})"))
    n_skills = out["skill_ids"].list.len()
    for label in out.index[(n_skills == 0).to_numpy()][: DataValidationError.MAX_LISTED]:
        problems.append(
            Problem(source, None, "skill_ids", "[]", f"at least one skill (row label {label})")
        )
    if problems:
        raise DataValidationError(problems)
    out["correct"] = correct.astype(np.int8)
    if "timestamp" in out.columns:
        out["timestamp"] = pd.to_datetime(out["timestamp"], utc=True)
    else:
        out["order"] = out["order"].astype(np.int64)
    return out
