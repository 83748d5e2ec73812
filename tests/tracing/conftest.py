"""Shared fixtures of the knowledge-tracing tests."""

from __future__ import annotations

import pytest

from adaptive.tracing.deep.threads import torch_threads


@pytest.fixture(scope="module")
def one_thread():
    """Torch on one thread for a test module (tiny models: threads only wait on each other)."""
    with torch_threads(1):
        yield
