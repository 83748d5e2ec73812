"""BKT against pyBKT, the reference, on a slice of real data (ASSIST2009).

* pyBKT must be its compiled C++ build (the pure-Python wheel is ~500x slower);
* given pyBKT's fitted parameters, our engine predicts what pyBKT predicts (1e-6);
* our EM reaches a log-likelihood at least as good as pyBKT's fit on the same data.
"""

from __future__ import annotations

import numpy as np
import pytest

from adaptive.data import load_log
from adaptive.data.log import ResponseLog
from adaptive.tracing.bkt import BKT
from adaptive.tracing.bkt_pybkt import pybkt_is_compiled

N_STUDENTS = 250


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


@pytest.mark.parametrize(
    "variant",
    [{}, {"forgets": True}, {"multigs": True}, {"multilearn": True}, {"multiprior": True},
     {"forgets": True, "fixed": {"p_slip": 0.1}}],
    ids=["standard", "forgets", "multigs", "multilearn", "multiprior", "fixed"],
)
def test_same_predictions_as_pybkt_given_its_parameters(variant, assist_slice):
    model = BKT(fitter="pybkt", num_fits=2, **variant).fit(assist_slice)
    frame = model.to_pybkt_frame(assist_slice)
    theirs = model.pybkt_model_.predict(data=frame.copy()).sort_index()["correct_predictions"]
    ours = model.predict_entries(assist_slice)
    assert len(ours) == len(theirs) > 10_000
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=0, atol=1e-6)
    if "fixed" in variant:
        np.testing.assert_allclose(model.params_table()["p_slip"], 0.1)


@pytest.mark.parametrize("variant", [{}, {"forgets": True}, {"multigs": True}],
                         ids=["standard", "forgets", "multigs"])
def test_native_em_likelihood_at_least_pybkt(variant, assist_slice):
    ours = BKT(fitter="native", **variant).fit(assist_slice)
    theirs = BKT(fitter="pybkt", **variant).fit(assist_slice)
    # both log-likelihoods are computed by the same forward pass on the same entries
    assert ours.log_likelihood_ >= theirs.log_likelihood_ - 1e-6, (ours.log_likelihood_,
                                                                  theirs.log_likelihood_)
    assert ours.log_likelihood(assist_slice) == pytest.approx(ours.log_likelihood_)
