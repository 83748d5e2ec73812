"""Teacher overrides from the report site, read by the nightly job (`adaptive batch --overrides`).

A class page exports one JSON file per class (`adaptive.reports.site`):

    {"format": "adaptive-overrides", "version": 1, "class_id": "sch0001-g4A", "date": "2027-02-20",
     "students": {"stu0000042": {"assigned": ["g4.NF.2.practice1"], "excluded": [],
                                 "mode": "remediate"}}}

`assigned` activities come first, in the given order (they skip readiness, never the exclusions);
`excluded` ones are never recommended; `mode` moves the student's grade band: `accelerate` =
grade-level and next grade's activities, `remediate` = up to two grades below through grade level
(`TeacherOverrides.min_grade` / `max_grade`), the previous grade's skills the student never
answered checked first (`TeacherOverrides.remediate`). `read_overrides` takes one file or a folder of them,
checks every field against the catalog and the profiles (a teacher overrides only their own class's
students), and raises `OverridesError` naming the file, line, field, value and what was expected.

What is refused rather than read some way: a folder holding anything but the exports (a `.csv`,
a half-downloaded file, a subfolder: hidden files and file-manager markers aside); a student, or
any field, given twice in a file (JSON would keep the last: the first would be lost) or a student
in two files; two files of one class; an activity both assigned and excluded, or assigned twice
to one student; a `class_id` that is no class of the profiles (one that differs only in case is
named); a `date` missing or not ISO 8601 (the class page always writes its report's date: a file
without one would apply to any night, even one before the teacher chose). Ids are trimmed, as
everywhere in the library. A file applies from its `date` on (the night of its date and every
night after it while it is given): given to an earlier night, it is not applied and a
`NightWarning` says so; older than `STALE_DAYS`, it is applied with a warning.

The job applies them through the per-school input table (`batch_fields`), so the in-process and
the Spark paths get them alike, and records what it applied beside its output (`record_overrides`),
which the next report shows and pre-fills: the file round-trips.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import warnings
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.dates import EXAMPLE, iso_day, iso_timestamp
from adaptive.errors import AdaptiveError, ConfigError, NightWarning, closest_name, counted
from adaptive.files import atomic_write_bytes, read_user_text
from adaptive.policy.base import TeacherOverrides

FORMAT = "adaptive-overrides"
VERSION = 1
MODES = ("accelerate", "remediate")
STUDENT_KEYS = ("assigned", "excluded", "mode")
#: the keys of an export (`class_id` may be left out by a file written by hand)
TOP_KEYS = ("format", "version", "class_id", "date", "students")
#: grade band per mode, relative to the student's grade: (min, max)
MODE_BANDS = {"accelerate": (0, 1), "remediate": (-2, 0)}
#: the extension of an overrides file in a folder, in any case (a class's `.JSON` is read too)
SUFFIX = ".json"
#: files a folder of exports may hold that are never read (lower case): what file managers
#: leave beside files; hidden files (a name starting with ".", e.g. `.DS_Store`) are skipped too
HARMLESS_FILES = frozenset({"thumbs.db", "desktop.ini"})
#: a file dated this many days or more before the night is applied with a warning (a teacher's
#: choices stand until the class page exports them again, but a forgotten file is worth a look)
STALE_DAYS = 30
#: what the exports folder may hold, said by every error about its files
FOLDER_HOLDS = (
    "only the class pages' JSON exports (*.json, any case; hidden files and Thumbs.db or "
    "desktop.ini are skipped)"
)


class OverridesError(ConfigError):
    """A teacher overrides file is unreadable or names something unknown."""


@dataclass(frozen=True)
class StudentOverride:
    """One student's overrides: assigned activities (in order), excluded ones, and a mode."""

    assigned: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    mode: str | None = None

    def __post_init__(self) -> None:
        """Built in Python as a file is read: lists of activity ids (one string is not a list:
        its letters would be ids), trimmed; a mode of `MODES` (a typo was a bare KeyError when
        applied). Activity ids are checked against the catalog when applied (`batch_fields`)."""
        for name in ("assigned", "excluded"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(a, str) for a in value):
                raise ConfigError(
                    f"StudentOverride.{name} = {value!r}: expected a list of activity ids"
                )
            object.__setattr__(self, name, tuple(a.strip() for a in value))
        if self.mode is not None and self.mode not in MODES:
            raise ConfigError(
                f"StudentOverride.mode = {self.mode!r}: expected None or one of {', '.join(MODES)}"
            )
        both = sorted(set(self.assigned) & set(self.excluded))
        if both:
            raise ConfigError(f"StudentOverride: {both} both assigned and excluded")

    def to_dict(self) -> dict:
        return {"assigned": list(self.assigned), "excluded": list(self.excluded), "mode": self.mode}

    def teacher_overrides(self, grade: int | None) -> TeacherOverrides:
        """The policy's hard constraints for this student (grade band from the mode)."""
        low = high = None
        if self.mode is not None and grade is not None:
            low, high = (grade + d for d in MODE_BANDS[self.mode])
        return TeacherOverrides(
            assigned=self.assigned, excluded=frozenset(self.excluded), min_grade=low,
            max_grade=high, remediate=self.mode == "remediate" and grade is not None,
        )  # fmt: skip


