"""Splits without leakage: by student (k-fold, train/test) and by time (the daily-job setting).

Student splits put each student entirely on one side, so a model is never scored on a student
it has seen. Each is seeded: the same log and seed give the same split.

>>> import pandas as pd
>>> from adaptive.data.log import ResponseLog
>>> log = ResponseLog.from_frame(pd.DataFrame({
...     "student_id": list("aabbcc"), "item_id": list("xyxyxy"), "skill_ids": list("kkkkkk"),
...     "correct": [1, 0, 1, 1, 0, 0], "order": [0, 1, 0, 1, 0, 1]}))
>>> [(len(tr), len(te)) for tr, te in student_kfold(log, k=3, seed=0)]
[(4, 2), (4, 2), (4, 2)]
"""

from __future__ import annotations

from collections.abc import Iterator
from numbers import Real

import numpy as np
import pandas as pd

from adaptive.data.log import ResponseLog
from adaptive.errors import AdaptiveError, ConfigError


def _check_log(log: object) -> None:
    """A split's log is a `ResponseLog` (a frame ended in an AttributeError)."""
    if not isinstance(log, ResponseLog):
        raise TypeError(
            f"log: expected a ResponseLog, got {type(log).__name__}; read a file with "
            "adaptive.data.load_log(path), or check a frame with ResponseLog.from_frame(frame)"
        )


def _check_split_args(log: object, seed: object) -> None:
    """A seeded split's log is a `ResponseLog` and its seed an integer (a seed of None gave
    another split on every run, "0" an error about numpy's seeds)."""
    _check_log(log)
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
        raise TypeError(
            f"seed: expected an integer (the same seed gives the same split), got {seed!r}"
        )


def student_folds(log: ResponseLog, k: int = 5, seed: int = 0) -> np.ndarray:
    """Fold number (0..k-1) of each student code: a seeded shuffle cut into k near-equal parts."""
    _check_split_args(log, seed)
    if not isinstance(k, int | np.integer) or k < 2:
        raise ConfigError(
            f"folds: expected a whole number >= 2 (cross-validation by student), got {k!r}"
        )
    if log.n_students < k:
        where = "" if log.source in ("", "<memory>") else f"{log.source}: "
        raise AdaptiveError(
            f"{where}cannot split {log.n_students} student(s) into {k} folds; expected >= {k} "
            "students (each fold holds whole students)"
        )
    order = np.random.default_rng(seed).permutation(log.n_students)
    fold = np.empty(log.n_students, dtype=np.int64)
    fold[order] = np.arange(log.n_students) % k
    return fold


def student_kfold(
    log: ResponseLog, k: int = 5, seed: int = 0
) -> Iterator[tuple[ResponseLog, ResponseLog]]:
    """Yield `(train, test)` for each of `k` folds; every student is in exactly one test fold.

    Lazy: one fold's two logs exist at a time (use `list(...)` to keep them all). Each side keeps
    the rows in the order of `log` (so `log.correct[student_folds(log, k, seed)[log.student] == f]`
    is the test fold's `correct`).
    """
    fold = student_folds(log, k, seed)
    response_fold = fold[log.student]
    for f in range(k):
        test = response_fold == f
        yield (
            _subset(log, ~test, f"{log.source} (fold {f}'s training students)"),
            _subset(log, test, f"{log.source} (fold {f}'s test students)"),
        )


def train_test_split(
    log: ResponseLog, test_size: float = 0.2, seed: int = 0
) -> tuple[ResponseLog, ResponseLog]:
    """`(train, test)` with a seeded share `test_size` of the students (not responses) in test."""
    _check_split_args(log, seed)
    if not isinstance(test_size, Real) or isinstance(test_size, bool):
        raise TypeError(
            f"test_size: expected a share of students, a number between 0 and 1 (e.g. 0.2), "
            f"got {test_size!r}"
        )
    if not 0.0 < float(test_size) < 1.0:
        raise AdaptiveError(
            f"test_size must be between 0 and 1 (a share of students), got {test_size!r}"
        )
    n = log.n_students
    if n < 2:
        raise AdaptiveError(f"a train/test split needs at least 2 students, got {n}")
    n_test = min(max(int(round(test_size * n)), 1), n - 1)
    is_test = np.zeros(n, dtype=bool)
    is_test[np.random.default_rng(seed).permutation(n)[:n_test]] = True
    test = is_test[log.student]
    return _subset(log, ~test), _subset(log, test)


def time_split(log: ResponseLog, cutoff: object) -> tuple[ResponseLog, ResponseLog]:
    """`(before, after)`: responses strictly before `cutoff`, and those at or after it.

    `cutoff` is a date/time (str, datetime, pd.Timestamp; naive means UTC) for logs with
    timestamps, or an integer position for logs that only have an `order`. A student may be on
    both sides, as in the nightly job (train on the past, predict the future). To predict
    `after` from each student's earlier answers, as the job does, absorb `before` first:
    `state = model.init_state(); model.update(state, before)`; then `model.update(state,
    after)` returns each `after` response's P(correct) just before it was absorbed.
    `model.predict_proba(after)` alone starts every student with no history (a trial read its
    AUC 0.707 against 0.718 with the history, and took it for the model's).
    """
    _check_log(log)
    if log.has_timestamps:
        if isinstance(cutoff, int | np.integer) and not isinstance(cutoff, bool):
            raise AdaptiveError(
                f"this log has timestamps: the cutoff must be a date/time, got {cutoff!r}"
            )
        try:
            ts = pd.Timestamp(cutoff)
        except (ValueError, TypeError):
            raise AdaptiveError(
                f"cutoff {cutoff!r} is not a date/time (e.g. '2024-09-01')"
            ) from None
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        bound = ts.as_unit("ns").value
    else:
        if not isinstance(cutoff, int | np.integer) or isinstance(cutoff, bool):
            raise AdaptiveError(
                f"this log has no timestamps, only an integer 'order': the cutoff must be an "
                f"integer, "
                f"got {cutoff!r}"
            )
        bound = int(cutoff)
    before = log.time < bound
    return _subset(log, before), _subset(log, ~before)


def _subset(log: ResponseLog, mask: np.ndarray, source: str | None = None) -> ResponseLog:
    """The rows of `log` where `mask` is true, re-coded (the frame is already canonical).
    `source` names the part (a fold's students), so that a problem found in it, a fold's
    training students all answering right, is not read as one of the whole file."""
    return ResponseLog.from_canonical(log.frame.loc[mask], source=source or log.source)
