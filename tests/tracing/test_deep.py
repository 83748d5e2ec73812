"""Deep knowledge tracers (DKT, SAKT, AKT) on slices of real data: they learn, they are causal,
their online state replays the batch predictions, their artifacts are safe.

The generic contract (tests/tracing/test_contract.py) also runs these models on synthetic data.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import log_loss, roc_auc_score

from adaptive.data.log import Response, ResponseLog
from adaptive.data.pykt import read_pykt
from adaptive.errors import ArtifactError, ConfigError, DataValidationError
from adaptive.tracing.base import KnowledgeTracer
from adaptive.tracing.deep.dkt import lstm_runs_in_bfloat16
from adaptive.tracing.deep.layers import mean_embedding, mean_over_skills
from adaptive.tracing.deep.sequences import Encoded, iter_batches, plan_chunks, split_students
from adaptive.tracing.specs import build_model

DEEP = ("dkt", "sakt", "akt")
#: torch's bfloat16 LSTM (oneDNN) needs AVX512 or AMX; elsewhere DKT refuses precision='bfloat16'
NO_BFLOAT16_LSTM = "this CPU cannot run torch's LSTM in bfloat16 (no AVX512)"
needs_bfloat16_lstm = pytest.mark.skipif(not lstm_runs_in_bfloat16(), reason=NO_BFLOAT16_LSTM)


pytestmark = pytest.mark.usefixtures("one_thread")


def assist2009_slice(shared_datasets, n_students: int) -> ResponseLog:
    """The first students of ASSIST2009 with multi-skill rows merged back into one response
    (the file repeats a k-skill problem as k consecutive rows)."""
    df = pd.read_csv(shared_datasets / "assist2009" / "assist2009_responses.csv.gz", nrows=60_000)
    df = df[df["user_id"].isin(df["user_id"].unique()[:n_students])]
    new_run = (
        df["user_id"].ne(df["user_id"].shift()) | df["problem_id"].ne(df["problem_id"].shift())
    ).cumsum()
    grouped = df.groupby(new_run, sort=False)
    frame = pd.DataFrame(
        {
            "student_id": grouped["user_id"].first().astype(str),
            "item_id": grouped["problem_id"].first().astype(str),
            "skill_ids": grouped["skill_name"].agg(lambda s: list(dict.fromkeys(s))),
            "correct": grouped["correct"].first(),
            "order": grouped["seq_idx"].first(),
        }
    )
    return ResponseLog.from_frame(frame)


@pytest.fixture(scope="module")
def real_log(shared_datasets) -> ResponseLog:
    return assist2009_slice(shared_datasets, 260)


@pytest.fixture(scope="module")
def split(real_log):
    students = real_log.students
    return real_log.take_students(students[:200]), real_log.take_students(students[200:])


@pytest.fixture(scope="module")
def trained(split):
    train, _ = split
    return {name: build_model(f"{name}-tiny").set_params(max_epochs=4).fit(train) for name in DEEP}


# -- learning -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", DEEP)
def test_tiny_model_beats_a_constant_predictor_on_held_out_students(trained, split, name):
    train, test = split
    assert (test.n_skills_per_response > 1).any(), "the slice should exercise multi-skill responses"
    p = trained[name].predict_proba(test)
    constant = np.full(len(test), train.correct.mean())
    assert roc_auc_score(test.correct, p) > 0.62
    assert log_loss(test.correct, p) < log_loss(test.correct, constant) - 0.01


@pytest.mark.parametrize("name", DEEP)
def test_early_stopping_keeps_the_best_validation_epoch(trained, split, name):
    model, (train, _) = trained[name], split
    _, val_ids = split_students(train.n_students, model.validation_fraction, model.seed)
    val = train.take_students(train.students[val_ids])
    history = model.history_
    assert 1 <= len(history) <= model.max_epochs
    assert roc_auc_score(val.correct, model.predict_proba(val)) == pytest.approx(
        max(h["val_auc"] for h in history), abs=1e-9
    )


def test_learning_rate_decays_after_each_epoch_without_improvement(split):
    train, _ = split
    # a high rate, so that some epochs do not improve
    model = build_model("dkt-tiny").set_params(
        max_epochs=8, patience=8, lr_decay=0.5, learning_rate=0.03
    )
    history = model.fit(train.take_students(train.students[:80])).history_
    best, decays = -np.inf, 0
    for this, following in zip(history, history[1:], strict=False):
        improved = this["val_auc"] > best + 1e-6
        best = max(best, this["val_auc"])
        factor = 1.0 if improved else 0.5
        assert following["learning_rate"] == pytest.approx(this["learning_rate"] * factor)
        decays += not improved
    assert history[0]["learning_rate"] == model.learning_rate and decays >= 1
    with pytest.raises(ConfigError, match="lr_decay"):
        build_model("dkt-tiny").set_params(lr_decay=0.0).fit(train)


def test_every_response_weighs_the_same_whatever_the_length_of_its_batch():
    """Half the students answer twice and right, half 20 times and wrong: their first answers
    are equally many, so the first-response prediction (the same for every student) should
    move towards 0.5. Weighting each length bucket's *mean* loss alike pushes it towards the
    short students' 1 instead (their buckets hold 10x fewer responses): 0.73 after this epoch."""

    def log(n: int) -> ResponseLog:
        lengths = np.r_[np.full(n, 2), np.full(n, 20)]
        frame = pd.DataFrame(
            {
                "student_id": np.repeat([f"s{i:04d}" for i in range(2 * n)], lengths),
                "item_id": "q",
                "skill_ids": "k",
                "correct": np.repeat(np.r_[np.ones(n), np.zeros(n)], lengths).astype(int),
                "order": np.concatenate([np.arange(k) for k in lengths]),
            }
        )
        return ResponseLog.from_frame(frame)

    model = build_model("dkt-tiny").set_params(batch_size=64, max_epochs=1, learning_rate=0.05)
    model.fit(log(2000), validation=log(4))
    first = Response(student_id="new", item_id="q", skill_ids=("k",), correct=1)
    assert 0.35 < model.update(model.init_state(), first)[0] < 0.6


