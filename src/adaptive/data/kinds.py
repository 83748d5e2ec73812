"""What a file looks like, for a reader that refuses it: a placement table, a response log, a
diagnostic's answer sheet, a roster, JSON lines of learner profiles, a catalog, or another
table.

A file given to the wrong option (a placement table as `--profiles`, a CSV as `--catalog`, a
roster as `--placement`) was refused in the words of the reader it reached ("expected a column
of the mastery table", "Expecting value: line 1 column 1"), which says what it is not. Each
reader adds `refusal_hint(file_kind(path), reading)` to its refusal (`header_kind` of a frame's
columns): what the file is (told from its header's column names, or its first bytes for
JSON) and the option that reads it. The test is a guess made after a refusal, never a reason
to refuse or to read a file another way, and it never quotes a line of the file (a profile's
line holds a student id). The log's reader guesses only where it refuses the header
(`readers.refused_header`): a file with every column its mapping names is a log, whatever its
rows; the profiles reader where it refuses the first line or the header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from adaptive.errors import AdaptiveError


@dataclass(frozen=True)
class FileKind:
    """A kind of file the library reads: `name` (as `refusal_hint`'s `reading` names it),
    `words` (what it is, as a message says it) and `give` (how to give it instead)."""

    name: str
    words: str
    give: str

    def hint(self) -> str:
        """'this looks like a roster (student and grade columns): give it as --profiles'."""
        return f"this looks like {self.words}: {self.give}" if self.give else f"it is {self.words}"


PLACEMENT = FileKind(
    "placement",
    "a placement table (student_id, skill_id, mastery)",
    "give it as --placement (read_placement)",
)
LOG = FileKind("log", "a response log (student, item, correct)", "give it as --data (load_log)")
ROSTER = FileKind(
    "roster",
    "a roster (student and grade columns)",
    "make profiles of it, naming its columns (`adaptive profiles ROSTER --columns "
    "'student_id=...,grade=...' --out profiles.jsonl`), and give them as --profiles "
    "(read_profiles(path, columns={...}))",
)
PROFILES = FileKind(
    "profiles", "JSON lines of learner profiles", "give it as --profiles (read_profiles)"
)
CATALOG = FileKind("catalog", "a catalog (skills, activities)", "give it as --catalog")
ANSWER_SHEET = FileKind(
    "answers",
    "a diagnostic's answer sheet (student, question, correct)",
    "give it to PlacementDiagnostic.replay",
)
PYKT = FileKind(
    "pykt",
    "pyKT's preprocessed split (uid, concepts, responses: one row per student, comma-joined "
    "sequences)",
    "read it with adaptive.data.pykt.read_pykt(path), which returns the log and each "
    "student's fold (or write one row per response)",
)
#: A table of none of the kinds above, and JSON of none (said only where a reader wanted the other).
CSV_TABLE = FileKind("table", "a CSV file", "")
PARQUET_TABLE = FileKind("table", "a Parquet file", "")
JSON_FILE = FileKind("json", "a JSON file", "")
#: The kinds of JSON: a table reader never quotes their first line as a header.
JSON_KINDS = (PROFILES, CATALOG, JSON_FILE)
#: Kinds whose refusal is one problem saying what the file is, never its columns missing one
#: by one: JSON has no header, and a pyKT split's columns hold sequences no mapping reads.
WHOLE_FILE_KINDS = (*JSON_KINDS, PYKT)

#: Bytes read from the start of a file to tell JSON (a pretty-printed catalog names its
#: "skills" in its first lines).
HEAD_BYTES = 1 << 16
#: A roster's grade column: "grade", "Grade Level", "grade_level" (not a transcript's
#: "FinalGrade", a course grade).
_GRADE_COLUMN = re.compile(r"(student[ _]?)?grade([ _]?level)?")
_CATALOG_KEY = re.compile(rb'"(skills|activities)"\s*:')
#: Words of the columns a response log has and a placement table never does: what was answered
#: and when. A log of StudentID, ItemCode, StandardCode, Score, Timestamp has a placement
#: table's student, standard and score, and was once called one.
LOG_ONLY_WORDS = ("item", "question", "time")
#: Words of a skill column. An answer sheet has none (its question is the skill): an LMS
#: export of Question ID, Standard Code, Correct? is a response log.
_SKILL_WORDS = ("skill", "standard")


def header_kind(header: Sequence[object]) -> FileKind | None:
    """The kind a table's column names say it is, or None: a correct column beside a question
    column, and no item, time or skill column, is a diagnostic's answer sheet; beside an item, a
    question or a skill column, a response log, and so is a student column beside an item
    column (a log's answers may be a "Score"); a student, a skill (or standard) and a mastery
    (or score) column, and no column of a log alone (`LOG_ONLY_WORDS`), is a placement table;
    a grade column (and no skill) a roster; pyKT's columns (`pykt.REQUIRED`: uid, concepts,
    responses) a pyKT split."""
    from adaptive.data.pykt import REQUIRED as PYKT_COLUMNS

    names = [str(h).strip().casefold() for h in header]
    if set(PYKT_COLUMNS) <= set(names):
        return PYKT

    def has(*words: str) -> bool:
        return any(word in name for name in names for word in words)

    if has("correct") and has("question") and not has("item", "time", *_SKILL_WORDS):
        return ANSWER_SHEET
    if has("correct") and has("item", "question", "skill"):
        return LOG
    if has("student", "learner") and has("item"):
        return LOG
    if (
        has("student", "learner")
        and has("skill", "standard")
        and has("mastery", "score")
        and not has(*LOG_ONLY_WORDS)
    ):
        return PLACEMENT
    if any(_GRADE_COLUMN.fullmatch(n) for n in names) and not has("skill", "standard"):
        return ROSTER
    return None


def table_kind(file: str, header: Sequence[object]) -> FileKind | None:
    """The kind of a table refused by its header: its file's (`file_kind`, which tells JSON by
    its first bytes) where `file` is one, else its header's (a frame's columns)."""
    return file_kind(file) if Path(file).is_file() else header_kind(header)


def file_kind(path: str | Path) -> FileKind | None:
    """The kind the file at `path` looks like (`header_kind`, or for JSON its first line: a
    profile's keys, a catalog's; gzipped or not); None when it cannot be read or told."""
    import pyarrow as pa

    from adaptive.data.readers import file_format, read_header

    path = Path(path)
    try:
        kind, compression = file_format(path)
        if kind == "parquet":
            import pyarrow.parquet as pq

            return header_kind(pq.read_schema(path).names) or PARQUET_TABLE
        with pa.input_stream(str(path), compression=compression) as stream:
            head = stream.read(HEAD_BYTES)  # decompressed: a .jsonl.gz is JSON too
        if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
            return json_kind(head)
        header, _ = read_header(path, compression, None, kind)
    except (AdaptiveError, OSError, ValueError, pa.ArrowException):
        return None
    return header_kind(header) or (CSV_TABLE if len(header) > 1 else None)


def json_kind(head: bytes) -> FileKind:
    """JSON's kind from its first bytes: a first line that is an object with a student_id is
    a profile (JSON lines of them); a "skills" or "activities" key a catalog."""
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    try:
        record = json.loads(first)
    except ValueError:
        record = None
    if isinstance(record, dict) and "student_id" in record:
        return PROFILES
    if _CATALOG_KEY.search(head):
        return CATALOG
    return JSON_FILE


def refusal_hint(kind: FileKind | None, reading: str, lead: str = "") -> str:
    """The hint every reader of `reading` kind ("placement", "profiles", "catalog", "log", ...)
    adds to its refusal of a file or frame that looks like `kind` (`file_kind` of its path,
    `header_kind` of a frame's columns): 'this looks like a response log (...): give it as
    --data (load_log)'. "" where there is nothing to say: no kind told, the kind read (its own
    problems say what is wrong), a roster read as profiles (read by naming its columns), or a
    CSV, Parquet or JSON file of no kind another option reads (`give` is empty). `lead` goes
    before a hint (the file's name, "; "), never before nothing."""
    if kind is None or not kind.give or kind.name == reading:
        return ""
    if reading == "profiles" and kind is ROSTER:
        return ""
    return lead + kind.hint()
