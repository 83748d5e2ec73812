"""Policy evaluation in simulation, through the path that ships (issue 5 section 7, issue 16).

Every policy (ours, the baselines of `adaptive.policy.baselines`, and a ceiling that sees the
truth) drives its own copy of the same simulated cohort (same seed: the same students and the
same random stream, so differences are paired). Each simulated school day a student does one
activity (k = 1). The policies see only what a deployment sees, computed by the public API a
vendor or the nightly job calls:

1. a tracer (`build_model(settings.tracer)`, the shipped `bkt` spec by default) fitted with
   `.fit(log)` on a burn-in log of OTHER students of the same simulator (`fit_students`
   students, `fit_days` days of curriculum-order practice: `adaptive.simulation.schedule`);
2. `state = model.init_state(ids, prior=grade_placement(catalog, profiles))`: placement from
   each profile's grade (`adaptive.placement`), profiles carrying the true grade, interests,
   goals and weekly time (`EvalSettings.placement` can instead start from the placement
   diagnostic or, as a ceiling on placement, from the simulator's truth: `PLACEMENTS`);
3. a warm cohort's own history (`warmup_days` days of curriculum-order practice before the
   policy takes over) absorbed with `model.update(state, log)`; a cold-start cohort (`-cold`
   simulators) has a grade and no response at all;
4. every day: `batch_from_model(model, state, catalog, profiles, log=<the cohort's log so far>,
   now=..., config=..., min_grade=..., max_grade=...)` (the grade band of the student's class is
   the only teacher constraint), `policy.select(batch, 1, now)` (what `recommend_batch` runs),
   the simulator answers, `model.update(state, <the day's responses>)`.

Nothing here keeps its own mastery or history features: the evaluated code is the shipped code.

Simulators (`SIMULATOR_KINDS`): the district families `bkt`, `logistic`, `prerequisite`
(`adaptive.simulation.learners`, the 120-skill district catalog, grade band = the student's
grade), the graph families `junyi` (the real 835-skill Junyi map; needs `../shared/datasets`)
and `graph` (the same learners on a generated 150-skill map, for tests and CI), both with
`JunyiLearners` (`adaptive.simulation.junyi`) and grade band [grade - 1, grade + 1] (a
low-prior student's frontier lies a grade below their own); and each of
them with `-cold` (a cold-start cohort). District students come from the district's own
generators (grade 3-8, goals, weekly time, grade-based true prior); graph-family students have
a grade drawn uniformly from the catalog's grades but the first and last, 1-3 topic interests,
150 minutes a week, and prior knowledge up to a depth inside their grade. `TUNING_SIMULATORS`
are the ones the policy's defaults may be tuned on (`experiments/tune_policy.py`); the others
are held out.

The ceiling policy (`ceiling`) reads the simulator's truth: among the in-band activities that fit
the day's budget, it takes a skill that is truly not mastered and whose prerequisites truly are,
at the activity with the highest P(complete) x learning fit (the difficulty nearest the
student's ability on the graph families, P(correct) nearest the learning optimum on the others).

Metrics (one value per student; subgroups `slow_learner` and `low_prior` as `<metric>_<group>`):

- `normalized_gain@n`: (post - pre) / (1 - pre) of the mean true mastery over the student's
  grade-level skills, after n activities;
- `skills_gained@n`: skills truly mastered after n activities that were not at the start
  (the issue's gain@50);
- `activities_to_mastery`: practices of a skill until it is truly mastered (skills not mastered
  at their first practice; students with none are left out). Its mean is over each policy's
  own students who mastered a skill, its paired difference over those who did under both
  policies: the two need not agree, and a policy under which fewer students master anything
  can look faster here; read it beside `skills_gained`;
- `over_practice`: share of steps on a skill already truly mastered;
- `on_unready`: share of steps on a skill with a truly unmastered direct prerequisite;
- `false_mastery_rate`: at each advancement (first practice of a skill whose prerequisite the
  student practised), the share of such prerequisites not truly mastered;
- `retention`: share of the skills truly mastered at the end still mastered `gap_days` later;
- `served`: share of days the policy gave the student an activity at all (a blocked
  student gets none: every other step metric counts over all days);
- `engagement`: share of the chosen activities the student completed;
- `difficulty_gap`: chosen activity difficulty minus the student's true ability (mean; on the
  district families answers do not depend on that ability, so read it as the mean chosen
  difficulty there);
- `constraint_violations`: hard-constraint violations per student (must be 0; not for the
  ceiling, which is not bound by them).

Aggregation: mean over all (seed, student) units with a 95% percentile bootstrap interval, the
paired difference adaptive minus policy with its own interval, and `ceiling_ratio`: the
policy's mean gain over the ceiling's in the same cell (gain metrics only; blank where the
ceiling's gain is not shown above 0). The ceiling is a greedy policy that reads the truth one
day at a time: a reference, not a bound, so on few students a policy may read above 1.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import inspect
import io
import json
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.errors import ConfigError, check_seed, fit_notes, unknown_key
from adaptive.evaluation.model_filter import FILTER_KINDS, FILTER_POLICIES, model_filter
from adaptive.files import atomic_path, make_folder
from adaptive.placement import GradeTable, Placement, grade_placement
from adaptive.placement.diagnostic import PlacementDiagnostic
from adaptive.placement.prior import placement_table
from adaptive.policy.adapter import batch_from_model
from adaptive.policy.base import StudentBatch, catalog_arrays, to_days
from adaptive.policy.baselines import BASELINES, make_policy
from adaptive.policy.config import PolicyConfig
from adaptive.policy.constraints import check_selection
from adaptive.simulation.learners import LearnerSimulator, draw_interests, make_learners
from adaptive.simulation.schedule import LogBuilder, Responses, curriculum_practice
from adaptive.tracing.base import KnowledgeTracer, atomic_write_bytes

OURS = "adaptive"
CEILING = "ceiling"
COLD = "-cold"
START = pd.Timestamp("2026-09-07", tz="UTC")
SUBGROUPS: tuple[str, ...] = ("slow_learner", "low_prior")
GAIN_METRICS: tuple[str, ...] = ("normalized_gain", "skills_gained")
COLUMNS = (
    "simulator", "policy", "metric", "n_activities", "mean", "ci_low", "ci_high",
    "diff_mean", "diff_ci_low", "diff_ci_high", "n_units", "ceiling_ratio",
)  # fmt: skip

Progress = Callable[[str], None]


# -- simulator families -------------------------------------------------------------------------
@dataclass(frozen=True)
class Family:
    """A ground-truth learner kind on a catalog, and the grade band of the students' classes
    (offsets from the student's grade, inclusive)."""

    name: str
    learner: str
    catalog: Callable[[], Catalog]
    band: tuple[int, int]
    district: bool


def _district_catalog() -> Catalog:
    from adaptive.simulation.district import district_catalog

    return district_catalog(0)


def _junyi_catalog() -> Catalog:
    from adaptive.simulation.junyi import junyi_catalog

    return junyi_catalog()


def _graph_catalog() -> Catalog:
    from adaptive.simulation.junyi import synthetic_graph_catalog

    return synthetic_graph_catalog()


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("bkt", "bkt", _district_catalog, (0, 0), True),
        Family("logistic", "logistic", _district_catalog, (0, 0), True),
        Family("prerequisite", "prerequisite", _district_catalog, (0, 0), True),
        Family("junyi", "junyi", _junyi_catalog, (-1, 1), False),
        Family("graph", "junyi", _graph_catalog, (-1, 1), False),
    )
}
SIMULATOR_KINDS: tuple[str, ...] = (*FAMILIES, *(f + COLD for f in FAMILIES))
#: The simulators the policy's default weights may be tuned on; every other one is held out.
TUNING_SIMULATORS: tuple[str, ...] = ("bkt", "logistic")
#: The matrix `make bench` reports (every family but the CI-sized `graph`, warm and cold).
DEFAULT_SIMULATORS: tuple[str, ...] = (
    "bkt", "logistic", "prerequisite", "junyi",
    "bkt-cold", "logistic-cold", "prerequisite-cold", "junyi-cold",
)  # fmt: skip
POLICY_NAMES: tuple[str, ...] = (OURS, *BASELINES, CEILING)
#: Reference policies that may be asked for besides: model filters, which know the simulator's
#: model but not the learner's state (`adaptive.evaluation.model_filter`; bkt, prerequisite and
#: junyi families only). Like the ceiling, they are bounds to read, not baselines to beat.
REFERENCE_NAMES: tuple[str, ...] = tuple(FILTER_POLICIES)
#: The shipped policy (`PolicyConfig.default()`) beside `adaptive`, which scores the given
#: config: asked for by name, so that a policy file is paired with the shipped weights on the
#: same students (a researcher could only subtract two runs' means).
SHIPPED = "shipped"


