"""`adaptive ope` names how the candidate differs from the policy that served the logged nights.

The trial's user wrote a candidate with only `[weights] readiness = 2.6`, meaning "the logging
policy with one change"; missing keys take the defaults, so it was the deterministic default
policy (exploration 'none') with readiness 2.6, and `ope` reported `engagement dr_minus_logged
0.0210` (the one change alone: 0.0031) without a word about the exploration change."""

from __future__ import annotations

import json
from pathlib import Path

from adaptive.batch.night_checks import policy_record
from adaptive.evaluation.ope.changes import candidate_changes
from adaptive.policy import PolicyConfig

SOFTMAX = PolicyConfig.default().with_(exploration="softmax")
READINESS = PolicyConfig.default().weights["readiness"]


def _listing(config: PolicyConfig, source: str = "policy.toml", recorded: bool = True) -> dict:
    """A night's `_SUCCESS.json` as the job writes it (`recorded`: with the settings; False: a
    night served before they were recorded, digest and mode only)."""
    record = policy_record(json.dumps(config.to_dict(), sort_keys=True), source, config.exploration)
    if not recorded:
        del record["config"]
    return {"date": "2026-10-05", "policy": record}


def _partial(tmp_path: Path) -> PolicyConfig:
    """The trial's candidate: one weight, the rest left to the defaults."""
    path = tmp_path / "cand_partial.toml"
    path.write_text(f"[weights]\nreadiness = {READINESS + 0.1}\n")
    return PolicyConfig.from_toml(path)


def test_a_one_weight_file_names_that_weight_and_the_lost_exploration(tmp_path) -> None:
    nights = {"2026-10-05": _listing(SOFTMAX), "2026-10-06": _listing(SOFTMAX)}
    got = candidate_changes(_partial(tmp_path), nights)
    assert got.changes == {
        "exploration": ("softmax", "none"),
        "weights.readiness": (READINESS, READINESS + 0.1),
    }
    assert got.line == (
        "candidate vs the logged nights' policy: exploration 'softmax' -> 'none', "
        f"weights.readiness {READINESS!r} -> {READINESS + 0.1!r}"
    )


def test_the_logging_policy_itself_is_said_to_be_the_same() -> None:
    got = candidate_changes(SOFTMAX, {"2026-10-05": _listing(SOFTMAX)})
    assert got.changes == {}
    assert got.line == "the candidate is the logged nights' policy"


def test_nights_of_different_policies_are_said_instead_of_a_diff() -> None:
    other = SOFTMAX.with_(weights={"interest": 0.0})
    nights = {"2026-10-05": _listing(SOFTMAX), "2026-10-06": _listing(other, "new.toml"),
              "2026-10-07": _listing(other, "new.toml")}  # fmt: skip
    got = candidate_changes(other, nights)
    assert got.changes is None
    assert got.line.startswith(
        "the logged nights were served with 2 different policies (policy.toml (exploration "
        "softmax) on the night 2026-10-05; new.toml (exploration softmax) on 2 nights, "
        "2026-10-06 to 2026-10-07)"
    )


def test_experiment_nights_have_no_single_policy_to_compare_with() -> None:
    night = {**_listing(SOFTMAX), "experiment": "ab" * 32}
    got = candidate_changes(SOFTMAX, {"2026-10-05": night})
    assert got.changes is None and "an experiment's arms" in got.line


def test_nights_that_do_not_record_their_settings_use_a_file_of_the_recorded_digest(
    tmp_path,
) -> None:
    """Nights served before their settings were recorded: the policy file of the recorded name,
    when its settings have the recorded sha256, names the differences; without one, the
    exploration mode is compared and the rest said to be unknown."""
    nights = {"2026-10-05": _listing(SOFTMAX, recorded=False)}
    candidate = _partial(tmp_path)
    unknown = candidate_changes(candidate, nights, [tmp_path])
    assert unknown.changes is None
    assert unknown.line.startswith(
        "candidate vs the logged nights' policy: exploration 'softmax' -> 'none', and other "
        "settings (the nights record policy.toml's digest, not its settings"
    )
    (tmp_path / "policy.toml").write_text('exploration = "softmax"\nexploration_temperature = 9\n')
    assert candidate_changes(candidate, nights, [tmp_path]).changes is None  # another digest
    (tmp_path / "policy.toml").write_text('exploration = "softmax"\n')
    found = candidate_changes(candidate, nights, [tmp_path])
    assert found.changes == {
        "exploration": ("softmax", "none"),
        "weights.readiness": (READINESS, READINESS + 0.1),
    }
    shipped = {"2026-10-05": _listing(PolicyConfig.default(), "shipped default", recorded=False)}
    assert list(candidate_changes(candidate, shipped).changes) == ["weights.readiness"]


def test_a_long_list_of_changes_is_cut_at_eight_keys() -> None:
    weights = {term: w + 1.0 for term, w in SOFTMAX.weights.items() if term != "stuck"}
    candidate = SOFTMAX.with_(weights=weights, target_p_correct=0.6, max_per_skill=2)
    got = candidate_changes(candidate, {"2026-10-05": _listing(SOFTMAX)})
    assert len(got.changes) == 9
    assert got.line.endswith(", and 1 more") and got.line.count(" -> ") == 8


def test_a_policy_recorded_before_a_setting_was_added_is_the_same_policy() -> None:
    """A night served before `assumed_known` existed records the shipped default without it:
    its sha256 differs from tonight's shipped default, so a re-run said "policy shipped default
    -> policy shipped default" and `ope` "assumed_known default -> 0.95". A recorded policy is
    compared as this version reads its settings."""
    from adaptive.batch.night_checks import policy_record, policy_sha256, recorded_sha256

    config = PolicyConfig.default()
    older = config.to_dict()
    older.pop("assumed_known")
    record = policy_record(json.dumps(older, sort_keys=True), "shipped default", "none")
    tonight = policy_sha256(json.dumps(config.to_dict(), sort_keys=True))
    assert record["sha256"] != tonight and recorded_sha256(record) == tonight
    same = candidate_changes(config, {"2027-01-04": {"policy": record}})
    assert same.changes == {}, same.line
    other = candidate_changes(config.with_(assumed_known=0.99), {"2027-01-04": {"policy": record}})
    assert other.changes == {"assumed_known": (0.95, 0.99)}, other.line
