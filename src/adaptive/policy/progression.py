"""Competency-based progression: one state per student and skill.

    not_started   no responses on the skill
    in_progress   practising, not mastered yet
    mastered      P(mastery) >= `mastery_threshold` (0.65) AND at least `min_responses_mastered`
                  responses AND the last `mastery_streak` (2) of them right
    needs_review  mastered, but FSRS predicted recall fell below the retention threshold
    stuck         wheel-spinning: >= `stuck_min_responses` responses, not mastered, no progress

`stuck` is flagged for the teacher (the adaptive policy down-weights more of the same).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog
from adaptive.policy.base import StudentBatch, catalog_arrays, to_days
from adaptive.policy.config import PolicyConfig
from adaptive.policy.features import compute_features


class Progression(IntEnum):
    NOT_STARTED = 0
    IN_PROGRESS = 1
    MASTERED = 2
    NEEDS_REVIEW = 3
    STUCK = 4

    @property
    def label(self) -> str:
        return self.name.lower()


LABELS = np.array([p.label for p in Progression], dtype=object)


def classify(
    mastered: np.ndarray,
    n_responses: np.ndarray,
    recall: np.ndarray,
    stuck: np.ndarray,
    retention: float,
) -> np.ndarray:
    """(n, S) int8 `Progression` codes from the mastery rule, recall and the stuck flag."""
    out = np.full(n_responses.shape, Progression.IN_PROGRESS, np.int8)
    out[n_responses <= 0] = Progression.NOT_STARTED
    out[mastered] = Progression.MASTERED
    out[mastered & (recall < retention)] = Progression.NEEDS_REVIEW
    out[stuck] = Progression.STUCK
    return out


def progression_states(
    batch: StudentBatch,
    catalog: Catalog,
    config: PolicyConfig | None = None,
    now: float | pd.Timestamp = 0.0,
) -> np.ndarray:
    """(n, S) int8 `Progression` code per student and skill (columns = `catalog.skill_index`)."""
    config = config or PolicyConfig()
    f = compute_features(batch, catalog_arrays(catalog), config, to_days(now))
    return classify(f.mastered, batch.n_responses, f.recall, f.stuck, config.retention_threshold)


def progression_table(
    batch: StudentBatch,
    catalog: Catalog,
    config: PolicyConfig | None = None,
    now: float | pd.Timestamp = 0.0,
) -> pd.DataFrame:
    """Long table: student_id, class_id, skill_id, state, mastery, n_responses (started skills)."""
    codes = progression_states(batch, catalog, config, now)
    rows, cols = np.nonzero(codes != Progression.NOT_STARTED)
    return pd.DataFrame(
        {
            "student_id": batch.student_ids[rows],
            "class_id": batch.class_id[rows],
            "skill_id": np.asarray(catalog.skill_index, dtype=object)[cols],
            "state": LABELS[codes[rows, cols]],
            "mastery": np.nan_to_num(batch.mastery[rows, cols]),
            "n_responses": batch.n_responses[rows, cols],
        }
    )
