"""The effect of a randomized experiment's arms on growth and correctness (issue 19, item 3).

Per student: the arm of their unit (class or school), their stratum and one value per outcome:

    normalized_gain   (post - pre) / (1 - pre) of the tracer's mean mastery over the student's
                      grade-level skills, between the experiment's first and last night (the
                      issue-5 metric of `evaluation.policy_eval`, read from the tracer instead of
                      the simulator's truth)
    correct_rate      share of the student's responses in the experiment window that are correct

Estimator: OLS of the outcome on the arm indicators (the first arm is the reference) and the
strata fixed effects (absorbed by demeaning within strata), with standard errors clustered by
randomization unit (statsmodels' cluster sandwich, its small-sample factor G/(G - S - q) for G
clusters in S strata and q arm contrasts, t with G - S - q degrees of freedom: the strata
means use up cluster-level degrees of freedom, see `estimate_effects`), so students of one
class count as the correlated observations they are. Optional randomization inference: the assignment is redrawn
`permutations` times with the same stratified procedure (`assign._deal`) and the estimate's
two-sided p-value is (redraws at least as extreme + 1) / (permutations + 1) (valid under the
sharp null, whatever the clustering); when the design allows no more distinct assignments
than `permutations` (few schools), all of them are enumerated and p is exact. Both run over
the assignment's units as drawn (units whose students have no outcome take no weight), also
when too few units are left for the clustered interval, where p is the one inference left.

`analyze_logs` first checks that the profiles are the file the assignment was drawn from (its
`profiles_sha256`, `check_profiles_digest`), that every night the job served in the window was
served with the assignment (`check_served_nights`: an `arm` column that agrees with the file),
that the catalog, the profiles and the response log are those the nights were served from
(`check_served_inputs`: what the nights' snapshots and outputs recorded, see
`evaluation.ope.served`), that the log holds responses in the window (`window_responses`), and
that no more than a quarter of the start night's students are in no unit of the assignment
(`check_share_outside`: more is an assignment drawn from another roster; fewer, students new
since the draw, left out and counted in a warning); otherwise one named error, no estimate.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from adaptive.batch.partition import UNASSIGNED_SCHOOL
from adaptive.dates import iso_day
from adaptive.errors import ConfigError, ExperimentWarning, check_seed, counted, verb
from adaptive.experiment.power import cluster_dof, cluster_variance_factor

if TYPE_CHECKING:
    from adaptive.experiment.assign import Assignment


#: What each outcome is, in the words under `adaptive experiment analyze`'s table (the module
#: docstring; `student_outcomes`): who has one differs, hence the two outcomes' student counts
OUTCOME_MEANINGS: dict[str, str] = {
    "normalized_gain": "(post - pre) / (1 - pre) of the model's mean mastery over the student's "
    "grade-level skills, pre on the start night and post on the end night (1 - pre at least "
    "0.05), for every student served on both nights, with answers in the window or none",
    "correct_rate": "share of the student's answers from the start night to the end night that "
    "were right, for the students who answered in that window only (so fewer students)",
}


@dataclass(frozen=True)
class Effect:
    """One arm against the reference arm on one outcome."""

    outcome: str
    arm: str
    reference: str
    effect: float
    ci_low: float
    ci_high: float
    std_error: float
    p_value: float
    p_randomization: float
    n_students: int
    n_clusters: int
    #: students with the outcome in this arm and in the reference arm, and their raw means
    n_arm: int = 0
    n_reference: int = 0
    mean_arm: float = float("nan")
    mean_reference: float = float("nan")
    #: the smallest p_randomization the design allows for these data, and how many
    #: assignments it was computed over exactly (0: from random redraws; `_randomization_p`)
    p_randomization_floor: float = float("nan")
    n_assignments: int = 0
    #: how p_randomization was computed: "exact", "redraws", "redraws, dealing order unknown"
    #: (a format-1 file with 4 or more arms, `can_enumerate`), or "" (not computed)
    randomization: str = ""
    #: the strata the effect was estimated in and its degrees of freedom, G - S - q
    #: (`power.cluster_dof`; 0 where there is none and no interval)
    n_strata: int = 0
    df: int = 0

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def estimate_effects(
    frame: pd.DataFrame,
    outcome: str,
    *,
    arm: str = "arm",
    cluster: str = "unit_id",
    stratum: str | None = "stratum",
    arms: list[str] | None = None,
    level: float = 0.95,
    permutations: int = 0,
    seed: int = 0,
    design: pd.DataFrame | None = None,
    exact: bool = True,
) -> list[Effect]:
    """Cluster-robust effect of every arm against the first (see the module docstring).

    design : the randomization units as drawn (unit_id, stratum; `Assignment.units`), which
    the randomization p enumerates or redraws; by default the units of `frame`, those whose
    students all lack the outcome included. exact : False where the enumeration may not be
    the draw's (`can_enumerate`): random redraws then, whatever the design's size."""
    import statsmodels.api as sm

    data = frame.dropna(subset=[outcome]).reset_index(drop=True)
    arms = arms or sorted(data[arm].unique().tolist())
    _check_arms_have_outcomes(data, outcome, arm, arms)
    y = data[outcome].to_numpy(float)
    x = np.column_stack([(data[arm] == a).to_numpy(float) for a in arms[1:]])
    strata = pd.factorize(data[stratum])[0] if stratum is not None else np.zeros(len(data), int)
    groups = pd.factorize(data[cluster])[0]
    # strata fixed effects absorbed by demeaning (Frisch-Waugh-Lovell: the same arm
    # coefficients as with one dummy per stratum, without a students x strata matrix)
    y_dm = y - _stratum_means(y[:, None], strata)[:, 0]
    x_dm = x - _stratum_means(x, strata)
    fit = sm.OLS(y_dm, x_dm).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    # Small-sample factor: statsmodels' CR1 is G/(G-1) (N-1)/(N-K) times the CR0 sandwich. With
    # classes nested in school x grade strata, the absorbed stratum means take one degree of
    # freedom each from the cluster sums (a stratum of m classes: each cluster's leverage 1/m),
    # so CR1 is biased low by about (G - S - q)/G (measured: A/A false positives 8.7% instead of
    # 5% with ~4 classes per stratum). The factor used is G/(G - S - q), with t on G - S - q
    # degrees of freedom (one stratum: close to CR1 and G - 2): `power.cluster_dof` and
    # `power.cluster_variance_factor`, which `experiment power` uses too.
    n, q, n_strata = len(y), x.shape[1], int(strata.max()) + 1
    n_groups = int(groups.max()) + 1
    units = _design_units(frame, design, cluster, stratum, arm)
    randomization = _randomization_p(data, y, arm, cluster, stratum, arms, permutations, seed,
                                     np.asarray(fit.params), units, exact)  # fmt: skip
    df = cluster_dof(n_groups, n_strata, q)
    if df < 1:
        return _without_interval(data, outcome, arm, arms, n_groups, n_strata, fit.params,
                                 randomization)  # fmt: skip
    cr1 = n_groups / max(n_groups - 1, 1) * (n - 1) / max(n - q, 1)
    se = np.asarray(fit.bse) * np.sqrt(cluster_variance_factor(n_groups, n_strata, q) / cr1)
    t = stats.t.ppf(1 - (1 - level) / 2, df)
    params = np.asarray(fit.params)
    p_values = 2 * stats.t.sf(np.abs(params / se), df)
    perm, floor, n_exact, how = randomization
    counts = data[arm].value_counts()
    means = data.groupby(arm)[outcome].mean()
    return [
        Effect(
            outcome,
            name,
            arms[0],
            float(params[j]),
            float(params[j] - t * se[j]),
            float(params[j] + t * se[j]),
            float(se[j]),
            float(p_values[j]),
            perm[j],
            n,
            n_groups,
            int(counts.get(name, 0)),
            int(counts.get(arms[0], 0)),
            float(means.get(name, np.nan)),
            float(means.get(arms[0], np.nan)),
            floor[j],
            n_exact,
            how,
            n_strata,
            df,
        )  # fmt: skip
        for j, name in enumerate(arms[1:])
    ]


def _without_interval(
    data, outcome, arm, arms, n_groups, n_strata, params, randomization
) -> list[Effect]:
    """The effects when the clusters leave no degree of freedom (an arm of one class or
    school, or a stratum per cluster): the estimate without an interval or model p-value (NaN),
    and a warning saying why, where a zero-width interval with p = 0 would read as certainty.
    The randomization p (`_randomization_p`) is kept: it needs no degree of freedom, and with
    a few schools it is the one valid inference left."""
    warnings.warn(
        f"{outcome}: {n_groups} randomization units in {n_strata} strata leave no degree of "
        "freedom for the clustered interval (an arm of one unit?): the differences are "
        "given without an interval or model p-value; they cannot be told from the units' own",
        ExperimentWarning,
        stacklevel=3,
    )
    counts, means = data[arm].value_counts(), data.groupby(arm)[outcome].mean()
    nan = float("nan")
    perm, floor, n_exact, how = randomization
    return [
        Effect(
            outcome,
            name,
            arms[0],
            float(np.asarray(params)[j]),
            nan,
            nan,
            nan,
            nan,
            perm[j],
            len(data),
            n_groups,
            int(counts.get(name, 0)),
            int(counts.get(arms[0], 0)),
            float(means.get(name, nan)),
            float(means.get(arms[0], nan)),
            floor[j],
            n_exact,
            how,
            n_strata,
        )  # fmt: skip
        for j, name in enumerate(arms[1:])
    ]


def _check_arms_have_outcomes(data: pd.DataFrame, outcome: str, arm: str, arms: list[str]) -> None:
    """ConfigError unless there are at least two arms and every one has a student with a value
    of `outcome` (an arm without one has no effect to estimate)."""
    if len(arms) < 2:
        raise ConfigError(f"{outcome}: only arm(s) {arms} have outcomes; expected at least two")
    present = set(data[arm].unique().tolist())
    empty = [name for name in arms if name not in present]
    if empty:
        raise ConfigError(
            f"{outcome}: no student of arm(s) {empty} has a value ({len(data)} students with "
            f"one in all); expected outcomes in every arm of {arms}"
        )


def _stratum_means(x: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """(n, c) the mean of each column over the row's stratum."""
    sums = np.zeros((int(strata.max()) + 1, x.shape[1]))
    np.add.at(sums, strata, x)
    counts = np.bincount(strata)[:, None]
    return (sums / counts)[strata]


