"""Off-policy evaluation of the nightly job's own logs: `adaptive ope --log DIR --candidate P.toml`.

The candidate is a policy TOML (the adaptive policy with those settings) or the name of a
simulation baseline (`policy.baselines`: `n-correct`, `curriculum`, ...): every candidate is a
`Policy` whose probability of each activity on a night's batch is computed
(`exploration.first_slot_distribution`), one-hot for a deterministic one; the logging policy's
own probabilities are the ones logged. So a baseline, which has no propensities of its own, is
evaluated as the deterministic rule it is.

A night D of `DIR` (the job's `--out`) holds what the deployed policy showed
(`recommendations/date=D/school=*/part-0.parquet`, with the `propensity` column the job writes
when its policy explores) and the state it decided from (`state/date=D/`, the snapshot of every
student's tracer state and history before D). For each student's first recommendation (the next
activity) the candidate policy is run on the same state, through the shipped path
(`batch.job.student_batch`, with the teacher overrides the job recorded that night, then
`Policy.select`), and the outcome is read from the response log in the `horizon_days` after D:

    correct       the student's first response on the recommended skill is correct (0 when the
                  skill was not practised in the window)
    engagement    the student started the recommended skill in the window (any response on it;
                  a response log does not say which activity was finished)
    mastery_gain  the tracer's mastery of the recommended skill at D + horizon minus at D (needs
                  the snapshot of D + horizon in the state folder; nights without it are skipped)

Before any estimate, the catalog, the response log and the profiles given are checked against
what the nights recorded (`served`: the snapshots' catalog layout and rows before each cutoff,
the class and school each logged student was served in, and the digests a `_SUCCESS.json`
records): another district's files are one named error, not estimates from its outcomes.

The result names how the candidate's settings differ from those of the policy that served the
nights (`changes.candidate_changes`, from the policy each night's `_SUCCESS.json` records).

Every run is an MLflow run (experiment `adaptive-ope`) with the inputs' fingerprint (sha256 of
the nights' `_SUCCESS.json`, of the snapshots, of the candidate config and of the responses
read), the diagnostics and the estimates; never a student id.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from adaptive.batch.writer import complete_dates
from adaptive.errors import AdaptiveError, ConfigError, ExperimentWarning, check_seed, counted
from adaptive.evaluation.ope.changes import CandidateChanges, candidate_changes
from adaptive.evaluation.ope.estimators import (
    Diagnostics,
    SupportError,
    check_thresholds,
    warn_loosened_support,
)
from adaptive.evaluation.ope.evaluate import Contexts, estimate_value, score_contexts
from adaptive.evaluation.ope.served import (
    check_catalog,
    check_log,
    check_log_students,
    check_profiles,
    check_profiles_recorded,
    check_recorded_digests,
    recorded_profiles,
    snapshot_metas,
)
from adaptive.policy import AdaptivePolicy, Policy, PolicyConfig, to_days

if TYPE_CHECKING:
    from adaptive.curriculum import Catalog

METRICS: tuple[str, ...] = ("correct", "engagement", "mastery_gain")
#: What each metric's value is, in the words under `adaptive ope`'s table (a decision: a
#: student's first recommendation of a night; the window: the `horizon_days` from the night's
#: start; see the module docstring)
METRIC_MEANINGS: dict[str, str] = {
    "correct": "share of decisions (each student's first recommendation of a night) whose "
    "recommended skill got a first answer within the horizon that was right (no answer: 0)",
    "engagement": "share of decisions followed within the horizon by any answer on the "
    "recommended skill",
    "mastery_gain": "mean change of the tracer's mastery of the recommended skill from the "
    "night to the night plus the horizon",
}
BINARY = {"correct": True, "engagement": True, "mastery_gain": False}
OPE_EXPERIMENT = "adaptive-ope"
NIGHT_CHUNK = 50_000  # students per batch when re-running a night (bounds the memory)


class OPEInputError(AdaptiveError):
    """A log folder, a candidate or a response log cannot be used for off-policy evaluation."""


@dataclass
class OPEResult:
    """The estimates (one row per metric and estimator), the diagnostics and the run."""

    estimates: pd.DataFrame
    diagnostics: Diagnostics
    nights: list[str]
    fingerprint: dict[str, str | int]
    run_id: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    #: setting -> (the logging policy's value, the candidate's), e.g. {"weights.readiness":
    #: (2.5, 2.6)}; {} for the logging policy itself, None when the nights have no one policy
    #: whose settings are known (`changes.candidate_changes`) or the candidate is a baseline
    candidate_changes: dict[str, tuple[object, object]] | None = None
    #: the same in one line, as `adaptive ope` prints it
    candidate_vs_logged: str = ""
    #: what the bootstrap resampled (`bootstrap_clusters`): "student", "class" or "school"
    bootstrap_unit: str = "student"


def logged_nights(log_dir: Path, start: str | None = None, end: str | None = None) -> list[str]:
    """The complete nights of a job output folder (those with `_SUCCESS.json`), from `start` to
    `end` (ISO days, both included; None: no bound): an evaluation of the experiment's weeks
    leaves out the nights before it, or a night served without exploration. A `start` or `end`
    the folder served no complete night on is refused, listing its nights, as `experiment
    analyze` does (a date typed a day off silently moved the range)."""
    from adaptive.batch.writer import complete_nights_hint

    if start is not None and end is not None and start > end:
        raise OPEInputError(f"--start {start} --end {end}: expected start on or before end")
    nights = complete_dates(Path(log_dir))
    served = len(nights)
    for flag, day in (("--start", start), ("--end", end)):
        if served and day is not None and day not in nights:
            raise OPEInputError(
                f"{flag} {day}: {log_dir} holds no complete night on that date; "
                + complete_nights_hint(Path(log_dir), day)
            )
    nights = [n for n in nights if (start is None or n >= start) and (end is None or n <= end)]
    if not nights:  # the folder has none: a bound that is a night keeps one in range
        raise OPEInputError(
            f"{log_dir}: no complete night found (expected recommendations/"
            "date=YYYY-MM-DD/_SUCCESS.json, the output of `adaptive batch --out DIR`)"
        )
    return nights


def first_slots(log_dir: Path, night: str, earlier: list[str] | None = None) -> pd.DataFrame:
    """Each student's first recommendation of a night: student_id, class_id, school_id,
    activity_id, skill_id, propensity (checked: present and in (0, 1]) and arm (the experiment's
    arm the night served; null on a night served without one). Filtered in Arrow,
    school by school, before one conversion to pandas (a district night has hundreds of school
    files). `earlier`: the nights of the evaluation before this one, whose propensities were
    read: a night without them names the latest and the `--end` that evaluates them."""
    folder = Path(log_dir) / "recommendations" / f"date={night}"
    tables = []
    for path in sorted(folder.glob("school=*/part-0.parquet")):
        part = pq.ParquetFile(path)
        if "propensity" not in part.schema_arrow.names:
            raise OPEInputError(
                f"{path}: no 'propensity' column; expected the probability of each shown "
                "recommendation. This night was served by a deterministic policy: set "
                'exploration = "softmax" (or "epsilon") in the policy TOML of `adaptive batch '
                "--policy`, then evaluate the nights served that way" + _exploring_before(earlier)
            )
        arm = ["arm"] if "arm" in part.schema_arrow.names else []  # served with an experiment
        table = part.read(columns=["student_id", "class_id", "school_id", "rank", "activity_id",
                                   "skill_id", "propensity", *arm])  # fmt: skip
        if not arm:
            table = table.append_column("arm", pa.nulls(table.num_rows, pa.string()))
        table = table.filter(pc.equal(table["rank"], 1)).drop_columns("rank")
        propensity = table["propensity"]
        inside = pc.and_(pc.greater(propensity, 0), pc.less_equal(propensity, 1 + 1e-9))
        bad = pc.fill_null(pc.invert(inside), True)  # a missing or NaN propensity is bad too
        if pc.any(bad).as_py():
            value = propensity.filter(bad)[0].as_py()
            raise OPEInputError(
                f"{path}, column 'propensity': {pc.sum(bad).as_py()} first recommendation(s) "
                f"with a value outside (0, 1], e.g. {value!r}; expected a probability"
            )
        tables.append(table)
    if not tables:
        raise OPEInputError(f"{folder}: no school partition (school=*/part-0.parquet)")
    return pa.concat_tables(tables).to_pandas()


@dataclass(frozen=True)
class Candidate:
    """The policy evaluated: `config` its settings, `baseline` the name of the simulation
    baseline it is (`policy.baselines.BASELINES`), None for the adaptive policy."""

    config: PolicyConfig
    baseline: str | None = None

    def policy(self, catalog: Catalog) -> Policy:
        """The policy over `catalog`, as `adaptive policy-eval` builds it (`make_policy`)."""
        from adaptive.policy.baselines import make_policy

        return make_policy(self.baseline or AdaptivePolicy.name, catalog, self.config)


def read_candidate(candidate: str | Path | PolicyConfig) -> Candidate:
    """The candidate: a policy config; a policy TOML file, or the shipped one by name
    ("policy"; unknown keys and bad values name the file and key); or a simulation baseline's
    name ('n-correct': `BASELINES`), which is its one pick per student and night with the
    shipped default's thresholds, as `adaptive policy-eval` runs it (its probability of the
    logged activity is 1 where it picks it, else 0; `random` and `zpdes` pick by their draws of
    seed 0, a hash of the date and student). A file of a baseline's name is read as the file."""
    from adaptive.errors import closest_name
    from adaptive.policy.baselines import BASELINES
    from adaptive.specs import POLICY_SPECS

    if isinstance(candidate, PolicyConfig):
        return Candidate(candidate)
    name = str(candidate)
    if Path(candidate).is_file() or name in POLICY_SPECS:
        try:
            return Candidate(PolicyConfig.from_toml(candidate))
        except ConfigError as exc:
            raise ConfigError(f"--candidate {exc}") from exc  # the message names the file
    if name in BASELINES:
        return Candidate(PolicyConfig.default(), name)
    close = closest_name(name, [*BASELINES, *POLICY_SPECS])
    meant = f" (did you mean {close!r}?)" if close else ""
    shipped = ", ".join(repr(spec) for spec in POLICY_SPECS)
    raise ConfigError(
        f"--candidate {name!r}: no such policy file, nor a baseline's name{meant}; expected a "
        f"policy TOML (or the shipped {shipped}) or a baseline: {', '.join(BASELINES)}"
    )


