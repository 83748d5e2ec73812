"""Does a district's knowledge follow the curriculum order? The check on a training log
(`check_level`, `LevelFit`), the model that keeps it, and the adaptive policy that reads a
student's never-answered skills from their first answers where it holds (issue 16)."""

from __future__ import annotations

import copy
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from adaptive.curriculum import LearnerProfile
from adaptive.data.log import ResponseLog
from adaptive.errors import ArtifactError
from adaptive.placement import GradeTable
from adaptive.placement.calibrate import answer_model, fit_start_table
from adaptive.placement.level import (
    MIN_CHECK_ANSWERS,
    CurriculumLevel,
    LevelFit,
    check_level,
    first_answers,
)
from adaptive.policy import AdaptivePolicy, PolicyConfig
from adaptive.policy.adapter import batch_from_model
from adaptive.policy.baselines import make_policy
from adaptive.simulation.junyi import synthetic_graph_catalog
from adaptive.tracing.base import KnowledgeTracer
from adaptive.tracing.bkt import BKT

CATALOG = synthetic_graph_catalog(n_skills=120, n_levels=30, seed=3)
POSITION = CurriculumLevel.of(CATALOG).position  # grade + place in the grade


def district(ordered: bool, n: int = 300, answers: int = 25, seed: int = 0):
    """A training log of `n` students of grades 2-4 who each answer `answers` skills of their
    grade, in random order, once or twice. `ordered`: each knows every skill short of a point
    inside their grade (5% gaps); else each skill is known on its own, with the grade table's
    P(known) at its grade gap (knowledge scattered across the grade)."""
    rng = np.random.default_rng(seed)
    grades = rng.integers(2, 5, n)
    if ordered:
        point = grades + rng.random(n)
        known = (POSITION[None, :] < point[:, None]) & (rng.random((n, len(POSITION))) > 0.05)
    else:
        gap = np.floor(CATALOG.skill_grades[None, :] - grades[:, None]).astype(int)
        known = rng.random(gap.shape) < GradeTable().lookup(gap)
    rows = []
    for i in range(n):
        near = np.flatnonzero(CATALOG.skill_grades == grades[i])
        for t, k in enumerate(rng.choice(near, min(answers, len(near)), replace=False)):
            for repeat in range(1 + int(rng.random() < 0.3)):
                p = 0.85 if known[i, k] else 0.2
                rows.append((f"s{i:04d}", f"{CATALOG.skills[k].id}@0", CATALOG.skills[k].id,
                             int(rng.random() < p), 2 * t + repeat))  # fmt: skip
    frame = pd.DataFrame(rows, columns=["student_id", "item_id", "skill_ids", "correct", "order"])
    frame["timestamp"] = pd.Timestamp("2026-09-01") + pd.to_timedelta(frame["order"], unit="min")
    profiles = [LearnerProfile(f"s{i:04d}", grade=int(g)) for i, g in enumerate(grades)]
    return ResponseLog.from_frame(frame.drop(columns="order")), profiles


def test_placed_at_once_is_absorbed_one_by_one():
    """`placed` (the policy's reading, all answers at once) gives the point `absorb` gives."""
    level = CurriculumLevel.of(CATALOG)
    rng = np.random.default_rng(1)
    rows, codes = rng.integers(0, 3, 40), rng.integers(0, len(CATALOG.skills), 40)
    correct = rng.integers(0, 2, 40)
    grades = np.array([2.0, 3.0, 4.0])
    at_once = level.placed(grades, rows, codes, correct, guess=0.2, slip=0.1)
    one_by_one = level.start(grades).copy()
    for r, k, c in zip(rows, codes, correct, strict=True):
        part = one_by_one[r : r + 1]
        level.absorb(part, np.array([k]), np.array([c]), np.array([0.2]), np.array([0.1]))
    np.testing.assert_allclose(level.known(at_once), level.known(one_by_one), atol=1e-9)


def test_first_answers_keep_each_skill_s_first_in_the_log_s_order():
    log, _ = district(True, n=3, answers=6)
    student, codes, correct = first_answers(log, CATALOG)
    skill = log.frame["skill_ids"].map(lambda ids: ids[0])
    frame = log.frame.assign(code=CATALOG.skill_index.get_indexer(skill))
    expected = frame.groupby(["student_id", "code"], sort=False).first().reset_index()
    assert len(student) == len(expected) < len(frame)  # some skills answered twice
    np.testing.assert_array_equal(correct, expected["correct"].to_numpy())
    np.testing.assert_array_equal(codes, expected["code"].to_numpy())


