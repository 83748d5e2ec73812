"""An adaptive placement diagnostic: a few questions, chosen by information, place every skill.

Like ALEKS's initial knowledge check: the student answers at most `max_questions` (default 15)
questions, one at a time; each is the skill whose answer is expected to tell the most (about where
the student stands, or about all skills), and each answer moves the beliefs of every skill it
bears on, not only its own.

    diag = PlacementDiagnostic(catalog, prior=profiles)        # grade prior (or a Placement)
    session = diag.start("s1")
    while (q := session.next_question()) is not None:          # q.skill, q.activity
        session.answer(ask_the_student(q), question=q.skill)   # 1 correct, 0 wrong
    placement = session.placement()       # "placed by diagnostic (15 questions)"
    placement = diag.run(ids, answer_fn)  # many students stepping together (simulation, nightly)
    placement = diag.replay("answers.csv")  # sessions run elsewhere: student_id, question, correct

An app serving a session across requests: a session may be shared by threads (each call holds
its lock, so two answers to one question absorb one and refuse the other); `answer(correct,
question=...)` names the question the student saw, so a retried request is refused (naming both
questions) rather than recorded on the next question; `session.to_dict()` is plain JSON data
and `diag.resume(**data)` restores the session after a restart (the same next question, the same
placement). A placement before any answer keeps the prior's source ("placed from grade 4").

Two belief models (chosen to be simple, fast and explainable; `model="auto"` picks per student):

- **Level** (`adaptive.placement.level`, for a student placed from their grade: a `Placement`
  with `grades`, as `grade_placement` and learner profiles give): one latent point t per student
  in the curriculum's sequence (grade, then prerequisite order inside the grade); skills before t
  are known, after it not, with noise. Its prior is the grade table read as a distribution of t,
  with a little of it spread ahead of the grade up to the end of the catalog, so a student ahead
  of their grade is located by several correct answers; each answer reweighs t, which moves
  *every* graded skill, on every branch of the map. The next
  question is the skill whose answer tells most about t (mutual information). On the generated
  graphs and on Junyi it ranks mastery better than the graph model after 10 questions
  (experiments/results/56_diagnostic.md), so it is the default wherever the student's grade and
  the skills' grades are known. Where knowledge is scattered across a grade rather than a prefix
  of its sequence (the district simulators there), the graph model places better.
- **Graph** (every other student, or `model="graph"`), below.

The graph model:

- **Beliefs.** One P(mastered) per (student, skill), starting from a prior `Placement` (the grade
  prior from profiles by default; skills it leaves NaN start at the population prior: the BKT
  `p_init` when `params` are given, else `default_prior`).
- **Answers.** P(correct | mastered) = 1 - slip, P(correct | not) = guess; per skill from a fitted
  BKT model's parameters when given (degenerate ones, guess + slip >= `MAX_NOISE`, fall back to
  the defaults with a warning), else `guess`/`slip`. The answered skill's belief moves by Bayes.
- **Propagation (Jeffrey's rule with a soft implication).** Mastering skill s implies, with
  strength w, mastering each of its ancestors a: P(a | s) = P(a) + w (1 - P(a)); not mastering s
  implies, with strength w, not mastering each descendant d: P(d | not s) = (1 - w) P(d). The
  other conditional of each pair follows from the current marginals (clipped to [0, 1]), and after
  an answer every related skill j becomes P(j | not s) + q (P(j | s) - P(j | not s)), q being the
  posterior of s. So a correct answer raises the ancestors towards q, a wrong one caps the
  descendants at about (1 - w) of their belief. The two secondary moves (a wrong answer lowering
  ancestors, a correct one raising descendants) follow from the same rule but rest on the pairwise
  independence of the marginals, which overstates them far along the graph (P(d | s) = P(d) / P(s)
  lifts skills two grades up after one correct answer); they are scaled by `secondary`, 0 by
  default (the one-way model: measured better), 1 = the full pairwise update.
- **Progression within a grade.** A grade's skills are taught in order (shallower in the
  prerequisite graph first), so the same soft implication, at `order_strength` (0.3), links a
  skill to the skills of its grade that come earlier without being its prerequisites: a correct
  answer raises those, a wrong one lowers the later ones. It reaches what the graph alone does
  not: own-grade skills on other branches of the map, where the grade prior is a tie.
- **Choice.** The next question is the not-yet-asked skill with the largest expected reduction of
  the total entropy of all beliefs (`criterion="entropy"`, Shannon; or `"variance"`, the sum of
  p (1 - p), cheaper), computed exactly for both answers over the skill's ancestor and descendant
  closure. Exact ties go to a fixed seeded order of the skills.

The closure is precomputed once per catalog as sorted (skill, related skill) pair lists, so
scoring every candidate is a few vectorized numpy passes over those pairs (about 120,000 on the
835-skill Junyi graph); `experiments/bench_diagnostic.py` measures the time per question.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.curriculum.profile import are_profiles, given_instead_of_profiles
from adaptive.data.codes import ZEROS_DROPPED, check_one_id, first_repeat, id_list
from adaptive.data.mapping import ColumnMapping
from adaptive.errors import (
    AdaptiveError,
    ConfigError,
    DataValidationError,
    PlacementWarning,
    batch_positions,
    closest_name,
    counted,
    expect_type,
    line_words,
    nth,
    one_spelling,
    some_of,
    verb,
)
from adaptive.placement.level import DEFAULT_NOISE, CurriculumLevel
from adaptive.placement.prior import GradeTable, Placement, grade_placement

if TYPE_CHECKING:
    from adaptive.placement.answers import AnswerSheet
    from adaptive.placement.table import Found

DEFAULT_MAX_QUESTIONS = 15
#: Defaults chosen on the generated 150-skill graph family (`synthetic_graph_catalog`), checked
#: on Junyi (experiments/bench_diagnostic.py): noisy answers (a weak student slips on a known
#: skill, a strong one guesses) hurt more than cautious updates cost, so guess and slip are
#: generous, propagation is soft and one-way (the secondary moves measured worse).
DEFAULT_GUESS = 0.3
DEFAULT_SLIP = 0.2
DEFAULT_STRENGTH = 0.7
DEFAULT_SECONDARY = 0.0
DEFAULT_ORDER_STRENGTH = 0.3
DEFAULT_PRIOR = 0.5
#: A skill whose fitted guess + slip reaches this tells little (or the reverse) from an answer:
#: its answers are modelled with the defaults instead (BKT fits such values on sparse logs).
MAX_NOISE = 0.8
_EPS = 1e-4  # beliefs are kept in [eps, 1 - eps]: no division by zero, no log(0)
_CHUNK_ELEMENTS = 1 << 17  # students x pairs scored at once: one Junyi student (cache-sized)

Criterion = Literal["entropy", "variance"]
Model = Literal["auto", "level", "graph"]
MODELS = ("auto", "level", "graph")
AnswerFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


class DiagnosticError(AdaptiveError, ValueError):
    """The diagnostic was used wrongly: unknown student, no pending question, answer not 0/1.

    Its message never names a student (an app that logs exceptions would write ids to its
    logs): it names the question, the count, the position in the batch or the saved answer."""


#: The keys of a saved session (`DiagnosticSession.to_dict`), as `resume` takes them; "prior"
#: only where the session was started with its own prior, "pending" where a question was
#: asked and not yet answered when it was saved.
SESSION_KEYS = ("student_id", "answers", "prior", "pending")


class _HasParamsTable(Protocol):
    def params_table(self) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Question:
    """The next question: a skill, and the catalog activity to ask it with (None if none)."""

    skill: str
    activity: str | None


@dataclass(frozen=True)
class AnswerModel:
    """Per-skill guess, slip and population prior, aligned with the catalog's skills."""

    guess: np.ndarray
    slip: np.ndarray
    p_init: np.ndarray

    @classmethod
    def from_params(
        cls,
        catalog: Catalog,
        params: pd.DataFrame | _HasParamsTable | None,
        guess: float = DEFAULT_GUESS,
        slip: float = DEFAULT_SLIP,
        default_prior: float = DEFAULT_PRIOR,
        warn: bool = True,
    ) -> AnswerModel:
        """Defaults everywhere, overridden per skill by a BKT params table (or fitted model).

        The table needs `skill`, `p_guess`, `p_slip` (and optionally `p_init`) columns, as
        `BKT.params_table()` gives. Skills it lacks keep the defaults, and so do skills whose
        fitted guess and slip are degenerate (said in a warning unless `warn` is False: a
        reader other than the diagnostic says it its own way, or need not).
        """
        for name, value in (("guess", guess), ("slip", slip), ("default_prior", default_prior)):
            if not 0.0 < value < 1.0:
                raise ConfigError(f"diagnostic {name} {value}: expected a number in (0, 1)")
        if guess + slip >= 1.0:
            raise ConfigError(f"diagnostic guess {guess} + slip {slip} >= 1: answers tell nothing")
        n = len(catalog.skills)
        g, s, p0 = np.full(n, guess), np.full(n, slip), np.full(n, default_prior)
        if params is None:
            return cls(g, s, p0)
        table = params.params_table() if hasattr(params, "params_table") else params
        if not isinstance(table, pd.DataFrame):
            raise ConfigError("diagnostic params: expected a BKT model or its params_table()")
        missing = {"skill", "p_guess", "p_slip"} - set(table.columns)
        if missing:
            raise ConfigError(f"diagnostic params: missing columns {sorted(missing)}")
        codes = catalog.skill_index.get_indexer(table["skill"].astype(str))
        known = codes >= 0
        tg = table["p_guess"].to_numpy(np.float64)[known]
        ts = table["p_slip"].to_numpy(np.float64)[known]
        ok = (tg + ts < MAX_NOISE) & (tg > 0) & (ts > 0) & (tg < 1) & (ts < 1)
        bad = table["skill"].astype(str).to_numpy()[known][~ok]
        if len(bad) and warn:
            warnings.warn(
                f"diagnostic: {len(bad)} skill(s) have degenerate fitted guess/slip "
                f"(guess + slip >= {MAX_NOISE}); their answers use guess {guess}, slip {slip}: "
                f"{', '.join(bad[:10])}{' ...' if len(bad) > 10 else ''}",
                stacklevel=2,
            )
        rows = codes[known][ok]
        g[rows], s[rows] = tg[ok], ts[ok]
        if "p_init" in table.columns:
            init = table["p_init"].to_numpy(np.float64)[known]
            p0[codes[known]] = np.clip(init, _EPS, 1 - _EPS)
        return cls(g, s, p0)

    def posteriors(self, p: np.ndarray, codes: np.ndarray | slice) -> tuple[np.ndarray, ...]:
        """P(correct), P(mastered | correct), P(mastered | wrong) of skills `codes` at beliefs p."""
        g, s = self.guess[codes], self.slip[codes]
        p_correct = g + p * (1.0 - s - g)
        q_right = p * (1.0 - s) / p_correct
        q_wrong = p * s / (1.0 - p_correct)
        return p_correct, q_right, q_wrong


