"""Torch's CPU thread count for a block of work.

Small deep models on a busy machine train fastest on one thread: with two threads on a loaded
2-core machine, an epoch of the demo's DKT took 52 s instead of 0.8 s (threads waiting on each
other). `adaptive train` and `adaptive evaluate` take `--threads`; the demo uses one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Torch on `n` threads inside the block, its previous setting restored after; `None` leaves
    torch's own choice (and does not import torch)."""
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
