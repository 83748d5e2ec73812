"""DKT specifics: the item-aware variant (`items=True`) and the numpy single-response path.

The single-`Response` `update` runs one LSTM step in numpy (`dkt.LSTMStep`), apart from the
torch code of `predict_proba`; these tests hold the two to the same predictions and states.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score
from test_contract import synthetic_log

from adaptive.data.log import Response, ResponseLog
from adaptive.tracing.base import KnowledgeTracer
from adaptive.tracing.deep.dkt import LSTMStep
from adaptive.tracing.specs import build_model

VARIANTS = {
    "skills": {},
    "items": {"items": True, "l2": 1e-4},
    "skills-2-layers": {"num_layers": 2},
    "items-2-layers": {"items": True, "num_layers": 2},
}


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def train_log() -> ResponseLog:
    return synthetic_log(40, seed=7)


@pytest.fixture(scope="module")
def test_log() -> ResponseLog:
    """New students; some responses carry an unseen item, an unseen skill, or two skills."""
    frame = synthetic_log(6, seed=11, first=900).frame.copy()
    frame.loc[frame.index % 7 == 3, "item_id"] = "never-seen-item"
    frame.loc[frame.index % 11 == 5, "skill_ids"] = pd.Series(
        [["never-seen-skill", "k1"]] * len(frame), index=frame.index
    )
    return ResponseLog.from_frame(frame)


@pytest.fixture(scope="module", params=list(VARIANTS))
def fitted(request, train_log):
    return (
        build_model("dkt-tiny").set_params(max_epochs=2, **VARIANTS[request.param]).fit(train_log)
    )


def responses(log: ResponseLog) -> list[Response]:
    return [
        Response(r.student_id, r.item_id, tuple(r.skill_ids), int(r.correct))
        for r in log.frame.itertuples()
    ]


def replay(model, log: ResponseLog) -> tuple[np.ndarray, object]:
    state = model.init_state()
    online = np.concatenate([model.update(state, r) for r in responses(log)])
    return online, state


# -- the numpy single-response path ---------------------------------------------------------------
def test_single_responses_replay_batch_predictions_and_states_without_torch(
    fitted, test_log, monkeypatch
):
    batch = fitted.predict_proba(test_log)
    batch_state = fitted.init_state()
    fitted.update(batch_state, test_log)

    def no_torch(*args, **kwargs):
        raise AssertionError("a single Response must not run the torch network")

    monkeypatch.setattr(fitted.net_, "run", no_torch)
    online, state = replay(fitted, test_log)
    assert isinstance(fitted._step, LSTMStep)
    np.testing.assert_allclose(online, batch, rtol=0, atol=1e-5)
    assert state.students == batch_state.students
    for name in ("h", "c"):
        np.testing.assert_allclose(state.arrays[name], batch_state.arrays[name], atol=1e-5)


def test_numpy_step_follows_new_weights_after_refit_and_load(train_log, test_log, tmp_path):
    model = build_model("dkt-tiny").set_params(max_epochs=1, items=True)
    model.fit(train_log)
    replay(model, test_log)  # caches the step of the first weights
    model.set_params(seed=1).fit(train_log)
    np.testing.assert_allclose(replay(model, test_log)[0], model.predict_proba(test_log), atol=1e-5)
    loaded = KnowledgeTracer.load(model.save(tmp_path / "dkt"))
    np.testing.assert_allclose(
        replay(loaded, test_log)[0], model.predict_proba(test_log), atol=1e-5
    )


# -- the item-aware variant -----------------------------------------------------------------------
def item_difficulty_log(n_students: int, seed: int, first: int = 0) -> ResponseLog:
    """One skill, items of very different difficulty: only item identity predicts well."""
    rng = np.random.default_rng(seed)
    difficulty = np.linspace(-2.5, 2.5, 12)
    rows = []
    for s in range(n_students):
        for t, item in enumerate(rng.integers(len(difficulty), size=30)):
            p = 1 / (1 + np.exp(difficulty[item]))
            rows.append((f"s{first + s}", f"i{item}", ["k"], int(rng.random() < p), t))
    columns = ["student_id", "item_id", "skill_ids", "correct", "order"]
    return ResponseLog.from_frame(pd.DataFrame(rows, columns=columns))


def test_items_learn_item_difficulty_that_skills_alone_cannot():
    train, test = item_difficulty_log(150, seed=1), item_difficulty_log(40, seed=2, first=500)
    auc = {}
    for items in (False, True):
        model = build_model("dkt-tiny").set_params(max_epochs=6, items=items).fit(train)
        auc[items] = roc_auc_score(test.correct, model.predict_proba(test))
    assert auc[True] > 0.75
    assert auc[True] > auc[False] + 0.1


def test_item_of_a_response_is_its_query_and_its_answer_is_only_read_later(train_log, test_log):
    model = build_model("dkt-tiny").set_params(max_epochs=1, items=True).fit(train_log)
    base = model.predict_proba(test_log)
    cut = int(test_log.student_offsets[1]) + 4
    frame = test_log.frame.copy()
    frame.loc[cut, "correct"] = 1 - frame.loc[cut, "correct"]
    flipped = model.predict_proba(ResponseLog.from_frame(frame))
    np.testing.assert_array_equal(flipped[: cut + 1], base[: cut + 1])
    assert abs(flipped[cut + 1] - base[cut + 1]) > 1e-5
    frame = test_log.frame.copy()
    frame.loc[cut, "item_id"] = "item03" if frame.loc[cut, "item_id"] != "item03" else "item04"
    other_item = model.predict_proba(ResponseLog.from_frame(frame))
    np.testing.assert_array_equal(other_item[:cut], base[:cut])
    assert abs(other_item[cut] - base[cut]) > 1e-5


def test_items_skill_proba_is_p_correct_on_an_unseen_item_of_each_skill(train_log, test_log):
    model = build_model("dkt-tiny").set_params(max_epochs=1, items=True).fit(train_log)
    state = model.init_state()
    model.update(state, test_log)
    mastery = model.predict_skill_proba(state)
    student = state.students[2]
    for j, skill in enumerate(model.skills_):
        probe = model.init_state()
        model.update(probe, test_log.take_students([student]))
        p = model.update(probe, Response(student, "an-item-never-seen", (skill,), 1))[0]
        assert p == pytest.approx(mastery[2, j], abs=1e-6)


def test_l2_shrinks_item_embeddings(train_log):
    def item_norm(l2: float) -> float:
        model = build_model("dkt-tiny").set_params(max_epochs=30, patience=30, items=True, l2=l2)
        net = model.fit(train_log).net_
        with torch.no_grad():
            squares = (net.out.item.weight**2).sum() + (net.item_interaction.weight**2).sum()
            assert float(net.penalty()) == pytest.approx(l2 * float(squares))
            return float(net.out.item.weight.norm())

    assert item_norm(0.05) < 0.1 * item_norm(0.0)


def test_default_dkt_keeps_its_weights_and_dkt_items_turns_items_on(train_log):
    net = build_model("dkt-tiny").set_params(max_epochs=1).fit(train_log).net_
    assert set(net.state_dict()) == {
        "interaction.weight",
        "lstm.weight_ih_l0",
        "lstm.weight_hh_l0",
        "lstm.bias_ih_l0",
        "lstm.bias_hh_l0",
        "out.weight",
        "out.bias",
    }, "the default DKT keeps the weight names of its saved artifacts"
    assert float(net.penalty()) == 0.0
    assert not build_model("dkt").items and build_model("dkt-items").items
