"""`adaptive simulate`: write a simulated district (the built-in demo data) to a folder.

A thin wrapper over `adaptive.simulation.district.simulate_district` and `write_district`;
`adaptive demo` (`make demo`) simulates its district as `adaptive simulate --students 3000 --seed 7`
would, into the data folder (`adaptive.paths.demo_district_dir()`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from adaptive.cli.options import Quiet
from adaptive.cli.output import console, err_console
from adaptive.simulation.district import simulate_district, write_district
from adaptive.simulation.learners import SIMULATORS


def register(app: typer.Typer) -> None:
    """Add `simulate` to the main app."""
    app.command("simulate")(simulate)


def simulate(
    out: Annotated[
        Path, typer.Option("--out", file_okay=False, help="Folder to write the district into.")
    ],
    students: Annotated[int, typer.Option("--students", min=1, help="Number of students.")] = 3000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed: same seed, same files.")] = 7,
    responses: Annotated[
        int, typer.Option("--responses", min=1, help="Responses per student, on average.")
    ] = 50,
    learner: Annotated[
        str,
        typer.Option("--learner", help=f"Ground-truth learner model: {', '.join(SIMULATORS)}."),
    ] = "bkt",
    prior: Annotated[
        str,
        typer.Option(
            "--prior",
            help="Students' prior knowledge: grade (scattered across a grade, by grade gap) or "
            "curriculum (everything before a point in the curriculum order, 5% gaps; a fifth "
            "of the students, low-prior, know a quarter of it; not with --learner logistic).",
        ),
    ] = "grade",
    quiet: Quiet = False,
) -> None:
    """Simulate a district (schools, classes, profiles, catalog, responses, true mastery)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} school days"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, disable=quiet, transient=False) as bar:
        task = bar.add_task("simulating", total=None)

        def on_progress(stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        district = simulate_district(
            students, seed, responses_per_student=responses, learner=learner,
            progress=on_progress, prior=prior,
        )  # fmt: skip
        bar.update(task, total=district.meta["school_days"], completed=district.meta["school_days"])
        bar.update(task, description="writing")
        paths = write_district(district, out)
    meta = district.meta
    console.print(
        f"wrote {len(paths)} files to {out}: {meta['n_students']} students, "
        f"{meta['n_responses']} responses, {meta['n_skills']} skills, "
        f"{meta['n_activities']} activities, {meta['school_days']} school days",
        soft_wrap=True,  # one line whatever the terminal width: scripts read it whole
    )
