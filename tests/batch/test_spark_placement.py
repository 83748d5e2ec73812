"""The Spark engine's driver checks a placement table in batches, with `read_placement`'s rules
(no Spark needed for this part: `adaptive.batch.spark_placement.checked_placement_parquet`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from adaptive.batch.spark_placement import checked_placement_parquet
from adaptive.curriculum import Catalog, Skill
from adaptive.errors import DataValidationError, PlacementWarning
from adaptive.placement import read_placement


def catalog() -> Catalog:
    return Catalog((Skill("a"), Skill("b", prerequisites=("a",)), Skill("c")))


def test_a_table_read_in_batches_is_checked_and_written_as_read_placement_reads_it(tmp_path):
    path = tmp_path / "export.csv"  # an Excel export: a byte-order mark, ids with leading zeros
    path.write_bytes("\ufeffStudent ID,Standard,Mastery\n007,a,0.9\n007,b,0.25\n008,c,1\n".encode())
    names = {"student_id": "Student ID", "skill_id": "Standard", "mastery": "Mastery"}
    target = tmp_path / "out" / "placement.parquet"
    sha = checked_placement_parquet(path, catalog(), names, target, batch_rows=2)
    rows = pq.read_table(target).to_pandas()
    assert rows["student_id"].tolist() == ["007", "007", "008"]
    assert rows["_line"].tolist() == [2, 3, 4]
    whole = read_placement(path, catalog(), names)
    back = read_placement(_as_csv(rows, tmp_path), catalog())
    assert whole.students == back.students == ("007", "008")
    mastery = ["student_id", "skill_id", "mastery"]  # the sources name each file
    pd.testing.assert_frame_equal(whole.to_frame()[mastery], back.to_frame()[mastery])
    assert rows["source"].tolist() == ["", "", ""]  # a table without a source column
    again = checked_placement_parquet(path, catalog(), names, target)
    assert sha == again and len(sha) == 64  # the file and its column names: the fingerprint's


def test_every_bad_row_of_every_batch_is_one_error_with_its_line(tmp_path):
    path = tmp_path / "last_year.csv"
    path.write_text("student_id,skill_id,mastery\ns1,a,0.9\ns1,b,0.2\ns2,zz,0.5\ns2,a,high\n")
    with pytest.raises(DataValidationError) as caught:
        checked_placement_parquet(path, catalog(), None, tmp_path / "t.parquet", batch_rows=2)
    message = str(caught.value)
    assert caught.value.total == 2, message
    assert "last_year.csv, line 4, column 'skill_id': got 'zz'" in message, message
    assert "last_year.csv, line 5, column 'mastery': got 'high'" in message, message
    path.write_text("learner,kc\n")  # no rows, other columns: still said
    with pytest.raises(
        DataValidationError, match=r"each of student_id, skill_id, mastery \(found: learner, kc\)"
    ):
        checked_placement_parquet(path, catalog(), None, tmp_path / "t.parquet")


def _as_csv(rows: pd.DataFrame, folder) -> str:
    path = folder / "written.csv"
    rows.drop(columns="_line").to_csv(path, index=False)
    return str(path)


def test_the_file_warnings_are_said_once_on_the_driver_as_read_placement_says_them(tmp_path):
    """Review #1: the driver said neither the hundredths nor the source warning, and each
    school's executor said the hundredths one of its own rows (file '<frame>')."""
    import warnings

    import pyarrow as pa

    from adaptive.batch.spark_placement import school_placement
    from adaptive.errors import PlacementWarning

    path = tmp_path / "export.csv"
    path.write_text("student_id,skill_id,mastery,source\ns1,a,0.009,4501\ns2,a,0.004,4502\n")

    def said(read) -> list[str]:
        with pytest.warns(PlacementWarning) as caught:
            read()
        return [str(w.message) for w in caught]

    whole = said(lambda: read_placement(path, catalog()))
    driver = said(lambda: checked_placement_parquet(path, catalog(), None, tmp_path / "t.pq", 1))
    assert driver == whole and len(whole) == 2, driver
    assert "every mastery is at most 0.01 (the largest 0.009, of 2 values)" in whole[0]
    assert "the source column 'source' holds whole numbers" in whole[1]
    school = pa.table(
        {
            "student_id": ["s2"],
            "placed": [[{"skill_id": "a", "mastery": 0.004}]],
            "placed_source": ["4502"],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert school_placement(school, "export.csv").students == ("s2",)


def test_a_schools_rows_checked_by_the_driver_are_placed_without_checking_them_again(
    monkeypatch,
):
    """Each executor ran every row of its school through `mastery_table_placement`'s checks
    again (ids trimmed, masteries read, repeats and second sources looked for), after the
    driver (each row) and Spark (repeats, sources) had checked the whole table. Now a school's
    rows are placed as the driver checked them: the same placement, no row check run."""
    import pyarrow as pa

    from adaptive.batch.spark_placement import school_placement
    from adaptive.placement import table

    placed = pa.struct([("skill_id", pa.string()), ("mastery", pa.float64())])
    people = pa.table(
        {
            "student_id": ["s1", "s2", "s3"],
            "placed": pa.array([[("a", 0.9), ("c", 0.2)], [("b", 0.4)], None], pa.list_(placed)),
            "placed_source": ["placed by diagnostic (12 questions)", "", None],
        }
    )
    rows = pd.DataFrame(
        {
            "student_id": ["s1", "s1", "s2"],
            "skill_id": ["a", "c", "b"],
            "mastery": [0.9, 0.2, 0.4],
            "source": ["placed by diagnostic (12 questions)"] * 2 + [""],
        }
    )
    whole = table.mastery_table_placement(rows, "last_year.csv")

    def checked_again(*args, **kwargs):
        raise AssertionError("a row check ran on the executor")

    for check in ("checked_frame", "duplicate_problems", "sources_of_students"):
        monkeypatch.setattr(table, check, checked_again)
    got = school_placement(people, "last_year.csv")
    assert got.students == whole.students == ("s1", "s2")
    assert got.skills == whole.skills == ("a", "b", "c")
    np.testing.assert_array_equal(got.mastery, whole.mastery)
    assert (
        got.sources
        == whole.sources
        == (
            "placed by diagnostic (12 questions)",
            "placed from last_year.csv",
        )
    )
    assert (
        school_placement(people.drop_columns(["placed_source"]), "t.csv").sources
        == ("placed from t.csv",) * 2
    )


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if __import__("shutil").which("java") is None:
        pytest.skip("Java is not installed: the Spark engine needs a JVM (Java 17)")
    from adaptive.batch.spark import spark_session

    session = spark_session("local[1]", "adaptive-test-placement-repeats")
    yield session
    session.stop()


def test_a_repeat_is_worded_on_spark_as_read_placement_words_it(spark, tmp_path):
    """Review 52 #11: Spark said only "line 2 has the same student and skill" where the
    in-process read said both masteries ("mastery 0.8 there, 0.7 here") or "identical ... safe
    to drop". Both engines now word a repeat with one function, from both rows' cells."""
    from adaptive.batch.spark_placement import placement_duplicates

    path = tmp_path / "twice.csv"
    path.write_text(
        "student_id,skill_id,mastery,source\ns1,a,0.8,MAP\ns2,a,0.5,MAP\ns1,a,0.7,MAP\n"
        "s2,a,0.5,MAP\ns3,b,0.8,MAP\ns3,b,0.8000001,MAP\n"
    )
    with pytest.raises(DataValidationError) as local:
        read_placement(path, catalog())
    target = tmp_path / "checked.parquet"
    checked_placement_parquet(path, catalog(), None, target)
    with pytest.raises(DataValidationError) as on_spark:
        placement_duplicates(spark, target, str(path), {})
    said = [str(p) for p in on_spark.value.problems]
    assert said == [str(p) for p in local.value.problems]
    assert said[0].endswith("(line 2 has the same student and skill: mastery 0.8 there, 0.7 here)")
    assert "identical to line 3" in said[1] and "0.8000001 here" in said[2]


def test_two_codes_a_skill_map_reads_as_one_are_named_on_spark_as_in_process(spark, tmp_path):
    """Re-read 52 #2: with a skill map, Spark called two different codes read as one skill
    "identical ... a row given twice, safe to drop" (its rows kept only the mapped skill) and
    quoted the skill, not the file's code; the in-process read names the map."""
    from adaptive.batch.spark_placement import placement_duplicates
    from adaptive.placement.table import SkillMap

    path = tmp_path / "last_year.csv"
    path.write_text("student_id,skill_id,mastery\ns1,old-a,0.8\ns1,a,0.8\ns2,b,0.5\ns2,b,0.5\n")
    codes = {"old-a": "a", "a": "a", "b": "b"}
    with pytest.raises(DataValidationError) as local:
        read_placement(path, catalog(), skill_map=codes)
    target = tmp_path / "checked.parquet"
    skill_map = SkillMap.of(codes, catalog())
    checked_placement_parquet(path, catalog(), None, target, skill_map=skill_map)
    with pytest.raises(DataValidationError) as on_spark:
        placement_duplicates(spark, target, str(path), {}, skill_map)
    said = [str(p) for p in on_spark.value.problems]
    assert said == [str(p) for p in local.value.problems]
    assert "got 'a'" in said[0] and "two codes read as one skill" in said[0], said
    assert "safe to drop" not in said[0] and "safe to drop" in said[1], said


def test_rows_of_roster_students_whose_ids_lost_their_zeros_are_counted_apart_on_spark(
    spark, tmp_path
):
    """A review: the Spark engine's placement check counted the roster students whose ids lost
    their zeros among those who left, where the in-process one counts them apart. The same
    words now, from one join on the ids as `one_spelling` reads them."""
    import numpy as np

    from adaptive.batch.night_checks import warn_placed_off_roster
    from adaptive.batch.spark_placement import count_placed_off_roster
    from adaptive.placement import Placement

    ids = ["410", "411", "999", "000500"]
    target = tmp_path / "placed.parquet"
    spark.createDataFrame([(s,) for s in ids], "student_id string").write.parquet(str(target))
    roster = ["000410", "000411", "000500"]
    students = spark.createDataFrame([(s,) for s in roster], "student_id string")
    log = spark.createDataFrame([], "student_id string")
    with pytest.warns(PlacementWarning) as on_spark:
        count_placed_off_roster(spark, students, log, target, "last_year.csv")
    table = Placement(tuple(ids), ("k",), np.full((4, 1), 0.5), ("placed from x",) * 4)
    with pytest.warns(PlacementWarning) as local:
        warn_placed_off_roster(table, dict.fromkeys(roster), [], "last_year.csv")
    said = str(on_spark[0].message)
    assert said == str(local[0].message)
    assert "; 2 of them are a profile's id once leading zeros or case are restored" in said
