"""What teachers see: per class and skill, who to accelerate, who is on track, who to
remediate, who is stuck; and small groups of students who share the same next skill.

    view = teacher_view(batch, catalog, now=now)                  # one row per student x skill
    summary = class_skill_summary(view)                           # counts per class x skill
    groups = next_skill_groups(recommendations, max_size=6)       # from recommend_batch's table
    write_table(summary, "out/class_skill.parquet")               # or .csv

Groups (per student and skill, from the policy's features and thresholds):

- accelerate : mastered, and a skill that builds on it is ready and not mastered yet;
- on_track   : in progress (practised, not mastered), no prerequisite weak by evidence, not
               stuck (the report site calls it "Progressing": "on track" there is the growth
               verdict, 1.5 years of growth per year; the key stays `on_track`, e.g.
               `n_on_track` in the batch output, so the Parquet schema does not change);
- remediate  : in progress or due for review, and a direct prerequisite is weak by evidence:
               practised, not mastered, and below the policy's prerequisite threshold
               (`weak_by_evidence`). A prerequisite never practised (its mastery a placement,
               or an earlier grade's skill the policy checks before what builds on it) or one
               at the threshold whose last answer was a slip is not a gap the answers show:
               the policy serves those checks itself, so they are not counted here;
- stuck      : wheel-spinning (many attempts, no progress): the teacher should step in.

The report site puts each student in one group from these codes and their growth
(`adaptive.reports.site.student_groups`).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.curriculum import Catalog
from adaptive.errors import ConfigError
from adaptive.policy.base import StudentBatch, catalog_arrays, to_days
from adaptive.policy.config import PolicyConfig
from adaptive.policy.features import compute_features
from adaptive.policy.progression import LABELS, Progression, classify
from adaptive.tracing.base import atomic_write_bytes

GROUPS: tuple[str, ...] = ("accelerate", "on_track", "remediate", "stuck")
#: A student's current work: the skills in progress or due for review, where a weak direct
#: prerequisite gives a skill the code `remediate` (`group_codes`) and which the report site
#: counts beside those (`site.pages.current_work_gaps`).
CURRENT_WORK: tuple[Progression, ...] = (Progression.IN_PROGRESS, Progression.NEEDS_REVIEW)


def group_codes(
    batch: StudentBatch,
    catalog: Catalog,
    config: PolicyConfig | None = None,
    now: float | pd.Timestamp = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(n, S) int8 index into `GROUPS` (-1 = none of them) and the (n, S) progression codes.

    The groups are by the evidence (mastery, answers, recall), as a teacher reads them: a
    prerequisite the policy checks first because a skill built on it is being failed
    (`PolicyConfig.check_prerequisites_after`) keeps its placement here; the student's list
    and its sentence say "a quick check". A skill the student never answered reads as the
    policy reads it: from where their first answers place them in the curriculum, where the
    batch carries that (`features.read_level`), so "accelerate" means what the policy serves
    next is ready."""
    config = config or PolicyConfig()
    ctx = catalog_arrays(catalog)
    f = compute_features(batch, ctx, config, to_days(now), level=True)
    state = classify(f.mastered, batch.n_responses, f.recall, f.stuck, config.retention_threshold)
    ready_open = ((f.missing == 0) & ~f.mastered).astype(np.float32)
    has_ready_next = np.asarray(ready_open @ ctx.prerequisite_t.T) > 0  # a dependent skill is ready
    weak = weak_by_evidence(f.mastery, batch.n_responses, f.mastered, config)
    # a direct prerequisite is weak
    gap = np.asarray(weak.astype(np.float32) @ ctx.prerequisite_t) > 0
    working = np.isin(state, CURRENT_WORK)
    out = np.full(state.shape, -1, np.int8)
    out[(state == Progression.MASTERED) & has_ready_next] = GROUPS.index("accelerate")
    out[(state == Progression.IN_PROGRESS) & ~gap] = GROUPS.index("on_track")
    out[working & gap] = GROUPS.index("remediate")
    out[state == Progression.STUCK] = GROUPS.index("stuck")
    return out, state


def weak_by_evidence(
    mastery: np.ndarray, n_responses: np.ndarray, mastered: np.ndarray, config: PolicyConfig
) -> np.ndarray:
    """(n, S) True where the student's answers show a skill is not learned: practised, not
    mastered by the progression rule, and P(mastery) below the prerequisite threshold. Not a
    skill never practised (no answer says anything), nor one the estimate puts at the
    threshold whose recent answers do not show it yet: the policy waits for those answers
    before what builds on them (`terms.missing_prerequisites`), but they are no gap to remediate.
    """
    known = np.where(np.isnan(mastery), 0.0, mastery)
    return (n_responses > 0) & ~mastered & (known < config.prerequisite_threshold)


def teacher_view(
    batch: StudentBatch,
    catalog: Catalog,
    config: PolicyConfig | None = None,
    now: float | pd.Timestamp = 0.0,
) -> pd.DataFrame:
    """Long table, one row per student and skill in one of the four groups.

    Columns: class_id, skill_id, skill_name, student_id, group, state, mastery, n_responses.
    """
    codes, state = group_codes(batch, catalog, config, now)
    rows, cols = np.nonzero(codes >= 0)
    ctx = catalog_arrays(catalog)
    view = pd.DataFrame(
        {
            "class_id": batch.class_id[rows],
            "skill_id": ctx.skill_ids[cols],
            "skill_name": ctx.skill_names[cols],
            "student_id": batch.student_ids[rows],
            "group": np.asarray(GROUPS, dtype=object)[codes[rows, cols]],
            "state": LABELS[state[rows, cols]],
            "mastery": np.nan_to_num(batch.mastery[rows, cols]),
            "n_responses": batch.n_responses[rows, cols],
        }
    )
    return view.sort_values(
        ["class_id", "skill_id", "group", "student_id"], kind="stable"
    ).reset_index(drop=True)


