"""Training runs, registry, promotion and loading against a local SQLite store."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

import adaptive
from adaptive.data.log import ResponseLog
from adaptive.errors import ConfigError, CoverageWarning, DataValidationError, LeakageWarning
from adaptive.evaluation import auc
from adaptive.registry import PromotionRule, load_version, promote, train_model
from adaptive.registry.promotion import Improvement
from adaptive.registry.pyfunc_model import predict_in_input_order
from adaptive.registry.store import tracking
from adaptive.tracing.base import KnowledgeTracer

NAME = "test-district"


def all_recorded_text(uri: str) -> list[str]:
    """Every param/tag/metric key and value, version tag and artifact path in the store."""
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    texts: list[str] = []
    for exp in client.search_experiments():
        for run in client.search_runs([exp.experiment_id]):
            texts += [f"{k}={v}" for k, v in run.data.params.items()]
            texts += [f"{k}={v}" for k, v in run.data.tags.items()]
            texts += list(run.data.metrics)
            stack = [None]
            while stack:
                path = stack.pop()
                for f in client.list_artifacts(run.info.run_id, path):
                    texts.append(f.path)
                    if f.is_dir:
                        stack.append(f.path)
    for mv in client.search_model_versions(f"name = '{NAME}'"):
        texts += [f"{k}={v}" for k, v in mv.tags.items()]
    return texts


def test_lifecycle_promotes_only_better_models(
    small_log, make_log, student_prefix, sqlite_uri, tmp_path
):
    first = train_model("irt", small_log, registered_name=NAME, folds=3, tracking_uri=sqlite_uri)
    assert first.version == "1"
    assert 0.6 < first.metrics["auc"] < 1.0
    assert set(first.folds["fold"]) == {"0", "1", "2", "all"}

    decision = promote(NAME, first.version, small_log, tracking_uri=sqlite_uri)
    assert decision.promoted and decision.champion_version is None
    assert "first champion" in decision.reason

    # A model trained on shuffled labels is worse on the same held-out students: never promoted.
    noise = make_log(shuffle_labels=True)
    worse = train_model("irt", noise, registered_name=NAME, folds=3, tracking_uri=sqlite_uri)
    rejected = promote(NAME, worse.version, small_log, tracking_uri=sqlite_uri)
    assert not rejected.promoted
    assert rejected.candidate["auc"] < rejected.champion["auc"]
    client = MlflowClient(tracking_uri=sqlite_uri, registry_uri=sqlite_uri)
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "1"
    tags = client.get_model_version(NAME, worse.version).tags
    assert tags["promotion.decision"] == "rejected" and tags["promotion.reason"] == rejected.reason
    run = client.get_run(rejected.run_id)
    assert run.data.tags["decision"] == "rejected"
    assert run.data.metrics["champion_auc"] == pytest.approx(rejected.champion["auc"])

    # Retraining the same spec on the same data gives the same scores: not established (the
    # interval of a zero difference reaches 0), not promoted.
    again = train_model("irt", small_log, registered_name=NAME, folds=3, tracking_uri=sqlite_uri)
    same = promote(NAME, again.version, small_log, tracking_uri=sqlite_uri)
    assert not same.promoted and same.reason.startswith("not established"), same.reason

    # A champion loads as a KnowledgeTracer predicting exactly what was trained (the model in
    # memory knows its training students, a comparison here, not a score; the loaded one not).
    champion = adaptive.load_champion(NAME, tracking_uri=sqlite_uri)
    assert isinstance(champion, KnowledgeTracer)
    with pytest.warns(LeakageWarning):
        trained = first.model.predict_proba(small_log)
    np.testing.assert_allclose(champion.predict_proba(small_log), trained)

    # ... and as an MLflow pyfunc logged from code: no pickle among the model files.
    with tracking(sqlite_uri):
        pyfunc = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
        local = mlflow.artifacts.download_artifacts(
            f"models:/{NAME}/1", dst_path=str(tmp_path / "m")
        )
    shuffled = small_log.frame.sample(frac=0.2, random_state=1)
    with pytest.warns(LeakageWarning):  # as above: the model in memory, compared
        trained = predict_in_input_order(first.model, shuffled)
    np.testing.assert_allclose(pyfunc.predict(shuffled).to_numpy(), trained)
    files = [p.name for p in Path(local).rglob("*") if p.is_file()]
    assert "pyfunc_model.py" in files and "model.json" in files
    assert not any(f.endswith((".pkl", ".pickle", ".joblib")) for f in files), files

    # Student identifiers never reach MLflow (params, tags, metrics, artifact names).
    recorded = all_recorded_text(sqlite_uri)
    assert any("data_sha256" in t for t in recorded)
    leaks = [t for t in recorded if student_prefix in t]
    assert leaks == []


@pytest.mark.parametrize("answer", [0, 1])
def test_a_log_of_one_answer_is_refused_before_any_fit(small_log, answer, tmp_path):
    """A trial's percent scores loaded as their 0s alone (every non-0 score quarantined):
    `train` fitted it and registered a model of AUC nan. A training log whose every answer is
    the same is refused, naming the answer column, before any fit or run."""
    frame = small_log.frame.assign(correct=answer)
    one_kind = ResponseLog.from_frame(frame, source="zeros.csv")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with pytest.raises(DataValidationError) as info:
        train_model("irt", one_kind, registered_name=NAME, folds=3, tracking_uri=uri)
    (problem,) = info.value.problems
    assert problem.file == "zeros.csv" and problem.column == "correct"
    assert problem.value.endswith(
        f"training answers is {answer} ({'right' if answer else 'wrong'})"
    )
    assert "--correct-threshold" in problem.expected
    assert not (tmp_path / "mlflow.db").exists()


def test_training_run_records_fingerprint_and_evaluation(small_log, sqlite_uri):
    result = train_model("irt", small_log, folds=3, tracking_uri=sqlite_uri)
    run = MlflowClient(tracking_uri=sqlite_uri).get_run(result.run_id)
    params = run.data.params
    assert params["data_responses"] == str(len(small_log))
    assert params["data_students"] == str(small_log.n_students)
    assert params["data_start"].startswith("2026-09-01")
    assert params["spec"] == "irt" and params["folds"] == "3" and params["code_version"]
    for key in ("auc", "rmse", "logloss", "ece", "fold0_auc", "fold2_ece"):
        assert key in run.data.metrics
    names = {
        f.path
        for f in MlflowClient(tracking_uri=sqlite_uri).list_artifacts(result.run_id, "evaluation")
    }
    assert names == {
        "evaluation/metrics.csv",
        "evaluation/reliability.png",
        "evaluation/reliability.csv",
    }
    assert result.version is None


def established(gain: float, spread: float = 0.0005) -> Improvement:
    """An improvement of `gain` with a 95% interval of +-`spread` (as the bootstrap gives)."""
    return Improvement("auc", gain, gain - spread, gain + spread, 500, 1000)


def test_promotion_rule_never_promotes_worse():
    rule = PromotionRule(metric="auc", margin=0.002, calibration_tolerance=0.01)
    champ = {"auc": 0.75, "ece": 0.02, "logloss": 0.55, "rmse": 0.43, "accuracy": 0.7}
    vs_constant = established(0.14)

    def decide(candidate, gain, champion=champ, rule=rule, vs_constant=vs_constant):
        return rule.decide(candidate, champion, 0.69, vs_constant, established(gain))

    assert not decide({**champ, "auc": 0.749}, -0.001)[0]
    assert not decide({**champ, "auc": 0.751}, 0.001)[0]  # inside the margin
    assert not decide({**champ, "auc": 0.76, "ece": 0.05}, 0.01)[0]  # worse calibration
    assert decide({**champ, "auc": 0.76, "ece": 0.025}, 0.01)[0]
    assert not rule.decide({**champ, "auc": 0.52}, None, 0.69, vs_constant)[0]  # below the bar
    # no better than constant: the log-loss gain's interval reaches 0
    assert not rule.decide({**champ, "logloss": 0.70}, None, 0.69, established(-0.01))[0]
    assert not rule.decide({**champ, "logloss": 0.68}, None, 0.69, established(0.01, 0.02))[0]
    lower = PromotionRule(metric="rmse", margin=0.001)
    assert decide({**champ, "rmse": 0.42}, 0.01, rule=lower)[0]
    assert not decide({**champ, "rmse": 0.44}, -0.01, rule=lower)[0]
    assert "(improvement +0.0000, 95%" in decide(champ, 0.0, rule=lower)[1]  # not -0.0000


def test_a_champion_without_its_comparison_is_refused_not_decided_as_a_first_champion():
    """decide(candidate, champion, ...) with over_champion left out promoted a 0.60 candidate
    over a 0.90 champion, as a "first champion"."""
    rule = PromotionRule()
    champ = {"auc": 0.90, "ece": 0.02, "logloss": 0.40, "rmse": 0.35, "accuracy": 0.85}
    cand = {**champ, "auc": 0.60, "logloss": 0.65}
    with pytest.raises(TypeError, match="champion was given without over_champion"):
        rule.decide(cand, champ, 0.69, established(0.04))
    promoted, reason = rule.decide(cand, champ, 0.69, established(0.04), established(-0.30))
    assert not promoted and reason.startswith("worse: auc 0.6000 vs champion 0.9000")
    assert rule.decide(cand, None, 0.69, established(0.04))[1].startswith("first champion")


def test_a_candidate_below_the_bar_is_also_said_against_the_champion():
    """A trial's worse candidate (AUC 0.5434, champion 0.6921) read only "below the minimum
    bar", with no comparison; the MLflow run had logged its -0.149 [-0.166, -0.132]."""
    rule = PromotionRule()
    champ = {"auc": 0.6921, "ece": 0.02, "logloss": 0.60, "rmse": 0.45, "accuracy": 0.7}
    cand = {**champ, "auc": 0.5434, "logloss": 0.68}
    worse = Improvement("auc", -0.149, -0.166, -0.132, 240, 1000)
    promoted, reason = rule.decide(cand, champ, 0.69, established(0.01), worse)
    assert not promoted and reason.startswith(
        "below the minimum bar: AUC 0.5434 < 0.55; against the champion, worse:"
    )
    assert "-0.1490, 95% interval -0.1660 to -0.1320" in reason


