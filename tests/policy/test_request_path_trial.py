"""Defects a vendor's backend engineer found on the per-request path (`policy.recommend` of one
model-traced student; each failed before its fix): errors that named the student."""

from __future__ import annotations

import pytest
from policy_fixtures import view
from test_cold_start import graded_catalog, model  # noqa: F401  (the fitted BKT fixture)

from adaptive.curriculum import LearnerProfile
from adaptive.errors import ConfigError
from adaptive.policy import AdaptivePolicy, StudentBatch, TeacherOverrides
from adaptive.policy.adapter import batch_from_model

NOW = 20_000.0
SID = "NEW1"


def new_student_batch(model, cat) -> StudentBatch:  # noqa: F811
    """One student new to the state, placed from grade 2: the trial's request."""
    profiles = [LearnerProfile(SID, grade=2)]
    return batch_from_model(model, model.init_state(), cat, profiles, student_ids=[SID])


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        (
            TeacherOverrides(assigned=("NOPE-1",)),
            r"^assigned: activity id 'NOPE-1' not in the catalog",
        ),
        (
            TeacherOverrides(excluded=frozenset({"m5-NUM-01"})),
            r"^excluded: activity id 'm5-NUM-01' not",
        ),
        (
            TeacherOverrides(scope_skills=frozenset({"nope"})),
            r"^scope_skills: got 'nope'; expected a skill id",
        ),
    ],
    ids=["assigned", "excluded", "scope"],
)
def test_a_bad_teacher_override_names_the_field_and_ids_never_the_student(
    model,  # noqa: F811
    overrides,
    said,
) -> None:
    """`ConfigError: student 'NEW1': unknown assigned activity ids ['NOPE-1']`: the message
    named the student (messages never do: the caller knows whom it passed). It now says the
    field, the ids and what was expected."""
    cat = graded_catalog()
    batch = new_student_batch(model, cat)
    with pytest.raises(ConfigError, match=said) as caught:
        AdaptivePolicy(cat).recommend(batch, k=3, now=NOW, overrides=overrides)
    assert SID not in str(caught.value) and "expected " in str(caught.value)


def test_of_several_students_the_error_gives_the_position_not_the_id(catalog) -> None:
    """Stacked views (or a night's override set) say which student by position."""
    from adaptive.batch.overrides import OverrideSet, StudentOverride

    views = [view(sid="kid-a"), view(sid="kid-b", overrides=TeacherOverrides(assigned=("x",)))]
    with pytest.raises(ConfigError, match=r"^the 2nd student: assigned: activity id") as caught:
        StudentBatch.from_views(catalog, views)
    assert "kid-" not in str(caught.value)
    bad = OverrideSet({"kid-b": StudentOverride(assigned=("add-9",))})
    with pytest.raises(ConfigError, match=r"^the 2nd student: overrides: 'add-9'") as caught:
        bad.batch_fields(catalog, {}, ["kid-a", "kid-b"])
    assert "kid-" not in str(caught.value)


def test_a_short_request_says_why_and_where_the_student_was_placed(model) -> None:  # noqa: F811
    """`policy.recommend(batch, k=10)` returned a plain list of 3, no reason: the README says
    `recommend_students`' lists (and the CLI's JSON) carry `.shortfall` and `.placement`. The
    per-request path now returns the same `StudentRecommendations`, from the same code."""
    from adaptive.policy.service import StudentRecommendations

    cat = graded_catalog()
    batch = new_student_batch(model, cat)
    policy = AdaptivePolicy(cat)
    recs = policy.recommend(batch, k=40, now=NOW)  # more than the catalog can give today
    assert isinstance(recs, StudentRecommendations) and isinstance(recs, list)
    assert recs.placement == "placed from grade 2" and 0 < len(recs) < 40
    why = recs.shortfall
    assert why is not None and (why.requested, why.returned) == (40, len(recs))
    assert why.sentence.startswith(f"{len(recs)} of 40 recommended: of the other activities")
    assert recs == list(recs) and [r.rank for r in recs] == list(range(1, len(recs) + 1))
    full = policy.recommend(batch, k=1, now=NOW)
    assert full.shortfall is None and full.placement == "placed from grade 2"
    assert policy.recommend(view(), k=40, now=NOW).shortfall is not None  # a vendor's view too


