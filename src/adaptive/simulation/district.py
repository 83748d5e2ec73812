"""A simulated school district: the built-in data every part of `adaptive` can run on.

`simulate_district(n_students, seed)` generates

- a catalog: grades 3-8 x five strands x four skills (120 skills) with a prerequisite DAG
  (previous skill of the strand, last skill of the strand one grade below, sometimes a skill of
  another strand), and for each skill three practice activities (easy / medium / hard), a review
  and an assessment, plus one project per grade and strand; every activity has 1-2 context
  topics (sports, music, space, ...) that students may care about;
- schools, classes of about 25 and students with `LearnerProfile`s: grade, interests as topic
  weights, a career cluster mapped to goal skills, a weekly time budget;
- response logs produced by ground-truth learners (`adaptive.simulation.learners`, BKT-style by
  default) following a plain curriculum-order schedule: each school day a student does a few
  activities of their grade's sequence, advancing after two correct answers in a row or six
  attempts (then the skill's assessment, and at the end of a strand its project), with an
  occasional review of the previous skill. Activities a student does not complete leave no
  response (engagement depends on interest), as in a real log;
- the ground-truth mastery of every student and skill at the start and at the end.

Everything is vectorized over students (one `respond` call per activity slot of a day), so
400,000 students x ~50 responses take minutes, and deterministic for a seed: `write_district`
writes byte-identical files on a re-run.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill, write_profiles
from adaptive.data.log import SKILL_LIST_TYPE, ResponseLog
from adaptive.errors import ConfigError, check_seed, unknown_key
from adaptive.files import atomic_path, atomic_write_bytes, make_folder
from adaptive.placement.prior import curriculum_positions
from adaptive.simulation.learners import draw_interests, make_learners

GRADES = (3, 4, 5, 6, 7, 8)
STRANDS = {
    "NS": "number sense",
    "OA": "operations and algebraic thinking",
    "NF": "fractions and ratios",
    "MD": "measurement and data",
    "G": "geometry",
}
SKILLS_PER_STRAND = 4
TOPICS = (
    "animals", "art", "building", "cooking", "games", "health",
    "money", "music", "nature", "space", "sports", "technology",
)  # fmt: skip
#: Career clusters (aspirations) and the strands whose top skills they aim for.
CAREER_CLUSTERS = {
    "engineering": ("G", "OA"),
    "health sciences": ("MD", "NF"),
    "business and finance": ("NS", "NF"),
    "arts and design": ("G", "MD"),
    "computer science": ("OA", "NS"),
    "natural sciences": ("MD", "OA"),
}
PRACTICE_DIFFICULTY = (-1.0, -0.3, 0.4)
#: P(a skill is known at the start) by (skill grade - student grade): below, at, above grade.
PRIOR_BY_GRADE_GAP = {-5: 0.95, -4: 0.95, -3: 0.93, -2: 0.9, -1: 0.85, 0: 0.4, 1: 0.1}
PRIOR_FAR_ABOVE = 0.02
#: Where students' prior knowledge comes from (`simulate_district(prior=...)`): "grade", each
#: skill known on its own with its grade gap's chance (`PRIOR_BY_GRADE_GAP`: knowledge scattered
#: across a grade); "curriculum", every skill before a point in the curriculum order known
#: (`prior_mastery_by_position`), as where a grade is taught in order and remembered. Either
#: way the learners' `low_prior` students (a fifth) know each skill with a quarter of the chance.
PRIORS = ("grade", "curriculum")
#: P(a skill before a student's point is not known) in a "curriculum" district.
CURRICULUM_GAP = 0.05
START = pd.Timestamp("2026-09-07", tz="UTC")  # a Monday
RESPONSE_SCHEMA = pa.schema(
    [
        ("student_id", pa.string()),
        ("item_id", pa.string()),
        ("skill_ids", SKILL_LIST_TYPE),
        ("correct", pa.int8()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("duration_s", pa.float32()),
        ("school_id", pa.string()),
        ("class_id", pa.string()),
    ]
)

Progress = Callable[[str, int, int], None]


@dataclass(eq=False)
class District:
    """A simulated district: catalog, who is where, their responses and the hidden truth.

    `students` has one row per student (`student_id`, `school_id`, `class_id`, `grade`,
    `weekly_minutes`, `career_cluster`, `goal_skills`, `slow_learner`, `low_prior`);
    `interests` is (n_students, n_topics) aligned with `catalog.topic_index`; `responses` is an
    Arrow table in the canonical log schema sorted by student then time; `truth_start` and
    `truth_end` are (n_students, n_skills) true mastery at `start` and `end`.
    """

    catalog: Catalog
    schools: pd.DataFrame
    students: pd.DataFrame
    interests: np.ndarray
    responses: pa.Table
    truth_start: np.ndarray
    truth_end: np.ndarray
    start: pd.Timestamp
    end: pd.Timestamp
    seed: int
    learner: str
    meta: dict = field(default_factory=dict)

    @property
    def n_students(self) -> int:
        return len(self.students)

    def profile_dicts(self) -> Iterator[dict]:
        """The students' profiles as `LearnerProfile.to_dict()` dicts (fast path for files)."""
        topics = np.array(self.catalog.topics, dtype=object)
        cols = self.students
        nz_rows, nz_cols = np.nonzero(self.interests)
        weights = np.round(self.interests[nz_rows, nz_cols].astype(np.float64), 4).tolist()
        bounds = np.searchsorted(nz_rows, np.arange(self.n_students + 1)).tolist()
        names = topics[nz_cols].tolist()
        rows = zip(
            cols["student_id"].tolist(), cols["grade"].tolist(), cols["weekly_minutes"].tolist(),
            cols["career_cluster"].tolist(), cols["goal_skills"].tolist(),
            cols["school_id"].tolist(), cols["class_id"].tolist(), strict=True,
        )  # fmt: skip
        for i, (sid, grade, minutes, cluster, goals, school, klass) in enumerate(rows):
            lo, hi = bounds[i], bounds[i + 1]
            yield {
                "student_id": sid,
                "grade": grade,
                "interests": dict(zip(names[lo:hi], weights[lo:hi], strict=True)),
                "goal_skills": list(goals),
                "career_clusters": [cluster],
                "weekly_minutes": minutes,
                "school_id": school,
                "class_id": klass,
            }

    def profiles(self) -> Iterator[LearnerProfile]:
        """The students' `LearnerProfile`s, in `students` order (interests > 0 only)."""
        return (LearnerProfile.from_dict(d) for d in self.profile_dicts())

    def response_frame(self) -> pd.DataFrame:
        """The responses as a pandas frame (skill lists stay an Arrow list column)."""
        mapper = {SKILL_LIST_TYPE: pd.ArrowDtype(SKILL_LIST_TYPE)}.get
        return self.responses.to_pandas(types_mapper=mapper)

    def response_log(self) -> ResponseLog:
        """The responses as a validated `ResponseLog`."""
        return ResponseLog.from_frame(self.response_frame(), source="simulated district")

    def truth_table(self) -> pa.Table:
        """Long Arrow table of true mastery: student_id, skill_id (dictionary-encoded),
        mastery_start, mastery_end (float32), one row per student and skill."""
        n, k = self.truth_end.shape
        student = pa.DictionaryArray.from_arrays(
            pa.array(np.repeat(np.arange(n, dtype=np.int32), k)),
            pa.array(self.students["student_id"].to_numpy(), pa.string()),
        )
        skill = pa.DictionaryArray.from_arrays(
            pa.array(np.tile(np.arange(k, dtype=np.int32), n)),
            pa.array(list(self.catalog.skill_index), pa.string()),
        )
        return pa.table(
            {
                "student_id": student,
                "skill_id": skill,
                "mastery_start": pa.array(self.truth_start.ravel(), pa.float32()),
                "mastery_end": pa.array(self.truth_end.ravel(), pa.float32()),
            }
        )