def test_a_gain_above_the_margin_that_the_students_do_not_establish_is_not_promoted():
    """The trial's case: +0.0016 AUC over the champion on 527 students, margin 0.001, while
    one model's AUC moves by +-0.005 from one draw of students to another."""
    rule = PromotionRule()
    champ = {"auc": 0.7289, "ece": 0.02, "logloss": 0.55, "rmse": 0.43, "accuracy": 0.7}
    cand = {**champ, "auc": 0.7304}
    noisy = Improvement("auc", 0.0016, -0.0009, 0.0041, 527, 1000)
    promoted, reason = rule.decide(cand, champ, 0.69, established(0.14), noisy)
    assert not promoted
    assert reason.startswith("not established: auc 0.7304 vs champion 0.7289")
    assert "+0.0016, 95% interval -0.0009 to +0.0041 over 527 held-out students" in reason
    assert "below the margin 0.001" in reason
    sure = Improvement("auc", 0.0016, 0.0011, 0.0021, 527, 1000)
    promoted, reason = rule.decide(cand, champ, 0.69, established(0.14), sure)
    assert promoted and "lower end +0.0011 >= margin 0.001" in reason


def test_the_verdict_is_read_from_the_interval_not_from_the_point_estimates_sign():
    """The trial's case: -0.0077 AUC with a 95% interval of -0.0299 to +0.0102 was called
    "not better" while +0.0084 in [-0.0151, +0.0260] was "not established": both intervals
    span 0, so neither is established; "worse" only where the whole interval is below 0."""
    rule = PromotionRule()
    champ = {"auc": 0.6879, "ece": 0.02, "logloss": 0.58, "rmse": 0.44, "accuracy": 0.7}
    for gain in (
        Improvement("auc", -0.0077, -0.0299, 0.0102, 166, 1000),
        Improvement("auc", 0.0084, -0.0151, 0.0260, 166, 1000),
        Improvement("auc", 0.0, 0.0, 0.0, 166, 1000),  # the same predictions: no difference
        Improvement("auc", 0.0006, 0.0002, 0.0011, 166, 1000),  # above 0, not by the margin
    ):
        cand = {**champ, "auc": champ["auc"] + gain.estimate}
        promoted, reason = rule.decide(cand, champ, 0.69, established(0.1), gain)
        assert not promoted
        assert reason.startswith("not established: auc"), reason
        assert f"lower end {gain.low:+.4f} is below the margin 0.001" in reason
    below = Improvement("auc", -0.0077, -0.0199, -0.0002, 166, 1000)
    promoted, reason = rule.decide({**champ, "auc": 0.6802}, champ, 0.69, established(0.1), below)
    assert not promoted and reason.startswith("worse: auc 0.6802 vs champion 0.6879"), reason
    assert "upper end -0.0002 is below 0" in reason


