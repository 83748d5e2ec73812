"""Simulated learners and districts: the ground truth that models and policies are scored on.

`learners` holds the vectorized ground-truth student models (`BKTLearners`, `LogisticLearners`,
`PrerequisiteLearners`); `district` generates a whole district (schools, classes, profiles, a
catalog and response logs) from them; `calibrate` fits the BKT kind's parameters on real data.
"""

from adaptive.simulation.learners import (
    SIMULATORS,
    BKTLearners,
    EngagementParams,
    LearnerSimulator,
    LearningParams,
    LogisticLearners,
    PrerequisiteLearners,
    make_learners,
)

__all__ = [
    "SIMULATORS",
    "BKTLearners",
    "EngagementParams",
    "LearnerSimulator",
    "LearningParams",
    "LogisticLearners",
    "PrerequisiteLearners",
    "make_learners",
]
