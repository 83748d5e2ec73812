"""Options shared by every command that reads a response log.

A user's own file needs no code: `--student-col`, `--item-col`, `--skills-col`, `--skills-sep`,
`--correct-col`, `--time-col` and `--sep` name its columns, `--encoding` its text's encoding;
`--time-format` / `--time-unit` say how its times are written; `--correct-values` /
`--incorrect-values` name the words it writes for right and wrong answers; `--require-sorted` /
`--allow-unsorted` set the row-order check;
`--dataset NAME` uses a descriptor from `datasets/`. A command that reads a log is decorated with
`@reads_log`: it gets these options once, declared here, and receives what the user gave as one
`mapping` argument (`column_mapping(...)`), ready for `adaptive.data.load_log`.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

StudentCol = Annotated[
    str | None, typer.Option("--student-col", help="Column holding student ids.")
]
ItemCol = Annotated[str | None, typer.Option("--item-col", help="Column holding item ids.")]
SkillsCol = Annotated[
    str | None, typer.Option("--skills-col", "--skill-col", help="Column holding skill id(s).")
]
SkillsSep = Annotated[
    str | None, typer.Option("--skills-sep", help="Separator between skills in one cell.")
]
CorrectCol = Annotated[
    str | None, typer.Option("--correct-col", help="Column holding 0/1 correctness.")
]
CorrectValues = Annotated[
    str | None,
    typer.Option(
        "--correct-values",
        help="Words of the correctness column that mean a right answer, e.g. 'Correct,Yes' "
        "(with --incorrect-values; case does not matter; 0/1 and true/false are always read).",
    ),
]
IncorrectValues = Annotated[
    str | None,
    typer.Option(
        "--incorrect-values",
        help="Words of the correctness column that mean a wrong answer, e.g. 'Incorrect,No'.",
    ),
]
CorrectThreshold = Annotated[
    str | None,
    typer.Option(
        "--correct-threshold",
        help="The correctness column holds scores (partial credit, points): a score at or "
        "above this number reads as a right answer, below as a wrong one. With --max-score-col, "
        "a fraction of each row's maximum (default 0.5).",
    ),
]
MaxScoreCol = Annotated[
    str | None,
    typer.Option(
        "--max-score-col",
        help="Column giving each row's maximum score (points_possible): an answer is right "
        "when score / maximum >= --correct-threshold (a fraction, default 0.5).",
    ),
]
TimeCol = Annotated[
    str | None, typer.Option("--time-col", help="Timestamp or integer order column.")
]
Encoding = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding of a CSV/TSV log, e.g. cp1252 for a Windows spreadsheet's export "
        "(default: UTF-8).",
    ),
]
Sep = Annotated[str | None, typer.Option("--sep", help="Field delimiter (default: by extension).")]
TimeFormat = Annotated[
    str | None,
    typer.Option(
        "--time-format",
        help="strptime format of the time column, e.g. '%d/%m/%Y %H:%M' or '%Y%m%d' "
        "(default: ISO 8601 such as 2024-09-01 or 2024-09-01T08:30:00Z; naive times are UTC).",
    ),
]


def _check_time_unit(value: str | None) -> str | None:
    from adaptive.data.mapping import TIME_UNITS

    if value is not None and value not in TIME_UNITS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(TIME_UNITS)}")
    return value


TimeUnit = Annotated[
    str | None,
    typer.Option(
        "--time-unit",
        metavar="s|ms|us|ns",
        callback=_check_time_unit,
        help="The time column holds epoch numbers in this unit (seconds, milliseconds, ...) "
        "since 1970-01-01 UTC. Without it, whole numbers are an integer order, never times.",
    ),
]
FileOrder = Annotated[
    bool,
    typer.Option(
        "--file-order",
        help="Order each student's answers as the file lists them, reading no time column "
        "(time_kind 'file'): for exports whose time column is a placeholder (all zeros).",
    ),
]
RequireSorted = Annotated[
    bool,
    typer.Option(
        "--require-sorted",
        help="Reject a student's rows that are out of time order in the file. By default "
        "timestamped rows are sorted by (student, time), ties kept in file order.",
    ),
]
AllowUnsorted = Annotated[
    bool,
    typer.Option(
        "--allow-unsorted",
        help="For an integer order column (no timestamps): sort each student's rows by it "
        "instead of rejecting rows out of order. Timestamped rows are always sorted.",
    ),
]
MergeSkillRows = Annotated[
    bool,
    typer.Option(
        "--merge-skill-rows",
        help="Rows of a student with the same item, time and answer and another skill are one "
        "response tagged with several skills, written one row per skill (as ASSISTments 2009).",
    ),
]
Threads = Annotated[
    int | None,
    typer.Option(
        "--threads",
        min=1,
        help="CPU threads for the deep models (default: torch's choice; 1 is often fastest "
        "for small models on a busy machine).",
    ),
]


def _check_engine(value: str) -> str:
    """`--engine`: local or spark (anything else is a usage error, exit 2)."""
    from adaptive.batch.job import ENGINES

    if value not in ENGINES:
        raise typer.BadParameter(f"{value!r}: expected one of {', '.join(ENGINES)}")
    return value


def _check_master(value: str | None) -> str | None:
    """`--master`: a Spark master URL (a malformed one is a usage error, exit 2)."""
    if value is None:
        return None
    from adaptive.batch.spark import MASTER_EXPECTED, SparkUnavailableError, check_master

    try:
        return check_master(value)
    except SparkUnavailableError:  # typer names the flag: "Invalid value for '--master'"
        raise typer.BadParameter(f"{value!r}: {MASTER_EXPECTED}") from None


Engine = Annotated[
    str,
    typer.Option(
        "--engine",
        callback=_check_engine,
        help="Where the nightly job runs: local (this machine, its cores) or spark (every step "
        "on a Spark cluster; needs pyspark and Java).",
    ),
]
SparkMaster = Annotated[
    str | None,
    typer.Option(
        "--master",
        callback=_check_master,
        help="Spark master URL for --engine spark (default local[2]; e.g. spark://HOST:7077).",
    ),
]


def _check_quarantine(value: Path | None) -> Path | None:
    """A `--quarantine` path that is a directory or in a missing folder: a usage error (exit 2)."""
    if value is None:
        return None
    from adaptive.data.io import check_quarantine_path
    from adaptive.errors import AdaptiveError

    try:
        return check_quarantine_path(value)
    except AdaptiveError as exc:
        raise typer.BadParameter(str(exc)) from None


Quarantine = Annotated[
    Path | None,
    typer.Option(
        "--quarantine",
        callback=_check_quarantine,
        help="Write rejected rows with reasons to this CSV file (in an existing folder) and "
        "load the rest; the number of rows it received is reported.",
    ),
]


def column_mapping(
    student_col: str | None = None,
    item_col: str | None = None,
    skills_col: str | None = None,
    skills_sep: str | None = None,
    correct_col: str | None = None,
    time_col: str | None = None,
    sep: str | None = None,
    *,
    time_format: str | None = None,
    time_unit: str | None = None,
    file_order: bool | None = None,
    require_sorted: bool | None = None,
    allow_unsorted: bool | None = None,
    merge_skill_rows: bool | None = None,
    correct_values: str | None = None,
    incorrect_values: str | None = None,
    correct_threshold: str | None = None,
    max_score_col: str | None = None,
    encoding: str | None = None,
) -> dict[str, Any]:
    """The flags a user gave, as overrides for a dataset descriptor's mapping (unset ones omitted).

    The row-order flags override only when given (True): an unset flag keeps the descriptor's.
    """
    given = {
        "student_id": student_col,
        "item_id": item_col,
        "skill_ids": skills_col,
        "skills_sep": skills_sep,
        "correct": correct_col,
        "time": time_col,
        "sep": sep,
        "time_format": time_format,
        "time_unit": time_unit,
        "time_kind": "file" if file_order else None,
        "require_sorted": require_sorted or None,
        "allow_unsorted": allow_unsorted or None,
        "merge_skill_rows": merge_skill_rows or None,
        "correct_values": correct_values,
        "incorrect_values": incorrect_values,
        "correct_threshold": correct_threshold,
        "max_score": max_score_col,
        "encoding": encoding,
    }
    return {k: v for k, v in given.items() if v is not None}


#: The options of `column_mapping`, as every log-reading command declares them: name ->
#: (annotated type, default).
LOG_OPTIONS: dict[str, tuple[Any, Any]] = {
    "student_col": (StudentCol, None),
    "item_col": (ItemCol, None),
    "skills_col": (SkillsCol, None),
    "skills_sep": (SkillsSep, None),
    "correct_col": (CorrectCol, None),
    "time_col": (TimeCol, None),
    "sep": (Sep, None),
    "time_format": (TimeFormat, None),
    "time_unit": (TimeUnit, None),
    "file_order": (FileOrder, False),
    "require_sorted": (RequireSorted, False),
    "allow_unsorted": (AllowUnsorted, False),
    "merge_skill_rows": (MergeSkillRows, False),
    "correct_values": (CorrectValues, None),
    "incorrect_values": (IncorrectValues, None),
    "correct_threshold": (CorrectThreshold, None),
    "max_score_col": (MaxScoreCol, None),
    "encoding": (Encoding, None),
}


def reads_log(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the shared options for reading a user's response log (`LOG_OPTIONS`).

    The command declares a `mapping: dict` parameter instead of the options; typer sees the
    options (in the order above, after the command's own), and the command receives
    `column_mapping(...)` of what the user gave.
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "mapping"]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, (kind, default) in LOG_OPTIONS.items()
    ]
    own_kw = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
    flags_of = option_names(signature)

    @functools.wraps(command)
    def with_log_options(**given: Any) -> Any:
        flags = {name: given.pop(name) for name in LOG_OPTIONS}
        check_command_quarantines(given, flags_of)
        return command(mapping=column_mapping(**flags), **given)

    params = own_kw + shared
    with_log_options.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    with_log_options.__annotations__ = {
        **{p.name: p.annotation for p in params},
        "return": signature.return_annotation,
    }
    return with_log_options


#: The quarantine options (by parameter name) of the commands that read a log.
QUARANTINE_OPTIONS = ("quarantine", "placement_quarantine")


def check_command_quarantines(given: Mapping[str, Any], flags: Mapping[str, str]) -> None:
    """Before a command reads anything: its quarantine paths are none of its other paths (the
    log, --catalog, --profiles, --placement, --district, --out, ...), inside none of its
    folders, and not one another (`check_quarantines`, each named by its option: `flags`)."""
    if not any(given.get(name) for name in QUARANTINE_OPTIONS):
        return
    from adaptive.data.io import check_quarantines

    quarantines = {flags.get(n, n): given[n] for n in QUARANTINE_OPTIONS if n in given}
    others = {
        flags.get(name, name): value
        for name, value in given.items()
        if name not in QUARANTINE_OPTIONS
        and (isinstance(value, Path) or (name == "data" and _is_file_path(value)))
    }
    check_quarantines(quarantines, others)


def _is_file_path(data: object) -> bool:
    """Whether --data names a file or folder (not a dataset's name, nor a log in memory)."""
    return isinstance(data, str) and Path(data).exists()


def option_names(signature: inspect.Signature) -> dict[str, str]:
    """A command's parameters as the user writes them: an option's first flag ("--catalog"),
    an argument's metavar ("FILE"); a parameter declared otherwise keeps its name."""
    names = {}
    for param in signature.parameters.values():
        for info in getattr(param.annotation, "__metadata__", ()):  # Annotated[type, info]
            decls = [getattr(info, "default", None), *(getattr(info, "param_decls", None) or ())]
            flags = [d for d in decls if isinstance(d, str) and d.startswith("-")]
            if isinstance(info, typer.models.OptionInfo) and flags:
                names[param.name] = flags[0]
            elif isinstance(info, typer.models.ArgumentInfo):
                names[param.name] = info.metavar or param.name.upper()
    return names


# -- options every command shares (not about columns) -------------------------------------------


def _set_quiet(value: bool) -> bool:
    """`--quiet` for this command: undone when the command ends, however it was run and however
    it ended (the root callback's restorer, `adaptive.cli._root`)."""
    from adaptive.cli.output import set_quiet

    set_quiet(value)
    return value


def parse_moment(value: str | None) -> str | None:
    """Check a `--now` value early: ISO 8601, a day or a time; a usage error (exit 2) names the
    option."""
    if value is None:
        return None
    from adaptive.dates import parse_iso
    from adaptive.errors import ConfigError

    try:
        parse_iso(value, "--now")
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return value


def parse_day(value: str | None) -> str | None:
    """Check a `--date` value early: an ISO 8601 day. A usage error (exit 2) names the option;
    a time of day is one too (`2027-01-12T05:00` read as its day dropped the time without a
    word: a night takes the responses before its day's midnight, UTC)."""
    if value is None:
        return None
    from adaptive.dates import parse_iso
    from adaptive.errors import ConfigError

    try:
        stamp = parse_iso(value)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if stamp != stamp.normalize() or stamp.tzinfo is not None:
        raise typer.BadParameter(
            f"{value!r} is a time; expected a day, YYYY-MM-DD (the night takes the responses "
            "before that day's midnight, UTC)"
        )
    return stamp.strftime("%Y-%m-%d")  # "20270219", "2027-02-19T00:00": the night's folder name


TrackingUri = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        help="MLflow tracking/registry URI (default: $MLFLOW_TRACKING_URI, else the local "
        "SQLite store mlflow/mlflow.db in the data folder: $ADAPTIVE_DATA_DIR, else data/ in a "
        "source checkout, else ~/.local/share/adaptive).",
    ),
]
Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        callback=_set_quiet,
        help="Print only the results: no progress bars, no info lines, no MLflow run links.",
    ),
]


