"""The batch job's guards: one run per output date, a user's data with its own catalog, skills the
model knows, sealed metadata, the umask, and no student id in logs or MLflow."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import pytest
from mlflow import MlflowClient

from adaptive.batch import run_daily_job
from adaptive.batch.drop import drop_night
from adaptive.batch.job import SummaryNotLoggedError
from adaptive.batch.lock import BatchLockedError, lock_path, serving_lock_path
from adaptive.batch.snapshot import snapshot_dir
from adaptive.batch.writer import served_order
from adaptive.cli import run
from adaptive.curriculum import Activity, Catalog, Skill, read_profiles
from adaptive.errors import ArtifactError, ConfigError, CoverageWarning, NightWarning
from adaptive.files import read_sealed_json
from adaptive.policy.adapter import check_skill_coverage

DAY_1, DAY_2 = "2026-09-28", "2026-10-05"

HOLD_LOCK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from adaptive.batch import lock

    take = getattr(lock, sys.argv[3])  # date_lock, or serving_lock (the folder's)
    with take(Path(sys.argv[1]), sys.argv[2], {"k": 1}):
        print("locked", flush=True)
        sys.stdin.read()  # until the test closes stdin (or kills us)
    """
)

SECOND_JOB = textwrap.dedent(
    """
    import sys
    from adaptive.batch import run_daily_job
    from adaptive.errors import AdaptiveError

    out, day, uri, data, catalog, profiles = sys.argv[1:]
    try:
        run_daily_job(day, out, model_name="batch-test-district", data=data, catalog=catalog,
                      profiles=profiles, tracking_uri=uri, show_progress=False, k=1)
    except AdaptiveError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    """
)


def hold_lock(out: Path, day: str, lock: str = "date_lock") -> subprocess.Popen:
    """Another process holding the date's lock (or the folder's, serving `day`: `lock`
    "serving_lock") until its stdin closes or it is killed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out), day, lock],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_two_output_folders_sharing_a_state_folder_are_one_nights_lock(district, tmp_path):
    """An operator's trial: two runs of one night into two output folders sharing a
    `--state-dir` both wrote its snapshot at once. The state folder's date is locked too."""
    state = tmp_path / "shared-state"
    holder = hold_lock(state, district.last_day)
    try:
        with pytest.raises(BatchLockedError, match=f"pid {holder.pid} on "):
            run_daily_job(district.last_day, tmp_path / "b", **district.job_args(state_dir=state))
    finally:
        holder.kill()
        holder.wait()


def parquet_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def test_a_second_run_fails_at_once_naming_the_holder_and_a_killed_one_is_taken_over(
    district, tmp_path
):
    out = tmp_path / "out"
    holder = hold_lock(out, district.last_day)
    try:
        started = time.monotonic()
        with pytest.raises(BatchLockedError, match=f"pid {holder.pid} on ") as caught:
            run_daily_job(district.last_day, out, **district.job_args())
        assert time.monotonic() - started < 2  # at once: before the model or the data are read
        assert "being written by another batch run" in str(caught.value)
        assert not (out / "recommendations").exists()
    finally:
        holder.kill()  # SIGKILL: the process cannot release anything
        holder.wait()
    assert json.loads(lock_path(out, district.last_day).read_text())["pid"] == holder.pid

    with pytest.warns(NightWarning) as caught:
        summary = run_daily_job(district.last_day, out, **district.job_args())
    taken = [str(w.message) for w in caught if "taking over" in str(w.message)]
    assert len(taken) == 1 and f"pid {holder.pid}" in taken[0]
    assert "that process no longer exists" in taken[0]
    assert summary.students_served > 0
    assert lock_path(out, district.last_day).read_text() == ""  # released: no holder record


