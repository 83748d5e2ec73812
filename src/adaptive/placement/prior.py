"""Where a student starts: a `Placement` is a prior over every skill, from what is known of them.

A knowledge-tracing model starts a student without history from its fitted population prior: the
same for a fourth grader and a ninth grader. A placement replaces that prior for the students and
skills it covers (`model.init_state(ids, prior=placement)` or `model.place(state, placement)`):

    placement = grade_placement(catalog, profiles)            # from grade level
    placement = read_placement("last_year.csv", catalog)     # a prior year's mastery (`table`)
    placement = diagnostic.placement()                        # an adaptive placement check
    placement = combine(records, grade_placement(catalog, profiles))   # records first, then grade

Every placement says where it came from per student (`sources`, e.g. "placed from grade 4"), so a
recommendation can give it as a reason.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.data.codes import check_unique_ids, id_list, lookup_codes
from adaptive.errors import (
    ConfigError,
    PlacementWarning,
    counted,
    expect_type,
    same_but_case,
    some_of,
    verb,
)
from adaptive.grades import grade_label, to_grade
from adaptive.memo import IdentityMemo

if TYPE_CHECKING:
    from adaptive.tracing.base import KnowledgeTracer, TracingState

#: P(known at the start) by grade gap (skill grade minus the student's grade). Chosen as round
#: values, not fitted to any simulator: skills of earlier grades are mostly known, the own grade's
#: partly (the year has started), later grades rarely. Gaps beyond the table use its ends.
DEFAULT_GRADE_TABLE: dict[int, float] = {-3: 0.95, -2: 0.92, -1: 0.88, 0: 0.4, 1: 0.1, 2: 0.05}
#: Own-grade skills run from the grade's first to its last in prerequisite order, from gap 0's
#: P(known) + this to gap 0's - this (early skills of the year are mostly taught, late ones
#: mostly not), kept between the neighbouring grades' values (`GradeTable.own_grade_line`).
OWN_GRADE_HALF_RANGE = 0.3
#: The default table's own-grade line: 0.4 +- 0.3 (mean `DEFAULT_GRADE_TABLE[0]`); the last
#: own-grade skill no less likely known than the next grade's skills (`DEFAULT_GRADE_TABLE[1]`).
DEFAULT_OWN_GRADE: tuple[float, float] = (0.7, 0.1)


@dataclass(frozen=True)
class Placement:
    """Prior P(mastery) of each (student, skill); NaN where nothing is known (model's prior).

    Attributes
    ----------
    students : student ids, one per row of `mastery`.
    skills : skill ids, one per column of `mastery`.
    mastery : (n_students, n_skills) float in [0, 1] or NaN.
    sources : one short phrase per student saying where the prior came from.
    grades : each student's grade (NaN where unknown) when the placement came from grade level
        alone (`grade_placement`); the diagnostic then locates each student in the curriculum
        from it (`adaptive.placement.level`). None for placements from other sources.
    parts : what `without_skills` needs of each placement a `combine` made it from, in order
        (empty for any other): which (student, skill) it valued and each student's source
        (`PlacementPart`), never its values, which `mastery` holds where they won. Where a
        model lacks some skills, `on_skills` drops them and says each student's source again,
        so a student whose records were all dropped is said to start from the next source.
    started_from : the placement a diagnostic started its students from (its answers updated
        it), for a diagnostic's placement (None for any other): a `combine` of it with records
        already in it does not say those records are unused.
    """

    students: tuple[str, ...]
    skills: tuple[str, ...]
    mastery: np.ndarray
    sources: tuple[str, ...] = ()
    grades: np.ndarray | None = None
    parts: tuple[PlacementPart, ...] = field(default=(), repr=False, compare=False)
    started_from: Placement | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        m = np.asarray(self.mastery, dtype=np.float64)
        if m.shape != (len(self.students), len(self.skills)):
            raise ConfigError(
                f"placement mastery has shape {m.shape}; expected "
                f"({len(self.students)} students, {len(self.skills)} skills)"
            )
        valued = m.size and not np.isnan(m).all()  # no copy of the values: a district's are GBs
        if valued and (np.nanmin(m) < 0.0 or np.nanmax(m) > 1.0):
            raise ConfigError("placement mastery must lie in [0, 1] (or be NaN)")
        sources = self.sources or ("placed",) * len(self.students)
        if len(sources) != len(self.students):
            raise ConfigError(f"{len(sources)} sources for {len(self.students)} students")
        if self.grades is not None:
            grades = np.asarray(self.grades, dtype=np.float64)
            if grades.shape != (len(self.students),):
                raise ConfigError(f"{len(grades)} grades for {len(self.students)} students")
            object.__setattr__(self, "grades", grades)
        object.__setattr__(self, "mastery", m)
        students = id_list(self.students, "placement students")  # " b " is "b", as everywhere
        check_unique_ids(students, "placement students")
        object.__setattr__(self, "students", tuple(students))
        if not (isinstance(self.skills, tuple) and all(isinstance(s, str) for s in self.skills)):
            object.__setattr__(self, "skills", tuple(str(s) for s in self.skills))
        check_unique_ids(
            self.skills, "placement skills", say_id=True
        )  # a column read twice: which one?
        object.__setattr__(self, "sources", tuple(sources))

    def __len__(self) -> int:
        return len(self.students)

    def __repr__(self) -> str:
        """Counts and sources, never the ids: a placement of a district would print 400,000
        student ids into a log (and ids stay out of logs)."""
        valued = ~np.isnan(self.mastery)
        placed = float(np.mean(valued)) if self.mastery.size else 0.0
        # "placed", not "known": a value of 0.05 is placed and says the skill is not known
        mean = f", mean P(known) {float(self.mastery[valued].mean()):.2f}" if valued.any() else ""
        counts = pd.Series(self.sources, dtype=object).value_counts()
        shown = ", ".join(f"{src!r}: {n:,}" for src, n in counts.head(3).items())
        more = f" and {len(counts) - 3} more" if len(counts) > 3 else ""
        return (
            f"Placement({len(self.students):,} students x {len(self.skills):,} skills, "
            f"{placed:.0%} placed{mean}; sources {{{shown}{more}}})"
        )

    def aligned(
        self, skills: Sequence[str] | pd.Index, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """(n_students, len(skills)) mastery in the order of `skills`; NaN for skills it lacks.
        `rows` (row numbers, `rows_of`): only those students' rows, in that order, so a few
        students of a district's placement cost only their rows."""
        want = skills if isinstance(skills, tuple) else tuple(str(s) for s in skills)
        codes = skill_positions(self.skills, want)
        mastery = self.mastery if rows is None else self.mastery[rows]
        out = np.full((len(mastery), len(codes)), np.nan)
        known = codes >= 0
        out[:, known] = mastery[:, codes[known]]
        return out

    def rows_of(self, student_ids: Sequence[str]) -> np.ndarray:
        """Each student's row number, -1 for a student the placement does not cover (a cached
        lookup: O(len(student_ids)) once the placement has been asked once)."""
        index = self._student_index
        return np.array([index.get(str(s), -1) for s in student_ids], dtype=np.int64)

    @cached_property
    def _student_index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.students)}

    def source_of(self, student_id: str) -> str | None:
        """Where this student's prior came from, or None when the placement does not cover them."""
        index = self._student_index.get(str(student_id))
        return None if index is None else self.sources[index]

    def grade_placed(self) -> np.ndarray:
        """(n_students,) the grade each student's grade-level values came from: the placement's
        `grades`, or in a combined one its grade part's (records beside a grade's guess on the
        skills they lack); NaN where no grade placed them. What a grade corrected later
        re-places (`place_regraded`); NaN too where the grade's values were all covered by an
        earlier part (a grade change would move nothing)."""
        if self.grades is not None:
            return self.grades
        out = np.full(len(self.students), np.nan)
        for part in self.parts:
            if part.grades is not None:
                took = np.isnan(out[part.rows]) & part.valued().any(axis=1)
                out[part.rows[took]] = part.grades[took]
        return out

    def grade_cells(self, skills: tuple[str, ...], rows: np.ndarray) -> np.ndarray:
        """(len(rows), len(skills)) True where the value of a student (of `rows`) and skill
        (of `skills`) came from a grade: every value of a grade's placement; in a combined one,
        its grade part's values no earlier part holds (records beside a grade's guess). What a
        grade corrected later places again, the records left as they are (`place_regraded`)."""
        codes = skill_positions(self.skills, skills)
        known = np.flatnonzero(codes >= 0)
        out = np.zeros((len(rows), len(skills)), bool)
        if self.grades is not None:
            out[:, known] = ~np.isnan(self.mastery[rows][:, codes[known]])
            return out
        if all(part.grades is None for part in self.parts):
            return out
        at_row = np.full(len(self.students), -1)
        at_row[rows] = np.arange(len(rows))
        taken = np.zeros((len(rows), len(self.skills)), bool)
        won = np.zeros_like(taken)
        for part in self.parts:  # the first part holding a value wins, as `combine` does
            at = at_row[part.rows]
            mine = at >= 0
            if not mine.any():
                continue
            valued = np.unpackbits(part.packed[mine], axis=1, count=part.n_skills).view(bool)
            if part.grades is not None:
                won[at[mine]] |= valued & ~taken[at[mine]]
            taken[at[mine]] |= valued
        out[:, known] = won[:, codes[known]]
        return out

    def to_frame(self) -> pd.DataFrame:
        """The long table `read_placement` and `mastery_table_placement` read back: one row per
        (student_id, skill_id) with a known mastery (NaN left out), and each student's `source`
        (where they were placed from, in the words their recommendations give). A diagnostic's
        placement saved this way (`placement.to_frame().to_csv(path, index=False)`) is what the
        nightly job's `placement` file takes, and its students are placed "by diagnostic (12
        questions)" there too, not "from <the file's name>"."""
        rows, cols = np.nonzero(~np.isnan(self.mastery))
        return pd.DataFrame(
            {
                "student_id": np.asarray(self.students, dtype=object)[rows],
                "skill_id": np.asarray(self.skills, dtype=object)[cols],
                "mastery": self.mastery[rows, cols],
                "source": np.asarray(self.sources, dtype=object)[rows],
            }
        )

    def subset(self, student_ids: Sequence[str]) -> Placement:
        """The rows of these students (each must be in the placement); the placement itself
        when they are its students in its order (no copy of a district's values)."""
        if tuple(str(s) for s in student_ids) == self.students:
            return self
        rows = self.rows_of(student_ids)
        missing = int((rows < 0).sum())
        if missing:
            raise ConfigError(
                f"{counted(missing, 'student')} {verb(missing, 'is')} not in this placement"
            )
        to = np.full(len(self.students), -1)
        to[rows] = np.arange(len(rows))
        return Placement(
            tuple(self.students[r] for r in rows),
            self.skills,
            self.mastery[rows],
            tuple(self.sources[r] for r in rows),
            None if self.grades is None else self.grades[rows],
            tuple(p.moved(to) for p in self.parts),
            started_from=self.started_from,
        )

    def without_skills(self, dropped: np.ndarray) -> Placement:
        """The placement without the skills where `dropped` (a mask over `skills`) is True; a
        combined one says each student's source again from its parts without them: the first
        part that still places them ("population prior" where none does). Its values are the
        same (the first part that knows a (student, skill) still wins)."""
        keep = ~np.asarray(dropped, bool)
        skills = tuple(k for k, kept in zip(self.skills, keep, strict=True) if kept)
        if not self.parts:
            return Placement(
                self.students,
                skills,
                self.mastery[:, keep],
                self.sources,
                self.grades,
                started_from=self.started_from,
            )
        same = np.arange(len(self.students))
        parts = tuple(p.moved(same, np.flatnonzero(keep)) for p in self.parts)
        sources = _first_sources(parts, len(self.students))
        return Placement(
            self.students,
            skills,
            self.mastery[:, keep],
            sources,
            parts=parts,
            started_from=self.started_from,
        )

    def dropped_codes(self, dropped: np.ndarray) -> list[str]:
        """The skill codes where `dropped` is True."""
        return [k for k, d in zip(self.skills, dropped, strict=True) if d]


