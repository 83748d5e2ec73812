"""Fitted BKT parameters as tables: per skill, plus item-level overrides for the variants.

Standard BKT has one parameter set per skill. The variants add item-level classes *within* a
skill: multigs (KT-IDEM: p_guess/p_slip per item), multilearn (p_learn/p_forget per item just
practised), multiprior (p_init per item a student meets first in the skill). Each class table is a
sorted array of keys `skill * n_items + item` with its values; a (skill, item) without a class
falls back to the skill's values (the count-weighted average of its classes), and a skill never
seen in training falls back to the population average (weighted by training responses).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from adaptive.tracing.bkt_engine import PARAMS

INIT, LEARN, FORGET, GUESS, SLIP = range(5)


@dataclass
class BKTTables:
    """Everything a fitted BKT predicts with.

    skill_params : (n_skills, 5) columns `PARAMS` (p_init, p_learn, p_forget, p_guess, p_slip).
    default_params : (5,) population average, for skills never seen in training.
    skill_counts : (n_skills,) training responses per skill (weights of the averages).
    gs_keys/gs_values (n, 2), learn_keys/learn_values (n, 2), prior_keys/prior_values (n,):
        item-level classes of multigs / multilearn / multiprior (empty when the variant is off).
    """

    n_items: int
    skill_params: np.ndarray
    default_params: np.ndarray
    skill_counts: np.ndarray
    gs_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    gs_values: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    learn_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    learn_values: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    prior_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    prior_values: np.ndarray = field(default_factory=lambda: np.zeros(0))

    ARRAYS = (
        "skill_params",
        "default_params",
        "skill_counts",
        "gs_keys",
        "gs_values",
        "learn_keys",
        "learn_values",
        "prior_keys",
        "prior_values",
    )

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.ARRAYS}

    @classmethod
    def from_arrays(cls, n_items: int, arrays: dict[str, np.ndarray]) -> BKTTables:
        return cls(n_items=n_items, **{name: arrays[name] for name in cls.ARRAYS})

    def entry_classes(
        self, skill: np.ndarray, item: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(parameter class of each entry (N,), a new array; (n_classes, 5) class parameters).

        Without item-level classes a class is a skill, and skills never seen (code -1) share the
        last class, the population's: the forward pass then reads small per-skill tables. With
        them, each entry is its own class (`entry_params`). `item` None: no item codes (only for
        tables without item-level classes).
        """
        skill = np.asarray(skill, dtype=np.int64)
        if self.item_level:
            if item is None:
                raise ValueError("item codes are needed: these tables have item-level classes")
            return np.arange(len(skill), dtype=np.int64), self.entry_params(skill, item)
        table = np.vstack([self.skill_params, self.default_params[None, :]])
        return np.where(skill < 0, len(self.skill_params), skill), table

    @property
    def item_level(self) -> bool:
        """Whether any parameter is per item (then entries need their item codes)."""
        return bool(len(self.gs_keys) or len(self.learn_keys) or len(self.prior_keys))

    def entry_params(self, skill: np.ndarray, item: np.ndarray) -> np.ndarray:
        """(N, 5) parameters for entries with model skill / item codes (-1 = never seen)."""
        skill = np.asarray(skill, dtype=np.int64)
        item = np.asarray(item, dtype=np.int64)
        table = np.vstack([self.skill_params, self.default_params[None, :]])
        out = table[np.where(skill < 0, len(self.skill_params), skill)]
        keys = np.where((skill >= 0) & (item >= 0), skill * self.n_items + item, -1)
        for class_keys, values, cols in (
            (self.gs_keys, self.gs_values, [GUESS, SLIP]),
            (self.learn_keys, self.learn_values, [LEARN, FORGET]),
            (self.prior_keys, self.prior_values.reshape(-1, 1), [INIT]),
        ):
            if len(class_keys):
                pos = np.minimum(np.searchsorted(class_keys, keys), len(class_keys) - 1)
                found = class_keys[pos] == keys
                out[np.ix_(found, cols)] = values[pos[found]]
        return out


def weighted_by_skill(
    values: np.ndarray, class_skill: np.ndarray, weights: np.ndarray, n_skills: int
) -> np.ndarray:
    """Per-skill weighted mean of class values (NaN for a skill without weight)."""
    total = np.bincount(class_skill, weights, minlength=n_skills)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(class_skill, weights * values, minlength=n_skills) / total


def population_average(skill_params: np.ndarray, skill_counts: np.ndarray) -> np.ndarray:
    """Average of the per-skill parameters weighted by training responses."""
    w = skill_counts.astype(np.float64)
    if w.sum() <= 0:
        return np.nanmean(skill_params, axis=0)
    return (skill_params * w[:, None]).sum(axis=0) / w.sum()


__all__ = ["BKTTables", "PARAMS", "population_average", "weighted_by_skill"]
