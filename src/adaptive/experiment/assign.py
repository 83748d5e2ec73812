"""Cluster-randomized assignment of classes or schools to policy arms (issue 19, item 3).

    a = assign(profiles, {"control": "policy.toml", "new": "new.toml"}, unit="class", seed=19)
    a.save("experiment.json")          # sealed JSON: every unit's arm, its stratum, the inputs
    Assignment.load("experiment.json").arm_of(class_ids, school_ids)

Randomization unit: a class (its `school_id` and `class_id`: rosters name homerooms without the
school, so "Room g4A" at two schools is two classes) or a school (`school_id`) of the learner
profiles;
students are never randomized one by one (they share a teacher, a room, a timetable). Strata:
for classes, (school, grade); schools form one stratum (each teaches every grade). With few
schools, prefer `analyze --permutations` (randomization inference) to the cluster-robust test. Within a stratum the
units are put in a seeded random order (numpy SeedSequence of the seed and the stratum's name,
so adding a school elsewhere changes nothing here) and dealt to the arms in turn from a random
first arm: every stratum is balanced to within one unit.

Auditable: the saved file holds the seed, the unit, the arms with each policy file's sha256 and
its full config, the profiles' sha256, and every unit's stratum and arm; re-running `assign` on
the same inputs writes the same bytes. No student id is stored (units are classes or schools).
The nightly job (`adaptive batch --experiment FILE`) serves each student the policy of their
unit's arm and writes the arm beside every recommendation (`adaptive.experiment.serve`).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.curriculum import LearnerProfile
from adaptive.data.codes import ZEROS_DROPPED
from adaptive.errors import (
    AdaptiveError,
    ArtifactError,
    ConfigError,
    ExperimentWarning,
    check_seed,
    counted,
    line_words,
    one_spelling,
    spelt_apart,
    verb,
)
from adaptive.files import atomic_write_bytes, read_sealed_json, sealed_json
from adaptive.policy import PolicyConfig
from adaptive.policy.adapter import shared_class_ids
from adaptive.policy.base import batch_settings

UNITS = ("class", "school")
#: Format 3 keys a class unit by its school and class id (`school_id`, `unit_id`: one class id
#: may be several schools' classes). Format 2 keeps the arms in the order given (`arm_order`:
#: the first is the reference); its class units are class ids alone, and still read so (a
#: student's arm from their class id, whatever their school: `warn_drawn_by_class_id`). Format
#: 1 files (no `arm_order`) still load: their arms in alphabetical order, as the sealed JSON
#: stores them, so the reference is the first alphabetically (what analyses of them used).
FORMAT = "adaptive-experiment-assignment/3"
FORMAT_2 = "adaptive-experiment-assignment/2"
FORMAT_1 = "adaptive-experiment-assignment/1"
#: the formats whose class units are class ids alone (drawn before classes were told apart by
#: their school)
BY_CLASS_ID = (FORMAT_1, FORMAT_2)


class AssignmentError(AdaptiveError):
    """An assignment file or its inputs are unusable (the message names file, field, value)."""


@dataclass(frozen=True)
class Assignment:
    """Which arm each class or school is in, and how that was decided."""

    unit: str
    seed: int
    arms: dict[str, dict]  # name -> {"source": file name, "sha256": ..., "config": {...}}
    units: pd.DataFrame  # unit_id, school_id, grade, stratum, arm (sorted by unit_id)
    profiles_sha256: str
    source: str = "<memory>"
    #: the file's format: FORMAT_1 for a file written before the arms' order was kept (saved
    #: again as it was read, so its bytes and sha256, which served nights record, stay)
    format: str = FORMAT

    @property
    def arm_names(self) -> list[str]:
        """The arms in the order given to `assign`; the first is the reference."""
        return list(self.arms)

    @property
    def reference(self) -> str:
        """The arm the others are compared with (`experiment analyze`)."""
        return self.arm_names[0]

    @property
    def order_kept(self) -> bool:
        """False for a format-1 file: its arms are in alphabetical order, not the order given."""
        return self.format != FORMAT_1

    def config(self, arm: str) -> PolicyConfig:
        return PolicyConfig.from_dict(self.arms[arm]["config"])

    @property
    def sha256(self) -> str:
        """sha256 of the saved file's bytes (`sha256sum FILE`): the digest each night served
        with it records (`experiment` in `_SUCCESS.json`). Not the file's own "sha256" field,
        which is the checksum of its content that `load` verifies (`files.sealed_json`)."""
        return hashlib.sha256(self.to_bytes()).hexdigest()

    def facts(self) -> AssignmentFacts:
        """What a night says of this assignment (its unit, file, roster and digest), without
        its units: the Spark engine's driver keeps these, and its executors read the units from
        the file itself (`adaptive.batch.spark_job`)."""
        return AssignmentFacts(
            self.unit, self.source, self.profiles_sha256, self.sha256, tuple(self.arm_names)
        )

    @property
    def by_class_id(self) -> bool:
        """True for class units drawn by class id alone (a format-1 or 2 file: one unit for
        every school's class of that id); False for a class unit that is its school and class
        id, and for school units."""
        return self.unit == "class" and self.format in BY_CLASS_ID

    @property
    def key_fields(self) -> tuple[str, ...]:
        """The profile fields that name a student's unit: ("school_id", "class_id") for a class,
        ("class_id",) for a class of a file drawn by class id alone, ("school_id",) for a
        school. `unit_keys` takes them in this order."""
        if self.unit == "school":
            return ("school_id",)
        return ("class_id",) if self.by_class_id else ("school_id", "class_id")

    def unit_keys(self) -> pd.MultiIndex:
        """Each row of `units` as the `key_fields` of its students name it (school and class
        id, or one id)."""
        ids = self.units["unit_id"].astype(str).to_numpy(dtype=object)
        arrays = [ids]
        if len(self.key_fields) == 2:
            arrays.insert(0, self.units["school_id"].astype(str).to_numpy(dtype=object))
        return pd.MultiIndex.from_arrays(arrays, names=list(self.key_fields))

    def unit_of(self, class_ids: np.ndarray, school_ids: np.ndarray) -> np.ndarray:
        """(n,) row in `units` of each student's unit, from their class and school ids (-1:
        not in the experiment): the one lookup of a student's unit (its arm, its stratum, its
        cluster in `experiment analyze`)."""
        given = {"class_id": class_ids, "school_id": school_ids}
        arrays = [np.asarray(given[f], dtype=object).astype(str) for f in self.key_fields]
        if not len(arrays[0]):
            return np.empty(0, dtype=int)
        students = pd.MultiIndex.from_arrays(arrays, names=list(self.key_fields))
        return self.unit_keys().get_indexer(students)

    def arm_of(self, class_ids: np.ndarray, school_ids: np.ndarray) -> np.ndarray:
        """(n,) arm of each student from their class and school ("" = not in the experiment)."""
        rows = self.unit_of(class_ids, school_ids)
        arms = np.append(self.units["arm"].to_numpy(dtype=object), "")
        return arms[rows]  # row -1: the "" appended

    def to_dict(self) -> dict:
        """The file's content. The sealed JSON sorts an object's keys, so the arms' order is
        kept in the list `arm_order` (format 2; a format-1 assignment is written as read)."""
        doc = {
            "format": self.format,
            "unit": self.unit,
            "seed": self.seed,
            "arms": self.arms,
            "profiles_sha256": self.profiles_sha256,
            "units": self.units.to_dict(orient="list"),
            "counts": {arm: int((self.units["arm"] == arm).sum()) for arm in self.arms},
        }
        if self.order_kept:
            doc["arm_order"] = self.arm_names
        return doc

    def to_bytes(self) -> bytes:
        return sealed_json(self.to_dict())

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the sealed assignment atomically (a re-run on the same inputs: same bytes).

        An existing file with other bytes is an AssignmentError unless `overwrite`: an
        assignment is sealed once nights are served with it, and another draw written over it
        would re-assign classes behind those nights. The same bytes again change nothing."""
        path = Path(path)
        blob = self.to_bytes()
        if path.exists() and not overwrite and not _holds(path, blob):
            raise AssignmentError(
                f"{path} exists and holds another assignment (sha256 of the file "
                f"{_file_sha(path)[:16]}..., this draw's {hashlib.sha256(blob).hexdigest()[:16]}"
                "...); an assignment is sealed once nights are served with it: write to another "
                "--out, or pass --force to replace it (nights served with the old file are then "
                "refused by `experiment analyze` with the new one)"
            )
        atomic_write_bytes(path, blob)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Assignment:
        """Read and verify an assignment file (altered, truncated or malformed: named error)."""
        where = f"experiment assignment {path}"
        try:
            doc = read_sealed_json(
                Path(path), where, "an assignment written by `adaptive experiment assign`"
            )
        except ArtifactError as exc:
            raise AssignmentError(str(exc)) from exc
        return cls.from_dict(doc, str(path))

    @classmethod
    def from_dict(cls, doc: dict, source: str = "<memory>") -> Assignment:
        where = f"experiment assignment {source}"
        if doc.get("format") not in (FORMAT, *BY_CLASS_ID):
            raise AssignmentError(
                f"{where}, field 'format': got {doc.get('format')!r}; expected {FORMAT!r} "
                f"(or an older {FORMAT_2!r} or {FORMAT_1!r})"
            )
        if doc.get("unit") not in UNITS:
            raise AssignmentError(
                f"{where}, field 'unit': got {doc.get('unit')!r}; expected one of {UNITS}"
            )
        arms = doc.get("arms")
        if not isinstance(arms, dict) or len(arms) < 2:
            raise AssignmentError(f"{where}, field 'arms': expected at least two arms")
        for name, arm in arms.items():
            try:
                PolicyConfig.from_dict(arm["config"])
            except (ConfigError, KeyError, TypeError) as exc:
                raise AssignmentError(f"{where}, field 'arms.{name}.config': {exc}") from exc
        arms = _ordered_arms(doc, arms, where)
        units = pd.DataFrame(doc.get("units") or {})
        missing = {"unit_id", "school_id", "grade", "stratum", "arm"} - set(units.columns)
        if missing:
            raise AssignmentError(f"{where}, field 'units': missing column(s) {sorted(missing)}")
        bad = sorted(set(units["arm"]) - set(arms))
        if bad:
            raise AssignmentError(
                f"{where}, field 'units.arm': got {bad[0]!r}; expected one of {list(arms)}"
            )
        out = cls(doc["unit"], int(doc["seed"]), arms, units, doc["profiles_sha256"], source,
                  doc["format"])  # fmt: skip
        _check_units_once(out, where)
        return out


