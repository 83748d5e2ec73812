"""The `experiments/` scripts (benchmarks, tuners, run_all) import as `experiments.NAME` from the
repository root, which `python -m pytest` puts on sys.path and a bare `pytest` does not."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
