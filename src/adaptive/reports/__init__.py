"""What teachers see: class x skill groups (accelerate / on_track, shown "Progressing" /
remediate / stuck) and small groups of students sharing the same next skill, as tables and as
functions."""

from adaptive.reports.teacher import (
    GROUPS,
    class_skill_counts,
    class_skill_summary,
    group_codes,
    next_skill_groups,
    teacher_view,
    write_table,
)

__all__ = [
    "GROUPS",
    "class_skill_counts",
    "class_skill_summary",
    "group_codes",
    "next_skill_groups",
    "teacher_view",
    "write_table",
]