def test_two_real_jobs_into_one_out_never_mix(district, tmp_path):
    """While this process's job (k=5) writes, a second job (k=1) in another process is refused;
    the date's outputs are all from the first job."""
    out = tmp_path / "out"
    second: list[subprocess.CompletedProcess] = []
    once = threading.Lock()

    def start_second_job(school: str) -> None:
        if not once.acquire(blocking=False):  # the first partition only (2 worker threads)
            return
        args = [district.uri, str(district.responses), str(district.catalog)]
        args.append(str(district.profiles))
        cmd = [sys.executable, "-c", SECOND_JOB, str(out), district.last_day, *args]
        second.append(subprocess.run(cmd, capture_output=True, text=True, timeout=120))

    summary = run_daily_job(
        district.last_day,
        out,
        **district.job_args(k=5, data=district.responses, on_partition=start_second_job),
    )
    (refused,) = second
    assert refused.returncode == 2, refused.stderr
    assert f"pid {os.getpid()} on " in refused.stderr and "being written" in refused.stderr
    assert summary.partitions_written == summary.schools
    alone = tmp_path / "alone"
    run_daily_job(district.last_day, alone, **district.job_args(k=5, data=district.responses))
    for table in ("recommendations", "students"):
        assert parquet_files(out / table) == parquet_files(alone / table)  # nothing from k=1


def test_two_nights_of_different_dates_into_one_out_are_served_one_at_a_time(district, tmp_path):
    """A district operator's trial: two runs of different dates started together into one
    `--out` both passed the date-order check, the later date was served from the same snapshot,
    and the earlier one after it, without --backfill. While this process serves DAY_2, a run
    of DAY_1 in another process fails at once, naming the night served; DAY_2 is served
    alone."""
    out = tmp_path / "out"
    second: list[subprocess.CompletedProcess] = []
    once = threading.Lock()

    def start_second_job(school: str) -> None:
        if not once.acquire(blocking=False):  # the first partition only
            return
        args = [district.uri, str(district.responses), str(district.catalog)]
        cmd = [sys.executable, "-c", SECOND_JOB, str(out), DAY_1, *args, str(district.profiles)]
        second.append(subprocess.run(cmd, capture_output=True, text=True, timeout=120))

    args = district.job_args(k=1, data=district.responses, on_partition=start_second_job)
    summary = run_daily_job(DAY_2, out, **args)
    (refused,) = second
    assert refused.returncode == 2, refused.stderr
    said = refused.stderr
    assert f"the night {DAY_2} is being served into it by another batch run" in said
    assert f"(pid {os.getpid()} on " in said and "started " in said
    assert "add --backfill" in said and "run this night" in said
    assert summary.partitions_written == summary.schools
    assert served_order(out) == [DAY_2]
    assert not lock_path(out, DAY_1).exists()  # the refused night left no lock file
    assert serving_lock_path(out).read_text() == ""  # released, no killed-run record


@pytest.mark.parametrize("engine", ["local", pytest.param("spark", marks=pytest.mark.spark)])
def test_a_night_refused_while_another_is_served_says_what_to_do(
    district, tmp_path, capsys, engine
):
    """`adaptive batch` of another date while a night is being served: exit 2, one message
    naming the night, its holder and what to do, and nothing written (either engine: the
    Spark night takes the same locks, before its session starts)."""
    if engine == "spark":
        pytest.importorskip("pyspark", reason="pyspark is not installed")
        if shutil.which("java") is None:
            pytest.skip("Java is not installed: the Spark engine needs a JVM (Java 17)")
    out = tmp_path / "out"
    holder = hold_lock(out, DAY_1, "serving_lock")
    try:
        started = time.monotonic()
        spark = ["--engine", "spark", "--master", "local[1]"] if engine == "spark" else []
        options = [*batch_options(district), *spark]
        code = run(["batch", "--date", DAY_2, "--out", str(out), *options])
        assert time.monotonic() - started < 10  # at once: no model fetched, no log read
    finally:
        holder.kill()
        holder.wait()
    said = capsys.readouterr().err
    assert code == 2, said
    assert f"{out}: the night {DAY_1} is being served into it by another batch run" in said
    assert f"pid {holder.pid} on " in said and "Traceback" not in said
    assert f"`ps -o pid,etime,args -p {holder.pid}`" in said and "run this night" in said
    assert "--backfill" not in said  # DAY_2 is after the night served: no back-fill
    assert not (out / "recommendations").exists() and not lock_path(out, DAY_2).exists()


