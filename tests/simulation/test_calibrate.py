"""BKT calibration on ASSIST2009: README row counts, valid fits, the committed file reproduces."""

from __future__ import annotations

import json

import pytest

from adaptive.simulation.calibrate import (
    calibration_document,
    fit_bkt,
    load_assist2009_single_skill,
    main,
)
from adaptive.simulation.learners import CALIBRATION_FILE


@pytest.fixture(scope="module")
def assist2009(shared_datasets):
    return load_assist2009_single_skill(
        shared_datasets / "assist2009" / "assist2009_responses.csv.gz"
    )


def test_multi_skill_repeats_are_dropped_as_the_readme_counts(assist2009) -> None:
    assert len(assist2009) == 274_585
    assert assist2009["user_id"].nunique() == 4_151


def test_fit_gives_probabilities_and_flags_unusable_skills(assist2009) -> None:
    two = assist2009.loc[assist2009["skill_name"].isin(["Circle Graph", "Percent Of"])]
    fits = fit_bkt(two.reset_index(drop=True), seed=0, num_fits=2)
    assert sorted(fits["skill"]) == ["Circle Graph", "Percent Of"]
    for p in ("p_init", "p_learn", "p_guess", "p_slip", "p_forget"):
        assert fits[p].between(0, 1).all()
    doc = calibration_document(fits, min_responses=10**9, source="test")
    assert doc["n_usable"] == 0
    assert {s["reason"] for s in doc["skills"]} == {"fewer than 1000000000 responses"}


@pytest.mark.slow
def test_committed_calibration_file_is_reproduced(shared_datasets, tmp_path) -> None:
    out = tmp_path / "assist2009_bkt.json"
    main(["--out", str(out)])
    assert out.read_bytes() == CALIBRATION_FILE.read_bytes()
    assert json.loads(out.read_text())["n_usable"] >= 50
