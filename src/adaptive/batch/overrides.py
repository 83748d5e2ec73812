"""Teacher overrides from the report site, read by the nightly job (`adaptive batch --overrides`).

A class page exports one JSON file per class (`adaptive.reports.site`):

    {"format": "adaptive-overrides", "version": 1, "class_id": "sch0001-g4A", "date": "2027-02-20",
     "students": {"stu0000042": {"assigned": ["g4.NF.2.practice1"], "excluded": [],
                                 "mode": "remediate"}}}

`assigned` activities come first, in the given order (they skip readiness, never the exclusions);
`excluded` ones are never recommended; `mode` moves the student's grade band: `accelerate` =
grade-level and next grade's activities, `remediate` = up to two grades below through grade level
(`TeacherOverrides.min_grade` / `max_grade`). `read_overrides` takes one file or a folder of them,
checks every field against the catalog and the profiles (a teacher overrides only their own class's
students), and raises `OverridesError` naming the file, line, field, value and what was expected.
The job applies them through the per-school input table (`batch_fields`), so the in-process and
the Spark paths get them alike, and records what it applied beside its output (`record_overrides`),
which the next report shows and pre-fills: the file round-trips.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.errors import ConfigError
from adaptive.files import atomic_write_bytes, read_user_text
from adaptive.policy.base import TeacherOverrides

FORMAT = "adaptive-overrides"
VERSION = 1
MODES = ("accelerate", "remediate")
STUDENT_KEYS = ("assigned", "excluded", "mode")
#: grade band per mode, relative to the student's grade: (min, max)
MODE_BANDS = {"accelerate": (0, 1), "remediate": (-2, 0)}


class OverridesError(ConfigError):
    """A teacher overrides file is unreadable or names something unknown."""


@dataclass(frozen=True)
class StudentOverride:
    """One student's overrides: assigned activities (in order), excluded ones, and a mode."""

    assigned: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    mode: str | None = None

    def to_dict(self) -> dict:
        return {"assigned": list(self.assigned), "excluded": list(self.excluded), "mode": self.mode}

    def teacher_overrides(self, grade: int | None) -> TeacherOverrides:
        """The policy's hard constraints for this student (grade band from the mode)."""
        low = high = None
        if self.mode is not None and grade is not None:
            low, high = (grade + d for d in MODE_BANDS[self.mode])
        return TeacherOverrides(
            assigned=self.assigned, excluded=frozenset(self.excluded), min_grade=low, max_grade=high
        )


@dataclass(frozen=True)
class OverrideSet:
    """Every student's overrides for one night (student id -> `StudentOverride`), and the file
    each came from."""

    students: dict[str, StudentOverride]
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def __len__(self) -> int:
        return len(self.students)

    def to_json(self) -> bytes:
        """Canonical JSON (sorted ids, the export format with every class merged)."""
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "students": {s: self.students[s].to_dict() for s in sorted(self.students)},
        }
        return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_json()).hexdigest()

    def batch_fields(
        self, catalog: Catalog, profiles: Mapping[str, LearnerProfile], student_ids: Sequence[str]
    ) -> dict[str, object]:
        """`StudentBatch` fields for these students (empty when none of them has an override):
        `assigned` (CSR, 1-based order), `excluded` (CSR), `min_grade`, `max_grade`."""
        rows = [i for i, s in enumerate(student_ids) if s in self.students]
        if not rows:
            return {}
        n, n_a = len(student_ids), len(catalog.activities)
        pos = catalog.activity_index
        assigned, excluded = sparse.lil_matrix((n, n_a)), sparse.lil_matrix((n, n_a))
        low, high = np.full(n, np.nan), np.full(n, np.nan)
        for i in rows:  # only the students a teacher overrode: a few per class
            sid = student_ids[i]
            profile = profiles.get(sid)
            t = self.students[sid].teacher_overrides(profile.grade if profile else None)
            for order, code in enumerate(pos.get_indexer(list(t.assigned)), start=1):
                assigned[i, code] = order
            for code in pos.get_indexer(sorted(t.excluded)):
                excluded[i, code] = 1.0
            low[i] = np.nan if t.min_grade is None else t.min_grade
            high[i] = np.nan if t.max_grade is None else t.max_grade
        return {
            "assigned": assigned.tocsr(),
            "excluded": excluded.tocsr(),
            "min_grade": low,
            "max_grade": high,
        }


