"""What both engines of the nightly job say about a night, in the same words (`job._serve_date`,
`spark_job.run_spark_night`): why the state is rebuilt, responses dated after today, and a past
night re-served by another model version. Counts and model versions only: no student data."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.batch import writer
from adaptive.batch.partition import OUTPUT_TABLES
from adaptive.errors import NightWarning


def rebuild_reason(
    meta: dict | None, version: str, model_name: str, late, new_catalog: bool, reuse: bool
) -> str:
    """Why the night rebuilds the state from every response, in words ("" when it does not)."""
    if reuse:
        return ""
    if meta is None:
        return "first night (no earlier snapshot)"
    if new_catalog:
        return "the catalog changed"
    if late is not None:
        return "the log changed before the last snapshot's cutoff"
    if meta["model_name"] != model_name:
        return f"another model ({meta['model_name']} before)"
    return f"a new champion version ({meta['model_version']} -> {version})"


def warn_future_rows(time_ns: np.ndarray, source: str) -> int:
    """Count (and warn of) responses dated after today by the wall clock: a year typed 2062
    or a device's wrong clock. No night uses them until their date comes, so they would be
    left out without a word. `time_ns`: the log's times (ns, UTC), or any part of them that
    holds every such response."""
    tomorrow = pd.Timestamp.now(tz="UTC").normalize() + pd.Timedelta(days=1)
    ahead = time_ns >= tomorrow.value
    n = int(ahead.sum())
    if n:
        latest = pd.Timestamp(int(time_ns[ahead].max()), tz="UTC").date().isoformat()
        warnings.warn(
            f"{source}: {n:,} responses are dated after today (up to {latest}): no night uses "
            "them until then; a wrong year or a device's clock?",
            NightWarning,
            stacklevel=3,
        )
    return n


def version_served_before(out: Path, day: str, version: str) -> str | None:
    """The model version that already served `day` in `out`, when it is another than `version`
    (a re-run of a past night after a new champion replaces what students were shown then)."""
    listed = writer.date_listing(out, OUTPUT_TABLES, day)
    before = None if listed is None else listed.get("model_version")
    if before is None or str(before) == str(version):
        return None
    warnings.warn(
        f"the night {day} was served by model version {before}; this re-run serves it with "
        f"version {version}, replacing what its students were shown",
        NightWarning,
        stacklevel=3,
    )
    return str(before)