@dataclass(frozen=True, eq=False)
class PlacementPart:
    """One placement a `combine` was made from, kept by the combined one (`Placement.parts`)
    for `Placement.without_skills`: which of the combined placement's (student, skill) it
    valued, one bit each, and its students' sources. Not its values: a district's records
    (400,000 students x 120 skills) are 366 MiB of values, and under 6 MiB of bits.

    rows : its students, as rows of the combined placement.
    packed : (len(rows), n_skills) where it holds a value, as `np.packbits` packs it by row.
    n_skills : how many skills the combined placement has (the columns of `valued()`).
    sources : (len(rows),) each of its students' source.
    grades : (len(rows),) each student's grade where it placed from grade level alone (its
        values never a student's own; NaN: no grade), None for any other placement.
    """

    rows: np.ndarray
    packed: np.ndarray
    n_skills: int
    sources: np.ndarray
    grades: np.ndarray | None

    @property
    def grade(self) -> bool:
        """Whether it placed from grade level alone."""
        return self.grades is not None

    @classmethod
    def of(cls, placement: Placement, rows: np.ndarray, valued: np.ndarray) -> PlacementPart:
        """`placement` as a part: its students at `rows` of the combined placement, `valued`
        over the combined placement's skills."""
        return cls(
            rows,
            np.packbits(valued, axis=1),
            valued.shape[1],
            np.asarray(placement.sources, dtype=object),
            placement.grades,
        )

    def valued(self) -> np.ndarray:
        """(len(rows), n_skills) bool: where the part holds a value."""
        return np.unpackbits(self.packed, axis=1, count=self.n_skills).view(bool)

    def moved(self, rows_to: np.ndarray, take: np.ndarray | None = None) -> PlacementPart:
        """This part as a placement made from its combined one sees it (a subset, the one
        without some skills, a combine of it): row r of the combined one is `rows_to[r]` there
        (-1: a student not there, left out); column j there is the combined one's column
        `take[j]` (-1: a skill it lacks; None: the same columns)."""
        rows = rows_to[self.rows]
        here = rows >= 0
        packed, n_skills = self.packed[here], self.n_skills
        if take is not None:
            valued = np.zeros((int(here.sum()), len(take)), bool)
            valued[:, take >= 0] = self.valued()[here][:, take[take >= 0]]
            packed, n_skills = np.packbits(valued, axis=1), len(take)
        grades = None if self.grades is None else self.grades[here]
        return PlacementPart(rows[here], packed, n_skills, self.sources[here], grades)


