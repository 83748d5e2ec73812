"""Per-student, per-skill features every policy derives from a `StudentBatch` (arrays only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pandas import Timestamp

from adaptive.errors import ConfigError, expect_type
from adaptive.placement.level import DEFAULT_GUESS, DEFAULT_SLIP
from adaptive.policy import terms
from adaptive.policy.base import CatalogArrays, StudentBatch, batch_settings, to_days
from adaptive.policy.config import PolicyConfig
from adaptive.policy.constraints import grade_banded


@dataclass
class Features:
    """Skill-level (n, S) and activity-level (n, A) arrays for one batch at one time."""

    mastery: np.ndarray  # (n, S), unknown -> 0
    p_skill: np.ndarray  # (n, S) P(correct) on the skill's typical item
    mastered: np.ndarray  # (n, S) progression rule: P, min responses, recent answers right
    missing: np.ndarray  # (n, S) number of prerequisites not met (threshold, recent answers)
    #: (n, S) recent answers show the skill, and enough of them where learning is gradual
    #: (`terms.shown_by_answers`, `terms.gradual_hold`)
    shown: np.ndarray
    support: np.ndarray  # (n, S) mastery of the weakest direct prerequisite (1 without any)
    elapsed: np.ndarray  # (n, S) days since last practice (NaN = never)
    recall: np.ndarray  # (n, S) FSRS predicted recall (1 where never practised)
    stuck: np.ndarray  # (n, S)
    p_act: np.ndarray  # (n, A) predicted P(correct) on each activity
    blocked: np.ndarray  # (n, A) some skill of the activity has a prerequisite not mastered
    #: (n, S) never answered, its starting estimate at least `PolicyConfig.assumed_known`
    assumed: np.ndarray
    #: (n, S) opened though a prerequisite is not met: the nearest to ready of a student whom
    #: prerequisites leave nothing (`recommender.open_closest_to_ready`); None: no such skill
    closest: np.ndarray | None = None
    #: (n, S) never answered, counted as not known until answered, as a skill built on it is
    #: being failed (`prerequisites_in_doubt`); None: no such skill
    in_doubt: np.ndarray | None = None
    #: (n, S) never answered, would be checked before a failed skill built on it
    #: (`prerequisites_in_doubt`) but the teacher's grade band keeps every activity of it out:
    #: what builds on it is served without the check (`checks_kept_out`); None: no such skill
    unchecked: np.ndarray | None = None

    @property
    def known(self) -> np.ndarray:
        """(n, S) nothing to learn on the skill now: mastered by the progression rule, or
        assumed known."""
        return self.mastered | self.assumed


def to_activities(ctx: CatalogArrays, x: np.ndarray) -> np.ndarray:
    """(n, S) -> (n, A): the value of the activity's skill (mean over its skills)."""
    out = x[:, ctx.primary_skill]
    if len(ctx.multi):
        codes = ctx.skill_codes[ctx.multi]
        valid = codes >= 0
        vals = x[:, np.where(valid, codes, 0)] * valid  # (n, M, K)
        out[:, ctx.multi] = vals.sum(axis=2) / valid.sum(axis=1)
    return out


def gather_activities(ctx: CatalogArrays, x: np.ndarray, act: np.ndarray) -> np.ndarray:
    """`to_activities(ctx, x)[i, act[i, j]]` for chosen activities only: (n, k); for x of shape
    (n, S, T) (several skill terms stacked), (n, k, T) in one pass, each term's values the same
    as gathered alone."""
    codes = ctx.skill_codes[act]  # (n, k, K)
    valid = codes >= 0
    rows = np.arange(x.shape[0])[:, None, None]
    if x.ndim == 3:
        vals = x[rows, np.where(valid, codes, 0)] * valid[..., None]
        return vals.sum(axis=2) / valid.sum(axis=2)[..., None]
    vals = x[rows, np.where(valid, codes, 0)] * valid
    return vals.sum(axis=2) / valid.sum(axis=2)


