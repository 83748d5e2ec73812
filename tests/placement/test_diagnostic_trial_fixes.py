"""Defects a user trial of the placement diagnostic found: a student ahead of their grade was never
located, a session shared by concurrent requests absorbed one answer twice, a retried answer
landed on a question the student never saw, a session could not be saved and resumed, and a
session without answers claimed the diagnostic placed the student."""

from __future__ import annotations

import json
import pickle
import re
import sys
import threading

import numpy as np
import pytest
from diagnostic_fixtures import grade_of, grades_catalog

from adaptive.curriculum import LearnerProfile
from adaptive.errors import ConfigError
from adaptive.placement import DiagnosticError, Placement, PlacementDiagnostic, Question
from adaptive.placement.diagnostic import batch_positions


def answered_all(diag: PlacementDiagnostic, answer, student: str = "kid"):
    session = diag.start(student)
    while (q := session.next_question()) is not None:
        session.answer(answer(q.skill))
    return session


# -- 1. a student ahead of their grade ---------------------------------------------------------


def test_a_student_far_ahead_is_located_by_correct_answers() -> None:
    """A third grader who answers everything right: the questions climb the sequence, the skills
    answered right end high, and with enough answers every grade up to the eighth is placed
    known (the level model's grid stopped three grades up, and a skill beyond it answered right
    stayed at the noise floor)."""
    catalog = grades_catalog()
    profile = [LearnerProfile("kid", grade=3)]
    session = answered_all(PlacementDiagnostic(catalog, profile, max_questions=15), lambda s: 1)
    asked = [grade_of(q.skill) for q, _ in session.answers]
    assert np.mean(asked[-5:]) > np.mean(asked[:5]) + 1.0, asked
    assert max(asked) >= 5, asked
    assert min(session.beliefs[q.skill] for q, _ in session.answers) > 0.5
    long = answered_all(PlacementDiagnostic(catalog, profile, max_questions=40), lambda s: 1)
    assert max(grade_of(q.skill) for q, _ in long.answers) == 8
    graded = long.beliefs.drop("free")
    assert graded.min() > 0.8, graded.sort_values().head()


def test_a_student_who_answers_everything_right_is_placed_as_knowing_the_catalog() -> None:
    """A grade-12 student on a grade 3-8 catalog (and a seventh grader) who answered every
    question right was placed at a flat 0.9 (the level model's 1 - noise for every skill behind
    the student's point), below the policy's `assumed_known` (0.95), and served grade-3 work.
    Skills a whole grade or more behind the point are now known with fewer gaps."""
    from adaptive.policy.config import PolicyConfig

    assumed_known = PolicyConfig().assumed_known
    catalog = grades_catalog()
    for grade, below in ((12, 9), (7, 6)):
        diag = PlacementDiagnostic(catalog, [LearnerProfile("kid", grade=grade)], max_questions=15)
        beliefs = answered_all(diag, lambda s: 1).beliefs.drop("free")
        supported = beliefs[[grade_of(s) < below for s in beliefs.index]]
        assert supported.min() >= assumed_known, (grade, supported.sort_values().head())


def test_a_correct_answer_far_beyond_the_grade_moves_the_student() -> None:
    """One correct answer on an eighth-grade skill (asked whatever the choice) raises the chance
    that a third grader stands beyond it, and beyond the skills before it: their point could not
    reach it before, so it stayed at the noise floor. (One answer moves them by little: a guess
    explains it as well, 30% of the time; several in a row place the student there, as above.)"""
    catalog = grades_catalog()
    diag = PlacementDiagnostic(catalog, [LearnerProfile("kid", grade=3)])
    batch = diag.start_batch(["kid"])
    before = batch.beliefs[0].copy()
    code = diag.skills.index("g8.a2")
    batch._pending = (np.array([0]), np.array([code]))
    batch.answer([1])
    floor = diag.level.noise  # P(known) when the student surely stands before the skill
    for skill in ("g8.a2", "g8.a1", "g7.b3"):
        i = diag.skills.index(skill)
        assert batch.beliefs[0, i] - floor > 1.5 * (before[i] - floor) > 0.0, skill


def test_a_student_at_their_grade_is_not_placed_ahead() -> None:
    """The typical student (right up to their grade, wrong beyond) stays placed at their grade:
    the later grades end unlikely known."""
    catalog = grades_catalog()
    diag = PlacementDiagnostic(catalog, [LearnerProfile("kid", grade=3)], max_questions=15)
    session = answered_all(diag, lambda s: int(grade_of(s) <= 3))
    beliefs = session.beliefs.drop("free")
    later = beliefs[[grade_of(s) >= 5 for s in beliefs.index]]
    own = beliefs[[grade_of(s) == 3 for s in beliefs.index]]
    assert later.max() < 0.15 and own.mean() > 0.6


