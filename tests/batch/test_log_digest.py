"""A log re-exported with answers before the last snapshot's cutoff changed: noticed, rebuilt.

The snapshot records a digest of the log's rows before its cutoff (`adaptive.batch.log_digest`):
the same row count with regraded answers is a changed log (the night warns and equals a fresh
run), the same rows in another order or split into other parts is not.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from adaptive.batch import run_daily_job
from adaptive.batch.log_digest import parquet_before, responses_before
from adaptive.batch.snapshot import snapshot_dir
from adaptive.data.log import ResponseLog
from adaptive.errors import NightWarning
from adaptive.files import read_sealed_json, sealed_json

DAY_1, DAY_2 = "2026-09-28", "2026-10-05"
REGRADED = r"snapshot's cutoff .* changed .*answers before the snapshot's cutoff changed"


def night_files(root: Path, day: str) -> dict[str, bytes]:
    """The night's output Parquet files (recommendations and students), by path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for table in ("recommendations", "students")
        for p in sorted((root / table).glob(f"date={day}/*/*.parquet"))
    }


def regraded(frame: pd.DataFrame, n: int = 60, seed: int = 9) -> pd.DataFrame:
    """`frame` with `n` answers dated before DAY_1 flipped (the same rows, the same count)."""
    before = np.flatnonzero((frame["timestamp"] < pd.Timestamp(DAY_1, tz="UTC")).to_numpy())
    flipped = np.random.default_rng(seed).choice(before, n, replace=False)
    out = frame.copy()
    out.loc[out.index[flipped], "correct"] = 1 - out["correct"].iloc[flipped].to_numpy()
    return out


def shuffled(frame: pd.DataFrame, seed: int = 4) -> pd.DataFrame:
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def written(frame: pd.DataFrame, source: str, where: Path) -> Path | ResponseLog:
    """The log as the night is given it: a Parquet file (time-ordered, small row groups, so
    that row groups wholly before or after a cutoff are met), a folder of parts, or in memory."""
    if source == "memory":
        return ResponseLog.from_frame(frame)
    where.mkdir(parents=True, exist_ok=True)
    if source == "parquet":
        path = where / "responses.parquet"
        table = pa.Table.from_pandas(
            frame.sort_values("timestamp", kind="stable"), preserve_index=False
        )
        pq.write_table(table, path, row_group_size=1500)
        return path
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(where / f"part-{i}.parquet", index=False)
    return where


@pytest.mark.parametrize("source", ["parquet", "parts", "memory"])
def test_answers_regraded_before_the_snapshot_are_noticed_and_rebuilt(district, tmp_path, source):
    """A district re-exports its log with answers before the last night's cutoff regraded (the
    same row count). The next night used to say "0 new responses" and serve the stale state;
    now it warns that those answers changed and equals a fresh run on the new log, byte for
    byte."""
    frame = district.log.frame
    night_1 = written(frame, source, tmp_path / "log-1")
    night_2 = written(regraded(frame), source, tmp_path / "log-2")
    incremental, fresh = tmp_path / "incremental", tmp_path / "fresh"
    run_daily_job(DAY_1, incremental, **district.job_args(data=night_1))
    with pytest.warns(NightWarning, match=REGRADED) as said:
        second = run_daily_job(DAY_2, incremental, **district.job_args(data=night_2))
    assert second.state_rebuilt
    assert not any(s in str(w.message) for w in said for s in map(str, district.log.students))
    recomputed = run_daily_job(DAY_2, fresh, **district.job_args(data=night_2))
    assert second.new_responses == recomputed.new_responses
    got, want = night_files(incremental, DAY_2), night_files(fresh, DAY_2)
    assert got and got == want


