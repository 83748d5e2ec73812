"""The grade table read from a district's training log (`adaptive.placement.calibrate`), kept
with the model that read it, and the placement of new students with it where the policy has no
table of its own (issue 16: a cold cohort placed with the default's own-grade slope, in a
district whose own-grade knowledge is flat)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from adaptive.curriculum import LearnerProfile
from adaptive.data.log import ResponseLog
from adaptive.errors import PlacementWarning
from adaptive.placement import GradeTable, grade_placement
from adaptive.placement.calibrate import (
    PRIOR_ANSWERS,
    StartTable,
    answer_model,
    fit_start_table,
    start_sentence,
)
from adaptive.placement.diagnostic import AnswerModel
from adaptive.placement.level import LevelFit, check_level
from adaptive.placement.prior import DEFAULT_TABLE, placement_table, position_in_grade
from adaptive.policy import AdaptivePolicy, PolicyConfig
from adaptive.policy.adapter import batch_from_model
from adaptive.simulation.junyi import synthetic_graph_catalog
from adaptive.tracing.bkt import BKT

CATALOG = synthetic_graph_catalog(n_skills=120, n_levels=30, seed=3)
PLACE = position_in_grade(CATALOG)
GUESS, SLIP = 0.2, 0.1  # the level model's defaults, which the fit reads without a model


def district(
    p_known, n: int = 600, gaps: tuple[int, ...] = (-1, 0, 1), seed: int = 0
) -> tuple[ResponseLog, list[LearnerProfile]]:
    """A training log of `n` students of grades 2-4, each answering every skill of the grade
    gaps given once, known with P `p_known(gap, place)` (place: the skill's place in its
    grade), right with 1 - SLIP if known, GUESS if not."""
    rng = np.random.default_rng(seed)
    grades = rng.integers(2, 5, n)
    rows = []
    for i, g in enumerate(grades):
        gap = CATALOG.skill_grades - g
        for t, k in enumerate(np.flatnonzero(np.isin(gap, gaps))):
            known = rng.random() < p_known(int(gap[k]), PLACE[k])
            right = rng.random() < (1 - SLIP if known else GUESS)
            skill = CATALOG.skills[k].id
            rows.append((f"s{i:04d}", f"{skill}@0", skill, int(right), t))
    frame = pd.DataFrame(rows, columns=["student_id", "item_id", "skill_ids", "correct", "order"])
    frame["timestamp"] = pd.Timestamp("2026-09-01") + pd.to_timedelta(frame["order"], unit="min")
    profiles = [LearnerProfile(f"s{i:04d}", grade=int(g)) for i, g in enumerate(grades)]
    return ResponseLog.from_frame(frame.drop(columns="order")), profiles


def flat(gap: int, place: float) -> float:
    """A district whose own grade is known scattered, at 0.35 whatever the place."""
    return {-1: 0.7, 0: 0.35, 1: 0.05}[gap]


def test_the_fit_reads_each_gap_and_a_flat_own_grade():
    log, profiles = district(flat)
    table = fit_start_table(CATALOG, log, profiles).table
    assert table.by_gap[-1] == pytest.approx(0.7, abs=0.05)
    assert table.by_gap[0] == pytest.approx(0.35, abs=0.05)
    assert table.by_gap[1] == pytest.approx(0.05, abs=0.05)
    first, last = table.own_grade
    assert first - last < 0.1  # the default's slope (0.7 -> 0.1) is gone
    assert DEFAULT_TABLE.own_grade == (0.7, 0.1)


def test_the_fit_keeps_a_grade_taught_in_order_sloped():
    log, profiles = district(lambda gap, place: 0.8 - 0.6 * place if gap == 0 else flat(gap, 0))
    first, last = fit_start_table(
        CATALOG, log, profiles, start=GradeTable(own_grade="flat")
    ).table.own_grade
    assert first == pytest.approx(0.8, abs=0.08)
    assert last == pytest.approx(0.2, abs=0.08)


def test_a_gap_no_student_answered_keeps_the_starting_value():
    log, profiles = district(flat, gaps=(0,))
    table = fit_start_table(CATALOG, log, profiles).table
    assert table.by_gap[-2] == DEFAULT_TABLE.by_gap[-2]
    assert table.by_gap[-1] == DEFAULT_TABLE.by_gap[-1]
    assert table.by_gap[0] == pytest.approx(0.35, abs=0.05)


def test_a_few_answers_move_a_value_only_part_way():
    """A gap answered first by a handful of students stays near the starting table's value:
    each value weighs `PRIOR_ANSWERS` answers' worth of the table it starts from."""
    log, profiles = district(lambda gap, place: 0.0, n=1, gaps=(-1,))
    assert len(log) < PRIOR_ANSWERS
    few = fit_start_table(CATALOG, log, profiles).table.by_gap[-1]
    log, profiles = district(lambda gap, place: 0.0, n=60, gaps=(-1,))
    many = fit_start_table(CATALOG, log, profiles).table.by_gap[-1]
    assert many < 0.05 < few < DEFAULT_TABLE.by_gap[-1]
    assert few > 0.3


