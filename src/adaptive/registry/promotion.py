"""Promotion: move the `champion` alias only to a model that is better on the same students.

The rule (`promote`): score the candidate version and the current champion on the same held-out
students (`holdout.py`, never used for training). Promote when the held-out students establish
that the candidate beats the champion by at least `margin` on `metric` (default AUC): the lower
end of the 95% interval of the improvement, from a paired bootstrap over those students
(`Improvement`), reaches the margin; and its calibration error (ECE) is not worse by more than
`calibration_tolerance`. With no champion yet, the candidate must pass a minimum bar: AUC at
least `min_auc` and a log-loss established below the constant base-rate predictor's. Every decision, both
evaluations and the reason are logged as an MLflow run and as tags on the candidate version;
the decision itself (`decision` on the run, `promotion.decision` on the version) is written
last, once the alias moved: a version tagged "promoted" became champion, and a promote that
failed or was refused leaves none (one that failed after moving the alias to its candidate moves
it on, to the best contender left or back, `Contender.leave`). The version a promote made
champion is also tagged `promotion.was_champion` (`WAS_CHAMPION`), which no later decision
changes: a former champion scored again, and rejected, is still one `rollback` returns to.

Before comparing, the two models' skills are set side by side (`SkillOverlap`): a candidate
fitted on another catalog, another district's log or columns mapped otherwise (`--skill-col` /
`--item-col` swapped) shares few of the champion's skills, and on its data the champion predicts
from its defaults: such a "comparison" promoted a model the next night could not use. It is
refused (`ConfigError`), unless `new_skills=True` (`--new-skills`) asks on purpose to replace
the champion with a model of a new catalog, which must then pass the first champion's bar. A
catalog that grew a few skills compares as usual, with a `CoverageWarning` giving the counts.

On a local store, promotions of one model are serialized by a lock (`lock.py`). Through a
server they converge (`Contender`): a candidate that passed the gate is tagged so with its
metric (`Gate`) before the alias moves; the alias then goes to the best contender of the round
(a version that passed the same gate: the same champion beaten, metric and held-out students,
in a promote still running or that ended promoted in the last `ROUND_S` seconds), and is read
again until it is on the best one seen, so two promotes at once end with the better candidate
champion whichever writes last; the other's decision is "superseded". A promote that ends any
other way (withdrawn, failed) takes its candidate out of the round at once, so that no later
promote makes it champion. When the champion moved to anything else since it was read (a
rollback, the MLflow UI, a promote that beat another champion), nothing moves
(`ChampionChangedError`).
"""

from __future__ import annotations

import json
import math
import numbers
import time
import warnings
from collections.abc import Collection
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from adaptive.data.log import ResponseLog
from adaptive.errors import (
    AdaptiveError,
    ConfigError,
    CoverageWarning,
    DataValidationError,
    Problem,
    counted,
    share_words,
    verb,
)
from adaptive.evaluation import compute_metrics, paired_bootstrap
from adaptive.evaluation.metrics import paired_interval
from adaptive.registry.fingerprint import data_fingerprint, log_sha256
from adaptive.registry.holdout import (
    HOLDOUT_FRACTION,
    HOLDOUT_RULE,
    TEXT_RULE,
    holdout_mask,
    split_holdout,
    version_rule,
)
from adaptive.registry.loading import load_version
from adaptive.registry.lock import model_lock
from adaptive.registry.store import (
    CHAMPION_ALIAS,
    display_uri,
    experiment_id,
    is_not_found,
    registered_name_hint,
    tracking,
    unregistered_note,
)
from adaptive.registry.tracking import DATA_TAG, MAPPING_TAG, QUARANTINED_TAG, resolve_log
from adaptive.tracing.base import KnowledgeTracer, Untraced

PROMOTION_EXPERIMENT = "adaptive-promotion"
#: Metrics a promotion may be decided on; True when higher is better.
HIGHER_IS_BETTER: dict[str, bool] = {"auc": True, "accuracy": True, "rmse": False, "logloss": False}
#: A candidate that knows fewer than this share of the champion's skills was fitted on another
#: skill vocabulary (another catalog or district, or --skill-col / --item-col swapped): a retrain
#: on a new month keeps nearly all of them (a district's September and October models shared 90
#: of 92), a catalog that grew adds a few; the trial's foreign candidates shared none.
MIN_SHARED_SKILLS = 0.5
#: A model that knows the skills of fewer than this share of the promotion data's responses
#: predicts most of them from its defaults (the population prior): its score there says little
#: of what it learned, and comparing it is no comparison.
MIN_COVERED_RESPONSES = 0.5
#: The version tag set, to the promote's run id, when a promote makes the version champion; no
#: later decision removes it (a re-evaluation rewrites `promotion.decision`): `rollback` checks it.
WAS_CHAMPION = "promotion.was_champion"


class ChampionChangedError(AdaptiveError):
    """The champion alias moved while a promote or rollback ran: nothing was moved."""


def covered_share(skills: pd.Index | list[str], log: ResponseLog) -> float:
    """The share of `log`'s responses all of whose skills are among `skills` (a model's fitted
    skills, `skills_`): the others a model predicts from its defaults."""
    if not len(log):
        return 0.0
    known = log.skills.astype(str).isin(pd.Index(skills).astype(str))
    rows, codes = log.exploded()
    blind = np.bincount(rows[~known[codes]], minlength=len(log))
    return float(np.mean(blind == 0))


@dataclass(frozen=True)
class SkillOverlap:
    """The candidate's and the champion's fitted skills side by side, and how much of the
    promotion data (its held-out responses) each knows the skills of."""

    candidate_version: str
    champion_version: str | None
    candidate_skills: int
    champion_skills: int
    shared_skills: int
    responses: int
    candidate_covered: float
    champion_covered: float | None
    new_skills: tuple[str, ...] = ()  # the candidate's skills the champion lacks, sorted

    @classmethod
    def measure(
        cls,
        held: ResponseLog,
        *,
        candidate: KnowledgeTracer,
        candidate_version: str,
        champion: KnowledgeTracer | None,
        champion_version: str | None,
    ) -> SkillOverlap:
        """The overlap of version `candidate_version`'s model `candidate` with the champion's
        (None, None: no champion yet), on the held-out responses `held`."""
        mine = pd.Index(candidate.skills_).astype(str)
        theirs = pd.Index([] if champion is None else champion.skills_).astype(str)
        return cls(
            str(candidate_version),
            None if champion_version is None else str(champion_version),
            len(mine),
            len(theirs),
            int(theirs.isin(mine).sum()),
            len(held),
            covered_share(mine, held),
            None if champion is None else covered_share(theirs, held),
            tuple(sorted(mine.difference(theirs))) if champion is not None else (),
        )

    @property
    def same_skills(self) -> bool:
        return self.shared_skills == self.candidate_skills == self.champion_skills

    @property
    def other_vocabulary(self) -> bool:
        """The champion and the candidate were fitted on different skill vocabularies: the
        candidate knows few of the champion's skills, or the champion little of the data."""
        if self.champion_covered is None:
            return False
        return (
            self.shared_skills < MIN_SHARED_SKILLS * self.champion_skills
            or self.champion_covered < MIN_COVERED_RESPONSES
        )

    @property
    def candidate_blind(self) -> bool:
        """The candidate knows the skills of little of the promotion data."""
        return self.candidate_covered < MIN_COVERED_RESPONSES

    def new_skills_hint(self) -> str:
        """For a candidate not promoted that knows skills the champion does not (retrained for
        a new catalog version whose new skills have no answers yet: the same AUC), how to
        promote it all the same; "" when it knows none. It names them: the warning (`str`)
        counts them."""
        if not self.new_skills:
            return ""
        shown = ", ".join(repr(s) for s in self.new_skills[:3])
        more = " ..." if len(self.new_skills) > 3 else ""
        return (
            f"; the candidate's new skills ({shown}{more}) may have no answers yet: retrained "
            "for a new catalog version? `--margin 0` promotes a candidate as good as the champion"
        )

    def __str__(self) -> str:
        new = len(self.new_skills)
        missing = self.champion_skills - self.shared_skills
        shared = (
            "they share none"
            if not self.shared_skills
            else f"they share {self.shared_skills:,} ({new:,} new in the candidate, {missing:,} "
            "of the champion's missing from it)"
        )
        return (
            f"the candidate v{self.candidate_version} was fitted on "
            f"{counted(self.candidate_skills, 'skill')} and the champion "
            f"v{self.champion_version} on {self.champion_skills:,}, {shared}; the champion "
            f"knows the skills of {share_words(self.champion_covered or 0.0)} of the promotion "
            f"data's {self.responses:,} held-out responses, the candidate of "
            f"{share_words(self.candidate_covered)}"
        )


