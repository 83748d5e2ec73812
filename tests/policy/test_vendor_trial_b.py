"""Defects a vendor's second in-process trial found (ids, profiles, a log the state never
absorbed, answers dated ahead of the clock; each failed before its fix)."""

from __future__ import annotations

import uuid
import warnings

import pandas as pd
import pytest
from test_cold_start import graded_catalog, model  # noqa: F401  (the fitted BKT fixture)

from adaptive.curriculum import LearnerProfile
from adaptive.data import Response, ResponseLog
from adaptive.errors import CoverageWarning, UnknownStudentsError
from adaptive.policy.adapter import batch_from_model, profile_ids


def as_log(answers: list[Response]) -> ResponseLog:
    """The answers as a `ResponseLog` (a night's or a service's log of them)."""
    return ResponseLog.from_frame(
        pd.DataFrame(
            {
                "student_id": [r.student_id for r in answers],
                "item_id": [r.item_id for r in answers],
                "skill_ids": [list(r.skill_ids) for r in answers],
                "correct": [r.correct for r in answers],
                "timestamp": [r.timestamp for r in answers],
            }
        )
    )


U = uuid.UUID("4f1c0e9a-3b2d-4c5e-9f70-1a2b3c4d5e6f")


@pytest.mark.parametrize("one", ["100003", 100003, U], ids=["str", "int", "uuid"])
def test_a_single_id_for_student_ids_says_put_it_in_a_list(model, one) -> None:  # noqa: F811
    """`student_ids=100003` (a bare int) ended in "TypeError: 'int' object is not iterable" deep
    in the id reader; a bare string already said "put it in a list"."""
    state = model.init_state(["100003"])
    with pytest.raises(TypeError, match=r"expected a list of ids, got one .*put it in a list"):
        batch_from_model(model, state, graded_catalog(), None, student_ids=one)


def test_a_uuid_is_read_as_its_canonical_text_wherever_an_id_is_read(model) -> None:  # noqa: F811
    """`uuid.UUID` ids were refused by `Response`, `LearnerProfile`, `init_state` and
    `batch_from_model`: a vendor whose ids are UUIDs had to know to write `str(u)`."""
    text = str(U)
    assert Response(U, "add-0", ("add",), 1).student_id == text
    assert LearnerProfile(U, grade=2).student_id == text
    state = model.init_state([U])
    assert state.students == [text] and state.rows([U]).tolist() == [0]
    batch = batch_from_model(
        model, state, graded_catalog(), {text: LearnerProfile(U, grade=2)}, student_ids=[U]
    )
    assert list(batch.student_ids) == [text] and batch.placement[0] == "placed from grade 2"


@pytest.mark.parametrize("key", ["abc ", " abc"], ids=["trailing", "leading"])
def test_a_profile_keyed_by_an_untrimmed_id_is_said_to_be_no_students(model, key) -> None:  # noqa: F811
    """`{"abc ": LearnerProfile("abc ", grade=7)}` with `student_ids=["abc "]` was served "no
    profile (population prior, no grade)" without a word on the key. Reading such keys cost a
    pass over the mapping's keys per request (a vendor trial: 10 ms at 400,000 profiles), so a
    request looks a student up under the keys their id can be (its trimmed text, an integer's
    or a UUID's) and no other; the warning says how to check an id against the profiles, and
    that check says the key has spaces around it and how to key the dict."""
    profiles = {key: LearnerProfile(key, grade=2)}
    state = model.init_state()
    with pytest.warns(CoverageWarning, match="no profile") as said:
        batch = batch_from_model(model, state, graded_catalog(), profiles, student_ids=[key])
    assert list(batch.student_ids) == ["abc"] and batch.placement[0].startswith("no profile")
    assert any("profile_ids(profiles).reads_as(id)" in str(w.message) for w in said)
    with pytest.raises(ValueError, match=r"the 1st key has spaces around its id.*strip\(\)"):
        profile_ids(profiles)


