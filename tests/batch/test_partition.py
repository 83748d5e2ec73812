"""The partition context the in-process job primes with its own catalog serves what the one
built from JSON (as a Spark executor has it) serves."""

from __future__ import annotations

from adaptive.batch.partition import PartitionContext, recommend_partition
from adaptive.policy import PolicyConfig


def test_primed_context_shares_the_catalog_and_serves_the_same(district_table) -> None:
    catalog, table = district_table
    shipped = PartitionContext.build(catalog, PolicyConfig(), k=4, now_days=20_400.0)
    primed = PartitionContext.build(catalog, PolicyConfig(), k=4, now_days=20_400.0).primed(catalog)
    assert primed.catalog is catalog and shipped.catalog is not catalog
    assert primed.catalog == shipped.catalog  # the JSON round trip loses nothing
    assert "policy" in vars(primed)  # built before any worker forks
    want, got = recommend_partition(table, shipped), recommend_partition(table, primed)
    assert got.num_rows == want.num_rows > 0
    assert got.equals(want)


def test_every_skill_known_is_the_policys_assumed_known_rule() -> None:
    """The night's and the report's "nothing left to learn" count reads the students table's
    float32 lists with the policy's own rule: 0.95 stored as 0.9499... is assumed known on a
    skill never started, not on one started, and a mastered skill is known whatever its
    estimate."""
    import numpy as np

    from adaptive.batch.partition import every_skill_known
    from adaptive.policy.progression import Progression

    mastery = np.array([[0.95, 0.3], [0.95, 0.3], [0.95, np.nan]], np.float32)
    mastered, new, going = Progression.MASTERED, Progression.NOT_STARTED, Progression.IN_PROGRESS
    progression = np.array([[new, mastered], [going, mastered], [new, new]], np.int8)
    assert every_skill_known(mastery, progression, 0.95).tolist() == [True, False, False]
