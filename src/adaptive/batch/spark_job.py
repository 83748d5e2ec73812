"""The whole nightly job on Spark: `run_daily_job(..., engine="spark")`, `adaptive batch --engine spark`.

The driver plans and commits; every per-student step runs on the executors, one school at a time:

1. the driver resolves the champion in the MLflow registry, downloads its checksummed artifact
   folder and ships those *files* to the executors (`SparkContext.addFile`); each Python worker
   loads the model from them once (`KnowledgeTracer.load` verifies every checksum): no model
   object is pickled; an experiment's assignment file travels the same way
   (`_executor_experiment`), the driver keeping only its digest and words (`AssignmentFacts`),
   never every class's arm;
2. Spark reads the Parquet log (only the rows before the night's cutoff, and after the previous
   snapshot's cutoff when that snapshot is reusable), the profiles (JSON lines, kept as text) and
   the previous night's state (Parquet, one folder per school: `school_state.py`); the log's
   footer is checked and its cells read as the in-process reader reads them (`_parquet_log`,
   `_log_reading`: ids as text, trimmed, a column of whole numbers written as floats read as
   integers: `_id_text`; booleans, 0/1, true/false text: `_correct_number`; a text skill
   column split into lists: `_skill_lists`, cleaned on the executor: `_school_log`), the
   profiles' student ids trimmed as `LearnerProfile` trims them (`_students_frame`), and a log
   with a row that reader refuses (an empty id or skill list, an answer or a time it does not
   read) stops the night before any school is served, with that reader's error naming file and
   line (`_refuse_unread_rows`); so does a log whose ids are not the roster's, as in-process
   (`_check_log_ids`: only the log's distinct student ids reach the driver; a refusal's count
   and dates of their rows, one aggregate: `_responses_words`);
3. students are keyed by their current school (profile's school, else "unassigned"), the log's
   rows by their student's school; `cogroup(...).applyInArrow` hands each executor one school:
   its new responses and its students (profile and previous state);
4. on the executor (`serve_spark_school`): tracing of the new responses from the previous state,
   placement of new students (from their grade, or a `--placement` table: `spark_placement`),
   history features, then the same `job.serve_school` step as the
   in-process engine (recommendation, progression, teacher groups), written with `writer`
   (atomic files) beside the school's new state partition; it returns one row of counts and
   file checksums;
5. the driver collects those rows (one per school: no student data), renames the new snapshot
   into place and writes `_SUCCESS.json` (same contract as in-process) and the MLflow summary.

Resumable and idempotent like the in-process job: a school whose four partitions exist under the
same input fingerprint is not recomputed (its state partition is, the state being cheap and
deterministic per student). A snapshot written by the other engine is not reused (the tracer
state is then rebuilt from the full history, as for a new model version). The in-process
engine's guards hold here too, with the same functions: a snapshot records the catalog's layout
and a night on another catalog rebuilds (`snapshot.catalog_changed`); a log that lost most of
the rows the snapshot recorded before its cutoff is refused (`log_digest.check_not_shrunk`); the
summary says why the state was rebuilt, how many students were unassigned, got fewer than k
recommendations or are outside the experiment, the responses dated after the night, and a
replaced model version or policy (`night_checks`; `_SUCCESS.json` records the policy).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from adaptive.batch import writer
from adaptive.batch.history import StudentHistory
from adaptive.batch.job import (
    TABLES,
    UNASSIGNED_SCHOOL,
    JobSummary,
    Night,
    SchoolDone,
    _serve_one,
    _source_name,
    students_by_arm,
)
from adaptive.batch.log_digest import (
    before_cutoffs,
    changed_before_cutoff,
    check_not_shrunk,
    warn_changed_before_cutoff,
)
from adaptive.batch.night_checks import (
    STALE_LOG_DAYS,
    OffCatalog,
    after_night,
    arm_parts,
    check_log_ids_match,
    check_night_near_log,
    check_training_catalog,
    experiment_ended_or_replaced,
    experiment_served_before,
    grade_table_changed,
    grade_table_record,
    k_for,
    night_record,
    night_served_before,
    overrides_dropped,
    placement_table_changed,
    policy_record,
    rebuild_reason,
    rebuilt_words,
    roster_only,
    rows_words,
    say_arm_changes,
    served_inputs,
    timestamps_needed,
    warn_few_students_answered,
    warn_future_rows,
    warn_log_times_in_zone,
    warn_placement_alone,
    warn_profiles_gone,
    warn_roster_only,
    warn_untraced,
    zone_served_before,
)
from adaptive.batch.overrides import (
    OverrideSet,
    named_classes,
    named_students,
    read_overrides,
    record_overrides,
)
from adaptive.batch.partition import PartitionContext
from adaptive.batch.school_state import decode_state, encode_state
from adaptive.batch.snapshot import (
    PARTIAL,
    SPARK_FORMAT,
    catalog_changed,
    previous_snapshot_date,
    snapshot_dir,
)
from adaptive.batch.spark_placement import (
    checked_placement_parquet,
    count_placed_off_roster,
    placement_duplicates,
    school_placement,
    with_placement,
)
from adaptive.curriculum import Catalog, LearnerProfile, profile_from_json
from adaptive.curriculum.profile import (
    PROFILES_EXPECTED,
    iter_profiles,
    profile_field,
    profile_fields,
)
from adaptive.data.log import RIGHT_WORDS, WHOLE_FLOAT, WRONG_WORDS
from adaptive.data.mapping import ColumnMapping
from adaptive.data.validate import parquet_problems
from adaptive.dates import DEFAULT_TIMEZONE, night_start
from adaptive.errors import AdaptiveError, ConfigError, NightWarning
from adaptive.experiment.assign import Assignment, AssignmentFacts
from adaptive.experiment.serve import check_covers_units, experiment_began, warn_outside
from adaptive.files import (
    atomic_write_bytes,
    file_sha256,
    read_sealed_json,
    sealed_json,
    user_text_lines,
)
from adaptive.placement.prior import place_new_students, placement_table
from adaptive.placement.table import SkillMap, placement_sha256
from adaptive.policy import PolicyConfig, to_days
from adaptive.policy.adapter import check_profiles, note_skill_coverage
from adaptive.policy.base import catalog_layout
from adaptive.registry.loading import fetch_version, registry_answer
from adaptive.registry.store import CHAMPION_ALIAS
from adaptive.tracing.base import KnowledgeTracer, Untraced

SPARK_LOG = "the response log (read by Spark)"
ERROR_MARK = "adaptive-error"  # marks an AdaptiveError raised on an executor
PLACEMENT_DIR = "_placement"  # the checked placement table, beside the outputs for one night
RESULT_SCHEMA = (
    "school string, written boolean, served long, stuck long, skills string, "
    "new_responses long, without_profile long, listing string, state_rows long, "
    "state_sha256 string, seconds double, untraced long, untraced_skills string, unserved long, "
    "below_k long, short_with_time_left long, outside_experiment long, off_catalog string, without_profile_ids string, "
    "all_known string, by_arm string, roster_only_ids string, state_only boolean"
)


@dataclass(frozen=True)
class SparkNight:
    """What every executor needs, as plain values (paths, JSON strings): Spark ships it with the
    function; the model travels as files: `model_files` maps each shipped file's name (unique
    per model: its folder's sha256 as prefix) to its path in the artifact folder."""

    model_files: dict[str, str]
    model_sha: str
    context: PartitionContext
    policy_json: str
    out: str
    state_partial: str
    day: str
    cutoff_ns: int
    reuse: bool
    resumed: bool
    window: int
    overrides: OverrideSet | None = None  # teacher overrides (only the students they name)
    # the experiment's assignment file as shipped (`_executor_experiment`): its units (every
    # class's or school's arm) are read by the executors, never held by the driver
    experiment_file: str | None = None
    placement_source: str | None = None  # the placement table's file name, when given