def test_a_drop_is_refused_while_a_night_is_served(district, tmp_path):
    """Dropping a night while another is being served (its snapshot may be the one served
    from) fails at once naming that night; the dropped night stays."""
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NightWarning)
        run_daily_job(DAY_1, out, **district.job_args(k=1))
    holder = hold_lock(out, DAY_2, "serving_lock")
    try:
        with pytest.raises(BatchLockedError) as caught:
            drop_night(out, DAY_1)
    finally:
        holder.kill()
        holder.wait()
    said = str(caught.value)
    assert f"the night {DAY_2} is being served into it" in said and "run this drop again" in said
    assert f"pid {holder.pid} on " in said
    assert served_order(out) == [DAY_1]
    assert lock_path(out, DAY_1).exists() and snapshot_dir(out / "state", DAY_1).exists()


def batch_options(district) -> list[str]:
    """`adaptive batch` options serving the district's log with its champion."""
    return [
        *("--data", str(district.responses), "--catalog", str(district.catalog)),
        *("--profiles", str(district.profiles), "--name", district.model),
        *("--tracking-uri", district.uri),
    ]


def test_a_users_data_needs_its_own_catalog(district, tmp_path):
    args = district.job_args(data=district.responses)
    del args["catalog"], args["profiles"]
    with pytest.raises(ConfigError, match="not the demo district.*--catalog"):
        run_daily_job(district.last_day, tmp_path / "out", **args)
    assert not (tmp_path / "out" / "recommendations").exists()

    summary = run_daily_job(district.last_day, tmp_path / "out", catalog=district.catalog, **args)
    assert summary.students_served == district.log.n_students  # the log's students, no others
    assert summary.students_without_profile == summary.students_served


def test_a_catalog_the_model_does_not_know_is_refused(district, tmp_path):
    foreign = Catalog(skills=(Skill("x.1"),), activities=(Activity("x.1.a", "X", ("x.1",)),))
    foreign.to_json(tmp_path / "foreign.json")
    with pytest.raises(ConfigError, match="knows none of the catalog's 1 skills"):
        run_daily_job(
            district.last_day,
            tmp_path / "out",
            **district.job_args(catalog=tmp_path / "foreign.json"),
        )

    catalog = Catalog.from_json(district.catalog)
    known = list(catalog.skill_index[:3])
    missing = len(catalog.skills) - 3
    message = f"model knows 3 of {len(catalog.skills)} catalog skills; {missing} get defaults"
    with pytest.warns(CoverageWarning, match=re.escape(message)):
        coverage = check_skill_coverage(known, catalog)
    assert str(coverage).startswith(message)
    assert "fit the model with its catalog" in str(coverage)
    assert check_skill_coverage(district_model_skills(known), catalog) == coverage  # a model


def profile_notes(caught: list[warnings.WarningMessage]) -> list[str]:
    """The "profiles: ..." warnings of `check_profiles` among `caught`."""
    said = (str(w.message) for w in caught if issubclass(w.category, CoverageWarning))
    return [m for m in said if m.startswith("profiles: ")]


def test_profiles_naming_topics_the_catalog_lacks_are_said_not_ignored(district, tmp_path):
    """A vendor's profiles export capitalized its topics ("Animals" where the catalog says
    "animals") or gave weights in percent: the interest term was off (unknown topics ignored)
    or flat (80 clipped to 1) without a word. Now the night warns, naming the topics and how
    many students name each (no ids), and a weight outside [0, 1] is an error naming the
    file and line."""
    import json

    from adaptive.errors import ConfigError
    from adaptive.policy.adapter import check_profiles

    records = [json.loads(line) for line in district.profiles.read_text().splitlines()]
    for r in records:
        r["interests"] = {t.capitalize(): w for t, w in r["interests"].items()}
    records[0]["goal_skills"] = ["g9.none.1"]
    capitalized = tmp_path / "profiles.jsonl"
    capitalized.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_daily_job(
            district.last_day, tmp_path / "out", **district.job_args(profiles=capitalized)
        )
    said = profile_notes(caught)
    assert len(said) == 1 and "12 interest topics the catalog does not have: 'Art' (" in said[0]
    assert "1 goal skill the catalog does not have: 'g9.none.1' (1 student)" in said[0]
    assert not any(r["student_id"] in said[0] for r in records)
    coverage = check_profiles(read_profiles(district.profiles), Catalog.from_json(district.catalog))
    assert not coverage.unknown_topics and not coverage.unknown_goals  # the district's own: quiet

    records[1]["interests"] = {"animals": 80}
    percent = tmp_path / "percent.jsonl"
    percent.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    with pytest.raises(
        ConfigError, match=r"percent.jsonl, line 2: .*expected weights in \[0, 1\] \(percentages"
    ):
        read_profiles(percent)


