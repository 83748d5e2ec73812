"""Cycles in a prerequisite graph: found (Tarjan's strongly connected components) and shown
as a person can mend them.

A component of skills that reach one another is not one cycle: printed as one, its arrows are
not links of the graph (a 28-skill chain whose arrows a district could not find in its file).
`shown_cycles` names real cycles instead, every arrow a prerequisite link, and the link of each
to remove: the one that goes most against grade order when the skills have grades (a grade 7
skill listed as a prerequisite of a grade 3 one is the link entered the wrong way round).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from adaptive.errors import ConfigError
from adaptive.grades import grade_label

#: Cycles an error shows (then "and more"): each comes with a link to remove.
MAX_SHOWN = 10


def find_cycles(prerequisites: dict[str, Sequence[str]]) -> list[list[str]]:
    """Every strongly connected component that is a cycle (incl. self-loops), as lists of ids."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0
    for root in prerequisites:
        if root in index:
            continue
        # iterative Tarjan: (node, iterator over its prerequisites)
        work = [(root, iter(prerequisites.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(prerequisites.get(nxt, ()))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == node:
                        break
                if len(component) > 1 or node in prerequisites.get(node, ()):
                    cycles.append(component[::-1])
    return cycles


@dataclass(frozen=True)
class Cycle:
    """A cycle of prerequisite links, as shown: `path` runs prerequisite -> skill that lists it,
    its first id again last; its first link (`link`) is the one to remove. `grades` holds that
    link's (prerequisite's, skill's) grades when it goes against grade order."""

    path: tuple[str, ...]
    grades: tuple[int, int] | None = None

    @property
    def link(self) -> tuple[str, str]:
        """(prerequisite, skill): the link to remove."""
        return self.path[0], self.path[1]

    def __str__(self) -> str:
        return " -> ".join(self.path)


def shown_cycles(
    prerequisites: Mapping[str, Sequence[str]],
    grades: Mapping[str, int] | None = None,
    limit: int = MAX_SHOWN,
) -> tuple[list[Cycle], bool]:
    """Real cycles of the graph (skill -> its prerequisites), one link of each to remove, so
    that removing them all leaves no cycle; and whether that is so within `limit` (False:
    cycles remain after these). Each is found in the first component left: its link that goes
    most against grade order (else its first skill's first prerequisite in it), and the
    shortest way back from that link's skill to its prerequisite."""
    graph = {s: list(p) for s, p in prerequisites.items()}
    grades = grades or {}
    shown: list[Cycle] = []
    while components := find_cycles(graph):
        if len(shown) == limit:
            return shown, False
        cycle = _cycle_in(set(components[0]), graph, grades)
        shown.append(cycle)
        pre, skill = cycle.link
        graph[skill] = [p for p in graph[skill] if p != pre]
    return shown, True


def _cycle_in(component: set[str], graph: dict[str, list[str]], grades: Mapping[str, int]) -> Cycle:
    """A cycle of a strongly connected `component` through the link to remove: the one whose
    prerequisite is the most grades above its skill, else (no grades, or none against their
    order) the first skill's first prerequisite in it."""
    links = [(p, s) for s in graph if s in component for p in graph[s] if p in component]
    drops = [grades[p] - grades[s] if p in grades and s in grades else 0 for p, s in links]
    first_largest = max(range(len(links)), key=lambda i: (drops[i], -i))
    pre, skill = links[first_largest]
    against = (grades[pre], grades[skill]) if drops[first_largest] > 0 else None
    return Cycle((pre, *_shortest_path(skill, pre, links)), against)


def _shortest_path(start: str, end: str, links: list[tuple[str, str]]) -> list[str]:
    """The fewest links from `start` to `end` along prerequisite -> skill (breadth first)."""
    needed_by: dict[str, list[str]] = {}
    for p, s in links:
        needed_by.setdefault(p, []).append(s)
    came_from: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue and end not in came_from:
        node = queue.popleft()
        for nxt in needed_by.get(node, ()):
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    path = [end]
    while (back := came_from[path[-1]]) is not None:
        path.append(back)
    return path[::-1]


class PrerequisiteCycleError(ConfigError):
    """The prerequisite graph has a cycle. `cycles` lists each strongly connected component
    (skills that reach one another through prerequisites) as a list of ids; `shown` holds real
    cycles (`Cycle`), each with the link the message says to remove.

    `positions` (skill id -> position in the catalog's list) names a skill as a catalog file's
    "skills[12] ('3.G.A.1')"; `from_edges` gives the advice of `Catalog.from_edges`
    (`drop_edges=[...]`) in place of a `prerequisites` entry to remove."""

    def __init__(
        self,
        prerequisites: Mapping[str, Sequence[str]],
        grades: Mapping[str, int] | None = None,
        *,
        positions: Mapping[str, int] | None = None,
        from_edges: bool = False,
    ):
        self.cycles = find_cycles(prerequisites)
        self.shown, complete = shown_cycles(prerequisites, grades)
        parts = [_mend(c, positions, from_edges) for c in self.shown]
        if len(parts) == 1:
            has, listed = "a cycle", parts[0]
        else:
            has = f"{len(parts)} cycles" if complete else f"at least {len(parts)} cycles"
            listed = "; ".join(f"({i}) {part}" for i, part in enumerate(parts, 1))
        more = "" if complete else "; more remain once these are mended"
        super().__init__(
            f"the prerequisite graph must be acyclic, but it has {has} (each arrow: a "
            f"prerequisite -> a skill that lists it): {listed}{more}"
        )


def _mend(cycle: Cycle, positions: Mapping[str, int] | None, from_edges: bool) -> str:
    """A cycle and how to break it: which link, why that one (grade order), and where."""
    pre, skill = cycle.link
    if from_edges:
        how = ("drop_self_loops=True" if pre == skill
               else f"drop_edges=[({pre!r}, {skill!r})]")  # fmt: skip
        fix = f"drop it: Catalog.from_edges(..., {how})"
    else:
        where = f"skills[{positions[skill]}] ({skill!r})" if positions else f"skill {skill!r}"
        fix = f'remove {pre!r} from the "prerequisites" of {where}'
    if pre == skill:
        return f"{cycle}: {skill!r} lists itself as its prerequisite; {fix}"
    if cycle.grades is not None:
        high, low = (grade_label(g) for g in cycle.grades)
        return (
            f"{cycle}: its link {pre} -> {skill} puts a grade {high} skill before a grade {low} "
            f"one; {fix}"
        )
    return f"{cycle}: one of its links is wrong; if it is {pre} -> {skill}, {fix}"
