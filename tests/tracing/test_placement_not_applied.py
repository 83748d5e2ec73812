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
        every = [str(s) for s in model.skills_]
        model.init_state(["NEW001"], prior=placement(["NEW001", "other"], every))


def test_a_placement_on_few_of_the_models_skills_says_the_others_start_from_the_population(
    model,
) -> None:
    """A vendor's trial: the README's `read_placement` then `init_state(prior=)` with a table of
    grades 4-5 started every other skill from the population (a student who knew none of grade
    4 half-knew grade 8), without a word. Said, with the `combine` that starts them from their
    grade; a grade's placement and one on most skills say nothing."""
    few = placement(["NEW001"], [str(model.skills_[0])])
    with pytest.warns(PlacementWarning, match="fewer than half of the model's 4 skills"):
        model.init_state(["NEW001"], prior=few)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlacementWarning)
        model.init_state(
            ["NEW001"], prior=placement(["NEW001"], [str(s) for s in model.skills_[:2]])
        )
