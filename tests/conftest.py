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
