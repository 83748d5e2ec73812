"""The nightly job starts students without history from their grade, and says so."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from adaptive.batch import run_daily_job
from adaptive.batch.snapshot import load_snapshot
from adaptive.curriculum import Catalog, LearnerProfile
from adaptive.placement import grade_placement
from adaptive.registry.loading import load_version


def test_a_new_student_is_placed_from_grade_and_the_output_says_so(district, tmp_path):
    profiles = tmp_path / "profiles.jsonl"
    first = json.loads(district.profiles.read_text().splitlines()[0])
    newcomer = {**first, "student_id": "newcomer-1", "grade": 5}
    profiles.write_text(district.profiles.read_text() + json.dumps(newcomer) + "\n")
    out = tmp_path / "out"
    args = district.job_args(k=3, profiles=profiles, state_dir=tmp_path / "state")
    run_daily_job(district.last_day, out, **args)

    recs = pd.read_parquet(out / "recommendations" / f"date={district.last_day}")
    mine = recs[recs["student_id"] == "newcomer-1"]
    assert len(mine) and (mine["placement"] == "placed from grade 5").all()
    answered = recs[recs["student_id"] == district.log.students[0]]
    assert (answered["placement"] == "").all()

    snap = load_snapshot(tmp_path / "state", district.last_day)
    row = snap.tracer.row("newcomer-1")
    assert row is not None  # placed into the state, so tomorrow's answers start from grade 5
    placed = snap.tracer.arrays["placement"][row]  # the champion's skills, from grade 5
    expected = grade_placement(Catalog.from_json(district.catalog), [LearnerProfile("x", grade=5)])
    np.testing.assert_allclose(
        placed, expected.aligned(list(champion_skills(district)))[0], atol=1e-6
    )


def champion_skills(district) -> list[str]:
    return [
        str(s)
        for s in load_version(
            district.model, alias="champion", tracking_uri=district.uri
        ).model.skills_
    ]


def test_answers_on_skills_the_champion_lacks_are_counted_and_said_once_a_night(district, tmp_path):
    """The champion was fitted on the students outside the promotion holdout, so a few skills
    only holdout students answered are unknown to it: the night says, once, how many answers
    it could not trace there (and the summary keeps the count), where before they were dropped
    without a word."""
    import warnings

    import adaptive
    from adaptive.errors import CoverageWarning

    model = adaptive.load_champion(district.model, tracking_uri=district.uri)
    expected = model.untraced(district.log)
    assert expected.responses > 0  # else the test could not fail
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = run_daily_job(
            district.last_day, tmp_path / "out", **district.job_args(k=3, state_dir=tmp_path / "s")
        )
    said = [w for w in caught if issubclass(w.category, CoverageWarning)]
    said = [str(w.message) for w in said if str(w.message).startswith("update:")]
    assert len(said) == 1, said
    assert f"{expected.responses:,} responses of the night on" in said[0]
    assert summary.responses_untraced == expected.responses


def test_a_first_night_dated_before_every_response_says_so(district, tmp_path):
    """A mistyped year (2020 for 2026) served every student from placement alone without a
    word; the night still runs (a district may start before its first answers), and warns."""
    import warnings

    import pytest

    from adaptive.errors import NightWarning

    args = district.job_args(k=3, state_dir=tmp_path / "s")
    with pytest.warns(NightWarning, match="the night of 2020-01-01 comes before every response"):
        summary = run_daily_job("2020-01-01", tmp_path / "early", **args)
    assert summary.new_responses == 0 and summary.students_served > 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", NightWarning)
        fresh = district.job_args(k=3, state_dir=tmp_path / "fresh")  # a first night again
        run_daily_job(district.last_day, tmp_path / "out", **fresh)  # a real night: no warning


def test_a_first_night_whose_log_answers_for_few_of_the_roster_says_so(district, tmp_path):
    """A user trial: a first night on a log of one student (a partial export) served the other
    150 of 151 from grade placement alone, exit 0, without a word (an empty log is said). It is
    still served, and warned of by counts, no id; a later night (a snapshot) is not."""
    import warnings

    import pytest

    from adaptive.curriculum import read_profiles
    from adaptive.data.log import ResponseLog
    from adaptive.errors import NightWarning

    frame = district.log.frame
    one = str(district.log.students[0])
    log = ResponseLog.from_frame(frame[frame["student_id"].astype(str) == one], source="one.csv")
    roster = len(read_profiles(district.profiles))
    args = district.job_args(data=log, k=3)
    with pytest.warns(NightWarning, match="holds answers for 1 of the") as said:
        summary = run_daily_job(district.last_day, tmp_path / "out", **args)
    partial = [str(w.message) for w in said if "holds answers for" in str(w.message)]
    assert partial == [
        f"one.csv holds answers for 1 of the {roster:,} students in the profiles: the other "
        f"{roster - 1:,} are served from their placement alone on this first night (a partial "
        "export? serve the night again with the whole log)"
    ]
    assert one not in partial[0] and summary.students_served >= roster
    with warnings.catch_warnings():
        warnings.simplefilter("error", NightWarning)
        later = (pd.Timestamp(district.last_day) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        run_daily_job(later, tmp_path / "out", **args)  # from the snapshot: not said again
