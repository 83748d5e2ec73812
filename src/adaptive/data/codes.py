"""Codes of ids in a vocabulary held as a dictionary: the hot look-up of online updates.

A state's student rows, a model's skill columns and a catalog's activity positions are looked
up per call for a few hundred ids; a dictionary built once and read through `map` (the loop
runs in C) costs far less than building a pandas index each time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Sized
from itertools import repeat
from uuid import UUID

import numpy as np

from adaptive.errors import ConfigError, look_alike, nth


def lookup_codes(positions: Mapping[str, int], ids: Sequence[str] | np.ndarray) -> np.ndarray:
    """(len(ids),) int64 position of each id in `positions`, -1 where it is absent."""
    values = ids.tolist() if hasattr(ids, "tolist") else ids  # plain str: fast hashing
    n = len(values)
    return np.fromiter(map(positions.get, values, repeat(-1, n)), dtype=np.int64, count=n)


def check_many_ids(ids: object, name: str = "student_ids") -> None:
    """A single id (a str, an integer, a UUID) where a list of ids is expected is a usage
    mistake that iterating would read letter by letter ("abc" as the students a, b, c) or fail
    on ("'int' object is not iterable"): a TypeError saying so, without the id (an app's
    exception log is a log)."""
    if isinstance(ids, str | bytes | int | np.integer | UUID):
        raise TypeError(
            f"{name}: expected a list of ids, got one {type(ids).__name__} (a single id?): put "
            "it in a list, [id]"
        )


def id_list(ids: Iterable[str], name: str = "student_ids") -> list[str]:
    """Ids as a list of trimmed text (`check_many_ids` first), as `Response` and the file
    readers read an id: "stu010 " is the student "stu010", 123 is "123", a `uuid.UUID` its
    canonical text. Anything else (a list, None, a float) is a TypeError naming it, never read
    as its printed form."""
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
    if not isinstance(value, str | int | np.integer | UUID) or isinstance(value, bool | np.bool_):
        size = f" of {len(value)}" if isinstance(value, Sized) else ""
        raise TypeError(
            f"{name}: expected one id (text, an integer or a uuid.UUID), got a "
            f"{type(value).__name__}{size}"
        )


def id_text(value: object) -> str | None:
    """An id as every reader of the library reads it: text trimmed (the same object when it is
    trimmed already), an integer (not a bool) as its digits, a `uuid.UUID` as its canonical
    text (`str(u)`: lower-case, hyphenated); None for anything else (a float would be "123.0",
    another student; a list is not an id) or an empty text. `Response`, `LearnerProfile` and
    `id_list` each say in their own words what they expected."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, UUID):
        return str(value)
    return None


def _id_text(value: object, name: str) -> str:
    """One id that is not a plain str: its text (`id_text`), or a TypeError saying what an id is."""
    text = id_text(value)
    if text is None:
        raise TypeError(
            f"{name}: {value!r} is not an id; expected text ids (or integers, or uuid.UUID)"
        )
    return text


#: How a student's id loses its leading zeros, and what to do: the hint wherever an unknown id
#: reads as a known one but for them (`match_words`, the diagnostic's start).
ZEROS_DROPPED = (
    "(a spreadsheet that dropped them, '4501' for '004501', or an id passed as a number?): keep "
    "ids as text"
)


#: Unknown ids of a request matched against the district's for a hint, at most: the first, as
#: the CLI's hint (a vendor's case bug shows on the first id as well as on all, and the message
#: stays one clause long).
MATCHED_AT_MOST = 1


class KnownIds:
    """A district's student ids by how they read on paper (`look_alike`), to answer
    `same_as_read` with one look-up: `same_as_read(name, ids)` walks every id (case-folds it,
    and reads each on paper when no case slip matches), about a second at 400,000 students, and
    a refused request asked it each time. Built once per district (`service.known_ids`), per
    check of profiles (`adapter.profile_ids`) or per state (`TracingState`, kept up to date as
    students are added)."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._first: dict[str, str] = {}  # reading -> an id that reads so
        self._others: dict[str, list[str]] = {}  # reading -> the rest, where several do (rare)
        self.count = 0  # ids read, as many as the district's when it is up to date
        self.add(ids)

    def add(self, ids: Iterable[str]) -> None:
        """Read more ids (students added to a state: `TracingState.add_students`), each alone."""
        for sid in ids:
            reading = look_alike(sid)
            if self._first.setdefault(reading, sid) != sid:
                self._others.setdefault(reading, []).append(sid)
            self.count += 1

    def reads_as(self, name: str) -> str | None:
        """What `same_as_read(name, ids)` says: the id that is `name` but for case (the first in
        order when several are), else the first that reads as it on paper, else None. Every
        such id reads as `name` (a case slip too), so only the ids under its reading are read."""
        name = str(name)
        reading = look_alike(name)
        if reading not in self._first:
            return None
        alike = [self._first[reading], *self._others.get(reading, ())]
        folded = [sid for sid in alike if sid.casefold() == name.casefold()]
        if folded:
            return min(folded)
        return min(alike) if reading else None


def reads_as_known(
    known: KnownIds, student_ids: Sequence[str], unknown: Sequence[int]
) -> dict[int, str]:
    """{position: the known id} for the first `MATCHED_AT_MOST` unknown positions whose id reads
    as a known one (`KnownIds.reads_as`: other case, dropped zeros, look-alike characters): a
    look-up each, whatever the number of known ids. The one rule of `adaptive recommend
    --student` (which echoes the id a person typed), `recommend_students` and a request's
    warning of students without a profile (by position, never by id)."""
    found = {i: known.reads_as(student_ids[i]) for i in unknown[:MATCHED_AT_MOST]}
    return {i: m for i, m in found.items() if m is not None}


def match_words(student_ids: Sequence[str], matches: Mapping[int, str]) -> str:
    """The words for `reads_as_known`'s matches, by position, never by id: "; the 3rd differs
    only in case from a known student's id", or for one id passed "; it differs from a known
    student's id only in zeros or look-alike characters (O for 0, l for 1)"; '' without a
    match."""
    if not matches:
        return ""
    said = []
    for i, meant in matches.items():
        who = "it" if len(student_ids) == 1 else f"the {nth(i)}"
        if student_ids[i].casefold() == meant.casefold():
            said.append(f"{who} differs only in case from a known student's id")
        else:
            said.append(
                f"{who} differs from a known student's id only in zeros or look-alike "
                f"characters (O for 0, l for 1); leading zeros {ZEROS_DROPPED}"
            )
    return "; " + ", ".join(said)
