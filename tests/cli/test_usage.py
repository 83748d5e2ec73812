"""Every usage mistake: click's usage line and one error, exit 2, never a traceback (issue 17/7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from adaptive.cli import app, package_version
from adaptive.curriculum import Catalog


def command_paths() -> list[list[str]]:
    """Every command and sub-command, as the words a user types."""
    import typer

    root = typer.main.get_command(app)
    paths = []
    for name, cmd in root.commands.items():
        sub = getattr(cmd, "commands", None)
        paths += [[name, s] for s in sub] if sub else [[name]]
    return paths


def test_every_command_is_covered() -> None:
    names = {" ".join(p) for p in command_paths()}
    assert {"train", "promote", "batch", "recommend", "evaluate", "validate"} <= names
    assert {"datasets list", "simulate", "policy-eval", "demo"} <= names


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope"], "No such command 'nope'"),
        (["train"], "Missing option '--model'"),
        (["recommend", "--student", "s1", "--k", "abc"], "Invalid value for '--k'"),
        (["recommend", "--student", "s1", "--k", "0"], "Invalid value for '--k'"),
        (["batch", "--date", "not-a-date", "--out", "x"], "'not-a-date': expected an ISO 8601"),
        # month or day first? 3 April in most of the world, 4 March to pandas: refused
        (["batch", "--date", "03/04/2027", "--out", "x"], "'03/04/2027': expected an ISO 8601"),
        (["report", "--date", "20/02/2027", "--out", "x"], "'20/02/2027': expected an ISO 8601"),
        (["recommend", "--student", "s1", "--now", "someday"], "'someday': expected an ISO 8601"),
        (
            ["experiment", "analyze", "--start", "02/01/2027", "--end", "2027-02-20"],
            "'02/01/2027': expected an ISO 8601",
        ),
        (["promote", "--name", "m", "--no-such-flag", "x"], "No such option: --no-such-flag"),
        (["datasets", "describe"], "Missing argument 'NAME'"),
    ],
)
def test_usage_errors_exit_2_with_the_usage_line(cli, args, message) -> None:
    r = cli(*args)
    assert r.code == 2, r.text
    assert "Usage: adaptive" in r.err and message in r.err
    assert "Traceback" not in r.text


@pytest.mark.parametrize(
    "args",
    [
        ["experiment", "assign", "--seed", "-5"],
        ["experiment", "analyze", "--permutations", "20", "--seed", "-1"],
        ["ope", "--seed", "-1"],
        ["simulate", "--seed", "-1"],
    ],
)
def test_a_negative_seed_is_a_usage_error(cli, args) -> None:
    """A user trial: each ended in "internal error: ValueError/OverflowError" (numpy's seeding)."""
    r = cli(*args)
    assert r.code == 2, r.text
    assert "Invalid value for '--seed'" in r.err and "greater than or equal to 0" in r.err
    assert "internal error" not in r.text and "Traceback" not in r.text


def test_a_negative_seed_is_refused_by_the_python_apis(tmp_path) -> None:
    """The functions behind those options: an ArgumentError naming the seed, not numpy's."""
    from adaptive.errors import ArgumentError
    from adaptive.evaluation.ope.logs import evaluate_logs
    from adaptive.experiment.analyze import estimate_effects
    from adaptive.experiment.assign import assign
    from adaptive.simulation.district import simulate_district

    frame = pd.DataFrame({"y": [0.0, 1.0, 0.5, 0.2], "arm": ["a", "b", "a", "b"],
                          "unit_id": ["u1", "u2", "u3", "u4"], "stratum": ["s"] * 4})  # fmt: skip
    calls = [
        lambda: assign(
            frame.assign(
                student_id=["1", "2", "3", "4"], school_id="s", class_id=frame["unit_id"], grade=3
            ),
            {"a": "policy", "b": "policy"},
            seed=-5,
        ),  # fmt: skip
        lambda: estimate_effects(frame, "y", permutations=20, seed=-1),
        lambda: evaluate_logs(tmp_path, "policy", data="x", catalog="x", seed=-1),
        lambda: simulate_district(10, -1),
    ]
    for call in calls:
        with pytest.raises(ArgumentError, match=r"seed -\d: expected an integer >= 0"):
            call()


def test_a_bare_adaptive_shows_the_usage_and_exits_2(cli) -> None:
    r = cli()
    assert r.code == 2 and "Usage: adaptive" in r.text and "Traceback" not in r.text


@pytest.mark.parametrize("words", [[]] + command_paths(), ids=" ".join)
def test_dash_h_is_help_on_every_command(cli, words) -> None:
    r = cli(*words, "-h")
    assert r.code == 0, r.text
    assert "Usage:" in r.out and "--help" in r.out


def test_district_help_names_the_commands_own_file_options() -> None:
    """A trial: `report --help` said --district stands "instead of this command's file options
    (--data, --catalog, --profiles ...)", and `report` has no --data."""
    import typer

    root = typer.main.get_command(app)
    files = ("--data", "--catalog", "--profiles")
    seen = []
    for words in command_paths():
        cmd = root
        for w in words:
            cmd = cmd.commands[w]
        district = [p for p in cmd.params if "--district" in p.opts]
        if not district:
            continue
        own = [f for f in files if any(f in p.opts for p in cmd.params)]
        named = [f for f in files if f in district[0].help]
        assert named == own, (words, district[0].help)
        seen.append(" ".join(words))
    assert {"report", "train", "batch", "evaluate"} <= set(seen)


@pytest.mark.parametrize("words", command_paths(), ids=" ".join)
def test_every_command_takes_quiet(cli, words) -> None:
    assert "--quiet" in cli(*words, "-h").out


def test_version(cli) -> None:
    r = cli("--version")
    assert r.code == 0 and r.out.strip() == f"adaptive {package_version()}"
    assert package_version() != "unknown"


def test_promote_takes_the_column_flags_and_documents_its_exit_code(cli) -> None:
    out = cli("promote", "-h").out
    for flag in ("--student-col", "--item-col", "--skills-col", "--correct-col", "--time-col"):
        assert flag in out
    assert "Exit code 0 on a decision either way" in " ".join(out.split())


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "--out", "FILE"],
        ["evaluate", "--data", "x.csv", "--out", "FILE"],
        ["batch", "--date", "2026-01-01", "--out", "FILE"],
        ["batch", "--date", "2026-01-01", "--out", "DIR", "--state-dir", "FILE"],
        ["batch", "--date", "2026-01-01", "--out", "DIR", "--catalog", "DIR"],
        ["batch", "--date", "2026-01-01", "--out", "DIR", "--policy", "DIR"],
        ["policy-eval", "--out", "FILE"],
        ["recommend", "--student", "s1", "--district", "FILE"],
        ["demo", "--out", "FILE"],
    ],
)
def test_a_file_for_a_folder_or_a_folder_for_a_file_is_a_usage_error(cli, tmp_path, args) -> None:
    paths = {"FILE": tmp_path / "a-file.txt", "DIR": tmp_path}
    paths["FILE"].write_text("x")
    r = cli(*[paths.get(a, a) for a in args])
    assert r.code == 2, r.text
    assert "is a file" in r.err or "is a directory" in r.err
    assert "Traceback" not in r.text


