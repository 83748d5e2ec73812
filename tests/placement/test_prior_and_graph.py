"""Placement priors (grade, earlier records, combined) and evidence along the prerequisite graph."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from adaptive.curriculum import Catalog, LearnerProfile, Skill
from adaptive.errors import ConfigError, DataValidationError
from adaptive.placement import (
    GradeTable,
    Placement,
    combine,
    grade_placement,
    mastery_table_placement,
    read_placement,
)
from adaptive.placement.graph import graph_propagation, propagate


def chain() -> Catalog:
    """a <- b <- c <- d (each the prerequisite of the next), grades 1..4, plus e without grade."""
    return Catalog(
        (
            Skill("a", grade=1),
            Skill("b", prerequisites=("a",), grade=2),
            Skill("c", prerequisites=("b",), grade=3),
            Skill("d", prerequisites=("c",), grade=4),
            Skill("e"),
        )
    )


def test_grade_placement_follows_the_table_and_says_where_it_came_from() -> None:
    table = GradeTable({-1: 0.9, 0: 0.4, 1: 0.1})
    p = grade_placement(chain(), [LearnerProfile("x", grade=2), LearnerProfile("y")], table)
    np.testing.assert_allclose(p.mastery[0, :4], [0.9, 0.4, 0.1, 0.1])  # gap 2 -> the table's end
    assert np.isnan(p.mastery[0, 4]) and np.isnan(p.mastery[1]).all()
    assert p.sources == ("placed from grade 2", "population prior (no grade)")


def test_grade_table_interpolates_inside_and_rejects_nonsense() -> None:
    table = GradeTable.from_dict({"-2": 0.9, "0": 0.5})
    np.testing.assert_allclose(table.lookup(np.array([-5, -1, 0, 3])), [0.9, 0.7, 0.5, 0.5])
    with pytest.raises(ConfigError):
        GradeTable({0: 1.5})
    with pytest.raises(ConfigError):
        GradeTable.from_dict({"one": 0.5})


def test_records_placement_checks_every_row() -> None:
    frame = pd.DataFrame({"student_id": ["x", "x"], "skill_id": ["a", "b"], "mastery": [0.9, 0.2]})
    p = mastery_table_placement(frame, source="last year's mastery")
    assert p.sources == ("placed from last year's mastery",)
    np.testing.assert_allclose(p.aligned(["b", "a", "zz"])[0, :2], [0.2, 0.9])
    bad = frame.assign(mastery=[0.9, 1.7])
    with pytest.raises(DataValidationError, match="row label 1"):
        mastery_table_placement(bad, file="prior.csv")


def test_combine_prefers_the_first_source_that_knows() -> None:
    records = Placement(("x",), ("a",), np.array([[0.2]]), ("placed from records",))
    grade = grade_placement(chain(), [LearnerProfile("x", grade=3), LearnerProfile("y", grade=1)])
    both = combine(records, grade)
    a = both.aligned(["a", "b"])
    assert a[0, 0] == 0.2 and a[0, 1] == grade.mastery[0, 1]
    assert both.sources == ("placed from records", "placed from grade 1")


def test_placement_rejects_bad_shapes_and_values() -> None:
    with pytest.raises(ConfigError):
        Placement(("x",), ("a", "b"), np.array([[0.5]]))
    with pytest.raises(ConfigError):
        Placement(("x",), ("a",), np.array([[1.2]]))


def test_success_raises_prerequisites_and_failure_caps_dependents() -> None:
    cat = chain()
    m = np.array(
        [
            [0.3, 0.4, 0.97, 0.9, np.nan],  # c answered, mastered: a and b must be too
            [0.9, 0.2, 0.85, 0.85, np.nan],  # b answered, failing: c and d cannot be above it
        ]
    )
    evidence = np.array([[0, 0, 1, 0, 0], [0, 1, 0, 0, 0]], bool)
    out = propagate(cat, m, evidence)
    np.testing.assert_allclose(out[0, :4], [0.97, 0.97, 0.97, 0.9])
    np.testing.assert_allclose(out[1, :4], [0.9, 0.2, 0.2, 0.2])
    assert np.isnan(out[:, 4]).all()  # no neighbour: unknown stays unknown


def test_the_raise_goes_as_far_as_its_strength_and_the_cap_is_whole() -> None:
    """Issue 16: how much a mastered skill says of its never-answered prerequisites differs by
    district (the policy's `graph_raise`): 0 raises nothing, 0.5 half-way, 1 to the dependent's
    mastery; an unknown (NaN) prerequisite takes the dependent's mastery whatever the strength
    (nothing else is known of it), and the cap from an answered prerequisite is whole."""
    cat = chain()
    m = np.array([[0.3, 0.4, 0.97, 0.9, np.nan], [np.nan, 0.4, 0.97, 0.9, np.nan]])
    evidence = np.array([[0, 0, 1, 0, 0], [0, 0, 1, 0, 0]], bool)
    np.testing.assert_allclose(propagate(cat, m, evidence)[0, :4], [0.97, 0.97, 0.97, 0.9])
    none = propagate(cat, m, evidence, strength=0.0)
    np.testing.assert_allclose(none[0, :4], [0.3, 0.4, 0.97, 0.9])
    half = propagate(cat, m, evidence, strength=0.5)
    np.testing.assert_allclose(half[0, :4], [0.635, 0.685, 0.97, 0.9])
    assert none[1, 0] == 0.97 and half[1, 0] == 0.97
    failed = np.array([[0.9, 0.2, 0.85, 0.85, np.nan]])
    answered_b = np.array([[0, 1, 0, 0, 0]], bool)
    np.testing.assert_array_equal(
        propagate(cat, failed, answered_b, 0.0), propagate(cat, failed, answered_b)
    )


def test_a_skills_own_evidence_is_never_overwritten_by_the_graph() -> None:
    """A teacher's trial: a skill answered wrong five times in a row read 98% ("ready to
    accelerate") because the skill built on it, known from the start, was answered right three
    times. An answered skill keeps its own reading, from below and from above; the graph fills
    the skills the student never answered."""
    cat = chain()
    m = np.array([[0.3, 0.95, 0.2, 0.2, 0.5], [0.06, 0.98, np.nan, 0.5, 0.5]])
    evidence = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]], bool)
    out = propagate(cat, m, evidence)
    assert out[0, 2] == 0.2  # c's own answers say it is not mastered, whatever b says
    assert out[0, 0] == 0.3  # so do a's, whatever b says
    assert out[1, 0] == 0.06  # failed five times: not raised by b's right answers
    assert out[1, 3] == 0.06  # d never answered: a's failure caps it


def test_the_dense_step_equals_relaxing_level_by_level() -> None:
    """Small batches take one dense step over the closure; both ways give the same bounds."""
    rng = np.random.default_rng(0)
    skills = [
        Skill(f"s{i}", prerequisites=tuple(sorted({f"s{j}" for j in rng.integers(0, i, 2)})))
        if i
        else Skill("s0")
        for i in range(60)
    ]
    g = graph_propagation(Catalog(tuple(skills)))
    m = rng.random((7, 60))
    evidence = rng.random((7, 60)) < 0.15
    sources = np.flatnonzero(evidence.any(axis=0))
    dense = g._dense(m, evidence, sources)
    levels = g._by_levels(m, evidence)
    np.testing.assert_array_equal(dense[0], levels[0])
    np.testing.assert_array_equal(dense[1], levels[1])


def test_own_grade_skills_are_placed_by_their_place_in_the_grade() -> None:
    """A grade's early skills (shallow in the graph) are more likely known than its late ones."""
    cat = Catalog(
        (
            Skill("a", grade=1),
            Skill("b", prerequisites=("a",), grade=2),
            Skill("c", prerequisites=("b",), grade=2),
            Skill("d", prerequisites=("c",), grade=2),
        )
    )
    table = GradeTable({-1: 0.9, 0: 0.4, 1: 0.1}, own_grade=(0.8, 0.2))
    p = grade_placement(cat, [LearnerProfile("x", grade=2)], table).mastery[0]
    np.testing.assert_allclose(p, [0.9, 0.8, 0.5, 0.2])
    flat = grade_placement(cat, [LearnerProfile("x", grade=2)], GradeTable({0: 0.4}, None))
    np.testing.assert_allclose(flat.mastery[0, 1:], 0.4)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_placement_saved_as_a_table_reads_back(tmp_path, suffix) -> None:
    """`to_frame` -> a file -> `read_placement`: the known values come back (NaN stays unknown),
    ids are text ("007" is not 7), and the students are placed from the file."""
    profiles = [LearnerProfile("007", grade=2), LearnerProfile("x", grade=3)]
    placed = grade_placement(chain(), profiles)
    frame = placed.to_frame()
    assert len(frame) == 8 and not frame["mastery"].isna().any()  # skill e has no grade
    path = tmp_path / f"placed{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    back = read_placement(path, chain())
    assert back.students == ("007", "x")
    np.testing.assert_allclose(back.aligned(placed.skills), placed.mastery)
    assert back.sources == placed.sources  # in the placement's own words
    # a table without its source column places "from" the file
    bare = frame.drop(columns="source")
    bare.to_csv(path, index=False) if suffix == ".csv" else bare.to_parquet(path)
    with warnings.catch_warnings():  # an app running with warnings as errors (a vendor's trial:
        warnings.simplefilter("error")  # pandas deprecates filling a float column with text)
        assert read_placement(path, chain()).sources == (f"placed from placed{suffix}",) * 2


def test_a_diagnostics_saved_placement_keeps_its_words(tmp_path) -> None:
    """A diagnostic's placement saved with `to_frame` and given to the nightly job as a file
    placed its students "from fall.csv" (the file's name) where the app had said "placed by
    diagnostic (3 questions)"; the file's `source` column now carries the words. An empty
    source cell falls back to the file's name; a student given two sources, or a source that
    is a paragraph, is a problem naming the line."""
    placed = Placement(
        ("s1", "s2"), ("a", "b"), np.array([[0.9, 0.2], [0.5, np.nan]]),
        ("placed by diagnostic (3 questions)", ""),
    )  # fmt: skip
    frame = placed.to_frame()
    assert frame["source"].tolist() == ["placed by diagnostic (3 questions)"] * 2 + [""]
    path = tmp_path / "fall.csv"
    frame.to_csv(path, index=False)
    back = read_placement(path, chain())
    assert back.sources == ("placed by diagnostic (3 questions)", "placed from fall.csv")
    assert mastery_table_placement(frame, "fall records").sources == (
        "placed by diagnostic (3 questions)", "placed from fall records",
    )  # fmt: skip
    path.write_text(
        "student_id,skill_id,mastery,source\n"
        "s1,a,0.9,placed by diagnostic (3 questions)\n"
        "s1,b,0.2,placed from grade 4\n"
        f"s2,a,0.5,{'x' * 201}\n"
    )
    with pytest.raises(DataValidationError) as caught:
        read_placement(path, chain())
    message = str(caught.value)
    assert caught.value.total == 2, message
    assert (
        "fall.csv, line 3, column 'source': got 'placed from grade 4'; expected one source per "
        "student (an earlier row of theirs says 'placed by diagnostic (3 questions)')"
    ) in message
    assert "fall.csv, line 4, column 'source'" in message and "at most 200 characters" in message


def test_a_bad_placement_file_is_one_clear_error(tmp_path) -> None:
    path = tmp_path / "last_year.csv"
    path.write_text("student_id,skill_id,mastery\ns1,a,0.9\ns1,zz,0.5\ns2,b,high\n")
    with pytest.raises(DataValidationError) as caught:
        read_placement(path, chain())
    message = str(caught.value)  # both problems, each with its file, line, column and value
    assert caught.value.total == 2, message
    assert "last_year.csv, line 4, column 'mastery': got 'high'" in message
    assert "last_year.csv, line 3, column 'skill_id': got 'zz'; expected a skill of" in message
    path.write_text("learner,kc,p\ns1,a,0.9\n")  # the user's own names: say what was found
    with pytest.raises(
        DataValidationError,
        match=r"each of student_id, skill_id, mastery \(found: learner, kc, p\)",
    ):
        read_placement(path, chain())
    with pytest.raises(DataValidationError, match="for other column names pass columns="):
        read_placement(path, chain())
    with pytest.raises(ConfigError, match="not found"):
        read_placement(tmp_path / "none.csv", chain())
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(ConfigError, match="not a readable"):
        read_placement(tmp_path / "junk.parquet", chain())


def test_a_placement_file_with_its_own_column_names(tmp_path) -> None:
    """`columns=` maps the file's own names (a district's export) to student, skill, mastery;
    errors then name the file's column, and a percent column says so."""
    path = tmp_path / "export.csv"
    path.write_text("Student ID,Standard,Mastery\n007,a,0.9\n007,b,0.25\n")
    names = {"student_id": "Student ID", "skill_id": "Standard", "mastery": "Mastery"}
    placed = read_placement(path, chain(), columns=names)
    assert placed.students == ("007",)
    np.testing.assert_allclose(placed.aligned(["a", "b"]), [[0.9, 0.25]])
    path.write_text("Student ID,Standard,Mastery\n007,a,90\n007,b,25\n")  # percentages
    with pytest.raises(DataValidationError) as caught:
        read_placement(path, chain(), columns=names)
    message = str(caught.value)
    assert "export.csv, line 2, column 'Mastery': got '90'" in message, message
    assert "percentages, 0-100: divide it by 100" in message, message
    with pytest.raises(DataValidationError, match=r"column 'Learner'.*found: Student ID"):
        read_placement(path, chain(), columns={**names, "student_id": "Learner"})
    with pytest.raises(ConfigError, match="unknown role"):
        read_placement(path, chain(), columns={"student": "Student ID"})


def test_a_placement_file_read_in_batches_is_the_same_placement(tmp_path) -> None:
    """`read_placement` reads a district's table a batch at a time: the placement equals the
    one built from the whole frame, and a (student, skill) repeated in a later batch, or in the
    same one, is found with its line."""
    rows = [("s2", "b", 0.5), ("s1", "a", 0.9), ("s1", "c", 0.1), ("s3", "a", 0.2), ("s2", "a", 1)]
    frame = pd.DataFrame(rows, columns=["student_id", "skill_id", "mastery"])
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    whole = mastery_table_placement(frame.astype({"mastery": str}), "table.csv")
    for batch_rows in (1, 2, 10):
        placed = read_placement(path, chain(), batch_rows=batch_rows)
        assert placed.students == whole.students and placed.skills == whole.skills
        np.testing.assert_array_equal(placed.mastery, whole.mastery)
        assert placed.sources == whole.sources
    repeated = pd.concat([frame, frame.iloc[[1, 4]], frame.iloc[[1]]])
    repeated.to_csv(path, index=False)
    for batch_rows in (2, 10):
        with pytest.raises(DataValidationError) as caught:
            read_placement(path, chain(), batch_rows=batch_rows)
        assert caught.value.total == 3, str(caught.value)
        assert [p.line for p in caught.value.problems] == [7, 8, 9]


def test_a_placement_naming_a_skill_twice_is_refused() -> None:
    """A review: with pandas' index gone from `aligned`, a skill given twice read its last
    column without a word (pandas had refused it deep inside)."""
    import numpy as np
    import pytest

    from adaptive.errors import ConfigError
    from adaptive.placement.prior import Placement

    with pytest.raises(ConfigError, match="placement skills: 'a' is given twice"):
        Placement(("s1",), ("a", "a", "b"), np.zeros((1, 3)))
