"""Plain records (catalog skills and activities, learner profiles) read from JSON, checked.

A district writes these files by hand or exports them from another system, so every value is
checked against its field's type before a dataclass is built: a grade of "four", interests given
as a list or a difficulty of "hard" is one `RecordError` naming the record, the field, the value
and what was expected, never an error deep in the scoring or a value silently misread. A field
named `grade` is read by `adaptive.grades` ("K" is 0, "05" is 5).

    profile = from_record(LearnerProfile, {"student_id": "s1", "grade": 4}, "profile")
    to_record(profile)  # the JSON form back: {"student_id": "s1", "grade": 4, ...}
"""

from __future__ import annotations

import functools
import math
import numbers
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, Literal, TypeVar

from adaptive.data.codes import id_text
from adaptive.errors import ConfigError
from adaptive.grades import GRADE_EXPECTED, to_grade

T = TypeVar("T")


class RecordError(ConfigError, TypeError):
    """A record's keys or values do not fit its type (a `TypeError` too, so readers that add
    the file and line to a `TypeError` add them here)."""


def from_record(
    cls: type[T], record: Any, where: str, labels: Mapping[str, str] | None = None
) -> T:
    """`cls(**record)` after checking that `record` is an object with the required keys, no
    unknown ones, and values of each field's type (ints for floats and lists for tuples are
    converted); a `RecordError` lists every problem, each value named by its field, or by its
    `labels` entry where given (a table's own column: "column 'Grade Level' (grade)")."""
    labels = labels or {}
    if not isinstance(record, dict):
        raise RecordError(f"{where}: got {_shown(record)}; expected an object of fields")
    checks = _checks_of(cls)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in record.items():
        check = checks.get(name)
        if check is None:
            problems.append(f"unknown field {name!r}")
            continue
        ok, converted = check.convert(value)
        if ok:
            values[name] = converted
        else:
            problems.append(
                f"{labels.get(name, name)} = {_shown(value)} (expected {check.expected})"
            )
    missing = [n for n, c in checks.items() if c.required and n not in record]
    problems += [f"missing field {n!r}" for n in missing]
    if problems:
        raise RecordError(f"{where}: {'; '.join(problems)}")
    try:
        return cls(**values)
    except ConfigError as exc:  # the class's own checks (a range, a rule): named by `where` too
        raise RecordError(f"{where}: {exc}") from exc


@dataclass(frozen=True)
class _Check:
    """How one field's value is checked and converted (built once per record class)."""

    convert: Callable[[Any], tuple[bool, Any]]
    expected: str
    required: bool


def to_record(record: Any) -> dict[str, Any]:
    """A record's JSON form: its fields by name, tuples as lists, dicts copied. The records'
    fields are flat (text, numbers, tuples of text, a table of numbers), so this is
    `dataclasses.asdict` without its deep copy: the nightly job turns its catalog into JSON
    every night for its fingerprint (2,000 activities: 0.15 s with `asdict`, 0.008 s here)."""
    return {
        name: list(v) if isinstance(v, tuple) else dict(v) if isinstance(v, dict) else v
        for name, v in ((f.name, getattr(record, f.name)) for f in _fields(type(record)))
    }


@functools.cache
def _fields(cls: type) -> tuple:
    return fields(cls)


