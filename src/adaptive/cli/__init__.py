"""The `adaptive` command line: a thin layer over the library.

Each command calls one public library function that a vendor could call in-process with the same
result. Commands live in one module per concept (`cli/data.py`, `cli/tracing.py`, ...), each
exposing `register(app)`.

Exit codes (`main`):
- 0: success (and `-h`/`--help`, `--version`; `promote` also when it decides not to promote);
- 2: a usage error (unknown command or option, missing or invalid value: click's usage line and
  one error line) or a library error (`AdaptiveError`: bad data, config or artifact, one message);
- 1: an internal error (a bug): one line naming it; `adaptive --debug CMD` or `ADAPTIVE_DEBUG=1`
  shows the traceback;
- 3: the machine refused a file operation (a folder not writable, a disk full, a file-size
  limit): one line naming the path and the reason;
- 130: interrupted (Ctrl-C);
- 141: the reader of stdout closed it early (`adaptive validate ... | head -1`): the command
  stops without a word, as a shell reports a process ended by SIGPIPE (128 + 13);
- 143: stopped by SIGTERM (`timeout`, systemd, a cron wrapper: 128 + 15): one line saying so
  (for `batch`: the partitions written so far are kept, and the same command resumes); the
  command unwinds as on Ctrl-C, so its lock is released and its worker processes stopped.
Never a bare traceback, never a silent success.
"""

from __future__ import annotations

import contextvars
import errno
import functools
import importlib
import inspect
import os
import re
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.markup import escape

from adaptive.cli.output import (
    SETTINGS,
    OutputClosed,
    echo,
    err_console,
    set_debug,
    set_quiet,
    warn,
)
from adaptive.errors import AdaptiveError

USAGE_ERROR = 2
INTERNAL_ERROR = 1
INTERRUPTED = 130
BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a process ended by a closed pipe

# What re-running a command stopped midway does, by command (said in the line `run` prints,
# where the library set no `after_stop` of its own), and for every other command
# (`AFTER_A_STOP_ELSE`): the one table of these words (README: "one `stopped:` line saying what
# running the command again does"; a trial's Ctrl-C read "the command did not finish" alone).
# True however early the stop came: a night stopped before it wrote a partition (while reading
# its inputs) has none to keep (a trial's SIGTERM after a second read "the partitions written
# so far are kept" of no output folder); a train stopped after it printed "registered ...
# version N" has that version, whole.
AFTER_A_STOP = {
    "batch": "any partitions written so far are kept: run the same command again to resume",
    "train": (
        "no model version is half-registered (a version is registered whole, as the last "
        "step; one said registered above stands; an MLflow run it opened ends FAILED): run the "
        "same command again for a fresh training run"
    ),
    "demo": (
        "run it again: it reuses the demo district once written, trains again and promotes "
        "only if better, and the night resumes from the partitions it kept"
    ),
}
#: A command not in `AFTER_A_STOP`: its output files are written whole or not at all.
AFTER_A_STOP_ELSE = (
    "the command did not finish, and no output file is half-written (each is written whole "
    "or not at all): run the same command again to start over"
)

app = typer.Typer(
    name="adaptive",
    help="Knowledge tracing and personalized learning paths at district scale.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Command modules; each has `register(app)`. Listed here so the CLI is discoverable in one place.
COMMAND_MODULES = (
    "adaptive.cli.data",
    "adaptive.cli.simulation",
    "adaptive.cli.tracing",
    "adaptive.cli.policy",
    "adaptive.cli.lifecycle",
    "adaptive.cli.report",
    "adaptive.cli.ope",
    "adaptive.cli.experiment",
)


def package_version() -> str:
    """The installed distribution's version (pyproject's `version`: `adaptive.__version__`)."""
    import adaptive

    return adaptive.__version__


def _print_version(value: bool) -> None:
    if value:
        echo(f"adaptive {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the traceback of an internal error (for bug reports)."),
    ] = False,
) -> None:
    """Knowledge tracing and personalized learning paths at district scale."""
    # the command's --quiet and --debug end with it, however it was run (`run`, typer's
    # CliRunner, an app calling the click command) and however it ended (an option that failed
    # to parse after --quiet included): a process left quiet silenced a later deep model's
    # progress (CI's test_deep); `run` undoes --debug itself, after the failure is shown
    ctx.call_on_close(_settings_restorer(restore_debug=not _RUN_UNDOES_DEBUG.get()))
    set_debug(debug)