def _first_sources(parts: Sequence[PlacementPart], n_students: int) -> tuple[str, ...]:
    """Each student's source in a combined placement: the first part's that values any of
    their skills ("population prior" where none does)."""
    sources = np.full(n_students, "", dtype=object)
    for part in parts:
        new = (sources[part.rows] == "") & part.valued().any(axis=1)
        sources[part.rows[new]] = part.sources[new]
    sources[sources == ""] = "population prior"
    return tuple(sources)


@dataclass(frozen=True)
class GradeTable:
    """P(known at the start) by grade gap (skill grade minus student grade), configurable.

    `own_grade` refines gap 0: a grade's curriculum is taught in prerequisite order, so a student
    partway through their grade more likely knows its early skills than its late ones. With
    `(first, last)` the P(known) of an own-grade skill runs linearly from `first` (the grade's
    first skills: no prerequisite of their grade) to `last` (its deepest in the grade's own
    prerequisite order, `position_in_grade`); "sloped" (the
    default) is `by_gap[0]` +- `OWN_GRADE_HALF_RANGE`, so the table's own value for gap 0 stays
    the grade's mean (0.4 -> (0.7, 0.1) in the default table); "flat" (or None) keeps `by_gap[0]`
    for every own-grade skill. Either line is kept between the neighbouring grades' values.
    """

    by_gap: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_GRADE_TABLE))
    own_grade: tuple[float, float] | str | None = "sloped"

    def __post_init__(self) -> None:
        if not isinstance(self.by_gap, Mapping):
            raise ConfigError(
                f"grade table {self.by_gap!r}: expected a table of P(known) by grade gap, e.g. "
                "{-1: 0.8, 0: 0.4, 1: 0.1}"
            )
        if not self.by_gap:
            raise ConfigError("a grade table needs at least one gap")
        # a table read from TOML or JSON has text keys ("-1"): they are the same gaps
        by_gap = {_gap(k): _p_known(k, p) for k, p in self.by_gap.items()}
        object.__setattr__(self, "by_gap", by_gap)
        object.__setattr__(self, "own_grade", self._own_grade_ends())
        self._check_order()

    def _own_grade_ends(self) -> tuple[float, float] | None:
        """`own_grade` as (first, last) P(known), or None for a flat gap 0."""
        own = self.own_grade
        if own is None or own == "flat":
            return None
        if own == "sloped":
            middle = float(self.lookup(np.array([0]))[0])
            first = min(middle + OWN_GRADE_HALF_RANGE, 1.0)
            return round(first, 6), round(max(middle - OWN_GRADE_HALF_RANGE, 0.0), 6)
        if (
            isinstance(own, str)
            or not isinstance(own, Sequence)
            or len(own) != 2
            or not all(isinstance(v, int | float) and 0.0 <= v <= 1.0 for v in own)
        ):
            raise ConfigError(
                f"grade table own_grade {own!r}: expected 'sloped', 'flat' or (first, last), "
                "two P(known) in [0, 1]"
            )
        return float(own[0]), float(own[1])

    def _check_order(self) -> None:
        """P(known) may not rise with the grade gap: a later grade's skill more likely known
        than an earlier one's would place students against the curriculum's order (and the
        diagnostic's level model reads the table as a survival function)."""
        gaps = sorted(self.by_gap)
        for a, b in zip(gaps[:-1], gaps[1:], strict=True):
            if self.by_gap[b] > self.by_gap[a]:
                raise ConfigError(
                    f"grade table: gap {b} has P(known) {self.by_gap[b]} above gap {a}'s "
                    f"{self.by_gap[a]}; expected values that do not rise with the grade gap"
                )
        if self.own_grade is not None and self.own_grade[0] < self.own_grade[1]:
            raise ConfigError(
                f"grade table own_grade {self.own_grade}: expected the grade's first skills "
                "at least as likely known as its last (first >= last)"
            )

    def own_grade_line(self, place: np.ndarray) -> np.ndarray:
        """P(known) of own-grade skills at `place` in [0, 1] along the grade (`own_grade` from
        first to last), kept between the next grade's and the previous grade's P(known), so a
        grade's last skill is never placed below the next grade's first."""
        first, last = self.own_grade or (float(self.lookup(np.array([0]))[0]),) * 2
        place = np.asarray(place, dtype=np.float64)
        after, before = self.lookup(np.array([1, -1]))
        return np.clip(first * (1.0 - place) + last * place, after, before)

    @classmethod
    def from_dict(cls, d: Mapping[str, object] | Mapping[int, float]) -> GradeTable:
        """From a TOML table such as `{"-1" = 0.75, "0" = 0.3, "1" = 0.1, own_grade = "flat"}`:
        the gaps' P(known) (text keys read as gaps), and `own_grade` when given ("sloped",
        "flat" or `[first, last]`; `to_dict` writes the same table back)."""
        if not isinstance(d, Mapping):
            raise ConfigError(
                f"grade table {d!r}: expected a table of P(known) by grade gap, e.g. "
                '{"-1": 0.8, "0": 0.4, "1": 0.1}'
            )
        gaps = {k: v for k, v in d.items() if k != "own_grade"}
        own = d.get("own_grade", "sloped")
        return cls(gaps, tuple(own) if isinstance(own, list) else own)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        """The table as TOML or JSON writes it: text gaps ("-1") and `own_grade` as [first,
        last] ("flat" when gap 0 is one value)."""
        own: object = "flat" if self.own_grade is None else list(self.own_grade)
        return {**{str(g): p for g, p in sorted(self.by_gap.items())}, "own_grade": own}

    def lookup(self, gap: np.ndarray) -> np.ndarray:
        """P(known) for each grade gap (gaps beyond the table take its nearest end)."""
        gaps = np.array(sorted(self.by_gap), dtype=np.int64)
        values = np.array([self.by_gap[g] for g in gaps], dtype=np.float64)
        full = np.arange(gaps[0], gaps[-1] + 1)
        table = np.interp(full, gaps, values)  # gaps missing inside the range: interpolated
        return table[np.clip(gap, gaps[0], gaps[-1]) - gaps[0]]


