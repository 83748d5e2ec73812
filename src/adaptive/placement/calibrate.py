"""The grade table read from a district's own training log: where its students start.

A student without history is placed from their grade (`GradeTable`: P(known) by grade gap, and a
line along the own grade). The default table's values are round guesses, the same for every
district: its own grade runs from 0.7 on the grade's first skills to 0.1 on its last, as where
a grade is taught in order and half the year has passed. A district whose students know their
grade's skills scattered, or know less of it, is placed wrong from the first day, and every
student's first weeks go to undoing it (issue 16: on the district simulators, whose own-grade
knowledge is flat at about 0.36, the default's slope cost a cold cohort 0.19 skills of 1.74
after 50 activities).

`fit_start_table` reads each student's first answer on each skill of a training log (where they
stood, before practice taught them), with the grade they were in when they gave it, and
estimates:

- **each grade gap's P(known)**: a first answer is right with P = guess + (1 - guess - slip) x
  P(known), so P(known) is the least-squares fit of (right - guess) on (1 - guess - slip), each
  skill's guess and slip from the model where it has them (BKT), else the level model's
  defaults, read as those of the skill's typical answer in the log and shifted on the logit
  scale by how much harder the activity answered first is than that (the catalog's
  `Activity.difficulty`, as the policy reads it): a district whose first attempt at a skill is
  its easiest version reads otherwise as knowing more than it does;
- **the own grade's line** from its first skills to its last (`position_in_grade`), the same fit
  with two values, so a grade taught in order keeps its slope and a scattered one comes out
  flat.

Each value is shrunk toward the table it starts from (the default, or one given) by
`PRIOR_ANSWERS` answers' worth, so a gap the log hardly reaches keeps the given value and one it
reaches often is the log's. The values are then made non-increasing with the gap (a pooled fit
of the gaps out of order) and the line's first end kept at or above its last, as `GradeTable`
requires. A training log of curriculum practice reaches mostly the students' own grade, so that
is what it moves; the earlier grades keep the given table's values where no student answered
them first, and the `StartTable` says which gaps were read, from how many first answers.

A log of several school years (a high school's: its seniors answered Algebra I in 9th grade,
three years before the roster) is read school year by school year. The profiles' grades are
those of the roster's school year: that of the log's latest answer (or of the day given,
`roster_day`, the training's date). An answer's grade is the profile's grade less the school
years between the answer's and the roster's (`years_before_roster`; a school year starts on
the growth norm's `year_start`, `adaptive.school_year`): a senior's first Algebra I answer of
three years ago is an own-grade answer of a 9th grader, not one of a skill three grades below.
The first answer of a student on a skill is their first in the whole log, whichever year it is
in, read at the grade of that year: a later year's answer on it follows the earlier year's
practice and tells nothing of where the student started. A student held back a year is read a
grade too high for the years before (the roster says nothing of it). A log without dates (an
`order` column) has no school years: every answer is read at the profile's grade.

The table is only as right as the grades read beside the log: a roster of another year (every
grade one too high) or one that misses many of the log's students reads a wrong table without an
error, so both are warned of (`PlacementWarning`): more than `UNPROFILED_SHARE` of the log's
students without a profile grade, or most first answers on skills of another grade than the
one the student was in when they answered (so a log of several years with its right roster says
nothing, and last year's roster beside this year's log is still warned of).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.data.log import ResponseLog
from adaptive.errors import ArtifactError, ConfigError, PlacementWarning
from adaptive.placement.diagnostic import AnswerModel
from adaptive.placement.level import (
    DEFAULT_GUESS,
    DEFAULT_SLIP,
    catalog_entries,
    first_answer_rows,
    years_before_roster,
)
from adaptive.placement.prior import GradeTable, position_in_grade, profile_list

#: How many first answers' worth of weight the starting table's value keeps in each estimate
#: (a gap answered 50 times first moves half-way from the default to the log's value).
PRIOR_ANSWERS = 50.0
#: A fitted P(known) stays this far inside [0, 1]: no student is placed certain from a grade.
P_BOUNDS = (0.01, 0.99)
#: A share of the log's students without a profile grade above this is warned of: the table is
#: read from the others' answers alone (a roster of another year or school?).
UNPROFILED_SHARE = 0.1


@dataclass(frozen=True)
class StartTable:
    """Where a district's students start, read from a training log (`fit_start_table`): the
    grade table, and how many first answers each grade gap was read from (a gap without any
    keeps the table it started from)."""

    table: GradeTable
    answers: Mapping[int, int]

    @property
    def read(self) -> bool:
        """Whether any first answer was read (else the table is the one it started from)."""
        return any(self.answers.values())

    def words(self) -> str:
        """The table as `adaptive train` says it: the own grade's line as placement uses it
        (kept between the neighbouring grades), then the grades below, then above, each with
        the first answers it was read from ("own grade 0.36 (its first skills) to 0.35 (its
        last), from 11,655 first answers; 1 grade below 0.88, no first answer read; ...; 1
        grade above 0.16, from 117 first answers")."""
        first, last = self.table.own_grade_line(np.array([0.0, 1.0]))
        parts = [f"own grade {first:.2f} (its first skills) to {last:.2f} (its last)"
                 + _read_from(self.answers.get(0, 0))]  # fmt: skip
        for gap, p in sorted(self.table.by_gap.items(), key=lambda kv: (kv[0] > 0, abs(kv[0]))):
            if gap:
                side = "below" if gap < 0 else "above"
                grades = f"{abs(gap)} grade{'s' if abs(gap) > 1 else ''} {side}"
                parts.append(f"{grades} {p:.2f}{_read_from(self.answers.get(gap, 0))}")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table.to_dict(),
            "answers": {str(g): int(n) for g, n in sorted(self.answers.items())},
        }

    @classmethod
    def from_json(cls, value: object) -> StartTable:
        """The inverse of `to_json` (a model.json's `fitted.curriculum_level.start`)."""
        where = "model.json: fitted.curriculum_level.start"
        if not (isinstance(value, dict) and set(value) == {"table", "answers"}):
            raise ArtifactError(
                f'{where} = {value!r:.120}; expected {{"table": ..., "answers": ...}}'
            )
        try:
            table = GradeTable.from_dict(value["table"])
            answers = {int(g): int(n) for g, n in dict(value["answers"]).items()}
        except (ConfigError, TypeError, ValueError) as exc:
            raise ArtifactError(f"{where}: {exc}") from None
        return cls(table, answers)


