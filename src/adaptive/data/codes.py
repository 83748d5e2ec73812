"""Codes of ids in a vocabulary held as a dictionary: the hot look-up of online updates.

A state's student rows, a model's skill columns and a catalog's activity positions are looked
up per call for a few hundred ids; a dictionary built once and read through `map` (the loop
runs in C) costs far less than building a pandas index each time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat

import numpy as np


def lookup_codes(positions: Mapping[str, int], ids: Sequence[str] | np.ndarray) -> np.ndarray:
    """(len(ids),) int64 position of each id in `positions`, -1 where it is absent."""
    values = ids.tolist() if hasattr(ids, "tolist") else ids  # plain str: fast hashing
    n = len(values)
    return np.fromiter(map(positions.get, values, repeat(-1, n)), dtype=np.int64, count=n)


def check_many_ids(ids: object, name: str = "student_ids") -> None:
    """A single id (a str) where a list of ids is expected is a usage mistake that iterating
    would read letter by letter ("abc" as the students a, b, c): a TypeError saying so."""
    if isinstance(ids, str | bytes):
        raise TypeError(
            f"{name}: expected a list of ids, got the single id {ids!r}; write [{ids!r}]"
        )


def id_list(ids: Iterable[str], name: str = "student_ids") -> list[str]:
    """Ids as a list of trimmed text (`check_many_ids` first), as `Response` and the file
    readers read an id: "stu010 " is the student "stu010", 123 is "123"."""
    check_many_ids(ids, name)
    return [str(s).strip() for s in ids]
