"""The report's search for each late starter's first night (`growth_starts`) through the index of
each student's first night served (`first_served.FirstServed`): a scale review found that every
build read every school's student ids of every night since the baseline until each sought
student was found (one transfer in yesterday: ~100,000 files for 650 schools late in the year),
and the next night's build read them all again."""

from __future__ import annotations

import random
import shutil
import zlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from adaptive.batch import writer
from adaptive.batch.partition import OUTPUT_TABLES
from adaptive.files import atomic_write_bytes, sealed_json
from adaptive.reports.site.build import growth_starts
from adaptive.reports.site.data import BatchRun, SkillLayout, read_mastery
from adaptive.reports.site.first_served import INDEX_DIR, night_partitions, served_ids

WIDTH = 4
LAYOUT = SkillLayout(WIDTH, np.arange(WIDTH))


def nights(n: int, start: str = "2026-09-01") -> list[str]:
    return [str((pd.Timestamp(start) + pd.Timedelta(days=i)).date()) for i in range(n)]


def serve(
    out,
    night: str,
    schools: dict[str, list[str]],
    *,
    nan: frozenset = frozenset(),
    no_mastery: frozenset = frozenset(),
    complete: bool = True,
    salt: int = 0,
) -> None:
    """A night's students files ({school: student ids}), every student answered, each one's
    mastery drawn from the night and school (`nan`: (school, student) read all NaN; `no_mastery`:
    schools whose file has no mastery column), and its `_SUCCESS.json` (none when not
    `complete`)."""
    listing = {}
    for school, ids in schools.items():
        seed = zlib.crc32(f"{night}/{school}/{salt}".encode())  # the same in every process
        m = np.random.default_rng(seed).random((len(ids), WIDTH)).astype(np.float32)
        m[[(school, s) in nan for s in ids]] = np.nan
        columns = {
            "student_id": pa.array(ids, pa.string()),
            "progression": pa.FixedSizeListArray.from_arrays(
                pa.array(np.ones(len(ids) * WIDTH, np.int8)), WIDTH
            ),
        }
        if school not in no_mastery:
            columns["mastery"] = pa.FixedSizeListArray.from_arrays(pa.array(m.reshape(-1)), WIDTH)
        path = writer.partition_path(out, "students", night, school)
        listing[str(path.relative_to(out))] = writer.write_partition(
            out, "students", night, school, pa.table(columns)
        )
    if complete:
        writer.finish_date_listing(out, OUTPUT_TABLES, night, listing, {"date": night})


def starts_of(out, date: str, *, other_catalog: frozenset = frozenset()):
    """`growth_starts` as the report of `date` calls it (`_context`): the baseline the first
    night served, every later night in serving order; `other_catalog`: nights with no layout."""
    run = BatchRun(out, date, (), "m", "1")
    earlier, rank = run.earlier_dates(), run.served_rank()
    baseline = min(rank, key=rank.get)
    late = sorted((d for d in earlier if baseline < d), key=lambda d: (rank.get(d, -1), d))
    layouts = {d: LAYOUT for d in [*earlier, date] if d not in other_catalog}
    schools = [s for s, _ in night_partitions(out, date)]
    return growth_starts(run, baseline, late, layouts, schools), (run, baseline, late, layouts)


def every_night_walk(run, baseline, late_nights, layouts):
    """The search as it was before the index (the oracle): every school of every night in turn
    until every sought student is found."""
    from adaptive.reports.site.build import _tonight_ids

    schools = [s for s, _ in night_partitions(run.out, run.date)]
    tonight, answered, _ = _tonight_ids(run, schools)
    found, unread = {}, set()
    pending = pd.Index(tonight)
    for night in [baseline, *[n for n in late_nights if n in layouts]]:
        if night != baseline:
            pending = pending[pending.isin(answered)]
        for school, path in night_partitions(run.out, night):
            hit = pending[pending.isin(served_ids(path))]
            if hit.empty:
                continue
            m = read_mastery(run.out, night, school, hit, layouts[night])
            if m is None:
                if night == baseline:
                    unread |= set(hit)
                continue
            read = ~np.isnan(m).all(axis=1)
            for sid, row in zip(hit[read], m[read], strict=True):
                found[sid] = (night, row)
            pending = pending.difference(hit[read], sort=False)
    return found, unread


def same_as_the_walk(starts, args) -> None:
    found, unread = every_night_walk(*args)
    assert set(starts.ids) == set(found)
    assert set(starts.unread) == unread
    for i, sid in enumerate(starts.ids):
        assert starts.dates[i] == found[sid][0], sid
        np.testing.assert_array_equal(starts.mastery[i], found[sid][1])


