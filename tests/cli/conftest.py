"""Run the `adaptive` command in-process as the console script does (`adaptive.cli.run`)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from adaptive.cli import run


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@pytest.fixture
def cli(capsys):
    """cli(*args) -> Result(code, out, err): the exit code `main` would exit with, and output."""

    def invoke(*args: str) -> Result:
        code = run([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke  # each command's --quiet ends with it (`run`)