# -- the catalog -------------------------------------------------------------------------------
def district_catalog(seed: int = 0) -> Catalog:
    """The district's skills (grades 3-8 x 5 strands x 4) and ~630 activities, seeded."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    skills: list[Skill] = []
    last_of: dict[tuple[int, str], str] = {}
    for grade in GRADES:
        for j in range(SKILLS_PER_STRAND):
            for strand, strand_name in STRANDS.items():
                sid = f"g{grade}.{strand}.{j + 1}"
                prereqs: list[str] = []
                if j > 0:
                    prereqs.append(f"g{grade}.{strand}.{j}")
                elif (grade - 1, strand) in last_of:
                    prereqs.append(last_of[(grade - 1, strand)])
                others = [s.id for s in skills if s.id.split(".")[1] != strand]
                if others and rng.random() < 0.3:
                    prereqs.append(others[int(rng.integers(max(0, len(others) - 15), len(others)))])
                skills.append(
                    Skill(
                        sid,
                        f"Grade {grade} {strand_name} {j + 1}",
                        tuple(prereqs),
                        grade=grade,
                        standard=f"{grade}.{strand}",
                    )
                )
                if j == SKILLS_PER_STRAND - 1:
                    last_of[(grade, strand)] = sid
    activities: list[Activity] = []
    for s in skills:
        t = rng.choice(len(TOPICS), 5, replace=False)
        for v, diff in enumerate(PRACTICE_DIFFICULTY):
            activities.append(
                Activity(
                    f"{s.id}.practice{v + 1}", f"{s.name}: practice {v + 1} ({TOPICS[t[v]]})",
                    (s.id,), difficulty=diff, topics=(TOPICS[t[v]],), expected_minutes=10.0,
                    kind="practice", grade=s.grade, standard=s.standard,
                )
            )  # fmt: skip
        activities.append(
            Activity(
                f"{s.id}.review", f"{s.name}: review ({TOPICS[t[3]]})", (s.id,), difficulty=-0.3,
                topics=(TOPICS[t[3]],), expected_minutes=8.0, kind="review", grade=s.grade,
                standard=s.standard,
            )
        )  # fmt: skip
        activities.append(
            Activity(
                f"{s.id}.assessment", f"{s.name}: check-in", (s.id,), difficulty=0.3,
                topics=(TOPICS[t[4]],), expected_minutes=15.0, kind="assessment",
                grade=s.grade, standard=s.standard,
            )
        )  # fmt: skip
    for grade in GRADES:
        for strand, strand_name in STRANDS.items():
            t = rng.choice(len(TOPICS), 2, replace=False)
            ids = tuple(
                f"g{grade}.{strand}.{j}" for j in (SKILLS_PER_STRAND - 1, SKILLS_PER_STRAND)
            )
            activities.append(
                Activity(
                    f"g{grade}.{strand}.project",
                    f"Grade {grade} {strand_name} project ({TOPICS[t[0]]}, {TOPICS[t[1]]})",
                    ids, difficulty=0.2, topics=(TOPICS[t[0]], TOPICS[t[1]]),
                    expected_minutes=45.0, kind="project", grade=grade,
                    standard=f"{grade}.{strand}",
                )
            )  # fmt: skip
    return Catalog(tuple(skills), tuple(activities), topics=TOPICS)


def _activity_tables(catalog: Catalog) -> dict[str, np.ndarray]:
    """Per skill code: its practice activities (n_skills, 3), review, assessment, project."""
    pos = {a: i for i, a in enumerate(catalog.activity_index)}
    k = len(catalog.skills)
    practice = np.array(
        [[pos[f"{s.id}.practice{v + 1}"] for v in range(3)] for s in catalog.skills], np.int64
    )
    review = np.array([pos[f"{s.id}.review"] for s in catalog.skills], np.int64)
    assessment = np.array([pos[f"{s.id}.assessment"] for s in catalog.skills], np.int64)
    project = np.full(k, -1, np.int64)
    for i, s in enumerate(catalog.skills):
        if s.id.endswith(f".{SKILLS_PER_STRAND}"):
            grade, strand, _ = s.id.split(".")
            project[i] = pos[f"{grade}.{strand}.project"]
    return {"practice": practice, "review": review, "assessment": assessment, "project": project}


# -- students ----------------------------------------------------------------------------------
def draw_students(catalog: Catalog, n_students: int, rng: np.random.Generator) -> pd.DataFrame:
    """Students with school, class (about 25 per school and grade), grade 3-8, weekly minutes,
    a career cluster and its goal skills (top skills of the cluster's strands, next grade)."""
    n = n_students
    n_schools = max(1, int(round(n / 500)))
    grade = rng.choice(np.array(GRADES), n)
    school = rng.integers(0, n_schools, n)
    order = np.lexsort((np.arange(n), grade, school))
    key = school[order] * 100 + grade[order]
    group_start = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
    rank_sorted = np.arange(n) - np.repeat(group_start, np.diff(np.r_[group_start, n]))
    section = np.empty(n, np.int64)
    section[order] = rank_sorted // 25
    width = max(4, len(str(n_schools)))
    school_ids = np.array([f"sch{j:0{width}d}" for j in range(n_schools)], dtype=object)
    student_ids = np.array([f"stu{i:07d}" for i in range(n)], dtype=object)
    clusters = np.array(list(CAREER_CLUSTERS), dtype=object)
    cluster = clusters[rng.integers(0, len(clusters), n)]
    goal_grade = np.minimum(grade + 1, GRADES[-1])
    goals_by = {
        (c, g): [f"g{g}.{s}.{SKILLS_PER_STRAND}" for s in CAREER_CLUSTERS[c]]
        for c in CAREER_CLUSTERS
        for g in GRADES
    }
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype=object)
    class_ids = (
        school_ids[school]
        + "-g"
        + grade.astype(str).astype(object)
        + letters[np.minimum(section, 25)].astype(object)
    )
    return pd.DataFrame(
        {
            "student_id": student_ids,
            "school_id": school_ids[school],
            "class_id": class_ids,
            "grade": grade.astype(np.int64),
            "weekly_minutes": rng.choice(np.array([60.0, 90.0, 120.0, 150.0, 180.0]), n),
            "career_cluster": cluster,
            "goal_skills": [goals_by[(c, g)] for c, g in zip(cluster, goal_grade, strict=True)],
        }
    )


