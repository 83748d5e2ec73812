"""The one interface every policy honours, the arrays it reads and the values it returns.

A policy ranks a catalog's activities for students. It never knows which knowledge-tracing model
produced the mastery: a `StudentBatch` carries the numbers it needs as arrays (students x skills,
students x activities), so the daily job scores 100,000 students without a Python object per
student. A `StudentView` is the one-student form a vendor builds in-process.

    recs = policy.recommend(view, k=10, now=now)    # one student -> [Recommendation], .shortfall
    table = policy.recommend_batch(batch, k=10, now=now)         # many students -> DataFrame
    why = policy.explain(view, "act-42", now=now)                # why (not) this activity

Times are days (float) on one clock: `now` and `last_practiced` (a `pd.Timestamp` for `now` is
converted to days since the Unix epoch, see `to_days`).

Every `Recommendation` carries structured `Reason`s (the contribution of each scoring term) and
one plain sentence a teacher or a student understands.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.curriculum.catalog import activity_expected, skill_expected
from adaptive.data.codes import id_list
from adaptive.dates import parse_iso, spreadsheet_day
from adaptive.errors import (
    ArgumentError,
    ConfigError,
    CoverageWarning,
    LateAnswerWarning,
    check_keywords,
    closest_name,
    counted,
    expect_type,
    nth,
    some_of,
)
from adaptive.grades import parse_grade
from adaptive.memo import IdentityMemo, SaidOnce
from adaptive.placement.prior import grade_placement, grade_source
from adaptive.policy.config import PolicyConfig

if TYPE_CHECKING:
    from adaptive.policy.shortfall import Shortfall


@dataclass(frozen=True)
class Reason:
    """One term's contribution to a recommendation's score (or why it was blocked)."""

    term: str
    contribution: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Reason:
        return cls(**d)


@dataclass(frozen=True)
class Recommendation:
    """An activity chosen for a student, with why."""

    activity_id: str
    skill_id: str
    score: float
    p_correct: float
    reasons: tuple[Reason, ...] = ()
    sentence: str = ""
    rank: int = 0
    assigned_by_teacher: bool = False
    propensity: float | None = None  # P(this choice | earlier ones) when the policy samples

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reasons"] = [r.to_dict() for r in self.reasons]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Recommendation:
        return cls(**{**d, "reasons": tuple(Reason.from_dict(r) for r in d.get("reasons", ()))})


#: A term's contribution below this is no reason: it prints as +0.000 ("leads toward one of the
#: student's goal skills (+0.000)" for a skill the student already knows).
SMALLEST_REASON = 5e-4


class StudentRecommendations(list[Recommendation]):
    """One student's top-k recommendations (the list itself), where they were placed, and why
    the list is short.

    What `policy.recommend` (one student's request) and `recommend_students` return. A `list`
    of `Recommendation`, as both returned before, so code that took that list keeps working:
    iterate, index, slice, `len`, `== [...]` (the list's items only), `+`, `isinstance(...,
    list)`, and `json.dumps` as the list's. `placement`: "placed from grade 12", "placed from
    last_year.csv", '' for a student with answers placed from their grade, and for a
    `StudentView` placed from no grade (`view_placements`): the nightly job's students table's
    words, and each recommendation's `placement` reason; read from the student's batch, so a
    student served nothing is still told where they started. `shortfall`: why fewer than k
    came back (None for a full list, and from a policy that cannot say: the baselines), from
    the same batch and selection (`Policy.select_and_why`)."""

    def __init__(
        self,
        recommendations: Iterable[Recommendation] = (),
        placement: str = "",
        shortfall: Shortfall | None | Callable[[], Shortfall | None] = None,
    ) -> None:
        super().__init__(recommendations)
        self.placement = placement
        self._shortfall = shortfall

    @property
    def shortfall(self) -> Shortfall | None:
        """Why the list is short: worked out when first read (a request that never reads it,
        a vendor's usual one, does not pay for it: ~0.3 ms), then kept. It reads the request's
        batch then: read it before changing that batch's arrays in place (a copy per request
        would cost ~0.16 ms, half the saving)."""
        if callable(self._shortfall):
            self._shortfall = self._shortfall()
        return self._shortfall

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (a worker's result) with the reason worked out: the call is not kept."""
        return {**self.__dict__, "_shortfall": self.shortfall}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A result pickled before the reason was lazy kept it as `shortfall`."""
        state = dict(state)
        state.setdefault("_shortfall", state.pop("shortfall", None))
        self.__dict__.update(state)

    @property
    def recommendations(self) -> list[Recommendation]:
        """The plain list (a copy), as `placed_recommendations` once gave it apart from
        `placement`."""
        return list(self)

    def __repr__(self) -> str:
        return (
            f"StudentRecommendations({list.__repr__(self)}, placement={self.placement!r}, "
            f"shortfall={self.shortfall!r})"
        )


def is_reason(contribution: float) -> bool:
    """A term's contribution is worth saying (`SMALLEST_REASON`)."""
    return abs(contribution) >= SMALLEST_REASON


@dataclass(frozen=True)
class Explanation:
    """Why an activity is (or is not) in a student's list: status, reasons, one sentence.

    status: recommended | assigned | eligible | blocked | unmet_review (a review of a skill the
    student has not practised) | assumed_known (every skill of it never answered, its starting
    estimate at least `PolicyConfig.assumed_known`: nothing to learn there) | excluded |
    completed | recent | out_of_scope | out_of_grade_band | stuck | over_budget | skill_cap |
    one_check (its skill is checked first, and another of its activities is the check: one
    answer is a check) | one_review (its skill is due for review, and another of its activities
    is the review) | unknown (not an activity of the catalog: the sentence says what to
    give). A `blocked` activity may be waiting on a check: its reasons say "checked first".
    """

    activity_id: str
    status: str
    sentence: str
    reasons: tuple[Reason, ...] = ()
    rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reasons": [r.to_dict() for r in self.reasons]}


@dataclass(frozen=True)
class TeacherOverrides:
    """Hard constraints a teacher sets for a student (or a whole class).

    `assigned` are included first, in the given order, whatever readiness, the time budget
    and the per-skill cap say (a teacher's choice is served and uses up the day's minutes);
    an activity is never both assigned and excluded. `excluded_skills` sets whole skills aside:
    every activity on one of them is excluded (a teacher thinks in skills, not activity ids).
    """

    assigned: tuple[str, ...] = ()
    excluded: frozenset[str] = frozenset()
    scope_skills: frozenset[str] | None = None  # curriculum scope; None = whole catalog
    max_grade: int | None = None
    min_grade: int | None = None
    daily_minutes: float | None = None
    #: the teacher's "remediate" mode: skills of the grade below the student's known only from
    #: the placement count as not shown until answered, so the student checks the foundations
    #: before what builds on them (`features.unverified_below_grade`)
    remediate: bool = False
    #: skill ids set aside by the teacher: every activity on one of them is excluded
    excluded_skills: frozenset[str] = frozenset()
    #: the teacher's "accelerate" mode (its band, grade-level and next grade's, is `min_grade`
    #: and `max_grade`): a reason for work above the student's grade, or for a skill served
    #: without a check the band keeps out, says the teacher asked for it. A band alone (a
    #: vendor's, a simulation's) says nothing of the kind: the teacher did not ask
    accelerate: bool = False

    def __post_init__(self) -> None:
        """Constraints that leave nothing to recommend are errors, not an empty list: a grade
        band whose lowest grade is above its highest, a day of negative minutes (0 is a day with
        no time, as a profile's weekly_minutes of 0: an empty list that says so, a teacher's
        assigned activities still served). An activity assigned
        twice, or both assigned and excluded, is refused as an overrides file refuses it
        (`overrides_clashes`): the exclusion dropped the pin without a word."""
        clashes = overrides_clashes(_listed_ids(self.assigned), sorted(_listed_ids(self.excluded)))
        if clashes:
            field_, i, activity, expected = clashes[0]
            where = f"{field_}[{i}]" if field_ == "assigned" else field_  # excluded: a set
            raise ConfigError(
                f"TeacherOverrides: {where} {activity!r}: expected {expected.format('')}"
            )
        for name in ("min_grade", "max_grade"):  # "7th" and 7.0 are grade 7, as in a profile
            object.__setattr__(
                self, name, parse_grade(getattr(self, name), f"TeacherOverrides: {name}")
            )
        for mode in ("remediate", "accelerate"):  # "yes" would be a bare ValueError
            if not isinstance(getattr(self, mode), bool | np.bool_):
                raise ConfigError(
                    f"TeacherOverrides: {mode} {getattr(self, mode)!r}; expected True or False"
                )
            object.__setattr__(self, mode, bool(getattr(self, mode)))
        if self.remediate and self.accelerate:
            raise ConfigError(
                "TeacherOverrides: accelerate and remediate both True; expected one mode at most"
            )
        low, high = self.min_grade, self.max_grade
        if low is not None and high is not None and low > high:
            raise ConfigError(
                f"TeacherOverrides: min_grade {low} above max_grade {high}; expected a grade "
                "band from min_grade up to max_grade"
            )
        minutes = self.daily_minutes
        if minutes is not None and not (isinstance(minutes, int | float) and minutes >= 0):
            raise ConfigError(
                f"TeacherOverrides: daily_minutes {minutes!r}; expected minutes >= 0 (0: a day "
                "with no time; None: the profile's)"
            )


def overrides_clashes(
    assigned: Sequence[str | None], excluded: Sequence[str | None]
) -> list[tuple[str, int, str, str]]:
    """Each activity of one student's overrides (ids trimmed; None: an entry not read as an id,
    skipped) that is assigned twice (it would be served once, in an order the teacher did not
    give) or both assigned and excluded (the exclusion would win: the pin dropped without a
    word), as (field, position in it, activity, what was expected): one rule for an overrides
    file (`adaptive.batch.overrides`, `{}` in the expectation being where the student's entry is,
    e.g. "students.st1.") and a request's `TeacherOverrides` (`{}` empty)."""
    problems: list[tuple[str, int, str, str]] = []
    first: dict[str, int] = {}
    for i, activity in enumerate(assigned):
        if activity is None:
            continue
        j = first.setdefault(activity, i)
        if j != i:
            expected = f"each activity once in {{}}assigned (it is also assigned[{j}]; it would "
            problems.append(("assigned", i, activity, expected + "be served once)"))
    for i, activity in enumerate(excluded):
        if activity in first:
            expected = (
                "an activity either assigned or excluded (this one is also in {}assigned, and the "
                "exclusion would win without a word)"
            )
            problems.append(("excluded", i, activity, expected))
    return problems


def set_aside_clashes(
    assigned: Sequence[str | None],
    excluded_skills: Collection[str],
    skills_of: Callable[[str], Collection[str]],
) -> list[tuple[int, str, str]]:
    """Each activity of one student's `assigned` (ids trimmed; None skipped) on a skill of their
    `excluded_skills` (`skills_of(activity)`: its skills): the exclusion would win, the pin
    dropped without a word. As (position in assigned, activity, what was expected), `{}` in
    the expectation being where the student's entry is, as `overrides_clashes`'s: one rule for
    an overrides file (`adaptive.batch.overrides`) and a request's `TeacherOverrides`
    (`skills_set_aside`)."""
    aside = set(excluded_skills)
    problems: list[tuple[int, str, str]] = []
    for i, activity in enumerate(assigned):
        on = sorted(aside.intersection(skills_of(activity))) if activity is not None else []
        if on:
            skill = repr(on[0]).replace("{", "{{").replace("}", "}}")  # kept through .format
            expected = (
                f"an activity on no skill of {{}}excluded_skills (this one is on {skill}, and "
                "the exclusion would win without a word)"
            )
            problems.append((i, activity, expected))
    return problems


def _listed_ids(ids: object) -> list[str]:
    """The trimmed text ids of a `TeacherOverrides` field, for `overrides_clashes`: what is no
    list of ids is left to `activity_matrix`, which says so with the field's name."""
    if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
        return []
    return [a.strip() for a in ids if isinstance(a, str)]


def to_days(now: float | pd.Timestamp | dt.datetime | dt.date | str | None) -> float:
    """`now` as float days: a number is kept; a Timestamp, `datetime` (naive = UTC), `date`
    (its midnight, UTC) or `numpy.datetime64` becomes days since the Unix epoch; text is ISO
    8601; None is the current time (UTC), so that review of fading skills sees real elapsed
    days. Anything else is a TypeError that says what is expected."""
    if now is None:
        return float(pd.Timestamp.now(tz="UTC").value) / 86_400e9
    if isinstance(now, float | int | np.number) and not isinstance(now, bool | np.bool_):
        return _days_number(float(now))
    if isinstance(now, str):  # text: ISO 8601 only (03/04/2027 is two different days)
        try:
            now = parse_iso(now, "now")
        except ConfigError as exc:  # an argument's value: an ArgumentError, as a number's
            raise ArgumentError(str(exc)) from None
    if isinstance(now, pd.Timestamp | np.datetime64 | dt.date):  # dt.datetime is a dt.date
        ts = pd.Timestamp(now)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
        return float(ts.value) / 86_400e9
    raise TypeError(
        f"now: expected days since the Unix epoch (a number), a datetime, date or Timestamp, "
        f"ISO 8601 text, or None (the current time); got {type(now).__name__} {now!r}"
    )


#: The largest `now` in days read as days (year ~4700): epoch seconds or milliseconds of any
#: time after 12 January 1970 lie beyond it, so they are refused rather than read as days.
MAX_DAYS = 1_000_000.0


def _days_number(days: float) -> float:
    """A number given as `now`: days since the epoch, finite and within `MAX_DAYS`."""
    if not np.isfinite(days) or abs(days) > MAX_DAYS:
        hint = (
            f" (as epoch seconds: {pd.Timestamp(days, unit='s', tz='UTC'):%Y-%m-%d %H:%M}; "
            "pass pd.Timestamp(now, unit='s') or a datetime)"
            if np.isfinite(days) and abs(days) < 1e11
            else " (epoch milliseconds? pass pd.Timestamp(now, unit='ms') or a datetime)"
            if np.isfinite(days)
            else ""
        )
        raise ArgumentError(
            f"now = {days!r}: expected days since the Unix epoch (a number within "
            f"+-{MAX_DAYS:,.0f}), a datetime, date or Timestamp, or ISO 8601 text{hint}"
        )
    serial = spreadsheet_day(days) if days >= SPREADSHEET_NOT_EPOCH_DAYS else None
    if serial is not None:  # a vendor's trial: 46363 was served as 2096, "mastered 70 years ago"
        read = pd.Timestamp(days, unit="D").strftime("%Y-%m-%d")
        raise ArgumentError(
            f"now = {days!r}: as days since the Unix epoch it is {read}; it looks like a "
            f"spreadsheet's serial date, {serial}: pass the date itself "
            f"(pd.Timestamp({serial!r})) or days since the epoch"
        )
    return days


#: Days since the epoch from which a number that is also a spreadsheet's serial date (days
#: since 1899-12-30, `adaptive.dates.spreadsheet_day`) is read as one: 2070-01-01 as epoch
#: days, the serial date 2000-01-01.
SPREADSHEET_NOT_EPOCH_DAYS = 36_525.0


def check_k(k: object) -> int:
    """The number of recommendations asked for: a whole number >= 1 (an ArgumentError otherwise,
    where an empty or negative k would end deep in the selection's arrays)."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ArgumentError(f"k: expected a whole number of recommendations >= 1, got {k!r}")
    return int(k)


@dataclass
class StudentView:
    """What a policy knows of one student (arrays aligned with `catalog.skill_index`, or
    mappings {skill_id: value} for the skills known; `profile` None: no profile).

    mastery : P(mastered) per skill in [0, 1]; NaN (or left out of a mapping) where the model
        does not know the skill: placed from the profile's grade (the policy's `grade_table`,
        as `batch_from_model` places a student without history), else read as not known.
    p_correct : P(correct) on a typical item of each skill (NaN -> derived from mastery).
    n_responses, streak : responses so far and the current run of correct answers per skill
        (streak None: no wrong answer recorded, the run is every response). The policy reads
        a skill with responses and a run of 0 as last answered wrong: it waits for right
        answers, and its never-answered prerequisites may be checked
        (`PolicyConfig.check_prerequisites_after`); a streak mapping gives every answered
        skill's run.
    last_practiced : day of the last response per skill (NaN where never).
    progress : recent change of accuracy per skill (ZPDES learning progress), in [-1, 1].
    completed, recent : ids of activities completed, and of the last session (no repeats).
    """

    student_id: str
    profile: LearnerProfile | None
    mastery: np.ndarray | Mapping[str, float]
    p_correct: np.ndarray | None = None
    n_responses: np.ndarray | None = None
    last_practiced: np.ndarray | None = None
    streak: np.ndarray | None = None
    progress: np.ndarray | None = None
    completed: frozenset[str] = frozenset()
    recent: tuple[str, ...] = ()
    overrides: TeacherOverrides | None = None

    def __post_init__(self) -> None:
        check_profile(self.profile)
        if self.profile is not None and self.profile.student_id != str(self.student_id).strip():
            raise ConfigError(  # no ids: an app that logs exceptions would write them
                "StudentView with another student's profile (the view's student_id and the "
                "profile's differ): expected the student's own profile (profiles[student_id])"
            )
        for field_name in ("mastery", "p_correct"):
            self._check_probabilities(field_name)

    def _check_probabilities(self, field_name: str) -> None:
        """A probability outside [0, 1] (a percentage: 90 for 0.9) is one error naming the
        field and the skill (never the student: the caller knows whom it passed), when the
        view is made (it was said only once a policy
        read the view). Values that are no numbers are left to the policy's own reading, which
        says what it expected."""
        value = getattr(self, field_name)
        if value is None:
            return
        keys = None
        try:
            if isinstance(value, pd.Series):
                keys, numbers = value.index, value.to_numpy(float)
            elif isinstance(value, Mapping):
                keys, numbers = list(value), np.fromiter(value.values(), float, len(value))
            else:
                numbers = np.asarray(value, float).ravel()
        except (TypeError, ValueError):
            return
        found = first_outside(numbers)
        if found is not None:
            at, hint = found
            where = f"[{keys[at]!r}]" if keys is not None else f"[{at}]"
            raise ConfigError(
                f"StudentView: {field_name}{where} = {float(numbers[at])!r}; "
                f"{PROBABILITY_EXPECTED}{hint}"
            )


def _activity_matrix(name: str, value: object) -> sparse.csr_matrix:
    """A batch's (students x activities) field as CSR; activity ids in its place (a vendor's
    `batch_from_model(..., assigned=["g4.NF.2.practice1"])`) are a `TypeError` saying where a
    teacher's choices go (they were a ValueError deep in scipy)."""
    if isinstance(value, list | tuple) and any(isinstance(v, str) for v in value):
        raise TypeError(
            f"StudentBatch.{name}: activity ids {list(value)[:3]!r}; expected a (students x "
            "activities) sparse matrix. A teacher's choices for a student go in "
            "StudentView(..., overrides=TeacherOverrides(assigned=..., excluded=...)), or, for "
            "batch_from_model, as OverrideSet({id: StudentOverride(...)}).batch_fields(catalog, "
            "profiles, ids) passed as keywords"
        )
    return sparse.csr_matrix(value, dtype=np.float64)


def check_profile(profile: object) -> None:
    """A view's profile is a `LearnerProfile` or None: a dict of profile fields ended in an
    AttributeError deep in the policy ('dict' object has no attribute 'goal_skills')."""
    if profile is not None and not isinstance(profile, LearnerProfile):
        raise TypeError(
            f"profile: expected a LearnerProfile or None, got {type(profile).__name__} "
            f"{profile!r:.80}; build one with LearnerProfile(student_id, grade=..., ...) or "
            "LearnerProfile.from_dict({...}), or read a file with read_profiles(path)"
        )


def placed_where_unknown(
    catalog: Catalog, profiles: Sequence[LearnerProfile], mastery: np.ndarray,
    config: PolicyConfig,
) -> np.ndarray:  # fmt: skip
    """`mastery` with each skill the caller left unknown (NaN) placed from the student's grade
    (the policy's `grade_table`), as `batch_from_model` places a student without history: an
    unknown skill would read as not started, so far-below-grade skills would look like the
    next ones to learn. Students without a grade, and skills without one, stay unknown."""
    unknown = np.isnan(mastery)
    if not unknown.any():
        return mastery
    placed = np.stack([_grade_row(catalog, config.grade_table, p.grade) for p in profiles])
    return np.where(unknown, placed, mastery)


def view_placements(
    catalog: Catalog,
    profiles: Sequence[LearnerProfile],
    estimated: np.ndarray,
    answered: np.ndarray,
) -> np.ndarray:
    """(n,) each view's placement words, as `batch_from_model` says them (`grade_source`):
    "placed from grade 4" for a student with a grade whose view left skills with a grade
    unknown (placed from that grade, `placed_where_unknown`) and who has not answered yet (a
    grade placement is said only before the first answer); '' otherwise (every skill the
    app's own estimate, only skills without a grade left unknown, or no grade: nothing was
    placed)."""
    graded = ~np.isnan(np.asarray(catalog.skill_grades, float))
    placed = (~estimated & graded[None, :]).any(axis=1) & ~(answered > 0).any(axis=1)
    return np.array(
        [grade_source(p) if on and p.grade is not None else "" for p, on in
         zip(profiles, placed.tolist(), strict=True)],
        dtype=object,
    )  # fmt: skip


#: Grade placement rows, per (catalog, grade table) and grade.
_GRADE_ROWS: IdentityMemo[np.ndarray] = IdentityMemo(limit=256)


def _grade_row(catalog: Catalog, table: object, grade: int | None) -> np.ndarray:
    """(S,) the grade placement of a student of `grade` (NaN without one), made once per
    catalog, table and grade: a vendor's request places one student, and the placement's
    grade-order pass would cost more than the rest of the request."""
    return _GRADE_ROWS.get((catalog, table), lambda: _placed_row(catalog, table, grade), grade)


def _placed_row(catalog: Catalog, table: object, grade: int | None) -> np.ndarray:
    """(S,) the grade placement of one student of `grade`; NaN throughout for None (no grade:
    kindergarten is 0, pre-K -1)."""
    if grade is None:
        return np.full(len(catalog.skills), np.nan)
    profile = LearnerProfile("placed", grade=grade)
    return grade_placement(catalog, [profile], table).mastery[0]  # type: ignore[arg-type]


def check_view(student: object) -> None:
    """A `StudentView`, or one TypeError that says where one comes from (a vendor passing an
    id, a profile or None would otherwise meet an AttributeError deep in the policy)."""
    if not isinstance(student, StudentView):
        raise TypeError(
            f"student: expected a StudentView or a one-student StudentBatch, got "
            f"{type(student).__name__}; for a student a model traces, build the batch with "
            "adaptive.policy.adapter.batch_from_model(model, state, catalog, profiles, "
            "student_ids=[id])"
        )


#: The `StudentBatch` fields a teacher's overrides set (`TeacherOverrides`).
OVERRIDE_FIELDS = (
    "assigned", "excluded", "scope", "min_grade", "max_grade", "remediate", "accelerate"
)  # fmt: skip


def carries_overrides(batch: StudentBatch) -> bool:
    """Whether a teacher's overrides set some field of `OVERRIDE_FIELDS` in the batch."""
    return bool(
        batch.assigned.nnz
        or batch.excluded.nnz
        or not batch.scope.all()
        or not np.isnan(batch.min_grade).all()
        or not np.isnan(batch.max_grade).all()
        or np.any(batch.remediate)
        or np.any(batch.accelerate)
    )


def one_student(
    batch: StudentBatch, catalog: Catalog, overrides: TeacherOverrides | None = None
) -> StudentBatch:
    """The batch `recommend` serves: one student's (`recommend_batch` serves many, as a table),
    with `overrides` (a teacher's, as a `StudentView` takes them) read as a view's are (unknown
    ids refused), so a model-traced student's request takes them as a vendor's own estimates
    do (a trial found them refused beside a batch). A batch built with overrides of its own
    (`batch_from_model(..., **OverrideSet.batch_fields(...))`) is refused beside more: the two
    would not merge (one would silently replace the other)."""
    if len(batch) != 1:
        raise ConfigError(
            f"recommend: this batch holds {len(batch):,} students; expected one "
            "(batch_from_model(..., student_ids=[id])), or recommend_batch(batch, k) for many"
        )
    if overrides is None:
        return batch
    expect_type(overrides, TeacherOverrides, "overrides", "TeacherOverrides(assigned=..., ...)")
    if carries_overrides(batch):
        raise ConfigError(
            "recommend: this batch was built with a teacher's overrides (assigned, excluded, a "
            "scope, a grade band, remediate or accelerate) and overrides= gives more: give them "
            "once, when the batch is built or here"
        )
    served = copy.copy(batch)
    for name, value in teacher_arrays(catalog, [overrides]).items():
        setattr(served, name, value)
    if overrides.daily_minutes is not None:
        served.daily_minutes = np.array([overrides.daily_minutes], float)
    return served


@dataclass
class StudentBatch:
    """Many students as arrays: the input of every policy's batch form.

    Shapes: n students, S = len(catalog.skills), A = len(catalog.activities),
    T = len(catalog.topics). Build with `StudentBatch.build(...)` (defaults for everything but
    the mastery), `from_views`, or `adaptive.policy.adapter.batch_from_model`.

    `skill_ids` names the S columns: the catalog's skill ids in the catalog's order
    (`catalog.skill_ids`), which is not a model's (`model.mastery(state)`'s columns follow
    `model.skills_`, the training log's sorted): read a column by its id through the catalog's
    index, `batch.mastery[:, catalog.skill_index.get_loc(skill_id)]`.
    Fields (n, S): mastery (NaN = unknown -> not started), p_correct, n_responses, streak (the
    run of right answers that ends each skill's responses; not given: every response),
    last_practiced (NaN = never), progress, goals (bool), scope (bool; all True = no scope).
    Fields (n, A) sparse CSR: completed, recent, excluded (bool) and assigned (1-based order).
    Fields (n,): student_ids, grade, daily_minutes, min_grade, max_grade (NaN = no bound),
    class_id, school_id, ability (logit shift of the student's P(correct) against the population
    at equal mastery; 0 = typical), remediate (1 where the teacher chose "remediate":
    `TeacherOverrides.remediate`), accelerate (1 where the teacher chose "accelerate":
    `TeacherOverrides.accelerate`; its reasons say so), placement (where a student without
    history was started, e.g. "placed from grade 4"; "" otherwise), learning_z (the z of the
    fitted model's `learning_curve_`, the same for every student of a batch from one model: how
    surely learning in the district is gradual, `PolicyConfig.gradual_learning_z`; NaN = not
    measured, not gradual). interests (n, T) weights in [0, 1]. level_known (n, S) or None:
    P(known) from where each student stands in the curriculum (`adapter.level_beliefs`), given
    where the model found the district's knowledge to follow the curriculum order; the adaptive
    policy reads it for the skills a student never answered (NaN: not read; None: nowhere).
    latest_answer (n,) or None: the day of each student's latest answer the tracing state absorbed
    (`batch_from_model`; NaN: none), so a request dated before it warns without a log.
    estimated (n, S) bool or None: True where the caller gave the skill's mastery (a
    `StudentView`'s own estimate, `from_views`), so the words do not call it a placement; None
    (`batch_from_model`, `build`): every starting estimate is the model's or a placement's.
    """

    student_ids: np.ndarray
    mastery: np.ndarray
    p_correct: np.ndarray
    n_responses: np.ndarray
    streak: np.ndarray
    last_practiced: np.ndarray
    progress: np.ndarray
    goals: np.ndarray
    scope: np.ndarray
    interests: np.ndarray
    completed: sparse.csr_matrix
    recent: sparse.csr_matrix
    excluded: sparse.csr_matrix
    assigned: sparse.csr_matrix
    grade: np.ndarray
    daily_minutes: np.ndarray
    min_grade: np.ndarray
    max_grade: np.ndarray
    class_id: np.ndarray
    school_id: np.ndarray
    ability: np.ndarray
    remediate: np.ndarray
    accelerate: np.ndarray
    placement: np.ndarray
    learning_z: np.ndarray
    level_known: np.ndarray | None = None
    latest_answer: np.ndarray | None = None
    estimated: np.ndarray | None = None
    catalog_sha256: str = ""  # the catalog it was built on (`Catalog.sha256`; "": not checked)
    settings: tuple = ()  # `batch_settings` of the config it was built with (() = not checked)
    skill_ids: tuple[str, ...] = ()  # the (n, S) fields' columns: the catalog's skills, in order

    def __len__(self) -> int:
        return len(self.student_ids)

    @classmethod
    def build(
        cls,
        catalog: Catalog,
        student_ids: Sequence[str] | np.ndarray,
        mastery: np.ndarray,
        *,
        config: PolicyConfig | None = None,
        **given: Any,
    ) -> StudentBatch:
        """A batch with defaults for every field not given (checked for shape)."""
        config = config or PolicyConfig()
        ids = np.asarray(student_ids, dtype=object)
        n, n_s, n_a, n_t = (
            len(ids),
            len(catalog.skills),
            len(catalog.activities),
            len(catalog.topics),
        )
        mastery = np.asarray(mastery, dtype=np.float64).reshape(n, -1) if n else np.zeros((0, n_s))
        nan_s = np.full((n, n_s), np.nan)

        def empty() -> sparse.csr_matrix:
            return empty_activity_set(n, n_a)

        defaults: dict[str, Any] = {
            "p_correct": lambda: nan_s,
            "n_responses": lambda: np.zeros((n, n_s), np.int32),
            "streak": lambda: np.zeros((n, n_s), np.int32),
            "last_practiced": lambda: nan_s,
            "progress": lambda: np.zeros((n, n_s)),
            "goals": lambda: np.zeros((n, n_s), bool),
            "scope": lambda: np.ones((n, n_s), bool),
            "interests": lambda: np.zeros((n, n_t)),
            "completed": empty,
            "recent": empty,
            "excluded": empty,
            "assigned": empty,
            "grade": lambda: np.full(n, np.nan),
            "daily_minutes": lambda: np.full(n, config.default_daily_minutes),
            "min_grade": lambda: np.full(n, np.nan),
            "max_grade": lambda: np.full(n, np.nan),
            "class_id": lambda: np.full(n, "", dtype=object),
            "school_id": lambda: np.full(n, "", dtype=object),
            "ability": lambda: np.zeros(n),
            "remediate": lambda: np.zeros(n),
            "accelerate": lambda: np.zeros(n),
            "placement": lambda: np.full(n, "", dtype=object),
            "learning_z": lambda: np.full(n, np.nan),
            "level_known": lambda: None,
            "latest_answer": lambda: None,
            "estimated": lambda: None,
        }
        # a misspelt field (`exclded=`) named with the one meant, never left at its default
        check_keywords(given, [*defaults, "config"], "StudentBatch.build")
        values = {
            k: given[k] if given.get(k) is not None else make() for k, make in defaults.items()
        }
        if given.get("streak") is None:  # no wrong answer recorded: the run is every response
            values["streak"] = np.array(values["n_responses"], dtype=np.int32, copy=True)
        batch = cls(student_ids=ids, mastery=mastery, **values)
        batch.check(catalog)
        batch.settings = batch_settings(config)
        return batch

    def check(self, catalog: Catalog) -> None:
        """Coerce dtypes and check every shape against the catalog; ConfigError names the field.
        The batch is then built on this catalog (`catalog_sha256`): a policy of another catalog
        (other ids, or the same ids with other prerequisites, grades or topics) refuses it."""
        n, n_s, n_a = len(self.student_ids), len(catalog.skills), len(catalog.activities)
        expected = {"A": n_a, "S": n_s, "T": len(catalog.topics)}
        shapes = {
            "mastery": "S",
            "p_correct": "S",
            "n_responses": "S",
            "streak": "S",
            "last_practiced": "S",
            "progress": "S",
            "goals": "S",
            "scope": "S",
            "interests": "T",
            "completed": "A",
            "recent": "A",
            "excluded": "A",
            "assigned": "A",
        }
        AXIS_NAMES = {"A": "activities", "S": "skills", "T": "topics"}  # noqa: N806
        for name, axis in shapes.items():
            value = getattr(self, name)
            if name in ("completed", "recent", "excluded", "assigned"):
                if not (
                    sparse.issparse(value) and value.format == "csr" and value.dtype == np.float64
                ):
                    value = _activity_matrix(name, value)
            else:
                value = np.asarray(value)
            if value.shape != (n, expected[axis]):
                raise ConfigError(
                    f"StudentBatch.{name}: shape {value.shape}, expected ({n}, {expected[axis]}) "
                    f"(students x {AXIS_NAMES[axis]})"
                )
            setattr(self, name, value)
        for name in (
            "grade", "daily_minutes", "min_grade", "max_grade", "ability", "remediate",
            "accelerate", "learning_z",
        ):  # fmt: skip
            value = np.asarray(getattr(self, name), dtype=np.float64)
            if value.shape != (n,):
                raise ConfigError(f"StudentBatch.{name}: shape {value.shape}, expected ({n},)")
            setattr(self, name, value)
        for name in ("class_id", "school_id", "placement"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=object))
        self.mastery = self.mastery.astype(np.float64, copy=False)
        if self.level_known is not None:
            self.level_known = np.asarray(self.level_known, dtype=np.float32)
            if self.level_known.shape != (n, n_s):
                raise ConfigError(
                    f"StudentBatch.level_known: shape {self.level_known.shape}, expected "
                    f"({n}, {n_s}) (students x skills)"
                )
        if self.estimated is not None:
            self.estimated = np.asarray(self.estimated, dtype=bool)
            if self.estimated.shape != (n, n_s):
                raise ConfigError(
                    f"StudentBatch.estimated: shape {self.estimated.shape}, expected "
                    f"({n}, {n_s}) (students x skills)"
                )
        if self.latest_answer is not None:
            self.latest_answer = np.asarray(self.latest_answer, dtype=np.float64)
            if self.latest_answer.shape != (n,):
                raise ConfigError(
                    f"StudentBatch.latest_answer: shape {self.latest_answer.shape}, expected ({n},)"
                )
        for name in ("mastery", "p_correct", "level_known"):
            if getattr(self, name) is not None:
                check_probabilities(getattr(self, name), f"StudentBatch.{name}", self, catalog)
        self.goals = self.goals.astype(bool, copy=False)
        self.scope = self.scope.astype(bool, copy=False)
        self.catalog_sha256 = catalog.sha256
        self.skill_ids = catalog.skill_ids

    def take(self, rows: slice | np.ndarray) -> StudentBatch:
        """The sub-batch of some rows (a slice or positions)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            kept = f.name in ("catalog_sha256", "settings", "skill_ids") or value is None
            out[f.name] = value if kept else value[rows]
        return StudentBatch(**out)

    @classmethod
    def from_views(
        cls, catalog: Catalog, views: Sequence[StudentView], config: PolicyConfig | None = None
    ) -> StudentBatch:
        """Stack one-student views into a batch (profiles and overrides become arrays)."""
        for v in views:
            check_view(v)
        config = config or PolicyConfig()
        n, n_s = len(views), len(catalog.skills)

        def stack(name: str, fill: float, dtype: Any) -> np.ndarray:
            out = np.full((n, n_s), fill, dtype=dtype)
            for i, v in enumerate(views):
                value = getattr(v, name)
                if value is not None:
                    view_row(out[i], value, catalog, f"{student_at(i, n)}{name}")
            return out

        def counts(name: str) -> np.ndarray:
            """(n, S) int32 counts (responses, streak): whole numbers >= 0, or one error naming
            the field and skill, and the student's position of several (-5 or 2.5 responses
            were truncated or read as none)."""
            out = stack(name, 0, np.float64)
            bad = ~(np.isfinite(out) & (out >= 0) & (out == np.floor(out)))
            if bad.any():
                i, j = np.argwhere(bad)[0]
                raise ConfigError(
                    f"{student_at(i, n)}{name}: skill {catalog.skills[j].id!r}: "
                    f"{float(out[i, j])!r}; expected counts, whole numbers >= 0"
                )
            return out.astype(np.int32)

        def runs() -> np.ndarray:
            """(n, S) each student's run of right answers; a view without one has none wrong
            recorded (its every response)."""
            out, answered = counts("streak"), counts("n_responses")
            unrecorded = [i for i, v in enumerate(views) if v.streak is None]
            out[unrecorded] = answered[unrecorded]
            longer = np.argwhere(out > answered)
            if len(longer):
                i, j = longer[0]
                raise ConfigError(
                    f"{student_at(i, n)}streak: skill {catalog.skills[j].id!r}: "
                    f"{counted(int(out[i, j]), 'right answer')} in a row, but n_responses is "
                    f"{answered[i, j]}: "
                    "a run of right answers is some of the skill's responses (give n_responses)"
                )
            return out

        ov = [v.overrides or TeacherOverrides() for v in views]
        profiles = [v.profile or LearnerProfile(v.student_id) for v in views]
        ids = [v.student_id for v in views]
        given = stack("mastery", np.nan, np.float64)
        estimated = ~np.isnan(given)
        answered = counts("n_responses")
        return cls.build(
            catalog,
            ids,
            placed_where_unknown(catalog, profiles, given, config),
            config=config,
            estimated=estimated,
            placement=view_placements(catalog, profiles, estimated, answered),
            p_correct=stack("p_correct", np.nan, np.float64),
            n_responses=answered,
            streak=runs(),
            last_practiced=stack("last_practiced", np.nan, np.float64),
            progress=stack("progress", 0.0, np.float64),
            goals=profile_goals(catalog, profiles, stacklevel=4),
            interests=profile_interests(catalog, profiles, stacklevel=4),
            completed=activity_matrix(catalog, [v.completed for v in views], "completed"),
            recent=activity_matrix(catalog, [v.recent for v in views], "recent"),
            grade=np.array([np.nan if p.grade is None else p.grade for p in profiles], float),
            daily_minutes=np.array(
                [
                    o.daily_minutes if o.daily_minutes is not None else daily_budget(p, config)
                    for o, p in zip(ov, profiles, strict=True)
                ],
                float,
            ),
            **teacher_arrays(catalog, ov),
            class_id=np.array([p.class_id or "" for p in profiles], dtype=object),
            school_id=np.array([p.school_id or "" for p in profiles], dtype=object),
        )


def activity_matrix(
    catalog: Catalog, lists: Sequence[object], name: str, ordered: bool = False
) -> sparse.csr_matrix:
    """CSR (n, A): 1 per activity each student's list names (or its 1-based order when
    `ordered`: a teacher's assignments). An id not in the catalog is an error naming the field,
    the ids and, in a request of several students, the student's position (`student_at`), as
    in a teacher overrides file (a completed, recent or excluded id the catalog does not hold
    was ignored without a word: a typo, or another catalog's)."""
    pos = catalog_arrays(catalog).activity_pos
    indptr, indices, data = [0], [], []
    for i, listed in enumerate(lists):
        where = f"{student_at(i, len(lists))}{name}"
        ids = id_list(listed, where)
        codes = [pos.get(a, -1) for a in ids]
        if -1 in codes:
            unknown = [a for a, c in zip(ids, codes, strict=True) if c < 0]
            more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
            raise ConfigError(
                f"{where}: activity id {unknown[0]!r}{more} not in the catalog; expected "
                f"{activity_expected(unknown[0], pos)}"
            )
        keep = sorted((c, j + 1) for j, c in enumerate(codes))
        indices.extend(c for c, _ in keep)
        data.extend(float(o) if ordered else 1.0 for _, o in keep)
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.asarray(data, float), np.asarray(indices, np.int32), np.asarray(indptr, np.int32)),
        shape=(len(lists), len(catalog.activities)),
    )


def student_at(row: int, n: int) -> str:
    """Which student of a request a message is about, by position and never by id (messages
    never name a student: `adaptive.errors`): nothing for a request of one student (the caller
    knows whom it passed), 'the 3rd student: ' in one of several."""
    return "" if n == 1 else f"the {nth(row)} student: "


def teacher_arrays(
    catalog: Catalog,
    overrides: Sequence[TeacherOverrides],
    rows: Sequence[int] | None = None,
    n: int | None = None,
) -> dict[str, np.ndarray | sparse.csr_matrix]:
    """The `StudentBatch` fields of `OVERRIDE_FIELDS` from each student's `TeacherOverrides`:
    what `from_views` stacks and what `recommend` sets on a model-traced student's batch (a
    teacher's `daily_minutes` is the caller's: it replaces the profile's budget). A scope or an
    id the catalog does not hold is an error naming the field and the ids (and, of several
    students, the student's position: `student_at`). `rows` and `n`: where the overrides are
    those of some students of a request only (`OverrideSet.batch_fields`: the overridden
    ones), each one's student's position among the request's `n`, as messages say it."""

    def who(i: int) -> str:
        return student_at(i if rows is None else rows[i], len(overrides) if n is None else n)

    scope = np.ones((len(overrides), len(catalog.skills)), bool)
    for i, o in enumerate(overrides):
        if o.scope_skills is not None:
            unknown = sorted(set(o.scope_skills) - set(catalog.skill_index))
            if unknown:  # a scope of no catalog skill left the student nothing, silently
                raise unknown_skills(f"{who(i)}scope_skills", unknown, catalog.skill_ids)
            scope[i] = catalog.skill_index.isin(list(o.scope_skills))
    low = [np.nan if o.min_grade is None else o.min_grade for o in overrides]
    high = [np.nan if o.max_grade is None else o.max_grade for o in overrides]
    assigned = activity_matrix(catalog, [o.assigned for o in overrides], "assigned", ordered=True)
    return {
        "assigned": assigned,
        "excluded": activity_matrix(catalog, [o.excluded for o in overrides], "excluded")
        + skills_set_aside(catalog, overrides, assigned, who),
        "scope": scope,
        "min_grade": np.array(low, float),
        "max_grade": np.array(high, float),
        "remediate": np.array([o.remediate for o in overrides], float),
        "accelerate": np.array([o.accelerate for o in overrides], float),
    }


def skills_set_aside(
    catalog: Catalog,
    overrides: Sequence[TeacherOverrides],
    assigned: sparse.csr_matrix,
    who: Callable[[int], str],
) -> sparse.csr_matrix:
    """(n, A) 1 on every activity on a skill each student's teacher set aside
    (`TeacherOverrides.excluded_skills`), as if each were excluded: the policy, `explain` and the
    shortfall say them as excluded by the teacher; an empty matrix, at once, where no teacher
    set one aside. A skill id the catalog lacks is an error with the closest one ("did you
    mean"), as an unknown activity id of an overrides file is; an activity `assigned` (the
    students' (n, A) assignments) on such a skill is one too (`set_aside_clashes`: the
    exclusion would win without a word). `who(i)`: the i-th student as a message says it
    (`student_at`)."""
    ctx = catalog_arrays(catalog)
    shape = (len(overrides), len(ctx.activity_ids))
    if not any(o.excluded_skills for o in overrides):
        return sparse.csr_matrix(shape)
    indptr, cols = [0], []
    for i, o in enumerate(overrides):
        if not o.excluded_skills:
            indptr.append(len(cols))
            continue
        where = f"{who(i)}excluded_skills"
        ids = sorted(set(id_list(o.excluded_skills, where)))
        unknown = [s for s in ids if s not in ctx.skill_pos]
        if unknown:
            raise unknown_skills(where, unknown, ctx.skill_pos)
        cols.extend(ctx.skill_pos[s] for s in ids)
        indptr.append(len(cols))
    aside = sparse.csr_matrix(
        (np.ones(len(cols)), np.asarray(cols, np.int32), np.asarray(indptr, np.int32)),
        (shape[0], len(ctx.skill_ids)),
    )
    out = sparse.csr_matrix(aside @ ctx.activity_skill_bin.T)
    out.data[:] = 1.0  # an activity on several skills set aside: excluded once
    both = out.multiply(assigned)
    if both.nnz:  # the first such student's first one, in `set_aside_clashes`'s words
        i = int(both.tocoo().row.min())
        listed, aside = id_list(overrides[i].assigned), overrides[i].excluded_skills
        j, activity, expected = set_aside_clashes(
            listed, id_list(aside), lambda a: catalog.activity(a).skills
        )[0]
        raise ConfigError(f"{who(i)}assigned[{j}] {activity!r}: expected {expected.format('')}")
    return out


def unknown_skills(where: str, unknown: Sequence[object], skills: Collection[str]) -> ConfigError:
    """The error for skill ids the catalog lacks named in `where` (a field of a request):
    "excluded_skills: got 'Add'; expected a skill id of the catalog (did you mean 'add'?)", in
    the one wording of an unknown skill id (`skill_expected`)."""
    got = some_of([repr(u) for u in unknown], 5)
    return ConfigError(f"{where}: got {got}; expected {skill_expected(unknown, skills)}")


#: What a probability must be, as errors say it.
PROBABILITY_EXPECTED = "expected a probability in [0, 1] (NaN: unknown)"


def first_outside(values: np.ndarray) -> tuple[int, str] | None:
    """The flat index of the first value outside [0, 1] (NaN is unknown, not outside) and a
    hint when the values read as percentages; None when every one is a probability."""
    flat = values.ravel()
    outside = np.flatnonzero((flat < -PROBABILITY_SLACK) | (flat > 1 + PROBABILITY_SLACK))
    if not len(outside):
        return None
    top = np.nanmax(flat)
    hint = " (the values read as percentages, 0-100: divide them by 100)" if 2 < top <= 100 else ""
    return int(outside[0]), hint


def check_probabilities(
    values: np.ndarray, where: str, batch: StudentBatch, catalog: Catalog
) -> None:
    """Probabilities in [0, 1] (NaN: unknown), or one error naming the first skill outside,
    and its student's position of several (never an id: `student_at`): a vendor's percentages
    (50 for 0.5) would otherwise read as certain mastery."""
    found = first_outside(values)
    if found is None:
        return
    (i, j), hint = np.unravel_index(found[0], values.shape), found[1]
    raise ConfigError(
        f"{where}: {student_at(i, len(batch))}skill {catalog.skills[j].id!r}: "
        f"{float(values[i, j])!r}; {PROBABILITY_EXPECTED}{hint}"
    )


def batch_settings(config: PolicyConfig, grade_table: object = None) -> tuple:
    """The settings of a config that a batch is built with (the default day's minutes, the
    progress window, the kinds a student may repeat, the grade table new students are placed
    with: `grade_table` when one was given instead of the config's): a policy of other settings
    would score another day's budget, history or placement than the one its config says, so it
    refuses the batch."""
    table = grade_table if grade_table is not None else config.grade_table
    return (config.default_daily_minutes, config.progress_window, config.repeatable_kinds, table)


#: Rounding a model's probability may leave it this far outside [0, 1]; more is an error.
PROBABILITY_SLACK = 1e-9


def view_row(out: np.ndarray, value: object, catalog: Catalog, where: str) -> None:
    """One view's per-skill values into `out` (a row aligned with `catalog.skill_index`): one
    number per catalog skill in that order, or a mapping {skill_id: value} (the skills it does
    not name keep their fill); a pandas Series keyed by skill id is read as that mapping, by
    its keys, not by position (the model's skill order is not the catalog's). Anything else is
    one error saying which field (`where`)."""
    into = None
    if isinstance(value, pd.Series) and not pd.api.types.is_integer_dtype(value.index):
        value = value.to_dict()
    if isinstance(value, Mapping):
        into = catalog.skill_index.get_indexer(list(value))
        if (into < 0).any():
            unknown = [s for s, c in zip(value, into, strict=True) if c < 0]
            raise unknown_skills(where, unknown, catalog.skill_ids)
        value = list(value.values())
    _check_numbers(value, where)
    try:
        row = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: expected numbers ({exc})") from None
    if row.shape != (out.shape if into is None else into.shape):
        raise ConfigError(
            f"{where}: {row.size} value(s), expected {out.shape[0]}: one per catalog skill in "
            "catalog.skill_index order, or a dict {skill_id: value}"
        )
    if into is None:
        out[:] = row
    else:
        out[into] = row


def _check_numbers(value: object, where: str) -> None:
    """Text and booleans are not numbers: numpy reads "2" as 2.0 and True as 1.0, so a view's
    `n_responses={"add": "2"}` or `streak=[True, ...]` was taken without a word."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return  # a vendor's array of numbers: the per-request case, checked by its dtype
    values = np.asarray(value, dtype=object).ravel().tolist()
    if any(issubclass(t, _NOT_NUMBERS) for t in set(map(type, values))):  # by type, not value
        odd = next(v for v in values if isinstance(v, _NOT_NUMBERS))
        raise ConfigError(f"{where}: {odd!r} is not a number; expected numbers")


_NOT_NUMBERS = (str, bytes, bool, np.bool_)


def daily_budget(profile: LearnerProfile, config: PolicyConfig) -> float:
    """A day's time budget in minutes: the weekly budget over 5 school days, or the config's
    default where the profile gives none (None). A week of 0 minutes is a day of none, an
    empty list whose shortfall says so, not a default day (it was served 30 minutes)."""
    if profile.weekly_minutes is None:
        return config.default_daily_minutes
    return float(profile.weekly_minutes) / 5.0


def profile_interests(
    catalog: Catalog, profiles: Sequence[LearnerProfile], stacklevel: int = 3
) -> np.ndarray:
    """(n, T) interest weights aligned with `catalog.topic_index`. A topic matches by its exact
    name, as ids do; topics the catalog lacks are ignored and said once per catalog
    (`warn_unknown_interests` of the `unsaid_interests`: "Space" for the catalog's "space"
    changed the recommendations without a word)."""
    out = np.zeros((len(profiles), len(catalog.topics)))
    pos = catalog_arrays(catalog).topic_pos
    unknown: set[str] = set()
    for i, p in enumerate(profiles):
        for topic, weight in p.interests.items():
            j = pos.get(topic)
            if j is not None:
                out[i, j] = min(max(float(weight), 0.0), 1.0)
            else:
                unknown.add(topic)
    unknown = unsaid_interests(catalog, unknown) if unknown else unknown
    if unknown:
        warn_unknown_interests(unknown, catalog, stacklevel + 1)
    return out


#: Interest topics the catalog lacks that were said already, per catalog (by identity).
_SAID_TOPICS = SaidOnce(limit=64)
#: Goal skills the catalog lacks that were said already, per catalog (by identity).
_SAID_GOALS = SaidOnce(limit=64)


def unsaid_interests(catalog: Catalog, unknown: Iterable[str]) -> set[str]:
    """Of `unknown` interest topics, those not said yet for this catalog, marked said now: a
    topic is said once per catalog and process, as `adapter.note_skill_coverage` says a
    model's skills, so a night that counted it in `adapter.check_profiles` (before its workers
    fork) does not say it again in each school's `batch_from_model`, nor a day-by-day
    evaluation on each day, nor a vendor on each request."""
    return _SAID_TOPICS.fresh(catalog, unknown)


def unsaid_goals(catalog: Catalog, unknown: Iterable[str]) -> set[str]:
    """Of `unknown` goal skills, those not said yet for this catalog, marked said now: the
    goals' `unsaid_interests`."""
    return _SAID_GOALS.fresh(catalog, unknown)


def warn_unknown_interests(unknown: set[str], catalog: Catalog, stacklevel: int) -> None:
    """One `CoverageWarning` naming interest topics the catalog lacks (`warn_unknown_names`):
    the per-request form of `adapter.check_profiles`, which counts them over a district's
    profiles."""
    warn_unknown_names(
        "interests on topics", unknown, catalog.topics, "a topic matches by its exact name",
        stacklevel + 1,
    )  # fmt: skip


def warn_unknown_goals(unknown: set[str], catalog: Catalog, stacklevel: int) -> None:
    """One `CoverageWarning` naming goal skills the catalog lacks (`warn_unknown_names`), as
    `warn_unknown_interests` names topics."""
    skills = catalog.skill_index.tolist()
    warn_unknown_names(
        "goals on skills", unknown, skills, "a goal matches a skill by its exact id",
        stacklevel + 1,
    )  # fmt: skip


def warn_unknown_names(
    what: str, unknown: set[str], names: Sequence[str], matching: str, stacklevel: int
) -> None:
    """One `CoverageWarning` "profile {what} the catalog does not have": the first few of
    `unknown`, each with the name of `names` it likely means (`closest_name`, as the nightly
    `check_profiles` names them), and the catalog's first names; never the student."""
    shown = sorted(unknown)[:5]
    named = ", ".join(
        repr(t) + (f" (did you mean {meant!r}?)" if meant else "")
        for t in shown
        for meant in [closest_name(t, names)]
    )
    more = f" and {len(unknown) - len(shown):,} more" if len(unknown) > len(shown) else ""
    listed = ", ".join(map(repr, names[:12])) + (" ..." if len(names) > 12 else "")
    kind = what.rsplit(" ", 1)[-1]  # "topics", "skills"
    warnings.warn(
        CoverageWarning(
            f"profile {what} the catalog does not have: {named}{more}; they are ignored "
            f"({matching}; the catalog's {kind}: {listed})"
        ),
        stacklevel=stacklevel,
    )


def profile_goals(
    catalog: Catalog, profiles: Sequence[LearnerProfile], stacklevel: int = 3
) -> np.ndarray:
    """(n, S) bool: the profiles' goal skills. A goal matches a skill by its exact id; ids the
    catalog lacks are ignored and said once per catalog (`warn_unknown_goals` of the
    `unsaid_goals`), as `profile_interests` says topics: a goal "g1.cont" for "g1.count" turned
    the aspiration term off without a word)."""
    out = np.zeros((len(profiles), len(catalog.skills)), bool)
    pos = catalog_arrays(catalog).skill_pos
    unknown: set[str] = set()
    for i, p in enumerate(profiles):
        for g in p.goal_skills:
            j = pos.get(g)
            if j is not None:
                out[i, j] = True
            else:
                unknown.add(g)
    unknown = unsaid_goals(catalog, unknown) if unknown else unknown
    if unknown:
        warn_unknown_goals(unknown, catalog, stacklevel + 1)
    return out


@dataclass
class Selection:
    """The arrays a policy's selection produces for a batch (k columns, -1 = empty slot).

    activity, score, p_correct, assigned : (n, k); contributions : (n, k, n_terms) per term
    named in `terms`; `extra` holds per-pick facts used by the sentences (e.g. recall).
    propensity : (n, k) probability of each slot's activity given the earlier slots when the
    policy samples its lists (`adaptive.policy.exploration`); None for a deterministic ranking.
    """

    activity: np.ndarray
    score: np.ndarray
    p_correct: np.ndarray
    assigned: np.ndarray
    contributions: np.ndarray
    terms: tuple[str, ...]
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    propensity: np.ndarray | None = None


class Policy(ABC):
    """Ranks a catalog's activities for students, never violating a hard constraint.

    Subclasses implement `select(batch, k, now)` over arrays and `sentences(...)`; the base class
    provides the one-student form, the table form and the explanation of one activity.
    """

    name: str = "policy"

    def __init__(self, catalog: Catalog, config: PolicyConfig | None = None):
        check_policy_args(catalog, config)
        self.catalog = catalog
        self.config = config or PolicyConfig()

    # -- the vectorized core every policy implements -----------------------------------------
    @abstractmethod
    def select(self, batch: StudentBatch, k: int, now: float | pd.Timestamp | None) -> Selection:
        """Choose up to k activities for every student of the batch (arrays in, arrays out) at
        `now`: float days since the Unix epoch, a Timestamp, or None (the current time)."""

    @abstractmethod
    def sentences(self, batch: StudentBatch, sel: Selection, now: float) -> np.ndarray:
        """(n, k) object array: one plain sentence per chosen activity ("" for empty slots)."""

    def explain(
        self,
        student: StudentView,
        activity_id: str,
        now: float | pd.Timestamp | None = None,
        k: int = 10,
    ) -> Explanation:
        """Why an activity is or is not recommended. Default: only ranks (subclasses say more)."""
        recs = self.recommend(student, k=k, now=now)
        for r in recs:
            if r.activity_id == activity_id:
                return Explanation(activity_id, "recommended", r.sentence, r.reasons, r.rank)
        return Explanation(activity_id, "eligible", f"{activity_id} was not among the top {k}.")

    # -- forms built on `select` ---------------------------------------------------------------
    def recommend(
        self,
        student: StudentView | StudentBatch,
        k: int = 10,
        now: float | pd.Timestamp | None = None,
        overrides: TeacherOverrides | None = None,
    ) -> StudentRecommendations:
        """Top-k activities for one student, best first (teacher assignments first).

        `student`: a `StudentView` (a vendor's own estimates), or the one-student batch of
        `batch_from_model(..., student_ids=[id])` (students a model traces): the per-request
        path, `Recommendation` objects without the table `recommend_batch` builds for many. The
        list is a `StudentRecommendations`: with `.placement` (where the student was started)
        and `.shortfall` (why fewer than k came back: None for a full list), as
        `recommend_students` and `adaptive recommend --json` give them."""
        if isinstance(student, StudentBatch):
            batch = one_student(student, self.catalog, overrides)
        else:
            check_view(student)
            if overrides is not None:
                if student.overrides is not None:
                    raise ConfigError(
                        "recommend: this StudentView carries a teacher's overrides and "
                        "overrides= gives more: give them once, in the view or here"
                    )
                student = StudentView(**{**student.__dict__, "overrides": overrides})
            batch = StudentBatch.from_views(self.catalog, [student], self.config)
        now_d = to_days(now)
        warn_now_against_answers(batch, now_d)
        sel, why = self.select_and_why(batch, k, now_d)
        return StudentRecommendations(
            self.recommendations_of(batch, sel, now_d)[0], str(batch.placement[0]), why
        )

    def select_and_why(
        self, batch: StudentBatch, k: int, now: float
    ) -> tuple[Selection, Callable[[], Shortfall | None]]:
        """`select`, and a call that says why row 0 is short, to be made only if asked. A
        policy that can say overrides this (`AdaptivePolicy`: `adaptive.policy.shortfall`,
        from the scoring its selection made); the baselines, which serve evaluations, say
        nothing (None)."""
        return self.select(batch, k, now), lambda: None

    def recommendations_of(
        self, batch: StudentBatch, sel: Selection, now: float | pd.Timestamp | None
    ) -> list[list[Recommendation]]:
        """Selection arrays -> `Recommendation` objects per student (for small batches); `now`
        as `select`'s (float days, a Timestamp, or None: the current time)."""
        now = to_days(now)
        text = self.sentences(batch, sel, now)
        acts = self.catalog.activities
        # Python values once (walking numpy scalars element by element costs more)
        activity, score = sel.activity.tolist(), sel.score.tolist()
        p_correct, assigned = sel.p_correct.tolist(), sel.assigned.tolist()
        propensity = None if sel.propensity is None else sel.propensity.tolist()
        contributions = sel.contributions.tolist()
        details = [_term_detail(t) for t in sel.terms]
        out: list[list[Recommendation]] = []
        for i in range(len(batch)):
            placed = placement_reason(batch.placement[i])
            recs = []
            for r, a in enumerate(activity[i]):
                if a < 0:
                    continue
                terms = zip(sel.terms, contributions[i][r], details, strict=True)
                reasons = (
                    *(Reason(t, round(c, 6), d) for t, c, d in terms if is_reason(c)),
                    *placed,
                )
                recs.append(
                    Recommendation(
                        activity_id=acts[a].id,
                        skill_id=acts[a].skills[0],
                        score=score[i][r],
                        p_correct=p_correct[i][r],
                        reasons=reasons,
                        sentence=str(text[i, r]),
                        rank=len(recs) + 1,
                        assigned_by_teacher=assigned[i][r],
                        propensity=None if propensity is None else propensity[i][r],
                    )
                )
            out.append(recs)
        return out

    def recommend_batch(
        self,
        batch: StudentBatch,
        k: int = 10,
        now: float | pd.Timestamp | None = None,
        chunk_size: int = 2000,
        with_sentences: bool = True,
    ) -> pd.DataFrame:
        """Recommendations for many students as one table (one row per student and rank).

        Columns: student_id, class_id, school_id, rank (1-based), activity_id, skill_id, score,
        p_correct, assigned_by_teacher, sentence, and one `c_<term>` column per scoring term.
        Students are scored in chunks of `chunk_size` rows to bound memory. A student nothing
        fits (budget, scope, grade band, prerequisites; nothing assumed known) has no row:
        count the rows per student against `batch.student_ids` (the nightly job's students
        table does, `recommended`), and
        `adaptive.policy.shortfall` says why a list is short.
        """
        now_d = to_days(now)
        frames = []
        for start in range(0, len(batch), chunk_size):
            part = batch.take(slice(start, start + chunk_size))
            sel = self.select(part, k, now_d)
            text = self.sentences(part, sel, now_d) if with_sentences else None
            frames.append(self._frame(part, sel, text))
        if not frames:
            return self._frame(batch, self.select(batch, k, now_d), None)
        return pd.concat(frames, ignore_index=True)

    def _frame(self, batch: StudentBatch, sel: Selection, text: np.ndarray | None) -> pd.DataFrame:
        n, k = sel.activity.shape
        keep = (sel.activity >= 0).ravel()
        rows = np.repeat(np.arange(n), k)[keep]
        acts = sel.activity.ravel()[keep]
        rank = (np.cumsum(sel.activity >= 0, axis=1)).ravel()[keep]
        ctx = catalog_arrays(self.catalog)
        out = {
            "student_id": batch.student_ids[rows],
            "class_id": batch.class_id[rows],
            "school_id": batch.school_id[rows],
            "rank": rank.astype(np.int16),
            "activity_id": ctx.activity_ids[acts],
            "skill_id": ctx.skill_ids[ctx.primary_skill[acts]],
            "score": sel.score.ravel()[keep],
            "p_correct": sel.p_correct.ravel()[keep],
            "assigned_by_teacher": sel.assigned.ravel()[keep],
            "sentence": text.ravel()[keep] if text is not None else np.full(len(rows), "", object),
            "placement": batch.placement[rows],
        }
        contrib = sel.contributions.reshape(n * k, -1)[keep]
        for j, t in enumerate(sel.terms):
            out[f"c_{t}"] = contrib[:, j]
        if sel.propensity is not None:  # a sampled list: each row's probability (exploration.py)
            out["propensity"] = sel.propensity.ravel()[keep]
        return pd.DataFrame(out)


#: How long before the student's latest answer a request's `now` may fall unsaid: a date (its
#: midnight) given for the day of answers made later that day is that day, not a mistake.
NOW_SLACK_DAYS = 1.0

#: How long after the student's latest answer a request's `now` may fall unsaid: a summer, or a
#: year away, is a real gap; more than a year is more often a wrong year in a date string.
NOW_FAR_DAYS = 366.0


def warn_now_against_answers(batch: StudentBatch, now: float) -> None:
    """A `LateAnswerWarning` when a request's `now` is more than `NOW_SLACK_DAYS` before the
    one student's latest answer (`last_practiced`, or `latest_answer`: the state's, where the
    batch was built without a log), or more than `NOW_FAR_DAYS` after it. Before is almost
    always a wrong clock or date string (2026-01-01 for answers of October 2026), which reads
    every time since practice as negative; years after, often a wrong year (2028 for 2027), which
    reads every skill as faded and serves reviews first. Said once per call, with both dates and
    no id (the id is in `students`)."""
    latest = batch.last_practiced[0]
    if batch.latest_answer is not None:  # a batch from the state alone (no log) knows it there
        latest = np.append(latest, batch.latest_answer[0])
    if np.isnan(latest).all():  # never practised: nothing to compare
        return
    last = float(np.nanmax(latest))
    if last > now + NOW_SLACK_DAYS:
        said = (
            f"recommend: now ({_day_words(now)}) is before the student's latest answer "
            f"({_day_words(last)}): a wrong clock or date string? The time since each skill was "
            "practised is read as negative (reviews and recall misjudged); pass the request's "
            "time (None: the current time)"
        )
    elif now - last > NOW_FAR_DAYS:
        said = (
            f"recommend: now ({_day_words(now)}) is {(now - last) / 365.25:.1f} years after the "
            f"student's latest answer ({_day_words(last)}): a wrong year in a date string? "
            "Every skill practised then is read as faded (reviews first); pass the request's "
            "time (None: the current time). If the student has been away that long, nothing is "
            "wrong"
        )
    else:
        return
    warnings.warn(
        LateAnswerWarning(said, (str(batch.student_ids[0]),)),
        stacklevel=3,  # the caller of recommend
    )


def _day_words(days: float) -> str:
    """Float days since the Unix epoch as a UTC date and time ('2026-10-01 10:15 UTC'); a day
    number beyond pandas' dates as the number."""
    try:
        return f"{pd.Timestamp(round(days * 86_400e9), tz='UTC'):%Y-%m-%d %H:%M} UTC"
    except (OverflowError, ValueError):
        return f"day {days:,.2f}"


def check_policy_args(catalog: object, config: object) -> None:
    """A policy's catalog is a `Catalog` and its config a `PolicyConfig` (or None: the
    defaults): a file name or a dict of knobs ended in an AttributeError deep in the policy;
    one TypeError says how to make the right one."""
    if not isinstance(catalog, Catalog):
        hint = (
            f"; read the file with Catalog.from_json({str(catalog)!r})"
            if isinstance(catalog, str | Path)
            else "; build one with Catalog(skills=..., activities=...) or Catalog.from_json(path)"
        )
        raise TypeError(f"catalog: expected a Catalog, got {type(catalog).__name__}{hint}")
    if not catalog.activities:  # a catalog of skills alone serves tracing; a policy had an
        # error about reshaping an array of size 0
        where = f"{catalog.read_from}: " if catalog.read_from else ""
        raise ConfigError(
            f"{where}the catalog has {counted(len(catalog.skills), 'skill')} and no activities; "
            "a policy recommends activities, so expected at least one in its activities list "
            "(a catalog of skills alone serves knowledge tracing, not recommendations)"
        )
    if config is not None and not isinstance(config, PolicyConfig):
        hint = (
            "; build one with PolicyConfig.from_dict({...}) (or PolicyConfig.from_toml(path), "
            "PolicyConfig.default())"
        )
        raise TypeError(f"config: expected a PolicyConfig, got {type(config).__name__}{hint}")


def placement_reason(placement: str) -> tuple[Reason, ...]:
    """The reason that says where a student without history was started ('' -> none)."""
    return (Reason("placement", 0.0, placement),) if placement else ()


def recommendations_from_frame(frame: pd.DataFrame) -> dict[str, list[Recommendation]]:
    """The table form back to `Recommendation` objects, per student id."""
    terms = [c[2:] for c in frame.columns if c.startswith("c_")]
    out: dict[str, list[Recommendation]] = {}
    for row in frame.itertuples(index=False):
        d = row._asdict()
        reasons = tuple(
            Reason(t, float(d[f"c_{t}"]), _term_detail(t)) for t in terms if d[f"c_{t}"] != 0
        ) + placement_reason(str(d.get("placement") or ""))
        out.setdefault(d["student_id"], []).append(
            Recommendation(
                d["activity_id"],
                d["skill_id"],
                float(d["score"]),
                float(d["p_correct"]),
                reasons,
                d["sentence"],
                int(d["rank"]),
                bool(d["assigned_by_teacher"]),
                float(d["propensity"]) if "propensity" in d else None,
            )
        )
    return out


TERM_DETAILS: dict[str, str] = {
    "readiness": "prerequisites mastered; the skill is on the ready-to-learn fringe",
    "difficulty": "the version of its skill whose predicted P(correct) is nearest the target",
    "interest": "topics match the student's interests",
    "aspiration": "leads toward one of the student's goal skills",
    "review": "mastered skill whose predicted recall is fading",
    "progress": "the student is improving on this skill",
    "exploration": "new or rarely tried skill: the student has few or no answers on it (not "
    "the exploration mode's random draws)",
    "stuck": "wheel-spinning on this skill: flagged for the teacher",
    "variety": "same skill already in today's list",
    "assigned": "assigned by the teacher",
    "baseline": "the baseline policy's own score",
}


def _term_detail(term: str) -> str:
    return TERM_DETAILS.get(term, term)


@dataclass(frozen=True)
class CatalogArrays:
    """Array views of a catalog the policies share (computed once per catalog)."""

    skill_ids: np.ndarray
    activity_ids: np.ndarray
    skill_names: np.ndarray
    activity_titles: np.ndarray
    primary_skill: np.ndarray  # (A,) the first skill of each activity
    single_skill: bool  # every activity practises exactly one skill
    activity_skill: sparse.csr_matrix  # (A, S) 1/n_skills weights (rows sum to 1)
    activity_skill_bin: sparse.csr_matrix  # (A, S) 0/1
    prerequisite: sparse.csr_matrix  # (S, S) P[i, j] = 1 when j is a prerequisite of i
    closure: sparse.csr_matrix  # (S, S) float32, C[g, s] = 1 when s is g or an ancestor of g
    topic_mean: sparse.csr_matrix  # (A, T) 1/n_topics weights
    difficulty: np.ndarray  # (A,)
    minutes: np.ndarray  # (A,)
    review: np.ndarray  # (A,) bool: the activity's kind is "review"
    grade: np.ndarray  # (A,) its own grade, else its skills' highest (NaN = none)
    skill_grade: np.ndarray  # (S,) each skill's grade (NaN = none)
    topo_rank: np.ndarray  # (S,) position of each skill in the topological order
    curriculum_rank: np.ndarray  # (A,) activities in curriculum order (skill order, then catalog)
    first_topic: np.ndarray  # (A,) the activity's first topic ("" when none)
    skill_codes: np.ndarray  # (A, K) each activity's skills, -1 pad
    multi: np.ndarray  # positions of the activities with more than one skill
    topic_mean_dense: np.ndarray  # (A, T) float32, for a BLAS product with interests
    #: (S, S) float32 CSR, the transpose of `prerequisite` (sparse: a request's product with it
    #: costs its few entries, where a dense one cost S * S and grew 10x with 4x the skills)
    prerequisite_t: sparse.csr_matrix
    prerequisite_codes: np.ndarray  # (S, P) each skill's direct prerequisites, -1 pad
    activity_pos: dict[str, int]  # activity id -> position
    skill_pos: dict[str, int]
    topic_pos: dict[str, int]
    topic_names: np.ndarray  # (T,)
    activity_topic_codes: tuple[np.ndarray, ...]  # per activity, its topics' positions
    catalog_sha256: str  # `Catalog.sha256`: what a batch scored by these arrays was built on

    @cached_property
    def lowest_grade(self) -> float:
        """The lowest grade of any activity (NaN: none has a grade), found once per catalog:
        a sentence says when work is above a student's grade and the catalog has nothing
        nearer (a request's sentences took a scan of every activity's grade)."""
        graded = self.grade[np.isfinite(self.grade)]
        return float(graded.min()) if len(graded) else float("nan")


#: Each catalog's `CatalogArrays`.
_ARRAYS: IdentityMemo[CatalogArrays] = IdentityMemo(limit=64)

#: The shared empty activity sets, per shape (no object to key on: the shape alone).
_EMPTY_SETS: IdentityMemo[sparse.csr_matrix] = IdentityMemo(limit=64)


def empty_activity_set(n: int, n_a: int) -> sparse.csr_matrix:
    """An (n, n_a) CSR with no entries, shared (its arrays are read-only, so no caller can
    fill it in place): building a sparse matrix costs more than the rest of a small field, and a
    one-student request needs several empty ones."""
    return _EMPTY_SETS.get((), lambda: _empty_csr(n, n_a), extra=(n, n_a))


def _empty_csr(n: int, n_a: int) -> sparse.csr_matrix:
    """A new (n, n_a) CSR with no entries, over read-only arrays."""
    arrays = (np.zeros(0), np.zeros(0, np.int32), np.zeros(n + 1, np.int32))
    for a in arrays:
        a.flags.writeable = False
    return sparse.csr_matrix(arrays, shape=(n, n_a))


def catalog_layout(catalog: Catalog) -> str:
    """A digest of a catalog's skill, activity and topic ids in order: what a batch's columns
    mean. Two catalogs with the same ids in the same order lay a batch out alike."""
    digest = hashlib.blake2b(digest_size=12)
    for axis in (catalog.skill_index, catalog.activity_index, catalog.topics):
        digest.update("\x1f".join(map(str, axis)).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


def catalog_arrays(catalog: Catalog) -> CatalogArrays:
    """The shared array views of a catalog (cached by identity: a vendor's one-student request
    must not rebuild them)."""
    return _ARRAYS.get((catalog,), lambda: _build_catalog_arrays(catalog))


def _build_catalog_arrays(catalog: Catalog) -> CatalogArrays:
    """The array views of a catalog, built anew (`catalog_arrays` keeps them)."""
    n_s = len(catalog.skills)
    acts = catalog.activities
    primary = catalog.skill_index.get_indexer([a.skills[0] for a in acts]).astype(np.int64)
    a_bin = catalog.activity_skill_matrix.copy()
    a_bin.data[:] = 1.0
    closure = catalog.prerequisite_closure  # ancestors-or-self
    pos = {s: i for i, s in enumerate(catalog.skill_index)}
    topo_rank = np.empty(n_s, np.int64)
    topo_rank[[pos[s] for s in catalog.topological_order]] = np.arange(n_s)
    t = catalog.activity_topic_matrix.tocsr().astype(np.float64)
    counts = np.asarray(t.sum(axis=1)).ravel()
    topic_mean = sparse.diags(1.0 / np.maximum(counts, 1.0)) @ t
    order = (
        np.lexsort((np.arange(len(acts)), topo_rank[primary])) if len(acts) else np.zeros(0, int)
    )
    curriculum_rank = np.empty(len(acts), np.int64)
    curriculum_rank[order] = np.arange(len(acts))
    topic_pos = {t: i for i, t in enumerate(catalog.topics)}
    return CatalogArrays(
        skill_ids=np.asarray(catalog.skill_index, dtype=object),
        activity_ids=np.asarray(catalog.activity_index, dtype=object),
        skill_names=np.array([s.name or s.id for s in catalog.skills], dtype=object),
        activity_titles=np.array([a.title or a.id for a in acts], dtype=object),
        primary_skill=primary,
        single_skill=all(len(a.skills) == 1 for a in acts),
        activity_skill=catalog.activity_skill_matrix.tocsr(),
        activity_skill_bin=a_bin.tocsr(),
        prerequisite=catalog.prerequisite_matrix.tocsr(),
        closure=sparse.csr_matrix(closure.astype(np.float32)),
        topic_mean=topic_mean.tocsr(),
        difficulty=np.array([a.difficulty for a in acts], float),
        minutes=np.array([a.expected_minutes for a in acts], float),
        review=np.array([a.kind == "review" for a in acts], bool),
        grade=np.asarray(catalog.activity_grades, dtype=float),
        skill_grade=np.asarray(catalog.skill_grades, dtype=float),
        topo_rank=topo_rank,
        curriculum_rank=curriculum_rank,
        first_topic=np.array([a.topics[0] if a.topics else "" for a in acts], dtype=object),
        skill_codes=np.asarray(catalog.activity_skill_codes, dtype=np.int64).reshape(len(acts), -1),
        multi=np.flatnonzero([len(a.skills) > 1 for a in acts]),
        topic_mean_dense=topic_mean.toarray().astype(np.float32),
        prerequisite_t=catalog.prerequisite_matrix.T.tocsr().astype(np.float32),
        prerequisite_codes=np.asarray(catalog.prerequisite_codes, dtype=np.int64).reshape(n_s, -1),
        activity_pos={a.id: i for i, a in enumerate(acts)},
        skill_pos=pos,
        topic_pos=topic_pos,
        topic_names=np.asarray(catalog.topics, dtype=object),
        activity_topic_codes=tuple(
            np.array([topic_pos[t] for t in a.topics], np.int64) for a in acts
        ),
        catalog_sha256=catalog.sha256,
    )


def reasons_json(reasons: Sequence[Reason] | Mapping[str, float]) -> str:
    """Reasons as a compact JSON string (for CSV/Parquet cells)."""
    if isinstance(reasons, Mapping):
        return json.dumps({k: round(float(v), 6) for k, v in reasons.items()}, sort_keys=True)
    return json.dumps([r.to_dict() for r in reasons])
