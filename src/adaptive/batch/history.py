"""Per-student history features kept across nights, updated from the new responses only.

The policy reads, per student and catalog skill, the responses so far, the day of the last one,
the current run of correct answers, the learning progress (accuracy of the last `window`
responses minus the `window` before), and per activity what was completed and what was done on
the student's last day. `adaptive.policy.adapter.history_features` derives them from a full log;
`StudentHistory.absorb` derives the same values from yesterday's history plus today's responses:
it runs `history_features` on the new responses and merges. Learning progress needs the last
2 x `window` outcomes per skill, kept as bits (newest in bit 0) so the merge is exact. Each
skill's first answer is kept too (`first_correct`): where the district's knowledge follows the
curriculum order, the policy reads a student's never-answered skills from them
(`adaptive.policy.adapter.level_beliefs`). A snapshot saved before they were kept has none:
from then on, the first answers of skills first answered on a later night are kept.

Snapshots are one `.npz` (no pickle), like `TracingState`.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from adaptive.curriculum import Catalog
from adaptive.data.log import ResponseLog
from adaptive.errors import ArtifactError
from adaptive.policy.adapter import History, history_features
from adaptive.policy.config import MAX_PROGRESS_WINDOW as MAX_WINDOW
from adaptive.tracing.base import atomic_write_bytes


@dataclass(eq=False)
class StudentHistory:
    """History features of many students (row i = `students[i]`), aligned with a catalog."""

    students: list[str]
    n_responses: np.ndarray  # (n, S) int32
    last_practiced: np.ndarray  # (n, S) float64 days since epoch, NaN = never
    streak: np.ndarray  # (n, S) int32
    outcomes: np.ndarray  # (n, S) uint64: the last 2*window outcomes, newest in bit 0
    completed: sparse.csr_matrix  # (n, A) bool
    recent: sparse.csr_matrix  # (n, A) bool
    window: int
    first_correct: np.ndarray | None = None  # (n, S) int8: each skill's first answer, -1 none

    def __post_init__(self) -> None:
        if self.first_correct is None:  # a snapshot (or table) without them: none kept
            self.first_correct = np.full(self.n_responses.shape, -1, np.int8)

    @classmethod
    def empty(cls, catalog: Catalog, window: int = 4) -> StudentHistory:
        if not 1 <= window <= MAX_WINDOW:
            raise ValueError(f"progress window {window}, expected 1..{MAX_WINDOW}")
        n_s, n_a = len(catalog.skills), len(catalog.activities)
        return cls(
            students=[],
            n_responses=np.zeros((0, n_s), np.int32),
            last_practiced=np.zeros((0, n_s)),
            streak=np.zeros((0, n_s), np.int32),
            outcomes=np.zeros((0, n_s), np.uint64),
            completed=sparse.csr_matrix((0, n_a), dtype=bool),
            recent=sparse.csr_matrix((0, n_a), dtype=bool),
            window=window,
        )

    def __len__(self) -> int:
        return len(self.students)

    def rows(self, student_ids) -> np.ndarray:
        """Row of each id, -1 where the student has no history."""
        return pd.Index(self.students, dtype=object).get_indexer(
            pd.Index(student_ids, dtype=object)
        )

    def _add_students(self, student_ids: pd.Index) -> None:
        new = student_ids[self.rows(student_ids) < 0].unique()
        if not len(new):
            return
        k, n_s = len(new), self.n_responses.shape[1]
        self.students = [*self.students, *new.tolist()]
        self.n_responses = np.vstack([self.n_responses, np.zeros((k, n_s), np.int32)])
        self.last_practiced = np.vstack([self.last_practiced, np.full((k, n_s), np.nan)])
        self.streak = np.vstack([self.streak, np.zeros((k, n_s), np.int32)])
        self.outcomes = np.vstack([self.outcomes, np.zeros((k, n_s), np.uint64)])
        self.first_correct = np.vstack([self.first_correct, np.full((k, n_s), -1, np.int8)])
        pad = sparse.csr_matrix((k, self.completed.shape[1]), dtype=bool)
        self.completed = sparse.vstack([self.completed, pad], format="csr")
        self.recent = sparse.vstack([self.recent, pad], format="csr")

    def absorb(
        self, log: ResponseLog, catalog: Catalog, repeatable_kinds=("practice", "review")
    ) -> None:
        """Merge responses that all come after everything absorbed so far (e.g. one more day)."""
        if len(log) == 0:
            return
        ids = pd.Index(log.students.astype(str), dtype=object)
        self._add_students(ids)
        rows = self.rows(ids)
        new: History = history_features(log, ids, catalog, self.window, None, repeatable_kinds)
        touched = new.n_responses > 0
        prev_n = self.n_responses[rows]
        had_wrong = new.streak < new.n_responses
        self.streak[rows] = np.where(had_wrong, new.streak, self.streak[rows] + new.n_responses)
        self.n_responses[rows] = prev_n + new.n_responses
        self.last_practiced[rows] = np.where(touched, new.last_practiced, self.last_practiced[rows])
        shift = np.minimum(new.n_responses, 2 * self.window).astype(np.uint64)
        kept = np.where(shift >= 64, np.uint64(0), self.outcomes[rows] << shift)
        self.outcomes[rows] = (kept | _outcome_bits(log, ids, catalog, self.window)) & _mask(
            2 * self.window
        )
        # a skill's first answer is tonight's only where the history had no answer on it (a
        # snapshot saved before first answers were kept has answers, and no first one)
        first_rows, first_codes, first_right = new.first_answers
        fresh = prev_n[first_rows, first_codes] == 0
        self.first_correct[rows[first_rows[fresh]], first_codes[fresh]] = first_right[fresh]
        completed = sparse.csr_matrix(self.completed[rows], dtype=np.float64) + (new.completed > 0)
        self.completed = _set_rows(self.completed, rows, completed)
        self.recent = _set_rows(
            self.recent, rows, new.recent
        )  # every student here has a new last day

    @property
    def progress(self) -> np.ndarray:
        """Accuracy of the last `window` outcomes minus the `window` before (0 when either is
        missing), exactly as `history_features` computes it."""
        return learning_progress(self.outcomes, self.n_responses, self.window)

    def fields(
        self, student_ids, rows: np.ndarray | None = None
    ) -> dict[str, np.ndarray | sparse.csr_matrix]:
        """`StudentBatch` fields for these students (zeros / NaN for students never seen);
        `rows` (their `rows(student_ids)`, when the caller looked them up already) skips the
        id lookup."""
        rows = self.rows(student_ids) if rows is None else np.asarray(rows, dtype=np.int64)
        have = rows >= 0
        n, n_s = len(rows), self.n_responses.shape[1]
        pick = np.where(have, rows, 0)

        def dense(values: np.ndarray, fill) -> np.ndarray:
            out = values[pick] if len(self) else np.zeros((n, n_s), values.dtype)
            out = out.copy()
            out[~have] = fill
            return out

        def rows_of(m: sparse.csr_matrix) -> sparse.csr_matrix:
            if not len(self):
                return sparse.csr_matrix((n, m.shape[1]))
            taken = sparse.csr_matrix(m[pick], dtype=np.float64)
            return sparse.csr_matrix(sparse.diags(have.astype(float)) @ taken)

        return {
            "n_responses": dense(self.n_responses, 0),
            "streak": dense(self.streak, 0),
            "last_practiced": dense(self.last_practiced, np.nan),
            "progress": np.where(
                have[:, None],
                learning_progress(dense(self.outcomes, 0), dense(self.n_responses, 0), self.window),
                0.0,
            ),
            "completed": rows_of(self.completed),
            "recent": rows_of(self.recent),
        }

    def first_answers(
        self, student_ids, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """These students' first answer on each skill they answered: (position in
        `student_ids`, catalog skill code, 0/1), as `History.first_answers` holds them."""
        rows = self.rows(student_ids) if rows is None else np.asarray(rows, dtype=np.int64)
        have = np.flatnonzero(rows >= 0)
        at, codes = np.nonzero(self.first_correct[rows[have]] >= 0)
        return have[at], codes, self.first_correct[rows[have][at], codes].astype(np.int64)

    # -- snapshot --------------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """Every field as a plain array (sparse parts as CSR arrays): what `save` writes."""
        arrays = {
            "n_responses": self.n_responses,
            "last_practiced": self.last_practiced,
            "streak": self.streak,
            "outcomes": self.outcomes,
            "first_correct": self.first_correct,
            "window": np.asarray(self.window),
        }
        for name in ("completed", "recent"):
            m = sparse.csr_matrix(getattr(self, name))
            m.sort_indices()
            arrays[f"{name}_indptr"] = m.indptr.astype(np.int64)
            arrays[f"{name}_indices"] = m.indices.astype(np.int32)
            arrays[f"{name}_shape"] = np.asarray(m.shape, np.int64)
        return arrays

    def save(self, path: str | Path) -> None:
        """One `.npz`, written atomically (ids as unicode, sparse parts as CSR arrays)."""
        buf = io.BytesIO()
        np.savez(buf, students=np.asarray(self.students, dtype=np.str_), **self.arrays())
        atomic_write_bytes(Path(path), buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> StudentHistory:
        try:
            with np.load(path, allow_pickle=False) as d:
                mats = {
                    name: sparse.csr_matrix(
                        (
                            np.ones(len(d[f"{name}_indices"]), bool),
                            d[f"{name}_indices"],
                            d[f"{name}_indptr"],
                        ),
                        shape=tuple(d[f"{name}_shape"]),
                    )
                    for name in ("completed", "recent")
                }
                return cls(
                    students=[str(s) for s in d["students"]],
                    n_responses=d["n_responses"],
                    last_practiced=d["last_practiced"],
                    streak=d["streak"],
                    outcomes=d["outcomes"],
                    window=int(d["window"]),
                    first_correct=d.get("first_correct"),
                    **mats,
                )
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise ArtifactError(f"{path}: not a readable history snapshot ({exc})") from exc


def learning_progress(outcomes: np.ndarray, n_responses: np.ndarray, window: int) -> np.ndarray:
    """Progress from the outcome bits: mean of the newest `window` minus the `window` before."""
    count = np.minimum(n_responses, 2 * window)
    n_recent = np.minimum(count, window)
    n_older = count - n_recent
    recent = np.bitwise_count(outcomes & _mask(window)).astype(float)
    older = np.bitwise_count((outcomes >> np.uint64(window)) & _mask(window)).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = recent / n_recent - older / n_older
    return np.where((n_recent > 0) & (n_older > 0), value, 0.0)


def _mask(bits: int) -> np.uint64:
    return np.uint64((1 << bits) - 1)


def _outcome_bits(log: ResponseLog, ids: pd.Index, catalog: Catalog, window: int) -> np.ndarray:
    """(len(ids), S) uint64: each (student, skill)'s last 2*window outcomes in this log, newest
    in bit 0 (numpy only: one stable sort by (student, skill) keeps time order inside)."""
    rows, skill_codes = log.exploded()
    r = log.student[rows].astype(np.int64)  # ids are log.students in code order
    s = catalog.skill_index.astype(str).get_indexer(log.skills.astype(str))[skill_codes]
    keep = s >= 0
    r, s, c = r[keep], s[keep], log.correct[rows][keep].astype(np.uint64)
    n_s = len(catalog.skills)
    out = np.zeros((len(ids), n_s), np.uint64)
    if not len(r):
        return out
    pair = r * n_s + s
    order = np.argsort(pair, kind="stable")
    pair, c = pair[order], c[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    sizes = np.diff(np.r_[starts, len(pair)])
    pos = np.repeat(starts + sizes, sizes) - 1 - np.arange(len(pair))  # 0 = the newest
    recent = pos < 2 * window
    bits = c[recent] << pos[recent].astype(np.uint64)
    np.bitwise_or.at(out.reshape(-1), pair[recent], bits)
    return out


def _set_rows(m: sparse.csr_matrix, rows: np.ndarray, values: sparse.spmatrix) -> sparse.csr_matrix:
    """A bool copy of `m` whose given (unique) rows are replaced by the non-zeros of `values`."""
    keep = np.ones(m.shape[0])
    keep[rows] = 0.0
    values = sparse.coo_matrix(values)
    nz = values.data != 0
    placed = sparse.csr_matrix(
        (np.ones(nz.sum()), (rows[values.row[nz]], values.col[nz])), shape=m.shape
    )
    kept = sparse.diags(keep) @ sparse.csr_matrix(m, dtype=np.float64)
    return sparse.csr_matrix((kept + placed) > 0)