def _design_units(frame, design, cluster, stratum, arm) -> pd.DataFrame:
    """The randomization units (unit_id, stratum, arm as drawn): `design` when given, else
    every unit of `frame` (before units without outcomes are dropped, so the design's)."""
    if design is not None:
        return design[["unit_id", "stratum", "arm"]].reset_index(drop=True)
    units = frame.groupby(cluster, sort=True).agg(
        stratum=(stratum if stratum else arm, "first"), arm=(arm, "first")
    )
    if not stratum:
        units["stratum"] = "all"
    return units.reset_index().rename(columns={cluster: "unit_id"})


def _randomization_p(data, y, arm, cluster, stratum, arms, permutations, seed, params, units,
                     exact):  # fmt: skip
    """(p, floor, n, how): the two-sided randomization p-value per arm, the smallest p the
    design allows for it, how many assignments were enumerated (0: redrawn at random) and how
    it was computed (`Effect.randomization`). NaNs and "" when `permutations` is 0.

    The effect is re-estimated by the same regression's arm coefficients (strata absorbed by
    demeaning) under assignments of the design's `units` drawn as `assign._deal` draws them;
    units whose students have no outcome take no weight. When the design allows no more
    distinct assignments than `permutations` (a few schools: 6 split 3/3 allow 20) and `exact`,
    all are enumerated (the observed one among them) and p is exact: the share at least as
    extreme as the observed one. Else p is (at least as extreme + 1) / (permutations + 1) over
    seeded redraws, at least 1 / (permutations + 1)."""
    nan = [float("nan")] * (len(arms) - 1)
    if permutations <= 0:
        return nan, nan, 0, ""
    check_seed(seed)
    codes = pd.Index(units["unit_id"]).get_indexer(data[cluster])
    strat_codes = pd.factorize(data[stratum])[0] if stratum else np.zeros(len(data), int)
    y_dm = y - pd.Series(y).groupby(strat_codes).transform("mean").to_numpy()
    observed = np.abs(params) - 1e-12
    if exact and assignment_count(units, len(arms)) <= permutations:
        drawn = all_assignments(units, arms)
        coefs = np.abs([_arm_coefficients(y_dm, d[codes], strat_codes, arms) for d in drawn])
        at_least = (coefs >= observed).sum(axis=0)
        floor = (coefs >= coefs.max(axis=0) - 1e-12).sum(axis=0)
        return (at_least / len(drawn)).tolist(), (floor / len(drawn)).tolist(), len(drawn), "exact"
    from adaptive.experiment.assign import _deal

    rng = np.random.default_rng(seed)
    extreme = np.zeros(len(arms) - 1)
    for _ in range(permutations):
        drawn = _deal(units, arms, int(rng.integers(2**31)))[codes]
        extreme += np.abs(_arm_coefficients(y_dm, drawn, strat_codes, arms)) >= observed
    floor = [1 / (permutations + 1)] * (len(arms) - 1)
    how = "redraws" if exact else "redraws, dealing order unknown"
    return ((extreme + 1) / (permutations + 1)).tolist(), floor, 0, how


