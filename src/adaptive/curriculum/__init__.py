"""Curriculum: skills, prerequisites, activities and learner profiles (and the Junyi map)."""

from adaptive.curriculum.catalog import Activity, Catalog, PrerequisiteCycleError, Skill
from adaptive.curriculum.junyi import JunyiLoad, load_junyi
from adaptive.curriculum.profile import (
    LearnerProfile,
    profile_from_json,
    read_profiles,
    write_profiles,
)

__all__ = [
    "Activity",
    "Catalog",
    "JunyiLoad",
    "LearnerProfile",
    "PrerequisiteCycleError",
    "Skill",
    "load_junyi",
    "profile_from_json",
    "read_profiles",
    "write_profiles",
]
