"""Randomized experiments (issue 19, item 3): assignment, analysis, power; pure functions."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest

from adaptive.errors import ConfigError
from adaptive.experiment.analyze import estimate_effects
from adaptive.experiment.assign import Assignment, AssignmentError, assign
from adaptive.experiment.power import (
    Design,
    minimum_detectable_effect,
    standard_error,
    variance_components,
)
from adaptive.policy import PolicyConfig

ARMS = {"control": PolicyConfig(), "new": PolicyConfig(weights={"interest": 0.0})}


def _people(n_schools: int = 6, classes: int = 4, per: int = 20) -> pd.DataFrame:
    rows = []
    for s in range(n_schools):
        for c in range(classes):
            grade = 3 + c % 2
            for i in range(per):
                rows.append((f"sch{s}-c{c}-s{i}", f"sch{s}", f"sch{s}-c{c}", grade))
    return pd.DataFrame(rows, columns=["student_id", "school_id", "class_id", "grade"])


def test_assignment_is_stratified_balanced_and_seeded(tmp_path) -> None:
    people = _people()
    a = assign(people, ARMS, unit="class", seed=3)
    # each (school, grade) stratum has 2 classes: one per arm
    per = a.units.groupby("stratum")["arm"].agg(lambda s: sorted(s))
    assert (per.apply(lambda arms: arms == ["control", "new"])).all()
    b = assign(people, ARMS, unit="class", seed=3)
    assert a.to_bytes() == b.to_bytes()
    assert assign(people, ARMS, unit="class", seed=4).to_bytes() != a.to_bytes()
    path = a.save(tmp_path / "exp.json")
    again = Assignment.load(path)
    assert again.to_bytes() == a.to_bytes()
    arms = again.arm_of(np.array(["sch0-c0", "nowhere"]), np.array(["sch0", "sch0"]))
    assert arms[0] in ARMS and arms[1] == ""
    assert "student_id" not in path.read_text()  # units only, never a student id


def test_school_randomization_and_bad_inputs(tmp_path) -> None:
    a = assign(_people(8), ARMS, unit="school", seed=1)
    assert set(a.units["unit_id"]) == {f"sch{i}" for i in range(8)}
    with pytest.raises(ConfigError, match="--unit 'room'"):
        assign(_people(), ARMS, unit="room")
    with pytest.raises(ConfigError, match="at least two arms"):
        assign(_people(), {"only": PolicyConfig()})
    people = _people()
    people.loc[3, "class_id"] = ""
    with pytest.raises(AssignmentError, match="field 'class_id'.*1 student"):
        assign(people, ARMS)
    bad = tmp_path / "bad.toml"
    bad.write_text("wieghts = 1\n")
    with pytest.raises(ConfigError, match="arm 'new'.*wieghts"):
        assign(_people(), {"control": PolicyConfig(), "new": bad})


def test_a_tampered_or_malformed_assignment_is_refused(tmp_path) -> None:
    path = assign(_people(), ARMS, seed=0).save(tmp_path / "exp.json")
    doc = json.loads(path.read_text())
    doc["units"]["arm"][0] = "new" if doc["units"]["arm"][0] == "control" else "control"
    path.write_text(json.dumps(doc))
    with pytest.raises(AssignmentError, match="checksum mismatch"):
        Assignment.load(path)
    good = assign(_people(), ARMS, seed=0).to_dict()
    good["units"]["arm"][0] = "placebo"
    with pytest.raises(AssignmentError, match="field 'units.arm': got 'placebo'"):
        Assignment.from_dict(good, "x.json")
    with pytest.raises(AssignmentError, match="field 'format'"):
        Assignment.from_dict({"format": "v0"}, "x.json")


def test_a_profiles_file_given_as_the_assignment_is_said_to_be_json_lines(tmp_path) -> None:
    # a trial passed profiles.jsonl as --assignment: "not valid JSON (Extra data: line 2 ...);
    # the file is truncated or altered" sent them looking for a damaged file
    path = tmp_path / "profiles.jsonl"
    path.write_text('{"student_id": "s1", "grade": 4}\n{"student_id": "s2", "grade": 5}\n')
    with pytest.raises(AssignmentError) as caught:
        Assignment.load(path)
    said = str(caught.value)
    assert "JSON-lines file of learner profiles" in said and "--profiles" in said
    assert "not an assignment written by `adaptive experiment assign`" in said
    assert "truncated" not in said and "s1" not in said  # no student id either
    other = tmp_path / "other.jsonl"
    other.write_text('{"a": 1}\n{"a": 2}\n')
    with pytest.raises(AssignmentError, match=r"JSON-lines file \(one JSON object a line\), not"):
        Assignment.load(other)


def _outcomes(seed: int, effect: float, icc: float = 0.2) -> pd.DataFrame:
    people = _people(20, 4, 20)
    a = assign(people, ARMS, unit="class", seed=seed)
    rng = np.random.default_rng(seed)
    unit = people["class_id"]
    class_effect = pd.Series(rng.normal(0, np.sqrt(icc), unit.nunique()), index=unit.unique())
    y = class_effect.reindex(unit).to_numpy() + rng.normal(0, np.sqrt(1 - icc), len(people))
    frame = people.assign(unit_id=unit)
    frame = frame.merge(a.units[["unit_id", "stratum", "arm"]], on="unit_id")
    frame["y"] = y + effect * (frame["arm"] == "new")
    return frame


def test_an_injected_effect_is_recovered_and_aa_rejects_rarely() -> None:
    e = estimate_effects(_outcomes(0, 0.5), "y", arms=["control", "new"], permutations=200)[0]
    assert e.ci_low < 0.5 < e.ci_high and e.p_value < 0.01 and e.p_randomization < 0.05
    rejections = sum(
        estimate_effects(_outcomes(s, 0.0), "y", arms=["control", "new"])[0].p_value < 0.05
        for s in range(40)
    )
    assert rejections <= 6  # nominal 5% of 40 = 2; a clustered test ignoring classes: ~40%


def test_power_formula_by_hand_and_variance_components() -> None:
    d = Design(clusters=100, students_per_cluster=20, icc=0.1, sd=2.0, share_treated=0.5)
    se = np.sqrt(4.0 * (1 + 19 * 0.1) / (100 * 20 * 0.25))
    assert standard_error(d) == pytest.approx(se)
    from scipy import stats

    assert minimum_detectable_effect(d) == pytest.approx(
        (stats.t.ppf(0.975, 98) + stats.t.ppf(0.8, 98)) * se
    )
    assert minimum_detectable_effect(Design(100, 20, 0.1, 2.0, strata=10)) == pytest.approx(
        (stats.t.ppf(0.975, 89) + stats.t.ppf(0.8, 89)) * se
    )
    frame = _outcomes(1, 0.0, icc=0.3)
    vc = variance_components(frame, "y", "unit_id")
    assert vc["clusters"] == 80 and vc["students_per_cluster"] == 20
    assert 0.15 < vc["icc"] < 0.45
    with pytest.raises(ConfigError, match="clusters 2"):
        standard_error(Design(2, 20, 0.1, 1.0))


def test_absorbed_strata_give_the_dummies_coefficient_and_a_cluster_level_correction() -> None:
    import statsmodels.api as sm

    frame = _outcomes(2, 0.3)
    e = estimate_effects(frame, "y", arms=["control", "new"])[0]
    dummies = pd.get_dummies(frame["stratum"], drop_first=True, dtype=float)
    x = np.column_stack([np.ones(len(frame)), (frame["arm"] == "new").to_numpy(float), dummies])
    groups = pd.factorize(frame["unit_id"])[0]
    fit = sm.OLS(frame["y"].to_numpy(), x).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    assert e.effect == pytest.approx(fit.params[1], rel=1e-9)
    g, s, n, k = 80, frame["stratum"].nunique(), len(frame), x.shape[1]
    cr0 = fit.bse[1] ** 2 / (g / (g - 1) * (n - 1) / (n - k))
    assert e.std_error == pytest.approx(np.sqrt(cr0 * g / (g - s - 1)), rel=1e-6)


def _blocked(rng, clusters: int, strata: int, m: int, icc: float, sd: float) -> pd.DataFrame:
    """One draw of `clusters` classes of `m` students in `strata` equal strata, half of each
    stratum's classes in arm 'new', no effect."""
    unit = np.repeat(np.arange(clusters), m)
    per = clusters // strata
    arms = np.concatenate([rng.permutation(["control", "new"] * (per // 2)) for _ in range(strata)])
    y = rng.normal(0, sd * np.sqrt(icc), clusters)[unit]
    y = y + rng.normal(0, sd * np.sqrt(1 - icc), len(unit))
    return pd.DataFrame({"y": y, "unit_id": unit, "stratum": unit // per, "arm": arms[unit]})


def test_power_uses_the_analysis_degrees_of_freedom_and_its_se_is_what_analyze_estimates() -> None:
    # a trial: `power --clusters 112` promised an MDE on G - 2 df with no way to give the 60
    # school x grade strata the analysis spends a degree of freedom each on (`cluster_dof`,
    # shared); analyze's CR0 x G/(G - S - q) estimates power's SE, which is not widened again
    from scipy import stats

    from adaptive.experiment.power import cluster_dof

    rng = np.random.default_rng(7)
    g, s, m, icc, sd = 40, 20, 10, 0.15, 0.2
    design = Design(g, m, icc, sd, strata=s)
    effects = [estimate_effects(_blocked(rng, g, s, m, icc, sd), "y")[0] for _ in range(150)]
    assert {(e.n_clusters, e.n_strata, e.df) for e in effects} == {(g, s, cluster_dof(g, s))}
    assert cluster_dof(g, s) == g - s - 1 == 19
    from adaptive.cli.experiment import _correction_words

    said = _correction_words(pd.DataFrame([effects[0].to_dict()]))
    assert "times G / (G - S - q), t on G - S - q degrees of freedom" in said
    assert "CR1" in said and said.endswith("here G = 40, S = 20: 19 degrees of freedom")
    mean_se = np.sqrt(np.mean([e.std_error**2 for e in effects]))
    assert mean_se == pytest.approx(standard_error(design), rel=0.06)
    assert np.std([e.effect for e in effects]) == pytest.approx(standard_error(design), rel=0.15)
    df = 19
    assert minimum_detectable_effect(design) == pytest.approx(
        (stats.t.ppf(0.975, df) + stats.t.ppf(0.8, df)) * standard_error(design)
    )


def test_cli_power_takes_strata_and_says_its_degrees_of_freedom(capsys) -> None:
    from adaptive.cli import run as cli_run

    base = ["experiment", "power", "--clusters", "112", "--students-per-cluster", "22",
            "--icc", "0.15", "--sd", "0.2"]  # fmt: skip
    assert cli_run([*base, "--strata", "60"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    mde = minimum_detectable_effect(Design(112, 22, 0.15, 0.2, strata=60))
    assert f"minimum detectable effect {mde:.4f}" in out and "in 60 strata" in out
    assert "t on 51 degrees of freedom" in out and "note:" not in out
    assert cli_run(base) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "t on 110 degrees of freedom" in out
    assert "note: computed for one stratum (--strata not given)" in out
    assert cli_run([*base, "--strata", "0"]) == 2
    assert "--strata 0: expected at least 1 stratum" in capsys.readouterr().err


def test_design_from_data_recovers_the_class_icc_within_strata() -> None:
    from adaptive.experiment.power import design_from_data

    frame = _outcomes(3, 0.0, icc=0.3)  # 2 classes per stratum: demeaning halves their spread
    d = design_from_data(frame, "y", "unit_id", stratum="stratum")
    assert d.strata == frame["stratum"].nunique() and d.clusters == 80
    assert 0.18 < d.icc < 0.45
    raw = variance_components(
        frame.assign(y=frame["y"] - frame.groupby("stratum")["y"].transform("mean")), "y", "unit_id"
    )
    assert raw["icc"] < d.icc  # uncorrected: biased low


def test_an_arm_without_outcomes_is_a_named_error() -> None:
    frame = _outcomes(4, 0.0)
    frame.loc[frame["arm"] == "new", "y"] = np.nan
    with pytest.raises(ConfigError, match=r"y: no student of arm\(s\) \['new'\] has a value"):
        estimate_effects(frame, "y", arms=["control", "new"])


@pytest.mark.parametrize(
    ("field", "value", "flag"),
    [
        ("icc", 1.5, "--icc 1.5"),
        ("icc", -0.1, "--icc -0.1"),
        ("sd", -1.0, "--sd -1"),
        ("sd", 0.0, "--sd 0"),
        ("r2", 1.0, "--r2 1"),
        ("size_cv", -1.0, "--size-cv -1"),
        ("share_treated", 1.5, "--share-treated 1.5"),
        ("students_per_cluster", 0.5, "--students-per-cluster 0.5"),
        ("icc", float("nan"), "--icc nan"),
        ("sd", float("inf"), "--sd inf"),
    ],
)
def test_each_design_parameter_is_checked_and_named_alone(field, value, flag) -> None:
    d = dataclasses.replace(Design(400, 25, 0.1, 1.0), **{field: value})
    with pytest.raises(ConfigError, match=f"^experiment power: {re.escape(flag)}: expected") as e:
        minimum_detectable_effect(d)
    assert "\n" not in str(e.value)
    # a user trial: "--sd inf: expected a standard deviation > 0", as if inf were too small
    assert ("expected a finite number" in str(e.value)) == (not np.isfinite(value))
    with pytest.raises(ConfigError, match=re.escape(flag)):
        standard_error(d)


def test_alpha_and_power_in_percent_get_a_hint_and_several_problems_are_listed() -> None:
    d = Design(400, 25, 0.1, 1.0)
    with pytest.raises(ConfigError, match=r"--alpha 5: expected .*if 5 is a percentage, give 0.05"):
        minimum_detectable_effect(d, alpha=5)
    with pytest.raises(ConfigError, match=r"--power 80: .*if 80 is a percentage, give 0.8"):
        minimum_detectable_effect(d, power=80)
    bad = Design(400, 25, 1.5, 0.0)
    with pytest.raises(ConfigError, match="3 parameters out of range") as e:
        minimum_detectable_effect(bad, power=80)
    lines = str(e.value).splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == [
        "  - --icc 1.5",
        "  - --sd 0",
        "  - --power 80",
    ]
    with pytest.raises(ConfigError, match="--clusters 10 in 9 strata: expected at least strata"):
        minimum_detectable_effect(Design(10, 25, 0.1, 1.0, strata=9))


def test_the_arms_keep_the_order_given_and_the_first_is_the_reference(tmp_path) -> None:
    """A district trial: `--arm status_quo=... --arm readiness_up=...` was stored as
    ['readiness_up', 'status_quo'] (the sealed JSON sorts keys) and analyze compared
    status_quo against readiness_up. The file now keeps the order given (`arm_order`)."""
    arms = {"zeta": ARMS["control"], "alpha": ARMS["new"]}
    a = assign(_people(), arms, unit="class", seed=3)
    again = Assignment.load(a.save(tmp_path / "exp.json"))
    assert again.arm_names == ["zeta", "alpha"] and again.reference == "zeta"
    assert again.to_bytes() == a.to_bytes()
    # the same seed and arms given in the same order deal the same units as before the fix
    assert dict(zip(a.units["unit_id"], a.units["arm"], strict=True)) == dict(
        zip(again.units["unit_id"], again.units["arm"], strict=True)
    )
    frame = _outcomes(0, 0.5)
    frame["arm"] = frame["arm"].map({"control": "zeta", "new": "alpha"})
    e = estimate_effects(frame, "y", arms=again.arm_names)[0]
    assert (e.arm, e.reference) == ("alpha", "zeta") and e.effect > 0


def test_an_assignment_file_of_format_1_loads_alphabetically_with_its_bytes(tmp_path) -> None:
    """A file written before the order was kept (no `arm_order`) still loads, its arms in
    the alphabetical order analyses of it used, and is written back byte for byte (the nights
    served with it record its sha256)."""
    from adaptive.files import sealed_json

    doc = assign(_people(), {"zeta": ARMS["control"], "alpha": ARMS["new"]}, seed=3).to_dict()
    doc["format"] = "adaptive-experiment-assignment/1"
    del doc["arm_order"]
    path = tmp_path / "old.json"
    path.write_bytes(sealed_json(doc))
    old = Assignment.load(path)
    assert old.arm_names == ["alpha", "zeta"] and not old.order_kept
    assert old.to_bytes() == path.read_bytes()
    from adaptive.errors import ExperimentWarning
    from adaptive.experiment.analyze import warn_alphabetical_reference

    with pytest.warns(ExperimentWarning, match="the reference is 'alpha' .the first alpha"):
        warn_alphabetical_reference(old)
    bad = assign(_people(), ARMS, seed=3).to_dict()
    bad["arm_order"] = ["control"]
    with pytest.raises(AssignmentError, match="field 'arm_order': got \\['control'\\]"):
        Assignment.from_dict(bad, "x.json")


def test_few_schools_are_enumerated_exactly_and_the_floor_is_what_p_can_reach() -> None:
    """A district trial: 6 schools split 3/3 (C(6,3) = 20 assignments) were captioned "from
    1,000 redraws: the smallest it can be is 0.001". The design's 20 assignments are now
    enumerated: the two-sided p is a multiple of 1/20, at least 2/20 (each assignment's
    mirror gives the same |effect|)."""
    people = _people(6, classes=1)
    a = assign(people, ARMS, unit="school", seed=5)
    frame = people.assign(unit_id=people["school_id"]).merge(
        a.units[["unit_id", "stratum", "arm"]], on="unit_id"
    )
    rng = np.random.default_rng(0)
    frame["y"] = rng.normal(size=len(frame)) + 3.0 * (frame["arm"] == "new")
    e = estimate_effects(frame, "y", arms=a.arm_names, cluster="unit_id", permutations=1000)[0]
    assert e.n_assignments == 20 and e.p_randomization_floor == pytest.approx(0.1)
    assert e.p_randomization == pytest.approx(0.1)  # the largest effect of the 20
    many = estimate_effects(frame, "y", arms=a.arm_names, cluster="unit_id", permutations=10)[0]
    assert many.n_assignments == 0 and many.p_randomization_floor == pytest.approx(1 / 11)
    assert many.p_randomization * 11 == pytest.approx(round(many.p_randomization * 11))


def test_the_enumeration_counts_the_designs_assignments_with_uneven_strata() -> None:
    """Strata of 3 units for 2 arms: 2 first arms x C(3,1) = 6 each, as `_deal` draws them."""
    from adaptive.experiment.analyze import all_assignments, assignment_count

    units = pd.DataFrame({"unit_id": list("abcde"), "stratum": ["s"] * 3 + ["t"] * 2})
    drawn = all_assignments(units, ["x", "y"])
    assert assignment_count(units, 2) == len(drawn) == 6 * 2
    assert len({tuple(d) for d in drawn}) == 12
    from adaptive.experiment.assign import _deal

    dealt = {tuple(_deal(units, ["x", "y"], s)) for s in range(400)}
    assert dealt == {tuple(d) for d in drawn}


def _school_frame(n_schools: int, arms: dict, seed: int = 5):
    people = _people(n_schools, classes=1)
    a = assign(people, arms, unit="school", seed=seed)
    frame = people.assign(unit_id=people["school_id"]).merge(
        a.units[["unit_id", "stratum", "arm"]], on="unit_id"
    )
    frame["y"] = np.random.default_rng(0).normal(size=len(frame)) + (frame["arm"] != "control")
    return a, frame


def test_exact_enumerates_the_design_with_a_unit_without_outcomes() -> None:
    """5 schools split 3/2 or 2/3 (20 assignments), one whose students have no outcome: the
    exact p enumerated the 4 others' splits (6) plus the observed one, and the caption said
    "all 7 assignments the design allows". The design's own 20 are enumerated now."""
    a, frame = _school_frame(5, ARMS)
    frame.loc[frame["unit_id"] == "sch0", "y"] = np.nan
    e = estimate_effects(frame, "y", arms=a.arm_names, cluster="unit_id", permutations=1000)[0]
    assert e.n_assignments == 20 and e.randomization == "exact"
    assert e.p_randomization * 20 == pytest.approx(round(e.p_randomization * 20))
    assert e.p_randomization_floor * 20 == pytest.approx(round(e.p_randomization_floor * 20))
    # the design given explicitly (analyze_logs: the assignment's units) counts the same
    six, frame6 = _school_frame(6, ARMS)
    frame6 = frame6[frame6["unit_id"] != "sch1"]  # a school absent from the logs altogether
    e6 = estimate_effects(frame6, "y", arms=six.arm_names, cluster="unit_id",
                          permutations=1000, design=six.units)[0]  # fmt: skip
    assert e6.n_assignments == 20 and e6.p_randomization_floor == pytest.approx(0.1)


def test_too_few_units_for_an_interval_still_get_the_exact_randomization_p() -> None:
    """4 classes in 2 (school, grade) strata, one without outcomes: no degree of freedom is
    left for the clustered interval, and the randomization p (the one valid inference left)
    was skipped, the caption reading "from 1,000 redraws: ... nan to nan". It is exact over
    the design's 2 x 2 = 4 assignments now, and the caption says so."""
    from adaptive.cli.experiment import _randomization_words

    people = _people(1, classes=4)
    a = assign(people, ARMS, unit="class", seed=2)
    frame = people.assign(unit_id=people["class_id"]).merge(
        a.units[["unit_id", "stratum", "arm"]], on="unit_id"
    )
    frame["y"] = np.random.default_rng(1).normal(size=len(frame))
    frame.loc[frame["unit_id"] == "sch0-c0", "y"] = np.nan
    with pytest.warns(Warning, match="no degree of freedom"):
        e = estimate_effects(frame, "y", arms=a.arm_names, permutations=1000)[0]
    assert e.ci_low != e.ci_low and e.n_assignments == 4 and e.randomization == "exact"
    assert e.p_randomization in (0.5, 1.0) and e.p_randomization_floor >= 0.25
    words = _randomization_words(pd.DataFrame([e.to_dict()]), 1000)
    assert "nan" not in words and "exact over all 4 assignments" in words


def test_the_randomization_caption_says_what_was_computed_per_outcome_never_nan() -> None:
    from adaptive.cli.experiment import _randomization_words

    nan = float("nan")
    rows = [
        {"outcome": "normalized_gain", "p_randomization": nan, "p_randomization_floor": nan,
         "n_assignments": 0, "randomization": ""},
        {"outcome": "correct_rate", "p_randomization": 0.3, "p_randomization_floor": 0.1,
         "n_assignments": 20, "randomization": "exact"},
    ]  # fmt: skip
    words = _randomization_words(pd.DataFrame(rows), 1000)
    assert "nan" not in words and "redraws" not in words
    assert "correct_rate: exact over all 20 assignments" in words and "0.100" in words
    assert "normalized_gain" not in words
    assert _randomization_words(pd.DataFrame(rows[:1]), 1000) == ""
    rows[0].update(p_randomization=0.5, p_randomization_floor=1 / 1001, randomization="redraws")
    words = _randomization_words(pd.DataFrame(rows), 1000)
    assert "normalized_gain: from 1,000 redraws" in words and "0.001" in words
    rows[0]["randomization"] = "redraws, dealing order unknown"
    assert "dealing order unknown" in _randomization_words(pd.DataFrame(rows), 1000)


def test_format_1_files_with_four_arms_are_not_enumerated() -> None:
    """A format-1 file keeps no record of the order `_deal` dealt the arms in; with 4 or more
    arms, which arms a stratum's extra units went to depends on it, so no enumeration."""
    from adaptive.experiment.analyze import can_enumerate
    from adaptive.experiment.assign import FORMAT_1

    four = {name: PolicyConfig() for name in ("a", "b", "c", "d")}
    a = assign(_people(), four, unit="class", seed=1)
    assert can_enumerate(a) and not can_enumerate(dataclasses.replace(a, format=FORMAT_1))
    two = assign(_people(), ARMS, unit="class", seed=1)
    assert can_enumerate(dataclasses.replace(two, format=FORMAT_1))


def _rooms(n_schools: int = 2, classes: int = 4, per: int = 5) -> pd.DataFrame:
    """`_people` with its classes named as a roster names homerooms, without the school ("Room
    c0" at every school)."""
    people = _people(n_schools, classes, per)
    people["class_id"] = "Room " + people["class_id"].str.split("-").str[1]
    return people


def test_a_class_id_of_two_schools_is_two_units_each_in_its_school_stratum() -> None:
    """A roster names homerooms without the school: two schools' "Room c0" were randomized as
    one unit (one arm for both, the stratum of the majority school). A class is its school and
    class id: two units, each in its own school's stratum, each with its own arm."""
    people = _rooms()
    a = assign(people, ARMS, unit="class", seed=3)
    assert len(a.units) == 8 and a.format == "adaptive-experiment-assignment/3"
    room = a.units[a.units["unit_id"] == "Room c0"]
    assert list(room["stratum"]) == ["sch0|grade 3", "sch1|grade 3"]
    arms = a.arm_of(np.array(["Room c0", "Room c0", "Room c9"]), np.array(["sch0", "sch1", "sch0"]))
    assert list(arms) == [*room["arm"], ""]
    differ = [s for s in range(20)
              if len(set(assign(people, ARMS, seed=s).units.query("unit_id == 'Room c0'")["arm"])) == 2]  # fmt: skip
    assert differ  # the two schools' classes are dealt apart: different arms happen
    again = Assignment.from_dict(json.loads(a.to_bytes()), "exp.json")
    assert again.to_bytes() == a.to_bytes()  # unit ids repeat across schools: still one each
    twice = a.to_dict()
    twice["units"]["school_id"][1] = twice["units"]["school_id"][0]
    with pytest.raises(AssignmentError, match="'Room c0' of school 'sch0' appears twice"):
        Assignment.from_dict(twice, "x.json")


def test_an_assignment_of_format_2_is_read_by_class_id_and_warned_of_once() -> None:
    """A file drawn before classes were told apart by school is read as before (a student's
    arm from their class id, whatever their school), and where the profiles put one of its
    class ids at several schools, one warning says so and how to draw it again."""
    import warnings

    from adaptive.batch.overrides import class_schools
    from adaptive.curriculum import LearnerProfile
    from adaptive.errors import ExperimentWarning
    from adaptive.experiment.assign import warn_drawn_by_class_id
    from adaptive.experiment.serve import check_covers_students
    from adaptive.files import sealed_json

    doc = assign(_people(), ARMS, seed=3).to_dict()
    doc["format"] = "adaptive-experiment-assignment/2"
    old = Assignment.from_dict(json.loads(sealed_json(doc)), "old.json")
    assert old.by_class_id and old.to_bytes() == sealed_json(doc)
    arm = old.units.set_index("unit_id")["arm"]["sch0-c0"]
    # read as before: the class id alone, a student of it at another school in its arm
    assert list(old.arm_of(np.array(["sch0-c0"] * 2), np.array(["sch0", "sch5"]))) == [arm] * 2
    profiles = {f"s{i}": LearnerProfile(f"s{i}", school_id=s, class_id="sch0-c0", grade=3)
                for i, s in enumerate(["sch0", "sch0", "sch5"])}  # fmt: skip
    with pytest.warns(ExperimentWarning) as said:
        check_covers_students(old, profiles)
    assert len(said) == 1
    text = str(said[0].message)
    assert text.startswith("old.json was drawn before classes were told apart by their school")
    assert "'sch0-c0' at 'sch0' and 'sch5'" in text and "experiment assign --profiles" in text
    with warnings.catch_warnings():  # a format-3 file, or no shared class id: nothing said
        warnings.simplefilter("error", ExperimentWarning)
        new = assign(_people(), ARMS, seed=3)
        warn_drawn_by_class_id(new, class_schools(profiles))
        warn_drawn_by_class_id(old, {"sch0-c0": {"sch0"}})


def test_analyze_checks_and_clusters_each_school_class_of_one_id_apart() -> None:
    """`experiment analyze` grouped served arms and clusters by class id: two schools' "Room
    c0" served their own arms read as one class served both arms (refused), and were one
    cluster. Now each (school, class) is its unit."""
    from pathlib import Path

    from adaptive.experiment.analyze import _check_arms_agree, intention_to_treat

    people = _rooms()
    differ = next(s for s in range(50)
                  if len(set(assign(people, ARMS, seed=s).units.query("unit_id == 'Room c0'")["arm"])) == 2)  # fmt: skip
    a = assign(people, ARMS, seed=differ)
    served = a.units.rename(columns={"unit_id": "class_id"})[["class_id", "school_id", "arm"]]
    _check_arms_agree(a, served.assign(students=5), Path("students"), "2026-09-29")
    night = people[["student_id", "class_id", "school_id"]]
    outcomes = people[["student_id"]].assign(y=1.0)
    merged = intention_to_treat(outcomes, night, people, a)
    rows = a.unit_of(merged["class_id"].to_numpy(), merged["school_id"].to_numpy())
    assert len(set(rows)) == 8 and (rows >= 0).all()
    room = merged[merged["class_id"] == "Room c0"].groupby("school_id")["arm"].first()
    assert room["sch0"] != room["sch1"]
