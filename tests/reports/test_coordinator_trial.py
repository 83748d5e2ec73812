"""Defects a school data coordinator found in the report site (trial 3), a test or more each:

1. growth fell to ~0 from the second report on (the previous night became the baseline), and a
   back-dated night changed reports already published; over a few days growth is noise;
2. students with no answer yet were shown as measured ("On track", growth, 95% cells);
3. an empty roster name was reported as "2 field(s); expected 2";
4. a roster naming none of the served students was accepted without a word;
5. "Mastered 0" beside 100% cells and "you mastered it" reasons;
6. "On track" meant a group and the growth verdict on one page;
7. a teacher's mode said nothing about its effect;
8. `--school "sch0000 "` was refused, and a class of another school was "no such class".
"""

from __future__ import annotations

import html
import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from adaptive.batch import run_daily_job
from adaptive.batch.overrides import OverrideSet, StudentOverride, record_overrides
from adaptive.batch.writer import MARKED_TABLE, partition_path
from adaptive.cli import run
from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.reports.growth import Norm, choose_baseline, student_growth
from adaptive.reports.site import ReportInputError, build_site
from adaptive.reports.site.build import _scope_schools
from adaptive.reports.site.data import BatchRun

NORM = Norm(year_start="09-01", target_years=1.5, start=0.1, end=0.7)


def catalog() -> Catalog:
    """Ten skills of grade 3 and ten of grade 4, one activity each."""
    skills = [
        Skill(f"g{g}.{i}", f"grade {g} skill {i}", grade=g) for g in (3, 4) for i in range(10)
    ]
    return Catalog(skills, [Activity(f"{s.id}.a", s.id, (s.id,), grade=s.grade) for s in skills])