def test_the_gate_bootstraps_the_held_out_students_paired():
    """Two models' predictions of the same answers: a small gain from noise is not
    established, a real one is; the same seed gives the same interval."""
    rng = np.random.default_rng(4)
    student = np.repeat(np.arange(500), 40)
    ability = rng.normal(0, 1, 500)[student]
    y = (rng.random(len(student)) < 1 / (1 + np.exp(-ability))).astype(float)
    champion = 1 / (1 + np.exp(-(ability + rng.normal(0, 1.5, len(y)))))
    noise = np.clip(champion + rng.normal(0, 0.01, len(y)), 0, 1)
    better = 1 / (1 + np.exp(-(ability + rng.normal(0, 1.0, len(y)))))

    def gain(p, seed=0):
        point = auc(y, p) - auc(y, champion)
        return Improvement.measure(
            "auc", y, p, champion, student, replicates=1000, seed=seed, estimate=point
        )

    by_noise, by_skill = gain(noise), gain(better)
    assert by_noise.low < 0 < by_noise.high and by_noise.students == 500
    assert by_skill.low > 0.01
    assert gain(noise) == by_noise and gain(noise, seed=1) != by_noise


def test_load_champion_without_champion_is_a_clear_error(sqlite_uri):
    with tracking(sqlite_uri):  # a store, without the model
        pass
    with pytest.raises(adaptive.errors.ArtifactError, match="no alias @champion"):
        load_version("nobody", alias="champion", tracking_uri=sqlite_uri)


def test_promotion_decision_is_json_friendly(small_log, sqlite_uri):
    result = train_model("irt", small_log, registered_name=NAME, folds=2, tracking_uri=sqlite_uri)
    decision = promote(NAME, result.version, small_log, tracking_uri=sqlite_uri)
    json.dumps(decision.to_dict())


def test_a_candidate_that_knows_new_catalog_skills_is_told_how_to_promote_it(small_log, sqlite_uri):
    """A data steward's trial: retrained for a new catalog version (its new skills have no
    answers yet), the candidate scored the champion's AUC and "not better" said no more, while
    the champion left the new skills untraced every night. The difference is said once: the
    warning counts the new skills, the reason names them (it counted them a second time)."""
    from adaptive.curriculum import Catalog, Skill

    name = "new-catalog-skills"
    first = train_model("bkt", small_log, registered_name=name, folds=2, tracking_uri=sqlite_uri)
    assert promote(name, first.version, small_log, tracking_uri=sqlite_uri).promoted
    catalog = Catalog(
        tuple(Skill(s) for s in small_log.skills)
        + (Skill("skill-new", prerequisites=("skill-0",)),)
    )
    second = train_model(
        "bkt", small_log, registered_name=name, folds=2, tracking_uri=sqlite_uri, catalog=catalog
    )
    with pytest.warns(CoverageWarning) as warned:
        decision = promote(name, second.version, small_log, tracking_uri=sqlite_uri)
    assert not decision.promoted
    (note,) = [str(w.message) for w in warned if "compared on all of them" in str(w.message)]
    assert "they share 6 (1 new in the candidate, 0 of the champion's missing" in note
    assert "skill-new" not in note
    assert "the candidate's new skills ('skill-new') may have no answers yet" in decision.reason
    assert "`--margin 0` promotes" in decision.reason
    assert "new in the candidate" not in decision.reason and "1 skill" not in decision.reason


def test_new_skills_given_where_not_needed_is_said_once_and_the_models_compare() -> None:
    """`--new-skills` for models that share their skills is said to be not needed (alone for
    the same skills, after the counts for a catalog that grew); nothing for the same skills
    without it."""
    from adaptive.registry.promotion import SkillOverlap, _skill_note

    unneeded = (
        "--new-skills is not needed for models that share most of their skills: compared as usual"
    )
    same = SkillOverlap("2", "1", 6, 6, 6, 100, 1.0, 1.0)
    assert _skill_note(same, new_skills=False) is None
    assert _skill_note(same, new_skills=True) == unneeded
    grown = SkillOverlap("2", "1", 7, 6, 6, 100, 1.0, 1.0, ("skill-new",))
    assert _skill_note(grown, new_skills=False).endswith("1 new in the candidate, 0 of the "
        "champion's missing from it); the champion knows the skills of 100% of the promotion "
        "data's 100 held-out responses, the candidate of 100%: compared on all of them")  # fmt: skip
    assert _skill_note(grown, new_skills=True) == f"{_skill_note(grown, False)}; {unneeded}"


@pytest.fixture(scope="module")
def store_uri(tmp_path_factory) -> str:
    """One SQLite store for the promotion-safety tests below (each its own registered model):
    a new store costs seconds of MLflow's table migrations."""
    return f"sqlite:///{tmp_path_factory.mktemp('promotion-store') / 'mlflow.db'}"


def other_district(log):
    """`log` as another district's export: the same answers, every skill and item named
    otherwise (ASSISTments 2009 for a district on ASSISTments 2017 skills)."""
    frame = log.frame.copy()
    frame["skill_ids"] = [[f"other-{s}" for s in ids] for ids in frame["skill_ids"]]
    frame["item_id"] = "other-" + frame["item_id"]
    return ResponseLog.from_frame(frame)


