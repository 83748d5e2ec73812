"""A placement table (`adaptive batch --placement FILE --engine spark`) on Spark.

The in-process job reads the table whole (`read_placement`); on Spark the driver must never hold
per-student data, so the table goes through four steps:

1. the driver reads the file in batches (CSV or Parquet), checks every row as `read_placement`
   does (mastery in [0, 1], a skill of the catalog; errors with file, line, column and value)
   and writes it as Parquet beside the night's outputs (`student_id, skill_id, mastery, _line`,
   and the file's own code, `_code`), where every executor can read it; one batch in memory at
   a time;
2. Spark finds rows that repeat a (student, skill) (the driver collects the first 20 of them,
   each with its first row's line, mastery, source and code: worded by `repeat_problem`, as
   `read_placement` words them, a skill map's two codes read as one skill included);
3. the plan attaches each student's rows to the student's school (`with_placement`): the students
   the night serves (a profile or a previous state) and the students only in the log
   ("unassigned"), as in the in-process job;
4. each executor turns its school's rows into a `Placement` (`school_placement`) that places its
   new students and names their source, exactly as the in-process job's whole table does; the
   rows are steps 1 and 2's, checked once on the driver and by Spark, not again per school.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from adaptive.curriculum import Catalog
from adaptive.errors import Problem
from adaptive.placement.prior import Placement
from adaptive.placement.table import (
    BATCH_ROWS,
    CODE_COLUMN,
    SOURCE_COLUMN,
    RowCells,
    Rows,
    SkillMap,
    TableValues,
    check_places_someone,
    checked_batches,
    checked_rows_placement,
    new_found,
    one_source,
    placement_columns,
    placement_sha256,
    raise_problems,
    repeat_problem,
    rows_of,
    tally_of,
)

#: The checked table as the executors read it.
PLACEMENT_SCHEMA = pa.schema(
    [
        ("student_id", pa.string()),
        ("skill_id", pa.string()),
        ("mastery", pa.float64()),
        ("source", pa.string()),  # the row's source column, "" where the file has none
        ("_line", pa.int64()),
        ("_code", pa.string()),  # the row's skill code as the file writes it, before a skill map
    ]
)


def checked_placement_parquet(
    path: str | Path,
    catalog: Catalog,
    columns: Mapping[str, str] | None,
    target: Path,
    batch_rows: int = BATCH_ROWS,
    skill_map: SkillMap | None = None,
) -> str:
    """Step 1: the table at `path` checked row by row and written to `target` (Parquet); returns
    the sha256 of the file, the column names and the skill map, for the night's fingerprint.
    Skills are read through `skill_map` (the rows of retired codes left out, said in one
    `PlacementWarning`). Every problem of the file is one `DataValidationError` (rows
    repeating a (student, skill) are step 2's). The file's values are judged whole here, as
    `read_placement` judges them (`TableValues`: masteries all at most 0.01, sources that
    are dates or numbers), once and on the driver."""
    import pyarrow.parquet as pq

    path = Path(path)
    columns = placement_columns(columns)
    found = new_found()
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    renamed = tally_of(skill_map)
    values = TableValues()
    with pq.ParquetWriter(target, PLACEMENT_SCHEMA) as out:
        for frame, _ in checked_batches(path, catalog, columns, found, batch_rows, renamed):
            values.add(frame)
            if len(frame) and not any(n for _, n in found.values()):
                out.write_table(_as_rows(frame))
                written += len(frame)
    raise_problems(list(found.values()), columns)
    check_places_someone(path, written, renamed)
    if renamed is not None:
        renamed.warn(str(path))
    values.warn(str(path), columns)
    return placement_sha256(path, columns, skill_map)


def _as_rows(frame: pd.DataFrame) -> pa.Table:
    code = CODE_COLUMN if CODE_COLUMN in frame else "skill_id"  # the file's code: no map, the skill
    return pa.table(
        {
            "student_id": frame["student_id"].astype(str).to_numpy(),
            "skill_id": frame["skill_id"].astype(str).to_numpy(),
            "mastery": pd.to_numeric(frame["mastery"]).to_numpy("float64"),
            "source": (
                frame[SOURCE_COLUMN].astype(str).to_numpy()
                if SOURCE_COLUMN in frame
                else np.full(len(frame), "", dtype=object)
            ),
            "_line": frame.index.to_numpy(np.int64),  # each row's own line (a Parquet row)
            "_code": frame[code].astype(str).to_numpy(),
        },
        schema=PLACEMENT_SCHEMA,
    )


def placement_duplicates(
    session,
    target: Path,
    file: str,
    columns: Mapping[str, str],
    skill_map: SkillMap | None = None,
) -> None:
    """Step 2: rows that repeat an earlier row's (student, skill), found by Spark (the driver
    collects the first 20 of them by line, each with its pair's first row); one
    `DataValidationError` as `read_placement` gives (two codes that `skill_map`, step 1's,
    read as one skill named as such, not as a row given twice)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    cells = F.struct("_line", "mastery", "source", "_code")
    pair = Window.partitionBy("student_id", "skill_id").orderBy("_line")
    again = (
        session.read.parquet(str(target))
        .withColumn("first", F.first(cells).over(pair))
        .where(F.col("_line") != F.col("first._line"))
    )
    total = again.count()
    rows = rows_of(Path(file))
    found = [_source_problems(session, target, rows)]
    if total:
        listed = [
            _repeat(rows, row["skill_id"], row["first"], row, skill_map)
            for row in again.orderBy("_line").limit(20).collect()
        ]
        found.append((listed, int(total)))
    raise_problems(found, columns)


def _repeat(rows: Rows, skill: str, first: Any, again: Any, skill_map: SkillMap | None) -> Problem:
    """The problem of the row `again` repeating the (student, skill) of the row `first` (each
    a Spark row of its line, mastery, source and file code), worded by `repeat_problem` as in
    process: both masteries where they differ, "identical" where every cell is the same, what
    the skill map did where it read two codes as one skill."""
    return repeat_problem(rows, skill, _row_cells(again), _row_cells(first), skill_map)


def _row_cells(row: Any) -> RowCells:
    """A Spark row of step 2 as `repeat_problem` takes a row: its line, and its cells besides
    the ids (mastery, source, the file's code)."""
    cells = {"mastery": row["mastery"], SOURCE_COLUMN: row["source"], CODE_COLUMN: row["_code"]}
    return row["_line"], cells


def _source_problems(session, target: Path, rows) -> tuple[list, int]:
    """Rows giving a student another source than their first row with one (as
    `table.sources_of_students` finds them in process), found by Spark: the driver collects
    at most 20 of them."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    named = session.read.parquet(str(target)).where(F.col("source") != "")
    first = F.first("source").over(Window.partitionBy("student_id").orderBy("_line"))
    other = named.withColumn("first", first).where(F.col("source") != F.col("first"))
    total = other.count()
    listed = [
        rows.problem(row["_line"], SOURCE_COLUMN, row["source"], one_source(row["first"]))
        for row in other.orderBy("_line").limit(20).collect()
    ] if total else []  # fmt: skip
    return listed, int(total)


def count_placed_off_roster(session, students, log, target: Path, source: str | None) -> None:
    """The table's students that no profile (or previous state) names and the log has no
    answer of, and how many of them are a student's id written otherwise: counted by Spark
    (three numbers reach the driver) and said, or refused when that is every student, as the
    in-process job does (`night_checks.check_placed_on_roster`)."""
    from adaptive.batch.night_checks import check_placed_on_roster

    placed = session.read.parquet(str(target)).select("student_id").distinct()
    known = students.select("student_id").unionByName(log.select("student_id")).distinct()
    off_roster = placed.join(known, "student_id", "left_anti")
    off = off_roster.count()
    if off:
        otherwise = spelled_alike(off_roster).join(
            spelled_alike(students).distinct(), "spelt", "left_semi"
        )
        check_placed_on_roster(off, placed.count(), source, otherwise.count())


def spelled_alike(frame):
    """`frame`'s student ids as `errors.one_spelling` reads them (case folded, the zeros a
    spreadsheet drops removed), in a column `spelt`: ids written otherwise meet in a join."""
    from pyspark.sql import functions as F

    from adaptive.errors import ID_ZEROS_PATTERN

    return frame.select(
        F.regexp_replace(F.lower("student_id"), ID_ZEROS_PATTERN, "").alias("spelt")
    )


def with_placement(session, students, log, target: Path):
    """Step 3: the students frame with each student's placement rows (`placed`: a list of
    (skill_id, mastery)); a student only in the log joins their school, "unassigned"."""
    from pyspark.sql import functions as F

    from adaptive.batch.job import UNASSIGNED_SCHOOL

    placed = (
        session.read.parquet(str(target))
        .groupBy("student_id")
        .agg(
            F.collect_list(F.struct("skill_id", "mastery")).alias("placed"),
            F.max("source").alias("placed_source"),  # one per student (step 2): "" or it
        )
    )
    log_only = (
        log.select("student_id")
        .distinct()
        .join(students.select("student_id"), "student_id", "left_anti")
        .withColumn("school", F.lit(UNASSIGNED_SCHOOL))
    )
    return students.join(placed, "student_id", "left").unionByName(
        log_only.join(placed, "student_id"), allowMissingColumns=True
    )


def school_placement(people: pa.Table, source: str | None) -> Placement | None:
    """Step 4, on an executor: the school's placement rows as a `Placement` placed in the
    table's own words (its `source` column) or "from <file name>" (None without a table, or
    when it knows none of the school's students). The rows are the driver's, checked there
    (step 1: each row; step 2: one row per (student, skill), one source per student): they are
    placed as they are (`checked_rows_placement`), not checked again per school, and the
    table's warnings are the driver's too (a school's rows are a part of it)."""
    if source is None or "placed" not in people.column_names:
        return None
    placed = people.column("placed").combine_chunks()
    rows = pc.list_flatten(placed)
    if not len(rows):
        return None
    parent = pc.list_parent_indices(placed)
    table = pd.DataFrame(
        {
            "student_id": people.column("student_id").combine_chunks().take(parent).to_pandas(),
            "skill_id": rows.field("skill_id").to_pandas(),
            "mastery": rows.field("mastery").to_pandas(),
        }
    )
    return checked_rows_placement(table, source, _own_words(people))


def _own_words(people: pa.Table) -> dict[str, str]:
    """Each placed student's source in the table's own words (`placed_source`, one per student
    after step 2), for those whose rows give one."""
    if "placed_source" not in people.column_names:
        return {}
    said = people.select(["student_id", "placed_source"]).filter(
        pc.fill_null(pc.not_equal(people.column("placed_source"), ""), False)
    )
    return dict(zip(said.column(0).to_pylist(), said.column(1).to_pylist(), strict=True))
