"""The whole lifecycle against a real `mlflow server` on localhost (SQLite backend in tmp)."""

from __future__ import annotations

import numpy as np
import pytest
from mlflow import MlflowClient

import adaptive
from adaptive.registry import promote, train_model

pytestmark = pytest.mark.mlflow_server


def test_lifecycle_against_a_real_server(mlflow_server, small_log):
    result = train_model(
        "irt", small_log, registered_name="server-district", folds=2, tracking_uri=mlflow_server
    )
    decision = promote("server-district", result.version, small_log, tracking_uri=mlflow_server)
    assert decision.promoted
    client = MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)
    assert (
        str(client.get_model_version_by_alias("server-district", "champion").version)
        == result.version
    )
    champion = adaptive.load_champion("server-district", tracking_uri=mlflow_server)
    np.testing.assert_allclose(
        champion.predict_proba(small_log), result.model.predict_proba(small_log)
    )
    run = client.get_run(result.run_id)
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")  # stored through the server


@pytest.mark.parametrize("worse_first", [True, False], ids=["worse-moves-last", "better-first"])
def test_two_promotes_at_once_through_a_server_leave_the_better_one_champion(
    mlflow_server, small_log, make_log, worse_first, monkeypatch
):
    """MLflow has no compare-and-set, and a server has no lock both runs can take: two promotes
    of one model both read champion v1, both passed the gate, and the alias ended on whichever
    moved it last, the worse one when its move landed after the better one's whole promote.
    Here the first promote's alias move runs the second promote in between: whatever the
    order, the better candidate ends champion, and the other is recorded as superseded."""
    from adaptive.evaluation import compute_metrics
    from adaptive.registry import load_version
    from adaptive.registry.holdout import split_holdout

    uri, name = mlflow_server, f"race-{'worse' if worse_first else 'better'}-first"
    noise = train_model("irt", make_log(shuffle_labels=True), registered_name=name, folds=2,
                        tracking_uri=uri)  # fmt: skip
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.set_registered_model_alias(name, "champion", noise.version)
    candidates = [
        train_model(spec, small_log, registered_name=name, folds=2, tracking_uri=uri).version
        for spec in ("irt", "pfa")
    ]
    _, held = split_holdout(small_log)

    def auc(version: str) -> float:
        model = load_version(name, version, tracking_uri=uri).model
        return compute_metrics(held.correct, model.predict_proba(held))["auc"]

    worse, better = sorted(candidates, key=auc)
    assert auc(worse) < auc(better)
    first, second = (worse, better) if worse_first else (better, worse)
    move = MlflowClient.set_registered_model_alias
    decisions = {}

    def second_promote_runs_during_the_first_move(self, model, alias, version):
        if version == first and second not in decisions:
            decisions[second] = "running"
            decisions[second] = promote(name, second, small_log, tracking_uri=uri)
        return move(self, model, alias, version)

    monkeypatch.setattr(
        MlflowClient, "set_registered_model_alias", second_promote_runs_during_the_first_move
    )
    decisions[first] = promote(name, first, small_log, tracking_uri=uri)
    assert str(client.get_model_version_by_alias(name, "champion").version) == better
    assert decisions[better].promoted and not decisions[worse].promoted
    assert decisions[worse].champion_version == decisions[better].champion_version == noise.version
    assert f"superseded: v{better} passed the same gate (auc " in decisions[worse].reason
    tags = {v: client.get_model_version(name, v).tags for v in (worse, better)}
    assert tags[better]["promotion.decision"] == "promoted"
    assert tags[worse]["promotion.decision"] == "superseded"
    assert tags[worse]["promotion.reason"] == decisions[worse].reason