def can_enumerate(assignment: Assignment) -> bool:
    """Whether the enumerated assignments are those `assign._deal` drew from: a stratum's
    extra units go to arms consecutive in the order the arms were given, which a format-1 file
    does not record (arms stored alphabetically). With 2 or 3 arms every set of arms is
    consecutive in any order, so it does not matter; with 4 or more it does."""
    return assignment.order_kept or len(assignment.arm_names) < 4


def _stratum_counts(size: int, n_arms: int) -> list[list[int]]:
    """The units per arm `assign._deal` can give a stratum of `size` units: equal shares, the
    `size % n_arms` extra units to consecutive arms (cyclically) from its random first arm."""
    q, r = divmod(size, n_arms)
    starts = range(n_arms) if r else [0]
    return [[q + ((a - start) % n_arms < r) for a in range(n_arms)] for start in starts]


def assignment_count(units: pd.DataFrame, n_arms: int) -> int:
    """How many distinct assignments of `units` (unit_id, stratum) to `n_arms` arms the
    design draws from, each equally likely: per stratum, the ways to deal its units in each
    of its possible counts (`_stratum_counts`), multiplied over strata."""
    total = 1
    for size in units.groupby("stratum").size().astype(int):
        options = _stratum_counts(size, n_arms)
        ways = math.factorial(size)
        for c in options[0]:
            ways //= math.factorial(c)
        total *= ways * len(options)
    return total


def all_assignments(units: pd.DataFrame, arms: list[str]) -> list[np.ndarray]:
    """Every assignment `assignment_count` counts: (len(units),) arm per unit, row order."""
    per_stratum = []
    for idx in units.groupby("stratum", sort=True).indices.values():
        labels = [
            labelled
            for counts in _stratum_counts(len(idx), len(arms))
            for labelled in _arrangements(len(idx), arms, counts)
        ]
        per_stratum.append((idx, labels))
    out = []
    for choice in itertools.product(*(labels for _, labels in per_stratum)):
        drawn = np.empty(len(units), dtype=object)
        for (idx, _), labels in zip(per_stratum, choice, strict=True):
            drawn[idx] = labels
        out.append(drawn)
    return out


def _arrangements(size: int, arms: list[str], counts: list[int]) -> list[np.ndarray]:
    """Every way to label `size` units with `arms`, `counts[j]` of them arm j."""
    if not arms:
        return [np.empty(0, dtype=object)]
    out = []
    for chosen in itertools.combinations(range(size), counts[0]):
        rest = [i for i in range(size) if i not in set(chosen)]
        for tail in _arrangements(len(rest), arms[1:], counts[1:]):
            labels = np.empty(size, dtype=object)
            labels[list(chosen)] = arms[0]
            labels[rest] = tail
            out.append(labels)
    return out


def _arm_coefficients(y_dm, drawn, strat_codes, arms) -> np.ndarray:
    """The arm coefficients of the fixed-effects regression (Frisch-Waugh: demeaned by stratum)."""
    x = np.column_stack([(drawn == a).astype(float) for a in arms[1:]])
    x_dm = x - pd.DataFrame(x).groupby(strat_codes).transform("mean").to_numpy()
    coef, *_ = np.linalg.lstsq(x_dm, y_dm, rcond=None)
    return coef


