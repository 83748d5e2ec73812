"""Junyi knowledge map: quirks handled visibly, cycles named, broken only on request."""

from __future__ import annotations

import pandas as pd
import pytest

from adaptive.curriculum import PrerequisiteCycleError
from adaptive.curriculum.junyi import JUNYI_CYCLE_EDGE, load_junyi

RADICALS = {
    "adding_and_subtracting_radicals",
    "radical_multiplication_and_division",
    "simplifying_radicals",
}
SELF_LOOPS = {"number_sense_length_l1", "proportions_1"}


@pytest.fixture(scope="module")
def junyi_dir(shared_datasets):
    return shared_datasets / "junyi"


def test_unbroken_graph_reports_every_cycle_by_name(junyi_dir) -> None:
    with pytest.raises(PrerequisiteCycleError) as info:
        load_junyi(junyi_dir)
    cycles = sorted(sorted(c) for c in info.value.cycles)
    assert cycles == sorted([sorted(RADICALS), *([s] for s in SELF_LOOPS)])
    for name in [*RADICALS, *SELF_LOOPS]:
        assert name in str(info.value)


def test_dropping_self_loops_alone_still_reports_the_three_cycle(junyi_dir) -> None:
    with pytest.raises(PrerequisiteCycleError) as info:
        load_junyi(junyi_dir, drop_self_loops=True)
    assert [set(c) for c in info.value.cycles] == [RADICALS]


def test_broken_explicitly_all_835_exercises_are_in_topological_order(junyi_dir) -> None:
    loaded = load_junyi(junyi_dir, drop_self_loops=True, drop_edges=[JUNYI_CYCLE_EDGE])
    cat = loaded.catalog
    order = cat.topological_order
    assert len(cat.skills) == 835 and len(order) == 835 and len(set(order)) == 835
    pos = {s: i for i, s in enumerate(order)}
    assert all(pos[p] < pos[s.id] for s in cat.skills for p in s.prerequisites)
    # what loading changed is reported, not hidden
    assert loaded.duplicates == ("matrix_app_fruit_oil", "matrix_mul_two")
    assert set(loaded.dropped_edges) == {(s, s) for s in SELF_LOOPS} | {JUNYI_CYCLE_EDGE}
    # same graph as the published de-duplicated edge list, minus exactly the dropped edges
    published = pd.read_csv(junyi_dir / "junyi_prerequisite_edges.csv")
    assert len(published) == 981
    ours = {(p, s.id) for s in cat.skills for p in s.prerequisites}
    assert ours == set(zip(published["prerequisite"], published["exercise"], strict=True)) - set(
        loaded.dropped_edges
    )
    # BOM stripped (first column is `name`), display names and topics carried
    assert cat.skill("circles_and_arcs").name == "圓與弧"
    assert cat.activity("junyi:circles_and_arcs").topics == (
        "geometry",
        "area-perimeter-and-volume",
    )
    assert load_junyi(junyi_dir, break_cycles=True).catalog == cat
