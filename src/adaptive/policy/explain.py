"""Plain sentences for recommendations: the dominant scoring term, said in a teacher's words."""

from __future__ import annotations

import numpy as np

from adaptive.errors import counted, share_words
from adaptive.grades import grade_label
from adaptive.policy import terms
from adaptive.policy.base import CatalogArrays, StudentBatch
from adaptive.policy.config import PolicyConfig

#: Days in a month and a year, on average (a calendar's, so 78 days is 2.6 months).
DAYS_PER_MONTH = 365.25 / 12
DAYS_PER_YEAR = 365.25


#: What a review's percentage is (FSRS's predicted recall), in the words every page uses beside
#: mastery ("how sure we are the skill was learned"): two percentages for one skill, each named.
REMEMBER_TODAY = "chance you remember it today"


def time_ago(days: float) -> str:
    """'today', '5 days ago', '11 weeks ago', '4 months ago', '2 years ago': weeks up to 13
    (a quarter), so a whole number of months is never far off: 78 days was said "3 months
    ago" (2.6 months, in a log 2.7 months long), now "11 weeks ago"."""
    if not np.isfinite(days) or days < 1:
        return "today"
    if days < 14:
        return f"{int(round(days))} days ago"
    if days < 13.5 * 7:
        return f"{int(round(days / 7))} weeks ago"
    if days < 1.5 * DAYS_PER_YEAR:
        return f"{int(round(days / DAYS_PER_MONTH))} months ago"
    return f"{int(round(days / DAYS_PER_YEAR))} years ago"


