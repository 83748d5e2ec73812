"""Policies: rank a catalog's activities for students, with reasons, under hard constraints.

One student (in-process, for vendors)::

    from adaptive.policy import AdaptivePolicy, StudentView
    policy = AdaptivePolicy(catalog)                       # PolicyConfig.default(): adaptive/specs/policy.toml
    recs = policy.recommend(view, k=10, now=ts)            # [Recommendation] best first
    recs.shortfall, recs.placement                         # why fewer than k; where placed from
    why = policy.explain(view, "g5.NF.3.practice2", now=ts)

Many students (the daily job): arrays in, one table out::

    from adaptive.policy.adapter import batch_from_model
    batch = batch_from_model(model, state, catalog, profiles, log=log)   # any KnowledgeTracer
    table = policy.recommend_batch(batch, k=20, now=ts)   # student_id, rank, activity_id,
                                                          # skill_id, score, p_correct,
                                                          # assigned_by_teacher, sentence, c_<term>
    states = progression_states(batch, catalog, policy.config, now=ts)   # (n, S) codes
    # teacher views: adaptive.reports.teacher_view / class_skill_summary / next_skill_groups

Baselines behind the same interface: `adaptive.policy.baselines.make_policy(name, catalog)`.
"""

from adaptive.policy.base import (
    Explanation,
    Policy,
    Reason,
    Recommendation,
    Selection,
    StudentBatch,
    StudentRecommendations,
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
    "StudentRecommendations",
    "StudentView",
    "TeacherOverrides",
    "recommendations_from_frame",
    "to_days",
]
