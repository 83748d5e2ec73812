"""A vendor's wrong argument to the policy's Python API: one error naming the argument and the
way to make the right one, never an AttributeError deep inside (users' reports)."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import numpy as np
import pytest
from policy_fixtures import SKILLS, view

from adaptive.errors import ConfigError, UnknownKeywordError
from adaptive.policy import AdaptivePolicy, PolicyConfig, StudentBatch, StudentView
from adaptive.policy.base import TeacherOverrides
from adaptive.policy.baselines import RandomEligible

NOW = 20_000.0


def test_a_dict_config_says_to_use_from_dict(catalog) -> None:
    with pytest.raises(TypeError, match=r"config: expected a PolicyConfig, got dict.*from_dict"):
        AdaptivePolicy(catalog, {"target_p_correct": 0.7})  # type: ignore[arg-type]


def test_a_catalog_path_says_to_use_from_json(config) -> None:
    with pytest.raises(
        TypeError, match=r"catalog: expected a Catalog, got str.*Catalog\.from_json"
    ):
        AdaptivePolicy("catalog.json", config)  # type: ignore[arg-type]


def test_baselines_check_their_arguments_too(catalog) -> None:
    with pytest.raises(TypeError, match="config: expected a PolicyConfig"):
        RandomEligible(catalog, {"max_per_skill": 2})  # type: ignore[arg-type]


def test_a_dict_profile_is_a_type_error_naming_the_field() -> None:
    with pytest.raises(TypeError, match=r"profile: expected a LearnerProfile or None, got dict"):
        StudentView("s1", {"grade": 2}, {"add": 0.5})  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["completed", "recent", "excluded"])
def test_activity_ids_not_in_the_catalog_are_named(catalog, field) -> None:
    policy = AdaptivePolicy(catalog, PolicyConfig())
    student = {
        "completed": view(completed=frozenset({"nope", "add-0"})),
        "recent": view(recent=("zzz",)),
        "excluded": view(overrides=TeacherOverrides(excluded=frozenset({"add-09"}))),
    }[field]
    with pytest.raises(ConfigError, match=rf"^{field}: activity id '[^']+' not in the catalog"):
        policy.recommend(student, k=3, now=NOW)


@pytest.mark.parametrize(
    "counts", [{"add": -5}, {"add": 2.5}, {"add": float("nan")}], ids=["negative", "2.5", "nan"]
)
@pytest.mark.parametrize("field", ["n_responses", "streak"])
def test_counts_must_be_whole_numbers_at_least_zero(catalog, field, counts) -> None:
    policy = AdaptivePolicy(catalog, PolicyConfig())
    v = StudentView("s1", None, dict.fromkeys(SKILLS, 0.5), **{field: counts})
    with pytest.raises(ConfigError, match=rf"^{field}: .*whole numbers >= 0"):
        policy.recommend(v, k=3, now=NOW)


def test_good_counts_and_known_ids_are_still_served(catalog) -> None:
    policy = AdaptivePolicy(catalog, PolicyConfig())
    v = StudentView(
        "s1",
        None,
        dict.fromkeys(SKILLS, 0.5),
        n_responses={"add": 3},
        streak=np.zeros(len(SKILLS)),
        completed=frozenset({"add-0"}),
        recent=("sub-1",),
    )
    assert policy.recommend(v, k=3, now=NOW)


def test_teacher_constraints_that_leave_nothing_are_errors(catalog) -> None:
    """The vendor trial of stop 39: a band of min_grade 6 to max_grade 5, a day of -5
    minutes, or a scope of no catalog skill gave an empty list without a word (a day of 0
    minutes is a day with no time: an empty list that says so)."""
    from adaptive.curriculum import LearnerProfile

    with pytest.raises(ConfigError, match="min_grade 6 above max_grade 5"):
        TeacherOverrides(min_grade=6, max_grade=5)
    with pytest.raises(ConfigError, match="expected minutes >= 0"):
        TeacherOverrides(daily_minutes=-5)
    view = StudentView(
        "kid",
        LearnerProfile("kid"),
        {},
        overrides=TeacherOverrides(scope_skills=frozenset({"nope"})),
    )
    with pytest.raises(ConfigError, match=r"scope_skills: got 'nope'; expected a skill id of"):
        AdaptivePolicy(catalog).recommend(view, k=3, now=10.0)


def test_a_view_with_another_students_profile_is_refused() -> None:
    """The vendor trial of stop 39: another student's profile (grade, interests) was used for
    this one without a word. The error named both ids (a vendor trial of stop 59): it names none."""
    from adaptive.curriculum import LearnerProfile

    with pytest.raises(ConfigError, match="StudentView with another student's profile") as bad:
        StudentView("stu9000001", LearnerProfile("stu9000002", grade=4), {})
    assert "900000" not in str(bad.value)  # no ids: an app logs its exceptions
    assert StudentView(" a ", LearnerProfile("a"), {}).profile.student_id == "a"


def test_activity_ids_where_a_batch_takes_a_matrix_say_where_a_teachers_choices_go() -> None:
    """The vendor trial of stop 39: `batch_from_model(..., assigned=["g4.NF.2.practice1"])`, as
    its docstring's keywords read, was a ValueError deep in scipy."""
    from policy_fixtures import make_catalog

    from adaptive.policy import StudentBatch

    cat = make_catalog()
    with pytest.raises(TypeError, match=r"assigned: activity ids .*OverrideSet"):
        StudentBatch.build(cat, ["kid"], np.zeros((1, len(cat.skills))), assigned=["x.p"])


