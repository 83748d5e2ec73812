"""A fingerprint of a response log: what a training run saw, without naming any student.

The hash covers every canonical column (so any change to the data changes it); the rest are
counts and the time range. Student identifiers never appear: only their count.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.data.log import ResponseLog


def log_sha256(log: ResponseLog) -> str:
    """sha256 over the canonical content of the log (row order included), vectorized."""
    digest = hashlib.sha256()
    frame = log.frame
    for column in sorted(frame.columns):
        digest.update(column.encode())
        if column == "skill_ids":  # the CSR codes and their vocabulary say the same, faster
            digest.update(log.skill_offsets.astype(np.int64).tobytes())
            digest.update(log.skill.astype(np.int32).tobytes())
            values = pd.Series(log.skills.astype(str))
        else:
            values = frame[column]
        digest.update(pd.util.hash_pandas_object(values, index=False).to_numpy(np.uint64).tobytes())
    return digest.hexdigest()


def data_fingerprint(
    log: ResponseLog, source: str | Path | None = None
) -> dict[str, str | int | float]:
    """Hash, counts and date range of a log, ready to log as MLflow params (keys `data_*`).

    `source` names the data (a dataset name or a file); only a file's base name is kept.
    """
    summary = log.summary()
    out: dict[str, str | int | float] = {
        "data_sha256": log_sha256(log),
        "data_source": Path(str(source if source is not None else log.source)).name,
        "data_responses": int(summary["responses"]),
        "data_students": int(summary["students"]),
        "data_items": int(summary["items"]),
        "data_skills": int(summary["skills"]),
        "data_pct_correct": float(summary["pct_correct"]),
    }
    if len(log):
        column = log.frame[log.time_column]
        out["data_start"] = str(column.min())
        out["data_end"] = str(column.max())
    return out