LOG = "student_id,item_id,skill_ids,correct,order\n" + "".join(
    f"s{s},i{i},k{i % 2},{(s + i) % 2},{i}\n" for s in range(6) for i in range(4)
)


@pytest.mark.parametrize(
    "args, message",
    [
        (["evaluate", "--data", "LOG", "--models", "bkt", "--folds", "2", "--bootstrap", "10",
          "--out", "FILE/sub"], "'FILE' is a file, so 'FILE/sub' cannot be a folder under it"),
        (["validate", "LOG", "--out", "FILE/x.parquet"],
         "'FILE' is a file, so 'FILE/x.parquet' cannot be written under it"),
        (["simulate", "--students", "3", "--responses", "2", "--out", "FILE/sub"],
         "'FILE' is a file, so 'FILE/sub' cannot be a folder under it"),
        (["promote", "--name", "m", "--tracking-uri", "sqlite:///FILE/m.db"],
         "'FILE' is a file, so 'FILE/m.db' cannot be written under it"),
        (["validate", "LOG", "--out", "LONG.parquet"], "cannot create LONG.parquet: File name too"),
    ],
)  # fmt: skip
def test_an_output_path_under_a_file_or_that_cannot_be_made_is_one_error_exit_2(
    cli, tmp_path, args, message
) -> None:
    """A user's trial: `--out clean.csv/sub` was "internal error: NotADirectoryError" (exit 1),
    `--out clean.csv/x.parquet` "internal error: FileExistsError" and `--out /proc/evx`
    "internal error: FileNotFoundError". Now one error naming the path and what is wrong."""
    (tmp_path / "log.csv").write_text(LOG)
    (tmp_path / "a-file.csv").write_text("x")
    paths = {"LOG": str(tmp_path / "log.csv"), "FILE": str(tmp_path / "a-file.csv"),
             "LONG": str(tmp_path / ("x" * 300))}  # fmt: skip

    def given(text: str) -> str:
        for key, path in paths.items():
            text = text.replace(key, path)
        return text

    r = cli(*[given(a) for a in args])
    assert r.code == 2, r.text
    assert f"error: {given(message)}" in r.err and r.err.count("error:") == 1, r.err
    assert "internal error" not in r.text and "Traceback" not in r.text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file.csv", "log.csv"]


def test_an_empty_catalog_is_a_usage_error(cli, tmp_path) -> None:
    Catalog(skills=(), activities=()).to_json(tmp_path / "catalog.json")
    r = cli("batch", "--date", "2026-01-01", "--out", tmp_path / "out",
            "--catalog", tmp_path / "catalog.json")  # fmt: skip
    assert r.code == 2 and "has no activities" in r.err
    assert not (tmp_path / "out").exists()


def test_evaluate_checks_every_model_name_before_reading_data(cli, tmp_path) -> None:
    r = cli("evaluate", "--data", tmp_path / "missing.csv", "--models", "bkt,policy")
    assert r.code == 2
    assert "model spec 'policy' not found" in r.err  # the name, not the missing file
    listed = r.err.split("one of", 1)[1]
    assert "'bkt-forgets'" in listed and "'policy'" not in listed


def test_a_library_error_is_one_line_exit_2(cli, tmp_path) -> None:
    r = cli("evaluate", "--data", tmp_path / "missing.csv", "--models", "bkt")
    assert r.code == 2 and r.err.startswith("error:") and "Traceback" not in r.text


def test_an_internal_error_is_exit_1_with_a_hint_and_debug_shows_the_traceback(
    cli, monkeypatch
) -> None:
    import adaptive.cli.data as data_cli

    def boom(*args, **kwargs):
        raise RuntimeError("something broke")

    monkeypatch.setattr(data_cli, "list_descriptors", boom)
    r = cli("datasets", "list")
    assert r.code == 1
    assert "internal error: RuntimeError: something broke" in r.err and "--debug" in r.err
    assert "Traceback" not in r.text
    monkeypatch.setattr("adaptive.cli.output.SETTINGS.debug", False)
    r = cli("--debug", "datasets", "list")
    assert r.code == 1 and "Traceback" in r.err and "something broke" in r.err