# -- 2. concurrent answers to one pending question ---------------------------------------------


def answer_at_once(session, value: int, barrier: threading.Barrier, errors: list) -> None:
    """One of several requests answering the same question at the same moment."""
    barrier.wait()
    try:
        session.answer(value)
    except DiagnosticError as error:
        errors.append(error)


def test_concurrent_answers_to_one_question_absorb_exactly_one() -> None:
    """Eight threads answer one pending question at once: one answer is absorbed, the other
    seven get the diagnostic's error (no pending question), in every one of many runs."""
    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=4)])
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often: a race shows in a few runs
    try:
        for _ in range(60):
            one_question_answered_at_once(diag)
    finally:
        sys.setswitchinterval(switch)


def one_question_answered_at_once(diag: PlacementDiagnostic) -> None:
    """Eight threads answer one session's pending question at the same moment."""
    session = diag.start("kid")
    session.next_question()
    barrier = threading.Barrier(8)
    errors: list[DiagnosticError] = []
    threads = [
        threading.Thread(target=answer_at_once, args=(session, i % 2, barrier, errors))
        for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert session.n_answered == 1 and len(session.answers) == 1
    assert len(errors) == 7 and all("no question is pending" in str(e) for e in errors)


# -- 3. an answer names the question it answers -------------------------------------------------


def test_a_retried_answer_naming_its_question_is_refused_not_moved_on() -> None:
    """An app's handler (answer, then next question) and one browser retry: with `question=`
    the retry is refused with both ids named, and nothing is recorded on the question the
    student never saw."""
    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=4)])
    session = diag.start("kid")
    shown = session.next_question()
    assert shown is not None

    def post_answer(correct: int, skill: str) -> Question | None:
        session.answer(correct, question=skill)
        return session.next_question()

    following = post_answer(0, shown.skill)
    assert following is not None and following.skill != shown.skill
    with pytest.raises(DiagnosticError) as refused:
        post_answer(0, shown.skill)  # the retry
    assert shown.skill in str(refused.value) and following.skill in str(refused.value)
    assert [(q.skill, a) for q, a in session.answers] == [(shown.skill, 0)]
    # the pending question still takes its answer, named by skill, activity or Question
    session.answer(1, question=following)
    nxt = session.next_question()
    assert nxt is not None
    session.answer(1, question=nxt.activity)
    assert session.n_answered == 3


def test_an_answer_naming_a_question_when_none_is_pending_says_so() -> None:
    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=4)])
    session = diag.start("kid")
    shown = session.next_question()
    assert shown is not None
    session.answer(1, question=shown.skill)
    with pytest.raises(DiagnosticError, match=f"{shown.skill}.*already answered"):
        session.answer(1, question=shown.skill)  # a retry before the next question was asked
    assert session.n_answered == 1


# -- 4. saving and resuming a session ----------------------------------------------------------


@pytest.mark.parametrize("model", ["auto", "graph"])
def test_a_session_saved_as_json_resumes_exactly(model: str) -> None:
    """`session.to_dict()` is plain JSON data; `diag.resume(**data)` (after an app restart) asks
    the same next question and places the student the same, now and after more answers."""
    diag = PlacementDiagnostic(
        grades_catalog(), [LearnerProfile("kid", grade=4)], max_questions=8, model=model
    )
    answer = lambda skill: int(grade_of(skill) <= 4 and not skill.endswith("4"))  # noqa: E731
    session = diag.start("kid")
    for _ in range(4):
        q = session.next_question()
        assert q is not None
        session.answer(answer(q.skill))
    saved = json.dumps(session.to_dict())
    resumed = diag.resume(**json.loads(saved))
    assert resumed.student_id == "kid" and resumed.answers == session.answers
    assert resumed.next_question() == session.next_question()
    np.testing.assert_array_equal(resumed.placement().mastery, session.placement().mastery)
    for s in (session, resumed):
        while (q := s.next_question()) is not None:
            s.answer(answer(q.skill))
    assert resumed.answers == session.answers
    np.testing.assert_array_equal(resumed.placement().mastery, session.placement().mastery)
    assert resumed.placement().sources == session.placement().sources


