"""How the candidate differs from the policy that served the logged nights (`adaptive ope`).

A candidate file holds only the keys it sets; the others take `PolicyConfig`'s defaults. So
`[weights] readiness = 2.6` alone is the deterministic default policy with readiness 2.6, not
"the logging policy with one change": its estimate answers another question than the one meant
(the trial's user read `engagement dr_minus_logged 0.0210` for what was, the one change alone,
0.0031). `candidate_changes` names the keys where the candidate's settings differ from the
logging policy's, old -> new, so the evaluator sees what is being compared.

Each night's `_SUCCESS.json` records its policy (`batch.night_checks.policy_record`): the sha256
of its settings' canonical JSON, its source (a file's name, or "shipped default"), its
exploration mode, and its settings (`config`; nights served before it was recorded lack it:
then the shipped default, or a file of the recorded name in the working folder or beside the
candidate, stands in when its settings have the recorded sha256). Nights served with different
policies, or with an experiment's arms, have no one policy to compare with: said instead.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from adaptive.policy import PolicyConfig

#: The most keys the line names; the rest are counted ("and 3 more").
SHOWN_KEYS = 8


@dataclass(frozen=True)
class CandidateChanges:
    """`changes`: setting -> (the logging policy's value, the candidate's), "weights.readiness"
    for a weight ({} when the candidate is the logging policy; None when the nights have no one
    policy whose settings are known); `line`: the same in words, for the command line."""

    changes: dict[str, tuple[object, object]] | None
    line: str


def candidate_changes(
    config: PolicyConfig, listings: Mapping[str, dict], near: Iterable[Path] = ()
) -> CandidateChanges:
    """How `config` differs from the policy the nights' `_SUCCESS.json` (`listings`: night ->
    its parsed listing) record; `near`: folders where a policy file of a recorded name may be
    found, for nights that do not record their settings (module docstring)."""
    from adaptive.batch.night_checks import policy_label, recorded_sha256

    records = {night: listing.get("policy") for night, listing in listings.items()}
    experiments = sorted(n for n, listing in listings.items() if listing.get("experiment"))
    if experiments:
        return CandidateChanges(
            None,
            f"the logged nights served an experiment's arms ({_nights(experiments)}), each arm "
            "its own policy: the candidate is compared with the policies each student was "
            "served, no single one",
        )
    if not records or any(not isinstance(r, dict) or "sha256" not in r for r in records.values()):
        return CandidateChanges(
            None,
            "the logged nights do not record the policy that served them (served before "
            "nights recorded it): the candidate cannot be compared with it",
        )
    by_sha: dict[str, list[str]] = {}
    for night, record in records.items():
        by_sha.setdefault(record["sha256"], []).append(night)
    if len(by_sha) > 1:
        served = "; ".join(
            f"{policy_label(records[ns[0]])} on {_nights(ns)}" for ns in by_sha.values()
        )
        return CandidateChanges(
            None,
            f"the logged nights were served with {len(by_sha)} different policies ({served}): "
            "the candidate is compared with each night's own; give --start/--end to evaluate "
            "the nights of one",
        )
    record = next(iter(records.values()))
    if _sha256(config.to_dict()) in (record["sha256"], recorded_sha256(record)):
        return CandidateChanges({}, "the candidate is the logged nights' policy")
    logged = _recorded_settings(record, near)
    if logged is None:
        return _unrecorded(config, record)
    changes = settings_diff(logged, config.to_dict())
    return CandidateChanges(changes, "candidate vs the logged nights' policy: " + _said(changes))


def settings_diff(old: Mapping, new: Mapping) -> dict[str, tuple[object, object]]:
    """The settings that differ, flattened ("weights.readiness", "grade_table.-1"; None for a
    key one side lacks: the default grade table), the exploration mode first (what most changes
    an estimate's meaning), then in the order of `new`."""
    a, b = _flat(old), _flat(new)
    keys = list(dict.fromkeys([*b, *a]))
    keys.sort(key=lambda k: k != "exploration")
    return {k: (a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)}


def _said(changes: Mapping[str, tuple[object, object]]) -> str:
    """`exploration 'softmax' -> 'none', weights.readiness 2.5 -> 2.6`, at most `SHOWN_KEYS`."""
    items = [f"{k} {_value(old)} -> {_value(new)}" for k, (old, new) in changes.items()]
    more = len(items) - SHOWN_KEYS
    return ", ".join(items[:SHOWN_KEYS]) + (f", and {more} more" if more > 0 else "")


def _value(value: object) -> str:
    return "default" if value is None else repr(value)


def _flat(settings: Mapping, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in settings.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = list(value) if isinstance(value, tuple) else value
    return out


def _sha256(settings: Mapping) -> str:
    """The digest a night records of its policy (`night_checks.policy_sha256`)."""
    from adaptive.batch.night_checks import policy_sha256

    return policy_sha256(json.dumps(settings, sort_keys=True))


def _recorded_settings(record: Mapping, near: Iterable[Path]) -> dict | None:
    """The logging policy's settings: as the nights record them (read by this version: a
    setting added since takes its default), else those of the shipped default or of a file
    of the recorded name in `near`, when they have the recorded sha256."""
    from adaptive.batch.night_checks import recorded_settings

    if isinstance(record.get("config"), Mapping):
        return recorded_settings(record) or dict(record["config"])
    source = str(record.get("source", ""))
    if source == "shipped default":
        found = [PolicyConfig.default()]
    else:
        found = [_read(Path(folder) / source) for folder in near if source]
    for config in found:
        if config is not None and _sha256(config.to_dict()) == record["sha256"]:
            return config.to_dict()
    return None


def _read(path: Path) -> PolicyConfig | None:
    """A policy file's settings, None when there is none or it does not read (its warnings are
    not the candidate's: silenced)."""
    if not path.is_file():
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return PolicyConfig.from_toml(path)
    except Exception:  # noqa: BLE001 - a stand-in that does not read is no stand-in
        return None


def _unrecorded(config: PolicyConfig, record: Mapping) -> CandidateChanges:
    """Nights that record their policy's digest and mode, not its settings, and no file of
    theirs found: the mode is compared, the rest only said to differ."""
    mode = str(record.get("exploration", "none"))
    changes = {"exploration": (mode, config.exploration)} if mode != config.exploration else {}
    source = record.get("source", "?")
    return CandidateChanges(
        None,
        "candidate vs the logged nights' policy: "
        + (_said(changes) + ", and other settings" if changes else "other settings")
        + f" (the nights record {source}'s digest, not its settings: put {source} in the "
        "working folder or beside the candidate to have them named)",
    )


def _nights(nights: list[str]) -> str:
    nights = sorted(nights)
    if len(nights) == 1:
        return f"the night {nights[0]}"
    return f"{len(nights)} nights, {nights[0]} to {nights[-1]}"
