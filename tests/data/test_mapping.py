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
        ({"studnet_id": "u"}, "unknown key.*studnet_id"),
        ({"sep": ";;"}, "one character"),
        ({"time_kind": "clock"}, "time_kind"),
        ({"student_id": []}, "student_id"),
        ({"merge_skill_rows": "yes"}, "true or false"),
        ({"skills_from": {"file": "q.csv", "items": "x"}}, "unknown key.*items"),
    ],
)
def test_bad_mappings_are_config_errors(bad, message):
    with pytest.raises(ConfigError, match=message):
        ColumnMapping.from_dict(bad)
