"""The contract every knowledge-tracing model honours, run over every registered model.

Models come from `adaptive.tracing.specs.MODEL_CLASSES`; a model whose module is not written yet
is skipped with that reason. Hyperparameters for the test: `adaptive/specs/models/NAME-tiny.toml` when it exists
(deep models put small sizes and few epochs there), else `TINY_PARAMS[NAME]`, else the defaults.
Replay tolerance: 1e-9 for BKT and the logistic family, 1e-5 for deep (torch) models.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adaptive.data.log import Response, ResponseLog
from adaptive.errors import (
    ArtifactError,
    ConfigError,
    LateAnswerWarning,
    LeakageWarning,
    NotFittedError,
    RepeatedAnswerWarning,
)
from adaptive.tracing.base import KnowledgeTracer
from adaptive.tracing.bkt import BKT
from adaptive.tracing.specs import (
    MODEL_CLASSES,
    MODELS_DIR,
    ParamsRefused,
    build_model,
    load_spec,
    model_class,
)

TINY_PARAMS: dict[str, dict] = {
    "irt": {"max_iter": 300},
    "pfa": {"max_iter": 300},
    "best-lr": {"max_iter": 300, "history": 15},
}


def synthetic_log(n_students: int = 40, seed: int = 7, first: int = 0) -> ResponseLog:
    """Students with abilities answer items of 4 skills over time, learning as they go.

    Some items are tagged with two skills; times are spread over weeks so window features fire.
    """
    rng = np.random.default_rng(seed)
    n_items, n_skills = 16, 4
    difficulty = rng.normal(0, 1, n_items)
    rows = []
    for s in range(n_students):
        ability = rng.normal()
        n = int(rng.integers(8, 30))
        t = pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=int(rng.integers(0, 100)))
        practice = np.zeros(n_skills)
        for _ in range(n):
            item = int(rng.integers(n_items))
            skills = [f"k{item % n_skills}"] + (
                [f"k{(item + 1) % n_skills}"] if item % 5 == 0 else []
            )
            logit = ability - difficulty[item] + 0.3 * practice[item % n_skills]
            correct = int(rng.random() < 1 / (1 + np.exp(-logit)))
            practice[item % n_skills] += 1
            rows.append((f"stu{first + s:03d}", f"item{item:02d}", skills, correct, t))
            t += pd.Timedelta(minutes=int(rng.integers(1, 3000)))
    frame = pd.DataFrame(
        rows, columns=["student_id", "item_id", "skill_ids", "correct", "timestamp"]
    )
    return ResponseLog.from_frame(frame)


def make_model(name: str) -> KnowledgeTracer:
    try:
        model_class(name)
    except ModuleNotFoundError as exc:
        pytest.skip(
            f"model {name!r}: module {MODEL_CLASSES[name].split(':')[0]} not written yet ({exc})"
        )
    if (MODELS_DIR / f"{name}-tiny.toml").exists():
        return build_model(f"{name}-tiny")
    return model_class(name)(**TINY_PARAMS.get(name, {}))


def tolerance(model: KnowledgeTracer) -> float:
    return 1e-5 if ".deep." in type(model).__module__ else 1e-9


@pytest.fixture(scope="module")
def train_log() -> ResponseLog:
    return synthetic_log(40, seed=7)


@pytest.fixture(scope="module")
def test_log() -> ResponseLog:
    """New students (cold start), same items and skills plus one unseen item and skill."""
    log = synthetic_log(12, seed=11, first=500)
    frame = log.frame.copy()
    frame.loc[3, "item_id"] = "item-never-seen"
    skills = frame["skill_ids"].tolist()  # not `.loc[3, ...] = [...]`: it spells the id out
    skills[3] = ["k-never-seen"]
    frame["skill_ids"] = skills
    return ResponseLog.from_frame(frame)


@pytest.fixture(scope="module", params=sorted(MODEL_CLASSES))
def fitted(request, train_log):
    model = make_model(request.param)
    assert model.fit(train_log) is model
    return model


def test_predict_shape_and_range(fitted, test_log, train_log):
    for log in (test_log, train_log):
        with pytest.warns(LeakageWarning) if log is train_log else warnings.catch_warnings():
            p = fitted.predict_proba(log)
        assert p.shape == (len(log),)
        assert np.all(np.isfinite(p))
        assert np.all((p > 0) & (p < 1))


def test_predictions_are_informative(fitted, train_log):
    """Not a constant: predictions vary across responses (the training log's: said so)."""
    with pytest.warns(LeakageWarning):
        assert np.std(fitted.predict_proba(train_log)) > 1e-4


def mixed_log(train_log: ResponseLog, test_log: ResponseLog, trained: int) -> ResponseLog:
    """The first `trained` training students' answers and every test student's, as one log."""
    part = train_log.take_students(train_log.students[:trained])
    return ResponseLog.from_canonical(pd.concat([part.frame, test_log.frame], ignore_index=True))


def leakage_warnings(score) -> list[LeakageWarning]:
    """The `LeakageWarning`s of calling `score()` (other warnings let through unrecorded)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        score()
    return [w.message for w in caught if issubclass(w.category, LeakageWarning)]


def test_scoring_training_students_warns_once_with_their_count(fitted, train_log, test_log):
    """A data scientist's trial: `fit(train)`, then `predict_proba` of a log partly made of the
    training students, and the AUC read was optimistic without a word. Every model now says
    so once per call, with how many of how many scored students were trained on, and what to
    do (the split by student)."""
    mixed = mixed_log(train_log, test_log, trained=10)
    said = leakage_warnings(lambda: fitted.predict_proba(mixed))
    assert len(said) == 1, said
    assert (said[0].count, said[0].scored) == (10, 22)
    text = str(said[0])
    assert text.startswith("predict_proba: 10 of the 22 students scored were in this model's")
    assert "optimistic" in text and "adaptive.data.splits.train_test_split" in text
    whole = leakage_warnings(lambda: fitted.predict_proba(train_log))
    assert [(w.count, w.scored) for w in whole] == [(40, 40)]


def test_a_loaded_model_keeps_no_record_of_its_training_students(fitted, train_log, tmp_path):
    """The training students are kept in memory only: the saved model holds nothing of them
    (its files are those of a copy without the record), and a loaded model says nothing."""
    assert leakage_warnings(lambda: fitted.predict_proba(train_log))  # in memory: said
    saved = fitted.save(tmp_path / "m")
    loaded = KnowledgeTracer.load(saved)
    assert not leakage_warnings(lambda: loaded.predict_proba(train_log))
    again = loaded.save(tmp_path / "again")
    for path in sorted(saved.iterdir()):
        assert path.read_bytes() == (again / path.name).read_bytes(), path.name


def test_no_leakage_future_responses_never_change_earlier_predictions(fitted, test_log):
    base = fitted.predict_proba(test_log)
    atol = 1e-12 if tolerance(fitted) < 1e-6 else 1e-6
    offsets = test_log.student_offsets
    rng = np.random.default_rng(0)
    later_changed = False
    for s in rng.choice(test_log.n_students, size=4, replace=False):
        start, stop = offsets[s], offsets[s + 1]
        cut = int(rng.integers(start, stop))
        frame = test_log.frame.copy()
        frame.loc[cut : stop - 1, "correct"] = 1 - frame.loc[cut : stop - 1, "correct"]
        frame.loc[cut + 1 : stop - 1, "item_id"] = "item00"
        changed = fitted.predict_proba(ResponseLog.from_frame(frame))
        # the changed response itself, everything before it and other students: unchanged
        # (up to float round-off of cumulative sums shared across students)
        np.testing.assert_allclose(changed[: cut + 1], base[: cut + 1], rtol=0, atol=atol)
        np.testing.assert_allclose(changed[stop:], base[stop:], rtol=0, atol=atol)
        later_changed |= bool(np.any(np.abs(changed[cut + 1 : stop] - base[cut + 1 : stop]) > atol))
    assert later_changed, "the changes never reached a later prediction: the test would be vacuous"


def test_state_replay_equals_batch(fitted, test_log):
    tol = tolerance(fitted)
    batch = fitted.predict_proba(test_log)
    state = fitted.init_state()
    online = fitted.update(state, test_log)
    np.testing.assert_allclose(online, batch, rtol=0, atol=tol)
    m = fitted.mastery(state)
    assert m.shape == (test_log.n_students, len(fitted.skills_))
    assert np.all((m >= 0) & (m <= 1))


def test_state_replay_in_chunks_and_single_responses(fitted, test_log):
    """Half of every student's history first, then the rest; then one `Response` at a time."""
    tol = tolerance(fitted)
    batch = fitted.predict_proba(test_log)
    pos = test_log.position_in_student()
    early = pos < 5
    state = fitted.init_state(test_log.students[:3])
    first = fitted.update(state, test_log.take_rows(early))
    second = fitted.update(state, test_log.take_rows(~early))
    np.testing.assert_allclose(first, batch[early], rtol=0, atol=tol)
    np.testing.assert_allclose(second, batch[~early], rtol=0, atol=tol)

    single_state = fitted.init_state()
    frame = test_log.frame.head(25)
    singles = [
        fitted.update(
            single_state,
            Response(r.student_id, r.item_id, tuple(r.skill_ids), int(r.correct), r.timestamp),
        )
        for r in frame.itertuples()
    ]
    np.testing.assert_allclose(np.concatenate(singles), batch[:25], rtol=0, atol=tol)
    # a list of Response (a vendor's batch of answers) is the same as one at a time
    listed_state = fitted.init_state()
    listed = fitted.update(
        listed_state,
        [
            Response(r.student_id, r.item_id, tuple(r.skill_ids), int(r.correct), r.timestamp)
            for r in frame.itertuples()
        ],
    )
    np.testing.assert_allclose(listed, batch[:25], rtol=0, atol=tol)
    with pytest.raises(TypeError, match="expected a ResponseLog, a Response, or a list"):
        fitted.update(listed_state, {"student_id": "s1"})


def _responses(frame: pd.DataFrame) -> list[Response]:
    return [
        Response(r.student_id, r.item_id, tuple(r.skill_ids), int(r.correct), r.timestamp)
        for r in frame.itertuples()
    ]


def as_frame_log(*answers: Response) -> ResponseLog:
    return ResponseLog.from_frame(pd.DataFrame({
        "student_id": [r.student_id for r in answers], "item_id": [r.item_id for r in answers],
        "skill_ids": [list(r.skill_ids) for r in answers],
        "correct": [r.correct for r in answers], "timestamp": [r.timestamp for r in answers],
    }))  # fmt: skip


def test_a_late_answer_warning_names_the_latest_time_and_a_clock_ahead(fitted, test_log):
    """A vendor's trial: one answer dated 2062 by a device's clock made every later, right
    answer "late", and the warning blamed them. It now gives the latest time absorbed, and
    says when that is ahead of this machine's clock; both paths (a log, one answer)."""
    r = _responses(test_log.frame.head(1))[0]
    wrong_clock = pd.Timestamp("2062-02-20 09:00", tz="UTC")
    for as_log in (True, False):
        state = fitted.init_state()
        fitted.update(state, replace(r, timestamp=wrong_clock))
        later = replace(r, timestamp=pd.Timestamp("2026-03-02 10:00", tz="UTC"))
        with pytest.warns(LateAnswerWarning) as caught:
            fitted.update(state, as_frame_log(later) if as_log else later)
        said = " ".join(str(c.message) for c in caught if c.category is LateAnswerWarning)
        assert "the latest on 2062-02-20 09:00 UTC, after this machine's clock" in said, said
        assert "likely wrong, a device's clock, rather than these" in said
    # two students late, one of them behind a wrong clock: counted, not said of both (a review)
    state = fitted.init_state()
    other = replace(r, student_id=f"{r.student_id}-other")
    fitted.update(state, replace(r, timestamp=wrong_clock))
    fitted.update(state, replace(other, timestamp=pd.Timestamp("2026-03-05", tz="UTC")))
    both = [replace(x, timestamp=pd.Timestamp("2026-03-01", tz="UTC")) for x in (r, other)]
    with pytest.warns(LateAnswerWarning, match="1 of these students' latest answers are dated "
                      "after this machine's clock"):  # fmt: skip
        fitted.update(state, as_frame_log(*both))
    state = fitted.init_state()  # an ordinary late answer: the latest time, and the usual why
    fitted.update(state, replace(r, timestamp=pd.Timestamp("2026-03-03 08:30", tz="UTC")))
    with pytest.warns(LateAnswerWarning, match="the latest on 2026-03-03 08:30 UTC: a device "
                      "that synced late"):  # fmt: skip
        fitted.update(state, replace(r, timestamp=pd.Timestamp("2026-03-02", tz="UTC")))


def test_an_answer_dated_before_ones_already_absorbed_is_said_and_restart_retraces(
    fitted, test_log
):
    """A device that synced late: its answers reach `update` after later ones of the same
    student. They are absorbed in the order received (what else can a state do), but never
    without a word: a `LateAnswerWarning` counts them and holds the students' ids (not its
    text); `restart` + `update` with the whole history traces them in time order, equal to a
    fresh replay. Answers in time order (one by one, in chunks, equal times, undated) say
    nothing."""
    pos = test_log.position_in_student()
    early, late = test_log.take_rows(pos < 4), test_log.take_rows(pos >= 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LateAnswerWarning)
        state = fitted.init_state()
        fitted.update(state, early)  # in time order, in two chunks: no warning
        fitted.update(state, late)
        fitted.update(state, _responses(test_log.frame.tail(1)))  # the same time again
        undated = test_log.frame.iloc[0]
        fitted.update(state, Response(undated.student_id, undated.item_id,
                                      tuple(undated.skill_ids), 1))  # fmt: skip

    # the late chunk first, then the early one: every early answer is late
    state = fitted.init_state()
    fitted.update(state, late)
    with pytest.warns(LateAnswerWarning) as caught:
        fitted.update(state, early)
    (w,) = [c for c in caught if c.category is LateAnswerWarning]
    behind = set(late.students) & set(early.students)
    assert w.message.count == int(np.isin(early.frame["student_id"], list(behind)).sum())
    assert set(w.message.students) == behind
    assert not any(s in str(w.message) for s in behind), "student ids stay out of the text"
    assert f"{w.message.count} answers of {len(behind)} students" in str(w.message)
    # the vendor's one answer at a time: the same
    one = early.frame.iloc[0]
    with pytest.warns(LateAnswerWarning, match="1 answer of 1 student is dated") as caught:
        fitted.update(state, _responses(early.frame.head(1))[0])
    assert [c.message.students for c in caught] == [(one.student_id,)]

    # restart those students, give their whole history: a fresh replay, bit for bit
    fitted.restart(state, w.message.students)
    history = test_log.take_rows(np.isin(test_log.frame["student_id"], list(behind)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", LateAnswerWarning)
        fitted.update(state, history)
    fresh = fitted.init_state()
    fitted.update(fresh, history)
    ids = list(history.students)
    np.testing.assert_allclose(
        fitted.mastery(state, state.rows(ids)), fitted.mastery(fresh, fresh.rows(ids)), rtol=0,
        atol=tolerance(fitted),
    )  # fmt: skip
    np.testing.assert_array_equal(
        fitted.ability(state, state.rows(ids)), fitted.ability(fresh, fresh.rows(ids))
    )
    others = [s for s in state.students if s not in behind]
    kept = fitted.init_state()
    fitted.update(kept, late)
    with pytest.warns(LateAnswerWarning):
        fitted.update(kept, early)
    np.testing.assert_array_equal(
        fitted.mastery(state, state.rows(others)), fitted.mastery(kept, kept.rows(others))
    )
    # a state saved before the answer times were kept: read as "no time yet", then kept
    old = fitted.init_state()
    fitted.update(old, late)
    del old.arrays["last_answer"]
    fitted.update(old, late)  # no record: nothing to compare with
    with pytest.warns(LateAnswerWarning):
        fitted.update(old, early)


def test_an_apps_retry_of_the_answer_just_absorbed_is_not_absorbed_twice(
    fitted, test_log, tmp_path
):
    """A vendor's app that retries a request sends the answer it just sent: same student, item,
    skills, answer and time of day. Absorbing it again would count one answer as two (mastery
    moves twice). It is recognized, not absorbed, and answered with the first P(correct), with a
    `RepeatedAnswerWarning` holding the student (not in its text). A repeated attempt with its
    own time, another answer, an answer dated by day only (two attempts on one day), or the
    same answer after others were absorbed is a new answer. A saved state keeps what it needs."""
    row = test_log.frame.iloc[0]
    at = pd.Timestamp("2026-10-03 09:15:02", tz="UTC")
    answer = Response(row.student_id, row.item_id, tuple(row.skill_ids), 1, at)
    sid = [row.student_id]

    def snapshot(state):
        return {k: v[state.rows(sid)].copy() for k, v in state.arrays.items()}

    state = fitted.init_state()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RepeatedAnswerWarning)
        first = fitted.update(state, answer)
    before = snapshot(state)
    with pytest.warns(RepeatedAnswerWarning, match="not absorbed again") as caught:
        again = fitted.update(state, answer)
    assert [c.message.students for c in caught] == [(row.student_id,)]
    assert row.student_id not in str(caught[0].message)
    np.testing.assert_array_equal(again, first)
    after = snapshot(state)
    for name, values in before.items():
        np.testing.assert_array_equal(after[name], values, err_msg=name)
    # a list of answers with the retry in it: the same
    with pytest.warns(RepeatedAnswerWarning):
        fitted.update(state, [answer])
    for name, values in before.items():
        np.testing.assert_array_equal(snapshot(state)[name], values, err_msg=name)
    # a saved state: the retry after a restart of the app is still recognized
    state.save(tmp_path / "state.npz")
    loaded = type(state).load(tmp_path / "state.npz")
    with pytest.warns(RepeatedAnswerWarning):
        fitted.update(loaded, answer)

    def changed(state, r) -> bool:
        old = snapshot(state)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RepeatedAnswerWarning)
            fitted.update(state, r)
        new = snapshot(state)
        return any(not np.array_equal(new[k], v) for k, v in old.items())

    def changed_quietly(state, r) -> bool:  # a retry: warned of, nothing moves
        old = snapshot(state)
        with pytest.warns(RepeatedAnswerWarning):
            fitted.update(state, r)
        new = snapshot(state)
        return [
            k
            for k, v in old.items()
            if not np.array_equal(new[k], v, equal_nan=v.dtype.kind == "f")
        ]

    # new answers, each absorbed without a warning: the same one a second later, another
    # answer at the same time, an answer dated by day only given twice
    def same(correct: int, time: pd.Timestamp) -> Response:
        return Response(row.student_id, row.item_id, tuple(row.skill_ids), correct, time)

    state = fitted.init_state()
    fitted.update(state, answer)
    assert changed(state, same(1, at + pd.Timedelta("1s")))
    assert changed(state, same(0, at + pd.Timedelta("1s")))
    day = pd.Timestamp("2026-10-05", tz="UTC")
    assert changed(state, same(1, day))
    assert changed(state, same(1, day)), "two attempts on one day, dated by the day"
    # a late answer (a tablet that synced late), then the app's retry of it: absorbed once
    # (the retry was absorbed again: it was compared with the student's latest time)
    state = fitted.init_state()
    fitted.update(state, answer)
    late = same(0, at - pd.Timedelta("1D"))
    with pytest.warns(LateAnswerWarning):
        fitted.update(state, late)
    assert changed_quietly(state, late) == []
    # the same answer after a log of others was absorbed: a new attempt, not a retry
    state = fitted.init_state()
    fitted.update(state, answer)
    fitted.update(state, ResponseLog.from_frame(pd.DataFrame({
        "student_id": [row.student_id], "item_id": [row.item_id],
        "skill_ids": [list(row.skill_ids)], "correct": [0], "timestamp": [at],
    })))  # fmt: skip
    assert changed(state, answer)


def test_restart_places_students_from_a_prior(fitted, test_log):
    """`restart(state, ids, prior=placement)` starts them as `init_state(ids, prior=...)`."""
    from adaptive.placement.prior import Placement

    ids = list(test_log.students[:2])
    skills = tuple(fitted.skills_)
    values = np.full((3, len(skills)), 0.9)
    placement = Placement((*ids, "someone-else"), skills, values, ("given",) * 3)
    state = fitted.init_state()
    fitted.update(state, test_log)
    fitted.restart(state, ids, prior=placement)
    assert state.row("someone-else") is None  # the placement's other students: not touched
    # init_state holds the students asked for, not every student of the placement (a vendor's
    # one-student state from a district's placement held the district); no ids: all of them
    fresh = fitted.init_state(ids, prior=placement)
    assert fresh.students == ids
    assert fitted.init_state(prior=placement).students == [*ids, "someone-else"]
    placement = placement.subset(ids)
    np.testing.assert_allclose(
        fitted.mastery(state, state.rows(ids)), fitted.mastery(fresh, fresh.rows(ids)), rtol=0,
        atol=tolerance(fitted),
    )  # fmt: skip
    assert fitted.is_placed(state, state.rows(ids)).all()
    # profiles or a table given where a Placement goes: one TypeError saying how to make one
    # (it was an AttributeError: 'dict' object has no attribute 'aligned')
    for wrong in ({ids[0]: 0.9}, placement.to_frame()):
        with pytest.raises(TypeError, match="prior: expected a Placement .*grade_placement"):
            fitted.init_state(ids, prior=wrong)
        with pytest.raises(TypeError, match="prior: expected a Placement"):
            fitted.restart(state, ids, prior=wrong)
        with pytest.raises(TypeError, match="placement: expected a Placement"):
            fitted.place(state, wrong)


def test_state_grows_in_place_one_new_student_at_a_time(fitted, test_log):
    """A vendor's new students, one answer each: earlier rows are kept, and the state's arrays
    grow into spare rows (a copy of the whole state only now and then, not per student)."""
    state = fitted.init_state(test_log.students)
    fitted.update(state, test_log)
    before = {name: values.copy() for name, values in state.arrays.items()}
    first = test_log.frame.iloc[0]
    copies = 0
    for i in range(40):
        held = dict(state.arrays)
        answer = Response(f"new{i}", first.item_id, tuple(first.skill_ids), i % 2)
        alone = fitted.update(fitted.init_state(), answer)
        np.testing.assert_allclose(fitted.update(state, answer), alone, rtol=0, atol=1e-12)
        copies += any(not np.shares_memory(held[k], state.arrays[k]) for k in held)
    n = len(before["ability_residual"])
    assert len(state) == n + 40
    for name, values in before.items():
        np.testing.assert_array_equal(state.arrays[name][:n], values, err_msg=name)
    assert copies <= 10, f"{copies} whole-state copies for 40 new students"


def test_reserved_state_takes_new_students_without_a_copy(fitted, test_log):
    """`reserve(capacity)` makes the room at once (off a vendor's request path): the students
    added afterwards, up to the capacity, copy no array, and every value is kept."""
    state = fitted.init_state(test_log.students)
    fitted.update(state, test_log)
    before = {name: values.copy() for name, values in state.arrays.items()}
    n = len(state)
    state.reserve(n + 200)
    state.reserve(n)  # at or below the size: nothing
    for name, values in before.items():
        np.testing.assert_array_equal(state.arrays[name], values, err_msg=name)
    first = test_log.frame.iloc[0]
    held = dict(state.arrays)
    for i in range(200):
        fitted.update(state, Response(f"new{i}", first.item_id, tuple(first.skill_ids), i % 2))
    assert len(state) == n + 200
    assert all(np.shares_memory(held[k], state.arrays[k]) for k in held), "a copy was made"
    for name, values in before.items():
        np.testing.assert_array_equal(state.arrays[name][:n], values, err_msg=name)
    fitted.update(state, Response("one_more", first.item_id, tuple(first.skill_ids), 1))
    assert len(state) == n + 201  # past the capacity it grows as before


def test_an_answer_on_a_skill_the_model_never_saw_is_said_not_silently_dropped(fitted, test_log):
    """A vendor's answer on a skill the model was not fitted on cannot be traced: `update`
    says so (a CoverageWarning naming the item and skill); answers on known skills say nothing.
    Before, both the per-answer and the log path absorbed such an answer without a word."""
    from adaptive.errors import CoverageWarning

    state = fitted.init_state()
    known = test_log.take_rows(~test_log.frame["skill_ids"].map(lambda s: "k-never-seen" in s))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoverageWarning)
        fitted.update(state, known)
        fitted.update(state, Response("stu900", "item01", ("k1",), 1))
    assert fitted.untraced(known).responses == 0
    with pytest.warns(CoverageWarning, match=r"1 response \(item 'item-x'\) on a skill .*'k-new'"):
        fitted.update(state, Response("stu900", "item-x", ("k1", "k-new"), 1))
    with pytest.warns(CoverageWarning, match=r"1 response on a skill .*'k-never-seen'"):
        fitted.update(fitted.init_state(), test_log)
    # a typo of a skill the model knows (an ops trial: 'g4.NS.l' for 'g4.NS.1') is named
    known_skill = str(fitted.skills_[0])
    with pytest.warns(CoverageWarning, match=rf"did you mean {known_skill!r}\?"):
        fitted.update(state, Response("stu900", "item01", (known_skill.upper(),), 1))
    assert fitted.untraced(test_log).responses == 1
    assert fitted.untraced(test_log).skills == ("k-never-seen",)
    with warnings.catch_warnings():  # a caller that counts them itself (the nightly job)
        warnings.simplefilter("error", CoverageWarning)
        fitted.update(fitted.init_state(), test_log, warn_untraced=False)
        fitted.update(state, Response("stu900", "item-x", ("k-new",), 1), warn_untraced=False)