def test_a_profile_keyed_by_an_integer_is_the_student_of_its_digits(model) -> None:  # noqa: F811
    """`{123: profile}` is the student "123", as `Response(123, ...)` and `LearnerProfile(123)`
    are (it was a TypeError asking for text keys); a key that is no id stays one."""
    cat, state = graded_catalog(), model.init_state()
    batch = batch_from_model(
        model, state, cat, {123: LearnerProfile(123, grade=2)}, student_ids=["123"]
    )
    assert batch.placement[0] == "placed from grade 2"
    with pytest.raises(TypeError, match=r"a dict keyed by float \(1.5\); key it by the student"):
        batch_from_model(model, state, cat, {1.5: LearnerProfile("x")}, student_ids=["x"])


def test_a_profiles_dict_updated_in_place_is_read_as_it_is_now(model) -> None:  # noqa: F811
    """A vendor keeps one profiles dict keyed by int (or UUID) ids and updates it in place:
    the memo of its keys read as ids kept the profiles themselves, so a profile replaced under
    the same key (grade 4 -> 7) or a key swapped for another of the same count was served as
    it was at the first request. Nothing of the dict is kept now: each request looks its
    students up in the dict as it is."""
    cat, state = graded_catalog(), model.init_state()

    def placed(profiles: dict, sid: str) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return batch_from_model(model, state, cat, profiles, student_ids=[sid]).placement[0]

    by_int = {123: LearnerProfile("123", grade=4)}
    assert placed(by_int, "123") == "placed from grade 4"
    by_int[123] = LearnerProfile("123", grade=7)
    assert placed(by_int, "123") == "placed from grade 7"
    by_uuid = {U: LearnerProfile(U, grade=4)}
    assert placed(by_uuid, str(U)) == "placed from grade 4"
    del by_uuid[U]
    other = uuid.UUID(int=7)
    by_uuid[other] = LearnerProfile(other, grade=5)
    assert placed(by_uuid, str(other)) == "placed from grade 5"
    assert placed(by_uuid, str(U)).startswith("no profile")  # no longer profiled
    by_uuid[other] = LearnerProfile(other, grade=6)
    assert placed(by_uuid, str(other)) == "placed from grade 6"


def test_a_profile_key_swapped_in_behind_the_same_count_and_last_key_is_read(model) -> None:  # noqa: F811
    """The memo of a profiles dict's keys read as ids was known by the dict's count and last
    key: a key swapped in for another (1 out, 3 in, the last key put back last) kept both, so
    the student "3" was served with no profile; the "did you mean" hint, known by the count
    alone, named ids of the dict as it was. No memo now: a request reads the dict as it is,
    and so does `profile_ids`, the check its warning points to."""
    cat, state = graded_catalog(), model.init_state()

    def placed(profiles: dict, sid: str) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return batch_from_model(model, state, cat, profiles, student_ids=[sid]).placement[0]

    def swap(profiles: dict, out: object, key: object, profile: LearnerProfile) -> None:
        """`out` replaced by `key`, the last key put back last: the count and last key kept."""
        last = next(reversed(profiles))
        kept = profiles.pop(last)
        del profiles[out]
        profiles[key] = profile
        profiles[last] = kept

    ints = {
        1: LearnerProfile("1", grade=4),
        2: LearnerProfile("2", grade=5),
        9: LearnerProfile("9"),
    }
    assert placed(ints, "1") == "placed from grade 4"
    swap(ints, 1, 3, LearnerProfile("3", grade=7))
    assert placed(ints, "3") == "placed from grade 7"
    assert placed(ints, "1").startswith("no profile")  # no longer profiled
    ids = {"a": LearnerProfile("a", grade=4), "z": LearnerProfile("z", grade=6)}
    assert placed(ids, "nobody").startswith("no profile")  # every key an id as written
    swap(ids, "a", "c", LearnerProfile("c", grade=7))
    assert placed(ids, "c") == "placed from grade 7"

    hinted = {
        "004501": LearnerProfile("004501"),
        "b": LearnerProfile("b"),
        "z": LearnerProfile("z"),
    }
    assert profile_ids(hinted).reads_as("777") is None
    swap(hinted, "b", "000777", LearnerProfile("000777"))
    assert profile_ids(hinted).reads_as("777") == "000777"


