"""Reliability diagrams: is a predicted 0.7 right 70 % of the time?

`reliability_table` bins predictions (equal width, as the ECE in `metrics` does) and reports each
bin's mean prediction, observed frequency and count; `plot_reliability` draws one curve per model
into a PNG (matplotlib's Agg backend, no display needed), written atomically.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from adaptive.evaluation.metrics import bin_index, expected_calibration_error
from adaptive.tracing.base import atomic_write_bytes


def reliability_table(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Per non-empty bin: `bin_low`, `bin_high`, `mean_predicted`, `fraction_correct`, `count`."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    b = bin_index(p, n_bins)
    count = np.bincount(b, minlength=n_bins)
    sum_p = np.bincount(b, weights=p, minlength=n_bins)
    sum_y = np.bincount(b, weights=y, minlength=n_bins)
    keep = count > 0
    edges = np.linspace(0, 1, n_bins + 1)
    return pd.DataFrame(
        {
            "bin_low": edges[:-1][keep],
            "bin_high": edges[1:][keep],
            "mean_predicted": sum_p[keep] / count[keep],
            "fraction_correct": sum_y[keep] / count[keep],
            "count": count[keep],
        }
    )


def plot_reliability(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    path: str | Path,
    n_bins: int = 10,
    title: str = "Reliability diagram",
) -> Path:
    """Draw `{label: (y, p)}` as reliability curves (with a histogram of predictions) to a PNG."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 7.0))
    ax, hist = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
    for label, (y, p) in curves.items():
        table = reliability_table(y, p, n_bins)
        ece = expected_calibration_error(y, p, n_bins=n_bins)
        ax.plot(
            table["mean_predicted"],
            table["fraction_correct"],
            marker="o",
            label=f"{label} (ECE {ece:.3f})",
        )
        hist.hist(np.asarray(p), bins=n_bins, range=(0, 1), histtype="step", label=label)
    ax.set_ylabel("observed fraction correct")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    hist.set_xlabel("predicted P(correct)")
    hist.set_ylabel("responses")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path
