"""Response times as UTC nanoseconds: the one rule for text and date-time values of a log.

A log's times are int64 nanoseconds since the epoch (UTC), so a time must lie between
1677-09-21 and 2262-04-11; a date outside (a typo such as 3024-09-01, or 0001-01-01 for "no
date") would wrap around silently when converted, and is rejected instead. Text is ISO 8601
(dates, date-times, offsets, any precision, mixed in one column) unless a `strptime` format is
given; naive times are UTC. The file readers (`adaptive.data.validate`) and
`ResponseLog.from_frame` both read times here, so a value loads the same from a file or a frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: The range of a nanosecond time (what a log's int64 time can hold).
NS_MIN, NS_MAX = pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")
RANGE_EXPECTED = (
    f"a date-time between {NS_MIN.date() + pd.Timedelta(days=1)} and {NS_MAX.date()} "
    "(times are held as nanoseconds since 1970)"
)


def day_month_swapped(fmt: str) -> str | None:
    """`fmt` with its day (%d) and month (%m) the other way round, or None where it lacks one
    of them: the format a file of the other convention (dd/mm against mm/dd) was written in."""
    if "%d" not in fmt or "%m" not in fmt:
        return None
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def read_day_month_swapped(
    text: pd.Series, fmt: str, read: np.ndarray, outside: np.ndarray
) -> tuple[str, np.ndarray] | None:
    """(the swapped format, the values only it reads) where a column read with `fmt` (`read`:
    the values it read) was written with day and month the other way round: some values read
    only with the swapped format and none only with `fmt`. Then every value `fmt` did read (a
    day of 12 or less) is read with day and month swapped: the file's `fmt` is wrong, not a few
    rows (a trial's dd/mm export read with --time-format %m/%d and --quarantine loaded 40% of
    its rows that way, without a word). None otherwise: a file of the given convention has
    values only it reads (a day above 12); one whose every day is 12 or less cannot be told.
    The values `fmt` did not read are parsed first; the others only where some of those read
    swapped."""
    other = day_month_swapped(fmt)
    unread = ~(read | outside)
    if other is None or not unread.any():
        return None
    swapped, swapped_outside = text_times(text[unread], other)
    read_other = swapped.notna().to_numpy() | swapped_outside
    if not read_other.any():
        return None
    given = read | outside
    swapped, swapped_outside = text_times(text[given], other)
    if not (swapped.notna().to_numpy() | swapped_outside).all():
        return None  # a value only `fmt` reads: the file is written as given
    only_other = np.zeros(len(text), bool)
    only_other[np.flatnonzero(unread)[read_other]] = True
    return other, only_other


def text_times(text: pd.Series, fmt: str | None = None) -> tuple[pd.Series, np.ndarray]:
    """(times as datetime64[ns, UTC], mask of the values outside the nanosecond range) of text
    in ISO 8601 (or `fmt`, a `strptime` format); NaT where a value is missing, does not parse
    or is out of range. The caller trims the text (the readers have already)."""
    parsed = pd.to_datetime(text, format=fmt or "ISO8601", utc=True, errors="coerce")
    return utc_ns(parsed)


#: A time of day ("T10:17" or " 10:17") and, at the end, a UTC offset ("Z", "+02", "-06:00").
_TIME_OF_DAY = r"[T ]\d{1,2}:\d{2}"
_OFFSET = _TIME_OF_DAY + r".*(?:Z|[+-]\d{2}(?::?\d{2})?)$"  # after a time: "2026-09-03" is none
NAIVE_EXPECTED = (
    "a time with its UTC offset, as the column's other times have (e.g. 2026-09-01T10:17:00-05:00): "
    "without one it would be read as UTC, and its answer moved among the student's others"
)


def naive_among_zoned(text: pd.Series | pa.Array) -> np.ndarray:
    """(n,) the date-times without a UTC offset in a column whose other date-times have one:
    read as UTC they would be hours off (a system that wrote local times beside another's
    zoned ones), silently reordering a student's answers. Dates alone are not date-times.
    Two vectorized passes (Arrow's regex kernels), so a 20 M-row column costs seconds."""
    if isinstance(text, pd.Series):
        text = pa.array(text.astype(object).where(text.notna(), None), type=pa.string())
    text = pc.utf8_trim_whitespace(text.cast(pa.string()))
    zoned = pc.fill_null(pc.match_substring_regex(text, _OFFSET, ignore_case=True), False)
    n_zoned = pc.sum(zoned).as_py() or 0
    if n_zoned in (0, len(text) - text.null_count):  # none or every one zoned: nothing mixed
        return np.zeros(len(text), bool)
    timed = pc.fill_null(pc.match_substring_regex(text, _TIME_OF_DAY), False)
    return pc.and_(timed, pc.invert(zoned)).to_numpy(zero_copy_only=False)


def without_offset(cells: pa.Array | pa.ChunkedArray, fmt: str | None = None) -> bool:
    """Whether a log's time column (as the file has it) holds times of day without a UTC
    offset, read as UTC: a Parquet timestamp without a zone, text of a `fmt` without `%z` or
    `%Z`, or ISO 8601 text whose times carry no offset (a column that mixes both is refused by
    `naive_among_zoned`, so its first times tell). Numbers (epoch times) and an order are not;
    dates alone are said apart (`night_checks.warn_log_times_in_zone`)."""
    if pa.types.is_dictionary(cells.type):
        cells = cells.slice(0, 1000).cast(cells.type.value_type)
    if pa.types.is_timestamp(cells.type):
        return cells.type.tz is None
    if not (pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type)):
        return False
    if fmt is not None:
        return "%z" not in fmt and "%Z" not in fmt
    first = pc.utf8_trim_whitespace(cells.slice(0, 1000))
    timed = pc.any(pc.match_substring_regex(first, _TIME_OF_DAY)).as_py()
    zoned = pc.any(pc.match_substring_regex(first, _OFFSET, ignore_case=True)).as_py()
    return bool(timed) and not zoned


def utc_ns(stamps: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(date-times of any unit as datetime64[ns, UTC], mask of the values outside the
    nanosecond range, which become NaT); naive times are read as UTC."""
    if not isinstance(stamps.dtype, pd.DatetimeTZDtype) or str(stamps.dt.tz) != "UTC":
        stamps = (
            stamps.dt.tz_localize("UTC") if stamps.dt.tz is None else stamps.dt.tz_convert("UTC")
        )
    outside = (stamps.lt(NS_MIN) | stamps.gt(NS_MAX)).to_numpy()
    if outside.any():
        stamps = stamps.mask(outside)
    return stamps.dt.as_unit("ns"), outside


def times_ns(stamps: pd.Series) -> np.ndarray:
    """int64 nanoseconds of a datetime64[ns, UTC] series (NaT as 0: the caller has reported it)."""
    values = stamps.to_numpy("datetime64[ns]").view(np.int64).copy()
    values[stamps.isna().to_numpy()] = 0
    return values