def student_outcomes(
    students_start: pd.DataFrame,
    students_end: pd.DataFrame,
    responses: pd.DataFrame,
    grade_skill: np.ndarray,
) -> pd.DataFrame:
    """Per student: normalized_gain and correct_rate (module docstring).

    students_start / students_end : student_id and `mastery` (a list per student in catalog
    skill order, as the job's students table holds it) and `grade`; grade_skill : (S,) the
    grade of each skill; responses : student_id, correct within the window."""

    def mean_grade_level(frame: pd.DataFrame) -> pd.Series:
        m = np.nan_to_num(np.stack(frame["mastery"].to_numpy()).astype(float), nan=0.0)
        target = grade_skill[None, :] == frame["grade"].to_numpy()[:, None]
        value = (m * target).sum(axis=1) / np.maximum(target.sum(axis=1), 1)
        return pd.Series(value, index=frame["student_id"].to_numpy())

    pre = mean_grade_level(students_start)
    post = mean_grade_level(students_end).reindex(pre.index)
    gain = (post - pre) / np.maximum(1.0 - pre, 0.05)
    rate = responses.groupby("student_id")["correct"].mean().reindex(pre.index)
    return pd.DataFrame({"student_id": pre.index, "normalized_gain": gain.to_numpy(),
                         "correct_rate": rate.to_numpy()})  # fmt: skip


def analyze_logs(
    assignment,
    log_dir,
    *,
    start: str,
    end: str,
    data,
    catalog,
    profiles,
    permutations: int = 0,
    seed: int = 0,
    mapping: dict | None = None,
    allow_other_profiles: bool = False,
) -> pd.DataFrame:
    """The experiment's effects from the nightly job's outputs (`students` tables of the nights
    `start` and `end`, ISO 8601 dates) and the response log between them; one row per
    (outcome, arm).

    Refused (one named error) when a night of the window was not served with `assignment`
    (no `arm` column, or arms that disagree with the file), when the profiles, catalog or log
    given are not those the assignment was drawn from and the nights were served from
    (`check_served_inputs`), when the log holds no response between the two nights yet, or
    when more than `MAX_SHARE_OUTSIDE` of the start night's students are in no unit of the
    assignment (`check_share_outside`). `seed`: an integer >= 0 (ArgumentError else). A profiles file of another sha256 than the nights
    recorded is refused unless `allow_other_profiles` (then warned of): the outcome is
    computed from its grades."""
    from adaptive.batch.job import read_profiles
    from adaptive.batch.overrides import class_schools
    from adaptive.curriculum import Catalog
    from adaptive.experiment.assign import (
        Assignment,
        AssignmentError,
        profile_units,
        warn_drawn_by_class_id,
    )

    check_seed(seed)
    a = assignment if isinstance(assignment, Assignment) else Assignment.load(assignment)
    warn_alphabetical_reference(a)
    check_profiles_digest(a, profiles)
    cat = catalog if isinstance(catalog, Catalog) else Catalog.from_json(catalog)
    by_id = read_profiles(profiles) if not isinstance(profiles, dict) else profiles
    warn_drawn_by_class_id(a, class_schools(by_id))
    people = profile_units(by_id)
    start, end = _window(start, end)
    check_served_nights(a, Path(log_dir), start, end)
    nights = [
        _students_table(Path(log_dir), night, flag, a.source)
        for night, flag in ((start, "--start"), (end, "--end"))
    ]
    bounds = night_bounds(Path(log_dir), start, end)
    log = _dated_log(data, bounds[0], mapping)
    check_served_inputs(Path(log_dir), start, end, cat, catalog, by_id, profiles, nights,
                        (data, mapping, log, bounds[0]), allow_other_profiles)  # fmt: skip
    responses = _window_rows(log, start, end, bounds)
    from adaptive.simulation.district import warn_fixed_history  # only where it is read

    warn_fixed_history(log.source, "no arm changed an outcome in it, so these effects")
    grade = people.set_index("student_id")["grade"]
    for frame in nights:
        frame["grade"] = grade.reindex(frame["student_id"]).to_numpy()
    outcomes = student_outcomes(nights[0], nights[1], responses, cat.skill_grades)
    merged = intention_to_treat(outcomes, nights[0], people, a)
    check_share_outside(merged, a, profiles, start)
    merged = merged[merged["arm"] != ""]
    if merged.empty:
        raise AssignmentError(
            f"{a.source}: no student of the logs is in the experiment's "
            f"{_PLURAL[a.unit]}; expected the profiles the assignment was drawn from"
        )
    # a unit is its row of the assignment (a class id may be several schools' classes)
    merged["unit_id"] = a.unit_of(merged["class_id"].to_numpy(), merged["school_id"].to_numpy())
    merged["stratum"] = a.units["stratum"].to_numpy()[merged["unit_id"].to_numpy()]
    design = a.units.assign(unit_id=np.arange(len(a.units)))
    crossovers = count_crossovers(merged, Path(log_dir), _served_nights(Path(log_dir), start, end))
    rows = []
    for outcome in ("normalized_gain", "correct_rate"):
        for e in estimate_effects(merged, outcome, arms=a.arm_names, permutations=permutations,
                                  seed=seed, design=design, exact=can_enumerate(a)):  # fmt: skip
            rows.append({**e.to_dict(), "crossovers": crossovers})
    return pd.DataFrame(rows)


