"""The scoring terms of the adaptive policy: small pure functions over arrays.

Each term maps arrays (students x skills or students x activities) to a value in [0, 1] (the
`stuck` flag is 0/1 and carries a negative weight); the recommender multiplies each by its weight
from `PolicyConfig.weights` and reports the products as the reasons of a recommendation.
Every function here is tested on its own (tests/policy/test_terms.py).
"""

from __future__ import annotations

import numpy as np
from fsrs.scheduler import FSRS_DEFAULT_DECAY
from scipy import sparse

from adaptive.memo import IdentityMemo

#: FSRS-6 forgetting curve: R(t) = (1 + FACTOR * t / S) ** -DECAY, so that R(S) = 0.9.
DECAY = FSRS_DEFAULT_DECAY
FACTOR = 0.9 ** (1.0 / -DECAY) - 1.0


def nan_to_zero(x: np.ndarray) -> np.ndarray:
    """NaN (unknown) read as 0; a cheaper `np.nan_to_num` for values that are never infinite
    (mastery, progress, elapsed days): the terms run once per request on the vendor's path."""
    return np.where(np.isnan(x), 0.0, x)


# -- readiness (prerequisites) ---------------------------------------------------------------
def missing_prerequisites(
    mastery: np.ndarray,
    prerequisite_t: np.ndarray | sparse.spmatrix,
    threshold: float,
    shown: np.ndarray | None = None,
) -> np.ndarray:
    """(n, S) number of direct prerequisites of each skill not met: mastery below `threshold`,
    or (where `shown` is given) answers that do not show it yet (`shown_by_answers`).

    `prerequisite_t[j, i] = 1` when skill j is a prerequisite of skill i (the transpose of
    `Catalog.prerequisite_matrix`; sparse, as `CatalogArrays.prerequisite_t`, or dense);
    unknown mastery (NaN) counts as not mastered.
    """
    unmet = ~prerequisite_met(mastery, threshold, shown)
    return np.rint(np.asarray(unmet.astype(np.float32) @ prerequisite_t)).astype(np.int32)


def prerequisite_met(
    mastery: np.ndarray, threshold: float, shown: np.ndarray | None = None
) -> np.ndarray:
    """(n, S) True where a skill counts as met when others build on it: mastery at or above
    `threshold` (unknown: not met) and, where `shown` is given, recent answers that show it."""
    met = nan_to_zero(mastery) >= threshold
    return met if shown is None else met & shown


def shown_by_answers(
    n_responses: np.ndarray,
    streak: np.ndarray,
    in_a_row: int,
    at_least: np.ndarray | int = 0,
) -> np.ndarray:
    """(n, S) True where the student's answers do not contradict mastery: a skill never
    practised (its mastery is the placement's), or one whose last `in_a_row` answers were all
    right (all of its answers, when fewer; 0: always True) and that was answered at least
    `at_least` times (per student, shape (n, 1): `gradual_hold`; 0 or 1: no hold).

    A tracer's mastery can run ahead of the answers: BKT reads two right answers of a learner
    whose accuracy grows step by step as "learned" while they still miss one in three. A student
    who just answered a skill wrong has not shown it yet, whatever the estimate says: like the
    "N right in a row" rule of mastery-based practice, the skill stays open (and what builds on it
    waits) until the recent answers are right.
    """
    untouched = n_responses <= 0
    if in_a_row <= 0:
        shown = np.ones(np.shape(n_responses), bool)
    else:
        needed = np.minimum(n_responses, in_a_row)
        shown = untouched | ((streak >= needed) & (streak >= 1))
    if np.any(np.asarray(at_least) > 1):
        shown &= untouched | (n_responses >= at_least)
    return shown


