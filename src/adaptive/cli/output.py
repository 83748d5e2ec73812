"""Where the command line writes, and how much: one place for every command.

- `console` prints results (tables, JSON, verdicts) to stdout. In a terminal it uses the
  terminal's width; written to a file or a pipe it is never cut at 80 columns (rich's default
  there): lines are as wide as their content, unless `COLUMNS` is set.
- `err_console` prints errors to stderr, the same way, and the informational lines (`info`), so
  that stdout holds the results alone (`adaptive recommend --json | jq` parses).
- `--quiet` (every command, `set_quiet`) keeps the results and drops the rest: progress bars
  (the deep models' epoch lines and bars too: `adaptive.progress`), informational lines
  (`info`), MLflow's "View run ... at" links and its log lines.
- `--debug` (`adaptive --debug CMD`, or `ADAPTIVE_DEBUG=1`) shows the traceback of an
  internal error instead of the one-line message.
- A closed output (`adaptive ... | head -1`) raises `OutputClosed`, from `console` and `echo`
  alike, which `adaptive.cli.run` turns into a quiet exit.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from typing import TextIO

import typer
from rich.console import Console
from rich.markup import escape

from adaptive.progress import progress_shown, show_progress

# Width for output that is not a terminal: wide enough that no table or line is ever cut.
UNLIMITED_WIDTH = 10_000


@dataclass
class Settings:
    """Switches shared by every command for one invocation."""

    quiet: bool = False
    debug: bool = False
    saved: dict = field(default_factory=dict)  # what `set_quiet(True)` changed, to restore


SETTINGS = Settings(debug=os.environ.get("ADAPTIVE_DEBUG", "") not in ("", "0"))


def output_width(stream: TextIO) -> int | None:
    """The width for a console on `stream`: the terminal's (None) or, off a terminal, unlimited.

    Rich falls back to 80 columns when stdout is a file or a pipe (and to the terminal's width
    when only stdin is one), which cuts tables; an explicit `COLUMNS` still wins.
    """
    try:
        if stream.isatty():
            return None
    except (AttributeError, ValueError):
        pass
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else UNLIMITED_WIDTH


class OutputClosed(Exception):
    """The reader of the command's output went away (`adaptive validate ... | head -1`).

    Not an `OSError`, on purpose: click answers a `BrokenPipeError` that reaches it with
    `sys.exit(1)`, the exit code of an internal error here, without a word; this one passes
    through click to `adaptive.cli.run`, which ends the command quietly (`BROKEN_PIPE`).
    """


class CliConsole(Console):
    """A rich `Console` whose closed output raises `OutputClosed` (rich's own answer to a
    `BrokenPipeError` is `SystemExit(1)`)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more to write: the reader is gone
        raise OutputClosed("the reader of the output closed it")


console = CliConsole(width=output_width(sys.stdout))
err_console = CliConsole(stderr=True, width=output_width(sys.stderr), highlight=False)


# MLflow reads this each time a run ends against a server, before printing the run's link.
MLFLOW_NO_LINKS = "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"
_NOISY_LOGGERS = ("mlflow", "alembic")


def set_quiet(quiet: bool) -> None:
    """Keep only results: no progress, no info lines, no MLflow run links or log lines.

    Reversible (`set_quiet(False)` undoes what `set_quiet(True)` set), as one process may run
    several commands (tests, an embedding app).
    """
    if quiet and not SETTINGS.quiet:
        SETTINGS.saved = {
            "env": os.environ.get(MLFLOW_NO_LINKS),
            "progress": progress_shown(),
            **{name: logging.getLogger(name).level for name in _NOISY_LOGGERS},
        }
        os.environ[MLFLOW_NO_LINKS] = "true"
        show_progress(False)  # the deep models' epoch lines and bars
        for name in _NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
    elif not quiet and SETTINGS.quiet:
        saved = SETTINGS.saved
        if saved.get("env") is None:
            os.environ.pop(MLFLOW_NO_LINKS, None)
        else:
            os.environ[MLFLOW_NO_LINKS] = saved["env"]
        for name in _NOISY_LOGGERS:
            logging.getLogger(name).setLevel(saved.get(name, logging.NOTSET))
        show_progress(saved.get("progress", True))
    SETTINGS.quiet = quiet


def set_debug(debug: bool) -> None:
    """Show the traceback of an internal error (for a bug report) instead of one line; the
    library's own switch (`ADAPTIVE_DEBUG`, e.g. the Spark engine's log) follows it."""
    SETTINGS.debug = SETTINGS.debug or debug
    if SETTINGS.debug:
        os.environ["ADAPTIVE_DEBUG"] = "1"


def definitions(meanings: dict[str, str], names, after: str = "") -> str:
    """What each of `names` is, for the caption under a table (`adaptive ope`'s metrics,
    `experiment analyze`'s outcomes): "name: meaning; ..." in their order, each once, those
    `meanings` defines; `after` appended (e.g. " (horizon 7 days)"); "" when none is."""
    shown = [name for name in dict.fromkeys(names) if name in meanings]
    said = "; ".join(f"{name}: {meanings[name]}" for name in shown)
    return f"{said}{after}" if said else ""


def info(text: str, dim: str = "") -> None:
    """An informational line (counts, file paths, the model used): to stderr, unless `--quiet`,
    so that what a command prints on stdout is its result alone (a JSON stays parseable). The
    text is printed as it is, brackets included (a trial's "A policy without a [grade_table]"
    lost its "[grade_table]" to the console's markup); `dim` is a prefix printed dimmed."""
    if not SETTINGS.quiet:
        prefix = f"[dim]{escape(dim)}[/] " if dim else ""
        err_console.print(prefix + escape(text), highlight=False, soft_wrap=True)


def warn(text: str) -> None:
    """One `warning:` line on stderr (also under `--quiet`: a warning is not a count)."""
    err_console.print(f"[bold yellow]warning:[/] {escape(text)}", soft_wrap=True)


def echo(text: str) -> None:
    """Plain text to stdout, as it is (JSON, the version: no markup, no wrapping); a closed
    stdout raises `OutputClosed`, as `console` does."""
    try:
        typer.echo(text)
    except BrokenPipeError as exc:
        raise OutputClosed("the reader of the output closed it") from exc
