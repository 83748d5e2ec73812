"""A district chief academic officer's trial of growth against a norm of their own: the pages
say which norm they used, a norm file's mistakes are all said at once, and a student with no
answer since their start is not measured yet."""

from __future__ import annotations

import json
import re
import warnings
from html import unescape
from pathlib import Path

import numpy as np
import pytest

from adaptive.errors import ConfigError
from adaptive.reports.growth import Norm, student_growth
from adaptive.reports.site import build_site, student_groups
from adaptive.reports.site.pages import StudentGrowth
from adaptive.reports.teacher import GROUPS
from tests.reports.test_growth import NORM, catalog


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _grades(profiles: Path) -> list[int]:
    with profiles.open() as f:
        return sorted({int(json.loads(line)["grade"]) for line in f if line.strip()})


def test_the_norm_in_words_names_its_file_and_each_grade(tmp_path):
    assert Norm.from_toml().describe() == (
        "the shipped norm (src/adaptive/specs/norm.toml), the share at the year's start to its "
        "end: every grade 10% to 80%"
    )
    path = tmp_path / "district_norm.toml"
    path.write_text("[grade.3]\nstart = 0.1\nend = 0.45\n[default]\nstart = 0.2\nend = 0.9\n")
    said = Norm.from_toml(path).describe()
    assert said.startswith("district_norm.toml (the district's own norm file)")
    assert said.endswith("grade 3 10% to 45%; every other grade 20% to 90%")


@pytest.fixture(scope="module")
def custom_norm_site(report_district, tmp_path_factory):
    """The district's site with a norm file of its own that has a table for every served grade
    but the last, and no [default]."""
    d = report_district
    root = tmp_path_factory.mktemp("custom-norm")
    grades = _grades(d.profiles)
    path = root / "norm_nog.toml"
    path.write_text(
        "target_years = 1.5\n"
        + "".join(f"[grade.{g}]\nstart = 0.1\nend = 0.45\n" for g in grades[:-1])
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_site(d.batch, d.day, root / "site", catalog=d.catalog, profiles=d.profiles, norm=path)
    return root / "site", grades, [str(w.message) for w in caught]


def test_the_district_page_says_the_norm_it_used(custom_norm_site):
    site, grades, _ = custom_norm_site
    method = _text((site / "index.html").read_text()).split("How growth is measured")[1]
    assert "norm_nog.toml" in method
    assert f"grade {grades[0]} 10% to 45%" in method
    assert "start (10%) and the end (80%)" not in method


def test_a_served_grade_the_norm_file_leaves_out_is_warned_of_and_said(custom_norm_site):
    site, grades, caught = custom_norm_site
    last = grades[-1]
    said = [m for m in caught if "norm_nog.toml: no table for grade" in m]
    assert said == [
        f"norm_nog.toml: no table for grade {last} (served tonight) and no [default]: it uses "
        f"the shipped default, 10% to 80%; add [grade.{last}] (start, end) or a [default] table "
        "to set it"
    ]
    method = _text((site / "index.html").read_text()).split("How growth is measured")[1]
    assert (
        f"grade {last} (served, no table in the file) and every other grade 10% to 80% (the "
        "shipped default: the file has no [default])"
    ) in method


def test_a_norm_with_a_default_or_every_grade_warns_of_nothing(tmp_path):
    path = tmp_path / "norm.toml"
    path.write_text("[grade.3]\nstart = 0.1\nend = 0.45\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Norm.from_toml(path).served([3.0, float("nan")]).unnormed == ()
        assert Norm.from_toml().served([3.0, 5.0]).unnormed == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "target_years = 150\n",
            "target_years = 150: expected years of growth per school year, more than 0 and at "
            "most 5; a percent is not years: for 150% write 1.5",
        ),
        ("target_years = 0\n", "target_years = 0: expected years of growth per school year"),
        (
            "target_year = 2\n",
            "unknown key `target_year`; did you mean `target_years`? (expected year_start, "
            "target_years, baseline_weeks, min_weeks, default, grade)",
        ),
        (
            "[grade.3]\nstrat = 0.1\nend = 0.8\n",
            "unknown key `grade.3.strat`; did you mean `start`?",
        ),
        (
            "target_years = 1.5\ntarget_years = 2\n",
            "line 2: `target_years` is set twice (line 1); expected each key once",
        ),
    ],
)
def test_a_norm_file_refuses_an_implausible_bar_and_unknown_or_repeated_keys(
    tmp_path, content, message
):
    path = tmp_path / "norm.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        Norm.from_toml(path)
    assert message in str(caught.value)


