"""The four kinds of page: district, school, class (the teacher's) and student.

Each function takes arrays already grouped for its unit and returns the page's HTML. The
heatmap's cells come from a lookup table of every possible cell (mastery bin x percent x
progression state), so a class of 30 students x 120 skills is a few joins, not 3,600 formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from adaptive.batch.overrides import MODES, StudentOverride
from adaptive.curriculum import Catalog
from adaptive.policy.progression import LABELS
from adaptive.reports.growth import GROWTH_BIN_LABELS, Growth, GrowthSummary, Norm
from adaptive.reports.site.assets import MASTERY_EDGES, STATE_MARKS
from adaptive.reports.site.html import bar_chart, e, num, pct, sparkline, table
from adaptive.reports.teacher import GROUPS

GROUP_TITLES = {
    "accelerate": "Ready to accelerate",
    "on_track": "On track",
    "remediate": "Needs remediation",
    "stuck": "Stuck",
}
GROUP_LETTERS = "aors"  # one letter per GROUPS entry in the rows' per-skill code strings
TERMS_SHOWN = 3


def mastery_bins(mastery: np.ndarray) -> np.ndarray:
    """Colour bin per value: 0..4 (MASTERY_EDGES), 5 = unknown (NaN)."""
    bins = np.digitize(np.nan_to_num(mastery, nan=0.0), MASTERY_EDGES[1:])
    return np.where(np.isnan(mastery), 5, bins)


def _cell_table() -> np.ndarray:
    """Every heatmap cell's HTML, indexed by (bin * 102 + percent) * 5 + state."""
    out = np.empty(6 * 102 * 5, dtype=object)
    for b in range(6):
        for p in range(102):
            for s, mark in enumerate(STATE_MARKS):
                text = "–" if b == 5 else str(p)
                cls = "na" if b == 5 else f"m{b}"
                out[(b * 102 + p) * 5 + s] = f'<td class="{cls}">{text}{mark}</td>'
    return out


CELLS = _cell_table()


@dataclass
class ClassData:
    """One class: its students (rows) and their per-skill arrays, columns in curriculum order."""

    school: str
    class_id: str
    student_ids: np.ndarray
    labels: list[str]  # names from the roster, else the pseudonymous ids
    mastery: np.ndarray
    progression: np.ndarray
    group: np.ndarray
    student_group: np.ndarray  # index into GROUPS per student
    n_mastered: np.ndarray
    n_stuck: np.ndarray
    growth: Growth
    rec_student: np.ndarray  # per recommendation of the class: its student's row
    rec_skill: np.ndarray  # its skill's catalog code
    rec_activity: np.ndarray  # its activity's catalog code
    next_groups: pd.DataFrame
    overrides: dict[str, StudentOverride]


