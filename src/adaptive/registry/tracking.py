"""Tracking a training run in MLflow: what was trained, on what, how well, and the model itself.

`train_model(spec, data)` fits a model spec (`adaptive/specs/models/NAME.toml`) on a response log and logs one
MLflow run with
  - params: the spec, its hyperparameters, the data fingerprint (hash, counts, date range; never
    a student id), folds, seed, holdout fraction, code version;
  - metrics: held-out AUC / RMSE / log-loss / ECE per fold (`fold{i}_auc`) and overall (`auc`);
  - artifacts: the evaluation table (`evaluation/metrics.csv`), the reliability diagram
    (`evaluation/reliability.png`) and its bins (`evaluation/reliability.csv`), and the model as an MLflow pyfunc logged from code whose
    weights are our JSON + npz files (`tracer` artifact).
The students held out for promotion (`holdout.py`) are excluded from both the folds and the final
fit. With `registered_name`, the model becomes a new version of that registered model.

The tracking store is reached before the (long) fit: an unreachable server fails at once
(`TrackingServerError`), and stale RUNNING training runs left by killed processes are marked
FAILED (`runs.py`). The run records its owner process; SIGTERM or SIGHUP ends it as FAILED.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd

import adaptive
from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.data.log import ResponseLog
from adaptive.errors import ConfigError, DataValidationError, Problem, counted
from adaptive.evaluation import cross_validate, plot_reliability
from adaptive.evaluation.calibration import reliability_table
from adaptive.paths import source_checkout
from adaptive.placement.prior import GradeTable
from adaptive.registry.fingerprint import data_fingerprint
from adaptive.registry.holdout import HOLDOUT_FRACTION, HOLDOUT_RULE, RULE_TAG, split_holdout
from adaptive.registry.requirement import own_requirement
from adaptive.registry.runs import fail_stale_runs, owner_tags, signals_end_runs
from adaptive.registry.store import (
    experiment_id,
    is_not_found,
    quiet_mlflow,
    tracking,
)
from adaptive.tracing.base import KnowledgeTracer
from adaptive.tracing.specs import build_model, load_spec

TRAINING_EXPERIMENT = "adaptive-training"
PYFUNC_CODE = Path(__file__).with_name("pyfunc_model.py")
MODEL_NAME_IN_RUN = "model"


@dataclass
class TrainResult:
    """What `train_model` produced: the MLflow run, the logged model and its scores."""

    spec: str
    run_id: str
    model_uri: str
    metrics: dict[str, float]
    folds: pd.DataFrame
    model: KnowledgeTracer
    version: str | None = None
    fingerprint: dict[str, Any] = field(default_factory=dict)


def code_version() -> str:
    """The git commit of the project's source checkout (with `+dirty` when modified), else the
    package version: an installed package never reports the commit of a repository it happens
    to sit in (a user's project with its virtual environment inside)."""
    checkout = source_checkout()
    if checkout is None:
        return adaptive.__version__
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=checkout,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=checkout,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return adaptive.__version__
    return f"{sha}+dirty" if dirty else sha


def resolve_log(
    data: str | Path | ResponseLog, mapping: dict | None = None, quarantine: Path | None = None
) -> ResponseLog:
    """A ResponseLog as given, or loaded through the data layer (descriptor name or file); a
    file of a header and no rows is refused (`refuse_header_only`): nothing to fit or compare."""
    if isinstance(data, ResponseLog):
        return data
    from adaptive.data import load_log
    from adaptive.data.io import refuse_header_only

    log = load_log(data, mapping=mapping, quarantine=quarantine)
    refuse_header_only(log)
    return log


#: A registered version's tags: the data it was trained on (path or dataset name), its column
#: mapping, and whether its bad rows were set aside (`--quarantine`: promote asks for one too).
DATA_TAG = "adaptive.data"
MAPPING_TAG = "adaptive.mapping"
QUARANTINED_TAG = "adaptive.quarantined"


def check_model_name(name: str) -> None:
    """A name the model registry takes: not empty, without '/' or ':' (MLflow's rule), found
    before a fit of minutes, not after it."""
    bad = [c for c in "/:" if c in name]
    if not name.strip() or bad:
        got = "empty" if not name.strip() else f"with {' and '.join(repr(c) for c in bad)}"
        raise ConfigError(
            f"--name {name!r}: a registered model's name cannot be {got}; expected a name such "
            "as 'district' or 'district-math'"
        )


def check_both_answers(log: ResponseLog, train_log: ResponseLog) -> None:
    """A training log whose every answer is the same (all wrong, or all right) is refused: a
    model fitted on it predicts that answer, and its folds' AUC is undefined (nan). A trial's
    percent-score column loaded as its 0s alone trained and registered such a model."""
    answers = np.unique(train_log.correct)
    if len(answers) == 1:
        word = "1 (right)" if answers[0] == 1 else "0 (wrong)"
        raise DataValidationError(
            [
                Problem(
                    str(log.source),
                    None,
                    "correct",
                    f"every one of the {counted(len(train_log), 'training answer')} is {word}",
                    "right and wrong answers: a model fitted on one kind predicts it alone and "
                    "cannot be scored (AUC undefined). Is the answer column the right one, "
                    "read as it is written (scores need --correct-threshold)?",
                )
            ]
        )


def check_catalog_covers_log(catalog: Catalog, log: ResponseLog) -> None:
    """A catalog that shares no skill with the log is another district's (or another
    subject's): the model would know the catalog's skills from no answer at all, and the
    nightly job would serve every student from population defaults. Refused."""
    if len(log.skills) and not catalog.skill_index.isin(log.skills).any():
        shown = ", ".join(repr(s) for s in log.skills[:3])
        raise ConfigError(
            f"--catalog: none of its {len(catalog.skill_index):,} skills is one of the log's "
            f"{len(log.skills):,} ({shown}, ...): another district's or subject's catalog? "
            "Expected the catalog the log's skills come from"
        )


def train_model(
    spec: str | Path,
    data: str | Path | ResponseLog,
    *,
    mapping: dict | None = None,
    quarantine: Path | None = None,
    registered_name: str | None = None,
    folds: int = 5,
    seed: int = 0,
    holdout_fraction: float = HOLDOUT_FRACTION,
    tracking_uri: str | None = None,
    experiment: str = TRAINING_EXPERIMENT,
    catalog: Catalog | None = None,
    profiles: Mapping[str, LearnerProfile] | None = None,
    grade_table: GradeTable | None = None,
    year_start: str | None = None,
    roster_day: str | None = None,
) -> TrainResult:
    """Fit `spec` on `data`, log the run (and register a version if `registered_name`).

    `catalog`: the final model is fitted knowing the catalog's skills (models whose `fit`
    takes one, BKT), so a skill the log never mentions starts from its graph neighbours'
    parameters instead of being unknown to the nightly job; other models refuse it unless
    `profiles` are given too. `profiles` (with `catalog`): the students' grades, with which the
    final model measures whether the district's knowledge follows the curriculum order
    (`KnowledgeTracer.check_curriculum_level`; every model, with `grade_table`: the policy's,
    default the shipped one), kept in its artifact and the run; a log of several school years
    is read at the grade of each answer's school year, which starts on `year_start` ("MM-DD",
    the district's growth norm's, `train --norm`; None: the shipped norm's), the profiles'
    grades being those of the school year of `roster_day` (`train --roster-date`; None: of the
    log's latest answer).
    """
    if registered_name is not None:
        check_model_name(registered_name)  # before the fit, not after it
    spec_info = load_spec(spec)  # a misspelt model before the data is read
    model = build_model(spec)
    if "seed" in model.get_params():  # checked by the model (a deep one) before the data is read
        model.set_params(seed=seed)
    log = resolve_log(data, mapping, quarantine)
    if catalog is not None:
        check_catalog_covers_log(catalog, log)
    if profiles is not None and catalog is None:
        raise ConfigError(
            "profiles: the curriculum-order check reads the skills' grades too; give the "
            "catalog (--catalog) beside them"
        )
    fit_takes_catalog = "catalog" in inspect.signature(model.fit).parameters
    if catalog is not None and not fit_takes_catalog and profiles is None:
        raise ConfigError(
            f"--catalog: the model spec {spec_info['name']!r} ({type(model).__name__}) does "
            "not take a catalog; only BKT models (e.g. bkt, bkt-forgets) give catalog skills "
            "the log never mentions starting parameters (with --profiles, any model uses it "
            "to check whether the district's knowledge follows the curriculum order)"
        )
    if catalog is not None:
        from adaptive.batch.night_checks import warn_off_catalog
        from adaptive.errors import DataNoteWarning

        warn_off_catalog(
            log, catalog, DataNoteWarning
        )  # codes it lacks ('g3.ns.1') are fitted as other skills
    train_log, _ = split_holdout(log, holdout_fraction)
    if train_log.n_students < max(folds, 2):
        raise DataValidationError(
            [
                Problem(
                    str(log.source),
                    None,
                    "student_id",
                    f"{train_log.n_students} training students ({log.n_students} in the log)",
                    f"at least {max(folds, 2)} students outside the promotion holdout (one "
                    f"{max(folds, 2)}-fold cross-validation needs as many)",
                )
            ]
        )
    check_both_answers(log, train_log)
    with tracking(tracking_uri) as client:  # reach the store before the fit; clean up after kills
        fail_stale_runs(client, experiment_id(client, experiment), kind="train")
    cv = cross_validate(model, train_log, folds, seed, label=spec_info["name"])
    table = cv.metrics.drop(columns="model")
    overall = table.set_index("fold").loc["all"].to_dict()
    final = model.clone().fit(
        train_log, **({"catalog": catalog} if catalog and fit_takes_catalog else {})
    )
    if profiles is not None and catalog is not None:
        final.check_curriculum_level(
            train_log, catalog, profiles, grade_table, year_start=year_start, roster_day=roster_day
        )
    if catalog is not None:  # the night refuses a catalog of another year (its sha256 and ids)
        final.record_catalog(catalog)
    fingerprint = data_fingerprint(log, data if not isinstance(data, ResponseLog) else None)
    params = {
        "spec": spec_info["name"],
        "model_class": spec_info["model"],
        **{f"model.{k}": v for k, v in final.get_params().items()},
        **fingerprint,
        "train_students": train_log.n_students,
        "catalog_skills": len(catalog.skills) if catalog else 0,
        "train_responses": len(train_log),
        # whether the district learns gradually (`KnowledgeTracer.learning_curve_`; NaN: not
        # measured): the policy holds skills for more practice where its z is high
        "learning_curve_slope": final.learning_curve_.slope,
        "learning_curve_z": final.learning_curve_.z,
        "learning_curve_answers": final.learning_curve_.n,
        # whether the district's knowledge follows the curriculum order (NaN, 0: not measured)
        "curriculum_level_gain": final.curriculum_level_.gain,
        "curriculum_level_se": final.curriculum_level_.se,
        "curriculum_level_answers": final.curriculum_level_.answers,
        "folds": folds,
        "seed": seed,
        "holdout_fraction": holdout_fraction,
        "holdout_rule": HOLDOUT_RULE,
        "code_version": code_version(),
        "adaptive_version": adaptive.__version__,
    }
    with (
        signals_end_runs(),
        tracking(tracking_uri) as client,
        tempfile.TemporaryDirectory() as tmp,
    ):
        tmp_dir = Path(tmp)
        exp = experiment_id(client, experiment)
        run_tags = {"adaptive.kind": "train", "adaptive.spec": spec_info["name"], **owner_tags()}
        with mlflow.start_run(
            experiment_id=exp, run_name=f"train-{spec_info['name']}", tags=run_tags
        ) as run:
            mlflow.log_params({k: _param(v) for k, v in params.items()})
            mlflow.log_metrics(_fold_metrics(table))
            table.to_csv(tmp_dir / "metrics.csv", index=False)
            plot_reliability(
                {spec_info["name"]: (cv.y, cv.p)},
                tmp_dir / "reliability.png",
                title=f"{spec_info['name']}: held-out folds",
            )
            # the diagram's bins as a table too: the report site shows them as its text fallback
            reliability_table(cv.y, cv.p).to_csv(tmp_dir / "reliability.csv", index=False)
            for name in ("metrics.csv", "reliability.png", "reliability.csv"):
                mlflow.log_artifact(str(tmp_dir / name), artifact_path="evaluation")
            tracer_dir = final.save(tmp_dir / "tracer")
            with quiet_mlflow():  # no signature: the input columns vary (timestamp or order)
                info = mlflow.pyfunc.log_model(
                    name=MODEL_NAME_IN_RUN,
                    python_model=str(PYFUNC_CODE),
                    artifacts={"tracer": str(tracer_dir)},
                    pip_requirements=[own_requirement()],
                )
        version = None
        if registered_name:
            tags = {
                "adaptive.spec": spec_info["name"],
                "adaptive.data_sha256": str(fingerprint["data_sha256"]),
                RULE_TAG: HOLDOUT_RULE,  # `promote` honours the split of an older version
            }
            if not isinstance(data, ResponseLog):
                path = Path(data)
                tags[DATA_TAG] = str(path.resolve()) if path.exists() else str(data)
                if mapping:
                    tags[MAPPING_TAG] = json.dumps(mapping, sort_keys=True)
                if quarantine is not None:  # promote then asks for one too (not its path)
                    tags[QUARANTINED_TAG] = "true"
            version = register(client, registered_name, info, run.info.run_id, tags)
    return TrainResult(
        spec=spec_info["name"],
        run_id=run.info.run_id,
        model_uri=info.model_uri,
        metrics={k: float(v) for k, v in overall.items()},
        folds=table,
        model=final,
        version=version,
        fingerprint=fingerprint,
    )


def register(client, name: str, info, run_id: str, tags: dict[str, str]) -> str:
    """Register the logged model as a new version of `name`; returns the version number."""
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException as exc:
        if not is_not_found(exc):
            raise
        client.create_registered_model(name, description="adaptive knowledge-tracing models")
    mv = client.create_model_version(
        name, info.model_uri, run_id=run_id, tags=tags, model_id=info.model_id
    )
    return str(mv.version)


def _fold_metrics(table: pd.DataFrame) -> dict[str, float]:
    out: dict[str, float] = {}
    for row in table.to_dict("records"):
        prefix = "" if row["fold"] == "all" else f"fold{row['fold']}_"
        out.update({f"{prefix}{k}": float(v) for k, v in row.items() if k != "fold"})
    return out


def _param(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 6000 else text[:5997] + "..."