def district(out, days: list[str], late: dict[str, str]) -> None:
    """Three schools of 5 served every night of `days`; `late`: a student served from a night on
    (transferred in to the third school)."""
    for night in days:
        schools = {f"s{k}": [f"s{k}-{i}" for i in range(5)] for k in range(3)}
        schools["s2"] += [sid for sid, since in late.items() if since <= night]
        serve(out, night, schools)


@pytest.mark.parametrize("n_nights", [6, 14])
def test_the_next_nights_build_reads_only_the_night_no_build_indexed(
    tmp_path, count_id_reads, n_nights
):
    """Tonight's report after last night's: a student transferred in yesterday is sought in
    yesterday's files alone (and the baseline night's, read at every build), however many
    nights the year has had: the nights before were indexed by the earlier build."""
    days = nights(n_nights)
    yesterday, tonight = days[-2], days[-1]
    district(tmp_path, days[:-1], {"late-1": days[-3], "late-2": yesterday})
    starts_of(tmp_path, yesterday)  # last night's report: its search indexed the nights before
    district(tmp_path, [tonight], {"late-1": days[-3], "late-2": yesterday})
    count_id_reads.clear()
    starts, args = starts_of(tmp_path, tonight)
    read = sorted({r.split("/")[0] for r in count_id_reads})
    assert read == [f"date={days[0]}", f"date={yesterday}"]  # the baseline night, the new one
    assert len(count_id_reads) == 6  # 3 schools each, whatever `n_nights`
    same_as_the_walk(starts, args)
    assert dict(zip(starts.ids, starts.dates, strict=True))["late-2"] == yesterday


def test_two_late_starters_first_served_at_two_schools_the_same_night(tmp_path):
    """A review: two students transferred in to two schools on the same night crashed the build
    (IndexError: the second school's mask was of the students sought before the first school
    read one), at every later build of the year."""
    days = nights(6)
    for night in days:
        schools = {f"s{k}": [f"s{k}-{i}" for i in range(3)] for k in range(3)}
        if night >= days[3]:
            schools["s0"].append("late-a")
            schools["s2"].append("late-b")
        serve(tmp_path, night, schools)
    starts, args = starts_of(tmp_path, days[-1])
    same_as_the_walk(starts, args)
    assert {"late-a", "late-b"} <= set(starts.ids)


def drop_night(out, night: str) -> None:
    """`adaptive batch drop` of a night: its outputs and its place in the serving order."""
    for table in OUTPUT_TABLES:
        shutil.rmtree(writer.date_dir(out, table, night), ignore_errors=True)
    order = [n for n in writer.served_order(out) or [] if n != night]
    atomic_write_bytes(out / writer.SERVED_ORDER, sealed_json({"nights": order}))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_histories_read_the_starts_the_walk_reads(tmp_path, seed):
    """Seeded histories of four schools and 24 students who come and go: nights served out of
    order, served again, dropped, left incomplete, of another catalog, all-NaN readings,
    outputs without mastery, the index deleted; a report of a random complete night after
    each event reads the same starts as the walk over every night (a review's differential
    test; it found the two-schools crash above)."""
    rng = random.Random(seed)
    pool, schools = [f"st{i}" for i in range(24)], ["a", "b", "c", "d"]
    other: set[str] = set()
    served: list[str] = []

    def serve_night(night: str, salt: int = 0) -> None:
        for table in OUTPUT_TABLES:
            shutil.rmtree(writer.date_dir(tmp_path, table, night), ignore_errors=True)
        sch = {
            s: sorted(rng.sample(pool, rng.randint(0, 7))) for s in schools if rng.random() < 0.85
        }
        nan = frozenset((s, x) for s, ids in sch.items() for x in ids if rng.random() < 0.2)
        bare = frozenset(s for s in sch if rng.random() < 0.1)
        serve(
            tmp_path, night, sch, nan=nan, no_mastery=bare, complete=rng.random() > 0.1, salt=salt
        )

    def event() -> None:
        r = rng.random()
        if r < 0.15 and len(served) > 2:
            serve_night(rng.choice(served[1:]), salt=rng.randint(1, 99))
        elif r < 0.22 and len(served) > 3:
            night = rng.choice(served[2:])
            drop_night(tmp_path, night)
            served.remove(night)
        elif r < 0.27:
            shutil.rmtree(tmp_path / INDEX_DIR, ignore_errors=True)
        order = writer.served_order(tmp_path) or []
        done = [
            d for d in served
            if (writer.date_dir(tmp_path, OUTPUT_TABLES[0], d) / "_SUCCESS.json").exists()
            and d not in other and order and d != order[0]
        ]  # fmt: skip
        if done:
            starts, args = starts_of(tmp_path, rng.choice(done), other_catalog=frozenset(other))
            if starts is not None:
                same_as_the_walk(starts, args)

    order = nights(9)
    if rng.random() < 0.5:  # a night served late (a back-fill)
        i = rng.randint(2, 6)
        order.insert(rng.randint(i + 1, 8), order.pop(i))
    for k, night in enumerate(order):
        serve_night(night)
        served.append(night)
        if k > 1 and rng.random() < 0.1:
            other.add(night)
        event()
    for _ in range(4):
        event()


