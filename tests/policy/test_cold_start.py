"""Cold start through the public path: students without history are placed from their profile,
the recommendations say so, only the requested students' mastery is computed, a stronger student
gets a harder version of the same skill, and a missing `now` is the current time."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from policy_fixtures import SKILLS, make_catalog

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.data import Response
from adaptive.data.log import ResponseLog
from adaptive.errors import ConfigError
from adaptive.placement import grade_placement
from adaptive.policy import AdaptivePolicy, PolicyConfig, StudentView
from adaptive.policy.adapter import batch_from_model
from adaptive.policy.base import StudentBatch, catalog_arrays, to_days
from adaptive.tracing.bkt import BKT


def graded_catalog() -> Catalog:
    base = make_catalog()
    grades = {"add": 1, "sub": 2, "mul": 2, "div": 3, "geo": 1}
    skills = tuple(Skill(s.id, s.name, s.prerequisites, grade=grades[s.id]) for s in base.skills)
    return Catalog(skills, base.activities, topics=base.topics)


def practice_log(n_students: int = 80, seed: int = 0) -> ResponseLog:
    """Students learning each skill of the fixture catalog over 8 practices (BKT-like)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_students):
        for skill in SKILLS:
            known = rng.random() < 0.3
            for t in range(8):
                correct = rng.random() < (0.9 if known else 0.2)
                rows.append((f"p{i}", f"{skill}-{t % 3}", [skill], int(correct), t))
                known = known or rng.random() < 0.3
    frame = pd.DataFrame(rows, columns=["student_id", "item_id", "skill_ids", "correct", "order"])
    return ResponseLog.from_frame(frame)


@pytest.fixture(scope="module")
def model() -> BKT:
    return BKT(seed=0).fit(practice_log())


def test_a_student_without_history_is_placed_from_grade_and_told_so(model) -> None:
    cat = graded_catalog()
    profiles = [LearnerProfile("new", grade=3)]
    state = model.init_state()
    batch = batch_from_model(model, state, cat, profiles, student_ids=["new"])
    assert batch.placement[0] == "placed from grade 3"
    add = SKILLS.index("add")
    population = model.mastery(model.init_state(["new"]))[0]
    assert batch.mastery[0, add] > population[list(model.skills_).index("add")] + 0.2
    unplaced = batch_from_model(model, state, cat, profiles, student_ids=["new"], placement=None)
    assert np.isnan(unplaced.mastery).all() and unplaced.placement[0] == ""
    recs = AdaptivePolicy(cat).recommend_batch(batch, k=2, now=20_000.0)
    assert (recs["placement"] == "placed from grade 3").all()
    one = AdaptivePolicy(cat).recommendations_of(
        batch, AdaptivePolicy(cat).select(batch, 2, 20_000.0), 20_000.0
    )[0]
    assert any(r.term == "placement" and r.detail == "placed from grade 3" for r in one[0].reasons)


def test_a_student_the_state_holds_unplaced_is_placed_in_the_state(model) -> None:
    """A vendor's start-up `init_state(ids)` (no prior) held the population prior while the
    reasons said "placed from grade 3"; a student whose first answer came before any request
    stayed at the population prior on every other skill. Both are now placed in the state,
    once, as a newcomer is: the same mastery as a student placed at start, answered skills
    kept, and a later answer builds on the placement."""
    cat = graded_catalog()
    profiles = [LearnerProfile("v", grade=3), LearnerProfile("w", grade=3)]
    placed = batch_from_model(model, model.init_state(), cat, profiles, student_ids=["v"])
    state = model.init_state(["v"])  # no prior
    assert not model.is_placed(state).any()
    batch = batch_from_model(model, state, cat, profiles, student_ids=["v"])
    np.testing.assert_allclose(batch.mastery, placed.mastery)
    assert batch.placement[0] == "placed from grade 3" and model.is_placed(state).all()
    # the first answer before any request: that skill keeps its evidence, the others are placed
    k = list(model.skills_).index("add")
    model.update(state, ResponseLog.from_frame(pd.DataFrame(
        {"student_id": ["w"], "item_id": ["add-0"], "skill_ids": [["add"]], "correct": [0],
         "order": [0]})))  # fmt: skip
    answered = model.mastery(state, state.rows(["w"]))[0, k]
    batch = batch_from_model(model, state, cat, profiles, student_ids=["w"])
    row = state.rows(["w"])
    assert model.mastery(state, row)[0, k] == answered and model.is_placed(state, row).all()
    others = [i for i, s in enumerate(model.skills_) if s != "add"]
    start = model.init_state(["w"], prior=grade_placement(cat, [profiles[1]]))
    np.testing.assert_allclose(
        model.mastery(state, row)[0, others], model.mastery(start)[0, others]
    )
    # no grade, no placement: left as it is
    nameless = model.init_state(["x"])
    batch_from_model(model, nameless, cat, [LearnerProfile("x")], student_ids=["x"])
    assert not model.is_placed(nameless).any()


