"""The one interface every knowledge-tracing model honours.

Conventions (scikit-learn's): `__init__` only stores hyperparameters; `fit(log)` learns and returns
self; learned attributes end in `_`. Every model additionally keeps an *online state* per student:

    state = model.init_state(["s1", "s2"])
    p = model.update(state, new_log_or_response)   # P(correct) made before each response, then learn
    m = model.mastery(state)                        # (n_students, n_skills) aligned with model.skills_

`predict_proba(log)` and replaying `update` response by response must agree: both give, for every
response, P(correct) from that student's earlier responses only.

Artifacts: `save(dir)` writes `model.json` (class, hyperparameters, fitted scalars, sha256 of each
other file), `arrays.npz` (no pickle) and any further files a model adds (deep models: their
weights as `weights.safetensors`). `load(dir)` verifies every checksum before parsing, so a
missing, truncated or altered file raises `ArtifactError`, never executes code.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import json
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from adaptive.data.log import Response, ResponseLog
from adaptive.errors import ArtifactError, NotFittedError
from adaptive.files import atomic_write_bytes

FORMAT_VERSION = 1
ARRAYS_FILE = "arrays.npz"


@dataclass(eq=False)
class TracingState:
    """Per-student online state: named arrays whose first axis is the student.

    `students[i]` owns row `i` of every array. Plain arrays, so a snapshot is one `.npz` file.
    """

    students: list[str]
    arrays: dict[str, np.ndarray]
    _rows: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._rows = {s: i for i, s in enumerate(self.students)}

    def __len__(self) -> int:
        return len(self.students)

    def row(self, student_id: str) -> int | None:
        return self._rows.get(student_id)

    def rows(self, student_ids: Iterable[str]) -> np.ndarray:
        """Row of each student id, or -1 where the student has no state yet."""
        get = self._rows.get
        return np.fromiter((get(s, -1) for s in student_ids), dtype=np.int64)

    def add_students(self, student_ids: Iterable[str], initial: dict[str, np.ndarray]) -> None:
        """Append rows for new students; `initial[name]` is one row's initial value."""
        new = [s for s in dict.fromkeys(student_ids) if s not in self._rows]
        if not new:
            return
        for s in new:
            self._rows[s] = len(self.students)
            self.students.append(s)
        for name, row in initial.items():
            block = np.broadcast_to(row, (len(new), *np.shape(row)))
            self.arrays[name] = np.concatenate(
                [self.arrays[name], block.astype(self.arrays[name].dtype)]
            )

    def save(self, path: str | Path) -> None:
        """Write the state atomically as `.npz` (student ids as a unicode array, no pickle)."""
        payload = {f"a_{k}": v for k, v in self.arrays.items()}
        payload["students"] = np.asarray(self.students, dtype=np.str_)
        buf = io.BytesIO()
        np.savez(buf, **payload)
        atomic_write_bytes(Path(path), buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> TracingState:
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k[2:]: data[k] for k in data.files if k.startswith("a_")}
                students = [str(s) for s in data["students"]]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise ArtifactError(f"{path}: not a readable state snapshot ({exc})") from exc
        return cls(students=students, arrays=arrays)