def test_the_check_tells_ordered_knowledge_from_scattered():
    """Where each student knows everything short of a point, the level fed with their first
    answers predicts the next one better than their grade does; where knowledge is scattered
    across the grade, it predicts worse (it misplaces the point)."""
    ordered = check_level(CATALOG, *district(True))
    scattered = check_level(CATALOG, *district(False))
    assert ordered.holds and ordered.gain > 0.02, ordered
    assert not scattered.holds and scattered.gain < -0.005, scattered
    assert ordered.answers >= 5000 and "follows the curriculum order" in str(ordered)
    assert "does not follow" in str(scattered)


def test_a_log_with_dates_only_gives_one_verdict_however_its_days_are_ordered():
    """A district export with dates only: a day's first answers share one time, and the file's
    order within a day says nothing. The check's gain is a student's log-likelihood of all
    their first answers (the chain rule over answers independent given the point), so any
    order of a day's rows reads the same verdict."""
    log, profiles = district(True, n=200)
    frame = log.frame.copy()
    frame["timestamp"] = pd.Timestamp("2026-09-01") + pd.to_timedelta(
        np.arange(len(frame)) % 4, unit="D"
    )  # each student's answers over four days, a day's rows in no meaningful order
    rng = np.random.default_rng(5)
    dated, *others = (
        check_level(
            CATALOG, ResponseLog.from_frame(frame.iloc[rng.permutation(len(frame))]), profiles
        )  # fmt: skip
        for _ in range(3)
    )
    assert dated.holds and dated.answers == check_level(CATALOG, log, profiles).answers
    for other in others:
        assert (other.gain, other.se, other.answers) == pytest.approx(
            (dated.gain, dated.se, dated.answers), rel=1e-9
        )


def test_too_few_first_answers_or_no_grades_measure_nothing():
    log, profiles = district(True, n=6, answers=10)
    few = check_level(CATALOG, log, profiles)
    assert few.answers < MIN_CHECK_ANSWERS and not few.holds and "not measured" in str(few)
    none = check_level(CATALOG, *district(True)[:1], [])  # no grades: no student is read
    assert none.answers == 0 and not none.holds


def test_profiles_of_the_wrong_kind_are_refused_not_read_as_none():
    """A frame of profiles (or a path) would be read as no student with a grade: "not
    measured", without a word."""
    log, profiles = district(True, n=20, answers=10)
    frame = pd.DataFrame([p.to_dict() for p in profiles])
    for wrong in (frame, "profiles.csv"):
        with pytest.raises(TypeError, match=r"read_profiles\(path\)"):
            check_level(CATALOG, log, wrong)


def test_level_fit_round_trips_and_a_damaged_one_is_named():
    fit = LevelFit(0.0123, 4567, 0.002)
    assert LevelFit.from_json(fit.to_json()) == fit
    own = LevelFit(0.0123, 4567, 0.002, GradeTable({-1: 0.9, 0: 0.5, 1: 0.05}, "flat"))
    assert LevelFit.from_json(json.loads(json.dumps(own.to_json()))) == own
    assert LevelFit.from_json(LevelFit().to_json()).answers == 0
    assert not LevelFit.from_json(None).holds  # a model saved before it was kept
    older = {"gain": 0.0123, "se": 0.002, "answers": 4567}  # saved before the table was kept
    assert LevelFit.from_json(older) == fit and fit.grade_table is None
    with pytest.raises(ArtifactError, match="fitted.curriculum_level"):
        LevelFit.from_json({"gain": "high", "answers": 3})
    with pytest.raises(ArtifactError, match="curriculum_level.grade_table: .*P\\(known\\)"):
        LevelFit.from_json({**older, "grade_table": {"0": 1.7}})