def test_only_the_requested_rows_are_read(model, monkeypatch) -> None:
    cat = graded_catalog()
    state = model.init_state([f"s{i}" for i in range(500)])
    seen = []
    real = type(model).mastery

    def spy(self, state, rows=None):
        seen.append(None if rows is None else len(rows))
        return real(self, state, rows)

    monkeypatch.setattr(type(model), "mastery", spy)
    batch_from_model(model, state, cat, [], student_ids=["s7"])
    assert seen == [1]


def test_a_stronger_student_gets_a_harder_version(model) -> None:
    cat = graded_catalog()
    ids = ["strong", "typical"]
    state = model.init_state(ids)
    state.arrays["ability_residual"][state.row("strong")] = 6.0  # many unexpected successes
    batch = batch_from_model(model, state, cat, [LearnerProfile(s, grade=1) for s in ids])
    assert batch.ability[0] > 1.0 and batch.ability[1] == 0.0
    sel = AdaptivePolicy(cat, PolicyConfig(weights={"interest": 0.0})).select(batch, 1, 20_000.0)
    difficulty = np.array([a.difficulty for a in cat.activities])[sel.activity[:, 0]]
    assert difficulty[0] > difficulty[1]


def test_ability_comes_from_answers_the_model_did_not_expect(model) -> None:
    state = model.init_state(["lucky", "unlucky"])
    frame = pd.DataFrame(
        {
            "student_id": ["lucky"] * 4 + ["unlucky"] * 4,
            "item_id": ["geo-0"] * 8,
            "skill_ids": [["geo"]] * 8,
            "correct": [1, 1, 1, 1, 0, 0, 0, 0],
            "order": list(range(4)) * 2,
        }
    )
    model.update(state, ResponseLog.from_frame(frame))
    lucky, unlucky = model.ability(state, state.rows(["lucky", "unlucky"]))
    assert lucky > 0 > unlucky


def test_a_missing_now_is_the_current_time() -> None:
    today = pd.Timestamp.now(tz="UTC").value / 86_400e9
    assert abs(to_days(None) - today) < 1.0


def test_select_takes_now_in_any_form(model) -> None:
    """`select` and `recommendations_of` (the vendor's fast path) read `now` as the other forms
    do: float days, a Timestamp, or None (before: None ended in a TypeError traceback)."""
    cat = graded_catalog()
    batch = batch_from_model(
        model, model.init_state(), cat, [LearnerProfile("n", grade=2)], student_ids=["n"]
    )
    policy = AdaptivePolicy(cat)
    stamp = pd.Timestamp("2026-10-03", tz="UTC")
    by_days = policy.select(batch, 3, to_days(stamp))
    np.testing.assert_array_equal(policy.select(batch, 3, stamp).activity, by_days.activity)
    now = policy.select(batch, 3, None)
    assert (now.activity >= 0).any()
    recs = policy.recommendations_of(batch, now, None)[0]
    assert [r.activity_id for r in recs] == [
        cat.activities[a].id for a in now.activity[0] if a >= 0
    ]


def test_a_vendors_usual_values_and_mistakes(model) -> None:
    """What a vendor's request code writes: `datetime.now()` or a `date` as now, no profiles;
    and its mistakes (one id as student_ids, k=0, a DataFrame as log, an object as now, no
    `StudentView` for `recommend`), each
    one TypeError / ValueError saying what is expected. Before: a TypeError from float() for a
    datetime, pandas' InvalidIndexError for the id, a reshape error for k=0, AttributeErrors."""
    import datetime as dt

    cat = graded_catalog()
    state = model.init_state()
    profiles = [LearnerProfile("n", grade=2)]
    batch = batch_from_model(model, state, cat, profiles, student_ids=["n"])
    policy = AdaptivePolicy(cat)
    stamp = pd.Timestamp("2026-10-03T08:00", tz="UTC")
    want = policy.select(batch, 3, stamp).activity
    for now in (dt.datetime(2026, 10, 3, 8), dt.datetime(2026, 10, 3, 8, tzinfo=dt.UTC)):
        np.testing.assert_array_equal(policy.select(batch, 3, now).activity, want)
    assert to_days(dt.date(2026, 10, 3)) == to_days(pd.Timestamp("2026-10-03", tz="UTC"))
    assert batch_from_model(model, state, cat, None, student_ids=["n"]).mastery.shape[0] == 1
    with pytest.raises(TypeError, match=r"got one str \(a single id\?\): put it in a list"):
        batch_from_model(model, state, cat, profiles, student_ids="n")
    with pytest.raises(TypeError, match="ResponseLog.from_frame"):
        batch_from_model(model, state, cat, profiles, student_ids=["n"], log=pd.DataFrame())
    for k in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="k: expected a whole number"):
            policy.recommend_batch(batch, k=k, now=stamp)
    with pytest.raises(TypeError, match="now: expected days since the Unix epoch"):
        policy.select(batch, 3, object())
    # one student's request with no view: an id, a profile or None (was an AttributeError)
    for student in (None, "n", profiles[0]):
        with pytest.raises(TypeError, match="expected a StudentView.*batch_from_model"):
            policy.recommend(student, k=3, now=stamp)
        with pytest.raises(TypeError, match="expected a StudentView"):
            policy.explain(student, cat.activities[0].id, now=stamp)