def test_predict_proba_on_skills_the_model_never_saw_warns_once_as_update_does(fitted, test_log):
    """A data scientist's trial: `predict_proba` on a log with skills the saved model never saw
    ("Totally New Skill", "Table;Brand New") predicted them without a word, where `update` on
    the same log warned and `evaluate` said "predicted from the model's defaults". Every model
    says it, once per call, with `update`'s counts and skill names (never a student id)."""
    from adaptive.errors import CoverageWarning

    new = ResponseLog.from_frame(
        pd.DataFrame(
            {
                "student_id": ["NEW1", "NEW1", "NEW2"],
                "item_id": ["item01", "item02", "item03"],
                "skill_ids": [["Totally New Skill"], ["k1"], ["k1", "Brand New"]],
                "correct": [1, 0, 1],
                "timestamp": pd.date_range("2024-03-01", periods=3, freq="min", tz="UTC"),
            }
        )
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        p = fitted.predict_proba(new)
    said = [str(w.message) for w in caught if issubclass(w.category, CoverageWarning)]
    assert len(said) == 1 and p.shape == (3,), said
    assert said[0].startswith("predict_proba: 2 responses on 2 skills the model was not fitted")
    assert "('Totally New Skill', 'Brand New')" in said[0] and "model's defaults" in said[0]
    assert "NEW1" not in said[0] and "NEW2" not in said[0]
    known = test_log.take_rows(~test_log.frame["skill_ids"].map(lambda s: "k-never-seen" in s))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoverageWarning)
        fitted.predict_proba(known)  # known skills: nothing said
        fitted.predict_proba(new, warn_untraced=False)  # a caller that says it itself


