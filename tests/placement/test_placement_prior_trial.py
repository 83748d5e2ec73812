"""A vendor's first-day placement, as the user trial of stop 38 tried it: the grade table's own
value for a student's grade, `combine` with a diagnostic, and a placement printed into a log."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from adaptive.curriculum import Catalog, LearnerProfile, Skill
from adaptive.errors import ConfigError, PlacementWarning
from adaptive.placement import GradeTable, Placement, combine, grade_placement


def one_grade() -> Catalog:
    """a (grade 1) <- b <- c <- d (grade 2, in prerequisite order)."""
    return Catalog(
        (
            Skill("a", grade=1),
            Skill("b", prerequisites=("a",), grade=2),
            Skill("c", prerequisites=("b",), grade=2),
            Skill("d", prerequisites=("c",), grade=2),
        )
    )


def own_grade_values(table: GradeTable) -> np.ndarray:
    return grade_placement(one_grade(), [LearnerProfile("x", grade=2)], table).mastery[0, 1:]


def test_the_tables_own_value_for_the_students_grade_is_used() -> None:
    """{0: 0.3} and {0: 0.6} placed the own grade alike (the default line 0.7 -> 0.1 won)."""
    low = own_grade_values(GradeTable({-1: 0.8, 0: 0.3, 1: 0.1}))
    high = own_grade_values(GradeTable({-1: 0.9, 0: 0.6, 1: 0.1}))
    np.testing.assert_allclose(low, [0.6, 0.3, 0.1])  # 0.3 +- 0.3, kept above gap 1's 0.1
    np.testing.assert_allclose(high, [0.9, 0.6, 0.3])
    assert GradeTable().own_grade == (0.7, 0.1)  # the default table's line is unchanged


def test_a_flat_or_explicit_own_grade_line_and_bad_ones() -> None:
    np.testing.assert_allclose(own_grade_values(GradeTable({0: 0.3}, own_grade="flat")), 0.3)
    np.testing.assert_allclose(
        own_grade_values(GradeTable({-1: 0.9, 0: 0.4, 1: 0.1}, own_grade=(0.8, 0.2))),
        [0.8, 0.5, 0.2],
    )
    for bad in ("steep", (0.5,), (0.5, 2.0), ("a", "b")):
        with pytest.raises(ConfigError, match="'sloped', 'flat' or \\(first, last\\)"):
            GradeTable(own_grade=bad)


def full(source: str, value: float) -> Placement:
    return Placement(("x",), ("a", "b"), np.array([[value, value]]), (source,))


def test_a_diagnostic_put_before_the_records_is_said_to_shadow_them() -> None:
    """combine(diagnostic, records, grade) kept the diagnostic's inferred values for every skill
    and used the records for none, without a word."""
    records = Placement(("x",), ("b",), np.array([[0.4]]), ("placed from last_year.csv",))
    with pytest.warns(PlacementWarning, match="'placed from last_year.csv' adds nothing"):
        both = combine(full("placed by diagnostic (3 questions)", 0.84), records)
    assert both.mastery[0, 1] == 0.84
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        right_order = combine(records, full("placed from grade 4", 0.1))  # fills a: no warning
    np.testing.assert_allclose(right_order.mastery[0], [0.4, 0.1])  # columns: b, a


def test_a_placement_prints_counts_and_sources_never_ids() -> None:
    ids = tuple(f"stu{i:07d}" for i in range(1000))
    p = Placement(ids, ("a",), np.full((1000, 1), 0.5), ("placed from grade 4",) * 1000)
    text = repr(p)
    assert "stu0000001" not in text and len(text) < 200
    assert text == (
        "Placement(1,000 students x 1 skills, 100% placed, mean P(known) 0.50; "
        "sources {'placed from grade 4': 1,000})"
    )
    # an ops trial: every value 0.05 printed "100% known"
    low = Placement(ids[:2], ("a",), np.full((2, 1), 0.05), ("placed",) * 2)
    assert "100% placed, mean P(known) 0.05" in repr(low) and "known;" not in repr(low)


def test_a_grade_no_school_has_is_refused_where_it_is_read(tmp_path) -> None:
    """Grades 100 and -5 were read, and the reasons said "placed from grade 100"."""
    from adaptive.curriculum import read_profiles
    from adaptive.records import RecordError

    for grade in (100, -5, 14):
        with pytest.raises(ConfigError, match=f"grade {grade}; expected a whole number from 1"):
            LearnerProfile("x", grade=grade)
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,grade\na,5\nb,100\n")
    with pytest.raises(RecordError, match="roster.csv, line 3: grade = '100'"):
        read_profiles(roster)
    assert [LearnerProfile("x", grade=g).grade for g in ("PK", "K", 12, 13)] == [-1, 0, 12, 13]


def test_records_in_a_frame_are_checked_against_the_catalog_when_given() -> None:
    """A skill of another catalog in a frame placed nothing, without a word."""
    import pandas as pd

    from adaptive.errors import DataValidationError
    from adaptive.placement import mastery_table_placement

    frame = pd.DataFrame(
        {"student_id": ["x", "x"], "skill_id": ["b", "NOT.A.SKILL"], "mastery": [0.9, 0.8]}
    )
    with pytest.raises(DataValidationError, match="row label 1, column 'skill_id'"):
        mastery_table_placement(frame, catalog=one_grade())
    assert mastery_table_placement(frame).skills == ("NOT.A.SKILL", "b")  # unchecked without


def test_records_a_diagnostic_shadows_for_some_students_are_counted() -> None:
    """combine(diagnostic, records, grade): 20 diagnosed students' records were unused without a
    word (the warning came only when the records added nothing for anyone)."""
    diagnosed = full("placed by diagnostic (3 questions)", 0.84)
    records = Placement(
        ("x", "y"), ("b",), np.array([[0.4], [0.5]]), ("placed from last_year.csv",) * 2
    )
    with pytest.warns(PlacementWarning, match="values of 1 student of the placement") as said:
        both = combine(diagnosed, records)
    text = str(said[0].message)
    assert "(of 2 it places) are not used" in text and "start the diagnostic from them" in text
    assert "put the records first" in text and "'x'" not in text
    assert both.source_of("y") == "placed from last_year.csv"
    every = Placement(("x", "y"), ("a", "b"), np.array([[0.4, 0.4], [0.5, np.nan]]))
    grade = Placement(("x", "y"), ("a", "b"), np.full((2, 2), 0.1), grades=np.array([4.0, 4.0]))
    with warnings.catch_warnings():  # a grade's placement shadowed by full records: expected
        warnings.simplefilter("error")
        combine(every, grade)


def test_records_the_diagnostic_was_started_from_are_not_said_to_be_unused() -> None:
    """Re-check N8: a diagnostic started from the records as the README says
    (`prior=combine(records, grade)`), its placement then combined with the records, warned that
    the records of its students "are not used ... start the diagnostic from them", which the
    user had done: its answers had updated them. Records it was not started from still are."""
    placed, records = started_diagnostic(("x",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both = combine(placed, records)
    assert both.source_of("y") == "placed from last_year.csv"
    newer = Placement(("x",), ("b",), np.array([[0.9]]), ("placed from this_year.csv",))
    with pytest.warns(PlacementWarning, match="adds nothing.*start the diagnostic from them"):
        combine(placed, newer)


def started_diagnostic(ids: tuple[str, ...]) -> tuple[Placement, Placement]:
    """Records of x and y, and a diagnostic started from them (as the README says) that
    asked `ids`: (its placement, the records)."""
    from adaptive.placement import PlacementDiagnostic

    catalog = one_grade()
    profiles = [LearnerProfile("x", grade=2), LearnerProfile("y", grade=2)]
    records = Placement(
        ("x", "y"), ("b",), np.array([[0.4], [0.5]]), ("placed from last_year.csv",) * 2
    )
    prior = combine(records, grade_placement(catalog, profiles))
    diag = PlacementDiagnostic(catalog, prior=prior, max_questions=2)
    return diag.run(list(ids), lambda rows, codes: np.ones(len(rows), int)), records


def test_a_subset_of_a_diagnostics_placement_keeps_the_prior_it_started_from() -> None:
    """Review 51 #13: `subset` and `without_skills` built a placement without `started_from`,
    so `combine(placed.subset(ids), records)` said again that the records the diagnostic was
    started from "are not used"."""
    placed, records = started_diagnostic(("x", "y"))
    dropped = np.array([skill == "d" for skill in placed.skills])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        combine(placed.subset(["x"]), records)
        combine(placed.without_skills(dropped), records)


def test_students_whose_records_the_diagnostic_started_from_are_counted_in_words() -> None:
    """Review 51 #13: "(1 other student' values are in the diagnostic's prior already)"."""
    placed, _ = started_diagnostic(("x", "y"))
    changed = Placement(("x", "y"), ("b",), np.array([[0.4], [0.9]]), ("placed from new.csv",) * 2)
    with pytest.warns(PlacementWarning) as said:
        combine(placed, changed)
    assert "the values of 1 student of the placement 'placed from new.csv' (of 2 it places) are " \
        "not used (not counting 1 other student, whose values are in the diagnostic's prior " \
        "already)" in str(said[0].message)  # fmt: skip


