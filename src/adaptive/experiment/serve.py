"""Serving an experiment's arms in the nightly job's per-school step (both engines call it).

`arm_outputs(batch, context, assignment)` splits one school's `StudentBatch` by arm (the
student's class or school in the assignment), runs `partition.batch_outputs` with each arm's
policy, and returns the same four tables with an `arm` column on the recommendations and the
students ("" for students outside the experiment, served the night's own policy). When any arm
samples its lists, the deterministic arms' rows get propensity 1 (a deterministic policy shows
its list with probability 1), so every night has one schema.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pyarrow as pa

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