def test_values_out_of_the_grades_order_are_pooled():
    """A district whose log says a later grade is better known than an earlier one (noise, or
    grades mislabelled) still gets a table that does not rise with the gap."""
    log, profiles = district(lambda gap, place: {-1: 0.3, 0: 0.6, 1: 0.05}[gap])
    table = fit_start_table(CATALOG, log, profiles).table
    assert table.by_gap[-1] == pytest.approx(table.by_gap[0])
    assert 0.35 < table.by_gap[0] < 0.6


def test_guess_and_slip_are_each_skill_s_own():
    """Read with the wrong guess, the same answers say another P(known): the fit corrects for
    the answer model given (a BKT model's per-skill guess and slip)."""
    log, profiles = district(flat, gaps=(0,))
    n = len(CATALOG.skills)
    right = AnswerModel(np.full(n, GUESS), np.full(n, SLIP), np.full(n, 0.5))
    wrong = AnswerModel(np.full(n, 0.05), np.full(n, SLIP), np.full(n, 0.5))
    assert fit_start_table(CATALOG, log, profiles, right).table.by_gap[0] == pytest.approx(
        0.35, abs=0.05
    )
    assert fit_start_table(CATALOG, log, profiles, wrong).table.by_gap[0] > 0.45


def answered_in_versions(first_version: str, then: tuple[str, ...], seed: int = 6):
    """A log of 600 students answering each skill of their grade on `first_version` (an item
    id suffix: "@-1" the catalog's easiest, any other none of its activities), then on each
    of `then`; answers follow the library's reading of difficulty (a logit shift), known
    with P 0.35."""
    rng = np.random.default_rng(seed)
    grades = rng.integers(2, 5, 600)
    rows = []
    for i, g in enumerate(grades):
        for t, k in enumerate(np.flatnonzero(CATALOG.skill_grades == g)):
            known = rng.random() < 0.35
            skill = CATALOG.skills[k].id
            for step, version in enumerate((first_version, *then)):
                d = {"@-1": -1.0, "@+0": 0.0, "@+1": 1.0}.get(version, 0.0)
                base = 1 - SLIP if known else GUESS
                p = 1 / (1 + np.exp(-(np.log(base / (1 - base)) - d)))
                rows.append(
                    (f"s{i:04d}", skill + version, skill, int(rng.random() < p), 4 * t + step)
                )
    frame = pd.DataFrame(rows, columns=["student_id", "item_id", "skill_ids", "correct", "order"])
    frame["timestamp"] = pd.Timestamp("2026-09-01") + pd.to_timedelta(frame["order"], unit="min")
    profiles = [LearnerProfile(f"s{i:04d}", grade=int(g)) for i, g in enumerate(grades)]
    return ResponseLog.from_frame(frame.drop(columns="order")), profiles


def test_a_first_attempt_on_the_easiest_version_is_read_for_its_difficulty():
    """A trial's district first answered every skill on its easiest version (difficulty -1),
    then on harder ones: the fit read its own grade as 0.50 known where 0.33 was. A first
    answer is read against the skill's typical answer in the log, shifted by how much easier
    its activity is (the catalog's difficulty, a logit shift, as the policy reads it)."""
    log, profiles = answered_in_versions("@-1", ("@+1",), seed=5)
    assert fit_start_table(CATALOG, log, profiles).table.by_gap[0] == pytest.approx(0.35, abs=0.05)


def test_guess_and_slip_are_read_for_the_skill_s_typical_answer_in_the_log():
    """The answer model describes a skill's typical answer in the log: a log whose typical
    answer is harder than the catalog's 0 (two answers on the hardest version for one on the
    easiest) reads its first answers against that, not against 0."""
    log, profiles = answered_in_versions("@-1", ("@+1", "@+1"))
    n = len(CATALOG.skills)
    # guess and slip as they read the typical answer here (difficulty +1/3)
    typical = AnswerModel(
        np.full(n, 1 / (1 + np.exp(-(np.log(GUESS / (1 - GUESS)) - 1 / 3)))),
        np.full(n, 1 - 1 / (1 + np.exp(-(np.log((1 - SLIP) / SLIP) - 1 / 3)))),
        np.full(n, 0.5),
    )
    assert fit_start_table(CATALOG, log, profiles, typical).table.by_gap[0] == pytest.approx(
        0.35, abs=0.05
    )


