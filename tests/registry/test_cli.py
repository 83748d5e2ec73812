"""`adaptive train` and `adaptive promote` on a user's own file, against a tmp SQLite store."""

from __future__ import annotations

import sqlite3
import sys
from contextlib import closing

import pytest
from mlflow import MlflowClient

from adaptive.cli import main
from adaptive.curriculum import Activity, Catalog, Skill
from adaptive.placement import GradeTable
from adaptive.policy import PolicyConfig


def run_cli(args: list[str], monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["adaptive", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_train_then_promote_from_the_command_line(
    small_log, sqlite_uri, tmp_path, monkeypatch, capsys
):
    path = tmp_path / "responses.parquet"
    small_log.frame.to_parquet(path)
    code, out = run_cli(
        [
            "train",
            "--model",
            "irt",
            "--data",
            str(path),
            "--name",
            "cli-district",
            "--folds",
            "2",
            "--tracking-uri",
            sqlite_uri,
        ],
        monkeypatch,
        capsys,
    )
    assert code == 0, out
    assert "registered cli-district version 1" in out and "all" in out
    code, out = run_cli(
        ["promote", "--name", "cli-district", "--tracking-uri", sqlite_uri], monkeypatch, capsys
    )
    assert code == 0, out
    assert "PROMOTED" in out
    client = MlflowClient(tracking_uri=sqlite_uri, registry_uri=sqlite_uri)
    assert str(client.get_model_version_by_alias("cli-district", "champion").version) == "1"


@pytest.mark.parametrize(
    "args",
    [
        ["promote", "--name", "nobody"],
        ["batch", "--date", "2026-01-01", "--out", "OUT", "--name", "nobody"]
        + ["--catalog", "CATALOG", "--profiles", "PROFILES"],
    ],
)
def test_missing_model_is_a_clear_error_with_exit_code_2(
    args, sqlite_uri, tmp_path, monkeypatch, capsys
):
    # a tiny district of its own, so the test does not depend on the demo folder existing
    catalog = Catalog(skills=(Skill("s1"),), activities=(Activity("a1", "A1", ("s1",)),))
    catalog.to_json(tmp_path / "catalog.json")
    (tmp_path / "profiles.jsonl").write_text("")
    paths = {"OUT": tmp_path / "out", "CATALOG": tmp_path / "catalog.json"}
    paths["PROFILES"] = tmp_path / "profiles.jsonl"
    args = [str(paths.get(a, a)) for a in args]
    code, out = run_cli([*args, "--tracking-uri", sqlite_uri], monkeypatch, capsys)
    assert code == 2
    assert "nobody" in out and "Traceback" not in out


def test_a_server_that_is_down_is_one_line_with_exit_code_2(
    small_log, tmp_path, monkeypatch, capsys
):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    monkeypatch.setenv("ADAPTIVE_MLFLOW_RETRY_BUDGET_S", "3")
    path = tmp_path / "responses.parquet"
    small_log.frame.to_parquet(path)
    uri = f"http://127.0.0.1:{port}"
    catalog = Catalog(skills=(Skill("s1"),), activities=(Activity("a1", "A1", ("s1",)),))
    catalog.to_json(tmp_path / "catalog.json")
    district = ["--data", str(path), "--catalog", str(tmp_path / "catalog.json")]
    batch = ["batch", "--date", "2026-10-01", "--out", str(tmp_path / "out"), "--name", "own"]
    for args in (
        ["train", "--model", "irt", "--data", str(path), "--folds", "2"],
        [*batch, *district],
    ):
        code, out = run_cli([*args, "--tracking-uri", uri], monkeypatch, capsys)
        assert code == 2, out
        assert "Traceback" not in out and f"MLflow server {uri}: connection refused" in out
        assert "alias" not in out


def test_batch_on_own_data_without_its_catalog_is_refused(small_log, tmp_path, monkeypatch, capsys):
    path = tmp_path / "own.csv"
    small_log.frame.to_csv(path, index=False)
    args = ["batch", "--date", "2026-10-01", "--out", str(tmp_path / "out"), "--data", str(path),
            "--name", "own"]  # fmt: skip
    code, out = run_cli(args, monkeypatch, capsys)
    assert code == 2 and "--catalog" in out and "Traceback" not in out
    assert not (tmp_path / "out" / "recommendations").exists()


def test_recommend_refuses_a_model_that_knows_none_of_the_catalogs_skills(
    small_log, tmp_path, monkeypatch, capsys
):
    from adaptive.simulation.district import simulate_district, write_district
    from adaptive.tracing.logistic import IRT

    write_district(simulate_district(30, 0, responses_per_student=5), tmp_path / "district")
    IRT(max_iter=100).fit(small_log).save(tmp_path / "model")  # skills skill-0..5: not these
    args = ["recommend", "--student", "stu0000001", "--district", str(tmp_path / "district")]
    code, out = run_cli([*args, "--model", str(tmp_path / "model")], monkeypatch, capsys)
    assert code == 2 and "knows none of the catalog's" in out and "Traceback" not in out


def test_train_with_the_catalog_gives_bkt_the_skills_its_log_never_mentions(
    small_log, sqlite_uri, tmp_path, monkeypatch, capsys
):
    """`adaptive train --catalog`: the district's data scientist can give a BKT champion the
    catalog's new skills (their graph neighbours' parameters), so the nightly job traces
    answers on them; a model that cannot take a catalog is refused in one line, exit 2."""
    from adaptive.registry import load_version

    path = tmp_path / "responses.parquet"
    small_log.frame.to_parquet(path)
    known = [str(s) for s in small_log.skills]
    skills = tuple(Skill(s) for s in known) + (Skill("new-skill", prerequisites=(known[0],)),)
    catalog = Catalog(skills=skills, activities=(Activity("a1", "A1", ("new-skill",)),))
    catalog.to_json(tmp_path / "catalog.json")
    common = ["--data", str(path), "--folds", "2", "--tracking-uri", sqlite_uri]
    with_catalog = ["--catalog", str(tmp_path / "catalog.json")]
    code, out = run_cli(
        ["train", "--model", "bkt", "--name", "cat", *common, *with_catalog], monkeypatch, capsys
    )
    assert code == 0, out
    model = load_version("cat", version="1", tracking_uri=sqlite_uri).model
    assert "new-skill" in [str(s) for s in model.skills_]
    code, out = run_cli(["train", "--model", "irt", *common, *with_catalog], monkeypatch, capsys)
    assert code == 2 and "does not take a catalog" in out and "Traceback" not in out


def test_train_with_the_catalog_names_skill_codes_it_lacks(
    small_log, sqlite_uri, tmp_path, monkeypatch, capsys
):
    """A district's trial: a log whose export wrote a skill code in another case than the
    catalog ('skill-5' for 'Skill-5') was fitted with the code as one more skill, and the
    catalog's own got its neighbours' parameters, without a word. `train --catalog` now gives
    the nightly job's warning, with the catalog's spelling."""
    path = tmp_path / "responses.parquet"
    small_log.frame.to_parquet(path)
    skills = tuple(Skill(str(s)) for s in small_log.skills if str(s) != "skill-5")
    skills += (Skill("Skill-5"),)
    Catalog(skills=skills, activities=(Activity("a1", "A1", ("Skill-5",)),)).to_json(
        tmp_path / "catalog.json"
    )
    code, out = run_cli(
        ["train", "--model", "bkt", "--data", str(path), "--folds", "2", "--tracking-uri",
         sqlite_uri, "--catalog", str(tmp_path / "catalog.json")], monkeypatch, capsys,
    )  # fmt: skip
    assert code == 0, out
    assert "on 1 skill id the catalog does not have: 'skill-5' (" in out
    assert "did you mean 'Skill-5'?" in out and "pupil-zq" not in out


def test_train_refuses_a_bad_name_and_another_districts_catalog_before_the_fit(
    small_log, sqlite_uri, tmp_path, monkeypatch, capsys
):
    """A data scientist's trial: `--name a/b` fitted the model, then failed with an internal
    error (exit 1); a catalog of another district (no skill of the log) was a warning, and the
    promoted model served every student from population defaults. Both: exit 2, before fitting."""
    path = tmp_path / "responses.parquet"
    small_log.frame.to_parquet(path)
    common = ["train", "--model", "bkt", "--data", str(path), "--folds", "2"]
    common += ["--tracking-uri", sqlite_uri]
    for name in ("a/b", "a:b", " "):
        code, out = run_cli([*common, "--name", name], monkeypatch, capsys)
        assert code == 2 and "a registered model's name cannot be" in out, out
        assert "internal error" not in out and "Traceback" not in out
    other = Catalog(skills=(Skill("g3.NF.1"),), activities=(Activity("a1", "A1", ("g3.NF.1",)),))
    other.to_json(tmp_path / "other.json")
    code, out = run_cli([*common, "--catalog", str(tmp_path / "other.json")], monkeypatch, capsys)
    assert code == 2 and "none of its 1 skills is one of the log's" in out, out


@pytest.mark.parametrize(
    ("model", "knob", "says"),
    [
        ("dkt", "hidden_size = 0", "hidden_size = 0 (expected a whole number >= 1"),
        ("dkt", "embedding_size = 0", "embedding_size = 0 (expected a whole number >= 1"),
        ("akt", "dropout = 1.5", "dropout = 1.5 (expected a share in [0, 1)"),
        ("sakt", "learning_rate = -1.0", "learning_rate = -1.0 (expected a finite number > 0"),
        ("akt", "window = 0", "window = 0 (expected a whole number >= 1"),
        ("sakt", 'window = "20"', "window = '20' (expected an integer)"),
        ("dkt", "hiden_size = 8", "unknown key 'hiden_size' (did you mean 'hidden_size'?)"),
    ],
)  # fmt: skip
def test_train_refuses_a_bad_deep_knob_before_reading_the_data(
    model, knob, says, sqlite_uri, tmp_path, monkeypatch, capsys
):
    """`embedding_size = 0` said only torch's "input_size must be greater than zero" (with the
    spec's every param appended), and `--seed -1` fitted a BKT to end in "internal error:
    ValueError: expected non-negative integer". Each knob is now refused when the spec (or the
    command line) is read, naming it and its value: exit 2, no traceback, the data (here a file
    that does not exist) never read."""
    spec = tmp_path / "mine.toml"
    spec.write_text(f'model = "{model}"\n[params]\n{knob}\n')
    args = ["train", "--model", str(spec), "--data", str(tmp_path / "absent.csv")]
    code, out = run_cli([*args, "--tracking-uri", sqlite_uri], monkeypatch, capsys)
    assert code == 2 and f"{spec}: bad [params] for '{model}': " in out, out
    assert says in " ".join(out.split()), out
    assert "absent.csv" not in out and "Traceback" not in out and "internal error" not in out


def test_train_refuses_a_negative_seed_on_the_command_line(
    sqlite_uri, tmp_path, monkeypatch, capsys
):
    """`adaptive train --model bkt --seed -1` read the data, fitted, then ended in "internal
    error: ValueError: expected non-negative integer" (exit 1)."""
    args = ["train", "--model", "bkt", "--data", str(tmp_path / "absent.csv"), "--seed", "-1"]
    code, out = run_cli([*args, "--tracking-uri", sqlite_uri], monkeypatch, capsys)
    assert code == 2 and "--seed" in out and "greater than or equal to 0" in out, out
    assert "absent.csv" not in out and "Traceback" not in out


def test_batch_reads_a_district_folder_as_recommend_does(sqlite_uri, tmp_path, monkeypatch, capsys):
    """`adaptive simulate --out DIR`, then `adaptive batch --district DIR` and `adaptive report
    --district DIR` (as `recommend --district DIR`): the same night as naming its three
    files; with one of them too, one error (was: no such option)."""
    district = tmp_path / "district"
    steps = [
        ["simulate", "--out", str(district), "--students", "150", "--responses", "30"],
        ["train", "--model", "irt", "--data", str(district / "responses.parquet"),
         "--name", "folder", "--folds", "2", "--tracking-uri", sqlite_uri],
        ["promote", "--name", "folder", "--tracking-uri", sqlite_uri],
    ]  # fmt: skip
    for args in steps:
        code, out = run_cli([*args, "--quiet"], monkeypatch, capsys)
        assert code == 0, out
    night = ["batch", "--date", "2026-12-01", "--name", "folder", "--tracking-uri", sqlite_uri]
    files = ["--data", str(district / "responses.parquet"), "--catalog",
             str(district / "catalog.json"), "--profiles", str(district / "profiles.jsonl")]  # fmt: skip
    for out_dir, given in (("by-folder", ["--district", str(district)]), ("by-files", files)):
        code, out = run_cli([*night, "--out", str(tmp_path / out_dir), *given, "-q"],
                            monkeypatch, capsys)  # fmt: skip
        assert code == 0, out
    parts = sorted((tmp_path / "by-files" / "recommendations").rglob("*.parquet"))
    assert parts
    for part in parts:
        twin = tmp_path / "by-folder" / part.relative_to(tmp_path / "by-files")
        assert twin.read_bytes() == part.read_bytes()
    site = ["report", "--date", "2026-12-01", "--batch", str(tmp_path / "by-folder"), "--out",
            str(tmp_path / "site"), "--district", str(district), "--tracking-uri", sqlite_uri]  # fmt: skip
    code, out = run_cli([*site, "-q"], monkeypatch, capsys)
    assert code == 0 and (tmp_path / "site" / "index.html").is_file(), out
    code, out = run_cli([*night, "--out", str(tmp_path / "both"), "--district", str(district),
                         "--catalog", str(district / "catalog.json")], monkeypatch, capsys)  # fmt: skip
    assert code == 2 and "give --district (a folder) or --catalog, not both" in out
    assert "Traceback" not in out and not (tmp_path / "both").exists()


def test_train_evaluate_and_promote_read_a_district_folder(
    sqlite_uri, tmp_path, monkeypatch, capsys
):
    """A data scientist who simulated a district trains, evaluates and promotes on its folder:
    `--district DIR` is the folder's log (and, for `train`, its catalog and profiles), the same
    as naming them. The folder given as `--data`, a folder of other files, an empty folder, or no log at
    all: one error saying what to give (was: "'DIR' is neither a file nor a dataset name";
    "No such option: --district"). A folder of Parquet parts (a warehouse export) is a log."""
    district = tmp_path / "district"
    code, out = run_cli(["simulate", "--out", str(district), "--students", "150",
                         "--responses", "30", "-q"], monkeypatch, capsys)  # fmt: skip
    assert code == 0, out
    log, catalog = str(district / "responses.parquet"), str(district / "catalog.json")
    profiles = str(district / "profiles.jsonl")
    train = ["train", "--model", "bkt", "--folds", "2", "--tracking-uri", sqlite_uri, "-q"]
    tables = []
    for name, given in (("folder", ["--district", str(district)]),
                        ("files", ["--data", log, "--catalog", catalog, "--profiles", profiles])):  # fmt: skip
        code, out = run_cli([*train, "--name", name, *given], monkeypatch, capsys)
        assert code == 0, out
        tables.append(out.split("MLflow run")[0])
    assert tables[0] == tables[1] and "all" in tables[0]
    client = MlflowClient(tracking_uri=sqlite_uri, registry_uri=sqlite_uri)
    params = [client.get_run(client.get_model_version(n, "1").run_id).data.params
              for n in ("folder", "files")]  # fmt: skip
    assert params[0]["catalog_skills"] == params[1]["catalog_skills"] != "0"  # the catalog read
    evaluate = ["evaluate", "--models", "bkt", "--folds", "2", "--bootstrap", "10", "-q"]
    for out_dir, given in (
        ("by-folder", ["--district", str(district)]),
        ("by-file", ["--data", log]),
    ):
        code, out = run_cli([*evaluate, "--out", str(tmp_path / out_dir), *given], monkeypatch,
                            capsys)  # fmt: skip
        assert code == 0, out
    metrics = [(tmp_path / d / "metrics.csv").read_text() for d in ("by-folder", "by-file")]
    assert metrics[0] == metrics[1]
    code, out = run_cli(["promote", "--name", "folder", "--district", str(district),
                         "--tracking-uri", sqlite_uri], monkeypatch, capsys)  # fmt: skip
    # 32 held-out students of 150 do not establish that the model beats the constant base rate
    assert code == 0 and "not promoted: below the minimum bar" in out, out
    assert "not established below the constant" in " ".join(out.split()), out

    parts = tmp_path / "export"  # the log as a warehouse writes it: a folder of parts
    (parts / "day=1").mkdir(parents=True)
    (parts / "day=1" / "part-0000.parquet").write_bytes(
        (district / "responses.parquet").read_bytes()
    )
    (parts / "_SUCCESS").write_text("")
    code, out = run_cli([*train, "--name", "parts", "--data", str(parts), "--catalog", catalog, "--profiles", profiles],
                        monkeypatch, capsys)  # fmt: skip
    assert code == 0 and out.split("MLflow run")[0] == tables[0], out
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "part-0.parquet").write_bytes(
        (district / "responses.parquet").read_bytes()
    )
    (tmp_path / "mixed" / "notes.csv").write_text("a\n")
    (tmp_path / "empty").mkdir()
    mistakes = [
        (["--data", str(district)], "is a district folder", "--district"),
        (["--data", str(tmp_path / "mixed")], "notes.csv", "only Parquet parts in a log's folder"),
        (["--data", str(tmp_path / "empty")], "empty", "a folder holding Parquet parts"),
        ([], "give --data (a response log", "or --district"),
        (["--district", str(district), "--data", log], "not both", "--data"),
    ]
    for given, said, also in mistakes:
        code, out = run_cli([*train, "--name", "mistake", *given], monkeypatch, capsys)
        assert code == 2 and said in out and also in out and "Traceback" not in out, (given, out)
    code, out = run_cli([*evaluate, "--out", str(tmp_path / "e"), "--data", str(district)],
                        monkeypatch, capsys)  # fmt: skip
    assert code == 2 and "is a district folder" in out


def test_promote_after_a_quarantined_train_asks_for_a_quarantine(
    small_log, sqlite_uri, tmp_path, monkeypatch, capsys
):
    """A data scientist's trial: `train --quarantine` then `promote` (no data: the candidate's
    own) listed the bad rows the train had set aside, exit 2, without saying why. Now one line
    naming --quarantine; with it, promote runs on the same rows."""
    frame = small_log.frame.copy()
    frame["skill_ids"] = frame["skill_ids"].map(lambda ids: ids[0])
    frame["correct"] = frame["correct"].astype(str)
    frame.loc[0, "correct"] = "maybe"
    path = tmp_path / "own.csv"
    frame.to_csv(path, index=False)
    common = ["--tracking-uri", sqlite_uri, "--quarantine", str(tmp_path / "q.csv")]
    code, out = run_cli(
        ["train", "--model", "irt", "--data", str(path), "--name", "q", "--folds", "2", *common],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 0, out
    code, out = run_cli(
        ["promote", "--name", "q", "--tracking-uri", sqlite_uri], monkeypatch, capsys
    )
    assert code == 2 and "give --quarantine FILE to promote on the same rows" in out, out
    code, out = run_cli(["promote", "--name", "q", *common], monkeypatch, capsys)
    assert code == 0, out


def test_a_misspelt_registered_name_is_named_with_the_closest(
    small_log, sqlite_uri, tmp_path, monkeypatch, capsys
):
    """A data scientist's trial: `--name distrcit` said "has no alias @champion ... (e.g.
    adaptive demo)" or "has no versions; train one": now that no such model exists, and the
    closest registered name."""
    path = tmp_path / "responses.parquet"
    small_log.frame.to_parquet(path)
    args = ["--data", str(path), "--tracking-uri", sqlite_uri]
    code, out = run_cli(
        ["train", "--model", "irt", "--name", "district", "--folds", "2", *args],
        monkeypatch,
        capsys,
    )
    assert code == 0, out
    code, out = run_cli(["promote", "--name", "distrcit", *args], monkeypatch, capsys)
    assert code == 2 and "no registered model 'distrcit' in " in out, out
    assert "(did you mean 'district'? registered: district)" in out, out
    from adaptive.errors import ArtifactError
    from adaptive.registry import load_version

    with pytest.raises(ArtifactError, match="did you mean 'district'"):
        load_version("distrcit", alias="champion", tracking_uri=sqlite_uri)


def test_rollback_serves_an_earlier_champion_again(
    small_log, sqlite_uri, tmp_path, monkeypatch, capsys
):
    """An operator's trial: no documented way back to the last champion (`promote --version 1
    --margin -1` was refused; the alias had to be set by hand). `adaptive rollback` does it,
    only to a version that was champion before, and records why. A district data scientist's:
    the model load_champion returned did not say which version it was; it does now."""
    from adaptive.registry import load_champion, load_version
    from adaptive.registry.promotion import WAS_CHAMPION

    path = tmp_path / "responses.parquet"
    small_log.frame.to_parquet(path)
    common = ["--data", str(path), "--folds", "2", "--tracking-uri", sqlite_uri]
    for _ in range(2):
        code, out = run_cli(
            ["train", "--model", "irt", "--name", "rb", *common], monkeypatch, capsys
        )
        assert code == 0, out
    code, out = run_cli(["promote", "--name", "rb", "--version", "1", *common[:2], *common[4:]],
                        monkeypatch, capsys)  # fmt: skip
    assert code == 0 and "PROMOTED" in out, out
    client = MlflowClient(sqlite_uri)  # v2 promoted later (as a better model would be)
    client.set_registered_model_alias("rb", "champion", "2")
    client.set_model_version_tag("rb", "2", WAS_CHAMPION, "a run")
    uri = ["--tracking-uri", sqlite_uri]
    code, out = run_cli(["rollback", "--name", "rb", "--version", "1", "--reason",
                         "v2 misbehaved", *uri], monkeypatch, capsys)  # fmt: skip
    assert code == 0 and "v1 is the champion again (was v2)" in out, out
    assert str(client.get_model_version_by_alias("rb", "champion").version) == "1"
    assert client.get_model_version("rb", "1").tags["promotion.rollback_reason"] == "v2 misbehaved"
    champion = load_champion("rb", tracking_uri=sqlite_uri)  # which version it is, in Python
    assert (champion.registered_name, champion.registered_version) == ("rb", "1")
    assert load_version("rb", "2", tracking_uri=sqlite_uri).model.registered_version == "2"
    code, out = run_cli(["rollback", "--name", "rb", "--version", "1", "--reason", "again", *uri],
                        monkeypatch, capsys)  # fmt: skip
    assert code == 2 and "already the champion" in out
    client.delete_model_version_tag("rb", "2", WAS_CHAMPION)
    code, out = run_cli(["rollback", "--name", "rb", "--version", "2", "--reason", "x", *uri],
                        monkeypatch, capsys)  # fmt: skip
    assert code == 2 and "was never promoted" in out


def test_promote_and_rollback_on_a_missing_store_name_it_and_create_nothing(
    tmp_path, monkeypatch, capsys
):
    """A district data scientist's trial: from a cron shell without its MLFLOW_TRACKING_URI,
    `promote --name district-math --version 4` said only "version 4 not found", and left a
    new empty store behind (the default one, or ./nostore.db for --tracking-uri
    sqlite:///nostore.db). The store searched is named, and nothing is created."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("ADAPTIVE_DATA_DIR", str(tmp_path / "data"))
    for command in (["promote", "--name", "district-math", "--version", "4"],
                    ["rollback", "--name", "district-math", "--version", "4", "--reason", "r"]):  # fmt: skip
        code, out = run_cli([*command, "--tracking-uri", "sqlite:///nostore.db"],
                            monkeypatch, capsys)  # fmt: skip
        assert code == 2 and "Traceback" not in out, out
        assert (
            "registered model 'district-math': no tracking store at sqlite:///nostore.db "
            "(--tracking-uri): train a model first"
        ) in out
        code, out = run_cli(command, monkeypatch, capsys)
        default = f"sqlite:///{tmp_path / 'data' / 'mlflow' / 'mlflow.db'}"
        assert code == 2 and f"no tracking store at {default} (the default store, in " in out
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no nostore.db, no data/mlflow


def test_a_file_that_is_no_mlflow_store_is_refused_and_left_as_it_is(
    tmp_path, monkeypatch, capsys, small_log
):
    """`promote --tracking-uri sqlite:///app.db` on the district's own application database
    (a typo for the store's file) added MLflow's tables to it; an empty file became a store;
    a text file ended in "This is a bug in adaptive". Each is one error, and no file changes."""
    monkeypatch.chdir(tmp_path)
    app = tmp_path / "app.db"
    with closing(sqlite3.connect(app)) as con:
        con.execute("CREATE TABLE students (id TEXT)")
        con.commit()
    (tmp_path / "empty.db").touch()
    (tmp_path / "notes.txt").write_text("not a database\n")
    small_log.frame.to_parquet(tmp_path / "log.parquet")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    promote = ["promote", "--name", "district-math", "--version", "1", "--tracking-uri"]
    code, out = run_cli([*promote, "sqlite:///app.db"], monkeypatch, capsys)
    assert code == 2 and "Traceback" not in out, out
    assert (
        "app.db is a SQLite database but not an MLflow tracking store (its tables: students)" in out
    )
    code, out = run_cli([*promote, "sqlite:///empty.db"], monkeypatch, capsys)
    assert (
        code == 2
        and "no tracking store at sqlite:///empty.db (--tracking-uri; its file is empty)" in out
    )
    code, out = run_cli([*promote, "sqlite:///notes.txt"], monkeypatch, capsys)
    assert code == 2 and "notes.txt is not a SQLite database" in out and "bug" not in out, out
    train = ["train", "--name", "m", "--model", "bkt", "--data", "log.parquet", "--folds", "2"]
    code, out = run_cli([*train, "--tracking-uri", "sqlite:///app.db"], monkeypatch, capsys)
    assert code == 2 and "not an MLflow tracking store" in out, out
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_store_path_that_cannot_be_a_folder_says_where_the_store_came_from(
    tmp_path, monkeypatch, capsys
):
    """`resolve_tracking_uri` said where a bad URI came from in its own words, "$MLFLOW_TRACKING_URI"
    even for the default store, and an unusable store path not at all: a user who never typed
    it (the default store under $ADAPTIVE_DATA_DIR) could not tell where it came from."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    (tmp_path / "afile").write_text("")
    monkeypatch.setenv("ADAPTIVE_DATA_DIR", str(tmp_path / "afile"))
    code, out = run_cli(["promote", "--name", "district-math"], monkeypatch, capsys)
    assert code == 2 and "Traceback" not in out, out
    assert (
        f"'{tmp_path / 'afile'}' is a file, so '{tmp_path / 'afile' / 'mlflow' / 'mlflow.db'}'"
        in out
    )
    assert "(the tracking store: the default store, in $ADAPTIVE_DATA_DIR)" in out
    assert "MLFLOW_TRACKING_URI" not in out
    uri = f"sqlite:///{tmp_path / 'afile' / 'mlflow.db'}"
    code, out = run_cli(["promote", "--name", "district-math", "--tracking-uri", uri],
                        monkeypatch, capsys)  # fmt: skip
    assert code == 2 and "(the tracking store: --tracking-uri)" in out, out


def test_a_version_not_found_names_the_store_searched(tmp_path, monkeypatch, capsys):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    MlflowClient(tracking_uri=uri, registry_uri=uri).create_registered_model("district-math")
    code, out = run_cli(["promote", "--name", "district-math", "--version", "4",
                         "--tracking-uri", uri], monkeypatch, capsys)  # fmt: skip
    assert code == 2 and "Traceback" not in out
    assert f"registered model 'district-math' has no version 4 in {uri}; it has no versions" in out
    code, out = run_cli(["promote", "--name", "district-mat", "--tracking-uri", uri],
                        monkeypatch, capsys)  # fmt: skip
    assert (
        f"no registered model 'district-mat' in {uri} (did you mean 'district-math'? "
        "registered: district-math)" in out
    ), out  # said once (it read 'has no versions in ...; no registered model ...')
    assert not list(tmp_path.rglob("*.lock"))  # a name that is not there takes no lock file


def test_a_missing_version_lists_the_versions_there(tmp_path, monkeypatch, capsys):
    """A district data scientist's trial: `rollback --version 9` on a model of four versions
    said "its versions: 1, 2, 3, ..., 4", as if some were left out. A few are listed whole;
    many are elided, with how many in all."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("district-kt")
    for _ in range(4):
        client.create_model_version("district-kt", source=str(tmp_path))
    args = ["rollback", "--name", "district-kt", "--version", "99", "--reason", "x",
            "--tracking-uri", uri]  # fmt: skip
    code, out = run_cli(args, monkeypatch, capsys)
    assert code == 2 and "its versions: 1, 2, 3, 4\n" in out, out
    for _ in range(8):
        client.create_model_version("district-kt", source=str(tmp_path))
    code, out = run_cli(args, monkeypatch, capsys)
    assert code == 2 and "its versions: 1, 2, 3, ..., 10, 11, 12 (12 in all)" in out, out


def test_train_on_a_district_checks_whether_knowledge_follows_the_curriculum_order(
    sqlite_uri, tmp_path, monkeypatch, capsys
):
    """`adaptive train --district DIR` (or --catalog and --profiles): any model measures, with
    the students' grades, whether the district's knowledge follows the curriculum order, keeps
    it in its artifact and its run, and says what the policy does with it; --profiles without
    --catalog is one line, exit 2."""
    from adaptive.registry import load_version
    from adaptive.simulation.district import simulate_district, write_district

    folder = tmp_path / "district"
    write_district(simulate_district(200, 0, responses_per_student=30), folder)
    common = ["--folds", "2", "--tracking-uri", sqlite_uri]
    code, out = run_cli(
        ["train", "--model", "pfa", "--name", "lvl", "--district", str(folder), *common],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 0, out
    assert "Curriculum order in the training log: knowledge does not follow" in " ".join(
        out.split()
    )
    fetched = load_version("lvl", version="1", tracking_uri=sqlite_uri)
    level = fetched.model.curriculum_level_
    assert level.answers >= 200 and not level.holds
    # where new students start: the district's table, read from the same first answers
    assert level.start.table != GradeTable() and level.start.table.own_grade != (0.7, 0.1)
    said = " ".join(out.split())
    assert "Where new students start, read from the training log's first answers" in said
    assert "A policy without a [grade_table] places students without history with it" in said
    params = MlflowClient(sqlite_uri).get_run(fetched.run_id).data.params
    assert int(params["curriculum_level_answers"]) == level.answers
    code, out = run_cli(
        ["train", "--model", "pfa", "--data", str(folder / "responses.parquet"),
         "--profiles", str(folder / "profiles.jsonl"), *common],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 2 and "give the catalog (--catalog)" in out and "Traceback" not in out
    # the district's own grade table (its policy file) is the one the check reads
    policy = tmp_path / "policy.toml"
    policy.write_text("[grade_table]\n-2 = 0.99\n-1 = 0.99\n0 = 0.5\n1 = 0.01\n")
    code, out = run_cli(
        ["train", "--model", "pfa", "--name", "lvl", "--district", str(folder),
         "--policy", str(policy), *common],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 0, out
    other = load_version("lvl", version="2", tracking_uri=sqlite_uri).model.curriculum_level_
    assert other.answers == level.answers and other.gain != level.gain
    # the check reads the policy's table; where students start is still the district's own,
    # for a policy without a table (the policy file given to train places them while given)
    assert other.grade_table == PolicyConfig.from_toml(policy).grade_table
    assert other.start == level.start
    assert "The policy file's [grade_table] places students without history instead" in " ".join(
        out.split()
    )
    code, out = run_cli(
        ["train", "--model", "pfa", "--data", str(folder / "responses.parquet"),
         "--policy", str(policy), *common],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 2 and "--policy: train reads only its grade table" in out


def test_train_reads_school_years_from_the_district_s_norm(
    sqlite_uri, tmp_path, monkeypatch, capsys
):
    """`adaptive train` had no --norm: a district whose school year starts on another day than
    the shipped norm's (09-01) had its training log's first answers read at the grade of the
    shipped norm's school years. With `--norm FILE` (the option `report` takes), its own
    `year_start` says where each school year starts: a year starting on 01-01 makes the
    simulated district's autumn answers (September to December 2026) last school year's, read
    a grade below the roster's. A wrong norm is refused before the fit; --norm without the
    profiles it reads the grades of is one line, exit 2."""
    from adaptive.registry import load_version
    from adaptive.simulation.district import simulate_district, write_district

    folder = tmp_path / "district"
    write_district(simulate_district(200, 0, responses_per_student=30), folder)
    common = ["--folds", "2", "--tracking-uri", sqlite_uri, "--district", str(folder)]
    shipped = tmp_path / "shipped.toml"
    shipped.write_text('year_start = "09-01"\n[default]\nstart = 0.1\nend = 0.8\n')
    january = tmp_path / "january.toml"
    january.write_text('year_start = "01-01"\n[default]\nstart = 0.1\nend = 0.8\n')
    for norm in (shipped, january):
        args = ["train", "--model", "bkt", "--name", "yr", "--norm", str(norm), *common]
        code, out = run_cli(args, monkeypatch, capsys)
        assert code == 0, out
    by_shipped, by_january = (
        load_version("yr", version=v, tracking_uri=sqlite_uri).model.curriculum_level_.start
        for v in ("1", "2")
    )
    assert sum(by_january.answers.values()) == sum(by_shipped.answers.values())
    # the autumn's first answers, own-grade ones, read at a grade below: a grade above it
    assert by_january.answers.get(1, 0) > by_shipped.answers.get(1, 0) + 100
    # next school year's roster (every grade one higher) beside this log: `--roster-date`, a
    # day of that year, reads each answer at the grade it was given in, as the log's own roster
    import json

    next_year = tmp_path / "next_year.jsonl"
    lines = (folder / "profiles.jsonl").read_text().splitlines()
    next_year.write_text(
        "".join(json.dumps({**(p := json.loads(line)), "grade": p["grade"] + 1}) + "\n"
                for line in lines)
    )  # fmt: skip
    files = ["--data", str(folder / "responses.parquet"), "--catalog",
             str(folder / "catalog.json"), "--profiles", str(next_year)]  # fmt: skip
    args = ["train", "--model", "bkt", "--name", "yr", "--roster-date", "2027-10-01"]
    code, out = run_cli([*args, *files, "--folds", "2", "--tracking-uri", sqlite_uri],
                        monkeypatch, capsys)  # fmt: skip
    assert code == 0, out
    by_next = load_version("yr", version="3", tracking_uri=sqlite_uri).model
    assert by_next.curriculum_level_.start.answers == by_shipped.answers
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('year_start = "13-45"\n')
    code, out = run_cli(
        ["train", "--model", "bkt", "--norm", str(wrong), *common], monkeypatch, capsys
    )
    assert code == 2 and "year_start" in out and "Traceback" not in out
    assert "held-out folds" not in out  # refused before the fit
    code, out = run_cli(
        ["train", "--model", "bkt", "--data", str(folder / "responses.parquet"),
         "--norm", str(january), "--folds", "2", "--tracking-uri", sqlite_uri],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 2 and "--norm: train reads only its year_start" in out


def test_a_district_simulated_in_curriculum_order_is_found_to_follow_it(
    sqlite_uri, tmp_path, monkeypatch, capsys
):
    """`adaptive simulate --prior curriculum` writes a district whose students know their
    curriculum up to a point; `adaptive train --district` on it finds the order and says the
    policy reads it. A misspelt prior is one line, exit 2."""
    folder = tmp_path / "ordered"
    code, out = run_cli(
        ["simulate", "--out", str(folder), "--students", "300", "--responses", "30",
         "--prior", "curriculum", "--quiet"],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 0, out
    code, out = run_cli(
        ["train", "--model", "bkt", "--name", "ord", "--district", str(folder), "--folds", "2",
         "--tracking-uri", sqlite_uri],
        monkeypatch, capsys,
    )  # fmt: skip
    said = " ".join(out.split())
    assert code == 0, out
    assert "Curriculum order in the training log: knowledge follows" in said
    assert "the adaptive policy reads each student's never-answered skills" in said
    code, out = run_cli(
        ["simulate", "--out", str(tmp_path / "x"), "--students", "5", "--prior", "Curriculum"],
        monkeypatch, capsys,
    )  # fmt: skip
    said = " ".join(out.split())
    assert code == 2 and "unknown prior 'Curriculum' (did you mean 'curriculum'?)" in said
    assert "Traceback" not in out


def test_a_model_without_champion_names_its_promote_and_why_the_last_did_not_promote(
    small_log, sqlite_uri, tmp_path, monkeypatch, capsys
):
    """A district engineer's trial: `batch --name hs` of a model never made champion said
    "(train and promote a model first, e.g. `adaptive demo`)", which trains the demo's model,
    not theirs. Now the promote of their own model (with the store given), and what the last
    promote of its latest version decided and why."""
    from adaptive.errors import ArtifactError
    from adaptive.registry import load_version

    path = tmp_path / "responses.parquet"
    small_log.frame.to_parquet(path)
    args = ["--data", str(path), "--tracking-uri", sqlite_uri]
    code, out = run_cli(
        ["train", "--model", "irt", "--name", "hs", "--folds", "2", *args], monkeypatch, capsys
    )
    assert code == 0, out
    promote = f"`adaptive promote --name hs --tracking-uri {sqlite_uri}`"
    with pytest.raises(ArtifactError) as never:
        load_version("hs", alias="champion", tracking_uri=sqlite_uri)
    assert "version 1 was never promoted: " + promote in str(never.value)
    assert "adaptive demo" not in str(never.value)
    code, out = run_cli(
        ["promote", "--name", "hs", "--min-auc", "0.99", *args], monkeypatch, capsys
    )
    with pytest.raises(ArtifactError) as rejected:
        load_version("hs", alias="champion", tracking_uri=sqlite_uri)
    said = str(rejected.value)
    assert "the last promote of its latest version 1 decided 'rejected': " in said, said
    assert "0.99" in said and promote in said and "MLflow UI" in said
