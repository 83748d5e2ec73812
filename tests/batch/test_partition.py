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
