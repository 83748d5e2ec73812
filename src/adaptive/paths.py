"""Where the library's files live: the same answers in a source checkout and in an installed
package (a wheel in any virtual environment, run from any folder).

- **Shipped inside the package** (read only, found from `PACKAGE_DIR`): the model and policy
  specs (`adaptive/specs/`), the dataset descriptors (`adaptive/data/datasets/*.toml`), the
  simulators' calibration (`adaptive/simulation/assist2009_bkt.json`).
- **Written by the library** (`data_dir()`): the embedded MLflow store, the demo district and
  the demo's outputs. `$ADAPTIVE_DATA_DIR`; else `data/` in a source checkout; else the user's
  data folder (`$XDG_DATA_HOME/adaptive`, `~/.local/share/adaptive`): never inside the installed
  package, which may be read-only.
- **The public datasets** (`shared_datasets_dir()`): `$ADAPTIVE_SHARED_DATASETS`; else
  `../shared/datasets` beside a source checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

from adaptive.errors import AdaptiveError

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_ENV = "ADAPTIVE_DATA_DIR"
SHARED_ENV = "ADAPTIVE_SHARED_DATASETS"


def source_checkout() -> Path | None:
    """The project folder when the package runs from its source tree (`src/adaptive` beside a
    `pyproject.toml`); None when it is installed (a wheel in site-packages)."""
    root = PACKAGE_DIR.parents[1]
    if PACKAGE_DIR.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def data_dir() -> Path:
    """The folder the library writes its own files in (see the module docstring)."""
    given = os.environ.get(DATA_ENV)
    if given:
        return Path(given)
    checkout = source_checkout()
    if checkout is not None:
        return checkout / "data"
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "adaptive"


def shared_datasets_dir(must_exist: bool = True) -> Path:
    """The public datasets' folder (see the module docstring); an `AdaptiveError` saying how to
    give it when it is not there (`must_exist`)."""
    given = os.environ.get(SHARED_ENV)
    checkout = source_checkout()
    if given:
        path = Path(given)
    elif checkout is not None:
        path = checkout.parent / "shared" / "datasets"
    else:
        path = data_dir() / "shared-datasets"
    if must_exist and not path.is_dir():
        raise AdaptiveError(
            f"the public datasets' folder {path} does not exist; set {SHARED_ENV} to the folder "
            "holding them (in a source checkout: ../shared/datasets beside the project)"
        )
    return path


def demo_district_dir() -> Path:
    """Where `adaptive demo` (and `make demo`) simulates the built-in demo district."""
    return data_dir() / "demo-district"
