"""A district operator's trial: a roster names homerooms without their school ("Room g4A" at two
schools). Teacher overrides matched classes by class id alone, so two schools' classes of one
name collided: both files refused, the older one dropped as "the class's" earlier export, or
one removed without a word. A class is its school and class id."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from adaptive.batch.job import read_profiles
from adaptive.cli import run
from adaptive.errors import NightWarning

#: the grade whose classes the trial's roster names without their school
SHARED_GRADE = "g4"


@pytest.fixture(scope="module")
def rooms(district, tmp_path_factory) -> dict:
    """The shared district's profiles with its grade 4 classes named as the trial's roster
    names homerooms ("sch0001-g4A" -> "Room g4A", at each school), the others as they were;
    and a class of each school of one name with a student each, and a class of one school."""
    folder = tmp_path_factory.mktemp("rooms")
    lines = []
    for line in district.profiles.read_text().splitlines():
        doc = json.loads(line)
        klass = doc.get("class_id") or ""
        if f"-{SHARED_GRADE}" in klass:
            doc["class_id"] = "Room " + klass.split("-", 1)[1]
        lines.append(json.dumps(doc))
    profiles = folder / "profiles.jsonl"
    profiles.write_text("\n".join(lines) + "\n")
    read = read_profiles(profiles)
    of: dict[tuple[str, str], list[str]] = {}
    for sid, p in sorted(read.items()):
        if p.class_id and p.school_id:
            of.setdefault((p.school_id, p.class_id), []).append(sid)
    schools: dict[str, list[str]] = {}
    for school, klass in of:
        schools.setdefault(klass, []).append(school)
    room = next(c for c, s in sorted(schools.items()) if c.startswith("Room") and len(s) > 1)
    a, b = sorted(schools[room])[:2]
    alone = next(c for c, s in sorted(schools.items()) if len(s) == 1)
    return {
        "profiles": profiles, "room": room, "a": a, "b": b, "of": of, "alone": alone,
        "alone_school": schools[alone][0], "schools": sorted(schools[room]),
    }  # fmt: skip


def export(folder: Path, name: str, klass: str, students: dict, date: str, **school) -> Path:
    """A class page's export (`school` : its school_id, left out as an earlier version did)."""
    folder.mkdir(exist_ok=True)
    doc = {"format": "adaptive-overrides", "version": 1, **school, "class_id": klass,
           "date": date, "students": students}  # fmt: skip
    path = folder / name
    path.write_text(json.dumps(doc, indent=1))
    return path


def validate(district, rooms, path: Path) -> list[str]:
    return ["validate", "--overrides", str(path), "--catalog", str(district.catalog),
            "--profiles", str(rooms["profiles"])]  # fmt: skip


def two_schools(rooms, folder: Path, dates: tuple[str, str]) -> tuple[str, str]:
    """Each school's teacher of `room` exports their own class: one student each."""
    room, a, b = rooms["room"], rooms["a"], rooms["b"]
    sa, sb = rooms["of"][(a, room)][0], rooms["of"][(b, room)][0]
    export(folder, f"overrides-{a}-{room}.json", room, {sa: {"mode": "remediate"}}, dates[0],
           school_id=a)  # fmt: skip
    export(folder, f"overrides-{b}-{room}.json", room, {sb: {"mode": "accelerate"}}, dates[1],
           school_id=b)  # fmt: skip
    return sa, sb


def test_two_schools_classes_of_one_name_are_two_classes_for_validate(
    district, rooms, tmp_path, capsys
):
    """The trial: two schools' teachers export their own "Room g4A" for the same date; validate
    said "No problems found ... 0 students from 0 files" and warned that none is applied. Each
    is applied, and an earlier version's file of a class of one school only still is."""
    exports = tmp_path / "exports"
    two_schools(rooms, exports, (district.last_day, district.last_day))
    alone = rooms["alone"]
    sid = rooms["of"][(rooms["alone_school"], alone)][0]
    export(
        exports, f"overrides-{alone}.json", alone, {sid: {"mode": "remediate"}}, district.last_day
    )  # fmt: skip: no school_id, an earlier version's export
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NightWarning)
        code = run(validate(district, rooms, exports))
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0, out
    assert "a night applies those of 3 students from 3 files" in out
    assert not [w for w in caught if "different overrides files" in str(w.message)]


