"""Training runs, registry, promotion and loading against a local SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

import adaptive
from adaptive.registry import PromotionRule, load_version, promote, train_model
from adaptive.registry.pyfunc_model import predict_in_input_order
from adaptive.registry.store import tracking
from adaptive.tracing.base import KnowledgeTracer

NAME = "test-district"


def all_recorded_text(uri: str) -> list[str]:
    """Every param/tag/metric key and value, version tag and artifact path in the store."""
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    texts: list[str] = []
    for exp in client.search_experiments():
        for run in client.search_runs([exp.experiment_id]):
            texts += [f"{k}={v}" for k, v in run.data.params.items()]
            texts += [f"{k}={v}" for k, v in run.data.tags.items()]
            texts += list(run.data.metrics)
            stack = [None]
            while stack:
                path = stack.pop()
                for f in client.list_artifacts(run.info.run_id, path):
                    texts.append(f.path)
                    if f.is_dir:
                        stack.append(f.path)
    for mv in client.search_model_versions(f"name = '{NAME}'"):
        texts += [f"{k}={v}" for k, v in mv.tags.items()]
    return texts


def test_lifecycle_promotes_only_better_models(
    small_log, make_log, student_prefix, sqlite_uri, tmp_path
):
    first = train_model("irt", small_log, registered_name=NAME, folds=3, tracking_uri=sqlite_uri)
    assert first.version == "1"
    assert 0.6 < first.metrics["auc"] < 1.0
    assert set(first.folds["fold"]) == {"0", "1", "2", "all"}

    decision = promote(NAME, first.version, small_log, tracking_uri=sqlite_uri)
    assert decision.promoted and decision.champion_version is None
    assert "first champion" in decision.reason

    # A model trained on shuffled labels is worse on the same held-out students: never promoted.
    noise = make_log(shuffle_labels=True)
    worse = train_model("irt", noise, registered_name=NAME, folds=3, tracking_uri=sqlite_uri)
    rejected = promote(NAME, worse.version, small_log, tracking_uri=sqlite_uri)
    assert not rejected.promoted
    assert rejected.candidate["auc"] < rejected.champion["auc"]
    client = MlflowClient(tracking_uri=sqlite_uri, registry_uri=sqlite_uri)
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "1"
    tags = client.get_model_version(NAME, worse.version).tags
    assert tags["promotion.decision"] == "rejected" and tags["promotion.reason"] == rejected.reason
    run = client.get_run(rejected.run_id)
    assert run.data.tags["decision"] == "rejected"
    assert run.data.metrics["champion_auc"] == pytest.approx(rejected.champion["auc"])

    # Retraining the same spec on the same data gives the same scores: not better, not promoted.
    again = train_model("irt", small_log, registered_name=NAME, folds=3, tracking_uri=sqlite_uri)
    same = promote(NAME, again.version, small_log, tracking_uri=sqlite_uri)
    assert not same.promoted and "not better" in same.reason

    # A champion loads as a KnowledgeTracer predicting exactly what was trained.
    champion = adaptive.load_champion(NAME, tracking_uri=sqlite_uri)
    assert isinstance(champion, KnowledgeTracer)
    np.testing.assert_allclose(
        champion.predict_proba(small_log), first.model.predict_proba(small_log)
    )

    # ... and as an MLflow pyfunc logged from code: no pickle among the model files.
    with tracking(sqlite_uri):
        pyfunc = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
        local = mlflow.artifacts.download_artifacts(
            f"models:/{NAME}/1", dst_path=str(tmp_path / "m")
        )
    shuffled = small_log.frame.sample(frac=0.2, random_state=1)
    np.testing.assert_allclose(
        pyfunc.predict(shuffled).to_numpy(), predict_in_input_order(first.model, shuffled)
    )
    files = [p.name for p in Path(local).rglob("*") if p.is_file()]
    assert "pyfunc_model.py" in files and "model.json" in files
    assert not any(f.endswith((".pkl", ".pickle", ".joblib")) for f in files), files

    # Student identifiers never reach MLflow (params, tags, metrics, artifact names).
    recorded = all_recorded_text(sqlite_uri)
    assert any("data_sha256" in t for t in recorded)
    leaks = [t for t in recorded if student_prefix in t]
    assert leaks == []


def test_training_run_records_fingerprint_and_evaluation(small_log, sqlite_uri):
    result = train_model("irt", small_log, folds=3, tracking_uri=sqlite_uri)
    run = MlflowClient(tracking_uri=sqlite_uri).get_run(result.run_id)
    params = run.data.params
    assert params["data_responses"] == str(len(small_log))
    assert params["data_students"] == str(small_log.n_students)
    assert params["data_start"].startswith("2026-09-01")
    assert params["spec"] == "irt" and params["folds"] == "3" and params["code_version"]
    for key in ("auc", "rmse", "logloss", "ece", "fold0_auc", "fold2_ece"):
        assert key in run.data.metrics
    names = {
        f.path
        for f in MlflowClient(tracking_uri=sqlite_uri).list_artifacts(result.run_id, "evaluation")
    }
    assert names == {
        "evaluation/metrics.csv",
        "evaluation/reliability.png",
        "evaluation/reliability.csv",
    }
    assert result.version is None


def test_promotion_rule_never_promotes_worse():
    rule = PromotionRule(metric="auc", margin=0.002, calibration_tolerance=0.01)
    champ = {"auc": 0.75, "ece": 0.02, "logloss": 0.55, "rmse": 0.43, "accuracy": 0.7}
    assert not rule.decide({**champ, "auc": 0.749}, champ, 0.69)[0]
    assert not rule.decide({**champ, "auc": 0.751}, champ, 0.69)[0]  # inside the margin
    assert not rule.decide({**champ, "auc": 0.76, "ece": 0.05}, champ, 0.69)[0]  # worse calibration
    assert rule.decide({**champ, "auc": 0.76, "ece": 0.025}, champ, 0.69)[0]
    assert not rule.decide({**champ, "auc": 0.52}, None, 0.69)[0]  # first model below the bar
    assert not rule.decide({**champ, "logloss": 0.70}, None, 0.69)[0]  # no better than constant
    lower = PromotionRule(metric="rmse", margin=0.001)
    assert lower.decide({**champ, "rmse": 0.42}, champ, 0.69)[0]
    assert not lower.decide({**champ, "rmse": 0.44}, champ, 0.69)[0]
    assert "(improvement +0.0000 < margin" in lower.decide(champ, champ, 0.69)[1]  # not -0.0000


def test_load_champion_without_champion_is_a_clear_error(sqlite_uri):
    with pytest.raises(adaptive.errors.ArtifactError, match="no alias @champion"):
        load_version("nobody", alias="champion", tracking_uri=sqlite_uri)


def test_promotion_decision_is_json_friendly(small_log, sqlite_uri):
    result = train_model("irt", small_log, registered_name=NAME, folds=2, tracking_uri=sqlite_uri)
    decision = promote(NAME, result.version, small_log, tracking_uri=sqlite_uri)
    json.dumps(decision.to_dict())


def test_a_candidate_that_knows_new_catalog_skills_is_told_how_to_promote_it(small_log, sqlite_uri):
    """A data steward's trial: retrained for a new catalog version (its new skills have no
    answers yet), the candidate scored the champion's AUC and "not better" said no more, while
    the champion left the new skills untraced every night."""
    from adaptive.curriculum import Catalog, Skill

    name = "new-catalog-skills"
    first = train_model("bkt", small_log, registered_name=name, folds=2, tracking_uri=sqlite_uri)
    assert promote(name, first.version, small_log, tracking_uri=sqlite_uri).promoted
    catalog = Catalog(
        tuple(Skill(s) for s in small_log.skills)
        + (Skill("skill-new", prerequisites=("skill-0",)),)
    )
    second = train_model(
        "bkt", small_log, registered_name=name, folds=2, tracking_uri=sqlite_uri, catalog=catalog
    )
    decision = promote(name, second.version, small_log, tracking_uri=sqlite_uri)
    assert not decision.promoted
    assert "the candidate knows 1 skill the champion does not ('skill-new')" in decision.reason
    assert "`--margin 0` promotes" in decision.reason
