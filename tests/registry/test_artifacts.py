"""Every file of a model artifact is checksummed, model.json included; errors name the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adaptive.errors import ArtifactError
from adaptive.registry import load_version, train_model
from adaptive.tracing.base import KnowledgeTracer
from adaptive.tracing.logistic import BestLR


@pytest.fixture(scope="module")
def saved(small_log, tmp_path_factory) -> Path:
    model = BestLR(max_iter=200, history=200).fit(small_log)
    return model.save(tmp_path_factory.mktemp("artifact") / "best-lr")


def edit_model_json(directory: Path, change) -> None:
    """Apply `change(meta)` to model.json and write it back as a careless editor would."""
    path = directory / "model.json"
    meta = json.loads(path.read_text())
    change(meta)
    path.write_text(json.dumps(meta, indent=2))


def swap_two_skills(meta: dict) -> None:
    skills = meta["fitted"]["skills"]
    skills[0], skills[1] = skills[1], skills[0]


@pytest.mark.parametrize(
    "change",
    [
        lambda meta: meta["params"].update(history=900),
        swap_two_skills,
        lambda meta: meta.pop("sha256"),
    ],
    ids=["history-200-to-900", "two-skill-ids-swapped", "checksum-removed"],
)
def test_an_altered_model_json_is_refused(saved, tmp_path, change):
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in saved.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    KnowledgeTracer.load(copy)  # loads before the change
    edit_model_json(copy, change)
    with pytest.raises(ArtifactError, match="model.json"):
        KnowledgeTracer.load(copy)


def test_reformatting_model_json_changes_nothing(saved, tmp_path, small_log):
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in saved.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    edit_model_json(copy, lambda meta: None)  # same content, other whitespace
    assert KnowledgeTracer.load(copy).get_params() == KnowledgeTracer.load(saved).get_params()


def test_an_artifact_of_the_unsealed_format_1_is_refused_with_the_reason(saved, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in saved.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())

    def as_format_1(meta: dict) -> None:
        meta.pop("sha256")
        meta["format_version"] = 1

    edit_model_json(copy, as_format_1)
    with pytest.raises(ArtifactError, match="format_version 1.*cannot be verified.*retrain"):
        KnowledgeTracer.load(copy)


def test_a_tampered_registered_model_names_model_and_version(small_log, sqlite_uri, tmp_path):
    train_model("irt", small_log, registered_name="tampered", folds=2, tracking_uri=sqlite_uri)
    (stored,) = (tmp_path / "artifacts").rglob("tracer/model.json")
    meta = json.loads(stored.read_text())
    meta["fitted"]["skills"].reverse()
    stored.write_text(json.dumps(meta, indent=2))
    with pytest.raises(ArtifactError) as caught:
        load_version("tampered", "1", tracking_uri=sqlite_uri)
    message = str(caught.value)
    assert message.startswith("registered model 'tampered' version 1: model.json: checksum")
    assert "/tmp" not in message  # not the temporary folder it was downloaded to