def sentence(
    term: str,
    skill: str,
    title: str,
    *,
    p_correct: float = float("nan"),
    elapsed: float = float("nan"),
    recall: float = float("nan"),
    prerequisite: str = "",
    prerequisite_shown: bool = True,
    prerequisite_from_answers: bool = False,
    prerequisite_estimated: bool = False,
    placed: bool = True,
    checking: bool = False,
    checked_for: str = "",
    answered: int = 0,
    mastery: float = float("nan"),
    mastery_estimated: bool = False,
    mastery_from_level: bool = False,
    skill_grade: float = float("nan"),
    still_needed: str = "",
    topic: str = "",
    goal: str = "",
    closest: bool = False,
    goal_too: bool = False,
    grade: float = float("nan"),
    work_grade: float = float("nan"),
    lowest_grade: float = float("nan"),
    accelerated: bool = False,
    unchecked: str = "",
    band: tuple[float, float] = (float("nan"), float("nan")),
    band_asked: bool = False,
    answers_since: bool = False,
) -> str:
    """One plain sentence for a recommendation whose strongest reason is `term`. `placed`: the
    student was placed (their profile's grade, a diagnostic, a placement table:
    `recommender.placed_students`); without one, skills neither answered nor in their records
    hold the model's population estimate, and a sentence says so. `checking`:
    a skill of an earlier grade served because the teacher chose "remediate". `checked_for`:
    the skill built on this one whose last answer was wrong, this one never answered: served
    as a check (`features.prerequisites_in_doubt`). `answered`: the
    student's answers on the skill so far (a skill in progress is not "a skill to start").
    `still_needed`: what the progression rule still asks of a skill whose mastery is at the bar
    (`still_needed`, e.g. "2 right answers in a row (1 so far)"): said instead of "keep going
    until it is mastered", which a skill at 99% left unexplained.
    `prerequisite_from_answers`: the prerequisite, never answered, reads as known from where the
    student's answers on other skills place them in the curriculum (`features.read_level`).
    `prerequisite_estimated`: the prerequisite's value is the app's own estimate (a
    `StudentView`'s, `estimated_by_app`), not a placement: not called one.
    `closest`: served though `prerequisite` is not mastered, as nothing the student may be given
    is ready (`recommender.open_closest_to_ready`). `goal_too`: the student's `goal` weighed
    at least half as much as `term` (`recommender.GOAL_TOO_SHARE`): a second sentence names it.
    `grade`, `work_grade`, `lowest_grade`: the student's grade, the activity's and the catalog's
    lowest (NaN: none): work more than one grade above the student's says so (`above_grade`).
    A readiness pick whose skill's grade (`skill_grade`) is below the student's, never
    answered, is said as an earlier grade's skill (`earlier_grade_clause`, with its starting
    `mastery`, the one the policy read; `mastery_from_level`: read from where the student's
    answers on other skills place them, `features.read_level`; `mastery_estimated`: the app's
    own estimate); led by a reason that says why the activity (`WHY_NOT_THE_SKILL`), that
    clause is joined to the lead's one sentence (`with_clauses`). What a teacher's mode chose
    says so, one way (`as_teacher_asked`): `checking` (remediate), `accelerated` (a skill above
    the student's grade, the teacher having chosen accelerate: `StudentBatch.accelerate`), and
    `answers_since`: the student has answered some skill (a never-answered one's estimate is
    then their placement's moved by those answers, `earlier_grade_clause`).
    `unchecked` (a prerequisite the policy would check first, never answered, that the grade
    `band` (min, max; NaN: no bound) keeps out: `Features.unchecked`), said as the teacher's
    choice where `band_asked` (the band is a teacher's mode's, accelerate or remediate): a band
    alone (a vendor's `max_grade`, a simulation's) is no teacher asking.
    """
    lead = _main_sentence(
        term, skill, title, p_correct=p_correct, elapsed=elapsed, recall=recall,
        prerequisite=prerequisite, prerequisite_shown=prerequisite_shown,
        prerequisite_from_answers=prerequisite_from_answers,
        prerequisite_estimated=prerequisite_estimated, placed=placed, checking=checking,
        checked_for=checked_for, answered=answered,
        still_needed=still_needed, topic=topic, goal=goal, closest=closest,
        below_grade=skill_grade < grade, mastery=mastery, mastery_estimated=mastery_estimated,
        mastery_from_level=mastery_from_level, skill_grade=skill_grade,
        answers_since=answers_since,
    )  # fmt: skip
    clauses = []
    if term in WHY_NOT_THE_SKILL and answered == 0 and skill_grade < grade:
        # interest or a goal says why this activity, not why a skill below the student's grade
        # at all: an operator's trial read "it is about music" on a grade 2 skill the page
        # showed as 98% known (the tracer's), which the policy read lower from the student's
        # answers on other skills. The earlier grade's clause says which estimate and whence.
        clauses.append(
            as_teacher_asked(EARLIER_CHECK)
            if checking
            else earlier_grade_clause(
                skill_grade, mastery, placed, mastery_estimated, mastery_from_level, answers_since
            )
        )
    if term not in TEACHER_SAID:
        clauses += teacher_band_clauses(skill_grade, accelerated, unchecked, band, band_asked)
    main = with_clauses(lead, clauses)
    if term == "readiness":
        main += _hard(p_correct)
    main += above_grade(grade, work_grade, lowest_grade)
    if goal_too and goal:
        return f"{main} It is also a step toward your goal {goal}."
    return main


#: The strongest reasons that say why an activity, not why its skill: a sentence led by one adds
#: why a skill below the student's grade, never answered, is served at all
#: (`earlier_grade_clause`).
WHY_NOT_THE_SKILL = ("interest", "aspiration", "progress", "exploration", "difficulty")


#: The strongest reasons that take no clause of the teacher's grade band: the teacher's own
#: assignment (it says so), and a review (a skill mastered earlier, fading: not the band's).
TEACHER_SAID = ("assigned", "review")

#: What a remediated skill is (`checking`), said as the teacher's choice (`as_teacher_asked`).
EARLIER_CHECK = "a check of an earlier grade's skill"


def as_teacher_asked(what: str) -> str:
    """'<what>, as your teacher asked': the one way a reason says a teacher's mode chose it
    (remediate's checks, accelerate's next grade, a check its grade band keeps out). Accelerate
    said nothing: only the page's mode line did (a user trial)."""
    return f"{what}, as your teacher asked"