def test_a_student_with_no_answer_since_their_start_is_not_measured_yet():
    """A school onboarded mid-year: 203 of its 275 "measured" students had no answer since
    their start, growth 0.0 each (the school's median 0.0), some flagged "Needs remediation"."""
    before, now = np.full((3, 20), 0.3, np.float32), np.full((3, 20), 0.3, np.float32)
    now[1, :10] = 0.5  # answered since: measured growth
    now[2, 15] = 0.6  # answered only on another grade's skill: evidence, read as measured
    g = student_growth(NORM, catalog(), np.full(3, 3), now, "2027-03-02", before, "2026-12-01")
    assert [g.reason(i) for i in range(3)] == ["no_new_answers", "", ""]
    assert not g.known[0] and np.isnan(g.months[0]) and g.known[1:].all()
    assert g.summary().left_out == {"no_new_answers": 1} and g.summary().n == 2
    said = StudentGrowth.of(g, 0).sentence(1.5)
    assert said == "Growth: not measured yet: no answer since the baseline night (2026-12-01)."
    # a gap in current work alone (not most of it) flags no remediation without a growth
    group = np.full((3, 20), GROUPS.index("on_track"), np.int8)
    group[0, 0] = GROUPS.index("remediate")
    progression = np.ones((3, 20), np.int8)
    groups = student_groups(group, progression=progression, n_stuck=np.zeros(3), growth=g)
    assert GROUPS[groups[0]] != "remediate"


def test_the_district_table_says_how_many_students_are_measured_and_from_when(
    custom_norm_site,
):
    """A school of 523 students with 275 measured over 2 months was ranked beside schools whose
    students were all measured over 5, the table saying neither."""
    from adaptive.reports.site.build import _measured_cell

    site, _, _ = custom_norm_site
    html = (site / "index.html").read_text()
    assert '<button type="button">Growth measured</button>' in html
    before, now, own = np.full((4, 20), 0.3), np.full((4, 20), 0.5), np.full((4, 20), np.nan)
    before[2:] = np.nan  # their school was onboarded after the baseline night
    own[2:] = 0.2
    dates = np.array(["", "", "2026-12-20", "2026-12-20"], dtype=object)
    g = student_growth(NORM, catalog(), np.full(4, 3), now, "2027-03-02", before, "2026-09-01",
                       own_mastery=own, own_dates=dates)  # fmt: skip
    assert _measured_cell(g) == '<span data-v="4">4 (2 measured from 2026-12-20)</span>'
    assert _measured_cell(g.take(np.array([0, 1]))) == '<span data-v="2">2</span>'


def test_a_norm_file_lists_every_problem_on_its_line_as_the_file_writes_it(tmp_path):
    path = tmp_path / "norm.toml"
    path.write_text(
        "target_years = true\n[default]\nstart = 0.8\nend = 0.1\n[grade.3]\nstrat = 0.1\nend = 0.8\n"
        "[grade.5]\nstart = 10\nend = 80\n"
    )
    with pytest.raises(ConfigError) as caught:
        Norm.from_toml(path)
    assert str(caught.value) == (
        f"{path}: 5 problems:\n"
        "  - line 1, column 16: target_years = true: expected a number, years of growth per "
        "school year\n"
        "  - line 3, column 9: [default]: start = 0.8, end = 0.1: expected shares, 0 <= start < "
        "end <= 1\n"
        "  - line 5, column 1: [grade.3]: no `start`; expected start and end, shares\n"
        "  - line 6, column 9: unknown key `grade.3.strat`; did you mean `start`? (expected "
        "start, end)\n"
        "  - line 9, column 9: [grade.5]: start = 10, end = 80: expected shares, 0 <= start < "
        "end <= 1 (a share, not a percent: 0.8 for 80%)"
    )
    path.write_text('year_start = "2026-09-01"\n')
    with pytest.raises(ConfigError) as caught:
        Norm.from_toml(path)
    assert str(caught.value) == (
        f'{path}, line 1, column 14: year_start = "2026-09-01": expected a month-day in quotes, '
        'e.g. "09-01"'
    )
