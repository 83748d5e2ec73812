"""`NAME=VALUE` options of the experiment scripts (`tune_deep --set`, `bench_placement_effect
--diagnostic`), read one way: the value as JSON (numbers, true/false, null), else as text."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable


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
