"""What the report site reads: the nightly job's Parquet output for one date, and the roster.

The site is built from the batch OUTPUT only (`OUT/<table>/date=D/school=S/part-0.parquet`, as
`adaptive.batch.writer` lays it out), never from the job's internal objects, so it works
whatever engine wrote the output (the in-process job or Spark). One school is read at a time:
memory stays bounded by the largest school, whatever the district's size.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from adaptive.batch.night_checks import recorded_config, unfinished_nights, written_otherwise
from adaptive.batch.partition import OUTPUT_TABLES
from adaptive.batch.writer import (
    complete_dates,
    complete_nights_hint,
    date_dir,
    date_listing,
    partition_path,
    served_before,
    served_order,
)
from adaptive.curriculum import Catalog, read_profiles
from adaptive.data.codes import ZEROS_DROPPED
from adaptive.data.readers import REPEATED_HEADER_EXPECTED, is_header_row
from adaptive.errors import ArtifactError, ConfigError, closest_name, counted, line_words, verb
from adaptive.files import read_sealed_json, read_user_text
from adaptive.policy.config import PolicyConfig
from adaptive.policy.progression import Progression

SKILL_LISTS = ("mastery", "progression", "group")
#: per-skill lists read where the night wrote them: the progression rule's answers and run of
#: right answers (`partition.skill_columns`; an older night's table lacks them)
RULE_LISTS = ("n_responses", "streak")
COUNT_COLUMNS = ("n_mastered", "n_needs_review", "n_stuck")  # the heatmap's count columns
STUDENT_COLUMNS = ("student_id", "class_id", *COUNT_COLUMNS, *SKILL_LISTS)
#: students columns read where the night wrote them (an older night's table lacks them)
OPTIONAL_STUDENT_COLUMNS = (
    "placement",
    "recommended",
    "gradual_hold",
    "arm",
    "minutes_left",
    *RULE_LISTS,
)
REC_COLUMNS = (
    "student_id",
    "class_id",
    "rank",
    "activity_id",
    "skill_id",
    "p_correct",
    "assigned_by_teacher",
    "sentence",
    "placement",
    "progression",
)


class ReportInputError(ConfigError):
    """An input of the report (batch output, roster, profiles) is missing or malformed."""


@dataclass(frozen=True)
class BatchRun:
    """One date of a batch output folder: its schools and the model that served them."""

    out: Path
    date: str
    schools: tuple[str, ...]
    model_name: str
    model_version: str
    #: the night's policy, from its record (`night_policy`; the shipped one for an older night)
    policy: PolicyConfig = field(default_factory=PolicyConfig.default)
    #: the sha256 of the catalog the night served (`Catalog.sha256`; None: not recorded then)
    catalog_sha256: str | None = None

    @property
    def assumed_known(self) -> float:
        """The night's policy's `assumed_known`."""
        return self.policy.assumed_known

    @classmethod
    def open(cls, out: str | Path, date: str) -> BatchRun:
        """The complete output of `date` in `out` (its `_SUCCESS.json` marker), or a clear error."""
        out = Path(out)
        marker = date_dir(out, "recommendations", date) / "_SUCCESS.json"
        if not marker.is_file():
            raise ReportInputError(
                f"no complete batch output for {date} in {out} (expected {marker}); "
                + complete_nights_hint(out, date)
            )
        try:
            doc = read_sealed_json(marker, str(marker))
        except ArtifactError as exc:
            raise ReportInputError(str(exc)) from exc
        schools = sorted(
            {
                unquote(Path(key).parent.name.removeprefix("school="))
                for key in doc.get("partitions", {})
                if key.startswith("students/")
            }
        )
        return cls(
            out, date, tuple(schools), str(doc.get("model")), str(doc.get("model_version")),
            night_policy(doc.get("policy")), doc.get("catalog_sha256"),
        )  # fmt: skip

    def earlier_dates(self) -> list[str]:
        """Complete nights before this one that were served before it (for mastery over time
        and the baseline), oldest first: a night back-filled after this one was served changes
        none of its reports, and a night killed mid-run (`unfinished_dates`), whose outputs
        are partial, is none of them."""
        found = [d for d in complete_dates(self.out) if d < self.date]
        return sorted(served_before(self.out, self.date, found))

    def unfinished_dates(self) -> list[str]:
        """Nights before this one whose outputs were started but never completed (no
        `_SUCCESS.json`: a killed run), which the report leaves out."""
        return [d for d in unfinished_nights(self.out) if d < self.date]

    def served_rank(self) -> dict[str, int]:
        """Each night's place in the order the folder's nights were first served (empty for
        a folder written before the order was recorded)."""
        return {night: i for i, night in enumerate(served_order(self.out) or [])}


def night_policy(policy: object) -> PolicyConfig:
    """A night's policy, from its `_SUCCESS.json` record as this version reads the record's
    settings (`recorded_config`): a district's own policy file is read as it served; the
    shipped policy for a night that recorded none or whose settings no longer read."""
    config = recorded_config(policy) if isinstance(policy, Mapping) else None
    return PolicyConfig.default() if config is None else config


@dataclass
class SchoolTables:
    """One school's output for one date. Student rows sorted by class then student; the (n, S)
    arrays have the catalog's skill columns (`catalog.skill_index`)."""

    school: str
    #: student_id, class_id, n_mastered, n_needs_review, n_stuck, and placement and
    #: recommended where the night wrote them
    students: pd.DataFrame
    mastery: np.ndarray  # float32, NaN = unknown
    progression: np.ndarray  # int8 Progression codes
    group: np.ndarray  # int8 index into adaptive.reports.GROUPS, -1 = none
    recs: pd.DataFrame  # REC_COLUMNS plus the c_* term contributions, by student and rank
    next_groups: pd.DataFrame  # the batch's `groups` table (students sharing a next skill)
    class_skills: pd.DataFrame  # the batch's `class_skills` table (counts per class x skill)
    #: int32 answers and current run of right answers per skill (`RULE_LISTS`); None for a
    #: night written before the students table carried them
    n_responses: np.ndarray | None = None
    streak: np.ndarray | None = None