def evaluate_logs(
    log_dir: str | Path,
    candidate: str | Path | PolicyConfig,
    *,
    data: str | Path,
    catalog: str | Path,
    profiles: str | Path | None = None,
    metrics: tuple[str, ...] = ("correct", "engagement"),
    horizon_days: float = 7.0,
    state_dir: str | Path | None = None,
    n_boot: int = 500,
    seed: int = 0,
    min_overlap: float = 0.9,
    min_ess: float = 100.0,
    tracking_uri: str | None = None,
    mapping: dict | None = None,
    start: str | None = None,
    end: str | None = None,
    allow_other_profiles: bool = False,
) -> OPEResult:
    """Estimate the candidate's value on the logged nights of `log_dir` (module docstring),
    every one or those from `start` to `end` (ISO days, both included). `candidate`: a policy
    config, a policy TOML or a simulation baseline's name (`read_candidate`).

    A profiles file other (by sha256) than the one the nights recorded is refused
    (`served.check_profiles_recorded`), unless `allow_other_profiles`: then warned of, and
    named as the likely cause when the logs cannot support the candidate."""
    from adaptive.batch.job import _in_background, read_profiles
    from adaptive.batch.night_checks import warn_off_catalog
    from adaptive.batch.snapshot import load_snapshot
    from adaptive.curriculum import Catalog
    from adaptive.errors import DataNoteWarning

    unknown = set(metrics) - set(METRICS)
    if unknown or not metrics:
        raise ConfigError(f"--metric {sorted(unknown) or metrics}: expected some of {METRICS}")
    check_thresholds(min_overlap, min_ess)
    check_seed(seed)
    log_dir = Path(log_dir)
    state_dir = Path(state_dir) if state_dir is not None else log_dir / "state"
    chosen = read_candidate(candidate)
    config = chosen.config
    cat = Catalog.from_json(catalog)
    # the profiles are parsed (Python, in a thread) while the night's first slots, the responses
    # and the first snapshot are read (mostly outside the GIL): the two overlap on 2 cores
    parsing = _in_background(read_profiles, profiles) if profiles is not None else None
    policy = chosen.policy(cat)
    nights = logged_nights(log_dir, start, end)
    changes = _candidate_changes(log_dir, nights, chosen, candidate)
    metas = snapshot_metas(state_dir, nights)
    check_catalog(cat, catalog, metas, state_dir)
    check_recorded_digests(log_dir, nights, cat, catalog)
    decisions = logged_decisions(log_dir, nights, cat, catalog)
    starts = night_start_ns(decisions["night"], metas)
    log = _outcome_log(data, mapping, int(starts.min()) if len(starts) else None)
    from adaptive.simulation.district import warn_fixed_history  # only where it is read

    warn_fixed_history(
        data, "no night's recommendations changed an outcome in it, so these estimates"
    )
    _check_log_students(data, mapping, log, decisions, cat, starts)
    check_log(data, mapping, log, metas, state_dir, str(data))
    # answers on a skill the catalog lacks ('g3.ns.1') match no decision's skill: they would
    # read as "not engaged" without a word (the nightly job's warning, said here too)
    warn_off_catalog(log, cat, DataNoteWarning)
    engaged, first_correct, responses_sha = _response_outcomes(decisions, horizon_days, log, starts)
    observed = observed_windows(log, starts, horizon_days, metrics)
    people = parsing.result() if parsing is not None else {}
    _check_served_profiles(decisions, people, profiles, recorded_profiles(log_dir, nights))
    other_profiles = None
    if profiles is not None:
        other_profiles = check_profiles_recorded(
            profiles, log_dir, nights, PROFILES_USE, allow_other_profiles
        )
    hashes = {
        "candidate": _sha(json.dumps(config.to_dict(), sort_keys=True).encode()),
        "responses": responses_sha,
    }
    if chosen.baseline is not None:
        hashes["candidate_baseline"] = chosen.baseline
    models: dict[tuple[str, str], object] = {}
    contexts, before = [], []
    with each_warning_once():  # each night re-places the same regraded students: said once
        for night in nights:
            shown = decisions[decisions["night"] == night]
            snap = load_snapshot(state_dir, night)
            model = _model(models, snap.model_name, snap.model_version, tracking_uri)
            act = shown["act"].to_numpy()
            for rows, batch in _night_batches(model, snap, cat, people, shown, config, log_dir):
                contexts.append(score_contexts(policy, batch, to_days(snap.cutoff), act[rows]))
                before.append(_mastery_of(batch, cat, shown["skill_id"].iloc[rows]))
            success = log_dir / "recommendations" / f"date={night}" / "_SUCCESS.json"
            hashes[f"night_{night}"] = _sha(success.read_bytes())
            hashes[f"snapshot_{night}"] = snap.sha256
        decisions["mastery_before"] = np.concatenate(before)
        contexts = Contexts.concat(contexts)
        rewards, keep, skipped = _rewards(
            decisions, metrics, engaged, first_correct, horizon_days, state_dir, cat, people, config,
            models, tracking_uri, observed,
        )  # fmt: skip
    warn_constant_outcomes(rewards, keep, horizon_days)
    if contexts.dropped.mean() > 0.01:  # a widely spread sampled candidate: DR's model term
        skipped["dr"] = (
            f"the outcome model's term covers {1 - contexts.dropped.mean():.1%} of the "
            "candidate's probability mass (its 32 likeliest activities per decision); the rest "
            "is given their mean prediction, in that term and in the correction term of the "
            "decisions that logged one of them: the same stand-in in both, so DR stays unbiased"
        )
    cluster, unit = bootstrap_clusters(decisions)
    try:
        table, diag = _estimate_kept(
            contexts, decisions["propensity"].to_numpy(float), cluster, rewards, keep,
            n_boot, seed, min_overlap, min_ess, pd.factorize(decisions["student_id"])[0],
        )  # fmt: skip
    except SupportError as exc:
        if other_profiles is None:
            raise
        raise SupportError(f"{exc} Likely cause here: {other_profiles}") from exc
    n_students = int(decisions["student_id"].nunique())
    diag = replace(diag, n_students=n_students)  # its own count is the clusters'
    warn_loosened_support(diag, min_overlap, min_ess)
    fingerprint = {
        "sha256": _sha(json.dumps(hashes, sort_keys=True).encode()),
        "nights": len(nights),
        "decisions": len(decisions),
        "students": n_students,
        "bootstrap_unit": unit,
        "bootstrap_clusters": int(cluster.max()) + 1 if len(cluster) else 0,
    }
    result = OPEResult(table, diag, nights, fingerprint, skipped=skipped,
                       candidate_changes=changes.changes, candidate_vs_logged=changes.line,
                       bootstrap_unit=unit)  # fmt: skip
    result.run_id = log_run(result, chosen, horizon_days, tracking_uri)
    return result


