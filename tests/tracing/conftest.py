"""Shared fixtures of the knowledge-tracing tests."""

from __future__ import annotations

import pytest

from adaptive.batch.demo import one_torch_thread


@pytest.fixture(scope="module")
def one_thread():
    """Torch on one thread for a test module (tiny models: threads only wait on each other)."""
    with one_torch_thread():
        yield
