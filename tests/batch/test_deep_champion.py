"""A deep model as the champion: trained, logged, promoted by the same rule, served each night.

The nightly job keeps a DKT student's LSTM state `(h, c)` in its snapshot; the next night
continues from it, which must give the state a full recompute from the whole history gives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from adaptive.batch import run_daily_job
from adaptive.batch.snapshot import load_snapshot
from adaptive.policy.progression import LABELS
from adaptive.registry import promote, train_model
from adaptive.registry.loading import load_champion
from adaptive.simulation.district import simulate_district, write_district

MODEL = "deep-champion-district"


@pytest.fixture(scope="module")
def deep_district(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("deep-district")
    sim = simulate_district(240, 5, responses_per_student=16, max_school_days=20)
    write_district(sim, root / "files")
    log = sim.response_log()
    uri = f"sqlite:///{root / 'mlflow.db'}"
    result = train_model("dkt-tiny", log, registered_name=MODEL, folds=2, tracking_uri=uri)
    decision = promote(MODEL, result.version, log, tracking_uri=uri)
    days = np.unique(log.frame["timestamp"].dt.floor("D").to_numpy())
    return {
        "root": root,
        "uri": uri,
        "log": log,
        "result": result,
        "decision": decision,
        "days": [pd.Timestamp(d).strftime("%Y-%m-%d") for d in days],
        "args": {
            "model_name": MODEL,
            "data": log,
            "catalog": root / "files" / "catalog.json",
            "profiles": root / "files" / "profiles.jsonl",
            "tracking_uri": uri,
            "show_progress": False,
        },
    }


def test_dkt_is_trained_logged_and_promoted_like_any_model(deep_district):
    d = deep_district
    assert d["decision"].promoted  # first version: nothing to beat
    run = MlflowClient(d["uri"]).get_run(d["result"].run_id)
    assert run.data.params["model_class"] == "dkt" and run.data.params["spec"] == "dkt-tiny"
    assert {"auc", "logloss", "ece"} <= set(run.data.metrics)
    assert all(sid not in str(run.data.params) for sid in d["log"].students[:20])
    champion = load_champion(MODEL, tracking_uri=d["uri"])
    assert champion.name == "dkt"
    np.testing.assert_allclose(
        champion.predict_proba(d["log"]), d["result"].model.predict_proba(d["log"]), atol=1e-6
    )


def test_nightly_job_with_dkt_champion_continues_from_its_snapshot(deep_district, tmp_path):
    d = deep_district
    day1, day2 = d["days"][-3], d["days"][-1]
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    first = run_daily_job(day1, incremental, **d["args"])
    second = run_daily_job(day2, incremental, **d["args"])
    assert first.state_rebuilt and not second.state_rebuilt and second.new_responses > 0
    recomputed = run_daily_job(day2, full, **d["args"])
    a, b = load_snapshot(incremental / "state", day2), load_snapshot(full / "state", day2)
    # the network's state plus what the base class keeps (placement, evidence, ability)
    assert {"h", "c", "placement", "evidence"} <= set(a.tracer.arrays)
    assert a.tracer.students == b.tracer.students
    for name in sorted(a.tracer.arrays):
        np.testing.assert_allclose(a.tracer.arrays[name], b.tracer.arrays[name], atol=1e-5)

    recs = pd.read_parquet(incremental / "recommendations" / f"date={day2}")
    students = pd.read_parquet(incremental / "students" / f"date={day2}")
    assert len(students) == recomputed.students_served and recs["sentence"].str.len().min() > 0
    # the policy read the DKT's mastery: per-skill probabilities that differ between students
    mastery = load_champion(MODEL, tracking_uri=d["uri"]).mastery(a.tracer)
    assert mastery.shape[0] == len(a.tracer.students) and ((mastery >= 0) & (mastery <= 1)).all()
    assert mastery.std(axis=0).max() > 1e-3
    states = [f"n_{label}" for label in LABELS]  # the count of skills in each progression
    assert students[states].sum(axis=1).nunique() == 1  # every skill has a state
