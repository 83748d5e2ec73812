"""From logged nights to estimates: the candidate's probabilities, the outcome model, the table.

`score_contexts(candidate, batch, now, logged_activity)` runs the candidate policy on the batch
the deployed policy saw that night (the same arrays, the shipped `select`) and returns, per
logged decision, pi(a_i | x_i) and the outcome-model features of the logged activity and of the
candidate's likeliest activities. `estimate_value(...)` cross-fits the outcome model for each
outcome, checks support and returns one row per (metric, estimator).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from adaptive.evaluation.ope.estimators import (
    Decisions,
    Diagnostics,
    SupportError,
    check_support,
    estimate_many,
)
from adaptive.evaluation.ope.outcome import candidate_support, cross_fit_outcome, pair_features
from adaptive.policy.base import Policy, StudentBatch, catalog_arrays
from adaptive.policy.exploration import first_slot_distribution
from adaptive.policy.features import compute_features

CHUNK = 4000


@dataclass
class Contexts:
    """Per logged decision: the candidate's probability of the logged activity, the outcome
    features of the logged activity (n, p) and of the candidate's support (n, M, p) with the
    candidate's probabilities there (n, M); `dropped` the candidate mass left out of the
    support (0 for a deterministic candidate); `support_act` the support's activities (-1 pad);
    `logged_in_support` whether the logged activity is one of them (one outside is given, in DR's
    correction, the stand-in value the model term gives the dropped mass: `cross_fit_outcome`)."""

    target_p: np.ndarray
    phi_logged: np.ndarray
    phi_support: np.ndarray
    prob_support: np.ndarray
    dropped: np.ndarray
    support_act: np.ndarray
    logged_in_support: np.ndarray

    def take(self, rows: np.ndarray) -> Contexts:
        """The contexts of some decisions (a mask or positions)."""
        return Contexts(*(getattr(self, f.name)[rows] for f in fields(self)))

    @classmethod
    def concat(cls, parts: list[Contexts]) -> Contexts:
        width = max(p.phi_support.shape[1] for p in parts)

        def pad(x: np.ndarray) -> np.ndarray:
            extra = width - x.shape[1]
            return np.pad(x, [(0, 0), (0, extra)] + [(0, 0)] * (x.ndim - 2)) if extra else x

        return cls(
            np.concatenate([p.target_p for p in parts]),
            np.concatenate([p.phi_logged for p in parts]),
            np.concatenate([pad(p.phi_support) for p in parts]),
            np.concatenate([pad(p.prob_support) for p in parts]),
            np.concatenate([p.dropped for p in parts]),
            np.concatenate([np.pad(p.support_act, [(0, 0), (0, width - p.support_act.shape[1])],
                                   constant_values=-1) for p in parts]),
            np.concatenate([p.logged_in_support for p in parts]),
        )  # fmt: skip


def score_contexts(
    candidate: Policy,
    batch: StudentBatch,
    now: float,
    logged_activity: np.ndarray,
    max_actions: int = 32,
    dist: np.ndarray | None = None,
) -> Contexts:
    """The candidate on one night's batch (rows aligned with `logged_activity`), in chunks.

    `dist`: the candidate's first-slot distribution (n, A) when the caller has it already."""
    parts = []
    ctx = catalog_arrays(candidate.catalog)
    for start in range(0, len(batch), CHUNK):
        part = batch.take(slice(start, start + CHUNK))
        act = np.asarray(logged_activity[start : start + CHUNK], np.int64)
        if dist is None:
            p_first = first_slot_distribution(candidate, part, now)
        else:
            p_first = dist[start : start + CHUNK]
        feats = compute_features(part, ctx, candidate.config, now)
        sup_act, sup_p = candidate_support(p_first, max_actions)
        rows = np.arange(len(part))
        parts.append(
            Contexts(
                target_p=p_first[rows, act],
                phi_logged=pair_features(part, ctx, feats, act[:, None])[:, 0],
                phi_support=pair_features(part, ctx, feats, sup_act),
                prob_support=sup_p,
                dropped=np.clip(p_first.sum(axis=1) - sup_p.sum(axis=1), 0.0, None),
                support_act=sup_act,
                logged_in_support=(sup_act == act[:, None]).any(axis=1),
            )
        )
    if not parts:
        n_f = 5
        return Contexts(np.zeros(0), np.zeros((0, n_f)), np.zeros((0, 1, n_f)), np.zeros((0, 1)),
                        np.zeros(0), np.zeros((0, 1), np.int64), np.zeros(0, bool))  # fmt: skip
    return Contexts.concat(parts)


def estimate_value(
    contexts: Contexts,
    logging_p: np.ndarray,
    cluster: np.ndarray,
    rewards: dict[str, np.ndarray],
    binary: dict[str, bool],
    n_boot: int = 500,
    seed: int = 0,
    min_overlap: float = 0.9,
    min_ess: float = 100.0,
    refuse: bool = True,
    students: np.ndarray | None = None,
) -> tuple[pd.DataFrame, Diagnostics]:
    """One row per (metric, estimator): value, interval, standard error; and the diagnostics.

    The metrics are outcomes of the same decisions, so they share the bootstrap's draws
    (`estimate_many`). With `refuse`, a `SupportError` (naming overlap and effective sample
    size) replaces the table when the logs cannot support the candidate. `cluster`: what the
    bootstrap resamples (students, or an experiment's classes); `students`: the student of
    each decision, by whom the outcome model is cross-fitted (default: `cluster`)."""
    if not rewards:
        raise SupportError("no outcome to estimate (no metric given)")
    decisions = []
    for metric, reward in rewards.items():
        q_logged, q_target, _ = cross_fit_outcome(
            contexts.phi_logged, reward, cluster if students is None else students,
            contexts.phi_support, contexts.prob_support,
            binary[metric], seed=seed, dropped=contexts.dropped,
            logged_in_support=contexts.logged_in_support,
        )  # fmt: skip
        decisions.append(
            Decisions.build(cluster, reward, logging_p, contexts.target_p, q_logged, q_target)
        )
    rows = []
    for metric, (estimates, diag) in zip(
        rewards, estimate_many(decisions, n_boot=n_boot, seed=seed), strict=True
    ):
        if refuse:
            check_support(diag, min_overlap, min_ess)
        rows += [{"metric": metric, **e.to_dict()} for e in estimates]
    return pd.DataFrame(rows), diag
