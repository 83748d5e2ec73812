"""The pure per-partition step of the daily job: a table of students in, recommendations out.

A partition (one school) is an Arrow table with one row per student holding everything the policy
needs (`StudentBatch`'s fields: mastery and history per skill as fixed-size lists, activity sets
as lists of activity codes, profile numbers). `recommend_partition(table, context)` rebuilds the
batch, runs the policy and returns one row per student and rank. It reads nothing else, so the
same function runs in-process (`job.py`) or on Spark workers (`spark.py`), and equal tables give
equal outputs. `PartitionContext` carries the catalog and policy settings as JSON strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse

from adaptive.curriculum import Catalog
from adaptive.policy import AdaptivePolicy, PolicyConfig, StudentBatch, terms
from adaptive.policy.base import catalog_arrays
from adaptive.policy.progression import LABELS, Progression
from adaptive.reports import (
    GROUPS,
    class_skill_counts,
    group_codes,
    next_skill_groups,
)

SKILL_FIELDS = (
    "mastery",
    "p_correct",
    "n_responses",
    "streak",
    "last_practiced",
    "progress",
    "goals",
    "scope",
    "level_known",
)
#: Skill fields a batch may leave out (None): a table carries them only where the batch does.
OPTIONAL_SKILL_FIELDS = ("level_known",)
SKILL_TYPES = {
    "n_responses": pa.int32(),
    "streak": pa.int32(),
    "goals": pa.bool_(),
    "scope": pa.bool_(),
    "level_known": pa.float32(),
}
ACTIVITY_FIELDS = ("completed", "recent", "excluded", "assigned")
SCALAR_FIELDS = (
    "grade", "daily_minutes", "min_grade", "max_grade", "ability", "remediate", "accelerate",
    "learning_z",
)  # fmt: skip
ID_FIELDS = ("student_id", "class_id", "school_id")
TEXT_FIELDS = ("class_id", "school_id", "placement")  # per-student strings besides the id


@dataclass(frozen=True)
class PartitionContext:
    """What every partition shares: catalog and policy (as JSON), k and the run's time."""

    catalog_json: str
    policy_json: str
    k: int
    now_days: float

    @classmethod
    def build(
        cls, catalog: Catalog, config: PolicyConfig, k: int, now_days: float
    ) -> PartitionContext:
        return cls(
            json.dumps(catalog.to_dict(), sort_keys=True),
            json.dumps(config.to_dict(), sort_keys=True),
            int(k),
            float(now_days),
        )

    def primed(self, catalog: Catalog) -> PartitionContext:
        """This context with `catalog` itself (the one its JSON was made from) as its catalog
        and its policy built now, for the in-process job: its forked workers then share both
        instead of each parsing the JSON and building the policy's catalog arrays (~0.2 s a
        night at any district size). Not for a context that is shipped: Spark pickles what a
        context holds, and an executor rebuilds both from the JSON."""
        self.__dict__["catalog"] = catalog  # the cached property's slot
        _ = self.policy
        return self

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog.from_dict(json.loads(self.catalog_json))

    @cached_property
    def policy(self) -> AdaptivePolicy:
        return AdaptivePolicy(self.catalog, PolicyConfig.from_dict(json.loads(self.policy_json)))


