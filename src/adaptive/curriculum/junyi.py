"""The Junyi Academy knowledge map as a `Catalog`: a real prerequisite graph of 835 exercises.

Source: `../shared/datasets/junyi/junyi_Exercise_table.csv` (Chang, Hsu & Chen, EDM 2015; no
commercial use). Its quirks are handled here, each visibly:

- UTF-8 with a byte-order mark: read with `utf-8-sig`.
- Two exercise names appear twice (different creation dates): the earliest row is kept and the
  duplicates are listed in `JunyiLoad.duplicates`.
- Prerequisite lists may repeat a parent; repeats are merged.
- The graph is not acyclic (two self-loops and a 3-cycle through the radicals exercises). Loading
  raises `PrerequisiteCycleError` naming every cycle unless the caller breaks them explicitly with
  `drop_self_loops=True` and/or `drop_edges=[(prerequisite, exercise), ...]`. `JUNYI_CYCLE_BREAK`
  is the documented minimal choice: both self-loops plus one edge of the 3-cycle.

Each exercise becomes a `Skill` (display name as `name`, area as `standard`) and one practice
`Activity` of that skill whose topics are the exercise's area and topic (where given).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from adaptive.curriculum.catalog import Activity, Catalog, Skill
from adaptive.errors import ConfigError

JUNYI_TABLE = "junyi_Exercise_table.csv"

#: The edge of the radicals 3-cycle dropped by `load_junyi(break_cycles=True)`: simplifying
#: radicals is kept as a prerequisite of multiplying/dividing them, not the other way round.
JUNYI_CYCLE_EDGE = ("simplifying_radicals", "adding_and_subtracting_radicals")


@dataclass(frozen=True)
class JunyiLoad:
    """The loaded catalog and what loading changed, so nothing is dropped silently."""

    catalog: Catalog
    duplicates: tuple[str, ...]
    dropped_edges: tuple[tuple[str, str], ...]
    not_live: tuple[str, ...]


def default_junyi_dir() -> Path:
    """`junyi/` in the public datasets' folder (`paths.shared_datasets_dir`)."""
    from adaptive.paths import shared_datasets_dir

    return shared_datasets_dir(must_exist=False) / "junyi"


def read_junyi_table(directory: str | Path | None = None) -> pd.DataFrame:
    """The exercise table, BOM stripped, one row per exercise name (earliest creation kept)."""
    path = Path(directory or default_junyi_dir()) / JUNYI_TABLE
    if not path.is_file():
        raise ConfigError(f"{path}: Junyi exercise table not found")
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    expected = {"name", "live", "prerequisites", "pretty_display_name", "topic", "area"}
    missing = expected - set(table.columns)
    if missing:
        raise ConfigError(f"{path}: missing columns {sorted(missing)}; expected {sorted(expected)}")
    return table.sort_values(["name", "creation_date"], kind="stable")


def load_junyi(
    directory: str | Path | None = None,
    *,
    drop_self_loops: bool = False,
    drop_edges: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
    break_cycles: bool = False,
) -> JunyiLoad:
    """Load the Junyi knowledge map; cycles raise `PrerequisiteCycleError` unless broken.

    `break_cycles=True` is shorthand for `drop_self_loops=True, drop_edges=[JUNYI_CYCLE_EDGE]`.
    Every edge dropped is returned in `JunyiLoad.dropped_edges`.
    """
    if break_cycles:
        drop_self_loops = True
        drop_edges = (*drop_edges, JUNYI_CYCLE_EDGE)
    table = read_junyi_table(directory)
    dup_mask = table["name"].duplicated(keep="first")
    duplicates = tuple(sorted(table.loc[dup_mask, "name"].unique()))
    table = table.loc[~dup_mask]
    # keep the file's order of first appearance for stable ids / tie-breaks
    table = table.sort_index()
    edges: list[tuple[str, str]] = []
    for name, prereqs in zip(table["name"], table["prerequisites"], strict=True):
        for pre in dict.fromkeys(p.strip() for p in prereqs.split(",") if p.strip()):
            edges.append((pre, name))
    unknown = sorted({p for p, _ in edges} - set(table["name"]))
    if unknown:
        raise ConfigError(f"Junyi table: prerequisites name unknown exercises {unknown[:10]}")
    dropped = tuple(e for e in edges if (drop_self_loops and e[0] == e[1]) or e in set(drop_edges))
    names = dict(zip(table["name"], table["pretty_display_name"], strict=True))
    skeleton = Catalog.from_edges(
        edges,
        skills=list(table["name"]),
        drop_self_loops=drop_self_loops,
        drop_edges=drop_edges,
        names=names,
    )
    areas = dict(zip(table["name"], table["area"], strict=True))
    topics = dict(zip(table["name"], table["topic"], strict=True))
    skills = tuple(
        Skill(s.id, s.name, s.prerequisites, standard=areas[s.id] or None) for s in skeleton.skills
    )
    activities = tuple(
        Activity(
            id=f"junyi:{s.id}",
            title=s.name,
            skills=(s.id,),
            topics=tuple(t for t in (areas[s.id], topics[s.id]) if t),
            standard=areas[s.id] or None,
        )
        for s in skills
    )
    not_live = tuple(table.loc[table["live"].str.upper() != "TRUE", "name"])
    return JunyiLoad(Catalog(skills, activities), duplicates, dropped, not_live)