def read_school(run: BatchRun, school: str, n_skills: int) -> SchoolTables:
    """Read one school's four tables for the run's date."""
    students = _read(run, "students", school, STUDENT_COLUMNS, OPTIONAL_STUDENT_COLUMNS)
    order = np.lexsort(
        (students.column("student_id").to_numpy(False), students.column("class_id").to_numpy(False))
    )
    students = students.take(pa.array(order))
    lists = [*SKILL_LISTS, *(n for n in RULE_LISTS if n in students.column_names)]
    arrays = {name: _fixed(students, name, n_skills, run, school) for name in lists}
    frame = students.drop_columns(lists).to_pandas()
    rule = {n: arrays[n].astype(np.int32) for n in RULE_LISTS if n in arrays}
    if len(rule) < len(RULE_LISTS):
        rule = {}  # both or neither: one alone says nothing of the rule
    recs = pq.read_table(partition_path(run.out, "recommendations", run.date, school))
    keep = [c for c in recs.column_names if c in REC_COLUMNS or c.startswith("c_")]
    recs = recs.select(keep).to_pandas().sort_values(["student_id", "rank"], kind="stable")
    return SchoolTables(
        school,
        frame,
        arrays["mastery"].astype(np.float32),
        arrays["progression"].astype(np.int8),
        arrays["group"].astype(np.int8),
        recs.reset_index(drop=True),
        pq.read_table(partition_path(run.out, "groups", run.date, school)).to_pandas(),
        pq.read_table(partition_path(run.out, "class_skills", run.date, school)).to_pandas(),
        **rule,
    )


@dataclass(frozen=True)
class SkillLayout:
    """Where a catalog's skills sit in one night's per-skill lists (the students table's
    `mastery`, `progression`): the night may have served another catalog version (a skill
    renamed, removed or added since), so its lists are read by skill id, never by position."""

    width: int  # skills per list that night
    columns: np.ndarray  # (S,) each catalog skill's place then; -1: not in that night's catalog

    def take(self, values: np.ndarray, fill: float | int) -> np.ndarray:
        """(n, width) values of that night -> (n, S) in the catalog's order, `fill` where the
        night had no such skill."""
        out = values[:, np.maximum(self.columns, 0)]
        out[:, self.columns < 0] = fill
        return out


