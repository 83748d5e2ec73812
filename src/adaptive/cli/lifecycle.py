"""`adaptive train | promote | rollback | batch | demo`: the model lifecycle and the daily job.

Thin wrappers over `adaptive.registry.train_model` / `promote` / `rollback`,
`adaptive.batch.run_daily_job` and `adaptive.batch.demo.run_demo`. Every command takes
`--tracking-uri` (default: `$MLFLOW_TRACKING_URI`, else the embedded SQLite store in the data
folder, `adaptive.paths.data_dir()`).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from adaptive.cli.options import (
    CatalogFile,
    DistrictDir,
    DistrictLog,
    Engine,
    NormFile,
    OverridesPath,
    PlacementColumns,
    PlacementDropBlankAndIdentical,
    PlacementPath,
    PlacementQuarantine,
    PlacementSkillMap,
    PolicyFile,
    ProfilesFile,
    Quarantine,
    Quiet,
    SparkMaster,
    Threads,
    TrackingUri,
    check_demo_model_serves,
    check_district_given,
    district_or_files,
    log_and_catalog,
    parse_day,
    reads_log,
    served_model,
)
from adaptive.cli.output import console, info, warn
from adaptive.errors import ConfigError, counted, verb

if TYPE_CHECKING:
    from adaptive.tracing.base import KnowledgeTracer

ModelName = Annotated[str, typer.Option("--name", help="Registered model name.")]


def register(app: typer.Typer) -> None:
    """Add `train`, `promote`, `batch` and `demo` to the main app."""
    app.command("train")(train)
    app.command("promote")(promote)
    app.command("rollback")(rollback)
    app.command("batch")(batch)
    app.command("demo")(demo)


@reads_log
def train(
    model: Annotated[
        str, typer.Option("--model", help="Model spec: a shipped NAME (e.g. bkt) or a .toml path.")
    ],
    data: Annotated[
        str | None,
        typer.Option("--data", help="Dataset name (see `adaptive datasets list`) or a file."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Register the model as a new version of NAME.")
    ] = None,
    folds: Annotated[
        int, typer.Option("--folds", min=2, help="Student-level cross-validation folds.")
    ] = 5,
    seed: Annotated[
        int,
        typer.Option("--seed", min=0, help="Seed of the folds (and of the model if it has one)."),
    ] = 0,
    tracking_uri: TrackingUri = None,
    threads: Threads = None,
    catalog: CatalogFile = None,
    profiles: ProfilesFile = None,
    district: DistrictDir = None,
    policy: PolicyFile = None,
    norm: NormFile = None,
    roster_date: Annotated[
        str | None,
        typer.Option(
            "--roster-date",
            callback=parse_day,
            help="A day of the school year whose grades --profiles gives (default: the day of "
            "the log's latest answer): e.g. this year's roster beside last year's log.",
        ),
    ] = None,
    mapping: dict | None = None,
    quarantine: Quarantine = None,
    quiet: Quiet = False,
) -> None:
    """Train a model spec on a log, logging an MLflow run (metrics per fold, model files).

    With `--catalog`, BKT gives the catalog's skills that the log never mentions their graph
    neighbours' parameters, so the nightly job traces answers on them. With `--catalog` and
    `--profiles` (the students' grades), any model measures whether the district's knowledge
    follows the curriculum order; where it does, the adaptive policy reads each student's
    never-answered skills from their first answers on others (`--policy FILE`: with the grade
    table of the policy the district serves with). A log of several school years is read at
    the grade each student was in when they answered; a school year starts on the growth
    norm's `year_start` (`--norm FILE`: the district's, default the shipped one's), the
    profiles' grades being those of the school year of the log's latest answer (`--roster-date
    DAY`: of DAY's, e.g. this year's roster beside last year's log). `--district
    DIR` reads the folder's log, catalog and profiles (as `adaptive simulate --out` writes
    them).

    Its results, which `-q` prints alone: the fold table, the MLflow run and the version it
    registered (what `promote` takes), and the rows quarantined.
    """
    from adaptive.curriculum import Catalog, read_profiles
    from adaptive.policy import PolicyConfig
    from adaptive.registry import train_model
    from adaptive.tracing.deep.threads import torch_threads

    given_catalog = catalog
    data, catalog, profiles = district_or_files(district, catalog, profiles, data, mapping=mapping)
    if data is None:
        raise ConfigError("give --data (a response log: a file or dataset name) or --district")
    if policy is not None and profiles is None:
        raise ConfigError(
            "--policy: train reads only its grade table, for the curriculum-order check; give "
            "--catalog and --profiles (or --district) with it"
        )
    if (
        given_catalog is None
        and profiles is None
        and catalog is not None
        and not _takes_catalog(model)
    ):
        catalog = None  # the --district folder's catalog, for a model that has no use for it

    grade_table = PolicyConfig.from_toml(policy).grade_table if policy else None
    year_start = _norm_year_start(norm, profiles)  # a wrong file before the fit
    if roster_date is not None and profiles is None:
        raise ConfigError(
            "--roster-date: the day whose school year --profiles' grades are of; give "
            "--catalog and --profiles (or --district) with it"
        )
    with torch_threads(threads):
        result = train_model(
            model,
            data,
            mapping=mapping or None,
            quarantine=quarantine,
            registered_name=name,
            folds=folds,
            seed=seed,
            tracking_uri=tracking_uri,
            catalog=Catalog.from_json(catalog) if catalog else None,
            profiles=read_profiles(profiles) if profiles else None,
            grade_table=grade_table,
            year_start=year_start,
            roster_day=roster_date,
        )
    table = Table(title=f"{result.spec}: held-out folds (students never seen in training)")
    for col in result.folds.columns:
        table.add_column(str(col))
    for row in result.folds.itertuples(index=False):
        table.add_row(*[f"{v:.4f}" if isinstance(v, float) else str(v) for v in row])
    console.print(table)
    _print_learning_curve(result.model)
    if profiles:
        _print_curriculum_level(result.model, given_table=grade_table is not None)
    _print_holdout(result.run_id, tracking_uri)
    console.print(
        f"MLflow run {result.run_id}"
        + (f"; registered {name} version {result.version}" if name else "")
    )
    _print_quarantined(quarantine)


def _norm_year_start(norm: Path | None, profiles: Path | None) -> str | None:
    """The first day of a school year by `train --norm` (read with the norm's own checks: a
    wrong file is refused before the fit), None without it (the shipped norm's). The norm
    reads the curriculum-order check's school years only, so it goes with --profiles."""
    if norm is None:
        return None
    if profiles is None:
        raise ConfigError(
            "--norm: train reads only its year_start, for the school years of the "
            "curriculum-order check; give --catalog and --profiles (or --district) with it"
        )
    from adaptive.school_year import norm_year_start

    return norm_year_start(norm)


def _print_learning_curve(model: KnowledgeTracer) -> None:
    """Say whether the training log shows gradual learning (`learning_curve_`), and what the
    default policy does with it: holds practised skills open for more answers."""
    from adaptive.policy import PolicyConfig

    config = PolicyConfig.default()
    curve = model.learning_curve_
    verdict = (
        f"gradual: the policy holds a practised skill until {config.gradual_min_responses} "
        "answers before calling it mastered"
        if curve.is_gradual(config.gradual_learning_z)
        else "not gradual"
    )
    info(
        f"Learning in the training log: {curve}; {verdict} (gradual_learning_z "
        f"{config.gradual_learning_z:g} in the policy file)."
    )


def _print_curriculum_level(model: KnowledgeTracer, given_table: bool) -> None:
    """Say where the training log's students start (the grade table read from it, unless the
    policy file gave one) and whether their knowledge follows the curriculum order
    (`curriculum_level_`), and what the adaptive policy does with each."""
    from adaptive.placement.calibrate import start_sentence

    level = model.curriculum_level_
    if level.start is not None:
        info(start_sentence(level.start, policy_table=given_table))
    info(level.policy_sentence())


def _print_holdout(run_id: str, tracking_uri: str | None) -> None:
    """Say whom the fold table leaves out, and why: `train` holds a share of the students out
    for `promote` (by a hash of their id, `adaptive.registry.holdout`), so the folds' responses
    do not add up to the log's. The counts are the ones the MLflow run recorded."""
    from adaptive.registry.store import tracking

    with tracking(tracking_uri) as client:
        params = client.get_run(run_id).data.params
    n = {
        key: int(params[key])
        for key in ("data_students", "data_responses", "train_students", "train_responses")
    }
    info(
        f"Held out for promotion: {n['data_students'] - n['train_students']:,} of "
        f"{n['data_students']:,} students ({n['data_responses'] - n['train_responses']:,} of "
        f"{n['data_responses']:,} responses): each student is held out with a chance of "
        f"{float(params['holdout_fraction']):.0%}, by a hash of their id read as the "
        "student (leading zeros of a number and case aside: '931' and '000931' are one student; "
        "the same students on every run, machine and export). `adaptive promote` compares models on them, so "
        "neither the folds above nor the trained model saw them: the folds cover the other "
        f"{n['train_students']:,} students ({n['train_responses']:,} responses)."
    )


@reads_log
def promote(
    name: ModelName,
    version: Annotated[
        str | None, typer.Option("--version", help="Candidate version (default: latest).")
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Log whose held-out students both models are "
            "scored on (default: the candidate's training data).",
        ),
    ] = None,
    metric: Annotated[
        str, typer.Option("--metric", help="auc, accuracy, rmse or logloss.")
    ] = "auc",
    margin: Annotated[
        float,
        typer.Option(
            "--margin",
            help="Required improvement on the metric, established by the held-out students: "
            "the lower end of its 95% paired-bootstrap interval over them must reach it "
            "(0: any established gain, or the same predictions).",
        ),
    ] = 0.001,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", min=0, help="Seed of the bootstrap over held-out students (1,000 draws)."
        ),
    ] = 0,
    calibration_tolerance: Annotated[
        float, typer.Option("--calibration-tolerance", help="Allowed increase of the ECE.")
    ] = 0.01,
    min_auc: Annotated[
        float,
        typer.Option(
            "--min-auc", help="Minimum AUC of a first champion (and of a --new-skills one)."
        ),
    ] = 0.55,
    new_skills: Annotated[
        bool,
        typer.Option(
            "--new-skills",
            help="Replace the champion with a candidate of another skill vocabulary (a new "
            "catalog), without a comparison: it must pass --min-auc on its own data. Without "
            "it such a candidate is refused.",
        ),
    ] = False,
    tracking_uri: TrackingUri = None,
    district: DistrictLog = None,
    mapping: dict | None = None,
    quarantine: Quarantine = None,
    quiet: Quiet = False,
) -> None:
    """Compare a version with the champion on the same held-out students; promote only if better.

    Better means established: the candidate's improvement on `--metric` over the champion,
    resampling the held-out students (a paired bootstrap, 1,000 draws, `--seed`), has a 95%
    interval whose lower end reaches `--margin`; a gain the students do not establish is "not
    established", with its interval. A first champion needs `--min-auc` and a log-loss
    established below the constant base-rate predictor's.

    Exit code 0 on a decision either way (promoted or not: the verdict line says which and why);
    2 on an error (unknown model or version, unreadable data, a candidate fitted on other
    skills than the champion's, a champion moved by another promote meanwhile). The column
    flags read `--data` as `train` does; without `--data`, the candidate's own training data
    and flags are used (a warning names each version's log where the champion was trained on
    another). Two promotes of one model wait for each other (local store).
    """
    from adaptive.registry import PromotionRule
    from adaptive.registry import promote as promote_version

    rule = PromotionRule(
        metric=metric,
        margin=margin,
        calibration_tolerance=calibration_tolerance,
        min_auc=min_auc,
        seed=seed,
    )
    if district is not None:  # the folder's log; else --data, or the candidate's own data
        data, _ = log_and_catalog(district, data, None, mapping)
    d = promote_version(
        name,
        version,
        data,
        rule=rule,
        mapping=mapping or None,
        quarantine=quarantine,
        tracking_uri=tracking_uri,
        new_skills=new_skills,
    )
    _warn_data_mismatch(d)
    table = Table(
        title=f"{name}: candidate v{d.candidate_version} vs champion "
        f"{'v' + d.champion_version if d.champion_version else '(none)'}"
    )
    shown = ["auc", "rmse", "logloss", "ece"]
    if rule.metric not in shown and rule.metric in d.candidate:  # the metric decided: show it
        shown.append(rule.metric)
    for col in ("model", *shown, "n_responses"):
        table.add_column(col)
    for label, m in (("candidate", d.candidate), ("champion", d.champion)):
        if m is not None:
            table.add_row(label, *(f"{m[c]:.4f}" for c in shown), str(int(m["n_responses"])))
    console.print(table)
    verdict = "[bold green]PROMOTED[/]" if d.promoted else "[bold yellow]not promoted[/]"
    console.print(f"{verdict}: {escape(d.reason)}")
    _print_quarantined(quarantine)


def rollback(
    name: ModelName,
    version: Annotated[
        str, typer.Option("--version", help="The earlier champion version to serve again.")
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (recorded with the run and the version).")
    ],
    tracking_uri: TrackingUri = None,
    quiet: Quiet = False,
) -> None:
    """Make an earlier champion the champion again, without a comparison.

    For a new champion that misbehaves in the field; the next night serves the earlier one and
    says so."""
    from adaptive.registry.promotion import rollback as roll_back

    d = roll_back(name, version, reason, tracking_uri=tracking_uri)
    console.print(
        f"[bold green]ROLLED BACK[/]: {escape(name)} v{d.candidate_version} is the champion "
        f"again (was v{d.champion_version or 'none'}): {escape(reason)}",
        soft_wrap=True,
    )


@reads_log
def batch(
    date: Annotated[
        str,
        typer.Option(
            "--date", callback=parse_day, help="Day to recommend for (uses responses before it)."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", file_okay=False, help="Output folder (Parquet by date and school)."),
    ],
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Registered model whose champion to use (default: the demo's, as `adaptive "
            "demo` registers it).",
        ),
    ] = None,
    data: Annotated[
        str, typer.Option("--data", help="Response log: dataset name or file.")
    ] = "demo",
    catalog: CatalogFile = None,
    profiles: ProfilesFile = None,
    district: DistrictDir = None,
    state_dir: Annotated[
        Path | None,
        typer.Option("--state-dir", file_okay=False, help="Snapshots (default: OUT/state)."),
    ] = None,
    k: Annotated[int, typer.Option("--k", min=1, help="Recommendations per student.")] = 20,
    policy: PolicyFile = None,
    overrides: OverridesPath = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", file_okay=False, help="Also write the report site here."),
    ] = None,
    experiment: Annotated[
        Path | None,
        typer.Option(
            "--experiment",
            exists=True,
            dir_okay=False,
            help="Assignment of `adaptive experiment assign`: serve each class its arm's policy.",
        ),
    ] = None,
    placement: PlacementPath = None,
    placement_columns: PlacementColumns = None,
    placement_skill_map: PlacementSkillMap = None,
    placement_drop_blank_and_identical: PlacementDropBlankAndIdentical = False,
    placement_quarantine: PlacementQuarantine = None,
    tracking_uri: TrackingUri = None,
    mapping: dict | None = None,
    quarantine: Quarantine = None,
    quiet: Quiet = False,
    engine: Engine = "local",
    master: SparkMaster = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Processes serving schools in-process (default: 2, whatever the machine's cores).",
        ),
    ] = 2,
    timezone: Annotated[
        str,
        typer.Option(
            "--timezone",
            help="The district's IANA time zone (e.g. America/Chicago): a night takes the "
            "answers before its day's midnight there. Keep UTC when the log's times are naive "
            "local times (read as UTC, their midnights are local already).",
        ),
    ] = "UTC",
    backfill: Annotated[
        bool,
        typer.Option(
            "--backfill",
            help="Serve a date before the last night served in --out/--state-dir (refused "
            "otherwise); later nights are left as they are.",
        ),
    ] = False,
    drop: Annotated[
        bool,
        typer.Option(
            "--drop",
            help="Remove the night of --date from --out and --state-dir instead of serving it "
            "(a night run by mistake: its outputs, snapshot and overrides record; its MLflow "
            "run is kept). Refused for a night later nights were served from.",
        ),
    ] = False,
) -> None:
    """The daily job: every student's next k activities from the champion, Parquet by date and school."""
    from adaptive.batch.job import run_daily_job
    from adaptive.placement.table import COMMAND_NAMES

    if drop:
        _drop_night(out, date, state_dir)
        return
    check_district_given(name, district, data, "batch")
    check_demo_model_serves(name, district, data, "batch")
    data, catalog, profiles = district_or_files(
        district, catalog, profiles, data, default_data="demo", mapping=mapping
    )
    with served_model(name, "batch", district) as model_name:
        s = run_daily_job(
            date,
            out,
            model_name=model_name,
            data=data,
            catalog=catalog,
            profiles=profiles,
            state_dir=state_dir,
            k=k,
            policy_config=policy,
            mapping=mapping or None,
            quarantine=quarantine,
            tracking_uri=tracking_uri,
            show_progress=not quiet,
            overrides=overrides,
            experiment=experiment,
            engine=engine,
            master=master,
            placement=placement,
            placement_columns=placement_columns,
            placement_skill_map=placement_skill_map,
            placement_drop_blank_and_identical=placement_drop_blank_and_identical,
            placement_quarantine=placement_quarantine,
            placement_names=COMMAND_NAMES,
            workers=workers,
            backfill=backfill,
            timezone=timezone,
        )
    _print_job(s)
    if report is not None:
        from adaptive.cli.report import print_report, write_report

        site = write_report(
            out, s.date, report, catalog=catalog, profiles=profiles, tracking_uri=tracking_uri
        )
        print_report(site)


