"""The held-out students: chosen by the student, not by how an export spells the id."""

from __future__ import annotations

import numpy as np
import pandas as pd
from mlflow import MlflowClient

from adaptive.data.log import ResponseLog
from adaptive.registry import promote, train_model
from adaptive.registry.holdout import (
    RULE_TAG,
    TEXT_RULE,
    holdout_mask,
    split_holdout,
    student_key,
)

STUDENT_PREFIX = "pupil-zq"  # conftest's synthetic log names its students so


def respelt(log: ResponseLog, spell) -> ResponseLog:
    """`log` with each student id `pupil-zqNNNNN` written `spell(NNNNN)`."""
    frame = log.frame.copy()
    number = frame["student_id"].str.removeprefix(STUDENT_PREFIX).astype(int)
    frame["student_id"] = number.map(spell)
    return ResponseLog.from_frame(frame)


def test_an_id_is_read_as_the_student_it_names():
    ids = ["931", "000931", " 931 ", "0", "000", "F48F709C-49A2", "stu0000001"]
    assert list(student_key(ids)) == ["931", "931", "931", "0", "0", "f48f709c-49a2", "stu0000001"]


def test_numeric_ids_in_training_and_zero_padded_in_promotion_hold_out_the_same_students(
    make_log,
):
    """The trial's case: September's export writes ids as numbers ('931'), October's pads them
    to six digits ('000931'): the same students are held out, so none that a model trained on
    in September is among October's held-out students."""
    september = respelt(make_log(n_students=600, n_per_student=3), str)
    october = respelt(make_log(n_students=600, n_per_student=3, seed=1), "{:06d}".format)
    trained, _ = split_holdout(september)
    _, held = split_holdout(october)
    trained_students = set(trained.students.astype(int))
    held_students = set(held.students.astype(int))
    assert 60 < len(held_students) < 200
    assert not trained_students & held_students
    assert held_students == set(range(600)) - trained_students
    # the text of the id, the rule before: most of October's held-out students trained on
    by_text = holdout_mask(october.students, rule=TEXT_RULE)
    assert len(set(october.students[by_text].astype(int)) & trained_students) > 60


def test_an_id_already_in_the_keys_form_keeps_its_split():
    """Versions trained before the student key keep their split where the ids are numbers
    without padding, lower-case UUIDs or names like 'stu0000001'."""
    ids = pd.Index([str(i) for i in range(2000)] + [f"stu{i:07d}" for i in range(2000)])
    assert np.array_equal(holdout_mask(ids), holdout_mask(ids, rule=TEXT_RULE))


def test_a_version_trained_before_the_student_key_is_compared_on_students_neither_saw(
    make_log, sqlite_uri
):
    """A version without the rule's tag excluded students by their id's text: on zero-padded
    ids it is scored only on the students both rules hold out, and the decision says so."""
    numeric = respelt(make_log(n_students=400), str)
    padded = respelt(make_log(n_students=400), "{:06d}".format)
    name = "holdout-rules"
    first = train_model("irt", numeric, registered_name=name, folds=2, tracking_uri=sqlite_uri)
    client = MlflowClient(tracking_uri=sqlite_uri, registry_uri=sqlite_uri)
    assert client.get_model_version(name, first.version).tags[RULE_TAG] == "student-key"
    on_numbers = promote(name, first.version, numeric, tracking_uri=sqlite_uri)
    on_padded = promote(name, first.version, padded, tracking_uri=sqlite_uri)
    assert on_numbers.holdout_note is None and on_padded.holdout_note is None
    assert on_padded.candidate["n_responses"] == on_numbers.candidate["n_responses"]

    client.delete_model_version_tag(name, first.version, RULE_TAG)  # as trained before it
    second = train_model("irt", numeric, registered_name=name, folds=2, tracking_uri=sqlite_uri)
    client.delete_model_version_tag(name, second.version, RULE_TAG)
    usual = promote(name, second.version, numeric, tracking_uri=sqlite_uri)
    assert usual.holdout_note is None  # the rules agree on numbers without padding
    both = promote(name, second.version, padded, tracking_uri=sqlite_uri)
    assert "v2 and v1 of 'holdout-rules' were trained before" in both.holdout_note
    assert "retrain v2 and v1" in both.holdout_note
    by_key = holdout_mask(padded.students)
    by_text = holdout_mask(padded.students, rule=TEXT_RULE)
    expected = int(np.isin(padded.student, np.flatnonzero(by_key & by_text)).sum())
    assert both.candidate["n_responses"] == expected < on_padded.candidate["n_responses"]
    run = client.get_run(both.run_id)
    assert run.data.params["holdout_rules"] == "student-key+id-text"


def test_a_holdout_fraction_above_the_trainings_is_refused(sqlite_uri, small_log):
    """A data scientist's trial: `promote(holdout_fraction=...)` was not checked against the
    fraction the version was trained with. Students are held out where their id hashes below
    the fraction, so a larger one scored the model on students it was trained on; a smaller
    one is a subset of its held-out students and is compared on as asked."""
    import pytest

    from adaptive.errors import ConfigError

    first = train_model(
        "irt", small_log, registered_name="frac", folds=2, tracking_uri=sqlite_uri,
        holdout_fraction=0.3,
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r"holding out 30%.*holdout_fraction=0.3 or less"):
        promote("frac", first.version, small_log, holdout_fraction=0.5, tracking_uri=sqlite_uri)
    decision = promote(
        "frac", first.version, small_log, holdout_fraction=0.2, tracking_uri=sqlite_uri
    )
    assert decision.promoted