def bootstrap_clusters(decisions: pd.DataFrame) -> tuple[np.ndarray, str]:
    """(codes, unit): the bootstrap's cluster of each decision and what the clusters are.

    By student, unless some night served an experiment's arms (the recommendations' `arm`):
    then by the experiment's randomization unit, since the students of a class (a school)
    share a teacher and are not independent, and intervals resampling students would be too
    narrow. The nights record each student's arm, not the assignment's unit: "school" when
    every school was served one arm each night, else "class" (a class-randomized design that
    happened to give each school one arm is then resampled by school: wider, never narrower).
    Every decision of such a range is clustered by its school (and class), those outside the
    experiment too; a decision without a class (school) is its student's own cluster."""
    arms = decisions["arm"].fillna("").astype(str) if "arm" in decisions else None
    if arms is None or not (arms != "").any():
        return pd.factorize(decisions["student_id"])[0], "student"
    school = decisions["school_id"].fillna("").astype(str)
    klass = decisions["class_id"].fillna("").astype(str)
    inside = (arms != "").to_numpy()
    per_school = arms[inside].groupby([decisions["night"][inside], school[inside]]).nunique()
    unit = "school" if (per_school <= 1).all() else "class"
    key = school if unit == "school" else school + "\x1f" + klass
    known = school != "" if unit == "school" else klass != ""
    key = key.where(known, "\x1estudent\x1f" + decisions["student_id"].astype(str))
    return pd.factorize(key)[0], unit


