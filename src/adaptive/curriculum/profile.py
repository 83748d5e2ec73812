"""The learner profile: who a student is beyond their responses (py-fsrs style plain value)."""

from __future__ import annotations

import csv
import dataclasses
import functools
import json
import shlex
import warnings
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from adaptive.data.codes import ZEROS_DROPPED, id_text
from adaptive.data.kinds import file_kind, refusal_hint
from adaptive.data.readers import (
    REPEATED_HEADER_EXPECTED,
    fields_expected,
    is_header_row,
    read_header,
)
from adaptive.data.skill_lists import SKILL_SEPARATORS
from adaptive.errors import (
    ConfigError,
    DataNoteWarning,
    closest_name,
    column_names,
    one_spelling,
    spelt_apart,
    unknown_keys,
    verb,
)
from adaptive.files import atomic_write_bytes, user_text_lines
from adaptive.grades import HIGHEST_GRADE, PRE_KINDERGARTEN, parse_grade
from adaptive.records import RecordError, from_record, to_record


@dataclass(frozen=True)
class LearnerProfile:
    """A pseudonymous student's grade, interests, aspirations and time budget.

    `grade` is a whole number, kindergarten 0 ("K" is read as 0: `adaptive.grades`);
    `interests` maps topic -> weight in [0, 1]; `goal_skills` are skills the student aims for
    (an aspiration or career cluster already mapped to skills); `career_clusters` keeps the names.
    `weekly_minutes` is the student's time a week (a day's budget is a fifth of it); None, not
    given, is the policy's `default_daily_minutes` a day (a default of 150 here made every
    profile's day 30 minutes, whatever a policy file's default said).
    """

    student_id: str
    grade: int | None = None
    interests: dict[str, float] = field(default_factory=dict)
    goal_skills: tuple[str, ...] = ()
    career_clusters: tuple[str, ...] = ()
    weekly_minutes: float | None = None
    school_id: str | None = None
    class_id: str | None = None

    def __post_init__(self) -> None:
        sid = self.student_id
        if type(sid) is not str or not sid or sid.strip() != sid:  # the rare case: normalize
            object.__setattr__(self, "student_id", _profile_id(sid))
        _check_interests(self)
        _check_id_lists(self)
        # "K" is grade 0 and "5" grade 5 here as in a profiles file; 4.5 or "fourth" is an error
        # now, not a ValueError in placement later
        grade = self.grade
        if grade is None or (type(grade) is int and PRE_KINDERGARTEN <= grade <= HIGHEST_GRADE):
            return  # the common case: 400,000 a night
        grade = parse_grade(self.grade, f"profile {self.student_id!r}")
        if grade is not self.grade:
            object.__setattr__(self, "grade", grade)

    def to_dict(self) -> dict[str, Any]:
        return to_record(self)

    @classmethod
    def from_dict(
        cls, d: dict[str, Any], where: str = "profile", labels: Mapping[str, str] | None = None
    ) -> LearnerProfile:
        """A profile from a JSON record, every field checked (`adaptive.records`): a grade of
        "four" or interests given as a list is a `RecordError`, never misread. A value its
        rules refuse (a weight of 80) is said after `where` without the student's id: the
        file and line name the row, and the message may reach the nightly job's log.
        `labels` names a field as its table's column does (a roster read with `columns=`)."""
        try:
            return from_record(cls, d, where, labels)
        except RecordError as exc:
            if isinstance(exc.__cause__, ProfileValueError):
                raise RecordError(f"{where}: {exc.__cause__.problem}") from exc.__cause__
            raise


class ProfileValueError(ConfigError):
    """A profile's value that its field's rules refuse (a weight outside [0, 1]), said of the
    student (`LearnerProfile(...)` in Python); `problem` says it without the id, for a reader
    whose file and line name the row (`LearnerProfile.from_dict`)."""

    def __init__(self, student_id: str, problem: str) -> None:
        self.problem = problem
        super().__init__(f"profile {student_id!r}: {problem}")


def _profile_id(value: object) -> str:
    """A profile's student id as `Response` reads one: trimmed text, or an integer's digits
    (`LearnerProfile(123)` is the student of `Response(123, ...)`, "123"); anything else, or
    an empty id, is an error (a float id would be "123.0", another student)."""
    text = id_text(value)
    if text is not None:
        return text
    raise ConfigError(
        f"profile student_id {value!r}: expected a non-empty text id (or a whole number)"
    )


