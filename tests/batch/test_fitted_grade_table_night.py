"""The nightly job places a student without history with the district's own grade table, read
from the champion's training log (`adaptive.placement.calibrate`), where the policy file has
none; the snapshot records it, and the next night with the same champion reuses the state."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from adaptive.batch import run_daily_job
from adaptive.batch.job import read_profiles
from adaptive.batch.night_checks import grade_table_changed, grade_table_record
from adaptive.curriculum import Catalog
from adaptive.errors import NightWarning
from adaptive.placement import GradeTable, grade_placement
from adaptive.placement.prior import DEFAULT_TABLE
from adaptive.policy import PolicyConfig
from adaptive.registry import load_version, promote, train_model

NAME = "fitted-table-district"


def test_a_night_places_students_without_history_with_the_champion_s_table(district, tmp_path):
    catalog = Catalog.from_json(district.catalog)
    profiles = read_profiles(district.profiles)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = train_model(
        "irt", district.log, registered_name=NAME, folds=2, tracking_uri=uri,
        catalog=catalog, profiles=profiles,
    )  # fmt: skip
    assert promote(NAME, result.version, district.log, tracking_uri=uri).promoted
    level = load_version(NAME, version=result.version, tracking_uri=uri).model.curriculum_level_
    fitted = level.start.table
    assert fitted is not None and fitted != DEFAULT_TABLE
    # a student of the roster who never answered: placed from their grade, with the fitted table
    newcomer = "new-0001"
    roster = tmp_path / "profiles.jsonl"
    line = json.dumps({"student_id": newcomer, "grade": 4, "school_id": "S1"})
    roster.write_text(district.profiles.read_text() + line + "\n")
    profiles = read_profiles(roster)
    args = {**district.job_args(profiles=roster), "model_name": NAME, "tracking_uri": uri}
    out = tmp_path / "out"
    run_daily_job(district.last_day, out, **args)
    students = pd.read_parquet(out / "students" / f"date={district.last_day}")
    row = students.set_index("student_id").loc[newcomer]
    expected = grade_placement(catalog, [profiles[newcomer]], fitted).aligned(catalog.skill_ids)[0]
    default = grade_placement(catalog, [profiles[newcomer]]).aligned(catalog.skill_ids)[0]
    got = np.asarray(row["mastery"], float)
    graded = ~np.isnan(expected) & (catalog.skill_grades == profiles[newcomer].grade)
    assert not np.allclose(expected[graded], default[graded], atol=0.02)
    np.testing.assert_allclose(got[graded], expected[graded], atol=0.02)
    # the next night, same champion: the snapshot's table is tonight's, so the state is reused
    day_2 = (pd.Timestamp(district.last_day) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    assert not run_daily_job(day_2, out, **args).state_rebuilt
    # a policy file's own table still wins over the champion's
    own = PolicyConfig.default().with_(grade_table={"-1": 0.99, "0": 0.9, "1": 0.5})
    run_daily_job(district.last_day, tmp_path / "own", **args, policy_config=own)
    mine = pd.read_parquet(tmp_path / "own" / "students" / f"date={district.last_day}")
    got = np.asarray(mine.set_index("student_id").loc[newcomer, "mastery"], float)
    assert np.nanmean(got[graded]) > 0.8


def test_the_default_table_is_recorded_as_none_given_or_not():
    """A snapshot written before a model kept its table recorded None (the default): a model
    checked with the default table places as it did, so its night reuses that snapshot."""
    assert grade_table_record(None) is None
    assert grade_table_record(GradeTable()) is None
    assert grade_table_record(GradeTable({0: 0.5}, "flat")) == {"0": 0.5, "own_grade": "flat"}
    # a snapshot whose policy spelt out the default's values: the same table, no rebuild
    spelt = {"meta": {"grade_table": GradeTable().to_dict()}}
    assert not grade_table_changed(spelt["meta"], None, "2026-10-01")
    assert not grade_table_changed({"grade_table": None}, GradeTable(), "2026-10-01")
    with pytest.warns(NightWarning, match="is not the one the snapshot of 2026-10-01"):
        assert grade_table_changed({"grade_table": None}, GradeTable({0: 0.5}), "2026-10-01")