def check_catalog(path: Path | None) -> Path | None:
    """A `--catalog` file must hold at least one activity: an empty one is a usage error. Its
    notes (`DataNoteWarning`: ids that differ only in case, a level scale of difficulties) are
    said when the command reads it, not here too."""
    if path is None:
        return None
    import warnings

    from adaptive.curriculum import Catalog
    from adaptive.errors import AdaptiveError, DataNoteWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataNoteWarning)
            catalog = Catalog.from_json(path)
    except AdaptiveError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if not catalog.activities:
        raise typer.BadParameter(f"{path} has no activities; a catalog needs at least one")
    return path


def parse_field_columns(given: str, option: str, example: str) -> dict[str, str]:
    """'student_id=SIS ID,grade=Grade Level' as {field: column} (the form of `profiles
    --columns` and `--placement-columns`); a pair without "=" is a usage error saying the form,
    with `example`."""
    pairs = [part.split("=", 1) for part in given.split(",") if part.strip()]
    bad = [p[0] for p in pairs if len(p) != 2 or not p[0].strip() or not p[1].strip()]
    if bad:
        raise typer.BadParameter(
            f"{bad[0]!r}: expected field=Column pairs, e.g. {example!r}", param_hint=option
        )
    return {field.strip(): column.strip() for field, column in pairs}


