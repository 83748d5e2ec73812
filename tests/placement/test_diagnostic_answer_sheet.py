"""Finished diagnostic sessions imported from a table of answers (`PlacementDiagnostic.replay`).

The placement office's trial: the diagnostic could be driven only in-process (`diag.run(ids,
answer_fn)` or one session at a time); an office that collects answers in another app or on
paper had no documented format to load them."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from diagnostic_fixtures import grade_of, grades_catalog

from adaptive.curriculum import LearnerProfile
from adaptive.errors import DataValidationError, PlacementWarning
from adaptive.placement import PlacementDiagnostic

IDS = [f"stu{9000000 + i}" for i in range(12)]


def diagnostic(max_questions: int = 6) -> PlacementDiagnostic:
    profiles = [LearnerProfile(s, grade=3 + i % 5) for i, s in enumerate(IDS)]
    return PlacementDiagnostic(grades_catalog(), profiles, max_questions=max_questions)


def live_run(diag: PlacementDiagnostic) -> tuple[object, pd.DataFrame]:
    """A live run whose answers are recorded as an app would write them, one row per answer."""
    level = np.arange(len(IDS)) % 6 + 3
    rng = np.random.default_rng(5)
    recorded: list[tuple[str, str, int]] = []

    def answer_fn(rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
        known = np.array([grade_of(diag.skills[c]) if "." in diag.skills[c] else 0 for c in codes])
        answers = ((known <= level[rows]) ^ (rng.random(len(rows)) < 0.15)).astype(int)
        recorded.extend(
            (IDS[r], diag.skills[c], int(a)) for r, c, a in zip(rows, codes, answers, strict=True)
        )
        return answers

    placement = diag.run(IDS, answer_fn)
    return placement, pd.DataFrame(recorded, columns=["student_id", "question", "correct"])


def test_replaying_a_live_runs_answers_gives_the_identical_placement(tmp_path) -> None:
    """The answers of a live run, written as a `;`-separated CSV in another order with an
    `order` column (and as a frame in the recorded order), place every student exactly as the
    live run did: the same beliefs, the same "placed by diagnostic (n questions)"."""
    diag = diagnostic()
    live, recorded = live_run(diag)
    recorded["order"] = np.arange(len(recorded)) * 10
    shuffled = recorded.sample(frac=1.0, random_state=3)
    path = tmp_path / "answers.csv"
    shuffled.to_csv(path, sep=";", index=False)
    for sheet in (path, recorded.drop(columns="order")):
        with warnings.catch_warnings():
            warnings.simplefilter("error", PlacementWarning)  # finished, the questions it asks
            replayed = diag.replay(sheet)
        order = [replayed.students.index(s) for s in live.students]
        np.testing.assert_array_equal(replayed.mastery[order], live.mastery)
        assert [replayed.sources[i] for i in order] == list(live.sources)


def test_a_sheet_with_its_own_column_names_and_activities_is_read(tmp_path) -> None:
    """`columns=` maps the file's names; a question may be the activity the app showed."""
    diag = diagnostic()
    live, recorded = live_run(diag)
    activity = {s: diag.question(i).activity for i, s in enumerate(diag.skills)}
    recorded["question"] = recorded["question"].map(activity)
    recorded["correct"] = recorded["correct"].map({1: "TRUE", 0: "false"})
    path = tmp_path / "app.csv"
    recorded.set_axis(["Learner", "Item", "Right"], axis=1).to_csv(path, index=False)
    columns = {"student_id": "Learner", "question": "Item", "correct": "Right"}
    replayed = diag.replay(path, columns=columns)
    np.testing.assert_array_equal(replayed.mastery, live.mastery)


def write(tmp_path, text: str) -> str:
    path = tmp_path / "sheet.csv"
    path.write_text(text)
    return str(path)


