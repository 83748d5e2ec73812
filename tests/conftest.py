"""Shared fixtures: the public datasets in ../shared/datasets (skipped with a reason when absent),
new MLflow SQLite stores given their schema from a template (`MlflowSchema`)."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing
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


class MlflowSchema:
    """MLflow's schema of an empty SQLite tracking store, migrated once (into `template`) and
    then written into new stores as SQL: MLflow's ~50 schema migrations take seconds per store,
    and the suite creates dozens (each test's own store, each `mlflow server`'s)."""

    def __init__(self, template: Path) -> None:
        self.template = template
        self.migrate = None  # MLflow's own `_initialize_tables`, once its store code is loaded
        self.statements: list[str] = []

    def write(self, path: str | Path) -> bool:
        """Gives the SQLite database at `path` (created if absent) MLflow's schema, unless it
        already holds a table (then False: another application's, or a store already)."""
        if not self.statements:
            self.statements = self._migrated()
        with closing(sqlite3.connect(path, isolation_level=None, timeout=60)) as db:
            db.execute("BEGIN EXCLUSIVE")  # another process creating the same store waits
            if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                db.execute("ROLLBACK")
                return False
            for statement in self.statements:
                db.execute(statement)
            db.execute("COMMIT")
        return True

    def _migrated(self) -> list[str]:
        """The SQL statements that rebuild an empty store that MLflow migrated (`template`)."""
        import mlflow.store.db.utils
        import sqlalchemy

        engine = sqlalchemy.create_engine(f"sqlite:///{self.template}")
        (self.migrate or mlflow.store.db.utils._initialize_tables)(engine)
        engine.dispose()
        with closing(sqlite3.connect(self.template)) as db:
            return [
                line
                for line in db.iterdump()
                if not line.startswith(("BEGIN TRANSACTION", "COMMIT", "PRAGMA"))
            ]


@pytest.fixture(scope="session")
def mlflow_schema(tmp_path_factory: pytest.TempPathFactory) -> MlflowSchema:
    """`MlflowSchema`, shared by the worker's tests (e.g. to create a server's store)."""
    return MlflowSchema(tmp_path_factory.getbasetemp() / "mlflow-schema-template.db")


@pytest.fixture(scope="session")
def _mlflow_schema_patch() -> Iterator[pytest.MonkeyPatch]:
    """Undone at the session's end: the patch of `_mlflow_stores_from_a_template`."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(autouse=True)
def _mlflow_stores_from_a_template(
    _mlflow_schema_patch: pytest.MonkeyPatch, mlflow_schema: MlflowSchema
) -> None:
    """A new SQLite tracking store opened in this process gets MLflow's schema from
    `mlflow_schema` instead of MLflow's migrations: the same schema, version row included;
    MLflow still creates the default experiment and everything else itself. A database that
    already holds tables (another application's) is left to MLflow. Patched once MLflow's
    store code is loaded (the worker's first store is migrated as before)."""
    utils = sys.modules.get("mlflow.store.db.utils")
    if utils is None or mlflow_schema.migrate is not None:
        return
    migrate = mlflow_schema.migrate = utils._initialize_tables

    def initialize_from_template(engine) -> None:
        path = engine.url.database if engine.dialect.name == "sqlite" else None
        on_disk = path and path != ":memory:" and not path.startswith("file:")
        if not (on_disk and mlflow_schema.write(path)):
            migrate(engine)

    _mlflow_schema_patch.setattr(utils, "_initialize_tables", initialize_from_template)
    registry = sys.modules.get("mlflow.store.model_registry.sqlalchemy_store")
    if registry is not None:  # it imported the function by name
        _mlflow_schema_patch.setattr(registry, "_initialize_tables", initialize_from_template)


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
