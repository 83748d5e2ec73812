"""What a district's data engineer running the nightly job from cron found (each test failed on
the code before its fix): a catalog that changed between nights, an empty export, students
served without a school, far-future rows, a new champion not named, a folder that cannot be
written."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adaptive.batch import run_daily_job
from adaptive.cli import run
from adaptive.curriculum import Activity, Catalog
from adaptive.data.log import ResponseLog
from adaptive.errors import ConfigError, NightWarning

DAY_1, DAY_2 = "2026-09-28", "2026-10-05"


def parquet(root: Path, day: str) -> dict[str, bytes]:
    folder = root / "recommendations" / f"date={day}"
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.parquet"))}


def test_a_catalog_that_gained_an_activity_or_skill_rebuilds_the_next_night(district, tmp_path):
    """The next night failed ("inconsistent shapes", exit 1) and so did every later one (the
    snapshot's history is laid out by the old catalog). It rebuilds now, with a warning, and
    serves what a fresh run on the new catalog serves."""
    catalog = Catalog.from_json(district.catalog)
    extra = Activity("extra.practice", "Extra practice", (catalog.skills[0].id,), grade=3)
    grown = Catalog(catalog.skills, (*catalog.activities, extra), topics=catalog.topics)
    path = tmp_path / "grown.json"
    grown.to_json(path)
    out = tmp_path / "out"
    run_daily_job(DAY_1, out, **district.job_args())
    with pytest.warns(NightWarning, match="the catalog changed since the snapshot"):
        second = run_daily_job(DAY_2, out, **district.job_args(catalog=path))
    assert second.state_rebuilt and second.rebuild_reason == "the catalog changed"
    run_daily_job(DAY_2, tmp_path / "fresh", **district.job_args(catalog=path))
    assert parquet(out, DAY_2) == parquet(tmp_path / "fresh", DAY_2)


def test_an_empty_or_partial_export_is_refused_not_served(district, tmp_path):
    """An export with the right columns and no rows rebuilt every student from nothing, with
    exit 0 (mastery fell from 0.245 to 0). A log that lost most of the rows the last snapshot
    was built from is refused; a few rows removed only rebuild."""
    out = tmp_path / "out"
    run_daily_job(DAY_1, out, **district.job_args())
    frame = district.log.frame
    empty = ResponseLog.from_frame(frame.iloc[:0])
    with pytest.raises(ConfigError, match="a failed or partial export"):
        run_daily_job(DAY_2, out, **district.job_args(data=empty))
    half = ResponseLog.from_frame(frame.iloc[: len(frame) // 3])
    with pytest.raises(ConfigError, match="--state-dir NEW"):
        run_daily_job(DAY_2, out, **district.job_args(data=half))
    fewer = np.ones(len(frame), bool)
    fewer[:5] = False
    with pytest.warns(NightWarning, match="rows removed"):
        again = run_daily_job(DAY_2, out, **district.job_args(data=district.log.take_rows(fewer)))
    assert again.state_rebuilt
    # an operator's trial: nights from a Parquet file, then a header-only CSV (another unit:
    # the guard was skipped, 1,000 students served from nothing, exit 0)
    parquet_out = tmp_path / "parquet-out"
    run_daily_job(DAY_1, parquet_out, **district.job_args(data=district.responses))
    header_only = tmp_path / "header.csv"
    header_only.write_text("student_id,item_id,skill_ids,correct,timestamp\n")
    with pytest.raises(ConfigError, match="a failed or partial export"):
        run_daily_job(DAY_2, parquet_out, **district.job_args(data=header_only))


def test_the_summary_names_the_model_the_reason_and_the_unassigned(district, tmp_path, capsys):
    """The summary line never named the model or why the state was rebuilt; students served in
    school 'unassigned' were counted only in MLflow; rows dated 2062 were dropped silently."""
    frame = district.log.frame.copy()
    frame.loc[frame.index[:3], "timestamp"] = pd.Timestamp("2062-01-05 10:00", tz="UTC")
    data = tmp_path / "log.parquet"
    frame.to_parquet(data)
    args = ["batch", "--date", DAY_1, "--out", str(tmp_path / "out"), "--data", str(data),
            "--catalog", str(district.catalog), "--profiles", str(district.profiles),
            "--name", district.model, "--tracking-uri", district.uri, "--workers", "1"]  # fmt: skip
    assert run(args) == 0
    captured = capsys.readouterr()
    said, err = (" ".join(text.split()) for text in (captured.out, captured.err))
    assert "━" not in captured.out  # an operator's trial: the progress bar went to stdout
    assert f"model {district.model} v" in said
    assert "state rebuilt from the full history: first night (no earlier snapshot)" in said
    assert run(args) == 0  # the same night again: nothing is redone, and the line says so
    again = " ".join(capsys.readouterr().out.split())
    assert "0 partitions written" in again and "the night was already served" in again
    assert "rebuilt" not in again
    assert "students were served in school 'unassigned'" in err
    # dated after the night (not the wall clock): the 2062 rows and the log's days after DAY_1
    after = int((frame["timestamp"] >= pd.Timestamp(DAY_1, tz="UTC") + pd.Timedelta(days=1)).sum())
    assert f"{after:,} responses are dated after the night of {DAY_1} (up to 2062-01-05)" in err
    summary = run_daily_job(DAY_1, tmp_path / "lib", **district.job_args(data=data))
    assert summary.students_unassigned > 0 and summary.responses_in_future == after > 3


def test_a_night_of_one_student_without_a_profile_says_one_student_not_1_students(
    district, tmp_path, capsys
):
    """A user trial: `batch` with a student missing from the profiles said "1 students were
    served in school 'unassigned'"; its sibling lines said "1 responses are dated after the
    night" and "1 rows quarantined". Each counts in the singular now."""
    from adaptive.batch.job import read_profiles

    profiles = read_profiles(district.profiles)
    frame = district.log.frame.copy()
    frame["student_id"] = frame["student_id"].astype(str)
    without = sorted(set(frame["student_id"]) - set(profiles))
    frame = frame[~frame["student_id"].isin(without[1:])]  # one student without a profile
    frame["correct"] = frame["correct"].astype(str)
    frame.loc[frame.index[0], "correct"] = "maybe"  # one row to quarantine
    frame.loc[frame.index[1], "timestamp"] = pd.Timestamp("2062-01-05 10:00", tz="UTC")
    data = tmp_path / "log.csv"
    frame.to_csv(data, index=False)
    night = district.last_day
    args = ["batch", "--date", night, "--out", str(tmp_path / "out"), "--data", str(data),
            "--catalog", str(district.catalog), "--profiles", str(district.profiles),
            "--name", district.model, "--tracking-uri", district.uri, "--workers", "1",
            "--quarantine", str(tmp_path / "rejected.csv"), "--quiet"]  # fmt: skip
    assert run(args) == 0
    captured = capsys.readouterr()
    said = " ".join((captured.out + captured.err).split())
    assert "1 student was served in school 'unassigned'" in said
    assert f"1 response is dated after the night of {night} (up to 2062-01-05)" in said
    assert "; 1 row quarantined;" in said
    assert not re.search(r"\b1 (students|responses|rows)\b", said)


def test_an_unwritable_out_or_state_folder_is_one_error_before_the_work(district, tmp_path):
    """`--out` under a file, or a state folder that cannot be written, was an internal error
    (exit 1), the state folder found only after every partition was written."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="--out .*: cannot write there"):
        run_daily_job(DAY_1, blocker / "out", **district.job_args())
    with pytest.raises(ConfigError, match="--state-dir .*: cannot write there"):
        run_daily_job(DAY_1, tmp_path / "out", **district.job_args(state_dir=blocker / "state"))
    assert not (tmp_path / "out" / "recommendations").exists()


def test_rerunning_a_past_night_with_a_new_champion_says_it_replaces_it(district, tmp_path):
    from adaptive.batch.night_checks import night_served_before
    from adaptive.batch.partition import OUTPUT_TABLES

    out = tmp_path / "out"
    summary = run_daily_job(DAY_1, out, **district.job_args())
    listing = json.loads((out / OUTPUT_TABLES[0] / f"date={DAY_1}" / "_SUCCESS.json").read_text())
    assert str(listing["model_version"]) == str(summary.model_version)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert night_served_before(out, DAY_1, listing).version is None
    said = (
        f"the night {DAY_1} was served with model version {summary.model_version}; this re-run "
        "serves it with model version 99, replacing what its students were shown"
    )
    with pytest.warns(NightWarning, match=said):
        again = night_served_before(out, DAY_1, {**listing, "model_version": "99"})
    assert again.version == str(summary.model_version)


def test_train_from_a_district_folder_with_a_model_that_takes_no_catalog(district, tmp_path):
    """`train --model pfa --district D` failed: "--catalog: the model spec 'pfa' does not take a
    catalog", an option the user never gave (the folder's catalog is for BKT)."""
    uri = f"sqlite:///{tmp_path / 'm.db'}"
    args = ["train", "--model", "pfa", "--district", str(district.root / "files"),
            "--tracking-uri", uri, "--folds", "2", "--quiet"]  # fmt: skip
    assert run(args) == 0
    given = tmp_path / "c.json"
    given.write_text(district.catalog.read_text())
    assert run([*args[:2], "pfa", "--data", str(district.responses), "--catalog", str(given),
                *args[5:]]) == 2  # fmt: skip


def test_a_night_ends_the_runs_of_killed_nights(district, tmp_path):
    """An operator's trial: a night killed mid-way (SIGKILL, or SIGTERM) left its MLflow run
    RUNNING forever. The next night marks such runs FAILED, with the reason: deleted ones too
    (a refused night's, left RUNNING in the store by earlier versions), which stay deleted."""
    import subprocess
    import sys

    from mlflow import MlflowClient

    from adaptive.batch.job import BATCH_EXPERIMENT
    from adaptive.registry.runs import owner_tags
    from adaptive.registry.store import experiment_id

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = {**owner_tags(), "adaptive.pid": gone.stdout.strip()}
    dead.pop("adaptive.pid_start", None)
    client = MlflowClient(district.uri)
    killed = client.create_run(
        experiment_id(client, BATCH_EXPERIMENT), run_name="batch-killed",
        tags={"adaptive.kind": "batch", **dead},
    )  # fmt: skip
    # a failed night's run deleted while RUNNING (as versions before the runs were ended first
    # did): it stayed RUNNING in the store, out of the search that ends such runs
    deleted = client.create_run(
        experiment_id(client, BATCH_EXPERIMENT), run_name="batch-refused",
        tags={"adaptive.kind": "batch", **dead},
    )  # fmt: skip
    client.delete_run(deleted.info.run_id)
    run_daily_job(DAY_1, tmp_path / "out", **district.job_args())
    ended = client.get_run(killed.info.run_id)
    assert ended.info.status == "FAILED"
    assert "ended without finishing the run" in ended.data.tags["adaptive.failed_reason"]
    ended = client.get_run(deleted.info.run_id)
    assert ended.info.status == "FAILED" and ended.info.lifecycle_stage == "deleted"


def test_a_night_dated_long_after_the_log_is_refused_before_anything_is_written(district, tmp_path):
    """`--date 2030-01-01` (a mistyped year) was served from answers three years old, and every
    normal night after it was then refused as coming before 2030-01-01: the night is refused
    with the newest answer's date, nothing is written, and the right night is served after it."""
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=r"--date 2030-01-01: .* days after the newest response"):
        run_daily_job("2030-01-01", out, **district.job_args())
    assert not (out / "recommendations").exists()
    run_daily_job(DAY_1, out, **district.job_args())
    with pytest.raises(ConfigError, match="a mistyped --date, or an old export"):
        run_daily_job("2030-01-01", out, **district.job_args())
    assert not (out / "recommendations" / "date=2030-01-01").exists()
    second = run_daily_job(DAY_2, out, **district.job_args())  # not blocked
    assert second.students_served > 0


