"""`adaptive train` and `adaptive promote` on a user's own file, against a tmp SQLite store."""

from __future__ import annotations

import sys

import pytest
from mlflow import MlflowClient

from adaptive.cli import main
from adaptive.curriculum import Activity, Catalog, Skill


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