def split_kind(kind: str) -> tuple[Family, bool]:
    """`"junyi-cold"` -> (the junyi family, cold start)."""
    cold = kind.endswith(COLD)
    name = kind[: -len(COLD)] if cold else kind
    if name not in FAMILIES:
        raise ConfigError(f"unknown simulator {kind!r}; expected one of {SIMULATOR_KINDS}")
    return FAMILIES[name], cold


def is_tuning(kind: str) -> bool:
    return kind in TUNING_SIMULATORS


@dataclass(frozen=True)
class EvalSettings:
    """What to run: students per cell, seeds, checkpoints, simulators, policies, the tracer."""

    students: int = 1000
    seeds: int = 3
    activities: tuple[int, ...] = (5, 10, 20, 50)
    simulators: tuple[str, ...] = DEFAULT_SIMULATORS
    policies: tuple[str, ...] = POLICY_NAMES
    gap_days: float = 30.0
    n_boot: int = 1000
    fit_students: int = 1000
    fit_days: int = 50
    warmup_days: int = 20
    tracer: str = "bkt"
    first_seed: int = 0
    policy_config: PolicyConfig = field(default_factory=PolicyConfig.default)
    placement: str = "grade"
    diagnostic_questions: int = 10
    #: with placement "diagnostic": `PlacementDiagnostic` keyword settings beside the number of
    #: questions (e.g. {"strength": 0.8, "model": "level"}), to measure what a setting is worth
    #: on the learning gain; empty: the diagnostic's defaults
    diagnostic_settings: Mapping[str, Any] = field(default_factory=dict)
    mastery_source: str = "tracer"
    #: with placement "reach": the spread (standard deviation, in depth levels) of a seeded
    #: error on each learner's located reach, what a diagnostic that located it roughly gives
    reach_error: float = 0.0
    #: where `policy_config` came from, as the settings file records it (a file's name and
    #: sha256; "default": the shipped policy)
    policy_source: str = "default"

    def to_dict(self) -> dict:
        """The settings as `policy_eval_settings.json` records them beside the table."""
        from adaptive import __version__

        doc = dataclasses.asdict(self)
        doc["policy_config"] = self.policy_config.to_dict()
        doc["adaptive_version"] = __version__  # what a colleague installs to reproduce it
        return doc

    def __post_init__(self) -> None:
        if self.students < 1 or self.seeds < 1:
            raise ConfigError(f"students {self.students}, seeds {self.seeds}: expected >= 1 each")
        check_seed(self.first_seed, "first_seed")  # numpy's seeding refused it internally
        if not self.activities or min(self.activities) < 1:
            raise ConfigError(f"activities {self.activities}: expected positive checkpoints")
        unknown = set(self.simulators) - set(SIMULATOR_KINDS)
        if unknown:
            raise ConfigError(f"unknown simulators {sorted(unknown)}; expected {SIMULATOR_KINDS}")
        known = (*POLICY_NAMES, SHIPPED, *REFERENCE_NAMES)
        unknown = set(self.policies) - set(known)
        if unknown:
            raise ConfigError(f"unknown policies {sorted(unknown)}; expected {known}")
        filtered = {n: FILTER_POLICIES[n].kinds for n in set(self.policies) & set(REFERENCE_NAMES)}
        if self.mastery_source == "population-filter":
            filtered["mastery_source 'population-filter'"] = FILTER_KINDS
        for name, kinds in sorted(filtered.items()):
            odd = [k for k in self.simulators if split_kind(k)[0].learner not in kinds]
            if odd:
                fits = [f for f, fam in FAMILIES.items() if fam.learner in kinds]
                raise ConfigError(
                    f"simulators {odd}: {name} reads the learners of the {', '.join(fits)} "
                    f"simulators alone (and of their {COLD} cohorts)"
                )
        if OURS not in self.policies:
            raise ConfigError("policies must include 'adaptive' (the paired differences need it)")
        if self.fit_students < 1 or self.fit_days < 1 or self.warmup_days < 0:
            raise ConfigError("fit_students, fit_days >= 1 and warmup_days >= 0 expected")
        if self.placement not in PLACEMENTS:
            raise ConfigError(f"placement {self.placement!r}: expected one of {PLACEMENTS}")
        if self.mastery_source not in MASTERY_SOURCES:
            raise ConfigError(
                f"mastery_source {self.mastery_source!r}: expected one of {MASTERY_SOURCES}"
            )
        if self.diagnostic_questions < 1:
            raise ConfigError(f"diagnostic_questions {self.diagnostic_questions}: expected >= 1")
        check_diagnostic_settings(self.diagnostic_settings)
        if self.diagnostic_settings and self.placement != "diagnostic":
            raise ConfigError(
                f"diagnostic_settings {dict(self.diagnostic_settings)} with placement "
                f"{self.placement!r}: the diagnostic's settings need placement 'diagnostic'"
            )
        if not self.reach_error >= 0.0:
            raise ConfigError(f"reach_error {self.reach_error}: expected depth levels >= 0")
        if self.reach_error and self.placement != "reach":
            raise ConfigError(
                f"reach_error {self.reach_error} with placement {self.placement!r}: an error on "
                "the located reach needs placement 'reach'"
            )


