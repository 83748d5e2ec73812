"""Values computed once per object identity: the one way this code base memoizes per catalog,
per array, per skill vocabulary.

A vendor's request recommends for one student: rebuilding a catalog's arrays, its prerequisite
edges or a vocabulary's lookup at every call would cost more than the rest of the request. So
each is built once per object and kept in an `IdentityMemo`.

Why identity and not equality: a catalog or a vocabulary is large, and comparing or hashing its
contents at every call is the cost the memo exists to save (numpy arrays are not even hashable).
The objects these memos are keyed on (a catalog, a vocabulary, an array) are not changed after
they are made, so one object means one value. A caller's mutable object is never a key: a
vendor's profiles dict, updated in place between requests, is looked up at each request
(`policy.adapter.profiles_of`), nothing of it kept.

Why the memo holds the objects: an id is only unique among live objects. An entry keeps strong
references to its key objects, so none of them can be freed and its id given to a new object
while the entry lives; a hit also checks identity (`is`), so an entry never answers for another
object. The memo is bounded: past its limit it clears itself, and the next calls rebuild what
they use (as many catalogs as a process uses at once is far below any limit here).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from operator import is_
from typing import Generic, TypeVar

T = TypeVar("T")


class IdentityMemo(Generic[T]):
    """Values built once per identity of some objects (plus an optional hashable `extra` key),
    at most `limit` of them: `memo.get((catalog,), lambda: build(catalog))`.

    A hit costs one dict look-up and an `is` test per object: nothing of the objects' contents
    is hashed or compared, so it stays cheap on a per-request path. Not locked: two threads that
    miss together both build, and the last one's value is kept (the values are equal)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit: expected at least 1 entry, got {limit}")
        self.limit = limit
        self._entries: dict[Hashable, tuple[tuple[object, ...], T]] = {}

    def get(self, objects: tuple[object, ...], build: Callable[[], T], extra: Hashable = None) -> T:
        """The value for these `objects` (by identity, in order) and `extra` (by equality, e.g.
        a grade or a kind): `build()` called at the first request and kept, with the objects
        themselves, until the memo fills. `objects` may be empty: then `extra` alone is the key
        (a value such as a shape)."""
        key = (extra, *map(id, objects))
        entry = self._entries.get(key)
        if entry is not None and _same(entry[0], objects):  # the ids' own objects
            return entry[1]
        value = build()
        if len(self._entries) >= self.limit:
            self._entries.clear()
        self._entries[key] = (objects, value)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every entry (and release the objects they hold)."""
        self._entries.clear()


def _same(held: tuple[object, ...], objects: tuple[object, ...]) -> bool:
    """Whether the entry's objects are these, one by one (`is`); one object, the common key,
    without building an iterator (a request makes a dozen look-ups)."""
    if len(objects) == 1:
        return held[0] is objects[0]
    return all(map(is_, held, objects))


class SaidOnce:
    """What was said already, per object identity (a catalog): `fresh(catalog, things)` gives
    the things not said yet for that object and marks them said, so a notice is said once per
    object and process however many requests meet it. Locked (two requests of a threaded
    service that meet the same topic say it once); bounded like `IdentityMemo`: past `limit`
    objects it forgets, and a thing may be said again."""

    def __init__(self, limit: int) -> None:
        self._said: IdentityMemo[set[str]] = IdentityMemo(limit)
        self._lock = threading.Lock()

    def said(self, obj: object) -> frozenset[str]:
        """What was said for that object so far (nothing marked)."""
        with self._lock:
            return frozenset(self._said.get((obj,), set))

    def fresh(self, obj: object, things: Iterable[str]) -> set[str]:
        with self._lock:
            said = self._said.get((obj,), set)
            new = set(things) - said
            said |= new
            return new
