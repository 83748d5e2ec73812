"""A district's policy TOML (or dict) with a value out of range, a misspelt key or a wrong type:
one `ConfigError` naming the file, the key, the value and what is valid (users' reports)."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import warnings

import pytest

import adaptive.policy.config as config_module
from adaptive.errors import ConfigError, ConfigWarning, UnknownKeywordError
from adaptive.policy import PolicyConfig
from adaptive.policy.config import PolicyProblems
from adaptive.specs import POLICY_SPEC


@pytest.mark.parametrize(
    ("toml", "key", "valid"),
    [
        ("[weights]\nreadiness = nan\n", "weights.readiness = nan", "finite"),
        ("[weights]\nreadiness = inf\n", "weights.readiness = inf", "finite"),
        ("[weights]\nstuck = -inf\n", "weights.stuck = -inf", "finite"),
        ("difficulty_width = nan\n", "difficulty_width = nan", "> 0"),
        ("variety_penalty = -5\n", "variety_penalty = -5", ">= 0"),
        ("min_responses_mastered = -3\n", "min_responses_mastered = -3", ">= 0"),
        ("default_daily_minutes = -10\n", "default_daily_minutes = -10", "(0, 1440]"),
        ("default_daily_minutes = 0\n", "default_daily_minutes = 0", "(0, 1440]"),
        ("progress_window = 0\n", "progress_window = 0", "[1, 32]"),
        ("exploration_noise = -1\n", "exploration_noise = -1", ">= 0"),
        ("initial_stability_days = nan\n", "initial_stability_days = nan", "> 0"),
        ("stability_exponent = -1\n", "stability_exponent = -1", ">= 0"),
        ("exploration_temperature = inf\n", "exploration_temperature = inf", "> 0"),
        ("target_p_correct = 1.0\n", "target_p_correct = 1.0", "(0, 1)"),
        ("mastery_threshold = 0\n", "mastery_threshold = 0", "(0, 1)"),
        ("stuck_min_responses = 0\n", "stuck_min_responses = 0", ">= 1"),
        ("stuck_max_progress = 2\n", "stuck_max_progress = 2", "[-1, 1]"),
        ("exploration_seed = -1\n", "exploration_seed = -1", ">= 0"),
        ('repeatable_kinds = ["practise"]\n', "repeatable_kinds = ['practise']", "'practice'"),
    ],
)
def test_a_value_out_of_range_names_file_key_value_and_range(tmp_path, toml, key, valid) -> None:
    path = tmp_path / "district.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        PolicyConfig.from_toml(path)
    message = str(err.value)
    assert re.match(rf"{re.escape(str(path))}, line \d+, column \d+: policy config: ", message)
    assert key in message and valid in message


def test_stability_exponent_below_zero_is_named_not_an_internal_power_error() -> None:
    with pytest.raises(
        ConfigError, match=r"stability_exponent = -1; expected a finite number >= 0"
    ):
        PolicyConfig(stability_exponent=-1)


def test_the_shipped_defaults_are_in_range_and_the_stuck_weight_stays_negative() -> None:
    cfg = PolicyConfig.default()
    assert cfg.weights["stuck"] < 0
    assert PolicyConfig(weights={"stuck": -5.0}).weights["stuck"] == -5.0


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("mastery_treshold = 0.7\n", "line 1, column 1: policy config: unknown key 'mastery_treshold' (did you mean 'mastery_threshold'?)"),
        ("[weights]\nreadyness = 3.0\n", "line 2, column 1: policy config: unknown weight 'readyness' (did you mean 'readiness'?)"),
    ],
)  # fmt: skip
def test_a_misspelt_key_or_weight_suggests_the_closest(tmp_path, toml, expected) -> None:
    """... and names the file's line that sets it (a district's file has many)."""
    path = tmp_path / "district.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        PolicyConfig.from_toml(path)
    assert str(err.value).startswith(f"{path}, {expected}")


def test_with_a_misspelt_key_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match="did you mean 'mastery_threshold'"):
        PolicyConfig.default().with_(mastery_treshold=0.5)


def test_a_wrong_typed_weight_names_that_weight_only(tmp_path) -> None:
    path = tmp_path / "district.toml"
    path.write_text('[weights]\nreadiness = "high"\n')
    with pytest.raises(ConfigError) as err:
        PolicyConfig.from_toml(path)
    message = str(err.value)
    assert "weights.readiness = 'high' (expected a number)" in message
    assert "difficulty" not in message  # not the whole weights table


@pytest.mark.parametrize(
    ("toml", "where", "said"),
    [
        ('[weights]\nreadiness = "2,6"\n', "line 2, column 13", "weights.readiness = '2,6'"),
        ('target_p_correct   =  "0.8"  # typed\n', "line 1, column 23", "target_p_correct = '0.8'"),
        ("max_per_skill = 2.5\n", "line 1, column 17", "max_per_skill = 2.5 (expected an integer"),
        ('exploration = "sofmax"\n', "line 1, column 15", "exploration = 'sofmax', expected one"),
        ('repeatable_kinds = ["practise"]\n', "line 1, column 20", "unknown activity kind"),
        ("target_p_correct = 1.8\n", "line 1, column 20", "target_p_correct = 1.8; expected"),
        ("[weights]\nstuck = 1e400\n", "line 2, column 9", "weights.stuck = inf; expected"),
        ('[grade_table]\n3 = "x"\n', "line 2, column 5", "grade table gap 3"),
        ('exploration = "softmax"\n[weights]\nexploration = "x"\n', "line 3, column 15",
         "weights.exploration = 'x'"),
        ("[weights]\nreadines = 2.0\n", "line 2, column 1", "unknown weight 'readines'"),
    ],
)  # fmt: skip
def test_a_wrong_value_names_its_line_and_column(tmp_path, toml, where, said) -> None:
    """A user trial: `readiness = "2,6"` (a decimal comma) in a policy file gave "line 21" and
    no column, where the other file errors name both. Every value error now names the column
    where the value starts (a misspelt key: where the key starts), and a weight named like a
    top-level knob (`exploration`) is found in [weights], not at the knob's line."""
    path = tmp_path / "policy.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        PolicyConfig.from_toml(path)
    assert str(err.value).startswith(f"{path}, {where}: policy config: ")
    assert said in str(err.value)