def check_catalog(batch: StudentBatch, ctx: CatalogArrays) -> None:
    """A batch built on one catalog, scored by a policy of another, would read each column as
    another skill or activity (a catalog reordered, grown or renamed between them), or mix the
    two catalogs' prerequisites, grades and topics (the same ids, edited): refused."""
    if batch.catalog_sha256 and batch.catalog_sha256 != ctx.catalog_sha256:
        raise ConfigError(
            "this batch was built on another catalog than the policy's (their skills, "
            "activities or topics, or the prerequisites, grades or topics of the same ids, "
            "differ): its placement and readiness would mix the two. Build the batch and the "
            "policy on the same catalog (e.g. the one `read_district` or `load_catalog` "
            "returned; a catalog file edited since the policy was made is another catalog)."
        )


def check_settings(batch: StudentBatch, config: PolicyConfig) -> None:
    """A batch built with another config's budget, progress window or repeatable kinds than
    the policy's (`batch_from_model` without `config=`, a policy with its own) would be scored
    on another day than the policy's config describes: refused, saying what to pass."""
    if batch.settings and batch.settings != batch_settings(config):
        raise ConfigError(
            "this batch was built with another PolicyConfig than the policy's (default daily "
            f"minutes, progress window, repeatable kinds, grade table: {batch.settings} against "
            f"{batch_settings(config)}): build it with the policy's, e.g. "
            "batch_from_model(..., config=policy.config)"
        )


#: How many grades below a remediated student's own are checked (their previous grade's skills).
CHECKED_GRADES = 1


def skills_of(ctx: CatalogArrays, activities: np.ndarray) -> np.ndarray:
    """(r, S) True where some of the (r, A) `activities` practises the skill."""
    return np.asarray(activities.astype(np.float32) @ ctx.activity_skill_bin) > 0