def test_growth_starts_are_the_same_with_and_without_the_index(tmp_path):
    """Every kind of start the walk over every night found, found the same through the index,
    built in one build or night by night, and for a report of an earlier night than the index:
    a transfer in, a school onboarded mid-year, a student who moved between schools, one read
    all NaN on their first night (read on their next), one served by two schools on their first
    night (the first one reading them NaN), a school whose baseline output held no mastery, a
    night of another catalog, a night never completed (not indexed)."""
    days = nights(10)
    base = {f"s{k}": [f"s{k}-{i}" for i in range(4)] for k in range(3)}
    for i, night in enumerate(days):
        schools = {k: list(v) for k, v in base.items()}
        if i >= 2:
            schools["s2"].append("transfer")
        if i >= 4:
            schools["s3"] = ["onboard-0", "onboard-1"]  # a school onboarded mid-year
        if i >= 5:
            schools["s0"].remove("s0-0")
            schools["s1"].append("s0-0")  # moved between schools: no late start
        if i >= 3:
            schools["s1"].append("nan-first")
        if i == 3:
            schools["s0"].append("two-schools")
        if i >= 3:
            schools["s1"].append("two-schools")
        if i >= 6:
            schools["s2"].append("other-catalog-first")
        if i == 7:  # killed mid-run: one school written (read first: a night never served)
            schools = {"s3": schools["s3"]}
        serve(
            tmp_path,
            night,
            schools,
            nan=frozenset({("s1", "nan-first"), ("s0", "two-schools")} if i == 3 else set()),
            no_mastery=frozenset({"s2"} if i == 0 else set()),  # s2's baseline: unread
            complete=i != 7,  # a night killed mid-run
        )
    other = frozenset({days[6]})
    # reports of complete nights of the catalog (the report refuses others)
    earlier = [d for d in days[3:-1] if d not in (days[6], days[7])]
    reports = [days[-1], *earlier]  # the newest first, then each earlier one
    for date in reports:  # every report alone, with no index yet
        shutil_rm(tmp_path / INDEX_DIR)
        starts, args = starts_of(tmp_path, date, other_catalog=other)
        same_as_the_walk(starts, args)
    newest = starts_of(tmp_path, days[-1], other_catalog=other)[0]
    assert {"transfer", "onboard-0", "nan-first", "two-schools", "other-catalog-first"} <= set(
        newest.ids[newest.dates != days[0]]
    )
    assert "s0-0" in set(newest.ids[newest.dates == days[0]]) and "s2-0" in set(newest.unread)
    stored = next((tmp_path / INDEX_DIR).iterdir()).read_bytes()
    for date in earlier:  # earlier reports, the index of the newest one there
        same_as_the_walk(*starts_of(tmp_path, date, other_catalog=other))
    assert next((tmp_path / INDEX_DIR).iterdir()).read_bytes() == stored  # left as it was
    shutil_rm(tmp_path / INDEX_DIR)
    for date in days[3:]:  # a build each night, the index extended night by night
        same_as_the_walk(*starts_of(tmp_path, date, other_catalog=other))


def test_a_night_served_again_is_indexed_again(tmp_path, count_id_reads):
    """A night re-run replaces its outputs (another `_SUCCESS.json`): the next build reads it
    and the nights after it again, not the ones before, and finds what the new outputs say."""
    days = nights(8)
    district(tmp_path, days[:-1], {"late-1": days[5]})
    starts, _ = starts_of(tmp_path, days[-2])
    assert dict(zip(starts.ids, starts.dates, strict=True))["late-1"] == days[5]
    serve(tmp_path, days[-1], {f"s{k}": [f"s{k}-{i}" for i in range(5)] + ["late-1"] * (k == 2)
                               for k in range(3)})  # fmt: skip
    # the night days[3] served again: late-1 was enrolled then after all
    serve(tmp_path, days[3], {f"s{k}": [f"s{k}-{i}" for i in range(5)] + ["late-1"] * (k == 2)
                              for k in range(3)}, salt=1)  # fmt: skip
    count_id_reads.clear()
    starts, args = starts_of(tmp_path, days[-1])
    read = sorted({r.split("/")[0] for r in count_id_reads})
    assert read == [f"date={days[0]}", f"date={days[3]}"]  # the baseline, the re-served night
    assert dict(zip(starts.ids, starts.dates, strict=True))["late-1"] == days[3]
    same_as_the_walk(starts, args)