# -- one cohort -------------------------------------------------------------------------------
@dataclass
class Cohort:
    """The students of one (simulator, seed) cell, identical for every policy.

    `warm` holds the cohort's own responses before the policies take over (none when cold);
    `start_sim` is the simulator just after them, copied for each policy (same state, same
    random stream).
    """

    catalog: Catalog
    kind: str
    seed: int
    student_ids: np.ndarray
    grade: np.ndarray
    profiles: list[LearnerProfile]
    target: np.ndarray  # (n, S) the student's grade-level skills
    min_grade: np.ndarray
    max_grade: np.ndarray
    daily_minutes: np.ndarray
    start_sim: LearnerSimulator
    warm: Responses
    first_day: float  # the policies' first day

    def simulator(self) -> LearnerSimulator:
        """A fresh copy of the simulator as the policies find it (catalog shared)."""
        return copy.deepcopy(self.start_sim, {id(self.catalog): self.catalog})


def make_cohort(
    catalog: Catalog, kind: str, n_students: int, seed: int, warmup_days: int = 20
) -> Cohort:
    """Draw the students of one cell; run the warm cohort's own curriculum practice."""
    family, cold = split_kind(kind)
    ss = np.random.SeedSequence([seed, 7])
    people_ss, sim_ss, warm_ss = ss.spawn(3)
    rng = np.random.default_rng(people_ss)
    sim_seed = int(sim_ss.generate_state(1)[0])
    n = n_students
    ids = np.array([f"s{seed}-{i:06d}" for i in range(n)], dtype=object)
    topics = list(catalog.topics)
    if family.district:
        from adaptive.simulation import district as d

        students = d.draw_students(catalog, n, rng)
        interests = draw_interests(rng, n, len(topics))
        grade = students["grade"].to_numpy(np.int64)
        goals = [tuple(g) for g in students["goal_skills"]]
        weekly = students["weekly_minutes"].to_numpy(float)
        sim = make_learners(
            family.learner, catalog, n, sim_seed, interests=interests,
            prior_mastery=d.prior_mastery_by_grade(catalog, grade).astype(np.float64),
        )  # fmt: skip
    else:
        grades = np.unique(catalog.skill_grades[~np.isnan(catalog.skill_grades)]).astype(np.int64)
        inner = grades[1:-1] if len(grades) > 2 else grades
        grade = rng.choice(inner, n)
        interests = draw_interests(rng, n, len(topics))
        goals = [()] * n
        weekly = np.full(n, 150.0)
        sim = make_learners(
            family.learner, catalog, n, sim_seed, interests=interests, grades=grade
        )  # fmt: skip
    profiles = [
        LearnerProfile(
            str(ids[i]), grade=int(grade[i]),
            interests={topics[t]: float(sim.interests[i, t]) for t in np.flatnonzero(sim.interests[i])},
            goal_skills=goals[i], weekly_minutes=float(weekly[i]),
        )
        for i in range(n)
    ]  # fmt: skip
    warm_days = 0 if cold else warmup_days
    warm = curriculum_practice(
        sim, catalog, grade, warm_days, 1.0, int(warm_ss.generate_state(1)[0])
    )
    return Cohort(
        catalog=catalog, kind=kind, seed=seed, student_ids=ids, grade=grade, profiles=profiles,
        target=catalog.skill_grades[None, :] == grade[:, None],
        min_grade=(grade + family.band[0]).astype(float),
        max_grade=(grade + family.band[1]).astype(float),
        daily_minutes=weekly / 5.0, start_sim=sim, warm=warm, first_day=1.0 + warm_days,
    )  # fmt: skip


def fit_tracer(
    catalog: Catalog, kind: str, n_students: int, days: int, seed: int, tracer: str = "bkt",
    grade_table: GradeTable | None = None,
) -> KnowledgeTracer:  # fmt: skip
    """The shipped tracer `tracer`, fitted with `.fit(log)` on a burn-in log of other students
    of the same simulator family (`days` days of curriculum-order practice each); a model that
    can (`extend_skills`: BKT) also gets the catalog's skills the burn-in never reached, from
    their graph neighbours, so that the students' answers on them are traced. Whether the
    district's knowledge follows the curriculum order is measured on the same log and the
    burn-in students' grades (`check_curriculum_level`, with `grade_table`: the evaluated
    policy's), as a district's training does."""
    from adaptive.tracing.specs import build_model

    family, _ = split_kind(kind)
    burn = make_cohort(catalog, family.name, n_students, seed, warmup_days=days)
    builder = LogBuilder(catalog, burn.student_ids, START)
    log = builder.log(builder.frame(burn.warm))
    model = build_model(tracer).fit(log)
    if hasattr(model, "extend_skills"):
        model.extend_skills(catalog)
    model.check_curriculum_level(log, catalog, burn.profiles, grade_table)
    return model


