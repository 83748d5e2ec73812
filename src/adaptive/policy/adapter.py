"""Build policy inputs from any knowledge-tracing model, its state, a catalog, profiles and a log.

The policy never knows which model produced the mastery: this adapter reads the model for the
requested students only, aligns its skills with the catalog's by id, places students (and catalog
skills) the model knows nothing of from the grade, propagates evidence along the prerequisite
graph (`adaptive.placement`), and derives the history features (responses per skill, last
practice, current streak, learning progress, completed and recent activities) from the response
log in numpy (one student's request must not cost pandas group-bys).

    batch = batch_from_model(model, state, catalog, profiles, log=log, now=now)
    table = AdaptivePolicy(catalog).recommend_batch(batch, k=10, now=now)
"""

from __future__ import annotations

import inspect
import itertools
import numbers
import warnings
from collections import Counter, deque
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
import pandas as pd
from scipy import sparse

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.curriculum.catalog import ACTIVITY_KINDS
from adaptive.data.codes import (
    KnownIds,
    check_unique_ids,
    id_list,
    id_text,
    lookup_codes,
)
from adaptive.data.log import Response, ResponseLog
from adaptive.errors import (
    ConfigError,
    CoverageWarning,
    closest_name,
    counted,
    expect_type,
    nth,
    verb,
)
from adaptive.grades import grade_label
from adaptive.memo import IdentityMemo, SaidOnce
from adaptive.placement.graph import propagate
from adaptive.placement.level import DEFAULT_GUESS, DEFAULT_SLIP, CurriculumLevel, LevelFit
from adaptive.placement.prior import (
    NO_GRADE_SOURCE,
    NO_PROFILE_SOURCE,
    GradeTable,
    Placement,
    from_a_grade,
    given_or_grade,
    grade_source,
    place_regraded,
    placement_table,
    warn_grades_beyond,
)
from adaptive.policy.base import (
    StudentBatch,
    batch_settings,
    catalog_arrays,
    daily_budget,
    empty_activity_set,
    profile_goals,
    profile_interests,
    to_days,
    unsaid_goals,
    unsaid_interests,
)
from adaptive.policy.config import PolicyConfig
from adaptive.tracing.base import (
    RECENT_ANSWERS,
    KnowledgeTracer,
    TracingState,
    Untraced,
    answer_key,
)
from adaptive.tracing.learning_curve import LearningCurve

NS_PER_DAY = 86_400e9


@dataclass
class History:
    """History features per (student row, catalog skill) and per (student row, activity)."""

    n_responses: np.ndarray
    last_practiced: np.ndarray
    streak: np.ndarray
    progress: np.ndarray
    completed: sparse.csr_matrix
    recent: sparse.csr_matrix
    #: each (student row, skill)'s first answer: rows, catalog skill codes, 0/1 (the level's
    #: evidence, `level_beliefs`)
    first_answers: tuple[np.ndarray, np.ndarray, np.ndarray] = field(
        default_factory=lambda: (
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        )
    )


def align_skills(
    model_skills: Sequence[str] | pd.Index, catalog: Catalog, values: np.ndarray
) -> np.ndarray:
    """(n, S_model) -> (n, S_catalog) by skill id; catalog skills the model lacks are NaN."""
    codes = _catalog_columns(model_skills, catalog)
    out = np.full((values.shape[0], len(codes)), np.nan)
    known = codes >= 0
    out[:, known] = values[:, codes[known]]
    return out


#: Each (skill vocabulary, catalog) pair's catalog columns (`_catalog_columns`).
_COLUMNS: IdentityMemo[np.ndarray] = IdentityMemo(limit=64)


def _catalog_columns(model_skills: Sequence[str] | pd.Index, catalog: Catalog) -> np.ndarray:
    """For each catalog skill, its column in `model_skills` (-1 when absent); cached per
    (skill vocabulary, catalog) pair, so a per-request call does not rebuild the lookup."""
    return _COLUMNS.get(
        (model_skills, catalog),
        lambda: pd.Index(model_skills).astype(str).get_indexer(catalog.skill_index.astype(str)),
    )


@dataclass(frozen=True)
class _Events:
    """The responses of the requested students as flat arrays, whatever held them: one entry per
    (response, skill), in the order the responses happened for each student.

    `history_features` reads a `ResponseLog` (the nightly job, evaluations) or a plain sequence
    of `Response` (a vendor's per-student history, kept in memory: building a `ResponseLog` per
    request would cost milliseconds); both become these arrays, and one computation follows.
    """

    row: np.ndarray  # (E,) student row of each entry (only requested students)
    skill: np.ndarray  # (E,) catalog skill column
    correct: np.ndarray  # (E,) int64 0/1
    day: np.ndarray  # (E,) days since epoch, NaN without a time
    response_row: np.ndarray  # (R,) student row of each response (-1: not requested)
    activity: np.ndarray  # (R,) catalog activity code of each response (-1: none)
    response_day: np.ndarray | None  # (R,) days since epoch; None when the input has no times

    @classmethod
    def from_log(
        cls, log: ResponseLog, wanted: Mapping[str, int], ctx: Any,
        item_to_activity: Mapping[str, str] | None,
    ) -> _Events:  # fmt: skip
        student_row = lookup_codes(wanted, log.students)[log.student]  # per response
        rows, skill_codes = log.exploded()
        skill_col = lookup_codes(ctx.skill_pos, log.skills)[skill_codes]
        r_all = student_row[rows]
        keep = (r_all >= 0) & (skill_col >= 0)
        rows = rows[keep]
        time_ns = log.time if log.has_timestamps else None
        response_day = time_ns / NS_PER_DAY if time_ns is not None else None
        item_ids = log.items
        if item_to_activity:
            item_ids = pd.Index(item_ids).map(lambda x: item_to_activity.get(x, x))
        return cls(
            row=r_all[keep],
            skill=skill_col[keep],
            correct=log.correct[rows].astype(np.int64),
            day=response_day[rows] if response_day is not None else np.full(len(rows), np.nan),
            response_row=student_row,
            activity=lookup_codes(ctx.activity_pos, item_ids)[log.item],
            response_day=response_day,
        )

    @classmethod
    def from_responses(
        cls, responses: Sequence[Response], wanted: Mapping[str, int], ctx: Any,
        item_to_activity: Mapping[str, str] | None,
    ) -> _Events:  # fmt: skip
        """A student's list as the vendor appended it, read in time order where every answer
        has a time (else in the list's order); a response without a timestamp has no day."""
        get_row, get_skill, get_act = wanted.get, ctx.skill_pos.get, ctx.activity_pos.get
        mapped = item_to_activity or {}
        n = len(responses)
        response_row = np.empty(n, np.int64)
        activity = np.empty(n, np.int64)
        response_day = np.empty(n)
        row, skill, correct, day = [], [], [], []
        recent: dict[str, deque] = {}  # each student's latest answers, as the tracer's ring
        for i, resp in enumerate(responses):
            r = get_row(resp.student_id, -1)
            if r >= 0 and _is_retry(resp, recent):
                r = -1  # the tracer did not absorb it again: neither do the counts and streak
            response_row[i] = r
            activity[i] = get_act(mapped.get(resp.item_id, resp.item_id), -1)
            stamp = resp.timestamp
            d = np.nan if stamp is None else stamp.value / NS_PER_DAY
            response_day[i] = d
            if r < 0:
                continue
            for skill_id in resp.skill_ids:
                code = get_skill(skill_id, -1)
                if code >= 0:
                    row.append(r)
                    skill.append(code)
                    correct.append(resp.correct)
                    day.append(d)
        rows, days = np.asarray(row, np.int64), np.asarray(day, float)
        # by student, then in time order where every answer has a time (a list appended out of
        # order, a late request, reads as a log does: its streak is its latest answers'); the
        # list's order otherwise, and between answers of one time
        order = np.lexsort((rows,) if np.isnan(days).any() else (days, rows))
        return cls(
            row=rows[order],
            skill=np.asarray(skill, np.int64)[order],
            correct=np.asarray(correct, np.int64)[order],
            day=days[order],
            response_row=response_row,
            activity=activity,
            response_day=None if np.isnan(response_day).all() else response_day,
        )