def test_an_earlier_versions_file_of_a_class_name_several_schools_use_is_refused(
    district, rooms, tmp_path, capsys
):
    """A file without school_id for a class id that several schools use: which class it is
    cannot be told. validate refuses it (exit 2) with one message naming the file, the class
    id, the schools and what to do; a night sets it aside, every other file applied."""
    room, a = rooms["room"], rooms["a"]
    sid = rooms["of"][(a, room)][0]
    path = export(tmp_path / "old", f"overrides-{room}.json", room, {sid: {"mode": "remediate"}},
                  district.last_day)  # fmt: skip
    code = run(validate(district, rooms, path))
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "Traceback" not in err
    schools = ", ".join(repr(s) for s in rooms["schools"])
    assert (
        f"{path}, line 4, column 14, field class_id: {room!r} is a class id of "
        f"{len(rooms['schools'])} schools ({schools}) and the file gives no school_id"
    ) in err
    assert "Export it again from the class page" in err and '"school_id": "..."' in err
    # the night: set aside (its notice on each school's class of that name), not stopped
    from adaptive.batch import run_daily_job

    with pytest.warns(NightWarning, match="set aside, not applied tonight"):
        summary = run_daily_job(
            district.last_day, tmp_path / "out",
            **district.job_args(profiles=rooms["profiles"], overrides=path.parent),
        )  # fmt: skip
    assert summary.override_students == 0 and summary.override_files_set_aside == 1


def test_a_night_applies_both_schools_files_and_misses_a_removed_one(district, rooms, tmp_path):
    """The trial's nights: two schools' "Room g4A" files of different dates, the older was
    dropped as the class's earlier export ("keep the class's last export ... remove the other");
    then, one removed as advised, its students lost their overrides without a word (a file of
    "Room g4A" was still there). Both are applied; the removed one is said missing, with its
    school."""
    from adaptive.batch import run_daily_job

    day = pd.Timestamp(district.last_day)
    first, second = (str((day + pd.Timedelta(days=d)).date()) for d in (0, 1))
    before = str((day - pd.Timedelta(days=1)).date())
    exports = tmp_path / "exports"
    two_schools(rooms, exports, (before, first))
    out, args = tmp_path / "out", {"profiles": rooms["profiles"]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NightWarning)
        summary = run_daily_job(first, out, **district.job_args(overrides=exports, **args))
    assert summary.override_students == 2 and summary.override_files == 2
    assert not [w for w in caught if "different overrides files" in str(w.message)]
    from adaptive.batch.overrides import applied_classes

    room, a, b = rooms["room"], rooms["a"], rooms["b"]
    assert {(a, room), (b, room)} <= set(applied_classes(out, first))
    (exports / f"overrides-{b}-{room}.json").unlink()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NightWarning)
        summary = run_daily_job(second, out, **district.job_args(overrides=exports, **args))
    assert summary.override_students == 1
    said = [str(w.message) for w in caught if "has no file for" in str(w.message)]
    assert len(said) == 1 and f"of class {room!r} of school {b!r}, which tonight's" in said[0]


def test_profiles_says_once_that_a_class_id_is_used_by_several_schools(
    district, rooms, tmp_path, capsys
):
    """`adaptive profiles` took a roster with 26 class ids for 74 classes without a word."""
    frame = pd.DataFrame(
        [
            {"student_id": p.student_id, "grade": p.grade, "class_id": p.class_id,
             "school_id": p.school_id}
            for p in read_profiles(rooms["profiles"]).values()
        ]
    )  # fmt: skip
    roster = tmp_path / "roster.csv"
    frame.to_csv(roster, index=False)
    code = run(["profiles", str(roster), "--out", str(tmp_path / "p.jsonl")])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 0
    assert err.count("used by several schools") == 1
    assert f"e.g. {min(c for c in frame['class_id'] if c.startswith('Room'))!r} at" in err
    assert "told apart by its school" in err


def test_an_experiments_night_serves_each_schools_class_of_one_name_its_own_arm(
    district, rooms, tmp_path
):
    """An experiment by class drew two schools' "Room g4A" as one unit (one arm for both, the
    stratum of the larger school): each is a unit of its own, and the night serves each its
    own unit's arm, as the assignment file says."""
    from adaptive.batch import run_daily_job
    from adaptive.experiment.assign import assign
    from adaptive.policy import PolicyConfig

    profiles = read_profiles(rooms["profiles"])
    arms = {"control": PolicyConfig.default(), "new": PolicyConfig.default()}
    drawn = assign(profiles, arms, unit="class", seed=3)
    units = drawn.units
    shared = units[units["unit_id"] == rooms["room"]]
    assert sorted(shared["school_id"]) == rooms["schools"]  # one unit per school
    path = drawn.save(tmp_path / "exp.json")
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NightWarning)
        run_daily_job(district.last_day, out, **district.job_args(profiles=rooms["profiles"],
                                                                  experiment=path))  # fmt: skip
    served = pd.read_parquet(out / "students" / f"date={district.last_day}")
    served = served[served["class_id"] == rooms["room"]]
    by_school = served.groupby("school_id", observed=True)["arm"].agg(set)
    expected = dict(zip(shared["school_id"], shared["arm"], strict=True))
    assert {s: arms_ for s, arms_ in by_school.items()} == {s: {a} for s, a in expected.items()}