def test_bad_rows_are_one_error_naming_line_column_and_value_never_the_student(tmp_path) -> None:
    diag = diagnostic()
    s = IDS[0]
    text = (
        "student_id,question,correct,order\n"
        f"{s},g9.XX.1,yes,1\n"
        f"{s},G4.a1,2,x\n"
        f",g4.a2,1,3\n"
        f"{s},g4.a3,1,4\n"
        f"{s},g4.a3,0,5\n"
    )
    with pytest.raises(DataValidationError) as refused:
        diag.replay(write(tmp_path, text))
    message = str(refused.value)
    for said in (
        "line 2, column 'question': got 'g9.XX.1'; expected a skill of the catalog",
        "line 3, column 'question': got 'G4.a1'; expected a skill of the catalog, or an "
        "activity of one skill (did you mean 'g4.a1'?)",
        "line 2, column 'correct': got 'yes'; expected 0 or 1 (or true / false)",
        "line 3, column 'order': got 'x'; expected a number",
        "line 4, column 'student_id': got ''; expected a non-empty id",
    ):
        assert said in message, message
    assert "9000000" not in message
    twice = f"student_id,question,correct\n{s},g4.a1,1\n{s},g4.a1,0\n"
    with pytest.raises(
        DataValidationError,
        match="line 3, column 'question': got 'g4.a1'; "
        r"expected each question once per student \(line 2 has the same",
    ):
        diag.replay(write(tmp_path, twice))
    same_order = f"student_id,question,correct,order\n{s},g4.a1,1,1\n{s},g4.a2,0,1\n"
    with pytest.raises(
        DataValidationError,
        match=r"line 3, column 'order'; expected one answer "
        r"of the student per order \(line 2 has the same student and order\)",
    ):
        diag.replay(write(tmp_path, same_order))


def test_answers_as_words_or_scores_are_read_with_the_log_readers_options(tmp_path) -> None:
    """An export writing Yes/No or a 0-100 score got a bare "expected 1 (correct) or 0
    (wrong)", with no way to read it; the log reader reads such columns (`correct_values` /
    `incorrect_values`, `correct_threshold`) and now reads the answer sheet's the same way,
    with the same hints."""
    diag = diagnostic()
    live, recorded = live_run(diag)
    words = recorded.assign(correct=recorded["correct"].map({1: "Yes", 0: "no"}))
    with pytest.raises(DataValidationError, match="say which words are right and which wrong"):
        diag.replay(words)
    replayed = diag.replay(words, correct_values="yes", incorrect_values=["No"])
    np.testing.assert_array_equal(replayed.mastery, live.mastery)
    path = tmp_path / "scores.csv"
    recorded.assign(correct=recorded["correct"] * 100).to_csv(path, index=False)
    with pytest.raises(DataValidationError, match=r"got '100'; .*--correct-threshold T"):
        diag.replay(path)
    replayed = diag.replay(path, correct_threshold=50)
    np.testing.assert_array_equal(replayed.mastery, live.mastery)


def test_an_order_that_cannot_order_a_students_answers_says_what_to_do(tmp_path) -> None:
    """An `order` of dates only (every answer of a student on one day), or the 0/1 answers'
    column given as the order, was refused row by row as "one answer of the student per
    order", with no word that the column cannot order them."""
    diag = diagnostic()
    _, recorded = live_run(diag)
    path = tmp_path / "answers.csv"
    recorded.assign(order="2026-09-01").to_csv(path, index=False)
    with pytest.raises(
        DataValidationError,
        match=r"line \d+, column 'order'; expected one answer of the student per order \(line "
        r"\d+ has the same student and order\); all of the student's answers have this order \(a "
        r"date without a time\?\): drop the order column to use the file's order",
    ):
        diag.replay(path)
    recorded.to_csv(path, index=False)
    with pytest.raises(
        DataValidationError, match=r"the order column holds only 0 and 1, as answers do"
    ):
        diag.replay(path, columns={"order": "correct"})