def _is_retry(resp: Response, recent: dict[str, deque]) -> bool:
    """Whether `resp` repeats one of its student's last `RECENT_ANSWERS` answers of the list
    (the tracer's `answer_key`: same item, skills, time of day and answer: an app's retry,
    even after a newer answer arrived), as the tracer's `update` recognizes one and does not
    absorb it again (`RepeatedAnswerWarning`); a vendor appending each request's answer to
    the list it passes as `log` would count it twice in the student's streak. An answer dated
    by day alone is never one, as for the tracer (two attempts on one day)."""
    key = answer_key(resp)
    if not key:
        return False
    seen = recent.setdefault(resp.student_id, deque(maxlen=RECENT_ANSWERS))
    if key in seen:
        return True
    seen.append(key)
    return False


def history_features(
    log: ResponseLog | Sequence[Response] | None,
    student_ids: Sequence[str] | np.ndarray,
    catalog: Catalog,
    window: int = 4,
    item_to_activity: Mapping[str, str] | None = None,
    repeatable_kinds: Sequence[str] = ("practice", "review"),
) -> History:
    """Responses per skill, last practice day, trailing correct streak, learning progress
    (accuracy of the last `window` responses minus the `window` before), completed activities
    (items that are catalog activities, or mapped by `item_to_activity`, of a kind done once:
    not in `repeatable_kinds`) and the activities of the student's last day (no repeats).

    `log` is a `ResponseLog` or a sequence of `Response` in the order they happened (a vendor's
    per-student history: no log to build per request). numpy only (no pandas group-bys): it is
    on the vendor's per-request path."""
    ctx = catalog_arrays(catalog)
    n, n_s, n_a = len(student_ids), len(catalog.skills), len(catalog.activities)
    zeros = np.zeros((n, n_s), np.int32)
    if log is None or len(log) == 0:
        empty = sparse.csr_matrix((n, n_a))
        return History(
            zeros, np.full((n, n_s), np.nan), zeros.copy(), np.zeros((n, n_s)), empty, empty
        )
    wanted = {str(s): i for i, s in enumerate(student_ids)}
    if isinstance(log, ResponseLog):
        events = _Events.from_log(log, wanted, ctx, item_to_activity)
    else:
        events = _Events.from_responses(log, wanted, ctx, item_to_activity)
    r, s, c, days = events.row, events.skill, events.correct, events.day
    # entries are in time order per student: a stable sort by pair keeps time order inside
    pair = r * n_s + s
    order = np.argsort(pair, kind="stable")
    pair, r, s, c, days = pair[order], r[order], s[order], c[order], days[order]
    # np.concatenate, not np.r_ (an index trick that costs ~10 us a call on this path)
    new_pair = np.concatenate(([True], pair[1:] != pair[:-1])) if len(pair) else pair > 0
    starts = np.flatnonzero(new_pair)
    sizes = np.diff(np.append(starts, len(pair)))
    group_end = np.repeat(starts + sizes, sizes)
    pos_from_end = group_end - 1 - np.arange(len(pair))
    n_responses = zeros.copy()
    n_responses[r[starts], s[starts]] = sizes
    last = np.full((n, n_s), np.nan)
    is_last = pos_from_end == 0
    last[r[is_last], s[is_last]] = days[is_last]
    # streak: responses after the most recent wrong one (all of them when none was wrong)
    streak = n_responses.copy()
    wrong = c == 0
    np.minimum.at(streak, (r[wrong], s[wrong]), pos_from_end[wrong].astype(np.int32))
    # learning progress: recent window minus the one before
    cf = c.astype(float)
    acc_recent = _pair_mean(r, s, cf, pos_from_end < window, n, n_s)
    acc_older = _pair_mean(r, s, cf, (pos_from_end >= window) & (pos_from_end < 2 * window), n, n_s)
    progress = np.where(np.isnan(acc_older) | np.isnan(acc_recent), 0.0, acc_recent - acc_older)
    completed, recent = _activity_sets(events, n, n_a, repeatable_kinds, catalog)
    first = (r[starts], s[starts], c[starts])  # time order inside each pair: its first answer
    return History(n_responses, last, streak, progress, completed, recent, first)


def _activity_sets(
    events: _Events, n: int, n_a: int, repeatable_kinds: Sequence[str], catalog: Catalog
) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Completed activities of a kind done once, and the activities of each student's last day."""
    student_row, act = events.response_row, events.activity
    ok = (act >= 0) & (student_row >= 0)
    once = _done_once_kinds(catalog, tuple(repeatable_kinds))
    done_once = ok & once[np.maximum(act, 0)]
    completed = activity_set(student_row[done_once], act[done_once], n, n_a)
    if events.response_day is None:
        return completed, activity_set(np.zeros(0, np.int64), np.zeros(0, np.int64), n, n_a)
    day = np.floor(events.response_day)
    mine = (student_row >= 0) & ~np.isnan(day)
    last_day = np.full(n, -np.inf)
    np.maximum.at(last_day, student_row[mine], day[mine])
    on_last = ok & (day == last_day[np.maximum(student_row, 0)])
    return completed, activity_set(student_row[on_last], act[on_last], n, n_a)


#: Each (catalog, repeatable kinds)'s done-once activities (`_done_once_kinds`).
_ONCE: IdentityMemo[np.ndarray] = IdentityMemo(limit=64)


def _done_once_kinds(catalog: Catalog, repeatable_kinds: tuple[str, ...]) -> np.ndarray:
    """(A,) bool: activities of a kind done once (not repeatable); cached per catalog and kinds,
    as `catalog_arrays` is (a per-request call must not recompute catalog-wide arrays)."""
    return _ONCE.get((catalog,), lambda: _done_once(catalog, repeatable_kinds), repeatable_kinds)


def _done_once(catalog: Catalog, repeatable_kinds: tuple[str, ...]) -> np.ndarray:
    """`_done_once_kinds`, computed anew (read-only: the memo shares it)."""
    codes = [ACTIVITY_KINDS.index(k) for k in repeatable_kinds if k in ACTIVITY_KINDS]
    once = ~np.isin(catalog.activity_kind_codes, codes)
    once.flags.writeable = False
    return once


