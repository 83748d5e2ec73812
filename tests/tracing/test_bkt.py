"""BKT: the vectorized engine against a plain reference, EM, variants, online state, artifacts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adaptive.data.log import Response, ResponseLog
from adaptive.errors import ConfigError, FitWarning
from adaptive.tracing import bkt_engine
from adaptive.tracing.base import KnowledgeTracer
from adaptive.tracing.bkt import BKT
from adaptive.tracing.bkt_engine import (
    build_layout,
    emissions,
    filter_classes,
    forward,
    p_correct,
    transition_keep,
)
from adaptive.tracing.specs import build_model

TRUE = {
    "a": (0.2, 0.15, 0.0, 0.2, 0.1),  # p_init, p_learn, p_forget, p_guess, p_slip
    "b": (0.5, 0.05, 0.0, 0.3, 0.15),
    "c": (0.1, 0.3, 0.0, 0.1, 0.05),
}


def simulate(n_students: int, seed: int, params: dict = TRUE, multi_every: int = 0) -> ResponseLog:
    """Students practise the skills of `params` from a true BKT model (seeded)."""
    rng = np.random.default_rng(seed)
    skills = list(params)
    rows = []
    for s in range(n_students):
        known = {k: rng.random() < params[k][0] for k in skills}
        for t in range(int(rng.integers(5, 40))):
            k = skills[int(rng.integers(len(skills)))]
            tags = [k]
            if multi_every and t % multi_every == 0:
                tags = sorted({k, skills[(skills.index(k) + 1) % len(skills)]})
            item = f"{k}-{int(rng.integers(4))}"
            p_init, learn, forget, guess, slip = params[k]
            correct = int(rng.random() < ((1 - slip) if known[k] else guess))
            rows.append((f"u{s:03d}", item, tags, correct, t))
            for tag in tags:
                if known[tag]:
                    known[tag] = rng.random() >= params[tag][2]
                else:
                    known[tag] = rng.random() < params[tag][1]
    return ResponseLog.from_frame(
        pd.DataFrame(rows, columns=["student_id", "item_id", "skill_ids", "correct", "order"])
    )


def reference_predictions(
    seqs: list[list[int]], params: list[tuple[float, ...]]
) -> list[list[float]]:
    """Textbook BKT forward pass, one sequence and one response at a time."""
    out = []
    for seq, (p_init, learn, forget, guess, slip) in zip(seqs, params, strict=True):
        p, preds = p_init, []
        for c in seq:
            preds.append(guess + p * (1 - slip - guess))
            post = (
                p * (1 - slip) / (p * (1 - slip) + (1 - p) * guess)
                if c
                else (p * slip / (p * slip + (1 - p) * (1 - guess)))
            )
            p = post * (1 - forget) + (1 - post) * learn
        out.append(preds)
    return out


@pytest.fixture(scope="module")
def train() -> ResponseLog:
    return simulate(150, seed=1, multi_every=7)


@pytest.fixture(scope="module")
def test() -> ResponseLog:
    return simulate(30, seed=2, multi_every=7)


def test_engine_forward_matches_textbook_loop():
    rng = np.random.default_rng(0)
    seqs = [list(rng.integers(0, 2, int(n))) for n in rng.integers(1, 30, 50)]
    params = [tuple(rng.uniform(0.01, 0.4, 5)) for _ in seqs]
    expected = reference_predictions(seqs, params)
    key = np.concatenate([np.full(len(s), i) for i, s in enumerate(seqs)])
    correct = np.concatenate(seqs)
    per_entry = np.array([params[i] for i in key])
    layout = build_layout(key)
    tm = per_entry[layout.order]
    lk, lu = emissions(correct[layout.order], tm[:, 3:4], tm[:, 4:5])
    first = per_entry[layout.seq_first_entry, 0][:, None]
    keep = transition_keep(tm[:, 1:2], tm[:, 2:3])
    pred, _ = forward(layout, first, lk, lu, tm[:, 1:2], keep)
    got = layout.to_input(p_correct(pred, tm[:, 3:4], tm[:, 4:5]))[:, 0]
    np.testing.assert_allclose(got, np.concatenate(expected), rtol=0, atol=1e-12)


def test_online_filter_stays_a_probability_after_a_near_impossible_answer(monkeypatch):
    """P(known) near 1, then a wrong answer with P(slip) 1e-10 (an ML fit's extreme: this is a
    sequence of ASSIST2009's item-level fits): the filter's old form `x (lk - lu) + lu` cancelled there,
    P(known) left [0, 1] and P(correct) reached 1.43 and -1.8 on later answers (the metrics
    then refused the predictions). Both paths stay in [0, 1] and agree bit for bit."""
    # (prior, learn, forget, guess, slip) of the five classes met, bit for bit as measured
    h = float.fromhex
    prior, learn, tiny = (
        h("0x1.5b648073ebae1p-1"),
        h("0x1.5f28335bc8ddap-4"),
        h("0x1.b7cdfd9d7bdbbp-34"),
    )
    guess_slip = [(tiny, h("0x1.14cbc5fa483f5p-5")), (tiny, h("0x1.a1a87b65e3374p-2")),
                  (tiny, h("0x1.c7df09ebf5b4bp-4")), (h("0x1.758d5e2587af1p-2"), tiny),
                  (tiny, tiny)]  # fmt: skip
    classes = np.array([[prior, learn, 0.0, g, s] for g, s in guess_slip])
    answers = [0, 1, 1, 0, 1, 1, 0, 1]  # the measured five, then more of the last class
    cls = [0, 1, 2, 3, 4, 4, 4, 4]
    layout = build_layout(np.zeros(len(answers), np.int64))
    code = np.array([2 * c + a for c, a in zip(cls, answers, strict=True)])[layout.order]
    init = np.array([prior])
    native = filter_classes(layout, init, code, classes)
    monkeypatch.setattr(bkt_engine, "_NATIVE", None)
    numpy = filter_classes(layout, init, code, classes)
    for p, final in (native, numpy):
        assert ((p >= 0) & (p <= 1)).all(), p
        assert 0 <= final[0] <= 1
    np.testing.assert_array_equal(native[0], numpy[0])
    np.testing.assert_array_equal(native[1], numpy[1])


def test_online_filter_matches_the_textbook_loop_in_c_and_in_numpy(monkeypatch):
    """`filter_classes` (the online path) gives the textbook loop's predictions and final states,
    in C and in numpy alike, bit for bit between the two; the C loop is built by the install."""
    assert bkt_engine._NATIVE is not None, "the install did not build _bkt_filter.c"
    rng = np.random.default_rng(1)
    seqs = [list(rng.integers(0, 2, int(n))) for n in rng.integers(1, 30, 60)]
    classes = rng.uniform(0.01, 0.4, (6, 5))  # (C, PARAMS) shared by several sequences
    seq_class = rng.integers(0, 6, len(seqs))
    expected = reference_predictions(seqs, [tuple(classes[c]) for c in seq_class])
    key = np.concatenate([np.full(len(s), i) for i, s in enumerate(seqs)])
    correct = np.concatenate(seqs)
    layout = build_layout(key)
    code = (2 * seq_class[key] + correct)[layout.order]
    init = classes[seq_class[key[layout.seq_first_entry]], 0]
    native_p, native_final = filter_classes(layout, init, code, classes)
    monkeypatch.setattr(bkt_engine, "_NATIVE", None)
    numpy_p, numpy_final = filter_classes(layout, init, code, classes)
    np.testing.assert_allclose(native_p, np.concatenate(expected), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(native_p, numpy_p)
    np.testing.assert_array_equal(native_final, numpy_final)
    last = [s[-1] for s in seqs]  # final state: filtered on the last answer, then a transition
    for rank, seq in enumerate(np.argsort(-np.array([len(s) for s in seqs]), kind="stable")):
        p_init, learn, forget, guess, slip = classes[seq_class[seq]]
        x = (expected[seq][-1] - guess) / (1 - slip - guess)
        known = x * ((1 - slip) if last[seq] else slip)
        post = known / (known + (1 - x) * (guess if last[seq] else 1 - guess))
        assert native_final[rank] == pytest.approx(learn + post * (1 - learn - forget), abs=1e-12)
    empty = build_layout(np.zeros(0, np.int64))
    p, final = filter_classes(empty, np.zeros(0), np.zeros(0, np.int64), classes)
    assert p.shape == (0,) and final.shape == (0,)
    monkeypatch.undo()  # the C path reads memory by these codes: bad ones are refused first
    with pytest.raises(ValueError, match="codes must lie in"):
        filter_classes(layout, init, code + 2 * len(classes), classes)
    with pytest.raises(ValueError, match="non-negative code per entry"):
        build_layout(key, group=np.full(len(key), -1))


def reference_layout(seq_key: np.ndarray, rank_by) -> tuple[list[int], list[int], list[int]]:
    """(order, offsets, lengths by rank) built entry by entry: sequences in `rank_by` order,
    then longest first (stable); block k lists the k-th entry of every sequence longer than k."""
    seqs: dict[int, list[int]] = {}
    for i, key in enumerate(seq_key.tolist()):
        seqs.setdefault(key, []).append(i)
    ranked = sorted(sorted(seqs, key=rank_by), key=lambda key: -len(seqs[key]))
    order, offsets = [], [0]
    for step in range(len(seqs[ranked[0]])):
        order += [seqs[key][step] for key in ranked if len(seqs[key]) > step]
        offsets.append(len(order))
    return order, offsets, [len(seqs[key]) for key in ranked]


@pytest.mark.parametrize("n_skills", [7, 300, 70_000])  # 8-bit, 16-bit and wider skill codes
def test_layout_grouped_by_skill_matches_the_reference_and_the_forward_pass(n_skills, monkeypatch):
    """A student-sorted log laid out by its whole (student, skill) key (EM's path) and grouped by
    skill (the online path, in C and in numpy alike): each is the reference layout of its own
    sequence order, and the forward pass gives every entry the same value, bit for bit."""
    rng = np.random.default_rng(n_skills)
    n = 600
    student = np.sort(rng.integers(0, 40, n))
    skill = rng.choice(n_skills, 7, replace=False)[rng.integers(0, 7, n)]
    key = student * n_skills + skill
    unseen = np.flatnonzero(skill == skill[0])  # a skill never seen in training: one per entry
    key[unseen] = -1 - unseen
    first = {k: i for i, k in reversed(list(enumerate(key.tolist())))}
    rank_by = {"key": lambda k: k, "skill": lambda k: (skill[first[k]], first[k])}
    values, correct = rng.uniform(0.05, 0.4, (n, 5)), rng.integers(0, 2, n)
    preds = {}
    grouped = build_layout(key, group=skill)  # in C where the install built it
    monkeypatch.setattr(bkt_engine, "_NATIVE", None)
    grouped_numpy = build_layout(key, group=skill)
    for field in ("order", "offsets", "seq_length"):
        np.testing.assert_array_equal(getattr(grouped, field), getattr(grouped_numpy, field))
    for name, layout in (("key", build_layout(key)), ("skill", grouped)):
        order, offsets, lengths = reference_layout(key, rank_by[name])
        assert layout.order.tolist() == order
        assert layout.offsets.tolist() == offsets
        assert layout.seq_length.tolist() == lengths
        tm = values[layout.order]
        lk, lu = emissions(correct[layout.order], tm[:, 3:4], tm[:, 4:5])
        keep = transition_keep(tm[:, 1:2], tm[:, 2:3])
        pred, _ = forward(layout, tm[: layout.n_sequences, :1], lk, lu, tm[:, 1:2], keep)
        preds[name] = layout.to_input(pred)[:, 0]
    np.testing.assert_array_equal(preds["key"], preds["skill"])


def test_em_recovers_true_parameters():
    log = simulate(600, seed=3)
    model = BKT(num_fits=3, seed=0).fit(log)
    table = model.params_table().set_index("skill")
    for skill, (p_init, learn, _, guess, slip) in TRUE.items():
        row = table.loc[skill]
        assert abs(row.p_guess - guess) < 0.06, (skill, row)
        assert abs(row.p_slip - slip) < 0.06, (skill, row)
        assert abs(row.p_learn - learn) < 0.08, (skill, row)
        assert abs(row.p_init - p_init) < 0.12, (skill, row)


def test_em_beats_the_true_parameters_likelihood_on_its_training_data():
    """EM maximizes the likelihood: its fit is at least as likely as the generating values."""
    log = simulate(300, seed=4)
    model = BKT(seed=0).fit(log)
    truth = BKT(
        seed=0,
        fixed={
            n: {k: v[i] for k, v in TRUE.items()}
            for i, n in enumerate(("p_init", "p_learn", "p_forget", "p_guess", "p_slip"))
        },
    )
    truth.fit(log)
    np.testing.assert_allclose(truth.params_table()["p_slip"], [v[4] for v in TRUE.values()])
    assert model.log_likelihood_ >= truth.log_likelihood_ - 1e-6


def test_fixed_parameters_are_held(train):
    model = BKT(fixed={"p_slip": 0.1, "p_guess": {"b": 0.25}}).fit(train)
    table = model.params_table().set_index("skill")
    np.testing.assert_allclose(table["p_slip"], 0.1)
    assert table.loc["b", "p_guess"] == pytest.approx(0.25)
    assert table.loc["a", "p_guess"] != pytest.approx(0.25)


def test_forgets_learns_a_forgetting_rate_and_standard_bkt_does_not(train):
    params = dict(TRUE, a=(0.2, 0.2, 0.15, 0.2, 0.1))
    log = simulate(400, seed=5, params=params)
    assert (BKT().fit(log).params_table()["p_forget"] == 0).all()
    forget = BKT(forgets=True).fit(log).params_table().set_index("skill")["p_forget"]
    assert forget["a"] > 0.05


@pytest.mark.parametrize("variant", ["forgets", "multigs", "multilearn", "multiprior"])
def test_variants_fit_replay_and_round_trip(variant, train, test, tmp_path):
    model = BKT(**{variant: True}, num_fits=2).fit(train)
    base = BKT(num_fits=2).fit(train)
    if variant != "forgets":  # item-level classes add parameters: a higher training likelihood
        assert model.log_likelihood_ > base.log_likelihood_
        assert len(model.item_params_table()) > 0
    batch = model.predict_proba(test)
    state = model.init_state()
    np.testing.assert_allclose(model.update(state, test), batch, rtol=0, atol=1e-9)
    single = model.init_state()
    replay = [
        model.update(single, Response(r.student_id, r.item_id, tuple(r.skill_ids), int(r.correct)))
        for r in test.frame.itertuples()
    ]
    np.testing.assert_allclose(np.concatenate(replay), batch, rtol=0, atol=1e-9)
    np.testing.assert_allclose(model.mastery(single), model.mastery(state), rtol=0, atol=1e-9)
    loaded = KnowledgeTracer.load(model.save(tmp_path / variant))
    np.testing.assert_array_equal(loaded.predict_proba(test), batch)


def test_multiprior_uses_the_first_item_not_the_first_answer(train):
    model = BKT(multiprior=True, num_fits=2).fit(train)
    items = model.item_params_table()
    priors = items[items.param == "p_init"]
    assert priors["value"].nunique() > 1
    state = model.init_state(["new"])
    row = priors.iloc[0]
    p_right = model.update(state, Response("new", row["item"], (row["skill"],), 1))[0]
    state2 = model.init_state(["new"])
    p_wrong = model.update(state2, Response("new", row["item"], (row["skill"],), 0))[0]
    assert p_right == p_wrong  # the prediction never depends on the answer it predicts
    g, s = model.params_table().set_index("skill").loc[row["skill"], ["p_guess", "p_slip"]]
    assert p_right == pytest.approx(g + row["value"] * (1 - s - g))


@pytest.mark.parametrize("strategy", ["mean", "product", "min"])
def test_multi_skill_strategies_combine_per_skill_predictions(strategy, train, test):
    model = BKT(multi_skill=strategy, num_fits=2).fit(train)
    entries = model.predict_entries(test)
    rows, _ = test.exploded()
    per_response = (
        pd.Series(entries)
        .groupby(rows)
        .agg({"mean": "mean", "product": "prod", "min": "min"}[strategy])
    )
    np.testing.assert_allclose(model.predict_proba(test), per_response.to_numpy(), rtol=1e-12)
    assert (test.n_skills_per_response > 1).any()


def test_multi_skill_response_updates_every_tagged_skill(train):
    model = BKT(num_fits=2).fit(train)
    state = model.init_state(["x"])
    before = model.mastery(state)[0].copy()
    model.update(state, Response("x", "a-0", ("a", "b"), 1))
    after = model.mastery(state)[0]
    codes = model.skills_.get_indexer(["a", "b", "c"])
    assert after[codes[0]] != before[codes[0]] and after[codes[1]] != before[codes[1]]
    assert after[codes[2]] == before[codes[2]]


def test_cold_start_unseen_skill_and_item(train):
    model = BKT(multigs=True, num_fits=2).fit(train)
    table = model.params_table().set_index("skill")
    state = model.init_state()
    p_new_skill = model.update(state, Response("n1", "zz", ("never-seen",), 1))[0]
    g, p0, s = (model.tables_.default_params[i] for i in (3, 0, 4))
    assert p_new_skill == pytest.approx(g + p0 * (1 - s - g))
    # not tracked: the next response of the unseen skill gets the same prediction
    assert model.update(state, Response("n1", "zz", ("never-seen",), 1))[0] == p_new_skill
    p_new_item = model.update(state, Response("n2", "item-never-seen", ("a",), 1))[0]
    g, p0, s = table.loc["a", ["p_guess", "p_init", "p_slip"]]
    assert p_new_item == pytest.approx(g + p0 * (1 - s - g))
    # population default = response-weighted average of the skills
    w = table["n_responses"] / table["n_responses"].sum()
    assert model.tables_.default_params[3] == pytest.approx((table["p_guess"] * w).sum())


def test_mastery_rises_with_correct_answers(train):
    model = BKT(num_fits=2).fit(train)
    state = model.init_state(["x"])
    k = model.skills_.get_loc("c")
    levels = [model.mastery(state)[0, k]]
    for _ in range(4):
        model.update(state, Response("x", "c-1", ("c",), 1))
        levels.append(model.mastery(state)[0, k])
    assert np.all(np.diff(levels) > 0)
    assert state.arrays["n_responses"][0, k] == 4
    assert model.predict_skill_proba(state).shape == (1, 3)


def test_params_table_is_readable(train):
    table = BKT(num_fits=2).fit(train).params_table()
    assert list(table.columns) == [
        "skill",
        "p_init",
        "p_learn",
        "p_forget",
        "p_guess",
        "p_slip",
        "n_responses",
    ]
    assert set(table["skill"]) == set(TRUE)
    assert ((table.iloc[:, 1:6] >= 0) & (table.iloc[:, 1:6] <= 1)).all().all()


def test_seeded_fit_is_deterministic(train):
    a = BKT(num_fits=3, seed=5).fit(train).params_table()
    b = BKT(num_fits=3, seed=5).fit(train).params_table()
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    "params",
    [
        {"fitter": "sklearn"},
        {"multi_skill": "max"},
        {"fixed": {"p_sleep": 0.1}},
        {"fixed": {"p_slip": 1.5}},
        {"fixed": {"p_forget": 0.1}},
        {"num_fits": 0},
    ],
)
def test_bad_hyperparameters_raise_config_error(params, train):
    with pytest.raises(ConfigError):
        BKT(**params).fit(train)


def test_model_specs_build_bkt_variants():
    assert build_model("bkt").get_params() == BKT().get_params()
    assert build_model("bkt-forgets").forgets is True
    assert build_model("bkt-multigs").multigs is True
    assert build_model("bkt-pybkt").fitter == "pybkt"


def test_pybkt_frame_codes_follow_the_training_vocabulary(train, test):
    frame = BKT().to_pybkt_frame(train)
    assert list(frame.columns) == ["user_id", "skill_name", "correct", "order_id", "item"]
    assert len(frame) == len(train.skill) and frame.index.is_unique
    fitted = BKT(num_fits=1).fit(train)
    pd.testing.assert_frame_equal(fitted.to_pybkt_frame(train), frame)
    unseen = fitted.to_pybkt_frame(
        ResponseLog.from_frame(
            pd.DataFrame(
                {
                    "student_id": ["z"],
                    "item_id": ["new"],
                    "skill_ids": [["a"]],
                    "correct": [1],
                    "order": [0],
                }
            )
        )
    )
    assert unseen["item"].tolist() == [-1] and unseen["skill_name"].tolist() == ["s0"]


def test_shrinkage_pulls_item_classes_toward_their_skill(train):
    spread = {}
    for strength in (0.0, 50.0):
        model = BKT(multigs=True, num_fits=1, shrinkage=strength).fit(train)
        items = model.item_params_table()
        guess = items[items.param == "p_guess"]
        skill = model.params_table().set_index("skill")["p_guess"]
        spread[strength] = float(
            np.abs(guess["value"].to_numpy() - skill[guess["skill"]].to_numpy()).mean()
        )
    assert spread[50.0] < 0.5 * spread[0.0]
    # standard BKT has one class per skill: shrinkage changes nothing
    a = BKT(num_fits=1, shrinkage=0.0).fit(train).params_table()
    b = BKT(num_fits=1, shrinkage=50.0).fit(train).params_table()
    pd.testing.assert_frame_equal(a, b)


def reference_smoothed(seq: list[int], params: tuple[float, ...]) -> list[float]:
    """P(known at t | whole sequence) by the textbook forward-backward recursions."""
    p_init, learn, forget, guess, slip = params
    trans = np.array([[1 - learn, learn], [forget, 1 - forget]])  # [from, to]
    emit = np.array([[1 - guess, guess], [slip, 1 - slip]])  # [state, answer]
    n = len(seq)
    alpha = np.zeros((n, 2))
    alpha[0] = np.array([1 - p_init, p_init]) * emit[:, seq[0]]
    for t in range(1, n):
        alpha[t] = (alpha[t - 1] @ trans) * emit[:, seq[t]]
    beta = np.ones((n, 2))
    for t in range(n - 2, -1, -1):
        beta[t] = trans @ (emit[:, seq[t + 1]] * beta[t + 1])
    gamma = alpha * beta
    return list(gamma[:, 1] / gamma.sum(axis=1))


@pytest.mark.parametrize("with_forgets", [False, True])
def test_engine_smoothing_matches_textbook_forward_backward(with_forgets):
    from adaptive.tracing.bkt_engine import _smooth, filtered

    rng = np.random.default_rng(1)
    seqs = [list(rng.integers(0, 2, int(n))) for n in rng.integers(1, 25, 40)]
    params = [
        (
            *rng.uniform(0.05, 0.4, 2),
            rng.uniform(0.05, 0.3) if with_forgets else 0.0,
            *rng.uniform(0.05, 0.3, 2),
        )
        for _ in seqs
    ]
    key = np.concatenate([np.full(len(s), i) for i, s in enumerate(seqs)])
    per_entry = np.array([params[i] for i in key])
    layout = build_layout(key)
    tm = per_entry[layout.order]
    lk, lu = emissions(np.concatenate(seqs)[layout.order], tm[:, 3:4], tm[:, 4:5])
    keep = transition_keep(tm[:, 1:2], tm[:, 2:3])
    pred, _ = forward(
        layout, per_entry[layout.seq_first_entry, 0][:, None], lk, lu, tm[:, 1:2], keep
    )
    post, _ = filtered(pred, lk, lu)
    gamma = layout.to_input(_smooth(layout, pred, post, tm[:, 2:3], with_forgets))[:, 0]
    expected = np.concatenate([reference_smoothed(s, p) for s, p in zip(seqs, params, strict=True)])
    np.testing.assert_allclose(gamma, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("variant", [{}, {"forgets": True}, {"multigs": True, "shrinkage": 0.0}])
def test_em_log_likelihood_never_decreases(variant, train):
    """EM's defining property: each iteration's parameters are at least as likely as the last."""
    ll = [
        BKT(num_fits=1, max_iter=k, tol=1e-12, seed=3, **variant).fit(train).log_likelihood_
        for k in (1, 2, 3, 5, 8, 13)
    ]
    assert np.all(np.diff(ll) >= -1e-6), ll
    assert ll[-1] > ll[0] + 1.0


def test_a_skill_with_a_handful_of_answers_leans_on_the_population(train):
    """Three students answered skill "rare" (wrong, then right, then right): maximum likelihood
    fits a degenerate model (nobody knows it, anyone learns it at once, never a guess), which
    served a district's such skill at P(correct) 4e-7. With the default `skill_shrinkage` its
    values lean on the population's, and the warning names it."""
    rare = pd.DataFrame(
        [(f"r{s}", f"rare-{t}", ["rare"], int(t > 0), 100 + t) for s in range(3) for t in range(3)],
        columns=["student_id", "item_id", "skill_ids", "correct", "order"],
    )
    log = ResponseLog.from_frame(pd.concat([train.frame, rare], ignore_index=True))
    ml = BKT(num_fits=2, skill_shrinkage=0.0).fit(log).params_table().set_index("skill")
    assert ml.loc["rare", "p_guess"] < 0.01 and ml.loc["rare", "p_init"] < 0.01
    with pytest.warns(FitWarning, match=r"fewer than 10 training responses.*\(rare\)"):
        model = BKT(num_fits=2).fit(log)
    table = model.params_table().set_index("skill")
    assert table.loc["rare", "p_guess"] > 0.05 and table.loc["rare", "p_init"] > 0.1
    assert model.sparse_skills_ == ["rare"]
    # a skill with many answers keeps nearly its own values
    for skill in ("a", "b"):
        n = table.loc[skill, "n_responses"]
        assert np.allclose(table.loc[skill, "p_guess"], ml.loc[skill, "p_guess"], atol=30 / n)
