"""Defects a policy researcher met in the policy's words: a readiness sentence that said "now
that you know X" of a skill the student never answered (known from the placement only)."""

from __future__ import annotations

import json

from adaptive.curriculum import Activity, Catalog, LearnerProfile, Skill
from adaptive.policy import AdaptivePolicy, PolicyConfig, StudentView

SKILLS = (
    Skill("observe", "Observation", grade=1),
    Skill("measure", "Measuring", ("observe",), grade=2),
)


def readiness_sentence(n_observe: int, observe: float | None = 0.95) -> str:
    """The sentence of a readiness-only policy's first pick for a grade-2 student who knows
    'observe' from n_observe answers: P = `observe` as the app's estimate, or (None) left
    unknown, so placed from their grade."""
    catalog = Catalog(SKILLS, (Activity("measure@0", "Measure it", ("measure",)),))
    config = PolicyConfig.default()
    weights = {t: 0.0 for t in config.weights}
    config = PolicyConfig.from_dict({**config.to_dict(), "weights": {**weights, "readiness": 1.0}})
    view = StudentView(
        "kid", LearnerProfile("kid", grade=2),
        {"measure": 0.1} if observe is None else {"observe": observe, "measure": 0.1},
        n_responses={"observe": n_observe},
    )  # fmt: skip
    recs = AdaptivePolicy(catalog, config).recommend(view, k=1, now=10.0)
    assert [r.activity_id for r in recs] == ["measure@0"]
    return recs[0].sentence


def test_a_prerequisite_known_from_answers_is_named_as_known() -> None:
    assert readiness_sentence(4) == "Measuring: you are ready for it now that you know Observation."


def test_a_prerequisite_known_from_the_placement_only_is_not_claimed_shown() -> None:
    text = readiness_sentence(0, observe=None)
    assert "now that you know" not in text
    assert text == (
        "Measuring: you are ready for it: it builds on Observation, which your placement counts "
        "as known."
    )


def placed_sentence(placement: str) -> str:
    """The readiness sentence for a student without a grade whose batch names `placement`."""
    import numpy as np

    from adaptive.policy import StudentBatch

    catalog = Catalog(SKILLS, (Activity("measure@0", "Measure it", ("measure",)),))
    config = PolicyConfig.default()
    weights = {t: 0.0 for t in config.weights}
    config = PolicyConfig.from_dict({**config.to_dict(), "weights": {**weights, "readiness": 1.0}})
    view = StudentView("kid", LearnerProfile("kid"), {"observe": 0.95, "measure": 0.1})
    batch = StudentBatch.from_views(catalog, [view], config)
    batch.placement = np.array([placement], dtype=object)
    batch.estimated = None  # its values the placement's, as a `batch_from_model` batch's
    return AdaptivePolicy(catalog, config).recommend_batch(batch, k=1, now=10.0)["sentence"][0]


def test_a_diagnosed_student_without_a_grade_is_told_their_placement_counts() -> None:
    """A student without a grade placed by the diagnostic was told the prerequisite is one
    "which your records or the model's starting estimate (your profile has no grade) count as
    known", while their placement said "placed by diagnostic (15 questions)"."""
    assert placed_sentence("placed by diagnostic (15 questions)") == (
        "Measuring: you are ready for it: it builds on Observation, which your placement counts "
        "as known."
    )
    for unplaced in ("", "population prior (no grade)"):
        assert "your profile has no grade" in placed_sentence(unplaced)


def test_explaining_a_skill_id_or_an_empty_id_says_what_explain_takes() -> None:
    catalog = Catalog(SKILLS, (Activity("measure@0", "Measure it", ("measure",)),))
    view = StudentView("kid", LearnerProfile("kid", grade=2), {"observe": 0.95})
    policy = AdaptivePolicy(catalog)
    why = policy.explain(view, "measure", now=10.0)
    assert why.status == "unknown"
    assert why.sentence == (
        "measure is a skill, not an activity: explain takes an activity id (this skill's: "
        "measure@0)."
    )
    assert "empty activity id" in policy.explain(view, "", now=10.0).sentence
    assert policy.explain(view, "nope", now=10.0).sentence == "nope is not in the catalog."
    # an ops trial: a misspelt activity had no suggestion (overrides give one)
    assert policy.explain(view, "Measure@0", now=10.0).sentence == (
        "Measure@0 is not in the catalog (did you mean measure@0?)."
    )


def test_policy_eval_scores_the_researchers_own_policy_file(tmp_path, capsys) -> None:
    """`policy-eval` had no `--policy`: a researcher could not compare their own weights
    against the baselines from the command line. Here one that ignores readiness and interest
    changes adaptive's figures (the same cohorts: paired), and a bad file is exit 2."""
    import pandas as pd
    from typer.testing import CliRunner

    from adaptive.cli import app, run

    own = tmp_path / "mine.toml"
    own.write_text(
        "mastery_threshold = 0.7\ntarget_p_correct = 0.75\n"
        "[weights]\nreadiness = 0.0\ninterest = 0.0\nexploration = 2.0\n"
    )
    args = [
        "policy-eval", "--students", "30", "--seeds", "1", "--activities", "5",
        "--simulators", "bkt", "--policies", "adaptive,random,curriculum-mastery,greedy-target",
        "--bootstrap", "20",
    ]  # fmt: skip
    runner = CliRunner()
    means = {}
    for extra, out in (([], "shipped"), (["--policy", str(own)], "mine")):
        res = runner.invoke(app, [*args, *extra, "--out", str(tmp_path / out)])
        assert res.exit_code == 0, res.output
        # a district's trial: the console's table called the scored row `adaptive` and named
        # no file (only the settings file did): it names the policy as `batch` does
        scored = "policy mine.toml" if extra else "policy shipped default"
        assert f"(gain@5; adaptive: {scored})" in " ".join(res.output.split())
        table = pd.read_csv(tmp_path / out / "policy_eval.csv")
        means[out] = table.set_index(["policy", "metric", "n_activities"])["mean"]
    # what adaptive chose moved (30 students, 5 activities: its skills gained alone may tie)
    assert not (means["shipped"]["adaptive"] == means["mine"]["adaptive"]).all()
    # an evaluation lead's trial: the file's thresholds moved the baselines too (curriculum-
    # mastery, greedy-target), so 'adaptive - baseline' could not be compared across files;
    # and nothing said which policy a table scored
    baselines = means["shipped"].drop("adaptive")
    pd.testing.assert_series_equal(baselines, means["mine"].drop("adaptive"))
    recorded = json.loads((tmp_path / "mine" / "policy_eval_settings.json").read_text())
    assert recorded["policy_source"].startswith("mine.toml (sha256 ")
    assert recorded["policy_config"]["mastery_threshold"] == 0.7
    bad = tmp_path / "bad.toml"
    bad.write_text("[weights]\nreadyness = 1.0\n")
    assert run([*args, "--policy", str(bad), "--out", str(tmp_path / "bad")]) == 2
    assert "readyness" in capsys.readouterr().err
