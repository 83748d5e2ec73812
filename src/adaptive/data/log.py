"""The response log: the one in-memory table every model and policy reads.

A `ResponseLog` is a pandas frame in the canonical schema, sorted stably by student then time,
plus integer codes for students, items and skills, so that models get numpy arrays without
copying per row. Multi-skill responses keep all their skills: `skill_offsets` / `skill` hold them
in compressed sparse row form (response `i` has skills `skill[skill_offsets[i]:skill_offsets[i+1]]`).

Build one with `ResponseLog.from_frame` (in memory) or `adaptive.data.read_responses` (files).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import (
    infer_dtype,
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_integer_dtype,
    is_numeric_dtype,
)

from adaptive.data.codes import id_text
from adaptive.data.mapping import ColumnMapping
from adaptive.data.refusals import RefusedCells, frame_refusal_hint
from adaptive.data.skill_lists import SKILL_LIST_MIN_ROWS, skill_separator_notes
from adaptive.data.times import (
    NAIVE_EXPECTED,
    RANGE_EXPECTED,
    naive_among_zoned,
    text_times,
    utc_ns,
)
from adaptive.dates import iso_timestamp
from adaptive.errors import DataNoteWarning, DataValidationError, Problem

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
      (`"g4.NS.1"` -> `("g4.NS.1",)`); a list becomes a tuple; a skill named twice is kept
      once (one answer is evidence of a skill once). Non-text entries (e.g. integer skill codes
      of a model) are an error.
    - `correct`: 0 or 1 as an `int`: a Python or numpy int or bool, or a float equal to 0 or 1.
      Text ("0", "false"), nan, 2, -1 or 1.5 are errors.
    - `timestamp`: None (no time: models with time windows use the current time), or a
      `pd.Timestamp`, `datetime`, `date`, `numpy.datetime64` or ISO 8601 text, normalised to a
      UTC-aware `pd.Timestamp` like a log's `timestamp` column (naive times are UTC). Text
      that is not ISO 8601 ("01/10/2024") is an error, as for `--now`; so are numbers: say
      their unit with `pd.Timestamp(x, unit="s")`.

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

    def to_dict(self) -> dict[str, object]:
        """The response as JSON-safe values (the time as ISO 8601 text, None where undated):
        what a service keeps beside a student's saved state, the recent answers a request
        passes as `batch_from_model(..., log=)`; `from_dict` reads it back, checked."""
        return {
            "student_id": self.student_id,
            "item_id": self.item_id,
            "skill_ids": list(self.skill_ids),
            "correct": self.correct,
            "timestamp": None if self.timestamp is None else self.timestamp.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> Response:
        """The `Response` that `to_dict` gave (checked as any `Response`; a field missing or
        unknown is a `DataValidationError` naming it)."""
        if not isinstance(d, Mapping):
            raise TypeError(
                f"Response.from_dict: expected a mapping (to_dict's), got {type(d).__name__}"
            )
        fields = ("student_id", "item_id", "skill_ids", "correct", "timestamp")
        unknown = sorted((k for k in d if k not in fields), key=str)  # any key, even not text
        missing = [f for f in fields[:4] if f not in d]
        if unknown or missing:
            problems = [_bad(str(f), d[f], "a field of Response.to_dict") for f in unknown]
            problems += [_bad(f, None, "present (Response.to_dict writes it)") for f in missing]
            raise DataValidationError(problems)
        return cls(**{f: d[f] for f in fields if f in d})  # type: ignore[arg-type]

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
    if len(k) > 1 and len(set(k)) < len(k):  # a skill named twice: one answer, counted once
        return False
    return t is None or (type(t) is pd.Timestamp and t.tzinfo is dt.UTC)


def _bad(column: str, value: object, expected: str) -> Problem:
    return Problem(RESPONSE_SOURCE, None, column, repr(value), expected)


def _response_id(value: object, column: str) -> str | Problem:
    """A trimmed non-empty id; integers (not bools) become their digits (`id_text`)."""
    text = id_text(value)
    return text if text is not None else _bad(column, value, "a non-empty text id (or an integer)")


def _response_skills(value: object) -> tuple[str, ...] | Problem:
    """A tuple of trimmed, non-empty skill ids; a plain string is one skill. A skill named
    twice is kept once (first place kept): one answer is evidence of a skill once, as in a
    file (`clean_skill_lists`)."""
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
    out_t = tuple(dict.fromkeys(out)) if len(out) > 1 else tuple(out)
    return value if type(value) is tuple and out_t == value else out_t


def _response_correct(value: object) -> int | Problem:
    """0 or 1 as an int, from an int, bool, numpy int/bool or a float equal to 0 or 1."""
    if type(value) is int and (value == 0 or value == 1):
        return value
    if isinstance(value, int | float | np.integer | np.floating | np.bool_) and value in (0, 1):
        return int(value)
    return _bad("correct", value, "0 or 1 (an int, a bool, or a float equal to 0 or 1; not text)")


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
    stamp = _as_timestamp(value)
    if stamp is not None:
        return _response_timestamp(stamp)
    return _bad(
        "timestamp",
        value,
        "None, a pd.Timestamp, datetime or ISO 8601 text such as 2024-09-01T08:30:00Z "
        "(year-month-day: a date such as 01/10/2024 is a different day in different countries)",
    )


def _as_timestamp(value: object) -> pd.Timestamp | None:
    """ISO 8601 text (the rule of `--now` and `--date`: "01/10/2024" is a different day in
    different countries), a `datetime`, `date` or `numpy.datetime64` as a Timestamp; else None."""
    if isinstance(value, str):
        return iso_timestamp(value)
    if isinstance(value, dt.date | np.datetime64):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            return None
        return None if stamp is pd.NaT else stamp
    return None


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

    def __repr__(self) -> str:
        """Counts and the source, never ids: the dataclass's own printed every array (a data
        scientist's `print(log)` filled the screen with student ids, which stay out of logs)."""
        times = "timestamps" if self.has_timestamps else "an order"
        return (
            f"ResponseLog({len(self):,} responses, {self.n_students:,} students, "
            f"{len(self.items):,} items, {len(self.skills):,} skills, {times}; "
            f"from {self.source})"
        )

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        source: str = "<memory>",
        *,
        skills_sep: str | None = None,
        notes: bool = True,
    ) -> ResponseLog:
        """Build a log from a frame in the canonical schema.

        `skill_ids` may hold lists/tuples of skill ids, an Arrow list column, or plain strings:
        one skill each, or several split at `skills_sep` (the file readers' `skills_sep`,
        `--skills-sep`: "7.RP.1|7.RP.2" with `skills_sep="|"`). Text skills that look like
        lists read as one (`skill_lists.skill_separator_notes`, from
        `SKILL_LIST_MIN_ROWS` rows on unless each part is a skill of the column) are said in a
        `DataNoteWarning` naming `skills_sep`, as a file's load report says them; `notes=False`
        says nothing (a caller that reads a request's rows per call, as MLflow serving does,
        and cannot pass `skills_sep`). `correct`: 0 and 1 (numbers, or text of them), or the
        words a file's reader takes ('TRUE' / 'false', any case: `RIGHT_WORDS`). The frame is
        sorted stably by student then time; its values are checked (the readers in
        `adaptive.data.io` report file positions; this check reports row labels).
        """
        if skills_sep is not None:
            where = "ResponseLog.from_frame"
            skills_sep = ColumnMapping.from_dict({"skills_sep": skills_sep}, where).skills_sep
        frame = _canonical_frame(frame, source, skills_sep, notes)
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
        list<string> column of trimmed ids, none twice in a response; `correct` 0/1; times
        datetime64[ns, UTC] without a missing one): what the readers in `adaptive.data.io`
        build, or a row subset of another log's `frame`. It skips the value checks and Python-object
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


