"""A student whose profile's grade changes after a grade placed them (a grade corrected in the
student information system, a student moved up a year) is placed again from the new grade, on
the vendor's path and the nightly job's alike (a vendor's trial: a student placed from grade 6,
corrected to grade 3, was still served "placed from grade 6" with grades 3-5 counted known)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from test_cold_start import graded_catalog, model  # noqa: F401  (the fitted BKT fixture)

from adaptive.curriculum import LearnerProfile
from adaptive.data import Response
from adaptive.errors import PlacementWarning
from adaptive.placement import combine, grade_placement, mastery_table_placement
from adaptive.placement.prior import place_new_students
from adaptive.policy.adapter import batch_from_model
from adaptive.tracing.base import PLACED_BY_GRADE, PLACED_GRADE


def regraded_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, PlacementWarning) and "another grade" in str(w.message)
    ]


def test_a_corrected_grade_places_the_student_again_on_the_request_path(model) -> None:  # noqa: F811
    cat = graded_catalog()
    profiles = {"x": LearnerProfile("x", grade=3), "y": LearnerProfile("y", grade=3)}
    state = model.init_state(["x", "y"], prior=grade_placement(cat, profiles))
    # x answers 'div' (a grade 3 skill) before the correction: that evidence stays
    answer = Response("x", "div-0", ("div",), 1, "2026-09-01T10:00:00Z")
    model.update(state, answer)
    answered = model.mastery(state)[0, list(model.skills_).index("div")]
    profiles["x"] = LearnerProfile("x", grade=1)  # the SIS corrects 3 to 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batch = batch_from_model(model, state, cat, profiles, log=[answer])
    assert batch.placement.tolist() == ["", "placed from grade 3"]  # x has answers
    assert state.placed_from(state.rows(["x", "y"])).tolist() == [
        "placed from grade 1",
        "placed from grade 3",
    ]
    # the state as if placed from grade 1 at the start, but for the answered skill, which
    # keeps its evidence
    fresh = model.mastery(model.init_state(["x"], prior=grade_placement(cat, [profiles["x"]])))
    now = model.mastery(state)[0]
    skills = list(model.skills_)
    others = [k for k in range(len(skills)) if skills[k] != "div"]
    np.testing.assert_allclose(now[others], fresh[0, others])
    assert now[skills.index("div")] == answered
    said = regraded_warnings(caught)
    assert said == [
        "1 student placed from grade 3 has another grade in its profile now: placed again from "
        "the profile's grade, on the skills not answered yet (what was answered keeps its "
        "evidence; records, as before)"
    ]
    with warnings.catch_warnings(record=True) as caught:  # once placed again: nothing more
        warnings.simplefilter("always")
        batch_from_model(model, state, cat, profiles, log=[answer])
    assert not regraded_warnings(caught)


def test_the_nightly_placement_places_a_regraded_student_again(model) -> None:  # noqa: F811
    cat = graded_catalog()
    profiles = {f"s{i}": LearnerProfile(f"s{i}", grade=2) for i in range(3)}
    state = model.init_state()
    assert place_new_students(model, state, cat, profiles, list(profiles)) == 3
    profiles["s1"] = LearnerProfile("s1", grade=3)  # moved up a year
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert place_new_students(model, state, cat, profiles, list(profiles)) == 0
    assert len(regraded_warnings(caught)) == 1
    assert state.placed_from(state.rows(["s0", "s1"])).tolist() == [
        "placed from grade 2",
        "placed from grade 3",
    ]
    # a student whose placement was not a grade's (a diagnostic, records) is not placed again
    other = model.init_state(["d"], prior=grade_placement(cat, [LearnerProfile("d", grade=2)]))
    other.record_placement(other.rows(["d"]), ["placed by diagnostic (15 questions)"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        place_new_students(model, other, cat, {"d": LearnerProfile("d", grade=3)}, ["d"])
    assert not regraded_warnings(caught)


def records(cat, student: str) -> object:
    """Last year's record of one student on the grade 1 skills alone."""
    frame = pd.DataFrame(
        {"student_id": [student] * 2, "skill_id": ["add", "geo"], "mastery": [0.9, 0.3]}
    )
    return mastery_table_placement(frame, source="last_year.csv", catalog=cat)