def teacher_band_clauses(
    skill_grade: float,
    accelerated: bool,
    unchecked: str,
    band: tuple[float, float],
    asked: bool,
) -> list[str]:
    """The clauses of a reason for work a grade band chose (`sentence`): a skill above the
    student's grade their teacher's accelerate chose (`accelerated`), and a skill served
    without the check of its prerequisite `unchecked`, which the band keeps out (`band`: min
    and max grade, NaN: no bound), said as the teacher's choice where the band is a teacher's
    mode's (`asked`). A trial's fourth grader, accelerated, was served a grade 4 skill they were
    failing at a 10% chance of a right answer, its grade 3 prerequisite not checked, with no
    word why. Work above grade without the mode says what it says without a teacher (one grade
    up, nothing: `above_grade`)."""
    clauses = []
    if accelerated:
        clauses.append(
            as_teacher_asked(f"a grade {grade_label(skill_grade)} skill, above your grade")
        )
    if unchecked:
        kept = f"{unchecked}, which it builds on, is not checked first: {band_rule(*band)}"
        clauses.append(as_teacher_asked(kept) if asked else kept)
    return clauses


def band_rule(low: float, high: float) -> str:
    """What a grade band gives, in words: 'only grade 4 and 5 work is given', 'only grade 2 to
    4 work ...', 'no work below grade 4 is given' (NaN: no bound)."""
    if np.isnan(low) and np.isnan(high):
        return "it is outside the grade band"
    if np.isnan(high):
        return f"no work below grade {grade_label(low)} is given"
    if np.isnan(low):
        return f"no work above grade {grade_label(high)} is given"
    grades = (
        grade_label(low)
        if low == high
        else f"{grade_label(low)} and {grade_label(high)}"
        if high == low + 1
        else f"{grade_label(low)} to {grade_label(high)}"
    )
    return f"only grade {grades} work is given"


def with_clauses(lead: str, clauses: list[str]) -> str:
    """The lead sentence ("<skill or title>: <why>.") with each clause joined by "; " into that
    one sentence: the skill named once. A clause said as a sentence of its own, with its own
    "<skill>:", named the skill twice ("Grade 3 geometry 4: review (cooking): it is about
    cooking, which interests you. Grade 3 geometry 4: a check of ...", a user trial)."""
    if not clauses:
        return lead
    return "; ".join((lead.removesuffix("."), *clauses)) + "."


def _main_sentence(
    term: str,
    skill: str,
    title: str,
    *,
    p_correct: float,
    elapsed: float,
    recall: float,
    prerequisite: str,
    prerequisite_shown: bool,
    prerequisite_from_answers: bool,
    prerequisite_estimated: bool,
    placed: bool,
    checking: bool,
    checked_for: str,
    answered: int,
    still_needed: str,
    topic: str,
    goal: str,
    closest: bool,
    below_grade: bool = False,
    mastery: float = float("nan"),
    mastery_estimated: bool = False,
    mastery_from_level: bool = False,
    skill_grade: float = float("nan"),
    answers_since: bool = False,
) -> str:
    """The sentence of the strongest reason alone (`sentence`), a readiness one without its
    "It will be hard for now" (`_hard`): `sentence` adds that after any clause it joins."""
    if term == "assigned":
        return f"{title}: assigned by your teacher."
    if term == "review":
        ago = time_ago(elapsed)
        # "<skill> review:" read as the activity's name on a practice activity (an ops trial);
        # "recall is fading (65%)" beside the page's "Mastery 99%" gave one skill two unnamed
        # percentages: this one is said as what it is (`REMEMBER_TODAY`)
        return (
            f"{skill}: time to review it: you mastered it {ago}, and the {REMEMBER_TODAY} is "
            f"down to {share_words(recall)}."
        )
    if term == "difficulty":
        # the term picks the version of a skill (relative to its other versions), so the
        # sentence says that, not that any P(correct) is "right"
        return f"{skill}: the version nearest your level ({chance(p_correct)} of getting it right)."
    if term == "readiness":
        if checking:
            return f"{skill}: {as_teacher_asked(EARLIER_CHECK)}."
        if checked_for:
            return (
                f"{skill}: a quick check before {checked_for}, which builds on it (your last "
                f"answer on {checked_for} was wrong)."
            )
        if closest:
            return (
                f"{skill}: nothing you may be given is ready yet, and this is the nearest: it "
                f"builds on {prerequisite}, not mastered yet (a teacher can widen the grade band "
                "to practise it first)."
            )
        if answered > 0 and still_needed:
            return f"{skill}: your mastery is at the bar, and {mastered_after(still_needed)}."
        if answered > 0:
            done = f"{counted(answered, 'answer')} so far"
            return f"{skill}: you have started it ({done}): keep going until it is mastered."
        if below_grade:
            return f"{skill}: " + earlier_grade_clause(
                skill_grade, mastery, placed, mastery_estimated, mastery_from_level, answers_since
            ) + "."  # fmt: skip
        return _readiness_sentence(
            skill, prerequisite, prerequisite_shown, placed, prerequisite_from_answers,
            prerequisite_estimated,
        )  # fmt: skip
    if term == "interest":
        return (
            f"{title}: it is about {topic}, which interests you."
            if topic
            else f"{title}: matches your interests."
        )
    if term == "aspiration":
        return (
            f"{skill}: a step toward your goal {goal}."
            if goal
            else f"{skill}: a step toward your goals."
        )
    if term == "progress":
        return f"{skill}: you are improving quickly here, keep going."
    if term == "exploration":
        return f"{skill}: something new to try."
    return f"{title}: {term}."


