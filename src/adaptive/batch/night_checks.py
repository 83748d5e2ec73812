"""What both engines of the nightly job say about a night, in the same words (`job._serve_date`,
`spark_job.run_spark_night`): why the state is rebuilt, responses dated after the night, a night
before the last one served (refused unless back-filled), and a past night re-served with other
inputs (model version, policy, k, catalog, profiles...: `night_served_before`). Counts, dates,
model versions and digests only: no student data."""

from __future__ import annotations

import hashlib
import json
import shlex
import warnings
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from adaptive.batch import writer
from adaptive.batch.log_digest import other_form
from adaptive.batch.partition import OUTPUT_TABLES, UNASSIGNED_SCHOOL
from adaptive.batch.snapshot import (
    ENGINE_OF_FORMAT,
    previous_snapshot_date,
    snapshot_dir,
    snapshot_format,
)
from adaptive.data.skill_lists import SKILL_SEPARATORS
from adaptive.dates import DEFAULT_TIMEZONE, night_start, zone_record
from adaptive.errors import (
    AdaptiveError,
    ConfigError,
    NightWarning,
    PlacementWarning,
    closest_name,
    counted,
    one_spelling,
    verb,
)
from adaptive.placement.level import catalog_entries
from adaptive.placement.prior import DEFAULT_TABLE, GradeTable
from adaptive.policy.adapter import OFF_CATALOG_SKILLS_SAID
from adaptive.school_year import school_year_start

if TYPE_CHECKING:
    from adaptive.curriculum import Catalog, LearnerProfile
    from adaptive.data.log import ResponseLog
    from adaptive.placement import Placement
    from adaptive.policy import PolicyConfig
    from adaptive.tracing.base import Untraced

ISO_DAY = writer.ISO_DAY
#: `rebuild_reason` with no snapshot before the night (`rebuilt_words` words it for a re-run)
FIRST_NIGHT = "first night (no earlier snapshot)"


def rebuild_reason(
    meta: dict | None,
    version: str,
    model_name: str,
    late,
    new_catalog: bool,
    reuse: bool,
    placement_changed: bool = False,
    grade_table_changed: bool = False,
) -> str:
    """Why the night rebuilds the state from every response, in words ("" when it does not)."""
    if reuse:
        return ""
    if meta is None:
        return FIRST_NIGHT
    if new_catalog:
        return "the catalog changed"
    if late is not None and other_form(late):
        return "the log is given in another form than for the last snapshot (not comparable)"
    if late is not None:
        return "the log changed before the last snapshot's cutoff"
    if placement_changed:
        return "another placement table than the last snapshot's"
    if grade_table_changed:
        return "another grade table than the last snapshot's"
    if meta["model_name"] != model_name:
        return f"another model ({meta['model_name']} before)"
    return f"a new champion version ({meta['model_version']} -> {version})"


def rebuilt_words(reason: str, served_again: bool, *, state_dir: Path, day: str, kind: str) -> str:
    """`rebuild_reason`'s words for a night that may be served again, by the engine whose
    snapshots are in format `kind`: with no snapshot before it, a re-run is not a "first
    night" (a trial's re-run with another placement table read "first night (no earlier
    snapshot)"), nor is a night after the other engine's (a trial's switch of engines read
    "first night" of a folder holding two nights' snapshots, as if their history were lost)."""
    if reason != FIRST_NIGHT:
        return reason
    other = previous_snapshot_date(state_dir, day, kind, other=True)
    if other is not None:
        found = snapshot_format(snapshot_dir(Path(state_dir), other))
        engine = ENGINE_OF_FORMAT.get(found, f"{found!r}-format")  # a hand-edited meta.json
        return (
            f"no snapshot of this engine's before this night (the state of {other} is the "
            f"{engine} engine's, which this engine does not read)"
        )
    if served_again:
        return "no snapshot before this night (a re-run of it)"
    return reason


def k_for(k: int, catalog: Catalog) -> int:
    """The k a night serves: at most the catalog's activities, which no list can outgrow. The
    selection's arrays grow with k: a `--k 100000` typed for 10 took a worker past 11 GB, and
    "run the same command again" failed again; a small catalog keeps the default k of 20."""
    return min(int(k), len(catalog.activities))