def night_layout(out: Path, date: str, catalog: Catalog) -> SkillLayout | None:
    """The layout of `date`'s per-skill lists for `catalog`, from its `_SUCCESS.json`: the
    skill ids it recorded, or, for a night that recorded none (served before they were), the
    catalog itself when it is the night's (its `catalog_sha256`); None when it cannot be
    known (another catalog, unrecorded). A night without `_SUCCESS.json` (never completed)
    records nothing: it is read as the catalog's, when its lists have the catalog's width."""
    return _layout_of(date_listing(out, OUTPUT_TABLES, date), catalog)


def catalog_layout(catalog: Catalog) -> SkillLayout:
    """The layout of a night that served `catalog` itself: its skills in the catalog's order."""
    return SkillLayout(len(catalog.skills), np.arange(len(catalog.skills)))


def _layout_of(doc: dict | None, catalog: Catalog) -> SkillLayout | None:
    """`night_layout` from the night's `_SUCCESS.json` as read (None: not there)."""
    identity = catalog_layout(catalog)
    if doc is None:
        return identity
    skills = doc.get("skills")
    if isinstance(skills, list):
        columns = pd.Index([str(s) for s in skills]).get_indexer(catalog.skill_index)
        return SkillLayout(len(skills), columns.astype(np.int64))
    return identity if doc.get("catalog_sha256") == catalog.sha256 else None


def check_served_catalog(run: BatchRun, catalog: Catalog, source: str | Path | None = None) -> None:
    """The report's own night must be read with the catalog it served: another one (an older
    or newer version, another district's with the same ids) would put other titles, topics and
    prerequisites on its pages. A `ReportInputError` naming what the night recorded and what
    differs. The night's `_SUCCESS.json` records the catalog's sha256 (`catalog_sha256`, as
    `ope` and `experiment analyze` compare it); a night served before it did is checked by the
    skill ids it recorded, and one that recorded neither by the width of its lists
    (`read_school`). `source`: the catalog's file, named in the message."""
    served = date_listing(run.out, OUTPUT_TABLES, run.date) or {}
    recorded = served.get("catalog_sha256")
    if isinstance(recorded, str):
        if recorded == catalog.sha256:
            return
        what = _skill_differences(served, catalog) or _content_differences(run, catalog)
        raise ReportInputError(
            f"the night {run.date} in {run.out} was served with another catalog than "
            f"{_flag(source)}: its _SUCCESS.json records catalog_sha256 {recorded[:16]}..., "
            f"the catalog given has {catalog.sha256[:16]}...; {what}. {_SERVED_CATALOG}"
        )
    what = _skill_differences(served, catalog)
    if what:
        raise ReportInputError(
            f"the night {run.date} in {run.out} was served with another catalog than "
            f"{_flag(source)} ({what}). {_SERVED_CATALOG}"
        )


_SERVED_CATALOG = (
    "Pass the catalog that night served (the --catalog of `adaptive batch`, or its "
    "--district's catalog.json); a later version reads earlier nights by skill id, but the "
    "report's own night must be read with its own"
)


def _flag(source: str | Path | None) -> str:
    return f"--catalog {source}" if source is not None else "the catalog given"


def _skill_differences(served: dict, catalog: Catalog) -> str:
    """The skill ids the night recorded against the catalog's, in words ("" when the same, in
    the same order, or when the night recorded none)."""
    if not isinstance(served.get("skills"), list):
        return ""
    ids = [str(s) for s in served["skills"]]
    if ids == list(catalog.skill_index):
        return ""
    lacks = sorted(set(catalog.skill_index) - set(ids))
    extra = sorted(set(ids) - set(catalog.skill_index))
    parts = []
    if lacks:
        parts.append(
            f"--catalog has {counted(len(lacks), 'skill')} it did not serve ({', '.join(lacks[:3])})"
        )
    if extra:
        parts.append(
            f"it served {counted(len(extra), 'skill')} --catalog lacks ({', '.join(extra[:3])})"
        )
    return "; ".join(parts) or "the same skills in another order"


