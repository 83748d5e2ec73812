"""Stream the needed columns of a CSV/TSV (optionally gzipped) or Parquet file into Arrow.

Only the columns the mapping uses are converted. CSV text columns are read as raw bytes and
decoded batch by batch, so a cell that is not UTF-8 is reported with its line instead of
aborting the whole read. Every kept row carries the line an editor shows for it (the header is
line 1; for Parquet, the 1-based row number), and rows with too few or too many fields are
reported with their line and skipped. Values are checked later (`adaptive.data.validate`).

A file that cannot be read to its end (a truncated `.gz`, a corrupt Parquet file) or a Parquet
column whose type cannot hold its field (`correct` as a list, a list of times) is one
`DataValidationError` naming the file and column, never a traceback.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import io
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from adaptive.data.mapping import OPTIONAL_FIELDS, ColumnMapping
from adaptive.errors import (
    DataValidationError,
    EscapedText,
    Problem,
    closest_name,
    column_names,
    counted,
)

CSV_BLOCK_BYTES = 4 << 20
PARQUET_BATCH_ROWS = 1 << 18
#: Read buffer of `streamed_parquet` (bytes).
PARQUET_READ_BUFFER = 1 << 20


def streamed_parquet(path: str | Path) -> pq.ParquetFile:
    """A Parquet file opened for a pass batch by batch: each column chunk is read through a
    small buffer as its pages are decoded, instead of pyarrow's default of fetching a whole
    row group's chunks first (`pre_buffer`). A district log is written in row groups of a
    million rows: one pass over 20 million responses (ids, skills, time) peaked at 0.33 GB that
    way, 0.18 GB this way, and took 1.1 s instead of 1.6 s."""
    return pq.ParquetFile(str(path), pre_buffer=False, buffer_size=PARQUET_READ_BUFFER)


#: Time columns read without a mapping, in this order (`time` is the mapping's own key name).
TIME_DEFAULTS = ("timestamp", "time", "order")


@dataclass
class CellProblem:
    """A problem in one cell of a kept row (by row position in `RawTable.table`)."""

    row: int
    column: str
    value: str
    expected: str


#: Parquet metadata of a log written by `adaptive.data.io.write_log` after it was checked. No
#: longer read (a date-only log's repeats are never judged by their lines now); still written,
#: since older versions of the library judged them unless the mark was there.
CHECKED_LOG_KEY, CHECKED_LOG_VALUE = b"adaptive.log", b"checked"
#: Parquet metadata of the format of a log `write_log` wrote: from format 2 on, times written
#: without a UTC offset are kept without a zone, so a zoned time is an instant. A checked log
#: without it was written by an older version, which wrote them as UTC instants like any
#: other: whether its zoned times are UTC or local times cannot be known (`zones_unknown`).
LOG_FORMAT_KEY, LOG_FORMAT = b"adaptive.log.format", b"2"


def zones_unknown(metadata: Mapping[bytes, bytes] | None, time_type: pa.DataType | None) -> bool:
    """Whether a Parquet log's zoned times may be local times written as UTC instants: a log
    an older `validate --out` wrote (`CHECKED_LOG_KEY` without `LOG_FORMAT_KEY`) whose time
    column is a timestamp with a zone. A file of other origin is taken at its type's word."""
    meta = metadata or {}
    zoned = time_type is not None and pa.types.is_timestamp(time_type) and time_type.tz is not None
    return zoned and meta.get(CHECKED_LOG_KEY) == CHECKED_LOG_VALUE and LOG_FORMAT_KEY not in meta


@dataclass
class RawTable:
    """The needed source columns of a file, one Arrow column each, with each row's line."""

    source: str
    is_parquet: bool
    header: list[str]
    table: pa.Table
    lines: np.ndarray
    time_column: str | None
    optional: dict[str, str]
    unparsed: list[Problem] = field(default_factory=list)
    unparsed_text: list[str] = field(default_factory=list)
    cell_problems: list[CellProblem] = field(default_factory=list)
    blank_lines: int = 0
    #: lines (counted as `lines` are) of a CSV's rows that repeat its header (`repeats_header`:
    #: files joined into one, each with its header), left out of `table`: no data
    header_lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: A folder of Parquet parts: (part path, lines before it) in reading order. A row's line
    #: then counts across the parts; `where` turns it back into the part and its own line.
    parts: tuple[tuple[str, int], ...] = ()
    #: A Parquet file's rows in all (those before `since` included): where the next part's
    #: lines start, read from the footer already open
    file_rows: int = 0
    #: A checked log an older `validate --out` wrote, whose zoned times may be local times
    #: written as UTC (`zones_unknown`; a folder: any of its parts)
    zones_unknown: bool = False
    #: A CSV's (delimiter, compression, encoding): `physical_line` reads it again for the lines
    #: of rows that follow a quoted cell spanning lines (None: a Parquet file or folder)
    csv_format: tuple[str, str | None, str | None] | None = None
    _starts: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def where(self, line: int) -> tuple[str, int]:
        """(file, line in that file) of a line: the part that holds it, for a folder; a CSV's
        line as an editor shows it (`physical_line`)."""
        return locate_line(self.source, self.parts, self.physical_line(line))

    def physical_line(self, line: int) -> int:
        """The line an editor shows for a row counted one line per record (`lines`): past a
        quoted cell that spans lines, the records and the lines part (a comment written on two
        lines put every later error one line early). Worked out on the first error only: the
        file's newlines are counted, and read again record by record only when they are more
        than its records."""
        return int(self.physical_lines(np.array([line], np.int64))[0])

    def physical_lines(self, lines: np.ndarray) -> np.ndarray:
        """`physical_line` of every line of `lines` at once (a refusal of 2,000,000 rows
        locates them all without a Python call per row)."""
        lines = np.asarray(lines, np.int64)
        if self.csv_format is None:
            return lines
        if self._starts is None:
            records = 1 + self.rows_read + self.blank_lines
            self._starts = record_start_lines(Path(self.source), *self.csv_format, records)
        starts = self._starts
        inside = (lines > 0) & (lines <= len(starts))
        return np.where(inside, starts[np.where(inside, lines - 1, 0)] if len(starts) else 0, lines)

    @property
    def rows_read(self) -> int:
        """Data rows in the file (kept + unparseable + repeated headers), blank lines excluded."""
        return self.table.num_rows + len(self.unparsed) + len(self.header_lines)

    def header_problems(self) -> list[Problem]:
        """One problem for each line that repeats the header (`header_lines`), at the line an
        editor shows: no bad cells of its own, whose words ("Outcome") are no answers."""
        return [
            Problem(*self.where(int(line)), None, None, REPEATED_HEADER_EXPECTED)
            for line in self.header_lines.tolist()
        ]

    @property
    def rows_skipped(self) -> int:
        """Rows of a Parquet log left out as dated before `since` (`read_raw`); none for a file
        read in full (a CSV always is)."""
        return max(self.file_rows - self.rows_read, 0) if self.is_parquet else 0