@dataclass(frozen=True)
class OverrideSet:
    """Every student's overrides for one night (student id -> `StudentOverride`), and the file
    each came from."""

    students: dict[str, StudentOverride]
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    #: the files applied, in the order read (a file dated after the night is not among them)
    files: tuple[str, ...] = field(default=(), compare=False)
    #: the class of each file that names one -> its students (recorded with the night, so the
    #: next night can say which class's file went missing)
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def __len__(self) -> int:
        return len(self.students)

    def summary(self) -> str:
        """What the night applied, in one line (`applied_line`)."""
        return applied_line(len(self), len(self.files))

    def to_json(self) -> bytes:
        """Canonical JSON (sorted ids, the export format with every class merged)."""
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "students": {s: self.students[s].to_dict() for s in sorted(self.students)},
        }
        if self.classes:
            doc["classes"] = {c: sorted(ids) for c, ids in sorted(self.classes.items())}
        return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_json()).hexdigest()

    def batch_fields(
        self, catalog: Catalog, profiles: Mapping[str, LearnerProfile], student_ids: Sequence[str]
    ) -> dict[str, object]:
        """`StudentBatch` fields for these students (empty when none of them has an override):
        `assigned` (CSR, 1-based order), `excluded` (CSR), `min_grade`, `max_grade`,
        `remediate`."""
        students = {str(s).strip(): o for s, o in self.students.items()}  # ids trimmed
        rows = [i for i, s in enumerate(student_ids) if s in students]
        if not rows:
            return {}
        n, n_a = len(student_ids), len(catalog.activities)
        pos = catalog.activity_index
        for i in rows:  # a set built in Python is checked as a file is: an unknown id was -1,
            # the catalog's last activity, assigned without a word
            o = students[student_ids[i]]
            unknown = [a for a in (*o.assigned, *o.excluded) if a not in pos]
            if unknown:
                raise ConfigError(
                    f"overrides of student {student_ids[i]!r}: {unknown[0]!r}: expected "
                    f"{_activity_expected(unknown[0], set(pos))}"
                )
        assigned, excluded = sparse.lil_matrix((n, n_a)), sparse.lil_matrix((n, n_a))
        low, high, remediate = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n)
        for i in rows:  # only the students a teacher overrode: a few per class
            sid = student_ids[i]
            profile = profiles.get(sid)
            t = students[sid].teacher_overrides(profile.grade if profile else None)
            for order, code in enumerate(pos.get_indexer(list(t.assigned)), start=1):
                assigned[i, code] = order
            for code in pos.get_indexer(sorted(t.excluded)):
                excluded[i, code] = 1.0
            low[i] = np.nan if t.min_grade is None else t.min_grade
            high[i] = np.nan if t.max_grade is None else t.max_grade
            remediate[i] = t.remediate
        return {
            "assigned": assigned.tocsr(),
            "excluded": excluded.tocsr(),
            "min_grade": low,
            "max_grade": high,
            "remediate": remediate,
        }


