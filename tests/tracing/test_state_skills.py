"""A tracing state belongs to the model that made it (its per-skill columns follow that model's
skills): a model of other skills refuses it instead of reading every column as another skill."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest
from test_contract import synthetic_log

from adaptive.curriculum import LearnerProfile
from adaptive.data.log import Response, ResponseLog
from adaptive.errors import ArtifactError, ConfigError
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


def test_a_state_of_another_kind_of_model_is_refused(tmp_path) -> None:
    """A data scientist's mix-up (found in their trial): a Best-LR state given to BKT was
    updated without a word (BKT's arrays written into it, Best-LR's counts left behind), and a
    DKT model given a BKT state failed with a bare KeyError. Every kind of model refuses a state
    of another kind, by name, before reading or writing it, also once saved and loaded; a
    state saved before the kind was kept takes the model's."""
    from test_contract import make_model

    log = synthetic_log(30)
    sid = str(log.students[0])
    answer = Response(sid, "item01", ("k0",), 1, pd.Timestamp("2025-01-01 10:00", tz="UTC"))
    models = {name: make_model(name).fit(log) for name in ("bkt", "best-lr", "dkt")}
    for maker, other in (("best-lr", "bkt"), ("bkt", "best-lr"), ("bkt", "dkt")):
        state = models[maker].init_state([sid])
        state.save(tmp_path / "state.npz")
        for given in (state, TracingState.load(tmp_path / "state.npz")):
            before = {k: v.copy() for k, v in given.arrays.items()}
            for call in (partial(models[other].update, given, answer),
                         partial(models[other].mastery, given)):  # fmt: skip
                with pytest.raises(ConfigError, match=f"made by a '{maker}' model; this is a"):
                    call()
            assert given.arrays.keys() == before.keys()
            for k, v in before.items():
                np.testing.assert_array_equal(given.arrays[k], v, err_msg=f"{k} changed")
    legacy = models["bkt"].init_state([sid])
    legacy.model = None
    models["bkt"].update(legacy, answer)
    assert legacy.model == "bkt"


def test_a_states_rows_read_ids_as_a_response_does() -> None:
    """`update(state, Response(123, ...))` holds the student "123": `rows([123])` and
    `rows([" 123"])` found no row (-1), so the vendor's next call served a new student."""
    log = synthetic_log(30)
    model = BKT(seed=0).fit(log)
    state = model.init_state()
    model.update(state, Response(123, "item01", ("k0",), 1, pd.Timestamp("2025-01-01", tz="UTC")))
    assert state.students == ["123"]
    np.testing.assert_array_equal(
        state.rows(["123", 123, " 123 ", "124"], missing=-1), [0, 0, 0, -1]
    )
    assert state.row(123) == 0 and state.row(" 123") == 0 and state.row("124") is None


def test_a_torn_snapshot_is_refused_and_save_holds_the_states_lock(tmp_path) -> None:
    """A vendor saved the state while requests added students: numpy failed mid-save, or the
    file held 9,602 students and 9,603 rows in some arrays, and `load` took it. `save` now
    snapshots under the state's lock; `load` refuses arrays of another length than the ids."""
    log = synthetic_log(30)
    model = BKT(seed=0).fit(log)
    state = model.init_state(list(log.students[:3]))
    torn = tmp_path / "torn.npz"
    payload = {f"a_{k}": v for k, v in state.arrays.items()}
    payload["a_p_known"] = np.vstack([state.arrays["p_known"], state.arrays["p_known"][:1]])
    np.savez(torn, students=np.asarray(state.students), **payload)
    with pytest.raises(ArtifactError, match="3 students, but array\\(s\\) p_known hold another"):
        TracingState.load(torn)
    held = []

    class Spy:  # the lock is taken around the snapshot itself
        def __enter__(self):
            held.append(True)

        def __exit__(self, *exc):
            return False

    state.lock = Spy()
    state.save(tmp_path / "ok.npz")
    assert held == [True] and len(TracingState.load(tmp_path / "ok.npz")) == 3