@dataclass(frozen=True)
class Improvement:
    """How much better the candidate is than another predictor (the champion, or the constant
    base rate) on one metric, on the same held-out responses: the point estimate (positive =
    better) and its 95% interval from a paired bootstrap over the held-out students
    (`adaptive.evaluation.paired_bootstrap`: students drawn with replacement, the same draws
    for both predictors, seeded; the interval is `paired_interval`'s, as `evaluate`'s: NaN
    where no draw could be scored, which no gate passes)."""

    metric: str
    estimate: float
    low: float
    high: float
    students: int
    replicates: int

    @classmethod
    def measure(
        cls,
        metric: str,
        y: np.ndarray,
        candidate: np.ndarray,
        other: np.ndarray,
        students: np.ndarray,
        *,
        replicates: int,
        seed: int,
        estimate: float,
    ) -> Improvement:
        """The improvement of predictions `candidate` over `other` of answers `y` by student
        code `students`; `estimate` is the point estimate already computed (`compute_metrics`)."""
        sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
        reps = sign * paired_bootstrap(y, candidate, other, students, metric, replicates, seed)
        estimate, low, high = paired_interval(estimate, reps)
        return cls(metric, estimate, low, high, int(len(np.unique(students))), replicates)

    def __str__(self) -> str:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return (
                f"not measurable: no draw of the {counted(self.students, 'held-out student')} "
                f"could be scored on {self.metric}"
            )
        return (
            f"{self.estimate:+.4f}, 95% interval {self.low:+.4f} to {self.high:+.4f} over "
            f"{counted(self.students, 'held-out student')}"
        )


def _number(value: object) -> bool:
    """A real number that is not NaN (NaN compared False with every bound and passed the
    rule's checks) nor a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value


#: Each value of a rule, what it must be, and the check (`PromotionRule.__post_init__`).
RULE_VALUES = (
    ("margin", "a number >= 0", lambda v: _number(v) and v >= 0),
    (
        "calibration_tolerance",
        "a number >= 0 (inf: no calibration check)",
        lambda v: _number(v) and v >= 0,
    ),
    ("min_auc", "a number in [0, 1]", lambda v: _number(v) and 0 <= v <= 1),
    (
        "replicates",
        "a whole number >= 100 for a 95% interval (1,000 by default)",
        lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 100,
    ),
)


@dataclass(frozen=True)
class PromotionRule:
    """When a candidate replaces the champion (see the module docstring).

    A difference counts only where the held-out students establish it: the lower end of the
    95% paired-bootstrap interval of the improvement (`Improvement`, `replicates` draws of
    the students, `seed`) must reach `margin`; against the champion on `metric`, and for a
    first champion, its log-loss below the constant base-rate predictor's (lower end above 0).
    `min_auc` is a floor on the point estimate, and so is the calibration tolerance.

    A candidate not promoted on `metric` is "worse" only where the whole interval is below 0
    (the students establish it is worse); an interval that reaches 0, or lies above 0 with its
    lower end short of the margin, is "not established", whatever the point estimate's sign."""

    metric: str = "auc"
    margin: float = 0.001
    calibration_tolerance: float = 0.01
    min_auc: float = 0.55
    replicates: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.metric not in HIGHER_IS_BETTER:
            raise ConfigError(
                f"promotion metric {self.metric!r}; expected one of {sorted(HIGHER_IS_BETTER)}"
            )
        wrong = [
            f"{name} = {getattr(self, name)!r} (expected {expected})"
            for name, expected, good in RULE_VALUES
            if not good(getattr(self, name))
        ]
        if wrong:  # "margin and calibration tolerance must be >= 0" named neither, nor its value
            raise ConfigError(f"promotion rule: {'; '.join(wrong)}")

    def improvement(self, candidate: dict[str, float], champion: dict[str, float]) -> float:
        """How much better the candidate is on the metric (positive = better)."""
        sign = 1.0 if HIGHER_IS_BETTER[self.metric] else -1.0
        return sign * (candidate[self.metric] - champion[self.metric]) + 0.0  # never "-0.0000"

    def below_bar(
        self, candidate: dict[str, float], baseline_logloss: float, over_constant: Improvement
    ) -> str | None:
        """Why the candidate is below the minimum bar of a first champion; None if it passes.
        `over_constant`: its log-loss improvement over the constant predictor."""
        if not candidate["auc"] >= self.min_auc:
            return f"below the minimum bar: AUC {candidate['auc']:.4f} < {self.min_auc}"
        if not over_constant.low > 0:
            return (
                f"below the minimum bar: log-loss {candidate['logloss']:.4f} is not established "
                f"below the constant predictor's {baseline_logloss:.4f} (improvement "
                f"{over_constant}: its lower end is not above 0)"
            )
        return None

    def bar_met(
        self, candidate: dict[str, float], baseline_logloss: float, over_constant: Improvement
    ) -> str:
        """The minimum bar, as the candidate passes it."""
        return (
            f"AUC {candidate['auc']:.4f} >= {self.min_auc} and log-loss "
            f"{candidate['logloss']:.4f} < constant {baseline_logloss:.4f} (improvement "
            f"{over_constant})"
        )

    def decide(
        self,
        candidate: dict[str, float],
        champion: dict[str, float] | None,
        baseline_logloss: float,
        over_constant: Improvement,
        over_champion: Improvement | None = None,
    ) -> tuple[bool, str]:
        """(promote?, reason) for two evaluations on the same held-out students, with the
        candidate's improvements over the constant predictor and over the champion.

        `champion` None: there is no champion yet, and the candidate need only pass the minimum
        bar. With a champion, `over_champion` (its paired bootstrap, `Improvement.measure`) is
        required (TypeError without it): decided as a first champion, a worse candidate replaced
        a better champion."""
        if champion is not None and over_champion is None:
            raise TypeError(
                "PromotionRule.decide: a champion was given without over_champion, the "
                "candidate's improvement over it (Improvement.measure on the same held-out "
                "students); pass it, or champion=None for a first champion"
            )
        below = self.below_bar(candidate, baseline_logloss, over_constant)
        if below is not None and champion is not None and over_champion is not None:
            # said beside the comparison: a trial's worse candidate read only "below the
            # minimum bar", not "worse"
            against = self._against_champion(candidate, champion, over_champion)[1]
            return False, f"{below}; against the champion, {against}"
        if below is not None:
            return False, below
        if champion is None or over_champion is None:
            return (
                True,
                f"first champion: {self.bar_met(candidate, baseline_logloss, over_constant)}",
            )
        return self._against_champion(candidate, champion, over_champion)

    def _against_champion(
        self,
        candidate: dict[str, float],
        champion: dict[str, float],
        over_champion: Improvement,
    ) -> tuple[bool, str]:
        """(better?, reason) of the candidate against the champion on the same students."""
        scores = (
            f"{self.metric} {candidate[self.metric]:.4f} vs champion {champion[self.metric]:.4f}"
        )
        gain = over_champion
        if not (math.isfinite(gain.low) and math.isfinite(gain.high)):  # nothing to read
            return False, f"not established: {scores} (improvement {gain})"
        if gain.high < 0:  # the whole interval below 0: established worse
            return False, (
                f"worse: {scores} (improvement {gain}): its upper end {gain.high:+.4f} is below "
                "0, so these held-out students establish that the candidate is worse"
            )
        if not (gain.low >= self.margin and gain.estimate >= self.margin):
            end, value = (
                ("the lower end", gain.low)
                if gain.low < self.margin
                else ("the point estimate", gain.estimate)
            )
            return False, (
                f"not established: {scores} (improvement {gain}): {end} "
                f"{value:+.4f} is below the margin {self.margin}, so these held-out students "
                "do not establish that the candidate is "
                + (f"better by at least {self.margin}" if self.margin else "at least as good")
            )
        if candidate["ece"] > champion["ece"] + self.calibration_tolerance:
            return False, (
                f"worse calibration: ECE {candidate['ece']:.4f} > champion {champion['ece']:.4f} "
                f"+ tolerance {self.calibration_tolerance}"
            )
        return True, (
            f"better: {scores} (improvement {gain}; lower end {gain.low:+.4f} >= margin "
            f"{self.margin}); ECE {candidate['ece']:.4f} vs {champion['ece']:.4f}, within the "
            f"tolerance {self.calibration_tolerance}"
        )