def _takes_catalog(spec: str) -> bool:
    """Whether the spec's model fits with a catalog (BKT: starting parameters for the skills its
    log never mentions); the others train on the log alone."""
    import inspect

    from adaptive.tracing.specs import build_model

    return "catalog" in inspect.signature(build_model(spec).fit).parameters


def demo(
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            help="Comma-separated model specs to compare (default: BKT, the logistic models, DKT).",
        ),
    ] = None,
    folds: Annotated[
        int, typer.Option("--folds", min=2, help="Cross-validation folds per model.")
    ] = 3,
    k: Annotated[int, typer.Option("--k", min=1, help="Recommendations per student.")] = 20,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            file_okay=False,
            help="Batch output folder (default: demo-batch in the data folder: "
            "$ADAPTIVE_DATA_DIR, else data/ in a source checkout, else ~/.local/share/adaptive).",
        ),
    ] = None,
    tracking_uri: TrackingUri = None,
    quiet: Quiet = False,
) -> None:
    """The main job end to end on the demo district: simulate, validate, train, promote, batch."""
    from adaptive.batch.demo import DEMO_MODELS, run_demo

    r = run_demo(
        models=[m.strip() for m in models.split(",") if m.strip()] if models else DEMO_MODELS,
        folds=folds,
        k=k,
        out=out,
        tracking_uri=tracking_uri,
        say=info,
        show_progress=not quiet,
    )
    table = Table(title=f"Models compared ({folds}-fold student CV; holdout = promotion students)")
    for col in ("model", "version", "auc", "rmse", "logloss", "ece", "holdout_auc", "decision"):
        table.add_column(col)
    for row in r.comparison.itertuples(index=False):
        d = row._asdict()
        table.add_row(
            d["model"],
            str(d["version"]),
            *(f"{d[c]:.4f}" for c in ("auc", "rmse", "logloss", "ece", "holdout_auc")),
            d["decision"],
        )
    console.print(table)
    console.print(f"[bold]champion[/]: demo-district v{r.champion_version} ({r.champion_spec})")
    _print_job(r.job)
    _print_examples(r.job)
    console.print(
        f"MLflow UI: [bold]{_ui_command(r.tracking_uri)}[/]  (then open http://127.0.0.1:5000)"
    )
    if r.site_index is not None:
        console.print(
            f"report site: open {r.site_index.resolve()}", soft_wrap=True, highlight=False
        )