def _check_units_once(assignment: Assignment, where: str) -> None:
    """AssignmentError when a unit is listed twice (a class id twice in one school, or twice
    at all in a file drawn by class id alone): its students would have two arms."""
    keys = assignment.unit_keys()
    twice = keys[keys.duplicated()]
    if twice.empty:
        return
    key = twice[0]
    unit, of = key[-1], f" of school {key[0]!r}" if len(key) == 2 else ""
    raise AssignmentError(f"{where}, field 'units.unit_id': {unit!r}{of} appears twice")


def _ordered_arms(doc: dict, arms: dict, where: str) -> dict:
    """`arms` in the file's `arm_order` (format 2: the order given, the reference first), or
    alphabetical for a format-1 file (as it was stored and analysed). AssignmentError when
    `arm_order` does not name each arm once."""
    if doc["format"] == FORMAT_1:
        return {name: arms[name] for name in sorted(arms)}
    order = doc.get("arm_order")
    if not isinstance(order, list) or sorted(map(str, order)) != sorted(arms):
        raise AssignmentError(
            f"{where}, field 'arm_order': got {order!r}; expected each arm of {sorted(arms)} "
            "once, the reference first"
        )
    return {name: arms[name] for name in order}


def warn_drawn_by_class_id(
    assignment: Assignment, schools_of: Mapping[str, Collection[str]]
) -> None:
    """One `ExperimentWarning` when `assignment` was drawn by class id alone (a format-1 or 2
    file) and some of its class ids are used by several schools (`schools_of`: each class id
    of the profiles -> its schools, `batch.overrides.class_schools`): it is read as drawn (the
    nights served with it gave every school's class of that id one arm, the stratum of one
    school), and this says so, with how to draw it again. Counts and one class id only."""
    if not assignment.by_class_id:
        return
    drawn = set(assignment.units["unit_id"].astype(str))
    shared = sorted(c for c in shared_class_ids(schools_of) if c in drawn)
    if not shared:
        return
    n, schools = len(shared), sorted(schools_of[shared[0]])
    warnings.warn(
        f"{assignment.source} was drawn before classes were told apart by their school: "
        f"{counted(n, 'class id')} of it {verb(n, 'is')} used by several schools in the "
        f"profiles (e.g. {shared[0]!r} at {_listed([repr(s) for s in schools])}), and each "
        "such id is one unit, every school's class of that id in one arm; it is read as drawn. "
        "To randomize each school's class on its own, draw it again before the experiment's "
        "first night (`adaptive experiment assign --profiles PROFILES --arm ... --out NEW`; "
        "an experiment under way keeps its file)",
        ExperimentWarning,
        stacklevel=3,
    )


