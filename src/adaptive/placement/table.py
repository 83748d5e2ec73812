"""Placement tables: where students start, as a file of (student_id, skill_id, mastery).

A prior year's mastery export, a transcript mapped to skills, or a diagnostic's saved placement
(`Placement.to_frame()`), read back as a `Placement` (`read_placement`, `mastery_table_placement`).
A file is read as the response-log reader reads one (`adaptive.data.readers`): CSV with `,`, `;`
or tab between fields (told from the header), an Excel export's BOM and CRLF, blank lines, gzip
(`.csv.gz`), or Parquet. Ids are trimmed, as everywhere. Every row is checked: a non-empty
student and skill id, a skill of the catalog (a case or spelling slip says which was meant),
mastery a number in [0, 1] (percentages and decimal commas say what to do; a boolean is no
mastery; a blank, or a not-assessed mark such as "N/A" (`NOT_ASSESSED`), is no mastery of 0:
refused, or left out with `drop_blank_and_identical`), one row per (student, skill) (naming
the earlier row); the problems of a file are one `DataValidationError` with file, line (a
Parquet file's or a frame's row), column and value, named by the file's own columns when
`columns=` maps them.
A skill-rename map (`skill_map=`: a file's code -> this catalog's skill id, or None for a
retired skill) is applied before every skill check: last year's codes are read as this year's
skills, the rows of retired skills are dropped and counted in one `PlacementWarning`.
The row rules are functions of their own, so that the Spark engine checks a table in batches
with the same rules (`adaptive.batch.spark_placement`).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from adaptive.curriculum import Catalog
from adaptive.data.kinds import (
    JSON_KINDS,
    FileKind,
    header_kind,
    refusal_hint,
    table_kind,
)
from adaptive.data.log import _id_text
from adaptive.data.readers import (
    REPEATED_HEADER_EXPECTED,
    _clip,
    _decode_utf8,
    _readable_lines,
    fields_expected,
    file_format,
    read_header,
    repeats_header,
    unreadable,
)
from adaptive.data.validate import column_words
from adaptive.errors import (
    ConfigError,
    DataValidationError,
    PlacementWarning,
    Problem,
    closest_name,
    column_names,
    counted,
    line_words,
    some_of,
    unknown_keys,
    verb,
)
from adaptive.files import file_sha256, read_user_text
from adaptive.placement.prior import MAKE_PLACEMENT, Placement

PLACEMENT_COLUMNS = ("student_id", "skill_id", "mastery")
#: An optional column: where each student's placement came from, in the words a recommendation
#: gives as its reason ("placed by diagnostic (12 questions)", as `Placement.to_frame` writes
#: it); without it, or where a cell is empty, the file's students are placed "from <file name>".
SOURCE_COLUMN = "source"
MAX_SOURCE = 200
SOURCE_EXPECTED = f"at most {MAX_SOURCE} characters"
DUPLICATE_EXPECTED = "one row per (student, skill)"
ID_EXPECTED = "a non-empty id"  # the response-log reader's words
SKILL_EXPECTED = "a skill of the catalog"
RENAMED = "a code renamed or retired since the file was written"
#: What a blank mastery means, and what to fix: a skill not assessed is not one known by nobody.
#: Plain words for whoever edits the file; the options that leave such rows out are said once,
#: after the problems (`OptionNames.drop_hint`), in the words of the user's reader.
BLANK_HINT = (
    " (a blank or N/A is a skill not assessed, not a mastery of 0: write the mastery, or delete "
    "the row)"
)
#: The marks a mastery cell says "not assessed" with, as exports write them: Excel's and R's
#: not-available marks ("N/A", "#N/A", "NA"), a report's "n.a.", dashes (a hyphen or two, an em
#: dash), a database's or a script's null ("null", "None", "nan"). Compared trimmed and
#: case-folded; read as a blank cell is: never a number, never a 0. Anything else that is no
#: number in [0, 1] ("absent", "inf") is refused as a bad mastery. The one list: the reader's
#: rule (`NOT_ASSESSED`), its messages (`NOT_ASSESSED_WORDS`) and the README's.
NOT_ASSESSED_MARKS = ("N/A", "#N/A", "NA", "n.a.", "-", "--", "\u2014", "null", "None", "nan")
NOT_ASSESSED = frozenset(("", *(mark.casefold() for mark in NOT_ASSESSED_MARKS)))
#: The marks as a message names them, so that a user sees which cells are read as blanks.
NOT_ASSESSED_WORDS = f"a not-assessed mark: {', '.join(NOT_ASSESSED_MARKS)}, in any case"
MASTERY_EXPECTED = "a number in [0, 1]"
PERCENT_HINT = " (the column reads as percentages, 0-100: divide it by 100)"
BOOLEAN_HINT = (
    " (a yes/no is no P(known): write 1 where the skill is mastered and 0 where it is not, or "
    "give the vendor's mastery score)"
)
#: A table whose every mastery is at most this reads as a 0-1 column divided by 100 again.
HUNDREDTHS = 0.01
BATCH_ROWS = 500_000  # rows of a placement file read at a time
CSV_BLOCK_BYTES = 1 << 24
MAX_LISTED = DataValidationError.MAX_LISTED
#: A checked table's column (`checked_frame`, read through a skill map): each row's skill code
#: as the file writes it, before the map read it as this catalog's skill.
CODE_COLUMN = "code"
#: A batch's column (`placement_batches` with `row_text`): each CSV row's text, every field of
#: it, for a quarantine file's raw_text.
RAW_TEXT = "raw_text"
#: A problem kind `checked_batches` looks for, in the order an error lists them.
KINDS = ("rows", "student_id", "skill_id", "mastery", "source")

#: Problems found in a placement table (the first 20 of a kind) and how many there were.
Found = tuple[list[Problem], int]


@dataclasses.dataclass(frozen=True)
class OptionNames:
    """How the user of a placement reader writes its options, so that its messages name each
    one in that user's own terms and no other's: `read_placement`'s keywords
    (`READER_NAMES`: "quarantine=FILE"), a night's (`NIGHT_NAMES`: `run_daily_job`'s
    "placement_quarantine=FILE") or the commands' flags (`COMMAND_NAMES`: "--placement-quarantine
    FILE"). `of` is the one place that spells an option each way."""

    #: before `read_placement`'s keyword: "placement_" for a night and a command
    prefix: str
    #: the commands' flags, not Python keywords
    command_line: bool = False

    #: The options that are switches, by `read_placement`'s keyword: set, not given a value.
    SWITCHES: ClassVar[frozenset[str]] = frozenset({"drop_blank_and_identical"})

    def of(self, keyword: str, value: str = "") -> str:
        """`read_placement`'s `keyword` ("quarantine"; "" for the placement file, which a night
        and a command take as an option) as this user writes it, with `value` ("FILE"), a
        switch as set: "quarantine=FILE", "placement_drop_blank_and_identical=True",
        "--placement-quarantine FILE", "--placement-drop-blank-and-identical"."""
        name = f"{self.prefix}{keyword}".rstrip("_")
        if self.command_line:
            flag = "--" + name.replace("_", "-")
            return f"{flag} {value}" if value else flag
        return f"{name}={'True' if keyword in self.SWITCHES else value}"

    def set_to(self, keyword: str, value: str) -> str:
        """The option `keyword` set to the string `value`, as this user writes it:
        "engine='spark'" (a Python keyword, the value quoted), "--engine spark" (a flag)."""
        return self.of(keyword, value if self.command_line else repr(value))

    def unprefixed(self) -> OptionNames:
        """The same user's spelling of options that carry no prefix (a night's `engine`,
        `master`, `quarantine`: "--engine" or "engine=")."""
        return OptionNames("", self.command_line)

    def map_hint(self) -> str:
        """What to do with a code the catalog lacks that is no slip (last year's code, a
        retired skill): read the table through a skill map."""
        return f"map it with {self.of('skill_map', 'MAP')}"

    def drop_hint(self) -> str:
        """What to do about refused rows the opt-ins would leave out (`RowDrops.hint`): fix
        the file, or let them be left out."""
        return (
            f"Rows with a blank mastery or {NOT_ASSESSED_WORDS} (a skill not assessed) and rows "
            "identical to an earlier one (a table exported twice): delete them from the file, "
            "or have them left out and counted with "
            f"{self.of('drop_blank_and_identical')}; {self.of('quarantine', 'FILE')} writes "
            "them aside with their reasons too. Other rows are still refused."
        )


#: `read_placement`'s keywords ("drop_blank_and_identical=True").
READER_NAMES = OptionNames("")
#: A night's: `run_daily_job`'s keywords ("placement_drop_blank_and_identical=True").
NIGHT_NAMES = OptionNames("placement_")
#: The commands' flags (`batch`, `recommend`, `validate`: "--placement-drop-blank-and-identical").
COMMAND_NAMES = OptionNames("placement_", command_line=True)
#: After a frame's refused blanks (`mastery_table_placement`, which has no opt-in): the rows
#: to leave out, found as the reader finds them (`blank_cells`: `dropna` leaves "N/A" in).
FRAME_BLANK_HINT = (
    f"Rows with a blank mastery or {NOT_ASSESSED_WORDS} (a skill not assessed): leave them "
    "out of the frame, e.g. frame[~blank_cells(frame['mastery'])] (from adaptive.placement import "
    "blank_cells; frame.dropna() leaves marks such as 'N/A' in)"
)
#: The lines a warning lists of the rows left out for one reason (the rest are counted).
SHOWN_LINES = 5
#: What a row left out for a blank mastery expected, as its quarantine file says it (after
#: the cell as the file wrote it: "got 'N/A'").
BLANK_DROPPED = f"{MASTERY_EXPECTED} (a blank or not-assessed mark: a skill not assessed)"


@dataclasses.dataclass
class RowDrops:
    """One read's rows with a blank mastery ("not assessed", never a 0) or identical to an
    earlier row (a double export: its first row stands). Refused by default, but noticed all
    the same (`refusal_has_droppable`), so that the refusal says the option that drops them
    (`hint`). With `drop` (`drop_blank_and_identical`, or `quarantine=`) they are left out
    instead, counted by reason (`blank_left_out`, `identical_left_out`) in one
    `PlacementWarning` (`warn`: counts and lines, never an id) and, with a `quarantine` path,
    written there as the log reader writes its rejected rows (`write`: line, reason, the cells
    as the file wrote them). Nothing else is dropped: a row giving another mastery for the
    same student and skill is still a problem.

    The rows set aside are kept as Arrow tables of their raw cells, batch by batch, never as
    Python objects: a district's "not assessed" blanks can be millions of rows."""

    drop: bool = False
    quarantine: Path | None = None
    #: how the refusal and the warning name the opt-ins (`hint`, `warn`)
    names: OptionNames = READER_NAMES
    #: rows left out for a blank mastery (with `drop`; always 0 without)
    blank_left_out: int = 0
    #: rows left out as identical to an earlier one (with `drop`; always 0 without)
    identical_left_out: int = 0
    #: without `drop`: whether the refusal holds a row the option would have left out (a
    #: blank mastery, or a repeat of the listed ones identical to its first row), so that it
    #: says the option; always False with `drop`
    refusal_has_droppable: bool = False
    #: the first lines left out, by reason ("blank", "identical"), for the warning
    lines: dict[str, list[int]] = dataclasses.field(
        default_factory=lambda: {"blank": [], "identical": []}
    )
    #: with `quarantine`: each batch's rows left out (`_aside`)
    parts: list[pa.Table] = dataclasses.field(default_factory=list)

    @property
    def left_out(self) -> int:
        """Rows left out, for either reason."""
        return self.blank_left_out + self.identical_left_out

    @property
    def quarantined(self) -> int | None:
        """Rows written to the quarantine file; None where none was asked (a night's summary
        then says no count)."""
        return self.left_out if self.quarantine is not None else None

    @classmethod
    def of(
        cls,
        drop: bool,
        quarantine: str | os.PathLike | None,
        source: Path,
        skill_map: object,
        names: OptionNames = READER_NAMES,
    ) -> RowDrops:
        """The read's drops, its refusal naming the opt-ins as `names` says; `quarantine` is
        checked before the table (and a `skill_map` file) is read, as the log reader's is,
        and implies the drop. It may be neither file."""
        if quarantine is not None:
            from adaptive.data.io import check_quarantine_path

            map_file = skill_map if isinstance(skill_map, str | os.PathLike) else None
            others = {"the file being read": source, "the skill map": map_file}
            return cls(True, check_quarantine_path(quarantine, others), names)
        return cls(drop, names=names)

    def add(self, kind: str, raw: pd.DataFrame, earlier: np.ndarray | None = None) -> None:
        """Rows of `kind` ("blank", "identical") left out: `raw` holds them as the file wrote
        them (its index: their lines); `earlier` the line of the row each identical one
        repeats (kept where the table keeps its `lines`: with a quarantine file)."""
        if kind == "blank":
            self.blank_left_out += len(raw)
        else:
            self.identical_left_out += len(raw)
        listed = self.lines[kind]
        listed += raw.index[: SHOWN_LINES - len(listed)].tolist()
        if self.quarantine is not None:
            self.parts.append(_aside(raw, earlier))

    def hint(self) -> str:
        """What to do after a refusal of rows the options would have left out
        (`OptionNames.drop_hint`; "" where the read dropped them, or found none)."""
        return self.names.drop_hint() if self.refusal_has_droppable else ""

    def warn(self, file: str, rows: Rows, stacklevel: int = 3) -> None:
        """One `PlacementWarning` counting the rows left out, by reason, with their first
        lines (never a student id), naming the opt-in as the reader's user wrote it
        (`names`); nothing when none was."""
        said = [
            f"{counted(n, 'row')} {what} "
            f"({line_words(self.lines[kind], SHOWN_LINES, rows.unit, total=n)})"
            for kind, n, what in (
                ("blank", self.blank_left_out, "with a blank mastery (a skill not assessed)"),
                (
                    "identical",
                    self.identical_left_out,
                    "identical to an earlier row (a row given twice)",
                ),
            )
            if n
        ]
        if not said:
            return
        where = f"; written with their reasons to {self.quarantine}" if self.quarantine else ""
        warnings.warn(
            f"{file}: {counted(self.left_out, 'row')} left out, as asked with "
            f"{self.names.of('drop_blank_and_identical')}: {'; '.join(said)}{where}",
            PlacementWarning,
            stacklevel=stacklevel,
        )

    def write(self, columns: Mapping[str, str], rows: Rows) -> None:
        """The quarantine file (when asked), in the log reader's format: line, reason (a row
        given twice naming the row it repeats), the cells as the file wrote them under its own
        column names, raw_text (a CSV row's text, every column of it: what to paste back into
        the file once fixed); in line order, written atomically."""
        if self.quarantine is None:
            return
        from adaptive.data.io import write_quarantine_csv

        none = pd.DataFrame({role: pd.Series([], dtype=object) for role in PLACEMENT_COLUMNS})
        table = pa.concat_tables(self.parts or [_aside(none, None)]).sort_by("line")
        roles = [c for c in table.column_names[2:] if c != RAW_TEXT]
        own = {role: columns.get(role, role) for role in roles}
        earlier = table["earlier"]
        blank = pc.equal(earlier, 0)
        blanks = blank_reasons(own["mastery"], table["mastery"], blank)
        repeats = dropped_repeat_reasons(own["skill_id"], rows.unit, earlier)
        out: dict[str, pa.ChunkedArray] = {
            "line": table["line"],
            "reason": pc.if_else(blank, blanks, repeats),
        }
        out |= {name: table[role] for role, name in own.items()}
        # a CSV row's text (`row_texts`); a Parquet row has none: its cells are the row
        has_text = RAW_TEXT in table.column_names
        out[RAW_TEXT] = table[RAW_TEXT] if has_text else pa.nulls(len(table), pa.string())
        write_quarantine_csv(self.quarantine, out)


