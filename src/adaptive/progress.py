"""Whether the library shows the progress of long work on stderr: the deep models' epoch lines
and progress bars (`progress=True`, their default), in a notebook or a script alike.

One process-wide switch over the models' own `progress`: the command line's `--quiet` turns it
off (`adaptive.cli.output.set_quiet`), so that `adaptive evaluate ... -q` prints its results
alone, as every command's `-q` does (a trial's `-q` still printed every "dkt epoch N" line and a
bar). A model's `progress=False` stays silent either way.
"""

from __future__ import annotations

_SHOWN = {"progress": True}


def show_progress(shown: bool) -> None:
    """Show (True, the default) or hide the progress of long work for the whole process."""
    _SHOWN["progress"] = bool(shown)


def progress_shown() -> bool:
    """Whether progress is shown: what a model's `progress=True` asks, unless switched off."""
    return _SHOWN["progress"]
