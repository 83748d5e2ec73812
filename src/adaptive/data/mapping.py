"""How a source file's columns and quirks map onto the canonical response-log schema.

A mapping is plain data (a dict from a dataset descriptor `NAME.toml`, overridden by
the CLI's column flags from `adaptive.cli.options.column_mapping`). `ColumnMapping.from_dict`
checks it once, at the boundary, so readers never meet an unknown key or a wrong type.

Keys (all optional; unset ones fall back to the canonical column names):

- `student_id`, `item_id`, `skill_ids`, `correct`: source column names. `student_id` may be a
  list of columns joined with "-" (Statics 2011 has no student ids: `["dkvmn_split", "seq_no"]`).
- `time`: a timestamp column or an integer order column; absent -> the canonical `timestamp`,
  `time` or `order` column if the file has one (in that order), else file order.
- `time_kind`: `"auto"` (integers -> order, anything else -> timestamps), `"timestamp"`,
  `"order"` or `"file"` (ignore any time column and use file order). Integers are never read
  as times unless `time_unit` says what they count.
- `time_format`: a `strptime` format for text timestamps (default ISO 8601), e.g. `"%d/%m/%Y"`
  or `"%Y%m%d"` (then digits are dates, not an order); naive times are UTC, `%z` reads each
  time's offset (`"%d/%m/%Y %H:%M %z"`). Given without a time column it is an error.
- `time_unit`: `"s"`, `"ms"`, `"us"` or `"ns"`: the time column holds epoch numbers (integers or
  decimals) in that unit since 1970-01-01 UTC; implies `time_kind = "timestamp"`.
- `encoding`: the text encoding of a CSV/TSV file (default UTF-8, with or without a BOM), e.g.
  `"cp1252"` for a Windows spreadsheet's export; any encoding Python knows.
- `sep`: field delimiter (default by extension: `.tsv`/`.tab` -> tab, else comma, or a tab or a
  semicolon when the header line holds those and no commas); `skills_sep`: separator between
  skills in one cell (without it a cell "k1;k2" is ONE skill; the load report notes a text
  column where 5 % of the rows or more hold ';', ',', '|', '~' or '+', naming this key).
- `correct_values`, `incorrect_values` (`--correct-values`, `--incorrect-values`): the words
  an export writes for a right and a wrong answer ("Correct" / "Incorrect", "yes" / "no"),
  compared without case; both or neither. 0 / 1 and true / false are always read (0 and 1 by
  value: 1.00 too, and 1,0 as a decimal comma in a Parquet cell or a file separated by ';' or
  tabs, where it cannot be two fields).
- `correct_threshold` (`--correct-threshold`): the column holds scores (partial credit: 0.5,
  or points out of 100); a score at or above the threshold reads as a right answer, below as a
  wrong one (a decimal comma, "0,5", is read as a point, in the option, in a Parquet cell and in
  a file separated by ';' or tabs). Without it, a score other than 0 or 1 is an error that
  names this option.
- `max_score` (`--max-score-col`): a column giving each row's maximum score (points out of 1,
  2 or 3 items: `points_possible`); an answer is right when score / maximum >= the threshold,
  which is then a fraction of the maximum in (0, 1] (default 0.5: half the points or more). A
  maximum that is not a number above 0, or below the row's score, is an error naming the row.
- `duration_s`, `attempt`, `school_id`, `class_id`: optional columns.
- `merge_skill_rows` (`--merge-skill-rows`): consecutive rows of one student with the same item
  and correctness and a different skill are ONE response tagged with several skills
  (ASSISTments 2009); with timestamps, consecutive in time order (the same instant), so a
  shuffled file merges too (with dates only, the k-th row of each skill on a day belongs to
  the day's k-th attempt). Without it such rows are an error that names this option. A copy
  of a row (its skill too) is never merged: with times of day it is a duplicated row.
- `skills_from`: `{file, item, skill}`, a Q-matrix edge list giving each item's skills; the log's
  own skill column is then ignored (the Gervet et al. splits index skill combinations).
- Row order: with timestamps, each student's rows are sorted by time (stable: rows with the same
  time keep their file order), so a file need not be sorted. An integer order column must
  already be in order within each student (a row whose order is below an earlier row's is an
  error), unless `allow_unsorted` is true: then the rows are sorted by that column too.
  `require_sorted` asks for the strict check for timestamps as well (rows of a student in
  non-decreasing time order in the file). File order (no time column) is always in order.
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adaptive.errors import ConfigError, unknown_keys

CANONICAL_DEFAULTS = {
    "student_id": "student_id",
    "item_id": "item_id",
    "skill_ids": "skill_ids",
    "correct": "correct",
}
OPTIONAL_FIELDS = ("duration_s", "attempt", "school_id", "class_id")
TIME_KINDS = ("auto", "timestamp", "order", "file")
TIME_UNITS = ("s", "ms", "us", "ns")
_STR_KEYS = (
    "item_id", "skill_ids", "correct", "time", "time_format", "time_unit", "sep", "skills_sep",
    "encoding", "max_score",
)  # fmt: skip
_KNOWN_KEYS = {
    *CANONICAL_DEFAULTS,
    "correct_values",
    "incorrect_values",
    "correct_threshold",
    "max_score",
    *OPTIONAL_FIELDS,
    "time",
    "time_kind",
    "time_format",
    "time_unit",
    "sep",
    "skills_sep",
    "encoding",
    "merge_skill_rows",
    "skills_from",
    "allow_unsorted",
    "require_sorted",
}


def _time_kind(mapping: Mapping[str, Any], where: str) -> str:
    """The checked `time_kind`: `time_format` or `time_unit` make it "timestamp" (and contradict
    "order" or "file"); the two cannot be combined (text dates or epoch numbers, not both)."""
    kind = mapping.get("time_kind", "auto")
    if kind not in TIME_KINDS:
        raise ConfigError(f"{where}: 'time_kind' must be one of {', '.join(TIME_KINDS)}")
    unit, fmt = mapping.get("time_unit"), mapping.get("time_format")
    if unit is not None and unit not in TIME_UNITS:
        raise ConfigError(
            f"{where}: 'time_unit' must be one of {', '.join(TIME_UNITS)} (epoch seconds, "
            f"milliseconds, microseconds, nanoseconds), got {unit!r}"
        )
    if unit is not None and fmt is not None:
        raise ConfigError(
            f"{where}: give 'time_format' (text dates) or 'time_unit' (epoch numbers), not both"
        )
    if fmt == "":
        raise ConfigError(f"{where}: 'time_format' must not be empty")
    if fmt is not None:
        _check_time_format(fmt, where)
    given = "time_unit" if unit is not None else "time_format" if fmt is not None else None
    if given is None:
        return kind
    if kind in ("order", "file"):
        raise ConfigError(f"{where}: '{given}' reads the time column as timestamps; "
                          f"time_kind = {kind!r} contradicts it")  # fmt: skip
    return "timestamp"


@dataclass(frozen=True)
class SkillsFrom:
    """A Q-matrix edge list (`file` with columns `item` and `skill`) giving each item's skills."""

    file: str
    item: str = "item_id"
    skill: str = "skill_id"


