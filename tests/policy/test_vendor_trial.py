"""Defects an ed-tech vendor's trial found on the in-process path (each failed before its fix)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from policy_fixtures import SKILLS, view

from adaptive.curriculum import LearnerProfile
from adaptive.errors import ConfigError
from adaptive.placement import Placement
from adaptive.placement.diagnostic import PlacementDiagnostic
from adaptive.placement.prior import grade_placement
from adaptive.policy import AdaptivePolicy, PolicyConfig, StudentBatch, StudentView

NOW = 100.0


def test_a_mastery_series_keyed_by_skill_is_read_by_its_keys(catalog) -> None:
    """`StudentView(mastery=pd.Series(values, index=model.skills_))`: the model's skill order
    is not the catalog's, and the Series was read by position (another list, no error)."""
    values = {"add": 0.95, "sub": 0.2, "mul": 0.9, "div": 0.1, "geo": 0.5}
    profile = LearnerProfile("s1", grade=3)
    policy = AdaptivePolicy(catalog)

    def picks(mastery) -> list[str]:
        recs = policy.recommend(StudentView("s1", profile, mastery), k=5, now=NOW)
        return [r.activity_id for r in recs]

    by_dict = picks(values)
    assert picks(pd.Series(values).iloc[::-1]) == by_dict  # keyed, in another order
    assert picks(pd.Series([values[s] for s in SKILLS])) == by_dict  # 0..n-1: by position


def test_a_batch_built_with_another_config_is_refused(catalog) -> None:
    """`batch_from_model` without `config=` (as the README showed) built a 30-minute day; the
    vendor's policy said 60: 3 recommendations instead of 6, without a word."""
    config = PolicyConfig(default_daily_minutes=60.0)
    no_budget = LearnerProfile("s1", grade=3, weekly_minutes=None)  # the default day
    batch = StudentBatch.from_views(catalog, [view(profile=no_budget)])  # PolicyConfig()
    with pytest.raises(ConfigError, match="built with another PolicyConfig"):
        AdaptivePolicy(catalog, config).select(batch, 6, NOW)
    right = StudentBatch.from_views(catalog, [view(profile=no_budget)], config)
    assert (AdaptivePolicy(catalog, config).select(right, 6, NOW).activity >= 0).sum() == 6


def test_one_students_batch_is_recommended_as_objects_without_the_table(catalog) -> None:
    """A vendor's trial: the README's one-student path (`recommend_batch` on a batch of one)
    cost about twice the undocumented select + `recommendations_of`. `recommend` takes that
    batch: the same recommendations; a batch of many is refused."""
    policy = AdaptivePolicy(catalog)
    batch = StudentBatch.from_views(catalog, [view(sid="a")])
    got = policy.recommend(batch, 5, NOW)
    want = policy.recommendations_of(batch, policy.select(batch, 5, NOW), NOW)[0]
    assert got == want and len(got) >= 1
    table = policy.recommend_batch(batch, 5, NOW)
    assert [r.activity_id for r in got] == table["activity_id"].tolist()
    two = StudentBatch.from_views(catalog, [view(sid="a"), view(sid="b")])
    with pytest.raises(ConfigError, match="this batch holds 2 students; expected one"):
        policy.recommend(two, 5, NOW)
    with pytest.raises(TypeError, match="a StudentView or a one-student StudentBatch"):
        policy.recommend("a", 5, NOW)


def test_experiment_arms_must_agree_on_what_a_batch_is_built_with(tmp_path) -> None:
    from adaptive.experiment.assign import assign

    profiles = [LearnerProfile(f"s{i}", grade=3, class_id=f"c{i % 4}") for i in range(8)]
    arms = {"a": PolicyConfig(), "b": PolicyConfig(default_daily_minutes=60.0)}
    with pytest.raises(ConfigError, match="the night builds one batch for every arm"):
        assign(profiles, arms, unit="class", seed=0)


def test_explaining_a_batch_of_two_students_is_refused(catalog) -> None:
    """It explained the first student, for an activity recommended to the second."""
    batch = StudentBatch.from_views(catalog, [view(sid="a"), view(sid="b")])
    with pytest.raises(ValueError, match="a batch of 2 students; expected one"):
        AdaptivePolicy(catalog).explain_batch_row(batch, "add-0", NOW)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"interests": ["animals", 0.5]},
        {"interests": None},
        {"interests": "animals"},
        {"weekly_minutes": -30},
    ],  # fmt: skip
)
def test_a_profile_of_the_wrong_shape_is_one_error(kwargs) -> None:
    """`LearnerProfile(interests=["animals"])` ended in an AttributeError inside the library;
    a negative weekly time was accepted."""
    with pytest.raises(ConfigError, match="expected"):
        LearnerProfile("s1", **kwargs)


def test_interests_named_without_weights_weigh_one_as_in_a_roster() -> None:
    """A second vendor's trial: `interests=["music"]` and `[]` were refused in Python and in a
    profiles file, while a roster's "music" (no weight) weighs 1."""
    from adaptive.curriculum import profile_from_json

    assert LearnerProfile("s1", interests=["music", "art"]).interests == {"music": 1.0, "art": 1.0}
    assert LearnerProfile("s1", interests=[]).interests == {}
    line = '{"student_id": "s1", "interests": ["music"]}'
    assert profile_from_json(line, "p.jsonl").interests == {"music": 1.0}