def parse_placement_columns(given: str | None) -> dict[str, str] | None:
    """'Student ID,Standard,Mastery' -> the placement table's roles mapped to those names, and a
    fourth name for its optional source column ('...,Placed by'); or the roles named as
    `profiles --columns` names fields ('student_id=Student ID,mastery=Mastery': a role left out
    keeps its own name). A usage error (exit 2) names the option otherwise."""
    from adaptive.errors import unknown_key
    from adaptive.placement.table import PLACEMENT_COLUMNS, SOURCE_COLUMN

    if given is None:
        return None
    roles = (*PLACEMENT_COLUMNS, SOURCE_COLUMN)
    if "=" in given:
        named = parse_field_columns(
            given, "--placement-columns", "student_id=Student ID,skill_id=Standard,mastery=Mastery"
        )
        for role in named:
            if role not in roles:
                raise typer.BadParameter(
                    unknown_key(role, roles, "field"), param_hint="--placement-columns"
                )
        return named
    names = [name.strip() for name in given.split(",")]
    if len(names) not in (3, 4) or not all(names):
        raise typer.BadParameter(
            f"{given!r}: expected three column names, in the order student, skill, mastery "
            "(e.g. 'Student ID,Standard,Mastery'), and optionally a fourth: the column that "
            "says where each student was placed from; or field=Column pairs "
            "('student_id=Student ID,skill_id=Standard,mastery=Mastery')"
        )
    return dict(zip(roles, names, strict=False))


