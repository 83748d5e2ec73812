"""A district's own grade table in the policy config (`[grade_table]`): read from TOML, checked,
and read by every path that places a student from their grade (the nightly job's placement
used the default table whatever the district wrote, and the only way round was a --placement
file, whose reasons then said "placed from FILE" instead of the grade)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_cold_start import graded_catalog, model, practice_log  # noqa: F401  (the module's fixture)
from policy_fixtures import SKILLS

from adaptive.curriculum import LearnerProfile
from adaptive.errors import ConfigError
from adaptive.placement import GradeTable, grade_placement
from adaptive.policy import PolicyConfig
from adaptive.policy.adapter import batch_from_model

TABLE_TOML = """
target_p_correct = 0.8

[grade_table]
-1 = 0.97
0 = 0.5
1 = 0.02
own_grade = "flat"
"""


def write(tmp_path, text: str):
    path = tmp_path / "district.toml"
    path.write_text(text)
    return path


def test_a_grade_table_is_read_from_the_policy_toml(tmp_path) -> None:
    config = PolicyConfig.from_toml(write(tmp_path, TABLE_TOML))
    assert config.grade_table == GradeTable({-1: 0.97, 0: 0.5, 1: 0.02}, own_grade="flat")
    # to_dict / from_dict round trip (what the nightly job's partitions ship)
    assert PolicyConfig.from_dict(config.to_dict()) == config
    assert config.to_dict()["grade_table"] == {"-1": 0.97, "0": 0.5, "1": 0.02, "own_grade": "flat"}
    # without one: the default, and nothing recorded (a config records as it always did)
    assert PolicyConfig.default().grade_table is None
    assert "grade_table" not in PolicyConfig.default().to_dict()
    # sloped ends given as a TOML array
    sloped = PolicyConfig.from_toml(
        write(tmp_path, "[grade_table]\n0 = 0.4\n1 = 0.1\nown_grade = [0.8, 0.2]\n")
    )
    assert sloped.grade_table.own_grade == (0.8, 0.2)


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ("-1 = 1.5", "gap -1: P(known) 1.5 is not in [0, 1]"),
        ("0 = 0.1\n1 = 0.5", "gap 1 has P(known) 0.5 above gap 0's 0.1"),
        ("first = 0.9", "grade table gap 'first': expected a whole number of grades"),
        ('0 = 0.4\nown_grade = "slopy"', "own_grade 'slopy': expected 'sloped', 'flat'"),
        ('0 = "high"', "gap 0 = 'high' (expected a number, P(known) in [0, 1])"),
    ],
)
def test_a_wrong_grade_table_names_the_file_and_what_is_expected(tmp_path, table, says) -> None:
    path = write(tmp_path, f"[grade_table]\n{table}\n")
    with pytest.raises(ConfigError) as err:
        PolicyConfig.from_toml(path)
    assert str(path) in str(err.value) and "grade_table" in str(err.value)
    assert says in str(err.value)
    if ("gap" in says and "first" not in says) or "own_grade" in says:  # its own line
        assert f"{path}, line {table.count(chr(10)) + 2}, column " in str(err.value)


def test_a_quoted_weight_names_its_own_line_not_a_gap_that_looks_like_it(tmp_path) -> None:
    """An evaluation lead's trial: `readiness = "3.0"` was said at the line of `0 = 0.4` in the
    grade table (the value's '0' read as a key)."""
    path = write(tmp_path, '[weights]\nreadiness = "3.0"\n[grade_table]\n0 = 0.4\n')
    with pytest.raises(
        ConfigError, match=r"district.toml, line 2, column 13: .*weights.readiness = '3.0'"
    ):
        PolicyConfig.from_toml(path)


def test_a_misspelt_table_names_its_line(tmp_path) -> None:
    path = write(tmp_path, "target_p_correct = 0.8\n[grade_tabel]\n0 = 0.4\n")
    with pytest.raises(
        ConfigError, match=r"district.toml, line 2, column 1: .*did you mean 'grade_table'"
    ):
        PolicyConfig.from_toml(path)


def test_batch_from_model_places_with_the_configs_table(model) -> None:  # noqa: F811
    cat = graded_catalog()
    profiles = [LearnerProfile("new", grade=2)]
    config = PolicyConfig.default().with_(grade_table={"-1": 0.97, "0": 0.5, "1": 0.02})
    default = batch_from_model(
        model, model.init_state(), cat, profiles, student_ids=["new"], config=None
    )
    own = batch_from_model(
        model, model.init_state(), cat, profiles, student_ids=["new"], config=config
    )
    expected = grade_placement(cat, profiles, config.grade_table).aligned(cat.skill_index)[0]
    grades = np.array([s.grade for s in cat.skills])
    below = grades < 2
    # BKT starts from the placed P(known) exactly; graph propagation may only raise it
    assert (own.mastery[0, below] >= expected[below] - 1e-9).all()
    assert not np.allclose(own.mastery, default.mastery)
    assert own.placement[0] == default.placement[0] == "placed from grade 2"
    # an explicit grade_table= still wins over the config's
    explicit = batch_from_model(
        model,
        model.init_state(),
        cat,
        profiles,
        student_ids=["new"],
        config=config,
        grade_table=GradeTable(),
    )
    np.testing.assert_allclose(explicit.mastery, default.mastery)


def test_a_batch_placed_with_another_grade_table_is_refused_by_the_policy(model) -> None:  # noqa: F811
    """The vendor trial of stop 39: a batch built without the district's config placed its new
    students with the default table and was served by a policy of the district's own, without
    a word (the settings check covered minutes, window and kinds only)."""
    from adaptive.policy import AdaptivePolicy

    cat = graded_catalog()
    profiles = [LearnerProfile("new", grade=2)]
    config = PolicyConfig.default().with_(grade_table={"-1": 0.97, "0": 0.5, "1": 0.02})
    policy = AdaptivePolicy(cat, config)
    forgot = batch_from_model(model, model.init_state(), cat, profiles, student_ids=["new"])
    with pytest.raises(ConfigError, match=r"another PolicyConfig.*grade table"):
        policy.select(forgot, 2, 20_000.0)
    other = batch_from_model(
        model, model.init_state(), cat, profiles, student_ids=["new"], config=config,
        grade_table=GradeTable(),
    )  # fmt: skip
    with pytest.raises(ConfigError, match="another PolicyConfig"):
        policy.select(other, 2, 20_000.0)
    ok = batch_from_model(
        model, model.init_state(), cat, profiles, student_ids=["new"], config=config
    )
    assert policy.select(ok, 2, 20_000.0).activity.shape == (1, 2)


def test_a_file_name_or_a_dict_where_an_object_goes_says_how_to_make_one(model) -> None:  # noqa: F811
    """The vendor trial of stop 39: each of these was an AttributeError deep in the library."""
    from adaptive.placement import PlacementDiagnostic
    from adaptive.policy import AdaptivePolicy

    cat = graded_catalog()
    profiles = [LearnerProfile("new", grade=2)]
    state = model.init_state()
    cases = [
        (lambda: batch_from_model(model, state, cat, profiles, config="policy.toml"),
         "config: expected a PolicyConfig or None, got str 'policy.toml'; make one with PolicyConfig.from_toml"),
        (lambda: batch_from_model("out/bkt", state, cat, profiles), "model: expected a KnowledgeTracer"),
        (lambda: batch_from_model(model, "state.npz", cat, profiles), "TracingState.load(path)"),
        (lambda: batch_from_model(model, state, "catalog.json", profiles), "Catalog.from_json(path)"),
        (lambda: batch_from_model(model, state, cat, profiles, grade_table={"0": 0.4}),
         "grade_table: expected a GradeTable or None, got dict"),
        (lambda: grade_placement(cat, profiles, {-1: 0.8, 0: 0.3}), "GradeTable.from_dict"),
        (lambda: grade_placement("catalog.json", profiles), "Catalog.from_json(path)"),
        (lambda: PlacementDiagnostic("catalog.json", prior=profiles), "Catalog.from_json(path)"),
        (lambda: PlacementDiagnostic(cat, prior=profiles, grade_table={"0": 0.4}), "GradeTable.from_dict"),
        (lambda: type(model)().fit(practice_log(10), catalog="catalog.json"), "Catalog.from_json"),
        (lambda: AdaptivePolicy(cat).select([], 3, 0.0), "batch: expected a StudentBatch"),
    ]  # fmt: skip
    for call, says in cases:
        with pytest.raises((TypeError, ConfigError)) as err:
            call()
        assert says in str(err.value), str(err.value)
    with pytest.raises(ConfigError, match="expected a table of P.known. by grade gap"):
        GradeTable([0.8, 0.3, 0.1])


def test_the_configs_graph_raise_sets_how_far_a_mastered_skill_raises_its_prerequisites(
    model,  # noqa: F811
) -> None:
    """Issue 16: a skill answered right raises the never-answered skills it builds on by the
    policy's `graph_raise` (0.5 by default, chosen on the tuning simulators: how much knowing a
    skill says of its prerequisites differs by district), read from the policy file."""
    from adaptive.data.log import Response

    cat = graded_catalog()
    profiles = [LearnerProfile("s", grade=3)]
    start = pd.Timestamp("2026-10-01", tz="UTC")
    answers = [
        Response("s", f"mul-{t}", ("mul",), 1, start + pd.Timedelta(hours=t)) for t in range(6)
    ]

    def add_and_mul(config: PolicyConfig | None) -> tuple[float, float]:
        state = model.init_state()
        model.update(state, answers)
        batch = batch_from_model(
            model, state, cat, profiles, log=answers, student_ids=["s"], config=config
        )
        return tuple(batch.mastery[0, [SKILLS.index("add"), SKILLS.index("mul")]])

    placed = add_and_mul(PolicyConfig.default().with_(graph_raise=0.0))
    half, whole = add_and_mul(None), add_and_mul(PolicyConfig.default().with_(graph_raise=1.0))
    mul = placed[1]
    assert mul > placed[0] + 0.05  # mul answered right, add placed lower and never answered
    assert half[1] == whole[1] == mul  # an answered skill keeps its own reading
    assert whole[0] == pytest.approx(mul)
    assert half[0] == pytest.approx(placed[0] + 0.5 * (mul - placed[0]))
    with pytest.raises(ConfigError, match="graph_raise"):
        PolicyConfig.from_dict({"graph_raise": 1.5})