def count_crossovers(merged: pd.DataFrame, log_dir: Path, nights: list[str]) -> int:
    """How many of the analysed students (`merged`: student_id and the arm they are analysed
    in, as assigned: `intention_to_treat`) some night of `nights` served in another arm of the
    experiment (a move after the draw to a class or school of another arm): crossovers, still
    counted in their assigned arm (intention to treat), which dilutes the effect; a count for
    the output, never an id. A night's arm '' (outside the experiment) is no crossover."""
    import pyarrow.parquet as pq

    assigned = merged.drop_duplicates("student_id").set_index("student_id")["arm"]
    crossed = np.zeros(len(assigned), bool)
    for night in nights:
        paths = sorted((log_dir / "students" / f"date={night}").glob("school=*/part-0.parquet"))
        if not paths:
            continue
        served = pd.concat([pq.read_table(p, columns=["student_id", "arm"]).to_pandas()
                            for p in paths], ignore_index=True)  # fmt: skip
        served = served[served["arm"].fillna("") != ""]
        rows = assigned.index.get_indexer(served["student_id"])
        other = (rows >= 0) & (served["arm"].to_numpy(object) != assigned.to_numpy(object)[rows])
        crossed[rows[other]] = True
    return int(crossed.sum())


_PLURAL = {"class": "classes", "school": "schools"}


def warn_alphabetical_reference(assignment: Assignment) -> None:
    """An `ExperimentWarning` naming the reference of a format-1 assignment file: written
    before the arms' order was kept, it holds them in alphabetical order, so the first
    alphabetically is the reference (as every analysis of it took), whichever `--arm` was
    given first when it was drawn."""
    if assignment.order_kept:
        return
    warnings.warn(
        f"{assignment.source} was written by an older adaptive that kept its arms in "
        f"alphabetical order, not the order given to `experiment assign`: the reference is "
        f"{assignment.reference!r} (the first alphabetically); if another arm was meant, "
        "read each effect with its sign reversed (two arms) or compare the means",
        ExperimentWarning,
        stacklevel=3,
    )


def intention_to_treat(
    outcomes: pd.DataFrame, start_night: pd.DataFrame, people: pd.DataFrame, assignment
) -> pd.DataFrame:
    """The outcomes with each student's unit and arm as the start night served them (its
    `students` table: their class and school then), not as the profiles given now say: a
    student who moved class since stays in the arm they were randomized into (intention to
    treat; the profiles moved one into the other arm, and dropped those of a new class). The
    profiles give the grade only. Says how many moved (`ServedInputWarning`)."""
    from adaptive.evaluation.ope.served import ServedInputWarning

    served = start_night[["student_id", "class_id", "school_id"]]
    merged = outcomes.merge(served, on="student_id", how="left").merge(
        people.drop(columns=["class_id", "school_id"], errors="ignore"),
        on="student_id",
        how="left",
    )
    merged[["class_id", "school_id"]] = merged[["class_id", "school_id"]].fillna("")
    merged["arm"] = assignment.arm_of(merged["class_id"], merged["school_id"])
    now = people.set_index("student_id")[["school_id", "class_id"]].reindex(merged["student_id"])
    then = merged[["school_id", "class_id"]].to_numpy()
    moved = int((now["class_id"].notna().to_numpy() & (now.to_numpy() != then).any(axis=1)).sum())
    if moved:
        warnings.warn(
            f"{counted(moved, 'student')} {verb(moved, 'is')} in another class in the "
            "profiles than on the start night: "
            "each is counted in the arm of the class the start night served them in (intention "
            "to treat)",
            ServedInputWarning,
            stacklevel=3,
        )
    return merged


#: The largest share of the start night's students (those with a class, or a school for
#: `--unit school`) that may be in no unit of the assignment: above it `analyze` refuses. A
#: roster updated between the draw and the first night adds some students and classes (new
#: enrolments, a new teacher: a few percent, rarely a tenth), analysed without them; when more
#: than a quarter are outside, the assignment does not describe the district the nights served
#: (drawn from another district's or last year's roster, whose class ids only partly match),
#: and an effect over the classes that happen to match reads as the experiment's.
MAX_SHARE_OUTSIDE = 0.25


def check_share_outside(merged: pd.DataFrame, assignment: Assignment, profiles, start: str) -> None:
    """AssignmentError when more than `MAX_SHARE_OUTSIDE` of the start night's students with a
    class (school) are in none of the assignment's; an `ExperimentWarning` counting them when
    some are (left out of the effects). `merged`: one row per student, with the start night's
    class_id and school_id and the arm they give ("" outside). Counts, never an id. Students
    the night served without a unit (no profile: the job's school 'unassigned', class '') are
    in no experiment's unit by construction, not a sign of another roster: they are left out
    and counted apart (`_say_without_unit`), as a district-wide night served a pilot's log."""
    fields = list(assignment.key_fields)
    unit = merged[fields[-1]].fillna("").astype(str)
    served_in = merged["school_id"].fillna("").astype(str)
    without = (unit == "") | served_in.isin(["", UNASSIGNED_SCHOOL]).to_numpy()
    _say_without_unit(int(without.sum()), assignment.unit, start)
    placed = merged[~without]
    outside = placed[placed["arm"] == ""]
    if outside.empty:
        return
    plural = _PLURAL[assignment.unit]
    share = len(outside) / len(placed)
    n_out, n_placed = (len(frame.drop_duplicates(fields)) for frame in (outside, placed))
    said = (
        f"{len(outside):,} of the {len(placed):,} students of the start night {start} "
        f"({n_out:,} of {n_placed:,} {plural}) "
        f"{verb(len(outside), 'is')} in no "
        f"{assignment.unit} of {assignment.source}"
    )
    if share > MAX_SHARE_OUTSIDE:
        from adaptive.experiment.assign import AssignmentError

        raise AssignmentError(
            f"{said} ({share:.0%}, more than {MAX_SHARE_OUTSIDE:.0%})"
            f"{_drawn_from(assignment, profiles)}; expected the assignment of the roster these "
            f"nights served (a roster updated since the draw leaves out a few new students, "
            "not this many): an assignment drawn from another district's or last year's "
            "roster? Analyse with the assignment the nights were meant to serve, or draw one "
            "from this roster before the next experiment"
        )
    warnings.warn(
        f"{said} ({share:.0%}; new since the draw?): they are left out of the effects",
        ExperimentWarning,
        stacklevel=3,
    )


