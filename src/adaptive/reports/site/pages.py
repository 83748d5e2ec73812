"""The four kinds of page: district, school, class (the teacher's) and student.

Each function takes arrays already grouped for its unit and returns the page's HTML. The
heatmap's cells come from a lookup table of every possible cell (mastery bin x percent x
progression state), so a class of 30 students x 120 skills is a few joins, not 3,600 formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adaptive.batch.overrides import (
    IN_NO_CLASS,
    MODE_BANDS,
    MODES,
    ClassKey,
    SetAsideChoices,
    SetAsideFile,
    SetAsideForm,
    StudentOverride,
    far_from_grade,
)
from adaptive.batch.partition import UNASSIGNED_SCHOOL
from adaptive.curriculum import Catalog
from adaptive.errors import counted, share_words, some_of, verb
from adaptive.grades import grade_label
from adaptive.memo import IdentityMemo
from adaptive.policy.config import PolicyConfig
from adaptive.policy.explain import REMEMBER_TODAY, mastered_after, still_needed
from adaptive.policy.features import CHECKED_GRADES
from adaptive.policy.progression import LABELS, Progression
from adaptive.reports.growth import (
    GROWTH_BIN_LABELS,
    LEFT_OUT,
    Baseline,
    Growth,
    GrowthSummary,
    Norm,
)
from adaptive.reports.site.assets import MASTERY_EDGES, STATE_MARKS
from adaptive.reports.site.html import bar_chart, e, num, pct, sparklines, table
from adaptive.reports.teacher import CURRENT_WORK, GROUP_MAX_SIZE, GROUPS

#: How the pages name the batch's school of students whose profile names no school (or who have
#: no profile: `UNASSIGNED_SCHOOL`), and its class of those whose profile names no class (class
#: id ""): a user read "School unassigned", a class row with no name, and "of 0 students".
NO_SCHOOL = "no school in the profiles"
NO_CLASS = "no class in the profiles"


def school_name(school: str) -> str:
    """A school's name in a table row: its id, or `NO_SCHOOL`."""
    return NO_SCHOOL if school == UNASSIGNED_SCHOOL else school


def class_name(class_id: str) -> str:
    """A class's name in a table row: its id, or `NO_CLASS`."""
    return class_id or NO_CLASS


def school_title(school: str) -> str:
    """A school page's title ("School 0101"), and its breadcrumb."""
    if school == UNASSIGNED_SCHOOL:
        return "Students without a school in the profiles"
    return f"School {school}"


def class_title(class_id: str) -> str:
    """A class page's title ("Class 0101-3A"), and its breadcrumb."""
    return f"Class {class_id}" if class_id else "Students without a class in the profiles"


def school_note(school: str, n_students: int, n_without_profile: int) -> str:
    """The first line of the page of `UNASSIGNED_SCHOOL`: whom it holds, and how to place them
    ("" for another school)."""
    if school != UNASSIGNED_SCHOOL:
        return ""
    n_with = n_students - n_without_profile
    who = []
    if n_without_profile:
        who.append(f"{n_without_profile:,} without a profile")
    if n_with:
        who.append(f"{n_with:,} whose profile names no school")
    return (
        f'<p class="summary">{counted(n_students, "student")} served without a school: '
        f"{' and '.join(who)}. Give each a school and a class in the profiles "
        "(school_id, class_id; and a grade, which growth needs): the next night serves them "
        "in their school and class.</p>"
    )


#: A student who has answered nothing yet: their mastery is a placement, so no skill group
#: applies (a student-level group only, after the four of `GROUPS`).
NO_ANSWERS = "no_answers"
STUDENT_GROUPS: tuple[str, ...] = (*GROUPS, NO_ANSWERS)
#: What the pages call each group. The `on_track` group (neither ahead of pace nor held back
#: by a gap: `site.build.student_groups`) is "Progressing": "on track" is the growth verdict
#: (1.5 years per year) and only that.
GROUP_TITLES = {
    "accelerate": "Ready to accelerate",
    "on_track": "Progressing",
    "remediate": "Needs remediation",
    "stuck": "Stuck",
    NO_ANSWERS: "No answers yet",
}


