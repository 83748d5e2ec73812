"""Placement values that cannot take effect are said, never dropped without a word (the vendor
trial of stop 38): a student the prior does not cover; and where a student was placed from is
kept in the state, so their recommendations say it without the placement at hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_contract import synthetic_log

from adaptive.errors import PlacementWarning
from adaptive.placement import Placement, combine
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


def test_records_on_skills_the_model_lacks_are_said_and_do_not_name_the_source(model) -> None:
    """A vendor's lower-cased codes ('K0' for 'k0') read by `mastery_table_placement(frame)`
    without `catalog=`: `init_state` ignored every record without a word, and the student was
    still "placed from earlier records" with their grade's values. Now the dropped rows are
    said (counts, the model's spelling), and the student starts from the next placement."""
    every = [str(s) for s in model.skills_]
    records = placement(["NEW001", "NEW002"], ["K0", every[1]], value=0.9)
    records = Placement(
        records.students,
        records.skills,
        np.array([[0.9, np.nan], [np.nan, 0.8]]),
        ("placed from earlier records",) * 2,
    )
    grade = Placement(
        ("NEW001", "NEW002"),
        tuple(every),
        np.full((2, len(every)), 0.3),
        ("placed from grade 4",) * 2,
    )
    with pytest.warns(PlacementWarning) as said:
        state = model.init_state(["NEW001", "NEW002"], prior=combine(records, grade))
    text = " ".join(str(w.message) for w in said)
    assert "1 skill the model lacks ('K0' for 'k0')" in text
    assert "1 row on them, for 1 student, are not used" in text
    assert "1 student it placed on none of the model's skills now start from the next" in text
    assert "NEW001" not in text
    assert list(state.placed_from(state.rows(["NEW001", "NEW002"]))) == [
        "placed from grade 4",  # none of their records is the model's: their grade's place
        "placed from earlier records",  # one record left
    ]


def test_a_table_alone_on_skills_the_model_lacks_places_nobody_and_says_so(model) -> None:
    """Without a combine, the student's row places nothing: not "placed from" the table."""
    alone = placement(["NEW001"], ["K0", "K1"])
    with pytest.warns(PlacementWarning, match="2 skills the model lacks .*population prior"):
        state = model.init_state(["NEW001"], prior=alone)
    assert list(state.placed_from(state.rows(["NEW001"]))) == [""]
    assert not model.is_placed(state).any()


def test_a_grades_values_on_skills_the_model_lacks_are_not_said(model) -> None:
    """A catalog's skills no answer trained are placed by the grade every night: no records of
    the student's are dropped there, so nothing is said."""
    every = [str(s) for s in model.skills_]
    grade = Placement(("NEW001",), (*every, "untrained"), np.full((1, len(every) + 1), 0.3),
                      ("placed from grade 4",), grades=np.array([4.0]))  # fmt: skip
    records = placement(["NEW001"], every, value=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlacementWarning)
        model.init_state(["NEW001"], prior=grade)
        model.init_state(["NEW001"], prior=combine(records, grade))


def test_a_request_after_the_first_answer_still_says_where_the_student_was_placed(model) -> None:
    """A vendor placed a transfer from last year's records (`init_state(prior=)`); after their
    first answer, `batch_from_model` said '' (the nightly job kept the words, the vendor's
    request did not). The state's record is read on both paths; a grade placement is said only
    before the first answer."""
    from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
    from adaptive.data.log import Response
    from adaptive.policy.adapter import batch_from_model

    every = [str(s) for s in model.skills_]
    catalog = Catalog(
        tuple(Skill(s, grade=4) for s in every), tuple(Activity(f"{s}@0", s, (s,)) for s in every)
    )
    profiles = {s: LearnerProfile(s, grade=4) for s in ("NEW001", "NEW002")}
    state = model.init_state(["NEW001"], prior=placement(["NEW001"], every))
    model.update(state, Response("NEW001", "item00", every[0], 1, "2024-03-01T09:00:00Z"))
    batch = batch_from_model(model, state, catalog, profiles, student_ids=["NEW001", "NEW002"])
    assert list(batch.placement) == ["placed from last_year.csv", "placed from grade 4"]
    # a grade placement is said only before the first answer, whatever grade the profile says
    # today (a roster corrected from 12 to 2 read "placed from grade 12" on every later night)
    by_grade = Placement(("NEW003",), tuple(every), np.full((1, len(every)), 0.95),
                         ("placed from grade 12",), grades=np.array([12.0]))  # fmt: skip
    state = model.init_state(["NEW003"], prior=by_grade)
    model.update(state, Response("NEW003", "item00", every[0], 1, "2024-03-01T09:00:00Z"))
    profiles["NEW003"] = LearnerProfile("NEW003", grade=2)
    batch = batch_from_model(model, state, catalog, profiles, student_ids=["NEW003"])
    assert list(batch.placement) == [""]


def test_records_on_a_skill_no_answer_trained_say_how_the_lists_read_them(model) -> None:
    """A diagnostic's value on a catalog skill the model was not fitted on is dropped by
    `init_state`, and `batch_from_model` refilled it from the grade: a trial's skill placed at
    0.22 by the diagnostic was read at 0.7 and said "your placement counts as known". The
    warning says how the lists can read the placement's values there."""
    every = [str(s) for s in model.skills_]
    records = placement(["NEW001"], [every[0], "untrained"], value=0.2)
    with pytest.warns(PlacementWarning, match="1 skill the model lacks") as said:
        model.init_state(["NEW001"], prior=records)
    assert "batch_from_model(..., placement=placement)" in str(said[0].message)


def test_records_keyed_by_ids_that_lost_their_zeros_are_said(model) -> None:
    """A trial's last-year export read with `pd.read_csv` keyed every record by '400' for the
    roster's '000400': `init_state(roster, prior=combine(records, grade))` started every
    returning student from their grade and the records on students of their own, without a
    word. Now said, with counts and positions, never an id."""
    every = [str(s) for s in model.skills_]
    roster = ["000400", "000401", "000999"]
    records = placement(["400", "401", "777"], every[:2], value=0.1)  # 777: left the district
    grade = Placement(tuple(roster), tuple(every), np.full((3, len(every)), 0.8),
                      ("placed from grade 4",) * 3)  # fmt: skip
    with pytest.warns(
        PlacementWarning, match="init_state: 2 of the placement's 3 students"
    ) as said:
        model.init_state(roster, prior=combine(records, grade))
    text = " ".join(str(w.message) for w in said)
    assert "dtype={'student_id': str}" in text and "000400" not in text and "'400'" not in text
    with warnings.catch_warnings():  # the ids as the roster writes them: nothing to say
        warnings.simplefilter("error", PlacementWarning)
        model.init_state(roster, prior=combine(placement(roster[:2], every[:2]), grade))
    state = model.init_state(roster)
    with pytest.warns(PlacementWarning, match="place: 2 of the placement's 3 students .* their "
                      "rows place students of their own"):  # fmt: skip
        model.place(state, records)