def batch_to_table(batch: StudentBatch) -> pa.Table:
    """A `StudentBatch` as an Arrow table (one row per student)."""
    n = len(batch)
    cols: dict[str, pa.Array] = {
        name: pa.array(getattr(batch, name).astype(str), pa.string())
        for name in ("student_ids", *TEXT_FIELDS)
    }
    cols = {"student_id": cols.pop("student_ids"), **cols}
    for name in SKILL_FIELDS:
        if getattr(batch, name) is None:  # an optional field the batch does not carry
            continue
        values = np.ascontiguousarray(getattr(batch, name))
        dtype = SKILL_TYPES.get(name, pa.float64())
        flat = pa.array(values.reshape(-1).astype(dtype.to_pandas_dtype()), dtype)
        cols[name] = (
            pa.FixedSizeListArray.from_arrays(flat, values.shape[1])
            if n
            else pa.array([], pa.list_(dtype, values.shape[1]))
        )
    interests = np.ascontiguousarray(batch.interests, dtype=np.float64)
    cols["interests"] = pa.FixedSizeListArray.from_arrays(
        pa.array(interests.reshape(-1)), interests.shape[1]
    )
    for name in ACTIVITY_FIELDS:
        m = sparse.csr_matrix(getattr(batch, name))
        m.sort_indices()
        offsets = pa.array(m.indptr.astype(np.int32))
        cols[name] = pa.ListArray.from_arrays(offsets, pa.array(m.indices.astype(np.int32)))
        if name == "assigned":  # order of teacher assignments matters: keep the values too
            cols["assigned_order"] = pa.ListArray.from_arrays(
                offsets, pa.array(m.data.astype(np.int32))
            )
    for name in SCALAR_FIELDS:
        cols[name] = pa.array(np.asarray(getattr(batch, name), dtype=np.float64))
    return pa.table(cols)


def table_to_batch(table: pa.Table, catalog: Catalog, config: PolicyConfig) -> StudentBatch:
    """The inverse of `batch_to_table`."""
    n, n_s, n_a = table.num_rows, len(catalog.skills), len(catalog.activities)

    def fixed(name: str, width: int) -> np.ndarray:
        col = table.column(name).combine_chunks()
        if n == 0:
            return np.zeros((0, width))
        return col.flatten().to_numpy(zero_copy_only=False).reshape(n, width)

    def activity_set(name: str, values: str | None = None) -> sparse.csr_matrix:
        col = table.column(name).combine_chunks()
        indptr = col.offsets.to_numpy().astype(np.int64) - (col.offsets[0].as_py() if n else 0)
        indices = col.flatten().to_numpy(zero_copy_only=False)
        data = (
            np.ones(len(indices))
            if values is None
            else table.column(values)
            .combine_chunks()
            .flatten()
            .to_numpy(zero_copy_only=False)
            .astype(float)
        )
        return sparse.csr_matrix(
            (data, indices, indptr if n else np.zeros(1, np.int64)), shape=(n, n_a)
        )

    given = {
        name: fixed(name, n_s)
        for name in SKILL_FIELDS
        if name != "mastery" and (name not in OPTIONAL_SKILL_FIELDS or name in table.column_names)
    }
    given["interests"] = fixed("interests", len(catalog.topics))
    given.update({name: activity_set(name) for name in ("completed", "recent", "excluded")})
    given["assigned"] = activity_set("assigned", "assigned_order")
    given.update({name: table.column(name).to_numpy() for name in SCALAR_FIELDS})
    given.update(
        {name: np.asarray(table.column(name).to_pylist(), dtype=object) for name in TEXT_FIELDS}
    )
    ids = np.asarray(table.column("student_id").to_pylist(), dtype=object)
    return StudentBatch.build(catalog, ids, fixed("mastery", n_s), config=config, **given)


#: The tables every partition produces, in the order `partition_outputs` returns them.
OUTPUT_TABLES = ("recommendations", "students", "class_skills", "groups")
#: The school of students served without one (no profile, or a profile without a school).
UNASSIGNED_SCHOOL = "unassigned"
CLASS_SKILLS_SCHEMA = pa.schema(
    [("class_id", pa.string()), ("skill_id", pa.string())]
    + [(f"n_{g}", pa.int64()) for g in GROUPS]
)
GROUPS_SCHEMA = pa.schema(
    [
        ("class_id", pa.string()),
        ("skill_id", pa.string()),
        ("group", pa.int64()),
        ("n_students", pa.int64()),
        ("student_ids", pa.string()),
    ]
)


def partition_outputs(table: pa.Table, context: PartitionContext) -> tuple[pa.Table, ...]:
    """The four output tables of one partition given as an Arrow table (`batch_outputs`)."""
    policy = context.policy
    return batch_outputs(table_to_batch(table, context.catalog, policy.config), context)