def placement_table(given: GradeTable | None, model: object = None) -> GradeTable | None:
    """The grade table students without history are placed with: the one `given` (a policy
    config's `grade_table`, or a caller's), else the one read from the model's own training
    log (`KnowledgeTracer.check_curriculum_level`, kept in its `curriculum_level_.start`: the
    district's students as their first answers place them), else None (the default table)."""
    if given is not None:
        return given
    start = getattr(getattr(model, "curriculum_level_", None), "start", None)
    return None if start is None else start.table


def _gap(key: object) -> int:
    """A grade table's key as a whole grade gap: 1, "1", "+1" and "-1" are gaps; 0.5 is not."""
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        return int(key)
    if isinstance(key, str) and key.strip().lstrip("+-").isdigit():
        return int(key.strip())
    raise ConfigError(f"grade table gap {key!r}: expected a whole number of grades (-1, 0, 1)")


def _p_known(gap: object, value: object) -> float:
    """A table's P(known) for `gap`: a number in [0, 1]; text ("0.4") is refused, as a
    policy weight written as text is."""
    if not isinstance(value, int | float | np.integer | np.floating) or isinstance(value, bool):
        raise ConfigError(
            f"grade table gap {gap} = {value!r} (expected a number, P(known) in [0, 1])"
        )
    p = float(value)
    if not 0.0 <= p <= 1.0:
        raise ConfigError(f"grade table gap {gap}: P(known) {value!r} is not in [0, 1]")
    return p


#: The table a student is placed with where none is given or fitted.
DEFAULT_TABLE = GradeTable()


#: Where a student without a grade starts: the model's estimate for a student it knows nothing
#: of (the words of their placement, in Python and in the nightly job's `placement` column).
NO_GRADE_SOURCE = "population prior (no grade)"

#: Where a requested student the profiles given lack starts: as one without a grade, and
#: without interests or goals either (`batch_from_model` says so per student and counts them).
NO_PROFILE_SOURCE = "no profile (population prior, no grade)"


#: How the words of a placement from a grade begin ("placed from grade 4").
GRADE_SOURCE_PREFIX = "placed from grade "


def grade_source(profile: LearnerProfile) -> str:
    """The words of a placement from this profile's grade ("placed from grade K")."""
    if profile.grade is None:
        return NO_GRADE_SOURCE
    return f"{GRADE_SOURCE_PREFIX}{grade_label(profile.grade)}"


def from_a_grade(sources: np.ndarray) -> np.ndarray:
    """(n,) True where placement words say a grade placed the student (any grade: the one the
    profile has today or the one it had when the student was placed), or no grade at all (no
    profile either)."""
    words = np.asarray(sources, dtype=object).astype(str)
    return np.char.startswith(words, GRADE_SOURCE_PREFIX) | np.isin(
        words, (NO_GRADE_SOURCE, NO_PROFILE_SOURCE)
    )


def profile_list(
    profiles: Mapping[str, LearnerProfile] | Sequence[LearnerProfile],
) -> list[LearnerProfile]:
    """The learner profiles given (a mapping by id, as `read_profiles` returns, or a list), or
    a `TypeError` saying what to pass (a frame or a path would be read as no profile at all)."""
    plist = list(profiles.values()) if isinstance(profiles, Mapping) else list(profiles)
    if not all(isinstance(p, LearnerProfile) for p in plist):
        raise TypeError(
            "profiles: expected learner profiles ({student_id: LearnerProfile}, as "
            "read_profiles(path) returns, or a list of them)"
        )
    return plist


def grade_placement(
    catalog: Catalog,
    profiles: Mapping[str, LearnerProfile] | Sequence[LearnerProfile],
    table: GradeTable | None = None,
) -> Placement:
    """Placement of each profiled student from their grade and each skill's grade.

    Students without a grade, and skills without a grade, stay NaN (the model's prior).
    """
    expect_type(catalog, Catalog, "catalog", "Catalog.from_json(path)")
    expect_type(table, (GradeTable, type(None)), "table", "GradeTable.from_dict({...})")
    plist = profile_list(profiles)
    table = table or GradeTable()
    grade = np.array([np.nan if p.grade is None else p.grade for p in plist], dtype=np.float64)
    # one row per grade, then one (students x skills) array: a district of 400,000 students
    # held five such arrays at once (a vendor's trial: 5.2 GB at peak for 1.0 GB of result)
    grades, of_grade = np.unique(grade, return_inverse=True)
    mastery = _grade_rows(catalog, grades, table)[of_grade.reshape(-1)]
    sources = tuple(grade_source(p) for p in plist)
    return Placement(tuple(p.student_id for p in plist), catalog.skill_ids, mastery, sources, grade)