def test_metadata_is_sealed_outputs_get_the_umask_and_ids_stay_out_of_logs(
    district, tmp_path, caplog
):
    out = tmp_path / "out"
    previous = os.umask(0o022)
    try:
        with caplog.at_level(logging.DEBUG):
            first = run_daily_job(DAY_1, out, **district.job_args())
    finally:
        os.umask(previous)
    files = [p for p in out.rglob("*") if p.is_file()]
    folders = [p for p in out.rglob("*") if p.is_dir()]
    assert files and {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o644}
    assert {stat.S_IMODE(p.stat().st_mode) for p in folders} == {0o755}

    # no student id in the log records, the MLflow summary or the lock file
    ids = list(district.log.students[:200])
    run = MlflowClient(tracking_uri=district.uri).get_run(first.run_id)
    distribution = Path(run.info.artifact_uri.removeprefix("file://")) / "skill_distribution.csv"
    texts = [
        caplog.text,
        json.dumps([run.data.params, run.data.tags, run.data.metrics]),
        distribution.read_text(),
        lock_path(out, DAY_1).read_text(),
    ]
    assert not any(s in text for s in ids for text in texts)

    success = next(out.rglob("_SUCCESS.json"))
    assert read_sealed_json(success, "success")["students"] == first.students_served
    meta = snapshot_dir(out / "state", DAY_1) / "meta.json"
    doc = json.loads(meta.read_text())
    doc["model_version"] = "999"  # a snapshot claiming another model version
    meta.write_text(json.dumps(doc))
    with pytest.raises(ArtifactError, match="snapshot .*meta.json: checksum mismatch"):
        run_daily_job(DAY_2, out, **district.job_args())


def _slow_fetch(*args, into, **kwargs):
    """A registry still downloading for 3 s: files written into the champion's folder (made
    again when missing, as a download does)."""
    started, i = time.perf_counter(), 0
    while time.perf_counter() - started < 3:
        Path(into).mkdir(parents=True, exist_ok=True)
        (Path(into) / f"part{i}").write_bytes(b"x" * 1000)
        i += 1
    raise RuntimeError("the slow fetch should have been stopped")


