"""A score of a fitted model on its own training students is said (`LeakageWarning`), a score
on other students, or on the same students' later answers, is not (`adaptive.tracing.leakage`;
every model's part of it: `test_contract.test_scoring_training_students_warns_once_...`)."""

from __future__ import annotations

import pickle
import warnings

import pandas as pd
import pytest
from test_contract import synthetic_log

from adaptive.data.log import ResponseLog
from adaptive.data.splits import student_kfold, time_split, train_test_split
from adaptive.errors import LeakageWarning
from adaptive.tracing.bkt import BKT


def said(score) -> list[LeakageWarning]:
    """The `LeakageWarning`s of calling `score()`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        score()
    return [w.message for w in caught if issubclass(w.category, LeakageWarning)]


@pytest.fixture(scope="module")
def log() -> ResponseLog:
    return synthetic_log(40, seed=7)


def test_a_split_by_student_scores_without_a_warning_and_its_training_side_with_one(log):
    """The split the README shows: the test students are scored without a word; the training
    students, scored as a data scientist's trial did, are said with their count."""
    train, test = train_test_split(log, test_size=0.25, seed=0)
    model = BKT(seed=0).fit(train)
    assert not said(lambda: model.predict_proba(test))
    assert [(w.count, w.scored) for w in said(lambda: model.predict_proba(log))] == [(30, 40)]
    for fold_train, fold_test in student_kfold(log, k=4, seed=0):
        fold_model = BKT(seed=0).fit(fold_train)
        assert not said(lambda m=fold_model, t=fold_test: m.predict_proba(t))


def test_the_warning_names_no_student_and_says_what_to_do():
    """Counts only, never an id (an app writes its warnings to its logs), nor a hash of one."""
    frame = synthetic_log(6, seed=3).frame.copy()
    frame["student_id"] = frame["student_id"].map(lambda s: f"jane.doe+{s}@school.example")
    named = ResponseLog.from_frame(frame)
    model = BKT(seed=0).fit(named)
    (warning,) = said(lambda: model.predict_proba(named))
    text = str(warning)
    assert text.startswith("predict_proba: 6 of the 6 students scored were in this model's")
    assert "jane" not in text and "@" not in text
    assert not any(sid in text or sid.split("+")[1].split("@")[0] in text for sid in named.students)
    record = model._trained_students
    assert not any(str(h) in text or str(h) in repr(record) for h in record.hashes)
    assert repr(record) == "TrainedStudents(6 students, timestamps)"
    assert "student_kfold" in text and "cross_validate" in text


def test_a_time_split_scores_later_answers_without_a_warning(log):
    """The nightly job's setting: fit on the answers before a date, score those after it; the
    same students, answers the model never saw. The whole log (answers it saw) is said."""
    before, after = time_split(log, pd.Timestamp("2024-01-20", tz="UTC"))
    assert set(before.students) & set(after.students)  # else the test would be vacuous
    model = BKT(seed=0).fit(before)
    assert not said(lambda: model.predict_proba(after))
    (whole,) = said(lambda: model.predict_proba(log))
    assert whole.count == before.n_students


def test_bkts_own_scores_warn_too_and_fit_itself_does_not(log):
    """`predict_entries` (pyBKT's unit) and `log_likelihood` score a log as `predict_proba`
    does; `fit`'s own `log_likelihood_` on its training log is the training fit, not said,
    also when a model fitted before is fitted again on students it saw."""
    model = BKT(seed=0).fit(log)
    assert [w.count for w in said(lambda: model.predict_entries(log))] == [40]
    assert [w.count for w in said(lambda: model.log_likelihood(log))] == [40]
    assert not said(lambda: model.fit(log))
    others = synthetic_log(5, seed=2, first=900)
    assert not said(lambda: model.log_likelihood(others))
    model.fit(others)  # a new fit: its students replace the earlier ones
    assert not said(lambda: model.predict_proba(log))


def test_a_pickled_copy_keeps_no_record_of_the_training_students(log):
    """In memory only: a pickle (a worker's copy, a file) carries nothing of the students."""
    model = BKT(seed=0).fit(log)
    copy = pickle.loads(pickle.dumps(model))
    assert copy._trained_students is None and model._trained_students is not None
    assert b"_trained_students" not in pickle.dumps(model)
    assert not said(lambda: copy.predict_proba(log))


def test_a_log_timed_otherwise_counts_every_shared_student(log):
    """A training log with an order and a scored one with timestamps (or the other way round):
    their times cannot be compared (nanoseconds read as later than any order), so every
    shared student counts."""
    frame = log.frame.drop(columns="timestamp")
    frame["order"] = log.position_in_student()
    model = BKT(seed=0).fit(ResponseLog.from_frame(frame))
    first_five = log.take_rows(log.student < 5)
    assert [(w.count, w.scored) for w in said(lambda: model.predict_proba(first_five))] == [(5, 5)]
