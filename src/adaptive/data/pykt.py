"""Reader for pyKT's preprocessed split files (one student per row) into a `ResponseLog`.

pyKT (Liu et al. 2022) publishes, per dataset, `train_valid.csv` (columns `fold`, `uid`,
`concepts`, `responses`, optionally `questions`, `timestamps`) and `test.csv` (fold -1): each list
is a quoted comma-separated string, one entry per response in time order. A multi-concept
response lists its concepts joined by `_`; `-1` entries are padding and are dropped. Without a
`questions` column the concept string doubles as the item id (as pyKT's own models do).

    log, folds = read_pykt("../shared/datasets/assist2015/pykt/train_valid.csv.gz")
    train = log.take_students(folds.index[folds != 0]); valid = ... folds == 0
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.data.log import ResponseLog
from adaptive.errors import DataValidationError, Problem

REQUIRED = ("uid", "concepts", "responses")


def read_pykt(path: str | Path) -> tuple[ResponseLog, pd.Series]:
    """(log, fold of each student id) from one pyKT split file (`.csv` or `.csv.gz`)."""
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise DataValidationError(
            [Problem(str(path), None, None, None, "an existing pyKT split file")]
        ) from exc
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise DataValidationError(
            [Problem(str(path), 1, ",".join(missing), None, "pyKT columns " + ", ".join(REQUIRED))]
        )
    lists = {
        c: table[c].str.split(",")
        for c in ("concepts", "responses", "questions")
        if c in table.columns
    }
    lengths = lists["concepts"].str.len()
    for col, values in lists.items():
        bad = np.flatnonzero(values.str.len().to_numpy() != lengths.to_numpy())
        if len(bad):
            raise DataValidationError(
                [
                    Problem(str(path), int(i) + 2, col, None, "as many entries as 'concepts'")
                    for i in bad[:20]
                ],
                total=len(bad),
            )
    long = pd.DataFrame({c: v.explode(ignore_index=True) for c, v in lists.items()})
    long["student_id"] = np.repeat(table["uid"].to_numpy(), lengths.to_numpy())
    long["order"] = np.arange(len(long)) - np.repeat(
        np.cumsum(lengths.to_numpy()) - lengths.to_numpy(), lengths.to_numpy()
    )
    long = long[long["responses"] != "-1"]
    correct = pd.to_numeric(long["responses"], errors="coerce")
    bad_rows = np.flatnonzero(~correct.isin([0, 1]).to_numpy())
    if len(bad_rows):
        lines = np.repeat(np.arange(len(table)) + 2, lengths.to_numpy())[
            long.index.to_numpy()[bad_rows]
        ]
        raise DataValidationError(
            [Problem(str(path), int(line), "responses", None, "0 or 1") for line in lines[:20]],
            total=len(bad_rows),
        )
    frame = pd.DataFrame(
        {
            "student_id": long["student_id"].to_numpy(),
            "item_id": (long["questions"] if "questions" in long else long["concepts"]).to_numpy(),
            "skill_ids": long["concepts"].str.split("_").to_numpy(),
            "correct": correct.to_numpy(np.int8),
            "order": long["order"].to_numpy(np.int64),
        }
    )
    folds = (
        table.set_index("uid")["fold"].astype(int)
        if "fold" in table.columns
        else pd.Series(dtype=int)
    )
    folds.index = folds.index.astype(str)
    return ResponseLog.from_frame(frame, source=str(path)), folds
