"""Defects a vendor's second in-process trial found (ids, profiles, a log the state never
absorbed, answers dated ahead of the clock; each failed before its fix)."""

from __future__ import annotations

import pytest
from test_cold_start import graded_catalog, model  # noqa: F401  (the fitted BKT fixture)

from adaptive.policy.adapter import batch_from_model


@pytest.mark.parametrize("one", ["100003", 100003], ids=["str", "int"])
def test_a_single_id_for_student_ids_says_put_it_in_a_list(model, one) -> None:  # noqa: F811
    """`student_ids=100003` (a bare int) ended in "TypeError: 'int' object is not iterable" deep
    in the id reader; a bare string already said "put it in a list"."""
    state = model.init_state(["100003"])
    with pytest.raises(TypeError, match=r"expected a list of ids, got one .*put it in a list"):
        batch_from_model(model, state, graded_catalog(), None, student_ids=one)