def as_skill_list_column(values: pd.Series, skills_sep: str | None = None) -> pd.Series:
    """Coerce strings or list-likes into the canonical Arrow list<string> column, each list
    cleaned as a file's (`clean_skill_lists`: trimmed ids, no empty one, none twice); a
    string is split at `skills_sep` where one is given."""
    if isinstance(values.dtype, pd.ArrowDtype) and values.dtype.pyarrow_dtype == SKILL_LIST_TYPE:
        arr = pa.array(values, type=SKILL_LIST_TYPE)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
    else:
        lists = values.map(lambda value: _skill_list(value, skills_sep))
        arr = pa.array(lists.tolist(), type=SKILL_LIST_TYPE)
    arr = clean_skill_lists(arr)
    return pd.Series(arr, index=values.index, dtype=pd.ArrowDtype(SKILL_LIST_TYPE))


def clean_skill_lists(lists: pa.Array) -> pa.Array:
    """Each response's skills as the log keeps them: every id trimmed, empty ids (and null
    lists) dropped, and an id named twice in one list kept once, in its first place (one
    answer is evidence of a skill once, however the export wrote it). Vectorized; the search
    for repeats runs only when some list holds two skills or more, so a log of single-skill
    answers (the common case) pays nothing for it."""
    lists = lists.fill_null(pa.scalar([], type=lists.type))
    values = pc.utf8_trim_whitespace(pc.list_flatten(lists).fill_null(""))
    parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    keep = pc.not_equal(pc.utf8_length(values), 0).to_numpy(zero_copy_only=False)
    counts = np.bincount(parent[keep], minlength=len(lists))
    if len(counts) and counts.max() > 1:
        multi = np.flatnonzero(keep & (counts[parent] > 1))  # values of multi-skill lists
        picked = values if len(multi) == len(values) else values.take(pa.array(multi))
        repeated = _repeated_in_list(parent[multi], picked, int(counts.max()))
        if repeated.any():
            keep[multi[repeated]] = False
            counts = np.bincount(parent[keep], minlength=len(lists))
    offsets = np.zeros(len(lists) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    kept = values.filter(pa.array(keep)) if not keep.all() else values
    return pa.ListArray.from_arrays(pa.array(offsets), kept).cast(SKILL_LIST_TYPE)


def _repeated_in_list(parent: np.ndarray, values: pa.Array, longest: int) -> np.ndarray:
    """True for each value that its list already holds at an earlier place. `parent` (sorted)
    names each value's list; `longest` is the longest list. Short lists (a handful of skills,
    the usual multi-skill answer) compare each value with the few before it; longer ones hash
    (list, value) pairs."""
    codes = pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False)
    if longest > 8:
        key = parent.astype(np.int64) * (int(codes.max()) + 1) + codes
        return pd.Index(key).duplicated(keep="first")
    repeated = np.zeros(len(parent), dtype=bool)
    for back in range(1, longest):  # the value `back` places before, in the same list
        repeated[back:] |= (codes[back:] == codes[:-back]) & (parent[back:] == parent[:-back])
    return repeated


