"""A chief academic officer's trial: "0% of 387 students are on track", median "-3.4 months
per school year", every baseline reading a placement (the baseline night had no answers at
all), and no page said so: growth mostly measured the model pulling an optimistic placement
down as answers arrived. The unit pages now count the measured students whose growth starts
from a placement, and a student's page says it; the student page's mastery-over-time summary
of a student whose growth starts from a grade change counts from that night."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from adaptive.batch import writer
from adaptive.reports.site.data import SkillLayout
from tests.reports.test_analyst_trial import YEAR_START_NIGHT, student_sections, text_of

FROM_PLACEMENT = re.compile(
    r"([\d,]+) of the ([\d,]+) measured students had no answers yet on the baseline night "
    rf"\({YEAR_START_NIGHT}(?:, or a later night of their own: their first night with a "
    r"reading, or the first of a changed grade)?\): their growth starts from "
    r"their placement, not a measurement, and reads the model's correction of it as much as "
    r"their learning\. With more than half of them so, the growth figures of this (\w+) are "
    r"not a measure of learning yet\."
)


def test_unit_pages_say_how_many_measured_students_grow_from_a_placement(judged_site):
    """The judged site's baseline night is before any answer: every measured student's growth
    starts from their placement, said on the district, school and class pages."""
    district = text_of((judged_site / "index.html").read_text())
    said = FROM_PLACEMENT.search(district)
    assert said, district[district.find("on track") - 200 :][:1500]
    assert said.group(1) == said.group(2) and said.group(3) == "district"
    measured = re.search(r"of ([\d,]+) students? of this district are on track", district)
    assert measured and measured.group(1) == said.group(2)
    school = next(judged_site.glob("schools/*/index.html"))
    assert FROM_PLACEMENT.search(text_of(school.read_text())).group(3) == "school"
    klass = next(judged_site.glob("schools/*/*/index.html"))
    assert FROM_PLACEMENT.search(text_of(klass.read_text())).group(3) == "class"


def test_a_student_growing_from_a_placement_is_said_so_on_their_page(judged_site):
    sections = student_sections(judged_site)
    measured = [s for s in sections.values() if " months (95% interval" in s]
    assert measured
    clause = f"Growth from their placement on {YEAR_START_NIGHT}, before any answer: "
    assert all(clause in s for s in measured), measured[0][:600]


def test_a_start_reading_says_whether_the_student_had_answered(tmp_path):
    """Read with the mastery, in the same pass: no answer on any skill (the progression all
    not started) is a placement; the `placement` words cannot tell (kept once they answer)."""
    from adaptive.reports.site.data import read_start

    width, night = 3, "2026-09-01"
    progression = np.array([[0, 0, 0], [0, 1, 0]], np.int8).ravel()
    table = pa.table(
        {
            "student_id": pa.array(["a", "b"], pa.string()),
            "placement": pa.array(["placed from grade 4"] * 2, pa.string()),
            "progression": pa.FixedSizeListArray.from_arrays(pa.array(progression), width),
            "mastery": pa.FixedSizeListArray.from_arrays(
                pa.array(np.full(2 * width, 0.5, np.float32)), width
            ),
        }
    )
    writer.write_partition(tmp_path, "students", night, "s1", table)
    layout = SkillLayout(width, np.arange(width))
    mastery, placed, _ = read_start(
        tmp_path, night, "s1", np.array(["b", "x", "a"], object), layout
    )
    assert placed.tolist() == [False, False, True]
    assert np.isnan(mastery[1]).all() and (mastery[[0, 2]] == 0.5).all()


def test_mastery_over_time_counts_from_the_night_the_grade_changed():
    """A trial: beside "Growth since 2027-10-01, when the grade changed from 7 to 4", the
    summary said "Since 2027-09-01: mastery rose on 0 and fell on 4", the re-placement's drops
    (95% to 44%) read as decline."""
    from adaptive.reports.site.pages import _change_since

    dates = ["2027-09-01", "2027-10-01", "2027-11-20"]
    values = np.array([[0.95] * 4, [0.44] * 4, [0.5, 0.6, 0.44, 0.3]])
    said = _change_since(values, dates, 0, "2027-10-01")
    assert said.startswith("Since 2027-10-01, when the grade changed"), said
    assert said.endswith("mastery rose on 2 and fell on 1."), said
    assert (
        _change_since(values, dates, 0, "") == "Since 2027-09-01: mastery rose on 0 and fell on 4."
    )


def test_the_later_night_is_said_only_where_a_placement_start_is_late():
    """A trial's class page with one late starter, who had answered by their first night, said
    "the baseline night (D, or a later night of their own …)" of students whose placement starts
    were all on the baseline night. The later night is said only where one of them starts late."""
    from adaptive.reports.growth import Baseline, GrowthSummary
    from adaptive.reports.site.pages import _from_placement

    baseline = Baseline("2026-09-10", True, False, 0.3, 3.0, 2.7, True, "2026-10-22", 6.0)
    summary = GrowthSummary(20, 0.5, 0.3, 0.7, 0.5, 1.0, (0,), late_start=1, from_placement=4)
    said = _from_placement(summary, baseline, "class")
    assert "on the baseline night (2026-09-10): their growth" in said
    late = GrowthSummary(20, 0.5, 0.3, 0.7, 0.5, 1.0, (0,), late_start=1, from_placement=4,
                         from_placement_late=1)  # fmt: skip
    assert "(2026-09-10, or a later night of their own:" in _from_placement(late, baseline, "class")
