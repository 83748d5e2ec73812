"""The `adaptive` command line: a thin layer over the library.

Each command calls one public library function that a vendor could call in-process with the same
result. Commands live in one module per concept (`cli/data.py`, `cli/tracing.py`, ...), each
exposing `register(app)`. Library errors (`AdaptiveError`) print their message and exit with 2,
never a bare traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from adaptive.errors import AdaptiveError

app = typer.Typer(
    name="adaptive",
    help="Knowledge tracing and personalized learning paths at district scale.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)

# Command modules; each has `register(app)`. Listed here so the CLI is discoverable in one place.
COMMAND_MODULES = (
    "adaptive.cli.data",
    "adaptive.cli.simulation",
    "adaptive.cli.tracing",
    "adaptive.cli.policy",
    "adaptive.cli.lifecycle",
)

for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as _exc:  # a command module not written yet
        if _exc.name != _name:
            raise
        continue
    _module.register(app)


def main() -> None:
    """Entry point: run the app, turning library errors into a message and exit code 2."""
    try:
        app(standalone_mode=False)
    except AdaptiveError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
