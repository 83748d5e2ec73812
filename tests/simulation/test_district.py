"""District simulator: shapes, a readable canonical log, truth export, byte-identical re-runs."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.data import load_log
from adaptive.data.log import ResponseLog
from adaptive.errors import ConfigError
from adaptive.simulation.district import (
    DISTRICT_FILES,
    district_catalog,
    simulate_district,
    write_district,
)

N_STUDENTS = 300


@pytest.fixture(scope="module")
def district():
    return simulate_district(N_STUDENTS, seed=11, responses_per_student=30)


def test_catalog_is_a_graded_dag_with_every_activity_kind() -> None:
    cat = district_catalog(0)
    assert len(cat.skills) == 120 and len(cat.activities) >= 600
    assert len(cat.topological_order) == 120
    kinds = {a.kind for a in cat.activities}
    assert kinds == {"practice", "review", "project", "assessment"}
    assert all(a.topics for a in cat.activities)
    assert set(np.unique(cat.skill_grades)) == {3, 4, 5, 6, 7, 8}
    assert cat.in_scope(grade_band=(5, 5)).sum() == len(cat.activities) // 6


def test_shapes_and_canonical_log(district) -> None:
    cat, students = district.catalog, district.students
    assert len(students) == N_STUDENTS and students["student_id"].is_unique
    assert district.interests.shape == (N_STUDENTS, len(cat.topics))
    assert district.truth_start.shape == district.truth_end.shape == (N_STUDENTS, len(cat.skills))
    frame = district.response_frame()
    assert list(frame.columns) == [
        "student_id", "item_id", "skill_ids", "correct", "timestamp", "duration_s",
        "school_id", "class_id",
    ]  # fmt: skip
    per_student = frame.groupby("student_id").size()
    assert 20 <= per_student.median() <= 40  # about responses_per_student each
    assert set(frame["item_id"]) <= set(cat.activity_index)
    skills_of = {a.id: list(a.skills) for a in cat.activities}
    pairs = zip(frame["item_id"], frame["skill_ids"], strict=True)
    assert all(list(s) == skills_of[i] for i, s in pairs)
    assert str(frame["timestamp"].dt.tz) == "UTC"
    # sorted by student, then strictly increasing time within a student
    assert frame["student_id"].is_monotonic_increasing
    same = frame["student_id"].eq(frame["student_id"].shift())
    assert (frame["timestamp"].diff()[same] > pd.Timedelta(0)).all()
    # school and class agree with the student table
    merged = frame.merge(students, on="student_id", suffixes=("", "_s"))
    assert (merged["school_id"] == merged["school_id_s"]).all()
    assert (merged["class_id"] == merged["class_id_s"]).all()
    log = district.response_log()
    assert isinstance(log, ResponseLog) and len(log) == len(frame)
    assert log.n_students <= N_STUDENTS


def test_truth_moves_with_practice(district) -> None:
    """Skills of the student's own grade (those practised) are learned over the term."""
    g = district.students["grade"].to_numpy()
    on_grade = district.catalog.skill_grades[None, :] == g[:, None]
    start, end = district.truth_start[on_grade].mean(), district.truth_end[on_grade].mean()
    assert end > start + 0.02
    assert ((district.truth_end >= 0) & (district.truth_end <= 1)).all()
    flags = district.students[["slow_learner", "low_prior"]]
    assert flags.dtypes.tolist() == [bool, bool] and flags.any().all()


def test_write_is_byte_identical_for_a_seed_and_readable(tmp_path, district) -> None:
    a = write_district(district, tmp_path / "a")
    b = write_district(simulate_district(N_STUDENTS, seed=11, responses_per_student=30),
                       tmp_path / "b")  # fmt: skip
    assert [p.name for p in a] == list(DISTRICT_FILES)
    for pa_, pb in zip(a, b, strict=True):
        assert pa_.read_bytes() == pb.read_bytes(), pa_.name
    other = write_district(simulate_district(N_STUDENTS, seed=12, responses_per_student=30),
                           tmp_path / "c")  # fmt: skip
    assert other[0].read_bytes() != a[0].read_bytes()
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.endswith(".tmp")]
    out = tmp_path / "a"
    # the log through the data layer's reader
    log = load_log(out / "responses.parquet")
    assert len(log) == district.responses.num_rows and log.n_students <= N_STUDENTS
    assert Catalog.from_json(out / "catalog.json") == district.catalog
    lines = (out / "profiles.jsonl").read_text().splitlines()
    profiles = [LearnerProfile.from_dict(json.loads(line)) for line in lines]
    assert profiles == list(district.profiles())
    assert json.dumps(profiles[0].to_dict(), sort_keys=True) == lines[0]
    assert all(set(p.goal_skills) <= set(district.catalog.skill_index) for p in profiles)
    truth = pd.read_parquet(out / "truth_mastery.parquet")
    assert len(truth) == N_STUDENTS * len(district.catalog.skills)
    wide = truth.pivot(index="student_id", columns="skill_id", values="mastery_end")
    wide = wide.loc[district.students["student_id"], list(district.catalog.skill_index)]
    assert np.allclose(wide.to_numpy(), district.truth_end)
    schools = pd.read_csv(out / "schools.csv")
    assert schools["n_students"].sum() == N_STUDENTS


