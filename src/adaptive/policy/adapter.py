"""Build policy inputs from any knowledge-tracing model, its state, a catalog, profiles and a log.

The policy never knows which model produced the mastery: this adapter aligns the model's skills
with the catalog's by id (skills the model does not know are NaN = not started) and derives the
history features (responses per skill, last practice, current streak, learning progress,
completed and recent activities) from the response log with vectorized group operations.

    batch = batch_from_model(model, state, catalog, profiles, log=log, now=now)
    table = AdaptivePolicy(catalog).recommend_batch(batch, k=10, now=now)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.data.log import ResponseLog
from adaptive.policy.base import (
    StudentBatch,
    daily_budget,
    profile_goals,
    profile_interests,
    to_days,
)
from adaptive.policy.config import PolicyConfig
from adaptive.tracing.base import KnowledgeTracer, TracingState

NS_PER_DAY = 86_400e9


@dataclass
class History:
    """History features per (student row, catalog skill) and per (student row, activity)."""

    n_responses: np.ndarray
    last_practiced: np.ndarray
    streak: np.ndarray
    progress: np.ndarray
    completed: sparse.csr_matrix
    recent: sparse.csr_matrix


def align_skills(
    model_skills: Sequence[str] | pd.Index, catalog: Catalog, values: np.ndarray
) -> np.ndarray:
    """(n, S_model) -> (n, S_catalog) by skill id; catalog skills the model lacks are NaN."""
    codes = pd.Index(model_skills).astype(str).get_indexer(catalog.skill_index.astype(str))
    out = np.full((values.shape[0], len(codes)), np.nan)
    known = codes >= 0
    out[:, known] = values[:, codes[known]]
    return out


def history_features(
    log: ResponseLog | None,
    student_ids: Sequence[str] | np.ndarray,
    catalog: Catalog,
    window: int = 4,
    item_to_activity: Mapping[str, str] | None = None,
    repeatable_kinds: Sequence[str] = ("practice", "review"),
) -> History:
    """Responses per skill, last practice day, trailing correct streak, learning progress
    (accuracy of the last `window` responses minus the `window` before), completed activities
    (items that are catalog activities, or mapped by `item_to_activity`, of a kind done once:
    not in `repeatable_kinds`) and the activities of the student's last day (no repeats)."""
    ids = pd.Index(np.asarray(student_ids, dtype=object).astype(str))
    n, n_s, n_a = len(ids), len(catalog.skills), len(catalog.activities)
    empty = sparse.csr_matrix((n, n_a))
    zeros = np.zeros((n, n_s), np.int32)
    if log is None or len(log) == 0:
        return History(
            zeros, np.full((n, n_s), np.nan), zeros.copy(), np.zeros((n, n_s)), empty, empty
        )
    rows, skill_codes = log.exploded()
    student_row = ids.get_indexer(log.students[log.student[rows]].astype(str))
    skill_col = catalog.skill_index.astype(str).get_indexer(log.skills[skill_codes].astype(str))
    days = log.time[rows] / NS_PER_DAY if log.has_timestamps else np.full(len(rows), np.nan)
    keep = (student_row >= 0) & (skill_col >= 0)
    frame = pd.DataFrame(
        {
            "r": student_row[keep],
            "s": skill_col[keep],
            "t": days[keep],
            "c": log.correct[rows][keep].astype(np.int64),
        }
    )
    # log rows are sorted by student then time; a stable sort by (r, s) keeps time order inside
    frame = frame.sort_values(["r", "s"], kind="stable").reset_index(drop=True)
    g = frame.groupby(["r", "s"], sort=False)
    pos_from_end = g.cumcount(ascending=False).to_numpy()
    r, s = frame["r"].to_numpy(), frame["s"].to_numpy()
    n_responses = zeros.copy()
    np.add.at(n_responses, (r, s), 1)
    last = np.full((n, n_s), np.nan)
    is_last = pos_from_end == 0
    last[r[is_last], s[is_last]] = frame["t"].to_numpy()[is_last]
    # streak: responses after the most recent wrong one (all of them when none was wrong)
    streak = n_responses.copy()
    wrong = frame["c"].to_numpy() == 0
    np.minimum.at(streak, (r[wrong], s[wrong]), pos_from_end[wrong].astype(np.int32))
    # learning progress: recent window minus the one before
    c = frame["c"].to_numpy().astype(float)
    recent_w = pos_from_end < window
    older_w = (pos_from_end >= window) & (pos_from_end < 2 * window)
    acc_recent = _pair_mean(r, s, c, recent_w, n, n_s)
    acc_older = _pair_mean(r, s, c, older_w, n, n_s)
    progress = np.where(np.isnan(acc_older) | np.isnan(acc_recent), 0.0, acc_recent - acc_older)
    # completed / recent activities from the item ids
    item_ids = log.items[log.item].astype(str)
    if item_to_activity:
        item_ids = pd.Index(item_ids).map(lambda x: item_to_activity.get(x, x))
    act = catalog.activity_index.astype(str).get_indexer(pd.Index(item_ids))
    resp_row = ids.get_indexer(log.students[log.student].astype(str))
    ok = (act >= 0) & (resp_row >= 0)
    once = ~np.isin([a.kind for a in catalog.activities], list(repeatable_kinds))
    done_once = ok & once[np.maximum(act, 0)]
    completed = sparse.csr_matrix(
        (np.ones(done_once.sum()), (resp_row[done_once], act[done_once])), shape=(n, n_a)
    )
    completed.data[:] = 1.0
    if log.has_timestamps:
        day = np.floor(log.time / NS_PER_DAY)
        last_day = pd.Series(day[resp_row >= 0]).groupby(resp_row[resp_row >= 0]).max()
        lastd = np.full(n, np.nan)
        lastd[last_day.index.to_numpy()] = last_day.to_numpy()
        on_last = ok & (day == lastd[np.maximum(resp_row, 0)])
        recent = sparse.csr_matrix(
            (np.ones(on_last.sum()), (resp_row[on_last], act[on_last])), shape=(n, n_a)
        )
        recent.data[:] = 1.0
    else:
        recent = sparse.csr_matrix((n, n_a))
    return History(n_responses, last, streak, progress, completed, recent)