@dataclass(frozen=True)
class _Pairs:
    """(asked skill, related skill) pairs of one direction, sorted by the asked skill.

    Laid out for speed: per-asked-skill values reach the pairs by `np.repeat` (contiguous), the
    related skill's belief by one gather, and sums go back per asked skill by `np.add.reduceat`.
    """

    up: bool  # True: related skills are ancestors (a correct answer raises them)
    related: np.ndarray  # (n_pairs,) intp, the related skill of each pair
    strength: np.ndarray  # (n_pairs,) float32, how strictly the implication holds
    counts: np.ndarray  # (n_skills,) pairs per asked skill
    nonempty: np.ndarray  # asked skills with at least one pair
    first: np.ndarray  # where each nonempty asked skill's pairs start

    @classmethod
    def of(cls, strength_matrix: np.ndarray, up: bool) -> _Pairs:
        src, tgt = np.nonzero(strength_matrix)  # row-major: sorted by the asked skill
        counts = np.bincount(src, minlength=len(strength_matrix))
        nonempty = np.flatnonzero(counts)
        first = (np.cumsum(counts) - counts)[nonempty]
        weight = strength_matrix[src, tgt].astype(np.float32)
        return cls(up, tgt.astype(np.intp), weight, counts, nonempty, first)


@dataclass(frozen=True)
class _Closure:
    """Which skills an answer informs, and how strongly: dense for updates, pair lists for
    scoring.

    `strength[s, a] > 0` when mastering s implies (softly) mastering a: a is a transitive
    prerequisite of s (`strength`), or a skill of the same grade taught earlier in its
    progression, shallower in the prerequisite graph, without being a prerequisite
    (`order_strength`): a grade's skills are taught in that order, so a student who masters
    one has likely met the ones taught before it, and one who does not has likely not met
    those after it.
    """

    strength: np.ndarray  # (n, n) float64

    @classmethod
    def of(cls, catalog: Catalog, strength: float, order_strength: float = 0.0) -> _Closure:
        n = len(catalog.skills)
        ancestors = catalog.prerequisite_closure & ~np.eye(n, dtype=bool)
        weights = np.where(ancestors, strength, 0.0)
        if order_strength > 0.0:
            weights = np.where(ancestors, weights, order_strength * _earlier_in_grade(catalog))
        return cls(weights)

    @cached_property
    def anc_pairs(self) -> _Pairs:
        return _Pairs.of(self.strength, up=True)

    @cached_property
    def desc_pairs(self) -> _Pairs:
        return _Pairs.of(np.ascontiguousarray(self.strength.T), up=False)

    @property
    def ancestors(self) -> np.ndarray:
        """(n, n) bool: ancestors[s, a] when mastering s informs a upwards."""
        return self.strength > 0

    @property
    def descendants(self) -> np.ndarray:
        return self.ancestors.T

    @property
    def n_pairs(self) -> int:
        return len(self.anc_pairs.related) + len(self.desc_pairs.related)


def _earlier_in_grade(catalog: Catalog) -> np.ndarray:
    """(n, n) bool: [s, a] when a has s's grade and a smaller prerequisite depth (is taught
    earlier in the grade). Skills without a grade relate to none."""
    grades = catalog.skill_grades
    depth = catalog.prerequisite_depth
    same = (grades[:, None] == grades[None, :]) & ~np.isnan(grades)[:, None]
    return same & (depth[None, :] < depth[:, None])


def _entropy(p: np.ndarray, criterion: Criterion) -> np.ndarray:
    """Uncertainty of beliefs p: Shannon entropy (nats) or the Bernoulli variance p (1 - p)."""
    q = 1.0 - p
    if criterion == "variance":
        q *= p
        return q
    out = np.log(p)
    out *= p
    log_q = np.log(q)
    log_q *= q
    out += log_q
    np.negative(out, out=out)
    return out


def _ancestor_bounds(p_a: np.ndarray, p_s: np.ndarray, w: float) -> tuple[np.ndarray, np.ndarray]:
    """P(a | not s) and P(a | s) - P(a | not s) for an ancestor a of the asked skill s.

    P(a | s) = P(a) + w (1 - P(a)); P(a | not s) keeps P(a) = P(a | s) P(s) + P(a | not s) P(not s).
    """
    hi = p_a * (1.0 - w)
    hi += w
    lo = hi * p_s
    np.subtract(p_a, lo, out=lo)
    lo /= 1.0 - p_s
    np.clip(lo, 0.0, 1.0, out=lo)
    hi -= lo
    return lo, hi


def _descendant_bounds(p_d: np.ndarray, p_s: np.ndarray, w: float) -> tuple[np.ndarray, np.ndarray]:
    """P(d | not s) and P(d | s) - P(d | not s) for a descendant d of the asked skill s.

    P(d | not s) = (1 - w) P(d); P(d | s) keeps P(d) = P(d | s) P(s) + P(d | not s) P(not s).
    """
    lo = p_d * (1.0 - w)
    hi = lo * (1.0 - p_s)
    np.subtract(p_d, hi, out=hi)
    hi /= p_s
    np.clip(hi, 0.0, 1.0, out=hi)
    hi -= lo
    return lo, hi


def _moved(
    p: np.ndarray, lo: np.ndarray, d: np.ndarray, q: np.ndarray, up: bool, secondary: float
) -> np.ndarray:
    """Belief after the answer: Jeffrey's rule, the secondary direction scaled by `secondary`.

    `up` is the primary direction (True for ancestors, which a correct answer raises). The result
    is a new array; `q` may be overwritten.
    """
    delta = d * q
    delta += lo
    delta -= p
    if secondary == 0.0:  # one-way: only the primary direction (the default; fewer passes)
        (np.maximum if up else np.minimum)(delta, 0.0, out=delta)
    elif secondary != 1.0:
        off = np.minimum(delta, 0.0) if up else np.maximum(delta, 0.0)
        off *= 1.0 - secondary
        delta -= off
    delta += p
    np.clip(delta, _EPS, 1.0 - _EPS, out=delta)
    return delta


