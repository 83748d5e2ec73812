"""The data layer: response logs, readers with validation, dataset descriptors, splits, privacy.

`load_log("assist2009")` loads a dataset by the name of its descriptor in `datasets/`;
`load_log("my_export.csv", mapping={"student_id": "user"})` loads a user's own file; both return a
validated `ResponseLog`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from adaptive.data.descriptors import list_descriptors, load_descriptor
from adaptive.data.io import LoadReport, read_responses, read_responses_report
from adaptive.data.log import Response, ResponseLog
from adaptive.data.mapping import ColumnMapping
from adaptive.errors import AdaptiveError, DataNoteWarning
from adaptive.paths import SHARED_ENV

__all__ = [
    "LoadReport",
    "Response",
    "ResponseLog",
    "list_descriptors",
    "load_descriptor",
    "load_log",
    "load_log_report",
    "read_responses",
    "read_responses_report",
    "warn_notes",
]


def load_log(
    data: str | Path,
    mapping: dict[str, Any] | None = None,
    quarantine: str | Path | None = None,
    *,
    dataset: str | None = None,
    require_sorted: bool = False,
) -> ResponseLog:
    """A validated `ResponseLog` from a dataset name or a file path.

    Parameters
    ----------
    data : a dataset name with a descriptor (`adaptive/data/datasets/NAME.toml`, see
        `list_descriptors()`), or
        the path of a CSV/TSV/Parquet file (optionally gzipped).
    mapping : overrides of the column mapping, e.g. from `cli.options.column_mapping(...)`.
    quarantine : write rejected rows here and load the rest, instead of raising. The path must
        be a file in an existing folder (checked first). How many rows went there:
        `load_log_report(...)[1].rows_quarantined`.
    dataset : read the file `data` with that dataset's descriptor mapping (its columns/quirks).
    require_sorted : reject a student's rows that are out of time order in the file, instead
        of sorting them (timestamps are sorted stably by default; an integer order column is
        always checked unless the mapping has `allow_unsorted`).
    """
    log, report = load_log_report(
        data, mapping, quarantine, dataset=dataset, require_sorted=require_sorted
    )
    warn_notes(report)
    return log


def warn_notes(report: LoadReport) -> None:
    """Each note of the load report as a `DataNoteWarning` naming the file: a reader that does
    not print the report (train, evaluate, batch, recommend) still tells its user how the file
    was read when it was probably meant another way."""
    for note in report.notes:
        warnings.warn(f"{report.source}: {note}", DataNoteWarning, stacklevel=3)


def load_log_report(
    data: str | Path,
    mapping: dict[str, Any] | None = None,
    quarantine: str | Path | None = None,
    *,
    dataset: str | None = None,
    since: int | None = None,
    require_sorted: bool = False,
) -> tuple[ResponseLog, LoadReport]:
    """`load_log` plus the `LoadReport` (rows read, loaded, quarantined; responses; notes).

    This is how a caller learns how many rows `quarantine` received (`rows_quarantined`).

    `since` (ns since the epoch, UTC): a Parquet log is read from that time on only (rows
    without a time too, so validation reports them); other files are read in full.
    """
    if not isinstance(data, str | Path):
        raise TypeError(
            f"load_log reads a file or a dataset name; got a {type(data).__name__}. A DataFrame "
            "in the canonical columns (student_id, item_id, skill_ids, correct, timestamp or "
            "order) is checked and loaded by ResponseLog.from_frame(frame)"
        )
    if mapping is not None and not isinstance(mapping, Mapping):
        raise TypeError(
            f"mapping: expected a dict {{field: column}} naming your file's columns, e.g. "
            f"{{'student_id': 'user', 'correct': 'ok'}}; got {type(mapping).__name__} "
            f"{mapping!r:.80}"
        )
    path, column_mapping, base_dir = resolve(data, mapping, dataset)
    return read_responses_report(
        path,
        column_mapping,
        quarantine,
        base_dir=base_dir,
        since=since,
        require_sorted=require_sorted,
    )


def resolve(
    data: str | Path, mapping: dict[str, Any] | None = None, dataset: str | None = None
) -> tuple[Path, ColumnMapping, Path | None]:
    """(file path, checked ColumnMapping, base folder for relative files) for `load_log`'s args."""
    is_name = (
        dataset is None
        and isinstance(data, str)
        and "/" not in data
        and "\\" not in data
        and data in list_descriptors()
        and not Path(data).is_file()
    )
    if is_name:
        desc = load_descriptor(data)
        if not desc.path.is_file():
            hint = (
                " (the demo district: write it with `adaptive demo`)"
                if desc.root == "data"
                else f" (the public datasets' folder: set {SHARED_ENV} to the folder holding them)"
            )
            raise AdaptiveError(f"dataset {data!r}: its file {desc.path} does not exist{hint}")
        return desc.path, desc.column_mapping(mapping), desc.base_dir
    if dataset is not None:
        desc = load_descriptor(dataset)
        return Path(data), desc.column_mapping(mapping), desc.base_dir
    if Path(data).is_dir():  # a folder of Parquet parts (a Spark or warehouse export)
        return _parts_folder(Path(data)), ColumnMapping.from_dict(mapping), None
    if not Path(data).is_file():
        known = ", ".join(list_descriptors()) or "none"
        raise AdaptiveError(f"{str(data)!r} is neither a file nor a dataset name (known: {known})")
    return Path(data), ColumnMapping.from_dict(mapping), None


def _parts_folder(folder: Path) -> Path:
    """A folder given as a log: its Parquet parts are the log; a district folder (as `adaptive
    simulate --out` writes it, with other tables beside its log) is one error saying what to
    give, and so is a folder of other files or none (`parquet_parts`)."""
    from adaptive.data.readers import parquet_parts

    if (folder / "responses.parquet").is_file():
        raise AdaptiveError(
            f"{folder} is a district folder (as `adaptive simulate --out` writes it), not a "
            f"response log: give its log, {folder / 'responses.parquet'}, or the folder as "
            "--district where the command takes one"
        )
    parquet_parts(folder)
    return folder
