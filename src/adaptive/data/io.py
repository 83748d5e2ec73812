"""Read a response file into a validated `ResponseLog`, or say exactly what is wrong with it.

`read_responses(path, mapping)` reads CSV, TSV or Parquet (optionally gzipped), checks every row
(see `adaptive.data.validate`) and either raises `DataValidationError` listing every problem
(file, line, column, value, expected) or, with `quarantine=FILE`, writes each rejected row with
its reason to a CSV and loads the rest. Nothing is dropped silently: the report counts rows read,
loaded and quarantined (read = loaded + quarantined), and blank lines skipped.

Row order: with timestamps each student's rows are sorted by time (stably: ties keep file order),
so an unsorted export loses nothing; an integer order column must be in order unless
`allow_unsorted`; `require_sorted` asks for the strict check with timestamps too.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from adaptive.data.log import SKILL_LIST_TYPE, ResponseLog
from adaptive.data.mapping import ColumnMapping
from adaptive.data.readers import (
    CHECKED_LOG_KEY,
    CHECKED_LOG_VALUE,
    LOG_FORMAT,
    LOG_FORMAT_KEY,
    RawTable,
    file_format,
    locate_lines,
    read_header,
    read_raw,
    unread_columns,
)
from adaptive.data.refusals import (
    HEADER_ONLY,
    NO_ROWS_EXPECTED,
    RefusedCells,
    refused_cells_hint,
)
from adaptive.data.times import without_offset
from adaptive.data.validate import (
    Issues,
    QMatrix,
    RefusedProblems,
    RowValues,
    check_sequences,
    check_values,
    group_responses,
    q_matrix_from_edges,
    reject_repeated_rows,
    repeat_notes,
    right_share_notes,
    shadowed_column_notes,
    skill_list_notes,
    skill_row_notes,
    swapped_column_notes,
    tie_notes,
    time_notes,
    unused_time_notes,
)
from adaptive.dates import wall_times_as_utc
from adaptive.errors import AdaptiveError, ConfigError, DataValidationError, Problem
from adaptive.files import atomic_path, output_file

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadReport:
    """What happened to every row of a file (counts only: no student identifiers).

    `rows_quarantined` is what a command prints after `--quarantine`; `notes` are hints about
    how the file was read (e.g. integers that look like epoch times were read as an order).
    """

    source: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    responses: int
    blank_lines: int
    problems: int
    quarantine: str | None
    ignored_columns: tuple[str, ...]
    notes: tuple[str, ...] = ()
    #: rows of a Parquet log left out as dated before `since` (0: the file was read whole)
    rows_skipped: int = 0
    #: its times of day carry no UTC offset and were read as UTC (`times.without_offset`)
    naive_times: bool = False
    #: a checked log an older `validate --out` wrote: its zoned times may be local times
    #: written as UTC instants (`readers.zones_unknown`)
    zones_unknown: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_responses(
    path: str | Path,
    mapping: dict[str, Any] | ColumnMapping | None = None,
    quarantine: str | Path | None = None,
    base_dir: str | Path | None = None,
    *,
    require_sorted: bool = False,
) -> ResponseLog:
    """Read and validate a response file (CSV/TSV/Parquet, optionally `.gz`) into a `ResponseLog`.

    Parameters
    ----------
    path : the file.
    mapping : column names and quirks (see `adaptive.data.mapping`); default: canonical names.
    quarantine : if given, rejected rows go to this CSV (with a `reason` column) and the rest is
        loaded; otherwise any problem raises `DataValidationError` listing them all.
    base_dir : folder that relative paths inside the mapping (a Q-matrix file) are relative to;
        default: the file's folder.
    require_sorted : reject rows out of time order within a student even with timestamps
        (otherwise they are sorted); the same as the mapping key `require_sorted`.
    """
    log, _ = read_responses_report(
        path, mapping, quarantine, base_dir, require_sorted=require_sorted
    )
    return log


def read_responses_report(
    path: str | Path,
    mapping: dict[str, Any] | ColumnMapping | None = None,
    quarantine: str | Path | None = None,
    base_dir: str | Path | None = None,
    *,
    since: int | None = None,
    require_sorted: bool = False,
) -> tuple[ResponseLog, LoadReport]:
    """`read_responses` plus the `LoadReport` counts (what `adaptive validate` prints).

    `since` (ns since the epoch, UTC) lets a Parquet reader skip the rows before it (see
    `readers.read_raw`); the counts then cover only the rows read.
    """
    mapping = _with_require_sorted(mapping, require_sorted)
    path = Path(path)
    if quarantine is not None:
        quarantine = check_quarantine_path(quarantine, {"the file being read": path})
    raw = read_raw(path, mapping, since=since)
    q_matrix = _load_q_matrix(mapping, Path(base_dir) if base_dir else path.parent)
    issues = Issues(
        raw.source,
        raw.lines,
        parts=raw.parts,
        line_of=raw.physical_lines,
        unit="row" if raw.is_parquet else "line",
    )
    values = check_values(raw, mapping, q_matrix, issues)
    n = raw.table.num_rows
    time_label = raw.time_column or "order"
    reject_repeated_rows(values, ~issues.rejected(n), time_label, issues)
    check_order, hint = _order_rule(mapping, values.time_kind, raw.time_column)
    responses = group_responses(
        values, ~issues.rejected(n), mapping.merge_skill_rows, by_time=not check_order
    )
    rejected_resp = check_sequences(
        values, responses, time_label, check_order, issues, hint, mapping.merge_skill_rows
    )

    n_problems = len(issues) + len(raw.unparsed) + len(raw.header_lines)
    rejected_rows = issues.rejected(n)
    refused = _refused(issues, raw) if n_problems else None
    scores = refused is not None and _reads_as_scores(refused[3], values.correct)
    if quarantine is not None and not scores:
        _write_quarantine(Path(quarantine), raw, issues)
    every_row = n_problems > 0 and bool(rejected_rows.all())
    if refused is not None and (quarantine is None or every_row or scores):
        _refuse(refused, raw, every_row, quarantine)
    keep = ~rejected_resp
    frame = _canonical_frame(values, responses, keep)
    log = ResponseLog.from_canonical(frame, source=raw.source)
    used = {
        *mapping.student_id,
        mapping.item_id,
        mapping.correct,
        raw.time_column,
        *raw.optional.values(),
    }
    if mapping.skills_from is None:
        used.add(mapping.skill_ids)
    report = LoadReport(
        source=raw.source,
        rows_read=raw.rows_read,
        rows_loaded=int(n - rejected_rows.sum()),
        rows_quarantined=int(rejected_rows.sum()) + len(raw.unparsed) + len(raw.header_lines),
        responses=len(log),
        blank_lines=raw.blank_lines,
        problems=n_problems,
        quarantine=None if quarantine is None else str(quarantine),
        ignored_columns=tuple(c for c in raw.header if c not in used),
        rows_skipped=raw.rows_skipped,
        zones_unknown=raw.zones_unknown,
        naive_times=values.time_kind == "timestamp"
        and values.time_cells is not None
        and without_offset(values.time_cells, mapping.time_format),
        notes=(
            *unused_time_notes(
                raw.time_column,
                [c for c in raw.header if c not in used],
                file_order=mapping.time_kind == "file",
            ),
            *shadowed_column_notes(raw, mapping, used),
            *time_notes(values, raw.time_column, mapping, ~rejected_rows),
            *skill_list_notes(raw, values, mapping),
            *right_share_notes(raw, log.correct, ~rejected_rows, mapping),
            # swapped columns also repeat an 'item' row by row: that hint would mislead
            *(swapped_column_notes(log, mapping) or skill_row_notes(log, mapping)),
            *tie_notes(log.student, log.time, raw.time_column if log.has_timestamps else None),
            *repeat_notes(log, raw.time_column),
        ),
    )
    logger.info(
        "read %s: %d rows, %d loaded, %d quarantined, %d responses",
        raw.source,
        report.rows_read,
        report.rows_loaded,
        report.rows_quarantined,
        report.responses,
    )
    return log, report


def refuse_header_only(log: ResponseLog) -> None:
    """One error naming the file where a command needs answers (`validate`, `train`,
    `evaluate`) and the log holds none: a file of a header and no rows (an export of the
    wrong term, a filter left on), as an empty file is refused. A night reads such a log on
    its first night only, before any answer (served from placement: `warn_placement_alone`)."""
    if len(log) == 0:
        raise DataValidationError(
            [
                Problem(
                    log.source,
                    None,
                    None,
                    HEADER_ONLY,
                    f"{NO_ROWS_EXPECTED}: nothing to check, train or evaluate a model on",
                )
            ]
        )


def _refuse(
    refused: tuple[RefusedProblems, int, int, RefusedCells],
    raw: RawTable,
    every_row: bool,
    quarantine: str | Path | None,
) -> NoReturn:
    """Raise the `DataValidationError` listing the log's problems (`refused`, from `_refused`):
    without a quarantine for any; with one where `every_row` was refused (nothing would be
    left to load: an empty log, which every command then failed on as "0 students", is no
    reading of the file) or where answers hold scores (a column of scores read as 0 / 1). The
    hint says how to load the other rows, or, every row refused, the commonest problem and
    that the file is read otherwise than it is written (`every_row_hint`), or that it holds
    a header and no rows where each repeats the header (`header_only_hint`).

    The problems are in line order, the rows the reader could not split and those repeating
    the header among the cells' (`_refused`); only the first `DataValidationError.MAX_LISTED`
    are `Problem`s: the error counts the others, by kind, from the issues' columns."""
    listed, total, kinds, cells = refused
    aside = None if quarantine is None else Path(quarantine)
    hint = refused_cells_hint(cells, raw.rows_read, every_row, aside)
    raise DataValidationError(listed, total=total, hint=hint, kinds=kinds)


