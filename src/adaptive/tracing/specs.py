"""Model specifications: a TOML file names a model class and its hyperparameters.

    # src/adaptive/specs/models/bkt-forgets.toml (shipped with the package)
    model = "bkt"
    [params]
    forgets = true

`build_model("bkt-forgets")` (a spec shipped in `adaptive/specs/models/`) or
`build_model("path/to/spec.toml")` returns the same unfitted model a data scientist would
construct by hand.
"""

from __future__ import annotations

import importlib
import inspect
import re
import tomllib
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import Any

from adaptive.errors import ArgumentError, ConfigError, unknown_key, unknown_keys
from adaptive.files import read_user_text
from adaptive.records import Range
from adaptive.specs import MODELS_DIR, resolve
from adaptive.tracing.base import KnowledgeTracer

# name -> "module:Class"; imported on demand so that torch loads only for deep models.
MODEL_CLASSES: dict[str, str] = {
    "bkt": "adaptive.tracing.bkt:BKT",
    "irt": "adaptive.tracing.logistic:IRT",
    "pfa": "adaptive.tracing.logistic:PFA",
    "best-lr": "adaptive.tracing.logistic:BestLR",
    "dkt": "adaptive.tracing.deep.dkt:DKT",
    "sakt": "adaptive.tracing.deep.sakt:SAKT",
    "akt": "adaptive.tracing.deep.akt:AKT",
}


class ParamsRefused(ArgumentError):
    """A model's refusal of its own hyperparameters, named with the model ("DKT: window = 0
    (expected a whole number >= 1)"); `reason` is the message without the model's name, for
    `build_model`, whose message names the spec's model already. An `ArgumentError`: also a
    `ValueError`, as scikit-learn's refusal of a parameter is."""

    def __init__(self, model: str, reason: str) -> None:
        super().__init__(f"{model}: {reason}")
        self.reason = reason


def model_class(name: str) -> type[KnowledgeTracer]:
    """The class registered under `name` (e.g. 'bkt', 'irt', 'dkt')."""
    try:
        module, cls = MODEL_CLASSES[name].split(":")
    except KeyError as exc:
        raise ConfigError(
            f"unknown model class {name!r}; expected one of {sorted(MODEL_CLASSES)}"
        ) from exc
    return getattr(importlib.import_module(module), cls)


def spec_path(name_or_path: str | Path) -> Path:
    """Resolve a spec: an existing `.toml` file, or a spec shipped with the package by name."""
    return resolve(name_or_path, MODELS_DIR, "model spec")


# The keys a spec file may hold at its top level (its [params] are the model's to name).
SPEC_KEYS = ("model", "name", "params")


