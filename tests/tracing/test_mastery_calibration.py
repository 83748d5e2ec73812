"""Mastery of the logistic and deep models is the latent state (issue 17, item 13).

First they reported raw P(correct) as mastery, then P(correct) through each skill's guess and
slip; both under-called mastery (a run of right answers moves a logistic model's counts slowly).
Now a standard BKT fitted on the same training log is traced in the same state and its P(known)
is their mastery (`adaptive.tracing.calibration`); guess and slip still map a placed mastery to
P(correct).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adaptive.data.log import Response
from adaptive.placement import Placement
from adaptive.policy.config import PolicyConfig
from adaptive.simulation.district import simulate_district
from adaptive.tracing.base import KnowledgeTracer
from adaptive.tracing.bkt import BKT
from adaptive.tracing.calibration import MIN_SPREAD, LatentMastery, MasteryCalibration
from adaptive.tracing.specs import build_model

MASTERED = 0.95  # the policy's default mastery threshold


@pytest.fixture(scope="module")
def district_log():
    return simulate_district(400, seed=3).response_log()


@pytest.fixture(scope="module", params=["pfa", "best-lr"])
def fitted(request, district_log):
    return build_model(request.param).fit(district_log)


def test_six_right_in_a_row_is_mastered(fitted, district_log):
    """A new student who answers one skill right six times running has mastered it."""
    state = fitted.init_state(["new"])
    skill = str(fitted.skills_[10])
    when = district_log.frame["timestamp"].max()
    for i in range(6):  # six attempts, a minute apart (one answer given twice is one answer)
        at = when + pd.Timedelta(minutes=i)
        fitted.update(state, Response("new", f"{skill}.practice1", (skill,), 1, at))
    assert fitted.mastery(state)[0, 10] >= MASTERED


def test_mastery_is_the_latent_bkt_fitted_on_the_same_log(fitted, district_log):
    """The same P(known) as a standard BKT fitted on the training log and given the same
    answers, through a log update and through single responses alike."""
    bkt = BKT(seed=0).fit(district_log)
    some = district_log.take_students(district_log.students[:30])
    state, reference = fitted.init_state(), bkt.init_state()
    fitted.update(state, some)
    bkt.update(reference, some)
    np.testing.assert_array_equal(fitted.mastery(state), bkt.mastery(reference))
    one = fitted.init_state()
    frame = some.take_students(some.students[:1]).frame
    for row in frame.itertuples():
        answer = Response(
            row.student_id, row.item_id, tuple(row.skill_ids), row.correct, row.timestamp
        )
        fitted.update(one, answer)
    np.testing.assert_allclose(
        fitted.mastery(one), bkt.mastery(reference, reference.rows(some.students[:1])), atol=1e-12
    )


def test_a_run_of_right_answers_reads_as_mastered(fitted, district_log):
    """Pairs whose last four or more answers were right: 95 % called mastered at the
    policy's threshold (P(correct) through guess and slip called 53 % of them, Best-LR on the
    demo district)."""
    state = fitted.init_state()
    fitted.update(state, district_log)
    frame = district_log.frame
    frame = frame.assign(skill_id=[str(s[0]) for s in frame["skill_ids"]])  # one skill each
    run = frame.groupby(["student_id", "skill_id"])["correct"].agg(
        lambda c: (c.to_numpy()[::-1].cumprod()).sum()
    )
    run = run[run >= 4]
    rows = state.rows(run.index.get_level_values(0).astype(str).tolist())
    cols = fitted.skills_.get_indexer(run.index.get_level_values(1))
    m = fitted.mastery(state, rows)[np.arange(len(rows)), cols]
    assert len(m) > 100
    assert (m >= PolicyConfig().mastery_threshold).mean() >= 0.95


def test_placement_blend_gives_p_correct_of_the_blended_mastery(fitted):
    """The placed P(correct) is `_p_correct_from_mastery` of the placed mastery, so a student
    placed at 0.97 mastery is not predicted to answer right 97 % of the time."""
    skills = [str(s) for s in fitted.skills_]
    prior = np.full((1, len(skills)), 0.97)
    state = fitted.init_state(["p"], prior=Placement(("p",), tuple(skills), prior, ("test",)))
    m = fitted.mastery(state)
    np.testing.assert_allclose(m, 0.97, atol=1e-12)  # no evidence yet: the placement alone
    np.testing.assert_allclose(
        fitted.predict_skill_proba(state), fitted._p_correct_from_mastery(m), atol=1e-12
    )
    assert np.all(fitted.predict_skill_proba(state) < 0.97)


def test_saved_model_keeps_its_latent_mastery(fitted, district_log, tmp_path):
    loaded = KnowledgeTracer.load(fitted.save(tmp_path / "m"))
    np.testing.assert_array_equal(
        loaded.latent_.calibration.guess, fitted.latent_.calibration.guess
    )
    np.testing.assert_array_equal(loaded.latent_.calibration.slip, fitted.latent_.calibration.slip)
    log = district_log.take_students(district_log.students[:5])
    a, b = fitted.init_state(), loaded.init_state()
    fitted.update(a, log)
    loaded.update(b, log)
    np.testing.assert_array_equal(loaded.mastery(b), fitted.mastery(a))


def test_deep_mastery_is_the_latent_state(district_log, one_thread):
    model = build_model("dkt-tiny").set_params(max_epochs=1).fit(district_log)
    bkt = BKT(seed=model.seed).fit(district_log)
    some = district_log.take_students(district_log.students[:5])
    state, reference = model.init_state(), bkt.init_state()
    model.update(state, some)
    bkt.update(reference, some)
    np.testing.assert_array_equal(model.mastery(state), bkt.mastery(reference))
    cal = model.latent_.calibration
    assert np.any(cal.guess > 0) and np.any(cal.slip > 0)


def test_an_artifact_without_latent_mastery_keeps_its_old_meaning(fitted, district_log):
    """Saved before latent mastery: P(correct) through guess and slip, with a warning."""
    arrays = fitted.latent_.calibration.arrays()
    with pytest.warns(UserWarning, match="predates latent mastery"):
        old = LatentMastery.restore(arrays, None, fitted.skills_)
    assert old.bkt is None and old.initial_row() == {}
    state = fitted.init_state()
    fitted.update(state, district_log.take_students(district_log.students[:5]))
    p = fitted.predict_skill_proba(state)
    cal = old.calibration
    np.testing.assert_allclose(
        old.mastery(state, np.arange(len(state)), lambda: p),
        np.clip((p - cal.guess) / (1 - cal.slip - cal.guess), 0, 1),
    )


def test_a_state_saved_before_latent_mastery_starts_it_from_the_prior(fitted, district_log):
    state = fitted.init_state()
    some = district_log.take_students(district_log.students[:3])
    fitted.update(state, some)
    for name in ("p_known", "n_responses", "last_answer"):  # and its answer times: older still
        del state.arrays[name]
    with pytest.warns(UserWarning, match="predates latent mastery"):
        m = fitted.mastery(state)
    np.testing.assert_allclose(m, np.tile(fitted.latent_.bkt.tables_.skill_params[:, 0], (3, 1)))
    fitted.update(state, some)  # and follows the answers from now on
    assert not np.allclose(fitted.mastery(state), m)


def test_shrinkage_and_bounds_keep_the_map_monotone():
    """Degenerate BKT estimates (guess + slip >= 1) and sparse skills are pulled back."""
    guess = np.array([0.2, 0.7, 0.2, np.nan])
    slip = np.array([0.1, 0.6, 0.5, np.nan])
    n = np.array([10_000.0, 10_000.0, 5.0, 0.0])
    cal = MasteryCalibration.shrunk(guess, slip, n)
    assert np.all(1.0 - cal.guess - cal.slip >= MIN_SPREAD - 1e-12)
    assert cal.guess[0] == pytest.approx(0.2, abs=0.01)  # well measured: kept
    assert abs(cal.slip[2] - cal.slip[0]) < abs(0.5 - cal.slip[0])  # sparse: toward population
    assert np.isfinite(cal.guess[3]) and np.isfinite(cal.slip[3])  # unknown: the population
    m = np.linspace(0, 1, 11)[:, None]
    grid = np.repeat(m, 4, axis=1)
    np.testing.assert_allclose(cal.mastery(cal.p_correct(grid)), grid)


def test_an_artifact_without_calibration_loads_with_its_old_meaning():
    with pytest.warns(UserWarning, match="predates mastery calibration"):
        cal = MasteryCalibration.from_arrays({}, 3)
    np.testing.assert_array_equal(cal.mastery(np.array([0.2, 0.5, 0.9])), [0.2, 0.5, 0.9])
    with pytest.raises(ValueError):
        MasteryCalibration.from_arrays(
            {"mastery_guess": np.array([0.6]), "mastery_slip": np.array([0.5])}, 1
        )


def test_bkt_with_forgetting_masters_without_the_pending_forgetting(district_log):
    """`p_known` with `forgets` takes off p_forget for the next practice; mastery is the state
    after the latest practice (its learning counted), and P(correct) next is still `p_known`."""
    model = BKT(forgets=True, seed=0).fit(district_log)
    k = 0
    prior, learn, forget, guess, slip = model.params_table().iloc[k][
        ["p_init", "p_learn", "p_forget", "p_guess", "p_slip"]
    ]
    assert forget > 0.01
    skill = str(model.skills_[k])
    state = model.init_state(["new"])
    np.testing.assert_allclose(model.mastery(state)[0, k], prior)  # no answer yet: the prior
    model.update(state, Response("new", f"{skill}.practice1", (skill,), 1))
    post = prior * (1 - slip) / (prior * (1 - slip) + (1 - prior) * guess)
    np.testing.assert_allclose(model.mastery(state)[0, k], learn + post * (1 - learn))
    p_known = learn + post * (1 - learn - forget)
    np.testing.assert_allclose(
        model.predict_skill_proba(state)[0, k], guess + p_known * (1 - slip - guess)
    )