@dataclass(frozen=True)
class ColumnMapping:
    """A checked mapping from source columns to the canonical schema (see the module docstring)."""

    student_id: tuple[str, ...] = ("student_id",)
    item_id: str = "item_id"
    skill_ids: str = "skill_ids"
    correct: str = "correct"
    time: str | None = None
    time_kind: str = "auto"
    time_format: str | None = None
    time_unit: str | None = None
    sep: str | None = None
    skills_sep: str | None = None
    encoding: str | None = None  # of a CSV/TSV file; None: UTF-8
    optional: dict[str, str] = field(default_factory=dict)
    merge_skill_rows: bool = False
    skills_from: SkillsFrom | None = None
    allow_unsorted: bool = False
    require_sorted: bool = False
    correct_values: tuple[str, ...] = ()  # words read as 1 (lower case)
    incorrect_values: tuple[str, ...] = ()  # words read as 0 (lower case)
    correct_threshold: float | None = None  # a score >= it reads as 1 (partial credit)
    #: each row's maximum score: the threshold is then a fraction of it (score / max >= T)
    max_score: str | None = None

    @classmethod
    def from_dict(
        cls, mapping: Mapping[str, Any] | None, where: str = "column mapping"
    ) -> ColumnMapping:
        """Check a mapping dict (descriptor `[columns]` + options + CLI overrides)."""
        mapping = dict(mapping or {})
        unknown = sorted(set(mapping) - _KNOWN_KEYS)
        if unknown:
            raise ConfigError(f"{where}: {unknown_keys(unknown, sorted(_KNOWN_KEYS))}")
        for key in _STR_KEYS:
            if key in mapping and not isinstance(mapping[key], str):
                raise ConfigError(f"{where}: '{key}' must be a string, got {mapping[key]!r}")
        for key in ("sep", "skills_sep"):
            if mapping.get(key) == "":
                raise ConfigError(f"{where}: '{key}' must not be empty")
            if mapping.get(key) in ("\\t", "tab", "TAB"):  # as typed on a command line
                mapping[key] = "\t"
        if mapping.get("sep") is not None and len(mapping["sep"]) != 1:
            raise ConfigError(f"{where}: 'sep' must be one character, got {mapping['sep']!r}")
        _check_encoding(mapping.get("encoding"), where)
        student = mapping.get("student_id", "student_id")
        if isinstance(student, str):
            student = (student,)
        elif not (
            isinstance(student, list | tuple)
            and student
            and all(isinstance(s, str) for s in student)
        ):
            raise ConfigError(f"{where}: 'student_id' must be a column name or a list of them")
        time_kind = _time_kind(mapping, where)
        correct_values, incorrect_values = _answer_words(mapping, where)
        threshold = _correct_threshold(mapping.get("correct_threshold"), where)
        if mapping.get("max_score") is not None:
            threshold = _fraction_threshold(threshold, where)
        optional = {}
        for key in OPTIONAL_FIELDS:
            if key in mapping:
                if not isinstance(mapping[key], str):
                    raise ConfigError(f"{where}: '{key}' must be a column name")
                optional[key] = mapping[key]
        for key in ("merge_skill_rows", "allow_unsorted", "require_sorted"):
            if not isinstance(mapping.get(key, False), bool):
                raise ConfigError(f"{where}: '{key}' must be true or false")
        if mapping.get("allow_unsorted") and mapping.get("require_sorted"):
            raise ConfigError(
                f"{where}: 'allow_unsorted' and 'require_sorted' contradict each other; give one"
            )
        skills_from = mapping.get("skills_from")
        if skills_from is not None:
            if not isinstance(skills_from, Mapping) or "file" not in skills_from:
                raise ConfigError(
                    f"{where}: 'skills_from' must be a table with 'file', 'item', 'skill'"
                )
            extra = sorted(set(skills_from) - {"file", "item", "skill"})
            if extra:
                raise ConfigError(
                    f"{where}: 'skills_from': {unknown_keys(extra, ['file', 'item', 'skill'])}"
                )
            skills_from = SkillsFrom(**{k: str(v) for k, v in skills_from.items()})
        _check_one_field_per_column(mapping, tuple(student), optional, where)
        return cls(
            student_id=tuple(student),
            item_id=mapping.get("item_id", "item_id"),
            skill_ids=mapping.get("skill_ids", "skill_ids"),
            correct=mapping.get("correct", "correct"),
            time=mapping.get("time"),
            time_kind=time_kind,
            time_format=mapping.get("time_format"),
            time_unit=mapping.get("time_unit"),
            sep=mapping.get("sep"),
            skills_sep=mapping.get("skills_sep"),
            encoding=mapping.get("encoding"),
            optional=optional,
            merge_skill_rows=mapping.get("merge_skill_rows", False),
            skills_from=skills_from,
            allow_unsorted=mapping.get("allow_unsorted", False),
            require_sorted=mapping.get("require_sorted", False),
            correct_values=correct_values,
            incorrect_values=incorrect_values,
            correct_threshold=threshold,
            max_score=mapping.get("max_score"),
        )

    def required_sources(self) -> dict[str, list[str]]:
        """Canonical field -> the source columns it needs (skills only without a Q-matrix)."""
        needed = {
            "student_id": list(self.student_id),
            "item_id": [self.item_id],
            "correct": [self.correct],
        }
        if self.max_score is not None:
            needed["max_score"] = [self.max_score]
        if self.skills_from is None:
            needed["skill_ids"] = [self.skill_ids]
        return needed