def _check_interests(profile: LearnerProfile) -> None:
    """Interests are a {topic: weight} mapping, weights in [0, 1]: a weight of 80 (a
    percentage) was clipped to 1 without a word, so every topic a student named weighed the
    same; a list of topics ended in an AttributeError deep inside. A negative weekly time is
    refused too (it read as no budget given)."""
    interests = profile.interests
    if isinstance(interests, list | tuple) and all(isinstance(t, str) for t in interests):
        # topics named without a weight weigh 1, as in a roster ("animals:0.8;music")
        interests = dict.fromkeys(interests, 1.0)
        object.__setattr__(profile, "interests", interests)
    if not isinstance(interests, Mapping) or not all(
        isinstance(w, Real) and not isinstance(w, bool) for w in interests.values()
    ):
        raise ProfileValueError(
            profile.student_id,
            f"interests {interests!r}: expected a dict {{topic: weight in [0, 1]}}, e.g. "
            "{'animals': 0.8, 'music': 0.5}, or a list of topics, each weighing 1",
        )
    minutes = profile.weekly_minutes
    if minutes is not None and not (isinstance(minutes, Real) and minutes >= 0):
        raise ProfileValueError(
            profile.student_id, f"weekly_minutes {minutes!r}: expected minutes >= 0"
        )
    bad = {t: w for t, w in interests.items() if not 0.0 <= w <= 1.0}
    if bad:
        hint = " (percentages? divide by 100)" if all(0 <= w <= 100 for w in bad.values()) else ""
        raise ProfileValueError(
            profile.student_id, f"interests {bad}: expected weights in [0, 1]{hint}"
        )


#: The profile's fields that list ids (skills a student aims for, career cluster names).
ID_LIST_FIELDS = ("goal_skills", "career_clusters")


def _check_id_lists(profile: LearnerProfile) -> None:
    """Goal skills and career clusters are lists of text ids, kept as tuples: one string
    ("sci.hypothesis") was kept as it was, so the policy read it as its characters and the
    goal was never met; a number in the list was never an id of the catalog. A list is made a
    tuple, as the field is typed (a profile built from a list equals one built from a tuple)."""
    for name in ID_LIST_FIELDS:
        value = getattr(profile, name)
        if type(value) is tuple and all(type(v) is str for v in value):
            continue  # the common case: 400,000 a night
        if isinstance(value, str):
            raise ProfileValueError(
                profile.student_id,
                f"{name} = {value!r} (expected a list of ids; one string is not a list: write "
                f"{name}=({value!r},))",
            )
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ProfileValueError(
                profile.student_id, f"{name} = {value!r} (expected a list of ids, each one text)"
            )
        object.__setattr__(profile, name, tuple(value))


def are_profiles(value: object) -> bool:
    """Whether `value` is learner profiles as the library passes them: {student_id:
    LearnerProfile} (what `read_profiles` returns) or a list or tuple of `LearnerProfile`."""
    items = value.values() if isinstance(value, Mapping) else value
    return isinstance(value, Mapping | list | tuple) and all(
        isinstance(p, LearnerProfile) for p in items
    )


def given_instead_of_profiles(value: object) -> str:
    """What was given where profiles go, as an error says it: "str 'profiles.jsonl' (a file
    name: read it with read_profiles(...))", "list of int", "dict of dict"."""
    if isinstance(value, str | Path):
        return (
            f"{type(value).__name__} {str(value)!r} (a file name: read it with "
            f"read_profiles({str(value)!r}))"
        )
    if isinstance(value, Mapping | list | tuple):
        items = list(value.values() if isinstance(value, Mapping) else value)
        inner = next((i for i in items if not isinstance(i, LearnerProfile)), None)
        return f"{type(value).__name__} of {type(inner).__name__}"
    return type(value).__name__


def profile_from_json(line: str, where: str) -> LearnerProfile:
    """One profile from its JSON text (a line of a profiles file); a `ConfigError` naming
    `where` (file and line) for text that is not JSON or not a profile."""
    try:
        return LearnerProfile.from_dict(json.loads(line), where)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: not a learner profile (not JSON: {exc})") from exc


#: What a profiles file is, as errors say it.
PROFILES_EXPECTED = "learner profiles, one JSON object per line (or a CSV / Parquet table)"
#: Separators of a profiles table's list cells: "k1;k2" (goal skills, career clusters) and
#: "animals:0.8;music:0.5" (interests; a topic without a weight weighs 1).
LIST_SEP, WEIGHT_SEP = ";", ":"
_TABLE_SUFFIXES = (".csv", ".parquet")
_WORKBOOK_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".ods")
#: Bad rows listed in a profiles error (the rest counted).
MAX_LISTED = 20