def _print_quarantined(quarantine: Path | None) -> None:
    """With `--quarantine`: how many rows were set aside, and where (train, promote)."""
    if quarantine is None:
        return
    from adaptive.data.io import quarantined_rows

    n = quarantined_rows(quarantine)
    console.print(f"{n:,} row(s) quarantined" + (f" to {quarantine}" if n else ""), soft_wrap=True)


def _quarantined_words(s) -> str:
    """The night's rows quarantined: the log's, and the placement table's where it had a
    quarantine (its rows were once left out of the count: "0 rows quarantined" after 25)."""
    if s.placement_rows_quarantined is None:
        return f"{counted(s.rows_quarantined, 'row')} quarantined"
    placed = counted(s.placement_rows_quarantined, "placement row")
    return f"{counted(s.rows_quarantined, 'log row')} and {placed} quarantined"


def _warn_data_mismatch(d) -> None:
    """Say when the promotion data is not the data the candidate, or the champion, was
    trained on (`PromotionDecision.data_note`, `champion_note`), and when a version trained
    under the earlier holdout rule left fewer students to compare on (`holdout_note`)."""
    notes = ("data_note", "champion_note", "holdout_note")
    for note in (getattr(d, key, None) for key in notes):
        if note:
            warn(note)


def _drop_night(out: Path, date: str, state_dir: Path | None) -> None:
    from adaptive.batch import drop_night

    dropped = drop_night(out, date, state_dir)
    removed = ", ".join(dropped.removed) or "what an interrupted drop had left"
    console.print(
        escape(
            f"dropped the night {date} from {out}: {removed}. Its MLflow run and any report "
            "site written for it are kept"
        ),
        highlight=False,
        soft_wrap=True,
    )