def _say_without_unit(n: int, unit: str, start: str) -> None:
    """The `ExperimentWarning` counting the start night's students served without a `unit`
    (no profile, so in school 'unassigned'; or a profile without one): not in the experiment,
    left out of the effects. Nothing when there are none."""
    if not n:
        return
    warnings.warn(
        f"{counted(n, 'student')} of the start night {start} {verb(n, 'was')} served without "
        f"a {unit} (no profile: school '{UNASSIGNED_SCHOOL}'; or a profile without one): not in "
        "the experiment, left out of the effects",
        ExperimentWarning,
        stacklevel=4,
    )


def _drawn_from(assignment: Assignment, profiles) -> str:
    """ ", drawn from other profiles than --profiles (sha256 ... and ...)" when the assignment's
    `profiles_sha256` is not the file's; "" when they match or cannot be compared."""
    from adaptive.files import file_sha256

    if not assignment.profiles_sha256 or not isinstance(profiles, str | Path):
        return ""
    given = file_sha256(profiles)
    if given == assignment.profiles_sha256:
        return ""
    return (
        f", drawn from other profiles than --profiles {profiles} (its profiles_sha256 "
        f"{assignment.profiles_sha256[:12]}..., the file's {given[:12]}...)"
    )


def _window(start: str, end: str) -> tuple[str, str]:
    """`start` and `end` as ISO days, `start` before `end`: the outcomes are measured between
    two served nights (mastery on each, the responses between them), so a single night has
    none yet."""
    start, end = iso_day(start, "--start"), iso_day(end, "--end")
    if start == end:
        raise ConfigError(
            f"--start {start} --end {end}: the same night; expected --end a later served night: "
            "the outcomes are the change in mastery between two served nights and the "
            "responses between them, so an experiment can be analysed from its second night on"
        )
    if start > end:
        raise ConfigError(f"--start {start} --end {end}: expected start before end")
    return start, end


def check_profiles_digest(assignment: Assignment, profiles) -> None:
    """A warning when the profiles file given is not the one the assignment was drawn from (its
    sha256 differs from the file's `profiles_sha256`): a roster changes over a semester (new
    students, moves), so the classes each night served its students in are what decides
    (`check_served_inputs`: another district's profiles are refused there). Not checked for
    profiles in memory, or an assignment drawn from them: no digest to compare."""
    from adaptive.evaluation.ope.served import ServedInputWarning
    from adaptive.files import file_sha256

    if not assignment.profiles_sha256 or not isinstance(profiles, str | Path):
        return
    given = file_sha256(profiles)
    if given != assignment.profiles_sha256:
        warnings.warn(
            f"--profiles {profiles}: not the file {assignment.source} was drawn from (its "
            f"sha256 is {given[:16]}..., the assignment's 'profiles_sha256' is "
            f"{assignment.profiles_sha256[:16]}...): a roster exported before or after the "
            "draw? The classes the nights served each student in are compared with it instead",
            ServedInputWarning,
            stacklevel=2,
        )


def check_served_inputs(
    log_dir: Path,
    start: str,
    end: str,
    catalog,
    catalog_source,
    by_id: dict,
    profiles_source,
    nights: list[pd.DataFrame],
    log_given: tuple,
    allow_other_profiles: bool = False,
) -> None:
    """ServedInputError (`evaluation.ope.served`) when the catalog or the response log differ
    from what the window's nights recorded in their snapshots (`LOG/state`), or when the
    profiles put a student of the first or last night in another class or school than the
    night served them in, or when the log's students are almost none of the nights' (another
    district's export: `check_log_students`, before the rows are counted). `nights`: the
    students tables of `start` and `end`; `log_given`: (data, mapping, the log as `_dated_log`
    read it, from where the night `start` began: ns). A profiles file of another sha256 than
    the night `start` recorded: `served.check_profiles_recorded` (refused unless
    `allow_other_profiles`)."""
    from adaptive.evaluation.ope.served import (
        check_catalog,
        check_log,
        check_log_students,
        check_profiles,
        check_profiles_recorded,
        check_recorded_digests,
        recorded_profiles,
        snapshot_metas,
    )

    if not isinstance(catalog_source, str | Path):
        catalog_source = "<catalog>"
    state_dir = log_dir / "state"
    served = _served_nights(log_dir, start, end)
    metas = snapshot_metas(state_dir, served)
    check_catalog(catalog, catalog_source, metas, state_dir)
    check_recorded_digests(log_dir, served, catalog, catalog_source)
    source = profiles_source if isinstance(profiles_source, str | Path) else "<profiles>"
    for night, frame in zip((start, end), nights, strict=True):
        served_from = recorded_profiles(log_dir, night)
        check_profiles(frame, by_id, source, f"students of the night {night}", served_from)
    # the start night's file alone: the grades the outcome starts from (a roster updated
    # later in the window is a semester's, not a mistake)
    check_profiles_recorded(profiles_source, log_dir, [start], PROFILES_USE, allow_other_profiles)
    data, mapping, log, since = log_given
    students = pd.concat([frame["student_id"] for frame in nights], ignore_index=True)
    check_log_students(log, since, students, catalog, str(log.source), data, mapping)
    check_log(data, mapping, log, metas, state_dir, str(log.source))