PlacementPath = Annotated[
    Path | None,
    typer.Option(
        "--placement",
        exists=True,
        dir_okay=False,
        help="Where students start (CSV or Parquet: student_id, skill_id, mastery), e.g. last "
        "year's mastery or a diagnostic's saved placement; others: their grade.",
    ),
]
PlacementColumns = Annotated[
    str | None,
    typer.Option(
        "--placement-columns",
        callback=parse_placement_columns,
        help="The --placement file's own column names, in the order student, skill, mastery "
        "(e.g. 'Student ID,Standard,Mastery'), where they differ; a fourth names its source "
        "column (the words the reasons give, e.g. 'placed by diagnostic (12 questions)'). Or "
        "field=Column pairs, as profiles --columns: 'student_id=Student ID,mastery=Mastery'.",
    ),
]
PlacementSkillMap = Annotated[
    Path | None,
    typer.Option(
        "--placement-skill-map",
        exists=True,
        dir_okay=False,
        help="The --placement file's codes read as this catalog's skills (last year's '4.NS.1' "
        "as 'g4.NS.1'): a CSV with the header 'code,skill_id' and a line per code (an empty "
        "skill_id: a retired skill, its rows left out and counted), or a .json object "
        "{code: skill id or null}.",
    ),
]
PlacementDropBlankAndIdentical = Annotated[
    bool,
    typer.Option(
        "--placement-drop-blank-and-identical",
        help="Leave out the --placement file's rows with a blank mastery (a skill not "
        "assessed) and rows identical to an earlier row (a double export), counted in one "
        "warning, instead of refusing the file; other rows are still refused.",
    ),
]
PlacementQuarantine = Annotated[
    Path | None,
    typer.Option(
        "--placement-quarantine",
        callback=_check_quarantine,
        help="As --placement-drop-blank-and-identical, and write the rows left out with "
        "their reasons to this CSV file (in an existing folder), as --quarantine does for a log.",
    ),
]
OverridesPath = Annotated[
    Path | None,
    typer.Option(
        "--overrides",
        exists=True,
        help="Teacher overrides exported by the report's class pages (a JSON file or a folder).",
    ),
]
#: `ope` and `experiment analyze`: a --profiles file other (by sha256) than the one the nights
#: recorded is refused unless this is given (`evaluation.ope.served.check_profiles_recorded`)
AllowOtherProfiles = Annotated[
    bool,
    typer.Option(
        "--allow-other-profiles",
        help="Proceed, with a warning, when --profiles is not the file (by sha256) the nights "
        "were served from: the result is then biased.",
    ),
]