def test_an_early_error_is_itself_while_the_registry_is_still_fetching(
    district, tmp_path, monkeypatch
):
    """The registry's process fetches the champion while the job reads its inputs: a usage
    error meanwhile is raised at once and as itself, and the download leaves nothing behind."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    monkeypatch.setattr("adaptive.batch.job.fetch_version", _slow_fetch)
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="catalog file .* not found"):
        run_daily_job(DAY_1, tmp_path / "out", **district.job_args(catalog=tmp_path / "no.json"))
    assert time.perf_counter() - started < 2.5  # not after the 3 s download
    assert list(scratch.iterdir()) == []


def test_the_registrys_error_comes_first_whatever_finishes_first(district, tmp_path):
    """A missing champion and a missing log together: the registry's error, as when the
    registry was asked before the log was read (the log is read while it answers)."""
    args = district.job_args(model_name="nobody", data=tmp_path / "missing.parquet")
    with pytest.raises(ArtifactError, match="'nobody' has no alias @champion"):
        run_daily_job(DAY_1, tmp_path / "out", **args)


def test_summary_not_logged_is_its_own_error_after_complete_outputs(
    district, tmp_path, monkeypatch
):
    def server_gone(*args, **kwargs):
        raise ConnectionError("Connection refused")

    monkeypatch.setattr("adaptive.batch.job._log_summary", server_gone)
    with pytest.raises(SummaryNotLoggedError, match="outputs complete, summary not logged"):
        run_daily_job(district.last_day, tmp_path / "out", **district.job_args())
    assert next((tmp_path / "out").rglob("_SUCCESS.json"))


def test_every_atomic_writer_gives_files_the_umask(tmp_path):
    """Outputs (batch files, quarantine CSVs, a simulated district) get 0644 under umask 022,
    not the 0600 of `tempfile.mkstemp`."""
    import pyarrow as pa

    from adaptive.data.io import atomic_write_csv
    from adaptive.files import atomic_write_bytes
    from adaptive.simulation.district import simulate_district, write_district

    previous = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "a.bin", b"x")
        atomic_write_csv(pa.table({"x": [1]}), tmp_path / "rejected.csv")
        write_district(simulate_district(20, 0, responses_per_student=3), tmp_path / "district")
    finally:
        os.umask(previous)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*") if p.is_file()}
    assert len(modes) > 3 and set(modes.values()) == {0o644}, modes


def test_profiles_warning_counts_one_student():
    """A district's trial: "'Music' (1 students), ... '8.g.a.4' (1 students)": a count of one
    read "1 students" (and "1 goal skills", "1 students are in grades"). Now "1 student"."""
    from adaptive.curriculum import LearnerProfile
    from adaptive.policy.adapter import check_profiles

    catalog = Catalog(
        (Skill("8.G.A.4", grade=8), Skill("8.NS.A.4", grade=8)),
        (Activity("a", "A", ("8.G.A.4",), topics=("music",)),),
    )
    profiles = [
        LearnerProfile("s1", grade=8, interests={"dinosaurs": 0.9}, goal_skills=("8.NS.Z.9",)),
        LearnerProfile("s2", grade=8, interests={"dinosaurs": 0.5, "space": 0.4}),
        LearnerProfile("s4", grade=12),
    ]  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_profiles(profiles, catalog)
    said = " ".join(profile_notes(caught))
    assert (
        "2 interest topics the catalog does not have: 'dinosaurs' (2 students), 'space' (1 "
        "student); 1 goal skill the catalog does not have: '8.NS.Z.9' (1 student)" in said
    ), said
    assert "1 student is in grades the catalog has no skill of: 12 (1)" in said
    assert not any(p.student_id in said for p in profiles)


def test_profiles_warning_gives_the_catalogs_spelling_of_a_case_slip():
    """A district's trial: a topic or goal written in another case than the catalog's
    ('Music', '8.g.a.4') got no "did you mean" in the profiles warning, where overrides,
    --student and explain give one. Now the catalog's spelling is named where only the case
    differs (none is offered for another code: '8.NS.Z.9' is no slip of '8.NS.A.4')."""
    from adaptive.curriculum import LearnerProfile
    from adaptive.policy.adapter import check_profiles

    catalog = Catalog(
        (Skill("8.G.A.4", grade=8), Skill("8.NS.A.4", grade=8)),
        (Activity("a", "A", ("8.G.A.4",), topics=("music",)),),
    )
    profiles = [
        LearnerProfile("s1", grade=8, interests={"Music": 1.0, "dinosaurs": 0.9},
                       goal_skills=("8.g.a.4",)),
        LearnerProfile("s2", grade=8, goal_skills=("8.NS.Z.9", "8.NS.A.4")),
        LearnerProfile("s3", grade=8, goal_skills=("8.NS.Z.9",)),
        LearnerProfile("s4", grade=12),
    ]  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        coverage = check_profiles(profiles, catalog)
    said = " ".join(profile_notes(caught))
    assert (
        "2 interest topics the catalog does not have: 'Music' (1 student; did you mean "
        "'music'?), 'dinosaurs' (1 student); 2 goal skills the catalog does not have: "
        "'8.NS.Z.9' (2 students), '8.g.a.4' (1 student; did you mean '8.G.A.4'?)" in said
    ), said
    assert "1 student is in grades the catalog has no skill of: 12 (1)" in said
    assert coverage.spelled == {"Music": "music", "8.g.a.4": "8.G.A.4"}
    assert not any(p.student_id in said for p in profiles)


def test_a_mistyped_topic_gets_the_same_did_you_mean_at_night_and_per_request():
    """A vendor's trial: 'animls' was told "did you mean 'animals'?" per request, but the
    night's profiles check offered only case slips, so it named no topic; and it said so only
    through the library's logger, which the vendor's service silences (it reads warnings).
    Now both paths follow `closest_name` and both are `CoverageWarning`s."""
    from adaptive.curriculum import LearnerProfile
    from adaptive.policy import AdaptivePolicy, StudentView
    from adaptive.policy.adapter import check_profiles

    def catalog() -> Catalog:
        return Catalog(
            (Skill("count", grade=1),), (Activity("a", "A", ("count",), topics=("animals",)),)
        )

    profile = LearnerProfile("kid-7", grade=1, interests={"animls": 1.0})
    with warnings.catch_warnings(record=True) as night:
        warnings.simplefilter("always")
        coverage = check_profiles([profile], catalog())
    with warnings.catch_warnings(record=True) as request:
        warnings.simplefilter("always")
        AdaptivePolicy(catalog()).recommend(StudentView("kid-7", profile, {}), k=1, now=20_000.0)
    [said] = profile_notes(night)
    assert coverage.spelled == {"animls": "animals"}
    assert "'animls' (1 student; did you mean 'animals'?)" in said and "kid-7" not in said
    assert any("'animls' (did you mean 'animals'?)" in str(w.message) for w in request)


def test_students_without_a_grade_or_in_a_grade_the_catalog_lacks_are_counted(district, tmp_path):
    """The trial of stop 39: a roster with empty grades placed those students from the model's
    population estimate (which counted grade 6 and 8 skills as known) and one with K, PK and 12
    on a grade 3-8 catalog, both without a word; a readiness sentence then said the student's
    "placement" counted a prerequisite as known. Now the night counts both (no ids), and the
    sentence of an ungraded student says where the estimate came from."""
    import json

    from adaptive.curriculum import LearnerProfile
    from adaptive.policy.adapter import check_profiles
    from adaptive.policy.explain import sentence

    records = [json.loads(line) for line in district.profiles.read_text().splitlines()]
    records[0]["grade"], records[1]["grade"] = None, None
    records[2]["grade"], records[3]["grade"] = "K", 12
    edited = tmp_path / "profiles.jsonl"
    edited.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_daily_job(district.last_day, tmp_path / "out", **district.job_args(profiles=edited))
    said = profile_notes(caught)
    assert len(said) == 1, said
    assert "2 students have no grade: they start from the model's population estimate" in said[0]
    assert "2 students are in grades the catalog has no skill of: 12 (1), K (1)" in said[0]
    assert not any(r["student_id"] in said[0] for r in records[:4])
    catalog = Catalog.from_json(district.catalog)
    quiet = check_profiles(read_profiles(district.profiles), catalog)
    assert quiet.no_grade == 0 and not quiet.grades_outside
    with pytest.warns(CoverageWarning, match="1 student has no grade"):
        assert check_profiles([LearnerProfile("x")], catalog).no_grade == 1
    assert "placement counts" in sentence(
        "readiness", "S", "T", prerequisite="P", prerequisite_shown=False
    )
    assert "your profile has no grade" in sentence(
        "readiness", "S", "T", prerequisite="P", prerequisite_shown=False, placed=False
    )


def test_responses_on_skills_or_activities_the_catalog_lacks_are_named(district, tmp_path):
    """The trial of stop 39: rows of skill 'g3.NS.l' (a letter l) were said only as a skill
    "the model was not fitted on" (advice: retrain), and an activity typo not at all. Now the
    night names each id, its responses and the catalog's closest id."""
    import warnings

    import pandas as pd

    from adaptive.errors import NightWarning

    frame = district.log.frame.copy()
    skill = frame["skill_ids"].iloc[0][0]
    typo = skill[:-1] + {"1": "l"}.get(skill[-1], "l")
    frame["skill_ids"] = frame["skill_ids"].astype(object)
    frame.loc[frame.index[:3], "skill_ids"] = pd.Series([[typo]] * 3, index=frame.index[:3])
    item = frame["item_id"].iloc[5]
    frame.loc[frame.index[5], "item_id"] = item + "x"
    data = tmp_path / "log.parquet"
    frame.to_parquet(data)
    with pytest.warns(NightWarning) as caught:
        run_daily_job(district.last_day, tmp_path / "out", **district.job_args(data=data))
    said = [str(w.message) for w in caught if "the catalog does not have" in str(w.message)]
    assert len(said) == 1, said
    # and not again as a skill "the model was not fitted on", with advice to fit with the
    # catalog that cannot cure a typo (an ops trial: two contradictory hints)
    unfitted = [str(w.message) for w in caught if "model was not fitted on" in str(w.message)]
    assert not [m for m in unfitted if repr(typo) in m], unfitted
    assert f"3 responses on 1 skill id the catalog does not have: {typo!r} (3" in said[0]
    assert (
        f"1 response on 1 activity id the catalog does not have: {item + 'x'!r} (1; did you mean {item!r}?)"
        in said[0]
    )
    assert str(data.name) in said[0]
    with warnings.catch_warnings(record=True) as quiet:
        warnings.simplefilter("always")
        run_daily_job(district.last_day, tmp_path / "plain", **district.job_args())
    assert not [w for w in quiet if "the catalog does not have" in str(w.message)]


