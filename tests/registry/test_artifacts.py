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


def copied(saved: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in saved.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    return copy


def reseal(directory: Path, change) -> None:
    """Apply `change(meta)` to model.json and seal it again, as that version would have."""
    from adaptive.files import sealed_json

    path = directory / "model.json"
    meta = json.loads(path.read_text())
    meta.pop("sha256")
    change(meta)
    path.write_bytes(sealed_json(meta))


def test_a_model_saved_by_a_newer_version_says_to_upgrade(saved, tmp_path):
    """A model.json of a format this version does not know (a newer adaptive's) is refused
    as newer, before its content is read: not "missing key" or "unknown key" errors that
    blame the file (stop 55's code read stop 56's models that way)."""
    copy = copied(saved, tmp_path)
    reseal(copy, lambda meta: meta.update(format_version=5, fitted={"something": "new"}))
    with pytest.raises(ArtifactError, match=r"format_version 5, saved by a newer version of "
                       r"adaptive \(this one reads formats 2 to 4\): upgrade adaptive"):  # fmt: skip
        KnowledgeTracer.load(copy)


def test_a_model_is_written_in_the_oldest_format_that_holds_it(small_log, tmp_path):
    """Format 3 only where the curriculum level keeps its grade table (format-2 code refused
    the key), 4 where it keeps where the students start (format-3 code refuses that key): a
    model without them stays readable by a serving fleet not upgraded yet (a review: every
    model was written as 3, so every new champion would have been refused there)."""
    import copy as copying

    from adaptive.placement.calibrate import StartTable
    from adaptive.placement.level import LevelFit
    from adaptive.placement.prior import GradeTable

    plain = BestLR(max_iter=200, history=200).fit(small_log)
    with_table = copying.deepcopy(plain)
    with_table.curriculum_level_ = LevelFit(0.03, 500, 0.004, GradeTable())
    with_start = copying.deepcopy(plain)
    start = StartTable(GradeTable({0: 0.35, 1: 0.1}, "flat"), {0: 1200, 1: 0})
    with_start.curriculum_level_ = LevelFit(0.03, 500, 0.004, GradeTable(), start)
    for model, version in ((plain, 2), (with_table, 3), (with_start, 4)):
        folder = model.save(tmp_path / f"v{version}")
        meta = json.loads((folder / "model.json").read_text())
        assert meta["format_version"] == version
        assert ("grade_table" in meta["fitted"]["curriculum_level"]) == (version >= 3)
        assert ("start" in meta["fitted"]["curriculum_level"]) == (version == 4)
        assert KnowledgeTracer.load(folder).curriculum_level_ == model.curriculum_level_


def test_the_table_that_places_and_checks_is_kept_once(small_log, tmp_path):
    """Where the check read the grade with the table students start from (no policy table
    given: the usual training), model.json kept the same table twice; it is kept once, and the
    model reads back the same. A model.json that names it without a start is refused."""
    from adaptive.placement.calibrate import StartTable
    from adaptive.placement.level import LevelFit
    from adaptive.placement.prior import GradeTable

    model = BestLR(max_iter=200, history=200).fit(small_log)
    start = StartTable(GradeTable({0: 0.35, 1: 0.1}, "flat"), {0: 1200, 1: 0})
    model.curriculum_level_ = LevelFit(0.03, 500, 0.004, start.table, start)
    folder = model.save(tmp_path / "m")
    level = json.loads((folder / "model.json").read_text())["fitted"]["curriculum_level"]
    assert level["grade_table"] == "start"
    loaded = KnowledgeTracer.load(folder).curriculum_level_
    assert loaded == model.curriculum_level_ and loaded.grade_table == start.table

    def without_start(meta: dict) -> None:
        meta["fitted"]["curriculum_level"].pop("start")

    reseal(folder, without_start)
    with pytest.raises(ArtifactError, match='grade_table = "start" without a "start"'):
        KnowledgeTracer.load(folder)


def test_a_model_of_format_2_still_loads(saved, tmp_path):
    """A model written in format 2 by an earlier version loads as before."""
    copy = copied(saved, tmp_path)

    def as_format_2(meta: dict) -> None:
        meta["format_version"] = 2
        level = meta["fitted"].get("curriculum_level")
        if isinstance(level, dict):
            level.pop("grade_table", None)

    reseal(copy, as_format_2)
    assert KnowledgeTracer.load(copy).get_params() == KnowledgeTracer.load(saved).get_params()


@pytest.mark.parametrize("version", ["3", 2.5, True, None])
def test_a_format_version_that_is_not_a_whole_number_is_refused(saved, tmp_path, version):
    copy = copied(saved, tmp_path)
    reseal(copy, lambda meta: meta.update(format_version=version))
    with pytest.raises(ArtifactError, match="format_version .*expected a whole number 2 to 4"):
        KnowledgeTracer.load(copy)


def test_a_rollback_to_a_tampered_version_is_refused(small_log, sqlite_uri, tmp_path):
    """A data scientist's trial rolled back to a version whose model.json was edited by hand:
    ROLLED BACK, and only the next night refused its checksum. The rollback reads it first."""
    from mlflow import MlflowClient

    from adaptive.registry import promotion

    train_model("irt", small_log, registered_name="tampered", folds=2, tracking_uri=sqlite_uri)
    (stored,) = (tmp_path / "artifacts").rglob("tracer/model.json")
    meta = json.loads(stored.read_text())
    meta["fitted"]["skills"].reverse()
    stored.write_text(json.dumps(meta, indent=2))
    train_model("irt", small_log, registered_name="tampered", folds=2, tracking_uri=sqlite_uri)
    client = MlflowClient(tracking_uri=sqlite_uri, registry_uri=sqlite_uri)
    client.set_model_version_tag("tampered", "1", promotion.WAS_CHAMPION, "a run")
    client.set_registered_model_alias("tampered", "champion", "2")
    with pytest.raises(ArtifactError, match="version 1: model.json: checksum"):
        promotion.rollback("tampered", "1", "v2 misbehaved", tracking_uri=sqlite_uri)
    assert str(client.get_model_version_by_alias("tampered", "champion").version) == "2"
