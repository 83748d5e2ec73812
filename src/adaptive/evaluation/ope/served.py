"""Are the files given to `adaptive ope` or `experiment analyze` those the logged nights were
served from? Checked against what the nightly job recorded, before any estimate.

An estimate read from another district's response log, catalog or profiles (same student ids,
same activity ids: a simulated district and a real one look alike) is silently wrong, so each
tie the job's outputs record is compared and a difference is one named error:

- the catalog: each night's snapshot (`state/date=D/meta.json`) records the catalog's layout
  (`policy.base.catalog_layout`: its skill, activity and topic ids in order);
- the response log's students: almost none of them the nights' students, and almost none of
  these in it, is another district's export (`check_log_students`), said before the rows are
  compared (an export with more rows before a night than it read would otherwise read as
  answers that arrived late);
- the response log: each snapshot records what the log held before the night's cutoff (rows and
  a digest of them, `batch.log_digest`); the log given must hold the same. A log given in another
  format than the night read (a CSV export of a Parquet log) is compared by its count alone, as
  the two digests differ in kind;
- the profiles: each served student's class and school are written beside their
  recommendations and in the `students` table; the profiles given must put every one of them in
  the same class and school;
- the catalog's contents, when a night's `_SUCCESS.json` records them (`catalog_sha256`:
  sha256 of the catalog's canonical JSON, `json.dumps(catalog.to_dict(), sort_keys=True)`, the
  digest the night's fingerprint holds): the layout alone does not tell two catalogs with the
  same ids apart;
- the profiles file's sha256, when a night's `_SUCCESS.json` records it (`inputs.profiles`):
  an edited file (interests emptied, grades corrected) keeps every student in their class, yet
  `ope` re-scores the candidate and `experiment analyze` computes its outcome from it, so
  another file is refused unless the caller allows it (`check_profiles_recorded`).

A log that holds more rows before a night than it read (answers that arrived late, as they do)
is used, with a warning (`ServedInputWarning`), and so are profiles where up to 10% of the served
students are in another class or in none (a roster exported before or after the nights': which,
the files do not tell; the warning gives both digests when the night recorded its own); a log that holds fewer rows, or as many other ones,
and profiles where more differ, are refused: the messages say so. Messages name counts, nights, files and class ids, never a student id.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.errors import AdaptiveError, counted, verb


class ServedInputError(AdaptiveError):
    """A response log, catalog or profiles file is not the one the logged nights were served
    from (the message names the file, the night and what the job recorded)."""


def snapshot_metas(state_dir: Path, nights: list[str]) -> dict[str, dict]:
    """The verified `meta.json` of each night's snapshot in `state_dir`, for the nights that
    have one (a night without its snapshot is left to the caller: `ope` needs it to run at all,
    `experiment analyze` does not read it otherwise)."""
    from adaptive.batch.snapshot import snapshot_dir, snapshot_meta

    return {
        night: snapshot_meta(state_dir, night)
        for night in nights
        if (snapshot_dir(state_dir, night) / "meta.json").is_file()
    }


def check_catalog(catalog, source: str | Path, metas: dict[str, dict], state_dir: Path) -> None:
    """ServedInputError when a night's snapshot records another catalog layout than
    `catalog`'s (other skills, activities or topics, or another order)."""
    from adaptive.policy.base import catalog_layout

    layout = catalog_layout(catalog)
    for night, meta in metas.items():
        recorded = meta.get("catalog")
        if recorded is not None and recorded != layout:
            raise ServedInputError(
                f"--catalog {source}: not the catalog the night {night} was served from (its "
                f"skill, activity and topic ids: layout {layout}; the night's snapshot "
                f"{state_dir}/date={night}/meta.json records {recorded}); expected the catalog "
                "of `adaptive batch --catalog` (or its --district) for these nights"
            )


