"""The registry's process of the nightly job: answers, errors as raised, a death reported."""

from __future__ import annotations

import os

import pytest

from adaptive.errors import ArtifactError
from adaptive.registry.loading import fetch_version, registry_answer, registry_process
from adaptive.registry.store import TrackingServerError


def _die() -> None:
    os._exit(9)  # as a process killed by the out-of-memory killer


def test_calls_answer_in_order_and_errors_come_back_as_raised(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with registry_process() as registry:
        assert registry_answer(registry.submit(os.getpid)) != os.getpid()  # another process
        missing = registry.submit(fetch_version, "nobody", alias="champion", tracking_uri=uri,
                                  into=tmp_path / "x")  # fmt: skip
        with pytest.raises(ArtifactError, match="'nobody': no tracking store at"):
            registry_answer(missing)


def test_a_registry_process_that_dies_is_one_clear_error():
    with registry_process() as registry, pytest.raises(TrackingServerError, match="died"):
        registry_answer(registry.submit(_die))
