"""A reason's lead sentence and the clauses added to it: why a skill below the student's grade
(`explain.earlier_grade`) and what a teacher's mode chose (`explain.as_teacher_asked`).

A user trial (teachers reading the demo night's reasons): 85 of 6,564 reasons named the skill
twice ("Grade 3 geometry 4: review (cooking): it is about cooking, which interests you. Grade 3
geometry 4: a check of a grade 3 skill, ..."), and a student whose teacher chose "accelerate" was
served next grade's work, and a skill past the policy's own prerequisite check, with no word
that the teacher asked for it (remediate's checks say "as your teacher asked")."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from policy_fixtures import GRADE_4_PLACED, GRADE_CHAIN

from adaptive.batch.overrides import StudentOverride
from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.errors import ConfigError
from adaptive.policy import AdaptivePolicy, PolicyConfig, StudentBatch, StudentView
from adaptive.policy import explain as text
from adaptive.policy.base import TeacherOverrides

SKILL = "Grade 3 geometry 4"
TITLE = "Grade 3 geometry 4: review (cooking)"  # the demo catalog's own title of the activity


@pytest.mark.parametrize("term", text.WHY_NOT_THE_SKILL)
def test_an_earlier_grades_clause_names_the_skill_once(term: str) -> None:
    """Every lead that says why the activity, not why the skill, takes the earlier grade's
    clause into its one sentence: the skill (or the activity's title) named once."""
    said = text.sentence(
        term, SKILL, TITLE, p_correct=0.8, answered=0, mastery=0.92, skill_grade=3.0,
        grade=5.0, topic="cooking", goal="Grade 5 geometry 1", work_grade=3.0,
    )  # fmt: skip
    assert said.count(SKILL) == 1, said
    assert said.count(".") == 1 and said.endswith(
        "; a check of a grade 3 skill, below your grade: likely known already (92% by your "
        "placement), so a few answers confirm it."
    ), said


def test_the_trials_reason_reads_as_one_sentence() -> None:
    said = text.sentence(
        "interest", SKILL, TITLE, answered=0, mastery=0.92, skill_grade=3.0, grade=5.0,
        topic="cooking",
    )  # fmt: skip
    assert said == (
        "Grade 3 geometry 4: review (cooking): it is about cooking, which interests you; a check "
        "of a grade 3 skill, below your grade: likely known already (92% by your placement), so "
        "a few answers confirm it."
    )


def test_a_remediated_skill_led_by_another_reason_says_the_teacher_asked() -> None:
    """Remediate's check, led by interest: it said only "it is about music" (the earlier
    grade's clause is left out for a checked skill, and nothing said the teacher's choice)."""
    said = text.sentence(
        "interest", "Three A", "Three A 1", answered=0, mastery=0.88, skill_grade=3.0,
        grade=4.0, topic="music", checking=True,
    )  # fmt: skip
    assert said == (
        "Three A 1: it is about music, which interests you; a check of an earlier grade's "
        "skill, as your teacher asked."
    )


def view(
    mode: str | None, mastery: dict[str, float] | None = None, **answers: tuple[int, int]
) -> StudentView:
    """A placed fourth grader; `answers`: {skill ("g4_a"): (responses, right answers in a row
    now)}; `mode`: the teacher's, as the class page's file gives it."""
    return StudentView(
        "kid", LearnerProfile("kid", grade=4), {**GRADE_4_PLACED, **(mastery or {})},
        n_responses={s.replace("_", "."): n for s, (n, _) in answers.items()},
        streak={s.replace("_", "."): run for s, (_, run) in answers.items()},
        last_practiced={s.replace("_", "."): 9.0 for s in answers},
        overrides=StudentOverride(mode=mode).teacher_overrides(4) if mode else None,
    )  # fmt: skip


def served(v: StudentView, catalog: Catalog = GRADE_CHAIN, k: int = 3) -> dict[str, str]:
    recs = AdaptivePolicy(catalog, PolicyConfig.default()).recommend(v, k=k, now=10.0)
    return {r.skill_id: r.sentence for r in recs}


def test_accelerate_past_the_policys_own_check_says_the_teacher_asked() -> None:
    """The trial: Four A failed (3 answers, the last wrong) waits for a check of Three B,
    never answered; accelerate's band (grades 4 and 5) keeps Three B out, so Four A is served
    without the check, and its reason says so and why."""
    plain = served(view(None, g4_a=(3, 0)))
    assert "g3.b" in plain and "g4.a" not in plain  # the policy's own check, first
    said = served(view("accelerate", g4_a=(3, 0)))["g4.a"]
    assert (
        "; Three B, which it builds on, is not checked first: only grade 4 and 5 work is given, "
        "as your teacher asked." in said
    ), said
    assert said.count("Four A") == 1, said


#: the grade chain with a grade 5 skill built on Four B
WITH_GRADE_5 = Catalog(
    (*GRADE_CHAIN.skills, Skill("g5.a", "Five A", ("g4.b",), grade=5)),
    (*GRADE_CHAIN.activities, Activity("g5.a.p", "Five A", ("g5.a",), grade=5)),
    topics=("numbers",),
)


def test_accelerate_above_the_students_grade_says_the_teacher_asked() -> None:
    """Next grade's work served in the teacher's accelerate band says the teacher asked for it,
    as remediate's checks do; the same skill served without the mode does not."""
    answers = {"g4_a": (5, 5), "g4_b": (5, 5)}
    mastered = {"g4.a": 0.95, "g4.b": 0.95}
    said = served(view("accelerate", mastered, **answers), WITH_GRADE_5)["g5.a"]
    assert said.endswith("; a grade 5 skill, above your grade, as your teacher asked."), said
    assert said.count("Five A") == 1, said
    assert "teacher" not in served(view(None, mastered, **answers), WITH_GRADE_5)["g5.a"]


def test_the_trials_accelerated_reason_says_the_skipped_check_before_how_hard() -> None:
    """The trial's shape: a skill in progress, its check kept out by the band, 10% likely right:
    the teacher's clause joins the lead's sentence, and "It will be hard" follows it."""
    said = text.sentence(
        "readiness", "Four A", "Four A 3", p_correct=0.1, answered=6, skill_grade=4.0,
        grade=4.0, unchecked="Three B", band=(4.0, 5.0), band_asked=True,
    )  # fmt: skip
    assert said == (
        "Four A: you have started it (6 answers so far): keep going until it is mastered; Three "
        "B, which it builds on, is not checked first: only grade 4 and 5 work is given, as your "
        "teacher asked. It will be hard for now (about 10% chance of getting it right)."
    )


@pytest.mark.parametrize(
    ("band", "words"),
    [
        ((4.0, 4.0), "only grade 4 work is given"),
        ((4.0, 5.0), "only grade 4 and 5 work is given"),
        ((2.0, 4.0), "only grade 2 to 4 work is given"),
        ((0.0, 1.0), "only grade K and 1 work is given"),
        ((4.0, float("nan")), "no work below grade 4 is given"),
        ((float("nan"), 5.0), "no work above grade 5 is given"),
    ],
)
def test_a_grade_band_in_words(band: tuple[float, float], words: str) -> None:
    assert text.band_rule(*band) == words


#: a grade 4 and 5 band given without the teacher's "accelerate" mode: a vendor's
#: `batch_from_model(..., max_grade=...)`, a library `TeacherOverrides`, a simulation's band
BAND_ONLY = TeacherOverrides(min_grade=4, max_grade=5)


def banded(overrides: TeacherOverrides | None, mastery=None, **answers) -> StudentView:
    """`view`, with `overrides` as given (not from a class page's mode)."""
    return dataclasses.replace(view(None, mastery, **answers), overrides=overrides)


def test_a_band_without_the_accelerate_mode_does_not_say_the_teacher_asked() -> None:
    """Any band reaching above the student's grade said "above your grade, as your teacher
    asked", and a check it keeps out "..., as your teacher asked": the teacher asked nothing.
    Without the mode, next grade's work says what it says without a teacher (nothing, one
    grade up: `explain.above_grade`), and the kept-out check says the band's rule only."""
    answers = {"g4_a": (5, 5), "g4_b": (5, 5)}
    mastered = {"g4.a": 0.95, "g4.b": 0.95}
    above = served(banded(BAND_ONLY, mastered, **answers), WITH_GRADE_5)["g5.a"]
    assert above == served(view(None, mastered, **answers), WITH_GRADE_5)["g5.a"], above
    assert "teacher" not in above, above
    said = served(banded(BAND_ONLY, g4_a=(3, 0)))["g4.a"]
    assert said.endswith(
        "; Three B, which it builds on, is not checked first: only grade 4 and 5 work is given."
    ), said


def test_a_vendors_band_without_the_mode_does_not_say_the_teacher_asked() -> None:
    """The same band as a batch's arrays (`batch_from_model(..., max_grade=...)` builds them)."""
    mastery = np.array([[GRADE_4_PLACED.get(s.id, 0.5) for s in WITH_GRADE_5.skills]])
    mastery[0, -3:-1] = 0.95
    batch = StudentBatch.build(
        WITH_GRADE_5, ["kid"], mastery, n_responses=np.array([[0, 0, 0, 5, 5, 0]]),
        grade=np.array([4.0]), min_grade=np.array([4.0]), max_grade=np.array([5.0]),
    )  # fmt: skip
    table = AdaptivePolicy(WITH_GRADE_5, PolicyConfig.default()).recommend_batch(batch, 3, 10.0)
    said = table.set_index("activity_id").loc["g5.a.p", "sentence"]
    assert "teacher" not in said, said


def test_the_accelerate_mode_says_the_teacher_asked_however_it_is_given() -> None:
    """The mode, from a class page's file or a library's `TeacherOverrides(accelerate=True)`:
    next grade's work and the kept-out check say the teacher asked."""
    answers = {"g4_a": (5, 5), "g4_b": (5, 5)}
    mastered = {"g4.a": 0.95, "g4.b": 0.95}
    mode = dataclasses.replace(BAND_ONLY, accelerate=True)
    above = served(banded(mode, mastered, **answers), WITH_GRADE_5)["g5.a"]
    assert above.endswith("; a grade 5 skill, above your grade, as your teacher asked."), above
    said = served(banded(mode, g4_a=(3, 0)))["g4.a"]
    assert "only grade 4 and 5 work is given, as your teacher asked." in said, said


def test_the_accelerate_mode_reaches_the_batch_and_the_nightly_jobs_tables() -> None:
    """As remediate's: the class page's mode (with the student's grade: its band), through an
    `OverrideSet` and the partition's Arrow tables (the in-process workers', Spark's)."""
    from adaptive.batch.overrides import OverrideSet
    from adaptive.batch.partition import batch_to_table, table_to_batch

    assert StudentOverride(mode="accelerate").teacher_overrides(4).accelerate
    assert not StudentOverride(mode="remediate").teacher_overrides(4).accelerate
    assert not StudentOverride(mode="accelerate").teacher_overrides(None).accelerate  # no grade
    modes = {"s0": "accelerate", "s1": None, "s2": "remediate"}
    profiles = {s: LearnerProfile(s, grade=4) for s in modes}
    fields = OverrideSet({s: StudentOverride(mode=m) for s, m in modes.items()}).batch_fields(
        GRADE_CHAIN, profiles, list(modes)
    )
    assert fields["accelerate"].tolist() == [1.0, 0.0, 0.0]
    config = PolicyConfig.default()
    views = [
        StudentView(s, profiles[s], GRADE_4_PLACED,
                    overrides=StudentOverride(mode=m).teacher_overrides(4) if m else None)
        for s, m in modes.items()
    ]  # fmt: skip
    batch = StudentBatch.from_views(GRADE_CHAIN, views, config)
    back = table_to_batch(batch_to_table(batch), GRADE_CHAIN, config)
    assert back.accelerate.tolist() == [1.0, 0.0, 0.0]
    assert back.remediate.tolist() == [0.0, 0.0, 1.0]


def test_the_accelerate_flag_without_a_band_above_the_grade_does_not_say_the_teacher_asked():
    """A review: `TeacherOverrides(accelerate=True)` with no band widened nothing, yet next
    grade's work (served by the policy's own rule) read "..., as your teacher asked"."""
    answers = {"g4_a": (5, 5), "g4_b": (5, 5)}
    mastered = {"g4.a": 0.95, "g4.b": 0.95}
    flag_only = TeacherOverrides(accelerate=True)
    above = served(banded(flag_only, mastered, **answers), WITH_GRADE_5)["g5.a"]
    assert above == served(view(None, mastered, **answers), WITH_GRADE_5)["g5.a"], above


def test_an_int_keyed_students_teacher_band_is_applied_as_their_profile_is_found():
    """A review: `batch_fields` read a student's grade (the mode's band) by text key alone, so
    `{123: profile}` (the student "123", as a request finds them) lost the teacher's band and
    accelerate, while the request placed them from that profile's grade."""
    from adaptive.batch.overrides import OverrideSet

    chosen = OverrideSet({"123": StudentOverride(mode="accelerate")})
    for key in ("123", 123):
        fields = chosen.batch_fields(GRADE_CHAIN, {key: LearnerProfile("123", grade=4)}, ["123"])
        assert (fields["min_grade"].tolist(), fields["max_grade"].tolist()) == ([4.0], [5.0])
        assert fields["accelerate"].tolist() == [1.0], key


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"accelerate": "yes"}, "TeacherOverrides: accelerate 'yes'; expected True or False"),
        (
            {"accelerate": True, "remediate": True},
            "TeacherOverrides: accelerate and remediate both True; expected one mode at most",
        ),
    ],
)
def test_a_mode_that_is_no_mode_is_refused(given: dict, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        TeacherOverrides(**given)
    assert str(caught.value) == said


def test_the_bands_second_look_reads_only_the_banded_students_failing_a_skill(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a band keeps out is read again only for a student with a band and a failing skill:
    one teacher's band had every failing student of the night's batch read twice (8% of the
    selection's time, the same for one band as for all). The others' reasons are unchanged:
    the unbanded failing student's check is served, nothing is said kept out."""
    from adaptive.policy import recommender

    lifted_rows: list[int] = []

    def spy(*args, **kwargs):
        mask = hard_mask(*args, **kwargs)
        if kwargs.get("band") is False:
            lifted_rows.append(len(mask))
        return mask

    hard_mask = recommender.hard_mask
    monkeypatch.setattr(recommender, "hard_mask", spy)
    students = [
        banded(BAND_ONLY, g4_a=(3, 0)),  # banded, failing Four A
        view(None, g4_a=(3, 0)),  # failing, no band
        banded(BAND_ONLY),  # banded, failing nothing
        view(None),
    ]
    students = [
        dataclasses.replace(v, student_id=f"s{i}", profile=LearnerProfile(f"s{i}", grade=4))
        for i, v in enumerate(students)
    ]
    config = PolicyConfig.default()
    batch = StudentBatch.from_views(GRADE_CHAIN, students, config)
    feats = AdaptivePolicy(GRADE_CHAIN, config).features(batch, 10.0)
    assert lifted_rows == [1]
    three_b = GRADE_CHAIN.skill_ids.index("g3.b")
    assert feats.unchecked is not None and feats.in_doubt is not None
    assert feats.unchecked[:, three_b].tolist() == [True, False, False, False]
    assert feats.in_doubt[:, three_b].tolist() == [False, True, False, False]


def test_a_placed_estimate_moved_by_answers_since_says_so() -> None:
    """A teacher's trial: "not known yet (27% by your placement)" of a grade 3 skill last
    year's records put at 7%: a wrong answer on a grade 4 skill built on it had moved it
    (graph evidence). A student who has answered some skill has an estimate of the placement
    and those answers."""
    said = text.sentence(
        "readiness", SKILL, TITLE, answered=0, mastery=0.27, skill_grade=3.0, grade=4.0,
        answers_since=True,
    )  # fmt: skip
    assert "(27% from your placement and your answers so far)" in said, said
    before = text.sentence(
        "readiness", SKILL, TITLE, answered=0, mastery=0.27, skill_grade=3.0, grade=4.0
    )
    assert "(27% by your placement)" in before, before
