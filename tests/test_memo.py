"""`IdentityMemo`: one value per identity of the key objects, bounded, never confused by an id
that another object had before."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from adaptive.memo import IdentityMemo


class Counter:
    """A `build` that counts its calls and returns a fresh object each time."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> object:
        self.calls += 1
        return object()


def test_a_hit_returns_the_same_value_without_building() -> None:
    memo: IdentityMemo[object] = IdentityMemo(limit=8)
    key, build = np.arange(5), Counter()
    first = memo.get((key,), build)
    assert memo.get((key,), build) is first
    assert build.calls == 1


def test_an_equal_but_other_object_misses() -> None:
    memo: IdentityMemo[object] = IdentityMemo(limit=8)
    build = Counter()
    first = memo.get((np.arange(5),), build)
    second = memo.get((np.arange(5),), build)  # equal content, another object
    assert second is not first
    assert build.calls == 2


def test_every_object_of_the_key_counts_in_order() -> None:
    memo: IdentityMemo[object] = IdentityMemo(limit=8)
    a, b, build = object(), object(), Counter()
    pair = memo.get((a, b), build)
    assert memo.get((a, b), build) is pair
    assert memo.get((b, a), build) is not pair
    assert memo.get((a,), build) is not pair
    assert build.calls == 3


def test_the_memo_holds_its_key_objects_so_their_ids_are_not_reused() -> None:
    memo: IdentityMemo[object] = IdentityMemo(limit=128)  # no clear during the test
    held_id = id(memo_key := [1, 2, 3])
    value = memo.get((memo_key,), Counter())
    del memo_key
    gc.collect()
    build = Counter()
    for _ in range(100):  # new objects, some of them allocated where a freed one was
        other = [1, 2, 3]
        assert id(other) != held_id  # the memo's entry keeps the old one alive
        assert memo.get((other,), build) is not value
    assert build.calls == 100


def test_a_reused_id_is_not_a_hit() -> None:
    """Even where an id does come back (the entry was dropped and the object freed), an entry
    made for it then answers only for its own object: the identity check on a hit."""
    memo: IdentityMemo[object] = IdentityMemo(limit=1)
    build = Counter()
    first = memo.get((object(),), build)  # the key object lives only in the memo
    memo.get((object(),), build)  # clears the first entry: its object is freed
    assert memo.get((object(),), build) is not first
    assert build.calls == 3


def test_an_entry_answers_only_for_its_own_objects() -> None:
    """The identity check itself: an entry filed under `b`'s id but holding `a` (what a memo
    that kept only ids would meet once `a` was freed and `b` took its id) is not a hit."""
    memo: IdentityMemo[object] = IdentityMemo(limit=8)
    a, b, build = object(), object(), Counter()
    memo._entries[(None, id(b))] = ((a,), "a's value")
    assert memo.get((b,), build) != "a's value"
    assert build.calls == 1


def test_the_limit_bounds_the_size() -> None:
    memo: IdentityMemo[object] = IdentityMemo(limit=4)
    keys = [object() for _ in range(10)]
    for k in keys:
        memo.get((k,), Counter())
        assert len(memo) <= 4
    build = Counter()
    memo.get((keys[-1],), build)  # the newest entry survived the last clear
    assert build.calls == 0


def test_extra_keys_separate_entries() -> None:
    memo: IdentityMemo[object] = IdentityMemo(limit=8)
    catalog, build = object(), Counter()
    grade_3 = memo.get((catalog,), build, extra=3)
    no_grade = memo.get((catalog,), build)
    assert grade_3 is not no_grade
    assert memo.get((catalog,), build, extra=3) is grade_3
    assert memo.get((catalog,), build, extra=None) is no_grade
    assert build.calls == 2


def test_no_objects_keys_by_extra_alone() -> None:
    memo: IdentityMemo[object] = IdentityMemo(limit=8)
    build = Counter()
    shape = memo.get((), build, extra=(2, 3))
    assert memo.get((), build, extra=(2, 3)) is shape
    assert memo.get((), build, extra=(3, 2)) is not shape
    assert build.calls == 2


def test_clear_forgets_every_entry() -> None:
    memo: IdentityMemo[object] = IdentityMemo(limit=8)
    key, build = object(), Counter()
    memo.get((key,), build)
    memo.clear()
    assert len(memo) == 0
    memo.get((key,), build)
    assert build.calls == 2


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        IdentityMemo(limit=0)


def test_said_once_says_each_thing_once_per_object_across_threads() -> None:
    """Interest topics a catalog lacks are said once per catalog and process (`SaidOnce`):
    the memo it keeps them in was a plain `IdentityMemo` of mutable sets, unlocked, so two
    threads meeting a topic together could both say it."""
    import threading

    from adaptive.memo import SaidOnce

    said = SaidOnce(limit=4)
    a, b = object(), object()
    got: list[set[str]] = []
    threads = [
        threading.Thread(target=lambda: got.append(said.fresh(a, ["space"]))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(sorted, got)) == [[]] * 7 + [["space"]]
    assert said.fresh(a, ["space", "food"]) == {"food"} and said.fresh(b, ["space"]) == {"space"}