def _content_differences(run: BatchRun, catalog: Catalog) -> str:
    """What differs between a catalog and the night's when their skill ids agree: the activity
    and topic ids (the night's snapshot records their layout), else their contents, which the
    night does not record one by one."""
    from adaptive.batch.snapshot import snapshot_meta
    from adaptive.errors import AdaptiveError
    from adaptive.policy.base import catalog_layout

    try:
        layout = snapshot_meta(run.out / "state", run.date).get("catalog")
    except (AdaptiveError, OSError):
        layout = None  # no snapshot beside the output (or unreadable): the ids are not known
    contents = (
        "with other contents (prerequisites, grades, names, activity titles or topics of the same "
        "ids), which the pages would show as that night's"
    )
    if not isinstance(layout, str):
        return f"the same {counted(len(catalog.skills), 'skill')} in the same order, {contents}"
    if layout != catalog_layout(catalog):
        return (
            f"the same {counted(len(catalog.skills), 'skill')}, but other activity or topic ids "
            "(or another order of them)"
        )
    ids = (
        f"{counted(len(catalog.skills), 'skill')}, "
        f"{counted(len(catalog.activities), 'activity', 'activities')}, "
        f"{counted(len(catalog.topics), 'topic')}"
    )
    return f"the same ids ({ids}, in the same order) {contents}"


def read_mastery(
    out: Path,
    date: str,
    school: str,
    student_ids: np.ndarray,
    layout: SkillLayout,
) -> np.ndarray | None:
    """An earlier date's (n, S) mastery of `student_ids` in the catalog's order (`layout`: NaN
    rows for students absent then, NaN columns for skills that night's catalog lacked), or
    None when that date has no partition or no mastery column for the school. A student who
    had answered nothing by then reads as the night placed them, as the report's own night
    reads them. Only the rows of `student_ids` are read (a class's report, a school's few
    students who moved from another: not the whole school's mastery)."""
    read = _read_rows(out, date, school, student_ids, layout, at_start=False)
    return None if read is None else read[0]


