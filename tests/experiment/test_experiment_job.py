"""The nightly job serves an experiment's arms; `adaptive experiment analyze` reads its outputs."""

from __future__ import annotations

import pandas as pd
import pytest

from adaptive.batch.job import run_daily_job
from adaptive.cli import run as cli_run
from adaptive.experiment.analyze import analyze_logs
from adaptive.experiment.assign import Assignment, assign
from adaptive.registry import promote, train_model
from adaptive.simulation.district import simulate_district, write_district

MODEL = "experiment-test-district"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("exp")
    sim = simulate_district(600, 5, responses_per_student=20, max_school_days=30)
    write_district(sim, root / "files")
    log = sim.response_log()
    uri = f"sqlite:///{root / 'mlflow.db'}"
    result = train_model("irt", log, registered_name=MODEL, folds=2, tracking_uri=uri)
    assert promote(MODEL, result.version, log, tracking_uri=uri).promoted
    (root / "new.toml").write_text('exploration = "softmax"\n[weights]\ninterest = 0.0\n')
    (root / "control.toml").write_text("")
    profiles = root / "files" / "profiles.jsonl"
    a = assign(profiles, {"control": root / "control.toml", "new": root / "new.toml"},
               unit="class", seed=1)  # fmt: skip
    a.save(root / "exp.json")
    start = log.frame["timestamp"].min().normalize()
    nights = [(start + pd.Timedelta(days=d)).strftime("%Y-%m-%d") for d in (10, 20)]
    for night in nights:
        run_daily_job(
            night, root / "out", model_name=MODEL, data=log, catalog=root / "files" / "catalog.json",
            profiles=profiles, tracking_uri=uri, show_progress=False, k=3,
            experiment=root / "exp.json",
        )  # fmt: skip
    return root, nights, a


def test_each_class_is_served_its_arms_policy(served) -> None:
    root, nights, a = served
    recs = pd.read_parquet(root / "out" / "recommendations" / f"date={nights[0]}")
    assert set(recs["arm"]) == {"control", "new"}
    new, control = recs[recs["arm"] == "new"], recs[recs["arm"] == "control"]
    assert (new["c_interest"] == 0).all() and (control["c_interest"] != 0).any()
    assert (control["propensity"] == 1).all() and (new["propensity"] < 1).any()
    expected = a.arm_of(recs["class_id"].to_numpy(), recs["school_id"].to_numpy())
    assert (recs["arm"].to_numpy() == expected).all()
    students = pd.read_parquet(root / "out" / "students" / f"date={nights[0]}")
    assert set(students["arm"]) == {"control", "new"}


def test_analyze_reads_the_outputs(served) -> None:
    root, nights, _ = served
    effects = analyze_logs(
        root / "exp.json", root / "out", start=nights[0], end=nights[1],
        data=str(root / "files" / "responses.parquet"), catalog=root / "files" / "catalog.json",
        profiles=root / "files" / "profiles.jsonl", permutations=50,
    )  # fmt: skip
    assert set(effects["outcome"]) == {"normalized_gain", "correct_rate"}
    assert effects[["effect", "ci_low", "ci_high", "p_randomization"]].notna().all().all()
    assert (effects["ci_low"] <= effects["ci_high"]).all()


def test_cli_analyze_reads_a_district_folder_as_its_files(served, capsys) -> None:
    """`--district DIR` (as `adaptive simulate --out` writes it) instead of --data, --catalog
    and --profiles: the same table; without either, one error naming what is missing."""
    root, nights, _ = served
    files = root / "files"
    base = ["experiment", "analyze", "--assignment", str(root / "exp.json"), "--log",
            str(root / "out"), "--start", nights[0], "--end", nights[1]]  # fmt: skip
    given = ["--data", str(files / "responses.parquet"), "--catalog",
             str(files / "catalog.json"), "--profiles", str(files / "profiles.jsonl")]  # fmt: skip
    assert cli_run([*base, *given]) == 0
    by_files = capsys.readouterr().out
    assert cli_run([*base, "--district", str(files)]) == 0
    assert capsys.readouterr().out == by_files and "effect against the reference" in by_files
    assert cli_run([*base, *given[:4]]) == 2
    assert "--profiles FILE (or --district DIR) is needed" in capsys.readouterr().err


def test_cli_assign_writes_the_same_bytes_and_bad_arms_exit_2(served, tmp_path, capsys) -> None:
    root, _, a = served
    args = ["experiment", "assign", "--profiles", str(root / "files" / "profiles.jsonl"),
            "--arm", f"control={root / 'control.toml'}", "--arm", f"new={root / 'new.toml'}",
            "--unit", "class", "--seed", "1", "--out", str(tmp_path / "e.json")]  # fmt: skip
    assert cli_run(args) == 0
    assert (tmp_path / "e.json").read_bytes() == (root / "exp.json").read_bytes()
    assert cli_run([*args[:6], "--arm", "broken", "--out", str(tmp_path / "f.json")]) == 2
    assert "NAME=POLICY.toml" in capsys.readouterr().err
    assert Assignment.load(tmp_path / "e.json").sha256 == a.sha256