def read_overrides(
    path: str | Path, catalog: Catalog, profiles: Mapping[str, LearnerProfile]
) -> OverrideSet:
    """Read and check one overrides file, or every `*.json` in a folder (see the module doc)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise OverridesError(f"{path}: no *.json overrides file in this folder")
    elif path.is_file():
        files = [path]
    else:
        raise OverridesError(
            f"overrides {path} not found; expected a JSON file or a folder of them"
        )
    students: dict[str, StudentOverride] = {}
    sources: dict[str, str] = {}
    activities = set(catalog.activity_index)
    for file in files:
        for sid, override in _read_file(file, activities, profiles).items():
            if sid in students:
                raise OverridesError(
                    f"{file}: student {sid!r} is also in {sources[sid]}; expected each student "
                    "in one overrides file"
                )
            students[sid], sources[sid] = override, str(file)
    return OverrideSet(dict(sorted(students.items())), sources)


def _read_file(
    file: Path, activities: set[str], profiles: Mapping[str, LearnerProfile]
) -> dict[str, StudentOverride]:
    text = read_user_text(file, "teacher overrides JSON")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OverridesError(
            f"{file}, line {exc.lineno}, column {exc.colno}: not JSON ({exc.msg}); expected the "
            "file a class page exports"
        ) from exc

    def fail(where: str, value: object, expected: str, key: str | None = None) -> OverridesError:
        line = _line_of(text, key) if key else None
        at = f", line {line}" if line else ""
        return OverridesError(f"{file}{at}, field {where}: got {value!r}; expected {expected}")

    if not isinstance(doc, dict):
        raise fail("(top level)", type(doc).__name__, "a JSON object")
    if doc.get("format") != FORMAT:
        raise fail("format", doc.get("format"), repr(FORMAT), "format")
    if doc.get("version") != VERSION:
        raise fail("version", doc.get("version"), str(VERSION), "version")
    klass = doc.get("class_id")
    if klass is not None and not isinstance(klass, str):
        raise fail("class_id", klass, "a class id (text)", "class_id")
    given = doc.get("students")
    if not isinstance(given, dict):
        raise fail("students", type(given).__name__, "an object of student id -> overrides")
    out = {}
    for sid, entry in given.items():
        where = f"students.{sid}"
        profile = profiles.get(sid)
        if profile is None:
            raise fail(where, sid, "a student of the district's profiles", sid)
        if klass is not None and profile.class_id != klass:
            raise fail(
                where,
                sid,
                f"a student of class {klass!r} (this one is in {profile.class_id!r})",
                sid,
            )
        if not isinstance(entry, dict) or set(entry) - set(STUDENT_KEYS):
            extra = sorted(set(entry) - set(STUDENT_KEYS)) if isinstance(entry, dict) else entry
            raise fail(where, extra, f"an object with keys {', '.join(STUDENT_KEYS)}", sid)
        lists = {}
        for key in ("assigned", "excluded"):
            values = entry.get(key, [])
            if not isinstance(values, list):
                raise fail(f"{where}.{key}", values, "a list of activity ids", sid)
            for i, activity in enumerate(values):
                if not isinstance(activity, str) or activity not in activities:
                    raise fail(
                        f"{where}.{key}[{i}]", activity, "an activity id of the catalog", sid
                    )
            lists[key] = tuple(dict.fromkeys(values))  # repeated ids once, order kept
        mode = entry.get("mode")
        if mode is not None and mode not in MODES:
            raise fail(f"{where}.mode", mode, f"null or one of {', '.join(MODES)}", sid)
        out[sid] = StudentOverride(lists["assigned"], tuple(sorted(lists["excluded"])), mode)
    return out


def _line_of(text: str, key: str) -> int | None:
    """The 1-based line where `"key"` first appears in the file (for error messages)."""
    at = text.find(json.dumps(key))
    return None if at < 0 else text.count("\n", 0, at) + 1


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