def current_work_gaps(group: np.ndarray, progression: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per student (the last axis: skills) of the per-skill codes `group` and `progression`:
    how many skills of current work build on a weak prerequisite (code `remediate`), and how
    many skills current work has; `site.build.student_groups` compares the two."""
    n_gaps = (np.asarray(group) == GROUPS.index("remediate")).sum(axis=-1)
    return n_gaps, np.isin(progression, CURRENT_WORK).sum(axis=-1)


def group_meanings(target_years: float) -> dict[str, str]:
    """What puts a student in each group (`site.build.student_groups`), said on its card;
    `target_years`: the norm's bar for on track."""
    return {
        "accelerate": f"Growth on track for {target_years:g} years, ahead of the norm's pace, "
        "and no weak prerequisite in current work (while growth cannot be judged: more "
        "mastered skills ready to build on than skills in progress).",
        "on_track": "Working through current skills: no weak prerequisite, or one the student "
        "keeps at least a school year's pace through (while growth cannot be judged: weak "
        "prerequisites under no more than half of the skills in current work).",
        "remediate": "A prerequisite of current work practised and still weak, and growth under "
        "a school year per year: the gap holds the student back (while growth cannot be "
        "judged: more skills of current work on a weak prerequisite than without one).",
        "stuck": "Many answers on some skill without progress: step in.",
    }


#: The same, short, in the heatmap's Group column
GROUP_SHORT = {
    "accelerate": "ready to accelerate",
    "on_track": "progressing",
    "remediate": "needs remediation",
    "stuck": "stuck",
    NO_ANSWERS: "no answers yet",
}
GROUP_LETTERS = "aors"
#: The heatmap's growth column: months of growth since the baseline, not annualized (the
#: summaries' medians and the histogram are per school year); a student whose growth starts
#: later, from their own first night, has that night in their cell ("2.1 since 2026-10-05")
GROWTH_HEAD = "Growth since baseline (months)"  # one letter per GROUPS entry in the rows' per-skill code strings
TERMS_SHOWN = 3
#: The scoring terms under another name on the pages, where the policy's name misleads a
#: reader: the weight `exploration` is a bonus for a skill the student has answered rarely or
#: never (`terms.exploration_bonus`: 1 untried, 1 / sqrt(n + 1) after n answers), not the
#: exploration mode's random draws ("none" by default). The Parquet keeps `c_exploration`.
TERM_LABELS = {"exploration": "new or rarely tried skill"}
#: The heatmap's count columns: header, the batch output's `students` columns whose sum it
#: shows, and what it counts (the legend says it: the same words as the cells' marks).
#: Mastered counts ✓ and ↻ alike: a skill due for review was mastered by practice (a trial's
#: February class read 0 mastered for everyone, with 1-4 skills "mastered 4 months ago").
COUNT_COLUMNS = (
    (
        "✓+↻ Mastered",
        ("n_mastered", "n_needs_review"),
        "skills mastered by practice: those marked ✓ (at the policy's mastery bar) and those "
        "marked ↻ (mastered earlier, now due for review)",
    ),
    (
        "↻ Review",
        ("n_needs_review",),
        "of those, the skills marked ↻: mastered by practice earlier, now due for review (the "
        "reasons say \u201cyou mastered it … ago\u201d)",
    ),
    ("! Stuck", ("n_stuck",), "skills marked !: many attempts without progress"),
)


def mastery_bins(mastery: np.ndarray) -> np.ndarray:
    """Colour bin per value: 0..4 (MASTERY_EDGES), 5 = unknown (NaN)."""
    bins = np.digitize(np.nan_to_num(mastery, nan=0.0), MASTERY_EDGES[1:])
    return np.where(np.isnan(mastery), 5, bins)


def _cell_table(placed: bool = False) -> np.ndarray:
    """Every heatmap cell's HTML, indexed by (bin * 102 + percent) * 5 + state. `placed`: the
    cells of a student with no answer yet, "~95": a placement from their grade, not a
    measurement (and no state mark: nothing is started)."""
    out = np.empty(6 * 102 * 5, dtype=object)
    for b in range(6):
        for p in range(102):
            for s, mark in enumerate(STATE_MARKS):
                text = "–" if b == 5 else (f"~{p}" if placed else f"{p}{mark}")
                cls = "na" if b == 5 else f"m{b}"
                out[(b * 102 + p) * 5 + s] = (
                    f'<td class="{cls}{" pl" if placed else ""}">{text}</td>'
                )
    return out


CELLS = _cell_table()
CELLS_PLACED = _cell_table(placed=True)


def served_class_key(school: str, class_id: str) -> ClassKey:
    """A class of a night's output as the night's overrides know it (`overrides.ClassKey`):
    its school ("" for the students of no school, `UNASSIGNED_SCHOOL`) and class id."""
    return ("" if school == UNASSIGNED_SCHOOL else school), class_id


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
    student_group: np.ndarray  # index into STUDENT_GROUPS per student
    n_mastered: np.ndarray  # the batch's per-student counts: ✓ only (`COUNT_COLUMNS` adds ↻)
    n_needs_review: np.ndarray
    n_stuck: np.ndarray
    growth: Growth
    rec_student: np.ndarray  # per recommendation of the class: its student's row
    rec_skill: np.ndarray  # its skill's catalog code
    rec_activity: np.ndarray  # its activity's catalog code
    next_groups: pd.DataFrame
    overrides: dict[str, StudentOverride]
    no_answer: np.ndarray  # bool: answered nothing yet (the mastery shown is a placement)
    placement: np.ndarray  # where the nightly job placed each student ("" = not placed)
    grades: np.ndarray  # each student's grade in the profiles (NaN: none)
    #: the class's overrides files the night set aside for their problems (not applied)
    set_aside: tuple[SetAsideFile, ...] = ()
    #: the class's files the night left out as last school year's (`SetAsideFile.last_year`)
    last_year: tuple[SetAsideFile, ...] = ()
    #: the choices of those files per student of the class, as the form is pre-filled with
    #: them: one file's, by the night's rule for a class's several files (`set_aside_form`;
    #: empty where no file could be read again, or none can be told the teacher's last)
    set_aside_form: SetAsideForm = field(default_factory=SetAsideForm)
    #: the students the class's applied file named whom the night skipped (`skipped_students`):
    #: (their name or id, their class now as said; "" in no profile: left the district)
    skipped: tuple[tuple[str, str], ...] = ()
    #: the progression rule's inputs the night read besides mastery (`partition.skill_columns`):
    #: (n, S) answers and current run of right answers, (n,) `gradual_hold`; None for a night
    #: written before the students table carried them
    n_responses: np.ndarray | None = None
    streak: np.ndarray | None = None
    gradual_hold: np.ndarray | None = None
    #: (n,) served by an experiment arm's policy, whose rule the night does not record (None: none)
    in_arm: np.ndarray | None = None
    #: (n,) the minutes of each student's day's budget tonight's list leaves (`minutes_left`;
    #: negative: over it); None for a night written before the column
    minutes_left: np.ndarray | None = None

    @property
    def key(self) -> ClassKey:
        """The class as the night's overrides know it (`overrides.ClassKey`): its school ("" for
        the students of no school, `UNASSIGNED_SCHOOL`) and class id; two schools may name a
        homeroom alike."""
        return served_class_key(self.school, self.class_id)

    def still_needed(self, i: int, config: PolicyConfig) -> np.ndarray:
        """(S,) per skill of student `i`, what the progression rule still asks before it counts
        as mastered, in the policy's words (`explain.still_needed`, read with the night's
        `config` and the inputs it read), where the mastery is at the bar and the skill is not
        mastered; '' elsewhere, and everywhere for a night that did not record those inputs
        or a student served by an experiment arm's policy."""
        out = np.full(self.progression.shape[1], "", dtype=object)
        if self.n_responses is None or self.streak is None or self.gradual_hold is None:
            return out
        if self.in_arm is not None and self.in_arm[i]:
            return out
        answers, run = self.n_responses[i], self.streak[i]
        open_ = np.isin(self.progression[i], (Progression.IN_PROGRESS, Progression.STUCK))
        at_bar = np.nan_to_num(self.mastery[i]) >= config.mastery_threshold
        for s in np.flatnonzero(open_ & at_bar & (answers > 0)):
            out[s] = still_needed(
                float(self.mastery[i, s]), int(answers[s]), int(run[s]), config,
                int(self.gradual_hold[i]),
            )  # fmt: skip
        return out

    def far_assignments(self, i: int, catalog: Catalog) -> list[tuple[str, str]]:
        """Student `i`'s assignments far from their grade, each with its flag
        (`far_assignments`)."""
        return far_assignments(self.overrides.get(self.student_ids[i]), self.grades[i], catalog)


def far_assignment(activity: int, grade: float | None, mode: str | None, catalog: Catalog) -> str:
    """A teacher's assignment far from the student's grade, by the rule the night warns with
    (`batch.overrides.far_from_grade`: more than one grade off, beyond the mode's band), in
    words: "4 grades above the student's grade 3" ("" when it is not far, or a grade is
    unknown; a page adds `CHECK`). `activity`: its catalog code (-1: not in the catalog)."""
    if activity < 0 or grade is None or grade != grade:
        return ""
    offset = float(catalog.activity_grades[activity]) - float(grade)
    if not far_from_grade(offset, mode):
        return ""
    where = "above" if offset > 0 else "below"
    return (
        f"{counted(round(abs(offset)), 'grade')} {where} the student's grade {grade_label(grade)}"
    )


#: What a page says after a far assignment's flag
CHECK = ": check the assignment"


def far_assignments(
    override: StudentOverride | None, grade: float | None, catalog: Catalog
) -> list[tuple[str, str]]:
    """The assigned activities of `override` far from `grade` (`far_assignment`), each with
    its flag, in the override's order."""
    if override is None:
        return []
    out = []
    for activity in override.assigned:
        at = catalog.activity_index.get_indexer([activity])[0]
        far = far_assignment(int(at), grade, override.mode, catalog)
        if far:
            out.append((activity, far))
    return out


def no_answer_text(placement: str) -> str:
    """The words for a student with no answer yet, e.g. "no answers yet: placed from grade 7"
    (the placement as `adaptive recommend` says it). Without one (a night written before the
    students table kept every student's placement, for a student served nothing) it is not
    known: said so, not guessed (it said "no grade" of a student placed from grade 12)."""
    return f"no answers yet: {placement or 'placement not recorded for this night'}"


def over_budget_text(minutes_left: float | None, assigned: bool) -> str:
    """What the student page says of a list that overruns the day's minutes (`minutes_left`
    negative; "" otherwise): the teacher's assignments are served whatever their minutes
    (`assigned`: the student has some), so a teacher sees what their choices cost the day
    (the night wrote -68 and no page said it)."""
    if minutes_left is None or not minutes_left < -0.5:
        return ""
    over = f"{counted(round(-float(minutes_left)), 'minute')} more than the day's budget"
    if assigned:
        return f"Time: the teacher's assignments take {over}."
    return f"Time: tonight's activities take {over}."


def no_recommendation_text(placement: str, nothing_left: bool, assumed_known: float) -> str:
    """Why a student has no recommendation tonight, HTML-safe: every skill mastered or
    assumed known (`every_skill_known`: their placement, e.g. "placed from grade 12", starts
    every skill at `assumed_known` or more), else what else stops a list."""
    if nothing_left:
        start = f" ({e(placement)})" if placement else ""
        return (
            "<p>No recommendation today: every skill of the catalog is mastered or assumed "
            f"known (never answered, and its starting estimate{start} is "
            f"{share_words(assumed_known)} or more), so nothing is left to learn here. Check "
            "the student's grade, or give them a catalog that reaches further.</p>"
        )
    return (
        "<p>No recommendation today: nothing fit the student's time budget, scope, grade band "
        "and prerequisites (a teacher can widen the grade band or the scope).</p>"
    )


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
        k = int(c.student_group[i])
        g = STUDENT_GROUPS[k]
        cells = (CELLS_PLACED if c.no_answer[i] else CELLS)[codes[i]]
        growth = _growth_cell(c, i)
        rows.append(
            f'<tr data-student="{e(sid)}" data-group="{g}" data-g="{"".join(letters[i])}">'
            f'<th scope="row"><a href="{e(_student_href(sid))}">{e(c.labels[i])}</a></th>'
            f'<td class="g{k}">{_group_cell(c, i)}</td>'
            f"{_count_cells(c, i)}{growth}" + "".join(cells) + "</tr>"
        )
    return (
        '<div class="scroll" tabindex="0" role="region" aria-label="Mastery heatmap, scrollable">'
        '<table id="heatmap" class="hm sortable"><caption>Mastery per student and skill (percent '
        f"P(mastered), {MASTERY_MEANS}; ○ not started, ✓ mastered, ↻ mastered and due for review: "
        "learned, but the chance the student remembers it today has dropped; ! stuck; no mark: "
        "in progress; "
        "~ a placement from the student's grade, no answer yet)"
        f"</caption><thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _count_cells(c: ClassData, i: int) -> str:
    """Student `i`'s count columns (`COUNT_COLUMNS`), each the sum of its batch columns."""
    return "".join(
        f'<td class="num">{sum(int(getattr(c, name)[i]) for name in names)}</td>'
        for _, names, _ in COUNT_COLUMNS
    )


def _group_cell(c: ClassData, i: int) -> str:
    """The Group column: the group's short name; for a student with no answer yet, where they
    were placed (the same words as `adaptive recommend`: "placed from grade 7")."""
    if c.no_answer[i]:
        return e(no_answer_text(str(c.placement[i])))
    return GROUP_SHORT[STUDENT_GROUPS[c.student_group[i]]]


def _growth_cell(c: ClassData, i: int) -> str:
    """The Growth column: months, or why there is none (no answer yet, not judged yet)."""
    months = c.growth.months[i]
    if months == months and c.growth.late[i]:  # from their own first night, said in the cell
        return (
            f'<td class="num" data-v="{_v(months)}">{num(months)} '
            f'<span class="since">since {e(str(c.growth.start_date[i]))}</span></td>'
        )
    if months == months:
        return f'<td class="num" data-v="{_v(months)}">{num(months)}</td>'
    why = "no answers" if c.no_answer[i] else ("too soon" if not c.growth.judged[i] else "–")
    return f'<td class="num" data-v="">{why}</td>'


#: Per catalog, kind and order: what `_per_catalog` built.
_MEMO: IdentityMemo[Any] = IdentityMemo(limit=64)


def _per_catalog(kind: str, catalog: Catalog, build, order: np.ndarray | None = None):
    """`build(catalog[, order])` computed once per catalog object (and order): the same HTML for
    every class (skill headers, filter options) and lookups. The memo keeps the catalog itself,
    so its id cannot be reused by another object while the entry lives."""
    if order is None:
        return _MEMO.get((catalog,), lambda: build(catalog), extra=(kind, None))
    order_key = np.asarray(order).tobytes()
    return _MEMO.get((catalog,), lambda: build(catalog, order), extra=(kind, order_key))


def _heatmap_head(catalog: Catalog, order: np.ndarray) -> str:
    """The heatmap's header row (the same for every class: built once per catalog)."""
    ids = catalog.skill_index[order]
    names = np.asarray([s.name for s in catalog.skills], dtype=object)[order]
    head = ["Student", "Group", *(h for h, _, _ in COUNT_COLUMNS), GROWTH_HEAD]
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
        f'<span><span class="sw{k}"></span>{GROUP_TITLES[g]}</span>'
        for k, g in enumerate(STUDENT_GROUPS)
    )
    counts = "; ".join(f"<strong>{h}</strong>: {e(what)}" for h, _, what in COUNT_COLUMNS)
    return (
        '<table class="hm"><caption>Colour key: P(mastered)</caption><tbody><tr>'
        f'{cells}<td class="na">– unknown</td></tr></tbody></table>'
        f'<p class="legend"><strong>Groups:</strong> {groups}</p>'
        f'<p class="legend" id="counts-key">Columns: {counts}. A cell\'s percentage is the '
        "model's P(mastered): a high value without ✓ or ↻ (e.g. 100○) is an estimate from the "
        "student's grade or related skills, not yet shown by practice (too few answers, or a "
        "recent one wrong), and is not counted as mastered. A row of ~ values is a student with no answer yet: where they were placed, "
        "not a measurement.</p>"
    )


def filters(catalog: Catalog, order: np.ndarray) -> str:
    """Filter controls: by group, by skill (then the group applies to that skill)."""
    return _per_catalog("filters", catalog, _filters, order)


def _filters(catalog: Catalog, order: np.ndarray) -> str:
    groups = "".join(f'<option value="{g}">{GROUP_TITLES[g]}</option>' for g in STUDENT_GROUPS)
    skills = "".join(
        f'<option value="{j}">{e(catalog.skills[s].id)}: {e(catalog.skills[s].name)}</option>'
        for j, s in enumerate(order)
    )
    return (
        '<div class="filters" role="search" aria-label="Filter students">'
        f'<label>Group <select id="f-group"><option value="">All groups</option>{groups}</select>'
        f'</label><label>Skill <select id="f-skill"><option value="">All skills</option>{skills}'
        '</select></label><p id="f-count" aria-live="polite"></p></div>'
        + script_note("The filters and the sorting of the tables' columns")
    )


def script_note(controls: str) -> str:
    """A note beside controls that need the site's script: shown as written, hidden by the
    script once it has run (`assets.SITE_JS`). So it shows where JavaScript is off (what a
    `<noscript>` says) and where the script did not load (a page copied without the report's
    `assets/` folder), where the controls would otherwise do nothing without a word."""
    return (
        f'<p class="script-note" data-script-note><strong>{e(controls)} need this page\'s '
        "script, which has not run:</strong> JavaScript is off in this browser, or the page "
        "was copied without the report's <code>assets</code> folder (copy or host the whole "
        "report folder, with its <code>assets</code> folder).</p>"
    )


def group_cards(c: ClassData, catalog: Catalog, target_years: float = 1.5) -> str:
    """One card per group: its students, the skills they share, a suggested small-group activity
    (the activity most often recommended to them on their most shared skill). The card of the
    students ready to accelerate says what they are ready to move on to together instead
    (`_accelerate_body`)."""
    cards, meanings = [], group_meanings(target_years)
    for k, g in enumerate(STUDENT_GROUPS):
        rows = np.flatnonzero(c.student_group == k)
        if len(rows) == 0:
            body = "<p>No student.</p>"
        elif g == NO_ANSWERS:
            who = ", ".join(
                f'<a href="{e(_student_href(c.student_ids[i]))}">{e(c.labels[i])}</a> '
                f"({e(c.placement[i] or 'placement not recorded')})"
                for i in rows
            )
            body = (
                f"<p>{counted(len(rows), 'student')}: {who}</p><p>No answer yet: their mastery is where "
                "they were placed from their grade, not a measurement, and they are left out of "
                "growth until they answer.</p>"
            )
        elif g == "accelerate":
            body = _accelerate_body(c, rows, catalog)
        else:
            shared = (c.group[rows] == k).sum(axis=0)
            top = [s for s in np.argsort(-shared, kind="stable")[:3] if shared[s] > 0]
            skills = (
                ", ".join(f"{e(catalog.skills[s].name)} ({shared[s]})" for s in top)
                or "none in common"
            )
            body = (
                f"{_who(c, rows)}<p><strong>Shared skills</strong>: {skills}</p>"
                f"<p><strong>Suggested small-group activity</strong>: "
                f"{_suggestion(c, rows, top, catalog)}</p>"
            )
        meaning = f'<p class="meaning">{e(meanings[g])}</p>' if g in meanings else ""
        cards.append(
            f'<section class="card g{k}" aria-labelledby="grp-{g}"><h3 id="grp-{g}">'
            f"{GROUP_TITLES[g]}</h3>{meaning}{body}</section>"
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def _who(c: ClassData, rows: np.ndarray) -> str:
    """The card's first line: "3 students: " and links to their pages."""
    links = ", ".join(
        f'<a href="{e(_student_href(c.student_ids[i]))}">{e(c.labels[i])}</a>' for i in rows
    )
    return f"<p>{counted(len(rows), 'student')}: {links}</p>"


#: The progression states whose skill counts as mastered by practice (✓, and ↻: mastered,
#: now due for review) when saying what a student is ready to move on to
PRACTISED_MASTERED = (Progression.MASTERED, Progression.NEEDS_REVIEW)


def ready_to_move_on(progression: np.ndarray, catalog: Catalog) -> np.ndarray:
    """(n, S) bool: the skills each student is ready to move on to: not mastered yet (not
    started or in progress) and with every direct prerequisite (at least one) mastered by
    practice (✓ or ↻), as the heatmap shows them. The batch's per-skill code `accelerate`
    marks the mastered skill instead, and only one not due for review: by February most
    mastered skills are due (↻), and a card built on that code said "none in common" for
    nearly every class."""
    prerequisite = catalog.prerequisite_matrix  # [skill, its prerequisite]
    done = np.isin(progression, PRACTISED_MASTERED).astype(np.float64)
    n_done = np.asarray(prerequisite @ done.T).T  # (n, S) prerequisites mastered by practice
    n_needed = np.asarray(prerequisite.sum(axis=1)).ravel()
    open_ = np.isin(progression, (Progression.NOT_STARTED, Progression.IN_PROGRESS))
    return open_ & (n_needed > 0) & (n_done >= n_needed)


def _accelerate_body(c: ClassData, rows: np.ndarray, catalog: Catalog) -> str:
    """The card of the students ready to accelerate: the skills they are ready to move on to
    (`ready_to_move_on`), those most of them are ready for first, and an activity to start one
    together. A teacher groups them to teach something new: the mastered skills themselves
    (the batch's `accelerate` code) say nothing of where to go, and are mostly due for review
    by the spring."""
    counts = ready_to_move_on(c.progression[rows], catalog).sum(axis=0)
    n = len(rows)
    common = 2 if n > 1 and counts.max(initial=0) >= 2 else 1  # shared by 2, when any is
    top = [s for s in np.argsort(-counts, kind="stable")[:3] if counts[s] >= common]
    names = ", ".join(
        e(catalog.skills[s].name) + (f" ({counts[s]} of {n})" if n > 1 else "") for s in top
    )
    if not top:
        said = (
            f"none yet: no skill builds only on skills {'they have' if n > 1 else 'the student has'} "
            "mastered (✓ or ↻ in the heatmap) and is not mastered itself"
        )
    elif n > 1 and common == 1:
        said = f"no skill in common: {names}; teach them apart: their pages say what comes next"
    else:
        said = (
            f"{names}: every prerequisite mastered (✓, or ↻ due for review), the skill "
            "itself not yet"
        )
    return (
        f"{_who(c, rows)}<p><strong>Ready to move on to</strong>: {said}.</p>"
        f"<p><strong>Suggested small-group activity</strong>: "
        f"{_ready_suggestion(c, rows, top, catalog)}</p>"
    )


def _ready_suggestion(c: ClassData, rows: np.ndarray, top: list[int], catalog: Catalog) -> str:
    """An activity to move on with: the one most often recommended to them tonight on the
    skills they are ready for (`top`), else the catalog's first activity of the first of them
    (said so); with no skill ready, the activity most often recommended to them
    (`_suggestion`)."""
    if not top or (np.isin(c.rec_student, rows) & np.isin(c.rec_skill, top)).any():
        return _suggestion(c, rows, top, catalog)
    skill = catalog.skills[top[0]].id
    first = next((a for a in catalog.activities if skill in a.skills), None)
    if first is None:
        return "none in the catalog"
    return (
        f"{e(first.title)} (<code>{e(first.id)}</code>, an activity of "
        f"{e(catalog.skills[top[0]].name)}; not among tonight's recommendations)"
    )


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
    """The batch's small groups of students who share their next skill. A skill's students are
    split into groups of at most `GROUP_MAX_SIZE`: the Group column says "group 1 of 2" where a
    skill's students were split, and is left out when none was (a trial's teacher read "the only
    one" on every row, which told them nothing)."""
    if c.next_groups.empty:
        return "<p>No two students share their next skill.</p>"
    label = dict(zip(c.student_ids, c.labels, strict=True))
    per_skill = c.next_groups["skill_id"].value_counts()  # a skill's students split in groups
    split = bool((per_skill > 1).any())
    rows = []
    for r in c.next_groups.itertuples(index=False):  # a few per class
        skill = catalog.skills[catalog.skill_index.get_loc(r.skill_id)].name
        who = ", ".join(e(label.get(s, s)) for s in r.student_ids.split(";"))
        n_groups = int(per_skill[r.skill_id])
        group = [f"group {r.group} of {n_groups}" if n_groups > 1 else "one group"] if split else []
        rows.append([e(skill), *group, str(r.n_students), who])
    caption = "Small groups: students who share their next skill" + (
        f" (more than {GROUP_MAX_SIZE} students on one skill are split into groups)"
        if split
        else ""
    )
    return table(
        ["Next skill", *(["Group"] if split else []), "Students", "Who"],
        rows,
        caption,
        [False, *([False] if split else []), True, False],
    )


def skipped_notice(c: ClassData) -> str:
    """The choices of the class's applied file that the night dropped, and why: a student who
    left the district (in no profile) or is in another class per the profiles is skipped
    (`overrides._warn_gone`), said in the night's log alone (lines and counts) while the
    teacher's page was silent. On the teacher's own class page, each such student is named."""
    if not c.skipped:
        return ""
    items = "".join(
        f"<li>{e(label)}: "
        + (
            "in no profile (left the district?)"
            if not where
            else "in no class per the profiles"
            if where == IN_NO_CLASS
            else f"now in class {e(where)} per the profiles"
        )
        + "</li>"
        for label, where in c.skipped
    )
    n = len(c.skipped)
    return (
        '<div class="set-aside" role="status"><p><strong>Dropped tonight:</strong> the class\'s '
        f"overrides file named {counted(n, 'student')} not in this class, so the night did not "
        f"apply {'their' if n > 1 else 'the'} choices; the form below leaves "
        f"{'them' if n > 1 else 'that student'} out of its next export.</p><ul>{items}</ul></div>"
    )


def set_aside_notice(c: ClassData) -> str:
    """What the night did not apply: each overrides file of the class it set aside, so that
    the teacher who exported it fixes it (the night's warning reaches only its operator). Where
    a file could be read again, its choices fill the form (`ClassData.set_aside_form`) and
    the notice says what is wrong in the teacher's terms: which student, which choice; the
    night's own words (file lines, ids hidden) follow, folded, for whoever runs the night.
    Files of last school year come first, apart (`last_year_notice`)."""
    last = last_year_notice(c)
    if not c.set_aside:
        return last
    names = ", ".join(f"<code>{e(Path(f.path).name)}</code>" for f in c.set_aside)
    night = "".join(
        f"<li><code>{e(Path(f.path).name)}</code>: {counted(len(f.problems), 'problem')}<ul>"
        + "".join(f"<li>{e(p)}</li>" for p in f.problems)
        + "</ul></li>"
        for f in c.set_aside
    )
    if not c.set_aside_form.choices:
        chosen = c.set_aside_form.chosen
        # a newer file applied fills the form: `_form_source_words` says so, once
        todo = "" if chosen is not None and chosen.applied else " Fix them here and export again."
        return last + (
            '<div class="set-aside" role="alert"><p><strong>Not applied tonight:</strong> this '
            f"class's overrides file ({names}) {_why_words(c.set_aside)}, so its students were "
            f"served without it.{todo}</p>{_form_source_words(c.set_aside_form)}<ul>{night}</ul>"
            "</div>"
        )
    label = dict(zip(c.student_ids, c.labels, strict=True))
    said = "".join(
        f"<li>{e(label[sid])}: {'; '.join(e(w) for w in choice.wrong)}</li>"
        for sid, choice in c.set_aside_form.choices.items()
        if choice.wrong
    )
    return last + (
        '<div class="set-aside" role="alert"><p><strong>Not applied tonight:</strong> this '
        f"class's overrides file ({names}) {_why_words(c.set_aside)}, so its students were "
        "served without it. Its choices are filled in below: fix the ones marked (a mode that is none of the "
        "modes is marked beside its dropdown, activity and skill ids the catalog does not have "
        "under their fields) and export again; the new file is "
        "written whole (its class, date and format as the night reads them).</p>"
        + _form_source_words(c.set_aside_form)
        + (f"<ul>{said}</ul>" if said else "")
        + _unmatched_words(c.set_aside_form.unmatched)
        + f"<details><summary>The night's problems, as its warning said them</summary><ul>{night}"
        "</ul></details></div>"
    )


def last_year_notice(c: ClassData) -> str:
    """The class's overrides files the night left out as last school year's (a teacher's
    June export still in the folder in September): not applied, and nothing for this year's
    teacher to fix (a set-aside file's notice asked them to fix last year's choices for a
    retired activity); whoever runs the night removes the file. "" where there is none."""
    if not c.last_year:
        return ""
    names = ", ".join(f"<code>{e(Path(f.path).name)}</code>" for f in c.last_year)
    words = "".join(f"<li>{e(p)}</li>" for f in c.last_year for p in f.problems)
    return (
        '<div class="set-aside" role="status"><p><strong>Not applied tonight:</strong> this '
        f"class's overrides file ({names}) {_why_words(c.last_year)}, so its students were "
        "served without it. There is nothing to fix here: whoever runs the night removes "
        f"{_it(c.last_year)} from the folder.</p><ul>{words}</ul></div>"
    )


def _why_words(files: Sequence[SetAsideFile]) -> str:
    """Why the night did not apply a class's files, in the notice's words: "had problems" (a
    file set aside), or what else kept it out (`SetAsideFile.reason`: dated after the night,
    or another file of the class with the same date); a file read without a problem but not
    applied was said in the night's log alone, and the class page was silent."""
    reasons = list(dict.fromkeys(f.reason for f in files))
    if len(reasons) == 1:
        return e(reasons[0])
    return "; ".join(
        f"{', '.join(_file_words(f) for f in files if f.reason == r)} {e(r)}" for r in reasons
    )


def _form_source_words(form: SetAsideForm) -> str:
    """The notice's lines on what fills the form: of the class's several set-aside files, the
    newest by its date (none where the dates cannot tell the teacher's last), as the night
    picks among a class's files; then that file beside what the night applied for the class,
    said only as far as they were compared: which is newer by date, and whether their choices
    differ ("" for one set-aside file and nothing applied). Their choices were merged in name
    order (an older file's replaced a newer one's), and a set-aside file filled the form over
    a newer one the night applied."""
    aside = [f for f in (form.chosen, *form.left_out) if f is not None and not f.applied]
    last, night = form.last_aside, form.applied
    said = []
    if len(aside) > 1:
        differ = any(not f.same_choices(aside[0]) for f in aside[1:])
        files = f"{len(aside)} set-aside files" + (" with different choices" if differ else "")
        if last is not None:
            older = [f for f in aside if f is not last]
            said.append(
                f"The class has {files}: the newest by its date is {_file_words(last)} (dated "
                f"{e(last.date)}); {', '.join(map(_file_words, older))} "
                f"{verb(len(older), 'is')} older."
            )
        else:
            said.append(
                f"The class has {files} ({', '.join(map(_file_words, aside))}), and their dates "
                "cannot tell which is your last (the same date, or one that does not read as a "
                "date)."
            )
    keep = "Keep only the file you export in the folder."
    if last is None:
        if len(aside) > 1:
            shown = ": it shows what the night applied" if night is not None else ""
            if form.applied_night:  # tonight applied none for the class: the last choices
                shown = (
                    f": it shows the choices the night of {e(form.applied_night)} applied, the "
                    "last applied for the class (tonight's list is the policy's own)"
                )
            said.append(f"None fills the form below{shown}. Choose again here. {keep}")
    elif night is None:
        if len(aside) > 1:
            said.append(f"{_file_words(last)} fills the form below. {keep}")
    else:
        choices = (
            f"with the same choices as {_file_words(last)}"
            if night.same_choices(last)
            else f"whose choices differ from {_file_words(last)}'s"
        )
        if form.chosen is last and last.date:
            said.append(
                f"The night applied an older file of the class (dated {e(night.date)}), "
                f"{choices}: {_file_words(last)}, the newer, fills the form below. {keep}"
            )
        elif form.chosen is last:
            said.append(
                f"The night applied a file of the class dated {e(night.date)}, {choices}; "
                f"the date of {_file_words(last)} does not read as a date, so which is newer "
                f"cannot be told: {_file_words(last)} fills the form below. {keep}"
            )
        elif form.chosen is night:
            said.append(
                f"The night applied a newer file of the class (dated {e(night.date)}), "
                f"{choices}: the form below shows what the night applied; {_file_words(last)} "
                f"(dated {e(last.date)}), older, is not in it. {keep}"
            )
        else:
            said.append(
                f"{_file_words(last)} and the file the night applied share the date "
                f"{e(night.date)}, the applied one {choices}: which is your last cannot be "
                f"told, so the form below shows what the night applied. Choose again here. "
                f"{keep}"
            )
    return "".join(f"<p>{w}</p>" for w in said)


def _file_words(f: object) -> str:
    """A set-aside file as the notice names it (`overrides._SetAsideRead`)."""
    return f"<code>{e(Path(f.path).name)}</code>"


def _unmatched_words(n: int) -> str:
    """The notice's line for a set-aside file's students that match no student of the class
    (their choices are in no row, so the form's export leaves them out), without their ids."""
    if not n:
        return ""
    return (
        f"<p>{counted(n, 'student')} of the file {verb(n, 'has')} no match among this class's "
        "students: their choices are not below, and the file you export leaves them out.</p>"
    )


def set_aside_text(c: ClassData, i: int, catalog: Catalog) -> str:
    """What student `i`'s page says of the class's overrides files the night set aside
    (`ClassData.set_aside`, which the class page's "Not applied tonight" notice reads): a
    trial's student pages said "Nothing" was overridden while their class page said the file
    naming them was not applied. A file read again (`ClassData.set_aside_form`) that names the
    student: not applied, with what it asked for (of the file that fills the class's form, or
    the one file naming them), and named with its copies (`SetAsideForm.read_as`: the same
    export saved twice names the same students); a file that could not be read: any choices
    it held for them were not applied. "" where no set-aside file concerns the student: none
    names them, or the night applied a newer file of the class (the set-aside one is an
    earlier export). A copy, and a file naming none of the class, were said to be files that
    could not be read, on every student's page, even after a newer file was applied. Tonight's
    list is said to be the policy's own only for a student no applied file names."""
    if not c.set_aside:
        return ""
    form, sid, label = c.set_aside_form, c.student_ids[i], e(c.labels[i])
    reads = [f for f in (form.chosen, *form.left_out) if f is not None and not f.applied]
    superseded = form.chosen is not None and form.chosen.applied
    naming = [] if superseded else [f for f in reads if sid in f.choices]
    unread = [f for f in c.set_aside if f.path not in form.read_as]
    see = (
        'See <a href="index.html#teacher-overrides">the class page</a>: it says what to fix, '
        "and its form exports the file again."
    )
    # an applied file's choices for the student (shown below the notice) are tonight's too
    tonight = (
        "tonight's list follows the applied file's choices shown below"
        if sid in c.overrides
        else "tonight's list is the policy's own"
    )
    if naming:
        shown = form.chosen if form.chosen in naming else naming[0] if len(naming) == 1 else None
        paths = {f.path for f in naming}
        files = [f for f in c.set_aside if form.read_as.get(f.path) in paths]
        text = (
            f"<p><strong>Not applied tonight:</strong> the teacher's choices for {label} are in "
            f"this class's {_files_words(files)}, which {_why_words(files)}, so the night set "
            f"{_it(files)} aside: {tonight}, without them. {see}</p>"
        )
        if shown is not None:
            o = shown.choices[sid]
            given = StudentOverride(o.assigned, o.excluded, o.mode, o.excluded_skills)
            text += "<p>The file asked for:</p>" + _override_text(
                given, c.grades[i], catalog, o.bad_mode or None
            )
        return text
    if unread:
        held = "they" if len(unread) > 1 else "it"
        return (
            f"<p><strong>Not applied tonight:</strong> this class's {_files_words(unread)} "
            f"{_why_words(unread)}, so the night set {_it(unread)} aside: any choices {held} held for "
            f"{label} were not applied: {tonight}. {see}</p>"
        )
    return ""


def _files_words(files: Sequence[object]) -> str:
    """Set-aside files as a student page names them: "overrides file (a.json)", or "overrides
    files (a.json, a (1).json)"."""
    names = ", ".join(map(_file_words, files))
    return f"overrides {'files' if len(files) > 1 else 'file'} ({names})"


def _it(files: Sequence[object]) -> str:
    """The pronoun for set-aside files: "it" for one, "them" for several."""
    return "them" if len(files) > 1 else "it"


def _form_choices(c: ClassData, sid: str) -> StudentOverride | SetAsideChoices:
    """What a student's row of the class form is filled with: where a set-aside file fills the
    form (`SetAsideForm.chosen`), its choices, and none for a student it does not name (the
    teacher cleared them in that export, as `same_choices` reads it); else what the night
    applied, or where tonight applied none for the class and its set-aside files cannot tell
    the teacher's last, what an earlier night last applied (`SetAsideForm.applied_night`: the
    form was left empty, and an export from it cleared every choice). A student the newer file
    left out got the older applied file's choices back, and exporting again wrote them again."""
    form = c.set_aside_form
    if form.chosen is not None and not form.chosen.applied:
        return form.choices.get(sid, StudentOverride())
    if form.applied_night and form.applied is not None:
        return form.applied.choices.get(sid, StudentOverride())
    return c.overrides.get(sid, StudentOverride())


def overrides_form(c: ClassData, date: str, catalog: Catalog) -> str:
    """The teacher's choices per student, exported as JSON for the nightly job; an assignment
    far from the student's grade is flagged under its field (`far_assignment`)."""
    rows = []
    for i, (sid, label) in enumerate(zip(c.student_ids, c.labels, strict=True)):
        o = _form_choices(c, sid)
        far = far_assignments(o, c.grades[i], catalog)  # of the choices the row shows
        note_id = f"far-{student_anchor(sid)}"
        note = (
            f'<p class="far" id="{e(note_id)}">'
            + "; ".join(f"{e(a)}: {e(text)}{CHECK}" for a, text in far)
            + "</p>"
            if far
            else ""
        )
        described = f' aria-describedby="{e(note_id)}"' if far else ""
        options = "".join(
            f'<option value="{m}"{" selected" if o.mode == m else ""}>{m}</option>' for m in MODES
        )
        rows.append(
            f'<tr data-student="{e(sid)}"><th scope="row">{e(label)}</th>'
            f"<td>{_mode_select(sid, label, options, c.set_aside_form.choices.get(sid))}</td>"
            f'<td><input type="text" aria-label="Activities assigned to {e(label)}" '
            f'value="{e(", ".join(o.assigned))}"{described}>{note}</td><td><input type="text" '
            f'aria-label="Activities excluded for {e(label)}" value="{e(", ".join(o.excluded))}">'
            f'</td><td><input type="text" aria-label="Skills set aside for {e(label)}" '
            f'value="{e(", ".join(o.excluded_skills))}"></td></tr>'
        )
    return (
        f'<form id="overrides" data-school="{e(c.key[0])}" data-class="{e(c.class_id)}" '
        f'data-date="{e(date)}" '
        + _per_catalog("form-ids", catalog, _form_ids)
        + ">"
        + set_aside_notice(c)
        + skipped_notice(c)
        + "<p>Choose per student; the file you export is read by the nightly job "
        "(<code>adaptive batch --overrides FILE</code>) and shows here the next morning. Activity "
        "ids are separated by commas or semicolons; assigned ones come first, in order. Set "
        "aside a whole skill by its id (the heatmap's column heads): none of its activities is "
        "recommended until you take the skill out of the field, and none of them may be "
        "assigned meanwhile. An id the catalog does not have is marked under its field, and "
        "nothing is exported until it is fixed.</p>"
        # on a phone the table is wider than the screen: said, and shaded at the edge it
        # scrolls to (a 390 px trial saw no Exclude column and no cue that it scrolls)
        '<p class="scroll-note">The table is wider than the screen: swipe it sideways to reach '
        "the Assign, Exclude and Set aside columns (a shadow marks the side with more).</p>"
        '<div class="wide"><table class="data"><caption>Teacher overrides</caption><thead><tr>'
        '<th scope="col">Student'
        '</th><th scope="col">Mode</th><th scope="col">Assign</th><th scope="col">Exclude</th>'
        '<th scope="col">Set aside (skills)</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        + script_note('The "Export overrides (JSON)" button and the check of the ids typed')
        + '<p><button type="button" id="export" class="primary">Export overrides (JSON)</button> '
        '<span id="export-status" role="status"></span></p></form>'
    )


def _form_ids(catalog: Catalog) -> str:
    """The form's attributes that its script checks the ids typed against (the same for every
    class: built once per catalog): the activity ids, the skill ids, and each activity's skills
    (positions in the skill ids, "," between them), in the activity ids' order."""
    skill_at = skill_positions(catalog)
    on = {a.id: a.skills for a in catalog.activities}
    per_activity = " ".join(
        ",".join(str(skill_at[s]) for s in on[a] if s in skill_at) for a in catalog.activity_index
    )
    return (
        f'data-activities="{e(" ".join(catalog.activity_index))}" '
        f'data-skills="{e(" ".join(s.id for s in catalog.skills))}" '
        f'data-activity-skills="{e(per_activity)}"'
    )


def _mode_select(sid: str, label: str, options: str, set_aside: SetAsideChoices | None) -> str:
    """A row's mode dropdown; a set-aside file's mode that is none of the modes is marked
    beside it (`SetAsideChoices.bad_mode`), as the page's script marks an unknown activity id
    under its field, until the teacher chooses one."""
    bad = set_aside.bad_mode if set_aside is not None else ""
    note_id = f"bad-mode-{student_anchor(sid)}"
    marked = f' aria-invalid="true" aria-describedby="{e(note_id)}"' if bad else ""
    note = f'<span class="bad" id="{e(note_id)}">{e(bad)}: choose one</span>' if bad else ""
    return (
        f'<select aria-label="Mode for {e(label)}"{marked}><option value="">none</option>'
        f"{options}</select>{note}"
    )


def class_summary(c: ClassData, catalog: Catalog) -> str:
    """The class page's first line: its students per group (no answers yet counted apart);
    then the teacher's assignments far from their student's grade, as the night warned of
    them (`far_assignment`), where the teacher sees them first."""
    counts = [
        f"{int((c.student_group == k).sum())} {GROUP_TITLES[g].lower()}"
        for k, g in enumerate(STUDENT_GROUPS)
    ]
    line = f'<p class="summary">{counted(len(c.student_ids), "student")}: {", ".join(counts)}.</p>'
    far = [
        (c.labels[i], activity, text)
        for i in range(len(c.student_ids))
        for activity, text in c.far_assignments(i, catalog)
    ]
    if not far:
        return line
    one = len(far) == 1
    which = "; ".join(f"{e(label)}: {e(a)}, {e(text)}" for label, a, text in far[:5])
    more = f"; and {len(far) - 5} more" if len(far) > 5 else ""
    return (
        f'{line}<p class="far">{counted(len(far), "teacher assignment")} '
        f"{'is' if one else 'are'} more than one grade from {'its' if one else 'their'} "
        f"student's grade, beyond the mode's band ({which}{more}): served first as the teacher "
        f'asked; check {"it" if one else "them"} in <a href="#teacher-overrides">Teacher '
        "overrides</a> (a 'g7' typed for 'g3'?).</p>"
    )


def growth_section(s: GrowthSummary, norm: Norm, baseline: Baseline, unit: str) -> str:
    """Share on track for the district's bar, with its interval, and the growth distribution;
    only the baseline and why when growth cannot be judged yet (a share of "not on track" over
    a few days would be noise presented as a verdict)."""
    bar = norm.target_years
    left_out = _left_out(s, norm.min_weeks) + _late_start(s) + _from_placement(s, baseline, unit)
    if not baseline.judged:
        return f'<p class="summary">{baseline.sentence()}{left_out}</p>'
    if not s.n:  # everyone left out: "– of 0 students ... are on track" said nothing true
        return (
            f'<p class="summary">No student of this {unit} is counted for growth. '
            f"{baseline.sentence()}{left_out}</p>"
        )
    # one headline figure; the other reading is said to be secondary (a coach could not tell
    # whether "24% ... (27% expected when each student's measurement uncertainty is counted)"
    # meant 24% or 27%)
    text = (
        f"<strong>{pct(s.share_on_track)}</strong> of {counted(s.n, 'student')} of this "
        f"{unit} are on track for {bar:g} years of growth this school year (95% interval "
        f"{pct(s.low)} to {pct(s.high)}: the range the true share most likely lies in). This is "
        "the headline figure. A second check, for comparison only: each student's growth is "
        "measured with some error, and allowing for that error, about "
        f"{pct(s.expected_share)} would be on track. "
        f"Median growth, annualized: {num(s.median_annualized)} months per school year (each "
        "student's months of growth since their start, the baseline or their own later first "
        "night, scaled to a full year; 12 = one year). "
        f"{baseline.sentence()}{left_out}"
    )
    chart = bar_chart(
        "Growth per school year (months)",
        [f"{b} months" for b in GROWTH_BIN_LABELS],
        list(s.histogram),
        "students",
        "Students by growth per school year (a yearly pace, the same bar as the months so far "
        f"said above): {bar * 12:g} months or more per school year is on track.",
        highlight=[False, False, bar * 12 <= 12, bar * 12 <= 18, True],
    )
    return f'<p class="summary">{text}</p>{chart}'


def _left_out(s: GrowthSummary, min_weeks: float) -> str:
    """Who the figures do not count, and why (e.g. "Left out of growth: 2 students with no
    answers yet ..."), one part per reason (`growth.LEFT_OUT`); "" when everyone counts."""
    parts = [
        f"{counted(n, 'student')} {LEFT_OUT_WHY[r].format(weeks=f'{min_weeks:g}')}"
        for r, n in s.left_out.items()
    ]
    return f" Left out of growth: {'; '.join(parts)}." if parts else ""


def _late_start(s: GrowthSummary) -> str:
    """How many students counted grow from their own first night, not from the baseline."""
    if not s.late_start:
        return ""
    whose = "'s" if s.late_start == 1 else "'"
    return (
        f" {counted(s.late_start, 'student')}{whose} growth starts later "
        "than the district baseline (from their own first night with a reading: served first "
        "after it, or their school's output on it held no mastery reading; their bar scaled to "
        "the months since)."
    ) + _regraded(s)


def _from_placement(s: GrowthSummary, baseline: Baseline, unit: str) -> str:
    """How many students counted grow from a placement (no answer yet on the night their
    growth starts from: `GrowthSummary.from_placement`), and, where they are over half, that
    the figures are no measure of learning yet (a trial's district read "0% of 387 on track"
    as learning, every baseline a placement, none said so)."""
    if not s.from_placement:
        return ""
    night = f"the baseline night ({baseline.date}" + (
        ", or a later night of their own: their first night with a reading, or the first "
        "of a changed grade)"
        if s.from_placement_late
        else ")"
    )
    text = (
        f" {s.from_placement:,} of the {counted(s.n, 'measured student')} had no answers yet on "
        f"{night}: their growth starts from their placement, not a measurement, and reads the "
        "model's correction of it as much as their learning."
    )
    if 2 * s.from_placement > s.n:
        text += (
            f" With more than half of them so, the growth figures of this {unit} are not a "
            "measure of learning yet."
        )
    return text


def _regraded(s: GrowthSummary) -> str:
    """How many of the late starts counted grow from the night their grade changed."""
    if not s.regraded:
        return ""
    return (
        f" {counted(s.regraded, 'student')} of them from the first night of a grade changed "
        "since the baseline (a grade corrected: the change of grade, and their placement from "
        "it, is not growth)."
    )


#: Each reason of `growth.LEFT_OUT` as a unit page says it, after "N students".
LEFT_OUT_WHY = {
    "placed": "with no answers yet (their mastery is a placement from their grade, not a "
    "measurement)",
    "ungraded": "without a grade in the profiles",
    "grade_off_catalog": "whose grade has no skill in the catalog (nothing of their grade to "
    "measure)",
    "no_norm": "whose grade has no line in the growth norm",
    "no_baseline": "not served on the baseline night (no reading then to measure growth from)",
    "no_reading": "whose school's output on the baseline night holds no mastery reading (no "
    "reading then to measure growth from)",
    "no_common_skill": "with no skill of their grade read both on the night their growth "
    "starts from (the baseline night, or a later night of their own) and tonight (their "
    "grade's skills were added to the catalog since: nothing to compare)",
    "too_soon": "whose growth starts from their own first night served with a reading, after "
    "the baseline night and less than {weeks} weeks ago: it cannot be judged yet",
    "no_new_answers": "with no answer since the night their growth starts from (the same "
    "reading then and tonight: not measured yet, not a growth of 0)",
}
assert set(LEFT_OUT_WHY) == set(LEFT_OUT[1:])


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
        f"Most stuck: {e(names[0])} ({counted(int(top.iloc[0]), 'student')}).",
    )


#: A normal's two-sided 95% quantile: a student's growth +- Z_95 standard errors is its 95% interval
Z_95 = 1.96


@dataclass(frozen=True)
class StudentGrowth:
    """One student's growth as the student page says it."""

    months: float
    se: float
    p_on_track: float
    on_track: bool
    placed: bool  # no answer yet: no growth
    baseline: Baseline
    left_out: str = ""  # why the student is left out of growth (`growth.LEFT_OUT`; "": counted)
    #: growth starts later than the baseline, from the student's own first night (`start`):
    #: why the baseline gave none (`Growth.late_start`: "no_baseline", "no_reading"); "" not
    late: str = ""
    start: str = ""  # the student's own first night read (ISO day), for a late start
    #: a late start because the grade changed since the baseline (`Growth.regraded_from`):
    #: the grade before and the grade now (NaN: not)
    regraded_from: float = float("nan")
    grade: float = float("nan")
    #: no answer yet on the night their growth starts from: it starts from their placement
    start_placed: bool = False

    @classmethod
    def of(cls, g: Growth, i: int, grade: float = float("nan")) -> StudentGrowth:
        """Student `i` of `g`, whose grade in the profiles is `grade`."""
        return cls(
            float(g.months[i]), float(g.se[i]), float(g.p_on_track[i]), bool(g.on_track[i]),
            bool(g.placed[i]), g.baseline, g.reason(i), LEFT_OUT[int(g.late_start[i])],
            str(g.start_date[i]), float(g.regraded_from[i]), float(grade),
            bool(g.start_placed[i]),
        )  # fmt: skip

    @property
    def low(self) -> float:
        """The 95% interval's lower end, in months."""
        return self.months - Z_95 * self.se

    @property
    def high(self) -> float:
        """The 95% interval's upper end, in months."""
        return self.months + Z_95 * self.se

    def _unknown_why(self) -> str:
        """Why a student's growth is unknown, in words: their grade, or its lack."""
        if self.left_out == "grade_off_catalog":
            return (
                f"the catalog has no skill of grade {grade_label(self.grade)}: nothing to measure"
            )
        if self.left_out == "no_norm":
            return f"the growth norm has no line for grade {grade_label(self.grade)}"
        return "no grade in the profiles"

    def sentence(self, target_years: float) -> str:
        """The student's growth in one sentence (e.g. "Growth: 4.2 months (95% interval 3.1 to
        5.3 months); on track for 1.5 years (probability 80%).") or why there is none. The
        interval is named: an unlabelled "4.2 ± 1.1" (1.96 standard errors) read as one
        standard deviation gives another probability than the page's."""
        if self.placed:
            return "Growth: not measured until the student answers."
        if self.left_out == "no_reading":
            return (
                f"Growth: not measured: the baseline night's output ({self.baseline.date}) holds "
                "no mastery reading for the student's school, so there is no reading to measure "
                "growth from."
            )
        if self.left_out == "no_baseline":
            return (
                "Growth: not measured: the student was not served on the baseline night "
                f"({self.baseline.date}), so there is no reading to measure growth from."
            )
        if self.left_out == "no_common_skill":
            then = self._own_start() if self.late else f"the baseline night ({self.baseline.date})"
            return (
                f"Growth: not measured: no skill of the student's grade was read both on {then} "
                "and tonight (the grade's skills were added to the catalog since), so there is "
                "nothing to compare."
            )
        if self.left_out == "no_new_answers":
            then = self._own_start() if self.late else f"the baseline night ({self.baseline.date})"
            return f"Growth: not measured yet: no answer since {then}."
        if self.late and self.left_out == "too_soon":
            judged_from = pd.Timestamp(self.start) + pd.Timedelta(weeks=self.baseline.min_weeks)
            return (
                f"Growth: cannot be judged yet (judged from {judged_from:%Y-%m-%d}, "
                f"{self.baseline.min_weeks:g} weeks after {self._own_start()})."
            )
        if not self.baseline.judged:
            return (
                f"Growth: cannot be judged yet (judged from {self.baseline.judged_from}, "
                f"{self.baseline.min_weeks:g} weeks after the baseline)."
            )
        if self.months != self.months:
            return f"Growth: unknown ({self._unknown_why()})."
        verdict = "on track" if self.on_track else "not on track"
        head = f"Growth since {self._own_start()}" if self.late else "Growth"
        if self.start_placed:  # their start reading is a placement, not a measurement
            when = "then" if self.late else f"on {self.baseline.date}"
            head += f"{',' if self.late else ''} from their placement {when}, before any answer"
        head += ":"
        return (
            f"{head} {num(self.months)} months (95% interval {num(self.low)} to "
            f"{num(self.high)} months); {verdict} for {target_years:g} years (probability "
            f"{pct(self.p_on_track)})."
        )

    @property
    def regrade(self) -> str:
        """The night the student's grade changed, which their growth starts from (ISO day:
        the nightly job placed them again then); "" where their growth starts otherwise."""
        return self.start if self.late and self.regraded_from == self.regraded_from else ""

    def _own_start(self) -> str:
        """The student's own first night, after the district baseline, in words."""
        if self.regraded_from == self.regraded_from:  # the grade changed since the baseline
            now = f" to {grade_label(self.grade)}" if self.grade == self.grade else ""
            return (
                f"{self.start}, when the grade changed from {grade_label(self.regraded_from)}"
                f"{now} (after the district baseline, {self.baseline.date}: the change of grade "
                "is not growth)"
            )
        what = (
            "the first night whose output holds a mastery reading for the student's school"
            if self.late == "no_reading"
            else "the student's first night served"
        )
        return f"{self.start}, {what} (after the district baseline, {self.baseline.date})"


def group_reason(
    c: ClassData, i: int, catalog: Catalog, order: np.ndarray, target_years: float = 1.5
) -> str:
    """Why student `i` is in their group (`site.build.student_groups`), in a few words the
    page can show beside the growth verdict, which it agrees with: the skills of current work
    whose prerequisite is weak, out of how many, the pace, or the stuck count ("" for no
    answers yet)."""
    g = STUDENT_GROUPS[c.student_group[i]]
    judged = bool(c.growth.known[i])
    gap = _gap_words(c, i, catalog, order)
    if g == "stuck":
        return f"stuck on {counted(int(c.n_stuck[i]), 'skill')}: many answers, no progress"
    if g == "remediate":
        pace = "under a school year per year" if judged else "not judged yet"
        return f"{gap}, and growth is {pace}"
    if g == "accelerate":
        if judged:
            return f"growth on track for {target_years:g} years, and no weak prerequisite"
        return "more mastered skills ready to build on than skills in progress"
    if g == "on_track":
        if gap and not judged:
            return f"only {gap}, and growth is not judged yet"
        if gap and c.growth.on_track[i]:
            return f"{gap}, but growth is on track for {target_years:g} years"
        if gap:
            return f"{gap}, but growth keeps at least a school year per year"
        return "no prerequisite of current work is weak" + (
            "" if judged else " (growth not judged yet)"
        )
    return ""


def _gap_words(c: ClassData, i: int, catalog: Catalog, order: np.ndarray) -> str:
    """The skills of student `i`'s current work on a weak prerequisite, out of how many, and
    the first of them by name in curriculum order: "3 of the 5 skills in current work (A, B
    and 1 more) build on a prerequisite still weak" ("" for none)."""
    n_gaps, n_current = (int(n) for n in current_work_gaps(c.group[i], c.progression[i]))
    if not n_gaps:
        return ""
    gaps = order[c.group[i, order] == GROUPS.index("remediate")]  # curriculum order
    names = some_of([e(catalog.skills[k].name) for k in gaps], 2)
    of = "the one skill" if n_current == 1 else f"{n_gaps} of the {n_current} skills"
    build = "builds" if n_gaps == 1 else "build"
    return f"{of} in current work ({names}) {build} on a prerequisite still weak"


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
    growth: StudentGrowth,
    profile: dict | None,
    override: StudentOverride | None,
    group: str,
    norm: Norm,
    placement: str = "",
    mode_effect: str = "",
    reason: str = "",
    still: np.ndarray | None = None,
    set_aside: str = "",
    unshown: int = 0,
    budget: str = "",
) -> str:
    """A student's page, one section of the class's students document (shown alone when its
    link is followed): recommendations with reasons, growth, mastery over time, interests, goals
    and the teacher's overrides. `history` is (dates, S) mastery, the last row today's;
    `unshown`: the earlier nights before `dates[0]` that it leaves out (said so).
    `placement` is where the nightly job placed the student ("placed from grade 7"); a student
    with no answer yet (`group` NO_ANSWERS) is said to be so, not put in a group. `reason`:
    why the student is in `group` (`group_reason`), HTML-safe. `still`: (S,) what each skill
    still needs to count as mastered (`ClassData.still_needed`), said beside its state.
    `set_aside`: the class's set-aside overrides file as it concerns the student
    (`set_aside_text`), HTML; said before what the night applied. `budget`: a list over the
    day's minutes, said (`over_budget_text`)."""
    anchor = student_anchor(sid)
    if group == NO_ANSWERS:
        status = (
            f"{e(label)} has <strong>{e(no_answer_text(placement))}</strong>. The mastery shown "
            "is that placement, not a measurement."
        )
    else:
        placed = f" Starting point: {e(placement)}." if placement else ""
        why = f": {reason}" if reason else ""
        status = f"{e(label)} is in the group <strong>{GROUP_TITLES[group]}</strong>{why}.{placed}"
    parts = [
        f'<section class="student" id="{e(anchor)}" aria-labelledby="h-{e(anchor)}">'
        f'<h2 id="h-{e(anchor)}">Student {e(label)}</h2>'
        f'<p class="summary">{status} {growth.sentence(norm.target_years)}</p>',
        "<h3>Next activities and why</h3>",
        f'<p class="mode">{mode_effect}</p>' if mode_effect else "",
        f'<p class="budget">{budget}</p>' if budget else "",
        recs_html,
        "<h3>Mastery over time</h3>",
        _timeline(
            catalog, order, progression, history, codes, dates, still, unshown, growth.regrade
        ),
        "<h3>Interests and goals</h3>",
        _interests(profile, catalog, history[-1], placed=group == NO_ANSWERS),
        "<h3>What the teacher overrode</h3>",
        set_aside,
        # "Nothing" beside a set-aside file's notice read as though the teacher chose nothing
        ""
        if set_aside and override is None
        else _override_text(override, None if profile is None else profile.get("grade"), catalog),
        '<p><a href="#top">Back to the list of students</a> · <a href="index.html">Back to the '
        "class</a></p></section>",
    ]
    return "\n".join(p for p in parts if p)