#: What `adaptive ope` computes from the profiles: why a file other than the nights' biases it
PROFILES_USE = (
    "the candidate is re-scored with other features (grade, interests, time budget) than the "
    "logging policy saw (the logging policy itself, re-scored, no longer picks what it logged)"
)


@contextmanager
def each_warning_once() -> Iterator[None]:
    """Say each warning raised inside once (by category and words): a step repeated per night
    (the placement of students whose profile's grade changed) warned once per night."""
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        yield
    seen = set()
    for w in said:
        key = (w.category, str(w.message))
        if key not in seen:
            seen.add(key)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _candidate_changes(
    log_dir: Path, nights: list[str], chosen: Candidate, candidate: str | Path | PolicyConfig
) -> CandidateChanges:
    """How the candidate differs from the policy the nights' `_SUCCESS.json` record; a policy
    file of the recorded name is looked for in the working folder and beside the candidate. A
    baseline is another rule, not other settings: said as such."""
    from adaptive.batch.partition import OUTPUT_TABLES
    from adaptive.batch.writer import date_listing
    from adaptive.policy.baselines import BASELINES

    config = chosen.config
    if chosen.baseline is not None:
        rule = BASELINES[chosen.baseline].description
        return CandidateChanges(
            None,
            f"candidate: the simulation baseline {chosen.baseline!r} ({rule}; one pick per "
            "student and night, with the shipped default's thresholds), not the logged nights' "
            "policy with other settings",
        )

    listings = {night: date_listing(log_dir, OUTPUT_TABLES, night) or {} for night in nights}
    near = [Path.cwd()]
    if not isinstance(candidate, PolicyConfig):
        near.append(Path(candidate).parent)
    return candidate_changes(config, listings, near)


