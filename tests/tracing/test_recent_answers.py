"""An app's retry of any of a student's last answers is recognized, not only of the latest: a
vendor's trial sent answers A, then B, then A again (a request that timed out after B arrived,
retried), and `update` absorbed 3 answers, blaming a late-syncing device (`LateAnswerWarning`).
A ring of each student's last `RECENT_ANSWERS` answer digests, a fixed width in the state, now
answers such a retry with its first P(correct) and a `RepeatedAnswerWarning`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_contract import synthetic_log

from adaptive.data.log import Response
from adaptive.errors import LateAnswerWarning, RepeatedAnswerWarning
from adaptive.tracing.base import (
    LAST_KEY,
    LAST_P,
    RECENT_ANSWERS,
    RECENT_KEYS,
    TracingState,
    answer_key,
)
from adaptive.tracing.bkt import BKT
from adaptive.tracing.logistic import PFA

AT = pd.Timestamp("2025-03-01 10:00:05", tz="UTC")


@pytest.fixture(scope="module", params=["bkt", "pfa"])
def fitted(request):
    log = synthetic_log(30)
    return BKT(seed=0).fit(log) if request.param == "bkt" else PFA().fit(log)


def nth(i: int, correct: int = 1) -> Response:
    """The student's i-th answer: its own item and time."""
    return Response(
        "s1", f"item{i % 16:02d}", (f"k{i % 4}",), correct, AT + pd.Timedelta(minutes=i)
    )


def absorbed(model, state: TracingState) -> int:
    return int(model.answers_per_skill(state, state.rows(["s1"])).sum())


def caught(call) -> tuple[object, list[type]]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = call()
    return result, [w.category for w in seen]


def test_a_retry_of_an_earlier_answer_is_not_absorbed_again(fitted) -> None:
    """A, B, A-again: two answers absorbed, the retry answered with A's first P(correct) and a
    `RepeatedAnswerWarning` (no `LateAnswerWarning`), the state unchanged by it; the same when
    the state goes through the vendor's store (bytes) between requests."""
    a, b = nth(0), nth(1, correct=0)
    for through_bytes in (False, True):
        state = fitted.init_state(["s1"])
        first = fitted.update(state, a)
        fitted.update(state, b)
        if through_bytes:
            state = TracingState.from_bytes(state.to_bytes())
        before = {k: v.copy() for k, v in state.arrays.items()}
        again, said = caught(lambda state=state: fitted.update(state, a))
        assert said == [RepeatedAnswerWarning]
        np.testing.assert_array_equal(again, first)
        assert absorbed(fitted, state) == 2
        for name, values in before.items():
            np.testing.assert_array_equal(state.arrays[name], values, err_msg=name)


def test_the_ring_holds_the_last_answers_at_a_fixed_width(fitted) -> None:
    """The state keeps the last `RECENT_ANSWERS` answers per student, whatever their number:
    after 9 answers the 2nd is still recognized, the 1st (pushed out) is absorbed as a new
    answer, dated before the latest (a `LateAnswerWarning`)."""
    state = fitted.init_state(["s1", "s2"])
    ps = [fitted.update(state, nth(i)).item() for i in range(RECENT_ANSWERS + 1)]
    assert state.arrays[RECENT_KEYS].shape == (2, RECENT_ANSWERS)
    again, said = caught(lambda: fitted.update(state, nth(1)))
    assert said == [RepeatedAnswerWarning] and again.item() == ps[1]
    _, said = caught(lambda: fitted.update(state, nth(0)))
    assert said == [LateAnswerWarning]
    assert absorbed(fitted, state) == RECENT_ANSWERS + 2


def test_a_state_saved_before_the_ring_stays_readable(fitted, tmp_path) -> None:
    """A state saved with the latest answer's digest and P(correct) alone (the format before
    the ring) loads; a retry of that answer is still recognized, with its saved P(correct),
    and the ring is kept from then on. One saved before even those starts with an empty ring."""
    a, b = nth(0), nth(1)
    state = fitted.init_state(["s1"])
    p_a = fitted.update(state, a).item()
    ring = [state.arrays.pop(k) for k in list(state.arrays) if k.startswith("recent_answer")]
    assert len(ring) == 3
    state.arrays[LAST_KEY] = np.array([answer_key(a)], np.int64)
    state.arrays[LAST_P] = np.array([p_a])
    state.save(tmp_path / "old.npz")
    old = TracingState.load(tmp_path / "old.npz")
    again, said = caught(lambda: fitted.update(old, a))
    assert said == [RepeatedAnswerWarning] and again.item() == p_a
    assert LAST_KEY not in old.arrays and RECENT_KEYS in old.arrays
    fitted.update(old, b)
    assert caught(lambda: fitted.update(old, a))[1] == [RepeatedAnswerWarning]
    assert absorbed(fitted, old) == 2
    older = TracingState.load(tmp_path / "old.npz")
    del older.arrays[LAST_KEY], older.arrays[LAST_P]
    _, said = caught(lambda: fitted.update(older, b))
    assert said == [] and absorbed(fitted, older) == 2
    assert caught(lambda: fitted.update(older, b))[1] == [RepeatedAnswerWarning]