def mode_effect(
    override: StudentOverride | None,
    profile: dict | None,
    tonight: np.ndarray,
    catalog: Catalog,
) -> str:
    """What the teacher's mode did to tonight's list, in words ("" without a mode): the grades
    it allows (`MODE_BANDS`) and the grades of tonight's activities (`tonight`: catalog codes).
    One sentence a teacher reads as what the mode did: the grades it let in tonight and, for
    "remediate", that the previous grade's skills the student never answered are checked before
    the work built on them (`features.unverified_below_grade`). A trial's coach read "the mode
    bars other grades but puts no grade first, and the nightly output does not record the list
    without it" as jargon."""
    if override is None or override.mode is None:
        return ""
    grade = None if profile is None else profile.get("grade")
    mode = e(override.mode)
    if grade is None:
        return (
            f"Teacher's mode: {mode}. It had no effect tonight: the student has no grade in the "
            "profiles, so there is no grade band to apply."
        )
    low, high = (int(grade) + d for d in MODE_BANDS[override.mode])
    grades = [catalog.activities[a].grade for a in np.asarray(tonight) if a >= 0]
    grades = [g for g in grades if g is not None]
    if not grades:
        served = "no activity is recommended tonight"
    else:
        # only the grades counted are listed: a grade 4 student's "below grade level (grades
        # 3, 4)" listed their own grade among those below it
        outside = [g for g in grades if (g < grade if override.mode == "remediate" else g > grade)]
        off = len(outside)
        where = "below" if override.mode == "remediate" else "above"
        seen = sorted(set(outside))
        listed = (
            f" ({'grade' if len(seen) == 1 else 'grades'} {', '.join(map(grade_label, seen))})"
            if seen
            else ""
        )
        served = (
            f"{off} of tonight's {counted(len(grades), 'activity', 'activities')} "
            f"{verb(off, 'is')} {where} grade level{listed}"
        )
    band = f"tonight it allowed only activities of grades {grade_label(low)} to {grade_label(high)}"
    if override.mode == "remediate":
        checked = grade_label(int(grade) - CHECKED_GRADES)
        did = (
            f"{band}, and grade {checked} skills the student has not answered yet are checked "
            f"before the grade {grade_label(grade)} work built on them"
        )
    else:
        did = f"{band}, so grade {grade_label(high)} work may come once the student is ready for it"
    return f"Teacher's mode: {mode}: {did}; {served}."


