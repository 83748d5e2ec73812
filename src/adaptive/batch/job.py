"""The daily job: every student's next activities from the promoted model, one night at a time.

    summary = run_daily_job("2027-02-12", "out/batch")        # demo district, demo champion

For date D (recommendations for day D, from every response before D 00:00 UTC):
1. load the champion (`adaptive.registry`), the catalog, the learner profiles and the log;
2. take the latest state snapshot before D and only the responses since its cutoff; update the
   tracer state and the history features incrementally (a snapshot from another model version
   is not reused: the tracer state is then rebuilt from the full history; a log whose rows
   before the snapshot's cutoff changed, in count or in content (`log_digest`), rebuilds both);
3. save the snapshot for D (with forked workers, while the schools are served: the night's
   fingerprint takes the state's digest from memory);
4. per school, run the pure partition functions (`partition.py`) and write Parquet partitioned by
   date and school (`writer.py`: atomic, idempotent, resumable);
5. log a summary run to MLflow (students served, time, recommended skills, share stuck): the
   run is opened while the inputs are read and takes the night's figures in one batch at the
   end; a night that fails deletes it (one killed outright leaves it RUNNING).
Bad input follows the data layer's rule: stop with the problems, or with `quarantine=FILE` load
the good rows and write the rejected ones there (the summary reports both counts).

Steps 1-5 hold the date's lock in `out` (`lock.py`): a second run for the same date and output
fails at once naming the holder; and the folder's serving lock: a run of another date while a
night is served fails at once too, naming that night. A date before the last night served in
`out` or `state_dir` is refused (checked under those locks) unless it is a back-fill
(`backfill=True`, `--backfill`); a run that fails before writing anything (an input error)
leaves no folder or lock file behind. Each night's `_SUCCESS.json` records the policy that
served it (sha256 of its settings, its source and exploration mode): a re-run with another
policy, like one with another model version, says what it replaces (`night_checks`). The
catalog and profiles default to the demo district's only for the demo data; a user's log needs
its own catalog, and the model's skills must overlap it (`check_skill_coverage`: none is an
error, some a warning with the numbers). When the outputs are complete but the MLflow summary
cannot be logged, `SummaryNotLoggedError` says so (the outputs stand; the summary object rides
on the error).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import hashlib
import json
import multiprocessing
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.parquet as pq
from mlflow.entities import Metric, Param, RunTag
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from threadpoolctl import threadpool_limits

from adaptive.batch import writer
from adaptive.batch.history import StudentHistory
from adaptive.batch.lock import night_locks
from adaptive.batch.log_digest import (
    changed_before_cutoff,
    check_not_shrunk,
    parquet_before,
    responses_before,
    warn_changed_before_cutoff,
)
from adaptive.batch.night_checks import (
    RECENT_WEEKS,
    check_log_ids_match,
    check_night_near_log,
    check_not_before_last_night,
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
    responses_words,
    roster_only,
    served_inputs,
    timestamps_needed,
    warn_arm_changes,
    warn_few_students_answered,
    warn_future_rows,
    warn_log_times_in_zone,
    warn_new_school_year,
    warn_off_catalog,
    warn_placed_off_roster,
    warn_placement_alone,
    warn_profiles_gone,
    warn_roster_a_grade_behind,
    warn_roster_only,
    warn_untraced,
    zone_served_before,
)
from adaptive.batch.overrides import OverrideSet, read_overrides, record_overrides
from adaptive.batch.partition import (
    OUTPUT_TABLES,
    UNASSIGNED_SCHOOL,
    PartitionContext,
    batch_outputs,
    batch_to_table,
    every_skill_known,
)
from adaptive.batch.processes import forked_pool, tie_to_this_process
from adaptive.batch.snapshot import (
    NPZ_FORMAT,
    catalog_changed,
    load_snapshot,
    previous_snapshot_date,
    save_snapshot,
    snapshot_meta,
    state_digest,
)
from adaptive.curriculum import Catalog, LearnerProfile, read_profiles
from adaptive.curriculum.profile import profile_fields
from adaptive.data.io import NIGHT_FOLDER_WHY, LoadReport, check_quarantines
from adaptive.data.log import ResponseLog
from adaptive.data.mapping import OPTIONAL_FIELDS
from adaptive.dates import DEFAULT_TIMEZONE, check_timezone, iso_day, night_start, zone_record
from adaptive.errors import AdaptiveError, ConfigError, NightWarning, counted
from adaptive.experiment.assign import Assignment
from adaptive.experiment.serve import (
    arm_outputs,
    check_covers_students,
    check_covers_units,
    experiment_began,
    has_arms,
    warn_outside,
    without_arm,
)
from adaptive.files import file_sha256
from adaptive.paths import demo_district_dir
from adaptive.placement.prior import Placement, place_new_students, placement_table
from adaptive.placement.table import (
    NIGHT_NAMES,
    OptionNames,
    PlacementReading,
    SkillMap,
    placement_sha256,
)
from adaptive.policy import PolicyConfig, StudentBatch, to_days
from adaptive.policy.adapter import (
    SkillCoverage,
    batch_from_model,
    check_profiles,
    note_skill_coverage,
    reads_level,
)
from adaptive.policy.base import catalog_arrays, catalog_layout
from adaptive.policy.service import check_district_files, district_inputs
from adaptive.registry.loading import fetch_version, registry_answer, registry_process
from adaptive.registry.runs import end_failed, fail_stale_runs, owner_tags
from adaptive.registry.store import (
    CHAMPION_ALIAS,
    display_uri,
    experiment_id,
    network_failure,
    resolve_tracking_uri,
    tracking,
)
from adaptive.tracing.base import KnowledgeTracer, TracingState, Untraced

BATCH_EXPERIMENT = "adaptive-batch"
#: Progress bars go to stderr: stdout holds a command's results alone.
PROGRESS_CONSOLE = Console(stderr=True)
TABLES = OUTPUT_TABLES
DEMO_MODEL = "demo-district"
CHUNK_STUDENTS = 50_000


@dataclass
class JobSummary:
    """What one night's run did (counts only: no student identifiers)."""

    date: str
    model_name: str
    model_version: str
    students_served: int
    schools: int
    partitions_written: int
    partitions_resumed: int
    new_responses: int
    state_rebuilt: bool
    previous_snapshot: str | None
    #: the log's rows written to `quarantine`
    rows_quarantined: int
    students_without_profile: int
    share_stuck: float
    seconds: float
    out: Path
    skill_counts: pd.Series = field(repr=False, default_factory=pd.Series)
    skill_coverage: SkillCoverage | None = None
    #: the night's new responses on skills the model was not fitted on (not traced there)
    responses_untraced: int = 0
    #: students of the night with no recommendation at all (nothing fit their budget, scope,
    #: grade band and prerequisites, or every skill left is assumed known): in the students
    #: table, absent from the recommendations
    students_without_recommendations: int = 0
    #: of those, students with every skill mastered or assumed known (`every_skill_known`:
    #: nothing is left in the catalog, e.g. placed from grade 12), by their placement's words
    #: (no ids; both engines)
    students_all_known: dict[str, int] = field(default_factory=dict)
    run_id: str | None = None
    #: the placement table's rows written to `placement_quarantine` (None: none was given)
    placement_rows_quarantined: int | None = None
    #: teacher overrides applied tonight: students and files (None: no overrides were given)
    override_students: int | None = None
    override_files: int = 0
    #: the overrides files with problems set aside tonight (`OverrideSet.set_aside`)
    override_files_set_aside: int = 0
    #: Spark engine: seconds each school's serving took on its executor (no student data)
    partition_seconds: list[float] = field(repr=False, default_factory=list)
    #: why the state was rebuilt from every response ("" when a snapshot was reused)
    rebuild_reason: str = ""
    #: students served in school `unassigned` (no profile, or one without a school)
    students_unassigned: int = 0
    #: responses dated after the night's day (`night_checks.warn_future_rows`), over the whole
    #: log: this night does not use them (a wrong year, a device's clock, a --date in the past?)
    responses_in_future: int = 0
    #: the version that served this night before, when a re-run served it with another
    replaced_version: str | None = None
    #: where the night's state snapshot is (`--state-dir`, default OUT/state)
    state_dir: Path | None = None
    #: the night's policy: its file's name, or "shipped default"; its exploration mode
    policy: str = "shipped default"
    exploration: str = "none"
    #: the experiment assignment served (its file's name), None without one
    experiment: str | None = None
    #: recommendations asked per student; students who got fewer (those with none included:
    #: nothing else fit their time budget, scope, grade band and prerequisites, or the rest is
    #: assumed known), and those of
    #: them whose budget had time left for another activity (the budget did not stop them)
    k: int = 0
    students_below_k: int = 0
    students_short_with_time_left: int = 0
    #: with an experiment: students whose class and school have no arm in it (served the
    #: night's own policy, arm '' in the outputs)
    students_outside_experiment: int = 0
    #: with an experiment: students served by each arm, in the assignment's order (the
    #: reference first)
    students_by_arm: dict[str, int] = field(default_factory=dict)
    #: the policy that served this night before (in words), when a re-run served it with another
    replaced_policy: str | None = None
    #: each input a re-run served this night with that differs from its earlier run (model,
    #: policy, k, catalog, profiles, overrides, placement, log, state) -> its earlier value in
    #: words (`{"k": "k 5"}`); said in one warning (`night_checks.night_served_before`)
    replaced_inputs: dict[str, str] = field(default_factory=dict)
    #: the night was complete in `out` before this run (its `_SUCCESS.json`): a re-run; False
    #: for a night that a stopped run left unfinished, which this run completed
    served_before: bool = False


