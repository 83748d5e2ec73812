"""The adaptive policy: weighted scoring terms, hard constraints, reasons.

score(student, activity) = sum over terms of weight[term] * term(student, activity), with the
terms of `adaptive.policy.terms` (readiness, difficulty at the edge, interest, aspiration, review
of fading skills, learning progress, exploration, stuck). Eligible = prerequisites of the
activity's skills mastered (or a fading mastered skill to review) and every hard constraint of
`adaptive.policy.constraints` satisfied; selection is the constrained greedy top-k with a variety
penalty. The reasons of a recommendation are the per-term products; its sentence names the
strongest one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog
from adaptive.errors import ArgumentError, closest_name, counted, share_words
from adaptive.placement.prior import NO_GRADE_SOURCE, NO_PROFILE_SOURCE
from adaptive.policy import explain as text
from adaptive.policy import terms
from adaptive.policy.base import (
    TERM_DETAILS,
    CatalogArrays,
    Explanation,
    Policy,
    Reason,
    Selection,
    StudentBatch,
    StudentView,
    catalog_arrays,
    is_reason,
    to_days,
)
from adaptive.policy.config import TERMS, PolicyConfig
from adaptive.policy.constraints import (
    MASK_CONSTRAINTS,
    constraint_masks,
    hard_mask,
    has_grade_band,
    select_top_k,
)
from adaptive.policy.exploration import explore_top_k, is_exploring
from adaptive.policy.features import (
    BandLifted,
    Features,
    above_grade,
    answered_or_sure,
    check_batch,
    compute_features,
    gather_activities,
    to_activities,
)
from adaptive.policy.shortfall import NO_TIME, Shortfall, shortfall_of

SELECTION_TERMS: tuple[str, ...] = (*TERMS, "variety")
#: A sentence names the student's goal beside its strongest reason when the goal weighed at
#: least this share of that reason's weight.
GOAL_TOO_SHARE = 0.5


class Scored(NamedTuple):
    """What selection ranks, worked out once per batch (`AdaptivePolicy._scored`).

    feats: the batch's `features`; skill_vals (n, S) and act_vals (n, A): the term values
    before weights; score (n, A); eligible (n, A): what selection may pick (`ready` less the
    spare activities of a one-answer skill); ready (n, A): the policy's `eligibility`, which
    `shortfall_of` counts the blocked by."""

    feats: Features
    skill_vals: dict[str, np.ndarray]
    act_vals: dict[str, np.ndarray]
    score: np.ndarray
    eligible: np.ndarray
    ready: np.ndarray


class AdaptivePolicy(Policy):
    """Our policy (named `adaptive` in evaluations)."""

    name = "adaptive"

    def __init__(self, catalog: Catalog, config: PolicyConfig | None = None):
        super().__init__(catalog, config)
        self._ctx = catalog_arrays(catalog)

    # -- scoring ------------------------------------------------------------------------------
    def skill_term_values(self, batch: StudentBatch, feats: Features) -> dict[str, np.ndarray]:
        """(n, S) value of the terms that depend on the skill only (before weights)."""
        cfg, ctx = self.config, self._ctx
        open_ = ~feats.known
        unconfirmed = ~feats.shown  # practised, waiting for right answers
        return {
            "readiness": terms.readiness(
                feats.missing == 0, feats.known, feats.mastery, feats.support, unconfirmed
            ),
            "aspiration": terms.goal_relevance(batch.goals, ctx.closure, feats.mastery),
            "review": terms.review_need(feats.recall, feats.mastered, cfg.retention_threshold)
            * terms.review_interest_scale(
                batch.interests, cfg.weights["review"], cfg.weights["interest"]
            ),
            "progress": terms.learning_progress(batch.progress) * open_,
            "exploration": terms.exploration_bonus(batch.n_responses) * open_,
            "stuck": feats.stuck.astype(np.float64),
        }

    def activity_term_values(self, batch: StudentBatch, feats: Features) -> dict[str, np.ndarray]:
        """(n, A) value of the terms that depend on the activity itself (before weights)."""
        cfg = self.config
        return {
            "difficulty": terms.best_version_of_skill(
                terms.edge_of_difficulty(feats.p_act, cfg.target_p_correct, cfg.difficulty_width),
                self._ctx.primary_skill,
            ),
            "interest": terms.interest_match(batch.interests, self._ctx.topic_mean_dense),
        }

    def term_values(self, batch: StudentBatch, feats: Features) -> dict[str, np.ndarray]:
        """(n, A) value of every scoring term (before weights), in `TERMS` order."""
        values = {
            t: to_activities(self._ctx, v) for t, v in self.skill_term_values(batch, feats).items()
        }
        values.update(self.activity_term_values(batch, feats))
        return {t: values[t] for t in TERMS}

    def eligibility(self, batch: StudentBatch, feats: Features) -> np.ndarray:
        """(n, A) ready (prerequisites mastered, or a mastered skill fading), not assumed known
        (`assumed_known_activities`) and allowed; an activity of kind "review" only on skills
        the student has met (`unmet_reviews`)."""
        return self._eligible(hard_mask(batch, self._ctx), feats)

    def _eligible(self, allowed: np.ndarray, feats: Features) -> np.ndarray:
        review_ok = self.reviewable(feats)
        return (
            allowed
            & (~feats.blocked | review_ok)
            & ~self.unmet_reviews(feats)
            & ~self.assumed_known_activities(feats)
        )

    def reviewable(self, feats: Features) -> np.ndarray:
        """(n, A) an activity of a mastered skill whose recall is fading."""
        fading = feats.mastered & (feats.recall < self.config.retention_threshold)
        return to_activities(self._ctx, fading.astype(np.float32)) > 0

    def assumed_known_activities(self, feats: Features) -> np.ndarray:
        """(n, A) every skill of the activity never answered and assumed known
        (`PolicyConfig.assumed_known`): nothing to learn there, and no fading to review. Not
        served, not even to fill spare minutes, where its only terms would be the version's
        difficulty and its topic. A skill mastered by answers stays eligible: more practice on
        it, on a day with time left, consolidates what the estimate may overrate."""
        return to_activities(self._ctx, feats.assumed.astype(np.float32)) >= 1.0  # all skills

    def unmet_reviews(self, feats: Features) -> np.ndarray:
        """(n, A) True on a review-kind activity of a skill the student has not met: never
        practised and not placed as mastered (P below `mastery_threshold`). A review is a
        return to a skill; a new student's first contact with one is its practice (a
        coordinator found a review of a skill the student had never seen served as first)."""
        ctx = self._ctx
        if not ctx.review.any():
            return np.zeros(feats.p_act.shape, bool)
        unmet = np.isnan(feats.elapsed) & (feats.mastery < self.config.mastery_threshold)
        return ctx.review[None, :] & (to_activities(ctx, unmet.astype(np.float32)) > 0)

    def features(self, batch: StudentBatch, now: float) -> Features:
        """The batch's `Features` as this policy reads them: `compute_features`, then, for a
        student whom prerequisites leave nothing at all, the closest skills opened
        (`open_closest_to_ready`). Selection, `explain` and `shortfall` all read these."""
        return self._features_eligible(batch, now)[0]

    def _features_eligible(self, batch: StudentBatch, now: float) -> tuple[Features, np.ndarray]:
        """`features` and their (n, A) eligibility, the batch's hard mask computed once (the
        vendor's per-request path)."""
        check_batch(batch, self._ctx, self.config)  # before the mask reads it
        allowed = hard_mask(batch, self._ctx)
        # a check may wait a session: the last session's activities count as givable
        givable = hard_mask(batch, self._ctx, recent=False) if batch.recent.nnz else allowed
        lifted = band_lifted(batch, self._ctx)
        feats = compute_features(
            batch, self._ctx, self.config, now, givable, level=True, lifted=lifted
        )
        eligible = self._eligible(allowed, feats)
        stranded = allowed.any(axis=1) & ~eligible.any(axis=1)
        if stranded.any() and givable is not allowed and feats.in_doubt is not None:
            # a check paused for the session must not leave the student nothing: for them,
            # only what may be given today is checked (the failed skill opens again)
            givable = np.where(stranded[:, None], allowed, givable)
            feats = compute_features(
                batch, self._ctx, self.config, now, givable, level=True,
                lifted=band_lifted(batch, self._ctx, today=stranded),
            )  # fmt: skip
            eligible = self._eligible(allowed, feats)
            stranded = allowed.any(axis=1) & ~eligible.any(axis=1)
        if stranded.any():
            feats = open_closest_to_ready(
                feats, self._ctx, allowed, np.flatnonzero(stranded),
                self.config.prerequisite_threshold,
            )  # fmt: skip
            eligible = self._eligible(allowed, feats)
        return feats, eligible

    def _scored(self, batch: StudentBatch, now: float) -> Scored:
        """Features, term values, the (n, A) score and the eligibility masks (`Scored`)."""
        cfg, ctx, w = self.config, self._ctx, self.config.weights
        feats, ready = self._features_eligible(batch, now)
        skill_vals = self.skill_term_values(batch, feats)
        act_vals = self.activity_term_values(batch, feats)
        skill_score = sum(w[t] * v for t, v in skill_vals.items())
        # the skill terms are linear in the activity's skills: sum first, project once
        score = to_activities(ctx, np.asarray(skill_score, dtype=np.float32))
        for t, v in act_vals.items():
            score += np.float32(w[t]) * v
        if cfg.exploration_noise > 0:
            score += terms.thompson_noise(
                score.shape, cfg.exploration_noise, cfg.exploration_seed, now
            )
        # a check and a review are one answer each: one activity of such a skill a day
        eligible = ready & ~self._spare_activities(batch, score, ready, feats)
        return Scored(feats, skill_vals, act_vals, score, eligible, ready)

    def one_answer_skills(self, feats: Features) -> np.ndarray:
        """(n, S) the skills one activity serves today: checked first (`Features.in_doubt`), or
        due for review (mastered, recall below `retention_threshold`: one retrieval restores
        it). A skill being learned may fill several places (`max_per_skill`)."""
        due = feats.mastered & (feats.recall < self.config.retention_threshold)
        return due if feats.in_doubt is None else due | feats.in_doubt

    def _spare_activities(
        self, batch: StudentBatch, score: np.ndarray, eligible: np.ndarray, feats: Features
    ) -> np.ndarray:
        """(n, A) the activities of a one-answer skill (`one_answer_skills`) other than its best
        one that fits the day's minutes: a day's list holds one of them."""
        ctx = self._ctx
        one = self.one_answer_skills(feats)
        rows = np.flatnonzero(one.any(axis=1))
        spare = np.zeros(score.shape, bool)
        if not len(rows):
            return spare
        single = one[rows][:, ctx.primary_skill]  # only the rows that have such a skill
        fits = ctx.minutes[None, :] <= batch.daily_minutes[rows, None]
        best = terms.first_best_of_each_skill(score[rows], eligible[rows] & fits, ctx.primary_skill)
        spare[rows] = single & ~best
        return spare

    def score_matrix(self, batch: StudentBatch, now: float) -> tuple[np.ndarray, np.ndarray]:
        """(n, A) score of every activity and (n, A) eligibility (what selection ranks)."""
        scored = self._scored(batch, now)
        return scored.score, scored.eligible

    def select_and_why(
        self, batch: StudentBatch, k: int, now: float
    ) -> tuple[Selection, Callable[[], Shortfall | None]]:
        """`select`, and a call that says why row 0 is short (`adaptive.policy.shortfall`;
        None when full) from the same scoring: the features and eligibility selection read
        are those counted, and only if asked."""
        scored = self._scored(batch, now)
        sel = self._selection(batch, k, now, scored)
        return sel, lambda: shortfall_of(self, batch, sel, k, scored.feats, scored.ready)

    def select(self, batch: StudentBatch, k: int, now: float) -> Selection:
        return self._selection(batch, k, now, self._scored(batch, now))

    def _selection(self, batch: StudentBatch, k: int, now: float, scored: Scored) -> Selection:
        """The constrained top-k of `scored` (`select`) with each pick's term contributions."""
        cfg, ctx, w = self.config, self._ctx, self.config.weights
        feats, skill_vals, act_vals, score, eligible, _ = scored
        propensity = None
        if is_exploring(cfg):
            picks, picked, assigned, penalty, propensity = explore_top_k(
                score, eligible, batch, ctx, k, cfg, now, cfg.variety_penalty
            )
        else:
            picks, picked, assigned, penalty = select_top_k(
                score, eligible, batch, ctx, k, cfg.max_per_skill, cfg.variety_penalty
            )
        rows = np.arange(len(batch))[:, None]
        act = np.where(picks >= 0, picks, 0)
        names = list(skill_vals)
        stacked = np.stack([skill_vals[t] for t in names], axis=-1)  # (n, S, terms), one gather
        gathered = gather_activities(ctx, stacked, act)
        parts = {t: w[t] * gathered[..., i] for i, t in enumerate(names)}
        parts.update({t: w[t] * v[rows, act] for t, v in act_vals.items()})
        contrib = np.stack([parts[t] for t in TERMS] + [-penalty], axis=-1).astype(np.float64)
        contrib[picks < 0] = 0.0
        skill = ctx.primary_skill[act]
        return Selection(
            activity=picks,
            score=np.where(picks >= 0, picked, 0.0),
            p_correct=np.where(picks >= 0, feats.p_act[rows, act], np.nan),
            assigned=assigned,
            contributions=contrib,
            terms=SELECTION_TERMS,
            extra={
                "elapsed": feats.elapsed[rows, skill],
                "recall": feats.recall[rows, skill],
                "stuck": feats.stuck[rows, skill],
                # the estimate the policy read (`features.read_level`), which sentences quote
                "mastery": feats.mastery[rows, skill],
                "closest": (
                    feats.closest[rows, skill]
                    if feats.closest is not None
                    else np.zeros(skill.shape, bool)
                ),  # fmt: skip
                "in_doubt": (
                    feats.in_doubt[rows, skill]
                    if feats.in_doubt is not None
                    else np.zeros(skill.shape, bool)
                ),  # fmt: skip
                "unchecked": unchecked_prerequisite(ctx, feats.unchecked, rows, skill),
            },
            propensity=propensity,
        )

    # -- words --------------------------------------------------------------------------------
    def sentences(self, batch: StudentBatch, sel: Selection, now: float) -> np.ndarray:
        ctx = self._ctx
        n, k = sel.activity.shape
        out = np.full((n, k), "", dtype=object)
        contrib = sel.contributions[..., : len(TERMS)]
        term_code = np.argmax(np.where(contrib > 0, contrib, 0.0), axis=-1)
        # why this skill now (review) beats how hard it is; a teacher's choice beats both
        term_code = np.where(
            contrib[..., TERMS.index("review")] > 0, TERMS.index("review"), term_code
        )
        names = (*TERMS, "assigned")
        term_code = np.where(sel.assigned, len(TERMS), term_code)
        goal_too = self._goal_too(contrib, term_code)
        placed = placed_students(batch)
        answered_any = np.asarray(batch.n_responses).sum(axis=1) > 0
        lowest = ctx.lowest_grade
        hold = terms.gradual_hold(
            batch.learning_z, self.config.gradual_learning_z, self.config.gradual_min_responses
        )
        rows, slots = np.nonzero(sel.activity >= 0)
        acts = sel.activity[rows, slots]
        skills = ctx.primary_skill[acts]
        values = zip(
            rows.tolist(), acts.tolist(), skills.tolist(), term_code[rows, slots].tolist(),
            sel.p_correct[rows, slots].tolist(), sel.extra["elapsed"][rows, slots].tolist(),
            sel.extra["recall"][rows, slots].tolist(),
            sel.extra["closest"][rows, slots].tolist(), goal_too[rows, slots].tolist(),
            sel.extra["in_doubt"][rows, slots].tolist(), sel.extra["mastery"][rows, slots].tolist(),
            sel.extra["unchecked"][rows, slots].tolist(),
            strict=True,
        )  # fmt: skip
        texts = []
        for i, a, s, t, p, el, rc, near, also, doubt, read, kept in values:
            # the estimate the policy read (`read` may be the student's level's reading); a
            # skill with no estimate at all (placement=None) reads 0 there: said as not answered yet
            from_level = text.read_from_level(batch, i, s)
            has_estimate = from_level or not np.isnan(batch.mastery[i, s])
            # served though a prerequisite is not met: said whatever term weighed most
            term = "readiness" if near and names[t] != "assigned" else names[t]
            if term == "readiness" and near:
                prereq, shown, from_answers, estimated = (
                    text.weakest_prerequisite(ctx, batch, i, s), False, False, False
                )  # fmt: skip
            elif term == "readiness":
                prereq, shown, from_answers, estimated = text.readiness_prerequisite(
                    ctx, batch, i, s
                )
            else:
                prereq, shown, from_answers, estimated = "", True, False, False
            texts.append(
                text.sentence(
                    term, ctx.skill_names[s], ctx.activity_titles[a], p_correct=p, elapsed=el,
                    recall=rc, prerequisite=prereq, prerequisite_shown=shown,
                    prerequisite_from_answers=from_answers,
                    prerequisite_estimated=estimated, placed=bool(placed[i]),
                    answers_since=bool(answered_any[i]),
                    checking=bool(batch.remediate[i]) and ctx.skill_grade[s] < batch.grade[i],
                    # the teacher chose "accelerate" (a band alone is no teacher asking)
                    # the mode's band reaches above the grade: work there is the teacher's
                    accelerated=bool(batch.accelerate[i])
                    and ctx.skill_grade[s] > batch.grade[i]
                    and batch.max_grade[i] > batch.grade[i],
                    unchecked=str(ctx.skill_names[kept]) if kept >= 0 else "",
                    band=(float(batch.min_grade[i]), float(batch.max_grade[i])),
                    band_asked=bool(batch.accelerate[i] or batch.remediate[i]),
                    checked_for=(
                        text.failing_dependent(ctx, batch, i, s, self.config) if doubt else ""
                    ),
                    answered=int(batch.n_responses[i, s]), closest=near,
                    mastery=read if has_estimate else float("nan"),
                    mastery_from_level=from_level,
                    mastery_estimated=text.estimated_by_app(batch, i, s),
                    skill_grade=float(ctx.skill_grade[s]),
                    still_needed=(
                        text.still_needed(
                            float(batch.mastery[i, s]), int(batch.n_responses[i, s]),
                            int(batch.streak[i, s]), self.config, int(hold[i, 0]),
                        )  # said only by a readiness sentence of a skill answered
                        if term == "readiness" and not near and batch.n_responses[i, s] > 0
                        else ""
                    ),
                    topic=text.top_interest_topic(batch, ctx, i, a) if term == "interest" else "",
                    goal=(
                        text.goal_name(ctx, batch.goals[i], s)
                        if term == "aspiration" or also
                        else ""
                    ),
                    goal_too=also and term != "aspiration",
                    grade=float(batch.grade[i]), work_grade=float(ctx.grade[a]),
                    lowest_grade=lowest,
                )
            )  # fmt: skip
        out[rows, slots] = np.asarray(texts, dtype=object) if texts else out[rows, slots]
        return out

    @staticmethod
    def _goal_too(contrib: np.ndarray, term_code: np.ndarray) -> np.ndarray:
        """(n, k) the student's goals weighed at least `GOAL_TOO_SHARE` of the strongest reason
        without being it: the sentence names the goal too, so a policy that weighs goals
        heavily says so where it matters."""
        goal = contrib[..., TERMS.index("aspiration")]
        top = contrib.max(axis=-1)
        return (
            (goal > 0) & (goal >= GOAL_TOO_SHARE * top) & (term_code != TERMS.index("aspiration"))
        )

    def explain(
        self,
        student: StudentView | StudentBatch,
        activity_id: str,
        now: float | pd.Timestamp | None = None,
        k: int = 10,
    ) -> Explanation:
        """Why `activity_id` is recommended, or which constraint or prerequisite keeps it out:
        for a `StudentView`, or the one student of a batch (`batch_from_model(...,
        student_ids=[id])`, as a vendor whose model traces the student builds it)."""
        if isinstance(student, StudentBatch):
            return self.explain_batch_row(student, activity_id, to_days(now), k)
        batch = StudentBatch.from_views(self.catalog, [student], self.config)
        return self.explain_batch_row(batch, activity_id, to_days(now), k)

    def explain_batch_row(
        self, batch: StudentBatch, activity_id: str, now_d: float, k: int = 10
    ) -> Explanation:
        """`explain` for the single student of a one-row batch (e.g. from `batch_from_model`);
        a batch of another size is refused (it explained its first student without a word)."""
        if len(batch) != 1:
            raise ArgumentError(
                f"explain_batch_row: a batch of {len(batch)} students; expected one: "
                "batch.take([i]) for the student i, or batch_from_model(..., student_ids=[id])"
            )
        cat, ctx, cfg = self.catalog, self._ctx, self.config
        try:
            a = int(cat.activity_index.get_loc(activity_id))
        except KeyError:
            return Explanation(activity_id, "unknown", not_an_activity(cat, activity_id))
        sel = self.select(batch, k, now_d)
        recs = self.recommendations_of(batch, sel, now_d)[0]
        for rec in recs:
            if rec.activity_id == activity_id:
                status = "assigned" if rec.assigned_by_teacher else "recommended"
                return Explanation(activity_id, status, rec.sentence, rec.reasons, rec.rank)
        title = str(ctx.activity_titles[a])
        masks = constraint_masks(batch, ctx)
        words = {
            "excluded": "the teacher excluded it",
            "completed": "it is already completed",
            "recent": "it was just done in the last session",
            "out_of_scope": "it is outside the curriculum scope set for this student",
            "out_of_grade_band": "it is outside the student's grade band",
        }
        for name in MASK_CONSTRAINTS:
            if masks[name][0, a]:
                return Explanation(
                    activity_id,
                    name,
                    f"{title} is skipped: {words[name]}.",
                    (Reason(name, 0.0, words[name]),),
                )
        feats = self.features(batch, now_d)
        if self.unmet_reviews(feats)[0, a]:
            s = int(ctx.primary_skill[a])
            estimate, bar = (
                share_words(feats.mastery[0, s]),
                share_words(self.config.mastery_threshold),
            )
            if estimate == bar:  # 0.649 against 0.65 read "(65%) is below mastery (65%)"
                estimate = f"just under {bar}"
            why = (
                f"{ctx.skill_names[s]} has not been practised yet and its estimate ({estimate}) "
                f"is below mastery ({bar}): its practice comes first"
            )
            return Explanation(
                activity_id, "unmet_review", f"{title} is a review: {why}.",
                (Reason("unmet_review", 0.0, why),),
            )  # fmt: skip
        if self.assumed_known_activities(feats)[0, a]:
            return self._explain_known(batch, feats, activity_id, title, a)
        if not self.eligibility(batch, feats)[0, a]:
            return self._explain_blocked(batch, feats, activity_id, title, a)
        s = int(ctx.primary_skill[a])
        chosen = sel.activity[0][sel.activity[0] >= 0]
        # a one-answer skill with an activity listed: that one is its place, `a` a spare
        if self.one_answer_skills(feats)[0, s] and (ctx.primary_skill[chosen] == s).any():
            checked = feats.in_doubt is not None and feats.in_doubt[0, s]
            status, why = (
                ("one_check", f"{ctx.skill_names[s]} is being checked, and one activity is the check")
                if checked
                else ("one_review", f"{ctx.skill_names[s]} is due for review, and one activity is the review")
            )  # fmt: skip
            return Explanation(
                activity_id, status, f"{title} waits: {why}.", (Reason(status, 0.0, why),)
            )
        if feats.stuck[0, s]:
            return Explanation(
                activity_id,
                "stuck",
                f"{title} is held back: the student is stuck on {ctx.skill_names[s]} "
                "(many attempts, no progress); the teacher should step in.",
                (Reason("stuck", cfg.weights["stuck"], "wheel-spinning"),),
            )
        used = float(ctx.minutes[chosen].sum())
        parts = self._term_parts(batch, feats, a)
        reasons = tuple(
            Reason(t, round(c, 6), TERM_DETAILS.get(t, t)) for t, c in parts.items() if is_reason(c)
        )
        total = sum(parts.values())
        if batch.daily_minutes[0] <= 0 and not used:
            return Explanation(
                activity_id,
                "over_budget",
                f"{title}: today's time budget is 0 minutes ({NO_TIME}).",
                reasons,
            )
        if used + ctx.minutes[a] > batch.daily_minutes[0] + 1e-9:
            return Explanation(
                activity_id,
                "over_budget",
                f"{title} did not fit today's time budget ({used:.0f} of "
                f"{batch.daily_minutes[0]:.0f} minutes already planned); "
                + self._score_words(sel, feats, parts, s),
                reasons,
            )
        if int((ctx.primary_skill[chosen] == s).sum()) >= cfg.max_per_skill:
            return Explanation(
                activity_id,
                "skill_cap",
                f"{title} skipped: {cfg.max_per_skill} activities on "
                f"{ctx.skill_names[s]} already today; " + self._score_words(sel, feats, parts, s),
                reasons,
            )
        return Explanation(
            activity_id,
            "eligible",
            f"{title} is eligible (score {total:.2f}) but {len(recs)} activities scored higher.",
            reasons,
        )

    def _explain_blocked(
        self, batch: StudentBatch, feats: Features, activity_id: str, title: str, a: int
    ) -> Explanation:
        """Why an activity waits on its prerequisites: each one not met, below the threshold,
        waiting for right answers, or never answered and checked first because the student is
        failing a skill built on it (`features.prerequisites_in_doubt`)."""
        cat, ctx, cfg = self.catalog, self._ctx, self.config
        reasons, to_master, to_check, to_answer = [], [], [], []
        above = above_grade(batch, ctx)[0]
        sure = answered_or_sure(batch, cfg, feats.mastery, level=True)[0]
        for s in cat.activities[a].skills:
            for p in cat.skill(s).prerequisites:
                j = cat.skill_index.get_loc(p)
                m = float(feats.mastery[0, j])
                name = str(ctx.skill_names[j])
                named = f"prerequisite {name} ({p}) at mastery {share_words(m)}"
                if text.read_from_level(batch, 0, j):
                    named += " (from where your answers on other skills place you)"
                if feats.in_doubt is not None and feats.in_doubt[0, j]:
                    failing = text.failing_dependent(ctx, batch, 0, j, cfg)
                    why = (
                        f"prerequisite {name} ({p}), never answered, is checked first: the "
                        f"last answer on {failing} was wrong"
                    )
                    to_check.append(name)
                elif m < cfg.prerequisite_threshold:
                    why = f"{named}, needs {cfg.prerequisite_threshold:.0%}"
                    to_master.append(name)
                elif not feats.shown[0, j]:
                    why = f"{named}, but {unshown_words(batch, cfg, j)}"
                    to_master.append(name)
                elif above[cat.skill_index.get_loc(s)] and not sure[j]:
                    why = (
                        f"{named}, never answered: work above your grade waits until what it "
                        "builds on is shown by answers"
                    )
                    to_answer.append(name)
                else:
                    continue
                reasons.append(Reason("readiness", 0.0, why))
        steps = [f"master {', '.join(to_master)}"] if to_master else []
        steps += [f"take a quick check of {', '.join(to_check)}"] if to_check else []
        steps += [f"show {', '.join(to_answer)} with answers"] if to_answer else []
        return Explanation(
            activity_id, "blocked", f"{title} is blocked: first {' and '.join(steps)}.",
            tuple(reasons),
        )  # fmt: skip

    def _term_parts(self, batch: StudentBatch, feats: Features, a: int) -> dict[str, float]:
        """Each term's weighted contribution to activity `a`'s score, for the batch's one
        student (the products a recommendation's reasons report)."""
        values, w = self.term_values(batch, feats), self.config.weights
        return {t: float(w[t] * values[t][0, a]) for t in TERMS}

    @staticmethod
    def _score_words(sel: Selection, feats: Features, parts: dict[str, float], s: int) -> str:
        """'it scored 2.73, mostly for review (recall 59%), beside the list's 3.04 to 4.55.':
        an activity left out of a full list, against the scores of what was served, so "why no
        review today?" has an answer (a trial's explain said only that the budget was spent)."""
        top = max(parts, key=lambda t: parts[t])
        why = f"review (recall {share_words(feats.recall[0, s])})" if top == "review" else top
        beside = _beside_words(sel.score[0][sel.activity[0] >= 0])
        return f"it scored {sum(parts.values()):.2f}, mostly for {why}{beside}."

    def _explain_known(
        self, batch: StudentBatch, feats: Features, activity_id: str, title: str, a: int
    ) -> Explanation:
        """Why an activity of skills assumed known is not served: its skill's starting
        estimate, and where it came from: the student's answers on other skills where the
        policy read it from the curriculum order (`features.read_level`), else their placement
        (e.g. from their grade)."""
        s = int(self._ctx.primary_skill[a])
        whence = f", {batch.placement[0]}" if batch.placement[0] else ""
        if text.estimated_by_app(batch, 0, s):  # the app's own estimate: no placement's words
            whence = ""
        if text.read_from_level(batch, 0, s):  # never answered: assumed known
            whence = ", from where your answers on other skills place you in the curriculum"
        why = (
            f"{self._ctx.skill_names[s]} was never answered, and its starting estimate "
            f"({share_words(feats.mastery[0, s])}{whence}) counts it as known"
        )
        return Explanation(
            activity_id,
            "assumed_known",
            f"{title} is not served: {why}.",
            (Reason("assumed_known", 0.0, why),),
        )


