"""A teacher's "remediate" mode checks the grade below before what builds on it (the trial of
stop 39: the mode only widened the grade band, so a struggling fourth grader whose own-grade
skills looked ready, their third-grade prerequisites known from the placement alone, was served
the same list with it as without it)."""

from __future__ import annotations

import dataclasses

from policy_fixtures import GRADE_4_PLACED, GRADE_CHAIN

from adaptive.batch.overrides import StudentOverride
from adaptive.curriculum import LearnerProfile
from adaptive.policy import AdaptivePolicy, PolicyConfig, StudentView

CATALOG, PLACED = GRADE_CHAIN, GRADE_4_PLACED


def top(mode: str | None, n_responses: dict[str, int] | None = None, k: int = 2) -> list[str]:
    view = StudentView(
        "kid", LearnerProfile("kid", grade=4), PLACED, n_responses=n_responses or {},
        overrides=StudentOverride(mode=mode).teacher_overrides(4) if mode else None,
    )  # fmt: skip
    recs = AdaptivePolicy(CATALOG, PolicyConfig.default()).recommend(view, k=k, now=10.0)
    return [r.skill_id for r in recs]


def test_remediate_checks_the_grade_below_first() -> None:
    assert top(None)[0] == "g4.a"  # own grade: its prerequisites count as known
    assert top("remediate")[0] == "g3.a"  # the grade below, from its start
    # once answered, a skill's traced mastery is read again: the next one is checked
    assert top("remediate", {"g3.a": 1})[0] == "g3.b"
    assert top("remediate", {"g3.a": 1, "g3.b": 1})[0] == "g4.a"
    assert top("accelerate")[0] == "g4.a"  # another mode: unchanged


def test_remediate_through_the_override_file_reaches_the_batch() -> None:
    assert StudentOverride(mode="remediate").teacher_overrides(4).remediate
    assert not StudentOverride(mode="accelerate").teacher_overrides(4).remediate
    assert not StudentOverride(mode="remediate").teacher_overrides(None).remediate  # no grade


def test_the_mode_survives_the_nightly_jobs_partition_tables() -> None:
    """The night ships each school's batch as an Arrow table (to its workers, or Spark's
    executors): the mode goes with it."""
    import numpy as np

    from adaptive.batch.partition import batch_to_table, table_to_batch
    from adaptive.policy import StudentBatch

    config = PolicyConfig.default()
    views = [
        StudentView(f"s{i}", LearnerProfile(f"s{i}", grade=4), PLACED,
                    overrides=StudentOverride(mode=m).teacher_overrides(4) if m else None)
        for i, m in enumerate(("remediate", None))
    ]  # fmt: skip
    batch = StudentBatch.from_views(CATALOG, views, config)
    back = table_to_batch(batch_to_table(batch), CATALOG, config)
    np.testing.assert_array_equal(back.remediate, [1.0, 0.0])


def test_a_checked_skill_says_the_teacher_asked_for_it() -> None:
    view = StudentView(
        "kid", LearnerProfile("kid", grade=4), PLACED,
        overrides=StudentOverride(mode="remediate").teacher_overrides(4),
    )  # fmt: skip
    first = AdaptivePolicy(CATALOG, PolicyConfig.default()).recommend(view, k=1, now=10.0)[0]
    assert first.sentence.startswith(
        "Three A: a check of an earlier grade's skill, as your teacher"
    )


def test_a_checked_skill_keeps_its_chance_of_success() -> None:
    """Only what builds on a checked skill waits: its own P(correct) is the tracer's (from the
    placement), not that of a skill never learned."""
    plain = StudentView("kid", LearnerProfile("kid", grade=4), PLACED)
    checked = StudentView(
        "kid", LearnerProfile("kid", grade=4), PLACED,
        overrides=StudentOverride(mode="remediate").teacher_overrides(4),
    )  # fmt: skip
    policy = AdaptivePolicy(CATALOG, PolicyConfig.default())
    p_plain = {r.skill_id: r.p_correct for r in policy.recommend(plain, k=5, now=10.0)}
    p_checked = {r.skill_id: r.p_correct for r in policy.recommend(checked, k=5, now=10.0)}
    assert p_checked["g3.a"] > 0.5 and p_checked["g3.a"] == p_plain.get("g3.a", p_checked["g3.a"])


def test_a_skill_the_teacher_excluded_is_not_checked() -> None:
    """Remediate, and Three B's only activity excluded: a check that can never be served would
    hold Four A back for good (the re-read of stop 53)."""
    from adaptive.policy.base import TeacherOverrides

    view = StudentView(
        "kid", LearnerProfile("kid", grade=4), PLACED,
        overrides=StudentOverride(mode="remediate").teacher_overrides(4),
    )  # fmt: skip
    overrides = view.overrides
    assert isinstance(overrides, TeacherOverrides)
    view = StudentView(
        "kid", LearnerProfile("kid", grade=4), PLACED,
        overrides=dataclasses.replace(overrides, excluded=frozenset({"g3.b.p"})),
    )  # fmt: skip
    policy = AdaptivePolicy(CATALOG, PolicyConfig.default())
    served = [r.skill_id for r in policy.recommend(view, k=3, now=10.0)]
    assert "g3.b" not in served
    assert "g4.a" in served, served
