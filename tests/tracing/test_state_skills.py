"""A tracing state belongs to the model that made it (its per-skill columns follow that model's
skills): a model of other skills refuses it instead of reading every column as another skill."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_contract import synthetic_log

from adaptive.curriculum import LearnerProfile
from adaptive.data.log import Response, ResponseLog
from adaptive.errors import ConfigError
from adaptive.placement import grade_placement
from adaptive.policy.adapter import batch_from_model
from adaptive.tracing.base import TracingState
from adaptive.tracing.bkt import BKT
from adaptive.tracing.logistic import PFA


def renamed(log: ResponseLog, old: str, new: str) -> ResponseLog:
    frame = log.frame.copy()
    frame["skill_ids"] = [[new if s == old else s for s in skills] for skills in frame["skill_ids"]]
    return ResponseLog.from_frame(frame)


@pytest.mark.parametrize("make", [lambda: BKT(seed=0), lambda: PFA()], ids=["bkt", "pfa"])
def test_a_state_of_another_models_skills_is_refused(make, tmp_path) -> None:
    """A vendor retrains with one skill renamed (k1 -> a1, which sorts first) and keeps the
    saved state: every column would shift by one. Every call that reads or writes the state
    says so, naming what differs and the way out; `batch_from_model` too. The same model
    refitted on the same log, and a snapshot saved before states kept their skills, are
    read as before."""
    log = synthetic_log(30)
    old = make().fit(log)
    state = old.init_state(list(log.students[:3]))
    old.update(state, log)
    state.save(tmp_path / "state.npz")
    loaded = TracingState.load(tmp_path / "state.npz")
    assert loaded.skills == tuple(old.skills_)
    new = make().fit(renamed(log, "k1", "a1"))
    sid = str(log.students[0])
    answer = Response(sid, "item01", ("k0",), 1, pd.Timestamp("2025-01-01 10:00", tz="UTC"))
    calls = {
        "mastery": lambda: new.mastery(loaded),
        "predict_skill_proba": lambda: new.predict_skill_proba(loaded),
        "ability": lambda: new.ability(loaded),
        "update": lambda: new.update(loaded, answer),
        "place": lambda: new.place(loaded, grade_placement_for(new, sid)),
        "restart": lambda: new.restart(loaded, [sid]),
        "batch_from_model": lambda: batch_from_model(new, loaded, catalog_of(new), None),
    }
    before = {k: v.copy() for k, v in loaded.arrays.items()}
    for call in calls.values():
        with pytest.raises(ConfigError, match="adds 1 \\('a1'\\); it lacks 1 \\('k1'\\)"):
            call()
    for k, v in before.items():
        np.testing.assert_array_equal(loaded.arrays[k], v, err_msg=f"{k} changed")
    # the same model refitted: the same skills, accepted
    again = make().fit(log)
    np.testing.assert_array_equal(again.mastery(loaded), old.mastery(state))
    # a snapshot saved before the skills were kept: read as the model's (nothing to compare)
    legacy = TracingState(list(state.students), dict(state.arrays))
    np.testing.assert_array_equal(old.mastery(legacy), old.mastery(state))
    assert legacy.skills == tuple(old.skills_)
    with pytest.raises(TypeError, match="expected a TracingState"):
        old.mastery({"p_known": np.zeros((1, 4))})


def catalog_of(model):
    from adaptive.curriculum import Catalog, Skill

    return Catalog(skills=tuple(Skill(str(s)) for s in model.skills_))


def grade_placement_for(model, sid: str):
    return grade_placement(catalog_of(model), [LearnerProfile(sid, grade=3)])