def _exploring_before(earlier: list[str] | None) -> str:
    """The words on the nights before one served without propensities, which had them (each
    was read: `logged_decisions` reads the nights in order): `--end` their last evaluates them."""
    if not earlier:
        return ""
    nights = f"the {counted(len(earlier), 'night')} from {earlier[0]} to {earlier[-1]}"
    if len(earlier) == 1:
        nights = f"the night {earlier[0]}"
    return (
        f"; the nights in range before it have propensities: `--end {earlier[-1]}` (the last "
        f"night that has them) evaluates {nights}"
    )


def logged_decisions(
    log_dir: Path, nights: list[str], catalog: Catalog, source: str | Path
) -> pd.DataFrame:
    """Every night's first recommendations (`first_slots`), in night order, with `night` and
    `act` (the activity's index in `catalog`, read from `source`; an activity not in it is
    refused)."""
    frames = []
    for i, night in enumerate(nights):
        shown = first_slots(log_dir, night, nights[:i])
        act = catalog.activity_index.get_indexer(shown["activity_id"].astype(str))
        if (act < 0).any():
            raise OPEInputError(
                f"{log_dir}/recommendations/date={night}: activity "
                f"{shown['activity_id'][act < 0].iloc[0]!r} is not in the catalog {source}"
            )
        frames.append(shown.assign(night=night, act=act))
    return pd.concat(frames, ignore_index=True)


def _estimate_kept(contexts, logging_p, cluster, rewards, keep, n_boot, seed, min_overlap, min_ess,
                   students):  # fmt: skip
    """Estimate each metric on the decisions where its outcome is known; metrics known on the
    same decisions are estimated together (one set of bootstrap draws over `cluster`, the
    outcome model cross-fitted by `students`). The diagnostics are those of `correct` when it
    is estimated, else of the first metric."""
    groups: dict[bytes, list[str]] = {}
    for metric in rewards:
        groups.setdefault(np.packbits(keep[metric]).tobytes(), []).append(metric)
    tables, diags = {}, {}
    for metrics in groups.values():
        k = keep[metrics[0]]
        sub = contexts if k.all() else contexts.take(k)
        table, diag = estimate_value(
            sub, logging_p[k], cluster[k], {m: rewards[m][k] for m in metrics}, BINARY, n_boot,
            seed, min_overlap, min_ess, students=students[k],
        )  # fmt: skip
        for m in metrics:
            tables[m], diags[m] = table[table["metric"] == m], diag
    first = "correct" if "correct" in diags else next(iter(rewards))
    return pd.concat([tables[m] for m in rewards], ignore_index=True), diags[first]


def _model(cache: dict, name: str, version: str, tracking_uri: str | None):
    from adaptive.registry.loading import load_version

    key = (name, version)
    if key not in cache:
        cache[key] = load_version(name, version, tracking_uri=tracking_uri).model
    return cache[key]


