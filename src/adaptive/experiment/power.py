"""The minimum detectable effect of a cluster-randomized experiment (issue 19, item 3).

For J clusters (classes or schools) of m students on average, a share P of them treated, an
outcome of total variance sigma^2 with intra-cluster correlation rho, and a share R^2 of the
variance explained by the strata (and covariates), the difference in means has

    SE = sqrt( sigma^2 (1 - R^2) (1 + (m_eff - 1) rho) / (J m P (1 - P)) )

where m_eff = m (1 + cv^2) corrects for unequal cluster sizes (cv = their coefficient of
variation; Eldridge, Ashby & Kerry 2006), and the minimum detectable effect at two-sided level
alpha and power 1 - beta is MDE = (t_{1-alpha/2} + t_{1-beta}) SE with J - S - 1 degrees of
freedom for S strata (Bloom 1995; Raudenbush 1997): `cluster_dof`, the one definition
`analyze.estimate_effects` tests with. That analysis widens the CR0 cluster sandwich by
`cluster_variance_factor`, J / (J - S - 1), which undoes its downward bias when clusters are
nested in strata (each stratum's absorbed mean takes a degree of freedom from the cluster sums),
so its SE estimates this SE (not SE times the factor: a simulated design of 112 classes in 56
strata gives a mean analysed SE within 1% of it). `variance_components` estimates sigma^2, rho
and the cluster sizes from a pre-period outcome table (one-way ANOVA estimator of the ICC).
Every parameter is checked against its range (`check_design`): one ConfigError names each one
out of range.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from adaptive.errors import ConfigError
from adaptive.records import Range


def cluster_dof(clusters: int, strata: int = 1, contrasts: int = 1) -> int:
    """G - S - q, the degrees of freedom of a cluster-randomized analysis: G clusters nested in
    S strata (absorbed as fixed effects), q arm contrasts against the reference. With one
    class pair per stratum (matched pairs) that is pairs - 1; with one stratum, G - 2. The one
    definition `experiment power` and `experiment analyze` share."""
    return clusters - strata - contrasts


def cluster_variance_factor(clusters: int, strata: int = 1, contrasts: int = 1) -> float:
    """G / (G - S - q): `experiment analyze`'s small-sample factor on the CR0 cluster sandwich
    variance (statsmodels' CR1 is G / (G - 1) times (N - 1) / (N - K) instead, which leaves
    the strata's degrees of freedom uncounted: biased low when strata are many)."""
    return clusters / cluster_dof(clusters, strata, contrasts)


#: How `experiment analyze` computes its intervals, in one sentence under its table (and in
#: the README), for an analyst who reproduces it with statsmodels' CR1.
CORRECTION_WORDS = (
    "intervals: the CR0 cluster sandwich variance times G / (G - S - q), t on G - S - q "
    "degrees of freedom (G units, S strata, q arm contrasts; as `experiment power --strata S`): "
    "wider than statsmodels' CR1 (G / (G - 1), t on G - 1), which leaves the absorbed strata "
    "means uncounted"
)


@dataclass(frozen=True)
class Design:
    """What the minimum detectable effect depends on (see the module docstring)."""

    clusters: int
    students_per_cluster: float
    icc: float
    sd: float
    share_treated: float = 0.5
    r2: float = 0.0
    size_cv: float = 0.0
    strata: int = 1

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def standard_error(d: Design) -> float:
    """SE of the difference in means under the design (module docstring); ConfigError naming
    each parameter out of its range (`check_design`)."""
    check_design(d)
    m = d.students_per_cluster
    m_eff = m * (1 + d.size_cv**2)
    deff = 1 + (m_eff - 1) * d.icc
    var = d.sd**2 * (1 - d.r2) * deff / (d.clusters * m * d.share_treated * (1 - d.share_treated))
    return float(np.sqrt(var))


def minimum_detectable_effect(d: Design, alpha: float = 0.05, power: float = 0.8) -> float:
    """MDE = (t_{1-alpha/2} + t_{power}) * SE, df = `cluster_dof` (as the analysis);
    ConfigError naming each parameter out of its range, the design's and alpha's and power's."""
    check_design(d, alpha=alpha, power=power)
    df = cluster_dof(d.clusters, d.strata)
    return float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * standard_error(d))