@pytest.mark.parametrize("source", ["parquet", "parts", "memory"])
def test_the_same_rows_reexported_in_another_order_reuse_the_snapshot(district, tmp_path, source):
    """A re-export of the same rows in another order (or split into other parts) is the same
    log: no warning, the snapshot is reused, and the night equals a fresh run on it."""
    frame = district.log.frame
    night_1 = written(frame, source, tmp_path / "log-1")
    night_2 = written(shuffled(frame), source, tmp_path / "log-2")
    incremental, fresh = tmp_path / "incremental", tmp_path / "fresh"
    run_daily_job(DAY_1, incremental, **district.job_args(data=night_1))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*snapshot's cutoff", category=NightWarning)
        second = run_daily_job(DAY_2, incremental, **district.job_args(data=night_2))
    assert not second.state_rebuilt and second.previous_snapshot == DAY_1
    run_daily_job(DAY_2, fresh, **district.job_args(data=night_2))
    got, want = night_files(incremental, DAY_2), night_files(fresh, DAY_2)
    assert got and got == want


def drop_digest(state_dir: Path, day: str) -> None:
    """Make the snapshot of `day` one written before the digest: its meta records the count
    alone (re-sealed, as that version sealed it)."""
    path = snapshot_dir(state_dir, day) / "meta.json"
    meta = read_sealed_json(path, "meta")
    meta.pop("sha256", None)
    del meta["before_cutoff"]["digest"]
    path.write_bytes(sealed_json(meta))


def test_a_snapshot_without_a_digest_is_still_reused_and_checked_by_its_count(district, tmp_path):
    """A snapshot written before the digest existed (its meta has the count only) still
    resumes the next night: the count is all it can compare (answers regraded there are not
    noticed, as before), and late rows still are; the snapshot that night writes has a digest."""
    frame = district.log.frame
    out = tmp_path / "out"
    run_daily_job(DAY_1, out, **district.job_args(data=written(frame, "parquet", tmp_path / "a")))
    drop_digest(out / "state", DAY_1)
    assert (
        "digest"
        not in json.loads((snapshot_dir(out / "state", DAY_1) / "meta.json").read_text())[
            "before_cutoff"
        ]
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*snapshot's cutoff", category=NightWarning)
        second = run_daily_job(
            DAY_2,
            out,
            **district.job_args(data=written(regraded(frame), "parquet", tmp_path / "b")),
        )
    assert not second.state_rebuilt  # the count is unchanged: the legacy check passes
    meta = read_sealed_json(snapshot_dir(out / "state", DAY_2) / "meta.json", "meta")
    assert meta["before_cutoff"]["digest"].startswith("rowsum64-v1:")

    # late rows before the legacy snapshot's cutoff: still noticed by the count
    drop_digest(out / "state", DAY_2)
    late = frame.iloc[:5].assign(
        timestamp=pd.Timestamp(DAY_1, tz="UTC") + pd.to_timedelta(np.arange(5) + 60, "min")
    )
    with pytest.warns(NightWarning, match=r"snapshot's cutoff .* changed .*\+5 parquet rows"):
        third = run_daily_job(
            "2026-10-08",
            out,
            **district.job_args(
                data=written(pd.concat([regraded(frame), late]), "parquet", tmp_path / "c")
            ),
        )
    assert third.state_rebuilt


def parquet_log(frame: pd.DataFrame, path: Path, **options) -> Path:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, **options)
    return path


