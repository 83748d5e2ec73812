"""Shared fixtures: the public datasets in ../shared/datasets (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The folder of real public datasets; skips the test when it is not beside the project."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATASETS} (../shared/datasets is absent)")
    return SHARED_DATASETS
