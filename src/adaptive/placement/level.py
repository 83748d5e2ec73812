"""Where a student stands in the curriculum: one latent position, read from a few answers.

A grade's skills are taught in prerequisite order, one grade after the other, so what a student
knows is, to a first approximation, everything before some point of that sequence: a fourth
grader a third of the way through the year knows the earlier grades and the first third of their
own. `CurriculumLevel` models exactly that, with noise:

- **Positions.** A skill's position is its grade plus its place in its grade's prerequisite order
  (`position_in_grade`: 0 for the grade's shallowest skills, 1 for its deepest). Skills without a
  grade have no position and are not modelled.
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
  the slips of weak students would place them there. Reaching students ahead costs a little
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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from adaptive.curriculum import Catalog
from adaptive.errors import ConfigError
from adaptive.placement.prior import GradeTable, position_in_grade

#: Cells a grade of the grid of the student's point t.
CELLS_PER_GRADE = 12
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
_TINY = 1e-12


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
        position = catalog.skill_grades + position_in_grade(catalog)
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
        right_if_known = 1.0 - slip
        hi = guess + (right_if_known - guess) * (1.0 - self.noise)  # t beyond the skill
        lo = guess + (right_if_known - guess) * self.noise
        ok = np.asarray(correct, bool)
        like_hi = np.log(np.where(ok, hi, 1.0 - hi))
        like_lo = np.log(np.where(ok, lo, 1.0 - lo))
        beyond = np.arange(log_weights.shape[1])[None, :] >= self.cells[codes][:, None]
        log_weights += np.where(beyond, like_hi[:, None], like_lo[:, None])
        log_weights -= log_weights.max(axis=1, keepdims=True)

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
    is P(t beyond) there; `SPREAD` of the mass is spread as `_spread` says."""
    rel = edges - grade
    gap = np.floor(rel).astype(np.int64)
    p_known = table.lookup(gap).astype(np.float64)
    if table.own_grade is not None:
        own = gap == 0
        p_known[own] = table.own_grade_line(rel[own] - gap[own])
    survival = np.clip((p_known - noise) / (1.0 - 2.0 * noise), 0.0, 1.0)
    survival = np.minimum.accumulate(survival)
    mass = -np.diff(np.r_[1.0, survival, 0.0])  # before the first edge, each cell, after the last
    spread = np.diff(_spread(np.r_[-np.inf, rel, np.inf]))
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
