"""An MLflow server that is down, never answers, or dies mid-way; runs of killed trainings.

Each failure must end within the retry budget with one `TrackingServerError` naming the server
and the failure (never "no alias"), and no training run may stay RUNNING for ever.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

import adaptive
from adaptive.batch.job import SummaryNotLoggedError, run_daily_job
from adaptive.registry import promote, train_model
from adaptive.registry.runs import HOST_TAG, PID_TAG, REASON_TAG, fail_stale_runs, owner_tags
from adaptive.registry.store import (
    DEFAULT_RETRY_BUDGET_S,
    RETRY_BUDGET_ENV,
    RetryPolicy,
    TrackingServerError,
    experiment_id,
    is_not_found,
    network_failure,
    tracking,
)
from adaptive.registry.tracking import TRAINING_EXPERIMENT
from adaptive.simulation.district import simulate_district, write_district


def closed_port() -> int:
    """A localhost port with nothing listening (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("budget", [1, 2, 3, 5, 11.5, 12, 30, 60, 300])
def test_retry_policy_fits_its_budget(budget):
    policy = RetryPolicy.within(budget)
    assert policy.worst_case_s <= budget and policy.timeout >= 1


def test_default_budget_is_at_most_30_s_and_the_users_own_settings_win(sqlite_uri, monkeypatch):
    monkeypatch.delenv(RETRY_BUDGET_ENV, raising=False)
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_TIMEOUT", raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    assert RetryPolicy.within(DEFAULT_RETRY_BUDGET_S).worst_case_s <= 30
    with tracking(sqlite_uri):
        assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "5"
        assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"  # the user's
    assert "MLFLOW_HTTP_REQUEST_TIMEOUT" not in os.environ  # restored after the block


def test_not_found_and_network_failures_are_told_apart():
    refused = MlflowException(
        "API request to http://127.0.0.1:9/api/2.0/mlflow/registered-models/alias failed with "
        "exception HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded "
        "(Caused by NewConnectionError('[Errno 111] Connection refused'))"
    )
    missing = MlflowException(
        "Registered model alias champion not found.", error_code=INVALID_PARAMETER_VALUE
    )
    assert is_not_found(missing) and not is_not_found(refused)
    # a server that dies while it answers: the answer is cut short
    cut = MlflowException(
        "API request to http://127.0.0.1:9/api/2.0/mlflow/runs/create failed with exception "
        "('Connection broken: IncompleteRead(0 bytes read, 660 more expected)', "
        "IncompleteRead(0 bytes read, 660 more expected))"
    )
    assert network_failure(cut) == "the server closed the connection"


@pytest.mark.parametrize("retries_off", [False, True])
def test_a_server_that_is_down_is_one_clear_error_not_a_missing_alias(monkeypatch, retries_off):
    monkeypatch.setenv(RETRY_BUDGET_ENV, "3")
    if retries_off:
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    uri = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    with pytest.raises(TrackingServerError) as caught:
        adaptive.load_champion("district", tracking_uri=uri)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert uri in message and "connection refused" in message and "alias" not in message


def test_a_server_that_never_answers_fails_within_the_budget(monkeypatch):
    """A port that accepts connections and then says nothing: each attempt times out."""
    monkeypatch.setenv(RETRY_BUDGET_ENV, "3")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel completes handshakes; nobody ever reads or answers
        uri = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(TrackingServerError, match="no answer before the timeout"):
            adaptive.load_champion("district", tracking_uri=uri)
        elapsed = time.monotonic() - started
    assert elapsed < 3 + 3  # the budget, plus start-up slack on a busy machine


def test_train_against_a_server_that_is_down_fails_before_fitting(small_log, monkeypatch):
    monkeypatch.setenv(RETRY_BUDGET_ENV, "3")

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted although the server is down")

    monkeypatch.setattr("adaptive.registry.tracking.cross_validate", no_fit)
    uri = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(TrackingServerError, match="connection refused"):
        train_model("irt", small_log, folds=2, tracking_uri=uri)


# -- training runs of killed processes -------------------------------------------------------------
KILLED_TRAIN = textwrap.dedent(
    """
    import os, sys
    import adaptive.registry.tracking as tracking

    def die(*args, **kwargs):  # inside the open run, as a kill at the worst moment would be
        print("run open", flush=True)
        os.kill(os.getpid(), int(sys.argv[3]))

    tracking.plot_reliability = die
    tracking.train_model("irt", sys.argv[2], folds=2, tracking_uri=sys.argv[1])
    """
)


def killed_training(uri: str, sig: signal.Signals, log, tmp_path) -> subprocess.CompletedProcess:
    """Train in another process that receives `sig` while its MLflow run is open."""
    data = tmp_path / "responses.parquet"
    log.frame.to_parquet(data)
    return subprocess.run(
        [sys.executable, "-c", KILLED_TRAIN, uri, str(data), str(int(sig))],
        capture_output=True,
        text=True,
        timeout=120,
    )


def train_runs(uri: str) -> list:
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(TRAINING_EXPERIMENT)
    return client.search_runs([exp.experiment_id])


def test_sigterm_ends_the_open_run_as_failed(small_log, sqlite_uri, tmp_path):
    done = killed_training(sqlite_uri, signal.SIGTERM, small_log, tmp_path)
    assert "run open" in done.stdout and done.returncode == 128 + signal.SIGTERM, done.stderr
    (run,) = train_runs(sqlite_uri)
    assert run.info.status == "FAILED"


def test_a_killed_trainings_run_is_marked_failed_by_the_next_train(small_log, sqlite_uri, tmp_path):
    done = killed_training(sqlite_uri, signal.SIGKILL, small_log, tmp_path)
    assert "run open" in done.stdout and done.returncode == -signal.SIGKILL, done.stderr
    (stale,) = train_runs(sqlite_uri)
    assert stale.info.status == "RUNNING"  # nobody could end it

    train_model("irt", small_log, folds=2, tracking_uri=sqlite_uri)
    runs = {r.info.run_id: r for r in train_runs(sqlite_uri)}
    marked = runs[stale.info.run_id]
    assert marked.info.status == "FAILED"
    assert "ended without finishing the run" in marked.data.tags[REASON_TAG]
    assert [r.info.status for r in runs.values()].count("FINISHED") == 1


def test_stale_means_a_gone_process_here_or_older_than_the_limit(sqlite_uri):
    day_ms = 24 * 3600 * 1000
    now_ms = int(time.time() * 1000)
    with tracking(sqlite_uri) as client:
        exp = experiment_id(client, TRAINING_EXPERIMENT)

        def run(start_ms: int, **tags: str) -> str:
            tags = {"adaptive.kind": "train", **tags}
            return client.create_run(exp, start_time=start_ms, tags=tags).info.run_id

        live = run(now_ms, **owner_tags())  # this very process: alive
        elsewhere = run(now_ms, **{HOST_TAG: "another-host", PID_TAG: "1"})  # cannot tell
        old = run(now_ms - 2 * day_ms, **{HOST_TAG: "another-host", PID_TAG: "1"})
        failed = fail_stale_runs(client, exp, kind="train")
        status = {r: client.get_run(r).info.status for r in (live, elsewhere, old)}
    assert failed == [old]
    assert status == {live: "RUNNING", elsewhere: "RUNNING", old: "FAILED"}


# -- a real server that dies mid-way -----------------------------------------------------------------
@pytest.mark.mlflow_server
def test_server_dying_mid_batch_outputs_complete_summary_not_logged(
    doomed_mlflow_server, tmp_path, monkeypatch
):
    uri = doomed_mlflow_server.uri
    sim = simulate_district(150, 3, responses_per_student=12, max_school_days=10)
    write_district(sim, tmp_path / "district")
    log = sim.response_log()
    result = train_model("irt", log, registered_name="doomed", folds=2, tracking_uri=uri)
    assert promote("doomed", result.version, log, tracking_uri=uri).promoted

    monkeypatch.setenv(RETRY_BUDGET_ENV, "4")
    day = (log.frame["timestamp"].max() + __import__("pandas").Timedelta(days=1)).strftime(
        "%Y-%m-%d"
    )
    killed_at: list[float] = []

    def kill_server(school: str) -> None:
        if not killed_at:
            doomed_mlflow_server.kill()
            killed_at.append(time.monotonic())

    out = tmp_path / "out"
    with pytest.raises(SummaryNotLoggedError, match="outputs complete, summary not logged") as e:
        run_daily_job(
            day,
            out,
            model_name="doomed",
            data=log,
            catalog=tmp_path / "district" / "catalog.json",
            profiles=tmp_path / "district" / "profiles.jsonl",
            tracking_uri=uri,
            show_progress=False,
            workers=1,
            on_partition=kill_server,
        )
    assert time.monotonic() - killed_at[0] < 4 + 10  # the budget, plus the remaining partitions
    # the server is gone (refused) or goes while answering (closed): which one is a race
    reasons = ("connection refused", "the server closed the connection")
    assert any(r in str(e.value) for r in reasons), str(e.value)
    assert e.value.summary.students_served > 0
    assert list(out.rglob("_SUCCESS.json"))  # the outputs stand

    started = time.monotonic()
    with pytest.raises(TrackingServerError, match=uri):
        train_model("irt", log, folds=2, tracking_uri=uri)
    assert time.monotonic() - started < 4 + 3


def test_a_sigterm_while_runs_are_open_goes_to_the_callers_handler_first():
    """`adaptive train` stopped by SIGTERM while it wrote its MLflow run exited 143 without the
    CLI's "stopped:" line: `signals_end_runs` replaced the CLI's handler. It now replaces only
    a default action: a caller's handler answers (its exception still ends the runs as
    failed), a SIGHUP ignored under `nohup` stays ignored, and with the default in place
    SystemExit(128 + signal) as before."""
    from adaptive.registry.runs import signals_end_runs

    class CallersStop(SystemExit):
        pass

    def callers(signum, frame):
        raise CallersStop(128 + signum)

    before = signal.signal(signal.SIGTERM, callers), signal.getsignal(signal.SIGHUP)
    try:
        with pytest.raises(CallersStop), signals_end_runs():
            os.kill(os.getpid(), signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) is callers  # left as it was
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        with signals_end_runs():
            os.kill(os.getpid(), signal.SIGHUP)  # nohup's: nothing happens
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        with pytest.raises(SystemExit) as stop, signals_end_runs():
            os.kill(os.getpid(), signal.SIGTERM)
        assert stop.value.code == 143 and type(stop.value) is SystemExit
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored after the block
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGHUP, before[1])
