"""The main job end to end on the built-in demo district (`adaptive demo`, `make demo`).

simulate the district (3,000 students, seed 7, into `paths.demo_district_dir()` when missing) -> validate the
log -> train and cross-validate BKT, the logistic models and a small DKT (`adaptive/specs/models/dkt-demo.toml`)
with the district's catalog and grades (each model checks whether knowledge follows the curriculum order),
each a tracked MLflow run and a new version of the registered model `demo-district` -> promote
the best (the promotion rule: better on the same held-out students, by a margin, without worse
calibration) -> run the daily job for the day after the last response -> write its report site
(`adaptive.reports.site`, into `data/demo-report`) -> a summary. A second run retrains and
promotes only if better.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from adaptive.batch.job import DEMO_MODEL, JobSummary, run_daily_job
from adaptive.curriculum import Catalog, read_profiles
from adaptive.data.io import LoadReport
from adaptive.paths import data_dir, demo_district_dir
from adaptive.placement.calibrate import start_sentence
from adaptive.registry import PromotionDecision, promote, train_model
from adaptive.tracing.deep.threads import torch_threads

DEMO_MODELS = ("bkt", "bkt-forgets", "irt", "pfa", "best-lr", "dkt-demo")
DEMO_STUDENTS = 3000
DEMO_SEED = 7

Say = Callable[[str], None]


@dataclass
class DemoResult:
    """Everything the demo did, for its printed summary."""

    simulated: bool
    report: LoadReport
    comparison: pd.DataFrame  # one row per model: cross-validated metrics, version, decision
    decisions: list[PromotionDecision]
    champion_version: str
    champion_spec: str
    job: JobSummary
    out: Path
    tracking_uri: str
    notes: list[str] = field(default_factory=list)
    site_index: Path | None = None  # the report site's index page


def ensure_demo_district(
    folder: Path | None = None, students: int = DEMO_STUDENTS, seed: int = DEMO_SEED
) -> bool:
    """Simulate the demo district into `folder` (default: `paths.demo_district_dir()`) unless
    its files are there; True if simulated."""
    from adaptive.simulation.district import DISTRICT_FILES, simulate_district, write_district

    folder = folder if folder is not None else demo_district_dir()
    if all((folder / name).is_file() for name in DISTRICT_FILES):
        return False
    write_district(simulate_district(students, seed), folder)
    return True


@torch_threads(1)  # the demo's DKT is small: one thread is fastest
def run_demo(
    *,
    models: Sequence[str] = DEMO_MODELS,
    folds: int = 3,
    seed: int = 0,
    k: int = 20,
    out: Path | None = None,
    tracking_uri: str | None = None,
    say: Say = print,
    show_progress: bool = True,
) -> DemoResult:
    """Run the main job end to end (see the module docstring)."""
    from adaptive.data import load_log_report
    from adaptive.registry.store import resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri)
    out = Path(out) if out is not None else data_dir() / "demo-batch"
    simulated = ensure_demo_district()
    demo = demo_district_dir()
    say(f"district: {'simulated' if simulated else 'reused'} {demo}")
    log, report = load_log_report("demo")
    say(
        f"validated: {report.rows_loaded:,} of {report.rows_read:,} rows loaded, "
        f"{report.rows_quarantined} quarantined; {log.n_students:,} students, {len(log.skills)} skills"
    )
    # the district's catalog and grades, as `adaptive train --district` reads them: BKT knows
    # every skill of the catalog, and each model measures whether knowledge follows its order
    catalog = Catalog.from_json(demo / "catalog.json")
    profiles = read_profiles(demo / "profiles.jsonl")
    rows, results = [], []
    for spec in models:
        say(f"training {spec} ({folds}-fold student cross-validation, then the final fit) ...")
        result = train_model(
            spec, "demo", registered_name=DEMO_MODEL, folds=folds, seed=seed, tracking_uri=uri,
            catalog=catalog, profiles=profiles,
        )  # fmt: skip
        if not results:  # the same log and grades for every model: said once
            say(result.model.curriculum_level_.policy_sentence())
        results.append(result)
        rows.append(
            {
                "model": spec,
                "version": result.version,
                **{m: result.metrics[m] for m in ("auc", "rmse", "logloss", "ece")},
            }
        )
    comparison = pd.DataFrame(rows)
    decisions = []
    for result in sorted(results, key=lambda r: -r.metrics["auc"]):  # best cross-validated first
        decision = promote(DEMO_MODEL, result.version, "demo", tracking_uri=uri)
        decisions.append(decision)
        say(
            f"promotion of {result.spec} v{result.version}: "
            f"{'PROMOTED' if decision.promoted else 'kept champion'} ({decision.reason})"
        )
    by_version = {d.candidate_version: d for d in decisions}
    comparison["holdout_auc"] = [by_version[v].candidate["auc"] for v in comparison["version"]]
    comparison["decision"] = [
        "promoted" if by_version[v].promoted else "rejected" for v in comparison["version"]
    ]
    from adaptive.registry import load_version

    champion = load_version(DEMO_MODEL, alias="champion", tracking_uri=uri)
    start = champion.model.curriculum_level_.start
    if start is not None:  # read from the log by the champion's training: it places newcomers
        say(start_sentence(start))
    last = log.frame["timestamp"].max()
    day = (last + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    say(f"daily job for {day} with {champion.spec} v{champion.version} ...")
    job = run_daily_job(day, out, k=k, tracking_uri=uri, show_progress=show_progress)
    from adaptive.reports.site import build_site

    site = build_site(
        out, day, out.parent / "demo-report", catalog=demo / "catalog.json",
        profiles=demo / "profiles.jsonl", workers=2, evaluation=True, tracking_uri=uri,
    )  # fmt: skip
    say(f"report site for {day}: {site.classes} classes, {site.students:,} students")
    return DemoResult(
        simulated,
        report,
        comparison,
        decisions,
        champion.version,
        champion.spec or "?",
        job,
        out,
        uri,
        site_index=site.index,
    )
