"""Promotion: move the `champion` alias only to a model that is better on the same students.

The rule (`promote`): score the candidate version and the current champion on the same held-out
students (`holdout.py`, never used for training). Promote when the candidate beats the champion by
at least `margin` on `metric` (default AUC) and its calibration error (ECE) is not worse by more
than `calibration_tolerance`. With no champion yet, the candidate must pass a minimum bar: AUC at
least `min_auc` and a log-loss below the constant base-rate predictor's. Every decision, both
evaluations and the reason are logged as an MLflow run and as tags on the candidate version.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import mlflow
import numpy as np
from mlflow.exceptions import MlflowException

from adaptive.data.log import ResponseLog
from adaptive.errors import ConfigError, DataValidationError, Problem, counted
from adaptive.evaluation import compute_metrics
from adaptive.registry.fingerprint import data_fingerprint, log_sha256
from adaptive.registry.holdout import HOLDOUT_FRACTION, split_holdout
from adaptive.registry.loading import load_version
from adaptive.registry.store import (
    CHAMPION_ALIAS,
    experiment_id,
    is_not_found,
    registered_name_hint,
    tracking,
)
from adaptive.registry.tracking import DATA_TAG, MAPPING_TAG, QUARANTINED_TAG, resolve_log

PROMOTION_EXPERIMENT = "adaptive-promotion"
#: Metrics a promotion may be decided on; True when higher is better.
HIGHER_IS_BETTER: dict[str, bool] = {"auc": True, "accuracy": True, "rmse": False, "logloss": False}


@dataclass(frozen=True)
class PromotionRule:
    """When a candidate replaces the champion (see the module docstring)."""

    metric: str = "auc"
    margin: float = 0.001
    calibration_tolerance: float = 0.01
    min_auc: float = 0.55

    def __post_init__(self) -> None:
        if self.metric not in HIGHER_IS_BETTER:
            raise ConfigError(
                f"promotion metric {self.metric!r}; expected one of {sorted(HIGHER_IS_BETTER)}"
            )
        if self.margin < 0 or self.calibration_tolerance < 0:
            raise ConfigError("promotion margin and calibration tolerance must be >= 0")

    def improvement(self, candidate: dict[str, float], champion: dict[str, float]) -> float:
        """How much better the candidate is on the metric (positive = better)."""
        sign = 1.0 if HIGHER_IS_BETTER[self.metric] else -1.0
        return sign * (candidate[self.metric] - champion[self.metric]) + 0.0  # never "-0.0000"

    def decide(
        self,
        candidate: dict[str, float],
        champion: dict[str, float] | None,
        baseline_logloss: float,
    ) -> tuple[bool, str]:
        """(promote?, reason) for two evaluations on the same held-out students."""
        if not candidate["auc"] >= self.min_auc:
            return False, f"below the minimum bar: AUC {candidate['auc']:.4f} < {self.min_auc}"
        if not candidate["logloss"] < baseline_logloss:
            return False, (
                f"below the minimum bar: log-loss {candidate['logloss']:.4f} is not below the "
                f"constant predictor's {baseline_logloss:.4f}"
            )
        if champion is None:
            return True, (
                f"first champion: AUC {candidate['auc']:.4f} >= {self.min_auc} and log-loss "
                f"{candidate['logloss']:.4f} < constant {baseline_logloss:.4f}"
            )
        gain = self.improvement(candidate, champion)
        if not gain >= self.margin:
            return False, (
                f"not better: {self.metric} {candidate[self.metric]:.4f} vs champion "
                f"{champion[self.metric]:.4f} (improvement {gain:+.4f} < margin {self.margin})"
            )
        if candidate["ece"] > champion["ece"] + self.calibration_tolerance:
            return False, (
                f"worse calibration: ECE {candidate['ece']:.4f} > champion {champion['ece']:.4f} "
                f"+ tolerance {self.calibration_tolerance}"
            )
        return True, (
            f"better: {self.metric} {candidate[self.metric]:.4f} vs champion "
            f"{champion[self.metric]:.4f} (improvement {gain:+.4f} >= margin {self.margin}); "
            f"ECE {candidate['ece']:.4f} vs {champion['ece']:.4f}"
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
) -> PromotionDecision:
    """Compare version `version` (default: the latest) of `name` with its champion; maybe promote.

    `data` is the log whose held-out students both are scored on (default: the data the candidate
    was trained on, as recorded on its version).
    """
    rule = rule or PromotionRule()
    with tracking(tracking_uri) as client:
        candidate_mv = _version(client, name, version)
        try:
            champion_mv = client.get_model_version_by_alias(name, CHAMPION_ALIAS)
        except MlflowException as exc:
            if not is_not_found(exc):  # a network failure is not "no champion yet"
                raise
            champion_mv = None
        if data is None:
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
        data_note = _data_note(candidate_mv, log)
        _, held = split_holdout(log, holdout_fraction)
        if held.n_students == 0 or held.correct.min() == held.correct.max():
            raise DataValidationError(
                [
                    Problem(
                        str(log.source),
                        None,
                        "student_id",
                        str(held.n_students),
                        "held-out students with both correct and wrong answers",
                    )
                ]
            )
        uri = mlflow.get_tracking_uri()
        candidate, candidate_skills = _evaluate(name, candidate_mv.version, held, uri)
        same = champion_mv is not None and champion_mv.version == candidate_mv.version
        champion, champion_skills = (
            (None, [])
            if champion_mv is None
            else (candidate, candidate_skills)
            if same
            else _evaluate(name, champion_mv.version, held, uri)
        )
        base_rate = float(held.correct.mean())
        baseline = compute_metrics(held.correct, np.full(len(held), base_rate))["logloss"]
        if same:
            promoted, reason = False, f"version {candidate_mv.version} is already the champion"
        else:
            promoted, reason = rule.decide(candidate, champion, baseline)
            if not promoted and champion is not None:
                reason += _new_skills_hint(candidate_skills, champion_skills)
        champion_version = None if champion_mv is None else str(champion_mv.version)
        with mlflow.start_run(
            experiment_id=experiment_id(client, PROMOTION_EXPERIMENT),
            run_name=f"promote-{name}-v{candidate_mv.version}",
        ) as run:
            fingerprint = data_fingerprint(
                held, data if not isinstance(data, ResponseLog) else None
            )
            mlflow.log_params(
                {
                    "registered_model": name,
                    "candidate_version": candidate_mv.version,
                    "champion_version": champion_version or "none",
                    **asdict(rule),
                    "holdout_fraction": holdout_fraction,
                    **{f"holdout_{k}": v for k, v in fingerprint.items()},
                }
            )
            mlflow.log_metrics(
                {f"candidate_{k}": v for k, v in candidate.items() if math.isfinite(v)}
            )
            if champion is not None:
                mlflow.log_metrics(
                    {f"champion_{k}": v for k, v in champion.items() if math.isfinite(v)}
                )
            mlflow.log_metric("baseline_logloss", baseline)
            mlflow.set_tags(
                {
                    "adaptive.kind": "promotion",
                    "decision": "promoted" if promoted else "rejected",
                    "reason": reason,
                }
            )
        tags = {
            "promotion.decision": "promoted" if promoted else "rejected",
            "promotion.reason": reason,
            "promotion.run_id": run.info.run_id,
            "promotion.champion_version": champion_version or "none",
            **{f"promotion.candidate_{k}": f"{v:.6f}" for k, v in candidate.items()},
            **(
                {f"promotion.champion_{k}": f"{v:.6f}" for k, v in champion.items()}
                if champion
                else {}
            ),
        }
        for key, value in tags.items():
            client.set_model_version_tag(name, candidate_mv.version, key, value)
        if promoted:
            client.set_registered_model_alias(name, CHAMPION_ALIAS, candidate_mv.version)
            if champion_mv is not None:
                client.set_model_version_tag(
                    name, champion_mv.version, "promotion.replaced_by", candidate_mv.version
                )
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
    )


def _data_note(candidate_mv, log: ResponseLog) -> str | None:
    """A warning when `log` is not the data the candidate was trained on (fingerprints differ):
    its held-out students may have been trained on, or its columns were read differently."""
    trained = candidate_mv.tags.get("adaptive.data_sha256")
    if trained is None:
        return None
    given = log_sha256(log)
    if given == trained:
        return None
    return (
        f"the promotion data (fingerprint {given[:12]}, {len(log):,} responses) is not "
        f"version {candidate_mv.version}'s training data (fingerprint {trained[:12]}): "
        "its held-out students may have been seen in training, or its columns were read "
        "differently (give the column flags used for `train`)"
    )


def _version(client, name: str, version: str | None):
    try:
        if version is not None:
            return client.get_model_version(name, str(version))
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException as exc:
        if not is_not_found(exc):
            raise
        raise ConfigError(
            f"registered model {name!r} (version {version}) not found: {exc.message}"
        ) from exc
    if not versions:
        hint = registered_name_hint(client, name)
        raise ConfigError(
            f"registered model {name!r} has no versions"
            + (hint or "; train one with `adaptive train`")
        )
    return max(versions, key=lambda mv: int(mv.version))


def _evaluate(
    name: str, version: str, held: ResponseLog, tracking_uri: str
) -> tuple[dict[str, float], list[str]]:
    """The version's metrics on the held-out students, and the skills it knows."""
    model = load_version(name, version, tracking_uri=tracking_uri).model
    metrics = compute_metrics(held.correct, model.predict_proba(held))
    return {k: float(v) for k, v in metrics.items()}, [str(s) for s in model.skills_]