def test_the_digest_depends_on_the_rows_not_on_their_order_or_split(district, tmp_path):
    """The record of a Parquet log: its counts equal a count of the rows at any bound, the
    same rows in another order, other row groups, another time unit, split into parts or with
    their answers written otherwise (text, a decimal comma, booleans) give the same digest; a flipped answer, a changed time, a row moved to another student or a
    replaced student id give another; the same holds for a log in memory."""
    frame = district.log.frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
    frame["timestamp"] = frame["timestamp"].dt.floor("ms")  # so that a ms column holds them
    cuts = [pd.Timestamp(d, tz="UTC").value for d in (DAY_1, DAY_2, "2030-01-01")]
    path = parquet_log(frame, tmp_path / "sorted.parquet", row_group_size=1000)
    base = parquet_before(path, None, cuts)
    for cut, got in zip(cuts, base, strict=True):
        assert got["unit"] == "parquet rows"
        assert got["count"] == int((frame["timestamp"] < pd.Timestamp(cut, tz="UTC")).sum())

    def digests(data, mapping=None) -> list[str]:
        return [r["digest"] for r in parquet_before(data, mapping, cuts)]

    parts = tmp_path / "parts"
    parts.mkdir()
    for i, rows in enumerate(np.array_split(np.random.default_rng(1).permutation(len(frame)), 4)):
        frame.iloc[np.sort(rows)].to_parquet(parts / f"part-{i}.parquet", index=False)
    ms = frame.assign(timestamp=frame["timestamp"].astype("datetime64[ms, UTC]"))
    # the answers written otherwise (a user's trial: a re-export writing them as text said
    # "answers regraded" and rebuilt the state), read as the reader reads them
    right = frame["correct"] == 1
    texts = {
        "text": frame.assign(correct=np.where(right, "1", "0")),
        "decimal comma": frame.assign(correct=np.where(right, "1,0", "0,0")),
        "booleans": frame.assign(correct=right),
    }
    same = [
        parquet_log(shuffled(frame), tmp_path / "shuffled.parquet", row_group_size=777),
        parquet_log(ms, tmp_path / "ms.parquet"),
        parts,
        *(parquet_log(f, tmp_path / f"{name}.parquet") for name, f in texts.items()),
    ]
    for data in same:
        assert digests(data) == digests(path), data

    late = frame["timestamp"] < pd.Timestamp(DAY_1, tz="UTC")
    row = int(np.flatnonzero(late.to_numpy())[10])
    other = frame["student_id"].iloc[int(np.flatnonzero(late.to_numpy())[-1])]
    assert other != frame["student_id"].iloc[row]
    changed = {
        "a flipped answer": frame.assign(correct=np.where(frame.index == row, 1 - frame["correct"], frame["correct"])),
        "a changed time": frame.assign(timestamp=frame["timestamp"].where(frame.index != row, frame["timestamp"] - pd.Timedelta(seconds=1))),
        "a row moved to another student": frame.assign(student_id=frame["student_id"].where(frame.index != row, other)),
        "a replaced student id": frame.assign(student_id=frame["student_id"].replace(frame["student_id"].iloc[row], "somebody-else")),
    }  # fmt: skip
    for what, variant in changed.items():
        got = parquet_before(parquet_log(variant, tmp_path / "variant.parquet"), None, cuts)
        assert [g["count"] for g in got] == [b["count"] for b in base], what
        assert got[0]["digest"] != base[0]["digest"], what  # the row lies before DAY_1

    # a log in memory (read in full every night): its responses, the same rules
    memory = responses_before(ResponseLog.from_frame(frame), cuts, rows=997)  # in chunks
    assert [m["count"] for m in memory] == [b["count"] for b in base]
    assert responses_before(ResponseLog.from_frame(shuffled(frame)), cuts) == memory
    for what, variant in changed.items():
        assert responses_before(ResponseLog.from_frame(variant), cuts)[0] != memory[0], what


