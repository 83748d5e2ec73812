"""Bayesian Knowledge Tracing (Corbett & Anderson 1995) with pyBKT's variants.

Per skill, a student either knows it or not (a hidden state); they answer right with
P = 1 - p_slip when they know it and p_guess when they do not, and learn it after each response
with p_learn (and, with `forgets`, lose it with p_forget). `BKT` fits these per-skill parameters
with our own vectorized EM (`fitter="native"`, see `bkt_engine`) or through pyBKT's C++ build
(`fitter="pybkt"`, see `bkt_pybkt`); predictions, online updates and artifacts always go through
our engine, so both fitters give the same kind of model.

Variants (as pyBKT defines them; all combinable with the native fitter):

* `forgets` - p_forget is learned (otherwise 0);
* `multigs` - p_guess / p_slip per item within a skill (KT-IDEM, Pardos & Heffernan 2011);
* `multilearn` - p_learn / p_forget per item just practised;
* `multiprior` - p_init per item a student meets first in the skill (the "first-item prior";
  pyBKT's default prior column is the first *answer*, which leaks; we use the item);
* `fixed` - parameters held fixed while fitting: `{"p_slip": 0.1}` for every skill or
  `{"p_guess": {"Fractions": 0.2}}` for some skills.

Item-level classes are estimated with `shrinkage` pseudo-observations at their skill's value
(MAP-EM): without it (maximum likelihood, as pyBKT) an item seen by one or two students gets an
extreme p_guess or p_init and the variants predict *worse* than standard BKT on new students.

Multi-skill responses: a response tagged with several skills is an observation of *each* of them
(every tagged skill's state is updated with the same answer, as pyBKT does on the duplicated
rows); its P(correct) combines the per-skill predictions by `multi_skill`: `"product"` (all skills
needed: conjunctive), `"min"` (the weakest skill decides), `"mean"` (default; the best AUC of the
three on ASSIST2009, see `experiments/results/30_bkt.md`).

Cold start: a new student starts every skill at p_init. An item never seen in training uses its
skill's parameters (the count-weighted average over the skill's item classes). A skill never
seen in training uses the population average of the per-skill parameters (weighted by training
responses) and is *not tracked*: the model has no state column for it, so each of its responses is
predicted as a first attempt, in `predict_proba` and `update` alike (refit to track it).

Online state (`TracingState` arrays): `p_known` (n_students, n_skills) = P(known) before the
student's next response in each skill (after the last learning transition), and `n_responses`
(n_students, n_skills) counts. `mastery(state)` is `p_known` (with `forgets`, without the
forgetting expected before the next practice: see `_mastery`). `update(state, Response)` is a
scalar path on Python floats (a few microseconds); `update(state, ResponseLog)` runs the same
vectorized forward pass as `predict_proba`, starting from the stored state.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Self

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog
from adaptive.data.codes import lookup_codes
from adaptive.data.log import Response, ResponseLog
from adaptive.errors import (
    ConfigError,
    CoverageWarning,
    FitWarning,
    counted,
    expect_type,
    some_of,
    unknown_key,
)
from adaptive.memo import IdentityMemo
from adaptive.records import Range
from adaptive.tracing.base import (
    KnowledgeTracer,
    TracingState,
    all_rows,
    index_codes,
    require_log,
    require_responses,
)
from adaptive.tracing.bkt_engine import (
    PARAMS,
    ClassMap,
    EMResult,
    SequenceLayout,
    build_layout,
    filter_classes,
    fit_em,
)
from adaptive.tracing.bkt_pybkt import ClassKeys, fit_pybkt_model, pybkt_frame, read_classes
from adaptive.tracing.bkt_tables import (
    FORGET,
    GUESS,
    INIT,
    LEARN,
    SLIP,
    BKTTables,
    population_average,
    weighted_by_skill,
)
from adaptive.tracing.leakage import TrainedStudents
from adaptive.tracing.specs import WHOLE, ParamsRefused, value_problems

MULTI_SKILL = ("mean", "product", "min")
FITTERS = ("native", "pybkt")
_PSEUDO = Range(0.0, what="pseudo-observations, a finite number")
#: The numeric settings and their valid values (`_check_values`).
BKT_RANGES = {
    "num_fits": WHOLE,
    "max_iter": WHOLE,
    "tol": Range(0.0, low_open=True, what="a number"),
    "shrinkage": _PSEUDO,
    "skill_shrinkage": _PSEUDO,
}
#: Default `skill_shrinkage` (pseudo-responses toward the population's parameters).
SKILL_SHRINKAGE = 10.0
_EPS = 1e-10  # guess/slip are kept in [eps, 1 - eps] so every prediction is strictly in (0, 1)


@dataclass(frozen=True)
class _Entries:
    """The (response, skill) pairs of a log, in `log.exploded()` order, with model codes."""

    student: np.ndarray
    skill: np.ndarray  # model skill code, -1 = never seen in training
    item: np.ndarray | None  # model item code, -1 = never seen in training; None: not asked for
    correct: np.ndarray
    seq_key: np.ndarray  # one sequence per (student, skill); unseen skills: one per entry
    log_skill: np.ndarray  # the log's skill code: groups the sequences for `build_layout`


class _Pass(NamedTuple):
    """A forward pass over a log's entries (see `BKT._run`)."""

    p: np.ndarray  # P(correct) of each entry, in `log.exploded()` order
    layout: SequenceLayout
    final: np.ndarray  # (n_seq,) P(known) after each sequence's last response, by rank
    tracked: np.ndarray  # sequences (ranks) of the skills the model tracks (none without a state)
    cells: np.ndarray  # their flat index in the state's (n_students, n_skills) arrays