@dataclass(frozen=True)
class PromotionDecision:
    """The outcome of `promote`, as logged."""

    name: str
    candidate_version: str
    champion_version: str | None
    promoted: bool
    reason: str
    candidate: dict[str, float]
    champion: dict[str, float] | None
    run_id: str
    data_note: str | None = None  # set when the data is not the candidate's training data
    skill_note: str | None = None  # set when the two models' skills differ (also a warning)
    #: set when the champion was trained on another log than the promotion data (`_champion_note`)
    champion_note: str | None = None
    #: set when a version was trained under the earlier holdout rule and it holds other
    #: students out on this data (`_holdout_rules`): compared on fewer students
    holdout_note: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def promote(
    name: str,
    version: str | None = None,
    data: str | Path | ResponseLog | None = None,
    *,
    rule: PromotionRule | None = None,
    mapping: dict | None = None,
    quarantine: Path | None = None,
    holdout_fraction: float = HOLDOUT_FRACTION,
    tracking_uri: str | None = None,
    new_skills: bool = False,
) -> PromotionDecision:
    """Compare version `version` (default: the latest) of `name` with its champion; maybe promote.

    `data` is the log whose held-out students both are scored on (default: the data the candidate
    was trained on, as recorded on its version); where it is not the data the candidate, or the
    champion, was trained on, a warning says so (`data_note`, `champion_note`). A candidate of another skill vocabulary than
    the champion's is refused (`SkillOverlap`), unless `new_skills`: it then replaces the
    champion if it passes the first champion's bar (`rule.min_auc`) on that data.
    """
    rule = rule or PromotionRule()
    with ExitStack() as held:
        client = held.enter_context(tracking(tracking_uri, lookup=f"registered model {name!r}"))
        _version(client, name, version)  # a name or version that is not there: no lock file
        held.enter_context(model_lock(client.tracking_uri, name, action="promote"))
        candidate_mv = _version(client, name, version)
        champion_mv = _champion(client, name)
        _check_holdout_fraction(client, name, holdout_fraction, candidate_mv, champion_mv)
        if data is None:
            _check_one_log_or_data_given(name, candidate_mv, champion_mv)
            data = candidate_mv.tags.get(DATA_TAG)
            if data is None:
                raise ConfigError(
                    f"{name} v{candidate_mv.version}: no recorded data; pass the data to promote on"
                )
            if mapping is None and MAPPING_TAG in candidate_mv.tags:
                mapping = json.loads(candidate_mv.tags[MAPPING_TAG])
            if quarantine is None and candidate_mv.tags.get(QUARANTINED_TAG) == "true":
                raise ConfigError(
                    f"{name} v{candidate_mv.version} was trained on {data} with its bad rows "
                    "set aside (--quarantine): give --quarantine FILE to promote on the same "
                    "rows (or --data with a clean file)"
                )
        log = resolve_log(data, mapping, quarantine)
        log_sha = log_sha256(log)
        rules, holdout_note = _holdout_rules(name, log, holdout_fraction, candidate_mv, champion_mv)
        _, held = split_holdout(log, holdout_fraction, rules)
        data_note = _data_note(candidate_mv, log, log_sha, held)
        if holdout_note and (held.n_students == 0 or held.correct.min() == held.correct.max()):
            raise ConfigError(f"{holdout_note}: too few to compare on")
        if held.n_students == 0 or held.correct.min() == held.correct.max():
            raise _one_kind_of_answer(log, held)
        uri = mlflow.get_tracking_uri()
        same = champion_mv is not None and champion_mv.version == candidate_mv.version
        champion_note = (
            None
            if champion_mv is None or same
            else _champion_note(name, candidate_mv, champion_mv, log_sha, held, data)
        )
        candidate_model = _load(name, candidate_mv.version, uri)
        champion_model = (
            None
            if champion_mv is None
            else candidate_model
            if same
            else _load(name, champion_mv.version, uri)
        )
        overlap = SkillOverlap.measure(
            held,
            candidate=candidate_model,
            candidate_version=candidate_mv.version,
            champion=champion_model,
            champion_version=None if champion_mv is None else champion_mv.version,
        )
        replaces = not same and _check_overlap(overlap, new_skills, rule, log)
        skill_note = None if same else _skill_note(overlap, new_skills)
        if skill_note is not None:
            warnings.warn(skill_note, CoverageWarning, stacklevel=2)
        candidate_p = candidate_model.predict_proba(held, warn_untraced=False)
        candidate = _metrics(held, candidate_p)
        champion_p = (
            None
            if champion_mv is None or replaces or same
            else champion_model.predict_proba(held, warn_untraced=False)
        )
        if skill_note is None or overlap.same_skills:  # else their skills were said above
            scored = [(f"candidate v{candidate_mv.version}", candidate_model)]
            if champion_p is not None:
                scored.append((f"champion v{champion_mv.version}", champion_model))
            found = [(label, model.untraced(held), _fitted(model)) for label, model in scored]
            for note in untraced_notes(len(held), found):
                warnings.warn(note, CoverageWarning, stacklevel=2)
        champion = candidate if same else None if champion_p is None else _metrics(held, champion_p)
        base_rate = float(held.correct.mean())
        constant_p = np.full(len(held), base_rate)
        baseline = compute_metrics(held.correct, constant_p)["logloss"]
        over_constant = over_champion = None
        if not same:  # the bootstrap, only where a decision reads it
            over_constant = Improvement.measure(
                "logloss", held.correct, candidate_p, constant_p, held.student,
                replicates=rule.replicates, seed=rule.seed,
                estimate=baseline - candidate["logloss"],
            )  # fmt: skip
        if champion_p is not None and champion is not None:
            over_champion = Improvement.measure(
                rule.metric, held.correct, candidate_p, champion_p, held.student,
                replicates=rule.replicates, seed=rule.seed,
                estimate=rule.improvement(candidate, champion),
            )  # fmt: skip
        if same:
            promoted, reason = False, f"version {candidate_mv.version} is already the champion"
        elif replaces:
            promoted, reason = _replace_decision(rule, candidate, baseline, over_constant, overlap)
        else:
            promoted, reason = rule.decide(
                candidate, champion, baseline, over_constant, over_champion
            )
            if not promoted and champion is not None:
                reason += overlap.new_skills_hint()
        champion_version = None if champion_mv is None else str(champion_mv.version)
        fingerprint = data_fingerprint(held, data if not isinstance(data, ResponseLog) else None)
        with mlflow.start_run(
            experiment_id=experiment_id(client, PROMOTION_EXPERIMENT),
            run_name=f"promote-{name}-v{candidate_mv.version}",
        ) as run:
            mlflow.log_params(
                {
                    "registered_model": name,
                    "candidate_version": candidate_mv.version,
                    "champion_version": champion_version or "none",
                    **asdict(rule),
                    "holdout_fraction": holdout_fraction,
                    "holdout_rules": "+".join(rules),
                    "new_skills": new_skills,
                    "candidate_skills": overlap.candidate_skills,
                    "champion_skills": overlap.champion_skills,
                    "shared_skills": overlap.shared_skills,
                    **{f"holdout_{k}": v for k, v in fingerprint.items()},
                }
            )
            mlflow.log_metrics(
                {f"candidate_{k}": v for k, v in candidate.items() if math.isfinite(v)}
                | {"candidate_covered": overlap.candidate_covered}
            )
            if champion is not None:
                mlflow.log_metrics(
                    {f"champion_{k}": v for k, v in champion.items() if math.isfinite(v)}
                )
            if overlap.champion_covered is not None:
                mlflow.log_metric("champion_covered", overlap.champion_covered)
            mlflow.log_metric("baseline_logloss", baseline)
            for label, gain in (
                ("improvement", over_champion),
                ("gain_over_constant", over_constant),
            ):
                if gain is not None:  # the point estimate and its 95% interval, where measured
                    values = {label: gain.estimate, f"{label}_low": gain.low,
                              f"{label}_high": gain.high}  # fmt: skip
                    mlflow.log_metrics({k: v for k, v in values.items() if math.isfinite(v)})
            mlflow.set_tags({"adaptive.kind": "promotion", "reason": reason})
        tags = {
            "promotion.reason": reason,
            "promotion.run_id": run.info.run_id,
            "promotion.champion_version": champion_version or "none",
            # the rule decided under (metric, margin, tolerance...), as the run's params say it:
            # a decision on another --metric or tolerance than the last shows on the version
            **{f"promotion.{k}": str(v) for k, v in asdict(rule).items()},
            **{f"promotion.candidate_{k}": f"{v:.6f}" for k, v in candidate.items()},
            **(
                {f"promotion.champion_{k}": f"{v:.6f}" for k, v in champion.items()}
                if champion
                else {}
            ),
            **({"promotion.new_skills": "true"} if replaces and promoted else {}),
            **(
                {
                    f"promotion.improvement{end}": f"{getattr(over_champion, attr):.6f}"
                    for end, attr in (("", "estimate"), ("_low", "low"), ("_high", "high"))
                }
                if over_champion is not None
                else {}
            ),  # fmt: skip
        }
        if same:  # the champion keeps the tags of its own promotion: the registry shows why
            client.set_tag(run.info.run_id, "decision", "rejected")
        else:
            for key, value in tags.items():
                client.set_model_version_tag(name, candidate_mv.version, key, value)
        if promoted:  # passed the gate: a contender of its round
            gate = Gate(champion_version, rule.metric, str(fingerprint["data_sha256"]))
            contender = Contender(
                client,
                name,
                gate,
                str(candidate_mv.version),
                candidate[rule.metric],
                run.info.run_id,
            )
            promoted, reason = contender.compete(reason)
        elif not same:
            _record_decision(client, name, candidate_mv.version, run.info.run_id, "rejected")
    return PromotionDecision(
        name,
        str(candidate_mv.version),
        champion_version,
        promoted,
        reason,
        candidate,
        champion,
        run.info.run_id,
        data_note,
        skill_note,
        champion_note,
        holdout_note,
    )


