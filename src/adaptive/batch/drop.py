"""Dropping a night served by mistake: `adaptive batch --date DAY --out OUT --drop`.

A night run with a mistyped `--date` (2026-10-15 for 2026-10-05) is the last night served,
so every real night after it is refused as "before the last night served" until it goes; one
run with the wrong log or roster is better removed than left beside the right one. Dropping a
night removes everything the job wrote for that date: each output table's date folder (its
partitions and `_SUCCESS.json`), its state snapshot, its record of teacher overrides, its
place in the folder's serving order, the report's index of the nights after it (where a report
measured growth from it) and its lock file, so the folder reads as if the night never ran. The night's MLflow run stays (a record that it ran), and so does a report site
written with `--report` (a folder of its own).

A night whose state later nights were built from (a later date served after it) is refused:
those nights started from its snapshot, so drop them first, the latest first. The drop holds
the date's lock and the folder's serving lock, as a night does (a drop while a night is being
served fails at once; its checks run under the locks, so they see a night served meanwhile),
and renames each folder aside before deleting it, so an
interrupted drop leaves no half-removed night under its date: run it again to finish.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from adaptive.batch import writer
from adaptive.batch.lock import night_locks
from adaptive.batch.night_checks import served_nights, unfinished_nights
from adaptive.batch.overrides import overrides_path
from adaptive.batch.partition import OUTPUT_TABLES
from adaptive.batch.snapshot import PARTIAL, snapshot_dir
from adaptive.errors import ConfigError
from adaptive.files import atomic_write_bytes, sealed_json


@dataclass
class DroppedNight:
    """What a drop removed: the night's date and the folders and files, relative to `out`
    (or absolute, for a state folder outside it)."""

    date: str
    removed: list[str] = field(default_factory=list)


def drop_night(out: str | Path, day: str, state_dir: str | Path | None = None) -> DroppedNight:
    """Remove the night of `day` from `out` and its snapshot from `state_dir` (default
    `out/state`), under the night's locks (`lock.night_locks`: the date's, the folder's). A
    date `out` never served, or a night later nights were built from, is one `ConfigError`
    saying what to do (checked before the locks, which a refused drop then never creates, and
    under them, where a night served meanwhile is seen)."""
    out = Path(out)
    state = Path(state_dir) if state_dir is not None else out / "state"
    _check_droppable(out, state, day)
    # a drop refused under the locks keeps no lock file it created
    with night_locks(out, state, day, {"drop": day}, discard=lambda: True, dropping=True):
        _check_droppable(out, state, day)
        return _remove(out, state, day)


def _check_droppable(out: Path, state: Path, day: str) -> None:
    """A `ConfigError` saying what to do when `out` holds no night of `day` (nor an
    interrupted drop of it), or when later nights were built from it."""
    nights = sorted({*served_nights(out, state), *unfinished_nights(out)})
    interrupted = bool(_set_aside(out, state, day)) or day in (writer.served_order(out) or [])
    if day not in nights and not interrupted:
        listed = ", ".join(nights[-5:]) if nights else "none"
        raise ConfigError(
            f"--date {day}: no night of that date in {out} (snapshots in {state}); nights "
            f"there: {listed}"
        )
    built_on = _built_on(out, day, nights) if day in nights else []
    if built_on:
        raise ConfigError(
            f"--date {day}: the nights {', '.join(built_on)} were served after it, from its "
            f"state; drop them first, the latest first (`adaptive batch --date {built_on[-1]} "
            "--drop` with the same --out and --state-dir), or serve this date again to "
            "replace it"
        )


def _built_on(out: Path, day: str, nights: list[str]) -> list[str]:
    """The nights dated after `day` and served after it (a night served before it, a back-fill
    of `day` since, did not start from its snapshot)."""
    order = writer.served_order(out) or []
    rank = {night: i for i, night in enumerate(order)}
    mine = rank.get(day)
    return [n for n in nights if n > day and (mine is None or rank.get(n, len(order)) > mine)]


def _night_folders(out: Path, state: Path, day: str) -> list[Path]:
    """Every folder the job writes for one date (each named date=DAY), and the report's index
    of the nights after it where a report measured growth from it (a file)."""
    folders = [writer.date_dir(out, table, day) for table in OUTPUT_TABLES]
    snapshot = snapshot_dir(state, day)
    partial = snapshot.with_name(snapshot.name + PARTIAL)  # a Spark night's, unfinished
    index = writer.first_served_path(out, day)
    return [*folders, snapshot, partial, overrides_path(out, day).parent, index]


def _set_aside(out: Path, state: Path, day: str) -> list[Path]:
    """The night's folders an interrupted drop renamed aside and did not delete yet."""
    return [
        p
        for folder in _night_folders(out, state, day)
        for p in folder.parent.glob(f".dropped-{folder.name}-*")
    ]


def _remove(out: Path, state: Path, day: str) -> DroppedNight:
    """Rename the night's folders aside (each a hidden name in its own folder, which no
    reader lists), take the date out of the serving order, then delete them (and what an
    interrupted drop left aside)."""
    dropped = DroppedNight(day)
    for folder in _night_folders(out, state, day):
        if folder.exists():
            folder.rename(folder.with_name(f".dropped-{folder.name}-{secrets.token_hex(4)}"))
            where = folder.relative_to(out) if folder.is_relative_to(out) else folder
            dropped.removed.append(str(where))
    order = writer.served_order(out)
    if order is not None and day in order:
        remaining = [n for n in order if n != day]
        atomic_write_bytes(out / writer.SERVED_ORDER, sealed_json({"nights": remaining}))
    for target in _set_aside(out, state, day):
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    return dropped