def read_level(
    batch: StudentBatch, p_known: np.ndarray, p_correct: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(P(known), P(correct)) with each skill a student never answered read from where they
    stand in the curriculum (`StudentBatch.level_known`, not NaN), its P(correct) left to be
    derived from that belief. Where a district's knowledge follows the curriculum order, a
    student's first answers on some skills tell what they know of the others better than their
    grade does (`adaptive.placement.level`): a fourth grader who answers the grade's late skills
    right is not served its early ones to confirm them, and one who fails its early ones is not
    served what builds on them. The tracer's own estimate stays for every answered skill."""
    if batch.level_known is None:
        return p_known, p_correct
    read = (batch.n_responses <= 0) & ~np.isnan(batch.level_known)
    if not read.any():
        return p_known, p_correct
    return np.where(read, batch.level_known, p_known), np.where(read, np.nan, p_correct)


def unverified_below_grade(
    batch: StudentBatch,
    ctx: CatalogArrays,
    mastery: np.ndarray,
    givable: np.ndarray | None = None,
) -> np.ndarray:
    """The mastery the policy reads, where a teacher chose "remediate" for a student: the skills
    of the grade below theirs (`CHECKED_GRADES`, within the mode's band) that they never
    answered count as not known (0), so they are checked before what builds on them. A
    placement says a fourth grader knows third grade; a teacher who asks for remediation says
    that is in doubt (the mode used only to widen the grade band: a struggling student whose
    own grade's skills looked ready was served the same list). One answer shows a skill (its
    traced mastery is read again); skills further below keep their placement, so a check that
    fails is itself ready to learn. With `givable` ((n, A), the activities the student may be
    given), a skill none of whose activities may be given (a teacher's exclusion) is not
    doubted: what builds on it would wait for good. Returns `mastery` itself when nobody is
    remediated."""
    rows = np.flatnonzero(batch.remediate > 0)
    if not len(rows):
        return mastery
    g, grade = ctx.skill_grade[None, :], batch.grade[rows, None]
    lowest = np.fmax(batch.min_grade[rows, None], grade - CHECKED_GRADES)
    with np.errstate(invalid="ignore"):  # NaN grades compare False: never in doubt
        doubt = (g < grade) & (g >= lowest) & (batch.n_responses[rows] <= 0)
    if givable is not None:
        doubt &= skills_of(ctx, givable[rows])
    out = mastery.copy()
    out[rows] = np.where(doubt, 0.0, mastery[rows])
    return out


def above_grade_waits_for_answers(
    batch: StudentBatch,
    ctx: CatalogArrays,
    config: PolicyConfig,
    mastery: np.ndarray,
    shown: np.ndarray,
    missing: np.ndarray,
    level: bool = False,
) -> np.ndarray:
    """`missing` with each skill above the student's grade counting, among its unmet
    prerequisites, those not shown by the student's answers (`answered_or_sure`).

    A placement alone never moves a student past their grade: students advance when they show
    mastery. A third grader new to the district, placed from their grade, has the grade's first
    skills at 0.7, above the prerequisite threshold, while the grade's later skills sit lower,
    so a fourth-grade skill built on a first one looked the most room to learn and was served
    before any third-grade work (a district's trial). Now that skill waits until what it builds
    on is answered. An estimate without answers counts as a placement, wherever it came from:
    the grade table, a diagnostic, or a vendor's own estimate in a `StudentView` given without
    `n_responses` (give them where the app's estimate rests on answers); with `level` (the
    features read the curriculum level, `read_level`), a reading that the student's answers
    on other skills raised above it counts as answers. Skills of the student's grade and below
    keep reading their placement; a student or skill without a grade is not affected."""
    above = above_grade(batch, ctx)
    if not above.any():
        return missing
    strict = terms.missing_prerequisites(
        mastery,
        ctx.prerequisite_t,
        config.prerequisite_threshold,
        shown & answered_or_sure(batch, config, mastery, level),
    )
    return np.where(above, strict, missing)


def above_grade(batch: StudentBatch, ctx: CatalogArrays) -> np.ndarray:
    """(n, S) True where a skill's grade is above the student's (a NaN grade: never)."""
    with np.errstate(invalid="ignore"):
        return ctx.skill_grade[None, :] > batch.grade[:, None]


def answered_or_sure(
    batch: StudentBatch, config: PolicyConfig, mastery: np.ndarray, level: bool = False
) -> np.ndarray:
    """(n, S) what work above the student's grade may build on: a skill the student answered,
    one whose estimate is at least `PolicyConfig.assumed_known` (e.g. last year's records),
    and, with `level`, one never answered that the student's answers on other skills place
    above its placement (`StudentBatch.level_known` over `StudentBatch.mastery`, where the
    district's knowledge follows the curriculum order): the answers raised it, so it is their
    evidence. A reading at or under the placement (one wrong first answer leaves a grade's
    first skill at 0.68 against the grade's 0.7) says no more than the placement does."""
    sure = (batch.n_responses > 0) | (terms.nan_to_zero(mastery) >= config.assumed_known)
    if level and batch.level_known is not None:
        with np.errstate(invalid="ignore"):  # NaN: not read from the level
            raised = batch.level_known > terms.nan_to_zero(batch.mastery)
        sure |= (batch.n_responses <= 0) & raised
    return sure


@dataclass(frozen=True)
class CheckCandidates:
    """What the prerequisite checks read of the students failing a skill, whatever they may
    be given (`check_candidates`): read once, then for the activities they may be given
    (`prerequisites_in_doubt`) and for those their grade band keeps out (`checks_kept_out`)."""

    rows: np.ndarray  # (m,) the students failing a skill (positions in the batch)
    doubt: np.ndarray  # (m, S) never answered, not vouched for, built on by a failing skill
    #: (m, A) activities that cannot be a check: they also practise a skill waiting on one, or
    #: one blocked today
    waits: np.ndarray

    def servable(
        self, ctx: CatalogArrays, givable: np.ndarray, at: np.ndarray | slice = slice(None)
    ) -> np.ndarray:
        """(len(at), S) the candidates of the students `rows[at]` that one of their activities
        `givable` ((len(at), A)) can check."""
        return self.doubt[at] & skills_of(ctx, givable & ~self.waits[at])


def check_candidates(
    batch: StudentBatch,
    ctx: CatalogArrays,
    config: PolicyConfig,
    mastery: np.ndarray,
    shown: np.ndarray,
) -> CheckCandidates | None:
    """The prerequisites `prerequisites_in_doubt` may check, before what the students may be
    given decides (`CheckCandidates`): only the failing students' rows are read (sparse
    products: no (S, S) dense work per row). None when no student is failing a skill."""
    failing = terms.is_failing(
        mastery, batch.n_responses, batch.streak, config.check_prerequisites_after,
        config.mastery_threshold,
    )  # fmt: skip
    rows = np.flatnonzero(failing.any(axis=1))
    if not len(rows):
        return None
    n_resp = batch.n_responses[rows]
    answered = n_resp > 0
    known = terms.is_mastered(
        mastery[rows], n_resp, config.mastery_threshold, config.min_responses_mastered
    ) & shown[rows] & answered  # fmt: skip
    vouched = np.asarray(known.astype(np.float32) @ ctx.prerequisite) > 0
    below = np.asarray(failing[rows].astype(np.float32) @ ctx.prerequisite) > 0
    doubt = below & ~answered & ~vouched
    # an activity that also practises a skill built on a doubted prerequisite (it waits for the
    # check itself), or another skill built on one not met (blocked today), cannot be the
    # check; a doubted skill's own unmet prerequisite is no reason: the check walks down to it
    unmet = ~terms.prerequisite_met(mastery[rows], config.prerequisite_threshold, shown[rows])
    waits = np.asarray(ctx.prerequisite @ doubt.T.astype(np.float32)).T > 0
    blocked = np.asarray(ctx.prerequisite @ unmet.T.astype(np.float32)).T > 0
    waits |= blocked & ~doubt
    acts_wait = np.asarray(ctx.activity_skill_bin @ waits.T.astype(np.float32)).T > 0
    return CheckCandidates(rows, doubt, acts_wait)


def prerequisites_in_doubt(
    ctx: CatalogArrays, candidates: CheckCandidates | None, givable: np.ndarray
) -> np.ndarray | None:
    """(n, S) the direct prerequisites to check before a skill the student is failing
    (`terms.is_failing`: answered `PolicyConfig.check_prerequisites_after` times or more, the
    last answer wrong, not estimated mastered; `check_candidates`); None when there are none.

    A placement (a grade, records, a diagnostic) is a guess about skills the student never
    answered. When a skill built on them is being failed, the likeliest cause is one of them,
    so each is counted as not known until answered (like the teacher's "remediate",
    `unverified_below_grade`): it is served, and what builds on it waits. Not doubted: a
    prerequisite the student answered (the answers speak for it, as for any practised
    skill), or that another skill built on it, mastered by answers, vouches for, or that the
    student cannot be given (`givable`, (n, A): the activities allowed, the last session's
    included, less those that practise a skill waiting on the check itself or one whose
    prerequisites are not met: those are blocked). A right answer
    gives the failed skill back (where learning is gradual, once the prerequisite has the
    answers any practised skill needs, `terms.gradual_hold`); a wrong one makes the
    prerequisite the next thing to learn, and its own never-answered prerequisites are
    checked if it is failed in turn: the check walks down the graph one level at a time, as
    far as the answers say."""
    if candidates is None:
        return None
    doubt = candidates.servable(ctx, givable[candidates.rows])
    if not doubt.any():
        return None
    out = np.zeros((len(givable), doubt.shape[1]), bool)
    out[candidates.rows] = doubt
    return out


#: rows -> (len(rows), A): the activities those students (positions in the batch) could be
#: given were their teacher's grade band lifted (`recommender.band_lifted`)
BandLifted = Callable[[np.ndarray], np.ndarray]


def checks_kept_out(
    batch: StudentBatch,
    ctx: CatalogArrays,
    candidates: CheckCandidates | None,
    lifted: BandLifted,
    in_doubt: np.ndarray | None,
) -> np.ndarray | None:
    """(n, S) the prerequisites `prerequisites_in_doubt` would check were the teacher's grade
    band lifted (`lifted`: what a student could be given then), but that the band keeps out
    (`in_doubt`: those it checks): what builds on them is served without the check. A trial's
    teacher chose "accelerate" (grades 4 and 5) for a fourth grader failing a grade 4 skill:
    its grade 3 prerequisite was not checked, and the skill was served at a 10% chance of a
    right answer with no word why. Only the students with a band and a failing skill are
    read, from the checks' own `candidates` (one teacher's band had every failing student of
    the night's batch read again: 8% of its selection). None when there are none."""
    if candidates is None:
        return None
    at = np.flatnonzero(grade_banded(batch)[candidates.rows])
    if not len(at):
        return None
    rows = candidates.rows[at]
    kept = candidates.servable(ctx, lifted(rows), at)
    if in_doubt is not None:
        kept &= ~in_doubt[rows]
    if not kept.any():
        return None
    out = np.zeros((len(batch), kept.shape[1]), bool)
    out[rows] = kept
    return out


def check_batch(batch: object, ctx: CatalogArrays, config: PolicyConfig) -> None:
    """A `StudentBatch` of the policy's catalog and settings (`check_catalog`,
    `check_settings`), or an error saying how to make one."""
    expect_type(batch, StudentBatch, "batch", "batch_from_model(...) or StudentBatch.build(...)")
    check_catalog(batch, ctx)
    check_settings(batch, config)


def compute_features(
    batch: StudentBatch,
    ctx: CatalogArrays,
    config: PolicyConfig,
    now: float | Timestamp | None,
    givable: np.ndarray | None = None,
    *,
    level: bool = False,
    lifted: BandLifted | None = None,
) -> Features:
    """Every policy's features at `now` (float days, a Timestamp, or None: the current time).
    The adaptive policy's own reading, where a baseline (and a report) reads the tracer as it
    is: with `level`, the skills a student never answered are read from where they stand in
    the curriculum where the batch carries it (`read_level`); with `givable` ((n, A): the
    activities the student may be given, the last session's included), the prerequisites of a
    failed skill are checked (`prerequisites_in_doubt`, `PolicyConfig.check_prerequisites_after`);
    with `lifted` too (what some students could be given were their grade band lifted), the
    checks the band keeps out are recorded (`Features.unchecked`, `checks_kept_out`)."""
    check_batch(batch, ctx, config)
    now = to_days(now)
    p_known = terms.nan_to_zero(batch.mastery)
    p_skill = batch.p_correct
    if level:
        p_known, p_skill = read_level(batch, p_known, p_skill)
    # what the policy reads as known; P(correct) stays the tracer's (a checked skill is as
    # likely answered right as before: only what builds on it waits for the answer)
    mastery = unverified_below_grade(batch, ctx, p_known, givable)
    derived = p_known * (1.0 - DEFAULT_SLIP) + (1.0 - p_known) * DEFAULT_GUESS
    p_skill = np.where(np.isnan(p_skill), derived, p_skill)
    hold = terms.gradual_hold(
        batch.learning_z, config.gradual_learning_z, config.gradual_min_responses
    )
    shown = terms.shown_by_answers(batch.n_responses, batch.streak, config.mastery_streak, hold)
    in_doubt = unchecked = None
    if givable is not None and config.check_prerequisites_after > 0:
        candidates = check_candidates(batch, ctx, config, mastery, shown)
        in_doubt = prerequisites_in_doubt(ctx, candidates, givable)
        if lifted is not None:
            unchecked = checks_kept_out(batch, ctx, candidates, lifted, in_doubt)
        if in_doubt is not None:
            mastery = np.where(in_doubt, 0.0, mastery)
    estimated = terms.is_mastered(
        mastery, batch.n_responses, config.mastery_threshold, config.min_responses_mastered
    )
    mastered = estimated & shown
    missing = terms.missing_prerequisites(
        mastery, ctx.prerequisite_t, config.prerequisite_threshold, shown
    )
    missing = above_grade_waits_for_answers(
        batch, ctx, config, mastery, shown, missing, level=level
    )
    elapsed = now - batch.last_practiced
    stability = terms.stability_days(
        batch.n_responses, config.initial_stability_days, config.stability_exponent
    )
    recall = terms.retrievability(elapsed, stability)
    stuck = terms.is_stuck(
        mastery,
        batch.n_responses,
        batch.progress,
        estimated,  # one slip after a run of right answers waits for answers: not stuck
        config.stuck_min_responses,
        config.stuck_max_progress,
    )
    logit_act = to_activities(ctx, terms.logit(p_skill).astype(np.float32))
    # the student's ability shifts every activity alike: a stronger student is served the
    # harder version of a skill, not the easiest one
    logit_act += batch.ability.astype(np.float32)[:, None]
    p_act = terms.activity_p_correct(logit_act, ctx.difficulty.astype(np.float32)[None, :])
    blocked = to_activities(ctx, (missing > 0).astype(np.float32)) > 0
    support = terms.prerequisite_support(mastery, ctx.prerequisite_codes)
    assumed = terms.assumed_known(mastery, batch.n_responses, config.assumed_known)
    return Features(
        mastery, p_skill, mastered, missing, shown, support, elapsed, recall, stuck, p_act,
        blocked, assumed, in_doubt=in_doubt, unchecked=unchecked,
    )  # fmt: skip
