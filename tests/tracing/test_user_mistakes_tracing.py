"""Knowledge tracing given the wrong argument (users' reports): a flag as text, a student id
where state rows go, an id the state does not hold."""

from __future__ import annotations

import inspect
import json
import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from adaptive.data.log import Response, ResponseLog
from adaptive.errors import AdaptiveError, ConfigError, UnknownKeywordError, UnknownStudentsError
from adaptive.files import sealed_json
from adaptive.tracing.bkt import BKT
from adaptive.tracing.logistic import IRT


def small_log() -> ResponseLog:
    n = 40
    return ResponseLog.from_frame(
        pd.DataFrame(
            {
                "student_id": [f"s{i // 4}" for i in range(n)],
                "item_id": [f"i{i % 3}" for i in range(n)],
                "skill_ids": [f"k{i % 2}" for i in range(n)],
                "correct": (np.arange(n) * 7 % 3 > 0).astype(int),
                "order": np.arange(n) % 4,
            }
        )
    )


@pytest.mark.parametrize("value", ["no", "false", "0", 0, 1, None])
def test_a_flag_that_is_not_a_bool_is_refused_as_the_spec_refuses_it(value) -> None:
    with pytest.raises(ConfigError, match=rf"BKT: forgets = {value!r} \(expected true or false\)"):
        BKT(forgets=value)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"multigs": "yes"}, "multigs = 'yes' (expected true or false)"),
        ({"num_fits": "5"}, "num_fits = '5' (expected an integer)"),
        ({"max_iter": 2.5}, "max_iter = 2.5 (expected an integer)"),
        ({"tol": "0.01"}, "tol = '0.01' (expected a number)"),
        ({"seed": None}, "seed = None (expected an integer)"),
        ({"shrinkage": "10"}, "shrinkage = '10' (expected a number)"),
        ({"fitter": 1}, "fitter = 1 (expected text)"),
    ],
)
def test_other_constructor_arguments_are_checked_by_type(params, expected) -> None:
    with pytest.raises(ConfigError) as err:
        BKT(**params)
    assert expected in str(err.value)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"num_fits": 0}, "num_fits"),
        ({"tol": 0.0}, "tol"),
        ({"shrinkage": -1.0}, "shrinkage = -1.0"),
        ({"skill_shrinkage": float("nan")}, "skill_shrinkage = nan"),
        ({"fitter": "pybk"}, "BKT: fitter = 'pybk' (expected 'native' or 'pybkt')"),
    ],
)
def test_constructor_arguments_out_of_range_are_refused_at_once(params, expected) -> None:
    with pytest.raises(ConfigError, match=re.escape(expected)):
        BKT(**params)


def test_numpy_numbers_and_good_flags_are_accepted() -> None:
    model = BKT(forgets=True, num_fits=np.int64(2), tol=np.float64(0.01), seed=np.int32(3))
    assert model.forgets is True and int(model.num_fits) == 2


@pytest.fixture(scope="module")
def fitted() -> BKT:
    return BKT(num_fits=1, seed=0).fit(small_log())


def test_rows_can_name_unknown_students(fitted) -> None:
    state = fitted.init_state(["a", "b"])
    with pytest.raises(AdaptiveError) as refused:
        state.rows(["a", "nobody"], missing="raise")
    # by position, never by id (an app logs what it raises): it named 'nobody'
    assert str(refused.value).startswith(
        "1 of the 2 student ids passed (the 2nd) is not in this state (it holds 2 students)"
    )
    assert "nobody" not in str(refused.value)
    # every one, for the caller to find (the message names the first five): a trial's vendor
    # could not tell which of eight unknown ids were the 6th to 8th
    ids = ["a", *[f"x{i}" for i in range(8)], "b"]
    with pytest.raises(UnknownStudentsError) as many:
        state.rows(ids, missing="raise")
    assert [ids[i] for i in many.value.positions] == [f"x{i}" for i in range(8)]
    # on every UnknownStudentsError, empty without a hint: `e.likely_matches` was an
    # AttributeError here, where recommend_students' error had it
    assert many.value.likely_matches == {}
    assert state.rows(["b", "a"], missing="raise").tolist() == [1, 0]
    assert state.rows(["nobody", "a"], missing=-1).tolist() == [-1, 0]
    with pytest.raises(AdaptiveError, match="the student id passed is not in this state"):
        state.rows(["nobody"])  # the default: -1 would index a student
    with pytest.raises(TypeError, match='missing: expected "raise" or an integer'):
        state.rows(["a"], missing="Raise")