def run_spark_night(
    day: str,
    out: Path,
    *,
    model_name: str,
    data: Any,
    catalog: str | Path | Catalog,
    profiles: str | Path | dict[str, LearnerProfile],
    state_dir: str | Path | None,
    k: int,
    config: PolicyConfig,
    mapping: dict | None,
    tracking_uri: str | None,
    master: str | None,
    spark: Any = None,
    overrides: Any = None,
    experiment: Any = None,
    champion: Future | None = None,
    placement: str | Path | None = None,
    placement_columns: Mapping[str, str] | None = None,
    placement_skill_map: Mapping[str, str | None] | str | Path | None = None,
    policy_source: str = "shipped default",
    timezone: str = DEFAULT_TIMEZONE,
    inputs_checked: Callable[[], object] = lambda: None,
) -> JobSummary:
    """Steps 1-5 of the module docstring for one date (under the date's lock, taken by
    `run_daily_job`); returns the summary (its MLflow run is logged by the caller).
    `champion`: the registry's `FetchedVersion` on its way (`registry_process`), else fetched
    here. `placement`: a table of where new students start (`spark_placement`).
    `policy_source`: where `config` came from, in words (recorded in `_SUCCESS.json`).
    `timezone`: the district's, where the night's day ends (`adaptive.dates.night_start`).
    `inputs_checked`: called once the inputs the driver checks are checked, before anything is
    written (`job.SummaryRun.open`)."""
    from adaptive.batch.spark import spark_session

    started = time.perf_counter()
    path, columns, log_mapping = _parquet_log(data, mapping)
    profiles_path = _profiles_path(profiles)
    catalog = catalog if isinstance(catalog, Catalog) else Catalog.from_json(catalog)
    if profiles_path is not None:
        # every line checked as `read_profiles` checks it, now, before any school is served
        # (executors read each school's lines later, too late to refuse the night whole: a
        # student on two lines was served twice, once per school), in memory that does not
        # grow with the district; in the same pass, topics and goals the catalog lacks are
        # said as in-process (`check_profiles`: a warning)
        check_profiles(iter_profiles(profiles_path), catalog)
    k = k_for(k, catalog)
    cutoff = night_start(day, timezone)
    state_dir = Path(state_dir) if state_dir is not None else out / "state"
    overrides = _overrides(overrides, catalog, profiles_path, day)
    experiment_source = _source_name(experiment)
    with tempfile.TemporaryDirectory(prefix="adaptive-champion-") as tmp:
        # checked whole before any work; the driver keeps its facts, never its units
        experiment_file, experiment_facts = _stage_experiment(
            experiment, Path(tmp) / "shipped", profiles_path
        )
        experiment_sha = experiment_facts.sha256 if experiment_facts is not None else None
        fetched = (
            registry_answer(champion)
            if champion is not None
            else fetch_version(
                model_name, alias=CHAMPION_ALIAS, tracking_uri=tracking_uri, into=tmp
            )
        )
        version, model_dir = fetched.version, Path(fetched.tracer_dir)
        model = fetched.load().model
        check_training_catalog(model, catalog)  # last year's catalog: before the coverage's words
        coverage = note_skill_coverage(model, catalog)
        previous = previous_snapshot_date(state_dir, day, SPARK_FORMAT)
        meta = _snapshot_meta(state_dir, previous) if previous else None
        reuse = meta is not None and [meta["model_name"], meta["model_version"]] == [
            model_name,
            version,
        ]
        # rows dated before the snapshot's cutoff that reached the log after it, or answers
        # there regraded: rebuild; a log that lost most of them (a failed export) is refused.
        # One pass over the file (on the driver, streamed: counts and digests only) records
        # the log before the snapshot's cutoff and before tonight's (as `job._serve_date`).
        bounds = [int(cutoff.value)]
        if meta is not None:
            bounds.insert(0, pd.Timestamp(meta["cutoff"]).value)
        records = before_cutoffs(data, mapping, None, bounds)
        late = changed_before_cutoff(meta, records[0]) if meta is not None else None
        if late is not None:
            check_not_shrunk(late, meta["cutoff"], str(path), day)
            warn_changed_before_cutoff(late, meta["cutoff"], str(path))
            reuse = False
        # a snapshot laid out by another catalog (skills or activities added, removed or
        # reordered) cannot be decoded on tonight's: rebuild from every response
        layout = catalog_layout(catalog)
        new_catalog = meta is not None and catalog_changed(meta, None, catalog, layout)
        if new_catalog:
            warnings.warn(
                f"the catalog changed since the snapshot of {previous} (skills or activities "
                "added, removed or reordered): the state is rebuilt from every response, as on "
                "a first night",
                NightWarning,
                stacklevel=3,
            )
            reuse = False
        renamed = SkillMap.of(placement_skill_map, catalog)
        placement_sha = (
            placement_sha256(placement, placement_columns, renamed)
            if placement is not None
            else None
        )
        placement_changed = placement_table_changed(meta, placement_sha, previous)
        # the table that places tonight's new students: the policy's, else the model's own
        grade_table = placement_table(config.grade_table, model)
        table_changed = reuse and grade_table_changed(meta, grade_table, previous)
        reuse = reuse and not placement_changed and not table_changed
        reason = rebuild_reason(
            meta, version, model_name, late, new_catalog, reuse, placement_changed, table_changed
        )
        check_night_near_log(
            _newest_before(path, columns["timestamp"], int(cutoff.value), records[-1]),
            str(path), day, timezone,
        )  # fmt: skip
        placed_alone = meta is None and records[-1] is not None and not records[-1].get("count")
        if placed_alone:
            warn_placement_alone(day, _oldest_time(path, columns["timestamp"]), str(path))
        in_future = warn_future_rows(
            _times_after(path, columns["timestamp"], after_night(day, timezone)),
            str(path),
            day,
            timezone,
        )
        warn_log_times_in_zone(  # the time column's type, and its times until one is no date
            _time_groups(path, columns["timestamp"], EVERY_TIME),
            _naive_times(path, columns["timestamp"]), str(path), timezone,
            _zones_unknown(path, columns["timestamp"]),
        )  # fmt: skip
        since = pd.Timestamp(meta["cutoff"]).value if reuse else None
        context = PartitionContext.build(catalog, config, k, to_days(cutoff))
        policy = policy_record(context.policy_json, policy_source, config.exploration)
        fingerprint = _fingerprint(
            model_name, version, meta, k, context, profiles_path, path, since
        )
        if timezone != DEFAULT_TIMEZONE:  # the same zone's nights as the in-process engine's
            fingerprint = hashlib.sha256(json.dumps([fingerprint, timezone]).encode()).hexdigest()
        if overrides is not None or experiment_sha is not None:
            fingerprint = hashlib.sha256(
                json.dumps(
                    [
                        fingerprint,
                        overrides.sha256 if overrides else None,
                        experiment_sha,
                    ]
                ).encode()
            ).hexdigest()
        placed_rows = Path(out) / PLACEMENT_DIR / f"date={day}" / "placement.parquet"
        if placement is not None:
            try:
                table_sha = checked_placement_parquet(
                    placement, catalog, placement_columns, placed_rows, skill_map=renamed
                )
            except BaseException:
                shutil.rmtree(Path(out) / PLACEMENT_DIR, ignore_errors=True)
                raise
            fingerprint = hashlib.sha256(json.dumps([fingerprint, table_sha]).encode()).hexdigest()
        record = night_record(
            day, (model_name, version), fingerprint, policy, catalog,
            experiment_sha, timezone,
            served_inputs(
                "spark", k, file_sha256(profiles_path) if profiles_path else None,
                overrides.sha256 if overrides else None, placement_sha, records[-1],
                _started_from(meta, since),
                Path(placement).name if placement is not None else None,
            ),
        )  # fmt: skip
        replaced = night_served_before(out, day, record)
        reason = rebuilt_words(
            reason, replaced is not None, state_dir=state_dir, day=day, kind=SPARK_FORMAT
        )
        experiment_served_before(out, day, experiment_sha)
        new_assignment = experiment_ended_or_replaced(out, day, experiment_sha)
        zone_served_before(out, state_dir, day, timezone)
        overrides_dropped(out, state_dir, day, overrides)
        try:
            with _one_line_errors(path, columns, log_mapping):  # a session that cannot start too
                session = spark if spark is not None else spark_session(master)
                log = SparkLog.planned(session, path, columns, log_mapping, since)
                # the log's students against the roster, as in-process, before anything is
                # written: a log of ids written otherwise is refused, not served and warned of
                _check_log_ids(
                    log, profiles_path, str(path), first_night=meta is None and not placed_alone
                )
            inputs_checked()
            resumed = writer.prepare_date(out, TABLES, day, fingerprint)
            record_overrides(out, day, overrides)
            sha = _folder_sha(model_dir)
            partial = snapshot_dir(state_dir, day).with_name(f"date={day}{PARTIAL}")
            if not resumed and partial.exists():
                shutil.rmtree(partial)
            night = SparkNight(
                model_files=_shipped_names(model_dir, sha),
                model_sha=sha,
                context=context,
                policy_json=context.policy_json,
                out=str(Path(out).resolve()),
                state_partial=str(partial.resolve()),
                day=day,
                cutoff_ns=int(cutoff.value),
                reuse=reuse,
                resumed=resumed,
                window=config.progress_window,
                overrides=overrides,
                experiment_file=experiment_file,
                placement_source=Path(placement).name if placement is not None else None,
            )
            with _one_line_errors(path, columns, log_mapping):
                _ship_model(session, model_dir, night.model_files, Path(tmp) / "shipped")
                if experiment_file is not None:
                    session.sparkContext.addFile(str(Path(tmp) / "shipped" / experiment_file))
                if placement is not None:
                    placement_duplicates(
                        session, placed_rows, str(placement), placement_columns, renamed
                    )
                rows = _run_schools(
                    session,
                    night,
                    log,
                    profiles_path,
                    snapshot_dir(state_dir, previous) if reuse else None,
                    placed_rows if placement is not None else None,
                )
                if experiment_facts is not None:
                    _warn_arm_changes(session, out, day, new_assignment)
        finally:
            shutil.rmtree(Path(out) / PLACEMENT_DIR, ignore_errors=True)
    # a school of none but roster-only students kept their state and served none (`roster_only`)
    every, rows = rows, [r for r in rows if not r["state_only"]]
    schools = sorted(r["school"] for r in rows)
    listing = {key: value for r in rows for key, value in json.loads(r["listing"]).items()}
    served = sum(r["served"] for r in rows)
    writer.finish_date_listing(
        out,
        TABLES,
        day,
        listing,
        {**record, "students": served},
    )
    _commit_snapshot(
        state_dir, day, partial, cutoff, model_name, version, every, records[-1], layout,
        placement_sha, grade_table_record(grade_table),
    )  # fmt: skip
    skill_counts: dict[str, int] = {}
    for r in rows:
        for skill, n in json.loads(r["skills"]).items():
            skill_counts[skill] = skill_counts.get(skill, 0) + int(n)
    stuck = sum(r["stuck"] for r in rows)
    written = sum(bool(r["written"]) for r in rows)
    untraced = sum(
        (Untraced(r["untraced"], tuple(json.loads(r["untraced_skills"]))) for r in rows),
        Untraced(),
    )
    warn_untraced(untraced, catalog)
    sum((OffCatalog.from_json(r["off_catalog"]) for r in rows), OffCatalog()).warn(
        str(path), catalog
    )
    warn_roster_only(
        out, state_dir, day, [s for r in every for s in json.loads(r["roster_only_ids"])]
    )
    missing = [s for r in rows for s in json.loads(r["without_profile_ids"])]
    if missing and profiles_path is not None:
        warn_profiles_gone(out, state_dir, day, missing)
    if experiment_facts is not None:
        outside = sum(r["outside_experiment"] for r in rows)
        sha = file_sha256(profiles_path) if profiles_path is not None else None
        began = experiment_began(out, day, experiment_facts.sha256)
        without = sum(r["without_profile"] for r in rows)
        warn_outside(experiment_facts, sha, outside, without, served, policy_source, began)
    return JobSummary(
        date=day,
        model_name=model_name,
        model_version=version,
        students_served=served,
        schools=len(schools),
        partitions_written=written,
        partitions_resumed=len(rows) - written,
        new_responses=sum(r["new_responses"] for r in rows),
        state_rebuilt=not reuse,
        previous_snapshot=previous,
        rows_quarantined=0,
        students_without_profile=sum(r["without_profile"] for r in rows),
        share_stuck=stuck / served if served else 0.0,
        seconds=time.perf_counter() - started,
        out=Path(out),
        override_students=len(overrides) if overrides is not None else None,
        override_files=len(overrides.files) if overrides is not None else 0,
        override_files_set_aside=len(overrides.set_aside) if overrides is not None else 0,
        skill_counts=pd.Series(skill_counts, name="recommendations", dtype=np.int64).sort_index(),
        skill_coverage=coverage,
        responses_untraced=untraced.responses,
        students_without_recommendations=sum(r["unserved"] for r in rows),
        students_all_known=_all_known(rows),
        partition_seconds=[float(r["seconds"]) for r in rows],
        rebuild_reason=reason,
        students_unassigned=sum(r["served"] for r in rows if r["school"] == UNASSIGNED_SCHOOL),
        responses_in_future=in_future,
        replaced_version=replaced.version if replaced else None,
        state_dir=state_dir,
        policy=policy_source,
        exploration=config.exploration,
        experiment=experiment_source,
        k=k,
        students_below_k=sum(r["below_k"] for r in rows),
        students_short_with_time_left=sum(r["short_with_time_left"] for r in rows),
        students_outside_experiment=sum(r["outside_experiment"] for r in rows),
        students_by_arm=students_by_arm(
            (json.loads(r["by_arm"]) for r in rows),
            experiment_facts.arm_names if experiment_facts is not None else (),
        ),
        replaced_policy=replaced.policy if replaced else None,
        replaced_inputs=replaced.inputs if replaced else {},
        served_before=replaced is not None,
    )