def test_weights_not_a_table_says_so(tmp_path) -> None:
    path = tmp_path / "district.toml"
    path.write_text("weights = 3\n")
    with pytest.raises(ConfigError, match=r"weights = 3 \(expected a \[weights\] table"):
        PolicyConfig.from_toml(path)


def test_epsilon_without_epsilon_exploration_warns(tmp_path) -> None:
    """The warning was a plain UserWarning, which the command line shows with its class name
    (`warning: UserWarning: cand_det.toml: ...`): now the project's ConfigWarning."""
    path = tmp_path / "district.toml"
    path.write_text("exploration_epsilon = 0.2\n")
    with pytest.warns(ConfigWarning, match=r"district\.toml: exploration_epsilon = 0\.2 .*epsilon"):
        PolicyConfig.from_toml(path)
    path.write_text('exploration = "epsilon"\nexploration_epsilon = 0.2\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PolicyConfig.from_toml(path)
        PolicyConfig.default().with_(exploration="softmax", exploration_temperature=0.3)


def test_a_config_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(ConfigError, match="expected a table"):
        PolicyConfig.from_dict(["target_p_correct", 0.7])  # type: ignore[arg-type]


def test_the_module_docstring_shows_the_shipped_values() -> None:
    """The docstring quotes src/adaptive/specs/policy.toml: its values are that file's."""
    shipped = tomllib.loads(POLICY_SPEC.read_text())
    quoted = [
        line.strip()
        for line in config_module.__doc__.splitlines()
        if " = " in line and not line.strip().startswith("#")
    ]
    assert quoted
    for line in quoted:
        key, _, value = line.partition(" = ")
        assert key in shipped or key in shipped["weights"], line
        assert tomllib.loads(f"v = {value}")["v"] == shipped.get(key, shipped["weights"].get(key))


def test_a_positive_stuck_weight_is_refused(tmp_path) -> None:
    """An evaluation lead's trial: `stuck = 1.5` was accepted, though the README says the stuck
    weight is negative by design (a positive one serves more of what a student spins on)."""
    from adaptive.errors import ConfigError
    from adaptive.policy import PolicyConfig

    path = tmp_path / "mine.toml"
    path.write_text("[weights]\nstuck = 1.5\n")
    with pytest.raises(
        ConfigError, match=r"mine.toml, line 2, column 9: .*weights.stuck = 1.5; .*<= 0"
    ):
        PolicyConfig.from_toml(path)
    assert PolicyConfig.default().with_(weights={"stuck": 0.0}).weights["stuck"] == 0.0


README_EXPLORATION = (
    'exploration = "softmax"\nexploration_temperature = 0.5\nexploration_seed = 0\n'
)


def test_readme_exploration_keys_appended_below_weights_name_the_key_its_table_and_where_it_goes(
    tmp_path,
) -> None:
    """A district evaluator's trial: the README's three exploration keys appended to a copy of
    the shipped policy.toml (which ends in `[weights]`) gave "invalid TOML (Cannot overwrite a
    value (at line 36, column 24))": the parser's words, not the key, its table or the fix."""
    shipped = POLICY_SPEC.read_text()
    path = tmp_path / "policy_appended_bad.toml"
    path.write_text(shipped + "\n" + README_EXPLORATION)
    lines = path.read_text().splitlines()
    appended = lines.index('exploration = "softmax"') + 1
    weight = lines.index("exploration = 0.3") + 1
    header = lines.index("[weights]") + 1
    with pytest.raises(ConfigError) as err:
        PolicyConfig.from_toml(path)
    assert str(err.value) == (
        f"{path}, line {appended}: `exploration` is set twice in [weights] (line {weight}: the "
        f"exploration weight); expected each key once. If line {appended} means the policy's "
        f"top-level `exploration`, put it above the file's first table ([weights] on line "
        f"{header}): a key below a [table] header belongs to that table"
    )


def test_a_top_level_knob_below_weights_is_named_as_such_not_as_an_unknown_weight(
    tmp_path,
) -> None:
    """Before: "unknown weight 'exploration_temperature'", the valid weights listing
    `exploration`: as if the knob were a misspelt weight."""
    path = tmp_path / "mine.toml"
    path.write_text(
        "target_p_correct = 0.8\n[weights]\nreadiness = 2.5\nexploration_temperature = 0.5\n"
    )
    with pytest.raises(ConfigError) as err:
        PolicyConfig.from_toml(path)
    assert str(err.value) == (
        f"{path}, line 4: `exploration_temperature` is in [weights], where it is no weight; it "
        "is a top-level key of the policy: put it above the file's first table ([weights] on "
        "line 2): a key below a [table] header belongs to that table"
    )


def test_a_key_set_twice_at_the_top_names_both_lines(tmp_path) -> None:
    """Any key set twice names its lines, not only the parser's "Cannot overwrite a value"."""
    path = tmp_path / "twice.toml"
    path.write_text("target_p_correct = 0.8\nmastery_threshold = 0.6\ntarget_p_correct = 0.7\n")
    with pytest.raises(ConfigError) as err:
        PolicyConfig.from_toml(path)
    assert str(err.value) == (
        f"{path}, line 3: `target_p_correct` is set twice (line 1); expected each key once"
    )


def test_the_readme_exploration_keys_above_the_first_table_are_read(tmp_path) -> None:
    """What the README now says to do with its snippet works on the shipped file."""
    shipped = POLICY_SPEC.read_text()
    path = tmp_path / "policy.toml"
    path.write_text(README_EXPLORATION + shipped)
    config = PolicyConfig.from_toml(path)
    assert (config.exploration, config.exploration_temperature) == ("softmax", 0.5)


def test_a_weight_above_weights_a_decimal_comma_and_a_text_grade_table_value_are_named(
    tmp_path,
) -> None:
    """A district's trial: `aspiration = 2.0` at the top of the file gave "unknown key
    'aspiration'; valid keys: ..." (the weights not among them); `interest = 0,5` gave the
    parser's "invalid TOML (Expected newline or end of document after a statement ...)"; and
    a grade table's `0 = "0.4"` was read as 0.4, where a weight written "2.0" is refused.
    Each is now one error naming the line, the key and what to write."""
    cases = {
        "aspiration = 2.0\nmastery_threshold = 0.8\n[weights]\ninterest = 0.5\n": (
            "line 1, column 1: policy config: `aspiration` is a weight: put it under [weights]"
        ),
        "mastery_threshold = 0.8\n[weights]\nreadiness = 2.5\ninterest = 0,5  # half\n": (
            "line 4, column 12: weights.interest = 0,5 has a decimal comma; write 0.5 (TOML "
            "reads a decimal point only)"
        ),
        "target_p_correct = -0,8\n": "line 1, column 20: target_p_correct = -0,8 has a "
        "decimal comma; write -0.8",
        "stuck_min_responses = 1,000\n": "line 1, column 23: stuck_min_responses = 1,000 has a "
        "comma; write 1000 (no thousands separator), or 1.000 for a decimal",
        "target_p_correct = 0,800\n": "line 1, column 20: target_p_correct = 0,800 has a "
        "decimal comma; write 0.800",
        '[grade_table]\n-1 = 0.8\n0 = "0.4"\n1 = 0.1\n': (
            "line 3, column 5: policy config: grade_table: grade table gap 0 = '0.4' (expected "
            "a number, P(known) in [0, 1])"
        ),
    }
    path = tmp_path / "district.toml"
    for toml, said in cases.items():
        path.write_text(toml)
        with pytest.raises(ConfigError) as err:
            PolicyConfig.from_toml(path)
        assert str(err.value).startswith(f"{path}, {said}"), str(err.value)
    with pytest.raises(ConfigError, match="`aspiration` is a weight: put it under"):
        PolicyConfig.from_dict({"aspiration": 2.0})
    path.write_text("[weights]\ninterest = 0,5,6\n")  # no number: the parser's words
    with pytest.raises(ConfigError, match=r"invalid TOML \(Expected newline"):
        PolicyConfig.from_toml(path)


def test_a_policy_file_with_several_mistakes_lists_each_on_its_line(tmp_path) -> None:
    """A policy TOML with two bad values, or a misspelt key and a bad value, named only the
    first: each is now listed with its line and column, in the file's order."""
    path = tmp_path / "mine.toml"
    path.write_text(
        'target_p_correct = "high"\nmastery_treshold = 0.7\nprogress_window = 0\n'
        "[weights]\nreadines = 1.0\nstuck = 2.0\n"
    )
    with pytest.raises(ConfigError) as err:
        PolicyConfig.from_toml(path)
    lines = str(err.value).splitlines()
    assert lines[0] == f"{path}: policy config: 5 problems:"
    assert lines[1] == "  - line 1, column 20: target_p_correct = 'high' (expected a number)"
    assert lines[2].startswith(
        "  - line 2, column 1: unknown key 'mastery_treshold' (did you mean 'mastery_threshold'?)"
    )
    assert lines[3] == "  - line 3, column 19: progress_window = 0; expected an integer in [1, 32]"
    assert lines[4].startswith("  - line 5, column 1: unknown weight 'readines' (did you mean")
    assert lines[5].startswith("  - line 6, column 9: weights.stuck = 2.0; expected")
    assert lines[6].startswith("valid keys: ") and lines[7].startswith("valid weights: ")
    assert len(lines) == 8


def test_a_dict_or_keywords_with_several_mistakes_name_them_all() -> None:
    with pytest.raises(ConfigError) as err:
        PolicyConfig.from_dict({"mastery_threshold": 2.0, "target_p_correct": "x", "tagret": 1})
    assert str(err.value).startswith("policy config: unknown key 'tagret'"), err.value
    assert (  # the values in the config's order, after the keys, then the valid keys
        "; target_p_correct = 'x' (expected a number); "
        "mastery_threshold = 2.0; expected a probability in (0, 1); valid keys: assumed_known,"
    ) in str(err.value), err.value
    with pytest.raises(ConfigError) as err:
        PolicyConfig(weights={"readines": 1.0, "stuck": 1.0}, repeatable_kinds=("practise",))
    message = str(err.value)
    assert "unknown weight 'readines' (did you mean 'readiness'?)" in message
    assert "weights.stuck = 1.0; expected" in message and "'practise'" in message


def test_a_misspelt_keyword_and_a_wrong_value_are_named_in_one_error() -> None:
    """`PolicyConfig(typo=1, target_p_correct=5)` and `.with_(...)` named the keyword alone,
    and the wrong value waited for the next run, where `from_dict` named both. Now one error
    names both, still the `UnknownKeywordError` (a `TypeError`) a misspelt keyword alone
    raises, and a `PolicyProblems` listing each."""
    config = PolicyConfig()
    calls = [
        ("PolicyConfig(...)", lambda: PolicyConfig(mastery_treshold=0.7, target_p_correct=5)),
        (
            "PolicyConfig(...)",
            lambda: dataclasses.replace(config, mastery_treshold=0.7, target_p_correct=5),
        ),
        ("PolicyConfig.with_", lambda: config.with_(mastery_treshold=0.7, target_p_correct=5)),
    ]
    for where, call in calls:
        with pytest.raises(UnknownKeywordError) as err:
            call()
        assert isinstance(err.value, TypeError) and isinstance(err.value, PolicyProblems)
        assert str(err.value).startswith(
            f"{where}: unknown keyword 'mastery_treshold' (did you mean 'mastery_threshold'?); "
            "target_p_correct = 5; expected a probability in (0, 1); valid keywords: assumed_known,"
        ), err.value
        assert str(err.value).count("valid keywords") == 1


def test_a_policy_file_is_checked_once_and_its_grade_table_read_once(tmp_path, monkeypatch) -> None:
    """`from_toml` checked the table three times (its own check, `from_dict`'s, the config's
    `__post_init__`) and read the grade table four times; now the config's own check is the
    one there is, and the table is read once, into the config."""
    import adaptive.policy.config as config_module
    from adaptive.placement.prior import GradeTable

    checks: list[int] = []
    reads: list[int] = []
    check, read = config_module.knob_problems, GradeTable.from_dict
    monkeypatch.setattr(config_module, "knob_problems", lambda k: checks.append(1) or check(k))
    monkeypatch.setattr(GradeTable, "from_dict", lambda d: reads.append(1) or read(d))
    path = tmp_path / "mine.toml"
    path.write_text('target_p_correct = 0.7\n[grade_table]\n"-1" = 0.5\n')
    assert PolicyConfig.from_toml(path).target_p_correct == 0.7
    assert (len(checks), len(reads)) == (1, 1)


def test_a_policy_file_is_read_through_from_dict_its_problems_on_their_lines(
    tmp_path, monkeypatch
) -> None:
    """`from_toml` repeated `from_dict`'s body (the check, then the unused-knob warnings): two
    ways in. It now reads the file and hands its table to `from_dict`, naming the file, and
    still places each problem on its line; a warning still points at the caller's line."""
    tables: list[tuple[dict, str]] = []
    from_dict = PolicyConfig.from_dict.__func__
    monkeypatch.setattr(
        PolicyConfig,
        "from_dict",
        classmethod(lambda cls, d, where="": tables.append((d, where)) or from_dict(cls, d, where)),
    )
    path = tmp_path / "mine.toml"
    path.write_text('exploration = "none"\nexploration_epsilon = 0.3\n')
    with pytest.warns(ConfigWarning, match="exploration_epsilon = 0.3 has no effect") as seen:
        PolicyConfig.from_toml(path)
    assert tables == [({"exploration": "none", "exploration_epsilon": 0.3}, str(path))]
    assert seen[0].filename == __file__
    path.write_text("target_p_correct = 0.8\nprogress_window = 0\n")
    with pytest.raises(ConfigError, match=r"line 2, column 19: policy config: progress_window = 0"):
        PolicyConfig.from_toml(path)


def test_each_misspelt_key_of_a_policy_file_is_its_own_problem_on_its_own_line(tmp_path) -> None:
    """Two misspelt keys (or weights) were one problem ("unknown keys 'a' ... and 'b'"), placed
    at the first one's line only: the second had no line. Each is now its own problem, on its
    line, with its closest known one; the valid keys are listed once, after them."""
    path = tmp_path / "mine.toml"
    path.write_text(
        "target_p_correct = 0.8\nmastery_treshold = 0.6\n\nretention_treshold = 0.7\n"
        "[weights]\nintrest = 1.0\nreadines = 2.0\n"
    )
    with pytest.raises(ConfigError) as err:
        PolicyConfig.from_toml(path)
    lines = str(err.value).splitlines()
    assert lines[:5] == [
        f"{path}: policy config: 4 problems:",
        "  - line 2, column 1: unknown key 'mastery_treshold' (did you mean 'mastery_threshold'?)",
        "  - line 4, column 1: unknown key 'retention_treshold' (did you mean "
        "'retention_threshold'?)",
        "  - line 6, column 1: unknown weight 'intrest' (did you mean 'interest'?)",
        "  - line 7, column 1: unknown weight 'readines' (did you mean 'readiness'?)",
    ]
    assert lines[5].startswith(
        "valid keys: assumed_known, check_prerequisites_after, default_daily"
    )
    assert lines[6] == (
        "valid weights: aspiration, difficulty, exploration, interest, progress, readiness, "
        "review, stuck"
    )
    assert len(lines) == 7