def _grade_rows(catalog: Catalog, grades: np.ndarray, table: GradeTable) -> np.ndarray:
    """(len(grades), S) P(known at the start) of each catalog skill for a student of each grade
    (NaN: a grade or a skill's grade unknown)."""
    gap = catalog.skill_grades[None, :] - grades[:, None]
    known = ~np.isnan(gap)
    rows = np.full(gap.shape, np.nan)
    rows[known] = table.lookup(gap[known].astype(np.int64))
    if table.own_grade is not None:
        along = table.own_grade_line(position_in_grade(catalog))  # (S,)
        own = known & (gap == 0)
        rows[own] = np.broadcast_to(along, gap.shape)[own]
    return rows


def warn_grades_beyond(catalog: Catalog, profiles: Sequence[LearnerProfile]) -> None:
    """Say (`PlacementWarning`, counts and grades only) when students are placed from a grade
    above every grade of the catalog (every skill starts as known: nothing is left to learn,
    and the policy serves three grades below and further nothing, as assumed known) or below
    every one (every skill starts as not known). A grade between the catalog's grades is
    placed by its distance to them."""
    graded = [s.grade for s in catalog.skills if s.grade is not None]
    if not graded:
        return
    lo, hi = min(graded), max(graded)
    span = f"{grade_label(lo)}-{grade_label(hi)}"
    for side, beyond, effect in (
        ("above", [p.grade for p in profiles if p.grade is not None and p.grade > hi],
         "every skill starts as known, so nothing is left to learn"),
        ("below", [p.grade for p in profiles if p.grade is not None and p.grade < lo],
         "every skill starts as not known"),
    ):  # fmt: skip
        if beyond:
            labels = ", ".join(grade_label(g) for g in sorted(set(beyond)))
            warnings.warn(
                f"{counted(len(beyond), 'student')} placed from grade {labels}, {side} every "
                f"grade of the catalog ({span}): {effect}; check the grade, or use a catalog "
                "that reaches it",
                PlacementWarning,
                stacklevel=3,
            )


def position_in_grade(catalog: Catalog) -> np.ndarray:
    """(S,) each skill's place in its grade, in [0, 1]: its level in the grade's own
    prerequisite order (`Catalog.depth_in_grade`: level 0 holds the skills without a
    prerequisite of their grade) over the grade's deepest level, so the grade's first skills
    are at 0 and its deepest at 1; 0.5 where the grade has one level or the skill no grade.
    (The whole graph's depth, used before, put a strand that starts late, fractions in grade
    3, first in every grade and one that starts in kindergarten last: a trial's grade 4
    student was placed at 0.10 on the grade's second skill of operations, 0.61 on its second
    of fractions.)"""
    level = catalog.depth_in_grade.astype(np.float64)
    grade = catalog.skill_grades
    out = np.full(len(level), 0.5)
    for g in np.unique(grade[~np.isnan(grade)]):
        members = grade == g
        deepest = level[members].max()
        if deepest > 0:
            out[members] = level[members] / deepest
    return out


#: Cells a grade of the level model's grid of curriculum positions (`adaptive.placement.level`).
CELLS_PER_GRADE = 12
#: Where a grade's deepest skills sit in the curriculum's sequence: one cell of that grid
#: before the next grade's first skills.
GRADE_END_ROOM = 1.0 / CELLS_PER_GRADE


def curriculum_positions(catalog: Catalog) -> np.ndarray:
    """(S,) each skill's place in the curriculum order: its grade plus its place in the grade
    (`position_in_grade`), the grade's deepest skills `GRADE_END_ROOM` before the next grade's
    first (at the same place, a trial's right answers on grade 4's last skills and wrong ones
    on grade 5's first told the diagnostic nothing of either); NaN for a skill without a
    grade."""
    return catalog.skill_grades + position_in_grade(catalog) * (1.0 - GRADE_END_ROOM)


def given_or_grade(
    catalog: Catalog,
    profiles: Sequence[LearnerProfile],
    given: Placement | None,
    table: GradeTable | None = None,
) -> Placement:
    """The placement of these students, in their order: `given` (earlier records, a saved
    diagnostic) where it knows the student and skill, else their grade's (`grade_placement`)."""
    grade = grade_placement(catalog, profiles, table)
    if given is None:
        return grade
    known = [p.student_id for p in profiles if given.source_of(p.student_id) is not None]
    if not known:
        return grade
    # a saved diagnostic covers every skill: the grade only fills what the given lacks, silently
    both = _combined((given.subset(known), grade), warn=False)
    return both.subset([p.student_id for p in profiles])


def combine(*placements: Placement) -> Placement:
    """One placement from several, the first that knows a (student, skill) winning.

    E.g. `combine(records, grade_placement(catalog, profiles))`: last year's record beats the
    grade-level guess, skill by skill. A student's source is the first placement's that covers
    any of their skills. The result carries no grades (it is not grade level alone), so a
    diagnostic started from it (`PlacementDiagnostic(catalog, prior=combine(records, grade))`)
    updates its values with the graph model: that is how a diagnostic uses the records too. A
    later placement that adds nothing for the students it shares with earlier ones is said
    (`PlacementWarning`). A diagnostic's own placement covers every skill (what it did not ask
    it infers), so nothing after it in a `combine` would be used: after one, a placement (not a
    grade's) whose values some of its students never get is said too (counted), with how to
    start the diagnostic from the records (not said of records the diagnostic was started
    from: its placement keeps its prior, `started_from`). Newer records put before older ones
    (`combine(this_years, last_years)`) win where both know a skill, without a word.
    """
    for i, p in enumerate(placements):
        expect_placement(p, f"combine: placement {i + 1}")
    return _combined(placements, warn=True)


#: How a `Placement` is made, for the TypeError of anything else given as one.
MAKE_PLACEMENT = (
    "adaptive.placement: grade_placement(catalog, profiles), read_placement(file, catalog), "
    "mastery_table_placement(frame), a diagnostic's placement()"
)


