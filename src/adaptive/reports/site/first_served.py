"""Each student's first night served after a growth baseline, kept beside the batch output.

A student not read on the baseline night grows from their own first night with a reading
(`build.growth_starts`). Finding that night read every school's student ids of every night
since the baseline, at every report build: late in a school year, one student who transferred in
yesterday made a 650-school district's report read ~100,000 small files, and the next night's
report read them all again. This index says, for every student served after the baseline, the
first night (in the order the report walks the nights: serving order) and the first school (in
school order) that served them, so a build reads only the nights no earlier build indexed, and
the mastery of that one night and school.

`OUT/_first_served/baseline=YYYY-MM-DD.parquet`, one per baseline night (a school year): a row
per student (`student_id`, `night`: the night's place in the index's list, `school`); its
metadata lists the nights indexed, each with the sha256 of its `_SUCCESS.json` (what the nightly
job records of a complete night: every partition's sha256). A night re-served since (another
`_SUCCESS.json`), dropped, or now in another place of the order invalidates the index from that
night on, and the build reads those nights again. A night with no `_SUCCESS.json` (a run killed
mid-night, or a night being served) is never indexed: the walk reads it whole, as before; so are
the later nights, at every build, for a student served on their first night but not read there
(an output without a mastery reading, a night of another catalog). An
index missing, unreadable or written by another version is built again from the nights. The file
is replaced atomically and two builds at once each write a complete index (the later one stays),
so no lock is needed; the sha256 of its rows, in its metadata, has a damaged or edited file
built again rather than trusted. It holds student ids as the outputs beside it do; no message names one.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from adaptive.batch.writer import (
    FIRST_SERVED_DIR,
    MARKED_TABLE,
    PART_FILE,
    date_dir,
    first_served_path,
    parquet_bytes,
)
from adaptive.errors import AdaptiveError, NightWarning
from adaptive.files import atomic_write_bytes, file_sha256

INDEX_DIR = FIRST_SERVED_DIR
FORMAT = 1
_META = b"adaptive.first_served"


def night_partitions(out: Path, night: str) -> list[tuple[str, Path]]:
    """Every school's students file of `night`, (school, path) in school order."""
    paths = sorted(date_dir(out, "students", night).glob(f"school=*/{PART_FILE}"))
    return [(unquote(p.parent.name.removeprefix("school=")), p) for p in paths]


def served_ids(path: Path) -> np.ndarray:
    """The student ids of one students file (its `student_id` column alone)."""
    column = pq.read_table(path, columns=["student_id"]).column("student_id")
    return column.to_numpy(zero_copy_only=False)


def night_identity(out: Path, night: str) -> str | None:
    """The sha256 of `night`'s `_SUCCESS.json` (it lists every partition's sha256, so a night
    served again with other outputs has another); None when the night is not complete."""
    marker = date_dir(out, MARKED_TABLE, night) / "_SUCCESS.json"
    try:
        return file_sha256(marker)
    except OSError:
        return None


def index_path(out: Path, baseline: str) -> Path:
    """Where the index of the nights after `baseline` is kept."""
    return first_served_path(out, baseline)