def askable_skills(catalog: Catalog) -> np.ndarray:
    """(S,) whether the placement diagnostic asks each skill: it has an activity of its own (one
    practising that skill alone) for an app to show as the question. A skill without one (a
    vendor's catalog with no activity for it yet, or only activities of several skills) is
    never asked, its placement inferred from the other answers as every skill not asked is;
    a catalog without any activity (a map of skills alone: a simulation, an app with its own
    items) asks every skill by its id. `adaptive validate --catalog` names the skills not
    asked by this rule."""
    if not catalog.activities:
        return np.ones(len(catalog.skills), dtype=bool)
    alone = {a.skills[0] for a in catalog.activities if len(a.skills) == 1}
    return np.array([s.id in alone for s in catalog.skills], dtype=bool)


class PlacementDiagnostic:
    """An adaptive placement check over one catalog (precomputed once; reuse for every student).

    Parameters
    ----------
    catalog : the skills, their prerequisite graph, and activities to ask questions with.
    prior : where beliefs start: a `Placement`, or learner profiles (grade prior through
        `grade_table`), or None (population prior). Every `start`/`run` may pass its own.
    max_questions : at most this many questions per student (default 15).
    params : a fitted BKT model or its `params_table()`: per-skill guess, slip, p_init.
    guess, slip : answer model where `params` say nothing.
    strength : w, how strictly mastering a skill implies mastering its prerequisites.
    order_strength : how strictly mastering a skill implies mastering the skills of its grade
        taught before it (shallower in the graph, not its prerequisites); 0 turns it off.
    secondary : scale of the secondary moves (wrong answer -> ancestors, correct -> descendants).
    criterion : "entropy" (Shannon) or "variance" (sum of p (1 - p)).
    default_prior : P(mastered) where neither the prior nor `params` give one.
    model : "auto" (the level model for students placed from their grade, the graph model for
        the others), "level" (every student must have a grade) or "graph".
    level_noise : the level model's P(known) on the wrong side of the student's point.
    grade_table : the grade prior for profiles, and the level model's prior of the point (None:
        the default table, not a model's own `curriculum_level_.start`: see the README).
    seed : seeds the fixed order that breaks exact ties between equally informative skills.
    """

    def __init__(
        self,
        catalog: Catalog,
        prior: Placement | Mapping[str, LearnerProfile] | Sequence[LearnerProfile] | None = None,
        *,
        max_questions: int = DEFAULT_MAX_QUESTIONS,
        params: pd.DataFrame | _HasParamsTable | None = None,
        guess: float = DEFAULT_GUESS,
        slip: float = DEFAULT_SLIP,
        strength: float = DEFAULT_STRENGTH,
        order_strength: float = DEFAULT_ORDER_STRENGTH,
        secondary: float = DEFAULT_SECONDARY,
        criterion: Criterion = "entropy",
        default_prior: float = DEFAULT_PRIOR,
        grade_table: GradeTable | None = None,
        model: Model = "auto",
        level_noise: float = DEFAULT_NOISE,
        seed: int = 0,
    ):
        expect_type(catalog, Catalog, "catalog", "Catalog.from_json(path)")
        expect_type(
            grade_table, (GradeTable, type(None)), "grade_table", "GradeTable.from_dict({...})"
        )
        if not (prior is None or isinstance(prior, Placement) or are_profiles(prior)):
            raise TypeError(
                "prior: expected a Placement, learner profiles ({student_id: LearnerProfile}, "
                "as read_profiles(path) returns, or a list of them) or None; got "
                f"{given_instead_of_profiles(prior)}"
            )
        if isinstance(max_questions, bool) or not isinstance(max_questions, int | np.integer):
            raise ConfigError(f"max_questions {max_questions!r}: expected an integer >= 0")
        if max_questions < 0:
            raise ConfigError(f"max_questions {max_questions}: expected an integer >= 0")
        if not all(0.0 <= v <= 1.0 for v in (strength, secondary, order_strength)):
            raise ConfigError(
                f"strength {strength}, order_strength {order_strength} and secondary "
                f"{secondary}: expected numbers in [0, 1]"
            )
        if criterion not in ("entropy", "variance"):
            raise ConfigError(f"criterion {criterion!r}: expected 'entropy' or 'variance'")
        if not catalog.skills:
            raise ConfigError("diagnostic: the catalog has no skills")
        if model not in MODELS:
            raise ConfigError(f"diagnostic model {model!r}: expected one of {MODELS}")
        graded = bool((~np.isnan(catalog.skill_grades)).any())
        if model == "level" and not graded:
            raise ConfigError("diagnostic model 'level': no skill of the catalog has a grade")
        self.model: Model = model
        #: the level model (None with model "graph" or a catalog without grades)
        self.level = (
            CurriculumLevel.of(catalog, grade_table, level_noise)
            if model != "graph" and graded
            else None
        )
        self.catalog = catalog
        self.max_questions = int(max_questions)
        self.answers = AnswerModel.from_params(catalog, params, guess, slip, default_prior)
        self.strength = float(strength)
        self.secondary = float(secondary)
        self.criterion: Criterion = criterion
        self.grade_table = grade_table
        self.prior = self._as_placement(prior)
        self._prior_index: pd.Index | None = None
        self.order_strength = float(order_strength)
        self.closure = _Closure.of(catalog, self.strength, self.order_strength)
        rng = np.random.default_rng(seed)
        #: exact ties go to the skill that comes first in this seeded order
        self.tie_order = rng.permutation(len(catalog.skills))
        self._warn_unaskable()

    def _warn_unaskable(self) -> None:
        """A `PlacementWarning` counting the skills the diagnostic will not ask (no activity of
        their own to show: `askable`), naming a few: a vendor otherwise learns it only from
        `adaptive validate --catalog`."""
        unaskable = [s for s, ok in zip(self.skills, self.askable, strict=True) if not ok]
        if unaskable:
            warnings.warn(
                f"{counted(len(unaskable), 'skill')} of the catalog {verb(len(unaskable), 'has')} "
                f"no activity of {'its' if len(unaskable) == 1 else 'their'} own to ask "
                f"{'it' if len(unaskable) == 1 else 'them'} with ({some_of(unaskable, 5)}): "
                "never asked, placed from the other answers; give each a one-skill activity "
                "to ask it",
                PlacementWarning,
                stacklevel=3,
            )

    @cached_property
    def skills(self) -> tuple[str, ...]:
        """Skill ids in catalog order (the columns of beliefs and placements)."""
        return tuple(str(s) for s in self.catalog.skill_index)

    @cached_property
    def question_activities(self) -> tuple[str | None, ...]:
        """Per skill, the activity to ask it with: a single-skill one, assessment first, then the
        difficulty nearest 0 (a typical item, as guess/slip describe), then catalog order."""
        best: dict[str, tuple[tuple[int, float, int], str]] = {}
        for i, a in enumerate(self.catalog.activities):
            if len(a.skills) != 1:
                continue
            key = (0 if a.kind == "assessment" else 1, abs(a.difficulty), i)
            if a.skills[0] not in best or key < best[a.skills[0]][0]:
                best[a.skills[0]] = (key, a.id)
        return tuple(best[s][1] if s in best else None for s in self.skills)

    @cached_property
    def askable(self) -> np.ndarray:
        """Per skill, whether the diagnostic asks it (`askable_skills`)."""
        return askable_skills(self.catalog)

    def question(self, code: int) -> Question:
        """The `Question` for a skill code (its position in the catalog)."""
        return Question(self.skills[code], self.question_activities[code])

    # -- starting students ------------------------------------------------------------------------
    def start(
        self,
        student_id: str,
        prior: Placement | LearnerProfile | Mapping[str, LearnerProfile] | None = None,
    ) -> DiagnosticSession:
        """A one-student session (an app asking questions one at a time). `prior`: where this
        student starts when the diagnostic's own prior does not hold them (a student enrolled
        since it was made): a `Placement`, their `LearnerProfile` (placed from its grade) or
        `{id: profile}`. The session keeps it, so `to_dict()` and `resume` carry it."""
        check_one_id(student_id)
        if isinstance(prior, LearnerProfile) and prior.student_id != str(student_id).strip():
            raise DiagnosticError(
                "start(student_id, prior=profile): the profile is another student's (its "
                "student_id differs from the one started); expected the student's own profile "
                "(profiles[student_id], or LearnerProfile(student_id, grade=...) for a new "
                "student)"
            )
        placement = self._as_placement(prior)
        batch = self.start_batch([student_id], placement)  # a student it lacks: one error
        own = None if placement is None else placement.subset(batch.students)
        return DiagnosticSession(batch, own)

    def resume(
        self,
        student_id: str | None = None,
        answers: Iterable[tuple[Question | str, bool | int] | Mapping[str, Any]] | None = None,
        prior: Placement | LearnerProfile | Mapping[str, Any] | None = None,
        pending: str | None = None,
        **extra: Any,
    ) -> DiagnosticSession:
        """The session of a student who already answered these questions (an app restarted):
        `diag.resume(**session.to_dict())`, or `diag.resume(id, session.answers)`. A session
        started with its own `prior` saves it in `to_dict()` ("prior"), and resumes from it.
        A session saved with a question pending (after `next_question()`, before its answer:
        a stateless server between two requests) saves its skill ("pending") and resumes with
        that question pending, so the next request's `answer(correct, question=...)` is
        absorbed; an unknown or answered skill there is a `DiagnosticError`.

        The answers are replayed in order on a fresh session, so with the same diagnostic (its
        catalog, prior and settings) the resumed session asks the same next question and places
        the student exactly as the saved one did. Each answer is a (question or skill id,
        0/1) pair or a {"skill": ..., "correct": ...} mapping; an unknown skill, a skill
        answered twice or more answers than `max_questions` is a `DiagnosticError`; so is
        a key that is no saved session's (`SESSION_KEYS`) or a missing student_id or answers,
        naming them all.

        `student_id` and `answers` are required: they default to None, and other keys are
        taken (`**extra`), only so that a saved session with a key missing or misspelled is
        that one error ("unknown key 'answer' (did you mean 'answers'?); missing key
        'answers'") rather than Python's bare TypeError. A type checker therefore does not
        flag a call without them; this error does, at run time.
        """
        _check_session_keys(student_id, answers, extra)
        if isinstance(prior, Mapping) and "mastery" in prior:  # a saved session's own prior
            prior = _prior_from_record(student_id, prior)
        session = self.start(student_id, prior)
        codes, values = self._saved_answers(answers)
        index = self.catalog.skill_index
        diverged = 0  # answers this diagnostic would not have asked there
        for code, value in zip(codes, values, strict=True):
            asked = session.next_question()
            diverged += asked is None or asked.skill != index[code]
            session._batch.answer_given(np.array([0]), np.array([code]), np.array([value]))
        if pending is not None:
            session._resume_pending(pending)
        if diverged:  # evidence all the same (a deploy between two requests changes the
            # questions): absorbed, and said, since another student's answers look the same
            warnings.warn(
                f"resume: {diverged} of {len(codes)} saved answers are "
                "not the questions this diagnostic asks there (another diagnostic: catalog, "
                "prior, grade table or settings changed; or another student's answers): "
                "absorbed as evidence; the next question is this diagnostic's",
                PlacementWarning,
                stacklevel=2,
            )
        return session

    def _saved_answers(self, answers: Iterable[Any]) -> tuple[list[int], list[int]]:
        """Skill codes and 0/1 values of saved answers, checked (see `resume`); a problem
        names the saved answer by its place in the list (1 first), never the student."""
        codes: list[int] = []
        values: list[int] = []
        index = self.catalog.skill_index
        for n, item in enumerate(answers, start=1):
            what = f"saved answer {n}"
            if isinstance(item, Mapping):
                missing = [k for k in ("skill", "correct") if k not in item]
                if missing:
                    raise DiagnosticError(
                        f"{what} {item!r} has no key {missing[0]!r}; expected "
                        '{"skill": ..., "correct": ...}'
                    )
                question, correct = item.get("skill"), item.get("correct")
            elif isinstance(item, tuple | list) and len(item) == 2:
                question, correct = item
            else:
                raise DiagnosticError(
                    f"{what} {item!r}; expected a (skill, 0/1) pair or "
                    '{"skill": ..., "correct": ...}'
                )
            skill = question.skill if isinstance(question, Question) else str(question).strip()
            if skill not in index:
                close = closest_name(skill, self.skills)
                hint = f" (did you mean {close!r}?)" if close else ""
                raise DiagnosticError(f"{what} names unknown skill {skill!r}{hint}")
            code = int(index.get_loc(skill))
            if code in codes:
                raise DiagnosticError(
                    f"{what}: skill {skill!r} is answered twice in the saved answers (first "
                    f"in saved answer {codes.index(code) + 1}); a diagnostic asks each skill once"
                )
            codes.append(code)
            values.append(_one_answer(correct, what))
        if len(codes) > self.max_questions:
            raise DiagnosticError(
                f"{len(codes)} answers saved; this diagnostic asks at most "
                f"{self.max_questions} questions"
            )
        return codes, values

    def start_batch(
        self, student_ids: Sequence[str], prior: Placement | None = None
    ) -> DiagnosticBatch:
        """Many students stepping together (simulation, the nightly job); ids are read as
        `Response` reads them (trimmed; 123 is "123"; a list is not an id)."""
        ids = id_list(student_ids)
        _check_unique(ids)
        placement = self.prior if prior is None else self._as_placement(prior)
        beliefs = self.initial_beliefs(ids, placement)
        grades = self._grades(placement, ids)
        if self.model == "level" and np.isnan(grades).any():
            missing = np.flatnonzero(np.isnan(grades))
            raise DiagnosticError(
                f"diagnostic model 'level' needs each student's grade; "
                f"{counted(len(missing), 'student')} {verb(len(missing), 'has')} none "
                f"({batch_positions(missing)} of {counted(len(ids), 'student')}): start from "
                "grade_placement(catalog, profiles) with graded profiles"
            )
        sources = self._prior_sources(placement, ids)
        return DiagnosticBatch(self, tuple(ids), beliefs, grades, sources, placement)

    @staticmethod
    def _prior_sources(prior: Placement | None, student_ids: Sequence[str]) -> tuple[str, ...]:
        """Where each student's starting beliefs came from: the prior's source, or the population
        prior without one (a placement from no answers says this, not "placed by diagnostic")."""
        if prior is None:
            return ("population prior",) * len(student_ids)
        return tuple(prior.source_of(s) or "population prior" for s in student_ids)

    def run(
        self,
        student_ids: Sequence[str],
        answer_fn: AnswerFn,
        n_questions: int | None = None,
        prior: Placement | None = None,
    ) -> Placement:
        """Place many students at once: each step asks every student their own next question.

        `answer_fn(student_rows, skill_codes)` returns 0/1 answers of those students (rows are
        positions in `student_ids`, codes positions in the catalog's skills).
        """
        batch = self.start_batch(student_ids, prior)
        batch.run(answer_fn, n_questions)
        return batch.placement()

    def replay(
        self,
        answers: str | Path | pd.DataFrame,
        *,
        columns: Mapping[str, str] | None = None,
        correct_values: str | Sequence[str] = (),
        incorrect_values: str | Sequence[str] = (),
        correct_threshold: float | None = None,
        prior: Placement | None = None,
        strict: bool = False,
    ) -> Placement:
        """Place the students of an answer sheet: sessions run in another app or on paper,
        one row per answer (student_id, question, correct, optionally order; see
        `adaptive.placement.answers`), replayed as a live `run` absorbs them, all students
        stepping together. The placement is the one a live run with those answers gives
        ("placed by diagnostic (n questions)"), students in the order they first appear.

        The `correct` column is read as a response log's is (`load_log`'s mapping keys of the
        same names): 0/1 and true/false always; `correct_values` / `incorrect_values` name an
        export's own words ("Yes" / "No", "Correct" / "Incorrect"), `correct_threshold` reads
        scores (a score at or above it is a right answer: 50 for 0-100).

        An answer to another question than this diagnostic asks there (a paper test of fixed
        questions, another diagnostic's settings) is absorbed as evidence, as `resume` does,
        and a `PlacementWarning` gives the lines; `strict=True` refuses them instead, one
        `DataValidationError` naming each line. A student with more answers than
        `max_questions`, or one the prior lacks, is refused naming the line; students with
        fewer answers are placed from those (a warning counts them, with their first lines).
        """
        from adaptive.placement.answers import read_answer_sheet

        words = {
            "correct_values": correct_values,
            "incorrect_values": incorrect_values,
            "correct_threshold": correct_threshold,
        }
        correct_reading = ColumnMapping.from_dict(words, "replay")
        placement = self.prior if prior is None else self._as_placement(prior)
        sheet = read_answer_sheet(
            answers, self.catalog, columns, correct_reading,
            check=lambda read: _sheet_problems(self, read, placement),
        )  # fmt: skip
        batch = self.start_batch(sheet.students, placement)
        asked = np.empty(len(sheet.step), np.int64)  # the question it asks at each answer
        for step in range(int(sheet.step.max(initial=-1)) + 1):
            now = np.flatnonzero(sheet.step == step)  # sorted by student: rows ascending
            rows, codes = sheet.student[now], sheet.skill[now]
            with batch.lock:
                asked[now] = batch._choose(rows)
                batch.answer_given(rows, codes, sheet.correct[now])
        _said_other_questions(self, sheet, asked, strict)
        _said_unfinished(sheet, batch)
        return batch.placement()

    def initial_beliefs(self, student_ids: Sequence[str], prior: Placement | None) -> np.ndarray:
        """(n_students, n_skills) starting P(mastered): the prior, NaNs from the population."""
        prior = self.prior if prior is None else self._as_placement(prior)
        n = len(self.catalog.skills)
        beliefs = np.broadcast_to(self.answers.p_init, (len(student_ids), n)).copy()
        if prior is not None:
            values = self._prior_rows(prior, student_ids)
            beliefs = np.where(np.isnan(values), beliefs, values)
        return np.clip(beliefs, _EPS, 1.0 - _EPS)

    def _grades(self, prior: Placement | None, student_ids: Sequence[str]) -> np.ndarray:
        """Each student's grade where the prior is grade level alone (NaN elsewhere): the level
        model's students."""
        grades = np.full(len(student_ids), np.nan)
        if self.level is None or prior is None or prior.grades is None:
            return grades
        rows = self._index_of(prior).get_indexer(pd.Index(student_ids))
        return np.where(rows >= 0, prior.grades[np.maximum(rows, 0)], np.nan)

    def _index_of(self, prior: Placement) -> pd.Index:
        """The prior's student index (kept for the diagnostic's own prior: a session's start costs
        the same with a prior of ten students or of 400,000)."""
        if prior is not self.prior:
            return pd.Index(prior.students)
        if self._prior_index is None:
            self._prior_index = pd.Index(prior.students)
        return self._prior_index

    def _prior_rows(self, prior: Placement, student_ids: Sequence[str]) -> np.ndarray:
        """The prior's rows of these students, in catalog skill order (NaN where it has none);
        only those rows are aligned."""
        rows = self._index_of(prior).get_indexer(pd.Index(student_ids))
        unknown = np.flatnonzero(rows < 0)
        if len(unknown):
            alike = _written_otherwise([student_ids[i] for i in unknown], prior)
            raise DiagnosticError(
                _not_in_prior(unknown, len(student_ids), len(prior.students), int(alike.sum()))
            )
        codes = pd.Index(prior.skills).get_indexer(self.catalog.skill_index)
        out = np.full((len(rows), len(codes)), np.nan)
        out[:, codes >= 0] = prior.mastery[rows][:, codes[codes >= 0]]
        return out

    def _as_placement(
        self,
        prior: Placement
        | LearnerProfile
        | Mapping[str, LearnerProfile]
        | Sequence[LearnerProfile]
        | None,
    ) -> Placement | None:
        if prior is None or isinstance(prior, Placement):
            return prior
        if isinstance(prior, LearnerProfile):
            prior = [prior]
        if not isinstance(prior, Mapping | Sequence) or isinstance(prior, str):
            raise TypeError(
                f"prior: got {type(prior).__name__}; expected a Placement (grade_placement, "
                "from_records, a saved diagnostic's), a LearnerProfile, {id: LearnerProfile} "
                "or a list of profiles"
            )
        return grade_placement(self.catalog, prior, self.grade_table)

    # -- the two vectorized steps -----------------------------------------------------------------
    def gains(self, beliefs: np.ndarray) -> np.ndarray:
        """(n_students, n_skills) expected reduction of total uncertainty from asking each skill."""
        out = np.empty(beliefs.shape, dtype=np.float32)
        step = max(1, _CHUNK_ELEMENTS // (self.closure.n_pairs + 1))
        for lo in range(0, len(beliefs), step):
            out[lo : lo + step] = self._gains_chunk(beliefs[lo : lo + step])
        return out

    def _gains_chunk(self, beliefs: np.ndarray) -> np.ndarray:
        """Expected uncertainty reduction for one chunk of students, in float32 (it only ranks).

        Written as in-place passes over the pair lists, per-skill values spread by `np.repeat`:
        several times faster than the plain float64 expressions with fancy indexing.
        """
        crit = self.criterion
        p = beliefs.astype(np.float32)
        p_correct, q_right, q_wrong = (
            x.astype(np.float32) for x in self.answers.posteriors(p, slice(None))
        )
        h = _entropy(p, crit)
        gain = h - p_correct * _entropy(q_right, crit)
        gain -= (1.0 - p_correct) * _entropy(q_wrong, crit)
        for pairs in (self.closure.anc_pairs, self.closure.desc_pairs):
            if len(pairs.related):
                gain[:, pairs.nonempty] += self._pair_gains(
                    pairs, p, h, p_correct, q_right, q_wrong
                )
        return gain

    def _pair_gains(
        self,
        pairs: _Pairs,
        p: np.ndarray,
        h: np.ndarray,
        p_correct: np.ndarray,
        q_right: np.ndarray,
        q_wrong: np.ndarray,
    ) -> np.ndarray:
        """Per asked skill with pairs: the expected uncertainty reduction of its related skills."""
        crit = self.criterion
        p_t = np.take(p, pairs.related, axis=1)
        spread = lambda x: np.repeat(x, pairs.counts, axis=1)  # noqa: E731
        bounds = _ancestor_bounds if pairs.up else _descendant_bounds
        lo, d = bounds(p_t, spread(p), pairs.strength)
        gain = np.take(h, pairs.related, axis=1)
        for q, weight in ((q_right, p_correct), (q_wrong, 1.0 - p_correct)):
            after = _entropy(_moved(p_t, lo, d, spread(q), pairs.up, self.secondary), crit)
            after *= spread(weight)
            gain -= after
        return np.add.reduceat(gain, pairs.first, axis=1)

    def update(self, beliefs: np.ndarray, codes: np.ndarray, correct: np.ndarray) -> np.ndarray:
        """Beliefs after each row's answer (`correct`) to its question (`codes`): a new array."""
        rows = np.arange(len(codes))
        p_s = beliefs[rows, codes]
        p_correct, q_right, q_wrong = self.answers.posteriors(p_s, codes)
        q = np.where(correct.astype(bool), q_right, q_wrong)[:, None]
        p_s = p_s[:, None]
        out = beliefs.copy()
        strength = self.closure.strength
        for w, bounds, up in (
            (strength[codes], _ancestor_bounds, True),
            (strength.T[codes], _descendant_bounds, False),
        ):
            lo, d = bounds(beliefs, p_s, w)
            moved = _moved(beliefs, lo, d, q, up, self.secondary)
            out = np.where(w > 0, moved, out)
        out[rows, codes] = np.clip(q[:, 0], _EPS, 1.0 - _EPS)
        return out


class DiagnosticBatch:
    """Beliefs and question history of many students taking the diagnostic together.

    Students with a grade (`grades` not NaN) follow the level model when the diagnostic has one:
    their state is the log weights of their point in the curriculum (`level_weights`), and their
    beliefs are read from it after every answer; the others follow the graph model.

    Concurrency: asking, answering, running and placing hold the batch's `lock` (as a tracing
    state's calls hold its lock), so threads may share a batch or a session: each call is
    atomic, and of several answers to one pending question exactly one is absorbed (the others
    find no question pending and get a `DiagnosticError`).
    """

    def __init__(
        self,
        diagnostic: PlacementDiagnostic,
        students: tuple[str, ...],
        beliefs: np.ndarray,
        grades: np.ndarray | None = None,
        sources: Sequence[str] | None = None,
        prior: Placement | None = None,
    ):
        self.lock = threading.RLock()
        #: the placement the students started from (`Placement.started_from` of the result)
        self.prior = prior
        self.diagnostic = diagnostic
        self.students = students
        self.beliefs: np.ndarray = beliefs
        n_students, n_skills = beliefs.shape
        self.grades = np.full(n_students, np.nan) if grades is None else np.asarray(grades)
        #: where each student's starting beliefs came from (their placement's source until they
        #: answer a question)
        self.prior_sources = tuple(sources or ("population prior",) * n_students)
        level = diagnostic.level
        self.on_level = ~np.isnan(self.grades) if level is not None else np.zeros(n_students, bool)
        self.level_weights = None if level is None else level.start(self.grades)
        self.asked = np.zeros((n_students, n_skills), dtype=bool)
        self.n_asked = np.zeros(n_students, dtype=np.int64)
        self.history: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending: tuple[np.ndarray, np.ndarray] | None = None
        self._read_level(np.flatnonzero(self.on_level))

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the lock (a lock does not pickle); a copy gets its own."""
        with self.lock:
            state = self.__dict__.copy()
        del state["lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()

    @property
    def done(self) -> np.ndarray:
        """Per student: no more questions (the limit reached, or every skill it asks asked)."""
        full = (self.asked | ~self.diagnostic.askable).all(axis=1)
        return (self.n_asked >= self.diagnostic.max_questions) | full

    def next_questions(
        self, limit: int | None = None, random: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, skill codes) of the students that get a question now, and each one's question.

        Students done (or, with `limit`, already asked `limit` questions) get none. Calling again
        before `answer` returns the same questions. With `random`, each question is a uniformly
        random not-yet-asked skill instead of the most informative one (a baseline).
        """
        with self.lock:
            if self._pending is not None:
                return self._pending
            active = ~self.done
            if limit is not None:
                active &= self.n_asked < limit
            sel = np.flatnonzero(active)
            codes = self._choose(sel) if random is None else self._random(sel, random)
            self._pending = (sel, codes)
            return self._pending

    def _random(self, sel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        draw = rng.random((len(sel), self.asked.shape[1]))
        draw[self.asked[sel]] = -1.0
        draw[:, ~self.diagnostic.askable] = -1.0
        return np.argmax(draw, axis=1).astype(np.int64)

    def _choose(self, sel: np.ndarray) -> np.ndarray:
        diag = self.diagnostic
        order = diag.tie_order
        on_level = self.on_level[sel]
        gain = np.empty((len(sel), self.asked.shape[1]), dtype=np.float64)
        if not on_level.all():
            gain[~on_level] = diag.gains(self.beliefs[sel[~on_level]])
        if on_level.any():
            level = diag.level
            assert level is not None and self.level_weights is not None
            answers = diag.answers
            gain[on_level] = level.information(
                self.level_weights[sel[on_level]], answers.guess, answers.slip
            )
        gain = gain[:, order]
        gain[self.asked[sel][:, order]] = -np.inf
        gain[:, ~diag.askable[order]] = -np.inf  # nothing to show it with
        return order[np.argmax(gain, axis=1)].astype(np.int64)

    def answer(self, correct: np.ndarray | Sequence[int]) -> None:
        """Absorb the answers (1 correct, 0 wrong) to the pending questions, in their order."""
        with self.lock:
            if self._pending is None:
                raise DiagnosticError("no question is pending: call next_questions() first")
            rows, codes = self._pending
            self._absorb(rows, codes, _as_answers(correct, len(rows)))

    def answer_given(self, rows: np.ndarray, codes: np.ndarray, correct: np.ndarray) -> None:
        """Absorb answers of these students to these questions, whatever the diagnostic would
        ask (a saved session replayed: `PlacementDiagnostic.resume`); a pending question is
        dropped."""
        with self.lock:
            self._absorb(np.asarray(rows), np.asarray(codes), _as_answers(correct, len(rows)))

    def _absorb(self, rows: np.ndarray, codes: np.ndarray, values: np.ndarray) -> None:
        """Both models' updates for answers `values` of students `rows` to skills `codes`."""
        on_level = self.on_level[rows]
        graph = ~on_level
        if graph.any():
            self.beliefs[rows[graph]] = self.diagnostic.update(
                self.beliefs[rows[graph]], codes[graph], values[graph]
            )
        self.asked[rows, codes] = True
        self.n_asked[rows] += 1
        self.history.append((rows, codes, values))
        self._pending = None
        if on_level.any():
            self._absorb_level(rows[on_level], codes[on_level], values[on_level])

    def _absorb_level(self, rows: np.ndarray, codes: np.ndarray, values: np.ndarray) -> None:
        """Level-model students: reweigh their point by the answers, then read their beliefs.
        An answered skill without a grade (outside the model) gets Bayes on its own belief."""
        level, answers = self.diagnostic.level, self.diagnostic.answers
        assert level is not None and self.level_weights is not None
        weights = self.level_weights[rows]
        level.absorb(weights, codes, values, answers.guess[codes], answers.slip[codes])
        self.level_weights[rows] = weights
        outside = ~level.modelled[codes]
        if outside.any():
            r, c = rows[outside], codes[outside]
            _, q_right, q_wrong = answers.posteriors(self.beliefs[r, c], c)
            q = np.where(values[outside] == 1, q_right, q_wrong)
            self.beliefs[r, c] = np.clip(q, _EPS, 1.0 - _EPS)
        self._read_level(rows)

    def _read_level(self, rows: np.ndarray) -> None:
        """Beliefs of these level-model students' graded skills, from their point's posterior."""
        level = self.diagnostic.level
        if level is None or not len(rows):
            return
        block = self.beliefs[rows]
        known = level.known(self.level_weights[rows])
        block[:, level.modelled] = known[:, level.modelled]
        self.beliefs[rows] = np.clip(block, _EPS, 1.0 - _EPS)

    def run(
        self,
        answer_fn: AnswerFn,
        n_questions: int | None = None,
        random: np.random.Generator | None = None,
    ) -> None:
        """Ask until every student is done (or has `n_questions` answers), all stepping together.

        `random`: ask uniformly random not-yet-asked skills instead (a baseline). An
        `n_questions` above the diagnostic's `max_questions` is a `ConfigError` (a trial's
        `run(n_questions=10)` of a 4-question diagnostic asked 4 without a word).
        """
        _check_n_questions(n_questions, self.diagnostic.max_questions)
        with self.lock:
            while True:
                rows, codes = self.next_questions(limit=n_questions, random=random)
                if not len(rows):
                    self._pending = None
                    return
                self.answer(np.asarray(answer_fn(rows, codes)))

    def placement(self) -> Placement:
        """The placed state: every skill's belief, sourced "placed by diagnostic (n questions)",
        or the prior's source for a student who answered none (nothing placed them but it)."""
        with self.lock:
            sources = tuple(
                f"placed by diagnostic ({n} question{'s' if n > 1 else ''})" if n else prior
                for n, prior in zip(self.n_asked, self.prior_sources, strict=True)
            )
            return Placement(
                self.students, self.diagnostic.skills, self.beliefs.copy(), sources,
                started_from=self.prior,
            )  # fmt: skip


def _check_n_questions(n_questions: int | None, max_questions: int) -> None:
    """`ConfigError` unless `n_questions` is None or an integer from 0 to `max_questions`."""
    if n_questions is None:
        return
    if isinstance(n_questions, bool) or not isinstance(n_questions, int | np.integer):
        raise ConfigError(f"n_questions {n_questions!r}: expected an integer >= 0")
    if not 0 <= n_questions <= max_questions:
        raise ConfigError(
            f"n_questions {n_questions}: expected 0 to this diagnostic's max_questions, "
            f"{max_questions} (a student is asked at most that many: raise max_questions)"
        )


def _as_answers(correct: np.ndarray | Sequence[int], n: int) -> np.ndarray:
    """0/1 int8 answers, or a `DiagnosticError` saying what was wrong."""
    values = np.asarray(correct)
    if values.shape != (n,):
        raise DiagnosticError(
            f"got {values.shape} answers; expected one per pending question ({n})"
        )
    if values.dtype.kind in "US":
        raise DiagnosticError(
            f"answers {values[:5].tolist()} are text; expected 0 (wrong) or 1 (correct) as "
            "numbers or bools: convert a form's or a request's text first"
        )
    if values.dtype != bool and not np.isin(values, (0, 1)).all():
        bad = values[~np.isin(values, (0, 1))][:5].tolist()
        raise DiagnosticError(f"answers must be 0 (wrong) or 1 (correct); got {bad}")
    return values.astype(np.int8)


def _one_answer(correct: object, what: str = "answer") -> int:
    """One answer as 0 or 1 (True, 1 or 1.0 correct; False, 0 or 0.0 wrong), or a
    `DiagnosticError` naming `what` ("answer", "saved answer 3"): 0.5 is no answer."""
    if isinstance(correct, bool | np.bool_) or (
        isinstance(correct, int | np.integer | float | np.floating) and correct in (0, 1)
    ):
        return int(correct)  # 1.0 and 0.0 too, as the sheet readers read "1.0"
    if isinstance(correct, str | bytes):  # "answer '1'; expected 0 or 1" read as a riddle
        raise DiagnosticError(
            f"{what} {correct!r} is text; expected 0 (wrong) or 1 (correct) as a number or a "
            "bool: convert a form's or a request's text first (int(value))"
        )
    raise DiagnosticError(f"{what} {correct!r}; expected 0 (wrong) or 1 (correct)")


class DiagnosticSession:
    """One student's diagnostic, for an app: next question, answer (which says whether that was
    the last), done, placement.

    Safe to share between threads (an app's concurrent requests): each call holds the session's
    lock, so of two answers to one question only the first is absorbed and the second is a
    `DiagnosticError`. An app should pass the question it showed (`answer(correct,
    question=q.skill)`): a retried request then fails, naming both questions, instead of
    answering the next question, which the student never saw. `to_dict()` saves a session as
    plain JSON data and `PlacementDiagnostic.resume(**data)` restores it.
    """

    def __init__(self, batch: DiagnosticBatch, prior: Placement | None = None):
        self._batch = batch
        self._prior = prior  # the student's own prior, when `start` was given one

    @property
    def student_id(self) -> str:
        return self._batch.students[0]

    @property
    def done(self) -> bool:
        return bool(self._batch.done[0])

    @property
    def n_answered(self) -> int:
        return int(self._batch.n_asked[0])

    @property
    def beliefs(self) -> pd.Series:
        """Current P(mastered) of every skill, indexed by skill id."""
        with self._batch.lock:
            beliefs = self._batch.beliefs[0].copy()
        return pd.Series(beliefs, index=self._batch.diagnostic.catalog.skill_index)

    @property
    def answers(self) -> list[tuple[Question, int]]:
        """Questions asked so far with the answers given, in order."""
        diag = self._batch.diagnostic
        with self._batch.lock:
            history = list(self._batch.history)
        return [(diag.question(int(c[0])), int(v[0])) for _, c, v in history]

    def to_dict(self) -> dict[str, Any]:
        """The session as plain JSON data, {"student_id": ..., "answers": [{"skill": ...,
        "correct": 0 or 1}, ...]}, and "prior" ({"skills", "mastery", "grade", "source"}) when
        it was started with its own: save it (`json.dumps`) and restore it after a restart with
        `diag.resume(**data)` (the same diagnostic: catalog and settings). A question asked
        and not yet answered is saved as "pending" (its skill): the resumed session has it
        pending, so a server may save after `next_question()` and absorb the answer in its
        next request."""
        answers = [{"skill": q.skill, "correct": v} for q, v in self.answers]
        data: dict[str, Any] = {"student_id": self.student_id, "answers": answers}
        if self._prior is not None:
            data["prior"] = _prior_record(self._prior)
        with self._batch.lock:
            pending = self._batch._pending
        if pending is not None and len(pending[0]):
            data["pending"] = self._batch.diagnostic.skills[int(pending[1][0])]
        return data

    def _resume_pending(self, skill: str) -> None:
        """Make the saved pending question (its skill id) this session's pending question, as
        it was when saved (even where this diagnostic would now ask another)."""
        diag = self._batch.diagnostic
        skill = str(skill).strip()
        if skill not in diag.skills:
            close = closest_name(skill, diag.skills)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise DiagnosticError(f"resume: the pending question {skill!r} is no skill{hint}")
        code = diag.skills.index(skill)
        if not diag.askable[code]:
            raise DiagnosticError(
                f"resume: the pending question {skill!r} has no activity of its own in this "
                "diagnostic's catalog, so it is never asked (saved with another catalog?)"
            )
        if self._batch.asked[0, code]:
            raise DiagnosticError(
                f"resume: the pending question {skill!r} was already answered in the saved "
                "answers; a saved session pends a question not yet answered"
            )
        if self.done:
            raise DiagnosticError(
                f"resume: the saved answers finish the diagnostic ({self.n_answered} "
                f"questions); nothing can be pending"
            )
        self._batch._pending = (np.array([0]), np.array([code]))

    def next_question(self) -> Question | None:
        """The pending question (the same until answered), or None when the diagnostic is done."""
        with self._batch.lock:
            pending = self._pending_question()
            if pending is None:
                self._batch._pending = None
            return pending

    def _pending_question(self) -> Question | None:
        rows, codes = self._batch.next_questions()
        return self._batch.diagnostic.question(int(codes[0])) if len(rows) else None

    def answer(self, correct: bool | int, question: Question | str | None = None) -> bool:
        """Absorb the answer to the pending question: 1 (or True) correct, 0 (or False) wrong.
        Returns whether the diagnostic is finished with it (`done`: the last question was
        answered; `next_question()` then returns None and `placement()` is final), so an app
        knows after the answer, in the same request, whether to show another question.

        `question` is the question the app showed (the `Question`, its skill id or its activity
        id): when given, an answer to any other question (a retried request after the next
        question was asked) is refused with a `DiagnosticError` naming both.
        """
        with self._batch.lock:
            if self.done:
                raise DiagnosticError(
                    f"the diagnostic is finished ({self.n_answered} questions answered): read "
                    "the placed state with placement()"
                )
            pending = self._batch._pending
            if pending is None or not len(pending[0]):
                raise DiagnosticError(
                    "no question is pending; call next_question() "
                    f"first{self._already_answered(question)}"
                )
            value = _one_answer(correct)
            if question is not None:
                self._check_question(question, self._batch.diagnostic.question(int(pending[1][0])))
            self._batch.answer(np.array([value]))
            return self.done

    def _check_question(self, given: Question | str, pending: Question) -> None:
        """A `DiagnosticError` unless `given` names the pending question."""
        if isinstance(given, Question):
            named, same = given.skill, given == pending
        else:
            named = str(given).strip()  # ids are trimmed, as everywhere
            same = named in (pending.skill, pending.activity)
        if not same:
            raise DiagnosticError(
                f"answer given for question {named!r}{self._not_in_catalog(named)}, but the "
                f"pending question is {pending.skill!r}{self._already_answered(given)}; "
                "nothing was recorded"
            )

    def _not_in_catalog(self, named: str) -> str:
        """A parenthesis for an error message when `named` is no skill or activity of the
        catalog (a typo, another catalog's code: not merely another question), with the id it
        most likely means, so the sentence around it reads on; else ""."""
        catalog = self._batch.diagnostic.catalog
        names = {*map(str, catalog.skill_index), *(a.id for a in catalog.activities)}
        if named in names:
            return ""
        close = closest_name(named, names)
        hint = f": did you mean {close!r}?" if close else ""
        return f" (no skill or activity of the catalog{hint})"

    def _already_answered(self, question: Question | str | None) -> str:
        """A note for an error message when `question` was answered already, else ""."""
        if question is None:
            return ""
        named = question.skill if isinstance(question, Question) else str(question)
        asked = {name for q, _ in self.answers for name in (q.skill, q.activity)}
        return (
            f" (question {named!r} was already answered: a retried request?)"
            if named in asked
            else ""
        )

    def placement(self) -> Placement:
        """This student's placement so far ("placed by diagnostic (n questions)"; with no answer
        yet, the prior's source)."""
        return self._batch.placement()


def _prior_record(prior: Placement) -> dict[str, Any]:
    """A one-student placement as JSON data (NaN, no value known, as null)."""
    values = prior.mastery[0]
    grade = None if prior.grades is None or np.isnan(prior.grades[0]) else float(prior.grades[0])
    return {
        "skills": list(prior.skills),
        "mastery": [None if np.isnan(v) else float(v) for v in values],
        "grade": grade,
        "source": prior.sources[0],
    }


def _prior_from_record(student_id: str, record: Mapping[str, Any]) -> Placement:
    """The placement a saved session's "prior" holds (`_prior_record`); a malformed one is a
    `DiagnosticError` saying what a saved prior holds."""
    try:
        skills = [str(s) for s in record["skills"]]
        mastery = np.array([np.nan if v is None else float(v) for v in record["mastery"]])
        grade = record.get("grade")
        return Placement(
            tuple(id_list([student_id])), tuple(skills), mastery[None, :],
            (str(record.get("source") or "placed"),),
            None if grade is None else np.array([float(grade)]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise DiagnosticError(
            f"the saved prior is not a saved session's ({exc}); "
            'expected {"skills": [...], "mastery": [...], "grade": ..., "source": ...}'
        ) from exc


def _check_unique(ids: Sequence[str]) -> None:
    """A `DiagnosticError` naming, by position, the first student given twice in a batch."""
    where = first_repeat(ids)
    if where is not None:
        raise DiagnosticError(
            f"student ids must be unique within one diagnostic batch: the {nth(where[1])} is "
            f"the {nth(where[0])} again (ids are trimmed: ' a' is 'a')"
        )


#: Why a student the prior lacks may be one of its students (`_written_otherwise`).
WRITTEN_OTHERWISE = f"once leading zeros or case are restored {ZEROS_DROPPED}"
WRITTEN_OTHERWISE_HINT = f"the prior holds a student whose id is this one {WRITTEN_OTHERWISE}"


def _written_otherwise(ids: Sequence[str], prior: Placement) -> np.ndarray:
    """Per id the prior lacks, whether one of its students' ids reads as it on paper
    (`one_spelling`: a leading zero lost, '42' for '0042'; another case), as the roster and
    placement readers hint; only ever said as a hint, never naming either id."""
    readings = {one_spelling(str(s)) for s in prior.students}
    return np.array([bool(one_spelling(s)) and one_spelling(s) in readings for s in ids], bool)


def _not_in_prior(unknown: np.ndarray, n_batch: int, n_prior: int, alike: int = 0) -> str:
    """Why students the prior placement lacks cannot start, by position (a one-student start
    says how to give the student their own prior); `alike` of them read as the prior's
    students (`_written_otherwise`): the hint says so."""
    if n_batch == 1:
        hint = f"; {WRITTEN_OTHERWISE_HINT}" if alike else ""
        return (
            f"the student is not in the prior placement (it covers {counted(n_prior, 'student')}"
            "): start them from their own, diag.start(student_id, prior=profile) (their "
            f"LearnerProfile, or a Placement that holds them){hint}"
        )
    reads = "reads" if alike == 1 else "read"
    hint = f"; {alike:,} of them {reads} as a student of the prior {WRITTEN_OTHERWISE}"
    return (
        f"{counted(len(unknown), 'student')} of the batch {verb(len(unknown), 'is')} not in the "
        f"prior placement ({batch_positions(unknown)} of {counted(n_batch, 'student')}; it "
        f"covers {counted(n_prior, 'student')}): pass a prior that includes them"
        + (hint if alike else "")
    )


def _check_session_keys(student_id: object, answers: object, extra: Mapping[str, Any]) -> None:
    """`resume` given what is no saved session (`to_dict()`'s keys): one `DiagnosticError`
    naming every unknown and missing key and the keys a saved session has, where Python
    would say only "unexpected keyword argument"."""
    missing = [k for k, v in (("student_id", student_id), ("answers", answers)) if v is None]
    if not extra and not missing:
        return
    said = []
    for key in sorted(extra):
        close = closest_name(key, SESSION_KEYS)
        said.append(f"unknown key {key!r}" + (f" (did you mean {close!r}?)" if close else ""))
    said += [f"missing key {key!r}" for key in missing]
    *always, prior, pending = SESSION_KEYS
    raise DiagnosticError(
        f"resume: {'; '.join(said)}; a saved session (session.to_dict()) has the keys "
        f"{', '.join(always)} and, when it was started with its own prior, {prior}; when a "
        f"question was pending, {pending}"
    )


def _sheet_problems(
    diag: PlacementDiagnostic, sheet: AnswerSheet, prior: Placement | None
) -> Found:
    """An answer sheet's students the diagnostic cannot replay, named by lines, never ids:
    more answers than `max_questions` (the first answer too many), a student the prior lacks
    (their first line; whether a leading zero was lost, `_written_otherwise`). The sheet's reader lists them with its own problems, in one error."""
    over = np.flatnonzero(sheet.step == diag.max_questions)
    expected = (
        f"at most {diag.max_questions} answers per student (this diagnostic's max_questions; "
        f"this is the student's answer {diag.max_questions + 1})"
    )
    found: list[tuple[int, str, str, str | None]] = [(i, "question", expected, "") for i in over]
    if prior is not None:
        lacking = diag._index_of(prior).get_indexer(pd.Index(sheet.students)) < 0
        first = np.flatnonzero((sheet.step == 0) & lacking[sheet.student])
        covers = counted(len(prior.students), "student")
        expected = (
            f"a student of the diagnostic's prior placement ({covers}); pass prior= a "
            "placement that holds them"
        )
        alike = _written_otherwise([sheet.students[sheet.student[i]] for i in first], prior)
        found += [
            (i, "student_id", expected + (f"; {WRITTEN_OTHERWISE_HINT}" if a else ""), None)
            for i, a in zip(first, alike, strict=True)
        ]
    found.sort(key=lambda problem: sheet.at[problem[0]])  # by line, row or row position
    listed = found[: DataValidationError.MAX_LISTED]
    return [sheet.problem(*problem) for problem in listed], len(found)


def _said_other_questions(
    diag: PlacementDiagnostic, sheet: AnswerSheet, asked: np.ndarray, strict: bool
) -> None:
    """Answers to other questions than this diagnostic asks there (`asked`: its skill code at
    each answer): refused (`strict`), naming each line and the question it asks there, or
    absorbed and said in a warning."""
    other = np.flatnonzero(asked != sheet.skill)
    if not len(other):
        return
    if strict:
        raise DataValidationError(
            [
                sheet.problem(
                    i, "question",
                    f"{diag.question(int(asked[i])).skill!r}, the question this diagnostic asks "
                    "there (another question was answered: another diagnostic's settings, "
                    "catalog or prior? replay without strict=True absorbs such answers as "
                    "evidence)",
                )
                for i in other[: DataValidationError.MAX_LISTED]
            ],
            len(other),
        )  # fmt: skip
    said = _rows_words(sheet, other)
    warnings.warn(
        f"{sheet.rows.file}: {len(other):,} of {counted(len(sheet.step), 'answer')} are not the "
        f"questions this diagnostic asks there ({said}): absorbed as evidence, as resume does "
        "(a paper test of fixed questions, another diagnostic's settings); "
        "replay(..., strict=True) refuses them",
        PlacementWarning,
        stacklevel=3,
    )


def _said_unfinished(sheet: AnswerSheet, batch: DiagnosticBatch) -> None:
    """A warning counting the students whose diagnostic the sheet leaves unfinished (fewer
    answers than `max_questions`), with their first lines: placed from the answers given."""
    unfinished = np.flatnonzero(~batch.done)
    if not len(unfinished):
        return
    first = np.flatnonzero(sheet.step == 0)[unfinished]  # one first answer per student, in order
    said = _rows_words(sheet, first)
    warnings.warn(
        f"{sheet.rows.file}: {counted(len(unfinished), 'student')} answered fewer than "
        f"{batch.diagnostic.max_questions} questions (their first answers: {said}): placed "
        "from the answers they gave",
        PlacementWarning,
        stacklevel=3,
    )


def _rows_words(sheet: AnswerSheet, answers: np.ndarray) -> str:
    """Where these answers are, as a message says it: 'lines 3, 8 and 12' (a Parquet file's
    'rows', a frame's 'row labels' or 'row positions')."""
    return line_words([sheet.at[i] for i in answers]).replace("line", sheet.rows.unit)