def test_a_stale_night_after_a_served_one_gives_the_served_cutoff_as_a_bound(district, tmp_path):
    """A data scientist's trial: into a folder whose last night was served after the log's
    last answer, a mistyped --date was refused giving that night's cutoff as "the newest
    response" (another date and day count than into a fresh folder). It says what it knows: no
    response since that night, whose cutoff bounds the newest."""
    newest = pd.Timestamp(int(district.log.time.max()), tz="UTC")
    after = (newest + pd.Timedelta(days=3)).date().isoformat()
    export = tmp_path / "log.parquet"  # a file: a night after a snapshot reads only its new rows
    district.log.frame.to_parquet(export)
    args = district.job_args(data=export)
    out = tmp_path / "out"
    run_daily_job(after, out, **args)
    gap = (pd.Timestamp("2030-01-01") - pd.Timestamp(after)).days
    with pytest.raises(ConfigError) as caught:
        run_daily_job("2030-01-01", out, **args)
    assert (
        f"--date 2030-01-01: at least {gap:,} days after the newest response of "
        f"{export} (none since the night of {after} already served, which read the "
        "responses before it)"
    ) in str(caught.value)
    with pytest.raises(ConfigError) as fresh:  # a fresh folder: the newest response itself
        run_daily_job("2030-01-01", tmp_path / "fresh", **args)
    assert f"response of {export} (on {newest.date()})" in str(fresh.value)