def test_uses_items_says_whether_an_item_id_changes_a_prediction(fitted, test_log):
    """`uses_items` is what the update's case-slip warning trusts: a model that says False
    predicts the same whatever the item ids; one that says True reads them (renamed items are
    new to it, and its predictions move)."""
    renamed = test_log.frame.copy()
    renamed["item_id"] = "new-" + renamed["item_id"].astype(str)
    before = fitted.predict_proba(test_log)
    after = fitted.predict_proba(ResponseLog.from_frame(renamed))
    if fitted.uses_items:
        assert np.abs(before - after).max() > 1e-6
    else:
        np.testing.assert_allclose(before, after, atol=tolerance(fitted))


def test_bkt_reads_items_only_with_item_level_parameters(train_log, test_log):
    """Plain BKT reads skills only; `multigs` (a guess and slip per item) reads items."""
    plain, per_item = BKT(num_fits=1), BKT(multigs=True, num_fits=1)
    assert not plain.fit(train_log).uses_items
    assert per_item.fit(train_log).uses_items
    test_uses_items_says_whether_an_item_id_changes_a_prediction(per_item, test_log)


def test_an_item_id_in_another_case_is_said_not_read_as_a_new_item(fitted, test_log):
    """Ids are case-sensitive: a vendor's "ITEM01" for the fitted "item01" was absorbed as an
    item the model never saw, without a word (an item model then reads it at the population's
    difficulty). `update` says so, per answer and for a log, for a model that reads items
    (`uses_items`); a new item that is no case slip says nothing (new content is normal), nor
    does a model that reads skills only (the slip changes nothing it predicts)."""
    from adaptive.errors import CoverageWarning

    item, skill = str(fitted.items_[0]), str(fitted.skills_[0])
    slip = item.upper()
    assert slip != item
    if not fitted.uses_items:
        with warnings.catch_warnings():
            warnings.simplefilter("error", CoverageWarning)
            fitted.update(fitted.init_state(), Response("stu900", slip, (skill,), 1))
        return
    with pytest.warns(CoverageWarning, match=rf"item {slip!r} is not one .* but {item!r} is") as w:
        fitted.update(fitted.init_state(), Response("stu900", slip, (skill,), 1))
    assert w[0].filename == __file__  # points at the caller of update
    with pytest.warns(CoverageWarning, match=rf"item {slip!r} is not one") as w:
        fitted.update(fitted.init_state(), [Response("stu900", slip, (skill,), 1)])
    assert w[0].filename == __file__
    frame = test_log.frame.copy()
    frame["item_id"] = frame["item_id"].str.upper()
    with pytest.warns(CoverageWarning, match=r"\d+ items are not ones the model was fitted on, "
                      rf"but are in another case \({slip!r} for {item!r}"):  # fmt: skip
        fitted.update(fitted.init_state(), ResponseLog.from_frame(frame))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoverageWarning)
        # a caller that says it itself (the nightly job) is not told
        fitted.update(fitted.init_state(), ResponseLog.from_frame(frame), warn_untraced=False)
        fitted.update(fitted.init_state(), Response("stu900", "brand-new-item", (skill,), 1))
        fitted.update(fitted.init_state(), Response("stu900", item, (skill,), 1))