def test_a_subset_names_how_many_students_the_placement_lacks() -> None:
    placed, _ = started_diagnostic(("x",))
    with pytest.raises(ConfigError, match="^1 student is not in this placement$"):
        placed.subset(["x", "nobody"])


def test_newer_records_over_older_ones_are_not_said_as_a_diagnostics_shadow() -> None:
    """combine(this_years, last_years) layers newer records over older ones on purpose, yet it
    warned that last year's values of a student "are not used", with advice on a diagnostic the
    user was not running. Only a placement that adds nothing at all is said, plainly."""
    nan = np.nan
    this_year = Placement(
        ("x", "y"), ("a", "b"), np.array([[0.9, nan], [0.8, 0.7]]), ("placed from 2026.csv",) * 2
    )
    last_year = Placement(
        ("x", "y"), ("a", "b"), np.array([[0.4, 0.3], [0.5, 0.6]]), ("placed from 2025.csv",) * 2
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both = combine(this_year, last_year)  # y's values of 2025 all shadowed: intended
    np.testing.assert_allclose(both.mastery, [[0.9, 0.3], [0.8, 0.7]])
    older = Placement(("y",), ("a",), np.array([[0.5]]), ("placed from 2024.csv",))
    with pytest.warns(PlacementWarning) as said:
        combine(this_year, older)
    assert [str(w.message) for w in said] == [
        "combine: the placement 'placed from 2024.csv' adds nothing: an earlier one ('placed "
        "from 2026.csv') already gives every skill it knows for its students, and the first "
        "placement that knows a skill wins"
    ]


def test_a_combined_placement_keeps_bits_of_its_parts_and_says_the_same_sources() -> None:
    """combine(records, grade) kept a full copy of each placement for `on_skills` (3 x 366 MiB
    at a district's 400,000 x 120). Now each part is kept as which (student, skill) it valued,
    a bit each, and its sources: dropping skills (of a subset, of a combine of combines) says
    each student's source and value as combining the placements without them does."""
    rng = np.random.default_rng(7)
    ids, skills = tuple(f"s{i}" for i in range(200)), tuple(f"k{j}" for j in range(16))

    def sparse(name: str, students: tuple[str, ...]) -> Placement:
        values = np.where(rng.uniform(size=(len(students), 16)) < 0.1, 0.5, np.nan)
        return Placement(students, skills, values, (f"placed from {name}",) * len(students))

    records, last_year = sparse("2026.csv", ids[:150]), sparse("2025.csv", ids[100:])
    grade = Placement(ids, skills, np.full((200, 16), 0.2), ("placed from grade 4",) * 200,
                      grades=np.full(200, 4.0))  # fmt: skip
    both = combine(records, combine(last_year, grade))
    assert sum(p.packed.nbytes for p in both.parts) * 16 <= both.mastery.nbytes
    dropped = np.isin(skills, ["k1", "k4", "k5", "k9", "k12"])
    expected = combine(*(p.without_skills(dropped) for p in (records, last_year, grade)))
    less = both.without_skills(dropped)
    assert (less.skills, less.sources) == (expected.skills, expected.sources)
    assert less.sources != both.sources  # some students' records were all on dropped skills
    np.testing.assert_array_equal(less.mastery, expected.mastery)
    some = list(ids[80:170])
    assert both.subset(some).without_skills(dropped).sources == expected.subset(some).sources


def test_anything_but_a_placement_in_combine_is_one_type_error() -> None:
    """combine(records, profiles) ended in AttributeError: 'dict' object has no attribute
    'students'."""
    records = full("placed from last_year.csv", 0.4)
    with pytest.raises(TypeError, match=r"combine: placement 2: expected a Placement \(.*"
                       r"grade_placement\(catalog, profiles\).*; got dict"):  # fmt: skip
        combine(records, {"x": LearnerProfile("x", grade=2)})


def test_a_frame_given_to_read_placement_says_to_use_mastery_table_placement() -> None:
    """read_placement(frame, catalog) ended in "expected str, bytes or os.PathLike object"."""
    import pandas as pd

    from adaptive.placement import read_placement

    frame = pd.DataFrame({"student_id": ["x"], "skill_id": ["b"], "mastery": [0.9]})
    with pytest.raises(TypeError, match=r"got DataFrame \(a frame: use mastery_table_placement"):
        read_placement(frame, one_grade())
    with pytest.raises(TypeError, match=r"got dict\. A Placement is made by grade_placement"):
        read_placement({"x": 1}, one_grade())
