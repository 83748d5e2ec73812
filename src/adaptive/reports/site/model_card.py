"""The district page's model section: the champion that served the night, its offline evaluation
(the training run's held-out metrics) and its reliability diagram, read from the MLflow store.

Best effort: a report is still written when the store cannot be reached or the run lacks its
evaluation, and then says so. The diagram is embedded as a data: image (the page stays
self-contained); its text summary is the calibration error, its tables the per-fold metrics and
the diagram's bins (predicted against observed, with counts).
"""

from __future__ import annotations

import base64
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from adaptive.errors import ConfigWarning
from adaptive.reports.site.html import e, table

METRICS = ("auc", "rmse", "logloss", "ece")


def model_card(name: str, version: str, tracking_uri: str | None) -> str:
    """The HTML of the model section for registered model `name`, `version`."""
    head = (
        f"<p>Recommendations from <strong>{e(name)}</strong> version {e(version)} (the champion "
        "when the nightly job ran).</p>"
    )
    try:
        metrics, png, folds, bins = _evaluation(name, version, tracking_uri)
    except Exception as exc:  # noqa: BLE001 - the report stands without the model's evaluation
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        warnings.warn(
            f"the district page has no offline evaluation of the champion: {reason}",
            ConfigWarning,
            stacklevel=2,
        )
        return (
            head + f"<p>Offline evaluation not available from the tracking store: {e(reason)}.</p>"
        )
    shown = ", ".join(f"{m.upper()} {metrics[m]:.3f}" for m in METRICS if m in metrics)
    rows = [[e(r[0]), *(f"{v:.4f}" for v in r[1:])] for r in folds.itertuples(index=False)]
    fallback = table(
        [str(c) for c in folds.columns], rows, "Offline evaluation per held-out fold",
        [False, *[True] * (len(folds.columns) - 1)],
    )  # fmt: skip
    if bins is not None:  # the diagram itself, point by point
        fallback += table(
            ["Predicted P(correct)", "Mean predicted", "Observed fraction correct", "Answers"],
            [
                [f"{r.bin_low:.1f}–{r.bin_high:.1f}", f"{r.mean_predicted:.3f}",
                 f"{r.fraction_correct:.3f}", f"{int(r.count):,}"]
                for r in bins.itertuples(index=False)
            ],
            "Reliability diagram as a table: held-out answers by predicted P(correct)",
            [False, True, True, True],
        )  # fmt: skip
    image = base64.b64encode(png).decode()
    return head + (
        f"<figure><figcaption><strong>Offline evaluation and reliability diagram</strong> "
        f'(student cross-validation of the training run)</figcaption><p class="summary">Held-out '
        f"folds: {shown}. The reliability diagram plots predicted against observed P(correct); "
        f"the calibration error (ECE) sums up its distance from the diagonal.</p>"
        f'<img src="data:image/png;base64,{image}" width="480" alt="Reliability diagram of '
        f"{e(name)} version {e(version)}: predicted against observed P(correct) on held-out "
        f'students; {e(shown)}"><details><summary>Evaluation as a table</summary>{fallback}'
        "</details></figure>"
    )


def _evaluation(name: str, version: str, tracking_uri: str | None):
    from adaptive.registry.store import tracking

    # a lookup: a local store that does not exist is named, never created (an empty one was)
    lookup = f"registered model {name!r} version {version}"
    with tracking(tracking_uri, lookup=lookup) as client, tempfile.TemporaryDirectory() as tmp:
        run_id = client.get_model_version(name, version).run_id
        metrics = client.get_run(run_id).data.metrics
        folder = Path(client.download_artifacts(run_id, "evaluation", tmp))
        png = (folder / "reliability.png").read_bytes()
        folds = pd.read_csv(folder / "metrics.csv")
        bins_file = folder / "reliability.csv"  # runs trained before it was logged lack it
        bins = pd.read_csv(bins_file) if bins_file.exists() else None
    folds = folds[["fold", *[m for m in METRICS if m in folds.columns]]].astype({"fold": str})
    return metrics, png, folds, bins
