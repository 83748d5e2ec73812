"""Exceptions of `adaptive`: each message says what was wrong and what was expected.

Student ids in messages, the one rule: an error, a warning, a log line or an MLflow record
never names a student by id. An app that embeds the library writes what it raises to its own
logs, so a message names students by position in what the caller passed and by count ("2 of
the 40 student ids passed (the 3rd and 17th) are not in this state": `passed_positions`,
`batch_positions`), and a data file's problem by file, line and column. The one exception is
the command line: an id a person typed there (`adaptive recommend --student X`) goes back
only to their terminal, so its error may echo it, with the known id it reads as
(`same_as_read`), never a merely close one (another student's).
"""

from __future__ import annotations

import difflib
import inspect
import numbers
import re
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class AdaptiveError(Exception):
    """Base class for every error the library raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its message and attributes, rebuilt without calling `__init__` again:
        Python's own way calls `cls(*self.args)`, the message alone, which a subclass taking
        more (`UnknownStudentsError(message, positions)`) refused with a TypeError, so that an
        error raised in a worker process of the nightly job reached the run as a broken pool."""
        return (_unpickled, (type(self), self.args), self.__dict__)


def _unpickled(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    """An error of class `cls` with `args` (its message), its `__init__` not run:
    `AdaptiveError.__reduce__`'s rebuilding, the attributes restored after it from the pickle."""
    return cls.__new__(cls, *args)


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file, located as an editor shows it (1-based line); a
    Parquet file, which has rows and no lines, names its row ("row 3": `row`)."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    expected: str
    #: where a table without lines says the row is instead ("row 3" of a Parquet file, "row
    #: label 7" of a DataFrame), said in place of `line` (which a response log's Parquet row
    #: keeps, its number from 1; None for the others)
    row: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row:
            where += f", {self.row}"
        elif self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column '{self.column}'"
        got = "" if self.value is None else f": got {self.value!r}"
        return f"{where}{got}; expected {self.expected}"


class EscapedText(str):
    """A value's text already escaped for a message (bytes that are not text written as \\xe9):
    a `Problem` quotes it as it is, where `repr` would double its backslashes."""

    def __repr__(self) -> str:
        return f"'{self}'"


class DataValidationError(AdaptiveError):
    """Input data broke the schema. Carries the problems found (the message lists the first
    20): every one, or, from a reader that counts the others (`total`), the first ones. A
    refused log's are a `validate.RefusedProblems`, a sequence that builds each as it is read."""

    MAX_LISTED = 20
    #: Problems listed when every one is of one kind (one column, one expectation): twenty
    #: lines of the same mistake (a time format not given) hid that it is one
    ALIKE_LISTED = 3

    def __init__(
        self,
        problems: Sequence[Problem],
        total: int | None = None,
        hint: str = "",
        kinds: int | None = None,
    ):
        """`hint`: one line after the problems saying what the reader can do about them;
        `total`: how many there were when `problems` holds only the first ones found;
        `kinds`: how many kinds (file, column, expectation) those `total` are of, from a
        caller that counted them by kind (`ResponseLog.from_frame`), so that the first ones
        listed may be called alike."""
        self.problems = problems
        self.total = len(problems) if total is None else total
        # alike only when every problem was seen or counted by kind (a reader that keeps the
        # first 20 of 5,000 cannot say the other 4,980 are like them); counted, the first ones
        # are enough (a refused log's problems are built as they are read: `RefusedProblems`)
        sample = problems if kinds is None else problems[: self.MAX_LISTED]
        seen = len({(p.file, p.column, p.expected) for p in sample})
        alike = (
            self.total > self.ALIKE_LISTED
            and seen == 1
            and (kinds == 1 if kinds is not None else self.total == len(problems))
        )
        shown = self.ALIKE_LISTED if alike else self.MAX_LISTED
        listed = "\n".join(f"  - {p}" for p in problems[:shown])
        more = self.total - min(len(problems), shown)
        tail = ""
        if more > 0:
            column = problems[0].column
            like = (f" alike (column '{column}')" if column else " alike") if alike else ""
            tail = f"\n  ... and {more:,} more{like}"
        tail += f"\n{hint}" if hint else ""
        super().__init__(f"{counted(self.total, 'problem')} in the input:\n{listed}{tail}")


class ConfigError(AdaptiveError):
    """A setting is invalid, wherever it was written: in a specification file (a model spec,
    a policy TOML, a dataset descriptor, a catalog) or in a Python call (`BKT(forgets="no")`,
    `PolicyConfig(target_p_correct=1.8)`, an unknown keyword: `UnknownKeywordError`). The
    message names the setting, its value and what it takes (and the file, where there is one)."""


class ArgumentError(ConfigError, ValueError):
    """A call given a value it cannot take (`policy.recommend(batch, k=0)`, `now="garbage"`, a
    state row of -1): a `ConfigError` like every setting's, so that a vendor's `except
    AdaptiveError` catches it (a trial found these plain `ValueError`s slipping past), and still
    a `ValueError`, as Python's own argument errors are, so that an `except ValueError` written
    before goes on working."""


class UnknownStudentsError(ConfigError):
    """Student ids a request passed that the state or the district does not know, said by
    position, never by id (the module's rule). The message names the first few; `positions`
    holds every one (0-based indexes into the ids passed), so that a caller can find them all:
    `[ids[i] for i in err.positions]`.

    `likely_matches`: {position: the known id} for an unknown id that reads as a known one
    (other case, dropped zeros: `same_as_read`), which `recommend_students` and `state.rows` give
    for the first unknown id, so that a caller's code can tell a case bug from a new student; on
    every error, empty where there is no such hint."""

    def __init__(
        self,
        message: str,
        positions: Sequence[int],
        likely_matches: Mapping[int, str] | None = None,
    ):
        super().__init__(message)
        self.positions: tuple[int, ...] = tuple(int(p) for p in positions)
        self.likely_matches: dict[int, str] = dict(likely_matches or {})


class ArtifactError(AdaptiveError):
    """A saved model or state is missing, truncated, altered or of an unknown format."""


class NotFittedError(AdaptiveError):
    """A model was used before `fit` (or `load`)."""


class ConfigWarning(UserWarning):
    """A setting was read as asked but does not do what it seems to: one in a specification
    file (a policy TOML) that does nothing (e.g. `exploration_temperature` with exploration
    "none"), or a tracking store that does not hold what a command reads from it (the report's
    model evaluation); the message names the file or store, the setting and how to make it
    count."""


class FitWarning(UserWarning):
    """A model was fitted, but some of its parameters deserve a look (named in the message)."""


def fit_notes(caught: list[warnings.WarningMessage]) -> list[str]:
    """The texts of the `FitWarning`s among warnings `caught` while fitting, for a caller that
    says them its own way (once for all folds, or of a simulator's burn-in); every other
    warning is shown as it came (the outer filters decide)."""
    for w in caught:
        if not issubclass(w.category, FitWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return [str(w.message) for w in caught if issubclass(w.category, FitWarning)]


class DataNoteWarning(UserWarning):
    """A file was read as asked, but probably meant another way: the load report's note (e.g.
    epoch-like numbers read as an order; a day's answers sharing one date) says how to ask
    otherwise. `adaptive validate` prints the notes; every other reader warns with them."""


class NightWarning(UserWarning):
    """A nightly job ran as asked, but its inputs suggest a mistake (e.g. a date before every
    response of the log); the message says what to check."""


class LateAnswerWarning(UserWarning):
    """`update` absorbed answers dated before answers it had already absorbed for the same
    students (a device that synced late): they were traced in the order they arrived, not in
    time order. `students` holds those students' ids (kept out of the message, which may reach a
    log) and `count` the late answers; `KnowledgeTracer.restart` then `update` with a student's
    whole history traces it in time order again. Also the other way round: `policy.recommend`
    given a `now` before the student's latest answer, or more than a year after it (a wrong
    clock, date string or year; `students` holds the student, `count` is 0)."""

    def __init__(self, message: str, students: tuple[str, ...] = (), count: int = 0) -> None:
        super().__init__(message)
        self.students = students
        self.count = count


class FutureAnswerWarning(UserWarning):
    """`update` was given answers dated more than a day after this machine's clock (a device's
    clock set wrong, a time in another unit or zone): they were absorbed as dated, so the
    student's later answers read as late (`LateAnswerWarning`) and a request dated today as
    before their latest answer. `students` holds those students' ids (kept out of the message,
    which may reach a log), `count` the answers and `latest` the latest time given (a UTC
    `pd.Timestamp`)."""

    def __init__(
        self, message: str, students: tuple[str, ...] = (), count: int = 0, latest: object = None
    ) -> None:
        super().__init__(message)
        self.students = students
        self.count = count
        self.latest = latest


class RepeatedAnswerWarning(UserWarning):
    """`update` was given again one of the last answers it absorbed for a student (same item,
    skills, answer and time of day: an app's retry of a request, also after later answers): it
    was not absorbed a second time, and the P(correct) returned is the first one's. `students`
    holds the student's id (kept out of the message, which may reach a log)."""

    def __init__(self, message: str, students: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.students = students


class StateWarning(UserWarning):
    """A tracing state was read or updated by another fitted model than the one that made it (a
    retrained model of the same kind and skills): its mastery so far was computed under the
    other model's parameters. `made_by` and `used_by` hold the two models' digests
    (`KnowledgeTracer.fitted_digest`); the message says what to do."""

    def __init__(self, message: str, made_by: str = "", used_by: str = "") -> None:
        super().__init__(message)
        self.made_by = made_by
        self.used_by = used_by


class PlacementWarning(UserWarning):
    """A placement was made as asked, but part of it cannot take effect (a placement in a
    `combine` that every earlier one shadows; placement rows for students the state already
    holds, or that no roster names); the message has counts, never an id."""


class ExperimentWarning(UserWarning):
    """An experiment or an off-policy evaluation was analysed as asked, but a figure cannot be
    read as usual (e.g. no interval where the randomization units leave no degree of freedom;
    every decision with the same outcome); the message says which."""


class LeakageWarning(UserWarning):
    """A fitted model was scored on students it was trained on (`predict_proba`,
    `predict_entries` or `log_likelihood` of a log that shares students, and answers no later
    than theirs in training, with its training log): a metric of those predictions is
    optimistic. `count` holds how many of the `scored` students of the log were trained on;
    the message has those counts, never an id, and names the split by student to use. A
    training fit measured on purpose says so with `warnings.simplefilter("ignore",
    LeakageWarning)` in a `warnings.catch_warnings()` block."""

    def __init__(self, message: str, count: int = 0, scored: int = 0) -> None:
        super().__init__(message)
        self.count = count
        self.scored = scored


class ModelFailedWarning(UserWarning):
    """`evaluate_models` left out the models it could not score (each named with its error's
    message) and scored the others."""


class CoverageWarning(UserWarning):
    """A model and a catalog (or a log, or profiles: interests on topics the catalog lacks) do not
    cover the same skills or topics; the message has numbers or names, never a student id."""


#: Characters typed for one another (a letter l for a digit 1, a letter O for a zero).
_LOOK_ALIKE = str.maketrans({"l": "1", "i": "1", "|": "1", "o": "0"})


#: The zeros in front of a number within a name ("stu|000|001", "|0|104-G4A"; "000" keeps its
#: last zero) and those that lead the whole name when a number follows ("|0000|stu001": a
#: system that pads every id to a width; "0A" keeps its zero): what a spreadsheet or a system
#: drops from a code. Never zeros after a decimal point or inside a time or a version ("Room
#: 1.05", "8:05", "v1.00.1"): a spreadsheet keeps those, and "Room 1.05" and "Room 1.5" are two
#: rooms. `one_spelling`'s rule.
_ID_ZEROS = re.compile(r"^0+(?=[^0-9]*[0-9])|(?<![0-9.:,])0+(?=[0-9])")
#: `one_spelling`'s zeros as a pattern Java's regex reads the same (the Spark engine's joins).
ID_ZEROS_PATTERN = _ID_ZEROS.pattern
#: The zeros `look_alike` drops, as the report site's script does (`assets.py`, line for line):
#: any zeros in front of a number, and those that lead the name. A hint's reading, wider than
#: `one_spelling`'s: 'g3.NS.01' is offered 'g3.NS.1'.
_READ_ZEROS = re.compile(r"^0+|(?<![0-9])0+(?=[0-9])")


def one_spelling(name: str) -> str:
    """`name` as every spelling of one id writes it: case folded and the zeros `_ID_ZEROS`
    says dropped ('0104-G4A', '104-g4a' and '104-G04A' are one class; "4501" for "004501",
    "0000stu001" padded to a width): a spreadsheet drops a code's leading zero, another system
    writes it in other case. What a message that says "differ only in case or leading zeros"
    or "once leading zeros or case are restored" counts. No look-alike letters (`look_alike`:
    a typing slip's hint, not one id written two ways)."""
    return _ID_ZEROS.sub("", name.casefold())


def spelt_apart(names: Collection[str]) -> str:
    """How ids of one `one_spelling` differ, as a message says it: 'case', 'leading zeros' or
    'case and leading zeros'."""
    how = []
    if len({_ID_ZEROS.sub("", n) for n in names}) > 1:
        how.append("case")
    if len({n.casefold() for n in names}) > 1:
        how.append("leading zeros")
    return " and ".join(how)


def look_alike(name: str) -> str:
    """`name` as it reads on paper: case folded, look-alike letters as digits, the zeros in
    front of each number and of the whole name dropped (a spreadsheet's "4501" for "004501",
    "stu000001" typed for "stu0000001", "0000stu001" padded to a width). Only those:
    "stu0002001" is no look-alike of "stu000001" (it once was the hint, a zero dropped from the
    number's front matched by one added inside it)."""
    return _READ_ZEROS.sub("", name.casefold().translate(_LOOK_ALIKE))


def check_seed(seed: object, name: str = "--seed") -> None:
    """ArgumentError unless `seed` is an integer >= 0: numpy's seeding refuses a negative one
    with a ValueError (or an OverflowError past 2**32 in some of its calls), which reached the
    command line as "internal error". `name`: the option or argument, as the message says it."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ArgumentError(f"{name} {seed!r}: expected an integer >= 0")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, plural unless one, as every message says a count: '1 file',
    '1,204 students', '2 classes' (`plural` where adding 's' is wrong)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


#: The plural of each verb `verb` agrees with a count.
PLURAL_VERBS = {"is": "are", "has": "have", "was": "were", "does": "do"}


def verb(n: int, singular: str) -> str:
    """`singular` ("is", "has", "was", "does") or its plural, agreeing with the count `n`: the one way
    a message says "1 student is" and "3 students are"."""
    return singular if n == 1 else PLURAL_VERBS[singular]


def share_words(share: float) -> str:
    """A share as a percentage that never rounds a few to 0% or most to 100% ('under 1%',
    'over 99%'), which would read as none or all."""
    if 0 < share < 0.01:
        return "under 1%"
    if 0.99 < share < 1:
        return "over 99%"
    return f"{share:.0%}"


def line_words(
    lines: Collection[int], shown: int = 10, unit: str = "line", total: int | None = None
) -> str:
    """Where in a file, as a message says it: 'line 3', 'lines 3 and 8', 'lines 2, 5 and 9',
    and past `shown` lines the first `shown` and a count ('lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    and 690 more (700 lines)'); sorted, each once; "" for none. `unit` names them where a table
    has no lines ("row": 'rows 3 and 8'); `total` says how many there are where `lines` holds
    only the first ones ('lines 3, 6 and 15 more (17 lines)')."""
    lines = sorted(set(lines))
    total = len(lines) if total is None else total
    if not lines:
        return ""
    if total == 1:
        return f"{unit} {lines[0]}"
    listed = lines[:shown]
    if total > len(listed):
        head = ", ".join(map(str, listed))
        return f"{unit}s {head} and {total - len(listed):,} more ({counted(total, unit)})"
    return f"{unit}s {', '.join(map(str, lines[:-1]))} and {lines[-1]}"


def some_of(items: Sequence[str], shown: int) -> str:
    """The first `shown` of `items` joined by commas, and a count of the rest: 'a, b, c and 12
    more' (all of them when no more than `shown`)."""
    rest = len(items) - shown
    return ", ".join(items[:shown]) + (f" and {rest:,} more" if rest > 0 else "")


def column_names(names: Iterable[object]) -> str:
    """A header's column names as a message lists them: joined by commas, a name that holds a
    comma (or is empty, or has spaces at an end) quoted as `repr` quotes it ("Student Number,
    'Last, First', School Code"), so that the list reads as the columns it names."""
    return ", ".join(
        repr(n) if "," in n or not n.strip() or n != n.strip() else n for n in map(str, names)
    )


def nth(position: int) -> str:
    """An ordinal for a 0-based position, as a message names a student without their id:
    0 -> '1st', 1 -> '2nd', 10 -> '11th', 21 -> '22nd'."""
    n = position + 1
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def batch_positions(positions: Sequence[int], shown: int = 5) -> str:
    """Students of a batch named by position, never by id: 'the 4th', 'the 2nd, 5th and 9th',
    'the 1st, 2nd, 3rd, 4th, 5th and 7 more' (with `of the batch` added by the caller)."""
    words = [nth(i) for i in positions]
    if 1 < len(words) <= shown:  # all of them: the last pair joined by "and"
        return f"the {', '.join(words[:-1])} and {words[-1]}"
    return "the " + some_of(words, shown)


def passed_positions(positions: Sequence[int], n_passed: int, noun: str = "student id") -> str:
    """Which of the ids a caller passed a message is about, by position and never by id (the
    module's rule), with the verb agreeing: 'the student id passed is' (one passed), '1 of the
    40 student ids passed (the 3rd) is', '2 of the 40 student ids passed (the 3rd and 17th)
    are'."""
    if n_passed == 1:
        return f"the {noun} passed is"
    n = len(positions)
    return (
        f"{n:,} of the {counted(n_passed, noun)} passed ({batch_positions(positions)}) "
        f"{verb(n, 'is')}"
    )


def same_but_case(name: str, names: Collection[str]) -> str | None:
    """The name of `names` that differs from `name` only in case ('8.g.a.4' -> '8.G.A.4'; the
    first in order when several do), or None: where a spelling-distance guess would mislead
    (short codes share most of their characters), a case slip is still certain."""
    folded = sorted(n for n in names if n.casefold() == str(name).casefold())
    return folded[0] if folded else None


def same_as_read(name: str, names: Collection[str]) -> str | None:
    """The name of `names` that is `name` itself, but for case (`same_but_case`) or as read on
    paper (`look_alike`: "g3.NS.l" is "g3.NS.1", "4501" is "004501"); None when none is. Unlike a
    close spelling, it names nothing the person did not type (the hint an echoed student id
    may carry)."""
    name = str(name)
    folded = same_but_case(name, names)
    if folded is not None:
        return folded
    alike = sorted(n for n in names if look_alike(n) == look_alike(name))
    return alike[0] if alike and look_alike(name) else None


def closest_name(name: str, names: Collection[str]) -> str | None:
    """The name of `names` that `name` most likely means: the same but for case first, then the
    same as read on paper (`look_alike`: "g3.NS.l" is "g3.NS.1", "4501" is "004501"), else the
    closest spelling (difflib) that is no `numbered_sibling` of it, else the one name it begins
    at a word's end (`word_prefix_match`: a truncated id, which no spelling is close to); None
    when none is.
    The one "did you mean" of the library (`same_as_read` alone where a close spelling must not
    be offered: an echoed student id)."""
    name = str(name)
    read = same_as_read(name, names)
    if read is not None:
        return read
    # spellings compared whatever their case ('BKT-forget' for 'bkt-forgets' was not offered),
    # then, of names alike but for case, the one nearest in case too
    spelt: dict[str, list[str]] = {}
    for n in sorted(names):
        spelt.setdefault(n.casefold(), []).append(n)
    # the closest few first (difflib's quick bounds over every name), siblings dropped from
    # those only: comparing each name of a large vocabulary op by op cost seconds
    close = difflib.get_close_matches(name.casefold(), spelt, n=10, cutoff=SPELLING_CUTOFF)
    for folded in close:
        kept = [n for n in spelt[folded] if not numbered_sibling(name, n)]
        if kept:
            return difflib.get_close_matches(name, kept, n=1, cutoff=0.0)[0]
    return word_prefix_match(name, names)


def word_prefix_match(name: str, names: Collection[str]) -> str | None:
    """The one name of `names` that `name` begins, ending at a word's end, whatever the case:
    a truncated id ('ALG1 1.2' of 'ALG1 1.2 Linear equations', an export's cut cell, 'Grade'
    of 'Grade Level'), which no spelling is close to. None where none does, or several do
    ('ALG1 1' begins two skills), or `name` has under `PREFIX_MIN` characters; a digit that
    goes on is no word's end ('g3.NS.1' does not begin 'g3.NS.10', another skill). Only names
    that `name` begins: one that begins `name` is a shorter id of another thing as often
    ('irt' of 'irt-3pl')."""
    start = name.strip().casefold()
    if len(start) < PREFIX_MIN:
        return None
    found = {
        other
        for other in names
        if len(text := str(other).strip().casefold()) > len(start)
        and text.startswith(start)
        and not text[len(start)].isalnum()
    }
    return found.pop() if len(found) == 1 else None


def numbered_sibling(name: str, other: str) -> bool:
    """Whether one name has a digit written where the other has another digit ("g2.NS.1" and
    "g8.NS.1", "g3.NS.4" and "g3.NS.5", "stu0000028" and "stu0000027", and with other changes
    beside it: "g7.NS.2.practice3" and "g5.NF.2.practice3", an operator's trial): they name
    other numbered things (a skill of another grade, the next skill, another student), never
    offered as the one meant, though their spellings are close. So are names alike but for a
    number of the same width written otherwise ("act00350" and "act02050", which difflib aligns
    as a digit inserted and another deleted: a vendor's retired activity was offered its
    generated neighbour). A digit dropped or doubled ("stu000027", "a33") is a slip still
    offered."""
    a, b = name.casefold(), other.casefold()
    if a == b:
        return False
    steps = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return _other_number_of_same_width(a, b) or any(
        op == "replace"
        and any(x.isdigit() for x in a[i1:i2])
        and any(y.isdigit() for y in b[j1:j2])
        for op, i1, i2, j1, j2 in steps
    )


def _other_number_of_same_width(a: str, b: str) -> bool:
    """Whether `a` and `b` have the same text around their numbers and, at one place, numbers
    of the same width that differ ("act00350", "act02050")."""
    parts_a, parts_b = re.split(r"(\d+)", a), re.split(r"(\d+)", b)
    if len(parts_a) != len(parts_b) or parts_a[0::2] != parts_b[0::2]:
        return False
    return any(
        len(x) == len(y) and x != y for x, y in zip(parts_a[1::2], parts_b[1::2], strict=True)
    )


#: How alike (difflib's ratio) a spelling must be to be offered: difflib's own 0.6 offered
#: 'g6.NS.1' for 'g4.X.1' (short codes that share their dots and digits); a one-character slip
#: in a six-character id (0.83) or a dropped letter ('forget', 'forgets': 0.92) passes.
SPELLING_CUTOFF = 0.75
#: The fewest characters a name must keep to be offered as a prefix of another
#: (`word_prefix_match`): 'AL' begins too much to mean one name.
PREFIX_MIN = 3


#: Knob names of peer libraries (pyBKT, pyKT, scikit-learn, hmmlearn, PyTorch) and the knob
#: of ours each means: a name brought from another library is no close spelling of ours
#: (`n_restarts` for `num_fits`), so only this says which one it is. Offered only where the
#: knob is among the valid keys.
PEER_NAMES: dict[str, str] = {
    **dict.fromkeys(("n_restarts", "n_restart", "num_restarts", "restarts", "n_init"), "num_fits"),
    **dict.fromkeys(("n_iter", "num_iter", "max_iters", "iterations"), "max_iter"),
    **dict.fromkeys(("random_state", "random_seed"), "seed"),
    **dict.fromkeys(("lr",), "learning_rate"),
    **dict.fromkeys(("epochs", "n_epochs", "num_epochs"), "max_epochs"),
    **dict.fromkeys(("num_attn_heads", "num_heads", "n_head"), "n_heads"),
    **dict.fromkeys(("emb_size", "embed_size"), "embedding_size"),
    **dict.fromkeys(("seq_len", "max_seq_len"), "window"),
}


def meant_key(key: str, valid: Collection[str]) -> str | None:
    """The valid key `key` most likely means: its peer library's name for it (`PEER_NAMES`),
    else its closest spelling (`closest_name`); None when neither is."""
    peer = PEER_NAMES.get(key)
    return peer if peer in valid else closest_name(key, valid)


def unknown_key(key: str, valid: Collection[str], what: str = "key") -> str:
    """Why `key` is refused, with its close match among `valid` when there is one:
    "unknown key 'forget' (did you mean 'forgets'?); valid keys: fitter, fixed, forgets, ..."."""
    return unknown_keys([key], valid, what)


def unknown_keys(keys: Sequence[str], valid: Collection[str], what: str = "key") -> str:
    """Why `keys` are refused, each with the valid one it likely means (`meant_key`), the valid
    ones listed once: "unknown keys 'forget' (did you mean 'forgets'?) and 'n_restart' (did you
    mean 'num_fits'?); valid keys: ...". The one "unknown key" sentence of the library
    (`unknown_key` for one key; `unknown_name` and `valid_names` where each key is said on its
    own, as a file's problems are, each on its line)."""
    said = [_meant(key, valid) for key in keys]
    named = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"
    noun = what if len(said) == 1 else f"{what}s"
    return f"unknown {noun} {named}; {valid_names(valid, what)}"


def unknown_name(key: str, valid: Collection[str], what: str = "key") -> str:
    """One unknown key with the valid one it likely means, without the valid ones: "unknown
    weight 'intrest' (did you mean 'interest'?)" (a caller saying several lists the valid
    ones once, `valid_names`)."""
    return f"unknown {what} {_meant(key, valid)}"


def valid_names(valid: Collection[str], what: str = "key") -> str:
    """The valid keys, sorted, as `unknown_keys` lists them: "valid keys: fitter, fixed"."""
    return f"valid {what}s: {', '.join(sorted(valid))}"


def _meant(key: str, valid: Collection[str]) -> str:
    """`key` quoted, with the valid one it likely means: "'forget' (did you mean 'forgets'?)"."""
    close = meant_key(key, valid)
    return f"{key!r}" + (f" (did you mean {close!r}?)" if close else "")


class UnknownKeywordError(ConfigError, TypeError, ValueError):
    """A call given a keyword its function does not take (`BKT(forget=True)`,
    `model.set_params(num_fit=3)`): Python's own error said only "unexpected keyword argument",
    without the keyword meant or the valid ones. Still a `TypeError`, as Python's was for a
    constructor, and a `ValueError`, as scikit-learn's `set_params` raises (the tracers'
    contract), so that an `except` written for either goes on working."""


def check_keywords(given: Iterable[str], valid: Collection[str], where: str) -> None:
    """One `UnknownKeywordError` naming every keyword of `given` that is not in `valid`, with
    its close match and the valid ones (`unknown_keys`), after `where` (the call, e.g.
    "BKT(...)"); nothing when all are valid."""
    unknown = [key for key in given if key not in valid]
    if unknown:
        raise unknown_keywords_error(where, unknown, valid)


def unknown_keywords_error(
    where: str, unknown: Collection[str], valid: Collection[str]
) -> UnknownKeywordError:
    """The `UnknownKeywordError` for the keywords `unknown` that the call `where` does not
    take: each with its close match, then the valid ones (`unknown_keys`)."""
    return UnknownKeywordError(f"{where}: {unknown_keys(unknown, valid, 'keyword')}")


def init_keywords(cls: type) -> tuple[str, ...] | None:
    """The keywords `cls(...)` takes (its `__init__`'s parameters but `self`); None when its
    `__init__` takes any (`**kwargs`), which leaves nothing to check. Read at each call, never
    cached: a cache kept every class alive and went stale where a test patched `__init__`, to
    save some 25 to 50 microseconds a constructor call (BKT() 79 against 54, PolicyConfig() 91
    against 44), nothing beside what a model or a policy then does."""
    parameters = inspect.signature(cls.__init__).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return tuple(p.name for p in parameters if p.name != "self")


class KeywordChecked:
    """A base whose constructor refuses a misspelt keyword with one `UnknownKeywordError`
    (`unknown_keywords_error`: "BKT(...): unknown keyword 'forget' (did you mean 'forgets'?);
    valid keywords: ..."), as a spec file's misspelt key is refused, where Python said only
    "__init__() got an unexpected keyword argument". The check runs in `__new__`, before
    `__init__`, so that each subclass keeps its own `__init__` and its signature: what `help()`,
    `inspect.signature` and an IDE show (a decorator around `__init__` would hide it from some
    of them). A subclass must define its own `__init__` (or be a dataclass), or `inspect`
    would read this `__new__`'s `*args, **kwargs` as its signature."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        valid = init_keywords(cls)
        unknown = [] if valid is None else [key for key in kwargs if key not in valid]
        if unknown:  # `valid` is a tuple then (None: `__init__` takes any keyword)
            known = {key: value for key, value in kwargs.items() if key not in unknown}
            raise cls._keywords_refused(unknown, valid or (), args, known)
        return super().__new__(cls)

    @classmethod
    def _keywords_refused(
        cls,
        unknown: list[str],
        valid: Collection[str],
        args: tuple[Any, ...],
        known: dict[str, Any],
    ) -> UnknownKeywordError:
        """The error for the keywords `unknown` that `cls(*args, **known, ...)` does not take:
        one `UnknownKeywordError` naming each (`unknown_keywords_error`). A subclass may name
        the other arguments' problems in it too, keeping its type (`PolicyConfig` names its
        wrong values, so that one run names every mistake)."""
        return unknown_keywords_error(f"{cls.__name__}(...)", unknown, valid)


def expect_type(value: object, kind: type | tuple[type, ...], name: str, make: str = "") -> None:
    """A `TypeError` naming the argument, what it should be and how to make one (`make`, e.g.
    "Catalog.from_json(path)" for a file name), where `value` is not a `kind`: a path or a dict
    passed where an object goes ended in an AttributeError deep in the library."""
    if isinstance(value, kind):
        return
    kinds = kind if isinstance(kind, tuple) else (kind,)
    wanted = " or ".join("None" if k is type(None) else k.__name__ for k in kinds)
    how = f"; make one with {make}" if make else ""
    raise TypeError(f"{name}: expected a {wanted}, got {type(value).__name__} {value!r:.60}{how}")