def expect_placement(value: object, name: str) -> None:
    """A `Placement`, or one TypeError naming the argument and how to make one (profiles or a
    table passed as they are ended in an AttributeError deep inside)."""
    if not isinstance(value, Placement):
        raise TypeError(
            f"{name}: expected a Placement ({MAKE_PLACEMENT}); got {type(value).__name__}"
        )


def _combined(placements: Sequence[Placement], warn: bool) -> Placement:
    """`combine`; `warn`: say when a placement adds nothing (`_warn_shadowed`)."""
    if not placements:
        raise ConfigError("combine needs at least one placement")
    students = list(dict.fromkeys(s for p in placements for s in p.students))
    skills = list(dict.fromkeys(k for p in placements for k in p.skills))
    out = np.full((len(students), len(skills)), np.nan)
    index = pd.Index(students)
    parts: list[PlacementPart] = []
    for i, p in enumerate(placements):
        rows = index.get_indexer(pd.Index(p.students))
        values = p.aligned(skills)
        valued = ~np.isnan(values)
        block = out[rows]
        fill = np.isnan(block) & valued
        if warn and i:
            _warn_shadowed(p, placements[:i], fill, values)
        block[fill] = values[fill]
        out[rows] = block
        if p.parts:  # a combined placement: its own parts, in order
            take = pd.Index(p.skills).get_indexer(skills)
            parts += [q.moved(rows, take) for q in p.parts]
        else:
            parts.append(PlacementPart.of(p, rows, valued))
    sources = _first_sources(parts, len(students))
    return Placement(tuple(students), tuple(skills), out, sources, parts=tuple(parts))


def _warn_shadowed(
    later: Placement, earlier: Sequence[Placement], fill: np.ndarray, values: np.ndarray
) -> None:
    """Say that `later` adds nothing to a `combine` (every (student, skill) it knows is given
    by an earlier placement). Where an earlier one values every skill `later` knows (a
    diagnostic's placement, which infers what it did not ask), `later` is also said when it
    adds nothing for some of its students (counted), with how to use records with a
    diagnostic. Records layered over older ones (`combine(this_years, last_years)`) shadow
    them on purpose, and a grade's placement is the usual last resort: neither is said then;
    nor are students whose values the diagnostic was started from (`Placement.started_from`:
    its answers updated them)."""
    valued = (~np.isnan(values)).any(axis=1)
    unused = valued & ~fill.any(axis=1)
    if not unused.any():
        return
    covering = next((p for p in earlier if _values_every_skill(p, later.skills)), None)
    if fill.any() and (covering is None or later.grades is not None):
        return  # some of its values used: said only after a diagnostic's, never of a grade's
    held = np.zeros(len(unused), bool)
    if covering is not None and covering.started_from is not None:
        held = _held_by(covering.started_from, later, unused)
        unused &= ~held
        if not unused.any():
            return  # the diagnostic started from them: its answers updated them already
    shown = covering if covering is not None else earlier[0]
    first = shown.sources[0] if shown.sources else "an earlier placement"
    this = later.sources[0] if later.sources else ""
    how = (
        ". To use a student's records with a diagnostic, start the diagnostic from them: "
        "PlacementDiagnostic(catalog, prior=combine(records, grade_placement(catalog, profiles)))"
        "; else put the records first"
        if covering is not None
        else ""
    )
    if not fill.any() and not held.any():
        said = (
            f"combine: the placement {this!r} adds nothing: an earlier one ({first!r}) already "
            "gives every skill it knows for its students, and the first placement that knows a "
            f"skill wins{how}"
        )
    else:
        n, started = int(unused.sum()), int(held.sum())
        also = (
            f" (not counting {counted(started, 'other student')}, whose values are in the "
            "diagnostic's prior already)"
            if started
            else ""
        )
        said = (
            f"combine: the values of {counted(n, 'student')} of the placement {this!r} (of "
            f"{int(valued.sum()):,} it places) are not used{also}: an earlier one ({first!r}) "
            f"already gives every skill it knows for them, and the first placement that knows "
            f"a skill wins{how}"
        )
    warnings.warn(said, PlacementWarning, stacklevel=4)


def _held_by(prior: Placement, later: Placement, among: np.ndarray) -> np.ndarray:
    """(len(later),) whether each student of `later` (of those `among`) has every value of
    `later` in `prior` too, the placement a diagnostic started from: records the diagnostic
    was started from (`PlacementDiagnostic(catalog, prior=combine(records, grade))`), which its
    answers updated, not records it shadows. Only those students' rows are looked up and
    compared, so a few diagnosed students cost their rows, not the prior's district."""
    held = np.zeros(len(later), bool)
    mine = np.flatnonzero(among)
    rows = prior.rows_of([later.students[i] for i in mine])
    mine, rows = mine[rows >= 0], rows[rows >= 0]
    theirs = prior.aligned(later.skills, rows)
    values = later.mastery[mine]
    held[mine] = (np.isnan(values) | (values == theirs)).all(axis=1)
    return held


def _values_every_skill(placement: Placement, skills: Sequence[str]) -> bool:
    """Whether `placement` holds a value for each of its students on every one of `skills`:
    a diagnostic's placement does (what it did not ask it infers); records rarely do."""
    return set(skills) <= set(placement.skills) and not np.isnan(placement.mastery).any()


#: `skill_positions` per pair of skill lists (their identities: see `adaptive.memo`).
_POSITIONS: IdentityMemo[np.ndarray] = IdentityMemo(limit=64)


def skill_positions(have: tuple[str, ...], want: tuple[str, ...]) -> np.ndarray:
    """The position in `have` of each skill of `want` (-1 where absent), read-only; once per
    pair of lists: a vendor's request places one student against the same two (a placement's,
    usually the catalog's `skill_ids`, and the model's), and pandas' string index took ~1 ms a
    placement to build and search (a trial's first request of each student cost twice the
    others)."""

    def build() -> np.ndarray:
        codes = lookup_codes({skill: i for i, skill in enumerate(have)}, want)
        codes.flags.writeable = False
        return codes

    return _POSITIONS.get((have, want), build)


