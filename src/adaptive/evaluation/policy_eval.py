"""Policy evaluation in simulation: our policy against the baselines, paired, on several
ground-truth learner models (issue 5, section 7).

For every simulator kind (`bkt`, `logistic`, `prerequisite` from `adaptive.simulation.learners`)
and seed, one cohort of students is drawn (the district's catalog, grades, interests, goals,
weekly time and grade-based prior knowledge, via `adaptive.simulation.district`); every policy
then drives its own copy of the same simulator (same seed, so the same students and the same
random stream: paired draws). Each simulated school day a student does one activity (k = 1)
chosen by the policy within the day's time budget, the grade band of the student's class, and
the other hard constraints.

The policy sees only what a real deployment sees: mastery from a knowledge-tracing model updated
online after every response. That model is BKT with per-skill parameters fitted by the project's
EM engine (`adaptive.tracing.bkt_engine.fit_em`) on a separate simulated district of the same
kind (different students, curriculum-order schedule), started from the district's grade-based
placement prior. No policy sees the simulator's truth.

Metrics (one value per student; subgroups `slow_learner` and `low_prior` as `<metric>_<group>`):

- `normalized_gain` after n activities: (post - pre) / (1 - pre) of the mean true mastery over
  the student's grade-level (target) skills;
- `activities_to_mastery`: practices of a skill until it is truly mastered (skills not mastered
  at their first practice; students with none are left out);
- `over_practice`: share of activities spent on a skill already truly mastered;
- `false_mastery_rate`: at each advancement (first practice of a skill whose prerequisite the
  student practised), the share of such prerequisites not truly mastered;
- `retention`: share of the skills truly mastered at the end still mastered after a `gap_days`
  gap without practice;
- `constraint_violations`: hard-constraint violations per student (must be 0).

`n_activities` is the checkpoint for `normalized_gain` and the run's length (the last
checkpoint) for the metrics measured over the whole run.

Aggregation: mean over all (seed, student) units with a 95% percentile bootstrap interval
(students resampled with replacement, seeded; ratio of weighted sums where a metric is undefined
for some students), and the paired difference adaptive minus policy with its own interval
(`diff_mean`, `diff_ci_low`, `diff_ci_high`; NaN on the adaptive rows).
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog
from adaptive.errors import ConfigError
from adaptive.policy.base import Policy, StudentBatch, catalog_arrays, profile_goals
from adaptive.policy.baselines import BASELINES, make_policy
from adaptive.policy.config import PolicyConfig
from adaptive.policy.constraints import check_selection
from adaptive.tracing import bkt_engine
from adaptive.tracing.base import atomic_write_bytes

SIMULATOR_KINDS: tuple[str, ...] = ("bkt", "logistic", "prerequisite")
POLICY_NAMES: tuple[str, ...] = ("adaptive", *BASELINES)
SUBGROUPS: tuple[str, ...] = ("slow_learner", "low_prior")
OURS = "adaptive"
COLUMNS = (
    "simulator", "policy", "metric", "n_activities", "mean", "ci_low", "ci_high",
    "diff_mean", "diff_ci_low", "diff_ci_high", "n_units",
)  # fmt: skip

Progress = Callable[[str], None]


@dataclass(frozen=True)
class EvalSettings:
    """What to run: students per cell, seeds, checkpoints, simulators, policies."""

    students: int = 2000
    seeds: int = 10
    activities: tuple[int, ...] = (5, 10, 20, 50)
    simulators: tuple[str, ...] = SIMULATOR_KINDS
    policies: tuple[str, ...] = POLICY_NAMES
    gap_days: float = 30.0
    n_boot: int = 1000
    fit_students: int = 1000
    first_seed: int = 0
    policy_config: PolicyConfig = field(default_factory=PolicyConfig)

    def __post_init__(self) -> None:
        if self.students < 1 or self.seeds < 1:
            raise ConfigError(f"students {self.students}, seeds {self.seeds}: expected >= 1 each")
        if not self.activities or min(self.activities) < 1:
            raise ConfigError(f"activities {self.activities}: expected positive checkpoints")
        unknown = set(self.simulators) - set(SIMULATOR_KINDS)
        if unknown:
            raise ConfigError(f"unknown simulators {sorted(unknown)}; expected {SIMULATOR_KINDS}")
        unknown = set(self.policies) - set(POLICY_NAMES)
        if unknown:
            raise ConfigError(f"unknown policies {sorted(unknown)}; expected {POLICY_NAMES}")
        if OURS not in self.policies:
            raise ConfigError("policies must include 'adaptive' (the paired differences need it)")


# -- the policy's own knowledge tracing -------------------------------------------------------
@dataclass
class BKTTracker:
    """Online BKT over (students x skills): the policy's view of mastery during a simulation.

    Per-skill parameters come from `fit_tracer`; the update is BKT's filter then transition
    (the same equations as `adaptive.tracing.bkt_engine`).
    """

    p_learn: np.ndarray
    p_forget: np.ndarray
    p_guess: np.ndarray
    p_slip: np.ndarray
    p_known: np.ndarray  # (n, S)

    def mastery(self) -> np.ndarray:
        return self.p_known

    def p_correct(self) -> np.ndarray:
        return bkt_engine.p_correct(self.p_known, self.p_guess[None, :], self.p_slip[None, :])

    def update(self, student: np.ndarray, skill: np.ndarray, correct: np.ndarray) -> None:
        """Absorb one response per (student, skill) entry (entries of distinct pairs)."""
        pred = self.p_known[student, skill][:, None]
        like_k, like_u = bkt_engine.emissions(
            correct, self.p_guess[skill][:, None], self.p_slip[skill][:, None]
        )
        post, _ = bkt_engine.filtered(pred, like_k, like_u)
        post = post[:, 0]
        learn, forget = self.p_learn[skill], self.p_forget[skill]
        self.p_known[student, skill] = learn * (1.0 - post) + post * (1.0 - forget)


def fit_tracer(catalog: Catalog, kind: str, n_students: int, seed: int) -> dict[str, np.ndarray]:
    """Per-skill BKT parameters fitted by EM on a separate simulated district of `kind`.

    Skills absent from the training log keep the engine's population defaults (median of the
    fitted skills).
    """
    from adaptive.simulation.district import simulate_district

    district = simulate_district(n_students, seed, learner=kind)
    log = district.response_log()
    rows, skill_codes = log.exploded()
    n_s = len(catalog.skills)
    skill = catalog.skill_index.get_indexer(log.skills[skill_codes])
    keep = skill >= 0
    rows, skill = rows[keep], skill[keep].astype(np.int64)
    seq_key = log.student[rows].astype(np.int64) * n_s + skill
    order = np.argsort(seq_key, kind="stable")  # time order is kept inside each sequence
    skill_sorted = skill[order]
    classes = bkt_engine.ClassMap(
        emit_class=skill_sorted, trans_class=skill_sorted, prior_class=skill_sorted,
        entry_skill=skill_sorted, emit_skill=np.arange(n_s), trans_skill=np.arange(n_s),
        prior_skill=np.arange(n_s), n_skills=n_s,
    )  # fmt: skip
    res = bkt_engine.fit_em(
        seq_key[order], log.correct[rows][order], classes,
        forgets=True, fixed={}, num_fits=3, max_iter=100, tol=1e-4, seed=seed,
    )  # fmt: skip
    seen = np.bincount(skill, minlength=n_s) > 0
    out = {}
    for name in ("p_learn", "p_forget", "p_guess", "p_slip"):
        v = np.asarray(getattr(res, name), dtype=np.float64)
        fill = float(np.median(v[seen])) if seen.any() else 0.1
        out[name] = np.clip(np.where(seen, v, fill), 1e-4, 0.5 if name != "p_learn" else 0.99)
    return out


# -- one cohort -------------------------------------------------------------------------------
@dataclass
class Cohort:
    """The students of one (simulator, seed) cell, identical for every policy."""

    catalog: Catalog
    kind: str
    seed: int
    sim_seed: int
    grade: np.ndarray
    interests: np.ndarray
    prior: np.ndarray  # grade-based placement prior (what the district knows)
    goals: np.ndarray
    daily_minutes: np.ndarray
    target: np.ndarray  # (n, S) the student's grade-level skills

    def simulator(self):
        from adaptive.simulation.learners import make_learners

        return make_learners(
            self.kind, self.catalog, len(self.grade), self.sim_seed,
            interests=self.interests, prior_mastery=self.prior,
        )  # fmt: skip


def make_cohort(catalog: Catalog, kind: str, n_students: int, seed: int) -> Cohort:
    """Draw the students of one cell with the district simulator's own generators."""
    from adaptive.simulation import district as d
    from adaptive.simulation.learners import draw_interests

    ss = np.random.SeedSequence([seed, 7])
    people_ss, sim_ss = ss.spawn(2)
    rng = np.random.default_rng(people_ss)
    students = d.draw_students(catalog, n_students, rng)
    interests = draw_interests(rng, n_students, len(catalog.topics))
    grade = students["grade"].to_numpy()
    prior = d.prior_mastery_by_grade(catalog, grade).astype(np.float64)
    profiles_goals = profile_goals(
        catalog,
        [_Goals(tuple(g)) for g in students["goal_skills"]],  # type: ignore[list-item]
    )
    return Cohort(
        catalog=catalog, kind=kind, seed=seed, sim_seed=int(sim_ss.generate_state(1)[0]),
        grade=grade, interests=interests.astype(np.float64), prior=prior, goals=profiles_goals,
        daily_minutes=students["weekly_minutes"].to_numpy(float) / 5.0,
        target=catalog.skill_grades[None, :] == grade[:, None],
    )  # fmt: skip


