"""Skills, activities and the catalog that holds them with its prerequisite graph (a DAG).

Small typed dataclasses with JSON round-trips (`to_dict` / `from_dict`), so a catalog can live in
any database or file. Hot paths (the policy, the batch job) use the array views that `Catalog`
computes once: `skill_index`, `activity_skill_matrix`, `prerequisite_matrix`.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import warnings
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse

from adaptive.curriculum.cycles import PrerequisiteCycleError, find_cycles
from adaptive.data.codes import id_text
from adaptive.data.kinds import JSON_KINDS, file_kind, refusal_hint
from adaptive.errors import (
    ConfigError,
    DataNoteWarning,
    DataValidationError,
    closest_name,
    counted,
    some_of,
)
from adaptive.files import read_user_text
from adaptive.grades import parse_grade
from adaptive.records import RecordError, from_record, to_record

ActivityKind = Literal["practice", "review", "project", "assessment"]
ACTIVITY_KINDS: tuple[str, ...] = ("practice", "review", "project", "assessment")


@dataclass(frozen=True)
class Skill:
    """A skill (knowledge component) and the skills that must be mastered before it."""

    id: str
    name: str = ""
    prerequisites: tuple[str, ...] = ()
    grade: int | None = None
    standard: str | None = None

    def __post_init__(self) -> None:
        _trim_ids(self, "prerequisites")
        _set_grade(self, f"skill {self.id!r}")

    def to_dict(self) -> dict[str, Any]:
        return to_record(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "skill") -> Skill:
        """A skill from a JSON record, every field checked (`adaptive.records`)."""
        return from_record(cls, d, where)


@dataclass(frozen=True)
class Activity:
    """Something a student can do: practise, review, a project, an assessment."""

    id: str
    title: str
    skills: tuple[str, ...]
    difficulty: float = 0.0  # logit shift: > 0 harder than the skill's typical item
    topics: tuple[str, ...] = ()
    expected_minutes: float = 10.0
    kind: ActivityKind = "practice"
    grade: int | None = None
    standard: str | None = None

    def __post_init__(self) -> None:
        _trim_ids(self, "skills")
        _set_grade(self, f"activity {self.id!r}")
        if not self.skills:
            raise ConfigError(f"activity {self.id!r}: expected at least one skill")
        if self.kind not in ACTIVITY_KINDS:
            raise ConfigError(
                f"activity {self.id!r}: kind {self.kind!r}, expected one of {ACTIVITY_KINDS}"
            )
        if not self.expected_minutes > 0:
            raise ConfigError(
                f"activity {self.id!r}: expected_minutes {self.expected_minutes}, expected > 0"
            )
        if not np.isfinite(self.difficulty):
            raise ConfigError(
                f"activity {self.id!r}: difficulty {self.difficulty}, expected a finite number"
            )

    def to_dict(self) -> dict[str, Any]:
        return to_record(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "activity") -> Activity:
        """An activity from a JSON record, every field checked (`adaptive.records`)."""
        return from_record(cls, d, where)


def _trim_ids(record: Skill | Activity, links: str) -> None:
    """A record's id and the ids it links to (`links`: a skill's prerequisites, an activity's
    skills) trimmed, as ids are read everywhere: "Pattern Finding " in a catalog and "Pattern
    Finding" in a log are one skill. An id that is empty once trimmed is an error."""
    kind = type(record).__name__.lower()
    linked = getattr(record, links)
    if not isinstance(linked, list | tuple):
        return  # the record check names a field of the wrong type
    ids = [record.id, *linked]
    if not all(isinstance(i, str) for i in ids):
        return  # the record check (`adaptive.records`) names a non-text id
    trimmed = [i.strip() for i in ids]
    if not trimmed[0]:
        raise ConfigError(f"{kind} {record.id!r}: expected a non-empty id")
    if not all(trimmed[1:]):
        raise ConfigError(f"{kind} {trimmed[0]!r}: an empty id among its {links}")
    if trimmed != ids:
        object.__setattr__(record, "id", trimmed[0])
        object.__setattr__(record, links, tuple(trimmed[1:]))


def _set_grade(record: Skill | Activity, where: str) -> None:
    """A record's grade as a whole number ("K" is 0: `adaptive.grades`), checked once here."""
    grade = parse_grade(record.grade, where)
    if grade is not record.grade:
        object.__setattr__(record, "grade", grade)