def class_skill_summary(view: pd.DataFrame) -> pd.DataFrame:
    """Counts per class and skill: n_accelerate, n_on_track, n_remediate, n_stuck (of a
    `teacher_view`, e.g. one filtered by hand; `class_skill_counts` counts a batch's codes)."""
    counts = (
        view.groupby(["class_id", "skill_id", "group"], sort=True)
        .size()
        .unstack("group", fill_value=0)
        .reindex(columns=list(GROUPS), fill_value=0)
    )
    counts.columns = [f"n_{g}" for g in counts.columns]
    return counts.reset_index()


def class_skill_counts(
    class_id: np.ndarray, codes: np.ndarray, skill_ids: np.ndarray
) -> pd.DataFrame:
    """`class_skill_summary(teacher_view(batch, ...))` from the batch's classes and its (n, S)
    `group_codes` directly: the same table (rows sorted by class and skill id, a row for each
    pair with a student in some group; students without a class left out, as a group-by does),
    counted with one `bincount` instead of a long table, a sort and a group-by (the nightly job
    builds it for every school)."""
    klass, classes = pd.factorize(pd.Series(class_id, dtype=object), sort=True)
    skill_rank = np.empty(len(skill_ids), np.int64)
    skill_rank[np.argsort(np.asarray(skill_ids, dtype=str), kind="stable")] = np.arange(
        len(skill_ids)
    )
    rows, cols = np.nonzero((codes >= 0) & (klass >= 0)[:, None])
    n_s, n_g = len(skill_ids), len(GROUPS)
    key = (klass[rows] * n_s + skill_rank[cols]) * n_g + codes[rows, cols]
    counts = np.bincount(key, minlength=len(classes) * n_s * n_g).reshape(-1, n_g)
    pair = np.flatnonzero(counts.sum(axis=1) > 0)  # (class, skill rank) in sorted order
    by_rank = np.asarray(skill_ids, dtype=object)[np.argsort(skill_rank)]
    out = {
        "class_id": np.asarray(classes, dtype=object)[pair // n_s],
        "skill_id": by_rank[pair % n_s],
    }
    out.update({f"n_{g}": counts[pair, i].astype(np.int64) for i, g in enumerate(GROUPS)})
    return pd.DataFrame(out)


#: The most students of one small group (`next_skill_groups`): a skill shared by more is split.
GROUP_MAX_SIZE = 6


def next_skill_groups(
    recommendations: pd.DataFrame, max_size: int = GROUP_MAX_SIZE, min_size: int = 2
) -> pd.DataFrame:
    """Small groups of students of one class who share the same next skill.

    The next skill of a student is the skill of their first recommendation that is not a teacher
    assignment (or the first one when all are). Students of a class with the same next skill are
    split into groups of at most `max_size` (balanced sizes); skills shared by fewer than
    `min_size` students form no group. Columns: class_id, skill_id, group, n_students,
    student_ids (";"-joined, sorted).
    """
    if max_size < 1 or min_size < 1:
        raise ConfigError(f"max_size {max_size}, min_size {min_size}: expected >= 1")
    cols = ["class_id", "skill_id", "group", "n_students", "student_ids"]
    if recommendations.empty:
        return pd.DataFrame(columns=cols)
    first = _first_rows(recommendations)
    klass, skill, student = (
        recommendations[name].to_numpy(dtype=object)[first]
        for name in ("class_id", "skill_id", "student_id")
    )
    known = ~(pd.isna(klass) | pd.isna(skill))  # as a group-by leaves them out
    klass, skill, student = klass[known], skill[known], student[known]
    order = np.lexsort([pd.factorize(v, sort=True)[0] for v in (student, skill, klass)])
    klass, skill = klass[order], skill[order]
    ids = student[order].astype(str).tolist()
    # one (class, skill) group per run of equal keys; split into balanced chunks as
    # np.array_split does: the first (size % n) chunks hold one more student
    new = np.ones(len(ids), bool)
    new[1:] = (klass[1:] != klass[:-1]) | (skill[1:] != skill[:-1])
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, len(ids)))
    out = []
    for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
        if size < min_size:
            continue
        n_groups = -(-size // max_size)
        base, extra = divmod(size, n_groups)
        at = start
        for g in range(n_groups):
            n = base + (g < extra)
            out.append([klass[start], skill[start], g + 1, n, ";".join(ids[at : at + n])])
            at += n
    return pd.DataFrame(out, columns=cols)


def _first_rows(recommendations: pd.DataFrame) -> np.ndarray:
    """Position of each student's first recommendation that is not a teacher assignment (the
    first one when all are), by rank: one lexsort over integer codes (a pandas sort by the three
    columns cost ~8 ms a school)."""
    student = pd.factorize(recommendations["student_id"].to_numpy(dtype=object), sort=True)[0]
    order = np.lexsort(
        (
            recommendations["rank"].to_numpy(),
            recommendations["assigned_by_teacher"].to_numpy(dtype=bool),
            student,
        )
    )
    ranked = student[order]
    return order[np.r_[True, ranked[1:] != ranked[:-1]]]


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a report table atomically as CSV or Parquet (by the file's extension)."""
    path = Path(path)
    if path.suffix == ".csv":
        data = table.to_csv(index=False).encode()
    elif path.suffix == ".parquet":
        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        data = buf.getvalue()
    else:
        raise ConfigError(f"{path}: expected a .csv or .parquet file name")
    atomic_write_bytes(path, data)
    return path