#: True while `run` runs a command: it undoes `--debug` itself, once the failure is shown.
_RUN_UNDOES_DEBUG: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "run_undoes_debug", default=False
)


def _settings_restorer(restore_debug: bool) -> Callable[[], None]:
    """A call that puts `--quiet` (and `--debug`, with `restore_debug`) back as they are now: a
    process its embedder keeps quiet (`set_quiet(True)`) or in debug (`ADAPTIVE_DEBUG=1`) stays
    so."""
    was_quiet, debug_now = SETTINGS.quiet, _debug_now()

    def restore() -> None:
        set_quiet(was_quiet)
        if restore_debug:
            _set_debug_back(*debug_now)

    return restore


def _debug_now() -> tuple[bool, str | None]:
    return SETTINGS.debug, os.environ.get("ADAPTIVE_DEBUG")


def _set_debug_back(was_debug: bool, env_debug: str | None) -> None:
    SETTINGS.debug = was_debug
    if env_debug is None:
        os.environ.pop("ADAPTIVE_DEBUG", None)
    else:
        os.environ["ADAPTIVE_DEBUG"] = env_debug


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as _exc:  # a command module not written yet
        if _exc.name != _name:
            raise
        continue
    _module.register(app)


@functools.cache
def command() -> Any:
    """The app as one command (typer's own click), built once, its flags shown without a type
    in `--help`: typer 0.29 gives every flag the type `<bool>` (`--quiet <bool>`), which reads
    as an option that takes a value."""
    root = typer.main.get_command(app)
    stack = [root]
    while stack:
        cmd = stack.pop()
        for param in cmd.params:
            _without_type(param)
        cmd.get_help_option = _help_without_type(cmd.get_help_option)  # built per context
        cmd.help = reflowed(cmd.help)
        stack.extend(getattr(cmd, "commands", {}).values())
    root.invoke = _stopped_on_ctrl_c(root.invoke)
    return root