def check_recorded_digests(log_dir: Path, nights: list[str], catalog, catalog_source) -> None:
    """ServedInputError when a night's `_SUCCESS.json` records the sha256 of its catalog's
    canonical JSON (`catalog_sha256`) and the catalog given has another (module docstring).
    Nights that record none are left to the other checks. The profiles are compared with
    `check_profiles`, which allows a roster exported before or after the night's within
    bounds (`recorded_profiles` gives it the night's digest, for its words)."""
    from adaptive.batch.partition import OUTPUT_TABLES
    from adaptive.batch.writer import date_listing

    digest: str | None = None
    for night in nights:
        recorded = (date_listing(log_dir, OUTPUT_TABLES, night) or {}).get("catalog_sha256")
        if not isinstance(recorded, str):
            continue
        digest = digest or catalog.sha256
        if digest != recorded:
            raise ServedInputError(
                f"--catalog {catalog_source}: not the one the night {night} was served from (its "
                f"sha256 is {digest[:16]}..., the night's _SUCCESS.json records catalog_sha256 "
                f"{recorded[:16]}...); expected the --catalog of `adaptive batch` (or its "
                "--district) for these nights"
            )


def recorded_profiles(log_dir: Path, nights: str | list[str]) -> str | None:
    """The sha256 of the profiles file the night (or all of `nights`) was served from, as its
    `_SUCCESS.json` records it (`inputs.profiles`); None for a night that recorded none, or
    nights that recorded different ones."""
    nights = [nights] if isinstance(nights, str) else nights
    recorded = recorded_profile_digests(log_dir, nights)
    found = {recorded.get(night) for night in nights}
    return found.pop() if len(found) == 1 else None


def recorded_profile_digests(log_dir: Path, nights: list[str]) -> dict[str, str]:
    """night -> the sha256 of the profiles file the night was served from, as its
    `_SUCCESS.json` records it (`inputs.profiles`), for the nights that recorded one."""
    from adaptive.batch.partition import OUTPUT_TABLES
    from adaptive.batch.writer import date_listing

    found = {}
    for night in nights:
        inputs = (date_listing(Path(log_dir), OUTPUT_TABLES, night) or {}).get("inputs")
        recorded = inputs.get("profiles") if isinstance(inputs, dict) else None
        if isinstance(recorded, str):
            found[night] = recorded
    return found


class OtherProfilesError(ServedInputError):
    """The profiles file given is not the one (by sha256) the nights were served from, and
    the caller did not allow it (`--allow-other-profiles`)."""


def check_profiles_recorded(
    source, log_dir: Path, nights: list[str], uses: str, allow: bool = False
) -> str | None:
    """Compare the sha256 of the profiles file `source` with the one each night's
    `_SUCCESS.json` recorded (`recorded_profile_digests`). Where they differ: OtherProfilesError
    naming the nights and both checksums, or, with `allow`, the same words as a
    `ServedInputWarning`, returned too (for a later refusal to name as its likely cause).
    `uses`: what the command computes from the profiles, so why another file biases it.
    None when they match, or nothing can be compared (profiles in memory, nights that recorded
    none). An edited file (interests emptied, a grade corrected) keeps every student in the
    class `check_profiles` compares, so only its checksum tells it from the nights' own."""
    if not isinstance(source, str | Path) or not Path(source).is_file():
        return None  # profiles in memory: no file to compare
    recorded = recorded_profile_digests(log_dir, nights)
    given = _file_digest(source) if recorded else None
    other = {night: digest for night, digest in recorded.items() if digest != given}
    if given is None or not other:
        return None
    checksums = ", ".join(sorted({f"{d[:16]}..." for d in other.values()}))
    message = (
        f"--profiles {source}: not the profiles file {_nights_words(list(other))} "
        f"{verb(len(other), 'was')} served from (its sha256 is {given[:16]}...; recorded in "
        f"_SUCCESS.json 'inputs.profiles': {checksums}): {uses}, so the result is biased "
        "(interests, time budgets or grades edited since, or a roster exported at another time)"
    )
    if not allow:
        raise OtherProfilesError(
            f"{message}. Expected the profiles of `adaptive batch --profiles` for these nights; "
            "--allow-other-profiles proceeds anyway"
        )
    warnings.warn(message, ServedInputWarning, stacklevel=2)
    return message


