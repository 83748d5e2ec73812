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
