"""Every exception class of the library survives pickling, as an error raised in a worker of the
nightly job (`adaptive.batch.processes.forked_pool`) reaches the run that started it: the same
class, the same message, the same attributes. A class whose `__init__` takes more than the
message (`UnknownStudentsError(message, positions)`) was rebuilt from its message alone, and the
parent got a TypeError, or a pool "terminated abruptly", in place of the error raised.

The classes are found by walking the package, so that a new one is covered; one whose
`__init__` the library wrote is built from `BUILT` (add it there)."""

from __future__ import annotations

import importlib
import operator
import pickle
import signal
from collections.abc import Callable
from concurrent.futures import as_completed
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import adaptive

#: A message for the classes built from their message alone.
MESSAGE = "responses.csv, line 3, column 'correct': got 'yes'; expected 0 or 1"


def _job_summary() -> Any:
    from adaptive.batch.job import JobSummary

    return JobSummary(
        date="2024-03-05", model_name="demo-district", model_version="3",
        students_served=40, schools=2, partitions_written=2, partitions_resumed=0,
        new_responses=120, state_rebuilt=False, previous_snapshot="2024-03-04",
        rows_quarantined=0, students_without_profile=0, share_stuck=0.05, seconds=1.5,
        out=Path("/data/nightly"),
    )  # fmt: skip


def _problem() -> Any:
    from adaptive.errors import Problem

    return Problem("responses.csv", 3, "correct", "yes", "0 or 1")


#: How to build each class whose `__init__` the library wrote: a function returning the error,
#: and the attributes to compare after the round trip (a dotted path reads into one).
BUILT: dict[str, tuple[Callable[[type], BaseException], tuple[str, ...]]] = {
    "adaptive.errors.DataValidationError": (
        lambda cls: cls([_problem()] * 4, total=5_000, hint="see `adaptive validate --help`"),
        ("problems", "total"),
    ),
    "adaptive.errors.UnknownStudentsError": (
        lambda cls: cls(
            "2 of the 40 student ids passed (the 3rd and 17th) are not in this state",
            positions=[2, 16],
            likely_matches={2: "S-0003"},
        ),
        ("positions", "likely_matches"),
    ),
    "adaptive.errors.LateAnswerWarning": (
        lambda cls: cls("3 answers arrived late", students=("S-1", "S-2"), count=3),
        ("students", "count"),
    ),
    "adaptive.errors.FutureAnswerWarning": (
        lambda cls: cls(
            "1 answer is dated after this machine's clock",
            students=("S-1",),
            count=1,
            latest=pd.Timestamp("2030-01-01", tz="UTC"),
        ),
        ("students", "count", "latest"),
    ),
    "adaptive.errors.RepeatedAnswerWarning": (
        lambda cls: cls("an answer was given twice", students=("S-1",)),
        ("students",),
    ),
    "adaptive.errors.LeakageWarning": (
        lambda cls: cls("10 of the 22 students scored were trained on", count=10, scored=22),
        ("count", "scored"),
    ),
    "adaptive.errors.StateWarning": (
        lambda cls: cls("a state made by another model", made_by="ab12", used_by="cd34"),
        ("made_by", "used_by"),
    ),
    "adaptive.tracing.specs.ParamsRefused": (
        lambda cls: cls("DKT", "window = 0 (expected a whole number >= 1)"),
        ("reason",),
    ),
    "adaptive.policy.config.PolicyProblems": (
        lambda cls: cls(["target_p_correct = 1.8; expected a number in (0, 1)"], "policy.toml"),
        ("problems",),
    ),
    "adaptive.policy.config.PolicyKeywordProblems": (
        lambda cls: cls(["unknown keyword 'typo'", "target_p_correct = 5"], "PolicyConfig(...)"),
        ("problems",),
    ),
    "adaptive.curriculum.cycles.PrerequisiteCycleError": (
        lambda cls: cls({"3.NF.1": ["3.NF.2"], "3.NF.2": ["3.NF.1"]}, positions={"3.NF.1": 0}),
        ("cycles", "shown"),
    ),
    "adaptive.curriculum.profile.ProfileValueError": (
        lambda cls: cls("S-0003", "weight 1.5; expected a number in [0, 1]"),
        ("problem",),
    ),
    "adaptive.batch.job.SummaryNotLoggedError": (
        lambda cls: cls(_job_summary(), "the MLflow server did not answer"),
        ("summary.date", "summary.out", "summary.students_served"),
    ),
    "adaptive.cli.Stopped": (lambda cls: cls(signal.SIGTERM), ("signal", "code")),
}


def _modules() -> list[str]:
    """Every Python module of the package (a compiled helper, `_bkt_filter.so`, is not one)."""
    root = Path(adaptive.__file__).parent
    names = []
    for file in sorted(root.rglob("*.py")):
        parts = file.relative_to(root.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _exception_classes() -> dict[str, type[BaseException]]:
    """Each exception (and warning) class the package defines, by its dotted name."""
    found = {}
    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            defined_here = isinstance(value, type) and value.__module__ == name
            if defined_here and issubclass(value, BaseException):
                found[f"{name}.{value.__qualname__}"] = value
    return found


CLASSES = _exception_classes()


def _own_init(cls: type) -> bool:
    """Whether the library wrote an `__init__` for `cls` (or a base of it)."""
    return any("__init__" in vars(c) for c in cls.__mro__ if c.__module__.startswith("adaptive"))


def _built(name: str, cls: type[BaseException]) -> tuple[BaseException, tuple[str, ...]]:
    if name in BUILT:
        build, attributes = BUILT[name]
        return build(cls), attributes
    if _own_init(cls):
        pytest.fail(
            f"{name} has its own __init__: add it to BUILT in {Path(__file__).name} "
            "(how to build one, and the attributes to compare after pickling)"
        )
    return cls(MESSAGE), ()


def test_the_classes_are_found() -> None:
    assert {"adaptive.errors.UnknownStudentsError", "adaptive.batch.job.BatchWorkerError"} < set(
        CLASSES
    )
    assert set(BUILT) <= set(CLASSES), "BUILT names a class that is gone"


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_an_error_survives_pickling(name: str) -> None:
    err, attributes = _built(name, CLASSES[name])
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert str(copy) == str(err)
    assert copy.args == err.args
    assert vars(copy).keys() == vars(err).keys()
    for attribute in attributes:
        read = operator.attrgetter(attribute)
        assert read(copy) == read(err), attribute


def _raise_unknown_students(_: str) -> None:
    from adaptive.errors import UnknownStudentsError

    raise UnknownStudentsError("1 of the 3 student ids passed (the 2nd) is unknown", [1])


def test_an_error_raised_in_a_worker_reaches_the_parent_as_raised() -> None:
    """The nightly job's path (`_serve_schools`): a school served in a forked worker, its error
    read by `future.result()` in the parent."""
    from adaptive.batch.processes import forked_pool
    from adaptive.errors import UnknownStudentsError

    with forked_pool(2) as pool:
        futures = [pool.submit(_raise_unknown_students, school) for school in ("a", "b")]
        for future in as_completed(futures):
            with pytest.raises(UnknownStudentsError, match=r"\(the 2nd\) is unknown") as raised:
                future.result()
            assert raised.value.positions == (1,)
