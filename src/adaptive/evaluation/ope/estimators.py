"""Off-policy estimators of a candidate policy's value from logged decisions, with diagnostics.

One logged decision i: a student (the cluster c_i), the context x_i (that night's state), the
activity a_i the deployed (logging) policy drew with probability p0_i = pi0(a_i | x_i), the outcome
r_i that followed, the candidate's probability pe_i = pi(a_i | x_i) of the same activity, and an
outcome model's predictions q_i = q(x_i, a_i) and v_i = sum_a pi(a | x_i) q(x_i, a). With the
importance weight w_i = pe_i / p0_i:

    IPS    (1/n) sum_i w_i r_i                         (Horvitz-Thompson; unbiased, high variance)
    SNIPS  sum_i w_i r_i / sum_i w_i                   (self-normalized; small bias, lower variance)
    DR     (1/n) sum_i [v_i + w_i (r_i - q_i)]         (doubly robust, Dudik, Langford & Li 2011:
                                                        unbiased when p0 is right, whatever q)
    logged (1/n) sum_i r_i                              (the logging policy's own observed value:
                                                        what the candidate is compared with)
    dr_minus_logged   DR - logged                      (the candidate's expected change; its
                                                        interval from the same paired replicates)

Intervals: percentile bootstrap clustered by student (a student's decisions share their learning
state, so they are resampled together), or by the cluster given (`adaptive ope` on nights served
under a class- or school-randomized experiment: its classes or schools, `logs.bootstrap_clusters`). Each replicate draws a Poisson(1) weight per student and
re-forms every estimator from per-student sums: a (B, students) weight matrix times (students,)
sums, in blocks of replicates so memory stays flat at 400,000 students. Several outcomes of the
same decisions (`estimate_many`) share one set of draws: the draws are most of the cost.

Diagnostics, computed before any estimate is reported:
- effective sample size (Kish): (sum w)^2 / sum w^2, the number of decisions the estimate is
  worth;
- overlap: the share of the candidate's probability mass on activities the logging policy could
  choose. E over logged a ~ pi0 of w = sum over {a: pi0(a|x) > 0} pi(a|x), so mean(w) estimates it
  (exact values may be passed when the logging distribution is known, as in simulation). A share
  is at most 1 but a sample mean of weights is not (a fully supported candidate's is 1 only on
  average): the estimate and its bootstrap interval are clipped to [0, 1]. Clipping an interval
  to the range its quantity lies in leaves its coverage as it was (it drops only values the share
  cannot take), and the refusal is the same (a threshold is at most 1). The raw mean weight is
  kept as `mean_weight` (one well above 1 points at wrong logged propensities).
When the estimated overlap (mean(w), the point estimate) or the effective sample size falls below
its threshold, `check_support` raises `SupportError` with the numbers instead of returning an
estimate no one should trust. The point estimates decide (the overlap's bootstrap interval is
reported beside it), so whether a candidate is refused does not depend on `n_boot`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from adaptive.errors import AdaptiveError, ConfigError, ExperimentWarning

ESTIMATORS: tuple[str, ...] = ("ips", "snips", "dr", "logged", "dr_minus_logged")
#: The estimate a decision maker reads first: DR's value minus the logged one, its interval from
#: the same (paired) bootstrap replicates.
DIFFERENCE = "dr_minus_logged"


class SupportError(AdaptiveError):
    """The logging policy did not explore where the candidate goes: no trustworthy estimate."""


@dataclass(frozen=True)
class Decisions:
    """Logged decisions for one outcome, as aligned (n,) arrays (see the module docstring).

    cluster : int codes of the students (0..C-1 not required; any ints); reward : outcomes;
    logging_p : pi0(a_i | x_i) in (0, 1]; target_p : pi(a_i | x_i) in [0, 1];
    q_logged, q_target : the outcome model's q(x_i, a_i) and sum_a pi(a | x_i) q(x_i, a)
    (zeros when there is no model: DR is then IPS).
    """

    cluster: np.ndarray
    reward: np.ndarray
    logging_p: np.ndarray
    target_p: np.ndarray
    q_logged: np.ndarray
    q_target: np.ndarray

    @classmethod
    def build(
        cls,
        cluster: np.ndarray,
        reward: np.ndarray,
        logging_p: np.ndarray,
        target_p: np.ndarray,
        q_logged: np.ndarray | None = None,
        q_target: np.ndarray | None = None,
    ) -> Decisions:
        """Check lengths and ranges once, at the boundary (a ValueError names the field)."""
        n = len(reward)
        zeros = np.zeros(n)
        arrays = {
            "cluster": np.asarray(cluster),
            "reward": np.asarray(reward, np.float64),
            "logging_p": np.asarray(logging_p, np.float64),
            "target_p": np.asarray(target_p, np.float64),
            "q_logged": zeros if q_logged is None else np.asarray(q_logged, np.float64),
            "q_target": zeros if q_target is None else np.asarray(q_target, np.float64),
        }
        for name, a in arrays.items():
            if a.shape != (n,):
                raise ValueError(f"Decisions.{name}: shape {a.shape}, expected ({n},)")
            if name != "cluster" and not np.isfinite(a).all():
                raise ValueError(f"Decisions.{name}: {int((~np.isfinite(a)).sum())} non-finite")
        if (arrays["logging_p"] <= 0).any() or (arrays["logging_p"] > 1 + 1e-9).any():
            raise ValueError("Decisions.logging_p: expected probabilities in (0, 1]")
        if (arrays["target_p"] < 0).any() or (arrays["target_p"] > 1 + 1e-9).any():
            raise ValueError("Decisions.target_p: expected probabilities in [0, 1]")
        return cls(**arrays)

    @property
    def weight(self) -> np.ndarray:
        return self.target_p / self.logging_p


@dataclass(frozen=True)
class Estimate:
    """One estimator's value and its clustered bootstrap interval."""

    estimator: str
    value: float
    ci_low: float
    ci_high: float
    std_error: float

    def to_dict(self) -> dict[str, float | str]:
        return asdict(self)