def test_python_dash_m_adaptive_is_the_command(tmp_path) -> None:
    """`python -m adaptive` (no `__main__` before: "No module named adaptive.__main__") runs the
    same command as the console script, for an environment without its scripts on PATH."""

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "adaptive", *args], capture_output=True, text=True,
            timeout=120, cwd=tmp_path,
        )  # fmt: skip

    version = run("--version")
    assert version.returncode == 0 and package_version() in version.stdout, version.stderr
    wrong = run("nope")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stdout + wrong.stderr


def test_the_console_script_exits_with_the_same_codes(tmp_path) -> None:
    """Through a real process, as a user runs it (stdout a pipe, no terminal)."""
    script = [sys.executable, "-c", "from adaptive.cli import main; main()"]
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    for args, code in (([], 2), (["-h"], 0), (["--version"], 0), (["nope"], 2)):
        proc = subprocess.run(
            script + args, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env
        )
        assert proc.returncode == code, (args, proc.stderr)
        assert "Traceback" not in proc.stdout + proc.stderr
    listed = subprocess.run(
        script + ["datasets", "list"], capture_output=True, text=True, timeout=120, env=env
    )
    assert listed.returncode == 0, listed.stderr
    assert max(len(line) for line in listed.stdout.splitlines()) > 80  # not cut at 80 columns
    assert "…" not in listed.stdout
    json.dumps(listed.stdout)  # plain text


def test_skill_col_is_accepted_beside_skills_col_and_a_header_only_file_says_so(
    cli, tmp_path
) -> None:
    """A user types the singular (`--skill-col`) as often as the plural. A file with a header and
    no rows passed `validate` (exit 0, an empty --out written) while an empty file was refused:
    validate, train and evaluate refuse it alike, naming the file (a night's first, before any
    answer, still reads one: `warn_placement_alone`)."""
    header = "student,item,kc,ok,ts\n"
    (tmp_path / "empty.csv").write_text(header)
    (tmp_path / "one.csv").write_text(header + "u1,i1,k1,1,2026-09-01T10:00:00Z\n")
    cols = ["--student-col", "student", "--item-col", "item", "--correct-col", "ok",
            "--time-col", "ts"]  # fmt: skip
    one = cli("validate", tmp_path / "one.csv", *cols, "--skill-col", "kc")
    assert one.code == 0 and "No problems found." in one.out, one.text
    header_only = f"{tmp_path / 'empty.csv'}: got 'a header and no rows'; expected rows of"
    empty = cli("validate", tmp_path / "empty.csv", *cols, "--skills-col", "kc",
                "--out", tmp_path / "checked.parquet")  # fmt: skip
    said = " ".join(empty.err.split())
    assert empty.code == 2 and "1 problem" in said and header_only in said, empty.text
    assert "Traceback" not in empty.text and not (tmp_path / "checked.parquet").exists()
    # `train` on it said "column 'student_id': got '0'", as if an id '0' were wrong
    train = cli("train", "--model", "bkt", "--data", tmp_path / "empty.csv", *cols,
                "--skills-col", "kc", "--tracking-uri", f"sqlite:///{tmp_path / 'm.db'}")  # fmt: skip
    said = " ".join(train.err.split())
    assert train.code == 2 and header_only in said, train.text
    evaluate = cli("evaluate", "--models", "pfa", "--data", tmp_path / "empty.csv", *cols,
                   "--skills-col", "kc", "--out", tmp_path / "o")  # fmt: skip
    said = " ".join(evaluate.err.split())
    assert evaluate.code == 2 and header_only in said, evaluate.text


def test_a_warning_is_one_line_without_a_source_path(cli, tmp_path, monkeypatch) -> None:
    import warnings

    import adaptive.cli.data as data_cli
    from adaptive.errors import FitWarning

    shown = data_cli._print_report

    def warn_then_show(report) -> None:
        warnings.warn("3 skills have a learn rate below 0.01", FitWarning, stacklevel=1)
        warnings.warn("a library's own warning", DeprecationWarning, stacklevel=1)
        shown(report)

    monkeypatch.setattr(data_cli, "_print_report", warn_then_show)
    (tmp_path / "one.csv").write_text("student_id,item_id,skill_ids,correct\nu1,i1,k1,1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        r = cli("validate", tmp_path / "one.csv")
    assert r.code == 0, r.text
    assert "warning: 3 skills have a learn rate below 0.01" in r.err
    assert "warning: DeprecationWarning: a library's own warning" in r.err
    assert ".py:" not in r.err and "Traceback" not in r.text


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["--time-format", "%Q"], {}, "time_format '%Q' is not a strptime format"),
        (["--time-format", "dd/mm/yyyy"], {}, "has no directive"),
        (["--tracking-uri", "notascheme://x"], {}, "unsupported scheme 'notascheme'"),
        ([], {"MLFLOW_TRACKING_URI": "htp://typo:5000"}, "$MLFLOW_TRACKING_URI 'htp://typo:5000'"),
        (["--tracking-uri", "FOLDER"], {}, "a folder is MLflow's file store"),
    ],
)
def test_a_bad_time_format_or_tracking_uri_is_one_error(
    cli, tmp_path, monkeypatch, args, env, message
):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "one.csv").write_text(
        "student_id,item_id,skill_ids,correct,timestamp\nu1,i1,k1,1,2026-09-01T08:00:00Z\n"
    )
    args = [str(tmp_path) if a == "FOLDER" else a for a in args]
    command = (
        ["validate", tmp_path / "one.csv"]
        if "--time-format" in args
        else ["promote", "--name", "m"]
    )
    r = cli(*command, *args)
    assert r.code == 2 and message in r.err, r.text
    assert "Traceback" not in r.text and "internal error" not in r.text