def test_an_id_the_state_holds_written_otherwise_is_hinted(model) -> None:  # noqa: F811
    """`state.rows([123])` against a state holding "000123" said only "not in this state",
    while the diagnostic's start explains leading zeros; an upper-case UUID against the
    state's lower-case one neither. Both now say what differs (by position, never the id) and
    the error's `likely_matches` maps the position to the held id."""
    state = model.init_state(["000123", str(U)])
    with pytest.raises(UnknownStudentsError) as zeros:
        state.rows([123])
    said = str(zeros.value)
    assert "it differs from a known student's id only in zeros" in said
    assert "'4501' for '004501', or an id passed as a number?): keep ids as text" in said
    assert zeros.value.likely_matches == {0: "000123"} and "000123" not in said
    with pytest.raises(UnknownStudentsError, match="the 2nd differs only in case") as case:
        state.rows(["000123", str(U).upper()])
    assert case.value.likely_matches == {1: str(U)}
    with pytest.raises(UnknownStudentsError) as other:
        state.rows(["nobody"])
    assert other.value.likely_matches == {} and "differs" not in str(other.value)


def test_an_answer_dated_ahead_of_the_clock_is_warned_of_at_update(model) -> None:  # noqa: F811
    """`update` absorbed an answer dated 2030 without a word; a `LateAnswerWarning` appeared
    only at the next `recommend`. One warning per call now, with the count and the latest
    time; an answer dated today, or tomorrow in another zone, says nothing."""
    from adaptive.errors import FutureAnswerWarning

    state = model.init_state(["s"])
    today = pd.Timestamp.now(tz="UTC")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.update(state, Response("s", "add-0", ("add",), 1, today))
        model.update(state, Response("s", "add-1", ("add",), 1, today + pd.Timedelta(hours=20)))
    with pytest.warns(FutureAnswerWarning) as said:
        model.update(state, Response("s", "sub-0", ("sub",), 1, "2030-01-01T10:00:00Z"))
    assert len(said) == 1 and said[0].message.students == ("s",)
    text = str(said[0].message)
    assert text.startswith("update: 1 answer of 1 student is dated more than a day after this")
    assert "the latest on 2030-01-01 10:00 UTC" in text and "model.restart(state" in text
    answers = [
        Response("s", "sub-1", ("sub",), 1, f"2030-01-0{day}T10:00:00Z") for day in (2, 3, 4)
    ]
    with pytest.warns(FutureAnswerWarning) as said:
        model.update(state, answers)
    assert len(said) == 1 and said[0].message.count == 3
    assert str(said[0].message).startswith("update: 3 answers of 1 student are dated")
    assert said[0].message.latest == pd.Timestamp("2030-01-04T10:00:00Z")