def prior_mastery_by_grade(catalog: Catalog, grade: np.ndarray) -> np.ndarray:
    """P(known at the start) of every skill for every student, from the grade gap."""
    gaps = np.arange(-10, 11)
    table = np.array([PRIOR_BY_GRADE_GAP.get(int(g), PRIOR_FAR_ABOVE if g > 0 else 0.95)
                      for g in gaps], dtype=np.float32)  # fmt: skip
    gap = catalog.skill_grades.astype(np.int64)[None, :] - grade[:, None]
    return table[np.clip(gap, -10, 10) + 10]


def prior_mastery_by_position(
    catalog: Catalog, grade: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """P(known at the start) where knowledge follows the curriculum order: each student knows
    every skill before a point drawn uniformly inside their own grade (a skill's place:
    `curriculum_positions`), each but for a `CURRICULUM_GAP` chance, and a skill beyond it (or
    without a grade) as rarely as a grade district's skills far above the grade
    (`PRIOR_FAR_ABOVE`). For learners whose skills are known or not (bkt, prerequisite, junyi);
    the learners' `low_prior` students know each with a quarter of the chance, as in every
    district."""
    position = curriculum_positions(catalog)
    point = np.asarray(grade, np.float64) + rng.random(len(grade))
    before = position[None, :] < point[:, None]  # NaN (no grade): never before
    return np.where(before, 1.0 - CURRICULUM_GAP, PRIOR_FAR_ABOVE).astype(np.float32)


# -- the simulation ----------------------------------------------------------------------------
def simulate_district(
    n_students: int,
    seed: int,
    *,
    responses_per_student: int = 50,
    learner: str = "bkt",
    max_school_days: int = 120,
    start: pd.Timestamp = START,
    progress: Progress | None = None,
    prior: str = "grade",
) -> District:
    """Generate a district of `n_students` students; deterministic for `seed`.

    Each student aims for about `responses_per_student` responses (drawn per student around
    it); school days (Mon-Fri) run until every student got there or `max_school_days` passed.
    `learner` names the ground-truth kind ("bkt", "logistic", "prerequisite" or "junyi"); `prior` where
    the students' prior knowledge comes from (`PRIORS`: "grade", scattered across a grade by
    grade gap; "curriculum", everything before a point in the curriculum order). `progress`
    is called as progress(stage, done, total) while it runs.
    """
    if n_students < 1:
        raise ConfigError(f"n_students {n_students}: expected >= 1")
    if responses_per_student < 1:
        raise ConfigError(f"responses_per_student {responses_per_student}: expected >= 1")
    if prior not in PRIORS:
        raise ConfigError(unknown_key(prior, PRIORS, "prior"))
    if prior == "curriculum" and learner == "logistic":
        raise ConfigError(
            "prior 'curriculum' needs learners whose skills are known or not (bkt, "
            "prerequisite, junyi): the logistic kind reads a prior as a starting ability, and a "
            "skill beyond the student's point would start too low to be learned"
        )
    check_seed(seed)
    ss = np.random.SeedSequence(seed)
    cat_seed, people_ss, sched_ss, learner_seed = ss.generate_state(1)[0], *ss.spawn(3)
    catalog = district_catalog(int(cat_seed))
    rng_people = np.random.default_rng(people_ss)
    students = draw_students(catalog, n_students, rng_people)
    interests = draw_interests(rng_people, n_students, len(catalog.topics))
    grade = students["grade"].to_numpy()
    # the point is drawn after every draw of a grade-prior district: those stay as they were
    if prior == "curriculum":
        prior_mastery = prior_mastery_by_position(catalog, grade, rng_people)
    else:
        prior_mastery = prior_mastery_by_grade(catalog, grade)
    sim = make_learners(
        learner,
        catalog,
        n_students,
        int(learner_seed.generate_state(1)[0]),
        interests=interests,
        prior_mastery=prior_mastery,
    )
    students["slow_learner"] = sim.slow_learner
    students["low_prior"] = sim.low_prior
    truth_start = sim.true_mastery(0.0)

    rng = np.random.default_rng(sched_ss)
    n = n_students
    target = np.maximum(
        5, np.round(rng.normal(responses_per_student, 0.2 * responses_per_student, n))
    ).astype(np.int64)
    tables = _activity_tables(catalog)
    grade_start = {g: int(np.flatnonzero(catalog.skill_grades == g)[0]) for g in GRADES}
    first_skill = np.array([grade_start[g] for g in grade], dtype=np.int64)
    n_skills = len(catalog.skills)
    pos = np.zeros(n, np.int64)  # position in the student's sequence
    attempts = np.zeros(n, np.int64)
    streak = np.zeros(n, np.int64)
    phase = np.zeros(n, np.int8)  # 0 practice, 1 assessment due, 2 project due
    pending_project = np.zeros(n, np.int64)
    count = np.zeros(n, np.int64)
    day_offset_s = rng.uniform(13 * 3600, 17 * 3600, n)  # the student's usual start (UTC)
    per_day = students["weekly_minutes"].to_numpy() / 5.0 / 12.0
    minutes = catalog.activity_minutes

    chunks: dict[str, list[np.ndarray]] = {k: [] for k in ("student", "act", "correct", "t", "d")}
    calendar_day = 0
    school_day = 0
    while school_day < max_school_days and (count < target).any():
        if (start + pd.Timedelta(days=calendar_day)).dayofweek >= 5:
            calendar_day += 1
            continue
        present = (rng.random(n) > 0.08) & (count < target)
        n_today = np.where(present, np.minimum(rng.poisson(per_day), 6), 0)
        clock_s = calendar_day * 86400.0 + day_offset_s + rng.uniform(0, 1800, n)
        for slot in range(int(n_today.max(initial=0))):
            who = np.flatnonzero((n_today > slot) & (count < target))
            if not len(who):
                break
            skill = np.minimum(first_skill[who] + pos[who], n_skills - 1)
            prev = np.maximum(skill - 1, first_skill[who])
            variant = np.minimum(attempts[who], 2)
            act = tables["practice"][skill, variant]
            act = np.where(phase[who] == 1, tables["assessment"][skill], act)
            act = np.where(phase[who] == 2, pending_project[who], act)
            review = (phase[who] == 0) & (pos[who] > 0) & (rng.random(len(who)) < 0.08)
            act = np.where(review, tables["review"][prev], act)
            now_days = clock_s[who] / 86400.0
            correct, completed = sim.respond(who, act, now_days)
            duration = minutes[act] * 60.0 * rng.lognormal(0.0, 0.3, len(who))
            duration = np.where(completed, duration, 120.0)
            keep = completed
            chunks["student"].append(who[keep].astype(np.int32))
            chunks["act"].append(act[keep].astype(np.int32))
            chunks["correct"].append(correct[keep])
            chunks["t"].append(np.round(clock_s[who][keep] * 1e6).astype(np.int64))
            chunks["d"].append(duration[keep].astype(np.float32))
            clock_s[who] += duration + 30.0
            count[who] += keep
            # the curriculum-order schedule: advance on 2 right in a row or 6 attempts
            state = (phase, attempts, streak, pos, pending_project)
            _advance(who, skill, correct, review, state, tables["project"])
        school_day += 1
        calendar_day += 1
        if progress is not None:
            progress("days", school_day, max_school_days)
    end_days = float(calendar_day)
    truth_end = sim.true_mastery(end_days)
    responses = _response_table(catalog, students, chunks, start)
    schools = (
        students.groupby("school_id", sort=True)
        .agg(n_students=("student_id", "size"), n_classes=("class_id", "nunique"))
        .reset_index()
    )
    schools.insert(1, "name", [f"School {i + 1}" for i in range(len(schools))])
    meta = {
        "seed": seed,
        "n_students": n_students,
        "learner": learner,
        "prior": prior,
        "responses_per_student": responses_per_student,
        "school_days": school_day,
        "start": start.isoformat(),
        "end": (start + pd.Timedelta(days=end_days)).isoformat(),
        "n_responses": responses.num_rows,
        "n_skills": n_skills,
        "n_activities": len(catalog.activities),
    }
    return District(
        catalog=catalog,
        schools=schools,
        students=students,
        interests=interests,
        responses=responses,
        truth_start=truth_start,
        truth_end=truth_end,
        start=start,
        end=start + pd.Timedelta(days=end_days),
        seed=seed,
        learner=learner,
        meta=meta,
    )


def _advance(
    who: np.ndarray,
    skill: np.ndarray,
    correct: np.ndarray,
    review: np.ndarray,
    state: tuple[np.ndarray, ...],
    project_of: np.ndarray,
) -> None:
    """Move students along the fixed curriculum order after one activity (state in place).

    Practice attempts count whether or not the activity was completed; two right in a row or
    six attempts make the skill's assessment due; the assessment closes the skill either way,
    and when the skill ends a strand unit its project comes next.
    """
    phase, attempts, streak, pos, pending_project = state
    ph = phase[who]
    practice = (ph == 0) & ~review
    attempts[who] += practice
    streak[who] = np.where(practice, np.where(correct == 1, streak[who] + 1, 0), streak[who])
    new_phase = ph.copy()
    new_phase[practice & ((streak[who] >= 2) | (attempts[who] >= 6))] = 1
    assessed = ph == 1
    project = project_of[skill]
    to_project = assessed & (project >= 0)
    new_phase[assessed] = 0
    new_phase[to_project] = 2
    new_phase[ph == 2] = 0
    pending_project[who[to_project]] = project[to_project]
    pos[who] += assessed
    attempts[who] = np.where(assessed, 0, attempts[who])
    streak[who] = np.where(assessed, 0, streak[who])
    phase[who] = new_phase


def _response_table(
    catalog: Catalog, students: pd.DataFrame, chunks: dict[str, list[np.ndarray]],
    start: pd.Timestamp,
) -> pa.Table:  # fmt: skip
    """Concatenate the day-by-day chunks, sort by student then time, build the Arrow table."""
    student = np.concatenate(chunks["student"]) if chunks["student"] else np.zeros(0, np.int32)
    order = np.argsort(student, kind="stable")  # chunks are already in time order per student
    student = student[order]

    def column(name: str, dtype: type) -> np.ndarray:
        parts = chunks[name]
        return np.concatenate(parts)[order] if parts else np.zeros(0, dtype)

    act, correct = column("act", np.int32), column("correct", np.int8)
    t_us, dur = column("t", np.int64), column("d", np.float32)
    ids = pa.array(students["student_id"].to_numpy(), pa.string())
    schools = pa.array(students["school_id"].to_numpy(), pa.string())
    classes = pa.array(students["class_id"].to_numpy(), pa.string())
    items = pa.array(list(catalog.activity_index), pa.string())
    skill_lists = pa.array([list(a.skills) for a in catalog.activities], SKILL_LIST_TYPE)
    start_us = start.value // 1000
    student_codes = pa.array(student)
    act_codes = pa.array(act)
    return pa.table(
        {
            "student_id": ids.take(student_codes),
            "item_id": items.take(act_codes),
            "skill_ids": skill_lists.take(act_codes),
            "correct": pa.array(correct, pa.int8()),
            "timestamp": pa.array(t_us + start_us, pa.timestamp("us", tz="UTC")),
            "duration_s": pa.array(np.round(dur, 1), pa.float32()),
            "school_id": schools.take(student_codes),
            "class_id": classes.take(student_codes),
        },
        schema=RESPONSE_SCHEMA,
    )


# -- writing -----------------------------------------------------------------------------------
def _write_parquet(table: pa.Table, path: Path) -> None:
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=1_000_000)