def test_too_many_answers_or_a_student_outside_the_prior_name_the_line(tmp_path) -> None:
    diag = diagnostic(max_questions=2)
    s = IDS[0]
    text = (
        f"student_id,question,correct\n{s},g4.a1,1\n{s},g4.a2,1\n{s},g4.a3,1\nstu7777777,g4.a1,1\n"
    )
    with pytest.raises(DataValidationError) as refused:
        diag.replay(write(tmp_path, text))
    message = str(refused.value)
    assert "line 4, column 'question': got 'g4.a3'; expected at most 2 answers per student" in (
        message
    )
    assert "line 5, column 'student_id'; expected a student of the diagnostic's prior" in message
    assert "7777777" not in message and "9000000" not in message


def test_answers_to_other_questions_are_absorbed_and_said_or_refused_with_strict(tmp_path) -> None:
    """A paper test of fixed questions: its answers are evidence (as `resume` absorbs them),
    and a warning gives their lines; `strict=True` refuses them, naming each line and the
    question this diagnostic asks there (which the error named nowhere)."""
    diag = diagnostic(max_questions=2)
    s = IDS[0]
    first = diag.start(s).next_question()
    assert first is not None
    other = next(k for k in diag.skills if k != first.skill)
    text = f"student_id,question,correct\n{s},{first.skill},1\n{s},{other},1\n"
    path = write(tmp_path, text)
    with pytest.warns(
        PlacementWarning,
        match=r"1 of 2 answers are not the questions this "
        r"diagnostic asks there \(line 3\): absorbed as evidence",
    ) as said:
        placed = diag.replay(path)
    assert all("9000000" not in str(w.message) for w in said)
    assert placed.sources == ("placed by diagnostic (2 questions)",)
    with pytest.warns(PlacementWarning):  # the same as resuming those answers
        resumed = diag.resume(s, [(first.skill, 1), (other, 1)])
    np.testing.assert_array_equal(placed.mastery, resumed.placement().mastery)
    asked = diag.resume(s, [(first.skill, 1)]).next_question()
    assert asked is not None and asked.skill != other
    with pytest.raises(
        DataValidationError,
        match=f"line 3, column 'question': got '{other}'; "
        f"expected '{asked.skill}', the question this diagnostic asks there",
    ):
        diag.replay(path, strict=True)


def test_unfinished_sessions_are_placed_from_their_answers_and_counted(tmp_path) -> None:
    diag = diagnostic(max_questions=3)
    s = IDS[0]
    first = diag.start(s).next_question()
    assert first is not None
    path = write(tmp_path, f"student_id,question,correct\n{s},{first.skill},1\n")
    with pytest.warns(
        PlacementWarning,
        match=r"1 student answered fewer than 3 questions "
        r"\(their first answers: line 2\)",
    ):
        placed = diag.replay(path)
    assert placed.sources == ("placed by diagnostic (1 question)",)


def test_a_frame_whose_labels_repeat_or_are_ids_is_named_by_row_position() -> None:
    """A frame's rows were named by label only: two concatenated sheets both said "row label
    0", and a sheet indexed by student id put the ids in every error and warning."""
    diag = diagnostic(max_questions=3)
    a, b = IDS[0], IDS[1]
    one = pd.DataFrame({"student_id": [a], "question": ["g4.a1"], "correct": ["yes"]})
    two = pd.DataFrame({"student_id": [b], "question": ["g4.a1"], "correct": ["maybe"]})
    with pytest.raises(DataValidationError) as refused:
        diag.replay(pd.concat([one, two]))
    assert [str(p) for p in refused.value.problems] == [
        "<frame>, row position 0, column 'correct': got 'yes'; expected 0 or 1 (or true / "
        "false); the column writes its answers as 'maybe', 'yes': say which words are right "
        "and which wrong with correct_values (--correct-values) and incorrect_values "
        "(--incorrect-values)",
        "<frame>, row position 1, column 'correct': got 'maybe'; expected 0 or 1 (or true / "
        "false); the column writes its answers as 'maybe', 'yes': say which words are right "
        "and which wrong with correct_values (--correct-values) and incorrect_values "
        "(--incorrect-values)",
    ]
    by_id = pd.concat([one, two]).set_index("student_id", drop=False)
    with pytest.raises(DataValidationError) as refused:
        diag.replay(by_id)
    message = str(refused.value)
    assert "row position 0, column 'correct'" in message and "9000000" not in message
    first = diag.start(a).next_question()
    assert first is not None
    sheet = pd.DataFrame({"student_id": [a], "question": [first.skill], "correct": [1]})
    with pytest.warns(PlacementWarning, match=r"their first answers: row position 0\)") as said:
        diag.replay(sheet.set_index("student_id", drop=False))
    assert all("9000000" not in str(w.message) for w in said)


