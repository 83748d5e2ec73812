"""The specifications that ship inside the package: model specs and the default policy.

    src/adaptive/specs/models/NAME.toml   a knowledge-tracing model spec (`build_model("NAME")`)
    src/adaptive/specs/policy.toml        the policy's default weights (`PolicyConfig.default()`)

They are package data (pyproject's `[tool.setuptools.package-data]`), so a wheel install has
them and a name resolves from any working directory. A user's own spec is a path to a `.toml`
file; `resolve` takes either.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib.resources import files
from pathlib import Path

from adaptive.errors import ConfigError, closest_name

SPECS_DIR = Path(str(files("adaptive.specs")))
MODELS_DIR = SPECS_DIR / "models"
POLICY_SPEC = SPECS_DIR / "policy.toml"
#: The policy specs shipped by name (the folder also holds the growth norm, `norm.toml`).
POLICY_SPECS = (POLICY_SPEC.stem,)


def model_spec_names() -> list[str]:
    """The model specs shipped with the package (names for `build_model`), sorted."""
    return sorted(p.stem for p in MODELS_DIR.glob("*.toml"))


def resolve(
    name_or_path: str | Path,
    directory: Path,
    what: str,
    names: Collection[str] | None = None,
) -> Path:
    """A user's `.toml` file, or the shipped spec `directory/NAME.toml` named without its
    suffix ("bkt", "policy").

    A `.toml` path that is no file is an error, never the shipped spec of the same name: a
    district's own `policy.toml` missing from the working folder would otherwise be replaced
    by the shipped one without a word. `what` names the kind of spec in the error, which
    lists the shipped names: `names` where the folder holds specs of other kinds too (the
    policy's beside the growth norm, which is no policy), else every `.toml` in it.
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        return path
    known = sorted(names if names is not None else (p.stem for p in directory.glob("*.toml")))
    candidate = directory / f"{path.name}.toml"
    shipped_name = path.suffix != ".toml" and path.parent == Path(".") and path.name in known
    if shipped_name and candidate.is_file():
        return candidate
    close = closest_name(path.stem, known)
    mean = f"did you mean {close!r}? " if close else ""
    shipped = (
        f" (the shipped {path.stem!r} is named without .toml)"
        if path.suffix == ".toml" and path.stem in known and (directory / path.name).is_file()
        else ""
    )
    raise ConfigError(
        f"{what} {str(name_or_path)!r} not found{shipped}; {mean}expected a .toml file or one "
        f"of {known}"
    )
