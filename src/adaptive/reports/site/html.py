"""Small HTML building blocks shared by every page: the page shell (with its Content-Security-
Policy), escaping, links between pages, number formats and accessible charts.

Every chart is an inline SVG with a text summary before it and a table fallback after it (in a
`<details>`), so a reader who cannot see the chart gets the same figures.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from html import escape
from urllib.parse import quote

import numpy as np

#: No network, no inline script or style: only the site's own files and data: images.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'"
)


def e(value: object) -> str:
    """HTML-escaped text of a value."""
    return escape(str(value), quote=True)


def file_name(unit_id: str) -> str:
    """A unit id as one safe path component (percent-encoded, as the batch writer does)."""
    return quote(str(unit_id), safe="")


def href(*parts: str) -> str:
    """A relative link to the path made of `parts` (each already a `file_name`)."""
    return "/".join(quote(p, safe="") for p in parts)


def page(
    title: str, root: str, crumbs: Sequence[tuple[str, str | None]], body: str, foot: str
) -> str:
    """A whole page. `root` is the relative path to the site's top ("", "../", "../../");
    `crumbs` are (label, link or None) from the top down; the last is the page itself, a level
    without a link one whose page was not written (a school's or a class's own report)."""
    *above, (here, _) = crumbs
    trail = " › ".join(
        [
            *(f'<a href="{e(link)}">{e(label)}</a>' if link else e(label) for label, link in above),
            f'<span aria-current="page">{e(here)}</span>',
        ]
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{e(title)}</title>"
        f'<link rel="stylesheet" href="{root}assets/site.css"></head>\n<body>'
        '<a class="skip" href="#main">Skip to the content</a>'
        f'<nav class="crumbs" aria-label="Breadcrumb">{trail}</nav>'
        f'<main id="main"><h1>{e(title)}</h1>\n{body}\n</main>'
        f"<footer><p>{foot}</p></footer>"
        f'<script src="{root}assets/site.js"></script></body></html>\n'
    )


def pct(x: float) -> str:
    """A share as a percentage, the one way every page writes one: whole percents, except that
    a share that is not exactly 0 or 1 never reads "0%" or "100%" (4 of 2,400 on track read
    "0%", its interval "0% to 0%"): under 1% and over 99% it keeps the decimals that show its
    first digit (0.2%, 0.04%, 99.8%), down to 0.001% ("under 0.001%", "over 99.999%");
    "–" for NaN. Both ends alike, from the distance to 0% or 100% rounded to its first digit
    before its decimals are counted (0.9999 read "99.990%" and 0.0001 "0.01%": floating point
    left 1 - 0.9999 just under 0.0001)."""
    if x != x:
        return "–"
    tail = 100 * min(x, 1 - x)  # the distance to 0% or 100%, in percent
    if tail > 0:
        tail = round(tail, -math.floor(math.log10(tail)))  # to its first significant digit
    if tail <= 0 or tail >= 1:
        return f"{100 * x:.0f}%"
    if tail < 0.001:
        return "under 0.001%" if x < 0.5 else "over 99.999%"
    digits = -math.floor(math.log10(tail))
    return f"{tail if x < 0.5 else 100 - tail:.{digits}f}%"


def num(x: float, digits: int = 1) -> str:
    return "–" if x != x else f"{x:.{digits}f}"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    caption: str,
    numeric: Sequence[bool] | None = None,
    sortable: bool = False,
    row_header: bool = True,
) -> str:
    """A data table; cells are already HTML. `numeric` right-aligns columns. With `sortable`,
    every header is a button that sorts the rows (keyboard: Tab then Enter)."""
    numeric = numeric or [False] * len(headers)
    cls = "data sortable" if sortable else "data"
    head = "".join(
        f'<th scope="col"{" class=num" if n else ""}>'
        + (f'<button type="button">{e(h)}</button>' if sortable else e(h))
        + "</th>"
        for h, n in zip(headers, numeric, strict=True)
    )
    body = []
    for row in rows:
        cells = []
        for i, (cell, n) in enumerate(zip(row, numeric, strict=True)):
            tag = "th" if i == 0 and row_header else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cells.append(f"<{tag}{scope}{' class=num' if n else ''}>{cell}</{tag}>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (  # in a box of its own width: on a phone the table scrolls, not the page
        f'<div class="wide"><table class="{cls}"><caption>{e(caption)}</caption><thead><tr>'
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    unit: str,
    summary: str,
    highlight: Sequence[bool] | None = None,
) -> str:
    """A horizontal bar chart (SVG) with its text summary and a table fallback."""
    bar_h = 18
    label_w = int(min(320, max(120, 6.5 * max((len(str(x)) for x in labels), default=0) + 10)))
    width = label_w + 300
    top = max([*values, 1e-9])
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = i * (bar_h + 6)
        w = (width - label_w - 60) * value / top
        on = " on" if highlight and highlight[i] else ""
        bars.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{e(label)}</text>'
            f'<rect class="bar{on}" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{e(_short(value))}</text>'
        )
    height = len(labels) * (bar_h + 6)
    svg = (
        f'<svg class="chart" role="img" aria-label="{e(title)}: see the summary and the table" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">{"".join(bars)}</svg>'
    )
    fallback = table(
        [title, unit],
        [[e(a), e(_short(b))] for a, b in zip(labels, values, strict=True)],
        f"{title} (table)",
        [False, True],
    )
    return (
        f'<figure><figcaption><strong>{e(title)}</strong></figcaption><p class="summary">{summary}</p>'
        f"{svg}<details><summary>{e(title)} as a table</summary>{fallback}</details></figure>"
    )


def _short(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}"


#: a sparkline's size in pixels, and the y steps it draws at (0.1 pixel: its coordinates' format)
SPARK_W, SPARK_H = 80, 18
_Y_STEPS = 10 * SPARK_H + 1


@functools.lru_cache(maxsize=64)
def _spark_points(n_dates: int) -> np.ndarray:
    """The "x,y" text of every point a sparkline over `n_dates` dates can draw: (n_dates, y
    steps), x of the date's index, y at 0.1 pixel, formatted once per date count (a
    sparkline per student and skill formatted each of its points: most of a site's build with
    8 nights). Every date's but the first starts with the space that separates it."""
    w = SPARK_W
    step = w / max(n_dates - 1, 1)
    xs = [f"{' ' if i else ''}{2 + i * step * (w - 4) / w:.1f}," for i in range(n_dates)]
    ys = [f"{k / 10:.1f}" for k in range(_Y_STEPS)]
    return np.array([[x + y for y in ys] for x in xs], dtype=object)