def _check_one_field_per_column(
    mapping: Mapping[str, Any], student: tuple[str, ...], optional: dict[str, str], where: str
) -> None:
    """One column read as two fields (`--student-col Item --item-col Item`: every response
    its own student) is a slip: refused, naming both. An item's column may also be its skill's
    (each item its own skill)."""
    roles = [("student_id", c) for c in student]
    roles += [(key, mapping.get(key, key)) for key in ("item_id", "correct")]
    roles += [("time", mapping["time"])] if mapping.get("time") else []
    roles += [("max_score", mapping["max_score"])] if mapping.get("max_score") else []
    roles += list(optional.items())
    skills = mapping.get("skills_from") is None and mapping.get("skill_ids", "skill_ids")
    seen: dict[str, str] = {}
    for role, column in [*roles, *([("skill_ids", skills)] if skills else [])]:
        other = seen.get(column)
        if other is not None and {other, role} != {"item_id", "skill_ids"}:
            raise ConfigError(
                f"{where}: column {column!r} is given for both {other} and {role}; expected "
                "one column per field (an item's column may also name its skill)"
            )
        seen.setdefault(column, role)


#: Why the words of a right and a wrong answer may overlap when given as text: the comma splits.
SPLIT_WORDS_HINT = (
    " (the words are split on commas: '1,0' is the two words 1 and 0; a word holding a comma "
    "goes in a list, mapping={'correct_values': ['1,0'], ...}. Numbers need no words: 0 and 1 "
    "are always read, as 1.0 too, and as 1,0 (a decimal comma) in a Parquet cell or a file "
    "separated by ';' or tabs)"
)