def _named(record: Any) -> str:
    """` ('id')` after a record's position when it has an id, for error messages."""
    return f" ({record['id']!r})" if isinstance(record, dict) and "id" in record else ""


def _at(list_name: str, position: int, record_id: str) -> str:
    """A record as an error names it, by its list, position and id: "activities[1] ('a1')"
    (as the record checks of `from_dict` name it)."""
    return f"{list_name}[{position}] ({record_id!r})"


def _repeats(keys: Sequence[str]) -> list[tuple[int, int]]:
    """(first position, later position) of each key met again, in list order."""
    first: dict[str, int] = {}
    pairs = []
    for i, key in enumerate(keys):
        if key in first:
            pairs.append((first[key], i))
        else:
            first[key] = i
    return pairs


#: A catalog's records, each with its position in its list (a file's records that did not
#: read leave gaps: `Catalog.from_dict`), as the problems name them.
Numbered = Sequence[tuple[int, Any]]


def _repeated_ids(records: Numbered, list_name: str, noun: str) -> list[str]:
    """Each id once: a duplicate is a problem naming both records by position (they may differ
    in content), with a count of the other ids given twice."""
    ids = [record.id for _, record in records]
    pairs = _repeats(ids)
    if not pairs:
        return []
    j, i = pairs[0]
    first, again = _at(list_name, records[j][0], ids[j]), _at(list_name, records[i][0], ids[i])
    more = f" ({counted(len(pairs) - 1, 'other id')} given twice too)" if len(pairs) > 1 else ""
    return [
        f"{first} and {again}: the {noun} id {ids[i]!r} is given twice{more}; expected each "
        f"{noun} once"
    ]


def _unknown_links(records: Numbered, list_name: str, links: str, known: set[str]) -> list[str]:
    """A problem for each record that links to skills the catalog lacks (`links`: a skill's
    prerequisites, an activity's skills), with the closest catalog id."""
    problems = []
    for i, record in records:
        missing = [s for s in getattr(record, links) if s not in known]
        if missing:
            problems.append(
                f"{_at(list_name, i, record.id)}: unknown {links} {_unknown(missing, known)}; "
                "expected ids of the catalog's skills"
            )
    return problems


def _problems_error(problems: Sequence[str], error: type[ConfigError] = ConfigError) -> ConfigError:
    """Every problem of a catalog as one error: the problem itself where there is one, else a
    count and a line each (as a log's problems are listed)."""
    if len(problems) == 1:
        return error(problems[0])
    listed = "\n".join(f"  - {p}" for p in problems)
    return error(f"{counted(len(problems), 'problem')}:\n{listed}")


def _case_twins(names: Sequence[str]) -> tuple[int, int, str] | None:
    """(first, later) positions of the first two names that differ only in case, and the words
    for the other such pairs (" (2 other pairs too)", '' when none); None when there are none."""
    pairs = _repeats([n.casefold() for n in names])
    if not pairs:
        return None
    more = f" ({counted(len(pairs) - 1, 'other pair')} too)" if len(pairs) > 1 else ""
    return (*pairs[0], more)


def case_twins_note(ids: Sequence[str], list_name: str, noun: str) -> str | None:
    """The note for ids that differ only in case ("4.NF.B.3a", "4.nf.b.3A"), naming the first
    pair by position, or None. A note, not an error: they are two records as asked (the Junyi
    map has two exercises so named), but a district's log, roster or overrides that writes a
    code in either case means one of them only, so one is likely the other mistyped."""
    twins = _case_twins(ids)
    if twins is None:
        return None
    j, i, more = twins
    return (
        f"{_at(list_name, j, ids[j])} and {_at(list_name, i, ids[i])} are two {noun} ids that "
        f"differ only in case{more}: a log, roster or overrides file means exactly one of them "
        f"as written; if they are one {noun}, keep one"
    )


def topic_case_note(topics: Sequence[str], activities: Sequence[Activity]) -> str | None:
    """The note for topics that differ only in case ("Food", "food"), naming both spellings
    and the first activity of each, or None. A note, as for ids (`case_twins_note`): they are
    two topics as written, but a profile's interest matches exactly one of them, so an
    activity tagged the other way is not served to the students it interests."""
    twins = _case_twins(topics)
    if twins is None:
        return None
    j, i, more = twins
    return (
        f"topics {_topic_user(topics[j], activities)} and {_topic_user(topics[i], activities)} "
        f"differ only in case{more}: a profile's interest matches exactly one of them as "
        "written; if they are one topic, write it one way"
    )


