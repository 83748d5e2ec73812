"""Metrics of predicted P(correct) against observed answers, overall, per skill, and bootstrapped.

All metrics accept optional non-negative `weight`s (one per response) so that the bootstrap over
students is a weighted evaluation: resampling students with replacement is the same as weighting
each student's responses by how many times the student was drawn. `bootstrap_ci` draws all
replicates at once (multinomial counts per student) and evaluates them as matrix products, with no
loop over students or responses. `paired_bootstrap` resamples the same students for two sets of
predictions, and `paired_interval` reads its replicates: the one interval of a difference, for
`evaluate` and `promote` alike.

Definitions: AUC is the probability that a random correct response gets a higher prediction than
a random incorrect one (ties count half); RMSE and log-loss are the usual ones (p clipped to
[1e-15, 1 - 1e-15] for log-loss); accuracy thresholds p at 0.5; the expected calibration error
(ECE) is the response-weighted mean |mean(p) - mean(y)| over `n_bins` equal-width bins of p.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adaptive.errors import DataValidationError, Problem

EPS = 1e-15
METRICS = ("auc", "rmse", "logloss", "accuracy", "ece")


def _check(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1:
        raise DataValidationError(
            [
                Problem(
                    "<predictions>",
                    None,
                    "p",
                    f"shape {p.shape}",
                    f"one prediction per answer {y.shape}",
                )
            ]
        )
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise DataValidationError(
            [Problem("<predictions>", None, "p", "outside [0, 1] or not finite", "probabilities")]
        )
    return y, p


def _weights(w: np.ndarray | None, n: int) -> np.ndarray:
    return np.ones(n) if w is None else np.asarray(w, dtype=np.float64)


def auc(y: np.ndarray, p: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Area under the ROC curve (NaN when only one class is present); ties counted half,
    each response weighted by `weight` (default 1)."""
    y, p = _check(y, p)
    w = np.ones(len(y), np.int32) if weight is None else np.asarray(weight, dtype=np.float64)
    return float(_RankedAUC(y, p, np.arange(len(y)))(w[None, :])[0])


def rmse(y: np.ndarray, p: np.ndarray, weight: np.ndarray | None = None) -> float:
    y, p = _check(y, p)
    return float(np.sqrt(np.average((p - y) ** 2, weights=_weights(weight, len(y)))))


def log_loss(y: np.ndarray, p: np.ndarray, weight: np.ndarray | None = None) -> float:
    y, p = _check(y, p)
    return float(np.average(_logloss_terms(y, p), weights=_weights(weight, len(y))))


def _logloss_terms(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    q = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(q) + (1 - y) * np.log(1 - q))


def accuracy(y: np.ndarray, p: np.ndarray, weight: np.ndarray | None = None) -> float:
    y, p = _check(y, p)
    return float(np.average((p >= 0.5) == (y == 1), weights=_weights(weight, len(y))))