def _state_words(s) -> str:
    """How the night's tracer state came about, as the summary line says it. A re-run of a
    night already served recomputes the state only to check the outputs it keeps: "state
    rebuilt ... (first night)" beside "0 partitions written" read as if something was redone.
    A night whose every partition a stopped run had written, but not its `_SUCCESS.json`, was
    not served before: this run completed it."""
    if s.partitions_resumed and not s.partitions_written:
        if not s.served_before:
            return (
                "the night is complete now: a stopped run had written all its partitions, kept "
                "as they were (the state was recomputed to check them)"
            )
        return (
            "the night was already served: its outputs are kept as they were (the state was "
            "recomputed to check them)"
        )
    if s.state_rebuilt:
        reason = f": {s.rebuild_reason}" if s.rebuild_reason else ""
        return f"state rebuilt from the full history{reason}"
    return f"state updated from snapshot {s.previous_snapshot} ({s.new_responses:,} new responses)"


def _print_job(s) -> None:
    state = _state_words(s)
    console.print(
        f"[bold]daily job {s.date}[/]: model {s.model_name} v{s.model_version}; "
        f"{escape(_served_with(s))}; "
        f"{counted(s.students_served, 'student')} served in {counted(s.schools, 'school')} "
        f"({counted(s.partitions_written, 'partition')} written, {s.partitions_resumed} "
        "already done); "
        f"{state}; {s.share_stuck:.1%} of students stuck on some skill; "
        f"{_quarantined_words(s)}; {s.seconds:.1f} s"
    )
    state_dir = s.state_dir if s.state_dir is not None else s.out / "state"
    console.print(
        escape(
            f"outputs: {s.out / 'recommendations' / f'date={s.date}'} (and students/, "
            f"class_skills/, groups/); state: {state_dir / f'date={s.date}'}"
        ),
        soft_wrap=True,
        highlight=False,
    )
    if s.override_students is not None:
        from adaptive.batch.overrides import applied_line

        info(applied_line(s.override_students, s.override_files, s.override_files_set_aside))
    if s.students_unassigned:
        outside = (
            f"; those without a profile are outside the experiment {s.experiment} (arm '')"
            if s.experiment and s.students_without_profile
            else ""
        )
        warn(
            f"{counted(s.students_unassigned, 'student')} {verb(s.students_unassigned, 'was')} served "
            "in school 'unassigned' (no profile, or a profile without a school; grade and "
            f"interests unknown for those without{outside}): add them to the profiles, or leave "
            "students who left the district out of the log export"
        )
    if s.students_without_recommendations:
        warn(_unserved_words(s.students_without_recommendations, s.students_all_known))
    if s.students_short_with_time_left:  # a list the day's budget cut short is the design
        info(
            f"{counted(s.students_short_with_time_left, 'student')} got fewer than {s.k} "
            "recommendations with time left in their day's budget (nothing else fit their "
            "scope, grade band, prerequisites and minutes left, or the rest is assumed known): "
            "see recommended and "
            "minutes_left in their students rows"
        )


