"""The simulation matrix on a tiny configuration: paired, deterministic, resumable, honest, and
driven through the shipped path (fitted tracer, placement, update, batch_from_model, policy)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from adaptive.errors import ConfigError
from adaptive.evaluation import policy_eval as pe
from adaptive.evaluation.policy_eval import (
    COLUMNS,
    EvalSettings,
    evaluate_policies,
    run_matrix,
    split_kind,
    summarize,
)
from adaptive.placement import GradeTable
from adaptive.policy import PolicyConfig

TINY = EvalSettings(
    students=30, seeds=2, activities=(2, 4), simulators=("graph", "bkt-cold"),
    policies=("adaptive", "random", "curriculum", "ceiling"), n_boot=50, fit_students=60,
    fit_days=10, warmup_days=3,
)  # fmt: skip


@pytest.fixture(scope="module")
def long() -> pd.DataFrame:
    return run_matrix(TINY)


def test_matrix_is_paired_and_summarized(long) -> None:
    table = summarize(long, n_boot=50)
    assert list(table.columns) == list(COLUMNS)
    gain = table[table.metric == "normalized_gain"]
    assert set(gain.n_activities) == {2, 4}
    assert set(gain.simulator) == {"graph", "bkt-cold"}
    ours = gain[gain.policy == "adaptive"]
    assert ours["diff_mean"].isna().all()
    # paired difference of a metric defined for everyone = difference of the means
    for row in gain[gain.policy != "adaptive"].itertuples():
        a = ours[(ours.simulator == row.simulator) & (ours.n_activities == row.n_activities)]
        assert row.diff_mean == pytest.approx(a.iloc[0]["mean"] - row.mean, abs=1e-12)
        assert row.diff_ci_low <= row.diff_mean <= row.diff_ci_high
    violations = table[table.metric == "constraint_violations"]
    assert (violations["mean"] == 0).all() and "ceiling" not in set(violations.policy)
    assert {"normalized_gain_slow_learner", "normalized_gain_low_prior", "over_practice",
            "false_mastery_rate", "retention", "activities_to_mastery", "skills_gained",
            "on_unready", "engagement", "difficulty_gap", "served"} <= set(table.metric)  # fmt: skip
    # the ceiling ratio: gain metrics only, 1 for the ceiling itself
    skills = table[table.metric == "skills_gained"]
    ceiling = skills[skills.policy == "ceiling"]
    assert np.allclose(ceiling["ceiling_ratio"], 1.0)
    assert table[table.metric == "engagement"]["ceiling_ratio"].isna().all()
    # the same students face every policy: one row per (seed, student) per policy and metric
    per_policy = long[long.metric == "skills_gained@4"].groupby(["simulator", "policy"]).size()
    assert per_policy.nunique() == 1 and per_policy.iloc[0] == TINY.students * TINY.seeds


def test_ceiling_beats_random_and_respects_the_truth(long) -> None:
    pivot = long[long.simulator == "graph"].pivot_table(
        index=["seed", "student"], columns=["policy", "metric"], values="value"
    )
    assert (
        pivot[("ceiling", "skills_gained@4")].mean() > pivot[("random", "skills_gained@4")].mean()
    )
    assert (pivot[("ceiling", "over_practice")] == 0).all()
    assert (pivot[("ceiling", "on_unready")] == 0).all()


def test_cold_cohorts_have_no_history_and_warm_ones_do() -> None:
    cat = split_kind("graph")[0].catalog()
    warm = pe.make_cohort(cat, "graph", 20, seed=0, warmup_days=3)
    cold = pe.make_cohort(cat, "graph-cold", 20, seed=0, warmup_days=3)
    assert len(warm.warm) > 0 and len(cold.warm) == 0
    assert cold.first_day == 1.0 and warm.first_day == 4.0
    np.testing.assert_array_equal(warm.grade, cold.grade)  # the same students
    assert [p.grade for p in cold.profiles] == cold.grade.tolist()


def test_the_shipped_path_is_what_runs(monkeypatch) -> None:
    """Every non-ceiling step calls batch_from_model, and the fitted tracer's update absorbs
    the day's responses; the placement comes from grade_placement."""
    calls = {"batch": 0, "update": 0, "place": 0}
    real_batch, real_place = pe.batch_from_model, pe.grade_placement

    def batch(*args, **kwargs):
        calls["batch"] += 1
        return real_batch(*args, **kwargs)

    def place(*args, **kwargs):
        calls["place"] += 1
        return real_place(*args, **kwargs)

    monkeypatch.setattr(pe, "batch_from_model", batch)
    monkeypatch.setattr(pe, "grade_placement", place)
    cat = split_kind("graph")[0].catalog()
    model = pe.fit_tracer(cat, "graph", 40, 5, seed=1)
    real_update = model.update

    def update(state, responses):
        calls["update"] += 1
        return real_update(state, responses)

    monkeypatch.setattr(model, "update", update)
    cohort = pe.make_cohort(cat, "graph", 15, seed=0, warmup_days=2)
    out = pe.run_policy("adaptive", cohort, model, (3,), 10.0)
    assert calls == {"batch": 3, "update": 1 + 3, "place": 1}  # warm history + one per day
    assert out["skills_gained@3"].shape == (15,)
    calls.update(batch=0, update=0)
    pe.run_policy("ceiling", cohort, model, (3,), 10.0)
    assert calls["batch"] == 0  # the ceiling reads the truth, not the tracer


