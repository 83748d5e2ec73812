"""The pruned greedy equals the exact greedy; the adapter builds inputs from any tracer + log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from policy_fixtures import SKILLS, make_catalog

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.data.log import ResponseLog
from adaptive.errors import ConfigError
from adaptive.policy import AdaptivePolicy, StudentBatch
from adaptive.policy.adapter import align_skills, batch_from_model, history_features
from adaptive.policy.base import catalog_arrays
from adaptive.policy.constraints import select_top_k
from adaptive.tracing.base import TracingState


def reference_greedy(score, eligible, minutes, skill, budget, k, cap, variety):
    """Plain-Python greedy for one student (the specification)."""
    picks, used, count = [], 0.0, {}
    for _ in range(k):
        best, best_v = None, -np.inf
        for a in range(len(score)):
            if not eligible[a] or a in picks or used + minutes[a] > budget + 1e-9:
                continue
            c = count.get(skill[a], 0)
            if c >= cap:
                continue
            v = score[a] - variety * c
            if v > best_v:
                best, best_v = a, v
        if best is None:
            break
        picks.append(best)
        used += minutes[best]
        count[skill[best]] = count.get(skill[best], 0) + 1
    return picks


def big_catalog(n_skills=30, per_skill=12) -> Catalog:
    rng = np.random.default_rng(0)
    skills = tuple(Skill(f"s{i}") for i in range(n_skills))
    acts = tuple(
        Activity(
            f"s{i}.{j}", f"a{i}.{j}", (f"s{i}",), expected_minutes=float(rng.choice([3, 5, 9]))
        )
        for i in range(n_skills)
        for j in range(per_skill)
    )
    return Catalog(skills, acts)


@pytest.mark.parametrize("seed", range(4))
def test_pruned_greedy_is_the_exact_greedy(seed) -> None:
    cat = big_catalog()
    ctx = catalog_arrays(cat)
    n, n_a = 40, len(cat.activities)  # > 16 students: the pruned path runs
    rng = np.random.default_rng(seed)
    # few skills dominate the scores so the per-skill cap pushes picks outside the candidates
    score = rng.random((n, n_a)) + 3.0 * (ctx.primary_skill[None, :] < 2)
    score = np.round(score, 1)  # many exact ties: the lowest activity index must win them
    eligible = rng.random((n, n_a)) < 0.9
    budget = rng.uniform(10, 60, n)
    batch = StudentBatch.build(
        cat, [str(i) for i in range(n)], np.zeros((n, 30)), daily_minutes=budget
    )
    picks, *_ = select_top_k(score, eligible, batch, ctx, 10, 2, 0.4)
    for i in range(n):
        want = reference_greedy(
            score[i], eligible[i], ctx.minutes, ctx.primary_skill, budget[i], 10, 2, 0.4
        )
        assert [p for p in picks[i] if p >= 0] == want


@pytest.mark.parametrize("seed", range(6))
def test_single_student_fast_path_is_the_exact_greedy(seed) -> None:
    """One student takes its own 1-D path; it must pick exactly what the reference picks."""
    cat = big_catalog()
    ctx = catalog_arrays(cat)
    n_a = len(cat.activities)
    rng = np.random.default_rng(100 + seed)
    score = np.round(rng.random((1, n_a)) + 3.0 * (ctx.primary_skill[None, :] < 2), 1)
    eligible = rng.random((1, n_a)) < rng.uniform(0.05, 1.0)
    budget = np.array([rng.uniform(10, 200)])
    k, cap, variety = int(rng.integers(1, 20)), int(rng.integers(1, 4)), float(rng.random())
    batch = StudentBatch.build(cat, ["one"], np.zeros((1, 30)), daily_minutes=budget)
    picks, *_ = select_top_k(score, eligible, batch, ctx, k, cap, variety)
    want = reference_greedy(
        score[0], eligible[0], ctx.minutes, ctx.primary_skill, budget[0], k, cap, variety
    )
    assert [p for p in picks[0] if p >= 0] == want


def tiny_log() -> ResponseLog:
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    rows = [
        ("a", "add-0", "add", 0, 0), ("a", "add-1", "add", 0, 1), ("a", "add-2", "add", 1, 2),
        ("a", "add-3", "add", 1, 3), ("a", "add-0", "add", 1, 4), ("a", "mix-0", ["add", "sub"], 1, 30),
        ("b", "geo-0", "geo", 1, 5), ("b", "item-x", "unknown-skill", 0, 6),
    ]  # fmt: skip
    frame = pd.DataFrame(
        {
            "student_id": [r[0] for r in rows],
            "item_id": [r[1] for r in rows],
            "skill_ids": [r[2] if isinstance(r[2], list) else [r[2]] for r in rows],
            "correct": [r[3] for r in rows],
            "timestamp": [t0 + pd.Timedelta(hours=r[4]) for r in rows],
        }
    )
    return ResponseLog.from_frame(frame)


def test_history_features_from_a_log() -> None:
    cat = make_catalog()
    h = history_features(tiny_log(), ["a", "b", "c"], cat, window=3)
    add, sub, geo = SKILLS.index("add"), SKILLS.index("sub"), SKILLS.index("geo")
    assert h.n_responses[0, add] == 6 and h.n_responses[0, sub] == 1 and h.n_responses[1, geo] == 1
    assert h.streak[0, add] == 4  # 0 0 1 1 1 1
    assert h.progress[0, add] == pytest.approx(1.0 - 1 / 3)  # last 3 all right, 3 before: 1 of 3
    day0 = pd.Timestamp("2026-01-01", tz="UTC").value / 86_400e9
    assert h.last_practiced[0, add] == pytest.approx(day0 + 30 / 24)
    assert np.isnan(h.last_practiced[2]).all() and h.n_responses[2].sum() == 0  # no responses
    # practice activities are repeatable: only the non-repeatable kinds count as completed
    assert h.completed.nnz == 0
    once = history_features(tiny_log(), ["a", "b"], cat, repeatable_kinds=())
    done = {cat.activities[j].id for j in once.completed[0].indices}
    assert done == {"add-0", "add-1", "add-2", "add-3", "mix-0"}
    # recent = the last day's activities
    assert {cat.activities[j].id for j in h.recent[0].indices} == {"mix-0"}


def as_responses(log: ResponseLog, shuffle_students: bool = False) -> list:
    """The log's rows as `Response`s in time order per student (a vendor's in-memory history);
    optionally with students interleaved (each one's own order kept)."""
    from adaptive.data.log import Response

    frame = log.frame
    out = [
        Response(r.student_id, r.item_id, tuple(r.skill_ids), int(r.correct), r.timestamp)
        for r in frame.itertuples()
    ]
    if shuffle_students:  # round-robin over students: a district's answers as they arrive
        by_student: dict[str, list] = {}
        for resp in out:
            by_student.setdefault(resp.student_id, []).append(resp)
        lists = list(by_student.values())
        out = [lst[i] for i in range(max(map(len, lists))) for lst in lists if i < len(lst)]
    return out


@pytest.mark.parametrize("interleaved", [False, True])
@pytest.mark.parametrize("kinds", [("practice", "review"), ()])
def test_history_features_from_responses_equal_those_from_the_log(interleaved, kinds) -> None:
    """A vendor's per-student list of `Response` gives the same features as the `ResponseLog`
    built from it, so the per-request path needs no log (one computation behind both)."""
    cat = make_catalog()
    log = tiny_log()
    ids = ["a", "b", "c"]
    want = history_features(log, ids, cat, window=3, repeatable_kinds=kinds)
    got = history_features(
        as_responses(log, interleaved), ids, cat, window=3, repeatable_kinds=kinds
    )
    for name in ("n_responses", "streak", "progress", "last_practiced"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    for name in ("completed", "recent"):
        assert (getattr(got, name) != getattr(want, name)).nnz == 0, name
    assert want.n_responses.sum() > 0 and want.recent.nnz > 0  # the comparison is not vacuous
    untimed = [type(r)(r.student_id, r.item_id, r.skill_ids, r.correct) for r in as_responses(log)]
    plain = history_features(untimed, ids, cat, window=3)
    np.testing.assert_array_equal(plain.n_responses, want.n_responses)
    assert np.isnan(plain.last_practiced).all() and plain.recent.nnz == 0  # no times, no days
    # a list passed in another order than it happened (a vendor's trial: reversed, its streaks
    # and so its recommendations changed without a word) is read in time order, as a log is
    shuffled = as_responses(log, interleaved)[::-1]
    back = history_features(shuffled, ids, cat, window=3, repeatable_kinds=kinds)
    for name in ("n_responses", "streak", "progress", "last_practiced"):
        np.testing.assert_array_equal(getattr(back, name), getattr(want, name), err_msg=name)


class FakeTracer:
    """Any model with skills_ / mastery / predict_skill_proba works: the policy never asks which."""

    skills_ = pd.Index(["sub", "add", "other"])

    def mastery(self, state, rows):
        return state.arrays["m"][rows]

    def predict_skill_proba(self, state, rows):
        return state.arrays["m"][rows] * 0.8 + 0.1

    def ability(self, state, rows):
        return np.zeros(len(rows))


def test_batch_from_any_model_aligns_skills_by_id() -> None:
    cat = make_catalog()
    state = TracingState(["a"], {"m": np.array([[0.2, 0.97, 0.5]])})
    profiles = [
        LearnerProfile("a", grade=3, interests={"art": 1.0}, goal_skills=("div",), class_id="c1")
    ]
    batch = batch_from_model(
        FakeTracer(),
        state,
        cat,
        profiles,
        log=tiny_log(),
        student_ids=["a", "new"],
        placement=None,
    )
    assert (
        batch.mastery[0, SKILLS.index("add")] == 0.97
        and batch.mastery[0, SKILLS.index("sub")] == 0.2
    )
    assert np.isnan(batch.mastery[0, SKILLS.index("geo")])  # unknown to the model: not started
    assert np.isnan(batch.mastery[1]).all()  # a student without state
    assert batch.goals[0, SKILLS.index("div")] and batch.class_id[0] == "c1"
    recs = AdaptivePolicy(cat).recommend_batch(batch, k=3, now=20_500.0)
    assert set(recs["student_id"]) == {"a", "new"}
    m = align_skills(["x", "add"], cat, np.array([[0.1, 0.9]]))
    assert m[0, SKILLS.index("add")] == 0.9 and np.isnan(m[0, SKILLS.index("sub")])


def test_gathering_stacked_terms_equals_gathering_each_alone(catalog) -> None:
    """The policy gathers its skill terms for the chosen activities in one pass; each term's
    values must be bit-for-bit those of gathering it alone (the reasons are written out)."""
    from adaptive.policy.features import gather_activities

    ctx = catalog_arrays(catalog)
    rng = np.random.default_rng(0)
    terms = [rng.random((7, len(catalog.skills))) for _ in range(3)]
    act = rng.integers(0, len(catalog.activities), (7, 4))
    both = gather_activities(ctx, np.stack(terms, axis=-1), act)
    for i, values in enumerate(terms):
        assert np.array_equal(both[..., i], gather_activities(ctx, values, act))


def test_a_batch_of_another_catalog_is_refused_not_misread(catalog) -> None:
    """A vendor who builds the policy on one catalog and the batch on another (the same skills
    and activities in another order, as a catalog re-exported or grown between deploys) would
    have every column read as another skill: the policy refuses the batch. The same catalog
    read twice (equal ids, in the same order) lays a batch out alike and is accepted."""
    reordered = Catalog(
        skills=tuple(reversed(catalog.skills)), activities=tuple(reversed(catalog.activities))
    )
    mastery = np.full((1, len(SKILLS)), 0.1)
    batch = StudentBatch.build(reordered, ["s1"], mastery)
    policy = AdaptivePolicy(catalog)
    for call in (
        lambda: policy.select(batch, 3, 20_500.0),
        lambda: policy.recommend_batch(batch, k=3, now=20_500.0),
    ):
        with pytest.raises(ConfigError, match="built on another catalog"):
            call()
    same = make_catalog()  # equal, not the same object
    ok = StudentBatch.build(same, ["s1"], mastery)
    assert len(policy.recommend_batch(ok, k=3, now=20_500.0)) == 3
    assert len(policy.recommend_batch(ok.take(slice(0, 1)), k=3, now=20_500.0)) == 3


def test_a_batch_of_the_same_ids_with_other_prerequisites_is_refused(catalog) -> None:
    """A vendor's trial: a catalog file edited between deploys (the same skill and activity ids
    in the same order, other prerequisites) built the batch while the policy kept the old one;
    the recommendations mixed the two catalogs without a word. Refused now."""
    edited = Catalog(
        skills=tuple(
            Skill(s.id, s.name, () if s.id == "div" else s.prerequisites, grade=s.grade)
            for s in catalog.skills
        ),
        activities=catalog.activities,
        topics=catalog.topics,
    )
    assert [s.id for s in edited.skills] == [s.id for s in catalog.skills]
    batch = StudentBatch.build(edited, ["s1"], np.full((1, len(SKILLS)), 0.1))
    with pytest.raises(ConfigError, match="prerequisites, grades or topics of the same ids"):
        AdaptivePolicy(catalog).recommend_batch(batch, k=3, now=20_500.0)


def test_the_batch_carries_the_models_learning_curve_to_every_engine() -> None:
    """Before, nothing of whether the district learns gradually reached the policy. Now
    `batch_from_model` (the vendor's request, the nightly job, policy-eval) carries the fitted
    model's `learning_curve_` z for every student, and the Spark engine's Arrow table keeps it;
    a model without one (duck-typed, or saved before it was kept) reads as not measured."""
    from adaptive.batch.partition import batch_to_table, table_to_batch
    from adaptive.policy import PolicyConfig
    from adaptive.tracing.learning_curve import LearningCurve

    cat = make_catalog()
    state = TracingState(["a"], {"m": np.array([[0.2, 0.97, 0.5]])})
    model = FakeTracer()
    plain = batch_from_model(model, state, cat, [], student_ids=["a", "b"], placement=None)
    assert np.isnan(plain.learning_z).all()
    model.learning_curve_ = LearningCurve(0.13, 7.2, 1000)
    batch = batch_from_model(model, state, cat, [], student_ids=["a", "b"], placement=None)
    assert batch.learning_z.tolist() == [7.2, 7.2]
    back = table_to_batch(batch_to_table(batch), cat, PolicyConfig())
    assert back.learning_z.tolist() == [7.2, 7.2]
    assert batch.take([1]).learning_z.tolist() == [7.2]
