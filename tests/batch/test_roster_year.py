"""A profiles file of last year (a district operator's new school year: every returning student
served last year's grade, without a word) is warned of by the night."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from adaptive.batch import run_daily_job
from adaptive.errors import NightWarning

ROSTER = "answer mostly skills of the grade above their profile's"


def _a_grade_below(profiles: Path, where: Path) -> Path:
    """`profiles` with every grade one lower: last year's roster."""
    lines = [json.loads(line) for line in profiles.read_text().splitlines() if line.strip()]
    for p in lines:
        if p.get("grade") is not None:
            p["grade"] = int(p["grade"]) - 1
    where.write_text("".join(json.dumps(p) + "\n" for p in lines))
    return where


def test_last_years_roster_is_warned_of_with_counts(district, tmp_path):
    old = _a_grade_below(district.profiles, tmp_path / "last_year.jsonl")
    with pytest.warns(NightWarning, match=ROSTER) as said:
        run_daily_job(district.last_day, tmp_path / "old", **district.job_args(profiles=old))
    words = [str(w.message) for w in said if ROSTER in str(w.message)]
    assert len(words) == 1
    assert "is the profiles file last year's roster?" in words[0]
    assert "stu0" not in words[0]  # counts, never an id


def test_this_years_roster_says_nothing_of_it(district, tmp_path):
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        run_daily_job(district.last_day, tmp_path / "now", **district.job_args())
    assert not [w for w in said if ROSTER in str(w.message)]


NEW_YEAR = "is in the school year before this night's"


def test_last_years_folder_continued_into_a_new_school_year_is_said_once(district, tmp_path):
    """A rollover trial continued June's folder into September: seven warnings (catalog,
    'unassigned', overrides) and none said "a new school year: a new --out"."""
    from adaptive.batch.job import read_profiles

    out = tmp_path / "out"
    profiles = read_profiles(district.profiles)
    klass, sid = next((p.class_id, s) for s, p in sorted(profiles.items()) if p.class_id)
    doc = {"format": "adaptive-overrides", "version": 1, "class_id": klass,
           "date": "2026-08-20", "students": {sid: {"mode": "remediate"}}}  # fmt: skip
    (tmp_path / "june").mkdir()
    (tmp_path / "june" / "overrides.json").write_text(json.dumps(doc))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        run_daily_job("2026-08-20", out, **district.job_args())  # summer: last school year's
        summer = run_daily_job("2026-08-31", out, **district.job_args(overrides=tmp_path / "june"))
    assert not [w for w in said if NEW_YEAR in str(w.message)] and summer.override_files == 1
    with pytest.warns(NightWarning, match=NEW_YEAR) as said:
        run_daily_job("2026-09-01", out, **district.job_args())
    # last school year's teachers' choices end with it: no "Give the same --overrides folder"
    assert not [w for w in said if "Give the same --overrides folder" in str(w.message)]
    words = [str(w.message) for w in said if NEW_YEAR in str(w.message)]
    assert words == [
        f"--out {out}: its last night, 2026-08-31, is in the school year before this night's "
        "(it starts 2026-09-01, the growth norm's year_start): a new school year is served "
        "into a new --out, with this year's log and roster and last year's records as "
        "--placement; continued here, last year's state, growth series and overrides carry on"
    ]
    with warnings.catch_warnings(record=True) as said:  # the new year's next night: nothing
        warnings.simplefilter("always")
        run_daily_job("2026-09-02", out, **district.job_args())
    assert not [w for w in said if NEW_YEAR in str(w.message)]


def test_a_missing_night_names_the_nights_around_it_and_no_backfill_before_the_year(tmp_path):
    """A rollover trial: a report for 2027-10-10, between two nights, listed the folder's
    last five nights, not the ones around it; one for 2027-08-25, before the folder's school
    year, advised a back-fill into it."""
    from adaptive.batch import writer
    from adaptive.batch.partition import OUTPUT_TABLES

    nights = ["2027-09-01", "2027-09-08", "2027-09-15", "2027-10-01", "2027-10-15",
              "2027-10-20", "2027-10-25", "2027-11-01", "2027-11-20", "2027-12-01"]  # fmt: skip
    for night in nights:
        writer.finish_date_listing(tmp_path, OUTPUT_TABLES, night, {}, {"date": night})
    between = writer.complete_nights_hint(tmp_path, "2027-10-10")
    assert (
        "2027-10-01, 2027-10-15" in between and "(the 5 nearest 2027-10-10; 10 in all)" in between
    )
    assert "2027-12-01" not in between and "--backfill" in between
    before = writer.complete_nights_hint(tmp_path, "2027-08-25")
    assert "before the school year of its first night (it starts 2027-09-01)" in before
    assert "adaptive batch" not in before


def test_this_years_log_beside_last_years_snapshot_says_a_new_school_year():
    """A rollover trial continued June's folder with September's log: "a failed or partial
    export? ... start a new state folder (--state-dir NEW)", never the new --out a new school
    year is served into. Within one school year the refusal is as before."""
    from adaptive.batch.log_digest import check_not_shrunk
    from adaptive.errors import ConfigError

    late = ({"unit": "rows", "count": 0}, {"unit": "rows", "count": 5000})
    with pytest.raises(ConfigError, match="is in a new school year") as refused:
        check_not_shrunk(late, "2027-06-06T04:00:00+00:00", "log.parquet", "2027-09-01")
    assert "into a new --out" in str(refused.value) and "--state-dir" not in str(refused.value)
    with pytest.raises(ConfigError, match="a failed or partial export"):
        check_not_shrunk(late, "2027-06-06T04:00:00+00:00", "log.parquet", "2027-06-10")


def test_last_years_roster_on_a_night_without_new_answers_is_warned_of(district, tmp_path):
    """A district operator's trial: on a night with no new answer (the snapshot's cutoff after
    the log's newest), last year's roster said nothing, though the log holds answers of the
    weeks before the night: the check read only the night's new rows."""
    import pandas as pd

    out = tmp_path / "out"
    args = district.job_args(data=district.responses)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NightWarning)
        run_daily_job(district.last_day, out, **args)
    old = _a_grade_below(district.profiles, tmp_path / "last_year.jsonl")
    after = (pd.Timestamp(district.last_day) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    with pytest.warns(NightWarning, match=ROSTER):
        summary = run_daily_job(after, out, **{**args, "profiles": old})
    assert summary.new_responses == 0 and summary.previous_snapshot == district.last_day
