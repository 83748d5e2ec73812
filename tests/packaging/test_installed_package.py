"""The library as a user gets it: a wheel installed outside the source tree, run from another
folder (a newcomer's trial: the demo, the simulators and datasets by name failed there, since
they read files next to the source tree the wheel did not hold, and the library wrote its data
inside the virtual environment)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Run by the installed package from another folder: every file the library reads is found,
#: and what it writes goes to the user's data folder.
PROBE = """
import json, adaptive
from adaptive.data.descriptors import list_descriptors, load_descriptor
from adaptive.paths import data_dir, demo_district_dir, source_checkout
from adaptive.policy import PolicyConfig
from adaptive.registry.tracking import code_version
from adaptive.simulation.district import district_catalog
from adaptive.simulation.learners import make_learners
from adaptive.tracing.specs import build_model

catalog = district_catalog(0)
make_learners("bkt", catalog, 3, seed=0)  # reads the shipped calibration
print(json.dumps({
    "file": adaptive.__file__,
    "checkout": str(source_checkout()),
    "datasets": list_descriptors(),
    "demo": str(load_descriptor("demo").path),
    "data_dir": str(data_dir()),
    "demo_dir": str(demo_district_dir()),
    "policy": PolicyConfig.default().target_p_correct,
    "model": type(build_model("bkt")).__name__,
    "code_version": code_version(),
    "version": adaptive.__version__,
}))
"""


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    """The source distribution, built as a release is: from a clean copy of the checkout's
    files (the checkout's own `*.egg-info` would add what it once listed)."""
    out, clean = tmp_path_factory.mktemp("sdist"), tmp_path_factory.mktemp("clean")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True
    )  # fmt: skip
    if listed.returncode != 0:
        pytest.skip("not a git checkout: its files are unknown")
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (clean / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clean / name)
    built = subprocess.run(
        [sys.executable, "-c",
         f"from setuptools import build_meta; build_meta.build_sdist({str(out)!r})"],
        cwd=clean, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if built.returncode != 0:
        pytest.fail(f"the sdist did not build:\n{built.stderr[-3000:]}")
    (path,) = out.glob("adaptive-*.tar.gz")
    return path


@pytest.fixture(scope="module")
def wheel(sdist, tmp_path_factory) -> Path:
    """The wheel a user's `pip install adaptive-*.tar.gz` builds: from the sdist, not the
    checkout, so a file the sdist lacks fails here."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         str(sdist), "-w", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if built.returncode != 0:
        pytest.fail(f"the wheel did not build:\n{built.stderr[-3000:]}")
    (path,) = out.glob("adaptive-*.whl")
    return path


def test_the_sdist_holds_the_tests_and_the_build_files_and_nothing_local(sdist) -> None:
    """A packager runs the tests against what they built and needs the install order
    (pyBKT's compiled build) that the Makefile and the CI script say; nothing of the
    checkout's own data, builds or caches ships."""
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    tracked = subprocess.run(
        ["git", "ls-files", "tests"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(set(tracked) - names) == []  # every test file, conftest and fixture
    needed = [
        "Makefile", ".ci/run", "LICENSE", "README.md", "pyproject.toml",
        "src/adaptive/tracing/_bkt_filter.c", "src/adaptive/specs/policy.toml",
    ]  # fmt: skip
    assert [n for n in needed if n not in names] == []
    local = [n for n in names if n.startswith(("data/", "build/", ".venv/", "experiments/results"))
             or "__pycache__" in n or n.endswith((".so", ".pyc"))]  # fmt: skip
    assert local == []


def test_the_wheel_holds_every_file_the_library_reads(wheel) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [
        "adaptive/specs/policy.toml", "adaptive/specs/norm.toml", "adaptive/specs/models/bkt.toml",
        "adaptive/data/datasets/assist2009.toml", "adaptive/data/datasets/demo.toml",
        "adaptive/simulation/assist2009_bkt.json", "adaptive/batch/spark_log4j2.properties",
    ]  # fmt: skip
    assert [n for n in shipped if n not in names] == []
    assert any(n.endswith("/licenses/LICENSE") for n in names)


def test_the_installed_package_reads_its_files_and_writes_to_the_users_data_folder(
    wheel, tmp_path
) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADAPTIVE_")}
    env.update(PYTHONPATH=str(site), HOME=str(tmp_path / "home"), XDG_DATA_HOME="")
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=work, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(got["file"]).is_relative_to(site)  # the wheel's, not the source tree's
    assert got["checkout"] == "None"
    assert {"assist2009", "statics2011", "demo"} <= set(got["datasets"])
    home_data = tmp_path / "home" / ".local" / "share" / "adaptive"
    assert got["data_dir"] == str(home_data)
    assert got["demo_dir"] == str(home_data / "demo-district")
    assert got["demo"] == str(home_data / "demo-district" / "responses.parquet")
    assert got["policy"] == 0.7 and got["model"] == "BKT"
    assert got["code_version"] == got["version"]  # never a commit of a repository around it
    assert not any(p.name != "__pycache__" and p.is_file() for p in work.rglob("*"))