def test_a_student_given_twice_to_init_state_is_refused(fitted):
    """An ops trial: `init_state(["a1", "a1"])` made one student without a word (the batch of
    the same ids is refused)."""
    from adaptive.errors import ConfigError

    with pytest.raises(ConfigError, match="an id is given twice: the 2nd repeats the 1st") as err:
        fitted.init_state(["a1", " a1"])
    assert "a1" not in str(err.value)  # student ids stay out of messages


def test_loading_a_folder_that_does_not_exist_says_so(tmp_path):
    """An ops trial: `BKT.load("typo")` said "model.json: missing", read as a damaged model."""
    from adaptive.errors import ArtifactError
    from adaptive.tracing.base import KnowledgeTracer

    with pytest.raises(ArtifactError, match="no such folder"):
        KnowledgeTracer.load(tmp_path / "typo")


def test_a_single_id_where_a_list_is_expected_is_one_type_error(fitted):
    """`init_state("s1")` made the students s and 1 (and `state.rows("s1")` looked them up)."""
    for call in (fitted.init_state, fitted.init_state(["s1"]).rows):
        with pytest.raises(TypeError, match=r"got one str \(a single id\?\): put it in a list"):
            call("s1")


def test_a_frame_instead_of_a_log_is_one_type_error_saying_how(fitted, train_log):
    """`fit(frame)` / `predict_proba(frame)` ended in an AttributeError deep in the model."""
    for call in (fitted.clone().fit, fitted.predict_proba):
        with pytest.raises(TypeError, match=r"expected a ResponseLog, got a DataFrame.*from_frame"):
            call(train_log.frame)