def _one_kind_of_answer(log: ResponseLog, held: ResponseLog) -> DataValidationError:
    """The error for held-out students who cannot compare two models (no AUC): none at all, or
    answers all right or all wrong. Their number is said as a count, on column 'correct'
    (it is no cell's value: the students' ids are never said)."""
    n = held.n_students
    if n == 0:
        found = "no held-out students"
    else:
        kind = "right (1)" if held.correct.min() == 1 else "wrong (0)"
        found = f"{counted(n, 'held-out student')}, every answer {kind}"
    expected = (
        "held-out students with both correct and wrong answers, to compare the models on; "
        f"found {found}"
    )
    return DataValidationError([Problem(str(log.source), None, "correct", None, expected)])


def _holdout_rules(
    name: str, log: ResponseLog, fraction: float, candidate_mv, champion_mv
) -> tuple[tuple[str, ...], str | None]:
    """The holdout rules the comparison honours, and a note when they hold different students
    out on `log`. A version trained before the student key (`holdout.version_rule`: the hash of
    the id's text) excluded other students from training wherever an id is not in the key's
    form (zero-padded numbers, upper case): scored on the key's held-out students, it would be
    scored on students it trained on. Both rules then apply: the students held out by both,
    which neither model saw, fewer than usual; the note says how many and how to compare on
    all (retrain the older version). Where the rules agree on `log` (ids already in the key's
    form), the comparison is the usual one, without a note."""
    versions = [mv for mv in (candidate_mv, champion_mv) if mv is not None]
    older = [mv for mv in versions if version_rule(mv.tags) == TEXT_RULE]
    if not older:
        return (HOLDOUT_RULE,), None
    by_key = holdout_mask(log.students, fraction, HOLDOUT_RULE)
    by_text = holdout_mask(log.students, fraction, TEXT_RULE)
    differ = int((by_key != by_text).sum())
    if not differ:
        return (HOLDOUT_RULE,), None
    which = " and ".join(f"v{mv.version}" for mv in older)
    specs = sorted({mv.tags.get("adaptive.spec", "SPEC") for mv in older})
    both = int((by_key & by_text).sum())
    return (HOLDOUT_RULE, TEXT_RULE), (
        f"{which} of {name!r} {verb(len(older), 'was')} trained before held-out students were "
        "chosen by the student (their id read without leading zeros of a number or case, "
        "`adaptive.registry.holdout.student_key`), by the text of the id: on this data the two "
        f"rules hold out different students for {counted(differ, 'id')} of "
        f"{len(log.students):,}, so both models are compared only on the "
        f"{counted(both, 'student')} held out by both (never trained on by either); to compare "
        f"on all, retrain {which} with this version (`adaptive train --model "
        f"{'/'.join(specs)} --data ... --name {name}`) and promote the new version"
    )


def _champion(client, name: str):
    """The version behind @champion, None when there is none (yet). A network failure is not
    "no champion": it propagates (`tracking` reports it)."""
    try:
        return client.get_model_version_by_alias(name, CHAMPION_ALIAS)
    except MlflowException as exc:
        if not is_not_found(exc):
            raise
        return None


