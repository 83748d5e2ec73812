"""A small simulated district with a promoted champion, shared by the batch-job tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from adaptive.data.log import ResponseLog
from adaptive.registry import promote, train_model
from adaptive.simulation.district import simulate_district, write_district

MODEL = "batch-test-district"


@dataclass
class District:
    root: Path
    uri: str
    log: ResponseLog
    catalog: Path
    profiles: Path
    responses: Path
    last_day: str
    model: str = MODEL

    def log_with_ids_in_capitals(self, folder: Path, n: int = 2) -> Path:
        """The district's log with its first `n` students' ids in capitals (a profile's id
        written otherwise), as a Parquet file in `folder`."""
        frame = self.log.frame.copy()
        frame["student_id"] = frame["student_id"].astype(str)
        first = sorted(frame["student_id"].unique())[:n]
        chosen = frame["student_id"].isin(first)
        frame.loc[chosen, "student_id"] = frame.loc[chosen, "student_id"].str.upper()
        path = folder / "log.parquet"
        frame.to_parquet(path)
        return path

    def job_args(self, **extra) -> dict:
        return {
            "model_name": MODEL,
            "data": self.log,
            "catalog": self.catalog,
            "profiles": self.profiles,
            "tracking_uri": self.uri,
            "show_progress": False,
            **extra,
        }


@pytest.fixture(scope="session")
def district(tmp_path_factory: pytest.TempPathFactory) -> District:
    """1,100 simulated students in 2 schools (+ a few without a profile), IRT champion."""
    root = tmp_path_factory.mktemp("district")
    sim = simulate_district(1100, 11, responses_per_student=16, max_school_days=30)
    write_district(sim, root / "files")
    # students without a profile are still served (school "unassigned") and counted
    lines = (root / "files" / "profiles.jsonl").read_text().splitlines()
    kept = [line for line in lines if not json.loads(line)["student_id"].endswith(("07", "93"))]
    (root / "files" / "profiles.jsonl").write_text("\n".join(kept) + "\n")
    log = sim.response_log()
    uri = f"sqlite:///{root / 'mlflow.db'}"
    result = train_model("irt", log, registered_name=MODEL, folds=2, tracking_uri=uri)
    assert promote(MODEL, result.version, log, tracking_uri=uri).promoted
    last = log.frame["timestamp"].max()
    return District(
        root,
        uri,
        log,
        root / "files" / "catalog.json",
        root / "files" / "profiles.jsonl",
        root / "files" / "responses.parquet",
        (last + __import__("pandas").Timedelta(days=1)).strftime("%Y-%m-%d"),
    )


@pytest.fixture(scope="session")
def district_table(district: District):
    """The district's catalog and its students as one partition table (`batch_to_table`): the
    champion traced over the whole log, the history absorbed, every student with a profile."""
    import adaptive
    from adaptive.batch.history import StudentHistory
    from adaptive.batch.job import read_profiles
    from adaptive.batch.partition import batch_to_table
    from adaptive.curriculum import Catalog
    from adaptive.policy.adapter import batch_from_model

    catalog = Catalog.from_json(district.catalog)
    model = adaptive.load_champion(district.model, tracking_uri=district.uri)
    state = model.init_state()
    model.update(state, district.log)
    history = StudentHistory.empty(catalog)
    history.absorb(district.log, catalog)
    ids = sorted(state.students)
    batch = batch_from_model(
        model, state, catalog, read_profiles(district.profiles), student_ids=ids,
        **history.fields(ids),
    )  # fmt: skip
    return catalog, batch_to_table(batch)