def test_fit_flushes_denormals_only_while_it_trains(split, monkeypatch):
    """Training flushes denormal floats to zero (speed); the process's default comes back."""
    train, _ = split
    tiny, one = np.float32(1e-39), np.float32(1.0)  # a denormal float32
    model = build_model("dkt-tiny").set_params(max_epochs=1)
    train_epochs, flushed = type(model)._train, []

    def spy(self, *args):
        flushed.append(tiny * one == 0.0)
        return train_epochs(self, *args)

    monkeypatch.setattr(type(model), "_train", spy)
    model.fit(train.take_students(train.students[:20]))
    assert flushed == [True]
    assert tiny * one != 0.0


def test_progress_reports_epoch_loss_and_validation_auc(split, capsys):
    train, _ = split
    build_model("dkt-tiny").set_params(max_epochs=1, progress=True).fit(
        train.take_students(train.students[:40])
    )
    out = capsys.readouterr().err  # progress goes to stderr: stdout holds results alone
    assert "epoch 1" in out and "loss" in out and "val AUC" in out


@pytest.mark.parametrize("name", DEEP)
@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_determinism_with_a_seed(split, name, precision):
    if name == "dkt" and precision == "bfloat16" and not lstm_runs_in_bfloat16():
        pytest.skip(NO_BFLOAT16_LSTM)
    train, test = split
    small = train.take_students(train.students[:60])

    def fitted(seed: int):
        spec = build_model(f"{name}-tiny").set_params(max_epochs=1, seed=seed, precision=precision)
        return spec.fit(small).predict_proba(test)

    a, b, c = fitted(0), fitted(0), fitted(1)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-4


@needs_bfloat16_lstm
def test_mixed_precision_multiplies_in_bfloat16_while_training_only(split, monkeypatch):
    train, test = split
    seen: list[torch.dtype] = []
    model = build_model("dkt-tiny").set_params(max_epochs=1, precision="bfloat16")
    network = type(model)._network

    def spied(self):
        net = network(self)
        net.lstm.register_forward_hook(lambda _m, _i, out: seen.append(out[1][0].dtype))
        return net

    # On the class: fit's settings check builds a network on a one-skill copy of the model (never
    # run), and an instance's spy would build the model's own, before it has skills.
    monkeypatch.setattr(type(model), "_network", spied)
    model.fit(train.take_students(train.students[:40]))
    assert torch.bfloat16 in seen and model.net_.lstm.weight_ih_l0.dtype == torch.float32
    seen.clear()
    model.predict_proba(test)
    assert set(seen) == {torch.float32}


def test_auto_precision_follows_the_hardware(monkeypatch):
    import adaptive.tracing.deep.tracer as tracer

    model = build_model("dkt-tiny")
    assert model.precision == "auto"
    for native in (True, False):
        monkeypatch.setattr(tracer, "native_bfloat16_cpu", lambda native=native: native)
        assert model.mixed_precision is native
    assert not model.set_params(precision="float32").mixed_precision


