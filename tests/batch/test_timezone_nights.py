"""A night is the district's day (`batch --timezone`): before, every night ended at midnight
UTC, so a district east or west of Greenwich had its evening answers on the wrong night."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from adaptive.batch import run_daily_job
from adaptive.batch.night_checks import after_night
from adaptive.cli import run
from adaptive.dates import check_timezone, night_start
from adaptive.errors import ConfigError
from adaptive.evaluation.ope.logs import night_start_ns

DAY = "2026-09-30"  # a Wednesday: the Tuesday before was a school day


def test_a_nights_day_starts_at_the_districts_midnight() -> None:
    assert night_start(DAY, "America/New_York") == pd.Timestamp("2026-09-30 04:00", tz="UTC")
    assert night_start("2027-01-12", "America/New_York") == pd.Timestamp("2027-01-12 05:00Z")
    assert night_start(DAY) == pd.Timestamp(DAY, tz="UTC")
    assert after_night(DAY, "Asia/Tokyo") == pd.Timestamp("2026-09-30 15:00Z").value
    with pytest.raises(ConfigError, match="did you mean 'America/Chicago'"):
        check_timezone("america/chicago")
    with pytest.raises(ConfigError, match="an abbreviation such as CST names no daylight"):
        check_timezone("CST")  # which daylight-saving rule? (it offered 'UCT')
    assert check_timezone(" utc ") == "UTC"


def test_the_night_takes_the_answers_before_the_districts_midnight(district, tmp_path) -> None:
    """Tokyo's 30 September starts at 15:00 UTC on the 29th: the answers of the 29th's
    afternoon (UTC) are the next night's there."""
    utc = run_daily_job(DAY, tmp_path / "utc", **district.job_args())
    tokyo = run_daily_job(DAY, tmp_path / "tokyo", **district.job_args(timezone="Asia/Tokyo"))
    time = district.log.time
    between = int(
        ((time >= night_start(DAY, "Asia/Tokyo").value) & (time < night_start(DAY).value)).sum()
    )
    assert between > 0
    assert utc.new_responses - tokyo.new_responses == between
    listing = json.loads(
        (tmp_path / "tokyo" / "recommendations" / f"date={DAY}" / "_SUCCESS.json").read_text()
    )
    assert listing["timezone"] == "Asia/Tokyo"
    plain = (tmp_path / "utc" / "recommendations" / f"date={DAY}" / "_SUCCESS.json").read_text()
    assert "timezone" not in json.loads(plain)  # a UTC night's records are as before


def test_a_zone_that_is_no_zone_is_a_usage_error(district, tmp_path, capsys) -> None:
    code = run(["batch", "--date", DAY, "--out", str(tmp_path / "o"), "--data",
                str(district.responses), "--catalog", str(district.catalog), "--profiles",
                str(district.profiles), "--name", district.model, "--tracking-uri",
                district.uri, "--timezone", "US/Chicagoo"])  # fmt: skip
    assert code == 2
    assert "time zone 'US/Chicagoo'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_outcomes_start_at_each_nights_recorded_cutoff() -> None:
    """`ope` and `experiment analyze` start a decision's outcomes where its night's snapshot
    was cut (the district's midnight), not at midnight UTC: answers before the state it was
    made from are no outcome of it."""
    nights = pd.Series(["2026-09-28", "2026-09-29", "2026-09-28"])
    metas = {"2026-09-28": {"cutoff": "2026-09-28T04:00:00+00:00"}}
    np.testing.assert_array_equal(
        night_start_ns(nights, metas),
        [pd.Timestamp("2026-09-28 04:00Z").value, pd.Timestamp("2026-09-29", tz="UTC").value,
         pd.Timestamp("2026-09-28 04:00Z").value],
    )  # fmt: skip


def test_a_night_in_another_zone_than_the_last_is_warned(district, tmp_path) -> None:
    """One night run without --timezone among Chicago nights moved the evening answers to the
    next night without a word (the evaluation office's trial of stop 38)."""
    from adaptive.errors import NightWarning

    out = tmp_path / "out"
    run_daily_job("2026-09-29", out, **district.job_args(timezone="Asia/Tokyo"))
    with pytest.warns(NightWarning, match="served in time zone Asia/Tokyo; this night of"):
        run_daily_job(DAY, out, **district.job_args())
    with pytest.warns(NightWarning, match=f"the night {DAY} was served in time zone UTC"):
        run_daily_job(DAY, out, **district.job_args(timezone="Asia/Tokyo"))  # a re-run


