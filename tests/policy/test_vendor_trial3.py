"""Defects a third vendor's trial found in the policy and a teacher's overrides (each failed
before its fix): a request's overrides not checked as a file's are, grades and flags it could
not read, a week of no minutes served a full day, a catalog of no activities, no way to set a
whole skill aside, a review served on a grade guess."""

from __future__ import annotations

import pytest
from policy_fixtures import view

from adaptive.batch.overrides import StudentOverride
from adaptive.errors import ConfigError
from adaptive.policy import AdaptivePolicy, TeacherOverrides

NOW = 20_000.0


def test_a_request_refuses_an_activity_both_assigned_and_excluded_as_a_file_does(catalog):
    """`TeacherOverrides(assigned=("a",), excluded={"a"})` dropped the pin without a word; an
    overrides file with the same is a named problem. One rule now says both (and an activity
    assigned twice, served once, as a file says it)."""
    with pytest.raises(ConfigError) as err:
        TeacherOverrides(assigned=("add-1",), excluded=frozenset({"add-1", "geo-0"}))
    assert str(err.value) == (
        "TeacherOverrides: excluded 'add-1': expected an activity either assigned or excluded "
        "(this one is also in assigned, and the exclusion would win without a word)"
    )
    with pytest.raises(ConfigError, match=r"^TeacherOverrides: assigned\[2\] 'add-1': expected "
                       r"each activity once in assigned \(it is also assigned\[0\]"):  # fmt: skip
        TeacherOverrides(assigned=("add-1", "geo-0", " add-1"))
    with pytest.raises(ConfigError, match=r"^StudentOverride.excluded\[0\] 'add-1': expected an "):
        StudentOverride(assigned=("add-1",), excluded=("add-1",))
    ok = TeacherOverrides(assigned=("add-1",), excluded=frozenset({"geo-0"}))
    recs = AdaptivePolicy(catalog).recommend(view(), k=3, now=NOW, overrides=ok)
    assert recs[0].activity_id == "add-1" and "geo-0" not in [r.activity_id for r in recs]
