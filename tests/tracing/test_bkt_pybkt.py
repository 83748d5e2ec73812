"""BKT against pyBKT, the reference, on a slice of real data (ASSIST2009).

* pyBKT must be its compiled C++ build (the pure-Python wheel is ~500x slower);
* given pyBKT's fitted parameters, our engine predicts what pyBKT predicts (1e-6);
* our EM reaches a log-likelihood at least as good as pyBKT's fit on the same data.

pyBKT 1.4.3's compiled E-step has a bug in the item-level variants: the variables holding a
class's guess/slip (and learn/forget) are initialised to -1 once, *outside* the loop over classes,
and only re-read while negative, so every class is filtered with class 0's values (its Python
prediction step then uses the right per-class guess/slip). Its multigs / multilearn / multiprior
predictions therefore do not follow its own parameters; `test_pybkt_multigs_bug_explains_the_gap`
reproduces its output exactly by filtering with class 0, which is how we know the gap is theirs.
"""

from __future__ import annotations

import numpy as np
import pytest

from adaptive.data import load_log
from adaptive.data.log import ResponseLog
from adaptive.tracing.bkt import BKT
from adaptive.tracing.bkt_engine import build_layout, emissions, forward, p_correct
from adaptive.tracing.bkt_pybkt import pybkt_is_compiled

N_STUDENTS = 80


@pytest.fixture(scope="module")
def assist_slice(shared_datasets) -> ResponseLog:
    """The first students of ASSIST2009 (multi-skill rows merged into one response)."""
    log = load_log("assist2009")
    return log.take_students(log.students[:N_STUDENTS])


def test_pybkt_is_the_compiled_build():
    import pyBKT.fit.E_step as e_step

    assert pybkt_is_compiled(), (
        f"pyBKT's E-step is {e_step.__file__}, not the compiled extension: reinstall with "
        "`pip install --no-binary pybkt --no-build-isolation pybkt==1.4.3` (see Makefile)"
    )
    assert e_step.__file__.endswith(".so")


VARIANTS = {
    "standard": {},
    "forgets": {"forgets": True},
    "fixed": {"forgets": True, "fixed": {"p_slip": 0.1}, "num_fits": 1},
}


@pytest.fixture(scope="module")
def pybkt_fits(assist_slice) -> dict[str, BKT]:
    """One pyBKT fit per variant, shared by the tests below (pyBKT fits dominate their time)."""
    return {name: BKT(fitter="pybkt", **kw).fit(assist_slice) for name, kw in VARIANTS.items()}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_same_predictions_as_pybkt_given_its_parameters(variant, assist_slice, pybkt_fits):
    model = pybkt_fits[variant]
    frame = model.to_pybkt_frame(assist_slice)
    theirs = model.pybkt_model_.predict(data=frame.copy()).sort_index()["correct_predictions"]
    ours = model.predict_entries(assist_slice)
    assert len(ours) == len(theirs) > 5_000
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=0, atol=1e-6)
    if variant == "fixed":
        np.testing.assert_allclose(model.params_table()["p_slip"], 0.1)


@pytest.mark.parametrize("variant", ["standard", "forgets"])
def test_native_em_likelihood_at_least_pybkt(variant, assist_slice, pybkt_fits):
    # maximum likelihood on both sides (our default pulls sparse skills toward the population:
    # a MAP fit, whose training likelihood need not be the higher)
    ours = BKT(fitter="native", skill_shrinkage=0.0, **VARIANTS[variant]).fit(assist_slice)
    theirs = pybkt_fits[variant]
    # both log-likelihoods are computed by the same forward pass on the same entries
    assert ours.log_likelihood_ >= theirs.log_likelihood_ - 1e-6, (
        ours.log_likelihood_,
        theirs.log_likelihood_,
    )
    assert ours.log_likelihood(assist_slice) == pytest.approx(ours.log_likelihood_)


def test_pybkt_multigs_bug_explains_the_gap(assist_slice):
    """pyBKT's multigs output = filtering with each skill's class-0 guess/slip (see module doc)."""
    model = BKT(fitter="pybkt", multigs=True, num_fits=1).fit(assist_slice)
    frame = model.to_pybkt_frame(assist_slice)
    theirs = model.pybkt_model_.predict(data=frame.copy()).sort_index()["correct_predictions"]
    theirs = theirs.to_numpy()
    ours = model.predict_entries(assist_slice)
    assert np.abs(ours - theirs).max() > 1e-3  # the exact model and pyBKT's output differ

    fit = model.pybkt_model_.fit_model
    skill, item = frame["skill_name"].to_numpy(), frame["item"].to_numpy()
    first_guess = np.array([fit[s]["guesses"][0] for s in skill])
    first_slip = np.array([fit[s]["slips"][0] for s in skill])
    guess = np.array(
        [fit[s]["guesses"][fit[s]["gs_names"][i]] for s, i in zip(skill, item, strict=True)]
    )
    slip = np.array(
        [fit[s]["slips"][fit[s]["gs_names"][i]] for s, i in zip(skill, item, strict=True)]
    )
    learn = np.array([fit[s]["learns"][0] for s in skill])
    prior = np.array([fit[s]["prior"] for s in skill])
    codes = frame["skill_name"].str[1:].astype(int).to_numpy()
    layout = build_layout(frame["user_id"].to_numpy() * 1000 + codes)
    o = layout.order
    lk, lu = emissions(frame["correct"].to_numpy()[o], first_guess[o, None], first_slip[o, None])
    lk, lu = np.where(lk == 0, 1.0, lk), np.where(lu == 0, 1.0, lu)  # pyBKT skips zero factors
    pred, _ = forward(
        layout, prior[layout.seq_first_entry, None], lk, lu, learn[o, None], 1.0 - learn[o, None]
    )
    emulated = layout.to_input(p_correct(pred, guess[o, None], slip[o, None]))[:, 0]
    np.testing.assert_allclose(emulated, theirs, rtol=0, atol=1e-6)