#: Each parameter's flag (as the command line names it) and valid values (`records.Range`).
_RANGES: dict[str, tuple[str, Range]] = {
    "clusters": ("--clusters", Range(3, what="at least 3 clusters")),
    "students_per_cluster": (
        "--students-per-cluster", Range(1, what="a mean cluster size of at least 1"),
    ),
    "icc": ("--icc", Range(0, 1, what="an intra-cluster correlation in [0, 1]")),
    "sd": ("--sd", Range(0, low_open=True, what="a standard deviation > 0")),
    "share_treated": (
        "--share-treated", Range(0, 1, True, True, what="a share in (0, 1), e.g. 0.5"),
    ),
    "r2": (
        "--r2",
        Range(0, 1, high_open=True,
              what="a share of variance in [0, 1) (1 leaves nothing to detect)"),
    ),
    "size_cv": ("--size-cv", Range(0, what="a coefficient of variation >= 0")),
    "strata": ("--strata", Range(1, what="at least 1 stratum")),
    "alpha": ("--alpha", Range(0, 1, True, True, what="a level in (0, 1), e.g. 0.05")),
    "power": ("--power", Range(0, 1, True, True, what="a probability in (0, 1), e.g. 0.8")),
}  # fmt: skip
#: Parameters whose value in (1, 100] is probably a percentage: the error says so.
_PROBABILITIES = frozenset({"alpha", "power"})


def check_design(d: Design, *, alpha: float = 0.05, power: float = 0.8) -> None:
    """ConfigError naming each parameter of `d` (and `alpha`, `power`) out of its range, and
    only those: one problem per line when there are several."""
    values = {**d.to_dict(), "alpha": alpha, "power": power}
    problems = [_problem(name, value) for name, value in values.items()]
    problems = [p for p in problems if p]
    if not problems and cluster_dof(d.clusters, d.strata) < 1:
        problems.append(
            f"--clusters {d.clusters} in {d.strata} strata: expected at least strata + 2 "
            "clusters (the analysis has clusters - strata - 1 degrees of freedom)"
        )
    if len(problems) == 1:
        raise ConfigError(f"experiment power: {problems[0]}")
    if problems:
        listed = "".join(f"\n  - {p}" for p in problems)
        raise ConfigError(f"experiment power: {len(problems)} parameters out of range:{listed}")


def _problem(name: str, value: float) -> str:
    """'' when `value` is in the range of parameter `name`, else what was wrong, in words."""
    flag, valid = _RANGES[name]
    if valid.admits(value):
        return ""
    text = f"{flag} {value:g}: expected {valid.what}"
    if not math.isfinite(value):  # "inf: expected > 0" reads as if inf were too small
        text = f"{flag} {value:g}: expected a finite number ({valid.what})"
    if name in _PROBABILITIES and 1 < value <= 100:
        text += f" (if {value:g} is a percentage, give {value / 100:g})"
    return text


def variance_components(frame: pd.DataFrame, outcome: str, cluster: str) -> dict[str, float]:
    """sd, ICC (one-way ANOVA estimator, floored at 0), mean size and size CV of the clusters."""
    data = frame[[outcome, cluster]].dropna()
    if data.empty:
        raise ConfigError(f"power: no rows with a value of {outcome!r}")
    groups = data.groupby(cluster)[outcome]
    sizes = groups.size().to_numpy(float)
    k, n = len(sizes), float(sizes.sum())
    grand = data[outcome].mean()
    ss_between = float((sizes * (groups.mean().to_numpy() - grand) ** 2).sum())
    ss_within = float(((data[outcome] - groups.transform("mean")) ** 2).sum())
    msb = ss_between / max(k - 1, 1)
    msw = ss_within / max(n - k, 1)
    m0 = (n - (sizes**2).sum() / n) / max(k - 1, 1)
    icc = max(0.0, (msb - msw) / (msb + (m0 - 1) * msw)) if msb + (m0 - 1) * msw > 0 else 0.0
    return {
        "sd": float(data[outcome].std(ddof=1)),
        "icc": float(icc),
        "students_per_cluster": float(sizes.mean()),
        "size_cv": float(sizes.std() / sizes.mean()) if sizes.mean() > 0 else 0.0,
        "clusters": int(k),
    }


def design_from_data(
    frame: pd.DataFrame, outcome: str, cluster: str, stratum: str | None = None,
    share_treated: float = 0.5,
) -> Design:  # fmt: skip
    """The design of randomizing `frame`'s clusters, from its own variance components (taken
    within strata when `stratum` is given: the analysis absorbs the strata means)."""
    data = frame
    strata = 1
    if stratum is not None:
        means = frame.groupby(stratum)[outcome].transform("mean")
        data = frame.assign(**{outcome: frame[outcome] - means})
        strata = int(frame[stratum].nunique())
    c = variance_components(data, outcome, cluster)
    between = c["icc"] * c["sd"] ** 2
    within = (1 - c["icc"]) * c["sd"] ** 2
    if strata > 1:  # demeaning a stratum of m clusters keeps (m - 1)/m of their variance
        kept = max(c["clusters"] - strata, 1) / c["clusters"]
        between /= kept
    sd = float(np.sqrt(between + within))
    icc = between / (between + within) if between + within > 0 else 0.0
    return Design(c["clusters"], c["students_per_cluster"], icc, sd, share_treated, 0.0,
                  c["size_cv"], strata)  # fmt: skip
