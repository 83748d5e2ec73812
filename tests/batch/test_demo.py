"""The demo's model list: every spec builds, DKT is compared with the others, and the demo trains
torch models on one thread (restored after). The full demo itself is `adaptive demo`."""

from __future__ import annotations

import torch

from adaptive.batch.demo import DEMO_MODELS
from adaptive.tracing.deep.dkt import DKT
from adaptive.tracing.deep.threads import torch_threads
from adaptive.tracing.specs import build_model


def test_demo_compares_dkt_with_bkt_and_the_logistic_models():
    models = {spec: build_model(spec) for spec in DEMO_MODELS}
    assert {"bkt", "best-lr"} <= set(models)
    dkt = [m for m in models.values() if isinstance(m, DKT)]
    assert len(dkt) == 1 and dkt[0].max_epochs <= 5, "the demo's DKT must stay small"


def test_torch_threads_are_set_inside_and_restored_after():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with torch_threads(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with torch_threads(None):  # torch's own setting, untouched
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
