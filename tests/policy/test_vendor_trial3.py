"""Defects a third vendor's trial found in the policy and a teacher's overrides (each failed
before its fix): a request's overrides not checked as a file's are, grades and flags it could
not read, a week of no minutes served a full day, a catalog of no activities, no way to set a
whole skill aside, a review served on a grade guess."""

from __future__ import annotations

import numpy as np
import pytest
from policy_fixtures import view

from adaptive.batch.overrides import StudentOverride
from adaptive.errors import ConfigError
from adaptive.policy import AdaptivePolicy, StudentBatch, TeacherOverrides
from adaptive.policy.shortfall import shortfall

NOW = 20_000.0


def test_a_request_refuses_an_activity_both_assigned_and_excluded_as_a_file_does(catalog):
    """`TeacherOverrides(assigned=("a",), excluded={"a"})` dropped the pin without a word; an
    overrides file with the same is a named problem. One rule now says both (and an activity
    assigned twice, served once, as a file says it)."""
    with pytest.raises(ConfigError) as err:
        TeacherOverrides(assigned=("add-1",), excluded=frozenset({"add-1", "geo-0"}))
    assert str(err.value) == (
        "TeacherOverrides: excluded 'add-1': expected an activity either assigned or excluded "
        "(this one is also in assigned, and the exclusion would win without a word)"
    )
    with pytest.raises(ConfigError, match=r"^TeacherOverrides: assigned\[2\] 'add-1': expected "
                       r"each activity once in assigned \(it is also assigned\[0\]"):  # fmt: skip
        TeacherOverrides(assigned=("add-1", "geo-0", " add-1"))
    with pytest.raises(ConfigError, match=r"^StudentOverride.excluded\[0\] 'add-1': expected an "):
        StudentOverride(assigned=("add-1",), excluded=("add-1",))
    ok = TeacherOverrides(assigned=("add-1",), excluded=frozenset({"geo-0"}))
    recs = AdaptivePolicy(catalog).recommend(view(), k=3, now=NOW, overrides=ok)
    assert recs[0].activity_id == "add-1" and "geo-0" not in [r.activity_id for r in recs]


def test_a_teachers_grade_band_reads_grades_as_profiles_do_and_refuses_what_it_cannot():
    """`min_grade="7th"`, `max_grade="Grade 7"` and `remediate="yes"` were bare ValueErrors
    deep in the policy, while `max_grade=7.5` (a grade no profile takes) was taken."""
    band = TeacherOverrides(min_grade="6th", max_grade="Grade 7", remediate=np.True_)
    assert (band.min_grade, band.max_grade, band.remediate) == (6, 7, True)
    assert TeacherOverrides(min_grade="K", max_grade=7.0).max_grade == 7
    with pytest.raises(ConfigError) as err:
        TeacherOverrides(max_grade=7.5)
    assert str(err.value).startswith("TeacherOverrides: max_grade: grade 7.5; expected a whole")
    with pytest.raises(ConfigError, match=r"^TeacherOverrides: min_grade: grade 'seventh'"):
        TeacherOverrides(min_grade="seventh")
    with pytest.raises(ConfigError) as err:
        TeacherOverrides(remediate="yes")
    assert str(err.value) == "TeacherOverrides: remediate 'yes'; expected True or False"
    with pytest.raises(ConfigError, match="min_grade 8 above max_grade 7"):
        TeacherOverrides(min_grade="8th", max_grade="7")


def test_a_week_of_no_minutes_is_a_day_of_none_not_a_default_day(catalog, tmp_path):
    """`LearnerProfile(weekly_minutes=0)` was served a full default day (30 minutes): 0 read as
    "not given". It is now an empty list whose shortfall and `explain` say the budget is 0;
    only a profile without minutes (None, or an empty cell of a profiles file) gets the
    default."""
    from adaptive.curriculum import LearnerProfile, read_profiles

    policy = AdaptivePolicy(catalog)
    none = view(profile=LearnerProfile("s1", grade=3, weekly_minutes=0))
    recs = policy.recommend(none, k=3, now=NOW)
    assert list(recs) == [] and recs.shortfall.minutes_budget == 0.0
    assert recs.shortfall.sentence == NO_TIME_SENTENCE
    why = policy.explain(none, "add-0", now=NOW)
    assert why.status == "over_budget" and "today's time budget is 0 minutes" in why.sentence
    pinned = policy.recommend(none, k=3, now=NOW, overrides=TeacherOverrides(assigned=("add-1",)))
    assert [r.activity_id for r in pinned] == ["add-1"]  # a teacher's choice is served anyway
    default = view(profile=LearnerProfile("s1", grade=3, weekly_minutes=None))
    assert len(policy.recommend(default, k=3, now=NOW)) == 3
    path = tmp_path / "profiles.csv"
    path.write_text("student_id,grade,weekly_minutes\na,3,\nb,3,0\n")
    assert {s: p.weekly_minutes for s, p in read_profiles(path).items()} == {"a": None, "b": 0.0}