def _stopped_on_ctrl_c(invoke: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The command's run, with a KeyboardInterrupt raised as `Stopped(SIGINT)`: typer answers a
    KeyboardInterrupt with a silent exit 130, and one comes where `run`'s SIGINT handler is
    not installed (a thread; pyspark's own handler, installed with the Spark engine's session).
    What the library set on it for the command line (`after_stop`) is kept."""

    def run_it(ctx: Any) -> Any:
        try:
            return invoke(ctx)
        except KeyboardInterrupt as exc:
            stopped = Stopped(signal.SIGINT)
            stopped.after_stop = getattr(exc, "after_stop", None)  # type: ignore[attr-defined]
            raise stopped from exc

    return run_it


def reflowed(text: str | None) -> str | None:
    """A command's docstring as `--help` should show it: each paragraph's lines joined, so the
    help wraps to the terminal (typer keeps a docstring's line breaks after its first paragraph,
    and the help read "promoted or not ... which and why);" on one line and "2 on an error" on
    the next, ragged at 80 columns). Paragraphs stay apart; a line starting with "-" or "*" (a
    list) or indented (an example) keeps its own line."""
    if not text:
        return text
    out = []
    for paragraph in re.split(r"\n\s*\n", inspect.cleandoc(text)):
        lines: list[str] = []
        for line in paragraph.splitlines():
            keep = not lines or line.startswith((" ", "-", "*"))
            if keep:
                lines.append(line)
            else:
                lines[-1] += " " + line.strip()
        out.append("\n".join(lines))
    return "\n\n".join(out)


def _without_type(param: Any) -> Any:
    """A flag's help shows no type (see `command`); other parameters are left as they are."""
    if param is not None and getattr(param, "is_flag", False) and param.metavar is None:
        param.metavar = ""
    return param


def _help_without_type(get_help_option: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda ctx: _without_type(get_help_option(ctx))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn every failure into a message and an exit code.

    See the module docstring for the codes; `argv` defaults to `sys.argv[1:]`.
    """
    # MLflow's own INFO log lines ("Creating initial MLflow database tables...", twice on a
    # first `train`) are not the command's: warnings and errors still show (a user's own
    # MLFLOW_LOGGING_LEVEL wins); its run links are printed, not logged, and stay
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """Run the app on `argv`; return the exit code instead of exiting (`main` exits with it)."""
    # each restored afterwards: warnings, signal handlers, --debug (--quiet: `_root`)
    with warnings.catch_warnings(), _stopped_by_signals(), _debug_for_this_command():
        warnings.showwarning = _show_warning
        return _run(argv)


@contextmanager
def _debug_for_this_command() -> Iterator[None]:
    """A command's `--debug` ends with the command (it stayed on, `ADAPTIVE_DEBUG=1` set, for
    the rest of the process: an app's later command printed tracebacks). Undone here, after the
    failure is shown (the error's handler reads it), not when the command's context closes, as
    every other entry point's is (`_root`)."""
    debug_now = _debug_now()
    token = _RUN_UNDOES_DEBUG.set(True)
    try:
        yield
    finally:
        _RUN_UNDOES_DEBUG.reset(token)
        _set_debug_back(*debug_now)


class Stopped(SystemExit):
    """The command received a stop signal (SIGTERM, or Ctrl-C's SIGINT): raised in the main
    thread by the handler `_stopped_by_signals` installs, so the command unwinds (its `finally`
    blocks release the date lock, its process pools are shut down) and `_run` says so in one
    line. A `SystemExit` (status 128 + the signal's number), so `except Exception` never
    swallows it, nor does typer's own answer to a KeyboardInterrupt (a silent exit 130: a
    KeyboardInterrupt raised elsewhere becomes one too, `_stopped_on_ctrl_c`)."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signal = signal.Signals(signum)

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled as its signal (Python's own way rebuilt it from its exit status, 128 + the
        signal, which `__init__` refused)."""
        return (type(self), (self.signal,), self.__dict__)

    @property
    def by(self) -> str:
        """The signal as the user knows it: "Ctrl-C (SIGINT)", "SIGTERM"."""
        return "Ctrl-C (SIGINT)" if self.signal == signal.SIGINT else self.signal.name


#: The signals `run` turns into `Stopped`, each over the default it replaces (Python's
#: KeyboardInterrupt for SIGINT, termination for SIGTERM).
STOP_SIGNALS = {signal.SIGTERM: signal.SIG_DFL, signal.SIGINT: signal.default_int_handler}


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGINT raise `Stopped` in this process. Only from the
    main thread (where Python runs signal handlers) and only over each default (a signal ignored
    or handled by whoever embeds us is left alone); the defaults are restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    me = os.getpid()

    def stop(signum: int, frame: object) -> None:  # noqa: ARG001
        if os.getpid() != me:  # a forked child inherited the handler (before its own setup)
            if signum == signal.SIGINT:  # Ctrl-C is the parent's to answer, as a worker's is
                signal.signal(signum, signal.SIG_IGN)  # (a KeyboardInterrupt printed a trace)
                return
            signal.signal(signum, STOP_SIGNALS[signal.Signals(signum)])
            os.kill(os.getpid(), signum)  # SIGTERM: die as it would have
            return
        raise Stopped(signum)

    ours = [sig for sig, default in STOP_SIGNALS.items() if signal.getsignal(sig) is default]
    for sig in ours:
        signal.signal(sig, stop)
    try:
        yield
    finally:
        for sig in ours:
            signal.signal(sig, STOP_SIGNALS[sig])


def _run(argv: list[str] | None) -> int:
    try:
        result = command().main(args=argv, prog_name="adaptive", standalone_mode=False)
    except Stopped as exc:
        _show_stopped(exc, exc.by, argv)
        return 128 + exc.signal
    except typer.Exit as exc:  # help, --version
        return exc.exit_code
    except typer.TyperException as exc:  # usage errors (click's): the usage line and the error
        _show_usage_error(exc)
        return exc.exit_code
    except typer.Abort:
        err_console.print("Aborted.")
        return INTERRUPTED
    except OutputClosed:
        return _output_closed()
    except AdaptiveError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return USAGE_ERROR
    except OSError as exc:
        if exc.errno not in SYSTEM_ERRNOS:
            return _internal_error(exc)
        err_console.print(f"[bold red]error:[/] {escape(_system_error(exc))}", soft_wrap=True)
        return SYSTEM_ERROR
    except Exception as exc:
        return _internal_error(exc)
    return result if isinstance(result, int) else 0


#: What the machine refused (a folder not writable, a disk full, a file-size limit): the
#: command's environment, not a bug and not bad input: exit 3, one line naming the path.
SYSTEM_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EFBIG, errno.EROFS, errno.EDQUOT}
)
SYSTEM_ERROR = 3


def _system_error(exc: OSError) -> str:
    """'cannot write out/groups/date=...: Permission denied': the path and the reason, and
    that the same command resumes once the machine allows it."""
    where = exc.filename or "a file"
    reason = exc.strerror or str(exc)
    return (
        f"the machine refused a file operation on {where}: {reason}. Nothing is marked done "
        "that is not complete: free the space or grant the access, then run the same command "
        "again (a night resumes)"
    )


def _show_stopped(stop: BaseException, by: str, argv: list[str] | None) -> None:
    """One line on stderr: the command was stopped `by` a signal (SIGTERM) or Ctrl-C, and what
    running it again does (`AFTER_A_STOP`, or the `after_stop` the library set on `stop`: a
    night stopped once complete). Printed under `--quiet` too: the command did not finish."""
    argv = argv if argv is not None else sys.argv[1:]
    command = next((arg for arg in argv if not arg.startswith("-")), "")
    after = getattr(stop, "after_stop", None) or AFTER_A_STOP.get(command, AFTER_A_STOP_ELSE)
    line = f"by {by}; {after}"
    err_console.print(f"[bold red]stopped:[/] {escape(line)}", soft_wrap=True)


def _output_closed() -> int:
    """stdout's reader went away (`| head -1`): there is no one to tell, and a line on stderr
    would be noise in the user's terminal. stdout now points at /dev/null, so the interpreter's
    own flush at exit does not fail as well (Python's advice for SIGPIPE); a stdout that is no
    file descriptor (a test's capture) is left alone."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        pass
    return BROKEN_PIPE


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning is one `warning:` line on stderr, as errors are: a user of the command line
    needs what it says, not the source file and line that raised it."""
    del filename, lineno, file, line
    ours = category.__module__.startswith("adaptive")
    text = str(message) if ours else f"{category.__name__}: {message}"
    warn(text)


def _show_usage_error(exc: typer.TyperException) -> None:
    """Click's form: `Usage: ...`, `Try 'adaptive CMD -h' for help.` and `Error: ...`, then a
    hint where the mistake is a common one (`_usage_hint`)."""
    show = getattr(exc, "show", None)
    if callable(show):
        show()
    else:
        err_console.print(f"Error: {escape(exc.format_message())}", soft_wrap=True)
    hint = _usage_hint(exc)
    if hint:
        err_console.print(f"Hint: {escape(hint)}", soft_wrap=True)


_EXTRA_ARGUMENTS = re.compile(r"unexpected extra argument\(s\) \((.*)\)")
_NO_SUCH_OPTION = re.compile(r"No such option: (--?[\w-]+)")


def _usage_hint(exc: typer.TyperException) -> str | None:
    """What a data scientist's trial typed: a log as a positional argument where the command
    takes `--data` (`adaptive evaluate log.csv`), or a command's option before the command
    (`adaptive --quiet validate ...`)."""
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command", None)
    if command is None:
        return None
    message = exc.format_message()
    options = {o for p in command.params for o in getattr(p, "opts", ())}
    extra = _EXTRA_ARGUMENTS.search(message)
    if extra and "--data" in options:
        first = extra.group(1).split()[0]
        if os.path.exists(first):
            return f"a response log goes with --data: --data {first}"
    unknown = _NO_SUCH_OPTION.search(message)
    subcommands = getattr(command, "commands", None)
    if unknown and subcommands:
        option = unknown.group(1)
        if any(
            option in getattr(p, "opts", ()) for sub in subcommands.values() for p in sub.params
        ):
            return (
                f"{option} is an option of the commands: give it after the command's name "
                f"(adaptive COMMAND ... {option})"
            )
    return None


def _internal_error(exc: Exception) -> int:
    """An unexpected exception is a bug: say so in one line (or the traceback with --debug)."""
    if SETTINGS.debug:
        err_console.print_exception()
    else:
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
            "This is a bug in adaptive; rerun with `adaptive --debug ...` (or ADAPTIVE_DEBUG=1) "
            "to see the traceback, and include it in a report.",
            soft_wrap=True,
        )
    return INTERNAL_ERROR
