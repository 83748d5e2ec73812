"""The pip requirement a logged model names for this library (`requirements.txt` beside it).

PyPI's `adaptive` is another project ("parallel active learning of mathematical functions"),
so a bare `adaptive==0.1.0` would make `pip install -r requirements.txt`, `mlflow models serve`
or a model's virtualenv install that project, without an error, and the model would then fail
to load. Where the installed distribution records where it came from (PEP 610's
`direct_url.json`: a wheel file, a source folder, a VCS URL), the requirement is a direct
reference to it (`adaptive @ file:///srv/wheels/adaptive-0.1.0-py3-none-any.whl`): on another
machine that path may not exist, and pip then says so instead of installing the wrong package.
A distribution installed from an index (an internal one that hosts this library) has no such
record and keeps `adaptive==VERSION`, which that index resolves.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, distribution

DISTRIBUTION = "adaptive"


def own_requirement() -> str:
    """`adaptive @ URL` where the install records its origin, else `adaptive==VERSION`."""
    import adaptive

    pinned = f"{DISTRIBUTION}=={adaptive.__version__}"
    try:
        recorded = distribution(DISTRIBUTION).read_text("direct_url.json")
    except PackageNotFoundError:  # a source tree on sys.path, not installed
        return pinned
    url = direct_url(recorded)
    return f"{DISTRIBUTION} @ {url}" if url else pinned


def direct_url(recorded: str | None) -> str | None:
    """The PEP 508 URL of a `direct_url.json` text (a VCS URL with its commit, `git+URL@id`);
    None when absent or unreadable."""
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
        return f"{vcs['vcs']}+{url}@{vcs['commit_id']}"
    return url
