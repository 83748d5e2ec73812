"""bench_report --nights: the synthetic output holds N complete nights a week apart that the
report reads as earlier nights of the last one."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq

from adaptive.batch.writer import partition_path
from adaptive.reports.site.data import BatchRun
from experiments.bench_report import DATE, night_dates, synth_output


def test_nights_are_earlier_nights_of_the_last(tmp_path):
    """Three nights, the last one `DATE`: each sealed, served in date order, the same students,
    the earlier nights' mastery lower (so a student's mastery over time differs by night)."""
    synth_output(tmp_path, 40, 62, nights=3)
    dates = night_dates(3)
    assert dates == ["2027-02-06", "2027-02-13", DATE]
    run = BatchRun.open(tmp_path, DATE)
    assert run.earlier_dates() == dates[:2]
    school = run.schools[0]

    def mastery(date: str) -> np.ndarray:
        table = pq.read_table(partition_path(tmp_path, "students", date, school))
        return np.stack(table.column("mastery").to_pylist())

    first, last = mastery(dates[0]), mastery(DATE)
    assert first.shape == last.shape
    assert first.mean() < last.mean()