#: What a mastery percentage is, said wherever one is shown beside a review's "chance you
#: remember it today" (`explain.REMEMBER_TODAY`): a skill "Mastery 99% ↻" whose reason said
#: "recall is fading (65%)" showed a teacher two unnamed percentages for one skill.
MASTERY_MEANS = "mastery: how sure we are the skill was learned"
TWO_PERCENTAGES = (
    "A skill marked needs review was learned (its mastery stays high), but time has passed: "
    f"its reason gives the {REMEMBER_TODAY.replace('you remember', 'the student remembers')}, "
    "a different percentage."
)


#: "37%" for 0..100 and "–" (unknown) at 101: mastery as text without a format per value
PERCENT = np.array([f"{i}%" for i in range(101)] + ["–"], dtype=object)
#: PERCENT after an earlier one in a list over dates ("37% → 41%")
SEP_PERCENT = " → " + PERCENT
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
    still: np.ndarray | None = None,
    unshown: int = 0,
    regrade: str = "",
) -> str:
    """Per practised skill (curriculum order): its mastery over the report dates as a small line
    (the chart), the values as text (its table fallback) and a summary sentence. On the first
    report there is no line yet: one value per skill. A skill at the mastery bar but not
    mastered says what it still needs (`still`, (S,): `ClassData.still_needed`): "99%, in
    progress" read as mastered to a teacher. `unshown` earlier nights before `dates[0]` are
    said to be left out (a trial's operator read the last nine nights as the whole history).
    `regrade`: the night the student's grade changed (`StudentGrowth.regrade`), which the
    summary counts from, as their growth does: the re-placement's drops are not a decline."""
    started = order[progression[order] != 0]
    if len(started) == 0:
        return "<p>No skill practised yet.</p>"
    values = history[:, started]
    codes = all_codes[:, started]
    names = skill_names_html(catalog)[started]
    states = STATE_TEXT[progression[started]]
    if still is not None:
        needs = still[started]
        for j in np.flatnonzero(needs):  # `states` is a copy (fancy indexing)
            states[j] = f"{states[j]}: {e(mastered_after(needs[j]))}"
    if len(dates) > 1:
        text = _change_since(values, dates, unshown, regrade)
        # a whole student's table at once, one join of its pieces: the lines' points looked up,
        # not formatted (one line per student and skill was most of a site's build with 8 nights)
        cells = [
            sparklines(values, "mastery over time"),
            "</td><td>",
            PERCENT[codes[0]],
            *(SEP_PERCENT[row] for row in codes[1:]),
        ]
        head = '<th scope="col">Over time</th>'
    else:
        text = "First report: one value per skill, a line from the next report on."
        cells = [PERCENT[codes[0]]]
        head = ""
    columns = ['<tr><th scope="row">', names, "</th><td>", *cells, "</td><td>", states]
    pieces = np.empty((len(started), len(columns) + 1), dtype=object)
    for k, column in enumerate([*columns, "</td></tr>"]):
        pieces[:, k] = column
    rows = "".join(pieces.ravel().tolist())  # row by row
    review = (
        f" {TWO_PERCENTAGES}" if (progression[started] == Progression.NEEDS_REVIEW).any() else ""
    )
    return (
        f'<p class="summary">{counted(len(started), "skill")} practised. {text}{review}</p>'
        '<div class="wide">'
        '<table class="data">'
        "<caption>Mastery per practised skill over the report dates "
        f"({MASTERY_MEANS})</caption><thead><tr>"
        f'<th scope="col">Skill</th>{head}<th scope="col">Mastery ({e(" → ".join(dates))})</th>'
        f'<th scope="col">State</th></tr></thead><tbody>{rows}</tbody></table></div>'
    )


