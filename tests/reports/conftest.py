"""A small simulated district served by the nightly job, its report site, and a headless
Chromium (Debian's package, driven by Playwright) for the report site's browser tests."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from adaptive.batch import run_daily_job
from adaptive.registry import promote, train_model
from adaptive.reports.site import build_site
from adaptive.simulation.district import simulate_district, write_district

MODEL = "report-test-district"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@dataclass
class ReportDistrict:
    """The district's files, its champion, one night of batch output and the site built on it."""

    root: Path
    files: (
        Path  # catalog.json, profiles.jsonl, responses.parquet (an `adaptive recommend` district)
    )
    uri: str
    day: str
    batch: Path
    site: Path
    policy: Path
    model: str = MODEL

    @property
    def catalog(self) -> Path:
        return self.files / "catalog.json"

    @property
    def profiles(self) -> Path:
        return self.files / "profiles.jsonl"

    def job_args(self, **extra) -> dict:
        return {
            "model_name": MODEL,
            "data": self.files / "responses.parquet",
            "catalog": self.catalog,
            "profiles": self.profiles,
            "policy_config": self.policy,
            "tracking_uri": self.uri,
            "show_progress": False,
            "workers": 1,
            **extra,
        }

    def students(self, day: str | None = None) -> pd.DataFrame:
        return pd.read_parquet(self.batch / "students" / f"date={day or self.day}")

    def recommendations(self, day: str | None = None) -> pd.DataFrame:
        return pd.read_parquet(self.batch / "recommendations" / f"date={day or self.day}")


@pytest.fixture(scope="session")
def report_district(tmp_path_factory: pytest.TempPathFactory) -> ReportDistrict:
    """600 simulated students with an IRT champion, served for the day after the last response
    with a policy whose stuck rule triggers sooner (so that classes have stuck students)."""
    root = tmp_path_factory.mktemp("report-district")
    sim = simulate_district(600, 5, responses_per_student=30, max_school_days=30)
    write_district(sim, root / "files")
    log = sim.response_log()
    uri = f"sqlite:///{root / 'mlflow.db'}"
    result = train_model("irt", log, registered_name=MODEL, folds=2, tracking_uri=uri)
    assert promote(MODEL, result.version, log, tracking_uri=uri).promoted
    policy = root / "policy.toml"
    policy.write_text(_policy_toml(stuck_min_responses=6, stuck_max_progress=0.05))
    day = (log.frame["timestamp"].max() + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    d = ReportDistrict(root, root / "files", uri, day, root / "batch", root / "site", policy)
    run_daily_job(day, d.batch, **d.job_args())
    build_site(
        d.batch, day, d.site, catalog=d.catalog, profiles=d.profiles, evaluation=True,
        tracking_uri=uri,
    )  # fmt: skip
    return d


#: a night of the school year's first weeks: the growth baseline of a district served from then
YEAR_START_NIGHT = "2026-09-01"


def _serve_from_year_start(d: ReportDistrict, batch: Path, **job) -> None:
    """Serve `d.day` into `batch` after a night of the school year's first weeks (before any
    answer: every student placed), so that the report of `d.day` judges growth from a measured
    baseline (with `d.day` its first night, it cannot be judged yet)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a night before the log's answers
        run_daily_job(YEAR_START_NIGHT, batch, **d.job_args(backfill=True, **job))
    run_daily_job(d.day, batch, **d.job_args(**job))


@pytest.fixture(scope="session")
def serve_from_year_start():
    """`_serve_from_year_start`, for a test's own district."""
    return _serve_from_year_start


@pytest.fixture(scope="session")
def policy_toml():
    """`_policy_toml`, for a test's own policy file."""
    return _policy_toml


@pytest.fixture(scope="session")
def judged_site(report_district: ReportDistrict, tmp_path_factory) -> Path:
    """The district's report site for `d.day`, served since the school year's first weeks."""
    d = report_district
    root = tmp_path_factory.mktemp("judged")
    _serve_from_year_start(d, root / "batch")
    build_site(root / "batch", d.day, root / "site", catalog=d.catalog, profiles=d.profiles)
    return root / "site"


def _policy_toml(**changes) -> str:
    """The shipped policy TOML with some settings changed."""
    from adaptive.specs import POLICY_SPEC

    text = POLICY_SPEC.read_text()
    for key, value in changes.items():
        lines = [ln for ln in text.splitlines() if ln.split("=")[0].strip() == key]
        assert lines, f"{key} not in the policy spec"
        text = text.replace(lines[0], f"{key} = {value}")
    return text


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from the system (`chromium`, Debian's package); skipped, with the
    reason, where it is not installed."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("no chromium on PATH: apt-get install -y chromium (see README, browser tests)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path):
    """A fresh page that records every request that is not a local file."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1300, "height": 900})
    pg = context.new_page()
    pg.remote_requests = []
    pg.errors = []
    pg.on(
        "request",
        lambda r: None if r.url.startswith("file://") else pg.remote_requests.append(r.url),
    )
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    yield pg
    context.close()


@pytest.fixture
def count_id_reads(monkeypatch):
    """The students files read for their ids alone (the search), as 'night/school' strings."""
    reads: list[str] = []
    real = pq.read_table

    def read_table(path, *args, **kwargs):
        if kwargs.get("columns") == ["student_id"]:
            reads.append(f"{path.parent.parent.name}/{path.parent.name}")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pq, "read_table", read_table)
    return reads
