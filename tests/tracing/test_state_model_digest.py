"""A tracing state is tied to the fitted model that made it, not only to its kind and skills: a
vendor's trial saved a state with model v1 and served it with v2, retrained on other data with
the same skills, and nothing was said (a changed skill set was refused, correctly). The state
now records its model's digest (`KnowledgeTracer.fitted_digest`) through save, load and bytes;
another fitted model reading or updating it says so once (`StateWarning`), and a state saved
before the digest was kept loads as before, of unknown origin, without a word."""

from __future__ import annotations

import hashlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest
from test_contract import synthetic_log

from adaptive.data.log import Response
from adaptive.errors import StateWarning
from adaptive.files import hash_arrays
from adaptive.tracing.base import KnowledgeTracer, TracingState
from adaptive.tracing.bkt import BKT
from adaptive.tracing.logistic import PFA

AT = pd.Timestamp("2025-03-01 10:00:05", tz="UTC")


def answer(seconds: int = 0) -> Response:
    return Response("s1", "item01", ("k0",), 1, AT + pd.Timedelta(seconds=seconds))


@pytest.fixture(scope="module")
def v1() -> BKT:
    return BKT(seed=0).fit(synthetic_log(30))


@pytest.fixture(scope="module")
def v2() -> BKT:
    """Retrained on other students: the same kind and skills, other parameters."""
    return BKT(seed=0).fit(synthetic_log(30, seed=11))


def state_warnings(call) -> list[StateWarning]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w.message for w in caught if issubclass(w.category, StateWarning)]


@pytest.mark.parametrize("make", [lambda: BKT(seed=0), PFA], ids=["bkt", "pfa"])
def test_the_digest_is_the_fitted_models_own(make, tmp_path) -> None:
    """A model and its saved and loaded copy have one digest; a model fitted on other data has
    another, and so has the same object fitted again."""
    model = make().fit(synthetic_log(30))
    digest = model.fitted_digest()
    assert len(digest) == 64 and model.fitted_digest() is digest  # computed once
    assert KnowledgeTracer.load(model.save(tmp_path / "m")).fitted_digest() == digest
    assert model.fit(synthetic_log(30, seed=11)).fitted_digest() != digest


def test_a_state_keeps_its_models_digest_through_save_load_and_bytes(v1, tmp_path) -> None:
    """The digest of the model that made the state is in it, in its file and its bytes, and a
    one-student state taken out of it; its own model (or a loaded copy) reads it silently."""
    state = v1.init_state(["s1"])
    assert state.model_digest == v1.fitted_digest()
    state.save(tmp_path / "state.npz")
    for kept in (
        TracingState.load(tmp_path / "state.npz"),
        TracingState.from_bytes(state.to_bytes()),
        state.take(["s1"]),
    ):
        assert kept.model_digest == v1.fitted_digest()
        copy = BKT.load(v1.save(tmp_path / "v1"))
        assert state_warnings(lambda kept=kept, copy=copy: copy.update(kept, answer())) == []


def test_a_retrained_model_says_once_that_the_state_is_another_models(v1, v2, tmp_path) -> None:
    """The trial's case: a state saved with v1, served with v2 of the same skills. Reading or
    updating it is one `StateWarning` naming both digests (short) and what to do; the state is
    then read as asked. Once v2 updates it, the state records v2 (saved so), and v2 reads it
    silently; a read alone records nothing."""
    state = v1.init_state(["s1"])
    v1.update(state, answer())
    blob = state.to_bytes()
    short1, short2 = v1.fitted_digest()[:12], v2.fitted_digest()[:12]
    loaded = TracingState.from_bytes(blob)
    said = state_warnings(lambda: v2.mastery(loaded))
    assert len(said) == 1
    text = str(said[0])
    assert f"({short1}) than this one ({short2})" in text
    assert "computed under that model's parameters" in text and "nightly job rebuilds" in text
    assert (said[0].made_by, said[0].used_by) == (v1.fitted_digest(), v2.fitted_digest())
    assert loaded.model_digest == v1.fitted_digest()  # a read records nothing
    assert state_warnings(lambda: v2.mastery(loaded)) == []  # said once per state
    loaded = TracingState.from_bytes(blob)
    assert len(state_warnings(lambda: v2.update(loaded, answer(60)))) == 1
    assert loaded.model_digest == v2.fitted_digest()
    again = TracingState.from_bytes(loaded.to_bytes())
    assert state_warnings(lambda: v2.update(again, answer(120))) == []
    assert len(state_warnings(lambda: v1.mastery(again))) == 1  # and back: said again
    said = state_warnings(lambda: v2.init_state(["s2"]).put(TracingState.from_bytes(blob)))
    assert len(said) == 1 and f"another fitted model ({short1})" in str(said[0])