class SummaryNotLoggedError(AdaptiveError):
    """The outputs of the night are complete, but its MLflow summary run could not be logged."""

    def __init__(self, summary: JobSummary, reason: str):
        self.summary = summary
        super().__init__(
            f"outputs complete, summary not logged: {reason}. The outputs of {summary.date} in "
            f"{summary.out} are complete and valid; only the MLflow summary run is missing."
        )


def is_demo_log(data: object) -> bool:
    """Whether `data` is the demo district's log: the dataset name "demo", or the file
    `adaptive demo` writes (`paths.demo_district_dir`), however the path is spelt."""
    if isinstance(data, str) and data == "demo":
        return True
    if not isinstance(data, str | Path):
        return False
    demo = demo_district_dir() / "responses.parquet"
    try:
        return Path(data).samefile(demo)
    except OSError:  # either file missing
        return False


def demo_model_serves(model_name: str | None, data: object) -> str:
    """The registered model to serve: `model_name`, or the demo's (`DEMO_MODEL`) where none is
    given and the log is the demo's. A district's own log with no model named was served by
    the demo's champion (trained on the simulated demo district), exit 0: refused."""
    if model_name is not None:
        return model_name
    if is_demo_log(data):
        return DEMO_MODEL
    raise ConfigError(
        "no model_name given: the nightly job serves a registered model by its name, and "
        f"without one it would serve the demo's ({DEMO_MODEL!r}, trained on the simulated demo "
        "district) to your district's students; train, register and promote your district's "
        "model (`train_model(..., registered_name=NAME)`, `promote(NAME, ...)`), then pass "
        "model_name=NAME"
    )


def run_daily_job(
    date: str | pd.Timestamp,
    out: str | Path,
    *,
    model_name: str | None = None,
    data: str | Path | ResponseLog = "demo",
    catalog: str | Path | Catalog | None = None,
    profiles: str | Path | Mapping[str, LearnerProfile] | Sequence[LearnerProfile] | None = None,
    state_dir: str | Path | None = None,
    k: int = 20,
    policy_config: PolicyConfig | str | Path | None = None,
    mapping: dict | None = None,
    quarantine: Path | None = None,
    tracking_uri: str | None = None,
    show_progress: bool = True,
    workers: int = 2,
    on_partition: Callable[[str], None] | None = None,
    overrides: str | Path | OverrideSet | None = None,
    experiment: str | Path | Assignment | None = None,
    engine: str = "local",
    master: str | None = None,
    placement: str | Path | Placement | None = None,
    placement_columns: Mapping[str, str] | None = None,
    placement_skill_map: Mapping[str, str | None] | str | Path | None = None,
    placement_drop_blank_and_identical: bool = False,
    placement_quarantine: str | Path | None = None,
    placement_names: OptionNames = NIGHT_NAMES,
    backfill: bool = False,
    timezone: str = DEFAULT_TIMEZONE,
) -> JobSummary:
    """Run the nightly job for `date` (see the module docstring); returns its summary.

    `model_name`: the registered model whose champion serves the night; None serves the
    demo's (`DEMO_MODEL`), with the demo's log only (`demo_model_serves`): another district's
    log is refused, as a model trained on the simulated demo district would serve it.

    `engine="spark"` runs every step on Spark (`spark_job.py`; `master` a Spark master URL,
    default local[2]): same output layout and `_SUCCESS.json` contract, same Parquet bytes.

    Schools are served by `workers` forked processes (`_serve_schools`; partitions are
    independent, so the output does not depend on the order they finish in).
    `on_partition(school)` is called after each partition is written (used to test resuming).
    `catalog` and `profiles` default to the demo district's with the demo data only (a user's
    log needs its catalog; without profiles every student is in the school "unassigned");
    profiles in memory are a dict by student id or a list of `LearnerProfile`.
    `overrides`: teacher overrides exported by the report site (`adaptive.batch.overrides`).
    `experiment`: an assignment of `adaptive experiment assign`: each student is served the
    policy of their class's (or school's) arm (`adaptive.experiment.serve`).
    `placement`: where students new to the state start, where it knows them (a table of
    student_id, skill_id, mastery: a prior year's records, a diagnostic's saved placement;
    `adaptive.placement.read_placement`); the others start from their grade.
    `placement_columns`: the table's own column names where they differ (`read_placement`);
    `placement_skill_map`: its codes read as the catalog's skills (`read_placement`'s
    `skill_map`: a mapping, or a map file);
    `placement_drop_blank_and_identical`, `placement_quarantine`: its rows with a blank
    mastery and rows given twice left out, counted (and written aside), as `read_placement`'s
    `drop_blank_and_identical` and `quarantine` do (in-process engine only).
    `placement_names`: how the placement table's messages name these options (this function's
    keywords; `adaptive batch` passes its flags: `COMMAND_NAMES`).
    A date before the last night served in `out` / `state_dir` is refused unless `backfill`
    (`night_checks.check_not_before_last_night`, under the folder's lock: `lock.night_locks`,
    a run of another date while a night is served fails at once). A night that fails before
    writing any output leaves nothing behind: the folders and the lock files it created are
    removed.
    `timezone`: the district's IANA time zone; the night of `date` takes the responses before
    that day's midnight there (`adaptive.dates.night_start`; default UTC). Times are compared
    as instants: a log whose times carry an offset or "Z" is read right; naive times are read
    as UTC, so a log of naive local times keeps the default (its midnights are local already).
    """
    started = time.perf_counter()
    model_name = demo_model_serves(model_name, data)
    day = _day(date)
    timezone = check_timezone(timezone)
    out = Path(out)
    # a stop from here on says what it left of the night (`_what_a_stop_left`)
    with _what_a_stop_left(day, out):
        if out.exists() and not out.is_dir():
            raise ConfigError(f"out {out}: a file; expected the folder of the night's outputs")
        check_quarantines(
            {"quarantine=": quarantine, "placement_quarantine=": placement_quarantine},
            _night_paths(
                data=data,
                catalog=catalog,
                profiles=profiles,
                out=out,
                state_dir=state_dir,
                overrides=overrides,
                experiment=experiment,
                placement=placement,
                placement_skill_map=placement_skill_map,
                policy_config=policy_config,
            ),
            NIGHT_FOLDER_WHY,
        )
        catalog, profiles = district_inputs(data, catalog, profiles)
        reading = PlacementReading(
            placement_columns,
            placement_skill_map,
            placement_drop_blank_and_identical,
            placement_quarantine,
            placement_names,
        )
        _check_engine(engine, master, quarantine, placement, reading)
        reading.check_needs_file(placement)
        state_path = Path(state_dir) if state_dir is not None else out / "state"
        made = [m for m in (_first_missing(out), _first_missing(state_path)) if m is not None]
        try:
            _check_writable(out, "--out")  # the lock is the first file written there
            _check_writable(state_path, "--state-dir")
            lock_facts = {"model": model_name, "k": k, "tracking_uri": _shown(tracking_uri)}
            nothing_written = functools.partial(_nothing_written, out, day)
            with night_locks(out, state_path, day, lock_facts, discard=nothing_written):
                # under the folder's lock: a night served meanwhile is seen
                check_not_before_last_night(out, state_path, day, backfill)
                warn_new_school_year(out, state_path, day)
                return _run_locked(
                    day,
                    out,
                    started=started,
                    model_name=model_name,
                    data=data,
                    catalog=catalog,
                    profiles=profiles,
                    state_dir=state_path,
                    k=k,
                    policy_config=policy_config,
                    mapping=mapping,
                    quarantine=quarantine,
                    tracking_uri=tracking_uri,
                    show_progress=show_progress,
                    workers=workers,
                    on_partition=on_partition,
                    overrides=overrides,
                    experiment=experiment,
                    engine=engine,
                    master=master,
                    placement=placement,
                    placement_reading=reading,
                    timezone=timezone,
                )
        except BaseException:
            _remove_empty_folders(made)
            raise