def test_students_who_lost_their_profile_since_the_last_night_are_counted(district, tmp_path):
    """A data steward's trial: last term's roster given by mistake sent the new students to
    school 'unassigned' and the movers back, exit 0, with only the generic count of students
    served without a school. The night counts those who had a school on the last night."""
    out = tmp_path / "out"
    run_daily_job(DAY_1, out, **district.job_args())
    lines = district.profiles.read_text().splitlines()
    served = set(pd.read_parquet(out / "students" / f"date={DAY_1}")["student_id"])
    dropped = [ln for ln in lines if json.loads(ln)["student_id"] in served][:7]
    older = tmp_path / "older.jsonl"
    older.write_text("\n".join(ln for ln in lines if ln not in dropped) + "\n")
    with pytest.warns(NightWarning, match=rf"7 students served in a school on the night of "
                      rf"{DAY_1} have no profile in tonight's --profiles"):  # fmt: skip
        run_daily_job(DAY_2, out, **district.job_args(profiles=older))
    with warnings.catch_warnings():  # the night again with the roster of the last: no word
        warnings.filterwarnings("error", ".*served in a school on the night", NightWarning)
        run_daily_job(DAY_2, out, **district.job_args())


def test_a_killed_nights_snapshot_in_the_making_goes_once_the_night_is_served(district, tmp_path):
    """A data scientist's trial: after `kill -9` while a night wrote its state, the folder in
    the making (`state/.date=D.<hex>.tmp/`) stayed beside the snapshot the rerun wrote. It goes
    once the night is served; another date's (a run of another night, under way) stays."""
    out = tmp_path / "out"
    state = out / "state"
    stale = state / f".date={DAY_1}.0123456789ab.tmp"
    other = state / f".date={DAY_2}.0123456789ab.tmp"
    for folder in (stale, other):
        folder.mkdir(parents=True)
        (folder / "tracer.npz").write_bytes(b"half written")
    run_daily_job(DAY_1, out, **district.job_args())
    assert (state / f"date={DAY_1}" / "meta.json").is_file()
    assert not stale.exists() and other.exists()


