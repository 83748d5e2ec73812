"""Mastery for models without a latent state of their own: a BKT traced beside them.

The logistic models (IRT, PFA, Best-LR) and the deep models (DKT, SAKT, AKT) predict P(correct);
they have no latent "knows the skill" state. A teacher's "mastered" and the policy's mastery
threshold are about that latent state, and raw P(correct) under-calls it: a student who never
misses still has P(correct) well below 1 (the best students still slip), and a logistic model's
counts move slowly after a run of right answers.

**Latent mastery (`LatentMastery`).** At `fit`, a standard BKT (`adaptive.tracing.bkt.BKT`, no
forgetting, the vectorized EM engine, seeded) is fitted on the *same training log* the model is
fitted on, and kept with the model. Its per-(student, skill) P(known) is traced in the model's own
state (its arrays `p_known` and `n_responses` sit beside the model's; every `update` absorbs each
response into both), and it is the model's `mastery`: the posterior of a two-state latent model
whose parameters were fitted on that log, with nothing else used (no held-out data, no simulator
truth). The model's own P(correct) still drives predictions and the policy's difficulty; only
"mastered" comes from the latent state. Measured on the simulated demo district against the
simulator's true state (`python -m experiments.bench_mastery`, RESULTS.md): P(correct) mapped
through guess and slip (below) reached precision / recall 0.878 / 0.440 for Best-LR and
0.790 / 0.245 for IRT at the policy's threshold, where the latent state reaches those of BKT
itself for every model (0.915 / 0.820).

**Guess and slip (`MasteryCalibration`).** The same BKT's per-skill emission probabilities,
P(correct | not mastered) and P(wrong | mastered), shrunk and bounded, map between mastery and
P(correct) on a typical item: `p_correct(m) = guess + m (1 - slip - guess)` (the placement blend
maps a placed mastery to P(correct) through it) and its inverse
`mastery(p) = clip((p - guess) / (1 - slip - guess), 0, 1)`, which is what an artifact saved
before latent mastery existed reports (a warning says so: retrain it). BKT's estimates on sparse
skills are noisy and can be degenerate (guess + slip near or above 1: a correct answer would
lower mastery), so they are

* shrunk toward the response-weighted population value with `PSEUDO_RESPONSES` pseudo-responses
  (a skill with 30 responses moves less than halfway from the population toward its own fit);
* bounded: guess and slip each in [`MIN_RATE`, `MAX_RATE`], and 1 - slip - guess at least
  `MIN_SPREAD` (both shrunk toward 0 together when not), so the mapping stays monotone and
  never divides by less than `MIN_SPREAD`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from adaptive.data.log import ResponseLog
from adaptive.errors import FitWarning

if TYPE_CHECKING:
    from adaptive.data.log import Response
    from adaptive.tracing.base import TracingState
    from adaptive.tracing.bkt import BKT

#: Pseudo-responses at the population value added to each skill's own estimate.
PSEUDO_RESPONSES = 50.0
MIN_RATE = 1e-3
MAX_RATE = 0.45
#: Smallest 1 - slip - guess: how far P(correct) moves from not mastered to mastered.
MIN_SPREAD = 0.2
#: Array names in a model's `arrays.npz`.
GUESS_ARRAY = "mastery_guess"
SLIP_ARRAY = "mastery_slip"
#: Prefix of the latent BKT's arrays in a model's `arrays.npz`.
LATENT_PREFIX = "latent_"
#: The latent BKT's state arrays, kept in the model's state beside its own.
LATENT_STATE = ("p_known", "n_responses")


@dataclass(frozen=True)
class MasteryCalibration:
    """Per-skill guess and slip (aligned with the model's `skills_`) and the two mappings."""

    guess: np.ndarray  # (n_skills,) P(correct | not mastered)
    slip: np.ndarray  # (n_skills,) P(wrong | mastered)

    @classmethod
    def identity(cls, n_skills: int) -> MasteryCalibration:
        """mastery = P(correct): what models reported before calibration existed."""
        return cls(np.zeros(n_skills), np.zeros(n_skills))

    @classmethod
    def from_bkt(cls, bkt: BKT, skills: pd.Index) -> MasteryCalibration:
        """Guess and slip of each of `skills` from a fitted BKT (see module doc)."""
        table = bkt.params_table().set_index("skill").reindex(pd.Index(skills).astype(str))
        n = table["n_responses"].fillna(0.0).to_numpy(float)
        guess = table["p_guess"].to_numpy(float)
        slip = table["p_slip"].to_numpy(float)
        return cls.shrunk(guess, slip, n)

    @classmethod
    def shrunk(cls, guess: np.ndarray, slip: np.ndarray, n: np.ndarray) -> MasteryCalibration:
        """Shrink raw per-skill estimates (NaN = unknown) with `n` responses each toward the
        response-weighted population value, then bound them (see module doc)."""
        known = np.isfinite(guess) & np.isfinite(slip) & (n > 0)
        w = np.where(known, n, 0.0)
        if w.sum() > 0:
            pop_g = float(np.average(np.where(known, guess, 0.0), weights=w))
            pop_s = float(np.average(np.where(known, slip, 0.0), weights=w))
        else:
            pop_g = pop_s = 0.1
        share = w / (w + PSEUDO_RESPONSES)
        g = share * np.where(known, guess, 0.0) + (1.0 - share) * pop_g
        s = share * np.where(known, slip, 0.0) + (1.0 - share) * pop_s
        g = np.clip(g, MIN_RATE, MAX_RATE)
        s = np.clip(s, MIN_RATE, MAX_RATE)
        excess = g + s - (1.0 - MIN_SPREAD)
        scale = np.where(excess > 0, (1.0 - MIN_SPREAD) / (g + s), 1.0)
        return cls(g * scale, s * scale)

    def mastery(self, p: np.ndarray) -> np.ndarray:
        """P(mastered) from P(correct) on a typical item, per skill column."""
        spread = 1.0 - self.slip - self.guess
        return np.clip((np.asarray(p, dtype=np.float64) - self.guess) / spread, 0.0, 1.0)

    def p_correct(self, mastery: np.ndarray) -> np.ndarray:
        """P(correct) on a typical item given P(mastered): the inverse of `mastery`."""
        spread = 1.0 - self.slip - self.guess
        return self.guess + np.asarray(mastery, dtype=np.float64) * spread

    # -- artifacts --------------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        return {GUESS_ARRAY: self.guess, SLIP_ARRAY: self.slip}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], n_skills: int) -> MasteryCalibration:
        """The saved calibration; identity for an artifact saved before calibration existed
        (its mastery keeps the meaning it had then: P(correct)). ValueError on a bad shape."""
        if GUESS_ARRAY not in arrays and SLIP_ARRAY not in arrays:
            warnings.warn(
                "this artifact predates mastery calibration: its mastery is P(correct), as when "
                "it was saved; retrain it for mastery on the latent-state scale",
                stacklevel=3,
            )
            return cls.identity(n_skills)
        guess = np.asarray(arrays[GUESS_ARRAY], dtype=np.float64)
        slip = np.asarray(arrays[SLIP_ARRAY], dtype=np.float64)
        if guess.shape != (n_skills,) or slip.shape != (n_skills,):
            raise ValueError(f"mastery guess/slip do not match the {n_skills} skills")
        if not (np.all(np.isfinite(guess)) and np.all(np.isfinite(slip))):
            raise ValueError("mastery guess/slip are not finite")
        if np.any(guess < 0) or np.any(slip < 0) or np.any(guess + slip >= 1.0):
            raise ValueError("mastery guess/slip out of range (need guess, slip >= 0, sum < 1)")
        return cls(guess, slip)


@dataclass
class LatentMastery:
    """A model's mastery traced by a standard BKT fitted beside it (see module doc).

    `bkt` is None only for an artifact saved before latent mastery existed: its mastery is then
    P(correct) through guess and slip, as when it was saved.
    """

    calibration: MasteryCalibration
    bkt: BKT | None = None

    @classmethod
    def fit(cls, log: ResponseLog, skills: pd.Index, seed: int = 0) -> LatentMastery:
        """Fit the BKT on `log` (the model's own training log, whose skills are `skills`)."""
        from adaptive.tracing.bkt import BKT  # late: bkt imports the tracing base

        with warnings.catch_warnings():  # BKT's own fit warnings: this is not the user's BKT,
            warnings.simplefilter("ignore", FitWarning)  # and `shrunk` bounds what it names
            bkt = BKT(seed=seed).fit(log)
        if [str(s) for s in bkt.skills_] != [str(s) for s in skills]:
            raise ValueError("the latent BKT's skills differ from the model's (not the same log?)")
        return cls(MasteryCalibration.from_bkt(bkt, skills), bkt)

    # -- the state --------------------------------------------------------------------------------
    def initial_row(self) -> dict[str, np.ndarray]:
        """The latent state of a new student: the BKT's fitted prior, no responses."""
        if self.bkt is None:
            return {}
        row = self.bkt._initial_row()
        return {name: row[name] for name in LATENT_STATE}

    def update(self, state: TracingState, responses: ResponseLog, rows: np.ndarray) -> None:
        """Absorb a log into the latent state (`rows`: the state row of each of its students)."""
        if self.bkt is not None and len(responses):
            self._ensure(state)
            self.bkt._update(state, responses, rows)

    def update_one(self, state: TracingState, r: Response) -> None:
        """Absorb one response (its student already has a state row)."""
        if self.bkt is not None:
            self._ensure(state)
            self.bkt._update_one(state, r)

    def mastery(
        self, state: TracingState, rows: np.ndarray, skill_proba: Callable[[], np.ndarray]
    ) -> np.ndarray:
        """(len(rows), n_skills) P(mastered): the latent P(known); for an artifact without a
        latent BKT, `skill_proba()` (the model's P(correct) on a typical item) through guess
        and slip."""
        if self.bkt is None:
            return self.calibration.mastery(skill_proba())
        self._ensure(state)
        return self.bkt._mastery(state, rows)

    def p_correct(self, mastery: np.ndarray) -> np.ndarray:
        """P(correct) on a typical item given P(mastered) (guess and slip)."""
        return self.calibration.p_correct(mastery)

    def _ensure(self, state: TracingState) -> None:
        """A state saved before latent mastery existed gets the latent arrays at the prior (its
        students' mastery starts again from their next answers), with a warning saying so."""
        if all(name in state.arrays for name in LATENT_STATE):
            return
        with state.lock:
            if all(name in state.arrays for name in LATENT_STATE):
                return
            warnings.warn(
                f"this state of {len(state)} students predates latent mastery: their mastery "
                "starts from the fitted prior and follows their answers from now on",
                stacklevel=4,
            )
            for name, row in self.initial_row().items():
                state.ensure_array(name, row)

    # -- artifacts --------------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        out = self.calibration.arrays()
        if self.bkt is not None:
            out.update({LATENT_PREFIX + k: v for k, v in self.bkt._fitted_arrays().items()})
        return out

    def fitted_json(self) -> dict[str, Any] | None:
        return None if self.bkt is None else self.bkt._fitted_json()

    @classmethod
    def restore(
        cls, arrays: dict[str, np.ndarray], fitted: dict[str, Any] | None, skills: pd.Index
    ) -> LatentMastery:
        """The saved latent mastery; calibration only (with a warning) for an artifact saved
        before it existed. ValueError / KeyError on an inconsistent one."""
        from adaptive.tracing.bkt import BKT

        calibration = MasteryCalibration.from_arrays(arrays, len(skills))
        cut = len(LATENT_PREFIX)
        latent = {k[cut:]: v for k, v in arrays.items() if k.startswith(LATENT_PREFIX)}
        if fitted is None and not latent:
            if GUESS_ARRAY in arrays:
                warnings.warn(
                    "this artifact predates latent mastery: its mastery is P(correct) through "
                    "each skill's guess and slip, as when it was saved; retrain it for mastery "
                    "traced on the latent state",
                    stacklevel=3,
                )
            return cls(calibration)
        if fitted is None:
            raise ValueError("latent mastery arrays without their fitted values")
        bkt = BKT()
        bkt._restore(fitted, latent)
        if [str(s) for s in bkt.skills_] != [str(s) for s in skills]:
            raise ValueError("the latent BKT's skills differ from the model's")
        return cls(calibration, bkt)


class LatentMasteryMixin:
    """For a `KnowledgeTracer` without a latent state of its own (logistic, deep): its mastery
    is `latent_`'s, traced in the same state by the base class's update hooks."""

    latent_: LatentMastery

    def _mastery_row(self) -> dict[str, np.ndarray]:
        return self.latent_.initial_row()

    def _update_mastery(
        self, state: TracingState, responses: ResponseLog, rows: np.ndarray
    ) -> None:
        self.latent_.update(state, responses, rows)

    def _update_mastery_one(self, state: TracingState, r: Response) -> None:
        self.latent_.update_one(state, r)

    def _mastery(self, state: TracingState, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_skills) P(mastered): the latent BKT's P(known) (see module doc)."""
        return self.latent_.mastery(state, rows, lambda: self._skill_proba(state, rows))

    def _p_correct_from_mastery(self, mastery: np.ndarray) -> np.ndarray:
        """P(correct) on a typical item given P(mastered), through guess and slip."""
        return self.latent_.p_correct(mastery)