def _topic_user(topic: str, activities: Sequence[Activity]) -> str:
    """A topic as a note names it, with the first activity that has it: "'food' (of
    activities[3] ('A4'))"; the topic alone where no activity has it (a listed one)."""
    first = next((i for i, a in enumerate(activities) if topic in a.topics), None)
    if first is None:
        return repr(topic)
    return f"{topic!r} (of {_at('activities', first, activities[first].id)})"


def _unknown(missing: Sequence[str], known: Collection[str]) -> str:
    """Unknown ids as an error lists them, with the closest catalog id of the first:
    "['4.nf.b.3a'] (did you mean '4.NF.B.3a'?)"."""
    close = closest_name(missing[0], known)
    return f"{list(missing)}" + (f" (did you mean {close!r}?)" if close else "")


def _catalog_problems(
    skills: Numbered, activities: Numbered, listed_topics: Any, skill_ids: Collection[str] = ()
) -> tuple[tuple[str, ...], list[str]]:
    """The catalog's topics (`_catalog_topics`) and every problem of its records, each record
    given with its position (`Numbered`): ids given twice, links to skills the catalog lacks
    (`skill_ids`: a file's skill ids, its records that did not read included: not called
    unknown), the topics list, and activities' topics it lacks."""
    known = {skill.id for _, skill in skills} | set(skill_ids)
    topics, topic_problems = _catalog_topics(listed_topics, [a for _, a in activities])
    return topics, [
        *_repeated_ids(skills, "skills", "skill"),
        *_unknown_links(skills, "skills", "prerequisites", known),
        *_repeated_ids(activities, "activities", "activity"),
        *_unknown_links(activities, "activities", "skills", known),
        *topic_problems,
        *_unlisted_topics(topics, activities),
    ]


def _catalog_topics(listed: Any, activities: Sequence[Activity]) -> tuple[tuple[str, ...], list]:
    """The catalog's topics: its `topics` list, each once; without one (or an empty one), the
    activities' topics, sorted; and the list's problems. The list as one string ("animals,
    art") is a problem, not a list of its characters (the activities' topics stand in for it,
    so none of theirs is also called unlisted)."""
    own = tuple(sorted({t for a in activities for t in a.topics}))
    if listed is None or (isinstance(listed, list | tuple) and not listed):
        return own, []
    if not isinstance(listed, list | tuple) or not all(isinstance(t, str) for t in listed):
        return own, [
            f"topics = {listed!r:.60} (expected a list of topic names, e.g. "
            '["animals", "art"], or no "topics" to take the activities\' topics)'
        ]
    again = Counter(listed[i] for _, i in _repeats(listed))
    return tuple(listed), [
        f"topics: {t!r} is listed {'twice' if n == 1 else f'{n + 1} times'}; expected each "
        "topic once"
        for t, n in again.items()
    ]


def _unlisted_topics(topics: Sequence[str], activities: Numbered) -> list[str]:
    """A problem for each activity's topic the catalog's topics lack: an interest matches a
    topic by its exact name, so a topic the list lacks ("space" left out, "Animals " for
    "animals") is named with its activity (it crashed scoring)."""
    known = set(topics)
    listed = [a for _, a in activities]
    return [
        _topic_not_listed(i, a, topic, topics, listed)
        for i, a in activities
        for topic in a.topics
        if topic not in known
    ]


def _topic_not_listed(
    position: int,
    activity: Activity,
    topic: str,
    listed: Sequence[str],
    activities: Sequence[Activity],
) -> str:
    """Why an activity's topic is refused: the activity, the topic (and the listed one it
    likely means), how many activities name it, the list, and the two ways to mend it."""
    close = closest_name(topic.strip(), listed)  # "Art " reads as "art"
    hint = f" (did you mean {close!r}?)" if close else ""
    users = sum(topic in a.topics for a in activities)
    also = f" (named by {counted(users, 'activity', 'activities')})" if users > 1 else ""
    shown = some_of([repr(t) for t in listed], 20)
    return (
        f"{_at('activities', position, activity.id)}: topic {topic!r}{also} is not in the "
        f"catalog's \"topics\" list{hint}; expected every activity's topics in it: add it "
        f'there, or leave "topics" out to take the activities\' topics. The list: {shown}'
    )