def test_the_level_is_read_with_the_grade_table_it_was_checked_with(ordered_model):
    """A district checked with its own grade table and served by a policy with another (or
    the default): the level is read as it was measured, not with the policy's table (before,
    the policy's table read a level whose check it never passed)."""
    model, log, profiles = ordered_model
    own = GradeTable({-2: 0.97, -1: 0.9, 0: 0.5, 1: 0.05})
    checked = copy.deepcopy(model)
    assert checked.check_curriculum_level(log, CATALOG, profiles, own).holds
    assert checked.curriculum_level_.grade_table == own
    one = log.take_students(log.students[:1])
    state = checked.init_state(list(one.students))
    ids = list(one.students)
    served = {
        name: batch_from_model(
            checked,
            state,
            CATALOG,
            profiles,
            log=one,
            student_ids=ids,
            config=PolicyConfig(grade_table=table),
        ).level_known  # fmt: skip
        for name, table in (("own", own), ("default", None), ("other", GradeTable({0: 0.3})))
    }
    np.testing.assert_array_equal(served["default"], served["own"])
    np.testing.assert_array_equal(served["other"], served["own"])
    default = batch_from_model(model, state, CATALOG, profiles, log=one, student_ids=ids)
    assert not np.allclose(default.level_known, served["own"], equal_nan=True)
    # checked with the table read from its own log (no table given), not the default's
    start = fit_start_table(CATALOG, log, profiles, answer_model(CATALOG, model))
    assert model.curriculum_level_.grade_table == start.table == model.curriculum_level_.start.table
    assert model.curriculum_level_.grade_table != GradeTable()
    # a model saved before the table was kept: read with the serving policy's, as then
    older = copy.deepcopy(checked)
    older.curriculum_level_ = LevelFit.from_json(
        {
            k: v
            for k, v in checked.curriculum_level_.to_json().items()
            if k not in ("grade_table", "start")
        }
    )
    assert older.curriculum_level_.holds and older.curriculum_level_.grade_table is None
    by_policy = batch_from_model(older, state, CATALOG, profiles, log=one, student_ids=ids,
                                 config=PolicyConfig(grade_table=own)).level_known  # fmt: skip
    np.testing.assert_array_equal(by_policy, served["own"])


def test_a_model_fitted_for_a_request_is_checked_with_the_policy_s_grade_table():
    """`adaptive recommend --district --policy P` without a model fits BKT on the spot
    (`default_model`): its check reads P's grade table, as `adaptive train --policy P` does,
    and the level is then read with it (before, the default table, whatever P said)."""
    from adaptive.policy.service import default_model

    log, profiles = district(True)
    own = GradeTable({-2: 0.97, -1: 0.9, 0: 0.5, 1: 0.05})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = default_model(log, CATALOG, {p.student_id: p for p in profiles}, own)
    assert model.curriculum_level_.holds and model.curriculum_level_.grade_table == own


