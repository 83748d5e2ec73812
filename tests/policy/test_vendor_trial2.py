"""Defects a second ed-tech vendor's trial found on the in-process path (each failed before its
fix): a student's grade beyond the catalog's, ids given twice, a diagnostic resumed without its
prior, a state file with impossible values, profiles' interests as a list."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_cold_start import graded_catalog, model  # noqa: F401  (the fitted BKT fixture)

from adaptive.curriculum import LearnerProfile
from adaptive.errors import ConfigError, PlacementWarning, RepeatedAnswerWarning
from adaptive.policy import AdaptivePolicy
from adaptive.policy.adapter import batch_from_model


def test_a_grade_above_every_grade_of_the_catalog_is_said(model) -> None:  # noqa: F811
    """Grade 12 on a catalog of grades 1-3 placed every skill as known and served the catalog's
    first skills as 'something new to try', without a word in-process (the CLI said it)."""
    cat = graded_catalog()
    profiles = [LearnerProfile("k", grade=12), LearnerProfile("j", grade=2)]
    with pytest.warns(PlacementWarning, match=r"1 student placed from grade 12, above every grade "
                      r"of the catalog \(1-3\): every skill starts as known"):  # fmt: skip
        batch_from_model(model, model.init_state(), cat, profiles, student_ids=["k", "j"])
    with pytest.warns(PlacementWarning, match="below every grade of the catalog"):
        batch_from_model(
            model, model.init_state(), cat, [LearnerProfile("z", grade=0)], student_ids=["z"]
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlacementWarning)
        batch = batch_from_model(model, model.init_state(), cat, profiles[1:], student_ids=["j"])
    assert len(AdaptivePolicy(cat).recommend_batch(batch, k=2, now=20_000.0)) == 2


def test_a_student_requested_twice_is_one_error_saying_where(model) -> None:  # noqa: F811
    """`student_ids=[sid, sid]` said "placement students: an id is given twice" (about a
    placement the vendor never gave) for a new student, and served every recommendation twice
    for one the state held. The error names the argument and the positions, never the id."""
    cat = graded_catalog()
    profiles = [LearnerProfile("a", grade=2)]
    for state in (model.init_state(), model.init_state(["a"])):  # new to the state, or held
        with pytest.raises(
            ConfigError, match=r"student_ids: an id is given twice: the 2nd repeats the 1st"
        ) as err:
            batch_from_model(model, state, cat, profiles, student_ids=["a", " a"])
        assert str(err.value) == (  # no id: the 'a' of the hint is every message's
            "student_ids: an id is given twice: the 2nd repeats the 1st (1 repeat among 2; ids "
            "are trimmed: ' a' is 'a')"
        )
        assert len(batch_from_model(model, state, cat, profiles, student_ids=["a"])) == 1


def test_a_diagnostic_resumed_from_its_saved_dict_keeps_the_prior_it_started_from() -> None:
    """`diag.start(sid, prior=...)`, 3 answers, `diag.resume(**json.loads(json.dumps(
    s.to_dict())))`: the saved dict held no prior, so the resumed session asked another
    question and placed the student up to 0.15 apart, blaming "another student's answers"; a
    student enrolled since the diagnostic was made could not be resumed at all."""
    import json

    from adaptive.placement.diagnostic import PlacementDiagnostic

    cat = graded_catalog()
    diag = PlacementDiagnostic(cat, [LearnerProfile("old", grade=1)], max_questions=4)
    new = LearnerProfile("new1", grade=3)
    for prior in (new, {"new1": new}):
        session = diag.start("new1", prior=prior)
        for answer in (1, 0):
            session.answer(answer, question=session.next_question())
        saved = json.loads(json.dumps(session.to_dict()))
        assert saved["prior"]["grade"] == 3.0
        with warnings.catch_warnings():
            warnings.simplefilter("error", PlacementWarning)
            resumed = diag.resume(**saved)
        assert resumed.next_question() == session.next_question()
        assert resumed.beliefs.equals(session.beliefs)
    assert "prior" not in diag.start("old").to_dict()  # the diagnostic's own prior: not copied


def test_a_profile_given_as_a_diagnostics_prior_is_placed_or_one_clear_type_error() -> None:
    from adaptive.placement.diagnostic import DiagnosticError, PlacementDiagnostic

    diag = PlacementDiagnostic(graded_catalog())
    assert diag.start("p", prior=LearnerProfile("p", grade=2)).next_question() is not None
    with pytest.raises(TypeError, match="prior: got int; expected a Placement"):
        diag.start("p", prior=5)
    # a newcomer's trial: another student's profile said "unknown student(s) ['new1']: the
    # prior placement covers 1 students", not that the profile was someone else's
    with pytest.raises(
        DiagnosticError, match="the profile is another student.s.*expected the student.s own"
    ):
        diag.start("new1", prior=LearnerProfile("p", grade=2))


def test_a_saved_state_altered_since_it_was_saved_is_refused(model, tmp_path) -> None:  # noqa: F811
    """A state file rewritten with P(known) 7.0 loaded, and `mastery` returned 7.0: a state
    carries the sha256 of its arrays now, and one that does not match is refused."""
    from adaptive.errors import ArtifactError
    from adaptive.tracing.base import TracingState

    state = model.init_state(["a", "b"])
    path = tmp_path / "state.npz"
    state.save(path)
    again = TracingState.load(path)
    assert again.students == ["a", "b"]
    assert all(np.array_equal(again.arrays[k], v) for k, v in state.arrays.items())
    with np.load(path) as data:
        entries = {k: data[k] for k in data.files}
    name = next(k for k in entries if k.startswith("a_") and entries[k].dtype.kind == "f")
    entries[name] = np.full_like(entries[name], 7.0)
    np.savez(path, **entries)
    with pytest.raises(ArtifactError, match="checksum mismatch: the state was altered"):
        TracingState.load(path)
    del entries["sha256"]  # a state saved before the checksum: loads as it did
    np.savez(path, **entries)
    assert TracingState.load(path).students == ["a", "b"]


def test_a_partial_skill_coverage_is_said_once_by_the_run_not_per_batch(model) -> None:  # noqa: F811
    """A data steward's trial: "model knows 118 of 121 catalog skills" was printed three times
    a night: by the night, then by each worker's first batch of students (forked, they share
    what the night noted)."""
    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.policy.adapter import note_skill_coverage

    base = graded_catalog()
    extra = Skill("new.1", "New", grade=1)
    cat = Catalog(
        (*base.skills, extra),
        (*base.activities, Activity("new.1.a", "New", ("new.1",), grade=1)),
        topics=base.topics,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        note_skill_coverage(model, cat)  # the night, before its workers fork
        batch_from_model(model, model.init_state(), cat, [LearnerProfile("a", grade=1)])
    said = [str(w.message) for w in caught if "catalog skills" in str(w.message)]
    assert len(said) == 1 and "model knows 5 of 6 catalog skills" in said[0]


def test_the_coverage_advice_fits_the_kind_of_model(model) -> None:  # noqa: F811
    """A district data scientist's trial: an IRT champion's coverage warning said to run
    `adaptive train --catalog FILE`, which `train` refuses for IRT (only BKT takes a catalog).
    The advice now follows the model; given its skills alone, it names both ways."""
    from test_cold_start import practice_log

    from adaptive.curriculum import Activity, Catalog, Skill
    from adaptive.policy.adapter import check_skill_coverage
    from adaptive.tracing.logistic import IRT

    base = graded_catalog()
    cat = Catalog(
        (*base.skills, Skill("new.1", "New", grade=1)),
        (*base.activities, Activity("new.1.a", "New", ("new.1",), grade=1)),
        topics=base.topics,
    )
    irt = IRT(max_iter=50).fit(practice_log(20))
    said = str(check_skill_coverage(irt, cat))
    assert "model knows 5 of 6 catalog skills" in said
    assert "retrain it on a log that covers them" in said and "--catalog FILE)" in said
    assert "adaptive train --catalog" not in said and "BKT().fit" not in said
    bkt = str(check_skill_coverage(model, cat))
    assert "fit the model with its catalog, e.g. adaptive train --catalog FILE" in bkt
    skills_only = str(check_skill_coverage(list(model.skills_), cat))
    assert "where it takes one (BKT: adaptive train --model bkt --catalog FILE" in skills_only
    assert "other models know only the skills their training log has answers on" in skills_only


def test_a_log_of_another_student_only_is_one_error(model) -> None:  # noqa: F811
    """`batch_from_model(..., log=[<another student's answers>], student_ids=[sid])` was
    accepted: the student's streaks and progress read as no history, without a word."""
    from adaptive.data import Response

    cat = graded_catalog()
    other = [Response("b", "add-0", ("add",), 1, "2026-09-01")]
    with pytest.raises(ConfigError, match=r"log: its answers are of 'b', none of the requested"):
        batch_from_model(model, model.init_state(), cat, [], log=other, student_ids=["a"])
    mine = [*other, Response("a", "add-0", ("add",), 1, "2026-09-01")]
    assert (
        batch_from_model(
            model, model.init_state(), cat, [], log=mine, student_ids=["a"]
        ).n_responses.sum()
        == 1
    )