@dataclass(frozen=True)
class _Goals:
    goal_skills: tuple[str, ...]


# -- one run: a policy drives a simulator -----------------------------------------------------
@dataclass
class ScopedPolicy:
    """One policy per grade over that grade's activities (the curriculum scope of its classes).

    Equivalent to one policy with the grade band as a hard constraint (out-of-band activities are
    never eligible), but each grade's students are scored on ~1/6 of the activities.
    """

    name: str
    catalog: Catalog
    config: PolicyConfig
    seed: int
    grades: np.ndarray

    def __post_init__(self) -> None:
        grades_of = np.asarray(self.catalog.activity_grades)
        self.parts: list[tuple[np.ndarray, np.ndarray, Policy]] = []
        for g in np.unique(self.grades):
            cols = np.flatnonzero(grades_of == g)
            sub = Catalog(self.catalog.skills, tuple(self.catalog.activities[i] for i in cols),
                          topics=self.catalog.topics)  # fmt: skip
            rows = np.flatnonzero(self.grades == g)
            self.parts.append((rows, cols, make_policy(self.name, sub, self.config, self.seed)))

    def step(self, fields: dict, now: float) -> tuple[np.ndarray, np.ndarray]:
        """One activity per student (full catalog index, -1 = none) and violations per student."""
        n = len(self.grades)
        picks = np.full(n, -1, np.int64)
        violations = np.zeros(n)
        for rows, cols, policy in self.parts:
            part = {k: (v[rows][:, cols] if k in ("completed", "recent") else v[rows])
                    for k, v in fields.items()}  # fmt: skip
            batch = StudentBatch.build(policy.catalog, rows.astype(str), config=self.config, **part)
            sel = policy.select(batch, 1, now)
            ctx = catalog_arrays(policy.catalog)
            violations[rows] = _violations_per_student(
                sel.activity, batch, ctx, self.config.max_per_skill
            )
            a = sel.activity[:, 0]
            picks[rows] = np.where(a >= 0, cols[np.maximum(a, 0)], -1)
        return picks, violations