def test_a_sqlite_uri_with_three_slashes_meant_from_the_root_is_refused(
    cli, tmp_path, monkeypatch
) -> None:
    """A user's trial: `--tracking-uri sqlite:///tmp/x/rel.db` (three slashes: relative to the
    current folder, in SQLAlchemy's rules) silently made ./tmp/x/rel.db. A relative path whose
    first folder is missing here but exists at the root is refused, saying the four-slash form;
    a relative path that names a folder of the current one is read as it always was."""
    from adaptive.registry.store import check_sqlite_path

    monkeypatch.chdir(tmp_path)
    rel = str(tmp_path / "x" / "rel.db").lstrip("/")  # 'tmp/pytest-.../x/rel.db': / has tmp
    r = cli("promote", "--name", "m", "--tracking-uri", f"sqlite:///{rel}")
    assert r.code == 2, r.text
    assert r.err.startswith(
        f"error: --tracking-uri sqlite:///{rel} is relative to the current folder (./{rel}); "
        f"for /{rel} write sqlite:////{rel} (four slashes)"
    ), r.err
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{rel}")
    assert "$MLFLOW_TRACKING_URI sqlite:///" in cli("promote", "--name", "m").err
    first = rel.split("/")[0]
    (tmp_path / first).mkdir()  # ./tmp exists: the relative path is meant
    check_sqlite_path(f"sqlite:///{rel}")
    for fine in ("sqlite:///mlflow.db", f"sqlite:///./{rel}", f"sqlite:////{rel}"):
        check_sqlite_path(fine)


NOT_TEXT = [
    (b"PAR1\x15\x04\x15\xa0\x83\x01\x15\xfa", "this file is a Parquet file"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\xa0\xe1", "this file is a zip archive (an Excel .xlsx"),
    ("name = 'café'\n".encode("cp1252"), "another encoding (such as Windows-1252)"),
    # a user trial: Notepad's "Unicode" (UTF-16, bytes ff fe first) was said to be "another
    # encoding (such as Windows-1252)"
    ("name = 'café'\n".encode("utf-16"), "this file is UTF-16 text (what Windows Notepad saves"),
    # UTF-32 little-endian's mark (ff fe 00 00) begins with UTF-16's: it was called UTF-16
    ("name = 'café'\n".encode("utf-32"), "this file is UTF-32 text: save it as UTF-8"),
]


@pytest.mark.parametrize(
    "content, what", NOT_TEXT, ids=["parquet", "xlsx", "cp1252", "utf16", "utf32"]
)
def test_a_file_that_is_not_utf8_text_is_one_error_saying_what_it_is(
    cli, tmp_path, content, what
) -> None:
    """A Parquet file or a workbook given where a catalog, profiles, a policy or a spec was
    expected, or text saved in a legacy encoding: one error naming the file and line, the
    bytes, what was expected and what the file is (was an internal UnicodeDecodeError)."""
    from adaptive.batch.overrides import read_overrides
    from adaptive.curriculum import read_profiles
    from adaptive.errors import ConfigError, DataValidationError
    from adaptive.policy import PolicyConfig
    from adaptive.reports.growth import Norm
    from adaptive.simulation.district import district_catalog
    from adaptive.tracing.specs import load_spec

    path = tmp_path / "given.toml"
    path.write_bytes(content)
    readers = {
        "a catalog JSON file": Catalog.from_json,
        "learner profiles": read_profiles,
        "a policy TOML file": PolicyConfig.from_toml,
        "a model spec TOML file": load_spec,
        "a norm TOML file": Norm.from_toml,
        "teacher overrides JSON": lambda p: read_overrides(p, district_catalog(), {}),
    }
    for expected, read in readers.items():
        # a catalog's and overrides' readers raise what their docstrings promise: one
        # ConfigError naming the file (an overrides file's on one line, as its other errors)
        json_file = expected in ("a catalog JSON file", "teacher overrides JSON")
        error = ConfigError if json_file else DataValidationError
        with pytest.raises(error) as err:
            read(path)
        assert f"{path}, line 1: got 'bytes " in str(err.value)
        assert expected in str(err.value) and what in str(err.value)
        if expected == "teacher overrides JSON":
            assert str(err.value).startswith(f"{path}, line 1: got 'bytes ")
    r = cli("experiment", "assign", "--profiles", path, "--arm", "a=policy", "--arm", "b=policy",
            "--out", tmp_path / "assignment.json")  # fmt: skip
    assert r.code == 2 and "learner profiles" in r.err and what in r.err
    assert "Traceback" not in r.text and "internal error" not in r.text


def test_a_catalog_and_profiles_saved_with_a_byte_order_mark_are_read(tmp_path) -> None:
    """Excel's and Notepad's "UTF-8" puts a byte-order mark first: it is not part of the text."""
    from adaptive.curriculum import LearnerProfile, read_profiles
    from adaptive.simulation.district import district_catalog

    catalog = district_catalog()
    catalog.to_json(tmp_path / "catalog.json")
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "catalog.json").read_bytes())
    assert Catalog.from_json(tmp_path / "bom.json") == catalog
    line = json.dumps(LearnerProfile("s1", grade=4).to_dict())
    (tmp_path / "profiles.jsonl").write_bytes(b"\xef\xbb\xbf" + f"{line}\n\n{line[:-1]}".encode())
    with pytest.raises(Exception, match=r"profiles.jsonl, line 3"):  # lines counted as an editor
        read_profiles(tmp_path / "profiles.jsonl")
    (tmp_path / "profiles.jsonl").write_bytes(b"\xef\xbb\xbf" + f"{line}\r\n".encode())
    assert read_profiles(tmp_path / "profiles.jsonl")["s1"].grade == 4