def gradual_hold(learning_z: np.ndarray, z_at_least: float, hold: int) -> np.ndarray:
    """(n, 1) the answers a practised skill needs before it is shown (`shown_by_answers`'
    `at_least`): `hold` for the students whose model's learning curve says learning is gradual
    (its z at least `z_at_least`; NaN, not measured: no), else 0.

    Where accuracy grows step by step (each practice raises the chance a little), two right
    answers are often luck on the way up, yet a tracer that reads learning as all-or-none (BKT)
    calls the skill learned: the skill stays open, and what builds on it waits, until `hold`
    answers (issue 16: on the logistic simulators the policy lost to the fixed curriculum)."""
    z = np.asarray(learning_z, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(z >= z_at_least, hold, 0)[:, None]


def prerequisite_support(mastery: np.ndarray, prerequisite_codes: np.ndarray) -> np.ndarray:
    """(n, S) the mastery of each skill's weakest direct prerequisite (1 without any): how sure
    we are that practice on the skill can be learned from now."""
    m = nan_to_zero(mastery)
    if prerequisite_codes.size == 0:
        return np.ones_like(m)
    codes = np.asarray(prerequisite_codes, dtype=np.int64)
    padded = np.concatenate([m, np.ones((m.shape[0], 1), m.dtype)], axis=1)
    return padded[:, np.where(codes >= 0, codes, m.shape[1])].min(axis=2)


#: The room to learn of a skill whose estimate says mastered but whose recent answers do not
#: (`shown_by_answers`): as uncertain as a coin. Its 1 - P(mastery) is near 0, so it was hardly
#: ever served again, and what builds on it waited for answers that never came.
UNCONFIRMED_ROOM = 0.5


def readiness(
    prereqs_met: np.ndarray,
    mastered: np.ndarray,
    mastery: np.ndarray,
    support: np.ndarray | None = None,
    unconfirmed: np.ndarray | None = None,
) -> np.ndarray:
    """On the ready-to-learn fringe (prerequisites met, skill not mastered yet): the expected
    room to learn, 1 - P(mastery), times the `support` of its prerequisites (the weakest one's
    mastery; 1 when not given): a skill is worth practising when it is not known yet AND what
    it builds on is. A practised skill whose recent answers do not show it (`unconfirmed`) has
    at least `UNCONFIRMED_ROOM`: it is served to be shown. Else 0."""
    room = 1.0 - nan_to_zero(mastery)
    if unconfirmed is not None:
        room = np.where(unconfirmed, np.maximum(room, UNCONFIRMED_ROOM), room)
    if support is not None:
        room = room * support
    return np.where(prereqs_met & ~mastered, room, 0.0)


# -- difficulty at the edge ------------------------------------------------------------------
def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p) - np.log1p(-p)


def activity_p_correct(p_skill_logit_act: np.ndarray, difficulty: np.ndarray) -> np.ndarray:
    """P(correct) on an activity: the skill's logit (mean over the activity's skills) minus the
    activity's difficulty (a logit shift; > 0 harder than the skill's typical item)."""
    return 1.0 / (1.0 + np.exp(-(p_skill_logit_act - difficulty)))


def edge_of_difficulty(p_correct: np.ndarray, target: float, width: float) -> np.ndarray:
    """1 at the target P(correct), falling off as a Gaussian of the given width."""
    z = (p_correct - target) / width
    return np.exp(-0.5 * z * z)


def best_version_of_skill(edge: np.ndarray, primary_skill: np.ndarray) -> np.ndarray:
    """(n, A) each activity's edge value relative to the best version of the same skill (1 for
    the activity of its skill nearest the target).

    The difficulty term picks *which version* of a skill suits the student, not *which skill*:
    an absolute edge value would favour skills the student already knows (their P(correct) sits
    near the target), so a student would be served what they have mastered instead of what they
    are ready to learn. Which skill is for readiness, review, interest and the goals to say.
    """
    if edge.size == 0:
        return edge
    order, starts, group = _skill_groups(primary_skill)
    best = np.maximum.reduceat(edge[:, order], starts, axis=1)  # (n, skills present)
    best_of = np.empty_like(edge)
    best_of[:, order] = best[:, group]
    return edge / np.maximum(best_of, 1e-12)


def first_best_of_each_skill(
    score: np.ndarray, eligible: np.ndarray, primary_skill: np.ndarray
) -> np.ndarray:
    """(n, A) True on each skill's one best eligible activity (the highest score; a tie goes to
    the lowest index), False elsewhere."""
    if score.size == 0:
        return np.zeros(score.shape, bool)
    order, starts, group = _skill_groups(primary_skill)
    masked = np.where(eligible, score, -np.inf)[:, order]
    best = np.maximum.reduceat(masked, starts, axis=1)[:, group]
    top = (masked == best) & np.isfinite(masked)
    seen = np.cumsum(top, axis=1)
    before = np.concatenate([np.zeros((len(score), 1), seen.dtype), seen[:, starts[1:] - 1]], 1)
    out = np.zeros(score.shape, bool)
    out[:, order] = top & (seen - before[:, group] == 1)
    return out