def blank_reasons(column: str, cells: pa.ChunkedArray, blank: pa.ChunkedArray) -> pa.ChunkedArray:
    """The quarantine reason of each row left out for a blank mastery (where `blank`; null
    elsewhere): the problem's wording, quoting the row's own cell ("got 'N/A'", as the refusal
    without the opt-in quotes it; "got ''" for an empty one). Built column-wise: the cells of
    blank rows are a few marks ("", "N/A", "-"), each worded once, however many rows."""
    from adaptive.data.io import quarantine_reason

    text = pc.fill_null(cells, "")
    marks = pc.unique(text.filter(blank))
    said = [
        quarantine_reason(Problem("", None, column, mark, BLANK_DROPPED))
        for mark in marks.to_pylist()
    ]
    return pa.array(said, pa.string()).take(pc.index_in(text, value_set=marks))


def _aside(raw: pd.DataFrame, earlier: np.ndarray | None) -> pa.Table:
    """Rows left out, for the quarantine file: their line, the line each repeats (0 for a
    blank) and their cells as text, as the file wrote them (a missing cell empty)."""
    cells = {
        role: pc.cast(pa.array(raw[role], from_pandas=True), pa.string()) for role in raw.columns
    }
    repeats = np.zeros(len(raw), np.int64) if earlier is None else earlier.astype(np.int64)
    return pa.table({"line": raw.index.to_numpy(np.int64), "earlier": repeats, **cells})


def blank_cells(values: pd.Series) -> np.ndarray:
    """Which cells are blank (missing, only spaces, or a not-assessed mark: `NOT_ASSESSED`;
    a skill not assessed), column-wise."""
    if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
        return values.isna().to_numpy()
    text = values.astype("string").fillna("").str.strip().str.casefold()
    return text.isin(NOT_ASSESSED).to_numpy(bool)


def _not_assessed(value: object) -> bool:
    """Whether one cell is blank (`blank_cells`' rule, for a problem's wording)."""
    return cell_text(value).strip().casefold() in NOT_ASSESSED


@dataclasses.dataclass(frozen=True)
class TableForm:
    """A table read by roles (a placement table, a diagnostic's answer sheet,
    `adaptive.placement.answers`), for the reading pieces they share (`placement_batches`,
    `role_names`): its `name` (as messages and `kinds.FileKind` name it), required `roles`,
    `optional` role, what a missing role's column is (`words`: "a column of the mastery
    table") and how a user names the file's own columns (`own_names`)."""

    name: str
    roles: tuple[str, ...]
    optional: str
    words: str
    own_names: str
    #: the commands' option naming the file's columns in role order ("" where none has one)
    flag: str = ""
    #: words a file's column for each role likely holds ("Learner ID": student_id), for an
    #: example made of the file's own columns (`own_names_for`); each word begins a word of
    #: the column's name ("known" is not "Unknown")
    guesses: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    def own_names_for(self, header: Sequence[object]) -> str:
        """How to name the file's own columns, said for Python and a command alike, with the
        file's likely columns as an example where each role has exactly one (`_likely`), else
        `own_names`. Only an example, worded as one: it is a guess from the names, and a
        wrong guess followed (a name column as student_id) would misread every row."""
        picked = [_likely(header, self.guesses.get(role, ()), role) for role in self.roles]
        if None in picked or len(set(picked)) < len(picked):
            return self.own_names
        mapping = dict(zip(self.roles, picked, strict=True))
        return (
            f"for other column names pass columns= in Python, or {self.flag} on a command, for "
            f"example columns={mapping!r} or {self.flag} '{','.join(map(str, picked))}' (a guess "
            "from the header: check that these are the right columns)"
        )

    def expected(self) -> str:
        """ "a CSV or Parquet table of student_id, skill_id, mastery (and optionally source)"."""
        return f"a CSV or Parquet table of {', '.join(self.roles)} (and optionally {self.optional})"


#: Words of a column's name that mark it as an id ("Learner ID", not "Learner Name").
ID_WORDS = frozenset({"id", "ids", "code", "number", "num", "no"})


def _likely(header: Sequence[object], guesses: Sequence[str], role: str) -> str | None:
    """The one column of `header` likely to hold `role`: a name one of whose words begins with
    a `guesses` word; for an id role, never a name column ("Learner Name": names keyed as ids
    match no student), and an id-like one (`ID_WORDS`) among several. None where no column or
    more than one is likely (an example must not guess between them)."""
    likely = [
        str(h) for h in header if any(w.startswith(tuple(guesses)) for w in column_words(str(h)))
    ]
    if role.endswith("_id"):
        likely = [h for h in likely if "name" not in column_words(h)]
        if len(likely) > 1:
            likely = [h for h in likely if ID_WORDS & set(column_words(h))]
    return likely[0] if len(likely) == 1 else None


@dataclasses.dataclass(frozen=True)
class Rows:
    """How a table's rows are named in its problems: `unit` "line" (a CSV file's lines, as an
    editor shows them), "row" (a Parquet file's rows, from 1) or "row label" (a frame's index).
    A batch's frame carries each row's line, row or label as its index."""

    file: str
    unit: str = "line"
    #: a frame's labels ("row label"), for its problems' order: by position, not by label
    labels: pd.Index | None = dataclasses.field(default=None, compare=False, repr=False)

    def name(self, at: Any) -> str:
        """ "line 3", "row 3", "row label 7": a row as an error names it."""
        return f"{self.unit} {at}"

    def order(self, problem: Problem) -> tuple[int, int]:
        """Where a problem of this table is, for sorting (`file_order`); a frame's row label
        by the row's position (labels 9, 3 are its rows 0, 1)."""
        where = file_order(problem)
        if self.labels is None or problem.row is None or where[0] != 1:
            return where
        return 1, int(self.labels.get_loc(where[1]))

    def problem(self, at: Any, column: str | None, value: str, expected: str) -> Problem:
        """The problem of the row at `at` (its line, row or label)."""
        if self.unit == "line":
            return Problem(self.file, int(at), column, value, expected)
        return Problem(self.file, None, column, value, expected, self.name(at))


def frame_rows(frame: pd.DataFrame, file: str) -> tuple[pd.DataFrame, Rows]:
    """A frame and how its problems name its rows: by label ("row label 7") when its labels
    are unique integers, else by position from 0 ("row position 2"): the labels of a
    concatenated frame name no one row, and a frame indexed by student id would put the ids
    in every problem and warning."""
    index = frame.index
    if index.is_unique and pd.api.types.is_integer_dtype(index.dtype):
        return frame, Rows(file, "row label", index)
    return frame.set_axis(pd.RangeIndex(len(frame))), Rows(file, "row position")


def mastery_table_placement(
    frame: pd.DataFrame,
    source: str = "earlier records",
    file: str = "<frame>",
    catalog: Catalog | None = None,
    skill_map: SkillMap | SkillMapping | str | os.PathLike | None = None,
) -> Placement:
    """Placement from earlier records: rows (student_id, skill_id, mastery in [0, 1]).

    A prior year's mastery export, or a transcript mapped to skills (a score scaled to [0, 1]).
    Students are placed "from <source>", or in the words of an optional `source` column (one
    per student, as `Placement.to_frame` writes it).
    Every row is checked as `read_placement` checks a file's, its skills against `catalog` when
    given (a skill of another catalog would place nothing, without a word: pass it); a problem
    names the row by its label in the frame ("row label 7": a frame has no lines), or by its
    position where labels repeat or are no integers (`frame_rows`).
    `skill_map` reads codes of another year as this catalog's skills, as `read_placement`'s
    does (it needs `catalog`). A table whose masteries or sources look wrong as a whole is
    warned of as `read_placement` warns (`TableValues`).
    """
    check_placement_columns(frame, file)
    skill_map = SkillMap.of(skill_map, catalog)
    renamed = tally_of(skill_map)
    frame, rows = frame_rows(frame, file)
    found = new_found()
    roles = [*PLACEMENT_COLUMNS, *([SOURCE_COLUMN] if SOURCE_COLUMN in frame else [])]
    blanks = RowDrops()  # notices the refused blanks, for the frame's own hint
    table = checked_frame(frame[roles], rows, catalog, found, renamed, blanks)
    found["duplicate"] = duplicate_problems(table, rows, skill_map)
    sources: dict[str, str] = {}
    if SOURCE_COLUMN in table:
        more = sources_of_students(
            table["student_id"], table[SOURCE_COLUMN], rows, sources, room(found, "source")
        )
        add_found(found, "source", more)
    raise_problems(
        list(found.values()),
        hint=FRAME_BLANK_HINT if blanks.refusal_has_droppable else "",
        rows=rows,
    )
    if renamed is not None:
        renamed.warn(file)
    values = TableValues()
    values.add(table)
    values.warn(file, {})
    return checked_rows_placement(table, source, sources)


def checked_rows_placement(
    table: pd.DataFrame, source: str, sources: Mapping[str, str]
) -> Placement:
    """The `Placement` of rows checked already (trimmed ids, masteries in [0, 1], one row per
    (student, skill)): `mastery_table_placement` after its checks, and the Spark engine's
    executors, whose rows the driver checked (`spark_placement`). Students are placed in
    their own words (`sources`: student -> source) or "placed from <source>"."""
    student, students = pd.factorize(table["student_id"], sort=True)
    skill, skills = pd.factorize(table["skill_id"], sort=True)
    mastery = np.full((len(students), len(skills)), np.nan)
    mastery[student, skill] = table["mastery"].to_numpy()
    said = tuple(sources.get(s, f"placed from {source}") for s in students)
    return Placement(tuple(students), tuple(skills), mastery, said)


#: How a frame's own column names are given (`mastery_table_placement` reads its roles by
#: name: it takes no columns=).
FRAME_OWN_NAMES = (
    "rename the frame's columns, e.g. frame.rename(columns={'Student ID': 'student_id', "
    "'Standard': 'skill_id', 'Mastery': 'mastery'})"
)


