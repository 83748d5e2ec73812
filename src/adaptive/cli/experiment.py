"""`adaptive experiment assign | analyze | power`: randomized experiments between policies.

Thin wrappers over `adaptive.experiment` (assign.py, analyze.py, power.py). The nightly job
serves an assignment with `adaptive batch --experiment FILE`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from adaptive.cli.options import (
    AllowOtherProfiles,
    CatalogFile,
    DistrictDir,
    ProfilesFile,
    Quiet,
    district_or_files,
    parse_day,
    reads_log,
)
from adaptive.cli.output import SETTINGS, console, definitions

experiment_app = typer.Typer(
    help="Randomized experiments between policies: assign, analyze, power.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add `experiment` (with `assign`, `analyze`, `power`) to the main app."""
    app.add_typer(experiment_app, name="experiment")


@experiment_app.command("assign")
def assign(
    profiles: ProfilesFile,
    arm: Annotated[
        list[str],
        typer.Option(
            "--arm", help="NAME=POLICY.toml (repeat: at least two; the first is the reference)."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            dir_okay=False,
            help="Assignment file to write (one that holds another assignment: see --force).",
        ),
    ],
    unit: Annotated[
        str,
        typer.Option(
            "--unit", help="Randomize 'class'es or 'school's (every arm must get at least one)."
        ),
    ] = "class",
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            help="Seed of the randomization (0 when left out; the summary says it).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace an existing --out file that holds another assignment (it is sealed "
            "once nights are served with it; without --force that is an error).",
        ),
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Randomize classes (or schools) to arms, stratified by school and grade; save the file."""
    # every arm must get a unit (`assign`); an existing --out with another assignment is refused
    # unless --force; the sha256 printed is the file's (`sha256sum`), which each night served
    # with it records, not the file's own "sha256" field (the checksum of its content)
    from adaptive.errors import ConfigError
    from adaptive.experiment.assign import assign as draw

    arms = {}
    for given in arm:
        name, sep, path = given.partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"--arm {given!r}: expected NAME=POLICY.toml")
        if name in arms:
            raise ConfigError(f"--arm {given!r}: arm {name!r} given twice")
        arms[name] = Path(path)
    a = draw(profiles, arms, unit=unit, seed=0 if seed is None else seed)
    a.save(out, overwrite=force)
    plural = {"class": "classes", "school": "schools"}.get(unit, f"{unit}s")
    default = ", the default" if seed is None else ""  # the protocol write-up needs the seed
    strata = a.units["stratum"].nunique()
    table = Table(title=f"{len(a.units)} {plural} in {strata} strata (seed {a.seed}{default})")
    for col in ("arm", "units", "policy file", "policy sha256"):
        table.add_column(col)
    for name, record in a.arms.items():
        table.add_row(name, str(int((a.units["arm"] == name).sum())), record["source"],
                      record["sha256"][:12])  # fmt: skip
    if not SETTINGS.quiet:  # the counts; the line below is the result
        console.print(table)
    console.print(
        f"wrote {out} (seed {a.seed}{default}): sha256 of the file {a.sha256} (what "
        "`sha256sum` prints and each night served with it records in _SUCCESS.json as "
        "'experiment'; the file's own \"sha256\" field is the checksum of its content); serve "
        f"it with `adaptive batch --experiment {out}`",
        soft_wrap=True,
    )


@experiment_app.command("analyze")
@reads_log
def analyze(
    assignment: Annotated[
        Path,
        typer.Option(
            "--assignment",
            exists=True,
            dir_okay=False,
            help="Assignment file; --profiles must be the file it was drawn from (its sha256), "
            "and --data, --catalog, --profiles those the nights were served from.",
        ),
    ],
    log: Annotated[
        Path, typer.Option("--log", exists=True, file_okay=False, help="`adaptive batch` output.")
    ],
    start: Annotated[
        str, typer.Option("--start", callback=parse_day, help="First night of the experiment.")
    ],
    end: Annotated[
        str, typer.Option("--end", callback=parse_day, help="Last night (outcomes up to it).")
    ],
    data: Annotated[
        str | None, typer.Option("--data", help="Response log: dataset name or file.")
    ] = None,
    profiles: ProfilesFile = None,
    catalog: CatalogFile = None,
    district: DistrictDir = None,
    permutations: Annotated[
        int,
        typer.Option(
            "--permutations",
            min=0,
            help="Randomization-inference redraws (a design with no more distinct assignments "
            "than this, e.g. a few schools, is enumerated exactly instead).",
        ),
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the redraws.")] = 0,
    allow_other_profiles: AllowOtherProfiles = False,
    quiet: Quiet = False,
    mapping: dict | None = None,
) -> None:
    """Effect of each arm on normalized gain and correct rate, cluster-robust 95% intervals."""
    # refused when --profiles is not the file the assignment was drawn from (its sha256), or
    # when the catalog, profiles or response log are not those the nights were served from
    from adaptive.errors import ConfigError
    from adaptive.experiment.analyze import OUTCOME_MEANINGS, analyze_logs

    data, catalog, profiles = district_or_files(district, catalog, profiles, data, mapping=mapping)
    for flag, value, what in (("--data", data, "the response log with the outcomes"),
                              ("--catalog", catalog, "the catalog the nights were served from"),
                              ("--profiles", profiles, "the students' classes and schools")):  # fmt: skip
        if value is None:
            raise ConfigError(f"{flag} FILE (or --district DIR) is needed: {what}")
    effects = analyze_logs(assignment, log, start=start, end=end, data=data, catalog=catalog,
                           profiles=profiles, permutations=permutations, seed=seed,
                           mapping=mapping, allow_other_profiles=allow_other_profiles)  # fmt: skip
    table = Table(
        title=f"{assignment.name}: effect against the reference arm, nights {start} to {end}",
        caption=definitions(OUTCOME_MEANINGS, effects["outcome"], "\n")
        + "students: with the outcome, in the arm / the reference arm (their arm is their "
        "unit's, class or school, on the start night); means: raw, before the strata"
        + _randomization_words(effects, permutations)
        + _correction_words(effects),
    )
    columns = ("outcome", "arm", "effect", "95% interval", "p", "p (randomization)", "clusters",
               "students", "means")  # fmt: skip
    for col in columns:
        table.add_column(col)
    for e in effects.itertuples(index=False):
        table.add_row(e.outcome, f"{e.arm} - {e.reference}", f"{e.effect:+.4f}",
                      _interval(e.ci_low, e.ci_high), _p(e.p_value), _p(e.p_randomization),
                      str(e.n_clusters), f"{e.n_arm:,} / {e.n_reference:,}",
                      f"{e.mean_arm:.4f} / {e.mean_reference:.4f}")  # fmt: skip
    console.print(table)
    _say_crossovers(effects)


def _say_crossovers(effects) -> None:
    """The line under the table counting the crossovers (`analyze.count_crossovers`):
    students some night served in another arm than their assigned one, analysed as assigned
    (intention to treat), so the effect is diluted by them. Nothing when there are none."""
    from adaptive.errors import counted, verb

    if effects.empty or "crossovers" not in effects or not int(effects["crossovers"].iloc[0]):
        return
    n = int(effects["crossovers"].iloc[0])
    arm = "the other arm" if effects["arm"].nunique() == 1 else "another arm"
    console.print(
        f"{counted(n, 'student')} {verb(n, 'was')} served in {arm} on some night (crossovers); "
        "analyzed as assigned (intention to treat: the arm of their class or school on the "
        "start night), which dilutes the effect toward zero",
        soft_wrap=True,
    )


def _randomization_words(effects, permutations: int) -> str:
    """The caption's words on p (randomization), per outcome, from what was computed for it
    (`Effect.randomization`): exact over every assignment the design allows, or from
    `permutations` redraws, each with the smallest p it can be (`p_randomization_floor`), so a
    p at that floor reads as the floor it is. An outcome without one (NaN) is not named."""
    if not permutations or effects.empty:
        return ""
    parts = [
        _outcome_randomization_words(rows, permutations)
        for _, rows in effects.groupby("outcome", sort=False)
    ]
    parts = [part for part in parts if part]
    if not parts:
        return ""
    # the same words for every outcome: said once, without naming them
    if len(parts) == effects["outcome"].nunique() and len({w for _, w in parts}) == 1:
        return f"; p (randomization) {parts[0][1]}"
    return "; p (randomization) " + "; ".join(f"{name}: {words}" for name, words in parts)


def _outcome_randomization_words(rows, permutations: int) -> tuple[str, str] | None:
    """(outcome, words) for one outcome's rows, or None when none has a randomization p."""
    done = rows[rows["p_randomization"].notna() & rows["p_randomization_floor"].notna()]
    if done.empty:
        return None
    floors = sorted({round(float(f), 3) for f in done["p_randomization_floor"]})
    floor = f"{floors[0]:.3f}" if len(floors) == 1 else f"{floors[0]:.3f} to {floors[-1]:.3f}"
    how = done["randomization"].iloc[0]
    if how == "exact":
        n = int(done["n_assignments"].iloc[0])
        words = f"exact over all {n:,} assignments the design allows"
    elif how == "redraws":
        words = f"from {permutations:,} redraws"
    else:
        words = (
            f"from {permutations:,} redraws (not enumerated: dealing order unknown, which a "
            "format-1 assignment file of 4 or more arms does not record)"
        )
    return str(rows["outcome"].iloc[0]), f"{words} (two-sided): the smallest it can be is {floor}"


