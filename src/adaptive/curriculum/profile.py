"""The learner profile: who a student is beyond their responses (py-fsrs style plain value)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adaptive.errors import ConfigError
from adaptive.files import user_text_lines
from adaptive.grades import parse_grade
from adaptive.records import from_record, to_record


@dataclass(frozen=True)
class LearnerProfile:
    """A pseudonymous student's grade, interests, aspirations and time budget.

    `grade` is a whole number, kindergarten 0 ("K" is read as 0: `adaptive.grades`);
    `interests` maps topic -> weight in [0, 1]; `goal_skills` are skills the student aims for
    (an aspiration or career cluster already mapped to skills); `career_clusters` keeps the names.
    """

    student_id: str
    grade: int | None = None
    interests: dict[str, float] = field(default_factory=dict)
    goal_skills: tuple[str, ...] = ()
    career_clusters: tuple[str, ...] = ()
    weekly_minutes: float = 150.0
    school_id: str | None = None
    class_id: str | None = None

    def __post_init__(self) -> None:
        _check_interests(self)
        # "K" is grade 0 and "5" grade 5 here as in a profiles file; 4.5 or "fourth" is an error
        # now, not a ValueError in placement later
        if self.grade is None or type(self.grade) is int:  # the common case: 400,000 a night
            return
        grade = parse_grade(self.grade, f"profile {self.student_id!r}")
        if grade is not self.grade:
            object.__setattr__(self, "grade", grade)

    def to_dict(self) -> dict[str, Any]:
        return to_record(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "profile") -> LearnerProfile:
        """A profile from a JSON record, every field checked (`adaptive.records`): a grade of
        "four" or interests given as a list is a `RecordError`, never misread."""
        return from_record(cls, d, where)


def _check_interests(profile: LearnerProfile) -> None:
    """Interest weights lie in [0, 1]: a weight of 80 (a percentage) was clipped to 1 without a
    word, so every topic a student named weighed the same."""
    bad = {t: w for t, w in profile.interests.items() if not 0.0 <= w <= 1.0}
    if bad:
        hint = " (percentages? divide by 100)" if all(0 <= w <= 100 for w in bad.values()) else ""
        raise ConfigError(
            f"profile {profile.student_id!r}: interests {bad}: expected weights in [0, 1]{hint}"
        )


def profile_from_json(line: str, where: str) -> LearnerProfile:
    """One profile from its JSON text (a line of a profiles file); a `ConfigError` naming
    `where` (file and line) for text that is not JSON or not a profile."""
    try:
        return LearnerProfile.from_dict(json.loads(line), where)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: not a learner profile (not JSON: {exc})") from exc


#: What a profiles file is, as errors say it.
PROFILES_EXPECTED = "learner profiles, one JSON object per line"


def read_profiles(path: str | Path) -> dict[str, LearnerProfile]:
    """Learner profiles from a JSON-lines file (one `LearnerProfile.to_dict()` per line; blank
    lines skipped), by student id; a bad line is one error naming the file and line, and so is
    a student on two lines (an export with two enrollment records: which one is meant is the
    district's to say, not the last line's)."""
    profiles: dict[str, LearnerProfile] = {}
    line_of: dict[str, int] = {}
    for number, line in user_text_lines(path, PROFILES_EXPECTED):
        if line.strip():
            p = profile_from_json(line, f"{path}, line {number}")
            first = line_of.setdefault(p.student_id, number)
            if first != number:
                raise ConfigError(
                    f"{path}, line {number}: student {p.student_id!r} is also on line {first}; "
                    "expected one line per student"
                )
            profiles[p.student_id] = p
    return profiles
