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


def test_the_demo_trains_with_its_districts_catalog_and_grades(tmp_path, monkeypatch):
    """The main job reads the district as `adaptive train --district` does: each model has
    measured whether knowledge follows the curriculum order (before, the demo trained on the
    log alone and said nothing of it)."""
    from adaptive.batch.demo import run_demo
    from adaptive.placement import GradeTable
    from adaptive.placement.calibrate import start_sentence

    monkeypatch.setenv("ADAPTIVE_DATA_DIR", str(tmp_path / "data"))
    said: list[str] = []
    result = run_demo(
        models=("bkt",), folds=2, tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        say=said.append, show_progress=False,
    )  # fmt: skip
    assert [s for s in said if s.startswith("Curriculum order in the training log: ")], said
    from adaptive.registry import load_version

    champion = load_version("demo-district", alias="champion", tracking_uri=result.tracking_uri)
    assert champion.model.curriculum_level_.answers >= 200
    start = champion.model.curriculum_level_.start  # read from the district's own log
    assert start is not None and start.table != GradeTable()
    assert start_sentence(start) in said  # where the champion starts newcomers