def _all_known(rows: list) -> dict[str, int]:
    """The schools' counts of unserved students with every skill mastered or assumed known, by
    placement words, summed as the in-process engine sums them (`JobSummary.students_all_known`):
    a Spark night said only "1 student got no recommendation" of a student placed from grade
    12."""
    known: collections.Counter[str] = collections.Counter()
    for r in rows:
        known.update(json.loads(r["all_known"]))
    return dict(sorted(known.items()))


def _time_groups(path: Path, column: str, bound: int) -> Iterator[np.ndarray]:
    """The log's times (ns, UTC) at or after `bound` (ns), one row group at a time, for the
    driver's checks of the log's dates: the time column only, from the groups whose statistics
    do not put every time before the bound (a log appended day by day: its last groups). A log
    sorted by student has every day in every group, so a check keeps what it needs of each
    group (a count, the newest time) and never the whole column: 20 million times at 400,000
    students took the driver from 0.3 to 1.25 GB. Nothing for a column that is not a timestamp."""
    from adaptive.data.readers import parquet_parts, stored_time, streamed_parquet, time_range

    for part in parquet_parts(path) if path.is_dir() else [path]:
        pfile = streamed_parquet(part)
        kind = pfile.schema_arrow.field(column).type if column in pfile.schema_arrow.names else None
        if kind is None or not pa.types.is_timestamp(kind):
            continue
        stored = stored_time(pfile.metadata, column, bound)
        for g in range(pfile.metadata.num_row_groups):
            if stored is not None and time_range(pfile.metadata, g, *stored) == "before":
                continue
            times = pfile.read_row_group(g, columns=[column]).column(column)
            ns = pc.cast(times, pa.timestamp("ns", tz="UTC")).cast(pa.int64()).fill_null(0)
            ns = ns.to_numpy()
            yield ns[ns >= bound]


def _times_after(path: Path, column: str, bound: int) -> np.ndarray:
    """Every time (ns, UTC) of the log at or after `bound` (`_time_groups`): for bounds past
    the night's day, which few responses pass (`night_checks.warn_future_rows`)."""
    found = list(_time_groups(path, column, bound))
    return np.concatenate(found) if found else np.zeros(0, np.int64)


#: A bound (ns) before every time: `_time_groups(path, column, EVERY_TIME)` reads them all.
EVERY_TIME = -(2**62)


def _oldest_time(path: Path, column: str) -> int | None:
    """The log's oldest time (ns, UTC); None without any (or a column that is not a timestamp)."""
    oldest = [int(t.min()) for t in _time_groups(path, column, EVERY_TIME) if t.size]
    return min(oldest) if oldest else None


def _newest_before(path: Path, column: str, cutoff: int, record: dict | None) -> int | None:
    """The newest time (ns, UTC) before `cutoff` of a log with responses before it (`record`,
    its count), for `night_checks.check_night_near_log`: the row groups of its last
    `STALE_LOG_DAYS` days are read first (statistics skip the rest), every group only when they
    hold none (the night is then refused). None: no response before the cutoff, or no time the
    statistics can compare."""
    if record is None or not record.get("count"):
        return None
    window = cutoff - STALE_LOG_DAYS * 86_400 * 10**9
    for bound in (window, EVERY_TIME):  # the last days, then every time
        newest = [
            int(t[t < cutoff].max())
            for t in _time_groups(path, column, bound)
            if (t < cutoff).any()
        ]
        if newest:
            return max(newest)
    return None


def _first_schema(path: Path) -> pa.Schema:
    """The Arrow schema (with its metadata) of the log's first part's footer."""
    import pyarrow.parquet as pq

    from adaptive.data.readers import parquet_parts

    return pq.read_schema(parquet_parts(path)[0] if path.is_dir() else path)


