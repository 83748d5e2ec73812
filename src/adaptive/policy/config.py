"""The policy's weights and thresholds: data, not code (`adaptive/specs/policy.toml`).

    # an excerpt of src/adaptive/specs/policy.toml (shipped with the package)
    target_p_correct = 0.7
    [weights]
    difficulty = 0.25
    interest = 1.5

`PolicyConfig.default()` reads the shipped weights (from any working directory);
`PolicyConfig.from_toml("my-policy.toml")` a district's own file (or `from_dict`) builds the same
config a district would write by hand. Every knob is checked for its type and its valid range
(`RANGES`, listed in `PolicyConfig`'s docstring); unknown keys are errors that name the closest
known one, so a typo never silently does nothing.
"""

from __future__ import annotations

import re
import sys
import tomllib
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from adaptive.curriculum.catalog import ACTIVITY_KINDS
from adaptive.errors import (
    ConfigError,
    ConfigWarning,
    KeywordChecked,
    UnknownKeywordError,
    unknown_keys,
    unknown_keywords_error,
    unknown_name,
    valid_names,
)
from adaptive.files import read_user_text
from adaptive.placement.prior import GradeTable
from adaptive.records import Range

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
    "exploration": 0.3,  # UCB bonus for skills tried rarely or never (not the exploration mode)
    "stuck": -1.5,  # wheel-spinning: flag for the teacher, do not serve more of the same
}

#: The longest progress window: a student's history keeps 2 x window outcomes per skill as the
#: bits of one uint64 (`adaptive.batch.history`).
MAX_PROGRESS_WINDOW = 32
#: The longest day's budget, in minutes.
MINUTES_PER_DAY = 24 * 60


#: A threshold on a probability: strictly between 0 (everything passes) and 1 (nothing does).
OPEN_PROBABILITY = Range(0.0, 1.0, low_open=True, high_open=True, what="a probability")

#: The valid range of every numeric knob (documented in `PolicyConfig`); the weights are any
#: finite number (the stuck weight is negative by design).
RANGES: dict[str, Range] = {
    "target_p_correct": OPEN_PROBABILITY,
    "difficulty_width": Range(0.0, low_open=True),
    "mastery_threshold": OPEN_PROBABILITY,
    "min_responses_mastered": Range(0, what="an integer"),
    "mastery_streak": Range(0, what="an integer"),
    "gradual_min_responses": Range(0, what="an integer"),
    "gradual_learning_z": Range(0.0, low_open=True),
    "prerequisite_threshold": OPEN_PROBABILITY,
    "check_prerequisites_after": Range(0, what="an integer"),
    "assumed_known": Range(0.0, 1.0, low_open=True, what="a probability"),
    "graph_raise": Range(0.0, 1.0, what="a share"),
    "stuck_min_responses": Range(1, what="an integer"),
    "stuck_max_progress": Range(-1.0, 1.0),
    "retention_threshold": OPEN_PROBABILITY,
    "initial_stability_days": Range(0.0, low_open=True),
    "stability_exponent": Range(0.0),
    "progress_window": Range(1, MAX_PROGRESS_WINDOW, what="an integer"),
    "exploration_noise": Range(0.0),
    "exploration_seed": Range(0, what="an integer"),
    "exploration_temperature": Range(0.0, low_open=True),
    "exploration_epsilon": Range(0.0, 1.0, low_open=True, what="a probability"),
    "max_per_skill": Range(1, what="an integer"),
    "variety_penalty": Range(0.0),
    "default_daily_minutes": Range(0.0, MINUTES_PER_DAY, low_open=True),
}
WEIGHT_RANGE = Range()
#: Weights of a sign by design: the stuck term flags wheel-spinning to serve less of it.
WEIGHT_RANGES: dict[str, Range] = {
    "stuck": Range(high=0.0, what="a finite number (it penalizes wheel-spinning: by design)")
}

