"""A district curriculum team's trial (their own catalog, profiles and policy): what a student
who already knows a skill is served, and what a vendor's partial estimates place."""

from __future__ import annotations

import numpy as np
import pytest

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.errors import ConfigError
from adaptive.policy import AdaptivePolicy, PolicyConfig, StudentBatch, StudentView
from adaptive.policy.base import SMALLEST_REASON
from adaptive.policy.shortfall import shortfall

CATALOG = Catalog(
    (
        Skill("K.CC.A.1", "Count to 100", grade=0),
        Skill("7.NS.A.1", "Rational numbers 1", ("K.CC.A.1",), grade=7),
        Skill("7.NS.A.2", "Rational numbers 2", ("7.NS.A.1",), grade=7),
    ),
    (
        Activity("K.CC.A.1-practice1", "Counting jars", ("K.CC.A.1",), expected_minutes=5.0),
        Activity("7.NS.A.1-practice1", "Add rationals", ("7.NS.A.1",), expected_minutes=20.0),
        Activity("7.NS.A.2-practice1", "Multiply rationals", ("7.NS.A.2",), expected_minutes=20.0),
    ),
)
GRADE_7 = LearnerProfile("S1", grade=7, weekly_minutes=150.0)  # 30 minutes a day


def test_a_skill_the_student_already_knows_does_not_fill_spare_minutes() -> None:
    """Grade 5-8 students were served the 5-minute kindergarten "Counting jars" to fill the
    day's last minutes, as "something new to try", on a skill their placement counted as
    known (P 0.99999, never answered); `explain` called it "on the ready-to-learn fringe"
    with reasons of +0.000. Now it is not served, and both the explanation and the short
    list's reasons say it is assumed known."""
    policy = AdaptivePolicy(CATALOG)
    view = StudentView("S1", GRADE_7, {"K.CC.A.1": 0.99999, "7.NS.A.1": 0.9, "7.NS.A.2": 0.1})
    served = [r.activity_id for r in policy.recommend(view, k=5, now=0.0)]
    assert served == ["7.NS.A.2-practice1"]  # 20 of 30 minutes: nothing else to learn today
    why = policy.explain(view, "K.CC.A.1-practice1", now=0.0)
    assert why.status == "assumed_known", why
    assert (
        "was never answered, and its starting estimate (over 99%) counts it as known"
        in why.sentence
    )
    batch = StudentBatch.from_views(CATALOG, [view])
    short = shortfall(policy, batch, policy.select(batch, 5, 0.0), 5, 0.0)
    assert "1 is on a skill assumed known (never answered" in short.sentence, short.sentence


def test_a_vendors_partial_estimates_leave_the_other_skills_placed_from_the_grade() -> None:
    """A vendor sending estimates for the skills it tracks ({"7.NS.A.1": 0.9}) got, for a
    grade 7 student, kindergarten counting as "a good next skill to start": a skill left out
    of the view read as not started. It is placed from the profile's grade now, as
    `batch_from_model` places a student without history."""
    policy = AdaptivePolicy(CATALOG)
    view = StudentView("S1", GRADE_7, {"7.NS.A.1": 0.9})
    served = [r.activity_id for r in policy.recommend(view, k=5, now=0.0)]
    assert "K.CC.A.1-practice1" not in served and served[0] == "7.NS.A.2-practice1", served
    no_grade = StudentView("S1", LearnerProfile("S1"), {"7.NS.A.1": 0.9})
    assert "K.CC.A.1-practice1" in [
        r.activity_id for r in policy.recommend(no_grade, k=5, now=0.0)
    ]  # without a grade a left-out skill is still not known


def test_a_goal_that_weighed_half_the_strongest_reason_or_more_is_said_too() -> None:
    """With the team's `weights.aspiration = 2.0`, 429 of 480 recommendations led toward a
    student's goal (up to +1.99 of the score), and 8 sentences said so: the sentence names
    only the strongest reason ("you are ready for it now that you know ..."). A goal that
    weighed at least half as much is now a second sentence; a small one is not."""
    goal = LearnerProfile("S1", grade=7, goal_skills=("7.NS.A.2",))
    view = StudentView("S1", goal, {"K.CC.A.1": 0.99, "7.NS.A.1": 0.9, "7.NS.A.2": 0.1})
    strong = PolicyConfig.default().with_(weights={"aspiration": 2.0})
    (rec,) = AdaptivePolicy(CATALOG, strong).recommend(view, k=1, now=0.0)
    assert rec.sentence.endswith("It is also a step toward your goal Rational numbers 2."), rec
    (rec,) = AdaptivePolicy(CATALOG).recommend(view, k=1, now=0.0)  # aspiration 0.4
    assert "goal" not in rec.sentence, rec.sentence