class KnowledgeTracer(ABC):
    """Abstract knowledge-tracing model. Subclasses set `name` and implement the abstract methods."""

    name: ClassVar[str]

    # -- learning and batch prediction -----------------------------------------------------------
    @abstractmethod
    def fit(self, log: ResponseLog) -> Self:
        """Learn parameters from a response log; returns self."""

    @abstractmethod
    def predict_proba(self, log: ResponseLog) -> np.ndarray:
        """P(correct) for every row of `log`, using only that student's earlier rows."""

    # -- online state ----------------------------------------------------------------------------
    @abstractmethod
    def init_state(self, student_ids: Iterable[str] = ()) -> TracingState:
        """A fresh state for these students (prior knowledge only)."""

    @abstractmethod
    def update(self, state: TracingState, responses: ResponseLog | Response) -> np.ndarray:
        """Absorb responses (in time order) into `state` in place; unknown students are added.

        Returns P(correct) predicted for each response just before it was absorbed.
        """

    @abstractmethod
    def mastery(self, state: TracingState) -> np.ndarray:
        """(n_students, n_skills) probability of mastery, columns aligned with `self.skills_`."""

    def predict_skill_proba(self, state: TracingState) -> np.ndarray:
        """(n_students, n_skills) P(correct) on a typical item of each skill. Default: mastery."""
        return self.mastery(state)

    # -- hyperparameters (scikit-learn style) ------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self"}

    def set_params(self, **params: Any) -> Self:
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(
                    f"{type(self).__name__} has no hyperparameter {key!r}; valid: {sorted(valid)}"
                )
            setattr(self, key, value)
        return self

    def clone(self) -> Self:
        """An unfitted copy with the same hyperparameters."""
        return type(self)(**self.get_params())

    def _check_fitted(self) -> None:
        if not hasattr(self, "skills_"):
            raise NotFittedError(
                f"{type(self).__name__} is not fitted: call fit(log) or load(dir) first"
            )

    # -- artifacts ---------------------------------------------------------------------------------
    @abstractmethod
    def _fitted_arrays(self) -> dict[str, np.ndarray]:
        """Learned arrays to save (numeric or unicode; never object)."""

    @abstractmethod
    def _fitted_json(self) -> dict[str, Any]:
        """Learned JSON-friendly values to save (vocabularies, scalars)."""

    @abstractmethod
    def _restore(self, fitted: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Set learned attributes from what `_fitted_json` / `_fitted_arrays` returned."""

    def _fitted_files(self) -> dict[str, bytes]:
        """Further artifact files beside `arrays.npz` (file name -> bytes), each written
        atomically and checksummed in `model.json` like it. Default: none."""
        return {}

    def _restore_files(self, files: dict[str, bytes]) -> None:
        """Set learned attributes from the verified bytes of the files `_fitted_files` wrote
        (called after `_restore`; a file that model.json does not list is absent). Default: none."""
        return None

    def save(self, directory: str | Path) -> Path:
        """Write `model.json`, `arrays.npz` and `_fitted_files()` atomically into `directory`;
        returns the directory."""
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez(buf, **self._fitted_arrays())
        files = {ARRAYS_FILE: buf.getvalue(), **self._fitted_files()}
        meta = {
            "format_version": FORMAT_VERSION,
            "model": self.name,
            "params": self.get_params(),
            "fitted": self._fitted_json(),
            "files": {name: hashlib.sha256(blob).hexdigest() for name, blob in files.items()},
        }
        for name, blob in files.items():
            atomic_write_bytes(directory / name, blob)
        atomic_write_bytes(
            directory / "model.json", json.dumps(meta, indent=2, sort_keys=True).encode()
        )
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> KnowledgeTracer:
        """Load a model saved by `save`. Dispatches on the saved model name when called on the base."""
        directory = Path(directory)
        meta = read_model_json(directory)
        from adaptive.tracing.specs import model_class  # late import: specs imports every model

        klass = model_class(meta["model"]) if cls is KnowledgeTracer else cls
        if klass.name != meta["model"]:
            raise ArtifactError(f"{directory}: holds a {meta['model']!r} model, not {klass.name!r}")
        files = read_checked_files(directory, meta["files"])
        if ARRAYS_FILE not in files:
            raise ArtifactError(f"{directory / 'model.json'}: lists no {ARRAYS_FILE}")
        arrays = npz_arrays(directory / ARRAYS_FILE, files.pop(ARRAYS_FILE))
        model = klass(**meta["params"])
        model._restore(meta["fitted"], arrays)
        model._restore_files(files)
        return model


# -- artifact helpers shared by models, states and the batch job ---------------------------------
def read_model_json(directory: Path) -> dict[str, Any]:
    path = directory / "model.json"
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ArtifactError(f"{path}: missing; expected a model saved by adaptive") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(
            f"{path}: not valid JSON ({exc}); the file is truncated or altered"
        ) from exc
    for key in ("format_version", "model", "params", "fitted", "files"):
        if key not in meta:
            raise ArtifactError(f"{path}: missing key {key!r}; expected a model saved by adaptive")
    if meta["format_version"] != FORMAT_VERSION:
        raise ArtifactError(
            f"{path}: format_version {meta['format_version']}, expected {FORMAT_VERSION}"
        )
    return meta


def read_checked_files(directory: Path, sha256s: dict[str, str]) -> dict[str, bytes]:
    """The bytes of each file named in model.json's `files` map, each checked against the sha256
    recorded at save time. Names must be plain file names inside `directory`."""
    if not isinstance(sha256s, dict):
        raise ArtifactError(f"{directory / 'model.json'}: 'files' is not a name -> sha256 map")
    files = {}
    for name, sha256 in sha256s.items():
        if name in ("", ".", "..") or Path(name).name != name:
            raise ArtifactError(f"{directory / 'model.json'}: bad file name {name!r}")
        path = directory / name
        try:
            blob = path.read_bytes()
        except FileNotFoundError as exc:
            raise ArtifactError(f"{path}: missing") from exc
        if hashlib.sha256(blob).hexdigest() != sha256:
            raise ArtifactError(f"{path}: checksum mismatch; the file is truncated or altered")
        files[name] = blob
    return files


def npz_arrays(path: Path, blob: bytes) -> dict[str, np.ndarray]:
    """The arrays of an `.npz` file's bytes; never unpickles."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ArtifactError(f"{path}: unreadable arrays ({exc})") from exc


def index_codes(vocabulary: pd.Index, ids: pd.Index | np.ndarray) -> np.ndarray:
    """Codes of `ids` in a fitted vocabulary; -1 for ids the model never saw (cold start)."""
    return vocabulary.get_indexer(pd.Index(ids)).astype(np.int64)
