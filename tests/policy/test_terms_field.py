"""Scoring terms added for learners the policy was not tuned on (issue 16)."""

from __future__ import annotations

import numpy as np

from adaptive.policy import terms


def test_the_difficulty_term_ranks_versions_within_a_skill_not_skills() -> None:
    # activities 0-2: versions of skill 0 (a known skill: all near the target); 3-5: skill 1
    edge = np.array([[0.9, 1.0, 0.7, 0.1, 0.3, 0.2]])
    primary = np.array([0, 0, 0, 1, 1, 1])
    rel = terms.best_version_of_skill(edge, primary)
    np.testing.assert_allclose(rel, [[0.9, 1.0, 0.7, 1 / 3, 1.0, 2 / 3]])


def test_prerequisite_support_is_the_weakest_prerequisite() -> None:
    mastery = np.array([[0.9, 0.4, np.nan, 0.2]])
    codes = np.array([[-1, -1], [0, -1], [0, 1], [-1, -1]])
    np.testing.assert_allclose(terms.prerequisite_support(mastery, codes), [[1.0, 0.9, 0.4, 1.0]])
    ready = terms.readiness(
        np.ones((1, 4), bool), np.zeros((1, 4), bool), mastery,
        terms.prerequisite_support(mastery, codes),
    )  # fmt: skip
    np.testing.assert_allclose(ready, [[0.1, 0.6 * 0.9, 1.0 * 0.4, 0.8]])


def test_a_readiness_sentence_at_a_low_chance_says_it_will_be_hard() -> None:
    """The trial of stop 39: "you are ready for it" at P(correct) 0.04 read as easy."""
    from adaptive.policy.explain import sentence

    hard = sentence("readiness", "Fractions 2", "F2", p_correct=0.04, prerequisite="Fractions 1")
    assert hard == (
        "Fractions 2: you are ready for it now that you know Fractions 1. It will be hard for "
        "now (about 4% chance of getting it right)."
    )
    assert sentence("readiness", "F", "T", p_correct=0.7).endswith("a good next skill to start.")
    assert sentence("readiness", "F", "T").endswith("a good next skill to start.")  # unknown


def test_a_skill_in_progress_is_not_called_a_skill_to_start() -> None:
    """A data scientist's trial: an in-progress skill's reason read "a good next skill to start"."""
    from adaptive.policy.explain import sentence

    said = sentence("readiness", "Fractions 2", "F2", p_correct=0.6, answered=3)
    assert (
        said
        == "Fractions 2: you have started it (3 answers so far): keep going until it is mastered."
    )
    assert "1 answer so far" in sentence("readiness", "F", "T", answered=1)
    assert sentence("readiness", "F", "T", answered=0).endswith("a good next skill to start.")


def test_what_a_skill_at_the_bar_still_needs_is_said_from_the_rules_settings() -> None:
    """A skill at 99% was told "keep going until it is mastered": the words now say what the
    progression rule still asks, from the same settings the rule reads."""
    from adaptive.policy import PolicyConfig
    from adaptive.policy.explain import still_needed

    config = PolicyConfig.default()
    assert still_needed(0.99, 3, 0, config) == "2 right answers in a row (0 so far)"
    assert still_needed(0.99, 3, 1, config) == "2 right answers in a row (1 so far)"
    assert still_needed(1.0, 3, 3, config, hold=5) == "5 answers (3 so far)"
    assert still_needed(1.0, 3, 2, config, hold=5) == "5 answers (3 so far)"
    assert still_needed(1.0, 3, 0, config, hold=5) == (
        "5 answers (3 so far) and 2 right answers in a row (0 so far)"
    )
    assert still_needed(0.99, 3, 3, config) == ""  # shown: nothing left
    assert still_needed(0.5, 3, 0, config) == ""  # below the bar: "keep going" holds
    assert still_needed(0.99, 0, 0, config) == ""  # never answered
    said = sentence_of("Fractions 2", still_needed(0.99, 3, 0, config))
    assert said == (
        "Fractions 2: your mastery is at the bar, and it counts as mastered after 2 right answers in a row "
        "(0 so far)."
    )