def test_state_snapshot_round_trip(fitted, test_log, tmp_path):
    state = fitted.init_state()
    pos = test_log.position_in_student()
    fitted.update(state, test_log.take_rows(pos < 4))
    state.save(tmp_path / "state.npz")
    restored = type(state).load(tmp_path / "state.npz")
    rest = test_log.take_rows(pos >= 4)
    np.testing.assert_array_equal(fitted.update(restored, rest), fitted.update(state, rest))


def test_save_load_round_trip(fitted, test_log, tmp_path):
    fitted.save(tmp_path / "m")
    loaded = KnowledgeTracer.load(tmp_path / "m")
    assert type(loaded) is type(fitted)
    assert loaded.get_params() == fitted.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(test_log), fitted.predict_proba(test_log))
    (tmp_path / "a-file").write_text("")  # a data scientist's trial: a bare FileExistsError
    with pytest.raises(ArtifactError, match="a file is there; a model is saved as a folder"):
        fitted.save(tmp_path / "a-file")


def test_altered_or_truncated_artifact_raises(fitted, tmp_path):
    directory = fitted.save(tmp_path / "m")
    arrays = directory / "arrays.npz"
    blob = arrays.read_bytes()
    arrays.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ArtifactError):
        KnowledgeTracer.load(directory)
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 0xFF
    arrays.write_bytes(bytes(flipped))
    with pytest.raises(ArtifactError):
        KnowledgeTracer.load(directory)
    arrays.write_bytes(blob)
    meta = directory / "model.json"
    text = meta.read_text()
    meta.write_text(text[: len(text) // 2])
    with pytest.raises(ArtifactError):
        KnowledgeTracer.load(directory)
    meta.write_text(text)
    assert KnowledgeTracer.load(directory).get_params() == fitted.get_params()


def test_determinism(fitted, train_log, test_log):
    again = fitted.clone().fit(train_log)
    np.testing.assert_allclose(
        again.predict_proba(test_log),
        fitted.predict_proba(test_log),
        rtol=0,
        atol=tolerance(fitted),
    )


def test_clone_and_params(fitted):
    clone = fitted.clone()
    assert type(clone) is type(fitted)
    assert clone.get_params() == fitted.get_params()
    with pytest.raises(NotFittedError):
        clone.predict_proba(synthetic_log(2, seed=1))
    with pytest.raises(ValueError):
        clone.set_params(no_such_hyperparameter=1)


@pytest.mark.parametrize("name", sorted(MODEL_CLASSES))
def test_set_params_refuses_a_bad_value_as_the_constructor_does_and_sets_none(name):
    """`BKT().set_params(forgets="no", num_fits=-3)` was taken: the keywords were checked, the
    values not, so `get_params()` returned them and the error came at `fit` or `clone`. Every
    model now checks them as its constructor does, and a refusal leaves the model as it was."""
    model = make_model(name)
    before = model.get_params()
    knob = next(k for k, v in before.items() if isinstance(v, bool | int | float))
    other = next(k for k, v in before.items() if k != knob and isinstance(v, int | float))
    with pytest.raises(ParamsRefused, match=rf"^{type(model).__name__}: {knob} = 'lots' \("):
        model.set_params(**{other: before[other]}, **{knob: "lots"})
    assert model.get_params() == before


def test_bkt_set_params_names_every_bad_value_at_once():
    model = BKT(seed=0)
    with pytest.raises(ParamsRefused) as err:
        model.set_params(forgets="no", num_fits=-3, max_iter="lots", seed=5)
    assert str(err.value) == (
        "BKT: forgets = 'no' (expected true or false); max_iter = 'lots' (expected an "
        "integer); num_fits = -3 (expected a whole number >= 1)"
    )
    assert model.get_params() == BKT(seed=0).get_params()


def test_scikit_learns_clone_makes_an_unfitted_copy(fitted):
    """`sklearn.base.clone(BKT())` said "get_params() got an unexpected keyword argument
    'deep'": scikit-learn's clone, GridSearchCV and Pipeline call `get_params(deep=...)`."""
    from sklearn.base import clone

    copy = clone(fitted)
    assert type(copy) is type(fitted) and copy is not fitted
    assert copy.get_params() == fitted.get_params() == fitted.get_params(deep=False)
    with pytest.raises(NotFittedError):
        copy.predict_proba(synthetic_log(2, seed=1))


def test_every_model_spec_builds_its_registered_class():
    built = 0
    for spec in sorted(Path(MODELS_DIR).glob("*.toml")):
        try:
            model_name = load_spec(spec)["model"]
        except ConfigError:
            continue  # not a model spec (e.g. the policy configuration)
        try:
            klass = model_class(model_name)
        except ModuleNotFoundError:
            continue
        model = build_model(spec)
        assert isinstance(model, klass)
        assert build_model(spec).get_params() == model.get_params()
        built += 1
    assert built >= 3  # at least irt, pfa, best-lr


@pytest.mark.parametrize("name", sorted(MODEL_CLASSES))
def test_fitting_on_an_empty_log_is_one_config_error_worded_as_bkts(name, train_log):
    """An empty log (a filter that kept no student) gave DKT and SAKT numpy's "zero-size array
    to reduction operation maximum" and Best-LR "column 'correct': got ''"."""
    empty = train_log.take_students([])
    with pytest.raises(ConfigError, match=r"^cannot fit \w+ on an empty response log$"):
        make_model(name).fit(empty)


def test_fit_measures_the_learning_curve_and_the_artifact_keeps_it(fitted, train_log, tmp_path):
    """Before, a model knew nothing of whether its district learns gradually; now every fit
    measures it (`learning_curve_`) and save / load keep it. Run over every model class: a
    model whose `fit` does not end with `_finish_fit` (one added later) fails here."""
    from adaptive.tracing.learning_curve import learning_curve

    assert fitted.learning_curve_ == learning_curve(train_log)
    assert fitted.learning_curve_.n > 0
    loaded = KnowledgeTracer.load(fitted.save(tmp_path / "m"))
    assert loaded.learning_curve_ == fitted.learning_curve_


def test_an_artifact_saved_before_the_learning_curve_loads_as_not_gradual(fitted, tmp_path):
    """A model saved before the curve was kept loads, without an error, as not measured."""
    import json

    from adaptive.files import sealed_json
    from adaptive.tracing.learning_curve import LearningCurve

    directory = fitted.save(tmp_path / "m")
    meta = json.loads((directory / "model.json").read_text())
    del meta["fitted"]["learning_curve"]
    (directory / "model.json").write_bytes(sealed_json(meta))
    loaded = KnowledgeTracer.load(directory)
    assert loaded.learning_curve_ == LearningCurve()
    assert not loaded.learning_curve_.is_gradual(3.0)
