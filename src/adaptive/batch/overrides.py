"""Teacher overrides from the report site, read by the nightly job (`adaptive batch --overrides`).

A class page exports one JSON file per class (`adaptive.reports.site`):

    {"format": "adaptive-overrides", "version": 1, "school_id": "sch0001", "class_id": "g4A",
     "date": "2027-02-20", "students": {"stu0000042": {"assigned": ["g4.NF.2.practice1"],
                                                       "excluded": [], "mode": "remediate"}}}

A class is its school and its class id (`ClassKey`): rosters name homerooms without the school
("Room g4A" at two schools), so files are matched, applied, recorded and warned of per (school,
class). A file without `school_id` (an export of an earlier version) is its class id's school's
where one school uses that id, and refused (a problem naming the file, the class id, its schools
and what to do) where several do: applied to either, the other school's class would lose its
teacher's choices (`_class_key`).

`assigned` activities come first, in the given order (they skip readiness, never the exclusions);
`excluded` ones are never recommended, nor any activity on a skill of `excluded_skills` (skill
ids: a teacher sets a whole skill aside); `mode` moves the student's grade band (each key of a
student's entry optional):
`accelerate` = grade-level and next grade's activities (`TeacherOverrides.accelerate`: their
reasons say the teacher asked), `remediate` = up to two grades below
through grade level (`TeacherOverrides.min_grade` / `max_grade`), the previous grade's skills the
student never answered checked first (`TeacherOverrides.remediate`). `read_overrides` takes one
file or a folder of them, checks every field against the catalog and the profiles (a teacher
overrides only their own class's students), and finds every problem of a file at once, each
naming the file, the line and column of the wrong value itself, the field, the value, what was
expected and what was likely meant:
strictly (`adaptive validate --overrides`) one `OverridesError` listing them all; for the night,
the file is set aside (its students served without it) with a `NightWarning` listing them
without student ids (`OverrideSet.set_aside`, recorded by `record_overrides`). A key missing
(`date`, `students`) is said at the object it belongs in. A file written by hand may leave
`format` and `version` out (its keys, each checked, tell what it is: `_check_tag`); the README's
"The overrides file" lists every key.

What is a problem rather than read some way: a folder holding anything but the exports (a `.csv`,
a half-downloaded file, a subfolder: hidden files and file-manager markers aside); a student, or
any field, given twice in a file (JSON would keep the last: the first would be lost); an
activity both assigned and excluded, or assigned twice
to one student; a `class_id` that is no class of the profiles (one that differs only in case is
named); a student id in no profile that is a likely typo of a classmate's ("stu000027" for
"stu0000027": named with it, `typo_of`); a `date` missing or not ISO 8601 (the class page always
writes its report's date: a file without one would apply to any night, even one before the
teacher chose); a file that is not JSON (one that reads as a CSV table is said to be one). Ids
are trimmed, as everywhere in the library. A student in no profile (who left the district
since the export) or in another class per the profiles is skipped with a `NightWarning`. A file
without `class_id` is the file of its students' classes. A file applies from its `date` on (the
night of its date and every night after it while it is given): given to an earlier night, it
is not applied and a `NightWarning` says so; older than `STALE_DAYS`, it is applied with a
warning; dated before the night's school year (`school_year_start`: the growth norm's
`year_start`), it is last year's: not applied, whatever it holds, with a warning
(`LastYearFile`). An assignment more than one grade from its student's grade (beyond the mode's band)
is applied with a warning (`warn_far_assignments`). A file with the same overrides as another
(one export downloaded twice: "overrides-c1 (1).json") is read once, and of two different files
of one class the one with the newest `date` is applied, or, where they share it, neither (the
class is served without overrides): each with a `NightWarning` naming the files
(`_one_file_per_class`), so one class's files never stop every school's night.

The job applies them through the per-school input table (`batch_fields`), so the in-process and
the Spark paths get them alike, and records what it applied beside its output (`record_overrides`),
which the next report shows and pre-fills: the file round-trips.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import re
import warnings
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
import pandas as pd
from scipy import sparse

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.curriculum.catalog import activity_expected, skill_expected
from adaptive.dates import EXAMPLE, day_meant, iso_day, iso_timestamp
from adaptive.errors import (
    AdaptiveError,
    ConfigError,
    DataValidationError,
    NightWarning,
    closest_name,
    counted,
    line_words,
    look_alike,
    verb,
)
from adaptive.files import atomic_write_bytes, read_user_text
from adaptive.policy.adapter import add_class_schools, profiles_of, shared_class_ids
from adaptive.policy.base import (
    TeacherOverrides,
    overrides_clashes,
    set_aside_clashes,
    student_at,
    teacher_arrays,
)
from adaptive.school_year import school_year_start

#: what an export's `format` says (a file written by hand may leave it and `version` out: its
#: keys, each checked, tell that it is an overrides file; it is read as version 1)
FORMAT = "adaptive-overrides"
VERSION = 1
MODES = ("accelerate", "remediate")
#: each key of a student's entry -> the teacher's choice it holds, in a teacher's words (one
#: place: a sentence naming every kind of choice, `CHOICES_SAID`, is built from it)
STUDENT_CHOICES = {
    "assigned": "assigned activities",
    "excluded": "excluded activities",
    "mode": "modes",
    "excluded_skills": "skills set aside",
}
STUDENT_KEYS = tuple(STUDENT_CHOICES)
#: every kind of choice a file holds, as a sentence says them
CHOICES_SAID = " or ".join(", ".join(STUDENT_CHOICES.values()).rsplit(", ", 1))
#: the keys of an export (`school_id`, `class_id`, `format` and `version` may be left out by a
#: file written by hand, and `school_id` by an export of an earlier version)
TOP_KEYS = ("format", "version", "school_id", "class_id", "date", "students")
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


#: a class as the night knows it: (school id, class id), "" for a profile without a school. Real
#: rosters name homerooms without their school ("Room g4A" at two schools): a class id alone
#: would merge two schools' classes, one teacher's file dropping the other's
ClassKey = tuple[str, str]


def class_key(profile: LearnerProfile) -> ClassKey:
    """The class of a student's profile (`ClassKey`)."""
    return (profile.school_id or "", profile.class_id or "")


def class_schools(profiles: Mapping[str, LearnerProfile]) -> dict[str, frozenset[str]]:
    """Each class id of `profiles` -> the schools whose students are in a class of that id
    ("" for a profile without a school)."""
    schools: dict[str, set[str]] = {}
    add_class_schools(schools, profiles.values())
    return {c: frozenset(s) for c, s in schools.items()}


def class_words(key: ClassKey, shared: Collection[str] = ()) -> str:
    """A class as a message names it: `'c1'`, or `'Room g4A' of school 'sch1'` where its id
    is among `shared` (class ids used by several schools) and it has a school."""
    school, klass = key
    return f"{klass!r} of school {school!r}" if school and klass in shared else repr(klass)


def classes_words(keys: Sequence[ClassKey], shared: Collection[str] = ()) -> str:
    """ "class 'c1'", or "classes 'c1', 'c2' ..." (the first five: `class_words`)."""
    shown = ", ".join(class_words(k, shared) for k in keys[:5]) + (" ..." if len(keys) > 5 else "")
    return f"class{'' if len(keys) == 1 else 'es'} {shown}"


class OverridesError(ConfigError):
    """A teacher overrides file is unreadable or names something unknown: every problem of the
    file (or folder) at once, each on its line (a file with three wrong ids failed three times,
    one fix at a time)."""

    #: each problem, in full (what the message lists)
    problems: tuple[str, ...] = ()
    #: the same problems with every student id replaced by `HIDDEN_ID` (what a night's warning
    #: lists: a job's log never names a student)
    anonymous: tuple[str, ...] = ()
    #: (line, column) of one problem in its file (its first line; (0, 0): none): how a file's
    #: problems are ordered (`_Source.check`)
    at: tuple[int, int] = (0, 0)


#: what a night's warning writes for a student id (`OverridesError.anonymous`)
HIDDEN_ID = "<student id>"


def _problems_error(problems: Sequence[tuple[str, str]]) -> OverridesError:
    """One error listing `problems` ((in full, without student ids) each): the problem itself
    where there is one, else a count and one problem a line."""
    full = tuple(text for text, _ in problems)
    message = full[0] if len(full) == 1 else _listed(full)
    error = OverridesError(message)
    error.problems, error.anonymous = full, tuple(text for _, text in problems)
    return error


def _listed(problems: Sequence[str]) -> str:
    """`N problems (each below; fix them all ...):` and one problem a line."""
    lines = "".join(f"\n  {p}" for p in problems)
    return (
        f"{len(problems)} problems in the teacher overrides (each below, fix them all before "
        f"the file is given again):{lines}"
    )


#: where a night's warning says a student's entry is (`_Student.where`, its id hidden)
HIDDEN_WHERE = f"students.{HIDDEN_ID}"


@dataclass(frozen=True)
class StudentOverride:
    """One student's overrides: assigned activities (in order), excluded ones, a mode, and
    skills set aside (every activity on them excluded)."""

    assigned: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    mode: str | None = None
    excluded_skills: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Built in Python as a file is read: lists of activity ids (one string is not a list:
        its letters would be ids), trimmed; a mode of `MODES` (a typo was a bare KeyError when
        applied). Activity and skill ids are checked against the catalog when applied
        (`batch_fields`)."""
        for name in ("assigned", "excluded", "excluded_skills"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(a, str) for a in value):
                kind = "skill" if name == "excluded_skills" else "activity"
                raise ConfigError(
                    f"StudentOverride.{name} = {value!r}: expected a list of {kind} ids"
                )
            object.__setattr__(self, name, tuple(a.strip() for a in value))
        if self.mode is not None and self.mode not in MODES:
            raise ConfigError(
                f"StudentOverride.mode = {self.mode!r}: expected None or one of {', '.join(MODES)}"
            )
        clashes = overrides_clashes(self.assigned, self.excluded)
        if clashes:
            field_, i, activity, expected = clashes[0]
            raise ConfigError(
                f"StudentOverride.{field_}[{i}] {activity!r}: expected {expected.format('')}"
            )

    def to_dict(self) -> dict:
        """The export's entry; `excluded_skills` only where some are set aside (an entry
        without them reads and records as before)."""
        out = {"assigned": list(self.assigned), "excluded": list(self.excluded), "mode": self.mode}
        if self.excluded_skills:
            out["excluded_skills"] = list(self.excluded_skills)
        return out

    def teacher_overrides(self, grade: int | None) -> TeacherOverrides:
        """The policy's hard constraints for this student (grade band from the mode)."""
        low = high = None
        if self.mode is not None and grade is not None:
            low, high = (grade + d for d in MODE_BANDS[self.mode])
        return TeacherOverrides(
            assigned=self.assigned, excluded=frozenset(self.excluded), min_grade=low,
            max_grade=high, remediate=self.mode == "remediate" and grade is not None,
            accelerate=self.mode == "accelerate" and grade is not None,
            excluded_skills=frozenset(self.excluded_skills),
        )  # fmt: skip