def read_profiles(
    path: str | Path, columns: Mapping[str, str] | None = None
) -> dict[str, LearnerProfile]:
    """Learner profiles by student id, from a JSON-lines file (one `LearnerProfile.to_dict()`
    per line; blank lines skipped) or a table (`.csv`, `.parquet`: a district's roster export)
    with a column per field, named as the fields are (`student_id`, `grade`, `school_id`,
    `class_id`, `weekly_minutes`, `interests`, `goal_skills`, `career_clusters`; an empty cell
    is a field not given) and list cells written "k1;k2", interests "animals:0.8;music" (a
    topic without a weight weighs 1).

    A bad line or row is one error naming the file and line (a CSV row of more or fewer
    fields than its header too: an unquoted "Smith, J" shifts the cells after it into the
    next columns, so none is read), and so is a student on two lines
    (an export with two enrollment records: which one is meant is the district's to say, not
    the last line's), and a table column that is no field (a misspelt "Grade" would otherwise
    leave every student without a grade).

    `columns` reads a roster export as it is: {field: the file's column}, e.g.
    `{"student_id": "SIS ID", "grade": "Grade Level", "class_id": "Homeroom"}` (a table only);
    the file's other columns (names, emails) are then not read, and a named column the file
    lacks is an error with the header's closest name."""
    path = Path(path)
    return {p.student_id: p for p in _checked_profiles(path, columns)}


def profile_field(path: str | Path, field_name: str) -> Iterator[str]:
    """One field of each profile of a profiles file ('' where a row has none), in file order,
    read as `read_profiles` reads it, one row at a time (a roster never sits in memory whole):
    for a check that stops at the first row it needs, before the night reads its log (both
    engines' experiment check), or a pass over a district's ids that holds only them (the
    Spark driver's). Of a table (CSV, Parquet) only the field's column and the student ids
    are parsed (a roster's other columns, interests and goals, are only looked at for a blank
    row: parsed, a Parquet roster of 400,000 students took 1 GB), and its header is checked
    as `read_profiles` checks it. A row whose id or field is no profile's raises its
    `ConfigError` (`read_profiles` lists every bad row, in every column); a row blank there
    but not elsewhere is one (no student id), in a Parquet file as in a CSV."""
    for values in profile_fields(path, (field_name,)):
        yield values[0]


def profile_fields(path: str | Path, field_names: Sequence[str]) -> Iterator[tuple]:
    """`profile_field` of several fields: each profile's `field_names` ('' where it has none),
    in file order, one row at a time (the experiment check's pass over each student's school
    and class id)."""
    path = Path(path)
    for number, make in _profile_rows(path, None, {"student_id", *field_names}):
        p = make(f"{path}, line {number}")
        yield tuple(getattr(p, name) or "" for name in field_names)


def profile_lines(path: str | Path, columns: Mapping[str, str] | None = None) -> dict[str, int]:
    """The line of each student's profile in a profiles file (a table's row numbered as a CSV's
    line: the header is line 1), read again (a roster's `columns` as `read_profiles` reads
    them): for an error that names the rows of some students (file, line, column) rather than
    their ids, which may reach a cron log. A student on two lines keeps their first."""
    path = Path(path)
    lines: dict[str, int] = {}
    for number, make in _profile_rows(path, columns):
        lines.setdefault(make(f"{path}, line {number}").student_id, number)
    return lines


def is_table(path: str | Path) -> bool:
    """Whether a profiles file is a table (CSV, Parquet: a field is a column) rather than
    JSON lines (a field is a key of each line's object)."""
    return Path(path).suffix.lower() in _TABLE_SUFFIXES


def iter_profiles(path: str | Path) -> Iterator[LearnerProfile]:
    """Each profile of a profiles file (JSON lines, CSV or Parquet), streamed, checked as
    `read_profiles` checks them, in memory that does not grow with the district: the Spark
    driver's pass over a roster it never holds whole, which `check_profiles` reads for the
    catalog's topics and goals in the same pass (`batch.spark_job`). It keeps 8 bytes per
    student, a hash of its id and of the id as one student written two ways would share it;
    only when a line is bad or two hashes meet is the file read again by `read_profiles`' own
    check, for its one error naming the lines, raised after the profiles before it (two ids
    meeting by chance alone pass that second check). Classes or schools written two ways are
    said once either way (`_GroupSpellings`)."""
    path = Path(path)
    ids, folded = array("q"), array("q")
    spellings = _GroupSpellings()
    for number, make in _profile_rows(path, None):
        try:
            p = make(f"{path}, line {number}")
        except ConfigError:
            break
        ids.append(hash(p.student_id))
        folded.append(hash(_one_student(p.student_id)))
        spellings.add(p, number)
        yield p
    else:
        if not ids:
            raise ConfigError(empty_roster(path))
        if not (_repeats(ids) or _repeats(folded)):
            spellings.warn(path)
            return
    # a bad line or two hashes met: `read_profiles`' own check raises the file's one error at
    # the end, or, where ids met by chance alone, passes and says the spellings' note itself
    for _ in _checked_profiles(path, None):
        pass