def test_log_ids_that_are_a_profiles_written_otherwise_are_counted(district, tmp_path):
    """The trial of stop 39: '4501' in the log for the roster's '004501' was said only as a
    student served in school 'unassigned'. Now the night counts the ids that are a profile's
    once leading zeros or case are restored (no ids)."""

    from adaptive.errors import NightWarning

    data = district.log_with_ids_in_capitals(tmp_path)
    with pytest.warns(
        NightWarning, match="2 students of the log have no profile, but a profile's id"
    ):
        run_daily_job(district.last_day, tmp_path / "out", **district.job_args(data=data))


def test_a_log_whose_ids_are_not_the_rosters_is_refused(district, tmp_path):
    """A trial's vendor export dropped the ids' leading zeros ('63' for the roster's '000063'):
    the night exited 0 with two warnings and served 40,000 students, the log's 20,000 without a
    profile in school 'unassigned' and the roster's 20,000 from their grade alone. A log whose
    students are (nearly) all a profile's id written otherwise, or none of whose students has a
    profile, is now refused before anything is written: one error with counts, no ids, and
    what to do. A few such ids stay a warning
    (`test_log_ids_that_are_a_profiles_written_otherwise_are_counted`)."""
    from adaptive.curriculum import read_profiles

    n = district.log.n_students
    data = district.log_with_ids_in_capitals(tmp_path, n=n)
    out = tmp_path / "out"
    with pytest.raises(ConfigError) as refused:
        run_daily_job(district.last_day, out, **district.job_args(data=data))
    said = str(refused.value)
    assert f"{n:,} students of the log's {n:,} have no profile" in said
    alike = len(set(map(str, district.log.students)) & set(read_profiles(district.profiles)))
    assert f"{alike:,} of them are a profile's id once leading zeros or case are restored" in said
    assert "Keep the ids as text in the log's export" in said
    assert not any(s in said for s in map(str, district.log.students[:50]))
    assert not out.exists()
    other = district.log.frame.assign(student_id="x" + district.log.frame["student_id"].astype(str))
    other.to_parquet(tmp_path / "other.parquet")
    with pytest.raises(ConfigError, match="none of them is a profile's id"):
        run_daily_job(district.last_day, out, **district.job_args(data=tmp_path / "other.parquet"))