def check_placement_columns(frame: pd.DataFrame, file: str) -> None:
    """A missing column of (student_id, skill_id, mastery) is one problem, listing the columns
    the table has, and several are one problem of its columns, as a file's (`role_names`);
    so is a column the table has twice (which would it be?)."""
    header = list(map(str, frame.columns))
    problems = header_problems(header, PLACEMENT_COLUMNS, file, None)
    found = _found(list(frame.columns))
    missing = [c for c in PLACEMENT_COLUMNS if c not in header]
    if not problems and len(missing) > 1:
        problems = [roles_missing(PLACEMENT_TABLE, missing, found, file, None, FRAME_OWN_NAMES)]
    elif missing:
        problems += [
            Problem(file, None, c, None, f"a column of the mastery table (found: {found})")
            for c in missing
        ]
    if problems:
        hint = refusal_hint(header_kind(list(frame.columns)), "placement", f"{file}: ")
        raise DataValidationError(problems, hint=hint)


def _found(header: Sequence[object]) -> str:
    """The first columns a table has, for an error about its columns; never a first line of
    JSON read as a header (a profile's line holds a student id)."""
    if len(header) and str(header[0]).lstrip("\ufeff \t").startswith(("{", "[")):
        return "a line of JSON, not column names"
    return column_names(header[:8]) or "none"


def header_problems(
    header: Sequence[str], names: Sequence[str], file: str, line: int | None = 1
) -> list[Problem]:
    """A column the table has twice among `names` (the columns it is read by), as the log
    reader says it."""
    seen = pd.Index(header)
    return [
        Problem(file, line, name, name, "unique column names in the header")
        for name in names
        if (seen == name).sum() > 1
    ]


