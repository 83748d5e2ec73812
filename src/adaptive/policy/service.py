"""Recommendations for named students from a district folder and a knowledge-tracing model.

The function behind `adaptive recommend` (a vendor calls it in-process the same way):

    recs = recommend_students(["stu0000042"], k=10)            # demo district, BKT fitted on it
    recs = recommend_students(ids, model=KnowledgeTracer.load("out/champion"), district=DIR)
    recs[sid][0].activity_id, recs[sid].placement, recs[sid].shortfall   # as --json says

A district folder holds `catalog.json`, `profiles.jsonl` and `responses.parquet` (what
`adaptive simulate --out DIR` writes; `adaptive demo` writes the demo district's into
`paths.demo_district_dir()`). Only the named students'
responses are replayed into the model's online state, so one student costs milliseconds once
the model is fitted.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from adaptive.curriculum import Catalog, LearnerProfile, read_profiles
from adaptive.data.codes import KnownIds, id_list, match_words, reads_as_known
from adaptive.data.log import ResponseLog
from adaptive.errors import (
    ConfigError,
    UnknownStudentsError,
    passed_positions,
    some_of,
)
from adaptive.memo import IdentityMemo
from adaptive.paths import demo_district_dir
from adaptive.placement.prior import GradeTable, Placement, given_or_grade, placement_table
from adaptive.policy.adapter import batch_from_model, profiles_by_id
from adaptive.policy.base import Explanation, StudentBatch, StudentRecommendations, to_days
from adaptive.policy.config import PolicyConfig
from adaptive.policy.recommender import AdaptivePolicy
from adaptive.tracing.base import KnowledgeTracer, TracingState

if TYPE_CHECKING:
    from adaptive.batch.overrides import OverrideSet


@dataclass
class District:
    """The inputs a policy needs from a district folder."""

    catalog: Catalog
    profiles: dict[str, LearnerProfile]
    log: ResponseLog

    def as_of(self, now: float | pd.Timestamp | None) -> District:
        """The district as it stood at `now`: only the responses dated before it. A
        recommendation for a past moment must not read answers given after it (as the nightly
        job for a date reads only the responses before that day). `now` None, or a log without
        times: the district as it is."""
        if now is None or not len(self.log) or not self.log.has_timestamps:
            return self
        cutoff = now.value if isinstance(now, pd.Timestamp) else round(to_days(now) * 86_400e9)
        earlier = self.log.time < cutoff
        if earlier.all():
            return self
        return District(self.catalog, self.profiles, self.log.take_rows(earlier))


#: The files of a district folder (what `adaptive simulate --out` writes).
DISTRICT_FILES = ("responses.parquet", "catalog.json", "profiles.jsonl")


def district_files(directory: str | Path | None = None) -> tuple[Path, Path, Path]:
    """(responses, catalog, profiles) of a district folder (default: the demo district's,
    `paths.demo_district_dir()`); `ConfigError` naming the files it lacks, and for a folder of
    one's own, what a district folder holds and the options that read one's own files."""
    demo = demo_district_dir()
    directory = Path(directory) if directory is not None else demo
    missing = [n for n in DISTRICT_FILES if not (directory / n).exists()]
    if missing:
        hint = (
            " (run `adaptive demo`, or `adaptive simulate --out DIR`, first)"
            if directory == demo
            else "; a --district folder holds responses.parquet (the log in the canonical "
            "columns), catalog.json and profiles.jsonl, as `adaptive simulate --out` writes "
            "it: give your own files as --data LOG (with its column options) and, where the "
            "command takes them, --catalog FILE and --profiles FILE instead"
        )
        raise ConfigError(f"{directory}: missing {', '.join(missing)}{hint}")
    responses, catalog, profiles = (directory / n for n in DISTRICT_FILES)
    return responses, catalog, profiles


def load_district(directory: str | Path | None = None) -> District:
    """Read `catalog.json`, `profiles.jsonl` and `responses.parquet` from a district folder
    (default: the demo district's)."""
    responses, catalog, profiles = district_files(directory)
    from adaptive.data import load_log

    return District(Catalog.from_json(catalog), read_profiles(profiles), load_log(responses))


def district_inputs(
    data: str | Path | ResponseLog,
    catalog: str | Path | Catalog | None,
    profiles: str | Path | Mapping[str, LearnerProfile] | Sequence[LearnerProfile] | None,
) -> tuple[str | Path | Catalog, str | Path | dict[str, LearnerProfile]]:
    """The catalog and profiles that go with a response log: the demo district's only for the
    demo data (a user's log served with the demo catalog would mix two districts). A user's log
    needs its catalog (`ConfigError` otherwise); without profiles, none (no grades, interests
    or schools). Profiles in memory (a mapping by id or a list) come back as a dict by id; a
    log that is neither a file, a dataset name nor a `ResponseLog` is one TypeError."""
    if not isinstance(data, str | Path | ResponseLog):
        raise TypeError(
            f"data: expected a file, a dataset name or a ResponseLog; got {type(data).__name__}"
            " (a frame in the canonical columns: ResponseLog.from_frame(frame))"
        )
    profiles = _profiles_in_memory_by_id(profiles)
    if isinstance(data, str) and data == "demo":
        return (
            catalog or demo_district_dir() / "catalog.json",
            profiles or demo_district_dir() / "profiles.jsonl",
        )
    if catalog is None:
        source = "the given response log" if isinstance(data, ResponseLog) else str(data)
        raise ConfigError(
            f"{source} is not the demo district, so its catalog is needed: pass --catalog FILE "
            "(catalog= in Python), and --profiles FILE for its students (the demo's are used only "
            "with --data demo)"
        )
    return catalog, profiles if profiles is not None else {}


def _profiles_in_memory_by_id(profiles: object) -> object:
    """Profiles in memory as a dict by student id (`adapter.profiles_by_id`: a mapping, or a
    list of `LearnerProfile`); a path or None as given."""
    if profiles is None or isinstance(profiles, str | Path):
        return profiles
    return dict(profiles_by_id(profiles))


def check_district_files(catalog: object, profiles: object) -> None:
    """A catalog or profiles given as a path must be a file (`ConfigError` naming it)."""
    for given, what in ((catalog, "catalog"), (profiles, "profiles")):
        if isinstance(given, str | Path) and not Path(given).is_file():
            raise ConfigError(
                f"{what} file {given} not found; run `adaptive demo` for the demo district, "
                f"or pass --{what} FILE"
            )


def read_district(
    data: str | Path = "demo",
    *,
    catalog: str | Path | None = None,
    profiles: str | Path | None = None,
    mapping: dict | None = None,
    quarantine: str | Path | None = None,
) -> tuple[District, int]:
    """A district from a response log (a dataset name or a file, read with `mapping`, as
    `adaptive batch --data` reads it) and its catalog and profiles (`district_inputs`), with
    the number of rows `quarantine` received."""
    from adaptive.data import load_log_report, warn_notes

    catalog, profiles = district_inputs(data, catalog, profiles)
    check_district_files(catalog, profiles)
    log, report = load_log_report(data, mapping, quarantine)
    warn_notes(report)
    district = District(
        Catalog.from_json(catalog),
        profiles if isinstance(profiles, dict) else read_profiles(profiles),
        log,
    )
    return district, int(report.rows_quarantined)


def default_model(
    log: ResponseLog,
    catalog: Catalog | None = None,
    profiles: Mapping[str, LearnerProfile] | None = None,
    grade_table: GradeTable | None = None,
    roster_day: str | None = None,
) -> KnowledgeTracer:
    """BKT (the shipped `bkt` spec) fitted on the district's responses; with the district's
    `catalog`, its skills without responses get parameters from their graph neighbours, and
    with its `profiles` too, the model checks whether the district's knowledge follows the
    curriculum order (`check_curriculum_level`, with `grade_table`: the serving policy's), as
    `adaptive train --district` does. `roster_day`: a day of the school year whose grades the
    profiles are (None: that of the log's latest answer, as `train` reads them)."""
    from adaptive.tracing.specs import build_model

    model = build_model("bkt").fit(log)
    if catalog is not None:
        model.extend_skills(catalog)
        if profiles:
            # the roster given to a request may name only the students it serves: where the
            # district's students start is read from those it has (none: the default table)
            model.check_curriculum_level(
                log, catalog, profiles, grade_table, roster_warnings=False, roster_day=roster_day
            )
    return model


def model_as_of(
    district: District, now: float | pd.Timestamp | None, grade_table: GradeTable | None = None
) -> KnowledgeTracer:
    """`default_model` fitted on the district's responses before `now` (a recommendation for a
    past moment reads no later answer; `grade_table`: the serving policy's); a `now` before
    every response is a `ConfigError` saying when the log starts, not an empty fit's. The
    profiles are the roster of `now`'s school year, as the nightly job's are that of its
    `--date`: a request on the first days of a new school year, with this year's grades and
    only last year's answers, reads those answers at last year's grades (without `now`, the
    school year of the log's latest answer, as `train` and the default `now` read it)."""
    before = district.as_of(now)
    day = None if now is None else pd.Timestamp(to_days(now) * 86_400e9).date().isoformat()
    if not len(before.log) and len(district.log):
        first = pd.Timestamp(int(district.log.time.min()), tz="UTC").date().isoformat()
        raise ConfigError(
            f"no responses before {day} in the district (its log starts on {first}): no "
            "model can be fitted from them; give a later --now, or a fitted model (--model "
            "DIR or --name NAME)"
        )
    return default_model(before.log, before.catalog, before.profiles, grade_table, day)


def check_students_known(
    d: District, student_ids: Sequence[str], *, typed_as: str | None = None
) -> None:
    """Every id is a student of the district's profiles or responses: else one `ConfigError`,
    before any model is fitted (`adaptive recommend --student` checks first: a typo waited
    seconds for a fit, and its warnings, before being refused). Each id is looked up in the
    profiles' dict and the log's student index (hashed once per log), so a request costs the
    ids it passes, not the district's size.

    The error says which ids by position among those passed, never by id (`adaptive.errors`'
    rule: a vendor's request error goes to the vendor's logs). `typed_as`: the command-line
    option a person typed the ids with ("--student"); then, the rule's one exception, it echoes
    them, and the known id the first reads as (`same_as_read`: other case, a spreadsheet's
    dropped zeros), never a merely close spelling, which would be another student's id.
    Without it, the error says by position whether the first unknown id reads as a known one
    ("the 3rd differs only in case from a known student's id"), and its `likely_matches` maps
    that position to the known id, for the caller's code (a vendor's case bug is then told
    apart from a new student). The hint too is one look-up per id (`known_ids`: the district's
    ids by how they read, built at the first refused request and kept): a vendor sends new
    students regularly, and each refused request read every known id (a second at 400,000)."""
    unknown = [
        i for i, s in enumerate(student_ids) if s not in d.profiles and s not in d.log.students
    ]
    if not unknown:
        return
    where = "not in the district's profiles or responses"
    if typed_as is None:
        matches = reads_as_known(known_ids(d), student_ids, unknown)
        mapped = " (likely_matches on the error maps each position to the known id)"
        raise UnknownStudentsError(
            f"{passed_positions(unknown, len(student_ids))} {where}"
            f"{match_words(student_ids, matches)}{mapped if matches else ''}",
            unknown,
            matches,
        )
    typed = [student_ids[i] for i in unknown]
    meant = known_ids(d).reads_as(typed[0])
    hint = "" if meant is None else f" (did you mean {meant!r}?)"
    if meant is not None and len(typed) > 1:
        hint = f" (did you mean {meant!r} for {typed[0]!r}?)"
    raise ConfigError(f"{typed_as} {some_of([repr(t) for t in typed], 5)}: {where}{hint}")


#: Each district's `KnownIds`, by its profiles and its log's students (`known_ids`).
_KNOWN_IDS: IdentityMemo[KnownIds] = IdentityMemo(limit=4)


def known_ids(d: District) -> KnownIds:
    """The district's `KnownIds`, built at its first call and kept for the district's profiles
    and log (by identity, as every per-district memo: a log does not change; the profiles'
    count is part of the key, so a dict added to in place is read again)."""
    return _KNOWN_IDS.get(
        (d.profiles, d.log.students),
        lambda: KnownIds({*d.profiles, *d.log.students.tolist()}),
        extra=len(d.profiles),
    )


def recommend_students(
    student_ids: Sequence[str],
    k: int = 10,
    *,
    district: str | Path | District | None = None,
    model: KnowledgeTracer | None = None,
    now: float | pd.Timestamp | None = None,
    config: PolicyConfig | None = None,
    overrides: OverrideSet | None = None,
    placement: Placement | None = None,
) -> dict[str, StudentRecommendations]:
    """Top-k recommendations with reasons for each student id, where each was placed, and why
    a list is short (`StudentRecommendations`; what `adaptive recommend --json` prints).

    `model`: a fitted knowledge-tracing model (default: BKT fitted on the district's log).
    `now`: the time of the recommendation (default: one day after the student's last response).
    `config`: the policy's weights (default: `PolicyConfig.default()`).
    `overrides`: the teachers' overrides (`adaptive.batch.overrides.read_overrides`), applied as
    the nightly job applies them, so a student's recommendations and reasons are the night's.
    `placement`: where the students start (the nightly job's `--placement` table, e.g. last
    year's records, `read_placement`), where it knows them; else from their grade.
    """
    d = district if isinstance(district, District) else load_district(district)
    config = config or PolicyConfig.default()
    student_ids = id_list(student_ids)  # " stu1 " is "stu1", as everywhere
    check_students_known(d, student_ids)
    model = model if model is not None else model_as_of(d, now, config.grade_table)
    d = d.as_of(now)
    log, state = traced_students(model, d, list(student_ids), placement, config.grade_table)
    policy = AdaptivePolicy(d.catalog, config)
    out: dict[str, StudentRecommendations] = {}
    for sid in student_ids:
        one = log.take_students([sid]) if len(log) else log
        when = to_days(now) if now is not None else _day_after_last(one)
        batch = batch_from_model(
            model, state, d.catalog, d.profiles, log=one, student_ids=[sid], config=config,
            placement=placement or "grade", **teacher_fields(overrides, d, sid),
        )  # fmt: skip
        out[sid] = policy.recommend(batch, k, when)  # the per-request path's list
    return out


def placed_recommendations(
    student_ids: Sequence[str], k: int = 10, **arguments
) -> dict[str, StudentRecommendations]:
    """Deprecated: `recommend_students`, which now returns the same (it was a second function
    with the same arguments, for the placement words; one way to ask is kept)."""
    warnings.warn(
        "placed_recommendations is deprecated: call recommend_students, whose lists also carry "
        ".placement and .shortfall",
        DeprecationWarning,
        stacklevel=2,
    )
    return recommend_students(student_ids, k, **arguments)


def explain_activity(
    student_id: str,
    activity_id: str,
    *,
    district: str | Path | District | None = None,
    model: KnowledgeTracer | None = None,
    now: float | pd.Timestamp | None = None,
    config: PolicyConfig | None = None,
    k: int = 10,
    overrides: OverrideSet | None = None,
    placement: Placement | None = None,
) -> Explanation:
    """Why an activity is (not) recommended to a student (blocked, excluded by the teacher,
    ranked lower...); the arguments as in `recommend_students`, the same model fitted when
    none is given, and the same errors (an unknown student, a `now` before every answer)."""
    d = district if isinstance(district, District) else load_district(district)
    student_id, activity_id = str(student_id).strip(), str(activity_id).strip()
    config = config or PolicyConfig.default()
    check_students_known(d, [student_id])
    model = model if model is not None else model_as_of(d, now, config.grade_table)
    d = d.as_of(now)
    batch, when = student_batch(student_id, d, model, config, now, overrides, placement)
    return AdaptivePolicy(d.catalog, config).explain_batch_row(batch, activity_id, when, k)


def student_batch(
    student_id: str,
    district: District,
    model: KnowledgeTracer,
    config: PolicyConfig,
    now: float | pd.Timestamp | None = None,
    overrides: OverrideSet | None = None,
    placement: Placement | None = None,
) -> tuple[StudentBatch, float]:
    """One district student's policy input, from their own responses before `now`
    (`batch_from_model`), and the time to recommend at (`now`, else the day after their last
    response)."""
    log, state = traced_students(
        model, district.as_of(now), [student_id], placement, config.grade_table
    )
    batch = batch_from_model(
        model, state, district.catalog, district.profiles, log=log, student_ids=[student_id],
        config=config, placement=placement or "grade",
        **teacher_fields(overrides, district, student_id),
    )  # fmt: skip
    return batch, to_days(now) if now is not None else _day_after_last(log)


def teacher_fields(overrides: OverrideSet | None, district: District, student_id: str) -> dict:
    """The `StudentBatch` fields of one student's teacher overrides (none without)."""
    if overrides is None:
        return {}
    return overrides.batch_fields(district.catalog, district.profiles, [student_id])


def traced_students(
    model: KnowledgeTracer,
    district: District,
    student_ids: list[str],
    placement: Placement | None = None,
    table: GradeTable | None = None,
) -> tuple[ResponseLog, TracingState]:
    """These students' responses, and their tracer state after them, each started as the
    nightly job starts a student new to its state: from `placement` where it knows them (the
    night's `--placement` table), else from their profile's grade (read with `table`, the
    policy config's `grade_table`, else the model's: `placement_table`), not from the
    population prior; students with neither start from the population prior."""
    log = district.log.take_students(student_ids)
    profiles = [district.profiles.get(s) or LearnerProfile(s) for s in student_ids]
    prior = given_or_grade(district.catalog, profiles, placement, placement_table(table, model))
    state = model.init_state(student_ids, prior=prior)
    if len(log):
        model.update(state, log)
    return log, state


def _day_after_last(log: ResponseLog) -> float:
    if len(log) and log.has_timestamps:
        return float(log.time.max()) / 86_400e9 + 1.0
    return 0.0