#: Knobs read only in one exploration mode: set without that mode, they do nothing.
MODE_OF_KNOB: dict[str, str] = {
    "exploration_temperature": "softmax",
    "exploration_epsilon": "epsilon",
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


@dataclass(frozen=True)
class PolicyConfig(KeywordChecked):
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

    Every value is checked when a config is made (its type, then its range, given below in
    brackets: `[a, b]` includes the ends, `(a, b)` excludes them; `RANGES` holds them): a
    `ConfigError` names the key (`weights.readiness` for a weight), the value and the range,
    and the file when the config was read from one.

    Weights
        weights : one per scoring term (`TERMS`), any finite number; `stuck` is negative by
            design (a wheel-spinning student is not served more of the same). A term not
            given keeps its default weight.
    Mastery and progression
        mastery_threshold : (0, 1). P(mastery) at or above which a skill counts as mastered
            (0.65): what the teacher reports call mastered and what the policy moves on from.
            Chosen for the teachers' reading (issue 17 item 13: precision and recall against
            the truth >= 0.8 each) on two tuning districts (`bench_mastery --seed 100` /
            `--seed 101`: the highest threshold at which BKT's mastery reaches both), then
            checked on the demo district; the policy's learning gain on the tuning simulators is
            flat from 0.6 to 0.9 (`tune_policy --check`, 52_policy_checks.md), so the search's
            0.9 gave way. A calibrated mastery called at 0.65 is truly mastered ~0.9 of the time.
        min_responses_mastered : integer >= 0. Responses needed before a skill may be called
            mastered (guards against false mastery from a high prior or a lucky streak; 0 = the
            model's mastery alone).
        mastery_streak : integer >= 0. Right answers in a row a practised skill needs, besides
            its mastery, to count as mastered and to unlock what builds on it: its last
            `mastery_streak` answers (all of them, when fewer) right; a skill never practised
            is read from its mastery (placement) alone; 0 = the mastery alone (2: a tracer's
            estimate can run ahead of a learner whose accuracy grows step by step; chosen on
            the tuning simulators, 52_policy_checks.md).
        gradual_min_responses : integer >= 0. Where learning is gradual (the model's fitted
            `learning_curve_` z is at least `gradual_learning_z`), answers a practised skill
            needs before it counts as shown, mastered, and unlocks what builds on it: answered
            1 to this - 1 times it stays open for practice, whatever its mastery (0 or 1 = no
            hold). BKT reads learning as all-or-none and, where accuracy grows step by step,
            calls a skill mastered after two right answers (5: chosen on the tuning
            simulator logistic, bkt being not gradual; gain@50 of 300 students 3.70 against
            3.66 for 4 on seed 100, 3.60 against 3.50 on seed 101; issue 16).
        gradual_learning_z : > 0. The z of the model's learning curve (accuracy after a wrong
            answer rising with practice, `adaptive.tracing.learning_curve`) at and above which
            learning counts as gradual (3.0: the fitted z was 7 and more on the logistic
            simulators, 1.9 and less on the others). A model that did not measure it (saved
            before it was kept), or a batch not built from a model, is never gradual.
        prerequisite_threshold : (0, 1). P(mastery) a prerequisite needs for its dependents to
            be ready (0.65: a mastered skill unlocks what builds on it), its recent answers
            right as `mastery_streak` says.
        check_prerequisites_after : integer >= 0. Answers on a skill, the last one wrong and
            its mastery below `mastery_threshold`, after which its direct prerequisites the
            student never answered are checked: each counts as not known until answered, so
            it is served (readiness) and the skill waits for its answer (0 = never: a
            placement's guess is trusted whatever the answers built on it say). A right answer
            gives the skill back (where learning is gradual, once the prerequisite has its
            `gradual_min_responses` answers); a wrong one makes the prerequisite the next
            thing to learn, and its own never-answered prerequisites are checked in turn if it
            is failed (`features.prerequisites_in_doubt`). 3: on the tuning simulators every
            setting from 1 to 4 beats no checks (objective 0.596-0.600 against 0.590), within
            noise of each other; 3 spares a student a check after one or two wrong answers on
            a new skill (52_policy_checks.md, stop 53).
        assumed_known : (0, 1]. A skill never answered whose starting estimate (a placement,
            records, a vendor's own) is at least this is assumed known: no room to learn, not
            served, not even to fill spare minutes (0.95: the default grade table's value three
            grades below and further, or a placement raised by right answers on what builds
            on it; nearer grades, 0.88 and 0.92, stay worth a check). A grade table of one's
            own with values at or above it withholds those grades' skills: raise it with them.
        graph_raise : [0, 1]. How far a skill the student never answered is raised toward the
            mastery of an answered skill built on it (graph evidence, `adaptive.placement.graph`:
            m + graph_raise x (up - m); 1 = up to the dependent's mastery, 0 = not raised; the
            cap by answered prerequisites is whole either way). 0.5, chosen on the tuning
            simulators (gain@50 against 1, 3,000 students: bkt +0.013 [-0.043, +0.069],
            logistic +0.069 [+0.033, +0.105]; 0 lost logistic 0.12, 1 lost bkt about 0.07):
            how much knowing a skill says of its prerequisites differs by district
            (experiments/results/56_prerequisite_tracer.md).
        stuck_min_responses, stuck_max_progress : integer >= 1; [-1, 1]. Wheel-spinning = at
            least this many responses, not mastered, and recent accuracy improving by at most
            this much (accuracy changes lie in [-1, 1]).
        progress_window : integer in [1, 32]. Responses per half of the learning-progress
            window (accuracy of the last `progress_window` minus the ones before).
    Difficulty
        target_p_correct : (0, 1). The edge of what the student can do (default 0.7).
        difficulty_width : > 0. Tolerance around the target (Gaussian width, in probability).
    Review (FSRS-style forgetting)
        retention_threshold : (0, 1). Mastered skills whose predicted recall falls below this
            need review (default 0.8, chosen on the tuning simulators: FSRS's 0.9 is a
            flashcard deck's target, and at 0.9 reviews of skills the learners still knew took
            days from new learning; experiments/results/52_policy_checks.md).
        initial_stability_days, stability_exponent : > 0; >= 0. Stability S = S0 *
            n_responses ** exponent (S0 = FSRS-6's default initial stability for a first "Good"
            review; configured, not fitted; an exponent of 0 keeps S at S0, a negative one
            would make practice shorten memory). Recall R(t) = (1 + F t / S) ** -decay with
            FSRS-6's decay, so R(S) = 0.9.
    Exploration
        exploration_noise : >= 0. Scale of the Thompson-sampling tie noise (0 = none).
        exploration_seed : integer >= 0. Seed of that noise and of the sampled lists below.
        exploration : "none" (deterministic ranking, the default), "softmax" or "epsilon": each
            slot is drawn and its probability logged (`adaptive.policy.exploration`).
        exploration_temperature : > 0. Softmax temperature, in score units (read only with
            exploration = "softmax").
        exploration_epsilon : (0, 1]. Epsilon-greedy's floor, the share spread over the
            feasible set (read only with exploration = "epsilon"). `from_dict` / `from_toml`
            warn when either is set without its mode: it would do nothing.
    Constraints
        max_per_skill : integer >= 1. Most activities on one skill in one day's list.
        variety_penalty : >= 0. Score taken off an activity per activity of its skill already
            in the day's list.
        default_daily_minutes : (0, 1440]. Budget when a profile gives none (weekly / 5
            otherwise).
        repeatable_kinds : activity kinds (`ACTIVITY_KINDS`: practice, review, project,
            assessment) that are item pools a student may do again on a later day (not
            "content already completed"); projects and assessments are done once.
    Placement
        grade_table : P(known at the start) by grade gap for students placed from their grade
            (`adaptive.placement.GradeTable`; in TOML a `[grade_table]` table such as
            `-1 = 0.8`, `0 = 0.4`, `1 = 0.1`, `own_grade = "sloped"`); absent: the table read
            from the model's training log where it was checked with the students' profiles
            (`KnowledgeTracer.check_curriculum_level`, `adaptive train --profiles`:
            `adaptive.placement.calibrate`), else the default table. Every path that places a
            student from their grade under this config reads it: `batch_from_model`,
            `adaptive recommend`, the nightly job (a night given another table than its last
            snapshot's rebuilds the tracer state, as a recompute would place the students)
            and `policy-eval`'s cohorts.
    """

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    target_p_correct: float = 0.7
    difficulty_width: float = 0.15
    mastery_threshold: float = 0.65
    min_responses_mastered: int = 3
    mastery_streak: int = 2
    gradual_min_responses: int = 5
    gradual_learning_z: float = 3.0
    prerequisite_threshold: float = 0.65
    check_prerequisites_after: int = 3
    assumed_known: float = 0.95
    graph_raise: float = 0.5
    stuck_min_responses: int = 10
    stuck_max_progress: float = 0.05
    retention_threshold: float = 0.8
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
    grade_table: GradeTable | None = None

    def __post_init__(self) -> None:
        """The one check of every knob, whichever way the config is made (keywords,
        `from_dict`, `from_toml`, `with_`, `dataclasses.replace`): every wrong one in one
        `PolicyProblems` (`knob_problems`; the grade table read once, into a `GradeTable`),
        then the weights merged with the defaults."""
        knobs = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "grade_table"}
        problems = knob_problems(knobs)
        try:
            object.__setattr__(self, "grade_table", _grade_table(self.grade_table))
        except ConfigError as exc:
            problems.append(str(exc))
        if problems:
            raise PolicyProblems(problems)
        merged = {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in self.weights.items()}}
        object.__setattr__(self, "weights", merged)
        object.__setattr__(self, "repeatable_kinds", tuple(self.repeatable_kinds))

    def unused_settings(self, keys: Iterable[str]) -> list[str]:
        """Of the knobs named in `keys`, those set away from their default in a mode that never
        reads them (`exploration_epsilon = 0.2` with exploration "none"): why each does nothing."""
        out = []
        for name in keys:
            mode = MODE_OF_KNOB.get(name)
            value = getattr(self, name, None)
            if mode and self.exploration != mode and value != getattr(PolicyConfig, name):
                out.append(
                    f"{name} = {value!r} has no effect with exploration = {self.exploration!r}; "
                    f'set exploration = "{mode}" to use it, or remove it'
                )
        return out

    def weight_vector(self) -> list[float]:
        return [self.weights[t] for t in TERMS]

    def to_dict(self) -> dict[str, Any]:
        """The knobs as a TOML file holds them (`from_dict` reads them back); no `grade_table`
        key for the default table, so a config without one records as it always did."""
        d = asdict(self)
        del d["grade_table"]
        d["repeatable_kinds"] = list(self.repeatable_kinds)
        if self.grade_table is not None:
            d["grade_table"] = self.grade_table.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "policy config") -> PolicyConfig:
        """A config from a table of knobs (a TOML file's, or `to_dict()`'s): an unknown key is a
        `ConfigError` naming the closest known one; a knob set for an exploration mode the
        config does not use is a warning naming `where`."""
        config = _config_from(d)
        _warn_unused(config.unused_settings(d), where)
        return config

    @classmethod
    def default(cls) -> PolicyConfig:
        """The weights shipped with the package (`adaptive/specs/policy.toml`)."""
        from adaptive.specs import POLICY_SPEC

        return cls.from_toml(POLICY_SPEC)

    @classmethod
    def from_toml(cls, path: str | Path) -> PolicyConfig:
        """A config from a TOML file, or a spec shipped with the package by name ("policy"):
        the file's table read as `from_dict` reads one, each problem placed on its line."""
        from adaptive.specs import POLICY_SPECS, SPECS_DIR, resolve

        path = Path(path)
        if not path.is_file():
            path = resolve(path, SPECS_DIR, "policy config", names=POLICY_SPECS)
        try:
            text = read_user_text(path, "a policy TOML file")
            data = tomllib.loads(text)
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: policy config not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(invalid_toml(path, text, exc)) from exc
        _check_tables_hold_no_top_level_key(path, text)
        try:
            return cls.from_dict(data, str(path))
        except PolicyProblems as exc:  # every problem on its line of the file
            raise ConfigError(_problems_in_file(path, text, exc.problems)) from exc

    def with_(self, **changes: Any) -> PolicyConfig:
        """A copy with some values changed (weights merged, not replaced). A misspelt keyword
        is the `UnknownKeywordError` that `PolicyConfig(...)` and `dataclasses.replace` raise
        (a `TypeError` too), in the same words, naming the other changes' wrong values with it;
        a table's misspelt key (`from_dict`, `from_toml`) is a `ConfigError` naming the key."""
        unknown = [key for key in changes if key not in _KNOBS]
        if unknown:
            known = {key: value for key, value in changes.items() if key not in unknown}
            raise _keywords_refused("PolicyConfig.with_", unknown, lambda: self._changed(known))
        config = self._changed(changes)
        _warn_unused(config.unused_settings(changes), "policy config")
        return config

    def _changed(self, changes: Mapping[str, Any]) -> PolicyConfig:
        """This config with the knobs `changes` sets (known ones), its weights merged."""
        d = self.to_dict()
        knobs = {**d, **changes}
        if isinstance(changes.get("weights"), Mapping):
            knobs["weights"] = {**d["weights"], **changes["weights"]}
        return _config_from(knobs)

    @classmethod
    def _keywords_refused(
        cls,
        unknown: list[str],
        valid: Collection[str],
        args: tuple[Any, ...],
        known: dict[str, Any],
    ) -> UnknownKeywordError:
        """`PolicyConfig(typo=1, target_p_correct=5)` named the keyword alone, and the value
        waited for the next run: the misspelt keyword and the others' wrong values are one
        error (`_keywords_refused`), as `from_dict` names a table's."""
        return _keywords_refused("PolicyConfig(...)", unknown, lambda: cls(*args, **known))


#: The knobs a config takes: `PolicyConfig(...)`'s and `with_`'s keywords, a table's keys.
_KNOBS = tuple(f.name for f in fields(PolicyConfig))


def _keywords_refused(
    where: str, unknown: list[str], make_rest: Callable[[], object]
) -> UnknownKeywordError:
    """The error for the keywords `unknown` that the call `where` does not take, naming every
    wrong value of the others too: `make_rest()` makes the config without those keywords, and
    its `PolicyProblems` follow the keywords (`PolicyKeywordProblems`). Either way an
    `UnknownKeywordError` (a `TypeError`, as Python's was) in `unknown_keywords_error`'s words:
    each keyword with its closest known one, the valid keywords once at the end."""
    try:
        make_rest()
    except PolicyProblems as exc:
        typos = [UnknownName(key, _KNOBS, "keyword") for key in unknown]
        return PolicyKeywordProblems([*typos, *exc.problems], where)
    except TypeError:  # the other arguments do not bind (a knob given twice): the keyword first
        pass
    return unknown_keywords_error(where, unknown, _KNOBS)


def _grade_table(value: object) -> GradeTable | None:
    """The config's grade table: a `GradeTable`, a table of one (TOML's `[grade_table]`, with
    text gaps), or None (the default table); its problems name the key."""
    if value is None or isinstance(value, GradeTable):
        return value
    try:
        return GradeTable.from_dict(value)  # type: ignore[arg-type]
    except ConfigError as exc:
        raise ConfigError(f"grade_table: {exc}") from exc


class PolicyProblems(ConfigError):
    """Every problem of a policy config in one message ("policy config: target_p_correct =
    1.8; expected ...; unknown key 'x'; valid keys: ..."), each also its own sentence in
    `problems`, which `from_toml` places on its line of the file; the valid keys and weights
    follow them once (`valid_lists`)."""

    def __init__(self, problems: list[str], where: str = "policy config") -> None:
        super().__init__(f"{where}: {'; '.join([*problems, *valid_lists(problems)])}")
        self.problems = problems


class PolicyKeywordProblems(PolicyProblems, UnknownKeywordError):
    """A keyword a policy call does not take, with the other knobs' wrong values
    (`PolicyConfig(typo=1, target_p_correct=5)`): every one in one message, after the call
    ("PolicyConfig(...): unknown keyword 'typo'; target_p_correct = 5; expected ...; valid
    keywords: ..."). Both a `PolicyProblems` and the `UnknownKeywordError` (a `TypeError`) that
    a misspelt keyword alone raises, so that an `except` for either catches it."""


class UnknownName(str):
    """The problem of one unknown key or weight, said on its own ("unknown weight 'intrest'
    (did you mean 'interest'?)": a file's problems are each on its line), keeping the valid
    names, which the message lists once after all the problems (`valid_lists`)."""

    valid: tuple[str, ...]
    what: str

    def __new__(cls, key: str, valid: Iterable[str], what: str) -> UnknownName:
        said = super().__new__(cls, unknown_name(key, list(valid), what))
        said.valid, said.what = tuple(valid), what
        return said


def valid_lists(problems: Iterable[str]) -> list[str]:
    """The valid names of each kind the unknown keys among `problems` are of, once each:
    ["valid keys: ...", "valid weights: ..."]."""
    kinds = {p.what: p.valid for p in problems if isinstance(p, UnknownName)}
    return [valid_names(valid, what) for what, valid in kinds.items()]


def _config_from(d: object) -> PolicyConfig:
    """A config from a table of knobs (a TOML file's, `to_dict()`'s): one `PolicyProblems`
    naming every problem of the table at once, each unknown key with its closest known one
    (`mastery_treshold`: did you mean `mastery_threshold`?), then each wrong value (the
    config's own check, the one there is), where the first alone was named, to be fixed one
    run at a time."""
    if not isinstance(d, Mapping):
        raise ConfigError(
            f"policy config: {d!r} ({type(d).__name__}); expected a table of knobs, e.g. "
            "{'target_p_correct': 0.8, 'weights': {'interest': 1.5}}"
        )
    known = [f.name for f in fields(PolicyConfig)]
    problems = _unknown_knobs([key for key in d if key not in known], known)
    try:
        config = PolicyConfig(**{key: value for key, value in d.items() if key in known})
    except PolicyProblems as exc:
        raise PolicyProblems(problems + exc.problems) from None
    if problems:
        raise PolicyProblems(problems)
    return config


def _unknown_knobs(keys: list[str], known: list[str]) -> list[str]:
    """Why top-level keys are refused: a weight's name written above `[weights]` (`aspiration
    = 2.0`, which "unknown key" left to guess) is said to go under it; each other key is its
    own problem (on its own line of a file), with its closest known one."""
    said = [f"`{key}` is a weight: put it under [weights]" for key in keys if key in TERMS]
    return said + [UnknownName(key, known, "key") for key in keys if key not in TERMS]


def knob_problems(knobs: Mapping[str, Any]) -> list[str]:
    """Every problem of a table of knobs (`PolicyConfig`'s fields, those given), each naming
    the key, its value and what it takes: the type first (a TOML typo such as `readiness =
    "high"`, not a failure deep in the scoring), then the range (`RANGES`; a NaN width or a
    negative exponent scores every activity NaN without a word), the exploration mode, the
    activity kinds, the grade table. [] when there is none."""
    problems = []
    for name, value in knobs.items():
        problems += _knob_problems(name, value)
    return problems


def _knob_problems(name: str, value: object) -> list[str]:
    """The problems of one knob `name` set to `value` (`knob_problems`)."""
    if name == "grade_table":
        try:
            _grade_table(value)
        except ConfigError as exc:
            return [str(exc)]
        return []
    if name == "weights":
        return _weight_problems(value)
    ok, expected = _has_field_type(name, value)
    if not ok:
        return [f"{name} = {value!r} (expected {expected})"]
    valid = RANGES.get(name)
    if valid is not None and not valid.admits(value):
        return [f"{name} = {value!r}; expected {valid.what} {valid}"]
    if name == "exploration" and value not in EXPLORATION_MODES:
        return [f"exploration = {value!r}, expected one of {list(EXPLORATION_MODES)}"]
    if name == "repeatable_kinds" and isinstance(value, list | tuple):
        unknown = [kind for kind in value if kind not in ACTIVITY_KINDS]
        if unknown:  # a misspelt "practise": every practice activity done once, never again
            reason = unknown_keys(unknown, ACTIVITY_KINDS, "activity kind")
            return [f"repeatable_kinds = {list(value)!r}: {reason}"]
    return []


def _warn_unused(reasons: list[str], where: str) -> None:
    """One warning per knob a config sets but never reads, naming the file (or "policy config"),
    at the user's line: the first caller outside this module (`from_toml` reaches it through
    `from_dict`), so that a module's warning filter matches it."""
    frame, level = sys._getframe(), 1
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame, level = frame.f_back, level + 1
    for reason in reasons:
        warnings.warn(f"{where}: {reason}", ConfigWarning, stacklevel=level)


def _has_field_type(name: str, value: object) -> tuple[bool, str]:
    """Whether `value` has the type of the field `name` (by its default), and that type as an
    error says it."""
    default = getattr(PolicyConfig, name)
    if name == "repeatable_kinds":
        ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        return ok, "a list of activity kinds"
    if name == "exploration":
        return isinstance(value, str), f"str: one of {', '.join(map(repr, EXPLORATION_MODES))}"
    if isinstance(default, bool | str):
        return isinstance(value, type(default)), type(default).__name__
    if isinstance(default, int):
        return _is_integer(value), "an integer"
    return _is_number(value), "a number"


def _weight_problems(weights: object) -> list[str]:
    """The weights' problems, each naming its weight: unknown terms (with the closest), a
    value that is no number (`weights.readiness = 'high'`), a number out of its range (any
    finite number; the stuck weight <= 0)."""
    if not isinstance(weights, Mapping):
        return [
            f"weights = {weights!r} (expected a [weights] table of numbers, one per term: "
            f"{', '.join(TERMS)})"
        ]
    problems: list[str] = [
        UnknownName(term, TERMS, "weight") for term in weights if term not in TERMS
    ]
    for term, value in weights.items():
        valid = WEIGHT_RANGES.get(term, WEIGHT_RANGE)
        if not _is_number(value):
            problems.append(f"weights.{term} = {value!r} (expected a number)")
        elif term in TERMS and not valid.admits(value):
            problems.append(f"weights.{term} = {value!r}; expected {valid.what} {valid}")
    return problems


def _problems_in_file(path: Path, text: str, problems: list[str]) -> str:
    """A policy file's problems as one message: one on the line of its key ("FILE, line 3,
    column 20: policy config: target_p_correct = 1.8; expected ..."), several listed one a
    line in the file's order, each with its own line and column, so that every mistake is
    fixed in one pass."""
    valid = valid_lists(problems)
    if len(problems) == 1:
        said = "; ".join([problems[0], *valid])
        return f"{path}{_line_named(text, problems[0])}: policy config: {said}"
    placed = [(_line_named(text, problem).removeprefix(", "), problem) for problem in problems]
    placed.sort(key=lambda one: _line_number(one[0]))
    listed = [f"  - {where}: {problem}" if where else f"  - {problem}" for where, problem in placed]
    return f"{path}: policy config: {len(problems)} problems:\n" + "\n".join([*listed, *valid])


def _line_number(where: str) -> float:
    """The line of a "line N, column C" (`_line_named`'s), infinity for "" (no line found):
    problems placed nowhere are listed last."""
    line = re.match(r"line (\d+)", where)
    return int(line[1]) if line else float("inf")


def _line_named(text: str, message: str) -> str:
    """ ", line N, column C" of the first line of a TOML `text` that sets a key the `message`
    names, "" when none does: where to look in the file, as the other file errors say it. A
    value the message quotes (`weights.readiness = '2,6'`) is placed at the value (its column
    on the line), a key it names ('readines' in "unknown weight 'readines'") at the key; a
    dotted name is looked for in its table (`weights.exploration` in [weights], not the
    top-level `exploration`)."""
    lines = text.splitlines()
    gap = re.search(r"grade_table: grade table(?::)? gap (-?\d+)", message)
    if gap:  # a grade table's gap: its line inside the [grade_table] table
        start = next((i for i, line in enumerate(lines) if _TABLE_GRADES.match(line)), None)
        key = re.compile(rf"^\s*[\"']?\+?{re.escape(gap.group(1))}[\"']?\s*=")
        for number, line in enumerate(lines[start or 0 :], start=(start or 0) + 1):
            if start is not None and key.match(line):
                return _at(line, number, value=True)
    values = set(re.findall(r"= '([^']*)'", message))  # "weights.readiness = '3.0'": a value
    quoted = [name for name in re.findall(r"'([^']+)'", message) if name not in values]
    set_to = re.findall(r"([\w.]+) = ", message)  # a value's error: "target_p_correct = 1.8"
    ticked = re.findall(r"`([\w.]+)`", message)  # "`aspiration` is a weight": a key
    named = [*set_to, *re.findall(r"(\w+) '", message), *quoted, *ticked]
    for name in named:
        number = _line_setting(text, tuple(name.split(".")))
        if number is not None:
            return _at(lines[number - 1], number, value=name in set_to)
    for name in named:  # a key the line-by-line reading does not place: by its last part
        key = name.rsplit(".", 1)[-1]
        pattern = re.compile(
            rf"^\s*(?:[\"']?{re.escape(key)}[\"']?\s*=|\[\s*{re.escape(key)}\s*\])"
        )
        for number, line in enumerate(lines, start=1):
            if pattern.match(line):
                return _at(line, number, value=name in set_to)
    return ""


def _line_setting(text: str, name: tuple[str, ...]) -> int | None:
    """The first line of a TOML `text` that sets the key `name` (its full path: table and
    key, `("weights", "readiness")`), else the first that sets a key whose path ends with it
    (`("readines",)` under [weights]); None when no line does."""
    keys = [(number, table + key) for number, table, key in _toml_keys(text)]
    exact = [number for number, path in keys if path == name]
    ending = [number for number, path in keys if path[-len(name) :] == name]
    return (exact or ending or [None])[0]


def toml_place(text: str, key: tuple[str, ...]) -> tuple[int | None, str]:
    """Where a TOML `text` sets `key` (table and key, `("grade", "3", "start")`), at its value,
    or else the `[header]` of the table `key` names: (its line, ", line N, column C"), or
    (None, "") when no line does. Other TOML readers' errors (the growth norm's) place their
    problems with it, as the policy file's are."""
    lines = text.splitlines()
    number = _line_setting(text, key)
    if number is not None:
        return number, _at(lines[number - 1], number, value=True)
    for number, line in enumerate(lines, start=1):
        header = _TABLE_HEADER.match(line)
        if header and _key_path(header.group(1)) == key:
            return number, _at(line, number, value=False)
    return None, ""


def _at(line: str, number: int, value: bool) -> str:
    """ ", line N, column C" of a TOML line: C the column (from 1) where its value starts
    (`value`: after `key =`), or where its key or table header starts."""
    key = _KEY_LINE.match(line)
    if value and key:
        rest = line[key.end() :]
        column = key.end() + len(rest) - len(rest.lstrip()) + 1
    else:
        column = len(line) - len(line.lstrip()) + 1
    return f", line {number}, column {column}"


_TABLE_GRADES = re.compile(r"^\s*\[\s*grade_table\s*\]")


#: A TOML table header, `[weights]` or `[[runs]]` (its name: group 1), alone on its line.
_TABLE_HEADER = re.compile(r"^\s*\[\[?\s*([^\[\]#]+?)\s*\]\]?\s*(?:#.*)?$")
#: One part of a TOML key: bare, or quoted.
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
#: A TOML line that sets a key (bare, quoted or dotted: group 1).
_KEY_LINE = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
#: tomllib's words for a key set twice, and where (`at line N, column M`).
_SET_TWICE = re.compile(r"Cannot overwrite a value \(at line (\d+), column \d+\)")


def _key_path(text: str) -> tuple[str, ...]:
    """A TOML key as its parts (`"a".b` -> ('a', 'b'))."""
    parts = re.findall(_KEY_PART, text)
    return tuple(part.strip("\"'") for part in parts)


def _toml_keys(text: str) -> list[tuple[int, tuple[str, ...], tuple[str, ...]]]:
    """(line number, table, key) of every line of a TOML `text` that sets a key, the table
    being the last `[header]` above it (() at the top level): where each key landed, as
    the parser reads it (a line-by-line reading: a multi-line string's lines may be misread,
    which only costs a message its line numbers)."""
    table: tuple[str, ...] = ()
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE_HEADER.match(line)
        if header:
            table = _key_path(header.group(1))
            continue
        key = _KEY_LINE.match(line)
        if key:
            out.append((number, table, _key_path(key.group(1))))
    return out


def _first_table(text: str) -> tuple[int, str] | None:
    """(line, header) of the first table of a TOML `text` (None: no table)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if _TABLE_HEADER.match(line):
            return number, line.strip()
    return None


def _above_tables(text: str) -> str:
    """Where a top-level knob goes in a TOML `text`: above its first table, a key below a
    [table] header being a key of that table."""
    first = _first_table(text)
    where = f" ({first[1]} on line {first[0]})" if first else ""
    return (
        f"put it above the file's first table{where}: a key below a [table] header belongs to "
        "that table"
    )


def invalid_toml(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """The words for a policy file the TOML parser refuses. A key set twice (the README's
    exploration keys appended below `[weights]`, where `exploration` is a weight: the parser
    says only "Cannot overwrite a value") names the key, the table it landed in and both
    lines, and for a top-level knob says to put it above the first table; any other parser
    message is passed on with the file."""
    comma = _decimal_comma(text, str(exc))
    if comma:
        return f"{path}{comma}"
    twice = _SET_TWICE.search(str(exc))
    found = _set_twice(text, int(twice.group(1))) if twice else None
    if found is None:
        return f"{path}: invalid TOML ({exc})"
    number, table, key, first = found
    name = ".".join(key)
    in_table = f" in [{'.'.join(table)}]" if table else ""
    was = f"line {first}"
    if table == ("weights",) and key[-1] in TERMS:
        was += f": the {key[-1]} weight"
    message = (
        f"{path}, line {number}: `{name}` is set twice{in_table} ({was}); expected each key once"
    )
    if table and len(key) == 1 and name in {f.name for f in fields(PolicyConfig)}:
        message += (
            f". If line {number} means the policy's top-level `{name}`, {_above_tables(text)}"
        )
    return message


#: tomllib's words for what follows a value on its line (the ",5" of `interest = 0,5`).
_AFTER_VALUE = re.compile(r"Expected newline or end of document after a statement \(at line (\d+),")
#: A value written with a decimal comma, and what follows it on its line.
_COMMA_VALUE = re.compile(r"^\s*([-+]?\d+),(\d+)\s*(?:#.*)?$")


def _decimal_comma(text: str, error: str) -> str:
    """ ", line N, column C: weights.interest = 0,5 has a decimal comma ..." when the parser
    stopped at a number written with a decimal comma (a spreadsheet's habit: the parser says
    only "Expected newline or end of document"), naming the key and the value to write; ""
    otherwise."""
    stop = _AFTER_VALUE.search(error)
    if stop is None:
        return ""
    number = int(stop.group(1))
    lines = text.splitlines()
    line = lines[number - 1] if number <= len(lines) else ""
    key = _KEY_LINE.match(line)
    value = _COMMA_VALUE.match(line[key.end() :]) if key else None
    if value is None:
        return ""
    table = next((t for n, t, _ in _toml_keys(text) if n == number), ())
    name = ".".join(table + _key_path(key.group(1)))
    given, point = f"{value.group(1)},{value.group(2)}", f"{value.group(1)}.{value.group(2)}"
    whole = value.group(1).lstrip("+-")
    if len(value.group(2)) == 3 and whole not in ("", "0"):  # 1,000: thousands, or a decimal
        return (
            f"{_at(line, number, value=True)}: {name} = {given} has a comma; write "
            f"{value.group(1)}{value.group(2)} (no thousands separator), or {point} for a "
            "decimal (TOML reads a decimal point only)"
        )
    return (
        f"{_at(line, number, value=True)}: {name} = {given} has a decimal comma; write {point} "
        "(TOML reads a decimal point only)"
    )


def _set_twice(text: str, number: int) -> tuple[int, tuple, tuple, int] | None:
    """(line, table, key, line it was first set on) of the key that line `number` of a TOML
    `text` sets again; None when that line sets no key set before (then the parser's own
    message is all there is)."""
    keys = _toml_keys(text)
    here = next(((t, k) for n, t, k in keys if n == number), None)
    if here is None:
        return None
    full = here[0] + here[1]
    first = next((n for n, t, k in keys if n < number and t + k == full), None)
    return None if first is None else (number, *here, first)


def _check_tables_hold_no_top_level_key(path: Path, text: str) -> None:
    """A top-level knob written below a table header (`exploration_temperature` after
    `[weights]`: the README's exploration keys appended to the shipped file) is read as a key
    of that table: a `ConfigError` naming its line and saying where it goes, not an "unknown
    weight" whose closest match is the exploration weight."""
    top = {f.name for f in fields(PolicyConfig)}
    valid_in = {"weights": set(TERMS), "grade_table": set()}  # the policy's tables
    for number, table, key in _toml_keys(text):
        if len(table) != 1 or len(key) != 1 or table[0] not in valid_in:
            continue
        name = key[0]
        if name in top and name not in valid_in[table[0]]:
            raise ConfigError(
                f"{path}, line {number}: `{name}` is in [{table[0]}], where it is no "
                f"{'weight' if table[0] == 'weights' else 'key of that table'}; it is a "
                f"top-level key of the policy: {_above_tables(text)}"
            )
