"""Placement values that cannot take effect are said, never dropped without a word (the vendor
trial of stop 38): a student the prior does not cover; and where a student was placed from is
kept in the state, so their recommendations say it without the placement at hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_contract import synthetic_log

from adaptive.errors import PlacementWarning
from adaptive.placement import Placement
from adaptive.tracing.bkt import BKT


@pytest.fixture(scope="module")
def model() -> BKT:
    return BKT().fit(synthetic_log(40, seed=7))


def placement(students, skills, value=0.9) -> Placement:
    m = np.full((len(students), len(skills)), value)
    return Placement(
        tuple(students), tuple(skills), m, ("placed from last_year.csv",) * len(students)
    )


def test_students_the_prior_does_not_cover_are_counted_not_named(model) -> None:
    given = placement(["NEW001"], [str(model.skills_[0])])
    with pytest.warns(
        PlacementWarning, match="1 of the 2 students are not in the placement"
    ) as said:
        model.init_state(["NEW001", "NEW0001"], prior=given)
    assert "NEW0001" not in str(said[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlacementWarning)
        model.init_state(["NEW001"], prior=placement(["NEW001", "other"], [str(model.skills_[0])]))
