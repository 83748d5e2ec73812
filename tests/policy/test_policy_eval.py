"""The simulation matrix on a tiny configuration: paired, deterministic, resumable, honest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adaptive.errors import ConfigError
from adaptive.evaluation.policy_eval import (
    COLUMNS,
    BKTTracker,
    EvalSettings,
    evaluate_policies,
    run_matrix,
    summarize,
)

TINY = EvalSettings(
    students=40, seeds=2, activities=(2, 4), simulators=("bkt", "logistic"),
    policies=("adaptive", "random", "curriculum"), n_boot=50, fit_students=60,
)  # fmt: skip


@pytest.fixture(scope="module")
def long() -> pd.DataFrame:
    return run_matrix(TINY)


def test_matrix_is_paired_and_summarized(long, tmp_path) -> None:
    table = summarize(long, n_boot=50)
    assert list(table.columns) == list(COLUMNS)
    gain = table[table.metric == "normalized_gain"]
    assert set(gain.n_activities) == {2, 4}
    assert set(gain.simulator) == {"bkt", "logistic"}
    ours = gain[gain.policy == "adaptive"]
    assert ours["diff_mean"].isna().all()
    # paired difference of a metric defined for everyone = difference of the means
    for row in gain[gain.policy != "adaptive"].itertuples():
        a = ours[(ours.simulator == row.simulator) & (ours.n_activities == row.n_activities)].iloc[
            0
        ]
        assert row.diff_mean == pytest.approx(a["mean"] - row.mean, abs=1e-12)
        assert row.diff_ci_low <= row.diff_mean <= row.diff_ci_high
    assert (table[table.metric == "constraint_violations"]["mean"] == 0).all()
    assert {"normalized_gain_slow_learner", "normalized_gain_low_prior", "over_practice",
            "false_mastery_rate", "retention", "activities_to_mastery"} <= set(table.metric)  # fmt: skip
    # the same students face every policy: one row per (seed, student) per policy and metric
    per_policy = long[long.metric == "normalized_gain@4"].groupby(["simulator", "policy"]).size()
    assert per_policy.nunique() == 1 and per_policy.iloc[0] == TINY.students * TINY.seeds


def test_deterministic_and_resumable(long, tmp_path) -> None:
    cache = tmp_path / "cache"
    small = EvalSettings(**{**TINY.__dict__, "simulators": ("bkt",), "seeds": 1})
    first = evaluate_policies(small, tmp_path / "out", cache_dir=cache)
    assert len(list(cache.glob("*.npz"))) == 3
    again = evaluate_policies(small, tmp_path / "out2", cache_dir=cache)  # from the cache
    fresh = evaluate_policies(small, None)  # recomputed
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, fresh)
    assert (tmp_path / "out" / "policy_eval.csv").exists()
    assert (tmp_path / "out" / "policy_eval_normalized_gain.png").exists()
    csv = pd.read_csv(tmp_path / "out" / "policy_eval.csv")
    assert list(csv.columns) == list(COLUMNS) and len(csv) == len(first)
    bkt = long[(long.simulator == "bkt") & (long.seed == 0)]
    mine = bkt[bkt.metric == "normalized_gain@4"].groupby("policy")["value"].mean()
    got = first[(first.metric == "normalized_gain") & (first.n_activities == 4)].set_index("policy")
    assert np.allclose(got.loc[mine.index, "mean"], mine)


def test_bkt_tracker_update() -> None:
    tr = BKTTracker(
        p_learn=np.array([0.2]), p_forget=np.array([0.0]), p_guess=np.array([0.2]),
        p_slip=np.array([0.1]), p_known=np.array([[0.5]]),
    )  # fmt: skip
    tr.update(np.array([0]), np.array([0]), np.array([1], np.int8))
    post = 0.5 * 0.9 / (0.5 * 0.9 + 0.5 * 0.2)
    assert tr.mastery()[0, 0] == pytest.approx(post + (1 - post) * 0.2)
    assert tr.p_correct()[0, 0] == pytest.approx(0.2 + tr.mastery()[0, 0] * 0.7)


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="unknown simulators"):
        EvalSettings(simulators=("oracle",))
    with pytest.raises(ConfigError, match="must include 'adaptive'"):
        EvalSettings(policies=("random",))