def test_deterministic_and_resumable(long, tmp_path) -> None:
    cache = tmp_path / "cache"
    small = EvalSettings(**{**TINY.__dict__, "simulators": ("graph",), "seeds": 1,
                            "policies": ("adaptive", "random")})  # fmt: skip
    first = evaluate_policies(small, tmp_path / "out", cache_dir=cache)
    assert len(list(cache.glob("*.npz"))) == 2
    again = evaluate_policies(small, tmp_path / "out2", cache_dir=cache)  # from the cache
    # another policy file scores adaptive anew and reuses the baselines' cells, which keep the
    # shipped settings (a researcher's second --policy ran every baseline again)
    tuned = dataclasses.replace(PolicyConfig.default(), target_p_correct=0.6)
    evaluate_policies(dataclasses.replace(small, policy_config=tuned), None, cache_dir=cache)
    assert len(list(cache.glob("*.npz"))) == 3
    fresh = evaluate_policies(small, None)  # recomputed
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, fresh)
    assert (tmp_path / "out" / "policy_eval.csv").exists()
    assert (tmp_path / "out" / "policy_eval_skills_gained.png").exists()
    csv = pd.read_csv(tmp_path / "out" / "policy_eval.csv")
    assert list(csv.columns) == list(COLUMNS) and len(csv) == len(first)
    graph = long[(long.simulator == "graph") & (long.seed == 0)]
    mine = graph[graph.metric == "skills_gained@4"].groupby("policy")["value"].mean()
    got = first[(first.metric == "skills_gained") & (first.n_activities == 4)].set_index("policy")
    assert np.allclose(got.loc[got.index, "mean"], mine.loc[got.index])


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="unknown simulators"):
        EvalSettings(simulators=("oracle",))
    with pytest.raises(ConfigError, match="must include 'adaptive'"):
        EvalSettings(policies=("random",))
    with pytest.raises(ConfigError, match="placement 'oracle'"):
        EvalSettings(placement="oracle")
    with pytest.raises(ConfigError, match="mastery_source 'oracle'"):
        EvalSettings(mastery_source="oracle")
    assert split_kind("junyi-cold")[1] and not split_kind("junyi")[1]
    assert set(pe.TUNING_SIMULATORS) <= set(pe.SIMULATOR_KINDS)