def test_a_view_naming_many_unknown_skills_says_how_many() -> None:
    """A vendor's mastery keyed by its own skill codes: the error listed the first five and
    said nothing of the rest, so a map of 40 codes looked like 5 to fix."""
    from policy_fixtures import make_catalog

    from adaptive.curriculum import LearnerProfile
    from adaptive.policy import AdaptivePolicy, StudentView

    cat = make_catalog()
    view = StudentView("v", LearnerProfile("v"), {f"code{i}": 0.5 for i in range(7)})
    with pytest.raises(
        ConfigError, match=r"'code0', 'code1', 'code2', 'code3', 'code4' and 2 more"
    ):
        AdaptivePolicy(cat).recommend(view, k=3, now=0.0)


def test_a_misspelt_config_keyword_names_the_one_meant() -> None:
    """`PolicyConfig(mastery_treshold=0.7)` was Python's bare "__init__() got an unexpected
    keyword argument"; from_dict and with_ named the one meant already. Still a TypeError."""
    with pytest.raises(UnknownKeywordError) as err:
        PolicyConfig(mastery_treshold=0.7)
    assert isinstance(err.value, TypeError)
    assert str(err.value).startswith(
        "PolicyConfig(...): unknown keyword 'mastery_treshold' (did you mean "
        "'mastery_threshold'?); valid keywords: assumed_known,"
    ), err.value
    assert list(inspect.signature(PolicyConfig).parameters)[:2] == ["weights", "target_p_correct"]
    config = PolicyConfig(mastery_threshold=0.7)
    assert pickle.loads(pickle.dumps(config)) == config
    assert dataclasses.replace(config, target_p_correct=0.7).target_p_correct == 0.7


def test_a_misspelt_batch_field_names_the_one_meant(catalog) -> None:
    """`StudentBatch.build(exclded=...)` said "unknown field(s) ['exclded']", nothing more."""
    with pytest.raises(UnknownKeywordError, match=r"unknown keyword 'exclded' \(did you mean "
                       r"'excluded'\?\); valid keywords: ability, accelerate, assigned,"):  # fmt: skip
        StudentBatch.build(catalog, ["s1"], np.zeros((1, len(catalog.skills))), exclded=None)


def test_a_misspelt_knob_is_one_error_type_and_wording_from_every_keyword_call() -> None:
    """`config.with_(retention_treshold=0.7)` raised a plain ConfigError ("policy config:
    unknown key ...; valid keys: ..."), not the UnknownKeywordError (a TypeError) that
    `PolicyConfig(retention_treshold=0.7)` and `dataclasses.replace` raise."""
    config = PolicyConfig()
    calls = [
        ("PolicyConfig(...)", lambda: PolicyConfig(retention_treshold=0.7)),
        ("PolicyConfig(...)", lambda: dataclasses.replace(config, retention_treshold=0.7)),
        ("PolicyConfig.with_", lambda: config.with_(retention_treshold=0.7)),
    ]
    for where, call in calls:
        with pytest.raises(UnknownKeywordError) as err:
            call()
        assert isinstance(err.value, TypeError)
        assert str(err.value).startswith(
            f"{where}: unknown keyword 'retention_treshold' (did you mean "
            "'retention_threshold'?); valid keywords: assumed_known,"
        ), err.value
