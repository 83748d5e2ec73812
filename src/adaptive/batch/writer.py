"""Partitioned Parquet output, written atomically, idempotently and resumably.

Layout: `OUT/<table>/date=YYYY-MM-DD/school=<id>/part-0.parquet`. Each file is written to a temp
file in its folder and renamed, so a partition is complete or absent. `_inputs.json` in the date
folder records the fingerprint of everything the run read: a re-run with the same fingerprint
keeps the partitions already written (resume after a crash) and recomputes the rest; a different
fingerprint (new model, new data) clears the date first, so no stale partition survives.
`_SUCCESS.json` lists every partition with its row count and sha256 once the date is complete.
Both markers are sealed JSON (`adaptive.files.sealed_json`: a sha256 of their own content), so an
altered marker is detected: an `_inputs.json` that does not verify is treated as absent (the date
starts clean). Parquet bytes depend only on the table, so a re-run writes byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq

from adaptive.errors import ArtifactError
from adaptive.files import atomic_write_bytes, read_sealed_json, sealed_json
from adaptive.school_year import school_year_start

PART_FILE = "part-0.parquet"
#: A night's folder name is `date=YYYY-MM-DD` (partial and temporary folders add to it).
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The table whose `_SUCCESS.json` marks a complete night (written last).
MARKED_TABLE = "recommendations"
#: The report's index of the nights each student was first served after a baseline night,
#: one file per baseline (`adaptive.reports.site.first_served`), kept in the output folder.
FIRST_SERVED_DIR = "_first_served"


def date_dir(out: Path, table: str, date: str) -> Path:
    return Path(out) / table / f"date={date}"


def first_served_path(out: Path, baseline: str) -> Path:
    """The report's index file of the nights after the baseline night `baseline`."""
    return Path(out) / FIRST_SERVED_DIR / f"baseline={baseline}.parquet"


def complete_dates(out: Path) -> list[str]:
    """The complete nights of a batch output folder (a `_SUCCESS.json`), as sorted YYYY-MM-DD
    (a partial or temporary folder is none)."""
    markers = (Path(out) / MARKED_TABLE).glob("date=*/_SUCCESS.json")
    return sorted(
        d for d in (p.parent.name.removeprefix("date=") for p in markers) if ISO_DAY.fullmatch(d)
    )


def complete_nights_hint(out: Path, date: str, options: str = "", shown: int = 5) -> str:
    """What to do about a date the batch folder lacks, naming its complete nights nearest the
    date (the one before and after it first: a date typed a day off, or one between two nights,
    is then plain to see) or saying it has none (another folder?), and the command that serves
    it (`options` added; `--backfill` where the date is before the folder's last night, which
    the job refuses without it; none where the date is in a school year before the folder's
    first night's, whose nights belong in a folder of their own): what `adaptive report` and
    `experiment analyze` say after their error."""
    nights = complete_dates(out)
    backfill = " --backfill" if nights and date < nights[-1] else ""
    command = f"`adaptive batch --date {date} --out {out}{options}{backfill}`"
    if not nights:
        return (
            f"the folder holds no complete night (is it the one `adaptive batch --out` wrote?): "
            f"run {command} first"
        )
    nearest = _nearest_nights(nights, date, shown)
    listed = ", ".join(nearest)
    if len(nights) > len(nearest):
        listed = f"{listed} (the {len(nearest)} nearest {date}; {len(nights)} in all)"
    year = school_year_start(nights[0])
    if date < year:
        return (
            f"its complete nights: {listed}; {date} is before the school year of its first "
            f"night (it starts {year}): give one of them, or the folder of that earlier year"
        )
    return f"its complete nights: {listed}: give one, or run {command}"


def _nearest_nights(nights: list[str], date: str, shown: int) -> list[str]:
    """The `shown` nights (YYYY-MM-DD, sorted) nearest `date`, in date order; the last ones
    where `date` is no ISO day."""
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        return nights[-shown:]
    return sorted(sorted(nights, key=lambda d: abs(dt.date.fromisoformat(d) - day))[:shown])


def school_dir(school: str) -> str:
    """A school's folder name (the id is percent-encoded: safe as a folder name)."""
    return f"school={quote(school, safe='')}"


def partition_path(out: Path, table: str, date: str, school: str) -> Path:
    """Where one school's file goes."""
    return date_dir(out, table, date) / school_dir(school) / PART_FILE


def parquet_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=True)
    return buf.getvalue()


def write_partition(out: Path, table_name: str, date: str, school: str, table: pa.Table) -> dict:
    """Write one school's file of one table; returns its `_SUCCESS.json` entry."""
    blob = parquet_bytes(table)
    atomic_write_bytes(partition_path(out, table_name, date, school), blob)
    return blob_entry(blob)


def write_school_partitions(
    out: Path, tables: tuple[str, ...], date: str, school: str, results: tuple[pa.Table, ...]
) -> dict[str, dict]:
    """Write one school's file of each table, concurrently (Parquet encoding and each file's
    fsync release the GIL, so the fsyncs overlap instead of queueing: at 100,000 students 800
    files a night spent 6 s waiting on them one by one); returns each file's `_SUCCESS.json`
    entry by its path relative to `out`."""
    with ThreadPoolExecutor(len(tables)) as pool:
        entries = pool.map(
            lambda named: write_partition(out, named[0], date, school, named[1]),
            zip(tables, results, strict=True),
        )
        return {
            str(partition_path(out, name, date, school).relative_to(out)): entry
            for name, entry in zip(tables, entries, strict=True)
        }