def _time_type(path: Path, column: str) -> pa.DataType | None:
    """The Arrow type of the log's time column (None without one): the first part's footer."""
    schema = _first_schema(path)
    return schema.field(column).type if column in schema.names else None


def _zones_unknown(path: Path, column: str) -> bool:
    """Whether the log is a Parquet an older `validate --out` wrote, whose zoned times may be
    local times written as UTC (`readers.zones_unknown`), as the in-process reader says it
    (`LoadReport.zones_unknown`), from the first part's footer."""
    from adaptive.data.readers import zones_unknown

    schema = _first_schema(path)
    return zones_unknown(schema.metadata, _time_type(path, column))


def _time_in_nanoseconds(path: Path, column: str) -> bool:
    """True when the log's time column is stored in nanoseconds (what `DataFrame.to_parquet`
    writes by default): Spark refuses that type (PARQUET_TYPE_ILLEGAL), so it is read as the
    integer it is (`_time_literal`) and cast back to a time in each school's Arrow table,
    nanoseconds kept. The first part's footer only."""
    kind = _time_type(path, column)
    return kind is not None and pa.types.is_timestamp(kind) and kind.unit == "ns"


def _naive_times(path: Path, column: str) -> bool:
    """Whether the log's times carry no UTC offset (a Parquet timestamp without a zone), as the
    in-process reader says it (`times.without_offset`, `LoadReport.naive_times`), from the first
    part's footer: no row is read."""
    from adaptive.data.times import without_offset

    kind = _time_type(path, column)
    return kind is not None and without_offset(pa.nulls(0, kind))


def _time_literal(nanoseconds: int, nanos: bool):  # a pyspark Column (imported by Spark only)
    """A time to compare the log's time column with: int64 nanoseconds where the column is read
    as them (kept exact: each school's rows are cast back to times in Arrow), else a datetime."""
    from pyspark.sql import functions as F

    if nanos:
        return F.lit(int(nanoseconds)).cast("long")
    return F.lit(pd.Timestamp(nanoseconds, tz="UTC").to_pydatetime())


def _parquet_log(data: Any, mapping: dict | None) -> tuple[Path, dict[str, str], ColumnMapping]:
    """The Parquet log Spark reads, its source column of each canonical field, and how the
    in-process reader reads its cells (the mapping: a text skill column's separator, for the
    Spark plan and for that reader's errors). Its first file's footer is checked as that reader
    checks it (`_check_footer`), and a folder's parts have one type per column
    (`check_parts_types`), before Spark starts."""
    if not isinstance(data, str | Path):
        raise ConfigError(
            "the Spark engine reads the response log from a Parquet file (given: an in-memory "
            "log): pass its path"
        )
    from adaptive.data import resolve

    path, m, _ = resolve(data, mapping)
    if not path.is_dir() and path.suffix != ".parquet":
        raise ConfigError(
            f"{path}: the Spark engine reads Parquet logs only; convert it first "
            "(`adaptive validate FILE --out LOG.parquet` with its column options) or use --engine local"
        )
    from adaptive.data.readers import check_parts_types, readable_parts

    footers = readable_parts(path)  # each part's footer, or the in-process reader's error
    first, footer = footers[0]
    schema = footer.schema.to_arrow_schema()
    names = schema.names
    time_column = m.time or next((c for c in ("timestamp", "time") if c in names), None)
    if time_column is None:
        raise timestamps_needed(str(path))
    if len(m.student_id) != 1 or m.skills_from or m.merge_skill_rows:
        raise ConfigError(
            f"{path}: the Spark engine needs one student column and "
            "each response's skills in its own row (no merged skill rows or skills from a "
            "Q-matrix); use --engine local for this log"
        )
    if m.correct_values or m.correct_threshold is not None or m.max_score is not None:
        raise ConfigError(
            f"{path}: the Spark engine reads correctness as 0/1 or true/false (booleans or "
            "text); convert the words or scores first (`adaptive validate FILE --out "
            "LOG.parquet` with --correct-values and --incorrect-values, or "
            "--correct-threshold, or --max-score-col) or use --engine local"
        )
    _check_footer(first, schema, footer.num_rows, m)
    check_parts_types(path, footers, m)  # Spark's own error named neither part nor column
    _check_time_type(path, schema, time_column, footer.num_rows, m)
    columns = {
        "student_id": m.student_id[0],
        "item_id": m.item_id,
        "skill_ids": m.skill_ids,
        "correct": m.correct,
        "timestamp": time_column,
    }
    return path, columns, m


def _check_footer(part: Path, schema: pa.Schema, rows: int, mapping: ColumnMapping) -> None:
    """The in-process reader's checks of a Parquet file's footer (`readers._read_parquet`):
    the mapped columns are there, each of a type that reader reads (ids text or numbers,
    skills text, numbers or lists of them), its error naming the file and column otherwise.
    Unchecked, Spark served a boolean or binary id column as text of its own, where the
    in-process engine refuses it. A file without rows is read as no rows (its columns may have
    no type), as there."""
    from adaptive.data.readers import check_parquet_types, select_columns

    read, _, optional = select_columns(str(part), schema.names, mapping, line=None)
    if rows:
        kinds = pa.schema([schema.field(name) for name in read])
        check_parquet_types(str(part), kinds, mapping, optional)


def _check_time_type(
    path: Path, schema: pa.Schema, column: str, rows: int, mapping: ColumnMapping
) -> None:
    """The Spark engine compares times as Parquet timestamps: a column of text ("28/09/2026
    10:00") or of numbers (epoch seconds), which the in-process reader parses with
    `--time-format` / `--time-unit`, ended the Spark night in a Spark cast error. Refused
    here, with the command that converts it."""
    kind = schema.field(column).type if column in schema.names else None
    given = mapping.time_format or mapping.time_unit
    if given is None and (not rows or kind is None or pa.types.is_timestamp(kind)):
        return
    what = f"--time-format/--time-unit {given!r}" if given else f"Parquet type {kind}"
    raise ConfigError(
        f"{path}, column {column!r}: got {what}; the Spark engine reads times from a "
        "Parquet timestamp column: convert it first (`adaptive validate FILE --out "
        "LOG.parquet` with --time-format or --time-unit) or use --engine local"
    )


def _warn_arm_changes(session, out: Path, day: str, reassigned: bool) -> None:
    """The students served another arm of the experiment tonight than on the last night
    before, counted by Spark from the arm each school served (what the in-process engine's
    `warn_arm_changes` counts from tonight's profiles): a join of the two nights' students
    tables, so that only the count reaches the driver (it held a dict of the district's
    classes and schools for this)."""
    from pyspark.sql import functions as F

    found = arm_parts(out, day)
    if found is None:
        return
    night, parts = found
    tonight = sorted((Path(out) / "students" / f"date={day}").glob("school=*/part-0.parquet"))
    if not tonight:
        return
    before = (
        session.read.parquet(*map(str, parts))
        .select("student_id", F.col("arm").alias("before"))
        .where(F.col("before") != "")
    )
    now = session.read.parquet(*map(str, tonight)).select("student_id", "arm")
    changed = before.join(now, "student_id").where(
        (F.col("arm") != "") & (F.col("arm") != F.col("before"))
    )
    say_arm_changes(changed.count(), night, reassigned)


def _profiles_path(profiles: Any) -> Path | None:
    if isinstance(profiles, dict):
        if profiles:
            raise ConfigError(
                "the Spark engine reads learner profiles from a JSON-lines file: pass its path"
            )
        return None
    path = Path(profiles)
    if path.suffix.lower() in (".csv", ".parquet"):
        raise ConfigError(
            f"{path}: the Spark engine reads learner profiles from a JSON-lines file (each "
            "executor streams its school's lines); write the table as JSON lines first: "
            "adaptive.curriculum.write_profiles(read_profiles(table), 'profiles.jsonl')"
        )
    return path