def test_a_refused_rows_call_does_not_read_every_id_again_after_a_student_is_added(
    monkeypatch,
) -> None:
    """`rows`' hint ("differs only in case") read every id of the state again (`KnownIds`)
    after each `add_students`, as its memo was keyed by the list and its length: at 400,000
    students a refusal cost ~2 s after one student was added (0.2 ms otherwise). The ids are
    read once per state; a student added is read alone, and hinted at."""
    from adaptive.data import codes
    from adaptive.tracing import base
    from adaptive.tracing.base import TracingState

    built: list[int] = []

    class Counted(codes.KnownIds):
        def __init__(self, ids) -> None:
            ids = list(ids)
            built.append(len(ids))
            super().__init__(ids)

    monkeypatch.setattr(base, "KnownIds", Counted)
    state = TracingState(["stu01", "stu02"], {"x": np.zeros(2)})
    for new in ("Stu03", "stu04"):
        with pytest.raises(UnknownStudentsError):
            state.rows(["nobody"])
        state.add_students([new], {})
    with pytest.raises(UnknownStudentsError) as err:
        state.rows(["STU03"])
    assert err.value.likely_matches == {0: "Stu03"}
    assert built == [2]


def test_a_student_id_where_rows_go_says_to_use_state_rows(fitted) -> None:
    state = fitted.init_state(["stu0000000"])
    for rows in ("stu0000000", ["stu0000000"], np.array(["stu0000000"])):
        with pytest.raises(TypeError, match=r"rows: expected state row numbers .*state\.rows\("):
            fitted.mastery(state, rows)
    with pytest.raises(TypeError, match=r"rows: expected state row numbers"):
        fitted.mastery(state, [0.5])
    assert fitted.mastery(state, state.rows(["stu0000000"])).shape == (1, len(fitted.skills_))


def test_a_minus_one_row_says_which_student_is_missing(fitted) -> None:
    state = fitted.init_state(["a"])
    with pytest.raises(ValueError, match=r"-1 .*not in the state.*state\.rows"):
        fitted.mastery(state, state.rows(["nobody"], missing=-1))


def test_update_still_adds_new_students(fitted) -> None:
    state = fitted.init_state()
    fitted.update(state, Response("new", "i0", ("k0",), 1))
    assert state.rows(["new"], missing="raise").tolist() == [0]