#: What `experiment analyze` computes from the profiles: why a file other than the nights' biases it
PROFILES_USE = (
    "normalized_gain is computed from these profiles' grades (each student's grade-level "
    "skills), not the grades the start night served"
)


def window_responses(
    data, start: str, end: str, mapping: dict | None = None, log_dir: str | Path | None = None
) -> pd.DataFrame:
    """student_id and correct of the log's responses dated from the night `start` to before the
    night `end` (what the job had not yet seen on `start` and had seen on `end`): from each
    night's cutoff as its snapshot in `log_dir`/state records it (the district's midnight,
    `batch --timezone`), else midnight UTC.

    ConfigError when the log is not dated or holds no response in that window."""
    bounds = night_bounds(Path(log_dir), start, end) if log_dir is not None else None
    return _window_rows(_dated_log(data, bounds[0] if bounds else None, mapping, start), start,
                        end, bounds)  # fmt: skip


def night_bounds(log_dir: Path, start: str, end: str) -> tuple[int, int]:
    """(ns, ns) where the nights `start` and `end` began: their snapshots' cutoffs (the
    district's midnights), else midnight UTC (`ope.logs.night_start_ns`)."""
    from adaptive.evaluation.ope.logs import night_start_ns
    from adaptive.evaluation.ope.served import snapshot_metas

    metas = snapshot_metas(log_dir / "state", [start, end])
    lo, hi = night_start_ns(pd.Series([start, end]), metas).tolist()
    return lo, hi


def _dated_log(data, since: int | None, mapping: dict | None, start: str | None = None):
    """The response log from `since` (ns; the night `start`'s midnight UTC when None) on (a
    Parquet log with timestamps; others are read in full). ConfigError when its responses are
    not dated."""
    from adaptive.data import load_log_report, warn_notes

    if since is None:
        since = pd.Timestamp(start, tz="UTC").value
    log, report = load_log_report(data, mapping, since=since)
    warn_notes(report)
    if not log.has_timestamps:
        raise ConfigError(
            f"--data {log.source}: the responses have an 'order' but no 'timestamp'; expected "
            "dated responses, to tell which fall between the experiment's nights"
        )
    return log


def _window_rows(log, start: str, end: str, bounds: tuple[int, int] | None = None) -> pd.DataFrame:
    """student_id and correct of `log`'s responses from the night `start` to before `end`
    (`bounds`: where they began, `night_bounds`; midnight UTC without), as `window_responses`
    reads them; ConfigError when there are none."""
    lo, hi = bounds or tuple(pd.Timestamp(d, tz="UTC").value for d in (start, end))
    time = log.time
    window = (time >= lo) & (time < hi)
    if not window.any():
        raise ConfigError(
            f"--data {log.source}: no responses between {start} and {end} yet"
            f"{_after_start(time, lo)}; expected the students' responses after the first "
            "night (the outcomes): analyse once they have answered, or check --data and --start"
        )
    return pd.DataFrame({"student_id": log.students.to_numpy()[log.student[window]],
                         "correct": log.correct[window]})  # fmt: skip


def _after_start(time: np.ndarray, lo: int) -> str:
    """What the log holds from `lo` (the first night) on, for the message: none, or the day of
    its first response (then after the window). Older responses are not named: a Parquet log
    is read from `lo` on only."""
    later = time[time >= lo]
    if not len(later):
        return f" (none dated on or after {pd.Timestamp(lo, tz='UTC').date().isoformat()})"
    return f" (the log's next response is dated {pd.Timestamp(int(later.min()), tz='UTC').date()})"


def check_served_nights(assignment: Assignment, log_dir: Path, start: str, end: str) -> None:
    """Every night the job served from `start` to `end` (both included) was served with
    `assignment`: its students output has an `arm` column and each student's arm is the one
    the file gives their class (or school). AssignmentError naming the night otherwise."""
    for night in _served_nights(log_dir, start, end):
        served = _served_arms(assignment, log_dir, night)
        _check_arms_agree(assignment, served, log_dir / "students" / f"date={night}", night)
        _check_served_file(assignment, log_dir, night)


def _check_served_file(assignment: Assignment, log_dir: Path, night: str) -> None:
    """The night's `_SUCCESS.json` names the assignment it served (its sha256): another one (a
    re-issued file with the same arms per class but edited policies) is an AssignmentError. A
    night served before the job recorded it is checked by its arms alone."""
    from adaptive.batch.partition import OUTPUT_TABLES
    from adaptive.batch.writer import date_listing
    from adaptive.experiment.assign import AssignmentError

    listing = date_listing(log_dir, OUTPUT_TABLES, night) or {}
    served = listing.get("experiment")
    if served is not None and served != assignment.sha256:
        raise AssignmentError(
            f"the night {night} was served with another assignment (sha256 {served[:12]}...) "
            f"than {assignment.source} ({assignment.sha256[:12]}...): the same arms per class "
            "maybe, but other policies or another draw; expected the file that night served"
        )


def _served_nights(log_dir: Path, start: str, end: str) -> list[str]:
    """The nights with a students output in `log_dir`, from `start` to `end` (both included)."""
    folders = (log_dir / "students").glob("date=*")
    nights = sorted(f.name.removeprefix("date=") for f in folders if f.is_dir())
    return [night for night in nights if start <= night <= end]