def test_a_night_is_a_day_not_a_time(cli, tmp_path) -> None:
    """`batch --date 2027-01-12T05:00` was read as its day, the time dropped without a word (a
    night takes the responses before its day's midnight, UTC): a usage error; `recommend
    --now` still takes a time."""
    for args in (["batch", "--date", "2027-01-12T05:00", "--out", tmp_path / "out"],
                 ["report", "--date", "2027-01-12T05:00Z", "--out", tmp_path / "site"]):  # fmt: skip
        r = cli(*args)
        assert r.code == 2 and "is a time; expected a day, YYYY-MM-DD" in r.err, r.text
    r = cli("recommend", "--student", "nobody", "--now", "2027-01-12T05:00")
    assert "--now" not in r.err and "is a time" not in r.err


def test_a_spec_value_the_model_refuses_is_a_usage_error_naming_the_file(cli, tmp_path) -> None:
    """`hidden_size = -4` in a user's DKT spec was "internal error: ValueError ... This is a bug
    in adaptive", exit 1; a misspelled key was Python's "unexpected keyword argument"."""
    (tmp_path / "one.csv").write_text(
        "student_id,item_id,skill_ids,correct,timestamp\nu1,i1,k1,1,2026-09-01T08:00:00Z\n"
    )
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    for text, message in (
        (
            'model = "dkt"\n[params]\nhidden_size = -4\n',
            "hidden_size = -4 (expected a whole number >= 1",
        ),
        ('model = "bkt"\n[params]\nforget = true\n', "unknown key 'forget' (did you mean"),
    ):
        spec = tmp_path / "spec.toml"
        spec.write_text(text)
        r = cli("train", "--model", spec, "--data", tmp_path / "one.csv", "--tracking-uri", uri)
        assert r.code == 2, r.text
        assert r.err.startswith(f"error: {spec}: bad [params]") and message in r.err
        assert "internal error" not in r.text and "Traceback" not in r.text


def test_a_spec_or_policy_file_with_two_mistakes_names_both_exit_2(cli, tmp_path) -> None:
    """`num_fits = -1` and `tol = "fast"` in a spec, or two bad values in a policy TOML, named
    only the first: the user fixed one, ran again, and met the second."""
    spec = tmp_path / "spec.toml"
    spec.write_text('model = "bkt"\n[params]\nnum_fits = -1\ntol = "fast"\n')
    r = cli("train", "--model", spec, "--data", tmp_path / "none.csv")
    assert r.code == 2, r.text
    assert r.err.startswith(f"error: {spec}: bad [params] for 'bkt': "), r.err
    assert "tol = 'fast' (expected a number)" in r.err and "num_fits = -1 (expected" in r.err
    policy = tmp_path / "policy.toml"
    policy.write_text('target_p_correct = "high"\nprogress_window = 0\n')
    r = cli("policy-eval", "--policy", policy)
    assert r.code == 2, r.text
    assert r.err.startswith(f"error: {policy}: policy config: 2 problems:\n"), r.err
    assert "  - line 1, column 20: target_p_correct = 'high' (expected a number)" in r.err
    assert "  - line 2, column 19: progress_window = 0; expected an integer in [1, 32]" in r.err
    assert "Traceback" not in r.text


@pytest.mark.parametrize("args", [["validate", "FILE"], ["--version"]], ids=" ".join)
def test_a_closed_stdout_ends_the_command_quietly_with_141(tmp_path, args) -> None:
    """`adaptive validate FILE | head -1` exited 1 (an internal error by the README's codes)
    with nothing on stderr: rich's and click's answer to a broken pipe. The reader here is gone
    before the first write, as `head` is after its line."""
    (tmp_path / "one.csv").write_text("student_id,item_id,skill_ids,correct\nu1,i1,k1,1\n")
    args = [str(tmp_path / "one.csv") if a == "FILE" else a for a in args]
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", "from adaptive.cli import main; main()", *args],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr
    assert proc.stderr == ""  # no traceback, no "internal error", no "Exception ignored"


def test_a_misspelt_model_spec_names_the_closest(capsys) -> None:
    """A data scientist's trial: `--model bkt-forget` listed every spec, not the one meant."""
    from adaptive.cli import run

    assert run(["train", "--model", "bkt-forget", "--data", "no-such-file.csv"]) == 2
    assert "did you mean 'bkt-forgets'?" in capsys.readouterr().err


def test_a_day_written_otherwise_is_read_as_its_iso_day(tmp_path, capsys) -> None:
    """A teacher's trial: `report --date 2027-02-19T00:00` (or 20270219) looked for a folder of
    that name and advised a batch command that serves 2027-02-19 anyway."""
    from adaptive.cli import run

    for given in ("2027-02-19T00:00", "20270219"):
        assert (
            run(["report", "--date", given, "--batch", str(tmp_path), "--out", str(tmp_path / "r")])
            == 2
        )
        err = capsys.readouterr().err
        assert "date=2027-02-19/_SUCCESS.json" in err and given not in err.split("expected")[0]