def test_a_vendors_own_student_view_is_read_or_refused_with_one_error() -> None:
    """A vendor with its own mastery builds `StudentView`s: a dict by skill id and no profile
    are read; a row of the wrong length, percentages for probabilities and a single id for the
    recent activities are one error naming the student and field. Before: numpy's broadcast
    error, 50 read as certain mastery, an AttributeError, 'abc' read as activities a, b, c."""
    cat = graded_catalog()
    policy = AdaptivePolicy(cat)
    n_s, first = len(cat.skills), cat.skills[0].id
    known = np.full(n_s, np.nan)
    known[0] = 0.9
    by_id = policy.recommend(StudentView("v", None, {first: 0.9}), k=3, now=0.0)
    by_row = policy.recommend(StudentView("v", LearnerProfile("v"), known), k=3, now=0.0)
    assert [r.activity_id for r in by_id] == [r.activity_id for r in by_row]
    mistakes = {  # a probability outside [0, 1] is said when the view is made
        "mastery: 2 value.s., expected 5": lambda: StudentView("v", None, [0.5, 0.5]),
        "got 'nope'; expected a skill id of": lambda: StudentView("v", None, {"nope": 0.5}),
        "divide them by 100": lambda: StudentView("v", None, np.full(n_s, 50.0)),
        "expected a probability in .0, 1.": lambda: StudentView("v", None, np.full(n_s, -0.2)),
        "n_responses: 1 value.s.": lambda: StudentView("v", None, known, n_responses=[3]),
    }
    for message, view in mistakes.items():
        with pytest.raises(ConfigError, match=message):
            policy.recommend(view(), k=3, now=0.0)
    # the README's trial: StudentView("v", profile, {"g3.NS.1": 90}) was made without a word
    made = f"StudentView: mastery.'{first}'. = 90.0; expected a probability in .0, 1."
    with pytest.raises(ConfigError, match=made):
        StudentView("v", None, {first: 90})
    with pytest.raises(ConfigError, match=f"p_correct.'{first}'. = 1.5"):
        StudentView("v", None, known, p_correct=pd.Series({first: 1.5}))
    with pytest.raises(TypeError, match="recent: expected a list of ids"):
        policy.recommend(StudentView("v", None, known, recent="a1"), k=3, now=0.0)


def test_catalog_skills_the_model_never_saw_take_the_grade_placement(model) -> None:
    """Issue 16 defect 3: an unmodelled skill is not 'not started' for a student past it."""
    base = graded_catalog()
    extra = Skill("old-skill", "An early skill", (), grade=1)
    cat = Catalog((*base.skills, extra), base.activities, topics=base.topics)
    profiles = [LearnerProfile("s", grade=3)]
    state = model.init_state(["s"])
    batch = batch_from_model(model, state, cat, profiles)
    col = list(cat.skill_index).index("old-skill")
    assert batch.mastery[0, col] > 0.8  # two grades below: known, not the start of the fringe
    assert np.isnan(batch_from_model(model, state, cat, profiles, placement=None).mastery[0, col])
    # a student without a grade: the model's population prior there, as on the skills it
    # knows (unknown read as "not started" put such skills first on the fringe)
    nograde = batch_from_model(model, model.init_state(["n"]), cat, [LearnerProfile("n")])
    modelled = np.arange(len(cat.skills)) != col
    assert nograde.mastery[0, col] == pytest.approx(np.mean(nograde.mastery[0, modelled]), 0.05)