DISTRICT_FILES = (
    "responses.parquet", "catalog.json", "profiles.jsonl", "students.parquet",
    "truth_mastery.parquet", "schools.csv", "district.json",
)  # fmt: skip


def write_district(district: District, out_dir: str | Path) -> list[Path]:
    """Write the district's files into `out_dir` (each atomically); returns their paths.

    responses.parquet (canonical log), catalog.json, profiles.jsonl (one `LearnerProfile` per
    line), students.parquet (ids, grade, school, class, subgroup flags), truth_mastery.parquet
    (student_id, skill_id, mastery_start, mastery_end), schools.csv, district.json (settings and
    counts). Same district -> byte-identical files.
    """
    out = make_folder(Path(out_dir))
    _write_parquet(district.responses, out / "responses.parquet")
    atomic_write_bytes(
        out / "catalog.json", (json.dumps(district.catalog.to_dict(), indent=1) + "\n").encode()
    )
    write_profiles(district.profile_dicts(), out / "profiles.jsonl")
    students = district.students.drop(columns=["goal_skills"])
    _write_parquet(pa.Table.from_pandas(students, preserve_index=False), out / "students.parquet")
    _write_parquet(district.truth_table(), out / "truth_mastery.parquet")
    atomic_write_bytes(out / "schools.csv", district.schools.to_csv(index=False).encode())
    atomic_write_bytes(
        out / "district.json", (json.dumps(district.meta, indent=1, sort_keys=True) + "\n").encode()
    )
    return [out / name for name in DISTRICT_FILES]