def test_what_a_skill_still_needs_is_worked_out_at_each_of_the_rules_thresholds() -> None:
    """Each threshold of the rule (the mastery bar, `min_responses_mastered` 3, `mastery_streak`
    2, the gradual hold 5) one answer short of it and just met, in exact words: a change to
    any of them changes a sentence here."""
    from adaptive.policy import PolicyConfig
    from adaptive.policy.explain import still_needed

    config = PolicyConfig.default()
    # the mastery bar (0.65): below it the sentence says "keep going", not what is missing
    assert still_needed(0.65, 3, 0, config) == "2 right answers in a row (0 so far)"
    assert still_needed(0.64, 3, 0, config) == ""
    # answers missing (3), the run of right answers met
    assert still_needed(0.99, 2, 2, config) == "3 answers (2 so far)"
    assert still_needed(0.99, 3, 2, config) == ""
    # a run of right answers missing (2), the answers met
    assert still_needed(0.99, 4, 1, config) == "2 right answers in a row (1 so far)"
    assert still_needed(0.99, 4, 2, config) == ""
    # fewer answers than the run: all of them right is the run; both missing, joined by "and"
    assert still_needed(0.99, 1, 1, config) == "3 answers (1 so far)"
    assert still_needed(0.99, 1, 0, config) == (
        "3 answers (1 so far) and 2 right answers in a row (0 so far)"
    )
    # the gradual hold (`gradual_min_responses` 5, as `gradual_hold` gives it a gradual learner)
    hold = int(terms.gradual_hold(np.array([9.0]), 0.0, config.gradual_min_responses)[0, 0])
    assert still_needed(0.99, 4, 2, config, hold=hold) == "5 answers (4 so far)"
    assert still_needed(0.99, 5, 2, config, hold=hold) == ""
    # a hold of 1 is no hold, and one below `min_responses_mastered` leaves it the number
    assert still_needed(0.99, 3, 2, config, hold=1) == ""
    assert still_needed(0.99, 2, 2, config, hold=2) == "3 answers (2 so far)"


def sentence_of(skill: str, needed: str) -> str:
    from adaptive.policy.explain import sentence

    return sentence("readiness", skill, "T", p_correct=0.9, answered=3, still_needed=needed)


def test_a_chance_near_certain_is_not_said_as_certain() -> None:
    """A student with a 0.996 chance of getting it right was told "about 100%", and a 0.3%
    chance "about 0%": all or none, which neither is."""
    from adaptive.policy.explain import chance

    assert chance(0.87) == "about 87% chance"
    assert chance(0.996) == "over 99% chance"
    assert chance(0.003) == "under 1% chance"
    assert chance(1.0) == "about 100% chance"


def test_work_more_than_a_grade_above_the_students_says_so() -> None:
    """The placement office's trial (L19): a kindergartner served grade 3 work was told only "a
    good next skill to start"."""
    from adaptive.policy.explain import sentence

    k_on_3 = sentence("readiness", "F", "T", grade=0, work_grade=3, lowest_grade=3)
    assert k_on_3 == (
        "F: a good next skill to start. It is grade 3 work; you are in grade K and the catalog "
        "has nothing nearer."
    )
    assert sentence("exploration", "F", "T", grade=2, work_grade=5, lowest_grade=3) == (
        "F: something new to try. It is grade 5 work; you are in grade 2."
    )
    # the goal's sentence comes after: the grade belongs to the activity served
    assert sentence(
        "readiness", "F", "T", grade=-1, work_grade=3, lowest_grade=3, goal="G", goal_too=True
    ).endswith(
        "you are in grade PK and the catalog has nothing nearer. It is also a step toward your goal G."
    )
    for grade, work in ((3, 3), (3, 4), (5, 3), (float("nan"), 3), (0, float("nan"))):
        assert sentence("readiness", "F", "T", grade=grade, work_grade=work) == (
            "F: a good next skill to start."
        )