def _nights_words(nights: list[str]) -> str:
    """ "the night D", "the nights D1, D2 and D3", or "the 9 nights from D1 to D9"."""
    if len(nights) == 1:
        return f"the night {nights[0]}"
    if len(nights) <= 4:
        return f"the nights {', '.join(nights[:-1])} and {nights[-1]}"
    return f"the {len(nights)} nights from {nights[0]} to {nights[-1]}"


def _file_digest(path) -> str | None:
    """sha256 of a file's bytes; None for profiles held in memory (nothing to compare)."""
    from adaptive.files import file_sha256

    return file_sha256(path) if isinstance(path, str | Path) else None


#: A response log is another district's when under this share of its students are students the
#: nights served, and under this share of those students are in it (both sides: a log exported
#: an hour after the first night holds few of its students, all of them the district's; nights
#: that served a few schools of a district's log are few of its students, all of them in it).
MIN_SHARED_STUDENTS = 0.01


def check_log_students(
    log,
    since_ns: int,
    served_students: pd.Series,
    catalog,
    source: str,
    data,
    mapping: dict | None,
) -> None:
    """ServedInputError when the response log's students are almost none of the nights'
    (`served_students`: the ids the nights served), and almost none of these are in it
    (`MIN_SHARED_STUDENTS`): an export of another district, which the counts of rows before
    each night cannot tell from one holding answers that arrived late (more rows). Checked
    before those counts, so that the refusal is said instead of a warning of late answers.

    `log`: the log as the caller read it (a Parquet log with timestamps from `since_ns`, the
    first night's start, on; others in full): the students who answered from then on are
    compared; when none did, those of the whole log (`data` read again with `mapping` by
    `read_whole_log`, only when `log` holds no row: then it was read from `since_ns`). The
    message gives counts only: the students shared, and the log's skills the catalog has."""
    recent = log.time >= since_ns
    what = f"who answered from {pd.Timestamp(since_ns, tz='UTC').isoformat()} on"
    if not recent.any():
        log = log if len(log) else read_whole_log(data, mapping)
        recent = np.ones(len(log), bool)
        what = "whose answers all date before the nights"
    rows, skill = log.exploded()
    students = pd.Index(log.students[np.unique(log.student[recent])].astype(str))
    skills = pd.Index(log.skills[np.unique(skill[recent[rows]])].astype(str))
    served = pd.Index(pd.Series(served_students).astype(str).unique())
    if not len(students) or not len(served):
        return
    shared = int(served.isin(students).sum())
    if max(shared / len(students), shared / len(served)) >= MIN_SHARED_STUDENTS:
        return
    in_catalog = int(skills.isin(catalog.skill_index).sum())
    found = "none" if not shared else f"only {shared:,}"
    raise ServedInputError(
        f"--data {source}: not the response log the nights were served from: {found} of its "
        f"{counted(len(students), 'student')} ({what}) {verb(shared or 2, 'is')} among the "
        f"{counted(len(served), 'student')} the nights served, and {in_catalog:,} of their "
        f"{counted(len(skills), 'skill')} {verb(in_catalog, 'is')} in the catalog. Expected "
        "the log of `adaptive batch --data` (or its --district) for these nights, exported "
        "after them"
    )


def read_whole_log(data, mapping: dict | None):
    """The whole response log, for `check_log_students` in `ope` and `experiment analyze`
    alike: by the nightly job's reader (`batch.job._read_log`: none of the optional columns,
    which the check does not read), its load notes said once (`_say_notes`). Read only when
    the command's read from the first night on held no row, which had no note to say."""
    from adaptive.batch.job import _read_log, _say_notes

    log, report = _read_log(data, mapping, None)
    _say_notes(report)
    return log


