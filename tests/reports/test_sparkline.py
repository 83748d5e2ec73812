"""The sparklines of mastery over time, drawn from looked-up point text (`html.sparklines`),
write the same SVG as the one-point-at-a-time formatting they replaced (`_formatted`, kept
here as the reference)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np
import pytest

from adaptive.reports.site.html import sparkline, sparklines


def _formatted(values: Sequence[float], label: str) -> str:
    """The sparkline as it was written before: every point formatted with f"{:.1f}"."""
    w, h = 80, 18
    pts = [(i, v) for i, v in enumerate(values) if v == v]
    if not pts:
        return ""
    step = w / max(len(values) - 1, 1)
    xy = [(2 + i * step * (w - 4) / w, h - 2 - v * (h - 4)) for i, v in pts]
    shape = (
        f'<circle class="spark-dot" cx="{xy[0][0]:.1f}" cy="{xy[0][1]:.1f}" r="2"/>'
        if len(xy) == 1
        else '<polyline class="spark" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        + '"/>'
    )
    label = escape(label, quote=True)
    return f'<svg role="img" aria-label="{label}" width="{w}" height="{h}">{shape}</svg>'


def _edge_values(rng: np.random.Generator, dates: int, k: int) -> np.ndarray:
    """(dates, k) mastery: random, exact and near half-tenth pixel ties, the ends, just off
    them, out of range, infinite, and NaN (a date without a value) in places."""
    ties = (16 - (np.arange(0, 161) + 0.5) / 10) / 14  # y exactly (or nearly) on x.x5
    special = np.concatenate(
        [
            ties,
            np.nextafter(ties, 2),
            np.nextafter(ties, -1),
            [0.0, 1.0, 0.5, 0.25, 0.75, 1e-12, 1 - 1e-12, -1e-9, 1 + 1e-9, 8 / 7, 1.2, -0.5],
            [np.inf, -np.inf, 16 / 14 + 1e-4, 16 / 14 - 1e-4],
            rng.integers(0, 101, 50) / 100,  # percents
        ]
    )
    v = rng.random((dates, k))
    v.flat[rng.integers(0, v.size, v.size // 3)] = rng.choice(special, v.size // 3)
    v.flat[rng.integers(0, v.size, v.size // 8)] = np.nan
    v[:, :3] = np.nan  # no value on any date
    if dates > 1:
        v[:-1, 3] = np.nan  # one value: a dot
        v[1:, 4] = np.nan
    return v


@pytest.mark.parametrize("dates", [1, 2, 3, 8, 9, 13])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparklines_write_what_per_point_formatting_wrote(dates, dtype):
    rng = np.random.default_rng(dates)
    values = _edge_values(rng, dates, 400).astype(dtype)
    label = 'mastery "over" <time> & more'
    got = sparklines(values, label)
    want = [_formatted(values[:, j], label) for j in range(values.shape[1])]
    assert list(got) == want
    assert sparkline(list(values[:, 5].astype(float)), label) == _formatted(
        list(values[:, 5].astype(float)), label
    )


def test_a_sparkline_of_one_value_is_a_dot_and_of_none_nothing():
    assert sparkline([np.nan, 0.5, np.nan], "m") == (
        '<svg role="img" aria-label="m" width="80" height="18">'
        '<circle class="spark-dot" cx="40.0" cy="9.0" r="2"/></svg>'
    )
    assert sparkline([np.nan, np.nan], "m") == ""
    assert sparkline([0.0, 1.0], "m").endswith('points="2.0,16.0 78.0,2.0"/></svg>')