def _correction_words(effects) -> str:
    """The caption's sentence on how the intervals are computed (`power.CORRECTION_WORDS`),
    with this analysis's G, S and degrees of freedom (`Effect.df`, per outcome where they
    differ): what an analyst reproducing it with statsmodels' CR1 needs."""
    from adaptive.experiment.power import CORRECTION_WORDS

    done = effects[effects["df"] > 0] if not effects.empty else effects
    if done.empty:
        return ""
    designs = done.drop_duplicates(["n_clusters", "n_strata", "df"])
    said = "; ".join(
        f"G = {int(e.n_clusters)}, S = {int(e.n_strata)}: {int(e.df)} degrees of freedom"
        + (f" ({e.outcome})" if len(designs) > 1 else "")
        for e in designs.itertuples(index=False)
    )
    return f"\n{CORRECTION_WORDS}; here {said}"


def _interval(low: float, high: float) -> str:
    """An effect's interval; "none" where the units leave no degree of freedom (NaN)."""
    return "none (too few units)" if low != low else f"[{low:+.4f}, {high:+.4f}]"


def _p(value: float) -> str:
    return "-" if value != value else f"{value:.3f}"


@experiment_app.command("power")
def power(
    clusters: Annotated[int, typer.Option("--clusters", min=3, help="Classes or schools.")],
    students_per_cluster: Annotated[
        float, typer.Option("--students-per-cluster", help="Mean students per cluster.")
    ] = 25.0,
    icc: Annotated[float, typer.Option("--icc", help="Intra-cluster correlation.")] = 0.1,
    sd: Annotated[float, typer.Option("--sd", help="Outcome standard deviation.")] = 1.0,
    share_treated: Annotated[float, typer.Option("--share-treated")] = 0.5,
    r2: Annotated[float, typer.Option("--r2", help="Variance share the strata explain.")] = 0.0,
    size_cv: Annotated[float, typer.Option("--size-cv", help="CV of cluster sizes.")] = 0.0,
    strata: Annotated[
        int | None,
        typer.Option(
            "--strata",
            help="Strata the clusters are randomized in (`experiment assign` blocks classes by "
            "school x grade: its summary says 'N classes in S strata'); each costs the analysis "
            "a degree of freedom. Default 1, said so.",
        ),
    ] = None,
    alpha: Annotated[float, typer.Option("--alpha")] = 0.05,
    power_: Annotated[float, typer.Option("--power")] = 0.8,
    quiet: Quiet = False,
) -> None:
    """Minimum detectable effect of a cluster-randomized design (in the outcome's units)."""
    from adaptive.experiment.power import (
        Design,
        cluster_dof,
        minimum_detectable_effect,
        standard_error,
    )

    d = Design(clusters, students_per_cluster, icc, sd, share_treated, r2, size_cv,
               1 if strata is None else strata)  # fmt: skip
    mde = minimum_detectable_effect(d, alpha, power_)
    df = cluster_dof(d.clusters, d.strata)
    console.print(
        f"minimum detectable effect {mde:.4f} ({mde / sd:.3f} SD) at alpha {alpha}, power "
        f"{power_}: {clusters} clusters x {students_per_cluster:g} students in "
        f"{d.strata} {'stratum' if d.strata == 1 else 'strata'}, ICC {icc}, standard error "
        f"{standard_error(d):.4f}, t on {df} degrees of freedom (clusters - strata - 1, as "
        "`experiment analyze` computes them)",
        soft_wrap=True,
    )
    if strata is None:
        console.print(
            "note: computed for one stratum (--strata not given); randomized in strata (as "
            "`experiment assign` blocks classes by school x grade), the analysis loses one "
            "degree of freedom per stratum: give --strata S (assign's 'in S strata')",
            soft_wrap=True,
        )
