"""A forked worker runs torch after its parent did: a deep champion's night with 2 workers
stalled at "schools 0/2" (the parent's OpenMP thread pool is not copied by fork, and the
worker's first parallel region waited on it forever); `--workers 1` served it in 10 s."""

from __future__ import annotations

import concurrent.futures

import pytest

torch = pytest.importorskip("torch")


def _matmul_sum() -> float:
    x = torch.ones(512, 512)
    return float((x @ x).sum())


def test_a_forked_worker_runs_torch_after_its_parent_did() -> None:
    from adaptive.batch.processes import forked_pool

    before = torch.get_num_threads()
    torch.set_num_threads(2)  # the parent's pool started, as a night's tracing starts it
    expected = _matmul_sum()
    pool = forked_pool(1)
    try:
        assert pool.submit(_matmul_sum).result(timeout=60) == expected
    except concurrent.futures.TimeoutError:
        for process in list(pool._processes.values()):  # the stalled worker: not waited on
            process.kill()
        pytest.fail("the forked worker's torch call never returned")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        torch.set_num_threads(before)
