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

import csv
import dataclasses
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from adaptive.curriculum import Catalog
from adaptive.errors import ConfigError, DataValidationError, Problem
from adaptive.files import file_sha256
from adaptive.placement.prior import Placement

PLACEMENT_COLUMNS = ("student_id", "skill_id", "mastery")
DUPLICATE_EXPECTED = "one row per (student, skill)"
BATCH_ROWS = 500_000  # rows of a placement file read at a time

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
    path: str | Path,
    catalog: Catalog,
    columns: Mapping[str, str] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Placement:
    """A placement table from a CSV or Parquet file (student_id, skill_id, mastery in [0, 1]):
    a prior year's mastery, a transcript mapped to skills, or a diagnostic's `to_frame()`.

    `columns` names the file's own columns where they differ, e.g. `{"student_id": "Student
    ID", "skill_id": "Standard", "mastery": "Mastery"}`; errors then name the file's column.
    Every row is checked (mastery in [0, 1], one row per (student, skill), a skill of the
    catalog: a typo would otherwise place nobody on that skill without a word), and every
    problem of the file is one `DataValidationError`. Ids are read as text ("007" stays
    "007"). Its students are placed "from <file name>".

    The file is read `batch_rows` rows at a time into the placement's (students x skills)
    table, so a district's whole table (400,000 students x 120 skills: 48 M rows) never sits
    in memory as rows."""
    path = Path(path)
    columns = placement_columns(columns)
    file = str(path)
    skills = catalog.skill_index.astype(str)
    table = _DenseTable(len(skills))
    found = new_found()
    found["duplicate"] = ([], 0)
    for frame, line in checked_batches(path, catalog, columns, found, batch_rows):
        rows = table.rows(frame["student_id"])
        codes, named = pd.factorize(frame["skill_id"])  # a few skills: look each up once
        cols = skills.get_indexer(named)[codes] if len(codes) else np.zeros(0, np.int64)
        known = cols >= 0  # an unknown skill is a problem of its own (above)
        repeated = table.fill(rows[known], cols[known], frame["mastery"].to_numpy()[known])
        at = np.flatnonzero(known)[repeated]
        listed = [
            Problem(file, int(i) + line, "skill_id", str(frame["skill_id"].iloc[i]),
                    DUPLICATE_EXPECTED)
            for i in at[:20]
        ]  # fmt: skip
        add_found(found, "duplicate", (listed, len(at)))
    raise_problems([found["mastery"], found["duplicate"], found["skill_id"]], columns)
    return table.placement(skills, f"placed from {path.name}")


def new_found() -> dict[str, Found]:
    """No problem found yet, for each kind `checked_batches` looks for."""
    return {"mastery": ([], 0), "skill_id": ([], 0)}


def add_found(found: dict[str, Found], kind: str, more: Found) -> None:
    """`more` problems of a kind: the first 20 listed, all counted."""
    listed, total = found[kind]
    found[kind] = ((listed + more[0])[:20], total + more[1])


def checked_batches(
    path: Path,
    catalog: Catalog,
    columns: Mapping[str, str],
    found: dict[str, Found],
    batch_rows: int = BATCH_ROWS,
) -> Iterator[tuple[pd.DataFrame, int]]:
    """Each batch of the file with the roles' column names, and the file line of its first row;
    every row's mastery and skill checked on the way, the problems added to `found` (the
    caller raises them when the file is read: every problem of a file in one error)."""
    check_placement_file(path)
    file = str(path)
    line = 2  # the file line of the batch's first row (after the header)
    for batch in placement_batches(path, batch_rows):
        frame = renamed_placement(batch, columns, file)
        add_found(found, "mastery", mastery_problems(frame, file, line))
        add_found(found, "skill_id", skill_problems(frame, file, catalog, line))
        yield frame, line
        line += len(frame)


class _DenseTable:
    """The (students x catalog skills) mastery of a placement table being read in batches:
    rows added as new student ids come, each cell set once (a second value is a repeat)."""

    def __init__(self, n_skills: int) -> None:
        self.ids: dict[str, int] = {}
        self.n_skills = n_skills
        self.values = np.full((0, n_skills), np.nan)
        self.seen = np.zeros((0, n_skills), bool)

    def rows(self, student_ids: pd.Series) -> np.ndarray:
        """Row of each id, new ids added (the table grows by doubling)."""
        codes, uniques = pd.factorize(student_ids)
        ids = self.ids
        rows = np.array([ids.setdefault(u, len(ids)) for u in uniques.tolist()], np.int64)
        if len(ids) > len(self.values):
            size = max(len(ids), 2 * len(self.values), 1 << 16)
            self.values = np.vstack(
                [self.values, np.full((size - len(self.values), self.n_skills), np.nan)]
            )
            self.seen = np.vstack(
                [self.seen, np.zeros((size - len(self.seen), self.n_skills), bool)]
            )
        return rows[codes] if len(codes) else np.zeros(0, np.int64)

    def fill(self, rows: np.ndarray, cols: np.ndarray, mastery: np.ndarray) -> np.ndarray:
        """Set the cells; returns the positions that repeat a cell set before, in this batch
        or an earlier one (the first value stands)."""
        value = pd.to_numeric(pd.Series(mastery), errors="coerce").to_numpy(np.float64)
        key = rows * self.n_skills + cols
        _, first = np.unique(key, return_index=True)
        again = np.ones(len(key), bool)
        again[first] = False
        again |= self.seen[rows, cols]
        fresh = ~again
        self.values[rows[fresh], cols[fresh]] = value[fresh]
        self.seen[rows[fresh], cols[fresh]] = True
        return np.flatnonzero(again)

    def placement(self, skills: pd.Index, source: str) -> Placement:
        """The table as a `Placement`: students and skills sorted by id, skills the file
        never named left out (as `mastery_table_placement` builds it)."""
        n = len(self.ids)
        ids = np.array(list(self.ids), dtype=object)
        order = np.argsort(ids, kind="stable")
        present = np.flatnonzero(self.seen[:n].any(axis=0))
        present = present[np.argsort(skills[present].to_numpy(dtype=object), kind="stable")]
        mastery = self.values[np.ix_(order, present)]  # one copy, rows and columns at once
        return Placement(tuple(ids[order]), tuple(skills[present]), mastery, (source,) * n)


def placement_batches(path: Path, batch_rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    """The file's rows in batches (at least one, maybe empty, so that a file without rows is
    checked for its columns too); every column of a CSV as text (ids such as "007" stay)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            parquet = pq.ParquetFile(path)
            yield parquet.schema_arrow.empty_table().to_pandas()
            for batch in parquet.iter_batches(batch_size=batch_rows):
                yield batch.to_pandas()
            return
        with path.open(newline="", encoding="utf-8-sig") as f:  # an Excel export's BOM too
            header = next(csv.reader(f), [])
        yield pd.DataFrame(columns=header, dtype=str)
        if not header:
            return
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
        for batch in reader:
            for start in range(0, batch.num_rows, batch_rows):
                yield batch.slice(start, batch_rows).to_pandas()
    except (OSError, ValueError, UnicodeDecodeError, pa.ArrowException) as exc:
        raise ConfigError(f"placement {path}: not a readable CSV or Parquet table ({exc})") from exc


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


def placement_sha256(path: Path | str, columns: Mapping[str, str] | None = None) -> str:
    """The digest of a placement file and the column names it is read with (a night's
    fingerprint: another table, or the same read another way, is another night's output)."""
    digest = hashlib.sha256(file_sha256(path).encode())
    if columns:
        digest.update(json.dumps(dict(columns), sort_keys=True).encode())
    return digest.hexdigest()
