"""Off-policy evaluation (issue 19): a candidate policy's value from the deployed policy's logs.

    from adaptive.evaluation.ope import Decisions, estimate
    estimates, diagnostics = estimate(Decisions.build(student, reward, p_logged, p_candidate))

`estimators` holds IPS, self-normalized IPS and doubly robust with the clustered (by
student, or by an experiment's class or school) bootstrap and the support diagnostics; `outcome` the doubly robust outcome model (the tracer's
predictions, cross-fitted by student); `evaluate` runs a candidate on logged nights;
`logs` reads the nightly job's outputs (`adaptive ope --log DIR`).
"""

from adaptive.evaluation.ope.estimators import (
    ESTIMATORS,
    Decisions,
    Diagnostics,
    Estimate,
    SupportError,
    check_support,
    estimate,
    point_estimates,
)

__all__ = [
    "ESTIMATORS",
    "Decisions",
    "Diagnostics",
    "Estimate",
    "SupportError",
    "check_support",
    "estimate",
    "point_estimates",
]