def _run_locked(
    day: str,
    out: Path,
    *,
    started: float,
    model_name: str,
    tracking_uri: str | None,
    k: int,
    state_dir: Path,
    engine: str,
    master: str | None,
    **inputs,
) -> JobSummary:
    """The night (under its locks, `lock.night_locks`), the champion fetched by the registry's
    process meanwhile, and its MLflow summary run (see `run_daily_job`)."""
    # the folder outlives the registry's process: on an error the process is stopped first
    with (
        tempfile.TemporaryDirectory() as champion_dir,
        registry_process() as registry,
    ):
        tie_to_this_process(registry)  # its process dies with this one (a `kill -9`)
        # the champion is fetched by the registry's process while the inputs are read
        champion = registry.submit(
            fetch_version,
            model_name,
            alias=CHAMPION_ALIAS,
            tracking_uri=tracking_uri,
            into=champion_dir,
        )
        # the night's summary run is opened once its inputs are checked (an input error
        # leaves no run), while the schools are served, so that the end of the night only
        # logs its figures (one batch) and closes it
        run = SummaryRun(registry, day, tracking_uri)
        serve = _serve_date if engine == "local" else _serve_date_on_spark(master)
        try:
            summary = serve(
                day,
                out,
                model_name=model_name,
                state_dir=state_dir,
                k=k,
                tracking_uri=tracking_uri,
                champion=champion,
                inputs_checked=run.open,
                **inputs,
            )
        except BaseException as exc:
            run.discard(exc)
            writer.discard_unstarted_date(out, TABLES, day)
            raise
        summary.seconds = time.perf_counter() - started
        try:
            run_id = registry_answer(run.open())
            logged = registry.submit(_log_summary, run_id, summary, tracking_uri)
            summary.run_id = registry_answer(logged)
        except Exception as exc:  # the outputs stand whatever failed: say so, never a traceback
            raise SummaryNotLoggedError(summary, _why(exc)) from exc
    return summary


@contextlib.contextmanager
def _what_a_stop_left(day: str, out: Path) -> Iterator[None]:
    """A stop signal (Ctrl-C, SIGTERM) raised in the block carries `after_stop`: what the
    command line says instead of its generic "any partitions written so far are kept"
    (`cli.AFTER_A_STOP`), read from the date's files as the stop left them (`_stop_words`).
    The trial's Ctrl-C while the log was read said partitions were kept of a night that had
    none; one after the workers had written every school read as an unfinished night."""
    marker = writer.date_dir(out, TABLES[0], day) / "_SUCCESS.json"
    before = _file_identity(marker)
    try:
        yield
    except BaseException as exc:
        if not isinstance(exc, Exception):
            exc.after_stop = _stop_words(day, out, before)  # type: ignore[attr-defined]
        raise


def _file_identity(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime_ns, size) of a file, None when it is not there: whether it was replaced."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _stop_words(day: str, out: Path, marker_before: tuple[int, int, int] | None) -> str:
    """What a stop left of the night `day` in `out`, and what running the command again does:
    the night complete (its `_SUCCESS.json` written by this run, or there before it and left
    as it was), nothing of it written, or the partitions of some schools kept to resume from."""
    marker = writer.date_dir(out, TABLES[0], day) / "_SUCCESS.json"
    now = _file_identity(marker)
    if now is not None and now != marker_before:
        return (
            f"the night {day} was complete (its outputs and _SUCCESS.json are written in "
            f"{out}); only its MLflow summary run may be missing"
        )
    if now is not None:
        return (
            f"the night {day} stands in {out} as served before this run (its outputs and "
            "_SUCCESS.json unchanged): run the same command again to serve it again"
        )
    schools = _schools_written(out, day)
    if not schools and _nothing_written(out, day):
        return f"nothing of the night {day} was written: run the same command again"
    if not schools:
        return (
            f"the night {day} is not complete, and no school's partitions were written whole: "
            "run the same command again"
        )
    return (
        f"the night {day} is not complete (no _SUCCESS.json): the partitions of "
        f"{counted(schools, 'school')} are written and kept: run the same command again to "
        "resume from them"
    )


def _schools_written(out: Path, day: str) -> int:
    """How many schools of the night have every table's partition written in `out`."""
    first = writer.date_dir(out, TABLES[0], day)
    schools = [unquote(p.name.removeprefix("school=")) for p in first.glob("school=*")]
    return sum(writer.is_done(out, TABLES, day, school) for school in schools)


ENGINES = ("local", "spark")


def _first_missing(folder: Path) -> Path | None:
    """The outermost of `folder` and its parents that does not exist yet (what making it
    creates), None when it exists."""
    folder = Path(folder).absolute()
    if folder.exists():
        return None
    while not folder.parent.exists():
        folder = folder.parent
    return folder


def _remove_empty_folders(folders: Sequence[Path]) -> None:
    """Remove each folder (one this run made) and its subfolders where they hold no file: a
    night that failed before writing anything leaves no empty output or state folder. `rmdir`
    only: a folder another run has written to since is kept."""
    for folder in folders:
        for parent, _, _ in os.walk(folder, topdown=False):  # deepest first
            with contextlib.suppress(OSError):  # not empty (a file, another run's): kept
                os.rmdir(parent)


def _nothing_written(out: Path, day: str) -> bool:
    """Whether the night wrote nothing of its date in `out` yet (no output folder of it)."""
    return not any(writer.date_dir(out, name, day).exists() for name in TABLES)


def _check_writable(folder: Path, option: str) -> None:
    """The folder exists or can be made, and a file can be written there: checked before the
    night's work (a state folder that cannot be written was found after every partition was
    written), as one error naming it, not an internal error."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{option} {folder}: cannot write there ({reason})") from None


def _night_paths(**given: object) -> dict[str, Path]:
    """The night's inputs and outputs given as paths, by keyword ("catalog="), for the check
    of its quarantines (`check_quarantines`); a log named as a dataset ("demo") is none."""
    paths = {f"{key}=": Path(v) for key, v in given.items() if isinstance(v, str | os.PathLike)}
    data = paths.get("data=")
    if data is not None and not data.exists():
        del paths["data="]
    return paths


def _check_engine(
    engine: str,
    master: str | None,
    quarantine: Path | None,
    placement: object,
    reading: PlacementReading,
) -> None:
    """A known engine, and for Spark a usable one (pyspark, Java, a master URL), before any
    work: each problem is one `ConfigError` naming the option as the caller wrote it
    (`reading.names`: `run_daily_job`'s keywords, or the command's flags)."""
    names = reading.names.unprefixed()
    local, spark = names.set_to("engine", "local"), names.set_to("engine", "spark")
    if engine not in ENGINES:
        raise ConfigError(f"{names.set_to('engine', engine)}: expected one of {', '.join(ENGINES)}")
    if engine == "local":
        if master is not None:
            given = names.set_to("master", master)
            raise ConfigError(f"{given} is for {spark} (the local engine needs no master)")
        return
    from adaptive.batch.spark import check_master, check_spark_available

    check_master(master or "local[2]", names)
    check_spark_available(names)
    if quarantine is not None:
        first = (
            "`adaptive validate --quarantine FILE`"
            if names.command_line
            else "`adaptive.data.load_log(data, quarantine=FILE)` writes the refused rows "
            "aside with their reasons: mend them in the file"
        )
        raise ConfigError(
            f"{names.of('quarantine', 'FILE')} is not supported with {spark}: validate the log "
            f"first ({first}), or use {local}"
        )
    if reading.drops():
        given = reading.given_drops()
        raise ConfigError(
            f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} not supported with "
            f"{spark}: write the "
            "table without those rows first (`adaptive validate --placement FILE --catalog "
            "CATALOG --placement-drop-blank-and-identical --out CLEAN.csv`, then "
            f"{reading.names.set_to('', 'CLEAN.csv')}), or use {local}"
        )
    if placement is not None and not isinstance(placement, str | Path):
        raise ConfigError(
            "the Spark engine reads a placement table from a file (given: a Placement in "
            f"memory): save it with `to_frame()` and pass its path, or use {local}"
        )


def _serve_date_on_spark(master: str | None) -> Callable[..., JobSummary]:
    """`_serve_date`'s counterpart on Spark (same arguments; see `spark_job.run_spark_night`)."""

    def serve(day: str, out: Path, **kwargs) -> JobSummary:
        from adaptive.batch.spark_job import run_spark_night

        for unused in ("quarantine", "show_progress", "workers", "on_partition"):
            kwargs.pop(unused, None)
        reading = kwargs.pop("placement_reading", None) or PlacementReading()
        kwargs["placement_columns"] = reading.columns
        kwargs["placement_skill_map"] = reading.skill_map
        given = kwargs.pop("policy_config")
        kwargs["config"], kwargs["policy_source"] = _policy_config(given), _policy_source(given)
        return run_spark_night(day, out, master=master, **kwargs)

    return serve


def _day(date: str | pd.Timestamp) -> str:
    """The date as YYYY-MM-DD; text must be ISO 8601 (`adaptive.dates`: a clear error for
    anything else, 03/04/2027 included, which is two different days)."""
    return iso_day(date)


def _shown(tracking_uri: str | None) -> str:
    """The store's URI as the lock file shows it; its folder is not made (a look-up that fails
    leaves nothing behind: a trial's first `batch` before any training left data/mlflow/)."""
    return display_uri(resolve_tracking_uri(tracking_uri, create=False))


def _why(exc: BaseException) -> str:
    """A one-line reason for a failed summary: the server's failure, or the error's message."""
    reason = network_failure(exc)
    if reason is None:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return reason