def test_an_item_that_is_no_activity_is_read_as_typical():
    """A first answer on an item the catalog does not list (a district's own quiz) has no
    difficulty to read: it is read as the skill's typical answer, and the catalog answers
    beside it do not move it (a review: it was read as 0 against their mean, -1, a logit
    harder than typical, and the fit read 0.48 for 0.35)."""
    log, profiles = answered_in_versions("@quiz", ("@+0",))
    assert fit_start_table(CATALOG, log, profiles).table.by_gap[0] == pytest.approx(0.35, abs=0.05)
    log, profiles = answered_in_versions("@quiz", ("@-1", "@-1", "@-1"))
    assert fit_start_table(CATALOG, log, profiles).table.by_gap[0] == pytest.approx(0.35, abs=0.05)


def test_a_line_that_rises_along_the_grade_is_read_flat():
    """A grade whose late skills read better known than its early ones (against the order the
    grade is taught in) gets a flat line at the grade's own value, as `GradeTable` requires."""
    log, profiles = district(lambda gap, place: 0.1 + 0.6 * place if gap == 0 else flat(gap, 0))
    table = fit_start_table(CATALOG, log, profiles, start=GradeTable(own_grade="flat")).table
    first, last = table.own_grade
    assert first == last == table.by_gap[0]


def test_a_starting_table_without_gap_0_reads_the_own_grade_from_its_line():
    """A review: a starting table without gap 0 and a log without an own-grade first answer
    raised KeyError."""
    log, profiles = district(flat, gaps=(-1,))
    start = GradeTable({-1: 0.8, 1: 0.1}, "flat")
    table = fit_start_table(CATALOG, log, profiles, start=start).table
    assert table.by_gap[0] == pytest.approx(float(start.lookup(np.array([0]))[0]))
    assert table.by_gap[-1] == pytest.approx(0.7, abs=0.05)


def test_a_log_without_graded_students_returns_the_starting_table():
    log, profiles = district(flat, n=20)
    ungraded = [LearnerProfile(p.student_id) for p in profiles]
    with pytest.warns(PlacementWarning, match="20 \\(100%\\) have no profile with a grade"):
        nothing = fit_start_table(CATALOG, log, ungraded)
    assert nothing.table == DEFAULT_TABLE and not nothing.read
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a caller whose roster names only whom it serves
        fit_start_table(CATALOG, log, ungraded, roster_warnings=False)
    start = GradeTable({0: 0.5, 1: 0.2}, "flat")
    assert fit_start_table(CATALOG, log, [], start=start).table == start


@pytest.fixture(scope="module")
def trained():
    log, profiles = district(flat, n=300)
    model = BKT().fit(log)
    return model, log, profiles


def test_the_start_table_says_which_gaps_it_read_and_from_how_many_answers():
    """A trial's `adaptive train` printed the default's values for the earlier grades as
    "read from the training log's first answers" when no first answer was there, and the
    own grade's first end above what placement uses (kept below the grade under)."""
    log, profiles = district(flat, gaps=(0, 1))
    start = fit_start_table(CATALOG, log, profiles)
    assert start.answers[-1] == 0 and start.answers[0] > 1000 and start.answers[1] > 100
    words = start.words()
    assert "1 grade below 0.88, no first answer read" in words
    assert f"from {start.answers[0]:,} first answers" in words
    first, last = start.table.own_grade_line(np.array([0.0, 1.0]))
    assert words.startswith(f"own grade {first:.2f} (its first skills) to {last:.2f} (its last)")
    clipped = StartTable(GradeTable({-1: 0.5, 0: 0.4, 1: 0.1}, (0.9, 0.2)), {0: 10})
    assert clipped.words().startswith("own grade 0.50 (its first skills)")  # as placed
    assert StartTable.from_json(start.to_json()) == start
    assert "A policy without a [grade_table] places" in start_sentence(start)


