"""Fixtures for the policy tests (helpers live in `policy_fixtures`)."""

from __future__ import annotations

import pytest
from policy_fixtures import make_catalog

from adaptive.curriculum import Catalog
from adaptive.policy import PolicyConfig


@pytest.fixture
def catalog() -> Catalog:
    return make_catalog()


@pytest.fixture
def config() -> PolicyConfig:
    return PolicyConfig()