def _move_champion(
    client, name: str, compared: str | None, version: str, run_id: str, action: str
) -> None:
    """A rollback's move: make `version` the champion, if the champion is still `compared` (the
    version this run read; None: none): `_check_champion_unchanged`, then the move. On a server
    these are two requests: a change landing between them is not seen (a promote converges
    instead, `Contender`; a rollback is an operator's, one at a time)."""
    _check_champion_unchanged(client, name, compared, version, run_id, action)
    client.set_registered_model_alias(name, CHAMPION_ALIAS, version)


def _record_decision(client, name: str, version: str, run_id: str, decision: str) -> None:
    """The decision ("promoted", "rejected", "superseded"), on the run and on the candidate's
    version: written last, once the alias moved, so that "promoted" is never left on a version
    that did not become champion. A promoted version is also tagged `WAS_CHAMPION`, which a
    later decision on it (a re-evaluation, rejected) leaves: `rollback` returns to it."""
    client.set_tag(run_id, "decision", decision)
    if decision == "promoted":
        client.set_model_version_tag(name, version, WAS_CHAMPION, run_id)
    client.set_model_version_tag(name, version, "promotion.decision", decision)


def _withdraw(
    client, name: str, version: str, run_id: str, action: str, message: str
) -> ChampionChangedError:
    """Record a promote's or rollback's decision as "withdrawn" with `message` as the reason
    (on the run; on a promote's candidate version too: a rollback's target keeps its record of
    the promotion it had); returns the error to raise."""
    client.set_tag(run_id, "decision", "withdrawn")
    client.set_tag(run_id, "reason", message)
    if action == "promote":
        client.set_model_version_tag(name, version, "promotion.decision", "withdrawn")
        client.set_model_version_tag(name, version, "promotion.reason", message)
    return ChampionChangedError(message)


def _champion_version(client, name: str) -> str | None:
    """The version behind @champion, as a string; None when there is none (`_champion`)."""
    now = _champion(client, name)
    return None if now is None else str(now.version)


def _expected(
    now: str | None, compared: str | None, contenders: Collection[str], placed: str | None
) -> bool:
    """Whether the champion `now` is where a run left it: the version it read (`compared`;
    None: none), once it moved the alias the version it `placed` it on, or one of `contenders`
    (versions of the same round, `Contender`)."""
    return now == (compared if placed is None else placed) or now in contenders


def _check_champion_unchanged(
    client,
    name: str,
    compared: str | None,
    version: str,
    run_id: str,
    action: str,
    contenders: Collection[str] = (),
    placed: str | None = None,
) -> str | None:
    """Just before the alias moves: the champion must still be where this run left it, or one
    of `contenders` (`_expected`); returns it. When anything else moved it meanwhile (a
    rollback, the MLflow UI, a promote that compared with another champion), moving it now
    would replace a champion this run never compared with: the decision is withdrawn
    (`_withdraw`) and `ChampionChangedError` says to run again. Once this run moved the alias
    off `compared`, finding it back there is such a change: only a rollback, the UI or a
    promote that gave up puts it back."""
    now = _champion_version(client, name)
    if _expected(now, compared, contenders, placed):
        return now
    message = _changed_words(name, compared, placed, now, version, action)
    raise _withdraw(client, name, version, run_id, action, message)


def _changed_words(
    name: str, compared: str | None, placed: str | None, now: str | None, version: str, action: str
) -> str:
    """Why the promote or rollback of `version` is withdrawn: it found the champion on `now`
    (None: removed), neither the version it read (`compared`) nor, once it moved the alias, the
    one it `placed` it on."""
    if placed is not None:  # what it read may be back: say what this run did since
        back = "back " if now == compared else ""
        moved = "removed" if now is None else f"moved {back}to v{now}"
        return (
            f"the champion of {name!r} was {moved} (a rollback, the MLflow UI or a promote that "
            f"gave up) after this {action} moved it to v{placed}; v{version} was not promoted: "
            f"run {action} again"
        )
    was = f"v{compared}" if compared else "none"
    if now is None:
        return (
            f"the champion of {name!r} ({was}) was removed while this {action} ran; v{version} "
            f"was not made champion: run {action} again"
        )
    return (
        f"the champion of {name!r} changed to v{now} while this {action} ran (it read {was}); "
        f"v{version} was not made champion: run {action} again to compare with it"
    )


#: How long a round stays open, in seconds: a contender counts for this long after its promote
#: tagged it (and again after it ended promoted), and a promote gives up moving the alias after
#: half of it; the other half is the margin for clocks that disagree. A promote moves the alias
#: within a second or two; minutes are a server retrying every request.
ROUND_S = 300.0
#: How many times one promote moves the alias before it gives up: each move puts the alias on
#: the best contender seen, so more moves mean contenders keep arriving.
MAX_MOVES = 10