def test_a_part_a_retrained_model_updated_is_put_back_with_one_warning(v1, v2) -> None:
    """A review: `update` takes a state of another fitted model with a `StateWarning` and records
    the new one, but `put` refused any other digest, and never took one: once a new champion
    updated a per-student part, every `put` of it into the district's state failed, and its
    advice ("update it with this state's model first") meant going back to the old model. Now
    the part is written with one warning; the district records the part's model where the part
    replaced every row, else keeps its own and says that rows of two models sit in it."""
    district = v1.init_state(["s1", "s2"])
    v1.update(district, answer())
    part = district.take(["s1"])
    state_warnings(lambda: v2.update(part, answer(60)))
    assert part.model_digest == v2.fitted_digest()
    said = state_warnings(lambda: district.put(part))
    assert len(said) == 1
    assert (said[0].made_by, said[0].used_by) == (v1.fitted_digest(), v2.fitted_digest())
    short1, short2 = v1.fitted_digest()[:12], v2.fitted_digest()[:12]
    assert f"another fitted model ({short2}) than this one ({short1})" in str(said[0])
    assert "rows of two models now sit in this state" in str(said[0])
    assert district.model_digest == v1.fitted_digest()
    np.testing.assert_array_equal(v2.mastery(district)[0], v2.mastery(part)[0])
    assert state_warnings(lambda: district.put(part)) == []  # said once per state and models
    alone = v1.init_state(["s1"])
    said = state_warnings(lambda: alone.put(part))
    assert len(said) == 1 and "which records that model from now on" in str(said[0])
    assert alone.model_digest == v2.fitted_digest()
    assert state_warnings(lambda: v2.update(alone, answer(120))) == []


def old_format_bytes(state: TracingState) -> bytes:
    """The bytes the version before the digest wrote: its arrays, ids, skills, model kind and
    the sha256 of those entries, and no digest."""
    payload = {f"a_{k}": v for k, v in state.arrays.items()}
    payload["students"] = np.asarray(state.students, dtype=np.str_)
    payload["skills"] = np.asarray(state.skills, dtype=np.str_)
    payload["model"] = np.asarray(state.model, dtype=np.str_)
    digest = hashlib.sha256()
    hash_arrays(digest, payload)
    payload["sha256"] = np.asarray(digest.hexdigest(), dtype=np.str_)
    buf = io.BytesIO()
    np.savez(buf, **payload)
    return buf.getvalue()


def test_a_state_saved_before_the_digest_loads_without_a_warning(v1, v2, tmp_path) -> None:
    """Old saved states stay readable: one without the digest loads (its checksum verified),
    of unknown origin, and any model of its kind and skills takes it without a warning, as
    before; it then records that model."""
    state = v1.init_state(["s1"])
    v1.update(state, answer())
    (tmp_path / "old.npz").write_bytes(old_format_bytes(state))
    old = TracingState.load(tmp_path / "old.npz")
    assert old.model_digest is None
    np.testing.assert_array_equal(old.arrays["p_known"], state.arrays["p_known"])
    assert state_warnings(lambda: v2.update(old, answer(60))) == []
    assert old.model_digest == v2.fitted_digest()