def test_an_apps_retried_answer_counts_once_in_the_streak_as_in_the_tracer(model) -> None:  # noqa: F811
    """A vendor appends each request's answer to the list it passes as `log`; a retried request
    (same item, time and answer) was counted again: 'wrong, then right sent three times' read as
    three right in a row and unlocked what builds on the skill. The tracer absorbs a retry once;
    so do the counts and the streak."""
    from adaptive.data import Response

    cat = graded_catalog()
    wrong = Response("a", "add-0", ("add",), 0, "2026-09-01T10:00")
    right = Response("a", "add-1", ("add",), 1, "2026-09-01T10:05")
    add = list(cat.skill_index).index("add")
    sent = [wrong, right, right, right]
    batch = batch_from_model(model, model.init_state(), cat, [], log=sent, student_ids=["a"])
    assert (batch.n_responses[0, add], batch.streak[0, add]) == (2, 1)
    again = Response("a", "add-1", ("add",), 1, "2026-09-01T10:09")  # a new attempt: counted
    batch = batch_from_model(
        model, model.init_state(), cat, [], log=[*sent, again], student_ids=["a"]
    )
    assert (batch.n_responses[0, add], batch.streak[0, add]) == (3, 2)


def test_a_retry_after_a_newer_answer_counts_once_as_in_the_tracer(model) -> None:  # noqa: F811
    """A vendor's trial: answers A, B, then A again (a request retried after B arrived) counted
    A twice in the streak while the tracer, which recognizes a retry of any of a student's last
    answers, absorbed it once."""
    from adaptive.data import Response

    cat = graded_catalog()
    add = list(cat.skill_index).index("add")
    first = Response("a", "add-0", ("add",), 0, "2026-09-01T10:00")
    second = Response("a", "add-1", ("add",), 1, "2026-09-01T10:05")
    state = model.init_state(["a"])
    for answer in (first, second):
        model.update(state, answer)
    with pytest.warns(RepeatedAnswerWarning):
        model.update(state, first)
    assert model.answers_per_skill(state)[0, add] == 2
    sent = [first, second, first]
    batch = batch_from_model(model, state, cat, [], log=sent, student_ids=["a"])
    assert (batch.n_responses[0, add], batch.streak[0, add]) == (2, 1)


