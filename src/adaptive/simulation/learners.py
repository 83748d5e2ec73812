"""Ground-truth simulated learners: many students at once, vectorized with numpy.

A `LearnerSimulator` holds the hidden per-student, per-skill state of `n_students` students over
a `Catalog`, and answers "student s does activity a at time t" for a whole batch at once. It is
the truth that the district simulator writes logs from and that policies are scored against.

    sim = BKTLearners(catalog, n_students=2_000, seed=0)
    correct, completed = sim.respond(students, activities, now_days=3.0)   # one step, a batch
    truth = sim.true_mastery(now_days=10.0)                                # (n_students, n_skills)
    mastered = sim.is_mastered(now_days=10.0)                              # truth >= threshold

One call of `respond` does, for every (student, activity) pair of the batch:

1. forgetting since the student last met each of the activity's skills (time-based, slower for
   skills practised successfully more often: `stability`);
2. engagement: the student completes the activity with a probability that rises with the match
   between the activity's topics and the student's interests (and falls when the activity is far
   too hard). Not completed -> no response, no learning (`completed` False, `correct` 0);
3. the answer: correct with a probability set by the hidden state, slip/guess and the
   activity's `difficulty` (logit shift); a multi-skill activity averages its skills;
4. learning: faster when the activity sits at the right difficulty (P(correct) near
   `zpd_center`) and when the skill's prerequisites are known; projects teach more, assessments
   less.

Three kinds, deliberately different, so a policy cannot win by matching the simulator it is
scored on (issue 5, section 7):

- `BKTLearners` ("bkt"): binary hidden mastery; per-skill p_init / p_learn / p_guess / p_slip /
  p_forget drawn from pyBKT fits on ASSISTments 2009 (`adaptive/simulation/assist2009_bkt.json`,
  see `adaptive.simulation.calibrate`), per-student learning rates.
- `LogisticLearners` ("logistic"): continuous ability per skill, P(correct) =
  sigmoid(ability - skill difficulty - activity difficulty); ability grows with each practice and
  its gains decay over time.
- `PrerequisiteLearners` ("prerequisite"): binary mastery where learning a skill whose
  prerequisites are not known is very slow, and answers need the prerequisites too.

Each student carries subgroup flags the policy evaluation groups by: `slow_learner` (learning
rate x `slow_factor`) and `low_prior` (prior knowledge x `low_prior_factor`).

The API (every array indexed by simulator row `0..n_students-1`, skill code in
`catalog.skill_index`, activity row in `catalog.activities`):

- `make_learners(kind, catalog, n_students, seed, *, interests=None, prior_mastery=None,
  start_days=0.0, engagement=None, learning=None)` or the class itself;
- `respond(student_idx, activity_idx, now_days) -> (correct int8, completed bool)`: mutates;
- `p_correct(...)`, `p_complete(...)` (same arguments, no change, no randomness) and
  `interest_match(student_idx, activity_idx)`;
- `true_mastery(now_days, students=None) -> float32 (n, n_skills)`, `is_mastered(...)` using
  the class's `mastery_threshold` (0.5 for bkt/prerequisite, 0.8 for logistic);
- per-student arrays `slow_learner`, `low_prior` (bool), `learn_rate`, `forget_rate`,
  `engagement_base`, `interests` (n, n_topics); `traits()` as a DataFrame;
  `learner_profiles(student_ids, grades=None, weekly_minutes=None)`;
- state arrays `clock` (days up to which forgetting was applied), `stability`, `n_practice`
  (n, n_skills), plus the kind's own (`known` or `theta0` / `gain`).

Rules for callers: a student appears at most once per `respond` call (state updates would
collide otherwise; checked); times are in days (float) and must not go backwards per skill
(negative gaps are treated as 0). Every random draw comes from the simulator's own generator, so
a simulator built with the same seed and driven with the same calls gives the same results;
student traits and initial knowledge come from a separate stream, so two policies driving two
simulators built with the same seed face the same students (paired comparison).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.curriculum.catalog import ACTIVITY_KINDS
from adaptive.errors import ConfigError, unknown_key

#: Shipped with the package (written by `adaptive.simulation.calibrate`).
CALIBRATION_FILE = Path(__file__).resolve().parent / "assist2009_bkt.json"

#: Learning multiplier per activity kind (order of `ACTIVITY_KINDS`).
DEFAULT_KIND_LEARNING = {"practice": 1.0, "review": 1.0, "project": 1.5, "assessment": 0.5}


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class EngagementParams:
    """P(complete) = sigmoid(base_s + interest_weight * match - frustration_weight * too_hard).

    base_s ~ Normal(base_mean, base_sd) per student; match in [0, 1] is the mean interest of the
    student in the activity's topics; too_hard = max(0, too_hard_below - P(correct)).
    """

    base_mean: float = 1.0
    base_sd: float = 0.6
    interest_weight: float = 2.5
    frustration_weight: float = 3.0
    too_hard_below: float = 0.4


@dataclass(frozen=True)
class LearningParams:
    """Shared shape of learning and forgetting (each kind adds its own)."""

    zpd_center: float = 0.6  # P(correct) at which an activity teaches best
    zpd_width: float = 0.35
    zpd_floor: float = 0.4  # learning factor far from the centre
    slow_fraction: float = 0.2
    slow_factor: float = 0.35
    low_prior_fraction: float = 0.2
    low_prior_factor: float = 0.25
    learn_rate_sd: float = 0.3  # lognormal spread of per-student learning rates
    forget_sd: float = 0.3  # lognormal spread of per-student forgetting rates
    forget_scale: float = 0.1  # per-day hazard = forget_scale x the per-opportunity rate
    prior_stability: float = 10.0  # stability of skills known before the simulation
    stability_gain: float = 1.0  # added on each correct, completed practice
    max_stability: float = 50.0


class LearnerSimulator(ABC):
    """Base: per-student traits, engagement, forgetting clock and the `respond` pipeline.

    Parameters
    ----------
    catalog : skills (with prerequisites) and activities (skills, difficulty, topics, kind).
    n_students : number of simulated students (rows of every state array).
    seed : seeds every random draw (traits, skill parameters, responses: separate streams).
    interests : optional (n_students, n_topics) weights in [0, 1] aligned with
        `catalog.topic_index`; drawn when omitted (1-3 topics per student).
    prior_mastery : optional (n_students, n_skills) P(skill known at the start), e.g. by grade;
        drawn from the kind's own priors when omitted. `low_prior` students get it x
        `low_prior_factor` either way.
    start_days : time of the initial state (days).
    engagement, learning : parameter sets (see their docstrings).
    """

    kind: ClassVar[str]
    #: `true_mastery` at or above this counts as mastered (`is_mastered`).
    mastery_threshold: ClassVar[float]

    def __init__(
        self,
        catalog: Catalog,
        n_students: int,
        seed: int,
        *,
        interests: np.ndarray | None = None,
        prior_mastery: np.ndarray | None = None,
        start_days: float = 0.0,
        engagement: EngagementParams | None = None,
        learning: LearningParams | None = None,
    ) -> None:
        if n_students < 1:
            raise ConfigError(f"n_students {n_students}: expected >= 1")
        if not catalog.activities:
            raise ConfigError("catalog has no activities: a simulator needs something to do")
        self.catalog = catalog
        self.n_students = int(n_students)
        self.seed = seed
        self.engagement = engagement or EngagementParams()
        self.learning = learning or LearningParams()
        traits_ss, skills_ss, prior_ss, respond_ss = np.random.SeedSequence(seed).spawn(4)
        self._rng = np.random.default_rng(respond_ss)
        n, lp = self.n_students, self.learning
        self.n_skills = len(catalog.skills)
        self.n_topics = len(catalog.topics)

        # -- per-student traits --------------------------------------------------------------
        rng = np.random.default_rng(traits_ss)
        self.slow_learner = rng.random(n) < lp.slow_fraction
        self.low_prior = rng.random(n) < lp.low_prior_fraction
        self.learn_rate = rng.lognormal(0.0, lp.learn_rate_sd, n) * np.where(
            self.slow_learner, lp.slow_factor, 1.0
        )
        self.forget_rate = rng.lognormal(0.0, lp.forget_sd, n)
        eng = self.engagement
        self.engagement_base = rng.normal(eng.base_mean, eng.base_sd, n)
        if interests is None:
            interests = draw_interests(rng, n, self.n_topics)
        interests = np.asarray(interests, dtype=np.float32)
        if interests.shape != (n, self.n_topics):
            raise ConfigError(
                f"interests shape {interests.shape}: expected (n_students, n_topics) = "
                f"{(n, self.n_topics)} aligned with catalog.topic_index"
            )
        self.interests = interests
        self.ability = rng.normal(0.0, 1.0, n)  # general aptitude; kinds may use it

        # -- activity views (computed once) ------------------------------------------------------
        codes = catalog.activity_skill_codes
        self._act_nskills = (codes >= 0).sum(axis=1)
        self._act_codes = codes
        self._act_difficulty = catalog.activity_difficulty
        kind_mult = np.array([DEFAULT_KIND_LEARNING[k] for k in ACTIVITY_KINDS])
        self._act_learning = kind_mult[catalog.activity_kind_codes]
        topics = catalog.activity_topic_matrix.toarray().astype(np.float32)
        n_topics_per_act = topics.sum(axis=1, keepdims=True)
        self._act_topics = np.divide(
            topics, n_topics_per_act, out=np.zeros_like(topics), where=n_topics_per_act > 0
        )
        self._prereq_codes = catalog.prerequisite_codes

        # -- state -------------------------------------------------------------------------------
        self.clock = np.full((n, self.n_skills), start_days, dtype=np.float32)
        self.stability = np.full((n, self.n_skills), lp.prior_stability, dtype=np.float32)
        self.n_practice = np.zeros((n, self.n_skills), dtype=np.int16)
        skill_rng = np.random.default_rng(skills_ss)
        self._init_skills(skill_rng)
        prior_rng = np.random.default_rng(prior_ss)
        if prior_mastery is not None:
            prior_mastery = np.asarray(prior_mastery, dtype=np.float64)
            if prior_mastery.shape != (n, self.n_skills):
                raise ConfigError(
                    f"prior_mastery shape {prior_mastery.shape}: expected {(n, self.n_skills)}"
                )
        self._init_state(prior_rng, prior_mastery)

    # -- what each kind defines ------------------------------------------------------------------
    @abstractmethod
    def _init_skills(self, rng: np.random.Generator) -> None:
        """Draw per-skill parameters (at least `self.forget_per_day`, shape (n_skills,))."""

    @abstractmethod
    def _init_state(self, rng: np.random.Generator, prior: np.ndarray | None) -> None:
        """Draw the initial hidden state (prior knowledge)."""

    @abstractmethod
    def _mastery_entries(self, stu: np.ndarray, skill: np.ndarray, now: np.ndarray) -> np.ndarray:
        """True mastery (as `true_mastery`) at (stu[i], skill[i]) at time now[i], no change."""

    @abstractmethod
    def _p_correct_entries(
        self, stu: np.ndarray, skill: np.ndarray, difficulty: np.ndarray, now: np.ndarray
    ) -> np.ndarray:
        """P(correct) of an item of `skill` at logit `difficulty`, expected over forgetting."""

    @abstractmethod
    def _forget_entries(self, stu: np.ndarray, skill: np.ndarray, now: np.ndarray) -> None:
        """Apply forgetting from `clock` to `now` to the hidden state (may sample)."""

    @abstractmethod
    def _learn_entries(
        self,
        stu: np.ndarray,
        skill: np.ndarray,
        rate: np.ndarray,
        prereq_known: np.ndarray,
        correct: np.ndarray,
    ) -> None:
        """Learning step; `rate` already holds student, difficulty-fit and kind factors."""

    # -- public API ------------------------------------------------------------------------------
    def respond(
        self,
        student_idx: np.ndarray,
        activity_idx: np.ndarray,
        now_days: np.ndarray | float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Students do activities at `now_days`; returns (correct int8, completed bool).

        `student_idx` and `activity_idx` are aligned int arrays (rows of this simulator, rows of
        `catalog.activities`); a student at most once per call. `correct` is 0 where the activity
        was not completed. Updates the hidden state (forgetting, then learning).
        """
        stu, act, now = self._check_batch(student_idx, activity_idx, now_days)
        row, e_stu, e_skill = self._entries(stu, act)
        e_now = now[row]
        self._forget_entries(e_stu, e_skill, e_now)
        self.clock.reshape(-1)[self._flat(e_stu, e_skill)] = e_now
        e_diff = self._act_difficulty[act][row]
        p_entry = self._p_correct_entries(e_stu, e_skill, e_diff, e_now)
        p_correct = self._per_activity(row, p_entry, act)
        p_complete = self._p_complete(stu, act, p_correct)
        rng = self._rng
        completed = rng.random(len(stu)) < p_complete
        correct = (rng.random(len(stu)) < p_correct) & completed
        lp = self.learning
        fit = self._learning_fit(stu, act, p_correct)
        rate = self.learn_rate[stu] * fit * self._act_learning[act]
        done = completed[row]
        d_stu, d_skill, d_row = e_stu[done], e_skill[done], row[done]
        prereq = self._prereq_known(d_stu, d_skill, now[d_row])
        d_correct = correct[d_row]
        self._learn_entries(d_stu, d_skill, rate[d_row], prereq, d_correct)
        flat = self._flat(d_stu, d_skill)
        self.n_practice.reshape(-1)[flat] += 1
        stability = self.stability.reshape(-1)
        stab = stability[flat] + np.where(d_correct, lp.stability_gain, 0.0)
        stability[flat] = np.minimum(stab, lp.max_stability)
        return correct.astype(np.int8), completed

    def p_correct(
        self, student_idx: np.ndarray, activity_idx: np.ndarray, now_days: np.ndarray | float
    ) -> np.ndarray:
        """True P(correct) of each pair at `now_days` (expected over forgetting); no change."""
        stu, act, now = self._check_batch(student_idx, activity_idx, now_days, unique=False)
        row, e_stu, e_skill = self._entries(stu, act)
        e_diff = self._act_difficulty[act][row]
        p = self._p_correct_entries(e_stu, e_skill, e_diff, now[row])
        return self._per_activity(row, p, act)

    def learning_fit(
        self, student_idx: np.ndarray, activity_idx: np.ndarray, now_days: np.ndarray | float
    ) -> np.ndarray:
        """The difficulty-fit factor (in (0, 1]) by which each pair's activity would multiply the
        student's learning rate at `now_days`; no change. The truth a ceiling policy may read."""
        p = self.p_correct(student_idx, activity_idx, now_days)
        stu, act, _ = self._check_batch(student_idx, activity_idx, now_days, unique=False)
        return self._learning_fit(stu, act, p)

    def _learning_fit(self, stu: np.ndarray, act: np.ndarray, p_correct: np.ndarray) -> np.ndarray:
        """Default: fastest where P(correct) is near `zpd_center` (Gaussian, floor `zpd_floor`)."""
        lp = self.learning
        return lp.zpd_floor + (1 - lp.zpd_floor) * np.exp(
            -(((p_correct - lp.zpd_center) / lp.zpd_width) ** 2)
        )

    def p_complete(
        self, student_idx: np.ndarray, activity_idx: np.ndarray, now_days: np.ndarray | float
    ) -> np.ndarray:
        """True P(the student completes the activity) at `now_days`; no change."""
        p = self.p_correct(student_idx, activity_idx, now_days)
        stu, act, _ = self._check_batch(student_idx, activity_idx, now_days, unique=False)
        return self._p_complete(stu, act, p)

    def interest_match(self, student_idx: np.ndarray, activity_idx: np.ndarray) -> np.ndarray:
        """Mean interest of each student in the activity's topics, in [0, 1]."""
        stu = np.asarray(student_idx, dtype=np.int64)
        act = np.asarray(activity_idx, dtype=np.int64)
        return (self.interests[stu] * self._act_topics[act]).sum(axis=1)

    def true_mastery(
        self, now_days: float, students: np.ndarray | slice | None = None
    ) -> np.ndarray:
        """(n_students, n_skills) true mastery at `now_days`, including forgetting since the
        last encounter. BKT and prerequisite kinds: P(the skill is still known); logistic: P(a
        typical item of the skill is answered correctly). Pass `students` to get those rows."""
        rows = np.arange(self.n_students)[students if students is not None else slice(None)]
        out = np.empty((len(rows), self.n_skills), dtype=np.float32)
        chunk = max(1, 2_000_000 // max(self.n_skills, 1))  # bounded memory at district scale
        skills = np.arange(self.n_skills)
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            stu = np.repeat(part, self.n_skills)
            skill = np.tile(skills, len(part))
            now = np.full(len(stu), float(now_days))
            values = self._mastery_entries(stu, skill, now)
            out[start : start + len(part)] = values.reshape(len(part), self.n_skills)
        return out

    def is_mastered(
        self, now_days: float, students: np.ndarray | slice | None = None
    ) -> np.ndarray:
        """Boolean (n_students, n_skills): `true_mastery >= mastery_threshold`."""
        return self.true_mastery(now_days, students) >= self.mastery_threshold

    def traits(self) -> pd.DataFrame:
        """Per-student traits and subgroup flags, one row per simulator row."""
        return pd.DataFrame(
            {
                "slow_learner": self.slow_learner,
                "low_prior": self.low_prior,
                "learn_rate": self.learn_rate,
                "forget_rate": self.forget_rate,
                "engagement_base": self.engagement_base,
            }
        )

    def learner_profiles(
        self,
        student_ids: list[str] | pd.Index,
        grades: np.ndarray | None = None,
        weekly_minutes: np.ndarray | None = None,
    ) -> list[LearnerProfile]:
        """`LearnerProfile`s of the simulated students (interests with weight > 0 only)."""
        topics = list(self.catalog.topics)
        out = []
        for i, sid in enumerate(student_ids):
            nz = np.flatnonzero(self.interests[i])
            out.append(
                LearnerProfile(
                    student_id=str(sid),
                    grade=None if grades is None else int(grades[i]),
                    interests={topics[t]: round(float(self.interests[i, t]), 4) for t in nz},
                    weekly_minutes=150.0 if weekly_minutes is None else float(weekly_minutes[i]),
                )
            )
        return out

    # -- shared helpers --------------------------------------------------------------------------
    def _check_batch(
        self,
        student_idx: np.ndarray,
        activity_idx: np.ndarray,
        now_days: np.ndarray | float,
        unique: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        stu = np.asarray(student_idx, dtype=np.int64).ravel()
        act = np.asarray(activity_idx, dtype=np.int64).ravel()
        if stu.shape != act.shape:
            raise ConfigError(f"student_idx {stu.shape} and activity_idx {act.shape}: same length")
        if len(stu) and (stu.min() < 0 or stu.max() >= self.n_students):
            raise ConfigError(f"student_idx outside [0, {self.n_students})")
        if len(act) and (act.min() < 0 or act.max() >= len(self.catalog.activities)):
            raise ConfigError(f"activity_idx outside [0, {len(self.catalog.activities)})")
        if unique and len(stu) and np.bincount(stu, minlength=self.n_students).max() > 1:
            raise ConfigError("respond: a student appears more than once in one call")
        now = np.broadcast_to(np.asarray(now_days, dtype=np.float64), stu.shape).astype(np.float64)
        return stu, act, now

    def _entries(self, stu: np.ndarray, act: np.ndarray) -> tuple[np.ndarray, ...]:
        """Explode pairs into (pair row, student, skill) entries, one per skill of the activity."""
        codes = self._act_codes[act]
        mask = codes >= 0
        row = np.nonzero(mask)[0]
        return row, stu[row], codes[mask].astype(np.int64)

    def _per_activity(self, row: np.ndarray, values: np.ndarray, act: np.ndarray) -> np.ndarray:
        """Mean of entry values per pair (an activity's skills are compensatory)."""
        total = np.bincount(row, weights=values, minlength=len(act))
        return total / self._act_nskills[act]

    def _p_complete(self, stu: np.ndarray, act: np.ndarray, p_correct: np.ndarray) -> np.ndarray:
        return self.completion(self.engagement_base[stu], stu, act, p_correct)

    def completion(
        self, base: np.ndarray, stu: np.ndarray, act: np.ndarray, p_correct: np.ndarray
    ) -> np.ndarray:
        """P(complete) of each pair for students of engagement `base` (`EngagementParams`):
        the engagement model with the base given, for a reader that knows no student's own
        (`adaptive.evaluation.model_filter`'s population filter)."""
        eng = self.engagement
        match = self.interest_match(stu, act)
        too_hard = np.maximum(0.0, eng.too_hard_below - p_correct)
        return sigmoid(base + eng.interest_weight * match - eng.frustration_weight * too_hard)

    def _prereq_known(self, stu: np.ndarray, skill: np.ndarray, now: np.ndarray) -> np.ndarray:
        """Mean true mastery of each entry's direct prerequisites (1 where it has none)."""
        found = self._prereq_mastery(stu, skill, now)
        if found is None:
            return np.ones(len(stu))
        entry, m, count = found
        total = np.bincount(entry, weights=m, minlength=len(stu))
        return np.where(count > 0, total / np.maximum(count, 1), 1.0)

    def _prereq_mastery(
        self, stu: np.ndarray, skill: np.ndarray, now: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(entry of each prerequisite, its true mastery, prerequisites per entry) for the
        direct prerequisites of each entry's skill; None when no entry has any."""
        pre = self._prereq_codes[skill]
        mask = pre >= 0
        if not mask.any():
            return None
        r, c = np.nonzero(mask)
        m = self._mastery_entries(stu[r], pre[r, c].astype(np.int64), now[r])
        return r, m, mask.sum(axis=1)

    def _retention(self, stu: np.ndarray, skill: np.ndarray, now: np.ndarray) -> np.ndarray:
        """exp(-hazard * gap / stability): the share of what was known that survives."""
        flat = self._flat(stu, skill)
        gap = np.maximum(now - self.clock.reshape(-1)[flat], 0.0)
        hazard = self.forget_per_day[skill] * self.forget_rate[stu] * self.learning.forget_scale
        return np.exp(-hazard * gap / self.stability.reshape(-1)[flat])

    def _flat(self, stu: np.ndarray, skill: np.ndarray) -> np.ndarray:
        """Flat positions in the (n_students, n_skills) state arrays (gathers ~2x faster)."""
        return stu * self.n_skills + skill


class BKTLearners(LearnerSimulator):
    """Binary mastery with BKT parameters fitted on ASSISTments 2009 (per-student learn rates).

    Each catalog skill takes the five probabilities of one usable ASSIST2009 skill fit, drawn with
    replacement (keeping their correlation). pyBKT's per-opportunity `p_forget` becomes a per-day
    hazard -log(1 - p_forget) x `LearningParams.forget_scale` (default 0.1: ASSIST2009
    opportunities were mostly minutes apart, and the full rate per day would erase a term's
    learning within weeks), divided by the skill's stability. `prereq_weight` sets how much
    unknown prerequisites slow learning: rate x (1 - w + w * prerequisites known).
    """

    kind = "bkt"
    mastery_threshold = 0.5
    prereq_weight: ClassVar[float] = 0.5

    def __init__(
        self, catalog: Catalog, n_students: int, seed: int, *,
        calibration: str | Path | None = None, **kwargs: object,
    ) -> None:  # fmt: skip
        self.calibration = Path(calibration) if calibration else CALIBRATION_FILE
        super().__init__(catalog, n_students, seed, **kwargs)  # type: ignore[arg-type]

    def _init_skills(self, rng: np.random.Generator) -> None:
        fits = load_calibration(self.calibration)
        pick = rng.integers(0, len(fits), self.n_skills)
        chosen = fits.iloc[pick]
        self.p_init = chosen["p_init"].to_numpy(float)
        self.p_learn = chosen["p_learn"].to_numpy(float)
        self.p_guess = chosen["p_guess"].to_numpy(float)
        self.p_slip = chosen["p_slip"].to_numpy(float)
        self.p_forget = chosen["p_forget"].to_numpy(float)
        self.forget_per_day = -np.log1p(-np.clip(self.p_forget, 0.0, 0.99))

    def _init_state(self, rng: np.random.Generator, prior: np.ndarray | None) -> None:
        if prior is None:
            prior = np.broadcast_to(self.p_init, (self.n_students, self.n_skills))
        factor = np.where(self.low_prior, self.learning.low_prior_factor, 1.0)[:, None]
        self.known = rng.random((self.n_students, self.n_skills), dtype=np.float32) < (
            prior * factor
        )

    def _mastery_entries(self, stu: np.ndarray, skill: np.ndarray, now: np.ndarray) -> np.ndarray:
        return self.known.reshape(-1)[self._flat(stu, skill)] * self._retention(stu, skill, now)

    def _answer(self, known: np.ndarray, skill: np.ndarray, difficulty: np.ndarray) -> np.ndarray:
        """P(correct) given P(known): slip and guess shifted on the logit scale by difficulty."""
        p_known_right = sigmoid(logit(1.0 - self.p_slip[skill]) - difficulty)
        p_guess = sigmoid(logit(self.p_guess[skill]) - difficulty)
        return known * p_known_right + (1.0 - known) * p_guess

    def _p_correct_entries(
        self, stu: np.ndarray, skill: np.ndarray, difficulty: np.ndarray, now: np.ndarray
    ) -> np.ndarray:
        return self._answer(self._mastery_entries(stu, skill, now), skill, difficulty)

    def _forget_entries(self, stu: np.ndarray, skill: np.ndarray, now: np.ndarray) -> None:
        keep = self._rng.random(len(stu)) < self._retention(stu, skill, now)
        self.known.reshape(-1)[self._flat(stu, skill)] &= keep

    def _learn_entries(
        self,
        stu: np.ndarray,
        skill: np.ndarray,
        rate: np.ndarray,
        prereq_known: np.ndarray,
        correct: np.ndarray,
    ) -> None:
        w = self.prereq_weight
        p = np.clip(self.p_learn[skill] * rate * (1.0 - w + w * prereq_known), 0.0, 1.0)
        learned = self._rng.random(len(stu)) < p
        self._mark_learned(stu, skill, learned)

    def _mark_learned(self, stu: np.ndarray, skill: np.ndarray, learned: np.ndarray) -> None:
        """Set learned entries known; a fresh one starts with a first encounter's stability."""
        flat = self._flat(stu, skill)
        known = self.known.reshape(-1)
        newly = learned & ~known[flat]
        known[flat] |= learned
        self.stability.reshape(-1)[flat[newly]] = 1.0


class PrerequisiteLearners(BKTLearners):
    """Binary mastery gated by the prerequisite graph.

    Learning a skill runs at rate x (floor + (1 - floor) * known_prereqs ** 2): with unknown
    prerequisites it is about 20x slower (`floor` 0.05). Answering also needs the prerequisites:
    a student who knows the skill but not its prerequisites answers only half-way between the
    known and the unknown rates. Skill parameters come from the same ASSIST2009 fits as the BKT
    kind (drawn the same way), the structure is what differs.
    """

    kind = "prerequisite"
    mastery_threshold = 0.5
    prereq_floor: ClassVar[float] = 0.05

    def _p_correct_entries(
        self, stu: np.ndarray, skill: np.ndarray, difficulty: np.ndarray, now: np.ndarray
    ) -> np.ndarray:
        known = self._mastery_entries(stu, skill, now)
        pre = self._prereq_known(stu, skill, now)
        effective = known * (pre + (1.0 - pre) * 0.5)
        return self._answer(effective, skill, difficulty)

    def _learn_entries(
        self,
        stu: np.ndarray,
        skill: np.ndarray,
        rate: np.ndarray,
        prereq_known: np.ndarray,
        correct: np.ndarray,
    ) -> None:
        gate = self.prereq_floor + (1.0 - self.prereq_floor) * prereq_known**2
        p = np.clip(self.p_learn[skill] * rate * gate, 0.0, 1.0)
        learned = self._rng.random(len(stu)) < p
        self._mark_learned(stu, skill, learned)


class LogisticLearners(LearnerSimulator):
    """Continuous ability: P(correct) = guess + (1 - guess - slip) * sigmoid(theta - b - d).

    theta = theta0 (prior ability on the skill) + gain; each completed practice adds
    `step` x rate x (0.5 + 0.5 * known prerequisites) x (1.5 if correct else 1) to the gain, and
    the gain decays towards 0 with the skill's forgetting hazard over its stability. Skill
    difficulties b ~ Normal(0, 0.8); per-day hazards ~ lognormal around 0.03. True mastery is
    P(correct) on a typical item (d = 0); mastered means at least 0.8.
    """

    kind = "logistic"
    mastery_threshold = 0.8
    step: ClassVar[float] = 0.35
    guess: ClassVar[float] = 0.1
    slip: ClassVar[float] = 0.05

    def _init_skills(self, rng: np.random.Generator) -> None:
        self.skill_difficulty = rng.normal(0.0, 0.8, self.n_skills)
        self.forget_per_day = rng.lognormal(np.log(0.03), 0.5, self.n_skills)

    def _init_state(self, rng: np.random.Generator, prior: np.ndarray | None) -> None:
        n, k = self.n_students, self.n_skills
        low = np.where(self.low_prior, np.log(self.learning.low_prior_factor), 0.0)[:, None]
        if prior is None:
            theta = self.ability[:, None] + rng.normal(0.0, 0.7, (n, k)) + low
            theta += self.skill_difficulty[None, :] - 0.5  # typical item ~ 0.6 correct at start
        else:
            # P(known) -> the ability at which a typical item is answered with that probability
            theta = self.skill_difficulty[None, :] + logit(prior) + low + rng.normal(0, 0.3, (n, k))
        self.theta0 = theta.astype(np.float32)
        self.gain = np.zeros((n, k), dtype=np.float32)

    def _theta(self, stu: np.ndarray, skill: np.ndarray, now: np.ndarray) -> np.ndarray:
        flat = self._flat(stu, skill)
        gain = self.gain.reshape(-1)[flat]
        return self.theta0.reshape(-1)[flat] + gain * self._retention(stu, skill, now)

    def _answer(self, theta: np.ndarray, skill: np.ndarray, difficulty: np.ndarray) -> np.ndarray:
        core = sigmoid(theta - self.skill_difficulty[skill] - difficulty)
        return self.guess + (1.0 - self.guess - self.slip) * core

    def _mastery_entries(self, stu: np.ndarray, skill: np.ndarray, now: np.ndarray) -> np.ndarray:
        return sigmoid(self._theta(stu, skill, now) - self.skill_difficulty[skill])

    def _p_correct_entries(
        self, stu: np.ndarray, skill: np.ndarray, difficulty: np.ndarray, now: np.ndarray
    ) -> np.ndarray:
        return self._answer(self._theta(stu, skill, now), skill, difficulty)

    def _forget_entries(self, stu: np.ndarray, skill: np.ndarray, now: np.ndarray) -> None:
        retention = self._retention(stu, skill, now).astype(np.float32)
        self.gain.reshape(-1)[self._flat(stu, skill)] *= retention

    def _learn_entries(
        self,
        stu: np.ndarray,
        skill: np.ndarray,
        rate: np.ndarray,
        prereq_known: np.ndarray,
        correct: np.ndarray,
    ) -> None:
        delta = self.step * rate * (0.5 + 0.5 * prereq_known) * np.where(correct, 1.5, 1.0)
        self.gain.reshape(-1)[self._flat(stu, skill)] += delta.astype(np.float32)


SIMULATORS: dict[str, type[LearnerSimulator]] = {
    cls.kind: cls for cls in (BKTLearners, LogisticLearners, PrerequisiteLearners)
}


def make_learners(kind: str, catalog: Catalog, n_students: int, seed: int, **kwargs: object):
    """Build a simulator by kind name: "bkt", "logistic" or "prerequisite"."""
    try:
        cls = SIMULATORS[kind]
    except KeyError as exc:
        raise ConfigError(unknown_key(kind, SIMULATORS, "learner kind")) from exc
    return cls(catalog, n_students, seed, **kwargs)  # type: ignore[arg-type]


def load_calibration(path: str | Path = CALIBRATION_FILE) -> pd.DataFrame:
    """The usable per-skill BKT fits of a calibration file (see `adaptive.simulation.calibrate`)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
        fits = pd.DataFrame(doc["skills"])
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise ConfigError(f"{path}: not a calibration file ({exc})") from exc
    fits = fits.loc[fits["usable"]].reset_index(drop=True)
    if fits.empty:
        raise ConfigError(f"{path}: no usable skill fits")
    return fits


def draw_interests(rng: np.random.Generator, n_students: int, n_topics: int) -> np.ndarray:
    """Each student cares about 1-3 topics (weights in [0.5, 1]), the rest 0."""
    out = np.zeros((n_students, n_topics), dtype=np.float32)
    if n_topics == 0:
        return out
    k = rng.integers(1, min(3, n_topics) + 1, n_students)
    # a random permutation per student via argsort of uniforms; first k topics are the interests
    order = np.argsort(rng.random((n_students, n_topics)), axis=1)
    weights = rng.uniform(0.5, 1.0, (n_students, n_topics)).astype(np.float32)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n_topics)[None, :].repeat(n_students, 0), axis=1)
    out[rank < k[:, None]] = weights[rank < k[:, None]]
    return out