def file_format(path: Path) -> tuple[str, str | None]:
    """('csv' | 'tsv' | 'parquet', compression or None) from the file name."""
    name = path.name.lower()
    compression = None
    if name.endswith(".gz"):
        compression, name = "gzip", name[:-3]
    if name.endswith((".parquet", ".pq")):
        return "parquet", compression
    if name.endswith((".tsv", ".tab")):
        return "tsv", compression
    return "csv", compression


def read_raw(path: str | Path, mapping: ColumnMapping, *, since: int | None = None) -> RawTable:
    """Read the columns `mapping` needs from `path`; header problems raise at once.

    `since` (ns since the epoch, UTC): for a Parquet file whose time column has a timestamp
    type, keep only the rows at or after it (and rows without a time, so that validation still
    reports them), batch by batch, so the older rows never stay in memory (the nightly job reads
    one day of a long log). Kept rows keep their line numbers. Other files are read in full:
    the caller still filters by time.
    """
    path = Path(path)
    source = str(path)
    if path.is_dir():
        return _read_parquet_parts(path, mapping, since)
    if not path.is_file():
        raise DataValidationError([Problem(source, None, None, None, "an existing file")])
    kind, compression = file_format(path)
    check_content(path, kind, compression)
    if kind == "parquet":
        if compression:
            raise DataValidationError(
                [
                    Problem(
                        source,
                        None,
                        None,
                        None,
                        "an uncompressed .parquet file (Parquet compresses itself)",
                    )
                ]
            )
        return _read_parquet(path, mapping, since)
    return _read_csv(path, mapping, kind, compression)


#: The first bytes of a gzip stream and of a Parquet file.
GZIP_MAGIC, PARQUET_MAGIC = b"\x1f\x8b", b"PAR1"


def check_content(path: Path, kind: str, compression: str | None) -> None:
    """A file whose first bytes say it is not what its name says (a gzip file or a Parquet file
    named .csv, a plain CSV named .csv.gz or .parquet) is one error saying what it is and the
    name to give it: read by its name, it failed on its first bytes with a message about them."""
    with open(path, "rb") as stream:
        head = stream.read(64)
    if not head:
        return
    name = path.name
    base = name[:-3] if compression else name  # "log.csv.gz" -> "log.csv"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    is_gzip, is_parquet = head.startswith(GZIP_MAGIC), head.startswith(PARQUET_MAGIC)
    text = b"\x00" not in head and not is_gzip
    if is_gzip and compression is None:
        found = f"is gzip-compressed: name it {name}.gz"
        if kind == "parquet":
            found = f"is gzip-compressed, as Parquet never is: a gzipped CSV? name it {stem}.csv.gz"
    elif is_parquet and (kind != "parquet" or compression):
        found = f"is a Parquet file: name it {stem}.parquet"
    elif compression and not is_gzip:
        plain = " (plain text)" if text else ""
        found = f"is not gzip-compressed at all{plain}: name it {base}"
    elif kind == "parquet" and not is_parquet and text:
        found = f"is text, not Parquet (a CSV file?): name it {stem}.csv"
    else:
        return
    what = f"{'gzip-compressed ' if compression else ''}{kind.upper()} text"
    if kind == "parquet":
        what = "a Parquet file"
    raise DataValidationError(
        [Problem(str(path), None, None, None, f"{what}, as its name says; the file {found}")]
    )


#: Field delimiters an export uses: a header of one field that holds one of them names it.
DELIMITERS = (";", ",", "\t", "|")


def check_separator(source: str, header: list[str], sep: str) -> None:
    """A header read as one field that another common delimiter splits into several (`--sep
    ','` on a ';'-separated file) is one error naming that delimiter and how to give it; else
    each wanted column would be reported missing, each with a hint about a title line."""
    if len(header) != 1:
        return
    splits = {d: len(header[0].split(d)) for d in DELIMITERS if d != sep}
    best = max(splits, key=splits.__getitem__)
    if splits[best] < 2:
        return
    raise DataValidationError(
        [
            Problem(
                source,
                1,
                None,
                _clip(header[0]),
                f"fields separated by {sep!r}; the header holds {best!r} and no {sep!r}: is the "
                f"separator {best!r}? (--sep {best!r}; in Python: mapping={{'sep': {best!r}}})",
            )
        ]
    )


def _header_hint(column: str, header: list[str], line: int | None = 1) -> str:
    """Why a wanted column is not in the header, when it can be told: another spelling of it
    ("Learner Id" for "Learner ID"), or a first line of one field, a title above a CSV's
    header (`line`: the header's, None for a Parquet file's columns)."""
    close = closest_name(column, [h for h in header if h])
    if close:
        return f" (did you mean {close!r}?)"
    if len(header) == 1 and line is not None:
        return " (line 1 has one field: a title line above the header? the header must be line 1)"
    return ""


