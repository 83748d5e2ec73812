"""The one definition of a school year (`adaptive.school_year`): the vectorized reading of a
log's times agrees with the day-by-day one the reports and the batch use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adaptive.errors import ConfigError
from adaptive.school_year import school_year_start, school_years, year_start_of


@pytest.mark.parametrize("year_start", ["09-01", "08-15", "01-01"])
def test_a_log_s_times_read_at_once_agree_with_each_day_s_school_year(year_start):
    days = pd.date_range("2022-12-25", "2027-09-05", freq="37h")
    years = school_years(days.to_numpy(), year_start)
    one_by_one = [year_start_of(d, year_start).year for d in days[::97]]
    assert years[::97].tolist() == one_by_one
    assert school_years(days.tz_localize("UTC"), year_start).tolist() == years.tolist()


def test_the_first_day_of_a_school_year_is_in_it():
    assert school_years(["2026-08-31T23:59", "2026-09-01", "2027-03-01"]).tolist() == [
        2025,
        2026,
        2026,
    ]
    assert school_year_start("2027-09-01") == "2027-09-01"
    assert school_year_start("2027-08-31") == "2026-09-01"
    assert school_years(np.array([], "datetime64[ns]")).tolist() == []
    with pytest.raises(ConfigError, match="year_start '9/1': expected MM-DD"):
        school_years(["2027-01-01"], "9/1")