def read_start(
    out: Path,
    date: str,
    school: str,
    student_ids: np.ndarray,
    layout: SkillLayout,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """`read_mastery`, with what a growth start needs of the same rows, read in the same pass:
    (n,) bool, the student had answered nothing by then (`no_answers` of that night's
    `progression`), so the reading is their placement, not a measurement (the students table's
    `placement` names where a student was placed from, and keeps it once they answer: it
    cannot tell), False for students absent then; and (n,) the grade the night served each
    with (its `grade`), NaN where it says none: no grade, absent, or a night written before
    the table kept it."""
    return _read_rows(out, date, school, student_ids, layout, at_start=True)


def _read_rows(
    out: Path,
    date: str,
    school: str,
    student_ids: np.ndarray,
    layout: SkillLayout,
    at_start: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The rows of `student_ids` of a night's mastery (`read_mastery`) and, `at_start`, which of
    them had no answer then and the grade each was served with (`read_start`; all False and
    NaN without it, or for a night without those columns)."""
    path = partition_path(out, "students", date, school)
    names = pq.read_schema(path).names if path.is_file() else []
    if "mastery" not in names:
        return None
    extra = [c for c in ("progression", "grade") if at_start and c in names]
    sought = pd.unique(np.asarray(student_ids, dtype=object)).tolist()
    table = pq.read_table(
        path, columns=["student_id", "mastery", *extra], filters=[("student_id", "in", sought)]
    )
    values = pc.list_flatten(table.column("mastery")).to_numpy(zero_copy_only=False)
    if values.size != table.num_rows * layout.width:  # an unrecorded night of another catalog
        return None
    values = layout.take(values.reshape(table.num_rows, layout.width).astype(np.float32), np.nan)
    placed = np.zeros(table.num_rows, bool)
    if "progression" in extra and table.num_rows:
        codes = pc.list_flatten(table.column("progression")).to_numpy(zero_copy_only=False)
        if codes.size == table.num_rows * layout.width:
            placed = no_answers(codes.reshape(table.num_rows, layout.width))
    grades = np.full(table.num_rows, np.nan)
    if "grade" in extra:
        grades = table.column("grade").to_numpy(zero_copy_only=False).astype(float)
    rows = pd.Index(table.column("student_id").to_numpy(zero_copy_only=False)).get_indexer(
        pd.Index(student_ids)
    )
    found = rows >= 0
    out_values = np.full((len(student_ids), len(layout.columns)), np.nan, np.float32)
    out_values[found] = values[rows[found]]
    out_placed = np.zeros(len(student_ids), bool)
    out_placed[found] = placed[rows[found]]
    out_grades = np.full(len(student_ids), np.nan)
    out_grades[found] = grades[rows[found]]
    return out_values, out_placed, out_grades

    table = pq.read_table(
        path, columns=["student_id", "grade"], filters=[("student_id", "in", list(student_ids))]
    )
    rows = pd.Index(table.column("student_id").to_numpy(zero_copy_only=False)).get_indexer(
        student_ids
    )
    values = table.column("grade").to_numpy(zero_copy_only=False).astype(float)
    grades[rows >= 0] = values[rows[rows >= 0]]
    return grades


def no_answers(progression: np.ndarray) -> np.ndarray:
    """(n,) bool: students who have answered nothing yet (every skill not started): their
    mastery is where the nightly job placed them (from their grade), not a measurement."""
    return (np.asarray(progression) == Progression.NOT_STARTED).all(axis=1)


def placements(tables: SchoolTables, student_ids: np.ndarray) -> np.ndarray:
    """Per student, where the nightly job placed them ("placed from grade 7"; "" for a student
    it did not place): the students table's `placement`, which every student has (a student
    served nothing included: read from the recommendations, a trial's student placed from
    grade 12 and served nothing was told they had no grade); for a night written before that
    column, the recommendations' `placement` ("" for a student with no recommendation)."""
    if "placement" in tables.students.columns:
        said = tables.students.set_index("student_id")["placement"]
        return said.reindex(pd.Index(student_ids)).fillna("").to_numpy(dtype=object)
    recs = tables.recs
    if "placement" not in recs.columns or recs.empty:
        return np.full(len(student_ids), "", dtype=object)
    said = recs.loc[recs["placement"].fillna("").astype(str).str.len() > 0]
    first = said.drop_duplicates("student_id").set_index("student_id")["placement"]
    return first.reindex(pd.Index(student_ids)).fillna("").to_numpy(dtype=object)


def _read(
    run: BatchRun,
    table: str,
    school: str,
    columns: tuple[str, ...],
    optional: tuple[str, ...] = (),
) -> pa.Table:
    """The partition's `columns` (each required) and those of `optional` it has."""
    path = partition_path(run.out, table, run.date, school)
    if not path.is_file():
        raise ReportInputError(f"{path}: missing; the batch output of {run.date} is incomplete")
    have = pq.read_schema(path).names
    missing = [c for c in columns if c not in have]
    if missing:
        raise ReportInputError(
            f"{path}: no {'column' if len(missing) == 1 else 'columns'} "
            f"{', '.join(map(repr, missing))}; expected the per-skill columns the batch job writes "
            f"since the report site exists: rerun `adaptive batch --date {run.date} --out {run.out}`"
        )
    return pq.read_table(path, columns=[*columns, *(c for c in optional if c in have)])


def _fixed(table: pa.Table, name: str, width: int, run: BatchRun, school: str) -> np.ndarray:
    values = pc.list_flatten(table.column(name)).to_numpy(zero_copy_only=False)
    if values.size != table.num_rows * width:
        raise ReportInputError(
            f"{partition_path(run.out, 'students', run.date, school)}: column {name!r} has "
            f"{values.size // max(table.num_rows, 1)} skills per student; expected {width} (the "
            "catalog's): pass the catalog the batch job used (--catalog)"
        )
    return values.reshape(table.num_rows, width)


ROSTER_COLUMNS = ("student_id", "name")


@dataclass(frozen=True)
class Roster:
    """A roster as read (`read_roster`): each pseudonymous id's name, and the line of the file
    it is on (where a warning about it points: a roster is the user's own file)."""

    path: Path
    names: dict[str, str]
    lines: dict[str, int]


def read_roster(path: str | Path) -> Roster:
    """A roster CSV with the columns `student_id` and `name` (in any order; other columns, e.g.
    a grade or an e-mail, are left alone; `,` or Excel's `;` between fields): pseudonymous id
    -> the name shown on pages, and its line. A line repeating the header (rosters joined
    into one, the second's byte order mark before it too) is refused as `adaptive profiles`
    refuses it (`is_header_row`), never a student "student_id".

    Names live only in the pages written from it: never in logs, MLflow or Parquet."""
    path = Path(path)
    if not path.is_file():
        raise ReportInputError(f"roster file {path} not found; expected a CSV student_id,name")
    names: dict[str, str] = {}
    lines: dict[str, int] = {}
    # UTF-8 with Excel's byte-order mark dropped ("CSV UTF-8"), as every other reader
    text = read_user_text(path, "a roster CSV student_id,name")
    first = text.split("\n", 1)[0].rstrip("\r")  # the header as the file has it, for messages
    delimiter = ";" if first.count(";") > first.count(",") else ","  # Excel in many locales
    with io.StringIO(text, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        sid_at, name_at = _roster_columns(path, header, first)
        for row in reader:
            number = reader.line_num  # the file's line (a quoted name may hold a line break)
            if not row or not "".join(row).strip():
                continue
            if is_header_row(row, header):  # rosters joined into one, each with its header
                raise ReportInputError(
                    f"{path}, line {number}: expected {REPEATED_HEADER_EXPECTED}"
                )
            sid, name = _roster_row(path, number, row, (header, first), sid_at, name_at)
            if sid in names:
                raise ReportInputError(
                    f"{path}, line {number}: column 'student_id': student {sid!r} listed twice "
                    f"(line {lines[sid]}); expected one line per student"
                )
            names[sid], lines[sid] = name, number
    return Roster(path, names, lines)


def _roster_row(
    path: Path,
    number: int,
    row: list[str],
    header: tuple[list[str], str],
    sid_at: int,
    name_at: int,
) -> tuple[str, str]:
    """A roster line's (student id, name), trimmed; an error naming the line and the column
    that is wrong (a count of fields only when the count is what is wrong). `header`: its
    fields and its line as the file has it (quoted so: 'student_id;name' for Excel's `;`)."""
    fields, line = header
    if len(row) != len(fields):
        raise ReportInputError(
            f"{path}, line {number}: {counted(len(row), 'field')}; expected {len(fields)} (the "
            f"header's {line!r})"
        )
    for at, column, expected in (
        (sid_at, "student_id", "a student id"),
        (name_at, "name", "a non-empty name"),
    ):
        if not row[at].strip():
            raise ReportInputError(
                f"{path}, line {number}, column {column}: empty; expected {expected}"
            )
    return row[sid_at].strip(), row[name_at].strip()


def _roster_columns(path: Path, header: list[str], line: str) -> tuple[int, int]:
    """Where a roster's `student_id` and `name` columns are; an error naming what is missing,
    quoting the header `line` as the file has it, with the column that may be meant for each
    (`closest_name`: 'Name' for 'name' differs only in case; no hint where none is close)."""
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    if missing:
        hints = [_column_hint(c, header) for c in missing]
        hint = "; ".join(h for h in hints if h)
        raise ReportInputError(
            f"{path}, line 1: header {line!r} lacks {' and '.join(map(repr, missing))}"
            f"{f' ({hint})' if hint else ''}; expected the columns student_id and name (others "
            "are ignored)"
        )
    return header.index("student_id"), header.index("name")


def _column_hint(column: str, header: list[str]) -> str:
    """What the header may hold for a missing `column`, in words, saying only what is true:
    'Name' differs from 'name' only in case; 'Student ID' is 'student_id' written with
    capitals and a space; another close spelling (`closest_name`) may be meant; "" when nothing
    is close ('ID' is not 'student_id')."""
    others = [h for h in header if h not in ROSTER_COLUMNS]
    close = closest_name(column, others)
    if close is not None and close.casefold() == column.casefold():
        return (
            f"its {close!r} differs from {column!r} only in case: column names are case-sensitive"
        )
    spaced = [h for h in others if re.sub(r"[\s-]+", "_", h.casefold()) == column]
    if spaced:
        return f"its {spaced[0]!r} is {column!r} written with other case or spaces: rename it"
    return f"is its {close!r} meant for {column!r}?" if close is not None else ""


#: A roster with more lines than this matching no student written is not looked at for
#: likely typos: its ids are of another kind (another column, another district), or the report
#: is one class's of a district's roster; a "did you mean" per line would be noise (and a
#: search per line over every student, seconds)
TYPO_LINES = 50


@dataclass(frozen=True)
class LikelyTypo:
    """A roster line whose id no student written has, but one likely means (`LikelyIds`).
    Its warning names the id as typed and where the roster has the ids it likely means (their
    lines), never a served student's id: a warning may reach a job's log."""

    line: int
    typed: str  # the id as the roster has it
    named_on: tuple[int | None, ...]  # the roster's line of each id it likely means (None: none)

    def warning(self, path: Path) -> str:
        """'names.csv, line 1502, column student_id: got 'stu000006'; ... (it reads like the
        id on line 7 ...) ...'."""
        lines = [at for at in self.named_on if at]
        unnamed = len(self.named_on) - len(lines)
        like = [f"the id on {line_words(lines)}"] if lines else []
        if unnamed:
            like.append(
                f"{counted(unnamed, 'student')} served with no name in the roster"
                if len(self.named_on) > 1
                else "the id of a student served with no name in the roster"
            )
        return (
            f"{path}, line {self.line}, column student_id: got {self.typed!r}; no student of "
            f"this night has this id, and it reads like {' or '.join(like)} (mistyped?): its name "
            "appears on no page"
        )


@dataclass(frozen=True)
class RosterMatch:
    """How a roster matched the students a report wrote, for the warnings `adaptive report`
    prints: counts and the roster's lines, never a served student's id; an id the user typed in
    the roster that likely means a student written (a typo: `stu000006` for `stu0000006`,
    found as a typo'd id of an overrides file is: `batch.overrides.LikelyIds`) is named as
    typed, with the roster's lines of what it likely means."""

    path: Path
    written: int  # students written
    unnamed: int  # students written with no name in the roster
    #: the lines of roster students the night did not write (a whole-district report only:
    #: a school's or class's report writes only its own)
    unmatched: tuple[int, ...]
    typos: tuple[LikelyTypo, ...]
    #: the roster's ids matching no student written that are the id of one written without a
    #: name once leading zeros or case are restored (`written_otherwise`: '7' for '0000007'),
    #: where most of those ids are (a spreadsheet that dropped them all); else 0
    written_otherwise: int = 0

    @classmethod
    def of(
        cls, roster: Roster, named: Collection[str], unnamed: Collection[str], whole: bool
    ) -> RosterMatch:
        """The match of `roster` with the students written: `named` (with a name in it) and
        `unnamed` (without); `whole`: the whole district was written."""
        from adaptive.batch.overrides import LikelyIds

        written = set(named) | set(unnamed)
        left = sorted((line, sid) for sid, line in roster.lines.items() if sid not in written)
        typos = []
        if left and len(left) <= TYPO_LINES:
            likely = LikelyIds(written)
            for line, sid in left:
                meant = likely.of(sid)
                if meant:
                    typos.append(LikelyTypo(line, sid, tuple(roster.lines.get(m) for m in meant)))
        unmatched = tuple(line for line, _ in left) if whole else ()
        alike = written_otherwise([sid for _, sid in left], set(unnamed)) if unnamed else 0
        alike = alike if 2 * alike > len(left) else 0  # most of them: a sheet's ids, not typos
        return cls(roster.path, len(written), len(set(unnamed)), unmatched, tuple(typos), alike)

    def warnings(self) -> list[str]:
        """The warnings to print, each one line ([] when every student matched)."""
        out = []
        if self.unnamed:
            one = self.unnamed == 1
            typed = sum(None in t.named_on for t in self.typos)  # typos of an unnamed student
            hint = f" ({counted(typed, 'likely typo')} in the roster: below)" if typed else ""
            shows = (
                "that student's page shows a pseudonymous id"
                if one
                else "their pages show pseudonymous ids"
            )
            alike = self.written_otherwise
            check = (
                f"{alike:,} of the roster's ids that match no student written "
                f"{verb(alike, 'is')} a written student's id once leading zeros or case are "
                f"restored {ZEROS_DROPPED}"
                if alike
                else "check that its student_id column holds the ids of the nightly output"
            )
            out.append(
                f"{self.unnamed:,} of the {self.written:,} students written "
                f"{'has' if one else 'have'} no name in the roster {self.path}{hint}: {shows}; "
                f"{check}"
            )
        if self.unmatched:
            n = len(self.unmatched)
            one = n == 1
            out.append(
                f"{self.path}, {line_words(self.unmatched)}: {counted(n, 'student')} of the "
                f"roster {'is' if one else 'are'} not in this night's output (not served that "
                f"night, or {'its' if one else 'their'} id is written otherwise): "
                f"{'its name appears' if one else 'their names appear'} on no page"
            )
        out.extend(t.warning(self.path) for t in self.typos)
        return out


def read_interest_profiles(
    path: str | Path,
    run: BatchRun | None = None,
    schools: list[str] | tuple[str, ...] = (),
    allow_other: bool = False,
) -> dict[str, dict]:
    """Per student: grade, interests and goal skills from a profiles JSONL file (the batch job's
    `--profiles`), read by `read_profiles` as the job reads it (a grade of "K" is 0; a bad line
    is one error naming the file and line). Only the fields the pages show are kept, and the
    school (`school`: "" for none), so that the district page lists a school of the profiles
    the night served no output for (`build._unserved_schools`). With
    `run`, the profiles must be those the night served `schools` from
    (`check_served_profiles`; `allow_other`: another file by sha256 is warned of)."""
    path = Path(path)
    if not path.is_file():
        raise ReportInputError(f"profiles file {path} not found; pass --profiles FILE")
    people = read_profiles(path)
    if run is not None:
        check_served_profiles(run, schools, people, path, allow_other)
    return {
        sid: {
            "grade": p.grade,
            "interests": dict(p.interests),
            "goals": list(p.goal_skills),
            "school": (p.school_id or "").strip(),
        }
        for sid, p in people.items()
    }


#: what the report computes from its profiles, for `check_profiles_recorded`'s words
PROFILES_USE = (
    "the pages show its grades, interests and goals, and growth is measured from its grades"
)


def check_served_profiles(
    run: BatchRun,
    schools: list[str] | tuple[str, ...],
    people: dict,
    source: str | Path,
    allow_other: bool = False,
) -> None:
    """The profiles must be those the night served its students from, as `ope` and `experiment
    analyze` check them (`evaluation.ope.served.check_profiles`): every student of `schools`
    in the class and school the night wrote. Another roster's profiles would put other
    children's grades, interests and goals on the pages: a `ReportInputError` naming the file
    and the counts. Up to 10% of the students in another class or absent (a roster exported
    before or after the night's) is a warning; students the night did not serve are not
    looked at. Then the file's sha256 must be the one the night recorded, as `ope` checks it
    (`check_profiles_recorded`): a grade corrected since moves no student, yet changes growth;
    another file is refused unless `allow_other` (`--allow-other-profiles`: a warning). Earlier
    nights are not compared: they were served from the rosters of their own day."""
    from adaptive.evaluation.ope.served import (
        ServedInputError,
        check_profiles,
        check_profiles_recorded,
        recorded_profiles,
    )

    served = pd.concat(
        [
            pq.read_table(
                partition_path(run.out, "students", run.date, school),
                columns=["student_id", "class_id", "school_id"],
            ).to_pandas()
            for school in schools
        ],
        ignore_index=True,
    )
    try:
        check_profiles(
            served, people, source, f"students of the night {run.date}",
            recorded_profiles(run.out, run.date),
        )  # fmt: skip
        check_profiles_recorded(source, run.out, [run.date], PROFILES_USE, allow_other)
    except ServedInputError as exc:
        raise ReportInputError(str(exc)) from exc