def test_an_index_that_cannot_be_read_is_built_again(tmp_path):
    days = nights(6)
    district(tmp_path, days, {"late-1": days[3]})
    (tmp_path / INDEX_DIR).mkdir()
    (tmp_path / INDEX_DIR / f"baseline={days[0]}.parquet").write_bytes(b"not parquet")
    starts, args = starts_of(tmp_path, days[-1])
    same_as_the_walk(starts, args)
    assert pq.read_table(tmp_path / INDEX_DIR / f"baseline={days[0]}.parquet").num_rows == 16


def test_an_index_edited_by_hand_is_built_again_not_trusted(tmp_path):
    """A file that still reads as the index but whose rows were changed (a late starter moved
    to a later night that served them too) no longer matches the sha256 kept in it: it is read
    again from the nights, and the starts are the walk's."""
    days = nights(6)
    district(tmp_path, days, {"late-1": days[2], "late-2": days[3]})
    same_as_the_walk(*starts_of(tmp_path, days[-2]))
    path = tmp_path / INDEX_DIR / f"baseline={days[0]}.parquet"
    table = pq.read_table(path)
    late = np.asarray(table.column("student_id").to_pylist()) == "late-1"
    moved = np.where(late, table.column("night").to_numpy() + 1, table.column("night"))
    edited = table.set_column(1, "night", pa.array(moved, pa.int32()))
    pq.write_table(edited.replace_schema_metadata(table.schema.metadata), path)
    same_as_the_walk(*starts_of(tmp_path, days[-1]))


def test_an_index_that_cannot_be_written_is_warned_of_and_the_starts_are_right(tmp_path):
    from adaptive.errors import NightWarning

    days = nights(6)
    district(tmp_path, days, {"late-1": days[3]})
    (tmp_path / INDEX_DIR).write_text("a file in the way")
    with pytest.warns(NightWarning, match="cannot save the report's index") as said:
        same_as_the_walk(*starts_of(tmp_path, days[-1]))
    assert "late-1" not in str(said[0].message)


def shutil_rm(path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def test_the_report_site_is_the_same_built_through_the_index(
    report_district, judged_site, tmp_path, count_id_reads
):
    """The whole site of a district with a late starter, built first with no index (the build
    writes it), then again through it: the same pages, byte for byte, and the second build's
    search reads no night's student ids but the baseline night's."""
    import shutil

    from adaptive.batch.writer import SERVED_ORDER
    from adaptive.files import sealed_json
    from adaptive.reports.site import build_site

    d = report_district
    batch, later = tmp_path / "batch", "2026-09-03"  # over 6 weeks before `d.day`: judged
    shutil.copytree(judged_site.parent / "batch", batch)
    baseline = min(p.name.removeprefix("date=") for p in (batch / "students").glob("date=*"))
    for table in ("students", "recommendations", "class_skills", "groups"):
        shutil.copytree(batch / table / f"date={baseline}", batch / table / f"date={later}")
    (batch / SERVED_ORDER).write_bytes(sealed_json({"nights": [baseline, later, d.day]}))
    now = pd.read_parquet(batch / "students" / f"date={d.day}")
    late = now.loc[(np.stack(now["progression"]) != 0).any(axis=1), "student_id"].iloc[0]
    for part in (batch / "students" / f"date={baseline}").glob("school=*/*.parquet"):
        table = pq.read_table(part)  # `late` transferred in after the baseline night
        pq.write_table(table.filter(pa.compute.not_equal(table["student_id"], late)), part)
    sites, later_reads = [], []
    for build in ("no index", "through the index"):
        count_id_reads.clear()
        sites.append(tmp_path / build)
        build_site(batch, d.day, sites[-1], catalog=d.catalog, profiles=d.profiles)
        later_reads.append(sorted(r for r in count_id_reads if f"date={later}" in r))
    # the search reads them the first time only; the mastery over time reads each school's ids
    # of its nights once per build (`History`: who was served where)
    schools = sorted(
        f"date={later}/{p.name}" for p in (batch / "students" / f"date={later}").iterdir()
    )
    assert later_reads == [sorted(schools * 2), schools]
    assert "1 student's growth starts later" in (sites[0] / "index.html").read_text()
    pages = sorted(p.relative_to(sites[0]) for p in sites[0].rglob("*.html"))
    assert pages == sorted(p.relative_to(sites[1]) for p in sites[1].rglob("*.html"))
    for page in pages:
        assert (sites[0] / page).read_bytes() == (sites[1] / page).read_bytes(), page