def text_of(page: str) -> str:
    """A page's visible text, tags dropped."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def unit_pages(site: Path) -> dict[str, bytes]:
    """The district, school and class pages (not the students' pages, whose mastery over time
    shows every night by design)."""
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("index.html"))}


def section(site: Path, klass: str, sid: str) -> str:
    """A student's section of the class's students page, as text."""
    page = next(site.glob(f"schools/*/{klass}/students.html")).read_text()
    start = page.index(f'id="s-{sid}"')
    return text_of(page[start : page.index("</section>", start)])


def untagged(text: str) -> str:
    """`text_of`'s text without the spaces its dropped tags left inside brackets and before
    punctuation ("( 4 grades ... )" reads "(4 grades ...)")."""
    return re.sub(r" ([),:;.])", r"\1", text.replace("( ", "("))


def shifted(day: str, days: int) -> str:
    return (pd.Timestamp(day) + pd.Timedelta(days=days)).strftime("%Y-%m-%d")


def fake_night(batch: Path, day: str, new_day: str, scale: float, complete: bool = True) -> None:
    """A night `new_day` whose students output is `day`'s with every mastery times `scale`
    (what the report reads of an earlier night: its `students` table), complete (`day`'s
    `_SUCCESS.json` copied beside it) or, with `complete=False`, as a killed run leaves it."""
    for src in sorted((batch / "students" / f"date={day}").glob("school=*/part-0.parquet")):
        table = pq.read_table(src)
        column = table.column("mastery").combine_chunks()
        values = pc.multiply(column.flatten(), pa.scalar(scale, pa.float32()))
        size = column.type.list_size
        mastery = pa.FixedSizeListArray.from_arrays(values.cast(pa.float32()), size)
        table = table.set_column(table.schema.get_field_index("mastery"), "mastery", mastery)
        dest = batch / "students" / f"date={new_day}" / src.parent.name / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, dest)
    if complete:
        marker = batch / MARKED_TABLE / f"date={day}" / "_SUCCESS.json"
        (batch / MARKED_TABLE / f"date={new_day}").mkdir(parents=True, exist_ok=True)
        shutil.copy(marker, batch / MARKED_TABLE / f"date={new_day}" / "_SUCCESS.json")


def build(d, batch: Path, out: Path, **kw):
    return build_site(batch, d.day, out, catalog=d.catalog, profiles=d.profiles, **kw)


# 1. the growth baseline ------------------------------------------------------------------------


def test_baseline_is_a_night_of_the_years_first_weeks_else_the_years_first_night():
    nights = ["2026-09-10", "2026-09-20", "2027-02-10", "2027-02-18"]
    assert choose_baseline(NORM, "2027-02-19", nights) == "2026-09-10"
    # a district that started mid-term: its first night served (never the previous one)
    assert choose_baseline(NORM, "2027-02-19", ["2027-02-10", "2027-02-18"]) == "2027-02-10"
    served = {"2027-02-18": 0, "2027-02-10": 1}  # 2027-02-10 back-filled afterwards
    assert choose_baseline(NORM, "2027-02-19", ["2027-02-10", "2027-02-18"], served) == (
        "2027-02-18"
    )
    # only nights up to the report's date, of its own school year
    assert choose_baseline(NORM, "2026-09-15", ["2026-09-20"]) is None
    assert choose_baseline(NORM, "2027-09-15", nights) is None


def test_growth_a_few_days_after_the_baseline_is_not_judged():
    cat = catalog()
    mastery = np.full((2, 20), 0.3)
    g = student_growth(NORM, cat, np.array([3, 3]), mastery, "2026-09-20")
    assert not g.baseline.judged and g.baseline.judged_from == "2026-10-13"
    assert not g.known.any() and not g.on_track.any() and np.isnan(g.p_on_track).all()
    summary = g.summary()
    assert summary.n == 0 and not summary.judged
    sentence = g.baseline.sentence()
    assert sentence.startswith("Growth cannot be judged yet: 2.7 weeks since the baseline")
    assert "judged from 6 weeks on (2026-10-13)" in sentence


def test_report_of_a_date_is_the_same_whatever_later_nights_are_run(report_district, tmp_path):
    """The coordinator's night 2 put the previous night (one day earlier) as the baseline: 99%
    "not on track", median growth 0.0; a night back-dated afterwards changed it again."""
    d = report_district
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    build(d, batch, tmp_path / "before")
    before = unit_pages(tmp_path / "before")
    district = text_of(before["index.html"].decode())
    assert f"0.0 weeks since the baseline, {d.day}" in district  # its first night
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # back-filled nights
        run_daily_job(shifted(d.day, -1), batch, **d.job_args(backfill=True))
        run_daily_job(shifted(d.day, -5), batch, **d.job_args(backfill=True))
    build(d, batch, tmp_path / "after")
    assert unit_pages(tmp_path / "after") == before


def test_nights_back_filled_after_a_report_never_change_it(report_district, tmp_path):
    """An evaluation lead's trial: a night of the year's first weeks back-filled after the
    report's own night replaced the baseline (the earliest night by date), and a report for the
    same date changed on every page (5% on track -> 4%, median growth 1.3 -> 0.3). A report now
    reads only the nights served before its own; the year's baseline is its first night served
    in the first weeks, which a later back-fill does not replace."""
    from adaptive.batch import run_daily_job
    from adaptive.batch.writer import served_order

    d = report_district
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    later = shifted(d.day, 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nights before the log's answers, back-filled ones
        run_daily_job("2026-09-21", batch, **d.job_args(backfill=True))
        run_daily_job(later, batch, **d.job_args())
        build(d, batch, tmp_path / "day", norm=Norm(min_weeks=4))
        build_site(batch, later, tmp_path / "later", catalog=d.catalog, profiles=d.profiles,
                   norm=Norm(min_weeks=4))  # fmt: skip
        run_daily_job("2026-09-14", batch, **d.job_args(backfill=True))
    assert served_order(batch) == [d.day, "2026-09-21", later, "2026-09-14"]
    build(d, batch, tmp_path / "day-again", norm=Norm(min_weeks=4))
    assert unit_pages(tmp_path / "day-again") == unit_pages(tmp_path / "day")
    district = text_of(unit_pages(tmp_path / "day")["index.html"].decode())
    assert f"0.0 weeks since the baseline, {d.day}" in district  # nothing served before d.day
    build_site(batch, later, tmp_path / "later-again", catalog=d.catalog, profiles=d.profiles,
               norm=Norm(min_weeks=4))  # fmt: skip
    assert unit_pages(tmp_path / "later-again") == unit_pages(tmp_path / "later")
    district = text_of(unit_pages(tmp_path / "later")["index.html"].decode())
    assert "Baseline: 2026-09-21 (the school year's first night served)" in district


def test_a_night_of_the_years_first_weeks_is_the_baseline(report_district, tmp_path):
    d = report_district
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    fake_night(batch, d.day, "2026-09-08", 0.5)
    norm = Norm(min_weeks=4)
    build(d, batch, tmp_path / "site", norm=norm)
    district = text_of((tmp_path / "site" / "index.html").read_text())
    assert "Baseline: 2026-09-08 (the school year's first night served);" in district
    pages = unit_pages(tmp_path / "site")
    fake_night(batch, d.day, shifted(d.day, -1), 0.9)
    build(d, batch, tmp_path / "again", norm=norm)
    assert unit_pages(tmp_path / "again") == pages


def test_a_killed_night_is_never_the_baseline(report_district, tmp_path):
    """A night killed mid-run (a back-fill of the year's first weeks: partitions written, no
    `_SUCCESS.json`) was read as the year's baseline: growth measured from a partial night.
    A report reads complete nights only, and says which it left out."""
    d = report_district
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    fake_night(batch, d.day, "2026-09-08", 0.5, complete=False)
    with pytest.warns(UserWarning, match=r"\(2026-09-08\) in .* did not finish .*left out"):
        build(d, batch, tmp_path / "site", norm=Norm(min_weeks=4))
    district = text_of((tmp_path / "site" / "index.html").read_text())
    assert "2026-09-08" not in district
    assert f"0.0 weeks since the baseline, {d.day}" in district
    fake_night(batch, d.day, "2026-09-08", 0.5)  # served again: complete
    build(d, batch, tmp_path / "again", norm=Norm(min_weeks=4))
    district = text_of((tmp_path / "again" / "index.html").read_text())
    assert "Baseline: 2026-09-08 (the school year's first night served);" in district


def test_a_students_mastery_over_time_says_the_nights_it_leaves_out(report_district, tmp_path):
    """A district operator's trial: a student page's "Mastery over time" showed the last nine
    nights ("Since 2026-11-12: ...") and nothing said the history was cut."""
    from adaptive.reports.site.build import HISTORY_DATES

    d = report_district
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    for back in range(1, HISTORY_DATES + 3):  # two more earlier nights than are shown
        fake_night(batch, d.day, shifted(d.day, -back), 0.9)
    build(d, batch, tmp_path / "site")
    pages = [p.read_text() for p in (tmp_path / "site" / "schools").rglob("students.html")]
    first = shifted(d.day, -HISTORY_DATES)
    said = f"Since {first} (the last {HISTORY_DATES + 1} nights; 2 earlier nights not shown):"
    assert any(said in text_of(page) for page in pages)


def test_a_students_mastery_over_time_never_crosses_into_last_school_year(
    report_district, tmp_path
):
    """An operator's trial: last June's output folder reused for September gave "Mastery over
    time" running 2027-05-28 -> 2027-06-01 -> 2027-09-01 -> ... and "Since 2027-05-28: mastery
    rose on 3", last year's state and the summer's placement counted as progress. Only nights
    of the report's school year (the growth norm's year_start) are shown."""
    from adaptive.school_year import school_year_start

    d = report_district
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    start = school_year_start(d.day)
    june = [shifted(start, -95), shifted(start, -92)]  # last school year's last nights
    for night in june:
        fake_night(batch, d.day, night, 0.2)
    fake_night(batch, d.day, shifted(start, 1), 0.9)
    build(d, batch, tmp_path / "site")
    pages = [text_of(p.read_text()) for p in (tmp_path / "site" / "schools").rglob("students.html")]
    assert any(f"Since {shifted(start, 1)}: mastery rose on" in page for page in pages)
    assert not [night for night in june for page in pages if night in page]


def test_a_school_of_one_student_shows_no_growth_figure_of_its_own(report_district, tmp_path):
    """An evaluation lead's trial: a school of one student showed that student's growth as its
    median on the district page (12.1 months), which holds only counts. A row of fewer than 5
    students with a known growth says so instead, and ranks last."""
    import json

    from adaptive.batch import run_daily_job

    d = report_district
    lines = d.profiles.read_text().splitlines()
    moved = json.loads(lines[0])
    lines[0] = json.dumps({**moved, "school_id": "sch0009", "class_id": "sch0009-g3A"})
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text("\n".join(lines) + "\n")
    batch = tmp_path / "batch"
    run_daily_job(d.day, batch, **d.job_args(profiles=profiles))
    fake_night(batch, d.day, "2026-09-08", 0.5)
    build_site(batch, d.day, tmp_path / "site", catalog=d.catalog, profiles=profiles,
               norm=Norm(min_weeks=4))  # fmt: skip
    page = (tmp_path / "site" / "index.html").read_text()
    table = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    rows = [r for r in table if ">sch0009<" in r]
    assert len(rows) == 1 and "fewer than 5" in rows[0], rows
    assert "%" not in rows[0]  # no share, no interval
    ranked = [r for r in table if ">sch00" in r and "<td" in r]
    assert ">sch0009<" in ranked[-1]


def test_pages_say_growth_cannot_be_judged_yet_instead_of_not_on_track(report_district, tmp_path):
    d = report_district
    year_start = (pd.Timestamp(d.day) - pd.Timedelta(days=10)).strftime("%m-%d")
    build(d, d.batch, tmp_path / "site", norm=Norm(year_start=year_start))
    site = tmp_path / "site"
    district = text_of((site / "index.html").read_text())
    # the night itself is the first of the school year: the baseline, 0 weeks ago
    assert (
        f"Growth cannot be judged yet: 0.0 weeks since the baseline, {d.day} (the school year's "
        f"first night served); it is judged from 6 weeks on ({shifted(d.day, 42)})."
    ) in district
    klass = next(site.glob("schools/*/*/index.html"))
    for page in (site / "index.html", klass, klass.parent / "students.html"):
        assert "not on track" not in page.read_text(), page
    sid = d.students().query("class_id == @klass.parent.name")["student_id"].iloc[0]
    assert "Growth: cannot be judged yet (judged from" in section(site, klass.parent.name, sid)
    assert ">too soon</td>" in klass.read_text()  # the heatmap's growth column


# 2. students with no answer yet ----------------------------------------------------------------


@pytest.fixture(scope="module")
def newcomers(report_district, serve_from_year_start, tmp_path_factory):
    """The district with two students enrolled today (no answer yet) in one class, served and
    reported, growth judged: (site, class id, grade, the students output of the night)."""
    d = report_district
    root = tmp_path_factory.mktemp("newcomers")
    lines = d.profiles.read_text().splitlines()
    first = json.loads(lines[0])
    profiles = root / "profiles.jsonl"
    new = [
        {**first, "student_id": sid, "interests": {}, "goal_skills": [], "career_clusters": []}
        for sid in ("new0000001", "00123")
    ]
    profiles.write_text("\n".join([*lines, *map(json.dumps, new)]) + "\n")
    batch = root / "batch"
    serve_from_year_start(d, batch, profiles=profiles)  # growth judged
    site = root / "site"
    build_site(batch, d.day, site, catalog=d.catalog, profiles=profiles)
    return site, first["class_id"], first["grade"], batch / "students" / f"date={d.day}"


def test_students_with_no_answer_are_marked_placed_and_left_out_of_growth(newcomers):
    site, klass, grade, night = newcomers
    students = pd.read_parquet(night).query("class_id == @klass")
    new = students[students["student_id"].isin(["new0000001", "00123"])]
    assert len(new) == 2 and all((np.stack(new["progression"]) == 0).all(axis=1))
    placed = f"no answers yet: placed from grade {grade}"
    page = next(site.glob(f"schools/*/{klass}/index.html")).read_text()
    for sid in ("new0000001", "00123"):
        row = re.search(rf'<tr data-student="{sid}"[^>]*>.*?</tr>', page).group(0)
        assert 'data-group="no_answers"' in row and placed in text_of(row)
        cells = re.findall(r'<td class="(?:m\d|na)[^"]*">([^<]*)</td>', row)
        assert cells and all(c.startswith("~") or c == "–" for c in cells)
        text = section(site, klass, sid)
        assert placed in text and "not a measurement" in text
        assert "on track" not in text and "is in the group" not in text
    growth = text_of(page[page.index("Growth against the norm") :])
    n = len(students)
    assert f"of {n - 2} students of this class" in growth
    assert "Left out of growth: 2 students with no answers yet" in growth
    assert f"{n} students:" in text_of(page) and "2 no answers yet." in text_of(page)
    district = text_of((site / "index.html").read_text())
    assert "Left out of growth: 2 students with no answers yet" in district


def test_a_student_served_nothing_is_told_where_they_were_placed_and_why(report_district, tmp_path):
    """A newcomer placed at 0.99 on every skill (a grade 12 student on a grade 3-8 catalog) is
    served nothing. Their page read the placement from recommendation rows, which they have
    none of, and said "not placed (no grade in the profiles)" and "No recommendation today."
    Now it reads the students table's placement and says why nothing was served; a night
    written before that column still builds, and says the placement is not recorded."""
    d = report_district
    lines = d.profiles.read_text().splitlines()
    first = json.loads(lines[0])
    profiles = tmp_path / "profiles.jsonl"
    newcomer = {**first, "student_id": "new0000009", "goal_skills": [], "career_clusters": []}
    profiles.write_text("\n".join([*lines, json.dumps(newcomer)]) + "\n")
    skills = [s.id for s in Catalog.from_json(d.catalog).skills]
    table = tmp_path / "placed.csv"
    pd.DataFrame({"student_id": "new0000009", "skill_id": skills, "mastery": 0.99}).to_csv(
        table, index=False
    )
    batch = tmp_path / "batch"
    run_daily_job(d.day, batch, **d.job_args(profiles=profiles, placement=table))
    site = tmp_path / "site"
    build_site(batch, d.day, site, catalog=d.catalog, profiles=profiles)
    text = section(site, first["class_id"], "new0000009")
    assert "no answers yet: placed from placed.csv" in text
    assert "no grade" not in text
    assert "No recommendation today: every skill of the catalog is mastered or assumed known" in (
        text
    )
    # an older night: its students table has no placement column
    for part in (batch / "students").rglob("part-0.parquet"):
        old = pq.read_table(part)
        pq.write_table(old.drop_columns(["placement"]), part)
    build_site(batch, d.day, tmp_path / "old-site", catalog=d.catalog, profiles=profiles)
    text = section(tmp_path / "old-site", first["class_id"], "new0000009")
    assert "no answers yet: placement not recorded for this night" in text


@pytest.mark.browser
def test_count_columns_and_placed_rows_in_the_browser(newcomers, page, tmp_path):
    """What the teacher reads: the count columns are the batch output's n_mastered +
    n_needs_review (✓ and ↻: mastered by practice), n_needs_review and n_stuck under headers
    with the cells' marks; a placed row is "~"."""
    site, klass, _, night = newcomers
    page.goto(next(site.glob(f"schools/*/{klass}/index.html")).resolve().as_uri())
    page.wait_for_selector("html[data-ready='1']")
    page.screenshot(path=tmp_path / "class.png", full_page=True)
    heads = page.eval_on_selector_all("#heatmap thead th", "hs => hs.map(h => h.innerText)")
    assert heads[:6] == ["Student", "Group", "✓+↻ Mastered", "↻ Review", "! Stuck",
                         "Growth since baseline (months)"]  # fmt: skip
    rows = page.eval_on_selector_all(
        "#heatmap tbody tr",
        "rs => rs.map(r => [r.dataset.student].concat("
        "Array.from(r.cells).slice(1, 5).map(c => c.textContent)))",
    )
    students = pd.read_parquet(night).query("class_id == @klass")
    want = students.set_index("student_id")
    for sid, _group, mastered, review, stuck in rows:
        counts = [int(want.at[sid, c]) for c in ("n_mastered", "n_needs_review", "n_stuck")]
        assert [int(mastered), int(review), int(stuck)] == [
            counts[0] + counts[1],
            counts[1],
            counts[2],
        ]
    key = page.text_content("#counts-key")
    assert "is not counted as mastered" in key and "due for review" in key
    page.select_option("#f-group", "no_answers")
    shown = page.eval_on_selector_all(
        "#heatmap tbody tr:not(.hidden)", "rs => rs.map(r => r.dataset.student)"
    )
    assert sorted(shown) == ["00123", "new0000001"]
    # a teacher's trial: sorting a skill column compared "~70" (a placement) as text, above 100
    page.select_option("#f-group", "")
    column = 6  # the first skill, after the student, group, counts and growth columns
    button = f"#heatmap thead th:nth-child({column + 1}) button"
    page.click(button)
    page.click(button)  # descending
    values = page.eval_on_selector_all(
        "#heatmap tbody tr", f"rs => rs.map(r => r.cells[{column}].textContent)"
    )
    numbers = [float(re.sub(r"[^0-9.]", "", v) or -1) for v in values]
    assert numbers == sorted(numbers, reverse=True), values
    assert not page.errors and not page.remote_requests


