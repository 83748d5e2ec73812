"""Placement, row selection and thread safety: the part of the tracer contract the base class
adds (`init_state(ids, prior=...)`, `place`, `mastery(state, rows)`, a locked `update`)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from test_contract import make_model, synthetic_log, tolerance

from adaptive.data.log import Response, ResponseLog
from adaptive.errors import PlacementWarning
from adaptive.placement import Placement
from adaptive.tracing.bkt import BKT
from adaptive.tracing.specs import MODEL_CLASSES


@pytest.fixture(scope="module")
def train_log() -> ResponseLog:
    return synthetic_log(40, seed=7)


@pytest.fixture(scope="module")
def test_log() -> ResponseLog:
    return synthetic_log(12, seed=11, first=500)


@pytest.fixture(scope="module", params=sorted(MODEL_CLASSES))
def fitted(request, train_log):
    return make_model(request.param).fit(train_log)


def high_placement(model, students) -> Placement:
    skills = [str(s) for s in model.skills_]
    m = np.full((len(students), len(skills)), 0.97)
    m[:, 0] = np.nan  # the first skill is not placed: the model's prior stays
    return Placement(tuple(students), tuple(skills), m, ("placed from grade 6",) * len(students))


def test_mastery_of_selected_rows_equals_the_full_table(fitted, test_log):
    state = fitted.init_state()
    fitted.update(state, test_log)
    rows = state.rows([test_log.students[3], test_log.students[0]])
    full = fitted.mastery(state)
    # the deep models run float32 matrix products whose rounding may depend on the batch's size
    # (CPU kernels without AVX512 block them differently): equal to float32 precision
    atol = 1e-6 if fitted.name in ("dkt", "sakt", "akt") else 1e-9
    np.testing.assert_allclose(fitted.mastery(state, rows), full[rows], atol=atol)
    np.testing.assert_allclose(
        fitted.predict_skill_proba(state, rows), fitted.predict_skill_proba(state)[rows], atol=atol
    )
    assert fitted.mastery(state, np.array([], np.int64)).shape == (0, len(fitted.skills_))


def test_placement_raises_placed_skills_and_leaves_the_others(fitted):
    ids = ["new1", "new2"]
    plain_state = fitted.init_state(ids)
    placed_state = fitted.init_state(ids, prior=high_placement(fitted, ids))
    # every model says which students started from a placement (batch_from_model reads it)
    assert not fitted.is_placed(plain_state).any() and fitted.is_placed(placed_state).all()
    plain, placed = fitted.mastery(plain_state), fitted.mastery(placed_state)
    assert (placed[:, 1:] > plain[:, 1:] + 0.05).all()
    np.testing.assert_allclose(placed[:, 0], plain[:, 0], atol=1e-12)
    if fitted.exact_placement:
        np.testing.assert_allclose(placed[:, 1:], 0.97)


def test_placement_adds_absent_students_and_keeps_answered_skills(fitted, test_log):
    state = fitted.init_state()
    fitted.update(state, test_log)
    before = fitted.mastery(state)
    sid = str(test_log.students[0])
    fitted.place(state, high_placement(fitted, [sid, "brand-new"]))
    assert state.row("brand-new") is not None
    after = fitted.mastery(state)
    row = state.row(sid)
    answered = test_log.frame.loc[test_log.frame["student_id"] == sid, "skill_ids"]
    answered_codes = pd.Index(fitted.skills_).get_indexer(
        sorted({s for skills in answered for s in skills})
    )
    answered_codes = answered_codes[answered_codes >= 0]
    np.testing.assert_allclose(after[row, answered_codes], before[row, answered_codes], atol=1e-12)


def test_placed_state_replays_alike_in_batch_and_one_by_one(fitted, test_log):
    ids = [str(s) for s in test_log.students]
    batch_state = fitted.init_state(ids, prior=high_placement(fitted, ids))
    single_state = fitted.init_state(ids, prior=high_placement(fitted, ids))
    p_batch = fitted.update(batch_state, test_log)
    f = test_log.frame
    p_single = np.array(
        [
            fitted.update(
                single_state,
                Response(r.student_id, r.item_id, tuple(r.skill_ids), int(r.correct), r.timestamp),
            )[0]
            for r in f.itertuples()
        ]
    )
    np.testing.assert_allclose(p_single, p_batch, atol=tolerance(fitted))
    np.testing.assert_allclose(
        fitted.mastery(single_state), fitted.mastery(batch_state), atol=tolerance(fitted)
    )


def test_evidence_takes_over_from_a_placement(train_log):
    """A blended placement (non-BKT) weighs less with every response on the skill."""
    model = make_model("pfa").fit(train_log)
    skills = [str(s) for s in model.skills_]
    sid = "learner"
    state = model.init_state([sid], prior=high_placement(model, [sid]))
    plain = model.init_state([sid])
    start = model.mastery(state)[0, 1]
    for i in range(12):
        wrong = Response(sid, "item01", (skills[1],), 0, pd.Timestamp(2024, 1, 1 + i))
        model.update(state, wrong)
        model.update(plain, wrong)
    own = model.mastery(plain)[0, 1]
    # after 12 answers the placement keeps 0.3 ** 12 of its weight: the answers decide
    assert abs(model.mastery(state)[0, 1] - own) < 0.01 * abs(start - own)


def test_bkt_paths_agree_after_a_state_is_set_by_hand(train_log):
    """Issue 16 defect 2: the batched path read a stored P(known) only after responses."""
    model = BKT(seed=0).fit(train_log)
    skill = str(model.skills_[1])
    one, many = model.init_state(["x"]), model.init_state(["x"])
    one.arrays["p_known"][0, 1] = 0.95
    many.arrays["p_known"][0, 1] = 0.95
    p_one = model.update(one, Response("x", "item01", (skill,), 1))
    frame = pd.DataFrame(
        {"student_id": ["x"], "item_id": ["item01"], "skill_ids": [[skill]], "correct": [1],
         "order": [0]}
    )  # fmt: skip
    p_many = model.update(many, ResponseLog.from_frame(frame))
    np.testing.assert_allclose(p_many, p_one, atol=1e-12)
    np.testing.assert_allclose(many.arrays["p_known"], one.arrays["p_known"], atol=1e-12)


@pytest.mark.parametrize("name", ["bkt", "best-lr", "dkt"])
def test_threads_sharing_one_state_equal_the_serial_result(name, train_log):
    """Issue 17 item 10: 8 threads, each adding its own new students, on one shared state."""
    model = make_model(name).fit(train_log)
    skills = [str(s) for s in model.skills_]
    t0 = pd.Timestamp("2024-02-01")

    def task(i: int) -> list[float]:
        sid = f"thread-student-{i}"
        return [
            float(
                model.update(
                    shared,
                    Response(sid, f"item{j % 16:02d}", (skills[j % len(skills)],), (i + j) % 2,
                             t0 + pd.Timedelta(minutes=j)),
                )[0]
            )
            for j in range(15)
        ]  # fmt: skip

    shared = model.init_state()
    with ThreadPoolExecutor(8) as pool:
        threaded = list(pool.map(task, range(32)))
    serial_state = model.init_state()
    shared_ref = shared
    shared = serial_state
    serial = [task(i) for i in range(32)]
    np.testing.assert_allclose(threaded, serial, atol=tolerance(model))
    rows = shared_ref.rows([f"thread-student-{i}" for i in range(32)])
    np.testing.assert_allclose(
        model.mastery(shared_ref, rows),
        model.mastery(serial_state, serial_state.rows([f"thread-student-{i}" for i in range(32)])),
        atol=tolerance(model),
    )


def test_a_few_right_answers_outweigh_a_low_placement(train_log):
    """A grade prior of 0.3 must not hold mastery down after a run of right answers (the demo
    district's champion called no skill mastered while the placement weighed 3 answers)."""
    model = make_model("pfa").fit(train_log)
    skills = [str(s) for s in model.skills_]
    low = Placement(("s",), tuple(skills), np.full((1, len(skills)), 0.3))
    placed, plain = model.init_state(["s"], prior=low), model.init_state(["s"])
    for i in range(4):
        right = Response("s", "item01", (skills[1],), 1, pd.Timestamp(2024, 1, 1 + i))
        model.update(placed, right)
        model.update(plain, right)
    own = model.mastery(plain)[0, 1]
    assert abs(model.mastery(placed)[0, 1] - own) < 0.01 * max(own - 0.3, 0.1)


def test_placing_in_blocks_of_students_gives_what_one_block_gives(fitted, monkeypatch):
    """`place` works through a district a block of students at a time (a vendor's trial held
    6.9 GB at peak placing 400,000 students at once): the blocks change nothing placed, nor the
    sources, nor the warning of students placed on few skills (counted over every block)."""
    from adaptive.tracing import base

    ids = [f"b{i}" for i in range(11)]
    skills = [str(s) for s in fitted.skills_]
    rng = np.random.default_rng(0)
    m = rng.uniform(0.05, 0.95, (len(ids), len(skills)))
    m[::3, 1:] = np.nan  # every third student placed on one skill only: "fewer than half"
    m[4] = np.nan  # a student placed on nothing
    sources = tuple(f"records {i % 2}" for i in range(len(ids)))
    placement = Placement(tuple(ids), tuple(skills), m, sources)

    def placed(block: int):
        monkeypatch.setattr(base, "PLACE_BLOCK", block)
        with pytest.warns(PlacementWarning, match="places 4 of its students on fewer") as said:
            state = fitted.init_state(ids, prior=placement)
        return state, [str(w.message) for w in said]

    whole, said_whole = placed(1_000)
    blocks, said_blocks = placed(3)
    np.testing.assert_array_equal(fitted.mastery(blocks), fitted.mastery(whole))
    rows = whole.rows(ids)
    assert blocks.placed_from(rows).tolist() == whole.placed_from(rows).tolist()
    assert whole.placed_from(rows)[4] == "" and whole.placed_from(rows)[5] == "records 1"
    assert said_blocks == said_whole