def _beside_words(served: np.ndarray) -> str:
    """The scores of what was served, as ", beside the list's 2.95 to 3.04" (one score alone
    once; '' for an empty list)."""
    if not len(served):
        return ""
    low, high = f"{served.min():.2f}", f"{served.max():.2f}"
    return f", beside the list's {low}" + ("" if low == high else f" to {high}")


def placed_students(batch: StudentBatch) -> np.ndarray:
    """(n,) students whose starting estimates come from a placement: a grade in their profile,
    or a placement the batch names ("placed by diagnostic (15 questions)", "placed from
    last_year.csv"), not the model's population estimate. A diagnosed student without a grade
    was told their start came from "your records or the model's starting estimate (your
    profile has no grade)" while their placement said "placed by diagnostic"."""
    said = np.asarray(batch.placement, dtype=object)
    named = ~np.isin(said, ("", NO_GRADE_SOURCE, NO_PROFILE_SOURCE))
    return ~np.isnan(np.asarray(batch.grade, float)) | named


def unshown_words(batch: StudentBatch, config: PolicyConfig, skill: int) -> str:
    """Why the one student of `batch` has not shown `skill` yet (`Features.shown` is False): a
    recent answer was wrong, or (where learning is gradual, `terms.gradual_hold`) it was
    answered too few times, all of them right: a held skill is not said to have a wrong answer."""
    n = int(batch.n_responses[0, skill])
    hold = int(
        terms.gradual_hold(batch.learning_z[:1], config.gradual_learning_z,
                           config.gradual_min_responses)[0, 0]
    )  # fmt: skip
    if 0 < n < hold and int(batch.streak[0, skill]) >= n:
        return (
            f"it has {counted(n, 'answer')} so far, all right; learning in the district's data is "
            f"gradual, so a skill needs {hold} answers before what builds on it opens"
        )
    return (
        f"a recent answer on it was wrong: its last "
        f"{counted(config.mastery_streak, 'answer')} must be right"
    )