#: The share of a log's rows (and the fewest rows) whose refused answers hold scores other than
#: 0 and 1 for its column to read as scores, not as stray bad rows (`_reads_as_scores`).
POINTS_SHARE = 0.05
POINTS_MIN_ROWS = 20


def _reads_as_scores(cells: RefusedCells, correct: np.ndarray) -> bool:
    """Whether a log's answer column reads as scores, refused with a quarantine too: its
    refused cells holding a score other than 0 and 1 outnumber its answers read as 1 (`correct`,
    every row's). Such a column is read otherwise than it is written, not bad rows: a trial's
    percent scores (0 to 100) went to the quarantine but for the 0s, which loaded as a log of
    wrong answers. So is a column of points (0 to 3) whose scores are `POINTS_SHARE` of the
    rows or more (at least `POINTS_MIN_ROWS`): a quarantine set aside a trial's every 2- and
    3-point answer. A 0 / 1 column's stray 2 (right answers are many) is a bad row to set aside."""
    many = max(POINTS_MIN_ROWS, POINTS_SHARE * len(correct))
    return cells.scores > np.count_nonzero(correct == 1) or cells.scores >= many


def _refused(issues: Issues, raw: RawTable) -> tuple[RefusedProblems, int, int, RefusedCells]:
    """(the problems of the log in line order, how many, how many kinds (file, column,
    expected) they are of, their cells tallied): the refused cells' (`issues`, as columns),
    the unsplit rows' and the header lines' problems, ordered as one list of them sorted
    (stably) by line, without a `Problem` per refused row (`RefusedProblems` builds those read)."""
    found = issues.cells()
    others = raw.unparsed + raw.header_problems()
    issue_kinds, issue_codes = found.kinds()
    known = {kind: code for code, kind in enumerate(issue_kinds)}
    other_codes = [known.setdefault((p.column, p.expected), len(known)) for p in others]
    lines = np.concatenate([found.line, np.array([p.line or 0 for p in others], np.int64)])
    order = np.argsort(lines, kind="stable")
    codes = np.concatenate([issue_codes, np.array(other_codes, np.int64)])[order]
    values = np.concatenate([found.values(), np.array([p.value for p in others], object)])
    cells = RefusedCells()
    cells.add_cells(list(known), codes, values[order])
    listed = RefusedProblems(found, others, order)
    names, files = list(known), [part for part, _ in raw.parts] or [raw.source]
    width = max(len(names), 1)  # (part, kind) of each refused cell as one number
    pairs = np.unique(found.part * width + issue_codes).tolist()
    kinds = {(files[pair // width], *names[pair % width]) for pair in pairs}
    kinds |= {(p.file, p.column, p.expected) for p in others}
    return listed, len(order), len(kinds), cells


def _with_require_sorted(
    mapping: dict[str, Any] | ColumnMapping | None, require_sorted: bool
) -> ColumnMapping:
    """The checked mapping, with `require_sorted` set when the caller asked for it."""
    if not isinstance(mapping, ColumnMapping):
        mapping = ColumnMapping.from_dict(mapping)
    if not require_sorted or mapping.require_sorted:
        return mapping
    if mapping.allow_unsorted:
        raise ConfigError("require_sorted and allow_unsorted contradict each other; give one")
    return dataclasses.replace(mapping, require_sorted=True)


def _order_rule(
    mapping: ColumnMapping, time_kind: str, time_column: str | None
) -> tuple[bool, str]:
    """(check that each student's rows are in order in the file?, why / how to lift it).

    Timestamps are sorted (stably), so their file order does not matter unless the caller
    asked for `require_sorted`. An integer order column is the only record of the order: a
    student's rows out of order there are an error unless `allow_unsorted` (sort by it).
    File order (no time column) is in order by definition.
    """
    if mapping.require_sorted:
        return True, "require_sorted: rows of a student in time order in the file"
    if time_column is not None and time_kind == "order" and not mapping.allow_unsorted:
        return True, (
            "rows of a student in the order of this integer column; --allow-unsorted "
            "(allow_unsorted) sorts them by it; epoch times: --time-unit s|ms|us|ns"
        )
    return False, ""


#: A command's other paths, by what names them ("--catalog", "catalog="), for
#: `check_quarantine_path`: files and folders it reads (or writes), None where not given.
OtherPaths = Mapping[str, str | os.PathLike | None]


def check_quarantine_path(
    path: str | Path,
    others: OtherPaths | None = None,
    *,
    name: str = "quarantine path",
    folder_why: Mapping[str, str] | None = None,
) -> Path:
    """The quarantine CSV's path (`name`: its option), checked before any work: a file path in
    an existing folder (a regular file or a new one, not a device or a pipe), and none of the
    command's `others` nor inside one of them that is a folder (the file being read, the
    catalog, the profiles, the district folder, the night's output, the other quarantine):
    writing the rejected rows there would overwrite an input (a district's response history
    once became a 26-line CSV) or mix two outputs in one file.

    `folder_why`: why a path inside a folder the caller names may not be written
    (`FOLDER_WHY` by default; a night says its own, `NIGHT_FOLDER_WHY`).

    Raises `AdaptiveError` (exit code 2 on the command line) naming the path and the fix.
    """
    path = Path(path)
    check_not_an_input(path, others or {}, name, folder_why=folder_why)
    if path.is_dir():
        raise AdaptiveError(
            f"{name} {path} is a directory; give a file path for the rejected rows, "
            f"e.g. {path / 'rejected.csv'}"
        )
    parent = path.parent
    if not parent.is_dir():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise AdaptiveError(
            f"{name} {path}: its folder {parent} {what}; create it or give another path"
        )
    if not os.access(parent, os.W_OK):
        raise AdaptiveError(f"{name} {path}: its folder {parent} is not writable")
    output_file(path)  # a device or a pipe is refused too, not replaced by the CSV
    return path


def check_not_an_input(
    path: Path,
    others: OtherPaths,
    name: str,
    writes: str = "the rejected rows",
    folder_why: Mapping[str, str] | None = None,
) -> None:
    """One `AdaptiveError` where the output `path` (`name`: its option) resolves to one of the
    command's `others` (by option) or to a path inside one that is a folder (links followed, as
    the write would follow them): what it `writes` would overwrite an input. A path inside
    folders names the outermost (outside it is outside them all; the same whatever the
    options' order), says why, in the caller's words (`folder_why`, by the option's bare name;
    else `FOLDER_WHY`), and suggests a path outside it that is none of the `others`."""
    target = Path(path).resolve()
    given = {what: Path(other).resolve() for what, other in others.items() if other is not None}
    for what, other in given.items():
        if target == other:
            raise AdaptiveError(
                f"{name} {path} is the same file as {what} ({other}): {writes} would "
                "overwrite it; give another path for them"
            )
    holding = [(len(o.parts), w, o) for w, o in given.items() if _inside(target, o)]
    if holding:
        _, what, other = min(holding)
        why = (folder_why or FOLDER_WHY).get(what.strip("-="), "a folder this command uses")
        beside = _beside(other, Path(path).name, list(given.values()))
        raise AdaptiveError(
            f"{name} {path} is inside {what} ({other}), {why}; give a path outside it for "
            f"{writes}" + (f", e.g. {beside}" if beside is not None else "")
        )


def _inside(target: Path, other: Path) -> bool:
    """Whether the resolved `target` is inside `other`, a folder (resolved too)."""
    return other.is_dir() and target.is_relative_to(other)


def _beside(folder: Path, name: str, taken: Sequence[Path]) -> Path | None:
    """A path for an output beside `folder` named `name`, or "rejected-<name>" (then numbered)
    where that is one of the command's `taken` paths or inside one, a folder further up where
    none beside it is free: the suggestion is never an input, nor a folder
    (not `f/rejected.csv` when --placement is `f/rejected.csv`; `rej.csv` beside `dist`,
    not inside it, when --district is `dist`). None where no folder up to the root has one."""

    def free(candidate: Path) -> bool:
        target = candidate.resolve()
        return not target.is_dir() and not any(target == o or _inside(target, o) for o in taken)

    names = [name, f"rejected-{name}", *(f"rejected-{n}-{name}" for n in range(2, 100))]
    for up in folder.parents:
        found = next((up / n for n in names if free(up / n)), None)
        if found is not None:
            return found
    return None


#: Why an output may not be inside a folder an option names, by the option's bare name
#: ("out" for --out and out=), where "a folder this command uses" does not say it: an output
#: folder is no input, but whatever reads the outputs takes each file there for one. True of
#: every command's --out (`evaluate`'s metrics, `train`'s, a night's).
FOLDER_WHY = {
    "out": (
        "the folder of this command's outputs, where whatever reads them would take the "
        "rejected rows for one"
    ),
}
#: A night's (`run_daily_job`'s) own words for its out= folder: its partitions are replaced
#: there whole (a re-run, `adaptive drop`), which could delete the rejected rows too.
NIGHT_FOLDER_WHY = {
    "out": (
        "the folder of the night's outputs: they are replaced there whole (a night's re-run, "
        "`adaptive drop`), which could delete the rejected rows, and whatever reads the outputs "
        "would take them for one"
    ),
}


def check_quarantines(
    quarantines: OtherPaths, others: OtherPaths, folder_why: Mapping[str, str] | None = None
) -> None:
    """Each quarantine path given (by its option: "--quarantine", "placement_quarantine=")
    checked by `check_quarantine_path` against the command's `others` and the other
    quarantines: two quarantines in one file would keep only the rows written last.
    `folder_why`: the caller's words for its folders (`check_not_an_input`)."""
    for name, path in quarantines.items():
        if path is not None:
            rest = {n: q for n, q in quarantines.items() if n != name}
            check_quarantine_path(path, {**others, **rest}, name=name, folder_why=folder_why)


def _load_q_matrix(mapping: ColumnMapping, base_dir: Path) -> QMatrix | None:
    spec = mapping.skills_from
    if spec is None:
        return None
    qpath = Path(spec.file)
    if not qpath.is_absolute():
        qpath = base_dir / qpath
    if not qpath.is_file():
        raise DataValidationError(
            [Problem(str(qpath), None, None, None, "a Q-matrix edge list file")]
        )
    kind, compression = file_format(qpath)
    _, sep = read_header(qpath, compression, None, kind)
    table = pd.read_csv(qpath, dtype=str, keep_default_na=False, sep=sep)
    missing = [c for c in (spec.item, spec.skill) if c not in table.columns]
    if missing:
        raise DataValidationError(
            [Problem(str(qpath), 1, c, None, f"a column '{c}' in the Q-matrix") for c in missing]
        )
    return q_matrix_from_edges(table, spec.item, spec.skill)


def _canonical_frame(values: RowValues, resp, keep: np.ndarray) -> pd.DataFrame:
    """The accepted responses as a frame in the canonical schema."""
    rows = resp.first_row[keep]
    take = pa.array(rows)
    skills = resp.skill_ids.filter(pa.array(keep)) if not keep.all() else resp.skill_ids
    frame = pd.DataFrame(
        {
            "student_id": _str_series(values.student_id.take(take)),
            "item_id": _str_series(values.item_id.take(take)),
            "skill_ids": pd.Series(
                skills.cast(SKILL_LIST_TYPE), dtype=pd.ArrowDtype(SKILL_LIST_TYPE)
            ),
            "correct": values.correct[rows].astype(np.int8),
        }
    )
    if values.time_kind == "timestamp":
        frame["timestamp"] = pd.to_datetime(values.time[rows], unit="ns", utc=True)
    else:
        frame["order"] = values.time[rows]
    for key, arr in values.optional.items():
        if isinstance(arr, np.ndarray):
            col = pd.Series(arr[rows])
            frame[key] = col.astype("Int64") if key == "attempt" else col
        else:
            col = _str_series(arr.take(take))
            frame[key] = col.mask(col == "")
    return frame


def _str_series(arr: pa.Array) -> pd.Series:
    """Arrow strings as a pandas `str` Series without a round trip through Python objects."""
    return pd.Series(arr.to_pandas(), dtype=str)


def _write_quarantine(path: Path, raw: RawTable, issues: Issues) -> None:
    """Every rejected row (line, reason, its cells as read) to a CSV, written atomically; from a
    folder of Parquet parts, each row's part too (`file`, inside the folder), its line that
    part's own. The rows refused for their cells are written from columns (`_row_reasons`,
    `_cells_text`: no Python object per row), those the reader could not split and the lines
    repeating the header after them (`_add_whole_row`), then all put in line order."""
    rows, reasons = _row_reasons(issues)
    cells = raw.table.take(pa.array(rows)) if len(rows) else raw.table.slice(0, 0)
    part, lines = locate_lines(raw.parts, raw.physical_lines(raw.lines[rows]))
    columns: dict[str, pa.Array] = {}
    if raw.parts:  # each part by its path inside the folder (`day=2/part-0.parquet`)
        files = [str(Path(f).relative_to(raw.source)) for f, _ in raw.parts]
        columns["file"] = pa.array(files, pa.string()).take(pa.array(part))
    columns["line"] = pa.array(lines, pa.int64())
    columns["reason"] = reasons
    # every column of the file, in its own order (the reader keeps those it reads in the
    # mapping's order; the others are read again for these rows: each set-aside row whole)
    others = unread_columns(raw, raw.lines[rows])
    if len(raw.header_lines):  # a line repeating the header holds every column: their names
        read = set(cells.column_names)
        others = {c: others.get(c, [None] * len(rows)) for c in raw.header if c not in read}
    position = {c: i for i, c in enumerate(raw.header)}
    names = sorted([*cells.column_names, *others], key=lambda c: position.get(c, len(position)))
    for name in names:
        read = name not in others
        columns[name] = (
            _cells_text(cells.column(name)) if read else pa.array(others[name], pa.string())
        )
    columns["raw_text"] = pa.nulls(len(rows), pa.string())
    whole: dict[str, list] = {name: [] for name in columns}  # the rows with no cells read
    for problem, text in zip(raw.unparsed, raw.unparsed_text, strict=True):  # CSV only
        _add_whole_row(whole, problem, dict.fromkeys(names), text)
    for problem in raw.header_problems():  # its cells are the header's names: every column
        _add_whole_row(whole, problem, {name: name for name in names}, _header_text(raw))
    if whole["line"]:  # (a copy of every column: none without such rows)
        columns = {k: pa.concat_arrays([v, pa.array(whole[k], v.type)]) for k, v in columns.items()}
    table = pa.table(columns)
    written = table["line"].to_numpy()
    if not raw.parts and (np.diff(written) < 0).any():  # rows with no cells among the others
        table = table.take(pa.array(np.argsort(written, kind="stable")))
    write_quarantine_csv(path, dict(zip(table.column_names, table.columns, strict=True)))


def _add_whole_row(
    columns: dict[str, list], problem: Problem, cells: dict[str, str | None], text: str
) -> None:
    """A quarantine's row for a line with no cells read (one the reader could not split, one
    repeating the header): its line, reason, `cells` (by column) and text."""
    columns["line"].append(problem.line)
    columns["reason"].append(quarantine_reason(problem))
    for name, value in cells.items():
        columns[name].append(value)
    columns["raw_text"].append(text)


def _row_reasons(issues: Issues) -> tuple[np.ndarray, pa.Array]:
    """(the refused rows, in row order; each one's reasons, `quarantine_reason`'s words in
    line order joined by '; '): each entry's distinct reasons worded once (`_entry_reasons`),
    taken and joined by Arrow, so that 2,000,000 rows refused for one column build no object
    each."""
    found = issues.cells()
    codes: list[np.ndarray] = []
    words: list[str] = []
    for entry in issues.entries:
        code, said = _entry_reasons(*entry)
        codes.append(code + len(words))
        words += said
    order = np.argsort(found.rows, kind="stable")
    said = pa.array(words, pa.string()).take(pa.array(found.per_issue(codes)[order], pa.int64()))
    rows, starts = np.unique(found.rows[order], return_index=True)
    if len(rows) == len(order):  # one reason each (the usual): nothing to join
        return rows.astype(np.int64), said
    offsets = pa.array(np.append(starts, len(order)), pa.int32())
    return rows.astype(np.int64), pc.binary_join(pa.ListArray.from_arrays(offsets, said), "; ")


def _entry_reasons(
    column: str | None, values: Sequence, expected: str | list[str]
) -> tuple[np.ndarray, list[str]]:
    """(each row's index among the distinct reasons, those reasons) of one `Issues` entry:
    `quarantine_reason` worded once for each distinct (value, expected). An entry's values are
    of one kind (the texts as read, or the reader's escaped text of one cell), so equal values
    read alike."""
    value_code, value_names = _factorized(values)
    shared = isinstance(expected, str)
    expected_code, expected_names = (
        (np.zeros(len(values), np.int64), [expected]) if shared else _factorized(expected)
    )
    pairs = value_code * len(expected_names) + expected_code
    _, first, inverse = np.unique(pairs, return_index=True, return_inverse=True)
    words = [
        quarantine_reason(
            Problem("", None, column, value_names[value_code[i]], expected_names[expected_code[i]])
        )
        for i in first.tolist()
    ]
    return inverse.reshape(-1).astype(np.int64), words


def _factorized(values: Sequence) -> tuple[np.ndarray, list]:
    """(each value's index among the distinct ones, the distinct ones), None among them."""
    code, names = pd.factorize(np.asarray(values, dtype=object))
    return np.where(code < 0, len(names), code), [*names, None]


def _cells_text(cells: pa.ChunkedArray) -> pa.Array:
    """A quarantine's cells of one column as text, each as `str` writes the value read (a
    missing one empty): text as it is; other types' distinct values worded once. Not a
    problem's quoting (`validate._shown_cells`, `_show`'s "[a, b]"): a quarantine keeps the
    row's values as the file's readers write them back, a list as Python prints it."""
    cells = cells.combine_chunks()
    if pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type):
        return cells.cast(pa.string())
    try:
        encoded = cells.dictionary_encode()
    except pa.ArrowNotImplementedError:  # a type Arrow does not encode (a list of skills)
        return pa.array([None if v is None else str(v) for v in cells.to_pylist()], pa.string())
    words = [None if v is None else str(v) for v in encoded.dictionary.to_pylist()]
    return pa.array(words, pa.string()).take(encoded.indices)


def _header_text(raw: RawTable) -> str:
    """A CSV's header as a quarantine's raw_text gives a line that repeats it: its fields
    joined by the file's separator as a CSV writer quotes them (a header written with other
    quotes reads otherwise than the file's line)."""
    text = io.StringIO()
    sep = raw.csv_format[0] if raw.csv_format is not None else ","
    csv.writer(text, delimiter=sep, lineterminator="").writerow(raw.header)
    return text.getvalue()


def quarantined_rows(path: str | Path) -> int:
    """How many rows a quarantine file holds (one per rejected row, whichever reader wrote it:
    the log's or the placement table's); 0 where none was written."""
    if not Path(path).is_file():
        return 0
    return len(pd.read_csv(path, usecols=["line"]))


def write_quarantine_csv(path: Path, columns: dict[str, list | pa.Array | pa.ChunkedArray]) -> None:
    """A quarantine file written atomically: `columns` in order ([file,] line, reason, the
    row's cells as read, raw_text), `line` as whole numbers and every other column as text;
    each a list, or Arrow's column (a placement table's millions of blank rows are never
    Python objects). The log's and the placement table's (`placement.table.RowDrops`) are one
    format, and raw_text means one thing in both: a CSV row's text, for what its cells do not
    give back; empty for a Parquet row (its cells are the row). Which rows need it differs:
    the log's cells hold every column it reads, so its raw_text is set only for rows the
    reader could not split into fields (too few or too many: no cells) and for lines that
    repeat the header (`readers.repeats_header`); a placement table's
    cells are its three or four roles, so raw_text is set for every CSV row it sets aside,
    keeping its other columns (a name, a date). That text is the row's fields joined by the
    file's separator and quoted as a CSV writer quotes them (`placement.table.row_texts`): it
    reads back as the same fields, though a field the file quoted without need (`"0.8"`)
    comes back unquoted."""
    table = {}
    for name, values in columns.items():
        kind = pa.int64() if name == "line" else pa.string()
        arrow = isinstance(values, pa.Array | pa.ChunkedArray)
        table[name] = values.cast(kind) if arrow else pa.array(values, kind)
    atomic_write_csv(pa.table(table), path)


def quarantine_reason(problem: Problem) -> str:
    """A quarantined row's reason: the problem that set it aside, without its file and line."""
    where = f"column '{problem.column}'" if problem.column else "row"
    got = "" if problem.value is None else f": got {problem.value!r}"
    return f"{where}{got}; expected {problem.expected}"


def atomic_write_csv(table: pa.Table, path: Path) -> None:
    """Write a CSV to a temporary file beside `path`, then rename it over `path`."""
    with atomic_path(path) as tmp:
        pacsv.write_csv(table, tmp)


def write_log(log: ResponseLog, path: str | Path, *, naive_times: bool = False) -> Path:
    """Write a checked log as a Parquet file in the canonical columns (student_id, item_id,
    skill_ids as a list, correct, timestamp or order), atomically: what `load_log` reads
    with no mapping, and the Spark engine's input. Returns the path.

    `naive_times`: its times carried no UTC offset and were read as UTC
    (`LoadReport.naive_times`). They are written as a Parquet timestamp without a zone, as
    the file had them, so every later reader knows they are wall-clock times (a night's
    `--timezone` check on either engine, pandas, Spark): written as UTC instants, a night cut
    at midnight in New York took them as such without a word, where the CSV was warned of.
    `local_times_as_utc` first makes them instants."""
    path = Path(path)
    if path.suffix != ".parquet":
        raise ConfigError(f"{path}: a log is written as Parquet; give a path ending in .parquet")
    columns = ["student_id", "item_id", "skill_ids", "correct", log.time_column]
    table = pa.Table.from_pandas(log.frame[columns], preserve_index=False)
    if naive_times and log.has_timestamps:  # the same values, without the zone
        at = table.schema.get_field_index("timestamp")
        table = table.set_column(at, "timestamp", table.column(at).cast(pa.timestamp("ns")))
    # No pandas metadata: it would name the Arrow list dtype of `skill_ids`, which plain
    # `pandas.read_parquet` cannot rebuild; the Arrow types alone read back the same columns
    # (here and in pandas, Spark or DuckDB). The mark of a checked log stays for older readers;
    # the format says its zoned times are instants (`readers.LOG_FORMAT_KEY`).
    table = table.replace_schema_metadata(
        {CHECKED_LOG_KEY: CHECKED_LOG_VALUE, LOG_FORMAT_KEY: LOG_FORMAT}
    )
    with atomic_path(path) as tmp:  # microseconds, as Spark reads them (not nanoseconds)
        pq.write_table(table, tmp, compression="zstd", coerce_timestamps="us")
    return path


def local_times_as_utc(log: ResponseLog, timezone: str) -> ResponseLog:
    """`log` with its times, written without an offset and read as UTC, read instead as
    wall-clock times in `timezone` (`dates.wall_times_as_utc`): the instants a night cut at
    midnight there takes right. The order of each student's answers is kept."""
    instants = pd.to_datetime(wall_times_as_utc(log.time, timezone), utc=True)
    return dataclasses.replace(log, frame=log.frame.assign(timestamp=instants))
