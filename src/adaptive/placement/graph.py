"""Evidence along the prerequisite graph: what one skill's answers say about its neighbours.

A student who has mastered a skill has, almost surely, mastered what it builds on; a student who
fails a skill has not yet mastered what builds on it. `propagate` applies both to a mastery table
(students x catalog skills), so the policy neither drills prerequisites a student has shown they
know through a harder skill, nor trusts a placement for skills beyond one the student just failed:

- up: a skill without evidence of its own (responses) is raised toward the mastery of any skill
  that depends on it (directly or not) and has evidence, by a `strength` w: m + w * max(up - m,
  0) (the policy's `PolicyConfig.graph_raise`; 1: the mastery of the dependent itself);
- down: a skill without evidence of its own is at most the mastery of any of its prerequisites
  (directly or not) that has evidence.

A skill the student answered keeps the tracer's reading of those answers: the graph speaks for
skills the answers do not. (Up once raised answered skills too; a teacher's trial found a skill
failed five times in a row shown at 98% and "ready to accelerate" because three right answers
on the skill built on it, known from the start, read 0.98: students do know a skill without one
of its prerequisites. On the policy matrix the change is neutral: every adaptive gain@50 within
its interval, `experiments/results/51_policy_sim.md`, stop 59.)

Both are max / min relaxations over the direct edges, one pass per level of the graph, vectorized
over students (`GraphPropagation` precomputes the edge order once per catalog).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adaptive.curriculum import Catalog
from adaptive.memo import IdentityMemo


@dataclass(frozen=True)
class LevelEdges:
    """The direct edges that one level of the graph reads, grouped for a segment max / min:
    `targets[g]` takes the reduction of `sources[starts[g]:starts[g + 1]]`."""

    sources: np.ndarray
    starts: np.ndarray
    targets: np.ndarray


@dataclass(frozen=True)
class GraphPropagation:
    """A catalog's prerequisite edges, arranged so each bound is one pass over the levels."""

    n_skills: int
    # up: deepest level first, each skill takes the max over its dependents (all deeper, final)
    up: tuple[LevelEdges, ...]
    # down: shallowest level first, each skill takes the min over its prerequisites (final)
    down: tuple[LevelEdges, ...]
    # closure[g, s]: s is g or one of its ancestors (for small batches: one dense step)
    closure: np.ndarray

    @classmethod
    def of(cls, catalog: Catalog) -> GraphPropagation:
        p = catalog.prerequisite_matrix.tocoo()
        child, parent = p.row.astype(np.int64), p.col.astype(np.int64)
        level = catalog.prerequisite_depth
        return cls(
            n_skills=len(catalog.skills),
            up=_level_edges(parent, child, level, deepest_first=True),
            down=_level_edges(child, parent, level, deepest_first=False),
            closure=catalog.prerequisite_closure,
        )

    def propagate(
        self, mastery: np.ndarray, evidence: np.ndarray, strength: float = 1.0
    ) -> np.ndarray:
        """(n, S) mastery after both relaxations of the skills without evidence (an answered
        skill keeps its own); NaN (unknown) stays NaN unless evidence from a neighbour fills it
        (with the dependent's mastery, whatever the strength: nothing else is known of it).
        `evidence` (n, S) is true where the student answered the skill; `strength` in [0, 1]
        is how far up raises (module docstring)."""
        if not self.up or mastery.size == 0:
            return mastery
        m = np.asarray(mastery, dtype=np.float64)
        evidence = np.asarray(evidence, dtype=bool)
        known = np.where(np.isnan(m), 0.0, m)  # cheaper than np.nan_to_num per request
        sources = np.flatnonzero(evidence.any(axis=0))
        if len(m) * len(sources) * self.n_skills <= DENSE_LIMIT:
            up, down = self._dense(known, evidence, sources)
        else:
            up, down = self._by_levels(known, evidence)
        raised = np.fmax(m, np.where(up > 0, up, np.nan))
        if strength < 1.0:  # m + w (up - m) (raised >= m); NaN m: fmin keeps up; 1: bit for bit
            raised = np.fmin(raised, m + strength * (raised - m))
        return np.where(evidence, m, np.minimum(raised, down))  # NaN stays NaN

    def _dense(
        self, known: np.ndarray, evidence: np.ndarray, sources: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Both bounds from the closure in one step (a vendor's one-student request)."""
        # mastery lies in [0, 1]: a source without evidence reads 0 for the max (the up bound
        # starts at 0) and 1 for the min (the down bound starts at 1), so no NaN-aware reduction
        answered = evidence[:, sources]
        values = known[:, sources]
        reach_up = self.closure[sources][None, :, :]  # source -> itself and its ancestors
        up_values = np.where(answered, values, 0.0)[:, :, None]
        up = np.where(reach_up, up_values, 0.0).max(axis=1, initial=0.0)
        reach_down = self.closure[:, sources].T[None, :, :]  # source -> itself and dependents
        down_values = np.where(answered, values, 1.0)[:, :, None]
        down = np.where(reach_down, down_values, 1.0).min(axis=1, initial=1.0)
        return up, down

    def _by_levels(self, known: np.ndarray, evidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both bounds in one pass each over the levels (large batches): every edge is read
        once, and a level reads only levels already final."""
        up = np.where(evidence, known, 0.0)
        for e in self.up:
            reached = np.maximum.reduceat(up[:, e.sources], e.starts, axis=1)
            up[:, e.targets] = np.maximum(up[:, e.targets], reached)
        down = np.where(evidence, known, 1.0)
        for e in self.down:
            reached = np.minimum.reduceat(down[:, e.sources], e.starts, axis=1)
            down[:, e.targets] = np.minimum(down[:, e.targets], reached)
        return up, down


def _level_edges(
    target: np.ndarray, source: np.ndarray, level: np.ndarray, deepest_first: bool
) -> tuple[LevelEdges, ...]:
    """Edges grouped by the level of their target, in processing order, then by target."""
    out = []
    levels = np.unique(level[target])
    for lv in levels[::-1] if deepest_first else levels:
        at = np.flatnonzero(level[target] == lv)
        order = at[np.lexsort((source[at], target[at]))]
        out.append(
            LevelEdges(source[order], _group_starts(target[order]), np.unique(target[order]))
        )
    return tuple(out)


#: Above this many (student, evidence skill, skill) cells a batch is relaxed level by level.
DENSE_LIMIT = 2_000_000


def _group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    if len(sorted_keys) == 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


#: Each catalog's `GraphPropagation`.
_CACHE: IdentityMemo[GraphPropagation] = IdentityMemo(limit=64)


def graph_propagation(catalog: Catalog) -> GraphPropagation:
    """The catalog's `GraphPropagation` (cached by identity, like the policy's catalog arrays)."""
    return _CACHE.get((catalog,), lambda: GraphPropagation.of(catalog))


def propagate(
    catalog: Catalog, mastery: np.ndarray, evidence: np.ndarray, strength: float = 1.0
) -> np.ndarray:
    """`mastery` (n, catalog skills) with evidence propagated along the prerequisite graph,
    the up bound raising by `strength`."""
    return graph_propagation(catalog).propagate(mastery, evidence, strength)
