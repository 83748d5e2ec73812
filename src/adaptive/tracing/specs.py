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
import tomllib
from pathlib import Path
from typing import Any

from adaptive.errors import ConfigError
from adaptive.files import read_user_text
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


def load_spec(name_or_path: str | Path) -> dict[str, Any]:
    """Read and check a spec file: {'name', 'model', 'params'}."""
    path = spec_path(name_or_path)
    try:
        spec = tomllib.loads(read_user_text(path, "a model spec TOML file"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from exc
    if "model" not in spec:
        raise ConfigError(f"{path}: missing key 'model'; expected one of {sorted(MODEL_CLASSES)}")
    return {
        "name": spec.get("name", path.stem),
        "model": spec["model"],
        "params": spec.get("params", {}),
    }


def build_model(name_or_path: str | Path) -> KnowledgeTracer:
    """An unfitted model from a spec name or file."""
    spec = load_spec(name_or_path)
    klass = model_class(spec["model"])
    wrong = _mistyped_params(klass, spec["params"])
    if wrong:
        raise ConfigError(
            f"{spec_path(name_or_path)}: bad [params] for {spec['model']!r}: {'; '.join(wrong)}"
        )
    try:
        return klass(**spec["params"])
    except TypeError as exc:
        raise ConfigError(
            f"{spec_path(name_or_path)}: bad [params] for {spec['model']!r}: {exc}"
        ) from exc


def _mistyped_params(klass: type, params: dict[str, Any]) -> list[str]:
    """Params whose value does not have the type of the constructor's default (`forgets =
    "yes"` would otherwise be read as true): "name = value (expected ...)" for each."""
    defaults = {
        name: p.default
        for name, p in inspect.signature(klass.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    wrong = []
    for name, value in params.items():
        default = defaults.get(name)
        if default is None:  # unknown names are the constructor's to refuse; None takes any
            continue
        if isinstance(default, bool):
            ok, expected = isinstance(value, bool), "true or false"
        elif isinstance(default, int):
            ok, expected = isinstance(value, int) and not isinstance(value, bool), "an integer"
        elif isinstance(default, float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            expected = "a number"
        elif isinstance(default, str):
            ok, expected = isinstance(value, str), "text"
        else:
            continue
        if not ok:
            wrong.append(f"{name} = {value!r} (expected {expected})")
    return wrong
