"""Growth after a mid-year grade correction: the nightly job places a student whose profile's
grade changed again from the new grade (`place_regraded`), so their never-answered skills of
tonight's grade were read on the baseline night from the old grade's placement (~0.95 on
grade-3 skills placed from grade 6, ~0.56 after). A vendor's trial: 3 students corrected from
grade 6 to 3 read -6.6, 0.7 and -1.9 months, all "needs remediation"; 2 corrected from 3 to 6
read 1.2 and 4.6 months, one "ready to accelerate". Their growth now starts from the first
night of their new grade, as a late start's does."""

from __future__ import annotations

import html
import json
import re
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa

from adaptive.batch import run_daily_job, writer
from adaptive.batch.partition import OUTPUT_TABLES
from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.reports.growth import Norm, student_growth
from adaptive.reports.site import build_site
from adaptive.reports.site.build import growth_starts
from adaptive.reports.site.data import BatchRun, SkillLayout
from adaptive.reports.site.pages import StudentGrowth

WIDTH = 3
LAYOUT = SkillLayout(WIDTH, np.arange(WIDTH))
NIGHTS = ["2026-09-01", "2026-09-08", "2026-09-15", "2026-10-30"]


def serve(out, night: str, grades: dict[str, float], level: float) -> None:
    """One school's night: every student answered, read at `level`, served with `grades`."""
    listing = _serve_school(out, night, "s1", grades, level)
    writer.finish_date_listing(out, OUTPUT_TABLES, night, listing, {"date": night})


def test_a_student_whose_grade_changed_grows_from_the_first_night_of_the_new_grade(tmp_path):
    """`b` keeps grade 4 and grows from the baseline; `a`, grade 6 corrected to 3 on the third
    night, from that night, said as a grade change from 6."""
    for i, night in enumerate(NIGHTS):
        serve(tmp_path, night, {"a": 6.0 if i < 2 else 3.0, "b": 4.0}, level=0.1 * (i + 1))
    run = BatchRun(tmp_path, NIGHTS[-1], ("s1",), "m", "1")
    layouts = dict.fromkeys(NIGHTS, LAYOUT)
    starts = growth_starts(run, NIGHTS[0], NIGHTS[1:-1], layouts, ["s1"])
    dates = dict(zip(starts.ids, starts.dates, strict=True))
    assert dates == {"a": NIGHTS[2], "b": NIGHTS[0]}
    assert starts.regraded.to_dict() == {"a": 6.0}
    assert starts.regraded_from(np.array(["b", "a"], object)).tolist()[1] == 6.0


def test_a_grade_changed_tonight_starts_tonight_and_cannot_be_judged_yet(tmp_path):
    for i, night in enumerate(NIGHTS):
        serve(tmp_path, night, {"a": 6.0 if i < 3 else 3.0}, level=0.1 * (i + 1))
    run = BatchRun(tmp_path, NIGHTS[-1], ("s1",), "m", "1")
    starts = growth_starts(run, NIGHTS[0], NIGHTS[1:-1], dict.fromkeys(NIGHTS, LAYOUT), ["s1"])
    assert len(starts.ids) == 0 and starts.regraded.to_dict() == {"a": 6.0}
    tonight = np.full((1, WIDTH), 0.4, np.float32)
    base, unread, own, own_dates = starts.of(np.array(["a"], object), tonight, NIGHTS[-1])
    assert np.isnan(base).all() and own_dates.tolist() == [NIGHTS[-1]]


def test_student_growth_of_a_regraded_student_is_a_late_start_flagged_regraded():
    skills = tuple(Skill(f"g3.s{i}", f"S{i}", (), grade=3) for i in range(WIDTH))
    acts = tuple(Activity(f"{s.id}.a", s.name, (s.id,), grade=3) for s in skills)
    catalog = Catalog(skills, acts)
    now = np.full((2, WIDTH), 0.5)
    base = np.full((2, WIDTH), 0.9)
    base[0] = np.nan  # the regraded student: no baseline row
    own = np.full((2, WIDTH), np.nan)
    own[0] = 0.3
    g = student_growth(
        Norm(), catalog, np.array([3.0, 3.0]), now, "2026-11-01", base, "2026-09-01",
        own_mastery=own, own_dates=np.array(["2026-09-15", ""], object),
        regraded_from=np.array([6.0, np.nan]),
    )  # fmt: skip
    assert g.regraded.tolist() == [True, False]
    assert g.months[0] > 0 > g.months[1]  # from 0.3 up to 0.5; the other from 0.9 down
    assert g.start_date.tolist() == ["2026-09-15", "2026-09-01"]
    assert g.take(np.array([0])).regraded.tolist() == [True]
    said = StudentGrowth.of(g, 0, 3.0).sentence(1.5)
    assert said.startswith("Growth since 2026-09-15, when the grade changed from 6 to 3"), said