# -- the ceiling ---------------------------------------------------------------------------------
def ceiling_picks(
    sim: LearnerSimulator, cohort: Cohort, mastered: np.ndarray, unmet: np.ndarray, day: float
) -> np.ndarray:
    """One activity per student chosen with the simulator's truth (see the module docstring)."""
    ctx = catalog_arrays(cohort.catalog)
    n = len(cohort.grade)
    in_band = _band_mask(cohort)
    ready = ~mastered & (unmet == 0)
    cand = in_band & ready[:, ctx.primary_skill]
    picks = np.full(n, -1, np.int64)
    r, a = np.nonzero(cand)
    if len(r):
        score = sim.p_complete(r, a, day) * sim.learning_fit(r, a, day)
        order = np.lexsort((-score, r))
        first = np.r_[True, r[order][1:] != r[order][:-1]]
        picks[r[order][first]] = a[order][first]
    rest = np.flatnonzero(picks < 0)
    if len(rest):  # nothing ready: the in-band skill closest to ready, least mastered
        r2, a2 = np.nonzero(in_band[rest])
        if len(r2):
            skill = ctx.primary_skill[a2]
            stu = rest[r2]
            score = -unmet[stu, skill] - 10.0 * mastered[stu, skill] - 1e-3 * a2
            order = np.lexsort((-score, r2))
            first = np.r_[True, r2[order][1:] != r2[order][:-1]]
            picks[stu[order][first]] = a2[order][first]
    return picks


def _in_band(cohort: Cohort, grades: np.ndarray) -> np.ndarray:
    """(n, len(grades)) True where a grade (a skill's, an activity's) lies in the student's
    grade band; a NaN grade is in no band."""
    g = np.asarray(grades, float)[None, :]
    with np.errstate(invalid="ignore"):
        return (g >= cohort.min_grade[:, None]) & (g <= cohort.max_grade[:, None])


def _skill_in_band(cohort: Cohort) -> np.ndarray:
    """(n, S) True where a skill's grade lies in the student's grade band."""
    return _in_band(cohort, catalog_arrays(cohort.catalog).skill_grade)


def _band_mask(cohort: Cohort) -> np.ndarray:
    """(n, A) the activities each student's class may be given: in the grade band and within
    the day's minutes (cached on the cohort)."""
    cached = getattr(cohort, "_band", None)
    if cached is None:
        ctx = catalog_arrays(cohort.catalog)
        fits = ctx.minutes[None, :] <= cohort.daily_minutes[:, None]
        cached = _in_band(cohort, ctx.grade) & fits
        cohort._band = cached  # type: ignore[attr-defined]
    return cached


# -- one run: a policy drives a simulator through the shipped path ------------------------------
#: Where `run_policy` starts the tracer: "grade" (the shipped path: each profile's grade),
#: "diagnostic" (the adaptive placement diagnostic, `diagnostic_questions` questions answered by
#: the simulated students the evening before the policies take over; not counted among the
#: activities), "truth" (the simulator's true state when the policies take over, as P = 0.95
#: / 0.05: a ceiling on what any placement can give) and, on the graph families only, "reach"
#: (each learner's depth reach without its scattered gaps, as P = 0.95 / 0.05: what a
#: diagnostic that located the reach exactly would give; no test can find 5% gaps);
#: "truth-band" is the truth on the skills of the student's grade band only, the grade
#: placement elsewhere: which part of a true start the policy's gain comes from.
PLACEMENTS = ("grade", "diagnostic", "truth", "truth-band", "reach")
#: What the policies read as mastery each day: "tracer" (the shipped path), "truth" (the
#: simulator's true state as P = 0.99 / 0.01, P(correct) derived from it: a ceiling on tracing,
#: so that what remains of the gap to the ceiling policy is the policy's own scoring) or
#: "population-filter" (the belief of the population model filter, which knows the simulator's
#: model but not the learner: `model_filter`; the binary-knowledge simulators only): the best an
#: answers-only tracer could read, so that the gap left to that filter's own row is scoring's).
MASTERY_SOURCES = ("tracer", "truth", "population-filter")


#: `PlacementDiagnostic` arguments that `start_placement` sets itself (not settings)
_DIAGNOSTIC_OWN = ("self", "catalog", "prior", "max_questions")


def check_diagnostic_settings(settings: Mapping[str, Any]) -> None:
    """`ConfigError` for a key that is not a keyword setting of `PlacementDiagnostic` (the
    catalog, prior and question count are the evaluation's own), naming the nearest one."""
    known = [
        k for k in inspect.signature(PlacementDiagnostic).parameters if k not in _DIAGNOSTIC_OWN
    ]
    for key in settings:
        if key not in known:
            raise ConfigError(unknown_key(key, known, "diagnostic setting"))