def test_a_rerun_without_the_nights_experiment_is_warned(district, tmp_path) -> None:
    """A night served with an experiment, re-run without --experiment, lost its arms without a
    word (and `experiment analyze` then refused the window)."""
    from adaptive.batch.job import read_profiles
    from adaptive.errors import NightWarning
    from adaptive.experiment.assign import assign
    from adaptive.policy import PolicyConfig

    arms = {"control": PolicyConfig.default(), "new": PolicyConfig.default()}
    path = assign(read_profiles(district.profiles), arms, seed=1).save(tmp_path / "exp.json")
    out = tmp_path / "out"
    run_daily_job(DAY, out, **district.job_args(experiment=path))
    with pytest.warns(NightWarning, match=f"the night {DAY} was served with an experiment"):
        run_daily_job(DAY, out, **district.job_args())


def test_a_log_of_dates_cut_in_another_zone_is_warned(district, tmp_path) -> None:
    """Dates alone ("2026-09-29") are UTC midnights: in Chicago they fall on the evening before,
    so a day's answers joined the night of their own day without a word."""
    from adaptive.data.log import ResponseLog
    from adaptive.errors import NightWarning

    frame = district.log.frame.copy()
    frame["timestamp"] = frame["timestamp"].dt.normalize()
    dated = ResponseLog.from_frame(frame)
    with pytest.warns(NightWarning, match="dated by its day alone"):
        run_daily_job(
            DAY, tmp_path / "o", **district.job_args(data=dated, timezone="America/Chicago")
        )


@pytest.mark.parametrize("written", ["%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %I:%M:%S %p"])
def test_a_log_of_times_without_an_offset_cut_in_another_zone_is_warned(
    district, tmp_path, written
) -> None:
    """A user trial: a CSV of local times without an offset, served with --timezone
    America/Chicago: read as UTC (as documented), its 1:30 am answers joined the night before
    theirs, and the next night said "0 new responses", without a word. Warned once a night;
    times with an offset, or the default zone, are not."""
    import warnings

    from adaptive.errors import NightWarning

    frame = district.log.frame.copy()
    frame["skill_ids"] = frame["skill_ids"].map(lambda s: "|".join(map(str, s)))
    fmt = None if written.startswith("%Y-") else written
    naive, zoned = tmp_path / "naive.csv", tmp_path / "zoned.csv"
    frame.assign(timestamp=frame["timestamp"].dt.strftime(written)).to_csv(naive, index=False)
    frame.assign(timestamp=frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")).to_csv(
        zoned, index=False
    )
    mapping = {"skills_sep": "|", **({"time_format": fmt} if fmt else {})}
    chicago = {"timezone": "America/Chicago", "mapping": mapping}
    with pytest.warns(
        NightWarning, match="its times carry no UTC offset, so they are read as UTC"
    ) as said:
        run_daily_job(DAY, tmp_path / "naive", **district.job_args(data=naive, **chicago))
    assert sum("no UTC offset" in str(w.message) for w in said) == 1
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*no UTC offset", category=NightWarning)
        run_daily_job(DAY, tmp_path / "utc", **district.job_args(data=naive, mapping=mapping))
        if fmt is None:
            run_daily_job(DAY, tmp_path / "zoned", **district.job_args(data=zoned, **chicago))