def test_answers_dated_by_day_alone_are_never_retries_as_in_the_tracer(model) -> None:  # noqa: F811
    """A review: the batch's retry check built its own key (item, time, answer), while the
    tracer's also holds the skills and takes no answer dated by day alone for a retry (two
    attempts on one day are legitimate). A, B, A all dated by day: the tracer absorbed three,
    the streak counted two. Both now read one key (`answer_key`)."""
    from adaptive.data import Response

    cat = graded_catalog()
    add = list(cat.skill_index).index("add")
    first = Response("a", "add-0", ("add",), 1, "2026-09-01")
    second = Response("a", "add-1", ("add",), 1, "2026-09-01")
    state = model.init_state(["a"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RepeatedAnswerWarning)
        for answer in (first, second, first):
            model.update(state, answer)
    assert model.answers_per_skill(state)[0, add] == 3
    sent = [first, second, first]
    batch = batch_from_model(model, state, cat, [], log=sent, student_ids=["a"])
    assert (batch.n_responses[0, add], batch.streak[0, add]) == (3, 3)


def test_explain_takes_the_one_student_batch_a_tracing_vendor_builds(model) -> None:  # noqa: F811
    """`policy.explain(batch, id)` was a TypeError for a batch from `batch_from_model`: the
    documented way to ask why needed a StudentView the vendor does not keep."""
    cat = graded_catalog()
    policy = AdaptivePolicy(cat)
    profiles = [LearnerProfile("a", grade=2)]
    batch = batch_from_model(
        model, model.init_state(["a"]), cat, profiles, student_ids=["a"], now=100.0
    )
    why = policy.explain(batch, "div-1", now=100.0)
    assert why == policy.explain_batch_row(batch, "div-1", 100.0)
    assert why.status in ("blocked", "recommended", "eligible", "out_of_grade_band")