ProfilesFile = Annotated[
    Path | None,
    typer.Option(
        "--profiles",
        exists=True,
        dir_okay=False,
        help="Learner profiles: JSON lines, or a CSV / Parquet table with a column per field "
        "(grade, interests 'animals:0.8;music', goal_skills 'k1;k2', school_id, class_id); the "
        "demo district's are used only with its own data.",
    ),
]


def district_option(*replaces: str) -> object:
    """The `--district` option of a command whose file options are `replaces` (e.g. "--data",
    "--catalog"): its --help names those, and only those, as what the folder stands for."""
    flags = ", ".join(replaces[:-1]) + (" and " if len(replaces) > 1 else "") + replaces[-1]
    return Annotated[
        Path | None,
        typer.Option(
            "--district",
            exists=True,
            file_okay=False,
            help="Folder with catalog.json, profiles.jsonl, responses.parquet (as `adaptive "
            f"simulate --out` writes it), instead of {flags}.",
        ),
    ]


#: `--district` of a command with --data, --catalog and --profiles (batch, recommend, ope,
#: experiment analyze, train), with --data only (evaluate, promote);
#: `report` has its own (--catalog and --profiles)
DistrictDir = district_option("--data", "--catalog", "--profiles")
DistrictLog = district_option("--data")


def district_or_files(
    district: Path | None,
    catalog: Path | None,
    profiles: Path | None,
    data: str | Path | None = None,
    *,
    default_data: str | None = None,
    mapping: dict | None = None,
) -> tuple[str | Path | None, Path | None, Path | None]:
    """(log, catalog, profiles): those of the `--district` folder when given, else the ones
    given. Beside --district, --data (other than the command's `default_data`), --catalog or
    --profiles is one error, and so are column options: the folder's log is in the canonical
    columns (as `adaptive simulate` writes it)."""
    if district is None:
        return data, catalog, profiles
    from adaptive.errors import ConfigError
    from adaptive.policy.service import district_files

    given = [flag for flag, value in (("--data", data is not None and data != default_data),
             ("--catalog", catalog), ("--profiles", profiles)) if value]  # fmt: skip
    if given:
        raise ConfigError(f"give --district (a folder) or {' and '.join(given)}, not both")
    if mapping:
        raise ConfigError(
            "column options go with --data (a response log): a --district folder's log is in "
            "the canonical columns"
        )
    return district_files(district)


