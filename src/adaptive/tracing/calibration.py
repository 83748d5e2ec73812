"""Mastery from P(correct): each skill's guess and slip, fitted on the training log.

The logistic models (IRT, PFA, Best-LR) and the deep models (DKT, SAKT, AKT) predict P(correct);
they have no latent "knows the skill" state of their own. A teacher's "mastered" and the policy's
mastery threshold (0.95) are about that latent state, and raw P(correct) does not reach 0.95 even
for a student who never misses (the best students still slip). So these models report

    mastery = clip((p - guess) / (1 - slip - guess), 0, 1)

where `p` is the model's P(correct) on a typical item of the skill and `guess` / `slip` are the
skill's emission probabilities of a two-state latent model: P(correct | not mastered) and
P(wrong | mastered). When the model's `p` is calibrated and answers follow that emission, this is
exactly P(mastered | what the model saw), since p = guess + P(mastered) (1 - slip - guess).
`p_correct(m)` is its inverse (the placement blend maps a blended mastery back through it).

**Where guess and slip come from.** A standard BKT (`adaptive.tracing.bkt.BKT`, no forgetting,
the vectorized EM engine, seeded) is fitted on the *same training log* the model is fitted on,
and its per-skill guess and slip are kept. Nothing else is used: no held-out data, no simulator
truth. BKT's estimates on sparse skills are noisy and can be degenerate (guess + slip near or
above 1: a correct answer would lower mastery), so they are

* shrunk toward the response-weighted population value with `PSEUDO_RESPONSES` pseudo-responses
  (a skill with 30 responses moves less than halfway from the population toward its own fit);
* bounded: guess and slip each in [`MIN_RATE`, `MAX_RATE`], and 1 - slip - guess at least
  `MIN_SPREAD` (both shrunk toward 0 together when not), so the mapping stays monotone and
  never divides by less than `MIN_SPREAD`.

A skill absent from the BKT fit (none, when fitted on the same log) gets the population value.

Measured on the simulated demo district against the simulator's true state
(`python -m experiments.bench_mastery`, RESULTS.md): of the held-out pairs PFA calls mastered
(>= 0.95) 98.9 % are truly mastered, and it finds 29 % of them, where raw P(correct) >= 0.95 found
3 %; Best-LR 94.3 % and 15 % (raw: 0.8 %). Recall at 0.95 is bounded by the evidence in that log
(an oracle on each pair's answers finds 65 % at 95 % precision; BKT 53 %).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from adaptive.data.log import ResponseLog
from adaptive.errors import FitWarning

#: Pseudo-responses at the population value added to each skill's own estimate.
PSEUDO_RESPONSES = 50.0
MIN_RATE = 1e-3
MAX_RATE = 0.45
#: Smallest 1 - slip - guess: how far P(correct) moves from not mastered to mastered.
MIN_SPREAD = 0.2
#: Array names in a model's `arrays.npz`.
GUESS_ARRAY = "mastery_guess"
SLIP_ARRAY = "mastery_slip"


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
    def fit(cls, log: ResponseLog, skills: pd.Index, seed: int = 0) -> MasteryCalibration:
        """Guess and slip of each of `skills` from a BKT fitted on `log` (see module doc)."""
        from adaptive.tracing.bkt import BKT  # late: bkt imports the tracing base

        with warnings.catch_warnings():  # BKT's own fit warnings: this is not the user's BKT,
            warnings.simplefilter("ignore", FitWarning)  # and `shrunk` bounds what it names
            table = BKT(seed=seed).fit(log).params_table().set_index("skill")
        table = table.reindex(pd.Index(skills).astype(str))
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
