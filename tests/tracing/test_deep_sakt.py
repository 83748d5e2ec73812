"""SAKT with item embeddings (`items = true`): item identity is learned, prediction stays causal,
the online state replays the batch predictions, mastery is P(correct) on a skill's typical item.

The skills-only SAKT runs through tests/tracing/test_contract.py and test_deep.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from adaptive.data.log import Response, ResponseLog
from adaptive.tracing.base import KnowledgeTracer
from adaptive.tracing.specs import build_model

WINDOW = 6
# item i is of skill i % 2; difficulties span [-3, 3]
DIFFICULTY = np.linspace(-3.0, 3.0, 20)[np.random.default_rng(0).permutation(20)]
EASIEST, HARDEST = f"i{np.argmin(DIFFICULTY):02d}", f"i{np.argmax(DIFFICULTY):02d}"


pytestmark = pytest.mark.usefixtures("one_thread")


def items_log(n_students: int, seed: int, first: int = 0) -> ResponseLog:
    """Two skills of ten items each whose difficulties span [-3, 3]: the skill alone says little
    about a response, the item says a lot. Students differ in ability and learn a little."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_students):
        ability = rng.normal(0, 0.5)
        practice = np.zeros(2)
        for order in range(int(rng.integers(15, 40))):
            item = int(rng.integers(20))
            skill = item % 2
            logit = ability + 0.1 * practice[skill] - DIFFICULTY[item]
            correct = int(rng.random() < 1 / (1 + np.exp(-logit)))
            practice[skill] += 1
            rows.append((f"s{first + s:03d}", f"i{item:02d}", [f"k{skill}"], correct, order))
    frame = pd.DataFrame(rows, columns=["student_id", "item_id", "skill_ids", "correct", "order"])
    return ResponseLog.from_frame(frame)


def sakt(**params) -> KnowledgeTracer:
    return build_model("sakt-tiny").set_params(**{"window": WINDOW, "max_epochs": 6, **params})


@pytest.fixture(scope="module")
def train_log() -> ResponseLog:
    return items_log(150, seed=1)


@pytest.fixture(scope="module")
def test_log() -> ResponseLog:
    """New students; one response on an item never seen in training."""
    frame = items_log(20, seed=2, first=500).frame.copy()
    frame.loc[4, "item_id"] = "i-never-seen"
    return ResponseLog.from_frame(frame)


@pytest.fixture(scope="module")
def with_items(train_log):
    return sakt(items=True).fit(train_log)


def test_item_embeddings_learn_item_difficulty(with_items, train_log, test_log):
    skills_only = sakt().fit(train_log)
    assert not any("items." in k for k in skills_only.net_.state_dict())
    auc_items = roc_auc_score(test_log.correct, with_items.predict_proba(test_log))
    auc_skills = roc_auc_score(test_log.correct, skills_only.predict_proba(test_log))
    assert auc_items > auc_skills + 0.05


def test_replay_equals_batch_across_windows(with_items, test_log):
    assert np.diff(test_log.student_offsets).max() > 2 * WINDOW
    batch = with_items.predict_proba(test_log)
    state = with_items.init_state()
    np.testing.assert_allclose(with_items.update(state, test_log), batch, rtol=0, atol=1e-5)
    single = with_items.init_state()
    online = [
        with_items.update(single, Response(r.student_id, r.item_id, tuple(r.skill_ids), r.correct))
        for r in test_log.frame.head(60).itertuples()
    ]
    np.testing.assert_allclose(np.concatenate(online), batch[:60], rtol=0, atol=1e-5)


def test_prediction_uses_the_asked_item_and_earlier_responses_only(with_items, test_log):
    base = with_items.predict_proba(test_log)
    start, stop = test_log.student_offsets[[0, 1]]
    for cut in (start + 2, start + WINDOW + 1, stop - 3):
        frame = test_log.frame.copy()
        frame.loc[cut + 1 : stop - 1, "correct"] = 1 - frame.loc[cut + 1 : stop - 1, "correct"]
        frame.loc[cut, "item_id"] = EASIEST if frame.loc[cut, "item_id"] != EASIEST else HARDEST
        changed = with_items.predict_proba(ResponseLog.from_frame(frame))
        np.testing.assert_allclose(changed[:cut], base[:cut], rtol=0, atol=1e-6)
        np.testing.assert_allclose(changed[stop:], base[stop:], rtol=0, atol=1e-6)
        assert abs(changed[cut] - base[cut]) > 1e-3  # the asked item counts
        assert np.abs(changed[cut + 1 : stop] - base[cut + 1 : stop]).max() > 1e-4


def test_skill_proba_is_the_prediction_for_an_unseen_item_of_the_skill(with_items, test_log):
    """Unseen items and mastery queries both get the zero item embedding: a skill's typical item."""
    history = test_log.take_students(test_log.students[:1])
    state = with_items.init_state()
    with_items.update(state, history)
    frames = []
    for k, skill in enumerate(with_items.skills_):
        frame = history.frame.copy()
        frame["student_id"] = f"copy{k}"
        ask = frame.iloc[-1:].assign(item_id="i-unseen", skill_ids=[[skill]], order=10**6)
        frames.append(pd.concat([frame, ask], ignore_index=True))
    asked = ResponseLog.from_frame(pd.concat(frames, ignore_index=True))
    last = asked.student_offsets[1:] - 1
    np.testing.assert_allclose(
        with_items.predict_skill_proba(state)[0],
        with_items.predict_proba(asked)[last],
        rtol=0,
        atol=1e-5,
    )


def test_l2_pulls_item_embeddings_to_zero(train_log):
    small = sakt(items=True, l2=0.0, max_epochs=1).fit(train_log)
    large = sakt(items=True, l2=1.0, max_epochs=1).fit(train_log)
    norm = [m.net_.items.squared_norm().item() for m in (small, large)]
    assert norm[1] < 0.1 * norm[0]


def test_save_load_round_trip(with_items, test_log, tmp_path):
    loaded = KnowledgeTracer.load(with_items.save(tmp_path / "sakt-items"))
    assert loaded.get_params() == with_items.get_params() and loaded.items
    np.testing.assert_array_equal(
        loaded.predict_proba(test_log), with_items.predict_proba(test_log)
    )