def _change_since(values: np.ndarray, dates: Sequence[str], unshown: int, regrade: str) -> str:
    """The mastery-over-time summary: on how many skills mastery rose and fell since the first
    night shown, or since `regrade` (a night shown, the grade changed: the student placed again
    from the new grade then) where the growth starts from it, said so."""
    shown = bool(regrade) and regrade in dates[:-1]
    first = list(dates).index(regrade) if shown else 0
    rose = int(np.sum(values[-1] > values[first] + 1e-6))
    fell = int(np.sum(values[-1] < values[first] - 1e-6))
    if shown:
        return (
            f"Since {e(regrade)}, when the grade changed and the student was placed again from "
            "the new grade (the night their growth starts from: the re-placement's rises and "
            f"drops are not counted): mastery rose on {rose} and fell on {fell}."
        )
    cut = (
        f" (the last {len(dates)} nights; {counted(unshown, 'earlier night')} not shown)"
        if unshown
        else ""
    )
    return f"Since {e(dates[0])}{cut}: mastery rose on {rose} and fell on {fell}."


def skill_positions(catalog: Catalog) -> dict[str, int]:
    """Skill id -> column, as a plain dict (a lookup per goal, no index built per student)."""
    return _per_catalog("positions", catalog, lambda c: {s.id: i for i, s in enumerate(c.skills)})


