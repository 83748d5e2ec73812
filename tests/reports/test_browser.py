"""The report site in a real browser (headless Chromium through Playwright): what a teacher sees
matches the batch output, a click leads to the same recommendations `adaptive recommend` gives,
filters select exactly the right students, and overrides exported from the page round-trip
through the nightly job. Screenshots go to each test's tmp_path."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from adaptive.batch import run_daily_job
from adaptive.batch.overrides import read_overrides
from adaptive.cli import run
from adaptive.curriculum import Catalog, read_profiles
from adaptive.errors import closest_name, numbered_sibling
from adaptive.policy.progression import Progression
from adaptive.reports.site import build_site
from adaptive.reports.site.assets import MASTERY_COLOURS, STATE_MARKS, UNKNOWN_COLOUR
from adaptive.reports.site.pages import mastery_bins, student_anchor

pytestmark = pytest.mark.browser
N_SUMMARY_COLUMNS = 6  # student, group, mastered, review, stuck, growth; then the skills


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def open_page(page, path) -> None:
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("html[data-ready='1']")


def class_page(site, klass: str):
    return next(site.glob(f"schools/*/{klass}/index.html"))


def mixed_class(students: pd.DataFrame) -> str:
    """The class with the most stuck students among those that also have students not stuck."""
    stuck = students.assign(s=students["n_stuck"] > 0).groupby("class_id")["s"].agg(["sum", "size"])
    mixed = stuck[(stuck["sum"] > 0) & (stuck["sum"] < stuck["size"])]
    assert len(mixed), "the test district has no class with both stuck and other students"
    return str(mixed["sum"].idxmax())


def visible_students(page) -> list[str]:
    return page.eval_on_selector_all(
        "#heatmap tbody tr:not(.hidden)", "rows => rows.map(r => r.dataset.student)"
    )


def test_heatmap_has_a_row_per_student_a_column_per_skill_coloured_by_mastery(
    report_district, page, tmp_path
):
    d = report_district
    students = d.students()
    klass = mixed_class(students)
    open_page(page, class_page(d.site, klass))
    page.screenshot(path=tmp_path / "class.png", full_page=True)
    catalog = Catalog.from_json(d.catalog)
    order = np.asarray(catalog.curriculum_order)
    mine = students[students["class_id"] == klass].sort_values("student_id")
    rows = visible_students(page)
    assert rows == mine["student_id"].tolist()  # one row per student of the class, no other
    headers = page.eval_on_selector_all("#heatmap thead th", "hs => hs.map(h => h.innerText)")
    assert headers[N_SUMMARY_COLUMNS:] == list(catalog.skill_index[order])  # curriculum order
    cells = page.eval_on_selector_all(
        "#heatmap tbody tr",
        f"""rows => rows.map(r => Array.from(r.cells).slice({N_SUMMARY_COLUMNS})
            .map(c => [getComputedStyle(c).backgroundColor, c.textContent]))""",
    )
    mastery = np.stack(mine["mastery"].to_numpy())[:, order].astype(np.float32)
    state = np.stack(mine["progression"].to_numpy())[:, order]
    palette = np.array([rgb(c) for c in (*MASTERY_COLOURS, UNKNOWN_COLOUR)], dtype=object)
    expected_colours = palette[mastery_bins(mastery)]
    got_colours = np.array([[c[0] for c in row] for row in cells], dtype=object)
    assert got_colours.shape == (len(mine), len(catalog.skills))
    assert (got_colours == expected_colours).all()
    marks = np.array([[c[1][-1] if c[1] else "" for c in row] for row in cells], dtype=object)
    stuck_cells = state == Progression.STUCK
    assert stuck_cells.any() and (marks[stuck_cells] == STATE_MARKS[Progression.STUCK]).all()
    assert (marks[state == Progression.MASTERED] == STATE_MARKS[Progression.MASTERED]).all()
    assert not page.remote_requests and not page.errors


def test_click_on_a_student_shows_the_recommendations_of_adaptive_recommend(
    report_district, page, tmp_path, capsys
):
    d = report_district
    klass = mixed_class(d.students())
    open_page(page, class_page(d.site, klass))
    link = page.locator("#heatmap tbody tr").nth(2).locator("th a")
    sid = page.locator("#heatmap tbody tr").nth(2).get_attribute("data-student")
    link.click()
    page.wait_for_selector(f"#s-{sid} .recs")
    page.screenshot(path=tmp_path / "student.png", full_page=True)
    assert page.url.endswith(f"students.html#s-{sid}")
    visible = page.eval_on_selector_all(
        "section.student", "ss => ss.filter(s => s.offsetParent !== null).map(s => s.id)"
    )
    assert visible == [f"s-{sid}"]  # the student's page alone
    shown = page.eval_on_selector_all(
        f"#s-{sid} .recs tbody tr",
        "rs => rs.map(r => [r.dataset.activity, r.querySelector('.reason').textContent])",
    )
    capsys.readouterr()
    code = run(["recommend", "--student", sid, "--k", "20", "--name", d.model, "--tracking-uri", d.uri,
                "--district", str(d.files), "--now", d.day, "--policy", str(d.policy), "--json",
                "--quiet"])  # fmt: skip
    assert code == 0
    recs = json.loads(capsys.readouterr().out)[sid]["recommendations"]
    assert len(shown) == len(recs) > 0
    assert shown == [[r["activity_id"], r["sentence"]] for r in recs]


def test_stuck_filter_shows_exactly_the_students_the_batch_marks_stuck(
    report_district, page, tmp_path
):
    d = report_district
    students = d.students()
    klass = mixed_class(students)
    mine = students[students["class_id"] == klass]
    open_page(page, class_page(d.site, klass))
    page.select_option("#f-group", "stuck")
    page.screenshot(path=tmp_path / "stuck.png", full_page=True)
    stuck = mine.loc[mine["n_stuck"] > 0, "student_id"]
    assert visible_students(page) == sorted(stuck)
    assert page.text_content("#f-count") == f"Showing {len(stuck)} of {len(mine)} students"
    # with a skill chosen, the group applies to that skill
    catalog = Catalog.from_json(d.catalog)
    order = np.asarray(catalog.curriculum_order)
    state = np.stack(mine["progression"].to_numpy())[:, order]
    column = int(np.argmax((state == Progression.STUCK).sum(axis=0)))
    page.select_option("#f-skill", str(column))
    on_skill = mine["student_id"].to_numpy()[state[:, column] == Progression.STUCK]
    assert visible_students(page) == sorted(on_skill) and len(on_skill) > 0
    page.select_option("#f-group", "")
    page.select_option("#f-skill", "")
    assert len(visible_students(page)) == len(mine)


def export(page, tmp_path, name: str) -> dict:
    with page.expect_download() as download:
        page.click("#export")
    path = tmp_path / name
    download.value.save_as(path)
    return json.loads(path.read_text())


def test_override_export_round_trips_through_the_nightly_job(report_district, page, tmp_path):
    d = report_district
    students, recs = d.students(), d.recommendations()
    klass = mixed_class(students)
    ids = sorted(students.loc[students["class_id"] == klass, "student_id"])
    deep = recs.groupby("student_id").size()
    a, b, c = [s for s in ids if deep.get(s, 0) >= 2][:3]
    mine = recs.set_index("student_id")
    assign = mine.loc[[b]].query("rank == 2")["activity_id"].iloc[0]
    exclude = mine.loc[[c]].query("rank == 1")["activity_id"].iloc[0]
    open_page(page, class_page(d.site, klass))
    page.select_option(f'#overrides tr[data-student="{a}"] select', "remediate")
    page.fill(f'#overrides tr[data-student="{b}"] input >> nth=0', assign)
    page.fill(f'#overrides tr[data-student="{c}"] input >> nth=1', exclude)
    first = export(page, tmp_path, "overrides.json")
    assert first["class_id"] == klass and sorted(first["students"]) == [a, b, c]
    # a re-check: "Exported 3 student(s)"
    assert page.text_content("#export-status").startswith("Exported 3 students: give the file")

    batch = tmp_path / "batch"  # the next night, on a copy of the district's output
    shutil.copytree(d.batch, batch)
    night = (pd.Timestamp(d.day) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    run_daily_job(night, batch, **d.job_args(overrides=tmp_path / "overrides.json"))
    after = pd.read_parquet(batch / "recommendations" / f"date={night}").set_index("student_id")
    top_b = after.loc[[b]].sort_values("rank").iloc[0]
    assert top_b["activity_id"] == assign and top_b["assigned_by_teacher"]
    assert exclude not in set(after.loc[[c], "activity_id"])
    catalog = Catalog.from_json(d.catalog)
    grade_of = {x.id: x.grade for x in catalog.activities}
    grade_a = json.loads(next(ln for ln in d.profiles.read_text().splitlines() if f'"{a}"' in ln))[
        "grade"
    ]
    assert {grade_of[x] for x in after.loc[[a], "activity_id"]} <= set(
        range(grade_a - 2, grade_a + 1)
    )

    site = tmp_path / "site"
    build_site(batch, night, site, catalog=d.catalog, profiles=d.profiles)
    students_page = class_page(site, klass).parent / "students.html"
    assert "<polyline" in students_page.read_text()  # two report dates: a line per skill
    open_page(page, class_page(site, klass))
    assert page.input_value(f'#overrides tr[data-student="{a}"] select') == "remediate"
    second = export(page, tmp_path, "again.json")
    assert second["students"] == first["students"]  # the page shows what the job applied
    page.click(f'#heatmap tr[data-student="{b}"] th a')
    assert assign in page.text_content(f"#s-{b} .overridden")
    page.screenshot(path=tmp_path / "student-overridden.png", full_page=True)


def test_a_skill_set_aside_in_the_form_is_exported_applied_and_filled_back(
    report_district, page, tmp_path
):
    """`excluded_skills` landed in the file and on requests, but the class page's form could not
    write it: teachers think in skills. A skill typed in a student's Set aside field is checked
    as activity ids are (a slip marked with the id meant; an activity assigned on it refused, as
    the night refuses it), exported, read by the night with every activity on it excluded,
    filled back the next morning and said on the student's page; emptied, it is taken back."""
    d = report_district
    students, recs = d.students(), d.recommendations()
    klass = mixed_class(students)
    ids = sorted(students.loc[students["class_id"] == klass, "student_id"])
    deep = recs.groupby("student_id").size()
    a = next(s for s in ids if deep.get(s, 0) >= 2)
    catalog = Catalog.from_json(d.catalog)
    top = recs.set_index("student_id").loc[[a]].sort_values("rank").iloc[0]
    skill = catalog.activity(top["activity_id"]).skills[0]
    on_skill = {x.id for x in catalog.activities if skill in x.skills}
    row = f'#overrides tr[data-student="{a}"]'
    aside = f"{row} input >> nth=2"
    open_page(page, class_page(d.site, klass))
    assert page.get_attribute(aside, "aria-label").startswith("Skills set aside for ")
    page.fill(aside, skill.upper())
    said = page.text_content(f"{row} td:nth-child(5) .bad")
    assert said == f"{skill.upper()}: not a skill of the catalog (did you mean {skill}?)"
    assert page.get_attribute(aside, "aria-invalid") == "true"
    page.fill(aside, skill)
    page.fill(f"{row} input >> nth=0", top["activity_id"])  # assigned on the skill set aside
    assert f"{top['activity_id']}: on the skill {skill}, set aside for this student" in (
        page.text_content(f"{row} td:nth-child(3) .bad")
    )
    with _no_download(page):
        page.click("#export")
    page.fill(f"{row} input >> nth=0", "")
    assert page.locator("#overrides .bad").count() == 0
    doc = export(page, tmp_path, "overrides.json")
    assert doc["students"] == {a: {"assigned": [], "excluded": [], "mode": None,
                                   "excluded_skills": [skill]}}  # fmt: skip

    # the night reads it: every activity on the skill excluded for the student, none served
    read = read_overrides(tmp_path / "overrides.json", catalog, read_profiles(d.profiles))
    assert read.students[a].excluded_skills == (skill,)
    fields = read.batch_fields(catalog, read_profiles(d.profiles), [a])
    excluded = set(catalog.activity_index[fields["excluded"].toarray()[0] > 0])
    assert excluded == on_skill
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    night = (pd.Timestamp(d.day) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    run_daily_job(night, batch, **d.job_args(overrides=tmp_path / "overrides.json"))
    after = pd.read_parquet(batch / "recommendations" / f"date={night}").set_index("student_id")
    assert len(after.loc[[a]]) and not set(after.loc[[a], "activity_id"]) & on_skill

    # the next morning: filled back, said on the student's page, and taken back by emptying it
    site = tmp_path / "site"
    build_site(batch, night, site, catalog=d.catalog, profiles=d.profiles)
    open_page(page, class_page(site, klass))
    assert page.input_value(aside) == skill
    page.click(f'#heatmap tr[data-student="{a}"] th a')
    said = page.text_content(f"#{student_anchor(a)} .overridden")
    name = catalog.skill(skill).name
    assert f"Skills set aside (none of their activities): {name} ({skill})" in said
    open_page(page, class_page(site, klass))
    page.fill(aside, "")
    assert export(page, tmp_path, "taken-back.json")["students"] == {}


def test_on_a_phone_the_overrides_table_says_it_scrolls_sideways(report_district, page, tmp_path):
    """A 390 px trial: the overrides table (712 px) scrolled sideways inside its box with the
    Exclude column cut off and nothing to say so. On a phone a note says so and the edge with
    more columns is shaded; on a wide screen the note is not shown."""
    klass = next(report_district.site.glob("schools/*/*/index.html"))
    page.set_viewport_size({"width": 390, "height": 800})
    open_page(page, klass)
    box = page.locator("#overrides div.wide")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # it does scroll here
    note = page.locator("#overrides .scroll-note")
    assert note.is_visible()
    assert "swipe it sideways to reach the Assign, Exclude and Set aside columns" in (
        note.inner_text()
    )
    shape = note.bounding_box()
    assert shape["x"] >= 0 and shape["x"] + shape["width"] <= 390
    assert "linear-gradient" in box.evaluate("b => getComputedStyle(b).backgroundImage")
    page.screenshot(path=str(tmp_path / "overrides-390.png"), full_page=True)
    page.set_viewport_size({"width": 1300, "height": 900})
    assert not note.is_visible()


# --- the overrides form checks the ids typed; the page says when its script did not run ---


def test_the_form_marks_unknown_ids_suggests_the_meant_one_and_refuses_to_export(
    report_district, page, tmp_path
):
    """A teacher's trial: `g3.G.4.practise1; G4.NS.2.Practice1` as an assignment, a student id
    in the Assign box and an excluded id given twice were exported without a word, and the
    night then failed. The page knows the catalog's activity ids: each unknown id is marked
    under its field (with the id it likely means), nothing is exported until it is fixed, and a
    repeated id is dropped, said so. Commas and semicolons both separate ids, as the page says."""
    d = report_district
    students = d.students()
    klass = mixed_class(students)
    a, b, c = sorted(students.loc[students["class_id"] == klass, "student_id"])[:3]
    catalog = Catalog.from_json(d.catalog)
    first, second = catalog.activity_index[0], catalog.activity_index[1]
    open_page(page, class_page(d.site, klass))
    assert "separated by commas or semicolons" in page.text_content("#overrides")
    typo = first[:-3] + first[-2:]  # one letter dropped (a letter for the last digit is as
    # close to every numbered practice: `closest_name` takes the last of them)
    page.fill(f'#overrides tr[data-student="{a}"] input >> nth=0', f"{typo}; {second.upper()}")
    page.fill(f'#overrides tr[data-student="{b}"] input >> nth=0', c)
    said = page.text_content(f'#overrides tr[data-student="{a}"] .bad')
    assert f"{typo}: not an activity of the catalog (did you mean {first}?)" in said
    assert f"{second.upper()}: not an activity of the catalog (did you mean {second}?)" in said
    assert "a student id, not an activity id" in page.text_content(
        f'#overrides tr[data-student="{b}"] .bad'
    )
    with _no_download(page):
        page.click("#export")
    assert page.text_content("#export-status").startswith("Not exported: 3 ids are not right")
    # fixed: the marks go, a repeated exclusion is dropped, and the file is exported
    page.fill(f'#overrides tr[data-student="{a}"] input >> nth=0', f"{first}; {second}")
    page.fill(f'#overrides tr[data-student="{b}"] input >> nth=0', "")
    excluded = f'#overrides tr[data-student="{c}"] input >> nth=1'
    page.fill(excluded, f"{second}, {second}")
    page.dispatch_event(excluded, "change")
    assert page.input_value(excluded) == second
    assert page.text_content("#export-status") == "Removed 1 repeated id."
    assert page.locator("#overrides .bad").count() == 0
    doc = export(page, tmp_path, "fixed.json")
    assert doc["students"][a]["assigned"] == [first, second]
    assert doc["students"][c]["excluded"] == [second] and b not in doc["students"]


def test_a_skill_id_in_the_assign_field_is_said_to_be_a_skill_id(report_district, page):
    """A trial: a skill id (`g4.NF.1`) typed under Assign read only "not an activity of the
    catalog", while the mirror slip (an activity under Set aside) names what it is. Both do."""
    d = report_district
    students = d.students()
    klass = mixed_class(students)
    a = sorted(students.loc[students["class_id"] == klass, "student_id"])[0]
    skill = Catalog.from_json(d.catalog).skill_ids[0]
    open_page(page, class_page(d.site, klass))
    for field in (0, 1):  # Assign, Exclude
        page.fill(f'#overrides tr[data-student="{a}"] input >> nth={field}', skill)
        said = page.text_content(f'#overrides tr[data-student="{a}"] .bad')
        assert f"{skill}: a skill id, not an activity id" in said, said
        page.fill(f'#overrides tr[data-student="{a}"] input >> nth={field}', "")
    assert not page.errors


def test_a_set_aside_file_comes_back_in_the_form_with_its_slips_marked(
    report_district, page, tmp_path
):
    """A teacher's trial: a class's file the night set aside ('Remediate', a typo'd activity)
    left the class page saying "Not applied tonight" with the night's own words and an empty
    form, so the teacher retyped every choice. The page now holds the file's choices: the valid
    ones as they were, the typo'd activity marked with the one meant on load; fixed, the file
    exports whole. The wrong mode was only said in the notice, far from the row's dropdown: it
    is now marked beside it too, until a mode is chosen (a review: a cleared mark left the
    field described by the id of the note removed; the field now names it no more)."""
    d = report_district
    students = d.students()
    klass = mixed_class(students)
    a, b = sorted(students.loc[students["class_id"] == klass, "student_id"])[:2]
    catalog = Catalog.from_json(d.catalog)
    first = catalog.activity_index[0]
    typo = first[:-3] + first[-2:]  # one letter dropped
    night = (pd.Timestamp(d.day) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    exports = tmp_path / "exports"
    exports.mkdir()
    doc = {
        "format": "adaptive-overrides",
        "version": 1,
        "class_id": klass,
        "date": d.day,
        "students": {a: {"mode": "Remediate"}, b: {"assigned": [typo], "mode": "accelerate"}},
    }
    (exports / f"overrides-{klass}.json").write_text(json.dumps(doc))  # fmt: skip
    batch = tmp_path / "batch"
    shutil.copytree(d.batch, batch)
    with pytest.warns(Warning):  # the night sets it aside, saying so
        run_daily_job(night, batch, **d.job_args(overrides=exports))
    site = tmp_path / "site"
    build_site(batch, night, site, catalog=d.catalog, profiles=d.profiles)
    open_page(page, class_page(site, klass))
    assert "Not applied tonight" in page.text_content("body")
    row_b = f'#overrides tr[data-student="{b}"]'
    assert page.input_value(f"{row_b} input >> nth=0") == typo
    assert page.input_value(f"{row_b} select") == "accelerate"
    said = page.text_content(f"{row_b} .bad")  # marked on load, before any typing
    assert f"{typo}: not an activity of the catalog (did you mean {first}?)" in said
    note = page.get_attribute(f"{row_b} .bad", "id")
    page.fill(f"{row_b} input >> nth=0", first)
    # the mark cleared, the field names no removed note (it may name its far-grade note)
    assert note not in (page.get_attribute(f"{row_b} input >> nth=0", "aria-describedby") or "")
    mode_a = f'#overrides tr[data-student="{a}"] select'
    assert page.get_attribute(mode_a, "aria-invalid") == "true"
    beside = page.locator(f"{mode_a} + .bad")
    assert beside.text_content() == "'Remediate' is no mode (did you mean remediate?): choose one"
    assert beside.get_attribute("id") in page.get_attribute(mode_a, "aria-describedby")
    page.select_option(mode_a, "remediate")
    assert beside.count() == 0 and page.get_attribute(mode_a, "aria-invalid") is None
    assert page.get_attribute(mode_a, "aria-describedby") is None  # no removed note's id
    fixed = export(page, tmp_path, "fixed.json")
    assert fixed["students"][b] == {"assigned": [first], "excluded": [], "mode": "accelerate"}
    assert fixed["students"][a] == {"assigned": [], "excluded": [], "mode": "remediate"}


class _no_download:
    """Asserts that a click downloads nothing (the export refused)."""

    def __init__(self, page):
        self.page, self.downloads = page, []

    def __enter__(self):
        self.page.on("download", self.downloaded)
        return self

    def downloaded(self, download) -> None:
        self.downloads.append(download)

    def __exit__(self, *exc):
        self.page.wait_for_timeout(300)
        self.page.remove_listener("download", self.downloaded)
        assert self.downloads == []


def visible_notes(page) -> int:
    return page.locator("[data-script-note]:visible").count()


def test_without_javascript_the_class_page_says_its_controls_need_it(report_district, browser):
    """A teacher's trial: with JavaScript off, the class page looked normal while the filters,
    sorting and "Export overrides (JSON)" did nothing."""
    klass = mixed_class(report_district.students())
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(class_page(report_district.site, klass).resolve().as_uri())
        assert visible_notes(page) == 2
        text = page.text_content("#overrides [data-script-note]")
        assert 'The "Export overrides (JSON)" button and the check of the ids typed need' in text
        assert "JavaScript is off" in text
        assert "The filters and the sorting" in page.text_content(".filters + [data-script-note]")
    finally:
        context.close()


def test_a_class_folder_copied_without_its_assets_says_its_controls_do_not_work(
    report_district, page, tmp_path
):
    """A teacher's trial: the class folder copied alone lost its assets (`../../../assets/`):
    the heatmap without colours and Export doing nothing, without a word. The page says it."""
    klass = mixed_class(report_district.students())
    folder = class_page(report_district.site, klass).parent
    alone = tmp_path / "elsewhere" / folder.name
    shutil.copytree(folder, alone)
    open_page(page, class_page(report_district.site, klass))
    assert visible_notes(page) == 0  # the script ran: no note
    page.goto((alone / "index.html").resolve().as_uri())
    page.wait_for_load_state("load")
    assert visible_notes(page) == 2
    assert "copied without the report's assets folder" in page.text_content(
        "#overrides [data-script-note]"
    )


def test_the_form_suggests_ids_by_the_librarys_rule_never_a_numbered_sibling(report_district, page):
    """The page once suggested any id at most two letters off: 'g3.NS.1.practice9' typed for a
    catalog without it was offered its numbered sibling 'g3.NS.1.practice1', another activity,
    which `closest_name` never offers. The page now follows `closest_name` itself: for every id
    typed (siblings, case and look-alike slips, typos, dropped letters, nonsense) it suggests
    what the library would."""
    d = report_district
    students = d.students()
    klass = mixed_class(students)
    a = sorted(students.loc[students["class_id"] == klass, "student_id"])[0]
    ids = list(Catalog.from_json(d.catalog).activity_index)
    known = set(ids)
    sibling = next(
        f"{x[:-1]}{n}" for x in ids if x[-1].isdigit() for n in "987" if f"{x[:-1]}{n}" not in known
    )
    typed = [sibling, ids[0].upper(), ids[1][:-2] + ids[1][-1], ids[2] + "x", "zz.q"]
    typed += [x.replace("1", "l", 1) for x in ids[3:6] if "1" in x]
    typed += [x[:-1] + str((int(x[-1]) + 1) % 10) for x in ids[6:40] if x[-1].isdigit()]
    typed += [x.replace(".", "", 1) for x in ids[40:60]]
    typed = [t for t in dict.fromkeys(typed) if t not in known]
    open_page(page, class_page(d.site, klass))
    page.fill(f'#overrides tr[data-student="{a}"] input >> nth=0', ", ".join(typed))
    said = page.text_content(f'#overrides tr[data-student="{a}"] .bad').split("; ")
    expected = [
        f"{t}: not an activity of the catalog"
        + (f" (did you mean {closest_name(t, known)}?)" if closest_name(t, known) else "")
        for t in typed
    ]
    assert said == expected
    assert closest_name(sibling, known) is None or not numbered_sibling(
        sibling, closest_name(sibling, known)
    )
    assert f"{ids[0].upper()}: not an activity of the catalog (did you mean {ids[0]}?)" in said


def test_a_class_report_handed_over_as_its_folder_works_on_its_own(
    report_district, page, tmp_path, capsys
):
    """A teacher's trial: `adaptive report --class` printed the class page's path, deep in the
    folder it wrote; handed that class folder, the teacher saw a page without colours whose
    Export did nothing (the styles and script were three folders up, in `assets/`). The class
    folder now holds what its pages need, and its pages link only to pages it holds."""
    d = report_district
    klass = mixed_class(d.students())
    code = run(["report", "--date", d.day, "--batch", str(d.batch), "--out", str(tmp_path / "one"),
                "--catalog", str(d.catalog), "--profiles", str(d.profiles), "--class", klass,
                "--quiet"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    handed = tmp_path / "handed" / klass
    shutil.copytree(class_page(tmp_path / "one", klass).parent, handed)
    assert_works_alone(page, handed, ("index.html", "students.html"))
    open_page(page, handed / "index.html")
    cell = page.eval_on_selector(
        f"#heatmap tbody td:nth-child({N_SUMMARY_COLUMNS + 1})",
        "c => getComputedStyle(c).backgroundColor",
    )
    assert cell in {rgb(c) for c in (*MASTERY_COLOURS, UNKNOWN_COLOUR)}  # the styles applied


def test_a_school_report_handed_over_as_its_folder_works_on_its_own(
    report_district, page, tmp_path, capsys
):
    """A review: `adaptive report --school` wrote the pages' styles and script two folders
    above the school's folder, so a school folder handed over alone showed no colours and
    controls that did nothing (as a class's did: the test above). The school folder now holds
    what its pages need, and its pages link only to pages it holds."""
    d = report_district
    klass = mixed_class(d.students())
    school = str(d.students().set_index("class_id").loc[klass, "school_id"].iloc[0])
    code = run(["report", "--date", d.day, "--batch", str(d.batch), "--out", str(tmp_path / "one"),
                "--catalog", str(d.catalog), "--profiles", str(d.profiles), "--school", school,
                "--quiet"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    folder = class_page(tmp_path / "one", klass).parent
    handed = tmp_path / "handed" / folder.parent.name
    shutil.copytree(folder.parent, handed)
    names = ("index.html", f"{folder.name}/index.html", f"{folder.name}/students.html")
    assert_works_alone(page, handed, names)


def assert_works_alone(page, handed, names) -> None:
    """Each page `names` of the folder `handed` loads its styles and script from the folder
    (its script ran), links only to pages the folder holds, and marks itself alone as the
    current page."""
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    for name in names:
        page.goto((handed / name).as_uri())
        page.wait_for_load_state("load")
        assert page.get_attribute("html", "data-ready") == "1" and visible_notes(page) == 0
        links = page.eval_on_selector_all(
            "a[href]:not([href^='#'])", "as => as.map(a => a.href.split('#')[0])"
        )
        top = handed.as_uri() + "/"
        assert links and all(link.startswith(top) for link in links)
        assert all((handed / link.removeprefix(top)).is_file() for link in links)
        assert page.locator("[aria-current=page]").count() == 1  # the page itself, no other
    assert not failed and not page.remote_requests and not page.errors


def test_a_district_first_served_mid_term_is_not_told_its_growth_yet(
    report_district, judged_site, page
):
    """A user trial: a district's first night, 2026-10-15, read "100% of 151 students are on
    track", a median of 88 months of growth a year: growth from 1 September with every student
    assumed on the norm then. With no night of the year's first weeks, growth counts from the
    district's first night, and the pages say it cannot be judged yet; served since the year's
    start, the same district's figures are shown."""
    d = report_district  # its one night, d.day, is in October
    for path in (d.site / "index.html", next(d.site.glob("schools/*/index.html"))):
        open_page(page, path)
        headline = page.locator("p.summary", has_text="since the baseline").inner_text()
        assert headline.startswith(
            f"Growth cannot be judged yet: 0.0 weeks since the baseline, {d.day} (the school "
            "year's first night served, after its first weeks: growth counts from this night, "
            "not from the year's start)"
        ), path
        assert "are on track" not in headline and "Median growth" not in headline
    open_page(page, judged_site / "index.html")
    headline = page.locator("p.summary", has_text="since the baseline").inner_text()
    assert "students of this district are on track" in headline
    assert "Baseline: 2026-09-01 (the school year's first night served)" in headline


def test_students_without_a_school_or_class_in_the_profiles_are_said_so(
    report_district, serve_from_year_start, page, tmp_path
):
    """A user trial: students without a profile were served in school `unassigned`, whose page
    read "School unassigned", "– of 0 students of this school are on track" (none has a grade,
    so none counts for growth) and a class row with no name, linked to the site's root: the
    page of a class without an id was written in its school's folder and overwritten by the
    school's. The pages now say whom they hold and how to place them, each class has its
    page, and no headline counts "of 0 students"."""
    d = report_district
    rows = [json.loads(line) for line in d.profiles.read_text().splitlines() if line.strip()]
    no_class = rows[3]["school_id"]
    for r in rows[3:5]:
        r["class_id"] = None  # a profile without a class: served in its school, class ""
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text("".join(json.dumps(r) + "\n" for r in rows[2:]))  # 2 without a profile
    serve_from_year_start(d, tmp_path / "batch", profiles=profiles)
    site = tmp_path / "site"
    build_site(tmp_path / "batch", d.day, site, catalog=d.catalog, profiles=profiles)

    open_page(page, site / "index.html")
    page.get_by_role("link", name="no school in the profiles").click()
    page.wait_for_selector("html[data-ready='1']")
    assert page.locator("h1").inner_text() == "Students without a school in the profiles"
    text = " ".join(page.locator("main").inner_text().split())
    assert (
        "2 students served without a school: 2 without a profile. Give each a school and a "
        "class in the profiles (school_id, class_id; and a grade, which growth needs)"
    ) in text
    assert "No student of this school is counted for growth." in text and "of 0 " not in text
    page.get_by_role("link", name="no class in the profiles").click()
    page.wait_for_selector("html[data-ready='1']")
    assert page.locator("h1").inner_text() == "Students without a class in the profiles"
    assert "2 students:" in page.locator("p.summary").first.inner_text()

    open_page(page, site / "schools" / no_class / "index.html")
    assert page.locator("h1").inner_text() == f"School {no_class}"  # its own page, kept
    page.get_by_role("link", name="no class in the profiles").click()
    page.wait_for_selector("html[data-ready='1']")
    assert page.locator("h1").inner_text() == "Students without a class in the profiles"
    crumbs = page.locator("nav.crumbs").inner_text()
    assert f"School {no_class}" in crumbs
    assert not page.remote_requests and not page.errors


def test_sorting_reads_the_value_a_cells_inner_element_holds(page, tmp_path):
    """A coordinator's trial: the district's "On track" column wraps each share in a span that
    holds its value (`data-v`), and sorting read the text instead: "fewer than 5" and "under
    0.001%" sorted as words, after 100%. Every sortable column of the school and district
    tables (on track, its 95% interval, expected) reads a value held by the cell or by the
    element inside it, numbers before words."""
    from types import SimpleNamespace

    from adaptive.reports.site.assets import SITE_CSS, SITE_JS
    from adaptive.reports.site.build import _interval, _on_track_cell, _share_cell
    from adaptive.reports.site.html import page as html_page
    from adaptive.reports.site.html import table

    shares = {"a": (100, 0.5), "b": (3, 0.2), "c": (100, 0.000004), "d": (100, 0.09),
              "e": (100, 0.1), "f": (100, 1.0)}  # fmt: skip
    rows = []
    for name, (n, share) in shares.items():
        s = SimpleNamespace(n=n, share_on_track=share, low=share / 2, high=min(1, 2 * share))
        rows.append([name, _on_track_cell(s), _interval(s), _share_cell(share)])
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "site.js").write_text(SITE_JS)
    (tmp_path / "assets" / "site.css").write_text(SITE_CSS)
    heads = ["School", "On track", "95% interval", "Expected"]
    body = table(heads, rows, "Schools", [False, True, False, True], sortable=True)
    (tmp_path / "index.html").write_text(html_page("Sort", "", [("Sort", None)], body, ""))
    open_page(page, tmp_path / "index.html")
    order = "ts => ts.map(t => t.textContent)"
    # b's interval is "–" (too few): no value, last either way
    for column, ascending, descending in (
        (2, "bcdeaf", "faedcb"),
        (3, "cdeafb", "faedcb"),
        (4, "cdebaf", "fabedc"),
    ):
        button = f"table.sortable thead th:nth-child({column}) button"
        page.click(button)
        assert page.eval_on_selector_all("table.sortable tbody th", order) == list(ascending)
        page.click(button)
        assert page.eval_on_selector_all("table.sortable tbody th", order) == list(descending)
    assert not page.errors


def test_a_cell_without_a_value_sorts_last_either_way(page, tmp_path):
    """A teacher's trial: sorting a class's growth from the lowest up put the students "too
    soon" to judge (an empty value) above the one 3 months behind, the one to remediate. A cell
    with no value ("too soon", "–") sorts last whichever way the column is sorted."""
    from adaptive.reports.site.assets import SITE_CSS, SITE_JS
    from adaptive.reports.site.html import page as html_page
    from adaptive.reports.site.html import table

    growth = {"a": "1.5", "b": "", "c": "-3.0", "d": "12.0", "e": ""}
    rows = [[name, f'<span data-v="{v}">{v or "too soon"}</span>'] for name, v in growth.items()]
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "site.js").write_text(SITE_JS)
    (tmp_path / "assets" / "site.css").write_text(SITE_CSS)
    body = table(["Student", "Growth"], rows, "Students", [False, True], sortable=True)
    (tmp_path / "index.html").write_text(html_page("Sort", "", [("Sort", None)], body, ""))
    open_page(page, tmp_path / "index.html")
    order = "ts => ts.map(t => t.textContent)"
    button = "table.sortable thead th:nth-child(2) button"
    page.click(button)
    assert page.eval_on_selector_all("table.sortable tbody th", order) == list("cadbe")
    page.click(button)
    assert page.eval_on_selector_all("table.sortable tbody th", order) == list("dacbe")
    assert not page.errors
