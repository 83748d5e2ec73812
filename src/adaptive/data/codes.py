"""Codes of ids in a vocabulary held as a dictionary: the hot look-up of online updates.

A state's student rows, a model's skill columns and a catalog's activity positions are looked
up per call for a few hundred ids; a dictionary built once and read through `map` (the loop
runs in C) costs far less than building a pandas index each time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Sized
from itertools import repeat

import numpy as np

from adaptive.errors import ConfigError, nth


def lookup_codes(positions: Mapping[str, int], ids: Sequence[str] | np.ndarray) -> np.ndarray:
    """(len(ids),) int64 position of each id in `positions`, -1 where it is absent."""
    values = ids.tolist() if hasattr(ids, "tolist") else ids  # plain str: fast hashing
    n = len(values)
    return np.fromiter(map(positions.get, values, repeat(-1, n)), dtype=np.int64, count=n)


def check_many_ids(ids: object, name: str = "student_ids") -> None:
    """A single id (a str) where a list of ids is expected is a usage mistake that iterating
    would read letter by letter ("abc" as the students a, b, c): a TypeError saying so, without
    the id (an app's exception log is a log)."""
    if isinstance(ids, str | bytes):
        raise TypeError(
            f"{name}: expected a list of ids, got one {type(ids).__name__} (a single id?): put "
            "it in a list, [id]"
        )


def id_list(ids: Iterable[str], name: str = "student_ids") -> list[str]:
    """Ids as a list of trimmed text (`check_many_ids` first), as `Response` and the file
    readers read an id: "stu010 " is the student "stu010", 123 is "123". Anything else (a
    list, None, a float) is a TypeError naming it, never read as its printed form."""
    check_many_ids(ids, name)
    return [s.strip() if type(s) is str else _id_text(s, name) for s in ids]


def first_repeat(ids: Sequence[str]) -> tuple[int, int] | None:
    """The positions (earlier, later) of the first id in `ids` that repeats an earlier one, None
    where every id is unique: a message names ids given twice by position, never by id."""
    first: dict[str, int] = {}
    for i, s in enumerate(ids):
        j = first.setdefault(s, i)
        if j != i:
            return j, i
    return None


def check_unique_ids(
    ids: Sequence[str], name: str = "student_ids", *, say_id: bool = False
) -> None:
    """`ConfigError` saying where the first id given twice in `ids` (trimmed ids, as `id_list`
    returns) sits, by position, and how many repeat: a batch's rows would repeat a student
    (every recommendation twice), a placement's would be ambiguous. The id itself is said only
    with `say_id` (a skill's, not a student's: student ids stay out of messages, an app's
    exception log is a log)."""
    where = first_repeat(ids)
    if where is None:
        return
    earlier, later = where
    label = repr(ids[later]) if say_id else "an id"
    repeats = len(ids) - len(set(ids))
    raise ConfigError(
        f"{name}: {label} is given twice: the {nth(later)} repeats the {nth(earlier)} "
        f"({repeats:,} {'repeat' if repeats == 1 else 'repeats'} among {len(ids):,}; ids are "
        "trimmed: ' a' is 'a')"
    )


def check_one_id(value: object, name: str = "student_id") -> None:
    """One id expected: a list or tuple of them (a batch's ids given to a one-student call)
    is a TypeError saying so, never read as one id "['a', 'b']". The error names the type and
    size, not the value: a batch's ids in an app's exception log are student ids in a log."""
    if not isinstance(value, str | int | np.integer) or isinstance(value, bool | np.bool_):
        size = f" of {len(value)}" if isinstance(value, Sized) else ""
        raise TypeError(
            f"{name}: expected one id (text or an integer), got a {type(value).__name__}{size}"
        )


def id_text(value: object) -> str | None:
    """An id as every reader of the library reads it: text trimmed (the same object when it is
    trimmed already), an integer (not a bool) as its digits; None for anything else (a float
    would be "123.0", another student; a list is not an id) or an empty text. `Response`,
    `LearnerProfile` and `id_list` each say in their own words what they expected."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return str(int(value))
    return None


def _id_text(value: object, name: str) -> str:
    """One id that is not a plain str: its text (`id_text`), or a TypeError saying what an id is."""
    text = id_text(value)
    if text is None:
        raise TypeError(f"{name}: {value!r} is not an id; expected text ids (or integers)")
    return text