def _overrides(
    given: Any, catalog: Catalog, profiles_path: Path | None, night: str
) -> OverrideSet | None:
    """Teacher overrides for `night`, checked against the profiles of the students they name
    only (the driver streams the profiles file and keeps those: never the district's), and the
    district's classes with their schools (each file's `class_id` and `school_id`). A profile's student id is matched trimmed, as
    `LearnerProfile` reads it (`_json_text`): as written, a padded profile's student was
    skipped as one who left, where the in-process engine applies their override. Where a file
    names a student in no profile, the students of its classes are kept too (`_class_rosters`):
    a typo'd id is named with the classmate it most likely means, as in the in-process engine.
    A file dated after the night is said by `overrides_dropped`, as in-process."""
    if given is None or isinstance(given, OverrideSet):
        return given
    named = named_students(Path(given))
    profiles: dict[str, LearnerProfile] = {}
    classes: dict[str, set[str]] = {}  # class id -> its schools ("": no school)
    if profiles_path is not None and named:
        for _, line in user_text_lines(profiles_path, PROFILES_EXPECTED):
            klass = _json_text(CLASS_ID.search(line))
            if klass:
                classes.setdefault(klass, set()).add(_json_text(SCHOOL_ID.search(line)) or "")
            student = _json_text(STUDENT_ID.search(line))
            if student in named:
                p = profile_from_json(line, f"{profiles_path} (student {student})")
                profiles[p.student_id] = p
    rosters = None
    if profiles_path is not None and named - set(profiles):
        of = {p.class_id for p in profiles.values() if p.class_id} | named_classes(Path(given))
        rosters = _class_rosters(profiles_path, of)
    return read_overrides(
        given, catalog, profiles, night=night, classes=classes or None, rosters=rosters,
        warn_later=False, strict=False,
    )  # fmt: skip


def _class_rosters(profiles_path: Path, classes: Collection[str]) -> dict[str, list[str]]:
    """The student ids of `classes` in the profiles file (streamed again: only for a night
    whose overrides name a student in no profile, a few classes' ids)."""
    rosters: dict[str, list[str]] = {}
    for _, line in user_text_lines(profiles_path, PROFILES_EXPECTED):
        klass = _json_text(CLASS_ID.search(line))
        student = _json_text(STUDENT_ID.search(line))
        if klass in classes and student:
            rosters.setdefault(klass, []).append(student)
    return rosters