def test_a_session_still_pickles_with_its_lock() -> None:
    """The lock that makes a session safe between threads does not stop it pickling (a copy
    gets its own lock and goes on as the original)."""
    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=4)])
    session = diag.start("kid")
    assert session.next_question() is not None
    session.answer(1)
    copy = pickle.loads(pickle.dumps(session))
    assert copy.answers == session.answers and copy.next_question() == session.next_question()
    copy.answer(0)
    assert copy.n_answered == 2 and session.n_answered == 1


def test_resuming_from_bad_saved_answers_is_one_clear_error() -> None:
    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=4)], max_questions=2)
    resumed = diag.resume("kid", [(Question("g4.a1", None), 1), ("g4.a2", False)])
    assert resumed.n_answered == 2 and resumed.done
    with pytest.raises(DiagnosticError, match="unknown skill 'nope'"):
        diag.resume("kid", [{"skill": "nope", "correct": 1}])
    with pytest.raises(DiagnosticError, match="'g4.a1' is answered twice"):
        diag.resume("kid", [("g4.a1", 1), ("g4.a1", 0)])
    with pytest.raises(DiagnosticError, match="3 answers.*at most 2"):
        diag.resume("kid", [("g4.a1", 1), ("g4.a2", 1), ("g4.a3", 1)])
    with pytest.raises(DiagnosticError, match="expected 0 \\(wrong\\) or 1"):
        diag.resume("kid", [("g4.a1", 2)])
    with pytest.raises(DiagnosticError, match="expected a \\(skill, 0/1\\) pair"):
        diag.resume("kid", ["g4.a1"])


# -- 5. a placement without answers keeps the prior's source ----------------------------------


def test_a_placement_without_answers_keeps_the_priors_source() -> None:
    catalog = grades_catalog()
    skills = tuple(s.id for s in catalog.skills)
    records = Placement(("kid",), skills, np.full((1, len(skills)), 0.6), ("placed from records",))
    diag = PlacementDiagnostic(catalog, records)
    session = diag.start("kid")
    assert session.placement().sources == ("placed from records",)
    q = session.next_question()
    assert q is not None
    session.answer(1)
    assert session.placement().sources == ("placed by diagnostic (1 question)",)
    by_grade = PlacementDiagnostic(catalog, [LearnerProfile("kid", grade=4)])
    assert by_grade.start("kid").placement().sources == ("placed from grade 4",)
    none = PlacementDiagnostic(catalog).run(["a", "b"], lambda r, c: np.ones(len(r)), 0)
    assert none.sources == ("population prior", "population prior")


def test_one_answer_is_one_question_in_the_source() -> None:
    """ "placed by diagnostic (1 questions)" read wrong in a teacher's reason."""
    from adaptive.curriculum import Catalog, LearnerProfile, Skill
    from adaptive.placement import PlacementDiagnostic

    cat = Catalog(tuple(Skill(f"s{i}", grade=3) for i in range(4)))
    session = PlacementDiagnostic(cat, prior=[LearnerProfile("x", grade=3)]).start("x")
    session.answer(1, question=session.next_question().skill)
    assert session.placement().sources == ("placed by diagnostic (1 question)",)


def test_resumed_answers_this_diagnostic_would_not_ask_are_said_and_ids_are_trimmed() -> None:
    """The vendor trial of stop 39: another student's saved answers, or a session resumed into a
    diagnostic built otherwise, were replayed without a word; `answer(question=" g7.G.1 ")` was
    refused for its spaces; a saved answer without its "skill" key named skill 'None'."""
    import warnings

    from adaptive.errors import PlacementWarning

    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=4)], max_questions=3)
    session = diag.start("kid")
    session.answer(1, question=f"  {session.next_question().skill} ")  # spaces: trimmed
    session.answer(0, question=session.next_question().skill)
    with warnings.catch_warnings():  # its own answers: replayed without a word
        warnings.simplefilter("error", PlacementWarning)
        same = diag.resume(**session.to_dict())
    assert same.next_question() == session.next_question()
    asked = {a[0].skill for a in session.answers}
    other = next(s.id for s in grades_catalog().skills if s.id not in asked)
    with pytest.warns(PlacementWarning, match="1 of 1 saved answers are not the questions"):
        diag.resume("kid", [(other, 1)])
    with pytest.raises(DiagnosticError, match="has no key 'skill'"):
        diag.resume("kid", [{"skil": other, "correct": 1}])


# -- 6. no student id in the diagnostic's errors and warnings (placement office trial) -------

SECRET = "stu9000001"  # an id that must never reach a message