def _skill_list(value: object, skills_sep: str | None = None) -> list[str]:
    """One cell of a frame's `skill_ids` as a list of ids: a plain string is ONE skill (in a
    column that mixes strings and lists too, where iterating it would split it into letters),
    or its parts split at `skills_sep`; a list-like its entries as text, a number its digits
    (as a file's integer ids are read); a missing or blank cell no skill (reported as "at
    least one skill"), a missing entry of a list none."""
    if isinstance(value, str):
        if skills_sep is not None:
            return value.split(skills_sep)  # blank parts dropped by `clean_skill_lists`
        return [value] if value.strip() else []
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, list | tuple | np.ndarray | pd.Series):
        return [str(s) for s in value if not _missing_entry(s)]
    return [str(value)]


def _missing_entry(value: object) -> bool:
    """None or nan inside a list of skills: no skill (as a file's null entry), not "None"."""
    return value is None or (isinstance(value, float) and np.isnan(value))


#: The text of a right and of a wrong answer in a `correct` column, compared trimmed and in
#: lower case: a boolean column written out as text (TRUE / FALSE from a spreadsheet, True /
#: False from pandas) is read as the boolean it was, by the file readers
#: (`validate._check_correct`), `ResponseLog.from_frame` (`_frame_correct`) and the Spark
#: engine (`batch.spark_job._correct_number`).
RIGHT_WORDS = ("1", "1.0", "true")
WRONG_WORDS = ("0", "0.0", "false")


def among(word: pa.Array, words: Sequence[str]) -> np.ndarray:
    """Which cells of `word` (text) are one of `words`, as a numpy mask (null: none)."""
    found = pc.is_in(word, pa.array(list(words), pa.string()))
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