def applied_line(students: int, files: int) -> str:
    """The night's info line: "applied overrides for 3 students from 2 files" (the counts of
    `JobSummary.override_students` and `override_files`)."""
    return f"applied overrides for {counted(students, 'student')} from {counted(files, 'file')}"


def read_overrides(
    path: str | Path,
    catalog: Catalog,
    profiles: Mapping[str, LearnerProfile],
    night: str | None = None,
    classes: Collection[str] | None = None,
) -> OverrideSet:
    """Read and check one overrides file, or every export in a folder (`overrides_files`; see
    the module doc). With `night` (the job's date), a file applies from its `date` on: one dated
    after the night is left out with a `NightWarning`, one `STALE_DAYS` older is applied with one.
    `classes`: the district's classes, where `profiles` holds only some students (the Spark
    driver keeps the named ones); default: the classes of `profiles`.
    """
    activities = set(catalog.activity_index)
    if classes is None:
        classes = (p.class_id for p in profiles.values())
    classes = frozenset(c for c in classes if c)
    files = [_read_file(file, activities, profiles, classes) for file in overrides_files(path)]
    if night is not None:
        day = iso_day(night, "night")
        files = [f for f in files if _in_force(f, day)]
    return _merged(files)


def overrides_files(path: str | Path) -> list[Path]:
    """The overrides files `path` names: the file itself, or a folder's exports in name order
    (`*.json`, any case). Anything else in a folder is an error naming it, never skipped: a
    class's file saved another way would be lost without a word."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise OverridesError(
            f"overrides {path} not found; expected a JSON file or a folder of them"
        )
    files = [entry for entry in sorted(path.iterdir()) if not _skipped(entry)]
    for entry in files:
        if not entry.is_file() or entry.suffix.lower() != SUFFIX:
            kind = "a folder (not read: its files would be lost)" if entry.is_dir() else "a file"
            raise OverridesError(
                f"{entry}: {kind} in the overrides folder; expected {FOLDER_HOLDS}"
            )
    if not files:
        raise OverridesError(f"{path}: no overrides file in this folder; expected {FOLDER_HOLDS}")
    return files


def named_students(path: str | Path) -> set[str]:
    """Every student id (trimmed) that an overrides file or folder names: for a reader that
    keeps only those students' profiles (the Spark driver). What cannot be read is left to
    `read_overrides`, which says what is wrong with it."""
    named: set[str] = set()
    try:
        files = overrides_files(path)
    except OverridesError:
        return named
    for file in files:
        try:
            doc = json.loads(read_user_text(file, "teacher overrides JSON"))
        except (OSError, ValueError, AdaptiveError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("students"), dict):
            named.update(sid.strip() for sid in doc["students"])
    return named


def _skipped(entry: Path) -> bool:
    """A folder entry that is no one's overrides: hidden, or a file manager's marker."""
    return entry.name.startswith(".") or entry.name.lower() in HARMLESS_FILES


@dataclass(frozen=True)
class _FileOverrides:
    """One file's checked overrides, with its date (YYYY-MM-DD) and its class where it gives
    one."""

    path: Path
    class_id: str | None
    date: str
    students: dict[str, StudentOverride]


class _JsonObject(dict):
    """A JSON object that remembers the keys it was given more than once (`json` keeps the
    last value of a repeated key: the others would be lost without a word)."""

    repeated: dict[str, int]


def _json_object(pairs: list[tuple[str, object]]) -> _JsonObject:
    """`json`'s `object_pairs_hook`: the object, and how often each repeated key came."""
    obj = _JsonObject(pairs)
    obj.repeated = {key: n for key, n in Counter(key for key, _ in pairs).items() if n > 1}
    return obj


