"""Hard constraints hold for every policy, whatever the students (hypothesis property tests)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_fixtures import make_catalog
from scipy import sparse

from adaptive.policy import AdaptivePolicy, PolicyConfig, StudentBatch
from adaptive.policy.base import catalog_arrays
from adaptive.policy.baselines import BASELINES, make_policy
from adaptive.policy.constraints import check_selection

CATALOG = make_catalog()
N_S, N_A = len(CATALOG.skills), len(CATALOG.activities)
POLICIES = ["adaptive", *BASELINES]


@st.composite
def batches(draw):
    n = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    mastery = rng.random((n, N_S))
    mastery[rng.random((n, N_S)) < 0.2] = np.nan

    def mask(p):
        return sparse.csr_matrix(rng.random((n, N_A)) < p)

    assigned = sparse.csr_matrix(
        np.where(rng.random((n, N_A)) < 0.1, rng.integers(1, 9, (n, N_A)), 0).astype(float)
    )
    band = rng.random(n) < 0.3
    batch = StudentBatch.build(
        CATALOG,
        [f"s{i}" for i in range(n)],
        mastery,
        n_responses=rng.integers(0, 15, (n, N_S)),
        streak=rng.integers(0, 5, (n, N_S)),
        last_practiced=np.where(rng.random((n, N_S)) < 0.5, rng.uniform(0, 90, (n, N_S)), np.nan),
        progress=rng.uniform(-0.5, 0.5, (n, N_S)),
        goals=rng.random((n, N_S)) < 0.2,
        scope=rng.random((n, N_S)) < 0.8,
        interests=rng.random((n, len(CATALOG.topics))),
        completed=mask(0.2),
        recent=mask(0.1),
        excluded=mask(0.15),
        assigned=assigned,
        daily_minutes=rng.uniform(0, 40, n),
        min_grade=np.where(band, 3.0, np.nan),
        max_grade=np.where(band, 3.0, np.nan),
    )
    return batch


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=batches(), k=st.integers(1, 12), cap=st.integers(1, 3), which=st.sampled_from(POLICIES)
)
def test_no_policy_ever_violates_a_hard_constraint(batch, k, cap, which) -> None:
    policy = make_policy(which, CATALOG, PolicyConfig(max_per_skill=cap), seed=3)
    sel = policy.select(batch, k, now=100.0)
    violations = check_selection(sel.activity, batch, catalog_arrays(CATALOG), cap)
    assert violations == dict.fromkeys(violations, 0), violations
    # assigned picks come first, in the teacher's order
    assigned = batch.assigned.toarray()
    for i in range(len(batch)):
        flags = sel.assigned[i][sel.activity[i] >= 0]
        assert not np.any(np.diff(flags.astype(int)) > 0), "an assignment after a chosen activity"
        orders = assigned[i, sel.activity[i][sel.assigned[i]]]
        assert np.all(np.diff(orders) >= 0)


def test_check_selection_detects_violations() -> None:
    batch = StudentBatch.build(
        CATALOG, ["a"], np.zeros((1, N_S)),
        completed=sparse.csr_matrix(np.eye(1, N_A)), daily_minutes=np.array([6.0]),
    )  # fmt: skip
    ctx = catalog_arrays(CATALOG)
    bad = np.array([[0, 1, 1, 2]])  # completed act 0, a duplicate, over budget, 4 on one skill
    v = check_selection(bad, batch, ctx, max_per_skill=3)
    assert v["completed"] == 1 and v["duplicates"] == 1
    assert v["time_budget"] == 1 and v["max_per_skill"] == 1


def test_time_budget_can_leave_the_list_short() -> None:
    practised = np.zeros((1, N_S))  # days ago: every skill met, so its review may be served
    batch = StudentBatch.build(
        CATALOG, ["a"], np.zeros((1, N_S)), daily_minutes=np.array([4.5]),
        last_practiced=practised - 3.0, n_responses=np.ones((1, N_S), np.int32),
    )  # fmt: skip
    sel = AdaptivePolicy(CATALOG).select(batch, 10, now=0.0)
    assert (sel.activity >= 0).sum() == 1  # only the 4-minute review fits
    assert CATALOG.activities[sel.activity[0, 0]].expected_minutes == 4.0


def test_a_review_is_never_a_students_first_contact_with_a_skill() -> None:
    """A coordinator's trial: a new student's list opened on "Addition review", a skill the
    student had never practised (the review is short and easy, so it scored well). A review
    goes to a skill the student has practised and is forgetting (one assumed known has
    nothing to review: it is no filler either); the explanation and the short list's reasons
    say why it was left out."""
    from adaptive.policy.shortfall import shortfall

    add = CATALOG.activity_index.get_loc("rev-add")
    skill = CATALOG.skill_index.get_loc("add")
    policy = AdaptivePolicy(CATALOG)
    new = StudentBatch.build(CATALOG, ["a"], np.zeros((1, N_S)), daily_minutes=np.array([4.5]))
    sel = policy.select(new, 10, now=0.0)
    assert (sel.activity >= 0).sum() == 0  # the review alone fits: none served
    why = policy.explain(new, "rev-add", now=0.0)
    assert why.status == "unmet_review" and "has not been practised yet" in why.sentence
    short = shortfall(policy, new, sel, 10, 0.0)
    assert (
        short.reasons["unmet_review"] == 1
        and "1 is a review of a skill neither practised nor placed as mastered" in short.sentence
    )
    placed = np.zeros((1, N_S))
    placed[0, skill] = (
        PolicyConfig().assumed_known + 0.02
    )  # a prior year's record, never practised here
    known = StudentBatch.build(CATALOG, ["a"], placed, daily_minutes=np.array([4.5]))
    assert (policy.select(known, 10, now=0.0).activity >= 0).sum() == 0  # no filler either
    assert policy.explain(known, "rev-add", now=0.0).status == "assumed_known"
    answered = np.zeros((1, N_S), np.int32)
    answered[0, skill] = 5  # practised and mastered, 60 days ago: fading, so reviewed
    last = np.full((1, N_S), np.nan)
    last[0, skill] = 0.0
    fading = StudentBatch.build(
        CATALOG, ["a"], placed, n_responses=answered, streak=answered, last_practiced=last,
        daily_minutes=np.array([4.5]),
    )  # fmt: skip
    assert policy.select(fading, 10, now=60.0).activity[0, 0] == add
