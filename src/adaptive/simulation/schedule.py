"""Curriculum-order practice on any catalog, and simulated responses as a `ResponseLog`.

What a district's students did before a policy took over: the burn-in log a tracer is fitted on
(other students of the same simulator) and the history of a warm cohort (its own students).

    out = curriculum_practice(sim, catalog, grades, days=20, first_day=1, seed=0)
    log = responses_log(catalog, student_ids, out, start=START)

Each day every student does one practice activity of their current skill (a random one of the
skill's practice activities, so every difficulty is seen), in the order of the skills' grades
and then the prerequisite graph, starting at a random skill in the first half of their grade;
two correct in a row or `max_attempts` attempts move them to the next skill. Vectorized: one
`respond` call per day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from adaptive.curriculum import Catalog
from adaptive.data.log import SKILL_LIST_TYPE, ResponseLog
from adaptive.simulation.learners import LearnerSimulator

NS_PER_DAY = 86_400 * 10**9


@dataclass
class Responses:
    """Completed responses (aligned arrays): simulator row, activity row, 0/1, day."""

    student: np.ndarray
    activity: np.ndarray
    correct: np.ndarray
    day: np.ndarray

    @classmethod
    def concat(cls, parts: Sequence[Responses]) -> Responses:
        if not parts:
            return cls(*(np.zeros(0, t) for t in (np.int64, np.int64, np.int8, np.float64)))
        return cls(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in ("student", "activity", "correct", "day")))  # fmt: skip

    def __len__(self) -> int:
        return len(self.student)


def practice_table(catalog: Catalog) -> np.ndarray:
    """(n_skills, V) each skill's single-skill practice activities, padded by repeating them;
    a skill without one uses any activity of that skill."""
    codes = catalog.activity_skill_codes
    single = (codes >= 0).sum(axis=1) == 1
    practice = np.array([a.kind == "practice" for a in catalog.activities])
    rows: list[list[int]] = [[] for _ in catalog.skills]
    for a in np.flatnonzero(single & practice):
        rows[codes[a, 0]].append(int(a))
    for a in range(len(catalog.activities)):  # fallback: any activity practising the skill
        for k in codes[a][codes[a] >= 0]:
            if not rows[k]:
                rows[k].append(a)
    width = max(len(r) for r in rows)
    return np.array([(r * width)[:width] for r in rows], np.int64)


def curriculum_practice(
    sim: LearnerSimulator,
    catalog: Catalog,
    grades: np.ndarray,
    days: int,
    first_day: float,
    seed: int,
    max_attempts: int = 5,
) -> Responses:
    """`days` days of curriculum-order practice for every student of `sim` (see module doc)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 23]))
    n = sim.n_students
    order = catalog.curriculum_order
    table = practice_table(catalog)
    order_grade = catalog.skill_grades[order]
    grades = np.asarray(grades, dtype=np.float64)
    first = np.searchsorted(np.nan_to_num(order_grade, nan=np.inf), grades, side="left")
    last = np.searchsorted(np.nan_to_num(order_grade, nan=np.inf), grades, side="right")
    span = np.maximum((last - first) // 2, 1)
    pos = np.minimum(first + rng.integers(0, 1 << 30, n) % span, len(order) - 1)
    attempts = np.zeros(n, np.int64)
    streak = np.zeros(n, np.int64)
    students = np.arange(n)
    parts = []
    for d in range(days):
        day = float(first_day + d)
        skill = order[pos]
        act = table[skill, rng.integers(0, table.shape[1], n)]
        correct, done = sim.respond(students, act, day)
        parts.append(Responses(students[done], act[done], correct[done], np.full(done.sum(), day)))
        attempts += 1
        streak = np.where(done & (correct == 1), streak + 1, np.where(done, 0, streak))
        move = (streak >= 2) | (attempts >= max_attempts)
        pos = np.where(move, np.minimum(pos + 1, len(order) - 1), pos)
        attempts[move] = 0
        streak[move] = 0
    return Responses.concat(parts)


class LogBuilder:
    """Simulated responses -> canonical `ResponseLog`s, cheaply (skill lists built once)."""

    def __init__(self, catalog: Catalog, student_ids: Sequence[str], start: pd.Timestamp):
        self.student_ids = np.asarray(student_ids, dtype=object)
        self.activity_ids = np.asarray(catalog.activity_index, dtype=object)
        self.skill_lists = [list(a.skills) for a in catalog.activities]
        self.start_ns = pd.Timestamp(start).value

    def frame(self, r: Responses) -> pd.DataFrame:
        """Canonical columns: student_id, item_id (the activity id), skill_ids, correct,
        timestamp (`start` + day)."""
        skills = pa.array([self.skill_lists[a] for a in r.activity], type=SKILL_LIST_TYPE)
        ts = self.start_ns + np.round(r.day * NS_PER_DAY).astype(np.int64)
        return pd.DataFrame({
            "student_id": self.student_ids[r.student],
            "item_id": self.activity_ids[r.activity],
            "skill_ids": pd.Series(skills, dtype=pd.ArrowDtype(SKILL_LIST_TYPE)),
            "correct": r.correct.astype(np.int8),
            "timestamp": pd.to_datetime(ts, utc=True),
        })  # fmt: skip

    def log(self, frames: pd.DataFrame | Sequence[pd.DataFrame]) -> ResponseLog:
        if isinstance(frames, pd.DataFrame):
            frames = [frames]
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return ResponseLog.from_canonical(frame)


def responses_log(
    catalog: Catalog, student_ids: Sequence[str], responses: Responses, start: pd.Timestamp
) -> ResponseLog:
    """One `ResponseLog` of simulated responses (see `LogBuilder.frame`)."""
    b = LogBuilder(catalog, student_ids, start)
    return b.log(b.frame(responses))
