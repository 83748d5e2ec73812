"""The policy's weights and thresholds: data, not code (`adaptive/specs/policy.toml`).

    # src/adaptive/specs/policy.toml (shipped with the package)
    target_p_correct = 0.7
    [weights]
    difficulty = 1.0
    interest = 0.4

`PolicyConfig.default()` reads the shipped weights (from any working directory);
`PolicyConfig.from_toml("my-policy.toml")` a district's own file (or `from_dict`) builds the same
config a district would write by hand; unknown keys are errors so a typo never silently does nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from adaptive.errors import ConfigError
from adaptive.files import read_user_text

#: Names of the scoring terms, in the order their contributions are reported.
TERMS: tuple[str, ...] = (
    "readiness",
    "difficulty",
    "interest",
    "aspiration",
    "review",
    "progress",
    "exploration",
    "stuck",
)

#: Exploration modes ("none" = deterministic ranking, the default; see policy/exploration.py).
EXPLORATION_MODES: tuple[str, ...] = ("none", "softmax", "epsilon")

DEFAULT_WEIGHTS: dict[str, float] = {
    "readiness": 2.5,  # ready-to-learn fringe: room left to learn x the weakest prerequisite
    "difficulty": 0.25,  # the version of a skill whose P(correct) is nearest the target
    "interest": 1.5,  # topics match the student's interests (engagement: completion)
    "aspiration": 0.4,  # the skill leads to one of the student's goal skills
    "review": 3.0,  # a mastered skill whose recall is fading (see the note below)
    "progress": 0.5,  # the student is improving on this skill (ZPDES-style)
    "exploration": 0.3,  # UCB bonus for skills tried rarely
    "stuck": -1.5,  # wheel-spinning: flag for the teacher, do not serve more of the same
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


@dataclass(frozen=True)
class PolicyConfig:
    """Every knob of the adaptive policy, with the defaults a district starts from.

    The defaults were chosen on the tuning simulators only (`bkt`, `logistic`: 48 trials of
    `experiments/tune_policy.py`, 500 students, cohort seed 100, objective = gain@50 as a share of
    the ceiling's; checked on seed 200 with 1,000 students), never on the held-out ones
    (`prerequisite`, `junyi`, `graph` and every cold-start cohort) that
    `experiments/bench_policy.py` reports beside them. The review weight is set by the mission,
    not by that search (whose objective, new skills mastered, does not value keeping them): a
    mastered skill whose recall has fully faded ranks with a new skill ready to learn, so fading
    skills come back (3.0; the search's 0.8 left them out of a 5-activity list; gain@50 on the
    check: bkt 2.04 -> 1.99, logistic 2.50 -> 2.67, within noise).

    Mastery and progression
        mastery_threshold : P(mastery) at or above which a skill counts as mastered (0.65):
            what the teacher reports call mastered and what the policy moves on from. Chosen
            for the teachers' reading (issue 17 item 13: precision and recall against the truth
            >= 0.8 each) on two tuning districts (`bench_mastery --seed 100` / `--seed 101`:
            the highest threshold at which BKT's mastery reaches both), then checked on the
            demo district; the policy's learning gain on the tuning simulators is flat from
            0.6 to 0.9 (`tune_policy --check`, 52_policy_checks.md), so the search's 0.9 gave
            way. A calibrated mastery called at 0.65 is truly mastered ~0.9 of the time.
        min_responses_mastered : responses needed before a skill may be called mastered
            (guards against false mastery from a high prior or a lucky streak).
        prerequisite_threshold : P(mastery) a prerequisite needs for its dependents to be ready
            (0.65: a mastered skill unlocks what builds on it).
        stuck_min_responses, stuck_max_progress : wheel-spinning = at least this many responses,
            not mastered, and recent accuracy improving by at most this much.
    Difficulty
        target_p_correct : the edge of what the student can do (default 0.8).
        difficulty_width : tolerance around the target (Gaussian width, in probability).
    Review (FSRS-style forgetting)
        retention_threshold : mastered skills whose predicted recall falls below this need review.
        initial_stability_days, stability_exponent : stability S = S0 * n_responses ** exponent
            (S0 = FSRS-6's default initial stability for a first "Good" review; configured, not
            fitted). Recall R(t) = (1 + F t / S) ** -decay with FSRS-6's decay, so R(S) = 0.9.
    Exploration
        exploration_seed : seed of the Thompson-sampling tie noise (`exploration_noise` > 0) and
            of the sampled lists below.
        exploration : "none" (deterministic ranking, the default), "softmax" or "epsilon": each
            slot is drawn and its probability logged (`adaptive.policy.exploration`).
        exploration_temperature : softmax temperature, in score units.
        exploration_epsilon : epsilon-greedy's floor, the share spread over the feasible set.
    Constraints
        max_per_skill : most activities on one skill in one day's list.
        default_daily_minutes : budget when a profile gives none (weekly / 5 otherwise).
        repeatable_kinds : activity kinds that are item pools a student may do again on a later
            day (not "content already completed"); projects and assessments are done once.
    """

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    target_p_correct: float = 0.8
    difficulty_width: float = 0.15
    mastery_threshold: float = 0.65
    min_responses_mastered: int = 3
    prerequisite_threshold: float = 0.65
    stuck_min_responses: int = 10
    stuck_max_progress: float = 0.05
    retention_threshold: float = 0.9
    initial_stability_days: float = 2.3065
    stability_exponent: float = 0.7
    progress_window: int = 4
    exploration_noise: float = 0.0
    exploration_seed: int = 0
    exploration: str = "none"
    exploration_temperature: float = 0.05
    exploration_epsilon: float = 0.1
    max_per_skill: int = 3
    variety_penalty: float = 0.3
    default_daily_minutes: float = 30.0
    repeatable_kinds: tuple[str, ...] = ("practice", "review")

    def __post_init__(self) -> None:
        self._check_types()
        unknown = set(self.weights) - set(TERMS)
        if unknown:
            raise ConfigError(
                f"policy config: unknown weight(s) {sorted(unknown)}; expected {list(TERMS)}"
            )
        merged = {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in self.weights.items()}}
        object.__setattr__(self, "weights", merged)
        object.__setattr__(self, "repeatable_kinds", tuple(self.repeatable_kinds))
        for name in (
            "target_p_correct",
            "mastery_threshold",
            "prerequisite_threshold",
            "retention_threshold",
        ):
            v = getattr(self, name)
            if not 0.0 < v < 1.0 + 1e-12:
                raise ConfigError(f"policy config: {name} = {v}, expected a probability in (0, 1]")
        if self.difficulty_width <= 0:
            raise ConfigError(
                f"policy config: difficulty_width = {self.difficulty_width}, expected > 0"
            )
        if self.max_per_skill < 1:
            raise ConfigError(f"policy config: max_per_skill = {self.max_per_skill}, expected >= 1")
        if self.initial_stability_days <= 0:
            raise ConfigError("policy config: initial_stability_days must be > 0")
        self._check_exploration()

    def _check_types(self) -> None:
        """Every value has its field's type (a TOML typo such as `readiness = "high"` is a
        `ConfigError` naming the key, not a failure deep in the scoring)."""
        wrong = []
        for f in fields(self):
            value, default = getattr(self, f.name), getattr(PolicyConfig, f.name, None)
            if f.name == "weights":
                ok = isinstance(value, dict) and all(_is_number(v) for v in value.values())
                expected = "a table of numbers"
            elif f.name == "repeatable_kinds":
                ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
                expected = "a list of activity kinds"
            elif isinstance(default, bool | str):
                ok, expected = isinstance(value, type(default)), type(default).__name__
            elif isinstance(default, int):
                ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
                expected = "an integer"
            else:
                ok, expected = _is_number(value), "a number"
            if not ok:
                wrong.append(f"{f.name} = {value!r} (expected {expected})")
        if wrong:
            raise ConfigError(f"policy config: {'; '.join(wrong)}")

    def _check_exploration(self) -> None:
        """The exploration settings (`adaptive.policy.exploration`), each named when wrong."""
        if self.exploration not in EXPLORATION_MODES:
            raise ConfigError(
                f"policy config: exploration = {self.exploration!r}, expected one of "
                f"{list(EXPLORATION_MODES)}"
            )
        if not self.exploration_temperature > 0:
            raise ConfigError(
                f"policy config: exploration_temperature = {self.exploration_temperature}, "
                "expected > 0 (score units; smaller = closer to the deterministic ranking)"
            )
        if not 0.0 < self.exploration_epsilon <= 1.0:
            raise ConfigError(
                f"policy config: exploration_epsilon = {self.exploration_epsilon}, expected a "
                "probability in (0, 1]"
            )

    def weight_vector(self) -> list[float]:
        return [self.weights[t] for t in TERMS]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["repeatable_kinds"] = list(self.repeatable_kinds)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PolicyConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(
                f"policy config: unknown key(s) {sorted(unknown)}; expected some of {sorted(known)}"
            )
        return cls(**d)

    @classmethod
    def default(cls) -> PolicyConfig:
        """The weights shipped with the package (`adaptive/specs/policy.toml`)."""
        from adaptive.specs import POLICY_SPEC

        return cls.from_toml(POLICY_SPEC)

    @classmethod
    def from_toml(cls, path: str | Path) -> PolicyConfig:
        """A config from a TOML file, or a spec shipped with the package by name ("policy")."""
        from adaptive.specs import SPECS_DIR, resolve

        path = Path(path)
        if not path.is_file():
            path = resolve(path, SPECS_DIR, "policy config")
        try:
            data = tomllib.loads(read_user_text(path, "a policy TOML file"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: policy config not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML ({exc})") from exc
        try:
            return cls.from_dict(data)
        except (TypeError, ConfigError) as exc:  # every problem names the file
            raise ConfigError(f"{path}: {exc}") from exc

    def with_(self, **changes: Any) -> PolicyConfig:
        """A copy with some values changed (weights merged, not replaced)."""
        d = self.to_dict()
        if "weights" in changes:
            changes = {**changes, "weights": {**d["weights"], **changes["weights"]}}
        return PolicyConfig.from_dict({**d, **changes})