def _repeats(hashes: array) -> bool:
    values = np.sort(np.frombuffer(hashes, np.int64)) if len(hashes) else np.zeros(0, np.int64)
    return bool((values[1:] == values[:-1]).any())


def _profile_rows(
    path: Path, columns: Mapping[str, str] | None, fields: Collection[str] | None = None
) -> Iterator[Row]:
    """The rows of a profiles file, each a (line, make-its-profile) pair; a missing file, a
    workbook or column names for JSON lines is one error. `fields`: of a table, the only
    fields read (`_table_rows`)."""
    if not path.is_file():
        raise ConfigError(f"profiles file {path} not found; expected {PROFILES_EXPECTED}")
    if path.suffix.lower() in _WORKBOOK_SUFFIXES:
        raise ConfigError(
            f"{path}: an Excel workbook; expected {PROFILES_EXPECTED}. Save the roster as CSV "
            "(File > Save As > CSV UTF-8) and give that file"
        )
    table = path.suffix.lower() in _TABLE_SUFFIXES
    if columns and not table:
        raise ConfigError(
            f"{path}: column names are for a roster table (.csv, .parquet); JSON lines name "
            "each field in each line"
        )
    return _table_rows(path, _checked_columns(columns), fields) if table else _json_rows(path)


def _checked_profiles(path: Path, columns: Mapping[str, str] | None) -> Iterator[LearnerProfile]:
    """Each row's profile (`_profile_rows`), in file order; once every row is read, one error
    listing the bad rows, the students on two lines (those in two schools said so:
    `_two_schools`) and those written two ways (if any)."""
    line_of: dict[str, int] = {}
    written_as: dict[str, tuple[str, int]] = {}  # `_one_student` key -> (first id, its line)
    problems: list[ConfigError] = []  # every bad row of the file, in one error (not one per run)
    #: a listed repeat's index in `problems` -> (its line, the student's first line, its profile)
    repeated: dict[int, tuple[int, int, LearnerProfile]] = {}
    total = 0  # the first `MAX_LISTED` kept, the rest counted (a roster of 400,000 bad rows)
    spellings = _GroupSpellings()
    for number, make in _profile_rows(path, columns):
        try:
            p = make(f"{path}, line {number}")
        except ConfigError as exc:
            if not total and not line_of:
                _refuse_other_kind(path)
            total += 1
            if len(problems) < MAX_LISTED:
                problems.append(exc)
            continue
        spellings.add(p, number)
        first = line_of.setdefault(p.student_id, number)
        other, other_line = written_as.setdefault(
            _one_student(p.student_id), (p.student_id, number)
        )
        problem = ""
        if first != number:
            problem = f"the same student id as line {first}"  # the lines name it: no id
        elif other != p.student_id:
            problem = (
                f"student {p.student_id!r} differs from {other!r} on line {other_line} only in "
                "case or leading zeros: one student written two ways?"
            )
        if problem:
            total += 1
            if len(problems) < MAX_LISTED:
                if first != number:
                    repeated[len(problems)] = (number, first, p)
                problems.append(
                    ConfigError(
                        f"{path}, line {number}: {problem}; expected one line per student, "
                        "each id written one way"
                    )
                )
        yield p
    if repeated:
        _two_schools(path, columns, problems, repeated)
    if problems:
        raise _one_error(path, problems, total)
    if not line_of:
        raise ConfigError(empty_roster(path))
    spellings.warn(path)


def _refuse_other_kind(path: Path) -> None:
    """A profiles file whose first line is refused and that looks like a file another option
    reads (a catalog: its skills and activities) is one error saying what it is and the option
    that reads it, rather than one problem a line ("2,162 problems ... line 1: not a learner
    profile (not JSON ...)"); a file of no other kind goes on to its lines' problems."""
    other = refusal_hint(file_kind(path), "profiles")
    if other:
        raise ConfigError(f"{path}: not learner profiles; expected {PROFILES_EXPECTED}; {other}")


