"""Dates a user gives are ISO 8601: 03/04/2027 is 3 April or 4 March depending on the reader."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from adaptive.batch import run_daily_job
from adaptive.dates import iso_day, parse_iso
from adaptive.errors import ConfigError


@pytest.mark.parametrize(
    "value",
    ["2027-04-03", " 2027-04-03 ", "2027-04-03T08:30:00Z", "2027-04-03T08:30", "20270403",
     dt.date(2027, 4, 3), dt.datetime(2027, 4, 3, 8), pd.Timestamp("2027-04-03", tz="UTC")],
)  # fmt: skip
def test_iso_dates_and_date_objects_are_read(value):
    assert iso_day(value) == "2027-04-03"


@pytest.mark.parametrize(
    "value", ["03/04/2027", "04/03/2027", "3 April 2027", "today", "", None, 1]
)
def test_anything_else_is_one_clear_error(value):
    with pytest.raises(ConfigError, match="expected an ISO 8601 date such as"):
        parse_iso(value, "--date")


def test_the_nightly_job_refuses_an_ambiguous_date_before_any_work(tmp_path):
    """pandas reads 03/04/2027 as 4 March: the job would have served the wrong night."""
    with pytest.raises(ConfigError, match="'03/04/2027'"):
        run_daily_job("03/04/2027", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_policys_now_given_as_text_is_iso_too():
    from adaptive.policy.base import to_days

    assert to_days("2027-04-03") == pd.Timestamp("2027-04-03", tz="UTC").value / 86_400e9
    with pytest.raises(ConfigError, match="now '03/04/2027'"):
        to_days("03/04/2027")


def test_an_iso_shaped_date_that_names_no_day_says_why() -> None:
    """The trial of stop 39: `--date 2027-02-30` said "expected an ISO 8601 date", though it
    is written in that form."""
    import pytest

    from adaptive.dates import parse_iso
    from adaptive.errors import ConfigError

    with pytest.raises(ConfigError, match="no such day: 2027-02 has 28 days, not day 30"):
        parse_iso("2027-02-30")
    with pytest.raises(ConfigError, match="there is no month 13"):
        parse_iso("2027-13-01")
    with pytest.raises(ConfigError, match="expected an ISO 8601 date"):
        parse_iso("2027-02-12T25:00")  # the day exists: the general message
    assert str(parse_iso("2024-02-29").date()) == "2024-02-29"


def test_the_latest_answer_after_the_night_is_dated_in_the_districts_zone() -> None:
    """The trial of stop 39: a 9 pm answer in Chicago on the 24th was said "up to 2027-02-25"
    (its UTC date) while the night is cut at Chicago's midnight."""
    import warnings

    import numpy as np
    import pandas as pd

    from adaptive.batch.night_checks import warn_future_rows

    nine_pm = pd.Timestamp("2027-02-24 21:00", tz="America/Chicago").tz_convert("UTC").value
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        n = warn_future_rows(np.array([nine_pm]), "log.csv", "2027-02-22", "America/Chicago")
    assert n == 1 and "(up to 2027-02-24)" in str(caught[0].message)