@dataclass(frozen=True)
class Diagnostics:
    """Effective sample size and overlap (see the module docstring)."""

    n_decisions: int
    n_students: int
    ess: float
    overlap: float
    overlap_ci_low: float
    overlap_ci_high: float
    max_weight: float
    mean_weight: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def point_estimates(d: Decisions) -> dict[str, float]:
    """IPS, SNIPS and DR on all the decisions (the formulas of the module docstring)."""
    w = d.weight
    sw = w.sum()
    return {
        "ips": float(np.mean(w * d.reward)),
        "snips": float((w * d.reward).sum() / sw) if sw > 0 else float("nan"),
        "dr": float(np.mean(d.q_target + w * (d.reward - d.q_logged))),
        "logged": float(np.mean(d.reward)),
        DIFFERENCE: float(np.mean(d.q_target + w * (d.reward - d.q_logged) - d.reward)),
    }


def _cluster_sums(d: Decisions) -> tuple[np.ndarray, np.ndarray]:
    """(C, 6) per-student sums of [1, w, w r, dr term, w^2, r] and the cluster codes used."""
    codes, inverse = np.unique(d.cluster, return_inverse=True)
    w = d.weight
    reward = np.asarray(d.reward, dtype=np.float64)
    cols = np.stack(
        [np.ones_like(w), w, w * reward, d.q_target + w * (reward - d.q_logged), w * w, reward],
        axis=1,
    )
    sums = np.zeros((len(codes), cols.shape[1]))
    np.add.at(sums, inverse, cols)
    return sums, codes


def poisson_weights(
    n_clusters: int, n_boot: int, seed: int, block: int = 64
) -> Iterator[np.ndarray]:
    """The bootstrap's student weights: (b, n_clusters) float32 blocks of Poisson(1) draws,
    `n_boot` rows in all, from one seeded generator (blocks keep the memory flat)."""
    rng = np.random.default_rng(seed)
    for start in range(0, n_boot, block):
        b = min(block, n_boot - start)
        yield rng.poisson(1.0, (b, n_clusters)).astype(np.float32)


