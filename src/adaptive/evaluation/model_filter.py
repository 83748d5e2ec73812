"""Reference policies that know the simulator's model but not the learner's state (issue 16).

The ceiling policy (`policy_eval.ceiling_picks`) reads the simulator's true knowledge every day:
no policy that sees only answers can match it. How much of it *could* such a policy reach? A
**model filter** answers that on the simulators whose knowledge is binary (bkt, prerequisite,
junyi). It is handed what the simulator is made of — how a known and an unknown skill are
answered, how often a practice teaches, how prerequisites gate learning, how a student's prior
knowledge is drawn — and then, like any real policy, only sees each day's outcome (completed or
not, right or wrong). From those it keeps an exact-model Bayesian belief over what each student
knows, and each day serves the in-band activity with the highest expected learning:

    P(skill unknown and every direct prerequisite known) x P(complete) x P(learn | practice).

It is a bound to read beside the shipped policy, not a policy to ship: a district's own
learners follow no known simulator. Three degrees of knowledge (`KNOWLEDGE`):

- ``"learner"``: also each student's hidden traits (ability, learning and engagement rates, a
  low-prior flag) and each skill's learn rate — everything but the knowledge state;
- ``"population"``: the traits and learn rates at their population means, and the low-prior
  flag as its population share (a mixture of both priors): what a policy could know of the
  model before meeting the student;
- ``"independent"``: as "learner", but the prior over each skill is its own marginal: on the
  junyi family the learner's depth reach (every skill shallower is known, but for 5% gaps) is
  not inferred from answers on other skills (on the district families, whose priors are
  independent by skill, it is "learner").

Approximations: a skill's prerequisites are read as independent of it under each reach
hypothesis (mean field), forgetting is left out (hazards of about 0.01 a day over a stability
of 1 or more), and a never-completed warm-up practice is not seen (the cohort's log holds only
completed answers), nor is one on a two-skill activity. A filter serves single-skill activities only: the district catalog's
two-skill projects (30 of 630 activities), which the ceiling may serve, are left out of its
choices, which makes its bound on the district families a low one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from scipy import sparse

from adaptive.errors import ConfigError
from adaptive.simulation.learners import LearnerSimulator
from adaptive.simulation.schedule import Responses

#: What a model filter knows besides the simulator's form (see the module docstring).
KNOWLEDGE: tuple[str, ...] = ("learner", "population", "independent")
#: The simulator kinds a model filter can read (binary knowledge).
FILTER_KINDS: tuple[str, ...] = ("bkt", "prerequisite", "junyi")


@dataclass(frozen=True)
class FilterSpec:
    """A reference policy: its `knowledge`, the days it first spends locating the learner
    (`probe_days`: the activity whose answer says most about the reach hypotheses, counted
    among the activities), and the learner kinds it reads."""

    knowledge: str
    probe_days: int = 0
    kinds: tuple[str, ...] = FILTER_KINDS


#: Reference policy name -> what it is (`policy_eval.run_policy` drives them). The probing
#: one plans where the greedy ones do not: its first 10 answers go to locating the junyi
#: learner's reach (the only hypotheses a filter has to locate).
FILTER_POLICIES: dict[str, FilterSpec] = {
    "model-filter": FilterSpec("learner"),
    "model-filter-population": FilterSpec("population"),
    "model-filter-independent": FilterSpec("independent"),
    "model-filter-population-probe": FilterSpec("population", 10, ("junyi",)),
}
_TINY = 1e-12


def check_knowledge(knowledge: str) -> None:
    """`ConfigError` unless `knowledge` is one of `KNOWLEDGE`."""
    if knowledge not in KNOWLEDGE:
        raise ConfigError(f"knowledge {knowledge!r}: expected one of {KNOWLEDGE}")


class ModelFilter(ABC):
    """Belief b[student, hypothesis, skill] = P(known); weights over hypotheses per student."""

    def __init__(
        self,
        sim: LearnerSimulator,
        prior: np.ndarray,
        prior_weight: np.ndarray,
        prerequisite: sparse.spmatrix,
        knowledge: str,
    ) -> None:
        """`prior` (n, H, S): P(known) at the start under each hypothesis; `prior_weight`
        (n, H): each hypothesis' prior probability."""
        self.sim = sim
        self.traits = _population(sim) if knowledge == "population" else _own(sim)
        self.belief = np.asarray(prior, dtype=np.float64)
        prior_weight = np.asarray(prior_weight, dtype=np.float64)
        if knowledge == "independent":  # every skill on its own: the hypotheses' mixture
            marginal = np.einsum("nh,nhs->ns", prior_weight, self.belief)[:, None, :]
            self.belief, prior_weight = marginal, np.ones((len(marginal), 1))
        with np.errstate(divide="ignore"):
            self.log_weight = np.log(prior_weight)
        #: [k, j] = 1 where skill j is a direct prerequisite of skill k
        self.prerequisite = sparse.csr_matrix(prerequisite, dtype=np.float64)
        self.n_prerequisites = np.asarray(self.prerequisite.sum(axis=1)).ravel()
        self.skill_of = sim._act_codes[:, 0].astype(np.int64)
        self.probe_days, self.days_picked = 0, 0
        #: the activities a filter may serve: those of one skill (see the module docstring)
        self.single_skill = sim._act_nskills == 1

    # -- what the model says of one (student, activity) pair ----------------------------------
    @abstractmethod
    def outcome_model(
        self, stu: np.ndarray, act: np.ndarray, prereq: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        """(P(right | known), P(right | unknown), P(complete | known), P(complete | unknown),
        P(learn | completed practice)) of each pair, given `prereq` (n_pairs, H): the belief
        that the skill's prerequisites are known (as the model's gate reads them)."""

    @abstractmethod
    def prerequisite_beliefs(self, stu: np.ndarray) -> np.ndarray:
        """(len(stu), H, S) the prerequisite reading of every skill that `outcome_model` takes
        (one sparse product over the graph per call)."""

    # -- filtering ---------------------------------------------------------------------------
    def absorb(self, stu: np.ndarray, act: np.ndarray, correct: np.ndarray, done: np.ndarray):
        """One outcome per pair (a student at most once): Bayes' rule, then the practice's
        learning (a completed practice of an unknown skill teaches it with P(learn))."""
        stu, act = np.asarray(stu, np.int64), np.asarray(act, np.int64)
        if not len(stu):
            return
        if len(np.unique(stu)) < len(stu) or not self.single_skill[act].all():
            raise ConfigError("absorb: one single-skill outcome per student at a time")
        skill = self.skill_of[act]
        prereq = self.prerequisite_beliefs(stu)[np.arange(len(stu)), :, skill]
        pk, pu, ck, cu, learn = (x[:, None] for x in self.outcome_model(stu, act, prereq))
        right = np.asarray(correct, bool)[:, None]
        done = np.asarray(done, bool)[:, None]
        like_known = np.where(done, ck * np.where(right, pk, 1 - pk), 1 - ck)
        like_unknown = np.where(done, cu * np.where(right, pu, 1 - pu), 1 - cu)
        b = self.belief[stu, :, skill]
        evidence = b * like_known + (1 - b) * like_unknown
        b = b * like_known / np.maximum(evidence, _TINY)
        b = b + (1 - b) * np.where(done, learn * self.gate(prereq), 0.0)
        self.belief[stu, :, skill] = b
        self.log_weight[stu] += np.log(np.maximum(evidence, _TINY))

    def absorb_responses(self, responses: Responses) -> None:
        """A log of completed answers (a cohort's warm-up), day by day; an answer on a
        two-skill activity (a warm-up's fallback for a skill without a practice of its own) is
        not read: the filter's model reads one skill an activity."""
        for day in np.unique(responses.day):
            at = (responses.day == day) & self.single_skill[responses.activity]
            self.absorb(responses.student[at], responses.activity[at], responses.correct[at],
                        np.ones(int(at.sum()), bool))  # fmt: skip

    def gate(self, prereq: np.ndarray) -> np.ndarray:
        """How much of the learn rate the prerequisites let through (1: all)."""
        return prereq

    def weights(self, stu: np.ndarray) -> np.ndarray:
        lw = self.log_weight[stu]
        w = np.exp(lw - lw.max(axis=1, keepdims=True))
        return w / w.sum(axis=1, keepdims=True)

    def p_known(self) -> np.ndarray:
        """(n, S) the belief each skill is known, over the hypotheses."""
        rows = np.arange(self.belief.shape[0])
        return np.einsum("nh,nhs->ns", self.weights(rows), self.belief)

    # -- choosing ----------------------------------------------------------------------------
    def picks(self, allowed: np.ndarray, chunk: int = 200) -> np.ndarray:
        """One activity per student (-1: none allowed): the highest expected learning, or, on
        the first `probe_days` calls, the most expected information about the hypotheses."""
        self.days_picked += 1
        probing = self.days_picked <= self.probe_days
        n = allowed.shape[0]
        allowed = allowed & self.single_skill[None, :]
        out = np.full(n, -1, np.int64)
        for lo in range(0, n, chunk):
            stu = np.arange(lo, min(n, lo + chunk))
            r, act = np.nonzero(allowed[stu])
            if not len(r):
                continue
            rows, skill = stu[r], self.skill_of[act]
            prereq = self.prerequisite_beliefs(stu)[r, :, skill]
            pk, pu, _, cu, learn = self.outcome_model(rows, act, prereq)
            belief, weight = self.belief[rows, :, skill], self.weights(rows)
            if probing:
                right = belief * pk[:, None] + (1 - belief) * pu[:, None]  # under each one
                score = information(weight, right) * cu
            else:
                gain = (weight * (1 - belief) * self.gate(prereq)).sum(axis=1)
                score = gain * cu * learn
            order = np.lexsort((-score, r))
            first = np.r_[True, r[order][1:] != r[order][:-1]]
            out[rows[order][first]] = act[order][first]
        return out


def information(weight: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Expected drop in the entropy (nats) of each row's hypothesis weights (r, H) from one
    answer that is right with P `right` (r, H) under each hypothesis."""

    def entropy(w: np.ndarray) -> np.ndarray:
        return -(w * np.log(np.maximum(w, _TINY))).sum(axis=1)

    p_right = (weight * right).sum(axis=1, keepdims=True)
    if_right = weight * right / np.maximum(p_right, _TINY)
    if_wrong = weight * (1 - right) / np.maximum(1 - p_right, _TINY)
    expected = p_right[:, 0] * entropy(if_right) + (1 - p_right[:, 0]) * entropy(if_wrong)
    return entropy(weight) - expected


class GraphFilter(ModelFilter):
    """The junyi learners: a depth reach (6 hypotheses inside the student's prior grade), known
    skills answered at sigmoid(x + shift), unknown at floor + (1 - floor) sigmoid(x - shift),
    learning only once every direct prerequisite is known, fastest at difficulty = ability."""

    def __init__(self, sim, prerequisite, knowledge: str) -> None:
        from adaptive.simulation.junyi import DEPTHS_PER_GRADE

        check_knowledge(knowledge)
        if sim.grades is None:
            raise ConfigError("a graph model filter needs learners drawn with grades")
        # reach hypotheses: the deepest known level, one per depth level of the prior grade
        # (a low-prior student's is a grade lower: known, or as its population share)
        levels = np.arange(DEPTHS_PER_GRADE)
        if knowledge == "population":
            share = sim.learning.low_prior_fraction
            lowered = np.stack([sim.grades - 1.0, sim.grades], axis=1)
            chance = np.repeat([[share, 1.0 - share]], len(sim.grades), axis=0)
        else:
            lowered = (sim.grades - np.where(sim.low_prior, 1.0, 0.0))[:, None]
            chance = np.ones_like(lowered)
        first = (np.maximum(lowered, 1.0) - 1.0) * DEPTHS_PER_GRADE  # (n, G)
        deepest = (first[:, :, None] + levels).reshape(len(first), -1)  # (n, G * 6)
        weight = np.repeat(chance / DEPTHS_PER_GRADE, DEPTHS_PER_GRADE, axis=1)
        known = sim.depth[None, None, :] <= deepest[:, :, None]
        prior = np.where(known, 1.0 - sim.prior_gap, 0.0)
        super().__init__(sim, prior, weight, prerequisite, knowledge)

    def prerequisite_beliefs(self, stu):
        """P(every direct prerequisite known) under each hypothesis (independent, mean field)."""
        r, h, s = len(stu), *self.belief.shape[1:]
        log_b = np.log(np.maximum(self.belief[stu], _TINY)).reshape(r * h, s)
        return np.exp(np.asarray(self.prerequisite @ log_b.T).T).reshape(r, h, s)

    def outcome_model(self, stu, act, prereq):
        sim, t = self.sim, self.traits
        skill = self.skill_of[act]
        difficulty = sim._act_difficulty[act]
        pk, pu = sim.answer_model(t.ability[stu], skill, difficulty)
        fit = sim.difficulty_fit(difficulty, t.ability[stu])
        learn = t.p_learn[skill] * t.learn_rate[stu] * fit * sim._act_learning[act]
        base = t.engagement_base[stu]
        return (pk, pu, sim.completion(base, stu, act, pk), sim.completion(base, stu, act, pu),
                np.clip(learn, 0.0, 1.0))  # fmt: skip


class DistrictFilter(ModelFilter):
    """The bkt and prerequisite learners: each skill known at the start with the district's
    grade table's chance (a quarter for low-prior students), answered through the skill's
    guess and slip shifted by the activity's difficulty; prerequisites slow learning (bkt) or
    nearly stop it and weaken answers (prerequisite). One hypothesis: no reach to infer."""

    def __init__(self, sim, prerequisite, knowledge: str, grades: np.ndarray, catalog) -> None:
        from adaptive.simulation.district import prior_mastery_by_grade

        check_knowledge(knowledge)
        lp = sim.learning
        if knowledge == "population":  # the low-prior share, not the student's flag
            factor = np.full(
                (sim.n_students, 1), 1.0 - lp.low_prior_fraction * (1.0 - lp.low_prior_factor)
            )
        else:
            factor = np.where(sim.low_prior, lp.low_prior_factor, 1.0)[:, None]
        prior = prior_mastery_by_grade(catalog, np.asarray(grades)).astype(np.float64) * factor
        one = np.ones((sim.n_students, 1))
        super().__init__(sim, prior[:, None, :], one, prerequisite, knowledge)
        self.gated = sim.kind == "prerequisite"

    def prerequisite_beliefs(self, stu):
        """The expected share of each skill's direct prerequisites known (1 without any)."""
        r, h, s = len(stu), *self.belief.shape[1:]
        total = np.asarray(self.prerequisite @ self.belief[stu].reshape(r * h, s).T).T
        count = self.n_prerequisites[None, :]
        return np.where(count > 0, total / np.maximum(count, 1), 1.0).reshape(r, h, s)

    def gate(self, prereq):
        sim = self.sim
        if self.gated:
            return sim.prereq_floor + (1 - sim.prereq_floor) * prereq**2
        return 1 - sim.prereq_weight + sim.prereq_weight * prereq

    def outcome_model(self, stu, act, prereq):
        sim, t = self.sim, self.traits
        skill = self.skill_of[act]
        difficulty = sim._act_difficulty[act]
        share = prereq.mean(axis=1)
        effective = share + (1 - share) * 0.5 if self.gated else np.ones(len(stu))
        pk = sim._answer(effective, skill, difficulty)
        pu = sim._answer(np.zeros(len(stu)), skill, difficulty)
        fit = sim._learning_fit(stu, act, pu)  # learning happens from the unknown state
        learn = t.p_learn[skill] * t.learn_rate[stu] * fit * sim._act_learning[act]
        base = t.engagement_base[stu]
        return (pk, pu, sim.completion(base, stu, act, pk), sim.completion(base, stu, act, pu),
                np.clip(learn, 0.0, 1.0))  # fmt: skip


def _own(sim: LearnerSimulator) -> SimpleNamespace:
    """Every student's own traits and every skill's own learn rate."""
    return SimpleNamespace(ability=sim.ability, learn_rate=sim.learn_rate,
                           engagement_base=sim.engagement_base, p_learn=sim.p_learn)  # fmt: skip


def _population(sim: LearnerSimulator) -> SimpleNamespace:
    """Every student's traits and every skill's learn rate at the population mean."""
    n = sim.n_students
    return SimpleNamespace(
        ability=np.full(n, float(np.mean(sim.ability))),
        learn_rate=np.full(n, float(np.mean(sim.learn_rate))),
        engagement_base=np.full(n, float(np.mean(sim.engagement_base))),
        p_learn=np.full(sim.n_skills, float(np.mean(sim.p_learn))),
    )


def model_filter(
    sim: LearnerSimulator, cohort, spec: FilterSpec | str, prerequisite: sparse.spmatrix
) -> ModelFilter:
    """The model filter of a cohort's simulator, its warm-up answers absorbed (`spec`: a
    `FilterSpec`, or a knowledge alone)."""
    spec = FilterSpec(spec) if isinstance(spec, str) else spec
    if sim.kind not in spec.kinds:
        raise ConfigError(
            f"a model filter reads the {sim.kind!r} learners' model: expected one of "
            f"{spec.kinds} (binary knowledge)"
        )
    if sim.kind == "junyi":
        bound: ModelFilter = GraphFilter(sim, prerequisite, spec.knowledge)
    else:
        bound = DistrictFilter(sim, prerequisite, spec.knowledge, cohort.grade, cohort.catalog)
    bound.probe_days = spec.probe_days
    if len(cohort.warm):
        bound.absorb_responses(cohort.warm)
    return bound