def test_a_roster_of_another_year_is_warned_of():
    """A trial trained on last year's log with this year's roster (every grade one too high,
    a quarter of the log's students in no profile): a wrong table was saved and placed every
    new student, without a word."""
    log, profiles = district(flat, gaps=(0,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_start_table(CATALOG, log, profiles)  # the log's own roster: nothing to say
    promoted = [LearnerProfile(p.student_id, grade=p.grade + 1) for p in profiles]
    with pytest.warns(
        PlacementWarning, match="100% of the first answers read are on skills of a grade below"
    ):
        fit_start_table(CATALOG, log, promoted)
    part = profiles[: len(profiles) * 3 // 4]
    with pytest.warns(PlacementWarning, match=r"150 \(25%\) have no profile with a grade"):
        fit_start_table(CATALOG, log, part)


def school_years_district(
    n: int = 300, years: int = 3, seed: int = 0, dated_early: int = 0
) -> tuple[ResponseLog, list[LearnerProfile]]:
    """A log of `years` school years (the last one 2026-27) of `n` students of roster grades
    3-5 (the roster's year: the log's latest), each answering once, in October of each year,
    every skill of the grade they were in that year, known flat at 0.35: every first answer
    is an own-grade answer when given, two thirds of them in an earlier school year
    (`dated_early`: the earlier years' answers dated that many years earlier, a log that skips
    the year before the roster's)."""
    rng = np.random.default_rng(seed)
    grades = rng.integers(3, 6, n)
    rows = []
    for i, g in enumerate(grades):
        for back in range(years - 1, -1, -1):
            october = pd.Timestamp(f"{2026 - back - (dated_early if back else 0)}-10-01")
            for t, k in enumerate(np.flatnonzero(CATALOG.skill_grades == g - back)):
                right = rng.random() < (1 - SLIP if rng.random() < 0.35 else GUESS)
                skill = CATALOG.skills[k].id
                when = october + pd.Timedelta(minutes=t)
                rows.append((f"s{i:04d}", f"{skill}@0", skill, int(right), when))
    frame = pd.DataFrame(
        rows, columns=["student_id", "item_id", "skill_ids", "correct", "timestamp"]
    )
    profiles = [LearnerProfile(f"s{i:04d}", grade=int(g)) for i, g in enumerate(grades)]
    return ResponseLog.from_frame(frame), profiles


def test_a_log_of_several_school_years_reads_each_answer_at_the_grade_it_was_given_in():
    """A high school's log of 2023-2027 (seniors answered Algebra I as 9th graders): its first
    answers of earlier school years were read against this year's grade, "3 grades below
    0.84", and the right roster was warned of as another year's."""
    log, profiles = school_years_district()
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        start = fit_start_table(CATALOG, log, profiles)
    assert not any(n for gap, n in start.answers.items() if gap)  # only the own grade read
    assert start.answers[0] == len(log)  # every answer an own-grade first answer
    assert start.table.by_gap[0] == pytest.approx(0.35, abs=0.05)
    assert start.table.by_gap[-1] == DEFAULT_TABLE.by_gap[-1]  # no answer read there
    assert start.table.by_gap[-2] == DEFAULT_TABLE.by_gap[-2]
    assert not [w for w in said if issubclass(w.category, PlacementWarning)]  # this year's roster
    # the roster's school year given (the training's date): the same grades said to be those
    # of the year after the log's read every answer a grade lower, on a skill a grade above
    with pytest.warns(PlacementWarning, match="100% of the first answers read are on skills of"):
        later = fit_start_table(CATALOG, log, profiles, roster_day="2027-09-15")
    assert later.answers[0] == 0 and later.answers[1] == len(log)
    assert fit_start_table(CATALOG, log, profiles, roster_day="2027-03-01") == start


def test_a_roster_of_another_year_beside_a_log_of_several_years_is_still_warned_of():
    """Last year's roster (every grade one too low) beside this year's multi-year log puts
    every first answer a grade above the grade it was given in; this year's roster one grade
    below: each is warned of as with a log of one year."""
    log, profiles = school_years_district(n=120)
    last_year = [LearnerProfile(p.student_id, grade=p.grade - 1) for p in profiles]
    roster = r"are the roster's grades those of the school year 2026-27\?"
    with pytest.warns(PlacementWarning, match=f"of a grade above the student's grade.*{roster}"):
        fit_start_table(CATALOG, log, last_year)
    promoted = [LearnerProfile(p.student_id, grade=p.grade + 1) for p in profiles]
    with pytest.warns(PlacementWarning, match=f"100% of the first answers read .*below.*{roster}"):
        fit_start_table(CATALOG, log, promoted)


def test_a_log_whose_earlier_years_are_dated_a_year_early_is_said_so():
    """The trial's export dated every course before this year's a school year early (a log of
    2022-23, 2023-24, 2024-25 and 2026-27): its roster is right for the roster's year, and the
    warning says which answers disagree and which school year the log skips, not "the roster's
    grades" alone."""
    log, profiles = school_years_district(n=120, dated_early=1)
    with pytest.warns(PlacementWarning) as said:
        fit_start_table(CATALOG, log, profiles)
    (words,) = [str(w.message) for w in said]
    assert "% of the first answers read are on skills of a grade above" in words
    assert "100% of those of the school years before the roster's (2026-27), 0% of its own" in words
    assert (
        "no first answer is read in 2025-26: are the earlier answers dated a school year" in words
    )
    assert "s00" not in words  # counts, never an id


def test_the_model_keeps_the_table_read_from_its_training_log(trained, tmp_path):
    model, log, profiles = trained
    model.check_curriculum_level(log, CATALOG, profiles)
    start = model.curriculum_level_.start
    fitted = start.table
    # the fit with the model's own guess and slip (BKT's, per skill)
    assert start == fit_start_table(CATALOG, log, profiles, answer_model(CATALOG, model))
    guess = model.params_table().set_index("skill")["p_guess"]
    assert answer_model(CATALOG, model).guess[0] == pytest.approx(guess[CATALOG.skills[0].id])
    assert fitted != DEFAULT_TABLE
    first, last = fitted.own_grade
    assert first - last < 0.2  # the district's flat own grade, not the default's slope
    model.save(tmp_path / "m")
    assert BKT.load(tmp_path / "m").curriculum_level_.start == start
    # a table given (train --policy) reads the check; where students start is still read
    given = GradeTable({0: 0.5, 1: 0.2}, "flat")
    model.check_curriculum_level(log, CATALOG, profiles, given)
    assert model.curriculum_level_.grade_table == given
    assert model.curriculum_level_.start == start
    assert placement_table(None, model) == fitted  # not the training policy's table
    # nothing read (no student with a grade): nothing kept, the model stays format 3
    with pytest.warns(PlacementWarning):
        model.check_curriculum_level(log, CATALOG, [LearnerProfile(p.student_id) for p in profiles])
    assert model.curriculum_level_.start is None and model.format_version() == 3
    assert placement_table(None, model) is None


def test_a_new_student_is_placed_with_the_model_s_table_unless_the_policy_has_one(trained):
    model, log, profiles = trained
    model.check_curriculum_level(log, CATALOG, profiles)
    fitted = model.curriculum_level_.start.table
    assert placement_table(None, model) == fitted
    own = GradeTable({0: 0.5, 1: 0.2}, "flat")
    assert placement_table(own, model) == own
    assert placement_table(None, object()) is None  # a model without a check: the default
    older = BKT().fit(log)  # a model saved before it kept where students start: the default
    older.curriculum_level_ = LevelFit(0.01, 500, 0.01, GradeTable())
    assert placement_table(None, older) is None

    newcomer = LearnerProfile("new", grade=3)
    last_of_grade = int(
        np.flatnonzero(CATALOG.skill_grades == 3)[np.argmax(PLACE[CATALOG.skill_grades == 3])]
    )

    def placed(config: PolicyConfig) -> float:
        state = model.init_state([])
        batch = batch_from_model(
            model, state, CATALOG, [newcomer], student_ids=["new"], config=config, graph=False
        )
        AdaptivePolicy(CATALOG, config).recommend(batch, k=1)  # the policy takes the batch
        assert batch.placement[0] == "placed from grade 3"
        return float(batch.mastery[0, last_of_grade])

    # the grade's last skill: the default's slope says 0.1, the district's flat line ~0.35
    assert placed(PolicyConfig()) == pytest.approx(
        fitted.own_grade_line(np.array([1.0]))[0], abs=0.02
    )
    assert placed(PolicyConfig()) > 0.25
    assert placed(PolicyConfig(grade_table=own)) == pytest.approx(0.5, abs=0.02)


def test_the_nightly_job_s_placement_step_reads_the_model_s_table(trained):
    """`place_new_students` (the nightly job's step, in-process and on Spark executors)
    places a student the state does not hold with the model's table unless one is given."""
    from adaptive.placement.prior import place_new_students

    model, log, profiles = trained
    model.check_curriculum_level(log, CATALOG, profiles)
    fitted = model.curriculum_level_.start.table
    newcomer = {"new": LearnerProfile("new", grade=3)}
    own = GradeTable({0: 0.5, 1: 0.2}, "flat")
    for given, table in ((None, fitted), (own, own)):
        state = model.init_state([])
        assert place_new_students(model, state, CATALOG, newcomer, ["new"], given) == 1
        placed = pd.Series(model.mastery(state, np.array([0]))[0], index=model.skills_)
        expected = grade_placement(CATALOG, list(newcomer.values()), table)
        want = pd.Series(expected.mastery[0], index=expected.skills)[placed.index]
        np.testing.assert_allclose(placed.to_numpy(), want.to_numpy(), atol=1e-6)


def test_the_model_reads_a_log_of_several_school_years_at_each_answer_s_grade():
    """`check_curriculum_level` (what `adaptive train --profiles` runs) keeps the table read at
    each answer's grade: no earlier-year answer counted as one of a grade below."""
    log, profiles = school_years_district(n=60)
    model = BKT().fit(log)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        start = model.check_curriculum_level(log, CATALOG, profiles).start
    assert start.answers[0] == len(log) and not start.answers.get(-1)
    assert not [w for w in said if issubclass(w.category, PlacementWarning)]
    with pytest.warns(PlacementWarning, match="grade above"):  # the grades said a year later's
        later = model.check_curriculum_level(log, CATALOG, profiles, roster_day="2027-09-01")
    assert later.start.answers[1] == len(log)


def test_the_curriculum_order_check_reads_a_log_of_several_school_years_at_each_year_s_grade():
    """The check (`check_level`) predicted every first answer from the roster's grade: a
    high school's earlier years' answers, on skills of the grade the students were in then,
    were read as skills grades below, which the grade alone called known, and the level
    gained on them what the district's knowledge did not give. Now each school year's first
    answers are read at that year's grade, as the placement table's fit reads them: the same
    gain as the log of each student-year read as a student of its own, all in the roster's
    year."""
    log, profiles = school_years_district(n=200)
    table = fit_start_table(CATALOG, log, profiles).table
    checked = check_level(CATALOG, log, profiles, table)
    # each (student, school year) a student of its own, in the roster's grade of that year
    frame = log.frame.assign(skill_ids=log.frame["skill_ids"].map(lambda skills: skills[0]))
    back = 2026 - frame["timestamp"].dt.year  # every answer in October
    frame["student_id"] = frame["student_id"] + "@" + back.astype(str)
    grade = {p.student_id: p.grade for p in profiles}
    own = [
        LearnerProfile(s, grade=grade[s.split("@")[0]] - int(s.split("@")[1]))
        for s in frame["student_id"].unique()
    ]
    frame["timestamp"] = frame["timestamp"].map(lambda t: t.replace(year=2026))
    apart = check_level(CATALOG, ResponseLog.from_frame(frame), own, table)
    assert checked.answers == apart.answers == len(log)
    assert checked.gain == pytest.approx(apart.gain, abs=1e-9)
    assert not checked.holds  # knowledge flat in every grade: no curriculum order
    # the model's check passes the roster's school year on (`check_curriculum_level`)
    model = BKT().fit(log)
    with pytest.warns(PlacementWarning):  # the grades said a year later's
        later = model.check_curriculum_level(log, CATALOG, profiles, table, roster_day="2027-09-01")
    expected = check_level(CATALOG, log, profiles, table, roster_day="2027-09-01")
    assert later.gain == expected.gain != checked.gain


def test_a_request_on_a_new_school_year_reads_the_answers_at_last_year_s_grades():
    """The per-request path (`model_as_of`, `recommend_students` without a model) read the
    roster as the grades of the school year of the log's latest answer: a request on the
    first days of 2027-28, with this year's roster (every grade one up) and only the answers of
    earlier years, read every answer a grade below the one it was given in. The roster is now
    that of `now`'s school year, as a night's is its date's; without `now`, the log's latest
    answer's, as `train` reads it."""
    from adaptive.policy.service import District, model_as_of

    log, profiles = school_years_district(n=60)
    promoted = {p.student_id: LearnerProfile(p.student_id, grade=p.grade + 1) for p in profiles}
    district = District(CATALOG, promoted, log)
    model = model_as_of(district, pd.Timestamp("2027-09-10", tz="UTC"))
    start = model.curriculum_level_.start
    assert start.answers[0] == len(log) and not start.answers.get(-1)
    same_year = District(CATALOG, {p.student_id: p for p in profiles}, log)
    assert model_as_of(same_year, None).curriculum_level_.start == start
