"""How a source file's columns and quirks map onto the canonical response-log schema.

A mapping is plain data (a dict from a dataset descriptor in `datasets/NAME.toml`, overridden by
the CLI's column flags from `adaptive.cli.options.column_mapping`). `ColumnMapping.from_dict`
checks it once, at the boundary, so readers never meet an unknown key or a wrong type.

Keys (all optional; unset ones fall back to the canonical column names):

- `student_id`, `item_id`, `skill_ids`, `correct`: source column names. `student_id` may be a
  list of columns joined with "-" (Statics 2011 has no student ids: `["dkvmn_split", "seq_no"]`).
- `time`: a timestamp column or an integer order column; absent -> the canonical `timestamp` or
  `order` column if the file has one, else file order.
- `time_kind`: `"auto"` (integers -> order, anything else -> timestamps), `"timestamp"`,
  `"order"` or `"file"` (ignore any time column and use file order).
- `time_format`: a `strftime` format for text timestamps (default ISO 8601); naive times are UTC.
- `sep`: field delimiter (default by extension: `.tsv`/`.tab` -> tab, else comma, or a tab when
  the header line holds tabs and no commas); `skills_sep`: separator between skills in one cell.
- `duration_s`, `attempt`, `school_id`, `class_id`: optional columns.
- `merge_skill_rows`: consecutive rows of one student with the same item and correctness and a
  different skill are ONE response tagged with several skills (ASSISTments 2009).
- `skills_from`: `{file, item, skill}`, a Q-matrix edge list giving each item's skills; the log's
  own skill column is then ignored (the Gervet et al. splits index skill combinations).
- `allow_unsorted`: a student's rows need not be in time order in the file (they are sorted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adaptive.errors import ConfigError

CANONICAL_DEFAULTS = {
    "student_id": "student_id",
    "item_id": "item_id",
    "skill_ids": "skill_ids",
    "correct": "correct",
}
OPTIONAL_FIELDS = ("duration_s", "attempt", "school_id", "class_id")
TIME_KINDS = ("auto", "timestamp", "order", "file")
_STR_KEYS = ("item_id", "skill_ids", "correct", "time", "time_format", "sep", "skills_sep")
_KNOWN_KEYS = {
    *CANONICAL_DEFAULTS,
    *OPTIONAL_FIELDS,
    "time",
    "time_kind",
    "time_format",
    "sep",
    "skills_sep",
    "merge_skill_rows",
    "skills_from",
    "allow_unsorted",
}


@dataclass(frozen=True)
class SkillsFrom:
    """A Q-matrix edge list (`file` with columns `item` and `skill`) giving each item's skills."""

    file: str
    item: str = "item_id"
    skill: str = "skill_id"


@dataclass(frozen=True)
class ColumnMapping:
    """A checked mapping from source columns to the canonical schema (see the module docstring)."""

    student_id: tuple[str, ...] = ("student_id",)
    item_id: str = "item_id"
    skill_ids: str = "skill_ids"
    correct: str = "correct"
    time: str | None = None
    time_kind: str = "auto"
    time_format: str | None = None
    sep: str | None = None
    skills_sep: str | None = None
    optional: dict[str, str] = field(default_factory=dict)
    merge_skill_rows: bool = False
    skills_from: SkillsFrom | None = None
    allow_unsorted: bool = False

    @classmethod
    def from_dict(
        cls, mapping: Mapping[str, Any] | None, where: str = "column mapping"
    ) -> ColumnMapping:
        """Check a mapping dict (descriptor `[columns]` + options + CLI overrides)."""
        mapping = dict(mapping or {})
        unknown = sorted(set(mapping) - _KNOWN_KEYS)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(unknown)}; expected some of "
                f"{', '.join(sorted(_KNOWN_KEYS))}"
            )
        for key in _STR_KEYS:
            if key in mapping and not isinstance(mapping[key], str):
                raise ConfigError(f"{where}: '{key}' must be a string, got {mapping[key]!r}")
        for key in ("sep", "skills_sep"):
            if mapping.get(key) == "":
                raise ConfigError(f"{where}: '{key}' must not be empty")
            if mapping.get(key) in ("\\t", "tab", "TAB"):  # as typed on a command line
                mapping[key] = "\t"
        if mapping.get("sep") is not None and len(mapping["sep"]) != 1:
            raise ConfigError(f"{where}: 'sep' must be one character, got {mapping['sep']!r}")
        student = mapping.get("student_id", "student_id")
        if isinstance(student, str):
            student = (student,)
        elif not (
            isinstance(student, list | tuple)
            and student
            and all(isinstance(s, str) for s in student)
        ):
            raise ConfigError(f"{where}: 'student_id' must be a column name or a list of them")
        time_kind = mapping.get("time_kind", "auto")
        if time_kind not in TIME_KINDS:
            raise ConfigError(f"{where}: 'time_kind' must be one of {', '.join(TIME_KINDS)}")
        optional = {}
        for key in OPTIONAL_FIELDS:
            if key in mapping:
                if not isinstance(mapping[key], str):
                    raise ConfigError(f"{where}: '{key}' must be a column name")
                optional[key] = mapping[key]
        for key in ("merge_skill_rows", "allow_unsorted"):
            if not isinstance(mapping.get(key, False), bool):
                raise ConfigError(f"{where}: '{key}' must be true or false")
        skills_from = mapping.get("skills_from")
        if skills_from is not None:
            if not isinstance(skills_from, Mapping) or "file" not in skills_from:
                raise ConfigError(
                    f"{where}: 'skills_from' must be a table with 'file', 'item', 'skill'"
                )
            extra = sorted(set(skills_from) - {"file", "item", "skill"})
            if extra:
                raise ConfigError(f"{where}: 'skills_from' has unknown key(s) {', '.join(extra)}")
            skills_from = SkillsFrom(**{k: str(v) for k, v in skills_from.items()})
        return cls(
            student_id=tuple(student),
            item_id=mapping.get("item_id", "item_id"),
            skill_ids=mapping.get("skill_ids", "skill_ids"),
            correct=mapping.get("correct", "correct"),
            time=mapping.get("time"),
            time_kind=time_kind,
            time_format=mapping.get("time_format"),
            sep=mapping.get("sep"),
            skills_sep=mapping.get("skills_sep"),
            optional=optional,
            merge_skill_rows=mapping.get("merge_skill_rows", False),
            skills_from=skills_from,
            allow_unsorted=mapping.get("allow_unsorted", False),
        )

    def required_sources(self) -> dict[str, list[str]]:
        """Canonical field -> the source columns it needs (skills only without a Q-matrix)."""
        needed = {
            "student_id": list(self.student_id),
            "item_id": [self.item_id],
            "correct": [self.correct],
        }
        if self.skills_from is None:
            needed["skill_ids"] = [self.skill_ids]
        return needed