def test_a_folder_the_machine_will_not_write_is_one_line_exit_3(
    tmp_path, capsys, monkeypatch
) -> None:
    """An operator's trial: a read-only output subfolder (or a full disk) was "internal error:
    PermissionError ... This is a bug in adaptive", exit 1. Now one line naming the path."""
    import errno

    from adaptive.cli import run
    from adaptive.data import io as io_module

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "out" / "groups"))

    (tmp_path / "log.csv").write_text("student_id,item_id,skill_ids,correct,order\na,i,k,1,1\n")
    monkeypatch.setattr(io_module, "check_values", refuse)
    assert run(["validate", str(tmp_path / "log.csv")]) == 3
    err = capsys.readouterr().err
    assert "the machine refused a file operation on" in err and "groups: Permission denied" in err
    assert "internal error" not in err and "Traceback" not in err


def test_printed_commands_are_quoted_for_a_shell(tmp_path) -> None:
    """A newcomer's trial: with a space in the data folder's path, the demo's `mlflow ui ...`
    line broke when copied into a shell."""
    import shlex

    from adaptive.cli.lifecycle import _ui_command

    uri = f"sqlite:///{tmp_path / 'sp ace' / 'mlflow.db'}"
    words = shlex.split(_ui_command(uri))
    assert words[:4] == ["mlflow", "ui", "--backend-store-uri", uri]
    assert words[4:] == ["--default-artifact-root", (tmp_path / "sp ace" / "artifacts").as_uri()]


def test_a_first_train_prints_no_mlflow_log_lines(tmp_path) -> None:
    """A user's first `adaptive train` against a new tracking database printed MLflow's own
    "INFO mlflow.store.db.utils: Creating initial MLflow database tables..." (twice) above the
    command's output; MLflow's warnings and errors still show."""
    rows = ["student_id,item_id,skill_ids,correct,timestamp"]
    for s in range(12):
        for t in range(6):
            rows.append(f"u{s},i{t},k{t % 3},{(s + t) % 2},2026-09-01T08:{t:02d}:00Z")
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_LOGGING_LEVEL"}
    proc = subprocess.run(
        [sys.executable, "-c", "from adaptive.cli import main; main()", "train", "--model",
         "bkt", "--data", "log.csv", "--folds", "2", "--tracking-uri",
         f"sqlite:///{tmp_path / 'mlflow.db'}", "--name", "first"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "registered first version 1" in proc.stdout + proc.stderr
    assert "INFO" not in proc.stderr and "database tables" not in proc.stderr, proc.stderr


def test_a_log_given_as_an_argument_or_an_option_before_the_command_gets_a_hint(
    cli, tmp_path
) -> None:
    """A data scientist's trial: `adaptive evaluate log.parquet --models bkt` said only "Got
    unexpected extra argument(s)", and `adaptive --quiet validate ...` "No such option"."""
    log = tmp_path / "log.parquet"
    log.write_bytes(b"")
    r = cli("evaluate", log, "--models", "bkt")
    assert r.code == 2 and f"Hint: a response log goes with --data: --data {log}" in r.err
    r = cli("--quiet", "validate", log)
    assert r.code == 2 and "give it after the command's name" in r.err
    r = cli("evaluate", "not-a-file", "--models", "bkt")  # not a path: no guess
    assert r.code == 2 and "Hint:" not in r.err


def test_help_shows_no_type_for_a_flag(capsys) -> None:
    """Every flag read `--quiet <bool>` in `--help` (typer's type for a bool), as if it took a
    value; options that take one keep their type."""
    from adaptive.cli import run

    for path in [[], *command_paths()]:
        assert run([*path, "--help"]) == 0
        shown = capsys.readouterr().out
        assert "<bool>" not in shown, " ".join(path)
    run(["batch", "--help"])
    shown = capsys.readouterr().out
    assert "--backfill" in shown and "<int range>" in shown  # --k keeps its type


def test_mlflow_telemetry_is_off_unless_the_user_turns_it_on(tmp_path) -> None:
    """A district data scientist's trial: MLflow 3's usage telemetry was on, and an installation
    id appeared in ~/.config/mlflow/telemetry.json after the first command. Off by default, for
    the command line and for a program importing the library; MLFLOW_DISABLE_TELEMETRY=false
    (the user's own setting) turns it back on. No network: MLflow's own switch is read."""
    # as a user's shell: none of the variables that make MLflow assume a CI or a test run
    quiet = ("PYTEST_CURRENT_TEST", "CI", "GITHUB_ACTIONS", "MLFLOW_DISABLE_TELEMETRY",
             "DO_NOT_TRACK", "MLFLOW_TRACKING_URI")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in quiet}
    env |= {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "ADAPTIVE_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    cli = subprocess.run(
        [sys.executable, "-m", "adaptive", "rollback", "--name", "m", "--version", "1",
         "--reason", "r"], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert cli.returncode == 2 and "no tracking store" in cli.stderr, cli.stderr
    assert not (tmp_path / "config" / "mlflow").exists()  # no installation id written
    probe = (
        "import os, adaptive.registry, mlflow.telemetry as t;"
        "print(os.environ['MLFLOW_DISABLE_TELEMETRY'], t.get_telemetry_client() is None)"
    )
    lib = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, env=env)  # fmt: skip
    assert lib.stdout.split() == ["true", "True"], lib.stderr
    mine = subprocess.run(  # the user's own setting wins
        [sys.executable, "-c", "import adaptive, os; print(os.environ['MLFLOW_DISABLE_TELEMETRY'])"],
        capture_output=True, text=True, timeout=120, env=env | {"MLFLOW_DISABLE_TELEMETRY": "false"},
    )  # fmt: skip
    assert mine.stdout.split() == ["false"], mine.stderr


def test_ctrl_c_where_no_handler_of_ours_runs_is_said_in_one_line(monkeypatch, capsys) -> None:
    """A KeyboardInterrupt from inside a command (pyspark's own SIGINT handler, a thread where
    `run` installs none) came back from typer as a silent exit 130."""
    import threading

    import adaptive.cli.data as data
    from adaptive.cli import run

    def interrupted() -> list[str]:
        raise KeyboardInterrupt

    monkeypatch.setattr(data, "list_descriptors", interrupted)
    codes = []
    worker = threading.Thread(target=lambda: codes.append(run(["datasets", "list"])))
    worker.start()
    worker.join()
    assert codes == [130]
    assert capsys.readouterr().err.strip() == (
        "stopped: by Ctrl-C (SIGINT); the command did not finish, and no output file is "
        "half-written (each is written whole or not at all): run the same command again to "
        "start over"
    )


def test_ctrl_c_while_the_command_line_loads_is_one_line(monkeypatch, capsys) -> None:
    """A Ctrl-C in the second the command line's modules take to load (before `run`'s
    handlers are in place) printed Python's KeyboardInterrupt traceback. The entry point the
    installed script and `python -m adaptive` share says it in one line, exit 130."""
    import importlib.abc

    import adaptive.__main__ as entry

    class CtrlCWhileLoading(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "adaptive.cli":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "adaptive.cli")
    monkeypatch.setattr(sys, "meta_path", [CtrlCWhileLoading(), *sys.meta_path])
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    assert stopped.value.code == 130
    assert capsys.readouterr().err == (
        "stopped: by Ctrl-C (SIGINT) while starting; nothing was run\n"
    )


def test_the_installed_script_runs_the_shared_entry_point() -> None:
    """The `adaptive` script and `python -m adaptive` start at the same place, so a Ctrl-C while
    loading is said alike by both."""
    from importlib.metadata import entry_points

    import adaptive.__main__ as entry

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "adaptive"]
    assert script.load() is entry.main


