"""BKT on the data a district really has: sparse skills fit degenerate parameters (repaired and
named), and catalog skills absent from training get parameters from their graph neighbours
(issue 16 defects 3 and 4)."""

from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from adaptive.curriculum import Catalog, Skill
from adaptive.data.log import Response, ResponseLog
from adaptive.errors import CoverageWarning, FitWarning
from adaptive.tracing.bkt import BKT
from adaptive.tracing.bkt_tables import GUESS, SLIP


def log_of(rows: list[tuple[str, str, str, int]]) -> ResponseLog:
    frame = pd.DataFrame(rows, columns=["student_id", "item_id", "skill_ids", "correct"])
    frame["skill_ids"] = frame["skill_ids"].map(lambda s: [s])
    frame["order"] = frame.groupby("student_id").cumcount()
    return ResponseLog.from_frame(frame)


def learning_rows(skill: str, n_students: int, seed: int) -> list[tuple[str, str, str, int]]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_students):
        known = rng.random() < 0.3
        for t in range(6):
            rows.append(
                (
                    f"{skill}-s{i}",
                    f"{skill}-i{t}",
                    skill,
                    int(rng.random() < (0.9 if known else 0.2)),
                )
            )
            known = known or rng.random() < 0.3
    return rows


def test_a_skill_where_right_answers_come_from_the_unknown_is_repaired_and_named():
    # "odd": students succeed early and fail late, so the likelihood prefers guess + slip > 1
    odd = [(f"o{i}", f"odd-i{t}", "odd", int(t < 3)) for i in range(30) for t in range(6)]
    rows = learning_rows("good", 120, 0) + odd
    with pytest.warns(FitWarning, match="guess \\+ slip >= 1"):
        model = BKT(seed=0).fit(log_of(rows))
    p = model.params_table().set_index("skill")
    assert p.loc["odd", "p_guess"] + p.loc["odd", "p_slip"] < 1.0
    assert model.repaired_skills_ == ["odd"]
    # a correct answer never lowers mastery
    state = model.init_state(["x"])
    before = model.mastery(state)[0, list(model.skills_).index("odd")]
    model.update(state, Response("x", "odd-i0", ("odd",), 1))
    assert model.mastery(state)[0, list(model.skills_).index("odd")] >= before