class _GroupSpellings:
    """Classes and schools whose ids differ only in case or leading zeros (`one_spelling`:
    "SCH0001-G4A" on one line, "sch0001-g4A" on the others; "104" where a spreadsheet dropped
    the zero of "0104"): ids compare exactly, so the roster's one class is served, reported and
    randomized as two (trials: an experiment's class, or school, split across two arms, without
    a word). Read as given, and said once per kind with the first pair and its lines (ids of
    classes and schools, no student). A class is compared with its own school's classes only:
    a class is its school and class id ("Room g4A" and "room g4A" at two schools are two)."""

    def __init__(self) -> None:
        #: (field, its school for a class, `one_spelling` of an id) -> the id as first written
        #: and its line
        self.first: dict[tuple[str, str, str], tuple[str, int]] = {}
        #: field -> (an id written otherwise, its line, the first spelling, its line)
        self.other: dict[str, list[tuple[str, int, str, int]]] = {}

    def add(self, profile: LearnerProfile, line: int) -> None:
        """Note this line's class and school ids, and any first written otherwise."""
        for field_name in ("class_id", "school_id"):
            value = getattr(profile, field_name)
            if not value:
                continue
            # a class among its school's, that school however written
            school = one_spelling(profile.school_id or "") if field_name == "class_id" else ""
            key = (field_name, school, one_spelling(value))
            seen, at = self.first.setdefault(key, (value, line))
            if seen != value:
                self.other.setdefault(field_name, []).append((value, line, seen, at))

    def warn(self, path: Path) -> None:
        """One `DataNoteWarning` per field with ids written two ways: the first pair, counted."""
        for field_name, pairs in self.other.items():
            value, line, seen, at = pairs[0]
            kind = "class" if field_name == "class_id" else "school"
            kinds = "classes" if kind == "class" else "schools"
            more = f" ({len(pairs):,} lines so)" if len(pairs) > 1 else ""
            how = spelt_apart((value, seen))
            dropped = f" Leading zeros {ZEROS_DROPPED}." if "zeros" in how else ""
            warnings.warn(
                f"{path}, line {line}, {field_name}: {kind} {value!r} differs from {seen!r} "
                f"(line {at}) only in {how}{more}: one {kind} written two ways?{dropped} Ids "
                f"compare exactly, so they are served, reported and randomized as two {kinds}",
                DataNoteWarning,
                stacklevel=4,
            )


def _two_schools(
    path: Path,
    columns: Mapping[str, str] | None,
    problems: list[ConfigError],
    repeated: Mapping[int, tuple[int, int, LearnerProfile]],
) -> None:
    """Say so where a student's two lines differ only in school (and class): a student who
    moved school mid-year (a roster exported with both enrolments) or is enrolled in two
    schools, which a roster of one line per student cannot hold. The first
    lines are read again (an error's path only: a night's read keeps no profile)."""
    wanted = {first for _, first, _ in repeated.values()}
    firsts = {}
    for number, make in _profile_rows(path, columns):
        if number in wanted:
            firsts[number] = make(f"{path}, line {number}")
    for at, (number, first, profile) in repeated.items():
        earlier = firsts.get(first)
        if earlier is None or earlier.school_id == profile.school_id:
            continue
        apart = {"school_id": None, "class_id": None}
        if dataclasses.replace(earlier, **apart) != dataclasses.replace(profile, **apart):
            continue
        problems[at] = ConfigError(
            f"{path}, line {number}: the same student id as line {first}, in another school "
            f"({profile.school_id!r}; line {first}: {earlier.school_id!r}): a mid-year "
            "transfer, or enrolled in two schools? expected one line per student: keep the "
            "line of the school they are in now (a transfer: the new school; two schools at "
            "once: their home school). The other "
            "school can go in a column the reader does not read (with --columns / columns=, "
            "a column not named)"
        )


def empty_roster(path: Path) -> str:
    """The words for a profiles file without one student (a roster exported with its filter
    set wrong, a header alone): served anyway, every student of the log would be placed from
    nothing, in school 'unassigned', without their grade, class or interests."""
    return (
        f"{path}: no student in it (an empty roster, or a header alone); expected "
        f"{PROFILES_EXPECTED}"
    )


def _one_student(student_id: str) -> str:
    """Ids that name one student written two ways ("S0013" and "s0013", a spreadsheet's "4501"
    for "004501") share this key: ids compare exactly everywhere, so a roster holding both
    would serve them as two students."""
    return student_id.casefold().lstrip("0")


def _one_error(path: Path, problems: list[ConfigError], total: int) -> ConfigError:
    """The file's `total` problems (the first listed) as one error of their type (a lone one
    as it was raised: a `RecordError` stays one)."""
    if total == 1:
        return problems[0]
    kind = type(problems[0]) if len({type(p) for p in problems}) == 1 else ConfigError
    shown = "\n  - ".join(str(p) for p in problems)
    extra = total - len(problems)
    more = f"\n  ... and {extra:,} more" if extra > 0 else ""
    return kind(f"{total:,} problems in {path}:\n  - {shown}{more}")


