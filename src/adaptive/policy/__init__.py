"""Policies: rank a catalog's activities for students, with reasons, under hard constraints.

from adaptive.policy import AdaptivePolicy, StudentBatch
policy = AdaptivePolicy(catalog)                     # weights: PolicyConfig
recs = policy.recommend(view, k=10, now=now)         # one student
table = policy.recommend_batch(batch, k=10, now=now) # many students (arrays in, table out)
"""

from adaptive.policy.base import (
    Explanation,
    Policy,
    Reason,
    Recommendation,
    Selection,
    StudentBatch,
    StudentView,
    TeacherOverrides,
    recommendations_from_frame,
    to_days,
)
from adaptive.policy.config import TERMS, PolicyConfig
from adaptive.policy.recommender import AdaptivePolicy

__all__ = [
    "TERMS",
    "AdaptivePolicy",
    "Explanation",
    "Policy",
    "PolicyConfig",
    "Reason",
    "Recommendation",
    "Selection",
    "StudentBatch",
    "StudentView",
    "TeacherOverrides",
    "recommendations_from_frame",
    "to_days",
]