def test_a_corrected_grade_places_a_student_placed_from_records_again(model) -> None:  # noqa: F811
    """A rollover trial: a returning student placed from last year's records, their grade typed
    12 for 4 on the first roster, kept the typo grade's guess on every skill the records lack
    after the correction, without a word. The records stay; the grade's part moves."""
    cat = graded_catalog()
    given = records(cat, "r")
    profiles = {"r": LearnerProfile("r", grade=3)}
    state = model.init_state()
    place_new_students(model, state, cat, profiles, ["r"], given=given)
    profiles["r"] = LearnerProfile("r", grade=1)  # the typo corrected
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        place_new_students(model, state, cat, profiles, ["r"], given=given)
    assert len(regraded_warnings(caught)) == 1
    expected = model.init_state(["r"], prior=combine(given, grade_placement(cat, [profiles["r"]])))
    np.testing.assert_allclose(model.mastery(state), model.mastery(expected))
    assert state.placed_from(state.rows(["r"])).tolist() == ["placed from last_year.csv"]
    assert state.placed_grade(state.rows(["r"])).tolist() == [1.0]
    # the request path too: the records passed as the vendor's placement
    profiles["r"] = LearnerProfile("r", grade=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batch_from_model(model, state, cat, profiles, placement=given)
    assert len(regraded_warnings(caught)) == 1
    expected = model.init_state(["r"], prior=combine(given, grade_placement(cat, [profiles["r"]])))
    np.testing.assert_allclose(model.mastery(state), model.mastery(expected))


def test_records_not_given_again_stay_and_the_grades_guess_moves(model) -> None:  # noqa: F811
    """A vendor's trial: a transfer student placed from their records beside their grade's
    guess, the grade corrected a week later, the request given no records: the grade's guess
    overwrote the records (0.9 and 0.2 became 0.7 and 0.7) under a warning saying records stay.
    The state keeps which skills a grade placed: those move, the records stay."""
    cat = graded_catalog()
    given = records(cat, "r")
    profiles = {"r": LearnerProfile("r", grade=3)}
    state = model.init_state(["r"], prior=combine(given, grade_placement(cat, profiles)))
    profiles["r"] = LearnerProfile("r", grade=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batch = batch_from_model(model, state, cat, profiles)  # placement left at "grade"
    assert len(regraded_warnings(caught)) == 1
    expected = model.init_state(["r"], prior=combine(given, grade_placement(cat, [profiles["r"]])))
    np.testing.assert_allclose(model.mastery(state), model.mastery(expected))
    assert batch.placement.tolist() == ["placed from last_year.csv"]
    assert state.placed_grade(state.rows(["r"])).tolist() == [1.0]
    # a state saved before the grade cells were kept: left as placed, and said
    old = model.init_state(["r"], prior=combine(given, grade_placement(cat, [profiles["r"]])))
    del old.arrays[PLACED_BY_GRADE]
    before = model.mastery(old).copy()
    profiles["r"] = LearnerProfile("r", grade=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batch_from_model(model, old, cat, profiles)
    np.testing.assert_array_equal(model.mastery(old), before)
    said = [str(w.message) for w in caught if "not placed again" in str(w.message)]
    assert said and said[0].startswith(
        "1 student placed from records beside their grade's guess has another grade"
    )


def test_the_placed_grade_survives_a_saved_state_and_an_older_state_reads_the_words(
    model,  # noqa: F811
) -> None:
    cat = graded_catalog()
    profiles = {"s": LearnerProfile("s", grade=2)}
    state = model.init_state(["s"], prior=grade_placement(cat, profiles))
    loaded = type(state).from_bytes(state.to_bytes())
    assert loaded.placed_grade(loaded.rows(["s"])).tolist() == [2.0]
    del loaded.arrays[PLACED_GRADE]  # a state saved before the grade was kept
    profiles["s"] = LearnerProfile("s", grade=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        place_new_students(model, loaded, cat, profiles, ["s"])
    assert regraded_warnings(caught) and loaded.placed_grade(loaded.rows(["s"])).tolist() == [3.0]


def test_a_student_placed_before_the_grade_cells_were_kept_is_placed_again_whole(
    model,  # noqa: F811
) -> None:
    """A state saved before the grade's cells were kept, which placed a new student since (the
    array then holds no cell for the older rows): a grade-placed older student is placed again
    from the new grade on every skill never answered, as before, not on none."""
    cat = graded_catalog()
    state = model.init_state(["old"], prior=grade_placement(cat, [LearnerProfile("old", grade=2)]))
    del state.arrays[PLACED_BY_GRADE]
    model.place(state, grade_placement(cat, [LearnerProfile("new", grade=2)]))
    profiles = {"old": LearnerProfile("old", grade=3), "new": LearnerProfile("new", grade=2)}
    place_new_students(model, state, cat, profiles, list(profiles))
    fresh = model.init_state(["old"], prior=grade_placement(cat, [profiles["old"]]))
    np.testing.assert_allclose(model.mastery(state)[0], model.mastery(fresh)[0])