def test_a_candidate_of_another_skill_vocabulary_is_refused_unless_new_skills(small_log, store_uri):
    """A district data scientist's trial: a model trained on another district's log (no skill
    in common with the champion's) was PROMOTED, the champion having been scored on skills it
    never saw; the next night failed ("the model knows none of the catalog's 93 skills")."""
    name = "vocabulary"
    first = train_model("irt", small_log, registered_name=name, folds=2, tracking_uri=store_uri)
    assert promote(name, first.version, small_log, tracking_uri=store_uri).promoted
    other = other_district(small_log)
    foreign = train_model("irt", other, registered_name=name, folds=2, tracking_uri=store_uri)
    with pytest.raises(ConfigError) as refused:
        promote(name, foreign.version, other, tracking_uri=store_uri)
    message = str(refused.value)
    assert "the candidate v2 was fitted on 6 skills and the champion v1 on 6, they share none" in (
        message
    )
    assert "the champion knows the skills of 0% of the promotion data's" in message
    assert "--skill-col / --item-col" in message and "--new-skills" in message
    # the champion's own data: the candidate knows none of it, a score there means nothing
    with pytest.raises(ConfigError, match="the candidate v2 knows the skills of 0% of the"):
        promote(name, foreign.version, small_log, tracking_uri=store_uri)
    client = MlflowClient(tracking_uri=store_uri, registry_uri=store_uri)
    assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
    # on purpose: a model of a new catalog replaces the champion, above the first-champion bar
    replaced = promote(name, foreign.version, other, tracking_uri=store_uri, new_skills=True)
    assert replaced.promoted and replaced.champion is None and replaced.champion_version == "1"
    assert replaced.reason.startswith("new skills (--new-skills): replaces champion v1 without")
    assert str(client.get_model_version_by_alias(name, "champion").version) == "2"
    too_strict = PromotionRule(min_auc=0.99)
    third = train_model("irt", small_log, registered_name=name, folds=2, tracking_uri=store_uri)
    below = promote(name, third.version, small_log, rule=too_strict, tracking_uri=store_uri,
                    new_skills=True)  # fmt: skip
    assert not below.promoted and "below the minimum bar: AUC" in below.reason


def test_a_catalog_that_grew_a_skill_compares_as_usual_with_a_warning(small_log, store_uri):
    """Partial overlap (a skill the champion was not fitted on) is no other vocabulary: the two
    are compared on the same students, and a warning gives the counts."""
    name = "grown"
    rows, codes = small_log.exploded()
    on_skill_5 = rows[np.asarray(small_log.skills[codes]) == "skill-5"]
    without = small_log.take_rows(~np.isin(np.arange(len(small_log)), on_skill_5))
    first = train_model("irt", without, registered_name=name, folds=2, tracking_uri=store_uri)
    assert promote(name, first.version, small_log, tracking_uri=store_uri).promoted
    grown = train_model("irt", small_log, registered_name=name, folds=2, tracking_uri=store_uri)
    with pytest.warns(CoverageWarning, match="they share 5 \\(1 new in the candidate, 0 of"):
        decision = promote(name, grown.version, small_log, tracking_uri=store_uri)
    assert decision.champion is not None and decision.champion_version == "1"
    assert decision.skill_note and "compared on all of them" in decision.skill_note
    run = MlflowClient(tracking_uri=store_uri).get_run(decision.run_id).data
    assert run.params["shared_skills"] == "5" and run.metrics["candidate_covered"] == 1.0
    assert 0.5 < run.metrics["champion_covered"] < 1.0


def test_the_rule_a_decision_was_made_under_is_on_the_version(small_log, store_uri):
    """The trial's v5 was not established on logloss, and an identical copy v6 then promoted on
    rmse with --calibration-tolerance 0.05: the versions' tags did not say which metric or
    tolerance each decision used (only the run's params did)."""
    name = "ruled"
    first = train_model("irt", small_log, registered_name=name, folds=2, tracking_uri=store_uri)
    rule = PromotionRule(metric="rmse", calibration_tolerance=0.05)
    promote(name, first.version, small_log, rule=rule, tracking_uri=store_uri)
    tags = MlflowClient(tracking_uri=store_uri).get_model_version(name, first.version).tags
    assert tags["promotion.metric"] == "rmse"
    assert tags["promotion.calibration_tolerance"] == "0.05"
    assert tags["promotion.margin"] == "0.001" and tags["promotion.min_auc"] == "0.55"
    champ = {"auc": 0.69, "ece": 0.0105, "logloss": 0.58, "rmse": 0.4421, "accuracy": 0.7}
    cand = {**champ, "rmse": 0.4368, "ece": 0.0283}
    gain = Improvement("rmse", 0.0053, 0.0014, 0.0095, 166, 1000)
    promoted, reason = rule.decide(cand, champ, 0.69, established(0.1), gain)
    assert promoted and reason.endswith("ECE 0.0283 vs 0.0105, within the tolerance 0.05"), reason


def untraced_warnings(caught) -> list[str]:
    """The messages of `caught` warnings about held-out responses on skills not fitted on."""
    return [str(w.message) for w in caught if "fitted on" in str(w.message)]


def test_a_skill_neither_model_was_fitted_on_is_said_once_naming_both(
    small_log, store_uri, student_prefix
):
    """The trial's promote said "predict_proba: 4 responses on a skill the model was not fitted
    on ..." twice word for word (once per model, neither named), advising `adaptive train
    --catalog`. Now once for both, named, saying what the comparison does with them."""
    name = "unfitted"
    rows, codes = small_log.exploded()
    on_skill_5 = rows[np.asarray(small_log.skills[codes]) == "skill-5"]
    without = small_log.take_rows(~np.isin(np.arange(len(small_log)), on_skill_5))
    first = train_model("irt", without, registered_name=name, folds=2, tracking_uri=store_uri)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert promote(name, first.version, small_log, tracking_uri=store_uri).promoted
    (alone,) = untraced_warnings(caught)
    assert "on a skill candidate v1 was not fitted on ('skill-5')" in alone, alone
    assert "candidate v1 predicts them from its defaults" in alone
    again = train_model("pfa", without, registered_name=name, folds=2, tracking_uri=store_uri)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        decision = promote(name, again.version, small_log, tracking_uri=store_uri)
    assert decision.champion_version == "1"
    (both,) = untraced_warnings(caught)
    held = int(decision.candidate["n_responses"])
    assert f"of the {held:,} held-out responses are on a skill neither candidate v2 nor " in both
    assert "champion v1 was fitted on ('skill-5')" in both
    assert "both models predict them from their defaults" in both
    assert "counted in both models' scores" in both
    assert "--catalog" not in both and "predict_proba" not in both
    assert student_prefix not in both


