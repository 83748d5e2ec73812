"""Growth against the norm: months of learning, on track for 1.5 years, and its uncertainty."""

from __future__ import annotations

import numpy as np
import pytest

from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.errors import ConfigError
from adaptive.reports.growth import Norm, level_months, student_growth, summarize, wilson

NORM = Norm(year_start="09-01", target_years=1.5, start=0.1, end=0.7)


def catalog(n_per_grade: int = 10) -> Catalog:
    skills = [
        Skill(f"g{g}.{i}", f"grade {g} skill {i}", grade=g)
        for g in (3, 4)
        for i in range(n_per_grade)
    ]
    return Catalog(skills, [Activity(f"{s.id}.a", s.id, (s.id,), grade=s.grade) for s in skills])


def test_a_student_on_the_norm_is_at_the_month_the_norm_says():
    share = np.array([0.1, 0.4, 0.7])  # start, middle and end of the norm's year
    mastery = np.zeros((3, 20))
    mastery[:, :10] = share[:, None]  # grade 3 skills only
    mask = np.zeros((3, 20), bool)
    mask[:, :10] = True
    level, _ = level_months(mastery, mask, np.full(3, 0.1), np.full(3, 0.7))
    np.testing.assert_allclose(level, [0.0, 6.0, 12.0])


def test_on_track_means_one_and_a_half_years_of_growth_per_elapsed_year():
    cat = catalog()
    date = "2027-03-02"  # six months after the year's start
    # growth of 9 months in 6 is exactly on the bar; 8 is below; 12 above
    shares = 0.1 + (0.6 / 12) * np.array([8.0, 9.05, 12.0])
    mastery = np.zeros((3, 20))
    mastery[:, :10] = shares[:, None]
    g = student_growth(NORM, cat, np.array([3, 3, 3]), mastery, date)
    assert not g.baseline.measured and g.baseline.judged
    assert g.elapsed == pytest.approx(6.0, abs=0.05)
    assert g.target == pytest.approx(9.0, abs=0.1)
    assert g.on_track.tolist() == [False, True, True]
    np.testing.assert_allclose(g.annualized, g.months * 12 / g.elapsed)
    assert g.p_on_track[0] < 0.5 < g.p_on_track[2]


def test_growth_from_an_earlier_report_of_the_year_subtracts_its_level():
    cat = catalog()
    before, now = np.zeros((2, 20)), np.zeros((2, 20))
    before[:, :10], now[:, :10] = 0.3, 0.5
    before[1] = np.nan  # a student absent from the earlier report: no reading to grow from
    g = student_growth(NORM, cat, np.array([3, 3]), now, "2027-03-02", before, "2026-12-01")
    assert g.baseline.date == "2026-12-01" and g.baseline.measured
    assert g.months[0] == pytest.approx(12 * 0.2 / 0.6)
    months_to_baseline = 91 / (365.25 / 12)  # 2026-09-01 to 2026-12-01: a norm student's level
    assert g.baseline.since_year_start == pytest.approx(months_to_baseline)


def test_a_student_without_a_reading_on_the_baseline_night_is_left_out_and_counted():
    """An analyst's trial: a student the baseline night did not read was "assumed on the norm
    on its date" (0.4 months), while every later reading is the model's: their "growth" was the
    switch between the two scales (4 of 4 on track and 26 of 26 at 12 months a year or more
    were such students). Now growth is one scale at both ends, or none."""
    cat = catalog()
    before, now = np.zeros((3, 20)), np.zeros((3, 20))
    before[:, :10], now[:, :10] = 0.3, 0.5
    before[1] = np.nan  # absent from the baseline night
    grades = np.array([3, 3, np.nan])  # the third has no grade: counted as such, not twice
    g = student_growth(NORM, cat, grades, now, "2027-03-02", before, "2026-12-01")
    assert [g.reason(i) for i in range(3)] == ["", "no_baseline", "ungraded"]
    assert g.known.tolist() == [True, False, False] and np.isnan(g.months[1])
    assert not g.on_track[1] and np.isnan(g.p_on_track[1])
    s = g.summary()
    assert (s.n, s.left_out) == (1, {"ungraded": 1, "no_baseline": 1})
    # a school the baseline night did not serve at all: nobody has a reading then
    g = student_growth(NORM, cat, grades, now, "2027-03-02", None, "2026-12-01")
    assert not g.known.any() and g.summary().left_out == {"ungraded": 1, "no_baseline": 2}
    # served that night, but its output holds no mastery reading: said so, not "not served"
    g = student_growth(NORM, cat, grades, now, "2027-03-02", None, "2026-12-01",
                       baseline_unread=True)  # fmt: skip
    assert g.summary().left_out == {"ungraded": 1, "no_reading": 2}
    # no night at all: the year's start, every student on the norm (said so on the pages)
    g = student_growth(NORM, cat, grades, now, "2027-03-02")
    assert not g.baseline.measured and g.known.tolist() == [True, True, False]
    assert g.summary().left_out == {"ungraded": 1}