def on_skills(placement: Placement, skills: Sequence[str] | pd.Index, where: str) -> Placement:
    """`placement` without the skills not among `skills` (a model's), said when it places a
    student on any of them (`PlacementWarning`: how many rows, skills and students, the first
    codes with the spelling `skills` has, e.g. a vendor's lower-cased 'g5.g.1' for 'g5.G.1';
    ids never): a table read without its catalog is checked here, where it meets the model.
    A student placed on none of the rest is no longer placed from it (`Placement.without_skills`:
    the next placement of a `combine`, else the population prior), and counted."""
    names = [str(k) for k in skills]
    dropped = skill_positions(tuple(names), placement.skills) < 0
    valued = _records_on(placement, dropped)
    if not valued.any():
        return placement
    kept = placement.without_skills(dropped)
    codes = np.asarray(placement.skills, dtype=object)[dropped][valued.any(axis=0)]
    shown = [_spelled(str(k), names) for k in codes]
    lost = _students_lost(placement, kept)
    fallen = (
        f"; {counted(lost, 'student')} it placed on none of the model's skills now start from "
        "the next placement of the combine, or the population prior"
        if lost
        else ""
    )
    warnings.warn(
        f"{where}: the placement names {counted(len(codes), 'skill')} the model lacks "
        f"({some_of(shown, 3)}): its {counted(int(valued.sum()), 'row')} on them, for "
        f"{counted(int(valued.any(axis=1).sum()), 'student')}, are not used{fallen}. "
        f"{_lacking_hint(codes, names)}",
        PlacementWarning,
        stacklevel=3,
    )
    return kept


def _records_on(placement: Placement, dropped: np.ndarray) -> np.ndarray:
    """(n_students, n_dropped) which of the `dropped` skills hold a value of the placement's
    that is not a grade's: records, a diagnostic's. A grade placement's values on skills the
    model lacks (a catalog's skills no answer trained) were never the student's own: not said."""
    codes = placement.dropped_codes(dropped)
    if not placement.parts:
        if placement.grades is not None:
            return np.zeros((len(placement.students), len(codes)), bool)
        return ~np.isnan(placement.mastery[:, dropped])
    out = np.zeros((len(placement.students), len(codes)), bool)
    for part in placement.parts:
        if not part.grade:
            out[part.rows] |= part.valued()[:, dropped]
    return out


def _students_lost(placement: Placement, kept: Placement) -> int:
    """How many students `placement` placed whom `kept` (it without some skills) no longer
    places from the same source: placed by another part of a combine, or by nothing."""
    before = dict(zip(placement.students, placement.sources, strict=True))
    placed = dict(zip(placement.students, (~np.isnan(placement.mastery)).any(axis=1), strict=True))
    still = (~np.isnan(kept.mastery)).any(axis=1)
    return sum(
        1
        for s, src, on in zip(kept.students, kept.sources, still, strict=True)
        if placed[s] and (before[s] != src or not on)
    )


def _spelled(code: str, names: Sequence[str]) -> str:
    """A skill the model lacks, with the model's spelling where only the case differs
    ("'g5.g.1' for 'g5.G.1'"; a spelling guess would offer another grade's skill)."""
    same = same_but_case(code, names)
    return f"{code!r} for {same!r}" if same else repr(code)


def _lacking_hint(codes: Sequence[str], names: Sequence[str]) -> str:
    """What to do about skills the model lacks: a table whose codes are written in another
    case is to be read with its catalog (which refuses them with its spelling); a skill of the
    catalog no answer trained is kept by a BKT fitted with the catalog."""
    if any(same_but_case(str(k), names) for k in codes):
        return (
            "Read the table with its catalog (mastery_table_placement(frame, catalog=catalog)) "
            "to have such skills refused with the catalog's spelling"
        )
    return (
        "Skills the model was not fitted on: BKT().fit(log, catalog=catalog) (adaptive train "
        "--catalog FILE) keeps every skill of the catalog; or read the table with the model's "
        "catalog. Until then the lists place them from the student's grade, not from this "
        "placement, unless it is passed on: batch_from_model(..., placement=placement)"
    )


def place_new_students(
    model: KnowledgeTracer,
    state: TracingState,
    catalog: Catalog,
    profiles: Mapping[str, LearnerProfile],
    student_ids: Sequence[str],
    table: GradeTable | None = None,
    chunk: int = 20_000,
    given: Placement | None = None,
) -> int:
    """Place the students of `student_ids` the state does not hold yet (what the nightly job
    does before absorbing a night's responses, so a new student's first answers start from
    their grade, not from the population). Returns how many were placed.

    From `given` (earlier records, a diagnostic's saved placement) where it knows the student
    and skill, else from their profile's grade (with `table`, else the one read from the
    model's training log: `placement_table`); students with neither join at the population
    prior. Chunked, so the placement table never holds more than `chunk` students. Students
    the state holds whom a grade placed, and whose profile now has another grade, are placed
    again from it (`place_regraded`)."""
    table = placement_table(table, model)
    ids = list(dict.fromkeys(str(s) for s in student_ids))
    rows = state.rows(ids, missing=-1)
    new = [s for s, r in zip(ids, rows, strict=True) if r < 0]
    held = [profiles.get(s) for s, r in zip(ids, rows, strict=True) if r >= 0]
    place_regraded(model, state, catalog, held, rows[rows >= 0], table, chunk, given)
    for start in range(0, len(new), chunk):
        part = [profiles.get(s) or LearnerProfile(s) for s in new[start : start + chunk]]
        model.place(state, given_or_grade(catalog, part, given, table))
    return len(new)


