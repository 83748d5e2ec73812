"""The model and policy specs ship inside the package and resolve from any working directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest

from adaptive.errors import ConfigError
from adaptive.policy import PolicyConfig
from adaptive.specs import MODELS_DIR, POLICY_SPEC, model_spec_names
from adaptive.tracing.specs import build_model, model_class, spec_path

REPO = Path(__file__).resolve().parents[2]


def test_specs_are_package_data_listed_by_importlib_resources() -> None:
    specs = files("adaptive.specs")
    assert specs.joinpath("policy.toml").is_file()
    shipped = {p.name for p in specs.joinpath("models").iterdir() if p.name.endswith(".toml")}
    assert {"bkt.toml", "bkt-forgets.toml", "pfa.toml", "dkt.toml"} <= shipped
    assert Path(str(specs)) == POLICY_SPEC.parent and MODELS_DIR.is_dir()
    assert "policy" not in model_spec_names()  # the policy is not a model


def test_no_specs_folder_left_at_the_repository_root() -> None:
    assert not (REPO / "models").exists()


def test_names_resolve_from_another_working_directory(tmp_path) -> None:
    code = (
        "from adaptive.tracing.specs import build_model\n"
        "from adaptive.policy import PolicyConfig\n"
        "m = build_model('bkt-forgets'); assert m.forgets, m\n"
        "assert PolicyConfig.default() == PolicyConfig.from_toml('policy')\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_a_users_own_spec_file_still_works(tmp_path, monkeypatch) -> None:
    own = tmp_path / "mine.toml"
    own.write_text('model = "bkt"\n[params]\nforgets = true\n')
    assert spec_path(own) == own and build_model(own).forgets
    policy = tmp_path / "policy-strict.toml"
    policy.write_text("target_p_correct = 0.8\n")
    assert PolicyConfig.from_toml(policy).target_p_correct == 0.8
    monkeypatch.chdir(tmp_path)  # a relative path from the user's working directory
    assert build_model("mine.toml").forgets
    assert PolicyConfig.from_toml("policy-strict.toml").target_p_correct == 0.8


def test_an_unknown_spec_names_the_shipped_ones_without_the_policy() -> None:
    with pytest.raises(ConfigError, match="'bkt-forgets'") as err:
        build_model("no-such-model")
    assert "'policy'" not in str(err.value)
    with pytest.raises(ConfigError, match="not found"):
        PolicyConfig.from_toml("no-such-policy.toml")


def test_an_unknown_policy_names_only_the_shipped_policies_not_the_growth_norm() -> None:
    """A district's trial: `PolicyConfig.from_toml('nope.toml')` offered "one of ['norm',
    'policy']", and `from_toml('norm')` read the growth norm as a policy ("unknown key
    'year_start'"). Only policy specs are offered, and 'norm' names none."""
    for given in ("nope.toml", "norm", "norm.toml"):
        with pytest.raises(ConfigError) as err:
            PolicyConfig.from_toml(given)
        assert str(err.value) == (
            f"policy config {given!r} not found; expected a .toml file or one of ['policy']"
        )
    with pytest.raises(ConfigError, match=r"did you mean 'policy'\? expected a \.toml file"):
        PolicyConfig.from_toml("polcy")
    with pytest.raises(ConfigError, match=r"did you mean 'bkt-forgets'\?"):
        build_model("bkt-forget")  # the model specs: every .toml of their folder, as before


def test_a_missing_toml_file_is_never_the_shipped_spec_of_its_name(tmp_path, monkeypatch) -> None:
    """A newcomer's trial: `PolicyConfig.from_toml("policy.toml")` in a folder without that
    file loaded the shipped policy without a word (the command line refused it)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"'policy.toml' not found \(the shipped 'policy' is"):
        PolicyConfig.from_toml("policy.toml")
    with pytest.raises(ConfigError, match="'bkt.toml' not found"):
        build_model("bkt.toml")
    assert PolicyConfig.from_toml("policy") == PolicyConfig.default()


@pytest.mark.slow
def test_the_wheel_contains_every_spec(tmp_path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, project / name)
    shutil.copytree(
        REPO / "src", project / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(project)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PIP_NO_INDEX": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (wheel,) = (tmp_path / "dist").glob("adaptive-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "adaptive/specs/policy.toml" in names
    expected = {f"adaptive/specs/models/{p.name}" for p in MODELS_DIR.glob("*.toml")}
    assert expected and expected <= names


@pytest.mark.parametrize(
    "params, message",
    [
        ('forgets = "yes"', "forgets = 'yes' (expected true or false)"),
        ("num_fits = 2.5", "num_fits = 2.5 (expected an integer)"),
        ("num_fits = true", "num_fits = True (expected an integer)"),
    ],
)
def test_a_param_of_the_wrong_type_is_refused_not_misread(tmp_path, params, message) -> None:
    """`forgets = "yes"` is truthy text: built as given it would silently mean True."""
    spec = tmp_path / "mine.toml"
    spec.write_text(f'model = "bkt"\n[params]\n{params}\n')
    with pytest.raises(ConfigError, match="bad \\[params\\] for 'bkt'") as err:
        build_model(spec)
    assert message in str(err.value) and str(spec) in str(err.value)


def test_every_shipped_spec_has_params_of_the_right_type() -> None:
    for name in model_spec_names():
        build_model(name)  # raises ConfigError on a mistyped param


def write_spec(tmp_path: Path, text: str) -> Path:
    spec = tmp_path / "mine.toml"
    spec.write_text(text)
    return spec


def test_an_unknown_param_names_the_file_the_key_its_close_match_and_the_valid_keys(
    tmp_path,
) -> None:
    """`forget = true` gave Python's "BKT.__init__() got an unexpected keyword argument"."""
    spec = write_spec(tmp_path, 'model = "bkt"\n[params]\nforget = true\n')
    with pytest.raises(ConfigError) as err:
        build_model(spec)
    message = str(err.value)
    assert message.startswith(f"{spec}: bad [params] for 'bkt': unknown key 'forget'")
    assert "(did you mean 'forgets'?)" in message
    assert "valid keys: fitter, fixed, forgets, max_iter," in message
    assert "__init__" not in message
    far = write_spec(tmp_path, 'model = "bkt"\n[params]\nzzz = 1\n')
    with pytest.raises(ConfigError, match="unknown key 'zzz'; valid keys: fitter,"):
        build_model(far)  # no close match: no guess