# -- causality and online state -------------------------------------------------------------------
@pytest.mark.parametrize("name", DEEP)
def test_replay_one_response_at_a_time_equals_batch_across_windows(trained, split, name):
    """The longest held-out students (several windows of 20) replayed response by response."""
    model, (_, test) = trained[name], split
    lengths = np.diff(test.student_offsets)
    longest = test.students[np.argsort(-lengths, kind="stable")[:2]]
    log = test.take_students(longest)
    assert np.diff(log.student_offsets).min() > 2 * model.window
    batch = model.predict_proba(log)
    state = model.init_state()
    online = [
        model.update(state, Response(r.student_id, r.item_id, tuple(r.skill_ids), int(r.correct)))
        for r in log.frame.itertuples()
    ]
    np.testing.assert_allclose(np.concatenate(online), batch, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", DEEP)
def test_changing_a_future_response_never_changes_an_earlier_prediction(trained, split, name):
    model, (_, test) = trained[name], split
    lengths = np.diff(test.student_offsets)
    s = int(np.argmax(lengths))
    start, stop = test.student_offsets[s], test.student_offsets[s + 1]
    base = model.predict_proba(test)
    for cut in (start + 1, start + model.window + 3, stop - 5):
        frame = test.frame.copy()
        frame.loc[cut:, "correct"] = 1 - frame.loc[cut:, "correct"]
        changed = model.predict_proba(ResponseLog.from_frame(frame))
        np.testing.assert_allclose(changed[: cut + 1], base[: cut + 1], rtol=0, atol=1e-6)
        assert np.abs(changed[cut + 1 :] - base[cut + 1 :]).max() > 1e-4


def test_attention_state_is_bounded(trained, split):
    model, (_, test) = trained["sakt"], split
    state = model.init_state()
    model.update(state, test)
    assert state.arrays["item"].shape[1] == 2 * model.window
    assert state.arrays["length"].max() < 2 * model.window
    np.testing.assert_array_equal(state.arrays["seen"], np.diff(test.student_offsets))


def test_dkt_multi_skill_rule_mean_of_skill_logits(trained, split):
    """DKT predicts a two-skill response as sigmoid(mean of the two skills' logits), and its
    P(correct) per skill (`predict_skill_proba`) comes from the same state."""
    model, (_, test) = trained["dkt"], split
    state = model.init_state()
    model.update(state, test.take_students(test.students[:1]))
    m = model.predict_skill_proba(state)[0]
    a, b = model.skills_[0], model.skills_[5]
    p = model.update(state, Response(str(test.students[0]), "some-item", (a, b), 1))[0]
    logit = np.log(m / (1 - m))
    assert p == pytest.approx(1 / (1 + np.exp(-(logit[0] + logit[5]) / 2)), abs=1e-6)


def test_multi_skill_layers_average_present_skills():
    table = torch.nn.Embedding(6, 3, padding_idx=0)
    codes = torch.tensor([[[2, 4], [3, 0]]])
    emb = mean_embedding(table, codes)
    torch.testing.assert_close(emb[0, 0], (table.weight[2] + table.weight[4]) / 2)
    torch.testing.assert_close(emb[0, 1], table.weight[3])
    per_skill = torch.tensor([[[1.0, 2.0, 6.0], [1.0, 2.0, 6.0]]])
    skills = torch.tensor([[[1, 3], [4, 0]]])  # 4 = a skill never seen: mean of all logits
    torch.testing.assert_close(mean_over_skills(per_skill, skills), torch.tensor([[3.5, 3.0]]))


def test_windows_target_every_response_once_with_the_previous_window_as_context():
    offsets = np.array([0, 5, 5, 47])
    chunks = plan_chunks(offsets, window=10)
    targets = np.concatenate(
        [np.arange(t, e) for t, e in zip(chunks.target, chunks.end, strict=True)]
    )
    np.testing.assert_array_equal(np.sort(targets), np.arange(47))
    np.testing.assert_array_equal(chunks.start, [0, 5, 5, 15, 25, 35])
    np.testing.assert_array_equal(chunks.target, [0, 5, 15, 25, 35, 45])
    np.testing.assert_array_equal(chunks.end, [5, 15, 25, 35, 45, 47])
    # online: 12 responses seen, buffer of the last 12 (from global position 0), 3 new ones
    online = plan_chunks(
        np.array([0, 15]), window=10, history=np.array([0]), first_target=np.array([12])
    )
    np.testing.assert_array_equal(online.start, [0])
    np.testing.assert_array_equal(online.target, [12])
    np.testing.assert_array_equal(online.end, [15])


def test_batches_never_mix_context_lengths_and_cover_every_chunk_once():
    rng = np.random.default_rng(0)
    offsets = np.concatenate([[0], np.cumsum(rng.integers(1, 60, size=40))])
    chunks = plan_chunks(offsets, window=10)
    enc = encode_rows(int(offsets[-1]), offsets)
    for order in (None, np.random.default_rng(1)):
        seen = []
        for which, batch in iter_batches(enc, chunks, batch_size=7, rng=order):
            context = chunks.target[which] - chunks.start[which]
            assert (context == context[0]).all() and batch.context == context[0]
            seen.extend(which.tolist())
        assert sorted(seen) == list(range(len(chunks)))


@pytest.mark.parametrize("name", DEEP)
def test_skipping_the_shared_context_changes_no_prediction(trained, split, name):
    """A network runs its queries (DKT: its head and gradient) only after a batch's context;
    running every position instead gives the same target logits."""
    model, (_, test) = trained[name], split
    enc = model._encode(test)
    chunks = plan_chunks(enc.offsets, model.window)
    with_context = 0
    with torch.no_grad():
        for _, batch in iter_batches(enc, chunks, batch_size=16):
            with_context += batch.context > 0
            whole = dataclasses.replace(batch, context=0)
            torch.testing.assert_close(model.net_(batch), model.net_(whole), rtol=0, atol=1e-5)
    assert with_context > 0


def encode_rows(n: int, offsets: np.ndarray):
    """Encoded rows with one skill each, for tests of the batching."""
    return Encoded(
        item=np.ones(n, np.int64),
        skills=np.ones((n, 1), np.int64),
        correct=np.zeros(n, np.int64),
        offsets=offsets.astype(np.int64),
    )


# -- artifacts and configuration ------------------------------------------------------------------
@pytest.mark.parametrize("name", DEEP)
def test_save_load_round_trip_and_tampering(trained, split, name, tmp_path):
    model, (_, test) = trained[name], split
    directory = model.save(tmp_path / name)
    loaded = KnowledgeTracer.load(directory)
    np.testing.assert_array_equal(loaded.predict_proba(test), model.predict_proba(test))
    with np.load(directory / "arrays.npz", allow_pickle=False) as data:
        assert all(data[k].dtype != object for k in data.files)
    meta = json.loads((directory / "model.json").read_text())
    meta["params"]["d_model" if name != "dkt" else "hidden_size"] = 8  # weights no longer fit
    (directory / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError):
        KnowledgeTracer.load(directory)


def test_build_model_and_bad_device(split):
    for name in DEEP:
        assert build_model(name).name == name
    with pytest.raises(ConfigError):
        build_model("dkt-tiny").set_params(device="tpu").fit(split[0])
    with pytest.raises(ConfigError, match="precision"):
        build_model("dkt-tiny").set_params(precision="float16").fit(split[0])


def test_dkt_refuses_bfloat16_where_the_lstm_cannot_run_it(split, monkeypatch):
    """A CPU without AVX512 cannot run torch's bfloat16 LSTM: a clear error at fit, not oneDNN's
    "could not create a primitive descriptor" from inside the first batch."""
    import adaptive.tracing.deep.dkt as dkt

    monkeypatch.setattr(dkt, "lstm_runs_in_bfloat16", lambda: False)
    with pytest.raises(ConfigError, match="cannot run the LSTM in bfloat16"):
        build_model("dkt-tiny").set_params(precision="bfloat16").fit(split[0])
    small = split[0].take_students(split[0].students[:20])
    fitted = build_model("dkt-tiny").set_params(max_epochs=1, precision="auto").fit(small)
    assert np.isfinite(fitted.predict_proba(split[1])).all()


# -- the pyKT split reader ------------------------------------------------------------------------
def test_read_pykt_test_split(shared_datasets):
    log, folds = read_pykt(shared_datasets / "assist2015" / "pykt" / "test.csv.gz")
    assert (log.n_students, len(log)) == (3818, 138458)
    assert set(folds.unique()) == {-1}
    assert np.diff(log.student_offsets).min() >= 3


def test_read_pykt_reports_bad_lines(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        'fold,uid,concepts,responses\n0,1,"3,4,4","1,0,1"\n0,2,"3_5,4","1,2"\n0,3,"1,1","1"\n'
    )
    with pytest.raises(DataValidationError, match="line 4"):
        read_pykt(path)
    path.write_text('fold,uid,concepts,responses\n0,1,"3,4,4","1,0,1"\n0,2,"3_5,4","1,2"\n')
    with pytest.raises(DataValidationError, match="line 3"):
        read_pykt(path)
    path.write_text('fold,uid,concepts,responses\n0,1,"3,4,4","1,0,1"\n1,2,"3_5,4","1,-1"\n')
    log, folds = read_pykt(path)
    assert len(log) == 4 and folds.to_dict() == {"1": 0, "2": 1}
    assert list(log.frame["skill_ids"].iloc[3]) == ["3", "5"]
