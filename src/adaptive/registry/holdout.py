"""The held-out students that promotion compares models on.

A student is held out by a keyed hash of their id, not by a random draw over today's roster, so
the same student stays held out as the log grows and models trained on different days never saw
the students they are compared on. Training runs exclude them; `promote` scores on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adaptive.data.log import ResponseLog
from adaptive.errors import ArgumentError

HOLDOUT_FRACTION = 0.2
HOLDOUT_KEY = "adaptive-holdout"  # 16 bytes: pandas' hash key length


def holdout_mask(
    student_ids: pd.Index | np.ndarray, fraction: float = HOLDOUT_FRACTION
) -> np.ndarray:
    """True for the students held out for promotion (stable across runs, machines and days)."""
    if not 0.0 <= fraction < 1.0:
        raise ArgumentError(f"holdout fraction {fraction}, expected in [0, 1)")
    ids = np.asarray(pd.Index(student_ids).astype(str), dtype=object)
    hashed = pd.util.hash_array(ids, hash_key=HOLDOUT_KEY.ljust(16)[:16])
    return (hashed % np.uint64(1_000_000)) < np.uint64(round(fraction * 1_000_000))


def split_holdout(
    log: ResponseLog, fraction: float = HOLDOUT_FRACTION
) -> tuple[ResponseLog, ResponseLog]:
    """(training log, held-out log): every student on exactly one side."""
    held = holdout_mask(log.students, fraction)
    rows = held[log.student]
    return log.take_rows(~rows), log.take_rows(rows)
