"""Dataset descriptors, `load_log`, and every shared dataset loading with its documented counts."""

from __future__ import annotations

import gzip

import pytest

from adaptive.data import list_descriptors, load_descriptor, load_log, load_log_report
from adaptive.data.descriptors import descriptors_dir
from adaptive.errors import AdaptiveError, ConfigError
from adaptive.paths import SHARED_ENV, shared_datasets_dir, source_checkout

SHARED = [
    "assist2009",
    "assist2015",
    "assist2017",
    "statics2011",
    "assist2009-gervet-train",
    "assist2009-gervet-test",
    "statics2011-gervet-train",
    "statics2011-gervet-test",
]


def test_every_named_dataset_has_a_valid_descriptor():
    assert set(SHARED) | {"demo"} <= set(list_descriptors())
    for name in list_descriptors():
        desc = load_descriptor(name)
        assert desc.file and desc.root in ("shared", "data")
        desc.column_mapping()  # checked mapping


def test_readme_counts_are_recorded_in_the_descriptors():
    assert load_descriptor("assist2009").expected == {
        "rows": 325637,
        "responses": 274590,
        "students": 4151,
        "items": 16891,
        "skills": 110,
    }
    assert load_descriptor("statics2011").expected["students"] == 333


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(AdaptiveError, match="known: .*assist2009"):
        load_log("no-such-dataset")


def test_bad_descriptor_is_a_config_error(monkeypatch, tmp_path):
    (tmp_path / "broken.toml").write_text('file = "x.csv"\n[columns]\nstudent = "u"\n')
    monkeypatch.setattr("adaptive.data.descriptors.descriptors_dir", lambda: tmp_path)
    with pytest.raises(ConfigError, match="unknown key.*student"):
        load_descriptor("broken")


def test_absent_shared_folder_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv(SHARED_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(AdaptiveError, match="nowhere.*does not exist"):
        load_log("assist2009")
    assert not load_descriptor("assist2009").is_available()


def test_shared_folder_is_beside_the_project(monkeypatch):
    monkeypatch.delenv(SHARED_ENV, raising=False)
    path = shared_datasets_dir(must_exist=False)
    assert path == source_checkout().parent / "shared" / "datasets"
    assert descriptors_dir().is_relative_to(source_checkout() / "src" / "adaptive")


def test_cli_overrides_apply_on_top_of_a_descriptor(shared_datasets, tmp_path):
    sample = tmp_path / "a17.csv"
    with gzip.open(shared_datasets / "assist2017/assist2017_responses.csv.gz", "rt") as fh:
        sample.write_text("".join(next(fh) for _ in range(2001)))
    log = load_log(sample, dataset="assist2017")
    assert len(log) == 2000 and not log.has_timestamps
    by_fold = load_log(sample, mapping={"skill_ids": "akt_skill_idx"}, dataset="assist2017")
    assert len(by_fold.skills) == len(log.skills) and by_fold.skills[0].isdigit()


@pytest.mark.slow
@pytest.mark.parametrize("name", SHARED)
def test_shared_dataset_loads_with_its_documented_counts(shared_datasets, name):
    log, report = load_log_report(name)
    expected = load_descriptor(name).expected
    got = {
        "rows": report.rows_read,
        "responses": len(log),
        "students": log.n_students,
        "items": len(log.items),
        "skills": len(log.skills),
    }
    assert {k: got[k] for k in expected} == expected
    assert report.rows_quarantined == 0 and report.rows_loaded == report.rows_read


@pytest.mark.slow
def test_assist2009_multi_skill_rows_become_one_response(shared_datasets):
    log = load_log("assist2009")
    multi = log.n_skills_per_response > 1
    assert multi.sum() > 40_000
    # Each merged response lists distinct skills (a run of k rows -> k different skills).
    first = log.skill_offsets[:-1][multi]
    assert (log.skill[first] != log.skill[first + 1]).all()


def test_demo_district_loads_when_written():
    desc = load_descriptor("demo")
    if not desc.is_available():
        pytest.skip(f"demo district not written yet ({desc.path}); `make demo` writes it")
    log = load_log("demo")
    assert log.has_timestamps and len(log) > 0
    assert {"school_id", "class_id", "duration_s"} <= set(log.frame.columns)