def test_a_log_that_writes_a_student_two_ways_is_refused_however_few(district, tmp_path):
    """A district operator's trial: one day's export re-saved by a spreadsheet ('1004' for
    '001004') split 75 of 1,500 students in two, exit 0 with a warning under the refusal's
    share: the day's answers served as students without a profile in school 'unassigned', the
    roster students' history without them. A student the log writes both ways is one student
    written two ways, however few: refused, with where their rows are and no ids."""
    frame = district.log.frame.copy()
    frame["student_id"] = frame["student_id"].astype(str)
    last = frame["timestamp"].dt.normalize() == frame["timestamp"].max().normalize()
    two = sorted(frame.loc[last, "student_id"].unique())[:2]
    day_rows = last & frame["student_id"].isin(two)
    frame.loc[day_rows, "student_id"] = frame.loc[day_rows, "student_id"].str.upper()
    assert (frame["student_id"].isin(two)).any()  # their other days keep the roster's id
    frame.to_parquet(tmp_path / "log.parquet")
    out = tmp_path / "out"
    with pytest.raises(ConfigError) as refused:
        run_daily_job(district.last_day, out, **district.job_args(data=tmp_path / "log.parquet"))
    said = str(refused.value)
    day = frame["timestamp"].max().date()
    assert said.startswith(
        f"--data: 2 students of the log are written two ways in it (their "
        f"{int(day_rows.sum())} responses, dated {day}): as the roster writes the id"
    ), said
    assert not any(s in said for s in [*two, *(t.upper() for t in two)])
    assert not out.exists()