def load_spec(name_or_path: str | Path) -> dict[str, Any]:
    """Read and check a spec file: {'name', 'model', 'params'}."""
    path = spec_path(name_or_path)
    try:
        spec = tomllib.loads(read_user_text(path, "a model spec TOML file"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from exc
    _check_spec_keys(path, spec)
    return {
        "name": spec.get("name", path.stem),
        "model": spec["model"],
        "params": spec.get("params", {}),
    }


def _check_spec_keys(path: Path, spec: dict[str, Any]) -> None:
    """A spec's top level: a known `model`, a `[params]` table, nothing else, every problem
    named in one `ConfigError`. A misspelled key is refused rather than ignored: `[param]` for
    `[params]` would otherwise train the model with its defaults, and say nothing."""
    unknown = [key for key in spec if key not in SPEC_KEYS]
    # a parameter of the model written above [params] is said to go under it, as the policy
    # file says of a weight above [weights] ("unknown key 'forgets'" left it to guess)
    params = _model_params(spec.get("model")) if unknown else []
    problems = [
        f"{key!r} is a parameter of model {spec['model']!r}: put it under [params]"
        for key in unknown
        if key in params
    ]
    unknown = [key for key in unknown if key not in params]
    if unknown:
        problems.append(unknown_keys(unknown, SPEC_KEYS))
    if "model" not in spec:
        problems.append(f"missing key 'model'; expected one of {sorted(MODEL_CLASSES)}")
    elif not isinstance(spec["model"], str) or spec["model"] not in MODEL_CLASSES:
        problems.append(unknown_key(spec["model"], list(MODEL_CLASSES), "model"))
    if not isinstance(spec.get("params", {}), dict):
        problems.append(
            f"params = {spec['params']!r}; expected a [params] table (one `key = value` per line)"
        )
    if problems:
        raise ConfigError(f"{path}: {'; '.join(problems)}")


def _model_params(model: object) -> list[str]:
    """The parameters a spec's [params] may hold for `model` (its `model` key); [] where that
    is no known model (its own problem, said beside)."""
    if not isinstance(model, str) or model not in MODEL_CLASSES:
        return []
    return constructor_params(model_class(model))


def build_model(name_or_path: str | Path) -> KnowledgeTracer:
    """An unfitted model from a spec name or file, its [params] checked before any data is read.

    Every refusal is one `ConfigError` naming the spec file and every problem of its [params]
    at once (a spec with two mistakes named only the first, to be fixed one run at a time):
    the unknown keys (with the valid ones), then whatever the model itself refuses in its
    constructor, given every known param as the spec wrote it (its `check_params()`: each
    value of the wrong type (`mistyped_params`), then the others' ranges and cross-checks; a
    deep model builds its network there, on a one-skill vocabulary: torch's own checks of the
    sizes), then a deep model's `check_machine()` (a GPU, bfloat16). The model sees the
    values written, never its defaults in place of mistyped ones: with a default standing in,
    its cross-checks named values the spec never held (`d_model = 64` for a `d_model = "96"`).
    """
    path = spec_path(name_or_path)
    spec = load_spec(path)
    klass = model_class(spec["model"])
    params = spec["params"]
    valid = constructor_params(klass)
    unknown = [key for key in params if key not in valid]
    problems = [unknown_keys(unknown, valid)] if unknown else []
    known = {k: v for k, v in params.items() if k in valid}
    model, refused = _construct(klass, known)
    if refused:
        problems.append(_refusal(refused, params))
    if problems:
        raise ConfigError(f"{path}: bad [params] for {spec['model']!r}: {'; '.join(problems)}")
    return model


def _construct(klass: type[KnowledgeTracer], params: dict[str, Any]) -> tuple[Any, str]:
    """`klass(**params)` (every model checks its values there: `check_params`), and a deep
    model's `check_machine()`: the model, or why it was refused (without the model's name,
    which the spec's message names already)."""
    try:
        model = klass(**params)
        if hasattr(model, "check_machine"):  # a deep model: this machine's part, left out there
            model.check_machine()
    except (ConfigError, ValueError, TypeError) as exc:
        return None, exc.reason if isinstance(exc, ParamsRefused) else str(exc)
    return model, ""


def constructor_params(klass: type) -> list[str]:
    """The hyperparameters `klass(...)` takes: the keys a spec's [params] may hold."""
    signature = inspect.signature(klass.__init__)
    return [name for name in signature.parameters if name != "self"]


def _refusal(text: str, params: dict[str, Any]) -> str:
    """The model's message (`text`) for refusing `params`, with the spec's value of each param
    it names.

    Torch says "hidden_size must be greater than zero" without the value, and some messages
    name no param at all ("negative dimension -4"): those get every param of the spec, so
    the user can find the line to fix. A message that shows a value ("window = 0 (expected
    ...)", or sklearn's "C=-1.0: ...") stays as it is.
    """
    named = [key for key in params if re.search(rf"\b{re.escape(key)}\b", text)]
    unshown = [
        key
        for key in named
        if f"{key} = {params[key]!r}" not in text and f"{key}={params[key]!r}" not in text
    ]
    if unshown:
        values = ", ".join(f"{key} = {params[key]!r}" for key in unshown)
        return f"{values} was refused: {text}"
    if named:  # the message shows the values itself ("window = 0 (expected ...)")
        return text
    given = ", ".join(f"{key} = {value!r}" for key, value in params.items()) or "none"
    return f"{text} (the spec's params: {given})"


def mistyped_params(klass: type, params: dict[str, Any]) -> dict[str, str]:
    """Params whose value does not have the type of the constructor's default (`forgets =
    "yes"` would otherwise be read as true): each name with "name = value (expected ...)". A
    spec's [params] and a model's own constructor (`BKT(forgets="no")`) are checked alike;
    numpy's integers and floats are numbers."""
    defaults = {
        name: p.default
        for name, p in inspect.signature(klass.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    wrong = {}
    for name, value in params.items():
        default = defaults.get(name)
        if default is None:  # a default of None takes any value
            continue
        if isinstance(default, bool):
            ok, expected = isinstance(value, bool), "true or false"
        elif isinstance(default, int):
            ok, expected = isinstance(value, Integral) and not isinstance(value, bool), "an integer"
        elif isinstance(default, float):
            ok = isinstance(value, Real) and not isinstance(value, bool)
            expected = "a number"
        elif isinstance(default, str):
            ok, expected = isinstance(value, str), "text"
        else:
            continue
        if not ok:
            wrong[name] = f"{name} = {value!r} (expected {expected})"
    return wrong


#: A knob that counts something (iterations, sizes, seconds): "expected a whole number >= 1".
WHOLE = Range(1, whole=True, what="a whole number")


def value_problems(
    model: KnowledgeTracer,
    ranges: Mapping[str, Range],
    options: Mapping[str, Sequence[Any]],
) -> dict[str, str]:
    """What is wrong with `model`'s hyperparameters, by name, each in a spec's words ("name =
    value (expected ...)"): each value of the wrong type (`mistyped_params`), then each number
    of the right type outside its range (`ranges`), then each choice not among its `options`;
    a knob the model does not have is skipped, and one of the wrong type is not checked for its
    value. Every model's `check_params` starts here (BKT's, the logistic and the deep models'),
    adds its own cross-checks and refuses them all in one `ParamsRefused`, so that a model with
    two mistakes names both, and a mistake reads the same from any model and from a spec."""
    wrong = mistyped_params(type(model), model.get_params())
    for name, valid in ranges.items():
        value = getattr(model, name, None)
        if hasattr(model, name) and name not in wrong and not valid.admits(value):
            wrong[name] = f"{name} = {value!r} (expected {valid.what} {valid})"
    for name, choices in options.items():
        value = getattr(model, name, None)
        if hasattr(model, name) and name not in wrong and value not in choices:
            wrong[name] = f"{name} = {value!r} (expected {' or '.join(map(repr, choices))})"
    return wrong
