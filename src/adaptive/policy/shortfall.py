"""Why a student got fewer than k recommendations: the budget, a cap, or the scope.

`AdaptivePolicy.select` fills at most k slots and leaves the rest empty when nothing else may be
recommended. A user who asked for `--k 10` and got 3 needs to know which rule stopped it:

    why = shortfall(policy, batch, sel, k, now)    # None when the list is full
    why.sentence  # "3 of 10: today's time budget is used (30 of 30 minutes planned); ..."

`AdaptivePolicy.recommend` (a student's request, and so `recommend_students`) gives the same
answer from the batch, selection, features and eligibility it has just built
(`AdaptivePolicy.select_and_why` -> `shortfall_of`: nothing worked out twice;
`StudentRecommendations.shortfall`). Counts are over the catalog's activities for the batch's
first student (one-student batches, as a request and `adaptive recommend` build them); each
activity is counted under the first rule that keeps it out, in the order of `REASONS`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from adaptive.errors import verb
from adaptive.policy.base import Selection, StudentBatch, catalog_arrays
from adaptive.policy.constraints import MASK_CONSTRAINTS, constraint_masks

if TYPE_CHECKING:
    from adaptive.policy.features import Features
    from adaptive.policy.recommender import AdaptivePolicy

# Every reason an activity is not on the list, in the order they are checked: the verb
# (singular, agreeing with the count: `errors.verb`), then the words for one and for several.
REASONS: dict[str, tuple[str, str, str]] = {
    "over_budget": ("does", "not fit today's time budget", "not fit today's time budget"),
    "skill_cap": (
        "is", "on a skill already at the per-day cap", "on skills already at the per-day cap"
    ),
    "excluded": ("was", "excluded by the teacher", "excluded by the teacher"),
    "completed": ("is", "already completed", "already completed"),
    "recent": ("was", "done in the last session", "done in the last session"),
    "out_of_scope": (
        "is", "outside the curriculum scope set for this student",
        "outside the curriculum scope set for this student",
    ),
    "out_of_grade_band": (
        "is", "outside the student's grade band", "outside the student's grade band"
    ),
    "unmet_review": (
        "is", "a review of a skill neither practised nor placed as mastered",
        "reviews of skills neither practised nor placed as mastered",
    ),
    "assumed_known": (
        "is", "on a skill assumed known (never answered, its starting estimate high)",
        "on skills assumed known (never answered, their starting estimates high)",
    ),
    "blocked": (
        "is", "blocked by prerequisites not yet mastered",
        "blocked by prerequisites not yet mastered",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Shortfall:
    """Fewer recommendations than asked for, and the count of activities behind each reason."""

    requested: int
    returned: int
    catalog_activities: int
    minutes_planned: float
    minutes_budget: float
    reasons: dict[str, int]
    sentence: str

    def to_dict(self) -> dict:
        return asdict(self)


def shortfall(
    policy: AdaptivePolicy, batch: StudentBatch, sel: Selection, k: int, now: float
) -> Shortfall | None:
    """Why row 0 of `sel` has fewer than `k` activities (None when it has `k`): the batch's
    features and eligibility worked out here (`shortfall_of` takes them already computed)."""
    if _is_full(sel, k):
        return None
    feats = policy.features(batch, now)
    return shortfall_of(policy, batch, sel, k, feats, policy.eligibility(batch, feats))


def shortfall_of(
    policy: AdaptivePolicy,
    batch: StudentBatch,
    sel: Selection,
    k: int,
    feats: Features,
    eligible: np.ndarray,
) -> Shortfall | None:
    """`shortfall` from the features and (n, A) eligibility `sel` was chosen from (the
    policy's `features` and `eligibility` of `batch`), so the request path reads them once."""
    if _is_full(sel, k):
        return None
    chosen = sel.activity[0][sel.activity[0] >= 0]
    ctx, cfg = catalog_arrays(policy.catalog), policy.config
    n_act = len(ctx.activity_ids)
    left = np.ones(n_act, bool)
    left[chosen] = False
    counts: dict[str, int] = {}

    def take(name: str, mask: np.ndarray) -> None:
        hit = left & mask
        counts[name] = int(hit.sum())
        left[hit] = False

    masks = constraint_masks(batch, ctx)
    eligible = eligible[0]
    allowed = ~np.any([masks[name][0] for name in MASK_CONSTRAINTS], axis=0)
    used = float(ctx.minutes[chosen].sum())
    budget = float(batch.daily_minutes[0])
    take("over_budget", eligible & (used + ctx.minutes > budget + 1e-9))
    per_skill = np.bincount(ctx.primary_skill[chosen], minlength=int(ctx.primary_skill.max()) + 1)
    take("skill_cap", eligible & (per_skill[ctx.primary_skill] >= cfg.max_per_skill))
    for name in MASK_CONSTRAINTS:
        take(name, masks[name][0])
    take("unmet_review", policy.unmet_reviews(feats)[0])
    take("assumed_known", policy.assumed_known_activities(feats)[0])
    take("blocked", allowed & ~eligible)
    sentence = _sentence(len(chosen), k, n_act, used, budget, counts)
    return Shortfall(k, len(chosen), n_act, used, budget, counts, sentence)


def _is_full(sel: Selection, k: int) -> bool:
    """Row 0 of `sel` holds `k` activities (no shortfall to explain)."""
    return int((sel.activity[0] >= 0).sum()) >= k


def _sentence(
    returned: int, k: int, n_act: int, used: float, budget: float, counts: dict[str, int]
) -> str:
    parts = []
    for name, (singular, one, several) in REASONS.items():
        n = counts.get(name, 0)
        if n:
            extra = (
                f" ({used:.0f} of {budget:.0f} minutes planned)" if name == "over_budget" else ""
            )
            words = one if n == 1 else several
            parts.append(f"{n:,} {verb(n, singular)} {words}{extra}")
    why = "; ".join(parts) if parts else f"the catalog has only {n_act:,} activities"
    if budget <= 0 and not used:  # not "0 of 0 minutes planned" for a student of no time today
        return f"{returned} of {k} recommended: today's time budget is 0 minutes ({NO_TIME})."
    return f"{returned} of {k} recommended: of the other activities, {why}."


#: what a day's budget of 0 means, as a shortfall and `explain` say it: the one rule for 0
#: minutes whoever gave them (a profile's weekly_minutes, a teacher's daily_minutes, a batch's
#: daily_minutes), so it names no cause
NO_TIME = "a day with no time: only a teacher's assigned activities are served"