def test_a_log_without_times_is_refused_in_the_spark_engines_words(district, tmp_path):
    """A log without a time column is read in file order ('order'); the night refuses it with
    `timestamps_needed`, the words the Spark driver says too (`test_spark_guards`), naming the
    option that names a time column."""
    data = tmp_path / "untimed.parquet"
    district.log.frame.drop(columns="timestamp").to_parquet(data)
    with pytest.raises(ConfigError) as refused:
        run_daily_job(district.last_day, tmp_path / "out", **district.job_args(data=data))
    said = str(refused.value)
    assert said.startswith(f"{data}: the daily job needs response timestamps (this log has")
    assert "name its time column with --time-col" in said


def test_the_share_of_ids_written_otherwise_decides_refusal_or_warning():
    """The threshold of `check_log_ids_match`: at least a tenth of the log's students without a
    profile, nine in ten of those a profile's id written otherwise, is refused; fewer warn."""
    from adaptive.batch.night_checks import check_log_ids_match
    from adaptive.errors import NightWarning

    profiles = dict.fromkeys(f"{i:06d}" for i in range(100))
    written = [f"{i:06d}" for i in range(90)] + [str(i) for i in range(90, 100)]  # 10 lost zeros
    with pytest.raises(ConfigError, match="10 students of the log's 100 have no profile"):
        check_log_ids_match(written, profiles)
    with pytest.warns(NightWarning, match="9 students of the log have no profile"):
        check_log_ids_match(written[:-1], profiles)  # 9 of 99: under a tenth
    new = [*written[:90], *(str(i) for i in range(90, 98)), "new1", "new2"]
    with pytest.warns(NightWarning, match="8 students of the log have no profile"):
        check_log_ids_match(new, profiles)  # 8 of 10 written otherwise: students new too
    check_log_ids_match(written, {})  # no profiles given: every student in 'unassigned'
    both = [*written[:90], "95"]  # '000095' written otherwise, never as the roster writes it
    with pytest.warns(NightWarning, match="1 student of the log has no profile"):
        check_log_ids_match(both, profiles)
    with pytest.raises(ConfigError, match="1 student of the log is written two ways in it:"):
        check_log_ids_match([*both, "000095"], profiles)  # and as the roster writes it too


def district_model_skills(skills: list[str]) -> object:
    """A stand-in for a fitted model: what `check_skill_coverage` reads of one."""

    class Fitted:
        skills_ = skills

    return Fitted()
