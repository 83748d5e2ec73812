"""Plain records (catalog skills and activities, learner profiles) read from JSON, checked.

A district writes these files by hand or exports them from another system, so every value is
checked against its field's type before a dataclass is built: a grade of "four", interests given
as a list or a difficulty of "hard" is one `RecordError` naming the record, the field, the value
and what was expected, never an error deep in the scoring or a value silently misread.

    profile = from_record(LearnerProfile, {"student_id": "s1", "grade": 4}, "profile")
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import MISSING, fields
from typing import Any, Literal, TypeVar

from adaptive.errors import ConfigError

T = TypeVar("T")


class RecordError(ConfigError, TypeError):
    """A record's keys or values do not fit its type (a `TypeError` too, so readers that add
    the file and line to a `TypeError` add them here)."""


def from_record(cls: type[T], record: Any, where: str) -> T:
    """`cls(**record)` after checking that `record` is an object with the required keys, no
    unknown ones, and values of each field's type (ints for floats and lists for tuples are
    converted); a `RecordError` lists every problem."""
    if not isinstance(record, dict):
        raise RecordError(f"{where}: got {_shown(record)}; expected an object of fields")
    hints, known = _fields_of(cls)
    problems = [f"unknown field {k!r}" for k in record if k not in known]
    values: dict[str, Any] = {}
    for name, f in known.items():
        if name not in record:
            if f.default is MISSING and f.default_factory is MISSING:
                problems.append(f"missing field {name!r}")
            continue
        ok, value, expected = _coerce(record[name], hints[name])
        if ok and (name == "id" or name.endswith("_id")) and value is not None:
            ok, expected = isinstance(value, str) and value.strip() != "", "a non-empty id"
        if ok:
            values[name] = value
        else:
            problems.append(f"{name} = {_shown(record[name])} (expected {expected})")
    if problems:
        raise RecordError(f"{where}: {'; '.join(problems)}")
    return cls(**values)


@functools.cache
def _fields_of(cls: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """The resolved type hints and the fields of a record class, once per class: resolving the
    hints compiles every annotation (about 1 ms a record: 100,000 profiles took 25 s)."""
    return typing.get_type_hints(cls), {f.name: f for f in fields(cls)}


def _coerce(value: Any, hint: Any) -> tuple[bool, Any, str]:
    """(fits, the value converted, what was expected) for a value and a type hint."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return True, None, "null"
        inner = [a for a in args if a is not type(None)]
        ok, converted, expected = _coerce(value, inner[0])
        return ok, converted, f"{expected} or null"
    if origin is Literal:
        return value in args, value, f"one of {list(args)}"
    if origin is tuple:
        ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        return ok, tuple(value) if ok else value, "a list of text ids"
    if origin is dict:
        ok = isinstance(value, dict) and all(_is_number(v) for v in value.values())
        return (
            ok,
            {str(k): float(v) for k, v in value.items()} if ok else value,
            ("an object of numbers"),
        )
    if hint is bool:
        return isinstance(value, bool), value, "true or false"
    if hint is int:
        whole = _is_number(value) and float(value).is_integer()
        return whole, int(value) if whole else value, "a whole number"
    if hint is float:
        return _is_number(value), float(value) if _is_number(value) else value, "a number"
    if hint is str:
        return isinstance(value, str), value, "text"
    return True, value, str(hint)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
