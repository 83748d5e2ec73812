"""`adaptive validate` and `adaptive datasets list|describe`: check and inspect response logs.

Thin wrappers over `adaptive.data.load_log_report`; a bad file raises `DataValidationError`,
which the CLI's `main` prints (first 20 problems and the total) with exit code 2.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from adaptive.cli.options import (
    CatalogFile,
    OverridesPath,
    PlacementColumns,
    PlacementDropBlankAndIdentical,
    PlacementQuarantine,
    PlacementSkillMap,
    ProfilesFile,
    Quarantine,
    Quiet,
    parse_day,
    parse_field_columns,
    reads_log,
)
from adaptive.cli.output import console, info, warn
from adaptive.data import list_descriptors, load_descriptor, load_log_report
from adaptive.data.io import (
    LoadReport,
    check_not_an_input,
    local_times_as_utc,
    refuse_header_only,
    write_log,
)
from adaptive.data.log import ResponseLog
from adaptive.data.validate import dates_only
from adaptive.dates import check_timezone
from adaptive.errors import (
    AdaptiveError,
    DataNoteWarning,
    counted,
    line_words,
    some_of,
    verb,
)
from adaptive.files import atomic_write_bytes, output_file
from adaptive.grades import grade_label

if TYPE_CHECKING:
    from adaptive.curriculum import Catalog, LearnerProfile
    from adaptive.placement import Placement
    from adaptive.placement.table import PlacementReading

datasets_app = typer.Typer(help="List the known datasets and describe one.", no_args_is_help=True)

DatasetOpt = Annotated[
    str | None,
    typer.Option(
        "--dataset", help="Read the file with this dataset descriptor's columns and quirks."
    ),
]


def register(app: typer.Typer) -> None:
    """Add `validate`, `profiles` and the `datasets` group to the main app."""
    app.command("validate")(validate)
    app.command("profiles")(profiles)
    app.add_typer(datasets_app, name="datasets")


def profiles(
    roster: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, metavar="ROSTER", help="The roster: CSV or Parquet."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", dir_okay=False, help="The learner profiles file to write (JSON lines)."
        ),
    ],
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            help="The roster's own column names, 'field=Column' pairs: 'student_id=SIS ID,"
            "grade=Grade Level,class_id=Homeroom,school_id=School'; its other columns are not "
            "read.",
        ),
    ] = None,
    catalog: CatalogFile = None,
    quiet: Quiet = False,
) -> None:
    """Check a roster export and write it as learner profiles (JSON lines).

    The file is what every command's --profiles and the Spark engine read. Every bad row is
    listed in one error (exit code 2); students without a grade, and with a class but no
    school, are counted. With --catalog, what a night says of the profiles is said now, as
    warnings (interest topics and goal skills the catalog lacks, each with the name it likely
    means; students without a grade or school; a class id used by several schools, each
    school's class its own), and students in grades more than one grade
    outside the catalog's (a grade 12 on a grade 3-8 catalog; a "12" may be a typo for "2")
    are one warning with their grades, counts and lines, and what a night will do with them."""
    from adaptive.batch.overrides import class_schools
    from adaptive.curriculum import Catalog, read_profiles, write_profiles
    from adaptive.policy.adapter import check_profiles, shared_class_ids_words

    named = parse_profile_columns(columns)
    read = read_profiles(roster, named)
    counts = _roster_counts(read) if catalog is None else ""  # else said by check_profiles
    if catalog is not None:
        known = Catalog.from_json(catalog)
        # the night's `check_profiles`: an interest "Cooking" for the catalog's "cooking" (or
        # a roster's column read shifted) was written without a word, then ignored every night
        check_profiles(read, known)
        far = grades_far_from_catalog(read, known, roster, named)
        if far:
            warn(far)
    else:  # said by check_profiles with --catalog, as a night says it
        said = shared_class_ids_words(class_schools(read))
        if said:
            warn(f"profiles: {said}")
    write_profiles(read, out)
    info(f"{len(read):,} profiles written to {out}{counts}")


def _roster_counts(profiles: Mapping[str, LearnerProfile]) -> str:
    """ "; N without a grade; M with a class but no school" (the parts that are not 0)."""
    without = sum(1 for p in profiles.values() if p.grade is None)
    class_only = sum(1 for p in profiles.values() if p.class_id and not p.school_id)
    return (f"; {without:,} without a grade" if without else "") + (
        f"; {class_only:,} with a class but no school" if class_only else ""
    )


#: Grades this far outside the catalog's or nearer are placed by their distance to it without a
#: word (a grade 9 on a grade 3-8 catalog); farther ones are warned of by `adaptive profiles`.
GRADES_OUTSIDE_UNSAID = 1


def grades_far_from_catalog(
    profiles: Mapping[str, LearnerProfile],
    catalog: Catalog,
    roster: Path,
    columns: Mapping[str, str] | None = None,
) -> str:
    """The words of one warning about the students whose grade is more than
    `GRADES_OUTSIDE_UNSAID` grades outside the catalog's (none: ''): each grade with its count,
    its roster lines (no ids) and what the shipped grade table and policy do with it: a
    grade past the catalog is placed as knowing every skill (served only what their answers
    show not mastered), one below it is served the catalog's lowest grade. A trial's night
    only counted "grades the catalog has no skill of: 12 (1), K (2), PK (1)"."""
    graded = [s.grade for s in catalog.skills if s.grade is not None]
    if not graded:
        return ""
    lo, hi = min(graded), max(graded)
    far: dict[int, list[str]] = {}
    for p in profiles.values():
        if (
            p.grade is not None
            and not lo - GRADES_OUTSIDE_UNSAID <= p.grade <= hi + GRADES_OUTSIDE_UNSAID
        ):
            far.setdefault(p.grade, []).append(p.student_id)
    if not far:
        return ""
    from adaptive.curriculum.profile import profile_lines

    lines = profile_lines(roster, columns)  # read again only when there is something to say
    by_effect: dict[str, list[str]] = {}  # grades with the same effect said once
    for g, ids in sorted(far.items()):
        rows = line_words([lines[i] for i in ids])
        where = f"{grade_label(g)} ({counted(len(ids), 'student')}, {rows})"
        by_effect.setdefault(_far_grade_effect(catalog, g, lo), []).append(where)
    said = "; ".join(
        f"{'grade' if len(grades) == 1 else 'grades'} {' and '.join(grades)}: {effect}"
        for effect, grades in by_effect.items()
    )
    n = sum(len(ids) for ids in far.values())
    return (
        f"{roster}: {counted(n, 'student')} {verb(n, 'is')} in grades more than "
        f"{counted(GRADES_OUTSIDE_UNSAID, 'grade')} outside the catalog's "
        f"({grade_label(lo)}-{grade_label(hi)}): {said}; check these grades (a typo, or "
        "another catalog's students), or use a catalog that reaches them"
    )


def _far_grade_effect(catalog: Catalog, grade: int, lowest: int) -> str:
    """What a night does with a student of `grade` far outside the catalog, placed from it by
    the shipped grade table (`grades_far_from_catalog`). A placement assumes known only the
    skills a student never answered (`policy.terms.assumed_known`): those answered are judged
    by the answers, and served while not mastered. A trial's warning said "nothing is served"
    of grade-12 students whom the night served 3 and 4 activities from their answers."""
    if grade < lowest:
        return (
            f"served the catalog's lowest grade, {grade_label(lowest)}, placed as not known "
            "(their recommendations say it is above their grade)"
        )
    from adaptive.curriculum import LearnerProfile
    from adaptive.placement import grade_placement
    from adaptive.policy import PolicyConfig
    from adaptive.policy.terms import assumed_known

    placed = grade_placement(catalog, [LearnerProfile("grade", grade=grade)]).mastery
    graded = ~np.isnan(placed[0])
    never = np.zeros(placed.shape, np.int32)
    known = int(assumed_known(placed, never, PolicyConfig.default().assumed_known)[0].sum())
    if known == graded.sum():
        return (
            "every skill they never answered assumed known and not served: only skills their "
            "answers show not mastered are served (nothing to a student without answers)"
        )
    return (
        f"{known} of {counted(int(graded.sum()), 'graded skill')} assumed known and not served "
        "until answered (those their answers show not mastered are served), the others placed "
        "as nearly known"
    )


def parse_profile_columns(given: str | None) -> dict[str, str] | None:
    """'student_id=SIS ID,grade=Grade Level' as {field: column}; a pair without "=" is a usage
    error saying the form."""
    if not given:
        return None
    return parse_field_columns(given, "--columns", "student_id=SIS ID,grade=Grade Level")


@reads_log
def validate(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE",
            help="CSV/TSV/Parquet file (optionally .gz) or a folder of Parquet parts; omit with "
            "--dataset, or to check a --catalog alone.",
        ),
    ] = None,
    dataset: DatasetOpt = None,
    mapping: dict | None = None,
    catalog: CatalogFile = None,
    quarantine: Quarantine = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            dir_okay=False,
            help="Also write the checked log here as Parquet in the canonical columns (what "
            "every command reads without column options, and the Spark engine's input); with "
            "--placement and no log: the table as read (skill map applied, rows the drop "
            "options leave out left out) as a .csv that --placement reads back.",
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="The IANA time zone (e.g. America/New_York) the log's times without a UTC "
            "offset were written in: --out holds them as the instants they are (UTC), which a "
            "night's --timezone cuts right. Without it, --out keeps them without a zone, and "
            "`batch --timezone` warns of them as it does of the file.",
        ),
    ] = None,
    placement: Annotated[
        Path | None,
        typer.Option(
            "--placement",
            exists=True,
            dir_okay=False,
            help="Check a placement table (CSV or Parquet: student_id, skill_id, mastery) as "
            "adaptive batch --placement reads it, against --catalog (and --profiles); prints "
            "what a night would place.",
        ),
    ] = None,
    placement_columns: PlacementColumns = None,
    placement_skill_map: PlacementSkillMap = None,
    placement_drop_blank_and_identical: PlacementDropBlankAndIdentical = False,
    placement_quarantine: PlacementQuarantine = None,
    profiles: ProfilesFile = None,
    overrides: OverridesPath = None,
    night: Annotated[
        str | None,
        typer.Option(
            "--date",
            callback=parse_day,
            help="With --overrides: the night they are for (default: today); a file dated "
            "before its school year (the growth norm's year_start) is last year's.",
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Check a response file against the schema, or a catalog file, or a placement table, or
    teacher overrides, or several; print counts, or every problem (exit code 2).

    Rows with timestamps are sorted by student and time (ties keep file order), so an unsorted
    export loses nothing; --require-sorted rejects rows out of order instead.

    --catalog FILE without a log checks the catalog alone (every record, prerequisite cycles,
    topics) and prints what it holds; with a log, the log's skill ids (and activity ids) that
    the catalog does not have are named too.

    --placement FILE --catalog CATALOG [--placement-columns ...] [--placement-skill-map MAP]
    [--placement-drop-blank-and-identical] [--placement-quarantine FILE]
    [--profiles PROFILES] reads a
    placement table exactly as a night does (the same reader, checks and warnings) and prints
    its rows, students, skills, sources, mastery range and, with --profiles, the students no
    profile names (a night counts them, and refuses a table of nobody on the roster).

    --overrides FILE_OR_FOLDER --catalog CATALOG --profiles PROFILES checks the class pages'
    exported overrides as a night reads them and lists every problem of every file at once
    (exit code 2), where a night sets such a file aside and serves its students without it;
    a file dated before the school year of --date (default today) is one of them (last year's).
    """
    from adaptive.placement.table import COMMAND_NAMES, PlacementReading

    reading = PlacementReading(
        placement_columns,
        placement_skill_map,
        placement_drop_blank_and_identical,
        placement_quarantine,
        names=COMMAND_NAMES,
    )
    if overrides is not None:
        _check_overrides(overrides, catalog, profiles, night)
        if file is None and dataset is None and placement is None:
            return
    if placement is not None or reading.given() or (profiles is not None and overrides is None):
        _check_placement_option(placement, reading, catalog, profiles)
        if file is None and dataset is None:
            inputs = {"--placement": placement, "--catalog": catalog, "--profiles": profiles}
            checked = _placement_out(out, {**inputs, "--placement-skill-map": placement_skill_map})
            _check_placement_file(placement, reading, catalog, profiles, (), checked)
            return
    if out is not None and out.suffix != ".parquet":
        raise typer.BadParameter(f"{out}: give a path ending in .parquet", param_hint="--out")
    if file is None and dataset is None:
        if catalog is None:
            raise AdaptiveError(
                "give a FILE to validate, --dataset NAME to validate that dataset's file, or "
                "--catalog FILE to check a catalog"
            )
        _check_catalog_alone(catalog, mapping, quarantine, out, timezone)
        return
    zone = None if timezone is None else check_timezone(timezone)
    if out is not None:
        output_file(out)  # before the log is read: not under a file, not a device or a pipe
    with _warnings_counted() as said:
        if file is None:
            log, report = load_log_report(dataset, mapping, quarantine)
        else:
            log, report = load_log_report(file, mapping, quarantine, dataset=dataset)
        refuse_header_only(log)
        _print_report(report)
        log = _times_in_zone(log, report, zone, out)
        _print_summary(log, title="Loaded response log")
        if catalog is not None:
            _check_log_against_catalog(log, catalog)
        if out is not None:
            naive = report.naive_times and zone is None
            info(f"checked log written to {write_log(log, out, naive_times=naive)}")
        if placement is not None:
            _check_placement_file(placement, reading, catalog, profiles, log.students)
    _print_verdict(report, len(said))


@contextlib.contextmanager
def _warnings_counted() -> Iterator[list[warnings.WarningMessage]]:
    """The warnings said inside (as the filters let them be said), each said again on leaving,
    through the filters and `warnings.showwarning` as it would have been, and listed: a
    validation followed by warnings is no "No problems found." (`_print_verdict`). Said again
    when the block raises too (what was said before an error is still said)."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            yield caught
    finally:
        for said in caught:
            warnings.warn_explicit(said.message, said.category, said.filename, said.lineno)


def _print_verdict(report: LoadReport, warned: int) -> None:
    """`validate`'s last line on a log: "No problems found." only where nothing was warned of
    (a trial's export with 4 answers on a truncated skill id read "No problems found." and then
    the warning), else the count of warnings to read; with --quarantine, `_print_report` said
    how many rows were set aside."""
    if report.quarantine is not None:
        return
    if warned:
        console.print(
            f"No errors; {counted(warned, 'warning')} above: read "
            f"{'it' if warned == 1 else 'them'} before serving this log."
        )
    else:
        console.print("No problems found.")


def _check_overrides(
    path: Path, catalog_path: Path | None, profiles_path: Path | None, night: str | None = None
) -> None:
    """`validate --overrides`: the files read as a night reads them (`read_overrides`), but
    strictly: every problem of every file is one error (exit 2), where a night sets the file
    aside. A file dated before the school year of `night` (default today: a night would not
    apply last year's file) is one of them. Prints the students and files a night would apply."""
    from adaptive.batch.overrides import read_overrides
    from adaptive.curriculum import Catalog, read_profiles

    if catalog_path is None or profiles_path is None:
        raise AdaptiveError(
            f"--overrides {path}: give --catalog CATALOG and --profiles PROFILES too (a night "
            "checks the activity ids against its catalog and the students against its profiles)"
        )
    night = night or pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d")
    got = read_overrides(
        path, Catalog.from_json(catalog_path), read_profiles(profiles_path), year_of=night
    )
    console.print(
        f"No problems found in the overrides {path}: a night applies those of "
        f"{counted(len(got), 'student')} from {counted(len(got.files), 'file')}.",
        highlight=False,
    )


def _check_placement_option(
    placement: Path | None,
    reading: PlacementReading,
    catalog: Path | None,
    profiles: Path | None,
) -> None:
    """The reading options (`PlacementReading.check_needs_file`) and --profiles go with
    --placement; --placement with --catalog (a night reads its table against its catalog)."""
    reading.check_needs_file(placement)
    if placement is None:
        raise AdaptiveError("--profiles is for --placement FILE (a placement table to check)")
    if catalog is None:
        raise AdaptiveError(
            f"--placement {placement}: give --catalog CATALOG too (a night checks the table's "
            "skills against its catalog)"
        )


def _check_placement_file(
    path: Path,
    reading: PlacementReading,
    catalog_path: Path,
    profiles_path: Path | None,
    log_students: Collection[str],
    out: Path | None = None,
) -> None:
    """Read a placement table as `adaptive batch --placement` does (`read_placement`, then the
    night's count of students no profile names and the log has no answer of) and print what
    a night would place: rows, students, skills, sources, mastery range. `reading`: the
    options it is read with (columns, skill map, drops); `out`: where the table as read is
    written (`write_placement_csv`). Without the log
    (`log_students` empty), a student the log alone knows counts as in no profile, where a
    night given its log would not count them."""
    from adaptive.batch.night_checks import warn_placed_off_roster
    from adaptive.curriculum import Catalog, read_profiles

    catalog = Catalog.from_json(catalog_path)
    placement = reading.read(path, catalog)
    off = None
    if profiles_path is not None:
        off = warn_placed_off_roster(
            placement, read_profiles(profiles_path), list(log_students), path.name
        )
    table = Table(title=f"Placement table {path}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in describe_placement(placement, len(catalog.skills), off).items():
        table.add_row(key, value)
    console.print(table)
    if profiles_path is None:
        console.print(
            "Its students were not checked against the roster: give --profiles (a night "
            "refuses a table none of whose students is in a profile or answered in the log)."
        )
    elif not log_students:
        console.print(
            "Without the log (FILE), a student only the log knows counts above as in no "
            "profile, where a night would not: give the log too to count as a night does."
        )
    console.print("No problems found: a night given this table reads it as above.")
    if out is not None:
        info(f"checked placement table written to {write_placement_csv(placement, out)}")


def _placement_out(out: Path | None, inputs: dict[str, Path | None]) -> Path | None:
    """`validate --placement FILE --out CLEAN.csv` (no log): checked before the table is read,
    and never one of the command's `inputs` (by option: the table itself, its skill map, the
    catalog, the profiles), which the write would replace. --out was ignored there without a
    word, and a Spark district told to write the table without its blank and repeated rows
    had no command that wrote it."""
    if out is None:
        return None
    if out.suffix != ".csv":
        raise typer.BadParameter(
            f"{out}: give a path ending in .csv (the placement table as read, which --placement "
            "reads back)",
            param_hint="--out",
        )
    check_not_an_input(out, inputs, "--out", writes="the checked table")
    return output_file(out)


def write_placement_csv(placement: Placement, path: Path) -> Path:
    """The placement as a table `--placement` reads back with no other option (student_id,
    skill_id in the catalog's ids, mastery, source), written atomically."""
    atomic_write_bytes(path, placement.to_frame().to_csv(index=False).encode())
    return path


def describe_placement(
    placement: Placement, catalog_skills: int, off: int | None
) -> dict[str, str]:
    """The figures `validate --placement` prints: counts, the mastery range and the sources,
    never ids. A source column of whole numbers (a student's id column given as the source,
    perhaps) is counted, not shown, as the table's warning does (`SourceLook`)."""
    from adaptive.placement.table import SourceLook

    values = placement.mastery[~np.isnan(placement.mastery)]
    sources = pd.Series(placement.sources, dtype=object).value_counts()
    look = SourceLook()
    look.add(pd.Series(sources.index, dtype=object))
    if look.all_whole_numbers:
        said = f"{counted(len(sources), 'source')}, all whole numbers (not shown)"
    else:
        said = some_of([f"{src!r}: {n:,}" for src, n in sources.items()], 3)
    out = {
        "rows": f"{len(values):,}",
        "students": f"{len(placement.students):,}",
        "skills": f"{len(placement.skills):,} of the catalog's {catalog_skills:,}",
        "sources": said,
    }
    if off is not None:
        out["students in no profile"] = f"{off:,}"
    if len(values):
        out["mastery"] = (
            f"{values.min():g} to {values.max():g} (median {float(np.median(values)):g})"
        )
    return out


def _check_catalog_alone(
    path: Path,
    mapping: dict | None,
    quarantine: Path | None,
    out: Path | None,
    timezone: str | None = None,
) -> None:
    """`validate --catalog FILE` without a log: the catalog's summary (its problems are the
    `--catalog` option's error, exit 2). An option about a log is refused, not ignored."""
    log_options = (("--out", out), ("--quarantine", quarantine), ("--timezone", timezone))
    given = [flag for flag, value in log_options if value]
    if mapping or given:
        options = " and ".join([*given, *(["column options"] if mapping else [])])
        goes = "goes" if len(given) == 1 and not mapping else "go"
        raise AdaptiveError(f"{options} {goes} with a response log: give its FILE (or --dataset)")
    from adaptive.curriculum import Catalog

    _print_catalog(Catalog.from_json(path), path)


def _times_in_zone(
    log: ResponseLog, report: LoadReport, zone: str | None, out: Path | None
) -> ResponseLog:
    """`validate --timezone ZONE`: a log whose times carry no UTC offset (read as UTC,
    `LoadReport.naive_times`) as the instants they are in ZONE (`local_times_as_utc`), what
    --out then holds. A column of dates is kept as days: moved to local midnight's instant, a
    second attempt of a day no longer read as one, and the night refused it as a row loaded
    twice. Without ZONE, --out keeps them without a zone (`write_log`), and a
    warning says so and how to give it (without --out too: the summary shows them as UTC, and
    "No problems found." under it read as a local export checked): the canonical Parquet of a New York export said
    nothing to a night cut at midnight there, which counted a 1:30 am answer in the night
    before."""
    days = log.has_timestamps and dates_only("timestamp", log.time)
    if not report.naive_times or days:  # a date is a day wherever it is read: not moved
        if zone is not None:
            info(
                f"{report.source}: its times carry their UTC offsets (or are dates or an "
                "order): --timezone changes none of them"
            )
        return log
    if zone is not None:
        info(f"{report.source}: its times without a UTC offset read as times in {zone}")
        return local_times_as_utc(log, zone)
    kept = (
        f"{out} keeps them so (a timestamp without a zone, read as UTC)"
        if out is not None
        else "they are read (and shown above) as UTC"
    )
    cure = "to write them as" if out is not None else "with --out to write them as"
    warnings.warn(
        f"{report.source}: its times carry no UTC offset: {kept}, and a night's --timezone "
        f"warns of them. If they are local times, give --timezone ZONE (e.g. "
        f"America/New_York) {cure} the instants they are; if they are UTC, --timezone UTC",
        DataNoteWarning,
        stacklevel=2,
    )
    return log


def _check_log_against_catalog(log: ResponseLog, path: Path) -> None:
    """The catalog's summary, and a warning naming the log's skill ids (and activity ids,
    where most of its items are activities) that the catalog does not have, with the
    catalog's closest id: what the nightly job warns of (`OffCatalog`); and one counting the
    answers on catalog activities tagged with other skills than the catalog gives them."""
    from adaptive.batch.night_checks import warn_off_catalog, warn_tags_unlike_activities
    from adaptive.curriculum import Catalog

    catalog = Catalog.from_json(path)
    _print_catalog(catalog, path)
    if not warn_off_catalog(log, catalog, DataNoteWarning).skills:
        console.print(f"Every skill id of the log is a skill of {path}.")
    warn_tags_unlike_activities(log, catalog, DataNoteWarning)


def describe_catalog(catalog: Catalog) -> dict[str, str]:
    """The figures `validate --catalog` prints: counts, grades, kinds, topics, difficulty."""
    from adaptive.grades import grade_label

    grades = sorted({s.grade for s in catalog.skills if s.grade is not None})
    no_grade = sum(s.grade is None for s in catalog.skills)
    links = sum(len(s.prerequisites) for s in catalog.skills)
    kinds = pd.Series([a.kind for a in catalog.activities]).value_counts()
    difficulty, minutes = catalog.activity_difficulty, catalog.activity_minutes
    topics = list(catalog.topics)
    return {
        "skills": f"{len(catalog.skills):,} ({counted(links, 'prerequisite link')})",
        "grades": (", ".join(grade_label(g) for g in grades) or "none")
        + (f"; {counted(no_grade, 'skill')} without one" if no_grade else ""),
        "activities": f"{len(catalog.activities):,}",
        "kinds": ", ".join(f"{kind} {n:,}" for kind, n in kinds.items()),
        "topics": f"{len(topics):,}" + (f": {some_of(topics, 12)}" if topics else ""),
        "difficulty (logit shift)": f"{difficulty.min():g} to {difficulty.max():g}",
        "minutes": f"{minutes.min():g} to {minutes.max():g}",
    }


def _print_catalog(catalog: Catalog, path: Path) -> None:
    table = Table(title=f"Catalog {path}")
    table.add_column("measure")
    table.add_column("value")
    for key, value in describe_catalog(catalog).items():
        table.add_row(key, value)
    console.print(table)
    gaps = activity_gaps(catalog)
    if gaps:  # a warning, which `validate` of a log counts (`_warnings_counted`)
        warnings.warn(f"{path}: {gaps}", DataNoteWarning, stacklevel=2)


def activity_gaps(catalog: Catalog) -> str:
    """The catalog's skills that nothing serves or asks, named and counted ('' when none): a
    skill with no activity is never recommended, and the placement diagnostic asks only
    skills with an activity of their own (one practising that skill alone, which an app can
    show as its question); it infers the others. A trial's catalog passed `validate` silently
    with such a skill, and the diagnostic then asked it with nothing to show."""
    if not catalog.activities:
        return (
            "the catalog has no activities: nothing can be recommended, and the placement "
            "diagnostic asks its skills by id (Question.activity is None)"
        )
    from adaptive.placement.diagnostic import askable_skills

    practised = {s for a in catalog.activities for s in a.skills}
    asked = dict(zip((s.id for s in catalog.skills), askable_skills(catalog), strict=True))
    none = [s.id for s in catalog.skills if s.id not in practised]
    shared = [s.id for s in catalog.skills if s.id in practised and not asked[s.id]]
    said = []
    if none:
        said.append(
            f"{counted(len(none), 'skill')} {verb(len(none), 'has')} no activity: "
            f"{some_of([repr(s) for s in none], 12)} (never recommended)"
        )
    if shared:
        said.append(
            f"{counted(len(shared), 'skill')} {verb(len(shared), 'has')} only activities of "
            f"several skills: {some_of([repr(s) for s in shared], 12)}"
        )
    if not said:
        return ""
    them = "it" if len(none) + len(shared) == 1 else "them"
    return (
        f"{'; '.join(said)}. The placement diagnostic does not ask {them} (nothing to show as "
        f"the question): it infers {them} from the other answers. Add an activity of the skill "
        "alone to ask it"
    )


@datasets_app.command("list")
def datasets_list(quiet: Quiet = False) -> None:
    """The datasets with a descriptor (shipped with the package) and whether their file is
    present: public datasets in $ADAPTIVE_SHARED_DATASETS (a checkout: ../shared/datasets), the
    demo district in the data folder."""
    table = Table(title="Datasets (descriptors shipped with the package)")
    for col in ("name", "available", "file", "description"):
        table.add_column(col)
    for name in list_descriptors():
        desc = load_descriptor(name)
        where = str(desc.base_dir_unchecked / desc.file)
        table.add_row(name, "yes" if desc.is_available() else "no", where, desc.description)
    console.print(table)


@datasets_app.command("describe")
@reads_log
def datasets_describe(
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="A dataset name (see `datasets list`) or a file."),
    ],
    mapping: dict | None = None,
    quarantine: Quarantine = None,
    quiet: Quiet = False,
) -> None:
    """Load a dataset and print its counts: rows, students, items, skills, % correct, ..."""
    log, report = load_log_report(name, mapping, quarantine)
    _print_summary(log, title=f"{name}", report=report)


def describe_log(log: ResponseLog, report: LoadReport | None = None) -> dict[str, Any]:
    """The figures `datasets describe` prints (no student identifiers)."""
    out: dict[str, Any] = {}
    if report is not None:
        out["rows"] = report.rows_read
    out.update(log.summary())
    lengths = np.diff(log.student_offsets)
    out["median_responses_per_student"] = float(np.median(lengths)) if len(lengths) else 0.0
    out["max_responses_per_student"] = int(lengths.max()) if len(lengths) else 0
    if log.has_timestamps and len(log):
        ts = log.frame["timestamp"]
        out["time"] = f"{ts.min().isoformat()} .. {ts.max().isoformat()}"
    elif len(log):
        out["time"] = "an order, no timestamps (a column's whole numbers, or the file's rows)"
    else:
        out["time"] = "no responses"
    return out


def _print_report(report: LoadReport) -> None:
    table = Table(title=f"Validation of {report.source}")
    table.add_column("check")
    table.add_column("value", justify="right")
    table.add_row("rows read", f"{report.rows_read:,}")
    table.add_row("rows loaded", f"{report.rows_loaded:,}")
    table.add_row("rows quarantined", f"{report.rows_quarantined:,}")
    table.add_row("responses (after merging multi-skill rows)", f"{report.responses:,}")
    if report.blank_lines:
        table.add_row("blank lines skipped", f"{report.blank_lines:,}")
    if report.ignored_columns:
        # a column without a name (a pandas index saved with the data) shows as one
        shown = (c if c.strip() else "(a column without a name)" for c in report.ignored_columns)
        table.add_row("columns not used", ", ".join(shown))
    console.print(table)
    for note in report.notes:
        console.print(f"note: {note}")
    if report.quarantine is not None:
        console.print(
            f"{counted(report.problems, 'problem')}: {counted(report.rows_quarantined, 'row')} "
            f"written to {report.quarantine} with their reasons; the rest was loaded."
        )


def _print_summary(log: ResponseLog, title: str, report: LoadReport | None = None) -> None:
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in describe_log(log, report).items():
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        table.add_row(key.replace("_", " "), shown)
    console.print(table)
    for note in report.notes if report is not None else ():
        console.print(f"note: {note}")