def batch_outputs(batch: StudentBatch, context: PartitionContext) -> tuple[pa.Table, ...]:
    """The four output tables of one partition (`OUTPUT_TABLES`):

    recommendations : the policy's table (`Policy.recommend_batch`: k rows per student with the
        contribution of each term and a sentence) plus `progression`, the student's state on
        the recommended skill;
    students : per student (every one of the partition, those with nothing to recommend tonight
        included), `placement` (where the student was placed, the words their recommendations
        give: "placed from grade 12", "placed from last_year.csv"; '' for a student with
        answers placed from their grade), `grade` (the profile's grade the night served the
        student with, NaN: none; the report sees a grade corrected since its growth baseline
        by it: `reports.site.build.growth_starts`), `recommended` (0: nothing fit the budget, scope and prerequisites, or all
        left is assumed known: they have no row in `recommendations`), `minutes_left` (the
        minutes of the student's daily budget the recommendations leave; a list shorter than k with time left was stopped
        by something else than the budget), the number of skills in each progression state,
        `gradual_hold` (the answers any practised skill needs before it counts as mastered,
        where learning is gradual: `terms.gradual_hold`, 0 elsewhere), and per skill (fixed
        lists in catalog order) the mastery, progression code and teacher group code, and the
        answers and current run of right answers the progression rule read (`skill_columns`:
        what the report site's heatmap and student pages show);
    class_skills : per class and skill, students to accelerate / on track / remediate / stuck
        (`adaptive.reports.class_skill_counts`, from the same group codes as `students`);
    groups : small groups of a class's students sharing the same next skill
        (`adaptive.reports.next_skill_groups`).

    The in-process job passes its `StudentBatch` here directly (no Arrow round trip); a batch
    and its `batch_to_table` give the same outputs.
    """
    policy, catalog = context.policy, context.catalog
    recs = policy.recommend_batch(batch, k=context.k, now=context.now_days)
    groups_by_skill, states = group_codes(batch, catalog, policy.config, context.now_days)
    row = batch_row_of(batch, recs["student_id"].to_numpy())
    skill = catalog.skill_index.get_indexer(recs["skill_id"].astype(str))
    recs["progression"] = LABELS[states[row, skill]] if len(recs) else np.array([], dtype=object)
    students = {
        name: pa.array(getattr(batch, attr).astype(str), pa.string())
        for name, attr in zip(ID_FIELDS, ("student_ids", *ID_FIELDS[1:]), strict=True)
    }
    # where each student was placed, in their recommendations' words: a student with no row in
    # `recommendations` tonight keeps it too (a trial's report told a student placed from grade
    # 12, served nothing, that they had no grade)
    students["placement"] = pa.array(batch.placement.astype(str), pa.string())
    students["grade"] = pa.array(np.asarray(batch.grade, np.float32))
    students["recommended"] = pa.array(np.bincount(row, minlength=len(batch)).astype(np.int16))
    students["minutes_left"] = pa.array(minutes_left(batch, catalog, recs, row), pa.float32())
    for code, label in enumerate(LABELS):
        students[f"n_{label}"] = pa.array((states == code).sum(axis=1).astype(np.int32))
    # the rule's own inputs beside its verdict, so that a page saying what a skill still needs
    # (`explain.still_needed`) reads what the night read (an experiment arm's policy included)
    config = policy.config
    hold = terms.gradual_hold(
        batch.learning_z, config.gradual_learning_z, config.gradual_min_responses
    )
    students["gradual_hold"] = pa.array(hold[:, 0].astype(np.int32))
    students.update(
        skill_columns(batch.mastery, states, groups_by_skill, batch.n_responses, batch.streak)
    )
    class_skills = class_skill_counts(
        batch.class_id, groups_by_skill, catalog_arrays(catalog).skill_ids
    )
    groups = next_skill_groups(recs)
    return (
        plain_strings(pa.Table.from_pandas(recs, preserve_index=False)),
        plain_strings(pa.table(students)),
        pa.Table.from_pandas(class_skills, schema=CLASS_SKILLS_SCHEMA, preserve_index=False),
        pa.Table.from_pandas(groups, schema=GROUPS_SCHEMA, preserve_index=False),
    )