def _night_batches(model, snap, catalog, profiles, shown, config, log_dir=None):
    """The batches the policy saw that night, `NIGHT_CHUNK` students at a time (rows of `shown`,
    batch): the job's own `student_batch`, with the teacher overrides the job recorded for that
    night (`batch.overrides.applied_overrides`). Chunks bound the memory at district scale."""
    from adaptive.batch.job import student_batch
    from adaptive.batch.overrides import OverrideSet, applied_overrides

    ids = shown["student_id"].astype(str).to_numpy()
    state_rows, history_rows = snap.tracer.rows(ids, missing=-1), snap.history.rows(ids)
    known = (state_rows >= 0) | (history_rows >= 0)
    known |= pd.Index(ids).isin(pd.Index(list(profiles)))
    if not known.all():
        raise OPEInputError(
            f"snapshot of {snap.date}: {int((~known).sum())} logged student(s) have no state; "
            "the state folder does not belong to this log (pass --state-dir)"
        )
    applied = applied_overrides(log_dir, snap.date) if log_dir is not None else {}
    overrides = OverrideSet(applied) if applied else None
    for start in range(0, len(ids), NIGHT_CHUNK):
        rows = np.arange(start, min(start + NIGHT_CHUNK, len(ids)))
        batch = student_batch(
            model, snap.tracer, snap.history, catalog, profiles, ids[rows].tolist(), config,
            state_rows=state_rows[rows], history_rows=history_rows[rows], overrides=overrides,
        )  # fmt: skip
        yield rows, batch


def _mastery_of(batch, catalog, skill_ids: pd.Series) -> np.ndarray:
    col = catalog.skill_index.get_indexer(skill_ids.astype(str))
    return np.nan_to_num(batch.mastery[np.arange(len(batch)), col], nan=0.0)


def _check_served_profiles(
    decisions: pd.DataFrame, people: dict, profiles, served_from: str | None
) -> None:
    """The profiles given put each logged student in the class and school the night served
    them in (`served.check_profiles`; `served_from`: the nights' recorded profiles digest);
    without profiles, the nights must have served none."""
    from adaptive.batch.job import UNASSIGNED_SCHOOL

    if profiles is not None:
        check_profiles(decisions, people, profiles, "logged decisions", served_from)
        return
    school = decisions["school_id"].fillna("").replace(UNASSIGNED_SCHOOL, "")
    profiled = decisions["class_id"].fillna("").ne("") | school.ne("")
    if profiled.any():
        raise ConfigError(
            f"--profiles FILE (or --district DIR) is needed: {int(profiled.sum()):,} logged "
            "decisions were served to students with a profile (a class or school), and the "
            "candidate must see the grade, interests and time budget they were served with"
        )


def _outcome_log(data: str | Path, mapping: dict | None, first_ns: int | None):
    """The response log the outcomes are read from, by the nightly job's reader: from the first
    night's start on (`first_ns`; a Parquet log with timestamps; other logs are read in full),
    and none of the optional columns (duration, attempt, school, class), which no outcome
    uses."""
    from adaptive.batch.job import _read_log, _say_notes

    log, report = _read_log(data, mapping, None, since=first_ns)
    _say_notes(report)
    if not log.has_timestamps:
        raise OPEInputError(f"{data}: the outcomes need response timestamps (this log has 'order')")
    return log


def _check_log_students(data, mapping, log, decisions, catalog, starts: np.ndarray) -> None:
    """The response log's students are the nights' (`served.check_log_students`; the whole log
    read again, by `served.read_whole_log`, only when `log` holds no row)."""
    if not len(starts):
        return
    check_log_students(log, int(starts.min()), decisions["student_id"], catalog, str(data),
                       data, mapping)  # fmt: skip


def _day(ns: int) -> str:
    """A night's start (ns since the epoch, UTC) as a message says it: its ISO date-time."""
    return pd.Timestamp(ns, tz="UTC").isoformat()


def _response_outcomes(
    decisions: pd.DataFrame, horizon_days: float, log, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, str]:
    """Per decision: engaged and first answer correct (`next_responses`) in `log`
    (`_outcome_log`) from its night's start (`starts`, `night_start_ns`), and the sha256 of
    the responses read."""
    return next_responses(
        log, decisions["student_id"], decisions["skill_id"], starts, int(horizon_days * 86_400e9)
    )


def _rewards(decisions, metrics, engaged, first_correct, horizon_days, state_dir, catalog,
             profiles, config, models, tracking_uri, observed):  # fmt: skip
    """Per metric: rewards (n,) and the decisions where they are known; why some are not.
    `observed`: the decisions whose outcome window the response log covers
    (`observed_windows`)."""
    rewards, keep, skipped = {}, {}, {}
    for metric in metrics:
        if metric in ("correct", "engagement"):
            outcome = first_correct if metric == "correct" else engaged
            rewards[metric], keep[metric] = outcome.astype(float), observed.copy()
            if not observed.all():
                skipped[metric] = (
                    f"{int((~observed).sum())} decisions whose {horizon_days:g}-day window "
                    "runs past the log's last response (not observed yet)"
                )
        else:
            gain, known = _mastery_after(decisions, horizon_days, state_dir, catalog, profiles,
                                         config, models, tracking_uri)  # fmt: skip
            rewards[metric], keep[metric] = gain, known
            if not known.any():
                raise OPEInputError(
                    f"mastery_gain over {horizon_days:g} days needs the snapshot of each night "
                    f"plus {horizon_days:g} days in {state_dir}; none was found"
                )
            if not known.all():
                skipped[metric] = f"{int((~known).sum())} decisions without a later snapshot"
    return rewards, keep, skipped