def run_policy(
    policy_name: str,
    cohort: Cohort,
    tracer_params: dict[str, np.ndarray],
    checkpoints: Sequence[int],
    gap_days: float,
    config: PolicyConfig | None = None,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Simulate `max(checkpoints)` school days of one activity each; per-student metric values."""
    cat = cohort.catalog
    ctx = catalog_arrays(cat)
    cfg = config or PolicyConfig()
    policy = ScopedPolicy(policy_name, cat, cfg, seed, cohort.grade)
    sim = cohort.simulator()
    n, n_s, n_a = len(cohort.grade), len(cat.skills), len(cat.activities)
    tracer = BKTTracker(**tracer_params, p_known=cohort.prior.copy())
    window = cfg.progress_window
    n_resp = np.zeros((n, n_s), np.int32)
    streak = np.zeros((n, n_s), np.int32)
    last = np.full((n, n_s), np.nan)
    ring = np.zeros((n, n_s, 2 * window), np.int8)  # last 2w results per skill, newest last
    recent_sum = np.zeros((n, n_s), np.float64)
    older_sum = np.zeros((n, n_s), np.float64)
    completed = np.zeros((n, n_a), bool)
    recent = np.zeros((n, n_a), bool)
    repeatable = np.isin(np.array([a.kind for a in cat.activities]), cfg.repeatable_kinds)
    rows = np.arange(n)
    practices = np.zeros((n, n_s), np.int32)
    to_mastery = np.full((n, n_s), np.nan)
    over = np.zeros(n)
    adv = np.zeros(n)
    adv_false = np.zeros(n)
    violations = np.zeros(n)
    grade = cohort.grade.astype(float)
    truth0 = sim.true_mastery(0.0)
    pre = _mean_over(truth0, cohort.target)
    mastered0 = sim.is_mastered(0.0)
    gains: dict[int, np.ndarray] = {}
    prereq = cat.prerequisite_codes
    steps = int(max(checkpoints))
    for t in range(1, steps + 1):
        now = float(t)
        fields = {
            "mastery": tracer.mastery(), "p_correct": tracer.p_correct(), "n_responses": n_resp,
            "streak": streak, "last_practiced": last,
            "progress": np.where(n_resp >= 2 * window, (recent_sum - older_sum) / window, 0.0),
            "goals": cohort.goals, "interests": cohort.interests,
            "completed": completed & ~repeatable[None, :], "recent": recent, "grade": grade,
            "daily_minutes": cohort.daily_minutes, "min_grade": grade, "max_grade": grade,
        }  # fmt: skip
        act, v = policy.step(fields, now)
        violations += v
        who = rows[act >= 0]
        act = act[act >= 0]
        skill = ctx.primary_skill[act]
        truly = sim.is_mastered(now)
        over[who] += truly[who, skill]
        # advancement: first practice of a skill with a practised prerequisite
        first = n_resp[who, skill] == 0
        pre_codes = prereq[skill]
        has = pre_codes >= 0
        pre_c = np.where(has, pre_codes, 0)
        practised_pre = has & (n_resp[who[:, None], pre_c] > 0)
        is_adv = first & practised_pre.any(axis=1)
        false_pre = practised_pre & ~truly[who[:, None], pre_c]
        adv[who[is_adv]] += 1
        adv_false[who[is_adv]] += false_pre[is_adv].any(axis=1)
        correct, done = sim.respond(who, act, now)
        # the policy's own tracking: the knowledge-tracing model absorbs every completed response
        e_row, e_skill = _entries(cat, act[done])
        tracer.update(who[done][e_row], e_skill, correct[done][e_row].astype(np.int8))
        dw, ds, dc = who[done][e_row], e_skill, correct[done][e_row]
        moving = ring[dw, ds, -window]  # leaves the recent window for the older one
        older_sum[dw, ds] += moving - ring[dw, ds, 0]
        recent_sum[dw, ds] += dc - moving
        ring[dw, ds] = np.roll(ring[dw, ds], -1, axis=1)
        ring[dw, ds, -1] = dc
        n_resp[dw, ds] += 1
        streak[dw, ds] = np.where(dc == 1, streak[dw, ds] + 1, 0)
        last[dw, ds] = now
        recent[:] = False
        recent[who[done], act[done]] = True
        completed[who[done], act[done]] = True
        # activities to true mastery (skills not mastered at their first practice)
        practices[who, skill] += 1
        after = sim.is_mastered(now)
        newly = after[who, skill] & np.isnan(to_mastery[who, skill]) & ~mastered0[who, skill]
        to_mastery[who[newly], skill[newly]] = practices[who[newly], skill[newly]]
        if t in checkpoints:
            post = _mean_over(sim.true_mastery(now), cohort.target)
            gains[t] = (post - pre) / np.maximum(1.0 - pre, 0.05)
    end_mastered = sim.is_mastered(float(steps))
    kept = sim.is_mastered(float(steps) + gap_days) & end_mastered
    n_end = end_mastered.sum(axis=1)
    out = {f"normalized_gain@{c}": g for c, g in gains.items()}
    reached = ~np.isnan(to_mastery)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["activities_to_mastery"] = np.where(
            reached.any(axis=1), np.nansum(to_mastery, axis=1) / reached.sum(axis=1), np.nan
        )
        out["over_practice"] = over / steps
        out["false_mastery_rate"] = np.where(adv > 0, adv_false / np.maximum(adv, 1), np.nan)
        out["retention"] = np.where(n_end > 0, kept.sum(axis=1) / np.maximum(n_end, 1), np.nan)
    out["constraint_violations"] = violations
    return out


def _entries(cat: Catalog, act: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes = cat.activity_skill_codes[act]
    r, c = np.nonzero(codes >= 0)
    return r, codes[r, c].astype(np.int64)


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
    With `cache_dir`, each cell's values are saved as `.npz` (named by its settings) and reused
    by a re-run with the same settings, so an interrupted matrix resumes where it stopped.
    """
    from adaptive.simulation.district import district_catalog

    catalog = district_catalog(0)
    frames = []
    checkpoints = tuple(sorted(set(settings.activities)))
    for kind in settings.simulators:
        t0 = time.perf_counter()
        params = fit_tracer(
            catalog, kind, settings.fit_students, seed=10_000 + SIMULATOR_KINDS.index(kind)
        )
        if progress:
            progress(f"{kind}: tracer fitted in {time.perf_counter() - t0:.1f}s")
        for s in range(settings.first_seed, settings.first_seed + settings.seeds):
            cohort = make_cohort(catalog, kind, settings.students, seed=s)
            sim = cohort.simulator()
            flags = {"slow_learner": sim.slow_learner, "low_prior": sim.low_prior}
            for name in settings.policies:
                t1 = time.perf_counter()
                cached = _cell_path(cache_dir, settings, kind, s, name)
                if cached is not None and cached.exists():
                    with np.load(cached, allow_pickle=False) as z:
                        values = {k: z[k] for k in z.files}
                else:
                    values = run_policy(
                        name,
                        cohort,
                        params,
                        checkpoints,
                        settings.gap_days,
                        settings.policy_config,
                        s,
                    )
                    if cached is not None:
                        buf = io.BytesIO()
                        np.savez(buf, **values)
                        atomic_write_bytes(cached, buf.getvalue())
                for metric, v in values.items():
                    frames.append(
                        pd.DataFrame({
                            "simulator": kind, "seed": s, "student": np.arange(len(v)),
                            "policy": name, "metric": metric, "value": v,
                            "slow_learner": flags["slow_learner"], "low_prior": flags["low_prior"],
                        })
                    )  # fmt: skip
                if progress:
                    progress(f"{kind} seed {s} {name}: {time.perf_counter() - t1:.1f}s")
    return pd.concat(frames, ignore_index=True)


def _cell_path(
    cache_dir: str | Path | None, settings: EvalSettings, kind: str, seed: int, policy: str
) -> Path | None:
    if cache_dir is None:
        return None
    key = json.dumps(
        [settings.students, list(settings.activities), settings.gap_days, settings.fit_students,
         settings.policy_config.to_dict(), kind, seed, policy], sort_keys=True,
    )  # fmt: skip
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{kind}-s{seed}-{policy}-{digest}.npz"


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
    table = pd.DataFrame(out, columns=list(COLUMNS))
    return table.sort_values(
        ["simulator", "metric", "n_activities", "policy"], kind="stable"
    ).reset_index(drop=True)


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
    return table


def write_outputs(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """`policy_eval.csv` (atomic) and one PNG per metric (all simulators, all policies)."""
    out_dir.mkdir(parents=True, exist_ok=True)
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
                    err = [q["mean"] - q["ci_low"], q["ci_high"] - q["mean"]]
                    width = 2 if pol == OURS else 1
                    ax.errorbar(q["n_activities"], q["mean"], yerr=err, label=pol, marker="o",
                                capsize=2, lw=width)  # fmt: skip
                ax.set_xlabel("activities")
                ax.legend(fontsize=7)
            else:
                err = [p["mean"] - p["ci_low"], p["ci_high"] - p["mean"]]
                colors = ["C3" if x == OURS else "C0" for x in p["policy"]]
                ax.bar(p["policy"], p["mean"], yerr=err, color=colors)
                ax.tick_params(axis="x", rotation=60)
            ax.set_title(f"{metric} ({sim})")
        fig.tight_layout()
        path = out_dir / f"policy_eval_{metric}.png"
        tmp = path.with_name(f".{path.name}.tmp.png")
        fig.savefig(tmp, dpi=110)
        plt.close(fig)
        tmp.replace(path)
        paths.append(path)
    return paths
