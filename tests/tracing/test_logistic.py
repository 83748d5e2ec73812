"""IRT, PFA and Best-LR: features against a per-row reference, cold start, mastery, real data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_contract import synthetic_log

from adaptive.data.log import Response, ResponseLog
from adaptive.errors import DataValidationError
from adaptive.tracing.base import TracingState
from adaptive.tracing.features import BatchInput, FeatureLayout, batch_counts, sigmoid
from adaptive.tracing.logistic import IRT, PFA, BestLR, skill_set_codes


@pytest.fixture(scope="module")
def log() -> ResponseLog:
    return synthetic_log(30, seed=3)


def reference_counts(log: ResponseLog, windows: tuple[int, ...], history: int) -> dict:
    """Per-row loop over the log: what the vectorized features must equal."""
    rows, skills = log.exploded()
    t = log.time // 1_000_000_000
    out = {"att": [], "wins": [], "w_att": [], "w_wins": []}
    events: dict[int, list[tuple[int, int, int]]] = {}  # student -> [(skill, time, correct)]
    for r in range(len(log)):
        s = int(log.student[r])
        past = events.setdefault(s, [])
        mine = [k for k, rr in zip(skills, rows, strict=True) if rr == r]
        for k in mine:
            same = [(tk, tc) for sk, tk, tc in past if sk == k]
            out["att"].append(len(same))
            out["wins"].append(sum(c for _, c in same))
            recent = [(sk, tk, tc) for sk, tk, tc in past[-history:] if sk == k] if history else []
            out["w_att"].append([sum(1 for _, tk, _ in recent if tk >= t[r] - w) for w in windows])
            out["w_wins"].append([sum(c for _, tk, c in recent if tk >= t[r] - w) for w in windows])
        for k in mine:
            past.append((int(k), int(t[r]), int(log.correct[r])))
    return out


def test_batch_counts_match_a_per_row_reference(log):
    windows, history = (3600, 86400, 7 * 86400), 6
    layout = FeatureLayout(
        n_items=len(log.items), n_skills=len(log.skills), skill_counts="attempts_wins",
        total_counts=True, windows=windows, history=history,
    )  # fmt: skip
    data = BatchInput(
        student=log.student, item=log.item.astype(np.int64), correct=log.correct,
        skill_offsets=log.skill_offsets, pair_group_skill=log.skill.astype(np.int64),
        pair_skill=log.skill.astype(np.int64), time_s=log.time // 1_000_000_000,
    )  # fmt: skip
    counts = batch_counts(layout, data)
    ref = reference_counts(log, windows, history)
    np.testing.assert_array_equal(counts.skill_att, ref["att"])
    np.testing.assert_array_equal(counts.skill_wins, ref["wins"])
    np.testing.assert_array_equal(counts.window_att, np.array(ref["w_att"]))
    np.testing.assert_array_equal(counts.window_wins, np.array(ref["w_wins"]))
    assert counts.window_att.max() > 0 and (counts.window_att < counts.skill_att[:, None]).any()
    pos = log.position_in_student()
    np.testing.assert_array_equal(counts.total_att, pos)
    wins = [
        log.correct[(log.student == log.student[r]) & (pos < pos[r])].sum() for r in range(len(log))
    ]
    np.testing.assert_array_equal(counts.total_wins, wins)


def test_irt_ability_is_the_one_step_map_estimate_from_earlier_responses(log):
    model = IRT(max_iter=300).fit(log)
    item = np.arange(len(model.items_))[log.item]
    p0 = sigmoid(model.item_logit0_[item])
    a = model.coef_[model.layout_.offset("ability")]
    pos = log.position_in_student()
    for r in [0, 5, 17, len(log) - 1]:
        earlier = (log.student == log.student[r]) & (pos < pos[r])
        theta = (log.correct[earlier] - p0[earlier]).sum() / (
            (p0[earlier] * (1 - p0[earlier])).sum() + model.ability_prior
        )
        expected = sigmoid(model.intercept_ + model.coef_[item[r]] + a * theta)
        assert model.predict_proba(log)[r] == pytest.approx(expected, abs=1e-12)
    assert a > 0  # ability helps: more earlier successes than expected -> higher P(correct)


def test_cold_start_new_student_and_unseen_item(log):
    model = IRT(max_iter=300).fit(log)
    state = model.init_state(["new"])
    p = model.update(state, Response("new", "never-seen-item", ("never-seen-skill",), 1))
    assert p[0] == pytest.approx(sigmoid(model.intercept_), abs=1e-15)  # zero item effect, theta 0
    # the unseen item still moves the ability estimate, with the average item's prior
    assert state.arrays["ability_stats"][0, 0] == pytest.approx(1 - sigmoid(model.base_logit0_))
    pfa = PFA(max_iter=300).fit(log)
    st = pfa.init_state()
    p = pfa.update(st, Response("new", "x", ("never-seen-skill",), 0))
    assert p[0] == pytest.approx(sigmoid(pfa.intercept_))
    assert np.all(st.arrays["skill_attempts"] == 0)  # unseen skills are not tracked


def test_pfa_skill_proba_equals_the_prediction_for_a_next_response_on_that_skill(log):
    model = PFA(max_iter=300).fit(log)
    state = model.init_state()
    model.update(state, log.take_rows(log.position_in_student() < 6))
    mastery = model.predict_skill_proba(state)
    student = state.students[2]
    for k, skill in enumerate(model.skills_):
        probe = TracingState([student], {name: a[[2]].copy() for name, a in state.arrays.items()})
        p = model.update(probe, Response(student, "any-item", (str(skill),), 1))
        assert mastery[2, k] == pytest.approx(p[0], abs=1e-12)


def test_irt_skill_proba_uses_the_typical_item_of_each_skill(log):
    model = IRT(max_iter=300).fit(log)
    state = model.init_state()
    model.update(state, log)
    stats = state.arrays["ability_stats"]
    theta = stats[:, 0] / (stats[:, 1] + model.ability_prior)
    a = model.coef_[model.layout_.offset("ability")]
    expected = sigmoid(model.intercept_ + model.typical_item_[None, :] + a * theta[:, None])
    np.testing.assert_allclose(model.predict_skill_proba(state), expected, atol=1e-12)
    # stronger students (higher ability) have higher P(correct) on every skill
    order = np.argsort(theta)
    p = model.predict_skill_proba(state)
    assert np.all(p[order[-1]] > p[order[0]])


def test_pfa_counts_make_mastery_grow_with_successes(log):
    model = PFA(max_iter=300).fit(log)
    state = model.init_state(["s"])
    before = model.mastery(state)[0].copy()
    skill = str(model.skills_[0])
    for _ in range(5):
        model.update(state, Response("s", "i", (skill,), 1))
    after = model.mastery(state)[0]
    assert after[0] > before[0]
    np.testing.assert_array_equal(after[1:], before[1:])


def test_two_pl_adds_item_slopes(log):
    one, two = IRT(max_iter=300).fit(log), IRT(discrimination=True, max_iter=300).fit(log)
    assert two.layout_.n_features == one.layout_.n_features + len(one.items_)
    assert not np.allclose(one.predict_proba(log), two.predict_proba(log))


def test_time_windows_only_with_timestamps(log):
    model = BestLR(max_iter=300, history=10).fit(log)
    assert model.windows_ == (3600, 86400, 604800, 2592000)
    frame = log.frame.drop(columns=["timestamp"]).assign(order=np.arange(len(log)))
    ordered = ResponseLog.from_frame(frame)
    with pytest.raises(DataValidationError, match="timestamp"):
        model.predict_proba(ordered)
    plain = BestLR(max_iter=300).fit(ordered)
    assert plain.windows_ == () and "history_time" not in plain.init_state().arrays
    assert BestLR(max_iter=300, time_windows=False).fit(log).windows_ == ()


def test_artifact_holds_no_student_ids(log, tmp_path):
    for model in (IRT(max_iter=200), PFA(max_iter=200), BestLR(max_iter=200, history=5)):
        model.fit(log).save(tmp_path / model.name)
        text = (tmp_path / model.name / "model.json").read_text()
        assert not any(s in text for s in log.students)
        meta = json.loads(text)
        assert len(meta["fitted"]["items"]) == len(log.items)


def test_fit_needs_both_outcomes():
    frame = pd.DataFrame({
        "student_id": ["a", "a"], "item_id": ["i", "j"], "skill_ids": ["k", "k"],
        "correct": [1, 1], "order": [0, 1],
    })  # fmt: skip
    with pytest.raises(DataValidationError, match="both correct and incorrect"):
        PFA().fit(ResponseLog.from_frame(frame))


@pytest.mark.slow
def test_real_slice_beats_a_constant_predictor(shared_datasets):
    from adaptive.data import load_log
    from adaptive.data.splits import train_test_split
    from adaptive.evaluation.metrics import auc

    log = load_log("statics2011-gervet-test")
    train, test = train_test_split(log, test_size=0.3, seed=0)
    for model in (IRT(max_iter=200), PFA(max_iter=200), BestLR(max_iter=200)):
        p = model.fit(train).predict_proba(test)
        assert auc(test.correct, p) > 0.65, model.name


def test_best_lr_skill_proba_is_a_next_response_on_a_typical_item_at_the_last_time(log):
    """Windows included: skill P(correct) = P(correct) of a probe response at the student's last time."""
    model = BestLR(max_iter=300, history=10).fit(log)
    state = model.init_state()
    model.update(state, log)
    mastery = model.predict_skill_proba(state)
    u = 3
    student = state.students[u]
    last = log.frame.loc[log.frame["student_id"] == student, "timestamp"].max()
    for k, skill in enumerate(model.skills_):
        probe = TracingState([student], {name: a[[u]].copy() for name, a in state.arrays.items()})
        p = model.update(probe, Response(student, "unseen-item", (str(skill),), 1, last))[0]
        expected = sigmoid(np.log(p / (1 - p)) + model.typical_item_[k])
        assert mastery[u, k] == pytest.approx(expected, abs=1e-12)