#: What a response metric's outcome of 0 means, said when every decision had it.
NO_OUTCOME = {
    "correct": "no first answer on the recommended skill was right, or none was given",
    "engagement": "no answer on the recommended skill",
}


def warn_constant_outcomes(
    rewards: Mapping[str, np.ndarray], keep: Mapping[str, np.ndarray], horizon_days: float
) -> None:
    """An `ExperimentWarning` per response metric whose every kept decision has the same
    outcome: each estimate is then that value with an interval of width 0, which reads as a
    precise answer but tells nothing (the demo district's last nights: no decision had an
    answer on its skill within the window, and every figure was 0.0000 [0.0000, 0.0000])."""
    for metric, why in NO_OUTCOME.items():
        if metric not in rewards:
            continue
        kept = rewards[metric][keep[metric]]
        if not len(kept) or np.ptp(kept) > 0:
            continue
        value = float(kept[0])
        said = f" ({why} within {horizon_days:g} days)" if value == 0 else ""
        warnings.warn(
            f"{metric}: all {len(kept):,} decisions whose window the log covers have the outcome "
            f"{value:g}{said}, so every estimate is {value:g} with an interval of width 0: "
            "nothing tells the candidate from the logged policy; give a log that covers the "
            "nights' answers, or other nights (--start, --end)",
            ExperimentWarning,
            stacklevel=3,
        )


def observed_windows(log, starts: np.ndarray, horizon_days: float, metrics) -> np.ndarray:
    """(n,) True for the decisions whose outcome window [start, start + horizon) ends before the
    log's last response: the log has been exported past it. A window the log does not reach
    would read "no answer" as an outcome of 0 (a log cut at the last night gave every night's
    correct and engagement as 0.0000, with intervals [0, 0]). OPEInputError when no decision's
    window is covered and a response metric is asked."""
    latest = int(log.time.max()) if len(log) else None
    horizon = int(horizon_days * 86_400e9)
    observed = np.zeros(len(starts), bool) if latest is None else starts + horizon <= latest
    if not observed.any() and len(starts) and {"correct", "engagement"} & set(metrics):
        window = f"{horizon_days:g}-day outcome window"
        said = (
            "the response log holds no response dated from the first night's start "
            f"({_day(int(starts.min()))}) on, none in any night's {window}"
            if latest is None  # the log is read from the first night on (`_outcome_log`)
            else f"the response log's last response ({_day(latest)}) is before the end of "
            f"every night's {window}"
        )
        raise OPEInputError(
            f"{said} (the first ends {_day(int(starts.min()) + horizon)}): the outcomes are "
            "not observed yet; give a log exported after them, or a shorter --horizon-days"
        )
    return observed


def night_start_ns(nights: pd.Series, metas: Mapping[str, dict] | None = None) -> np.ndarray:
    """(n,) int64 nanoseconds since the epoch where each night (YYYY-MM-DD) began: its
    snapshot's cutoff (`metas`, `served.snapshot_metas`), which is the night's midnight in the
    district's time zone (`batch --timezone`), so a decision's outcomes are the answers after
    the state it was made from; midnight UTC for a night without a snapshot. In ns whatever unit
    pandas infers (pandas 3 parses dates to microseconds, and response times are in ns)."""
    codes, days = pd.factorize(pd.Series(nights))
    metas = metas or {}
    starts = np.array(
        [
            pd.Timestamp(metas[d]["cutoff"]).value
            if "cutoff" in metas.get(d, {})
            else pd.Timestamp(d, tz="UTC").value
            for d in days
        ],
        dtype=np.int64,
    )
    return starts[codes] if len(codes) else np.zeros(0, np.int64)