def _serve_date(
    day: str,
    out: Path,
    *,
    model_name: str,
    data: str | Path | ResponseLog,
    catalog: str | Path | Catalog,
    profiles: str | Path | dict[str, LearnerProfile],
    state_dir: str | Path | None,
    k: int,
    policy_config: PolicyConfig | str | Path | None,
    mapping: dict | None,
    quarantine: Path | None,
    tracking_uri: str | None,
    show_progress: bool,
    workers: int,
    on_partition: Callable[[str], None] | None,
    overrides: str | Path | OverrideSet | None = None,
    experiment: str | Path | Assignment | None = None,
    champion: Future,
    placement: str | Path | Placement | None = None,
    placement_reading: PlacementReading | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    inputs_checked: Callable[[], object] = lambda: None,
) -> JobSummary:
    """Steps 1-4 of the job for one date, under its lock (see `run_daily_job`); `champion`:
    the registry's `FetchedVersion` of the model, on its way (`registry_process`). The
    registry's errors (no champion, a server down) are raised once the log has been read.
    `inputs_checked` is called once every input is read and checked, before anything is
    written (`SummaryRun.open`)."""
    started = time.perf_counter()
    cutoff = night_start(day, timezone)
    state_dir = Path(state_dir) if state_dir is not None else out / "state"
    check_district_files(catalog, profiles)
    catalog = catalog if isinstance(catalog, Catalog) else Catalog.from_json(catalog)
    k = k_for(k, catalog)
    profiles_sha = _profiles_sha(profiles)
    # what an assignment's profiles_sha256 compares with: a file's bytes, not profiles in memory
    profiles_file_sha = None if isinstance(profiles, dict) else profiles_sha
    reading: Future | None = None  # the profiles, parsed in a thread of their own
    config = _policy_config(policy_config)
    policy = policy_record(
        json.dumps(config.to_dict(), sort_keys=True), _policy_source(policy_config),
        config.exploration,
    )  # fmt: skip
    experiment_source = _source_name(experiment)
    if overrides is not None and not isinstance(overrides, OverrideSet):
        reading = _in_background(profiles_of, profiles)
        overrides = read_overrides(  # a file dated after the night: said by overrides_dropped
            overrides, catalog, reading.result(), night=day, warn_later=False, strict=False
        )  # a file with problems is set aside with a warning: the night goes on
    if experiment is not None and not isinstance(experiment, Assignment):
        experiment = Assignment.load(experiment)
    given, placement_sha, placement_quarantined = _given_placement(
        placement, catalog, placement_reading
    )

    # the registry answers meanwhile; its errors still come first (`_registry_errors_first`)
    with _registry_errors_first(champion):
        # an assignment of none of these classes: refused before the log is read
        covered = experiment is None or _covers_before_log(experiment, reading or profiles)
        previous = previous_snapshot_date(state_dir, day)
        meta = snapshot_meta(state_dir, previous) if previous else None
        since = pd.Timestamp(meta["cutoff"]).value if meta else None
        same_model = meta is not None and meta["model_name"] == model_name
        # the snapshot's state (~7 s of file reads, checksums and array copies at 400,000
        # students, mostly outside the GIL) is loaded while the log is read
        loading = _in_background(load_snapshot, state_dir, previous) if previous else None
        # with a reusable snapshot only the rows since its cutoff are needed: a Parquet log is
        # then read from there on (the rest never enters memory), and the profiles are parsed
        # (Python) meanwhile: ~6 s at 400,000 students that no longer hold up the night. A full
        # read is the night's peak of memory: the profiles (0.42 GB at 400,000) come after it.
        # The snapshot is expected to be reused when it is of this model (its version is checked
        # once the registry answers: a champion promoted since means reading the log in full).
        if same_model and reading is None:
            reading = _in_background(profiles_of, profiles)
        # what the log holds before the snapshot's cutoff (to compare) and before tonight's (to
        # record): a Parquet log's pass over its file runs while the log is read
        bounds = [cutoff.value] if since is None else [since, cutoff.value]
        log, report, records = _read_log_and_records(
            data, mapping, quarantine, since if same_model else None, bounds
        )
    _release_arrow_memory()
    loaded = registry_answer(champion).load()
    model = loaded.model
    check_training_catalog(model, catalog)  # last year's catalog: before the coverage's words
    coverage = note_skill_coverage(model, catalog)
    reuse = same_model and meta["model_version"] == loaded.version
    # rows dated before the snapshot's cutoff that reached the log after it (a device that
    # synced late), or a re-export with answers there regraded, were never traced, nor absorbed
    # in its history (kept even when the tracer is rebuilt for another model): the night starts
    # again from every response
    late = changed_before_cutoff(meta, records[0]) if meta is not None else None
    if late is not None:
        check_not_shrunk(late, meta["cutoff"], log.source, day)
        warn_changed_before_cutoff(late, meta["cutoff"], log.source)
        reuse = False
    snap = loading.result() if loading is not None else None
    layout = catalog_layout(catalog)
    new_catalog = snap is not None and catalog_changed(meta, snap.history, catalog, layout)
    if new_catalog:
        warnings.warn(
            f"the catalog changed since the snapshot of {previous} (skills or activities added, "
            "removed or reordered): the state is rebuilt from every response, as on a first "
            "night",
            NightWarning,
            stacklevel=2,
        )
        reuse = False
    placement_changed = placement_table_changed(meta, placement_sha, previous)
    # the table that places tonight's new students: the policy's, else the model's own
    grade_table = placement_table(config.grade_table, model)
    table_changed = reuse and grade_table_changed(meta, grade_table, previous)
    reuse = reuse and not placement_changed and not table_changed
    if not reuse and report is not None and report.rows_skipped:  # every row needed now
        del log
        log, report = _read_log(data, mapping, quarantine, None)
        _release_arrow_memory()
    quarantined = _say_notes(report)  # of the read kept: said once
    if late is not None or new_catalog:
        snap, since = None, None  # as a first night: history and tracer from every response
    why_rebuilt = rebuild_reason(
        meta, loaded.version, model_name, late, new_catalog, reuse, placement_changed,
        table_changed,
    )  # fmt: skip
    profiles = reading.result() if reading is not None else profiles_of(profiles)
    check_profiles(profiles, catalog)  # topics and goals the catalog lacks: a warning
    if not covered:  # a profiles file that did not read above: refused now, not served
        check_covers_students(experiment, profiles)
    # the log's students (those of earlier nights in the snapshot: the log is read whole where
    # there is none) against the roster, before any work: a log of ids written otherwise
    answered = set(log.students.tolist()) | set(snap.history.students if snap else ())
    check_log_ids_match(answered, profiles, rows_of=functools.partial(responses_words, log))
    del answered
    warn_off_catalog(log, catalog)  # skills (and activities) the catalog lacks: a warning
    if not log.has_timestamps:
        raise timestamps_needed(log.source)
    time_ns = log.time
    in_future = warn_future_rows(time_ns, log.source, day, timezone)
    naive = report is not None and report.naive_times
    zones_unknown = report is not None and report.zones_unknown
    warn_log_times_in_zone([time_ns], naive, log.source, timezone, zones_unknown)
    before = time_ns < cutoff.value
    recent, recent_ns = _recent_answers(log, report, data, mapping, cutoff.value)
    warn_roster_a_grade_behind(recent, catalog, profiles, recent_ns, cutoff.value)
    del recent, recent_ns
    # the newest answer this night serves from (the snapshot's cutoff bounds it when the rows
    # read since then hold none)
    newest = int(time_ns[before].max()) if before.any() else since
    served = previous if not before.any() and since is not None else None
    check_night_near_log(newest, log.source, day, timezone, served_night=served)
    new_rows = before & (time_ns >= since) if since is not None else before
    if since is None and not before.any():
        warn_placement_alone(day, int(time_ns.min()) if len(log) else None, log.source)
    elif meta is None:
        answered = int(log.students.isin(list(profiles)).sum())
        warn_few_students_answered(answered, len(profiles), log.source)
    history = snap.history if snap else StudentHistory.empty(catalog, config.progress_window)
    tracer_state = snap.tracer if reuse else model.init_state()
    # students new to the state start from their grade, not the population prior (issue 16)
    absorbed = log.students[np.unique(log.student[new_rows if reuse else before])]
    if given is not None:
        warn_placed_off_roster(given, profiles, log.students, _source_name(placement))
    place_new_students(
        model, tracer_state, catalog, profiles, [*profiles, *absorbed.tolist()],
        grade_table, given=given,
    )  # fmt: skip
    n_new = int(new_rows.sum())
    # the history absorbs the new rows; the tracer state takes the same rows when the snapshot
    # is reused, and on a first night (no snapshot: every row is new): then one pass over the
    # students does both (students are independent, so the order of the two does not matter)
    one_pass = reuse or since is None
    untraced = Untraced()  # answers on skills the model lacks: said once for the night
    for part in _student_chunks(log, new_rows):
        history.absorb(part, catalog, config.repeatable_kinds)
        untraced += model.untraced(part)
        if one_pass:
            model.update(tracer_state, part, warn_untraced=False)
    if not one_pass:  # a snapshot of another model version: rebuild from all history
        for part in _student_chunks(log, before):
            model.update(tracer_state, part, warn_untraced=False)
    warn_untraced(untraced, catalog)
    recorded = records[-1]
    del log, time_ns, before, new_rows  # the partitions need only the states
    _release_arrow_memory()
    snapshot_sha = state_digest(tracer_state, history)
    save_state = functools.partial(
        save_snapshot, state_dir, day, cutoff, model_name, loaded.version, tracer_state, history,
        recorded, layout, placement_sha, grade_table_record(grade_table),
    )  # fmt: skip

    roster = sorted(set(profiles) | set(history.students) | set(tracer_state.students))
    # students placed from an earlier night's roster, with no profile tonight and no answer:
    # kept in the state, not served (`roster_only`)
    held = np.asarray(roster, dtype=object)
    placed_only = roster_only(held, profiles, history.students)
    roster = held[~placed_only].tolist()
    warn_roster_only(out, state_dir, day, held[placed_only])
    without_profile = [s for s in roster if s not in profiles]
    missing_profile = len(without_profile)
    if missing_profile:
        warn_profiles_gone(out, state_dir, day, without_profile)
    school_of = np.array(
        [(profiles[s].school_id if s in profiles else None) or UNASSIGNED_SCHOOL for s in roster],
        dtype=object,
    )
    context = PartitionContext.build(catalog, config, k, to_days(cutoff)).primed(catalog)
    fingerprint = hashlib.sha256(
        json.dumps(
            {
                "model": [model_name, loaded.version],
                "snapshot": snapshot_sha,
                "k": k,
                "catalog": hashlib.sha256(context.catalog_json.encode()).hexdigest(),
                "policy": context.policy_json,
                "profiles": profiles_sha,
                "students": len(roster),
                **({"overrides": overrides.sha256} if overrides else {}),
                **zone_record(timezone),
                **({"experiment": experiment.sha256} if experiment else {}),
                **({"placement": placement_sha} if placement_sha else {}),
            },
            sort_keys=True,
        ).encode()
    ).hexdigest()

    record = night_record(
        day, (model_name, loaded.version), fingerprint, policy, catalog,
        experiment.sha256 if experiment else None, timezone,
        served_inputs(
            "local", k, profiles_sha, overrides.sha256 if overrides else None, placement_sha,
            recorded, snapshot_sha, _source_name(placement) if placement_sha else None,
        ),
    )  # fmt: skip
    replaced = night_served_before(out, day, record)
    why_rebuilt = rebuilt_words(
        why_rebuilt, replaced is not None, state_dir=state_dir, day=day, kind=NPZ_FORMAT
    )
    experiment_served_before(out, day, experiment.sha256 if experiment else None)
    new_assignment = experiment_ended_or_replaced(
        out, day, experiment.sha256 if experiment else None
    )
    zone_served_before(out, state_dir, day, timezone)
    overrides_dropped(out, state_dir, day, overrides)
    if experiment is not None:
        warn_arm_changes(out, day, experiment, profiles, new_assignment)
    inputs_checked()
    resumed = writer.prepare_date(out, TABLES, day, fingerprint)
    record_overrides(out, day, overrides)
    schools = sorted(set(school_of.tolist()))
    night = Night(
        model=model,
        state=tracer_state,
        history=history,
        catalog=catalog,
        profiles=profiles,
        config=config,
        context=context,
        out=out,
        day=day,
        resumed=resumed,
        roster=roster,
        school_of=school_of,
        overrides=overrides,
        experiment=experiment,
        placement=given,
    )
    done = _serve_schools(night, schools, workers, show_progress, on_partition, save_state)
    written = sum(d.written for d in done)
    skipped = len(done) - written
    skill_counts: dict[str, int] = {}
    for d in done:
        for skill, n in d.skill_counts.items():
            skill_counts[skill] = skill_counts.get(skill, 0) + n
    stuck = sum(d.stuck for d in done)
    served = sum(d.served for d in done)
    unserved = sum(d.unserved for d in done)
    all_known: dict[str, int] = {}
    for d in done:
        for words, n in d.all_known.items():
            all_known[words] = all_known.get(words, 0) + n
    below_k = sum(d.below_k for d in done)
    with_time_left = sum(d.short_with_time_left for d in done)
    outside = sum(d.outside_experiment for d in done)
    if experiment is not None:
        began = experiment_began(out, day, experiment.sha256)
        warn_outside(
            experiment, profiles_file_sha, outside, missing_profile, served, policy["source"], began
        )
    counts = pd.Series(skill_counts, name="recommendations", dtype=np.int64).sort_index()
    share_stuck = stuck / served if served else 0.0
    writer.finish_date_listing(
        out,
        TABLES,
        day,
        {path: entry for d in done for path, entry in d.files.items()},
        {**record, "students": served},
    )
    summary = JobSummary(
        date=day,
        model_name=model_name,
        model_version=loaded.version,
        students_served=served,
        schools=len(schools),
        partitions_written=written,
        partitions_resumed=skipped,
        new_responses=n_new,
        state_rebuilt=not reuse,
        previous_snapshot=previous,
        rows_quarantined=quarantined,
        placement_rows_quarantined=placement_quarantined,
        students_without_profile=missing_profile,
        share_stuck=share_stuck,
        seconds=time.perf_counter() - started,
        out=out,
        skill_counts=counts,
        skill_coverage=coverage,
        responses_untraced=untraced.responses,
        students_without_recommendations=unserved,
        students_all_known=dict(sorted(all_known.items())),
        override_students=len(overrides) if overrides is not None else None,
        override_files=len(overrides.files) if overrides is not None else 0,
        override_files_set_aside=len(overrides.set_aside) if overrides is not None else 0,
        rebuild_reason=why_rebuilt,
        students_unassigned=int((school_of == UNASSIGNED_SCHOOL).sum()),
        responses_in_future=in_future,
        replaced_version=replaced.version if replaced else None,
        state_dir=state_dir,
        policy=policy["source"],
        exploration=config.exploration,
        experiment=experiment_source,
        k=k,
        students_below_k=below_k,
        students_short_with_time_left=with_time_left,
        students_outside_experiment=outside,
        students_by_arm=students_by_arm(
            (d.by_arm for d in done), experiment.arm_names if experiment else ()
        ),
        replaced_policy=replaced.policy if replaced else None,
        replaced_inputs=replaced.inputs if replaced else {},
        served_before=replaced is not None,
    )
    return summary