def simulated_log(path: str | Path) -> bool:
    """Whether the response log `path` is one `write_district` wrote (`adaptive simulate`,
    `adaptive demo`): its folder holds the simulated students' true mastery
    (truth_mastery.parquet, which no district's export has) and district.json beside it. Such a
    log is a fixed history: written before any night was served, no policy changed it. A copy
    of the log elsewhere, or converted, is not recognized."""
    folder = Path(path).parent
    return Path(path).name == DISTRICT_FILES[0] and all(
        (folder / name).is_file() for name in ("truth_mastery.parquet", "district.json")
    )


def warn_fixed_history(source: object, what: str, stacklevel: int = 3) -> None:
    """An `ExperimentWarning` when the response log `source` is a simulated district's
    (`simulated_log`): a fixed history written before any night was served, so `what` the
    caller estimates from it ("no arm changed an outcome in it, so these effects") is chance,
    whatever its interval says. `experiment analyze` and `ope` say it alike."""
    from adaptive.errors import ExperimentWarning

    if isinstance(source, str | Path) and simulated_log(source):
        warnings.warn(
            f"--data {source}: a simulated district's response log (`adaptive simulate` or "
            f"`demo`), a fixed history written before any night was served: {what}, an "
            "interval that excludes zero included, are chance, not the policies",
            ExperimentWarning,
            stacklevel=stacklevel,
        )


def read_truth(out_dir: str | Path) -> pd.DataFrame:
    """The true-mastery table a district folder holds (student_id, skill_id, start, end)."""
    return pd.read_parquet(Path(out_dir) / "truth_mastery.parquet")