def unchecked_prerequisite(
    ctx: CatalogArrays, unchecked: np.ndarray | None, rows: np.ndarray, skill: np.ndarray
) -> np.ndarray:
    """(n, k) for each pick's skill (`skill`, of the students `rows`), its first direct
    prerequisite whose check the teacher's grade band keeps out (`Features.unchecked`): served
    without it; -1 where none."""
    codes = ctx.prerequisite_codes[skill]  # (n, k, P), -1 pad
    if unchecked is None or not codes.shape[-1]:
        return np.full(skill.shape, -1, np.int64)
    hit = (codes >= 0) & unchecked[rows[..., None], np.maximum(codes, 0)]
    first = np.take_along_axis(codes, np.argmax(hit, axis=-1)[..., None], axis=-1)[..., 0]
    return np.where(hit.any(axis=-1), first, -1)


def band_lifted(
    batch: StudentBatch, ctx: CatalogArrays, today: np.ndarray | None = None
) -> BandLifted | None:
    """What some students could be given were their teacher's grade band lifted, read as the
    policy reads `givable` (the last session's activities counted: a check may wait a session;
    for the students `today` ((n,) bool), only what may be given today): a check the band keeps
    out is not served, and the reason of what builds on it says so (`Features.unchecked`).
    Only the rows asked for are built (`hard_mask`'s `rows`). None: no student has a band."""
    if not has_grade_band(batch):
        return None

    def lifted(rows: np.ndarray) -> np.ndarray:
        out = hard_mask(batch, ctx, recent=False, band=False, rows=rows)
        now_only = np.zeros(len(rows), bool) if today is None else today[rows]
        if now_only.any():
            out[now_only] = hard_mask(batch, ctx, band=False, rows=rows[now_only])
        return out

    return lifted