def test_ctrl_c_says_what_running_the_command_again_does(monkeypatch, capsys) -> None:
    """A trial's Ctrl-C during `train` read "the command did not finish" alone, where the
    README promises a line saying what running the command again does: for train, a fresh
    run, nothing half-registered; for the night, a resume (`AFTER_A_STOP`, one table)."""
    import adaptive.registry
    from adaptive.cli import AFTER_A_STOP, run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(adaptive.registry, "train_model", interrupted)
    code = run(["train", "--model", "bkt", "--data", "a-log.csv", "-q"])
    said = " ".join(capsys.readouterr().err.split())
    assert code == 130
    assert said.startswith("stopped: by Ctrl-C (SIGINT); no model version is half-registered")
    assert said.endswith("run the same command again for a fresh training run")
    assert "resume" in AFTER_A_STOP["batch"] and set(AFTER_A_STOP) >= {"batch", "train", "demo"}


def test_ctrl_c_in_a_child_forked_before_its_setup_is_left_to_the_parent() -> None:
    """A re-check: Ctrl-C while the nightly job forked a worker printed a KeyboardInterrupt
    trace from the child (it had inherited the command's handler, which re-raised it there).
    A forked child now leaves Ctrl-C to its parent, as a worker does once set up."""
    import signal
    import time

    from adaptive.cli import _stopped_by_signals

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    try:
        with _stopped_by_signals():
            pid = os.fork()
            if pid == 0:  # the child: survives its Ctrl-C, says so by its exit status
                try:
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(0.05)
                    os._exit(0)
                except BaseException:
                    os._exit(3)
            _, status = os.waitpid(pid, 0)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert os.waitstatus_to_exitcode(status) == 0