def test_a_repaired_skill_is_fitted_again_under_the_population_guess_and_slip():
    """The repair holds the population's guess and slip and re-estimates the skill's prior and
    learn rate under them: the same as a fit where the user held those values. Keeping the
    inverted fit's learn rate beside the replaced guess and slip (an earlier version) predicted
    the skill's own answers worse (log-likelihood -227 against -174 here) and lost AUC on
    Statics 2011."""
    odd = [(f"o{i}", f"odd-i{t}", "odd", int(t < 3)) for i in range(30) for t in range(6)]
    log = log_of(learning_rows("good", 120, 0) + odd)
    with (
        pytest.warns(FitWarning, match="fitted again with the population's guess and slip"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("error", RuntimeWarning)  # numpy's noise never reaches a user
        model = BKT(seed=0, skill_shrinkage=0).fit(log)
    p = model.params_table().set_index("skill")
    held = {"p_guess": {"odd": p.loc["odd", "p_guess"]}, "p_slip": {"odd": p.loc["odd", "p_slip"]}}
    reference = BKT(seed=0, skill_shrinkage=0, fixed=held).fit(log)
    q = reference.params_table().set_index("skill")
    for name in ("p_init", "p_learn"):
        assert p.loc["odd", name] == pytest.approx(q.loc["odd", name], abs=0.01)
    np.testing.assert_allclose(
        model.log_likelihood(log_of(odd)), reference.log_likelihood(log_of(odd)), rtol=1e-3
    )
    # the healthy skill keeps its own fit
    assert p.loc["good", "p_learn"] == pytest.approx(q.loc["good", "p_learn"], abs=1e-6)


def test_a_model_that_forgets_relabels_an_inverted_skill_keeping_its_fit(monkeypatch):
    """With forgetting, an inverted skill (guess + slip >= 1) is the same model with its two
    states named the wrong way round: swapping them back keeps the fit exactly, with a correct
    answer raising mastery. Such skills were refitted under the population's guess and slip,
    giving up some of their fit. Here EM is made to land on the swapped labelling of a healthy
    fit (which real logs do now and then: one skill of Statics 2011)."""
    log = log_of(learning_rows("good", 120, 0) + learning_rows("also", 120, 1))
    healthy = BKT(seed=0, forgets=True, skill_shrinkage=0).fit(log)
    em = BKT._em

    def swapped(self, *args, **kwargs):
        r = em(self, *args, **kwargs)
        return dataclasses.replace(
            r, p_init=1 - r.p_init, p_guess=1 - r.p_slip, p_slip=1 - r.p_guess,
            p_learn=r.p_forget, p_forget=r.p_learn,
        )  # fmt: skip

    monkeypatch.setattr(BKT, "_em", swapped)
    with pytest.warns(FitWarning, match="relabelled, the same fit with its two states swapped"):
        model = BKT(seed=0, forgets=True, skill_shrinkage=0).fit(log)
    assert model.repaired_skills_ == ["also", "good"]
    np.testing.assert_allclose(model.tables_.skill_params, healthy.tables_.skill_params)
    assert model.log_likelihood(log) == pytest.approx(healthy.log_likelihood(log), rel=1e-12)
    state = model.init_state(["x"])
    k = list(model.skills_).index("good")
    before = model.mastery(state)[0, k]
    model.update(state, Response("x", "good-i0", ("good",), 1))
    assert model.mastery(state)[0, k] > before


def test_a_fixed_parameter_keeps_only_its_own_skill_from_being_relabelled(monkeypatch):
    """A value the user held fixed is theirs: a swap would change it, so that skill is refitted
    instead. Holding one skill's prior turned relabelling off for every skill (review #18)."""
    log = log_of(learning_rows("good", 120, 0) + learning_rows("also", 120, 1))
    em = BKT._em

    def swapped(self, *args, **kwargs):
        r = em(self, *args, **kwargs)
        if kwargs.get("only") is not None or len(args) > 3:
            return r  # the refit of the held skill: left as fitted
        return dataclasses.replace(
            r, p_init=1 - r.p_init, p_guess=1 - r.p_slip, p_slip=1 - r.p_guess,
            p_learn=r.p_forget, p_forget=r.p_learn,
        )  # fmt: skip

    monkeypatch.setattr(BKT, "_em", swapped)
    with pytest.warns(FitWarning) as said:
        BKT(seed=0, forgets=True, skill_shrinkage=0, fixed={"p_init": {"good": 0.9}}).fit(log)
    text = " ".join(str(w.message) for w in said)
    assert re.search(r"1 skill had .* relabelled, the same fit [^;]* \(also\)", text)
    assert "fitted again with the population's guess and slip (good)" in text


def test_a_forget_rate_that_undoes_every_answer_is_named():
    """A trial on Statics 2011: a skill relabelled to forget 0.95 a step fell from 0.35 to 0.03
    over eight right answers, while the warning said only that a right answer now counts. A
    forget rate of 0.5 or more is named with what it means: the skill will not read as
    mastered."""
    rng = np.random.default_rng(0)
    fading = []
    for i in range(80):
        known = rng.random() < 0.9
        for t in range(6):
            fading.append(
                (f"f{i}", f"fade-i{t}", "fade", int(rng.random() < (0.9 if known else 0.2)))
            )
            known = known and rng.random() > 0.7
    with pytest.warns(FitWarning, match=r"1 skill has a forget rate >= 0.5 .* \(fade\)"):
        model = BKT(seed=0, forgets=True, skill_shrinkage=0).fit(
            log_of(learning_rows("good", 120, 0) + fading)
        )
    assert model.params_table().set_index("skill").loc["fade", "p_forget"] >= 0.5


def test_catalog_skills_without_training_data_get_neighbour_defaults_and_are_traced():
    rows = learning_rows("add", 100, 1) + learning_rows("sub", 100, 2)
    catalog = Catalog(
        (
            Skill("add"),
            Skill("sub", prerequisites=("add",)),
            Skill("mul", prerequisites=("add", "sub")),
            Skill("art"),
        )
    )
    with pytest.warns(
        CoverageWarning,
        match="2 of 4 catalog skills .* graph neighbours \\(1\\) or the population \\(1\\): mul, art",
    ):
        model = BKT(seed=0).fit(log_of(rows), catalog=catalog)
    assert list(model.skills_) == ["add", "sub", "mul", "art"]
    params = model.tables_.skill_params
    lo, hi = sorted(params[:2, GUESS])
    assert lo <= params[2, GUESS] <= hi  # between its neighbours'
    np.testing.assert_allclose(params[3], model.tables_.default_params)
    state = model.init_state(["x"])
    before = model.mastery(state)[0, 2]
    model.update(state, Response("x", "mul-i0", ("mul",), 1))
    assert model.mastery(state)[0, 2] > before  # updated like any other skill
    assert model.tables_.skill_params[2, SLIP] < 0.5


def test_the_fit_warning_stays_a_readable_line_however_many_skills() -> None:
    """A data scientist's trial: the fit warning listed ten skills per clause, a line of over
    600 characters. Three a clause, with how many more and where to see them all."""
    sparse = [(f"s{i}", f"k{j}-i", f"k{j:02d}", i % 2) for j in range(12) for i in range(3)]
    with pytest.warns(FitWarning) as said:
        BKT(seed=0).fit(log_of(learning_rows("good", 60, 0) + sparse))
    (message,) = [str(w.message) for w in said if "sparse or unusual" in str(w.message)]
    assert "12 skills had fewer than" in message and "and 9 more" in message
    assert message.endswith("(every skill's parameters: model.params_table())")
    assert len(message) < 400, len(message)


def test_the_fit_warning_counts_one_skill_as_one_skill() -> None:
    """The demo's warning read "1 skills had guess + slip >= 1"; one skill is said as one."""
    rows = learning_rows("good", 60, 0) + [(f"s{i}", "x-i", "x", i % 2) for i in range(3)]
    with pytest.warns(FitWarning) as said:
        BKT(seed=0).fit(log_of(rows))
    (message,) = [str(w.message) for w in said if "sparse or unusual" in str(w.message)]
    assert "1 skill had fewer than" in message and "1 skills" not in message, message