def test_a_partial_placement_table_fills_the_rest_from_the_grade_as_the_nightly_job(model):
    """A vendor's request with a `Placement` that knows a new student on some skills: those
    skills take the table's values, the others the grade's, exactly as the nightly job starts
    that student (`place_new_students`); a student the table lacks is placed from grade."""
    from adaptive.placement.prior import Placement, place_new_students
    from adaptive.policy.adapter import align_skills

    cat = graded_catalog()
    profiles = {s: LearnerProfile(s, grade=3) for s in ("known", "other")}
    table = Placement(("known",), ("add",), np.array([[0.05]]), ("placed from last_year.csv",))
    ids = ["known", "other"]
    batch = batch_from_model(
        model, model.init_state(), cat, profiles, student_ids=ids, placement=table, graph=False
    )
    grade = batch_from_model(model, model.init_state(), cat, profiles, student_ids=ids, graph=False)
    add = list(cat.skill_index).index("add")
    assert batch.mastery[0, add] < 0.2  # the table's 0.05, not grade 3's (two grades above)
    rest = np.arange(len(cat.skills)) != add
    np.testing.assert_allclose(batch.mastery[0, rest], grade.mastery[0, rest])
    np.testing.assert_allclose(batch.mastery[1], grade.mastery[1])
    assert list(batch.placement) == ["placed from last_year.csv", "placed from grade 3"]
    nightly = model.init_state()
    place_new_students(model, nightly, cat, profiles, ids, given=table)
    placed = align_skills(model.skills_, cat, model.mastery(nightly, nightly.rows(ids)))
    np.testing.assert_allclose(batch.mastery, placed)


def test_curriculum_baselines_start_at_the_students_grade() -> None:
    """The issue's baseline: curriculum order from the student's grade (earlier grades done)."""
    from adaptive.policy.baselines import make_policy

    cat = graded_catalog()
    batch = StudentBatch.build(
        cat, ["g1", "g2"], np.zeros((2, len(SKILLS))), grade=np.array([1.0, 2.0])
    )
    for name in ("curriculum", "n-correct", "curriculum-mastery"):
        sel = make_policy(name, cat, seed=0).select(batch, 1, 20_000.0)
        grades = cat.skill_grades[catalog_arrays(cat).primary_skill[sel.activity[:, 0]]]
        assert list(grades) == [1.0, 2.0], name


def test_a_vendors_ids_times_and_inputs_are_read_as_the_rest_of_the_library_reads_them(
    model,
) -> None:
    """From a vendor's trial, each misread without a word before: a profile with an integer id
    (`Response(123)` is the student "123", `LearnerProfile(123)` was not), an id with a
    trailing space in `student_ids` (a new, unplaced student), a `now` in epoch seconds (read
    as days: "mastered 57591893 months ago"), a catalog whose skill ids the model spells
    otherwise (every student served from defaults), and inputs of the wrong kind (a single
    profile, a frame of profiles, a generator as log, a dict keyed by numbers): each is read
    as the rest of the library reads it, or is one error saying what to pass."""
    import datetime as dt

    from adaptive.data.log import Response

    cat = graded_catalog()
    state = model.init_state()
    placed = batch_from_model(model, state, cat, [LearnerProfile("123", grade=3)],
                              student_ids=["123"])  # fmt: skip
    for profiles, ids in (
        ([LearnerProfile(123, grade=3)], [123]),
        ({"123": LearnerProfile(" 123 ", grade=3)}, ["123 "]),
        ([LearnerProfile(np.int64(123), grade=3)], ["123"]),
    ):
        batch = batch_from_model(model, state, cat, profiles, student_ids=ids)
        assert list(batch.student_ids) == ["123"] and batch.placement[0] == "placed from grade 3"
        np.testing.assert_array_equal(batch.mastery, placed.mastery)
    for bad in (123.0, "", "  ", None, True):
        with pytest.raises(ConfigError, match="profile student_id"):
            LearnerProfile(bad, grade=3)
    policy = AdaptivePolicy(cat)
    for epoch, unit in ((1_727_776_800, "unit='s'"), (1_727_776_800_000, "unit='ms'")):
        with pytest.raises(ValueError, match=f"now = .*{unit}"):
            policy.select(placed, 3, epoch)
    with pytest.raises(ValueError, match="now = nan"):
        policy.select(placed, 3, float("nan"))
    # a spreadsheet's serial date (a vendor's trial: 46363 was served as 2096, "you mastered it
    # 70 years ago"); days since the epoch of today's dates are read as before
    with pytest.raises(ValueError, match=r"46363.0: .* 2096-12-08; .* serial date, 2026-12-07"):
        policy.select(placed, 3, 46363)
    assert len(policy.select(placed, 3, 20_429.5).activity[0]) == 3
    shouting = Catalog(
        tuple(Skill(s.id.upper(), s.name, tuple(p.upper() for p in s.prerequisites), s.grade)
              for s in cat.skills),
        tuple(dataclasses.replace(a, skills=tuple(k.upper() for k in a.skills))
              for a in cat.activities),
    )  # fmt: skip
    with pytest.raises(ConfigError, match="knows none of the catalog's 5 skills"):
        batch_from_model(model, state, shouting, None, student_ids=["x"])
    one = LearnerProfile("x", grade=3)
    answer = Response("x", "add-0", ("add",), 1, dt.datetime(2026, 10, 3, 9))
    mistakes = {
        "a single profile; write \\[profile\\]": dict(profiles=one),
        "a frame; read its file with read_profiles": dict(profiles=pd.DataFrame([one.to_dict()])),
        "a path; read the file": dict(profiles="profiles.jsonl"),
        "got a str among them": dict(profiles=["x"]),
        "a dict keyed by float": dict(profiles={7.0: one}),
        "an iterator is read once": dict(profiles=[one], log=(r for r in [answer])),
    }
    for message, given in mistakes.items():
        with pytest.raises(TypeError, match=message):
            batch_from_model(model, state, cat, student_ids=["x"], **given)


