"""The one interface every policy honours, and the values it returns.

A policy ranks a catalog's activities for a student. It never knows which knowledge-tracing
model produced the mastery: a `StudentView` carries the numbers it needs.

    recs = policy.recommend(student, k=10, now=now)                  # one student, in-process
    table = policy.recommend_batch(students, k=10, now=now)          # many students, vectorized

Every `Recommendation` carries structured `Reason`s (the contribution of each scoring term) and
one plain sentence a teacher or a student understands.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog, LearnerProfile


@dataclass(frozen=True)
class Reason:
    """One term's contribution to a recommendation's score (or why it was blocked)."""

    term: str
    contribution: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Reason:
        return cls(**d)


@dataclass(frozen=True)
class Recommendation:
    """An activity chosen for a student, with why."""

    activity_id: str
    skill_id: str
    score: float
    p_correct: float
    reasons: tuple[Reason, ...] = ()
    sentence: str = ""
    rank: int = 0
    assigned_by_teacher: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reasons"] = [r.to_dict() for r in self.reasons]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Recommendation:
        return cls(**{**d, "reasons": tuple(Reason.from_dict(r) for r in d.get("reasons", ()))})


@dataclass
class StudentView:
    """What a policy knows of one student, model-agnostic.

    Arrays are aligned with `catalog.skill_index` (skills the model does not know are NaN in
    `mastery` and `p_correct` and treated as not started).

    mastery : P(mastered) per skill.
    p_correct : P(correct) on a typical item of each skill.
    n_responses : responses so far per skill.
    last_practiced : time of the last response per skill (NaT where never).
    completed : ids of activities already completed (content already done).
    recent : ids of the activities of the last session (no immediate repeats).
    history_correct : recent correctness per skill, newest last, for progress and stuck detection.
    """

    student_id: str
    profile: LearnerProfile
    mastery: np.ndarray
    p_correct: np.ndarray
    n_responses: np.ndarray
    last_practiced: np.ndarray
    completed: frozenset[str] = frozenset()
    recent: tuple[str, ...] = ()
    history_correct: dict[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class TeacherOverrides:
    """Hard constraints a teacher sets for a student (or a whole class)."""

    assigned: tuple[str, ...] = ()  # activities that must be included, first
    excluded: frozenset[str] = frozenset()
    scope_skills: frozenset[str] | None = None  # curriculum scope; None = whole catalog
    max_grade: int | None = None
    min_grade: int | None = None


class Policy(ABC):
    """Ranks a catalog's activities for students."""

    name: str = "policy"

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    @abstractmethod
    def recommend(
        self,
        student: StudentView,
        k: int = 10,
        now: pd.Timestamp | None = None,
        overrides: TeacherOverrides | None = None,
    ) -> list[Recommendation]:
        """Top-k activities for one student, best first, never violating a hard constraint."""

    def recommend_batch(
        self,
        students: list[StudentView],
        k: int = 10,
        now: pd.Timestamp | None = None,
        overrides: dict[str, TeacherOverrides] | None = None,
    ) -> pd.DataFrame:
        """Recommendations for many students as one table (one row per student and rank).

        The default loops over `recommend`; vectorized policies override it.
        """
        rows = []
        overrides = overrides or {}
        for s in students:
            for r in self.recommend(s, k, now, overrides.get(s.student_id)):
                rows.append({"student_id": s.student_id, **r.to_dict()})
        return pd.DataFrame(rows)
