"""Placement tables: where students start, as a file of (student_id, skill_id, mastery).

A prior year's mastery export, a transcript mapped to skills, or a diagnostic's saved placement
(`Placement.to_frame()`), read back as a `Placement` (`read_placement`, `mastery_table_placement`).
Every row is checked: mastery a number in [0, 1] (a column of percentages says so), one row per
(student, skill), a skill of the catalog; the problems of a file are one `DataValidationError`
with file, line, column and value, named by the file's own columns when `columns=` maps them.
The row rules are functions of their own, so that the Spark engine checks a table in batches
with the same rules (`adaptive.batch.spark_placement`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog
from adaptive.errors import ConfigError, DataValidationError, Problem
from adaptive.placement.prior import Placement

PLACEMENT_COLUMNS = ("student_id", "skill_id", "mastery")
DUPLICATE_EXPECTED = "one row per (student, skill)"

#: Problems found in a placement table (the first 20 of a kind) and how many there were.
Found = tuple[list[Problem], int]


def mastery_table_placement(
    frame: pd.DataFrame, source: str = "earlier records", file: str = "<frame>"
) -> Placement:
    """Placement from earlier records: rows (student_id, skill_id, mastery in [0, 1]).

    A prior year's mastery export, or a transcript mapped to skills (a score scaled to [0, 1]).
    Every row is checked; a duplicate (student, skill) or a value outside [0, 1] is an error.
    """
    check_placement_columns(frame, file)
    raise_problems([mastery_problems(frame, file), duplicate_problems(frame, file)])
    value = pd.to_numeric(frame["mastery"], errors="coerce").to_numpy(np.float64)
    student, students = pd.factorize(frame["student_id"].astype(str), sort=True)
    skill, skills = pd.factorize(frame["skill_id"].astype(str), sort=True)
    mastery = np.full((len(students), len(skills)), np.nan)
    mastery[student, skill] = value
    return Placement(
        tuple(students), tuple(skills), mastery, (f"placed from {source}",) * len(students)
    )


def check_placement_columns(frame: pd.DataFrame, file: str) -> None:
    """Each missing column of (student_id, skill_id, mastery) is one problem, listing the
    columns the table has."""
    missing = [c for c in PLACEMENT_COLUMNS if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns[:8])) or "none"
        raise DataValidationError(
            [
                Problem(file, None, c, None, f"a column of the mastery table (found: {found})")
                for c in missing
            ]
        )


def mastery_problems(frame: pd.DataFrame, file: str, first_line: int = 2) -> Found:
    """Rows whose mastery is not a number in [0, 1] (`first_line`: the file line of the
    frame's first row); a column that reads as percentages says so."""
    value = pd.to_numeric(frame["mastery"], errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(np.isnan(value) | (value < 0) | (value > 1))
    expected = "a number in [0, 1]"
    numbers = value[~np.isnan(value)]
    if len(bad) and len(numbers) and numbers.min() >= 0 and 1 < numbers.max() <= 100:
        expected += " (the column reads as percentages, 0-100: divide it by 100)"
    problems = [
        Problem(file, int(i) + first_line, "mastery", str(frame["mastery"].iloc[i]), expected)
        for i in bad[:20]
    ]
    return problems, len(bad)


def duplicate_problems(frame: pd.DataFrame, file: str) -> Found:
    """Rows repeating an earlier row's (student, skill)."""
    dup = np.flatnonzero(frame.duplicated(["student_id", "skill_id"], keep="first").to_numpy())
    problems = [
        Problem(file, int(i) + 2, "skill_id", str(frame["skill_id"].iloc[i]),
                DUPLICATE_EXPECTED)
        for i in dup[:20]
    ]  # fmt: skip
    return problems, len(dup)


def skill_problems(frame: pd.DataFrame, file: str, catalog: Catalog, first_line: int = 2) -> Found:
    """Rows whose skill id the catalog lacks (a typo would place nobody on that skill)."""
    unknown = np.flatnonzero(
        ~frame["skill_id"].astype(str).isin(catalog.skill_index.astype(str)).to_numpy()
    )
    problems = [
        Problem(file, int(i) + first_line, "skill_id", str(frame["skill_id"].iloc[i]),
                "a skill of the catalog")
        for i in unknown[:20]
    ]  # fmt: skip
    return problems, len(unknown)


def raise_problems(found: Sequence[Found], columns: Mapping[str, str] | None = None) -> None:
    """One `DataValidationError` with every kind's problems (named by the file's own columns
    when `columns` maps them), or nothing when there are none."""
    problems = [_in_file_terms(p, columns or {}) for listed, _ in found for p in listed]
    total = sum(n for _, n in found)
    if total:
        raise DataValidationError(problems, total=total)


def placement_columns(given: Mapping[str, str] | None) -> dict[str, str]:
    """The roles a user named (`columns=`), checked: only student_id, skill_id, mastery."""
    columns = dict(given or {})
    unknown_roles = sorted(set(columns) - set(PLACEMENT_COLUMNS))
    if unknown_roles:
        raise ConfigError(
            f"placement columns: unknown role(s) {', '.join(unknown_roles)}; expected "
            f"{', '.join(PLACEMENT_COLUMNS)}"
        )
    return columns


def read_placement(
    path: str | Path, catalog: Catalog, columns: Mapping[str, str] | None = None
) -> Placement:
    """A placement table from a CSV or Parquet file (student_id, skill_id, mastery in [0, 1]):
    a prior year's mastery, a transcript mapped to skills, or a diagnostic's `to_frame()`.

    `columns` names the file's own columns where they differ, e.g. `{"student_id": "Student
    ID", "skill_id": "Standard", "mastery": "Mastery"}`; errors then name the file's column.
    Every row is checked (`mastery_table_placement`), and so is every skill id against the
    catalog: a typo would otherwise place nobody on that skill without a word. Ids are read as
    text ("007" stays "007"). Its students are placed "from <file name>"."""
    path = Path(path)
    columns = placement_columns(columns)
    check_placement_file(path)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ConfigError(f"placement {path}: not a readable CSV or Parquet table ({exc})") from exc
    frame = renamed_placement(frame, columns, str(path))
    file = str(path)
    raise_problems(
        [
            mastery_problems(frame, file),
            duplicate_problems(frame, file),
            skill_problems(frame, file, catalog),
        ],
        columns,
    )
    return mastery_table_placement(frame, path.name, file)


def check_placement_file(path: Path) -> None:
    """A missing file is one `ConfigError` saying what the file should hold."""
    if not path.is_file():
        raise ConfigError(
            f"placement {path} not found; expected a CSV or Parquet table of student_id, "
            "skill_id, mastery"
        )


_COLUMNS_HINT = (
    "for other column names pass columns= (adaptive batch: --placement-columns "
    "'Student ID,Standard,Mastery')"
)


def renamed_placement(frame: pd.DataFrame, columns: Mapping[str, str], file: str) -> pd.DataFrame:
    """The table with its own column names mapped to the roles (student_id, skill_id, mastery),
    ids as text; a named column the file lacks, or a role it then lacks, is a
    `DataValidationError` listing the columns it has (and how to name its own)."""
    missing = [name for name in columns.values() if name not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns[:8])) or "none"
        raise DataValidationError(
            [Problem(file, None, name, None, f"a column of the file (found: {found})")
             for name in missing]
        )  # fmt: skip
    renamed = frame.rename(columns={name: role for role, name in columns.items()})
    try:
        check_placement_columns(renamed, file)
    except DataValidationError as exc:
        raise_problems([(exc.problems, exc.total)], columns)
    for col in ("student_id", "skill_id"):  # ids as text, whatever the file's type
        renamed[col] = renamed[col].astype(str)
    return renamed


def _in_file_terms(problem: Problem, columns: Mapping[str, str]) -> Problem:
    """A problem named by the file's own column (as the user knows it), not the role; a
    missing column says how to name the file's own."""
    if problem.column in columns:
        return dataclasses.replace(problem, column=columns[problem.column])
    if problem.line is None and problem.column in PLACEMENT_COLUMNS:
        return dataclasses.replace(problem, expected=f"{problem.expected}; {_COLUMNS_HINT}")
    return problem