@dataclass(frozen=True)
class _Source:
    """An overrides file's path and text: where each error points."""

    path: Path
    text: str

    def lines_of(self, key: str) -> list[int]:
        """The 1-based lines where `key` is written as an object's key (empty if it is written
        another way, e.g. with escapes)."""
        pattern = re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:"
        return [self.text.count("\n", 0, m.start()) + 1 for m in re.finditer(pattern, self.text)]

    def error(
        self, where: str, value: object, expected: str, key: str | None = None
    ) -> OverridesError:
        """`FILE, line N, field WHERE: got VALUE; expected ...`, the line being the first of
        `key` (a student's id, a field's name) when given."""
        lines = self.lines_of(key)[:1] if key is not None else []
        return self.error_at(lines, where, repr(value), expected)

    def error_at(self, lines: list[int], where: str, got: str, expected: str) -> OverridesError:
        """As `error`, at the given lines, with `got` as written."""
        return OverridesError(
            f"{self.path}{_lines(lines)}, field {where}: got {got}; expected {expected}"
        )


def _read_file(
    file: Path,
    activities: set[str],
    profiles: Mapping[str, LearnerProfile],
    classes: frozenset[str] = frozenset(),
) -> _FileOverrides:
    """One file, every field checked (see the module doc); `classes`: the profiles' classes."""
    source, doc = _parsed(file)
    _check_once(source, doc, "")
    unknown = sorted(set(doc) - set(TOP_KEYS))
    if unknown:  # "student" for "students": the teachers' choices would be read as none
        close = closest_name(unknown[0], TOP_KEYS)
        mean = f" (did you mean {close!r}?)" if close else ""
        raise source.error(
            unknown[0], unknown[0], f"one of the export's keys {', '.join(TOP_KEYS)}{mean}",
            unknown[0],
        )  # fmt: skip
    if doc.get("format") != FORMAT:
        raise source.error("format", doc.get("format"), repr(FORMAT), "format")
    if doc.get("version") != VERSION:
        raise source.error("version", doc.get("version"), str(VERSION), "version")
    klass = _class_id(source, doc.get("class_id"), classes)
    date = _date(source, doc)
    students = _students(source, doc.get("students"), klass, activities, profiles)
    return _FileOverrides(file, klass, date, students)


def _parsed(file: Path) -> tuple[_Source, _JsonObject]:
    """The file's text and its top-level JSON object."""
    text = read_user_text(file, "teacher overrides JSON")
    source = _Source(file, text)
    try:
        doc = json.loads(text, object_pairs_hook=_json_object)
    except json.JSONDecodeError as exc:
        table = _table_delimiter(text)
        what = (
            f"not JSON: it reads as a table (CSV, its first line {table} fields)"
            if table
            else f"not JSON ({exc.msg})"
        )
        raise OverridesError(
            f"{file}, line {exc.lineno}, column {exc.colno}: {what}; expected {EXPORT}"
        ) from exc
    if not isinstance(doc, dict):
        raise source.error("(top level)", type(doc).__name__, "a JSON object")
    return source, doc


#: what an overrides file is, said by the error for one that is not JSON
EXPORT = (
    'the JSON file that a class page\'s "Export overrides (JSON)" button downloads (a table '
    "of overrides is not read)"
)


def _table_delimiter(text: str) -> str | None:
    """How a text that is not JSON reads as a table (a CSV or TSV saved by a spreadsheet,
    given for the class page's export): "has 6 ','-separated" for a first line of several
    fields, else None. The fields themselves are not shown (they may be a student's row)."""
    first = text.lstrip().split("\n", 1)[0]
    if not first or first[0] in "{[":
        return None
    for sep in (",", ";", "\t"):
        n = len(next(csv.reader([first], delimiter=sep)))
        if n > 1:
            return f"has {n} {sep!r}-separated"
    return None


def _check_once(
    source: _Source, obj: _JsonObject, prefix: str, at: list[int] | None = None
) -> None:
    """No field of `obj` given twice (JSON would keep the last value). The error points at the
    field's own lines, or at `at` (a student's line: each student's entry has the same keys)."""
    for name, times in obj.repeated.items():
        raise source.error_at(
            at if at is not None else source.lines_of(name)[:times],
            f"{prefix}{name}",
            f"{times} values",
            "the field once (JSON keeps only the last value: the others would be lost)",
        )