def _answer_words(mapping: Mapping[str, Any], where: str) -> tuple[tuple[str, ...], ...]:
    """(`correct_values`, `incorrect_values`) as lower-case words: given as a list or as one
    comma-separated string (a command line), both or neither, none in both."""
    words, split = [], False
    for key in ("correct_values", "incorrect_values"):
        value = mapping.get(key, ())
        if isinstance(value, str):
            split |= "," in value
            value = value.split(",")
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: '{key}' must be words such as 'Correct,Right'")
        words.append(tuple(dict.fromkeys(v.strip().lower() for v in value if v.strip())))
    right, wrong = words
    if bool(right) != bool(wrong):
        raise ConfigError(
            f"{where}: give both correct_values and incorrect_values (--correct-values and "
            "--incorrect-values): the words for a right answer and for a wrong one"
        )
    both = sorted(set(right) & set(wrong))
    if both:
        raise ConfigError(
            f"{where}: {', '.join(both)} is both a correct and an incorrect value"
            + (SPLIT_WORDS_HINT if split else "")
        )
    return right, wrong


def _correct_threshold(value: Any, where: str) -> float | None:
    """The partial-credit threshold as a finite number (a command line gives text)."""
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+,\d+\s*", value):
        value = value.replace(",", ".")  # a decimal comma, as typed in many locales: 0,5
    try:
        threshold = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        threshold = float("nan")
    if not math.isfinite(threshold):
        raise ConfigError(
            f"{where}: correct_threshold must be a number such as 0.5 (a score at or above it "
            f"reads as a right answer), got {value!r}{_percent_threshold_hint(value)}"
        )
    return threshold


#: The threshold a `max_score` column reads answers with unless one is given: half the points.
MAX_SCORE_THRESHOLD = 0.5


def _percent_threshold_hint(value: Any) -> str:
    """For a threshold written as a percentage ("67%"), the two numbers it may mean: a fraction
    of full marks (0.67) and a percentage on a column of percentages (67)."""
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*%\s*", value) if isinstance(value, str) else None
    if match is None:
        return ""
    number = float(match.group(1).replace(",", "."))
    return (
        f": without the % sign, {number / 100:g} for scores that are fractions (0 to 1, or "
        f"with max_score) or {number:g} for a column of percentages (0 to 100)"
    )


def _fraction_threshold(threshold: float | None, where: str) -> float:
    """With `max_score` the threshold is a fraction of each row's maximum, in (0, 1]; default
    `MAX_SCORE_THRESHOLD`. A threshold in points (1.5) would read every 1-of-1 answer wrong."""
    if threshold is None:
        return MAX_SCORE_THRESHOLD
    if not 0 < threshold <= 1:
        raise ConfigError(
            f"{where}: with max_score (--max-score-col) correct_threshold is a fraction of each "
            f"row's maximum, above 0 and at most 1 (0.5: half the points or more), got "
            f"{threshold:g}"
        )
    return threshold


def _check_encoding(encoding: str | None, where: str) -> None:
    """A text encoding Python knows (`cp1252`, `latin-1`), refused before any row is read."""
    if encoding is None:
        return
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(
            f"{where}: encoding {encoding!r} is not a text encoding; e.g. 'cp1252' (a Windows "
            "spreadsheet's export), 'latin-1' or 'utf-8'"
        ) from None


def _check_time_format(fmt: str, where: str) -> None:
    """A `strptime` format must parse what it writes: a bad directive (`%Q`) or a format with
    no directive at all is refused here, before any row is read. The sample time has a UTC
    offset, so a format with `%z` or `%Z` writes one and reads it back."""
    sample = dt.datetime(2024, 9, 1, 8, 30, 5, tzinfo=dt.UTC)
    try:
        dt.datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as exc:
        raise ConfigError(
            f"{where}: time_format {fmt!r} is not a strptime format ({exc}); e.g. '%d/%m/%Y' "
            "or '%Y-%m-%d %H:%M'"
        ) from exc
    if "%" not in fmt:
        raise ConfigError(f"{where}: time_format {fmt!r} has no directive (e.g. '%d/%m/%Y')")