def _frame_correct(cells: pd.Series) -> pd.Series:
    """A frame's answers as numbers: numbers as they are, and text that is no number read as
    the file readers read it (`RIGHT_WORDS`, `WRONG_WORDS`: 'TRUE' / 'false' as 1 / 0); any
    other cell NaN, refused. Only the cells that are no number are read as words."""
    correct = pd.to_numeric(cells, errors="coerce")
    texts = correct.isna().to_numpy()  # a missing cell reads as null: no word, still NaN
    if texts.any():
        text = pa.array(cells[texts].astype("string"), pa.string())
        word = pc.utf8_lower(pc.utf8_trim_whitespace(text))
        read = np.where(among(word, RIGHT_WORDS), 1.0, np.nan)
        read[among(word, WRONG_WORDS)] = 0.0
        correct[texts] = read
    return correct


def _canonical_frame(
    frame: pd.DataFrame, source: str, skills_sep: str | None = None, notes: bool = True
) -> pd.DataFrame:
    """Check columns and values of an in-memory frame; coerce dtypes; warn with a note about
    text skills that look like lists (`_warn_skill_lists`) where `notes`."""
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
    out["student_id"] = _id_text(out["student_id"])
    out["item_id"] = _id_text(out["item_id"])
    out["skill_ids"] = as_skill_list_column(out["skill_ids"], skills_sep)
    correct = _frame_correct(out["correct"])
    bad = ~correct.isin([0, 1]).to_numpy()
    refused = RefusedCells(source=source)
    refused.add_rows(frame["correct"], bad, "correct", "0 or 1")
    refused.add_scores("correct", frame["correct"][bad & (correct >= 0).to_numpy()])
    for col in ("student_id", "item_id"):
        empty = (out[col].str.strip().eq("") | frame[col].isna()).to_numpy()
        refused.add_rows(out[col], empty, col, "a non-empty id", shown="")
    no_skill = (out["skill_ids"].list.len() == 0).to_numpy()
    refused.add_rows(out["skill_ids"], no_skill, "skill_ids", "at least one skill", shown="[]")
    time_col = "timestamp" if "timestamp" in out.columns else "order"
    read_time = _frame_times if time_col == "timestamp" else _frame_order
    times = read_time(out[time_col], refused)
    if refused.total:
        raise refused.error(frame_refusal_hint(refused, len(frame)))
    out["correct"] = correct.astype(np.int8)
    out[time_col] = times
    _reject_repeated_rows(out, source)
    if notes:
        _warn_skill_lists(frame["skill_ids"], out["skill_ids"], source, skills_sep)
    return out


def _warn_skill_lists(
    cells: pd.Series, lists: pd.Series, source: str, skills_sep: str | None
) -> None:
    """A `DataNoteWarning` naming `skills_sep` when a frame's text skills look like lists read
    as one skill ("7.RP.1|7.RP.2"): the file readers' note (`skill_separator_notes`), in the
    words of `from_frame`. Lists of skills given as lists are the caller's own split."""
    if infer_dtype(cells, skipna=True) != "string":
        return
    arr = pa.array(lists, type=SKILL_LIST_TYPE)
    notes = skill_separator_notes(
        arr,
        len(lists),
        "skill_ids",
        skills_sep,
        lambda sep: f"from_frame(..., skills_sep={sep!r})",
        min_rows=SKILL_LIST_MIN_ROWS,
    )
    for note in notes:
        warnings.warn(f"{source}: {note}", DataNoteWarning, stacklevel=4)


def _reject_repeated_rows(frame: pd.DataFrame, source: str) -> None:
    """A row that repeats an earlier row whole (same student, item, time of day, answer and
    skills: an export written twice) is an error naming both row labels, as the file readers'
    (`validate.reject_repeated_rows`). With dates only such a repeat is a second attempt of
    the day, kept."""
    if "timestamp" not in frame.columns or len(frame) < 2:
        return
    time = frame["timestamp"]
    if (time == time.dt.normalize()).all():
        return
    skills = frame["skill_ids"].map(lambda ids: "\x1f".join(sorted(ids)))  # a set
    whole = pd.DataFrame({"s": frame["student_id"], "i": frame["item_id"], "t": time,
                          "c": frame["correct"], "k": skills})  # fmt: skip
    copies = np.flatnonzero(whole.duplicated().to_numpy())
    if len(copies) == 0:
        return
    first = whole.groupby(list(whole.columns), sort=False).ngroup().to_numpy()
    label_of = {g: frame.index[i] for i, g in reversed(list(enumerate(first)))}
    raise DataValidationError(
        [
            Problem(
                source,
                None,
                "timestamp",
                str(time.iloc[i]),
                f"a row that does not repeat row label {label_of[first[i]]} (same student, "
                "item, time, answer and skills: a duplicated row)",
                f"row label {frame.index[i]}",
            )  # fmt: skip
            for i in copies[: DataValidationError.MAX_LISTED]
        ],
        total=len(copies),
    )