NO_TIME_SENTENCE = (
    "0 of 3 recommended: today's time budget is 0 minutes (a day with no time: only a "
    "teacher's assigned activities are served)."
)


def test_a_teachers_day_of_no_minutes_is_a_day_with_no_time_as_a_profiles_is(catalog):
    """A profile's `weekly_minutes=0` gave an empty list that said so, while a teacher's
    `TeacherOverrides(daily_minutes=0)` was a ConfigError, and the shortfall blamed "a
    profile's weekly_minutes of 0" for any budget of 0 (a teacher's, a batch built with
    `daily_minutes=0`). One rule: 0 minutes is a day with no time, said without a cause the
    list cannot know; a teacher's assigned activity is still served. A negative day is refused."""
    policy = AdaptivePolicy(catalog)
    none = TeacherOverrides(daily_minutes=0)
    recs = policy.recommend(view(overrides=none), k=3, now=NOW)
    assert list(recs) == [] and recs.shortfall.sentence == NO_TIME_SENTENCE
    why = policy.explain(view(overrides=none), "add-0", now=NOW)
    assert why.status == "over_budget" and "weekly_minutes" not in why.sentence
    pinned = TeacherOverrides(daily_minutes=0, assigned=("add-1",))
    assert [r.activity_id for r in policy.recommend(view(), k=3, now=NOW, overrides=pinned)] == [
        "add-1"
    ]
    batch = StudentBatch.from_views(catalog, [view()])
    batch.daily_minutes = np.zeros(1)  # as StudentBatch.build(daily_minutes=[0]) gives
    sel = policy.select(batch, 3, NOW)
    assert shortfall(policy, batch, sel, 3, NOW).sentence == NO_TIME_SENTENCE
    with pytest.raises(ConfigError, match=r"daily_minutes -5; expected minutes >= 0 \(0: a day"):
        TeacherOverrides(daily_minutes=-5)


def test_a_catalog_of_no_activities_loads_for_tracing_and_a_policy_says_why_it_cannot_use_it(
    catalog, tmp_path
):
    """`"activities": []` loaded, and `AdaptivePolicy(catalog)` then failed with "ValueError:
    cannot reshape array of size 0". Skills alone serve tracing (it still loads); a policy
    refuses it in one sentence naming the file."""
    import json

    from adaptive.curriculum import Catalog
    from adaptive.policy.baselines import CurriculumOrder

    doc = catalog.to_dict()
    doc["activities"] = []
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(doc))
    skills_only = Catalog.from_json(path)
    assert len(skills_only.skills) == 5 and skills_only.read_from == str(path)
    assert skills_only == Catalog(catalog.skills, topics=catalog.topics)  # not a field
    with pytest.raises(ConfigError) as err:
        AdaptivePolicy(skills_only)
    assert str(err.value) == (
        f"{path}: the catalog has 5 skills and no activities; a policy recommends activities, "
        "so expected at least one in its activities list (a catalog of skills alone serves "
        "knowledge tracing, not recommendations)"
    )
    with pytest.raises(ConfigError, match=r"^the catalog has 5 skills and no activities"):
        CurriculumOrder(Catalog(catalog.skills))


def test_a_review_of_a_skill_never_practised_says_why_by_the_rule_that_serves_it(catalog):
    """A vendor's new student: one review served (its skill placed at 0.7, above
    `mastery_threshold`), another refused as "has not been practised yet", and the shortfall
    counting "reviews of skills not practised yet" beside the one served. The rule is one: a
    review needs a skill the student has met, practised or placed as mastered (a stricter rule,
    practice only, lost prerequisite-cold's lead over ZPDES in the policy matrix: reviews of
    placed skills are short checks there); the refusal and the shortfall now say that rule."""
    policy = AdaptivePolicy(catalog)
    low = view({"add": 0.5})  # never answered: a placement below mastery
    recs = policy.recommend(low, k=20, now=NOW)
    why = policy.explain(low, "rev-add", now=NOW)
    assert why.status == "unmet_review"
    assert why.sentence == (
        "Addition review is a review: Addition has not been practised yet and its estimate "
        "(50%) is below mastery (65%): its practice comes first."
    )
    assert recs.shortfall.reasons["unmet_review"] == 1
    assert "1 is a review of a skill neither practised nor placed as mastered" in (
        recs.shortfall.sentence
    )
    close = policy.explain(view({"add": 0.649}), "rev-add", now=NOW).sentence
    assert "its estimate (just under 65%) is below mastery (65%)" in close
    high = view({"add": 0.8})  # placed as mastered: a review is a short check, served
    assert policy.explain(high, "rev-add", now=NOW).status != "unmet_review"


