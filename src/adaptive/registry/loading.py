"""Loading registered models back for in-process use.

    model = adaptive.load_champion("demo-district")   # the KnowledgeTracer behind @champion
    model.registered_version                          # which version that is: "3"
    state = model.init_state(["s1"]); model.update(state, responses); model.mastery(state)

The registered artifact is an MLflow pyfunc (models-from-code) whose `tracer` artifact holds our
checksummed `model.json` + `arrays.npz` (+ `weights.safetensors` for deep models); here we read
that folder directly with `KnowledgeTracer.load`, so nothing is executed or unpickled. A damaged or
altered artifact is an `ArtifactError` naming the registered model and version (not the temporary
folder it was downloaded to); an unreachable server is a `TrackingServerError`, never reported as
a missing version or alias.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import shlex
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from adaptive.errors import ArgumentError, ArtifactError
from adaptive.registry.pyfunc_model import TRACER_ARTIFACT
from adaptive.registry.store import (
    CHAMPION_ALIAS,
    ModelLookupError,
    TrackingServerError,
    display_uri,
    is_not_found,
    registered_name_hint,
    tracking,
)
from adaptive.tracing.base import KnowledgeTracer


@dataclass(frozen=True)
class LoadedModel:
    """A registered model version loaded for use: the tracer and where it came from."""

    name: str
    version: str
    model: KnowledgeTracer
    spec: str | None
    run_id: str | None


@dataclass(frozen=True)
class FetchedVersion:
    """A registered model version resolved and its tracer artifact downloaded to `tracer_dir`
    (not loaded yet): what `fetch_version` returns, plain values a child process can send."""

    name: str
    version: str
    tracer_dir: str
    spec: str | None
    run_id: str | None

    @property
    def label(self) -> str:
        return f"registered model {self.name!r} version {self.version}"

    def load(self) -> LoadedModel:
        """The tracer read from `tracer_dir` (checksums verified; errors name the version),
        marked with the name and version it was registered as (`registered_name`,
        `registered_version`)."""
        model = KnowledgeTracer.load(Path(self.tracer_dir), label=self.label)
        model.registered_name, model.registered_version = self.name, self.version
        return LoadedModel(self.name, self.version, model, self.spec, self.run_id)


def fetch_version(
    name: str,
    version: str | None = None,
    *,
    alias: str | None = None,
    tracking_uri: str | None = None,
    into: str | Path,
) -> FetchedVersion:
    """Resolve version `version` (or the one behind `alias`) of registered model `name` and
    download its tracer artifact under the folder `into`. The registry's part of
    `load_version`: the nightly job runs it in a child process while it reads its inputs."""
    with tracking(tracking_uri, lookup=f"registered model {name!r}") as client:
        try:
            if alias is not None:
                mv = client.get_model_version_by_alias(name, alias)
            elif version is not None:
                mv = client.get_model_version(name, str(version))
            else:
                raise ArgumentError("load_version: give a version or an alias")
        except MlflowException as exc:
            if not is_not_found(exc):
                raise  # a network failure: `tracking` reports it as such
            which = f"alias @{alias}" if alias else f"version {version}"
            hint = registered_name_hint(client, name) or (
                _no_alias_hint(client, name, tracking_uri)
                if alias
                else " (train and promote a model first, e.g. `adaptive demo`)"
            )
            raise ModelLookupError(
                f"registered model {name!r} has no {which} in {display_uri(client.tracking_uri)}"
                + hint
            ) from exc
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{mv.version}", dst_path=str(into)
        )
    fetched = FetchedVersion(
        name,
        str(mv.version),
        str(Path(local) / "artifacts" / TRACER_ARTIFACT),
        mv.tags.get("adaptive.spec"),
        mv.run_id,
    )
    if not Path(fetched.tracer_dir).is_dir():
        raise ArtifactError(f"{fetched.label} has no {TRACER_ARTIFACT!r} artifact")
    return fetched


def _no_alias_hint(client: MlflowClient, name: str, tracking_uri: str | None) -> str:
    """What to do when registered model `name` exists but has no champion: the promote that
    makes one (with the `tracking_uri` given), and what the last promote of its latest version
    decided and why (its `promotion.decision` and `promotion.reason` tags). A district's own
    model was told "train and promote a model first, e.g. `adaptive demo`", which trains the
    demo's model, not theirs."""
    uri = f" --tracking-uri {shlex.quote(display_uri(tracking_uri))}" if tracking_uri else ""
    promote = f"`adaptive promote --name {shlex.quote(name)}{uri}`"
    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        versions = []
    if not versions:
        return f" (it has no version: train one with --name {shlex.quote(name)}, then {promote})"
    latest = max(versions, key=lambda mv: int(mv.version))
    decision = latest.tags.get("promotion.decision")
    if decision is None:
        return (
            f" (its latest version {latest.version} was never promoted: {promote} makes it "
            "champion if it passes the bar)"
        )
    reason = latest.tags.get("promotion.reason")
    return (
        f" (the last promote of its latest version {latest.version} decided {decision!r}"
        + (f": {reason}" if reason else "")
        + f"; its promotion.* tags in the MLflow UI say the rest. Run {promote} again once "
        "a version should pass)"
    )


def load_version(
    name: str,
    version: str | None = None,
    *,
    alias: str | None = None,
    tracking_uri: str | None = None,
) -> LoadedModel:
    """Load version `version` (or the one behind `alias`) of registered model `name`."""
    with tempfile.TemporaryDirectory() as tmp:
        fetched = fetch_version(name, version, alias=alias, tracking_uri=tracking_uri, into=tmp)
        return fetched.load()


def load_champion(name: str, tracking_uri: str | None = None) -> KnowledgeTracer:
    """The promoted (`@champion`) version of registered model `name`, ready for in-process use;
    its `registered_version` says which version that is (after a rollback, the earlier one)."""
    return load_version(name, alias=CHAMPION_ALIAS, tracking_uri=tracking_uri).model


@contextlib.contextmanager
def registry_process() -> Iterator[ProcessPoolExecutor]:
    """One forked child process for a job's registry calls (submit them to it): the nightly
    job's fetches the champion while the job reads its inputs, and logs the summary at the
    end. MLflow's store (1.3 s of imports, then the queries: the same at any district size) is
    loaded there once, off the night's critical path. Enter it before starting any thread."""
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    try:
        yield pool
    except BaseException:
        # an error is reported without waiting for a call still in flight (a download into a
        # folder about to be removed, a retry budget): the process is stopped, then reaped
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)  # every call has answered: the process exits at once


def registry_answer(call: Future) -> object:
    """A registry call's result, or its own error as raised in the registry's process; a
    process that died (killed, out of memory) is one clear error, not a pool's traceback."""
    try:
        return call.result()
    except BrokenProcessPool as exc:
        raise TrackingServerError(
            "the process talking to the MLflow registry died before it answered "
            f"({exc}); run the job again"
        ) from exc