def _unserved_words(unserved: int, all_known: dict[str, int]) -> str:
    """The night's warning about students served nothing, with why where the night knows it:
    those with every skill mastered or assumed known, by placement ("placed from grade 12
    (1)": a grade past the catalog's), no ids. A trial's night said only "1 student got no
    recommendation"."""
    head = f"{counted(unserved, 'student')} got no recommendation tonight"
    known = sum(all_known.values())
    generic = (
        "nothing fit their time budget, scope, grade band and prerequisites, or every skill "
        "left is assumed known"
    )
    if not known:
        return f"{head} ({generic}): recommended is 0 in their students rows"
    where = ", ".join(f"{words} ({n})" for words, n in all_known.items())
    rest = unserved - known
    others = (
        f"; for the other {counted(rest, 'student')}, nothing fit their time budget, scope, "
        "grade band and prerequisites"
        if rest
        else ""
    )
    return (
        f"{head}: {known} of them {verb(known, 'has')} every skill mastered or assumed known "
        f"(nothing left to learn in the catalog: {where}; check their grade or placement)"
        f"{others}: recommended is 0 in their students rows"
    )


def _served_with(s) -> str:
    """The night's policy in words: `policy shipped default`, `policy p.toml (exploration
    softmax)`; with an experiment, what each student was served (a trial's summary said
    "policy shipped default" on a night every student was served an arm's policy):
    `policies: experiment exp.json arms control (40 students), new (38 students)`, and the
    night's own policy for students outside it, if any."""
    own = f"policy {s.policy}"
    if s.exploration != "none":
        own += f" (exploration {s.exploration})"
    if not s.experiment:
        return own
    arms = ", ".join(f"{arm} ({counted(n, 'student')})" for arm, n in s.students_by_arm.items())
    said = f"policies: experiment {s.experiment} arms {arms}"
    outside = s.students_outside_experiment
    if outside:
        said += f"; {own} for the {counted(outside, 'student')} outside it"
    return said