def test_a_teacher_sets_a_whole_skill_aside(catalog):
    """`excluded` took activity ids only; teachers think in skills. `excluded_skills` sets every
    activity on a skill aside, said as the teacher's exclusion; an unknown skill gets the
    closest id, and an activity assigned on a skill set aside is refused (it would be lost)."""
    policy = AdaptivePolicy(catalog)
    aside = TeacherOverrides(excluded_skills=frozenset({"add"}))
    recs = policy.recommend(view(), k=20, now=NOW, overrides=aside)
    served = [r.activity_id for r in recs]
    assert served and not [a for a in served if a.startswith(("add-", "rev-add", "mix-"))]
    why = policy.explain(view(overrides=aside), "add-0", now=NOW)
    assert (why.status, why.sentence) == (
        "excluded",
        "Addition 0 is skipped: the teacher excluded it.",
    )
    assert policy.explain(view(overrides=aside), "mix-0", now=NOW).status == "excluded"
    with pytest.raises(ConfigError) as err:
        policy.recommend(view(), k=3, now=NOW, overrides=TeacherOverrides(excluded_skills={"Add"}))
    assert str(err.value) == (
        "excluded_skills: got 'Add'; expected a skill id of the catalog (did you mean 'add'?)"
    )
    both = TeacherOverrides(assigned=("sub-0", "add-1"), excluded_skills=frozenset({"add"}))
    with pytest.raises(ConfigError) as err:
        policy.recommend(view(), k=3, now=NOW, overrides=both)
    # in an overrides file's words (`set_aside_clashes`: it said "an activity either assigned
    # or on a skill of excluded_skills", without the skill or the position)
    assert str(err.value) == (
        "assigned[1] 'add-1': expected an activity on no skill of excluded_skills (this one is "
        "on 'add', and the exclusion would win without a word)"
    )


def test_an_unknown_skill_id_is_said_in_one_wording_wherever_it_is_named(catalog):
    """A skill id the catalog lacks was said three ways: `excluded_skills` "skill id(s) not in
    the catalog: 'Add' (did you mean 'add' for 'Add'?); expected ids of catalog.skills",
    `scope_skills` "scope_skills not in the catalog: ['Add']; expected ids of catalog.skills"
    (no hint), an overrides file "got 'Add'; expected a skill id of the catalog (did you mean
    'add'?)", and a view's values keyed by skill a fourth. One function words them all."""
    from adaptive.curriculum import LearnerProfile
    from adaptive.curriculum.catalog import skill_expected
    from adaptive.policy import StudentView

    policy = AdaptivePolicy(catalog)
    said = "got 'Add'; expected a skill id of the catalog (did you mean 'add'?)"
    assert skill_expected(["Add"], catalog.skill_ids) == said.split("expected ")[1]
    for field_, overrides in (
        ("excluded_skills", TeacherOverrides(excluded_skills=frozenset({"Add"}))),
        ("scope_skills", TeacherOverrides(scope_skills=frozenset({"Add", "sub"}))),
    ):
        with pytest.raises(ConfigError) as err:
            policy.recommend(view(), k=3, now=NOW, overrides=overrides)
        assert str(err.value) == f"{field_}: {said}"
    with pytest.raises(ConfigError) as err:
        policy.recommend(StudentView("s1", LearnerProfile("s1"), {"Add": 0.5}), k=3, now=NOW)
    assert str(err.value).endswith(f": {said}")
    with pytest.raises(ConfigError) as err:
        policy.recommend(StudentView("s1", LearnerProfile("s1"), {"Add": 0.5, "zzz": 0.1}), 3, NOW)
    assert str(err.value).endswith(
        ": got 'Add', 'zzz'; expected a skill id of the catalog (did you mean 'add' for 'Add'?)"
    )