def students_by_arm(
    schools: Iterable[Mapping[str, int]], arm_names: Sequence[str]
) -> dict[str, int]:
    """Students served by each arm over the night's schools (each school's counts by arm), in
    the assignment's order (an arm no student got: 0); empty without arms (no experiment).
    Both engines sum their schools' counts with it."""
    total: collections.Counter[str] = collections.Counter()
    for counts in schools:
        total.update(counts)
    return {arm: total[arm] for arm in arm_names}


@dataclass
class Night:
    """What every school's serving reads on one night (shared, read-only): the champion, the
    night's tracer state and history, the district's inputs and the partition context. `roster`
    and `school_of` list every student served and their school (aligned)."""

    model: KnowledgeTracer
    state: TracingState
    history: StudentHistory
    catalog: Catalog
    profiles: dict[str, LearnerProfile]
    config: PolicyConfig
    context: PartitionContext
    out: Path
    day: str
    resumed: bool
    roster: list[str]
    school_of: np.ndarray
    overrides: OverrideSet | None = None  # teacher overrides (`adaptive.batch.overrides`)
    experiment: Assignment | None = None  # arms served per class or school (issue 19)
    placement: Placement | None = None  # where new students started, besides their grade

    @cached_property
    def school_rows(self) -> dict[str, np.ndarray]:
        """Positions in `roster` of each school's students (roster order: sorted ids)."""
        codes, schools = pd.factorize(pd.Series(self.school_of.astype(str)), sort=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(schools) + 1))
        return {str(s): order[bounds[i] : bounds[i + 1]] for i, s in enumerate(schools)}

    @cached_property
    def state_rows(self) -> np.ndarray:
        """Row of every roster student in the tracer state (-1: none), looked up once a night."""
        return self.state.rows(self.roster, missing=-1)

    @cached_property
    def history_rows(self) -> np.ndarray:
        """Row of every roster student in the history (-1: none), looked up once a night."""
        return self.history.rows(self.roster)


#: the students table's columns a resumed school's counts read back (`_school_counts`)
COUNTED_COLUMNS = ("n_stuck", "recommended", "minutes_left", "arm")
#: the students table's columns that say why a student got nothing (`_unserved_all_known`)
ALL_KNOWN_COLUMNS = ("mastery", "progression", "placement")


@dataclass(frozen=True)
class SchoolDone:
    """What the driver keeps of one served school: counts only, no student data."""

    school: str
    written: bool
    skill_counts: dict[str, int]
    stuck: int
    served: int
    #: students with no recommendation (`recommended` 0 in the students table)
    unserved: int
    #: `_SUCCESS.json` entry (rows, sha256) of each of its files, by path relative to the output
    files: dict[str, dict] = field(default_factory=dict)
    #: students with fewer recommendations than k (those with none included)
    below_k: int = 0
    #: of those, students whose list left time in their budget for the catalog's shortest
    #: activity: something else than the budget stopped it (scope, band, prerequisites)
    short_with_time_left: int = 0
    #: students outside the night's experiment (`arm` '' in the students table)
    outside_experiment: int = 0
    #: of the unserved, those with every skill mastered or assumed known, by placement words
    all_known: dict[str, int] = field(default_factory=dict)
    #: students served by each arm of the night's experiment ('' : outside it)
    by_arm: dict[str, int] = field(default_factory=dict)