def test_a_reach_error_needs_the_reach_placement() -> None:
    """An error on the located reach means nothing for another placement: refused, as is a
    negative one."""
    with pytest.raises(ConfigError, match="needs placement 'reach'"):
        pe.EvalSettings(placement="grade", reach_error=1.0)
    with pytest.raises(ConfigError, match="depth levels >= 0"):
        pe.EvalSettings(placement="reach", reach_error=-1.0)
    assert pe.EvalSettings(placement="reach", reach_error=1.5).reach_error == 1.5


def test_the_diagnostic_placement_takes_the_diagnostics_own_settings() -> None:
    """`bench_placement_effect` could not say which diagnostic it measured: the evaluation
    built one with the defaults only. Its keyword settings now reach the diagnostic (here the
    graph model in place of the level model places the cohort otherwise), a misspelt one is
    refused naming the nearest, and they need the diagnostic placement."""
    cat = split_kind("graph")[0].catalog()
    cohort = pe.make_cohort(cat, "graph-cold", 30, seed=0)
    level = pe.start_placement("diagnostic", cohort, cohort.simulator(), diagnostic_questions=4)
    graph = pe.start_placement(
        "diagnostic", cohort, cohort.simulator(), diagnostic_questions=4,
        diagnostic_settings={"model": "graph"},
    )  # fmt: skip
    assert np.abs(level.mastery - graph.mastery).max() > 0.05
    with pytest.raises(ConfigError, match="'strenght' \\(did you mean 'strength'\\?\\)"):
        pe.EvalSettings(placement="diagnostic", diagnostic_settings={"strenght": 0.5})
    with pytest.raises(ConfigError, match="need placement 'diagnostic'"):
        pe.EvalSettings(placement="grade", diagnostic_settings={"strength": 0.5})
    assert pe.EvalSettings(placement="diagnostic", diagnostic_settings={"strength": 0.5})


def test_start_placements_grade_diagnostic_and_truth() -> None:
    """The shipped start is the grade placement; the diagnostic asks at most its questions of
    every student; the truth placement is the simulator's state, and it starts the tracer closer
    to the truth than the grade does."""
    cat = split_kind("graph")[0].catalog()
    cohort = pe.make_cohort(cat, "graph-cold", 40, seed=0)
    grade = pe.start_placement("grade", cohort, cohort.simulator())
    assert set(grade.sources) <= {f"placed from grade {g}" for g in cohort.grade}
    diag = pe.start_placement("diagnostic", cohort, cohort.simulator(), diagnostic_questions=4)
    assert set(diag.sources) == {"placed by diagnostic (4 questions)"}
    sim = cohort.simulator()
    truth = pe.start_placement("truth", cohort, sim)
    truly = sim.true_mastery(cohort.first_day) >= sim.mastery_threshold
    np.testing.assert_array_equal(truth.mastery >= 0.5, truly)
    grade_error = np.abs(grade.mastery - truly).mean()
    assert np.abs(truth.mastery - truly).mean() < grade_error
    # the truth on the grade band's skills only, the grade placement's elsewhere
    band = pe.start_placement("truth-band", cohort, sim)
    g = cat.skill_grades[None, :]
    inside = (g >= cohort.min_grade[:, None]) & (g <= cohort.max_grade[:, None])
    assert inside.any() and (~inside).any()
    np.testing.assert_array_equal(band.mastery[inside], truth.mastery[inside])
    np.testing.assert_array_equal(band.mastery[~inside], grade.mastery[~inside])
    # the reach: the truth without its scattered gaps (graph families only)
    reach = pe.start_placement("reach", cohort, sim)
    placed = reach.mastery >= 0.5
    assert (placed >= truly).all()  # what a learner knows lies within their reach
    assert 0.9 < (placed == truly).mean() < 1.0  # all of it but the gaps
    # a reach located roughly: seeded, and further from the truth the larger the error
    off = pe.start_placement("reach", cohort, sim, reach_error=3.0)
    again = pe.start_placement("reach", cohort, sim, reach_error=3.0)
    np.testing.assert_array_equal(off.mastery, again.mastery)
    assert ((off.mastery >= 0.5) != truly).mean() > ((placed != truly).mean() + 0.02)
    district = pe.make_cohort(split_kind("bkt")[0].catalog(), "bkt-cold", 5, seed=0)
    with pytest.raises(ConfigError, match="only the graph families"):
        pe.start_placement("reach", district, district.simulator())
    with pytest.raises(ConfigError):
        pe.start_placement("oracle", cohort, sim)
    # the policy config's grade table (what `policy-eval --policy` reads) places the cohort
    high = pe.start_placement("grade", cohort, sim, table=GradeTable({-1: 0.99, 0: 0.9, 1: 0.5}))
    assert np.nanmean(high.mastery) > np.nanmean(grade.mastery) + 0.1


