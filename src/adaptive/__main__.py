"""The `adaptive` command's entry point: the installed script, and `python -m adaptive ...` for an
environment whose scripts folder is not on PATH (or a checkout run with PYTHONPATH=src)."""

import sys

#: Said for a Ctrl-C while the command line's modules load, before any command has run.
STOPPED_WHILE_STARTING = "stopped: by Ctrl-C (SIGINT) while starting; nothing was run"


def main() -> None:
    """Load the command line and run it (`adaptive.cli.main`). Its modules take about a second
    to load (pandas, typer, the library's own), before its own Ctrl-C handling is in place: a
    Ctrl-C in that second printed Python's KeyboardInterrupt traceback. It ends as every Ctrl-C
    does: one line, exit 130."""
    try:
        from adaptive.cli import main as run_command
    except KeyboardInterrupt:
        print(STOPPED_WHILE_STARTING, file=sys.stderr)
        sys.exit(130)
    run_command()


if __name__ == "__main__":
    main()
