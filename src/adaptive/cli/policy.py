"""`adaptive recommend` and `adaptive policy-eval`: thin wrappers over the policy library.

    adaptive recommend --student stu0000042 --k 10 [--json] [--model DIR | --name NAME] [--district DIR]
    adaptive recommend --student u17 --data OWN.csv --student-col user ... --catalog C --profiles P
    adaptive recommend --student stu0000042 --explain g5.NF.3.practice2
    adaptive policy-eval --students 2000 --seeds 10 --activities 5,10,20,50 --out DIR

`recommend` calls `adaptive.policy.service.recommend_students` (demo district and BKT fitted on
its responses unless a saved model or a registered champion, `--name`, is given; a champion other
than the demo's needs its district's files or folder; a user's log is read with the same options
as `adaptive batch --data`, catalog and profiles included) and says why
when fewer than k activities come back (`adaptive.policy.shortfall`); `policy-eval` calls
`adaptive.evaluation.policy_eval.evaluate_policies` and writes `DIR/policy_eval.csv` and a plot
per metric.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from adaptive.cli.options import (
    CatalogFile,
    DistrictDir,
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
    TrackingUri,
    check_district_given,
    district_or_files,
    parse_moment,
    reads_log,
)
from adaptive.cli.output import console, echo, info, warn
from adaptive.errors import ConfigError
from adaptive.evaluation.policy_eval import (
    COLD,
    FAMILIES,
    OURS,
    POLICY_NAMES,
    REFERENCE_NAMES,
    SHIPPED,
    TUNING_SIMULATORS,
    is_tuning,
)

if TYPE_CHECKING:
    from adaptive.placement import GradeTable
    from adaptive.placement.table import PlacementReading


def register(app: typer.Typer) -> None:
    """Add `recommend` and `policy-eval` to the main app."""
    app.command("recommend")(recommend)
    app.command("policy-eval")(policy_eval)


@reads_log
def recommend(
    student: Annotated[list[str], typer.Option("--student", help="Student id (repeatable).")],
    k: Annotated[int, typer.Option("--k", min=1, help="How many activities.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            exists=True,
            file_okay=False,
            help="A saved knowledge-tracing model folder (default: fit BKT).",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="Use the champion of this registered model (as `adaptive batch`)."
        ),
    ] = None,
    tracking_uri: TrackingUri = None,
    district: DistrictDir = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Response log: dataset name or file, read as `adaptive batch --data` reads it "
            "(instead of --district).",
        ),
    ] = None,
    catalog: CatalogFile = None,
    profiles: ProfilesFile = None,
    policy: PolicyFile = None,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            callback=parse_moment,
            help="Date of the recommendation (default: day after last response).",
        ),
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option("--explain", help="Explain why this activity is (not) recommended."),
    ] = None,
    overrides: OverridesPath = None,
    placement: PlacementPath = None,
    placement_columns: PlacementColumns = None,
    placement_skill_map: PlacementSkillMap = None,
    placement_drop_blank_and_identical: PlacementDropBlankAndIdentical = False,
    placement_quarantine: PlacementQuarantine = None,
    mapping: dict | None = None,
    quarantine: Quarantine = None,
    quiet: Quiet = False,
) -> None:
    """Print a student's next activities with the reasons for each.

    When fewer than k activities are returned (time budget, per-skill cap, scope, prerequisites),
    the output says why: a line under the table, or `shortfall` in the JSON (null otherwise).
    JSON: {student_id: {"placement": "placed from grade 4", "recommendations": [...],
    "shortfall": null | {...}}} (`placement`: where the student was placed, in the words of the
    nightly job's students table; '' for a student with answers placed from their grade).
    """
    import pandas as pd

    from adaptive.batch.night_checks import warn_off_catalog
    from adaptive.errors import DataNoteWarning
    from adaptive.paths import demo_district_dir
    from adaptive.placement.table import COMMAND_NAMES, PlacementReading
    from adaptive.policy import PolicyConfig
    from adaptive.policy.adapter import check_profiles, note_skill_coverage
    from adaptive.policy.service import check_students_known, explain_activity

    if model is not None and name is not None:
        raise ConfigError("give --model (a saved folder) or --name (a registered model), not both")
    check_district_given(name, district, data, "recommend")
    reading = PlacementReading(
        placement_columns,
        placement_skill_map,
        placement_drop_blank_and_identical,
        placement_quarantine,
        names=COMMAND_NAMES,
    )
    reading.check_needs_file(placement)  # before the log is read and a model fitted
    student = [s.strip() for s in student]  # ids are text, trimmed, as everywhere
    explain = explain.strip() if explain is not None else None
    d = _district(district, data, catalog, profiles, mapping, quarantine)
    if not d.catalog.activities:
        source = catalog if data is not None else district or demo_district_dir()
        raise ConfigError(f"{source}: the catalog has no activities")
    check_students_known(d, student, typed_as="--student")  # a typo before seconds of fitting
    warn_off_catalog(
        d.log, d.catalog, DataNoteWarning
    )  # skills (and activities) the catalog lacks, as `batch`
    when = pd.Timestamp(now, tz="UTC") if now else None
    # a past --now reads only the answers before it (as `batch --date`), fitting BKT here too
    config = PolicyConfig.from_toml(policy) if policy is not None else None
    grade_table = config.grade_table if config is not None else None
    tracer = _tracer(d, when, model, name, tracking_uri, grade_table)
    note_skill_coverage(tracer, d.catalog)  # no overlap: an error; partial: a warning
    check_profiles(d.profiles, d.catalog)  # topics and goals the catalog lacks: a warning
    served = {"district": d, "model": tracer, "now": when, "config": config,
              "overrides": _teacher_overrides(overrides, d, when),
              "placement": _placement(placement, reading, d)}  # fmt: skip
    if explain is not None:
        if len(student) != 1:
            raise ConfigError("--explain takes exactly one --student")
        if explain not in d.catalog.activity_index:
            raise ConfigError(
                f"--explain {explain!r}: not an activity of the catalog ({len(d.catalog.activities):,}"
                f" activities, e.g. {', '.join(d.catalog.activity_index[:3])})"
            )
        _print_explanation(explain_activity(student[0], explain, k=k, **served), as_json)
        return
    _print_recommendations(student, k, served, as_json)


def _teacher_overrides(path: Path | None, district, when):
    """The class pages' overrides (`batch --overrides`), in force on the day of `when` (every
    file when no --now is given), read and checked as the nightly job reads them."""
    if path is None:
        return None
    from adaptive.batch.overrides import read_overrides

    night = when.date().isoformat() if when is not None else None
    return read_overrides(path, district.catalog, district.profiles, night=night)


def _placement(path: Path | None, reading: PlacementReading, district):
    """The `--placement` table, read as `batch --placement` reads it (`reading`: its
    options, checked already), or None."""
    if path is None:
        return None
    from adaptive.batch.night_checks import warn_placed_off_roster

    placement = reading.read(path, district.catalog)
    # rows of students no profile names and the log has not: counted (or refused) as the night
    warn_placed_off_roster(placement, district.profiles, district.log.students, Path(path).name)
    return placement


def _district(district, data, catalog, profiles, mapping, quarantine):
    """The district folder, or a response log with its catalog and profiles (as `batch`);
    neither: the demo district."""
    from adaptive.policy.service import load_district, read_district

    data, catalog, profiles = district_or_files(district, catalog, profiles, data, mapping=mapping)
    if data is None:
        given = [flag for flag, value in (("--catalog", catalog), ("--profiles", profiles),
                 ("--quarantine", quarantine), ("column options", mapping)) if value]  # fmt: skip
        if given:
            raise ConfigError(f"{' and '.join(given)} go with --data (a response log)")
        return load_district()
    d, quarantined = read_district(
        data, catalog=catalog, profiles=profiles, mapping=mapping, quarantine=quarantine
    )
    if quarantine is not None:
        info(f"{quarantined:,} rows quarantined to {quarantine}")
    return d


def _tracer(
    district, when, model: Path | None, name: str | None, tracking_uri: str | None,
    grade_table: GradeTable | None = None,
):  # fmt: skip
    """The knowledge-tracing model: a saved folder, a registered champion, or BKT fitted here
    on the answers before `when` (its curriculum-order check read with `grade_table`, the
    policy file's)."""
    from adaptive.policy.service import model_as_of
    from adaptive.tracing.base import KnowledgeTracer

    if model is not None:
        return KnowledgeTracer.load(model)
    if name is not None:
        from adaptive.registry.loading import load_version
        from adaptive.registry.store import CHAMPION_ALIAS

        loaded = load_version(name, alias=CHAMPION_ALIAS, tracking_uri=tracking_uri)
        info(
            f"model: {name} v{loaded.version} (@{CHAMPION_ALIAS}, {loaded.spec or 'unknown spec'})"
        )
        return loaded.model
    # fitted once, for every student (and the shortfall)
    return model_as_of(district, when, grade_table)


def _print_explanation(why, as_json: bool) -> None:
    if as_json:
        echo(json.dumps(why.to_dict(), indent=1))
        return
    console.print(f"[bold]{why.activity_id}[/]: {why.status}. {why.sentence}", highlight=False)
    for r in why.reasons:
        console.print(f"  - {r.term}: {r.detail} ({r.contribution:+.3f})", highlight=False)


def _print_recommendations(student, k, served: dict, as_json: bool) -> None:
    from adaptive.policy.service import recommend_students

    placed = recommend_students(student, k, **served)
    if as_json:
        payload = {
            sid: {
                "placement": one.placement,
                "recommendations": [r.to_dict() for r in one],
                "shortfall": None if one.shortfall is None else one.shortfall.to_dict(),
            }
            for sid, one in placed.items()
        }
        echo(json.dumps(payload, indent=1))
        return
    for sid, one in placed.items():
        # where they were started ("placed from grade K"), even with nothing recommended
        caption = escape(one.placement) if one.placement else None
        table = Table(title=f"Next activities for {sid}", caption=caption, show_lines=False)
        for col in ("#", "activity", "skill", "score", "P(correct)", "why"):
            table.add_column(col, overflow="fold")
        for r in one:
            top = sorted(r.reasons, key=lambda x: -abs(x.contribution))[:3]
            terms = ", ".join(f"{x.term} {x.contribution:+.2f}" for x in top)
            table.add_row(
                str(r.rank), r.activity_id, r.skill_id, f"{r.score:.2f}", f"{r.p_correct:.2f}",
                f"{escape(r.sentence)}\n[dim]{escape(terms)}[/]",
            )  # fmt: skip
        console.print(table)
        if one.shortfall is not None:
            console.print(f"[bold yellow]{escape(one.shortfall.sentence)}[/]", soft_wrap=True)


def _policy_source(policy: Path | None) -> str:
    """The scored policy as the settings file records it: its file name and sha256."""
    if policy is None:
        return "default"
    from adaptive.files import file_sha256

    return f"{Path(policy).name} (sha256 {file_sha256(Path(policy))})"


#: Fewer (seed, student) units a cell than this are warned of: their intervals are rough.
SMALL_SAMPLE = 30


def _gain_view(table: pd.DataFrame, last: int, policy_file: str | None) -> Table:
    """The console's table: skills newly mastered after `last` activities (gain@N, the issue's
    target metric; a trial read the normalized gain's negative junyi means as adaptive doing
    worst where it gained most skills), each simulator said tuned on or held out, with the
    paired difference and the ratio to the ceiling."""
    gain = table[(table["metric"] == "skills_gained") & (table["n_activities"] == last)]
    scored = policy_file or "shipped default"  # as `batch` says its policy
    view = Table(
        title=f"Skills newly mastered after {last} activities (gain@{last}; adaptive: policy "
        f"{scored})",
        caption="ratio: the mean over the ceiling's, a greedy policy reading the simulator's "
        "truth (a reference, not a bound; blank where its gain is not above 0, or where "
        "--policies leaves it out). Split: the shipped weights were tuned on "
        f"{' and '.join(TUNING_SIMULATORS)}; the others are held out.",
    )
    for col in ("simulator", "split", "policy", "mean [95% CI]", "adaptive - policy [95% CI]",
                "ratio"):  # fmt: skip
        view.add_column(col)
    for row in gain.itertuples():
        diff = (
            ""
            if row.policy == "adaptive"
            else f"{row.diff_mean:+.3f} [{row.diff_ci_low:+.3f}, {row.diff_ci_high:+.3f}]"
        )
        ratio = "" if np.isnan(row.ceiling_ratio) else f"{row.ceiling_ratio:.2f}"
        view.add_row(
            row.simulator, "tuned on" if is_tuning(row.simulator) else "held out", row.policy,
            f"{row.mean:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]", diff, ratio,
        )  # fmt: skip
    return view


def policy_eval(
    students: Annotated[int, typer.Option("--students", min=1, help="Students per cell.")] = 2000,
    seeds: Annotated[
        int, typer.Option("--seeds", min=1, help="Seeds (cohorts) per simulator.")
    ] = 10,
    activities: Annotated[
        str,
        typer.Option("--activities", help="Checkpoints (activities per student), comma-separated."),
    ] = "5,10,20,50",
    out: Annotated[
        Path,
        typer.Option("--out", file_okay=False, help="Folder for policy_eval.csv and the plots."),
    ] = Path("policy_eval"),
    simulators: Annotated[
        str,
        typer.Option(
            "--simulators",
            help=f"Simulators, comma-separated: {', '.join(FAMILIES)}; each also as "
            f"NAME{COLD}, a cold-start cohort (junyi reads the real Junyi graph: needs "
            "../shared/datasets).",
        ),
    ] = "bkt,logistic,prerequisite",
    policies: Annotated[
        str | None,
        typer.Option(
            "--policies",
            help=f"Policies, comma-separated: {', '.join(POLICY_NAMES)} (default: all; "
            f"{OURS!r} always, the differences are paired with it); {SHIPPED!r}: the shipped "
            "weights, beside a --policy file scored as adaptive; also, on the bkt, "
            f"prerequisite, junyi and graph simulators, the model filters "
            f"{', '.join(REFERENCE_NAMES)}: bounds that know the simulator's model but not "
            "the learner's state.",
        ),
    ] = None,
    n_boot: Annotated[
        int, typer.Option("--bootstrap", min=10, help="Bootstrap replicates.")
    ] = 1000,
    first_seed: Annotated[
        int, typer.Option("--first-seed", min=0, help="First cohort seed (>= 0).")
    ] = 0,
    policy: PolicyFile = None,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache", file_okay=False, help="Folder caching finished cells (resume a long run)."
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Run the simulation matrix (policies x simulators x seeds) and write policy_eval.csv.

    `--policy` scores your own policy TOML as `adaptive` (the baselines and the ceiling keep the
    shipped settings, so two runs on the same seeds are paired); `policy_eval_settings.json`
    records which policy was scored; the simulators run on their built-in catalogs (the district's 120 skills, the Junyi
    map, a generated graph), not on a catalog of yours."""
    from adaptive.evaluation.policy_eval import EvalSettings, evaluate_policies
    from adaptive.policy import PolicyConfig

    try:
        checkpoints = tuple(int(x) for x in activities.split(",") if x.strip())
    except ValueError as exc:
        raise ConfigError(
            f"--activities {activities!r}: expected comma-separated integers"
        ) from exc
    settings = EvalSettings(
        students=students, seeds=seeds, activities=checkpoints,
        simulators=tuple(s.strip() for s in simulators.split(",") if s.strip()),
        policies=tuple(p.strip() for p in policies.split(",")) if policies else POLICY_NAMES,
        n_boot=n_boot, first_seed=first_seed,
        policy_config=PolicyConfig.from_toml(policy) if policy else PolicyConfig.default(),
        policy_source=_policy_source(policy),
    )  # fmt: skip
    started = time.perf_counter()

    def progress(message: str) -> None:
        info(message, dim=f"{time.perf_counter() - started:7.1f}s")

    if SHIPPED in settings.policies and not policy:
        warn(
            f"--policies {SHIPPED!r} without --policy: adaptive is the shipped policy too, so "
            "their difference is 0; give --policy FILE to pair your own weights with them"
        )
    if students * seeds < SMALL_SAMPLE:
        warn(
            f"{students * seeds} (seed, student) units a cell: intervals from so few are rough "
            f"(a single student's read as a point); {SMALL_SAMPLE} or more give usable ones"
        )
    table = evaluate_policies(settings, out, progress=progress, cache_dir=cache)
    console.print(_gain_view(table, max(checkpoints), Path(policy).name if policy else None))
    info(f"wrote {Path(out) / 'policy_eval.csv'} and plots in {time.perf_counter() - started:.0f}s")
