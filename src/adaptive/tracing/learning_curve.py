"""Is learning gradual in a district? A statistic every tracer measures on its training log.

A knowledge tracer such as BKT reads learning as all-or-none: two right answers after a wrong one
and the skill is "learned". Where learners improve step by step instead (each practice raises
their chance a little: the logistic simulators, many real classrooms), the tracer calls skills
mastered too early, and the policy moves on from skills the student still misses one time in
three. The training log tells the two apart:

    among the answers that follow a wrong answer on the same skill (same student), does
    P(correct) keep rising with the number of practices on that skill?

All-or-none learning says no: a student who just missed the skill has not learned it, however
often they practised it before, so their next answer is a guess whatever the count. Gradual
learning says yes. `learning_curve(log)` fits a logistic regression of `correct` on the practice
count over those answers and keeps its slope, z and the number of answers (`LearningCurve`);
every model's `fit` ends by storing it as `learning_curve_` (`KnowledgeTracer._finish_fit`)
and its artifact keeps it. The policy holds a skill open for more practice where the z is high
(`PolicyConfig.gradual_learning_z`, `gradual_min_responses`).

On the simulators (1,000 students of the curriculum-order burn-in, two seeds): logistic z +7.2 and
+7.9; bkt -0.3 / +1.4, prerequisite +0.8 / +1.9, junyi -1.8 / -1.6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from adaptive.data.log import ResponseLog
from adaptive.errors import ArtifactError

#: Newton steps of the two-parameter logistic fit: it converges in 4-6 from zero; more are
#: cheap (one step is a 2x2 solve over the distinct practice counts).
NEWTON_STEPS = 25


@dataclass(frozen=True)
class LearningCurve:
    """How P(correct) after a wrong answer rises with practice (`learning_curve`).

    slope : the logistic slope of `correct` on the practice count on the skill (logit per
        practice), over the answers that follow a wrong answer on the same skill; NaN when not
        measured (too few such answers, a model fitted or saved before it was measured).
    z : slope / its standard error: how sure the log is that accuracy keeps rising (NaN: not
        measured, which reads as "not gradual").
    n : the number of answers it was measured on.
    """

    slope: float = math.nan
    z: float = math.nan
    n: int = 0

    def is_gradual(self, z_at_least: float) -> bool:
        """Whether the log shows gradual learning: z at least `z_at_least` (not measured: no)."""
        return bool(self.z >= z_at_least)

    def __str__(self) -> str:
        """One line for a fit's summary, e.g. "accuracy after a wrong answer rises +0.133 logit
        per practice (z +7.2, 12,345 answers)"."""
        if math.isnan(self.z):
            return f"not measured ({self.n:,} answers after a wrong answer on the same skill)"
        return (
            f"accuracy after a wrong answer changes {self.slope:+.3f} logit per practice on the "
            f"skill (z {self.z:+.1f}, {self.n:,} answers)"
        )

    def to_json(self) -> dict[str, Any]:
        """The values as the artifact's model.json holds them (NaN as null: JSON has none)."""
        return {
            "slope": None if math.isnan(self.slope) else self.slope,
            "z": None if math.isnan(self.z) else self.z,
            "n": self.n,
        }

    @classmethod
    def from_json(cls, value: object) -> LearningCurve:
        """The inverse of `to_json`; None (an artifact saved before it was kept): not measured.
        Anything else is an `ArtifactError` naming the key."""
        if value is None:
            return cls()
        if not _is_curve_json(value):
            raise ArtifactError(
                f"model.json: fitted.learning_curve = {value!r:.120}; expected "
                '{"slope": number or null, "z": number or null, "n": integer >= 0}'
            )
        return cls(_float(value["slope"]), _float(value["z"]), value["n"])


def _is_curve_json(value: object) -> bool:
    """What `LearningCurve.to_json` writes: slope and z numbers or null, n a count."""

    def number(x: object) -> bool:
        return x is None or (isinstance(x, int | float) and not isinstance(x, bool))

    return (
        isinstance(value, dict)
        and set(value) == {"slope", "z", "n"}
        and number(value["slope"])
        and number(value["z"])
        and isinstance(value["n"], int)
        and not isinstance(value["n"], bool)
        and value["n"] >= 0
    )


def _float(value: float | None) -> float:
    """A JSON number, or null as NaN."""
    return math.nan if value is None else float(value)


def learning_curve(log: ResponseLog) -> LearningCurve:
    """The `LearningCurve` of a training log: over every answer that follows a wrong answer by
    the same student on the same skill (each skill of a multi-skill answer counts apart),
    regress `correct` on the practice count on that skill (this answer's: 2 for the answer after
    a first wrong one) by logistic regression. Vectorized: one stable sort of the log's
    (answer, skill) entries, then a fit over the distinct practice counts."""
    practice, correct = answers_after_a_wrong_one(log)
    slope, z = logistic_slope(practice, correct)
    return LearningCurve(slope, z, int(len(practice)))


def answers_after_a_wrong_one(log: ResponseLog) -> tuple[np.ndarray, np.ndarray]:
    """(practice count on the skill, correct) of each (answer, skill) entry whose previous
    answer by the same student on the same skill was wrong. The log's rows are in time order
    within each student, so a stable sort by (student, skill) keeps each pair's answers in
    time order."""
    rows, skills = log.exploded()
    key = log.student.astype(np.int64)[rows] * max(len(log.skills), 1) + skills
    order = np.argsort(key, kind="stable")
    key, correct = key[order], log.correct[rows[order]].astype(np.int64)
    first = np.r_[True, key[1:] != key[:-1]]  # the first answer of each (student, skill)
    starts = np.flatnonzero(first)
    practice = np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)])) + 1
    after_wrong = ~first & (np.r_[1, correct[:-1]] == 0)
    return practice[after_wrong], correct[after_wrong]


def logistic_slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, z) of the logistic regression y ~ 1 + x (y 0/1, x whole numbers >= 1), by Newton
    steps on the counts per distinct x; (NaN, NaN) where it is not identified (fewer than two
    distinct x, every y alike) or does not converge (a log that separates perfectly)."""
    values, inverse = np.unique(x, return_inverse=True)
    if len(values) < 2 or y.min(initial=0) == y.max(initial=0):
        return math.nan, math.nan
    trials = np.bincount(inverse).astype(np.float64)
    successes = np.bincount(inverse, weights=y).astype(np.float64)
    design = np.column_stack([np.ones(len(values)), values.astype(np.float64)])
    beta = np.zeros(2)
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (successes - trials * p)
        hessian = (design * (trials * p * (1.0 - p))[:, None]).T @ design
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            return math.nan, math.nan
        beta = beta + step
        if np.abs(step).max() < 1e-10:
            break
    else:
        return math.nan, math.nan
    p = 1.0 / (1.0 + np.exp(-(design @ beta)))
    hessian = (design * (trials * p * (1.0 - p))[:, None]).T @ design
    variance = np.linalg.inv(hessian)[1, 1]
    if not (np.isfinite(beta).all() and variance > 0):
        return math.nan, math.nan
    return float(beta[1]), float(beta[1] / math.sqrt(variance))
