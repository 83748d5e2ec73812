"""Defects an ed-tech vendor found installing from a wheel and following the README (each test
failed before its fix)."""

from __future__ import annotations

import warnings

from test_cold_start import graded_catalog, model  # noqa: F401  (the fitted BKT fixture)

from adaptive.curriculum import LearnerProfile
from adaptive.data import Response
from adaptive.errors import LateAnswerWarning
from adaptive.policy import AdaptivePolicy
from adaptive.policy.adapter import batch_from_model

SID = "NEW1"


def _late_warnings(caught: list) -> list:
    return [w for w in caught if issubclass(w.category, LateAnswerWarning)]


def test_now_before_the_latest_answer_warns_without_a_log(model) -> None:  # noqa: F811
    """The README's store-and-absorb path (a batch from the state alone, no `log=`) served a
    request dated before the student's latest answer without a word, while the same batch with
    `log=` warned: the batch now carries the state's latest answer time."""
    cat = graded_catalog()
    answers = [Response(SID, "add-0", ("add",), 1, "2026-10-01T10:00:00Z")]
    state = model.init_state([SID])
    model.update(state, answers)
    batch = batch_from_model(model, state, cat, [LearnerProfile(SID, grade=2)], student_ids=[SID])
    policy = AdaptivePolicy(cat)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        policy.recommend(batch, k=3, now="2026-01-01")
    said = _late_warnings(caught)
    assert len(said) == 1 and "latest answer (2026-10-01 10:00 UTC)" in str(said[0].message)
    assert SID not in str(said[0].message)
    policy.recommend(batch, k=3, now="2026-10-01")  # the answers' own day: unsaid (an error here)
    assert batch.take(slice(0, 1)).latest_answer.shape == (1,)