def test_models_that_lack_different_skills_are_each_named_with_theirs():
    """Where the two models lack different skills, a sentence for each, naming it."""
    from adaptive.registry.promotion import untraced_notes
    from adaptive.tracing.base import Untraced

    notes = untraced_notes(
        1000,
        [
            ("candidate v7", Untraced(4, ("fractions",)), ["decimals"]),
            ("champion v6", Untraced(9, ("a", "b")), ["decimals"]),
        ],
    )
    assert notes == [
        "4 of the 1,000 held-out responses are on a skill candidate v7 was not fitted on "
        "('fractions'): candidate v7 predicts them from its defaults, having no parameters "
        "for it, and they are counted in its score like the others",
        "9 of the 1,000 held-out responses are on 2 skills champion v6 was not fitted on "
        "('a', 'b'): champion v6 predicts them from its defaults, having no parameters "
        "for them, and they are counted in its score like the others",
    ]
    nothing = [("candidate v7", Untraced(), ["a"]), ("champion v6", Untraced(), ["a"])]
    assert untraced_notes(1000, nothing) == []


@pytest.fixture
def three_versions(make_log, store_uri, request, monkeypatch):
    """A model named after the test, with v1 (shuffled labels) as champion and two better
    candidates, v2 and v3; the process's tracking URI is the store's, and so are
    MLFLOW_TRACKING_URI and MLFLOW_REGISTRY_URI until the test ends: two threads' `tracking`
    blocks, interleaved, restore them to what the other set (they leaked into later tests, whose
    clients then looked their models up in this store)."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store_uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", store_uri)
    name = request.node.name.removeprefix("test_")
    noise = train_model("irt", make_log(shuffle_labels=True), registered_name=name, folds=2,
                        tracking_uri=store_uri)  # fmt: skip
    client = MlflowClient(tracking_uri=store_uri, registry_uri=store_uri)
    client.set_registered_model_alias(name, "champion", noise.version)
    for seed in (0, 1):
        train_model("irt", make_log(seed=seed), registered_name=name, folds=2,
                    tracking_uri=store_uri)  # fmt: skip
    mlflow.set_tracking_uri(store_uri)
    yield name, client
    mlflow.set_tracking_uri(None)


def weaker_version(name: str, make_log, store_uri: str) -> str:
    """A fourth version, IRT fitted on a log with half its answers shuffled: better than v1
    (all shuffled) and worse than v2 (none) by margins the held-out students establish. v3
    beating v2 (IRT on two samples of one district) was noise, which the gate does not promote."""
    frame = make_log(seed=3).frame.copy()
    rng = np.random.default_rng(0)
    half = rng.random(len(frame)) < 0.5
    frame.loc[half, "correct"] = rng.permutation(frame.loc[half, "correct"].to_numpy())
    return train_model("irt", ResponseLog.from_frame(frame), registered_name=name, folds=2,
                       tracking_uri=store_uri).version  # fmt: skip


def move_champion_when_the_run_starts(monkeypatch, client, name: str, version: str) -> None:
    """Another promote, a rollback or the MLflow UI moves `name`'s champion to `version` while
    a promote or rollback runs: when it starts its run in `adaptive-promotion` (`mlflow.
    start_run`), after it read the champion (and compared with it), before it moves the alias."""
    start_run = mlflow.start_run

    def moved_meanwhile(*args, **kwargs):
        client.set_registered_model_alias(name, "champion", version)
        return start_run(*args, **kwargs)

    monkeypatch.setattr(mlflow, "start_run", moved_meanwhile)


def test_a_champion_moved_while_promote_ran_is_not_replaced(
    small_log, store_uri, three_versions, monkeypatch
):
    """A district data scientist's trial: two promotes at once both printed PROMOTED, and the
    last to finish became champion without being compared with the first's winner. A champion
    that moved between the comparison and the move (here through the registry, as another
    promote through a server would) is not replaced: one error, nothing moved, the decision
    withdrawn on the run and the candidate's version."""
    from adaptive.registry import promotion

    name, client = three_versions
    with monkeypatch.context() as patched:
        move_champion_when_the_run_starts(patched, client, name, "3")
        with pytest.raises(promotion.ChampionChangedError) as changed:
            promote(name, "2", small_log, tracking_uri=store_uri)
    assert str(changed.value) == (
        f"the champion of {name!r} changed to v3 while this promote ran (it read v1); v2 was "
        "not made champion: run promote again to compare with it"
    )
    assert str(client.get_model_version_by_alias(name, "champion").version) == "3"
    tags = client.get_model_version(name, "2").tags
    assert tags["promotion.decision"] == "withdrawn"
    assert tags["promotion.reason"] == str(changed.value)
    (run,) = client.search_runs(
        [client.get_experiment_by_name("adaptive-promotion").experiment_id],
        filter_string=f"tags.mlflow.runName = 'promote-{name}-v2'",
    )
    assert run.data.tags["decision"] == "withdrawn"
    client.set_model_version_tag(name, "1", promotion.WAS_CHAMPION, "a run")
    client.set_registered_model_alias(name, "champion", "2")
    move_champion_when_the_run_starts(monkeypatch, client, name, "3")
    with pytest.raises(promotion.ChampionChangedError, match="changed to v3 while this rollback"):
        promotion.rollback(name, "1", "v2 misbehaved", tracking_uri=store_uri)
    assert str(client.get_model_version_by_alias(name, "champion").version) == "3"


def test_a_champion_moved_back_after_a_promotes_move_is_said_so(store_uri, three_versions):
    """A re-read of the mends: a promote that had moved the alias to v3 and then found it back
    on v1, the champion it read, said "changed to v1 ... (it read v1)". It now says what it
    did, and what was done since."""
    from adaptive.registry import promotion

    name, client = three_versions  # the alias is on v1
    run_id = client.create_run("0").info.run_id
    with pytest.raises(promotion.ChampionChangedError) as moved:
        promotion._check_champion_unchanged(
            client, name, "1", "2", run_id, "promote", placed="3"
        )  # fmt: skip
    assert str(moved.value) == (
        f"the champion of {name!r} was moved back to v1 (a rollback, the MLflow UI or a promote "
        "that gave up) after this promote moved it to v3; v2 was not promoted: run promote again"
    )
    assert client.get_model_version(name, "2").tags["promotion.decision"] == "withdrawn"