def select_columns(
    source: str, header: list[str], mapping: ColumnMapping, line: int | None = 1
) -> tuple[list[str], str | None, dict[str, str]]:
    """The source columns to read, the time column (or None: file order) and optional columns.
    `line`: the header's line a problem names (None for a Parquet file's columns: no line)."""
    problems = []
    seen: set[str] = set()
    for name in header:
        if name in seen and name:  # unnamed columns (Excel's trailing commas) are never read
            problems.append(Problem(source, line, name, name, "unique column names in the header"))
        seen.add(name)
    wanted: list[str] = []
    for canonical, columns in mapping.required_sources().items():
        for col in columns:
            if col not in seen:
                problems.append(
                    Problem(
                        source,
                        line,
                        col,
                        None,
                        f"a column '{col}' for {canonical}{_header_hint(col, header, line)} (header "
                        f"has: {column_names(header)}; name another with "
                        f"{_name_another(canonical)} or a dataset descriptor)",
                    )
                )
            wanted.append(col)
    time_col = None
    if mapping.time_kind != "file":
        if mapping.time is not None:
            if mapping.time not in seen:
                problems.append(
                    Problem(
                        source,
                        line,
                        mapping.time,
                        None,
                        f"a time column '{mapping.time}'{_header_hint(mapping.time, header, line)} "
                        f"(header has: {column_names(header)}; name another with "
                        f"{_name_another('time')})",
                    )
                )
            time_col = mapping.time
        else:
            time_col = next((c for c in TIME_DEFAULTS if c in seen), None)
            if time_col is None:
                problems += _times_without_a_column(source, header, mapping, line)
    optional = {}
    for key in OPTIONAL_FIELDS:
        col = mapping.optional.get(key, key if key in seen else None)
        if col is None:
            continue
        if col not in seen:  # named in the mapping (Python, a descriptor): no option to name
            hint = _header_hint(col, header, line)
            expected = f"a column '{col}' for {key}{hint} (header has: {column_names(header)})"
            problems.append(Problem(source, line, col, None, expected))
        optional[key] = col
    if problems:
        raise refused_header(source, header, problems)
    extra = [time_col, *optional.values()] if time_col else list(optional.values())
    columns = list(dict.fromkeys([*wanted, *extra]))
    return columns, time_col, optional


#: What the log's reader reads, as a file of another kind is told.
LOG_EXPECTED = (
    "a response log: a CSV or Parquet table with a column for each of student_id, item_id, "
    "skill_ids, correct (and a time)"
)


def refused_header(source: str, header: list[str], problems: list[Problem]) -> DataValidationError:
    """The error of a header the log's reader refused (`problems`), saying what the file looks
    like where it is another kind (a placement table, a roster: `kinds.refusal_hint`, with the
    option that reads it); nothing more for a log (its columns were named otherwise: its
    problems say which). A file of JSON (profiles, a catalog) is one problem saying what it
    is, never its first line quoted as a header: a profile's line holds a student id. Only a
    refused header is hinted at: a file with every column the mapping names is read as a log,
    and its rows' problems are its own (`EVERY_ROW_HINT` where none was read). A pyKT split
    (one row per student) is one problem naming `read_pykt` too, not its missing columns."""
    from adaptive.data.kinds import WHOLE_FILE_KINDS, refusal_hint, table_kind

    kind = table_kind(source, header)
    if kind in WHOLE_FILE_KINDS:
        return DataValidationError(
            [Problem(source, 1, None, None, f"{LOG_EXPECTED}; {kind.hint()}")]
        )
    return DataValidationError(problems, hint=refusal_hint(kind, "log", f"{source}: "))


def _times_without_a_column(
    source: str, header: list[str], mapping: ColumnMapping, line: int | None = 1
) -> list[Problem]:
    """A `time_format` or `time_unit` given for a file where no time column is read (none is
    named, and none has a default name): the times would be ignored without a word, the answers
    read in file order. One problem naming the setting and how to name the column."""
    if mapping.time_format is not None:
        given = f"time_format {mapping.time_format!r}"
    elif mapping.time_unit is not None:
        given = f"time_unit {mapping.time_unit!r}"
    else:
        return []
    return [
        Problem(
            source,
            line,
            None,
            None,
            f"a time column to read with {given}: none is named, and the header has no column "
            f"{', '.join(TIME_DEFAULTS)} (header has: {column_names(header)}; name it with "
            f"{_name_another('time')})",
        )
    ]


#: The command-line option that names each mapped column (`adaptive.cli.options`).
COLUMN_OPTIONS = {
    "student_id": "--student-col",
    "item_id": "--item-col",
    "skill_ids": "--skills-col",
    "correct": "--correct-col",
    "time": "--time-col",
    "max_score": "--max-score-col",
}


def _name_another(key: str) -> str:
    """How to name another column for a mapping key, for both callers of the readers, who
    share this message: the command line's option and Python's `load_log(mapping=...)` key."""
    return f"{COLUMN_OPTIONS[key]} (in Python: mapping={{{key!r}: ...}})"


#: How to read a file that is not UTF-8 (a Windows spreadsheet's export is cp1252).
ENCODING_HINT = (
    "re-save it as UTF-8 (or give its encoding: --encoding cp1252 for a Windows export; in "
    "Python: mapping={'encoding': 'cp1252'})"
)