def test_a_skill_added_to_the_catalog_after_the_baseline_night_is_not_growth():
    """A review: the baseline night's reading has NaN columns for the skills its catalog
    lacked; read as mastery 0, a grade-level skill added since counted its whole mastery as
    growth. Both ends are now the skills read on both nights."""
    cat = catalog()
    before, now = np.zeros((2, 20)), np.zeros((2, 20))
    before[:, :10], now[:, :10] = 0.3, 0.5
    before[:, 8:10] = np.nan  # two grade 3 skills added to the catalog since the baseline
    g = student_growth(NORM, cat, np.array([3, 3]), now, "2027-03-02", before, "2026-12-01")
    np.testing.assert_allclose(g.months, 12 * 0.2 / 0.6)  # 0.3 -> 0.5 on the 8 read twice
    # its uncertainty too is over the 8 skills: sqrt(8 p(1-p)) / 8 at each end, not over 10
    whole = student_growth(NORM, cat, np.array([3, 3]), now, "2027-03-02", now * 0 + 0.3,
                           "2026-12-01")  # fmt: skip
    np.testing.assert_allclose(g.se, whole.se * np.sqrt(10 / 8))


def test_a_student_with_no_skill_of_their_grade_read_on_both_nights_is_left_out_and_counted():
    """A review: a student served on the baseline night whose grade's skills were all added to
    the catalog since had no growth figure and was counted nowhere: they silently dropped from
    the page's counts. Now they are left out with their own reason, counted like the others."""
    cat = catalog()
    before, now = np.zeros((3, 20)), np.zeros((3, 20))
    before[:, :10], now[:, :10] = 0.3, 0.5
    before[:, 10:], now[:, 10:] = np.nan, 0.6  # grade 4's skills: all added since
    before[2] = np.nan  # not served then: that reason, not this one
    g = student_growth(NORM, cat, np.array([3, 4, 4]), now, "2027-03-02", before, "2026-12-01")
    assert g.known.tolist() == [True, False, False]
    assert [g.reason(i) for i in range(3)] == ["", "no_common_skill", "no_baseline"]
    s = g.summary()
    assert (s.n, s.left_out) == (1, {"no_baseline": 1, "no_common_skill": 1})
    # every student is either counted or left out for one reason
    assert s.n + sum(s.left_out.values()) == 3


def test_a_student_first_served_after_the_baseline_grows_from_their_own_first_night():
    """A review: the baseline is one night for the whole district, so a student first served
    after it (a transfer in, a school onboarded mid-year) got no growth for the rest of the
    year. Their growth is now measured from their own first reading: their own months elapsed,
    bar (1.5 years a year of them), yearly pace and 6-week rule."""
    cat = catalog()
    before, now, own = np.zeros((4, 20)), np.zeros((4, 20)), np.full((4, 20), np.nan)
    before[:, :10], now[:, :10] = 0.3, 0.5
    before[1:] = np.nan  # three students not served on the baseline night, 2026-12-01
    own[1, :10] = 0.35  # first served 2027-01-15 (46 days before the report)
    own[2, :10] = 0.1  # first served 2027-02-20: under 6 weeks ago
    own[2, 3] = np.nan  # a skill not read on their first night: left out at both ends
    dates = np.array(["", "2027-01-15", "2027-02-20", ""], dtype=object)
    g = student_growth(NORM, cat, np.full(4, 3), now, "2027-03-02", before, "2026-12-01",
                       own_mastery=own, own_dates=dates)  # fmt: skip
    assert g.start_date.tolist() == ["2026-12-01", "2027-01-15", "2027-02-20", ""]
    assert g.late.tolist() == [False, True, True, False]
    elapsed = np.array([91, 46, 10]) / (365.25 / 12)
    np.testing.assert_allclose(g.elapsed[:3], elapsed)
    np.testing.assert_allclose(g.target[:3], 1.5 * elapsed)
    assert g.judged.tolist()[:3] == [True, True, False]
    assert [g.reason(i) for i in range(4)] == ["", "", "too_soon", "no_baseline"]
    assert g.months[1] == pytest.approx(12 * 0.15 / 0.6)  # 0.35 -> 0.5, not from the norm
    assert g.annualized[1] == pytest.approx(g.months[1] * 12 / elapsed[1])
    # 3 months in 1.5 elapsed: on track by their own bar (2.3), not by the district's (4.5)
    assert g.target[1] < g.months[1] < g.target[0]
    assert g.on_track.tolist() == [False, True, False, False]
    assert not g.behind_norm[1]  # their own pace: 3 months in 1.5, above the norm's
    s = g.summary()
    assert (s.n, s.late_start, s.left_out) == (2, 1, {"no_baseline": 1, "too_soon": 1})
    # per student arrays follow take and concat (a class of a school, the district of schools)
    part = g.take(np.array([2, 1]))
    assert part.start_date.tolist() == ["2027-02-20", "2027-01-15"]
    assert part.judged.tolist() == [False, True] and part.summary().late_start == 1
    assert type(g).concat([g, part]).summary().late_start == 2


