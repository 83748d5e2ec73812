"""The partition context the in-process job primes with its own catalog serves what the one
built from JSON (as a Spark executor has it) serves."""

from __future__ import annotations

import pyarrow as pa

import adaptive
from adaptive.batch.history import StudentHistory
from adaptive.batch.job import read_profiles
from adaptive.batch.partition import PartitionContext, batch_to_table, recommend_partition
from adaptive.curriculum import Catalog
from adaptive.policy import PolicyConfig
from adaptive.policy.adapter import batch_from_model


def test_primed_context_shares_the_catalog_and_serves_the_same(district) -> None:
    catalog = Catalog.from_json(district.catalog)
    model = adaptive.load_champion(district.model, tracking_uri=district.uri)
    state = model.init_state()
    model.update(state, district.log)
    history = StudentHistory.empty(catalog)
    history.absorb(district.log, catalog)
    ids = sorted(state.students)
    batch = batch_from_model(
        model, state, catalog, read_profiles(district.profiles), student_ids=ids,
        **history.fields(ids),
    )  # fmt: skip
    table = batch_to_table(batch)
    shipped = PartitionContext.build(catalog, PolicyConfig(), k=4, now_days=20_400.0)
    primed = PartitionContext.build(catalog, PolicyConfig(), k=4, now_days=20_400.0).primed(catalog)
    assert primed.catalog is catalog and shipped.catalog is not catalog
    assert primed.catalog == shipped.catalog  # the JSON round trip loses nothing
    assert "policy" in vars(primed)  # built before any worker forks
    want, got = recommend_partition(table, shipped), recommend_partition(table, primed)
    assert got.num_rows == want.num_rows > 0
    assert got.equals(want)
    assert isinstance(got, pa.Table)