def test_the_night_records_the_grade_it_served_each_student_with(report_district):
    d = report_district
    students = d.students()
    profiles = {
        r["student_id"]: r.get("grade")
        for r in map(json.loads, d.profiles.read_text().splitlines())
    }
    expected = students["student_id"].map(profiles).astype(float).to_numpy()
    assert students["grade"].dtype == np.float32
    np.testing.assert_array_equal(students["grade"].to_numpy(float), expected)


def _section(site, sid: str) -> str:
    """The plain text of a student's section of their class's students page."""
    for path in site.glob("schools/*/*/students.html"):
        text = path.read_text()
        i = text.find(f'<section class="student" id="s-{sid}"')
        if i >= 0:
            part = text[i : text.find("</section>", i)]
            return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", part)))
    raise AssertionError(sid)


def test_a_grade_corrected_after_the_baseline_is_not_read_as_growth(report_district, tmp_path):
    """End to end: the baseline night served with the profiles as first loaded, a grade-6
    student corrected to grade 3 from the next week's night on; the report 6 weeks later
    measures their growth from that night (before: from their grade-6 placement)."""
    d = report_district
    rows = [json.loads(line) for line in d.profiles.read_text().splitlines()]
    answered = d.students().loc[lambda s: (np.stack(s["progression"]) != 0).any(axis=1)]
    sids = set(answered["student_id"])
    moved = [r for r in rows if r.get("grade") == 6 and r["student_id"] in sids][:2]
    assert moved
    for r in moved:
        r["grade"] = 3
    corrected = tmp_path / "profiles.jsonl"
    corrected.write_text("".join(json.dumps(r) + "\n" for r in rows))
    batch, regraded = tmp_path / "batch", "2026-09-05"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nights before the log's answers
        run_daily_job("2026-09-01", batch, **d.job_args(backfill=True))
        run_daily_job(regraded, batch, **d.job_args(backfill=True, profiles=corrected))
        run_daily_job(d.day, batch, **d.job_args(profiles=corrected))
    assert pd.Timestamp(d.day) - pd.Timestamp(regraded) >= pd.Timedelta(weeks=6)
    site = tmp_path / "site"
    build_site(batch, d.day, site, catalog=d.catalog, profiles=corrected)
    for r in moved:
        said = _section(site, r["student_id"])
        assert f"Growth since {regraded}, when the grade changed from 6 to 3" in said, said
        # mastery over time counts from the same night (the re-placement's drops no decline)
        assert f"Since {regraded}, when the grade changed and the student was placed" in said
    kept = next(
        r for r in rows if r.get("grade") == 6 and r["student_id"] in sids and r not in moved
    )
    assert "when the grade changed" not in _section(site, kept["student_id"])
    pages = [p.read_text() for p in site.rglob("*.html")]
    assert any(re.search(r"\d students? of them from the first night of a grade", p) for p in pages)


def test_a_regraded_student_is_sought_where_first_served_not_in_every_school(
    tmp_path, count_id_reads
):
    """The search for the first night of the new grade reads each later night's file of the
    school that first served the student after the baseline, never every school's ids (a grade
    corrected late in the year read ~100,000 files at every build)."""
    days = [str(d.date()) for d in pd.date_range("2026-09-01", periods=8, freq="7D")]
    for i, night in enumerate(days):
        listing = {}
        for school, ids in {"s0": ["x"], "s1": ["a", "b"], "s2": ["y"]}.items():
            grades = {s: (6.0 if i < 5 else 3.0) if s == "a" else 4.0 for s in ids}
            listing.update(_serve_school(tmp_path, night, school, grades, level=0.1 * (i + 1)))
        writer.finish_date_listing(tmp_path, OUTPUT_TABLES, night, listing, {"date": night})
    reads = count_id_reads
    run = BatchRun(tmp_path, days[-1], ("s0", "s1", "s2"), "m", "1")
    layouts = dict.fromkeys(days, LAYOUT)
    for _build in ("indexing every night", "through the index"):
        reads.clear()
        starts = growth_starts(run, days[0], days[1:-1], layouts, ["s0", "s1", "s2"])
        assert dict(zip(starts.ids, starts.dates, strict=True))["a"] == days[5]
        assert starts.regraded.to_dict() == {"a": 6.0}
    assert all(r.startswith(f"date={days[0]}/") for r in reads), reads  # the baseline's alone


def _serve_school(
    out, night: str, school: str, grades: dict[str, float], level: float
) -> dict[str, dict]:
    """One school's students file of a night (as `serve`); its `_SUCCESS.json` entry."""
    ids = list(grades)
    m = np.full(len(ids) * WIDTH, level, np.float32)
    table = pa.table(
        {
            "student_id": pa.array(ids, pa.string()),
            "grade": pa.array(np.array(list(grades.values()), np.float32)),
            "progression": pa.FixedSizeListArray.from_arrays(
                pa.array(np.ones(len(ids) * WIDTH, np.int8)), WIDTH
            ),
            "mastery": pa.FixedSizeListArray.from_arrays(pa.array(m), WIDTH),
        }
    )
    path = writer.partition_path(out, "students", night, school)
    return {
        str(path.relative_to(out)): writer.write_partition(out, "students", night, school, table)
    }