def test_answers_in_the_log_the_state_never_absorbed_are_warned_of(model) -> None:  # noqa: F811
    """`batch_from_model(..., log=recent)` with answers that never reached `model.update` took
    5 answers and a streak of 5 from the log but the mastery from the untouched state, and
    served "now that you know X" without a word. One warning, counted; none once `update`
    absorbed them (the README's path), nor for a log of answers the state already holds."""
    from adaptive.errors import CoverageWarning

    cat = graded_catalog()
    recent = [Response("s", "add-0", ("add",), 1, f"2026-10-19T10:0{i}:00Z") for i in range(5)]
    state = model.init_state(["s"])
    with pytest.warns(CoverageWarning, match="never saw them") as said:
        batch_from_model(model, state, cat, None, log=recent, student_ids=["s"])
    text = next(str(w.message) for w in said if "never saw" in str(w.message))
    assert text.startswith("batch_from_model: the log holds 5 answers of 1 requested student")
    assert "`model.update(state, response)` first" in text
    with pytest.warns(CoverageWarning, match="1 answer of 1 requested student"):  # not held
        batch_from_model(model, model.init_state(), cat, None, log=recent[:1], student_ids=["s"])
    for r in recent[:3]:
        model.update(state, r)
    with pytest.warns(CoverageWarning, match="the log holds 2 answers of 1"):  # 2 not absorbed
        batch_from_model(model, state, cat, None, log=recent, student_ids=["s"])
    for r in recent[3:]:
        model.update(state, r)
    logged = as_log(recent)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for log in (recent, logged):
            batch = batch_from_model(model, state, cat, None, log=log, student_ids=["s"])
            assert batch.n_responses[0, 0] == 5
    later = Response("s", "add-1", ("add",), 0, "2026-10-20T09:00:00Z")
    with pytest.warns(CoverageWarning, match="the log holds 1 answer of 1"):
        batch_from_model(
            model, state, cat, None, log=as_log([*recent, later]),
            student_ids=["s"],
        )  # fmt: skip


def test_a_batchs_mastery_columns_are_named_as_a_models_are(model) -> None:  # noqa: F811
    """`batch.mastery`'s columns follow the catalog's skill order, `model.mastery()`'s follow
    `model.skills_`: a vendor indexed one by the other's order. The batch now names its columns
    (`skill_ids`, kept by `take`), and a column read by id agrees with the model's."""
    from adaptive.curriculum import Catalog

    cat = graded_catalog()
    backwards = Catalog(cat.skills[::-1], cat.activities, topics=cat.topics)
    state = model.init_state(["s"])
    model.update(state, Response("s", "div-0", ("div",), 1))
    batch = batch_from_model(model, state, backwards, None, student_ids=["s"], graph=False)
    assert batch.skill_ids == backwards.skill_ids == tuple(s.id for s in backwards.skills)
    assert batch.take([0]).skill_ids == batch.skill_ids
    mastery = model.mastery(state, state.rows(["s"]))[0]
    for skill in ("add", "div"):
        by_model = mastery[list(model.skills_).index(skill)]
        at = backwards.skill_index.get_loc(skill)  # the batch's columns: the catalog's skills
        assert batch.skill_ids[at] == skill
        assert batch.mastery[0, at] == pytest.approx(by_model)


def test_an_answer_in_the_log_on_a_skill_the_model_lacks_is_warned_of_as_update_does(
    model,  # noqa: F811
) -> None:
    """A vendor's list of recent answers passed as `log` with a skill id the model was not
    fitted on ('ADD' for 'add') was read without a word, while `update` warns of the same
    answer with a "did you mean": the batch now warns in `update`'s words."""
    from adaptive.errors import CoverageWarning

    cat, state = graded_catalog(), model.init_state(["s1"])
    recent = [Response("s1", "add-0", ("add",), 1), Response("s1", "add-1", ("ADD",), 0)]
    with pytest.warns(CoverageWarning) as said:
        batch_from_model(model, state, cat, None, log=recent, student_ids=["s1"])
    words = [str(w.message) for w in said if "was not fitted on" in str(w.message)]
    assert len(words) == 1 and said[-1].filename == __file__  # pointing at the vendor's call
    assert words[0].startswith(
        "batch_from_model: 1 response in log on a skill the model was not fitted on ('ADD'; "
        "did you mean 'add'?) was not traced"
    )
    with pytest.warns(CoverageWarning, match=r"^update: 1 response \(item 'add-1'\) on a skill"):
        model.update(state, recent[1])  # the same function's words
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoverageWarning)  # known skills: nothing said
        batch_from_model(model, state, cat, None, log=recent[:1], student_ids=["s1"])
        # a review: the next request's list, one answer longer, said it again (its count
        # changed, so Python's filter did not hold it back): once per model and skill
        longer = [*recent, Response("s1", "add-2", ("add",), 1)]
        batch_from_model(model, state, cat, None, log=longer, student_ids=["s1"])