def test_help_paragraphs_wrap_to_the_terminal(capsys) -> None:
    """A re-check: `promote --help` broke its text where the docstring's lines end ("a candidate
    fitted on other" / "skills than the champion's"), ragged at 80 columns."""
    from adaptive.cli import reflowed, run

    assert reflowed("One line.\n\nA paragraph\nover two lines.\n- a list\n- kept") == (
        "One line.\n\nA paragraph over two lines.\n- a list\n- kept"
    )
    assert run(["promote", "--help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    ended = next(line for line in lines if "which and why);" in line)
    assert "2 on an error" in ended  # the docstring broke its line there


def test_placement_columns_take_the_field_equals_column_form_too() -> None:
    """`--placement-columns 'student_id=Learner Ref,...'` (the form `profiles --columns` takes)
    gave three "no column 'student_id=Learner Ref'" errors."""
    import typer

    from adaptive.cli.options import parse_placement_columns

    given = "student_id=Learner Ref, skill_id=Skill Code,mastery=Mastery"
    assert parse_placement_columns(given) == {
        "student_id": "Learner Ref",
        "skill_id": "Skill Code",
        "mastery": "Mastery",
    }
    assert parse_placement_columns("Learner Ref,Skill Code,Mastery,Placed by") == {
        "student_id": "Learner Ref",
        "skill_id": "Skill Code",
        "mastery": "Mastery",
        "source": "Placed by",
    }
    with pytest.raises(typer.BadParameter, match="unknown field 'skill' \\(did you mean"):
        parse_placement_columns("student_id=Learner Ref,skill=Skill Code")
    with pytest.raises(typer.BadParameter, match="'Skill Code': expected field=Column pairs"):
        parse_placement_columns("student_id=Learner Ref,Skill Code,Mastery")
    with pytest.raises(typer.BadParameter, match="or field=Column pairs"):
        parse_placement_columns("Learner Ref")


def test_policy_eval_help_lists_the_policies_and_simulators() -> None:
    """A data scientist's trial: `policy-eval --help` said "Policies (default: adaptive, every
    baseline and the ceiling)"; the names came only from a typo's error. Each option's help now
    lists the names the code takes (`POLICY_NAMES`, `FAMILIES`), never a copy."""
    import typer

    from adaptive.evaluation.policy_eval import COLD, FAMILIES, POLICY_NAMES

    command = typer.main.get_command(app).commands["policy-eval"]
    helps = {opt: p.help for p in command.params for opt in p.opts}
    assert f"comma-separated: {', '.join(POLICY_NAMES)} (" in helps["--policies"]
    assert "n-correct" in helps["--policies"]
    assert (
        f"comma-separated: {', '.join(FAMILIES)}; each also as NAME{COLD}" in helps["--simulators"]
    )


def test_demo_help_says_where_the_batch_goes_by_default() -> None:
    """`adaptive demo --help` said "default: data/demo-batch", but with $ADAPTIVE_DATA_DIR set the
    demo writes to $ADAPTIVE_DATA_DIR/demo-batch (and outside a checkout, to the user's data
    folder): the help now names the data folder as `adaptive.paths.data_dir` finds it."""
    import typer

    demo = typer.main.get_command(app).commands["demo"]
    out = next(p for p in demo.params if "--out" in p.opts)
    assert "demo-batch in the data folder: $ADAPTIVE_DATA_DIR, else data/" in out.help
    assert "~/.local/share/adaptive" in out.help


def test_a_district_folder_without_its_files_names_them_and_the_options_for_ones_own(
    cli, tmp_path
) -> None:
    """A user trial: `batch --district district` on a folder of an LMS export, a catalog and
    profiles said only "district: missing responses.parquet", neither what a district folder
    holds nor that --data, --catalog and --profiles read one's own files."""
    folder = tmp_path / "district"
    folder.mkdir()
    (folder / "catalog.json").write_text("{}")
    (folder / "lms_responses.csv").write_text("Learner ID,Question ID\n")
    said = cli("batch", "--district", folder, "--name", "mine", "--date", "2026-10-01",
               "--out", tmp_path / "out")  # fmt: skip
    err = " ".join(said.err.split())
    assert said.code == 2 and "Traceback" not in said.err, said.text
    assert f"{folder}: missing responses.parquet, profiles.jsonl;" in err, err
    assert (
        "a --district folder holds responses.parquet (the log in the canonical columns), "
        "catalog.json and profiles.jsonl, as `adaptive simulate --out` writes it" in err
    ), err
    assert "give your own files as --data LOG (with its column options)" in err, err
    assert "--catalog FILE and --profiles FILE" in err, err


def test_quiet_silences_the_deep_models_epochs_and_evaluate_says_where_it_wrote(
    tmp_path, cli, monkeypatch
) -> None:
    """A trial's `adaptive evaluate ... --models ...,dkt -q` printed every "dkt epoch N: loss
    ... val AUC ..." line and the model's progress bar: the deep models wrote to their own
    console, past the command's `--quiet`. And without `--out` it wrote ./evaluation without
    saying where. `-q` now silences them (`adaptive.progress`, switched by `set_quiet`), and
    the folder written is one line of the results, under `-q` too, as `report` and `batch` say
    theirs."""
    from adaptive.progress import progress_shown

    rng = np.random.default_rng(0)
    rows = [(f"s{s}", f"i{t % 6}", f"k{t % 3}", int(rng.random() < 0.7), t)
            for s in range(30) for t in range(12)]  # fmt: skip
    pd.DataFrame(rows, columns=["student_id", "item_id", "skill_ids", "correct", "order"]).to_csv(
        tmp_path / "log.csv", index=False
    )
    spec = tmp_path / "dkt-talks.toml"
    spec.write_text('model = "dkt"\n[params]\nembedding_size = 8\nhidden_size = 8\n'
                    "max_epochs = 1\nprogress = true\n")  # fmt: skip
    monkeypatch.chdir(tmp_path)
    args = ["evaluate", "--data", "log.csv", "--models", str(spec), "--folds", "2",
            "--bootstrap", "10", "--threads", "1"]  # fmt: skip
    loud = cli(*args)
    assert loud.code == 0, loud.text
    assert "epoch 1: loss" in loud.err  # the model's own progress, without -q
    quiet = cli(*args, "-q")
    assert quiet.code == 0, quiet.text
    assert "epoch" not in quiet.text and "val AUC" not in quiet.text, quiet.err
    assert quiet.err == ""
    wrote = f"wrote metrics.csv, metrics.md, per_skill.csv and reliability plots to {tmp_path}"
    assert (
        f"{wrote}/evaluation\n" in quiet.out and (tmp_path / "evaluation" / "metrics.csv").is_file()
    )
    assert progress_shown()  # the command's quiet ended with it


def test_every_command_that_reads_a_response_log_takes_the_column_options() -> None:
    # `experiment analyze --data export.csv` advised "name another with --student-col", an
    # option it did not have: the readers' advice names the shared column options
    # (`readers.COLUMN_OPTIONS`), so every command with --data must take them (`@reads_log`)
    from adaptive.cli import command
    from adaptive.data.readers import COLUMN_OPTIONS

    def leaves(cmd, path):
        if getattr(cmd, "commands", None):
            for name, sub in cmd.commands.items():
                yield from leaves(sub, [*path, name])
        else:
            yield " ".join(path), cmd

    lacking = {}
    for name, cmd in leaves(command(), []):
        flags = {flag for param in cmd.params for flag in getattr(param, "opts", ())}
        if "--data" in flags:
            missing = sorted(set(COLUMN_OPTIONS.values()) - flags)
            if missing:
                lacking[name] = missing
    assert lacking == {}
    assert {"ope", "experiment analyze", "batch", "evaluate"} <= {
        n for n, _ in leaves(command(), [])
    }