def minutes_left(
    batch: StudentBatch, catalog: Catalog, recs: pd.DataFrame, row: np.ndarray
) -> np.ndarray:
    """(n,) each student's daily minutes minus the expected minutes of their recommendations."""
    minutes = catalog_arrays(catalog).minutes
    planned = minutes[catalog.activity_index.get_indexer(recs["activity_id"].astype(str))]
    spent = np.bincount(row, weights=planned, minlength=len(batch))
    return (batch.daily_minutes - spent).astype(np.float32)


def recommend_partition(table: pa.Table, context: PartitionContext) -> pa.Table:
    """The recommendations of one partition (see `partition_outputs`)."""
    return partition_outputs(table, context)[0]


def output_partition(name: str) -> Callable[[pa.Table, PartitionContext], pa.Table]:
    """The pure function producing one of `OUTPUT_TABLES` (e.g. to run it alone on Spark)."""
    position = OUTPUT_TABLES.index(name)

    def one(table: pa.Table, context: PartitionContext) -> pa.Table:
        return partition_outputs(table, context)[position]

    return one


def plain_strings(table: pa.Table) -> pa.Table:
    """Large strings (pandas 3's default) as plain strings: one fixed output schema everywhere."""
    schema = pa.schema(
        pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type) else f
        for f in table.schema
    )
    return table.cast(schema)


def batch_row_of(batch: StudentBatch, student_ids: np.ndarray) -> np.ndarray:
    import pandas as pd

    return pd.Index(batch.student_ids).get_indexer(pd.Index(student_ids, dtype=object))


def skill_columns(
    mastery: np.ndarray,
    states: np.ndarray,
    groups: np.ndarray,
    n_responses: np.ndarray,
    streak: np.ndarray,
) -> dict[str, pa.Array]:
    """Per student, fixed-size lists over the catalog's skills: `mastery` (float32, NaN =
    unknown), `progression` (int8 `Progression` code), `group` (int8 index into
    `adaptive.reports.GROUPS`, -1 = none), and the progression rule's inputs besides mastery
    (`terms.is_mastered`, `terms.shown_by_answers`): `n_responses` (int32, the answers so far)
    and `streak` (int32, the current run of right answers). The report site reads them from
    the batch output, so it needs no model and works whatever engine wrote the output."""
    n, n_s = states.shape
    out = {}
    for name, values, dtype in (
        ("mastery", mastery, pa.float32()),
        ("progression", states, pa.int8()),
        ("group", groups, pa.int8()),
        ("n_responses", n_responses, pa.int32()),
        ("streak", streak, pa.int32()),
    ):
        flat = pa.array(np.ascontiguousarray(values).reshape(-1).astype(dtype.to_pandas_dtype()))
        out[name] = (
            pa.FixedSizeListArray.from_arrays(flat, n_s)
            if n
            else pa.array([], pa.list_(dtype, n_s))
        )
    return out


def every_skill_known(
    mastery: np.ndarray, progression: np.ndarray, assumed_known: float
) -> np.ndarray:
    """(n,) students with nothing left to learn in the catalog, from the students table's
    per-skill lists: every skill mastered, or never answered with a starting estimate of at
    least `assumed_known` (`PolicyConfig.assumed_known`; the policy serves neither). A student
    served nothing for this reason was placed past the catalog (a grade 12 student on a grade
    3-8 catalog); the night and the report say so instead of leaving it unexplained. "Assumed
    known" is the policy's own rule (`terms.assumed_known`, its float32 margin included), a
    skill not started being one never answered."""
    progression = np.asarray(progression)
    if progression.size == 0:
        return np.zeros(len(progression), bool)
    started = (progression != Progression.NOT_STARTED).astype(np.int64)  # as n_responses
    known = (progression == Progression.MASTERED) | terms.assumed_known(
        np.asarray(mastery, np.float64), started, assumed_known
    )
    return known.all(axis=1)