def refused_uses(diag: PlacementDiagnostic) -> list:
    """Every misuse of a session, a resume or a batch that the diagnostic refuses, each a
    call that raises a `DiagnosticError` (a student the prior holds is `SECRET`)."""
    done = diag.start(SECRET)
    while (q := done.next_question()) is not None:
        done.answer(1, question=q.skill)
    fresh = diag.start(SECRET)
    pending = fresh.next_question()
    assert pending is not None
    other = next(s for s in diag.skills if s != pending.skill)
    saved = {"student_id": SECRET, "answers": [{"skill": other, "correct": 1}]}
    return [
        lambda: done.answer(1),
        lambda: diag.start(SECRET).answer(1),
        lambda: fresh.answer("yes", question=pending.skill),
        lambda: fresh.answer(1, question=other),
        lambda: fresh.answer(1, question="g9.XX.1"),
        lambda: diag.start("stu7777777"),
        lambda: diag.start("stu9000002", prior=LearnerProfile(SECRET, grade=4)),
        lambda: diag.start_batch([SECRET, "stu7777777"]),
        lambda: diag.start_batch([SECRET, SECRET]),
        lambda: diag.resume(SECRET, [{"skill": "nope", "correct": 1}]),
        lambda: diag.resume(SECRET, [(other, 1), (other, 0)]),
        lambda: diag.resume(SECRET, [(other, 2)]),
        lambda: diag.resume(SECRET, ["g4.a1"]),
        lambda: diag.resume(SECRET, [{"skil": other, "correct": 1}]),
        lambda: diag.resume(**saved, finished=False),
        lambda: diag.resume(SECRET, [], prior={"mastery": [0.5], "skills": 3}),
        lambda: PlacementDiagnostic(grades_catalog(), model="level").start_batch([SECRET]),
    ]


def test_no_diagnostic_error_or_warning_names_the_student() -> None:
    """The placement office's trial: every `DiagnosticError` named the student ("student
    'stu9000001': the diagnostic is finished", "unknown student(s) ['stu7777777']",
    "start('stu9000002') with the profile of 'stu9000001'"), and so did resume's warning; an
    app that logs exceptions wrote the ids to its logs. Now they name the question, the count,
    the position in the batch or the saved answer instead."""
    import warnings

    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile(SECRET, grade=4)], max_questions=3)
    for use in refused_uses(diag):
        with pytest.raises(DiagnosticError) as refused:
            use()
        message = str(refused.value)
        assert not any(n in message for n in ("9000001", "9000002", "7777777")), message
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        diag.resume(SECRET, [(diag.skills[-1], 1)])  # not what it asks first: a warning
    assert caught and all("9000001" not in str(w.message) for w in caught)


def test_refusals_stay_precise_without_the_id() -> None:
    """Without the id, each error still says which one: the position in the batch, the
    saved answer, the count."""
    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("a", grade=4)], max_questions=3)
    with pytest.raises(DiagnosticError, match="the 3rd is the 1st again"):
        diag.start_batch(["a", "b", "a"])
    with pytest.raises(
        DiagnosticError,
        match=r"2 students of the batch are not in the prior "
        r"placement \(the 2nd and 3rd of 3 students; it covers 1 student\)",
    ):
        diag.start_batch(["a", "b", "c"])
    with pytest.raises(DiagnosticError, match="student is not in the prior placement.*prior="):
        diag.start("b")
    with pytest.raises(
        DiagnosticError,
        match="saved answer 2: skill 'g4.a1' is answered twice "
        r"in the saved answers \(first in saved answer 1\)",
    ):
        diag.resume("a", [("g4.a1", 1), ("g4.a1", 0)])
    with pytest.raises(
        DiagnosticError,
        match=r"saved answer 1 names unknown skill 'g4.A1' "
        r"\(did you mean 'g4.a1'\?\)",
    ):
        diag.resume("a", [("g4.A1", 1)])
    assert [batch_positions(p) for p in ([3], [1, 4, 8], range(12))] == [
        "the 4th",
        "the 2nd, 5th and 9th",
        "the 1st, 2nd, 3rd, 4th, 5th and 7 more",
    ]


# -- 7. wording: a question outside the catalog, a saved session's keys ----------------------


