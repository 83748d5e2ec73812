"""Shared fixtures: the public datasets in ../shared/datasets (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adaptive.paths import SHARED_ENV, shared_datasets_dir

#: Where the library itself looks for them: $ADAPTIVE_SHARED_DATASETS, else ../shared/datasets
#: beside the checkout (a worktree elsewhere gives the variable, as the library's readers do).
SHARED_DATASETS = shared_datasets_dir(must_exist=False)


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The folder of real public datasets; skips the test when it is not there."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip(
            f"real datasets not found at {SHARED_DATASETS} (../shared/datasets is absent; "
            f"or set {SHARED_ENV})"
        )
    return SHARED_DATASETS


@pytest.fixture
def older_unrelated_log(tmp_path, monkeypatch):
    """A factory: `make(responses_parquet)` writes another district's log, older than the
    nights (its ids prefixed, its answers ten years before, dated by day: a day's answers tie,
    a load note), and returns (its path, the list counting the nightly job reader's reads of a
    whole log, `since=None`: the students' check's fallback, as `ope` and `experiment analyze`
    read it)."""
    import pandas as pd

    import adaptive.batch.job as job

    whole: list[int] = []
    real = job._read_log

    def spy(*args, since=None):
        whole.extend([1] if since is None else [])
        return real(*args, since=since)

    monkeypatch.setattr(job, "_read_log", spy)

    def make(responses: Path) -> tuple[Path, list[int]]:
        frame = pd.read_parquet(responses)
        frame["student_id"] = "U" + frame["student_id"].astype(str)
        stamps = pd.to_datetime(frame["timestamp"], utc=True) - pd.Timedelta(days=3650)
        frame["timestamp"] = stamps.dt.floor("D")
        path = tmp_path / "company.parquet"
        frame.to_parquet(path)
        return path, whole

    return make


@pytest.fixture
def parts_one_retyped(tmp_path) -> tuple[Path, Path]:
    """A folder of three Parquet parts whose middle one has numeric student ids, as after a
    spreadsheet re-saved that day's export: the folder and the odd part."""
    import pandas as pd

    folder = tmp_path / "parts"
    frame = pd.DataFrame(
        {
            "student_id": ["17", "18", "19"],
            "item_id": ["i1", "i2", "i3"],
            "skill_ids": ["k", "k", "k"],
            "correct": [1, 0, 1],
            "timestamp": pd.to_datetime(["2026-10-01", "2026-10-02", "2026-10-03"], utc=True),
        }
    )
    for day in ("day=1", "day=2", "day=3"):
        (folder / day).mkdir(parents=True)
        part = frame.astype({"student_id": "int64"}) if day == "day=2" else frame
        part.to_parquet(folder / day / "part-0.parquet")
    return folder, folder / "day=2" / "part-0.parquet"