@dataclass(frozen=True)
class OverrideSet:
    """Every student's overrides for one night (student id -> `StudentOverride`), and the file
    each came from."""

    students: dict[str, StudentOverride]
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    #: the files applied, in the order read (a file dated after the night is not among them)
    files: tuple[str, ...] = field(default=(), compare=False)
    #: each class (`ClassKey`) a file applied tonight is for -> its students there (recorded
    #: with the night, so the next night can say which class's file went missing): the file's
    #: `school_id` and `class_id`, or for a file without one the classes of its students in
    #: the profiles
    classes: dict[ClassKey, tuple[str, ...]] = field(default_factory=dict, compare=False)
    #: each of those classes -> the newest `date` of the files applied for it (recorded, so
    #: the class page fills its form with the newest of them and a file set aside:
    #: `set_aside_form`)
    class_dates: dict[ClassKey, str] = field(default_factory=dict, compare=False)
    #: the files dated after the night (not applied): still the files of their classes, so the
    #: night says that they drop the class's choices, not that the class has no file
    later: tuple[LaterFile, ...] = field(default=(), compare=False)
    #: the classes whose files disagree and were not applied (`_one_file_per_class`): their
    #: own warning says so, so the night does not say that the class has no file
    held_back: tuple[ClassKey, ...] = field(default=(), compare=False)
    #: the files with problems, set aside tonight (`read_overrides` with `strict` False):
    #: their students are served without them, every other file applied
    set_aside: tuple[SetAsideFile, ...] = field(default=(), compare=False)
    #: the files read without a problem but not applied (`later`, and the files of the
    #: `held_back` classes), recorded with the files set aside (`SetAsideFile.why` says why)
    #: so that the class page says so and fills its form with them, as for a file set aside
    not_applied: tuple[SetAsideFile, ...] = field(default=(), compare=False)
    #: each class -> its students that a file applied for it skipped, as `skipped_students`
    #: reads them back (recorded, so that the class page says which choices were dropped)
    skipped: dict[ClassKey, tuple[tuple[str, str], ...]] = field(
        default_factory=dict, compare=False
    )
    #: the class ids that several schools use (`class_schools`): a message names their school
    shared: frozenset[str] = field(default=frozenset(), compare=False)

    def __len__(self) -> int:
        return len(self.students)

    def summary(self) -> str:
        """What the night applied, in one line (`applied_line`)."""
        return applied_line(len(self), len(self.files), len(self.set_aside))

    def to_json(self) -> bytes:
        """Canonical JSON (sorted ids, the export format with every class merged)."""
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "students": {s: self.students[s].to_dict() for s in sorted(self.students)},
        }
        if self.classes:
            doc["classes"] = _by_school({k: sorted(ids) for k, ids in self.classes.items()})
        if self.class_dates:
            doc["class_dates"] = _by_school(self.class_dates)
        if self.skipped:
            doc["skipped"] = _by_school({k: [list(p) for p in v] for k, v in self.skipped.items()})
        if self.set_aside or self.not_applied:
            doc["set_aside"] = [file.to_dict() for file in (*self.set_aside, *self.not_applied)]
        return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_json()).hexdigest()

    def batch_fields(
        self, catalog: Catalog, profiles: Mapping[str, LearnerProfile], student_ids: Sequence[str]
    ) -> dict[str, object]:
        """`StudentBatch` fields for these students (empty when none of them has an override):
        `assigned` (CSR, 1-based order), `excluded` (CSR), `min_grade`, `max_grade`,
        `remediate`, `accelerate`."""
        students = {str(s).strip(): o for s, o in self.students.items()}  # ids trimmed
        rows = [i for i, s in enumerate(student_ids) if s in students]
        if not rows:
            return {}
        n = len(student_ids)
        pos = catalog.activity_index
        for i in rows:  # a set built in Python is checked as a file is: an unknown id was -1,
            # the catalog's last activity, assigned without a word
            o = students[student_ids[i]]
            if any(a not in pos for a in (*o.assigned, *o.excluded)):
                raise self._unknown_activities(o, student_ids[i], i, n, set(pos))
        owners = [student_ids[i] for i in rows]  # only those a teacher overrode: a few
        # each found as a request finds it ({123: profile} is the student "123"): a look-up by
        # text alone dropped an int-keyed student's band while the request placed them
        found, lack = profiles_of(owners, profiles)
        teacher = [
            students[sid].teacher_overrides(None if lacks else p.grade)
            for sid, p, lacks in zip(owners, found, lack, strict=True)
        ]
        fields = teacher_arrays(catalog, teacher, rows, n)
        # each overridden student's row in place among the batch's n (the others: none)
        place = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, np.arange(len(rows)))), (n, len(rows))
        )
        out: dict[str, object] = {}
        for name in ("assigned", "excluded"):
            out[name] = (place @ fields[name]).tocsr()
        filled = {"min_grade": np.nan, "max_grade": np.nan, "remediate": 0.0, "accelerate": 0.0}
        for name, fill in filled.items():
            column = np.full(n, fill)
            column[rows] = fields[name]
            out[name] = column
        return out

    def _unknown_activities(
        self, override: StudentOverride, sid: str, row: int, n: int, activities: set[str]
    ) -> ConfigError:
        """The error for a student's override naming activities not in the catalog applied.
        From a file (`sources`): the file, the field and its unknown ids (an operator can open
        it; a row of the night's school batch means nothing to anyone); for a set built in
        Python, the student's position in the caller's `student_ids` (`student_at`). Never the
        id (messages never name a student)."""
        field_, unknown = next(
            (name, bad)
            for name in ("assigned", "excluded")
            if (bad := [a for a in getattr(override, name) if a not in activities])
        )
        expected = activity_expected(unknown[0], activities)
        source = {str(s).strip(): f for s, f in self.sources.items()}.get(sid)
        if source is None:
            return ConfigError(
                f"{student_at(row, n)}overrides: {unknown[0]!r}: expected {expected}"
            )
        shown = ", ".join(repr(a) for a in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        return OverridesError(
            f"{source}, field {field_} of a student's overrides: got {shown}; expected {expected} "
            "(the file was read against another catalog than the night's?)"
        )


_V = TypeVar("_V")


def _by_school(of_class: Mapping[ClassKey, _V]) -> dict[str, dict[str, _V]]:
    """A mapping of classes as the night's record writes it: school id -> class id -> value."""
    out: dict[str, dict[str, _V]] = {}
    for (school, klass), value in sorted(of_class.items()):
        out.setdefault(school, {})[klass] = value
    return out


#: the school of a class in a record written before classes were told apart by school (its
#: `classes` were class id -> students): matched by class id alone (`recorded_for`)
UNKNOWN_SCHOOL: str | None = None


def _from_record(mapping: Mapping) -> dict[tuple[str | None, str], object]:
    """A record's mapping of classes (`_by_school`) read back: (school, class) -> value; a
    record of an earlier version (class id -> value) with the school `UNKNOWN_SCHOOL`."""
    out: dict[tuple[str | None, str], object] = {}
    for key, value in mapping.items():
        if isinstance(value, dict):
            out.update({(str(key), str(klass)): v for klass, v in value.items()})
        else:
            out[(UNKNOWN_SCHOOL, str(key))] = value
    return out


def recorded_for(mapping: Mapping[tuple[str | None, str], _V], key: ClassKey) -> _V | None:
    """The value a record (`applied_classes`, `applied_dates`) holds for the class `key`:
    its own, or for a record of an earlier version the one of its class id; None if none."""
    found = mapping.get(key)
    return mapping.get((UNKNOWN_SCHOOL, key[1])) if found is None else found


@dataclass(frozen=True)
class LaterFile:
    """A file of the folder dated after the night, left out (`read_overrides`): its path, its
    date (YYYY-MM-DD) and the classes it is for (its school's and `class_id`, or its students'
    classes)."""

    path: str
    date: str
    classes: tuple[ClassKey, ...]
    #: whether `read_overrides` warned of it (the night then says it again only to add what
    #: it drops)
    warned: bool = False

    def warning(self, night: str, dropped: str = "") -> str:
        """What the night says of this file: not applied, and what that drops (`dropped`, e.g.
        "the overrides the night 2027-02-19 applied to 2 students of class 'c1'")."""
        drops = f", so {dropped} are dropped tonight (served without them)" if dropped else ""
        return (
            f"{self.path}: dated {self.date}, after the night of {night}: not applied (overrides "
            f"apply from their date on){drops}; check --date, or the file's date"
        )


#: why a file was not applied, as its class page says it (`SetAsideFile.why`)
WHY_PROBLEMS = "had problems"
WHY_LATER = "is dated after the night (a file applies from its date on)"
WHY_SAME_DATE = (
    "has other choices than another file of the class with the same date (which one the "
    "teacher meant cannot be told, so neither was applied)"
)
WHY_LAST_YEAR = (
    "is last school year's (dated before the night's school year started: its choices are "
    "not carried over)"
)


@dataclass(frozen=True)
class SetAsideFile:
    """A file with problems, set aside by the night (`read_overrides` with `strict` False):
    its path, the classes it is for (its school's and `class_id`, or its students' classes;
    none where it cannot be read; a record of an earlier version: `UNKNOWN_SCHOOL`) and its
    problems without student ids (`OverridesError.anonymous`)."""

    path: str
    classes: tuple[tuple[str | None, str], ...]
    problems: tuple[str, ...]
    #: why it was not applied, as the class page says it ("had problems", `WHY_PROBLEMS`; a
    #: file read without a problem: `WHY_LATER`, `WHY_SAME_DATE`; a file of the school year
    #: before the night's, whatever it holds: `WHY_LAST_YEAR`)
    why: str = ""

    def to_dict(self) -> dict:
        doc = {"file": self.path, "classes": [list(k) for k in self.classes],
               "problems": list(self.problems)}  # fmt: skip
        return {**doc, "why": self.why} if self.why else doc

    @property
    def reason(self) -> str:
        """Why the night did not apply it, in a class page's words."""
        return self.why or WHY_PROBLEMS

    def is_for(self, key: ClassKey) -> bool:
        """Whether the file is one of the class `key` (`recorded_for`)."""
        return key in self.classes or (UNKNOWN_SCHOOL, key[1]) in self.classes

    @property
    def last_year(self) -> bool:
        """Whether it was left out as a file of the school year before the night's: nothing
        in it is this year's teacher's to fix (`LastYearFile`)."""
        return self.why == WHY_LAST_YEAR

    def warning(self, shared: Collection[str] = ()) -> str:
        """What the night says of it: set aside, for which classes (their school where the
        class id is among `shared`), and every problem."""
        named = ", ".join(class_words((s or "", c), shared) for s, c in self.classes)
        of = f" (class {named})" if self.classes else ""
        listed = "".join(f"\n  {p}" for p in self.problems)
        n = len(self.problems)
        return (
            f"{self.path}{of}: set aside, not applied tonight: its students are served without "
            f"its overrides, every other file is applied. Its {counted(n, 'problem')} (fix "
            f"{'it' if n == 1 else 'them all'}, check with `adaptive validate --overrides "
            f"{self.path} --catalog ... --profiles ...`, and give the file again):{listed}"
        )


def applied_line(students: int, files: int, set_aside: int = 0) -> str:
    """The night's info line: "applied overrides for 3 students from 2 files" (the counts of
    `JobSummary.override_students` and `override_files`), and the files set aside
    (`override_files_set_aside`): "; 1 file set aside (its problems are in its warning)"."""
    line = f"applied overrides for {counted(students, 'student')} from {counted(files, 'file')}"
    if set_aside:
        line += (
            f"; {counted(set_aside, 'file')} with problems set aside, not applied (see "
            f"{'its warning' if set_aside == 1 else 'their warnings'})"
        )
    return line


def read_overrides(
    path: str | Path,
    catalog: Catalog,
    profiles: Mapping[str, LearnerProfile],
    night: str | None = None,
    classes: Mapping[str, Collection[str]] | None = None,
    rosters: Mapping[str, Collection[str]] | None = None,
    warn_later: bool = True,
    strict: bool = True,
    year_of: str | None = None,
) -> OverrideSet:
    """Read and check one overrides file, or every export in a folder (`_folder_entries`; see
    the module doc). With `night` (the job's date), a file applies from its `date` on: one dated
    after the night is left out (`OverrideSet.later`) with a `NightWarning` (with `warn_later`
    False, none here: the nightly job says it once, with what the file drops,
    `night_checks.classes_dropped`), one `STALE_DAYS` older is applied with one. Teacher
    assignments far from their student's grade are applied with one (`warn_far_assignments`).
    `classes`: the district's class ids -> the schools that use each (`class_schools`), and
    `rosters`: the students of a file's class id, where `profiles` holds only some students
    (the Spark driver keeps the named ones); default: from `profiles`. A class is its school
    and class id (`ClassKey`): a file's `school_id` tells two schools' classes of one id
    apart, and a file without one (an earlier export) is refused where its class id is used
    by several schools (`_class_key`). A file dated before the start of the night's school year
    (`school_year_start`; `year_of`: the day whose school year counts where there is no
    `night`, e.g. today for `adaptive validate`) is last year's teacher's: not applied, its
    classes and activities not checked (a class or activity retired since is no problem of
    it), and said to be removed from the folder (`LastYearFile`).

    Every problem of a file is found, each with its line, column, field, value and what was
    expected. `strict` (checking files before a night: `adaptive validate --overrides`, `adaptive
    recommend`): any problem raises one `OverridesError` listing every problem of every file.
    Not `strict` (the nightly job): a file with problems (or anything a folder should not hold)
    is set aside (`OverrideSet.set_aside`) with a `NightWarning` naming it and listing its
    problems (no student ids): its students are served without its overrides, and one
    teacher's file never stops every school's night.
    """
    schools = class_schools(profiles) if classes is None else classes
    day = iso_day(night, "night") if night is not None else None
    district = _District(
        set(catalog.activity_index), profiles, frozenset(c for c in schools if c), rosters,
        frozenset(catalog.skill_ids), {a.id: a.skills for a in catalog.activities},
        {c: frozenset(s) for c, s in schools.items() if c},
        _school_year(day, year_of),
    )  # fmt: skip
    files: list[_FileOverrides] = []
    problems: list[tuple[Path, OverridesError]] = []
    last_year: list[SetAsideFile] = []
    for file, problem in _folder_entries(path):
        try:
            if problem is not None:
                raise problem
            files.append(_read_file(file, district))
        except LastYearFile as exc:
            if strict:
                problems.append((file, exc))
                continue
            warnings.warn(str(exc), NightWarning, stacklevel=2)
            last_year.append(
                SetAsideFile(str(file), _classes_named(file, district), (exc.said,), WHY_LAST_YEAR)
            )
        except OverridesError as exc:
            problems.append((file, exc))
    if strict and problems:
        raise _problems_error(
            [pair for _, exc in problems for pair in zip(exc.problems, exc.anonymous, strict=True)]
        )
    set_aside = tuple(_set_aside_file(file, exc.anonymous, district) for file, exc in problems)
    for aside in set_aside:
        warnings.warn(aside.warning(district.shared), NightWarning, stacklevel=2)
    later: list[LaterFile] = []
    if day is not None:
        later = [_later(f, warn_later) for f in files if f.date > day]
        files = [f for f in files if _in_force(f, day, warn_later)]
    merged = _merged(files, later, district.shared, day)
    merged = dataclasses.replace(
        merged,
        set_aside=set_aside,
        shared=district.shared,
        not_applied=(*last_year, *merged.not_applied),
    )
    warn_far_assignments(merged, catalog, profiles)
    return merged


class LastYearFile(OverridesError):
    """An overrides file dated before the start of the night's school year: last year's
    teacher's choices for last year's classes and catalog, not applied whatever it holds (its
    classes and activities are not checked), and to be removed from the folder. A night says
    so and records it for its class page (`WHY_LAST_YEAR`); `adaptive validate` lists it as a
    problem."""

    #: the words without the file's name (what its class page lists)
    said: str = ""


def _school_year(night: str | None, year_of: str | None) -> tuple[str, str]:
    """(the first day of the school year of `night`, or else of `year_of`; how a message says
    whose: "the night's" or "that of 2027-09-01"), ("", "") when neither is given."""
    day = night or (iso_day(year_of, "date") if year_of is not None else None)
    if day is None:
        return "", ""
    return school_year_start(day), "the night's" if night else f"that of {day}"


def _check_school_year(file: Path, doc: _JsonObject, year: tuple[str, str]) -> None:
    """`LastYearFile` when the file's `date` (as `_date` reads it) is before the school year's
    first day `year[0]` ("": none given, nothing checked); a date that does not read is left
    to `_date`. Its `said`: the words without the file, as its class page lists them."""
    start, whose = year
    date = _day_of(doc.get("date"))
    if not start or not date or date >= start:
        return
    said = (
        f"dated {date}, in the school year before {whose} (it starts {start}, the growth "
        "norm's year_start): not applied; remove it from the folder"
    )
    error = LastYearFile(f"{file}: {said}")
    error.problems = error.anonymous = (f"{file}: {said}",)
    error.said = said
    raise error


def _set_aside_file(file: Path, problems: tuple[str, ...], district: _District) -> SetAsideFile:
    """A file with `problems` the night sets aside, for the classes it is for
    (`_classes_named`). A file whose class is no longer in the profiles while its students
    are (`ClassGone`: a class split or renamed) is for their classes now too, and says why on
    their pages: the teacher reads it there, where the form exports the choices again."""
    classes = _classes_named(file, district)
    gone = ClassGone.of(_set_aside_doc(file), district)
    if gone is None:
        return SetAsideFile(str(file), classes, problems)
    classes = tuple(dict.fromkeys((*classes, *gone.keys)))
    return SetAsideFile(str(file), classes, problems, gone.why)


def _classes_named(file: Path, district: _District) -> tuple[ClassKey, ...]:
    """The classes a file set aside is for, as far as it reads: its school's and `class_id`
    (every school's class of that id where it gives no school that uses it), else its
    students' classes in the profiles; else, for a file that does not read as an export (a
    CSV, UTF-16, a JSON syntax error, a stray entry), the class its name is the class page's
    export of (`_class_of_name`): so its notice is on that class's page."""
    return _classes_read(file, district) or _class_of_name(file.name, district.schools_of)


def _classes_read(file: Path, district: _District) -> tuple[ClassKey, ...]:
    """The classes a file names as read (`_classes_named`); none for one that is not a JSON
    object."""
    doc = _set_aside_doc(file)
    if isinstance(doc.get("class_id"), str) and doc["class_id"].strip():
        klass = doc["class_id"].strip()
        school = doc.get("school_id")
        school = school.strip() if isinstance(school, str) else None
        schools = district.schools_of.get(klass, frozenset())
        if school in schools or not schools:
            return ((school or "", klass),)
        return tuple((s, klass) for s in sorted(schools))
    students = doc.get("students")
    if not isinstance(students, dict):
        return ()
    profiles = (district.profiles.get(str(sid).strip()) for sid in students)
    return tuple(sorted({class_key(p) for p in profiles if p is not None and p.class_id}))


#: the name a class page's "Export overrides (JSON)" button gives its download
#: (`overrides-<school>-<class>.json`, assets.py; `overrides-<class>.json` before classes were
#: told apart by school), with a browser's " (1)" for a second download
_EXPORT_NAME = re.compile(r"overrides-(?P<klass>.+?)(?: ?\(\d+\))?", re.IGNORECASE)


def _class_of_name(name: str, schools_of: Mapping[str, Collection[str]]) -> tuple[ClassKey, ...]:
    """The classes (of `schools_of`: class id -> its schools) whose export `name` is named as
    (`_EXPORT_NAME`, with any extension: a spreadsheet saves it as `.csv`), or none: the one
    of `<school>-<class>`, or every school's class of a name `<class>`."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    for candidate in dict.fromkeys((name, stem)):  # the whole name first: a class 'math.7'
        if candidate.lower().startswith("overrides-"):  # exactly a class's name: 'c1 (1)'
            found = _export_classes(candidate[10:], schools_of)
            if found:
                return found
        match = _EXPORT_NAME.fullmatch(candidate)
        found = _export_classes(match["klass"], schools_of) if match else ()
        if found:
            return found
    return ()


def _export_classes(named: str, schools_of: Mapping[str, Collection[str]]) -> tuple[ClassKey, ...]:
    """The classes an export's name names after `overrides-`: `<school>-<class>`, else every
    school's class `<class>`."""
    for klass, schools in schools_of.items():
        for school in schools:
            if school and named == f"{school}-{klass}":
                return ((school, klass),)
    return tuple((s, named) for s in sorted(schools_of.get(named, ())))


def _folder_entries(path: str | Path) -> list[tuple[Path, OverridesError | None]]:
    """Each overrides file `path` names (the file itself, or a folder's exports in name order:
    `*.json`, any case) with what is wrong with it as a folder's
    entry (None: nothing; each else a problem of its own, set aside by a night). A path that
    is neither a file nor a folder is an error (the night's option, not a teacher's file)."""
    path = Path(path)
    if path.is_file():
        return [(path, None)]
    if not path.is_dir():
        raise OverridesError(
            f"overrides {path} not found; expected a JSON file or a folder of them"
        )
    entries: list[tuple[Path, OverridesError | None]] = []
    for entry in sorted(path.iterdir()):
        if _skipped(entry):
            continue
        problem = None
        if not entry.is_file() or entry.suffix.lower() != SUFFIX:
            kind = "a folder (not read: its files would be lost)" if entry.is_dir() else "a file"
            text = f"{entry}: {kind} in the overrides folder; expected {FOLDER_HOLDS}"
            problem = _problems_error([(text, text)])
        entries.append((entry, problem))
    return entries


def named_students(path: str | Path) -> set[str]:
    """Every student id (trimmed) that an overrides file or folder names: for a reader that
    keeps only those students' profiles (the Spark driver). What cannot be read is left to
    `read_overrides`, which says what is wrong with it."""
    named: set[str] = set()
    for doc in _documents(path):
        if isinstance(doc.get("students"), dict):
            named.update(sid.strip() for sid in doc["students"])
    return named


def named_classes(path: str | Path) -> set[str]:
    """Every class id (trimmed) that an overrides file or folder names (`class_id`): for a
    reader that keeps only some profiles (the Spark driver), whose students' ids it keeps
    where a file names a student in no profile (`read_overrides`'s `rosters`)."""
    return {
        doc["class_id"].strip() for doc in _documents(path) if isinstance(doc.get("class_id"), str)
    }


def _documents(path: str | Path) -> Iterator[dict]:
    """The JSON object of each overrides file `path` names that reads as one (the others are
    `read_overrides`'s to name)."""
    try:
        entries = _folder_entries(path)
    except OverridesError:
        return
    for file, problem in entries:
        if problem is not None:  # a stray entry: the others are still read (`read_overrides`)
            continue
        try:
            doc = json.loads(read_user_text(file, "teacher overrides JSON"))
        except (OSError, ValueError, AdaptiveError):
            continue
        if isinstance(doc, dict):
            yield doc


def _skipped(entry: Path) -> bool:
    """A folder entry that is no one's overrides: hidden, or a file manager's marker."""
    return entry.name.startswith(".") or entry.name.lower() in HARMLESS_FILES


@dataclass(frozen=True)
class _FileOverrides:
    """One file's checked overrides, with its date (YYYY-MM-DD), its class (`ClassKey`) where
    it gives one, and the classes it is for -> their students of the file (its class, or
    without one its students' classes in the profiles: how the night knows which class's file
    it is)."""

    path: Path
    klass: ClassKey | None
    date: str
    students: dict[str, StudentOverride]
    classes: dict[ClassKey, tuple[str, ...]]
    #: the students of its class skipped (`_warn_gone`): (student id, their class now as said
    #: by `class_words`, "" where they are in no profile, `IN_NO_CLASS` in no class)
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def content(self) -> tuple:
        """What the file says, however it is laid out: two files alike here are one export."""
        return self.klass, self.date, tuple(sorted(self.students.items()))


@dataclass
class _District:
    """What a file is checked against: the catalog's activity ids, the students' profiles, the
    district's classes, and each class's students (built from `profiles` when first asked for,
    unless given: only a typo'd student id asks)."""

    activities: set[str]
    profiles: Mapping[str, LearnerProfile]
    classes: frozenset[str]
    rosters: Mapping[str, Collection[str]] | None = None
    #: the catalog's skill ids (what `excluded_skills` may name)
    skills: frozenset[str] = frozenset()
    #: each activity's skills (an activity assigned on a skill set aside is a problem)
    activity_skills: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: each class id -> the schools that use it (`class_schools`)
    schools_of: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: the first day of the night's school year, and how a message says whose (`_school_year`;
    #: "": no night, nothing dated before it is left out)
    school_year: tuple[str, str] = ("", "")

    @property
    def shared(self) -> frozenset[str]:
        """The class ids used by several schools."""
        return frozenset(shared_class_ids(self.schools_of))

    def students_of(self, classes: Collection[str]) -> set[str]:
        """The student ids of `classes`."""
        if self.rosters is None:
            rosters: dict[str, list[str]] = {}
            for sid, profile in self.profiles.items():
                rosters.setdefault(profile.class_id or "", []).append(sid)
            self.rosters = rosters
        return {sid for klass in classes for sid in self.rosters.get(klass, ())}


class _JsonObject(dict):
    """A JSON object that remembers the keys it was given more than once (`json` keeps the
    last value of a repeated key: the others would be lost without a word), and where in the
    text each key and value starts (`_parse_json`): an error points at the value itself."""

    repeated: dict[str, int]
    #: where in the text the object starts (its `{`): where a key missing from it belongs
    at: int
    #: each key -> where it is written (every place, for a key given more than once)
    key_at: dict[str, list[int]]
    #: each key -> where its value starts (the last one, the value `json` keeps)
    value_at: dict[str, int]


class _JsonArray(list):
    """A JSON array that remembers where in the text each item starts (`_parse_json`)."""

    item_at: list[int]


def _json_object(pairs: list[tuple[str, object]]) -> _JsonObject:
    """`json`'s `object_pairs_hook`: the object, and how often each repeated key came."""
    obj = _JsonObject(pairs)
    obj.repeated = {key: n for key, n in Counter(key for key, _ in pairs).items() if n > 1}
    obj.key_at, obj.value_at = {}, {}
    return obj


#: `json`'s reader of one value: (text, where it starts) -> (the value, where it ends)
_Scan = Callable[[str, int], tuple[object, int]]


def _shown(value: object) -> str:
    """A value of the file as an error shows it: null, true and false as JSON writes them (never
    Python's None or True), anything else as its `repr` (text quoted)."""
    return json.dumps(value) if value is None or isinstance(value, bool) else repr(value)


def _parse_json(text: str) -> object:
    """`json.loads(text)` with each object a `_JsonObject` and each array a `_JsonArray`, which
    know where their keys and items start in `text` (through `json`'s own pure-Python scanner,
    whose object and array parsers are wrapped: a class's file is a few kilobytes). Raises
    `json.JSONDecodeError` as `json.loads` does."""
    decoder = json.JSONDecoder(object_pairs_hook=_json_object)

    def parse_object(
        s_and_end: tuple[str, int], strict: bool, scan_once: _Scan, *hooks: object
    ) -> tuple[_JsonObject, int]:
        spans: list[tuple[int, int]] = []
        obj, end = json.decoder.JSONObject(s_and_end, strict, _spanned(scan_once, spans), *hooks)
        text, after = s_and_end
        obj.at = after - 1  # json's object parser starts after the `{`
        for start, stop in spans:  # each value's key: the first '"' after the previous value
            key_start = text.index('"', after)
            key = json.decoder.scanstring(text, key_start + 1, strict)[0]
            obj.key_at.setdefault(key, []).append(key_start)
            obj.value_at[key] = start
            after = stop
        return obj, end

    def parse_array(s_and_end: tuple[str, int], scan_once: _Scan) -> tuple[_JsonArray, int]:
        spans: list[tuple[int, int]] = []
        items, end = json.decoder.JSONArray(s_and_end, _spanned(scan_once, spans))
        array = _JsonArray(items)
        array.item_at = [start for start, _ in spans]
        return array, end

    decoder.parse_object, decoder.parse_array = parse_object, parse_array
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    return decoder.decode(text)


def _spanned(scan_once: _Scan, spans: list[tuple[int, int]]) -> _Scan:
    """`scan_once` (json's value reader) noting where each value it reads starts and ends."""

    def scan(text: str, start: int) -> tuple[object, int]:
        value, end = scan_once(text, start)
        spans.append((start, end))
        return value, end

    return scan


@dataclass(frozen=True)
class _Problem:
    """One problem found in an overrides file, with its place: kept together so the place that
    orders a problem (`_Source.check`) can never drift from the problem it belongs to."""

    #: (line, column) of the problem in its file (`OverridesError.at`): the order it is said in
    at: tuple[int, int]
    #: the problem in full (what the error's message lists)
    text: str
    #: the same problem without student ids (`OverridesError.anonymous`)
    anonymous: str


@dataclass(frozen=True)
class _Source:
    """An overrides file's path and text: where each error points, and the problems found in
    it so far (`note`): a file is checked whole, every problem said at once."""

    path: Path
    text: str
    #: each problem found, with its place, in the order found
    problems: list[_Problem] = field(default_factory=list)

    def note(self, error: OverridesError, anonymous: OverridesError | None = None) -> None:
        """Keep `error` among the file's problems; `anonymous`: the same problem written with
        `HIDDEN_ID` for each student id it names (what the night's warning lists), built as
        the problem is, never by looking for ids in its text afterwards (an id in a repr,
        `'\\tstu1'`, would be missed, a line number `12` taken for the id "12"); by default
        `error` itself (it names no student)."""
        text = str(error)
        hidden = text if anonymous is None else str(anonymous)
        self.problems.append(_Problem(error.at, text, hidden))

    def check(self) -> None:
        """Raise every problem noted, at once (`_problems_error`), in the file's order: by
        line, then column (those of the file as a whole first), as an editor shows them."""
        if self.problems:
            ordered = sorted(self.problems, key=lambda problem: problem.at)  # stable: ties as found
            raise _problems_error([(p.text, p.anonymous) for p in ordered])

    def position(self, at: int | None) -> tuple[int, int]:
        """(line, column) of the offset `at` of the text, 1-based; (0, 0) for none."""
        if at is None:
            return 0, 0
        return self.line(at), at - self.text.rfind("\n", 0, at)

    def line(self, at: int) -> int:
        """The 1-based line of the offset `at` of the text."""
        return self.text.count("\n", 0, at) + 1

    def place(self, at: int | None) -> str:
        """Where the offset `at` of the text is, after the file's name: `, line 15, column 12`
        (1-based, as an editor shows them), or nothing."""
        if at is None:
            return ""
        line, column = self.position(at)
        return f", line {line}, column {column}"

    def error(
        self, where: str, value: object, expected: str, at: int | None = None
    ) -> OverridesError:
        """`FILE, line N, column C, field WHERE: got VALUE; expected ...`, at the offset `at`
        of the text: where the wrong value (or key) itself starts."""
        return self.error_in(self.place(at), where, _shown(value), expected, self.position(at))

    def missing(self, obj: _JsonObject, where: str, expected: str) -> OverridesError:
        """`FILE, line N, column C, field WHERE: missing from this object; expected ...`, at
        where `obj` starts (its `{`): the object the key belongs in, as an editor shows it."""
        error = OverridesError(
            f"{self.path}{self.place(obj.at)}, field {where}: missing from this object; "
            f"expected {expected}"
        )
        error.at = self.position(obj.at)
        return error

    def error_at(self, lines: list[int], where: str, got: str, expected: str) -> OverridesError:
        """As `error`, at the given lines (a field or student given more than once), with
        `got` as written."""
        return self.error_in(_lines(lines), where, got, expected, (min(lines, default=0), 0))

    def error_in(
        self, place: str, where: str, got: str, expected: str, at: tuple[int, int] = (0, 0)
    ) -> OverridesError:
        """As `error`, at `place` (`place`, `_lines`), with `got` as written; `at`: its (line,
        column) (`OverridesError.at`)."""
        error = OverridesError(f"{self.path}{place}, field {where}: got {got}; expected {expected}")
        error.at = at
        return error


def _read_file(file: Path, district: _District) -> _FileOverrides:
    """One file, every field checked (see the module doc)."""
    source, doc = _parsed(file)
    _check_school_year(file, doc, district.school_year)  # last year's: nothing else checked
    _check_once(source, doc, "")
    _check_keys(source, doc, "", TOP_KEYS, "the export's keys")
    _check_tag(source, doc, "format", FORMAT)
    _check_tag(source, doc, "version", VERSION)
    klass = _class_key(source, doc, _class_id(source, doc, district), district)
    date = _date(source, doc)
    students, skipped = _students(source, doc, klass, district)
    source.check()  # every problem of the file at once
    classes: dict[ClassKey, list[str]] = {klass: []} if klass is not None else {}
    for sid in students:
        classes.setdefault(klass or class_key(district.profiles[sid]), []).append(sid)
    classes = {k: ids for k, ids in classes.items() if k[1]}  # students in no class
    return _FileOverrides(
        file, klass, date, students, {c: tuple(sorted(ids)) for c, ids in classes.items()},
        tuple(skipped) if klass is not None else (),
    )  # fmt: skip


def _check_tag(source: _Source, doc: _JsonObject, key: str, value: str | int) -> None:
    """The export's `format` or `version` (`key`), where the file gives it, is `value` (JSON's
    true is no version, though Python's True == 1). A file written by hand may leave both out:
    its keys, every one checked, already tell an overrides file from another JSON file (a
    catalog given by mistake has none of them), so it is read as version 1, the only one; a
    later version will still read a file without one as version 1."""
    if key in doc and (isinstance(doc[key], bool) or doc[key] != value):
        source.note(source.error(key, doc[key], repr(value), doc.value_at[key]))


def _parsed(file: Path) -> tuple[_Source, _JsonObject]:
    """The file's text and its top-level JSON object. A file that is not UTF-8 text, or that
    cannot be read (permission denied), is one error on one line, as every other of an
    overrides file: the night sets it aside (one unreadable file never stops it)."""
    try:
        text = read_user_text(file, "teacher overrides JSON")
    except DataValidationError as exc:  # its one problem names the file, line and bytes
        problem = str(exc.problems[0])
        raise _problems_error([(problem, problem)]) from None
    except OSError as exc:  # permission denied, a file gone since the folder was listed
        problem = f"{file}: cannot be read: {exc.strerror or exc}"
        raise _problems_error([(problem, problem)]) from None
    source = _Source(file, text)
    try:
        doc = _parse_json(text)
    except json.JSONDecodeError as exc:
        source.note(_not_json(source, exc))
        source.check()
    if not isinstance(doc, dict):
        source.note(source.error_in("", "(top level)", _json_kind(doc), "a JSON object"))
        source.check()
    return source, doc


#: what an overrides file is, said by the error for one that is not JSON
EXPORT = 'the JSON file that a class page\'s "Export overrides (JSON)" button downloads'


def _not_json(source: _Source, exc: json.JSONDecodeError) -> OverridesError:
    """The error for a file that is not JSON, where it goes wrong and what the mistake is: a
    table (a CSV saved by a spreadsheet, given for the export), a comma after the last item
    (JSON allows none: a file edited by hand), else the parser's own words."""
    table = _table_delimiter(source.text)
    if table:
        what = f"it reads as a table (CSV, its first line {table} fields)"
        return OverridesError(
            f"{source.path}, line {exc.lineno}, column {exc.colno}: not JSON: {what}; expected "
            f"{EXPORT} (a table of overrides is not read)"
        )
    comma = _trailing_comma(source.text, exc.pos)
    if comma is not None:
        of = "an object" if source.text[comma + 1 :].lstrip()[:1] == "}" else "a list"
        return OverridesError(
            f"{source.path}{source.place(comma)}: not JSON: a comma after the last item of {of},"
            f" which JSON does not allow; expected {EXPORT} (remove the comma)"
        )
    return OverridesError(
        f"{source.path}, line {exc.lineno}, column {exc.colno}: not JSON ({exc.msg}); expected "
        f"{EXPORT}"
    )


def _trailing_comma(text: str, pos: int) -> int | None:
    """Where the comma is, when the JSON error at `pos` is a comma after an object's or a
    list's last item (`{"a": 1,}`): the parser says "Expecting property name" at the brace
    (or, from Python 3.13, "Illegal trailing comma" at the comma). None otherwise."""
    before = text[:pos].rstrip()
    comma = pos if text[pos : pos + 1] == "," else len(before) - 1
    if text[comma : comma + 1] != ",":
        return None
    item_before = text[:comma].rstrip()[-1:] not in ("", "{", "[", ",")
    closes = text[comma + 1 :].lstrip()[:1] in ("}", "]")
    return comma if item_before and closes else None


def _json_kind(value: object) -> str:
    """What a JSON value is, in JSON's words ("a list", "text"), for an error saying what a
    field holds where an object goes."""
    kinds = [(bool, "true or false"), (str, "text"), (int | float, "a number"), (list, "a list"),
             (dict, "an object")]  # fmt: skip
    return next((kind for of, kind in kinds if isinstance(value, of)), "null")


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


def _check_once(source: _Source, obj: _JsonObject, prefix: str, hidden: str | None = None) -> None:
    """No field of `obj` given twice (JSON would keep the last value). The error points at the
    field's own lines; `hidden`: `prefix` with its student id hidden (`_Source.note`)."""
    for name, times in obj.repeated.items():
        lines = [source.line(at) for at in obj.key_at[name]]
        expected = "the field once (JSON keeps only the last value: the others would be lost)"
        source.note(
            source.error_at(lines, f"{prefix}{name}", f"{times} values", expected),
            source.error_at(lines, f"{prefix if hidden is None else hidden}{name}",
                            f"{times} values", expected),
        )  # fmt: skip


def _check_keys(
    source: _Source,
    obj: _JsonObject,
    prefix: str,
    keys: Sequence[str],
    what: str,
    hidden: str | None = None,
) -> None:
    """A key of `obj` that is none of `keys` is an error at that key, naming the one it most
    likely means ("student" for "students", "exluded" for "excluded"): what it holds would
    otherwise be read as nothing, the teacher's choices lost without a word."""
    for unknown in (key for key in obj if key not in keys):
        close = closest_name(unknown, keys)
        mean = f" (did you mean {close!r}?)" if close else ""
        expected = f"one of {what} {', '.join(keys)}{mean}"
        at = obj.key_at[unknown][0]
        source.note(
            source.error(f"{prefix}{unknown}", unknown, expected, at),
            source.error(f"{prefix if hidden is None else hidden}{unknown}", unknown, expected, at),
        )


def _class_id(source: _Source, doc: _JsonObject, district: _District) -> str | None:
    """The file's class (trimmed), or None where it gives none. A class the profiles lack is
    an error on this field (each student would otherwise be blamed for being in another class):
    where the file's students are now in other classes (`ClassGone`: a class split or renamed
    since the export), saying so; else naming the class it most likely means (one that differs
    only in case first)."""
    value, at = doc.get("class_id"), doc.value_at.get("class_id")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        source.note(source.error("class_id", value, "a class id (text)", at))
        return None
    klass = value.strip()
    classes = district.classes
    gone = ClassGone.of(doc, district)
    if gone is not None:
        error = OverridesError(f"{source.path}{source.place(at)}, field class_id: {gone.said}")
        error.at = source.position(at)
        source.note(error)
    elif classes and klass not in classes:
        close = closest_name(klass, classes)
        hint = f" (did you mean {close!r}?)" if close else ""
        source.note(source.error("class_id", klass, f"a class of the profiles{hint}", at))
    return klass


@dataclass(frozen=True)
class ClassGone:
    """A file's class that is no longer in the profiles while its students are, in other
    classes (a class split, or renamed, since the export): its `class_id` as written, how
    many of the file's students are in a class of the profiles (of `total`), and those
    classes as said (`class_words`). Not applied, as a student who moved class is skipped: the
    teacher exports the new classes' pages again (their forms hold the file's choices)."""

    klass: str
    found: int
    total: int
    #: the students' classes now (`ClassKey`), and as said (`class_words`)
    keys: tuple[ClassKey, ...]
    now: tuple[str, ...]

    @classmethod
    def of(cls, doc: Mapping, district: _District) -> ClassGone | None:
        """The file `doc`'s class gone (as `json` reads it, trimmed ids), or None: its
        `class_id` is a class of the profiles, is none, none of its students is in one, or
        they are all in the one class it most likely means (a typo, or the class renamed
        alike: "did you mean" names it, and the file applies once its class is written so)."""
        klass = doc.get("class_id")
        students = doc.get("students")
        if not isinstance(klass, str) or not isinstance(students, dict) or not district.classes:
            return None
        klass = klass.strip()
        if not klass or klass in district.classes:
            return None
        profiles = [district.profiles.get(str(sid).strip()) for sid in students]
        keys = [class_key(p) for p in profiles if p is not None and p.class_id]
        now = tuple(sorted(set(keys)))
        if not now or (len(now) == 1 and closest_name(klass, district.classes) == now[0][1]):
            return None
        said = tuple(class_words(k, district.shared) for k in now)
        return cls(klass, len(keys), len(students), now, said)

    @property
    def classes_said(self) -> str:
        """The students' classes now: "'c1'", "'c1' and 'c2'", "'c1', 'c2' and 'c3'"."""
        shown = [*self.now[:5], f"{len(self.now) - 5} more"] if len(self.now) > 6 else self.now
        return " and ".join(filter(None, (", ".join(shown[:-1]), shown[-1])))

    @property
    def moved(self) -> str:
        """Where the students are: "its 2 students are now in 'c1' and 'c2' (a class split or
        renamed?)", "2 of its 3 students are now in 'c1' (a class renamed?)"."""
        n = counted(self.found, "student")
        students = (
            f"{self.found} of its {self.total} students" if self.found < self.total else f"its {n}"
        )
        split = "a class split or renamed?" if len(self.now) > 1 else "a class renamed?"
        return f"{students} {verb(self.found, 'is')} now in {self.classes_said} ({split})"

    @property
    def why(self) -> str:
        """What a class page says of the file, after its name (`SetAsideFile.why`)."""
        return f"is still of class {self.klass!r}, no longer in the profiles: {self.moved}"

    @property
    def said(self) -> str:
        """The problem, as the night and `adaptive validate` say it."""
        pages = "classes' pages" if len(self.now) > 1 else "class's page"
        return (
            f"class {self.klass!r} is no longer in the profiles: {self.moved}: export the "
            f"overrides again from the new {pages}"
        )


def _class_key(
    source: _Source, doc: _JsonObject, klass: str | None, district: _District
) -> ClassKey | None:
    """The file's class: its `school_id` (trimmed) and `klass` (its `class_id`), or None where
    it gives no class. A school that has no class of that id is an error on `school_id`,
    naming the schools that have one. A file without `school_id` (an export of an earlier
    version) is its class id's one school's; where several schools have a class of that id,
    which class it is cannot be told, and it is refused: applied to either, the other
    school's students would lose their teacher's choices."""
    value, at = doc.get("school_id"), doc.value_at.get("school_id")
    if value is not None and (not isinstance(value, str) or not value.strip()):
        source.note(source.error("school_id", value, "a school id (text)", at))
        return None
    if klass is None:
        if value is not None:
            expected = "a school id given with the class_id of the class it is the school of"
            source.note(source.error("school_id", value, expected, at))
        return None
    schools = sorted(district.schools_of.get(klass, ()))
    named = ", ".join(repr(s) for s in schools[:5]) + (" ..." if len(schools) > 5 else "")
    if value is not None:
        school = value.strip()
        if schools and school not in schools:
            expected = f"a school with a class {klass!r} in the profiles ({named})"
            source.note(source.error("school_id", school, expected, at))
        return school, klass
    if len(schools) > 1:
        error = OverridesError(
            f"{source.path}{source.place(doc.value_at['class_id'])}, field class_id: "
            f"{klass!r} is a class id of {len(schools)} schools ({named}) and the file gives "
            "no school_id (an export of an earlier version), so which school's class it is "
            "cannot be told: not applied. Export it again from the class page of this version "
            f'(it writes the school), or add "school_id": "..." (one of {named}) beside its '
            "class_id"
        )
        error.at = source.position(doc.value_at["class_id"])
        source.note(error)
        return None
    return (schools[0] if schools else ""), klass


#: what a file's `date` must be, said by each error about it
DATE_EXPECTED = (
    "a day in ISO 8601, year-month-day (a date such as 02/03/2027 reads as a different day in "
    "different countries)"
)


def _date(source: _Source, doc: _JsonObject) -> str:
    """The file's date as YYYY-MM-DD (ISO 8601, as every date of the library). A file without
    one is an error: it would apply to any night, even one before the teacher chose (the class
    page always writes its report's date)."""
    if "date" not in doc:
        source.note(
            source.missing(
                doc,
                "date",
                f"a day in ISO 8601 such as {EXAMPLE}: the day of the report the class page "
                "exported it from (overrides apply from their date on)",
            )
        )
        return ""
    value = doc["date"]
    stamp = iso_timestamp(value) if isinstance(value, str) else None
    if stamp is None:
        expected = f"{DATE_EXPECTED}{day_meant(value)}"
        source.note(source.error("date", value, expected, doc.value_at["date"]))
        return ""
    return stamp.strftime("%Y-%m-%d")


def _students(
    source: _Source, doc: _JsonObject, klass: ClassKey | None, district: _District
) -> tuple[dict[str, StudentOverride], list[tuple[str, str]]]:
    """Each student's checked overrides (`doc`'s `students`), by trimmed id, and the students
    skipped (`_FileOverrides.skipped`); a student given twice (even once with a space) is an
    error pointing at both entries, and so is an id in no profile that is a likely typo of a
    classmate's (`typo_of`)."""
    if "students" not in doc:
        source.note(source.missing(doc, "students", "an object of student id -> overrides"))
        return {}, []
    given = doc["students"]
    if not isinstance(given, _JsonObject):
        at = doc.value_at["students"]
        source.note(source.error_in(
            source.place(at), "students", _json_kind(given),
            "an object of student id -> overrides", source.position(at),
        ))  # fmt: skip
        return {}, []
    keys: dict[str, list[str]] = {}  # trimmed id -> the keys written for it
    for key in given:
        keys.setdefault(key.strip(), []).append(key)
    out = {}
    left: list[_Student] = []  # in no profile: left the district since the export, or a typo
    moved: dict[str, list[int]] = {}  # another class per the profiles -> the lines
    skipped: list[tuple[str, str]] = []  # the moved students: (id, their class as said)
    for sid, written in keys.items():
        times = sum(given.repeated.get(k, 1) for k in written)
        if times > 1:
            lines = [source.line(at) for k in written for at in given.key_at[k]]
            got = f"{times} entries for this student"
            expected = "one entry per student (JSON keeps only the last: the others would be lost)"
            source.note(
                source.error_at(lines, f"students.{sid}", got, expected),
                source.error_at(lines, HIDDEN_WHERE, got, expected),
            )
            continue
        key = written[0]
        student = _Student(source, sid, key, given.key_at[key][0], given.value_at[key])
        profile = district.profiles.get(sid)
        if not student.check_id():
            continue
        override = student.override(given[key], district)  # checked all the same
        if override is None:
            continue
        if profile is None:
            left.append(student)
        elif klass is not None and class_key(profile) != klass:
            other = class_key(profile)
            said = class_words(other, district.shared) if other[1] else ""
            moved.setdefault(said, []).append(source.line(student.key_at))
            skipped.append((sid, said or IN_NO_CLASS))
        else:
            out[sid] = override
    if left:  # the file's class, or its other students' classes
        classes = [klass[1]] if klass is not None else {district.profiles[s].class_id for s in out}
        classes = sorted(c for c in classes if c)
        left = _check_typos(left, district.students_of(classes), classes)
    if not source.problems:  # a file with problems is not applied at all (its own warning)
        said = None if klass is None else class_words(klass, district.shared)
        _warn_gone(source, said, [source.line(s.key_at) for s in left], moved)
    return out, sorted([*skipped, *((s.sid, "") for s in left)])


def _check_typos(
    left: Sequence[_Student], classmates: Collection[str], classes: Sequence[str]
) -> list[_Student]:
    """An id in no profile that is a likely typo of a classmate's (`typo_of`: `classmates`,
    the students of the file's `classes`) is an error naming the id as typed and the one it
    most likely means, as a typo'd activity id is: a teacher's choices for that student would
    be lost without a word. Returns the others (who left the district)."""
    gone = []
    for student in left:
        meant = typo_of(student.sid, classmates)
        if not meant:
            gone.append(student)
            continue
        of = f"class{'' if len(classes) == 1 else 'es'} {', '.join(map(repr, classes))}"
        ids = " or ".join(repr(m) for m in meant)
        expected = "a student id of the profiles: no student has this one (did you mean {} of {})"
        student.note(
            "",
            student.key,
            expected.format(ids, f"{of}?"),
            hidden=(repr(HIDDEN_ID), expected.format(repr(HIDDEN_ID), f"{of}?")),
        )
    return gone


#: Above this many ids, a likely typo is looked for as read on paper only, not by closest
#: spelling: difflib over a district's ids costs a tenth of a second per id looked up
SPELLING_IDS = 5_000


class LikelyIds:
    """Which of `ids` an id in none of them (`of`) most likely means, indexed once so that
    many look-ups (a roster's lines) do not each read every id again: the same as read on
    paper (case, look-alike letters, zeros dropped or added in its numbers: "stu000027" is
    "stu0000027"), else the closest spelling (`closest_name`, up to `SPELLING_IDS` ids) where
    the id is not of the form the ids have (a character dropped or added). An id of their form
    close to one of them ("stu0000028" beside "stu0000027") is no sign of a typo: sequential
    ids are all close, and it may be a student who left the district. An overrides file's
    class (`_check_typos`) and the report's roster check (`reports.site.data.RosterMatch`)
    use it."""

    def __init__(self, ids: Collection[str]) -> None:
        self.ids = sorted(ids)
        self._as_read: dict[str, list[str]] = {}
        for sid in self.ids:
            self._as_read.setdefault(look_alike(sid), []).append(sid)
        self._forms = {_form(sid) for sid in self.ids}

    def of(self, sid: str) -> list[str]:
        """The ids `sid` likely means (at most 3, sorted); [] when none is likely."""
        same = self._as_read.get(look_alike(sid))
        if same:
            return same[:3]
        if _form(sid) in self._forms or len(self.ids) > SPELLING_IDS:
            return []
        near = closest_name(sid, self.ids)
        return [near] if near else []


def typo_of(sid: str, classmates: Collection[str]) -> list[str]:
    """The classmates' ids that `sid` (in no profile) most likely means (`LikelyIds`)."""
    return LikelyIds(classmates).of(sid)


def _form(sid: str) -> str:
    """An id's form: each digit as 9 and each letter as a ("stu0000027": "aaa9999999")."""
    return re.sub(r"[^\W\d_]", "a", re.sub(r"\d", "9", sid))


def _warn_gone(
    source: _Source, klass: str | None, left: Sequence[int], moved: Mapping[str, Sequence[int]]
) -> None:
    """Students of a file in no profile (who left the district since the export), or in
    another class per the profiles (moved since the export, or added to the file by hand), are
    skipped with a `NightWarning` (counts, lines and classes, no student id): one teacher's
    file must not stop every school's night, and nobody else's student is overridden. `klass`
    and the keys of `moved`: classes as said (`class_words`)."""
    n_moved = sum(len(lines) for lines in moved.values())
    if not left and not n_moved:
        return
    parts = [f"{counted(len(left), 'student')} in no profile (left the district?)"] if left else []
    if n_moved:
        named = [c for c in sorted(moved) if c]
        shown = ", ".join(named[:3]) + (" ..." if len(named) > 3 else "")
        where = (
            f"in class {shown}" if len(moved) == 1 and named
            else f"in other classes ({shown})" if named else "in no class"
        )  # fmt: skip
        parts.append(f"{counted(n_moved, 'student')} {where} per the profiles, not {klass}")
    lines = _lines([*left, *(line for lines in moved.values() for line in lines)])
    warnings.warn(
        f"{source.path}{lines}: {' and '.join(parts)}: their overrides are not applied (the "
        "class page leaves them out of its next export)",
        NightWarning,
        stacklevel=5,
    )


@dataclass(frozen=True)
class _Student:
    """One student's entry of a file: `sid` trimmed, `key` as written, and where in the text
    the key and its entry start (where errors point, unless at a value of the entry)."""

    source: _Source
    sid: str
    key: str
    key_at: int
    entry_at: int

    @property
    def where(self) -> str:
        return f"students.{self.sid}"

    def note(
        self,
        field_: str,
        value: object,
        expected: str,
        at: int | None = None,
        hidden: tuple[str, str] | None = None,
    ) -> None:
        """A problem on `field_` of this student's entry, at `at` (the wrong value's place in
        the text; by default the student's id), noted in the file's problems (`_Source.note`:
        for the night's warning, the entry is `HIDDEN_WHERE`, and `hidden` the value got (as
        written) and what was expected where they name a student id)."""
        at = self.key_at if at is None else at
        error = self.source.error(f"{self.where}{field_}", value, expected, at)
        got, expected = (_shown(value), expected) if hidden is None else hidden
        place = self.source.place(at)
        anonymous = self.source.error_in(place, f"{HIDDEN_WHERE}{field_}", got, expected)
        self.source.note(error, anonymous)

    def check_id(self) -> bool:
        """Whether the id is not empty (an empty one is a problem; a student in no profile,
        or in another class, is skipped with a warning, `_warn_gone`, unless a likely typo:
        `_check_typos`)."""
        if not self.sid:
            self.note("", self.key, "a student id (text, not empty)")
        return bool(self.sid)

    def override(self, entry: object, district: _District) -> StudentOverride | None:
        """The entry's assigned and excluded activities (ids trimmed), mode and skills set aside,
        checked against the catalog (`district`): every problem noted (`note`); None where the
        entry is no object."""
        activities = district.activities
        if not isinstance(entry, _JsonObject):
            expected = f"an object with keys {', '.join(STUDENT_KEYS)}"
            self.note("", entry, expected, self.entry_at)
            return None
        prefix, hidden = f"{self.where}.", f"{HIDDEN_WHERE}."
        _check_keys(self.source, entry, prefix, STUDENT_KEYS, "a student's keys", hidden)
        _check_once(self.source, entry, prefix, hidden)
        assigned = self.activities(entry, "assigned", activities)
        excluded = self.activities(entry, "excluded", activities)
        problems = len(self.source.problems)  # before this entry's own checks below
        for key, i, activity, expected in overrides_clashes(assigned, excluded):
            self.note(
                f".{key}[{i}]",
                activity,
                expected.format(f"{self.where}."),
                entry[key].item_at[i],
                hidden=(repr(activity), expected.format(f"{HIDDEN_WHERE}.")),
            )
        skills = self.skills_set_aside(entry, district.skills)
        skills_of = district.activity_skills
        for i, activity, expected in set_aside_clashes(
            assigned, skills, lambda a: skills_of.get(a, ())
        ):
            self.note(
                f".assigned[{i}]", activity, expected.format(f"{self.where}."),
                entry["assigned"].item_at[i],
                hidden=(repr(activity), expected.format(f"{HIDDEN_WHERE}.")),
            )  # fmt: skip
        mode = entry.get("mode")
        if mode is not None and mode not in MODES:
            close = closest_name(mode, MODES) if isinstance(mode, str) else None
            hint = f" (did you mean {close!r}?)" if close else ""
            expected = f"null or one of {', '.join(MODES)}{hint}"
            self.note(".mode", mode, expected, entry.value_at["mode"])
        if len(self.source.problems) > problems:
            return None
        # an exclusion repeated excludes the same: kept once
        return StudentOverride(
            tuple(a for a in assigned if a is not None),
            tuple(sorted({a for a in excluded if a is not None})),
            mode,
            skills,
        )

    def skills_set_aside(self, entry: _JsonObject, skills: frozenset[str]) -> tuple[str, ...]:
        """The entry's `excluded_skills` (trimmed, each once, sorted): skill ids of the catalog,
        every activity on them excluded; an unknown one is a problem with the closest id, as an
        unknown activity is."""
        values = entry.get("excluded_skills", _JsonArray())
        if not isinstance(values, _JsonArray):
            at = entry.value_at["excluded_skills"]
            self.note(".excluded_skills", values, "a list of skill ids", at)
            return ()
        ids = set()
        for i, skill in enumerate(values):
            if not isinstance(skill, str) or skill.strip() not in skills:
                text = skill.strip() if isinstance(skill, str) else None  # 12 is no skill id
                expected = skill_expected([text], skills if text is not None else ())
                self.note(f".excluded_skills[{i}]", skill, expected, values.item_at[i])
                continue
            ids.add(skill.strip())
        return tuple(sorted(ids))

    def activities(self, entry: _JsonObject, key: str, activities: set[str]) -> list[str | None]:
        """The entry's list `key` of the catalog's activity ids (trimmed, as written otherwise;
        none where it is not given), each in its place: None where an entry is no id of the
        catalog, a problem noted (`note`). What two lists of one student may not hold together
        (an activity assigned twice, or also excluded) is `overrides_clashes`'s rule."""
        values = entry.get(key, _JsonArray())
        if not isinstance(values, _JsonArray):
            self.note(f".{key}", values, "a list of activity ids", entry.value_at[key])
            return []
        ids: list[str | None] = []
        for i, activity in enumerate(values):
            if not isinstance(activity, str) or activity.strip() not in activities:
                expected = activity_expected(activity, activities)
                self.note(f".{key}[{i}]", activity, expected, values.item_at[i])
                ids.append(None)
                continue
            ids.append(activity.strip())
        return ids


def _in_force(file: _FileOverrides, night: str, warn_later: bool = True) -> bool:
    """Whether `file` applies to `night` (both YYYY-MM-DD): from its date on. A file dated
    after the night (a re-run of an earlier night, a mistyped --date) is left out, and one
    `STALE_DAYS` older is applied: each with a `NightWarning` (the first unless `warn_later` is
    False: the nightly job says it with what it drops)."""
    if file.date > night:
        if warn_later:
            warnings.warn(_later(file).warning(night), NightWarning, stacklevel=3)
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


def _later(file: _FileOverrides, warned: bool = False) -> LaterFile:
    return LaterFile(str(file.path), file.date, tuple(sorted(file.classes)), warned)


def _merged(
    files: Sequence[_FileOverrides],
    later: Sequence[LaterFile] = (),
    shared: Collection[str] = (),
    night: str | None = None,
) -> OverrideSet:
    """Every file's students as one set: each class from one file (`_one_file_per_class`),
    each student in one file; `later`: the files dated after the night (`night`), left out;
    `shared`: the class ids several schools use (a warning names their school). The files
    not applied are recorded for their class pages (`OverrideSet.not_applied`)."""
    once = _read_once(files)
    files, held_back = _one_file_per_class(once, shared)
    held = [f for f in once if f.klass in held_back]
    students, sources = _one_entry_per_student(files)
    of_class: dict[ClassKey, set[str]] = {}
    dated: dict[ClassKey, str] = {}
    for file in files:  # a class's students from its export and a file without class_id alike
        for klass, ids in file.classes.items():
            of_class.setdefault(klass, set()).update(ids)
            dated[klass] = max(dated.get(klass, file.date), file.date)
    return OverrideSet(
        dict(sorted(students.items())),
        sources,
        tuple(str(file.path) for file in files),
        {klass: tuple(sorted(ids)) for klass, ids in sorted(of_class.items())},
        dict(sorted(dated.items())),
        tuple(later),
        held_back,
        not_applied=tuple(_not_applied(held, later, shared, night)),
        skipped={f.klass: f.skipped for f in files if f.klass is not None and f.skipped},
    )


def _not_applied(
    held: Sequence[_FileOverrides],
    later: Sequence[LaterFile],
    shared: Collection[str],
    night: str | None,
) -> list[SetAsideFile]:
    """The files of held-back classes (`held`) and those dated after the night (`later`) as
    the record's entries beside the files set aside, each with what the night said of it
    (file names and dates, no student id)."""
    out = []
    for file in held:
        same = [f for f in held if f.klass == file.klass and f is not file]
        others = ", ".join(Path(f.path).name for f in same)
        problem = (
            f"class {class_words(file.klass, shared)}: dated {file.date}, as {others}, with other "
            "choices: which one the teacher meant cannot be told, so none is applied"
        )
        out.append(SetAsideFile(str(file.path), (file.klass,), (problem,), WHY_SAME_DATE))
    after = f", after the night of {night}" if night else ", after the night"
    for file in later:
        problem = f"dated {file.date}{after}: not applied (overrides apply from their date on)"
        out.append(SetAsideFile(file.path, file.classes, (problem,), WHY_LATER))
    return out


def _one_entry_per_student(
    files: Sequence[_FileOverrides],
) -> tuple[dict[str, StudentOverride], dict[str, str]]:
    """Each student's overrides and the file they come from, where the files name a student
    more than once (a class's export and a hand-written file without `class_id`), by the rule
    of a class's two files (`_one_file_per_class`): the same choices are read once; of
    different ones, the newest file by its `date` applies (`_newest`), none where that date is
    shared (the student is served without overrides). Said in one `NightWarning` per set of
    files and outcome, with a count (no student id: the night's log); a student in two files
    stopped every school's night."""
    held_in: dict[str, list[_FileOverrides]] = {}
    for file in files:
        for sid in file.students:
            held_in.setdefault(sid, []).append(file)
    students: dict[str, StudentOverride] = {}
    sources: dict[str, str] = {}
    outcomes: Counter[tuple[str, str]] = Counter()  # (the files, what the night did) -> students
    for sid, theirs in held_in.items():
        same = len({file.students[sid] for file in theirs}) == 1
        chosen = theirs[0] if same else _newest(theirs)
        if len(theirs) > 1:
            names = " and ".join(sorted({str(file.path) for file in theirs}))
            outcomes[(names, _entry_outcome(same, chosen))] += 1
        if chosen is not None:
            students[sid], sources[sid] = chosen.students[sid], str(chosen.path)
    for (names, outcome), n in outcomes.items():
        warnings.warn(
            f"{counted(n, 'student')} {verb(n, 'is')} in {names} with {outcome}; keep each "
            "student in one file",
            NightWarning,
            stacklevel=5,
        )
    return students, sources


def _entry_outcome(same: bool, chosen: _FileOverrides | None) -> str:
    """What the night did with a student named in several files, in words."""
    if same:
        return "the same choices, read once"
    if chosen is not None:
        return f"different choices: the newest by its date applies, {chosen.path}"
    return (
        "different choices and the same date: which the teacher meant cannot be told, so none "
        "applies (served without overrides tonight)"
    )


class _Dated(Protocol):
    """A file with its `date` (YYYY-MM-DD; "" where it has none that reads as one)."""

    @property
    def date(self) -> str: ...


_D = TypeVar("_D", bound=_Dated)


def _newest(files: Sequence[_D]) -> _D | None:
    """The newest of `files` by its `date` (the report it was exported from); None where the
    newest date is shared: which one the teacher meant cannot be told. The one rule for a
    class's several files: those the night applies (`_one_file_per_class`) and those set aside
    that fill its class page's form (`set_aside_form`)."""
    newest = max(file.date for file in files)
    latest = [file for file in files if file.date == newest]
    return latest[0] if len(latest) == 1 else None


def _read_once(files: Sequence[_FileOverrides]) -> list[_FileOverrides]:
    """The files, each content once: a file with the same overrides as one before it (the same
    export downloaded twice, which a browser names "overrides-c1 (1).json") is left out with a
    `NightWarning` naming both; it adds nothing, and refusing it stopped every school's night."""
    first: dict[tuple, _FileOverrides] = {}
    for file in files:
        same = first.setdefault(file.content, file)
        if same is not file:
            warnings.warn(
                f"{file.path}: the same overrides as {same.path} (the same export downloaded "
                "twice?): read once; remove one of the two files",
                NightWarning,
                stacklevel=5,
            )
    return list(first.values())


def _one_file_per_class(
    files: Sequence[_FileOverrides], shared: Collection[str] = ()
) -> tuple[list[_FileOverrides], tuple[ClassKey, ...]]:
    """The files the night applies, and the classes held back. A class is its school and class
    id (`ClassKey`): two schools' files of one class id are two classes' (`shared`: the class
    ids several schools use, named with their school). Of two different files of one
    class (both applied, a student the newer export cleared would still be served the older
    choices), the newest by its `date` (the report it was exported from) is applied; where
    the newest date is shared, which one the teacher meant cannot be told, and none of the
    class's files is applied: the class is held back. Each with a `NightWarning` naming the
    files and what the night did: one class's files never stop every school's night, and
    none is picked without a word."""
    of_class: dict[ClassKey, list[_FileOverrides]] = {}
    for file in files:
        if file.klass is not None:
            of_class.setdefault(file.klass, []).append(file)
    left_out: set[Path] = set()
    held_back: list[ClassKey] = []
    for klass, theirs in of_class.items():
        if len(theirs) < 2:
            continue
        chosen = _newest(theirs)
        kept = [] if chosen is None else [chosen]
        named = " and ".join(f"{file.path} (dated {file.date})" for file in theirs)
        if chosen is not None:
            did = (
                f"the night applies the newest by its date, {chosen.path}, and not the other"
                f"{'' if len(theirs) == 2 else 's'}"
            )
        else:
            held_back.append(klass)
            did = (
                "which one the teacher meant cannot be told from their dates, so none is "
                "applied: the class is served without overrides tonight"
            )
        warnings.warn(
            f"class {class_words(klass, shared)} has {len(theirs)} different overrides files, "
            f"{named}: {did}; "
            "keep the class's last export in the folder and remove the other",
            NightWarning,
            stacklevel=5,
        )
        left_out.update(file.path for file in theirs if file not in kept)
    return [file for file in files if file.path not in left_out], tuple(sorted(held_back))


#: a teacher's assignment this many grades or more from the student's grade (outside their
#: mode's band) is served with a warning: "g7" typed for "g3" is an easy slip
FAR_GRADES = 2


def far_from_grade(offset: float, mode: str | None) -> bool:
    """An assignment `offset` grades from its student's grade (the activity's grade minus the
    student's) is far: more than one grade off, beyond the mode's band (`MODE_BANDS`). The one
    rule of the night's warning (`warn_far_assignments`) and the report's flag; a NaN offset
    (no grade) is not far."""
    low, high = MODE_BANDS[mode] if mode else (0, 0)
    low, high = min(low, 1 - FAR_GRADES), max(high, FAR_GRADES - 1)  # within: not far
    return bool(offset < low or offset > high)


def warn_far_assignments(
    overrides: OverrideSet, catalog: Catalog, profiles: Mapping[str, LearnerProfile]
) -> int:
    """Warn (`NightWarning`, counts and file names, no student id) of the assignments more
    than one grade from their student's grade, beyond their mode's band (`MODE_BANDS`): served
    first all the same (the teacher's choice), but a "g7" typed for "g3" would take the
    student's minutes without a word. Returns how many; a student or activity without a grade
    is not counted. Both engines read overrides through `read_overrides`, which calls this."""
    grades = dict(zip(catalog.activity_index, catalog.activity_grades, strict=True))
    far: Counter[str] = Counter()  # file -> assignments far from their student's grade
    for sid, override in overrides.students.items():
        profile = profiles.get(sid)
        if profile is None or profile.grade is None:
            continue
        for activity in override.assigned:
            if far_from_grade(grades.get(activity, np.nan) - profile.grade, override.mode):
                far[overrides.sources.get(sid, "?")] += 1
    n = sum(far.values())
    if n:
        files = sorted(far)
        shown = ", ".join(files[:5]) + (" ..." if len(files) > 5 else "")
        one = n == 1
        warnings.warn(
            f"{counted(n, 'teacher assignment')} {'is' if one else 'are'} more than one grade "
            f"from {'its' if one else 'their'} student's grade, beyond the mode's band "
            f"({counted(len(files), 'file')}: {shown}): served first as the teacher asked; "
            f"check {'it' if one else 'them'} (a 'g7' typed for 'g3'?)",
            NightWarning,
            stacklevel=3,
        )
    return n


def _lines(lines: Sequence[int]) -> str:
    """Where an error is, after the file's name: `, line 3`, `, lines 3 and 8` (`line_words`),
    or nothing."""
    words = line_words(lines)
    return f", {words}" if words else ""


def overrides_path(out: str | Path, date: str) -> Path:
    """Where the job records the overrides it applied on `date` (beside its Parquet output)."""
    return Path(out) / "overrides" / f"date={date}" / "overrides.json"


def record_overrides(out: str | Path, date: str, overrides: OverrideSet | None) -> Path:
    """Write the overrides applied on `date` (ids only, no names) for that date's report, or
    remove an earlier record when none are given (a re-run without them)."""
    path = overrides_path(out, date)
    if overrides is not None and (overrides or overrides.set_aside or overrides.not_applied):
        atomic_write_bytes(path, overrides.to_json())
    else:
        path.unlink(missing_ok=True)
    return path


def applied_classes(out: str | Path, date: str) -> dict[tuple[str | None, str], list[str]]:
    """The classes (school, class id) whose files the job applied on `date` -> their students
    (empty when none, or for a record written before classes were recorded; a record written
    before classes were told apart by school: `UNKNOWN_SCHOOL`, see `recorded_for`)."""
    classes = _from_record(_recorded(out, date, "classes"))
    return {c: [str(s) for s in ids] for c, ids in classes.items()}  # type: ignore[union-attr]


def applied_dates(out: str | Path, date: str) -> dict[tuple[str | None, str], str]:
    """The classes (school, class id) whose files the job applied on `date` -> the newest
    `date` of those files (`OverrideSet.class_dates`; empty when none, or for a record written
    before the dates were recorded): what a class's set-aside file is compared with
    (`set_aside_form`), looked up with `recorded_for`."""
    return {c: str(d) for c, d in _from_record(_recorded(out, date, "class_dates")).items()}


#: how a skipped student's class is recorded where their profile names none (`_FileOverrides`)
IN_NO_CLASS = "no class"


def skipped_students(
    out: str | Path, date: str
) -> dict[tuple[str | None, str], list[tuple[str, str]]]:
    """The students the job skipped on `date` in each class's applied file (`OverrideSet.
    skipped`): class -> (student id, their class now as said, "" where they are in no profile:
    left the district; `IN_NO_CLASS`: in no class); empty for a record without them."""
    skipped = _from_record(_recorded(out, date, "skipped"))
    return {c: [(str(a), str(b)) for a, b in v] for c, v in skipped.items()}  # type: ignore[union-attr]


def _recorded(out: str | Path, date: str, key: str) -> dict:
    """One mapping of the overrides record of `date` (empty without a record or the key)."""
    path = overrides_path(out, date)
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise OverridesError(
            f"{path}: not the overrides record the batch job writes ({exc})"
        ) from exc
    found = doc.get(key, {}) if isinstance(doc, dict) else {}
    return found if isinstance(found, dict) else {}


def set_aside_files(out: str | Path, date: str) -> list[SetAsideFile]:
    """The files with problems the job set aside on `date` (`OverrideSet.set_aside`): for the
    report to say which classes' overrides were not applied (empty when none)."""
    path = overrides_path(out, date)
    if not path.is_file():
        return []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return [
            SetAsideFile(
                d["file"],
                tuple(map(_recorded_class, d["classes"])),
                tuple(d["problems"]),
                str(d.get("why", "")),
            )  # fmt: skip
            for d in doc.get("set_aside", [])
        ]
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise OverridesError(
            f"{path}: not the overrides record the batch job writes ({exc})"
        ) from exc


def _recorded_class(recorded: object) -> tuple[str | None, str]:
    """A set-aside file's class as the record holds it: [school, class id], or a class id (a
    record written before classes were told apart by school: `UNKNOWN_SCHOOL`)."""
    if isinstance(recorded, list):
        school, klass = recorded
        return str(school), str(klass)
    return UNKNOWN_SCHOOL, str(recorded)


def applied_overrides(out: str | Path, date: str) -> dict[str, StudentOverride]:
    """The overrides the job recorded for `date` (empty when none were given)."""
    path = overrides_path(out, date)
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {
            sid: StudentOverride(
                tuple(d["assigned"]),
                tuple(d["excluded"]),
                d["mode"],
                tuple(d.get("excluded_skills", ())),
            )  # fmt: skip
            for sid, d in doc["students"].items()
        }
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise OverridesError(
            f"{path}: not the overrides record the batch job writes ({exc})"
        ) from exc


@dataclass(frozen=True)
class SetAsideChoices:
    """One student's choices in a file the night set aside, as their class page pre-fills its
    form with them (`set_aside_choices`): the activity ids as written (the page's check marks
    those the catalog lacks, with the one likely meant), the mode where it is one of `MODES`
    (`bad_mode`: what was wrong with the file's mode, said beside the row's dropdown), what
    else is wrong, in a teacher's words (which choice, what is wrong: no file lines), and the
    skills set aside as written (`excluded_skills`: the page's check marks those the catalog
    lacks, and an activity assigned on one of them, as the night refuses both)."""

    assigned: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    mode: str | None = None
    wrong: tuple[str, ...] = ()
    bad_mode: str = ""
    excluded_skills: tuple[str, ...] = ()


#: a student's lists in a file, each with its column on the class page's form and what it holds
LIST_COLUMNS = (
    ("assigned", "Assign", "activities"),
    ("excluded", "Exclude", "activities"),
    ("excluded_skills", "Set aside", "skills"),
)


def set_aside_choices(
    path: str | Path, roster: Collection[str], unmatched: list[int] | None = None
) -> dict[str, SetAsideChoices]:
    """The choices a set-aside overrides file (`SetAsideFile.path`) gives the students of
    `roster` (a class's ids), read leniently for the class page's form: a student id typed
    wrong is read as the classmate it likely means (`typo_of`, said in `wrong`), a mode that is
    none of `MODES` is left out (said, with the one likely meant: `closest_name`). Empty when
    the file is gone or is no JSON object of students (the night's problems then say why).
    `unmatched`, when given, gets the number of the file's students matched to no classmate
    appended: their choices are in no row of the form, and the notice says how many."""
    students = _set_aside_doc(path).get("students")
    if not isinstance(students, dict):
        return {}
    out: dict[str, SetAsideChoices] = {}
    missed = 0
    for key, given in students.items():
        sid, wrong = str(key).strip(), []
        if sid not in roster:
            meant = typo_of(sid, roster)
            if len(meant) != 1:
                missed += 1  # no classmate's, or several alike: counted, not guessed
                continue
            wrong.append(f"the file wrote their id as {sid!r} (read as theirs here)")
            sid = meant[0]
        given = given if isinstance(given, dict) else {}
        lists = {}
        for name, column, kind in LIST_COLUMNS:
            value = given.get(name, [])
            if isinstance(value, str):
                value = re.split(r"[\s,;]+", value)
            elif not isinstance(value, list):
                wrong.append(f"{column}: got {_json_kind(value)}, expected a list of {kind}")
                value = []
            lists[name] = tuple(dict.fromkeys(str(a).strip() for a in value if str(a).strip()))
        mode, bad_mode = given.get("mode"), ""
        if mode is not None and mode not in MODES:
            close = closest_name(str(mode), MODES)
            bad_mode = f"{mode!r} is no mode" + (f" (did you mean {close}?)" if close else "")
            wrong.append(f"mode: {bad_mode}; choose one below")
            mode = None
        out[sid] = SetAsideChoices(
            lists["assigned"], lists["excluded"], mode, tuple(wrong), bad_mode,
            lists["excluded_skills"],
        )  # fmt: skip
    if unmatched is not None:
        unmatched.append(missed)
    return out


def _set_aside_doc(path: str | Path) -> dict:
    """A set-aside file's JSON object, read leniently for its class page (empty where the file
    is gone or is no JSON object: the night's problems say why)."""
    try:
        doc = json.loads(read_user_text(Path(path), "teacher overrides JSON"))
    except (OSError, ValueError, AdaptiveError):
        return {}
    return doc if isinstance(doc, dict) else {}


@dataclass(frozen=True)
class SetAsideForm:
    """What a class page's form is pre-filled with from the class's set-aside files
    (`set_aside_form`): one file's choices per student, how many of its students match no
    classmate, the file that fills the form (`chosen`: a set-aside file, or `applied` where the
    files the night applied are newer, so the form shows what the night applied; None where
    which is the teacher's last cannot be told), the set-aside files that do not
    (`left_out`), the newest of the set-aside files whether it fills the form or not
    (`last_aside`, None where it cannot be told), and what the night applied for the class
    (`applied`, None where it applied no file of the class or did not record its date), so
    that the page says what differs. `read_as`: every set-aside file read again, by path, to
    the path of the one among `chosen` and `left_out` that stands for it (itself, or an
    earlier file with the same choices: one export saved twice), or "" where it reads but
    names none of the class's students; a file not in it could not be read (gone, no JSON, no
    object of students), so which students it named cannot be told. A student page said of a
    copy, and of a file naming none of the class, that it could not be read."""

    choices: dict[str, SetAsideChoices] = field(default_factory=dict)
    unmatched: int = 0
    chosen: _SetAsideRead | None = None
    left_out: tuple[_SetAsideRead, ...] = ()
    last_aside: _SetAsideRead | None = None
    applied: _SetAsideRead | None = None
    read_as: dict[str, str] = field(default_factory=dict)
    #: the earlier night whose applied choices `applied` holds, where tonight applied none for
    #: the class and its set-aside files cannot tell the teacher's last ("" for tonight's)
    applied_night: str = ""


@dataclass(frozen=True)
class AppliedBefore:
    """The last choices an earlier night applied for a class (`last_applied`): that night,
    the newest `date` of the files it applied for the class, and the overrides it applied."""

    night: str
    date: str
    overrides: Mapping[str, StudentOverride]


def last_applied(out: str | Path, nights: Sequence[str], key: ClassKey) -> AppliedBefore | None:
    """The last of `nights` (oldest first) that applied files of the class `key`, with what it
    applied (`applied_dates`, `applied_overrides`); None where none did."""
    for night in reversed(nights):
        date = recorded_for(applied_dates(out, night), key)
        if date:
            return AppliedBefore(night, date, applied_overrides(out, night))
    return None


@dataclass(frozen=True)
class _SetAsideRead:
    """A set-aside file read again for its class page: its path, its `date` as YYYY-MM-DD (""
    where it has none that reads as one) and its choices for the class's students."""

    path: str
    date: str
    choices: dict[str, SetAsideChoices]
    unmatched: int
    #: not a set-aside file: the files the night applied for the class (`date`: their newest)
    applied: bool = False

    @property
    def content(self) -> tuple:
        """What the file says for the class: two files alike here are one export."""
        return self.date, tuple(sorted(self.choices.items()))

    def same_choices(self, other: _SetAsideRead) -> bool:
        """Whether two files give each student of the class the same activities, skills set
        aside and mode (a student a file does not name has none; a mode that is none of
        `MODES` is no mode). Assignments in order (the order they are served in); exclusions
        as sets (the night records them sorted, a file as written)."""

        def said(f: _SetAsideRead, sid: str) -> tuple:
            c = f.choices.get(sid, SetAsideChoices())
            aside = frozenset(c.excluded), frozenset(c.excluded_skills)
            return c.assigned, *aside, c.mode, bool(c.bad_mode)

        return all(said(self, s) == said(other, s) for s in {*self.choices, *other.choices})


def set_aside_form(
    files: Sequence[SetAsideFile],
    roster: Collection[str],
    applied: str = "",
    applied_overrides: Mapping[str, StudentOverride] | None = None,
    before: AppliedBefore | None = None,
) -> SetAsideForm:
    """The choices of a class's set-aside `files` that fill its page's form, for the students
    of `roster`. `applied`: the newest date of the files the night applied for the class
    (`applied_dates`; "" where none, or the night did not record it); `applied_overrides`:
    what the night applied to the class's students (`applied_overrides`), which the page
    compares the set-aside file with. The night's rule for a class's several files applies
    (`_newest`) to the set-aside files: the same choices are read once, of different ones the
    newest file by its `date` fills the form, and none where that date is shared or a file's
    date does not read as one (which file the teacher meant cannot be told). Then the same rule
    between that file and the files applied: a set-aside file older than those is the
    teacher's earlier export (fixed since), so the form shows what the night applied, not it;
    a set-aside file whose date does not read is compared with none (a lone one fills the
    form, as before the applied files' dates were recorded). Files were merged in name order,
    so an older export's choices replaced a newer one's without a word. `before`: the last
    choices an earlier night applied for the class (`last_applied`), which fill the form where
    tonight applied none for it and its set-aside files cannot tell the teacher's last (two
    files of one date): the form was left empty, and an export from it cleared every choice."""
    read: dict[tuple, _SetAsideRead] = {}
    read_as: dict[str, str] = {}
    for file in files:
        unmatched: list[int] = []
        choices = set_aside_choices(file.path, roster, unmatched)
        if choices or sum(unmatched):
            seen = _SetAsideRead(file.path, _lenient_date(file.path), choices, sum(unmatched))
            read_as[file.path] = read.setdefault(seen.content, seen).path
        elif isinstance(_set_aside_doc(file.path).get("students"), dict):
            read_as[file.path] = ""  # read, and names none of the class
    theirs = list(read.values())
    if not theirs:
        return SetAsideForm(read_as=read_as)
    chosen = theirs[0] if len(theirs) == 1 else None
    if len(theirs) > 1 and all(f.date for f in theirs):
        chosen = _newest(theirs)
    left_out = tuple(f for f in theirs if f is not chosen)
    night = _applied_read(applied, applied_overrides, roster) if applied else None
    if night is not None and chosen is not None and chosen.date:
        newest = _newest([chosen, night])
        if newest is not chosen:  # the files applied are newer, or share its date
            return SetAsideForm(
                chosen=newest,
                left_out=(chosen, *left_out),
                last_aside=chosen,
                applied=night,
                read_as=read_as,
            )
    if chosen is None:
        if night is None and before is not None:  # the last choices applied fill the form
            night = _applied_read(before.date, before.overrides, roster)
            return SetAsideForm(
                left_out=left_out, applied=night, read_as=read_as, applied_night=before.night
            )
        return SetAsideForm(left_out=left_out, applied=night, read_as=read_as)
    return SetAsideForm(
        choices=chosen.choices,
        unmatched=chosen.unmatched,
        chosen=chosen,
        left_out=left_out,
        last_aside=chosen,
        applied=night,
        read_as=read_as,
    )


def _applied_read(
    date: str, overrides: Mapping[str, StudentOverride] | None, roster: Collection[str]
) -> _SetAsideRead:
    """The files a night applied for a class, as `set_aside_form` compares them with its
    set-aside files: their newest `date` and their choices for the students of `roster`."""
    choices = {
        s: SetAsideChoices(o.assigned, o.excluded, o.mode, excluded_skills=o.excluded_skills)
        for s, o in (overrides or {}).items()
        if s in roster
    }
    return _SetAsideRead("", date, choices, 0, applied=True)


def _lenient_date(path: str | Path) -> str:
    """A set-aside file's `date` as YYYY-MM-DD, as the night reads it (`_date`); "" where it
    has none that reads as one."""
    return _day_of(_set_aside_doc(path).get("date"))


def _day_of(value: object) -> str:
    """A file's `date` value as YYYY-MM-DD, as the night reads it (`_date`); "" where it does
    not read as one."""
    stamp = iso_timestamp(value) if isinstance(value, str) else None
    return "" if stamp is None else stamp.strftime("%Y-%m-%d")