def write_profiles(
    profiles: Mapping[str, LearnerProfile] | Iterable[LearnerProfile | dict[str, Any]],
    path: str | Path,
) -> None:
    """Profiles as a JSON-lines file (one `to_dict()` per line, keys sorted; written atomically):
    what `read_profiles` reads back, and the form the Spark engine streams. A table read by
    `read_profiles("roster.csv")` is written for Spark as `write_profiles(that, "p.jsonl")`."""
    items = profiles.values() if isinstance(profiles, Mapping) else profiles
    lines = (
        json.dumps(p.to_dict() if isinstance(p, LearnerProfile) else p, sort_keys=True)
        for p in items
    )
    atomic_write_bytes(Path(path), ("\n".join(lines) + "\n").encode())


Row = tuple[int, Callable[[str], LearnerProfile]]


def _json_rows(path: Path) -> Iterator[Row]:
    for number, line in user_text_lines(path, PROFILES_EXPECTED):
        if line.strip():
            yield number, functools.partial(profile_from_json, line)


def _checked_columns(columns: Mapping[str, str] | None) -> dict[str, str] | None:
    """{field: file column} with every key a profile field (a typo names its closest)."""
    if not columns:
        return None
    fields = [f.name for f in dataclasses.fields(LearnerProfile)]
    unknown = [k for k in columns if k not in fields]
    if unknown:
        raise ConfigError(f"profile columns: {unknown_keys(unknown, fields, 'field')}")
    return {str(k): str(v).strip() for k, v in columns.items()}


def _table_rows(
    path: Path, columns: dict[str, str] | None = None, fields: Collection[str] | None = None
) -> Iterator[Row]:
    """(file line, its profile's maker) of each row of a CSV or Parquet profiles table (a
    Parquet row's "line" counts as a CSV's would: the header is line 1); `columns` renames
    the file's columns to fields and reads only those. `fields`: the only fields read (and
    their rows' profiles made of them alone): the other fields' cells are never made Python
    values, only looked at to tell a blank row (skipped) from one whose read cells alone are
    empty (refused, as `read_profiles` refuses it); the whole header is checked all the
    same. A Parquet file is read a batch of rows at a time."""
    parquet = path.suffix.lower() == ".parquet"
    if parquet:
        pfile = pq.ParquetFile(path)
        names = pfile.schema_arrow.names
    else:
        # streamed as the JSON lines are: a district's roster never sits in memory whole; `,`
        # or (Excel in many locales) `;` between fields, told from the header as a response
        # log's is (a list cell holding `;` is then quoted, as Excel writes it)
        _, sep = read_header(path, None, None, "csv")
        lines_read = (text for _, text in user_text_lines(path, PROFILES_EXPECTED))
        reader = csv.reader(lines_read, delimiter=sep)
        names = next(reader, [])
    header = list(names)
    if columns:
        names = _renamed(path, names, columns)
    known = {f.name for f in dataclasses.fields(LearnerProfile)}
    unknown = [n for n in names if n not in known and n is not None]
    if unknown or "student_id" not in names:
        raise ConfigError(_not_profile_columns(path, header, unknown, known))
    _refuse_repeated_fields(path, header, names)
    column_of = dict(zip(names, header, strict=True))  # field -> the file's column, for errors
    named = [i for i, n in enumerate(names) if n is not None]
    read = [i for i in named if fields is None or names[i] in fields]
    read_names = [names[i] for i in read]
    if parquet:
        lines = _parquet_rows(pfile, [header[i] for i in read], [header[i] for i in named])
    else:
        lines = _csv_rows(reader, read, named, header, sep)
    for number, values in lines:
        if isinstance(values, str):  # a row whose cells are out of line with the header
            yield number, functools.partial(_refused, values)
            continue
        cells = {n: v for n, v in zip(read_names, values, strict=True) if v not in ("", None)}
        yield number, functools.partial(_row_profile, cells, column_of)