def start_placement(
    kind: str,
    cohort: Cohort,
    sim: LearnerSimulator,
    diagnostic_questions: int = 10,
    table: GradeTable | None = None,
    reach_error: float = 0.0,
    diagnostic_settings: Mapping[str, Any] | None = None,
) -> Placement:
    """The cohort's starting `Placement` of the given kind (see `PLACEMENTS`); grades read
    with `table` (the policy config's `grade_table`, else the model's: `placement_table`;
    None: the default). `reach_error`: the standard deviation (depth levels) of each
    learner's error on the located reach, drawn from the cohort's seed.
    `diagnostic_settings`: `PlacementDiagnostic` keywords."""
    cat = cohort.catalog
    prior = grade_placement(cat, cohort.profiles, table)
    if kind == "grade":
        return prior
    if kind in ("truth", "truth-band"):
        truly = sim.true_mastery(cohort.first_day) >= sim.mastery_threshold
        placed = np.where(truly, 0.95, 0.05)
        if kind == "truth-band":
            placed = np.where(_skill_in_band(cohort), placed, prior.mastery)
        said = "placed from the simulator's truth" + (
            " in the grade band, from the grade elsewhere" if kind == "truth-band" else ""
        )
        return Placement(prior.students, prior.skills, placed, (said,) * len(cohort.student_ids))
    if kind == "reach":
        reach = getattr(sim, "reach", None)
        if reach is None or np.isnan(reach).all():
            raise ConfigError(
                f"placement 'reach' on {cohort.kind}: only the graph families' learners "
                "(junyi, graph) know a depth reach"
            )
        if reach_error:
            rng = np.random.default_rng(np.random.SeedSequence([cohort.seed, 53]))
            reach = reach + rng.normal(0.0, reach_error, len(reach))
        known = sim.depth[None, :] < reach[:, None]
        sources = ("placed from the simulator's depth reach",) * len(cohort.student_ids)
        return Placement(prior.students, prior.skills, np.where(known, 0.95, 0.05), sources)
    if kind != "diagnostic":
        raise ConfigError(f"placement {kind!r}: expected one of {PLACEMENTS}")
    settings = dict(diagnostic_settings or {})
    check_diagnostic_settings(settings)
    diagnostic = PlacementDiagnostic(cat, prior, max_questions=diagnostic_questions, **settings)
    activity_code = {a.id: i for i, a in enumerate(cat.activities)}
    asked = np.array([activity_code[a] for a in diagnostic.question_activities])

    def answer(rows: np.ndarray, skills: np.ndarray) -> np.ndarray:
        correct, _ = sim.respond(rows, asked[skills], cohort.first_day - 0.5)
        return correct.astype(np.int8)

    return diagnostic.run(list(prior.students), answer)