def _frame_log(rows: list[tuple[str, str, list[str], int]]) -> ResponseLog:
    frame = pd.DataFrame(rows, columns=["student_id", "item_id", "skill_ids", "correct"])
    frame["order"] = frame.groupby("student_id").cumcount()
    return ResponseLog.from_frame(frame)


def test_skill_set_codes_name_each_combination_once():
    log = _frame_log([
        ("s1", "i1", ["b", "a"], 1), ("s1", "i2", ["a"], 0),
        ("s2", "i3", ["a", "b"], 1), ("s2", "i4", ["c", "b"], 0),
    ])  # fmt: skip
    set_of_row, sets = skill_set_codes(log)
    assert sets == [("a", "b"), ("b", "c")]
    assert set_of_row.tolist() == [0, -1, 0, 1]


def test_skill_sets_learn_what_a_combination_adds_to_its_skills():
    """Items needing a and b together are much harder than a, b, c alone or b and c together:
    only a KC of its own for (a, b) can say so (sums of single-skill terms fit equal singles
    with equal pairs only)."""
    rng = np.random.default_rng(0)
    kinds, rows = [["a"], ["b"], ["c"], ["a", "b"], ["b", "c"]] * 2, []
    for s in range(400):
        for t, k in enumerate(rng.permutation(len(kinds))):
            skills = kinds[k]
            rate = 0.25 if skills == ["a", "b"] else 0.8
            rows.append((f"s{s:03d}", f"i{t}", list(skills), int(rng.random() < rate)))
    log = _frame_log(rows)
    hard = log.frame["skill_ids"].map(lambda ks: list(ks) == ["a", "b"]).to_numpy()
    with_sets, without = PFA(skill_sets=True).fit(log), PFA(skill_sets=False).fit(log)
    assert with_sets.skill_sets_ == [("a", "b"), ("b", "c")] and without.skill_sets_ == []
    p_with, p_without = with_sets.predict_proba(log), without.predict_proba(log)
    assert abs(p_with[hard].mean() - 0.25) < 0.03
    assert abs(p_without[hard].mean() - 0.25) > 0.07
    assert abs(p_with[~hard].mean() - 0.8) < 0.03
    state = with_sets.init_state()
    with_sets.update(state, log)
    assert with_sets.mastery(state).shape == (400, 3)  # mastery stays per single skill


def test_an_unseen_skill_set_adds_nothing(log):
    model = PFA(max_iter=300).fit(log)
    assert model.skill_sets_  # the synthetic log has two-skill items
    new = _frame_log([("new", "x", ["k0", "k2"], 1)])  # a pair never seen together in training
    p_batch = model.predict_proba(new)[0]
    p_single = model.update(model.init_state(), Response("new", "x", ("k0", "k2"), 1))[0]
    skill = model.layout_.offset("skill") + model.skills_.get_indexer(["k0", "k2"])
    assert (
        p_batch == p_single == pytest.approx(sigmoid(model.intercept_ + model.coef_[skill].sum()))
    )
