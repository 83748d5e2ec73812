"""Serving an experiment's arms in the nightly job's per-school step (both engines call it).

`arm_outputs(batch, context, assignment)` splits one school's `StudentBatch` by arm (the
student's class or school in the assignment), runs `partition.batch_outputs` with each arm's
policy, and returns the same four tables with an `arm` column on the recommendations and the
students ("" for students outside the experiment, served the night's own policy; a night without an experiment
has the column too, null: `without_arm`). When any arm
samples its lists, the deterministic arms' rows get propensity 1 (a deterministic policy shows
its list with probability 1), so every night has one schema.

`warn_outside`: after the night, both engines say in one warning how many students the
assignment leaves out, and why: drawn from other profiles than the night's (students new since
the draw, or an assignment drawn from another district's or last year's roster served as if it
were this one's), or students without a profile; with advice that fits whether the experiment
has begun (`experiment_began`).
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa

from adaptive.errors import ExperimentWarning, counted, share_words, verb
from adaptive.experiment.assign import Assignment, AssignmentFacts
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


def without_arm(table: pa.Table) -> pa.Table:
    """A night's recommendations or students table served without an experiment, with an
    `arm` column of nulls: a folder of nights read as one dataset (`pd.read_parquet(out /
    "students")`, pyarrow's datasets, Spark) takes its columns from its first night's files, so
    a first night without the column dropped the arms of every later night served with one."""
    return table.append_column("arm", pa.nulls(table.num_rows, pa.string()))


def has_arms(table: pa.Table) -> bool:
    """Whether a recommendations or students table was served with an experiment: an `arm`
    column with values ('' for a student outside it), not one of nulls (`without_arm`: a night
    served without one; a night written before that has no column)."""
    if "arm" not in table.column_names:
        return False
    arm = table.column("arm")
    return arm.null_count < len(arm) or len(arm) == 0


def file_has_arms(path: Path) -> bool:
    """`has_arms` of a written Parquet file, reading its `arm` column alone."""
    import pyarrow.parquet as pq

    part = pq.ParquetFile(path)
    if "arm" not in part.schema_arrow.names:
        return False
    return has_arms(part.read(columns=["arm"]))


def check_covers_students(assignment: Assignment, profiles: dict) -> None:
    """AssignmentError when the night's profiles put no student in a class (school) of the
    `assignment`: every student would be served the night's own policy under an experiment's
    name (a trial: another year's file, a warning and exit 0). Partial coverage is
    `warn_outside`'s (a roster updated since the draw)."""
    from adaptive.experiment.assign import profile_units

    people = profile_units(profiles)
    check_covers_units(assignment, zip(people["school_id"], people["class_id"], strict=True))


def check_covers_units(assignment: Assignment, students: Iterable[tuple[str, str]]) -> None:
    """`check_covers_students` from each student's (school id, class id), one pair per student
    ('': none), read in one pass that stops at the first unit of the assignment: the Spark
    engine's driver streams them from the profiles file, never holding the district. The
    message names the file and counts the units matched (0 of the profiles' N), with the
    likely cause; units only, no student id. A file drawn by class id alone is read to the
    end, to warn of its class ids that several schools use (`warn_drawn_by_class_id`)."""
    from adaptive.experiment.assign import AssignmentError, warn_drawn_by_class_id

    drawn = set(assignment.unit_keys())
    whole = assignment.by_class_id
    schools_of: dict[str, set[str]] = {}
    seen: set[tuple[str, ...]] = set()
    count = covered = 0
    for school, klass in students:
        key = (school,) if assignment.unit == "school" else (klass,) if whole else (school, klass)
        if key in drawn:
            if not whole:
                return
            covered += 1
        count += 1
        if key[-1]:
            seen.add(key)
        if whole and klass:
            schools_of.setdefault(klass, set()).add(school)
    warn_drawn_by_class_id(assignment, schools_of)
    if covered or not count:
        return
    plural = {"class": "classes", "school": "schools"}[assignment.unit]
    raise AssignmentError(
        f"--experiment {assignment.source}: 0 of the profiles' {len(seen):,} {plural} (0 of "
        f"{counted(count, 'student')}) are among its {len(drawn):,} {plural}; "
        "expected an assignment drawn from this district's roster (`adaptive experiment "
        "assign --profiles` with tonight's profiles): one of another year's or another "
        "district's ids? Nothing was served or written"
    )


def warn_outside(
    assignment: Assignment | AssignmentFacts,
    profiles_sha256: str | None,
    outside: int,
    without_profile: int,
    served: int,
    policy: str,
    began: str | None,
) -> None:
    """One `ExperimentWarning` when students with a profile are in no class (school) of
    `assignment`: of the night's `served` students, `outside` have no arm (served the night's
    own `policy`, its name: arm ''), `without_profile` of them for want of a profile (said
    apart, as served in school 'unassigned': not counted again here). Why, from what is
    known: the assignment drawn from other profiles than tonight's (their `profiles_sha256`s
    differ: students new since the draw, or another roster's assignment, which the share tells
    apart), else a class (school) new since the draw, or, drawn from tonight's own profiles,
    profiles without a class (school). The advice fits whether the experiment
    `began` (the first night served with it before tonight, `experiment_began`): before it,
    draw the assignment again; after, keep it. Counts only."""
    n = outside - min(without_profile, outside)
    if not n:
        return
    unit = assignment.unit
    drawn_from = assignment.profiles_sha256
    other_roster = bool(drawn_from and profiles_sha256 and profiles_sha256 != drawn_from)
    besides = min(without_profile, outside)
    said = (
        f"{n:,} of tonight's {counted(served, 'student')} ({share_words(n / max(served, 1))}) "
        f"{verb(n, 'is')} in no {unit} of the experiment {assignment.source}"
        + (f" (besides the {besides:,} without a profile, said apart)" if besides else "")
    )
    if other_roster:
        said += (
            f", which was drawn from other profiles than tonight's (its profiles_sha256 "
            f"{drawn_from[:12]}..., tonight's profiles {profiles_sha256[:12]}...)"
        )
    elif drawn_from and drawn_from == profiles_sha256:  # tonight's roster: every unit has an arm
        said += f" (their profiles name no {unit})"
    else:
        said += f" (a {unit} new since the draw?)"
    said += f": served the night's own policy ({policy}), arm '' in the outputs"
    if other_roster:
        said += ". " + _roster_advice(began)
    warnings.warn(said, ExperimentWarning, stacklevel=3)


def _roster_advice(began: str | None) -> str:
    """What to do about students outside an assignment drawn from other profiles, before the
    experiment's first night (`began` None) and after it."""
    if began is None:
        return (
            "A few students new since the draw are expected after a roster update; a large "
            "share means an assignment drawn from another roster (another district's, last "
            "year's): draw it again from tonight's profiles before serving the experiment's "
            "first night"
        )
    return (
        f"The experiment began on the night {began} with this assignment: keep it (a new draw "
        "would move classes between arms mid-experiment); students new since the draw stay "
        "outside it, and `experiment analyze` leaves them out of the effects. A large share "
        "means this assignment or tonight's profiles are another roster's (another "
        "district's, last year's): check both"
    )


def experiment_began(out: Path, day: str, sha256: str) -> str | None:
    """The first night before `day` served in `out` with the assignment of `sha256` (its
    `_SUCCESS.json` records it as `experiment`), None when none was: the experiment has not
    begun before tonight."""
    from adaptive.batch.partition import OUTPUT_TABLES
    from adaptive.batch.writer import complete_dates, date_listing

    for night in complete_dates(out):
        if night >= day:
            break
        if (date_listing(out, OUTPUT_TABLES, night) or {}).get("experiment") == sha256:
            return night
    return None