def bootstrap_replicates(
    d: Decisions, n_boot: int = 500, seed: int = 0, block: int = 64
) -> dict[str, np.ndarray]:
    """(n_boot,) replicates of each estimator and of mean(w), students resampled with Poisson(1)
    weights (vectorized: a weight matrix over students times per-student sums)."""
    return bootstrap_many([d], n_boot, seed, block)[0]


def bootstrap_many(
    ds: list[Decisions], n_boot: int = 500, seed: int = 0, block: int = 64
) -> list[dict[str, np.ndarray]]:
    """`bootstrap_replicates` of several outcomes of the same decisions (same students), from
    one set of Poisson draws: each outcome's replicates equal its own `bootstrap_replicates`
    with the same seed, but the draws (most of the cost) are made once."""
    sums = [_cluster_sums(d) for d in ds]
    codes = sums[0][1] if sums else np.zeros(0)
    if any(not np.array_equal(c, codes) for _, c in sums):
        raise ValueError("bootstrap_many: the decisions must share their students (clusters)")
    out = [np.empty((n_boot, s.shape[1])) for s, _ in sums]
    sums32 = [s.astype(np.float32) for s, _ in sums]
    start = 0
    for weights in poisson_weights(len(codes), n_boot, seed, block):
        for o, s in zip(out, sums32, strict=True):
            o[start : start + len(weights)] = weights @ s
        start += len(weights)
    return [_replicates(o) for o in out]


def _replicates(out: np.ndarray) -> dict[str, np.ndarray]:
    """The estimators' replicates from the replicated sums of [1, w, w r, dr term, w^2, r]."""
    n, sw, swr, sdr, sr = out[:, 0], out[:, 1], out[:, 2], out[:, 3], out[:, 5]
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "ips": swr / n,
            "snips": swr / sw,
            "dr": sdr / n,
            "logged": sr / n,
            DIFFERENCE: (sdr - sr) / n,
            "mean_weight": sw / n,
        }


def estimate(
    d: Decisions, n_boot: int = 500, seed: int = 0, level: float = 0.95
) -> tuple[list[Estimate], Diagnostics]:
    """Every estimator with its clustered bootstrap interval, and the diagnostics."""
    return estimate_many([d], n_boot, seed, level)[0]


def estimate_many(
    ds: list[Decisions], n_boot: int = 500, seed: int = 0, level: float = 0.95
) -> list[tuple[list[Estimate], Diagnostics]]:
    """`estimate` of several outcomes of the same decisions, with one set of bootstrap draws
    (`bootstrap_many`): the same numbers as one `estimate` per outcome, in less time."""
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    results = []
    for d, reps in zip(ds, bootstrap_many(ds, n_boot, seed), strict=True):
        point = point_estimates(d)
        estimates = [
            Estimate(name, point[name], *_interval(reps[name], lo, hi), _sd(reps[name]))
            for name in ESTIMATORS
        ]
        results.append((estimates, diagnostics(d, reps["mean_weight"], lo, hi)))
    return results


def diagnostics(
    d: Decisions, mean_weight_reps: np.ndarray | None = None, lo: float = 0.025, hi: float = 0.975
) -> Diagnostics:
    """Effective sample size, estimated overlap (the mean weight, clipped to [0, 1] as a share,
    with its interval clipped alike: module docstring), largest weight, raw mean weight."""
    w = d.weight
    sw2 = float((w * w).sum())
    mean_weight = float(w.mean()) if len(w) else float("nan")
    ci = (
        _interval(mean_weight_reps, lo, hi)
        if mean_weight_reps is not None
        else (mean_weight, mean_weight)
    )
    return Diagnostics(
        n_decisions=len(w),
        n_students=len(np.unique(d.cluster)),
        ess=float(w.sum() ** 2 / sw2) if sw2 > 0 else 0.0,
        overlap=_share(mean_weight),
        overlap_ci_low=_share(ci[0]),
        overlap_ci_high=_share(ci[1]),
        max_weight=float(w.max()) if len(w) else float("nan"),
        mean_weight=mean_weight,
    )


def _share(x: float) -> float:
    """`x` clipped to [0, 1] (a NaN stays NaN: no estimate)."""
    return float(np.clip(x, 0.0, 1.0))