def skill_names_html(catalog: Catalog) -> np.ndarray:
    """The catalog's skill names, escaped once per catalog."""
    return _per_catalog(
        "names", catalog, lambda c: np.array([e(s.name) for s in c.skills], dtype=object)
    )


#: How a page marks an interest topic or goal skill of the profile that the catalog lacks (the
#: policy ignores it: `policy.adapter.check_profiles` warns of it).
NOT_IN_CATALOG = "not in the catalog: not used"


def _interests(
    profile: dict | None, catalog: Catalog, mastery: np.ndarray, placed: bool = False
) -> str:
    """The interest profile as a table whose rows carry their bar (chart and table in one), a
    summary sentence, and the goal skills with their mastery (`placed`: a placement, said so).
    A topic or goal the catalog lacks is listed as the student gave it, marked as not used
    (`NOT_IN_CATALOG`): a goal written '8.g.a.4' read "No goal skills." to the teacher."""
    if profile is None:
        return "<p>No learner profile.</p>"
    interests = sorted(profile["interests"].items(), key=lambda t: (-t[1], t[0]))
    topics = set(catalog.topics)
    parts = []
    if interests:
        top = ", ".join(f"{e(t)} ({w:.2f})" for t, w in interests[:3])
        rows = "".join(
            f'<tr><th scope="row">{e(t)}'
            + ("" if t in topics else f" ({NOT_IN_CATALOG})")
            + '</th><td><svg width="100" height="10" aria-hidden="true">'
            f'<rect class="bar" width="{100 * min(max(w, 0.0), 1.0):.0f}" height="10"/></svg></td>'
            f'<td class="num">{w:.2f}</td></tr>'
            for t, w in interests
        )
        parts.append(
            f'<p class="summary">Strongest interests: {top}.</p><div class="wide">'
            '<table class="data"><caption>'
            "Interest profile (weight 0 to 1; each bar is its row's value)</caption><thead><tr>"
            '<th scope="col">Topic</th><th scope="col">Weight</th><th scope="col" class="num">'
            f"Value</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )
    goals = [_goal(g, catalog, mastery, placed) for g in profile["goals"]]
    parts.append(f"<h4>Goals</h4><ul>{''.join(goals)}</ul>" if goals else "<p>No goal skills.</p>")
    return "".join(parts)


def _goal(goal: str, catalog: Catalog, mastery: np.ndarray, placed: bool) -> str:
    """A goal skill's list item: its name and mastery; one the catalog lacks as given, marked
    not used, with the catalog's code where only the case differs ('8.g.a.4': 8.G.A.4)."""
    at = skill_positions(catalog).get(goal, -1)
    if at >= 0:
        how = "placed (no answer yet)" if placed else "mastered"
        return f"<li>{skill_names_html(catalog)[at]}: {pct(float(mastery[at]))} {how}</li>"
    same = _per_catalog("casefold", catalog, lambda c: {s.id.casefold(): s.id for s in c.skills})
    spelled = same.get(goal.casefold())
    hint = f" (the catalog writes it {e(spelled)})" if spelled else ""
    return f"<li>{e(goal)}: {NOT_IN_CATALOG}{hint}</li>"


def _override_text(
    o: StudentOverride | None, grade: float | None, catalog: Catalog, mode: str | None = None
) -> str:
    """What the teacher overrode, an assignment far from the student's `grade` flagged, an
    activity id the catalog lacks marked (`NOT_IN_CATALOG`). `mode`: what to say of the mode
    instead of `o.mode` (a set-aside file's mode that is none of the modes, in words)."""
    if o is None:
        return "<p>Nothing: the recommendations are the policy's own.</p>"
    far = dict(far_assignments(o, grade, catalog))

    def activity(a: str) -> str:
        if a not in catalog.activity_index:
            return f"{e(a)} ({NOT_IN_CATALOG})"
        return e(a) + (f' (<strong class="far">{e(far[a])}{CHECK}</strong>)' if a in far else "")

    assigned = ", ".join(map(activity, o.assigned))
    excluded = ", ".join(map(activity, o.excluded))
    items = [f"<li>Mode: {e(mode or o.mode or 'none')}</li>"]
    items.append(f"<li>Assigned: {assigned or 'none'}</li>")
    items.append(f"<li>Excluded: {excluded or 'none'}</li>")
    if o.excluded_skills:  # every activity on them excluded: by name, as the pages say skills
        at = skill_positions(catalog)
        names = skill_names_html(catalog)
        aside = ", ".join(
            f"{names[at[s]]} ({e(s)})" if s in at else f"{e(s)} ({NOT_IN_CATALOG})"
            for s in o.excluded_skills
        )
        items.append(f"<li>Skills set aside (none of their activities): {aside}</li>")
    return f'<ul class="overridden">{"".join(items)}</ul>'