def _y_steps(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tenths of a pixel of `y` as `f"{y:.1f}"` writes them (the exact binary value rounded,
    half to even), and where that is not settled here (a value within 1e-9 of a half tenth,
    off the chart, not finite): those are formatted one by one."""
    t = np.asarray(y, dtype=np.float64) * 10
    with np.errstate(invalid="ignore"):
        low = np.floor(t)
        frac = t - low
        steps = low + (frac > 0.5)
        odd = ~(np.abs(frac - 0.5) > 1e-9) | ~(t >= 0) | ~(steps < _Y_STEPS)
    return np.where(odd, 0, steps).astype(np.int64), odd


def sparklines(values: np.ndarray, label: str) -> np.ndarray:
    """`sparkline` of each column of `values` ((dates, k) mastery): k SVGs, as object array.
    The points' text is looked up (`_spark_points`), not formatted per point."""
    values = np.asarray(values)
    n = values.shape[0]
    w, h = SPARK_W, SPARK_H
    y = (h - 2) - values * (h - 4)  # in the values' own precision, as the points are drawn
    shown = ~np.isnan(values)
    steps, odd = _y_steps(y)
    pts = _spark_points(n)[np.arange(n)[:, None], steps]
    for i, j in zip(*np.nonzero(odd & shown), strict=True):  # rare: formatted one by one
        pts[i, j] = pts[i, 0].split(",")[0] + f",{y[i, j]:.1f}"
    count = shown.sum(axis=0)
    head = f'<svg role="img" aria-label="{e(label)}" width="{w}" height="{h}">'
    out = np.full(values.shape[1], "", dtype=object)
    full = count == n
    if n > 1 and full.any():  # the usual: every date drawn, each line one join of its pieces
        pieces = np.empty((int(full.sum()), n + 2), dtype=object)
        pieces[:, 0] = f'{head}<polyline class="spark" points="'
        pieces[:, 1:-1] = pts[:, full].T
        pieces[:, -1] = '"/></svg>'
        out[full] = ["".join(line) for line in pieces.tolist()]
    for j in np.flatnonzero(~full & (count > 1)):
        line = "".join(pts[shown[:, j], j]).lstrip(" ")
        out[j] = f'{head}<polyline class="spark" points="{line}"/></svg>'
    for j in np.flatnonzero(count == 1):
        cx, cy = pts[shown[:, j], j][0].lstrip(" ").split(",")
        out[j] = f'{head}<circle class="spark-dot" cx="{cx}" cy="{cy}" r="2"/></svg>'
    return out


def sparkline(values: Sequence[float], label: str) -> str:
    """A tiny line of mastery over dates (0 to 1), one dot when there is a single date: no
    line ("") when no date has a value (NaN), a date without one left out."""
    return sparklines(np.asarray(values)[:, None], label)[0]