#: Each `primary_skill` array's skill groups (`_skill_groups`).
_GROUPS: IdentityMemo[tuple[np.ndarray, np.ndarray, np.ndarray]] = IdentityMemo(limit=64)


def _skill_groups(primary_skill: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(activities ordered by skill, start of each skill's run, run of each ordered activity);
    cached per catalog's array (the per-request path scores one student at a time)."""
    return _GROUPS.get((primary_skill,), lambda: _group_by_skill(primary_skill))


def _group_by_skill(primary_skill: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_skill_groups`, computed anew."""
    order = np.argsort(primary_skill, kind="stable")
    sorted_skill = primary_skill[order]
    new_run = np.r_[True, sorted_skill[1:] != sorted_skill[:-1]]
    return order, np.flatnonzero(new_run), np.cumsum(new_run) - 1


# -- interest and aspiration -----------------------------------------------------------------
def interest_match(interests: np.ndarray, topic_mean: np.ndarray) -> np.ndarray:
    """(n, A) mean interest weight over each activity's topics (0 for an activity without).

    `topic_mean` (A, T) holds 1 / n_topics(a) for each topic of activity a (dense).
    """
    return interests.astype(np.float32) @ topic_mean.T


def goal_relevance(
    goals: np.ndarray, closure: np.ndarray | sparse.spmatrix, mastery: np.ndarray
) -> np.ndarray:
    """(n, S) how much practising a skill moves the student toward their goal skills.

    A skill is on the path to a goal when it is the goal or one of its ancestors in the
    prerequisite graph (`closure[g, s] = 1`; sparse, as `CatalogArrays.closure`, or dense);
    the term is the share of the student's goals it leads to, times how much of it is left to
    learn (1 - mastery).
    """
    if not goals.any():  # no student of the batch has a goal (the common request)
        return np.zeros(mastery.shape)
    n_goals = goals.sum(axis=1, keepdims=True)
    leads = np.asarray(goals.astype(np.float32) @ closure)
    share = np.divide(leads, n_goals, out=np.zeros_like(leads), where=n_goals > 0)
    return share * (1.0 - nan_to_zero(mastery))


# -- review of fading skills -----------------------------------------------------------------
def stability_days(n_responses: np.ndarray, initial: float, exponent: float) -> np.ndarray:
    """Configured memory stability S = initial * n ** exponent (days; n >= 1)."""
    return initial * np.maximum(n_responses, 1) ** exponent


def retrievability(elapsed_days: np.ndarray, stability: np.ndarray) -> np.ndarray:
    """FSRS-6 predicted recall after `elapsed_days` (1 where never practised or elapsed <= 0)."""
    t = nan_to_zero(np.maximum(elapsed_days, 0.0))
    return (1.0 + FACTOR * t / stability) ** -DECAY


def review_need(recall: np.ndarray, mastered: np.ndarray, threshold: float) -> np.ndarray:
    """For mastered skills whose recall fell below `threshold`: 0.5 just below, 1 at recall 0.5."""
    fading = mastered & (recall < threshold)
    depth = np.clip((threshold - recall) / max(threshold - 0.5, 1e-6), 0.0, 1.0)
    return np.where(fading, 0.5 + 0.5 * depth, 0.0)


def review_interest_scale(
    interests: np.ndarray, review_weight: float, interest_weight: float
) -> np.ndarray:
    """(n, 1) the factor on `review_need` that lets a fading skill rank with the student's
    interest-matched new work: 1 + interest_weight * (the student's strongest interest) /
    review_weight (1 for a student without interests, or where either weight is not positive).

    A review is chosen by need, not by topic, and a skill's own activities rarely carry the
    student's favourite topic: a grade 5 student who liked cooking was served cooking-themed new
    practice for 210 days after mastering a skill whose recall had faded to 0.59 (a field trial),
    as the interest weight outbid the review's. With the factor, a fully faded skill ranks with a
    new skill ready to learn whatever the student's interests (`PolicyConfig`'s note)."""
    n = interests.shape[0]
    if review_weight <= 0 or interest_weight <= 0 or interests.shape[1] == 0:
        return np.ones((n, 1))
    strongest = np.clip(interests.max(axis=1, keepdims=True), 0.0, 1.0)
    return 1.0 + interest_weight * strongest / review_weight


# -- learning progress and exploration ---------------------------------------------------------
def learning_progress(progress: np.ndarray) -> np.ndarray:
    """Recent improvement of accuracy (ZPDES), scaled so +0.5 accuracy is the full term."""
    return np.clip(nan_to_zero(progress) / 0.5, 0.0, 1.0)


def exploration_bonus(n_responses: np.ndarray) -> np.ndarray:
    """UCB-style uncertainty bonus sqrt(ln(N + 1) / (n_s + 1)), normalized to [0, 1].

    N is the student's total responses; the normalization divides by sqrt(ln(N + 1)), so a skill
    never tried gets 1 and the bonus decays as 1 / sqrt(n_s + 1).
    """
    return 1.0 / np.sqrt(np.maximum(n_responses, 0) + 1.0)


def thompson_noise(shape: tuple[int, ...], scale: float, seed: int, now: float) -> np.ndarray:
    """Seeded exploration noise (a Thompson-style draw); zero when `scale` is 0."""
    if scale <= 0:
        return np.zeros(shape)
    rng = np.random.default_rng([seed, int(abs(now) * 1000) % (2**32)])
    return rng.normal(0.0, scale, size=shape)


# -- progression flags --------------------------------------------------------------------------
def is_mastered(
    mastery: np.ndarray, n_responses: np.ndarray, threshold: float, min_responses: int
) -> np.ndarray:
    """The estimate says mastered: P(mastery) >= threshold AND >= `min_responses` responses (no
    false mastery). The progression rule also asks recent answers that show it
    (`shown_by_answers`; `Features.mastered` is both)."""
    return (nan_to_zero(mastery) >= threshold) & (n_responses >= min_responses)


#: How far below `PolicyConfig.assumed_known` an estimate still counts as it: a placement of
#: 0.95 kept in float32 (a model's state, the students table) reads 0.94999999, and a grade-12
#: student placed at 0.95 on a grade 3-8 catalog was served its grade 3 skills as "something
#: new to try" on the skills the model knows.
ASSUMED_KNOWN_MARGIN = 1e-6


def is_failing(
    mastery: np.ndarray, n_responses: np.ndarray, streak: np.ndarray, after: int, threshold: float
) -> np.ndarray:
    """(n, S) True where the student is failing a skill: answered at least `after` times
    (`PolicyConfig.check_prerequisites_after`; 0: never), the last answer wrong, and the
    estimate below `threshold` (a slip on a skill the answers have shown is not failing)."""
    if after <= 0:
        return np.zeros(np.shape(n_responses), bool)
    return (n_responses >= after) & (streak <= 0) & (nan_to_zero(mastery) < threshold)


def assumed_known(mastery: np.ndarray, n_responses: np.ndarray, at_least: float) -> np.ndarray:
    """(n, S) True where a skill was never answered and its starting estimate (a placement,
    records, a vendor's own) is `at_least` (`PolicyConfig.assumed_known`, less
    `ASSUMED_KNOWN_MARGIN`): a grade 7 student's kindergarten counting. Such a skill has no
    room to learn and is nothing "new to try"."""
    return (n_responses <= 0) & (nan_to_zero(mastery) >= at_least - ASSUMED_KNOWN_MARGIN)


def is_stuck(
    mastery: np.ndarray, n_responses: np.ndarray, progress: np.ndarray, mastered: np.ndarray,
    min_responses: int, max_progress: float,
) -> np.ndarray:  # fmt: skip
    """Wheel-spinning: many attempts, not mastered, and recent accuracy not improving."""
    return (n_responses >= min_responses) & ~mastered & (nan_to_zero(progress) <= max_progress)


# -- variety -------------------------------------------------------------------------------------
def variety_penalty(count_same_skill: np.ndarray, penalty: float) -> np.ndarray:
    """Penalty for the j-th activity on a skill already in today's list: penalty * j."""
    return penalty * count_same_skill