def test_an_answer_to_a_question_outside_the_catalog_says_so() -> None:
    """`answer(1, question="g9.XX.1")` said only that the pending question differs; a question
    that is no skill or activity of the catalog is said to be one, with the likely id."""
    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=4)])
    session = diag.start("kid")
    pending = session.next_question()
    assert pending is not None
    with pytest.raises(
        DiagnosticError,
        match=r"'g9.XX.1' \(no skill or activity of the catalog\), but the pending question is",
    ):
        session.answer(1, question="g9.XX.1")
    typo = pending.skill.upper()
    with pytest.raises(DiagnosticError, match=f"did you mean '{pending.skill}'"):
        session.answer(1, question=typo)
    other = next(s for s in diag.skills if s != pending.skill)  # in the catalog: no such note
    with pytest.raises(DiagnosticError) as refused:
        session.answer(1, question=other)
    assert "catalog" not in str(refused.value)
    assert session.n_answered == 0


def test_resume_with_keys_no_saved_session_has_names_them() -> None:
    """`resume(**{..., "finished": False})` was Python's own "unexpected keyword argument", and
    a missing "answers" its "missing 1 required positional argument"."""
    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=4)])
    data = diag.start("kid").to_dict()
    with pytest.raises(
        DiagnosticError,
        match="unknown key 'finished'; a saved session "
        r"\(session.to_dict\(\)\) has the keys student_id, answers",
    ):
        diag.resume(**data, finished=False)
    with pytest.raises(
        DiagnosticError,
        match=r"unknown key 'answer' \(did you mean 'answers'\?\); "
        "missing key 'answers'",
    ):
        diag.resume(student_id="kid", answer=[])
    assert diag.resume(**data).n_answered == 0


def test_answer_says_whether_the_diagnostic_is_finished() -> None:
    """A vendor's trial: the README said "after the last question `session.answer` says the
    diagnostic is finished", but `answer()` returned None (the app had to ask
    `next_question()` again). It returns `done`: False until the last answer, then True, also
    for a session saved as JSON and resumed between requests."""
    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=5)], max_questions=4)
    saved = json.dumps(diag.start("kid").to_dict())
    said = []
    while True:
        session = diag.resume(**json.loads(saved))
        q = session.next_question()
        if q is None:
            break
        said.append(session.answer(len(said) % 2, question=q.skill))
        assert said[-1] is session.done
        saved = json.dumps(session.to_dict())
    assert said == [False, False, False, True]
    with pytest.raises(DiagnosticError, match="the diagnostic is finished"):
        session.answer(1)


def test_a_mistyped_question_is_one_clean_sentence() -> None:
    """`answer(1, question="countng")` read "...; did you mean 'counting'?, but the pending
    question is ...": the hint broke the sentence. The note is now a parenthesis."""
    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=4)])
    session = diag.start("kid")
    pending = session.next_question()
    assert pending is not None
    typo = pending.skill[:-1]
    with pytest.raises(DiagnosticError) as refused:
        session.answer(1, question=typo)
    text = re.escape(f"answer given for question {typo!r} (no skill or activity of the catalog")
    pending_is = re.escape(f"?), but the pending question is {pending.skill!r}")
    assert re.fullmatch(
        f"{text}: did you mean '[^']+'{pending_is}; nothing was recorded", str(refused.value)
    )


# -- stop 68's trial: an app developer's placement ----------------------------------------------


def test_an_answer_as_text_is_refused_as_text() -> None:
    """A form's "1" was refused with "answer '1'; expected 0 (wrong) or 1 (correct)": a
    riddle. The error says the value is text and how to give it."""
    session = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=4)]).start("kid")
    session.next_question()
    with pytest.raises(
        DiagnosticError,
        match=r"answer '1' is text; expected 0 \(wrong\) or 1 \(correct\) as a number",
    ):
        session.answer("1")
    batch = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=4)]).start_batch(
        ["kid"]
    )
    batch.next_questions()
    with pytest.raises(DiagnosticError, match=r"answers \['1'\] are text"):
        batch.answer(["1"])


def test_more_questions_than_the_diagnostic_asks_is_refused() -> None:
    """`run(n_questions=10)` of a 4-question diagnostic asked 4 without a word."""
    diag = PlacementDiagnostic(grades_catalog(), [LearnerProfile("kid", grade=4)], max_questions=4)
    with pytest.raises(ConfigError, match="n_questions 10: expected 0 to this diagnostic's"):
        diag.run(["kid"], lambda rows, codes: np.zeros(len(rows), np.int8), n_questions=10)
    placed = diag.run(["kid"], lambda rows, codes: np.zeros(len(rows), np.int8), n_questions=4)
    assert placed.sources == ("placed by diagnostic (4 questions)",)
