"""The catalog a model was trained with, recorded in its model.json and compared by the night
(a district operator's new school year: last year's catalog left beside a model retrained on
this year's one served retired activities, with a "did you mean" for the new skills, exit 0)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from adaptive.batch import run_daily_job
from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.curriculum.catalog import CatalogRecord
from adaptive.errors import ArtifactError, ConfigError, NightWarning
from adaptive.registry import promote, train_model
from adaptive.tracing.base import KnowledgeTracer

NAME = "batch-test-catalog"


def _new_year(catalog: Catalog) -> Catalog:
    """`catalog` with a skill of its own and an activity on it: this year's catalog."""
    skill = Skill("g4.DS.1", "Data science 1", prerequisites=(catalog.skills[0].id,), grade=4)
    activity = Activity("g4.DS.1.practice1", "Data science practice", ("g4.DS.1",), grade=4)
    return Catalog((*catalog.skills, skill), (*catalog.activities, activity), topics=catalog.topics)


@pytest.fixture(scope="module")
def trained(district, tmp_path_factory) -> tuple[str, Path, Catalog]:
    """A BKT champion trained with this year's catalog; (tracking uri, its file, catalog)."""
    root = tmp_path_factory.mktemp("catalog-model")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    catalog = _new_year(Catalog.from_json(district.catalog))
    path = root / "catalog.json"
    catalog.to_json(path)
    result = train_model(
        "bkt", district.log, registered_name=NAME, folds=2, tracking_uri=uri, catalog=catalog
    )
    assert promote(NAME, result.version, district.log, tracking_uri=uri).promoted
    return uri, path, catalog


def _args(district, trained, catalog: Path) -> dict:
    uri, _, _ = trained
    return district.job_args(model_name=NAME, tracking_uri=uri, catalog=catalog)


def test_the_model_keeps_its_training_catalog_in_model_json(trained, tmp_path):
    """`adaptive train --catalog` records the catalog's sha256 and ids, saved and loaded with
    the model (checksummed in model.json like the rest)."""
    import adaptive

    uri, _, catalog = trained
    model = adaptive.load_champion(NAME, tracking_uri=uri)
    assert model.training_catalog_ == CatalogRecord.of(catalog)
    again = KnowledgeTracer.load(model.save(tmp_path / "m"))
    assert again.training_catalog_ == CatalogRecord.of(catalog)
    meta = tmp_path / "m" / "model.json"
    meta.write_text(meta.read_text().replace(catalog.sha256, "0" * 64))  # edited: refused
    with pytest.raises(ArtifactError, match="checksum"):
        KnowledgeTracer.load(tmp_path / "m")


def test_last_years_catalog_is_refused_without_a_misspelling(district, trained, tmp_path):
    """Last year's catalog (it lacks this year's skill) beside the retrained model: a clear
    error naming both sha256s and the counts, no "did you mean" for the new skill."""
    _, _, catalog = trained
    with warnings.catch_warnings(record=True) as said, pytest.raises(ConfigError) as refused:
        warnings.simplefilter("always")
        run_daily_job(
            district.last_day, tmp_path / "out", **_args(district, trained, district.catalog)
        )
    words = str(refused.value)
    assert f"the catalog differs from the one model {NAME!r} v1 was trained with" in words
    assert Catalog.from_json(district.catalog).sha256[:12] in words and catalog.sha256[:12] in words
    assert "1 skill and 1 activity differ" in words
    assert "pass the catalog the model was trained with (or retrain on this one)" in words
    assert not any("did you mean" in str(w.message) for w in said)


def test_a_catalog_grown_since_training_says_nothing_of_it(district, trained, tmp_path):
    """A catalog that only adds to the training one (mid-year) is served without this check's
    words; one that retired an activity is a warning."""
    _, _, catalog = trained
    extra = Activity("extra.practice", "Extra practice", (catalog.skills[0].id,), grade=3)
    grown = tmp_path / "grown.json"
    Catalog(catalog.skills, (*catalog.activities, extra), topics=catalog.topics).to_json(grown)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        run_daily_job(district.last_day, tmp_path / "a", **_args(district, trained, grown))
    assert not any("was trained with" in str(w.message) for w in said)
    retired = tmp_path / "retired.json"
    Catalog(catalog.skills, catalog.activities[1:], topics=catalog.topics).to_json(retired)
    with pytest.warns(NightWarning, match=r"the catalog lacks 1 activity of the one model"):
        run_daily_job(district.last_day, tmp_path / "b", **_args(district, trained, retired))