def check_district_given(
    name: str | None, district: Path | None, data: str | None, command: str
) -> None:
    """A registered model other than the demo's, with neither --data nor --district: the demo
    district (the default log, "demo") would be served with it, its students mixed in with the
    district's and its own students served without their answers, exit 0 (or, with no demo
    written, "run `adaptive demo`" told a district's data scientist to run the demo). Its
    district's files are asked for instead."""
    from adaptive.batch.job import DEMO_MODEL

    if name is None or name == DEMO_MODEL or district is not None or data not in (None, "demo"):
        return
    from adaptive.errors import ConfigError

    raise ConfigError(
        f"--name {name!r}: give the district whose students it serves: --data LOG (with the "
        "column flags of `train`), --catalog FILE and --profiles FILE, or --district DIR (a "
        f"folder holding the three); without them {command} serves the demo district, whose "
        f"model is --name {DEMO_MODEL}"
    )


def check_demo_model_serves(
    name: str | None, district: Path | None, data: str | None, command: str
) -> None:
    """No `--name` with a district's own files: the demo's model (`DEMO_MODEL`) was looked up
    and, where `adaptive demo` had been run, served them: a model trained on the simulated
    demo district scored a real district's night, exit 0, with "model demo-district v5" on
    the summary line its only word. The demo's model serves only the demo district (its
    folder, or the default log "demo"); another district's files need their own model,
    named."""
    if name is not None:
        return
    from adaptive.batch.job import DEMO_MODEL, is_demo_log

    if district is not None:
        if is_demo_log(Path(district) / "responses.parquet"):
            return
        folder = str(district)
    elif data is None or is_demo_log(data):
        return
    else:
        folder = "DIR"
    from adaptive.errors import ConfigError

    raise ConfigError(
        f"no --name given: {command} serves a registered model by its name, and without one it "
        f"would serve the demo's ({DEMO_MODEL!r}, trained on the simulated demo district) to "
        f"your district's students. Train, register and promote your district's model, then "
        f"name it: {own_model_commands(command, folder)} (or --data/--catalog/--profiles for "
        "--district)"
    )