def test_true_mastery_every_day_is_a_ceiling_on_tracing() -> None:
    """With the simulator's mastery in place of the tracer's, the policy wastes fewer steps on
    skills already mastered than on the shipped path (same cohort, same tracer)."""
    settings = dict(
        students=40, seeds=1, activities=(10,), simulators=("graph-cold",),
        policies=("adaptive",), n_boot=20, fit_students=60, fit_days=10,
    )  # fmt: skip
    shipped = run_matrix(EvalSettings(**settings))
    truth = run_matrix(EvalSettings(**settings, mastery_source="truth"))

    def over(long: pd.DataFrame) -> float:
        return float(long[long.metric == "over_practice"].value.mean())

    assert over(truth) < over(shipped)


def test_population_filter_belief_is_read_in_place_of_the_tracer() -> None:
    """`mastery_source="population-filter"` hands the policy the population model filter's
    belief (which knows the simulator's model, not the learner): the same cohort is served
    otherwise than on the shipped path; a learner without binary knowledge is refused."""
    settings = dict(
        students=40, seeds=1, activities=(10,), simulators=("prerequisite-cold",),
        policies=("adaptive",), n_boot=20, fit_students=60, fit_days=10,
    )  # fmt: skip
    shipped = run_matrix(EvalSettings(**settings))
    belief = run_matrix(EvalSettings(**settings, mastery_source="population-filter"))

    def picks(long: pd.DataFrame) -> np.ndarray:
        rows = long[long.metric.isin(["over_practice", "difficulty_gap"])]
        return rows.sort_values(["metric", "student"]).value.to_numpy()

    assert not np.allclose(picks(shipped), picks(belief), equal_nan=True)
    with pytest.raises(ConfigError, match="population-filter"):
        EvalSettings(simulators=("logistic",), mastery_source="population-filter")


def test_plots_of_an_interval_that_misses_its_mean(tmp_path) -> None:
    """With few bootstrap resamples a percentile interval may not contain its mean (a mean of
    0.2 with [0.094, 0.189]: `policy-eval --bootstrap 10` ended in matplotlib's "'yerr' must
    not contain negative values" as an internal error, the CSV written and the plots not).
    The bar stops at the mean; every plot is written."""
    from adaptive.evaluation.policy_eval import write_outputs

    rows = [
        ("bkt", pol, "skills_gained", n, mean, low, high)
        for pol in ("adaptive", "random")
        for n, mean, low, high in ((5, 0.2, 0.094, 0.189), (10, 0.5, 0.55, 0.7))
    ] + [("bkt", "adaptive", "engagement", 0, 0.8, 0.81, 0.9)]
    table = pd.DataFrame(
        rows, columns=["simulator", "policy", "metric", "n_activities", "mean", "ci_low", "ci_high"]
    )
    paths = write_outputs(table, tmp_path)
    assert {p.name for p in paths} == {
        "policy_eval.csv", "policy_eval_skills_gained.png", "policy_eval_engagement.png"
    }  # fmt: skip
    assert all(p.stat().st_size > 0 for p in paths)