def prepare_date(out: Path, tables: tuple[str, ...], date: str, fingerprint: str) -> bool:
    """Get the date's folders ready; True when an earlier run with the same inputs left partitions
    to resume from (they are kept), False when starting clean."""
    marker = date_dir(out, tables[0], date) / "_inputs.json"
    if marker.is_file() and _recorded_fingerprint(marker) == fingerprint:
        return True
    for name in tables:
        folder = date_dir(out, name, date)
        if folder.exists():
            shutil.rmtree(folder)
    atomic_write_bytes(marker, sealed_json({"fingerprint": fingerprint}))
    return False


def _recorded_fingerprint(marker: Path) -> str | None:
    """The fingerprint `_inputs.json` records; None when it does not verify (altered, or written
    by an older version): the date is then recomputed rather than trusted."""
    try:
        return read_sealed_json(marker, str(marker)).get("fingerprint")
    except ArtifactError:
        return None


def discard_unstarted_date(out: Path, tables: tuple[str, ...], date: str) -> None:
    """Remove the date's folders when no partition of it was written (only the `_inputs.json`
    of `prepare_date`): a night that failed before serving any school (a Spark master it could
    not reach) leaves nothing the next night would call an unfinished night. Called under the
    date's lock."""
    if any(any(date_dir(out, name, date).glob(f"*/{PART_FILE}")) for name in tables):
        return
    for name in tables:
        shutil.rmtree(date_dir(out, name, date), ignore_errors=True)


def is_done(out: Path, tables: tuple[str, ...], date: str, school: str) -> bool:
    return all(partition_path(out, name, date, school).is_file() for name in tables)


def file_entry(path: Path) -> dict:
    """A partition's `_SUCCESS.json` entry: its rows and sha256."""
    return blob_entry(Path(path).read_bytes())


def blob_entry(blob: bytes) -> dict:
    """The `_SUCCESS.json` entry of a partition file's bytes: its rows and sha256."""
    return {
        "rows": pq.ParquetFile(io.BytesIO(blob)).metadata.num_rows,
        "sha256": hashlib.sha256(blob).hexdigest(),
    }


def finish_date(
    out: Path, tables: tuple[str, ...], date: str, schools: list[str], extra: dict
) -> Path:
    """Write `_SUCCESS.json` (partitions, rows, sha256) in the first table's date folder."""
    listing = {}
    for name in tables:
        for school in schools:
            path = partition_path(out, name, date, school)
            listing[str(path.relative_to(out))] = file_entry(path)
    return finish_date_listing(out, tables, date, listing, extra)


def finish_date_listing(
    out: Path, tables: tuple[str, ...], date: str, listing: dict, extra: dict
) -> Path:
    """`finish_date` from a listing computed elsewhere (by the Spark executors that wrote the
    files: the driver then reads none of them)."""
    marker = date_dir(out, tables[0], date) / "_SUCCESS.json"
    atomic_write_bytes(marker, sealed_json({**extra, "partitions": listing}))
    record_served(out, date)
    return marker


#: The nights of an output folder in the order they were first served (`record_served`).
SERVED_ORDER = "_served_nights.json"


def record_served(out: Path, date: str) -> None:
    """Add `date` to the folder's nights in serving order, once (a re-run or a resumed night
    keeps its place). A report of a night reads only the nights served before it
    (`served_before`), so a night back-filled later never changes it. Written under the job's
    lock, atomically, sealed."""
    nights = served_order(out) or []
    if date not in nights:
        atomic_write_bytes(Path(out) / SERVED_ORDER, sealed_json({"nights": [*nights, date]}))


def served_order(out: Path) -> list[str] | None:
    """The folder's nights in the order they were first served; None for a folder written
    before the order was recorded."""
    path = Path(out) / SERVED_ORDER
    if not path.is_file():
        return None
    return [str(n) for n in read_sealed_json(path, f"batch output {path}").get("nights", [])]


def served_before(out: Path, date: str, nights: list[str]) -> list[str]:
    """Those of `nights` served before `date` was, in serving order (nights of a folder
    written before the order was recorded first, by date). Without a record of `date`, all of
    `nights` by date."""
    order = served_order(out) or []
    if date not in order:
        return sorted(nights)
    rank = {night: i for i, night in enumerate(order)}
    earlier = [n for n in nights if rank.get(n, -1) < rank[date]]
    return sorted(earlier, key=lambda n: (rank.get(n, -1), n))


def date_listing(out: Path, tables: tuple[str, ...], date: str) -> dict | None:
    """The `_SUCCESS.json` of a date already served in `out` (model, version, partitions), or
    None when the date was never completed there (or its marker cannot be read)."""
    marker = date_dir(out, tables[0], date) / "_SUCCESS.json"
    if not marker.is_file():
        return None
    try:
        return read_sealed_json(marker, f"batch output {marker}")
    except ArtifactError:
        return None