def own_model_commands(command: str, folder: str) -> str:
    """The commands that give a district its own registered model and serve it with
    `command`, as the errors about a missing --name say them."""
    return (
        f"`adaptive train --model bkt --district {folder} --name NAME`, `adaptive promote "
        f"--name NAME --district {folder}`, then `adaptive {command} --name NAME --district "
        f"{folder} ...`"
    )


@contextlib.contextmanager
def served_model(name: str | None, command: str, district: Path | None) -> Iterator[str]:
    """The registered model `command` serves: `--name`, else the demo's (`DEMO_MODEL`). When no
    `--name` was given and the demo's model cannot be looked up (no tracking store, no such
    model, no champion), the error says so: a district's data scientist read "registered model
    'demo-district': no tracking store ..." for their own district, with no word that the name
    was the demo's default, nor how their district gets a model of its own (the README's
    commands, with their `--district`). Only a look-up's failure (`ModelLookupError`), told by
    its type: a demo model found with a damaged artifact ("registered model 'demo-district'
    version 3: ...", its error starting alike) was answered "train, register and promote your
    own", and its own error (which file, what to do) was lost; it passes unchanged."""
    from adaptive.batch.job import DEMO_MODEL
    from adaptive.errors import ConfigError
    from adaptive.registry.store import ModelLookupError

    try:
        yield DEMO_MODEL if name is None else name
    except ModelLookupError as exc:
        if name is not None:
            raise
        folder = "DIR" if district is None else str(district)
        raise ConfigError(
            f"no --name given, so {command} looked up the demo's registered model "
            f"{DEMO_MODEL!r}: {exc}. For your own district, train, register and promote its "
            f"model, then name it: {own_model_commands(command, folder)} (for the demo's: "
            "`adaptive demo`)"
        ) from exc


def log_and_catalog(
    district: Path | None, data: str | None, catalog: Path | None, mapping: dict | None = None
) -> tuple[str | Path, Path | None]:
    """(response log, catalog) of a command that reads a log: `--data` (and `--catalog`), or
    those of the `--district` folder; one of `--data` and `--district` is needed."""
    if district is None:
        if data is None:
            from adaptive.errors import ConfigError

            raise ConfigError("give --data (a response log: a file or dataset name) or --district")
        return data, catalog
    log, catalog, _ = district_or_files(district, catalog, None, data, mapping=mapping)
    return log, catalog


CatalogFile = Annotated[
    Path | None,
    typer.Option(
        "--catalog",
        exists=True,
        dir_okay=False,
        callback=check_catalog,
        help="Catalog JSON (skills, prerequisites, activities).",
    ),
]

#: `--norm` of every command that reads school years or growth (`report`, `train`): the
#: district's growth norm, whose `year_start` is the first day of its school year.
NormFile = Annotated[
    Path | None,
    typer.Option(
        "--norm",
        dir_okay=False,
        help="Growth norm TOML; its year_start is the first day of a school year (default: the "
        "shipped one, adaptive/specs/norm.toml).",
    ),
]

PolicyFile = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        exists=True,
        dir_okay=False,
        help="Your policy TOML (weights and thresholds; default: the policy shipped with the "
        "package, adaptive/specs/policy.toml).",
    ),
]