@dataclass
class FirstServed:
    """The index of one baseline as far as it agrees with tonight's nights (`open`), extended
    night by night as the walk needs (`add`), then saved (`save`)."""

    path: Path
    nights: list[tuple[str, str]]  # (night, identity) indexed, in the walk's order
    ids: pd.Index  # the students served on one of them
    night: np.ndarray  # (len(ids),) int: the place in `nights` of each one's first night
    school: np.ndarray  # (len(ids),) object: the first school (in school order) then
    stored: list[str] = field(default_factory=list)  # the nights the file held
    changed: bool = False

    @classmethod
    def open(cls, out: Path, baseline: str, nights: list[tuple[str, str]]) -> FirstServed:
        """The index of `baseline` in `out`, kept as far as its nights are the first of
        `nights` (the complete nights after the baseline in the walk's order, with their
        identities): from the first that differs (re-served, dropped, or in another place of
        the order) on, what it says is dropped, to be read again."""
        path = index_path(out, baseline)
        stored, ids, night, school = _read(path)
        keep, common = 0, min(len(stored), len(nights))
        while keep < common and stored[keep] == nights[keep]:
            keep += 1
        rows = night < keep
        return cls(
            path,
            stored[:keep],
            pd.Index(ids[rows], dtype=object),
            night[rows],
            school[rows],
            stored=[n for n, _ in stored],
            # a night that differs (re-served, dropped, moved) changes the file; a build whose
            # nights end before the file's (a report of an earlier night) leaves it as it is
            changed=keep < common,
        )

    def place(self, night: str) -> int:
        """`night`'s place in the index; the next place when it is not indexed yet."""
        names = [n for n, _ in self.nights]
        return names.index(night) if night in names else len(names)

    def add(self, out: Path, night: str, identity: str) -> list[tuple[str, np.ndarray]]:
        """Index `night` (the next one of the walk, whose identity was taken before its files
        are read: a night re-served meanwhile is read again by the next build): each school's
        student ids read once; returns them, in school order, for the walk's own use."""
        served = [(school, served_ids(path)) for school, path in night_partitions(out, night)]
        if served:
            ids = np.concatenate([s for _, s in served]).astype(object)
            schools = np.concatenate([np.full(len(s), school, object) for school, s in served])
            first = ~pd.Index(ids).duplicated(keep="first")  # the first school in school order
            new = first & (self.ids.get_indexer(ids) < 0)
            if new.any():
                self.ids = self.ids.append(pd.Index(ids[new], dtype=object))
                self.night = np.concatenate([self.night, np.full(new.sum(), len(self.nights))])
                self.school = np.concatenate([self.school, schools[new]])
        self.nights.append((night, identity))
        self.changed = True
        return served

    def first(self, ids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
        """Of each of `ids`, the place of their first night in the index (-1: served on none of
        its nights) and the school that served them then ('' where none)."""
        rows = self.ids.get_indexer(ids)
        has = rows >= 0
        place = np.where(has, self.night[np.maximum(rows, 0)] if len(self.ids) else -1, -1)
        school = np.full(len(ids), "", object)
        school[has] = self.school[rows[has]]
        return place.astype(np.int64), school

    def save(self, report_night: str) -> None:
        """Replace the file with this index, atomically, when this build changed it; not when
        the file indexes the report's own night (a report of an earlier night, reading fewer
        nights, leaves the index of a later one as it is). A folder this build cannot write to
        is warned of: the report is right, and the next one reads those nights again."""
        if not self.changed or report_night in self.stored:
            return
        table = pa.table(
            {
                "student_id": pa.array(self.ids.to_numpy(), pa.string()),
                "night": pa.array(self.night, pa.int32()),
                "school": pa.array(self.school, pa.string()),
            }
        )
        meta = {
            "format": FORMAT,
            "nights": [list(n) for n in self.nights],
            "sha256": _digest(self.nights, self.ids.to_numpy(), self.night, self.school),
        }
        table = table.replace_schema_metadata({_META: json.dumps(meta).encode()})
        try:
            atomic_write_bytes(self.path, parquet_bytes(table))
        except (OSError, AdaptiveError) as exc:  # a read-only folder, a file in the way
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            warnings.warn(
                f"{self.path}: cannot save the report's index of each student's first night "
                f"served ({why}); the report is right, but the next one reads again the nights "
                "this one read",
                NightWarning,
                stacklevel=2,
            )


def _read(path: Path) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray, np.ndarray]:
    """The index file's nights, ids, places and schools; nothing when it is absent, cannot be
    read or was written by another version (it is then built again)."""
    empty = ([], np.empty(0, object), np.empty(0, np.int64), np.empty(0, object))
    try:
        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {})[_META])
        if meta.get("format") != FORMAT:
            return empty
        nights = [(str(n), str(i)) for n, i in meta["nights"]]
        ids = np.asarray(table.column("student_id").to_numpy(zero_copy_only=False), object)
        night = table.column("night").to_numpy().astype(np.int64)
        school = np.asarray(table.column("school").to_numpy(zero_copy_only=False), object)
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        return empty
    if len(night) and (night.min() < 0 or night.max() >= len(nights)):
        return empty
    if pd.Index(ids).has_duplicates or meta.get("sha256") != _digest(nights, ids, night, school):
        return empty  # damaged or edited: built again from the nights
    return nights, ids, night, school


def _digest(
    nights: list[tuple[str, str]], ids: np.ndarray, night: np.ndarray, school: np.ndarray
) -> str:
    """The sha256 of the index's nights and rows, kept in its metadata: a file whose content
    no longer matches it (damaged, or edited by hand) is built again rather than trusted."""
    h = hashlib.sha256()
    h.update(json.dumps([list(n) for n in nights]).encode())
    h.update("\0".join(map(str, ids)).encode())
    h.update(np.asarray(night, np.int64).tobytes())
    h.update("\0".join(map(str, school)).encode())
    return h.hexdigest()