def _new_skills_hint(candidate_skills: list[str], champion_skills: list[str]) -> str:
    """For a candidate not promoted that knows skills the champion does not (retrained for a
    new catalog version whose new skills have no answers yet: the same AUC), how to promote
    it all the same."""
    new = sorted(set(candidate_skills) - set(champion_skills))
    if not new:
        return ""
    shown = ", ".join(repr(s) for s in new[:3]) + (" ..." if len(new) > 3 else "")
    return (
        f"; the candidate knows {counted(len(new), 'skill')} the champion does not ({shown}): "
        "retrained "
        "for a new catalog version? `--margin 0` promotes a candidate as good as the champion"
    )


def rollback(
    name: str, version: str, reason: str, *, tracking_uri: str | None = None
) -> PromotionDecision:
    """Make `version` of `name` the champion again, without a comparison: an operator's way
    back when a new champion misbehaves in the field. Only a version that was champion before
    (promoted once) is taken; the run (`adaptive-promotion`, kind "rollback") and the version's
    tags record who it replaced and `reason`. The next night says which version served it."""
    if not reason.strip():
        raise ConfigError("rollback: give a reason (it is recorded with the run and the version)")
    with tracking(tracking_uri) as client:
        target = _version(client, name, version)
        if target.tags.get("promotion.decision") != "promoted":
            raise ConfigError(
                f"{name} v{target.version} was never promoted; a rollback returns to a version "
                "that was champion before (to try a new one, use promote)"
            )
        try:
            current = client.get_model_version_by_alias(name, CHAMPION_ALIAS)
        except MlflowException as exc:
            if not is_not_found(exc):
                raise
            current = None
        before = None if current is None else str(current.version)
        if before == str(target.version):
            raise ConfigError(f"{name} v{target.version} is already the champion")
        with mlflow.start_run(
            experiment_id=experiment_id(client, PROMOTION_EXPERIMENT),
            run_name=f"rollback-{name}-v{target.version}",
        ) as run:
            mlflow.log_params(
                {"registered_model": name, "candidate_version": target.version,
                 "champion_version": before or "none"}
            )  # fmt: skip
            mlflow.set_tags({"adaptive.kind": "rollback", "decision": "promoted", "reason": reason})
        client.set_registered_model_alias(name, CHAMPION_ALIAS, target.version)
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