@pytest.mark.parametrize("source", ["csv", "parquet"])
def test_a_night_that_rebuilds_says_the_logs_notes_once_and_reads_a_csv_once(
    district, tmp_path, monkeypatch, source
):
    """A trial's night on a regraded CSV export after earlier nights printed "41 responses
    share their time ..." twice: the log was read once from the snapshot's cutoff on (a CSV is
    read whole anyway), then again in full to rebuild. A CSV is now read once, and a Parquet
    log (read again: its first read left out the rows before the cutoff) says its notes once,
    of the full read."""
    import adaptive.data as data_module
    from adaptive.errors import DataNoteWarning

    frame = district.log.frame.sort_values(["student_id", "timestamp"]).reset_index(drop=True)
    tie = frame.index[1:][frame["student_id"].iloc[1:].to_numpy() == frame["student_id"].iloc[:-1]]
    frame.loc[tie[0], "timestamp"] = frame.loc[tie[0] - 1, "timestamp"]  # one shared time
    logs = []
    for name, rows in (("log-1", frame), ("log-2", regraded(frame))):
        if source == "csv":
            (tmp_path / name).mkdir()
            logs.append(tmp_path / name / "responses.csv")
            rows.to_csv(logs[-1], index=False)
        else:
            logs.append(written(rows, source, tmp_path / name))
    out = tmp_path / "out"
    run_daily_job(DAY_1, out, **district.job_args(data=logs[0]))
    reads = []
    real = data_module.read_responses_report
    monkeypatch.setattr(
        data_module, "read_responses_report", lambda *a, **kw: reads.append(1) or real(*a, **kw)
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        second = run_daily_job(DAY_2, out, **district.job_args(data=logs[1]))
    assert second.state_rebuilt
    ties = [
        w for w in caught if issubclass(w.category, DataNoteWarning) and "time" in str(w.message)
    ]
    assert len(ties) == 1, [str(w.message) for w in ties]
    assert "1 response shares its time" in str(ties[0].message)
    assert len(reads) == (1 if source == "csv" else 2)


def test_the_same_rows_given_as_a_csv_after_parquet_say_the_form_changed_not_the_log(
    district, tmp_path
):
    """A user trial: the night after one served from a Parquet file, given the same rows as
    a CSV, warned that "the log before the last snapshot's cutoff ... changed (6,047 parquet
    rows recorded, now not comparable)". A Parquet file's rows and a CSV's responses do not
    compare; the warning and the summary now say the form changed, and what it costs."""
    frame = district.log.frame
    incremental = tmp_path / "incremental"
    parquet = written(frame, "parquet", tmp_path / "parquet")
    run_daily_job(DAY_1, incremental, **district.job_args(data=parquet))
    csv = tmp_path / "csv" / "responses.csv"
    csv.parent.mkdir()
    assert (frame["skill_ids"].map(len) == 1).all()  # one skill a row: a CSV's plain column
    frame.assign(skill_ids=frame["skill_ids"].map(lambda ids: ids[0])).to_csv(csv, index=False)
    with pytest.warns(NightWarning, match="given in another form") as said:
        second = run_daily_job(DAY_2, incremental, **district.job_args(data=csv))
    assert not [w for w in said if "the catalog does not have" in str(w.message)]  # same rows
    words = [str(w.message) for w in said if "cutoff" in str(w.message)]
    assert len(words) == 1, words
    assert "the log is given in another form than on the night of the last snapshot" in words[0]
    assert "parquet rows recorded before its cutoff" in words[0]
    assert "now not comparable" not in words[0] and "changed since" not in words[0]
    assert "the state is rebuilt from every response" in words[0]
    assert second.state_rebuilt
    assert second.rebuild_reason == (
        "the log is given in another form than for the last snapshot (not comparable)"
    )


def test_an_empty_first_night_then_parquet_says_nothing_of_the_form(district, tmp_path):
    """A user trial: a header-only CSV the first night of the year, a Parquet file the next,
    warned "the log is given in another form than on the night of the last snapshot (0
    responses ...; 0 parquet rows now) ... the state is rebuilt". No answer before the
    snapshot's cutoff either way: nothing to compare, nothing said, nothing rebuilt for it."""
    frame = district.log.frame
    first = (frame["timestamp"].min() - pd.Timedelta(days=2)).strftime("%Y-%m-%d")
    header = tmp_path / "header.csv"
    frame.iloc[:0].assign(skill_ids="").to_csv(header, index=False)
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty night's own warnings
        run_daily_job(first, out, **district.job_args(data=header))
    parquet = written(frame, "parquet", tmp_path / "parquet")
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        second = run_daily_job(DAY_1, out, **district.job_args(data=parquet))
    assert not [w for w in said if "another form" in str(w.message)]
    assert "another form" not in (second.rebuild_reason or "")