def test_the_state_says_where_a_student_was_placed_from(model, tmp_path) -> None:
    """A student placed by the diagnostic (`init_state(prior=session.placement())`) was said to
    be "placed from grade 3" by every request without the same Placement passed again, while
    served another grade's work: the state now records where each student was placed from,
    through a save and a load, and a restart forgets it."""
    from adaptive.placement import Placement
    from adaptive.tracing.base import TracingState

    cat = graded_catalog()
    profiles = [LearnerProfile("d", grade=3), LearnerProfile("g", grade=3)]
    skills = tuple(str(s) for s in model.skills_)
    diagnosed = Placement(("d",), skills, np.full((1, len(skills)), 0.95),
                          ("placed by diagnostic (15 questions)",))  # fmt: skip
    state = model.init_state(["d"], prior=diagnosed)
    batch = batch_from_model(model, state, cat, profiles, student_ids=["d", "g"])
    assert list(batch.placement) == ["placed by diagnostic (15 questions)", "placed from grade 3"]
    state.save(tmp_path / "state.npz")
    again = TracingState.load(tmp_path / "state.npz")
    said = batch_from_model(model, again, cat, profiles, student_ids=["d"]).placement[0]
    assert said == "placed by diagnostic (15 questions)"
    model.restart(again, ["d"])  # placed again below: from the grade
    assert batch_from_model(model, again, cat, profiles, student_ids=["d"]).placement[0] == (
        "placed from grade 3"
    )


def test_a_requested_student_in_neither_the_state_nor_the_profiles_is_said(model) -> None:
    """The vendor trial of stop 39: a typo'd id ("stu000001") was served from the population
    estimate without a word."""
    import warnings

    from adaptive.errors import CoverageWarning

    cat = graded_catalog()
    profiles = [LearnerProfile("stu0000001", grade=3)]
    with pytest.warns(CoverageWarning, match="1 of them is in neither the state nor the profiles"):
        batch_from_model(model, model.init_state(), cat, profiles, student_ids=["stu000001"])
    with warnings.catch_warnings():  # in the profiles (a new student): placed, nothing to say
        warnings.simplefilter("error", CoverageWarning)
        batch_from_model(model, model.init_state(), cat, profiles, student_ids=["stu0000001"])


