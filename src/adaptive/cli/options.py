"""Options shared by every command that reads a response log.

A user's own file needs no code: `--student-col`, `--item-col`, `--skills-col`, `--skills-sep`,
`--correct-col`, `--time-col` and `--sep` name its columns; `--dataset NAME` uses a descriptor
from `datasets/`. Commands declare these parameters with the annotated types below and pass
them to `column_mapping(...)`, then call `adaptive.data.load_log`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

StudentCol = Annotated[
    str | None, typer.Option("--student-col", help="Column holding student ids.")
]
ItemCol = Annotated[str | None, typer.Option("--item-col", help="Column holding item ids.")]
SkillsCol = Annotated[str | None, typer.Option("--skills-col", help="Column holding skill id(s).")]
SkillsSep = Annotated[
    str | None, typer.Option("--skills-sep", help="Separator between skills in one cell.")
]
CorrectCol = Annotated[
    str | None, typer.Option("--correct-col", help="Column holding 0/1 correctness.")
]
TimeCol = Annotated[
    str | None, typer.Option("--time-col", help="Timestamp or integer order column.")
]
Sep = Annotated[str | None, typer.Option("--sep", help="Field delimiter (default: by extension).")]
Threads = Annotated[
    int | None,
    typer.Option(
        "--threads",
        min=1,
        help="CPU threads for the deep models (default: torch's choice; 1 is often fastest "
        "for small models on a busy machine).",
    ),
]
Quarantine = Annotated[
    Path | None,
    typer.Option("--quarantine", help="Write rejected rows with reasons here and load the rest."),
]


def column_mapping(
    student_col: str | None = None,
    item_col: str | None = None,
    skills_col: str | None = None,
    skills_sep: str | None = None,
    correct_col: str | None = None,
    time_col: str | None = None,
    sep: str | None = None,
) -> dict[str, str]:
    """The flags a user gave, as overrides for a dataset descriptor's mapping (unset ones omitted)."""
    given = {
        "student_id": student_col,
        "item_id": item_col,
        "skill_ids": skills_col,
        "skills_sep": skills_sep,
        "correct": correct_col,
        "time": time_col,
        "sep": sep,
    }
    return {k: v for k, v in given.items() if v is not None}