def next_responses(
    log, student_ids: pd.Series, skill_ids: pd.Series, start_ns: np.ndarray, horizon_ns: int
) -> tuple[np.ndarray, np.ndarray, str]:
    """Per decision: whether the student answered on the skill in [start, start + horizon), and
    whether the first such answer was correct; and a sha256 of the responses that window reads.

    Integer codes only (no per-response strings): responses are keyed by student x skill code
    and ranked by time, so each decision's first answer is one `searchsorted`."""
    rows, skill = log.exploded()
    time = log.time[rows]
    in_window = (time >= start_ns.min(initial=0)) & (time < start_ns.max(initial=0) + horizon_ns)
    n_skills = max(len(log.skills), 1)
    key = log.student[rows][in_window].astype(np.int64) * n_skills + skill[in_window]
    time, correct = time[in_window], log.correct[rows][in_window]
    order = np.lexsort((time, key))
    key, time, correct = key[order], time[order], correct[order]
    digest = hashlib.sha256()
    for part in (key, time, correct):
        digest.update(np.ascontiguousarray(part).tobytes())
    digest.update(
        pd.util.hash_pandas_object(pd.Series(log.skills), index=False).to_numpy().tobytes()
    )
    ranks = np.unique(time)
    combined = key * (len(ranks) + 1) + np.searchsorted(ranks, time)
    student = log.students.get_indexer(pd.Index(student_ids.astype(str)))
    skill_code = log.skills.get_indexer(pd.Index(skill_ids.astype(str)))
    known = (student >= 0) & (skill_code >= 0)
    want_key = np.where(known, student.astype(np.int64) * n_skills + skill_code, -1)
    want = want_key * (len(ranks) + 1) + np.searchsorted(ranks, start_ns)
    pos = np.minimum(np.searchsorted(combined, want), max(len(key) - 1, 0))
    if len(key):
        hit = (
            known
            & (key[pos] == want_key)
            & (time[pos] >= start_ns)
            & (time[pos] < start_ns + horizon_ns)
        )
        first_correct = np.where(hit, correct[pos], 0).astype(bool)
    else:
        hit = np.zeros(len(want), bool)
        first_correct = hit.copy()
    return hit, first_correct, digest.hexdigest()


def _mastery_after(decisions, horizon_days, state_dir, catalog, profiles, config, models,
                   tracking_uri):  # fmt: skip
    """Mastery gain on the recommended skill per the tracer (snapshot D + horizon minus D)."""
    from adaptive.batch.snapshot import load_snapshot, snapshot_dir

    gain = np.zeros(len(decisions))
    known = np.zeros(len(decisions), bool)
    for night, idx in decisions.groupby("night").indices.items():
        later = (pd.Timestamp(night) + pd.Timedelta(days=horizon_days)).strftime("%Y-%m-%d")
        if not (snapshot_dir(state_dir, later) / "meta.json").is_file():
            continue
        snap = load_snapshot(state_dir, later)
        model = _model(models, snap.model_name, snap.model_version, tracking_uri)
        part = decisions.iloc[idx]
        for rows, batch in _night_batches(model, snap, catalog, profiles, part, config):
            after = _mastery_of(batch, catalog, part["skill_id"].iloc[rows])
            gain[idx[rows]] = after - part["mastery_before"].iloc[rows].to_numpy()
        known[idx] = True
    return gain, known


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def candidate_params(chosen: Candidate) -> dict[str, object]:
    """The candidate's MLflow params: `candidate_policy` ("adaptive" or the baseline's name);
    a policy's exploration and `candidate_w_<term>` weights; a baseline, its own rule and not
    the adaptive policy's weights, only its name (`candidate_baseline`)."""
    if chosen.baseline is not None:
        return {"candidate_policy": chosen.baseline, "candidate_baseline": chosen.baseline}
    config = chosen.config
    return {
        "candidate_policy": AdaptivePolicy.name,
        "candidate_exploration": config.exploration,
        **{f"candidate_w_{t}": w for t, w in config.weights.items()},
    }


def log_run(
    result: OPEResult, chosen: Candidate, horizon_days: float, tracking_uri: str | None
) -> str:
    """One MLflow run: the fingerprint, the candidate (`candidate_params`), the diagnostics,
    the estimates (counts and hashes only: no student id)."""
    import mlflow

    from adaptive.registry.store import experiment_id, tracking

    with (
        tracking(tracking_uri) as client,
        mlflow.start_run(experiment_id=experiment_id(client, OPE_EXPERIMENT)) as run,
    ):
        mlflow.log_params({
            **{f"input_{k}": v for k, v in result.fingerprint.items()},
            "nights": ",".join(result.nights)[:500],
            "horizon_days": horizon_days,
            **candidate_params(chosen),
        })  # fmt: skip
        mlflow.log_metrics({f"diag_{k}": float(v) for k, v in result.diagnostics.to_dict().items()})
        metrics = {}
        for row in result.estimates.itertuples(index=False):
            for what in ("value", "ci_low", "ci_high", "std_error"):
                metrics[f"{row.metric}_{row.estimator}_{what}"] = float(getattr(row, what))
        mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
        mlflow.set_tags({"adaptive.kind": "ope"})
        mlflow.log_text(result.estimates.to_csv(index=False), "estimates.csv")
    return run.info.run_id
