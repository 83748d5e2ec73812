"""When a school year starts: the one definition, the growth norm's `year_start` (a month-day,
"09-01" in the shipped norm, `src/adaptive/specs/norm.toml`).

The reports' growth series, the overrides of last school year, a folder continued into a new
year, and the grade a student was in when they answered a training log's question (the
placement table read from a log of several school years, `adaptive.placement.calibrate`) all
read it here. A module of its own, below the reports and the placement alike: the reports
import the batch and the models, which import the placement, so the placement cannot import the
reports.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from adaptive.errors import ConfigError
from adaptive.specs import SPECS_DIR

if TYPE_CHECKING:
    from adaptive.reports.growth import Norm

#: The month-day a school year starts where a norm file does not say (the shipped norm's).
DEFAULT_YEAR_START = "09-01"


def month_day(year_start: str, where: str = "norm") -> tuple[int, int]:
    """(month, day) of a `year_start` "MM-DD"; a `ConfigError` naming `where` otherwise."""
    try:
        month, dom = (int(x) for x in year_start.split("-"))
        pd.Timestamp(year=2000, month=month, day=dom)  # a leap year: 02-29 is a day
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"{where}: year_start {year_start!r}: expected MM-DD, e.g. 09-01"
        ) from exc
    return month, dom


def school_years(times: object, year_start: str = DEFAULT_YEAR_START) -> np.ndarray:
    """The calendar year in which the school year of each of `times` started (int64; 2026 for
    2027-03-01 and for 2026-09-01 with "09-01"): the day of each time (UTC for an aware one,
    as a log's timestamps are; a naive one is UTC) against `year_start`. Vectorized in numpy:
    a whole log's times at once."""
    month, dom = month_day(year_start)
    days = np.atleast_1d(times)
    if days.dtype.kind != "M":  # ISO text, Timestamps (aware ones to UTC)
        days = pd.to_datetime(days, utc=True, format="ISO8601").tz_convert(None).to_numpy()
    if not days.size:
        return np.zeros(0, np.int64)
    # the year starts from the year before the earliest time to the latest: each time's is the
    # last start at or before it (a search among a few dozen starts, not a date per row)
    first, last = np.array([days.min(), days.max()], "datetime64[Y]").astype(np.int64) + 1970
    years = np.arange(first - 1, last + 1)
    starts = ((years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1)).astype(
        "datetime64[D]"
    ) + (dom - 1)
    return years[np.searchsorted(starts.astype(days.dtype), days, side="right") - 1]


def year_start_of(
    date: object, year_start: str = DEFAULT_YEAR_START, where: str = "norm"
) -> pd.Timestamp:
    """The first day of the school year that `date` falls in (`school_years`)."""
    day = pd.Timestamp(date)
    month, dom = month_day(year_start, where)
    try:
        return pd.Timestamp(year=int(school_years(day, year_start)[0]), month=month, day=dom)
    except ValueError as exc:  # 02-29 in a year without one
        raise ConfigError(
            f"{where}: year_start {year_start!r}: expected MM-DD, e.g. 09-01"
        ) from exc


def norm_year_start(norm: Norm | str | Path | None = None) -> str:
    """The month-day a school year starts by the growth norm `norm`: a `Norm`, a norm TOML file
    (read with all the norm's checks), or None: the shipped norm's."""
    if norm is None:
        return _shipped_year_start()
    if isinstance(norm, str | Path):
        from adaptive.reports.growth import Norm  # a district's file: the norm's own checks

        norm = Norm.from_toml(norm)
    return norm.year_start


@cache
def _shipped_year_start() -> str:
    """The shipped norm's `year_start` (read once: the placement reads it on every fit)."""
    with open(SPECS_DIR / "norm.toml", "rb") as f:
        return str(tomllib.load(f).get("year_start", DEFAULT_YEAR_START))


def school_year_start(day: str, norm: Norm | str | Path | None = None) -> str:
    """The first day (YYYY-MM-DD) of the school year `day` falls in: the growth norm's
    `year_start` (`norm`: a `Norm`, or a norm TOML file, default the shipped one), the one
    definition of a school year: the reports' growth series, the overrides files of last school
    year, a folder continued into a new one, the grade a training log's answer was given in."""
    return year_start_of(day, norm_year_start(norm)).strftime("%Y-%m-%d")