def after_night(day: str, timezone: str = DEFAULT_TIMEZONE) -> int:
    """The first time (ns, UTC) dated after the night's day: the next day's 00:00 in the
    district's `timezone`. A night reads the responses before its day; those of its day itself
    are the day's own (a night run after midnight finds some), so only later ones are called
    ahead of the night."""
    following = (pd.Timestamp(day) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    return night_start(following, timezone).value


def warn_future_rows(
    time_ns: np.ndarray, source: str, day: str, timezone: str = DEFAULT_TIMEZONE
) -> int:
    """Count (and warn of) responses dated after the night's day (`after_night`): a year typed
    2062, a device's wrong clock, or a --date before the log's last days. This night does not
    use them (it reads the responses before its day), so they would be left out without a word.
    The count depends on the log and the night's date only, never on the wall clock or the
    snapshot. `time_ns`: the log's times (ns, UTC), or any part of them that holds every
    response from the night's day on."""
    ahead = time_ns >= after_night(day, timezone)
    n = int(ahead.sum())
    if n:
        # the district's date of the latest (a 9 pm answer in Chicago is the next day in UTC)
        latest = pd.Timestamp(int(time_ns[ahead].max()), tz="UTC").tz_convert(timezone)
        latest = latest.date().isoformat()
        # the day's own answers are not used either (a trial's count left them out unsaid)
        own = int(((time_ns >= night_start(day, timezone).value) & ~ahead).sum())
        also = (
            f"; the {counted(own, 'response')} of {day} itself {verb(own, 'is')} the next night's"
            if own
            else ""
        )
        warnings.warn(
            f"{source}: {counted(n, 'response')} {verb(n, 'is')} dated after the night "
            f"of {day} (up to {latest}): "
            f"this night does not use them (it reads only the responses before {day}{also}); "
            "a wrong year, a device's clock, or a --date in the past?",
            NightWarning,
            stacklevel=3,
        )
    return n


#: A night dated more than this many days after the log's newest response is refused
#: (`check_night_near_log`): half a year without one answer is a mistyped --date or a stale
#: export, not a school break (a summer is under 100 days).
STALE_LOG_DAYS = 180


def check_night_near_log(
    newest_ns: int | None,
    source: str,
    day: str,
    timezone: str = DEFAULT_TIMEZONE,
    *,
    served_night: str | None = None,
) -> None:
    """`ConfigError` when the night's `day` lies more than `STALE_LOG_DAYS` days after the log's
    newest response (`newest_ns`, ns UTC; None: an empty log or no comparable times, nothing to
    say). Served, such a night (--date 2030-01-01 for 2027) would serve every student from
    answers years old, and every normal night after it would then be refused as coming before
    it; the refusal comes before anything is written. `served_night`: the night already served
    in the output whose cutoff `newest_ns` is, where the log holds no response since it (the
    night reads only those): a bound on the newest response, not its date, said as such (a
    trial's error gave that cutoff as "the newest response")."""
    if newest_ns is None:
        return
    newest = pd.Timestamp(int(newest_ns), tz="UTC").tz_convert(timezone).date()
    gap = (pd.Timestamp(day).date() - newest).days
    if gap > STALE_LOG_DAYS:
        when = (
            f"at least {gap:,} days after the newest response of {source} (none since the night "
            f"of {served_night} already served, which read the responses before it)"
            if served_night is not None
            else f"{gap:,} days after the newest response of {source} (on {newest.isoformat()})"
        )
        raise ConfigError(
            f"--date {day}: {when}; a night more than {STALE_LOG_DAYS} days past its log "
            "serves students from stale answers and would block every earlier-dated night "
            "after it: a mistyped --date, or an old export?"
        )


def warn_placement_alone(day: str, first_ns: int | None, source: str) -> None:
    """A first night dated before every response of the log (a mistyped year, most often), or
    with a log of no responses (`first_ns` None: a new year's first night, before any
    answer): every student is served from placement alone. Said, not refused: a district may
    start serving before its first answers come in. Both engines."""
    if first_ns is None:
        said = f"{source} holds no responses"
    else:
        first = pd.Timestamp(first_ns, tz="UTC").date().isoformat()
        said = (
            f"the night of {day} comes before every response of {source} (its first is on {first})"
        )
    warnings.warn(
        f"{said}: every student is served from their placement alone; check --date",
        NightWarning,
        stacklevel=3,
    )


#: A first night whose log answers for fewer than this share of the profiles' students is warned
#: of (`warn_few_students_answered`): half of a roster without one answer is a partial export.
FEW_ANSWERED_SHARE = 0.5


def warn_few_students_answered(answered: int, profiles: int, source: str) -> None:
    """Warn when a first night's log (no snapshot before it) answers for some of the profiles'
    students but fewer than `FEW_ANSWERED_SHARE` of them (`answered` of `profiles`): a partial
    export (one school's, one student's: a trial's log of one student served 150 students of
    151 from placement alone without a word), not a district's first weeks, where most of a
    roster has answered. Later nights are not compared: a log that lost most of its rows before
    the last snapshot's cutoff is refused (`log_digest.check_not_shrunk`). A log of no answers
    is said by `warn_placement_alone`. Said, not refused (a district may start mid-rollout).
    Both engines; counts only."""
    if not answered or answered >= FEW_ANSWERED_SHARE * profiles:
        return
    warnings.warn(
        f"{source} holds answers for {answered:,} of the {counted(profiles, 'student')} in the "
        f"profiles: the other {profiles - answered:,} are served from their placement alone on "
        "this first night (a partial export? serve the night again with the whole log)",
        NightWarning,
        stacklevel=3,
    )


def served_nights(out: Path, state_dir: Path) -> list[str]:
    """The nights already served in `out` (a complete `_SUCCESS.json`) or snapshotted in
    `state_dir` (a complete snapshot of either engine), as sorted YYYY-MM-DD."""
    snapshots = {
        p.parent.name.removeprefix("date=") for p in Path(state_dir).glob("date=*/meta.json")
    }
    snapshots = {d for d in snapshots if ISO_DAY.fullmatch(d)}  # not a partial snapshot
    return sorted(snapshots | set(writer.complete_dates(out)))


def unfinished_nights(out: Path) -> list[str]:
    """The nights of `out` whose outputs were started but never completed (a date folder in
    some table, no `_SUCCESS.json`: a run killed mid-night), as sorted YYYY-MM-DD."""
    started = {
        p.name.removeprefix("date=")
        for table in OUTPUT_TABLES
        for p in (Path(out) / table).glob("date=*")
        if p.is_dir()
    }
    return sorted(d for d in started - set(writer.complete_dates(out)) if ISO_DAY.fullmatch(d))


def check_not_before_last_night(out: Path, state_dir: Path, day: str, backfill: bool) -> None:
    """A night dated before the last one served in `out` / `state_dir` is refused (one error
    naming that night), unless it is a deliberate back-fill: it would start from no snapshot,
    or an older one, and be summed up as a first night. Re-serving the same date (a resume, a
    re-run) is a night like any other."""
    unfinished = [d for d in unfinished_nights(out) if d < day]
    if unfinished and not backfill:
        night = unfinished[-1]
        raise ConfigError(
            f"--date {day}: the night {night} in {out} did not finish (its outputs are partial, "
            "no _SUCCESS.json: a killed run?), and a later night would start from its "
            f"snapshot. Serve it again first (`adaptive batch --date {night}` with the same "
            "options: it resumes), then this night"
        )
    nights = served_nights(out, state_dir)
    last = nights[-1] if nights else None
    if backfill or last is None or day >= last:
        return
    raise ConfigError(
        f"--date {day}: before {last}, the last night served in {out} (snapshots in "
        f"{state_dir}); nights are served in date order. To serve {day} anyway (a back-fill: "
        "it starts from the snapshot before it, and the later nights' outputs and snapshots "
        f"stay as they are), add --backfill (backfill=True in Python); to serve {last} again, "
        f"give --date {last}; if {last} was served by mistake (a mistyped --date), remove it "
        f"first: `{_drop_command(out, state_dir, last)}`"
    )


def warn_new_school_year(out: Path, state_dir: Path, day: str) -> None:
    """One `NightWarning` when the last night served in `out` before `day` falls in an earlier
    school year (`school_year_start`: the growth norm's `year_start`) than `day`: last June's
    folder continued into September (a rollover trial: seven warnings of catalog changes,
    students in 'unassigned' and dropped overrides, and none said "a new school year"). Not an
    error: a summer-school night is served in the school year before, on purpose. Said on the
    first night of the new year alone (the next one's last night is in its own year)."""
    earlier = [d for d in served_nights(out, state_dir) if d < day]
    if not earlier:
        return
    start = school_year_start(day)
    if earlier[-1] >= start:
        return
    warnings.warn(
        f"--out {out}: its last night, {earlier[-1]}, is in the school year before this "
        f"night's (it starts {start}, the growth norm's year_start): a new school year is "
        "served into a new --out, with this year's log and roster and last year's records as "
        "--placement; continued here, last year's state, growth series and overrides carry on",
        NightWarning,
        stacklevel=3,
    )


def _drop_command(out: Path, state_dir: Path, day: str) -> str:
    """The command that drops the night `day` (`adaptive.batch.drop`), as a shell takes it."""
    words = ["adaptive", "batch", "--date", day, "--out", str(out)]
    if Path(state_dir) != Path(out) / "state":
        words += ["--state-dir", str(state_dir)]
    return shlex.join([*words, "--drop"])


def policy_record(policy_json: str, source: str, exploration: str) -> dict:
    """What a night's `_SUCCESS.json` says of the policy that served it: the sha256 of its
    settings (canonical JSON: a TOML reformatted is the same policy), where it came from (a
    file's name, or "shipped default"), its exploration mode, and its settings (`config`:
    what `ope` names the candidate's differences from, `evaluation.ope.changes`)."""
    return {
        "sha256": policy_sha256(policy_json),
        "source": source,
        "exploration": exploration,
        "config": json.loads(policy_json),
    }


def policy_sha256(policy_json: str) -> str:
    """The digest a night records of its policy: sha256 of its settings' canonical JSON
    (`json.dumps(config.to_dict(), sort_keys=True)`)."""
    return hashlib.sha256(policy_json.encode()).hexdigest()


def recorded_config(record: Mapping) -> PolicyConfig | None:
    """A recorded policy as this version reads its settings (`PolicyConfig.from_dict`, read
    once, its warnings unsaid: the night said them when it read its file): a setting added
    since then takes its default; None when the record holds no settings or they no longer
    read."""
    from adaptive.policy import PolicyConfig

    config = record.get("config")
    if not isinstance(config, Mapping):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return PolicyConfig.from_dict(dict(config))
    except (AdaptiveError, TypeError, ValueError):
        return None


def recorded_settings(record: Mapping) -> dict | None:
    """A recorded policy's settings as this version reads them (`recorded_config`, then
    `to_dict`), so that an unchanged policy is not called another; None when the record holds
    no settings or they no longer read."""
    config = recorded_config(record)
    return None if config is None else config.to_dict()


def recorded_sha256(record: Mapping) -> str | None:
    """The sha256 of a recorded policy as this version reads its settings (`recorded_settings`),
    else the one recorded: two nights' policies are the same when theirs are."""
    settings = recorded_settings(record)
    if settings is None:
        return record.get("sha256")
    return policy_sha256(json.dumps(settings, sort_keys=True))


def policy_label(record: dict) -> str:
    """A policy record in words: `policy.toml (exploration softmax)`, `shipped default`."""
    mode = record.get("exploration", "none")
    return str(record.get("source", "?")) + (f" (exploration {mode})" if mode != "none" else "")


def served_inputs(
    engine: str,
    k: int,
    profiles: str | None,
    overrides: str | None,
    placement: str | None,
    log: dict | None,
    state: str | None,
    placement_file: str | None = None,
) -> dict:
    """The `inputs` entry of a night's `_SUCCESS.json`: what decides what its students are
    shown beside its model, version, policy and catalog (recorded apart): `k`, the sha256 of
    the profiles, of the overrides in force and of the placement table (None: none given), the
    log's record before the night's cutoff (`log_digest.record`: count and digest) and the
    state the night served from (the traced state's digest in process, the snapshot it
    started from on Spark: `engine` says which). A re-run compares them (`night_served_before`).
    `placement_file`: the placement table's file name, so a re-run with another table names
    both files, not only their sha256s. Digests, counts and a file name: no student data."""
    return {
        "engine": engine,
        "k": int(k),
        "profiles": profiles,
        "overrides": overrides,
        "placement": placement,
        **({"placement_file": placement_file} if placement_file else {}),
        "log": log,
        "state": state,
    }


def night_record(
    day: str,
    model: tuple[str, str],
    fingerprint: str,
    policy: dict,
    catalog: Catalog,
    experiment: str | None,
    timezone: str,
    inputs: dict,
) -> dict:
    """What a night's `_SUCCESS.json` records besides its partitions and students served, the
    same from both engines: its `model` (name, version), inputs' `fingerprint`, `policy`
    (`policy_record`), catalog, experiment (the assignment's sha256, None without one), time
    zone and other `inputs` (`served_inputs`). A re-run compares it (`night_served_before`)."""
    return {
        "date": day,
        "model": model[0],
        "model_version": model[1],
        "fingerprint": fingerprint,
        "policy": policy,
        # what `ope` and `experiment analyze` compare a catalog they are given with
        "catalog_sha256": catalog.sha256,
        # the skill of each place of the students table's per-skill lists (what a report over
        # nights of different catalogs reads each night's mastery by)
        "skills": list(catalog.skill_index),
        **({"experiment": experiment} if experiment else {}),
        **zone_record(timezone),
        "inputs": inputs,
    }


@dataclass(frozen=True)
class Replaced:
    """What a re-run of a night served before changes of it: the night's earlier record (its
    `_SUCCESS.json`) and each input that differs tonight, in words then and now, in the order
    the warning says them (`night_served_before`)."""

    before: dict
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def version(self) -> str | None:
        """The model version that served the night before, when the model differs tonight."""
        return str(self.before.get("model_version")) if "model" in self.changes else None

    @property
    def policy(self) -> str | None:
        """The policy that served the night before (in words), when it differs tonight."""
        return policy_label(self.before["policy"]) if "policy" in self.changes else None

    @property
    def inputs(self) -> dict[str, str]:
        """Each input that differs -> its earlier value in words (`{"k": "k 5"}`)."""
        return {name: then for name, (then, _now) in self.changes.items()}


def night_served_before(out: Path, day: str, record: dict) -> Replaced | None:
    """What tonight's `record` (the night's `_SUCCESS.json` to be: model, version, policy,
    catalog, `served_inputs`) changes of the night `day` already served in `out`, said in one
    warning: a re-run with another model version, policy, k, catalog, profiles, overrides,
    placement table, log or state re-serves the night, replacing what its students were shown
    (and, when that night explored, the propensities logged for its evaluation). None when the
    night was never completed there. What a night recorded nothing of (one served before its
    inputs were recorded) is not compared; an experiment, a time zone and overrides no longer
    given are said by their own warnings (`experiment_served_before`, `zone_served_before`,
    `overrides_dropped`)."""
    before = writer.date_listing(out, OUTPUT_TABLES, day)
    if before is None:
        return None
    replaced = Replaced(before, _changed_inputs(before, record))
    if replaced.changes:
        then, now = zip(*replaced.changes.values(), strict=True)
        policy = before.get("policy")
        logged = isinstance(policy, dict) and policy.get("exploration", "none") != "none"
        warnings.warn(
            f"the night {day} was served with {_listed(then)}; this re-run serves it with "
            f"{_listed(now)}, replacing what its students were shown"
            + (" and the propensities logged for them" if logged else ""),
            NightWarning,
            stacklevel=3,
        )
    return replaced


def _changed_inputs(before: dict, now: dict) -> dict[str, tuple[str, str]]:
    """The inputs of `now` that differ from `before` (two nights' records), in words then and
    now. The state is named only when nothing it is traced from is said to differ (an earlier
    night served again since, a log read in another form): otherwise that input says why."""
    then_in, now_in = before.get("inputs") or {}, now["inputs"]
    changes = {}
    if _model_changed(before, now):
        named = before.get("model", now["model"]) != now["model"]
        changes["model"] = (_model_words(before, named), _model_words(now, named))
    policy = before.get("policy")
    if isinstance(policy, dict) and recorded_sha256(policy) != recorded_sha256(now["policy"]):
        changes["policy"] = (
            f"policy {policy_label(policy)}",
            f"policy {policy_label(now['policy'])}",
        )
    if "k" in then_in and then_in["k"] != now_in["k"]:
        changes["k"] = (f"k {then_in['k']}", f"k {now_in['k']}")
    for name, then, tonight in (
        ("catalog", before.get("catalog_sha256"), now["catalog_sha256"]),
        ("profiles", then_in.get("profiles"), now_in["profiles"]),
    ):
        if then is not None and tonight is not None and then != tonight:
            changes[name] = (_digest_words(name, then), _digest_words(name, tonight))
    then, tonight = then_in.get("overrides"), now_in["overrides"]
    # overrides no longer given are said by `overrides_dropped`
    if "overrides" in then_in and then != tonight and tonight:
        changes["overrides"] = (
            _optional_words("overrides", then),
            _optional_words("overrides", tonight),
        )
    if "placement" in then_in and then_in["placement"] != now_in["placement"]:
        changes["placement"] = (_placement_words(then_in), _placement_words(now_in))
    logs = then_in.get("log"), now_in["log"]
    # a Parquet file's rows and a log's responses (read in full, or in memory) do not compare
    if None not in logs and logs[0] != logs[1] and logs[0]["unit"] == logs[1]["unit"]:
        changes["log"] = _log_words(*logs)
    same_engine = then_in.get("engine") == now_in["engine"]
    state = then_in.get("state"), now_in["state"]
    if not changes and same_engine and None not in state and state[0] != state[1]:
        changes["state"] = (
            _digest_words("state", state[0]),
            _digest_words("state", state[1])
            + " (traced from other responses, or from an earlier night served again since)",
        )
    return changes


def _model_changed(before: dict, now: dict) -> bool:
    """Whether `before` (a night's record) names another model or version than `now`; a
    record that names no version is not compared."""
    if before.get("model_version") is None:
        return False
    same_name = before.get("model", now["model"]) == now["model"]
    return not same_name or str(before["model_version"]) != str(now["model_version"])


def _model_words(record: dict, named: bool) -> str:
    """`model version 3`, or `model m version 3` when two records name other models."""
    model = f"model {record.get('model')}" if named else "model"
    return f"{model} version {record['model_version']}"


def _digest_words(what: str, sha: str) -> str:
    """An input known by its sha256, in words: `profiles sha256 1a2b3c4d5e6f...`."""
    return f"{what} {_sha_words(sha)}"


def _sha_words(sha: str) -> str:
    """A sha256 in words: `sha256 1a2b3c4d5e6f...`."""
    return f"sha256 {sha[:12]}..."


def _placement_words(inputs: dict) -> str:
    """A night's placement table (its record's `inputs`) in words, with the file's name where
    the record has it ("placement table placed_all.csv (sha256 c2117b47e576...)": a trial's
    re-run named only the two sha256s, though the files were known); `no placement table`."""
    sha, name = inputs.get("placement"), inputs.get("placement_file")
    if sha and name:
        return f"placement table {name} ({_sha_words(sha)})"
    return _optional_words("placement table", sha)


def _optional_words(what: str, sha: str | None) -> str:
    """An input that may not be given, in words: `no overrides`, `overrides sha256 ...`."""
    return _digest_words(what, sha) if sha else f"no {what}"


def _log_words(then: dict, now: dict) -> tuple[str, str]:
    """The log before the night's cutoff, then and now (`log_digest.record`s of one unit), in
    words: its count of responses (or Parquet rows), and whether the same count holds other
    answers."""
    said = [f"{r['count']:,} {r['unit']} in the log before it" for r in (then, now)]
    if then["count"] == now["count"]:
        said[1] = f"the same {now['count']:,} {now['unit']} in the log before it, some changed"
    return said[0], said[1]


def _listed(words: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def experiment_served_before(out: Path, day: str, experiment: str | None) -> None:
    """Warn when `day` was served in `out` with another experiment than tonight's (`experiment`:
    the assignment's sha256, None without one): a re-run that forgets `--experiment` replaces
    every student's arm and the arms' recommendations, and `experiment analyze` then refuses
    the window. Nights served before experiments were recorded say none."""
    listed = writer.date_listing(out, OUTPUT_TABLES, day)
    if listed is None:
        return
    before = listed.get("experiment")
    if before == experiment:
        return
    said = {None: "without an experiment"}
    warnings.warn(
        f"the night {day} was served {said.get(before, 'with an experiment')}"
        f"{'' if before is None else f' (assignment sha256 {before[:12]}...)'}; this re-run "
        f"serves it {said.get(experiment, 'with an experiment')}"
        f"{'' if experiment is None else f' (sha256 {experiment[:12]}...)'}, replacing its "
        "students' arms and recommendations (a forgotten or another --experiment?)",
        NightWarning,
        stacklevel=3,
    )


def experiment_ended_or_replaced(out: Path, day: str, experiment: str | None) -> bool:
    """Warn when tonight (`day`; `experiment`: its assignment's sha256, None without one) ends
    or replaces the experiment that the last night served before it in `out` served: a night
    whose cron line forgot `--experiment` put every student back on the policy without arms,
    and one given a re-drawn assignment (`experiment assign --force`) moved whole classes
    across arms, each without a word (a trial: the second was blamed on students changing
    class). Returns whether tonight's assignment is another than that night's."""
    night = last_night_before(out, day)
    listed = None if night is None else writer.date_listing(out, OUTPUT_TABLES, night)
    before = None if listed is None else listed.get("experiment")
    if before is None or before == experiment:
        return False
    if experiment is None:
        warnings.warn(
            f"the night {night} served an experiment (assignment sha256 {before[:12]}...) and "
            f"tonight ({day}) serves none: every student is back on the policy without arms "
            "(a forgotten --experiment?), and `experiment analyze` ends its window on "
            f"{night}; give the night its --experiment to go on with the experiment",
            NightWarning,
            stacklevel=3,
        )
    else:
        warnings.warn(
            f"tonight's assignment (sha256 {experiment[:12]}...) is another than the night "
            f"{night}'s (sha256 {before[:12]}...): a class whose arm differs between the two "
            "moves to the other arm's policy, and `experiment analyze` reads one assignment "
            "(a re-drawn `experiment assign --force`?); give the night the assignment the "
            "experiment started with to go on with it",
            NightWarning,
            stacklevel=3,
        )
    return experiment is not None


def warn_arm_changes(
    out: Path, day: str, assignment, profiles: Mapping[str, object], reassigned: bool = False
) -> int:
    """Count (and warn of) the students whom tonight's profiles put in another arm of the
    experiment than the last night served before `day` in `out` gave them (a class change
    across arms, or, `reassigned`, another assignment than that night's): their outcomes now
    mix two arms' policies; `experiment analyze` counts them in the arm of the window's first
    night (intention to treat). A count, never an id. (The Spark engine counts the same from
    what each school served, on the cluster.)"""
    import pyarrow.parquet as pq

    found = arm_parts(out, day)
    if found is None:
        return 0
    night, parts = found
    before = pd.concat(
        [pq.read_table(p, columns=["student_id", "arm"]).to_pandas() for p in parts],
        ignore_index=True,
    )
    before = before[before["arm"] != ""]
    ids = before["student_id"].astype(str).to_numpy()
    people = [profiles.get(s) for s in ids]
    classes = np.array([getattr(p, "class_id", None) or "" for p in people], dtype=object)
    schools = np.array([getattr(p, "school_id", None) or "" for p in people], dtype=object)
    now = assignment.arm_of(classes, schools)
    changed = int(((now != before["arm"].to_numpy()) & (now != "")).sum())
    return say_arm_changes(changed, night, reassigned)


def last_night_before(out: Path, day: str) -> str | None:
    """The last night served in `out` before `day` (the newest complete night before it: a
    night killed mid-run served no one), or None."""
    earlier = [d for d in writer.complete_dates(out) if d < day]
    return earlier[-1] if earlier else None


def arm_parts(out: Path, day: str) -> tuple[str, list[Path]] | None:
    """The last night served before `day` in `out`, and its students files that hold an arm
    (None: no earlier night, or one served without an experiment)."""
    from adaptive.experiment.serve import file_has_arms

    night = last_night_before(out, day)
    if night is None:
        return None
    parts = sorted((Path(out) / "students" / f"date={night}").glob("school=*/part-0.parquet"))
    parts = [p for p in parts if file_has_arms(p)]
    return (night, parts) if parts else None


def say_arm_changes(changed: int, night: str, reassigned: bool = False) -> int:
    """Warn of `changed` students served another arm than on `night` (none: nothing said),
    by the reason (`reassigned`: tonight's assignment is another than that night's, which
    `experiment_ended_or_replaced` said; otherwise their class or school changed); returns the
    count."""
    why = (
        "tonight's assignment is another than that night's"
        if reassigned
        else "their class or school changed across arms"
    )
    if changed:
        warnings.warn(
            f"{counted(changed, 'student')} {verb(changed, 'is')} served another arm of "
            f"the experiment tonight than on the night {night} ({why}): their "
            "outcomes mix two arms' policies; `experiment analyze` counts each in the arm of "
            "the window's first night",
            NightWarning,
            stacklevel=3,
        )
    return changed


def warn_log_times_in_zone(
    times: Iterable[np.ndarray],
    naive: bool,
    source: str,
    timezone: str,
    zones_unknown: bool = False,
) -> None:
    """Both engines' words on how the log's times meet the night's `timezone`, other than UTC
    (the one check of the zone, for both words): a log dated by days alone
    (`_warn_dates_in_zone`), else one whose times of day carry no UTC offset (`naive`:
    `times.without_offset` of the column as the file has it; `_warn_naive_times_in_zone`), or
    may have had none (`zones_unknown`: an older `validate --out`'s Parquet,
    `readers.zones_unknown`; `_warn_zones_unknown`).
    `times`: the log's times (ns, UTC) as one or more arrays, read only in another zone than
    UTC and only until a time of day shows (the Spark driver passes its row groups one at a
    time, `spark_job._time_groups`: a log of times reads one)."""
    if timezone == DEFAULT_TIMEZONE:
        return
    if _warn_dates_in_zone(times, source, timezone):
        return
    if naive:
        _warn_naive_times_in_zone(source, timezone)
    elif zones_unknown:
        _warn_zones_unknown(source, timezone)


def _warn_dates_in_zone(times: Iterable[np.ndarray], source: str, timezone: str) -> bool:
    """Warn when a log dated by days alone (every time at midnight UTC: "2026-09-29", naive) is
    cut in another time zone than UTC: its dates are read as UTC midnights, so in a zone behind
    UTC a day's answers land before that day's own night (and ahead of UTC, a night later).
    Such a log keeps the default zone, where a night takes the days before its own. `times`:
    the log's times (ns, UTC), in one or more arrays, read until one is not a midnight."""
    day_ns = 86_400 * 10**9
    seen = False
    for part in times:
        if (part % day_ns).any():
            return False
        seen = seen or len(part) > 0
    if seen:
        warnings.warn(
            f"{source}: every response is dated by its day alone (midnight UTC), and the night "
            f"is cut at midnight {timezone}: a day's answers move to another night than their "
            "day's. Keep the default time zone (UTC) for a log of dates",
            NightWarning,
            stacklevel=4,
        )
    return seen


def _warn_naive_times_in_zone(source: str, timezone: str) -> None:
    """Warn once a night when the log's times of day carry no UTC offset
    (`LoadReport.naive_times`) and the night is cut in another zone than UTC: they are read as
    UTC (as the README says), so local times written without an offset land hours from their
    night (a trial's 1:30 am answers in Chicago, read as UTC, were the previous night's, and
    the next night said "0 new responses"). Said, not refused: UTC times written without "Z"
    are read right."""
    warnings.warn(
        f"{source}: its times carry no UTC offset, so they are read as UTC, and the night is "
        f"cut at midnight {timezone}: times written in {timezone} land hours off, some on "
        "another night. For a log of local times without offsets write it once with "
        f"`adaptive validate LOG --timezone {timezone} --out log.parquet` (its times then "
        "UTC instants), or keep the default time zone (UTC: its midnights are then the local "
        "ones); if the times are UTC, write them with 'Z' or an offset (with --time-format, "
        "add %z) to say so",
        NightWarning,
        stacklevel=4,
    )


def _warn_zones_unknown(source: str, timezone: str) -> None:
    """Warn once a night when the log is a Parquet an older `validate --out` wrote
    (`LoadReport.zones_unknown`) and the night is cut in another zone than UTC: that version
    wrote times without a UTC offset as UTC instants, like those with one, and marked neither,
    so a log of local times read from it lands hours off without the naive times' warning.
    Said, not refused: its times are right where its source had offsets."""
    warnings.warn(
        f"{source}: written by an older `adaptive validate --out`, which wrote times without a "
        "UTC offset as UTC instants: whether its times are UTC or local ones cannot be known, "
        f"and the night is cut at midnight {timezone}. If the log it was written from had "
        f"times without an offset, write it again with `adaptive validate LOG --timezone "
        f"{timezone} --out log.parquet`; if they had offsets (or 'Z'), write it again with "
        "`adaptive validate LOG --out log.parquet` to say so",
        NightWarning,
        stacklevel=4,
    )


def zone_served_before(out: Path, state_dir: Path, day: str, timezone: str) -> None:
    """Warn when tonight's time zone is not the one `day` was served in (a re-run), or, for a
    new night, not the one of the last night served before it: the night's midnight moves, and
    the answers between the two midnights (evening homework) change nights without a word (a
    forgotten `--timezone`)."""
    listed = writer.date_listing(out, OUTPUT_TABLES, day)
    if listed is not None:
        night, before = day, listed.get("timezone", DEFAULT_TIMEZONE)
    else:
        earlier = [d for d in served_nights(out, state_dir) if d < day]
        if not earlier:
            return
        previous = writer.date_listing(out, OUTPUT_TABLES, earlier[-1])
        if previous is None:  # a snapshot without outputs here: no zone recorded
            return
        night, before = earlier[-1], previous.get("timezone", DEFAULT_TIMEZONE)
    if before == timezone:
        return
    warnings.warn(
        f"the night {night} was served in time zone {before}; this night of {day} is cut at "
        f"midnight {timezone}: the answers between the two midnights move to another night "
        "(a forgotten or another --timezone?)",
        NightWarning,
        stacklevel=3,
    )


#: The weeks of answers before the night that `warn_roster_a_grade_behind` reads (this school
#: year's, not last year's still in the log).
RECENT_WEEKS = 4


def warn_roster_a_grade_behind(
    log: ResponseLog,
    catalog: Catalog,
    profiles: Mapping[str, LearnerProfile],
    time_ns: np.ndarray,
    cutoff_ns: int,
) -> None:
    """A `NightWarning` where more than half of the students with answers in the log's last
    `RECENT_WEEKS` before the night's cutoff (`time_ns`: each row's time) answer mostly skills
    of the grade above their profile's: the profiles file is last year's roster (a trial's
    returning students were all served last year's grade, without a word). `adaptive train` says the same of a
    training log's first answers (`placement.calibrate`). Counts only; vectorized (one pass
    over the profiles' grades, then array arithmetic and bincounts over the log's entries)."""
    grades = pd.Series(
        np.fromiter(
            (np.nan if p.grade is None else p.grade for p in profiles.values()),
            float,
            len(profiles),
        ),
        index=pd.Index(list(profiles), dtype=object),
    )
    by_student = grades.reindex(log.students).to_numpy(float)  # NaN: no profile or no grade
    entries, skill = catalog_entries(log, catalog)
    student = log.student[entries].astype(np.int64)
    gap = catalog.skill_grades[skill] - by_student[student]
    weeks = pd.Timedelta(weeks=RECENT_WEEKS).value
    recent = (time_ns < cutoff_ns) & (time_ns >= cutoff_ns - weeks)
    read = recent[entries] & ~np.isnan(gap)
    student, above = student[read], gap[read] == 1
    answers = np.bincount(student, minlength=len(by_student))
    mostly = 2 * np.bincount(student, weights=above, minlength=len(by_student)) > answers
    answered, ahead = int((answers > 0).sum()), int(mostly.sum())
    if answered and 2 * ahead > answered:
        warnings.warn(
            f"{ahead:,} of {answered:,} students answer mostly skills of the grade above their "
            f"profile's (their answers of the last {RECENT_WEEKS} weeks): is the profiles file "
            "last year's roster? Its grades place and scope what they are served",
            NightWarning,
            stacklevel=2,
        )


def check_training_catalog(model: object, catalog: Catalog) -> None:
    """The catalog given against the one the model was trained with (`training_catalog_`,
    recorded by `adaptive train --catalog`; nothing to compare for a model without one). A
    catalog that lacks skills the model was trained on is last year's (or another district's):
    its retired activities would be recommended and the model's new skills read as misspelt, so
    it is a `ConfigError` (exit 2) with the counts of ids that differ. One that has them all but
    lacks some trained activities (retired since, or an older catalog) is a `NightWarning`; one
    that only adds skills or activities (a catalog grown mid-year) says nothing here."""
    trained = getattr(model, "training_catalog_", None)
    if trained is None or trained.sha256 == catalog.sha256:
        return
    diff = trained.differences(catalog)
    if not diff.skills_lacking and not diff.activities_lacking:
        return
    name, version = (
        getattr(model, "registered_name", None),
        getattr(model, "registered_version", None),
    )
    which = f"model {name!r} v{version}" if name and version else "the model"
    shas = f"sha256 {catalog.sha256[:12]}... vs {trained.sha256[:12]}..."
    plural = ("activity", "activities")
    if diff.skills_lacking:
        raise ConfigError(
            f"--catalog: the catalog differs from the one {which} was trained with ({shas}): "
            f"{counted(diff.skills, 'skill')} and {counted(diff.activities, *plural)} differ, "
            f"{diff.skills_lacking:,} of the model's skills {verb(diff.skills_lacking, 'is')} "
            "not in it (last year's or another district's catalog?) — pass the catalog the "
            "model was trained with (or retrain on this one)"
        )
    warnings.warn(
        f"--catalog: the catalog lacks {counted(diff.activities_lacking, *plural)} of the "
        f"one {which} was trained with ({shas}): retired since? If it is an older catalog, "
        "pass the one the model was trained with (or retrain on this one)",
        NightWarning,
        stacklevel=2,
    )


@dataclass(frozen=True)
class OffCatalog:
    """A log's responses on skill ids the catalog does not have (a typo in an export,
    "g3.NS.l" for "g3.NS.1") and on item ids that are no catalog activity, by id; `listed` and
    `responses` count the responses whose item is an activity and all of them. Counts add up
    over a night's parts (Spark's schools: `to_json` / `from_json`); no student ids."""

    skills: Mapping[str, int] = field(default_factory=dict)
    items: Mapping[str, int] = field(default_factory=dict)
    listed: int = 0
    responses: int = 0

    @classmethod
    def of(cls, log: ResponseLog, catalog: Catalog) -> OffCatalog:
        skills = pd.Index(log.skills.astype(str))
        per_skill = np.bincount(log.skill, minlength=len(skills))
        off = ~skills.isin(catalog.skill_index) & (per_skill > 0)
        items = pd.Index(log.items.astype(str))
        per_item = np.bincount(log.item, minlength=len(items))
        known = items.isin(catalog.activity_index)
        # a log of question ids (no activity among them) keeps none: they are not typos, and
        # a school's could run to thousands
        stray = ~known & (per_item > 0) & (per_item[known].sum() * 2 > per_item.sum())
        return cls(
            dict(zip(skills[off].tolist(), per_skill[off].tolist(), strict=True)),
            dict(zip(items[stray].tolist(), per_item[stray].tolist(), strict=True)),
            int(per_item[known].sum()),
            int(per_item.sum()),
        )

    def __add__(self, other: OffCatalog) -> OffCatalog:
        return OffCatalog(
            dict(Counter(self.skills) + Counter(other.skills)),
            dict(Counter(self.items) + Counter(other.items)),
            self.listed + other.listed,
            self.responses + other.responses,
        )

    def to_json(self) -> str:
        return json.dumps([self.skills, self.items, self.listed, self.responses], sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> OffCatalog:
        skills, items, listed, responses = json.loads(text)
        return cls(skills, items, listed, responses)

    def warn(self, source: str, catalog: Catalog, category: type[Warning] = NightWarning) -> None:
        """Name each id with its responses and the catalog's closest id (items only when most
        of the log's items are catalog activities: a log of question ids names none), as a
        `category` warning (the night's own; a command outside it gives `DataNoteWarning`)."""
        parts = []
        if self.skills:
            parts.append(_off_catalog_ids("skill", self.skills, catalog.skill_index))
        if self.items and self.listed * 2 > self.responses:
            activities = catalog.activity_index
            parts.append(_off_catalog_ids("activity", self.items, activities))
        if parts:
            warnings.warn(
                f"{source}: " + "; ".join(parts) + ". Correct the export (or the catalog)",
                category,
                stacklevel=3,
            )
            OFF_CATALOG_SKILLS_SAID.fresh(catalog, self.skills)


def warn_tags_unlike_activities(
    log: ResponseLog, catalog: Catalog, category: type[Warning] = NightWarning
) -> int:
    """Warn of the log's answers on catalog activities whose skill tags are not the skills the
    catalog gives that activity (`tags_unlike_activities`): the tracer learns each skill from
    the log's tags, while the recommendations and the reports read the catalog's, so the two
    disagree on what the activity practises. Counts and the commonest activity's two lists, no
    student id. Returns the number of such answers (0: none, nothing said)."""
    unlike, compared, activity = tags_unlike_activities(log, catalog)
    n = int(unlike.sum())
    if not n:
        return 0
    top = int(np.bincount(activity[unlike]).argmax())
    example = np.flatnonzero(unlike & (activity == top))[0]
    tagged = log.skill[log.skill_offsets[example] : log.skill_offsets[example + 1]]
    said = "; ".join(map(str, log.skills[tagged]))
    given = "; ".join(catalog.activities[top].skills)
    warnings.warn(
        f"{log.source}: {n:,} of the {compared:,} answers on catalog activities tag other "
        f"skills than the catalog gives their activity (the commonest, "
        f"{catalog.activities[top].id!r}: the log tags {said!r}, the catalog {given!r}): the "
        "model learns each skill from the log's tags, while the recommendations and the "
        "reports read the catalog's. Correct the export or the catalog, so that an activity's "
        "skills agree in both",
        category,
        stacklevel=2,
    )
    return n


def tags_unlike_activities(
    log: ResponseLog, catalog: Catalog
) -> tuple[np.ndarray, int, np.ndarray]:
    """((R,) bool: the answers on a catalog activity tagged with a skill the catalog does not
    give it, or without one it gives; the number of answers compared; (R,) each answer's
    activity code, -1: none). Answers tagging a skill the catalog lacks are not compared: they
    are `OffCatalog`'s (a typo, a list read as one skill), said there with their cure.
    Vectorized over the log's (answer, skill) pairs, matched as int64 keys."""
    activity = pd.Index(catalog.activity_index).get_indexer(log.items.astype(str))[log.item]
    skill = pd.Index(catalog.skill_index).get_indexer(log.skills.astype(str))
    rows, codes = log.exploded()
    pos = skill[codes]
    gives = catalog.activity_skill_matrix.tocoo()
    n_skills = np.int64(len(catalog.skill_index))
    pairs = np.sort(gives.row.astype(np.int64) * n_skills + gives.col)
    given = (pos >= 0) & (activity[rows] >= 0) & np.isin(activity[rows] * n_skills + pos, pairs)
    n = len(log)
    tags, given_tags = np.bincount(rows, minlength=n), np.bincount(rows, given, minlength=n)
    off = np.bincount(rows, pos < 0, minlength=n) > 0
    compared = (activity >= 0) & ~off
    per_activity = np.bincount(gives.row, minlength=gives.shape[0])[np.maximum(activity, 0)]
    unlike = compared & ((given_tags < tags) | (given_tags < per_activity))
    return unlike, int(compared.sum()), activity


def warn_untraced(untraced: Untraced, catalog: Catalog) -> None:
    """The night's answers on skills the model was not fitted on, said once (both engines).
    Where every such skill is one the catalog lacks, `OffCatalog`'s warning has said it, with
    its "did you mean": this one's advice (fit with the catalog) cannot cure a typo."""
    known = set(catalog.skill_index)
    off = [s for s in untraced.skills if s not in known]
    untraced.warn(" of the night", stacklevel=4, said=off)


def warn_off_catalog(
    log: ResponseLog, catalog: Catalog, category: type[Warning] = NightWarning
) -> OffCatalog:
    """Warn of the log's responses on skills (and activities) the catalog does not have: no
    recommendation or report counts them, and the tracer said only that its model "was not
    fitted on" them (`OffCatalog`). The one warning of every command that reads a log with
    its catalog: the night (a `NightWarning`), `recommend`, `ope`, `train --catalog` and
    `validate --catalog` (a `DataNoteWarning`). Returns what it warned of."""
    off = OffCatalog.of(log, catalog)
    off.warn(log.source, catalog, category)
    return off


def _off_catalog_ids(what: str, counts: Mapping[str, int], known: pd.Index) -> str:
    """'3 responses on 1 skill id the catalog does not have: 'g3.NS.l' (3; did you mean
    'g3.NS.1'?)' for the commonest five."""
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    named = []
    for name, n_of in top[:5]:
        sep = _skill_list_separator(name, known) if what == "skill" else None
        close = None if sep else closest_name(name, known)
        hint = f"; did you mean {close!r}?" if close else ""
        if sep:  # a few multi-skill rows: too few for the load report's separator note
            hint = (
                f"; a list of catalog skills: read the column with --skills-sep '{sep}' "
                "(skills_sep)"
            )
        named.append(f"{name!r} ({n_of:,}{hint})")
    more = f" and {len(top) - 5:,} more" if len(top) > 5 else ""
    n, k = sum(counts.values()), len(counts)
    return (
        f"{counted(n, 'response')} on {counted(k, what + ' id')} the "
        f"catalog does not have: {', '.join(named)}{more}"
    )


def _skill_list_separator(name: str, known: pd.Index) -> str | None:
    """The separator (`SKILL_SEPARATORS`) at which `name` splits into two or more catalog
    skills ("g5.NF.3;g5.NF.4"), else None: an export's multi-skill cell read as one skill."""
    for sep in SKILL_SEPARATORS:
        parts = [p.strip() for p in name.split(sep)]
        if len(parts) > 1 and all(p in known for p in parts):
            return sep
    return None


#: A night is refused when at least this share of the log's students have no profile ...
IDS_ELSEWHERE_SHARE = 0.1
#: ... and at least this share of those are a profile's id once leading zeros or case are
#: restored (`one_spelling`): ids written otherwise by the export, not students new since the
#: roster's (also refused: a log none of whose students has a profile, profiles given).
IDS_WRITTEN_OTHERWISE_SHARE = 0.9


def check_log_ids_match(
    students: Collection[str],
    profiles: Mapping[str, object],
    rows_of: Callable[[list[str]], str] | None = None,
) -> None:
    """Refuse a night whose log's ids are not the roster's (`ConfigError`): none of the log's
    `students` has a profile, or at least `IDS_ELSEWHERE_SHARE` of them have none and
    `IDS_WRITTEN_OTHERWISE_SHARE` of those are a profile's id written otherwise (a vendor's
    export that dropped leading zeros: '63' for '000063'). A trial's night so served 20,000
    students without a profile in school 'unassigned' and the roster's 20,000 from their grade
    alone, exit 0. A log that writes a student both ways (`check_one_spelling_each`) is refused
    too, however few. Fewer (students new since the roster, a few ids typed otherwise, never
    answered as the roster writes them) are a warning, the count of those written otherwise.
    Both engines call it before anything is written (the Spark driver with the log's distinct
    ids: `spark_job._check_log_ids`). No profiles given: nothing to compare. Counts only, no
    ids; `rows_of` (ids -> words) says where their rows are (their count and dates)."""
    missing = [s for s in students if s not in profiles]
    if not missing or not profiles:
        return
    spelled_as = profiles_spelled_otherwise(missing, profiles)
    check_one_spelling_each(spelled_as, students, rows_of)
    alike = len(spelled_as)
    n, of = len(missing), len(students)
    refused = n == of or (
        n >= IDS_ELSEWHERE_SHARE * of and alike >= IDS_WRITTEN_OTHERWISE_SHARE * n
    )
    if not refused:
        _say_written_otherwise(alike, stacklevel=4)
        return
    which = (
        f"{alike:,} of them {verb(alike, 'is')} a profile's id once leading "
        "zeros or case are restored (an export that dropped them, '63' for '000063'?)"
        if alike
        else "none of them is a profile's id even once leading zeros or case are restored (the "
        "roster of another district or year, or another log?)"
    )
    raise ConfigError(
        f"--profiles: {counted(n, 'student')} of the log's {of:,} {verb(n, 'has')} no profile "
        f"among its {counted(len(profiles), 'profile')}; {which}. Served so, each would start "
        f"from nothing in school '{UNASSIGNED_SCHOOL}' while the roster's students start from "
        "their grade as if they had no answers: the night is refused. Keep the ids as text in "
        "the log's export (as the roster writes them) and export it again, or give the roster "
        "of this log"
    )


def check_one_spelling_each(
    spelled_as: Mapping[str, str],
    students: Collection[str],
    rows_of: Callable[[list[str]], str] | None = None,
) -> None:
    """Refuse (`ConfigError`) a log that writes a student two ways: ids without a profile that
    are, once leading zeros or case are restored, the id of a profile (`spelled_as`: such id ->
    that profile's id, `profiles_spelled_otherwise`) that the log's `students` also answer as.
    One day's export re-saved by a spreadsheet ('1004' for '001004') so split a trial's 75
    students in two, exit 0: the day's answers traced as students without a profile in school
    'unassigned', served from nothing, and missing from the roster students' own history.
    However few, they are one student written two ways, never new students: the night is
    refused, saying how many and, with `rows_of`, where their rows are (no ids)."""
    answering = students if isinstance(students, set | frozenset) else set(students)
    split = [s for s, profile_id in spelled_as.items() if profile_id in answering]
    if not split:
        return
    where = f" ({rows_of(split)})" if rows_of is not None else ""
    raise ConfigError(
        f"--data: {counted(len(split), 'student')} of the log {verb(len(split), 'is')} written "
        f"two ways in it{where}: as the roster writes the id and otherwise, leading zeros "
        "dropped or in another case ('1004' for '001004'?). The answers written otherwise "
        "would be traced as another student, without a profile, in school "
        f"'{UNASSIGNED_SCHOOL}', and be missing from the roster student's history: the night "
        "is refused. Keep the ids as text in the export (a spreadsheet that re-saved the file "
        "read them as numbers?) and export those rows again as the roster writes the ids"
    )


def timestamps_needed(source: str) -> ConfigError:
    """The refusal of a log without response times (no time column, or one of integer order),
    in both engines' words: a night takes the responses before its start, which needs times.
    Spark's said only what its engine needs of a log in general."""
    return ConfigError(
        f"{source}: the daily job needs response timestamps (this log has only 'order': no "
        "time column, or one of whole numbers); name its time column with --time-col (in "
        "Python: mapping={'time': ...})"
    )


def responses_words(log: ResponseLog, ids: Sequence[str]) -> str:
    """Where the log's responses of the students `ids` are, as a message says it without their
    ids (`rows_words`: their count and dates, UTC)."""
    codes = log.students.get_indexer(pd.Index(list(ids)))
    rows = np.isin(log.student, codes[codes >= 0])
    times = log.time[rows] if log.has_timestamps and rows.any() else None
    span = None if times is None else (int(times.min()), int(times.max()))
    return rows_words(int(rows.sum()), span)


def rows_words(n: int, span: tuple[int, int] | None) -> str:
    """`n` responses, their oldest and newest times (`span`, ns; None: a log without times) as
    both engines' refusals say them (`responses_words`, `spark_job._responses_words`): 'their
    220 responses, dated 2027-01-04' ('... dated 2027-01-04 to 2027-01-06', UTC days), or
    that tonight's log holds none (they are earlier nights' history)."""
    if not n:
        return "their answers are earlier nights' history"
    if span is None:
        return f"their {counted(n, 'response')}"
    first, last = (pd.Timestamp(t, tz="UTC").date() for t in span)
    dated = f"{first}" if first == last else f"{first} to {last}"
    return f"their {counted(n, 'response')}, dated {dated}"


def written_otherwise(missing: Sequence[str], profiles: Collection[object]) -> int:
    """How many of `missing` (ids without a profile) are a profile's id once leading zeros or
    case are restored (`profiles_spelled_otherwise`); `profiles`: the profiles' ids (a mapping
    by id, a set of ids: a report's students without a name, for its roster's ids)."""
    return len(profiles_spelled_otherwise(missing, profiles))


def profiles_spelled_otherwise(
    missing: Sequence[str], profiles: Collection[object]
) -> dict[str, str]:
    """Each of `missing` (ids without a profile) that is a profile's id once leading zeros or
    case are restored (`one_spelling`, as the warnings that count them say: never a look-alike
    letter, 'l' for '1', which no spreadsheet writes) -> that profile's id. One pass over the
    profiles' ids."""
    written = {one_spelling(str(p)): str(p) for p in profiles}
    found = ((str(s), written.get(one_spelling(str(s)))) for s in missing)
    return {s: p for s, p in found if p is not None}


def _say_written_otherwise(n: int, stacklevel: int) -> None:
    """The warning of `n` students of the log without a profile whose id is a profile's
    written otherwise (none: nothing said)."""
    if n:
        warnings.warn(
            f"{counted(n, 'student')} of the log {verb(n, 'has')} no profile, but a "
            "profile's id once leading zeros "
            "or case are restored (a spreadsheet that dropped them, '4501' for '004501'?): each "
            f"is served without a profile, in school '{UNASSIGNED_SCHOOL}', and the roster's "
            "student, who has no answers written as the roster writes the id, from their "
            "placement alone. Keep ids as text in the export",
            NightWarning,
            stacklevel=stacklevel,
        )


def warn_profiles_gone(out: Path, state_dir: Path, day: str, without_profile: Sequence[str]) -> int:
    """Count (and warn of) tonight's students without a profile who were served in a school on
    the last night served before `day` in `out`: students who left the district (still in the
    log), or an older roster given by mistake (the new students lose their school, the movers
    go back). Reads that night's `student_id` and `school_id` columns. A count, no ids."""
    if not len(without_profile):
        return 0
    earlier = [d for d in served_nights(out, state_dir) if d < day]
    then = _served_in_schools(out, earlier[-1]) if earlier else pd.Index([])
    n = int(then.isin(pd.Index(list(without_profile))).sum())
    if n:
        warnings.warn(
            f"{counted(n, 'student')} served in a school on the night of {earlier[-1]} "
            f"{verb(n, 'has')} no profile in tonight's --profiles (served in "
            f"school '{UNASSIGNED_SCHOOL}'): students who left the district, or an older roster given "
            "by mistake?",
            NightWarning,
            stacklevel=3,
        )
    return n


def _served_in_schools(out: Path, night: str) -> pd.Index:
    """The ids of the students the night of `night` served in a school of the profiles (not
    `UNASSIGNED_SCHOOL`): its students table's `student_id` column, partition by partition."""
    import pyarrow.parquet as pq

    folder = Path(out) / "students" / f"date={night}"
    unassigned = writer.school_dir(UNASSIGNED_SCHOOL)
    parts = [p for p in sorted(folder.glob(f"school=*/{writer.PART_FILE}"))
             if p.parent.name != unassigned]  # fmt: skip
    if not parts:
        return pd.Index([], dtype=object)
    return pd.Index(
        np.concatenate(
            [pq.read_table(p, columns=["student_id"]).column(0).to_numpy() for p in parts]
        )
    )


def roster_only(
    roster: Sequence[str], profiles: Collection[str], answered: Sequence[str]
) -> np.ndarray:
    """Which of `roster` (the students the state holds, and tonight's profiles) have no
    profile tonight and no answer in the log (`answered`: the history's students, tonight's
    rows absorbed): students only ever placed from a roster, an earlier night's (last year's
    graduates and leavers, from a --profiles given by mistake). Not served
    (`warn_roster_only`): they are in no log export to leave them out of. Vectorized."""
    ids = pd.Index(roster, dtype=object)
    known = pd.Index(list(profiles), dtype=object).append(pd.Index(answered, dtype=object))
    return ~ids.isin(known)


#: The nights served last whose students tables `warn_roster_only` reads to name the night
#: a roster-only student was first served (each read is one column of every school's file).
ROSTER_ONLY_LOOKBACK = 7


def warn_roster_only(out: Path, state_dir: Path, day: str, ids: Sequence[str]) -> int:
    """One `NightWarning` counting the students the state holds who have no profile tonight
    and no answer in the log (`roster_only`), not served tonight: a trial's roster of last
    year, given one night by mistake, left 86 graduates served in school 'unassigned' on every
    later night, with advice to fix the log export they were never in. Names the night they
    were first served in a school where one of the last `ROSTER_ONLY_LOOKBACK` nights served
    some of them, and the drop that removes it. Counts, no ids."""
    if not len(ids):
        return 0
    first = _first_served(out, state_dir, day, pd.Index(ids, dtype=object))
    n = len(ids)
    where = f" (first served on the night of {first})" if first else ""
    drop = (
        f"`{_drop_command(out, state_dir, first)}` removes it (after the nights served since, "
        "the latest first)"
        if first
        else f"`{_drop_command(out, state_dir, 'D')}` removes that night D"
    )
    warnings.warn(
        f"{counted(n, 'student')} the state holds from an earlier night's roster{where} "
        f"{verb(n, 'has')} no profile tonight and no answer in the log: not served (placed "
        f"from a roster, never answered); if that night's --profiles was a mistake, {drop}",
        NightWarning,
        stacklevel=3,
    )
    return n


def _first_served(out: Path, state_dir: Path, day: str, ids: pd.Index) -> str | None:
    """The earliest of the run of nights, among the last `ROSTER_ONLY_LOOKBACK` served before
    `day`, that served some of `ids` in a school (the newest such run); None when none did."""
    first = None
    for night in reversed(
        [d for d in served_nights(out, state_dir) if d < day][-ROSTER_ONLY_LOOKBACK:]
    ):
        if _served_in_schools(out, night).isin(ids).any():
            first = night
        elif first is not None:
            break
    return first


def overrides_dropped(out: Path, state_dir: Path, day: str, overrides: object) -> None:
    """Warn when a night is given no teachers' overrides while the night before it applied some
    (or while this very night, re-run, applied some): a forgotten `--overrides` undid every
    teacher's choices (each kind a file holds: `CHOICES_SAID`) without a word, and the class
    page, pre-filled from the night's record, lost them too."""
    if overrides is not None:  # a folder given (even with nothing in force tonight)
        classes_dropped(out, state_dir, day, overrides)
        return
    from adaptive.batch.overrides import CHOICES_SAID, applied_overrides, overrides_path

    if writer.date_listing(out, OUTPUT_TABLES, day) is not None:
        night, what = day, f"this re-run of {day} is given none: it serves the night without them"
    else:
        earlier = [d for d in served_nights(out, state_dir) if d < day]
        if not earlier:
            return
        night, what = earlier[-1], f"the night of {day} is given none: it is served without them"
    if night < school_year_start(day) or not overrides_path(out, night).is_file():
        return  # last school year's teachers' choices end with it (`warn_new_school_year`)
    n = len(applied_overrides(out, night))
    warnings.warn(
        f"the night {night} applied the teachers' overrides of {n:,} student"
        f"{'' if n == 1 else 's'} ({CHOICES_SAID}); {what}, and its "
        "class pages start empty. Give the same --overrides folder every night (a teacher's "
        "choices stand until the class page exports them again)",
        NightWarning,
        stacklevel=3,
    )


def classes_dropped(out: Path, state_dir: Path, day: str, overrides: object) -> None:
    """Warn when a class whose file the last night applied has no file in force tonight: its
    teacher's choices were undone without a word (a file deleted or moved from the folder).
    Class ids and counts, never a student id. A teacher who clears a student exports the class
    again: its file is there, so that is not warned. A class's file is there whether it names
    its `class_id` or not (`OverrideSet.classes`: its students' classes), and whether or not it
    is in force: a file dated after the night (`OverrideSet.later`) is said once, with the
    class's choices it drops, and a class whose files disagree (`OverrideSet.held_back`) is
    said as they are read. A class is its school and class id (`overrides.ClassKey`): another
    school's file of a class of the same id is not this class's file."""
    from adaptive.batch.overrides import applied_classes, classes_words

    earlier = [d for d in served_nights(out, state_dir) if d < day]
    if earlier and earlier[-1] < school_year_start(day):
        earlier = []  # last school year's choices end with it: none dropped (a rollover trial)
    recorded = applied_classes(out, earlier[-1]) if earlier else {}
    tonight = set(getattr(overrides, "classes", {}))
    later = getattr(overrides, "later", ())
    shared = getattr(overrides, "shared", frozenset())
    # a record of an earlier version names classes without their school: its class ids
    # tonight's classes have are theirs
    before = {
        key: ids
        for (school, klass), ids in recorded.items()
        for key in (
            [(school, klass)]
            if school is not None
            else sorted(k for k in tonight if k[1] == klass) or [("", klass)]
        )
    }
    for file in later:
        dropped = sorted(c for c in file.classes if c in before and c not in tonight)
        if dropped or not file.warned:
            n = sum(len(before[c]) for c in dropped)
            what = (
                f"the overrides the night {earlier[-1]} applied to {counted(n, 'student')} of "
                f"{classes_words(dropped, shared)}"
                if dropped
                else ""
            )
            warnings.warn(file.warning(day, what), NightWarning, stacklevel=4)
    held_back = set(getattr(overrides, "held_back", ()))  # said as read (files that disagree)
    for file in getattr(overrides, "set_aside", ()):  # said as read (files with problems)
        held_back.update(file.classes)
    missing = sorted(
        set(before) - tonight - held_back - {c for file in later for c in file.classes}
    )
    if not missing:
        return
    n = sum(len(before[c]) for c in missing)
    warnings.warn(
        f"the night {earlier[-1]} applied the overrides of {counted(n, 'student')} "
        f"of {classes_words(missing, shared)}, which tonight's --overrides "
        "folder has no file for: they are served without them, and the class page starts "
        "empty. Put the class's last export back in the folder (a file deleted or moved?)",
        NightWarning,
        stacklevel=4,
    )


def placement_table_changed(
    meta: dict | None, placement_sha: str | None, previous: str | None
) -> bool:
    """True when tonight's `--placement` table is not the one the last snapshot's students were
    placed from (another table, or one given for the first time): the tracer state is then
    rebuilt from every response with tonight's table, as a recompute would place them, so that
    a recommendation saying "placed from FILE" is true of every student the table covers. A
    night without a table keeps the snapshot's placements, and says that students new tonight
    start from their grade instead."""
    if meta is None:
        return False
    recorded = meta.get("placement")
    if placement_sha is None:
        if recorded is not None:
            warnings.warn(
                f"the snapshot of {previous} was placed from a --placement table that this "
                "night is not given: its students keep that placement (and their reasons still "
                "name it), but students new tonight start from their grade, even those the "
                "table knows. Give the same --placement every night",
                NightWarning,
                stacklevel=3,
            )
        return False
    return recorded != placement_sha


def grade_table_record(table: GradeTable | None) -> dict[str, object] | None:
    """The grade table that placed new students, as a snapshot records it (None: the default
    table, given or not)."""
    return None if table is None or table == DEFAULT_TABLE else table.to_dict()


def _recorded_table(record: object) -> GradeTable:
    """The table a snapshot recorded (None: the default), read back as a table, so that the
    same values written out (a policy file that spelt the default) are the same table."""
    if record is None:
        return DEFAULT_TABLE
    return GradeTable.from_dict(record)  # type: ignore[arg-type]


def grade_table_changed(meta: dict | None, table: GradeTable | None, previous: str | None) -> bool:
    """True (and said) when the grade table (the policy's, else the model's:
    `placement_table`) is not the one the last snapshot's students were placed with: the
    tracer state is then rebuilt from every response, so that every student starts where a
    recompute with tonight's table would start them (the table's words, "placed from grade
    4", are the same whatever its values)."""
    if meta is None or _recorded_table(meta.get("grade_table")) == (table or DEFAULT_TABLE):
        return False
    warnings.warn(
        f"the grade table that places new students (the policy's grade_table, else the "
        f"model's own) is not the one the snapshot of {previous} placed its students with: "
        "the tracer state is rebuilt from every response with tonight's table",
        NightWarning,
        stacklevel=3,
    )
    return True


def warn_placed_off_roster(
    placement: Placement,
    profiles: Mapping[str, object],
    log_students: Sequence[str],
    source: str | None,
) -> int:
    """Count (and warn of) the placement table's students that no profile names and the log has
    no answer of (`check_placed_on_roster`). Returns the count."""
    known = set(profiles).union(str(s) for s in log_students)
    off = [s for s in placement.students if s not in known]
    otherwise = len(profiles_spelled_otherwise(off, profiles)) if off else 0
    check_placed_on_roster(len(off), len(placement.students), source, otherwise)
    return len(off)


def check_placed_on_roster(off: int, total: int, source: str | None, otherwise: int = 0) -> None:
    """`off` of the placement table's `total` students are in no profile and have no answer
    in the log: nobody is placed from their rows (students who left since last year's export,
    or an id typed otherwise, e.g. a leading zero lost in a spreadsheet): a warning with the
    count, never an id. When that is every student
    of the table (another term's or district's file), the night would run as if it placed its
    students: refused, as a table with a header only is. Both engines count, then call this.
    `otherwise` of them are a profile's id once leading zeros or case are restored
    (`profiles_spelled_otherwise`): said apart, since those are roster students placed from
    their grade instead of their records (a trial's 24 were counted among 560 who left)."""
    name = source or "the placement table"
    if total and off == total:
        nobody = (
            "its 1 student is in no profile and has no answer in the log"
            if total == 1
            else f"none of its {total:,} students is in a profile or has an answer in the log"
        )
        raise ConfigError(
            f"{name}: {nobody}: it places nobody tonight (a table of another term or district? ids written "
            "otherwise than in the roster, e.g. leading zeros lost?). Give the table of these "
            "students, or leave the placement out"
        )
    if off:
        spelt = (
            f"; {otherwise:,} of them {verb(otherwise, 'is')} a profile's id once leading zeros "
            "or case are restored ('4501' for '004501'): those roster students are placed from "
            "their grade, not from these rows. Keep the ids as text in the export"
            if otherwise
            else ""
        )
        warnings.warn(
            f"{name}: {off:,} of its {total:,} students {verb(off, 'is')} in no "
            f"profile and {verb(off, 'has')} no answer in the log: their rows place "
            "nobody (students who left the district, not on this year's roster? or ids written "
            f"otherwise than in the roster, e.g. a leading zero lost?){spelt}",
            PlacementWarning,
            stacklevel=4,
        )