def _id_text(values: pd.Series) -> pd.Series:
    """An id column as trimmed text, as `Response` and the file readers read ids: a float
    column of whole numbers (pandas' integers beside a missing value) gives "123", not
    "123.0", and " stu010" is "stu010". A missing id stays missing (reported by the caller)."""
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.dropna()
        if (whole == np.floor(whole)).all():
            values = values.astype("Int64")
    text = values.astype(str).str.strip().where(values.notna(), "")
    # "14.0" text read as the readers read it (one rule: `whole_floats_as_integers`)
    ids = whole_floats_as_integers(pa.array(text.to_numpy(object), type=pa.string()))
    return pd.Series(ids.to_numpy(zero_copy_only=False), index=values.index).where(values.notna())


#: `infer_dtype` kinds of a column of numbers (object columns too).
_NUMBER_KINDS = frozenset(
    {"integer", "floating", "mixed-integer-float", "decimal", "boolean", "complex"}
)
#: `infer_dtype` kinds of a column of date-time objects (no text, no numbers).
_DATE_KINDS = frozenset({"datetime", "datetime64", "date"})
NUMBER_TIMES_EXPECTED = (
    "a date-time, not a number (its unit is a guess): convert with "
    "pd.to_datetime(frame['timestamp'], unit='s') (or 'ms'); an integer order goes in an "
    "'order' column"
)
TEXT_TIMES_EXPECTED = (
    "an ISO 8601 date or date-time such as 2024-09-01T08:30:00Z (year-month-day: a date such "
    "as 01/10/2024 is a different day in different countries; naive times are UTC)"
)
MISSING_TIME_EXPECTED = "a time for every response (or an 'order' column instead of times)"