def test_a_night_after_the_other_engine_s_snapshot_says_so(district, tmp_path):
    """A district moving to Spark (or back) served its next night into the same folder, and
    the summary read "first night (no earlier snapshot)" beside two nights' snapshots, as if
    their history were lost: each engine reads its own snapshots only. It names the other's."""
    out = tmp_path / "out"
    other = out / "state" / f"date={DAY_1}"
    other.mkdir(parents=True)
    (other / "meta.json").write_text(json.dumps({"format": "parquet-by-school"}))
    summary = run_daily_job(DAY_2, out, **district.job_args())
    assert summary.rebuild_reason == (
        f"no snapshot of this engine's before this night (the state of {DAY_1} is the Spark "
        "engine's, which this engine does not read)"
    )


def _with_last_years_leavers(profiles: Path, where: Path, n: int) -> tuple[Path, list[str]]:
    """`profiles` and `n` profiles of students the log never heard of (last year's graduates
    and leavers, in a school of the roster): the roster of last year given by mistake."""
    lines = profiles.read_text().splitlines()
    first = json.loads(lines[0])
    ids = [f"ly{i:05d}" for i in range(n)]
    extra = [json.dumps({**first, "student_id": sid}) for sid in ids]
    where.write_text("\n".join([*lines, *extra]) + "\n")
    return where, ids


ROSTER_ONLY = "the state holds from an earlier night's roster"


def test_students_placed_from_a_mistaken_roster_and_never_answered_are_not_served(
    district, tmp_path
):
    """A district operator's trial: one night served with last year's roster put 86 graduates
    (no answer in this year's log) into the state; every later night with the right roster
    served them in school 'unassigned', advising to leave them out of a log export they were
    never in. They are kept in the state, not served, and counted in one warning that names
    the night that first served them and the drop that removes it."""
    out = tmp_path / "out"
    args = district.job_args()
    run_daily_job(DAY_1, out, **args)
    last_year, ids = _with_last_years_leavers(district.profiles, tmp_path / "ly.jsonl", 6)
    night_2 = (pd.Timestamp(DAY_1) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    run_daily_job(night_2, out, **{**args, "profiles": last_year})
    assert set(ids) <= set(pd.read_parquet(out / "students" / f"date={night_2}")["student_id"])
    for day in (DAY_2, "2026-10-06"):
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            summary = run_daily_job(day, out, **args)
        words = [str(w.message) for w in said if ROSTER_ONLY in str(w.message)]
        assert words == [
            f"6 students the state holds from an earlier night's roster (first served on the "
            f"night of {night_2}) have no profile tonight and no answer in the log: not served "
            "(placed from a roster, never answered); if that night's --profiles was a mistake, "
            f"`adaptive batch --date {night_2} --out {out} --drop` removes it (after the nights "
            "served since, the latest first)"
        ], day
        assert not [w for w in said if "no profile in tonight's --profiles" in str(w.message)]
        served = pd.read_parquet(out / "students" / f"date={day}")
        assert not set(ids) & set(served["student_id"])
        # the students without a profile who have answers are served in 'unassigned' as before
        assert summary.students_unassigned == summary.students_without_profile > 0
