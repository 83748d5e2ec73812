"""The serving lock's refusal says what to do once the holder is done (`lock._serving_message`)."""

from __future__ import annotations

from adaptive.batch.lock import _serving_message
from adaptive.locking import LockHolder


def test_a_night_before_one_being_dropped_is_not_told_to_backfill():
    holder = LockHolder.me({"date": "2027-02-21", "drop": "2027-02-21"})
    said = _serving_message("out", "2027-02-20", False, holder)
    assert "the night 2027-02-21 is being dropped from it" in said
    assert "--backfill" not in said  # the dropped night will be gone: no later night served
    assert said.endswith("then run this night (a folder is served one night at a time)")


def test_a_night_before_one_being_served_is_told_to_backfill():
    holder = LockHolder.me({"date": "2027-02-21"})
    said = _serving_message("out", "2027-02-20", False, holder)
    assert "dated before 2027-02-21, 2027-02-20 is then a back-fill: add --backfill" in said


def test_a_refused_drop_is_told_to_run_the_drop_again():
    holder = LockHolder.me({"date": "2027-02-21"})
    said = _serving_message("out", "2027-02-20", True, holder)
    assert said.endswith("then run this drop again (a folder is served one night at a time)")