def read_header(
    path: Path,
    compression: str | None,
    sep: str | None,
    kind: str,
    encoding: str | None = None,
    not_utf8: str = "re-save it as UTF-8",
) -> tuple[list[str], str]:
    """The header's column names and the field delimiter (given, by extension, or sniffed: a
    header without commas but with tabs or semicolons names that delimiter); the text is
    UTF-8 (a BOM skipped) unless `encoding` says otherwise; `not_utf8`: what to do when it is
    not (the log's reader names its `--encoding` option too)."""
    source = str(path)
    try:
        with pa.input_stream(str(path), compression=compression) as stream:
            head = stream.read(1 << 16)
    except (pa.ArrowInvalid, OSError) as exc:
        raise unreadable(source, compression, exc) from None
    first = head.split(b"\n", 1)[0]
    try:
        text = first.decode(encoding or "utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        shown = EscapedText(_clip(first.decode("utf-8", errors="backslashreplace")))
        raise DataValidationError(
            [Problem(source, 1, None, shown, f"a UTF-8 header line; {not_utf8}")]
        ) from None
    if not text.strip():
        raise DataValidationError(
            [Problem(source, 1, None, "", "a header line naming the columns")]
        )
    if sep is None:
        sep = "\t" if kind == "tsv" else ","
        if sep == "," and "," not in text:  # a tab- or (Excel in many locales) ;-separated file
            sep = "\t" if "\t" in text else ";" if ";" in text else sep
    header = next(csv.reader(io.StringIO(text), delimiter=sep))
    return [h.strip() for h in header], sep


def fields_expected(n_fields: int, sep: str, got: int) -> str:
    """What a CSV row of `got` fields where its header has `n_fields` is refused for, as every
    CSV reader says it (a response log, a placement table, a roster): a cell holding the
    separator unquoted ("Smith, J") shifts every cell after it, so such a row is never read."""
    what = "extra" if got > n_fields else "missing"
    return f"{n_fields} fields separated by {sep!r} ({what} columns: got {got})"


#: What a CSV line that repeats the header (`repeats_header`) is refused for, by every reader.
REPEATED_HEADER_EXPECTED = "a row of data; the line repeats the header (concatenated exports?)"

#: The byte order mark a "CSV UTF-8" export starts with: `read_header` skips it before the
#: header, and a header repeated by files joined into one starts with it again, so that a
#: field equal to its column's name is the name with this mark before it, spaces around it.
BYTE_ORDER_MARK = "\ufeff"


def is_header_row(cells: Sequence[str], header: Sequence[str]) -> bool:
    """Whether one CSV row of Python strings (a reader that parses row by row: a roster)
    repeats the `header` (its names as read: trimmed, no BOM): `repeats_header`'s rule for
    one row, each field trimmed as it trims it (a BOM, then spaces). Cheap on a row of data:
    its first field is searched for its name (as `repeats_header` searches its column) before
    any field is trimmed."""
    if len(cells) != len(header) or not cells or header[0] not in cells[0]:
        return False
    return all(
        cell.lstrip(BYTE_ORDER_MARK).strip() == name
        for cell, name in zip(cells, header, strict=True)
    )


def repeats_header(cells: Sequence[pa.Array | pa.ChunkedArray], names: Sequence[str]) -> np.ndarray:
    """(n,) bool: the CSV rows whose every field in `cells` (a column of text or bytes for each
    of the header's `names`) is its column's name, written as `read_header` reads the header
    (a byte order mark before it, spaces around it): a line repeating the header, as files
    joined into one (each export with its header) have. Every CSV reader refuses such a line
    as one problem (`REPEATED_HEADER_EXPECTED`), never as cells that are no ids, answers or
    times. Vectorized, and cheap on a file of millions of rows: the cells' lengths alone pick
    the column where the fewest cells are as long as its name; only those are searched for it
    (a cell holding its name), and the few rows where they hold it are looked at in every
    column, trimmed and compared."""
    n = len(cells[0]) if cells else 0
    found = np.zeros(n, dtype=bool)
    if not n:
        return found
    long_enough = [
        pc.binary_length(column).to_numpy(zero_copy_only=False) >= len(name.encode())
        for column, name in zip(cells, names, strict=True)
    ]
    first = int(np.argmin([np.count_nonzero(m) for m in long_enough]))
    rows = np.flatnonzero(long_enough[first])
    holds = pc.match_substring(cells[first].take(pa.array(rows)), names[first])
    rows = rows[pc.fill_null(holds, False).to_numpy(zero_copy_only=False)]
    if not len(rows):
        return found
    found[rows] = True
    take = pa.array(rows)
    for column, name in zip(cells, names, strict=True):
        text = column.take(take)
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
            text = _decode_utf8(text)[0]
        trimmed = pc.utf8_trim_whitespace(pc.utf8_ltrim(text, BYTE_ORDER_MARK))
        found[rows] &= pc.fill_null(pc.equal(trimmed, name), False).to_numpy(zero_copy_only=False)
    return found


def _read_csv(path: Path, mapping: ColumnMapping, kind: str, compression: str | None) -> RawTable:
    source = str(path)
    header, sep = read_header(
        path, compression, mapping.sep, kind, mapping.encoding, not_utf8=ENCODING_HINT
    )
    check_separator(source, header, sep)
    columns, time_col, optional = select_columns(source, header, mapping)
    unparsed: list[Problem] = []
    unparsed_text: list[str] = []
    n_fields = len(header)

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        line = row.number if row.number is not None else -1
        expected = fields_expected(n_fields, sep, row.actual_columns)
        unparsed.append(Problem(source, line, None, _clip(row.text), expected))
        unparsed_text.append(row.text)
        return "skip"

    batches: list[pa.RecordBatch] = []
    cell_problems: list[CellProblem] = []
    n_kept = 0
    try:
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression=compression),
            read_options=pacsv.ReadOptions(
                use_threads=False,
                block_size=CSV_BLOCK_BYTES,
                column_names=header,
                skip_rows=1,
                encoding=mapping.encoding or "utf8",
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, ignore_empty_lines=False, invalid_row_handler=on_invalid_row
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=columns,
                column_types={c: pa.binary() for c in columns},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            decoded = []
            for name in columns:
                arr, bad = _decode_utf8(batch.column(name))
                for row, value in bad:
                    cell_problems.append(
                        CellProblem(n_kept + row, name, value, f"UTF-8 text; {ENCODING_HINT}")
                    )
                decoded.append(arr)
            batches.append(pa.RecordBatch.from_arrays(decoded, names=columns))
            n_kept += batch.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise unreadable(
            source, compression, exc, line=_readable_lines(path, compression)
        ) from None
    schema = pa.schema([(c, pa.string()) for c in columns])
    table = pa.Table.from_batches(batches, schema=schema)
    # Physical line of each kept row: data rows are lines 2..; unparsed rows take some of them.
    bad_lines = np.array(sorted(p.line for p in unparsed), dtype=np.int64)
    lines = _remaining_lines(n_kept, bad_lines)
    raw = RawTable(
        source=source,
        is_parquet=False,
        header=header,
        table=table,
        lines=lines,
        time_column=time_col,
        optional=optional,
        unparsed=unparsed,
        unparsed_text=unparsed_text,
        cell_problems=cell_problems,
        csv_format=(sep, compression, mapping.encoding),
    )
    return _set_aside_header_lines(_drop_blank_lines(raw))


def _set_aside_header_lines(raw: RawTable) -> RawTable:
    """`raw` with its rows that repeat the header (`repeats_header`) moved out of its table into
    `header_lines`. The columns read decide which rows may; the others are read again for those
    rows alone (`unread_columns`: one more pass only where some may), so that a row is a header
    only where every field of the file's is."""
    names = raw.table.column_names
    found = repeats_header([raw.table.column(c) for c in names], names)
    if not found.any():
        return raw
    rows = np.flatnonzero(found)
    others = unread_columns(raw, raw.lines[rows])
    if others:
        found[rows] = repeats_header(
            [pa.array(v, pa.string()) for v in others.values()], list(others)
        )
    table, lines, problems, _ = _drop_rows(raw.table, raw.lines, raw.cell_problems, found)
    return dataclasses.replace(
        raw, table=table, lines=lines, cell_problems=problems, header_lines=raw.lines[found]
    )


def unread_columns(raw: RawTable, lines: np.ndarray) -> dict[str, list[str | None]]:
    """The CSV's columns the reader left out (a log reads only those it needs), for the rows at
    `lines` (their `RawTable.lines`), read again from the file: a quarantine then holds each
    set-aside row whole, to be fixed and pasted back into the export as it was (a data
    scientist's trial found its `Minutes` column missing). One streamed pass over those columns
    alone, skipping the rows the first pass could not split, so row k is the first pass's k-th;
    {} for a Parquet log (its quarantine keeps the columns it read) or nothing left out."""
    if raw.csv_format is None or not len(lines):
        return {}
    read = set(raw.table.column_names)
    others = [c for c in dict.fromkeys(raw.header) if c not in read]
    if not others or len(set(raw.header)) != len(raw.header):
        return {}
    sep, compression, encoding = raw.csv_format
    lines = np.asarray(lines, dtype=np.int64)
    skipped = np.array(sorted(p.line for p in raw.unparsed), dtype=np.int64)
    # each row's place among the rows the parser split (line 2 is the first; skipped lines out)
    position = lines - 2 - np.searchsorted(skipped, lines)
    order = np.argsort(position, kind="stable")
    out: dict[str, list[str | None]] = {c: [None] * len(lines) for c in others}
    reader = pacsv.open_csv(
        pa.input_stream(raw.source, compression=compression),
        read_options=pacsv.ReadOptions(
            use_threads=False, block_size=CSV_BLOCK_BYTES, column_names=raw.header,
            skip_rows=1, encoding=encoding or "utf8",
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=sep, ignore_empty_lines=False, invalid_row_handler=lambda row: "skip"
        ),
        convert_options=pacsv.ConvertOptions(
            include_columns=others, column_types={c: pa.binary() for c in others},
            strings_can_be_null=False, quoted_strings_can_be_null=False,
        ),
    )  # fmt: skip
    seen, next_wanted = 0, 0
    for batch in reader:
        end = seen + batch.num_rows
        while next_wanted < len(order) and position[order[next_wanted]] < end:
            slot = int(order[next_wanted])
            for c in others:
                cell = batch.column(c)[int(position[slot]) - seen].as_py()
                out[c][slot] = cell.decode("utf-8", errors="replace")
            next_wanted += 1
        seen = end
        if next_wanted == len(order):
            break
    return out


def unreadable(
    source: str, compression: str | None, exc: Exception, line: int | None = None
) -> DataValidationError:
    """The error for a file that cannot be read to its end (truncated or corrupt)."""
    what = "a complete gzip file" if compression == "gzip" else "a readable, complete file"
    where = f"; reading stopped near line {line}" if line is not None else ""
    return DataValidationError(
        [Problem(source, None, None, None, f"{what} (it is truncated or corrupt: {exc}{where})")]
    )


def _readable_lines(path: Path, compression: str | None) -> int | None:
    """The line where a gzip file that cannot be read to its end stops: its text is inflated
    again up to the damage, counting lines (the error path only: the reader itself stops a
    block of several MB earlier, too far back to name). None when the text inflates to its end
    (the damage is elsewhere) or the file is not gzipped."""
    if compression != "gzip":
        return None
    newlines, inflate = 0, zlib.decompressobj(wbits=31)
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(1 << 16):
                while chunk:  # a file of several gzip members (`cat a.gz b.gz`) too
                    if inflate.eof:
                        inflate = zlib.decompressobj(wbits=31)
                    newlines += inflate.decompress(chunk).count(b"\n")
                    chunk = inflate.unused_data if inflate.eof else b""
    except (zlib.error, OSError):
        return newlines + 1
    return None if inflate.eof else newlines + 1  # the line being read when the text stopped


def _remaining_lines(n_kept: int, taken: np.ndarray) -> np.ndarray:
    """Lines 2, 3, ... of the kept rows, skipping the lines of rows the parser rejected."""
    candidate = np.arange(2, 2 + n_kept + len(taken), dtype=np.int64)
    if len(taken) == 0:
        return candidate
    return candidate[~np.isin(candidate, taken)]


def _decode_utf8(arr: pa.Array) -> tuple[pa.Array, list[tuple[int, str]]]:
    """Binary -> string; on invalid UTF-8, the bad cells (position, escaped text) are listed."""
    try:
        return arr.cast(pa.string()), []
    except pa.ArrowInvalid:
        pass
    values = arr.to_pylist()  # error path only: find the offending cells
    bad = []
    out = []
    for i, raw in enumerate(values):
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            bad.append((i, EscapedText(_clip(raw.decode("utf-8", errors="backslashreplace")))))
            out.append(raw.decode("utf-8", errors="replace"))
    return pa.array(out, type=pa.string()), bad


def _drop_blank_lines(raw: RawTable) -> RawTable:
    """`raw` without its blank lines, counted in `blank_lines`, not loaded: rows whose every
    field of the file's is empty. The columns read decide which rows may be; the others are
    read again for those rows alone (`unread_columns`: one more pass only where some may), so
    that a footer such as "Total: 30000,,,," whose text is in a column the log does not use is
    a row, refused for its empty cells, not a blank line (a trial's footer was counted as one)."""
    blank = _empty_rows([raw.table.column(c) for c in raw.table.column_names])
    if not blank.any():
        return raw
    rows = np.flatnonzero(blank)
    others = unread_columns(raw, raw.lines[rows])
    if others:
        blank[rows] = _empty_rows([pa.array(v, pa.string()) for v in others.values()])
    table, lines, problems, n_blank = _drop_rows(raw.table, raw.lines, raw.cell_problems, blank)
    return dataclasses.replace(
        raw, table=table, lines=lines, cell_problems=problems, blank_lines=n_blank
    )


def _empty_rows(columns: Sequence[pa.Array | pa.ChunkedArray]) -> np.ndarray:
    """Which rows are empty in every one of `columns` (all rows where there are none)."""
    blank = np.ones(len(columns[0]) if columns else 0, dtype=bool)
    for column in columns:
        empty = pc.fill_null(pc.equal(pc.binary_length(column), 0), True)  # None: not read
        blank &= empty.to_numpy(zero_copy_only=False)
    return blank


def _drop_rows(
    table: pa.Table, lines: np.ndarray, cell_problems: list[CellProblem], drop: np.ndarray
) -> tuple[pa.Table, np.ndarray, list[CellProblem], int]:
    """The rows not in `drop` (a mask), their cell problems renumbered, and how many went."""
    keep = ~drop
    new_pos = np.cumsum(keep) - 1
    problems = [
        CellProblem(int(new_pos[p.row]), p.column, p.value, p.expected)
        for p in cell_problems
        if keep[p.row]
    ]
    return table.filter(pa.array(keep)), lines[keep], problems, int(drop.sum())


def _read_parquet(path: Path, mapping: ColumnMapping, since: int | None = None) -> RawTable:
    source = str(path)
    try:
        pfile = streamed_parquet(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataValidationError(
            [Problem(source, None, None, None, f"a Parquet file ({exc})")]
        ) from None
    header = list(pfile.schema_arrow.names)
    columns, time_col, optional = select_columns(source, header, mapping, line=None)
    schema = pa.schema([pfile.schema_arrow.field(c) for c in columns])
    if pfile.metadata.num_rows == 0:  # a header-only export, as a CSV's: read as no rows
        # (its columns may have no type at all, pandas' "null": read as empty text, as a CSV's)
        empty = pa.table({c: pa.array([], pa.string()) for c in columns})
        return RawTable(source, True, header, empty, np.zeros(0, np.int64), time_col, optional)
    check_parquet_types(source, schema, mapping, optional)
    time_type = schema.field(time_col).type if time_col else None
    bound = time_bound(since, time_type)
    batches, line_parts, start = [], [], 1
    try:
        for group, first_line in _row_groups_from(pfile, time_col, since):
            start = first_line
            for batch in pfile.iter_batches(
                batch_size=PARQUET_BATCH_ROWS, row_groups=[group], columns=columns
            ):
                lines = np.arange(start, start + batch.num_rows, dtype=np.int64)
                start += batch.num_rows
                if bound is not None:
                    time = batch.column(time_col)
                    keep = pc.fill_null(pc.greater_equal(time, bound), True)
                    batch, lines = batch.filter(keep), lines[keep.to_numpy(zero_copy_only=False)]
                batches.append(batch)
                line_parts.append(lines)
    except (pa.ArrowInvalid, OSError) as exc:
        raise unreadable(source, None, exc, line=start) from None
    table = pa.Table.from_batches(batches, schema=schema)
    lines = np.concatenate(line_parts) if line_parts else np.zeros(0, np.int64)
    return RawTable(
        source=source,
        is_parquet=True,
        header=header,
        table=table,
        lines=lines,
        time_column=time_col,
        optional=optional,
        file_rows=pfile.metadata.num_rows,
        zones_unknown=zones_unknown(pfile.schema_arrow.metadata, time_type),
    )


def parquet_parts(folder: Path) -> list[Path]:
    """The Parquet files of a folder of parts (a Spark or warehouse export), in path order, at
    any depth (Hive-style `day=2027-01-05/` folders too). Names starting with `_` or `.` are
    not parts (Spark's `_SUCCESS`, `.crc` checksums); any other file is an error (one, naming
    them: `_other_files_error`), as is a folder without parts: a log is never read from a guess."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    parts = [
        p for p in files if not any(s.startswith(("_", ".")) for s in p.relative_to(folder).parts)
    ]
    other = [p for p in parts if file_format(p) != ("parquet", None)]
    if other:
        raise _other_files_error(folder, other, n_parquet=len(parts) - len(other))
    if not parts:
        raise DataValidationError(
            [Problem(str(folder), None, None, None, "a folder holding Parquet parts of a log")]
        )
    return parts


#: How many of a folder's other files an error names before it says how many more there are.
LISTED_FILES = 5


def _other_files_error(folder: Path, other: list[Path], n_parquet: int) -> DataValidationError:
    """ONE error for the files of a log's folder that are no Parquet parts, naming the folder,
    the first few files (by their path inside it) and what to give instead. A folder of CSV
    exports (a user's guess that a folder of files is one log) is told so: a log is one file,
    or a folder of Parquet parts; a stray file among parts is named as such. The CSV files
    are counted by their names (a district folder's catalog.json and profiles.jsonl were once
    counted among "5 CSV files")."""
    names = [str(p.relative_to(folder)) for p in other]
    text = [name for name, p in zip(names, other, strict=True) if _is_text_table(p)]
    if text and n_parquet == 0:
        holds = counted(len(text), "CSV file")
        if len(text) < len(names):
            holds = f"{counted(len(names), 'file')}, {len(text)} of them CSV ({_listed(text)})"
        expected = (
            "one CSV, TSV or Parquet file, or a folder of Parquet parts, as the log; this "
            f"folder holds {holds}: give one of them as the log, or join them into one CSV "
            "file first (or write them as Parquet parts of a folder)"
        )
    else:
        expected = (
            "only Parquet parts in a log's folder (names starting with '_' or '.' are skipped); "
            "move the other files out of it, or give one file as the log"
        )
    return DataValidationError([Problem(str(folder), None, None, _listed(names), expected)])


def _is_text_table(path: Path) -> bool:
    """Whether a file's name says it is a CSV or TSV table (.csv, .tsv, .tab, gzipped or not):
    `file_format` reads any other name as CSV too, as a log given by name is read."""
    name = path.name.lower().removesuffix(".gz")
    return name.endswith((".csv", ".tsv", ".tab"))


def _listed(names: list[str]) -> str:
    """The first `LISTED_FILES` names, and how many more there are."""
    shown = ", ".join(names[:LISTED_FILES])
    if len(names) > LISTED_FILES:
        shown += f" and {len(names) - LISTED_FILES} more"
    return shown


def readable_parts(path: Path) -> list[tuple[Path, pq.FileMetaData]]:
    """The log's file, or each part of a folder of parts, in path order, with its footer. A
    file that is no Parquet file is one error naming it, before any row of the log is read (by
    either engine): a CSV named .parquet says so and the name to give it (`check_content`),
    a truncated part what pyarrow found."""
    found = []
    for part in parquet_parts(path) if path.is_dir() else [path]:
        check_content(part, "parquet", None)
        try:
            found.append((part, pq.read_metadata(part)))
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataValidationError(
                [Problem(str(part), None, None, None, f"a Parquet file ({exc})")]
            ) from None
    return found


def check_parts_types(
    folder: Path, footers: Sequence[tuple[Path, pq.FileMetaData]], mapping: ColumnMapping
) -> None:
    """Every column the log reads has one type across a folder's parts (`readable_parts`: their
    footers only, no rows): else one problem per part whose type no other part's merges with
    (`pa.unify_schemas`, permissive: int32 and int64, string and large_string merge), naming
    the part, the column, its type there and the type most parts have. One part re-saved by a
    spreadsheet (text ids read as numbers) so failed the Spark engine with an error naming
    nothing and the in-process one naming the folder, not the part. Parts without rows (their
    columns may have no type) and columns a part lacks (`_read_parquet_parts` names those)
    are skipped; the columns read are the first part's mapped ones (`select_columns`)."""
    typed = [(part, meta.schema.to_arrow_schema()) for part, meta in footers if meta.num_rows]
    if len(typed) < 2:
        return
    first, meta = footers[0]
    names = meta.schema.to_arrow_schema().names  # the reader's names (Arrow's, in its footer)
    columns, _, _ = select_columns(str(first), names, mapping, line=None)
    problems = []
    for column in columns:
        kinds = [(p, s.field(column).type) for p, s in typed if column in s.names]
        if not kinds:
            continue
        usual = collections.Counter(kind for _, kind in kinds).most_common(1)[0][0]
        example = next(p for p, kind in kinds if kind == usual)
        problems += [
            Problem(
                str(part),
                None,
                column,
                str(kind),
                f"the type of the column in the folder's other parts ({usual}, as in "
                f"{example.relative_to(folder)}): write that part again with the others' "
                "types (a spreadsheet that re-saved it read text as numbers?)",
            )
            for part, kind in kinds
            if not _types_merge(kind, usual)
        ]
    if problems:
        raise DataValidationError(problems)


def _types_merge(one: pa.DataType, other: pa.DataType) -> bool:
    """Whether two parts' types of a column concatenate as one column (the in-process reader's
    `pa.concat_tables(..., promote_options="permissive")`)."""
    try:
        pa.unify_schemas(
            [pa.schema([("c", one)]), pa.schema([("c", other)])], promote_options="permissive"
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return False
    return True


def _read_parquet_parts(folder: Path, mapping: ColumnMapping, since: int | None) -> RawTable:
    """A folder of Parquet parts read as one log: each part as `_read_parquet` reads it (its
    row groups before `since` skipped), in path order; every part has the first one's columns,
    of one type (`check_parts_types`, from their footers before any row is read)."""
    footers = readable_parts(folder)
    check_parts_types(folder, footers, mapping)
    parts = [part for part, _ in footers]
    raws, offsets, before = [], [], 0
    for part in parts:
        raw = _read_parquet(part, mapping, since)
        if raws and (raw.table.schema.names != raws[0].table.schema.names
                     or raw.time_column != raws[0].time_column):  # fmt: skip
            raise DataValidationError([Problem(
                str(part), 1, None, ", ".join(raw.header),
                f"the columns of the folder's first part ({parts[0].name}: "
                f"{', '.join(raws[0].header)})",
            )])  # fmt: skip
        raws.append(raw)
        offsets.append(before)
        before += raw.file_rows
    first = raws[0]
    try:
        table = pa.concat_tables([r.table for r in raws], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise DataValidationError(
            [Problem(str(folder), None, None, None, f"parts whose columns have one type ({exc})")]
        ) from None
    return RawTable(
        source=str(folder),
        is_parquet=True,
        header=first.header,
        table=table,
        lines=np.concatenate([r.lines + o for r, o in zip(raws, offsets, strict=True)]),
        time_column=first.time_column,
        optional=first.optional,
        parts=tuple((str(p), o) for p, o in zip(parts, offsets, strict=True)),
        file_rows=before,
        zones_unknown=any(r.zones_unknown for r in raws),
    )


def record_start_lines(
    path: Path, sep: str, compression: str | None, encoding: str | None, records: int
) -> np.ndarray:
    """The physical line each record of a CSV starts on (record 0: the header), or an empty
    array when every record is one line (the file has as many lines as `records`): then the
    lines counted one per record are the editor's already."""
    newlines, last = 0, b"\n"
    with pa.input_stream(str(path), compression=compression) as stream:
        while chunk := stream.read(CSV_BLOCK_BYTES):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    if newlines + (last != b"\n") <= records:
        return np.zeros(0, np.int64)
    starts = [1]
    with pa.input_stream(str(path), compression=compression) as stream:
        text = io.TextIOWrapper(
            stream, encoding=encoding or "utf-8-sig", errors="replace", newline=""
        )
        reader = csv.reader(text, delimiter=sep)
        for _ in reader:
            starts.append(reader.line_num + 1)
    return np.asarray(starts[:-1], np.int64)


def locate_line(source: str, parts: tuple[tuple[str, int], ...], line: int) -> tuple[str, int]:
    """(file, its own line) of a line counted across a folder's parts (`RawTable.parts`)."""
    if not parts:
        return source, line
    (i,), (own,) = locate_lines(parts, np.array([line], np.int64))
    return parts[i][0], int(own)


def locate_lines(
    parts: tuple[tuple[str, int], ...], lines: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`locate_line` of every line of `lines` at once: (the index in `parts` of the part that
    holds each, its own line there); without parts, index 0 and the lines unchanged."""
    lines = np.asarray(lines, np.int64)
    if not parts:
        return np.zeros(len(lines), np.int64), lines
    before = np.array([o for _, o in parts], np.int64)
    index = np.maximum(np.searchsorted(before, lines, side="left") - 1, 0)
    return index, lines - before[index]


def check_parquet_types(
    source: str, schema: pa.Schema, mapping: ColumnMapping, optional: dict[str, str]
) -> None:
    """Every read Parquet column has a type its field can hold; otherwise one problem each.

    Parquet columns are typed, so a wrong type is a wrong export, not a bad cell: `correct` must
    be boolean, numeric (0/1) or text (read with the rules of a CSV cell, the mapping's
    `correct_values` / `incorrect_values` included: a warehouse exports every column as text),
    ids text or numbers, skills text, numbers or a list of them, and the time column is checked
    when it is read (`validate._check_time`).
    """
    roles = {col: "id" for col in mapping.student_id}
    roles[mapping.item_id] = "id"
    roles[mapping.correct] = "correct"
    if mapping.max_score is not None:
        roles[mapping.max_score] = "number"
    if mapping.skills_from is None:
        roles[mapping.skill_ids] = "skills"
    for key, col in optional.items():
        roles[col] = "id" if key in ("school_id", "class_id") else "number"
    problems = []
    for col, role in roles.items():
        dtype = schema.field(col).type
        if pa.types.is_dictionary(dtype):
            dtype = dtype.value_type
        if not _PARQUET_TYPE_OK[role](dtype):
            problems.append(
                Problem(source, None, col, f"Parquet type {dtype}", _PARQUET_EXPECTED[role])
            )
    if problems:
        raise DataValidationError(problems)


def _is_scalar_id(dtype: pa.DataType) -> bool:
    return (
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_integer(dtype)
        or pa.types.is_floating(dtype)
    )


def _is_number(dtype: pa.DataType) -> bool:
    return pa.types.is_integer(dtype) or pa.types.is_floating(dtype)


def _is_text(dtype: pa.DataType) -> bool:
    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype)


def _is_skills(dtype: pa.DataType) -> bool:
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        return _is_scalar_id(dtype.value_type)
    return _is_scalar_id(dtype)


_PARQUET_TYPE_OK = {
    "id": _is_scalar_id,
    "correct": lambda t: pa.types.is_boolean(t) or _is_number(t) or _is_text(t),
    "skills": _is_skills,
    "number": lambda t: _is_number(t) or _is_text(t),
}
_PARQUET_EXPECTED = {
    "id": "a text or integer id column",
    "correct": "a boolean, 0/1 or text column (text read as in a CSV file)",
    "skills": "a text column or a list of text skill ids",
    "number": "a numeric column",
}


def _row_groups_from(
    pfile: pq.ParquetFile, time_col: str | None, since: int | None
) -> list[tuple[int, int]]:
    """(row group, file line of its first row) of the groups that may hold a row at or after
    `since` (ns, UTC): a group whose statistics say every time is earlier (and none is
    missing) is skipped unread. A log appended day by day keeps its groups in time order, so
    the next night reads about one day's groups instead of the year's. Without statistics, or
    with a time column that is not a Parquet timestamp, every group is read (the rows are
    filtered either way)."""
    meta = pfile.metadata
    offsets = np.cumsum([0] + [meta.row_group(g).num_rows for g in range(meta.num_row_groups)])
    groups = [(g, int(offsets[g]) + 1) for g in range(meta.num_row_groups)]
    found = stored_time(meta, time_col, since)
    if found is None:
        return groups
    leaf, first_kept = found
    return [(g, line) for g, line in groups if time_range(meta, g, leaf, first_kept) != "before"]


def stored_time(
    meta: pq.FileMetaData, time_col: str | None, at: int | None
) -> tuple[int, int] | None:
    """(leaf column of the time, `at` (ns, UTC) in its stored unit, rounded up) for a Parquet
    timestamp column; None otherwise (no time, or one whose statistics cannot be compared)."""
    if at is None or time_col is None:
        return None
    leaf = next((i for i in range(meta.num_columns) if meta.schema.column(i).path == time_col), -1)
    if leaf < 0:
        return None
    logical = json.loads(meta.schema.column(leaf).logical_type.to_json() or "{}")
    per_unit = _NS_PER_STORED_UNIT.get(logical.get("timeUnit", ""))
    if logical.get("Type") != "Timestamp" or per_unit is None:
        return None
    return leaf, -(-int(at) // per_unit)  # stored value v < this  <=>  v * unit < at


def time_range(meta: pq.FileMetaData, group: int, leaf: int, bound: int) -> str:
    """Where a row group's times lie against `bound` (stored unit), from its statistics:
    "before" (every time earlier, none missing), "after" (every time at or after it, none
    missing) or "unknown" (straddling, missing values, or no usable statistics)."""
    chunk = meta.row_group(group).column(leaf)
    stats = chunk.statistics
    if not (
        stats is not None
        and stats.has_min_max
        and stats.has_null_count
        and stats.null_count == 0
        and chunk.physical_type == "INT64"
    ):
        return "unknown"
    if stats.max_raw < bound:
        return "before"
    return "after" if stats.min_raw >= bound else "unknown"


_NS_PER_STORED_UNIT = {"milliseconds": 10**6, "microseconds": 10**3, "nanoseconds": 1}


def time_bound(since: int | None, time_type: pa.DataType | None) -> pa.Scalar | None:
    """`since` (ns, UTC) as a scalar of the time column's timestamp type (rounded up to its
    unit, so `time >= bound` is exactly `time >= since`); None when there is nothing to filter."""
    if since is None or time_type is None or not pa.types.is_timestamp(time_type):
        return None
    per_unit = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[time_type.unit]
    return pa.scalar(-(-int(since) // per_unit), type=time_type)


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