@dataclass(frozen=True)
class Catalog:
    """Skills and activities. Validated on construction: known ids, acyclic prerequisites."""

    skills: tuple[Skill, ...]
    activities: tuple[Activity, ...] = ()
    topics: tuple[str, ...] = field(default=())

    #: the file `from_json` read the catalog from (None: built in Python), for messages about
    #: it; not a field: two catalogs of the same skills and activities are the same catalog
    read_from = None

    def __post_init__(self) -> None:
        topics, problems = _catalog_problems(
            tuple(enumerate(self.skills)), tuple(enumerate(self.activities)), self.topics
        )
        if problems:
            raise _problems_error(problems)
        prerequisites = {s.id: s.prerequisites for s in self.skills}
        if find_cycles(prerequisites):
            raise PrerequisiteCycleError(
                prerequisites,
                {s.id: s.grade for s in self.skills if s.grade is not None},
                positions={s: i for i, s in enumerate(prerequisites)},
            )
        object.__setattr__(self, "topics", topics)

    # -- lookups and array views (computed once) ------------------------------------------------
    @cached_property
    def sha256(self) -> str:
        """sha256 of the catalog's canonical JSON (sorted keys): two catalogs are the same
        catalog exactly when they agree here, ids, order, prerequisites, grades and topics."""
        canonical = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @cached_property
    def skill_index(self) -> pd.Index:
        return pd.Index([s.id for s in self.skills], name="skill_id")

    @cached_property
    def skill_ids(self) -> tuple[str, ...]:
        """The skills' ids in order, as a tuple: cheap to compare and hash (iterating
        `skill_index`, pandas' string index, cost a request ~0.1 ms)."""
        return tuple(s.id for s in self.skills)

    @cached_property
    def activity_index(self) -> pd.Index:
        return pd.Index([a.id for a in self.activities], name="activity_id")

    @cached_property
    def topic_index(self) -> pd.Index:
        return pd.Index(list(self.topics), name="topic")

    def skill(self, skill_id: str) -> Skill:
        return self.skills[self.skill_index.get_loc(skill_id)]

    def activity(self, activity_id: str) -> Activity:
        return self.activities[self.activity_index.get_loc(activity_id)]

    @cached_property
    def prerequisite_matrix(self) -> sparse.csr_matrix:
        """P[i, j] = 1 when skill j is a direct prerequisite of skill i (n_skills x n_skills)."""
        rows, cols = [], []
        for i, s in enumerate(self.skills):
            for p in s.prerequisites:
                rows.append(i)
                cols.append(self.skill_index.get_loc(p))
        n = len(self.skills)
        return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))

    @cached_property
    def activity_skill_matrix(self) -> sparse.csr_matrix:
        """A[a, j] = 1 / n_skills(a) when activity a practises skill j (rows sum to 1)."""
        rows, cols, vals = [], [], []
        for a_i, a in enumerate(self.activities):
            for s in a.skills:
                rows.append(a_i)
                cols.append(self.skill_index.get_loc(s))
                vals.append(1.0 / len(a.skills))
        shape = (len(self.activities), len(self.skills))
        return sparse.csr_matrix((vals, (rows, cols)), shape=shape)

    @cached_property
    def activity_topic_matrix(self) -> sparse.csr_matrix:
        """T[a, t] = 1 when activity a is about topic t."""
        rows, cols = [], []
        for a_i, a in enumerate(self.activities):
            for t in a.topics:
                rows.append(a_i)
                cols.append(self.topic_index.get_loc(t))
        return sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(self.activities), len(self.topics))
        )

    @cached_property
    def topological_order(self) -> list[str]:
        """Skill ids, every prerequisite before the skills that need it (ties by catalog order)."""
        return topological_sort({s.id: s.prerequisites for s in self.skills})

    @cached_property
    def prerequisite_depth(self) -> np.ndarray:
        """(n_skills,) edges on the longest prerequisite chain above each skill (0: none)."""
        return self._longest_chains(same_grade=False)

    @cached_property
    def depth_in_grade(self) -> np.ndarray:
        """(n_skills,) edges on the longest chain of prerequisites of the skill's own grade above
        each skill (0: none of its grade): its place in the grade's teaching order. A strand
        that starts in kindergarten and one that starts in grade 3 both open grade 4 with a
        skill of depth 0 here, where `prerequisite_depth` (the whole graph's) put the late
        strand's skills first in every grade."""
        return self._longest_chains(same_grade=True)

    def _longest_chains(self, same_grade: bool) -> np.ndarray:
        """Edges on the longest prerequisite chain above each skill (only links between skills
        of one grade where `same_grade`), prerequisites first in topological order."""
        pos = self._skill_positions
        grade = self.skill_grades
        depth = np.zeros(len(self.skills), np.int64)
        for sid in self.topological_order:
            i = pos[sid]
            above = [depth[pos[p]] + 1 for p in self.skill(sid).prerequisites
                     if not same_grade or grade[pos[p]] == grade[i]]  # fmt: skip
            if above:
                depth[i] = max(above)
        return depth

    @cached_property
    def curriculum_order(self) -> np.ndarray:
        """Skill codes in teaching order: by grade (skills without one last), then prerequisites
        first (topological order)."""
        pos = self._skill_positions
        topo = np.empty(len(self.skills), np.int64)
        topo[[pos[s] for s in self.topological_order]] = np.arange(len(self.skills))
        return np.lexsort((topo, np.nan_to_num(self.skill_grades, nan=np.inf)))

    @cached_property
    def prerequisite_closure(self) -> np.ndarray:
        """(n_skills, n_skills) bool: [g, s] when s is g itself or one of g's ancestors
        (a prerequisite, directly or not)."""
        pos = self._skill_positions
        closure = np.eye(len(self.skills), dtype=bool)
        for sid in self.topological_order:  # prerequisites first
            for p in self.skill(sid).prerequisites:
                closure[pos[sid]] |= closure[pos[p]]
        return closure

    def ancestors(self, skill_id: str) -> set[str]:
        """Every skill that must be mastered, directly or not, before `skill_id`."""
        seen: set[str] = set()
        stack = list(self.skill(skill_id).prerequisites)
        while stack:
            s = stack.pop()
            if s not in seen:
                seen.add(s)
                stack.extend(self.skill(s).prerequisites)
        return seen

    # -- padded code arrays for vectorized simulation and scoring (-1 pads) ----------------------
    @cached_property
    def prerequisite_codes(self) -> np.ndarray:
        """(n_skills, max_prerequisites) int32: each skill's direct prerequisites, -1 pad."""
        pos = self._skill_positions
        return _padded_codes([[pos[p] for p in s.prerequisites] for s in self.skills])

    @cached_property
    def activity_skill_codes(self) -> np.ndarray:
        """(n_activities, max_skills) int32: codes of each activity's skills, -1 pad."""
        pos = self._skill_positions
        return _padded_codes([[pos[k] for k in a.skills] for a in self.activities])

    @cached_property
    def _skill_positions(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.skills)}

    @cached_property
    def activity_difficulty(self) -> np.ndarray:
        return np.array([a.difficulty for a in self.activities], dtype=np.float64)

    @cached_property
    def activity_minutes(self) -> np.ndarray:
        return np.array([a.expected_minutes for a in self.activities], dtype=np.float64)

    @cached_property
    def activity_kind_codes(self) -> np.ndarray:
        """int8 code of each activity's kind: its position in `ACTIVITY_KINDS`."""
        return np.array([ACTIVITY_KINDS.index(a.kind) for a in self.activities], dtype=np.int8)

    # -- curriculum scope: grade bands and standards ----------------------------------------------
    @cached_property
    def skill_grades(self) -> np.ndarray:
        """Grade of each skill as float (NaN where the catalog gives none)."""
        return np.array([np.nan if s.grade is None else s.grade for s in self.skills], dtype=float)

    @cached_property
    def activity_grades(self) -> np.ndarray:
        """Grade of each activity: its own, else the highest grade of its skills (NaN if none)."""
        grades = self.skill_grades
        out = np.full(len(self.activities), np.nan)
        for i, a in enumerate(self.activities):
            if a.grade is not None:
                out[i] = a.grade
            else:
                g = grades[[self._skill_positions[k] for k in a.skills]]
                out[i] = np.nan if np.isnan(g).all() else np.nanmax(g)
        return out

    def activity_standards(self) -> list[str | None]:
        """Standard of each activity: its own, else its first skill's."""
        return [a.standard or self.skill(a.skills[0]).standard for a in self.activities]

    def in_scope(
        self,
        grade_band: tuple[int, int] | None = None,
        standards: Iterable[str] | None = None,
    ) -> np.ndarray:
        """Boolean mask over activities inside a curriculum scope.

        `grade_band=(low, high)` keeps activities whose grade lies in the band (inclusive);
        activities without a grade are outside any band. `standards` keeps activities whose
        standard (or their first skill's) is one of the given codes, or starts with one of them
        followed by "." (so "5.NF" admits "5.NF.1"). Both given: both must hold.
        """
        mask = np.ones(len(self.activities), dtype=bool)
        if grade_band is not None:
            low, high = grade_band
            if low > high:
                raise ConfigError(f"grade band {grade_band}: expected low <= high")
            g = self.activity_grades
            with np.errstate(invalid="ignore"):
                mask &= (g >= low) & (g <= high)
        if standards is not None:
            wanted = tuple(standards)
            mask &= np.array(
                [
                    st is not None and any(st == w or st.startswith(w + ".") for w in wanted)
                    for st in self.activity_standards()
                ],
                dtype=bool,
            )
        return mask

    # -- JSON -----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "skills": [s.to_dict() for s in self.skills],
            "activities": [a.to_dict() for a in self.activities],
            "topics": list(self.topics),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Catalog:
        """A catalog from its JSON form; every bad record is named by its list and position,
        in one error."""
        if not isinstance(d, dict) or not isinstance(d.get("skills"), list):
            raise RecordError('expected an object with a list of "skills" (and "activities")')
        activities = d.get("activities", [])
        if not isinstance(activities, list):
            raise RecordError(f"activities: got {type(activities).__name__}; expected a list")
        problems: list[str] = []

        def read(kind: type[Skill] | type[Activity], list_name: str, records: list) -> list:
            """The records that read, each with its position (`Numbered`); a problem each
            for the others."""
            read_ones = []
            for i, record in enumerate(records):
                try:
                    read_ones.append(
                        (i, kind.from_dict(record, f"{list_name}[{i}]{_named(record)}"))
                    )
                except RecordError as exc:
                    problems.append(str(exc))
            return read_ones

        skills = read(Skill, "skills", d["skills"])
        activities = read(Activity, "activities", activities)
        if problems:  # the links and topics of the records that did read in the same error
            given = [r.get("id") for r in d["skills"] if isinstance(r, dict)]
            ids = {id_text(i) for i in given} - {None}  # those that did not read too, as read
            problems += _catalog_problems(skills, activities, d.get("topics"), ids)[1]
            raise _problems_error(problems, RecordError)
        # topics: checked by the catalog (a list of names, or none)
        return cls(
            skills=tuple(s for _, s in skills),
            activities=tuple(a for _, a in activities),
            topics=d.get("topics"),
        )

    def to_json(self, path: str | Path) -> None:
        from adaptive.files import atomic_write_bytes

        atomic_write_bytes(Path(path), json.dumps(self.to_dict(), indent=1).encode())

    @classmethod
    def from_json(cls, path: str | Path) -> Catalog:
        """A catalog from its JSON file (`to_json`'s): a missing file, a file that is not UTF-8
        text, text that is not JSON or not a catalog is one `ConfigError` naming the file."""
        if not Path(path).is_file():
            raise ConfigError(f"catalog file {path} not found; expected {CATALOG_FILE}")
        try:
            text = read_user_text(path, CATALOG_FILE, allow_blank=False)
        except DataValidationError as exc:  # its one problem names the file, line and bytes
            raise ConfigError(
                f"{exc.problems[0]}{refusal_hint(file_kind(path), 'catalog', '; ')}"
            ) from None
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(not_json(path, exc)) from exc
        try:
            catalog = cls.from_dict(document)
        except (KeyError, TypeError, ConfigError) as exc:
            said = str(exc)  # several problems are a count and a line each
            raise ConfigError(
                f"{path}: not a valid catalog file, {said}"
                if "\n" in said
                else f"{path}: not a valid catalog file ({said})"
            ) from exc
        for note in catalog_notes(catalog):
            warnings.warn(f"{path}: {note}", DataNoteWarning, stacklevel=2)
        object.__setattr__(catalog, "read_from", str(path))
        return catalog

    @classmethod
    def from_edges(
        cls,
        edges: Iterable[tuple[str, str]],
        skills: Sequence[str] = (),
        *,
        drop_self_loops: bool = False,
        drop_edges: Iterable[tuple[str, str]] = (),
        names: dict[str, str] | None = None,
    ) -> Catalog:
        """A skills-only catalog from (prerequisite, skill) edges.

        Cycles are never broken silently: pass `drop_self_loops=True` and/or the exact
        `drop_edges` to remove; anything left cyclic raises `PrerequisiteCycleError` naming it.
        """
        drop = set(drop_edges)
        edges = list(edges)
        unknown = drop - set(edges)
        if unknown:
            raise ConfigError(
                f"drop_edges {sorted(unknown)}: not edges of the graph; expected "
                "(prerequisite, skill) pairs that exist"
            )
        prereqs: dict[str, list[str]] = {s: [] for s in skills}
        for pre, skill in edges:
            prereqs.setdefault(pre, [])
            prereqs.setdefault(skill, [])
            if (pre, skill) in drop or (drop_self_loops and pre == skill):
                continue
            if pre not in prereqs[skill]:
                prereqs[skill].append(pre)
        if find_cycles(prereqs):  # what to pass to drop them, not a file's entry to remove
            raise PrerequisiteCycleError(prereqs, from_edges=True)
        names = names or {}
        return cls(skills=tuple(Skill(s, names.get(s, s), tuple(p)) for s, p in prereqs.items()))