def test_a_model_of_fewer_skills_than_the_catalog_is_a_coverage_warning(model, caplog) -> None:  # noqa: F811
    """A model trained on catalog v1 served with catalog v2 (a skill added): the notice went
    through `logging`, so a service capturing warnings missed it. It is a `CoverageWarning`,
    pointing at the line that built the batch, once per model and catalog, and not logged."""
    import logging
    import warnings

    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.errors import CoverageWarning

    v1 = graded_catalog()
    added = Skill("new.1", "New", grade=2)
    v2 = Catalog(
        (*v1.skills, added),
        (*v1.activities, Activity("new.1.a", "New", ("new.1",), grade=2)),
        topics=v1.topics,
    )
    profiles = [LearnerProfile(SID, grade=2)]
    with caplog.at_level(logging.WARNING), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):  # two requests: said once
            batch_from_model(model, model.init_state(), v2, profiles, student_ids=[SID])
    said = [w for w in caught if issubclass(w.category, CoverageWarning)]
    assert len(said) == 1 and str(said[0].message).startswith("model knows 5 of 6 catalog skills")
    assert said[0].filename == __file__  # the caller's line, as the other coverage warnings
    assert SID not in str(said[0].message)
    assert not [r for r in caplog.records if "catalog skills" in r.getMessage()]


def test_a_now_before_the_students_latest_answer_is_said(model) -> None:  # noqa: F811
    """`recommend(..., now="2026-01-01")` for answers of October 2026 served without a word: a
    wrong clock or date string reads every time since practice as negative. It is now one
    `LateAnswerWarning` a call, with both dates and no id; the answers' own day is no mistake."""
    import warnings

    from adaptive.data import Response
    from adaptive.errors import LateAnswerWarning

    cat = graded_catalog()
    answers = [
        Response(SID, "add-0", ("add",), 1, "2026-10-01T10:00:00Z"),
        Response(SID, "add-1", ("add",), 0, "2026-10-01T10:15:00Z"),
    ]
    profiles = [LearnerProfile(SID, grade=2)]
    state = model.init_state([SID])
    model.update(state, answers)
    batch = batch_from_model(model, state, cat, profiles, log=answers, student_ids=[SID])
    policy = AdaptivePolicy(cat)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        policy.recommend(batch, k=3, now="2026-01-01")
    said = [w for w in caught if issubclass(w.category, LateAnswerWarning)]
    assert len(said) == 1 and said[0].filename == __file__
    text = str(said[0].message)
    assert "now (2026-01-01 00:00 UTC)" in text and "latest answer (2026-10-01 10:15 UTC)" in text
    assert SID not in text and said[0].message.students == (SID,)
    for now in ("2026-10-01", "2026-10-20", None):  # the day of the answers, or after: unsaid
        policy.recommend(batch, k=3, now=now)  # pyproject makes a LateAnswerWarning an error


def test_a_short_request_works_out_features_and_eligibility_once(model, monkeypatch) -> None:  # noqa: F811
    """`recommend` on a short list scored the student in `select`, then `shortfall` worked out
    the features and eligibility again (~0.5 ms a request). The shortfall now reads what the
    selection computed; the same counts and sentence as `shortfall` given the selection."""
    from adaptive.policy import recommender
    from adaptive.policy.shortfall import shortfall

    cat = graded_catalog()
    batch = new_student_batch(model, cat)
    policy = AdaptivePolicy(cat)
    worked = []
    real = AdaptivePolicy._features_eligible
    monkeypatch.setattr(
        AdaptivePolicy, "_features_eligible", lambda *a, **kw: worked.append(1) or real(*a, **kw)
    )
    said = []
    real_of = recommender.shortfall_of
    monkeypatch.setattr(
        recommender, "shortfall_of", lambda *a, **kw: said.append(1) or real_of(*a, **kw)
    )
    recs = policy.recommend(batch, k=40, now=NOW)
    assert said == []  # a request that never reads why pays nothing for it (~0.3 ms)
    assert len(worked) == 1 and recs.shortfall is not None and recs.shortfall is recs.shortfall
    assert said == [1] and len(worked) == 1  # worked out once, from the selection's scoring
    alone = shortfall(policy, batch, policy.select(batch, 40, NOW), 40, NOW)
    assert recs.shortfall == alone
