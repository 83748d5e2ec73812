"""Where a student stands in the curriculum: one latent position, read from a few answers.

A grade's skills are taught in prerequisite order, one grade after the other, so what a student
knows is, to a first approximation, everything before some point of that sequence: a fourth
grader a third of the way through the year knows the earlier grades and the first third of their
own. `CurriculumLevel` models exactly that, with noise:

- **Positions.** A skill's position is its grade plus its place in its grade's prerequisite order
  (`position_in_grade`: 0 for the grade's shallowest skills, 1 for its deepest). Skills without a
  grade have no position and are not modelled.
- **The student's point t.** A student knows a skill before t with P = 1 - `noise` and one after it
  with P = `noise` (gaps and head starts).
- **Prior of t.** Read from the grade table (`GradeTable`): P(known) of a skill at grade gap k and
  position p is the chance that t lies beyond it, so the table's values, rescaled by the noise and
  made non-increasing, are the survival function of t around the student's grade. The grid runs
  from `LOW` to `HIGH` grades around it, `STEP` apart.
- **Answers.** P(correct | known) = 1 - slip, P(correct | not) = guess (`AnswerModel`), so an
  answer multiplies each grid point's weight by its likelihood: a correct answer on a late skill
  moves t past it, which raises every skill before it, on any branch of the map, and a wrong one
  on an early skill pulls t back. The graph's edges are in the positions (a prerequisite comes
  earlier), not in pairwise links. An answered skill's belief is read from t like any other:
  on the generated graphs, Bayes on the skill's own answer as well lowered the placement's AUC
  after 10 questions (pooled 0.9708 -> 0.9670 and 0.9675 -> 0.9619 on seeds 0 and 1), because
  an answer is noisier (a known skill slipped, an unknown one guessed: ~25%) than the curriculum's
  order is (~5% gaps): one slip does not undo what the other answers place.

Everything depends on the student's posterior only through W(s) = P(t > position of s), read from a
tail sum of the grid weights, so a question's choice and the placed beliefs cost O(skills + grid)
per student; `experiments/bench_diagnostic.py` measures them on the 835-skill Junyi map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adaptive.curriculum import Catalog
from adaptive.errors import ConfigError
from adaptive.placement.prior import GradeTable, position_in_grade

#: The grid of the student's point t, in grades relative to their own grade.
LOW, HIGH, STEP = -4.0, 3.0, 1.0 / 12.0
#: P(known) of a skill on the wrong side of t (chosen on the generated graphs,
#: `experiments/tune_diagnostic.py`; Junyi held out).
DEFAULT_NOISE = 0.1
#: Share of the prior of t spread evenly over the whole grid: students ahead of (or behind) what
#: the grade table allows. Without it the table's zeros (no P(known) above the noise beyond the
#: grade) were certainties no answer could move: a second grader who answered every question of
#: their grade's last skills right stayed placed at the noise floor on them.
SPREAD = 0.02
_TINY = 1e-12


@dataclass(frozen=True)
class CurriculumLevel:
    """One catalog's skill positions and the prior grid of a student's point (see the module).

    Attributes
    ----------
    position : (S,) grade + place in the grade; NaN for skills without a grade.
    offsets : (G,) grid of t minus the student's grade.
    log_prior : (G,) log prior weight of each grid point.
    noise : P(known) on the wrong side of t.
    """

    position: np.ndarray
    offsets: np.ndarray
    log_prior: np.ndarray
    noise: float

    @classmethod
    def of(
        cls, catalog: Catalog, table: GradeTable | None = None, noise: float = DEFAULT_NOISE
    ) -> CurriculumLevel:
        if not 0.0 < noise < 0.5:
            raise ConfigError(f"level noise {noise}: expected a number in (0, 0.5)")
        position = catalog.skill_grades + position_in_grade(catalog)
        offsets, prior = _prior_of_point(table or GradeTable(), noise)
        return cls(position, offsets, np.log(prior), float(noise))

    @property
    def modelled(self) -> np.ndarray:
        """(S,) True for the skills with a position (a grade)."""
        return ~np.isnan(self.position)

    def start(self, n_students: int) -> np.ndarray:
        """(n, G) log weights of each student's point: the prior."""
        return np.broadcast_to(self.log_prior, (n_students, len(self.offsets))).copy()

    def beyond(self, log_weights: np.ndarray, grades: np.ndarray) -> np.ndarray:
        """(n, S) W = P(t > the skill's position) of each student and skill (0 without one)."""
        w = np.exp(log_weights - log_weights.max(axis=1, keepdims=True))
        tail = np.cumsum(w[:, ::-1], axis=1)[:, ::-1]  # tail[:, i] = sum of w[:, i:]
        tail = np.concatenate([tail, np.zeros((len(w), 1))], axis=1) / tail[:, :1]
        return np.take_along_axis(tail, self._cells(grades), axis=1)

    def _cells(self, grades: np.ndarray, codes: np.ndarray | None = None) -> np.ndarray:
        """First grid index whose point lies beyond each skill (len(offsets) where none does,
        as for a skill without a position)."""
        g = np.asarray(grades, np.float64)
        rel = self.position[None, :] - g[:, None] if codes is None else self.position[codes] - g
        return np.searchsorted(self.offsets, np.nan_to_num(rel, nan=np.inf), side="right")

    def known(self, beyond: np.ndarray) -> np.ndarray:
        """P(known) of skills with W = `beyond`."""
        return self.noise + (1.0 - 2.0 * self.noise) * beyond

    def absorb(
        self,
        log_weights: np.ndarray,
        grades: np.ndarray,
        codes: np.ndarray,
        correct: np.ndarray,
        guess: np.ndarray,
        slip: np.ndarray,
    ) -> None:
        """Multiply each grid point's weight by the likelihood of each row's answer (in place)."""
        right_if_known = 1.0 - slip
        hi = guess + (right_if_known - guess) * (1.0 - self.noise)  # t beyond the skill
        lo = guess + (right_if_known - guess) * self.noise
        ok = np.asarray(correct, bool)
        like_hi = np.log(np.where(ok, hi, 1.0 - hi))
        like_lo = np.log(np.where(ok, lo, 1.0 - lo))
        cells = self._cells(grades, codes)
        beyond = np.arange(len(self.offsets))[None, :] >= cells[:, None]
        log_weights += np.where(beyond, like_hi[:, None], like_lo[:, None])
        log_weights -= log_weights.max(axis=1, keepdims=True)

    def information(
        self, log_weights: np.ndarray, grades: np.ndarray, guess: np.ndarray, slip: np.ndarray
    ) -> np.ndarray:
        """(n, S) mutual information (nats) between each skill's answer and the student's point:
        how much asking it would tell about where the student stands."""
        beyond = self.beyond(log_weights, grades)
        hi = guess + (1.0 - slip - guess) * (1.0 - self.noise)
        lo = guess + (1.0 - slip - guess) * self.noise
        p_correct = lo + (hi - lo) * beyond
        expected = beyond * _bernoulli_entropy(hi) + (1.0 - beyond) * _bernoulli_entropy(lo)
        return np.where(self.modelled, _bernoulli_entropy(p_correct) - expected, 0.0)


def _prior_of_point(table: GradeTable, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Grid offsets and prior weights of t: the table's P(known), rescaled by the noise and made
    non-increasing, is P(t beyond) at each offset (a skill at gap k, place p sits at k + p)."""
    edges = np.arange(LOW, HIGH + STEP / 2, STEP)  # cell boundaries
    gap = np.floor(edges).astype(np.int64)
    p_known = table.lookup(gap).astype(np.float64)
    if table.own_grade is not None:
        own = gap == 0
        p_known[own] = table.own_grade_line(edges[own] - gap[own])
    survival = np.clip((p_known - noise) / (1.0 - 2.0 * noise), 0.0, 1.0)
    survival = np.minimum.accumulate(survival)
    mass = -np.diff(np.r_[1.0, survival, 0.0])  # below the grid, each cell, above it
    offsets = np.r_[edges[0] - STEP / 2, edges[:-1] + STEP / 2, edges[-1] + STEP / 2]
    mass = (1.0 - SPREAD) * mass / mass.sum() + SPREAD / len(mass)
    return offsets, mass


def _bernoulli_entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _TINY, 1.0 - _TINY)
    return -(p * np.log(p) + (1.0 - p) * np.log1p(-p))