def _class_id(source: _Source, value: object, classes: frozenset[str]) -> str | None:
    """The file's class (trimmed), or None where it gives none. A class the profiles lack is
    an error on this field (each student would otherwise be blamed for being in another class),
    naming the class it most likely means (one that differs only in case first)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise source.error("class_id", value, "a class id (text)", "class_id")
    klass = value.strip()
    if classes and klass not in classes:
        close = closest_name(klass, classes)
        hint = f" (did you mean {close!r}?)" if close else ""
        raise source.error("class_id", klass, f"a class of the profiles{hint}", "class_id")
    return klass


#: what a file's `date` must be, said by each error about it
DATE_EXPECTED = (
    f"a day in ISO 8601 such as {EXAMPLE} (year-month-day; a date such as 02/03/2027 reads as a "
    "different day in different countries)"
)


def _date(source: _Source, doc: Mapping[str, object]) -> str:
    """The file's date as YYYY-MM-DD (ISO 8601, as every date of the library). A file without
    one is an error: it would apply to any night, even one before the teacher chose (the class
    page always writes its report's date)."""
    if "date" not in doc:
        raise source.error_at(
            [],
            "date",
            "no date",
            f"a day in ISO 8601 such as {EXAMPLE}: the day of the report the class page "
            "exported it from (overrides apply from their date on)",
        )
    value = doc["date"]
    stamp = iso_timestamp(value) if isinstance(value, str) else None
    if stamp is None:
        raise source.error("date", value, DATE_EXPECTED, "date")
    return stamp.strftime("%Y-%m-%d")


def _students(
    source: _Source,
    given: object,
    klass: str | None,
    activities: set[str],
    profiles: Mapping[str, LearnerProfile],
) -> dict[str, StudentOverride]:
    """Each student's checked overrides, by trimmed id; a student given twice (even once with
    a space) is an error pointing at both entries."""
    if given is None:
        raise source.error_at(
            [], "students", "no 'students'", "an object of student id -> overrides"
        )
    if not isinstance(given, _JsonObject):
        kind = {list: "a list", str: "text"}.get(type(given), type(given).__name__)
        raise source.error_at(
            source.lines_of("students")[:1], "students", kind,
            "an object of student id -> overrides",
        )  # fmt: skip
    keys: dict[str, list[str]] = {}  # trimmed id -> the keys written for it
    for key in given:
        keys.setdefault(key.strip(), []).append(key)
    out = {}
    gone: dict[str, list[int]] = {"left": [], "moved": []}  # a roster changed since the export
    for sid, written in keys.items():
        times = sum(given.repeated.get(k, 1) for k in written)
        if times > 1:
            lines = [line for k in written for line in source.lines_of(k)]
            raise source.error_at(
                lines,
                f"students.{sid}",
                f"{times} entries for this student",
                "one entry per student (JSON keeps only the last: the others would be lost)",
            )
        student = _Student(source, sid, written[0])
        status = student.check_profile(profiles.get(sid), klass)
        override = student.override(given[written[0]], activities)  # checked all the same
        if status:
            gone[status] += source.lines_of(written[0])
            continue
        out[sid] = override
    _warn_gone(source, klass, gone)
    return out


def _warn_gone(source: _Source, klass: str | None, gone: Mapping[str, list[int]]) -> None:
    """Students of an export that left the district, or another class (a roster changed
    since the teacher exported), are skipped with a `NightWarning` (counts and lines, no id):
    one teacher's file must not stop every school's night, and nobody else's student is
    overridden."""
    left, moved = len(gone["left"]), len(gone["moved"])
    if not left and not moved:
        return
    parts = [f"{counted(left, 'student')} in no profile (left the district?)"] if left else []
    if moved:
        parts.append(f"{counted(moved, 'student')} now in another class than {klass!r}")
    lines = _lines([*gone["left"], *gone["moved"]])
    warnings.warn(
        f"{source.path}{lines}: {' and '.join(parts)}: their overrides are not applied (the "
        "class page leaves them out of its next export)",
        NightWarning,
        stacklevel=5,
    )


@dataclass(frozen=True)
class _Student:
    """One student's entry of a file: `sid` trimmed, `key` as written (where errors point)."""

    source: _Source
    sid: str
    key: str

    @property
    def where(self) -> str:
        return f"students.{self.sid}"

    def fail(self, field_: str, value: object, expected: str) -> OverridesError:
        return self.source.error(f"{self.where}{field_}", value, expected, self.key)

    def check_profile(self, profile: LearnerProfile | None, klass: str | None) -> str | None:
        """None for a student of the district and of the file's class (where it names one);
        "left" for one in no profile, "moved" for one in another class (skipped, said once
        per file: `_warn_gone`). An empty id is an error."""
        if not self.sid:
            raise self.fail("", self.key, "a student id (text, not empty)")
        if profile is None:
            return "left"
        if klass is not None and profile.class_id != klass:
            return "moved"
        return None

    def override(self, entry: object, activities: set[str]) -> StudentOverride:
        """The entry's assigned and excluded activities (ids trimmed) and mode, checked."""
        if not isinstance(entry, dict) or set(entry) - set(STUDENT_KEYS):
            extra = sorted(set(entry) - set(STUDENT_KEYS)) if isinstance(entry, dict) else entry
            raise self.fail("", extra, f"an object with keys {', '.join(STUDENT_KEYS)}")
        _check_once(self.source, entry, f"{self.where}.", at=self.source.lines_of(self.key)[:1])
        assigned = self.activities("assigned", entry.get("assigned", []), activities)
        excluded = self.activities("excluded", entry.get("excluded", []), activities)
        for i, activity in enumerate(excluded):
            if activity in assigned:
                raise self.fail(
                    f".excluded[{i}]",
                    activity,
                    f"an activity either assigned or excluded (this one is also in "
                    f"{self.where}.assigned, and the exclusion would win without a word)",
                )
        mode = entry.get("mode")
        if mode is not None and mode not in MODES:
            raise self.fail(".mode", mode, f"null or one of {', '.join(MODES)}")
        # an exclusion repeated excludes the same: kept once
        return StudentOverride(tuple(assigned), tuple(sorted(set(excluded))), mode)

    def activities(self, key: str, values: object, activities: set[str]) -> list[str]:
        """A list of the catalog's activity ids (trimmed, as written otherwise). An activity
        assigned twice is an error, as a student or field given twice is: it would be served
        once, in an order the teacher did not give, without a word."""
        if not isinstance(values, list):
            raise self.fail(f".{key}", values, "a list of activity ids")
        ids: list[str] = []
        for i, activity in enumerate(values):
            if not isinstance(activity, str) or activity.strip() not in activities:
                raise self.fail(f".{key}[{i}]", activity, _activity_expected(activity, activities))
            if key == "assigned" and activity.strip() in ids:
                first = ids.index(activity.strip())
                raise self.fail(
                    f".{key}[{i}]",
                    activity,
                    f"each activity once in {self.where}.{key} (it is also {key}[{first}]; "
                    "it would be served once)",
                )
            ids.append(activity.strip())
        return ids


def _in_force(file: _FileOverrides, night: str) -> bool:
    """Whether `file` applies to `night` (both YYYY-MM-DD): from its date on. A file dated
    after the night (a re-run of an earlier night, a mistyped --date) is left out, and one
    `STALE_DAYS` older is applied: each with a `NightWarning`."""
    if file.date > night:
        warnings.warn(
            f"{file.path}: dated {file.date}, after the night of {night}: not applied (overrides "
            "apply from their date on); check --date",
            NightWarning,
            stacklevel=3,
        )
        return False
    age = (pd.Timestamp(night) - pd.Timestamp(file.date)).days
    if age >= STALE_DAYS:
        warnings.warn(
            f"{file.path}: dated {file.date}, {age} days before the night of {night}: applied "
            "(a teacher's choices stand until the class page exports them again); check that "
            "it is not a forgotten file",
            NightWarning,
            stacklevel=3,
        )
    return True


def _merged(files: Sequence[_FileOverrides]) -> OverrideSet:
    """Every file's students as one set: each class in one file, each student in one file."""
    classes: dict[str, Path] = {}
    students: dict[str, StudentOverride] = {}
    sources: dict[str, str] = {}
    for file in files:
        if file.class_id in classes:  # a student the newer export cleared would still apply
            raise OverridesError(
                f"{file.path}: class {file.class_id!r} is also in {classes[file.class_id]}; "
                "expected one file per class (keep the newest export, remove the other)"
            )
        if file.class_id is not None:
            classes[file.class_id] = file.path
        for sid, override in file.students.items():
            if sid in students:
                raise OverridesError(
                    f"{file.path}: student {sid!r} is also in {sources[sid]}; expected each "
                    "student in one overrides file"
                )
            students[sid], sources[sid] = override, str(file.path)
    return OverrideSet(
        dict(sorted(students.items())),
        sources,
        tuple(str(file.path) for file in files),
        {f.class_id: tuple(sorted(f.students)) for f in files if f.class_id is not None},
    )


def _lines(lines: Sequence[int]) -> str:
    """Where an error is, for its message: `, line 3`, `, lines 3 and 8`, or nothing."""
    lines = sorted(set(lines))
    if not lines:
        return ""
    if len(lines) == 1:
        return f", line {lines[0]}"
    return f", lines {', '.join(map(str, lines[:-1]))} and {lines[-1]}"


def overrides_path(out: str | Path, date: str) -> Path:
    """Where the job records the overrides it applied on `date` (beside its Parquet output)."""
    return Path(out) / "overrides" / f"date={date}" / "overrides.json"


def record_overrides(out: str | Path, date: str, overrides: OverrideSet | None) -> Path:
    """Write the overrides applied on `date` (ids only, no names) for that date's report, or
    remove an earlier record when none are given (a re-run without them)."""
    path = overrides_path(out, date)
    if overrides:
        atomic_write_bytes(path, overrides.to_json())
    else:
        path.unlink(missing_ok=True)
    return path


def applied_classes(out: str | Path, date: str) -> dict[str, list[str]]:
    """The classes whose files the job applied on `date` -> their students (empty when none,
    or for a record written before classes were recorded)."""
    path = overrides_path(out, date)
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise OverridesError(
            f"{path}: not the overrides record the batch job writes ({exc})"
        ) from exc
    classes = doc.get("classes", {}) if isinstance(doc, dict) else {}
    return {str(c): list(ids) for c, ids in classes.items()} if isinstance(classes, dict) else {}


def applied_overrides(out: str | Path, date: str) -> dict[str, StudentOverride]:
    """The overrides the job recorded for `date` (empty when none were given)."""
    path = overrides_path(out, date)
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {
            sid: StudentOverride(tuple(d["assigned"]), tuple(d["excluded"]), d["mode"])
            for sid, d in doc["students"].items()
        }
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise OverridesError(
            f"{path}: not the overrides record the batch job writes ({exc})"
        ) from exc


def _activity_expected(given: object, activities: set[str]) -> str:
    """What an unknown activity id should have been, with the catalog's closest id, or the
    activities of the skill it names ("g4.NS.1": a skill id where an activity id goes)."""
    if not isinstance(given, str):
        return "an activity id of the catalog"
    text = given.strip()
    of_skill = sorted(a for a in activities if a.startswith(f"{text}."))
    if of_skill:
        shown = ", ".join(of_skill[:4]) + (", ..." if len(of_skill) > 4 else "")
        return f"an activity id of the catalog, not a skill's ({text!r} has {shown})"
    close = closest_name(text, activities)
    hint = f" (did you mean {close!r}?)" if close else ""
    return f"an activity id of the catalog{hint}"
