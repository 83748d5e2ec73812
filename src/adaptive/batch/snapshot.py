"""Nightly student-state snapshots: `STATE_DIR/date=YYYY-MM-DD/`.

A snapshot for date D holds every student's state after all responses before D 00:00 UTC:
`tracer.npz` (the champion's `TracingState`), `history.npz` (`StudentHistory`) and `meta.json`
(the cutoff, which model version produced the tracer state, sha256 of both files, what the log
held before the cutoff: its row count and a digest of those rows (`log_digest`), and a sha256 of
its own content: `adaptive.files.sealed_json`, so every file of a snapshot is verified on load).
The folder is written under a temporary name and renamed, so a snapshot is complete or absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from adaptive.batch.history import StudentHistory
from adaptive.curriculum import Catalog
from adaptive.errors import ArtifactError
from adaptive.files import hash_arrays, make_folder, read_sealed_json, sealed_json
from adaptive.tracing.base import TracingState, atomic_write_bytes

FILES = ("tracer.npz", "history.npz")
NPZ_FORMAT = "npz"  # the in-process engine's snapshot
SPARK_FORMAT = "parquet-by-school"  # the Spark engine's (`spark_job.py`, `school_state.py`)
#: A snapshot being written by the Spark engine's executors: `date=DAY.partial`, renamed to
#: `date=DAY` once the night is sealed.
PARTIAL = ".partial"


@dataclass
class Snapshot:
    """A loaded snapshot: the tracer state, the history and where they came from."""

    date: str
    cutoff: pd.Timestamp
    model_name: str
    model_version: str
    tracer: TracingState
    history: StudentHistory
    sha256: str


def snapshot_dir(state_dir: Path, date: str) -> Path:
    return Path(state_dir) / f"date={date}"


#: Each snapshot format's engine, as a night's words name it.
ENGINE_OF_FORMAT = {NPZ_FORMAT: "in-process", SPARK_FORMAT: "Spark"}


def previous_snapshot_date(
    state_dir: Path, date: str, kind: str = NPZ_FORMAT, other: bool = False
) -> str | None:
    """The latest complete snapshot strictly before `date` written in format `kind` (the
    in-process engine's `.npz`, or the Spark engine's Parquet by school), or with `other`, in
    any other format (the other engine's: each reads its own only); ISO dates sort as
    strings."""
    root = Path(state_dir)
    if not root.is_dir():
        return None
    dates = sorted(
        p.name.removeprefix("date=")
        for p in root.glob("date=*")
        if (p / "meta.json").is_file() and (snapshot_format(p) == kind) != other
    )
    earlier = [d for d in dates if d < date]
    return earlier[-1] if earlier else None


def snapshot_format(folder: Path) -> str:
    """The format a snapshot folder's `meta.json` names (`.npz` when it names none)."""
    try:
        meta = json.loads((Path(folder) / "meta.json").read_text())
    except (OSError, ValueError):
        return NPZ_FORMAT
    return meta.get("format", NPZ_FORMAT) if isinstance(meta, dict) else NPZ_FORMAT


def save_snapshot(
    state_dir: Path,
    date: str,
    cutoff: pd.Timestamp,
    model_name: str,
    model_version: str,
    tracer: TracingState,
    history: StudentHistory,
    before_cutoff: dict | None = None,
    catalog: str | None = None,
    placement: str | None = None,
    grade_table: dict | None = None,
) -> Path:
    """Write the snapshot for `date` atomically; returns its folder (`state_digest` gives the
    digest of its contents, from memory). `before_cutoff`: what the log held before the cutoff
    ({"unit", "count", "digest"}: `log_digest.record`), so the next night notices rows that
    arrive later dated before it, or answers there regraded (`adaptive.batch.job`). `catalog`:
    the catalog's layout (`catalog_layout`), so a night on another catalog rebuilds.
    `placement`: the sha256 of the placement table the state's students were placed from
    (`placement_sha256`), so a night given another table rebuilds the tracer state;
    `grade_table`: the grade table that placed its new students (the policy's, else the
    model's: `grade_table_record`; None for the default), for the same reason."""
    final = snapshot_dir(state_dir, date)
    make_folder(final.parent)
    tmp = final.parent / f".{final.name}.{secrets.token_hex(6)}.tmp"
    tmp.mkdir()  # mode 0777 minus the umask (mkdtemp's would be 0700)
    try:
        tracer.save(tmp / "tracer.npz")
        history.save(tmp / "history.npz")
        digests = {name: hashlib.sha256((tmp / name).read_bytes()).hexdigest() for name in FILES}
        meta = {
            "date": date,
            "cutoff": cutoff.isoformat(),
            "model_name": model_name,
            "model_version": str(model_version),
            "students": len(history),
            "files": digests,
            **({"before_cutoff": before_cutoff} if before_cutoff is not None else {}),
            **({"catalog": catalog} if catalog is not None else {}),
            **({"placement": placement} if placement is not None else {}),
            **({"grade_table": grade_table} if grade_table is not None else {}),
        }
        atomic_write_bytes(tmp / "meta.json", sealed_json(meta))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # a night killed while writing (kill -9, the OOM killer) left its folder in the making; the
    # night's lock says no other run writes this date's, so it goes once the night is served
    for stale in final.parent.glob(f".{final.name}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    return final


def state_digest(tracer: TracingState, history: StudentHistory) -> str:
    """sha256 of the states' contents (ids and arrays), independent of file timestamps."""
    digest = hashlib.sha256()
    for students, arrays in (
        (tracer.students, tracer.arrays),
        (history.students, history.arrays()),
    ):
        digest.update("\x1f".join(students).encode())
        hash_arrays(digest, arrays)
    return digest.hexdigest()


def snapshot_meta(state_dir: Path, date: str) -> dict:
    """The verified `meta.json` of the snapshot of `date`: its cutoff, the model name and version
    of its tracer state and its files' checksums (cheap: what decides how the night reads the log,
    before the state itself is loaded)."""
    folder = snapshot_dir(state_dir, date)
    meta = read_sealed_json(folder / "meta.json", f"snapshot {folder / 'meta.json'}")
    if not isinstance(meta.get("files"), dict):
        raise ArtifactError(f"snapshot {folder / 'meta.json'}: no 'files' checksums")
    return meta


def load_snapshot(state_dir: Path, date: str) -> Snapshot:
    """Read and verify the snapshot of `date` (a truncated or altered file is an ArtifactError)."""
    folder = snapshot_dir(state_dir, date)
    meta = snapshot_meta(state_dir, date)
    for name in FILES:
        got = (
            hashlib.sha256((folder / name).read_bytes()).hexdigest()
            if (folder / name).exists()
            else None
        )
        if got != meta["files"].get(name):
            raise ArtifactError(
                f"{folder / name}: missing or checksum mismatch; the snapshot is damaged"
            )
    return Snapshot(
        date=meta["date"],
        cutoff=pd.Timestamp(meta["cutoff"]),
        model_name=meta["model_name"],
        model_version=meta["model_version"],
        tracer=TracingState.load(folder / "tracer.npz"),
        history=StudentHistory.load(folder / "history.npz"),
        sha256=hashlib.sha256(json.dumps(meta["files"], sort_keys=True).encode()).hexdigest(),
    )


def catalog_changed(
    meta: dict, history: StudentHistory | None, catalog: Catalog, layout: str
) -> bool:
    """True when a snapshot was built on another catalog than tonight's: its recorded layout
    (`catalog_layout`) differs, or, for a snapshot written before layouts were recorded, its
    history's widths do (when the history is at hand). The history's columns are the catalog's
    skills and activities: read on another catalog they would fail, or be read as other skills."""
    recorded = meta.get("catalog")
    if recorded is not None:
        return recorded != layout
    if history is None:
        return False
    widths = (history.n_responses.shape[1], history.completed.shape[1])
    return widths != (len(catalog.skills), len(catalog.activities))