def skill_expected(unknown: Sequence[object], skills: Collection[str]) -> str:
    """What a message expects in place of skill ids the catalog (its ids: `skills`) lacks,
    `unknown` (a message lists them as "got ..."): "a skill id of the catalog (did you mean
    'add'?)", the closest id to the first (`closest_name`) where one is close, and which one it
    is meant for where several are named ("did you mean 'add' for 'Add'?"). The one wording of
    an unknown skill id: a request's `scope_skills`, `excluded_skills` and values by skill, and
    an overrides file's `excluded_skills`."""
    first = str(unknown[0])
    close = closest_name(first, skills)
    meant = f" for {first!r}" if len(unknown) > 1 else ""
    return "a skill id of the catalog" + (f" (did you mean {close!r}{meant}?)" if close else "")


def activity_expected(given: object, activities: Collection[str]) -> str:
    """What a message expects in place of an activity id the catalog (its activity ids:
    `activities`) lacks: "an activity id of the catalog (did you mean 'add-1'?)" with the
    closest id, or the activities of the skill it names ("g4.NS.1": a skill id where an
    activity id goes). The one wording of an unknown activity id: an overrides file's and a
    request's (`TeacherOverrides`, `completed`, `recent`), beside `skill_expected`."""
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


def catalog_notes(catalog: Catalog) -> list[str]:
    """What a catalog file holds as asked but probably means otherwise (`from_json` warns
    with each, naming the file): skill or activity ids that differ only in case, difficulties
    on a level scale, topics that differ only in case."""
    notes = [
        case_twins_note([s.id for s in catalog.skills], "skills", "skill"),
        case_twins_note([a.id for a in catalog.activities], "activities", "activity"),
        topic_case_note(catalog.topics, catalog.activities),
        difficulty_scale_note(catalog.activity_difficulty),
    ]
    return [n for n in notes if n]