def test_a_requested_student_the_profiles_lack_is_said_and_their_placement_says_so(model):
    """A vendor trial: a student the state held (their answers were traced) but the profiles
    lacked ('009999') was served a list with placement '' and no word, as if placed; they have
    no grade placement and no interests. Now one warning per call counts them (no id), and
    the placement of each one who never answered says "no profile" (one who answered is traced
    from their answers, as anyone); a student with a profile is said nothing."""
    import warnings

    from adaptive.data import Response
    from adaptive.errors import CoverageWarning
    from adaptive.placement.prior import NO_PROFILE_SOURCE

    cat = graded_catalog()
    profiles = [LearnerProfile("known", grade=3)]
    state = model.init_state()
    answers = {sid: Response(sid, "add-0", ("add",), 1, "2026-10-15T14:00:00")
               for sid in ("known", "unlisted")}  # fmt: skip
    for answer in answers.values():
        model.update(state, answer)
    with pytest.warns(CoverageWarning, match="2 requested students have no profile") as said:
        batch = batch_from_model(
            model, state, cat, profiles, student_ids=["known", "unlisted", "absent"]
        )
    words = [str(w.message) for w in said if "no profile" in str(w.message)]
    assert len(words) == 1 and "2 requested students have no profile" in words[0]
    assert "1 of them is in neither the state nor the profiles" in words[0]
    assert "unlisted" not in words[0] and "absent" not in words[0]  # counts, never ids
    # the answered one is traced from their answers: no placement words, as any answered student
    assert list(batch.placement) == ["", "", NO_PROFILE_SOURCE]
    recs = AdaptivePolicy(cat).recommend(batch.take([2]), k=3, now="2026-10-16")
    assert recs.placement == NO_PROFILE_SOURCE
    with warnings.catch_warnings():  # every student requested has a profile: nothing said
        warnings.simplefilter("error", CoverageWarning)
        batch_from_model(model, state, cat, profiles, student_ids=["known"],
                         log=[answers["known"]])  # fmt: skip


def test_an_id_that_lost_its_zeros_is_said_to_read_as_a_profiles_id(model) -> None:
    """A vendor trial: `student_ids=[4501]` for the profile '004501' warned "a mistyped id?"
    while `adaptive recommend --student 4501` suggested '004501'. One rule for both
    (`KnownIds.reads_as`: case, lost leading zeros, look-alike characters). Checking it at the
    request read every profile's id (a vendor trial: 0.5 s at the first such request at
    400,000 profiles), so the warning says how to check, `profile_ids(profiles).reads_as(id)`,
    never echoing an id (a vendor's logs; here 7702, as the hint's own example of dropped
    zeros is '4501'), and that check finds the profile's id."""
    from adaptive.errors import CoverageWarning
    from adaptive.policy.adapter import profile_ids

    cat = graded_catalog()
    profiles = {"007702": LearnerProfile("007702", grade=3)}
    with pytest.warns(CoverageWarning, match="no profile") as said:
        batch_from_model(model, model.init_state(), cat, profiles, student_ids=[7702])
    words = next(str(w.message) for w in said if "no profile" in str(w.message))
    assert "adaptive.policy.adapter.profile_ids(profiles).reads_as(id)" in words
    assert "7702" not in words
    assert profile_ids(profiles).reads_as("7702") == "007702"
    assert profile_ids(list(profiles.values())).reads_as("7702") == "007702"  # a list too
    assert profile_ids(profiles).reads_as("777") is None  # a new student