def _pair_mean(
    r: np.ndarray, s: np.ndarray, c: np.ndarray, mask: np.ndarray, n: int, n_s: int
) -> np.ndarray:
    tot = np.zeros((n, n_s))
    cnt = np.zeros((n, n_s))
    np.add.at(tot, (r[mask], s[mask]), c[mask])
    np.add.at(cnt, (r[mask], s[mask]), 1.0)
    return np.divide(tot, cnt, out=np.full((n, n_s), np.nan), where=cnt > 0)


def batch_from_model(
    model: KnowledgeTracer,
    state: TracingState,
    catalog: Catalog,
    profiles: Mapping[str, LearnerProfile] | Sequence[LearnerProfile],
    *,
    log: ResponseLog | None = None,
    student_ids: Sequence[str] | None = None,
    now: float | pd.Timestamp | None = None,
    config: PolicyConfig | None = None,
    item_to_activity: Mapping[str, str] | None = None,
    **overrides: Any,
) -> StudentBatch:
    """A `StudentBatch` for `student_ids` (default: every student in `state`).

    Mastery and P(correct) come from `model.mastery(state)` / `model.predict_skill_proba(state)`
    aligned by skill id; a student without state gets NaN (not started). `overrides` are passed
    to `StudentBatch.build` (e.g. `excluded=`, `assigned=`, `scope=`, `min_grade=`).
    """
    del now  # the batch is time-free; `now` is given to the policy
    config = config or PolicyConfig()
    ids = list(state.students if student_ids is None else student_ids)
    by_id = dict(profiles) if isinstance(profiles, Mapping) else {p.student_id: p for p in profiles}
    plist = [by_id.get(s, LearnerProfile(s)) for s in ids]
    state_rows = state.rows(ids)
    have = state_rows >= 0
    skills = pd.Index(model.skills_)
    mastery = np.full((len(ids), len(skills)), np.nan)
    p_correct = np.full((len(ids), len(skills)), np.nan)
    if len(state):
        m_all = np.asarray(model.mastery(state), dtype=np.float64)
        p_all = np.asarray(model.predict_skill_proba(state), dtype=np.float64)
        mastery[have] = m_all[state_rows[have]]
        p_correct[have] = p_all[state_rows[have]]
    hist = history_features(
        log, ids, catalog, config.progress_window, item_to_activity, config.repeatable_kinds
    )
    fields = {
        "p_correct": align_skills(skills, catalog, p_correct),
        "n_responses": hist.n_responses,
        "streak": hist.streak,
        "last_practiced": hist.last_practiced,
        "progress": hist.progress,
        "completed": hist.completed,
        "recent": hist.recent,
        "goals": profile_goals(catalog, plist),
        "interests": profile_interests(catalog, plist),
        "grade": np.array([np.nan if p.grade is None else p.grade for p in plist], float),
        "daily_minutes": np.array([daily_budget(p, config) for p in plist], float),
        "class_id": np.array([p.class_id or "" for p in plist], dtype=object),
        "school_id": np.array([p.school_id or "" for p in plist], dtype=object),
    }
    fields.update(overrides)
    return StudentBatch.build(
        catalog, ids, align_skills(skills, catalog, mastery), config=config, **fields
    )


__all__ = ["History", "align_skills", "batch_from_model", "history_features", "to_days"]
