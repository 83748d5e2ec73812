"""The daily batch job: incremental student state, recommendations for every student, Parquet out.

    from adaptive.batch import run_daily_job
    summary = run_daily_job("2027-02-12", "out/batch")

See `job.py` (the steps), `partition.py` (the pure per-school function, also run on Spark by
`spark.py`), `snapshot.py` / `history.py` (nightly state), `writer.py` (atomic Parquet) and
`drop.py` (removing a night served by mistake).
"""

from __future__ import annotations

from adaptive.batch.drop import DroppedNight, drop_night
from adaptive.batch.job import JobSummary, run_daily_job

__all__ = ["DroppedNight", "JobSummary", "drop_night", "run_daily_job"]