def test_reasons_that_weigh_nothing_are_not_listed() -> None:
    """`explain` listed "aspiration: leads toward one of the student's goal skills (+0.000)"
    and, for an activity left out, every term whatever it weighed. A reason is listed when
    it weighs at least `SMALLEST_REASON`, served or not."""
    hour = LearnerProfile("S1", grade=7, weekly_minutes=300.0)  # both activities fit
    view = StudentView("S1", hour, {"K.CC.A.1": 0.99, "7.NS.A.1": 0.7, "7.NS.A.2": 0.1})
    policy = AdaptivePolicy(CATALOG)
    served = policy.explain(view, "7.NS.A.1-practice1", now=0.0, k=1)
    left = policy.explain(view, "7.NS.A.2-practice1", now=0.0, k=1)
    assert {served.status, left.status} == {"recommended", "eligible"}, (served, left)
    for why in (served, left):
        assert why.reasons and all(abs(r.contribution) >= SMALLEST_REASON for r in why.reasons)
        assert "progress" not in {r.term for r in why.reasons}  # no answers: no progress


def test_what_is_assumed_known_is_a_setting_of_the_policy() -> None:
    """A district whose own grade table places the grade below at 0.96 raises `assumed_known`
    with it, so that those skills stay worth a check; outside (0, 1] it is refused."""
    view = StudentView("S1", GRADE_7, {"K.CC.A.1": 0.96, "7.NS.A.1": 0.9, "7.NS.A.2": 0.1})
    shipped = [r.activity_id for r in AdaptivePolicy(CATALOG).recommend(view, k=5, now=0.0)]
    raised = PolicyConfig.default().with_(assumed_known=0.99)
    own = [r.activity_id for r in AdaptivePolicy(CATALOG, raised).recommend(view, k=5, now=0.0)]
    assert "K.CC.A.1-practice1" not in shipped and "K.CC.A.1-practice1" in own, (shipped, own)
    for bad in (0.0, 1.5):
        with pytest.raises(ConfigError, match="assumed_known"):
            PolicyConfig.default().with_(assumed_known=bad)


def test_a_placement_of_the_threshold_kept_in_float32_is_assumed_known() -> None:
    """The placement office's trial (L19): a grade-12 student placed at 0.95 on a grade 3-8
    catalog was served its grade 3 skills as "something new to try": a model's state keeps
    0.95 in float32 (0.94999999), under `assumed_known` 0.95."""
    stored = float(np.float32(0.95))
    assert stored < 0.95
    view = StudentView("S1", GRADE_7, {"K.CC.A.1": stored, "7.NS.A.1": 0.9, "7.NS.A.2": 0.1})
    served = [r.activity_id for r in AdaptivePolicy(CATALOG).recommend(view, k=5, now=0.0)]
    assert served and "K.CC.A.1-practice1" not in served, served


def test_a_views_skill_id_in_another_case_gets_the_catalogs_spelling() -> None:
    """`{"4.nf.b.3a": 0.9}` from a vendor's lower-cased export was refused as "skill id(s) not
    in the catalog: ['4.nf.b.3a']" with no hint of the catalog's '4.NF.B.3a'."""
    view = StudentView("S1", GRADE_7, {"7.ns.a.1": 0.9})
    with pytest.raises(ConfigError, match=r"got '7.ns.a.1'; .* \(did you mean '7.NS.A.1'\?\)"):
        AdaptivePolicy(CATALOG).recommend(view, k=1, now=0.0)


def test_assumed_known_holds_whatever_the_mastery_rule() -> None:
    """With `min_responses_mastered = 0` (a valid setting) a skill placed at 0.99 counted as
    mastered, and the rule that withholds assumed-known skills no longer saw it: the
    kindergarten filler came back."""
    view = StudentView("S1", GRADE_7, {"K.CC.A.1": 0.99, "7.NS.A.1": 0.9, "7.NS.A.2": 0.1})
    config = PolicyConfig.default().with_(min_responses_mastered=0)
    served = [r.activity_id for r in AdaptivePolicy(CATALOG, config).recommend(view, 5, 0.0)]
    assert "K.CC.A.1-practice1" not in served, served


def test_a_student_without_a_grade_and_a_pre_kindergartner_are_placed_apart() -> None:
    """The view's placement row is made once per grade: "no grade" must not share a row with
    pre-kindergarten (grade -1), whichever comes first."""
    for first, second in ((None, -1), (-1, None)):
        rows = {}
        for grade in (first, second):
            view = StudentView("S1", LearnerProfile("S1", grade=grade), {"7.NS.A.1": 0.9})
            rows[grade] = StudentBatch.from_views(CATALOG, [view]).mastery[0]
        assert np.isnan(rows[None][0]) and not np.isnan(rows[-1][0]), rows