def _read_from(n: int) -> str:
    return f", from {n:,} first answer{'s' if n != 1 else ''}" if n else ", no first answer read"


def start_sentence(start: StartTable, policy_table: bool = False) -> str:
    """Where a model's students start, as `adaptive train` and the demo say it (`policy_table`:
    the policy file given to train has a table of its own, which places them while given)."""
    use = (
        "the policy file's [grade_table] places students without history instead while it is "
        "given; a policy without one places them with this"
        if policy_table
        else "a policy without a [grade_table] places students without history with it"
    )
    return (
        "Where new students start, read from the training log's first answers (P(known) by "
        f"grade): {start.words()}. {use[0].upper()}{use[1:]}."
    )


def fit_start_table(
    catalog: Catalog,
    log: ResponseLog,
    profiles: Mapping[str, LearnerProfile] | Sequence[LearnerProfile],
    answers: AnswerModel | None = None,
    start: GradeTable | None = None,
    roster_warnings: bool = True,
    roster_day: str | None = None,
    year_start: str | None = None,
) -> StartTable:
    """Where the students of `log` start (see the module): `start`'s values (None: the default
    table) moved toward what their first answers say, gap by gap and along the own grade.
    `answers`: each skill's guess and slip (None: the level model's defaults, `answer_model`).
    A log without first answers of profiled students with a grade reads nothing (`read`
    False: `start` unchanged). A roster that leaves many of the log's students out, or whose
    grades do not match the skills its students answered first, is warned of
    (`PlacementWarning`), unless `roster_warnings` is False (a caller whose roster names only
    the students it serves). Each first answer is read at the grade the student was in when
    they gave it (`years_before_roster`: the profiles are the grades of the school year of
    `roster_day`, None: of the log's latest answer; a school year starts on `year_start`, None:
    the shipped norm's)."""
    start = start if start is not None else GradeTable()
    answers = answers if answers is not None else answer_model(catalog)
    grade_of = {p.student_id: p.grade for p in profile_list(profiles) if p.grade is not None}
    row, student, skill, right = first_answer_rows(log, catalog)
    ids = np.asarray(log.students, dtype=object)
    by_student = np.array([grade_of.get(s, np.nan) for s in ids], np.float64)
    if roster_warnings:
        _warn_unprofiled(int(np.isnan(by_student).sum()), len(ids))
    back, roster_year = years_before_roster(log, row, roster_day, year_start)
    gap = catalog.skill_grades[skill] - (by_student[student] - back)  # the grade back then
    read = ~np.isnan(gap)
    if not read.any():
        return StartTable(start, {})
    gap, skill, right, row = gap[read].astype(np.int64), skill[read], right[read], row[read]
    if roster_warnings:
        _warn_other_grades(gap, back[read], roster_year)
    shift = relative_difficulty(log, catalog, row, skill)
    guess = _shifted(answers.guess[skill], shift)
    spread = _shifted(1.0 - answers.slip[skill], shift) - guess  # what knowing adds to P(right)
    excess = right - guess
    weight_of_prior = PRIOR_ANSWERS * float(np.mean(spread**2))
    # gap 0 always: the own grade's line is read there, with or without answers
    gaps = np.array(sorted(set(start.by_gap) | set(np.unique(gap).tolist()) | {0}), np.int64)
    value, weight = _gap_estimates(gaps, gap, spread, excess, start, weight_of_prior)
    # a gap out of order is pooled with its neighbour (weighted isotonic least squares;
    # imported here: scikit-learn costs every `import adaptive` 0.4 s, and only training fits)
    from sklearn.isotonic import isotonic_regression

    value = isotonic_regression(value, sample_weight=weight, increasing=False)
    by_gap = {int(g): round(float(v), 4) for g, v in zip(gaps, value, strict=True)}
    own = gap == 0
    line = _own_line(
        position_in_grade(catalog)[skill[own]], spread[own], excess[own], start,
        by_gap[0], weight_of_prior,
    )  # fmt: skip
    counts = np.bincount(np.searchsorted(gaps, gap), minlength=len(gaps))
    read_per_gap = {int(g): int(n) for g, n in zip(gaps, counts, strict=True)}
    return StartTable(GradeTable(by_gap, line), read_per_gap)


