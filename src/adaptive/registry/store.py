"""Where MLflow keeps runs and registered models for `adaptive`.

Default: an embedded SQLite store in the library's data folder (`adaptive.paths.data_dir()`:
`$ADAPTIVE_DATA_DIR`, else `data/` in a source checkout, else `~/.local/share/adaptive`), as
`mlflow/mlflow.db` with its artifacts in `mlflow/artifacts/`, so no server is needed.
`--tracking-uri` on the CLI, the `tracking_uri=` argument of the library functions, or the
`MLFLOW_TRACKING_URI` environment variable point at a real MLflow server (or another store)
instead.

Commands that only look a model up (`promote`, `rollback`, loading a champion) never create a
store: `tracking(..., lookup=...)` refuses a local SQLite store that does not exist, naming its
URI, instead of leaving a new empty database behind (a cron shell without its
`MLFLOW_TRACKING_URI` then said only "version 4 not found"). A local file that is not an MLflow
store (another application's SQLite database, a text file) is refused by every command and
left unchanged (`check_store_file`).

A server that is down, or dies, fails fast and clearly: inside `tracking()` every HTTP request to
it gets a bounded retry budget (`RetryPolicy`: default 30 s in all, `ADAPTIVE_MLFLOW_RETRY_BUDGET_S`
changes it; an `MLFLOW_HTTP_REQUEST_*` variable the user set wins over the value derived here), and
a request that still fails raises `TrackingServerError`, naming the server and the failure. A
network failure is never mistaken for a missing model or alias (`is_not_found`).
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import warnings
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlsplit, urlunsplit

import mlflow
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from adaptive.errors import AdaptiveError, ArtifactError, ConfigError, closest_name
from adaptive.files import check_output_folder, make_folder
from adaptive.paths import DATA_ENV, data_dir, source_checkout

CHAMPION_ALIAS = "champion"
RETRY_BUDGET_ENV = "ADAPTIVE_MLFLOW_RETRY_BUDGET_S"
DEFAULT_RETRY_BUDGET_S = 30.0


class TrackingServerError(AdaptiveError):
    """The MLflow server could not be reached, or failed, within the retry budget."""


class ModelLookupError(ArtifactError):
    """The registry has no model to give for a look-up: no tracking store, no such registered
    model, or no version behind the alias asked for (no champion). An `ArtifactError`, as
    before, told apart by its type from a model found with a damaged artifact, whose error
    starts with the same "registered model 'x'" (`cli.options.served_model` answers only a
    look-up's)."""


class NoTrackingStoreError(ConfigError, ModelLookupError):
    """A command that looks a model up found no local store at the tracking URI. Both kinds:
    `promote` and `rollback` raise a `ConfigError` for a model that is not there, loading a
    champion an `ArtifactError` (a `ModelLookupError`), and a caller's `except` for either
    still holds."""


@dataclass(frozen=True)
class RetryPolicy:
    """How MLflow's HTTP client retries one request, so that a failing request gives up within a
    time budget: `retries` retries after the first attempt, each attempt waiting at most
    `timeout` s for the connection and for each read, with urllib3's exponential backoff
    (no sleep before the first retry, then 2, 4, ... times `backoff_factor` s, plus up to
    `jitter` s each) between them. `Retry-After` headers are not obeyed (they could exceed it).
    """

    retries: int
    backoff_factor: int
    jitter: float
    timeout: int

    @classmethod
    def within(cls, budget_s: float) -> RetryPolicy:
        """The policy whose `worst_case_s` fits in `budget_s` (at least 1 s)."""
        if not budget_s >= 1:
            raise TrackingServerError(
                f"{RETRY_BUDGET_ENV}={budget_s}: expected a number of seconds >= 1"
            )
        if budget_s >= 12:
            retries, factor, jitter = 3, 1, 0.5
        else:
            retries, factor, jitter = (1 if budget_s >= 3 else 0), 0, 0.0
        sleeps = cls._sleeps(retries, factor, jitter)
        timeout = max(1, int((budget_s - sleeps) // (retries + 1)))
        return cls(retries, factor, jitter, timeout)

    @staticmethod
    def _sleeps(retries: int, factor: int, jitter: float) -> float:
        return sum(factor * 2**i + jitter for i in range(1, retries))

    @property
    def worst_case_s(self) -> float:
        """Longest a request can take before it fails (one timeout per attempt, plus backoff)."""
        sleeps = self._sleeps(self.retries, self.backoff_factor, self.jitter)
        return (self.retries + 1) * self.timeout + sleeps

    def env(self) -> dict[str, str]:
        """The MLflow environment variables that apply this policy (read at each request)."""
        return {
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(self.retries),
            "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": str(self.backoff_factor),
            "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": str(self.jitter),
            "MLFLOW_HTTP_REQUEST_TIMEOUT": str(self.timeout),
            "MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER": "false",
        }


def retry_budget_s() -> float:
    """`$ADAPTIVE_MLFLOW_RETRY_BUDGET_S`, else 30 s."""
    raw = os.environ.get(RETRY_BUDGET_ENV, "")
    try:
        return float(raw) if raw.strip() else DEFAULT_RETRY_BUDGET_S
    except ValueError as exc:
        raise TrackingServerError(
            f"{RETRY_BUDGET_ENV}={raw!r}: expected a number of seconds >= 1"
        ) from exc


@contextmanager
def bounded_http_retries() -> Iterator[RetryPolicy]:
    """Apply `RetryPolicy.within(retry_budget_s())` to MLflow's HTTP client for a block; variables
    already set (by the user, or an enclosing block) are kept. urllib3's per-retry warnings are
    silenced. Restored afterwards."""
    policy = RetryPolicy.within(retry_budget_s())
    added = {k: v for k, v in policy.env().items() if k not in os.environ}
    os.environ.update(added)
    retries_log = logging.getLogger("urllib3.connectionpool")  # "Retrying ..." per attempt:
    level = retries_log.level  # noise, the final error says what failed
    retries_log.setLevel(max(level, logging.ERROR))
    try:
        yield policy
    finally:
        retries_log.setLevel(level)
        for key in added:
            os.environ.pop(key, None)


def display_uri(uri: str) -> str:
    """The URI without any user:password part (safe to print)."""
    parts = urlsplit(uri)
    if not parts.password and not parts.username:
        return uri
    return urlunsplit(
        parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else ""))
    )


_NETWORK_REASONS = (
    (re.compile(r"connection refused", re.I), "connection refused"),
    (re.compile(r"timed? ?out", re.I), "no answer before the timeout"),
    (
        re.compile(r"name or service not known|nodename nor servname|getaddrinfo", re.I),
        "unknown host",
    ),
    (
        re.compile(
            r"RemoteDisconnected|Connection aborted|reset by peer|BrokenPipe|Connection broken|"
            r"IncompleteRead",
            re.I,
        ),
        "the server closed the connection",
    ),
    (re.compile(r"error code (5\d\d)"), "server error HTTP {0}"),
    (re.compile(r"\b(5\d\d) Server Error"), "server error HTTP {0}"),
)


def network_failure(exc: BaseException) -> str | None:
    """A short reason when `exc` (or what caused it) is a failure to reach or use the server
    (connection refused, timeout, dropped connection, HTTP 5xx); None for an answer from it
    (e.g. "not found")."""
    seen: BaseException | None = exc
    while seen is not None:
        text = str(seen)
        api_failure = isinstance(seen, MlflowException) and text.startswith("API request to")
        if api_failure or isinstance(seen, requests.exceptions.RequestException | ConnectionError):
            for pattern, reason in _NETWORK_REASONS:
                match = pattern.search(text)
                if match:
                    return reason.format(*match.groups())
            if "failed with exception" in text or not isinstance(seen, MlflowException):
                return text.splitlines()[0][:200]
        seen = seen.__cause__ or seen.__context__
    return None


def is_not_found(exc: MlflowException) -> bool:
    """True when the server answered that the model, version or alias does not exist."""
    return network_failure(exc) is None and exc.error_code in (
        "RESOURCE_DOES_NOT_EXIST",
        "INVALID_PARAMETER_VALUE",
        "NOT_FOUND",
    )


def server_error(uri: str, reason: str) -> TrackingServerError:
    """The one error for an unreachable or failing server: which server, what failed, the budget."""
    return TrackingServerError(
        f"MLflow server {display_uri(uri)}: {reason} (gave up once its retries were spent: "
        f"at most {retry_budget_s():g} s in all, less where the server refuses at once; "
        f"{RETRY_BUDGET_ENV} changes it)"
    )


def default_tracking_uri() -> str:
    """The embedded SQLite store under the data folder."""
    return f"sqlite:///{(data_dir() / 'mlflow' / 'mlflow.db').resolve()}"


#: URI schemes MLflow's tracking and registry stores accept (a database URL may add a driver,
#: `postgresql+psycopg2`): anything else is a typo, refused before MLflow fails on it.
TRACKING_SCHEMES = frozenset(
    {"sqlite", "http", "https", "postgresql", "mysql", "mssql", "databricks", "databricks-uc",
     "uc"}
)  # fmt: skip


def resolve_tracking_uri(tracking_uri: str | None = None, *, create: bool = True) -> str:
    """The explicit URI, else `$MLFLOW_TRACKING_URI`, else the embedded SQLite store. With
    `create`, a local store's folder is made (a store about to be written); without, nothing.
    An error names where the URI came from (`store_origin`)."""
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()
    scheme = urlparse(uri).scheme.split("+")[0]
    source = store_origin(tracking_uri)
    if scheme in ("", "file") and os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() != "true":
        raise ConfigError(
            f"{source} {uri!r}: a folder is MLflow's file store, which MLflow 3 no longer "
            "serves; give sqlite:///PATH/mlflow.db (or a server URL)"
        )
    if scheme not in TRACKING_SCHEMES | {"", "file"}:
        raise ConfigError(
            f"{source} {uri!r}: unsupported scheme {scheme!r}; expected a server URL "
            "(http://HOST:PORT), sqlite:///PATH, a database URL or a local folder"
        )
    if uri.startswith("sqlite:///"):
        check_sqlite_path(uri, source)
        db = Path(uri.removeprefix("sqlite:///"))
        try:
            if create:
                make_folder(db.parent, db)
            else:
                check_output_folder(db.parent, db)  # a path under a file: said as when writing
        except AdaptiveError as exc:  # a path the user may never have typed: say whence
            raise AdaptiveError(f"{exc} (the tracking store: {source})") from None
        check_store_file(db, uri, source)
    return uri


#: The first bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"
#: Tables every MLflow tracking store has (its schema's version and its experiments).
MLFLOW_TABLES = frozenset({"alembic_version", "experiments"})


def check_store_file(db: Path, uri: str, source: str) -> None:
    """A local store's file, when there is one, is an MLflow store, or one `ConfigError` naming
    it and leaving it unchanged: MLflow would add its tables to any SQLite database it is
    pointed at, and fail on a file that is no database. A missing or empty file is a store not
    made yet (`check_store_exists` decides whether that may be)."""
    if not db.is_file() or db.stat().st_size == 0:
        return
    with db.open("rb") as f:
        header = f.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise ConfigError(
            f"{uri} ({source}): {db} is not a SQLite database, so not an MLflow tracking "
            "store; give the store's own file (sqlite:///PATH/mlflow.db) or a server URL"
        )
    tables = sqlite_tables(db, f"{uri} ({source})")
    if tables and not set(tables) >= MLFLOW_TABLES:
        raise ConfigError(
            f"{uri} ({source}): {db} is a SQLite database but not an MLflow tracking store "
            f"(its tables: {', '.join(tables[:5])}{' ...' if len(tables) > 5 else ''}); it is "
            "left as it is: give the store's own file (sqlite:///PATH/mlflow.db) or a new one"
        )


def sqlite_tables(db: Path, where: str) -> list[str]:
    """The table names of a SQLite database, read without changing the file; `where` (the URI
    and where it came from) leads an error."""
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as con:
            rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.DatabaseError as exc:
        raise ConfigError(
            f"{where}: {db} cannot be read as a SQLite database ({exc}); expected an MLflow "
            "tracking store's file (sqlite:///PATH/mlflow.db) or a server URL"
        ) from None
    return sorted(name for (name,) in rows if not name.startswith("sqlite_"))


def local_store_path(tracking_uri: str) -> Path | None:
    """The database file of a local SQLite store (`sqlite:///PATH`); None for a server or
    another database."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    return Path(tracking_uri.removeprefix("sqlite:///"))


def store_origin(tracking_uri: str | None = None) -> str:
    """Where the store's URI came from, in words: the flag, the variable, or the default store
    in the data folder (and which one: an installed user has no project folder)."""
    if tracking_uri:
        return "--tracking-uri"
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return "$MLFLOW_TRACKING_URI"
    if os.environ.get(DATA_ENV):
        return f"the default store, in ${DATA_ENV}"
    if source_checkout() is not None:
        return "the default store, in the source checkout's data/ folder"
    return "the default store, in the user's data folder (~/.local/share/adaptive)"


def check_store_exists(uri: str, lookup: str, tracking_uri: str | None = None) -> None:
    """A local SQLite store that does not exist is one `NoTrackingStoreError` naming its URI and
    how it was chosen: looking `lookup` up in it would only create an empty store (MLflow makes
    the database on first contact). A server or another database is asked as it is."""
    db = local_store_path(uri)
    if db is None or (db.is_file() and db.stat().st_size > 0):
        return
    empty = "; its file is empty" if db.is_file() else ""
    raise NoTrackingStoreError(
        f"{lookup}: no tracking store at {uri} ({store_origin(tracking_uri)}{empty}): train a "
        "model first (`adaptive train --name NAME`), or pass --tracking-uri (or set "
        "MLFLOW_TRACKING_URI) to the store that holds it"
    )


def check_sqlite_path(uri: str, source: str = "--tracking-uri") -> None:
    """A `sqlite:///PATH` URI (three slashes: PATH relative to the current folder, in
    SQLAlchemy's rules) whose first folder is missing here but exists at the root ('tmp/...'
    where /tmp exists) is refused as one `ConfigError`: the user meant the absolute path, and
    MLflow would silently create a new store under the current folder."""
    if not uri.startswith("sqlite:///") or uri.startswith("sqlite:////"):
        return
    relative = uri.removeprefix("sqlite:///")
    first = Path(relative).parts[0] if relative else ""
    if first in ("", ".", "..") or Path(first).exists() or not (Path("/") / first).exists():
        return
    raise ConfigError(
        f"{source} {uri} is relative to the current folder (./{relative}); for /{relative} "
        f"write sqlite:////{relative} (four slashes), or sqlite:///./{relative} for the "
        "relative path"
    )


def local_artifact_root(tracking_uri: str) -> str | None:
    """For a SQLite store: a file URI beside the database (MLflow would use `./mlruns` of the
    current directory otherwise). For a server: None, the server decides."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    db = Path(tracking_uri.removeprefix("sqlite:///"))
    root = db.parent / "artifacts"
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve().as_uri()


@contextmanager
def tracking(
    tracking_uri: str | None = None, *, lookup: str | None = None
) -> Iterator[MlflowClient]:
    """Point MLflow's fluent API at the store for the duration of a block; restores it after.

    HTTP requests in the block have a bounded retry budget; a server that cannot be reached (or
    fails) raises `TrackingServerError`. `lookup`: what a caller that reads an existing model
    looks up ("registered model 'x'"): a local store that does not exist is then an error
    naming its URI (`check_store_exists`), and nothing is created."""
    uri = resolve_tracking_uri(tracking_uri, create=lookup is None)
    if lookup is not None:
        check_store_exists(uri, lookup, tracking_uri)
    env = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    previous = mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        with bounded_http_retries():
            yield MlflowClient(tracking_uri=uri, registry_uri=uri)
    except (MlflowException, requests.exceptions.RequestException) as exc:
        reason = network_failure(exc)
        if reason is None:
            raise
        raise server_error(uri, reason) from exc
    finally:
        mlflow.set_tracking_uri(previous)
        mlflow.set_registry_uri(None)
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def experiment_id(client: MlflowClient, name: str) -> str:
    """The id of experiment `name`, created (with a local artifact root if needed) when absent."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    root = local_artifact_root(client.tracking_uri)
    if root is None:
        return client.create_experiment(name)
    return client.create_experiment(name, artifact_location=f"{root}/{name}")


@contextmanager
def quiet_mlflow() -> Iterator[None]:
    """Silence MLflow's advisory warnings (signature, input example) for a block."""
    logger = logging.getLogger("mlflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        logger.setLevel(level)


def registered_name_hint(client: MlflowClient, name: str) -> str:
    """For an error about registered model `name`: when the registry has no model of that name,
    "; no registered model 'X' (did you mean 'district'?; registered: ...)" (a typo names a model
    that does not exist, which "has no versions" hides; "registered: none" says the store is
    empty or new); "" when it has one."""
    names = unregistered_note(client, name)
    return f"; no registered model {name!r} {names}" if names else ""


def unregistered_note(client: MlflowClient, name: str) -> str | None:
    """ "(did you mean 'district'? registered: ...)" when the registry has no model `name`;
    None when it has one (or cannot be asked)."""
    try:
        names = sorted(m.name for m in client.search_registered_models(max_results=1000))
    except MlflowException:
        return None
    if name in names:
        return None
    close = closest_name(name, names)
    mean = f"did you mean {close!r}? " if close else ""
    listed = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "") if names else "none"
    return f"({mean}registered: {listed})"