# 3 and 4. the roster ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("s1,Ada\r\ns2,\r\n", "line 3, column name: empty; expected a non-empty name"),
        (" ,Ada\r\n", "line 2, column student_id: empty; expected a student id"),
        ("s1,Ada,x\r\n", "line 2: 3 fields; expected 2 (the header's 'student_id,name')"),
    ],
)
def test_roster_error_names_the_line_and_column_that_is_wrong(
    report_district, tmp_path, rows, message
):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"\xef\xbb\xbf" + f"student_id,name\r\n{rows}".encode())  # Excel's
    d = report_district
    with pytest.raises(ReportInputError) as err:
        build(d, d.batch, tmp_path / "x", roster=roster)
    assert str(err.value) == f"{roster}, {message}"


def test_served_students_without_a_roster_name_are_counted_in_a_warning(
    report_district, tmp_path, capsys
):
    d = report_district
    n = len(d.students())
    header_only = tmp_path / "header.csv"
    header_only.write_bytes(b"\xef\xbb\xbfstudent_id,name\r\n")
    result = build(d, d.batch, tmp_path / "a", roster=header_only)
    assert result.roster_unnamed == n
    code = run(["report", "--date", d.day, "--batch", str(d.batch), "--out",
                str(tmp_path / "cli"), "--catalog", str(d.catalog), "--roster",
                str(header_only)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0 and f"{n:,} of the {n:,} students written have no name in" in err, err
    full = tmp_path / "full.csv"
    full.write_text("student_id,name\n" + "".join(f"{s},N{s}\n" for s in d.students().student_id))
    assert build(d, d.batch, tmp_path / "b", roster=full).roster_unnamed == 0
    assert build(d, d.batch, tmp_path / "c").roster_unnamed is None  # no roster: nothing to say


# 5 and 6. what the counts and the groups are called --------------------------------------------


def test_group_progressing_is_not_the_growth_verdict_on_track(report_district):
    site = report_district.site
    klass = next(site.glob("schools/*/*/index.html"))
    page = klass.read_text()
    assert '<h3 id="grp-on_track">Progressing</h3>' in page
    assert '<option value="on_track">Progressing</option>' in page
    assert ">On track<" not in page and ">on track<" not in page
    students = (klass.parent / "students.html").read_text()
    assert "group <strong>On track" not in students
    # a teacher's trial: the Group column said "remediate" (a code) beside "progressing"
    shown = set(re.findall(r'<td class="g\d">([^<]*)</td>', page))
    assert shown and shown <= {"ready to accelerate", "progressing", "needs remediation", "stuck"}
    # on the teacher's pages "on track" is the growth verdict only
    for path in (klass, klass.parent / "students.html"):
        for hit in re.finditer(r"(?i)\bon track\b(.{0,12})", text_of(path.read_text())):
            after = (" for ", " means", " when", " or not", ";", ".")
            assert hit.group(1).startswith(after), hit.group(0)


def test_legend_says_what_mastered_counts(report_district):
    page = next(report_district.site.glob("schools/*/*/index.html")).read_text()
    key = html.unescape(
        re.sub(r"<[^>]+>", "", re.search(r'<p class="legend" id="counts-key">.*?</p>', page)[0])
    )
    assert "✓+↻ Mastered: skills mastered by practice: those marked ✓" in key
    assert "marked ↻ (mastered earlier, now due for review)" in key
    assert "↻ Review: of those, the skills marked ↻" in key
    assert "a high value without ✓ or ↻ (e.g. 100○)" in key


# 7. the teacher's mode -------------------------------------------------------------------------


def test_student_page_says_the_teachers_mode_and_what_it_did(report_district, tmp_path):
    d = report_district
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    recs = d.recommendations()
    sid = sorted(recs["student_id"].unique())[0]
    klass = recs.loc[recs["student_id"] == sid, "class_id"].iloc[0]
    grade = next(
        json.loads(ln)["grade"] for ln in d.profiles.read_text().splitlines() if f'"{sid}"' in ln
    )
    record_overrides(batch, d.day, OverrideSet({sid: StudentOverride(mode="remediate")}))
    build(d, batch, tmp_path / "site")
    text = section(tmp_path / "site", klass, sid)
    n = int((recs["student_id"] == sid).sum())
    assert (
        f"Teacher's mode: remediate: tonight it allowed only activities of grades {grade - 2} to "
        f"{grade}, and grade {grade - 1} skills the student has not answered yet are checked "
        f"before the grade {grade} work built on them; " in text
    )
    assert re.search(rf"\d+ of tonight's {n} activit(y|ies) (is|are) below grade level", text)
    # a coach read "the mode bars other grades but puts no grade first, and the nightly output
    # does not record the list without it" as jargon
    assert "puts no grade first" not in text and "nightly output" not in text


def test_an_assignment_far_from_the_students_grade_is_flagged_on_the_pages(
    report_district, tmp_path
):
    """A re-check: the night warned "1 teacher assignment is more than one grade from its
    student's grade", but the student page showed `g7.NS.1.practice1 (assigned by the
    teacher) ... 0.29` and the class page the same activity, with no flag. Both pages now flag
    it by the night's rule (`far_from_grade`); an assignment of the student's own grade is
    not flagged."""
    from adaptive.errors import NightWarning

    d = report_district
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    catalog = Catalog.from_json(d.catalog)
    grades = {
        r["student_id"]: r["grade"] for r in map(json.loads, d.profiles.read_text().splitlines())
    }
    students = d.students()
    klass = students["class_id"].iloc[0]
    mine = sorted(students.loc[students["class_id"] == klass, "student_id"])
    far_one, near_one = mine[:2]
    grade = grades[far_one]
    step = 4 if any(a.grade == grade + 4 for a in catalog.activities) else -4
    far = next(a.id for a in catalog.activities if a.grade == grade + step)
    near = next(a.id for a in catalog.activities if a.grade == grades[near_one])
    night = shifted(d.day, 1)
    exported = tmp_path / "overrides.json"
    exported.write_text(json.dumps({
        "format": "adaptive-overrides", "version": 1, "class_id": klass, "date": night,
        "students": {
            far_one: {"assigned": [far], "excluded": [], "mode": None},
            near_one: {"assigned": [near], "excluded": [], "mode": None},
        },
    }))  # fmt: skip
    with pytest.warns(NightWarning, match="1 teacher assignment is more than one grade"):
        run_daily_job(night, batch, **d.job_args(overrides=exported))
    site = tmp_path / "site"
    build_site(batch, night, site, catalog=d.catalog, profiles=d.profiles, class_id=klass)
    flag = f"{abs(step)} grades {'above' if step > 0 else 'below'} the student's grade {grade}"
    text = untagged(section(site, klass, far_one))
    assert f"{far} (assigned by the teacher; {flag}: check the assignment)" in text
    assert f"Assigned: {far} ({flag}: check the assignment)" in text
    assert "check the assignment" not in section(site, klass, near_one)
    page = untagged(text_of(next(site.glob(f"schools/*/{klass}/index.html")).read_text()))
    assert (
        f"1 teacher assignment is more than one grade from its student's grade, beyond the "
        f"mode's band ({far_one}: {far}, {flag}): served first as the teacher asked; check it "
        "in Teacher overrides" in page
    )
    assert f"{far}: {flag}: check the assignment" in page  # under the field in the form
    assert page.count("check the assignment") == 1 and near not in page.split("Teacher")[0]


# 8. --school and --class -----------------------------------------------------------------------


def test_school_and_class_ids_are_trimmed(report_district, tmp_path, capsys):
    d = report_district
    students = d.students()
    school, klass = students["school_id"].iloc[0], students["class_id"].iloc[0]
    result = build(d, d.batch, tmp_path / "one", school=f"{school} ", class_id=f" {klass}\t")
    assert result.classes == 1
    # a teacher's trial: a class's own site said "Growth method: see the district page", which
    # it does not have: it says the method itself
    page = text_of(next((tmp_path / "one").rglob("*/index.html")).read_text())
    assert "see the district page" not in page and "How growth is measured" in page
    code = run(["report", "--date", d.day, "--batch", str(d.batch), "--out",
                str(tmp_path / "cli"), "--catalog", str(d.catalog), "--school",
                f"{school} "])  # fmt: skip
    assert code == 0, capsys.readouterr().err


def test_class_of_another_school_names_its_school(tmp_path):
    day = "2027-02-19"
    for school, klass in (("sch0000", "sch0000-g3A"), ("sch0001", "sch0001-g3A")):
        path = partition_path(tmp_path, "students", day, school)
        path.parent.mkdir(parents=True)
        pq.write_table(pa.table({"class_id": [klass]}), path)
    run_ = BatchRun(tmp_path, day, ("sch0000", "sch0001"), "m", "1")
    with pytest.raises(ReportInputError) as err:
        _scope_schools(run_, "sch0000", "sch0001-g3A", 1)
    assert str(err.value) == (
        "--class 'sch0001-g3A': belongs to school 'sch0001', not to --school 'sch0000'; "
        "expected a class of school 'sch0000' (or no --school)"
    )
    assert _scope_schools(run_, None, "sch0001-g3A", 1) == ["sch0001"]


def test_a_class_id_of_two_other_schools_names_both_schools(tmp_path):
    """--class of an id two other schools have, with a third --school: "schools", plural."""
    day = "2027-02-19"
    for school in ("sch0000", "sch0001", "sch0002"):
        path = partition_path(tmp_path, "students", day, school)
        path.parent.mkdir(parents=True)
        pq.write_table(pa.table({"class_id": ["g3A" if school != "sch0002" else "g4B"]}), path)
    run_ = BatchRun(tmp_path, day, ("sch0000", "sch0001", "sch0002"), "m", "1")
    with pytest.raises(ReportInputError) as err:
        _scope_schools(run_, "sch0002", "g3A", 1)
    assert "--class 'g3A': belongs to schools 'sch0000', 'sch0001', not to --school" in str(
        err.value
    )


def test_a_class_id_of_two_schools_without_school_asks_for_it(tmp_path):
    """A roster names homerooms without the school ("Room g4A" at two schools): `report --class
    'Room g4A'` without --school reported the first school's class as if it were the only one.
    Now one error naming both schools and asking for --school; with it, that school's."""
    day = "2027-02-19"
    for school in ("sch0000", "sch0001"):
        path = partition_path(tmp_path, "students", day, school)
        path.parent.mkdir(parents=True)
        pq.write_table(pa.table({"class_id": ["Room g4A"]}), path)
    run_ = BatchRun(tmp_path, day, ("sch0000", "sch0001"), "m", "1")
    with pytest.raises(ReportInputError) as err:
        _scope_schools(run_, None, "Room g4A", 1)
    assert str(err.value) == (
        "--class 'Room g4A': 2 schools of the batch output of 2027-02-19 have a class of that "
        "id ('sch0000', 'sch0001'), each school's class its own; expected --school too, to say "
        "which"
    )
    assert _scope_schools(run_, "sch0001", "Room g4A", 1) == ["sch0001"]


@pytest.mark.browser
def test_pages_print_every_student_and_fit_a_phone(report_district, page):
    """A teacher's trial: students.html printed only the list of ids (each section shows only
    when linked to); on a 375 px phone the district and class pages scrolled sideways as a whole.
    Print shows every student's section; a phone scrolls the tables, not the page; the class
    page has jump links past the heatmap's sort buttons."""
    site = report_district.site
    klass = next(site.glob("schools/*/*/index.html"))
    page.goto((klass.parent / "students.html").resolve().as_uri())
    page.wait_for_selector("html[data-ready='1']")
    sections = page.eval_on_selector_all(".student", "s => s.length")
    page.emulate_media(media="print")
    shown = page.eval_on_selector_all(
        ".student", "s => s.filter(x => getComputedStyle(x).display !== 'none').length"
    )
    assert sections and shown == sections
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 375, "height": 800})
    for path in (site / "index.html", klass):
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("html[data-ready='1']")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, (path.name, width)
    assert page.eval_on_selector_all("nav.jump a", "a => a.map(x => x.getAttribute('href'))") == [
        "#groups",
        "#growth",
        "#teacher-overrides",
    ]
    assert not page.errors and not page.remote_requests