def test_a_rollback_ends_the_round_its_target_was_beaten_in(small_log, store_uri, three_versions):
    """Promotes converge on the best version that passed the same gate (the champion beaten,
    metric, held-out students). After a rollback to v1, the version rolled back from passed a
    gate against v1 on the same students: it must not come back as the next promote's "better
    contender" of a round the operator ended."""
    from adaptive.registry import promotion

    name, client = three_versions
    assert promote(name, "2", small_log, tracking_uri=store_uri).promoted
    assert client.get_model_version(name, "2").tags["promotion.gate"].startswith("against v1; ")
    client.set_model_version_tag(name, "2", "promotion.gate_value", "1.0")  # better than any
    client.set_model_version_tag(name, "1", promotion.WAS_CHAMPION, "a run")
    promotion.rollback(name, "1", "v2 misbehaved", tracking_uri=store_uri)
    assert client.get_model_version(name, "2").tags["promotion.gate_until"] == "ended"
    decision = promote(name, "3", small_log, tracking_uri=store_uri)
    assert decision.promoted and decision.champion_version == "1"
    assert str(client.get_model_version_by_alias(name, "champion").version) == "3"


def test_promoting_the_champion_again_leaves_its_record_for_a_rollback(
    small_log, make_log, store_uri, three_versions
):
    """A data scientist's trial: a second promote of the champion retagged it "rejected"
    ("already the champion"), so that the registry showed the serving model as rejected and a
    later rollback to it was refused as "never promoted". The no-op is recorded on its run
    only; the champion keeps the tags of its own promotion."""
    from adaptive.registry import promotion

    name, client = three_versions
    weak = weaker_version(name, make_log, store_uri)
    assert promote(name, weak, small_log, tracking_uri=store_uri).promoted
    before = client.get_model_version(name, weak).tags
    again = promote(name, weak, small_log, tracking_uri=store_uri)
    assert not again.promoted and "already the champion" in again.reason
    assert client.get_model_version(name, weak).tags == before
    assert client.get_run(again.run_id).data.tags["decision"] == "rejected"
    assert promote(name, "2", small_log, tracking_uri=store_uri).promoted
    promotion.rollback(name, weak, "v2 misbehaved", tracking_uri=store_uri)
    assert str(client.get_model_version_by_alias(name, "champion").version) == weak


def test_a_former_champion_scored_again_and_rejected_can_still_be_rolled_back_to(
    small_log, make_log, store_uri, three_versions
):
    """A re-read of the mends: before rolling back, an operator scores the former champion
    (here the weaker v4) again against the misbehaving v2; v4 is rejected (v2 is better on the
    data), and that
    decision replaced v2's "promoted", so the rollback was refused as "never promoted". That a
    version was champion is its own tag, which a later decision leaves."""
    from adaptive.registry import promotion

    name, client = three_versions
    weak = weaker_version(name, make_log, store_uri)
    first = promote(name, weak, small_log, tracking_uri=store_uri)
    assert first.promoted
    assert promote(name, "2", small_log, tracking_uri=store_uri).promoted
    again = promote(name, weak, small_log, tracking_uri=store_uri)
    assert not again.promoted and again.reason.startswith("worse"), again.reason
    tags = client.get_model_version(name, weak).tags
    assert tags["promotion.decision"] == "rejected"
    assert tags[promotion.WAS_CHAMPION] == first.run_id
    promotion.rollback(name, weak, "v2 misbehaved", tracking_uri=store_uri)
    assert str(client.get_model_version_by_alias(name, "champion").version) == weak


def test_a_promote_that_fails_before_the_alias_moves_leaves_no_promoted_tag(
    small_log, store_uri, three_versions, monkeypatch
):
    """The candidate's `promotion.decision=promoted` tag was written before the champion was
    re-checked and moved: a promote refused or failing in between (here the server fails at
    the move) left a version tagged "promoted" that never became champion, and `rollback`,
    which trusts that tag, then made it champion without any comparison."""
    from adaptive.registry import promotion

    name, client = three_versions
    make_v2_fail_at_the_move(monkeypatch, client, name, small_log, store_uri)
    assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
    tags = client.get_model_version(name, "2").tags
    assert "promotion.decision" not in tags and tags["promotion.reason"].startswith("better")
    with pytest.raises(ConfigError, match="v2 was never promoted"):
        promotion.rollback(name, "2", "v1 misbehaved", tracking_uri=store_uri)
    decision = promote(name, "2", small_log, tracking_uri=store_uri)
    assert decision.promoted
    assert client.get_model_version(name, "2").tags["promotion.decision"] == "promoted"
    assert client.get_run(decision.run_id).data.tags["decision"] == "promoted"


def make_v2_fail_at_the_move(monkeypatch, client, name: str, small_log, store_uri: str) -> None:
    """Promote v2 (better than champion v1) with the server failing at the alias move: v2 passed
    the gate, so it was tagged a contender, then its promote failed."""

    def server_fails(*args, **kwargs):
        raise RuntimeError("the server went away")

    with monkeypatch.context() as patched:
        patched.setattr(MlflowClient, "set_registered_model_alias", server_fails)
        with pytest.raises(RuntimeError, match="went away"):
            promote(name, "2", small_log, tracking_uri=store_uri)


