"""Options shared by the experiment scripts, read and written one way.

* `NAME=VALUE` options (`tune_deep --set`, `bench_placement_effect --diagnostic`): the value as
  JSON (numbers, true/false, null), else as text (`name_values`).
* `--out PATH` (`add_out`): where a script's markdown section goes, by default its published
  page `experiments/results/NAME.md`. Its companion files follow it: a file of the same name
  (`57_ope.csv`, `70_deep.json`) as `out.with_suffix(...)`, any other file or folder
  (`policy_eval/`, `50_policy.md` beside `51_policy_sim.md`) in `out.parent`, so that a run with
  `--out /tmp/x/NAME.md` writes nothing under experiments/results. `write_section` writes the
  section (its folder created, atomically); `out_flag` is the `--out` part of the command a
  section quotes; `shown_path` the path of a companion file it names.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository: the folder of experiments/


def setting_value(text: str) -> object:
    """A value as JSON (0.8, 3, true, null), else the plain text ("level")."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def name_values(pairs: Iterable[str], ap: argparse.ArgumentParser, option: str) -> dict:
    """`NAME=VALUE` pairs as {name: value} (`setting_value`); a pair without '=' or without a
    name is a usage error naming `option`."""
    out = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            ap.error(f"{option} {pair!r}: expected NAME=VALUE, e.g. strength=0.8")
        out[name.strip()] = setting_value(text.strip())
    return out


def add_out(
    parser: argparse.ArgumentParser,
    default: Path | None,
    *aliases: str,
    companions: str = "",
    default_text: str = "",
) -> None:
    """`--out PATH` (`args.out`, a Path): where the markdown section goes, `default` (the published
    page) when not given. `companions` names the files that go beside it; `default_text` says
    what a `default` of None means; `aliases` are older names of the option (`--result`)."""
    where = default_text or (f"experiments/{default.parent.name}/{default.name}" if default else "")
    parser.add_argument(
        "--out",
        *aliases,
        dest="out",
        type=Path,
        default=default,
        metavar="PATH",
        help=f"where the markdown section goes (default: {where})"
        + (f"; {companions} beside it" if companions else ""),
    )


def write_section(path: Path, text: str) -> None:
    """Write a section (or a companion file) at `path`, its folder created; atomically, so a
    reader never sees half a page. (`adaptive.files` is imported here: a benchmark that measures
    its own process's memory, such as bench_simulator's children, imports nothing for `--out`.)"""
    from adaptive.files import atomic_write_bytes

    atomic_write_bytes(Path(path), text.encode())


def out_flag(out: Path | None, default: Path | None) -> str:
    """` --out PATH` for the command a section quotes, or "" when `out` is the default."""
    return "" if out is None or out == default else f" --out {out}"


def shown_path(path: Path) -> str:
    """`path` as a section names it: relative to the repository when under it
    (`experiments/results/policy_eval/policy_eval.csv`), else as given."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(ROOT) if resolved.is_relative_to(ROOT) else path)