def test_other_learner_kinds_drive_the_district() -> None:
    for kind in ("logistic", "prerequisite"):
        d = simulate_district(60, seed=1, responses_per_student=10, learner=kind)
        assert d.learner == kind and d.responses.num_rows > 300


def test_a_curriculum_prior_district_knows_everything_before_a_point_in_its_grade() -> None:
    """`prior="curriculum"`: each student's starting knowledge is the curriculum up to a point
    inside their grade (5% gaps; the low-prior fifth know a quarter of it, as in every
    district), so the district check finds it follows the order; the default ("grade":
    scattered across a grade) is the district it always was."""
    from adaptive.placement.level import check_level
    from adaptive.placement.prior import position_in_grade

    ordered = simulate_district(300, seed=2, responses_per_student=30, prior="curriculum")
    assert ordered.meta["prior"] == "curriculum"
    position = ordered.catalog.skill_grades + position_in_grade(ordered.catalog)
    grade = ordered.students["grade"].to_numpy()
    known = ordered.truth_start >= 0.5  # (students, skills) in the catalog's order
    low = ordered.students["low_prior"].to_numpy()
    below, beyond = position[None, :] < grade[:, None], position[None, :] >= grade[:, None] + 1
    assert known[~low][below[~low]].mean() > 0.9  # the grades below: known, but for gaps
    assert 0.15 < known[low][below[low]].mean() < 0.35  # the low-prior: a quarter of it
    assert known[beyond].mean() < 0.05  # beyond the student's grade: next to nothing
    profiles = [LearnerProfile(s, grade=int(g)) for s, g in zip(
        ordered.students["student_id"], ordered.students["grade"], strict=True)]  # fmt: skip
    assert check_level(ordered.catalog, ordered.response_log(), profiles).holds
    scattered = simulate_district(300, seed=2, responses_per_student=30)
    assert scattered.meta["prior"] == "grade"
    assert not check_level(scattered.catalog, scattered.response_log(), profiles).holds
    same = simulate_district(300, seed=2, responses_per_student=30, prior="grade")
    assert same.responses.equals(scattered.responses)
    with pytest.raises(
        ConfigError, match="unknown prior 'ordered'; valid priors: curriculum, grade"
    ):
        simulate_district(10, seed=2, prior="ordered")
    # a logistic learner reads a prior as a starting ability: beyond the point, too low to learn
    with pytest.raises(ConfigError, match="prior 'curriculum' needs learners whose skills"):
        simulate_district(10, seed=2, prior="curriculum", learner="logistic")


def test_the_default_district_is_the_one_it_was():
    """The responses of a small default district, pinned (the digest of stop 55's code,
    329c9f5): a new option of the simulator must leave the districts it wrote before as they
    were."""
    d = simulate_district(50, seed=2, responses_per_student=10)
    r = d.responses
    columns = [r.column(c).to_pylist() for c in ("student_id", "item_id", "correct")]
    digest = hashlib.sha256(str(columns).encode()).hexdigest()[:16]
    assert (r.num_rows, digest) == (497, "b858d39331eb338e")


def test_cli_simulate_writes_the_district(tmp_path) -> None:
    from adaptive.cli import app

    out = tmp_path / "demo"
    args = ["simulate", "--students", "40", "--seed", "3", "--responses", "10", "--out", str(out),
            "--quiet"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "40 students" in result.output
    assert all((out / name).is_file() for name in DISTRICT_FILES)