@dataclass(frozen=True)
class AssignmentFacts:
    """An `Assignment`'s facts a night's warnings and records need (`Assignment.facts`), not
    its units (every class's or school's arm: they grow with the district)."""

    unit: str
    source: str
    profiles_sha256: str
    sha256: str
    #: the arms in the order given (the reference first), to count a night's students by arm
    arm_names: tuple[str, ...] = ()


def _holds(path: Path, blob: bytes) -> bool:
    """Whether the file at `path` holds exactly `blob` (a folder or unreadable file: no)."""
    try:
        return path.is_file() and path.read_bytes() == blob
    except OSError:
        return False


def _file_sha(path: Path) -> str:
    """sha256 of a file's bytes ("" when it cannot be read, e.g. a folder)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def profile_units(profiles: Mapping[str, LearnerProfile] | list[LearnerProfile]) -> pd.DataFrame:
    """One row per student: student_id, school_id, class_id, grade (from the profiles)."""
    items = list(profiles.values()) if isinstance(profiles, Mapping) else list(profiles)
    return pd.DataFrame({
        "student_id": [p.student_id for p in items],
        "school_id": [p.school_id or "" for p in items],
        "class_id": [p.class_id or "" for p in items],
        "grade": [-1 if p.grade is None else int(p.grade) for p in items],
    })  # fmt: skip


def assign(
    profiles: str | Path | Mapping[str, LearnerProfile] | list[LearnerProfile] | pd.DataFrame,
    arms: Mapping[str, str | Path | PolicyConfig],
    *,
    unit: str = "class",
    seed: int = 0,
    profiles_sha256: str = "",
) -> Assignment:
    """Randomize the units of `profiles` to `arms` (name -> policy TOML or config), stratified.

    `profiles`: a profiles JSONL file (its sha256 is recorded), profiles, or a frame with
    student_id, school_id, class_id, grade. `seed`: an integer >= 0 (ArgumentError else)."""
    check_seed(seed)
    source = Path(profiles) if isinstance(profiles, str | Path) else None
    if source is not None:
        from adaptive.batch.job import read_profiles

        profiles_sha256 = hashlib.sha256(source.read_bytes()).hexdigest()
        profiles = read_profiles(source)
    if unit not in UNITS:
        raise ConfigError(f"--unit {unit!r}: expected one of {UNITS}")
    if len(arms) < 2:
        raise ConfigError(f"arms {list(arms)}: an experiment needs at least two arms")
    people = profiles if isinstance(profiles, pd.DataFrame) else profile_units(profiles)
    _check_every_student_has_a_unit(people, unit, source)
    _check_units_written_one_way(people, unit, source)
    _warn_class_ids_across_schools(people, unit)
    _warn_classes_partly_without_school(people, unit)
    units = _units(people, unit)
    units["arm"] = _deal(units, list(arms), seed)
    _check_every_arm_has_units(units, list(arms), unit, people)
    return Assignment(unit, int(seed), _arm_records(arms), units, profiles_sha256)


#: Lines listed in an error about rows without a unit (the rest counted).
MAX_LINES_LISTED = 10


def _check_every_student_has_a_unit(people: pd.DataFrame, unit: str, source: Path | None) -> None:
    """AssignmentError when a student has no class (or school) to be randomized with, naming
    the profiles file, the lines and the column and counting them all (`source`: the file
    the profiles were read from; None for profiles in memory: a count). Never a student id:
    the message may reach a cron log."""
    key = "class_id" if unit == "class" else "school_id"
    blank = people[key].astype(str) == ""
    if not blank.any():
        return
    expected = f"expected every student to have a {unit} to be randomized with"
    n = int(blank.sum())
    if source is None:
        raise AssignmentError(f"profiles, field '{key}': {n:,} student(s) have none; {expected}")
    from adaptive.curriculum.profile import is_table, profile_lines

    table = is_table(source)
    column, value = (f"column {key}", "empty") if table else (f"field {key}", "null or absent")
    if n == len(people):
        raise AssignmentError(
            f"{source}, {column}: {value} on every line ({n:,} students); {expected}"
        )
    line_of = profile_lines(source)
    where = line_words([line_of[s] for s in people.loc[blank, "student_id"]], MAX_LINES_LISTED)
    raise AssignmentError(f"{source}, {where}, {column}: {value}; {expected}")


def _check_units_written_one_way(people: pd.DataFrame, unit: str, source: Path | None) -> None:
    """AssignmentError when two unit ids differ only in case or leading zeros (`one_spelling`:
    "SCH0001-G4A" for one student, "sch0001-g4A" for the rest of the class; "104" where a
    spreadsheet dropped the zero of "0104"): ids compare exactly, so the class or school would
    be randomized as two units and its students dealt to two arms (trials: exit 0, one student
    in the other arm than their classmates; "10 schools" for a district of 5, one school in
    both arms). Names the two ids, the first line of each (a profiles file) and their students'
    counts. A class is compared with the classes of its own school only (a class unit is its
    school and class id: "Room g4A" and "room g4A" at two schools are two classes)."""
    key = "class_id" if unit == "class" else "school_id"
    sizes = people.loc[people[key].astype(str) != "", key].astype(str).value_counts()
    folded = pd.Series(sizes.index.map(one_spelling), index=sizes.index)
    if unit == "class":  # the same spelling within one school
        named = people[people[key].astype(str) != ""]
        school = named["school_id"].astype(str).map(one_spelling)  # a school written otherwise too
        pairs = pd.DataFrame({"school": school.to_numpy(),
                              "id": named[key].astype(str).to_numpy()}).drop_duplicates()  # fmt: skip
        pairs["folded"] = pairs["id"].map(one_spelling)
        split = pairs[pairs.duplicated(["school", "folded"], keep=False)]
        folded = folded[folded.index.isin(split["id"])]
    twice = folded[folded.duplicated(keep=False)]
    if twice.empty:
        return
    ids = sorted(twice[twice == twice.iloc[0]].index, key=lambda i: (-sizes[i], i))
    first_line: dict[str, int] = {}
    if source is not None:
        from adaptive.curriculum.profile import profile_lines

        line_of = profile_lines(source)
        held = people[people[key].astype(str).isin(ids)]
        for sid, unit_id in zip(held["student_id"], held[key].astype(str), strict=True):
            if sid in line_of:
                first_line[unit_id] = min(first_line.get(unit_id, line_of[sid]), line_of[sid])
    said = " and ".join(
        f"{i!r} ({f'line {first_line[i]}, ' if i in first_line else ''}"
        f"{counted(int(sizes[i]), 'student')})"
        for i in ids
    )
    how = spelt_apart(ids)
    dropped = f"; leading zeros {ZEROS_DROPPED}" if "zeros" in how else ""
    more = twice.nunique() - 1
    also = f" ({more:,} more {unit} id(s) so)" if more else ""
    plural = {"class": "classes", "school": "schools"}[unit]
    raise AssignmentError(
        f"{source or 'profiles'}, field '{key}': {said} differ only in {how}{also}: one {unit} "
        "written two ways would be randomized as two units, its students in two arms; expected each "
        f"{unit} written one way (fix the profiles; two {plural} meant: ids that differ by more "
        f"than {how}){dropped}"
    )


#: Units an arm needs for its effect to have an interval (clustered by unit).
MIN_UNITS_PER_ARM = 2


def _check_every_arm_has_units(
    units: pd.DataFrame, arms: list[str], unit: str, people: pd.DataFrame
) -> None:
    """AssignmentError when an arm got fewer than two units: fewer units than that (suggest a
    finer unit), or strata of few units each dealt from random first arms that skipped an arm
    (another seed or more units). An arm without a unit has no effect to estimate; an arm of
    one unit has no interval (its difference cannot be told from that class's or school's
    own: the clustered analysis has no degree of freedom left)."""
    counts = units["arm"].value_counts()
    short = [arm for arm in arms if counts.get(arm, 0) < MIN_UNITS_PER_ARM]
    if not short:
        return
    plural = {"class": "classes", "school": "schools"}[unit]
    n = len(units)
    finer = ""
    if unit == "school" and "class_id" in people:
        named = people[people["class_id"].astype(str) != ""]
        n_classes = len(named.drop_duplicates(["school_id", "class_id"]))
        finer = f" (--unit class: the profiles hold {n_classes} classes)" if n_classes else ""
    expected = (
        f"expected at least {MIN_UNITS_PER_ARM} {plural} per arm (with one, the arm's "
        f"difference cannot be told from its {unit}'s own: no interval)"
    )
    if n < MIN_UNITS_PER_ARM * len(arms):
        raise AssignmentError(
            f"too few units for the arms: the profiles hold {n} {unit if n == 1 else plural} "
            f"for {len(arms)} arms {arms}, so arm(s) {short} would get fewer than "
            f"{MIN_UNITS_PER_ARM}; {expected}: randomize a finer unit{finer} or use fewer arms"
        )
    got = ", ".join(f"{arm} {int(counts.get(arm, 0))}" for arm in short)
    raise AssignmentError(
        f"arm(s) {short} got too few {plural} ({got}): {n} {plural} in "
        f"{units['stratum'].nunique()} strata, each stratum dealt from a random first arm, so "
        f"with this few {plural} per stratum an arm can come out short; {expected}: another "
        f"--seed, a finer unit{finer}, more {plural}, or fewer arms"
    )


def _warn_class_ids_across_schools(people: pd.DataFrame, unit: str) -> None:
    """When schools are randomized, a class id whose students the profiles put in several
    schools is served each school's arm: right where each school has a class of that id (a
    roster naming homerooms without the school, "Room g4A" at two schools), a roster slip
    where it is one class (a student's school_id wrong: the class served under two arms).
    Counted in an `ExperimentWarning` with both readings (a count and one class id: no
    student). Classes randomized are each their school and class id: nothing to warn of."""
    if unit != "school" or "class_id" not in people:
        return
    named = people[people["class_id"].astype(str) != ""]
    schools = named.groupby("class_id")["school_id"].nunique()
    split = schools[schools > 1]
    if split.empty:
        return
    n = len(split)
    warnings.warn(
        f"profiles: {counted(n, 'class id')} {verb(n, 'has')} students in more than one school "
        f"(e.g. {split.index[0]!r} in {int(split.iloc[0])} schools): their students are "
        "randomized with their schools, each school's students of that id served its school's "
        "arm; nothing to do where each school has a class of that id, but where it is one "
        "class (a student's school_id wrong), that class is served under more than one arm: "
        "fix the profiles' school_id before the experiment starts",
        ExperimentWarning,
        stacklevel=3,
    )


def _warn_classes_partly_without_school(people: pd.DataFrame, unit: str) -> None:
    """A class id some of whose students have a school and some none (a roster slip: a
    school_id left blank on a few rows) is randomized as two classes, the students without a
    school in a unit of their own, maybe in the other arm: counted in an `ExperimentWarning`
    (a count and one class id: no student). A class id at several schools is not warned of:
    each school's class of that id is a class, and a unit, of its own."""
    if unit != "class":
        return
    named = people[people["class_id"].astype(str) != ""]
    blank = named["school_id"].astype(str) == ""
    partly = sorted(set(named.loc[blank, "class_id"]) & set(named.loc[~blank, "class_id"]))
    if not partly:
        return
    warnings.warn(
        f"profiles: {counted(len(partly), 'class id')} {verb(len(partly), 'has')} students "
        f"with a school_id and students without one (e.g. {partly[0]!r}): a class is its "
        "school and class id, so those without a school are randomized as a class of their "
        "own; a roster slip? Fill in their school_id before the experiment starts",
        ExperimentWarning,
        stacklevel=3,
    )


def _units(people: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The randomization units with their school, grade (most common) and stratum: a class is
    its school and class id (so a class id at two schools is two units, each in its school's
    strata), a school its school id. Sorted by unit id, then school: a roster without a class
    id shared by schools is dealt as before classes were told apart by school."""
    keys = ["school_id", "class_id"] if unit == "class" else ["school_id"]
    grade = (
        people.groupby([*keys, "grade"]).size().reset_index(name="n")
        .sort_values([*keys, "n", "grade"], ascending=[True] * len(keys) + [False, True])
        .drop_duplicates(keys)
    )  # fmt: skip
    out = pd.DataFrame({
        "unit_id": grade[keys[-1]].astype(str).to_numpy(),
        "school_id": grade["school_id"].to_numpy(),
        "grade": grade["grade"].to_numpy().astype(int),
    })  # fmt: skip
    if unit == "class":
        out["stratum"] = out["school_id"].astype(str) + "|grade " + out["grade"].astype(str)
    else:  # a school teaches every grade: one stratum (a grade says nothing of a school)
        out["stratum"] = "all schools"
    return out.sort_values(["unit_id", "school_id"], kind="stable").reset_index(drop=True)


def _deal(units: pd.DataFrame, arms: list[str], seed: int) -> np.ndarray:
    """Per stratum: a seeded shuffle, then the arms in turn from a random first arm."""
    out = np.empty(len(units), dtype=object)
    for stratum, idx in units.groupby("stratum", sort=True).indices.items():
        digest = hashlib.sha256(str(stratum).encode()).digest()
        rng = np.random.default_rng([seed, int.from_bytes(digest[:8], "little")])
        order = rng.permutation(len(idx))
        start = int(rng.integers(len(arms)))
        out[idx[order]] = [arms[(start + j) % len(arms)] for j in range(len(idx))]
    return out


def _weighted(path: Path) -> str:
    """The words for a policy file named with a share after it ("policy.toml:0.7", an
    evaluator asking for unequal arms): every arm gets an equal share of the units in each
    stratum, so the share is refused as part of a file name would be, saying why."""
    stem, _, share = str(path).rpartition(":")
    if not stem or not Path(stem).is_file():
        return ""
    try:
        float(share)
    except ValueError:
        return ""
    return (
        f" ({stem} with a share of {share} after it? Arms are dealt equal shares of the units "
        "in each stratum: unequal allocation is not supported; give each arm its policy file "
        "alone)"
    )


def _arm_records(arms: Mapping[str, str | Path | PolicyConfig]) -> dict[str, dict]:
    """Each arm's policy: the file's name and sha256 and the full config it parses to. Arms
    must agree on the settings a batch is built with (`batch_settings`)."""
    out, settings = {}, {}
    for name, given in arms.items():
        if isinstance(given, PolicyConfig):
            config, source, sha = given, "<memory>", ""
        else:
            path = Path(given)
            if not path.is_file():
                raise ConfigError(f"arm {name!r}: policy file {path} not found{_weighted(path)}")
            try:
                config = PolicyConfig.from_toml(path)
            except ConfigError as exc:
                raise ConfigError(f"arm {name!r}: {exc}") from exc
            source, sha = path.name, hashlib.sha256(path.read_bytes()).hexdigest()
        out[name] = {
            "source": source,
            "sha256": sha,
            "config": json.loads(json.dumps(config.to_dict())),
        }
        settings[name] = batch_settings(config)
    _warn_same_policy(out)
    # the night builds one batch (and places its new students once) for every arm; compared as
    # JSON text: a grade table is a mapping
    if len({json.dumps(v, sort_keys=True, default=str) for v in settings.values()}) > 1:
        listed = "; ".join(f"{name}: {value}" for name, value in settings.items())
        raise ConfigError(
            "the arms' policies differ in what a night's batch is built with (default daily "
            f"minutes, progress window, repeatable kinds, grade table: {listed}); the night "
            "builds one batch for every arm: give them the same values and let the weights "
            "differ"
        )
    return out


def _warn_same_policy(records: dict[str, dict]) -> None:
    """An `ExperimentWarning` for arms whose policies are one config (the same file typed
    twice, `--arm control=policy.toml --arm new=policy.toml`, is a likelier slip than a
    deliberate A/A test, and it costs a semester): the arms, and the file's sha256 when they
    are one file's bytes."""
    by_config: dict[str, list[str]] = {}
    for name, record in records.items():
        by_config.setdefault(json.dumps(record["config"], sort_keys=True), []).append(name)
    for names in by_config.values():
        if len(names) < 2:
            continue
        shas = {records[name]["sha256"] for name in names}
        files = [records[name]["source"] for name in names if records[name]["sha256"]]
        if len(shas) == 1 and files:
            which = f"sha256 {shas.pop()[:12]}..."
        elif len(files) > 1:
            which = f"{_listed(files)} give the same settings"
        else:
            which = "the same settings"
        warnings.warn(
            f"arms {_listed([repr(n) for n in names])} have the same policy ({which}): an A/A "
            "test? If not, give each arm its own policy file",
            ExperimentWarning,
            stacklevel=4,
        )


def _listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
