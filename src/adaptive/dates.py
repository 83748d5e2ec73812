"""Dates given by a user (`--date`, `--now`, `run_daily_job(date)`): ISO 8601 only.

`pandas.Timestamp("03/04/2027")` is the 4th of March; a district that writes day first means the
3rd of April, and its nightly job would serve the wrong day without a word. A date given as text
must therefore be ISO 8601 (2027-04-03, or a date-time such as 2027-04-03T08:00:00Z); a
`pandas.Timestamp`, `datetime` or `date` object is taken as it is.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from adaptive.errors import ConfigError

EXAMPLE = "2027-02-12"


def parse_iso(value: str | dt.date | pd.Timestamp, what: str = "date") -> pd.Timestamp:
    """`value` as a Timestamp; text must be ISO 8601 (`ConfigError` naming `what` otherwise)."""
    if isinstance(value, pd.Timestamp | dt.date):
        return pd.Timestamp(value)
    stamp = iso_timestamp(value) if isinstance(value, str) else None
    if stamp is not None:
        return stamp
    raise ConfigError(
        f"{what} {value!r}: expected an ISO 8601 date such as {EXAMPLE} (year-month-day; "
        "a date such as 03/04/2027 reads as a different day in different countries)"
    )


def iso_timestamp(text: str) -> pd.Timestamp | None:
    """`text` (trimmed) as a Timestamp when it is ISO 8601, else None: the one test of text dates
    that `parse_iso` and `adaptive.data.Response` share (no error type, so each says its own)."""
    text = text.strip()
    try:
        dt.datetime.fromisoformat(text)  # ISO 8601 only ("Z" included since Python 3.11)
        return pd.Timestamp(text)
    except ValueError:
        return None


def iso_day(value: str | dt.date | pd.Timestamp, what: str = "date") -> str:
    """The day of `value` as YYYY-MM-DD (see `parse_iso`)."""
    return parse_iso(value, what).strftime("%Y-%m-%d")
