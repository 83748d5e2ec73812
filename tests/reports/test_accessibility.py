"""Accessibility of the report site: axe-core finds no serious or critical violation on any
kind of page, and the class page works from the keyboard (filter, sort, open a student)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
SERIOUS = {"serious", "critical"}


def open_page(page, path, fragment: str = "") -> None:
    page.goto(path.resolve().as_uri() + fragment)
    page.wait_for_selector("html[data-ready='1']")


@pytest.mark.parametrize("kind", ["district", "school", "class", "student"])
def test_axe_finds_no_serious_violation(report_district, page, kind):
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    site = report_district.site
    first = report_district.students().iloc[0]
    sid, klass = first["student_id"], first["class_id"]
    path = {
        "district": site / "index.html",
        "school": next(site.glob("schools/*/index.html")),
        "class": next(site.glob("schools/*/*/index.html")),
        "student": next(site.glob(f"schools/*/{klass}/students.html")),
    }[kind]
    open_page(page, path, f"#s-{sid}" if kind == "student" else "")
    violations = axe.run(page).response["violations"]
    serious = [
        (v["id"], v["impact"], len(v["nodes"])) for v in violations if v["impact"] in SERIOUS
    ]
    assert serious == [], serious


def focus(page, predicate: str, limit: int = 400) -> None:
    """Press Tab until the focused element satisfies `predicate` (a JS expression on `el`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate}; }})()"):
            return
    raise AssertionError(f"never reached by Tab: {predicate}")


def test_class_page_works_from_the_keyboard(report_district, page, tmp_path):
    site = report_district.site
    open_page(page, next(site.glob("schools/*/*/index.html")))
    total = page.locator("#heatmap tbody tr").count()
    focus(page, "el.id === 'f-group'")
    page.keyboard.press("End")  # the last option: no answers yet (after stuck)
    assert page.input_value("#f-group") == "no_answers"
    page.keyboard.press("ArrowUp")
    assert page.input_value("#f-group") == "stuck"
    shown = page.locator("#heatmap tbody tr:not(.hidden)").count()
    assert page.text_content("#f-count") == f"Showing {shown} of {total} students"
    page.keyboard.press("Home")
    assert page.locator("#heatmap tbody tr:not(.hidden)").count() == total
    focus(page, "el.tagName === 'BUTTON' && el.textContent === '! Stuck'")
    page.keyboard.press("Enter")
    stuck = page.eval_on_selector_all(
        "#heatmap tbody tr", "rs => rs.map(r => parseFloat(r.cells[4].textContent))"
    )
    assert stuck == sorted(stuck)
    focus(page, "el.closest('#heatmap tbody') !== null && el.tagName === 'A'")
    page.keyboard.press("Enter")
    page.wait_for_selector("section.student:target")
    assert page.title().startswith("Students of class ")
    page.screenshot(path=tmp_path / "keyboard-student.png")
