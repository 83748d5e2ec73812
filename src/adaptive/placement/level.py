"""Where a student stands in the curriculum: one latent position, read from a few answers.

A grade's skills are taught in prerequisite order, one grade after the other, so what a student
knows is, to a first approximation, everything before some point of that sequence: a fourth
grader a third of the way through the year knows the earlier grades and the first third of their
own. `CurriculumLevel` models exactly that, with noise:

- **Positions.** A skill's position is its grade plus its place in its grade's own prerequisite
  order (`curriculum_positions`: 0 for the grade's first skills, up to a cell short of the next
  grade for its deepest). Skills without a grade have no position and are not modelled.
- **The student's point t.** A student knows a skill behind t with P = 1 - `noise` and one ahead
  of it with P = `noise` (gaps and head starts). Locating t (`absorb`) and choosing the next
  question (`information`) use just these two values.
- **Far behind t.** The beliefs handed to the policy (`known`) read a skill a whole grade or more
  behind t as known with P = 1 - `noise` * `FAR_BEHIND_GAPS` (later grades practise it), so a
  student placed beyond the catalog's top knows its skills above the policy's `assumed_known`.
  Only `known` uses this value: the diagnostic's numbers (the AUCs quoted here, those of
  `experiments/bench_diagnostic.py`) were measured with `absorb` and `information` on the flat
  model, and using it there would change each answer's likelihood and so which questions are
  asked, which has not been measured.
- **The grid of t** covers the whole catalog, from its first grade to the end of its last, in
  `CELLS_PER_GRADE` cells a grade (and one cell before every skill, one after all of them), so a
  student can be placed anywhere in the curriculum, whatever their grade.
- **Prior of t.** Read from the grade table (`GradeTable`): P(known) of a skill at grade gap k and
  position p is the chance that t lies beyond it, so the table's values, rescaled by the noise and
  made non-increasing, are the survival function of t around the student's grade. The default
  table leaves nothing beyond the grade to t (its next-grade 0.1 is the noise), so `SPREAD` of
  the prior is spread over the curriculum around the grade (`_spread`): evenly from `LOW` to
  `HIGH` grades around it, and above `HIGH` thinning by e every `AHEAD_DECAY` grade to the end of
  the catalog, so a student far ahead of their grade rises with several correct answers. (The
  grid used to stop at `HIGH`: a third grader who answered 60 questions right stayed at 0.1 on
  every eighth-grade skill, the one just answered included.) Below `LOW` there is no spread:
  the slips of weak students would place them there. A student whose grade is past the
  catalog's end has it spread around that end instead, so their answers place them anywhere
  within `LOW` grades of it. Reaching students ahead costs a little
  on the Junyi simulator, where nobody is ahead of their grade but strong students answer
  unknown skills right, so their answers look like those of a student ahead and only the prior
  tells them apart (mean of seeds 0-3, pooled AUC after 10 questions 0.9703 -> 0.9700, after 20
  0.9696 -> 0.9687; the own grade's 0.8774 -> 0.8791 and 0.8946 -> 0.8958).
- **Answers.** P(correct | known) = 1 - slip, P(correct | not) = guess (`AnswerModel`), so an
  answer multiplies each grid point's weight by its likelihood: a correct answer on a late skill
  moves t past it, which raises every skill before it, on any branch of the map, and a wrong one
  on an early skill pulls t back. The graph's edges are in the positions (a prerequisite comes
  earlier), not in pairwise links. An answered skill's belief is read from t like any other:
  on the generated graphs, Bayes on the skill's own answer as well lowered the placement's AUC
  after 10 questions (pooled 0.9708 -> 0.9670 and 0.9675 -> 0.9619 on seeds 0 and 1), because
  an answer is noisier (a known skill slipped, an unknown one guessed: ~25%) than the curriculum's
  order is (~5% gaps): one slip does not undo what the other answers place.

Everything depends on the student's posterior only through W(s) = P(t > position of s) (and, in
`known`, the same a grade further on), read from a tail sum of the grid weights at the skill's
cell (computed once per catalog: the grid is the same for every student, only the prior depends
on the grade), so a question's choice and the placed beliefs cost O(skills + grid) per student;
`experiments/bench_diagnostic.py` measures them on the 835-skill Junyi map.

**Does a district's knowledge follow the curriculum order?** On the Junyi simulator it does (each
learner knows everything short of a depth), and a student's first answers on a few skills locate
what they know of all the others; where knowledge is scattered across a grade (the district
simulators), the same reading misplaces students (issue 16: a policy that read it everywhere
gained on Junyi, 0.98 -> 1.27 skills, and lost on the district families, 2.13 -> 1.85). So it is
measured, not assumed: `check_level` reads a training log's first answers in order, predicts each
from the level fed with the student's earlier ones and from their grade alone, and keeps the mean
gain in log-likelihood (`LevelFit`): the level is read where it predicts better (`holds`).
`placed` gives each student's point from all their first answers at once (the policy's reading,
`adaptive.policy.adapter`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.data.log import ResponseLog
from adaptive.errors import ArtifactError, ConfigError
from adaptive.placement.prior import (
    CELLS_PER_GRADE,
    GradeTable,
    curriculum_positions,
    profile_list,
)
from adaptive.school_year import norm_year_start, school_years

if TYPE_CHECKING:
    from adaptive.placement.calibrate import StartTable

#: Cells a grade of the grid of the student's point t.
STEP = 1.0 / CELLS_PER_GRADE
#: P(known) of a skill on the wrong side of t (chosen on the generated graphs,
#: `experiments/tune_diagnostic.py`; Junyi held out).
DEFAULT_NOISE = 0.1
#: Share of the prior of t spread over the curriculum around the student's grade: students ahead
#: of (or behind) what the grade table allows. Without it the table's zeros (no P(known) above the
#: noise beyond the grade) were certainties no answer could move: a second grader who answered
#: every question of their grade's last skills right stayed placed at the noise floor on them.
SPREAD = 0.02
#: The spread is even from LOW to HIGH grades around the student's grade (one grid cell more on
#: either side, as the grid of earlier versions had) ...
LOW, HIGH = -4.0, 3.0
#: ... and above HIGH thins by e with every this many grades (a third grader answering every
#: question right is asked fifth-grade skills within 15 questions, eighth-grade ones within 30;
#: 2 grades cost the typical Junyi student more AUC, 0.5 located students 3 grades ahead worse).
AHEAD_DECAY = 1.0
#: Gaps on a skill a whole grade or more behind the student's point, as a share of `noise`: later
#: grades practise the earlier ones, so far-behind skills are known with P = 1 - noise * this
#: (0.975 with the default noise). With the same 1 - noise for every skill behind the point, a
#: student who answered every question right up to the catalog's top was placed at a flat 0.9,
#: below the policy's `assumed_known` (0.95), and served the catalog's first grade. Only the
#: beliefs (`CurriculumLevel.known`) use it; locating the point and choosing questions do not.
FAR_BEHIND_GAPS = 0.25
#: P(wrong | known) and P(right | not known) of a practice answer as the policy reads a belief
#: (a belief without the model's P(correct) turns into one with them; a first answer moves the
#: level with them).
DEFAULT_SLIP = 0.1
DEFAULT_GUESS = 0.2
#: A district check decides from at least this many first answers (fewer: not measured).
MIN_CHECK_ANSWERS = 200
#: Students a district check reads at most (those first in a seeded order): a few thousand first
#: answers decide it (the gain is ~10 standard errors from 0 at 12,000 on the simulators).
CHECK_STUDENTS = 2000
#: A district check holds where the gain exceeds this many standard errors (`LevelFit.holds`).
HOLDS_AT_SE = 2.0
_TINY = 1e-12


#: A model.json's `grade_table` where the check read the grade with the table of `start`.
START_TABLE = "start"


@dataclass(frozen=True)
class LevelFit:
    """Whether a district's knowledge follows the curriculum order (see the module): the mean
    gain in log-likelihood (nats per first answer) of predicting each student's first answer on
    each skill from the level fed with their earlier first answers over their grade alone, on
    `answers` first answers of a training log (`check_level`), with the grade table that read
    the grade (`grade_table`): the level is read with the same table where the check holds,
    whatever table a policy places students with (None: not kept, as by a model saved before it
    was: read with the serving policy's table, as then). Not measured: NaN, 0. `start`: where
    the district's students start, read from the same first answers
    (`adaptive.placement.calibrate.StartTable`; None: not read, as by a model saved before it
    was): a policy without a grade table of its own places students without history with it
    (`adaptive.placement.prior.placement_table`), whatever table the check read."""

    gain: float = math.nan
    answers: int = 0
    se: float = math.nan  # the gain's standard error, clustered by student
    grade_table: GradeTable | None = None
    start: StartTable | None = None

    @property
    def holds(self) -> bool:
        """The level predicts a student's next skill better than their grade does: by more than
        `HOLDS_AT_SE` standard errors, on at least `MIN_CHECK_ANSWERS` first answers (a small
        district whose knowledge is scattered can gain by chance)."""
        return self.answers >= MIN_CHECK_ANSWERS and self.gain - HOLDS_AT_SE * self.se > 0.0

    def __str__(self) -> str:
        if self.answers < MIN_CHECK_ANSWERS:
            return f"not measured ({self.answers:,} first answers; {MIN_CHECK_ANSWERS} needed)"
        verdict = "follows" if self.holds else "does not follow"
        return (
            f"knowledge {verdict} the curriculum order ({self.gain:+.4f} +- {self.se:.4f} nats "
            f"per first answer over the grade alone, {self.answers:,} first answers)"
        )

    def policy_sentence(self) -> str:
        """The verdict and what the adaptive policy does with it, as `adaptive train` and the
        demo print it."""
        use = (
            "the adaptive policy reads each student's never-answered skills from their first "
            "answers on others"
            if self.holds
            else "the policy reads the model's placement"
        )
        return f"Curriculum order in the training log: {self}; {use}."

    def to_json(self) -> dict[str, Any]:
        """The values as a model.json holds them (NaN as null); the grade table only where one
        was kept (a model.json without it is of format 2, which older code reads), and as
        "start" where it is where students start (`start.table`: the check read the grade with
        the table fitted on the same first answers), which is then kept once."""
        values: dict[str, Any] = {
            "gain": None if math.isnan(self.gain) else self.gain,
            "se": None if math.isnan(self.se) else self.se,
            "answers": self.answers,
        }
        if self.grade_table is not None:
            same = self.start is not None and self.grade_table == self.start.table
            values["grade_table"] = START_TABLE if same else self.grade_table.to_dict()
        if self.start is not None:
            values["start"] = self.start.to_json()
        return values

    @classmethod
    def from_json(cls, value: object) -> LevelFit:
        """The inverse of `to_json`; None (saved before it was kept): not measured; without a
        grade table (saved before it was kept): None, the serving policy's table reads it."""
        if value is None:
            return cls()
        ok = (
            isinstance(value, dict)
            and {"gain", "se", "answers"}
            <= set(value)
            <= {"gain", "se", "answers", "grade_table", "start"}
            and all(value[k] is None or isinstance(value[k], int | float) for k in ("gain", "se"))
            and isinstance(value["answers"], int)
            and not isinstance(value["answers"], bool)
            and value["answers"] >= 0
        )
        if not ok:
            raise ArtifactError(
                f"model.json: fitted.curriculum_level = {value!r:.120}; expected "
                '{"gain": number or null, "se": number or null, "answers": integer >= 0, '
                '"grade_table": a grade table or null, "start": where students start}'
            )
        gain, se = (math.nan if value[k] is None else float(value[k]) for k in ("gain", "se"))  # type: ignore[index]
        from adaptive.placement.calibrate import StartTable  # it reads first answers as here

        start = value.get("start")  # type: ignore[union-attr]
        read = None if start is None else StartTable.from_json(start)
        table = value.get("grade_table")  # type: ignore[union-attr]
        if table == START_TABLE:
            if read is None:
                raise ArtifactError(
                    f'model.json: fitted.curriculum_level.grade_table = "{START_TABLE}" without '
                    'a "start": expected where students start beside it, or a grade table'
                )
            return cls(gain, int(value["answers"]), se, read.table, read)  # type: ignore[index]
        try:
            grade_table = None if table is None else GradeTable.from_dict(table)
        except ConfigError as exc:
            raise ArtifactError(f"model.json: fitted.curriculum_level.grade_table: {exc}") from None
        return cls(gain, int(value["answers"]), se, grade_table, read)  # type: ignore[index]


@dataclass(frozen=True)
class CurriculumLevel:
    """One catalog's skill positions and the grid of a student's point (see the module).

    Attributes
    ----------
    position : (S,) grade + place in the grade; NaN for skills without a grade.
    edges : (G - 1,) boundaries of the G grid cells of t (curriculum positions, whole catalog).
    cells : (S,) first grid cell beyond each skill's position (G for a skill without one).
    far_cells : (S,) first grid cell a whole grade beyond it (`FAR_BEHIND_GAPS`), at most the
        cell after all skills: a student beyond the catalog is far beyond every skill of it.
    table : the grade table the prior of t is read from.
    noise : P(known) on the wrong side of t.
    """

    position: np.ndarray
    edges: np.ndarray
    cells: np.ndarray
    far_cells: np.ndarray
    table: GradeTable
    noise: float
    _log_priors: dict[float, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(
        cls, catalog: Catalog, table: GradeTable | None = None, noise: float = DEFAULT_NOISE
    ) -> CurriculumLevel:
        if not 0.0 < noise < 0.5:
            raise ConfigError(f"level noise {noise}: expected a number in (0, 0.5)")
        if np.isnan(catalog.skill_grades).all():
            raise ConfigError(
                "curriculum level: no skill of the catalog has a grade, so none has a place in "
                "the curriculum's sequence; give the skills their grades"
            )
        position = curriculum_positions(catalog)
        edges = _edges(position)
        centres = np.r_[edges[0] - STEP / 2, (edges[:-1] + edges[1:]) / 2, edges[-1] + STEP / 2]
        cells = np.searchsorted(centres, np.nan_to_num(position, nan=np.inf), side="right")
        far = np.searchsorted(centres, np.nan_to_num(position + 1.0, nan=np.inf), side="right")
        far = np.where(cells < len(centres), np.minimum(far, len(centres) - 1), far)
        return cls(position, edges, cells, far, table or GradeTable(), float(noise))

    @property
    def modelled(self) -> np.ndarray:
        """(S,) True for the skills with a position (a grade)."""
        return ~np.isnan(self.position)

    def start(self, grades: np.ndarray) -> np.ndarray:
        """(n, G) log weights of each student's point: the prior of their grade (flat for a
        NaN grade)."""
        grades = np.asarray(grades, np.float64)
        if not len(grades):
            return np.zeros((0, len(self.edges) + 1))
        if len(grades) == 1:  # one student (a vendor's request): no grouping by grade
            return self.log_prior(grades[0])[None, :].copy()  # the cached prior stays as it is
        unique, inverse = np.unique(grades, return_inverse=True)
        return np.stack([self.log_prior(g) for g in unique])[inverse.reshape(-1)]

    def log_prior(self, grade: float) -> np.ndarray:
        """(G,) log prior weights of the point of a student in `grade` (cached per grade)."""
        key = float(grade)
        cached = self._log_priors.get(key)
        if cached is None:
            if np.isnan(key):
                cached = np.full(len(self.edges) + 1, -np.log(len(self.edges) + 1))
            else:
                with np.errstate(divide="ignore"):  # no spread far below: weight 0, log -inf
                    cached = np.log(_prior_of_point(self.edges, key, self.table, self.noise))
            self._log_priors[key] = cached
        return cached

    def beyond(self, log_weights: np.ndarray) -> np.ndarray:
        """(n, S) W = P(t > the skill's position) of each student and skill (0 without one)."""
        return _tails(log_weights)[:, self.cells]

    def known(self, log_weights: np.ndarray) -> np.ndarray:
        """(n, S) P(known) of each student and skill: `noise` ahead of the student's point,
        1 - noise behind it, 1 - noise * `FAR_BEHIND_GAPS` a whole grade or more behind it (the
        far-behind value is for these beliefs only; see the module)."""
        tail = _tails(log_weights)
        behind, far = tail[:, self.cells], tail[:, self.far_cells]
        closing = self.noise * (1.0 - FAR_BEHIND_GAPS)  # the gaps far-behind skills have not
        return self.noise + (1.0 - 2.0 * self.noise) * behind + closing * far

    def absorb(
        self,
        log_weights: np.ndarray,
        codes: np.ndarray,
        correct: np.ndarray,
        guess: np.ndarray,
        slip: np.ndarray,
    ) -> None:
        """Multiply each grid point's weight by the likelihood of each row's answer (in place),
        with P(known) = 1 - noise behind t and noise ahead of it (no far-behind value: see the
        module)."""
        like_hi, like_lo = self._log_likelihoods(correct, guess, slip)
        beyond = np.arange(log_weights.shape[1])[None, :] >= self.cells[codes][:, None]
        log_weights += np.where(beyond, like_hi[:, None], like_lo[:, None])
        log_weights -= log_weights.max(axis=1, keepdims=True)

    def placed(
        self,
        grades: np.ndarray,
        rows: np.ndarray,
        codes: np.ndarray,
        correct: np.ndarray,
        guess: float = DEFAULT_GUESS,
        slip: float = DEFAULT_SLIP,
    ) -> np.ndarray:
        """(n, G) log weights of each student's point after all their answers at once (answer i:
        student `rows[i]`, skill `codes[i]`, 0/1 `correct[i]`; unmodelled skills say nothing):
        the product of the answers' likelihoods, as `absorb` one by one gives, in O(answers +
        n G) (each answer adds one value below its skill's cell and another from it on: a
        running sum along the grid)."""
        log_weights = self.start(grades)
        log_weights = log_weights + self._answers_log_likelihood(
            len(log_weights), rows, codes, correct, guess, slip
        )
        log_weights -= log_weights.max(axis=1, keepdims=True)
        return log_weights

    def log_evidence(
        self,
        grades: np.ndarray,
        rows: np.ndarray,
        codes: np.ndarray,
        correct: np.ndarray,
        guess: float = DEFAULT_GUESS,
        slip: float = DEFAULT_SLIP,
    ) -> np.ndarray:
        """(n,) log P(all of each student's answers) on `absorb`'s model, their point unknown
        beyond their grade's prior (arguments as `placed`): by the chain rule, the sum over the
        answers, in any order, of log P(the answer | the earlier ones)."""
        prior = self.start(grades)
        posterior = prior + self._answers_log_likelihood(
            len(prior), rows, codes, correct, guess, slip
        )
        return _log_sum_exp(posterior) - _log_sum_exp(prior)

    def p_correct(self, log_weights: np.ndarray, guess: float, slip: float) -> np.ndarray:
        """(n, S) P(right) of an answer on each skill on `absorb`'s model (a skill without a
        position: the mean of the two)."""
        beyond = _tails(log_weights)[:, self.cells]
        hi = guess + (1.0 - slip - guess) * (1.0 - self.noise)
        lo = guess + (1.0 - slip - guess) * self.noise
        return lo + (hi - lo) * beyond

    def _answers_log_likelihood(
        self,
        n: int,
        rows: np.ndarray,
        codes: np.ndarray,
        correct: np.ndarray,
        guess: float,
        slip: float,
    ) -> np.ndarray:
        """(n, G) log likelihood of each student's answers at each grid point (`placed`'s
        running sum; unmodelled skills say nothing)."""
        keep = self.modelled[codes]
        rows, codes = np.asarray(rows)[keep], np.asarray(codes)[keep]
        m = len(rows)
        like_hi, like_lo = self._log_likelihoods(
            np.asarray(correct)[keep], np.full(m, guess), np.full(m, slip)
        )
        steps = np.zeros((n, len(self.edges) + 2))
        np.add.at(steps[:, 0], rows, like_lo)
        np.add.at(steps, (rows, self.cells[codes]), like_hi - like_lo)
        return np.cumsum(steps, axis=1)[:, :-1]

    def _log_likelihoods(
        self, correct: np.ndarray, guess: np.ndarray, slip: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """log P(answer) with the student's point beyond the skill and short of it."""
        right_if_known = 1.0 - slip
        hi = guess + (right_if_known - guess) * (1.0 - self.noise)  # t beyond the skill
        lo = guess + (right_if_known - guess) * self.noise
        ok = np.asarray(correct, bool)
        return np.log(np.where(ok, hi, 1.0 - hi)), np.log(np.where(ok, lo, 1.0 - lo))

    def information(
        self, log_weights: np.ndarray, guess: np.ndarray, slip: np.ndarray
    ) -> np.ndarray:
        """(n, S) mutual information (nats) between each skill's answer and the student's point:
        how much asking it would tell about where the student stands (on `absorb`'s model)."""
        beyond = self.beyond(log_weights)
        hi = guess + (1.0 - slip - guess) * (1.0 - self.noise)
        lo = guess + (1.0 - slip - guess) * self.noise
        p_correct = lo + (hi - lo) * beyond
        expected = beyond * _bernoulli_entropy(hi) + (1.0 - beyond) * _bernoulli_entropy(lo)
        return np.where(self.modelled, _bernoulli_entropy(p_correct) - expected, 0.0)


def _tails(log_weights: np.ndarray) -> np.ndarray:
    """(n, G + 1) P(t in cell i or beyond) of each student, 0 past the last cell."""
    w = np.exp(log_weights - log_weights.max(axis=1, keepdims=True))
    tail = np.cumsum(w[:, ::-1], axis=1)[:, ::-1]  # tail[:, i] = sum of w[:, i:]
    return np.concatenate([tail, np.zeros((len(w), 1))], axis=1) / tail[:, :1]


def _edges(position: np.ndarray) -> np.ndarray:
    """Cell boundaries of t: `CELLS_PER_GRADE` a grade from the first graded skill's grade to the
    end of the last one's (exact at whole grades: a grade's first edge is its number)."""
    graded = position[~np.isnan(position)]
    first, last = int(np.floor(graded.min())), int(np.floor(graded.max())) + 1
    return np.arange(first * CELLS_PER_GRADE, last * CELLS_PER_GRADE + 1) / CELLS_PER_GRADE


def _prior_of_point(edges: np.ndarray, grade: float, table: GradeTable, noise: float) -> np.ndarray:
    """(G,) prior weights of t for a student in `grade`: the table's P(known) at each cell edge (a
    skill at gap k, place p sits at grade + k + p), rescaled by the noise and made non-increasing,
    is P(t beyond) there; `SPREAD` of the mass is spread as `_spread` says, around the grade or,
    for a grade past the catalog's end, around that end: a twelfth grader on a grade 3-6 catalog
    (or a "12" typed for "2") had no spread on any of its cells, and fifteen wrong answers out of
    fifteen left every skill placed at 0.98."""
    rel = edges - grade
    spread_rel = edges - min(grade, float(edges[-1]))
    gap = np.floor(rel).astype(np.int64)
    p_known = table.lookup(gap).astype(np.float64)
    if table.own_grade is not None:
        own = gap == 0
        p_known[own] = table.own_grade_line(rel[own] - gap[own])
    survival = np.clip((p_known - noise) / (1.0 - 2.0 * noise), 0.0, 1.0)
    survival = np.minimum.accumulate(survival)
    mass = -np.diff(np.r_[1.0, survival, 0.0])  # before the first edge, each cell, after the last
    spread = np.diff(_spread(np.r_[-np.inf, spread_rel, np.inf]))
    return (1.0 - SPREAD) * mass / mass.sum() + SPREAD * spread / spread.sum()


def _spread(rel: np.ndarray) -> np.ndarray:
    """Cumulative (unnormalised) spread of t at `rel` grades from the student's grade: even from
    LOW to HIGH (one cell more on either side), thinning by e every `AHEAD_DECAY` grade above."""
    low, high = LOW - STEP, HIGH + STEP
    above = np.clip(rel - high, 0.0, None)
    return np.clip(rel, low, high) - low + AHEAD_DECAY * -np.expm1(-above / AHEAD_DECAY)


def _bernoulli_entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _TINY, 1.0 - _TINY)
    return -(p * np.log(p) + (1.0 - p) * np.log1p(-p))


def check_level(
    catalog: Catalog,
    log: ResponseLog,
    profiles: Mapping[str, LearnerProfile] | Sequence[LearnerProfile],
    table: GradeTable | None = None,
    noise: float = DEFAULT_NOISE,
    seed: int = 0,
    roster_day: str | None = None,
    year_start: str | None = None,
) -> LevelFit:
    """Whether the knowledge in a training log follows the curriculum order (see the module).

    Each student's first answer on each catalog skill of a grade (the log's order) is predicted
    before it is read, from the level fed with the student's earlier first answers and from the
    level of their grade alone (the grade table's reading); the mean gain in log-likelihood over
    at most `CHECK_STUDENTS` profiled students with a grade (the first in a `seed`ed order) is
    the `LevelFit`. Later answers on a skill are left out: they tell what practice taught, not
    where the student stood. A student's gain adds up to the log-likelihood of all their first
    answers (the chain rule; answers are independent given the point), so it does not depend on
    their order: a log with dates only reads the same whatever the order of a day's rows (only
    which answer is first on a skill answered twice in a day follows the file). A catalog
    without graded skills measures nothing.

    A log of several school years is read as the placement table's fit reads it
    (`years_before_roster`: the profiles' grades are those of the school year of `roster_day`,
    None: of the log's latest answer; a school year starts on `year_start`): a student's first answers of each school year are
    predicted at the grade they were in that year, from a level of that year (a year of
    teaching moves the point), and their gains summed per student. Read at this year's grade,
    a senior's 9th-grade Algebra I answers were skills three grades below, which the grade
    alone called known and the level learnt from the first wrong one: a gain for the level
    that the district's knowledge did not earn."""
    grade_of = {p.student_id: p.grade for p in profile_list(profiles) if p.grade is not None}
    if np.isnan(catalog.skill_grades).all():
        return LevelFit()
    level = CurriculumLevel.of(catalog, table, noise)
    answer_rows, student, codes, correct = first_answer_rows(log, catalog)
    back, _ = years_before_roster(log, answer_rows, roster_day, year_start)
    modelled = level.modelled[codes]  # a skill without a grade has no place in the sequence
    student, codes, correct, back = (a[modelled] for a in (student, codes, correct, back))
    ids = np.asarray(log.students, dtype=object)
    graded = np.flatnonzero([s in grade_of for s in ids])
    chosen = np.random.default_rng(seed).permutation(graded)[:CHECK_STUDENTS]
    row_of = np.full(len(ids), -1)
    row_of[chosen] = np.arange(len(chosen))
    rows = row_of[student]
    keep = rows >= 0
    rows, codes, correct, back = rows[keep], codes[keep], correct[keep], back[keep]
    used = table if table is not None else GradeTable()  # kept: the level is read with it
    if len(rows) < MIN_CHECK_ANSWERS:
        return LevelFit(answers=int(len(rows)), grade_table=used)
    grades = np.array([grade_of[s] for s in ids[chosen]], np.float64)
    # per student and school year (a year's answers at that year's grade, one point a year):
    # each answer predicted from the level fed with the earlier ones sums to the
    # log-likelihood of them all (the chain rule), and from the grade alone to the sum of
    # each answer's own; summed per student (answers of one student are not independent)
    years = back - back.min()  # answers to read: at least MIN_CHECK_ANSWERS
    reading, unit = np.unique(rows * (int(years.max()) + 1) + years, return_inverse=True)
    unit = unit.reshape(-1)
    unit_student, unit_back = np.empty((2, len(reading)), np.int64)
    unit_student[unit], unit_back[unit] = rows, back
    unit_grades = grades[unit_student] - unit_back
    by_level = level.log_evidence(unit_grades, unit, codes, correct)
    grade_list, which = np.unique(unit_grades, return_inverse=True)
    p_grade = level.p_correct(level.start(grade_list), DEFAULT_GUESS, DEFAULT_SLIP)
    right = correct.astype(bool)
    by_grade = np.bincount(unit, _log_p(p_grade[which[unit], codes], right), len(reading))
    gain = np.bincount(unit_student, by_level - by_grade, len(chosen))
    answers = np.bincount(rows, minlength=len(chosen))
    mean = gain.sum() / answers.sum()
    m = int((answers > 0).sum())  # the students read: the standard error clusters by student
    se = np.sqrt(np.sum((gain - mean * answers) ** 2) * m / max(m - 1, 1)) / answers.sum()
    return LevelFit(float(mean), int(len(rows)), float(se), used)


def first_answers(log: ResponseLog, catalog: Catalog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(student code, catalog skill code, 0/1) of each student's first answer on each catalog
    skill, in the log's order (by student, then time); skills the catalog lacks are left out."""
    return first_answer_rows(log, catalog)[1:]


def first_answer_rows(
    log: ResponseLog, catalog: Catalog
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`first_answers`, each with its row of the log first (which item was answered)."""
    entries, catalog_code = catalog_entries(log, catalog)
    student = log.student[entries].astype(np.int64)
    _, first = np.unique(student * len(catalog.skills) + catalog_code, return_index=True)
    first.sort()  # back to the log's order
    rows = entries[first]
    return rows, student[first], catalog_code[first], log.correct[rows].astype(np.int8)


def years_before_roster(
    log: ResponseLog,
    rows: np.ndarray,
    roster_day: str | None = None,
    year_start: str | None = None,
) -> tuple[np.ndarray, int | None]:
    """How many school years each of `rows` of `log` was answered before the roster's (that of
    `roster_day`, None: of the log's latest answer; `adaptive.school_year`, vectorized), and the
    roster's school year (the calendar year it starts in). A school year starts on
    `year_start` ("MM-DD": a district's growth norm's, `train --norm`; None: the shipped
    norm's). A log without dates is all of the roster's year: zeros, and None."""
    if not log.has_timestamps or not len(log):
        return np.zeros(len(rows), np.int64), None
    times = log.time.view("datetime64[ns]")
    year_start = year_start or norm_year_start()
    roster = int(school_years(times.max() if roster_day is None else roster_day, year_start)[0])
    return roster - school_years(times[rows], year_start), roster


def catalog_entries(log: ResponseLog, catalog: Catalog) -> tuple[np.ndarray, np.ndarray]:
    """(row of the log, catalog skill code) of each (response, skill) entry of `log` on a
    skill of the catalog (a multi-skill response is one entry per skill), in the log's order."""
    entries, skill_codes = log.exploded()
    catalog_code = catalog.skill_index.get_indexer(pd.Index(log.skills))[skill_codes]
    known = catalog_code >= 0
    return entries[known], catalog_code[known]


def _log_p(p_right: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """log P(the answer given) of answers predicted right with `p_right`."""
    return np.log(np.where(correct, p_right, 1.0 - p_right))


def _log_sum_exp(log_weights: np.ndarray) -> np.ndarray:
    """(n,) log of the sum of each row's weights, exp taken after the row's largest is removed."""
    top = log_weights.max(axis=1, keepdims=True)
    return top[:, 0] + np.log(np.exp(log_weights - top).sum(axis=1))
