"""A data scientist's first line: `from adaptive.tracing import BKT` (stop 52's hand trial got
"ImportError: cannot import name 'BKT' from 'adaptive.tracing'")."""

import subprocess
import sys


def test_every_model_and_build_model_import_from_the_package():
    from adaptive.tracing import BKT, IRT, PFA, BestLR, build_model
    from adaptive.tracing.bkt import BKT as BKT_
    from adaptive.tracing.logistic import IRT as IRT_
    from adaptive.tracing.specs import build_model as build_model_

    assert (BKT, IRT, build_model) == (BKT_, IRT_, build_model_)
    assert PFA.__name__ == "PFA" and BestLR.__name__ == "BestLR"
    assert type(build_model("bkt")) is BKT


def test_importing_the_package_does_not_import_torch_or_the_models():
    code = (
        "import sys, adaptive.tracing; "
        "print('torch' in sys.modules, 'adaptive.tracing.bkt' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_name_the_package_lacks_is_an_attribute_error():
    import adaptive.tracing

    try:
        adaptive.tracing.Bkt  # noqa: B018
    except AttributeError as e:
        assert "Bkt" in str(e)
    else:
        raise AssertionError("expected an AttributeError")