def test_an_answer_of_a_held_student_in_another_case_is_said_when_it_adds_a_student(
    fitted,
) -> None:
    """A vendor's trial: an app that wrote a known student's GUID in upper case sent their
    answer to a new, empty student (the state grew by one), and `update` said nothing. The
    answer still starts a student of its own (ids are case-sensitive), with a `StateWarning`
    by position, never by id; a held student's answer or a new id that reads as none says
    nothing, and `reserve` builds the look-up off the request path."""
    from adaptive.errors import StateWarning

    held = "9f1c2e4a-7b3d-4c5e-8f6a-1b2c3d4e5f60"
    state = fitted.init_state([held, "0042"])
    with pytest.warns(StateWarning, match="it differs only in case from a known") as said:
        fitted.update(state, Response(held.upper(), "i0", ("k0",), 1))
    assert len(state) == 3 and held.upper() not in str(said[0].message)
    with pytest.warns(StateWarning, match="2 students the state does not hold are added"):
        fitted.update(state, [Response("42", "i0", ("k0",), 1), Response("new", "i0", ("k0",), 0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted.update(state, Response(held, "i0", ("k0",), 1))
        fitted.update(state, Response("another", "i0", ("k0",), 1))
    fresh = fitted.init_state([held])
    fresh.reserve(10)
    assert fresh._known is not None and fresh._known.count == 1


@pytest.mark.parametrize(
    ("model", "params", "says"),
    [
        ("dkt", {"learning_rate": -1.0}, "learning_rate = -1.0 (expected a finite number > 0"),
        (
            "dkt",
            {"learning_rate": float("nan")},
            "learning_rate = nan (expected a finite number > 0",
        ),
        ("dkt", {"hidden_size": "16"}, "hidden_size = '16' (expected an integer)"),
        ("dkt", {"dropout": 1.5}, "dropout = 1.5 (expected a share in [0, 1)"),
        ("dkt", {"validation_fraction": 1.5}, "validation_fraction = 1.5 (expected a share in"),
        ("dkt", {"patience": 0}, "patience = 0 (expected a whole number >= 1"),
        ("dkt", {"seed": "a"}, "seed = 'a' (expected an integer)"),
        ("sakt", {"l2": -1.0}, "l2 = -1.0 (expected a finite number >= 0"),
        ("akt", {"d_model": 15, "n_heads": 2}, "expected d_model a multiple of n_heads"),
    ],
)
def test_a_deep_models_bad_training_knob_is_one_config_error(model, params, says) -> None:
    """A researcher's trial: a negative learning rate crashed `evaluate` (internal error, exit
    1) after the data was read; validation_fraction 1.5 left the model untrained; a text size
    reached torch. Each is one ConfigError naming the knob, from the spec or the constructor."""
    from adaptive.tracing.deep.akt import AKT
    from adaptive.tracing.deep.dkt import DKT
    from adaptive.tracing.deep.sakt import SAKT

    klass = {"dkt": DKT, "sakt": SAKT, "akt": AKT}[model]
    with pytest.raises(ConfigError, match=re.escape(says)):
        klass(**params).check_params()


#: Each kind of mistake a user makes in a deep model's knobs, and what the error says of it.
DEEP_KNOB_MISTAKES = [
    ("dkt", {"hidden_size": 0}, "hidden_size = 0 (expected a whole number >= 1)"),
    ("sakt", {"d_model": -8}, "d_model = -8 (expected a whole number >= 1)"),
    ("dkt", {"embedding_size": 0}, "embedding_size = 0 (expected a whole number >= 1)"),
    ("akt", {"dropout": 1.5}, "dropout = 1.5 (expected a share in [0, 1))"),
    ("sakt", {"learning_rate": -1.0}, "learning_rate = -1.0 (expected a finite number > 0)"),
    ("akt", {"window": 0}, "window = 0 (expected a whole number >= 1)"),
    ("akt", {"window": "20"}, "window = '20' (expected an integer)"),
    ("sakt", {"batch_size": 2.5}, "batch_size = 2.5 (expected an integer)"),
    ("dkt", {"items": "yes"}, "items = 'yes' (expected true or false)"),
    ("akt", {"progress": "no"}, "progress = 'no' (expected true or false)"),
    ("dkt", {"device": "gpu"}, "device = 'gpu' (expected 'cpu' or 'cuda')"),
]


def deep_class(model: str) -> type:
    from adaptive.tracing.deep.akt import AKT
    from adaptive.tracing.deep.dkt import DKT
    from adaptive.tracing.deep.sakt import SAKT

    return {"dkt": DKT, "sakt": SAKT, "akt": AKT}[model]


@pytest.mark.parametrize(("model", "params", "says"), DEEP_KNOB_MISTAKES)
def test_a_deep_models_constructor_refuses_a_bad_knob_where_it_is_written(
    model, params, says
) -> None:
    """`DKT(hidden_size=0)`, `AKT(window="20")` or `DKT(items="yes")` were accepted: the
    mistake surfaced at `fit`, after the data were read, or never (`items="yes"` read as true,
    AKT's text window reached torch mid-fit). The constructor now refuses it, naming the model,
    the knob, its value and what it takes."""
    klass = deep_class(model)
    with pytest.raises(ConfigError) as err:
        klass(**params)
    assert str(err.value) == f"{klass.__name__}: {says}"


@pytest.mark.parametrize(("model", "params", "says"), DEEP_KNOB_MISTAKES)
def test_a_deep_knob_mistake_reads_the_same_from_a_spec_and_from_python(
    model, params, says, tmp_path
) -> None:
    """`AKT(window="20")` said "window='20'; expected a whole number >= 1" and a spec's
    `window = "20"` "window = '20' (expected an integer)"; a spec's refusals named the model
    twice ("bad [params] for 'dkt': DKT: window=0; ..."). Now one format and one message,
    the model named once."""
    from adaptive.tracing.specs import build_model

    spec = tmp_path / "mine.toml"
    lines = [f"{k} = {json.dumps(v)}" for k, v in params.items()]  # TOML's scalars, as JSON's
    spec.write_text(f'model = "{model}"\n[params]\n' + "\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as err:
        build_model(spec)
    assert str(err.value) == f"{spec}: bad [params] for {model!r}: {says}"


def test_build_model_builds_the_probe_network_once(monkeypatch) -> None:
    """`build_model` built the throwaway network twice (the constructor's check, then
    `check_params()` again: 24 ms each for DKT); now the constructor's alone, then this
    machine's checks."""
    from adaptive.tracing.deep.dkt import DKT
    from adaptive.tracing.specs import build_model

    built = []
    network = DKT._network
    monkeypatch.setattr(DKT, "_network", lambda self: built.append(1) or network(self))
    build_model("dkt-tiny")
    assert len(built) == 1


def test_build_model_checks_a_bkt_or_logistic_spec_once_in_the_constructor(monkeypatch) -> None:
    """`build_model` ran BKT's `check_params` again after its constructor had; now every model
    checks its values in its constructor alone (a logistic model too: `IRT(C=-1.0)` was taken
    and refused by sklearn at `fit`)."""
    from adaptive.tracing.bkt import BKT
    from adaptive.tracing.logistic import IRT
    from adaptive.tracing.specs import build_model

    checked: list[str] = []
    for klass in (BKT, IRT):
        check = klass.check_params
        monkeypatch.setattr(
            klass, "check_params", lambda m, c=check: checked.append(m.name) or c(m)
        )
    build_model("bkt")
    build_model("irt")
    assert checked == ["bkt", "irt"]
    monkeypatch.undo()
    with pytest.raises(
        ValueError, match=re.escape("C = -1.0 (expected a regularization strength > 0)")
    ):
        IRT(C=-1.0)


@pytest.mark.parametrize(
    ("model", "params", "says"),
    [
        ("irt", {"discrimination": "yes"}, "IRT: discrimination = 'yes' (expected true or false)"),
        ("pfa", {"skill_sets": "no", "C": 0.0},
         "PFA: skill_sets = 'no' (expected true or false); C = 0.0 (expected a regularization"),
        ("best-lr", {"history": 2.5}, "BestLR: history = 2.5 (expected an integer)"),
    ],
)  # fmt: skip
def test_a_logistic_models_mistyped_knob_is_refused_not_misread(model, params, says) -> None:
    """`IRT(discrimination="yes")` was read as true without a word: the logistic models checked
    ranges but not types, so `build_model` left a mistyped param out and built the model with
    its default in its place. Now every model checks its types itself, as BKT's and the deep
    models' constructors do, and names every wrong knob at once."""
    from adaptive.tracing.specs import model_class

    with pytest.raises(ValueError) as err:
        model_class(model)(**params)
    assert str(err.value).startswith(says), str(err.value)


@pytest.mark.parametrize(
    ("model", "params", "says"),
    [
        ("pfa", {"transform": "x", "C": -1},
         "PFA: C = -1 (expected a regularization strength > 0); "
         "transform = 'x' (expected 'log1p' or 'none')"),
        ("best-lr", {"windows": 1.5, "history": 0},
         "BestLR: history = 0 (expected a whole number >= 1); "
         "windows = 1.5 (expected a list of widths in seconds, each a whole number >= 1)"),
    ],
)  # fmt: skip
def test_a_logistic_model_names_every_wrong_value_in_one_params_refused(
    model, params, says
) -> None:
    """`PFA(transform="x", C=-1)` raised a bare `ConfigError` about the transform alone (the C
    problem lost, and `except ValueError` missed it), and `BestLR(windows=1.5)` a raw
    "TypeError: 'float' object is not iterable". Each model now names every wrong value at
    once, in a spec's words, in one `ParamsRefused`, as BKT and the deep models do."""
    from adaptive.tracing.specs import ParamsRefused, model_class

    with pytest.raises(ParamsRefused) as err:
        model_class(model)(**params)
    assert str(err.value) == says


def test_set_params_refuses_a_bad_knob_and_leaves_the_model_as_it_was() -> None:
    """`build_model("dkt-tiny").set_params(window=0)` was accepted and failed at `fit`."""
    model = deep_class("dkt")(window=20)
    with pytest.raises(ConfigError, match=re.escape("DKT: window = 0 (expected a whole number")):
        model.set_params(max_epochs=3, window=0)
    assert (model.window, model.max_epochs) == (20, 50)


def test_a_model_saved_for_another_machine_still_loads(tmp_path) -> None:
    """The constructor checks values, not this machine: a model trained with bfloat16 on an AMX
    machine is read back on any CPU (prediction runs in float32), as `load` builds it with its
    saved hyperparameters."""
    from adaptive.tracing.base import KnowledgeTracer
    from adaptive.tracing.deep.dkt import lstm_runs_in_bfloat16

    klass = deep_class("dkt")
    model = klass(hidden_size=4, embedding_size=4, max_epochs=1, progress=False)
    model.fit(small_log()).save(tmp_path / "m")
    saved = tmp_path / "m" / "model.json"
    meta = json.loads(saved.read_text())
    meta["params"]["precision"] = "bfloat16"
    saved.write_bytes(sealed_json(meta))
    assert KnowledgeTracer.load(tmp_path / "m").precision == "bfloat16"
    if not lstm_runs_in_bfloat16():  # ... while this machine cannot train with it
        with pytest.raises(ConfigError, match="cannot run the LSTM in bfloat16"):
            KnowledgeTracer.load(tmp_path / "m").fit(small_log())


def torch_sees_a_gpu() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.skipif(torch_sees_a_gpu(), reason="this machine has a GPU: nothing to fall back from")
def test_a_model_trained_on_a_gpu_predicts_on_a_machine_without_one(tmp_path) -> None:
    """A data scientist trains on a GPU box, the nightly job runs on CPUs: loading ended in
    torch's own error (the network moved to 'cuda'). It predicts on the CPU, the same."""
    from adaptive.tracing.base import KnowledgeTracer

    model = deep_class("dkt")(hidden_size=4, embedding_size=4, max_epochs=1, progress=False)
    log = small_log()
    model.fit(log).save(tmp_path / "m")
    saved = tmp_path / "m" / "model.json"
    meta = json.loads(saved.read_text())
    meta["params"]["device"] = "cuda"
    saved.write_bytes(sealed_json(meta))
    loaded = KnowledgeTracer.load(tmp_path / "m")
    assert loaded.device == "cuda"
    np.testing.assert_allclose(loaded.predict_proba(log), model.predict_proba(log), atol=1e-6)
    with pytest.raises(ConfigError, match="torch sees no GPU"):
        loaded.fit(log)


def test_l2_that_cannot_apply_is_said() -> None:
    """A researcher's trial: l2 on a model without item embeddings changed nothing, silently."""
    from adaptive.errors import FitWarning
    from adaptive.tracing.deep.sakt import SAKT

    with pytest.warns(FitWarning, match="l2=1.0: it penalizes the item embeddings"):
        SAKT(l2=1.0).check_params()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitWarning)
        SAKT().check_params()  # the default says nothing
        SAKT(l2=1.0, items=True).check_params()


def test_the_deep_models_import_from_their_package_without_torch_before() -> None:
    """A data scientist's trial: `from adaptive.tracing.deep import DKT` failed (the classes
    lived only in `.dkt`, `.sakt`, `.akt`). They import from the package, which itself still
    imports no torch (a vendor's BKT-only process stays light)."""
    import subprocess
    import sys

    code = (
        "import sys, adaptive.tracing.deep as d; assert 'torch' not in sys.modules; "
        "from adaptive.tracing.deep import DKT, SAKT, AKT; "
        "from adaptive.tracing.deep.akt import AKT as A; assert A is AKT; print(DKT.name)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "dkt"


def test_the_idle_l2_warning_names_the_users_line() -> None:
    """It named the frame above the user's (`sys:1` from a script), so a module's warning filter
    (`-W error::FitWarning:mymodule`) missed it; now the constructor's and `set_params`' warning
    name the line that set l2."""
    from adaptive.errors import FitWarning
    from adaptive.tracing.deep.sakt import SAKT

    with pytest.warns(FitWarning) as built:
        SAKT(l2=1.0)
    with pytest.warns(FitWarning) as set_later:
        SAKT().set_params(l2=1.0)
    assert [w.filename for w in [*built, *set_later]] == [__file__, __file__]


def dkt(**params: object) -> object:
    from adaptive.tracing.deep.dkt import DKT  # torch loads only for the test that needs it

    return DKT(**params)


@pytest.mark.parametrize(
    "make, said",
    [
        (lambda: BKT(forget=True), "BKT(...): unknown keyword 'forget' (did you mean 'forgets'?)"),
        (lambda: BKT().set_params(num_fit=3),
         "BKT.set_params: unknown keyword 'num_fit' (did you mean 'num_fits'?)"),
        (lambda: IRT(c=0.5), "IRT(...): unknown keyword 'c' (did you mean 'C'?)"),
        (lambda: dkt(hiden_size=64),
         "DKT(...): unknown keyword 'hiden_size' (did you mean 'hidden_size'?)"),
    ],
)  # fmt: skip
def test_a_misspelt_keyword_names_the_one_meant_and_the_valid_ones(make, said) -> None:
    """`BKT(forget=True)` was Python's bare "__init__() got an unexpected keyword argument
    'forget'", and `set_params` listed the valid names without the one meant. Still a
    `TypeError`, as Python's was, and a `ValueError`, as `set_params`'s was."""
    with pytest.raises(UnknownKeywordError) as err:
        make()
    assert all(isinstance(err.value, kind) for kind in (TypeError, ValueError, ConfigError))
    assert str(err.value).startswith(said), err.value
    assert "; valid keywords: " in str(err.value) and "__init__" not in str(err.value)


def test_several_misspelt_keywords_are_named_in_one_error_with_the_valid_ones_once() -> None:
    with pytest.raises(UnknownKeywordError) as err:
        BKT(forget=True, n_restart=5)
    message = str(err.value)
    assert message.startswith(
        "BKT(...): unknown keywords 'forget' (did you mean 'forgets'?) and 'n_restart' (did "
        "you mean 'num_fits'?); valid keywords: fitter, fixed, forgets,"
    ), message
    assert message.count("valid keywords") == 1


def test_the_keyword_check_leaves_each_models_signature_for_help_and_ides() -> None:
    """The check runs in `__new__`: `help(BKT)` and an IDE still read `__init__`'s keywords."""
    assert list(inspect.signature(BKT).parameters)[:2] == ["forgets", "multigs"]
    assert list(inspect.signature(IRT).parameters)[0] == "C"
    model = BKT(forgets=True, num_fits=2)
    assert pickle.loads(pickle.dumps(model)).get_params() == model.get_params()
    assert model.clone().get_params() == model.get_params()


def test_a_placement_with_ids_in_another_case_and_without_zeros_names_both(fitted) -> None:
    """A vendor's trial: another district's records wrote 'STU9000001' for the roster's
    'stu9000001' and '4501' for '0004501'; the warning named the zeros alone, and advised
    read_placement, which the vendor had used: the file itself writes them otherwise."""
    from adaptive.errors import PlacementWarning
    from adaptive.placement import Placement

    state = fitted.init_state(["0007731", "stu9000001"])
    skills = tuple(fitted.skills_)
    records = Placement(("7731", "STU9000001"), skills, np.full((2, len(skills)), 0.9))
    with pytest.warns(PlacementWarning, match="read as held students") as said:
        fitted.place(state, records)
    words = " ".join(str(w.message) for w in said)
    assert "the 1st differs from a known student's id only in zeros" in words, words
    assert "the 2nd differs only in case from a known student's id" in words, words
    assert "correct it" in words and "7731" not in words and "STU9" not in words