def activity_set(rows: np.ndarray, acts: np.ndarray, n: int, n_a: int) -> sparse.csr_matrix:
    """(n, n_a) CSR of 1.0 at each distinct (row, activity), built as CSR directly (no COO
    round trip: this is on the vendor's per-request path)."""
    if not len(rows):
        return empty_activity_set(n, n_a)
    key = np.unique(rows.astype(np.int64) * n_a + acts)
    indptr = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(key // n_a, minlength=n), out=indptr[1:])
    return sparse.csr_matrix(
        (np.ones(len(key)), (key % n_a).astype(np.int32), indptr), shape=(n, n_a)
    )


#: Skill ids a catalog lacks that a warning has named, per catalog: a log's off-catalog skills
#: (`batch.night_checks.OffCatalog.warn`), so the coverage note of a model fitted on that log
#: does not name them again.
OFF_CATALOG_SKILLS_SAID = SaidOnce(limit=16)


@dataclass(frozen=True)
class SkillCoverage:
    """How many of a catalog's skills a model knows, by id (the others get the policy's defaults:
    not started), and the model's skills the catalog lacks (`unknown`: a training log's misspelt
    'M3.OA.l' for 'M3.OA.1', fitted as a skill; answers on it are traced, but no recommendation
    reads them). `takes_catalog`: whether the model fits with a catalog (BKT), None when only
    its skills were given; the advice follows it (`adaptive train --catalog` refuses the others)."""

    known: int
    catalog: int
    takes_catalog: bool | None = field(default=None, compare=False)
    unknown: tuple[str, ...] = ()
    #: for each of the first five `unknown`, the catalog's id it likely means (None: none)
    meant: tuple[str | None, ...] = field(default=(), compare=False)

    @property
    def missing(self) -> int:
        return self.catalog - self.known

    def __str__(self) -> str:
        """The coverage's notice: the catalog skills the model lacks, then the model's skills
        the catalog lacks ('' where neither)."""
        said = [self._missing_words()] if self.missing else []
        if self.unknown:
            said.append(self._unknown_words())
        return "; and the ".join(said)

    def _unknown_words(self) -> str:
        """'model knows 1 skill id the catalog does not have: 'M3.OA.l' (did you mean
        'M3.OA.1'?) ...' for the first five, each with the catalog's id it likely means
        (`closest_name`, as training's warning of the log's skills names them)."""
        n, shown = len(self.unknown), self.unknown[:5]
        named = ", ".join(
            repr(s) + (f" (did you mean {meant!r}?)" if meant else "")
            for s, meant in zip(shown, self.meant, strict=True)
        )
        more = f" and {n - len(shown):,} more" if n > len(shown) else ""
        return (
            f"model knows {counted(n, 'skill id')} the catalog does not have: {named}{more}; "
            "answers on them are traced but no recommendation reads them (a misspelt skill "
            "in the training log? correct the log and retrain)"
        )

    def _missing_words(self) -> str:
        return (
            f"model knows {self.known} of {self.catalog} catalog skills; "
            f"{self.missing} get defaults when students are placed (`placement`, the default: "
            "their placement's values, the model's population prior for a student without a "
            "grade; with placement=None they stay unknown); answers on them are not "
            f"traced: {self.advice}"
        )

    @property
    def advice(self) -> str:
        """How to give the model the missing skills, for the kind of model it is."""
        if self.takes_catalog:
            return (
                "fit the model with its catalog, e.g. adaptive train --catalog FILE, or "
                "BKT().fit(log, catalog=catalog)"
            )
        if self.takes_catalog is False:
            return (
                "this model knows only the skills its training log has answers on: retrain it "
                "on a log that covers them, or train a BKT spec with the catalog (adaptive "
                "train --model bkt --catalog FILE)"
            )
        return (
            "fit the model with its catalog where it takes one (BKT: adaptive train --model bkt "
            "--catalog FILE, or BKT().fit(log, catalog=catalog)); other models know only the "
            "skills their training log has answers on: retrain them on a log that covers them"
        )


def fits_with_catalog(model: object) -> bool | None:
    """Whether a fitted model's kind fits with a catalog (`fit(log, catalog=)`: BKT); None for
    what is not a model (its skills alone)."""
    fit = getattr(model, "fit", None)
    if fit is None or not hasattr(model, "skills_"):
        return None
    return "catalog" in inspect.signature(fit).parameters


def profiles_by_id(profiles: object) -> Mapping[str, LearnerProfile]:
    """A request's `profiles` by student id: a Mapping is read as given (copying a district's
    profiles would cost a request O(district)), LearnerProfile records indexed, None none.
    A single profile, a frame, a path or other values are one TypeError saying what to pass
    (they ended in an AttributeError or "not iterable")."""
    if profiles is None:  # no profiles: every student placed without a grade
        return {}
    if isinstance(profiles, Mapping):
        return profiles
    mistakes = (
        (LearnerProfile, "a single profile; write [profile]"),
        (pd.DataFrame, "a frame; read its file with read_profiles(path)"),
        (str | bytes | Path, "a path; read the file with read_profiles(path)"),
    )
    for kind, what in mistakes:
        if isinstance(profiles, kind):
            raise TypeError(f"profiles: {what} (expected LearnerProfile records or a dict by id)")
    if not isinstance(profiles, Iterable):
        raise TypeError(f"profiles: expected LearnerProfile records, got {type(profiles).__name__}")
    listed = list(profiles)
    wrong = next((p for p in listed if not isinstance(p, LearnerProfile)), None)
    if wrong is not None:
        raise TypeError(
            f"profiles: expected LearnerProfile records (or a dict by student id), got a "
            f"{type(wrong).__name__} among them"
        )
    return {p.student_id: p for p in listed}


def profiles_of(
    ids: list[str], by_id: Mapping[str, LearnerProfile]
) -> tuple[list[LearnerProfile], np.ndarray]:
    """Each requested student's profile (an empty one where the profiles lack them: placed
    without a grade), and (n,) which they lack (none where no profiles were given: every
    student is placed without one, as asked). A look-up per requested student, under each key
    their id can be (the id's text, else the integer or `uuid.UUID` it is the text of, where
    the mapping's keys are such: `_other_key_kind`), whatever the number of profiles: the mapping's keys are never read (a pass over
    the district per request, the vendor trial's 10 ms at 400,000 profiles) nor kept, so a
    profile added, replaced or removed in the mapping is seen at the next request."""
    found = [by_id.get(s) for s in ids]
    if by_id and None in found:
        kind = _other_key_kind(by_id)
        if kind is not None:
            found = [
                p if p is not None else _other_keys_lookup(by_id, s, kind)
                for p, s in zip(found, ids, strict=True)
            ]
    missing = np.fromiter((p is None for p in found), bool, len(ids))
    plist = [LearnerProfile(s) if p is None else p for p, s in zip(found, ids, strict=True)]
    return plist, missing if by_id else np.zeros(len(ids), bool)


def _other_keys_lookup(
    by_id: Mapping[str, LearnerProfile], student_id: str, kind: type
) -> LearnerProfile | None:
    """The profile of `student_id` under the key of the mapping's `kind` (`_other_key_kind`:
    int or `uuid.UUID`) that reads as it (`_key_of`), None where there is none."""
    key = _key_of(student_id, kind)
    return None if key is None else by_id.get(key)


def _key_of(student_id: str, kind: type) -> Hashable | None:
    """The key of `kind` whose text (`id_text`) is `student_id`: the integer whose digits it
    is ("123": 123, also a numpy integer's key; "0123" is no integer's text), or the
    `uuid.UUID` whose canonical text it is (lower-case, hyphenated); None where there is none.
    A constant cost: a key in any other form (text with spaces around it) is not looked for
    (`profile_ids` says so)."""
    try:
        key = int(student_id) if kind is int else UUID(student_id)
    except ValueError:
        return None
    return key if str(key) == student_id else None


def _other_key_kind(by_id: Mapping[str, LearnerProfile]) -> type | None:
    """int or `uuid.UUID` where a dict's first key is one (ids kept as numbers or UUIDs: a
    request's text id is looked up as one too), None where it is text (a text id is never
    looked up as a number there: True and 1.0, which hash and compare as 1, would serve
    another student's profile for "1"), or where the mapping is no dict: its keys are not looked at (a `shelve` lists every key to give the first, and
    refuses a key that is no text). A dict whose first key is no id (a float, as a frame's
    column of ids read as numbers gives: 123.0 is no id, `id_text`) is a TypeError saying how
    to key it, not every student served without a profile. The first key only: a request
    reads no more of the keys."""
    if type(by_id) is not dict:
        return None
    first = next(iter(by_id))
    _key_text(first)
    if isinstance(first, UUID):
        return UUID
    return int if isinstance(first, numbers.Integral) else None


def _key_text(key: object) -> str:
    """The id a profiles key reads as (`id_text`: text trimmed, an integer's digits, a UUID's
    text), or a TypeError saying how to key the mapping."""
    text = id_text(key)
    if text is None:
        raise TypeError(
            f"profiles: a dict keyed by {type(key).__name__} ({key!r}); key it by the "
            "student id as text (ids are read as text: 123 is '123')"
        )
    return text


#: How a request's warning of students without a profile says to check an id against them.
PROFILE_CHECK = "adaptive.policy.adapter.profile_ids(profiles).reads_as(id)"


def _warn_unprofiled(ids: list[str], unprofiled: np.ndarray, have: np.ndarray) -> None:
    """One `CoverageWarning` per call counting the requested students the profiles lack (no
    id): they get no grade placement, interests or goals, and those without answers have
    placement words that say so (`NO_PROFILE_SOURCE`); those the state does not hold either
    are likely a mistyped id ("stu000001"), served from the model's population estimate. It
    says how to check whether an id is a profile's written otherwise (lost leading zeros,
    case: `profile_ids`) and, for those, a state's (`state.rows`), rather than checking here:
    either needs an index over every id, a pass over the district at the first request (0.6 s
    at 400,000 students)."""
    n, unheld = int(unprofiled.sum()), int((unprofiled & ~have).sum())
    text = (
        f"batch_from_model: {counted(n, 'requested student')} {verb(n, 'has')} no profile "
        "among the profiles given: served without a grade placement, interests or goals "
        f"(the placement of those without answers says {NO_PROFILE_SOURCE!r})"
    )
    if unheld:
        text += (
            f"; {unheld:,} of them {verb(unheld, 'is')} in neither the state nor the profiles "
            "(a mistyped id? state.rows([id]) says whether it is a held student's id written "
            "otherwise)"
        )
    text += (
        "; whether an id is a profile's written otherwise (case, leading zeros, look-alike "
        f"characters): {PROFILE_CHECK}, a pass over the profiles"
    )
    warnings.warn(text, CoverageWarning, stacklevel=3)


def profile_ids(profiles: object) -> KnownIds:
    """The profiles' ids by how they read (`KnownIds`): `profile_ids(profiles).reads_as(id)`
    is the profile's id that `id` is but for case, leading zeros or look-alike characters
    (None where there is none), what a request's warning of students without a profile says
    to run. `profiles` as `batch_from_model` takes them; each key is read as a request finds
    it (`profiles_of`: the id as text, an integer or `uuid.UUID` key as its text). Reads every
    key, O(profiles) (about 0.6 s at 400,000): a check to run off the request path, built anew
    at each call (the profiles as they are now). A key no request can find (text with spaces
    around the id) is a ValueError saying how to key the mapping; one that is no id (a float)
    a TypeError."""
    return KnownIds(_served_key(key, i) for i, key in enumerate(profiles_by_id(profiles)))


def _served_key(key: object, position: int) -> str:
    """The id a profiles key is found under (`_key_text`), where a request can find it: a
    text key with spaces around it is a ValueError by position (never the id)."""
    text = _key_text(key)
    if isinstance(key, str) and text != key:
        raise ValueError(
            f"profiles: the {nth(position)} key has spaces around its id: no request finds it "
            "(ids are read trimmed); key the dict by the trimmed id ({key.strip(): profile})"
        )
    return text


def _check_log(log: object) -> None:
    """A request's `log` is a ResponseLog or the student's answers as `Response`s (a list or a
    deque, read twice: a generator is not): anything else is one TypeError saying so (a
    DataFrame ended in an AttributeError deep in the features)."""
    if log is None or isinstance(log, ResponseLog):
        return
    if not isinstance(log, Sequence) or isinstance(log, str | bytes):
        raise TypeError(
            f"log: expected a ResponseLog or the student's answers as a list of Response; got "
            f"{type(log).__name__} (an iterator is read once: pass list(...); a frame in the "
            "canonical columns: ResponseLog.from_frame)"
        )
    if not all(isinstance(r, Response) for r in log):
        raise TypeError(
            "log: expected a ResponseLog or the student's answers as a list of Response; got "
            f"{type(log).__name__} (a frame in the canonical columns: ResponseLog.from_frame)"
        )


def _check_log_students(log: ResponseLog | Sequence[Response] | None, ids: list[str]) -> None:
    """A `log` with answers, none of them of the requested students (another student's, ids
    written another way), would be ignored without a word: their streaks, progress and recent
    activities would read as no history. One `ConfigError` naming a few of its students."""
    if log is None or not len(log):
        return
    given = log.students if isinstance(log, ResponseLog) else [r.student_id for r in log]
    if set(ids).isdisjoint(given):  # a set, not a pandas Index: 0.3 ms a request before
        given = list(dict.fromkeys(given))
        shown = ", ".join(repr(s) for s in list(given)[:3])
        raise ConfigError(
            f"log: its answers are of {shown}{' ...' if len(given) > 3 else ''}, none of the "
            f"requested students ({', '.join(repr(s) for s in ids[:3])}"
            f"{' ...' if len(ids) > 3 else ''}): pass each student's own answers"
        )


#: Each (skill vocabulary, catalog) pair's coverage, said once (`note_skill_coverage`).
_OVERLAP: IdentityMemo[SkillCoverage] = IdentityMemo(limit=64)


def note_skill_coverage(
    model_skills: Sequence[str] | pd.Index | KnowledgeTracer, catalog: Catalog, stacklevel: int = 2
) -> SkillCoverage:
    """`check_skill_coverage`, said once per (model, catalog) pair (cached by identity: the
    per-request path pays a look-up): a model that shares no skill with the catalog (ids spelt
    another way: "NUM.ADD" for "num.add") is an error, a partial overlap a warning with the
    numbers (the catalog's other skills hold the placement's values, and answers on them are
    not traced: a vendor's model fitted without `catalog=`). The nightly job notes it before
    its workers fork, so they do not say it again. `stacklevel`: as `warnings.warn`'s, counted
    from the caller of this function (`batch_from_model` passes 3: its own caller's line)."""
    model = model_skills
    if hasattr(model_skills, "skills_"):
        model_skills = model_skills.skills_
    # + 3: this function, the memo's `get` and the lambda stand between check_skill_coverage
    # and the caller
    return _OVERLAP.get(
        (model_skills, catalog), lambda: check_skill_coverage(model, catalog, stacklevel + 3)
    )


def check_skill_coverage(
    model_skills: Sequence[str] | pd.Index | KnowledgeTracer, catalog: Catalog, stacklevel: int = 2
) -> SkillCoverage:
    """The overlap of a model's skills with a catalog's, checked wherever a model meets a catalog
    (the batch job, `recommend`): no overlap is a `ConfigError` (every mastery would be a default,
    so the recommendations would ignore the model: the catalog is not the model's district's);
    a partial one, or model skills the catalog lacks (a misspelt skill the training log
    fitted), is a `CoverageWarning` with the numbers and names (`warnings.warn`, as every other
    coverage notice, so a service that captures warnings sees it; `note_skill_coverage`: once
    per model and catalog). A fitted model may be given for its skills (the warning's advice then fits its
    kind: only BKT takes a catalog)."""
    takes_catalog = fits_with_catalog(model_skills)
    if hasattr(model_skills, "skills_"):  # check_skill_coverage(model, catalog)
        model_skills = model_skills.skills_
    expect_type(catalog, Catalog, "catalog", "Catalog.from_json(path)")
    model_index = pd.Index(model_skills).astype(str)
    catalog_index = catalog.skill_index.astype(str)
    # skills a log's warning named for this catalog already (the log the model was just
    # trained on, as `recommend --data` does): said once, with the log's counts
    said = OFF_CATALOG_SKILLS_SAID.said(catalog)
    unknown = tuple(u for u in model_index[~model_index.isin(catalog_index)] if u not in said)
    coverage = SkillCoverage(
        int(catalog_index.isin(model_index).sum()), len(catalog_index), takes_catalog, unknown,
        tuple(closest_name(u, catalog_index) for u in unknown[:5]),
    )  # fmt: skip
    if coverage.catalog and not coverage.known:
        raise ConfigError(
            f"the model knows none of the catalog's {coverage.catalog} skills (model: "
            f"{', '.join(model_index[:3])}...; catalog: {', '.join(catalog_index[:3])}...): "
            "pass the catalog of the district whose data trained the model"
        )
    if coverage.missing or coverage.unknown:
        warnings.warn(str(coverage), CoverageWarning, stacklevel=stacklevel)
    return coverage


@dataclass(frozen=True)
class ProfileCoverage:
    """Interest topics and goal skills of a district's profiles that its catalog lacks, with the
    number of students naming each (no student ids), and, for the names the warning shows
    (`_SHOWN` of each kind), the catalog's name each likely means (`spelled`: 'Music' ->
    'music', 'animls' -> 'animals'; `closest_name`)."""

    students: int
    unknown_topics: dict[str, int]
    unknown_goals: dict[str, int]
    no_grade: int = 0  # students without a grade: placed from nothing but the model's prior
    grades_outside: dict[str, int] = field(default_factory=dict)  # grade label -> students
    class_without_school: int = 0  # students with a class and no school
    spelled: dict[str, str] = field(default_factory=dict)  # unknown name -> name it means

    def __str__(self) -> str:
        parts = []
        if self.no_grade:
            parts.append(
                f"{counted(self.no_grade, 'student')} {verb(self.no_grade, 'has')} no grade: "
                "they start from the model's population estimate (the training log's average "
                "over every grade, which can count another grade's skills as known), not from "
                "a grade placement; give their grade"
            )
        if self.grades_outside:
            named = ", ".join(f"{g} ({n})" for g, n in sorted(self.grades_outside.items()))
            n = sum(self.grades_outside.values())
            parts.append(
                f"{counted(n, 'student')} {verb(n, 'is')} in grades the catalog has no skill "
                f"of: {named}; they are placed by their distance to its grades"
            )
        if self.class_without_school:
            parts.append(
                f"{counted(self.class_without_school, 'student')} "
                f"{verb(self.class_without_school, 'has')} a class but no school: "
                "the nightly job serves them in school 'unassigned', so their class appears "
                "there apart from its school's page; give their school"
            )
        for what, counts in (("interest topic", self.unknown_topics),
                             ("goal skill", self.unknown_goals)):  # fmt: skip
            if counts:
                named = ", ".join(
                    f"{k!r} ({counted(n, 'student')}"
                    + (f"; did you mean {self.spelled[k]!r}?)" if k in self.spelled else ")")
                    for k, n in _commonest(counts)
                )
                more = f" and {len(counts) - _SHOWN:,} more" if len(counts) > _SHOWN else ""
                parts.append(
                    f"{counted(len(counts), what)} the catalog does not have: {named}{more}"
                )
        return "; ".join(parts)


#: Unknown topics (and goals) a profiles warning names, the commonest first.
_SHOWN = 5


def _commonest(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """The `_SHOWN` names with the most students, ties by name: those a warning names."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:_SHOWN]


def _meant_names(counts: Mapping[str, int], known: Iterable[str]) -> dict[str, str]:
    """The name of `known` each name a warning shows (`_commonest`) likely means, by the
    library's one "did you mean" rule (`closest_name`: case first, then a close spelling that
    is no other numbered standard), the rule the per-request warning uses too
    (`policy.base.warn_unknown_interests`): the same slip gets the same hint on both paths."""
    known = list(known)
    meant = {name: closest_name(name, known) for name, _ in _commonest(counts)}
    return {name: close for name, close in meant.items() if close is not None}


#: Profiles `check_profiles` counts at a time. On the Spark driver, with blocks of 65,536, the
#: driver's Python peak at 400,000 students read 0.42-0.43 GB against 0.36-0.37 before the check
#: ran there (63_spark.md): the block is the likely cause (not measured apart).
_PROFILE_BLOCK = 8_192


def check_profiles(
    profiles: Mapping[str, LearnerProfile] | Iterable[LearnerProfile], catalog: Catalog
) -> ProfileCoverage:
    """Profiles meet a catalog: interests on topics and goals on skills that the catalog does
    not have are ignored when scoring (a topic matches by its exact name), so each is counted,
    and a warning names the commonest ("Animals" where the catalog says "animals" turned the
    interest term off without a word). Run once per run where profiles are read (both nightly
    engines, `adaptive recommend`), not per request. One pass, holding a block of profiles at
    a time: the Spark driver passes a roster it streams (`curriculum.iter_profiles`)."""
    topics, skills = set(catalog.topics), set(catalog.skill_index)
    unknown_topics: Counter[str] = Counter()
    unknown_goals: Counter[str] = Counter()
    grades: Counter[int | None] = Counter()
    students = class_only = 0
    schools_of: dict[str, set[str]] = {}  # class id -> its schools (`shared_class_ids_words`)
    # one pass over the district's profiles, a block at a time (400,000 a night: ~0.15 s,
    # no per-profile call), holding one block
    given = iter(profiles.values() if isinstance(profiles, Mapping) else profiles)
    while block := list(itertools.islice(given, _PROFILE_BLOCK)):
        students += len(block)
        unknown_topics.update(t for p in block for t in p.interests if t not in topics)
        unknown_goals.update(g for p in block for g in set(p.goal_skills) if g not in skills)
        grades.update(p.grade for p in block)
        class_only += sum(1 for p in block if p.class_id and not p.school_id)
        add_class_schools(schools_of, block)
    # said here (warned, counted) and marked said: each batch's `profile_interests` and
    # `profile_goals` do not warn of them again (a night's workers, forked after this, would
    # each have)
    unsaid_interests(catalog, unknown_topics)
    unsaid_goals(catalog, unknown_goals)
    catalog_grades = {s.grade for s in catalog.skills if s.grade is not None}
    no_grade = grades.pop(None, 0)
    outside = {
        grade_label(g): n for g, n in grades.items() if catalog_grades and g not in catalog_grades
    }
    spelled = _meant_names(unknown_topics, topics) | _meant_names(unknown_goals, skills)
    coverage = ProfileCoverage(
        students, dict(unknown_topics), dict(unknown_goals), no_grade, outside, class_only,
        spelled,
    )  # fmt: skip
    if unknown_topics or unknown_goals:
        names = ProfileCoverage(
            students, dict(unknown_topics), dict(unknown_goals), spelled=spelled
        )
        shown = ", ".join(sorted(topics)[:12]) + (" ..." if len(topics) > 12 else "")
        _warn_profiles(f"{names}; they are ignored (the catalog's topics: {shown})")
    if no_grade or outside or class_only:
        _warn_profiles(str(ProfileCoverage(students, {}, {}, no_grade, outside, class_only)))
    said = shared_class_ids_words(schools_of)
    if said:
        _warn_profiles(said)
    return coverage


def add_class_schools(schools_of: dict[str, set[str]], profiles: Iterable[LearnerProfile]) -> None:
    """Add each class id of `profiles` -> the schools of its students ("" for a profile without
    a school) to `schools_of` (a block at a time: `check_profiles`)."""
    for p in profiles:
        if p.class_id:
            schools_of.setdefault(p.class_id, set()).add(p.school_id or "")


def shared_class_ids(schools_of: Mapping[str, Collection[str]]) -> dict[str, list[str]]:
    """The class ids that several schools use (`schools_of`: class id -> its schools, as
    `add_class_schools` reads them), each with its schools, sorted: the one reading of "a class
    id of several schools" that the words below, the overrides' checks and an experiment's
    older assignment file share."""
    return {c: sorted(s) for c, s in schools_of.items() if len(s) > 1}


def shared_class_ids_words(schools_of: Mapping[str, Collection[str]]) -> str:
    """What to say of class ids that several schools use (`schools_of`: class id -> its
    schools), in one line ('' where none): how many, one with its schools, and that classes
    are told apart by school. Allowed (a roster names homerooms without the school: "Room
    g4A" at two schools), but an operator who reads "26 classes" for 74 should not be
    surprised; teacher overrides name the school for them (`batch.overrides.ClassKey`)."""
    shared = shared_class_ids(schools_of)
    if not shared:
        return ""
    klass = min(shared)
    schools = shared[klass]
    shown = ", ".join(repr(s) for s in schools[:3]) + (" ..." if len(schools) > 3 else "")
    n = len(shared)
    return (
        f"{counted(n, 'class id')} {verb(n, 'is')} used by several schools (e.g. {klass!r} at "
        f"{counted(len(schools), 'school')}: {shown}): allowed, each school's class is a class "
        "of its own, told apart by its school (the class pages, and teacher overrides: the "
        "class page's export writes school_id; an older export without it is refused for such "
        "a class id)"
    )


def _warn_profiles(text: str) -> None:
    """One `CoverageWarning` "profiles: ..." of `check_profiles` (counts and names, never an id):
    a warning, as every other data note of the library (`check_skill_coverage`, the per-request
    `warn_unknown_interests`), so a service that reads Python warnings and silences the
    library's logger hears of it; the night says it once, before its workers fork."""
    warnings.warn(CoverageWarning(f"profiles: {text}"), stacklevel=3)


def _pair_mean(
    r: np.ndarray, s: np.ndarray, c: np.ndarray, mask: np.ndarray, n: int, n_s: int
) -> np.ndarray:
    tot = np.zeros((n, n_s))
    cnt = np.zeros((n, n_s))
    np.add.at(tot, (r[mask], s[mask]), c[mask])
    np.add.at(cnt, (r[mask], s[mask]), 1.0)
    return np.divide(tot, cnt, out=np.full((n, n_s), np.nan), where=cnt > 0)


def batch_from_model(
    model: KnowledgeTracer,
    state: TracingState,
    catalog: Catalog,
    profiles: Mapping[str, LearnerProfile] | Sequence[LearnerProfile] | None,
    *,
    log: ResponseLog | Sequence[Response] | None = None,
    student_ids: Sequence[str] | None = None,
    now: float | pd.Timestamp | None = None,
    config: PolicyConfig | None = None,
    item_to_activity: Mapping[str, str] | None = None,
    placement: str | Placement | None = "grade",
    grade_table: GradeTable | None = None,
    graph: bool = True,
    first_answers: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    **overrides: Any,
) -> StudentBatch:
    """A `StudentBatch` for `student_ids` (default: every student in `state`).

    Mastery and P(correct) come from `model.mastery(state, rows)` /
    `model.predict_skill_proba(state, rows)` for the requested students only (the cost does not
    grow with the state), aligned by skill id; catalog skills the model lacks are NaN (unknown).
    A student the state does not hold yet is placed: from their profile's grade (`placement=
    "grade"`, the default, with `grade_table`, else the config's), from a given `Placement`, or not at all (`None`:
    unknown, NaN, as not started); the batch says so (`placement`, e.g. "placed from grade 4"),
    and the recommendations give it as a reason. A student the state holds who was never
    placed (`init_state(ids)` without a prior; a first answer before any request) is placed in
    the state itself, once, as the nightly job places a newcomer: answered skills keep their
    evidence. With `graph`, evidence is propagated along the
    prerequisite graph (`adaptive.placement.graph`; an answered skill raises the never-answered
    skills it builds on by the config's `graph_raise`). Each student's ability comes from
    `model.ability`, and the batch's `learning_z` from `model.learning_curve_` (where the
    model's training log shows gradual learning, the policy holds practised skills open for
    `PolicyConfig.gradual_min_responses` answers). `log` gives the history features: a `ResponseLog`, or the student's own
    responses as a sequence of `Response` (what a vendor keeps per student in memory; no log
    is built per request; read in time order where every answer has a time). `overrides` are passed to `StudentBatch.build` (e.g. `excluded=`,
    `assigned=`, `scope=`, `min_grade=`: arrays over the requested students; a teacher's
    choices as `OverrideSet({id: StudentOverride(...)}).batch_fields(catalog, profiles, ids)`,
    checked as an overrides file is). Where the model's `curriculum_level_` holds (the
    district's knowledge follows the curriculum order), the batch carries each student's
    beliefs from where their first answers place them (`level_known`, `level_beliefs`): the
    first answers of `log`, or `first_answers` (position in the requested students, catalog
    skill code, 0/1) where the caller keeps them beside the history fields it passes (the
    nightly job's `StudentHistory`).
    """
    if now is not None:  # the batch is time-free (`now` is the policy's), but a date given
        to_days(now)  # here is read as everywhere: "03/04/2027" is refused, not ignored
    _check_arguments(model, state, catalog, config, grade_table)
    config = config or PolicyConfig()
    # the table said (the caller's, else the config's) is the batch's setting; the one that
    # places is that, else the one read from the model's training log
    said_table = grade_table if grade_table is not None else config.grade_table
    grade_table = placement_table(said_table, model)
    _check_log(log)
    ids = id_list(state.students if student_ids is None else student_ids)
    check_unique_ids(ids)
    _check_log_students(log, ids)
    _warn_untraced_answers(model, log, ids)
    by_id = profiles_by_id(profiles)
    plist, unprofiled = profiles_of(ids, by_id)
    state_rows = state.rows(ids, missing=-1)
    have = state_rows >= 0
    if unprofiled.any():
        _warn_unprofiled(ids, unprofiled, have)
    if placement is not None and have.any():
        _place_unplaced(model, state, catalog, plist, state_rows, placement, grade_table)
    skills = model.skills_
    note_skill_coverage(model, catalog, stacklevel=3)
    mastery = np.full((len(ids), len(skills)), np.nan)
    p_correct = np.full((len(ids), len(skills)), np.nan)
    ability = np.zeros(len(ids))
    if have.any():
        mastery[have] = model.mastery(state, state_rows[have])
        p_correct[have] = model.predict_skill_proba(state, state_rows[have])
        ability[have] = model.ability(state, state_rows[have])
    sources = np.full(len(ids), "", dtype=object)
    cold = np.flatnonzero(~have)
    if len(cold) and placement is not None:
        placed = _cold_start(model, catalog, [plist[i] for i in cold], placement, grade_table)
        mastery[cold], p_correct[cold], sources[cold] = placed
    if have.any():
        held = np.flatnonzero(have)
        recorded = state.placed_from(state_rows[held])
        if placement is not None:
            # a student the state holds who never answered was started from their placement
            # too: where the state recorded it (`model.place`, `init_state(prior=)`), else as
            # given now
            silent = model.responses_seen(state, state_rows[held]) == 0
            sources[held[silent]] = [
                said or _placed_source(plist[i], placement)
                for i, said in zip(held[silent].tolist(), recorded[silent].tolist(), strict=True)
            ]
        sources[held] = _kept_source(recorded, sources[held])
    # a student the profiles lack, unless something else placed them (a diagnostic): said so
    sources[unprofiled & (sources == NO_GRADE_SOURCE)] = NO_PROFILE_SOURCE
    hist = history_features(
        log, ids, catalog, config.progress_window, item_to_activity, config.repeatable_kinds
    )
    latest_answer = _latest_answers(state, state_rows, have)
    _warn_log_not_absorbed(model, state, log, ids, state_rows, latest_answer)
    if "n_responses" not in overrides:  # the history given as fields (the nightly job's)
        _warn_answers_not_in_log(model, state, log, state_rows, hist.n_responses)
    n_responses = overrides.get("n_responses", hist.n_responses)
    catalog_mastery = align_skills(skills, catalog, mastery)
    catalog_p = align_skills(skills, catalog, p_correct)
    if placement is not None:
        given = placement if isinstance(placement, Placement) else None
        _fill_unmodelled(catalog_mastery, catalog, plist, grade_table, given, model)
    if graph:
        catalog_mastery, catalog_p = _propagated(
            catalog, catalog_mastery, catalog_p, n_responses, config.graph_raise
        )
    fields = {
        "p_correct": catalog_p,
        "n_responses": hist.n_responses,
        "streak": hist.streak,
        "last_practiced": hist.last_practiced,
        "progress": hist.progress,
        "completed": hist.completed,
        "recent": hist.recent,
        "goals": profile_goals(catalog, plist),
        "interests": profile_interests(catalog, plist),
        "grade": np.array([np.nan if p.grade is None else p.grade for p in plist], float),
        "daily_minutes": np.array([daily_budget(p, config) for p in plist], float),
        "class_id": np.array([p.class_id or "" for p in plist], dtype=object),
        "school_id": np.array([p.school_id or "" for p in plist], dtype=object),
        "ability": ability,
        "placement": sources,
        # the state's latest answer of each student: a request dated before it is noticed
        # even where no log is passed (`warn_now_against_answers`)
        "latest_answer": latest_answer,
        # whether the district learns gradually: the fitted model's measure, for every student
        # (a duck-typed model without one: not measured, not gradual)
        "learning_z": np.full(len(ids), getattr(model, "learning_curve_", LearningCurve()).z),
    }
    if placement is not None and reads_level(model):
        given = first_answers is not None  # a caller's are checked; the log's are our own
        first = (
            _checked_first_answers(first_answers, len(ids), len(catalog.skills))
            if given
            else hist.first_answers
        )
        # a student placed from something else than a grade (a diagnostic, earlier records)
        # keeps that placement: it measured the student, the level only guesses from practice
        from_grade = from_a_grade(sources) | (sources == "")
        # read with the grade table the check measured it with, not the policy's own (a model
        # saved before the table was kept: the policy's, as then)
        checked = model.curriculum_level_.grade_table
        table = checked if checked is not None else grade_table
        level = level_beliefs(catalog, table, fields["grade"], first, from_grade)
        if have.any():  # a skill the state traced keeps the tracer's estimate, whatever the
            # log passed holds (a vendor's list of recent answers may have dropped its answers)
            traced = model.answers_per_skill(state, state_rows[have]).astype(np.float64)
            held = np.flatnonzero(have)
            level[held] = np.where(align_skills(skills, catalog, traced) > 0, np.nan, level[held])
        fields["level_known"] = level
    fields.update(overrides)
    batch = StudentBatch.build(catalog, ids, catalog_mastery, config=config, **fields)
    # placed with another table than the config's: a policy of this config refuses the batch
    batch.settings = batch_settings(config, said_table)
    return batch


def _warn_untraced_answers(
    model: KnowledgeTracer, log: ResponseLog | Sequence[Response] | None, ids: list[str]
) -> None:
    """A vendor's list of answers passed as `log` (the requested students') on a skill the
    model was not fitted on ('ADD' for 'add'): one `CoverageWarning` in `update`'s words
    (`Untraced.warn`, with its "did you mean"); it was read without a word. A look-up per
    answer's skill: the list is a student's last few dozen answers. A `ResponseLog` is a night's
    or an evaluation's, whose answers `update` was given (and warned of) as a log. Each skill
    is said once per model (`UNTRACED_SAID`): the list comes again at every request, one answer
    longer, and a warning whose count changed each time was said at every one."""
    if log is None or isinstance(log, ResponseLog):
        return
    fitted = getattr(model, "_skill_code_map", None)
    codes = fitted() if fitted else {str(s): i for i, s in enumerate(model.skills_)}
    wanted = set(ids)
    untraced = [
        r for r in log if r.student_id in wanted and not all(s in codes for s in r.skill_ids)
    ]
    skills = dict.fromkeys(s for r in untraced for s in r.skill_ids if s not in codes)
    fresh = UNTRACED_SAID.fresh(model, skills) if skills else set()
    if fresh:
        told = [r for r in untraced if any(s in fresh for s in r.skill_ids)]
        Untraced(len(told), tuple(s for s in skills if s in fresh)).warn(
            " in log", stacklevel=4, fitted=codes, call="batch_from_model"
        )


#: The skills of a vendor's answers (`log`) that a model lacks, said once per model.
UNTRACED_SAID = SaidOnce(limit=16)


def _latest_answers(state: TracingState, state_rows: np.ndarray, have: np.ndarray) -> np.ndarray:
    """(n,) each requested student's latest answer absorbed in the state (float days; NaN
    where none, or the state does not hold the student)."""
    out = np.full(len(state_rows), np.nan)
    out[have] = state.latest_answer_days(state_rows[have])
    return out


def _log_answer_days(
    log: ResponseLog | Sequence[Response], wanted: Mapping[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(position among the requested students, or -1; time in float days, NaN where undated)
    of each answer in `log`: a vendor's list read in a pass over it (a few dozen answers), a
    `ResponseLog` by its arrays."""
    if isinstance(log, ResponseLog):
        pos = lookup_codes(wanted, log.students.tolist())[log.student]
        if not log.has_timestamps:
            return pos, np.full(len(pos), np.nan)
        return pos, log.time / NS_PER_DAY
    pos = np.fromiter((wanted.get(r.student_id, -1) for r in log), np.int64, len(log))
    days = np.fromiter(
        (np.nan if r.timestamp is None else r.timestamp.value / NS_PER_DAY for r in log),
        np.float64,
        len(log),
    )
    return pos, days


def _warn_log_not_absorbed(
    model: KnowledgeTracer,
    state: TracingState,
    log: ResponseLog | Sequence[Response] | None,
    ids: list[str],
    state_rows: np.ndarray,
    latest_answer: np.ndarray,
) -> None:
    """One `CoverageWarning` where `log` holds answers of the requested students dated after the
    latest answer the state absorbed for them (or any dated answer of a student the state
    holds none of): `update` never saw them, so the batch would take their counts and streaks
    from the log but their mastery from a state without them ("now that you know X" of a skill
    whose mastery is its placement's). Counted, never an id; the requested students' answers
    only (the state's `latest_answer`, read for the batch anyway)."""
    if log is None or not len(log):
        return
    pos, days = _log_answer_days(log, {s: i for i, s in enumerate(ids)})
    dated = (pos >= 0) & ~np.isnan(days)
    if not dated.any():
        return
    absorbed = np.where(np.isnan(latest_answer), -np.inf, latest_answer)
    newer = dated & (days > absorbed[np.maximum(pos, 0)])
    if not newer.any():
        return
    students = np.unique(pos[newer])
    # a student the state holds without a dated answer (a state saved before times were kept,
    # answers given undated) is said only where it absorbed no answer of theirs at all
    held = students[(state_rows[students] >= 0) & np.isnan(latest_answer[students])]
    if len(held):
        counts = getattr(model, "responses_seen", None)  # a duck-typed model: cannot tell
        seen = counts(state, state_rows[held]) > 0 if counts else np.ones(len(held), bool)
        keep = ~np.isin(students, held[seen])
        newer &= np.isin(pos, students[keep])
        students = students[keep]
    if not len(students):
        return
    n_answers, n_students = int(newer.sum()), len(students)
    warnings.warn(
        f"batch_from_model: the log holds {counted(n_answers, 'answer')} of "
        f"{counted(n_students, 'requested student')} dated after the latest answer the state "
        "absorbed for them: the state never saw them, so their counts and streaks come from "
        "the log but their mastery does not (a sentence may say 'now that you know' a skill "
        "the mastery has not moved on). Give each answer to `model.update(state, response)` "
        "first, then keep it in the list passed as `log`",
        CoverageWarning,
        stacklevel=3,
    )


def _warn_answers_not_in_log(
    model: KnowledgeTracer,
    state: TracingState,
    log: ResponseLog | Sequence[Response] | None,
    state_rows: np.ndarray,
    n_responses: np.ndarray,
) -> None:
    """One `CoverageWarning` where requested students have answers in the state but none in
    `log` (`n_responses`: the log's answers per requested student and skill): their history
    features read as none, so a skill they answered reads as never answered. A vendor's
    service restored a saved state without the recent answers (the README's own per-student
    store passed no log): 29 of 30 students' lists changed without a word. Counted, never an
    id; the requested students' rows only."""
    counts = getattr(model, "responses_seen", None)  # a duck-typed model: cannot tell
    held = np.flatnonzero(state_rows >= 0)
    if counts is None or not len(held):
        return
    lacking = (counts(state, state_rows[held]) > 0) & (n_responses[held].sum(axis=1) == 0)
    n = int(lacking.sum())
    if not n:
        return
    given = "no log was given" if log is None else "the log given holds none of theirs"
    warnings.warn(
        f"batch_from_model: {counted(n, 'requested student')} {verb(n, 'has')} answers in "
        f"the state but {given}: their history (answers and right answers in a row per "
        "skill, when each was last practised, the last session's activities) reads as none, "
        "so a skill they answered reads as never answered (served again to be shown, checks "
        "and reviews misjudged). Pass each student's recent answers as `log` (a list of "
        "`Response`, kept beside their saved state: `Response.to_dict` / `Response.from_dict`)",
        CoverageWarning,
        stacklevel=3,
    )


def reads_level(model: object) -> bool:
    """Whether a batch of this model carries level beliefs: its `curriculum_level_` says the
    district's knowledge follows the curriculum order (a duck-typed model without one: no)."""
    return getattr(model, "curriculum_level_", LevelFit()).holds


#: The curriculum level of each (catalog, grade table) in use (`level_beliefs`).
_LEVELS: IdentityMemo[CurriculumLevel] = IdentityMemo(limit=16)


#: Students whose level beliefs are computed at once (`level_beliefs`): the grid's arrays of a
#: chunk stay small beside the (n, S) result at 400,000 students.
LEVEL_CHUNK = 8192


def level_beliefs(
    catalog: Catalog,
    grade_table: GradeTable | None,
    grades: np.ndarray,
    first_answers: tuple[np.ndarray, np.ndarray, np.ndarray],
    students: np.ndarray | None = None,
) -> np.ndarray:
    """(n, S) float32 P(known) of every skill from where each student stands in the curriculum
    (`adaptive.placement.level`), located from their grade and their first answer on each
    skill they answered (`first_answers`: position among the n students, catalog skill code,
    0/1). NaN for a student without a grade, without a first answer on a graded skill (their
    grade's placement says as much, and says it in the grade table's own words) or outside
    `students` ((n,) bool), and for a skill without a grade. Read by the adaptive policy for
    the skills a student never answered, where the model's `curriculum_level_` says the
    district's knowledge follows the curriculum order."""
    grades = np.asarray(grades, np.float64)
    n, n_s = len(grades), len(catalog.skills)
    out = np.full((n, n_s), np.nan, np.float32)
    rows, codes, correct = first_answers
    if np.isnan(catalog.skill_grades).all() or not len(rows):  # no skill has a position
        return out
    level = _LEVELS.get((catalog, grade_table), lambda: CurriculumLevel.of(catalog, grade_table))
    keep = level.modelled[codes]
    rows, codes, correct = rows[keep], codes[keep], correct[keep]
    located = (np.bincount(rows, minlength=n) > 0) & ~np.isnan(grades)
    if students is not None:
        located &= students
    chosen = np.flatnonzero(located)
    if len(chosen) == n:  # every student is located (a vendor's request: one)
        at = rows
    else:
        position = np.full(n, -1)
        position[chosen] = np.arange(len(chosen))
        at = position[rows]
        rows, codes, correct, at = rows[at >= 0], codes[at >= 0], correct[at >= 0], at[at >= 0]
    for start in range(0, len(chosen), LEVEL_CHUNK):
        part = chosen[start : start + LEVEL_CHUNK]
        mine = (at >= start) & (at < start + len(part))
        weights = level.placed(grades[part], at[mine] - start, codes[mine], correct[mine])
        out[part] = level.known(weights)
    out[:, ~level.modelled] = np.nan
    return out


def _checked_first_answers(
    first_answers: object, n: int, n_skills: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`first_answers` as three aligned integer arrays (student position in [0, n), catalog
    skill code in [0, S), 0/1), or a `ConfigError` saying what they are (a caller's student
    ids or model skill codes would otherwise be misread)."""
    expected = (
        "expected (student positions, catalog skill codes, 0/1 answers): three equal-length "
        "integer arrays, as StudentHistory.first_answers(ids) gives"
    )
    try:
        rows, codes, correct = (np.asarray(a) for a in first_answers)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ConfigError(f"first_answers: {expected}") from None
    arrays = (rows, codes, correct)
    if (
        not all(a.ndim == 1 and (a.dtype.kind in "iu" or not len(a)) for a in arrays)
        or not len(rows) == len(codes) == len(correct)
        or (len(rows) and (rows.min() < 0 or rows.max() >= n))
        or (len(codes) and (codes.min() < 0 or codes.max() >= n_skills))
        or not np.isin(correct, (0, 1)).all()
    ):
        raise ConfigError(f"first_answers: {expected} ({n} students, {n_skills} skills)")
    return rows.astype(np.int64), codes.astype(np.int64), correct.astype(np.int64)


def _check_arguments(
    model: object, state: object, catalog: object, config: object, grade_table: object
) -> None:
    """Each argument of `batch_from_model` of its kind, or a `TypeError` saying how to make it
    (a file name or a dict ended in an AttributeError deep in the batch)."""
    # any fitted model of the tracer interface (duck-typed); a file name is refused with how
    if isinstance(model, str | Path) or not hasattr(model, "skills_"):
        expect_type(model, KnowledgeTracer, "model", "KnowledgeTracer.load(folder), or fit one")
    if isinstance(state, str | Path) or not hasattr(state, "rows"):
        expect_type(
            state, TracingState, "state", "model.init_state(ids) or TracingState.load(path)"
        )
    expect_type(catalog, Catalog, "catalog", "Catalog.from_json(path)")
    expect_type(
        config, (PolicyConfig, type(None)), "config",
        "PolicyConfig.from_toml(path) or PolicyConfig.from_dict({...})",
    )  # fmt: skip
    expect_type(grade_table, (GradeTable, type(None)), "grade_table", "GradeTable.from_dict({...})")


def _cold_start(
    model: KnowledgeTracer,
    catalog: Catalog,
    profiles: list[LearnerProfile],
    placement: str | Placement,
    grade_table: GradeTable | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mastery, P(correct), source) of students without state, as the model places them."""
    ids = [p.student_id for p in profiles]
    prior = _placement_of(catalog, profiles, placement, grade_table)
    scratch = model.init_state(ids, prior=prior)
    rows = scratch.rows(ids)
    sources = np.asarray(prior.subset(ids).sources, dtype=object)
    return model.mastery(scratch, rows), model.predict_skill_proba(scratch, rows), sources


def _place_unplaced(
    model: KnowledgeTracer,
    state: TracingState,
    catalog: Catalog,
    plist: list[LearnerProfile],
    state_rows: np.ndarray,
    placement: str | Placement,
    grade_table: GradeTable | None,
) -> None:
    """Place, in the state, the requested students it holds who never started from a
    placement: a vendor's `init_state(ids)` without a prior, or a student whose first answer
    came before any request (`update` adds them at the population prior). As the nightly job
    places a student new to the state: the given value, else the grade's; skills already
    answered keep their evidence (`place`). Students without a grade or a given value are
    left as they are. One check per request: students once placed cost nothing more. Students
    a grade placed whose profile now has another grade (a grade corrected in the student
    information system) are placed again from it (`place_regraded`), records given beside
    the grade's guess as before."""
    held = np.flatnonzero(state_rows >= 0)
    regraded = [plist[i] for i in held.tolist()]
    given = placement if isinstance(placement, Placement) else None
    place_regraded(model, state, catalog, regraded, state_rows[held], grade_table, given=given)
    unplaced = held[~model.is_placed(state, state_rows[held])]
    if not len(unplaced):
        return
    chosen = [
        plist[i]
        for i in unplaced.tolist()
        if plist[i].grade is not None
        or (given is not None and given.source_of(plist[i].student_id) is not None)
    ]
    if chosen:
        model.place(state, _placement_of(catalog, chosen, placement, grade_table))


def _placement_of(
    catalog: Catalog,
    profiles: list[LearnerProfile],
    placement: str | Placement,
    grade_table: GradeTable | None,
) -> Placement:
    """Where these students start, as the nightly job places a newcomer
    (`place_new_students`): a given `Placement` where it knows the student and skill, else
    the grade's (`placement="grade"`)."""
    if not isinstance(placement, Placement) and placement != "grade":
        raise ConfigError(f"placement {placement!r}: expected 'grade', a Placement or None")
    given = placement if isinstance(placement, Placement) else None
    warn_grades_beyond(
        catalog, [p for p in profiles if given is None or given.source_of(p.student_id) is None]
    )
    return given_or_grade(catalog, profiles, given, grade_table)


def _fill_unmodelled(
    mastery: np.ndarray,
    catalog: Catalog,
    profiles: list[LearnerProfile],
    grade_table: GradeTable | None,
    given: Placement | None,
    model: KnowledgeTracer,
) -> None:
    """Catalog skills the model has no column for (never in its training data) take the
    placement's value instead of staying unknown (`given` where it knows the student and skill,
    else the grade's), and for a student with neither (no grade) the model's population prior
    (its mean over the skills it knows, as it starts such a student on those): unknown reads as
    "not started", which would put every such skill below a student's grade on their
    ready-to-learn fringe, ahead of the skills the model does trace. P(correct) stays NaN
    there, so the policy derives it from this mastery."""
    if not np.isnan(mastery).any():
        return
    unmodelled = np.isnan(mastery).all(axis=0)
    if not unmodelled.any():
        return
    values = given_or_grade(catalog, profiles, given, grade_table).aligned(catalog.skill_ids)
    cols = np.flatnonzero(unmodelled)
    mastery[:, cols] = values[:, cols]
    unplaced = np.isnan(mastery[:, cols])
    if unplaced.any():
        block = mastery[:, cols]
        block[unplaced] = _population_prior(model)
        mastery[:, cols] = block


def _population_prior(model: KnowledgeTracer) -> float:
    """The model's mean P(mastery) over its skills for a student it knows nothing of."""
    scratch = model.init_state(["population"])
    return float(np.nanmean(model.mastery(scratch, scratch.rows(["population"]))))


def _kept_source(recorded: np.ndarray, said: np.ndarray) -> np.ndarray:
    """Each held student's placement words, with the state's record (`recorded`, from
    `TracingState.placed_from`) where nothing else said it and it is not a grade's: a student placed from records or a
    diagnostic (`init_state(prior=)`, `place`, a night's `--placement` table) keeps those words
    after their first answer, on every request and night (a trial found a second night's
    students all ''); a grade placement is said only before the first answer, whatever grade
    the profile says today (a corrected or a new year's grade)."""
    keep = (said == "") & (recorded != "")
    if not keep.any():  # nothing recorded, or every student's words said already
        return said
    keep[keep] = ~from_a_grade(recorded[keep])
    return np.where(keep, recorded, said)


def _placed_source(profile: LearnerProfile, placement: str | Placement) -> str:
    """Where a student the state holds was started from: a given placement that covers them
    (its own words), else their grade."""
    if isinstance(placement, Placement):
        source = placement.source_of(profile.student_id)
        if source is not None:
            return source
    return grade_source(profile)


def _propagated(
    catalog: Catalog,
    mastery: np.ndarray,
    p_correct: np.ndarray,
    n_responses: np.ndarray,
    raise_by: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Mastery with graph evidence (an answered dependent raising a never-answered skill by
    `raise_by`, `PolicyConfig.graph_raise`), and P(correct) moved with it (at the default slip
    and guess's slope) where propagation changed a skill's mastery."""
    moved = propagate(catalog, mastery, np.asarray(n_responses) > 0, raise_by)
    delta = moved - mastery
    delta[np.isnan(delta)] = 0.0
    slope = 1.0 - DEFAULT_SLIP - DEFAULT_GUESS
    # clipped to [0.01, 0.99] (np.clip's dispatch costs more than the two ufuncs on this path);
    # NaN (no P(correct)) stays NaN
    shifted = np.minimum(np.maximum(p_correct + slope * delta, 0.01), 0.99)
    return moved, np.where(delta != 0, shifted, p_correct)


__all__ = [
    "History",
    "ProfileCoverage",
    "align_skills",
    "batch_from_model",
    "check_profiles",
    "history_features",
    "to_days",
]