def test_both_engines_say_a_logs_dates_or_naive_times_by_one_check_reading_what_it_needs(
    tmp_path,
) -> None:
    """`warn_log_times_in_zone` is the words of both engines (the Spark driver said neither):
    a log of dates, else one of times without an offset, cut in another zone; its times are
    read one array (a Spark row group) at a time, and only until a time of day shows. The
    Spark driver knows the naive times from the Parquet footer, as the in-process reader
    reads them (`times.without_offset`)."""
    import warnings

    from adaptive.batch.night_checks import warn_log_times_in_zone
    from adaptive.batch.spark_job import _naive_times
    from adaptive.errors import NightWarning

    day_ns = 86_400 * 10**9
    dates = np.arange(3, dtype=np.int64) * day_ns
    read: list[int] = []

    def groups(*parts):
        for i, part in enumerate(parts):
            read.append(i)
            yield part

    def said(times, naive: bool, zone: str = "America/Chicago") -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warn_log_times_in_zone(times, naive, "log.parquet", zone)
        assert all(w.category is NightWarning for w in caught)
        return [str(w.message) for w in caught]

    (dated,) = said(groups(dates, dates + day_ns), naive=True)
    assert "dated by its day alone" in dated and read == [0, 1]
    read.clear()
    (naive,) = said(groups(dates + 3_600 * 10**9, dates), naive=True)
    assert "no UTC offset" in naive and read == [0]  # the first group told
    assert said(groups(dates + 1), naive=False) == []
    read.clear()
    assert said(groups(dates), naive=True, zone="UTC") == [] and read == []  # nothing read
    assert said(groups(), naive=True) == [naive]  # no time: none is a date

    frame = pd.DataFrame({"timestamp": pd.to_datetime(["2026-09-01 10:00"])})
    frame.to_parquet(local := tmp_path / "local.parquet")
    frame.assign(timestamp=frame["timestamp"].dt.tz_localize("UTC")).to_parquet(
        zoned := tmp_path / "zoned.parquet"
    )
    assert _naive_times(local, "timestamp") and not _naive_times(zoned, "timestamp")
    assert not _naive_times(local, "time")  # no such column: nothing to say


def test_wall_times_read_in_a_zone_keep_their_order_across_both_changes_of_the_clock() -> None:
    """A New York export's 1:30 am is 05:30 UTC (EDT); the hour the fall-back repeats is read
    as its first pass and a time in the hour the spring-forward skips as the instant it ends,
    so a student's answers keep their order."""
    from adaptive.dates import wall_times_as_utc

    wall = pd.to_datetime(["2027-03-30 01:30", "2026-11-01 01:30", "2026-11-01 02:00",
                           "2027-03-14 01:59", "2027-03-14 02:30", "2027-03-14 03:00"])  # fmt: skip
    got = pd.to_datetime(wall_times_as_utc(wall.as_unit("ns").asi8, "America/New_York"), utc=True)
    expected = ["2027-03-30 05:30", "2026-11-01 05:30", "2026-11-01 07:00",
                "2027-03-14 06:59", "2027-03-14 07:00", "2027-03-14 07:00"]  # fmt: skip
    assert list(got) == list(pd.to_datetime(expected, utc=True))


def test_validate_out_of_times_without_an_offset_keeps_saying_so_or_writes_the_zones_instants(
    district, tmp_path, capsys
) -> None:
    """A user trial: `batch --timezone America/New_York` of a CSV of local times without an
    offset warned that they land hours off; the canonical Parquet `validate --out` wrote of the
    same CSV held them as UTC instants, and the same night said nothing while counting a
    1:30 am answer in the night before. Now --out keeps them without a zone (the night warns,
    and `validate` says how to write them), and `validate --timezone ZONE --out` writes the
    instants they are there, which a night cut in ZONE reads without a word. `validate`
    without --out says it too (it printed "No problems found." under times shown as UTC)."""
    import warnings

    import pyarrow.parquet as pq

    from adaptive.data import load_log
    from adaptive.errors import NightWarning

    frame = district.log.frame.copy()
    frame["skill_ids"] = frame["skill_ids"].map(lambda s: "|".join(map(str, s)))
    naive = tmp_path / "naive.csv"
    frame.assign(timestamp=frame["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")).to_csv(
        naive, index=False
    )
    plain, zoned = tmp_path / "plain.parquet", tmp_path / "zoned.parquet"
    # my own trial: without --out, "No problems found." under a summary showing them +00:00
    assert run(["validate", str(naive), "--skills-sep", "|"]) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert "no UTC offset: they are read (and shown above) as UTC" in said
    assert "--timezone ZONE (e.g. America/New_York) with --out" in said
    assert "No problems found." not in said
    assert run(["validate", str(naive), "--skills-sep", "|", "--out", str(plain)]) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert "its times carry no UTC offset" in said and "--timezone ZONE" in said
    assert pq.read_schema(plain).field("timestamp").type.tz is None
    chicago = {"timezone": "America/Chicago"}
    with pytest.warns(NightWarning, match="no UTC offset.*validate LOG --timezone America/Chic"):
        run_daily_job(DAY, tmp_path / "plain", **district.job_args(data=plain, **chicago))

    args = ["validate", str(naive), "--skills-sep", "|", "--out", str(zoned)]
    assert run([*args, "--timezone", "America/Chicago"]) == 0
    assert "no UTC offset" not in capsys.readouterr().err
    assert str(pq.read_schema(zoned).field("timestamp").type.tz) == "UTC"
    hours = (load_log(zoned).time - load_log(plain).time) // (3_600 * 10**9)
    assert set(hours.tolist()) <= {5, 6} and len(set(hours.tolist())) > 0  # CDT, CST
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*no UTC offset", category=NightWarning)
        run_daily_job(DAY, tmp_path / "zoned", **district.job_args(data=zoned, **chicago))