def reason_words(contributions: dict[str, float], top: int = 3) -> str:
    """`"review +3.16, interest +1.26"`: the largest positive terms of a recommendation, as
    printed (two decimals), leaving out any that would print as +0.00."""
    shown = sorted(
        ((t, v) for t, v in contributions.items() if round(v, 2) > 0), key=lambda t: -t[1]
    )
    return ", ".join(f"{t} {v:+.2f}" for t, v in shown[:top])


def _print_examples(s, n_students: int = 3, n_recs: int = 3) -> None:
    recs = pd.read_parquet(s.out / "recommendations" / f"date={s.date}")
    for sid in sorted(recs["student_id"].unique())[:n_students]:
        mine = recs[recs["student_id"] == sid].sort_values("rank").head(n_recs)
        console.print(f"[bold]{sid}[/] ({mine['class_id'].iloc[0]}):")
        for r in mine.itertuples(index=False):
            why = reason_words({c[2:]: getattr(r, c) for c in mine.columns if c.startswith("c_")})
            console.print(
                escape(
                    f"  {r.rank}. {r.activity_id} (P(correct) {r.p_correct:.2f}): {r.sentence} [{why}]"
                ),
                highlight=False,
            )


def _ui_command(uri: str) -> str:
    """The command that opens the MLflow UI on `uri`, quoted for a shell (a path with spaces
    copies and pastes as it is)."""
    if uri.startswith("sqlite:///"):
        from adaptive.registry.store import local_artifact_root

        return shlex.join(
            ["mlflow", "ui", "--backend-store-uri", uri,
             "--default-artifact-root", str(local_artifact_root(uri))]
        )  # fmt: skip
    return shlex.join(["open", uri])