def _warn_unprofiled(unprofiled: int, students: int) -> None:
    """A warning where more than `UNPROFILED_SHARE` of the log's students have no grade."""
    if students and unprofiled > UNPROFILED_SHARE * students:
        warnings.warn(
            f"where new students start is read from the first answers of {students - unprofiled:,} "
            f"of the log's {students:,} students: {unprofiled:,} ({unprofiled / students:.0%}) "
            "have no profile with a grade (a roster of another year or school?)",
            PlacementWarning,
            stacklevel=4,
        )


def _warn_other_grades(gap: np.ndarray, back: np.ndarray, roster_year: int | None) -> None:
    """A warning where most first answers are on skills of another grade than the one the
    student was in when they answered (`back`: school years before the roster's): the roster's
    grades are likely another year's (last year's log read with this year's roster puts every
    answer a grade below), or, where the roster's own year's answers match and the earlier
    years' do not, the earlier answers' dates are a year off (`_earlier_years_off`)."""
    for side, away in (("below", gap < 0), ("above", gap > 0)):
        share = float(away.mean())
        if share > 0.5:
            earlier = back > 0
            own_year_matches = (~earlier).any() and float(away[~earlier].mean()) <= 0.5
            why = (
                _earlier_years_off(away, back, roster_year)
                if earlier.any() and own_year_matches and roster_year is not None
                else _roster_year_question(roster_year)
            )
            warnings.warn(
                f"where new students start: {share:.0%} of the first answers read are on "
                f"skills of a grade {side} the student's grade when they answered (the "
                f"profile's, less the school years since): {why}",
                PlacementWarning,
                stacklevel=4,
            )