#: Activities a catalog needs before its difficulties are judged a level scale.
SCALE_JUDGED_FROM = 5


def difficulty_scale_note(difficulty: np.ndarray) -> str | None:
    """The note for difficulties that read as a level scale (an item bank's 1-5) where a logit
    shift around 0 is meant: every one 1 or more, or whole numbers from 0 up to 3 or more with
    at least three levels, most of them not 0 (a catalog that leaves most activities at the
    default 0 and marks a few 3 is on the logit scale). Read as logits, levels make every
    activity hard without a word."""
    if len(difficulty) < SCALE_JUDGED_FROM:
        return None
    low, high = float(difficulty.min()), float(difficulty.max())
    whole = bool(np.all(difficulty == np.round(difficulty)))
    levels = len(np.unique(difficulty)) >= 3 and float(np.mean(difficulty == 0)) < 0.5
    if not (low >= 1 or (whole and levels and low >= 0 and high >= 3)):
        return None
    middle = round((low + high) / 2, 1)
    at_middle = 1 / (1 + np.exp(-(np.log(0.8 / 0.2) - middle)))
    numbers = "a whole number" if whole else "a number"
    return (
        f"every activity's difficulty is {numbers} from {low:g} to {high:g}: that reads as a "
        "level scale, but difficulty is a logit shift around 0 (0: as hard as its skill's "
        "typical question, 1: harder, -1: easier; most between -2 and 2), so a student at 80% "
        f"on a skill is predicted {at_middle:.0%} on an activity of difficulty {middle:g}, and "
        f"every activity is served as hard. If these are levels, write each as the level minus "
        f"{middle:g} ({low - middle:g} to {high - middle:g})"
    )


