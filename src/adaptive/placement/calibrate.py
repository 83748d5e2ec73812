"""The grade table read from a district's own training log: where its students start.

A student without history is placed from their grade (`GradeTable`: P(known) by grade gap, and a
line along the own grade). The default table's values are round guesses, the same for every
district: its own grade runs from 0.7 on the grade's first skills to 0.1 on its last, as where
a grade is taught in order and half the year has passed. A district whose students know their
grade's skills scattered, or know less of it, is placed wrong from the first day, and every
student's first weeks go to undoing it (issue 16: on the district simulators, whose own-grade
knowledge is flat at about 0.36, the default's slope cost a cold cohort 0.19 skills of 1.74
after 50 activities).

`fit_grade_table` reads each student's first answer on each skill of a training log (where they
stood, before practice taught them), with their grade from the profiles, and estimates:

- **each grade gap's P(known)**: a first answer is right with P = guess + (1 - guess - slip) x
  P(known), so P(known) is the least-squares fit of (right - guess) on (1 - guess - slip), each
  skill's guess and slip from the model where it has them (BKT), else the level model's
  defaults;
- **the own grade's line** from its first skills to its last (`position_in_grade`), the same fit
  with two values, so a grade taught in order keeps its slope and a scattered one comes out
  flat.

Each value is shrunk toward the table it starts from (the default, or one given) by
`PRIOR_ANSWERS` answers' worth, so a gap the log hardly reaches keeps the given value and one it
reaches often is the log's. The values are then made non-increasing with the gap (a pooled fit
of the gaps out of order) and the line's first end kept at or above its last, as `GradeTable`
requires. A training log of curriculum practice reaches mostly the students' own grade, so that
is what it moves; the earlier grades keep the given table's values where no student answered
them first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.data.log import ResponseLog
from adaptive.placement.diagnostic import AnswerModel
from adaptive.placement.level import DEFAULT_GUESS, DEFAULT_SLIP, first_answers
from adaptive.placement.prior import GradeTable, position_in_grade, profile_list

#: How many first answers' worth of weight the starting table's value keeps in each estimate
#: (a gap answered 50 times first moves half-way from the default to the log's value).
PRIOR_ANSWERS = 50.0
#: A fitted P(known) stays this far inside [0, 1]: no student is placed certain from a grade.
P_BOUNDS = (0.01, 0.99)


def fit_grade_table(
    catalog: Catalog,
    log: ResponseLog,
    profiles: Mapping[str, LearnerProfile] | Sequence[LearnerProfile],
    answers: AnswerModel | None = None,
    start: GradeTable | None = None,
) -> GradeTable:
    """The grade table of the students of `log` (see the module): `start`'s values (None: the
    default table) moved toward what their first answers say, gap by gap and along the own
    grade. `answers`: each skill's guess and slip (None: the level model's defaults,
    `answer_model`). A log without first answers of profiled students with a grade returns
    `start` unchanged."""
    start = start if start is not None else GradeTable()
    answers = answers if answers is not None else answer_model(catalog)
    grade_of = {p.student_id: p.grade for p in profile_list(profiles) if p.grade is not None}
    student, skill, right = first_answers(log, catalog)
    ids = np.asarray(log.students, dtype=object)
    grade = np.array([grade_of.get(s, np.nan) for s in ids], np.float64)[student]
    gap = catalog.skill_grades[skill] - grade
    read = ~np.isnan(gap)
    if not read.any():
        return start
    gap, skill, right = gap[read].astype(np.int64), skill[read], right[read]
    spread = 1.0 - answers.guess[skill] - answers.slip[skill]  # what knowing adds to P(right)
    excess = right - answers.guess[skill]
    weight_of_prior = PRIOR_ANSWERS * float(np.mean(spread**2))
    gaps = np.array(sorted(set(start.by_gap) | set(np.unique(gap).tolist())), np.int64)
    value, weight = _gap_estimates(gaps, gap, spread, excess, start, weight_of_prior)
    value = _non_increasing(value, weight)
    by_gap = {int(g): round(float(v), 4) for g, v in zip(gaps, value, strict=True)}
    own = gap == 0
    line = _own_line(
        position_in_grade(catalog)[skill[own]], spread[own], excess[own], start,
        by_gap[0], weight_of_prior,
    )  # fmt: skip
    return GradeTable(by_gap, line)


def answer_model(catalog: Catalog, model: object = None) -> AnswerModel:
    """Each skill's guess and slip as the fit reads a first answer: the model's own where it
    has them (a BKT model's `params_table`, its degenerate skills left out), else the level
    model's (`adaptive.placement.level`: how the district check reads a first answer)."""
    params = model if hasattr(model, "params_table") else None
    return AnswerModel.from_params(catalog, params, DEFAULT_GUESS, DEFAULT_SLIP, warn=False)


def _gap_estimates(
    gaps: np.ndarray,
    gap: np.ndarray,
    spread: np.ndarray,
    excess: np.ndarray,
    start: GradeTable,
    weight_of_prior: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each gap's P(known), the weighted least-squares fit shrunk toward `start`'s value, and
    its weight (the sum of squared spreads, plus the prior's)."""
    where = np.searchsorted(gaps, gap)
    num = np.bincount(where, spread * excess, len(gaps))
    den = np.bincount(where, spread**2, len(gaps))
    prior = start.lookup(gaps)
    value = (num + weight_of_prior * prior) / (den + weight_of_prior)
    return np.clip(value, *P_BOUNDS), den + weight_of_prior


def _non_increasing(value: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The weighted least-squares non-increasing sequence nearest `value` (pool adjacent
    violators): a gap out of order is pooled with its neighbour."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for v, w in zip(value, weight, strict=True):
        blocks.append([float(v), float(w), 1])
        while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
            m2, w2, n2 = blocks.pop()
            m1, w1, n1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    return np.concatenate([np.full(int(n), m) for m, _, n in blocks])


def _own_line(
    place: np.ndarray,
    spread: np.ndarray,
    excess: np.ndarray,
    start: GradeTable,
    own_value: float,
    weight_of_prior: float,
) -> tuple[float, float]:
    """The own grade's (first, last) P(known): the least-squares line over the places of the
    first answers, each end shrunk toward `start`'s line (its flat value where it has none);
    a line that rises along the grade is read flat at `own_value`."""
    first0, last0 = start.own_grade or (float(start.lookup(np.array([0]))[0]),) * 2
    x = np.stack([spread * (1.0 - place), spread * place], axis=1)
    gram = x.T @ x + weight_of_prior * np.eye(2)
    first, last = np.linalg.solve(gram, x.T @ excess + weight_of_prior * np.array([first0, last0]))
    first, last = np.clip([first, last], *P_BOUNDS)
    if first < last:
        first = last = own_value
    return round(float(first), 4), round(float(last), 4)


def start_sentence(table: GradeTable) -> str:
    """Where a model's students start, as `adaptive train` and the demo say it."""
    return (
        "Where new students start, read from the training log's first answers (P(known) by "
        f"grade): {table_words(table)}. A policy without a [grade_table] places students "
        "without history with it."
    )


def table_words(table: GradeTable) -> str:
    """The table as `adaptive train` says it: the own grade's line, then each gap's P(known)
    ("own grade 0.36 (its first skills) to 0.35 (its last); 1 grade below 0.88, ...")."""
    first, last = table.own_grade or (table.by_gap[0],) * 2
    parts = [f"own grade {first:.2f} (its first skills) to {last:.2f} (its last)"]
    for gap, p in sorted(table.by_gap.items()):
        if gap:
            side = "below" if gap < 0 else "above"
            parts.append(f"{abs(gap)} grade{'s' if abs(gap) > 1 else ''} {side} {p:.2f}")
    return "; ".join(parts)