def bin_index(p: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-width bin of each probability (p = 1 falls in the last bin)."""
    return np.minimum((np.asarray(p) * n_bins).astype(np.int64), n_bins - 1)


def expected_calibration_error(
    y: np.ndarray, p: np.ndarray, weight: np.ndarray | None = None, n_bins: int = 10
) -> float:
    y, p = _check(y, p)
    w = _weights(weight, len(y))
    return float(_ece_from_sums(*_bin_sums(y, p, w[None, :], n_bins))[0])


def _bin_sums(
    y: np.ndarray, p: np.ndarray, w: np.ndarray, n_bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-bin weighted (count, sum of p, sum of y) for each row of weights (B, n)."""
    one_hot = np.zeros((len(p), n_bins))
    one_hot[np.arange(len(p)), bin_index(p, n_bins)] = 1.0
    return w @ one_hot, (w * p) @ one_hot, (w * y) @ one_hot


def _ece_from_sums(count: np.ndarray, sum_p: np.ndarray, sum_y: np.ndarray) -> np.ndarray:
    total = count.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(sum_p - sum_y).sum(axis=1) / total


def compute_metrics(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> dict[str, float]:
    """AUC, RMSE, log-loss, accuracy and ECE of one set of predictions, plus the response count."""
    y, p = _check(y, p)
    if len(y) == 0:
        return {**{m: float("nan") for m in METRICS}, "n_responses": 0}
    return {
        "auc": auc(y, p),
        "rmse": rmse(y, p),
        "logloss": log_loss(y, p),
        "accuracy": accuracy(y, p),
        "ece": expected_calibration_error(y, p, n_bins=n_bins),
        "n_responses": int(len(y)),
    }


def per_skill_metrics(
    skill_offsets: np.ndarray, skill: np.ndarray, skills: pd.Index, y: np.ndarray, p: np.ndarray
) -> pd.DataFrame:
    """Metrics per skill; a multi-skill response counts for each of its skills.

    Arguments are a `ResponseLog`'s CSR skills (`log.skill_offsets`, `log.skill`, `log.skills`)
    and the predictions of its rows.
    """
    y, p = _check(y, p)
    rows = np.repeat(np.arange(len(y)), np.diff(skill_offsets))
    frame = pd.DataFrame({"skill": skill, "y": y[rows], "p": p[rows]})
    out = []
    for code, part in frame.groupby("skill", sort=True):
        m = compute_metrics(part["y"].to_numpy(), part["p"].to_numpy())
        out.append({"skill_id": str(skills[code]), **m, "pct_correct": 100 * part["y"].mean()})
    return pd.DataFrame(out)


def bootstrap_ci(
    y: np.ndarray,
    p: np.ndarray,
    groups: np.ndarray,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    n_bins: int = 10,
    chunk: int | None = None,
) -> dict[str, tuple[float, float]]:
    """95 % percentile bootstrap intervals over *groups* (students) of AUC, RMSE, log-loss, ECE.

    Each replicate draws as many students as there are, with replacement (multinomial counts,
    seeded); a student's responses are weighted by its count. Replicates are evaluated in chunks
    of matrix products (memory ~ chunk x n_responses floats).
    """
    y, p = _check(y, p)
    g, counts = _group_draws(groups, n_boot, seed)
    n_groups = counts.shape[1]
    chunk = chunk or max(1, min(n_boot, 20_000_000 // max(len(y), 1)))

    # per-student sums for the additive metrics: one matrix product per metric
    def per_group(v: np.ndarray) -> np.ndarray:
        return np.bincount(g, weights=v, minlength=n_groups)

    n_resp = per_group(np.ones(len(y)))
    sq = per_group((p - y) ** 2)
    ll = per_group(_logloss_terms(y, p))
    acc = per_group(((p >= 0.5) == (y == 1)).astype(np.float64))
    one_hot = np.zeros((len(p), n_bins))
    one_hot[np.arange(len(p)), bin_index(p, n_bins)] = 1.0
    bins_count = _group_bin(g, one_hot, n_groups)
    bins_p = _group_bin(g, one_hot * p[:, None], n_groups)
    bins_y = _group_bin(g, one_hot * y[:, None], n_groups)
    cw = counts.astype(np.float64)
    n_w = cw @ n_resp
    results: dict[str, np.ndarray] = {
        "rmse": np.sqrt((cw @ sq) / n_w),
        "logloss": (cw @ ll) / n_w,
        "accuracy": (cw @ acc) / n_w,
        "ece": _ece_from_sums(cw @ bins_count, cw @ bins_p, cw @ bins_y),
    }
    ranked = _RankedAUC(y, p, g)
    results["auc"] = np.concatenate(
        [ranked(counts[i : i + chunk]) for i in range(0, n_boot, chunk)]
    )
    return {k: _percentile_interval(v, level) for k, v in results.items()}


def _percentile_interval(replicates: np.ndarray, level: float) -> tuple[float, float]:
    """The `level` percentile interval of bootstrap replicates, over those a draw could score
    (a draw of students who answered all right or all wrong has no AUC: NaN); NaN, NaN where
    none could (a log of one kind of answer). Zeros are +0.0: never printed "-0.0000"."""
    finite = replicates[np.isfinite(replicates)]
    if not len(finite):
        return np.nan, np.nan
    alpha = (1 - level) / 2
    low, high = np.quantile(finite, [alpha, 1 - alpha])
    return float(low) + 0.0, float(high) + 0.0


def _group_bin(g: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of per-response bin vectors (n, n_bins) by group -> (n_groups, n_bins)."""
    out = np.zeros((n_groups, values.shape[1]))
    np.add.at(out, g, values)
    return out


def _group_draws(groups: np.ndarray, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(group code of each response, (n_boot, n_groups) multinomial counts): each replicate
    draws as many groups (students) as there are, with replacement, from a seeded generator."""
    _, g = np.unique(np.asarray(groups), return_inverse=True)
    n_groups = int(g.max()) + 1 if len(g) else 0
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_groups, np.full(n_groups, 1.0 / max(n_groups, 1)), size=n_boot)
    return g, counts


class _RankedAUC:
    """The AUC of one set of predictions under many weightings of its groups (the one AUC
    computation: `auc`, `bootstrap_ci`, `paired_bootstrap`), sorted once: the
    weighted count of negatives below each positive is a cumulative sum over the negatives in
    prediction order, read at each positive's place (ties counted half). Per replicate: two
    gathers of the group weights, a cumulative sum and a dot product over the responses. The
    bootstrap's weights are counts and are summed as integers (`_sum_dtype`: int32 where no
    sum can pass 2**31 - 1, the speed of float32; else int64), so the counts are exact at any
    size: a float32 sum stops counting at 2**24 (16.7 million negatives); a user's own weights
    (`auc(..., weight=)`) are summed in float64, as are the products."""

    def __init__(self, y: np.ndarray, p: np.ndarray, g: np.ndarray) -> None:
        positive = y == 1
        neg_p, pos_p = p[~positive], p[positive]
        neg_order, pos_order = np.argsort(neg_p, kind="stable"), np.argsort(pos_p, kind="stable")
        self.neg_group = g[~positive][neg_order].astype(np.int32)  # int32: half the reads
        self.pos_group = g[positive][pos_order].astype(np.int32)
        sorted_neg, sorted_pos = neg_p[neg_order], pos_p[pos_order]
        # per positive (in order: the reads below are sequential), where the cumulative sum
        # (with a leading 0) counts the negatives strictly below it, and those up to its ties
        self.below = np.searchsorted(sorted_neg, sorted_pos, side="left").astype(np.int32)
        upto = np.searchsorted(sorted_neg, sorted_pos, side="right").astype(np.int32)
        self.upto = None if np.array_equal(upto, self.below) else upto

    def __call__(self, w: np.ndarray) -> np.ndarray:
        """(B,) AUCs for group weights `w` (B, n_groups): the bootstrap's counts, or weights."""
        count = _sum_dtype(w, len(self.neg_group))
        w = w.astype(count, copy=False)
        cum = np.zeros((len(w), len(self.neg_group) + 1), count)
        np.cumsum(w[:, self.neg_group], axis=1, dtype=count, out=cum[:, 1:])
        pos = w[:, self.pos_group]
        credit = cum[:, self.below].astype(np.float64)  # exact: the counts are below 2**53
        if self.upto is not None:  # ties: half of the negatives tied with each positive
            credit += cum[:, self.upto]
            credit *= 0.5
        numerator = np.einsum("ij,ij->i", pos, credit, dtype=np.float64)
        total = pos.sum(axis=1, dtype=np.float64) * cum[:, -1]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, numerator / total, np.nan)


def _sum_dtype(w: np.ndarray, n: int) -> type[np.number]:
    """The type that sums any `n` of the weights `w`: for counts, the integer type that sums
    them exactly, int32 (as fast as float32) where even `n` of the largest cannot pass
    2**31 - 1, else int64; float64 for other weights (never an integer type: it would
    truncate them)."""
    if w.dtype.kind not in "iu":
        return np.float64
    largest = int(w.max(initial=0))
    return np.int32 if largest * n <= np.iinfo(np.int32).max else np.int64


def paired_bootstrap(
    y: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    groups: np.ndarray,
    metric: str = "auc",
    n_boot: int = 1000,
    seed: int = 0,
) -> np.ndarray:
    """(n_boot,) replicates of `metric`(y, p) - `metric`(y, q): two sets of predictions of the
    same responses, compared over the same resampled groups (students: `bootstrap_ci`'s draws,
    seeded), so what the students share (some are easy for any model) cancels and the spread
    is that of the difference. `metric`: auc, rmse, logloss or accuracy. AUC is one sort per
    set of predictions and, per replicate, vector passes over the responses (`_RankedAUC`, in
    chunks of about 4 million weights); the others are per-student sums times the draws."""
    y, p = _check(y, p)
    _, q = _check(y, q)
    g, counts = _group_draws(groups, n_boot, seed)
    n_groups = counts.shape[1]
    cw = counts.astype(np.float64)

    def per_group(v: np.ndarray) -> np.ndarray:
        return cw @ np.bincount(g, weights=v, minlength=n_groups)

    if metric == "auc":
        first, second = _RankedAUC(y, p, g), _RankedAUC(y, q, g)
        chunk = max(1, 4_000_000 // max(len(y), 1))
        return np.concatenate(
            [
                first(counts[i : i + chunk]) - second(counts[i : i + chunk])
                for i in range(0, n_boot, chunk)
            ]
        )
    n_w = per_group(np.ones(len(y)))
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric == "rmse":
            return np.sqrt(per_group((p - y) ** 2) / n_w) - np.sqrt(per_group((q - y) ** 2) / n_w)
        if metric == "logloss":
            return per_group(_logloss_terms(y, p) - _logloss_terms(y, q)) / n_w
        if metric == "accuracy":
            hits = ((p >= 0.5) == (y == 1)).astype(np.float64)
            return per_group(hits - ((q >= 0.5) == (y == 1))) / n_w
    raise ValueError(
        f"paired_bootstrap: metric {metric!r}; expected auc, rmse, logloss or accuracy"
    )


def paired_interval(
    estimate: float, replicates: np.ndarray, level: float = 0.95
) -> tuple[float, float, float]:
    """A paired difference as it is reported: (point estimate, low, high), the `level`
    percentile interval of its `paired_bootstrap` replicates. The one reading of them, for
    `evaluate`'s difference from the best model and `promote`'s improvement: the replicates no
    draw could score (NaN) are left out, and where none could the interval is NaN, NaN: the
    difference cannot be measured, and no verdict may be read from it (it was (0, 0), "no
    difference", in `promote`). `estimate`, computed on all the responses, is returned as
    given but for zeros, +0.0 as the interval's."""
    low, high = _percentile_interval(np.asarray(replicates, dtype=np.float64), level)
    return float(estimate) + 0.0, low, high
