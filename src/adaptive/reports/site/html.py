"""Small HTML building blocks shared by every page: the page shell (with its Content-Security-
Policy), escaping, links between pages, number formats and accessible charts.

Every chart is an inline SVG with a text summary before it and a table fallback after it (in a
`<details>`), so a reader who cannot see the chart gets the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from urllib.parse import quote

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


def sparkline(values: Sequence[float], label: str) -> str:
    """A tiny line of mastery over dates (0 to 1), one dot when there is a single date."""
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
    return f'<svg role="img" aria-label="{e(label)}" width="{w}" height="{h}">{shape}</svg>'
