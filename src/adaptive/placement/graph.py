"""Evidence along the prerequisite graph: what one skill's answers say about its neighbours.

A student who has mastered a skill has, almost surely, mastered what it builds on; a student who
fails a skill has not yet mastered what builds on it. `propagate` applies both to a mastery table
(students x catalog skills), so the policy neither drills prerequisites a student has shown they
know through a harder skill, nor trusts a placement for skills beyond one the student just failed:

- up: a skill's mastery is at least the mastery of any skill that depends on it (directly or not)
  and has evidence of its own (responses);
- down: a skill without evidence of its own is at most the mastery of any of its prerequisites
  (directly or not) that has evidence.

Both are max / min relaxations over the direct edges, one pass per level of the graph, vectorized
over students (`GraphPropagation` precomputes the edge order once per catalog).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adaptive.curriculum import Catalog


@dataclass(frozen=True)
class GraphPropagation:
    """Direct prerequisite edges of a catalog, grouped for segment max / min."""

    n_skills: int
    depth: int  # edges on the longest path: passes needed to reach every ancestor
    # up: for each skill with dependents, the dependents (edges sorted by prerequisite)
    up_child: np.ndarray
    up_starts: np.ndarray
    up_parent: np.ndarray
    # down: for each skill with prerequisites, the prerequisites (edges sorted by dependent)
    down_parent: np.ndarray
    down_starts: np.ndarray
    down_child: np.ndarray
    # closure[g, s]: s is g or one of its ancestors (for small batches: one dense step)
    closure: np.ndarray

    @classmethod
    def of(cls, catalog: Catalog) -> GraphPropagation:
        p = catalog.prerequisite_matrix.tocoo()
        child, parent = p.row.astype(np.int64), p.col.astype(np.int64)
        by_parent = np.lexsort((child, parent))
        by_child = np.lexsort((parent, child))
        return cls(
            n_skills=len(catalog.skills),
            depth=_longest_path(catalog),
            up_child=child[by_parent],
            up_starts=_group_starts(parent[by_parent]),
            up_parent=np.unique(parent),
            down_parent=parent[by_child],
            down_starts=_group_starts(child[by_child]),
            down_child=np.unique(child),
            closure=_closure(catalog),
        )

    def propagate(self, mastery: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        """(n, S) mastery after both relaxations; NaN (unknown) stays NaN unless evidence from a
        neighbour fills it. `evidence` (n, S) is true where the student answered the skill."""
        if len(self.up_child) == 0 or mastery.size == 0:
            return mastery
        m = np.asarray(mastery, dtype=np.float64)
        evidence = np.asarray(evidence, dtype=bool)
        known = np.nan_to_num(m, nan=0.0)
        sources = np.flatnonzero(evidence.any(axis=0))
        if len(m) * len(sources) * self.n_skills <= DENSE_LIMIT:
            up, down = self._dense(known, evidence, sources)
        else:
            up, down = self._by_levels(known, evidence)
        raised = np.fmax(m, np.where(up > 0, up, np.nan))
        return np.where(evidence, raised, np.minimum(raised, down))  # NaN stays NaN

    def _dense(
        self, known: np.ndarray, evidence: np.ndarray, sources: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Both bounds from the closure in one step (a vendor's one-student request)."""
        values = np.where(evidence[:, sources], known[:, sources], np.nan)[:, :, None]
        reach_up = self.closure[sources][None, :, :]  # source -> itself and its ancestors
        up = np.nanmax(np.where(reach_up, values, np.nan), axis=1, initial=0.0)
        reach_down = self.closure[:, sources].T[None, :, :]  # source -> itself and dependents
        down = np.nanmin(np.where(reach_down, values, np.nan), axis=1, initial=1.0)
        return up, down

    def _by_levels(self, known: np.ndarray, evidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both bounds by relaxing the direct edges once per level (large batches)."""
        up = np.where(evidence, known, 0.0)
        for _ in range(self.depth):
            reached = np.maximum.reduceat(up[:, self.up_child], self.up_starts, axis=1)
            up[:, self.up_parent] = np.maximum(up[:, self.up_parent], reached)
        down = np.where(evidence, known, 1.0)
        for _ in range(self.depth):
            reached = np.minimum.reduceat(down[:, self.down_parent], self.down_starts, axis=1)
            down[:, self.down_child] = np.minimum(down[:, self.down_child], reached)
        return up, down


#: Above this many (student, evidence skill, skill) cells a batch is relaxed level by level.
DENSE_LIMIT = 2_000_000


def _closure(catalog: Catalog) -> np.ndarray:
    """(S, S) bool: closure[g, s] when s is g or an ancestor of g."""
    pos = {s: i for i, s in enumerate(catalog.skill_index)}
    closure = np.eye(len(pos), dtype=bool)
    for s in catalog.topological_order:  # prerequisites first
        for p in catalog.skill(s).prerequisites:
            closure[pos[s]] |= closure[pos[p]]
    return closure


def _group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    if len(sorted_keys) == 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def skill_levels(catalog: Catalog) -> np.ndarray:
    """(S,) edges on the longest prerequisite chain above each skill (0: no prerequisite)."""
    level: dict[str, int] = {}
    for s in catalog.topological_order:  # prerequisites first
        prereqs = catalog.skill(s).prerequisites
        level[s] = 1 + max(level[p] for p in prereqs) if prereqs else 0
    return np.array([level[s.id] for s in catalog.skills], dtype=np.int64)


def _longest_path(catalog: Catalog) -> int:
    """Edges on the longest prerequisite chain (0 for a graph without edges)."""
    levels = skill_levels(catalog)
    return int(levels.max()) if len(levels) else 0


_CACHE: dict[int, tuple[Catalog, GraphPropagation]] = {}


def graph_propagation(catalog: Catalog) -> GraphPropagation:
    """The catalog's `GraphPropagation` (cached by identity, like the policy's catalog arrays)."""
    hit = _CACHE.get(id(catalog))
    if hit is None or hit[0] is not catalog:
        hit = _CACHE[id(catalog)] = (catalog, GraphPropagation.of(catalog))
    return hit[1]


def propagate(catalog: Catalog, mastery: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """`mastery` (n, catalog skills) with evidence propagated along the prerequisite graph."""
    return graph_propagation(catalog).propagate(mastery, evidence)