STUDENT_ID = re.compile(r'"student_id"\s*:\s*"((?:[^"\\]|\\.)*)"')
CLASS_ID = re.compile(r'"class_id"\s*:\s*"((?:[^"\\]|\\.)*)"')
SCHOOL_ID = re.compile(r'"school_id"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _json_text(match: re.Match | None) -> str | None:
    """The text a `STUDENT_ID`, `CLASS_ID` or `SCHOOL_ID` match holds, unescaped and trimmed (as
    `LearnerProfile` reads a student id: " s1 " is "s1"); None without a match, or for text
    that is no JSON string (the profiles reader's to name)."""
    if match is None:
        return None
    try:
        return json.loads(f'"{match.group(1)}"').strip()
    except ValueError:
        return None


def _snapshot_meta(state_dir: Path, date: str) -> dict:
    folder = snapshot_dir(state_dir, date)
    return read_sealed_json(folder / "meta.json", f"snapshot {folder / 'meta.json'}")


def _fingerprint(model_name, version, meta, k, context, profiles_path, log_path, since) -> str:
    """Everything the night's outputs depend on (the driver never reads the students)."""
    doc = {
        "engine": "spark",
        "model": [model_name, version],
        "snapshot": meta.get("sha256") if meta else None,
        "since": since,
        "k": k,
        "catalog": hashlib.sha256(context.catalog_json.encode()).hexdigest(),
        "policy": context.policy_json,
        "profiles": file_sha256(profiles_path) if profiles_path else None,
        "log": file_sha256(log_path) if log_path.is_file() else _folder_sha(log_path),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _started_from(meta: dict | None, since: int | None) -> str:
    """The state a Spark night starts from, as its `_SUCCESS.json` records it
    (`night_checks.served_inputs`): the sha256 of the snapshot it read (None on a first night)
    and of whether it resumed from it (`since`), together."""
    doc = [meta.get("sha256") if meta else None, since]
    return hashlib.sha256(json.dumps(doc).encode()).hexdigest()


def _folder_sha(folder: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            digest.update(str(p.relative_to(folder)).encode())
            digest.update(file_sha256(p).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class SparkLog:
    """The Parquet log as Spark plans to read it: `cells`, every row's columns under their
    canonical names (and `_row`, its position in its file); `read`, the rows the in-process job
    reads (every row, or those since the reused snapshot's cutoff, and those without a time, to
    be refused); `reading`, each canonical column as the in-process reader reads it
    (`_log_reading`: one aggregate over `read`, which refuses a row that reader refuses);
    `nanos`, whether its times are nanoseconds (read as numbers: `_time_literal`)."""

    cells: Any
    read: Any
    reading: dict[str, Any]
    nanos: bool

    @classmethod
    def planned(
        cls, session, path: Path, columns: dict[str, str], mapping: ColumnMapping, since
    ) -> SparkLog:
        """The log at `path` planned in `session` (`since`: the reused snapshot's cutoff, ns,
        or None); runs `_log_reading`'s aggregate, so a log with a row the in-process reader
        refuses stops here, before anything is written."""
        from pyspark.sql import functions as F

        nanos = _time_in_nanoseconds(path, columns["timestamp"])
        if nanos:  # pandas' and pyarrow's default unit, which Spark cannot read as a timestamp
            session.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")
        raw = session.read.parquet(str(path))
        cells = raw.select(
            *(F.col(src) for src in columns.values()), F.col("_metadata.row_index").alias("_row")
        ).toDF(*columns, "_row")
        ts = F.col("timestamp")
        read = cells  # the rows the in-process job reads
        if since is not None:  # a row without a time is read, as in-process, to be refused
            read = cells.where(ts.isNull() | (ts >= _time_literal(since, nanos)))
        return cls(cells, read, _log_reading(read, path, columns, mapping), nanos)

    def students(self):  # a pyspark DataFrame (imported by Spark only)
        """Every row's student id (one `student_id` column), of the whole log: the students
        the in-process job knows, from the rows it reads and its snapshot's history."""
        return self.cells.select(self.reading["student_id"].alias("student_id"))


def _check_log_ids(
    log: SparkLog, profiles_path: Path | None, source: str, first_night: bool
) -> None:
    """`check_log_ids_match` of the log's distinct student ids, as Spark reads them (text,
    trimmed), against the profiles' ids: the in-process engine's refusal (same words, exit 2)
    of a log whose ids are not the roster's, on the driver before any school is served; on a
    `first_night` (one not served from placement alone), `warn_few_students_answered` of the
    same ids (`source`: the log's name). Only the distinct ids reach
    the driver (one Spark pass), as the in-process job's set of them."""
    if profiles_path is None:
        return
    found = log.students().where("student_id IS NOT NULL").distinct().toArrow()
    students = found.column(0).to_pylist()
    profiles = dict.fromkeys(profile_field(profiles_path, "student_id"))
    check_log_ids_match(students, profiles, rows_of=functools.partial(_responses_words, log))
    if first_night:
        answered = sum(s in profiles for s in students)
        warn_few_students_answered(answered, len(profiles), source)


def _responses_words(log: SparkLog, ids: list[str]) -> str:
    """`rows_words` of the rows the in-process job reads (`log.read`) of the students `ids`:
    one Spark aggregate (their count, oldest and newest time), filtered by the ids the driver
    holds, so a refusal says where their rows are as in-process (without the ids)."""
    from pyspark.sql import functions as F

    ts = F.col("timestamp")
    ns = ts if log.nanos else F.unix_micros(ts.cast("timestamp")) * 1000  # naive ones as UTC
    found = (
        log.read.where(log.reading["student_id"].isin(list(ids)))
        .agg(F.count(F.lit(1)).alias("n"), F.min(ns).alias("first"), F.max(ns).alias("last"))
        .first()
    )
    span = None if found["first"] is None else (int(found["first"]), int(found["last"]))
    return rows_words(int(found["n"]), span)


@contextlib.contextmanager
def _one_line_errors(path: Path, columns: dict[str, str], mapping: ColumnMapping) -> Iterator[None]:
    """A context in which Spark's errors (which carry JVM stacks) become one line: a row the
    in-process reader refuses, named by file and line (`_located_rows`), else `_driver_error`;
    an `AdaptiveError` passes as raised."""
    try:
        yield
    except AdaptiveError:
        raise
    except Exception as exc:
        raise _located_rows(exc, path, columns, mapping) or _driver_error(exc) from None


def _run_schools(
    session, night, log: SparkLog, profiles_path, previous, placed_rows=None
) -> list[dict]:
    """The Spark plan of steps 2-4 over the planned `log`; the collected rows (one per
    school)."""
    from pyspark.sql import functions as F

    answered = log.students()  # every student of the log, as the in-process job's
    ts = F.col("timestamp")
    names = [name for name in log.cells.columns if name != "_row"]
    responses = log.read.select(*(log.reading[name].alias(name) for name in names), "_row")
    responses = responses.where(ts < _time_literal(night.cutoff_ns, log.nanos))
    students = _students_frame(session, profiles_path, previous)
    school_of = students.select("student_id", "school")
    if placed_rows is not None:
        count_placed_off_roster(session, students, answered, placed_rows, night.placement_source)
        students = with_placement(session, students, responses, placed_rows)
    responses = responses.join(school_of, "student_id", "left").withColumn(
        "school", F.coalesce(F.col("school"), F.lit(UNASSIGNED_SCHOOL))
    )

    def serve(key, responses: pa.Table, people: pa.Table) -> pa.Table:
        try:
            return serve_spark_school(night, str(key[0].as_py()), responses, people)
        except AdaptiveError as exc:  # Spark re-raises a traceback: keep type and message
            raise RuntimeError(f"{ERROR_MARK}[{type(exc).__name__}] {exc} [/{ERROR_MARK}]") from exc

    result = (
        responses.groupBy("school")
        .cogroup(students.groupBy("school"))
        .applyInArrow(serve, schema=RESULT_SCHEMA)
    )
    return [row.asDict() for row in result.collect()]


def _log_reading(
    cells, path: Path, columns: dict[str, str], mapping: ColumnMapping
) -> dict[str, Any]:
    """Each canonical column of the log as the in-process reader reads it: pyspark Columns over
    `cells` (the log's columns under their canonical names, the rows that reader reads),
    decided by one Spark aggregate over those rows before any school is served. Ids are text
    (`_id_text`), a text or float column of whole numbers (14.0, "14.0") read as "14" as that
    reader reads the whole column (`validate._to_string`); skills are lists (`_skill_lists`: a
    text column holds one skill a row, or several split at the mapping's `skills_sep`);
    `correct` is 0 or 1 (`_correct_number`). The same aggregate stops the night, before any
    school is served, for a float id with a fraction (`_refuse_fractions`) and for a row that
    reader refuses (`_refuse_unread_rows`): an empty id or skill list (else found by its
    school's executor only, once other schools were served, and never in a row dated after the
    night), an answer it does not read, or no time."""
    from pyspark.sql import functions as F

    sep = mapping.skills_sep
    facts = {name: _not_whole(cells, name) for name in ("student_id", "item_id", "skill_ids")}
    ids = [name for name, fact in facts.items() if fact is not None]
    found = cells.agg(
        F.bool_or(_unread(cells, sep)).alias("_unread"), *(facts[name].alias(name) for name in ids)
    ).first()
    _refuse_fractions(cells, path, columns, {name: found[name] for name in ids})
    if found["_unread"]:
        _refuse_unread_rows(path, columns, mapping)
    whole = {name: found[name] is None for name in ids}
    return {
        "student_id": _id_text(cells, "student_id", whole.get("student_id", False)),
        "item_id": _id_text(cells, "item_id", whole.get("item_id", False)),
        "skill_ids": _skill_lists(cells, "skill_ids", sep, whole.get("skill_ids", False)),
        "correct": _correct_number(cells, "correct"),
        "timestamp": F.col("timestamp"),
    }


#: The characters the in-process reader trims from ids and words (Arrow's
#: `utf8_trim_whitespace`, the same as `str.strip`: Unicode white space such as a no-break
#: space, and the separators U+001C-U+001F), as a character class that Java's regular
#: expressions (Spark's) and Python's read alike. Java's `\s` is ASCII white space only, and
#: its Unicode `\s` lacks the separators.
WHITE_SPACE = r"[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def _trimmed(value):  # a pyspark Column (imported by Spark only)
    """`value` (text) without the `WHITE_SPACE` at either end, as the in-process reader trims."""
    from pyspark.sql import functions as F

    return F.regexp_replace(value, f"^{WHITE_SPACE}+|{WHITE_SPACE}+$", "")


def _id_text(frame, column: str, whole_floats: bool = False):
    """A log's ids (students, items; skills of a text column) as the in-process reader reads
    them (`validate._check_id`): text, trimmed (" stu1 " and "stu1" followed by a no-break
    space are "stu1"), an integer column's digits (4500123 is "4500123"), a float column's
    whole numbers' digits (14.0 is "14"; `_refuse_fractions` refused any other float);
    `whole_floats`: the text column holds only whole numbers written as floats ("14.0" is
    "14", as `log.whole_floats_as_integers` reads such a column). Empty (null) when only white
    space was there, which `_refuse_unread_rows` refuses. Left as numbers, student ids were
    joined to the roster's text ids by casting the roster's to numbers ("004500123" matched
    4500123), and a float column's 14.0 was the student "14.0"; left untrimmed, the same log
    traced other items and students on Spark than in-process, and an id of spaces was served."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    kind = frame.schema[column].dataType
    value = F.col(column)
    if isinstance(kind, T.FloatType | T.DoubleType):
        return F.when(_whole_number(value), value.cast("long").cast("string"))
    if not isinstance(kind, T.StringType):  # integers (uint64: a decimal of scale 0)
        return value.cast("string")
    value = _trimmed(value)
    if whole_floats:
        value = F.regexp_replace(value, r"\.0+$", "")
    return F.when(value != "", value)


def _whole_number(value):  # a pyspark Column (imported by Spark only)
    """Whether a float is a whole number that an int64 holds (`validate._to_string` reads a
    column of them as their digits); false for a fraction, NaN or an infinity."""
    from pyspark.sql import functions as F

    return ~F.isnan(value) & (value % 1 == 0) & (F.abs(value) < 2.0**63)


def _not_whole(frame, column: str):
    """The aggregate that tells how the id column `column` is read (`_id_text`): an id that is
    not a whole number written as a float (text other than "14.0": the column is read as
    written; a float with a fraction, 14.5: refused), null when there is none; None for a
    column whose type says it (integers, lists of skills)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    kind = frame.schema[column].dataType
    value = F.col(column)
    if isinstance(kind, T.FloatType | T.DoubleType):
        return F.max(F.when(value.isNotNull() & ~_whole_number(value), value))
    if isinstance(kind, T.StringType):
        text = _trimmed(value)
        return F.max(F.when((text != "") & ~text.rlike(WHOLE_FLOAT), text))
    return None


def _refuse_fractions(frame, path: Path, columns: dict[str, str], found: dict) -> None:
    """A `ConfigError` for a float id column holding a number with a fraction (`found`: each
    id column's `_not_whole`): the in-process reader keeps such a column's numbers as Arrow
    writes them ("14.5", "1e+20"), which Spark writes otherwise ("1.0E20"), so the engines
    would serve other students or items. Such ids are rare (a wrong column?): the user writes
    them as text first, or uses the in-process engine."""
    from pyspark.sql import types as T

    for name, example in found.items():
        if example is None or isinstance(frame.schema[name].dataType, T.StringType):
            continue
        raise ConfigError(
            f"{path}: column '{columns[name]}' holds ids written as numbers with a fraction "
            f"(e.g. {example!r}); the Spark engine reads a float id column only when every id "
            'is a whole number (14.0 as "14", as the in-process reader does): write the ids '
            "as text first (`adaptive validate FILE --out LOG.parquet` with its column "
            "options) or use --engine local"
        )


def _skill_lists(frame, column: str, sep: str | None, whole_floats: bool = False):
    """Each row's skills as a list, as the in-process reader reads them (`validate._check_skills`):
    a list column as it is (cleaned on the executor: `_school_log`); a text or number column
    read as ids (`_id_text`), one skill a row, or split at `sep` (the mapping's `skills_sep`,
    read as the text it is). Left as text, such a column failed on the executors with an
    internal error (no cast from text to a list)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if isinstance(frame.schema[column].dataType, T.ArrayType):
        return F.col(column)
    text = _id_text(frame, column, whole_floats)
    if sep is None:
        return F.array(text)
    return F.split(F.coalesce(text, F.lit("")), re.escape(sep))


def _unread(frame, sep: str | None):  # a pyspark Column (imported by Spark only)
    """Whether the in-process reader refuses a row of the log: an empty student or item id, no
    skill left once the list is cleaned (`log.clean_skill_lists`), an answer it does not read
    (`_correct_number` left it empty), or no time (else dropped unsaid: a cutoff compares
    nothing with it)."""
    from pyspark.sql import functions as F

    skills = _skill_lists(frame, "skill_ids", sep)
    skill = F.exists(skills, lambda s: _trimmed(s.cast("string")) != "")
    return (
        _id_text(frame, "student_id").isNull()
        | _id_text(frame, "item_id").isNull()
        | ~F.coalesce(skill, F.lit(False))
        | _correct_number(frame, "correct").isNull()
        | F.col("timestamp").isNull()
    )


def _correct_number(frame, column: str):
    """A log's `correct` as the in-process reader reads it (`validate._check_correct`): 1 or 0
    from a boolean, from the number 1 or 0, or from the text of a right or a wrong answer
    (`log.RIGHT_WORDS`, `WRONG_WORDS`: trimmed, any case, so a spreadsheet's TRUE / FALSE;
    a whole number written as a float, "1.00", or with a decimal comma, "1,0", as that reader
    reads a Parquet cell, in any mix); empty (null) for any other value, which
    `_refuse_unread_rows` refuses. Left as they were, a boolean or text column failed on the
    executors with an internal error."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    kind = frame.schema[column].dataType
    value = F.col(column)
    if isinstance(kind, T.BooleanType):
        return value.cast("tinyint")
    if isinstance(kind, T.NumericType):
        right, wrong = value == 1, value == 0
    else:
        word = F.lower(_trimmed(value.cast("string")))
        word = F.regexp_replace(word, r"^([+-]?\d+),(\d+)$", "$1.$2")  # a decimal comma
        word = F.regexp_replace(word, r"^(\d+)\.0+$", "$1")
        right, wrong = word.isin(*RIGHT_WORDS), word.isin(*WRONG_WORDS)
    return F.when(right, 1).when(wrong, 0).cast("tinyint")


def _refuse_unread_rows(path: Path, columns: dict[str, str], mapping: ColumnMapping) -> None:
    """The in-process reader's error for the rows of the log it refuses, found by Spark
    (`_unread`): each such row's file (its part, in a folder) and line, and all of them
    counted. The driver re-reads the log's checked columns to name them
    (`validate.parquet_problems`, streamed, with the mapping's rules), on this failure path
    only."""
    found = parquet_problems(path, columns, mapping)
    if found is not None:  # else the executors' check names the rows it finds (`_check_rows`)
        raise found


class SparkNightError(AdaptiveError):
    """The Spark engine's night failed on the cluster (the executor's reason is in the message)."""


def _located_rows(
    exc: Exception, path: Path, columns: dict[str, str], mapping: ColumnMapping
) -> AdaptiveError | None:
    """An executor's `DataValidationError` (`_check_rows`: an empty id or skill list, counted
    in its school only) as the in-process reader's, naming each row's file and line over the
    whole log: the driver re-reads the log's checked columns (`validate.parquet_problems`,
    streamed), on this failure path only. None for another failure, or when the re-read names
    no row."""
    if f"{ERROR_MARK}[DataValidationError]" not in str(exc):
        return None
    return parquet_problems(path, columns, mapping)


def _driver_error(exc: Exception) -> AdaptiveError:
    """An executor's failure as one error: the `AdaptiveError` it raised (type and message),
    another Python exception of a worker (its own line of the traceback Spark wraps: "ValueError:
    ..."), or Spark's own first line (e.g. a lost executor) without the JVM stack."""
    text = str(exc)
    start = text.find(f"{ERROR_MARK}[")
    if start >= 0:
        end = text.find(f"[/{ERROR_MARK}]", start)
        kind, _, message = text[start + len(ERROR_MARK) + 1 : end].partition("] ")
        return SparkNightError(f"{kind} on an executor: {message.strip()}")
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    reason = _python_exception(text) or first
    return SparkNightError(f"the Spark job failed: {reason[:500]}")


def _python_exception(text: str) -> str | None:
    """The exception that ends the last Python traceback in `text` ("ValueError: ..."), None
    when `text` holds no traceback. Its lines start at the margin, after the indented frames;
    what follows them (Spark's " SQLSTATE: ..." or a JVM stack) is indented again."""
    _, found, trace = text.rpartition("Traceback (most recent call last):")
    message: list[str] = []
    for line in trace.splitlines()[1:] if found else []:
        if line and not line[0].isspace():
            message.append(line)
        elif message:
            break
    return "\n".join(message) or None


def _students_frame(session, profiles_path: Path | None, previous: Path | None):
    """One row per known student: school, profile (JSON text) and previous state columns. A
    profile's student id is its key as `LearnerProfile` reads it, trimmed (`_trimmed`: " s1 "
    is the log's "s1"); its school is the school id as written, as the in-process job keys it.
    Untrimmed, a padded profile's student was served twice: in the profile's school without
    the log's answers, and as unassigned with them."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    keys = StructType(
        [StructField("student_id", StringType()), StructField("school_id", StringType())]
    )
    frame = None
    if profiles_path is not None:
        text = session.read.text(str(profiles_path)).where(F.trim(F.col("value")) != "")
        parsed = F.from_json(F.col("value"), keys)
        frame = text.select(
            _trimmed(parsed["student_id"]).alias("student_id"),
            parsed["school_id"].alias("profile_school"),
            F.col("value").alias("profile"),
        )
    # the previous night's school folders, listed here: given a pattern (school=*), Spark
    # first looks for a streaming sink's metadata under that pattern taken as a folder name,
    # and logs a warning with a Java stack trace when there is no such folder
    schools = sorted(str(p) for p in previous.glob("school=*")) if previous is not None else []
    if schools:
        state = session.read.option("basePath", str(previous)).parquet(*schools)
        state = state.drop("school")
        frame = state if frame is None else frame.join(state, "student_id", "full_outer")
    if frame is None:
        frame = session.createDataFrame([], "student_id string, profile string")
    if "profile" not in frame.columns:
        frame = frame.withColumn("profile", F.lit(None).cast("string"))
    if "profile_school" not in frame.columns:
        frame = frame.withColumn("profile_school", F.lit(None).cast("string"))
    school = F.coalesce(
        F.when(F.col("profile_school") != "", F.col("profile_school")), F.lit(UNASSIGNED_SCHOOL)
    )
    return frame.withColumn("school", school).drop("profile_school")


_MODELS: dict[str, KnowledgeTracer] = {}


def _shipped_names(folder: Path, sha: str) -> dict[str, str]:
    """A unique flat name for every file of the artifact folder (Spark ships files, not
    folders, to a cluster; two models in one session must not collide)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {f"{sha[:16]}-{i}-{p.name}": str(p.relative_to(folder)) for i, p in enumerate(files)}


def _ship_model(session, folder: Path, names: dict[str, str], staging: Path) -> None:
    """`SparkContext.addFile` for each artifact file, under its shipped name."""
    staging.mkdir(parents=True, exist_ok=True)
    for shipped, relative in names.items():
        shutil.copyfile(folder / relative, staging / shipped)
        session.sparkContext.addFile(str(staging / shipped))


def _executor_model(night: SparkNight) -> KnowledgeTracer:
    """The champion rebuilt from the shipped files, once per Python worker: the files are laid
    out as the artifact folder again and loaded by `KnowledgeTracer.load`, which verifies every
    checksum (no model object is pickled)."""
    model = _MODELS.get(night.model_sha)
    if model is None:
        from pyspark import SparkFiles

        with tempfile.TemporaryDirectory(prefix="adaptive-champion-") as tmp:
            for shipped, relative in night.model_files.items():
                target = Path(tmp) / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(SparkFiles.get(shipped), target)
            model = KnowledgeTracer.load(Path(tmp), label="the champion shipped to this executor")
        _MODELS.clear()
        _MODELS[night.model_sha] = model
    return model


def _stage_experiment(
    experiment: Assignment | str | Path | None, staging: Path, profiles_path: Path | None = None
) -> tuple[str | None, AssignmentFacts | None]:
    """The experiment (an `Assignment`, or its file: `Assignment.load` checks it whole) written
    under `staging` for `SparkContext.addFile`, under a name unique to it (its digest as
    prefix): that name and its facts, what the driver keeps of it (None, None without one).
    An assignment of none of the profiles' classes (schools) is refused first, as by the
    in-process engine (`check_covers_units`, streamed from the file). The assignment itself,
    every class's arm, is dropped on return: the executors read it from the shipped file
    (`_executor_experiment`)."""
    if experiment is None:
        return None, None
    assignment = experiment if isinstance(experiment, Assignment) else Assignment.load(experiment)
    if profiles_path is not None:
        check_covers_units(assignment, profile_fields(profiles_path, ("school_id", "class_id")))
    facts = assignment.facts()
    name = f"{facts.sha256[:16]}-experiment.json"
    staging.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(staging / name, assignment.to_bytes())
    return name, facts


_EXPERIMENTS: dict[str, Assignment] = {}


def _executor_experiment(night: SparkNight) -> Assignment | None:
    """The night's assignment read from its shipped file (`Assignment.load` verifies it), once
    per Python worker; None without an experiment. Shipped inside the night instead, every
    class's arm was held by the driver and pickled with every school's task."""
    if night.experiment_file is None:
        return None
    assignment = _EXPERIMENTS.get(night.experiment_file)
    if assignment is None:
        from pyspark import SparkFiles

        assignment = Assignment.load(SparkFiles.get(night.experiment_file))
        _EXPERIMENTS.clear()
        _EXPERIMENTS[night.experiment_file] = assignment
    return assignment


def serve_spark_school(
    night: SparkNight, school: str, responses: pa.Table, people: pa.Table
) -> pa.Table:
    """Step 4 for one school on an executor: trace, place, absorb, serve, write; one row back."""

    started = time.perf_counter()
    model = _executor_model(night)
    context = night.context
    catalog, config = context.catalog, context.policy.config
    profiles = (
        {
            p.student_id: p
            for p in (
                profile_from_json(line, "profiles (on an executor)")
                for line in people.column("profile").to_pylist()
                if line is not None
            )
        }
        if "profile" in people.column_names
        else {}
    )
    empty = model.init_state()
    if night.reuse:
        tracer, history = decode_state(people, catalog, night.window, empty)
    else:
        tracer, history = empty, StudentHistory.empty(catalog, night.window)
    log = _school_log(responses) if responses.num_rows else None
    absorbed = log.students.tolist() if log is not None else []
    given = school_placement(people, night.placement_source)
    place_new_students(
        model, tracer, catalog, profiles, [*profiles, *absorbed], config.grade_table, given=given
    )
    untraced = Untraced()  # answers on skills the model lacks: the driver says it once
    off_catalog = OffCatalog.of(log, catalog) if log is not None else OffCatalog()  # and these
    if log is not None:
        history.absorb(log, catalog, config.repeatable_kinds)
        untraced = model.untraced(log)
        model.update(tracer, log, warn_untraced=False)
    held = sorted(set(profiles) | set(history.students) | set(tracer.students))
    state_table = encode_state(tracer, history, held)  # the roster-only students stay in it
    placed_only = roster_only(held, profiles, history.students)  # not served, as in-process
    roster = np.asarray(held, dtype=object)[~placed_only].tolist()
    blob = writer.parquet_bytes(state_table)
    atomic_write_bytes(
        Path(night.state_partial) / writer.school_dir(school) / writer.PART_FILE, blob
    )
    served = Night(
        model=model,
        state=tracer,
        history=history,
        catalog=catalog,
        profiles=profiles,
        config=config,
        context=context,
        out=Path(night.out),
        day=night.day,
        resumed=night.resumed,
        roster=roster,
        school_of=np.full(len(roster), school, dtype=object),
        overrides=night.overrides,
        experiment=_executor_experiment(night),
        placement=given,
    )
    # a school of none but roster-only students: none served, no partition (none in-process)
    done = _serve_one(served, school) if roster else SchoolDone(school, False, {}, 0, 0, 0)
    listing = done.files
    return pa.table(
        {
            "school": [school],
            "written": [done.written],
            "served": [done.served],
            "stuck": [done.stuck],
            "skills": [json.dumps(done.skill_counts, sort_keys=True)],
            "new_responses": [len(log) if log is not None else 0],
            "without_profile": [sum(1 for sid in roster if sid not in profiles)],
            # for the driver's check of ids written otherwise than the roster's (not logged)
            "without_profile_ids": [json.dumps([s for s in roster if s not in profiles])],
            "listing": [json.dumps(listing, sort_keys=True)],
            "state_rows": [state_table.num_rows],
            "state_sha256": [hashlib.sha256(blob).hexdigest()],
            "seconds": [time.perf_counter() - started],
            "untraced": [untraced.responses],
            "untraced_skills": [json.dumps(untraced.skills)],
            "unserved": [done.unserved],
            "below_k": [done.below_k],
            "short_with_time_left": [done.short_with_time_left],
            "outside_experiment": [done.outside_experiment],
            "off_catalog": [off_catalog.to_json()],
            # of the unserved, those with every skill known, by placement words (no ids)
            "all_known": [json.dumps(done.all_known, sort_keys=True)],
            # students served by each arm of the night's experiment ('': outside it)
            "by_arm": [json.dumps(done.by_arm, sort_keys=True)],
            # students kept in the state, not served (`roster_only`): the driver's warning
            "roster_only_ids": [json.dumps(np.asarray(held, dtype=object)[placed_only].tolist())],
            "state_only": [not roster],
        }
    )


def _school_log(responses: pa.Table):
    """The school's responses as a `ResponseLog` built as the in-process reader builds it, in
    its order: by student, then time, then position in the file (Spark's shuffle does not keep
    that order). Skill lists are cleaned as that reader cleans them (`clean_skill_lists`: ids
    trimmed, empty ones dropped, one named twice kept once). Rows the reader would refuse stop
    the night with the reader's error type."""
    from adaptive.data.log import SKILL_LIST_TYPE, ResponseLog, clean_skill_lists

    table = responses.sort_by(
        [("student_id", "ascending"), ("timestamp", "ascending"), ("_row", "ascending")]
    )
    skills = table.column("skill_ids").combine_chunks().cast(SKILL_LIST_TYPE)
    table = table.set_column(
        table.schema.get_field_index("skill_ids"), "skill_ids", clean_skill_lists(skills)
    )
    _check_rows(table)
    ns = pc.cast(table.column("timestamp"), pa.timestamp("ns", tz="UTC")).cast(pa.int64())
    frame = pd.DataFrame(
        {
            "student_id": pd.Series(table.column("student_id").to_pandas(), dtype=str),
            "item_id": pd.Series(table.column("item_id").to_pandas(), dtype=str),
            "skill_ids": pd.Series(
                table.column("skill_ids").cast(SKILL_LIST_TYPE),
                dtype=pd.ArrowDtype(SKILL_LIST_TYPE),
            ),
            "correct": table.column("correct").to_numpy().astype(np.int8),
        }
    )
    frame["timestamp"] = pd.to_datetime(ns.to_numpy(), unit="ns", utc=True)
    return ResponseLog.from_canonical(frame, source="spark")


def _check_rows(table: pa.Table) -> None:
    """The reader's value rules that matter for tracing: ids, times, skills and `correct`
    present (a `DataValidationError`, as the in-process reader gives; `correct` is 0 or 1 or
    empty already: `_correct_number`)."""
    from adaptive.errors import DataValidationError, Problem

    bad = []
    for name in ("student_id", "item_id", "timestamp", "skill_ids", "correct"):
        nulls = table.column(name).null_count
        if nulls:
            bad.append(Problem(SPARK_LOG, None, name, f"{nulls} empty value(s)", "a value"))
    empty = pc.sum(pc.equal(pc.list_value_length(table.column("skill_ids")), 0)).as_py()
    if empty:
        bad.append(Problem(SPARK_LOG, None, "skill_ids", f"{empty} empty list(s)", "a skill"))
    if bad:
        raise DataValidationError(bad)


def _commit_snapshot(
    state_dir, day, partial: Path, cutoff, model_name, version, rows, recorded=None, catalog=None,
    placement=None, grade_table=None,
) -> None:  # fmt: skip
    """Seal the executors' state partitions as the snapshot of `day` (renamed into place);
    `recorded`: the log's rows before the cutoff and their digest (`log_digest`), for the next
    night; `catalog`: the catalog's layout (`catalog_layout`), so that a night on another
    catalog rebuilds (`snapshot.catalog_changed`), as for the in-process engine's snapshots;
    `placement`: the sha256 of the placement table its students were placed from, so that a
    night given another table rebuilds (`night_checks.placement_table_changed`); `grade_table`:
    the grade table that placed its new students (the policy's, else the model's:
    `grade_table_record`), likewise."""
    files = {r["school"]: r["state_sha256"] for r in rows}
    meta = {
        "date": day,
        "cutoff": cutoff.isoformat(),
        "model_name": model_name,
        "model_version": str(version),
        "format": SPARK_FORMAT,
        "students": int(sum(r["state_rows"] for r in rows)),
        "files": files,
        "sha256_files": hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest(),
        **({"before_cutoff": recorded} if recorded is not None else {}),
        **({"catalog": catalog} if catalog is not None else {}),
        **({"placement": placement} if placement is not None else {}),
        **({"grade_table": grade_table} if grade_table is not None else {}),
    }
    partial.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(partial / "meta.json", sealed_json(meta))
    final = snapshot_dir(state_dir, day)
    if final.exists():
        shutil.rmtree(final)
    os.replace(partial, final)