def _csv_rows(
    reader: Iterator[list[str]], read: list[int], named: list[int], header: list[str], sep: str
) -> Iterator[tuple[int, list[str] | str]]:
    """(line, the cells of the `read` columns) of each CSV row that is not blank in every
    column read as a field (a quoted cell may span lines: the line is the row's last). A row
    of more or fewer fields than the header comes with the words of its refusal instead, as
    the response log's reader words it (`fields_expected`): its cells are out of line with
    the header (an unquoted "Smith, J" in a Teacher column put the student in class "J", and
    an interests cell "art,cooking" lost "cooking"), so none of them is read; so does a row
    repeating the header (rosters joined into one: it loaded a student "student_id"; the
    second export's byte order mark before it too: `is_header_row`), as the response log's
    reader words it (`REPEATED_HEADER_EXPECTED`). A line of separators alone is blank."""
    n_fields, names = len(header), [name.strip() for name in header]
    for row in reader:
        if is_header_row(row, names):
            yield reader.line_num, f"expected {REPEATED_HEADER_EXPECTED}"
            continue
        if len(row) != n_fields:
            if any(cell.strip() for cell in row):
                yield reader.line_num, _fields_refusal(n_fields, sep, len(row))
            continue
        if any(row[i] != "" for i in named):
            yield reader.line_num, [row[i] for i in read]


def _fields_refusal(n_fields: int, sep: str, got: int) -> str:
    """Why a CSV row of `got` fields is refused, with how the row is written right."""
    expected = f"expected {fields_expected(n_fields, sep, got)}"
    if got < n_fields:
        return f"{expected}: a row cut short?"
    return (
        f'{expected}: a cell holding {sep!r} is written quoted ("Smith{sep} J", as a '
        "spreadsheet saves it as CSV), else the cells after it are read as the next columns'"
    )


def _refused(problem: str, where: str) -> LearnerProfile:
    """A row's maker that refuses it (`where`: its file and line)."""
    raise ConfigError(f"{where}: {problem}")


def _refuse_repeated_fields(path: Path, header: list[str], names: list[str | None]) -> None:
    """One error where two of a table's columns are read as the same field (a header naming
    `class_id` twice, or a column renamed onto another's field): which cell a profile took
    would depend on the reader (a Parquet roster's cells went out of line with its names)."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name is None:
            continue
        if name in seen:
            first = seen[name]
            raise ConfigError(
                f"{path}, line 1: columns {first + 1} ({header[first]!r}) and {i + 1} "
                f"({header[i]!r}) are both read as the profile field {name!r}; expected each "
                "field once: drop or rename one of them"
            )
        seen[name] = i


def _parquet_rows(
    pfile: pq.ParquetFile, columns: list[str], named: list[str]
) -> Iterator[tuple[int, list]]:
    """(line, the cells of `columns` in their order) of each row of a Parquet file that is not
    blank in every `named` column (those read as fields), its line counted as a CSV's would
    be (the header is line 1); `_PARQUET_BATCH` rows at a time (a file written whole is one
    row group of every row: as Python values, 400,000 rows of two id columns took 190 MB).
    The named columns not in `columns` are read as Arrow arrays only, to tell a blank row
    from one whose read cells alone are empty: that row was skipped without a word, where a
    CSV's is refused ("missing field 'student_id'")."""
    start = 2
    for batch in pfile.iter_batches(_PARQUET_BATCH, columns=named):
        at = np.flatnonzero(_filled_rows(batch))
        cells = pa.Table.from_batches([batch]).select(columns).take(at)
        for offset, row in zip(at.tolist(), cells.to_pylist(), strict=True):
            yield start + offset, list(row.values())
        start += batch.num_rows


def _filled_rows(batch: pa.RecordBatch) -> np.ndarray:
    """Whether each row of `batch` has a cell given (neither null nor empty text)."""
    filled = np.zeros(batch.num_rows, bool)
    for column in batch.columns:
        if pa.types.is_dictionary(column.type):  # pandas' category: its values' type counts
            column = column.dictionary_decode()
        given = pc.is_valid(column)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            given = pc.and_kleene(given, pc.not_equal(column, ""))
        elif pa.types.is_string_view(column.type):
            given = pc.and_kleene(given, pc.not_equal(column.cast(pa.string()), ""))
        filled |= given.fill_null(False).to_numpy(zero_copy_only=False)
    return filled


#: Rows of a Parquet profiles table read at a time (`_parquet_rows`).
_PARQUET_BATCH = 8_192