@pytest.fixture(scope="module")
def ordered_model():
    """BKT fitted on the ordered district, its curriculum order measured and kept."""
    log, profiles = district(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = BKT(num_fits=1).fit(log)
    assert model.check_curriculum_level(log, CATALOG, profiles).holds
    return model, log, profiles


def test_the_model_keeps_the_check_in_its_artifact(ordered_model, tmp_path):
    model, _, _ = ordered_model
    loaded = KnowledgeTracer.load(model.save(tmp_path / "m"))
    assert loaded.curriculum_level_ == model.curriculum_level_
    assert not BKT().curriculum_level_.holds  # not measured until checked


def test_the_adaptive_policy_reads_never_answered_skills_from_the_level(ordered_model):
    """A third grader who answered the grade's late skills right: their early skills, never
    answered, read as known (not served to confirm them) by the adaptive policy; a baseline
    reads the tracer as it is. A model whose check does not hold gives no level."""
    model, _, _ = ordered_model
    third = np.flatnonzero(CATALOG.skill_grades == 3)
    late = third[np.argsort(POSITION[third])][-6:]
    early = third[np.argsort(POSITION[third])][:6]
    answers = pd.DataFrame({
        "student_id": "new", "item_id": [f"{CATALOG.skills[k].id}@0" for k in late],
        "skill_ids": [CATALOG.skills[k].id for k in late], "correct": 1,
        "timestamp": pd.Timestamp("2026-10-01") + pd.to_timedelta(np.arange(6), unit="min"),
    })  # fmt: skip
    log = ResponseLog.from_frame(answers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state = model.init_state(["new"])
        model.update(state, log)
    profiles = [LearnerProfile("new", grade=3)]
    batch = batch_from_model(model, state, CATALOG, profiles, log=log)
    assert batch.level_known is not None
    assert (batch.level_known[0, early] > 0.9).all()
    config = PolicyConfig.default()
    adaptive = AdaptivePolicy(CATALOG, config)
    feats = adaptive.features(batch, 0.0)
    assert (feats.mastery[0, early] > 0.9).all()
    assert (feats.mastery[0, early] > batch.mastery[0, early]).all()  # the tracer's is lower
    baseline = make_policy("curriculum-mastery", CATALOG, config)
    from adaptive.policy.features import compute_features

    base_feats = compute_features(batch, baseline._ctx, config, 0.0)
    np.testing.assert_allclose(base_feats.mastery[0, early], batch.mastery[0, early])

    def served_behind(batch) -> set[str]:
        """Never-answered skills served that lie behind the answered ones."""
        chosen = adaptive.select(batch, 5, 0.0).activity
        codes = CATALOG.skill_index.get_indexer(
            [CATALOG.activities[a].skills[0] for a in np.ravel(chosen) if a >= 0]
        )
        behind = (POSITION[codes] < POSITION[late].min()) & (batch.n_responses[0, codes] == 0)
        return {CATALOG.skills[k].id for k in codes[behind]}

    assert not served_behind(batch)
    second = np.flatnonzero(CATALOG.skill_grades == 2)[0]
    activity = next(a.id for a in CATALOG.activities if a.skills[0] == CATALOG.skills[second].id)
    said = adaptive.explain(batch, activity, 0.0)
    assert said.status == "assumed_known" and "your answers on other skills" in said.sentence
    without = batch.take(np.arange(1))
    without.level_known = None
    # without the level, the early skills are the placement's guess, below what the policy
    # reads as known (`assumed_known`): one could be served to confirm it
    alone = adaptive.features(without, 0.0).mastery[0, early]
    assert (alone < config.assumed_known).all()

    # a student placed by a diagnostic keeps that placement: the level is not read for them
    from adaptive.placement import Placement

    diagnosed = Placement(("new",), tuple(s.id for s in CATALOG.skills),
                          np.full((1, len(CATALOG.skills)), 0.5), sources=("placed by diagnostic",))  # fmt: skip
    fresh = model.init_state(["new"], prior=diagnosed)
    placed = batch_from_model(model, fresh, CATALOG, profiles, log=log)
    assert placed.placement[0] == "placed by diagnostic" and np.isnan(placed.level_known).all()

    scattered = BKT(num_fits=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scattered.fit(district(False)[0])
        scattered.check_curriculum_level(*district(False)[:1], CATALOG, district(False)[1])
    state = scattered.init_state(["new"])
    assert batch_from_model(scattered, state, CATALOG, profiles, log=log).level_known is None


def test_a_small_scattered_district_does_not_hold_by_chance():
    """Just over `MIN_CHECK_ANSWERS` first answers of a district whose knowledge is scattered:
    the gain's standard error keeps the check from holding on noise (with `gain > 0` alone it
    held on 9 of 40 such districts)."""
    fits = [check_level(CATALOG, *district(False, n=10, answers=25, seed=s)) for s in range(40)]
    assert all(f.answers >= MIN_CHECK_ANSWERS for f in fits)
    assert sum(f.holds for f in fits) <= 1
    assert sum(f.gain > 0 for f in fits) >= 3  # the noise the standard error guards against


def test_a_refit_forgets_the_check_of_the_fit_before(ordered_model):
    model, log, _ = ordered_model
    again = model.clone().fit(log)
    again.curriculum_level_ = model.curriculum_level_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again.fit(district(False)[0])
    assert again.curriculum_level_ == LevelFit()


def test_the_level_reads_only_skills_the_state_never_traced_and_students_it_can_place(
    ordered_model,
):
    """A vendor's list of recent answers drops a skill the student failed a month ago: the
    state traced it, so the policy keeps the tracer's low estimate (the level would have read
    it known). A student without a first answer on a graded skill keeps their grade's
    placement (the level's own prior was never measured against it), and so does a batch
    built without placement."""
    model, _, _ = ordered_model
    third = np.flatnonzero(CATALOG.skill_grades == 3)
    by_position = third[np.argsort(POSITION[third])]
    early, late = by_position[:3], by_position[-6:]

    def answers(skills, correct, day):
        return ResponseLog.from_frame(pd.DataFrame({
            "student_id": "stu", "item_id": [f"{CATALOG.skills[k].id}@0" for k in skills],
            "skill_ids": [CATALOG.skills[k].id for k in skills], "correct": correct,
            "timestamp": pd.Timestamp(day) + pd.to_timedelta(np.arange(len(skills)), unit="min"),
        }))  # fmt: skip

    old, recent = answers(np.repeat(early, 8), 0, "2026-09-01"), answers(late, 1, "2026-10-01")
    profiles = [LearnerProfile("stu", grade=3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state = model.init_state(["stu"])
        model.update(state, old)
        model.update(state, recent)
        batch = batch_from_model(model, state, CATALOG, profiles, log=recent)
    feats = AdaptivePolicy(CATALOG, PolicyConfig.default()).features(batch, 0.0)
    # the tracer's estimate after the failures (low, but for a skill whose fitted learn rate
    # lifts it back after each one) is kept for every one of them: the level is not read
    assert (batch.mastery[0, early] < 0.9).any() and (batch.n_responses[0, early] == 0).all()
    np.testing.assert_allclose(feats.mastery[0, early], batch.mastery[0, early])
    assert np.isfinite(batch.level_known[0, by_position[3:-6]]).all()  # the rest is read
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = model.init_state(["stu"])
        silent = batch_from_model(model, fresh, CATALOG, profiles, log=None)
        unplaced = batch_from_model(model, fresh, CATALOG, profiles, log=recent, placement=None)
    assert np.isnan(silent.level_known).all()
    assert unplaced.level_known is None


def test_first_answers_of_the_wrong_shape_are_one_error(ordered_model):
    """A caller's first answers with student ids for positions, or model skill codes beyond
    the catalog, are refused with what they should be (they would be misread)."""
    from adaptive.errors import ConfigError

    model, _, _ = ordered_model
    state = model.init_state(["stu"])
    profiles = [LearnerProfile("stu", grade=3)]
    for wrong in (
        (np.array(["stu"]), np.array([0]), np.array([1])),
        (np.array([0]), np.array([len(CATALOG.skills)]), np.array([1])),
        (np.array([0]), np.array([0]), np.array([2])),
    ):
        with pytest.raises(ConfigError, match="StudentHistory.first_answers"):
            batch_from_model(model, state, CATALOG, profiles, first_answers=wrong)


def test_a_readiness_sentence_says_a_prerequisite_is_known_from_the_answers():
    """A prerequisite never answered that reads as known from where the student's answers
    place them is not credited to "your placement" (the grade)."""
    from adaptive.policy.explain import sentence

    said = sentence(
        "readiness", "Fractions 2", "Fractions 2 (easy)", p_correct=0.6,
        prerequisite="Fractions 1", prerequisite_shown=False, prerequisite_from_answers=True,
    )  # fmt: skip
    assert said == (
        "Fractions 2: you are ready for it: it builds on Fractions 1, which your answers on "
        "other skills place as known."
    )
    placed = sentence(
        "readiness", "Fractions 2", "Fractions 2 (easy)", p_correct=0.6,
        prerequisite="Fractions 1", prerequisite_shown=False,
    )  # fmt: skip
    assert "your placement counts" in placed


def test_a_blocked_activity_says_its_prerequisite_s_mastery_is_read_from_the_answers(
    ordered_model,
):
    """A third grader who failed the grade's first skills: what builds on them waits, and
    `explain` says the prerequisite's low mastery comes from where their answers place them
    (the skill itself was never answered)."""
    model, _, _ = ordered_model
    third = np.flatnonzero(CATALOG.skill_grades == 3)
    by_position = third[np.argsort(POSITION[third])]
    failed = by_position[:8]
    log = ResponseLog.from_frame(pd.DataFrame({
        "student_id": "low", "item_id": [f"{CATALOG.skills[k].id}@0" for k in failed],
        "skill_ids": [CATALOG.skills[k].id for k in failed], "correct": 0,
        "timestamp": pd.Timestamp("2026-10-01") + pd.to_timedelta(np.arange(8), unit="min"),
    }))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state = model.init_state(["low"])
        model.update(state, log)
    batch = batch_from_model(model, state, CATALOG, [LearnerProfile("low", grade=3)], log=log)
    policy = AdaptivePolicy(CATALOG, PolicyConfig.default())
    said = []
    for activity in CATALOG.activities:
        skill = CATALOG.skill_index.get_loc(activity.skills[0])
        if CATALOG.skill_grades[skill] >= 3 and batch.n_responses[0, skill] == 0:
            why = policy.explain(batch, activity.id, 0.0)
            if why.status == "blocked":
                said.append(why)
    assert said and any(
        "from where your answers on other skills place you" in r.detail
        for why in said
        for r in why.reasons
    )