def _served_arms(assignment: Assignment, log_dir: Path, night: str) -> pd.DataFrame:
    """class_id, school_id, arm and students (how many were served that combination) on
    `night`, one row per distinct combination. AssignmentError when a school's output has no
    `arm` column: that night was served without an experiment."""
    from adaptive.experiment.assign import AssignmentError
    from adaptive.experiment.serve import file_has_arms

    columns = ["class_id", "school_id", "arm"]
    frames = []
    for path in sorted((log_dir / "students" / f"date={night}").glob("school=*/part-0.parquet")):
        if not file_has_arms(path):
            raise AssignmentError(
                f"{path}: the night {night} was served without an experiment (its students "
                f"output has no arms in its 'arm' column); expected the nights from --start to --end served "
                f"with this assignment (`adaptive batch --experiment {assignment.source}`)"
            )
        frames.append(pd.read_parquet(path, columns=columns))
    if not frames:
        return pd.DataFrame(columns=[*columns, "students"])
    served = pd.concat(frames, ignore_index=True).fillna("")
    return served.groupby(columns, sort=False).size().rename("students").reset_index()


def _check_arms_agree(
    assignment: Assignment, served: pd.DataFrame, folder: Path, night: str
) -> None:
    """AssignmentError when a class (or school) was served another arm than `assignment`
    gives it; the message counts them and names one (units only: never a student id)."""
    from adaptive.experiment.assign import AssignmentError

    expected = assignment.arm_of(served["class_id"].to_numpy(), served["school_id"].to_numpy())
    wrong = served["arm"].to_numpy(dtype=object) != expected
    if not wrong.any():
        return
    fields = list(assignment.key_fields)
    n_wrong = len(served.loc[wrong].drop_duplicates(fields))
    arms_served = served.groupby(fields)["arm"].transform("nunique").to_numpy()
    mixed = served[wrong & (arms_served > 1)]
    if len(mixed):  # a unit served several arms: the nights were randomized otherwise
        said = _served_several(assignment, served, mixed.iloc[0])
    else:
        example = served.loc[wrong].iloc[0]
        assigned = expected[np.flatnonzero(wrong)[0]]
        said = (
            f"{_unit_words(assignment, example)}: served {_arm_text(example['arm'])}, assigned "
            f"{_arm_text(assigned)}"
        )
    raise AssignmentError(
        f"{folder}: the arms served on the night {night} disagree with {assignment.source} for "
        f"{n_wrong} of {len(served.drop_duplicates(fields))} {_PLURAL[assignment.unit]} (e.g. "
        f"{said}); "
        "expected the assignment these nights were served with "
        "(`adaptive batch --experiment FILE`)"
    )


def _unit_words(assignment: Assignment, row: pd.Series) -> str:
    """A served row's unit as a message names it: "school 'sch1'", "class 'c1'", or "class
    'Room g4A' of school 'sch1'" where the assignment has that class id at several schools (a
    class unit is its school and class id; `batch.overrides.class_words`)."""
    fields = assignment.key_fields
    shared = len(fields) == 2 and (assignment.units["unit_id"] == row["class_id"]).sum() > 1
    of = f" of school {row['school_id']!r}" if shared else ""
    return f"{assignment.unit} {row[fields[-1]]!r}{of}"


def _served_several(assignment: Assignment, served: pd.DataFrame, example: pd.Series) -> str:
    """What a message says of the unit of the assignment of the served row `example` that the
    night served more than one arm: the arms with their students, and, for a school whose
    classes were each served one arm, that the nights were randomized by class (counts only:
    never a student id)."""
    fields = list(assignment.key_fields)
    rows = served[(served[fields] == example[fields]).all(axis=1)]
    counts = rows.groupby("arm", sort=False)["students"].sum()
    arms = ", ".join(
        f"{_arm_text(arm)} to {counted(int(n), 'student')}" for arm, n in counts.items()
    )
    several = "both arms" if len(counts) == 2 else f"{len(counts)} arms"
    said = f"{_unit_words(assignment, example)} was served {several} ({arms})"
    if assignment.unit == "school" and (rows.groupby("class_id")["arm"].nunique() == 1).all():
        return f"{said}: the nights were randomized by class, {assignment.source} by school"
    return said


def _arm_text(arm: str) -> str:
    """An arm as a message names it: quoted, or 'no arm' for a unit outside the experiment."""
    return repr(arm) if arm else "no arm"


def _students_table(
    log_dir: Path, night: str, flag: str = "--start", assignment: str = "FILE"
) -> pd.DataFrame:
    """student_id, class_id, school_id and per-skill mastery lists of one night's `students`
    output. A night the folder lacks (`flag`: the option that gave it) is an AssignmentError
    listing the folder's complete nights, in `adaptive report`'s words (a date typed a day off
    is then plain to see); so is a night killed mid-run (no `_SUCCESS.json`), whose partial
    outputs hold only the schools written before the kill."""
    from adaptive.batch.writer import complete_dates, complete_nights_hint
    from adaptive.experiment.assign import AssignmentError

    folder = log_dir / "students" / f"date={night}"
    paths = sorted(folder.glob("school=*/part-0.parquet"))
    hint = complete_nights_hint(log_dir, night, f" --experiment {assignment}")
    if not paths:
        raise AssignmentError(
            f"{flag} {night}: {log_dir} holds no students output for that night ({folder}); " + hint
        )
    if night not in complete_dates(log_dir):
        raise AssignmentError(
            f"{flag} {night}: the night did not finish in {log_dir} (partial outputs, no "
            "_SUCCESS.json: a killed run?): serve it again with the same options, it resumes; "
            + hint
        )
    columns = ["student_id", "class_id", "school_id", "mastery"]
    return pd.concat([pd.read_parquet(p, columns=columns) for p in paths],
                     ignore_index=True)  # fmt: skip