def check_log(
    data, mapping: dict | None, log, metas: dict[str, dict], state_dir: Path, source: str
) -> None:
    """ServedInputError when the response log given does not hold, before a night's cutoff, the
    rows that night's snapshot recorded (count, and digest when of the same kind). `log`: the
    log as the caller read it: a Parquet log with timestamps is recorded from its file (so one
    read from the first night on will do), any other log is read in full by every reader."""
    from adaptive.batch.log_digest import before_cutoffs

    recorded = {night: meta["before_cutoff"] for night, meta in metas.items()
                if isinstance(meta.get("before_cutoff"), dict)}  # fmt: skip
    if not recorded:
        return
    bounds = [pd.Timestamp(metas[night]["cutoff"]).value for night in recorded]
    now = before_cutoffs(data, mapping, log, bounds)
    late = {}
    for (night, then), given in zip(recorded.items(), now, strict=True):
        if given is None:
            continue
        if given.get("count", 0) > then.get("count", 0):
            late[night] = given["count"] - then["count"]  # answers synced after the night
        elif not _same_log(then, given):
            raise ServedInputError(_log_message(source, night, then, given, state_dir))
    if late:
        night, extra = max(late.items(), key=lambda item: item[1])
        warnings.warn(
            f"--data {source}: holds more responses dated before the served nights than they "
            f"read ({len(late)} nights; up to {extra:,} more before the night {night}): answers "
            "that arrived late, which the estimates use as outcomes (a log of another district, "
            "whose students are not the nights', is refused)",
            ServedInputWarning,
            stacklevel=2,
        )


class ServedInputWarning(UserWarning):
    """The response log given holds more rows before a served night than the night read
    (answers that arrived late), or a few served students are in another class in the
    profiles given (moved since): used, and said."""


def _same_log(recorded: dict, given: dict) -> bool:
    """The same rows before the cutoff: the same count, and the same digest when both were
    made the same way (the same unit and kind of digest). A log that holds more (answers that
    arrived after the night) is the caller's to accept."""
    if given.get("count") != recorded.get("count"):
        return False
    if given.get("unit") != recorded.get("unit"):
        return True  # another format of the log: digests of other kinds, counted alone
    kinds = {str(entry.get("digest", "")).split(":", 1)[0] for entry in (recorded, given)}
    return len(kinds) > 1 or given.get("digest") == recorded.get("digest")


def _log_message(source: str, night: str, recorded: dict, given: dict, state_dir: Path) -> str:
    """The refusal of a log that differs from what the night's snapshot recorded."""
    if given["count"] == recorded["count"]:
        held = f"the same {given['count']:,} {given['unit']} dated before it, but other ones"
    else:
        held = (
            f"{given['count']:,} {given['unit']} dated before it, where the night's snapshot "
            f"recorded {recorded['count']:,} {recorded['unit']}"
        )
    return (
        f"--data {source}: not the response log the night {night} was served from: it holds "
        f"{held} ({state_dir}/date={night}/meta.json, 'before_cutoff'). Expected the log of "
        "`adaptive batch --data` (or its --district) for these nights; a log that lost rows or "
        "was regraded since no longer matches either (one with more rows, answers that arrived "
        "late, is used)"
    )


