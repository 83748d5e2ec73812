"""What a snapshot records of the log before its cutoff, so that the next night notices a change.

A night resumes from the previous night's snapshot and reads only the responses after its
cutoff. A log that changed before that cutoff would never be read again: answers that reached
it late (a device that synced days later), rows removed, or a re-export of the same rows with
answers regraded. Each snapshot therefore records, for the rows dated before its cutoff
(`before_cutoff` in its `meta.json`):

- `unit` and `count`: "parquet rows" of a Parquet file with timestamps (the rows the next night
  skips), else "responses" of a log read in full every night (a CSV, a log in memory);
- `digest`: the sum modulo 2**64 of one 64-bit hash per row over the row's values that make it
  a response: student id, item id, skills, correct (as read: 0 or 1, however the cell writes
  it) and time (`DIGEST_KIND`). A sum does not
  depend on the order of the rows: a re-export in another row order, or split into other parts,
  is the same log; a flipped answer, a changed time, a row moved to another student or a
  replaced student id changes it. Values are hashed themselves (`pandas.util.hash_array`),
  never a log's integer codes, whose numbering changes when new students appear.

The next night compares the record with the log it is given (`changed_before_cutoff`); a
difference is said (`warn_changed_before_cutoff`, counts only, never an id) and the night is
rebuilt from every response. A log given in another form than the snapshot's (a CSV's
responses after a Parquet file's rows) does not compare: that is said as such (`other_form`),
not as a change, and the night rebuilds. A snapshot written before the digest existed is
compared by its count alone.

Everything is vectorized over columns (numpy, Arrow), no loop over rows: a Parquet log is
streamed batch by batch, only its identifying columns and its time, so the memory it takes stays
one batch's.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from adaptive.data.log import ResponseLog
from adaptive.data.mapping import ColumnMapping
from adaptive.errors import ConfigError, NightWarning
from adaptive.school_year import school_year_start

DIGEST_KIND = "rowsum64-v1"  # how `digest` was made: another kind is compared by count only
PARQUET_UNIT, RESPONSES_UNIT = "parquet rows", "responses"
_GOLDEN = 0x9E3779B97F4A7C15  # odd multiplier that chains a row's column hashes
_NULL_HASH = np.uint64(0x5BD1E9955BD1E995)  # a missing value, distinct from every hashed one
_NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_MODULUS = 2**64
RESPONSE_CHUNK = 1 << 20  # responses hashed at a time from a log in memory


class Cancelled(Exception):
    """The pass over the log was stopped (the night failed before it needed the record)."""


# -- the record -------------------------------------------------------------------------------
def record(unit: str, count: int, digest: int) -> dict:
    """The `before_cutoff` entry of a snapshot's meta: unit, count and the rows' digest."""
    return {"unit": unit, "count": int(count), "digest": f"{DIGEST_KIND}:{digest:016x}"}


def before_cutoffs(
    data: object, mapping: object, log: ResponseLog | None, bounds: Sequence[int]
) -> list[dict | None]:
    """The record of the log before each of `bounds` (ns, UTC): a Parquet log with timestamps
    from its file (`parquet_before`), else the responses of `log` (read in full); None for each
    when neither can be recorded (no log given and not such a Parquet file)."""
    records = parquet_before(data, mapping, bounds)
    if records is not None:
        return records
    if log is None:
        return [None] * len(bounds)
    return responses_before(log, bounds)


def changed_before_cutoff(meta: dict, now: dict | None) -> tuple[dict | None, dict] | None:
    """(now, recorded) when the log before the snapshot's cutoff is not what the snapshot
    recorded (rows arrived late or were removed, answers were regraded, or it can no longer be
    recorded); None when it is (no answer before the cutoff then and now, even in another
    form: a header-only CSV the first night, a Parquet file the next), or when the snapshot
    recorded nothing (one written before the count). A snapshot without a digest (or with another kind) is compared by its count."""
    recorded = meta.get("before_cutoff")
    if recorded is None:
        return None
    if now is None:
        return now, recorded
    if now["count"] == recorded["count"] == 0:  # no answer before it either way, whatever the form
        return None
    keys = ["unit", "count"]
    kind = _digest_kind(recorded)
    if kind is not None and kind == _digest_kind(now):
        keys.append("digest")
    same = all(now.get(k) == recorded.get(k) for k in keys)
    return None if same else (now, recorded)


def other_form(late: tuple[dict | None, dict]) -> bool:
    """Whether `changed_before_cutoff`'s (now, recorded) is a log read in another form than the
    snapshot's (a CSV's responses after a Parquet file's rows): records that do not compare,
    not a log known to have changed (a trial's same rows as a CSV were said to have changed)."""
    now, recorded = late
    return now is not None and now["unit"] != recorded["unit"]


def warn_changed_before_cutoff(late: tuple[dict | None, dict], cutoff: str, source: str) -> None:
    """Say what changed in the log before the last snapshot's cutoff, and that the night
    rebuilds (counts only: never a student id)."""
    now, recorded = late
    if other_form(late):
        warnings.warn(
            f"{source}: the log is given in another form than on the night of the last "
            f"snapshot ({recorded['count']:,} {recorded['unit']} recorded before its cutoff, "
            f"{cutoff}; {now['count']:,} {now['unit']} now): the two do not compare, so "
            "whether the log changed before that cutoff cannot be told; the state is rebuilt "
            "from every response, as on a first night (the same answers give the same state, "
            "at the cost of reading and tracing the whole log). Give the log in one format "
            "from night to night to resume from the snapshot",
            NightWarning,
            stacklevel=3,
        )
        return
    if now is None:
        change = f"{recorded['count']:,} {recorded['unit']} recorded, now not comparable"
    elif now["count"] > recorded["count"]:
        change = f"{now['count'] - recorded['count']:+,} {now['unit']}: answers that arrived late"
    elif now["count"] < recorded["count"]:
        change = f"{now['count'] - recorded['count']:+,} {now['unit']}: rows removed"
    else:
        change = (
            f"answers before the snapshot's cutoff changed, in the same {now['count']:,} "
            f"{now['unit']}: a re-export with answers regraded, or times or students changed"
        )
    warnings.warn(
        f"{source}: the log before the last snapshot's cutoff ({cutoff}) changed since that "
        f"night ({change}); the state is rebuilt from every response, as on a first night",
        NightWarning,
        stacklevel=3,
    )


#: A log that lost more than this share of the rows the last snapshot recorded before its
#: cutoff is refused: a failed or partial export (an empty file, a folder missing parts) would
#: otherwise rebuild every student from almost nothing, with exit 0.
MAX_SHARE_LOST = 0.5
#: The same, for a log read in another form than the snapshot's (Parquet rows recorded, a
#: CSV's responses now: a response may span rows): only one that lost nearly everything.
MAX_SHARE_LOST_OTHER_UNIT = 0.9


def check_not_shrunk(late: tuple[dict | None, dict], cutoff: str, source: str, night: str) -> None:
    """`ConfigError` when the log holds far fewer rows before the last snapshot's cutoff than
    that snapshot recorded (`MAX_SHARE_LOST`); a few rows removed (a student's data deleted)
    only rebuild, with the warning."""
    now, recorded = late
    if now is None:
        return
    # a log of another form than the snapshot's (a CSV's responses after a Parquet's rows)
    # counts in other units: only a near-empty one is refused (a header-only export)
    share = MAX_SHARE_LOST if now["unit"] == recorded["unit"] else MAX_SHARE_LOST_OTHER_UNIT
    lost = recorded["count"] - now["count"]
    if recorded["count"] and lost > share * recorded["count"]:
        _check_same_school_year(cutoff, source, night, now, recorded)
        raise ConfigError(
            f"{source}: the log holds {now['count']:,} {now['unit']} dated before {cutoff}, the "
            f"last snapshot's cutoff, which was built from {recorded['count']:,}: a failed or "
            "partial export (an empty file, a folder missing parts)? The night was not served. "
            "Give the whole log; to serve from this one anyway, start a new state folder "
            f"(--state-dir NEW; the night {night} then rebuilds every student from it)"
        )


def _check_same_school_year(
    cutoff: str, source: str, night: str, now: dict, recorded: dict
) -> None:
    """A `ConfigError` saying "a new school year" when the night falls in a later school year
    (`school_year_start`) than the snapshot's cutoff: this year's log beside last June's folder
    (a rollover trial was told of a partial export and a new --state-dir, not a new --out)."""
    year = school_year_start(night)
    if str(cutoff)[:10] >= year:
        return
    raise ConfigError(
        f"{source}: the log holds {now['count']:,} {now['unit']} dated before {cutoff}, the "
        f"last snapshot's cutoff, which was built from {recorded['count']:,}, and the night "
        f"{night} is in a new school year (it starts {year}, the growth norm's year_start): "
        "serve a new school year into a new --out, with this year's log and roster and last "
        "year's records as --placement. The night was not served"
    )


def _digest_kind(entry: dict) -> str | None:
    """How a record's digest was made (`DIGEST_KIND`), or None: a record without one."""
    digest = entry.get("digest")
    return digest.split(":", 1)[0] if isinstance(digest, str) and ":" in digest else None


# -- a log in memory --------------------------------------------------------------------------
def responses_before(
    log: ResponseLog, bounds: Sequence[int], rows: int = RESPONSE_CHUNK
) -> list[dict]:
    """The record of `log`'s responses dated before each bound (ns, or the order of a log
    without timestamps): a log read in full every night. Hashed `rows` responses at a time, so
    the night's peak of memory (its full read) does not grow."""
    ids = _id_hashes(log)
    counts, digests = [0] * len(bounds), [0] * len(bounds)
    for start in range(0, len(log), rows):
        at = slice(start, min(start + rows, len(log)))
        hashes = response_hashes(log, at, ids)
        time = log.time[at]
        for i, bound in enumerate(bounds):
            before = time < bound
            counts[i] += int(before.sum())
            digests[i] = (digests[i] + _total(hashes[before])) % _MODULUS
    return [record(RESPONSES_UNIT, c, d) for c, d in zip(counts, digests, strict=True)]


def _id_hashes(log: ResponseLog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashes of the log's distinct student, item and skill ids, by code (each id once)."""
    return tuple(
        _hash_values(np.asarray(ids, dtype=object)) for ids in (log.students, log.items, log.skills)
    )


def response_hashes(
    log: ResponseLog, at: slice, ids: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """One uint64 per response of `log[at]` over its student id, item id, skills, correct and
    time: each id's value hashed (`ids`, from `_id_hashes`), then gathered by the log's codes."""
    students, items, skills = ids if ids is not None else _id_hashes(log)
    offsets = log.skill_offsets[at.start : at.stop + 1]
    skill = skills[log.skill[offsets[0] : offsets[-1]]]
    return _row_hashes(
        [
            students[log.student[at]],
            items[log.item[at]],
            _per_list_sums(skill, offsets - offsets[0]),
            pd.util.hash_array(log.correct[at].astype(np.int64)),
            pd.util.hash_array(np.asarray(log.time[at], dtype=np.int64)),
        ]
    )


# -- a Parquet log ----------------------------------------------------------------------------
def parquet_before(
    data: object,
    mapping: object,
    bounds: Sequence[int],
    stop: threading.Event | None = None,
) -> list[dict] | None:
    """The record of a Parquet log's rows dated before each bound (ns, UTC), from one pass over
    the file (a folder of parts: the sum over its parts); None for a log that is read in full
    every night (in memory, a CSV, a time column that is not a Parquet timestamp): then its
    responses are recorded (`responses_before`). Row groups whose statistics put every time at
    or after the last bound are skipped unread. `stop`: set it to end the pass early
    (`Cancelled`)."""
    if isinstance(data, ResponseLog):
        return None
    from adaptive.data import resolve
    from adaptive.data.readers import file_format, parquet_parts

    path, column_mapping, _ = resolve(data, mapping)
    if path.is_dir():
        files = parquet_parts(path)
    elif path.is_file() and file_format(path) == ("parquet", None):
        files = [path]
    else:
        return None
    sums = [(0, 0)] * len(bounds)
    for file in files:
        found = _parquet_file_sums(file, column_mapping, bounds, stop)
        if found is None:
            return None
        sums = [(c + c2, (d + d2) % _MODULUS) for (c, d), (c2, d2) in zip(sums, found, strict=True)]
    return [record(PARQUET_UNIT, count, digest) for count, digest in sums]


def _parquet_file_sums(
    path: Path, mapping: ColumnMapping, bounds: Sequence[int], stop: threading.Event | None
) -> list[tuple[int, int]] | None:
    """(rows before, digest of those rows) per bound for one Parquet file, read batch by batch
    (only the identifying columns and the time); None when its time column is not a Parquet
    timestamp (such a log is read in full every night, whatever its snapshot). A row
    without a time is before no bound, as the reader's filter has it."""
    from adaptive.data.readers import (
        PARQUET_BATCH_ROWS,
        select_columns,
        stored_time,
        streamed_parquet,
        time_bound,
        time_range,
    )

    pfile = streamed_parquet(path)
    schema = pfile.schema_arrow
    _, time_col, _ = select_columns(str(path), list(schema.names), mapping, line=None)
    if time_col is None or not pa.types.is_timestamp(schema.field(time_col).type):
        return None
    time_type = schema.field(time_col).type
    identifying = [c for cols in mapping.required_sources().values() for c in cols]
    columns = list(dict.fromkeys([*identifying, time_col]))
    stored = [time_bound(b, time_type).value for b in bounds]  # the reader's rounding
    last = stored_time(pfile.metadata, time_col, max(bounds))
    groups = [
        g
        for g in range(pfile.metadata.num_row_groups)
        if last is None or time_range(pfile.metadata, g, *last) != "after"
    ]
    counts, digests = [0] * len(bounds), [0] * len(bounds)
    for batch in pfile.iter_batches(PARQUET_BATCH_ROWS, row_groups=groups, columns=columns):
        if stop is not None and stop.is_set():
            raise Cancelled(str(path))
        times = batch.column(time_col)
        raw = times.cast(pa.int64()).fill_null(0).to_numpy()
        valid = _valid(times)
        ns = raw * _NS_PER_UNIT[time_type.unit]  # another unit in a re-export: the same times
        ids = [
            _answer_hashes(batch.column(c), mapping) if c == mapping.correct
            else _arrow_hashes(batch.column(c))
            for c in identifying
        ]  # fmt: skip
        hashes = _row_hashes([*ids, pd.util.hash_array(ns)])
        for i, bound in enumerate(stored):
            before = valid & (raw < bound)
            counts[i] += int(before.sum())
            digests[i] = (digests[i] + _total(hashes[before])) % _MODULUS
    return list(zip(counts, digests, strict=True))


# -- hashing ----------------------------------------------------------------------------------
def _answer_hashes(values: pa.Array, mapping: ColumnMapping) -> np.ndarray:
    """Hashes of a Parquet batch's answers as the reader reads them, 0 or 1 (a cell it refuses
    as 0): a re-export writing the same answers otherwise (1 as "1", "1,0" or true) is the same
    log, where hashing the cells said "answers regraded" and rebuilt the state. The same
    hashes as `_plain_hashes` of a 0/1 integer column."""
    from adaptive.data.validate import Issues, read_answers

    issues = Issues("", np.arange(len(values), dtype=np.int64), unit="row")
    answers = read_answers(pa.chunked_array([values]), mapping.correct, issues, mapping)
    return pd.util.hash_array(answers.astype(np.int64))


def _arrow_hashes(values: pa.Array) -> np.ndarray:
    """One uint64 per element of an Arrow column of any type the log's columns take (text or
    integer ids, a dictionary, a list of skills, booleans or numbers): equal values hash equal
    whatever the batch, a missing one to `_NULL_HASH`. Text is dictionary-encoded first, so each
    distinct value is hashed once per batch."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        hashes = _plain_hashes(values.dictionary)
        return _gathered(hashes, values.indices)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        flat = _arrow_hashes(values.values)
        sums = _per_list_sums(flat, values.offsets.to_numpy().astype(np.int64))
        return _with_nulls(sums, values)
    if _is_numeric(kind):
        return _plain_hashes(values)
    encoded = pc.dictionary_encode(values)
    return _gathered(_plain_hashes(encoded.dictionary), encoded.indices)


def _plain_hashes(values: pa.Array) -> np.ndarray:
    """Hashes of an Arrow array's elements, one by one (numbers as numbers, the rest as text)."""
    kind = values.type
    if pa.types.is_boolean(kind):
        numbers = values.cast(pa.int64()).fill_null(0).to_numpy()
    elif pa.types.is_floating(kind):
        numbers = values.cast(pa.float64()).fill_null(0).to_numpy()
    elif _is_numeric(kind):
        numbers = values.cast(pa.int64()).fill_null(0).to_numpy()
    else:
        numbers = None
    if numbers is not None:
        return _with_nulls(pd.util.hash_array(np.asarray(numbers)), values)
    text = np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)
    return _with_nulls(_hash_values(text), values)


def _is_numeric(kind: pa.DataType) -> bool:
    """Hashed as a number (an integer id, a 0/1 or a score, a timestamp); the rest as text."""
    return (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_timestamp(kind)
    )


def _gathered(hashes: np.ndarray, indices: pa.Array) -> np.ndarray:
    """`hashes[indices]`, a missing index hashing to `_NULL_HASH`."""
    at = np.asarray(indices.fill_null(0).to_numpy(), dtype=np.int64)
    return _with_nulls(hashes[at] if len(hashes) else np.zeros(len(at), np.uint64), indices)


def _with_nulls(hashes: np.ndarray, values: pa.Array) -> np.ndarray:
    """`hashes` with every missing value of `values` as `_NULL_HASH`."""
    if values.null_count:
        hashes = hashes.copy()
        hashes[~_valid(values)] = _NULL_HASH
    return hashes


def _valid(values: pa.Array) -> np.ndarray:
    """Where `values` holds a value (a boolean numpy array)."""
    return np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def _hash_values(text: np.ndarray) -> np.ndarray:
    """Hashes of distinct ids (an object array): each value hashed as text, once."""
    if not len(text):
        return np.zeros(0, np.uint64)
    return pd.util.hash_array(text, categorize=False)


def _per_list_sums(hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per list (CSR `offsets` into `hashes`) the sum of its elements' hashes modulo 2**64: a
    response's skills, in whatever order the export lists them."""
    running = np.concatenate([np.zeros(1, np.uint64), np.cumsum(hashes, dtype=np.uint64)])
    return running[offsets[1:]] - running[offsets[:-1]]


def _row_hashes(columns: list[np.ndarray]) -> np.ndarray:
    """One hash per row chaining its columns' hashes in order (h = mix(h * golden + column)),
    so that a value hashes differently in another column and swapping rows' values shows."""
    row = columns[0].astype(np.uint64, copy=True)
    for column in columns[1:]:
        row *= np.uint64(_GOLDEN)
        row += column
        _mix(row)
    return row


def _mix(h: np.ndarray) -> None:
    """splitmix64's finalizer, in place (the same as `pandas.util.hash_array`'s)."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)


def _total(hashes: np.ndarray) -> int:
    """The digest of rows: the sum of their hashes modulo 2**64 (any order, duplicates count)."""
    return int(np.sum(hashes, dtype=np.uint64))