def still_needed(
    mastery: float, n_responses: int, streak: int, config: PolicyConfig, hold: int = 0
) -> str:
    """What the progression rule still asks of a practised skill whose mastery is at or above
    `PolicyConfig.mastery_threshold` but that does not count as mastered yet, in plain words
    ("5 answers (3 so far)", "2 right answers in a row (1 so far)", both joined by "and"); ''
    when nothing is missing, the mastery is below the bar, or the skill was never answered.
    The same settings as the rule itself (`terms.is_mastered`, `terms.shown_by_answers`):
    `min_responses_mastered`, `mastery_streak` and `hold`, the answers a skill needs where
    learning is gradual (`terms.gradual_hold`: `gradual_min_responses`, else 0)."""
    if n_responses <= 0 or not mastery >= config.mastery_threshold:
        return ""
    parts = []
    answers = max(config.min_responses_mastered, hold if hold > 1 else 0)
    if n_responses < answers:
        parts.append(f"{counted(answers, 'answer')} ({n_responses} so far)")
    in_a_row = min(n_responses, config.mastery_streak)
    if config.mastery_streak > 0 and (streak < in_a_row or streak < 1):
        parts.append(f"{counted(config.mastery_streak, 'right answer')} in a row ({streak} so far)")
    return " and ".join(parts)


def mastered_after(needed: str) -> str:
    """What `still_needed` returns, said as the recommendation's sentence and the report's
    student page both say it: "it counts as mastered after 2 right answers in a row (1 so
    far)"."""
    return f"it counts as mastered after {needed}"


#: Below this P(correct), a readiness sentence says the activity will be hard for now: the skill
#: is ready to learn, not yet likely to be answered right ("ready" alone read as "easy"). A new
#: skill sits at the guess rate, ~0.2-0.3, and is not called hard.
HARD_P_CORRECT = 0.15


def _readiness_sentence(
    skill: str, prerequisite: str, shown: bool, placed: bool, from_answers: bool = False,
    estimated: bool = False,
) -> str:  # fmt: skip
    """Why `skill` is ready, by where its prerequisite reads as known: the student's answers
    on it, their answers on other skills, the app's own estimate (`estimated`: a vendor's
    view, not a placement), or their placement (grade, records, diagnostic)."""
    if prerequisite and shown:
        return f"{skill}: you are ready for it now that you know {prerequisite}."
    if prerequisite and from_answers:  # read from where the answers on other skills place them
        return (
            f"{skill}: you are ready for it: it builds on {prerequisite}, which your answers on "
            "other skills place as known."
        )
    if prerequisite and estimated:  # the app's own estimate: no placement to name
        return (
            f"{skill}: you are ready for it: it builds on {prerequisite}, which is estimated as "
            "known."
        )
    if prerequisite:  # known from the placement (grade, records), not from answers
        source = (
            "your placement counts"
            if placed
            else "your records or the model's starting estimate (your profile has no grade) count"
        )
        return (
            f"{skill}: you are ready for it: it builds on {prerequisite}, which {source} as known."
        )
    return f"{skill}: a good next skill to start."


