"""Baseline policies, behind the same interface and the same hard constraints as ours.

    random              a random eligible activity (prerequisites mastered), seeded
    curriculum          fixed curriculum order: N activities per skill, then the next skill
    curriculum-mastery  curriculum order, advancing when the tracer's mastery reaches the threshold
    n-correct           curriculum order, advancing after N correct answers in a row

The curriculum order is the catalog's skills by grade, then prerequisite order; the curriculum
baselines start at the student's own grade (skills of earlier grades count as done), as a
teacher following the curriculum would.
    zpdes               learning-progress bandit over the zone of proximal development (ZPDES)
    greedy-target       the activity whose predicted P(correct) is closest to the target

Each computes one score per activity (reported as the `baseline` reason) and an eligibility
mask; selection (time budget, per-skill cap, teacher assignments) is the shared one.
"""

from __future__ import annotations

import hashlib

import numpy as np

from adaptive.curriculum import Catalog
from adaptive.errors import ConfigError
from adaptive.policy import terms
from adaptive.policy.base import Policy, Selection, StudentBatch, catalog_arrays
from adaptive.policy.config import PolicyConfig
from adaptive.policy.constraints import hard_mask, select_top_k
from adaptive.policy.features import Features, compute_features


class ScoredPolicy(Policy):
    """A policy defined by one score and one eligibility mask per activity."""

    description = "baseline"

    def __init__(self, catalog: Catalog, config: PolicyConfig | None = None, seed: int = 0):
        super().__init__(catalog, config)
        self.seed = seed
        self._ctx = catalog_arrays(catalog)
        order = catalog.curriculum_order  # by grade, then prerequisites
        self._skill_rank = np.empty(len(order), np.int64)
        self._skill_rank[order] = np.arange(len(order))
        self._skill_grade = catalog.skill_grades

    def score(
        self, batch: StudentBatch, feats: Features, now: float
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _uniform(self, batch: StudentBatch, now: float) -> np.ndarray:
        """(n, A) seeded uniforms, a function of (seed, now, student id, activity) only, so a
        student gets the same draws alone or in any batch."""
        return student_uniforms(batch.student_ids, len(self._ctx.activity_ids), self.seed, now)

    def current_skill_rank(self, done: np.ndarray, batch: StudentBatch) -> np.ndarray:
        """(n,) curriculum rank of the first skill not `done` (n_skills when all are done);
        skills of grades below the student's count as done."""
        n_s = done.shape[1]
        done = done | (self._skill_grade[None, :] < batch.grade[:, None])
        ranked = np.zeros_like(done)
        ranked[:, self._skill_rank] = done  # column r = the skill of rank r
        first = np.argmin(ranked, axis=1)
        return np.where(ranked.all(axis=1), n_s, first)

    def curriculum_score(
        self, current: np.ndarray, batch: StudentBatch
    ) -> tuple[np.ndarray, np.ndarray]:
        """Activities of the current skill first, then the following skills, in catalog order."""
        ctx = self._ctx
        skill_rank = self._skill_rank[ctx.primary_skill]
        eligible = hard_mask(batch, ctx) & (skill_rank[None, :] >= current[:, None])
        n_a = len(ctx.activity_ids)
        position = skill_rank * max(n_a, 1) + np.arange(n_a)  # skill order, then catalog order
        score = -position.astype(np.float64) / max(position.max(initial=0) + 1, 1)
        return np.broadcast_to(score[None, :], eligible.shape).copy(), eligible

    def select(self, batch: StudentBatch, k: int, now: float) -> Selection:
        feats = compute_features(batch, self._ctx, self.config, now)
        score, eligible = self.score(batch, feats, now)
        picks, picked, assigned, _ = select_top_k(
            score, eligible, batch, self._ctx, k, self.config.max_per_skill, 0.0
        )
        rows = np.arange(len(batch))[:, None]
        act = np.where(picks >= 0, picks, 0)
        return Selection(
            activity=picks,
            score=np.where(picks >= 0, picked, 0.0),
            p_correct=np.where(picks >= 0, feats.p_act[rows, act], np.nan),
            assigned=assigned,
            contributions=np.where(picks >= 0, picked, 0.0)[..., None],
            terms=("baseline",),
        )

    def sentences(self, batch: StudentBatch, sel: Selection, now: float) -> np.ndarray:
        names = self._ctx.skill_names[
            self._ctx.primary_skill[np.where(sel.activity >= 0, sel.activity, 0)]
        ]
        out = np.array([f"{s}: {self.description}." for s in names.ravel()], dtype=object).reshape(
            names.shape
        )
        out[sel.activity < 0] = ""
        return out


class RandomEligible(ScoredPolicy):
    name = "random"
    description = "a random activity whose prerequisites are mastered"

    def score(
        self, batch: StudentBatch, feats: Features, now: float
    ) -> tuple[np.ndarray, np.ndarray]:
        eligible = hard_mask(batch, self._ctx) & ~feats.blocked
        return self._uniform(batch, now), eligible


class CurriculumOrder(ScoredPolicy):
    name = "curriculum"
    description = "next in the fixed curriculum order"

    def __init__(
        self,
        catalog: Catalog,
        config: PolicyConfig | None = None,
        seed: int = 0,
        per_skill: int = 5,
    ):
        super().__init__(catalog, config, seed)
        self.per_skill = per_skill

    def score(
        self, batch: StudentBatch, feats: Features, now: float
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.curriculum_score(
            self.current_skill_rank(batch.n_responses >= self.per_skill, batch), batch
        )


class CurriculumMastery(ScoredPolicy):
    name = "curriculum-mastery"
    description = "next in curriculum order until mastery reaches the threshold"

    def score(
        self, batch: StudentBatch, feats: Features, now: float
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.curriculum_score(
            self.current_skill_rank(feats.mastery >= self.config.mastery_threshold, batch), batch
        )


class NCorrectInARow(ScoredPolicy):
    name = "n-correct"
    description = "next in curriculum order until N correct in a row"

    def __init__(
        self,
        catalog: Catalog,
        config: PolicyConfig | None = None,
        seed: int = 0,
        n_correct: int = 3,
    ):
        super().__init__(catalog, config, seed)
        self.n_correct = n_correct

    def score(
        self, batch: StudentBatch, feats: Features, now: float
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.curriculum_score(
            self.current_skill_rank(batch.streak >= self.n_correct, batch), batch
        )


class ZPDES(ScoredPolicy):
    """Clement et al. 2015: a bandit over the zone of proximal development, weighted by progress.

    ZPD = skills below `unlock` mastery whose prerequisites reach it; an activity is drawn
    with probability proportional to its skill's learning progress + `epsilon` (Gumbel-max).
    One threshold for both: a skill leaves the zone as it unlocks what builds on it. (With the
    policy's `mastery_threshold` (0.65) for leaving and 0.8 for unlocking, a skill placed
    between the two was neither in the zone nor unlocking: a cold-start cohort placed from its
    grade was served nothing on every day, an audit found.)
    """

    name = "zpdes"
    description = "in your zone of proximal development, where you progress most"

    def __init__(self, catalog: Catalog, config: PolicyConfig | None = None, seed: int = 0,
                 unlock: float = 0.8, epsilon: float = 0.2):  # fmt: skip
        super().__init__(catalog, config, seed)
        self.unlock = unlock
        self.epsilon = epsilon

    def score(
        self, batch: StudentBatch, feats: Features, now: float
    ) -> tuple[np.ndarray, np.ndarray]:
        ctx = self._ctx
        missing = terms.missing_prerequisites(feats.mastery, ctx.prerequisite_t, self.unlock)
        zpd = (missing == 0) & (feats.mastery < self.unlock)
        weight = np.abs(np.nan_to_num(batch.progress)) + self.epsilon
        w_act = np.where(zpd, weight, 0.0)[:, ctx.primary_skill]
        gumbel = -np.log(-np.log(self._uniform(batch, now) + 1e-12) + 1e-12)
        score = np.log(np.maximum(w_act, 1e-12)) + gumbel
        return score, hard_mask(batch, ctx) & (w_act > 0)


class GreedyTarget(ScoredPolicy):
    name = "greedy-target"
    description = "predicted chance of success closest to the target"

    def score(
        self, batch: StudentBatch, feats: Features, now: float
    ) -> tuple[np.ndarray, np.ndarray]:
        return -np.abs(feats.p_act - self.config.target_p_correct), hard_mask(batch, self._ctx)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finalizer (a counter-based hash): uint64 -> well-mixed uint64."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def student_uniforms(
    student_ids: np.ndarray, n_activities: int, seed: int, now: float
) -> np.ndarray:
    """(n, A) uniforms in [0, 1) from hash(seed, now, student id, activity index)."""
    key = np.array(
        [int.from_bytes(hashlib.blake2b(f"{seed}|{now!r}|{s}".encode(), digest_size=8).digest(), "little")
         for s in student_ids], dtype=np.uint64,
    )  # fmt: skip
    with np.errstate(over="ignore"):
        x = _splitmix64(
            key[:, None] * np.uint64(0x100000001B3)
            + np.arange(n_activities, dtype=np.uint64)[None, :]
        )
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


BASELINES: dict[str, type[ScoredPolicy]] = {
    cls.name: cls
    for cls in (
        RandomEligible,
        CurriculumOrder,
        CurriculumMastery,
        NCorrectInARow,
        ZPDES,
        GreedyTarget,
    )
}


def make_policy(
    name: str, catalog: Catalog, config: PolicyConfig | None = None, seed: int = 0
) -> Policy:
    """`adaptive` or a baseline name -> a policy over `catalog`."""
    from adaptive.policy.recommender import AdaptivePolicy

    if name == AdaptivePolicy.name:
        return AdaptivePolicy(catalog, config)
    try:
        return BASELINES[name](catalog, config, seed)
    except KeyError as exc:
        raise ConfigError(
            f"unknown policy {name!r}; expected 'adaptive' or one of {sorted(BASELINES)}"
        ) from exc