def test_a_nullable_boolean_answer_with_a_blank_is_a_problem_at_its_row() -> None:
    """A `correct` column of pandas' nullable booleans (what `convert_dtypes()` gives) with a
    blank raised a bare ValueError ("cannot convert to 'int8'-dtype NumPy array")."""
    diag = diagnostic(max_questions=3)
    sheet = pd.DataFrame(
        {
            "student_id": [IDS[0], IDS[0]],
            "question": ["g4.a1", "g4.a2"],
            "correct": pd.array([True, None], dtype="boolean"),
        }
    )
    with pytest.raises(DataValidationError) as refused:
        diag.replay(sheet)
    assert [str(p) for p in refused.value.problems] == [
        "<frame>, row label 1, column 'correct': got ''; expected 0 or 1"
    ]
    with pytest.warns(PlacementWarning):  # filled, it is read as booleans
        placed = diag.replay(sheet.assign(correct=sheet["correct"].fillna(False)))
    assert placed.sources == ("placed by diagnostic (2 questions)",)


def test_students_the_diagnostic_cannot_replay_are_listed_in_row_order() -> None:
    """The problems were sorted as text, "row label 10" before "row label 2", so the first 20
    listed were not the first 20 rows."""
    diag = diagnostic()
    strangers = [f"stu{7000000 + i}" for i in range(12)]
    sheet = pd.DataFrame({"student_id": strangers, "question": "g4.a1", "correct": 1})
    with pytest.raises(DataValidationError) as refused:
        diag.replay(sheet)
    assert [p.row for p in refused.value.problems] == [f"row label {i}" for i in range(12)]


def test_an_answer_sheet_without_answers_is_refused(tmp_path) -> None:
    """A header-only sheet (an export with a filter left on) replayed into a placement of 0
    students without a word; its saved table was then refused by `validate --placement`."""
    from adaptive.errors import ConfigError

    empty = write(tmp_path, "student_id,question,correct\n")
    with pytest.raises(ConfigError, match="the answer sheet has no answers .a header only."):
        diagnostic().replay(empty)


def test_a_sheet_refused_for_its_columns_is_read_as_a_placement_table_is(tmp_path) -> None:
    """Review #10: the answer-sheet reader had its own copy of the table plumbing, without the
    placement reader's "looks like" hints: a placement table given to replay, or JSON lines of
    profiles (whose first line, a student's profile, was quoted as the header)."""
    diag = diagnostic()
    placed = tmp_path / "placed.csv"
    placed.write_text("student_id,skill_id,mastery\ns1,g3.a1,0.5\n")
    with pytest.raises(DataValidationError) as caught:
        diag.replay(placed)
    said = str(caught.value)
    assert f"{placed}, line 1; expected a column of the answer sheet for each of " in said
    assert "for other column names pass columns= (PlacementDiagnostic.replay(" in said
    assert said.endswith(
        f"{placed}: this looks like a placement table (student_id, skill_id, mastery): give it "
        "as --placement (read_placement)"
    )
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text('{"student_id": "stu0000042", "grade": 4}\n')
    with pytest.raises(DataValidationError) as caught:
        diag.replay(profiles)
    assert "stu0000042" not in str(caught.value)
    assert "give it as --profiles" in str(caught.value)
    typo = tmp_path / "typo.parquet"
    pd.DataFrame({"student_id": ["s1"], "Question": ["g3.a1"], "correct": [1]}).to_parquet(typo)
    with pytest.raises(DataValidationError, match=r"did you mean 'Question'\? \(columns="):
        diag.replay(typo)