#: At or above this starting estimate, a skill below the student's grade reads as likely known:
#: served, it is a check, not a new skill (a grade placement puts a grade 1 student's
#: kindergarten skills near 0.88, below `PolicyConfig.assumed_known`).
LIKELY_KNOWN = 0.5


def earlier_grade_clause(
    skill_grade: float,
    mastery: float,
    placed: bool,
    estimated: bool,
    from_level: bool = False,
    answers_since: bool = False,
) -> str:
    """Why a skill of an earlier grade than the student's, never answered, is served (no class
    grade band held it out: a vendor's request), said without the skill's name or a final
    period: the readiness sentence's own reason ("<skill>: <this>."), or a clause of a sentence
    led by another reason (`with_clauses`). "a good next skill to start" was said of a grade 1
    student's kindergarten skill that their placement counts as 88% known. A starting
    estimate of `LIKELY_KNOWN` or more makes it a check a few answers confirm; a lower one, a
    skill to catch up on. The estimate's source: where the student's answers on other skills
    place them (`from_level`, `features.read_level`: what the policy read, over the others),
    the app's own (`estimated`), the placement (`placed`; with the student's answers so far
    where they answered other skills, `answers_since`: evidence along the prerequisite graph
    moves a never-answered skill, and a teacher read "27% by your placement" of a skill last
    year's records put at 7%), else the model's starting estimate."""
    below = f"a grade {grade_label(skill_grade)} skill, below your grade"
    if np.isnan(mastery):  # no estimate at all (placement=None)
        return f"{below}, not answered yet"
    whence = (
        "from where your answers on other skills place you"
        if from_level
        else "as estimated"
        if estimated
        else (
            "from your placement and your answers so far" if answers_since else "by your placement"
        )
        if placed
        else "by the starting estimate"
    )
    if mastery >= LIKELY_KNOWN:
        return (
            f"a check of {below}: likely known already ({share_words(mastery)} {whence}), "
            "so a few answers confirm it"
        )
    return f"{below}, not known yet ({share_words(mastery)} {whence}): one to catch up on"


def _hard(p_correct: float) -> str:
    """ " It will be hard for now (about 4% ...)." where P(correct) is below `HARD_P_CORRECT`."""
    if not p_correct < HARD_P_CORRECT:  # NaN (unknown) says nothing
        return ""
    return f" It will be hard for now ({chance(p_correct)} of getting it right)."


#: Work this many grades above the student's (or fewer) is not called out: a grade band of the
#: student's grade and the next is a teacher's ordinary "accelerate".
GRADES_ABOVE_UNSAID = 1


def above_grade(grade: float, work_grade: float, lowest_grade: float = float("nan")) -> str:
    """ " It is grade 3 work; you are in grade K and the catalog has nothing nearer." where the
    work is more than `GRADES_ABOVE_UNSAID` grades above the student's: a kindergartner on a
    grade 3-8 catalog was served grade 3 work as "a good next skill to start" with no word that
    it was above their grade. '' where either grade is unknown (NaN)."""
    if not work_grade - grade > GRADES_ABOVE_UNSAID:  # NaN (no grade) says nothing
        return ""
    said = f" It is grade {grade_label(work_grade)} work; you are in grade {grade_label(grade)}"
    if work_grade <= lowest_grade:  # the catalog's lowest grade: nothing nearer to give
        return f"{said} and the catalog has nothing nearer."
    return f"{said}."


def chance(p_correct: float) -> str:
    """'about 87% chance'; 'over 99% chance' where a whole percent would round to all (a
    student with a 0.996 chance was told "about 100%"), 'under 1% chance' to none."""
    words = share_words(p_correct)
    return f"{words} chance" if words.startswith(("over", "under")) else f"about {words} chance"


