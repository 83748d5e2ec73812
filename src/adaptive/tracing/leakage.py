"""Scoring a model on its own training students, told: a data scientist's trial fitted a
tracer on `train` and scored it on a log that shared students with it, and read an optimistic
AUC without a word (the CLI's folds and holdout split by student; the Python API did not say).

`fit` keeps `TrainedStudents.of(log)`, in memory only (never in the saved model, a log or
MLflow: a loaded model has none), and `predict_proba`, `predict_entries` and `log_likelihood`
give a `LeakageWarning` with counts, never an id, when the log they score holds students the
model was trained on. A student counts when their first scored answer is at or before their
last training answer: a time split (`adaptive.data.splits.time_split`: fit on the past, score
the future, the nightly job's setting) scores answers the model never saw and is not warned of;
scoring the training log itself, or a split by row, is.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from adaptive.data.log import ResponseLog
from adaptive.errors import LeakageWarning, counted, verb


@dataclass(frozen=True, eq=False)
class TrainedStudents:
    """The students a model was fitted on, as 64-bit hashes of their ids (sorted; no id is
    kept) with each one's last training answer time (`ResponseLog.time`, nanoseconds or an
    order, as `timestamps` says): 16 bytes a student."""

    hashes: np.ndarray
    last_time: np.ndarray
    timestamps: bool

    def __repr__(self) -> str:
        """A count, never the hashes or times (a traceback's locals print it)."""
        times = "timestamps" if self.timestamps else "an order"
        return f"TrainedStudents({counted(len(self.hashes), 'student')}, {times})"

    @classmethod
    def of(cls, log: ResponseLog) -> TrainedStudents:
        """The students of the training log `log` and their last answer times."""
        hashes = _id_hashes(log)
        last = log.time[log.student_offsets[1:] - 1] if len(log) else np.empty(0, np.int64)
        order = np.argsort(hashes, kind="stable")
        return cls(hashes[order], np.asarray(last, np.int64)[order], log.has_timestamps)

    def scored_again(self, log: ResponseLog) -> int:
        """How many of `log`'s students the model was trained on whose first answer in `log` is
        at or before their last training answer (any shared student where one log has
        timestamps and the other an order: their times cannot be compared). Vectorized over
        the log's students: a hash each, a binary search of the hashes sorted, then of the shared
        students' codes sorted for their first answer (each search in a random order missed the
        cache: 13-16 ms against 2 ms at 100,000 students); nothing per response."""
        if not len(log) or not len(self.hashes):
            return 0
        hashes = _id_hashes(log)
        order = np.argsort(hashes)
        at = np.minimum(np.searchsorted(self.hashes, hashes[order]), len(self.hashes) - 1)
        shared = self.hashes[at] == hashes[order]
        if log.has_timestamps != self.timestamps:
            return int(np.count_nonzero(shared))
        codes, at = order[shared], at[shared]
        by_code = np.argsort(codes)  # searched in code order, as for the hashes
        codes, at = codes[by_code].astype(log.student.dtype), at[by_code]  # no cast of the log's
        first = log.time[np.searchsorted(log.student, codes)]
        return int(np.count_nonzero(first <= self.last_time[at]))

    def warn(self, log: ResponseLog, call: str, stacklevel: int) -> None:
        """One `LeakageWarning` when `call` (the method that scores) was given a `log` holding
        students the model was trained on (`scored_again`): counts only, never an id;
        `stacklevel` as `warnings.warn` takes it, from this method (the caller's line)."""
        count = self.scored_again(log)
        if count:
            message = leakage_message(call, count, log.n_students)
            warnings.warn(LeakageWarning(message, count, log.n_students), stacklevel=stacklevel)


def leakage_message(call: str, count: int, scored: int) -> str:
    """What `TrainedStudents.warn` says: how many of the scored students the model was trained
    on, that a metric of these predictions is optimistic, and the split by student to use."""
    return (
        f"{call}: {count:,} of the {counted(scored, 'student')} scored {verb(count, 'was')} in "
        "this model's training log (answers at or before their last answer there): a metric "
        "of these predictions (AUC, log loss) is optimistic, as the model was fitted on those "
        "students. Split by student before fitting, `adaptive.data.splits.train_test_split(log, "
        "test_size=0.2, seed=0)` (or `student_kfold`), fit on the training students and score "
        "the test students only; `adaptive.evaluation.cross_validate` does both."
    )


def _id_hashes(log: ResponseLog) -> np.ndarray:
    """A 64-bit hash of each of the log's student ids (`log.students` order). Not factorized
    first (`categorize=False`): the ids are unique already, and that halved its cost (400,000
    ids: 0.05 s against 0.23 s)."""
    return pd.util.hash_array(np.asarray(log.students, dtype=object), categorize=False)
