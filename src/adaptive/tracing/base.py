"""The one interface every knowledge-tracing model honours.

Conventions (scikit-learn's): `__init__` only stores hyperparameters; `fit(log)` learns and returns
self; learned attributes end in `_`. Every model additionally keeps an *online state* per student:

    state = model.init_state(["s1", "s2"])          # or init_state(ids, prior=placement)
    p = model.update(state, new_log_or_response)   # P(correct) made before each response, then learn
    m = model.mastery(state)                        # (n_students, n_skills) aligned with model.skills_
    m1 = model.mastery(state, rows=state.rows(["s1"]))   # only the rows asked for: constant cost

Placement (`adaptive.placement`): `init_state(ids, prior=placement)` or `place(state, placement)`
starts students from a prior (their grade, earlier records, a diagnostic) instead of the fitted
population prior. BKT sets P(known) exactly; every other model blends the placed mastery of a
skill with its own estimate; the placement's weight is `placement_decay` ** (answers on the
skill), so it decides an untouched skill and the student's own answers take over within a few.

Concurrency: `update`, `place` and `mastery` hold the state's lock, so threads may share one
state (each call is atomic; calls for different students may interleave in any order, and the
result equals some serial order of them).

Subclasses implement `_initial_row`, `_update`, `_mastery` (and optionally `_skill_proba` and
`_p_correct_from_mastery`); the public methods here add placement, row selection and locking.
Models whose mastery is traced apart from their predictions (logistic and deep models: a latent
BKT, `adaptive.tracing.calibration`) add its arrays with `_mastery_row` and keep them current in
`_update_mastery` / `_update_mastery_one`, which every update calls after `_update`.

Time order: a student's answers are traced in the order `update` receives them (a `ResponseLog`
sorts each student's answers by time). An answer dated before one already absorbed for the same
student (a device that synced days late) is still absorbed, and `update` says so with a
`LateAnswerWarning` (its `students` attribute names them; the message does not, as it may reach a
log); `restart(state, ids)` then `update(state, <their whole history>)` traces them again in time
order, as the nightly job rebuilds a night whose log changed before its snapshot.

`predict_proba(log)` and replaying `update` response by response must agree: both give, for every
response, P(correct) from that student's earlier responses only.

Artifacts: `save(dir)` writes `model.json` (class, hyperparameters, fitted scalars and the
training log's `learning_curve_`, sha256 of each other file, and a `sha256` of its own canonical
content: `adaptive.files.sealed_json`),
`arrays.npz` (no pickle) and any further files a model adds (deep models: their weights as
`weights.safetensors`). `load(dir)` verifies every checksum, model.json's own included, before
parsing, so a missing, truncated or altered file (a changed hyperparameter, two skill ids swapped)
raises `ArtifactError`, never executes code. Artifacts of format 1 (before model.json was sealed)
cannot be verified and are refused with a message saying so: retrain them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import io
import json
import threading
import time
import warnings
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.curriculum.catalog import CatalogRecord
from adaptive.data.codes import (
    KnownIds,
    check_many_ids,
    check_unique_ids,
    id_list,
    lookup_codes,
    match_words,
    reads_as_known,
)
from adaptive.data.log import Response, ResponseLog
from adaptive.errors import (
    ArgumentError,
    ArtifactError,
    ConfigError,
    CoverageWarning,
    FutureAnswerWarning,
    KeywordChecked,
    LateAnswerWarning,
    NotFittedError,
    PlacementWarning,
    RepeatedAnswerWarning,
    StateWarning,
    UnknownStudentsError,
    check_keywords,
    closest_name,
    counted,
    expect_type,
    passed_positions,
    verb,
)
from adaptive.files import (
    atomic_write_bytes,
    canonical_json,
    hash_arrays,
    make_folder,
    read_sealed_json,
    sealed_json,
)
from adaptive.placement.calibrate import answer_model, fit_start_table
from adaptive.placement.level import LevelFit, check_level
from adaptive.placement.prior import (
    GradeTable,
    Placement,
    expect_placement,
    on_skills,
    skill_positions,
)
from adaptive.tracing.leakage import TrainedStudents
from adaptive.tracing.learning_curve import LearningCurve, learning_curve

#: The formats of model.json: 2, it carries a checksum of its own content; 3, its
#: `fitted.curriculum_level` carries the grade table its check read (`LevelFit.grade_table`),
#: which code of format 2 refused as an unknown key; 4, it also carries where the district's
#: students start (`LevelFit.start`, read wherever a model is trained with the students'
#: grades), which code of format 3 refuses: upgrade the serving fleet before training with
#: this version. A model is written in the oldest format that holds it
#: (`KnowledgeTracer.format_version`: a model without them stays readable by a serving fleet
#: not upgraded yet); a version reads every format from
#: `OLDEST_READABLE_FORMAT` to its own `FORMAT_VERSION` (a format-2 model's level reads with
#: the serving policy's table, as it did) and names a newer one as newer: upgrade to read it.
FORMAT_VERSION = 4
OLDEST_READABLE_FORMAT = 2
#: The key of model.json's `fitted` holding `KnowledgeTracer.learning_curve_` (absent in a model
#: saved before it was kept: it loads as not measured).
LEARNING_CURVE = "learning_curve"
#: The key of model.json's `fitted` holding `KnowledgeTracer.curriculum_level_` (absent: not
#: measured).
CURRICULUM_LEVEL = "curriculum_level"
#: The key of model.json holding `KnowledgeTracer.training_catalog_` (absent: not recorded).
#: Beside `fitted`, not in it: a model that has one stays readable by code that predates it.
TRAINING_CATALOG = "training_catalog"
ARRAYS_FILE = "arrays.npz"
MODEL_FILE = "model.json"
#: State arrays kept by the base class for models without exact placement.
PLACEMENT = "placement"  # (n, S) float32 placed P(mastery), NaN = not placed
EVIDENCE = "evidence"  # (n, S) int32 responses absorbed per skill
#: State arrays of every model: the student's answers the model did not expect, for `ability`.
RESIDUAL = "ability_residual"  # (n,) sum of (correct - predicted P(correct))
INFORMATION = "ability_information"  # (n,) sum of P (1 - P)
#: State array of every model: the time of the latest dated answer absorbed (int64 ns since the
#: epoch, UTC; 0 = none yet), so an answer dated before it is noticed (`LateAnswerWarning`).
LAST_ANSWER = "last_answer"
#: State arrays of every model: a ring of digests of the student's latest `RECENT_ANSWERS`
#: answers absorbed one at a time (`answer_key`; 0 = none), the P(correct) `update` returned
#: for each, and the slot the next one takes, so an app's retry of any of them (answers A, B,
#: then A again: a request that timed out after B arrived) is recognized
#: (`RepeatedAnswerWarning`) and answered alike instead of being absorbed twice. A fixed width
#: per student: the check costs the same however many answers a student gave.
RECENT_ANSWERS = 8
RECENT_KEYS = "recent_answer_keys"  # (n, RECENT_ANSWERS) int64
RECENT_P = "recent_answer_p"  # (n, RECENT_ANSWERS) float64
RECENT_NEXT = "recent_answer_next"  # (n,) int8: the slot of the next answer
#: What a state saved before the ring kept instead: the latest answer's digest and P(correct).
#: Read once into the ring's first slot (`_recent_answers`), so its retry is still recognized.
LAST_KEY = "last_answer_key"
LAST_P = "last_answer_p"
#: State array of every model: where each student was placed from, as a code into the state's
#: `sources` ("placed from grade 4", "placed by diagnostic (15 questions)"); -1 = not placed.
#: A recommendation says it, from the state itself: an app keeps the state, not the placement.
PLACED_FROM = "placed_from"
#: State array of every model: the grade a student's grade-level values came from (NaN: none, or
#: not recorded), so a grade corrected later in the profile re-places them, records or not
#: (`adaptive.placement.prior.place_regraded`).
PLACED_GRADE = "placed_grade"
#: State array of every model: which skills' placed values came from a grade (one bit per
#: skill, `np.packbits` by row), so a grade corrected later places those again and leaves a
#: student's records as they are, given again or not (`place_regraded`).
PLACED_BY_GRADE = "placed_by_grade"
#: The value of a new (or restarted) student's row in the arrays the base class keeps (0 else).
BASE_ROW: dict[str, float] = {PLACEMENT: np.nan, PLACED_FROM: -1, PLACED_GRADE: np.nan}
#: Where a student of `KnowledgeTracer.carry_state` was placed from, unless told otherwise.
CARRIED_SOURCE = "carried from the earlier model"


@dataclass(eq=False)
class TracingState:
    """Per-student online state: named arrays whose first axis is the student.

    `students[i]` owns row `i` of every array. Plain arrays, so a snapshot is one `.npz` file
    (`save` / `load`), or its bytes (`to_bytes` / `from_bytes`: a vendor's per-student store);
    `take` copies students out into a state of their own, `put` writes them back.
    `skills` are the skills of the model that made it, in the order of its per-skill columns,
    and `model` the kind of that model (its registered name: "bkt", "best-lr", "dkt", ...;
    None for either: not recorded, as in a snapshot saved before they were kept): a model
    refuses a state made for other skills, or by another kind of model (whose arrays mean
    other things), rather than read it wrongly. `model_digest` is the fitted model's own
    (`KnowledgeTracer.fitted_digest`; None: not recorded, a state saved before it was kept): a
    retrained model of the same kind and skills reads the state with a `StateWarning`.
    """

    students: list[str]
    arrays: dict[str, np.ndarray]
    skills: tuple[str, ...] | None = None
    model: str | None = None
    sources: list[str] = field(default_factory=list)  # the texts `PLACED_FROM` codes point to
    model_digest: str | None = None
    _rows: dict[str, int] = field(default_factory=dict, repr=False)
    _spare: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    #: The (made by, used by) digests a `StateWarning` was given for (`put`: this state's and
    #: the part's): said once per state.
    _digest_said: tuple[str, str] | None = field(default=None, repr=False)
    #: The students' ids by how they read, for `rows`' hint (`_known_ids`): read at the first
    #: refusal, then each student `add_students` adds alone.
    _known: KnownIds | None = field(default=None, init=False, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rows = {s: i for i, s in enumerate(self.students)}

    def __len__(self) -> int:
        return len(self.students)

    def row(self, student_id: str) -> int | None:
        """Row of one student id (read as `Response` reads it: 123 is "123", trimmed), or None."""
        found = self._rows.get(student_id)
        return found if found is not None else self._rows.get(str(student_id).strip())

    def rows(
        self, student_ids: Iterable[str], *, missing: int | Literal["raise"] = "raise"
    ) -> np.ndarray:
        """Row of each student id. Ids are read as `Response` and the file readers read them
        (123 is the student "123", " 123" too); the ids held as given cost one look-up, only
        the others are read again.

        An id the state does not hold is one `UnknownStudentsError` saying which, by its
        position in `student_ids` (its `positions` holds them all; by default: a -1 row would
        index the last student of any array without a word), or, with `missing=-1`, gets that
        row (what the library's own callers test for: a new student to place or add)."""
        if missing != -1:
            check_missing(missing)
        check_many_ids(student_ids)
        ids = list(student_ids)
        rows = lookup_codes(self._rows, ids)
        unknown = np.flatnonzero(rows < 0)
        if len(unknown):
            read = id_list([ids[i] for i in unknown])
            rows[unknown] = lookup_codes(self._rows, read)
            for i, text in zip(unknown.tolist(), read, strict=True):
                ids[i] = text
            unknown = np.flatnonzero(rows < 0)
        if len(unknown) and missing == "raise":
            # whether the first reads as a held id (case, lost leading zeros), as a district's
            # request says it (`check_students_known`): one look-up in the state's ids by how
            # they read, built at the first refusal and kept up to date by `add_students`
            matches = reads_as_known(self._known_ids(), ids, unknown.tolist())
            raise UnknownStudentsError(
                unknown_students_message(unknown.tolist(), len(ids), len(self))
                + match_words(ids, matches),
                unknown,
                matches,
            )
        if len(unknown) and missing != -1:
            rows[unknown] = missing
        return rows

    def new_ids_read_as_held(
        self, student_ids: Sequence[str], every: bool = False
    ) -> tuple[list[str], dict[int, str]]:
        """(the ids of `student_ids` the state does not hold, each once; {position among them:
        the held id it reads as}, `reads_as_known`: another case, dropped zeros, look-alike
        characters), for the first new id, or with `every` for each of them (one look-up
        each: a placement's lost zeros are rarely on its first student). The look-up of held
        ids is built at its first use (or by `reserve`) and kept up to date by
        `add_students`: an answer of a held student costs one dict look-up, and only a new
        student's the look-up of how their id reads."""
        new = [s for s in dict.fromkeys(student_ids) if s not in self._rows]
        if not new or not self.students:
            return new, {}
        known = self._known_ids()
        if every:
            return new, {i: m for i, m in enumerate(map(known.reads_as, new)) if m is not None}
        return new, reads_as_known(known, new, list(range(len(new))))

    def _known_ids(self) -> KnownIds:
        """The state's student ids by how they read (`KnownIds`), for `rows`' hint: read once
        per state, at the first refusal, and kept up to date by `add_students` (a refused
        request then costs a look-up, however many students were added since); read again
        only where `students` was changed by hand (another count)."""
        with self.lock:
            if self._known is None or self._known.count != len(self.students):
                self._known = KnownIds(self.students)
            return self._known

    def rows_adding(self, student_ids: list[str], initial: dict[str, np.ndarray]) -> np.ndarray:
        """Row of each student id, adding the students without state first (`initial` as in
        `add_students`): one dictionary pass when every student is known, as in a nightly
        update or a chunked replay."""
        with self.lock:
            rows = self.rows(student_ids, missing=-1)
            missing = np.flatnonzero(rows < 0)
            if len(missing):
                new = [student_ids[i] for i in missing.tolist()]
                first = len(self.students)
                self.add_students(new, initial)
                if len(self.students) - first == len(new):  # no id twice: rows in that order
                    rows[missing] = np.arange(first, len(self.students))
                else:
                    rows[missing] = self.rows(new, missing="raise")
            return rows

    def add_students(self, student_ids: Iterable[str], initial: dict[str, np.ndarray]) -> None:
        """Append rows for new students; `initial[name]` is one row's initial value.

        Arrays not named in `initial` (those the base class keeps) get 0, or `BASE_ROW`'s
        value (the placement: NaN, not placed; its source: -1). Holds the state's lock: growth is atomic. Each array is a view
        of a buffer with spare rows, so adding one student to a large state copies nothing most
        of the time: a vendor's first answer of a new student does not cost more as the
        district grows.
        """
        with self.lock:
            known = self._rows
            new = [s for s in dict.fromkeys(student_ids) if s not in known]
            if not new:
                return
            n_old, n_new = len(self.students), len(new)
            for name, current in self.arrays.items():
                row = initial.get(name)
                if row is None:
                    row = BASE_ROW.get(name, 0)
                grown = self._grown(name, current, n_old + n_new)
                grown[n_old:] = row
                self.arrays[name] = grown
            known.update(zip(new, range(n_old, n_old + n_new), strict=True))
            self.students.extend(new)
            if self._known is not None:
                self._known.add(new)

    def reserve(self, capacity: int) -> None:
        """Make room for `capacity` students in every array now, so that students added later,
        up to that many in all, copy nothing.

        The state grows into spare rows (an eighth of its size), and when they run out the next
        new student's answer copies every array: at 400,000 students, one request in ~50,000
        new ones stalls for seconds. A vendor that expects new students calls this at start-up
        or in a quiet hour (e.g. `state.reserve(len(state) + 20_000)`), off the request path.
        Values and rows are unchanged; a capacity at or below the current size does nothing.
        The held ids' look-up by how they read (`new_ids_read_as_held`, which `update` asks of
        a new student's id) is built now too, off the request path (about a second at 400,000
        students)."""
        with self.lock:
            n = len(self.students)
            if capacity <= n:
                return
            self._known_ids()
            for name, current in self.arrays.items():
                spare = self._spare.get(name)
                if spare is not None and current.base is spare and len(spare) >= capacity:
                    continue
                spare = np.empty((capacity, *current.shape[1:]), dtype=current.dtype)
                spare[:n] = current
                self._spare[name] = spare
                self.arrays[name] = spare[:n]

    def _grown(self, name: str, current: np.ndarray, n: int) -> np.ndarray:
        """`current` (the array's first rows) extended to `n` rows, in its spare buffer when
        it has room, else in a new buffer with an eighth of its rows (at least 64) to spare;
        none for an empty state filled at once (a first night holds no more than it needs).
        The new rows are not set."""
        spare = self._spare.get(name)
        if spare is not None and current.base is spare and len(spare) >= n:
            return spare[:n]
        room = max(64, len(current) // 8) if len(current) else 0
        spare = np.empty((n + room, *current.shape[1:]), dtype=current.dtype)
        spare[: len(current)] = current
        self._spare[name] = spare
        return spare[:n]

    def record_placement(
        self, rows: np.ndarray, sources: Sequence[str], grades: np.ndarray | None = None
    ) -> None:
        """Record where the students of `rows` were placed from (one text per row), so that
        their recommendations can say it from the state alone (`placed_from`), and the grade
        their grade-level values came from (`grades`; NaN or None: no grade placed them, as a
        diagnostic's placement; `placed_grade`)."""
        if not len(rows):
            return
        with self.lock:
            placed_grade = self.ensure_array(PLACED_GRADE, np.float32(np.nan))
            placed_grade[rows] = np.nan if grades is None else grades
            texts, inverse = np.unique(np.asarray(sources, dtype=np.str_), return_inverse=True)
            known = {text: code for code, text in enumerate(self.sources)}
            for text in texts.tolist():
                if text not in known:
                    known[text] = len(self.sources)
                    self.sources.append(text)
            codes = np.array([known[t] for t in texts.tolist()], dtype=np.int32)[inverse]
            placed = self.ensure_array(PLACED_FROM, np.int32(-1))
            placed[rows] = codes

    def placed_from(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows),) where each student was placed from ("" where the state does not say:
        not placed, or a state saved before sources were kept)."""
        out = np.full(len(rows), "", dtype=object)
        codes = self.arrays.get(PLACED_FROM)
        if codes is None or not self.sources or not len(rows):
            return out
        code = codes[rows]
        said = (code >= 0) & (code < len(self.sources))
        out[said] = np.asarray(self.sources, dtype=object)[code[said]]
        return out

    def record_grade_cells(
        self, rows: np.ndarray, placed: np.ndarray, by_grade: np.ndarray
    ) -> None:
        """Record, for the students of `rows`, which skills' placed values came from a grade:
        `by_grade` ((len(rows), skills) bool) where the placement just given (valued where
        `placed`) took them from one; skills it gave no value keep what they had."""
        if not len(rows):
            return
        with self.lock:
            width = (placed.shape[1] + 7) // 8
            bits = self.ensure_array(PLACED_BY_GRADE, np.zeros(width, np.uint8))
            before = np.unpackbits(bits[rows].view(np.uint8), axis=1, count=placed.shape[1])
            now = (before.view(bool) & ~placed) | by_grade
            bits[rows] = np.packbits(now, axis=1).view(bits.dtype)

    def grade_cells(self, rows: np.ndarray, n_skills: int) -> np.ndarray | None:
        """(len(rows), n_skills) True where a student's placed value came from a grade
        (`record_grade_cells`); None for a state saved before they were kept."""
        bits = self.arrays.get(PLACED_BY_GRADE)
        if bits is None:
            return None
        return np.unpackbits(bits[rows].view(np.uint8), axis=1, count=n_skills).view(bool)

    def placed_grade(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows),) the grade each student's grade-level values came from; NaN where none
        or not recorded (a state saved before it was kept: `placed_from`'s words say it)."""
        grades = self.arrays.get(PLACED_GRADE)
        if grades is None or not len(rows):
            return np.full(len(rows), np.nan)
        return grades[rows].astype(np.float64)

    def latest_answer_days(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows),) the time of each student's latest dated answer absorbed (`LAST_ANSWER`),
        as float days since the Unix epoch (the policy's clock); NaN where none yet. A batch
        built from the state alone carries it, so a request dated before it is noticed."""
        last = self.arrays.get(LAST_ANSWER)
        if last is None or not len(rows):
            return np.full(len(rows), np.nan)
        ns = last[rows]
        return np.where(ns != 0, ns / 86_400e9, np.nan)

    def ensure_array(self, name: str, row: np.ndarray) -> np.ndarray:
        """The array `name`, created with every row equal to `row` when the state lacks it."""
        with self.lock:
            if name not in self.arrays:
                self.arrays[name] = np.tile(row, (len(self.students), *([1] * np.ndim(row))))
            return self.arrays[name]

    def take(self, student_ids: Iterable[str]) -> TracingState:
        """A new state holding only these students: copies of their rows, with this state's
        skills, model and the placement sources their rows name. One student's state taken out
        of a district's (`district.take([sid]).to_bytes()`) for a per-student store; `put`
        writes it back. An id this state lacks is an `UnknownStudentsError`."""
        ids = id_list(student_ids)
        check_unique_ids(ids)
        with self.lock:
            rows = self.rows(ids)
            arrays = {name: values[rows] for name, values in self.arrays.items()}
            sources = _used_sources(arrays, self.sources)
            return TracingState(
                students=[self.students[r] for r in rows.tolist()],
                arrays=arrays,
                skills=self.skills,
                model=self.model,
                sources=sources,
                model_digest=self.model_digest,
            )

    def put(self, part: TracingState) -> None:
        """Write the rows of `part`'s students into this state, adding the students it lacks:
        a student's state back from a per-student store into a district's (`take`'s inverse).
        `part` must come from the same kind of model and skills (a `ConfigError` otherwise, as
        a model refuses such a state). A part made by another fitted model of that kind and
        skills (a retrained champion updated it) is written with one `StateWarning` per state
        and pair of models, as `update` reads such a state: this state then records the part's
        model where the part replaced every row, else keeps its own (rows of two models sit in
        it). An array one of them lacks (a state saved before it was kept) reads as a new
        student's value there. Copies the part under its lock, then writes it under this
        state's: one moment of the part, even while it is updated."""
        if not isinstance(part, TracingState):
            raise TypeError(f"put: expected a TracingState, got a {type(part).__name__}")
        _check_same_origin(self, part)
        # a copy of its moment, arrays included (an update of the part running meanwhile writes
        # into them: cheap for a one-student part), so the two locks are never held together
        with part.lock:
            students = list(part.students)
            arrays = {name: values.copy() for name, values in part.arrays.items()}
            codes, sources = arrays.pop(PLACED_FROM, None), np.asarray(part.sources, np.str_)
            made_by = part.model_digest
        with self.lock:
            rows = self.rows_adding(students, {})
            for name, values in arrays.items():
                if name not in self.arrays:
                    self.ensure_array(name, _new_row_value(name, values))
            for name, values in self.arrays.items():
                given = arrays.get(name)
                values[rows] = _new_row_value(name, values) if given is None else given
            if codes is not None and len(sources):
                placed = (codes >= 0) & (codes < len(sources))
                grades = arrays.get(PLACED_GRADE)
                self.record_placement(
                    rows[placed], sources[codes[placed]], None if grades is None else grades[placed]
                )
            self._note_put_digest(made_by, every_row=len(rows) == len(self.students))

    def _note_put_digest(self, given: str | None, *, every_row: bool) -> None:
        """After `put` wrote a part made by the model `given` (None: not recorded), this state
        records that model where the part replaced every row; a part of another fitted model
        than this state's is said once per state and pair of models (`StateWarning`), as a
        retrained champion's update of a per-student state is no mistake to refuse."""
        made = self.model_digest
        if given is None or given == made:
            return
        if every_row:
            self.model_digest = given
        if made is None or self._digest_said == (made, given):
            return
        self._digest_said = (made, given)
        message = _put_digest_message(made, given, every_row)
        warnings.warn(StateWarning(message, made, given), stacklevel=3)

    def save(self, path: str | Path) -> None:
        """Write the state atomically as `.npz` (student ids as a unicode array, no pickle).

        The snapshot is taken under the state's lock, so a save while requests run (`update`
        adding students, `place`) holds one consistent moment, never half of a new student.
        Stored uncompressed: deflating a district's arrays would cost the night seconds; a
        per-student store takes `to_bytes`, in the same format, deflated."""
        if not isinstance(path, str | Path):
            raise TypeError(
                f"save: expected a file path, got a {type(path).__name__}; for the state as "
                "bytes (a per-student store: Redis, a database row), state.to_bytes() and "
                "TracingState.from_bytes(data)"
            )
        atomic_write_bytes(Path(path), self._npz_bytes(compress=False))

    def to_bytes(self) -> bytes:
        """The state as bytes in `save`'s format (`.npz`, no pickle, the sha256 of its entries),
        deflated: what a vendor keeps per student in their own store between requests
        (`TracingState.from_bytes` reads it back). Taken under the state's lock, as `save`."""
        return self._npz_bytes(compress=True)

    def _npz_bytes(self, *, compress: bool) -> bytes:
        """The `.npz` bytes of `save` and `to_bytes`, snapshotted under the state's lock."""
        buf = io.BytesIO()
        with self.lock:
            payload = {f"a_{k}": v for k, v in self.arrays.items()}
            payload["students"] = np.asarray(self.students, dtype=np.str_)
            if self.skills is not None:
                payload["skills"] = np.asarray(self.skills, dtype=np.str_)
            if self.model is not None:
                payload["model"] = np.asarray(self.model, dtype=np.str_)
            if self.sources:
                payload["sources"] = np.asarray(self.sources, dtype=np.str_)
            if self.model_digest is not None:
                payload[MODEL_DIGEST] = np.asarray(self.model_digest, dtype=np.str_)
            payload[STATE_CHECKSUM] = np.asarray(_state_sha256(payload), dtype=np.str_)
            (np.savez_compressed if compress else np.savez)(buf, **payload)
        return buf.getvalue()

    @classmethod
    def load(cls, path: str | Path) -> TracingState:
        """The state `save` wrote; a file altered or damaged since (its arrays' sha256 is not
        the one saved with them) or not a state is an `ArtifactError` naming it. A state saved
        before the checksum was kept loads unchecked."""
        try:
            blob = Path(path).read_bytes()
        except OSError as exc:
            raise ArtifactError(f"{path}: not a readable state snapshot ({exc})") from exc
        return cls._from_npz(blob, str(path))

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> TracingState:
        """The state `to_bytes` (or `save`) wrote. Bytes truncated or altered since (a store
        that cut the value, an edited byte) are one `ArtifactError`, never read wrongly; the
        bytes are never unpickled."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(
                f"from_bytes: expected the bytes of state.to_bytes(), got a {type(data).__name__}"
            )
        return cls._from_npz(bytes(data), "state bytes")

    @classmethod
    def _from_npz(cls, blob: bytes, name: str) -> TracingState:
        """The state held in `.npz` bytes, checked (`name` says where they came from). Bytes
        that are no zip archive are refused before numpy reads them (it would take them for a
        pickle, and its error suggests unpickling them)."""
        if not blob.startswith(b"PK"):
            raise ArtifactError(
                f"{name}: not a state snapshot (expected the .npz bytes that state.save or "
                "state.to_bytes writes); truncated or altered?"
            )
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as data:
                payload = {k: data[k] for k in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ArtifactError(
                f"{name}: not a readable state snapshot ({exc}): truncated or damaged since it "
                "was saved? Restore it from a backup, or rebuild it (update from the students' "
                "responses)"
            ) from exc
        saved = str(payload.pop(STATE_CHECKSUM)) if STATE_CHECKSUM in payload else None
        if saved is not None and saved != _state_sha256(payload):
            raise ArtifactError(
                f"{name}: checksum mismatch: the state was altered or damaged since it "
                "was saved; restore it from a backup, or rebuild it (update from the "
                "students' responses)"
            )
        if "students" not in payload:
            raise ArtifactError(f"{name}: not a readable state snapshot (no students)")
        arrays = {k[2:]: v for k, v in payload.items() if k.startswith("a_")}
        students = [str(s) for s in payload["students"]]
        torn = sorted(k for k, v in arrays.items() if v.ndim == 0 or len(v) != len(students))
        if torn:
            raise ArtifactError(
                f"{name}: not a consistent state snapshot: {len(students):,} students, but "
                f"array(s) {', '.join(torn)} hold another number of rows"
            )
        return cls(
            students=students,
            arrays=arrays,
            skills=tuple(str(s) for s in payload["skills"]) if "skills" in payload else None,
            model=str(payload["model"]) if "model" in payload else None,
            sources=[str(t) for t in payload["sources"]] if "sources" in payload else [],
            model_digest=str(payload[MODEL_DIGEST]) if MODEL_DIGEST in payload else None,
        )


def _used_sources(arrays: dict[str, np.ndarray], sources: list[str]) -> list[str]:
    """The placement sources the rows of `arrays` name, their `PLACED_FROM` codes renumbered
    into that list in place (a student taken from a district carries its own source only)."""
    codes = arrays.get(PLACED_FROM)
    if codes is None or not sources:
        return []
    used, inverse = np.unique(codes, return_inverse=True)
    said = used >= 0
    renumbered = np.where(said, np.cumsum(said) - 1, -1)
    arrays[PLACED_FROM] = renumbered[inverse].reshape(codes.shape).astype(codes.dtype)
    return [sources[c] for c in used[said].tolist()]


def _new_row_value(name: str, values: np.ndarray) -> np.ndarray:
    """A new student's value of a base-class array (`BASE_ROW`, else 0), one row's shape."""
    return np.full(values.shape[1:], BASE_ROW.get(name, 0), dtype=values.dtype)


def _check_same_origin(state: TracingState, part: TracingState) -> None:
    """`put`'s check: both states come from the same kind of model and skills (where both
    recorded them), else their rows mean other things."""
    if state.model is not None and part.model is not None and state.model != part.model:
        raise ConfigError(
            f"put: the state given was made by a {part.model!r} model, this one by a "
            f"{state.model!r} model: their arrays hold other values"
        )
    if state.skills is not None and part.skills is not None and state.skills != part.skills:
        raise ConfigError(
            f"put: the state given traces {len(part.skills)} skills, this one "
            f"{len(state.skills)} ({_skills_difference(part.skills, state.skills)}): its "
            "per-skill values would be read as other skills"
        )


def _put_digest_message(made: str, given: str, every_row: bool) -> str:
    """`put`'s `StateWarning` for a part made by the fitted model `given`, written into a state
    of the model `made` (the same kind and skills: a retrained champion's)."""
    then = (
        "it replaced every row of this state, which records that model from now on"
        if every_row
        else "rows of two models now sit in this state, which still records its own model"
    )
    return (
        f"put: the state given was made by another fitted model ({given[:SHORT_DIGEST]}) than "
        f"this one ({made[:SHORT_DIGEST]}), retrained on the same skills: its mastery was "
        f"computed under that model's parameters, and was written as asked; {then}. "
        f"{REBUILD_ADVICE}"
    )


#: The entry of a saved state holding the sha256 of its other entries (`_state_sha256`).
STATE_CHECKSUM = "sha256"
#: The entry of a saved state holding `TracingState.model_digest` (absent in a state saved
#: before it was kept, or made by no fitted model: it loads as None, origin unknown).
MODEL_DIGEST = "model_digest"
#: How many hex digits of a model digest a message shows.
SHORT_DIGEST = 12
#: What a `StateWarning` says to do about a state made by another fitted model.
REBUILD_ADVICE = (
    "The nightly job rebuilds its states for a new champion; to do the same, "
    "`model.restart(state, ids, prior=...)` then `model.update(state, <their answers>)`, or "
    "accept the drift, which fades on the skills students answer again."
)


def _state_sha256(payload: dict[str, np.ndarray]) -> str:
    """sha256 over a saved state's entries (`files.hash_arrays`)."""
    digest = hashlib.sha256()
    hash_arrays(digest, payload)
    return digest.hexdigest()


def require_log(log: object, call: str) -> None:
    """A model's `fit` / `predict_proba` take a `ResponseLog`: anything else is one TypeError
    that says how to make one (a DataFrame ended in an AttributeError deep in the model)."""
    if not isinstance(log, ResponseLog):
        raise TypeError(
            f"{call}: expected a ResponseLog, got a {type(log).__name__}; a DataFrame in the "
            "canonical columns: ResponseLog.from_frame(frame); a file or dataset: "
            "adaptive.data.load_log(path_or_name)"
        )


def require_responses(log: ResponseLog, model: str) -> None:
    """A model's `fit` needs at least one response: an empty log (a filter that kept no one,
    a header-only export) is one `ConfigError` saying so, instead of an error from deep inside
    the fit. Every model's `fit` calls it."""
    if len(log) == 0:
        raise ConfigError(f"cannot fit {model} on an empty response log")


_UPDATE_TYPES = (
    "update(state, responses): got a {}; expected a ResponseLog, a Response, or a list of "
    "Response in the order they happened"
)


class KnowledgeTracer(KeywordChecked, ABC):
    """Abstract knowledge-tracing model. Subclasses set `name` and implement the abstract methods,
    and take their hyperparameters as keywords of their own `__init__` (a misspelt one is an
    `UnknownKeywordError` naming the one meant: `KeywordChecked`).

    Fitted attribute of every model, whatever its kind:

    learning_curve_ : `LearningCurve`. Whether learning in the training log is gradual: how
        P(correct) after a wrong answer rises with the practice count on the skill (slope, z,
        n answers; `adaptive.tracing.learning_curve`). Measured at the end of every `fit`
        (`_finish_fit`) and kept in the artifact; a model saved before it was kept
        loads as not measured (z NaN: not gradual). The policy holds a skill open for more
        practice where the z is high (`PolicyConfig.gradual_learning_z`).
    curriculum_level_ : `LevelFit`. Whether the district's knowledge follows the curriculum
        order (`check_curriculum_level`, on a training log with the students' grades; not
        measured until then, and in a model saved before it was kept). Where it does, the
        adaptive policy reads a student's never-answered skills from their first answers on
        others (`batch_from_model`).
    training_catalog_ : `CatalogRecord` or None. The catalog the model was trained with (its
        sha256 and ids; `record_catalog`, as `adaptive train --catalog` does), saved in
        model.json, so that the nightly job can refuse a catalog of another year; None until
        recorded (and after a refit).
    """

    name: ClassVar[str]

    @property
    def uses_items(self) -> bool:
        """Whether the fitted model reads each response's item id (item-level parameters or
        inputs): an item it was not fitted on then counts as new content. False (the default):
        it reads skills only, and an item id changes nothing it predicts."""
        return False

    #: Not measured (z NaN: not gradual) until `fit` or `load` sets the model's own; a model
    #: restored inside another model's artifact (its latent mastery's BKT) keeps this one.
    learning_curve_: LearningCurve = LearningCurve()
    curriculum_level_: LevelFit = LevelFit()
    training_catalog_: CatalogRecord | None = None
    #: The registered model and version this tracer was loaded from (`load_champion`,
    #: `load_version`), so that a caller can tell which version it serves (after a rollback,
    #: the earlier one); None for a tracer fitted here or loaded from a folder. Not saved
    #: with the model and not part of its `fitted_digest`: a copy is no registered version.
    registered_name: str | None = None
    registered_version: str | None = None
    #: The students of the last `fit`'s log (`TrainedStudents`: hashes of their ids, no id),
    #: read by the scoring methods to warn of a score on them (`LeakageWarning`). In memory
    #: only: not saved, not pickled, not in `fitted_digest`; None for a loaded model.
    _trained_students: TrainedStudents | None = None

    def check_curriculum_level(
        self,
        log: ResponseLog,
        catalog: Catalog,
        profiles: Mapping[str, LearnerProfile] | Sequence[LearnerProfile],
        grade_table: GradeTable | None = None,
        *,
        roster_warnings: bool = True,
        roster_day: str | None = None,
        year_start: str | None = None,
    ) -> LevelFit:
        """Read, on a training log and its students' profiles (their grades), where the
        district's students start and whether their knowledge follows the curriculum order
        (`adaptive.placement.level`); keep both with the model (`curriculum_level_`, saved with
        it) and return them. Where they start is the grade table fitted on the log's first
        answers (`LevelFit.start`: `adaptive.placement.calibrate`, each skill's guess and slip
        from the model where it has them), with which a policy without a table of its own
        places students without history (`placement_table`); the check reads the grade with
        `grade_table` where one is given (a policy file's), else with that one (read on the same
        first answers, so the grade alone is read at its best: the level must beat that). No
        first answer of a student with a grade: nothing read (`start` None, the default table).
        A roster that leaves many of the log's students out, or whose grades do not match what
        they answered first, is warned of unless `roster_warnings` is False (a caller whose
        roster names only the students it serves). A log of several school years is read at
        the grade each student was in when they answered, by the table's fit and the check
        alike (the profiles' grades are those of the school year of `roster_day`, the
        training's date, None: of the log's latest answer; a school year starts on
        `year_start`, "MM-DD", the district's growth norm's, None: the shipped one's;
        `years_before_roster`). A step of its own: `fit` reads answers only, and this
        needs the catalog's grades and the students'."""
        expect_type(log, ResponseLog, "log", "ResponseLog.from_frame(frame)")
        expect_type(catalog, Catalog, "catalog", "Catalog.from_json(path)")
        start = fit_start_table(
            catalog,
            log,
            profiles,
            answer_model(catalog, self),
            roster_warnings=roster_warnings,
            roster_day=roster_day,
            year_start=year_start,
        )
        read = start if start.read else None
        checked = check_level(
            catalog,
            log,
            profiles,
            grade_table or (read and read.table),
            roster_day=roster_day,
            year_start=year_start,
        )
        self.curriculum_level_ = dataclasses.replace(checked, start=read)
        return self.curriculum_level_

    def record_catalog(self, catalog: Catalog) -> CatalogRecord:
        """Keep, with the fitted model, the catalog it was trained with (`training_catalog_`:
        its sha256 and ids, saved in model.json and checksummed with it), which the nightly job
        compares with the catalog it is given (`batch.night_checks.check_training_catalog`)."""
        expect_type(catalog, Catalog, "catalog", "Catalog.from_json(path)")
        self.training_catalog_ = CatalogRecord.of(catalog)
        return self.training_catalog_

    # -- learning and batch prediction -----------------------------------------------------------
    @abstractmethod
    def fit(self, log: ResponseLog) -> Self:
        """Learn parameters from a response log; returns self. Every model's `fit` starts with
        `require_responses` and ends with `_finish_fit`."""

    def _finish_fit(self, log: ResponseLog) -> None:
        """The last step of every model's `fit`, the same whatever the model: measure whether
        learning in its training log is gradual (`learning_curve_`; a curriculum order measured
        before, `check_curriculum_level`, was another fit's, and is measured no more), and note
        the training students (`_trained_students`), so that scoring them warns."""
        self.learning_curve_ = learning_curve(log)
        self.curriculum_level_ = LevelFit()
        self.training_catalog_ = None
        self._trained_students = TrainedStudents.of(log)

    def _warn_trained_students(self, log: ResponseLog, call: str) -> None:
        """The `LeakageWarning` of a scoring method (`call`) given a log holding students this
        model was fitted on (counts only); nothing for a loaded model, which keeps no record.
        Called by the public method itself, so that the warning names the caller's line."""
        if self._trained_students is not None:
            self._trained_students.warn(log, call, stacklevel=4)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (and copied) without the training students' record: it stays in the memory
        of the process that fitted the model, as a saved model keeps none either."""
        state = self.__dict__.copy()
        state.pop("_trained_students", None)
        return state

    def predict_proba(self, log: ResponseLog, *, warn_untraced: bool = True) -> np.ndarray:
        """P(correct) for every row of `log`, using only that student's earlier rows.

        Rows on skills the model was not fitted on are predicted from its defaults (it has no
        parameters of theirs), and a `CoverageWarning` says so once per call, with how many rows
        and which skills (`untraced`): a researcher's trial saw `update` warn of them and
        `predict_proba` say nothing. `warn_untraced=False` is for a caller that counts them
        itself and says it once (cross-validation, for all its folds), as `update`'s.

        A log holding students this model was fitted on (answers at or before their last
        training answer) gives a `LeakageWarning` with their count: a metric of these
        predictions is optimistic; split by student (`adaptive.data.splits.train_test_split`)
        and score the test students. A loaded model keeps no record of them, and says nothing."""
        self._check_fitted()
        require_log(log, "predict_proba")
        if warn_untraced:
            self.untraced(log).warn(call="predict_proba", fitted=self._skill_code_map())
        self._warn_trained_students(log, "predict_proba")
        return self._predict_proba(log)

    @abstractmethod
    def _predict_proba(self, log: ResponseLog) -> np.ndarray:
        """`predict_proba` of the model, after its checks and warning: each model's own pass."""

    # -- online state ----------------------------------------------------------------------------
    #: The share of its weight a placed mastery keeps after each answer on the skill (models
    #: without exact placement; BKT places exactly): 1 before any answer, 0.3 after one, 0.09
    #: after two. A slower decay (a weight of 3 answers, tried first) kept a grade prior of 0.3
    #: above the evidence of 3-6 right answers, and the demo district's champion then called no
    #: skill mastered.
    placement_decay: ClassVar[float] = 0.3
    #: True when `_place` sets the model's own state (BKT); else placement is a blended overlay.
    exact_placement: ClassVar[bool] = False
    #: Pseudo-information of the ability prior (0 = typical student): how many fully uncertain
    #: answers (P = 0.5 contributes 0.25 each) it takes for a student's residuals to weigh as much.
    ability_prior_information: ClassVar[float] = 2.0

    @abstractmethod
    def _initial_row(self) -> dict[str, np.ndarray]:
        """One new student's state arrays (prior knowledge only)."""

    @abstractmethod
    def _update(
        self, state: TracingState, responses: ResponseLog | Response, rows: np.ndarray
    ) -> np.ndarray:
        """Absorb responses into `state`; P(correct) before each. `rows`: the state row of each
        of `responses.students` (of the one student of a `Response`), already added."""

    @abstractmethod
    def _mastery(self, state: TracingState, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_skills) the model's own P(mastery) of these state rows."""

    def _skill_proba(self, state: TracingState, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_skills) P(correct) on a typical item of each skill. Default: mastery."""
        return self._mastery(state, rows)

    def _p_correct_from_mastery(self, mastery: np.ndarray) -> np.ndarray:
        """P(correct) on a typical item of each skill given P(mastery). Default: identity."""
        return mastery

    def _mastery_row(self) -> dict[str, np.ndarray]:
        """State arrays of a new student kept for mastery apart from the model's own (logistic
        and deep models: a latent BKT, `adaptive.tracing.calibration`). Default: none."""
        return {}

    def _update_mastery(
        self, state: TracingState, responses: ResponseLog, rows: np.ndarray
    ) -> None:
        """Absorb a log into the arrays of `_mastery_row` after `_update`. Default: nothing."""
        return None

    def _update_mastery_one(self, state: TracingState, r: Response) -> None:
        """Absorb one response into the arrays of `_mastery_row`. Default: nothing."""
        return None

    def _state_row(self) -> dict[str, np.ndarray]:
        """Every state array of a new student: the model's own and those kept for mastery."""
        extra = self._mastery_row()
        return {**self._initial_row(), **extra} if extra else self._initial_row()

    def init_state(
        self, student_ids: Iterable[str] = (), prior: Placement | None = None
    ) -> TracingState:
        """A fresh state for these students: the fitted population prior, or `prior` (a
        `Placement`) for the students and skills it covers. The state holds `student_ids` only
        (a placement of the whole district does not fill a one-student state); with no ids, it
        holds the placement's students."""
        self._check_fitted()
        _check_placement(prior)
        ids = id_list(student_ids)
        check_unique_ids(ids)  # ["a1", "a1"] made one student without a word
        initial = self._state_row()
        state = TracingState(
            students=[],
            arrays={
                k: np.zeros((0, *np.shape(v)), np.asarray(v).dtype) for k, v in initial.items()
            },
            skills=self._skill_tuple(),
            model=self.name,
            model_digest=self.fitted_digest(),
        )
        if not self.exact_placement:
            n_skills = len(self.skills_)
            state.arrays[PLACEMENT] = np.zeros((0, n_skills), np.float32)
            state.arrays[EVIDENCE] = np.zeros((0, n_skills), np.int32)
        state.arrays[RESIDUAL] = np.zeros(0)
        state.arrays[INFORMATION] = np.zeros(0)
        state.arrays[LAST_ANSWER] = np.zeros(0, np.int64)
        state.arrays[RECENT_KEYS] = np.zeros((0, RECENT_ANSWERS), np.int64)
        state.arrays[RECENT_P] = np.zeros((0, RECENT_ANSWERS))
        state.arrays[RECENT_NEXT] = np.zeros(0, np.int8)
        state.arrays[PLACED_FROM] = np.zeros(0, np.int32)
        state.add_students(ids, initial)
        if prior is not None:
            if ids:
                _warn_not_placed(ids, prior)
                wanted = set(ids)
                outside = [s for s in prior.students if s not in wanted]
                _warn_placed_apart_from_held(state, outside, "init_state", "place nobody")
                prior = prior.subset([s for s in prior.students if s in wanted])
            self.place(state, prior)
        return state

    def place(self, state: TracingState, placement: Placement) -> None:
        """Start the placement's students from its mastery (students absent are added).

        Only skills the student has not answered yet are placed: evidence already absorbed is
        never overwritten. Skills the placement leaves NaN keep the population prior.
        """
        self._check_state(state)
        _check_placement(placement, "placement")
        skills = self._skill_tuple()
        placement = on_skills(placement, skills, "place")
        n = len(placement.students)
        partly, valued = np.zeros(n, bool), np.zeros(n, bool)
        with state.lock:
            if placement.grades is None:  # a grade's students are the roster's, checked
                _warn_placed_apart_from_held(
                    state, placement.students, "place", "place students of their own"
                )
            rows = state.rows_adding(list(placement.students), self._state_row())
            # a block of students at a time: a district's 400,000 placed at once held several
            # (students x skills) copies (a vendor's trial: 6.9 GB at peak for a 3 GB state)
            for start in range(0, n, PLACE_BLOCK):
                block = np.arange(start, min(start + PLACE_BLOCK, n))
                prior = placement.aligned(skills, block)
                has_value = ~np.isnan(prior)
                valued[block] = has_value.any(axis=1)  # a row of NaN placed nothing
                partly[block] = _partly_placed(has_value, placement)
                self._place(state, rows[block], prior)
                cells = placement.grade_cells(skills, block)
                state.record_grade_cells(rows[block], has_value, cells)
            grades = placement.grade_placed()[valued]
            state.record_placement(rows[valued], np.asarray(placement.sources)[valued], grades)
        _warn_partly_placed(partly, placement, len(skills))

    def restart(
        self, state: TracingState, student_ids: Iterable[str], prior: Placement | None = None
    ) -> None:
        """Start these students again as new: every state array of theirs back to a new
        student's (the fitted population prior), then `prior`'s placement for those of them it
        covers (students absent from the state are added). What they answered before is
        forgotten, so `update(state, <their whole history>)` afterwards traces it again in time
        order: after a `LateAnswerWarning`, restart its `students` and give their history.
        Other students' rows, and `prior`'s other students, are not touched."""
        self._check_state(state)
        _check_placement(prior)
        ids = id_list(student_ids)
        initial = self._state_row()
        with state.lock:
            rows = state.rows_adding(ids, initial)
            for name, values in state.arrays.items():
                row = initial.get(name)
                if row is None:  # the arrays the base class keeps
                    row = BASE_ROW.get(name, 0)
                values[rows] = row
            if prior is not None:
                wanted = set(ids)
                covered = prior.subset([s for s in prior.students if s in wanted])
                covered = on_skills(covered, self._skill_tuple(), "restart")
                placed = state.rows(list(covered.students))
                values = covered.aligned(self._skill_tuple())
                self._place(state, placed, values)
                every = np.arange(len(placed))
                cells = covered.grade_cells(self._skill_tuple(), every)
                state.record_grade_cells(placed, ~np.isnan(values), cells)
                valued = ~np.isnan(covered.mastery).all(axis=1)
                state.record_placement(
                    placed[valued],
                    np.asarray(covered.sources)[valued],
                    covered.grade_placed()[valued],
                )

    def carry_state(
        self,
        earlier: KnowledgeTracer,
        state: TracingState,
        prior: Placement | None = None,
        source: str = CARRIED_SOURCE,
    ) -> TracingState:
        """A new state of this model for every student of `state`, a state of the `earlier`
        model (last year's, of other skills or another kind), without replaying their history:
        a vendor keeps each student's last answers, not their year, and a state of other skills
        is refused (`_check_state`). Each student is placed from the earlier model's `mastery`
        on the skills both models trace (answered or not, its reading is the best evidence
        kept), then from `prior` (e.g. `grade_placement(catalog, profiles)`) on the skills the
        earlier model lacked (as `combine` would: the earlier reading first), the population
        prior where neither gives one. Their recommendations say `source`; the grade `prior`
        placed them from is kept where its values were used (`placed_grade`). What does not
        depend on the model is carried row for row: each student's latest answer's time and
        ring of recent answers, so the answers kept beside the state are known as absorbed
        (a request passing them as `log` is not warned of them; one sent again is a retry, not
        absorbed twice). The answers' surprise (`ability`) is the earlier model's, not
        carried. A block of students at a time (`PLACE_BLOCK`), as `place`: a district's
        (students x skills) values are never copied whole."""
        self._check_fitted()
        expect_type(earlier, KnowledgeTracer, "earlier", "KnowledgeTracer.load(directory)")
        earlier._check_state(state)
        _check_placement(prior)
        skills = self._skill_tuple()
        theirs = skill_positions(earlier._skill_tuple(), skills)
        mine = np.flatnonzero(theirs >= 0)
        if not len(mine):
            raise ConfigError(
                f"carry_state: the earlier model's {len(earlier.skills_):,} skills and this "
                f"model's {len(skills):,} have none in common: nothing to carry; start a new "
                "state with this model (`model.init_state(ids, prior=...)`)"
            )
        with state.lock:
            ids = list(state.students)
            carried = self.init_state(ids)
            from_prior = _PriorRows(prior, ids, skills, "carry_state")
            for start in range(0, len(ids), PLACE_BLOCK):
                block = np.arange(start, min(start + PLACE_BLOCK, len(ids)))
                values = np.full((len(block), len(skills)), np.nan)
                values[:, mine] = earlier.mastery(state, block)[:, theirs[mine]]
                by_grade = from_prior.fill(block, values)
                self._place(carried, block, values)
                carried.record_grade_cells(block, ~np.isnan(values), by_grade)
            carried.record_placement(
                np.arange(len(ids)), np.full(len(ids), source, dtype=object), from_prior.grades
            )
            _carry_answers(state, carried)
        return carried

    def is_placed(self, state: TracingState, rows: np.ndarray | None = None) -> np.ndarray:
        """(n,) True for the students started from a placement (`place`, `init_state(prior=)`)
        on at least one skill; False for those started from the population prior."""
        self._check_state(state)
        with state.lock:
            rows = all_rows(state, rows)
            return self._placed_rows(state, rows)

    def _placed_rows(self, state: TracingState, rows: np.ndarray) -> np.ndarray:
        """Default: some skill holds a placed value beside the model's state."""
        if PLACEMENT not in state.arrays:
            return np.zeros(len(rows), bool)
        return ~np.isnan(state.arrays[PLACEMENT][rows]).all(axis=1)

    def _place(self, state: TracingState, rows: np.ndarray, prior: np.ndarray) -> None:
        """Default placement: stored beside the model's state and blended in `mastery`."""
        n_skills = len(self.skills_)
        placed = state.ensure_array(PLACEMENT, np.full(n_skills, np.nan, np.float32))
        evidence = state.ensure_array(EVIDENCE, np.zeros(n_skills, np.int32))
        fresh = (evidence[rows] == 0) & ~np.isnan(prior)
        block = placed[rows]
        block[fresh] = prior[fresh]
        placed[rows] = block

    def update(
        self,
        state: TracingState,
        responses: ResponseLog | Response | Sequence[Response],
        *,
        warn_untraced: bool = True,
    ) -> np.ndarray:
        """Absorb responses (in time order) into `state` in place; unknown students are added.

        `responses` is a `ResponseLog`, one `Response`, or a list of `Response` in the order they
        happened (each absorbed as one event). Returns P(correct) predicted for each response
        just before it was absorbed. Answers on skills the model was not fitted on are not
        traced there and a `CoverageWarning` says so; `warn_untraced=False` is for a caller that
        counts them itself (`untraced`) and says it once, as the nightly job does per night.
        """
        self._check_state(state)
        state.model_digest = self.fitted_digest()  # traced by this model from now on
        if isinstance(responses, Response):  # the vendor's per-answer call: checked first
            if warn_untraced:
                self._warn_untraced_answer(responses)
                self._warn_item_case_slips((responses.item_id,))
            _warn_ahead_of_clock((responses,))
            _warn_new_students_read_as_held(state, (responses.student_id,))
            with state.lock:
                return np.array([self._absorb_one(state, responses)])
        if isinstance(responses, list | tuple):
            if not all(isinstance(r, Response) for r in responses):
                raise TypeError(_UPDATE_TYPES.format(type(responses).__name__ + " of other values"))
            for r in responses if warn_untraced else ():
                self._warn_untraced_answer(r)
            if warn_untraced:
                self._warn_item_case_slips([r.item_id for r in responses])
            _warn_ahead_of_clock(responses)
            _warn_new_students_read_as_held(state, [r.student_id for r in responses])
            with state.lock:
                return np.array([self._absorb_one(state, r) for r in responses], dtype=np.float64)
        if not isinstance(responses, ResponseLog):
            raise TypeError(_UPDATE_TYPES.format(type(responses).__name__))
        if warn_untraced:
            self.untraced(responses).warn(fitted=self._skill_code_map())
            self._warn_item_case_slips(pd.Index(responses.items, dtype=object))
        with state.lock:
            return self._absorb(state, responses)

    def _warn_untraced_answer(self, r: Response) -> None:
        """An answer on a skill the model was not fitted on cannot be traced (the model keeps no
        mastery for it): say so with a `CoverageWarning` naming the item and skill, never drop
        it without a word. One dictionary look-up per skill on the vendor's per-answer path."""
        codes = self._skill_code_map()
        for skill in r.skill_ids:
            if skill not in codes:
                unknown = tuple(s for s in r.skill_ids if s not in codes)
                Untraced(1, unknown).warn(f" (item {r.item_id!r})", stacklevel=4, fitted=codes)
                return

    def _warn_item_case_slips(self, item_ids: Sequence[object] | pd.Index) -> None:
        """Ids are case-sensitive, so an item the model was not fitted on may be new content
        (normal: nothing said) or a fitted item in another case ("ITEM01" for "item01": the
        caller's ids changed on the way, and the model takes it for one it never saw): a
        `CoverageWarning` names those, pointing at the caller of `update`. Only for a model that
        reads items (`uses_items`): to one that reads skills only, an item's case changes
        nothing. `item_ids`: the answers' items, or a log's item vocabulary (only those the
        model lacks are looked at, so the vendor's per-answer path stays a hash look-up)."""
        fitted = getattr(self, "items_", None)
        if fitted is None or not len(fitted) or not self.uses_items:
            return
        if isinstance(item_ids, pd.Index):  # a log's vocabulary: one vectorized look-up
            unknown = item_ids[~item_ids.isin(fitted)]
        else:  # a vendor's answers: a hash look-up each
            unknown = [item for item in item_ids if item not in fitted]
        if not len(unknown):
            return
        folded = self._items_by_case()
        slips = {}
        for item in unknown:
            near = folded.get(str(item).casefold())
            if near is not None:
                slips.setdefault(str(item), near)
        if not slips:
            return
        first, near = next(iter(slips.items()))
        if len(slips) == 1:
            said = f"update: item {first!r} is not one the model was fitted on, but {near!r} is"
        else:
            said = (
                f"update: {len(slips):,} items are not ones the model was fitted on, but are in "
                f"another case ({first!r} for {near!r}, ...)"
            )
        warnings.warn(
            f"{said}: item ids are case-sensitive, and this model reads items, so it takes "
            "these for items it never saw; give the ids as in the training log",
            CoverageWarning,
            stacklevel=3,  # the caller of `update`
        )

    def _items_by_case(self) -> dict[str, str]:
        """The fitted item ids by their case-folded spelling (the first in sorted order where
        several fold alike), built at the first unknown item and kept per fitted vocabulary."""
        items = self.items_
        cache = getattr(self, "_items_by_case_cache", None)
        if cache is None or cache[0] is not items:
            folded: dict[str, str] = {}
            for name in sorted(str(i) for i in items):
                folded.setdefault(name.casefold(), name)
            cache = self._items_by_case_cache = (items, folded)
        return cache[1]

    def untraced(self, responses: ResponseLog) -> Untraced:
        """How many of `responses` touch skills the model was not fitted on, and which skills:
        `update` cannot trace those answers there (it warns). Reads the log's skill vocabulary
        first, so a log on known skills costs one index look-up."""
        self._check_fitted()
        codes = index_codes(pd.Index(self.skills_), responses.skills)
        if (codes >= 0).all():
            return Untraced()
        entries, skill_codes = responses.exploded()
        untraced = codes[skill_codes] < 0
        if not untraced.any():
            return Untraced()
        names = pd.unique(np.asarray(responses.skills)[skill_codes[untraced]])
        return Untraced(int(np.unique(entries[untraced]).size), tuple(str(s) for s in names))

    def _absorb(self, state: TracingState, responses: ResponseLog) -> np.ndarray:
        """One update step under the state's lock (the caller holds it). The students' state
        rows are looked up once, for the model's update, the evidence and the residuals."""
        students = responses.students.tolist()  # plain str: fast dictionary look-ups
        rows = state.rows_adding(students, self._state_row())
        if responses.has_timestamps:
            self._note_answer_times(state, responses, rows)
        # a log is not a request to retry: its answers are absorbed, and their earlier answers
        # are no longer taken for retries (two equal answers in a night are two attempts)
        _recent_answers(state)[0][rows] = 0
        p = self._update(state, responses, rows)
        self._update_mastery(state, responses, rows)
        if EVIDENCE in state.arrays:
            self._count_evidence(state, responses, rows)
        self._absorb_residuals(state, responses, rows, p)
        return p

    def _absorb_one(self, state: TracingState, r: Response) -> float:
        """One answer under the state's lock, on Python floats: the vendor's per-answer path
        (the same steps as `_absorb`, without its temporary arrays). One of the student's last
        `RECENT_ANSWERS` answers given again (a retry) is not absorbed again: its first
        P(correct) is returned."""
        key = answer_key(r)
        if key:
            repeated = self._repeated_answer(state, r, key)
            if repeated is not None:
                return repeated
        q = self._update_one(state, r)
        if r.timestamp is not None:
            self._note_answer_time(state, r)
        if key:
            self._note_answer_key(state, r, key, q)
        self._update_mastery_one(state, r)
        if EVIDENCE in state.arrays:
            self._count_evidence(state, r)
        residual, information = self._residual_arrays(state)
        row = state.row(r.student_id)
        residual[row] = residual.item(row) + (r.correct - q)
        information[row] = information.item(row) + q * (1.0 - q)
        return q

    def _update_one(self, state: TracingState, r: Response) -> float:
        """Absorb one response; P(correct) before it. Models with a scalar path override this."""
        rows = state.rows_adding([r.student_id], self._state_row())
        return self._update(state, r, rows).item(0)

    def _note_answer_times(
        self, state: TracingState, responses: ResponseLog, rows: np.ndarray
    ) -> None:
        """Warn about the log's answers dated before its students' latest absorbed answer, then
        move that time on to each student's latest in the log (sorted by student, then time)."""
        last = state.ensure_array(LAST_ANSWER, np.zeros((), np.int64))
        time, offsets = responses.time, responses.student_offsets
        if not len(time):
            return
        lengths = np.diff(offsets)
        before = last[rows]
        first = time[np.minimum(offsets[:-1], len(time) - 1)]
        behind = (before != 0) & (lengths > 0) & (first < before)
        if behind.any():
            late = time < np.repeat(np.where(behind, before, np.iinfo(np.int64).min), lengths)
            students = responses.students[np.flatnonzero(behind)]
            _warn_late(int(late.sum()), tuple(str(s) for s in students), before[behind])
        latest = time[np.maximum(offsets[1:] - 1, 0)]
        last[rows] = np.where(lengths > 0, np.maximum(before, latest), before)

    def _note_answer_time(self, state: TracingState, r: Response) -> None:
        """The per-answer form of `_note_answer_times` (one comparison)."""
        last = state.arrays.get(LAST_ANSWER)
        if last is None:
            last = state.ensure_array(LAST_ANSWER, np.zeros((), np.int64))
        row = state.row(r.student_id)
        t, before = r.timestamp.value, last.item(row)
        if before and t < before:
            _warn_late(1, (r.student_id,), np.array([before]))
        elif t > before:
            last[row] = t

    @staticmethod
    def _repeated_answer(state: TracingState, r: Response, key: int) -> float | None:
        """The P(correct) returned for `r` when it repeats one of the student's last
        `RECENT_ANSWERS` answers absorbed one at a time (one look-up in a row of 8), else
        None."""
        row = state.row(r.student_id)
        if row is None:
            return None
        keys, ps, _ = _recent_answers(state)
        # the key holds the answer's time: a late answer's retry is recognized too (comparing
        # with the student's latest time, which a late answer does not move, let it through)
        recent = keys[row].tolist()
        if key not in recent:
            return None
        warnings.warn(
            RepeatedAnswerWarning(
                f"update: the same answer as one of the last {RECENT_ANSWERS} absorbed for this "
                f"student (item {r.item_id!r}, same time and answer: an app's retry of a "
                "request?) was not absorbed again; update returns the P(correct) it returned "
                "for it then. Give a repeated attempt its own time",
                (r.student_id,),
            ),
            stacklevel=4,
        )
        return ps.item(row, recent.index(key))

    @staticmethod
    def _note_answer_key(state: TracingState, r: Response, key: int, q: float) -> None:
        """Keep the answer's digest and P(correct) in the student's ring, over its oldest."""
        keys, ps, slots = _recent_answers(state)
        row = state.row(r.student_id)
        slot = slots.item(row)
        keys[row, slot], ps[row, slot] = key, q
        slots[row] = (slot + 1) % RECENT_ANSWERS

    @staticmethod
    def _residual_arrays(state: TracingState) -> tuple[np.ndarray, np.ndarray]:
        """The state's (n,) ability residual and information; created (under the state's lock)
        only for a state saved before they were kept, so the per-answer path takes no lock."""
        residual, information = state.arrays.get(RESIDUAL), state.arrays.get(INFORMATION)
        if residual is None or information is None:
            residual = state.ensure_array(RESIDUAL, np.zeros(()))
            information = state.ensure_array(INFORMATION, np.zeros(()))
        return residual, information

    def _absorb_residuals(
        self, state: TracingState, responses: ResponseLog, rows: np.ndarray, p: np.ndarray
    ) -> None:
        """Add each answer's surprise (correct - P) and information P (1 - P) to its student
        (`rows`: the state row of each of `responses.students`). One answer after another, in
        the log's order (`np.add.at`), as the per-answer path does: a night absorbed in two
        updates sums to the same bits as in one (a per-student sum added at once would not)."""
        residual, information = self._residual_arrays(state)
        response_rows = rows.take(responses.student)
        np.add.at(residual, response_rows, responses.correct - p)
        np.add.at(information, response_rows, p * (1.0 - p))

    def responses_seen(self, state: TracingState, rows: np.ndarray | None = None) -> np.ndarray:
        """(n,) responses absorbed per student (on the model's skills) since the state began."""
        return self.answers_per_skill(state, rows).sum(axis=1)

    def answers_per_skill(self, state: TracingState, rows: np.ndarray | None = None) -> np.ndarray:
        """(n, S) responses absorbed per student and model skill since the state began: what
        the state itself knows was answered, whatever history a caller passes beside it (a
        vendor's list of recent answers)."""
        self._check_state(state)
        with state.lock:
            rows = all_rows(state, rows)
            if EVIDENCE not in state.arrays:
                return np.zeros((len(rows), len(self.skills_)), np.int64)
            return state.arrays[EVIDENCE][rows].astype(np.int64)

    def ability(self, state: TracingState, rows: np.ndarray | None = None) -> np.ndarray:
        """(n,) each student's ability beside mastery: the logit shift that best explains the
        answers the model did not expect (one Newton step from 0 with a prior of
        `ability_prior_information`; 0 for a student without answers). > 0: the student does
        better than their mastery alone predicts, so harder versions of a skill suit them."""
        self._check_state(state)
        with state.lock:
            rows = all_rows(state, rows)
            if RESIDUAL not in state.arrays:
                return np.zeros(len(rows))
            residual = state.arrays[RESIDUAL][rows]
            information = state.arrays[INFORMATION][rows]
        return residual / (information + self.ability_prior_information)

    def _count_evidence(
        self, state: TracingState, responses: ResponseLog | Response, rows: np.ndarray | None = None
    ) -> None:
        """Responses per (student, skill) since the state began, for the placement blend
        (`rows`: the state row of each of a log's students)."""
        evidence = state.arrays[EVIDENCE]
        if isinstance(responses, Response):
            row = state.row(responses.student_id)
            codes = self._skill_code_map()
            for skill in responses.skill_ids:
                k = codes.get(skill)
                if k is not None:
                    evidence[row, k] += 1
            return
        entries, skill_codes = responses.exploded()
        k = index_codes(pd.Index(self.skills_), responses.skills)[skill_codes]
        srow = rows.take(responses.student.take(entries))
        known = k >= 0
        np.add.at(evidence, (srow[known], k[known]), 1)

    def _skill_code_map(self) -> dict[str, int]:
        """skill id -> column, cached per fitted vocabulary."""
        cache = getattr(self, "_skill_codes_cache", None)
        if cache is None or cache[0] is not self.skills_:
            cache = (self.skills_, {str(s): i for i, s in enumerate(self.skills_)})
            self._skill_codes_cache = cache
        return cache[1]

    def mastery(self, state: TracingState, rows: np.ndarray | None = None) -> np.ndarray:
        """(n, n_skills) probability of mastery, columns aligned with `self.skills_` (the model's
        own skill order: its training log's, sorted; a policy batch's columns follow the catalog's instead:
        `batch.skill_ids`); every state row, or only `rows` (state row numbers, e.g.
        `state.rows(ids)`) at a cost that does not grow with the state."""
        self._check_state(state)
        with state.lock:
            rows = all_rows(state, rows)
            own = np.asarray(self._mastery(state, rows), dtype=np.float64)
            blended = self._blended_mastery(state, rows, own)
            return own if blended is None else blended

    def predict_skill_proba(
        self, state: TracingState, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, n_skills) P(correct) on a typical item of each skill (rows as in `mastery`)."""
        self._check_state(state)
        with state.lock:
            rows = all_rows(state, rows)
            own = np.asarray(self._skill_proba(state, rows), dtype=np.float64)
            if self.exact_placement or PLACEMENT not in state.arrays:
                return own
            mastery = np.asarray(self._mastery(state, rows), dtype=np.float64)
            blended = self._blended_mastery(state, rows, mastery)
            if blended is None:
                return own
            placed = ~np.isnan(state.arrays[PLACEMENT][rows])
            return np.where(placed, self._p_correct_from_mastery(blended), own)

    def _blended_mastery(
        self, state: TracingState, rows: np.ndarray, own: np.ndarray
    ) -> np.ndarray | None:
        """`own` mastery with the placement blended in where a skill was placed: the placement
        keeps `placement_decay` ** (answers on the skill) of the weight. None without any."""
        if self.exact_placement or PLACEMENT not in state.arrays:
            return None
        placed = state.arrays[PLACEMENT][rows].astype(np.float64)
        if np.isnan(placed).all():
            return None
        weight = self.placement_decay ** state.arrays[EVIDENCE][rows].astype(np.float64)
        return np.where(np.isnan(placed), own, weight * placed + (1.0 - weight) * own)

    # -- hyperparameters (scikit-learn style) ------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The hyperparameters, by the constructor's names, as scikit-learn's estimators give
        them: its `clone`, `GridSearchCV` and `Pipeline` call `get_params(deep=...)`. No
        hyperparameter is itself an estimator, so `deep` changes nothing."""
        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self"}

    def set_params(self, **params: Any) -> Self:
        """Set hyperparameters by name, checked as the constructor checks them: a misspelt one
        is an `UnknownKeywordError` naming the one meant, a refused value the model's
        `ParamsRefused` (`check_params`), and either way none of them is set, the model left
        as it was (`set_params(forgets="no")` was taken, and refused at `fit`)."""
        check_keywords(params, self.get_params(), f"{type(self).__name__}.set_params")
        before = self.get_params()
        self.__dict__.pop("_fitted_digest_of", None)  # the digest holds the hyperparameters
        for key, value in params.items():
            setattr(self, key, value)
        try:
            self._check_set_params()
        except Exception:
            for key, value in before.items():
                setattr(self, key, value)
            raise
        return self

    def check_params(self) -> None:
        """Refuse hyperparameters this model cannot be fitted with, before any data is read
        (each model its own: a `ParamsRefused` naming every wrong one); its constructor and
        `set_params` run it."""

    def _check_set_params(self) -> None:
        """The checks `set_params` runs on the values it set: the constructor's."""
        self.check_params()

    def clone(self) -> Self:
        """An unfitted copy with the same hyperparameters."""
        return type(self)(**self.get_params())

    def _check_fitted(self) -> None:
        if not hasattr(self, "skills_"):
            raise NotFittedError(
                f"{type(self).__name__} is not fitted: call fit(log) or load(dir) first"
            )

    def _skill_tuple(self) -> tuple[str, ...]:
        """The fitted skills as a tuple of text, made once per `skills_` (a state holds it)."""
        cached = self.__dict__.get("_skill_tuple_of")
        if cached is None or cached[0] is not self.skills_:
            cached = (self.skills_, tuple(str(s) for s in self.skills_))
            self.__dict__["_skill_tuple_of"] = cached
        return cached[1]

    def _check_state(self, state: TracingState) -> None:
        """A state belongs to the model that made it: its arrays are that kind of model's (a
        BKT state holds P(known), a Best-LR state counts of attempts, a DKT state a hidden
        vector) and its per-skill columns follow that model's skills. A state of another kind
        of model, or made for other skills (a model retrained with a skill renamed, added or
        removed), would be read wrongly: one error instead. A state without its model or skills
        recorded (saved before they were kept) takes this model's. Two identity tests on the
        per-request path."""
        self._check_fitted()
        if not isinstance(state, TracingState):
            raise TypeError(
                f"expected a TracingState (from model.init_state or TracingState.load), got a "
                f"{type(state).__name__}"
            )
        if state.model is not self.name:
            if state.model is not None and state.model != self.name:
                raise ConfigError(
                    f"this state was made by a {state.model!r} model; this is a {self.name!r} "
                    "model, whose state holds other values. A state belongs to the model kind "
                    "that made it: use that model, carry it over to this one "
                    f"({CARRY_ADVICE}), or start a state with this one "
                    "(model.init_state, then model.update with the students' responses)."
                )
            state.model = self.name
        skills = self._skill_tuple()
        if state.skills is not skills:
            if state.skills is not None and state.skills != skills:
                raise ConfigError(_state_skills_differ(state.skills, skills))
            state.skills = skills
        digest = self.fitted_digest()
        if state.model_digest != digest:
            self._check_state_origin(state, digest)

    def _check_state_origin(self, state: TracingState, digest: str) -> None:
        """A state made by another fitted model of this kind and skills (a retrained champion)
        is read and updated as asked, with one `StateWarning` per state and model (its mastery
        so far is the other model's); a state of unknown origin (saved before states recorded
        their model's digest) takes this model's, as its skills are taken."""
        made = state.model_digest
        if made is None:
            state.model_digest = digest
            return
        if state._digest_said == (made, digest):
            return
        state._digest_said = (made, digest)
        warnings.warn(
            StateWarning(
                f"this state was made by another fitted {self.name!r} model "
                f"({made[:SHORT_DIGEST]}) than this one ({digest[:SHORT_DIGEST]}), retrained "
                "on the same skills: its mastery so far was computed under that model's "
                "parameters, and this model continues from it (a state it updates records this "
                f"model). {REBUILD_ADVICE}",
                made,
                digest,
            ),
            stacklevel=4,
        )

    def fitted_digest(self) -> str:
        """sha256 (hex) of the fitted model: its kind, hyperparameters and fitted values and
        arrays (and further files), what its artifact holds, without the measurements kept
        beside them (learning curve, curriculum level), which change nothing traced. A model
        and its saved and loaded copy give the same; a model fitted again gives another. A
        state records the digest of the model that made it (`TracingState.model_digest`).
        Computed once per fit (per fitted vocabulary), so the per-request check is one
        comparison."""
        cached = self.__dict__.get("_fitted_digest_of")
        if cached is None or cached[0] is not getattr(self, "skills_", None):
            self._check_fitted()
            cached = (self.skills_, self._compute_fitted_digest())
            self.__dict__["_fitted_digest_of"] = cached
        return cached[1]

    def _compute_fitted_digest(self) -> str:
        """`fitted_digest`, computed: the canonical JSON of `save`'s model.json content, the
        fitted arrays' bytes (`hash_arrays`) and each further file's sha256."""
        digest = hashlib.sha256()
        meta = {"model": self.name, "params": self.get_params(), "fitted": self._fitted_json()}
        digest.update(canonical_json(json.loads(json.dumps(meta))))
        hash_arrays(digest, self._fitted_arrays())
        for name, blob in sorted(self._fitted_files().items()):
            digest.update(f"{name}:{hashlib.sha256(blob).hexdigest()}".encode())
        return digest.hexdigest()

    # -- artifacts ---------------------------------------------------------------------------------
    @abstractmethod
    def _fitted_arrays(self) -> dict[str, np.ndarray]:
        """Learned arrays to save (numeric or unicode; never object)."""

    @abstractmethod
    def _fitted_json(self) -> dict[str, Any]:
        """Learned JSON-friendly values to save (vocabularies, scalars)."""

    @abstractmethod
    def _restore(self, fitted: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Set learned attributes from what `_fitted_json` / `_fitted_arrays` returned."""

    def _fitted_files(self) -> dict[str, bytes]:
        """Further artifact files beside `arrays.npz` (file name -> bytes), each written
        atomically and checksummed in `model.json` like it. Default: none."""
        return {}

    def _restore_files(self, files: dict[str, bytes]) -> None:
        """Set learned attributes from the verified bytes of the files `_fitted_files` wrote
        (called after `_restore`; a file that model.json does not list is absent). Default: none."""
        return None

    def save(self, directory: str | Path) -> Path:
        """Write `model.json`, `arrays.npz` and `_fitted_files()` atomically into `directory`;
        returns the directory."""
        self._check_fitted()
        directory = Path(directory)
        if directory.exists() and not directory.is_dir():
            raise ArtifactError(
                f"{directory}: a file is there; a model is saved as a folder (model.json, "
                "arrays.npz, ...): give a folder's path (it is created)"
            )
        make_folder(directory)
        buf = io.BytesIO()
        np.savez(buf, **self._fitted_arrays())
        files = {ARRAYS_FILE: buf.getvalue(), **self._fitted_files()}
        meta = {
            "format_version": self.format_version(),
            "model": self.name,
            "params": self.get_params(),
            "fitted": {
                **self._fitted_json(),
                LEARNING_CURVE: self.learning_curve_.to_json(),
                CURRICULUM_LEVEL: self.curriculum_level_.to_json(),
            },
            "files": {name: hashlib.sha256(blob).hexdigest() for name, blob in files.items()},
        }
        if self.training_catalog_ is not None:  # a key older versions ignore: no new format
            meta[TRAINING_CATALOG] = self.training_catalog_.to_json()
        for name, blob in files.items():
            atomic_write_bytes(directory / name, blob)
        atomic_write_bytes(directory / MODEL_FILE, sealed_json(meta))
        return directory

    def format_version(self) -> int:
        """The oldest model.json format that holds this model: 4 where its curriculum level
        keeps where its students start, 3 where it keeps the grade table its check read, else
        2 (see `FORMAT_VERSION`)."""
        level = self.curriculum_level_
        return 4 if level.start is not None else 3 if level.grade_table is not None else 2

    @classmethod
    def load(cls, directory: str | Path, *, label: str | None = None) -> KnowledgeTracer:
        """Load a model saved by `save`. Dispatches on the saved model name when called on the base.

        Errors (`ArtifactError`) start with `label`, how the caller names the artifact (e.g.
        "registered model 'district' version 3"), else the directory."""
        directory = Path(directory)
        if not directory.exists():  # "model.json: missing" read as a damaged model
            raise ArtifactError(
                f"{label or directory}: no such folder; expected a model folder saved by "
                "adaptive (model.save(folder), or adaptive train)"
            )
        try:
            return cls._load_verified(directory)
        except ArtifactError as exc:
            raise ArtifactError(f"{label or directory}: {exc}") from exc

    @classmethod
    def _load_verified(cls, directory: Path) -> KnowledgeTracer:
        """`load` with errors naming the artifact's files relative to its folder."""
        meta = read_model_json(directory)
        from adaptive.tracing.specs import model_class  # late import: specs imports every model

        klass = model_class(meta["model"]) if cls is KnowledgeTracer else cls
        if klass.name != meta["model"]:
            raise ArtifactError(f"holds a {meta['model']!r} model, not {klass.name!r}")
        files = read_checked_files(directory, meta["files"])
        if ARRAYS_FILE not in files:
            raise ArtifactError(f"{MODEL_FILE}: lists no {ARRAYS_FILE}")
        arrays = npz_arrays(ARRAYS_FILE, files.pop(ARRAYS_FILE))
        model = klass(**meta["params"])
        fitted = dict(meta["fitted"])
        curve = LearningCurve.from_json(fitted.pop(LEARNING_CURVE, None))  # older: not measured
        level = LevelFit.from_json(fitted.pop(CURRICULUM_LEVEL, None))
        model._restore(fitted, arrays)
        model.learning_curve_ = curve
        model.curriculum_level_ = level
        model.training_catalog_ = CatalogRecord.from_json(meta.get(TRAINING_CATALOG))
        model._restore_files(files)
        return model


# -- artifact helpers shared by models, states and the batch job ---------------------------------
def check_format_version(version: object, *, required: bool = False) -> None:
    """A model.json format this version reads, or an error saying what to do: an older format
    (no checksum of its own: it cannot be verified) is retrained, a newer one (saved by a newer
    adaptive, with content this version cannot read) needs that version. Before the checksum is
    verified, an absent or odd value is left to the checksum's own error (`required=False`)."""
    if isinstance(version, int) and not isinstance(version, bool):
        if version < OLDEST_READABLE_FORMAT:
            raise ArtifactError(
                f"{MODEL_FILE}: format_version {version}, saved by an older version of adaptive "
                f"whose model.json carried no checksum of its own, so it cannot be verified; "
                f"retrain the model (format {FORMAT_VERSION})"
            )
        if version > FORMAT_VERSION:
            raise ArtifactError(
                f"{MODEL_FILE}: format_version {version}, saved by a newer version of adaptive "
                f"(this one reads formats {OLDEST_READABLE_FORMAT} to {FORMAT_VERSION}): "
                "upgrade adaptive to load it, or retrain the model with this version"
            )
        return
    if required:
        raise ArtifactError(
            f"{MODEL_FILE}: format_version {version!r}, expected a whole number "
            f"{OLDEST_READABLE_FORMAT} to {FORMAT_VERSION}"
        )


def read_model_json(directory: Path) -> dict[str, Any]:
    """model.json of a saved model, its own checksum verified (errors name files relative to
    `directory`: the caller adds where the artifact came from)."""
    path = directory / MODEL_FILE
    if not path.is_file():
        raise ArtifactError(f"{MODEL_FILE}: missing; expected a model saved by adaptive")
    try:
        version = json.loads(path.read_bytes()).get("format_version")
    except (ValueError, AttributeError):
        version = None  # read_sealed_json says what is wrong
    check_format_version(version)
    meta = read_sealed_json(path, MODEL_FILE)
    for key in ("format_version", "model", "params", "fitted", "files"):
        if key not in meta:
            raise ArtifactError(
                f"{MODEL_FILE}: missing key {key!r}; expected a model saved by adaptive"
            )
    check_format_version(meta["format_version"], required=True)
    return meta


def read_checked_files(directory: Path, sha256s: dict[str, str]) -> dict[str, bytes]:
    """The bytes of each file named in model.json's `files` map, each checked against the sha256
    recorded at save time. Names must be plain file names inside `directory`."""
    if not isinstance(sha256s, dict):
        raise ArtifactError(f"{MODEL_FILE}: 'files' is not a name -> sha256 map")
    files = {}
    for name, sha256 in sha256s.items():
        if name in ("", ".", "..") or Path(name).name != name:
            raise ArtifactError(f"{MODEL_FILE}: bad file name {name!r}")
        try:
            blob = (directory / name).read_bytes()
        except FileNotFoundError as exc:
            raise ArtifactError(f"{name}: missing") from exc
        if hashlib.sha256(blob).hexdigest() != sha256:
            raise ArtifactError(f"{name}: checksum mismatch; the file is truncated or altered")
        files[name] = blob
    return files


def _state_skills_differ(had: tuple[str, ...], has: tuple[str, ...]) -> str:
    """The error of a state used with a model of other skills: what differs, and the way out."""
    return (
        f"this state was made for a model of {len(had)} skills, this model traces {len(has)}: "
        f"{_skills_difference(had, has)}. Its per-skill values would be read as the wrong "
        "skills. A state belongs to the model that made it: carry it over to this model "
        f"({CARRY_ADVICE}), or start a new one with this model "
        "(`model.init_state(ids, prior=...)`), then `update` it with the students' history."
    )


#: How a state of another model is carried to this one, for the refusals' advice.
CARRY_ADVICE = (
    "`model.carry_state(earlier_model, state, prior=grade_placement(catalog, profiles))`: each "
    "student placed from the earlier model's mastery, the skills it lacked from `prior`"
)


def _skills_difference(had: tuple[str, ...], has: tuple[str, ...]) -> str:
    """What `has` adds to and lacks of `had` (the first few of each), or their order."""
    added = [s for s in has if s not in set(had)]
    removed = [s for s in had if s not in set(has)]
    if added or removed:
        what = "; ".join(
            f"{label} {len(ids)} ({', '.join(map(repr, ids[:3]))}{', ...' if len(ids) > 3 else ''})"
            for label, ids in (("this model adds", added), ("it lacks", removed))
            if ids
        )
    else:
        what = "the same skills in another order"
    return what


def _recent_answers(state: TracingState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The state's ring of recent answers (`RECENT_KEYS`, `RECENT_P`, `RECENT_NEXT`); for a
    state saved before it was kept, made once (under the state's lock), each student's latest
    answer (`LAST_KEY`, `LAST_P`, where saved) in its first slot and the older arrays dropped."""
    arrays = state.arrays
    keys, ps, slots = arrays.get(RECENT_KEYS), arrays.get(RECENT_P), arrays.get(RECENT_NEXT)
    if keys is not None and ps is not None and slots is not None:
        return keys, ps, slots
    with state.lock:
        last_key, last_p = state.arrays.pop(LAST_KEY, None), state.arrays.pop(LAST_P, None)
        state._spare.pop(LAST_KEY, None), state._spare.pop(LAST_P, None)
        keys = state.ensure_array(RECENT_KEYS, np.zeros(RECENT_ANSWERS, np.int64))
        ps = state.ensure_array(RECENT_P, np.zeros(RECENT_ANSWERS))
        slots = state.ensure_array(RECENT_NEXT, np.zeros((), np.int8))
        if last_key is not None and last_p is not None:
            keys[:, 0], ps[:, 0] = last_key, last_p
            slots[:] = last_key != 0
        return keys, ps, slots


def answer_key(r: Response) -> int:
    """A stable digest of an answer dated to the instant (item, skills, answer, time), 0 for
    one without a time of day: answers dated by day alone may repeat legitimately (two
    attempts on one day), so only an answer with its time of day can be a retry. The one
    definition of a retry: the tracer's ring and the batch's history (`policy.adapter`)."""
    t = r.timestamp
    if t is None or t.value % 86_400_000_000_000 == 0:
        return 0
    text = "\x1f".join((r.item_id, *r.skill_ids, str(int(r.correct)), str(t.value)))
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True) or 1


#: How far after this machine's clock an answer given to `update` may be dated before it is
#: warned of (`FutureAnswerWarning`): a day, so that no time zone or clock drift is said.
AHEAD_OF_CLOCK_NS = 86_400 * 10**9


def _warn_new_students_read_as_held(state: TracingState, student_ids: Sequence[str]) -> None:
    """A `StateWarning` when an answer's student is not one the state holds, and is added as a
    new one, while their id reads as a held student's (`TracingState.new_ids_read_as_held`:
    another case, dropped zeros): a vendor's app that wrote a GUID in upper case on the way
    sent every answer to a new, empty student without a word. By position, never by id."""
    new, matches = state.new_ids_read_as_held(student_ids)
    if not matches:
        return
    first = next(iter(matches))
    who = (
        "an answer's student the state does not hold is added as a new student"
        if len(new) == 1
        else f"{len(new):,} students the state does not hold are added as new students"
    )
    warnings.warn(
        f"update: {who}{match_words(new, {first: matches[first]})}: ids are case-sensitive "
        "text, so those answers start a student of their own, apart from the one they likely "
        "belong to. Pass the id as the state holds it (a uuid.UUID is read in its canonical "
        "form, lower case)",
        StateWarning,
        stacklevel=4,
    )


def _warn_placed_apart_from_held(
    state: TracingState, student_ids: Sequence[str], where: str, effect: str
) -> None:
    """A `PlacementWarning` when a placement names students the state does not hold whose ids
    read as held students' (`KnownIds.reads_as`: another case, dropped zeros), saying `where`
    and what their rows do (`effect`: `place` adds them, `init_state` leaves them out): a
    trial's last-year export read with `pd.read_csv` keyed every record by '400' for the
    roster's '000400', and `init_state(roster, prior=combine(records, grade))` started every
    returning student from their grade, the records on students of their own, without a word.
    By position, never by id.

    It reads ids as `update`'s warning does (look-alike characters too, 'l' for '1'), where a
    night's count of a table's ids written otherwise reads leading zeros and case only
    (`night_checks.profiles_spelled_otherwise`: a roster's spelling). One look-up per new id
    (about 1.3 s at 400,000): a grade's placement, whose students are the roster's, is not
    checked (`place`)."""
    new, matches = state.new_ids_read_as_held(student_ids, every=True)
    if not matches:
        return
    warnings.warn(
        f"{where}: {len(matches):,} of the placement's {len(new):,} students the state does not "
        f"hold read as held students{match_words(new, _first_of_each_kind(new, matches))}: "
        f"ids are case-sensitive text, so their rows {effect}, not the held students. "
        "Read ids as text (pd.read_csv(path, dtype={'student_id': str}), or "
        "read_placement(path, catalog), which reads them so); where the file itself writes "
        "them otherwise (another system's case, zeros a spreadsheet dropped), correct it",
        PlacementWarning,
        stacklevel=4,
    )


def _first_of_each_kind(ids: Sequence[str], matches: Mapping[int, str]) -> dict[int, str]:
    """The first of `matches` that differs from its held id in case alone, and the first that
    differs otherwise (zeros, look-alikes): a table with both said only the first kind (a
    vendor's trial: 'STU9000001' for 'stu9000001' was never named)."""
    kinds: dict[bool, int] = {}
    for i, meant in matches.items():
        kinds.setdefault(ids[i].casefold() == meant.casefold(), i)
    return {i: matches[i] for i in sorted(kinds.values())}


def _warn_ahead_of_clock(responses: Sequence[Response]) -> None:
    """One `FutureAnswerWarning` for the answers of one `update` call (one `Response` or a list:
    a vendor's device dates them) dated more than a day after this machine's clock, with their
    count and the latest time; nothing otherwise (a clock read and a comparison per answer). A
    `ResponseLog` is a history replayed (a night, a simulated district dated ahead): not
    checked here."""
    limit = time.time_ns() + AHEAD_OF_CLOCK_NS
    ahead = [r for r in responses if r.timestamp is not None and r.timestamp.value > limit]
    if not ahead:
        return
    students = tuple(dict.fromkeys(r.student_id for r in ahead))
    latest = pd.Timestamp(max(r.timestamp.value for r in ahead), tz="UTC")
    now = pd.Timestamp.now(tz="UTC")
    n = len(ahead)
    warnings.warn(
        FutureAnswerWarning(
            f"update: {counted(n, 'answer')} of {counted(len(students), 'student')} "
            f"{verb(n, 'is')} dated more than a day after this machine's clock "
            f"({now:%Y-%m-%d %H:%M} UTC; the latest on {latest:%Y-%m-%d %H:%M} UTC): a "
            "device's clock set wrong, or a time in another unit or zone? Absorbed as dated, "
            "so the student's later answers read as late and a request dated today as before "
            "their latest answer. Correct the time where the answer is made; to trace the "
            "student again, "
            "`model.restart(state, warning.students, prior=...)`, then `model.update(state, "
            "<their history, times corrected>)`.",
            students,
            n,
            latest,
        ),
        stacklevel=3,
    )


def _warn_late(count: int, students: tuple[str, ...], absorbed_ns: np.ndarray) -> None:
    """The `LateAnswerWarning` of `update` (student ids in its attribute, not its text), with
    the latest time absorbed for those students (`absorbed_ns`, one per student): where a
    student's is after this machine's clock, the answer dated wrong is that one, not the late
    ones (a vendor's trial: one answer dated 2062 by a device's clock made every later answer
    "late"); counted per student, so one such student does not speak for the others."""
    one = count == 1
    absorbed = np.asarray(absorbed_ns, np.int64)
    latest = pd.Timestamp(int(absorbed.max()), tz="UTC")
    now = pd.Timestamp.now(tz="UTC")
    ahead = int((absorbed > (now + pd.Timedelta(days=1)).value).sum())
    clock = f"after this machine's clock, {now:%Y-%m-%d}"
    if ahead == len(absorbed):
        why = f", {clock}: that answer's date is likely wrong, a device's clock, rather than these"
    elif ahead:
        why = (
            f"; {ahead:,} of these students' latest answers are dated {clock}: those dates are "
            "likely wrong, a device's clock; for the others, a device that synced late?"
        )
    else:
        why = ": a device that synced late?"
    warnings.warn(
        LateAnswerWarning(
            f"update: {count:,} {'answer' if one else 'answers'} of {len(students):,} "
            f"{'student' if len(students) == 1 else 'students'} {'is' if one else 'are'} dated "
            f"before answers already absorbed for them (the latest on {latest:%Y-%m-%d %H:%M} "
            f"UTC{why}): traced in the order received, not in time order. To trace them in time "
            "order, `model.restart(state, warning.students, prior=...)`, then `model.update("
            "state, <their whole history>)`.",
            students,
            count,
        ),
        stacklevel=5,
    )


def npz_arrays(name: str | Path, blob: bytes) -> dict[str, np.ndarray]:
    """The arrays of an `.npz` file's bytes (`name` says which file in errors); never unpickles."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ArtifactError(f"{name}: unreadable arrays ({exc})") from exc


@dataclass(frozen=True)
class Untraced:
    """Responses on skills a model was not fitted on (`KnowledgeTracer.untraced`); they add up
    over the chunks of a night."""

    responses: int = 0
    skills: tuple[str, ...] = ()

    def __add__(self, other: Untraced) -> Untraced:
        return Untraced(
            self.responses + other.responses, tuple(dict.fromkeys(self.skills + other.skills))
        )

    def named(self, skills: Sequence[str] | None = None, shown: int = 5) -> str:
        """The skills (`skills`, default all of them) as a warning names them: the first
        `shown`, quoted, then "..." when there are more."""
        skills = self.skills if skills is None else skills
        more = ", ..." if len(skills) > shown else ""
        return ", ".join(repr(s) for s in skills[:shown]) + more

    def did_you_mean(self, fitted: Collection[str], skills: Sequence[str] | None = None) -> str:
        """ "; did you mean 'skill-5'?" for the first of the skills (`skills`, default all of
        them) where a fitted skill (`fitted`) is close to it (a typo: 'skil-5'); "" where none
        is. The one hint of `warn` and of a promotion's note (`registry.promotion`)."""
        skills = self.skills if skills is None else skills
        near = closest_name(skills[0], fitted) if skills and fitted else None
        return f"; did you mean {near!r}?" if near else ""

    def warn(
        self,
        where: str = "",
        stacklevel: int = 3,
        *,
        fitted: Collection[str] = (),
        said: Collection[str] = (),
        call: str = "update",
    ) -> None:
        """The `CoverageWarning` of `update` (`where`: e.g. the item of one answer); the nightly
        job gives it once for the night's responses. `fitted`: the model's skills, for a "did
        you mean" (a typo is not cured by fitting with a catalog); `said`: skills another
        warning named already (the night's skills the catalog lacks): none other, no warning.
        `call`: the method that warns, "update" (the answers were not traced there),
        "predict_proba" (they were predicted from the model's defaults) or "batch_from_model"
        (a vendor's list of answers passed as its `log`: the state holds no mastery from them)."""
        said = set(said)
        skills = tuple(s for s in self.skills if s not in said)
        if not self.responses or not skills:
            return
        one = self.responses == 1
        shown = self.named(skills)
        check = self.did_you_mean(fitted, skills)
        if len(skills) < len(self.skills):
            check += "; and skills the catalog lacks, named above"
        done = {
            "predict_proba": "predicted from the model's defaults: the model has no parameters "
            "for a skill it was not fitted on",
            "batch_from_model": "not traced: the model keeps no mastery for a skill it was not "
            "fitted on, so the batch reads none from them",
        }.get(call, "not traced there: the model keeps no mastery for a skill it was not fitted on")
        warnings.warn(
            f"{call}: {self.responses:,} {'response' if one else 'responses'}{where} on "
            f"{'a skill' if len(skills) == 1 else f'{len(skills):,} skills'} the model was not "
            f"fitted on ({shown}{check}) {'was' if one else 'were'} {done}. For a skill of the "
            "catalog that "
            "the training log never mentions, a BKT model fitted with `fit(log, catalog=catalog)` "
            "(`adaptive train --catalog FILE`) starts it from its graph neighbours' parameters.",
            CoverageWarning,
            stacklevel=stacklevel,
        )


def index_codes(vocabulary: pd.Index, ids: pd.Index | np.ndarray) -> np.ndarray:
    """Codes of `ids` in a fitted vocabulary; -1 for ids the model never saw (cold start)."""
    return vocabulary.get_indexer(pd.Index(ids)).astype(np.int64)


def _warn_not_placed(
    ids: Sequence[str], prior: Placement, where: str = "init_state", rows: np.ndarray | None = None
) -> None:
    """Say how many of `ids` the `prior` given for them does not cover (an id typed otherwise
    than in the placement): they start from the population prior (`where`: the method
    placing them; `rows`: the prior's `rows_of(ids)` where read already). A count, never an
    id."""
    if rows is None:
        missing = sum(1 for s in ids if prior.source_of(s) is None)
    else:
        missing = int((rows < 0).sum())
    if missing:
        warnings.warn(
            f"{where}: {missing:,} of the {len(ids):,} students are not in the placement "
            "given as prior: they start from the population prior (ids written otherwise? "
            "combine(..., grade_placement(catalog, profiles)) places everyone with a grade)",
            PlacementWarning,
            stacklevel=3,
        )


#: A placement that leaves more than this share of the model's skills of a student it places
#: unplaced is said (`_warn_partly_placed`): a table of one year's standards, not a start.
PARTLY_PLACED_SHARE = 0.5


#: How many students `place` places at a time (its temporary arrays are this many rows).
PLACE_BLOCK = 20_000


class _PriorRows:
    """The `prior` of `KnowledgeTracer.carry_state` (on the model's `skills`) for the students
    `ids` of the state carried, a block of them at a time (`fill`), and the grade it placed
    each from where its values were used (`grades`, NaN elsewhere: `placed_grade`)."""

    def __init__(
        self, prior: Placement | None, ids: list[str], skills: tuple[str, ...], where: str
    ) -> None:
        self.skills = skills
        self.grades = np.full(len(ids), np.nan)
        self.prior = None if prior is None else on_skills(prior, skills, where)
        if self.prior is not None:
            self.rows = self.prior.rows_of(ids)
            _warn_not_placed(ids, self.prior, where, self.rows)
            self.placed_grade = self.prior.grade_placed()

    def fill(self, block: np.ndarray, values: np.ndarray) -> np.ndarray:
        """The prior's values where `values` (the students of `block`, the model's skills) is
        NaN: a skill the earlier model lacked. Returns where the values filled came from a
        grade (`Placement.grade_cells`: what a grade corrected later places again)."""
        by_grade = np.zeros(values.shape, bool)
        if self.prior is None:
            return by_grade
        rows = self.rows[block]
        covered = np.flatnonzero(rows >= 0)
        given = self.prior.aligned(self.skills, rows[covered])
        target = values[covered]
        fill = np.isnan(target) & ~np.isnan(given)
        target[fill] = given[fill]
        values[covered] = target
        used = covered[fill.any(axis=1)]
        self.grades[block[used]] = self.placed_grade[rows[used]]
        by_grade[covered] = fill & self.prior.grade_cells(self.skills, rows[covered])
        return by_grade


def _carry_answers(earlier: TracingState, carried: TracingState) -> None:
    """Copy into `carried` (the same students in the same rows) the arrays of `earlier` whose
    meaning does not depend on the model: each student's latest answer's time (`LAST_ANSWER`)
    and ring of recent answers (`RECENT_KEYS`, `RECENT_P`, `RECENT_NEXT`), so that the
    answers kept beside the state read as absorbed (`batch_from_model` compares a log's times
    with the first, `update` a retry with the second)."""
    keys, ps, slots = _recent_answers(earlier)
    carried.arrays[RECENT_KEYS][:] = keys
    carried.arrays[RECENT_P][:] = ps
    carried.arrays[RECENT_NEXT][:] = slots
    last = earlier.arrays.get(LAST_ANSWER)
    if last is not None:
        carried.arrays[LAST_ANSWER][:] = last


def _partly_placed(has_value: np.ndarray, placement: Placement) -> np.ndarray:
    """(n,) True for the students a placement (not a grade's) places on some, but fewer than
    half, of the model's skills (`has_value`: (n, skills) True where it gives a value)."""
    if placement.grades is not None or not has_value.size:
        return np.zeros(len(has_value), bool)
    return has_value.any(axis=1) & (has_value.mean(axis=1) < 1.0 - PARTLY_PLACED_SHARE)


def _warn_partly_placed(partly: np.ndarray, placement: Placement, n_skills: int) -> None:
    """Say when a placement (not a grade's) leaves most of the model's skills unplaced for the
    students it places (`partly`, `_partly_placed`): those skills start from the population
    prior, not from the students' grade (a vendor's trial: a table of grades 4-5 placed a
    student who knew none of grade 4 at about one half on grade 8, from the population). The
    nightly job and `batch_from_model` fill them from the grade themselves; `place` cannot,
    having no profiles. Counts only."""
    if partly.any():
        warnings.warn(
            f"place: the placement ({placement.sources[int(np.flatnonzero(partly)[0])]!r}) "
            f"places {int(partly.sum()):,} of its students on fewer than half of the model's "
            f"{n_skills:,} skills: the others start from the model's population prior, "
            "not from a grade. In Python, combine(placement, grade_placement(catalog, "
            "profiles)) starts them from their grade; a night does so for every student whose "
            "profile has a grade (on a night, these have no profile or no grade: give them one)",
            PlacementWarning,
            stacklevel=4,
        )


def _check_placement(prior: object, name: str = "prior") -> None:
    """A prior is a `Placement` (or None where optional): anything else is one TypeError saying
    how to make one (profiles or a table passed as they are ended in an AttributeError)."""
    if prior is None and name == "prior":
        return
    expect_placement(prior, name)


def unknown_students_message(positions: list[int], n_passed: int, n_students: int) -> str:
    """Why `state.rows(ids)` refused ids: which ones, by position among the `n_passed` ids
    (never by id: `adaptive.errors`' rule), and how a student gets a row."""
    return (
        f"{passed_positions(positions, n_passed)} not in this state (it holds "
        f"{counted(n_students, 'student')}); a student gets a row with "
        "model.update(state, responses) or model.init_state(ids)"
    )


def check_missing(missing: object) -> None:
    """`rows`' `missing`: "raise", or the int a row of an unknown student is given."""
    if missing != "raise" and not (
        isinstance(missing, int | np.integer) and not isinstance(missing, bool)
    ):
        raise TypeError(f'missing: expected "raise" or an integer (-1), got {missing!r}')


def _are_row_numbers(values: np.ndarray) -> bool:
    """Whether a flat array holds whole numbers (integers, whole floats, or Python ints in an
    object array): not student ids, not fractions, not booleans."""
    kind = values.dtype.kind
    if kind in "iu":
        return True
    if kind == "f":
        return bool(np.all(np.isfinite(values) & (values == np.floor(values))))
    if kind == "O":
        return all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values)
    return False


def all_rows(state: TracingState, rows: np.ndarray | None) -> np.ndarray:
    """`rows` as int64 state rows (every row when None). Student ids given where rows go, or
    rows that are not whole numbers, are a TypeError saying to use `state.rows(ids)`; -1
    (`state.rows`' mark of a student the state does not hold) and rows outside the state are
    a ValueError."""
    if rows is None:
        return np.arange(len(state), dtype=np.int64)
    given = np.asarray(rows).reshape(-1)
    if not _are_row_numbers(given):
        ids = [str(r) for r in given[:3].tolist()] if given.dtype.kind in "OUS" else ["s1"]
        raise TypeError(
            f"rows: expected state row numbers (integers), got {rows!r:.80}; for students by "
            f"id, pass state.rows({ids!r})"
        )
    rows = given.astype(np.int64, copy=False)
    if (rows == -1).any():
        raise ArgumentError(
            "state rows: -1 is state.rows(ids, missing=-1)'s mark of a student id not in the "
            "state; state.rows(ids) names the ids"
        )
    if len(rows) and (rows.min() < 0 or rows.max() >= len(state)):
        raise ArgumentError(
            f"state rows {rows.tolist()[:5]}...: expected rows of this state (0..{len(state) - 1})"
        )
    return rows
