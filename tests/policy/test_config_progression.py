"""Policy config round-trips and errors; competency-based progression states."""

from __future__ import annotations

import numpy as np
import pytest
from policy_fixtures import SKILLS, view

from adaptive.errors import ConfigError
from adaptive.policy import PolicyConfig, StudentBatch, StudentView
from adaptive.policy.progression import Progression, progression_states, progression_table
from adaptive.specs import POLICY_SPEC


def test_config_round_trips_and_reads_the_shipped_toml() -> None:
    cfg = PolicyConfig.default()
    assert cfg == PolicyConfig.from_toml("policy") == PolicyConfig.from_toml(POLICY_SPEC)
    assert cfg == PolicyConfig.from_dict(cfg.to_dict())
    assert cfg.target_p_correct == 0.7
    assert cfg == PolicyConfig()  # the shipped file and the code defaults agree
    changed = cfg.with_(target_p_correct=0.6, weights={"interest": 0.0})
    assert changed.target_p_correct == 0.6 and changed.weights["interest"] == 0.0
    assert changed.weights["difficulty"] == cfg.weights["difficulty"]


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"weights": {"fun": 1.0}}, "unknown weight"),
        ({"target_p": 0.7}, "unknown key"),
        ({"target_p_correct": 1.5}, "probability"),
        ({"max_per_skill": 0}, "max_per_skill"),
        ({"weights": {"readiness": "high"}}, r"weights\.readiness = 'high' .expected a number"),
        ({"mastery_threshold": "0.9"}, "mastery_threshold = '0.9' .expected a number"),
        ({"max_per_skill": 2.5}, "max_per_skill = 2.5 .expected an integer"),
        ({"mastery_streak": -1}, "mastery_streak = -1"),
        ({"mastery_streak": 1.5}, "mastery_streak = 1.5 .expected an integer"),
        ({"gradual_min_responses": -1}, "gradual_min_responses = -1"),
        ({"gradual_min_responses": 4.5}, "gradual_min_responses = 4.5 .expected an integer"),
        ({"gradual_learning_z": 0.0}, "gradual_learning_z = 0.0"),
        ({"repeatable_kinds": "practice"}, "repeatable_kinds = 'practice'"),
        ({"exploration": 1}, "exploration = 1 .expected str"),
    ],
)
def test_config_errors_name_the_key(bad, match) -> None:
    with pytest.raises(ConfigError, match=match):
        PolicyConfig.from_dict(bad)


def test_config_toml_errors(tmp_path) -> None:
    (tmp_path / "p.toml").write_text("target_p_correct = ")
    with pytest.raises(ConfigError, match="invalid TOML"):
        PolicyConfig.from_toml(tmp_path / "p.toml")
    with pytest.raises(ConfigError, match="not found"):
        PolicyConfig.from_toml(tmp_path / "missing.toml")
    (tmp_path / "typo.toml").write_text('[weights]\nreadiness = "high"\n')
    with pytest.raises(ConfigError, match=r"typo\.toml, line 2, column 13: policy config: weights"):
        PolicyConfig.from_toml(tmp_path / "typo.toml")


def test_progression_states(catalog) -> None:
    now = 100.0
    last = np.array([now - 1, now - 90, np.nan, now - 1, np.nan])
    v = view(
        {"add": 0.99, "sub": 0.99, "mul": 0.3, "div": 0.97, "geo": 0.1},
        {"add": 6, "sub": 6, "mul": 12, "div": 1, "geo": 0},
        last_practiced=last,
    )
    batch = StudentBatch.from_views(catalog, [v])
    codes = dict(zip(SKILLS, progression_states(batch, catalog, now=now)[0], strict=True))
    assert codes["add"] == Progression.MASTERED
    assert codes["sub"] == Progression.NEEDS_REVIEW  # mastered 90 days ago, recall faded
    assert codes["mul"] == Progression.STUCK  # 12 attempts, no progress
    assert codes["div"] == Progression.IN_PROGRESS  # high P but only 1 response: no false mastery
    assert codes["geo"] == Progression.NOT_STARTED
    table = progression_table(batch, catalog, now=now)
    assert set(table["state"]) == {"mastered", "needs_review", "stuck", "in_progress"}
    cfg = PolicyConfig(min_responses_mastered=1)
    assert (
        progression_states(batch, catalog, cfg, now=now)[0, SKILLS.index("div")]
        == Progression.MASTERED
    )


def test_one_slip_after_a_run_of_right_answers_is_not_stuck(catalog) -> None:
    """Twelve answers, the last one wrong, mastery still high: the skill waits for right answers
    (in progress), it is not wheel-spinning (the teacher is not told to step in)."""
    v = view({"add": 0.74}, {"add": 12}, streak=np.zeros(5, int), progress=np.full(5, -0.25))
    batch = StudentBatch.from_views(catalog, [v])
    assert progression_states(batch, catalog, now=100.0)[0, 0] == Progression.IN_PROGRESS
    low = view({"add": 0.3}, {"add": 12}, streak=np.zeros(5, int), progress=np.full(5, -0.25))
    stuck = progression_states(StudentBatch.from_views(catalog, [low]), catalog, now=100.0)
    assert stuck[0, 0] == Progression.STUCK  # low mastery and no progress still is


def test_a_views_counts_that_cannot_be_are_one_error(catalog) -> None:
    """A run of right answers longer than the skill's responses (or given without them), and
    text or booleans as counts, were taken without a word ("2" read as 2, True as 1)."""
    with pytest.raises(ConfigError, match=r"'add': 5 right answers in a row, but n_responses is 2"):
        StudentBatch.from_views(catalog, [view({"add": 0.9}, {"add": 2}, streak={"add": 5})])
    with pytest.raises(ConfigError, match="n_responses is 0"):
        StudentBatch.from_views(catalog, [view({"add": 0.9}, streak={"add": 1})])
    for bad in ({"add": "2"}, {"add": True}):
        own = StudentView("s1", None, {"add": 0.9}, n_responses=bad)
        with pytest.raises(ConfigError, match="is not a number"):
            StudentBatch.from_views(catalog, [own])
