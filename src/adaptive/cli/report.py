"""`adaptive report`: the report site of one date, from the nightly job's output.

A thin wrapper over `adaptive.reports.site.build_site`; `adaptive batch --report DIR` calls the
same function (`write_report`) after the night's outputs are complete. A --profiles file other
(by sha256) than the one the night recorded is refused, as `adaptive ope` refuses it, unless
`--allow-other-profiles` (then a warning).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from adaptive.cli.options import (
    AllowOtherProfiles,
    CatalogFile,
    NormFile,
    ProfilesFile,
    Quiet,
    TrackingUri,
    district_option,
    district_or_files,
    parse_day,
)
from adaptive.cli.output import console, info, warn
from adaptive.errors import counted

#: `--district` stands for --catalog and --profiles (a report reads no response log)
ReportDistrict = district_option("--catalog", "--profiles")


def register(app: typer.Typer) -> None:
    """Add `report` to the main app."""
    app.command("report")(report)


def report(
    date: Annotated[
        str, typer.Option("--date", callback=parse_day, help="Date of the batch output to show.")
    ],
    out: Annotated[
        Path, typer.Option("--out", file_okay=False, help="Folder of the site (replaced whole).")
    ],
    batch: Annotated[
        Path | None,
        typer.Option(
            "--batch",
            file_okay=False,
            help="The nightly job's output folder (`adaptive batch --out`; default: the demo's).",
        ),
    ] = None,
    catalog: CatalogFile = None,
    profiles: ProfilesFile = None,
    district: ReportDistrict = None,
    roster: Annotated[
        Path | None,
        typer.Option(
            "--roster",
            dir_okay=False,
            help="CSV student_id,name: show names instead of pseudonymous ids (pages only).",
        ),
    ] = None,
    norm: NormFile = None,
    school: Annotated[
        str | None, typer.Option("--school", help="Write only this school's pages.")
    ] = None,
    class_id: Annotated[
        str | None, typer.Option("--class", help="Write only this class's pages.")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes building schools in parallel.")
    ] = 2,
    allow_other_profiles: AllowOtherProfiles = False,
    tracking_uri: TrackingUri = None,
    quiet: Quiet = False,
) -> None:
    """Write the static report site (district, school, class and student pages) for a date."""
    _, catalog, profiles = district_or_files(district, catalog, profiles)
    if catalog is None and batch is not None:
        catalog, whence = _night_catalog(batch, date, profiles is not None)
        profiles = profiles or catalog.with_name("profiles.jsonl")
        info(
            f"report: no --catalog: the demo district's {catalog} ({whence}) and "
            f"--profiles {profiles}"
        )
    result = write_report(
        batch or _demo_batch(),
        date,
        out,
        catalog=catalog,
        profiles=profiles,
        roster=roster,
        norm=norm,
        school=school,
        class_id=class_id,
        workers=workers,
        tracking_uri=tracking_uri,
        allow_other_profiles=allow_other_profiles,
    )
    print_report(result)


def _demo_batch() -> Path:
    from adaptive.paths import data_dir

    return data_dir() / "demo-batch"


def _night_catalog(batch: Path, date: str, profiles_given: bool) -> tuple[Path, str]:
    """The catalog file for a report of `batch`'s night `date` given no --catalog: the demo
    district's, when the night served it (its `_SUCCESS.json` records the catalog's sha256,
    not its file, so no other catalog can be found from it) or recorded no catalog (a night
    served before the sha256 was recorded: `build_site` checks its skill ids). Otherwise a
    `ReportInputError` asking for the night's catalog (and, unless `profiles_given`, its
    profiles), rather than reading the demo's. Returns the file and words on why it is read."""
    from adaptive.curriculum import Catalog
    from adaptive.paths import demo_district_dir
    from adaptive.reports.site.data import BatchRun, ReportInputError

    run = BatchRun.open(batch, date)  # a night not complete there: its own error
    demo = demo_district_dir() / "catalog.json"
    if run.catalog_sha256 is None:
        return demo, f"the night {date} recorded no catalog: its skill ids are checked"
    if demo.is_file() and Catalog.from_json(demo).sha256 == run.catalog_sha256:
        return demo, f"the catalog the night {date} served, its _SUCCESS.json says"
    raise ReportInputError(
        f"no --catalog, and the night {date} in {batch} was not served with the demo "
        f"district's catalog: its _SUCCESS.json records catalog_sha256 "
        f"{run.catalog_sha256[:16]}... (a digest, not the file). Pass the catalog that night "
        "served: --catalog FILE (the --catalog `adaptive batch` was given) or --district DIR "
        "(its --district)" + ("" if profiles_given else ", with --profiles FILE, its profiles")
    )


def write_report(
    batch: Path,
    date: str,
    out: Path,
    *,
    catalog: Path | None = None,
    profiles: Path | None = None,
    **scope,
):
    """`build_site` with the demo district's catalog and profiles when no catalog is given, and
    the champion's offline evaluation from the tracking store (`tracking_uri`). A --profiles
    file other (by sha256) than the one the night recorded is refused unless `scope` holds
    `allow_other_profiles` (`adaptive batch --report` passes the file the night was served
    from)."""
    from adaptive.paths import demo_district_dir
    from adaptive.reports.site import build_site

    if catalog is None:
        catalog = demo_district_dir() / "catalog.json"
        profiles = profiles or demo_district_dir() / "profiles.jsonl"
    return build_site(
        batch, date, out, catalog=catalog, profiles=profiles, evaluation=True, **scope
    )


def print_report(result) -> None:
    """One line of counts (information: not under `--quiet`) and the page to open, the result
    (no student identifiers)."""
    info(
        f"report: {counted(result.schools, 'school')}, "
        f"{counted(result.classes, 'class', 'classes')}, {counted(result.students, 'student')}, "
        f"{counted(result.files, 'file')} in {result.out}"
    )
    console.print(
        escape(shlex.join(["open", str(result.index.resolve())])), soft_wrap=True, highlight=False
    )
    for text in result.roster_warnings:  # the roster's lines and counts, no served id
        warn(text)
