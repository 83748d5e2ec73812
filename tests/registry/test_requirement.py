"""The pip requirement a logged model names for this library: never PyPI's unrelated `adaptive`."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow

import adaptive
from adaptive.registry import requirement, train_model
from adaptive.registry.requirement import direct_url, own_requirement


class _Recorded:
    def __init__(self, text: str | None) -> None:
        self.text = text

    def read_text(self, name: str) -> str | None:
        return self.text if name == "direct_url.json" else None


def test_direct_urls_of_a_wheel_a_folder_and_a_vcs_checkout() -> None:
    wheel = {"url": "file:///srv/wheels/adaptive-0.1.0-py3-none-any.whl", "archive_info": {}}
    assert direct_url(json.dumps(wheel)) == wheel["url"]
    folder = {"url": "file:///home/me/adaptive", "dir_info": {"editable": True}}
    assert direct_url(json.dumps(folder)) == "file:///home/me/adaptive"
    vcs = {"url": "https://git.example.org/adaptive.git",
           "vcs_info": {"vcs": "git", "commit_id": "0123abc"}}  # fmt: skip
    assert direct_url(json.dumps(vcs)) == "git+https://git.example.org/adaptive.git@0123abc"
    for unreadable in (None, "", "not json", "[]", '{"url": ""}'):
        assert direct_url(unreadable) is None


def test_an_install_from_a_file_names_it_and_one_from_an_index_pins_the_version(
    monkeypatch,
) -> None:
    """Every logged model listed `adaptive==0.1.0`, which pip resolves to PyPI's `adaptive`
    (another project): rebuilding the model's environment installed it without an error."""
    wheel = "file:///srv/wheels/adaptive-0.1.0-py3-none-any.whl"
    monkeypatch.setattr(
        requirement, "distribution", lambda name: _Recorded(json.dumps({"url": wheel}))
    )
    assert own_requirement() == f"adaptive @ {wheel}"
    monkeypatch.setattr(requirement, "distribution", lambda name: _Recorded(None))
    assert own_requirement() == f"adaptive=={adaptive.__version__}"


def test_a_logged_models_requirements_name_this_install(small_log, sqlite_uri) -> None:
    """The model's own requirements.txt says where this library came from (this test run's
    install: a source folder or a wheel)."""
    result = train_model("irt", small_log, folds=2, tracking_uri=sqlite_uri)
    mlflow.set_tracking_uri(sqlite_uri)
    local = mlflow.pyfunc.get_model_dependencies(result.model_uri)
    lines = [line for line in Path(local).read_text().splitlines() if line.strip()]
    assert [line for line in lines if line.startswith("adaptive")] == [own_requirement()]