def test_placement_and_diagnostic_ids_are_trimmed_and_a_list_is_not_an_id(catalog) -> None:
    """`diag.start(" kid4 ")` kept the spaces (the next `Response("kid4")` was another,
    unplaced student); `diag.start(["a", "b"])` was the student "['a', 'b']"."""
    profiles = [LearnerProfile("kid4", grade=3), LearnerProfile("kid5", grade=3)]
    prior = grade_placement(catalog, profiles)
    diagnostic = PlacementDiagnostic(catalog, prior, max_questions=2)
    session = diagnostic.start(" kid4 ")
    assert session.placement().students == ("kid4",)
    with pytest.raises(
        TypeError, match="expected one id .text, an integer or a uuid.UUID., got a list of 2$"
    ):
        diagnostic.start(["kid4", "kid5"])  # the ids are not repeated into an app's error log
    with pytest.raises(
        TypeError, match=r"got one str \(a single id\?\): put it in a list, \[id\]$"
    ):
        diagnostic.run("kid4", lambda questions: [1] * len(questions))  # one id, not repeated
    spaced = Placement((" b ",), ("add",), np.array([[0.5]]))
    assert spaced.students == ("b",)
    with pytest.raises(ConfigError, match="placement students: an id is given twice: the 2nd"):
        Placement(("b", " b"), ("add",), np.array([[0.5], [0.5]]))


def test_the_difficulty_sentence_does_not_claim_a_low_chance_is_right(catalog) -> None:
    """ "right at your level (about 19% chance ...)": the term picks the version of a skill
    nearest the target, relative to its other versions; the sentence now says so."""
    from adaptive.policy.explain import sentence

    text = sentence("difficulty", "Addition", "Addition 0", p_correct=0.19)
    assert "right at your level" not in text and "version nearest your level" in text
    assert isinstance(view(), StudentView)


def test_a_value_a_call_cannot_take_is_an_adaptive_error(catalog) -> None:
    """A vendor's trial (stop 57): `recommend(batch, k=0)`, a `now` it cannot read and a state
    row of -1 raised plain `ValueError`s, which an `except AdaptiveError` (the README's promise:
    every error is one) let through. Each is an `ArgumentError`: an `AdaptiveError`, and still a
    `ValueError`."""
    from adaptive.data import ResponseLog
    from adaptive.errors import AdaptiveError, ArgumentError
    from adaptive.tracing.logistic import IRT

    policy = AdaptivePolicy(catalog)
    one = StudentBatch.from_views(catalog, [view(sid="a")])
    two = StudentBatch.from_views(catalog, [view(sid="a"), view(sid="b")])
    answers = pd.DataFrame({"student_id": [f"s{i}" for i in range(6)], "item_id": "add-0",
                            "skill_ids": "add", "correct": [0, 1] * 3, "order": 0})  # fmt: skip
    model = IRT().fit(ResponseLog.from_frame(answers))
    state = model.init_state(["s1"])
    calls = {
        "k=0": lambda: policy.recommend(one, 0, NOW),
        "k=-1": lambda: policy.select(one, -1, NOW),
        "now nan": lambda: policy.recommend(one, 5, float("nan")),
        "now text": lambda: policy.recommend(one, 5, "garbage"),
        "two to explain": lambda: policy.explain_batch_row(two, "add-0", NOW),
        "row -1": lambda: model.mastery(state, state.rows(["nobody"], missing=-1)),
        "row 7": lambda: model.mastery(state, np.array([7])),
    }
    for name, call in calls.items():
        with pytest.raises(ArgumentError) as caught:
            call()
        assert isinstance(caught.value, AdaptiveError), name
        assert isinstance(caught.value, ValueError), name  # an `except ValueError` still works


def test_a_teachers_overrides_beside_a_one_student_batch_are_served(catalog) -> None:
    """A vendor's trial (stop 57): `policy.recommend(batch, overrides=TeacherOverrides(...))`
    was refused, pointing to an API the README never showed. The overrides are read as a
    `StudentView`'s are: the same list as the view with them, the assignment first, the
    exclusion gone; an unknown activity id is refused as in a view."""
    from adaptive.policy import TeacherOverrides

    policy = AdaptivePolicy(catalog)
    plain = view(sid="a")
    batch = StudentBatch.from_views(catalog, [plain])
    free = [r.activity_id for r in policy.recommend(batch, 5, NOW)]
    teacher = TeacherOverrides(assigned=("geo-3",), excluded=frozenset({free[0]}))
    got = [r.activity_id for r in policy.recommend(batch, 5, NOW, overrides=teacher)]
    as_view = [r.activity_id for r in policy.recommend(plain, 5, NOW, overrides=teacher)]
    assert got == as_view and got[0] == "geo-3" and free[0] not in got
    assert [r.activity_id for r in policy.recommend(batch, 5, NOW)] == free  # batch unchanged
    with pytest.raises(ConfigError, match="not in the catalog"):
        policy.recommend(batch, 5, NOW, overrides=TeacherOverrides(excluded=frozenset({"nope"})))
    with pytest.raises(TypeError, match="overrides"):
        policy.recommend(batch, 5, NOW, overrides={"assigned": ["geo-3"]})
    # overrides given twice (the batch's or the view's own, and more beside it) would not
    # merge: one replaced the other without a word (a review); refused, for batch and view alike
    own = StudentView(
        **{**plain.__dict__, "overrides": TeacherOverrides(excluded=frozenset({"add-0"}))}
    )
    for student in (StudentBatch.from_views(catalog, [own]), own):
        with pytest.raises(ConfigError, match="give them once"):
            policy.recommend(student, 5, NOW, overrides=teacher)
