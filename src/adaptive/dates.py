"""Dates given by a user (`--date`, `--now`, `run_daily_job(date)`): ISO 8601 only.

`pandas.Timestamp("03/04/2027")` is the 4th of March; a district that writes day first means the
3rd of April, and its nightly job would serve the wrong day without a word. A date given as text
must therefore be ISO 8601 (2027-04-03, or a date-time such as 2027-04-03T08:00:00Z); a
`pandas.Timestamp`, `datetime` or `date` object is taken as it is.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import zoneinfo

import numpy as np
import pandas as pd

from adaptive.errors import ConfigError, closest_name

EXAMPLE = "2027-02-12"
#: Year-month-day digits, whatever follows: text of this shape that is no date names no day.
_ISO_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:$|[T ])")


def parse_iso(value: str | dt.date | pd.Timestamp, what: str = "date") -> pd.Timestamp:
    """`value` as a Timestamp; text must be ISO 8601 (`ConfigError` naming `what` otherwise)."""
    if isinstance(value, pd.Timestamp | dt.date):
        return pd.Timestamp(value)
    stamp = iso_timestamp(value) if isinstance(value, str) else None
    if stamp is not None:
        return stamp
    why = _no_such_day(value.strip()) if isinstance(value, str) else None
    if why:  # 2027-02-30: in ISO form, but no day
        raise ConfigError(f"{what} {value!r}: {why}")
    raise ConfigError(
        f"{what} {value!r}: expected an ISO 8601 date such as {EXAMPLE} (year-month-day; "
        "a date such as 03/04/2027 reads as a different day in different countries)"
    )


def _no_such_day(text: str) -> str | None:
    """Why ISO-shaped text names no day ("there is no month 13", "2027-02 has 28 days"); None
    when it is not of that shape or its day exists (the problem is elsewhere)."""
    if not _ISO_SHAPE.match(text):
        return None
    year, month, day = int(text[:4]), int(text[5:7]), int(text[8:10])
    if not 1 <= month <= 12:
        return f"there is no month {month:02d} (expected year-month-day, such as {EXAMPLE})"
    days = calendar.monthrange(max(year, 1), month)[1]
    if 1 <= day <= days:
        return None
    return f"no such day: {year:04d}-{month:02d} has {days} days, not day {day:02d}"


def iso_timestamp(text: str) -> pd.Timestamp | None:
    """`text` (trimmed) as a Timestamp when it is ISO 8601, else None: the one test of text dates
    that `parse_iso` and `adaptive.data.Response` share (no error type, so each says its own)."""
    text = text.strip()
    try:
        dt.datetime.fromisoformat(text)  # ISO 8601 only ("Z" included since Python 3.11)
        return pd.Timestamp(text)
    except ValueError:
        return None


#: A spreadsheet's serial dates (days since 1899-12-30) from 1954 to 2119 (20,000 to 80,000):
#: a date exported or typed as its number.
SPREADSHEET_EPOCH = pd.Timestamp("1899-12-30")
SPREADSHEET_SERIALS = (20_000, 80_000)


def spreadsheet_day(value: object) -> str | None:
    """The day (YYYY-MM-DD) a number means as a spreadsheet's serial date (46438 or "46438":
    2027-02-20); None where `value` is no number of that range."""
    if isinstance(value, bool):  # JSON's true is no number of days
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    low, high = SPREADSHEET_SERIALS
    if not low <= number <= high:
        return None
    return (SPREADSHEET_EPOCH + pd.Timedelta(days=number)).strftime("%Y-%m-%d")


def day_meant(value: object) -> str:
    """Words after an error about a date that is not ISO 8601, saying the day it likely means:
    " (did you mean '2027-02-20'?)" for 20/02/2027 or the spreadsheet number 46438; for a date
    that reads as two days (12/03/2027), both, to write as year-month-day; "" otherwise."""
    serial = spreadsheet_day(value)
    if serial is not None:
        return f" (did you mean {serial!r}? {value} is a spreadsheet's number for that day)"
    parts = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*", str(value))
    if parts is None:
        return ""
    a, b, year = (int(p) for p in parts.groups())
    days = {f"{year:04d}-{m:02d}-{d:02d}" for d, m in ((a, b), (b, a)) if 1 <= m <= 12}
    valid = sorted(day for day in days if iso_timestamp(day) is not None)
    if len(valid) == 1:
        return f" (did you mean {valid[0]!r}?)"
    if len(valid) == 2:
        return f" ({valid[0]} or {valid[1]}? write the day meant as year-month-day)"
    return ""


def iso_day(value: str | dt.date | pd.Timestamp, what: str = "date") -> str:
    """The day of `value` as YYYY-MM-DD (see `parse_iso`)."""
    return parse_iso(value, what).strftime("%Y-%m-%d")


#: A night's day is the district's: "UTC" unless the nightly job is given its time zone.
DEFAULT_TIMEZONE = "UTC"


def check_timezone(name: str) -> str:
    """`name` if it is an IANA time zone ("America/Chicago", "UTC"), else a `ConfigError` with
    the zone it most likely means. An abbreviation ("EST", "CST") is refused: it names no
    daylight-saving rule, and "CST" is three different zones."""
    text = str(name).strip()
    if text.upper() == "UTC":
        return DEFAULT_TIMEZONE
    known = zoneinfo.available_timezones() | {"UTC"}
    if text in known and text.upper() not in _ABBREVIATIONS:
        return text
    abbreviation = text.upper() in _ABBREVIATIONS or (text.isalpha() and len(text) <= 5)
    close = None if abbreviation else closest_name(text, sorted(known))
    hint = (
        " (an abbreviation such as CST names no daylight-saving rule, and some name several zones)"
        if abbreviation
        else f" (did you mean {close!r}?)"
        if close
        else ""
    )
    raise ConfigError(
        f"time zone {name!r}: expected an IANA time zone such as America/Chicago or "
        f"Europe/Madrid{hint}"
    )


#: Zone abbreviations the IANA database keeps for old reasons: none says which DST rule applies.
_ABBREVIATIONS = frozenset({"EST", "MST", "HST", "EST5EDT", "CST6CDT", "MST7MDT", "PST8PDT"})


def night_start(day: str, timezone: str = DEFAULT_TIMEZONE) -> pd.Timestamp:
    """The first instant (UTC) of `day` (YYYY-MM-DD) in `timezone`: where a night's responses
    end. America/New_York's 2027-02-12 starts at 05:00 UTC, so homework answered at 9 pm on
    the 11th (02:00 UTC on the 12th) belongs to the night of the 12th, as a teacher counts it."""
    return pd.Timestamp(day).tz_localize(timezone).tz_convert("UTC")


def wall_times_as_utc(ns: np.ndarray, timezone: str) -> np.ndarray:
    """The UTC instants (int64 ns) of wall-clock times in `timezone` that were read as UTC
    (`ns`: a log's times written without an offset): a New York export's "2027-03-30 01:30" is
    05:30 UTC, the night of the 30th there, where read as UTC it was the night before. The hour
    a fall-back repeats is read as its first pass, and a time in the hour a spring-forward
    skips as the instant that hour ends: the result keeps the times' order, so a student's
    answers stay in the order they were sorted in. Vectorized (one pandas call)."""
    local = pd.DatetimeIndex(np.asarray(ns, np.int64).view("datetime64[ns]"))
    first_pass = np.ones(len(local), bool)
    zoned = local.tz_localize(timezone, ambiguous=first_pass, nonexistent="shift_forward")
    return zoned.tz_convert("UTC").asi8


def zone_record(timezone: str) -> dict[str, str]:
    """What a night's records (`_SUCCESS.json`, its fingerprint) say of its time zone: nothing
    for UTC (the nights written before zones existed say nothing either), else `timezone`."""
    return {} if timezone == DEFAULT_TIMEZONE else {"timezone": timezone}
