"""Placement and cold start: where each student starts, before and beside their own answers.

- `prior`: the `Placement` value, and placements from grade level, earlier records, or several
  sources combined;
- `table`: placements as files (a prior year's mastery, a diagnostic's saved placement), every
  row checked (`blank_cells`: the cells it reads as "not assessed", to leave out of a frame);
- `graph`: evidence that flows along the prerequisite graph (a correct answer on a skill is
  evidence for its prerequisites, a wrong one against its dependents);
- `level`: where a student stands in the curriculum's sequence (grade, then prerequisite order),
  one latent point per student that every answer moves;
- `diagnostic`: an adaptive placement check that asks a few questions chosen by expected
  information: about the student's point (the level model, for students placed from their grade)
  or about every skill of the graph (the graph model).
"""

from adaptive.placement.diagnostic import (
    DiagnosticBatch,
    DiagnosticError,
    DiagnosticSession,
    PlacementDiagnostic,
    Question,
)
from adaptive.placement.prior import (
    DEFAULT_GRADE_TABLE,
    GradeTable,
    Placement,
    combine,
    grade_placement,
)
from adaptive.placement.table import blank_cells, mastery_table_placement, read_placement

__all__ = [
    "DEFAULT_GRADE_TABLE",
    "DiagnosticBatch",
    "DiagnosticError",
    "DiagnosticSession",
    "GradeTable",
    "Placement",
    "PlacementDiagnostic",
    "Question",
    "blank_cells",
    "combine",
    "grade_placement",
    "mastery_table_placement",
    "read_placement",
]
