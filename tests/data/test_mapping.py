"""Column mappings are checked once, at the boundary, with messages naming the bad key."""

from __future__ import annotations

import pytest

from adaptive.cli.options import column_mapping
from adaptive.data.mapping import ColumnMapping
from adaptive.errors import ConfigError


def test_cli_flags_become_a_mapping():
    flags = column_mapping(student_col="user", skills_sep=";", time_col="when", sep="\\t")
    mapping = ColumnMapping.from_dict(flags)
    assert mapping.student_id == ("user",) and mapping.time == "when"
    assert mapping.sep == "\t" and mapping.skills_sep == ";"
    assert mapping.required_sources()["skill_ids"] == ["skill_ids"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        # each with the key likely meant (a trial's typo was told only the valid ones)
        ({"studnet_id": "u"}, r"unknown key 'studnet_id' \(did you mean 'student_id'\?\)"),
        ({"sep": ";;"}, "one character"),
        ({"time_kind": "clock"}, "time_kind"),
        ({"student_id": []}, "student_id"),
        ({"merge_skill_rows": "yes"}, "true or false"),
        ({"skills_from": {"file": "q.csv", "items": "x"}}, r"'items' \(did you mean 'item'\?\)"),
    ],
)
def test_bad_mappings_are_config_errors(bad, message):
    with pytest.raises(ConfigError, match=message):
        ColumnMapping.from_dict(bad)


def test_a_model_name_in_other_case_is_offered_its_spelling():
    """A data scientist's trial: `BKT` and `bkt-forget` got a "did you mean", `BKT-forget` not."""
    from adaptive.errors import closest_name

    names = ["bkt", "bkt-forgets", "best-lr", "irt"]
    assert closest_name("BKT-forget", names) == "bkt-forgets"
    assert closest_name("Best-LR", names) == "best-lr"
    assert closest_name("g7.NS.2", ["g5.NS.2", "g7.NF.1"]) is None  # another grade: no slip
    assert closest_name("geo-1x", ["Geo-11", "geo-11"]) == "geo-11"  # of two, the case nearest