def check_thresholds(min_overlap: float, min_ess: float) -> None:
    """ConfigError unless `min_overlap` is a share in [0, 1] and `min_ess` a number of decisions
    >= 0 (0 turns either check off); a share above 1 (a percentage: 90 for 0.9) could never be
    met, and a negative size means nothing."""
    problems = []
    if not 0.0 <= min_overlap <= 1.0:
        hint = " (a percentage? 90% is written 0.9)" if 1 < min_overlap <= 100 else ""
        problems.append(
            f"--min-overlap {min_overlap:g}: expected a share of the candidate's probability "
            f"mass in [0, 1] (0 turns the overlap check off){hint}"
        )
    if not 0.0 <= min_ess < float("inf"):
        problems.append(
            f"--min-ess {min_ess:g}: expected a number of decisions >= 0 (0 turns the effective "
            "sample size check off)"
        )
    if problems:
        raise ConfigError("; ".join(problems))


#: The support checks' default thresholds (`adaptive ope --min-overlap`, `--min-ess`)
MIN_OVERLAP = 0.9
MIN_ESS = 100.0


def check_support(
    diag: Diagnostics, min_overlap: float = MIN_OVERLAP, min_ess: float = MIN_ESS
) -> None:
    """Refuse (SupportError, with the numbers) when the logs cannot support the candidate: when
    the estimated overlap (`diag.overlap`: the mean importance weight, at most 1) is below
    `min_overlap`,
    or the effective sample size below `min_ess`. The point estimates decide, so the rule does
    not depend on the number of bootstrap replicates; the overlap's interval is shown beside."""
    check_thresholds(min_overlap, min_ess)
    problems = support_problems(diag, min_overlap, min_ess)
    if problems:
        raise SupportError(
            "no trustworthy off-policy estimate: "
            + "; ".join(problems)
            + ". The deployed policy rarely or never chose what the candidate would: log with "
            "more exploration (a higher exploration_temperature or exploration_epsilon), "
            "collect more nights, or run an experiment (`adaptive experiment assign`)."
        )


def warn_loosened_support(diag: Diagnostics, min_overlap: float, min_ess: float) -> None:
    """An `ExperimentWarning` when a support check was loosened below its default (0 turns it
    off) and the default would have refused: the estimates are then printed, but a few
    decisions with huge weights carry them and their intervals are not to be trusted (a user
    trial: effective sample size 5 of 6000, largest weight 1310, under a normal-looking table).
    The words give the numbers (`support_problems` at the defaults)."""
    problems = support_problems(
        diag,
        MIN_OVERLAP if min_overlap < MIN_OVERLAP else 0.0,
        MIN_ESS if min_ess < MIN_ESS else 0.0,
    )
    if problems:
        warnings.warn(
            "the support checks were loosened and would have refused at their defaults: "
            + "; ".join(problems)
            + ". These estimates and their intervals are not to be trusted: a few decisions "
            "with large weights carry them",
            ExperimentWarning,
            stacklevel=3,
        )


def support_problems(diag: Diagnostics, min_overlap: float, min_ess: float) -> list[str]:
    """Why the logs cannot support the candidate at these thresholds, with the numbers: the
    overlap below `min_overlap`, the effective sample size below `min_ess`; [] when neither."""
    problems = []
    if not diag.overlap >= min_overlap:
        problems.append(
            f"overlap {diag.overlap:.3f} is below --min-overlap {min_overlap:g}: the logging "
            f"policy supported only about {diag.overlap:.0%} of the candidate's probability mass "
            f"(95% bootstrap interval {diag.overlap_ci_low:.3f}-{diag.overlap_ci_high:.3f})"
        )
    if not diag.ess >= min_ess:
        problems.append(
            f"effective sample size {diag.ess:.1f} of {diag.n_decisions} decisions is below "
            f"--min-ess {min_ess:g} (largest weight {diag.max_weight:.3g})"
        )
    return problems


def _interval(reps: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    x = reps[np.isfinite(reps)]
    if not len(x):
        return float("nan"), float("nan")
    return float(np.quantile(x, lo)), float(np.quantile(x, hi))


def _sd(reps: np.ndarray) -> float:
    x = reps[np.isfinite(reps)]
    return float(x.std(ddof=1)) if len(x) > 1 else float("nan")
