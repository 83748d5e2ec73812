"""Cross-validation by student, the comparison outputs and `adaptive evaluate`."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from adaptive.data.log import ResponseLog
from adaptive.evaluation import compute_metrics, cross_validate, evaluate_models
from adaptive.tracing.logistic import PFA


def small_log(n_students: int = 24, seed: int = 0) -> ResponseLog:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_students):
        ability = rng.normal()
        for t in range(int(rng.integers(5, 15))):
            item = int(rng.integers(10))
            p = 1 / (1 + np.exp(-(ability - 0.3 * item + 1.5 + 0.1 * t)))
            rows.append((f"s{s}", f"i{item}", f"k{item % 3}", int(rng.random() < p), t))
    return ResponseLog.from_frame(
        pd.DataFrame(rows, columns=["student_id", "item_id", "skill_ids", "correct", "order"])
    )


class SpyPFA(PFA):
    """Records the students each fold's model was fitted on."""

    name = "pfa"
    fitted_on: list[set[str]] = []

    def fit(self, log):
        SpyPFA.fitted_on.append(set(log.students))
        return super().fit(log)


def test_cross_validate_fits_on_train_students_only_and_predicts_every_response_once():
    log = small_log()
    SpyPFA.fitted_on = []
    res = cross_validate(SpyPFA(max_iter=200), log, folds=4, seed=3)
    assert len(SpyPFA.fitted_on) == 4
    assert np.all(np.isfinite(res.p)) and res.p.shape == (len(log),)
    for f, train_students in enumerate(SpyPFA.fitted_on):
        test_students = set(log.students[np.unique(log.student[res.fold == f])])
        assert test_students and not (test_students & train_students)
        assert train_students | test_students == set(log.students)
    # every student's responses sit in exactly one fold
    assert (pd.Series(res.fold).groupby(log.student).nunique() == 1).all()
    pooled = res.metrics[res.metrics["fold"] == "all"].iloc[0]
    assert pooled["auc"] == pytest.approx(compute_metrics(log.correct, res.p)["auc"])
    assert list(res.metrics["fold"]) == ["0", "1", "2", "3", "all"]
    # a different seed gives different folds
    assert not np.array_equal(cross_validate("pfa", log, folds=4, seed=4).fold, res.fold)


def test_out_of_fold_predictions_equal_a_model_fitted_on_the_other_folds():
    log = small_log()
    res = cross_validate(PFA(max_iter=200), log, folds=3, seed=0)
    held = res.fold == 1
    model = PFA(max_iter=200).fit(log.take_rows(~held))
    np.testing.assert_allclose(res.p[held], model.predict_proba(log.take_rows(held)), atol=1e-12)


