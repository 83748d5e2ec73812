"""Serving an experiment's arms in the nightly job's per-school step (both engines call it).

`arm_outputs(batch, context, assignment)` splits one school's `StudentBatch` by arm (the
student's class or school in the assignment), runs `partition.batch_outputs` with each arm's
policy, and returns the same four tables with an `arm` column on the recommendations and the
students ("" for students outside the experiment, served the night's own policy). When any arm
samples its lists, the deterministic arms' rows get propensity 1 (a deterministic policy shows
its list with probability 1), so every night has one schema.

`warn_other_roster`: after the night, both engines say when the assignment was drawn from other
profiles than the night's and leaves some of its students out (an assignment drawn from another
district's or last year's roster served as if it were this one's).
"""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pyarrow as pa

from adaptive.errors import ExperimentWarning
from adaptive.experiment.assign import Assignment
from adaptive.policy.base import StudentBatch


def arm_context(context, assignment: Assignment, arm: str):
    """The night's partition context with the arm's policy (catalog shared, not re-parsed)."""
    if arm == "":
        return context
    config = assignment.config(arm)
    out = dataclasses.replace(context, policy_json=json.dumps(config.to_dict(), sort_keys=True))
    out.__dict__["catalog"] = context.catalog  # cached_property: reuse the parsed catalog
    return out


def arm_outputs(batch: StudentBatch, context, assignment: Assignment) -> tuple[pa.Table, ...]:
    """The partition's output tables, each student served by their arm's policy."""
    from adaptive.batch.partition import batch_outputs

    arms = assignment.arm_of(batch.class_id, batch.school_id)
    parts: list[tuple[pa.Table, ...]] = []
    for arm in sorted(set(arms.tolist())):
        rows = np.flatnonzero(arms == arm)
        outputs = batch_outputs(batch.take(rows), arm_context(context, assignment, arm))
        recs, students = outputs[0], outputs[1]
        recs = recs.append_column("arm", pa.array([arm] * recs.num_rows, pa.string()))
        students = students.append_column("arm", pa.array([arm] * students.num_rows, pa.string()))
        parts.append((recs, students, *outputs[2:]))
    if not parts:
        outputs = batch_outputs(batch, context)
        return (_with_arm(outputs[0]), _with_arm(outputs[1]), *outputs[2:])
    exploring = any("propensity" in p[0].column_names for p in parts)
    tables = []
    for j in range(len(parts[0])):
        group = [p[j] for p in parts]
        if j == 0 and exploring:
            group = [
                t if "propensity" in t.column_names
                else t.append_column("propensity", pa.array(np.ones(t.num_rows)))
                for t in group
            ]  # fmt: skip
        tables.append(pa.concat_tables(group, promote_options="permissive"))
    return tuple(tables)


def _with_arm(table: pa.Table) -> pa.Table:
    return table.append_column("arm", pa.array([""] * table.num_rows, pa.string()))


def warn_other_roster(
    assignment: Assignment, profiles_sha256: str, outside: int, served: int
) -> None:
    """An `ExperimentWarning` when the night's profiles (`profiles_sha256`) are not the file
    `assignment` was drawn from (its `profiles_sha256`) and `outside` of the night's `served`
    students are in no class or school of it: the share says whether the roster was updated
    since (a few new students) or the assignment drawn from another roster (another
    district's, last year's: most of its classes are not tonight's). Nothing when the files
    are one, or every student is covered (a roster updated with moves only). Counts only."""
    drawn_from = assignment.profiles_sha256
    if not outside or not drawn_from or not profiles_sha256 or profiles_sha256 == drawn_from:
        return
    warnings.warn(
        f"{assignment.source} was drawn from other profiles than tonight's (its "
        f"profiles_sha256 {drawn_from[:12]}..., tonight's profiles {profiles_sha256[:12]}...), "
        f"and it does not cover {outside:,} of tonight's {served:,} students "
        f"({outside / max(served, 1):.0%}): they are served the night's own policy, arm ''. A "
        "few students new since the draw are expected after a roster update; a large share "
        "means an assignment drawn from another roster (another district's, last year's): "
        "draw it again from tonight's profiles before the experiment's first night",
        ExperimentWarning,
        stacklevel=3,
    )
