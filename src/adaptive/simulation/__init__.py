"""Simulated learners and districts: the ground truth that models and policies are scored on.

`learners` holds the vectorized ground-truth student models (`BKTLearners`, `LogisticLearners`,
`PrerequisiteLearners`); `junyi` a family on a real prerequisite graph (`JunyiLearners`, kind
"junyi", with the Junyi catalog or a generated one); `schedule` the curriculum-order practice
that writes burn-in logs; `district` generates a whole district (schools, classes, profiles, a
catalog and response logs) from them; `calibrate` fits the BKT kind's parameters on real data.
"""

from adaptive.simulation.junyi import JunyiLearners
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

SIMULATORS[JunyiLearners.kind] = JunyiLearners

__all__ = [
    "SIMULATORS",
    "BKTLearners",
    "EngagementParams",
    "JunyiLearners",
    "LearnerSimulator",
    "LearningParams",
    "LogisticLearners",
    "PrerequisiteLearners",
    "make_learners",
]
