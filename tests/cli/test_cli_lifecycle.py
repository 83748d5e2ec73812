"""`adaptive train | promote` on a user's own CSV: column flags, quarantine counts, data check."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from mlflow.environment_variables import MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT

from adaptive.cli.output import set_quiet

FLAGS = ["--student-col", "user", "--item-col", "task", "--skills-col", "kc",
         "--correct-col", "ok", "--time-col", "when"]  # fmt: skip


def own_csv(path, n_students: int = 80, n_per_student: int = 20, seed: int = 0):
    """A user's export with their own column names and a learnable signal."""
    rng = np.random.default_rng(seed)
    student = np.repeat(np.arange(n_students), n_per_student)
    skill = rng.integers(0, 4, len(student))
    ability = rng.normal(0, 1.2, n_students)[student]
    p = 1 / (1 + np.exp(-(ability - (skill - 1.5) * 0.8)))
    practice = np.tile(np.arange(n_per_student), n_students)
    frame = pd.DataFrame(
        {
            "user": [f"u{s}" for s in student],
            "task": [f"t{k}-{i % 3}" for k, i in zip(skill, practice, strict=True)],
            "kc": [f"k{k}" for k in skill],
            "ok": (rng.random(len(student)) < p).astype(int),
            "when": (pd.Timestamp("2026-09-01") + pd.to_timedelta(practice, unit="h")).astype(str),
        }
    )
    frame.to_csv(path, index=False)
    return frame


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A version trained from the command line on an own CSV, with one bad row quarantined."""
    from adaptive.cli import run

    tmp = tmp_path_factory.mktemp("lifecycle")
    frame = own_csv(tmp / "own.csv")
    frame.loc[len(frame)] = ["u0", "t0-0", "k0", 7, "2026-09-03"]  # not 0/1
    frame.to_csv(tmp / "own.csv", index=False)
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    code = run(["train", "--model", "irt", "--data", str(tmp / "own.csv"), "--name", "own",
                "--folds", "2", "--tracking-uri", uri, "--quarantine", str(tmp / "q.csv"),
                "--quiet", *FLAGS])  # fmt: skip
    assert code == 0
    return tmp, uri


def test_train_reports_the_rows_quarantined(cli, trained) -> None:
    tmp, uri = trained
    r = cli("train", "--model", "irt", "--data", tmp / "own.csv", "--folds", "2",
            "--tracking-uri", uri, "--quarantine", tmp / "q2.csv", *FLAGS)  # fmt: skip
    assert r.code == 0, r.text
    assert f"1 row(s) quarantined to {tmp / 'q2.csv'}" in r.out


def test_train_says_how_many_students_and_responses_it_held_out_for_promote(cli, trained) -> None:
    """The folds summed to 56,667 of a log's 68,246 responses, and nothing said why: `train`
    holds 20% of the students out for `promote` (MLflow's `holdout_fraction`)."""
    from adaptive.registry import holdout_mask

    tmp, uri = trained
    frame = pd.read_csv(tmp / "own.csv").iloc[:-1]  # without the row the fixture quarantines
    held = holdout_mask(frame["user"].unique())
    rows = frame["user"].isin(frame["user"].unique()[held])
    r = cli("train", "--model", "irt", "--data", tmp / "own.csv", "--folds", "2",
            "--tracking-uri", uri, "--quarantine", tmp / "q6.csv", *FLAGS)  # fmt: skip
    assert r.code == 0, r.text
    assert 0 < held.sum() < len(held)
    out = " ".join(r.err.split())  # an info line, on stderr
    assert (
        f"Held out for promotion: {held.sum()} of 80 students ({rows.sum():,} of 1,600 "
        "responses): each student is held out with a chance of 20%, by a hash of their id"
    ) in out
    assert "`adaptive promote` compares models on them" in out
    assert (
        f"the folds cover the other {(~held).sum()} students ({(~rows).sum():,} responses)" in out
    )
    all_folds = next(line for line in r.out.splitlines() if line.startswith("│ all"))
    assert all_folds.split("│")[-2].strip() == str((~rows).sum())  # the table's n_responses


def test_train_says_whether_the_log_shows_gradual_learning(cli, trained) -> None:
    """Before, nothing said whether the district learns gradually, which the policy now reads
    from the fitted model (`learning_curve_`): train says it, and the MLflow run records it."""
    import mlflow

    tmp, uri = trained
    r = cli("train", "--model", "irt", "--data", tmp / "own.csv", "--folds", "2",
            "--tracking-uri", uri, "--quarantine", tmp / "q7.csv", *FLAGS)  # fmt: skip
    assert r.code == 0, r.text
    out = " ".join(r.text.split())
    assert "Learning in the training log: accuracy after a wrong answer changes" in out
    assert "not gradual (gradual_learning_z 3 in the policy file)" in out  # a flat synthetic log
    run_id = out.split("MLflow run ")[1].split()[0].rstrip(";")
    params = mlflow.MlflowClient(uri).get_run(run_id).data.params
    assert {"learning_curve_slope", "learning_curve_z", "learning_curve_answers"} <= set(params)


def test_train_quiet_prints_the_results_alone(cli, trained) -> None:
    """A district data scientist's trial: `train -q` printed the learning-curve and held-out
    paragraphs as without it, though its help says -q prints "only the results ... no info
    lines". Under -q it prints its results alone: the fold table, the run and the version it
    registered (what `promote` and `serve` name), the rows quarantined."""
    tmp, uri = trained
    r = cli("train", "--model", "irt", "--data", tmp / "own.csv", "--folds", "2", "--name",
            "quiet", "--tracking-uri", uri, "--quarantine", tmp / "q8.csv", "-q", *FLAGS)  # fmt: skip
    assert r.code == 0, r.text
    assert "Learning in the training log" not in r.text
    assert "Held out for promotion" not in r.text
    assert "held-out folds" in r.out and "│ all" in r.out
    assert "MLflow run " in r.out and "registered quiet version 1" in r.out
    assert "1 row(s) quarantined" in r.out


def test_evaluate_reports_the_rows_quarantined(cli, trained) -> None:
    tmp, _ = trained
    r = cli("evaluate", "--data", tmp / "own.csv", "--models", "irt", "--folds", "2",
            "--bootstrap", "10", "--out", tmp / "eval", "--quarantine", tmp / "q3.csv",
            "--quiet", *FLAGS)  # fmt: skip
    assert r.code == 0, r.text
    assert "1 row(s) quarantined" in r.out and "Loaded" not in r.out  # --quiet: results only


def test_promote_reads_own_data_with_the_column_flags_and_exits_0(cli, trained) -> None:
    tmp, uri = trained
    r = cli("promote", "--name", "own", "--data", tmp / "own.csv", "--tracking-uri", uri,
            "--quarantine", tmp / "q4.csv", *FLAGS)  # fmt: skip
    assert r.code == 0, r.text
    assert "PROMOTED" in r.out or "not promoted" in r.out
    assert "warning" not in r.err  # the same data as in training: no data warning
    again = cli("promote", "--name", "own", "--tracking-uri", uri,  # recorded data and flags
                "--quarantine", tmp / "q5.csv")  # fmt: skip
    assert again.code == 0 and "not promoted" in again.out


def test_promote_warns_when_the_data_is_not_the_training_data(cli, trained) -> None:
    """A data scientist's trial: other data sharing students with the training file was said
    to have held-out students that "may have been seen in training", but they are held out by
    a hash of their id, which training leaves out of every log. The warning says what the
    comparison rests on (how many held-out students, the others left out) and what is at
    risk: a student the file names by another id."""
    from adaptive.registry import holdout_mask

    tmp, uri = trained
    frame = own_csv(tmp / "other.csv", seed=1)
    r = cli("promote", "--name", "own", "--data", tmp / "other.csv", "--tracking-uri", uri,
            *FLAGS)  # fmt: skip
    assert r.code == 0, r.text
    said = " ".join(r.err.split())
    assert "warning:" in said and "is not version 1's training data" in said
    assert "may have been seen in training" not in said
    students = frame["user"].unique()
    held = int(holdout_mask(students).sum())
    assert f"scored on its {held} students held out by a hash of their id" in said
    assert f"its other {len(students) - held} are left out" in said
    assert "another id than the training data did" in said


def test_promote_on_other_data_of_two_versions_of_one_log_says_only_that(cli, trained, tmp_path):
    """A data scientist's trial: the candidate and the champion, both trained on one log,
    promoted on an export of it: the warning said they "were trained on different logs",
    naming the same file and fingerprint twice. Only the promotion data's being another log
    is said."""
    _, uri = trained
    own_csv(tmp_path / "one.csv")
    own_csv(tmp_path / "other.csv", seed=1)
    for _ in range(2):
        r = cli("train", "--model", "irt", "--folds", "2", "--data", tmp_path / "one.csv",
                "--name", "onelog", "--tracking-uri", uri, "--quiet", *FLAGS)  # fmt: skip
        assert r.code == 0, r.text
    assert cli("promote", "--name", "onelog", "--version", "1", "--tracking-uri", uri).code == 0
    r = cli("promote", "--name", "onelog", "--version", "2", "--data", tmp_path / "other.csv",
            "--tracking-uri", uri, *FLAGS)  # fmt: skip
    assert r.code == 0, r.text
    assert "is not version 2's training data" in r.err
    assert "trained on different logs" not in r.err


def test_promote_says_when_the_champion_was_trained_on_another_log(cli, trained, tmp_path):
    """A review: `promote` without `--data` scored a candidate trained on last month's log
    against a champion trained on this month's, on last month's held-out students, without a
    word; a trial's candidate of another district then replaced the champion (PROMOTED, with a
    warning) on the newcomer's district alone. Without `--data` it now asks which log decides
    (exit 2, the command for each); with `--data` the candidate's, it says which log each
    version was trained on, which held-out students both are scored on, and the command that
    scores both on the champion's log."""
    _, uri = trained
    own_csv(tmp_path / "old.csv")
    own_csv(tmp_path / "new.csv", n_per_student=30, seed=1)
    for log in ("old.csv", "new.csv"):  # v1 on the older log, v2 on the newer
        r = cli("train", "--model", "irt", "--folds", "2", "--data", tmp_path / log,
                "--name", "drift", "--tracking-uri", uri, "--quiet", *FLAGS)  # fmt: skip
        assert r.code == 0, r.text
    assert cli("promote", "--name", "drift", "--version", "2", "--tracking-uri", uri).code == 0
    r = cli("promote", "--name", "drift", "--version", "1", "--tracking-uri", uri)
    assert r.code == 2 and "Traceback" not in r.text, r.text
    asked = " ".join(r.err.split())
    assert "say which log's held-out students decide" in asked
    for log in ("new.csv", "old.csv"):
        assert f"`adaptive promote --name drift --version 1 --data {tmp_path / log}`" in asked
    r = cli("promote", "--name", "drift", "--version", "1", "--data", tmp_path / "old.csv",
            "--tracking-uri", uri, *FLAGS)  # fmt: skip
    assert r.code == 0 and "Traceback" not in r.text, r.text
    said = " ".join(r.err.split())
    assert "warning: the candidate and the champion were trained on different logs" in said
    assert f"candidate v1 on {tmp_path / 'old.csv'} (fingerprint " in said
    assert f"champion v2 on {tmp_path / 'new.csv'} (fingerprint " in said
    assert "held-out students (" in said and f"responses) of {tmp_path / 'old.csv'}" in said
    assert f"`adaptive promote --name drift --version 1 --data {tmp_path / 'new.csv'}`" in said
    assert not [u for u in ("u0 ", "u1 ", "u10") if u in r.text]  # no student id
    # on the champion's log: the candidate's data is said instead, the champion's is not
    r = cli("promote", "--name", "drift", "--version", "1", "--data", tmp_path / "new.csv",
            "--tracking-uri", uri, *FLAGS)  # fmt: skip
    assert r.code == 0 and "is not version 1's training data" in r.err
    assert "trained on different logs" not in r.err


def test_quiet_silences_mlflow_run_links_and_is_undone() -> None:
    set_quiet(True)
    assert MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT.get()
    set_quiet(False)
    assert not MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT.get()


def test_a_commands_quiet_and_debug_end_with_it_and_an_embedders_stay(
    tmp_path, capsys, monkeypatch
) -> None:
    """A command run with `-q` left the whole process quiet: a deep model fitted after it in the
    same process (a notebook, a test worker) printed no epoch lines (CI's run failed so, by the
    order its tests ran in); `--debug` stayed on too. A process its embedder keeps quiet stays
    quiet."""
    from typer.testing import CliRunner

    from adaptive.cli import app, run
    from adaptive.cli.output import SETTINGS
    from adaptive.progress import progress_shown

    monkeypatch.delenv("ADAPTIVE_DEBUG", raising=False)
    monkeypatch.setattr(SETTINGS, "debug", False)
    own_csv(tmp_path / "own.csv", n_students=3, n_per_student=2)
    assert run(["--debug", "validate", str(tmp_path / "own.csv"), *FLAGS, "-q"]) == 0
    assert progress_shown() and not MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT.get()
    assert not SETTINGS.debug and "ADAPTIVE_DEBUG" not in os.environ
    # typer's CliRunner calls the click command itself, past `run` (CI's failing order)
    ran = CliRunner().invoke(app, ["validate", str(tmp_path / "own.csv"), *FLAGS, "--quiet"])
    assert ran.exit_code == 0, ran.output
    assert progress_shown() and not SETTINGS.quiet
    ran = CliRunner().invoke(app, ["--debug", "validate", str(tmp_path / "nope.csv"), *FLAGS])
    assert ran.exit_code != 0
    assert not SETTINGS.debug and "ADAPTIVE_DEBUG" not in os.environ
    # an option after --quiet that fails to parse: its command's context never closes
    bad = ["profiles", "--quiet", "--catalog", str(tmp_path / "none.json"), "x.csv"]
    assert run(bad) == 2
    assert CliRunner().invoke(app, bad).exit_code == 2
    assert progress_shown() and not SETTINGS.quiet
    set_quiet(True)
    try:
        assert run(["validate", str(tmp_path / "own.csv"), *FLAGS]) == 0, capsys.readouterr()
        assert not progress_shown()
    finally:
        set_quiet(False)


def test_promote_refuses_a_candidate_trained_with_item_and_skill_columns_swapped(
    cli, trained, tmp_path
) -> None:
    """A district data scientist's trial: a version trained with --item-col and --skill-col
    swapped (a common slip) was PROMOTED over the real champion, scored on the mis-mapped
    data it knew none of; the next night failed. Refused, saying what differs and how to
    replace the champion on purpose."""
    own_csv(tmp_path / "own.csv")
    _, uri = trained  # its store, for a model of its own
    common = ["--data", tmp_path / "own.csv", "--name", "swap", "--tracking-uri", uri]
    assert cli("train", "--model", "irt", "--folds", "2", *common, *FLAGS).code == 0
    assert cli("promote", "--name", "swap", "--tracking-uri", uri).code == 0
    swapped = [{"task": "kc", "kc": "task"}.get(f, f) for f in FLAGS]
    r = cli("train", "--model", "irt", "--folds", "2", *common, *swapped)
    assert r.code == 0, r.text
    r = cli("promote", "--name", "swap", "--tracking-uri", uri)
    assert r.code == 2 and "Traceback" not in r.text and "PROMOTED" not in r.out, r.text
    assert (
        "the candidate v2 was fitted on 12 skills and the champion v1 on 4, they share none"
        in r.err
    )
    assert "columns mapped otherwise (--skill-col / --item-col)?" in r.err
    assert "give --new-skills" in r.err
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    assert str(client.get_model_version_by_alias("swap", "champion").version) == "1"


def test_the_demo_prints_no_reason_that_reads_plus_zero():
    """A term worth 0.004 printed as "aspiration +0.00" beside the real reasons (the demo's
    night, stop 52): only terms that print as more than zero are said."""
    from adaptive.cli.lifecycle import reason_words

    said = reason_words({"review": 2.78, "difficulty": 0.25, "aspiration": 0.004, "stuck": -1.5})
    assert said == "review +2.78, difficulty +0.25"
    assert reason_words({"aspiration": 0.004}) == ""


def test_a_damaged_demo_models_error_passes_through_unchanged() -> None:
    """Review: `served_model` picked errors out by their text, "registered model
    'demo-district'", which a damaged artifact's error starts with too ("registered model
    'demo-district' version 3: ..."): a corrupted demo model was answered "no --name given ...
    train, register and promote your own". Only a look-up's failure (`ModelLookupError`) is."""
    from adaptive.cli.options import served_model
    from adaptive.errors import ArtifactError, ConfigError

    damaged = "registered model 'demo-district' version 3: model.json: checksum mismatch"
    with pytest.raises(ArtifactError) as caught, served_model(None, "batch", None):
        raise ArtifactError(damaged)
    assert type(caught.value) is ArtifactError and str(caught.value) == damaged
    from adaptive.registry.store import ModelLookupError

    lookup = ModelLookupError("registered model 'demo-district' has no alias @champion")
    with (
        pytest.raises(ConfigError, match="no --name given, so batch looked up"),
        served_model(None, "batch", None),
    ):
        raise lookup


def test_batch_of_an_own_district_without_name_is_refused(cli, trained, tmp_path) -> None:
    """A district engineer's trial: `adaptive batch --district dist` with no --name served
    their 300 students with the demo's registered model (trained on the simulated demo
    district), exit 0, "model demo-district v5" on the summary line its only word. Now refused
    before any look-up, with how their district gets a model of its own; a name given is
    looked up as given."""
    from adaptive.simulation.district import simulate_district, write_district

    _, uri = trained
    folder = tmp_path / "dist"
    write_district(simulate_district(30, 0, responses_per_student=5, max_school_days=10), folder)
    own = (
        f"`adaptive train --model bkt --district {folder} --name NAME`, `adaptive promote "
        f"--name NAME --district {folder}`, then `adaptive batch --name NAME --district {folder} "
        "...`"
    )
    for where in (["--district", folder],
                  ["--data", folder / "responses.parquet", "--catalog", folder / "catalog.json",
                   "--profiles", folder / "profiles.jsonl"]):  # fmt: skip
        r = cli("batch", *where, "--date", "2026-12-01", "--out", tmp_path / "out",
                "--tracking-uri", uri, "--quiet")  # fmt: skip
        assert r.code == 2, r.text
        said = " ".join(r.err.split())
        assert said.startswith("error: no --name given: batch serves a registered model"), said
        assert "would serve the demo's ('demo-district'" in said
        assert "Traceback" not in r.err and not (tmp_path / "out").exists()
    assert own in said.replace("DIR", str(folder))
    # a name given is looked up as given, its error unchanged
    r = cli("batch", "--district", folder, "--date", "2026-12-01", "--out", tmp_path / "out",
            "--tracking-uri", uri, "--name", "other", "--quiet")  # fmt: skip
    assert r.code == 2 and "registered model 'other'" in r.err and "--name given" not in r.err


def test_batch_before_any_training_leaves_no_store_folder_behind(
    cli, tmp_path, monkeypatch
) -> None:
    """A user trial: `batch --name lakeside` in a fresh ADAPTIVE_DATA_DIR, before any training,
    failed on the registry look-up (rightly) but left an empty `data/mlflow/` folder behind. A
    failed look-up leaves nothing."""
    from adaptive.simulation.district import simulate_district, write_district

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("ADAPTIVE_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    folder = tmp_path / "district"
    write_district(simulate_district(30, 0, responses_per_student=5, max_school_days=10), folder)
    r = cli("batch", "--name", "lakeside", "--data", folder / "responses.parquet",
            "--catalog", folder / "catalog.json", "--profiles", folder / "profiles.jsonl",
            "--date", "2026-12-01", "--out", tmp_path / "out", "--quiet")  # fmt: skip
    assert r.code == 2 and "no tracking store at" in r.err, r.err
    assert list((tmp_path / "data").iterdir()) == [] and not (tmp_path / "out").exists()


def test_batch_of_the_demo_district_without_name_says_the_demos_name_was_looked_up(
    cli, trained, tmp_path, monkeypatch
) -> None:
    """The demo's own folder with no --name is the demo's model's to serve: where it cannot be
    looked up, the error says the name was the demo's default and how a district gets its
    own."""
    from adaptive.simulation.district import simulate_district, write_district

    _, uri = trained
    monkeypatch.setenv("ADAPTIVE_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "data" / "demo-district"
    write_district(simulate_district(30, 0, responses_per_student=5, max_school_days=10), folder)
    missing = f"sqlite:///{tmp_path / 'none' / 'mlflow.db'}"
    for store, why in ((missing, "no tracking store at"), (uri, "has no alias @champion")):
        r = cli("batch", "--district", folder, "--date", "2026-12-01", "--out", tmp_path / "out",
                "--tracking-uri", store, "--quiet")  # fmt: skip
        assert r.code == 2, r.text
        assert r.err.startswith(
            "error: no --name given, so batch looked up the demo's registered model "
            "'demo-district': registered model 'demo-district'"
        ), r.err
        assert why in r.err and "Traceback" not in r.err
