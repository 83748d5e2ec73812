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


def _answered_batch(model) -> tuple:  # noqa: F811
    """A batch from the state alone of a student who answered once, on 2026-10-01 10:00 UTC,
    and a policy over its catalog."""
    cat = graded_catalog()
    answers = [Response(SID, "add-0", ("add",), 1, "2026-10-01T10:00:00Z")]
    state = model.init_state([SID])
    model.update(state, answers)
    batch = batch_from_model(model, state, cat, [LearnerProfile(SID, grade=2)], student_ids=[SID])
    return batch, AdaptivePolicy(cat)


def test_now_before_the_latest_answer_warns_without_a_log(model) -> None:  # noqa: F811
    """The README's store-and-absorb path (a batch from the state alone, no `log=`) served a
    request dated before the student's latest answer without a word, while the same batch with
    `log=` warned: the batch now carries the state's latest answer time."""
    batch, policy = _answered_batch(model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        policy.recommend(batch, k=3, now="2026-01-01")
    said = _late_warnings(caught)
    assert len(said) == 1 and "latest answer (2026-10-01 10:00 UTC)" in str(said[0].message)
    assert SID not in str(said[0].message)
    policy.recommend(batch, k=3, now="2026-10-01")  # the answers' own day: unsaid (an error here)
    assert batch.take(slice(0, 1)).latest_answer.shape == (1,)


def test_a_now_years_after_the_students_latest_answer_is_said(model) -> None:  # noqa: F811
    """A vendor's trial: a `now` with a wrong year (2028 for 2027) was served without a word,
    every skill read as faded and reviews first. More than a year after the student's latest
    answer is one `LateAnswerWarning`, with both dates and no id; a summer away is unsaid."""
    batch, policy = _answered_batch(model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        policy.recommend(batch, k=3, now="2028-10-20")
    said = _late_warnings(caught)
    assert len(said) == 1 and said[0].filename == __file__
    text = str(said[0].message)
    assert "now (2028-10-20 00:00 UTC) is 2.1 years after" in text
    assert "latest answer (2026-10-01 10:00 UTC)" in text and SID not in text
    for now in ("2027-06-20", "2027-09-15"):  # a summer, or most of a year, away: unsaid
        policy.recommend(batch, k=3, now=now)  # pyproject makes a LateAnswerWarning an error


def test_interests_on_topics_the_catalog_lacks_are_said_once_without_the_student() -> None:
    """`interests={"Space": 1.0}` against the catalog's "space" (and `{"unicorns": 0.5}`) were
    ignored without a word on the per-request path. One `CoverageWarning` a call names them, with
    the catalog's topic meant, never the student; a topic still matches by its exact name."""
    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.errors import CoverageWarning
    from adaptive.policy import StudentView

    cat = Catalog(
        skills=[Skill("count", "Counting", grade=1)],
        activities=[Activity("A1", "Stars", ("count",), topics=("space",))],
    )
    profile = LearnerProfile("kid-7", grade=1, interests={"Space": 1.0, "unicorns": 0.5})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AdaptivePolicy(cat).recommend(StudentView("kid-7", profile, {}), k=1, now=20_000.0)
    said = [w for w in caught if issubclass(w.category, CoverageWarning)]
    assert len(said) == 1 and said[0].filename == __file__
    text = str(said[0].message)
    assert "'Space' (did you mean 'space'?)" in text and "'unicorns'" in text
    assert "kid-7" not in text
    fine = LearnerProfile("kid-7", grade=1, interests={"space": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoverageWarning)
        AdaptivePolicy(cat).recommend(StudentView("kid-7", fine, {}), k=1, now=20_000.0)


def test_interests_the_catalog_lacks_are_said_once_per_catalog() -> None:
    """A night said 'Space' twice: once in `check_profiles`' count of the district's profiles
    and again as a CoverageWarning of its `batch_from_model` (one per worker), as did
    `adaptive recommend`. A topic is said once per catalog: not again after `check_profiles`,
    nor on a second request."""
    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.errors import CoverageWarning
    from adaptive.policy import StudentView
    from adaptive.policy.adapter import check_profiles

    def said(cat: Catalog, profile: LearnerProfile) -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            AdaptivePolicy(cat).recommend(StudentView("kid-7", profile, {}), k=1, now=20_000.0)
        return [str(w.message) for w in caught if issubclass(w.category, CoverageWarning)]

    def catalog() -> Catalog:
        return Catalog(
            skills=[Skill("count", "Counting", grade=1)],
            activities=[Activity("A1", "Stars", ("count",), topics=("space",))],
        )

    profile = LearnerProfile("kid-7", grade=1, interests={"Space": 1.0})
    checked = catalog()
    check_profiles([profile], checked)  # the night's (and `adaptive recommend`'s) one statement
    assert said(checked, profile) == []
    fresh = catalog()
    assert len(said(fresh, profile)) == 1
    assert said(fresh, profile) == []  # the same catalog's next request
    other = LearnerProfile("kid-7", grade=1, interests={"Space": 1.0, "unicorns": 1.0})
    [new] = said(fresh, other)  # a topic not said yet still is
    assert "'unicorns'" in new and "'Space'" not in new


def test_goals_on_skills_the_catalog_lacks_are_said_once_per_catalog_without_the_student() -> None:
    """A vendor's trial: `goal_skills=("g1.cont",)` for the catalog's "g1.count" was ignored
    without a word on the per-request path (interests on unknown topics were said). Now one
    `CoverageWarning` names the goal and the skill meant (`closest_name`), never the student,
    once per catalog: not again on the next request, nor after the night's `check_profiles`."""
    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.errors import CoverageWarning
    from adaptive.policy import StudentView
    from adaptive.policy.adapter import check_profiles

    def catalog() -> Catalog:
        return Catalog(
            skills=[Skill("g1.count", "Counting", grade=1)],
            activities=[Activity("A1", "Stars", ("g1.count",))],
        )

    def said(cat: Catalog) -> list[warnings.WarningMessage]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            AdaptivePolicy(cat).recommend(StudentView("kid-7", profile, {}), k=1, now=20_000.0)
        return [w for w in caught if issubclass(w.category, CoverageWarning)]

    profile = LearnerProfile("kid-7", grade=1, goal_skills=("g1.cont",))
    cat = catalog()
    [first] = said(cat)
    text = str(first.message)
    assert "goals on skills the catalog does not have: 'g1.cont' (did you mean 'g1.count'?)" in text
    assert "kid-7" not in text and first.filename == __file__
    assert said(cat) == []  # the same catalog's next request
    checked = catalog()
    with warnings.catch_warnings(record=True) as night:
        warnings.simplefilter("always")
        check_profiles([profile], checked)
    assert any("did you mean 'g1.count'?" in str(w.message) for w in night)
    assert said(checked) == []