def _lease(seconds: float = ROUND_S) -> str:
    """The time (UTC, ISO 8601) until which a contender tagged now counts."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def _counts(until: str | None, now: datetime) -> bool:
    """Whether a contender tagged to count `until` (`_lease`; "ended", or none: an older
    version's tags) counts at `now`."""
    try:
        return datetime.fromisoformat(str(until)) > now
    except (TypeError, ValueError):  # "ended", none, or a time without its zone
        return False


@dataclass(frozen=True)
class Gate:
    """The gate a promote's candidate passed: the champion it was compared with (None: none
    yet), the metric and the held-out students (their fingerprint). Candidates that passed the
    same gate were scored alike, so their metric values compare: they are a round's contenders,
    each tagged with its value and the time until which it counts (`tags`) before the alias
    moves."""

    against: str | None
    metric: str
    holdout_sha256: str

    TAGS: ClassVar[tuple[str, str, str]] = (
        "promotion.gate",
        "promotion.gate_value",
        "promotion.gate_until",
    )
    ENDED: ClassVar[str] = "ended"  # the `promotion.gate_until` of a contender that counts no more

    @property
    def key(self) -> str:
        return f"{self.prefix(self.against)}{self.metric}; holdout {self.holdout_sha256}"

    @staticmethod
    def prefix(against: str | None) -> str:
        """How the keys of the gates against champion `against` start."""
        return f"against v{against or ' none'}; "

    def tags(self, value: float) -> dict[str, str]:
        """The version tags saying its candidate passed this gate with `value`, counting for
        `ROUND_S` from now."""
        return dict(zip(self.TAGS, (self.key, repr(float(value)), _lease()), strict=True))

    def contenders(self, client, name: str) -> dict[str, float]:
        """version -> metric value of every version of `name` that passed this gate and still
        counts (its promote runs, or ended promoted less than `ROUND_S` ago)."""
        found, now = {}, datetime.now(UTC)
        for mv in client.search_model_versions(f"name = '{name}'"):
            tags = mv.tags or {}
            if tags.get(self.TAGS[0]) == self.key and _counts(tags.get(self.TAGS[2]), now):
                found[str(mv.version)] = float(tags[self.TAGS[1]])
        return found

    @classmethod
    def end(cls, client, name: str, version: str) -> None:
        """Version `version` counts no more as a contender (its gate tags stay, as a record)."""
        client.set_model_version_tag(name, version, cls.TAGS[2], cls.ENDED)

    @classmethod
    def close_rounds(cls, client, name: str, against: str) -> None:
        """A rollback to `against` makes it champion again: the versions that beat it in an
        earlier round (one of them the version rolled back from) are no contenders of the
        next promote against it, whose gate may well be on the same held-out students."""
        for mv in client.search_model_versions(f"name = '{name}'"):
            tags = mv.tags or {}
            ended = tags.get(cls.TAGS[2]) == cls.ENDED
            if tags.get(cls.TAGS[0], "").startswith(cls.prefix(against)) and not ended:
                cls.end(client, name, mv.version)

    def best(self, contenders: dict[str, float]) -> str:
        """The contender with the best value; of equals, the newest version (one order for
        every promote, so that they agree)."""
        sign = 1.0 if HIGHER_IS_BETTER[self.metric] else -1.0
        return max(contenders, key=lambda v: (sign * contenders[v], int(v)))


@dataclass
class Contender:
    """One promote's candidate `version`, which passed `gate` with metric `value`, in its
    round: the promotes of candidates that passed the same gate, running at once through a
    server (MLflow has no compare-and-set; a local store's lock serializes them, `lock.py`).

    A round's contenders are the versions tagged with its gate whose promote is running, or
    ended promoted less than `ROUND_S` ago (`Gate.contenders`). `compete` tags the candidate,
    moves the alias to the best contender (`converge`), and ends: promoted, the candidate
    counts for `ROUND_S` more, for the promotes that overlapped it; any other end (superseded,
    withdrawn, gave up, an error) takes the candidate out at once (`leave`) and settles the
    alias without it: on the best contender still counting, or on the champion compared with
    when none does. So a version becomes champion, and stays so, only through a promote that
    records it "promoted": a failed or withdrawn promote's candidate is never moved to
    afterwards. A promote killed outright (no `finally`) leaves its candidate counting until
    its lease lapses (`ROUND_S`), and the alias where its last move put it.

    Why the alias ends on the best contender: each promote tags its candidate before it reads,
    and every write of the alias, converging or leaving, is made by the one loop `_settle`,
    which reads again after it and stops only when the alias is on the best contender read
    (for a promote leaving, its candidate is none; with none, the champion compared with).
    Take the last write of the alias: its writer reads again afterwards, finds its own write (no
    later one exists) and stops only if that is the best contender then counting (else it
    would write again: not the last). A contender tagged after that read is read by its own
    promote afterwards, with the alias unchanged: were it better, that promote would write, so
    it is not. One that overlapped the last writer and ended promoted still counts for it: the
    writer stops within `ROUND_S` (half converging, half leaving), the other counts `ROUND_S`
    after it ended. One that ended otherwise is out: its own `leave` settles the alias without
    it, and so does the promote that moved the alias there (its next read finds it where it
    `placed` it, no contender). A change by anything else (a rollback, the UI; the champion
    compared with, back after a move) withdraws a promote (`_check_champion_unchanged`), and a
    promote leaving leaves the alias there. The one gap is giving up (`MAX_MOVES` moves or
    `ROUND_S / 2` seconds, contenders that keep arriving): a promote that gives up leaves, and
    one leaving that gives up stops with the alias where its last move put it, on a contender
    or on the champion compared with.
    """

    client: MlflowClient
    name: str
    gate: Gate
    version: str
    value: float
    run_id: str
    placed: str | None = None  # the version this promote last moved the alias to
    left: bool = False  # `leave` ran: the candidate is no contender any more

    def compete(self, reason: str) -> tuple[bool, str]:
        """Tag the candidate, converge and record the decision: (promoted?, reason), the
        reason of a candidate superseded by a better contender amended so."""
        client, name, version = self.client, self.name, self.version
        try:
            for key, tag in self.gate.tags(self.value).items():
                client.set_model_version_tag(name, version, key, tag)
            champion, value = self.converge()
            if champion == version:
                client.set_model_version_tag(name, version, Gate.TAGS[2], _lease())
            else:
                self.leave()
                reason = (
                    f"{reason}; superseded: v{champion} passed the same gate ({self.gate.metric} "
                    f"{value:.4f}) in a promote that ran at the same time, and is champion"
                )
                client.set_model_version_tag(name, version, "promotion.reason", reason)
                client.set_tag(self.run_id, "reason", reason)
            decision = "promoted" if champion == version else "superseded"
            _record_decision(client, name, version, self.run_id, decision)
        except BaseException as exc:  # the error to report; a failure to leave is noted on it
            try:
                self.leave()
            except Exception as failed:  # the server that failed the promote may fail this too
                exc.add_note(
                    f"v{version} could not be taken out of its promotion round ({failed}): it "
                    f"counts as a contender until its lease lapses, {ROUND_S:g} s after it was "
                    "tagged"
                )
            raise
        return decision == "promoted", reason

    def converge(self) -> tuple[str, float]:
        """Settle the alias with the candidate among the contenders (`_settle`): returns the
        best contender, which the alias is on, and its value."""
        best, contenders = self._settle()
        assert best is not None  # the candidate counts: there is a best contender
        return best, contenders[best]

    def leave(self) -> None:
        """End the candidate's part in the round, not promoted: it counts no more, and the
        alias settles without it (`_settle`): on the best contender still counting, else on the
        champion compared with (none: the alias is removed)."""
        if self.left:
            return
        self.left = True
        Gate.end(self.client, self.name, self.version)
        self._settle()

    def _settle(self) -> tuple[str | None, dict[str, float]]:
        """The one loop that writes the alias, converging or leaving. Read the contenders (the
        candidate among them until it `left`) and the alias; when the alias is elsewhere than
        the best contender (none: the champion compared with), move it there and read again,
        until a read finds it there: returns that version and the contenders read. An alias
        that anything else moved withdraws a promote converging (`_check_champion_unchanged`);
        one leaving leaves it there. After `MAX_MOVES` moves or `ROUND_S / 2` seconds, a
        promote converging gives up (it leaves, and is withdrawn); one leaving stops."""
        client, name, gate = self.client, self.name, self.gate
        deadline, moves = time.monotonic() + ROUND_S / 2, 0
        while True:
            contenders = gate.contenders(client, name)
            if self.left:
                contenders.pop(self.version, None)
                now = _champion_version(client, name)
                mine = now == self.version or _expected(now, gate.against, contenders, self.placed)
                if not mine:  # moved by anything else: not this promote's to settle
                    return now, contenders
            else:
                contenders[self.version] = self.value
                now = _check_champion_unchanged(
                    client, name, gate.against, self.version, self.run_id, "promote",
                    contenders, self.placed,
                )  # fmt: skip
            best = gate.best(contenders) if contenders else gate.against
            if now == best:
                return best, contenders
            if moves == MAX_MOVES or time.monotonic() > deadline:
                if self.left:
                    return now, contenders
                self.leave()
                message = (
                    f"the champion of {name!r} did not settle on the best version that passed the "
                    f"same gate as v{self.version} within {MAX_MOVES} moves and {ROUND_S / 2:g} "
                    f"s; v{self.version} was not made champion: run promote again"
                )
                raise _withdraw(client, name, self.version, self.run_id, "promote", message)
            self._move(now, best)
            moves += 1

    def _move(self, now: str | None, to: str | None) -> None:
        """Move the alias from `now` to `to` (None: remove it); `now` is tagged replaced."""
        client, name = self.client, self.name
        if to is None:
            client.delete_registered_model_alias(name, CHAMPION_ALIAS)
        else:
            client.set_registered_model_alias(name, CHAMPION_ALIAS, to)
        self.placed = to
        if now is not None and to is not None:
            client.set_model_version_tag(name, now, "promotion.replaced_by", to)


def _fitted(model: KnowledgeTracer) -> list[str]:
    """The skills `model` was fitted on, as text: what a "did you mean" offers."""
    return [str(s) for s in model.skills_]


def untraced_notes(responses: int, found: list[tuple[str, Untraced, Collection[str]]]) -> list[str]:
    """What the comparison does with the held-out responses (`responses` of them) on skills a
    scored model was not fitted on (`found`: each model's label, "candidate v7", its
    `untraced` of them and the skills it was fitted on): one sentence for the models that lack
    the same skills, both in one, else one for each, named, with `Untraced.warn`'s "did you
    mean" (`closest_name` of the first skill among the models' own: 'skil-5' is 'skill-5').
    predict_proba's own warning said it once per model, word for word, naming neither, and
    advised `train --catalog`, which a promote cannot use. Skill names and counts only: no
    student id."""
    lacking: dict[Untraced, tuple[list[str], set[str]]] = {}
    for label, untraced, fitted in found:
        if untraced.responses:
            labels, skills = lacking.setdefault(untraced, ([], set()))
            labels.append(label)
            skills.update(fitted)
    return [
        _untraced_note(responses, untraced, labels, fitted)
        for untraced, (labels, fitted) in lacking.items()
    ]


def _untraced_note(
    responses: int, untraced: Untraced, labels: list[str], fitted: Collection[str]
) -> str:
    """One sentence of `untraced_notes`, for the models `labels` that lack these skills and
    were fitted on `fitted` (together)."""
    n, one = untraced.responses, len(untraced.skills) == 1
    check = untraced.did_you_mean(fitted)
    if len(labels) > 1:
        who = f"neither {' nor '.join(labels)} was"
        predicts, scores = "both models predict them from their defaults", "both models' scores"
    else:
        who = f"{labels[0]} was not"
        predicts, scores = f"{labels[0]} predicts them from its defaults", "its score"
    skills = "a skill" if one else counted(len(untraced.skills), "skill")
    return (
        f"{n:,} of the {responses:,} held-out responses {verb(n, 'is')} on {skills} {who} "
        f"fitted on ({untraced.named()}{check}): {predicts}, having no parameters for "
        f"{'it' if one else 'them'}, and they are counted in {scores} like the others"
    )


def _check_overlap(
    overlap: SkillOverlap, new_skills: bool, rule: PromotionRule, log: ResponseLog
) -> bool:
    """Refuse a comparison that would mean nothing (`ConfigError`); True when the candidate is
    of another skill vocabulary and `new_skills` asks to replace the champion with it."""
    if overlap.candidate_blind:
        v = overlap.candidate_version
        raise ConfigError(
            f"the candidate v{v} knows the skills of {share_words(overlap.candidate_covered)} of the "
            f"promotion data's {overlap.responses:,} held-out responses ({log.source}): is it "
            f"the data v{v} was trained on, read with the same column flags (--skill-col / "
            "--item-col)? A score on skills a model was never fitted on says nothing of it"
        )
    if not overlap.other_vocabulary:
        return False
    if new_skills:
        return True
    raise ConfigError(
        f"{overlap}: a model of another catalog or another district, or columns mapped "
        "otherwise (--skill-col / --item-col)? Comparing them would score the champion on "
        "skills it was never fitted on. To replace the champion with a model of a new catalog "
        "on purpose, give --new-skills (new_skills=True in Python): the candidate must then "
        f"pass the first champion's bar (--min-auc {rule.min_auc}) on its own data"
    )


def _skill_note(overlap: SkillOverlap, new_skills: bool) -> str | None:
    """A warning for models whose skills differ but compare (a catalog that grew a few skills),
    or for `--new-skills` given where it is not needed; None when the skills are the same."""
    if overlap.champion_version is None or overlap.other_vocabulary:
        return None
    unneeded = (
        "--new-skills is not needed for models that share most of their skills: compared as usual"
    )
    if overlap.same_skills:
        return unneeded if new_skills else None
    note = f"{overlap}: compared on all of them"
    return f"{note}; {unneeded}" if new_skills else note


def _replace_decision(
    rule: PromotionRule,
    candidate: dict[str, float],
    baseline: float,
    over_constant: Improvement,
    overlap: SkillOverlap,
) -> tuple[bool, str]:
    """`--new-skills`: the candidate of another skill vocabulary replaces the champion, without
    a comparison, when it passes the first champion's bar on its data."""
    below = rule.below_bar(candidate, baseline, over_constant)
    if below is not None:
        return False, f"{below} (--new-skills replaces the champion only with a model above it)"
    return True, (
        f"new skills (--new-skills): replaces champion v{overlap.champion_version} without a "
        f"comparison ({overlap}); {rule.bar_met(candidate, baseline, over_constant)}"
    )


def _data_note(candidate_mv, log: ResponseLog, given: str, held: ResponseLog) -> str | None:
    """A warning when `log` (of fingerprint `given`, `log_sha256`) is not the data the
    candidate was trained on (fingerprints differ), saying what the comparison then rests on:
    the students of `log` held out by the hash of their id (`held`), whom training left out
    of every log by the same hash, so never trained on, whatever file they are in; the
    others are left out. What is at risk is what the hash cannot see: a student the file
    names by another id than the training data did (another export's ids), or columns read
    otherwise than for `train`."""
    trained = candidate_mv.tags.get("adaptive.data_sha256")
    if trained is None or given == trained:
        return None
    return (
        f"the promotion data (fingerprint {given[:12]}, {len(log):,} responses) is not "
        f"version {candidate_mv.version}'s training data (fingerprint {trained[:12]}): both "
        f"models are scored on its {counted(held.n_students, 'student')} held out by a hash "
        f"of their id ({len(held):,} responses), which training leaves out of every log, and "
        f"its other {log.n_students - held.n_students:,} are left out; only a student it names "
        "by another id than the training data did (another export's ids) may have been "
        "trained on (if it is the training file, give the column flags used for `train`)"
    )


def _check_holdout_fraction(client, name: str, fraction: float, *versions) -> None:
    """Refuse a `holdout_fraction` above the one a compared version was trained with: the
    students held out are those whose id hashes below the fraction, so a larger one scores a
    model on students it was trained on (a smaller one is a subset of its held-out students:
    fine). A version whose run recorded none (or that has no run) is not checked."""
    for mv in versions:
        if mv is None or not mv.run_id:
            continue
        trained = client.get_run(mv.run_id).data.params.get("holdout_fraction")
        if trained is not None and fraction > float(trained) + 1e-12:
            raise ConfigError(
                f"{name} v{mv.version} was trained holding out {float(trained):.0%} of the "
                f"students for promotion; holdout_fraction={fraction:g} would score it on "
                f"students it was trained on: give holdout_fraction={float(trained):g} or less"
            )


def _check_one_log_or_data_given(name: str, candidate_mv, champion_mv) -> None:
    """Without `--data`, the candidate and the champion are scored on the candidate's own log:
    where the champion was trained on another file or dataset (its recorded `--data` and
    fingerprint both differ), which students decide is the caller's choice, so it is asked
    for (`ConfigError`, exit 2). A trial's candidate trained on another district replaced the
    champion (PROMOTED, with a warning) after both were scored on the newcomer's district
    only. Either log may be right (the district's students to come are the champion's, or the
    candidate's: a new year, a merged district), so the error says the command for each. One
    file grown since the champion's training (a month's answers appended) is the usual
    retraining: scored on the candidate's, with `_champion_note`'s warning."""
    if champion_mv is None or champion_mv.version == candidate_mv.version:
        return
    theirs = champion_mv.tags.get("adaptive.data_sha256")
    mine = candidate_mv.tags.get("adaptive.data_sha256")
    if theirs is None or mine is None or theirs == mine:
        return
    if champion_mv.tags.get(DATA_TAG) == candidate_mv.tags.get(DATA_TAG):
        return
    base = f"adaptive promote --name {name} --version {candidate_mv.version} --data"

    def command(mv) -> str:
        log = mv.tags.get(DATA_TAG)
        flags = " with the column flags it was trained with" if MAPPING_TAG in mv.tags else ""
        return f"`{base} {log}`{flags}" if log else f"`{base} FILE` (a log given in Python)"

    raise ConfigError(
        f"{name}: candidate v{candidate_mv.version} was trained on {_trained_on(candidate_mv)} "
        f"and champion v{champion_mv.version} on {_trained_on(champion_mv)}: say which log's "
        "held-out students decide (both models are scored on them): the champion's, "
        f"{command(champion_mv)}, or the candidate's, {command(candidate_mv)} (its district "
        "or year is the one to serve)"
    )


def _champion_note(
    name: str, candidate_mv, champion_mv, given: str, held: ResponseLog, data: object
) -> str | None:
    """A warning when the champion was trained on another log than the promotion data (of
    fingerprint `given`), e.g. a candidate trained on last month's log against a champion
    trained on this month's: both are scored on the promotion data's held-out students
    (`held`), so the two were not trained on one log; said plainly, with the command that
    scores both on the champion's log. None when the champion's log is that data, or unknown
    (a version trained before fingerprints were recorded), or when both were trained on one log
    (the promotion data's being another is `_data_note`'s to say)."""
    trained = champion_mv.tags.get("adaptive.data_sha256")
    if trained is None or trained == given:
        return None
    if trained == candidate_mv.tags.get("adaptive.data_sha256"):  # one log: `_data_note` says
        return None  # that the promotion data is another
    champion_log = champion_mv.tags.get(DATA_TAG)
    on_champions = (
        f"; to score both on the champion's log: `adaptive promote --name {name} --version "
        f"{candidate_mv.version} --data {champion_log}`"
        + (" with the column flags it was trained with" if MAPPING_TAG in champion_mv.tags else "")
        + " (or train the candidate on it first)"
        if champion_log
        else ""
    )
    scored_on = data if isinstance(data, (str, Path)) else held.source
    return (
        f"the candidate and the champion were trained on different logs: candidate "
        f"v{candidate_mv.version} on {_trained_on(candidate_mv)}, champion v{champion_mv.version} "
        f"on {_trained_on(champion_mv)}; both are scored on the {held.n_students:,} held-out "
        f"students ({len(held):,} responses) of {scored_on} (fingerprint {given[:12]}), not of "
        f"the champion's log{on_champions}"
    )


def _trained_on(mv) -> str:
    """The log a version was trained on, as its tags record it: the file or dataset name, and
    the log's fingerprint (only the fingerprint for a log given in Python)."""
    sha = mv.tags.get("adaptive.data_sha256", "")
    named = mv.tags.get(DATA_TAG)
    fingerprint = f"fingerprint {sha[:12]}" if sha else "no fingerprint recorded"
    return f"{named} ({fingerprint})" if named else f"a log given in Python ({fingerprint})"


def _version(client, name: str, version: str | None):
    """Version `version` of registered model `name` (None: its latest); a `ConfigError` naming
    the store searched, with the closest registered name or the versions there are."""
    where = display_uri(client.tracking_uri)
    try:
        if version is not None:
            return client.get_model_version(name, str(version))
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException as exc:
        if not is_not_found(exc):
            raise
        raise ConfigError(
            f"registered model {name!r} has no version {version} in {where}"
            + (registered_name_hint(client, name) or _versions_there(client, name))
        ) from exc
    if not versions:
        missing = unregistered_note(client, name)
        if missing:  # no model of that name: a typo, or another store
            raise ConfigError(f"no registered model {name!r} in {where} {missing}")
        raise ConfigError(
            f"registered model {name!r} has no versions in {where}; train one with `adaptive train`"
        )
    return max(versions, key=lambda mv: int(mv.version))


#: Up to this many versions, an error about a missing one lists them all; past it, the first
#: and last few, with how many in all (a rollback target is usually among the last).
VERSIONS_LISTED = 10


def _versions_there(client, name: str) -> str:
    """ "; its versions: 1, 2, 3, 4" for an error about a version that does not exist: all of
    them when few (`VERSIONS_LISTED`), else "1, 2, 3, ..., 38, 39, 40 (40 in all)"."""
    try:
        found = sorted(int(mv.version) for mv in client.search_model_versions(f"name = '{name}'"))
    except MlflowException:
        return ""
    if not found:
        return "; it has no versions"
    if len(found) <= VERSIONS_LISTED:
        return f"; its versions: {', '.join(map(str, found))}"
    ends = ", ".join(map(str, found[:3])) + ", ..., " + ", ".join(map(str, found[-3:]))
    return f"; its versions: {ends} ({len(found):,} in all)"


def _load(name: str, version: str, tracking_uri: str) -> KnowledgeTracer:
    """The model of version `version` of `name`."""
    return load_version(name, version, tracking_uri=tracking_uri).model


def _metrics(held: ResponseLog, p: np.ndarray) -> dict[str, float]:
    """A model's metrics on the held-out students, from its predictions `p` of them."""
    return {k: float(v) for k, v in compute_metrics(held.correct, p).items()}


def rollback(
    name: str, version: str, reason: str, *, tracking_uri: str | None = None
) -> PromotionDecision:
    """Make `version` of `name` the champion again, without a comparison: an operator's way
    back when a new champion misbehaves in the field. Only a version that was champion before
    (promoted once: tagged `WAS_CHAMPION`, whatever later evaluations decided) is taken; the
    run (`adaptive-promotion`, kind "rollback") and the version's tags record who it replaced
    and `reason`. The next night says which version served it."""
    if not reason.strip():
        raise ConfigError("rollback: give a reason (it is recorded with the run and the version)")
    with ExitStack() as held:
        client = held.enter_context(tracking(tracking_uri, lookup=f"registered model {name!r}"))
        _version(client, name, version)  # a name or version that is not there: no lock file
        held.enter_context(model_lock(client.tracking_uri, name, action="rollback"))
        target = _version(client, name, version)
        if WAS_CHAMPION not in target.tags:
            raise ConfigError(
                f"{name} v{target.version} was never promoted; a rollback returns to a version "
                "that was champion before (to try a new one, use promote)"
            )
        current = _champion(client, name)
        before = None if current is None else str(current.version)
        if before == str(target.version):
            raise ConfigError(f"{name} v{target.version} is already the champion")
        # its artifact read and checked as a night will read it: a trial's hand-edited
        # model.json was rolled back to, and only the next night refused its checksum
        _load(name, str(target.version), client.tracking_uri)
        with mlflow.start_run(
            experiment_id=experiment_id(client, PROMOTION_EXPERIMENT),
            run_name=f"rollback-{name}-v{target.version}",
        ) as run:
            mlflow.log_params(
                {"registered_model": name, "candidate_version": target.version,
                 "champion_version": before or "none"}
            )  # fmt: skip
            mlflow.set_tags({"adaptive.kind": "rollback", "reason": reason})
        _move_champion(client, name, before, str(target.version), run.info.run_id, "rollback")
        Gate.close_rounds(client, name, str(target.version))
        client.set_tag(run.info.run_id, "decision", "promoted")  # once it moved, as a promote's
        client.set_model_version_tag(
            name, target.version, "promotion.rolled_back_from", before or "none"
        )
        client.set_model_version_tag(name, target.version, "promotion.rollback_reason", reason)
        if current is not None:
            client.set_model_version_tag(
                name, current.version, "promotion.replaced_by", target.version
            )
    return PromotionDecision(
        name, str(target.version), before, True, f"rolled back: {reason}", {}, None,
        run.info.run_id, None,
    )  # fmt: skip
