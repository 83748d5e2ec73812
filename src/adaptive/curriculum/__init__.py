"""Curriculum: skills, prerequisites, activities and learner profiles."""

from adaptive.curriculum.catalog import Activity, Catalog, PrerequisiteCycleError, Skill
from adaptive.curriculum.profile import LearnerProfile

__all__ = ["Activity", "Catalog", "LearnerProfile", "PrerequisiteCycleError", "Skill"]