@functools.cache
def _checks_of(cls: type) -> dict[str, _Check]:
    """Each field's check, once per record class: resolving type hints per record costs about
    a millisecond (the nightly job reads every profile each night)."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in fields(cls):
        convert, expected = _converter(hints[f.name])
        required = f.default is MISSING and f.default_factory is MISSING
        if f.name == "grade":  # "K", "05" and 4.0 are grades; "fourth" and 4.5 are not
            convert, expected = to_grade, GRADE_EXPECTED + ("" if required else " or null")
        if f.name == "id" or f.name.endswith("_id"):
            convert = _non_empty_id(convert)
            expected = 'a non-empty id: text or an integer, 12 or "12", not 12.0' + (
                "" if required else " or null"
            )
        out[f.name] = _Check(convert, expected, required)
    return out


def _converter(hint: Any) -> tuple[Callable[[Any], tuple[bool, Any]], str]:
    """(value -> (fits, converted value), what is expected) for a type hint."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner, expected = _converter(next(a for a in args if a is not type(None)))
        return (lambda v: (True, None) if v is None else inner(v)), f"{expected} or null"
    if origin is Literal:
        return (lambda v: (v in args, v)), f"one of {list(args)}"
    if origin is tuple:
        return _text_tuple, "a list of text ids"
    if origin is dict:
        return _number_table, "an object of numbers (or a list of names, each weighing 1)"
    simple = {bool: (_boolean, "true or false"), int: (_whole, "a whole number"),
              float: (_number, "a number"), str: (_text, "text")}  # fmt: skip
    return simple.get(hint, (lambda v: (True, v), str(hint)))


def _id_text(value: Any) -> Any:
    """A whole number given for an id read as its text (`"id": 12` is "12", as
    `Response(123, ...)` and `LearnerProfile(123)` read it: `codes.id_text`); text, and
    anything else, as is (a bool, a float or a list stays refused by the field's check)."""
    if isinstance(value, str):
        return value
    text = id_text(value)
    return value if text is None else text


def _non_empty_id(convert: Callable[[Any], tuple[bool, Any]]) -> Callable[[Any], tuple[bool, Any]]:
    def check(value: Any) -> tuple[bool, Any]:
        ok, converted = convert(_id_text(value))
        if ok and converted is not None:
            ok = isinstance(converted, str) and converted.strip() != ""
        return ok, converted

    return check


def _text(v: Any) -> tuple[bool, Any]:
    return isinstance(v, str), v


def _boolean(v: Any) -> tuple[bool, Any]:
    return isinstance(v, bool), v


def _number(v: Any) -> tuple[bool, Any]:
    return (True, float(v)) if _is_number(v) else (False, v)


def _whole(v: Any) -> tuple[bool, Any]:
    return (True, int(v)) if _is_number(v) and float(v).is_integer() else (False, v)


def _text_tuple(v: Any) -> tuple[bool, Any]:
    """A list of text ids (whole numbers read as text: `"prerequisites": [12]` is ("12",))."""
    if isinstance(v, list | tuple):
        ids = tuple(_id_text(x) for x in v)
        if all(isinstance(x, str) for x in ids):
            return True, ids
    return False, v


def _number_table(v: Any) -> tuple[bool, Any]:
    """{name: number}, or a list of names each weighing 1 (as a roster's `music` without a
    weight: the one table of records, a profile's interests)."""
    if isinstance(v, dict) and all(_is_number(x) for x in v.values()):
        return True, {str(k): float(x) for k, x in v.items()}
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return True, dict.fromkeys(v, 1.0)
    return False, v


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Range:
    """The valid values of a numeric knob: finite, and within [low, high] where an end is given
    (an open end excludes the bound itself). NaN and infinities are never valid: a NaN weight
    or width turns every score into NaN without a word."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    what: str = "a finite number"  # as an error says it: "expected a probability in (0, 1)"

    whole: bool = False  # a whole number only (an int, not a bool, not 3.0 from a text)

    def admits(self, value: object) -> bool:
        """Whether `value` is a number (a whole one where `whole`) within the range."""
        kind = numbers.Integral if self.whole else numbers.Real
        if not isinstance(value, kind) or isinstance(value, bool):
            return False
        v = float(value)
        if not math.isfinite(v):
            return False
        if self.low is not None and (v <= self.low if self.low_open else v < self.low):
            return False
        return self.high is None or (v < self.high if self.high_open else v <= self.high)

    def __str__(self) -> str:
        low, high = self.low, self.high
        if low is not None and high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"in {left}{low:g}, {high:g}{right}"
        if low is not None:
            return f"{'>' if self.low_open else '>='} {low:g}"
        if high is not None:
            return f"{'<' if self.high_open else '<='} {high:g}"
        return "(any sign)"