def test_standard_error_matches_a_simulation_of_independent_skills():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 10)
    mastery = np.zeros((1, 20))
    mastery[0, :10] = p
    mask = np.zeros((1, 20), bool)
    mask[0, :10] = True
    _, se = level_months(mastery, mask, np.array([0.1]), np.array([0.7]))
    draws = (rng.uniform(size=(100_000, 10)) < p).mean(axis=1)
    assert se[0] == pytest.approx(np.std(12 * draws / 0.6), rel=0.02)


def test_students_without_a_grade_are_left_out_of_the_shares():
    cat = catalog()
    mastery = np.full((2, 20), 0.9)
    g = student_growth(NORM, cat, np.array([3, np.nan]), mastery, "2027-03-02")
    assert g.known.tolist() == [True, False] and not g.on_track[1]
    s = summarize(g.on_track, g.p_on_track, g.annualized)
    assert s.n == 1 and s.share_on_track == 1.0 and sum(s.histogram) == 1


def test_wilson_interval_known_value():
    low, high = wilson(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert np.isnan(wilson(0, 0)[0])


def test_norm_file_per_grade_and_errors(tmp_path):
    path = tmp_path / "norm.toml"
    path.write_text(
        'year_start = "08-15"\n[default]\nstart = 0.2\nend = 0.9\n[grade.3]\nstart = 0.3\nend = 0.8\n'
    )
    norm = Norm.from_toml(path)
    start, end = norm.band(np.array([3.0, 4.0, np.nan]))
    assert (
        start[:2].tolist() == [0.3, 0.2] and end[:2].tolist() == [0.8, 0.9] and np.isnan(start[2])
    )
    assert str(norm.year_start_of("2027-01-10").date()) == "2026-08-15"
    path.write_text("[default]\nstart = 0.9\nend = 0.2\n")
    with pytest.raises(
        ConfigError, match=r"norm.toml, line 2, column 9: \[default\]: start = 0.9, end = 0.2: exp"
    ):
        Norm.from_toml(path)
    path.write_text("[grade.K]\nstart = 0.05\nend = 0.6\n")  # kindergarten is grade 0
    assert Norm.from_toml(path).grades == {0: (0.05, 0.6)}
    path.write_text("[grade.fourth]\nstart = 0.05\nend = 0.6\n")
    with pytest.raises(
        ConfigError, match=r"\[grade.fourth\]: expected a whole number from 1 to 13, K"
    ):
        Norm.from_toml(path)
    path.write_text('year_start = "September"\n')
    with pytest.raises(ConfigError, match='year_start = "September": expected a month-day'):
        Norm.from_toml(path)
    assert Norm.from_toml().target_years == 1.5  # the shipped norm


def test_a_grade_the_catalog_has_no_skill_of_is_said_apart_from_no_grade():
    """A rollover trial: K-2 students beside a grade 3-8 catalog were counted "without a grade
    in the profiles", and a chief academic officer looked for a roster error."""
    from adaptive.reports.site.pages import LEFT_OUT_WHY, StudentGrowth

    cat = catalog()
    now = np.zeros((3, 20))
    now[:, :10] = 0.5
    g = student_growth(NORM, cat, np.array([3, 0, np.nan]), now, "2027-03-02")
    assert [g.reason(i) for i in range(3)] == ["", "grade_off_catalog", "ungraded"]
    assert g.summary().left_out == {"ungraded": 1, "grade_off_catalog": 1}
    assert "without a grade" not in LEFT_OUT_WHY["grade_off_catalog"]
    said = StudentGrowth.of(g, 1, 0.0).sentence(1.5)
    assert said == "Growth: unknown (the catalog has no skill of grade K: nothing to measure)."