def test_a_catalog_skill_the_model_lacks_is_said_once_per_model_and_catalog(model) -> None:
    """The vendor trial of stop 39: skills the model was never fitted on held the placement's
    values on every request, and nothing said so (the check ran only when nothing overlapped)."""
    import warnings

    base = graded_catalog()
    extra = Skill("extra", "Extra", grade=3)
    cat = Catalog((*base.skills, extra), base.activities, topics=base.topics)
    profiles = [LearnerProfile("new", grade=3)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batch_from_model(model, model.init_state(), cat, profiles, student_ids=["new"])
        batch_from_model(model, model.init_state(), cat, profiles, student_ids=["new"])
    said = [str(w.message) for w in caught if "catalog skills" in str(w.message)]
    assert len(said) == 1 and said[0].startswith(f"model knows {len(base.skills)} of")


def test_a_model_skill_the_catalog_lacks_is_said_once_per_model_and_catalog() -> None:
    """A vendor trial: a log's misspelt skill ('M3.OA.l' for 'M3.OA.1') was fitted as a skill
    of the model; `update` then traced answers on it without a word (the model knows it) and
    no request said that no recommendation reads it. The coverage check of each model and
    catalog now names the model's skills the catalog lacks, with the id each likely means,
    once per model and catalog."""
    import warnings

    from adaptive.policy.adapter import check_skill_coverage

    frame = practice_log(20).frame
    typo = frame["student_id"].isin(["p0", "p1"]) & (frame["item_id"].str.startswith("add"))
    skills = [["ad"] if t else list(s) for t, s in zip(typo, frame["skill_ids"], strict=True)]
    typoed = BKT(seed=0).fit(ResponseLog.from_frame(frame.assign(skill_ids=skills)))
    assert "ad" in list(typoed.skills_)
    cat, profiles = graded_catalog(), [LearnerProfile("new", grade=3)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            batch_from_model(typoed, typoed.init_state(), cat, profiles, student_ids=["new"])
    said = [str(w.message) for w in caught if "the catalog does not have" in str(w.message)]
    assert len(said) == 1, said
    assert (
        "model knows 1 skill id the catalog does not have: 'ad' (did you mean 'add'?)" in (said[0])
    )
    assert check_skill_coverage(typoed, cat).unknown == ("ad",)


def test_a_now_that_is_not_iso_is_refused_by_batch_from_model_too(model) -> None:
    """The vendor trial of stop 39: `batch_from_model(now="03/04/2027")` was accepted (and
    ignored) where every other call refuses a date that reads as two days."""
    cat = graded_catalog()
    with pytest.raises(ConfigError, match="ISO 8601"):
        batch_from_model(model, model.init_state(), cat, [], student_ids=["x"], now="03/04/2027")
    batch_from_model(model, model.init_state(), cat, [], student_ids=["x"], now="2027-03-04")


def test_an_earlier_grades_skill_is_said_as_a_check_not_a_skill_to_start(model) -> None:
    """A vendor's trial (no class grade band on a request): a grade 2 student was served a
    grade 1 skill that their grade placement counts as 88% known as "a good next skill to
    start". Now a skill below the student's grade, never answered, is said as a check of an
    earlier grade's skill, with its estimate and where it came from (a low one of the app's
    own: one to catch up on); the student's own grade's new skills still rank first."""
    cat = graded_catalog()
    profile = LearnerProfile("new", grade=2)
    batch = batch_from_model(model, model.init_state(), cat, [profile], student_ids=["new"])
    placed = AdaptivePolicy(cat).recommend(batch, k=5, now=20_000.0)
    [add] = [r for r in placed if r.skill_id == "add"]
    assert add.sentence == (
        "Addition: a check of a grade 1 skill, below your grade: likely known already (88% by "
        "your placement), so a few answers confirm it."
    )
    assert add.rank > max(r.rank for r in placed if r.skill_id in ("sub", "mul"))
    view = StudentView("new", profile, {"geo": 0.3})  # the app's own estimate: not known
    said = [r.sentence for r in AdaptivePolicy(cat).recommend(view, k=5, now=20_000.0)]
    assert (
        "Shapes: a grade 1 skill, below your grade, not known yet (30% as estimated): one to "
        "catch up on." in said
    )
    assert not any("a good next skill to start" in t for t in said)


def test_an_earlier_grades_skill_read_from_the_students_level_quotes_that_reading(model) -> None:
    """A review: a skill never answered that the policy reads from where the student's answers
    on other skills place them (`StudentBatch.level_known`, `features.read_level`) was said with
    the placement's estimate ("88% by your placement") though the level reading drove the
    pick. The sentence now quotes the estimate the policy read, and says where it came from."""
    cat = graded_catalog()
    batch = batch_from_model(
        model, model.init_state(), cat, [LearnerProfile("new", grade=2)], student_ids=["new"]
    )
    level = np.full(batch.mastery.shape, np.nan, dtype=np.float32)
    level[0, list(cat.skill_index).index("add")] = 0.2
    batch.level_known = level
    served = AdaptivePolicy(cat).recommend(batch, k=5, now=20_000.0)
    assert [r.sentence for r in served if r.skill_id == "add"][0] == (
        "Addition: a grade 1 skill, below your grade, not known yet (20% from where your answers "
        "on other skills place you): one to catch up on."
    )


def test_an_earlier_grades_skill_served_for_interest_says_why_that_skill(model) -> None:
    """An operator's trial: a fifth grader was served a grade 2 skill never answered, with
    "it is about music, which interests you" alone, though the report's heatmap showed it 98%
    known (the tracer's placement; the policy read it lower from where the student's answers
    on other skills place them). A sentence led by interest (or another reason that says why
    the activity, not why the skill) now also says why a skill below the grade at all, with the
    estimate the policy read and whence."""
    cat = graded_catalog()
    profile = LearnerProfile("new", grade=2, interests={"art": 1.0})
    batch = batch_from_model(model, model.init_state(), cat, [profile], student_ids=["new"])
    level = np.full(batch.mastery.shape, np.nan, dtype=np.float32)
    level[0, list(cat.skill_index).index("geo")] = 0.7
    batch.level_known = level
    served = AdaptivePolicy(cat).recommend(batch, k=5, now=20_000.0)
    geo = next(r for r in served if r.skill_id == "geo")
    assert max(geo.reasons, key=lambda r: r.contribution).term == "interest", geo.reasons
    # one sentence, the activity named once (a user trial read "Shapes 1: ... Shapes: ...")
    assert geo.sentence == (
        "Shapes 1: it is about art, which interests you; a check of a grade 1 skill, below your "
        "grade: likely known already (70% from where your answers on other skills place you), "
        "so a few answers confirm it."
    ), geo.sentence
    own_grade = [r.sentence for r in served if r.skill_id in ("sub", "mul")]
    assert own_grade and not any("below your grade" in t for t in own_grade)


def test_a_placement_alone_does_not_move_a_student_past_their_grade(model) -> None:
    """A district's trial: a third grader new to the district (no answers) was served a fourth
    grade skill first. The grade placement puts the grade's first skill at 0.7, above the
    prerequisite threshold, and the grade's later skills lower, so the fourth grade skill built
    on that first one looked the most room to learn. Work above the student's grade now waits
    until what it builds on is answered (or known for sure), and the explanation says so; once
    the prerequisite is shown by answers, the skill above the grade opens."""
    skills = (
        Skill("add", "Addition", grade=3),
        Skill("sub", "Subtraction", ("add",), grade=3),
        Skill("mul", "Multiplication", ("sub",), grade=3),
        Skill("div", "Division", ("add",), grade=4),
    )
    acts = tuple(
        Activity(f"{s.id}-{j}", f"{s.name} {j}", (s.id,), difficulty=d)
        for s in skills
        for j, d in enumerate((-1.0, 0.0, 1.0))
    )
    cat = Catalog(skills, acts)
    policy = AdaptivePolicy(cat)
    profiles = [LearnerProfile("new", grade=3)]
    state = model.init_state()
    batch = batch_from_model(model, state, cat, profiles, student_ids=["new"])
    assert batch.mastery[0, 0] >= policy.config.prerequisite_threshold  # placed above it
    served = [r.skill_id for r in policy.recommend(batch, k=4, now="2026-10-02")]
    assert served and "div" not in served
    why = policy.explain(batch, "div-0")
    assert why.status == "blocked"
    assert why.sentence == "Division 0 is blocked: first show Addition with answers."
    answers = [
        Response(
            "new", "add-1", ("add",), 1, pd.Timestamp("2026-10-01T10:00Z") + pd.Timedelta(m, "min")
        )
        for m in range(6)
    ]
    for answer in answers:
        model.update(state, answer)
    shown = batch_from_model(model, state, cat, profiles, log=answers, student_ids=["new"])
    assert "div" in [r.skill_id for r in policy.recommend(shown, k=4, now="2026-10-02")]
    sure = StudentView("sure", LearnerProfile("sure", grade=3), {"add": 0.97})
    assert "div" in [r.skill_id for r in policy.recommend(sure, k=4, now="2026-10-02")]
    # read from where the student's answers on other skills place them: where the answers
    # raised it above the placement, it is their evidence; at or under it, a placement still
    level = np.full(batch.mastery.shape, np.nan)
    for read, opens in ((0.9, True), (0.68, False)):
        level[0, 0] = read
        placed = dataclasses.replace(batch, level_known=level.copy())
        served = [r.skill_id for r in policy.recommend(placed, k=4, now="2026-10-02")]
        assert ("div" in served) == opens, (read, served)
        assert (policy.explain(placed, "div-0").status == "blocked") != opens


def test_a_request_with_a_student_the_profiles_lack_reads_none_of_their_ids(
    model, monkeypatch
) -> None:
    """A review: the hint that an unknown id reads as a profile's ('4501' for '004501') built
    the profiles' ids anew at each request given a list (a pass over the district per request:
    0.3 s at 200,000 profiles); a mapping's were then read at the first such request (0.5 s at
    400,000, a vendor trial) and compared with the mapping's keys at each. A request now
    builds no index of ids, whether the profiles are a mapping or a list: its warning says how
    to check an id (`profile_ids`)."""
    from adaptive.data.codes import KnownIds
    from adaptive.errors import CoverageWarning
    from adaptive.policy import adapter

    built = []

    class Counted(KnownIds):
        def __init__(self, ids) -> None:
            built.append(1)
            super().__init__(ids)

    monkeypatch.setattr(adapter, "KnownIds", Counted)
    cat = graded_catalog()
    profiles = {f"{i:06d}": LearnerProfile(f"{i:06d}", grade=2) for i in range(50)}
    state = model.init_state()
    for given in (profiles, profiles, list(profiles.values())):
        with pytest.warns(CoverageWarning, match="1 requested student has no profile") as said:
            batch_from_model(model, state, cat, given, student_ids=["000001", 7])
        assert any("profile_ids(profiles).reads_as(id)" in str(w.message) for w in said)
    assert built == []