def _frame_times(values: pd.Series, refused: RefusedCells) -> pd.Series | None:
    """A frame's `timestamp` column as datetime64[ns, UTC], read with the rules of `Response`
    and the file readers (`adaptive.data.times`): a date-time column of any unit (naive is
    UTC), ISO 8601 text (dates, date-times, offsets, mixed precisions), date-time objects.
    Numbers are an error (seconds or nanoseconds is a guess), and so is a missing time (it
    would sort as the earliest time of all), each added to `refused`. Vectorized, unless the
    column mixes kinds."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if is_numeric_dtype(values.dtype) and not values.notna().any():  # no number: all missing
        values = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if is_datetime64_any_dtype(values.dtype):  # numpy or Arrow date-times and dates
        stamps, outside = utc_ns(pd.to_datetime(values, utc=True))
        _time_problems(values, stamps, outside, np.zeros(len(values), bool), refused)
        return stamps
    kind = "numbers" if is_numeric_dtype(values.dtype) else infer_dtype(values, skipna=True)
    if kind == "numbers" or kind in _NUMBER_KINDS:
        shown = f"numbers of dtype {values.dtype} (such as {values.dropna().iloc[0]})"
        refused.add_one(Problem(refused.source, None, "timestamp", shown, NUMBER_TIMES_EXPECTED))
        return None
    if kind in ("string", "empty"):
        text = values.astype(object).where(values.notna())
        stamps, outside = text_times(text.str.strip())
        naive = naive_among_zoned(text) & stamps.notna().to_numpy()
        _time_problems(values, stamps, outside, values.notna().to_numpy(), refused)
        refused.add_rows(values, naive, "timestamp", NAIVE_EXPECTED)
        return stamps
    if kind in _DATE_KINDS:
        stamps, outside = utc_ns(pd.to_datetime(values, utc=True, errors="coerce"))
        _time_problems(values, stamps, outside, np.zeros(len(values), bool), refused)
        return stamps
    return _mixed_times(values, refused)


def _mixed_times(values: pd.Series, refused: RefusedCells) -> pd.Series:
    """`_frame_times` of an object column that mixes text, date-time objects, numbers or other
    values: each value is sorted by its type (one pass in Python), then read as above."""
    objs = values.to_numpy(dtype=object)
    missing = values.isna().to_numpy()
    is_text = np.fromiter((isinstance(v, str) for v in objs), bool, len(objs))
    is_number = ~missing & np.fromiter(
        (isinstance(v, int | float | complex | np.number) for v in objs), bool, len(objs)
    )
    other = ~(missing | is_text | is_number)
    ns = np.full(len(objs), np.datetime64("NaT"), dtype="datetime64[ns]")
    outside = np.zeros(len(objs), dtype=bool)
    text_stamps, outside[is_text] = text_times(pd.Series(objs[is_text], dtype=object).str.strip())
    ns[is_text] = text_stamps.to_numpy("datetime64[ns]")
    objects = pd.Series([_as_timestamp(v) for v in objs[other]], dtype=object)
    obj_stamps, outside[other] = utc_ns(pd.to_datetime(objects, utc=True))
    ns[other] = obj_stamps.to_numpy("datetime64[ns]")
    stamps = pd.Series(ns, index=values.index).dt.tz_localize("UTC")
    _time_problems(values, stamps, outside, is_text, refused, is_number)
    return stamps


def _time_problems(
    values: pd.Series,
    stamps: pd.Series,
    outside: np.ndarray,
    is_text: np.ndarray,
    refused: RefusedCells,
    is_number: np.ndarray | None = None,
) -> None:
    """The rows of a frame's time column that were not read, added to `refused` by reason:
    missing, a number, text that is not ISO 8601, another value that is no date-time, a
    date-time out of the nanosecond range."""
    missing = values.isna().to_numpy()
    number = np.zeros(len(values), bool) if is_number is None else is_number
    unread = stamps.isna().to_numpy() & ~missing & ~outside & ~number
    refused.add_rows(values, missing, "timestamp", MISSING_TIME_EXPECTED)
    refused.add_rows(values, number, "timestamp", NUMBER_TIMES_EXPECTED)
    refused.add_rows(values, unread & is_text, "timestamp", TEXT_TIMES_EXPECTED)
    refused.add_rows(values, unread & ~is_text, "timestamp", "a date-time")
    refused.add_rows(values, outside, "timestamp", RANGE_EXPECTED)


def _frame_order(values: pd.Series, refused: RefusedCells) -> pd.Series:
    """A frame's `order` column as int64: whole numbers (or their text); a missing or
    fractional value is an error (added to `refused`), never truncated or cast to a
    wrapped-around integer."""
    if is_integer_dtype(values.dtype) and not values.isna().any():
        return values.astype(np.int64)
    if is_bool_dtype(values.dtype) or is_datetime64_any_dtype(values.dtype):
        nums = pd.Series(np.nan, index=values.index)
    else:
        nums = pd.to_numeric(values, errors="coerce")
    floats = nums.to_numpy(dtype=np.float64, na_value=np.nan)
    whole = np.isfinite(floats) & (floats == np.round(floats)) & (np.abs(floats) < 2**63)
    if whole.all():
        return nums.astype(np.int64)
    expected = "a whole number (an integer order); times go in a 'timestamp' column"
    refused.add_rows(values, ~whole, "order", expected)
    return nums


def whole_floats_as_integers(text: pa.Array) -> pa.Array:
    """A text column whose every value is a whole number written as a float ("14.0": pandas
    writes an id column with a gap that way) read as the integers, as the same column's numbers
    read from Parquet or a frame are: else "14.0" in the log and "14" in the roster are two
    students."""
    sample = text.slice(0, 1000)  # a column of ids that is not all whole floats shows it early
    sample = sample.filter(pc.not_equal(pc.utf8_length(sample), 0))
    if len(sample) == 0 or not pc.all(pc.match_substring_regex(sample, WHOLE_FLOAT)).as_py():
        return text
    filled = pc.not_equal(pc.utf8_length(text), 0)
    floats = pc.match_substring_regex(text, WHOLE_FLOAT)
    if not pc.all(pc.or_(floats, pc.invert(filled))).as_py():
        return text
    return pc.replace_substring_regex(text, r"\.0+$", "")


#: A whole number written as a float ("14.0", "-3.00"): a pattern that Arrow's (RE2) and Java's
#: regular expressions (the Spark engine's, `batch.spark_job._id_text`) read alike.
WHOLE_FLOAT = r"^[+-]?[0-9]+\.0+$"