def check_profiles(
    served: pd.DataFrame,
    profiles: Mapping,
    source: str | Path,
    what: str,
    served_from: str | None = None,
) -> None:
    """ServedInputError when a served student's class or school (`served`: student_id,
    class_id, school_id as the job wrote them) is another in `profiles`; `what` names the
    rows (e.g. "students of the night 2026-11-02"). Up to `MOVED_SHARE` of them, a warning:
    a roster exported at another time than the night's. Which of the two is the newer is not
    known (an older roster given, or a newer one), so the words say both ways: a student in
    none of the profiles enrolled after they were exported, or left before. `served_from`:
    the sha256 the night recorded of its profiles file (its `_SUCCESS.json` inputs), said
    beside the file's when they differ. Counts and one class, no student id."""
    ids = served["student_id"].astype(str)
    table = pd.DataFrame(
        [(p.class_id, p.school_id) for p in profiles.values()],
        index=pd.Index(list(profiles), dtype=object),
        columns=["class_id", "school_id"],
    )  # each profile once; a served student without one: no class, no school
    absent = ~ids.isin(table.index).to_numpy()
    given = table.reindex(ids.to_numpy()).reset_index(drop=True)
    given, job = _ids(given), _ids(served.reset_index(drop=True))
    wrong = (given["class_id"] != job["class_id"]) | (given["school_id"] != job["school_id"])
    if not wrong.any():
        return
    found = _found(given, job, wrong.to_numpy(), absent, what)
    digests = _digests(source, served_from)
    if wrong.mean() <= MOVED_SHARE:  # a roster of another day: the field's normal case
        warnings.warn(
            f"--profiles {source}: {found}. A roster exported before or after the one they "
            f"were served from{digests}? Students enrol, leave and change class between two "
            "exports",
            ServedInputWarning,
            stacklevel=2,
        )
        return
    raise ServedInputError(
        f"--profiles {source}: not the profiles the logged nights were served from{digests}: "
        f"{found}. Expected the profiles of `adaptive batch --profiles` (or its --district) for "
        f"these nights (up to {MOVED_SHARE:.0%} of students in another class, or in none, are "
        "warned of, not refused: a roster exported at another time)"
    )


def _found(given: pd.DataFrame, job: pd.DataFrame, wrong, absent, what: str) -> str:
    """The served students (`what`) the profiles place otherwise, in words: how many are in
    none of them (enrolled after the profiles were exported, or left before: which, the files
    do not tell) and how many in another class or school, with one example of those."""
    n = f"of {len(wrong):,} {what}"
    gone = "in none of these profiles (enrolled after they were exported, or left before)"
    moved = wrong & ~absent
    if not moved.any():
        return f"{int(absent.sum()):,} {n} {verb(absent.sum(), 'is')} {gone}"
    i = int(moved.argmax())
    example = (
        f"e.g. class {given['class_id'][i] or 'none'!r} of school "
        f"{given['school_id'][i] or 'none'!r} there, served in class "
        f"{job['class_id'][i] or 'none'!r} of school {job['school_id'][i] or 'none'!r}"
    )
    said = (
        f"{int(wrong.sum()):,} {n} {verb(wrong.sum(), 'is')} in another class or "
        "school there than they were served in"
    )
    if not absent.any():
        return f"{said} ({example})"
    return (
        f"{said}, or in none: {int(absent.sum()):,} {gone}, {int(moved.sum()):,} in another "
        f"class or school ({example})"
    )


def _digests(source: str | Path, served_from: str | None) -> str:
    """` (the night's: sha256 ...; these: ...)` when the night recorded the digest of the profiles
    it was served from (`served_from`) and the file given has another; "" when unknown or
    equal."""
    given = _file_digest(source) if served_from and Path(source).is_file() else None
    if not given or given == served_from:
        return ""
    return f" (the night's: sha256 {served_from[:12]}...; these: {given[:12]}...)"


#: Up to this share of served students in another class or school of the profiles given, or in
#: none, is read as a roster exported at another time (a warning); more is another district's
#: profiles (an error).
MOVED_SHARE = 0.1


def _ids(frame: pd.DataFrame) -> pd.DataFrame:
    """class_id and school_id as the outputs compare them: text, "" for none (a missing id,
    and the school the job gives students without one, `UNASSIGNED_SCHOOL`)."""
    from adaptive.batch.job import UNASSIGNED_SCHOOL

    ids = frame[["class_id", "school_id"]]
    out = ids.astype(object).where(ids.notna(), "").astype(str)
    out["school_id"] = out["school_id"].replace(UNASSIGNED_SCHOOL, "")
    return out