def place_regraded(
    model: KnowledgeTracer,
    state: TracingState,
    catalog: Catalog,
    profiles: Sequence[LearnerProfile | None],
    rows: np.ndarray,
    table: GradeTable | None,
    chunk: int = 20_000,
    given: Placement | None = None,
) -> int:
    """Place again, from their profile's grade, the students of the state's `rows` (their
    `profiles` aligned; None: no profile) whom a grade placed and whose profile now has
    another grade: a grade corrected in the student information system (6 typed for 3), a
    student moved up a grade. Only the skills a grade placed move (the state keeps which:
    `TracingState.grade_cells`), and only those never answered (`place`): records beside the
    grade's guess (last year's, a carried reading) stay as they are, given again or not, and
    what was answered keeps its evidence. A diagnostic's placement (no grade in it) is never
    placed again. In a state saved before the grade cells were kept, a student placed from
    records is placed again only where `given` holds their records (else said and left).
    Said in one `PlacementWarning` (counts and grades, no id). Returns how many were placed
    again.

    A vendor's trial: a student placed from grade 6, whose profile was corrected to grade 3,
    was still served grade 4 work "placed from grade 6" with grades 3-5 counted as known. A
    rollover trial: a returning student placed from last year's records, their grade typed 12
    for 4 on the first roster, kept grade 5-8 skills at 0.95 after the correction."""
    rows = np.asarray(rows, np.int64)
    was = _grade_placed_before(state, rows)
    now = np.array(
        [np.nan if p is None or p.grade is None else p.grade for p in profiles], np.float64
    )
    moved = np.flatnonzero(np.isfinite(was) & np.isfinite(now) & (was != now))
    kept = _grade_cells_kept(state, rows[moved], len(model.skills_))  # type: ignore[attr-defined]
    by_cells = moved[kept]
    older = _records_at_hand(state, rows, moved[~kept], profiles, given)
    for start in range(0, len(by_cells), chunk):
        at = by_cells[start : start + chunk]
        part = [profiles[i] for i in at.tolist()]
        _place_grade_cells_again(model, state, catalog, part, rows[at], table)  # type: ignore[arg-type]
    for start in range(0, len(older), chunk):  # placed before the grade's cells were kept
        part = [profiles[i] for i in older[start : start + chunk].tolist()]
        model.place(state, given_or_grade(catalog, part, given, table))  # type: ignore[misc]
    moved = np.concatenate([by_cells, older])
    if not len(moved):
        return 0
    before = [grade_label(g) for g in np.unique(was[moved]).tolist()]
    n = len(moved)
    warnings.warn(
        f"{counted(n, 'student')} placed from grade {some_of(before, 5)} "
        f"{verb(n, 'has')} another grade in {'its' if n == 1 else 'their'} profile now: placed "
        "again from the profile's grade, on the skills not answered yet (what was answered "
        "keeps its evidence; records, as before)",
        PlacementWarning,
        stacklevel=3,
    )
    return len(moved)


def _place_grade_cells_again(
    model: KnowledgeTracer,
    state: TracingState,
    catalog: Catalog,
    profiles: list[LearnerProfile],
    rows: np.ndarray,
    table: GradeTable | None,
) -> None:
    """Place the students of the state's `rows` again from their profile's grade on the skills
    a grade placed them on (`TracingState.grade_cells`), never answered since (`place`): what
    records, a diagnostic or a carried reading gave stays, given again or not. Their words stay
    theirs but a grade's ("placed from last_year.csv"), their grade is the new one."""
    skills = tuple(str(k) for k in model.skills_)  # type: ignore[attr-defined]
    values = grade_placement(catalog, profiles, table).aligned(skills)
    values[~state.grade_cells(rows, len(skills))] = np.nan  # type: ignore[operator]
    words = state.placed_from(rows).astype(str)
    by_grade = np.char.startswith(words, GRADE_SOURCE_PREFIX)
    words = np.where(by_grade, [grade_source(p) for p in profiles], words)
    grades = np.array([p.grade for p in profiles], dtype=np.float64)
    ids = tuple(p.student_id for p in profiles)
    model.place(state, Placement(ids, skills, values, tuple(words.tolist()), grades))
    state.record_placement(rows, words.tolist(), grades)  # a student it gave no value too


def _grade_cells_kept(state: TracingState, rows: np.ndarray, n_skills: int) -> np.ndarray:
    """(len(rows),) True where the state knows which of a student's skills a grade placed
    (`TracingState.grade_cells`): False for a state, or a student, placed before they were
    kept (no cell said)."""
    cells = state.grade_cells(rows, n_skills)
    return np.zeros(len(rows), bool) if cells is None else cells.any(axis=1)


def _records_at_hand(
    state: TracingState,
    rows: np.ndarray,
    moved: np.ndarray,
    profiles: Sequence[LearnerProfile | None],
    given: Placement | None,
) -> np.ndarray:
    """The students of `moved` (positions in `rows`) who can be placed again without losing
    evidence: those a grade alone placed, and those placed from records beside it whose records
    `given` holds (placed again as before, the new grade on the rest). The others are left as
    they are and said (counts only): the state keeps their placed values, not which of them
    the records gave, so a grade's guess would overwrite their records (a vendor's trial: a
    transfer student's 0.9 and 0.2 became the grade's 0.7 and 0.7)."""
    words = state.placed_from(rows[moved]).astype(str)
    by_grade = np.char.startswith(words, GRADE_SOURCE_PREFIX) if len(words) else np.zeros(0, bool)
    known = np.array(
        [given is not None and given.source_of(profiles[i].student_id) is not None  # type: ignore[union-attr]
         for i in moved.tolist()],
        dtype=bool,
    )  # fmt: skip
    left = int((~by_grade & ~known).sum())
    if left:
        warnings.warn(
            f"{counted(left, 'student')} placed from records beside their grade's guess "
            f"{verb(left, 'has')} another grade in {'its' if left == 1 else 'their'} profile "
            "now: not placed again, as their records are not given here (the state keeps the "
            "values, not which the records gave); pass the records to place the new grade on "
            "the rest: batch_from_model(..., placement=records), as the nightly job's "
            "--placement",
            PlacementWarning,
            stacklevel=4,
        )
    return moved[by_grade | known]


def _grade_placed_before(state: TracingState, rows: np.ndarray) -> np.ndarray:
    """(len(rows),) the grade each student's grade-level values came from (`placed_grade`);
    for a state saved before it was kept, read from the placement's words ("placed from grade
    6"; NaN where they name no grade)."""
    grades = state.placed_grade(rows)
    unsaid = np.flatnonzero(np.isnan(grades))
    if len(unsaid):
        words = state.placed_from(rows[unsaid]).astype(str)
        from_grade = np.char.startswith(words, GRADE_SOURCE_PREFIX)
        said = [to_grade(w.removeprefix(GRADE_SOURCE_PREFIX)) for w in words[from_grade]]
        grades[unsaid[from_grade]] = [g if fits and g is not None else np.nan for fits, g in said]
    return grades