def _not_profile_columns(
    path: Path, header: list[str], unknown: list[str], fields: Collection[str]
) -> str:
    """Why a table's header is refused as a profiles table: the columns that are no field (or
    no student_id among them) and its whole header; then what the file looks like when it is
    another kind (a placement table: give it as --placement), else how a roster with its own
    column names is read."""
    n = len(unknown)
    what = (
        f"{'column' if n == 1 else 'columns'} {column_names(unknown)} {verb(n, 'is')} no profile "
        f"{'field' if n == 1 else 'fields'}"
        if unknown
        else "no student_id column"
    )
    if unknown != header:
        what += f" (the header: {column_names(header)})"
    other = refusal_hint(file_kind(path), "profiles")
    advice = (
        f"; {other}"
        if other
        else ". A roster with its own column names or other columns (names, e-mails) is read by "
        f"naming its columns: `adaptive profiles {shlex.quote(str(path))} --columns "
        "'student_id=SIS ID,grade=Grade Level' --out profiles.jsonl`, then give profiles.jsonl "
        "(`read_profiles(path, columns={...})`): only the columns named are read"
    )
    return (
        f"{path}, line 1: {what}; expected the profile's fields as columns "
        f"({', '.join(sorted(fields))}), student_id among them{advice}"
    )


def _row_profile(
    cells: dict[str, object], column_of: Mapping[str, str], where: str
) -> LearnerProfile:
    """A table row's profile (`where`: its file and line): a list cell written with another
    separator than the documented ones is refused naming its column (`_separator_problem`),
    then the cells are read as the JSON record's fields (`_cell`)."""
    for name, value in cells.items():
        problem = _separator_problem(name, value)
        if problem:
            raise ConfigError(f"{where}, column {column_of[name]!r}: {value!r}: {problem}")
    labels = {n: f"column {column_of[n]!r} ({n})" for n in cells if column_of[n] != n}
    return LearnerProfile.from_dict({n: _cell(n, v) for n, v in cells.items()}, where, labels)


#: Separators an export may put in a list cell that are not the roster's (`;` between entries,
#: `:` before an interest's weight): those a response log's skill cell is checked for
#: (`data.skill_lists.SKILL_SEPARATORS`), and `=` before a weight ("sports=0.8").
OTHER_SEPARATORS = tuple(s for s in SKILL_SEPARATORS if s != LIST_SEP)
#: The form of each list cell that is checked, as a refusal says it.
_CELL_FORMS = {
    "interests": "topic:weight;topic (';' between topics, ':' before a weight: "
    "'animals:0.8;music')",
    "goal_skills": "skill;skill (';' between skill ids: '8.NS.A.4;8.OA.A.4')",
}


def _separator_problem(name: str, value: object) -> str:
    """Why a roster's interests or goal skills cell is refused, or "" when it is not: one
    written "sports=0.8,music" or "8.NS.A.4, 8.OA.A.4" would be read as one topic (or skill)
    id, and the student would lose every interest (or goal). A topic whose own name holds one
    of these characters ("arts+crafts") cannot be named in a roster so: rename it in the
    catalog. The career_clusters column is not checked: a cluster's name may hold a comma
    ("Arts, A/V Technology & Communications")."""
    form = _CELL_FORMS.get(name)
    if form is None or not isinstance(value, str):
        return ""
    others = OTHER_SEPARATORS + ("=",) if name == "interests" else OTHER_SEPARATORS
    found = [sep for sep in others if sep in value]
    if not found:
        return ""
    return f"expected {form}, not {' or '.join(repr(sep) for sep in found)}"


def _renamed(path: Path, header: list[str], columns: dict[str, str]) -> list[str | None]:
    """The header as fields (None: a column not read: neither named in `columns` nor a field
    name); the named columns the file lacks are one error, each with the header's closest
    name."""
    field_of = {column: field for field, column in columns.items()}
    missing = [c for c in columns.values() if c not in header]
    if missing:
        named = []
        for column in missing:
            close = closest_name(column, header)
            named.append(f"{column!r}" + (f" (did you mean {close!r}?)" if close else ""))
        raise ConfigError(
            f"{path}, line 1: no column {', '.join(named)}; the header has: {column_names(header)}"
        )
    fields = {f.name for f in dataclasses.fields(LearnerProfile)} - set(columns)
    return [field_of.get(name, name if name in fields else None) for name in header]


def _cell(name: str, value: object) -> object:
    """A table cell as its JSON field would be: list cells split, interest weights read;
    text that is no number stays text (the record's check names it)."""
    if isinstance(value, int) and not isinstance(value, bool) and name.endswith("_id"):
        return str(value)  # a Parquet column of numeric ids: ids are text, as the log reads them
    if not isinstance(value, str):
        return value
    text = value.strip()
    if name in ("goal_skills", "career_clusters"):
        return [v.strip() for v in text.split(LIST_SEP) if v.strip()]
    if name == "interests":
        pairs = [v.partition(WEIGHT_SEP) for v in text.split(LIST_SEP) if v.strip()]
        return {t.strip(): _number(w) if sep else 1.0 for t, sep, w in pairs}
    if name == "weekly_minutes":
        return _number(text)
    return text


def _number(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text.strip()