def serve_school(
    night: Night,
    student_ids: list[str],
    state_rows: np.ndarray | None = None,
    history_rows: np.ndarray | None = None,
) -> tuple[pa.Table, ...]:
    """The one per-school serving step, shared by the in-process and the Spark engines: these
    students' policy inputs (`student_batch`) and the partition's output tables
    (`partition.batch_outputs`, in `OUTPUT_TABLES` order). `state_rows` / `history_rows` (the
    students' rows in the night's state and history) skip the id lookups when already known."""
    batch = student_batch(
        night.model,
        night.state,
        night.history,
        night.catalog,
        night.profiles,
        student_ids,
        night.config,
        state_rows=state_rows,
        history_rows=history_rows,
        overrides=night.overrides,
        placement=night.placement,
    )
    if night.experiment is not None:
        return arm_outputs(batch, night.context, night.experiment)
    recs, students, *rest = batch_outputs(batch, night.context)
    return (without_arm(recs), without_arm(students), *rest)


def write_school(night: Night, school: str, outputs: tuple[pa.Table, ...]) -> SchoolDone:
    """Write one school's partitions (atomic files) and return its counts and file entries."""
    files = writer.write_school_partitions(night.out, TABLES, night.day, school, outputs)
    return _school_counts(school, True, outputs[0], outputs[1], files, night.context)


def _school_counts(
    school: str,
    written: bool,
    recs: pa.Table,
    students: pa.Table,
    files: dict[str, dict],
    context: PartitionContext,
) -> SchoolDone:
    """One school's counts from its recommendations and students tables (no student data)."""
    skills = pa.compute.value_counts(recs.column("skill_id").combine_chunks()).to_pylist()
    stuck = pa.compute.sum(pa.compute.greater(students.column("n_stuck"), 0)).as_py() or 0
    unserved = below_k = with_time = outside = 0
    if "recommended" in students.column_names:  # a partition written before it was a column
        short = students.column("recommended").to_numpy() < context.k
        unserved = int((students.column("recommended").to_numpy() == 0).sum())
        below_k = int(short.sum())
        if "minutes_left" in students.column_names:
            shortest = float(catalog_arrays(context.catalog).minutes.min(initial=np.inf))
            left = students.column("minutes_left").to_numpy() >= shortest - 1e-6
            with_time = int((short & left).sum())
    by_arm: dict[str, int] = {}
    if has_arms(students):  # a night with an experiment
        outside = pa.compute.sum(pa.compute.equal(students.column("arm"), "")).as_py()
        counted_arms = pa.compute.value_counts(students.column("arm").combine_chunks())
        by_arm = {d["values"]: int(d["counts"]) for d in counted_arms.to_pylist()}
    all_known = _unserved_all_known(students, context) if unserved else {}
    return SchoolDone(
        school,
        written,
        {d["values"]: int(d["counts"]) for d in skills},
        int(stuck),
        students.num_rows,
        int(unserved or 0),
        files,
        below_k,
        with_time,
        int(outside or 0),
        all_known,
        by_arm,
    )


def _unserved_all_known(students: pa.Table, context: PartitionContext) -> dict[str, int]:
    """The students served nothing who have every skill mastered or assumed known
    (`every_skill_known`), counted by their placement's words ("placed from grade 12"): why
    they got nothing, said without ids (a trial's night said only "1 student got no
    recommendation"). Empty for a partition written before these columns."""
    if not set(ALL_KNOWN_COLUMNS) <= set(students.column_names):
        return {}
    unserved = np.flatnonzero(students.column("recommended").to_numpy() == 0)
    part = students.take(pa.array(unserved))

    def lists(name: str) -> np.ndarray:
        flat = pa.compute.list_flatten(part.column(name)).to_numpy(zero_copy_only=False)
        return flat.reshape(len(unserved), -1)

    known = every_skill_known(
        lists("mastery"), lists("progression"), context.policy.config.assumed_known
    )
    words = np.asarray(part.column("placement").to_pylist(), dtype=object)[known]
    # '' is a student with answers placed from their grade: their answers are the reason
    return dict(collections.Counter(str(w or "with answers") for w in words.tolist()))


def _counted_students(path: Path) -> pa.Table:
    """A written students partition's columns that `_school_counts` counts, with
    `ALL_KNOWN_COLUMNS` (per-skill lists: S values per student) only when someone went
    unserved, the only time `_unserved_all_known` reads them. Columns a partition written
    before them lacks are left out. One read of the file: whether someone went unserved is in
    its footer (`_someone_unserved`); a resumed school with an unserved student read the
    file twice, once for the counts and again with the lists."""
    with pq.ParquetFile(path) as students:
        names = students.schema_arrow.names
        counted = COUNTED_COLUMNS
        if _someone_unserved(students.metadata):
            counted = (*COUNTED_COLUMNS, *ALL_KNOWN_COLUMNS)
        return students.read(columns=[c for c in counted if c in names])


def _someone_unserved(footer: pq.FileMetaData) -> bool:
    """Whether a students partition may hold a student with no recommendation (`recommended`
    0), from its footer's statistics of each row group (`writer.parquet_bytes` writes them):
    True where a group's least `recommended` is 0 or unrecorded, False without the column (a
    partition written before it)."""
    leaves = [footer.schema.column(i).path for i in range(footer.num_columns)]
    if "recommended" not in leaves:
        return False
    column = leaves.index("recommended")
    for group in range(footer.num_row_groups):
        stats = footer.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max or stats.min <= 0:
            return True
    return False


def _serve_one(night: Night, school: str) -> SchoolDone:
    """Serve one school, or read back its counts when a resumed run has it already."""
    if night.resumed and writer.is_done(night.out, TABLES, night.day, school):
        recs = pq.read_table(
            writer.partition_path(night.out, "recommendations", night.day, school),
            columns=["skill_id"],
        )
        students = _counted_students(
            writer.partition_path(night.out, "students", night.day, school)
        )
        paths = [writer.partition_path(night.out, name, night.day, school) for name in TABLES]
        files = {str(p.relative_to(night.out)): writer.file_entry(p) for p in paths}
        return _school_counts(school, False, recs, students, files, night.context)
    at = night.school_rows[school]
    ids = [night.roster[i] for i in at]
    outputs = serve_school(night, ids, night.state_rows[at], night.history_rows[at])
    return write_school(night, school, outputs)


_FORKED: Night | None = None  # the night the forked worker processes serve (set before forking)
_FORKED_BESIDE: Callable[[], object] | None = None  # the work run beside the schools (ditto)


def _serve_forked(school: str) -> SchoolDone:
    assert _FORKED is not None
    return _serve_one(_FORKED, school)


def _beside_forked() -> None:
    assert _FORKED_BESIDE is not None
    _FORKED_BESIDE()


def _serve_schools(
    night: Night,
    schools: list[str],
    workers: int,
    show_progress: bool,
    on_partition: Callable[[str], None] | None,
    beside: Callable[[], object] = lambda: None,
) -> list[SchoolDone]:
    """Serve every school: in this process (`workers` <= 1, or one school), or in `workers`
    forked processes (fork: they share the night's state read-only, nothing is pickled but
    school names and counts). Schools are independent, so the output does not depend on the
    order they finish in; the largest go first so that the workers end together.
    `beside()` (the night's snapshot save) runs first: in this process before the schools, or
    as the workers' first task, while the other workers serve schools (it reads the state the
    workers were forked with; at 400,000 students it is ~10 s that no longer hold up the night).
    `on_partition(school)` is called here, in the driver, after each school is written."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    columns += (TimeElapsedColumn(),)
    sizes = {s: len(night.school_rows[s]) for s in schools}
    queue = sorted(schools, key=lambda s: (-sizes[s], s))
    done: list[SchoolDone] = []
    # a school's matrix products are small ((students x skills) @ (skills x skills)): BLAS
    # threads only cost there, and with a worker per core they contend (measured under load:
    # 5.4 ms with 2 threads, 0.4 ms with 1, for one school's prerequisite count); forked workers
    # inherit the limit
    with (
        threadpool_limits(limits=1, user_api="blas"),
        Progress(
            *columns, console=PROGRESS_CONSOLE, disable=not show_progress, transient=False
        ) as bar,
    ):
        task = bar.add_task(f"batch {night.day}: schools", total=len(schools))

        def finished(d: SchoolDone) -> None:
            done.append(d)
            bar.advance(task)
            if d.written and on_partition is not None:
                on_partition(d.school)

        if workers <= 1 or len(schools) <= 1 or not _can_fork():
            beside()
            for school in queue:
                finished(_serve_one(night, school))
            return done
        _ = night.school_rows, night.state_rows, night.history_rows  # computed once, then shared
        global _FORKED, _FORKED_BESIDE
        _FORKED, _FORKED_BESIDE = night, beside
        try:
            with forked_pool(workers, initializer=_own_peak_memory) as pool:  # die with us
                side = pool.submit(_beside_forked)
                pending = [pool.submit(_serve_forked, s) for s in queue]
                try:
                    for future in as_completed(pending):
                        finished(future.result())
                    side.result()
                except BrokenProcessPool as exc:
                    raise BatchWorkerError(
                        "a worker process of the nightly job died (killed, or out of memory); "
                        "the partitions written so far stand: run the same command again to "
                        "resume, or with fewer workers"
                    ) from exc
                except BaseException:
                    pool.shutdown(wait=True, cancel_futures=True)
                    # the schools the workers finished while the pool shut down are written
                    # too: the bar shows them (a stop showed 0/5 with every school on disk)
                    bar.update(task, completed=sum(map(_succeeded, pending)))
                    raise
        finally:
            _FORKED = _FORKED_BESIDE = None
    return done


def _succeeded(future: Future) -> bool:
    """Whether a finished pool task returned (was not cancelled, raised nothing)."""
    return future.done() and not future.cancelled() and future.exception() is None


def _own_peak_memory() -> None:
    """Start a forked worker's peak-RSS record from its current size (Linux copies the parent's
    record on fork), so the worker's reported peak is its own (best effort)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class BatchWorkerError(AdaptiveError):
    """A worker process of the nightly job died before finishing its school."""