@pytest.mark.parametrize(
    "text, message",
    [
        ('model = "bkt"\n[param]\nforgets = true\n',
         "unknown key 'param' (did you mean 'params'?); valid keys: model, name, params"),
        ('model = "bktt"\n', "unknown model 'bktt' (did you mean 'bkt'?); valid models: akt,"),
        ('model = "bkt"\nparams = 3\n', "params = 3; expected a [params] table"),
    ],
)  # fmt: skip
def test_a_misspelled_top_level_key_or_model_is_refused_not_ignored(
    tmp_path, text, message
) -> None:
    """`[param]` for `[params]` built a BKT with its defaults without a word."""
    spec = write_spec(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        build_model(spec)
    assert str(err.value).startswith(f"{spec}: {message}")


@pytest.mark.parametrize(
    "model, params, message",
    [
        ("dkt", "hidden_size = -4\nmax_epochs = 1",
         "hidden_size = -4 (expected a whole number >= 1"),
        ("dkt", "dropout = 1.5", "dropout = 1.5 (expected a share in [0, 1)"),
        ("dkt", "window = 0", "window = 0 (expected a whole number >= 1"),
        ("dkt", "embedding_size = -4", "embedding_size = -4 (expected a whole number >= 1"),
        ("sakt", "d_model = 15\nn_heads = 2", "d_model = 15, n_heads = 2 (expected d_model a multiple"),
        ("best-lr", "C = -1.0", "C = -1.0 (expected a regularization strength > 0)"),
        ("pfa", 'transform = "log"', "transform = 'log' (expected 'log1p' or 'none')"),
        ("best-lr", "windows = 1.5",
         "windows = 1.5 (expected a list of widths in seconds, each a whole number >= 1)"),
        ("bkt", 'fitter = "sklearn"', "fitter = 'sklearn' (expected 'native' or 'pybkt')"),
        ("bkt", "skill_shrinkage = -1.0",
         "skill_shrinkage = -1.0 (expected pseudo-observations, a finite number >= 0)"),
        ("bkt", "num_fits = 0", "num_fits = 0 (expected a whole number >= 1)"),
        ("bkt", "[params.fixed]\np_slip = 1.5",
         "fixed = {'p_slip': 1.5} (expected probabilities in [0, 1]: p_slip has 1.5)"),
    ],
)  # fmt: skip
def test_a_value_the_model_refuses_is_one_config_error_naming_file_key_and_value(
    tmp_path, model, params, message
) -> None:
    """`hidden_size = -4` reached torch at fit: "internal error: ValueError ... This is a bug in
    adaptive". The model's own checks (its network built on a one-skill vocabulary, sklearn's
    parameter checks) now run when the spec is read, and the spec file is named. The spec's
    model is named once: BKT's said "bad [params] for 'bkt': BKT skill_shrinkage = -1.0: ..."."""
    spec = write_spec(tmp_path, f'model = "{model}"\n[params]\n{params}\n')
    with pytest.raises(ConfigError) as err:
        build_model(spec)
    assert str(err.value).startswith(f"{spec}: bad [params] for '{model}': ")
    assert message in str(err.value)
    assert f"{model_class(model).__name__}:" not in str(err.value)


def test_checking_a_deep_spec_leaves_torchs_random_stream_alone() -> None:
    """`build_model` builds a probe network to check the sizes: that must not draw from the
    caller's torch random stream (a seeded script would change with it)."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    before = torch.random.get_rng_state()
    build_model("dkt-tiny")
    build_model("sakt-tiny")
    assert torch.equal(torch.random.get_rng_state(), before)


def test_a_spec_with_several_mistakes_names_them_all_in_one_error(tmp_path) -> None:
    """`num_fits = -1` and `tol = "fast"` named only the first (the type), and a misspelt key
    hid the values after it: a spec was fixed one run at a time."""
    spec = write_spec(
        tmp_path,
        'model = "bkt"\n[params]\nnum_fits = -1\ntol = "fast"\nforget = true\nn_restart = 5\n',
    )
    with pytest.raises(ConfigError) as err:
        build_model(spec)
    assert str(err.value) == (
        f"{spec}: bad [params] for 'bkt': unknown keys 'forget' (did you mean 'forgets'?) and "
        "'n_restart' (did you mean 'num_fits'?); valid keys: fitter, fixed, forgets, max_iter, "
        "multi_skill, multigs, multilearn, multiprior, num_fits, seed, shrinkage, "
        "skill_shrinkage, tol; "
        "tol = 'fast' (expected a number); num_fits = -1 (expected a whole number >= 1)"
    )


def test_a_deep_spec_with_several_bad_values_names_them_all(tmp_path) -> None:
    spec = write_spec(
        tmp_path, 'model = "dkt"\n[params]\nhidden_size = 0\nlearning_rate = -1.0\ndropout = 2\n'
    )
    with pytest.raises(ConfigError) as err:
        build_model(spec)
    message = str(err.value)
    for said in ("hidden_size = 0 (expected", "learning_rate = -1.0 (expected", "dropout = 2 (exp"):
        assert said in message, message


def test_a_parameter_written_above_params_is_said_to_go_under_it(tmp_path) -> None:
    """A user's spec with `forgets = true` above [params] was refused as "unknown key
    'forgets'; valid keys: model, name, params", leaving them to guess it belongs under
    [params] (the policy file says so of a weight above [weights]). A key that is no
    parameter of the model keeps the plain refusal."""
    spec = write_spec(tmp_path, 'model = "bkt"\nforgets = true\nzzz = 1\n[params]\nnum_fits = 2\n')
    with pytest.raises(ConfigError) as err:
        build_model(spec)
    message = str(err.value)
    assert message.startswith(
        f"{spec}: 'forgets' is a parameter of model 'bkt': put it under [params]; "
        "unknown key 'zzz'; valid keys: model, name, params"
    ), message
    other = write_spec(tmp_path, 'model = "irt"\nforgets = true\n')  # no parameter of IRT
    with pytest.raises(ConfigError, match="unknown key 'forgets'; valid keys: model, name"):
        build_model(other)


def test_a_spec_whose_top_level_has_several_mistakes_names_them_all(tmp_path) -> None:
    spec = write_spec(tmp_path, 'model = "bktt"\nnmae = "mine"\nparams = 3\n')
    with pytest.raises(ConfigError) as err:
        build_model(spec)
    message = str(err.value)
    assert message.startswith(f"{spec}: unknown key 'nmae' (did you mean 'name'?)"), message
    assert "unknown model 'bktt' (did you mean 'bkt'?)" in message
    assert "params = 3; expected a [params] table" in message


@pytest.mark.parametrize(
    "model, params, message",
    [
        ("bkt", 'forgets = "yes"\nfixed = {p_forget = 0.1}', "forgets = 'yes' (expected true or false)"),
        ("sakt", 'd_model = "96"\nn_heads = 3', "d_model = '96' (expected an integer)"),
        ("irt", 'discrimination = "yes"\nC = -1.0',
         "discrimination = 'yes' (expected true or false); C = -1.0 (expected a regularization"),
    ],
)  # fmt: skip
def test_a_mistyped_param_is_named_with_the_value_written_never_the_default(
    tmp_path, model, params, message
) -> None:
    """With a mistyped param left out, the model was built with its default in its place, and
    its cross-checks named values the spec never held: `d_model = "96"` with `n_heads = 3` said
    "d_model = 64, n_heads = 3 (expected d_model a multiple of n_heads)", and `forgets = "yes"`
    with a fixed p_forget said "forgets = False (expected p_forget 0 unless forgets = true)"."""
    spec = write_spec(tmp_path, f'model = "{model}"\n[params]\n{params}\n')
    with pytest.raises(ConfigError) as err:
        build_model(spec)
    said = str(err.value).removeprefix(f"{spec}: bad [params] for '{model}': ")
    assert said.startswith(message), said
    assert said.count("expected") == message.count("expected"), said  # nothing more


def test_a_refusal_naming_no_param_lists_every_param_the_spec_holds(tmp_path, monkeypatch) -> None:
    """A model's refusal that names no param ("negative dimension -4", torch's) is followed by
    "(the spec's params: ...)": it listed only the params the model was built with, leaving
    out the spec's unknown keys, so it did not say what the spec holds."""
    from adaptive.tracing.bkt import BKT
    from adaptive.tracing.specs import ParamsRefused

    def refuse(self: BKT) -> None:
        raise ParamsRefused("BKT", "negative dimension -4")

    monkeypatch.setattr(BKT, "check_params", refuse)
    spec = write_spec(tmp_path, 'model = "bkt"\n[params]\nnum_fits = 3\nforget = true\n')
    with pytest.raises(ConfigError) as err:
        build_model(spec)
    assert str(err.value).endswith(
        "negative dimension -4 (the spec's params: num_fits = 3, forget = True)"
    ), str(err.value)
