"""The pip requirement a logged model names for this library: never PyPI's unrelated `adaptive`."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import mlflow

import adaptive
from adaptive.registry import requirement, train_model
from adaptive.registry.requirement import direct_url, own_requirement


class _Recorded:
    """An installed distribution of `version` whose `direct_url.json` reads `text`."""

    def __init__(self, text: str | None, version: str = "0.1.0") -> None:
        self.text = text
        self.version = version

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


def test_a_project_installed_from_a_subfolder_names_the_subfolder() -> None:
    """PEP 610's `subdirectory` was dropped: a requirement for a library installed from a
    subfolder of a repository (`pip install 'git+URL#subdirectory=python'`) named the
    repository's root, which pip cannot install."""
    vcs = {"url": "https://git.example.org/mono.git", "subdirectory": "libs/adaptive",
           "vcs_info": {"vcs": "git", "commit_id": "0123abc"}}  # fmt: skip
    assert direct_url(json.dumps(vcs)) == (
        "git+https://git.example.org/mono.git@0123abc#subdirectory=libs/adaptive"
    )
    folder = {"url": "file:///home/me/mono", "subdirectory": "libs/adaptive", "dir_info": {}}
    assert direct_url(json.dumps(folder)) == "file:///home/me/mono#subdirectory=libs/adaptive"


def test_an_install_from_a_file_names_it_and_one_from_an_index_pins_the_version(
    monkeypatch,
) -> None:
    """Every logged model listed `adaptive==0.1.0`, which pip resolves to PyPI's `adaptive`
    (another project): rebuilding the model's environment installed it without an error. An
    index install pins the installed distribution's version (what `adaptive --version` says),
    not `adaptive.__version__`, a copy of it in the code that can disagree."""
    wheel = "file:///srv/wheels/adaptive-0.1.0-py3-none-any.whl"
    monkeypatch.setattr(
        requirement, "distribution", lambda name: _Recorded(json.dumps({"url": wheel}))
    )
    assert own_requirement() == f"adaptive @ {wheel}"
    monkeypatch.setattr(requirement, "distribution", lambda name: _Recorded(None, "2.3.4"))
    assert own_requirement() == "adaptive==2.3.4"


def test_a_source_checkout_that_is_not_installed_names_its_folder(monkeypatch) -> None:
    """A source tree on PYTHONPATH, not installed, named `adaptive==0.1.0`: PyPI's project."""

    def not_installed(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr(requirement, "distribution", not_installed)
    checkout = Path(adaptive.__file__).resolve().parents[2]
    assert own_requirement() == f"adaptive @ {checkout.as_uri()}"


def test_a_logged_models_requirements_name_this_install(small_log, sqlite_uri) -> None:
    """The model's own requirements.txt says where this library came from (this test run's
    install: a source folder or a wheel)."""
    result = train_model("irt", small_log, folds=2, tracking_uri=sqlite_uri)
    mlflow.set_tracking_uri(sqlite_uri)
    local = mlflow.pyfunc.get_model_dependencies(result.model_uri)
    lines = [line for line in Path(local).read_text().splitlines() if line.strip()]
    assert [line for line in lines if line.startswith("adaptive")] == [own_requirement()]
    if distribution("adaptive").read_text("direct_url.json"):  # this install says its origin
        assert " @ " in own_requirement()