def open_closest_to_ready(
    feats: Features,
    ctx: CatalogArrays,
    allowed: np.ndarray,
    stranded: np.ndarray,
    threshold: float,
) -> Features:
    """`feats` with, for each `stranded` student (rows with no eligible activity: every
    allowed one blocked by prerequisites or on skills assumed known), the allowed skills nearest
    to ready opened (`Features.closest`; a skill assumed known is never opened): the
    band's entry points, skills not mastered whose unmet prerequisites all lie outside what the
    student may be given (what builds on them inside the band waits for them as usual), the
    fewest unmet first. A prerequisite is unmet below `threshold` or with recent answers that
    do not show it, as `missing` counts them.

    A teacher's grade band is a hard constraint and the prerequisite rule is the policy's own
    judgment: when a weak placement (a diagnostic or records that understate the grade below)
    leaves every skill of a one-grade band waiting on the grade below, which the band keeps
    out, the student was served nothing at all, day after day. Now the judgment gives way:
    they practise what is nearest to ready, and the sentence says so."""
    missing, blocked = feats.missing.copy(), feats.blocked.copy()
    closest = np.zeros_like(feats.mastered)
    rows, acts = np.nonzero(allowed[stranded])
    in_band = np.zeros((len(stranded), missing.shape[1]), bool)
    in_band[rows, ctx.primary_skill[acts]] = True
    part = missing[stranded]
    unmet = ~terms.prerequisite_met(feats.mastery[stranded], threshold, feats.shown[stranded])
    waits_in_band = np.asarray((unmet & in_band).astype(np.float32) @ ctx.prerequisite_t) > 0.5
    candidate = in_band & ~feats.known[stranded] & (part > 0)
    entry = candidate & ~waits_in_band
    candidate = np.where(entry.any(axis=1, keepdims=True), entry, candidate)
    fewest = np.where(candidate, part, np.iinfo(part.dtype).max).min(axis=1, keepdims=True)
    opened = candidate & (part == fewest)
    closest[stranded] = opened
    missing[stranded] = np.where(opened, 0, part)
    blocked[stranded] = to_activities(ctx, (missing[stranded] > 0).astype(np.float32)) > 0
    return dataclasses.replace(feats, missing=missing, blocked=blocked, closest=closest)


def not_an_activity(catalog: Catalog, activity_id: str) -> str:
    """Why `activity_id` cannot be explained: empty, a skill's id (explain takes an activity:
    name a few of the skill's), or in neither list of the catalog."""
    if not str(activity_id).strip():
        return "An empty activity id: give the id of one of the catalog's activities."
    if activity_id in catalog.skill_index:
        ids = [a.id for a in catalog.activities if activity_id in a.skills]
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        return f"{activity_id} is a skill, not an activity: explain takes an activity id" + (
            f" (this skill's: {shown})." if ids else " (this skill has none in the catalog)."
        )
    close = closest_name(str(activity_id), catalog.activity_index)
    return f"{activity_id} is not in the catalog" + (f" (did you mean {close}?)." if close else ".")