def student_batch(
    model: KnowledgeTracer,
    state: TracingState,
    history: StudentHistory,
    catalog: Catalog,
    profiles: dict[str, LearnerProfile],
    student_ids: list[str],
    config: PolicyConfig,
    *,
    state_rows: np.ndarray | None = None,
    history_rows: np.ndarray | None = None,
    overrides: OverrideSet | None = None,
    placement: Placement | None = None,
) -> StudentBatch:
    """One partition's policy inputs: these students' mastery (from their rows of the tracer
    state only), history features, profile fields and teacher overrides. `placement` (the
    night's `--placement` table) places the students it knows, and the recommendations say so
    ("placed from last_year.csv"), whether they have answered since or not; a student who never
    answered says where they started from (default: their grade). A student the state placed
    from something else than their grade (a table given on an earlier night, a diagnostic)
    says so on every night, the table given again or not (`batch_from_model` reads the state's
    record)."""
    rows = state.rows(student_ids, missing=-1) if state_rows is None else state_rows
    rows = rows[rows >= 0]
    sub = TracingState(
        [state.students[r] for r in rows],
        {k: v[rows] for k, v in state.arrays.items()},
        skills=state.skills,
        model=state.model,
        sources=state.sources,
    )
    batch = batch_from_model(
        model,
        sub,
        catalog,
        profiles,
        student_ids=student_ids,
        config=config,
        placement=placement if placement is not None else "grade",
        **history.fields(student_ids, rows=history_rows),
        first_answers=(
            history.first_answers(student_ids, rows=history_rows) if reads_level(model) else None
        ),
        **(overrides.batch_fields(catalog, profiles, student_ids) if overrides else {}),
    )
    batch.school_id = np.where(batch.school_id == "", UNASSIGNED_SCHOOL, batch.school_id).astype(
        object
    )
    if placement is not None:
        batch.placement = _placed_by(placement, student_ids, batch.placement)
        if batch.level_known is not None:  # the table's students keep what it placed them at
            batch.level_known[placement.rows_of(student_ids) >= 0] = np.nan
    return batch


def _placed_by(placement: Placement, student_ids: Sequence[str], said: np.ndarray) -> np.ndarray:
    """Each student's `placement` text, with the table's words for the students it places (a
    student who has answered since too: the table is what the night placed them from; trial 1
    found no output saying which students a `--placement` file placed). The same whatever
    night the student joined the state, so an incremental night equals a recompute."""
    given = np.array([placement.source_of(sid) or "" for sid in student_ids], dtype=object)
    return np.where(said == "", given, said).astype(object)


def student_table(
    model: KnowledgeTracer,
    state: TracingState,
    history: StudentHistory,
    catalog: Catalog,
    profiles: dict[str, LearnerProfile],
    student_ids: list[str],
    config: PolicyConfig,
) -> pa.Table:
    """`student_batch` as the partition's Arrow table (`partition.batch_to_table`)."""
    return batch_to_table(
        student_batch(model, state, history, catalog, profiles, student_ids, config)
    )


def _given_placement(
    placement: str | Path | Placement | None,
    catalog: Catalog,
    reading: PlacementReading | None = None,
) -> tuple[Placement | None, str | None, int | None]:
    """The night's placement table (read and checked before any work, as `reading` says), its
    sha256 for the night's fingerprint (a re-run with another table, or other columns or
    skill map, is another night's output) and the rows its read wrote to the placement
    quarantine, as the read counted them (None where no quarantine was given)."""
    if placement is None:
        return None, None, None
    if isinstance(placement, Placement):
        table = placement.to_frame().to_csv(index=False).encode()
        return placement, hashlib.sha256(table).hexdigest(), None
    reading = reading or PlacementReading()
    mapped = dataclasses.replace(reading, skill_map=SkillMap.of(reading.skill_map, catalog))
    # the map read once: its fingerprint is the table's
    read, drops = mapped.read_counted(placement, catalog)
    return read, placement_sha256(placement, reading.columns, mapped.skill_map), drops.quarantined


def _covers_before_log(
    experiment: Assignment, profiles: str | Path | dict[str, LearnerProfile] | Future
) -> bool:
    """Refuse an assignment of none of the profiles' classes (schools) before the night reads
    its log, as the Spark driver does (`check_covers_units`): from the profiles when they are
    read already (or being read, `Future`), else from a light pass over the file's class
    (school) ids that stops at the first one of the assignment (`profile_fields`: one row at a
    time, so the night's peak of memory, the log, is not raised). True once checked; False
    where the file does not read: `read_profiles` then names its problems, and the check
    runs after it."""
    if isinstance(profiles, Future):
        profiles = profiles.result()
    if isinstance(profiles, dict):
        check_covers_students(experiment, profiles)
        return True
    try:
        check_covers_units(experiment, profile_fields(profiles, ("school_id", "class_id")))
    except (ConfigError, ValueError, OSError):  # the file's own problems (an AssignmentError,
        # the refusal, is none of these): read_profiles names them
        return False
    return True


def profiles_of(profiles: str | Path | dict[str, LearnerProfile]) -> dict[str, LearnerProfile]:
    return profiles if isinstance(profiles, dict) else read_profiles(profiles)


@contextlib.contextmanager
def _registry_errors_first(champion: Future) -> Iterator[None]:
    """Errors of the steps that run while the registry answers (the snapshot's meta, the log)
    come after the registry's own, as when the registry was asked first: such an error waits
    for the registry's answer, and a registry error (no champion, a server down, an altered
    artifact) is raised instead. The same error for the same inputs, whichever finished
    first."""
    try:
        yield
    except Exception as exc:
        try:
            registry_answer(champion).load()
        except AdaptiveError as registry_error:
            raise registry_error from exc
        raise


def _in_background(fn: Callable[..., object], *args: object) -> Future:
    """`fn(*args)` started in a thread of its own; its result (or error) from `.result()`."""
    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(fn, *args)
    finally:
        pool.shutdown(wait=False)  # no other task; the thread ends with this one


def _student_chunks(log: ResponseLog, rows: np.ndarray, students: int = CHUNK_STUDENTS):
    """The selected rows of `log` as sub-logs of at most `students` students each, in student
    order (students are independent, so absorbing chunk by chunk equals absorbing at once; it
    bounds the memory of the derived arrays)."""
    if not rows.any():
        return
    if rows.all() and log.n_students <= students:
        yield log
        return
    offsets = log.student_offsets
    for start in range(0, log.n_students, students):
        stop = min(start + students, log.n_students)
        mask = np.zeros(len(log), bool)
        mask[offsets[start] : offsets[stop]] = rows[offsets[start] : offsets[stop]]
        if mask.any():
            yield log.take_rows(mask)


def _release_arrow_memory() -> None:
    """Hand the memory Arrow's pool kept from freed buffers back to the system. Reading a log
    frees most of what it allocated (raw columns, validation arrays), but the pool holds on to it:
    at 100,000 students about 1 GB, which would otherwise stay resident all night (measured)."""
    pa.default_memory_pool().release_unused()


def _policy_source(given: PolicyConfig | str | Path | None) -> str:
    """Where the night's policy comes from, in words: its file's name, or "shipped default"."""
    return _source_name(given) or "shipped default"


def _source_name(given: object) -> str | None:
    """A file's name (a policy, an assignment), "given in memory" for an object, None for
    nothing."""
    if given is None:
        return None
    return Path(given).name if isinstance(given, str | Path) else "given in memory"


def _policy_config(given: PolicyConfig | str | Path | None) -> PolicyConfig:
    if isinstance(given, PolicyConfig):
        return given
    if given is not None:
        return PolicyConfig.from_toml(given)
    return PolicyConfig.default()


def _read_log_and_records(
    data, mapping, quarantine, since: int | None, bounds: list[int]
) -> tuple[ResponseLog, LoadReport | None, list[dict | None]]:
    """`_read_log`, and the record of the log before each of `bounds` (`log_digest`): a Parquet
    log's from a pass over its file, in a thread of its own while the log is read (stopped when
    the read fails), else the responses' of the log read in full."""
    stop = threading.Event()
    recording = _in_background(parquet_before, data, mapping, bounds, stop)
    try:
        log, report = _read_log(data, mapping, quarantine, since)
        records = recording.result()
    except BaseException:
        stop.set()
        raise
    if records is None:
        records = responses_before(log, bounds)
    return log, report, records