def run_policy(
    policy_name: str,
    cohort: Cohort,
    model: KnowledgeTracer,
    checkpoints: Sequence[int],
    gap_days: float,
    config: PolicyConfig | None = None,
    seed: int = 0,
    placement: str = "grade",
    diagnostic_questions: int = 10,
    mastery_source: str = "tracer",
    reach_error: float = 0.0,
    diagnostic_settings: Mapping[str, Any] | None = None,
) -> dict[str, np.ndarray]:
    """Simulate `max(checkpoints)` school days of one activity each; per-student metric values.

    `placement` says where the tracer starts the cohort (`PLACEMENTS`): "grade" is the shipped
    path; "diagnostic" and "truth" measure what a better start would be worth. `mastery_source`
    "truth" hands the policies the simulator's true mastery every day, "population-filter" the
    population model filter's belief (`MASTERY_SOURCES`);
    `reach_error` blurs the "reach" placement and `diagnostic_settings` set the "diagnostic"
    one's (`start_placement`)."""
    cat = cohort.catalog
    ctx = catalog_arrays(cat)
    # only `adaptive` is scored with the given config: the baselines and the ceiling keep the
    # default's thresholds and placement, so two policy files face the same baselines
    cfg = (config if policy_name == OURS else None) or PolicyConfig.default()
    sim = cohort.simulator()
    n, n_s = len(cohort.grade), len(cat.skills)
    ids = list(cohort.student_ids)
    # -- the shipped path: placement, the student's own history, then day by day ------------
    state = model.init_state(
        ids,
        prior=start_placement(
            placement,
            cohort,
            sim,
            diagnostic_questions,
            placement_table(cfg.grade_table, model),
            reach_error,
            diagnostic_settings,
        ),
    )
    builder = LogBuilder(cat, ids, START)
    frames: list[pd.DataFrame] = []
    if len(cohort.warm):
        frames.append(builder.frame(cohort.warm))
        model.update(state, builder.log(frames[0]))
    reference = policy_name in (CEILING, *REFERENCE_NAMES)
    chosen = OURS if policy_name == SHIPPED else policy_name  # `cfg` is the default's there
    policy = None if reference else make_policy(chosen, cat, cfg, seed)
    bound = None
    if policy_name in REFERENCE_NAMES:
        bound = model_filter(sim, cohort, FILTER_POLICIES[policy_name], ctx.prerequisite)
    belief = None  # what the policies read instead of the tracer ("population-filter")
    if mastery_source == "population-filter" and policy is not None:
        belief = model_filter(sim, cohort, "population", ctx.prerequisite)
    rows = np.arange(n)
    ever = np.zeros((n, n_s), bool)  # practised since the policies took over
    practices = np.zeros((n, n_s), np.int32)
    to_mastery = np.full((n, n_s), np.nan)
    totals = {k: np.zeros(n) for k in ("over", "unready", "adv", "adv_false", "viol", "assigned",
                                       "done", "gap")}  # fmt: skip
    day0 = cohort.first_day
    truth0 = sim.true_mastery(day0)
    mastered0 = truth0 >= sim.mastery_threshold
    pre = _mean_over(truth0, cohort.target)
    out: dict[str, np.ndarray] = {}
    prereq = cat.prerequisite_codes
    steps = int(max(checkpoints))
    pending = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    for t in range(1, steps + 1):
        day = day0 + t - 1
        stamp = START + pd.Timedelta(days=day)
        truly = sim.is_mastered(day)
        _to_mastery(to_mastery, practices, mastered0, truly, pending)
        unmet = _unmet_prerequisites(ctx, truly)
        if bound is not None:
            act = bound.picks(_band_mask(cohort))
        elif policy is None:
            act = ceiling_picks(sim, cohort, truly, unmet, day)
        else:
            batch = batch_from_model(
                model, state, cat, cohort.profiles,
                log=builder.log(frames) if frames else None, now=stamp, config=cfg,
                min_grade=cohort.min_grade, max_grade=cohort.max_grade,
            )  # fmt: skip
            if mastery_source == "truth":
                batch.mastery = np.where(truly, 0.99, 0.01)
                batch.p_correct = np.full(truly.shape, np.nan)  # derived from the mastery
            elif belief is not None:
                batch.mastery = belief.p_known()
                batch.p_correct = np.full(truly.shape, np.nan)
            sel = policy.select(batch, 1, to_days(stamp))
            totals["viol"] += _violations_per_student(sel.activity, batch, ctx, cfg.max_per_skill)
            act = sel.activity[:, 0]
        who = rows[act >= 0]
        act = act[act >= 0]
        skill = ctx.primary_skill[act]
        totals["assigned"][who] += 1
        totals["over"][who] += truly[who, skill]
        totals["unready"][who] += unmet[who, skill] > 0
        totals["gap"][who] += ctx.difficulty[act] - sim.ability[who]
        # advancement: first practice of a skill with a practised prerequisite
        first = ~ever[who, skill]
        pre_c = prereq[skill]
        has = pre_c >= 0
        pre_c = np.where(has, pre_c, 0)
        practised_pre = has & ever[who[:, None], pre_c]
        is_adv = first & practised_pre.any(axis=1)
        false_pre = practised_pre & ~truly[who[:, None], pre_c]
        totals["adv"][who[is_adv]] += 1
        totals["adv_false"][who[is_adv]] += false_pre[is_adv].any(axis=1)
        correct, done = sim.respond(who, act, day)
        if bound is not None:
            bound.absorb(who, act, correct, done)
        if belief is not None:  # a filter reads one skill an activity (its module's docstring)
            one = belief.single_skill[act]
            belief.absorb(who[one], act[one], correct[one], done[one])
        totals["done"][who] += done
        ever[who, skill] = True
        if policy is not None:  # the tracer is read by the policies, not the references
            today = Responses(who[done], act[done], correct[done], np.full(int(done.sum()), day))
            frames.append(builder.frame(today))
            model.update(state, builder.log(frames[-1]))
        # activities to true mastery (skills not mastered at their first practice)
        practices[who, skill] += 1
        pending = (who, skill)  # mastered yet? read from the next day's truth
        if t in checkpoints:
            truth = sim.true_mastery(day + 0.5)
            post = _mean_over(truth, cohort.target)
            out[f"normalized_gain@{t}"] = (post - pre) / np.maximum(1.0 - pre, 0.05)
            gained = (truth >= sim.mastery_threshold) & ~mastered0
            out[f"skills_gained@{t}"] = gained.sum(axis=1).astype(np.float64)
    end = day0 + steps - 0.5
    end_mastered = sim.is_mastered(end)
    _to_mastery(to_mastery, practices, mastered0, end_mastered, pending)
    kept = sim.is_mastered(end + gap_days) & end_mastered
    n_end = end_mastered.sum(axis=1)
    reached = ~np.isnan(to_mastery)
    a = np.maximum(totals["assigned"], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["activities_to_mastery"] = np.where(
            reached.any(axis=1), np.nansum(to_mastery, axis=1) / reached.sum(axis=1), np.nan
        )
        out["over_practice"] = totals["over"] / steps
        out["on_unready"] = totals["unready"] / steps
        adv = totals["adv"]
        out["false_mastery_rate"] = np.where(
            adv > 0, totals["adv_false"] / np.maximum(adv, 1), np.nan
        )
        out["retention"] = np.where(n_end > 0, kept.sum(axis=1) / np.maximum(n_end, 1), np.nan)
        has_any = totals["assigned"] > 0
        out["served"] = totals["assigned"] / steps
        out["engagement"] = np.where(has_any, totals["done"] / a, np.nan)
        out["difficulty_gap"] = np.where(has_any, totals["gap"] / a, np.nan)
    if policy is not None:
        out["constraint_violations"] = totals["viol"]
    return out


def _to_mastery(
    to_mastery: np.ndarray, practices: np.ndarray, mastered0: np.ndarray, mastered: np.ndarray,
    pending: tuple[np.ndarray, np.ndarray],
) -> None:  # fmt: skip
    """Record the practice count of each (student, skill) just practised that is now truly
    mastered for the first time (skills not mastered at the start only)."""
    who, skill = pending
    newly = mastered[who, skill] & np.isnan(to_mastery[who, skill]) & ~mastered0[who, skill]
    to_mastery[who[newly], skill[newly]] = practices[who[newly], skill[newly]]


def _unmet_prerequisites(ctx, mastered: np.ndarray) -> np.ndarray:
    """(n, S) number of each skill's direct prerequisites not mastered (sparse product)."""
    missing = (~mastered).T.astype(np.float32)
    return np.asarray((ctx.prerequisite @ missing).T)


def _mean_over(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return (values * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)


def _violations_per_student(picks: np.ndarray, batch: StudentBatch, ctx, cap: int) -> np.ndarray:
    """Hard-constraint violations of each student's picks (checked for all at once first)."""
    total = np.zeros(len(batch))
    if sum(check_selection(picks, batch, ctx, cap).values()):  # rare: attribute per student
        for i in range(len(batch)):
            one = check_selection(picks[i : i + 1], batch.take(slice(i, i + 1)), ctx, cap)
            total[i] = sum(one.values())
    return total


# -- the matrix --------------------------------------------------------------------------------
def run_matrix(
    settings: EvalSettings, progress: Progress | None = None, cache_dir: str | Path | None = None
) -> pd.DataFrame:
    """Every (simulator, seed, policy) cell; long table of per-student values.

    Columns: simulator, seed, student, policy, metric, value, slow_learner, low_prior.
    With `cache_dir`, each cell's values are saved as `.npz` (named by its settings and a hash of
    the code it runs) and reused by a re-run with the same settings and code, so an interrupted
    matrix resumes where it stopped.
    """
    frames = []
    checkpoints = tuple(sorted(set(settings.activities)))
    catalogs: dict[str, Catalog] = {}
    tracers: dict[str, KnowledgeTracer] = {}
    for kind in settings.simulators:
        family, _ = split_kind(kind)
        if family.name not in catalogs:
            catalogs[family.name] = family.catalog()
        catalog = catalogs[family.name]
        if family.name not in tracers:
            t0 = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                tracers[family.name] = fit_tracer(
                    catalog, family.name, settings.fit_students, settings.fit_days,
                    seed=10_000 + list(FAMILIES).index(family.name), tracer=settings.tracer,
                    grade_table=settings.policy_config.grade_table,
                )  # fmt: skip
            fit_note = _burn_in_fit_note(caught, family.name)
            if progress:
                fitted = tracers[family.name]
                progress(
                    f"{family.name}: tracer fitted in {time.perf_counter() - t0:.1f}s; "
                    f"curriculum order: {fitted.curriculum_level_}{fit_note}"
                )
        model = tracers[family.name]
        for s in range(settings.first_seed, settings.first_seed + settings.seeds):
            cohort = None
            for name in settings.policies:
                t1 = time.perf_counter()
                cached = _cell_path(cache_dir, settings, kind, s, name)
                if cached is not None and cached.exists():
                    with np.load(cached, allow_pickle=False) as z:
                        values = {k: z[k] for k in z.files}
                else:
                    if cohort is None:
                        cohort = make_cohort(
                            catalog, kind, settings.students, s, settings.warmup_days
                        )
                    values = run_policy(
                        name, cohort, model, checkpoints, settings.gap_days,
                        settings.policy_config, s, settings.placement,
                        settings.diagnostic_questions, settings.mastery_source,
                        settings.reach_error, settings.diagnostic_settings,
                    )  # fmt: skip
                    if cached is not None:
                        buf = io.BytesIO()
                        np.savez(buf, **values)
                        atomic_write_bytes(cached, buf.getvalue())
                flags = _flags(cohort, catalog, kind, settings, s)
                for metric, v in values.items():
                    frames.append(
                        pd.DataFrame({
                            "simulator": kind, "seed": s, "student": np.arange(len(v)),
                            "policy": name, "metric": metric, "value": v,
                            "slow_learner": flags[0], "low_prior": flags[1],
                        })
                    )  # fmt: skip
                if progress:
                    progress(f"{kind} seed {s} {name}: {time.perf_counter() - t1:.1f}s")
    return pd.concat(frames, ignore_index=True)


def _burn_in_fit_note(caught: list[warnings.WarningMessage], family: str) -> str:
    """The burn-in tracer's `FitWarning`s as words for the progress line ("" without any;
    every other warning shown as it came: `fit_notes`). The burn-in is the simulator's own
    students, not a log the user gave: a researcher's `policy-eval -q` printed "BKT fit on
    sparse or unusual data ... model.params_table()" about a model they never held."""
    notes = fit_notes(caught)
    if not notes:
        return ""
    return f"; its fit on the {family} simulator's burn-in students warned: {notes[0]}"


def _flags(
    cohort: Cohort | None, catalog: Catalog, kind: str, settings: EvalSettings, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The cohort's subgroup flags (drawn without building the cohort when all were cached)."""
    if cohort is None:
        cohort = make_cohort(catalog, kind, settings.students, seed, warmup_days=0)
    return cohort.start_sim.slow_learner, cohort.start_sim.low_prior


def _config_read_by(settings: EvalSettings, policy: str) -> dict[str, Any]:
    """The policy settings a cell's values depend on, as its cache key holds them: the
    evaluated config for `adaptive`; for every other policy the shipped one's (`run_policy`),
    with the evaluated config's grade table, which the cohort's shared tracer reads
    (`fit_tracer`). Keyed by the whole evaluated config, a researcher's second `--policy` file
    ran every baseline again."""
    evaluated = settings.policy_config.to_dict()
    if policy == OURS:
        return evaluated
    return {
        "shipped": PolicyConfig.default().to_dict(),
        "grade_table": evaluated.get("grade_table"),
    }


def _cell_path(
    cache_dir: str | Path | None, settings: EvalSettings, kind: str, seed: int, policy: str
) -> Path | None:
    if cache_dir is None:
        return None
    key = json.dumps(
        [3, _code_fingerprint(), settings.students, list(settings.activities), settings.gap_days, settings.fit_students,
         settings.fit_days, settings.warmup_days, settings.tracer,
         _config_read_by(settings, policy), kind, seed, policy, settings.placement,
         settings.diagnostic_questions, settings.mastery_source, settings.reach_error,
         dict(settings.diagnostic_settings)],
        sort_keys=True, default=str,
    )  # fmt: skip
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{kind}-s{seed}-{policy}-{digest}.npz"


@functools.cache
def _code_fingerprint() -> str:
    """Hash of the source a cell's values depend on (this module, the simulators, the tracers,
    placement, the policies, the catalog): a cached cell is reused only by the same code."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for sub in ("evaluation/policy_eval.py", "evaluation/model_filter.py", "simulation",
                "tracing", "placement", "policy", "curriculum", "specs"):  # fmt: skip
        base = root / sub
        for f in sorted([base] if base.is_file() else (*base.rglob("*.py"), *base.rglob("*.toml"))):
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def bootstrap_weights(n_units: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n_units) multinomial resampling counts (students drawn with replacement)."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n_units, (n_boot, n_units))
    w = np.zeros((n_boot, n_units), np.float32)
    for b in range(n_boot):
        w[b] = np.bincount(idx[b], minlength=n_units)
    return w


def _weighted_means(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Bootstrap replicate means of each column of `values` (m, c), NaN = undefined unit."""
    valid = ~np.isnan(values)
    num = w @ np.where(valid, values, 0.0).astype(np.float32)
    den = w @ valid.astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def summarize(long: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Per (simulator, policy, metric, n_activities, subgroup): mean and paired CIs vs ours."""
    out = []
    for kind, part in long.groupby("simulator", sort=False):
        wide = part.pivot_table(
            index=["seed", "student", "slow_learner", "low_prior"], columns=["policy", "metric"],
            values="value", dropna=False,
        )  # fmt: skip
        units = wide.index.to_frame(index=False)
        pairs = part[["policy", "metric"]].drop_duplicates()
        present = set(zip(pairs["policy"], pairs["metric"], strict=True))
        # metrics measured over the whole run are reported at its length (the last checkpoint)
        whole_run = max((int(m.partition("@")[2]) for _, m in wide.columns if "@" in m), default=-1)
        groups = {"": np.ones(len(wide), bool)}
        for g in SUBGROUPS:
            groups[f"_{g}"] = units[g].to_numpy(bool)
        for suffix, mask in groups.items():
            sub = wide.to_numpy(np.float64)[mask]
            if not len(sub):
                continue
            w = bootstrap_weights(len(sub), n_boot, seed)
            cols = list(wide.columns)
            ours = [cols.index((OURS, m)) if (OURS, m) in cols else None for _, m in cols]
            diffs = np.stack(
                [sub[:, ours[j]] - sub[:, j] if ours[j] is not None else np.full(len(sub), np.nan)
                 for j in range(len(cols))], axis=1,
            )  # fmt: skip
            reps = _weighted_means(sub, w)
            diff_reps = _weighted_means(diffs, w)
            for j, (policy, metric) in enumerate(cols):
                if (policy, metric) not in present:  # e.g. the ceiling's constraint violations
                    continue
                base, _, n_act = metric.partition("@")
                v = sub[:, j]
                d = diffs[:, j]
                is_ours = policy == OURS
                out.append({
                    "simulator": kind, "policy": policy, "metric": base + suffix,
                    "n_activities": int(n_act) if n_act else whole_run,
                    "mean": float(np.nanmean(v)) if np.isfinite(v).any() else np.nan,
                    "ci_low": _q(reps[:, j], 0.025), "ci_high": _q(reps[:, j], 0.975),
                    "diff_mean": np.nan if is_ours else _nanmean(d),
                    "diff_ci_low": np.nan if is_ours else _q(diff_reps[:, j], 0.025),
                    "diff_ci_high": np.nan if is_ours else _q(diff_reps[:, j], 0.975),
                    "n_units": int(np.isfinite(v).sum()),
                })  # fmt: skip
    table = pd.DataFrame(out, columns=[c for c in COLUMNS if c != "ceiling_ratio"])
    table["ceiling_ratio"] = ceiling_ratios(table)
    return table.sort_values(
        ["simulator", "metric", "n_activities", "policy"], kind="stable"
    ).reset_index(drop=True)


def ceiling_ratios(table: pd.DataFrame) -> np.ndarray:
    """Each gain row's mean over the ceiling's mean in the same cell (NaN elsewhere, and where
    the ceiling's gain is not shown above 0, its interval's low end at or below 0: a trial's
    junyi normalized gains read ratios of -1.1 to -3.9 over a ceiling of 0.003 [-0.01, 0.02])."""
    key = ["simulator", "metric", "n_activities"]
    rows = table[table["policy"] == CEILING].set_index(key)
    ceiling = rows["mean"].where(rows["ci_low"] > 0)
    if ceiling.empty:
        return np.full(len(table), np.nan)
    base = table["metric"].str.replace("_(" + "|".join(SUBGROUPS) + ")$", "", regex=True)
    ref = ceiling.reindex(pd.MultiIndex.from_frame(table[key])).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = table["mean"].to_numpy() / ref
    return np.where(base.isin(GAIN_METRICS).to_numpy() & (ref > 0), ratio, np.nan)


def _q(x: np.ndarray, q: float) -> float:
    x = x[np.isfinite(x)]
    return float(np.quantile(x, q)) if len(x) else float("nan")


def _nanmean(x: np.ndarray) -> float:
    return float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")


# -- outputs ----------------------------------------------------------------------------------
def evaluate_policies(
    settings: EvalSettings,
    out_dir: str | Path | None = None,
    progress: Progress | None = None,
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Run the matrix, summarize it, and (with `out_dir`) write `policy_eval.csv` and plots."""
    long = run_matrix(settings, progress, cache_dir)
    table = summarize(long, settings.n_boot, seed=settings.first_seed)
    if out_dir is not None:
        write_outputs(table, Path(out_dir))
        settings_json = json.dumps(settings.to_dict(), indent=2, sort_keys=True, default=str)
        atomic_write_bytes(Path(out_dir) / SETTINGS_FILE, (settings_json + "\n").encode())
    return table


#: Beside `policy_eval.csv`: what was run, the scored policy's config and source included.
SETTINGS_FILE = "policy_eval_settings.json"


def _error_bars(rows: pd.DataFrame) -> list[np.ndarray]:
    """Lengths of the error bars below and above each mean, from its interval. A percentile
    bootstrap interval need not contain the mean (few resamples, a skewed metric: a mean of
    0.2 with [0.094, 0.189]); its bar then stops at the mean rather than pointing backwards."""
    mean = rows["mean"].to_numpy(float)
    below = np.maximum(mean - rows["ci_low"].to_numpy(float), 0.0)
    above = np.maximum(rows["ci_high"].to_numpy(float) - mean, 0.0)
    return [below, above]


def write_outputs(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """`policy_eval.csv` (atomic) and one PNG per metric (all simulators, all policies)."""
    make_folder(out_dir)
    paths = [out_dir / "policy_eval.csv"]
    atomic_write_bytes(paths[0], table.to_csv(index=False, float_format="%.6g").encode())
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    whole = table[~table["metric"].str.endswith(tuple(f"_{g}" for g in SUBGROUPS))]
    for metric, part in whole.groupby("metric", sort=True):
        sims = list(dict.fromkeys(part["simulator"]))
        fig, axes = plt.subplots(1, len(sims), figsize=(4.5 * len(sims), 3.6), squeeze=False)
        for ax, sim in zip(axes[0], sims, strict=True):
            p = part[part["simulator"] == sim]
            if (p["n_activities"] > 0).any():
                for pol, q in p.groupby("policy", sort=False):
                    q = q.sort_values("n_activities")
                    err = _error_bars(q)
                    width = 2 if pol == OURS else 1
                    ax.errorbar(q["n_activities"], q["mean"], yerr=err, label=pol, marker="o",
                                capsize=2, lw=width)  # fmt: skip
                ax.set_xlabel("activities")
                ax.legend(fontsize=7)
            else:
                err = _error_bars(p)
                colors = ["C3" if x == OURS else "C0" for x in p["policy"]]
                ax.bar(p["policy"], p["mean"], yerr=err, color=colors)
                ax.tick_params(axis="x", rotation=60)
            ax.set_title(f"{metric} ({sim})")
        fig.tight_layout()
        path = out_dir / f"policy_eval_{metric}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
