"""The pip requirement a logged model names for this library (`requirements.txt` beside it).

PyPI's `adaptive` is another project ("parallel active learning of mathematical functions"),
so a bare `adaptive==0.1.0` would make `pip install -r requirements.txt`, `mlflow models serve`
or a model's virtualenv install that project, without an error, and the model would then fail
to load. Where the installed distribution records where it came from (PEP 610's
`direct_url.json`: a wheel file, a source folder, a VCS URL), the requirement is a direct
reference to it (`adaptive @ file:///srv/wheels/adaptive-0.1.0-py3-none-any.whl`): on another
machine that path may not exist, and pip then says so instead of installing the wrong package.
A distribution installed from an index (an internal one that hosts this library) has no such
record and keeps `adaptive==VERSION`, which that index resolves: VERSION is the installed
distribution's (its metadata, as `adaptive --version` says it), not a copy of it in the code.
A source tree on `sys.path` that is not installed names its folder.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, distribution

from adaptive.paths import source_checkout

DISTRIBUTION = "adaptive"


def own_requirement() -> str:
    """`adaptive @ URL` where the install records its origin, else `adaptive==VERSION` (the
    installed version); a source checkout that is not installed: `adaptive @ file:///FOLDER`."""
    try:
        installed = distribution(DISTRIBUTION)
    except PackageNotFoundError:
        return _not_installed()
    url = direct_url(installed.read_text("direct_url.json"))
    return f"{DISTRIBUTION} @ {url}" if url else f"{DISTRIBUTION}=={installed.version}"


def _not_installed() -> str:
    """The requirement of a package imported from a folder on `sys.path`, not installed: its
    source checkout, which pip installs; else (a copy of the package alone, which nothing can
    install) the version written in its code."""
    checkout = source_checkout()
    if checkout is not None:
        return f"{DISTRIBUTION} @ {checkout.resolve().as_uri()}"
    import adaptive

    return f"{DISTRIBUTION}=={adaptive.__version__}"


def direct_url(recorded: str | None) -> str | None:
    """The PEP 508 URL of a `direct_url.json` text (a VCS URL with its commit, `git+URL@id`;
    a project in a subfolder with `#subdirectory=PATH`); None when absent or unreadable."""
    if not recorded:
        return None
    try:
        record = json.loads(recorded)
    except ValueError:
        return None
    url = record.get("url") if isinstance(record, dict) else None
    if not isinstance(url, str) or not url:
        return None
    vcs = record.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") and vcs.get("commit_id"):
        url = f"{vcs['vcs']}+{url}@{vcs['commit_id']}"
    subdirectory = record.get("subdirectory")
    if isinstance(subdirectory, str) and subdirectory:
        url += f"#subdirectory={subdirectory}"
    return url