def readiness_prerequisite(
    ctx: CatalogArrays, batch: StudentBatch, row: int, skill: int
) -> tuple[str, bool, bool, bool]:
    """The prerequisite a readiness sentence names, whether the student showed it, whether
    it reads as known from their answers on other skills (`read_from_level`), and whether its
    value is the app's own estimate (`estimated_by_app`): the first direct prerequisite the
    student has answered, else the first one (known from their placement, their level or the
    app's estimate only: the sentence must not say "now that you know" a skill never answered)."""
    codes = ctx.prerequisite_codes[skill]
    codes = codes[codes >= 0]
    if not len(codes):
        return "", False, False, False
    answered = codes[batch.n_responses[row, codes] > 0]
    if len(answered):
        return str(ctx.skill_names[answered[0]]), True, False, False
    first = int(codes[0])
    return (
        str(ctx.skill_names[first]), False, read_from_level(batch, row, first),
        estimated_by_app(batch, row, first),
    )  # fmt: skip


def estimated_by_app(batch: StudentBatch, row: int, skill: int) -> bool:
    """Whether the student's value on `skill` is the app's own estimate (a `StudentView`'s,
    `StudentBatch.estimated`), not a placement (grade, records, diagnostic): a vendor's 0.9 was
    said to be one "which your placement counts as known"."""
    return batch.estimated is not None and bool(batch.estimated[row, skill])


def read_from_level(batch: StudentBatch, row: int, skill: int) -> bool:
    """Whether the student's belief on `skill` (never answered) is read from where their
    answers on other skills place them (`StudentBatch.level_known`, `features.read_level`)."""
    return (
        skill >= 0
        and batch.level_known is not None
        and batch.n_responses[row, skill] <= 0
        and not np.isnan(batch.level_known[row, skill])
    )


def failing_dependent(
    ctx: CatalogArrays, batch: StudentBatch, row: int, skill: int, config: PolicyConfig
) -> str:
    """The name of the skill built directly on `skill` that the student is failing
    (`terms.is_failing`, what `features.prerequisites_in_doubt` reads), the most recently
    practised of them; '' when none."""
    built_on = ctx.prerequisite_t
    dependents = np.sort(built_on.indices[built_on.indptr[skill] : built_on.indptr[skill + 1]])
    failing = dependents[
        terms.is_failing(
            batch.mastery[row, dependents], batch.n_responses[row, dependents],
            batch.streak[row, dependents], config.check_prerequisites_after,
            config.mastery_threshold,
        )
    ]  # fmt: skip
    if not len(failing):
        return ""
    latest = np.nan_to_num(batch.last_practiced[row, failing], nan=-np.inf)
    return str(ctx.skill_names[failing[int(np.argmax(latest))]])


def weakest_prerequisite(ctx: CatalogArrays, batch: StudentBatch, row: int, skill: int) -> str:
    """The name of the skill's direct prerequisite with the lowest mastery (unknown: 0)."""
    codes = ctx.prerequisite_codes[skill]
    codes = codes[codes >= 0]
    if not len(codes):
        return ""
    mastery = np.nan_to_num(batch.mastery[row, codes], nan=0.0)
    return str(ctx.skill_names[codes[int(np.argmin(mastery))]])


def goal_name(ctx: CatalogArrays, goals_row: np.ndarray, skill: int) -> str:
    """The first of the student's goal skills that `skill` leads to (its name), or ''."""
    for g in np.flatnonzero(goals_row):
        if ctx.closure[g, skill]:  # one entry of the sparse closure
            return str(ctx.skill_names[g])
    return ""


def top_interest_topic(batch: StudentBatch, ctx: CatalogArrays, row: int, activity: int) -> str:
    """The activity's topic the student weighs most ('' when none matches)."""
    codes = ctx.activity_topic_codes[activity]
    if not len(codes):
        return ""
    weights = batch.interests[row, codes]
    best = int(np.argmax(weights))
    return str(ctx.topic_names[codes[best]]) if weights[best] > 0 else ""