def _read_log(
    data, mapping, quarantine, since: int | None = None
) -> tuple[ResponseLog, LoadReport | None]:
    """The log and its load report (None for a log given in memory); the report's notes are
    the caller's to say (`_say_notes`), once, of the read it keeps. Only what the job uses is
    read: a Parquet file from `since` on, when given (`LoadReport.rows_skipped` counts the
    rows left out; a CSV is read whole), and none of the optional columns (duration, attempt,
    school, class: schools come from the profiles); at 100,000 students skipping those lowers
    the peak memory of the read by about 0.6 GB (measured). Arrow allocates from the system
    allocator meanwhile (`_system_arrow_pool`)."""
    if isinstance(data, ResponseLog):
        return data, None
    from adaptive.data import read_responses_report, resolve

    path, column_mapping, base_dir = resolve(data, mapping)
    column_mapping = dataclasses.replace(column_mapping, optional=dict.fromkeys(OPTIONAL_FIELDS))
    with _system_arrow_pool():
        log, report = read_responses_report(
            path, column_mapping, quarantine, base_dir=base_dir, since=since
        )
    # the log is only sliced into students and traced: its ids as codes, not strings per row
    # (-0.7 GB at 20 M responses, the first night's peak)
    log.compact_ids()
    return log, report


def _recent_answers(
    log: ResponseLog, report: LoadReport | None, data, mapping, cutoff_ns: int
) -> tuple[ResponseLog, np.ndarray]:
    """The log (and its times) that holds every answer of the `RECENT_WEEKS` before the night
    (`warn_roster_a_grade_behind`): `log` itself where it was read whole or holds answers
    before the night (the newest, enough to tell a roster's grade), else (a Parquet log read
    from a snapshot's cutoff on, nothing new) that window read again, its row groups before it
    skipped: a night without new answers said nothing of last year's roster. Read again only
    then: a district's 4 weeks are millions of rows. Its notes were said on the nights that
    read those rows; a window that no longer reads is left unchecked."""
    if report is None or not report.rows_skipped or bool((log.time < cutoff_ns).any()):
        return log, log.time
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            weeks = pd.Timedelta(weeks=RECENT_WEEKS).value
            recent, _ = _read_log(data, mapping, None, cutoff_ns - weeks)
    except AdaptiveError:
        return log, log.time
    return recent, recent.time


def _say_notes(report: LoadReport | None) -> int:
    """Say the notes of the log's read (`warn_notes`: ties, times read as an order) and return
    its number of quarantined rows (0 for a log in memory). Called once for the read a night
    keeps: a night that rebuilt its state read a CSV log twice and said each note twice."""
    if report is None:
        return 0
    from adaptive.data import warn_notes

    warn_notes(report)
    return int(report.rows_quarantined)


@contextlib.contextmanager
def _system_arrow_pool():
    """Arrow's allocations from the system allocator while in the block (the default pool is
    restored after; each buffer is freed by the pool that made it). A full read of the log is
    the first night's peak of memory, and its intermediate tables are freed along the way: the
    system allocator hands their large blocks back at once, where the default (mimalloc) keeps
    them for reuse. At 400,000 students the night's peak is 5.65 GB instead of 5.92 (measured)."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _profiles_sha(profiles: str | Path | dict[str, LearnerProfile]) -> str:
    """sha256 of the profiles: the file's bytes, or the JSON of in-memory profiles."""
    if not isinstance(profiles, dict):
        return file_sha256(profiles)
    digest = hashlib.sha256()
    for sid in sorted(profiles):
        digest.update(json.dumps(profiles[sid].to_dict(), sort_keys=True).encode())
    return digest.hexdigest()


def _open_summary_run(day: str, tracking_uri: str | None, owner: dict[str, str]) -> str:
    """The night's MLflow run (in the batch experiment), opened before the night is served,
    with its owner (the job's process: `registry.runs`). Runs of earlier nights left RUNNING by
    a killed job are marked FAILED first, with the reason (they stayed RUNNING forever)."""
    with tracking(tracking_uri) as client:
        experiment = experiment_id(client, BATCH_EXPERIMENT)
        fail_stale_runs(client, experiment, kind="batch")
        run = client.create_run(
            experiment, run_name=f"batch-{day}", tags={"adaptive.kind": "batch", **owner}
        )
    return run.info.run_id


def _log_summary(run_id: str, summary: JobSummary, tracking_uri: str | None) -> str:
    """The night's figures into its run, in one batch: counts, time, the distribution of
    recommended skills (an artifact); then the run is closed."""
    params = {
        "date": summary.date,
        "registered_model": summary.model_name,
        "model_version": summary.model_version,
        "previous_snapshot": summary.previous_snapshot or "none",
        "state_rebuilt": summary.state_rebuilt,
        "policy": summary.policy,
        "exploration": summary.exploration,
        "k": summary.k,
        **({"experiment": summary.experiment} if summary.experiment else {}),
    }
    metrics = {
        "students_served": summary.students_served,
        "schools": summary.schools,
        "partitions_written": summary.partitions_written,
        "partitions_resumed": summary.partitions_resumed,
        "new_responses": summary.new_responses,
        "rows_quarantined": summary.rows_quarantined,
        **(
            {"placement_rows_quarantined": summary.placement_rows_quarantined}
            if summary.placement_rows_quarantined is not None
            else {}
        ),
        "students_without_profile": summary.students_without_profile,
        "students_without_recommendations": summary.students_without_recommendations,
        "students_below_k": summary.students_below_k,
        "students_short_with_time_left": summary.students_short_with_time_left,
        "responses_in_future": summary.responses_in_future,
        "share_stuck": summary.share_stuck,
        "seconds": summary.seconds,
        "distinct_skills_recommended": len(summary.skill_counts),
    }
    if summary.skill_coverage is not None:
        metrics["catalog_skills"] = summary.skill_coverage.catalog
        metrics["catalog_skills_known_to_model"] = summary.skill_coverage.known
        metrics["responses_untraced"] = summary.responses_untraced
    if summary.experiment is not None:
        metrics["students_outside_experiment"] = summary.students_outside_experiment
    now = int(time.time() * 1000)
    with tracking(tracking_uri) as client:
        client.log_batch(
            run_id,
            metrics=[Metric(k, float(v), now, 0) for k, v in metrics.items()],
            params=[Param(k, str(v)) for k, v in params.items()],
            tags=[RunTag("output", str(summary.out.resolve()))],
        )
        client.log_text(
            run_id,
            summary.skill_counts.rename_axis("skill_id").to_csv(),
            "skill_distribution.csv",
        )
        client.set_terminated(run_id, "FINISHED")
    return run_id


class SummaryRun:
    """The night's MLflow summary run, opened by the registry's process once the night's inputs
    are checked (`open`, the serving's `inputs_checked`): a night refused on its inputs (a
    missing log, a renamed column, a raw roster as --profiles, no such model) leaves no run. A
    trial found each such night had left a run RUNNING (deleted, but never ended). A night that
    fails after it was opened ends it FAILED with the reason, then deletes it (`discard`): the
    batch experiment lists the nights that completed."""

    def __init__(self, registry: ProcessPoolExecutor, day: str, tracking_uri: str | None):
        self.registry, self.day, self.tracking_uri = registry, day, tracking_uri
        self.opening: Future | None = None

    def open(self) -> Future:
        """The run's opening, asked of the registry's process the first time (the champion is
        fetched by then: that process is free)."""
        if self.opening is None:
            self.opening = self.registry.submit(
                _open_summary_run, self.day, self.tracking_uri, owner_tags()
            )
        return self.opening

    def discard(self, exc: BaseException) -> None:
        """End the run FAILED with the reason `exc` gives (`failed_reason`: no id) and delete
        it, where it was opened (best effort: a run left RUNNING is marked FAILED by the next
        night, `fail_stale_runs`)."""
        if self.opening is None:
            return
        reason = failed_reason(exc)
        with contextlib.suppress(Exception):
            run_id = self.opening.result(timeout=5)
            ending = self.registry.submit(_end_failed_run, run_id, reason, self.tracking_uri)
            ending.result(timeout=10)


def failed_reason(exc: BaseException) -> str:
    """The reason a failed night's MLflow run records (tag `adaptive.failed_reason`), which
    holds no student id: the server's failure in fixed words (`network_failure`), else the
    error's type name, with the system's own words for an `OSError` ("No space left on
    device", never its file name) and the code of a `SystemExit` (a stop signal's). Never the
    message: not every error's keeps ids out (a profile's error names its student, a
    `KeyError` prints its key), and the run is kept where anyone with access to the store
    reads it; the command line shows the message itself."""
    reason = network_failure(exc)
    if reason is not None:
        return reason
    name = type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        return f"{name}: {exc.strerror}"
    if isinstance(exc, SystemExit) and isinstance(exc.code, int):
        return f"{name}({exc.code})"
    return name


def _end_failed_run(run_id: str, reason: str, tracking_uri: str | None) -> None:
    with tracking(tracking_uri) as client:
        end_failed(client, run_id, f"the night failed: {reason}", delete=True)