@pytest.mark.parametrize("end", ["failed", "killed"])
def test_a_failed_promotes_candidate_is_no_contender_of_a_later_promote(
    small_log, store_uri, three_versions, monkeypatch, end
):
    """Promotes through a server converge on the best version that passed the same gate, and
    the gate tags stayed for ever: v2's promote failed at the alias move, and a later promote of
    v3 made v2 champion (no decision tag, so `rollback` refused to return to it) and recorded
    v3 "superseded" by a promote "that ran at the same time". A promote's candidate now counts
    only while its round lasts: a failed promote ends it at once, a killed one's lease lapses."""
    from datetime import UTC, datetime, timedelta

    from adaptive.registry import promotion

    name, client = three_versions
    with monkeypatch.context() as patched:
        if end == "killed":  # no `finally` ran: its tags stay until their lease lapses
            patched.setattr(promotion.Contender, "leave", lambda self: None)
        make_v2_fail_at_the_move(patched, client, name, small_log, store_uri)
    client.set_model_version_tag(name, "2", "promotion.gate_value", "1.0")  # better than any
    if end == "killed":
        lapsed = datetime.now(UTC) - timedelta(seconds=1)
        client.set_model_version_tag(name, "2", "promotion.gate_until", lapsed.isoformat())
    decision = promote(name, "3", small_log, tracking_uri=store_uri)
    assert decision.promoted and decision.reason.startswith("better")
    assert str(client.get_model_version_by_alias(name, "champion").version) == "3"
    tags = client.get_model_version(name, "2").tags
    assert "promotion.decision" not in tags
    if end == "failed":
        assert tags["promotion.gate_until"] == "ended"


def test_a_promote_that_fails_after_its_move_takes_the_alias_back(
    small_log, store_uri, monkeypatch
):
    """A first champion's promote moved the alias, then failed to record its decision: the
    version stayed champion with no `promotion.decision` (a champion `rollback` cannot return
    to). The alias is now taken back to where it was: here, no champion."""
    from adaptive.registry import promotion

    name = "first-champion-fails"
    first = train_model("irt", small_log, registered_name=name, folds=2, tracking_uri=store_uri)

    def fails(*args, **kwargs):
        raise RuntimeError("the server went away")

    monkeypatch.setattr(promotion, "_record_decision", fails)
    with pytest.raises(RuntimeError, match="went away"):
        promote(name, first.version, small_log, tracking_uri=store_uri)
    client = MlflowClient(tracking_uri=store_uri, registry_uri=store_uri)
    assert "champion" not in client.get_registered_model(name).aliases
    assert client.get_model_version(name, first.version).tags["promotion.gate_until"] == "ended"


def test_a_promote_that_gives_up_records_it_and_puts_the_champion_back(
    small_log, store_uri, three_versions, monkeypatch
):
    """A promote that moved the alias to its candidate, then ran out of moves (contenders kept
    arriving), raised and recorded nothing: the champion stayed on a version with no decision.
    Now it is withdrawn on the run and the version, and the alias settles without it: on the
    better contender v3, whose promote runs (with none, on the champion compared with)."""
    from adaptive.registry import promotion

    name, client = three_versions
    move = MlflowClient.set_registered_model_alias

    def a_better_contender_arrives(self, model, alias, version):
        move(self, model, alias, version)
        if version != "2":
            return
        gate = client.get_model_version(name, version).tags["promotion.gate"]
        tags = {"promotion.gate": gate, "promotion.gate_value": "1.0"}
        for key, value in (tags | {"promotion.gate_until": "2999-01-01T00:00:00+00:00"}).items():
            client.set_model_version_tag(name, "3", key, value)  # v3's promote is running

    monkeypatch.setattr(promotion, "MAX_MOVES", 1)
    monkeypatch.setattr(MlflowClient, "set_registered_model_alias", a_better_contender_arrives)
    with pytest.raises(promotion.ChampionChangedError) as gave_up:
        promote(name, "2", small_log, tracking_uri=store_uri)
    assert str(client.get_model_version_by_alias(name, "champion").version) == "3"
    tags = client.get_model_version(name, "2").tags
    assert tags["promotion.decision"] == "withdrawn"
    assert f"the champion of {name!r} did not settle" in str(gave_up.value)
    assert tags["promotion.reason"] == str(gave_up.value)
    assert tags["promotion.gate_until"] == "ended"
    run = client.get_run(tags["promotion.run_id"]).data
    assert run.tags["decision"] == "withdrawn" and run.tags["reason"] == str(gave_up.value)


def test_a_promote_leaving_its_round_settles_the_alias_as_one_converging_does(
    store_uri, three_versions, monkeypatch
):
    """A re-read of the mends: a promote leaving its round (B, whose candidate v3 it had made
    champion, failed to record its decision) read the alias once, then put back the champion
    it compared with. Between the two, A (v2, better, the same gate) read its contenders, v3
    still among them, moved the alias to v2, read it there and reported PROMOTED; B's write
    then put v1 back, which nobody decided. Leaving now reads again after each write, as
    converging does, so the alias ends on the best contender still counting: v2."""
    import threading

    from adaptive.registry import promotion

    name, client = three_versions
    gate = promotion.Gate("1", "auc", "the same held-out students")

    def contender(version: str, value: float) -> promotion.Contender:
        """The version's promote, having passed `gate` with `value` and tagged so."""
        run_id = client.create_run("0").info.run_id
        for key, tag in gate.tags(value).items():
            client.set_model_version_tag(name, version, key, tag)
        return promotion.Contender(client, name, gate, version, value, run_id)

    b = contender("3", 0.8)
    assert b.converge() == ("3", 0.8)  # B made v3 champion, then fails to record it
    a = contender("2", 0.9)
    read, errors = promotion._champion, []
    b_read, a_done = threading.Event(), threading.Event()

    def b_leaves():
        try:
            b.leave()
        except Exception as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    leaving = threading.Thread(target=b_leaves)

    def scripted(*args):
        """A's first read of the alias comes after its contenders (v3 among them) and after
        B's read of the alias; B's next step (its write) waits until A has converged."""
        if threading.current_thread() is leaving:
            now = read(*args)
            b_read.set()
            assert a_done.wait(60)
            return now
        if not leaving.is_alive() and not b_read.is_set():
            leaving.start()
            assert b_read.wait(60)
        return read(*args)

    monkeypatch.setattr(promotion, "_champion", scripted)
    try:
        assert a.converge() == ("2", 0.9)  # A records v2 promoted
    finally:
        a_done.set()
        leaving.join(60)
    assert not errors
    assert str(client.get_model_version_by_alias(name, "champion").version) == "2"
    assert client.get_model_version(name, "3").tags["promotion.gate_until"] == "ended"