def test_validate_timezone_keeps_a_column_of_dates_as_days(tmp_path, capsys) -> None:
    """My own trial: a date-only export validated with `--timezone America/Chicago --out` had
    its days moved to local midnight's instant (05:00 UTC), so a second attempt of a day, kept
    by validate as an attempt, read in the Parquet as a row loaded twice, and the night refused
    1,628 of them. A column of dates is kept as days, and the Parquet reads back as the file."""
    from adaptive.data import load_log

    dates = tmp_path / "dates.csv"
    dates.write_text(
        "student_id,item_id,skill_ids,correct,timestamp\n"
        "s1,i1,a,1,01/10/2026\ns1,i1,a,1,01/10/2026\ns1,i2,b,0,02/10/2026\n"
    )  # day-first, read with a --time-format
    out = tmp_path / "dates.parquet"
    zone = ["--timezone", "America/Chicago", "--time-format", "%d/%m/%Y"]
    assert run(["validate", str(dates), *zone, "--out", str(out)]) == 0
    assert "--timezone changes none of them" in " ".join(capsys.readouterr().err.split())
    back = load_log(out)  # the repeated attempt is kept, not refused as a row loaded twice
    assert len(back) == 3 and (back.time % (86_400 * 10**9) == 0).all()


def test_a_parquet_an_older_validate_wrote_is_said_to_hold_times_of_unknown_zones(
    district, tmp_path
) -> None:
    """`validate --out` of a CSV of local times without offsets wrote them, before format 2,
    as UTC instants like any others, with nothing to tell them apart: a night cut in Chicago
    read such a file's 1:30 am answers as UTC, the night before, without a word. Its Parquet
    now says its format (`adaptive.log.format` = 2: offset-less times kept without a zone);
    a checked log without it, whose times are zoned, is warned of once a night on either
    engine, naming `validate --timezone ZONE --out`. A file of other origin is taken at its
    type's word, and a current one says nothing."""
    import warnings

    import pyarrow.parquet as pq

    from adaptive.batch.spark_job import _zones_unknown
    from adaptive.data.io import write_log
    from adaptive.errors import NightWarning

    current = write_log(district.log, tmp_path / "current.parquet")
    assert pq.read_schema(current).metadata[b"adaptive.log.format"] == b"2"
    table = pq.read_table(current)  # as the older version wrote it: no format, zoned times
    older = tmp_path / "older.parquet"
    pq.write_table(table.replace_schema_metadata({b"adaptive.log": b"checked"}), older)
    other = tmp_path / "other.parquet"  # a district's own Parquet of UTC instants
    pq.write_table(table.replace_schema_metadata(None), other)
    assert _zones_unknown(older, "timestamp")
    assert not _zones_unknown(current, "timestamp") and not _zones_unknown(other, "timestamp")
    chicago = {"timezone": "America/Chicago"}
    with pytest.warns(NightWarning) as said:
        run_daily_job(DAY, tmp_path / "older", **district.job_args(data=older, **chicago))
    (words,) = [str(w.message) for w in said if "older `adaptive validate" in str(w.message)]
    assert "validate LOG --timezone America/Chicago --out log.parquet" in words
    for path in (current, other):
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "error", message=".*older `adaptive validate", category=NightWarning
            )
            run_daily_job(DAY, tmp_path / path.stem, **district.job_args(data=path, **chicago))
    with warnings.catch_warnings():  # a UTC night reads its instants as they are either way
        warnings.filterwarnings(
            "error", message=".*older `adaptive validate", category=NightWarning
        )
        run_daily_job(DAY, tmp_path / "older-utc", **district.job_args(data=older))