def _earlier_years_off(away: np.ndarray, back: np.ndarray, roster_year: int) -> str:
    """Why most first answers of the school years before the roster's, and few of its own, are
    on another grade: the earlier answers dated a year off, or a school year the log skips
    (each year after the first answered one reads every earlier answer a grade lower)."""
    earlier = back > 0
    answered = set(np.unique(roster_year - back).tolist())
    skipped = [y for y in range(roster_year - int(back.max()), roster_year) if y not in answered]
    said = (
        f"{float(away[earlier].mean()):.0%} of those of the school years before the roster's "
        f"({_year_name(roster_year)}), {float(away[~earlier].mean()):.0%} of its own"
    )
    if skipped:
        names = ", ".join(_year_name(y) for y in skipped)
        return (
            f"{said}; no first answer is read in {names}: are the earlier answers dated a "
            "school year early?"
        )
    return f"{said}: are the earlier answers' dates those of the school year they were given in?"


def _roster_year_question(roster_year: int | None) -> str:
    """Whether the roster is of the school year its grades are read as (that of the log's
    latest answer, or of the day given; a log without dates: the log's)."""
    another = "(a roster of another school year: give a day of it, roster_day=DAY, `train --roster-date DAY`)"
    if roster_year is None:
        return f"are the roster's grades those of the log's year? {another}"
    return f"are the roster's grades those of the school year {_year_name(roster_year)}? {another}"


def _year_name(year: int) -> str:
    """A school year as a district says it: 2026 -> "2026-27"."""
    return f"{year}-{(year + 1) % 100:02d}"


def answer_model(catalog: Catalog, model: object = None) -> AnswerModel:
    """Each skill's guess and slip as the fit reads a first answer: the model's own where it
    has them (a BKT model's `params_table`, its degenerate skills left out), else the level
    model's (`adaptive.placement.level`: how the district check reads a first answer)."""
    params = model if hasattr(model, "params_table") else None
    return AnswerModel.from_params(catalog, params, DEFAULT_GUESS, DEFAULT_SLIP, warn=False)


def relative_difficulty(
    log: ResponseLog, catalog: Catalog, row: np.ndarray, skill: np.ndarray
) -> np.ndarray:
    """How much harder the activity of each `row` of `log` is (its item id is the activity's
    id; the catalog's `Activity.difficulty`, a logit shift) than the typical answer on its
    `skill` in the log (the mean over the skill's answers on catalog activities): what the
    skill's guess and slip, fitted on those answers, read as typical. A row whose item is no
    activity of the catalog is read as typical (0)."""
    code = catalog.activity_index.get_indexer(pd.Index(log.items))[log.item]
    on_catalog = code >= 0
    difficulty = np.where(on_catalog, catalog.activity_difficulty[code], 0.0)
    entries, entry_skill = catalog_entries(log, catalog)
    counted = on_catalog[entries]
    n = len(catalog.skills)
    total = np.bincount(entry_skill[counted], difficulty[entries[counted]], n)
    answered = np.bincount(entry_skill[counted], minlength=n)
    mean = np.where(answered > 0, total / np.maximum(answered, 1), 0.0)
    return np.where(on_catalog[row], difficulty[row] - mean[skill], 0.0)


def _shifted(p: np.ndarray, difficulty: np.ndarray) -> np.ndarray:
    """P(right) `p` on an activity `difficulty` logits harder (as `terms.activity_p_correct`)."""
    return expit(logit(np.clip(p, 1e-6, 1 - 1e-6)) - difficulty)


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
