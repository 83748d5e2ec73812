"""A researcher's export with a column named `time` (the mapping's own key name): its times
were left unused ("columns not used: time") and the answers read in file order."""

from __future__ import annotations

import numpy as np

from adaptive.data import load_log


def test_a_column_named_time_is_read_as_the_time(tmp_path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "student_id,item_id,skill_ids,correct,time\n"
        "s1,i1,k1,1,2026-10-01T10:00:00\n"
        "s1,i2,k1,0,2026-10-01T09:00:00\n"
    )
    log = load_log(path)
    assert log.has_timestamps
    assert [log.items[i] for i in log.item] == ["i2", "i1"]  # sorted by time, not file order
    assert np.diff(log.time).min() > 0
