"""Dropping a night served by mistake (`adaptive batch --drop`): the trial that asked for it was
an operator who typed --date 2026-10-05 for 2026-09-30; every real night after it was refused
as "before the last night served", with no way out but --backfill on each night."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

from adaptive.batch import drop_night, run_daily_job
from adaptive.batch.writer import first_served_path, served_order
from adaptive.cli import run
from adaptive.errors import ConfigError, NightWarning

NIGHTS = ("2026-09-28", "2026-09-29")
TYPO = "2026-10-05"


def outputs(root: Path) -> dict[str, bytes]:
    """Every file the nights wrote under `root` (outputs and state), by path; lock files and
    the serving order aside."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "_locks" not in p.parts and p.name != "_served_nights.json"
    }


def serve(day: str, out: Path, args: dict, **extra) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NightWarning)
        run_daily_job(day, out, **args, **extra)


def test_a_mistyped_night_is_dropped_and_the_next_nights_are_served_as_if_it_never_ran(
    district, tmp_path, capsys
):
    args = district.job_args(k=5)
    out, clean = tmp_path / "out", tmp_path / "clean"
    serve(NIGHTS[0], out, args)
    serve(TYPO, out, args)
    with pytest.raises(ConfigError, match=f"before {TYPO}, the last night served") as refused:
        serve(NIGHTS[1], out, args)
    assert f"`adaptive batch --date {TYPO} --out {out} --drop`" in str(refused.value)
    index = first_served_path(out, TYPO)  # as a report measuring growth from it leaves
    index.parent.mkdir()
    index.write_bytes(b"the report's index of the nights after it")
    assert run(["batch", "--date", TYPO, "--out", str(out), "--drop"]) == 0
    said = capsys.readouterr().out
    assert f"dropped the night {TYPO}" in said and f"state/date={TYPO}" in said
    assert list(out.rglob(f"*{TYPO}*")) == []  # its lock file too (it was left behind)
    serve(NIGHTS[1], out, args)
    for day in NIGHTS:
        serve(day, clean, args)
    assert outputs(out) == outputs(clean)
    assert served_order(out) == list(NIGHTS)


@pytest.mark.spark
def test_a_mistyped_spark_night_is_dropped_as_an_in_process_one(district, tmp_path, capsys):
    """`--drop` was tested on the in-process engine's folders only; a Spark night writes the
    same outputs and its own state snapshot, and dropping it leaves the folder as if it never
    ran: the next Spark night equals a folder that never served the typo, byte for byte."""
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the Spark engine needs a JVM (Java 17)")
    args = district.job_args(data=district.responses, k=5)
    spark = {"engine": "spark", "master": "local[2]"}
    out, clean = tmp_path / "out", tmp_path / "clean"
    serve(NIGHTS[0], out, args, **spark)
    shutil.copytree(out, clean)  # the folder as it was before the typo
    serve(TYPO, out, args, **spark)
    assert run(["batch", "--date", TYPO, "--out", str(out), "--drop"]) == 0
    assert f"dropped the night {TYPO}" in capsys.readouterr().out
    assert [p for p in out.rglob(f"*{TYPO}*") if "_locks" not in p.parts] == []
    serve(NIGHTS[1], out, args, **spark)
    serve(NIGHTS[1], clean, args, **spark)
    assert outputs(out) == outputs(clean)
    assert served_order(out) == list(NIGHTS)


def test_a_night_later_nights_were_built_on_or_never_served_is_refused(district, tmp_path, capsys):
    args = district.job_args(k=5)
    out, state = tmp_path / "out", tmp_path / "state"  # a state folder outside --out
    for day in NIGHTS:
        serve(day, out, args, state_dir=state)
    before = outputs(out) | outputs(state)
    with pytest.raises(ConfigError, match=f"the nights {NIGHTS[1]} were served after it"):
        drop_night(out, NIGHTS[0], state)
    assert run(["batch", "--date", "2026-09-30", "--out", str(out), "--state-dir", str(state), "--drop"]) == 2  # fmt: skip
    assert "no night of that date" in capsys.readouterr().err
    assert outputs(out) | outputs(state) == before
    dropped = drop_night(out, NIGHTS[1], state)
    assert str(state / f"date={NIGHTS[1]}") in dropped.removed
    assert not (state / f"date={NIGHTS[1]}").exists()
    assert drop_night(out, NIGHTS[0], state).removed  # the earlier night now goes too
    assert served_order(out) == []


def test_a_drop_cut_off_after_setting_the_folders_aside_is_finished_by_running_it_again(
    district, tmp_path
):
    args = district.job_args(k=5)
    out = tmp_path / "out"
    serve(NIGHTS[0], out, args)
    folder = out / "recommendations" / f"date={NIGHTS[0]}"
    aside = folder.with_name(f".dropped-{folder.name}-cut")
    folder.rename(aside)  # as a drop killed after its first rename
    assert drop_night(out, NIGHTS[0]).removed  # the other folders, and the one set aside
    assert not aside.exists() and served_order(out) == []
    with pytest.raises(ConfigError, match="no night of that date"):
        drop_night(out, NIGHTS[0])