def checked_frame(
    frame: pd.DataFrame,
    rows: Rows,
    catalog: Catalog | None,
    found: dict[str, Found],
    renamed: SkillMapTally | None = None,
    drops: RowDrops | None = None,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The table's (student_id, skill_id, mastery) as read: ids as trimmed text, mastery as
    float (NaN where refused), the frame's index kept (each row's line, row or label). Skills
    are read through the read's skill map first (`renamed`: the rows of retired codes left out,
    counted there; the file's own code kept as `CODE_COLUMN`, for a problem to quote the
    file, not the map). With `drops` (the read's `RowDrops`), rows of a blank mastery are
    left out and counted there where it drops them, else noticed for its hint. Every row
    checked (a skill of `catalog` when one is given), the problems added to `found`; a skill
    column that holds the students' ids, the student column the skills, is one problem
    (`swapped_problem`, naming `columns`' student column), never each id quoted."""
    student = trimmed_ids(frame["student_id"])
    skill = trimmed_ids(frame["skill_id"])
    code = skill
    if renamed is not None:
        skill, keep = renamed.apply(student, skill)
        if not keep.all():
            frame, student, skill, code = frame[keep], student[keep], skill[keep], code[keep]
    if drops is not None and drops.drop:
        blank = blank_cells(frame["mastery"])
        if blank.any():
            drops.add("blank", frame[blank])
            keep = ~blank
            frame, student, skill, code = frame[keep], student[keep], skill[keep], code[keep]
    add_found(
        found, "student_id", id_problems(student, "student_id", rows, room(found, "student_id"))
    )
    skills = id_problems(skill, "skill_id", rows, room(found, "skill_id"))
    swapped = catalog is not None and swapped_problem(student, skill, rows, catalog, columns)
    if swapped:
        found["swapped"] = ([swapped], 1)  # said once, whichever batches show it
    elif catalog is not None:  # both the first by order: an empty skill may follow an unknown one
        names = drops.names if drops is not None else READER_NAMES
        more = skill_problems(skill, rows, catalog, room(found, "skill_id"), names)
        skills = (sorted(skills[0] + more[0], key=rows.order), skills[1] + more[1])
    add_found(found, "skill_id", skills)
    mastery, problems = read_mastery(frame["mastery"], rows, room(found, "mastery"))
    add_found(found, "mastery", problems)
    if drops is not None and not drops.drop and problems[1]:  # refused: noticed for the hint
        refused = np.isnan(mastery)
        drops.refusal_has_droppable |= bool(blank_cells(frame["mastery"][refused]).any())
    checked = {"student_id": student, "skill_id": skill, "mastery": mastery}
    if renamed is not None:
        checked[CODE_COLUMN] = code
    if SOURCE_COLUMN in frame:
        source = trimmed_ids(frame[SOURCE_COLUMN])
        add_found(found, "source", source_problems(source, rows, room(found, "source")))
        checked[SOURCE_COLUMN] = source
    return pd.DataFrame(checked, index=frame.index)


def source_problems(source: pd.Series, rows: Rows, limit: int = MAX_LISTED) -> Found:
    """Rows whose source (trimmed) is longer than `MAX_SOURCE`: a reason is one short phrase
    (a cell holding a whole note, or another column's text, is not)."""
    long = np.flatnonzero((source.str.len() > MAX_SOURCE).to_numpy())
    listed = [
        rows.problem(source.index[i], SOURCE_COLUMN, _clip(source.iloc[i]), SOURCE_EXPECTED)
        for i in long[:limit]
    ]
    return listed, len(long)


def sources_of_students(
    student: pd.Series, source: pd.Series, rows: Rows, known: dict[str, str], limit: int
) -> Found:
    """Each student's source, set from their first row with one (into `known`: student ->
    source); a later row giving the same student another source is a problem naming the
    source it contradicts (which one would the reasons say?). An empty source says nothing."""
    named = (source != "").to_numpy() & (student != "").to_numpy()
    who, text = student[named], source[named]
    firsts = text.groupby(who.to_numpy(), sort=False).first()
    # once per student and batch (mapping by the whole dict would copy it on every batch)
    standing = {s: known.setdefault(s, first) for s, first in firsts.items()}
    theirs = who.map(standing)
    bad = np.flatnonzero((text != theirs).to_numpy())
    listed = [
        rows.problem(text.index[i], SOURCE_COLUMN, _clip(text.iloc[i]), one_source(theirs.iloc[i]))
        for i in bad[:limit]
    ]
    return listed, len(bad)


def one_source(first: str) -> str:
    """What a row giving its student another source than `first` (their first row's) expected."""
    return f"one source per student (an earlier row of theirs says {first!r})"


def trimmed_ids(values: pd.Series) -> pd.Series:
    """Ids as the response-log readers read them (`adaptive.data.log`): text, trimmed, a number
    as its digits (7 and 7.0 are "7"); "" where the id is missing, for `id_problems` to refuse
    (a missing id read as "None" or "nan" would be a student of that name)."""
    missing = values.isna().to_numpy()
    text = _id_text(values)
    return text.mask(missing, "") if missing.any() else text


def id_problems(ids: pd.Series, column: str, rows: Rows, limit: int = MAX_LISTED) -> Found:
    """Rows whose id (trimmed: `trimmed_ids`) is empty."""
    empty = np.flatnonzero((ids == "").to_numpy())
    listed = [rows.problem(ids.index[i], column, "", ID_EXPECTED) for i in empty[:limit]]
    return listed, len(empty)


def skill_problems(
    skill: pd.Series,
    rows: Rows,
    catalog: Catalog,
    limit: int = MAX_LISTED,
    names: OptionNames = READER_NAMES,
) -> Found:
    """Skill ids the catalog lacks (a typo would place nobody on that skill; a skill removed
    from the catalog since the file was written), one problem each at its first row, with how
    many rows name it and the catalog's skill it most likely means ("G6.NS.1": 'g6.NS.1'; ids
    are never case-folded: that is the user's to fix), and how to map it as `names` words
    the skill map (`OptionNames.map_hint`). An empty id is `id_problems`'."""
    ids = catalog.skill_index.astype(str)
    unknown = np.flatnonzero((~skill.isin(ids) & (skill != "")).to_numpy())
    values = skill.iloc[unknown]
    rows_of = values.value_counts(sort=False)
    first = pd.Series(unknown, index=values.to_numpy()).groupby(level=0, sort=False).first()
    listed = []
    for value, i in first.iloc[:limit].items():
        close = closest_name(value, ids.tolist())
        hint = f"did you mean {close!r}? if it is {RENAMED}, " if close else f"{RENAMED}? "
        n = int(rows_of[value])
        more = f"; {n:,} rows name it" if n > 1 else ""
        hint = f" ({hint}{names.map_hint()}){more}"
        listed.append(rows.problem(skill.index[i], "skill_id", value, SKILL_EXPECTED + hint))
    return listed, len(first)


#: A skill column none of whose values is a skill, beside a student column most of whose are.
SWAPPED_EXPECTED = (
    f"{SKILL_EXPECTED}: none of the column's values is one, while most of the student column's "
    "({}) are: the columns look swapped; give the students' column as student_id and the "
    "skills' as skill_id"
)


def swapped_problem(
    student: pd.Series,
    skill: pd.Series,
    rows: Rows,
    catalog: Catalog,
    columns: Mapping[str, str] | None = None,
) -> Problem | None:
    """The one problem of a table read with its student and skill columns swapped: no value
    of the skill column is a skill of `catalog`, and most rows of the student column name one.
    Each row's "got '71208'; expected a skill" would quote every student's id in an error that
    reaches a job's log, and not say why; this names the columns (`columns`: the file's own
    names), no value. None for a table read the right way round."""
    ids = catalog.skill_index.astype(str)
    named = skill[skill != ""]
    if not len(named) or named.isin(ids).any():
        return None
    students = student[student != ""]
    if not len(students) or students.isin(ids).mean() < 0.5:
        return None
    column = (columns or {}).get("student_id", "student_id")
    return Problem(rows.file, None, "skill_id", None, SWAPPED_EXPECTED.format(repr(column)))


def read_mastery(raw: pd.Series, rows: Rows, limit: int = MAX_LISTED) -> tuple[np.ndarray, Found]:
    """Each row's mastery (NaN where refused) and the rows refused: not a number in [0, 1],
    missing, or a boolean (True is no mastery). What to do is said, never guessed: a column of
    percentages ("85", "85%": `_percent_column`) is to be divided by 100, a lone "85%" among
    fractions written 0.85, "0,85" written with a decimal point."""
    value = pd.to_numeric(raw, errors="coerce").to_numpy(np.float64, na_value=np.nan, copy=True)
    value[_booleans(raw)] = np.nan
    bad = np.flatnonzero(np.isnan(value) | (value < 0) | (value > 1))
    percent = len(bad) > 0 and _percent_column(value, raw.iloc[bad])
    listed = [
        rows.problem(raw.index[i], "mastery", cell_text(raw.iloc[i]),
                     _mastery_expected(raw.iloc[i], percent))
        for i in bad[:limit]
    ]  # fmt: skip
    value[bad] = np.nan
    return value, (listed, len(bad))


def _percent_column(value: np.ndarray, refused: pd.Series) -> bool:
    """Whether a column (a batch of it) reads as percentages, 0-100: its numbers in [0, 100]
    (but a few in a hundred: a -1 or a 105 typed among them) and most of those that are not 0
    (with the cells written "85%") above 1. A lone 85% or 95 among fractions is no such column:
    dividing the column by 100 would make its 0.95 a 0.0095. Zeros read the same either way: an
    export that was 53% "0%" had no hint on any of its 28,000 refused lines."""
    numbers = value[~np.isnan(value)]
    inside = (numbers >= 0) & (numbers <= 100)
    if 100 * int((~inside).sum()) > len(numbers):
        return False
    text = refused.astype("string").str.strip()
    signed = int((text.str.endswith("%") & text.str[:-1].str.strip().str.len().gt(0)).sum())
    above = int((inside & (numbers > 1)).sum()) + signed
    return 2 * above > int((inside & (numbers != 0)).sum()) + signed


def _booleans(raw: pd.Series) -> np.ndarray:
    """Which values are booleans (numbers to `pd.to_numeric`, never a mastery). A column of
    objects (a frame's) is looked at value by value, as the log reader's mixed time columns
    are; a file's column is text or one type."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        return np.ones(len(raw), bool)
    if raw.dtype != object:
        return np.zeros(len(raw), bool)
    return np.fromiter((isinstance(v, bool | np.bool_) for v in raw.to_numpy()), bool, len(raw))


def cell_text(value: object) -> str:
    """A cell as a problem shows it: a missing value as empty."""
    return "" if pd.api.types.is_scalar(value) and pd.isna(value) else str(value)


def _mastery_expected(value: object, percent_column: bool) -> str:
    """What a refused mastery should have been, and what to do where its form says it: in a
    column that reads as percentages (`percent_column`), a number in (1, 100] or "85%" is to
    be divided by 100 with the rest of the column; a lone "85%" among fractions is written
    0.85; a decimal comma ("0,85") is written as a point, both for a European system's
    "85,5 %"; a boolean ("True") is a yes/no, not a P(known); a blank or a not-assessed mark
    is a skill not assessed, whose row is to be left out."""
    if _not_assessed(value):
        return MASTERY_EXPECTED + BLANK_HINT
    if isinstance(value, bool | np.bool_) or (
        isinstance(value, str) and value.strip().casefold() in ("true", "false")
    ):
        return MASTERY_EXPECTED + BOOLEAN_HINT
    text = value.strip() if isinstance(value, str) else ""
    percent_sign = text.endswith("%")
    body = text[:-1].strip() if percent_sign else text
    number = float(value) if isinstance(value, int | float | np.number) else _number(body)
    point = _number(body.replace(",", ".")) if body.count(",") == 1 else None
    percent_form = percent_sign and (point is not None or number is not None)
    in_column = percent_column and (percent_form or (number is not None and 1 < number <= 100))
    hints = [PERCENT_HINT.strip(" ()")] if in_column else []
    lone = percent_form and not in_column  # "85%" among fractions: this cell, not the column
    if point is not None:
        value_of = point / 100 if in_column or lone else point
        write = f"write {value_of:g}, with" if 0 <= value_of <= 1 else "write numbers with"
        hints += ["a percentage"] if lone else []
        hints.append(
            f"it has a decimal comma: {write} a decimal point; from Excel, save the file with "
            "'.' as the decimal separator"
        )
    elif lone and number is not None and 0 <= number <= 100:
        hints.append(f"a percentage: write {number / 100:g}")
    return MASTERY_EXPECTED + (f" ({'; '.join(hints)})" if hints else "")


def _number(text: str) -> float | None:
    """The number a text reads as, or None."""
    try:
        return float(text)
    except ValueError:
        return None


def duplicate_problems(
    table: pd.DataFrame, rows: Rows, skill_map: SkillMap | None = None, limit: int = MAX_LISTED
) -> Found:
    """Rows repeating an earlier row's (student, skill), each naming that earlier row (rows
    with an empty id are `id_problems`'), in the file's own codes (`repeat_problem`)."""
    ok = ((table["student_id"] != "") & (table["skill_id"] != "")).to_numpy()
    keys = table[ok]
    student, _ = pd.factorize(keys["student_id"])
    skill, skills = pd.factorize(keys["skill_id"])
    _, first, inverse = np.unique(
        student.astype(np.int64) * max(len(skills), 1) + skill,
        return_index=True,
        return_inverse=True,
    )
    earlier = first[inverse]
    again = np.flatnonzero(earlier != np.arange(len(keys)))
    listed = [
        repeat_problem(rows, keys["skill_id"].iloc[i], (keys.index[i], _cells(keys, i)),
                       (keys.index[earlier[i]], _cells(keys, earlier[i])), skill_map)
        for i in again[:limit]
    ]  # fmt: skip
    return listed, len(again)


#: A row of a checked table, for a repeat's problem: its line (row, label) and its cells
#: besides the ids (mastery, source, the file's code: `_cells`).
RowCells = tuple[Any, dict[str, object]]


def _cells(frame: pd.DataFrame, i: int) -> dict[str, object]:
    """Row `i`'s cells besides its ids (mastery, source, the file's code) as read: an
    identical row is a table exported twice."""
    return {c: frame[c].iloc[i] for c in frame.columns if c not in ("student_id", "skill_id")}


def _same_cells(row: Mapping[str, object], other: Mapping[str, object]) -> bool:
    """Whether two rows' cells (mastery, source, code) are all the same (NaN as NaN)."""
    return all(
        a == b or (pd.isna(a) and pd.isna(b))
        for a, b in zip(row.values(), other.values(), strict=True)
    )


def repeat_problem(
    rows: Rows, skill: str, row: RowCells, earlier: RowCells, skill_map: SkillMap | None
) -> Problem:
    """The problem of a row repeating the (student, skill) of the row `earlier`: its value the
    file's own code (not the skill a map read it as); where a skill map read the two rows'
    codes as one skill, what the map did, naming its entries (a trial's map sent "4.G.1" onto
    "g4.G.2" by a typo: the error quoted 'g4.G.2', which neither line of the file held)."""
    (at, cells), (where, theirs) = row, earlier
    code, their_code = str(cells.get(CODE_COLUMN, skill)), str(theirs.get(CODE_COLUMN, skill))
    if code == their_code or skill_map is None:
        expected = repeat_expected(rows.name(where), theirs, cells)
    else:
        expected = mapped_repeat_expected(rows.name(where), code, their_code, skill, skill_map)
    return rows.problem(at, "skill_id", code, expected)


def mapped_repeat_expected(
    earlier: str, code: str, their_code: str, skill: str, skill_map: SkillMap
) -> str:
    """What a row whose code `code` a skill map reads as the `skill` of the row `earlier`
    (whose code is `their_code`) expected: "one row per (student, skill): line 536's '4.G.1'
    is read as 'g4.G.2' too: two codes read as one skill (skill map map.csv maps '4.G.1' (line
    2) and '4.G.2' (line 3) to 'g4.G.2'; a typo in the map?)"."""
    entries = [skill_map.entry(c) for c in (their_code, code) if c in skill_map.codes]
    return (
        f"{DUPLICATE_EXPECTED}: {earlier}'s {their_code!r} is read as {skill!r} too: two codes "
        f"read as one skill ({skill_map.source} maps {' and '.join(entries)} to {skill!r}; a "
        "typo in the map?)"
    )


def repeat_expected(
    earlier: str,
    theirs: Mapping[str, object] | None = None,
    ours: Mapping[str, object] | None = None,
) -> str:
    """What a row repeating the (student, skill) of the row `earlier` ("line 2") expected.
    `theirs` and `ours`: the earlier row's cells and this row's besides the ids, as read
    (mastery; source and the file's code where the table has them: `_cells`). Every cell the
    same is a table exported twice (safe to drop); else what differs is said, so that the user
    sees which values conflict without opening the file ("line 2 has the same student and
    skill: mastery 0.8 there, 0.7 here"). Both engines word a repeat through `repeat_problem`
    (the Spark engine's rows carry mastery, source and the file's code)."""
    if theirs is None or ours is None:
        return f"{DUPLICATE_EXPECTED} ({earlier} has the same student and skill)"
    if _same_cells(ours, theirs):
        return f"{DUPLICATE_EXPECTED} ({_identical_to(earlier)}, safe to drop)"
    return f"{DUPLICATE_EXPECTED} ({earlier} has the same student and skill{_differ(theirs, ours)})"


def _differ(theirs: Mapping[str, object], ours: Mapping[str, object]) -> str:
    """What two rows of one (student, skill) disagree on, as `repeat_expected` says it: their
    masteries where those differ (each as precisely as tells them apart: 0.8 and 0.8000001
    are two values), else their sources where the table has a source column and they differ;
    "" where neither (the rows differ in a cell said elsewhere)."""
    there, here = theirs.get("mastery"), ours.get("mastery")
    if not _same_cells({"m": there}, {"m": here}):
        a, b = _mastery_words(there, here)
        return f": mastery {a} there, {b} here"
    if theirs.get(SOURCE_COLUMN, "") != ours.get(SOURCE_COLUMN, ""):
        return f" and mastery {_mastery_words(there, here)[0]}, but another source"
    return ""


def _mastery_words(*values: object) -> tuple[str, ...]:
    """Checked rows' masteries as a repeat's problem says them: each number in its shortest
    form (`:g`), or in full (`repr`, the shortest text that reads back as the same float)
    where the short forms of two different numbers would look the same; "none read" where a
    row's mastery was refused (a problem of its own)."""
    numbers = [float(v) if isinstance(v, int | float | np.number) else math.nan for v in values]
    short = [f"{n:g}" for n in numbers]
    same_look = len(set(short)) < len(set(n for n in numbers if not math.isnan(n)))
    return tuple(
        "none read" if math.isnan(n) else (repr(n) if same_look else text)
        for n, text in zip(numbers, short, strict=True)
    )


def dropped_repeat_expected(earlier: str) -> str:
    """Why a row identical to the row `earlier` was left out, as its quarantine file says."""
    return f"{DUPLICATE_EXPECTED} ({_identical_to(earlier)}; {FIRST_STANDS})"


def dropped_repeat_reasons(column: str, unit: str, earlier: pa.ChunkedArray) -> pa.ChunkedArray:
    """The quarantine reason of each row left out as identical to an earlier one, whose line
    (row) `earlier` holds: `dropped_repeat_expected` as `quarantine_reason` words it (the
    problem's `column`, the rows named by `unit`), built column-wise (a table exported twice
    is millions of rows, never Python strings) from the text before that row's number and
    the text after it."""
    from adaptive.data.io import quarantine_reason

    opening = quarantine_reason(Problem("", None, column, None, f"{DUPLICATE_EXPECTED} ("))
    before = f"{opening}{IDENTICAL_TO} {unit} "
    after = f"{IDENTICAL_WHAT}; {FIRST_STANDS})"
    return pc.binary_join_element_wise(before, pc.cast(earlier, pa.string()), after, "")


#: A row given twice, as its refusal and its quarantine file say it, before and after the
#: row it repeats ("identical to" "line 2" "in student, skill and mastery: ...").
IDENTICAL_TO = "identical to"
IDENTICAL_WHAT = " in student, skill and mastery: a row given twice"
#: What became of a row given twice that was left out, as its quarantine reason says it.
FIRST_STANDS = "the first stands"


def _identical_to(earlier: str) -> str:
    """A row given twice, as its refusal and its quarantine file say it."""
    return f"{IDENTICAL_TO} {earlier}{IDENTICAL_WHAT}"


def raise_problems(
    found: Sequence[Found],
    columns: Mapping[str, str] | None = None,
    hint: str = "",
    rows: Rows | None = None,
) -> None:
    """One `DataValidationError` with every kind's problems (named by the file's own columns
    when `columns` maps them; `hint` after them), in the file's order (`rows.order`, a
    frame's by position; else `file_order`: whoever fixes the file goes top to bottom), or
    nothing when there are none. Each kind lists its first 20 only: the list stops where a
    kind that has more stops (`listed_in_order`), the rest counted ("... and 512 more"),
    never a later line listed where an earlier one of another kind is left out."""
    order = rows.order if rows is not None else file_order
    total = sum(n for _, n in found)
    if total:
        problems = [_in_file_terms(p, columns or {}) for p in listed_in_order(found, order)]
        raise DataValidationError(problems, total=total, hint=hint)


def listed_in_order(
    found: Sequence[Found], order: Callable[[Problem], tuple[int, int]]
) -> list[Problem]:
    """Every kind's listed problems in `order` (stable: one row's problems stay in the order
    of KINDS), up to the last listed of a kind that has more (its next one, not listed, may
    come before any later line of another kind)."""
    problems = sorted((p for listed, _ in found for p in listed), key=order)
    cut = [max(map(order, listed)) for listed, n in found if listed and n > len(listed)]
    return [p for p in problems if order(p) <= min(cut)] if cut else problems


def file_order(problem: Problem) -> tuple[int, int]:
    """Where a problem is in its file, for sorting: a problem of the whole file (its header,
    a table's "columns") first, then by line, or by the number a table without lines names
    its row by ("row 3", "row label 7"), then any other row last."""
    if problem.line is not None:
        return 1, problem.line
    if problem.row is None or problem.row == COLUMNS_PLACE:
        return 0, 0
    number = problem.row.rsplit(" ", 1)[-1]
    return (1, int(number)) if number.lstrip("-").isdigit() else (2, 0)


def raise_other_kind(file: str, kind: FileKind | None, form: TableForm) -> None:
    """A file of JSON (`kind`, its `file_kind`) given as a table of `form` is one problem
    saying what it is (JSON lines of profiles: give it as --profiles), never its first line
    read as a header: a profile's line holds a student id."""
    if kind in JSON_KINDS:
        expected = f"{form.expected()}; {kind.hint()}"
        raise DataValidationError([Problem(file, 1, None, None, expected)])


def placement_columns(given: Mapping[str, str] | None) -> dict[str, str]:
    """The roles a user named (`columns=`), checked: only student_id, skill_id, mastery and the
    optional source."""
    return named_roles(given, PLACEMENT_COLUMNS, SOURCE_COLUMN, "placement columns")


def named_roles(
    given: Mapping[str, str] | None, roles: Sequence[str], optional: str, what: str
) -> dict[str, str]:
    """A table's `columns=` (role -> the file's column), checked: a role that is neither one of
    `roles` nor the `optional` one is a `ConfigError` naming the roles there are, with the one
    it most likely means ({"skill": ...}: did you mean 'skill_id'?), as every unknown key is
    said (`unknown_keys`)."""
    columns = dict(given or {})
    unknown = sorted(set(columns) - {*roles, optional})
    if unknown:
        said = unknown_keys(unknown, [*roles, optional], "role")
        raise ConfigError(f"{what}: {said} ({optional} is optional)")
    return columns


#: A skill-rename map as given: a placement file's code -> this catalog's skill id, or None for
#: a retired skill (its rows left out); or the path of a map file (`read_skill_map`).
SkillMapping = Mapping[str, str | None]
SKILL_MAP_HEADER = ("code", "skill_id")
SKILL_MAP_FORM = (
    "a CSV file whose first line is the header 'code,skill_id' and each other line a code of "
    "the placement file and this catalog's skill id (empty: a retired skill, whose rows are left "
    "out), or a .json file holding one object {code: skill id, or null}"
)
SKILL_MAP_LINE = "2 fields: a code of the placement file, this catalog's skill id (empty: retired)"


@dataclasses.dataclass(frozen=True)
class SkillMap:
    """A placement file's codes read as this catalog's skills (`skill_map=`): a renamed code
    (last year's "4.NS.1") as its skill ("g4.NS.1"), a retired code's rows left out. Applied
    before every other skill check (`checked_frame`), so a code neither in the catalog nor in
    the map is refused as without one. The map is a setting, never changed by a read: what one
    read of a file does through it is counted in that read's own `SkillMapTally`."""

    codes: Mapping[str, str | None]
    source: str = "skill_map"  # how messages name the map
    #: each code's line in a CSV map file (none for a JSON file or a mapping given in Python)
    lines: Mapping[str, int] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(
        cls, given: SkillMap | SkillMapping | str | os.PathLike | None, catalog: Catalog | None
    ) -> SkillMap | None:
        """The map given (a mapping, or a map file's path: `read_skill_map`), its targets
        checked against `catalog`: one that is no skill of it is one `ConfigError` naming the
        entry, with the catalog's likely spelling."""
        if given is None:
            return None
        if isinstance(given, SkillMap):  # read already (a night's, for its fingerprint too)
            skill_map = given
        elif isinstance(given, str | os.PathLike):
            skill_map = cls(*_read_map_file(Path(given)))
        elif isinstance(given, Mapping):
            skill_map = cls(_checked_mapping(given))
        else:
            raise TypeError(
                "skill_map: expected a mapping {code in the file: this catalog's skill id, or "
                f"None for a retired skill}} or the path of a map file; got {type(given).__name__}"
            )
        if not skill_map.codes:
            raise ConfigError(
                f"{skill_map.source} has no entries (a header only): it renames nothing; give "
                "the map with its lines, or leave it out"
            )
        if catalog is None:
            raise ConfigError(
                f"{skill_map.source} maps codes to this catalog's skills: pass catalog= too "
                "(its targets are checked against it)"
            )
        skill_map.check_targets(catalog)
        return skill_map

    def check_targets(self, catalog: Catalog) -> None:
        """Every target a skill of `catalog`: the others are one `ConfigError` naming each
        entry (a map written for another catalog, a typo in a target)."""
        names = catalog.skill_index.astype(str).tolist()
        known = set(names)
        bad = [(c, t) for c, t in self.codes.items() if t is not None and t not in known]
        if not bad:
            return
        said = []
        for code, target in bad[:MAX_LISTED]:
            close = closest_name(target, names)
            said.append(
                f"{code!r} -> {target!r}" + (f" (did you mean {close!r}?)" if close else "")
            )
        swapped = all(code in known for code, _ in bad)
        hint = (
            ": the columns look swapped (each code is this catalog's skill): code is the "
            "placement file's (last year's) code, skill_id this catalog's"
            if swapped
            else ""
        )
        raise ConfigError(
            f"{self.source}: {counted(len(bad), 'entry', 'entries')} naming no skill of the "
            f"catalog: {some_of(said, MAX_LISTED)}; expected a skill id of the catalog, or "
            f"nothing for a retired skill (its rows are left out){hint}"
        )

    def entry(self, code: str) -> str:
        """A code of the map as a user finds it: "'4.G.1' (line 2)" in a CSV map file."""
        line = self.lines.get(code)
        return f"{code!r} (line {line})" if line else repr(code)

    def digest(self) -> str:
        """The map as text for a night's fingerprint (another map: another night's output)."""
        return json.dumps(dict(self.codes), sort_keys=True)


@dataclasses.dataclass
class SkillMapTally:
    """One read of a file through a `SkillMap`: the map applied to each batch (`apply`), and
    what it did counted (rows, codes and students left out, codes used) for the read's one
    `PlacementWarning` (`warn`). Each read makes its own (`tally_of`), so a map given to two
    reads never adds up their counts."""

    skill_map: SkillMap
    dropped_rows: int = 0
    dropped_codes: set[str] = dataclasses.field(default_factory=set)
    dropped_students: set[str] = dataclasses.field(default_factory=set)
    used: set[str] = dataclasses.field(default_factory=set)

    def apply(self, student: pd.Series, skill: pd.Series) -> tuple[pd.Series, np.ndarray]:
        """The skills read through the map, and which rows to keep (not a retired code's),
        counted for `warn`."""
        codes_of = self.skill_map.codes
        known = skill.isin(list(codes_of)).to_numpy()
        if not known.any():
            return skill, np.ones(len(skill), bool)
        codes = skill[known]
        target = codes.map(codes_of)
        retired = target.isna().to_numpy()
        self.used.update(codes.unique().tolist())
        self.dropped_rows += int(retired.sum())
        self.dropped_codes.update(codes[retired].unique().tolist())
        self.dropped_students.update(s for s in student[known][retired].unique().tolist() if s)
        keep = np.ones(len(skill), bool)
        keep[np.flatnonzero(known)[retired]] = False
        mapped = skill.copy()
        mapped[known] = target.where(~retired, "").to_numpy()
        return mapped, keep

    def warn(self, file: str, stacklevel: int = 3) -> None:
        """One `PlacementWarning` saying the rows of retired codes left out (rows, codes,
        students; never their ids) and the map's codes the file never names (a map made for
        another file?); nothing when neither."""
        source = self.skill_map.source
        said = []
        if self.dropped_rows:
            codes = sorted(self.dropped_codes)
            said.append(
                f"{counted(self.dropped_rows, 'row')} of {counted(len(codes), 'retired skill')} "
                f"({some_of(codes, 5)}) left out, as {source} says "
                f"({counted(len(self.dropped_students), 'student')})"
            )
        unused = sorted(set(self.skill_map.codes) - self.used)
        if unused:
            said.append(
                f"{counted(len(unused), 'code')} of {source} {verb(len(unused), 'is')} in no "
                f"row ({some_of(unused, 5)}): a map made for another file?"
            )
        if said:
            warnings.warn(f"{file}: {'; '.join(said)}", PlacementWarning, stacklevel=stacklevel)


def tally_of(skill_map: SkillMap | None) -> SkillMapTally | None:
    """A new read's tally of `skill_map` (None without a map)."""
    return SkillMapTally(skill_map) if skill_map is not None else None


#: What a map entry's target is expected to be, in each form (a CSV cell, JSON, Python).
MAP_TARGET = "this catalog's skill id (text), or nothing for a retired skill (null, None or '')"
#: After a NaN target: a map built with pandas from the map file (`dict(zip(df.code,
#: df.skill_id))`) holds NaN where the file's cell is blank.
PANDAS_BLANK_HINT = "; a blank cell read by pandas: use None"

#: A fault of a map's entry: its code as given, its target, what was expected.
MapFault = tuple[str, object, str]


def _map_entries(pairs: Iterable[tuple[Any, Any]]) -> tuple[dict[str, str | None], list[MapFault]]:
    """A map's (code, target) pairs as read, as the CSV form reads its lines: codes and targets
    trimmed (as ids are everywhere), an empty target None (a retired skill); and the entries
    refused: an empty code (it would map the rows without a skill), a target that is not text
    (NaN, a blank cell as pandas reads it, says to use None), a code given twice once trimmed
    (one would overwrite the other without a word)."""
    codes: dict[str, str | None] = {}
    faults: list[MapFault] = []
    for code, target in pairs:
        key = str(code).strip()
        if not key:
            faults.append((str(code), target, "a non-empty code"))
        elif target is not None and not isinstance(target, str):
            blank = isinstance(target, float) and math.isnan(target)
            faults.append((str(code), target, MAP_TARGET + (PANDAS_BLANK_HINT if blank else "")))
        elif key in codes:
            faults.append((str(code), target, f"one entry per code ({key!r} is mapped already)"))
        else:
            codes[key] = (target or "").strip() or None
    return codes, faults


def _checked_mapping(given: Mapping[Any, Any]) -> dict[str, str | None]:
    """A mapping given in Python as the map, read as `_map_entries` reads it; the entries it
    refuses are one `ConfigError` naming each."""
    codes, faults = _map_entries(given.items())
    if faults:
        said = [f"{c!r} -> {type(t).__name__} {_clip(repr(t))}: expected {e}" for c, t, e in faults]
        raise ConfigError(
            f"skill_map: {counted(len(faults), 'entry', 'entries')} not read: "
            f"{some_of(said, MAX_LISTED)}"
        )
    return codes


class _JsonObject(dict):
    """A JSON object as read, with its (key, value) pairs in order, a key given twice included
    (a dict keeps its last value without a word)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs


def read_skill_map(path: str | os.PathLike) -> dict[str, str | None]:
    """A skill-rename map file (`--placement-skill-map`): a .json file holding one object
    {code: skill id, or null}, or a CSV file (`,`, `;` or tab, told from the header) whose
    first line is the header `code,skill_id` and each other line a code of the placement file
    and this catalog's skill id, empty for a retired skill. UTF-8 (an Excel BOM and CRLF are
    fine); blank lines are skipped. Any other form is one `DataValidationError` naming the
    file, the line and what was expected (a file without the header would lose its first
    code without a word)."""
    return dict(_read_map_file(Path(path))[0])


def _read_map_file(path: Path) -> tuple[dict[str, str | None], str, dict[str, int]]:
    """A map file's codes (`read_skill_map`), how messages name it, and each code's line (a
    CSV file's; none for JSON): a `SkillMap`'s fields."""
    if not path.is_file():
        raise ConfigError(f"skill map {path} not found; expected {SKILL_MAP_FORM}")
    text = read_user_text(path, f"a skill map: {SKILL_MAP_FORM}", allow_blank=False)
    if path.suffix.casefold() == ".json":
        return _json_skill_map(text, str(path)), f"skill map {path}", {}
    codes, lines = _csv_skill_map(text, str(path))
    return codes, f"skill map {path}", lines


def _json_skill_map(text: str, file: str) -> dict[str, str | None]:
    """A JSON skill map: one object of code -> skill id or null, read as `_map_entries` reads
    it (a key given twice is refused too); each entry refused is one problem naming its code."""
    try:
        doc = json.loads(text, object_pairs_hook=_JsonObject)
    except json.JSONDecodeError as exc:
        problem = Problem(file, exc.lineno, None, _clip(exc.msg), f"JSON ({SKILL_MAP_FORM})")
        raise DataValidationError([problem]) from None
    if not isinstance(doc, _JsonObject):
        got = type(doc).__name__
        raise DataValidationError([Problem(file, None, None, got, SKILL_MAP_FORM)])
    codes, faults = _map_entries(doc.pairs)
    if faults:
        raise DataValidationError(
            [Problem(file, None, c, _clip(json.dumps(t)), e) for c, t, e in faults]
        )
    return codes


def _csv_skill_map(text: str, file: str) -> tuple[dict[str, str | None], dict[str, int]]:
    """A CSV skill map: the header `code,skill_id` (its first line that is not blank), then a
    code and its skill per line; returns the codes and each one's line."""
    at, first = next(((n, t) for n, t in enumerate(text.splitlines(), 1) if t.strip()), (1, ""))
    sep = next((s for s in (",", ";", "\t") if _header_fields(first, s) == SKILL_MAP_HEADER), None)
    if sep is None:
        expected = f"the header {','.join(SKILL_MAP_HEADER)!r} ({SKILL_MAP_FORM})"
        raise DataValidationError([Problem(file, at, None, _clip(first), expected)])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    codes: dict[str, str | None] = {}
    lines: dict[str, int] = {}
    problems = []
    for fields in reader:
        line = reader.line_num
        cells = [f.strip() for f in fields]
        if line <= at or not any(cells):
            continue  # the header, or a blank line
        if len(cells) != 2:
            problems.append(Problem(file, line, None, _clip(sep.join(fields)), SKILL_MAP_LINE))
        elif not cells[0]:
            problems.append(Problem(file, line, "code", "", "a non-empty code"))
        elif cells[0] in lines:
            expected = f"one line per code (line {lines[cells[0]]} maps it already)"
            problems.append(Problem(file, line, "code", cells[0], expected))
        else:
            codes[cells[0]], lines[cells[0]] = cells[1] or None, line
    if problems:
        raise DataValidationError(problems)
    return codes, lines


def _header_fields(line: str, sep: str) -> tuple[str, ...]:
    """A header line's fields split at `sep`, trimmed."""
    return tuple(f.strip() for f in next(csv.reader([line], delimiter=sep), []))


def read_placement(
    path: str | Path,
    catalog: Catalog,
    columns: Mapping[str, str] | None = None,
    batch_rows: int = BATCH_ROWS,
    skill_map: SkillMap | SkillMapping | str | os.PathLike | None = None,
    *,
    drop_blank_and_identical: bool = False,
    quarantine: str | os.PathLike | None = None,
) -> Placement:
    """A placement table from a CSV or Parquet file (student_id, skill_id, mastery in [0, 1]):
    a prior year's mastery, a transcript mapped to skills, or a diagnostic's `to_frame()`.

    `columns` names the file's own columns where they differ, e.g. `{"student_id": "Student
    ID", "skill_id": "Standard", "mastery": "Mastery"}`; errors then name the file's column.
    Every row is checked (see the module), and every problem of the file is one
    `DataValidationError` naming the line an editor shows (a Parquet file's row). Ids are read
    as text ("007" stays "007"), trimmed. Its students are placed "from <file name>", or in
    the words of its optional `source` column (`SOURCE_COLUMN`: what `Placement.to_frame`
    writes, e.g. "placed by diagnostic (12 questions)"; one per student).

    `skill_map` reads a file written under other codes: {code in the file: this catalog's
    skill id, or None for a retired skill}, or the path of a map file (`read_skill_map`).
    A mapped code is read as its skill (two codes of one student mapped onto one skill are a
    repeated row); a retired code's rows are left out, counted in one `PlacementWarning`
    (with the map's codes no row names); a target the catalog lacks is a `ConfigError`.

    A blank mastery (a skill not assessed) and a row identical to an earlier one (a table
    exported twice) are refused, as every problem is, unless `drop_blank_and_identical`: their
    rows are then left out (an identical row's first stands) and counted in one
    `PlacementWarning` with their lines; `quarantine` (a CSV path, as the log reader's
    `quarantine=`) does so too, and writes them there with their reasons. A row giving the
    same student and skill another mastery is still refused, as are the table's other
    problems.

    The file is read `batch_rows` rows at a time into the placement's (students x skills)
    table, so a district's whole table (400,000 students x 120 skills: 48 M rows) never sits
    in memory as rows. Dropping keeps 4 bytes more per (student, skill) cell where the file
    has a source column or is read through a skill map (each cell's first source and code, to
    tell an identical row), and 8 more with a quarantine file (each cell's first line, which
    a row given twice names): 192 and 384 MB at 400,000 x 120."""
    reading = PlacementReading(
        columns, skill_map, drop_blank_and_identical, quarantine, names=READER_NAMES
    )
    return _read(path, catalog, reading, batch_rows)[0]


def _read(
    path: str | os.PathLike,
    catalog: Catalog,
    reading: PlacementReading,
    batch_rows: int,
) -> tuple[Placement, RowDrops]:
    """The one reading of a placement file, behind `read_placement` and
    `PlacementReading.read_counted`: the file at `path` read with `reading`'s options (a
    refusal naming the opt-ins as `reading.names` words them), and the read's `RowDrops`, which
    holds how many rows it left out and wrote aside."""
    path = placement_path(path)
    columns = placement_columns(reading.columns)
    drops = RowDrops.of(
        reading.drop_blank_and_identical, reading.quarantine, path, reading.skill_map, reading.names
    )
    skill_map = SkillMap.of(reading.skill_map, catalog)
    renamed = tally_of(skill_map)
    rows = rows_of(path)
    skills = catalog.skill_index.astype(str)
    table = _DenseTable(len(skills), forms=drops.drop, lines=drops.quarantine is not None)
    found = new_found()
    repeats: list[Repeat] = []  # the listed repeats
    total = 0
    sources: dict[str, str] = {}  # student -> the source their rows give
    values = TableValues()
    batches = checked_batches(path, catalog, columns, found, batch_rows, renamed, drops)
    for frame, raw in batches:
        values.add(frame)
        if SOURCE_COLUMN in frame:
            more = sources_of_students(
                frame["student_id"], frame[SOURCE_COLUMN], rows, sources, room(found, "source")
            )
            add_found(found, "source", more)
        again, same, earlier = _fill(table, skills, frame)
        if same.any():
            drops.add("identical", raw.loc[frame.index[again[same]]], earlier[same])
            again = again[~same]
        total += len(again)
        repeats += [
            (frame["student_id"].iloc[i], frame["skill_id"].iloc[i], (frame.index[i],
             _cells(frame, i)))
            for i in again[: MAX_LISTED - len(repeats)]
        ]  # fmt: skip
    again = _repeat_problems(path, columns, rows, repeats, batch_rows, skill_map, drops)
    found["duplicate"] = (again, total)
    raise_problems(list(found.values()), columns, hint=drops.hint())
    placement = table.placement(skills, f"placed from {path.name}", sources)
    check_places_someone(path, len(placement.students), renamed)
    if renamed is not None:
        renamed.warn(str(path))
    drops.write(columns, rows)
    drops.warn(str(path), rows)
    values.warn(str(path), columns)
    return placement, drops


@dataclasses.dataclass(frozen=True)
class PlacementReading:
    """How a placement file is read besides its path and catalog: `read_placement`'s options,
    as a night (`run_daily_job`'s keywords) and the commands (`batch`, `recommend`,
    `validate`: their flags) take them, and how their messages name them (`names`). One value
    for the set, so that each command passes it whole and says one rule one way
    (`check_needs_file`)."""

    columns: Mapping[str, str] | None = None
    skill_map: SkillMap | SkillMapping | str | os.PathLike | None = None
    drop_blank_and_identical: bool = False
    quarantine: str | os.PathLike | None = None

    #: how its messages name the options: a night's keywords, or the commands' flags
    names: OptionNames = NIGHT_NAMES

    #: The options, by their field (`read_placement`'s keyword), in the order a message names
    #: them.
    OPTIONS: ClassVar[tuple[str, ...]] = (
        "columns",
        "skill_map",
        "drop_blank_and_identical",
        "quarantine",
    )

    def given(self) -> list[str]:
        """The options given (an empty mapping, False or None is none), as `names` words
        them."""
        return [self.names.of(name) for name in self.OPTIONS if getattr(self, name)]

    def given_drops(self) -> list[str]:
        """The options given that leave rows out, as `names` words them (a quarantine with
        "FILE" for its path)."""
        drop = [self.names.of("drop_blank_and_identical")] if self.drop_blank_and_identical else []
        kept = [self.names.of("quarantine", "FILE")] if self.quarantine is not None else []
        return drop + kept

    def drops(self) -> bool:
        """Whether rows are to be left out (`drop_blank_and_identical`, or a quarantine)."""
        return self.drop_blank_and_identical or self.quarantine is not None

    def check_needs_file(self, placement: object) -> None:
        """A `ConfigError` where options are given without a placement file to read (none,
        or a `Placement` in memory)."""
        given = self.given()
        if given and not isinstance(placement, str | os.PathLike):
            raise ConfigError(
                f"{' and '.join(given)} {verb(len(given), 'is')} for reading a placement file "
                f"given as {self.names.of('')}: pass the file too"
            )

    def read(
        self, path: str | os.PathLike, catalog: Catalog, batch_rows: int = BATCH_ROWS
    ) -> Placement:
        """The placement file at `path`, read with these options as `read_placement` reads
        it, a refusal naming them as its user takes them (`names`)."""
        return self.read_counted(path, catalog, batch_rows)[0]

    def read_counted(
        self, path: str | os.PathLike, catalog: Catalog, batch_rows: int = BATCH_ROWS
    ) -> tuple[Placement, RowDrops]:
        """`read`, and the read's `RowDrops`: the rows it left out and wrote to the quarantine
        (`RowDrops.quarantined`), counted as they were read, never read back from the file."""
        return _read(path, catalog, self, batch_rows)


@dataclasses.dataclass
class SourceLook:
    """What a table's sources read as, judged value by value as its batches come (the Spark
    engine's driver holds no student's data, so no set of the values is kept), for
    `warn_source_not_words`. Empty sources say nothing and are not looked at."""

    seen: bool = False  # a source was given
    words: bool = False  # a source reads as neither a date nor a number
    numbers: bool = True  # every source reads as a number
    whole: bool = True  # every source reads as a whole number
    dates: bool = True  # every source reads as a date
    first: str | None = None  # the first source (in sorted order): the example
    first_date: str | None = None  # the first source that reads as a date

    def add(self, sources: pd.Series) -> None:
        """A batch's sources (trimmed text, "" where none) looked at."""
        said = pd.Series(pd.unique(sources[sources != ""].to_numpy()), dtype=object)
        if not len(said) or self.words:
            self.seen |= bool(len(said))
            return
        self.seen = True
        numbers = pd.to_numeric(said, errors="coerce")
        with warnings.catch_warnings():  # pandas' note on day-first dates: no business of ours
            warnings.simplefilter("ignore")
            dates = pd.to_datetime(said, errors="coerce", format="mixed").notna()
        if not (numbers.notna() | dates).all():
            self.words = True
            return
        self.numbers &= bool(numbers.notna().all())
        self.whole &= bool((numbers == numbers.round()).all())
        self.dates &= bool(dates.all())
        self.first = min([said.min(), *([self.first] if self.first else [])])
        if dates.any():
            first = said[dates].min()
            self.first_date = min(first, self.first_date) if self.first_date else first

    @property
    def all_whole_numbers(self) -> bool:
        """Every source given reads as a whole number (a student's id column, perhaps: such
        values are counted, never quoted)."""
        return self.seen and not self.words and self.numbers and self.whole


@dataclasses.dataclass
class TableValues:
    """What a placement table's values look like as a whole, gathered batch by batch (`add`)
    by every reader of a table (`read_placement`, `mastery_table_placement`, the Spark
    engine's driver), for the table's two warnings (`warn`): a judgement of the whole table,
    said once (a school's rows alone would judge a part). Holds no row: the largest mastery,
    how many there are and what the sources read as."""

    largest: float = -np.inf
    count: int = 0
    sources: SourceLook = dataclasses.field(default_factory=SourceLook)

    def add(self, frame: pd.DataFrame) -> None:
        """A checked batch (`checked_frame`: mastery as float, NaN where refused)."""
        mastery = frame["mastery"].to_numpy(np.float64)
        values = mastery[~np.isnan(mastery)]
        if len(values):
            self.largest = max(self.largest, float(values.max()))
            self.count += len(values)
        if SOURCE_COLUMN in frame:
            self.sources.add(frame[SOURCE_COLUMN])

    def warn(self, file: str, columns: Mapping[str, str]) -> None:
        """The table's warnings, its columns named as the file names them (`columns`)."""
        warn_hundredths(self, file, columns.get("mastery", "mastery"))
        warn_source_not_words(self.sources, file, columns.get(SOURCE_COLUMN, SOURCE_COLUMN))


def warn_source_not_words(look: SourceLook, file: str, column: str) -> None:
    """Say (`PlacementWarning`) when every source of a table reads as a date or a number: a
    fourth `--placement-columns` name pointing at the file's "Last Assessed" column made
    "12.06.2026" each student's placement reason, without a word. The reasons still say them
    (nothing is dropped). An example is given, except where every value is a whole number
    (ids, perhaps: never quoted)."""
    if not look.seen or look.words:
        return
    if look.numbers:
        kind = "whole numbers" if look.whole else "numbers"
        example = "" if look.whole else f" (e.g. {look.first!r})"
    else:
        kind = "dates" if look.dates else "dates or numbers"
        example = f" (e.g. {look.first_date!r})"
    warnings.warn(
        f"{file}: the source column {column!r} holds {kind}{example}, not where students were "
        "placed: is it the right column? The reasons say its values as they are; a source "
        "says where a placement came from ('placed by diagnostic (12 questions)')",
        PlacementWarning,
        stacklevel=4,
    )


def warn_hundredths(values: TableValues, file: str, column: str) -> None:
    """Say (`PlacementWarning`) when every mastery of a table is at most `HUNDREDTHS`, and not
    all 0: a 0-1 column divided by 100 again would place every student as knowing nothing, and
    be read without a word (a percentage column, 0-100, is refused; this one cannot be told for
    sure). A table of zeros says nobody knows anything, more likely than a division."""
    if values.count and 0 < values.largest <= HUNDREDTHS:
        warnings.warn(
            f"{file}, column {column!r}: every mastery is at most {HUNDREDTHS} (the largest "
            f"{values.largest:g}, of {values.count:,} values): a 0-1 column divided by 100? "
            "Every student it places starts as knowing none of its skills; multiply the column "
            "by 100 if so",
            PlacementWarning,
            stacklevel=4,
        )


def placement_path(path: object) -> Path:
    """`read_placement`'s file as a path; anything else one TypeError saying what a Placement
    is made from (a frame given as it is ended in "expected str, bytes or os.PathLike")."""
    if isinstance(path, str | os.PathLike):
        return Path(path)
    frame = " (a frame: use mastery_table_placement(frame, catalog=...))"
    raise TypeError(
        "read_placement: expected the path of a placement file (CSV or Parquet: student_id, "
        f"skill_id, mastery); got {type(path).__name__}"
        f"{frame if isinstance(path, pd.DataFrame) else ''}. A Placement is made by "
        f"{MAKE_PLACEMENT.removeprefix('adaptive.placement: ')}"
    )


def check_places_someone(path: Path, rows: int, renamed: SkillMapTally | None = None) -> None:
    """A table without a row (a header only: an export of the wrong term, a filter left on)
    places nobody: refused, where a night would otherwise run as if it placed its students;
    so is one whose every row is of a skill its skill map retires (`renamed`: the read's)."""
    if rows == 0 and renamed is not None and renamed.dropped_rows:
        raise ConfigError(
            f"{path}: every row ({renamed.dropped_rows:,}) is of a skill "
            f"{renamed.skill_map.source} retires: the placement table places nobody (a map made "
            "for another file?)"
        )
    if rows == 0:
        raise ConfigError(
            f"{path}: the placement table has no rows (a header only): it places nobody. Give "
            "the table with its rows, or leave the placement out"
        )


def _fill(
    table: _DenseTable, skills: pd.Index, frame: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A checked batch's rows put in the table; returns the positions of those repeating a
    (student, skill) set before, which of them are identical to that first row (mastery,
    source and the file's code; only where the table keeps `forms`, else none) and that first
    row's line (where the table keeps `lines`, else 0). A row with an empty id or an unknown
    skill is a problem of its own, left out."""
    codes, named = pd.factorize(frame["skill_id"])  # a few skills: look each up once
    cols = skills.get_indexer(named)[codes] if len(codes) else np.zeros(0, np.int64)
    ok = np.flatnonzero((cols >= 0) & (frame["student_id"] != "").to_numpy())
    part = frame.iloc[ok]
    rows = table.rows(part["student_id"])
    again, same, earlier = table.fill(
        rows, cols[ok], part["mastery"].to_numpy(), table.form_ids(part), part.index.to_numpy()
    )
    return ok[again], same, earlier


#: A row repeating an earlier (student, skill): the student, skill, its line (row) and its
#: other cells as read (`_cells`).
Repeat = tuple[str, str, RowCells]


def _repeat_problems(
    path: Path,
    columns: Mapping[str, str],
    rows: Rows,
    repeats: list[Repeat],
    batch_rows: int,
    skill_map: SkillMap | None = None,
    drops: RowDrops | None = None,
) -> list[Problem]:
    """The problems of rows repeating an earlier row's (student, skill), each naming the first
    row of its pair, "identical" where their cells are too (noticed in `drops`, which
    refuses them, for its hint): the file is read a second time for them (an error's path
    only: the (students x skills) table keeps no line per cell unless a quarantine file is
    written)."""
    if not repeats:
        return []
    pairs = pd.MultiIndex.from_tuples([(s, k) for s, k, _ in repeats])
    first: dict[tuple[str, str], RowCells] = {}
    again = tally_of(skill_map)  # a read of its own: the first read's tally says the counts
    skipped = RowDrops(drops.drop) if drops is not None else None  # as the first read did
    for frame in placement_batches(path, columns, new_found(), batch_rows):
        read = checked_frame(frame, rows, None, new_found(), again, skipped)
        keys = pd.MultiIndex.from_arrays([read["student_id"], read["skill_id"]])
        for i in np.flatnonzero(keys.isin(pairs)):
            first.setdefault(keys[i], (read.index[i], _cells(read, i)))
        if len(first) == len(pairs.unique()):
            break
    if drops is not None and not drops.drop:
        drops.refusal_has_droppable |= any(
            _same_cells(row[1], first[(s, k)][1]) for s, k, row in repeats
        )
    return [
        repeat_problem(rows, skill, row, first[(student, skill)], skill_map)
        for student, skill, row in repeats
    ]


def new_found() -> dict[str, Found]:
    """No problem found yet, for each kind `checked_batches` looks for."""
    return {kind: ([], 0) for kind in KINDS}


def room(found: dict[str, Found], kind: str) -> int:
    """How many more problems of a kind may be listed (the rest are counted)."""
    return MAX_LISTED - len(found[kind][0])


def add_found(found: dict[str, Found], kind: str, more: Found) -> None:
    """`more` problems of a kind: the first 20 listed, all counted."""
    listed, total = found[kind]
    found[kind] = ((listed + more[0])[:MAX_LISTED], total + more[1])


def rows_of(path: Path) -> Rows:
    """How the rows of the placement file at `path` are named: a CSV's lines, a Parquet
    file's rows."""
    return Rows(str(path), "row" if file_format(path)[0] == "parquet" else "line")


def checked_batches(
    path: Path,
    catalog: Catalog,
    columns: Mapping[str, str],
    found: dict[str, Found],
    batch_rows: int = BATCH_ROWS,
    renamed: SkillMapTally | None = None,
    drops: RowDrops | None = None,
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Each batch of the file as `checked_frame` reads it (its index: each row's line, or a
    Parquet file's row) and as the file wrote it (the roles' raw cells, the same index: what a
    quarantine file holds); every row checked on the way, the problems added
    to `found` (the caller raises them when the file is read: every problem of a file in one
    error). Lines skip blank lines and rows the file could not parse: the index, not the
    first line, says each row's. Skills are read through the read's skill map first (`renamed`:
    its `SkillMapTally`, counting what the map did)."""
    rows = rows_of(path)
    row_text = drops is not None and drops.quarantine is not None  # for its raw_text
    for batch in placement_batches(path, columns, found, batch_rows, row_text=row_text):
        yield checked_frame(batch, rows, catalog, found, renamed, drops, columns), batch


def placement_batches(
    path: Path,
    columns: Mapping[str, str],
    found: dict[str, Found],
    batch_rows: int = BATCH_ROWS,
    form: TableForm | None = None,
    *,
    row_text: bool = False,
) -> Iterator[pd.DataFrame]:
    """The file's role columns (`form`'s: a placement table's student_id, skill_id, mastery
    by default) in batches of at most `batch_rows` rows, as stored (a CSV's cells as text: ids
    such as "007" stay), each row's line (a Parquet file's row) as the index; with
    `row_text`, a CSV file's rows' text too (`RAW_TEXT`, `row_texts`). The header is
    checked first: a missing or doubled column is an error at once; rows the file cannot give
    are added to `found` ("rows")."""
    form = form or PLACEMENT_TABLE
    check_placement_file(path, form)
    kind, compression = file_format(path)
    if kind != "parquet":
        yield from _csv_batches(path, kind, compression, columns, found, batch_rows, form, row_text)
    elif compression:  # refused as the log reader refuses it
        expected = "an uncompressed .parquet file (Parquet compresses itself)"
        raise DataValidationError([Problem(str(path), None, None, None, expected)])
    else:
        yield from _parquet_batches(path, columns, batch_rows, form)


def _parquet_batches(
    path: Path, columns: Mapping[str, str], batch_rows: int, form: TableForm
) -> Iterator[pd.DataFrame]:
    """A Parquet file's batches; the index counts its rows from 1."""
    from adaptive.data.readers import streamed_parquet

    try:
        parquet = streamed_parquet(path)
        names = role_names(parquet.schema_arrow.names, columns, str(path), None, form)
        start = 1
        read = list(dict.fromkeys(names.values()))  # a column two roles name is read once
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=read):
            arrays = [_decoded(batch.column(name)) for name in names.values()]
            yield _frame(list(names), arrays, np.arange(start, start + batch.num_rows))
            start += batch.num_rows
    except (OSError, pa.ArrowException) as exc:
        raise ConfigError(
            f"{form.name} {path}: not a readable CSV or Parquet table ({exc})"
        ) from exc


def _decoded(arr: pa.Array) -> pa.Array:
    """A dictionary-encoded column as its values (pandas would make it categorical)."""
    return arr.dictionary_decode() if pa.types.is_dictionary(arr.type) else arr


def _frame(roles: Sequence[str], arrays: Sequence[pa.Array], index: np.ndarray) -> pd.DataFrame:
    """The roles' columns as a frame indexed by each row's line or row."""
    return pd.DataFrame(
        {role: arr.to_pandas() for role, arr in zip(roles, arrays, strict=True)}
    ).set_axis(pd.Index(index, dtype=np.int64))


def _csv_batches(
    path: Path,
    kind: str,
    compression: str | None,
    columns: Mapping[str, str],
    found: dict[str, Found],
    batch_rows: int,
    form: TableForm,
    row_text: bool = False,
) -> Iterator[pd.DataFrame]:
    """A CSV file's batches (gzipped too; fields separated as the header says, `read_header`),
    indexed by each row's line. Every column is read (as bytes), so that a line break inside a
    quoted cell of any column moves the lines that follow, and a column that is no UTF-8 is no
    problem unless it is one of the roles'. Rows of empty cells (blank lines, Excel's ",,") hold
    nothing and are skipped; rows with too few or too many fields are problems."""
    file = str(path)
    header, sep = read_header(path, compression, None, kind)
    names = role_names(header, columns, file, 1, form)
    at = {role: header.index(name) for role, name in names.items()}
    lines = CsvLines(file, header, sep)
    try:
        for block in open_csv(path, compression, len(header), sep, lines):
            for start in range(0, block.num_rows, batch_rows):
                part = block.slice(start, batch_rows)
                frame = csv_frame(part, at, lines, found, sep if row_text else None)
                add_found(found, "rows", lines.take_problems())
                if len(frame):
                    yield frame
    except (pa.ArrowInvalid, OSError) as exc:
        raise unreadable(file, compression, exc, line=_readable_lines(path, compression)) from None
    lines.finish()
    add_found(found, "rows", lines.take_problems())


def open_csv(
    path: Path, compression: str | None, n_fields: int, sep: str, lines: CsvLines
) -> Iterator[pa.RecordBatch]:
    """pyarrow's reader of a CSV file's rows after the header: every field as bytes, blank
    lines kept (a blank line is a line: counted, then skipped), unparsed rows to `lines`."""
    import pyarrow.csv as pacsv

    names = [str(i) for i in range(n_fields)]  # unique, whatever the header repeats
    return pacsv.open_csv(
        pa.input_stream(str(path), compression=compression),
        read_options=pacsv.ReadOptions(
            use_threads=False, block_size=CSV_BLOCK_BYTES, column_names=names, skip_rows=1
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=sep,
            ignore_empty_lines=False,
            newlines_in_values=True,
            invalid_row_handler=lines.unparsed,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.binary()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def csv_frame(
    batch: pa.RecordBatch,
    at: Mapping[str, int],
    lines: CsvLines,
    found: dict[str, Found],
    text_sep: str | None = None,
) -> pd.DataFrame:
    """One batch of a CSV file: its rows' lines, rows of empty cells left out, the roles'
    cells decoded (a cell that is no UTF-8 is a problem); with `text_sep` (the file's
    separator), each row's text too (`RAW_TEXT`: `row_texts`)."""
    breaks = np.zeros(batch.num_rows, np.int64)
    length = np.zeros(batch.num_rows, np.int64)
    for column in batch.columns:
        breaks += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
        length += pc.binary_length(column).to_numpy(zero_copy_only=False)
    line = lines.of(batch.num_rows, breaks)
    keep = (length > 0) & ~lines.repeated_header(batch, line)
    kept = line[keep]
    arrays = []
    for role, i in at.items():
        arr, bad = _decode_utf8(batch.column(i).filter(pa.array(keep)))
        listed = [Problem(lines.file, int(kept[r]), role, v, "UTF-8 text") for r, v in bad]
        add_found(found, "rows", (listed[: room(found, "rows")], len(bad)))
        arrays.append(arr)
    if text_sep is None:
        return _frame(list(at), arrays, kept)
    text = row_texts(batch.filter(pa.array(keep)), text_sep)
    return _frame([*at, RAW_TEXT], [*arrays, text], kept)


def row_texts(batch: pa.RecordBatch, sep: str) -> pa.Array:
    """Each CSV row's text, as a quarantine file's raw_text gives it: every field (not only
    the roles': a row set aside keeps its other columns) joined by the file's `sep`, a field
    holding `sep`, a quote or a line break quoted as a CSV writer quotes it (a row read back
    from the text is the row read); built column-wise. A field that is no UTF-8 is shown
    with replacement characters (a role's is a problem of its own)."""
    fields = [_csv_field(column, sep) for column in batch.columns]
    joined = pc.binary_join_element_wise(*fields, pa.scalar(sep.encode(), pa.binary()))
    return _decode_utf8(joined)[0]


def _csv_field(field: pa.Array, sep: str) -> pa.Array:
    """A column of CSV fields as a CSV writer writes them: quoted where needed."""
    quoted = pc.binary_join_element_wise(
        pa.scalar(b'"'), pc.replace_substring(field, '"', '""'), pa.scalar(b'"'), pa.scalar(b"")
    )
    needs = pc.match_substring(field, sep)
    for special in ('"', "\n", "\r"):
        needs = pc.or_(needs, pc.match_substring(field, special))
    return pc.if_else(needs, quoted, field)


class CsvLines:
    """The line an editor shows for each row of a CSV file as pyarrow reads it. pyarrow counts
    records (the header is record 1; a blank line is a record; a quoted cell holding line
    breaks makes one record of several lines) and reports the records it cannot parse (too few
    or too many fields) as it reads, ahead of the batches it returns. Those are problems, at
    their own lines; so are rows repeating the `header` (`repeated_header`)."""

    def __init__(self, file: str, header: list[str], sep: str) -> None:
        self.file, self.header, self.n_fields, self.sep = file, header, len(header), sep
        self.next_record = 2  # the record of the next parsed row
        self.breaks = 0  # line breaks inside the records before it
        #: unparsed records not placed yet: (record, its line breaks, its fields, its text
        #: while it may still be listed)
        self.pending: list[tuple[int, int, int, str | None]] = []
        self.problems: list[Problem] = []
        self.count = 0
        self.seen = 0

    def unparsed(self, row: Any) -> str:
        """pyarrow's `invalid_row_handler`: the row is kept for `of` and skipped."""
        self.seen += 1
        text = row.text if self.seen <= MAX_LISTED else None  # the rest are counted only
        self.pending.append((int(row.number), row.text.count("\n"), row.actual_columns, text))
        return "skip"

    def of(self, n: int, breaks: np.ndarray) -> np.ndarray:
        """The lines of the next `n` parsed rows, whose cells hold `breaks` line breaks each;
        the unparsed records among them become problems."""
        skipped = np.array([p[0] for p in self.pending], np.int64)
        records = np.arange(self.next_record, self.next_record + n + len(skipped))
        records = records[~np.isin(records, skipped)][:n]
        last = records[-1] if n else self.next_record - 1
        return self._place(records, breaks, last)[: len(records)]

    def repeated_header(self, batch: pa.RecordBatch, line: np.ndarray) -> np.ndarray:
        """(n,) the rows of `batch` (at `line`) that repeat the header, as files joined into
        one have (`readers.repeats_header`, the log reader's rule): each is one problem, not
        cells that are no ids, skills or masteries."""
        again = repeats_header(batch.columns, self.header)
        for at in line[again].tolist():
            self.count += 1
            if len(self.problems) < MAX_LISTED:
                self.problems.append(
                    Problem(self.file, int(at), None, None, REPEATED_HEADER_EXPECTED)
                )
        return again

    def finish(self) -> None:
        """Place the unparsed records after the last parsed row."""
        last = max([self.next_record - 1, *(p[0] for p in self.pending)])
        self._place(np.zeros(0, np.int64), np.zeros(0, np.int64), last)

    def _place(self, records: np.ndarray, breaks: np.ndarray, last: int) -> np.ndarray:
        """Lines of `records` followed by those of the unparsed records up to `last`, whose
        problems are kept; everything up to `last` counted."""
        gone = [p for p in self.pending if p[0] <= last]
        self.pending = [p for p in self.pending if p[0] > last]
        every = np.concatenate([records, np.array([p[0] for p in gone], np.int64)])
        spans = np.concatenate([breaks, np.array([p[1] for p in gone], np.int64)])
        order = np.argsort(every, kind="stable")
        before = np.empty(len(every), np.int64)
        before[order] = self.breaks + np.cumsum(spans[order]) - spans[order]
        line = every + before
        for (_, _, got, text), at in zip(gone, line[len(records) :], strict=True):
            self._add(int(at), text, got)
        self.breaks += int(spans.sum())
        self.next_record = int(last) + 1
        return line

    def _add(self, line: int, text: str | None, got: int) -> None:
        """An unparsed row as the log reader words it (listed while it has its text)."""
        expected = fields_expected(self.n_fields, self.sep, got)
        self.count += 1
        if text is not None:
            self.problems.append(Problem(self.file, line, None, _clip(text), expected))

    def take_problems(self) -> Found:
        """The unparsed rows placed since the last call."""
        found = (self.problems, self.count)
        self.problems, self.count = [], 0
        return found


def role_names(
    header: Sequence[str],
    columns: Mapping[str, str],
    file: str,
    line: int | None,
    form: TableForm | None = None,
) -> dict[str, str]:
    """The file's column of each of `form`'s roles (a placement table's by default; its own
    name where `columns` maps one; the optional role where the file has it, or `columns`
    names it). A named column the file lacks, a role it then lacks (with the column of the
    closest name) or a column it has twice is a `DataValidationError` listing the columns it
    has and how to name its own, and saying what the file looks like where it is another
    kind (`kinds.refusal_hint`; a file of JSON is one problem: `raise_other_kind`)."""
    form = form or PLACEMENT_TABLE
    names = {role: columns.get(role, role) for role in form.roles}
    optional = columns.get(form.optional, form.optional)
    if optional in header or form.optional in columns:  # named: then required
        names[form.optional] = optional
    found = _found(header)
    problems = header_problems(header, list(names.values()), file, line)
    problems += [
        Problem(
            file, None, name, None, f"a column of the file (found: {found}{_meant(name, header)})"
        )
        for name in columns.values()
        if name not in header
    ]
    missing = [role for role, name in names.items() if name not in header]
    if not problems and len(missing) == 1:
        role = missing[0]
        closest = _closest(names[role], header, role)
        expected = f"{form.words} (found: {found}{closest}); {form.own_names_for(header)}"
        problems = [Problem(file, None, role, None, expected)]
    elif not problems and missing:  # one problem, not one a role saying the same
        how = form.own_names_for(header)
        problems = [roles_missing(form, missing, found, file, line, how)]
    if problems:
        kind = table_kind(file, header)
        raise_other_kind(file, kind, form)
        hint = refusal_hint(kind, form.name, f"{file}: ")
        raise_problems([(problems, len(problems))], columns, hint=hint)
    return names


#: Where a problem of a table's columns is, in a table without lines (a Parquet file, a frame).
COLUMNS_PLACE = "columns"


def roles_missing(
    form: TableForm, missing: Sequence[str], found: str, file: str, line: int | None, how: str
) -> Problem:
    """The one problem of a table lacking several of `form`'s roles (`missing`; `found`: the
    columns it has), at its header's line, or at its "columns" where it has no lines (a
    Parquet file, a frame); `how`: how to name its own columns."""
    expected = f"{form.words} for each of {', '.join(missing)} (found: {found}); {how}"
    return Problem(file, line, None, None, expected, COLUMNS_PLACE if line is None else None)


def _meant(name: str, header: Sequence[str]) -> str:
    """'; did you mean 'Learner ID'?' for a column named (`columns=`, --placement-columns) that
    the file has in another case or spelling ("" when none is near)."""
    close = closest_name(name, [str(h) for h in header])
    return f"; did you mean {close!r}?" if close else ""


def _closest(name: str, header: Sequence[str], role: str) -> str:
    """'; did you mean 'Mastery'? (columns={'mastery': 'Mastery'})' for a column the file
    lacks whose near namesake it has ("" when none is near)."""
    close = closest_name(name, [str(h) for h in header])
    return f"; did you mean {close!r}? (columns={{{role!r}: {close!r}}})" if close else ""


class _DenseTable:
    """The (students x catalog skills) mastery of a placement table being read in batches:
    rows added as new student ids come, each cell set once (a second value is a repeat)."""

    def __init__(self, n_skills: int, forms: bool = False, lines: bool = False) -> None:
        """`forms`: keep each cell's other cells (source, the file's code) as a number, so
        that a repeat identical to its cell's first row is told (`RowDrops`); made at the
        first row that has any (a file with neither keeps none). `lines`: keep each cell's
        first line, which a row given twice names in a quarantine file."""
        self.ids: dict[str, int] = {}
        self.n_skills = n_skills
        self.values = np.full((0, n_skills), np.nan)
        self.seen = np.zeros((0, n_skills), bool)
        self.keep_forms = forms
        self.forms: np.ndarray | None = None
        self.form_of: dict[tuple[str, ...], int] = {}
        self.lines: np.ndarray | None = np.zeros((0, n_skills), np.int64) if lines else None

    def form_ids(self, part: pd.DataFrame) -> np.ndarray | None:
        """Each row's (source, code) as a number of this table (None where no forms are
        kept, or the rows have neither): rows of one number have the same cells besides ids
        and mastery."""
        named = [c for c in (SOURCE_COLUMN, CODE_COLUMN) if c in part]
        if not self.keep_forms or not named:
            return None
        if self.forms is None:
            self.forms = np.zeros(self.values.shape, np.int32)
        codes, uniques = pd.factorize(pd.MultiIndex.from_frame(part[named]))
        ids = np.array(
            [self.form_of.setdefault(tuple(u), len(self.form_of)) for u in uniques], np.int32
        )
        return ids[codes] if len(codes) else np.zeros(0, np.int32)

    def rows(self, student_ids: pd.Series) -> np.ndarray:
        """Row of each id, new ids added (the table grows by doubling)."""
        codes, uniques = pd.factorize(student_ids)
        ids = self.ids
        rows = np.array([ids.setdefault(u, len(ids)) for u in uniques.tolist()], np.int64)
        if len(ids) > len(self.values):
            size = max(len(ids), 2 * len(self.values), 1 << 16)
            self.values = _grown(self.values, size, np.nan)
            self.seen = _grown(self.seen, size, False)
            self.forms = None if self.forms is None else _grown(self.forms, size, 0)
            self.lines = None if self.lines is None else _grown(self.lines, size, 0)
        return rows[codes] if len(codes) else np.zeros(0, np.int64)

    def fill(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        mastery: np.ndarray,
        forms: np.ndarray | None,
        lines: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Set the cells; returns the positions that repeat a cell set before, in this batch
        or an earlier one (the first value stands), which of them are identical to it (its
        mastery and, where kept, its `forms`; none unless forms are kept) and its line (where
        `lines` are kept, else 0)."""
        key = rows * self.n_skills + cols
        _, first = np.unique(key, return_index=True)
        again = np.ones(len(key), bool)
        again[first] = False
        again |= self.seen[rows, cols]
        fresh = ~again
        self.values[rows[fresh], cols[fresh]] = mastery[fresh]
        self.seen[rows[fresh], cols[fresh]] = True
        at = np.flatnonzero(again)
        r, c = rows[at], cols[at]
        earlier = np.zeros(len(at), np.int64)
        if self.lines is not None:
            self.lines[rows[fresh], cols[fresh]] = lines[fresh]
            earlier = self.lines[r, c]
        if not self.keep_forms:
            return at, np.zeros(len(at), bool), earlier
        same = self.values[r, c] == mastery[at]
        if self.forms is not None and forms is not None:
            self.forms[rows[fresh], cols[fresh]] = forms[fresh]
            same &= self.forms[r, c] == forms[at]
        return at, same, earlier

    def placement(
        self, skills: pd.Index, source: str, sources: Mapping[str, str] | None = None
    ) -> Placement:
        """The table as a `Placement`: students and skills sorted by id, skills the file
        never named left out (as `mastery_table_placement` builds it); each student placed
        in the words `sources` gives them, else `source`."""
        n = len(self.ids)
        ids = np.array(list(self.ids), dtype=object)
        order = np.argsort(ids, kind="stable")
        present = np.flatnonzero(self.seen[:n].any(axis=0))
        present = present[np.argsort(skills[present].to_numpy(dtype=object), kind="stable")]
        mastery = self.values[np.ix_(order, present)]  # one copy, rows and columns at once
        students = pd.Series(ids[order], dtype=object)
        # mapped as text: an empty mapping gives a float column of NaN, whose fill with text
        # pandas deprecates (an app running with warnings as errors failed here)
        said = students.map(sources or {}).astype(object).where(lambda s: s.notna(), source)
        return Placement(tuple(students), tuple(skills[present]), mastery, tuple(said))


def _grown(matrix: np.ndarray, size: int, fill: object) -> np.ndarray:
    """`matrix` with rows added up to `size`, holding `fill`."""
    more = np.full((size - len(matrix), matrix.shape[1]), fill, matrix.dtype)
    return np.vstack([matrix, more])


def check_placement_file(path: Path, form: TableForm | None = None) -> None:
    """A missing file is one `ConfigError` saying what the file should hold (`form`'s roles:
    a placement table's by default)."""
    form = form or PLACEMENT_TABLE
    if not path.is_file():
        raise ConfigError(f"{form.name} {path} not found; expected {form.expected()}")


#: A placement table, as `role_names` and `placement_batches` read one.
PLACEMENT_TABLE = TableForm(
    "placement",
    PLACEMENT_COLUMNS,
    SOURCE_COLUMN,
    "a column of the mastery table",
    "for other column names pass columns= in Python, or --placement-columns on a command "
    "(batch, recommend, validate), e.g. --placement-columns 'Student ID,Standard,Mastery'",
    "--placement-columns",
    {
        "student_id": ("student", "learner", "pupil"),
        "skill_id": ("skill", "standard", "objective", "kc"),
        "mastery": ("mastery", "score", "known", "proficien", "percent"),
    },
)


def _in_file_terms(problem: Problem, columns: Mapping[str, str]) -> Problem:
    """A problem named by the file's own column (as the user knows it), not the role."""
    if problem.column in columns:
        return dataclasses.replace(problem, column=columns[problem.column])
    return problem


def placement_sha256(
    path: Path | str,
    columns: Mapping[str, str] | None = None,
    skill_map: SkillMap | None = None,
) -> str:
    """The digest of a placement file, the column names and the skill map it is read with (a
    night's fingerprint: another table, or the same read another way, is another night's
    output)."""
    digest = hashlib.sha256(file_sha256(path).encode())
    if columns:
        digest.update(json.dumps(dict(columns), sort_keys=True).encode())
    if skill_map is not None and skill_map.codes:
        digest.update(skill_map.digest().encode())
    return digest.hexdigest()