def test_evaluate_models_writes_the_table_and_is_deterministic(tmp_path):
    log = small_log()
    cmp = evaluate_models(["irt", "pfa"], log, folds=3, out_dir=tmp_path / "a", n_boot=50)
    table = pd.read_csv(tmp_path / "a" / "metrics.csv", dtype={"fold": str})
    assert list(table.columns[:7]) == [
        "model",
        "fold",
        "auc",
        "rmse",
        "logloss",
        "ece",
        "n_responses",
    ]
    assert len(table) == 2 * (3 + 1)
    alls = table[table["fold"] == "all"]
    assert list(alls["model"]) == ["irt", "pfa"]
    assert (alls["n_responses"] == len(log)).all()
    assert (alls["auc_ci_low"] <= alls["auc"]).all() and (alls["auc"] <= alls["auc_ci_high"]).all()
    for name in ("metrics.md", "per_skill.csv", "reliability.png", "reliability_irt.png"):
        assert (tmp_path / "a" / name).stat().st_size > 0
    assert cmp.summary()["model"].tolist()[0] in {"irt", "pfa"}
    evaluate_models(["irt", "pfa"], log, folds=3, out_dir=tmp_path / "b", n_boot=50)
    for name in ("metrics.csv", "metrics.md", "per_skill.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_rerun_into_the_same_folder_leaves_only_its_own_outputs(tmp_path):
    """A user's trial: `evaluate --models bkt,irt,pfa --out eval1`, then `--models irt --out
    eval1` replaced the tables but left `reliability_bkt.png` and `reliability_pfa.png` of the
    first run, looking current. The earlier run's plots of models not scored now are removed;
    the user's own files in the folder are not touched."""
    log = small_log()
    out = tmp_path / "eval1"
    evaluate_models(["irt", "pfa"], log, folds=2, out_dir=out, n_boot=10)
    (out / "reliability_mine.png").write_bytes(b"the user's")
    (out / "notes.txt").write_text("kept")
    cmp = evaluate_models(["irt"], log, folds=2, out_dir=out, n_boot=10)
    written = sorted(p.name for p in cmp.files)
    assert written == ["metrics.csv", "metrics.md", "per_skill.csv", "reliability.png",
                       "reliability_irt.png"]  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == sorted([*written, "notes.txt",
                                                            "reliability_mine.png"])  # fmt: skip


def test_the_outputs_say_which_folds_and_log_they_measured(tmp_path):
    """A data scientist's trial: metrics.md's header was byte-identical for --seed 0 and
    --seed 1, and metrics.csv held neither the seed nor the log's fingerprint, so tables of
    other folds or logs could be compared unawares. Both say them now."""
    from adaptive.registry.fingerprint import log_sha256

    log = small_log()
    for seed in (0, 1):
        evaluate_models(["pfa"], log, folds=3, out_dir=tmp_path / str(seed), n_boot=20, seed=seed)
    sha = log_sha256(log)
    for seed in (0, 1):
        table = pd.read_csv(tmp_path / str(seed) / "metrics.csv", dtype={"fold": str})
        assert (table["seed"] == seed).all() and (table["data_sha256"] == sha).all()
        head = (tmp_path / str(seed) / "metrics.md").read_text().splitlines()[2]
        assert f"fingerprint {sha[:12]}:" in head and f"cross-validation, seed {seed};" in head


def test_cli_evaluate_on_a_users_own_file(tmp_path):
    from adaptive.cli import app

    log = small_log()
    own = log.frame.assign(skill_ids=log.frame["skill_ids"].map(lambda s: ";".join(s)))
    own = own.rename(columns={"student_id": "learner", "item_id": "question", "skill_ids": "kc",
                              "correct": "right", "order": "step"})  # fmt: skip
    path = tmp_path / "export.csv"
    own.to_csv(path, index=False)
    result = CliRunner().invoke(app, [
        "evaluate", "--data", str(path), "--models", "irt,pfa", "--folds", "2",
        "--out", str(tmp_path / "out"), "--bootstrap", "20", "--threads", "1",
        "--student-col", "learner", "--item-col", "question", "--skills-col", "kc",
        "--skills-sep", ";", "--correct-col", "right", "--time-col", "step",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "irt" in result.output and "AUC" in result.output
    table = pd.read_csv(tmp_path / "out" / "metrics.csv", dtype={"fold": str})
    assert set(table["model"]) == {"irt", "pfa"} and (table["fold"] == "all").sum() == 2
    # the screen's table: the other model's difference from the best, its paired interval
    # and whether the students show a difference, as metrics.csv has them
    other = table[(table["fold"] == "all") & (table["vs_best"] != "best")].iloc[0]
    shown = " ".join(result.output.split())
    assert "AUC - best" in shown and "best" in shown
    interval = f"[{other['auc_vs_best_ci_low']:+.4f}, {other['auc_vs_best_ci_high']:+.4f}]"
    assert f"{other['auc_vs_best']:+.4f} │ {interval} │ {other['vs_best']}" in shown, shown


def test_cli_unknown_model_is_a_clear_error(tmp_path):
    from adaptive.cli import app

    path = tmp_path / "x.csv"
    small_log().frame.assign(skill_ids="k").to_csv(path, index=False)
    result = CliRunner().invoke(app, ["evaluate", "--data", str(path), "--models", "nope",
                                      "--out", str(tmp_path / "o")])  # fmt: skip
    assert result.exit_code != 0
    assert "nope" in str(result.exception) or "nope" in result.output


class BrokenPFA(PFA):
    """Returns NaN predictions: the comparison must name the model and fold."""

    def _predict_proba(self, log):
        p = super()._predict_proba(log)
        p[0] = np.nan
        return p


def test_a_model_returning_nan_is_named_in_the_error():
    from adaptive.errors import AdaptiveError

    with pytest.raises(AdaptiveError, match=r"model 'pfa', fold 0: 1 of \d+ predictions"):
        cross_validate(BrokenPFA(max_iter=100), small_log(), folds=2)


def test_test_responses_on_skills_the_training_folds_lacked_are_said() -> None:
    """A researcher's trial: responses on skills unseen at fit were scored from the model's
    defaults without a word. Each fold now says how many there were."""
    from adaptive.errors import CoverageWarning

    log = small_log()
    frame = log.frame.copy()
    first = frame["student_id"] == frame["student_id"].iloc[0]
    frame.loc[first, "skill_ids"] = pd.Series(
        [["only-one-student"]] * int(first.sum()), index=frame.index[first]
    )
    with pytest.warns(CoverageWarning) as said:
        cross_validate(PFA(), ResponseLog.from_frame(frame), folds=2, seed=0)
    unseen = [w for w in said if "their training folds never had" in str(w.message)]
    assert len(unseen) == 1  # once for the cross-validation, not once per fold
    assert " on 1 skill their training" in str(unseen[0].message)  # 'on 1 skills', once
    # one fold of two, named as the per-fold table names it: "(folds 0 of 2)" read as none
    assert re.search(
        r"responses? in 1 of the 2 folds \(fold [01]\) (is|are) on", str(unseen[0].message)
    )


def test_the_folds_fit_warnings_are_said_once() -> None:
    """Each fold's BKT fit named its degenerate skills, one long line per fold above the table
    (a data scientist's `train`: six lines); the cross-validation says it once, with the
    folds, and other warnings of a fit still show."""
    import warnings

    from adaptive.errors import FitWarning
    from adaptive.tracing.bkt import BKT

    log = small_log(40)
    frame = log.frame.copy()
    odd = frame["skill_ids"].map(lambda s: s[0] == "k0")
    # right early and wrong late on k0: the likelihood prefers guess + slip > 1 in every fold
    order = frame.groupby("student_id").cumcount()
    frame.loc[odd, "correct"] = (order[odd] % 6 < 3).astype(frame["correct"].dtype)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cross_validate(BKT(seed=0), ResponseLog.from_frame(frame), folds=3, seed=0)
    fits = [w for w in caught if issubclass(w.category, FitWarning)]
    assert len(fits) == 1, [str(w.message) for w in fits]
    assert str(fits[0].message).startswith("model 'bkt': the fits of all 3 folds warned; fold 0's:")


def test_the_folds_a_warning_names_are_counted_and_named_as_the_table_names_them() -> None:
    """A data scientist's trial: evaluate warned of unseen skills "(folds 0 of 5)", meaning the
    fold the per-fold table calls 0, which read as none of the five. The count reads as a
    count; the folds are named as the table and the run's metrics (fold0_auc) name them."""
    from adaptive.evaluation.crossval import fold_words

    assert fold_words({0: None}, 5) == "1 of the 5 folds (fold 0)"
    assert fold_words({3: None, 1: None}, 5) == "2 of the 5 folds (folds 1 and 3)"
    assert fold_words({0: None, 1: None, 2: None}, 3) == "all 3 folds"


def test_unseen_skills_are_said_once_for_all_the_models_compared() -> None:
    """A data scientist's `evaluate` of five models printed the same words on the unseen
    skills five times (every model meets the same folds): said once, naming the models."""
    import warnings

    from adaptive.errors import CoverageWarning
    from adaptive.tracing.logistic import IRT

    log = small_log()
    frame = log.frame.copy()
    first = frame["student_id"] == frame["student_id"].iloc[0]
    frame.loc[first, "skill_ids"] = pd.Series(
        [["only-one-student"]] * int(first.sum()), index=frame.index[first]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_models([PFA(), IRT()], ResponseLog.from_frame(frame), folds=2, n_boot=10)
    unseen = [w for w in caught if issubclass(w.category, CoverageWarning)]
    assert len(unseen) == 1, [str(w.message) for w in unseen]
    assert str(unseen[0].message).startswith("models 'pfa', 'irt': ")


def test_a_fold_that_cannot_be_fitted_is_named_not_the_whole_file(tmp_path) -> None:
    """A data scientist's small file: one student answered both ways, the rest always right.
    A fold's training students all right stopped `evaluate` with "tiny.csv, column 'correct':
    got '1'; expected both correct and incorrect responses", though the file has both: the
    error names the fold's training students."""
    from adaptive.errors import DataValidationError

    log = small_log(6)
    frame = log.frame.copy()
    mixed = frame["student_id"] == frame["student_id"].iloc[0]
    frame.loc[~mixed, "correct"] = 1
    own = ResponseLog.from_frame(frame, source="tiny.csv")
    with pytest.raises(DataValidationError) as raised:
        cross_validate(PFA(), own, folds=3, seed=0)
    assert "tiny.csv (fold " in str(raised.value) and "'s training students)" in str(raised.value)


def _all_right_but_one(tmp_path) -> tuple[ResponseLog, object]:
    """A log on which BKT fits and the logistic models cannot (a fold's training students
    answered only right), as a file too."""
    log = small_log(6)
    frame = log.frame.copy()
    mixed = frame["student_id"] == frame["student_id"].iloc[0]
    frame.loc[~mixed, "correct"] = 1
    path = tmp_path / "tiny.csv"
    frame.assign(skill_ids=frame["skill_ids"].map(";".join)).to_csv(path, index=False)
    return ResponseLog.from_frame(frame, source="tiny.csv"), path


def test_a_model_that_cannot_be_scored_does_not_cost_the_others(tmp_path) -> None:
    """`evaluate --models bkt,pfa` on a log where pfa cannot be fitted stopped with pfa's error
    and wrote nothing, though bkt had been scored (minutes of fitting lost on a real log). The
    scored models are written, the failed one is named with its reason, and Python gets a
    warning and `Comparison.failed`."""
    from adaptive.errors import DataValidationError, ModelFailedWarning

    log, _ = _all_right_but_one(tmp_path)
    with pytest.warns(
        ModelFailedWarning, match=r"1 model not scored \(the others were\):\n- pfa: "
    ):
        cmp = evaluate_models(["bkt", "pfa"], log, folds=3, out_dir=tmp_path / "o", n_boot=10)
    assert list(cmp.results) == ["bkt"] and list(cmp.failed) == ["pfa"]
    assert set(pd.read_csv(tmp_path / "o" / "metrics.csv")["model"]) == {"bkt"}
    report = (tmp_path / "o" / "metrics.md").read_text()
    assert "## Not scored" in report and "- pfa: " in report
    with pytest.raises(DataValidationError, match="training students"):  # none scored: its error
        evaluate_models(["pfa", "irt"], log, folds=3, n_boot=10)


def test_cli_writes_the_scored_models_then_exits_2_naming_the_failed_one(tmp_path, capsys) -> None:
    from adaptive.cli import run

    _, path = _all_right_but_one(tmp_path)
    code = run(["evaluate", "--data", str(path), "--models", "bkt,pfa", "--folds", "3",
                "--bootstrap", "10", "--skills-sep", ";", "--out", str(tmp_path / "o")])  # fmt: skip
    said = capsys.readouterr()
    assert code == 2, said
    assert "1 model not scored (the others were):\n- pfa: " in said.err
    assert said.err.count("not scored") == 1, said.err  # the error, not also a warning
    assert "bkt" in said.out and (tmp_path / "o" / "metrics.csv").exists()


def test_too_few_students_for_the_folds_names_the_file_before_any_progress(
    tmp_path, capsys
) -> None:
    """A header-only export: `evaluate` drew its progress bar ("folds 0/5"), then said "cannot
    split 0 student(s) into 5 folds" without the file. One error naming the file and that it
    holds a header only, exit 2; too few students, the same before any progress."""
    from adaptive.cli import run

    path = tmp_path / "header_only.csv"
    path.write_text("student_id,item_id,skill_ids,correct,order\n")
    code = run(["evaluate", "--data", str(path), "--models", "pfa", "--out", str(tmp_path / "o")])
    said = capsys.readouterr()
    assert code == 2, said
    assert "header_only.csv: got 'a header and no rows'" in said.err
    assert "folds 0/" not in said.out + said.err
    path.write_text("student_id,item_id,skill_ids,correct,order\ns1,i,k,1,1\n")
    code = run(["evaluate", "--data", str(path), "--models", "pfa", "--out", str(tmp_path / "o")])
    said = capsys.readouterr()
    assert code == 2, said
    assert "header_only.csv: cannot split 1 student(s) into 5 folds" in said.err
    assert "folds 0/" not in said.out + said.err


def test_a_models_own_label_names_it_in_the_metrics_and_warnings() -> None:
    """`adaptive train --model bkt-forgets` said "model 'bkt'" in its warnings (the instance's
    class name): the spec's name is given as the label."""
    res = cross_validate(PFA(), small_log(), folds=2, label="pfa-custom")
    assert res.model == "pfa-custom" and set(res.metrics["model"]) == {"pfa-custom"}


class Sharper(PFA):
    """PFA's predictions moved `peek` of the way toward the answers: better by construction."""

    name = "sharper"

    def _predict_proba(self, log):
        p = super()._predict_proba(log)
        return p + 0.005 * (log.correct - p)


class Jittered(PFA):
    """PFA's predictions plus seeded noise unrelated to the answers: no better, hardly worse."""

    name = "jittered"

    def _predict_proba(self, log):
        p = super()._predict_proba(log)
        return np.clip(p + 0.03 * np.random.default_rng(len(log)).normal(size=len(p)), 0.01, 0.99)


def test_evaluate_reports_each_models_paired_difference_from_the_best(tmp_path) -> None:
    """A district data scientist's trial: `evaluate` ranked the models by AUC beside each one's
    own 95 % interval (pfa [0.6842, 0.7105], bkt [0.6803, 0.7069]): overlapping, they read
    "no difference", though the paired bootstrap established every difference. Each model's
    AUC minus the best's is now reported with its paired interval over students
    (`paired_bootstrap`: the same students drawn for both, the per-model intervals' seed) and
    said "difference shown" where the interval excludes 0, in metrics.csv and metrics.md."""
    from adaptive.evaluation import paired_bootstrap

    log = small_log()
    cmp = evaluate_models([PFA(), Sharper()], log, folds=3, out_dir=tmp_path / "o", n_boot=200)
    table = pd.read_csv(tmp_path / "o" / "metrics.csv", dtype={"fold": str})
    pooled = table[table["fold"] == "all"].set_index("model")
    best, pfa = pooled.loc["sharper"], pooled.loc["pfa"]
    assert best["vs_best"] == "best" and np.isnan(best["auc_vs_best"])
    assert np.isnan(best["auc_vs_best_ci_low"]) and np.isnan(best["auc_vs_best_ci_high"])
    # the per-model intervals overlap, yet the students show a difference
    assert pfa["auc_ci_high"] > best["auc_ci_low"]
    assert pfa["auc_vs_best"] == pytest.approx(pfa["auc"] - best["auc"], abs=2e-6)
    res = cmp.results
    reps = paired_bootstrap(
        log.correct, res["pfa"].p, res["sharper"].p, res["pfa"].student, "auc", 200, 0
    )
    low, high = np.quantile(reps, [0.025, 0.975])
    assert (pfa["auc_vs_best_ci_low"], pfa["auc_vs_best_ci_high"]) == pytest.approx(
        (low, high), abs=1e-6
    )
    assert high < 0 and pfa["vs_best"] == "difference shown"
    report = (tmp_path / "o" / "metrics.md").read_text()
    assert "| AUC - best | its paired 95 % CI | difference |" in report
    assert f"| {pfa['auc_vs_best']:+.4f} | [{low:+.4f}, {high:+.4f}] | difference shown |" in report
    assert "|  |  | best |" in report and "interval excludes 0" in report


def test_a_difference_the_students_do_not_show_is_said_so(tmp_path) -> None:
    log = small_log()
    cmp = evaluate_models([PFA(), Jittered()], log, folds=3, out_dir=tmp_path / "o", n_boot=200)
    rows = cmp.summary().set_index("model")
    assert rows.loc["pfa", "vs_best"] == "best"
    jittered = rows.loc["jittered"]
    assert jittered["auc_vs_best"] < 0
    assert jittered["auc_vs_best_ci_low"] < 0 < jittered["auc_vs_best_ci_high"]
    assert jittered["vs_best"] == "no difference shown"
    report = (tmp_path / "o" / "metrics.md").read_text()
    assert "| no difference shown |" in report
    # evaluate compares with no margin: its words are not promote's, whose gate asks more
    assert "established" not in report


def test_a_difference_that_cannot_be_measured_is_left_blank(tmp_path) -> None:
    """Every answer correct: no AUC, so no difference from the best and no interval (no draw
    of the students can be scored). `vs_best` said "not established" there, a verdict read
    from nothing; it is blank now, as the difference and its interval are."""
    rows = [(f"s{s}", f"i{t % 4}", f"k{t % 2}", 1, t) for s in range(8) for t in range(6)]
    log = ResponseLog.from_frame(
        pd.DataFrame(rows, columns=["student_id", "item_id", "skill_ids", "correct", "order"])
    )
    evaluate_models(["bkt", "bkt"], log, folds=2, out_dir=tmp_path / "o", n_boot=50)
    table = pd.read_csv(tmp_path / "o" / "metrics.csv", dtype={"fold": str}, keep_default_na=False)
    other = table[(table["fold"] == "all") & (table["model"] == "bkt-1")].iloc[0]
    assert other["auc_vs_best_ci_low"] == other["auc_vs_best_ci_high"] == ""
    assert other["vs_best"] == ""
    report = (tmp_path / "o" / "metrics.md").read_text().splitlines()
    row = next(r for r in report if r.startswith("| bkt-1 |"))  # the pooled table's, first
    assert [cell.strip() for cell in row.split("|")[4:7]] == ["", "", ""], (
        row
    )  # AUC - best, its interval, the words
