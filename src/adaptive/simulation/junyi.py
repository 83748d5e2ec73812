"""A learner family on a real prerequisite graph: Junyi Academy's 835 exercises (issue 16, item 6).

Unlike the district families (120 hand-built skills, BKT parameters fitted on ASSISTments), this
family takes its structure from a real knowledge map and its learners from a different model:

- **Catalog** (`junyi_catalog`): every Junyi exercise is a skill (cycles broken as documented in
  `adaptive.curriculum.junyi.JUNYI_CYCLE_BREAK`: both self-loops and one edge of the radicals
  3-cycle) with three practice activities at difficulty -1, 0 and +1 that carry the exercise's
  Junyi topic (its area where the topic is missing or "N/A"). A skill's grade is its depth in the
  graph (the longest prerequisite chain above it), bucketed: grade = 1 + depth // 6, capped at 11
  (`DEPTHS_PER_GRADE`, `MAX_GRADE`): the Junyi map's depths 0-65 become grades 1-11, a school's
  span, with ~6 prerequisite levels a year. `synthetic_graph_catalog` builds the same kind of
  catalog on a generated layered DAG, so tests run without `../shared/datasets`.
- **Learners** (`JunyiLearners`, kind "junyi"): binary hidden mastery per skill, a general
  ability per student (Normal(0, 1)), a learning rate (lognormal; `slow_learner` x 0.35), prior
  knowledge up to a depth (`reach`: every skill above the student's reach is known, each with a
  5% gap, none below it; the reach lies inside the student's own grade), topic interests. An
  answer is correct with sigmoid(ability - difficulty - b_skill + 1.5) when the skill is known,
  0.1 + 0.9 sigmoid(ability - difficulty - b_skill - 1.5) when not. A skill is learned **only
  once all its direct prerequisites are mastered**, with probability p_learn(skill) x rate x
  fit, where fit = 0.15 + 0.85 exp(-(difficulty - ability)^2) is largest at the difficulty
  nearest the student's ability. Engagement (completion) rises with the activity's topic interest
  (`EngagementParams`); known skills are forgotten over time (per-day hazard over stability,
  as the BKT family). Every draw is seeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.errors import ConfigError
from adaptive.simulation.learners import BKTLearners, sigmoid

DEPTHS_PER_GRADE = 6
MAX_GRADE = 11
DIFFICULTIES = (-1.0, 0.0, 1.0)


def grade_of_depth(
    depth: np.ndarray, depths_per_grade: int = DEPTHS_PER_GRADE, max_grade: int = MAX_GRADE
) -> np.ndarray:
    """Grade 1, 2, ... per `depths_per_grade` depth levels, capped at `max_grade`."""
    return 1 + np.minimum(np.asarray(depth) // depths_per_grade, max_grade - 1)


def graph_catalog(
    skeleton: Catalog, topic_of: dict[str, str], *, depths_per_grade: int = DEPTHS_PER_GRADE,
    max_grade: int = MAX_GRADE,
) -> Catalog:  # fmt: skip
    """Skills of `skeleton` graded by depth, each with three practice activities (-1, 0, +1)."""
    grades = grade_of_depth(skeleton.prerequisite_depth, depths_per_grade, max_grade)
    skills = tuple(
        Skill(s.id, s.name, s.prerequisites, grade=int(g), standard=s.standard)
        for s, g in zip(skeleton.skills, grades, strict=True)
    )
    activities = tuple(
        Activity(
            f"{s.id}@{d:+.0f}", f"{s.name or s.id} ({label})", (s.id,), difficulty=d,
            topics=(topic_of[s.id],), expected_minutes=10.0, kind="practice", grade=s.grade,
        )
        for s in skills
        for d, label in zip(DIFFICULTIES, ("easier", "standard", "harder"), strict=True)
    )  # fmt: skip
    return Catalog(skills, activities)


def junyi_catalog(directory: str | Path | None = None) -> Catalog:
    """The Junyi knowledge map (cycles broken as documented), graded by depth, 2,505 activities.

    Needs `../shared/datasets/junyi/` (or `directory`); `ConfigError` when absent.
    """
    from adaptive.curriculum.junyi import load_junyi, read_junyi_table

    loaded = load_junyi(directory, break_cycles=True)
    table = read_junyi_table(directory).drop_duplicates("name", keep="first")
    topic_of = {}
    for name, topic, area in zip(table["name"], table["topic"], table["area"], strict=True):
        t = topic.strip() if topic and topic.strip() not in ("", "N/A") else ""
        a = area.strip() if area and area.strip() not in ("", "N/A") else ""
        topic_of[name] = t or a or "other"
    return graph_catalog(loaded.catalog, topic_of)


def synthetic_graph_catalog(
    n_skills: int = 150, n_levels: int = 30, n_topics: int = 10, seed: int = 0
) -> Catalog:
    """A generated Junyi-like map: `n_skills` skills in `n_levels` levels (depths), each skill
    after the first level having 1-2 prerequisites on the level just above (and ~3% roots
    elsewhere), topics drawn from `n_topics`; graded by depth like the real one (30 levels:
    grades 1-5)."""
    if n_skills < n_levels or n_levels < 1:
        raise ConfigError(f"n_skills {n_skills}, n_levels {n_levels}: need n_skills >= n_levels")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 16]))
    level = np.sort(np.r_[np.arange(n_levels), rng.integers(0, n_levels, n_skills - n_levels)])
    ids = [f"k{i:03d}" for i in range(n_skills)]
    skills = []
    for i in range(n_skills):
        above = np.flatnonzero(level == level[i] - 1)
        pre: tuple[str, ...] = ()
        if len(above) and rng.random() > 0.03:
            k = min(len(above), int(rng.integers(1, 3)))
            pre = tuple(ids[j] for j in sorted(rng.choice(above, k, replace=False)))
        skills.append(Skill(ids[i], f"Skill {i}", pre))
    topics = [f"topic{t}" for t in range(n_topics)]
    topic_of = {s: topics[int(rng.integers(0, n_topics))] for s in ids}
    return graph_catalog(Catalog(tuple(skills)), topic_of)


class JunyiLearners(BKTLearners):
    """Ability-driven binary learners on a prerequisite graph (see the module docstring).

    Extra keyword: `grades` (n_students,) sets each student's prior knowledge: a reach depth
    drawn uniformly inside their grade's depth levels (one grade lower for `low_prior`
    students); every skill shallower than the reach is known (5% gaps). With `prior_mastery`
    instead, each skill is known with that probability (as the other kinds); with neither,
    with probability `p_init` (0.3).
    """

    kind = "junyi"
    mastery_threshold = 0.5
    known_shift: ClassVar[float] = 1.5
    guess_floor: ClassVar[float] = 0.1
    fit_floor: ClassVar[float] = 0.15
    fit_width: ClassVar[float] = 1.0
    prior_gap: ClassVar[float] = 0.05
    forget_per_day_median: ClassVar[float] = 0.1

    def __init__(
        self, catalog: Catalog, n_students: int, seed: int, *,
        grades: np.ndarray | None = None, **kwargs: object,
    ) -> None:  # fmt: skip
        self.depth = catalog.prerequisite_depth
        self.grades = None if grades is None else np.asarray(grades, dtype=np.float64)
        if self.grades is not None and self.grades.shape != (n_students,):
            raise ConfigError(f"grades shape {self.grades.shape}: expected ({n_students},)")
        super().__init__(catalog, n_students, seed, **kwargs)  # type: ignore[arg-type]

    def _init_skills(self, rng: np.random.Generator) -> None:
        k = self.n_skills
        self.p_learn = np.clip(rng.lognormal(np.log(0.3), 0.4, k), 0.03, 0.8)
        self.skill_difficulty = rng.normal(0.0, 0.3, k)
        self.forget_per_day = rng.lognormal(np.log(self.forget_per_day_median), 0.4, k)
        self.p_init = np.full(k, 0.3)
        self.p_forget = 1.0 - np.exp(-self.forget_per_day)

    def _init_state(self, rng: np.random.Generator, prior: np.ndarray | None) -> None:
        n = self.n_students
        if prior is not None or self.grades is None:
            super()._init_state(rng, prior)
            self.reach = np.full(n, np.nan)
            return
        lowered = self.grades - np.where(self.low_prior, 1.0, 0.0)
        self.reach = (np.maximum(lowered, 1.0) - 1.0 + rng.random(n)) * DEPTHS_PER_GRADE
        gaps = rng.random((n, self.n_skills)) < self.prior_gap
        self.known = (self.depth[None, :] < self.reach[:, None]) & ~gaps

    def _p_correct_entries(
        self, stu: np.ndarray, skill: np.ndarray, difficulty: np.ndarray, now: np.ndarray
    ) -> np.ndarray:
        known = self._mastery_entries(stu, skill, now)
        p_known, p_unknown = self.answer_model(self.ability[stu], skill, difficulty)
        return known * p_known + (1.0 - known) * p_unknown

    def answer_model(
        self, ability: np.ndarray, skill: np.ndarray, difficulty: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(P(right | known), P(right | unknown)) of students of `ability` on items of
        `difficulty` of each skill: the model a reader of answers inverts
        (`adaptive.evaluation.model_filter`)."""
        x = ability - difficulty - self.skill_difficulty[skill]
        p_known = sigmoid(x + self.known_shift)
        p_unknown = self.guess_floor + (1 - self.guess_floor) * sigmoid(x - self.known_shift)
        return p_known, p_unknown

    def _learning_fit(self, stu: np.ndarray, act: np.ndarray, p_correct: np.ndarray) -> np.ndarray:
        return self.difficulty_fit(self._act_difficulty[act], self.ability[stu])

    def difficulty_fit(self, difficulty: np.ndarray, ability: np.ndarray) -> np.ndarray:
        """The learning factor of an activity of `difficulty` for students of `ability`:
        fastest where the two meet, `fit_floor` far from it."""
        gap = (difficulty - ability) / self.fit_width
        return self.fit_floor + (1.0 - self.fit_floor) * np.exp(-(gap**2))

    def _prereq_known(self, stu: np.ndarray, skill: np.ndarray, now: np.ndarray) -> np.ndarray:
        """1 where every direct prerequisite is mastered (or there is none), else 0."""
        found = self._prereq_mastery(stu, skill, now)
        if found is None:
            return np.ones(len(stu))
        entry, m, _ = found
        unmet = np.bincount(entry, weights=m < self.mastery_threshold, minlength=len(stu))
        return (unmet == 0).astype(np.float64)

    def _learn_entries(
        self,
        stu: np.ndarray,
        skill: np.ndarray,
        rate: np.ndarray,
        prereq_known: np.ndarray,
        correct: np.ndarray,
    ) -> None:
        p = np.clip(self.p_learn[skill] * rate * prereq_known, 0.0, 1.0)
        learned = self._rng.random(len(stu)) < p
        self._mark_learned(stu, skill, learned)


def junyi_prior_table(catalog: Catalog, grades: np.ndarray) -> np.ndarray:
    """(n, S) the fraction of each skill known at the start under the depth-reach rule, in
    expectation (for reports; the simulator draws the reach itself)."""
    depth = catalog.prerequisite_depth[None, :].astype(np.float64)
    low = (np.asarray(grades, np.float64)[:, None] - 1.0) * DEPTHS_PER_GRADE
    frac = np.clip((low + DEPTHS_PER_GRADE - depth) / DEPTHS_PER_GRADE, 0.0, 1.0)
    return frac * (1.0 - JunyiLearners.prior_gap)
