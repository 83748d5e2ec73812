"""The logistic family of knowledge tracers: IRT, PFA and Best-LR (scikit-learn on sparse features).

Each model is one L2 `LogisticRegression` over the count features of `adaptive.tracing.features`,
fitted with the Newton-CG solver (sparse Hessian-vector products: it converges in a few
iterations where lbfgs needed hundreds on these features, 14x faster on ASSIST2009);
they differ only in which feature blocks they use:

* `IRT` - item difficulty + an *online* student ability (1PL/Rasch; `discrimination=True` adds a
  per-item slope on ability, 2PL-style).
* `PFA` - Performance Factors Analysis (Pavlik et al. 2009): per-skill intercept plus per-skill
  counts of earlier successes and failures.
* `BestLR` - Best-LR of Gervet et al. (2020): item and skill one-hots, per-skill and total
  counts of earlier attempts and wins, and DAS3H-style time-window counts (Choffin et al. 2019)
  when the log has timestamps.

**Student ability without leakage (IRT).** A Rasch model fitted with one ability per training
student would use each student's *later* answers to predict earlier ones, and has nothing for a
new student. Instead, item difficulties are calibrated by a Rasch fit on the training students
(step 1), and a student's ability at each response is the one-step Newton (Laplace) estimate of
the MAP ability under a N(0, 1/`ability_prior`) prior, from their *earlier* responses only:

    theta_t = sum_{j<t} (y_j - p_j) / (sum_{j<t} p_j (1 - p_j) + ability_prior),  p_j = sigmoid(b_j)

Both sums are cumulative, so the estimate is vectorized in batch and two numbers per student
online. Step 2 fits item effects and the ability weight on `theta_t` itself, so training and
prediction see the same feature (train and new students are treated alike).

**Cold start.** A new student starts with zero counts and ability 0 (the population average).
An unseen item has no column: zero item effect (the intercept's average item; in IRT its prior
p is the step-1 average). Unseen skills contribute no skill features.

**Mastery.** `predict_skill_proba(state)[:, k]` = P(correct) on a *typical item* of skill k now:
a response tagged with skill k alone whose item effect is the mean fitted effect of skill k's
training items. `mastery(state)[:, k]` is the latent state, not that P(correct): P(known) of a
standard BKT fitted on the same training log at `fit`, traced in the same state and saved with
the model (`adaptive.tracing.calibration`, shared with the deep models).

Multi-skill responses: every tagged skill gets its one-hot and counts (summed in the logit), as in
PFA; a multi-skill response counts as an attempt of each of its skills. With `skill_sets=True`
(PFA and Best-LR) each combination of skills seen on a training response is also a knowledge
component of its own (a conjunctive KC): its own intercept and counts, added to those of its
single skills, so that an item needing two skills together can be harder (or easier) than the
sum of its parts says. Single-skill responses, and logs without multi-skill responses, are
unchanged; `mastery` stays per single skill. A combination never seen in training adds nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from adaptive.data.log import Response, ResponseLog
from adaptive.errors import ConfigError, DataValidationError, Problem
from adaptive.records import Range
from adaptive.tracing.base import (
    KnowledgeTracer,
    TracingState,
    index_codes,
    require_log,
    require_responses,
)
from adaptive.tracing.calibration import LatentMastery, LatentMasteryMixin
from adaptive.tracing.features import (
    NS_PER_S,
    TRANSFORMS,
    BatchInput,
    FeatureLayout,
    RoundInput,
    absorb,
    batch_counts,
    decision,
    design_matrix,
    sigmoid,
    skill_decision,
    state_arrays,
    state_counts,
    update_one,
)
from adaptive.tracing.specs import WHOLE, ParamsRefused, value_problems

DAS3H_WINDOWS = (3600, 86400, 7 * 86400, 30 * 86400)  # 1 hour, 1 day, 1 week, 30 days
#: The numeric knobs and their valid values (a model checks those it has).
LOGISTIC_RANGES = {
    "C": Range(0.0, low_open=True, what="a regularization strength"),
    "max_iter": WHOLE,
    "history": WHOLE,
}


def skill_set_codes(log: ResponseLog) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """(set of each response, the distinct sets): each multi-skill response's set of skills.

    A set is the sorted tuple of its skill ids; `set_of_row` indexes the returned list, -1 for a
    single-skill response. Vectorized: the sorted skill codes of the multi-skill responses, as
    rows of a padded matrix, are made unique once.
    """
    n_per = np.diff(log.skill_offsets)
    set_of_row = np.full(len(log), -1, dtype=np.int64)
    multi = np.flatnonzero(n_per > 1)
    if len(multi) == 0:
        return set_of_row, []
    sizes = n_per[multi]
    row = np.repeat(np.arange(len(multi)), sizes)  # among the multi-skill responses
    slot = np.arange(len(row)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    codes = log.skill[log.skill_offsets[multi][row] + slot]
    codes = codes[np.lexsort((codes, row))]  # sorted within each response
    matrix = np.full((len(multi), int(sizes.max())), -1, dtype=np.int64)
    matrix[row, slot] = codes
    unique, inverse = np.unique(matrix, axis=0, return_inverse=True)
    set_of_row[multi] = inverse.ravel()
    names = np.asarray(log.skills.astype(str), dtype=object)
    return set_of_row, [tuple(sorted(names[u[u >= 0]])) for u in unique]


class LogisticTracer(LatentMasteryMixin, KnowledgeTracer):
    """Shared machinery: fit one logistic regression, predict in batch or online from counts."""

    name: ClassVar[str]
    C: float
    max_iter: int
    ability_prior: float = 1.0
    skill_sets: bool = False

    # -- what subclasses choose -------------------------------------------------------------------
    def _layout(self, n_items: int, n_skills: int, windows: tuple[int, ...]) -> FeatureLayout:
        raise NotImplementedError

    def _wants_windows(self) -> tuple[int, ...]:
        return ()

    def _calibrate(self, log: ResponseLog, item: np.ndarray) -> None:
        """Extra fitting before the main regression (IRT: item priors). Default: none."""

    def _item_logit0(self, item: np.ndarray) -> np.ndarray | None:
        return None

    # -- fitting ----------------------------------------------------------------------------------
    def check_params(self) -> None:
        """Refuse hyperparameters this model cannot be fitted with, before any data is read: one
        `ParamsRefused` (a `ConfigError` and a `ValueError`) naming every wrong one with its
        value, in a spec's words, as BKT's and the deep models' ("PFA: C = -1 (expected a
        regularization strength > 0); transform = 'x' (expected 'log1p' or 'none')"). Each
        model's constructor runs it, and `set_params`."""
        try:
            self._check_values()
        except ConfigError as exc:
            raise ParamsRefused(type(self).__name__, str(exc)) from None

    def _check_values(self) -> None:
        """Each knob's type (`discrimination = "yes"` was read as true) and value
        (`value_problems`), then this model's own (`_own_problems`: Best-LR's windows), all
        named in one `ConfigError`. Where every knob passed, the feature layout is built on a
        one-item, one-skill vocabulary, so that whatever it would still refuse is named here,
        not mid-fit."""
        wrong = value_problems(self, LOGISTIC_RANGES, {"transform": TRANSFORMS})
        problems = list(wrong.values()) + self._own_problems()
        if not problems:
            try:
                self._layout(1, 1, self._wants_windows())
            except (ConfigError, ValueError, TypeError) as exc:
                problems.append(str(exc))
        if problems:
            raise ConfigError("; ".join(problems))

    def _own_problems(self) -> list[str]:
        """What else is wrong with this model's knobs (none here; Best-LR: its windows)."""
        return []

    def _regression(self) -> LogisticRegression:
        """The L2 logistic regression every fit of this model runs (see the module docstring)."""
        return LogisticRegression(C=self.C, max_iter=self.max_iter, solver="newton-cg")

    def fit(self, log: ResponseLog) -> Self:
        """Fit the logistic regression on every response of `log` (features from earlier ones)."""
        require_log(log, "fit")
        require_responses(log, type(self).__name__)
        if len(np.unique(log.correct)) < 2:
            raise DataValidationError(
                [
                    Problem(
                        log.source,
                        None,
                        "correct",
                        str(int(log.correct[0])),
                        "both correct and incorrect responses to fit a logistic model",
                    )
                ]
            )
        self.items_ = pd.Index(log.items, name="item_id")
        self.skills_ = pd.Index(log.skills, name="skill_id")
        self.windows_ = self._wants_windows() if log.has_timestamps else ()
        self.skill_sets_ = skill_set_codes(log)[1] if self.skill_sets else []
        self._set_codes = None
        item = np.arange(len(self.items_), dtype=np.int64)[log.item]
        self._calibrate(log, item)
        self.layout_ = self._layout(len(self.items_), self.n_kcs_, self.windows_)
        counts = batch_counts(self.layout_, self._batch_input(log), self.ability_prior)
        x = design_matrix(self.layout_, counts)
        lr = self._regression()
        lr.fit(x, log.correct.astype(np.int64))
        self.coef_ = lr.coef_.ravel().astype(np.float64)
        self.intercept_ = float(lr.intercept_[0])
        self._typical_items(log)
        self.latent_ = LatentMastery.fit(log, self.skills_)
        self._finish_fit(log)
        return self

    def _typical_items(self, log: ResponseLog) -> None:
        """Mean fitted item effect (and 2PL slope) over each skill's training items."""
        k, lay = len(self.skills_), self.layout_
        rows, skill = log.exploded()
        pairs = np.unique(log.item[rows].astype(np.int64) * k + skill)
        p_item, p_skill = pairs // k, pairs % k
        n_per_skill = np.maximum(np.bincount(p_skill, minlength=k), 1)

        def mean_effect(block: str) -> np.ndarray:
            eff = self.coef_[lay.offset(block) + p_item]
            return np.bincount(p_skill, weights=eff, minlength=k) / n_per_skill

        self.typical_item_ = mean_effect("item") if lay.items else np.zeros(k)
        self.typical_disc_ = mean_effect("disc") if lay.discrimination else np.zeros(k)

    @property
    def n_kcs_(self) -> int:
        """Knowledge components with features: the single skills, then the skill sets."""
        return len(self.skills_) + len(self.skill_sets_)

    def _kc_pairs(self, log: ResponseLog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(offsets, grouping code, fitted KC code) of every (response, KC) pair of `log`.

        The pairs are the response's skills, then, for a multi-skill response when the model
        uses skill sets, one pair for its set (fitted code `len(skills_) + set`, -1 if unseen).
        Grouping codes are the log's own (skills, then `len(log.skills) + set`), so counts of
        KCs unseen at fit still group correctly.
        """
        offsets, group = log.skill_offsets, log.skill.astype(np.int64)
        fitted = index_codes(self.skills_, log.skills)[log.skill]
        if not self.skill_sets_:
            return offsets, group, fitted
        set_of_row, sets = skill_set_codes(log)
        codes = self._set_code_map()
        set_fitted = np.array([codes.get(s, -1) for s in sets], dtype=np.int64)
        rows = np.flatnonzero(set_of_row >= 0)
        before = np.zeros(len(log) + 1, dtype=np.int64)  # set pairs before each response
        before[rows + 1] = 1
        before = np.cumsum(before)
        new_offsets = offsets + before
        old_pos = np.arange(len(group)) + before[np.repeat(np.arange(len(log)), np.diff(offsets))]
        set_pos = new_offsets[rows + 1] - 1
        new_group = np.empty(new_offsets[-1], dtype=np.int64)
        new_fitted = np.empty(new_offsets[-1], dtype=np.int64)
        new_group[old_pos], new_fitted[old_pos] = group, fitted
        new_group[set_pos] = len(log.skills) + set_of_row[rows]
        code = set_fitted[set_of_row[rows]]
        new_fitted[set_pos] = np.where(code >= 0, len(self.skills_) + code, -1)
        return new_offsets, new_group, new_fitted

    def _set_code_map(self) -> dict[tuple[str, ...], int]:
        if getattr(self, "_set_codes", None) is None:
            self._set_codes = {s: i for i, s in enumerate(self.skill_sets_)}
        return self._set_codes

    def _batch_input(self, log: ResponseLog) -> BatchInput:
        item = index_codes(self.items_, log.items)[log.item]
        offsets, group, fitted = self._kc_pairs(log)
        return BatchInput(
            student=log.student,
            item=item,
            correct=log.correct,
            skill_offsets=offsets,
            pair_group_skill=group,
            pair_skill=fitted,
            time_s=self._seconds(log) if self.windows_ else None,
            item_logit0=self._item_logit0(item),
        )

    def _seconds(self, log: ResponseLog) -> np.ndarray:
        if not log.has_timestamps:
            raise DataValidationError(
                [
                    Problem(
                        log.source,
                        None,
                        "timestamp",
                        None,
                        f"timestamps: this {self.name} model was fitted with time-window features",
                    )
                ]
            )
        return log.time // NS_PER_S

    # -- batch prediction -------------------------------------------------------------------------
    @property
    def uses_items(self) -> bool:
        """True where the features hold item effects (IRT, Best-LR; not PFA)."""
        layout = getattr(self, "layout_", None)
        return layout is not None and layout.items

    def _predict_proba(self, log: ResponseLog) -> np.ndarray:
        """P(correct) for every response from that student's earlier responses only."""
        if len(log) == 0:
            return np.zeros(0)
        counts = batch_counts(self.layout_, self._batch_input(log), self.ability_prior)
        return sigmoid(decision(self.layout_, counts, self.coef_, self.intercept_))

    # -- online state -----------------------------------------------------------------------------
    def _initial_row(self) -> dict[str, np.ndarray]:
        """Zero counts (and ability 0) for a new student."""
        return state_arrays(self.layout_)

    def _update(self, state: TracingState, responses: ResponseLog, rows: np.ndarray) -> np.ndarray:
        """Predict then absorb each response, in time order per student; returns the predictions."""
        log = responses
        if len(log) == 0:
            return np.zeros(0)
        rows = rows[log.student]
        item = index_codes(self.items_, log.items)[log.item]
        offsets, _, skill = self._kc_pairs(log)
        time_s = self._seconds(log) if self.windows_ else None
        pos = log.position_in_student()
        return self._update_arrays(state, rows, item, log.correct, offsets, skill, time_s, pos)

    def _update_one(self, state: TracingState, r: Response) -> float:
        """One `Response`: dictionary look-ups and scalar code (no pandas, no per-call arrays)."""
        row = state.row(r.student_id)
        if row is None:
            state.add_students([r.student_id], self._state_row())
            row = state.row(r.student_id)
        items, skills = self._lookups()
        item = items.get(r.item_id, -1)
        time_s = None
        if self.windows_:  # a Response without a timestamp happened now (UTC)
            stamp = r.timestamp if r.timestamp is not None else pd.Timestamp.now(tz="UTC")
            time_s = pd.Timestamp(stamp).value // NS_PER_S
        logit0 = getattr(self, "item_logit0_", None)
        if logit0 is not None:
            logit0 = float(logit0[item]) if item >= 0 else self.base_logit0_
        kcs = [skills.get(s, -1) for s in r.skill_ids]
        if self.skill_sets_ and len(r.skill_ids) > 1:
            code = self._set_code_map().get(tuple(sorted(str(s) for s in r.skill_ids)), -1)
            kcs.append(len(self.skills_) + code if code >= 0 else -1)
        return update_one(
            self.layout_, state.arrays, self.coef_, self.intercept_, row, item,
            kcs, int(r.correct), time_s, logit0, self.ability_prior,
        )  # fmt: skip

    def _lookups(self) -> tuple[dict[str, int], dict[str, int]]:
        cache = getattr(self, "_lookup_cache", None)
        if cache is None or cache[2] is not self.items_:
            items = {s: i for i, s in enumerate(self.items_)}
            skills = {s: i for i, s in enumerate(self.skills_)}
            cache = self._lookup_cache = (items, skills, self.items_)
        return cache[0], cache[1]

    def _update_arrays(
        self,
        state: TracingState,
        rows: np.ndarray,
        item: np.ndarray,
        correct: np.ndarray,
        offsets: np.ndarray,
        skill: np.ndarray,
        time_s: np.ndarray | None,
        pos: np.ndarray,
    ) -> np.ndarray:
        """Rounds by position within student: all students' r-th responses together."""
        lay, arrays = self.layout_, state.arrays
        logit0 = self._item_logit0(item)
        out = np.empty(len(rows))
        order = np.argsort(pos, kind="stable")
        bounds = np.searchsorted(pos[order], np.arange(int(pos.max()) + 2))
        lens = np.diff(offsets)
        for r in range(len(bounds) - 1):
            idx = order[bounds[r] : bounds[r + 1]]
            n_pairs = lens[idx]
            starts = offsets[idx]
            pair_row = np.repeat(np.arange(len(idx)), n_pairs)
            first = np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
            rank = np.arange(len(pair_row)) - first
            pair = starts[pair_row] + rank
            rnd = RoundInput(
                row=rows[idx],
                item=item[idx],
                correct=correct[idx],
                pair_row=pair_row,
                pair_skill=skill[pair],
                time_s=None if time_s is None else time_s[idx],
                item_logit0=None if logit0 is None else logit0[idx],
            )
            counts = state_counts(lay, arrays, rnd, self.ability_prior)
            out[idx] = sigmoid(decision(lay, counts, self.coef_, self.intercept_))
            absorb(lay, arrays, rnd, rank)
        return out

    def _skill_proba(self, state: TracingState, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_skills) P(correct) on a typical item of each skill (see module doc)."""
        n_sets = len(self.skill_sets_)  # a typical item of a single skill: no set KC
        z = skill_decision(
            self.layout_,
            {k: v[rows] for k, v in state.arrays.items()},
            self.coef_,
            self.intercept_,
            np.pad(self.typical_item_, (0, n_sets)),
            np.pad(self.typical_disc_, (0, n_sets)),
            self.ability_prior,
        )
        return sigmoid(z[:, : len(self.skills_)])

    # -- artifacts --------------------------------------------------------------------------------
    def _fitted_arrays(self) -> dict[str, np.ndarray]:
        return {
            "coef": self.coef_,
            "intercept": np.array([self.intercept_]),
            "typical_item": self.typical_item_,
            "typical_disc": self.typical_disc_,
            **self.latent_.arrays(),
        }

    def _fitted_json(self) -> dict[str, Any]:
        return {
            "latent": self.latent_.fitted_json(),
            "items": [str(i) for i in self.items_],
            "skills": [str(s) for s in self.skills_],
            "skill_sets": [list(s) for s in self.skill_sets_],
            "windows": list(self.windows_),
            "n_features": self.layout_.n_features,
        }

    def _restore(self, fitted: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        from adaptive.errors import ArtifactError

        try:
            self.items_ = pd.Index(fitted["items"], name="item_id", dtype=object)
            self.skills_ = pd.Index(fitted["skills"], name="skill_id", dtype=object)
            self.windows_ = tuple(int(w) for w in fitted["windows"])
            self.skill_sets_ = [tuple(str(k) for k in s) for s in fitted.get("skill_sets", [])]
            self._set_codes = None
            self.layout_ = self._layout(len(self.items_), self.n_kcs_, self.windows_)
            self.coef_ = np.asarray(arrays["coef"], dtype=np.float64)
            self.intercept_ = float(arrays["intercept"][0])
            self.typical_item_ = np.asarray(arrays["typical_item"], dtype=np.float64)
            self.typical_disc_ = np.asarray(arrays["typical_disc"], dtype=np.float64)
            self.latent_ = LatentMastery.restore(arrays, fitted.get("latent"), self.skills_)
            self._restore_extra(arrays)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ArtifactError(
                f"{self.name} artifact is incomplete or inconsistent: {exc}"
            ) from exc
        k = len(self.skills_)
        if (
            self.coef_.shape != (self.layout_.n_features,)
            or fitted.get("n_features") != self.layout_.n_features
            or self.typical_item_.shape != (k,)
            or self.typical_disc_.shape != (k,)
        ):
            raise ArtifactError(
                f"{self.name} artifact: coefficient shapes do not match its vocabularies "
                f"(expected {self.layout_.n_features} coefficients and {k} skills)"
            )

    def _restore_extra(self, arrays: dict[str, np.ndarray]) -> None:
        """Subclass-specific arrays (IRT: item priors)."""


class IRT(LogisticTracer):
    """Item response theory with an online ability estimate (1PL/Rasch; 2PL-style option).

    P(correct) = sigmoid(intercept + beta_item + (a + a_item) * theta_t), where theta_t is the
    student's ability estimated from their earlier responses only (see the module docstring);
    `a_item` exists only with `discrimination=True`.

    Parameters
    ----------
    C : inverse L2 regularization strength of both regressions.
    discrimination : add a per-item slope on ability (2PL-style).
    ability_prior : precision of the N(0, 1/ability_prior) prior on ability (shrinkage of early
        estimates towards the population average).
    max_iter : Newton-CG iterations (it usually converges in under 20).
    """

    name = "irt"

    def __init__(
        self,
        C: float = 1.0,
        discrimination: bool = False,
        ability_prior: float = 1.0,
        max_iter: int = 1000,
    ) -> None:
        self.C = C
        self.discrimination = discrimination
        self.ability_prior = ability_prior
        self.max_iter = max_iter
        self.check_params()  # refused where it is written, not at `fit`

    def _layout(self, n_items: int, n_skills: int, windows: tuple[int, ...]) -> FeatureLayout:
        return FeatureLayout(
            n_items=n_items,
            n_skills=n_skills,
            items=True,
            ability=True,
            discrimination=bool(self.discrimination),
        )

    def _calibrate(self, log: ResponseLog, item: np.ndarray) -> None:
        """Step 1, Rasch calibration: student + item one-hots on the training students."""
        n, n_students, n_items = len(log), log.n_students, len(self.items_)
        rows = np.repeat(np.arange(n), 2)
        cols = np.column_stack([log.student, n_students + item]).ravel()
        x = sparse.csr_matrix((np.ones(2 * n), (rows, cols)), shape=(n, n_students + n_items))
        lr = self._regression()
        lr.fit(x, log.correct.astype(np.int64))
        intercept = float(lr.intercept_[0])
        self.item_logit0_ = intercept + lr.coef_.ravel()[n_students:]
        self.base_logit0_ = intercept

    def _item_logit0(self, item: np.ndarray) -> np.ndarray:
        safe = np.where(item >= 0, item, 0)
        return np.where(item >= 0, self.item_logit0_[safe], self.base_logit0_)

    def _fitted_arrays(self) -> dict[str, np.ndarray]:
        out = super()._fitted_arrays()
        out["item_logit0"] = self.item_logit0_
        out["base_logit0"] = np.array([self.base_logit0_])
        return out

    def _restore_extra(self, arrays: dict[str, np.ndarray]) -> None:
        self.item_logit0_ = np.asarray(arrays["item_logit0"], dtype=np.float64)
        self.base_logit0_ = float(arrays["base_logit0"][0])
        if self.item_logit0_.shape != (len(self.items_),):
            raise ValueError("item_logit0 does not match the item vocabulary")


class PFA(LogisticTracer):
    """Performance Factors Analysis: per-skill intercept + per-skill earlier successes/failures.

    Parameters
    ----------
    C : inverse L2 regularization strength.
    transform : "log1p" (log(1 + count), default) or "none" (raw counts, as in Pavlik 2009).
    skill_sets : each combination of skills on a multi-skill response is also a KC of its own
        (see the module docstring); no effect on logs whose responses have one skill each.
    max_iter : Newton-CG iterations (it usually converges in under 20).
    """

    name = "pfa"

    def __init__(
        self,
        C: float = 1.0,
        transform: str = "log1p",
        skill_sets: bool = True,
        max_iter: int = 1000,
    ) -> None:
        self.C = C
        self.transform = transform
        self.skill_sets = skill_sets
        self.max_iter = max_iter
        self.check_params()  # refused where it is written, not at `fit`

    def _layout(self, n_items: int, n_skills: int, windows: tuple[int, ...]) -> FeatureLayout:
        return FeatureLayout(
            n_items=n_items,
            n_skills=n_skills,
            skills=True,
            skill_counts="wins_fails",
            transform=self.transform,
        )


class BestLR(LogisticTracer):
    """Best-LR (Gervet et al. 2020) with DAS3H time windows where the log has timestamps.

    Features: item one-hot, skill multi-hot, per-skill attempts and wins, total attempts and wins
    (all counts through `transform`), and, when `time_windows` and the training log has
    timestamps, per-skill attempts and wins within each window of `windows` seconds, over the
    student's last `history` (response, skill) events.

    Parameters
    ----------
    C : inverse L2 regularization strength.
    transform : "log1p" (default) or "none".
    time_windows : use DAS3H window counts when timestamps exist.
    windows : window widths in seconds (default 1 hour, 1 day, 1 week, 30 days).
    history : events kept per student for the windows (the online ring buffer's length).
    skill_sets : each combination of skills on a multi-skill response is also a KC of its own
        (see the module docstring).
    max_iter : Newton-CG iterations (it usually converges in under 20).
    """

    name = "best-lr"

    def __init__(
        self,
        C: float = 1.0,
        transform: str = "log1p",
        time_windows: bool = True,
        windows: list[int] | None = None,
        history: int = 200,
        skill_sets: bool = True,
        max_iter: int = 1000,
    ) -> None:
        self.C = C
        self.transform = transform
        self.time_windows = time_windows
        self.windows = windows
        self.history = history
        self.skill_sets = skill_sets
        self.max_iter = max_iter
        self.check_params()  # refused where it is written, not at `fit`

    def _own_problems(self) -> list[str]:
        """`windows`: a list of widths in seconds, each a whole number >= 1 (`windows = 1.5`
        reached `tuple(...)` as "'float' object is not iterable"); None or an empty list
        stands for DAS3H's widths."""
        windows = self.windows
        if windows is None or (
            isinstance(windows, list | tuple) and all(WHOLE.admits(w) for w in windows)
        ):
            return []
        return [
            f"windows = {windows!r} (expected a list of widths in seconds, each {WHOLE.what} {WHOLE})"
        ]

    def _wants_windows(self) -> tuple[int, ...]:
        if not self.time_windows:
            return ()
        return tuple(int(w) for w in (self.windows or DAS3H_WINDOWS))

    def _layout(self, n_items: int, n_skills: int, windows: tuple[int, ...]) -> FeatureLayout:
        return FeatureLayout(
            n_items=n_items,
            n_skills=n_skills,
            items=True,
            skills=True,
            skill_counts="attempts_wins",
            total_counts=True,
            windows=windows,
            history=self.history if windows else 0,
            transform=self.transform,
        )
