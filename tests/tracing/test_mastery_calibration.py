"""Mastery of the logistic and deep models is on the latent-state scale (issue 17, item 13).

Before: they reported raw P(correct) as mastery, so a student who never missed stayed below the
policy's 0.95 (the best students still slip). Now P(correct) goes through each skill's guess and
slip, fitted on the training log (`adaptive.tracing.calibration`) and saved with the model.
"""

from __future__ import annotations

import numpy as np
import pytest

from adaptive.data.log import Response
from adaptive.placement import Placement
from adaptive.simulation.district import simulate_district
from adaptive.tracing.base import KnowledgeTracer
from adaptive.tracing.calibration import MIN_SPREAD, MasteryCalibration
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
    for _ in range(6):
        fitted.update(state, Response("new", f"{skill}.practice1", (skill,), 1, when))
    assert fitted.mastery(state)[0, 10] >= MASTERED


def test_mastery_maps_p_correct_through_guess_and_slip(fitted, district_log):
    state = fitted.init_state()
    fitted.update(state, district_log.take_students(district_log.students[:30]))
    p = fitted.predict_skill_proba(state)
    m = fitted.mastery(state)
    cal = fitted.calibration_
    np.testing.assert_allclose(m, np.clip((p - cal.guess) / (1 - cal.slip - cal.guess), 0, 1))
    inside = (m > 0) & (m < 1)
    assert inside.mean() > 0.5
    np.testing.assert_allclose(fitted._p_correct_from_mastery(m)[inside], p[inside], atol=1e-12)


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


def test_saved_model_keeps_its_calibration(fitted, district_log, tmp_path):
    loaded = KnowledgeTracer.load(fitted.save(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.calibration_.guess, fitted.calibration_.guess)
    np.testing.assert_array_equal(loaded.calibration_.slip, fitted.calibration_.slip)
    log = district_log.take_students(district_log.students[:5])
    a, b = fitted.init_state(), loaded.init_state()
    fitted.update(a, log)
    loaded.update(b, log)
    np.testing.assert_allclose(loaded.mastery(b), fitted.mastery(a), atol=1e-12)


def test_deep_mastery_is_calibrated_p_correct(district_log, one_thread):
    model = build_model("dkt-tiny").set_params(max_epochs=1).fit(district_log)
    state = model.init_state()
    model.update(state, district_log.take_students(district_log.students[:5]))
    np.testing.assert_allclose(
        model.mastery(state), model.calibration_.mastery(model.predict_skill_proba(state))
    )
    assert np.any(model.calibration_.guess > 0) and np.any(model.calibration_.slip > 0)


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