def heatmap(c: ClassData, catalog: Catalog, order: np.ndarray) -> str:
    """Students x skills in curriculum order, coloured by mastery and marked by state, with the
    sortable summary columns first. The table itself is the chart's fallback (values in cells)."""
    heads = _per_catalog("head", catalog, _heatmap_head, order)
    m = c.mastery[:, order]
    percent = np.clip(np.rint(np.nan_to_num(m) * 100), 0, 101).astype(np.int64)
    codes = (mastery_bins(m) * 102 + percent) * 5 + c.progression[:, order]
    letters = np.array([*GROUP_LETTERS, "-"])[c.group[:, order]]  # -1 -> "-"
    rows = []
    for i, sid in enumerate(c.student_ids):
        g = GROUPS[c.student_group[i]]
        rows.append(
            f'<tr data-student="{e(sid)}" data-group="{g}" data-g="{"".join(letters[i])}">'
            f'<th scope="row"><a href="{e(_student_href(sid))}">{e(c.labels[i])}</a></th>'
            f'<td class="g{c.student_group[i]}">{g.replace("_", " ")}</td>'
            f'<td class="num">{c.n_mastered[i]}</td><td class="num">{c.n_stuck[i]}</td>'
            f'<td class="num" data-v="{_v(c.growth.months[i])}">{num(c.growth.months[i])}</td>'
            + "".join(CELLS[codes[i]])
            + "</tr>"
        )
    return (
        '<div class="scroll" tabindex="0" role="region" aria-label="Mastery heatmap, scrollable">'
        '<table id="heatmap" class="hm sortable"><caption>Mastery per student and skill (percent '
        "P(mastered); ○ not started, ✓ mastered, ↻ needs review, ! stuck; no mark: in progress)"
        f"</caption><thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


_MEMO: dict[tuple, tuple] = {}


def _per_catalog(kind: str, catalog: Catalog, build, order: np.ndarray | None = None):
    """`build(catalog[, order])` computed once per catalog object (and order): the same HTML for
    every class (skill headers, filter options) and lookups. The memo keeps the catalog itself,
    so its id cannot be reused by another object while the entry lives."""
    key = (kind, id(catalog), None if order is None else np.asarray(order).tobytes())
    held = _MEMO.get(key)
    if held is None or held[0] is not catalog:
        held = (catalog, build(catalog) if order is None else build(catalog, order))
        _MEMO[key] = held
    return held[1]


def _heatmap_head(catalog: Catalog, order: np.ndarray) -> str:
    """The heatmap's header row (the same for every class: built once per catalog)."""
    ids = catalog.skill_index[order]
    names = np.asarray([s.name for s in catalog.skills], dtype=object)[order]
    head = ["Student", "Group", "Mastered", "Stuck", "Growth (months)"]
    heads = "".join(f'<th scope="col"><button type="button">{h}</button></th>' for h in head)
    return heads + "".join(
        f'<th scope="col" title="{e(n)}"><button type="button">{e(s)}</button></th>'
        for s, n in zip(ids, names, strict=True)
    )


def _v(x: float) -> str:
    return "" if x != x else f"{x:.3f}"


def student_anchor(sid: str) -> str:
    """The id of a student's section in the class's students page."""
    from adaptive.reports.site.html import file_name

    return "s-" + file_name(sid)


def _student_href(sid: str) -> str:
    return "students.html#" + student_anchor(sid)


def model_line(name: str, version: str) -> str:
    """The model section without its evaluation (no tracking store asked)."""
    return (
        f"<p>Recommendations from <strong>{e(name)}</strong> version {e(version)} (the champion "
        "when the nightly job ran).</p>"
    )


def legend() -> str:
    """The colour key of the heatmap and of the groups (colour is never the only cue)."""
    bounds = (*MASTERY_EDGES, 1.0)
    cells = "".join(
        f'<td class="m{i}">{int(100 * bounds[i])}–{int(100 * bounds[i + 1])}%</td>'
        for i in range(len(MASTERY_EDGES))
    )
    groups = "".join(
        f'<span><span class="sw{k}"></span>{GROUP_TITLES[g]}</span>' for k, g in enumerate(GROUPS)
    )
    return (
        '<table class="hm"><caption>Colour key: P(mastered)</caption><tbody><tr>'
        f'{cells}<td class="na">– unknown</td></tr></tbody></table>'
        f'<p class="legend"><strong>Groups:</strong> {groups}</p>'
    )


def filters(catalog: Catalog, order: np.ndarray) -> str:
    """Filter controls: by group, by skill (then the group applies to that skill)."""
    return _per_catalog("filters", catalog, _filters, order)


def _filters(catalog: Catalog, order: np.ndarray) -> str:
    groups = "".join(f'<option value="{g}">{GROUP_TITLES[g]}</option>' for g in GROUPS)
    skills = "".join(
        f'<option value="{j}">{e(catalog.skills[s].id)}: {e(catalog.skills[s].name)}</option>'
        for j, s in enumerate(order)
    )
    return (
        '<div class="filters" role="search" aria-label="Filter students">'
        f'<label>Group <select id="f-group"><option value="">All groups</option>{groups}</select>'
        f'</label><label>Skill <select id="f-skill"><option value="">All skills</option>{skills}'
        '</select></label><p id="f-count" aria-live="polite"></p></div>'
    )


def group_cards(c: ClassData, catalog: Catalog) -> str:
    """One card per group: its students, the skills they share, a suggested small-group activity
    (the activity most often recommended to them on their most shared skill)."""
    cards = []
    for k, g in enumerate(GROUPS):
        rows = np.flatnonzero(c.student_group == k)
        if len(rows) == 0:
            body = "<p>No student.</p>"
        else:
            shared = (c.group[rows] == k).sum(axis=0)
            top = [s for s in np.argsort(-shared, kind="stable")[:3] if shared[s] > 0]
            skills = (
                ", ".join(f"{e(catalog.skills[s].name)} ({shared[s]})" for s in top)
                or "none in common"
            )
            who = ", ".join(
                f'<a href="{e(_student_href(c.student_ids[i]))}">{e(c.labels[i])}</a>' for i in rows
            )
            body = (
                f"<p>{len(rows)} student(s): {who}</p><p><strong>Shared skills</strong>: {skills}</p>"
                f"<p><strong>Suggested small-group activity</strong>: "
                f"{_suggestion(c, rows, top, catalog)}</p>"
            )
        cards.append(
            f'<section class="card g{k}" aria-labelledby="grp-{g}"><h3 id="grp-{g}">'
            f"{GROUP_TITLES[g]}</h3>{body}</section>"
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def _suggestion(c: ClassData, rows: np.ndarray, skills: list[int], catalog: Catalog) -> str:
    """The activity most often recommended to these students on their shared skills (else on
    any skill); ties go to the first in the catalog."""
    in_group = np.isin(c.rec_student, rows)
    on_shared = in_group & np.isin(c.rec_skill, skills)
    pick = on_shared if on_shared.any() else in_group
    if not pick.any():
        return "none recommended"
    counts = np.bincount(c.rec_activity[pick], minlength=len(catalog.activities))
    best = catalog.activities[int(np.argmax(counts))]
    return f"{e(best.title)} (<code>{e(best.id)}</code>, recommended to {counts.max()} of them)"


def next_skill_list(c: ClassData, catalog: Catalog) -> str:
    """The batch's small groups of students who share their next skill."""
    if c.next_groups.empty:
        return "<p>No two students share their next skill.</p>"
    label = dict(zip(c.student_ids, c.labels, strict=True))
    per_skill = c.next_groups["skill_id"].value_counts()  # a skill's students split in groups
    rows = []
    for r in c.next_groups.itertuples(index=False):  # a few per class
        skill = catalog.skills[catalog.skill_index.get_loc(r.skill_id)].name
        who = ", ".join(e(label.get(s, s)) for s in r.student_ids.split(";"))
        n_groups = int(per_skill[r.skill_id])
        group = f"{r.group} of {n_groups}" if n_groups > 1 else "the only one"
        rows.append([e(skill), group, str(r.n_students), who])
    return table(
        ["Next skill", "Group of this skill", "Students", "Who"],
        rows,
        "Small groups: students who share their next skill",
        [False, False, True, False],
    )


def overrides_form(c: ClassData, date: str) -> str:
    """The teacher's choices per student, exported as JSON for the nightly job."""
    rows = []
    for sid, label in zip(c.student_ids, c.labels, strict=True):
        o = c.overrides.get(sid, StudentOverride())
        options = "".join(
            f'<option value="{m}"{" selected" if o.mode == m else ""}>{m}</option>' for m in MODES
        )
        rows.append(
            f'<tr data-student="{e(sid)}"><th scope="row">{e(label)}</th>'
            f'<td><select aria-label="Mode for {e(label)}"><option value="">none</option>{options}'
            f'</select></td><td><input type="text" aria-label="Activities assigned to {e(label)}" '
            f'value="{e(", ".join(o.assigned))}"></td><td><input type="text" '
            f'aria-label="Activities excluded for {e(label)}" value="{e(", ".join(o.excluded))}">'
            "</td></tr>"
        )
    return (
        f'<form id="overrides" data-class="{e(c.class_id)}" data-date="{e(date)}">'
        "<p>Choose per student; the file you export is read by the nightly job "
        "(<code>adaptive batch --overrides FILE</code>) and shows here the next morning. Activity "
        "ids are separated by commas; assigned ones come first, in order.</p>"
        '<table class="data"><caption>Teacher overrides</caption><thead><tr><th scope="col">Student'
        '</th><th scope="col">Mode</th><th scope="col">Assign</th><th scope="col">Exclude</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        '<p><button type="button" id="export" class="primary">Export overrides (JSON)</button> '
        '<span id="export-status" role="status"></span></p></form>'
    )


def growth_section(
    s: GrowthSummary, norm: Norm, baseline: tuple[str, float, float], unit: str
) -> str:
    """Share on track for the district's bar, with its interval, and the growth distribution."""
    bar = norm.target_years
    text = (
        f"{pct(s.share_on_track)} of {s.n} students of this {unit} are on track for {bar:g} years "
        f"of growth this school year (95% interval {pct(s.low)} to {pct(s.high)}; "
        f"{pct(s.expected_share)} expected when each student's measurement uncertainty is counted). "
        f"Median growth: {num(s.median_annualized)} months per school year (12 = one year). "
        f"Baseline: {e(baseline[0])}; {num(baseline[1])} months elapsed, so on track means at "
        f"least {num(baseline[2])} months of growth."
    )
    chart = bar_chart(
        "Growth per school year (months)",
        [f"{b} months" for b in GROWTH_BIN_LABELS],
        list(s.histogram),
        "students",
        f"Students by growth per school year; {bar * 12:g} months or more is on track.",
        highlight=[False, False, bar * 12 <= 12, bar * 12 <= 18, True],
    )
    return f'<p class="summary">{text}</p>{chart}'


def stuck_skills(counts: pd.Series, catalog: Catalog, unit: str, n: int = 10) -> str:
    """The skills where most students of the unit are stuck (chart + table + summary)."""
    top = counts[counts > 0].sort_values(ascending=False, kind="stable").head(n)
    if top.empty:
        return f"<p>No student of this {unit} is stuck on any skill.</p>"
    names = [catalog.skills[catalog.skill_index.get_loc(s)].name for s in top.index]
    return bar_chart(
        "Skills with the most stuck students",
        names,
        [float(v) for v in top.to_numpy()],
        "students stuck",
        f"Most stuck: {e(names[0])} ({int(top.iloc[0])} students).",
    )


def student_section(
    sid: str,
    label: str,
    recs_html: str,
    catalog: Catalog,
    order: np.ndarray,
    progression: np.ndarray,
    history: np.ndarray,
    codes: np.ndarray,
    dates: Sequence[str],
    growth: tuple[float, float, float, bool],
    profile: dict | None,
    override: StudentOverride | None,
    group: str,
    norm: Norm,
) -> str:
    """A student's page, one section of the class's students document (shown alone when its
    link is followed): recommendations with reasons, growth, mastery over time, interests, goals
    and the teacher's overrides. `history` is (dates, S) mastery, the last row today's."""
    anchor = student_anchor(sid)
    parts = [
        f'<section class="student" id="{e(anchor)}" aria-labelledby="h-{e(anchor)}">'
        f'<h2 id="h-{e(anchor)}">Student {e(label)}</h2>'
        f'<p class="summary">{e(label)} is in the group '
        f"<strong>{GROUP_TITLES[group]}</strong>. Growth: {num(growth[0])} ± {num(1.96 * growth[1])} "
        f"months; {'on track' if growth[3] else 'not on track'} for {norm.target_years:g} years "
        f"(probability {pct(growth[2])}).</p>",
        "<h3>Next activities and why</h3>",
        recs_html,
        "<h3>Mastery over time</h3>",
        _timeline(catalog, order, progression, history, codes, dates),
        "<h3>Interests and goals</h3>",
        _interests(profile, catalog, history[-1]),
        "<h3>What the teacher overrode</h3>",
        _override_text(override),
        '<p><a href="#top">Back to the list of students</a> · <a href="index.html">Back to the '
        "class</a></p></section>",
    ]
    return "\n".join(parts)


#: "37%" for 0..100 and "–" (unknown) at 101: mastery as text without a format per value
PERCENT = np.array([f"{i}%" for i in range(101)] + ["–"], dtype=object)
STATE_TEXT = np.array([label.replace("_", " ") for label in LABELS], dtype=object)


def percent_codes(values: np.ndarray) -> np.ndarray:
    """Index into PERCENT for each value (101 = unknown)."""
    values = np.asarray(values, dtype=float)
    codes = np.clip(np.rint(np.where(np.isnan(values), 0, values) * 100), 0, 100).astype(np.int64)
    return np.where(np.isnan(values), 101, codes)


def _timeline(
    catalog: Catalog,
    order: np.ndarray,
    progression: np.ndarray,
    history: np.ndarray,
    all_codes: np.ndarray,
    dates: Sequence[str],
) -> str:
    """Per practised skill (curriculum order): its mastery over the report dates as a small line
    (the chart), the values as text (its table fallback) and a summary sentence. On the first
    report there is no line yet: one value per skill."""
    started = order[progression[order] != 0]
    if len(started) == 0:
        return "<p>No skill practised yet.</p>"
    values = history[:, started]
    codes = all_codes[:, started]
    names = skill_names_html(catalog)[started]
    states = STATE_TEXT[progression[started]]
    if len(dates) > 1:
        rose = int(np.sum(values[-1] > values[0] + 1e-6))
        fell = int(np.sum(values[-1] < values[0] - 1e-6))
        text = f"Since {e(dates[0])}: mastery rose on {rose} and fell on {fell}."
        cells = [
            f"<td>{sparkline(values[:, j], 'mastery over time')}</td><td>"
            + " → ".join(PERCENT[codes[:, j]])
            + "</td>"
            for j in range(len(started))
        ]
        head = '<th scope="col">Over time</th>'
    else:
        text = "First report: one value per skill, a line from the next report on."
        cells = ["<td>" + t + "</td>" for t in PERCENT[codes[0]]]
        head = ""
    rows = "".join(
        f'<tr><th scope="row">{n}</th>{c}<td>{st}</td></tr>'
        for n, c, st in zip(names, cells, states, strict=True)
    )
    return (
        f'<p class="summary">{len(started)} skills practised. {text}</p><table class="data">'
        "<caption>Mastery per practised skill over the report dates</caption><thead><tr>"
        f'<th scope="col">Skill</th>{head}<th scope="col">Mastery ({e(" → ".join(dates))})</th>'
        f'<th scope="col">State</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def skill_positions(catalog: Catalog) -> dict[str, int]:
    """Skill id -> column, as a plain dict (a lookup per goal, no index built per student)."""
    return _per_catalog("positions", catalog, lambda c: {s.id: i for i, s in enumerate(c.skills)})


def skill_names_html(catalog: Catalog) -> np.ndarray:
    """The catalog's skill names, escaped once per catalog."""
    return _per_catalog(
        "names", catalog, lambda c: np.array([e(s.name) for s in c.skills], dtype=object)
    )


def _interests(profile: dict | None, catalog: Catalog, mastery: np.ndarray) -> str:
    """The interest profile as a table whose rows carry their bar (chart and table in one), a
    summary sentence, and the goal skills with their mastery."""
    if profile is None:
        return "<p>No learner profile.</p>"
    interests = sorted(profile["interests"].items(), key=lambda t: (-t[1], t[0]))
    parts = []
    if interests:
        top = ", ".join(f"{e(t)} ({w:.2f})" for t, w in interests[:3])
        rows = "".join(
            f'<tr><th scope="row">{e(t)}</th><td><svg width="100" height="10" aria-hidden="true">'
            f'<rect class="bar" width="{100 * min(max(w, 0.0), 1.0):.0f}" height="10"/></svg></td>'
            f'<td class="num">{w:.2f}</td></tr>'
            for t, w in interests
        )
        parts.append(
            f'<p class="summary">Strongest interests: {top}.</p><table class="data"><caption>'
            "Interest profile (weight 0 to 1; each bar is its row's value)</caption><thead><tr>"
            '<th scope="col">Topic</th><th scope="col">Weight</th><th scope="col" class="num">'
            f"Value</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    position = skill_positions(catalog)
    goals = [
        f"<li>{skill_names_html(catalog)[at]}: {pct(float(mastery[at]))} mastered</li>"
        for at in (position.get(g, -1) for g in profile["goals"])
        if at >= 0
    ]
    parts.append(f"<h4>Goals</h4><ul>{''.join(goals)}</ul>" if goals else "<p>No goal skills.</p>")
    return "".join(parts)


def _override_text(o: StudentOverride | None) -> str:
    if o is None:
        return "<p>Nothing: the recommendations are the policy's own.</p>"
    items = [f"<li>Mode: {e(o.mode or 'none')}</li>"]
    items.append(f"<li>Assigned: {e(', '.join(o.assigned) or 'none')}</li>")
    items.append(f"<li>Excluded: {e(', '.join(o.excluded) or 'none')}</li>")
    return f'<ul class="overridden">{"".join(items)}</ul>'
