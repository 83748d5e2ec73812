"""School grades as numbers, read the way a K-12 district's exports write them.

A grade is a whole number; kindergarten is 0 and pre-kindergarten -1, so that the grade
arithmetic the library does (grade gaps in placement, a teacher's grade band, growth norms)
runs through K without a special case. Exports write kindergarten as "K" (or "KG",
"Kindergarten") and grades as text ("05", "3rd", "Grade 3", "Gr. 3"); every reader of a grade (profiles, catalogs, norm
files, the Python records) goes through `parse_grade`, so "K" is grade 0 everywhere and "fourth"
or 4.5 is one error naming the value, never a `ValueError` deep in placement.

    parse_grade("K")    # 0
    parse_grade("05")   # 5
    grade_label(0)      # "K", as the reasons say it: "placed from grade K"
"""

from __future__ import annotations

import math
import re
from typing import Any

from adaptive.errors import ConfigError

KINDERGARTEN = 0
PRE_KINDERGARTEN = -1
#: The highest grade read (12, and 13 where a district counts a post-secondary year): a grade
#: of 100 or -5 is a typo, placed against no catalog ("placed from grade 100").
HIGHEST_GRADE = 13
#: What a grade may be, as errors say it.
GRADE_EXPECTED = (
    f"a whole number from 1 to {HIGHEST_GRADE}, K (kindergarten, 0) or PK (pre-kindergarten, -1)"
)

_NAMED = {
    "k": KINDERGARTEN,
    "kg": KINDERGARTEN,
    "kindergarten": KINDERGARTEN,
    "pk": PRE_KINDERGARTEN,
    "prek": PRE_KINDERGARTEN,
    "pre-k": PRE_KINDERGARTEN,
    "pre-kindergarten": PRE_KINDERGARTEN,
}
_LABELS = {KINDERGARTEN: "K", PRE_KINDERGARTEN: "PK"}
#: A student information system's forms of a grade: "Grade 3", "Gr. 3", "3rd", "3rd grade",
#: "Grade K" read as the grade itself ("fourth" stays an error: no system writes it alone).
_SIS_FORM = re.compile(r"^(?:grade|gr\.?)?\s*(\d{1,2}|[a-z-]+?)(?:st|nd|rd|th)?(?:\s*grade)?$")


def to_grade(value: Any) -> tuple[bool, int | None]:
    """(fits, grade): None stays None; a whole number from PK (-1) to `HIGHEST_GRADE` (int,
    5.0, "5", "05", "5.0", "-1") or a named grade ("K", "PK", any case) becomes an int;
    anything else does not fit."""
    fits, grade = _as_grade(value)
    if fits and grade is not None and not PRE_KINDERGARTEN <= grade <= HIGHEST_GRADE:
        return False, value
    return fits, grade


def _as_grade(value: Any) -> tuple[bool, int | None]:
    """`to_grade` before the range check."""
    if value is None:
        return True, None
    if type(value) is int:  # the common case, first: profiles are read in bulk each night
        return True, value
    if isinstance(value, bool):
        return False, value
    if isinstance(value, int | float) or hasattr(value, "is_integer"):
        number = float(value)
        if math.isfinite(number) and number.is_integer():
            return True, int(number)
        return False, value
    if isinstance(value, str):
        text = _SIS_FORM.sub(r"\1", value.strip().lower())
        if text in _NAMED:
            return True, _NAMED[text]
        if text.lstrip("+-").isdigit():
            return True, int(text)
        try:  # "4.0": a grade column written by a tool that made it float (pandas with gaps)
            number = float(text)
        except ValueError:
            return False, value
        if math.isfinite(number) and number.is_integer():
            return True, int(number)
    return False, value


def parse_grade(value: Any, where: str = "grade") -> int | None:
    """`value` as a grade (see `to_grade`); a `ConfigError` naming `where` and the value
    otherwise."""
    fits, grade = to_grade(value)
    if not fits:
        raise ConfigError(f"{where}: grade {value!r}; expected {GRADE_EXPECTED}, or none")
    return grade


def grade_label(grade: float | int) -> str:
    """A grade as people write it: "K" for 0, "PK" for -1, else the number ("4")."""
    g = int(grade)
    return _LABELS.get(g, str(g))