def topological_sort(prerequisites: dict[str, Sequence[str]]) -> list[str]:
    """Kahn's algorithm, ties broken by the dict's order; `PrerequisiteCycleError` if cyclic."""
    if find_cycles(prerequisites):
        raise PrerequisiteCycleError(prerequisites)
    position = {s: i for i, s in enumerate(prerequisites)}
    remaining = {s: len(set(p)) for s, p in prerequisites.items()}
    children: dict[str, list[str]] = {s: [] for s in prerequisites}
    for s, ps in prerequisites.items():
        for p in set(ps):
            children[p].append(s)
    order: list[str] = []
    ready = [position[s] for s, n in remaining.items() if n == 0]
    heapq.heapify(ready)
    names = list(prerequisites)
    while ready:
        s = names[heapq.heappop(ready)]
        order.append(s)
        for c in children[s]:
            remaining[c] -= 1
            if remaining[c] == 0:
                heapq.heappush(ready, position[c])
    return order


def _padded_codes(rows: list[list[int]]) -> np.ndarray:
    """Ragged integer lists as a (n, max_len) int32 array padded with -1 (max_len >= 1)."""
    width = max([1, *(len(r) for r in rows)])
    out = np.full((len(rows), width), -1, dtype=np.int32)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


#: What a catalog file is, said where a file given as one is missing or empty.
CATALOG_FILE = (
    'a catalog JSON file: one object of "skills", "activities" and "topics", as Catalog.to_json '
    "writes it and the README's Catalogs describes it"
)
#: How a catalog is checked, said where a file is none.
CATALOG_CHECK = "a catalog is JSON (adaptive validate --catalog checks one)"