@dataclass(frozen=True)
class _Classes:
    """Class of every entry for each parameter group, with the keys that name the classes."""

    keys: ClassKeys
    emit: np.ndarray
    trans: np.ndarray
    prior: np.ndarray
    emit_skill: np.ndarray
    trans_skill: np.ndarray
    prior_skill: np.ndarray
    emit_count: np.ndarray
    trans_count: np.ndarray
    prior_count: np.ndarray

    def skill_of(self, param: str) -> np.ndarray:
        """(classes,) the skill of each class of a parameter (`PARAMS`): the prior's classes,
        the transitions' (learn, forget) or the emissions' (guess, slip)."""
        if param == "p_init":
            return self.prior_skill
        return self.emit_skill if param in ("p_guess", "p_slip") else self.trans_skill


class BKT(KnowledgeTracer):
    """Bayesian Knowledge Tracing; see the module docstring for the model and its variants.

    Parameters
    ----------
    forgets, multigs, multilearn, multiprior : pyBKT's variants.
    fixed : parameters held fixed while fitting (`{"p_slip": 0.1}` or `{"p_guess": {skill: v}}`).
    fitter : "native" (our vectorized EM) or "pybkt" (pyBKT's C++ EM).
    num_fits : random restarts (the best per skill is kept).
    max_iter, tol : EM stops for a skill when its log-likelihood changes by less than `tol`.
    seed : seeds the restarts (both fitters).

    Fitted attributes: `skills_`, `items_`, `tables_` (`BKTTables`), `log_likelihood_` (on the
    training log), `n_iter_`, and with `fitter="pybkt"` the fitted `pybkt_model_` (not saved).
    multi_skill : how a multi-skill response's P(correct) combines its skills ("mean",
        "product", "min").
    shrinkage : pseudo-observations pulling each item-level class (multigs / multilearn /
        multiprior) toward its skill's pooled value: MAP-EM instead of maximum likelihood, so an
        item met by a handful of students does not get an extreme guess or prior. 0 = maximum
        likelihood, as pyBKT (which the "pybkt" fitter always does). No effect on standard BKT.
        Default 10, chosen on a validation split of ASSIST2009 *training* students (see
        `experiments/results/30_bkt.md`).
    skill_shrinkage : pseudo-responses pulling each skill's fitted parameters toward the
        population's (their response-weighted mean): a skill with n training responses keeps
        n / (n + skill_shrinkage) of its own values. A skill met by a handful of answers
        otherwise fits a degenerate model (a district's 9-response skill: P(init) 7e-19,
        P(learn) 1.0, P(guess) 4e-7, so the policy served it at P(correct) 4e-7). Skills with
        fewer training responses than it are named in a `FitWarning`. 0 = maximum likelihood
        (the "pybkt" fitter's parameters are never changed).

    Examples
    --------
    >>> from adaptive.tracing.bkt import BKT
    >>> model = BKT(forgets=True).fit(train_log)          # doctest: +SKIP
    >>> model.params_table().head()                       # doctest: +SKIP
    >>> state = model.init_state(); model.update(state, new_responses)  # doctest: +SKIP
    """

    name: ClassVar[str] = "bkt"

    def __init__(
        self,
        forgets: bool = False,
        multigs: bool = False,
        multilearn: bool = False,
        multiprior: bool = False,
        fixed: dict[str, Any] | None = None,
        fitter: str = "native",
        num_fits: int = 5,
        max_iter: int = 200,
        tol: float = 1e-2,
        seed: int = 0,
        multi_skill: str = "mean",
        shrinkage: float = 10.0,
        skill_shrinkage: float = SKILL_SHRINKAGE,
    ) -> None:
        self.forgets = forgets
        self.multigs = multigs
        self.multilearn = multilearn
        self.multiprior = multiprior
        self.fixed = fixed
        self.fitter = fitter
        self.num_fits = num_fits
        self.max_iter = max_iter
        self.tol = tol
        self.seed = seed
        self.multi_skill = multi_skill
        self.shrinkage = shrinkage
        self.skill_shrinkage = skill_shrinkage
        self.check_params()  # `BKT(forgets="no")` was read as forgets=True without a word

    # -- fitting ----------
    def fit(self, log: ResponseLog, catalog: Catalog | None = None) -> Self:
        """Fit per-skill (and item-class) parameters on `log`; returns self.

        With a `catalog`, its skills the log never mentions get parameters too
        (`extend_skills`), so that a student's answers on them are traced like any other's.
        """
        require_log(log, "fit")
        expect_type(catalog, (Catalog, type(None)), "catalog", "Catalog.from_json(path)")
        self._fit(log)
        if catalog is not None:
            self.extend_skills(catalog)
        self._finish_fit(log)
        return self

    def _fit(self, log: ResponseLog) -> Self:
        entries, classes = self._prepare(log)
        fixed = self._fixed_arrays(classes)
        if self.fitter == "pybkt":
            frame = pybkt_frame(entries.student, entries.skill, entries.item, entries.correct)
            pybkt_model = fit_pybkt_model(
                frame,
                classes.keys,
                forgets=bool(self.forgets),
                fixed=fixed,
                num_fits=int(self.num_fits),
                seed=int(self.seed),
            )
            return self._import(pybkt_model, log, entries, classes)
        result = self._em(entries, classes, fixed)
        values = {name: getattr(result, name) for name in PARAMS}
        self.n_iter_ = int(result.n_iter)
        relabelled = None
        if self.forgets:
            relabelled = self._relabel_inverted(values, entries, classes, fixed)
        refit = self._refit_inverted(values, entries, classes, fixed)
        return self._finish(values, classes, entries, log, refit, relabelled)

    def _em(
        self,
        entries: _Entries,
        classes: _Classes,
        fixed: dict[str, np.ndarray],
        only: np.ndarray | None = None,
    ) -> EMResult:
        """EM over the entries (`only`: those where True; other skills keep their start)."""
        pick = slice(None) if only is None else only
        return fit_em(
            entries.seq_key[pick],
            entries.correct[pick],
            ClassMap(
                classes.emit[pick],
                classes.trans[pick],
                classes.prior[pick],
                entries.skill[pick],
                classes.emit_skill,
                classes.trans_skill,
                classes.prior_skill,
                len(self.skills_),
            ),
            forgets=bool(self.forgets),
            fixed=fixed,
            num_fits=int(self.num_fits),
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            seed=int(self.seed),
            shrinkage=float(self.shrinkage),
        )

    def _inverted_skills(
        self, values: dict[str, np.ndarray], entries: _Entries, classes: _Classes
    ) -> tuple[np.ndarray, BKTTables]:
        """(n_skills,) True where the fit says a correct answer does not raise mastery (guess
        + slip >= 1: the "known" state answers no better), with the fit's tables."""
        raw = self._tables(values, classes, entries)
        params = raw.skill_params
        return params[:, GUESS] + params[:, SLIP] >= 1.0, raw

    def _relabel_inverted(
        self,
        values: dict[str, np.ndarray],
        entries: _Entries,
        classes: _Classes,
        fixed: dict[str, np.ndarray],
    ) -> np.ndarray:
        """A model that forgets: an inverted skill is the same hidden Markov model with its two
        states named the wrong way round (students who do worse with practice: learning
        into the state that answers worse). Swapping the names (prior -> 1 - prior, guess <->
        1 - slip, learn <-> forget, for every class of the skill) gives the same likelihood
        and predictions, with a correct answer raising mastery, where refitting under the
        population's guess and slip (`_refit_inverted`) gives up some of the skill's fit (one
        skill of Statics 2011, whose students answered worse with practice, reads as
        forgetting at 0.95 a step: the fit warning names such a forget rate, as the skill will
        not read as mastered either way). A model without forgetting has no forget rate to
        take the learn rate's place, so it is refitted instead, as is a skill whose guess +
        slip is exactly 1 (answers that say nothing of the state: swapping changes nothing),
        or a skill with a parameter the user held `fixed` (a swap would change their value).
        Returns the (n_skills,) mask of the skills relabelled (in place in `values`)."""
        inverted, raw = self._inverted_skills(values, entries, classes)
        params = raw.skill_params
        inverted &= params[:, GUESS] + params[:, SLIP] > 1.0
        for name, per_class in fixed.items():
            inverted[classes.skill_of(name)[~np.isnan(per_class)]] = False
        swap = {name: inverted[classes.skill_of(name)] for name in PARAMS}
        guess, slip = values["p_guess"].copy(), values["p_slip"].copy()
        values["p_guess"] = np.where(swap["p_guess"], 1.0 - slip, guess)
        values["p_slip"] = np.where(swap["p_slip"], 1.0 - guess, slip)
        values["p_init"] = np.where(swap["p_init"], 1.0 - values["p_init"], values["p_init"])
        learn, forget = values["p_learn"].copy(), values["p_forget"].copy()
        values["p_learn"] = np.where(swap["p_learn"], forget, learn)
        values["p_forget"] = np.where(swap["p_forget"], learn, forget)
        return inverted

    def _refit_inverted(
        self,
        values: dict[str, np.ndarray],
        entries: _Entries,
        classes: _Classes,
        fixed: dict[str, np.ndarray],
    ) -> np.ndarray:
        """Skills whose maximum-likelihood fit says a correct answer lowers mastery (guess +
        slip >= 1: the "known" state answers worse) are fitted again with the population's
        guess and slip held, their prior and learn (and forget) rates re-estimated under them
        (in place in `values`). Replacing only their guess and slip, as an earlier version did,
        kept a prior and learn rate fitted for the inverted emissions, and lost AUC (Statics
        2011 0.6925 -> 0.6886, `experiments/results/80_table.md`). Guess or slip the user held
        fixed are theirs to keep. Returns the (n_skills,) mask of the skills fitted again."""
        none = np.zeros(len(self.skills_), bool)
        if not not_fixed(set(self.fixed or {})):
            return none
        inverted, raw = self._inverted_skills(values, entries, classes)
        params, counts = raw.skill_params, raw.skill_counts
        healthy = ~inverted & (counts > 0)
        if not inverted.any() or not healthy.any():
            return none
        population = population_average(params[healthy], counts[healthy])
        held = dict(fixed)
        for name, column in (("p_guess", GUESS), ("p_slip", SLIP)):
            held[name] = np.where(inverted[classes.skill_of(name)], population[column], np.nan)
        again = self._em(entries, classes, held, only=inverted[entries.skill])
        for name in PARAMS:
            refit = inverted[classes.skill_of(name)]
            values[name] = np.where(refit, getattr(again, name), values[name])
        return inverted

    def import_pybkt(self, pybkt_model: Any, log: ResponseLog) -> Self:
        """Predict with the parameters of a `pyBKT.models.Model` fitted on this log.

        The pyBKT model must have been fitted on `BKT(...).to_pybkt_frame(log)` (skills and items
        as codes of `log`) with the variants of this BKT; this is what `fitter="pybkt"` does.
        """
        entries, classes = self._prepare(log)
        self._import(pybkt_model, log, entries, classes)
        self._trained_students = TrainedStudents.of(log)  # scoring them warns, as after `fit`
        return self

    def _prepare(self, log: ResponseLog) -> tuple[_Entries, _Classes]:
        self.check_params()
        require_responses(log, "BKT")
        entries = self._codes_from(log)._entries(log)
        return entries, self._classes(entries)

    def _import(
        self, pybkt_model: Any, log: ResponseLog, entries: _Entries, classes: _Classes
    ) -> Self:
        self.pybkt_model_ = pybkt_model
        self.n_iter_ = -1  # pyBKT does not report it
        values = read_classes(pybkt_model.fit_model, classes.keys)
        return self._finish(values, classes, entries, log)

    def _finish(
        self,
        values: dict[str, np.ndarray],
        classes: _Classes,
        entries: _Entries,
        log: ResponseLog,
        refit: np.ndarray | None = None,
        relabelled: np.ndarray | None = None,
    ) -> Self:
        """Tables from the fitted class values; with the native fitter, sparse skills shrunk
        and degenerate ones repaired or named (`refit`: the skills `_refit_inverted` fitted
        again; `relabelled`: those `_relabel_inverted` swapped). pyBKT's own parameters are
        reproduced as they are (a side-by-side check needs them)."""
        self.tables_ = self._tables(values, classes, entries)
        native = self.n_iter_ >= 0
        self.sparse_skills_ = self._shrink_sparse_skills() if native else []
        self.repaired_skills_ = (
            self._repair_degenerate(self.sparse_skills_, refit, relabelled) if native else []
        )
        self.log_likelihood_ = self._log_likelihood(log)
        self._fast = None
        return self

    def _shrink_sparse_skills(self) -> list[str]:
        """Pull each skill's free parameters toward the population's by `skill_shrinkage`
        pseudo-responses (a convex blend: valid parameters stay valid); the skills with fewer
        training responses than that, whose values are then mostly the population's."""
        t, strength = self.tables_, float(self.skill_shrinkage)
        counts = t.skill_counts.astype(np.float64)
        if strength <= 0 or (counts > 0).sum() < 2:
            return []
        free = [i for i, name in enumerate(PARAMS) if name not in (self.fixed or {})]
        population = population_average(t.skill_params, t.skill_counts)
        own = (counts / (counts + strength))[:, None]
        params = t.skill_params
        params[:, free] = own * params[:, free] + (1.0 - own) * population[free]
        # the default of a skill never seen stays the average of the skills' (now shrunk) values
        t.default_params = population_average(params, t.skill_counts)
        return self.skills_.astype(str)[(counts > 0) & (counts < strength)].tolist()

    def _repair_degenerate(
        self,
        sparse: list[str] | None = None,
        refit: np.ndarray | None = None,
        relabelled: np.ndarray | None = None,
    ) -> list[str]:
        """Name the degenerate skills in a `FitWarning`: those fitted again with the
        population's guess and slip (`refit`, see `_refit_inverted`), those whose states were
        swapped (`relabelled`, see `_relabel_inverted`), those still inverted
        (guess + slip >= 1: none is left unless no skill was healthy to learn from; they take
        the population's guess and slip), and other suspects, kept as fitted (slip >= 0.5,
        forget >= 0.5, learn < 0.01). Item-level classes (multigs) keep their values: `shrinkage` already
        pulls them toward their skill's. Returns the names of the skills refit, relabelled or
        repaired."""
        t, names = self.tables_, self.skills_.astype(str)
        params = t.skill_params
        fixed = set(self.fixed or {})
        still = (params[:, GUESS] + params[:, SLIP] >= 1.0) & not_fixed(fixed)
        healthy = ~still & (t.skill_counts > 0)
        if still.any() and healthy.any():
            population = population_average(params[healthy], t.skill_counts[healthy])
            params[np.ix_(still, [GUESS, SLIP])] = population[[GUESS, SLIP]]
            t.default_params = population
        none = np.zeros(len(names), bool)
        refit = still | (none if refit is None else refit)
        relabelled = none if relabelled is None else relabelled & ~still
        notes = [
            (refit, "had guess + slip >= 1 (a correct answer lowered mastery): fitted "
             "again with the population's guess and slip"),
            (relabelled, "had guess + slip >= 1 (their students did worse with practice): "
             "relabelled, the same fit with its two states swapped, so that a right answer "
             "counts for the skill and the decline is a forget rate"),
            (params[:, SLIP] >= 0.5, "{have} slip >= 0.5"),
            (params[:, FORGET] >= 0.5, "{have} a forget rate >= 0.5 (mastery falls after every "
             "answer, right or wrong: the skill will not read as mastered)"),
            (params[:, LEARN] < 0.01, "{have} a learn rate below 0.01"),
            (np.isin(names, sparse or []), f"had fewer than {self.skill_shrinkage:g} training "
             "responses: their parameters lean on the population's"),
        ]  # fmt: skip
        # three names a clause: with ten each the line ran past 600 characters (a data
        # scientist's trial); the parameters table lists every skill
        said = [
            f"{counted(int(m.sum()), 'skill')} "
            f"{what.format(have='has' if m.sum() == 1 else 'have')} "
            f"({some_of([str(n) for n in names[m]], 3)})"
            for m, what in notes
            if m.any()
        ]
        if said:
            warnings.warn(
                "BKT fit on sparse or unusual data: " + "; ".join(said) + " (every skill's "
                "parameters: model.params_table())",
                FitWarning,
                stacklevel=4,
            )
        return names[refit | relabelled].tolist()

    def extend_skills(self, catalog: Catalog) -> Self:
        """Give the catalog's skills that training never saw parameters of their own: the
        response-weighted mean of their fitted graph neighbours' (prerequisites and dependents),
        else the population's; a `CoverageWarning` names them. Call before `init_state`: states
        made earlier have the old skill columns."""
        self._check_fitted()
        known = {s: i for i, s in enumerate(self.skills_.astype(str))}
        missing = [s for s in catalog.skills if s.id not in known]
        if not missing:
            return self
        t = self.tables_
        dependents: dict[str, list[str]] = {}
        for s in catalog.skills:
            for p in s.prerequisites:
                dependents.setdefault(p, []).append(s.id)
        rows, from_graph = [], 0
        for s in missing:
            near = [known[n] for n in (*s.prerequisites, *dependents.get(s.id, ())) if n in known]
            w = t.skill_counts[near].astype(np.float64) if near else np.zeros(0)
            if near and w.sum() > 0:
                rows.append((t.skill_params[near] * w[:, None]).sum(axis=0) / w.sum())
                from_graph += 1
            else:
                rows.append(t.default_params.copy())
        t.skill_params = np.vstack([t.skill_params, np.asarray(rows)])
        t.skill_counts = np.concatenate(
            [t.skill_counts, np.zeros(len(missing), t.skill_counts.dtype)]
        )
        self.skills_ = self.skills_.append(pd.Index([s.id for s in missing], name="skill_id"))
        self._fast = None
        warnings.warn(
            f"{len(missing)} of {len(catalog.skills)} catalog skills have no training responses; "
            f"their parameters come from graph neighbours ({from_graph}) or the population "
            f"({len(missing) - from_graph}): {some_of([s.id for s in missing], 10)}",
            CoverageWarning,
            stacklevel=2,
        )
        return self

    def to_pybkt_frame(self, log: ResponseLog) -> pd.DataFrame:
        """`log` as pyBKT's input frame, with this model's skill/item codes (for side-by-side runs).

        Entries follow `log.exploded()` order, so pyBKT's `predict(data=frame)` rows line up with
        `predict_entries(log)`. Items and skills never seen in training get code -1. Unfitted,
        the codes are the log's own (those `fit(log)` would use).
        """
        if not hasattr(self, "skills_"):
            return self.clone()._codes_from(log).to_pybkt_frame(log)
        e = self._entries(log)
        return pybkt_frame(e.student, e.skill, e.item, e.correct)

    def _codes_from(self, log: ResponseLog) -> Self:
        self.skills_ = pd.Index(log.skills, name="skill_id")
        self.items_ = pd.Index(log.items, name="item_id")
        return self

    def check_params(self) -> None:
        """Refuse settings BKT cannot be fitted with (fitter, multi-skill rule, iterations,
        shrinkage, fixed parameters), before any data is read: the constructor runs it, so a
        mistake is refused where it is written, and `fit` again (`set_params`). One
        `ParamsRefused` in a spec's words, as the deep models' ("BKT: skill_shrinkage = -1.0
        (expected ...)"; `build_model` names the spec's model instead)."""
        try:
            self._check_values()
        except ConfigError as exc:
            raise ParamsRefused("BKT", str(exc)) from None

    def _check_values(self) -> None:
        """Every setting's type (its default's: `forgets = 'no' (expected true or false)`, as
        a spec's is checked) and value, as "name = value (expected ...)" (`value_problems`), all
        the wrong ones named in one `ConfigError` (a spec with two mistakes named only the
        first); a setting of the wrong type is not checked for its value."""
        wrong = value_problems(self, BKT_RANGES, {"fitter": FITTERS, "multi_skill": MULTI_SKILL})
        problems = list(wrong.values())
        if "forgets" not in wrong:  # `fixed`'s p_forget is read with it
            problems += self._fixed_problems()
        if problems:
            raise ConfigError("; ".join(problems))

    def _fixed_problems(self) -> list[str]:
        """`fixed`: known parameters, each a probability (or one per item class), and a
        forgetting probability other than 0 only where the model forgets; what is wrong with
        it, the first problem found ([] when none: its parts depend on one another)."""
        fixed = self.fixed or {}
        if not isinstance(fixed, dict):
            return [f"fixed = {fixed!r} (expected a table of parameter = probability)"]
        for name, value in fixed.items():
            if name not in PARAMS:
                return [f"fixed = {fixed!r} ({unknown_key(name, PARAMS, 'parameter')})"]
            values = value.values() if isinstance(value, dict) else [value]
            for v in values:
                if not isinstance(v, int | float) or not 0.0 <= float(v) <= 1.0:
                    return [
                        f"fixed = {fixed!r} (expected probabilities in [0, 1]: {name} has {v!r})"
                    ]
            if name == "p_forget" and not self.forgets and any(float(v) != 0 for v in values):
                return [
                    f"fixed = {fixed!r}, forgets = {self.forgets!r} (expected p_forget 0 unless "
                    "forgets = true)"
                ]
        return []

    def _entries(self, log: ResponseLog, items: bool = True) -> _Entries:
        """The log's (response, skill) entries with model codes; `items=False` leaves the item
        codes out (cheaper: a model without item-level parameters never reads them)."""
        log_skill = log.skill
        skill = vocabulary_codes(self.skills_, log.skills).take(log_skill)
        per_response = log.n_skills_per_response

        def each(values: np.ndarray) -> np.ndarray:
            """A per-response array per entry (`values[log.exploded()[0]]`, in one pass)."""
            return values if len(log_skill) == len(values) else np.repeat(values, per_response)

        item = each(vocabulary_codes(self.items_, log.items).take(log.item)) if items else None
        student = each(log.student.astype(np.int64))
        seq_key = student * max(1, len(log.skills))
        seq_key += log_skill
        unseen = np.flatnonzero(skill < 0)
        seq_key[unseen] = -1 - unseen
        return _Entries(student, skill, item, each(log.correct), seq_key, log_skill)

    def _classes(self, e: _Entries) -> _Classes:
        n_skills, n_items = len(self.skills_), len(self.items_)
        item_key = e.skill * n_items + e.item

        def by(flag: bool, key: np.ndarray, skill: np.ndarray) -> tuple[np.ndarray, ...]:
            if flag:
                keys, inv = np.unique(key, return_inverse=True)
                return keys, inv, keys // n_items
            return np.arange(n_skills), skill, np.arange(n_skills)

        emit_keys, emit, emit_skill = by(bool(self.multigs), item_key, e.skill)
        trans_keys, trans, trans_skill = by(bool(self.multilearn), item_key, e.skill)
        first = np.unique(e.seq_key, return_index=True)[1]
        prior_keys, first_class, prior_skill = by(
            bool(self.multiprior), item_key[first], e.skill[first]
        )
        prior = np.zeros(len(e.skill), np.int64)
        prior[first] = first_class
        keys = ClassKeys(
            emit_keys,
            trans_keys,
            prior_keys,
            bool(self.multigs),
            bool(self.multilearn),
            bool(self.multiprior),
            n_items,
        )
        return _Classes(
            keys,
            emit,
            trans,
            prior,
            emit_skill,
            trans_skill,
            prior_skill,
            np.bincount(emit, minlength=len(emit_keys)).astype(np.float64),
            np.bincount(trans, minlength=len(trans_keys)).astype(np.float64),
            np.bincount(first_class, minlength=len(prior_keys)).astype(np.float64),
        )

    def _fixed_arrays(self, c: _Classes) -> dict[str, np.ndarray]:
        out = {}
        for name, value in (self.fixed or {}).items():
            per_skill = np.full(len(self.skills_), np.nan)
            if isinstance(value, dict):
                codes = index_codes(self.skills_, np.asarray(list(value), dtype=object))
                known = codes >= 0
                per_skill[codes[known]] = np.asarray(list(value.values()), dtype=np.float64)[known]
            else:
                per_skill[:] = float(value)
            out[name] = per_skill[c.skill_of(name)]
        return out

    def _tables(self, values: dict[str, np.ndarray], c: _Classes, e: _Entries) -> BKTTables:
        n_skills = len(self.skills_)
        groups = {
            "p_init": (c.prior_skill, c.prior_count, c.keys.multiprior),
            "p_learn": (c.trans_skill, c.trans_count, c.keys.multilearn),
            "p_forget": (c.trans_skill, c.trans_count, c.keys.multilearn),
            "p_guess": (c.emit_skill, c.emit_count, c.keys.multigs),
            "p_slip": (c.emit_skill, c.emit_count, c.keys.multigs),
        }
        values = {name: np.clip(v, 0.0, 1.0) for name, v in values.items()}
        for name in ("p_guess", "p_slip"):
            values[name] = np.clip(values[name], _EPS, 1.0 - _EPS)
        skill_params = np.empty((n_skills, len(PARAMS)))
        for col, name in enumerate(PARAMS):
            class_skill, weight, by_item = groups[name]
            if by_item:
                skill_params[:, col] = weighted_by_skill(
                    values[name], class_skill, weight, n_skills
                )
            else:
                skill_params[:, col] = values[name]
        skill_counts = np.bincount(e.skill, minlength=n_skills).astype(np.int64)
        tables = BKTTables(
            n_items=len(self.items_),
            skill_params=skill_params,
            default_params=population_average(skill_params, skill_counts),
            skill_counts=skill_counts,
        )
        if c.keys.multigs:
            tables.gs_keys = c.keys.emit
            tables.gs_values = np.column_stack([values["p_guess"], values["p_slip"]])
        if c.keys.multilearn:
            tables.learn_keys = c.keys.trans
            tables.learn_values = np.column_stack([values["p_learn"], values["p_forget"]])
        if c.keys.multiprior:
            tables.prior_keys = c.keys.prior
            tables.prior_values = values["p_init"]
        return tables

    # -- prediction ----------
    @property
    def uses_items(self) -> bool:
        """True where a guess, slip, learn or prior parameter is per item (`multigs`,
        `multilearn`, `multiprior`); plain BKT reads skills only."""
        return hasattr(self, "tables_") and self.tables_.item_level

    def _predict_proba(self, log: ResponseLog) -> np.ndarray:
        """P(correct) of every response from that student's earlier responses only."""
        return self._combine(self._run(log).p, log)

    def predict_entries(self, log: ResponseLog) -> np.ndarray:
        """P(correct) per (response, skill) pair, in `log.exploded()` order (pyBKT's unit); a
        `LeakageWarning` where `log` holds training students, as `predict_proba` gives."""
        self._check_fitted()
        require_log(log, "predict_entries")
        self._warn_trained_students(log, "predict_entries")
        return self._run(log).p

    def log_likelihood(self, log: ResponseLog) -> float:
        """Sum over (response, skill) pairs of log P(answer | earlier answers): the EM objective.
        A `LeakageWarning` where `log` holds training students, as `predict_proba` gives; the
        training log's own is `log_likelihood_`, kept by `fit`."""
        self._check_fitted()
        require_log(log, "log_likelihood")
        self._warn_trained_students(log, "log_likelihood")
        return self._log_likelihood(log)

    def _log_likelihood(self, log: ResponseLog) -> float:
        """`log_likelihood` without its checks: `fit`'s own, on the training log."""
        p, correct = self._run(log).p, log.correct[log.exploded()[0]]
        return float(np.sum(np.log(np.where(correct == 1, p, 1.0 - p))))

    def _run(
        self, log: ResponseLog, state: TracingState | None = None, rows: np.ndarray | None = None
    ) -> _Pass:
        """Forward pass over `log`, from `state` when given (`rows`: the state row of each of
        the log's students)."""
        layout, code, params, init, tracked, cells = self._pass_inputs(log, state, rows)
        p, final = filter_classes(layout, init, code, params)
        return _Pass(p, layout, final, tracked, cells)

    def _pass_inputs(
        self, log: ResponseLog, state: TracingState | None, rows: np.ndarray | None
    ) -> tuple[SequenceLayout, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(layout, time-major `2 * class + correct` of each entry, (C, 5) class parameters,
        P(known) before each sequence, tracked sequences and their state cells).

        The log's per-entry arrays die when this returns, before the forward pass allocates its
        own: a lower peak of memory means fewer fresh pages to fault in (a third of a large
        update's time when they were all alive together).
        """
        item_level = self.tables_.item_level
        e = self._entries(log, items=item_level)
        # each entry's values do not depend on the order of the sequences: group them by skill
        # (a counting sort) rather than by sorting the whole (student, skill) key
        layout = build_layout(e.seq_key, group=e.log_skill)
        code, params = self.tables_.entry_classes(e.skill, e.item)
        code *= 2
        code += e.correct
        code = code.take(layout.order)
        init = params[:, INIT].take(code[: layout.n_sequences] >> 1)  # first entry's class
        if state is None:
            return layout, code, params, init, np.zeros(0, np.int64), np.zeros(0, np.int64)
        tracked, cells = _state_cells(state, e, layout, rows)
        go_on = self._continues(state, cells)
        init[tracked[go_on]] = state.arrays["p_known"].take(cells[go_on])
        return layout, code, params, init, tracked, cells

    def _continues(self, state: TracingState, cells: np.ndarray) -> np.ndarray:
        """Which sequences continue from the state's P(known): after earlier responses, after a
        placement, or as set by hand; only an untouched multiprior skill keeps the prior of the
        item met first (what the single-response path does too)."""
        if not self.multiprior:
            return np.ones(len(cells), dtype=bool)
        touched = state.arrays["n_responses"].take(cells) > 0
        placed = state.arrays.get("placed")
        if placed is not None:
            touched |= placed.take(cells)
        return touched

    def _combine(self, p: np.ndarray, log: ResponseLog) -> np.ndarray:
        """P(correct) per response from its skills' (`multi_skill`): each response's first
        skill, then the second, third... of the responses that have them (the same order of
        operations as a `reduceat`, without its cost per response)."""
        starts = log.skill_offsets[:-1]
        out = p.take(starts)
        if len(p) == len(out):  # one skill per response
            return out
        width = np.diff(log.skill_offsets)
        combine = {"product": np.multiply, "min": np.minimum}.get(self.multi_skill, np.add)
        multi = more = np.flatnonzero(width > 1)
        j = 1
        while len(more):
            out[more] = combine(out[more], p.take(starts.take(more) + j))
            j += 1
            more = more[width.take(more) > j]
        if self.multi_skill == "mean":
            out[multi] /= width.take(multi)
        return out

    # -- online state ----------
    exact_placement = True  # a placement sets P(known) itself

    def _initial_row(self) -> dict[str, np.ndarray]:
        n_skills = len(self.skills_)
        return {
            "p_known": self.tables_.skill_params[:, INIT].copy(),
            "n_responses": np.zeros(n_skills, np.int32),
            "placed": np.zeros(n_skills, bool),
        }

    def answers_per_skill(self, state: TracingState, rows: np.ndarray | None = None) -> np.ndarray:
        self._check_state(state)
        with state.lock:
            return state.arrays["n_responses"][all_rows(state, rows)].astype(np.int64)

    def _placed_rows(self, state: TracingState, rows: np.ndarray) -> np.ndarray:
        """Some skill's P(known) was set by a placement (`_place` marks it)."""
        placed = state.arrays.get("placed")
        return np.zeros(len(rows), bool) if placed is None else placed[rows].any(axis=1)

    def _place(self, state: TracingState, rows: np.ndarray, prior: np.ndarray) -> None:
        """P(known) of each placed skill not answered yet becomes the placement's value."""
        placed = state.ensure_array("placed", np.zeros(len(self.skills_), bool))
        fresh = (state.arrays["n_responses"][rows] == 0) & ~np.isnan(prior)
        p_known = state.arrays["p_known"][rows]
        p_known[fresh] = prior[fresh]
        state.arrays["p_known"][rows] = p_known
        placed[rows] = placed[rows] | fresh

    def _update(self, state: TracingState, responses: ResponseLog, rows: np.ndarray) -> np.ndarray:
        """Absorb responses into `state`; returns P(correct) predicted before each one."""
        run = self._run(responses, state, rows)
        np.put(state.arrays["p_known"], run.cells, run.final.take(run.tracked))
        counts = state.arrays["n_responses"]
        lengths = run.layout.seq_length.take(run.tracked).astype(counts.dtype)
        np.put(counts, run.cells, counts.take(run.cells) + lengths)
        return self._combine(run.p, responses)

    def _update_one(self, state: TracingState, r: Response) -> float:
        """One response on Python floats: the in-process path for vendors."""
        fast = self._fast if self._fast is not None else self._build_fast()
        row = state.row(r.student_id)
        if row is None:
            state.add_students([r.student_id], self._initial_row())
            row = state.row(r.student_id)
        p_known = state.arrays["p_known"]
        counts = state.arrays["n_responses"]
        placed = state.arrays.get("placed")
        correct = r.correct
        item = r.item_id
        preds = []
        for sid in r.skill_ids:
            k = fast.skill_code.get(sid)
            if k is None:
                prior, _, _, guess, slip = fast.default
                preds.append(guess + prior * (1.0 - slip - guess))
                continue
            prior, learn, forget, guess, slip = fast.skill[k]
            if fast.gs:
                guess, slip = fast.gs.get((k, item), (guess, slip))
            if fast.learn:
                learn, forget = fast.learn.get((k, item), (learn, forget))
            n = counts.item(row, k)
            if n == 0 and fast.prior and not (placed is not None and placed.item(row, k)):
                p = fast.prior.get((k, item), prior)
            else:
                p = p_known.item(row, k)
            preds.append(guess + p * (1.0 - slip - guess))
            if correct:
                known = p * (1.0 - slip)
                post = known / (known + (1.0 - p) * guess)
            else:
                known = p * slip
                post = known / (known + (1.0 - p) * (1.0 - guess))
            p_known[row, k] = learn + post * (1.0 - learn - forget)
            counts[row, k] = n + 1
        if len(preds) == 1:
            return preds[0]
        if self.multi_skill == "product":
            return math.prod(preds)
        if self.multi_skill == "min":
            return min(preds)
        return sum(preds) / len(preds)

    def _build_fast(self) -> _FastParams:
        t = self.tables_
        items = self.items_.astype(str).tolist()

        def table(keys: np.ndarray, values: np.ndarray) -> dict[tuple[int, str], Any]:
            skill, item = np.divmod(keys, max(1, t.n_items))
            vals = values.tolist()
            return {
                (int(k), items[i]): v if not isinstance(v, list) else tuple(v)
                for k, i, v in zip(skill.tolist(), item.tolist(), vals, strict=True)
            }

        self._fast = _FastParams(
            skill_code={s: i for i, s in enumerate(self.skills_.astype(str).tolist())},
            skill=[tuple(row) for row in t.skill_params.tolist()],
            default=tuple(t.default_params.tolist()),
            gs=table(t.gs_keys, t.gs_values),
            learn=table(t.learn_keys, t.learn_values),
            prior=table(t.prior_keys, t.prior_values),
        )
        return self._fast

    def _mastery(self, state: TracingState, rows: np.ndarray) -> np.ndarray:
        """P(known) after each student's latest response in each skill.

        Without forgetting that is `p_known`. With it, `p_known` = learn + post (1 - learn -
        forget) also takes off the forgetting expected before the next practice (p_forget per
        opportunity, however far away that practice is), which is a prediction: mastery counts
        the latest practice's learning, learn + post (1 - learn), and not that forgetting.
        Measured on the demo district (`python -m experiments.bench_mastery`): 0.928 / 0.733
        precision / recall at the policy's threshold with `p_known`, 0.906 / 0.805 without the
        pending forgetting. Skills not answered yet keep `p_known` (the prior or a placement);
        per-item transitions (`multilearn`) keep it too (the item of the latest response is not
        in the state).
        """
        p_known = np.array(state.arrays["p_known"][rows], dtype=np.float64)
        if not self.forgets or self.tables_.learn_keys.size:
            return p_known
        learn = self.tables_.skill_params[:, LEARN]
        keep = np.maximum(1.0 - learn - self.tables_.skill_params[:, FORGET], 1e-9)
        latest = np.clip(learn + (p_known - learn) * ((1.0 - learn) / keep), 0.0, 1.0)
        return np.where(state.arrays["n_responses"][rows] > 0, latest, p_known)

    def _skill_proba(self, state: TracingState, rows: np.ndarray) -> np.ndarray:
        """P(correct) at the next practice: `p_known`, forgetting included."""
        p_known = np.array(state.arrays["p_known"][rows], dtype=np.float64)
        return self._p_correct_from_mastery(p_known)

    def _p_correct_from_mastery(self, mastery: np.ndarray) -> np.ndarray:
        """P(correct) on a typical item of each skill (the skill's guess and slip)."""
        guess = self.tables_.skill_params[:, GUESS]
        slip = self.tables_.skill_params[:, SLIP]
        return guess + mastery * (1.0 - slip - guess)

    # -- readable parameters ----------
    def params_table(self) -> pd.DataFrame:
        """One row per skill: p_init, p_learn, p_forget, p_guess, p_slip, n_responses.

        With an item-level variant the skill's value is the count-weighted average of its item
        classes (`item_params_table()` lists those).
        """
        self._check_fitted()
        frame = pd.DataFrame(self.tables_.skill_params, columns=list(PARAMS))
        frame.insert(0, "skill", self.skills_.astype(str))
        frame["n_responses"] = self.tables_.skill_counts
        return frame

    def item_params_table(self) -> pd.DataFrame:
        """Item-level classes of multigs / multilearn / multiprior: skill, item, param, value."""
        self._check_fitted()
        t = self.tables_
        parts = []
        for keys, values, names in (
            (t.gs_keys, t.gs_values, ("p_guess", "p_slip")),
            (t.learn_keys, t.learn_values, ("p_learn", "p_forget")),
            (t.prior_keys, t.prior_values.reshape(-1, 1), ("p_init",)),
        ):
            skill, item = np.divmod(keys, max(1, t.n_items))
            for j, name in enumerate(names):
                parts.append(
                    pd.DataFrame(
                        {
                            "skill": self.skills_[skill].astype(str),
                            "item": self.items_[item].astype(str),
                            "param": name,
                            "value": values[:, j],
                        }
                    )
                )
        return pd.concat(parts, ignore_index=True)

    # -- artifacts ----------
    def _fitted_arrays(self) -> dict[str, np.ndarray]:
        arrays = self.tables_.to_arrays()
        arrays["skills"] = np.asarray(self.skills_.astype(str), dtype=np.str_)
        arrays["items"] = np.asarray(self.items_.astype(str), dtype=np.str_)
        return arrays

    def _fitted_json(self) -> dict[str, Any]:
        return {"log_likelihood": self.log_likelihood_, "n_iter": self.n_iter_}

    def _restore(self, fitted: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.skills_ = pd.Index(arrays["skills"].tolist(), name="skill_id", dtype=object)
        self.items_ = pd.Index(arrays["items"].tolist(), name="item_id", dtype=object)
        self.tables_ = BKTTables.from_arrays(len(self.items_), arrays)
        self.log_likelihood_ = float(fitted["log_likelihood"])
        self.n_iter_ = int(fitted["n_iter"])
        self._fast = None


@dataclass(frozen=True)
class _FastParams:
    """Parameters as Python floats, dicts and tuples for the single-response path."""

    skill_code: dict[str, int]
    skill: list[tuple[float, ...]]
    default: tuple[float, ...]
    gs: dict[tuple[int, str], tuple[float, float]]
    learn: dict[tuple[int, str], tuple[float, float]]
    prior: dict[tuple[int, str], float]


#: Each fitted vocabulary's id -> code dict (`vocabulary_codes`).
_VOCABULARIES: IdentityMemo[dict[str, int]] = IdentityMemo(limit=16)


def vocabulary_codes(vocabulary: pd.Index, ids: pd.Index) -> np.ndarray:
    """Codes of `ids` (a log's distinct ids) in a fitted vocabulary, -1 for ids never seen: the
    same as `index_codes`, through a dict built once per vocabulary, so a small update does not
    pay for hashing the whole vocabulary again (it did, at every call)."""
    codes = _VOCABULARIES.get(
        (vocabulary,), lambda: {v: i for i, v in enumerate(vocabulary.tolist())}
    )
    return lookup_codes(codes, ids)


def _state_cells(
    state: TracingState, e: _Entries, layout: SequenceLayout, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(the sequences (ranks) of skills the model tracks, their flat cells in the state's
    (n_students, n_skills) arrays): one index per sequence for every read and write."""
    first = layout.seq_first_entry
    skill = e.skill.take(first)
    tracked = np.flatnonzero(skill >= 0)
    student_row = rows.take(e.student.take(first.take(tracked)))
    shape = state.arrays["p_known"].shape
    return tracked, np.ravel_multi_index((student_row, skill.take(tracked)), shape)


def not_fixed(fixed: set[str]) -> bool:
    """False when the user held guess or slip fixed (their values are theirs to keep)."""
    return not ({"p_guess", "p_slip"} & fixed)