def test_two_promotes_at_once_wait_for_each_other(
    small_log, store_uri, three_versions, monkeypatch
):
    """The trial's race, as two runs against the local store: the second waits for the first
    (its lock), then compares with the champion the first left, never with the one before."""
    import threading

    from adaptive.registry import lock, promotion

    name, client = three_versions
    first_at_alias, second_waits = threading.Event(), threading.Event()
    check, wait = promotion._check_champion_unchanged, lock.waiting

    def hold_until_the_second_waits(*args, **kwargs):
        if threading.current_thread().name == "first":
            first_at_alias.set()
            assert second_waits.wait(60)
        return check(*args, **kwargs)

    def waiting(*args, **kwargs):
        second_waits.set()
        return wait(*args, **kwargs)

    monkeypatch.setattr(promotion, "_check_champion_unchanged", hold_until_the_second_waits)
    monkeypatch.setattr(lock, "waiting", waiting)
    results = {}
    first = threading.Thread(
        target=lambda: results.update(first=promote(name, "2", small_log, tracking_uri=store_uri)),
        name="first",
    )
    first.start()
    assert first_at_alias.wait(60)
    with pytest.warns(lock.LockWaitWarning, match="waiting for another promote or rollback"):
        second = promote(name, "3", small_log, tracking_uri=store_uri)
    first.join(60)
    assert results["first"].promoted and results["first"].champion_version == "1"
    assert second.champion_version == "2"  # compared with the first's winner
    champion = client.get_model_version_by_alias(name, "champion").version
    assert str(champion) == ("3" if second.promoted else "2")


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"margin": -1.0}, "margin = -1.0 (expected a number >= 0)"),
        ({"calibration_tolerance": -0.1}, "calibration_tolerance = -0.1 (expected a number >= 0"),
        ({"margin": float("nan")}, "margin = nan (expected a number >= 0)"),
        (
            {"margin": -1, "calibration_tolerance": "0.01"},
            "margin = -1 (expected a number >= 0); calibration_tolerance = '0.01' (expected",
        ),
        ({"min_auc": float("nan")}, "min_auc = nan (expected a number in [0, 1])"),
        ({"min_auc": 1.5}, "min_auc = 1.5 (expected a number in [0, 1])"),
        ({"replicates": True}, "replicates = True (expected a whole number >= 100"),
        ({"replicates": 99.5}, "replicates = 99.5 (expected a whole number >= 100"),
    ],
)
def test_a_wrong_rule_value_is_named_with_its_value(kwargs, said) -> None:
    """A vendor's `PromotionRule(margin=-1.0)` read "promotion margin and calibration tolerance
    must be >= 0", naming neither the one that was wrong nor its value; a NaN margin passed,
    and so did a NaN `min_auc` (no first champion could pass it) and `replicates=True`."""
    with pytest.raises(ConfigError) as caught:
        PromotionRule(**kwargs)
    assert str(caught.value).startswith(f"promotion rule: {said}"), str(caught.value)
    PromotionRule(margin=np.float64(0.0), calibration_tolerance=np.int64(0))  # numpy numbers read
    PromotionRule(calibration_tolerance=float("inf"), replicates=np.int64(200))  # no ECE check


def test_a_held_out_skill_one_typo_from_a_models_skill_gets_its_did_you_mean(small_log, store_uri):
    """predict_proba's warning asked "did you mean 'skill-5'?" of a skill typed 'skil-5';
    promote's own note (said once, naming the model) dropped it. It asks again, with the
    hint `Untraced.warn` gives (`closest_name` of the first unknown skill among the model's)."""
    name = "typo"
    frame = small_log.frame.copy()
    frame["skill_ids"] = [
        ";".join("skil-5" if s == "skill-5" else s for s in skills) for skills in frame["skill_ids"]
    ]
    typed = ResponseLog.from_frame(frame, skills_sep=";")
    first = train_model("irt", small_log, registered_name=name, folds=2, tracking_uri=store_uri)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        promote(name, first.version, typed, tracking_uri=store_uri)
    (note,) = untraced_warnings(caught)
    assert "on a skill candidate v1 was not fitted on ('skil-5'; did you mean 'skill-5'?)" in note


def test_an_improvement_no_draw_could_score_has_no_interval():
    """Held-out answers all correct: no AUC in any draw of the students. The interval was
    (0, 0), a gain of exactly 0, which a gate at `--margin 0` passes; it is NaN now (the
    shared `paired_interval`), which no gate passes, and said without a "nan"."""
    y = np.ones(200)
    students = np.repeat(np.arange(20), 10)
    rng = np.random.default_rng(0)
    gain = Improvement.measure(
        "auc", y, rng.random(200), rng.random(200), students, replicates=100, seed=0,
        estimate=0.0,
    )  # fmt: skip
    assert np.isnan(gain.low) and np.isnan(gain.high)
    assert "nan" not in str(gain).lower(), str(gain)
    champ = {"auc": 0.7, "ece": 0.02, "logloss": 0.55, "rmse": 0.43, "accuracy": 0.7}
    promoted, reason = PromotionRule(margin=0.0).decide(champ, champ, 0.69, established(0.1), gain)
    assert not promoted and reason.startswith("not established: auc 0.7000 vs champion 0.7000")
    assert "no draw of the 20 held-out students could be scored" in reason
    assert "nan" not in reason.lower(), reason


def test_held_out_answers_all_wrong_are_counted_not_quoted_as_an_id(small_log, store_uri):
    """A user's trial: promote on a log whose held-out students answered all wrong said
    "column 'student_id': got '81'; expected held-out students with both ...": 81 is how many
    students were held out, no id. It is said as a count, of column 'correct'."""
    name = "all-wrong"
    first = train_model("irt", small_log, registered_name=name, folds=2, tracking_uri=store_uri)
    wrong = ResponseLog.from_frame(small_log.frame.assign(correct=0), source="wrong.csv")
    with pytest.raises(DataValidationError) as info:
        promote(name, first.version, wrong, tracking_uri=store_uri)
    (problem,) = info.value.problems
    assert problem.file == "wrong.csv" and problem.column == "correct" and problem.value is None
    assert re.fullmatch(r"held-out students with both correct and wrong answers, to compare "
                        r"the models on; found \d+ held-out students, every answer wrong \(0\)",
                        problem.expected)  # fmt: skip