def not_json(path: str | Path, exc: json.JSONDecodeError) -> str:
    """Why a catalog file that is UTF-8 text but no JSON is refused: a text table (a placement
    table, a roster, any CSV given as --catalog) is said to be a CSV file, with the option
    that reads it, rather than the JSON parser's "Expecting value: line 1 column 1"; JSON
    broken further on keeps the parser's line and column. (A Parquet file is no UTF-8 text:
    `read_user_text` refuses it first, and `refusal_hint` adds its hint there.)"""
    kind = file_kind(path)
    other = refusal_hint(kind, "catalog", "; ")
    if kind is None or kind in JSON_KINDS:
        return f"{path}: not a valid catalog file ({exc}){other}"
    return f"{path}: not a valid catalog file: a CSV file, and {CATALOG_CHECK}{other}"


@dataclass(frozen=True)
class CatalogRecord:
    """What a model keeps of the catalog it was trained with (`KnowledgeTracer.
    training_catalog_`, saved in its model.json): the catalog's `sha256` and its skill and
    activity ids, so that the nightly job can tell a catalog left from another year (or another
    district) from one that grew since (`batch.night_checks.check_training_catalog`) without
    the training catalog's file."""

    sha256: str
    skills: tuple[str, ...]
    activities: tuple[str, ...]

    @classmethod
    def of(cls, catalog: Catalog) -> CatalogRecord:
        return cls(catalog.sha256, catalog.skill_ids, tuple(catalog.activity_index))

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "skills": list(self.skills),
            "activities": list(self.activities),
        }

    @classmethod
    def from_json(cls, record: object) -> CatalogRecord | None:
        """The record `to_json` wrote; None for a model saved without one (trained without a
        catalog, or before catalogs were recorded)."""
        if record is None:
            return None
        return cls(record["sha256"], tuple(record["skills"]), tuple(record["activities"]))

    def differences(self, catalog: Catalog) -> CatalogDifferences:
        """The ids this record's catalog and `catalog` do not share (counts, set arithmetic)."""
        skills, activities = set(catalog.skill_ids), set(catalog.activity_index)
        return CatalogDifferences(
            skills_lacking=len(set(self.skills) - skills),
            skills_added=len(skills - set(self.skills)),
            activities_lacking=len(set(self.activities) - activities),
            activities_added=len(activities - set(self.activities)),
        )


@dataclass(frozen=True)
class CatalogDifferences:
    """How a catalog differs from a recorded one (`CatalogRecord.differences`): the recorded
    catalog's skills and activities it lacks, and the ones it adds."""

    skills_lacking: int
    skills_added: int
    activities_lacking: int
    activities_added: int

    @property
    def skills(self) -> int:
        return self.skills_lacking + self.skills_added

    @property
    def activities(self) -> int:
        return self.activities_lacking + self.activities_added
