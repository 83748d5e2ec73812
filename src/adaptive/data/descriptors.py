"""Dataset descriptors: one small TOML per dataset, shipped in `adaptive/data/datasets/`.

A descriptor names the file, where it lives and how its columns and quirks map onto the
canonical schema, so that loading a public dataset or a district's export needs no code:

```toml
description = "ASSISTments 2009-10 skill builder (AKT rebuild)"
file = "assist2009/assist2009_responses.csv.gz"
root = "shared"    # "shared": the public datasets' folder; "data": the library's data folder
[columns]                    # keys as in adaptive.data.mapping
student_id = "user_id"
item_id = "problem_id"
skill_ids = "skill_name"
correct = "correct"
time = "seq_idx"
[quirks]
merge_skill_rows = true
[expected]                   # counts the source documents (checked by the tests)
responses = 274590
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adaptive.data.mapping import ColumnMapping
from adaptive.errors import ConfigError, unknown_keys
from adaptive.paths import PACKAGE_DIR, data_dir, shared_datasets_dir

#: Where a descriptor's `file` is: "shared", the public datasets' folder
#: (`paths.shared_datasets_dir`); "data", the library's data folder (`paths.data_dir`: the
#: demo district).
ROOTS = ("shared", "data")


def descriptors_dir() -> Path:
    """The descriptors shipped with the package (`adaptive/data/datasets/`)."""
    return PACKAGE_DIR / "data" / "datasets"


@dataclass(frozen=True)
class Descriptor:
    """A dataset: its file, column mapping and quirks, and the counts its source documents."""

    name: str
    file: str
    root: str = "shared"
    description: str = ""
    mapping: dict[str, Any] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    origin: str = ""

    @property
    def base_dir(self) -> Path:
        """The folder `file` (and any Q-matrix file) is relative to."""
        return shared_datasets_dir() if self.root == "shared" else data_dir()

    @property
    def base_dir_unchecked(self) -> Path:
        """`base_dir`, whether it exists or not (to say where a file is looked for)."""
        return shared_datasets_dir(must_exist=False) if self.root == "shared" else data_dir()

    @property
    def path(self) -> Path:
        return self.base_dir / self.file

    def is_available(self) -> bool:
        return (self.base_dir_unchecked / self.file).is_file()

    def column_mapping(self, overrides: dict[str, Any] | None = None) -> ColumnMapping:
        """The descriptor's mapping with CLI overrides applied (checked)."""
        return ColumnMapping.from_dict({**self.mapping, **(overrides or {})}, where=self.origin)


def list_descriptors() -> list[str]:
    """Names of the datasets with a descriptor, sorted."""
    return sorted(p.stem for p in descriptors_dir().glob("*.toml"))


def load_descriptor(name: str) -> Descriptor:
    """Read and check the descriptor `NAME.toml` (`descriptors_dir()`)."""
    path = descriptors_dir() / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(list_descriptors()) or "none"
        raise ConfigError(f"no dataset named {name!r} (no {path}); known datasets: {known}")
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    keys = ["columns", "description", "expected", "file", "quirks", "root"]
    unknown = sorted(set(spec) - set(keys))
    if unknown:
        raise ConfigError(f"{path}: {unknown_keys(unknown, keys)}")
    if not isinstance(spec.get("file"), str):
        raise ConfigError(f"{path}: 'file' (the data file's path) is required")
    root = spec.get("root", "shared")
    if root not in ROOTS:
        raise ConfigError(f"{path}: 'root' must be one of {', '.join(ROOTS)}, got {root!r}")
    mapping = {**spec.get("columns", {}), **spec.get("quirks", {})}
    ColumnMapping.from_dict(mapping, where=str(path))  # fail early on a bad descriptor
    expected = spec.get("expected", {})
    if not all(isinstance(v, int) for v in expected.values()):
        raise ConfigError(f"{path}: [expected] values must be integers")
    return Descriptor(
        name=name,
        file=spec["file"],
        root=root,
        description=spec.get("description", ""),
        mapping=mapping,
        expected=expected,
        origin=str(path),
    )
